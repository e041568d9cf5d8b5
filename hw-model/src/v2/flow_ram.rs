//! The RTL 2.0 flow cache (`rtl/v2/gufc_flow_ram.v`) edge for edge, IPv4 keys: two-choice
//! lookups at one key per clock, the command engine, hit-state updates, every output bit defined.
//!
//! The model keeps the slots as lookups see them and the edges at which the engine's slot and
//! hit-state writes land (the RTL's RAM copies, forwarding and row registers are how it gets
//! there): a key accepted at edge k is looked up in the slots as written at edges <= k+4 and its
//! result is out after k+8; each command's writes land at the edges its contract names.

use std::collections::VecDeque;

use gufc_regmap::buckets_of_fold;

/// Command opcodes (`cmd_op`).
pub mod op {
    /// Write slot `slot`: valid, key, action, pinned, interest, epoch := the current one.
    pub const WRITE: u8 = 0;
    /// Read slot `slot` back with its hit state; then HIT := 0.
    pub const READ: u8 = 1;
    /// Empty slot `slot`.
    pub const CLEAR: u8 = 2;
    /// Move slot `slot` to the empty slot `arg`.
    pub const MOVE: u8 = 3;
    /// Stamp slot `slot` with the current epoch.
    pub const TOUCH: u8 = 4;
    /// Set slot `slot`'s interest.
    pub const SET_INTEREST: u8 = 5;
}

/// Edges from a key's acceptance to the lookup (the RAM read edge).
const READ_EDGE: u64 = 4;
/// Edges from a key's acceptance to its result.
pub const LATENCY: u64 = 8;
/// FLOW_INTEREST bits a slot stores.
const INT_MASK: u32 = (1 << 19) - 1;

/// An IPv4 flow key: the 104 key bits, LSB first sport 16, dport 16, proto 8, dst 32, src 32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Source address.
    pub src: u32,
    /// Destination address.
    pub dst: u32,
    /// IP protocol.
    pub proto: u8,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
}

impl FlowKey {
    /// Its two candidate buckets among `2^log2_buckets` (the 1.x hash, `gufc_regmap`).
    pub fn buckets(&self, log2_buckets: u32) -> (u32, u32) {
        let words = [
            self.src,
            0,
            0,
            0,
            self.dst,
            0,
            0,
            0,
            u32::from(self.proto),
            u32::from(self.sport) | u32::from(self.dport) << 16,
        ];
        buckets_of_fold(gufc_regmap::fold(&words), log2_buckets)
    }

    /// From the key port's four 32-bit words.
    pub fn from_words(w: [u32; 4]) -> FlowKey {
        FlowKey {
            sport: w[0] as u16,
            dport: (w[0] >> 16) as u16,
            proto: w[1] as u8,
            dst: w[1] >> 8 | w[2] << 24,
            src: w[2] >> 8 | w[3] << 24,
        }
    }

    /// As the key port's four 32-bit words.
    pub fn to_words(self) -> [u32; 4] {
        [
            u32::from(self.sport) | u32::from(self.dport) << 16,
            u32::from(self.proto) | self.dst << 8,
            self.dst >> 24 | self.src << 8,
            self.src >> 24,
        ]
    }
}

/// A slot's word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    /// The slot holds a flow.
    pub valid: bool,
    /// Its key.
    pub key: FlowKey,
    /// Its action word.
    pub action: u32,
    /// Current whatever the epoch.
    pub pinned: bool,
    /// The epoch it was written or touched in.
    pub epoch: u8,
    /// FLOW_INTEREST (19 bits).
    pub interest: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct HitState {
    hit: bool,
    last: u32,
}

