//! The RTL 2.0 IPv4 rule stage (`rtl/v2/gufc_tcam_v4.v`) edge for edge: the same ports, the
//! same outputs on the same edge, every output bit defined.
//!
//! The model keeps what the stage's contract speaks of, not its RAM rows: each entry as keys see
//! it and as it was programmed, the checkers of both planes, the active plane, and the edges at
//! which pending command effects become visible. A key is decided at its acceptance edge against
//! that view and its result is released `latency` edges later; the contract makes this exact
//! (the data word a key reads is the one its entry had when the key was accepted).
//!
//! Precondition, as in the RTL: PLANES and READ name an entry written since the last `clr`
//! (after `clr` the RAM rows of an entry whose WRITE was cut short are mixed, so the stage's
//! answer for it is not defined; the integration refuses such commands before they get here).

use std::collections::VecDeque;

/// Key bits the stage stores per entry, as 32-bit words (LSB first); up to 160 bits.
pub type KeyBits = [u32; 5];

/// Command opcodes (`cmd_op`).
pub mod op {
    /// Write entry `index`: value, mask, planes, data word.
    pub const WRITE: u8 = 0;
    /// Set entry `index`'s plane bits.
    pub const PLANES: u8 = 1;
    /// Flip the active plane.
    pub const COMMIT: u8 = 2;
    /// Write checker `index` of plane `planes & 1` from `range`.
    pub const SIDE: u8 = 3;
    /// Read entry `index` back.
    pub const READ: u8 = 4;
}

/// Cycles from a WRITE's acceptance until the stage takes the next command.
pub const WRITE_BUSY: u64 = 24;
/// Cycles from a READ's acceptance until the stage takes the next command.
pub const READ_BUSY: u64 = 3;

/// The stage's parameters (`ENTRIES`, `CHECKERS`, `BANK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleStageConfig {
    /// TCAM entries, a multiple of `bank`.
    pub entries: usize,
    /// Port-range checkers (at most 46: the key must fit [`KeyBits`]).
    pub checkers: usize,
    /// Entries per bank, a power of two ≥ 8.
    pub bank: usize,
}

impl Default for RuleStageConfig {
    fn default() -> Self {
        RuleStageConfig {
            entries: 1024,
            checkers: 16,
            bank: 64,
        }
    }
}

/// ceil(log4 n) for n ≥ 1.
fn log4(n: usize) -> u64 {
    let mut l = 0;
    while (1usize << (2 * l)) < n {
        l += 1;
    }
    l as u64
}

impl RuleStageConfig {
    /// Key bits: checker hits, then the 114 bits of the 7-tuple and TCP flags.
    pub fn key_bits(&self) -> usize {
        self.checkers + 114
    }

    /// Edges from a key's acceptance to its result: 6 + ceil(log4 bank) + ceil(log4 banks), the
    /// last term 0 with one bank (gufc_tcam_v4.v's pipeline).
    pub fn latency(&self) -> u64 {
        let banks = self.entries / self.bank;
        6 + log4(self.bank) + if banks > 1 { log4(banks) } else { 0 }
    }
}

/// One edge's inputs (the ports sampled at the rising edge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleStageIn {
    /// Synchronous clear: drops keys in flight, empties planes and checkers.
    pub clr: bool,
    /// A key is offered.
    pub in_valid: bool,
    /// IPv4 source address.
    pub src: u32,
    /// IPv4 destination address.
    pub dst: u32,
    /// The locality stage found the source local.
    pub src_local: bool,
    /// The locality stage found the destination local.
    pub dst_local: bool,
    /// IP protocol.
    pub proto: u8,
    /// TCP flags byte.
    pub flags: u8,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// A command is offered.
    pub cmd_valid: bool,
    /// Its opcode ([`op`]).
    pub cmd_op: u8,
    /// Entry (or checker) it names.
    pub cmd_index: u32,
    /// WRITE: the entry's value over the key.
    pub cmd_value: KeyBits,
    /// WRITE: which key bits the entry compares.
    pub cmd_mask: KeyBits,
    /// WRITE/PLANES: plane bits; SIDE: bit 0 is the plane written.
    pub cmd_planes: u8,
    /// WRITE: the 48-bit data word {priority, action}.
    pub cmd_data: u64,
    /// `{valid, field, hi[15:0], lo[15:0]}` (34 bits).
    pub cmd_range: u64,
}

