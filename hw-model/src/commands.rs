//! Commands (writes to CMD): the checks in the documented order, then the effect, all at the
//! edge of the write (docs/timing.md, "Commands").

use gufc_regmap::word::{
    Cmd, DportRange, FlowFlags, FlowState, Meta, Planes, Prio, SportRange, TcpFlags,
};
use gufc_regmap::{key, Action, CounterSpace, Opcode, ReasonCode, TcamEntry, KEY_WORDS};

use crate::counters::{Counter, GLOBALS};
use crate::flow::FlowSlot;
use crate::locality::LocalEntry;
use crate::model::{Killed, Model};
use crate::pipeline::Item;
use crate::slot::TcamSlot;

impl Model {
    /// Executes the command word `cmd`, or records why it was rejected. An opcode the register
    /// map does not define is the hardware's BAD_OPCODE rejection, recorded as written.
    pub(crate) fn command(&mut self, cmd: Cmd) -> Killed {
        let index = cmd.index();
        let checked = cmd
            .opcode()
            .map_err(|_| ReasonCode::BadOpcode)
            .and_then(|op| self.check(op, index).map(|()| op));
        match checked {
            Ok(op) => self.execute(op, index),
            Err(reason) => {
                self.regs
                    .reject(reason, Cmd::OPCODE.get(cmd.raw()) as u8, index);
                None
            }
        }
    }

    /// Entries of counter space `space` (a CMD_ARG value), if it is one.
    fn space_size(&self, space: u32) -> Option<u32> {
        match CounterSpace::from_bits(space)? {
            CounterSpace::Tcam => Some(self.config.tcam_entries),
            CounterSpace::Flow => Some(self.config.flow_entries()),
            CounterSpace::Channel => Some(self.config.channels),
            CounterSpace::Global => Some(GLOBALS as u32),
        }
    }

    /// The first rejection reason that applies, in the documented order.
    fn check(&self, op: Opcode, i: u32) -> Result<(), ReasonCode> {
        let r = &self.regs;
        let n = self.config.tcam_entries;
        let m = self.config.flow_entries();
        let fail = |bad: bool, reason: ReasonCode| if bad { Err(reason) } else { Ok(()) };
        let meta_reserved = |w: u32| Meta::decode(w).is_err();
        let planes_reserved = Planes::decode(r.planes.raw()).is_err();
        match op {
            Opcode::TcamWrite => {
                fail(i >= n, ReasonCode::BadIndex)?;
                fail(
                    planes_reserved
                        || meta_reserved(r.key[key::META])
                        || meta_reserved(r.mask[key::META]),
                    ReasonCode::BadFlags,
                )?;
                fail(self.staged_action().is_none(), ReasonCode::BadAction)?;
                let (slo, shi) = r.sport_range.bounds();
                let (dlo, dhi) = r.dport_range.bounds();
                fail(slo > shi || dlo > dhi, ReasonCode::BadRange)?;
                fail(
                    (0..KEY_WORDS).any(|w| r.key[w] & !r.mask[w] != 0),
                    ReasonCode::ValueOutsideMask,
                )
            }
            Opcode::TcamRead => fail(i >= n, ReasonCode::BadIndex),
            Opcode::TcamSetPlanes => {
                fail(i >= n, ReasonCode::BadIndex)?;
                fail(planes_reserved, ReasonCode::BadFlags)
            }
            Opcode::Commit => Ok(()),
            Opcode::FlowWrite => {
                fail(i >= m, ReasonCode::BadIndex)?;
                fail(
                    FlowFlags::decode(r.flow_flags.raw()).is_err()
                        || meta_reserved(r.key[key::META])
                        || r.flow_interest.validate().is_err(),
                    ReasonCode::BadFlags,
                )?;
                fail(self.staged_action().is_none(), ReasonCode::BadAction)
            }
            Opcode::FlowRead | Opcode::FlowClear | Opcode::FlowTouch => {
                fail(i >= m, ReasonCode::BadIndex)
            }
            Opcode::FlowSetInterest => {
                fail(i >= m, ReasonCode::BadIndex)?;
                fail(r.flow_interest.validate().is_err(), ReasonCode::BadFlags)
            }
            Opcode::FlowMove => {
                fail(i >= m || r.cmd_arg >= m, ReasonCode::BadIndex)?;
                let flows = &self.flows.slots;
                fail(
                    !flows[i as usize].valid || flows[r.cmd_arg as usize].valid,
                    ReasonCode::MoveConflict,
                )
            }
            Opcode::LocalWrite => fail(i >= self.config.local_entries, ReasonCode::BadIndex),
            Opcode::CntRead | Opcode::CntClear => fail(
                self.space_size(r.cmd_arg).is_none_or(|size| i >= size),
                ReasonCode::BadIndex,
            ),
            Opcode::Probe => fail(r.probe_busy, ReasonCode::ProbeBusy),
            // RTL 2.0 commands: 1.x has no range checkers or protocol classes.
            Opcode::CheckerWrite | Opcode::ClassWrite => Err(ReasonCode::BadOpcode),
        }
    }