/// One edge's inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowIn {
    /// Synchronous clear: keys in flight dropped, every slot emptied by a sweep.
    pub clr: bool,
    /// The current epoch.
    pub epoch: u8,
    /// A key is offered (always taken).
    pub in_valid: bool,
    /// The key.
    pub key: FlowKey,
    /// A hit-state update: HIT := 1, LAST_HIT := `upd_cycle` on `upd_slot`.
    pub upd_en: bool,
    /// The slot it updates.
    pub upd_slot: u32,
    /// The cycle it records.
    pub upd_cycle: u32,
    /// A command is offered.
    pub cmd_valid: bool,
    /// Its opcode ([`op`]).
    pub cmd_op: u8,
    /// The slot it names.
    pub cmd_slot: u32,
    /// MOVE: the destination slot.
    pub cmd_arg: u32,
    /// WRITE: the key.
    pub cmd_key: FlowKey,
    /// WRITE: the action.
    pub cmd_action: u32,
    /// WRITE: pinned.
    pub cmd_pinned: bool,
    /// WRITE, SET_INTEREST: the interest.
    pub cmd_interest: u32,
}

/// The registered outputs after an edge; every field is 0 unless it carries something.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowOut {
    /// A key's result is here (one edge).
    pub res_valid: bool,
    /// A valid slot holds the key.
    pub res_hit: bool,
    /// That slot (the first in the order b1 ways 0.., b2 ways 0..).
    pub res_slot: u32,
    /// Pinned, or its epoch is the key's.
    pub res_current: bool,
    /// Its action.
    pub res_action: u32,
    /// Its interest.
    pub res_interest: u32,
    /// A READ's data is here (one edge).
    pub rd_valid: bool,
    /// READ: the slot's word (all 0 for an empty slot).
    pub rd: Slot,
    /// READ: HIT.
    pub rd_hit: bool,
    /// READ: LAST_HIT.
    pub rd_last_hit: u32,
    /// A MOVE's answer is here (one edge).
    pub mv_valid: bool,
    /// The MOVE took place (source valid, destination empty).
    pub mv_ok: bool,
}

/// A lookup's hit: the slot, whether it is current, and its action and interest then.
#[derive(Clone, Copy, Debug)]
struct Hit {
    slot: usize,
    current: bool,
    action: u32,
    interest: u32,
}

/// What the engine does to a hit state at an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HsAct {
    /// Record the slot's hit state after this edge's update under the tag.
    Snapshot,
    /// Write the tagged snapshot (or zeros, tag 0); beats a same-edge update.
    Write,
    /// READ's HIT := 0; loses to a same-edge update.
    Clear,
    /// A clear cancelled by an update one edge earlier.
    Cancelled,
}

/// The flow cache. [`FlowRam::edge`] is one rising edge.
#[derive(Clone, Debug)]
pub struct FlowRam {
    buckets: usize,
    ways: usize,
    log2_buckets: u32,
    edge: u64,
    slots: Vec<Slot>,
    hit_state: Vec<HitState>,
    keys: VecDeque<(u64, FlowKey, u8)>,
    /// Results due: (edge, the hit as looked up).
    results: VecDeque<(u64, Option<Hit>)>,
    slot_writes: VecDeque<(u64, usize, Slot)>,
    hs_acts: VecDeque<(u64, HsAct, usize, u64)>,
    /// Snapshots by tag (tag 0 = zeros), removed when used.
    snaps: Vec<(u64, HitState)>,
    next_tag: u64,
    reads: VecDeque<(u64, Slot, u64)>,
    moves: VecDeque<(u64, bool)>,
    busy_until: u64,
    sweep_until: u64,
    out: FlowOut,
}

impl FlowRam {
    /// `buckets` x `ways` slots (powers of two, ways >= 2), after the first `clr` edge.
    pub fn new(buckets: usize, ways: usize) -> FlowRam {
        assert!(buckets.is_power_of_two() && buckets >= 2 && ways.is_power_of_two() && ways >= 2);
        let mut f = FlowRam {
            buckets,
            ways,
            log2_buckets: buckets.trailing_zeros(),
            edge: 0,
            slots: vec![Slot::default(); buckets * ways],
            hit_state: vec![HitState::default(); buckets * ways],
            keys: VecDeque::new(),
            results: VecDeque::new(),
            slot_writes: VecDeque::new(),
            hs_acts: VecDeque::new(),
            snaps: Vec::new(),
            next_tag: 1,
            reads: VecDeque::new(),
            moves: VecDeque::new(),
            busy_until: 0,
            sweep_until: 0,
            out: FlowOut::default(),
        };
        f.edge(&FlowIn {
            clr: true,
            ..FlowIn::default()
        });
        f
    }

