//! The device: one call of [`Model::step`] is one rising edge (docs/timing.md).

use gufc_regmap::word::{
    self, CapKey, CapMisc, Cmd, Control, DportRange, Error, FlowFlags, FlowInterest, FlowState,
    Meta, PktFlags, PktLen, Planes, Prio, ProbeResult, SportRange, Status, Version,
};
use gufc_regmap::{
    device, key, reg, Action, CounterSpace, CycleIn, CycleOut, GlobalCounter, HitKind,
    InterestMode, Mmio, ReasonCode, Register, SlowReason, KEY_WORDS,
};

use crate::config::{Config, ConfigError};
use crate::counters::{Counter, Counters};
use crate::flow::FlowCache;
use crate::locality::Locality;
use crate::pipeline::{Decided, Item, Located, Pipeline};
use crate::regs::Regs;
use crate::tcam::{Tcam, TcamStrategy};

/// The counter a command overwrote at this edge: a same-edge increment of it is lost.
pub(crate) type Killed = Option<(CounterSpace, u32)>;

/// The cycle-accurate device model.
pub struct Model {
    pub(crate) config: Config,
    /// Edges since creation.
    pub(crate) cycles: u64,
    pub(crate) regs: Regs,
    pub(crate) tcam: Tcam,
    pub(crate) flows: FlowCache,
    pub(crate) local: Locality,
    pub(crate) counters: Counters,
    pub(crate) pipe: Pipeline,
    /// Bursts and idle runs take the fast path (see [`crate::burst`]); off, they step.
    pub(crate) fast: bool,
    pub(crate) scratch: crate::burst::Scratch,
    /// Threads a burst may decide keys on ([`Model::set_lookup_threads`]).
    pub(crate) threads: usize,
    /// Keys a lookup thread must get before a burst starts it.
    pub(crate) min_per_thread: usize,
}

/// MMIO addresses are 12 bits wide on the device port.
const ADDR_MASK: u32 = device::BAR0_SIZE - 1;

impl Model {
    /// A device in its reset state, or which parameter of `config` cannot be built.
    pub fn new(config: Config) -> Result<Model, ConfigError> {
        config.validate()?;
        Ok(Model {
            tcam: Tcam::new(config.tcam_entries),
            flows: FlowCache::new(config.flow_buckets, config.flow_ways),
            local: Locality::new(config.local_entries),
            counters: Counters::new(config.tcam_entries, config.flow_entries(), config.channels),
            regs: Regs::default(),
            pipe: Pipeline::default(),
            cycles: 0,
            config,
            fast: true,
            scratch: Default::default(),
            threads: 1,
            min_per_thread: crate::burst::MIN_KEYS_PER_THREAD,
        }
        .with_fast_path_from_env())
    }

    /// Rising edges since the model was created (CONTROL.RESET does not restart it).
    pub fn cycle(&self) -> u64 {
        self.cycles
    }

    /// The parameters the model was built with (what its capability registers report).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every `res_*` port bit during the coming edge, as the RTL must drive it: the result's
    /// fields with `res_valid` high, all 0 with it low.
    pub fn res_ports(&self) -> gufc_regmap::ResPorts {
        gufc_regmap::ResPorts::of(self.pipe.out.as_ref())
    }

    /// Chooses how TCAM lookups are computed; every strategy gives the same answers.
    pub fn set_tcam_strategy(&mut self, strategy: TcamStrategy) {
        self.tcam.set_strategy(strategy);
    }

    /// The TCAM index structures built over the active rule set since it last changed (empty
    /// until lookups needed them): for benchmarks and memory reports.
    pub fn index_builds(&self) -> Vec<crate::IndexBuild> {
        self.tcam.index_builds()
    }