    /// The effect of a command that passed its checks.
    fn execute(&mut self, op: Opcode, i: u32) -> Killed {
        let iu = i as usize;
        match op {
            Opcode::TcamWrite => {
                let r = &self.regs;
                let action = self.staged_action().unwrap_or(Action::Drop);
                let slot = TcamSlot {
                    entry: TcamEntry {
                        value: r.key,
                        mask: r.mask,
                        sport: r.sport_range.bounds(),
                        dport: r.dport_range.bounds(),
                        prio: r.prio.prio(),
                        action,
                        // The 1.x key has no flags.
                        tcp_flags: (0, 0),
                    },
                    action_word: r.action,
                    planes: r.planes.planes(),
                };
                self.tcam.write(iu, slot);
                self.counters.tcam[iu] = Counter::default();
                return Some((CounterSpace::Tcam, i));
            }
            Opcode::TcamRead => {
                let s = self.tcam.slots[iu];
                let r = &mut self.regs;
                r.key = s.entry.value;
                r.mask = s.entry.mask;
                r.sport_range = SportRange::of(s.entry.sport);
                r.dport_range = DportRange::of(s.entry.dport);
                r.prio = Prio::new().with_prio(s.entry.prio);
                r.action = s.action_word;
                r.planes = Planes::new().with_planes(s.planes);
            }
            Opcode::TcamSetPlanes => {
                self.tcam.set_planes(iu, self.regs.planes.planes());
            }
            Opcode::Commit => {
                self.tcam.flip_plane();
                self.regs.epoch = self.regs.epoch.wrapping_add(1);
            }
            Opcode::FlowWrite => {
                let r = &self.regs;
                let mut k = r.key;
                k[key::META] = Meta::from_raw(k[key::META]).without_locality().raw();
                let slot = FlowSlot {
                    valid: true,
                    key: k,
                    action_word: r.action,
                    action: self.staged_action().unwrap_or(Action::Drop),
                    pinned: r.flow_flags.pinned(),
                    epoch: r.epoch,
                    hit: false,
                    last_hit: 0,
                    interest: r.flow_interest,
                };
                self.flows.put(iu, slot);
                self.counters.flow[iu] = Counter::default();
                return Some((CounterSpace::Flow, i));
            }
            Opcode::FlowRead => {
                let s = self.flows.slots[iu];
                let s = if s.valid { s } else { FlowSlot::default() };
                let r = &mut self.regs;
                r.key = s.key;
                r.action = s.action_word;
                r.flow_flags = FlowFlags::new().with_pinned(s.pinned);
                r.flow_state = FlowState::new()
                    .with_epoch(s.epoch)
                    .with_valid(s.valid)
                    .with_hit(s.hit)
                    .with_stale(s.valid && !s.current(r.epoch));
                r.flow_last_hit = s.last_hit;
                r.flow_interest = s.interest;
                self.flows.slots[iu].hit = false;
            }
            Opcode::FlowClear => {
                self.flows.put(iu, FlowSlot::default());
                self.counters.flow[iu] = Counter::default();
                return Some((CounterSpace::Flow, i));
            }
            Opcode::FlowMove => {
                let d = self.regs.cmd_arg as usize;
                self.flows.put(d, self.flows.slots[iu]);
                self.flows.put(iu, FlowSlot::default());
                self.counters.flow[d] = self.counters.flow[iu];
                self.counters.flow[iu] = Counter::default();
                return Some((CounterSpace::Flow, d as u32));
            }
            Opcode::FlowSetInterest => {
                let w = self.regs.flow_interest;
                let s = &mut self.flows.slots[iu];
                if s.valid {
                    s.interest = w;
                }
            }
            Opcode::FlowTouch => {
                let epoch = self.regs.epoch;
                let s = &mut self.flows.slots[iu];
                if s.valid {
                    s.epoch = epoch;
                }
            }
            Opcode::LocalWrite => {
                let r = &self.regs;
                let wide = |w: &[u32; KEY_WORDS]| {
                    (0..4).fold(0u128, |a, j| a | (w[j] as u128) << (32 * j))
                };
                let e = LocalEntry {
                    valid: r.cmd_arg & 1 != 0,
                    ipv6: Meta::from_raw(r.key[key::META]).ipv6(),
                    addr: wide(&r.key),
                    mask: wide(&r.mask),
                };
                self.local.write(iu, e);
            }
            Opcode::CntRead => {
                let c = CounterSpace::from_bits(self.regs.cmd_arg)
                    .map_or(Counter::default(), |s| self.counters.space(s)[iu]);
                self.snapshot(c);
            }
            Opcode::CntClear => {
                // check() accepted CMD_ARG: it names a counter space.
                if let Some(space) = CounterSpace::from_bits(self.regs.cmd_arg) {
                    self.counters.space(space)[iu] = Counter::default();
                    return Some((space, i));
                }
            }
            Opcode::Probe => {
                let r = &mut self.regs;
                r.probe_pending = Some(Item {
                    flags: TcpFlags::from_raw(r.pkt_flags.flags() as u32),
                    ..Item::new(r.key, r.pkt_len.len(), 0, true)
                });
                r.probe_busy = true;
            }
            Opcode::CheckerWrite | Opcode::ClassWrite => unreachable!("refused by check"),
        }
        None
    }
}