    /// `cmd_ready` before the next edge.
    pub fn cmd_ready(&self) -> bool {
        self.edge + 1 >= self.busy_until
    }

    /// The registered outputs after the last edge.
    pub fn outputs(&self) -> FlowOut {
        self.out
    }

    fn slot_index(&self, s: u32) -> usize {
        s as usize % (self.buckets * self.ways)
    }

    fn snapshot(&mut self, tag: u64) -> HitState {
        match self.snaps.iter().position(|s| s.0 == tag) {
            Some(i) => self.snaps.swap_remove(i).1,
            None => HitState::default(),
        }
    }

    /// One rising edge with inputs `i`.
    pub fn edge(&mut self, i: &FlowIn) {
        let ready = self.cmd_ready();
        self.edge += 1;
        let t = self.edge;
        self.out = FlowOut::default();
        if i.clr {
            self.slots.fill(Slot::default());
            self.keys.clear();
            self.results.clear();
            self.slot_writes.clear();
            self.hs_acts.clear();
            self.snaps.clear();
            self.reads.clear();
            self.moves.clear();
            self.sweep_until = t + self.buckets as u64;
            self.busy_until = t + self.buckets as u64 + 1;
            return;
        }
        // Slot words written at this edge (a command accepted here reads them).
        while self.slot_writes.front().is_some_and(|w| w.0 == t) {
            let (_, s, w) = self.slot_writes.pop_front().expect("a write");
            self.slots[s] = w;
        }
        if i.cmd_valid && ready {
            self.command(i, t);
        }
        self.hit_states(i, t);
        // Keys read at this edge.
        if i.in_valid {
            self.keys.push_back((t, i.key, i.epoch));
        }
        while self.keys.front().is_some_and(|k| k.0 + READ_EDGE == t) {
            let (k, key, epoch) = self.keys.pop_front().expect("a key");
            let hit = if t > self.sweep_until {
                self.lookup(&key, epoch)
            } else {
                None
            };
            self.results.push_back((k + LATENCY, hit));
        }
        if self.results.front().is_some_and(|r| r.0 == t) {
            let (_, hit) = self.results.pop_front().expect("a result");
            self.out.res_valid = true;
            if let Some(h) = hit {
                self.out.res_hit = true;
                self.out.res_slot = h.slot as u32;
                self.out.res_current = h.current;
                self.out.res_action = h.action;
                self.out.res_interest = h.interest;
            }
        }
        if self.reads.front().is_some_and(|r| r.0 == t) {
            let (_, w, tag) = self.reads.pop_front().expect("a read");
            let hs = self.snapshot(tag);
            self.out.rd_valid = true;
            if w.valid {
                self.out.rd = w;
                self.out.rd_hit = hs.hit;
                self.out.rd_last_hit = hs.last;
            }
        }
        if self.moves.front().is_some_and(|m| m.0 == t) {
            let (_, ok) = self.moves.pop_front().expect("a move");
            self.out.mv_valid = true;
            self.out.mv_ok = ok;
        }
    }

    /// The first valid slot holding `key` in the order b1 ways 0.., b2 ways 0..
    fn lookup(&self, key: &FlowKey, epoch: u8) -> Option<Hit> {
        let (b1, b2) = key.buckets(self.log2_buckets);
        [b1, b2]
            .iter()
            .flat_map(|&b| (0..self.ways).map(move |w| b as usize * self.ways + w))
            .find(|&s| self.slots[s].valid && self.slots[s].key == *key)
            .map(|s| {
                let w = self.slots[s];
                Hit {
                    slot: s,
                    current: w.pinned || w.epoch == epoch,
                    action: w.action,
                    interest: w.interest,
                }
            })
    }