    /// One rising edge with these inputs.
    pub fn step(&mut self, input: &CycleIn) -> CycleOut {
        // Everything the outside sees this cycle comes from the state before the edge.
        let stall = self.pipe.out.is_some() && !input.res_ready;
        let key_ready = !input.rst && !stall && self.regs.probe_pending.is_none();
        let res_valid = self.pipe.out.is_some();
        let result = if input.res_ready { self.pipe.out } else { None };
        let accepted = key_ready && input.key.is_some();
        let (read, write) = match input.mmio {
            Some(Mmio::Read { addr }) => (Some(addr & ADDR_MASK), None),
            Some(Mmio::Write { addr, data }) => (None, Some((addr & ADDR_MASK, data))),
            None => (None, None),
        };
        // The read data register clears at a `rst` edge like every other register.
        let rdata = if input.rst {
            0
        } else {
            read.map_or(0, |a| self.read(a))
        };
        let out = CycleOut {
            rdata,
            key_ready,
            res_valid,
            accepted,
            result,
        };

        if input.rst {
            self.reset();
            self.cycles += 1;
            return out;
        }

        if let Some((Control::OFFSET, data)) = write {
            if Control::from_raw(data).reset() {
                self.reset();
                self.cycles += 1;
                return out;
            }
        }

        // Pipeline transitions, computed from the tables before the edge.
        let mut counted: Option<Decided> = None;
        let mut probed: Option<Decided> = None;
        if !stall {
            self.pipe.out = None;
            if let Some(mut d) = self.pipe.s3.take() {
                self.select_interest(&mut d);
                if d.item.probe {
                    probed = Some(d);
                } else {
                    self.pipe.out = Some(d.result());
                    counted = Some(d);
                }
            }
            self.pipe.s3 = self.pipe.s2.take().map(|l| self.f2(l));
            self.pipe.s2 = self.pipe.s1.take().map(|i| self.f1(i));
            self.pipe.s1 = match self.regs.probe_pending.take() {
                Some(p) => Some(p),
                None => input.key.as_ref().filter(|_| accepted).map(Item::from_port),
            };
        }

        // The register access of this cycle takes effect at the same edge.
        if read == Some(reg::CYCLE_LO) {
            self.regs.cycle_hi = (self.regs.cycle >> 32) as u32;
        }
        let killed = match write {
            Some((addr, data)) => self.write(addr, data),
            None => None,
        };
        if let Some(d) = counted {
            self.count(&d, killed);
        }
        if let Some(p) = probed {
            self.regs.probe_result = p.probe_word();
            self.regs.probe_index = p.index;
            self.regs.probe_busy = false;
        }
        self.regs.cycle += 1;
        self.cycles += 1;
        out
    }

    /// CONTROL.RESET: every table, register and pipeline stage back to 0.
    fn reset(&mut self) {
        self.regs = Regs::default();
        self.tcam.reset();
        self.flows.reset();
        self.local.reset();
        self.counters.reset();
        self.pipe = Pipeline::default();
    }

    /// f1: locality of both addresses.
    pub(crate) fn f1(&self, item: Item) -> Located {
        let v6 = item.ipv6();
        Located {
            src_local: self.local.is_local(item.src(), v6),
            dst_local: self.local.is_local(item.dst(), v6),
            item,
        }
    }

    /// f2: flow cache, TCAM and the decision between them.
    fn f2(&mut self, l: Located) -> Decided {
        match self.f2_flow(&l) {
            Ok(d) => d,
            Err(stale) => {
                let tw = tcam_key(&l);
                let hit = self.tcam.lookup(&tw);
                self.f2_rule(l, stale, hit)
            }
        }
    }

    /// f2's flow-cache half: the decision of a current flow entry, or whether the key's flow
    /// entry is stale (the TCAM decides then).
    pub(crate) fn f2_flow(&self, l: &Located) -> Result<Decided, bool> {
        if let Some(s) = self.flows.lookup(&l.item.words) {
            let slot = &self.flows.slots[s as usize];
            if slot.current(self.regs.epoch) {
                return Ok(Decided {
                    interest: slot.interest,
                    ..decided(*l, HitKind::Flow, slot.action, s, false)
                });
            }
            return Err(true);
        }
        Err(false)
    }