/// The registered outputs after an edge (`cmd_ready` is [`RuleStage::cmd_ready`], before one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleStageOut {
    /// The active plane.
    pub active: bool,
    /// A READ's data is here (one edge).
    pub rd_valid: bool,
    /// READ: value.
    pub rd_value: KeyBits,
    /// READ: mask.
    pub rd_mask: KeyBits,
    /// READ: plane bits as programmed.
    pub rd_planes: u8,
    /// READ: data word.
    pub rd_data: u64,
    /// A key's result is here (one edge).
    pub res_valid: bool,
    /// Some entry matched.
    pub res_hit: bool,
    /// The winning entry (0 without a hit).
    pub res_index: u32,
    /// The winner's data word (0 without a hit).
    pub res_data: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    value: KeyBits,
    mask: KeyBits,
    data: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Checker {
    valid: bool,
    dport: bool,
    lo: u16,
    hi: u16,
}

/// A change keys see from edge `at` on.
#[derive(Clone, Copy, Debug)]
enum Change {
    Hide(usize),
    Show(usize, Entry, u8),
    Planes(usize, u8),
    Commit,
    Checker { plane: usize, n: usize, c: Checker },
}

/// The rule stage's state. [`RuleStage::edge`] is one rising edge.
#[derive(Clone, Debug)]
pub struct RuleStage {
    cfg: RuleStageConfig,
    edge: u64,
    /// Entries as keys see them, and their plane bits.
    seen: Vec<Entry>,
    planes: Vec<u8>,
    /// Entries as programmed (the shadow READ returns) and their programmed plane bits.
    shadow: Vec<Entry>,
    shadow_planes: Vec<u8>,
    checkers: [Vec<Checker>; 2],
    active: bool,
    changes: VecDeque<(u64, Change)>,
    /// The accepted command the engine acts on at the next edge.
    taken: Option<RuleStageIn>,
    /// The engine is busy (WRITE or READ) until this edge; it is idle after it.
    busy_until: u64,
    read_at: Option<(u64, usize)>,
    results: VecDeque<(u64, Option<usize>, u64)>,
    out: RuleStageOut,
}

impl RuleStage {
    /// The stage after its first `clr` edge.
    pub fn new(cfg: RuleStageConfig) -> RuleStage {
        assert!(cfg.entries.is_multiple_of(cfg.bank) && cfg.checkers <= 46);
        let mut s = RuleStage {
            cfg,
            edge: 0,
            seen: vec![Entry::default(); cfg.entries],
            planes: vec![0; cfg.entries],
            shadow: vec![Entry::default(); cfg.entries],
            shadow_planes: vec![0; cfg.entries],
            checkers: [
                vec![Checker::default(); cfg.checkers],
                vec![Checker::default(); cfg.checkers],
            ],
            active: false,
            changes: VecDeque::new(),
            taken: None,
            busy_until: 0,
            read_at: None,
            results: VecDeque::new(),
            out: RuleStageOut::default(),
        };
        s.edge(&RuleStageIn {
            clr: true,
            ..RuleStageIn::default()
        });
        s
    }

    /// The configuration.
    pub fn config(&self) -> RuleStageConfig {
        self.cfg
    }

    /// `cmd_ready` before the next edge.
    pub fn cmd_ready(&self) -> bool {
        let multi = self
            .taken
            .is_some_and(|c| c.cmd_op == op::WRITE || c.cmd_op == op::READ);
        self.edge >= self.busy_until && !multi
    }

    /// The registered outputs after the last edge.
    pub fn outputs(&self) -> RuleStageOut {
        self.out
    }

    /// One rising edge with inputs `i`.
    pub fn edge(&mut self, i: &RuleStageIn) {
        let ready = self.cmd_ready();
        self.edge += 1;
        let t = self.edge;
        self.out.rd_valid = false;
        self.out.res_valid = false;
        self.out.res_hit = false;
        self.out.res_index = 0;
        self.out.res_data = 0;
        if i.clr {
            self.planes.fill(0);
            for plane in &mut self.checkers {
                plane.iter_mut().for_each(|c| c.valid = false);
            }
            self.active = false;
            self.changes.clear();
            self.taken = None;
            self.busy_until = t;
            self.read_at = None;
            self.results.clear();
            self.out = RuleStageOut::default();
            return;
        }
        // The engine acts on the command taken at the previous edge.
        if let Some(c) = self.taken.take() {
            self.go(&c, t);
        }
        if i.cmd_valid && ready {
            if i.cmd_op == op::SIDE {
                let c = Checker {
                    valid: i.cmd_range >> 33 & 1 == 1,
                    dport: i.cmd_range >> 32 & 1 == 1,
                    lo: i.cmd_range as u16,
                    hi: (i.cmd_range >> 16) as u16,
                };
                let n = i.cmd_index as usize % self.cfg.checkers.next_power_of_two();
                self.changes.push_back((
                    t + 1,
                    Change::Checker {
                        plane: usize::from(i.cmd_planes & 1),
                        n,
                        c,
                    },
                ));
            }
            self.taken = Some(*i);
        }
        while self.changes.front().is_some_and(|&(at, _)| at <= t) {
            let (_, c) = self.changes.pop_front().expect("a change");
            self.apply(c);
        }
        if i.in_valid {
            let r = self.lookup(i);
            self.results.push_back((
                t + self.cfg.latency(),
                r,
                r.map_or(0, |e| self.seen[e].data),
            ));
        }
        if self.results.front().is_some_and(|&(at, _, _)| at == t) {
            let (_, r, data) = self.results.pop_front().expect("a result");
            self.out.res_valid = true;
            if let Some(e) = r {
                self.out.res_hit = true;
                self.out.res_index = e as u32;
                self.out.res_data = data;
            }
        }
        if let Some((at, e)) = self.read_at {
            if at == t {
                self.read_at = None;
                let s = self.shadow[e];
                self.out.rd_valid = true;
                self.out.rd_value = s.value;
                self.out.rd_mask = s.mask;
                self.out.rd_data = s.data;
                self.out.rd_planes = self.shadow_planes[e];
            }
        }
        self.out.active = self.active;
    }

