//! The RTL 2.0 IPv4 rule stage (`rtl/v2/gufc_tcam_v4.v`) edge for edge: the same ports, the
//! same outputs on the same edge, every output bit defined.
//!
//! The model keeps what the stage's contract speaks of, not its RAM rows: each entry as keys see
//! it (value, mask, data word, and which rows of the plane slice admit it: a key reads one of
//! those rows, chosen by its plane and the key bits below the plane in that slice) and as it was
//! programmed, the checkers and protocol classes of both planes, the active plane, and the edges
//! at which pending command effects become visible. A key is decided at its acceptance edge
//! against that view and its result is released `latency` edges later; the contract makes this
//! exact (the data word a key reads is the one its entry had when the key was accepted).

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
    /// Write protocol class `index` (1..7) of plane `planes & 1` from `range` (valid bit 33,
    /// protocol bits 7:0).
    pub const CLASS: u8 = 5;
}

/// Cycles from a READ's acceptance until the stage takes the next command.
pub const READ_BUSY: u64 = 3;

/// The stage's parameters (`ENTRIES`, `CHECKERS`, `BANK`, `SLICE_BITS`, `FLAG_BITS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleStageConfig {
    /// TCAM entries, a multiple of `bank`.
    pub entries: usize,
    /// Port-range checkers (at most 46: the key must fit [`KeyBits`]).
    pub checkers: usize,
    /// Entries per bank, a power of two ≥ 8.
    pub bank: usize,
    /// Key bits per RAM slice: 4 (16x4 RAMs, 4 entries a row) or 5 (32x2, 2 entries a row).
    pub slice_bits: u32,
    /// TCP flag bits matched, from FIN up: 6 (FIN SYN RST PSH ACK URG) or 8 (also ECE CWR).
    pub flag_bits: u32,
}