    /// f2's TCAM half: the decision given the TCAM's winner `hit` for `tcam_key(l)`.
    pub(crate) fn f2_rule(&self, l: Located, stale: bool, hit: Option<u32>) -> Decided {
        let mut d = decided(
            l,
            HitKind::Miss,
            Action::SlowPath {
                reason: SlowReason::Miss.bits(),
            },
            0,
            stale,
        );
        self.f2_rule_hit(&mut d, hit);
        d
    }

    /// Turns `d`, f2's decision for a TCAM miss, into the decision for TCAM winner `hit`.
    #[inline]
    pub(crate) fn f2_rule_hit(&self, d: &mut Decided, hit: Option<u32>) {
        if let Some(i) = hit {
            d.action = match self.tcam.action(i) {
                Action::SlowPath { .. } if d.stale => Action::SlowPath {
                    reason: SlowReason::Stale.bits(),
                },
                a => a,
            };
            d.kind = HitKind::Rule;
            d.index = i;
        }
    }

    /// f3: a current flow hit whose interest selects the packet goes to the slow path with
    /// the interest's reason; SAMPLE counts the slot's packets including this one (the
    /// counter before this edge + 1). Counting is unchanged. The slot holds only interest words
    /// FLOW_WRITE / FLOW_SET_INTEREST accepted, so its mode is always defined.
    pub(crate) fn select_interest(&self, d: &mut Decided) {
        if d.kind != HitKind::Flow {
            return;
        }
        let period = d.interest.period() as u64;
        let nth = self.counters.flow[d.index as usize].pkts.wrapping_add(1);
        let reason = match d.interest.mode() {
            Ok(InterestMode::EveryPacket) => SlowReason::InterestAll,
            Ok(InterestMode::TcpCtrl) if d.item.flags.ctrl() => SlowReason::InterestCtrl,
            Ok(InterestMode::Sample) if period != 0 && nth.is_multiple_of(period) => {
                SlowReason::InterestSample
            }
            Ok(InterestMode::None | InterestMode::TcpCtrl | InterestMode::Sample) | Err(_) => {
                return
            }
        };
        d.action = Action::SlowPath {
            reason: reason.bits(),
        };
    }

    /// f3 for a key: counters and flow hit state, except a counter a command wrote at this edge.
    #[inline]
    pub(crate) fn count(&mut self, d: &Decided, killed: Killed) {
        let len = d.item.len;
        let alive = |space: CounterSpace, i: u32| killed != Some((space, i));
        match d.kind {
            HitKind::Flow => {
                if alive(CounterSpace::Flow, d.index) {
                    self.counters.flow[d.index as usize].add(len);
                    let slot = &mut self.flows.slots[d.index as usize];
                    if slot.valid {
                        slot.hit = true;
                        slot.last_hit = self.regs.cycle as u32;
                    }
                }
            }
            HitKind::Rule => {
                if alive(CounterSpace::Tcam, d.index) {
                    self.counters.tcam[d.index as usize].add(len);
                }
            }
            HitKind::Miss => {}
        }
        let by_verdict = match d.action {
            Action::Deliver { channel } => {
                if alive(CounterSpace::Channel, channel as u32) {
                    self.counters.channel[channel as usize].add(len);
                }
                GlobalCounter::Delivered
            }
            Action::Drop => GlobalCounter::Drops,
            Action::SlowPath { .. } => GlobalCounter::SlowPath,
        };
        let by_kind = match d.kind {
            HitKind::Flow => GlobalCounter::FlowHits,
            HitKind::Rule => GlobalCounter::RuleHits,
            HitKind::Miss => GlobalCounter::Misses,
        };
        let stale = d.stale.then_some(GlobalCounter::StaleFlows);
        for g in [
            Some(GlobalCounter::Lookups),
            Some(by_kind),
            Some(by_verdict),
            stale,
        ]
        .into_iter()
        .flatten()
        {
            if alive(CounterSpace::Global, g as u32) {
                self.counters.global[g as usize].add(len);
            }
        }
    }

