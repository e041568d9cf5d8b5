//! Commands (writes to CMD): the checks in the documented order, then the effect, all at the
//! edge of the write (docs/timing.md, "Commands").

use gufc_regmap::{
    counter_space, field, interest_mode, key, opcode, reason_code, Action, TcamEntry, KEY_WORDS,
};

use crate::counters::{Counter, GLOBALS};
use crate::flow::FlowSlot;
use crate::locality::LocalEntry;
use crate::model::{Killed, Model};
use crate::pipeline::Item;
use crate::regs::Regs;
use crate::tcam::TcamSlot;

/// Reserved bits of the PLANES register.
const PLANES_RESERVED: u32 = !field::PLANES_PLANES.mask();
/// Reserved bits of FLOW_FLAGS.
const FLOW_FLAGS_RESERVED: u32 = !field::FLOW_FLAGS_PINNED.mask();

/// FLOW_INTEREST holds a defined MODE, no reserved bits, and a PERIOD for SAMPLE.
fn interest_ok(w: u32) -> bool {
    let known = field::FLOW_INTEREST_MODE.mask() | field::FLOW_INTEREST_PERIOD.mask();
    let mode = field::FLOW_INTEREST_MODE.get(w);
    let sample = interest_mode::SAMPLE as u32;
    w & !known == 0
        && mode <= sample
        && !(mode == sample && field::FLOW_INTEREST_PERIOD.get(w) == 0)
}

impl Model {
    /// Executes the command word `cmd`, or records why it was rejected.
    pub(crate) fn command(&mut self, cmd: u32) -> Killed {
        let op = field::CMD_OPCODE.get(cmd) as u8;
        let index = field::CMD_INDEX.get(cmd);
        match self.check(op, index) {
            Ok(()) => self.execute(op, index),
            Err(reason) => {
                self.regs.reject(reason, op, index);
                None
            }
        }
    }

    fn space_size(&self, space: u32) -> Option<u32> {
        match u8::try_from(space).ok()? {
            counter_space::TCAM => Some(self.config.tcam_entries),
            counter_space::FLOW => Some(self.config.flow_entries()),
            counter_space::CHANNEL => Some(self.config.channels),
            counter_space::GLOBAL => Some(GLOBALS as u32),
            _ => None,
        }
    }

    /// The first rejection reason that applies, in the documented order.
    fn check(&self, op: u8, i: u32) -> Result<(), u8> {
        let r = &self.regs;
        let n = self.config.tcam_entries;
        let m = self.config.flow_entries();
        let fail = |bad: bool, reason: u8| if bad { Err(reason) } else { Ok(()) };
        let meta_reserved = |w: u32| w & !TcamEntry::META_BITS != 0;
        match op {
            opcode::TCAM_WRITE => {
                fail(i >= n, reason_code::BAD_INDEX)?;
                fail(
                    r.planes & PLANES_RESERVED != 0
                        || meta_reserved(r.key[key::META])
                        || meta_reserved(r.mask[key::META]),
                    reason_code::BAD_FLAGS,
                )?;
                fail(self.staged_action().is_none(), reason_code::BAD_ACTION)?;
                let (slo, shi) = Regs::range(r.sport_range);
                let (dlo, dhi) = Regs::range(r.dport_range);
                fail(slo > shi || dlo > dhi, reason_code::BAD_RANGE)?;
                fail(
                    (0..KEY_WORDS).any(|w| r.key[w] & !r.mask[w] != 0),
                    reason_code::VALUE_OUTSIDE_MASK,
                )
            }
            opcode::TCAM_READ => fail(i >= n, reason_code::BAD_INDEX),
            opcode::TCAM_SET_PLANES => {
                fail(i >= n, reason_code::BAD_INDEX)?;
                fail(r.planes & PLANES_RESERVED != 0, reason_code::BAD_FLAGS)
            }
            opcode::COMMIT => Ok(()),
            opcode::FLOW_WRITE => {
                fail(i >= m, reason_code::BAD_INDEX)?;
                fail(
                    r.flow_flags & FLOW_FLAGS_RESERVED != 0
                        || meta_reserved(r.key[key::META])
                        || !interest_ok(r.flow_interest),
                    reason_code::BAD_FLAGS,
                )?;
                fail(self.staged_action().is_none(), reason_code::BAD_ACTION)
            }
            opcode::FLOW_READ | opcode::FLOW_CLEAR | opcode::FLOW_TOUCH => {
                fail(i >= m, reason_code::BAD_INDEX)
            }
            opcode::FLOW_SET_INTEREST => {
                fail(i >= m, reason_code::BAD_INDEX)?;
                fail(!interest_ok(r.flow_interest), reason_code::BAD_FLAGS)
            }
            opcode::FLOW_MOVE => {
                fail(i >= m || r.cmd_arg >= m, reason_code::BAD_INDEX)?;
                let flows = &self.flows.slots;
                fail(
                    !flows[i as usize].valid || flows[r.cmd_arg as usize].valid,
                    reason_code::MOVE_CONFLICT,
                )
            }
            opcode::LOCAL_WRITE => fail(i >= self.config.local_entries, reason_code::BAD_INDEX),
            opcode::CNT_READ | opcode::CNT_CLEAR => fail(
                self.space_size(r.cmd_arg).is_none_or(|size| i >= size),
                reason_code::BAD_INDEX,
            ),
            opcode::PROBE => fail(r.probe_busy, reason_code::PROBE_BUSY),
            _ => Err(reason_code::BAD_OPCODE),
        }
    }