    /// A command accepted at edge `t`: its slot and hit-state writes, read-back, busy time.
    fn command(&mut self, i: &FlowIn, t: u64) {
        let s = self.slot_index(i.cmd_slot);
        let cur = self.slots[s];
        match i.cmd_op {
            op::WRITE => {
                let w = Slot {
                    valid: true,
                    key: i.cmd_key,
                    action: i.cmd_action,
                    pinned: i.cmd_pinned,
                    epoch: i.epoch,
                    interest: i.cmd_interest & INT_MASK,
                };
                self.slot_writes.push_back((t + 1, s, w));
                self.hs_acts.push_back((t + 1, HsAct::Write, s, 0));
                self.busy_until = t + 1;
            }
            op::CLEAR => {
                self.slot_writes.push_back((t + 1, s, Slot::default()));
                self.busy_until = t + 1;
            }
            op::TOUCH | op::SET_INTEREST => {
                if cur.valid {
                    let mut w = cur;
                    if i.cmd_op == op::TOUCH {
                        w.epoch = i.epoch;
                    } else {
                        w.interest = i.cmd_interest & INT_MASK;
                    }
                    self.slot_writes.push_back((t + 4, s, w));
                }
                self.busy_until = t + 4;
            }
            op::READ => {
                let tag = self.tag();
                self.hs_acts.push_back((t + 1, HsAct::Snapshot, s, tag));
                if cur.valid {
                    self.hs_acts.push_back((t + 3, HsAct::Clear, s, tag));
                }
                self.reads.push_back((t + 2, cur, tag));
                self.busy_until = t + 3;
            }
            op::MOVE => {
                let d = self.slot_index(i.cmd_arg);
                let ok = cur.valid && !self.slots[d].valid;
                if ok {
                    let tag = self.tag();
                    self.hs_acts.push_back((t + 1, HsAct::Snapshot, s, tag));
                    self.slot_writes.push_back((t + 5, d, cur));
                    self.hs_acts.push_back((t + 5, HsAct::Write, d, tag));
                    self.slot_writes.push_back((t + 6, s, Slot::default()));
                }
                self.moves.push_back((t + 4, ok));
                self.busy_until = t + 6;
            }
            _ => self.busy_until = t + 3, // unknown: busy as a READ, no effect
        }
        // The queues stay in edge order without sorting: a command's writes all land by the edge
        // the next command is taken at (busy_until), and each pushes them in order.
    }

    fn tag(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    /// The hit state at edge `t`: the engine's write and the update, by precedence; then the
    /// snapshots of this edge.
    fn hit_states(&mut self, i: &FlowIn, t: u64) {
        let upd = i.upd_en.then(|| self.slot_index(i.upd_slot));
        // A READ's clear of the next edge is cancelled by an update on its slot at this edge.
        for a in self.hs_acts.iter_mut() {
            if a.1 == HsAct::Clear && a.0 == t + 1 && upd == Some(a.2) {
                a.1 = HsAct::Cancelled;
            }
        }
        let act = self.hs_acts.front().filter(|a| a.0 == t).copied();
        let mut apply_upd = upd.is_some();
        let mut engine = act.filter(|a| matches!(a.1, HsAct::Write | HsAct::Clear));
        if let (Some(a), Some(u)) = (engine, upd) {
            if a.2 == u {
                if a.1 == HsAct::Write {
                    apply_upd = false;
                } else {
                    engine = None;
                }
            }
        }
        if let (true, Some(u)) = (apply_upd, upd) {
            self.hit_state[u] = HitState {
                hit: true,
                last: i.upd_cycle,
            };
        }
        if let Some((_, kind, s, tag)) = engine {
            if kind == HsAct::Write {
                self.hit_state[s] = if tag == 0 {
                    HitState::default()
                } else {
                    self.snapshot(tag)
                };
            } else {
                self.hit_state[s].hit = false;
            }
        }
        while self.hs_acts.front().is_some_and(|a| a.0 == t) {
            let (_, kind, s, tag) = self.hs_acts.pop_front().expect("an act");
            if kind == HsAct::Snapshot {
                self.snaps.push((tag, self.hit_state[s]));
            }
        }
    }
}