    /// The value a read of `addr` returns (the state before the edge).
    fn read(&self, addr: u32) -> u32 {
        let r = &self.regs;
        let c = &self.config;
        match addr {
            reg::ID => device::MAGIC,
            reg::VERSION => Version::new()
                .with_major(device::VERSION_MAJOR as u16)
                .with_minor(device::VERSION_MINOR as u16)
                .raw(),
            reg::CAP_TCAM => c.tcam_entries,
            reg::CAP_FLOW_BUCKETS => c.flow_buckets,
            reg::CAP_FLOW_WAYS => c.flow_ways,
            reg::CAP_MISC => CapMisc::new()
                .with_channels(c.channels as u8) // 256 wraps to 0, as documented
                .with_local_entries(c.local_entries as u8)
                .with_latency(device::LATENCY as u8)
                .with_counter_bits(64)
                .raw(),
            reg::CAP_KEY => CapKey::new()
                .with_ipv4(true)
                .with_ipv6(true)
                .with_port_ranges(true)
                .with_key_words(device::KEY_WORDS as u8)
                .with_prio_bits(device::PRIO_BITS as u8)
                .raw(),
            reg::SCRATCH => r.scratch,
            Status::OFFSET => Status::raw(r.status_word(self.tcam.active_plane)),
            Error::OFFSET => Error::raw(r.error_word()),
            reg::ERROR_INDEX => r.error_index,
            reg::CYCLE_LO => r.cycle as u32,
            reg::CYCLE_HI => r.cycle_hi,
            reg::CMD_ARG => r.cmd_arg,
            a if word_of(a, reg::KEY).is_some() => r.key[word_of(a, reg::KEY).unwrap_or(0)],
            a if word_of(a, reg::MASK).is_some() => r.mask[word_of(a, reg::MASK).unwrap_or(0)],
            SportRange::OFFSET => SportRange::raw(r.sport_range),
            DportRange::OFFSET => DportRange::raw(r.dport_range),
            Prio::OFFSET => Prio::raw(r.prio),
            word::Action::OFFSET => word::Action::raw(r.action),
            Planes::OFFSET => Planes::raw(r.planes),
            FlowFlags::OFFSET => FlowFlags::raw(r.flow_flags),
            PktLen::OFFSET => PktLen::raw(r.pkt_len),
            FlowState::OFFSET => FlowState::raw(r.flow_state),
            reg::FLOW_LAST_HIT => r.flow_last_hit,
            FlowInterest::OFFSET => FlowInterest::raw(r.flow_interest),
            PktFlags::OFFSET => PktFlags::raw(r.pkt_flags),
            reg::CNT_PKTS_LO => r.cnt[0],
            reg::CNT_PKTS_HI => r.cnt[1],
            reg::CNT_BYTES_LO => r.cnt[2],
            reg::CNT_BYTES_HI => r.cnt[3],
            ProbeResult::OFFSET => ProbeResult::raw(r.probe_result),
            reg::PROBE_INDEX => r.probe_index,
            // CONTROL and CMD are write-only; unmapped offsets read 0.
            _ => 0,
        }
    }

