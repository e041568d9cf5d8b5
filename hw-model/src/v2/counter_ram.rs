//! One RTL 2.0 counter space (`rtl/v2/gufc_counter_ram.v`) edge for edge: 64-bit packet and
//! byte counters with one increment per clock, host READ, CLEAR and ADD, every output bit
//! defined.
//!
//! The model keeps the logical values (the RTL's RAM copies, generations, clear marks and
//! forwarding are how it reaches them) and the contract's edges: an increment's counter is
//! reported 3 edges after it is accepted, a READ's data 6 edges after (the READ holding the port
//! meanwhile), a CLEAR is taken whenever no READ holds the port, and an ADD that meets another
//! counter's increment waits for an edge without one or with one of its own counter.

use std::collections::VecDeque;

/// Host command opcodes (`cmd_op`; bit 1 set is ADD).
pub mod op {
    /// Read counter `index`.
    pub const READ: u8 = 0;
    /// Set counter `index` to 0.
    pub const CLEAR: u8 = 1;
    /// Add `cmd_value` to counter `index`.
    pub const ADD: u8 = 2;
}

/// Edges from an increment's acceptance to the report of its new value.
pub const REPORT_AFTER: u64 = 3;
/// Edges from a READ's acceptance to its data.
pub const READ_AFTER: u64 = 6;
/// Edges after a READ's acceptance during which the port takes no command.
pub const READ_HOLD: u8 = 4;

/// A counter's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    /// Packets.
    pub pkts: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One edge's inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterIn {
    /// Synchronous clear: every counter 0, nothing in flight reported.
    pub clr: bool,
    /// An increment is offered (always taken).
    pub inc_en: bool,
    /// The counter it increments.
    pub inc_index: u32,
    /// Bytes it adds.
    pub inc_len: u32,
    /// A host command is offered.
    pub cmd_valid: bool,
    /// Its opcode ([`op`]).
    pub cmd_op: u8,
    /// The counter it names.
    pub cmd_index: u32,
    /// What an ADD adds.
    pub cmd_value: Count,
}

/// The registered outputs after an edge; every field is 0 unless its valid bit is set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterOut {
    /// READ data is here (one edge).
    pub rd_valid: bool,
    /// READ data.
    pub rd: Count,
    /// An increment's new value is here (one edge).
    pub cnt_valid: bool,
    /// The counter it incremented.
    pub cnt_index: u32,
    /// Its value after the increment's edge.
    pub cnt: Count,
}

/// The counter space. [`CounterRam::edge`] is one rising edge.
#[derive(Clone, Debug)]
pub struct CounterRam {
    depth: usize,
    len_mask: u32,
    edge: u64,
    values: Vec<Count>,
    /// An ADD waiting for a pipeline slot: its counter (its value is already counted).
    pending: Option<usize>,
    /// Edges a READ still holds the port.
    hold: u8,
    reports: VecDeque<(u64, usize, Count)>,
    reads: VecDeque<(u64, Count)>,
    out: CounterOut,
}

impl CounterRam {
    /// `depth` counters whose increments add `len_bits`-bit lengths, after the first `clr`.
    pub fn new(depth: usize, len_bits: u32) -> CounterRam {
        assert!(depth >= 1 && (1..=32).contains(&len_bits));
        CounterRam {
            depth,
            len_mask: u32::MAX >> (32 - len_bits),
            edge: 0,
            values: vec![Count::default(); depth],
            pending: None,
            hold: 0,
            reports: VecDeque::new(),
            reads: VecDeque::new(),
            out: CounterOut::default(),
        }
    }

    /// `cmd_ready` before the next edge for a command with opcode `op`: a READ holds the port
    /// for every command, a pending ADD for READ and ADD (a CLEAR never waits for it).
    pub fn cmd_ready(&self, op: u8) -> bool {
        self.hold == 0 && (op & 3 == op::CLEAR || self.pending.is_none())
    }

    /// The registered outputs after the last edge.
    pub fn outputs(&self) -> CounterOut {
        self.out
    }

    /// The counter's value as of the last edge.
    pub fn value(&self, index: usize) -> Count {
        self.values[index]
    }

    /// The index as the RTL sees it (its ports are ceil(log2 depth) bits wide).
    fn index(&self, i: u32) -> usize {
        i as usize % self.depth.next_power_of_two()
    }

    /// One rising edge with inputs `i`.
    pub fn edge(&mut self, i: &CounterIn) {
        let ready = self.cmd_ready(i.cmd_op);
        self.edge += 1;
        let t = self.edge;
        self.out = CounterOut::default();
        if i.clr {
            self.values.fill(Count::default());
            self.pending = None;
            self.hold = 0;
            self.reports.clear();
            self.reads.clear();
            return;
        }
        self.hold = self.hold.saturating_sub(1);
        let inc = i.inc_en.then(|| self.index(i.inc_index));
        if let Some(n) = inc {
            let c = &mut self.values[n];
            c.pkts = c.pkts.wrapping_add(1);
            c.bytes = c.bytes.wrapping_add(u64::from(i.inc_len & self.len_mask));
        }
        let mut report = inc;
        // A pending ADD takes the first free slot or joins the first increment of its counter.
        if self.pending.is_some() && (inc.is_none() || inc == self.pending) {
            self.pending = None;
        }
        if i.cmd_valid && ready {
            let n = self.index(i.cmd_index);
            match i.cmd_op & 3 {
                op::READ => {
                    self.reads.push_back((t + READ_AFTER, self.values[n]));
                    self.hold = READ_HOLD;
                }
                op::CLEAR => {
                    // The clear wins: this edge's increment of the counter is lost, unreported,
                    // and a pending ADD of it is dropped.
                    if inc == Some(n) {
                        report = None;
                    }
                    if self.pending == Some(n) {
                        self.pending = None;
                    }
                    self.values[n] = Count::default();
                }
                _ => {
                    let c = &mut self.values[n];
                    c.pkts = c.pkts.wrapping_add(i.cmd_value.pkts);
                    c.bytes = c.bytes.wrapping_add(i.cmd_value.bytes);
                    if inc.is_some_and(|m| m != n) {
                        self.pending = Some(n);
                    }
                }
            }
        }
        // An increment's report: its counter after its edge (a same-edge ADD included).
        if let Some(n) = report {
            self.reports
                .push_back((t + REPORT_AFTER, n, self.values[n]));
        }
        if self.reports.front().is_some_and(|r| r.0 == t) {
            let (_, n, c) = self.reports.pop_front().expect("a report");
            self.out.cnt_valid = true;
            self.out.cnt_index = n as u32;
            self.out.cnt = c;
        }
        if self.reads.front().is_some_and(|r| r.0 == t) {
            let (_, c) = self.reads.pop_front().expect("a read");
            self.out.rd_valid = true;
            self.out.rd = c;
        }
    }
}