impl Default for RuleStageConfig {
    fn default() -> Self {
        RuleStageConfig {
            entries: 1024,
            checkers: 16,
            bank: 64,
            slice_bits: 4,
            flag_bits: 6,
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
    /// Key bits: checker hits, then the 7-tuple with the protocol's 3-bit class, and TCP flags.
    pub fn key_bits(&self) -> usize {
        self.checkers + 101 + self.flag_bits as usize
    }

    /// Entries per RAM row group.
    fn group(&self) -> u64 {
        if self.slice_bits == 5 {
            2
        } else {
            4
        }
    }

    /// Key bits below the plane bit in the last RAM slice (the plane is one more match bit).
    fn low_bits(&self) -> usize {
        let sb = self.slice_bits as usize;
        let slices = (self.key_bits() + sb) / sb;
        self.key_bits() - sb * (slices - 1)
    }

    /// Rows of the last slice a key can read (its plane and the bits below it): the rows a
    /// plane change rewrites.
    fn plane_rows(&self) -> u64 {
        2 << self.low_bits()
    }

    /// Edges from a WRITE's or PLANES's acceptance to the first row write keys see.
    fn first_row(&self) -> u64 {
        self.group() + 3
    }

    /// Cycles from a WRITE's acceptance until the stage takes the next command: the engine's
    /// edge, a read of each entry of the row group and one more, the hide rows, every RAM row,
    /// the show rows (55 with 4-bit slices and 6 flags, 39 with 8 flags, 41 with 5-bit slices
    /// and 8 flags).
    pub fn write_busy(&self) -> u64 {
        self.group() + 3 + 2 * self.plane_rows() + (1 << self.slice_bits)
    }

    /// Cycles from a PLANES's acceptance until the stage takes the next command (23 with 4-bit
    /// slices and 6 flags).
    pub fn planes_busy(&self) -> u64 {
        self.group() + 3 + self.plane_rows()
    }

    /// Cycles after `clr` without commands: the sweep over every RAM row and shadow word.
    pub fn sweep(&self) -> u64 {
        (self.entries as u64).max(1 << self.slice_bits)
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
    /// Synchronous clear: drops keys in flight, empties planes, checkers and classes.
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
    /// WRITE/PLANES: plane bits; SIDE, CLASS: bit 0 is the plane written.
    pub cmd_planes: u8,
    /// WRITE: the 48-bit data word {priority, action}.
    pub cmd_data: u64,
    /// SIDE: `{valid, field, hi[15:0], lo[15:0]}` (34 bits); CLASS: `{valid, 25'b0, protocol}`.
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
struct Class {
    valid: bool,
    proto: u8,
}

#[derive(Clone, Copy, Debug, Default)]
struct Checker {
    valid: bool,
    dport: bool,
    lo: u16,
    hi: u16,
}

/// A change keys see from edge `at` on. Row changes name an entry and a plane-slice row.
#[derive(Clone, Copy, Debug)]
enum Change {
    Hide(usize, u32),
    Show(usize, u32, Entry, u8),
    Planes(usize, u32, u8),
    Commit,
    Checker { plane: usize, n: usize, c: Checker },
    Class { plane: usize, n: usize, c: Class },
}

/// The rule stage's state. [`RuleStage::edge`] is one rising edge.
#[derive(Clone, Debug)]
pub struct RuleStage {
    cfg: RuleStageConfig,
    edge: u64,
    /// Entries as keys see them, and the plane-slice rows that admit each (bit a: row a).
    seen: Vec<Entry>,
    rows: Vec<u32>,
    /// Entries as programmed (the shadow READ returns), written since the last `clr`, and their
    /// programmed plane bits.
    shadow: Vec<Entry>,
    written: Vec<bool>,
    shadow_planes: Vec<u8>,
    checkers: [Vec<Checker>; 2],
    classes: [[Class; 8]; 2],
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
        assert!(cfg.slice_bits == 4 || cfg.slice_bits == 5);
        assert!(cfg.flag_bits == 6 || cfg.flag_bits == 8);
        let mut s = RuleStage {
            cfg,
            edge: 0,
            seen: vec![Entry::default(); cfg.entries],
            rows: vec![0; cfg.entries],
            shadow: vec![Entry::default(); cfg.entries],
            written: vec![false; cfg.entries],
            shadow_planes: vec![0; cfg.entries],
            checkers: [
                vec![Checker::default(); cfg.checkers],
                vec![Checker::default(); cfg.checkers],
            ],
            classes: [[Class::default(); 8]; 2],
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
            .is_some_and(|c| matches!(c.cmd_op, op::WRITE | op::PLANES | op::READ));
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
            self.rows.fill(0);
            self.written.fill(false);
            for plane in &mut self.checkers {
                plane.iter_mut().for_each(|c| c.valid = false);
            }
            self.classes = [[Class::default(); 8]; 2];
            self.active = false;
            self.changes.clear();
            self.taken = None;
            self.busy_until = t + self.cfg.sweep();
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
            if i.cmd_op == op::CLASS && i.cmd_index & 7 != 0 {
                let c = Class {
                    valid: i.cmd_range >> 33 & 1 == 1,
                    proto: i.cmd_range as u8,
                };
                self.changes.push_back((
                    t + 1,
                    Change::Class {
                        plane: usize::from(i.cmd_planes & 1),
                        n: (i.cmd_index & 7) as usize,
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
                let s = if self.written[e] {
                    self.shadow[e]
                } else {
                    Entry::default()
                };
                self.out.rd_valid = true;
                self.out.rd_value = s.value;
                self.out.rd_mask = s.mask;
                self.out.rd_data = s.data;
                self.out.rd_planes = if self.written[e] {
                    self.shadow_planes[e]
                } else {
                    0
                };
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
                let planes = c.cmd_planes & 3;
                self.shadow[e] = entry;
                self.written[e] = true;
                self.shadow_planes[e] = planes;
                // Hide: the plane rows without the entry; then every row; show: the plane rows
                // with the new entry (gufc_tcam_update's edges, from go = c+1).
                let first = t + self.cfg.first_row() - 1;
                let rows = self.cfg.plane_rows();
                let shown = first + rows + (1 << self.cfg.slice_bits);
                for a in 0..rows {
                    self.changes
                        .push_back((first + a, Change::Hide(e, a as u32)));
                }
                for a in 0..rows {
                    self.changes
                        .push_back((shown + a, Change::Show(e, a as u32, entry, planes)));
                }
                self.busy_until = t + self.cfg.write_busy() - 2;
            }
            op::PLANES if in_range => {
                let planes = c.cmd_planes & 3;
                self.shadow_planes[e] = planes;
                if self.written[e] {
                    let first = t + self.cfg.first_row() - 1;
                    for a in 0..self.cfg.plane_rows() {
                        self.changes
                            .push_back((first + a, Change::Planes(e, a as u32, planes)));
                    }
                }
                self.busy_until = t + self.cfg.planes_busy() - 2;
            }
            op::COMMIT => self.changes.push_back((t, Change::Commit)),
            op::READ if in_range => {
                self.read_at = Some((t + 1, e));
                self.busy_until = t + READ_BUSY - 2;
            }
            _ => {}
        }
    }

    /// Whether row `a` of the plane slice admits an entry in `planes`.
    fn admits(&self, a: u32, planes: u8) -> bool {
        planes >> (a >> self.cfg.low_bits()) & 1 == 1
    }

    fn apply(&mut self, c: Change) {
        match c {
            Change::Hide(e, a) => self.rows[e] &= !(1 << a),
            Change::Show(e, a, entry, planes) => {
                self.seen[e] = entry;
                let on = self.admits(a, planes);
                self.rows[e] = self.rows[e] & !(1 << a) | u32::from(on) << a;
            }
            Change::Planes(e, a, planes) => {
                let on = self.admits(a, planes);
                self.rows[e] = self.rows[e] & !(1 << a) | u32::from(on) << a;
            }
            Change::Commit => self.active = !self.active,
            Change::Checker { plane, n, c } => {
                if n < self.cfg.checkers {
                    self.checkers[plane][n] = c;
                }
            }
            Change::Class { plane, n, c } => self.classes[plane][n] = c,
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

    /// The key as the stage builds it, with the checker hits and protocol classes of `plane`.
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
        let class = (1..8)
            .find(|&n| {
                let c = self.classes[plane][n];
                c.valid && c.proto == i.proto
            })
            .unwrap_or(0);
        let fb = self.cfg.flag_bits as usize;
        put(r + 32, fb, u64::from(i.flags));
        put(r + 32 + fb, 3, class as u64);
        put(r + 35 + fb, 1, u64::from(i.dst_local));
        put(r + 36 + fb, 1, u64::from(i.src_local));
        put(r + 37 + fb, 32, u64::from(i.dst));
        put(r + 69 + fb, 32, u64::from(i.src));
        k
    }

    /// The lowest-index entry in the active plane whose value/mask accepts the key.
    fn lookup(&self, i: &RuleStageIn) -> Option<usize> {
        let plane = usize::from(self.active);
        let k = self.key(i, plane);
        let low = self.cfg.low_bits();
        let base = self.cfg.key_bits() - low;
        let below = (0..low).fold(0u32, |v, b| {
            v | (k[(base + b) / 32] >> ((base + b) % 32) & 1) << b
        });
        let row = (plane as u32) << low | below;
        (0..self.cfg.entries).find(|&e| {
            let s = &self.seen[e];
            self.rows[e] >> row & 1 == 1 && (0..5).all(|w| (k[w] ^ s.value[w]) & s.mask[w] == 0)
        })
    }
}