    /// A register write at this edge (CONTROL.RESET is handled before).
    fn write(&mut self, addr: u32, data: u32) -> Killed {
        let r = &mut self.regs;
        match addr {
            reg::SCRATCH => r.scratch = data,
            reg::CONTROL => {}
            reg::ERROR => r.clear_error(),
            Cmd::OFFSET => return self.command(Cmd::from_raw(data)),
            reg::CMD_ARG => r.cmd_arg = data,
            a if word_of(a, reg::KEY).is_some() => r.key[word_of(a, reg::KEY).unwrap_or(0)] = data,
            a if word_of(a, reg::MASK).is_some() => {
                r.mask[word_of(a, reg::MASK).unwrap_or(0)] = data
            }
            SportRange::OFFSET => r.sport_range = SportRange::from_raw(data),
            DportRange::OFFSET => r.dport_range = DportRange::from_raw(data),
            Prio::OFFSET => r.prio = Prio::from_raw(data),
            word::Action::OFFSET => r.action = word::Action::from_raw(data),
            Planes::OFFSET => r.planes = Planes::from_raw(data),
            FlowFlags::OFFSET => r.flow_flags = FlowFlags::from_raw(data),
            PktLen::OFFSET => r.pkt_len = PktLen::from_raw(data),
            FlowInterest::OFFSET => r.flow_interest = FlowInterest::from_raw(data),
            PktFlags::OFFSET => r.pkt_flags = PktFlags::from_raw(data),
            _ => r.reject(ReasonCode::BadOffset, 0, addr),
        }
        None
    }

    /// The staged action word, if it is a valid action for this device.
    pub(crate) fn staged_action(&self) -> Option<Action> {
        match Action::decode(self.regs.action).ok()? {
            Action::Deliver { channel } if channel as u32 >= self.config.channels => None,
            a => Some(a),
        }
    }

    /// Snapshot of counter `i` of `space` into CNT_*.
    pub(crate) fn snapshot(&mut self, c: Counter) {
        self.regs.cnt = [
            c.pkts as u32,
            (c.pkts >> 32) as u32,
            c.bytes as u32,
            (c.bytes >> 32) as u32,
        ];
    }
}

fn decided(l: Located, kind: HitKind, action: Action, index: u32, stale: bool) -> Decided {
    Decided {
        item: l.item,
        src_local: l.src_local,
        dst_local: l.dst_local,
        kind,
        action,
        index,
        stale,
        interest: FlowInterest::new(),
    }
}

/// The key the TCAM compares: the lookup key with the locality bits f1 found.
pub(crate) fn tcam_key(l: &Located) -> [u32; KEY_WORDS] {
    let mut tw = l.item.words;
    tw[key::META] = Meta::from_raw(tw[key::META])
        .with_src_local(l.src_local)
        .with_dst_local(l.dst_local)
        .raw();
    tw
}

/// Word number of `addr` in the KEY-like array at `base`.
fn word_of(addr: u32, base: u32) -> Option<usize> {
    let rel = addr.checked_sub(base)?;
    (rel % 4 == 0 && rel / 4 < KEY_WORDS as u32).then_some((rel / 4) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(m: &mut Model, addr: u32) -> u32 {
        m.step(&CycleIn {
            mmio: Some(Mmio::Read { addr }),
            ..CycleIn::default()
        })
        .rdata
    }

    /// CYCLE_LO latches the high word of the same value it returns; CYCLE_HI keeps it.
    #[test]
    fn cycle_lo_latches_high_word_across_the_carry() {
        let mut m = Model::new(Config::default()).unwrap();
        m.regs.cycle = 0x1_FFFF_FFFE;
        assert_eq!(read(&mut m, reg::CYCLE_HI), 0, "nothing latched yet");
        // counter is now 0x1_FFFF_FFFF
        assert_eq!(read(&mut m, reg::CYCLE_LO), 0xFFFF_FFFF);
        // counter 0x2_0000_0000: the latch still holds the high word of the LO read
        assert_eq!(read(&mut m, reg::CYCLE_HI), 1);
        assert_eq!(read(&mut m, reg::CYCLE_HI), 1);
        assert_eq!(read(&mut m, reg::CYCLE_LO), 2);
        assert_eq!(read(&mut m, reg::CYCLE_HI), 2);
    }
}