    /// What the engine does at edge `t` with the command taken at `t - 1`.
    fn go(&mut self, c: &RuleStageIn, t: u64) {
        let e = c.cmd_index as usize % self.cfg.entries.next_power_of_two();
        let in_range = e < self.cfg.entries;
        match c.cmd_op {
            op::WRITE if in_range => {
                let entry = Entry {
                    value: self.trim(c.cmd_value),
                    mask: self.trim(c.cmd_mask),
                    data: c.cmd_data & 0xffff_ffff_ffff,
                };
                self.shadow[e] = entry;
                self.shadow_planes[e] = c.cmd_planes & 3;
                self.changes.push_back((t, Change::Hide(e)));
                self.changes
                    .push_back((t + WRITE_BUSY - 2, Change::Show(e, entry, c.cmd_planes & 3)));
                self.busy_until = t + WRITE_BUSY - 2;
            }
            op::PLANES if in_range => {
                self.shadow_planes[e] = c.cmd_planes & 3;
                self.changes
                    .push_back((t, Change::Planes(e, c.cmd_planes & 3)));
            }
            op::COMMIT => self.changes.push_back((t, Change::Commit)),
            op::READ if in_range => {
                self.read_at = Some((t + 1, e));
                self.busy_until = t + READ_BUSY - 2;
            }
            _ => {}
        }
    }

    fn apply(&mut self, c: Change) {
        match c {
            Change::Hide(e) => self.planes[e] = 0,
            Change::Show(e, entry, planes) => {
                self.seen[e] = entry;
                self.planes[e] = planes;
            }
            Change::Planes(e, planes) => self.planes[e] = planes,
            Change::Commit => self.active = !self.active,
            Change::Checker { plane, n, c } => {
                if n < self.cfg.checkers {
                    self.checkers[plane][n] = c;
                }
            }
        }
    }

    /// Clears bits at and above the key width (the ports are that wide).
    fn trim(&self, mut v: KeyBits) -> KeyBits {
        let bits = self.cfg.key_bits();
        for (w, word) in v.iter_mut().enumerate() {
            let lo = 32 * w;
            if lo >= bits {
                *word = 0;
            } else if bits - lo < 32 {
                *word &= (1u32 << (bits - lo)) - 1;
            }
        }
        v
    }

    /// The key as the stage builds it, with the checker hits of `plane`.
    fn key(&self, i: &RuleStageIn, plane: usize) -> KeyBits {
        let r = self.cfg.checkers;
        let mut k = [0u32; 5];
        let mut put = |lsb: usize, width: usize, v: u64| {
            for b in 0..width {
                let bit = lsb + b;
                k[bit / 32] |= ((v >> b & 1) as u32) << (bit % 32);
            }
        };
        for (j, c) in self.checkers[plane].iter().enumerate() {
            let port = if c.dport { i.dport } else { i.sport };
            put(j, 1, u64::from(c.valid && c.lo <= port && port <= c.hi));
        }
        put(r, 16, u64::from(i.sport));
        put(r + 16, 16, u64::from(i.dport));
        put(r + 32, 8, u64::from(i.flags));
        put(r + 40, 8, u64::from(i.proto));
        put(r + 48, 1, u64::from(i.dst_local));
        put(r + 49, 1, u64::from(i.src_local));
        put(r + 50, 32, u64::from(i.dst));
        put(r + 82, 32, u64::from(i.src));
        k
    }

    /// The lowest-index entry in the active plane whose value/mask accepts the key.
    fn lookup(&self, i: &RuleStageIn) -> Option<usize> {
        let plane = usize::from(self.active);
        let k = self.key(i, plane);
        (0..self.cfg.entries).find(|&e| {
            let s = &self.seen[e];
            self.planes[e] >> plane & 1 == 1 && (0..5).all(|w| (k[w] ^ s.value[w]) & s.mask[w] == 0)
        })
    }
}