    /// The effect of a command that passed its checks.
    fn execute(&mut self, op: u8, i: u32) -> Killed {
        let iu = i as usize;
        match op {
            opcode::TCAM_WRITE => {
                let r = &self.regs;
                let action = self.staged_action().unwrap_or(Action::Drop);
                let slot = TcamSlot {
                    entry: TcamEntry {
                        value: r.key,
                        mask: r.mask,
                        sport: Regs::range(r.sport_range),
                        dport: Regs::range(r.dport_range),
                        prio: field::PRIO_PRIO.get(r.prio) as u16,
                        action,
                    },
                    action_word: r.action,
                    planes: field::PLANES_PLANES.get(r.planes) as u8,
                };
                self.tcam.write(iu, slot);
                self.counters.tcam[iu] = Counter::default();
                return Some((counter_space::TCAM, i));
            }
            opcode::TCAM_READ => {
                let s = self.tcam.slots[iu];
                let r = &mut self.regs;
                r.key = s.entry.value;
                r.mask = s.entry.mask;
                r.sport_range = s.entry.sport.0 as u32 | (s.entry.sport.1 as u32) << 16;
                r.dport_range = s.entry.dport.0 as u32 | (s.entry.dport.1 as u32) << 16;
                r.prio = s.entry.prio as u32;
                r.action = s.action_word;
                r.planes = s.planes as u32;
            }
            opcode::TCAM_SET_PLANES => {
                self.tcam
                    .set_planes(iu, field::PLANES_PLANES.get(self.regs.planes) as u8);
            }
            opcode::COMMIT => {
                self.tcam.flip_plane();
                self.regs.epoch = self.regs.epoch.wrapping_add(1);
            }
            opcode::FLOW_WRITE => {
                let r = &self.regs;
                let mut k = r.key;
                k[key::META] &=
                    !(gufc_regmap::meta::SRC_LOCAL.mask() | gufc_regmap::meta::DST_LOCAL.mask());
                let slot = FlowSlot {
                    valid: true,
                    key: k,
                    action_word: r.action,
                    action: self.staged_action().unwrap_or(Action::Drop),
                    pinned: field::FLOW_FLAGS_PINNED.get(r.flow_flags) != 0,
                    epoch: r.epoch,
                    hit: false,
                    last_hit: 0,
                    interest: r.flow_interest,
                };
                self.flows.put(iu, slot);
                self.counters.flow[iu] = Counter::default();
                return Some((counter_space::FLOW, i));
            }
            opcode::FLOW_READ => {
                let s = self.flows.slots[iu];
                let s = if s.valid { s } else { FlowSlot::default() };
                let r = &mut self.regs;
                r.key = s.key;
                r.action = s.action_word;
                r.flow_flags = field::FLOW_FLAGS_PINNED.put(s.pinned as u32);
                r.flow_state = field::FLOW_STATE_EPOCH.put(s.epoch as u32)
                    | field::FLOW_STATE_VALID.put(s.valid as u32)
                    | field::FLOW_STATE_HIT.put(s.hit as u32)
                    | field::FLOW_STATE_STALE.put((s.valid && !s.current(r.epoch)) as u32);
                r.flow_last_hit = s.last_hit;
                r.flow_interest = s.interest;
                self.flows.slots[iu].hit = false;
            }
            opcode::FLOW_CLEAR => {
                self.flows.put(iu, FlowSlot::default());
                self.counters.flow[iu] = Counter::default();
                return Some((counter_space::FLOW, i));
            }
            opcode::FLOW_MOVE => {
                let d = self.regs.cmd_arg as usize;
                self.flows.put(d, self.flows.slots[iu]);
                self.flows.put(iu, FlowSlot::default());
                self.counters.flow[d] = self.counters.flow[iu];
                self.counters.flow[iu] = Counter::default();
                return Some((counter_space::FLOW, d as u32));
            }
            opcode::FLOW_SET_INTEREST => {
                let w = self.regs.flow_interest;
                let s = &mut self.flows.slots[iu];
                if s.valid {
                    s.interest = w;
                }
            }
            opcode::FLOW_TOUCH => {
                let epoch = self.regs.epoch;
                let s = &mut self.flows.slots[iu];
                if s.valid {
                    s.epoch = epoch;
                }
            }
            opcode::LOCAL_WRITE => {
                let r = &self.regs;
                let wide = |w: &[u32; KEY_WORDS]| {
                    (0..4).fold(0u128, |a, j| a | (w[j] as u128) << (32 * j))
                };
                let e = LocalEntry {
                    valid: r.cmd_arg & 1 != 0,
                    ipv6: gufc_regmap::meta::IPV6.get(r.key[key::META]) != 0,
                    addr: wide(&r.key),
                    mask: wide(&r.mask),
                };
                self.local.write(iu, e);
            }
            opcode::CNT_READ => {
                let space = self.regs.cmd_arg;
                let c = self
                    .counters
                    .space(space)
                    .map_or(Counter::default(), |s| s[iu]);
                self.snapshot(c);
            }
            opcode::CNT_CLEAR => {
                let space = self.regs.cmd_arg;
                if let Some(s) = self.counters.space(space) {
                    s[iu] = Counter::default();
                }
                return Some((space as u8, i));
            }
            opcode::PROBE => {
                let r = &mut self.regs;
                let flags = field::PKT_FLAGS_FLAGS.get(r.pkt_flags) as u8;
                r.probe_pending = Some(Item {
                    flags,
                    ..Item::new(r.key, field::PKT_LEN_LEN.get(r.pkt_len) as u16, 0, true)
                });
                r.probe_busy = true;
            }
            _ => {}
        }
        None
    }
}
