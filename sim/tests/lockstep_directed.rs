//! Directed lockstep cases: commands that land on the very edge at which a key is counted
//! against the same TCAM entry, flow slot, channel or global counter (docs/timing.md, "Register
//! accesses at the same edge"), probes under back-pressure, resets in traffic, and each mode of
//! a flow entry's interest (FLOW_INTEREST) under traffic. A key is sent every cycle, so every
//! command below collides with a same-edge increment.

mod common;

use common::lockstep::{run, Fixed};
use gufc_regmap::word::{Cmd, FlowFlags, FlowInterest, TcpFlags};
use gufc_regmap::{
    bucket_pair, reg, Action, CounterSpace, CycleIn, InterestMode, Key, KeyIn, Mmio, Opcode,
    Register, TcamEntry,
};
use gufc_sim::Config;

/// Builds an input sequence: register accesses one per cycle, with a key offered every cycle.
struct Prog {
    cfg: Config,
    inputs: Vec<CycleIn>,
    traffic: Vec<Key>,
    /// TCP flags of successive keys (cycled independently of `traffic`); empty means 0.
    flags: Vec<u8>,
    res_ready: bool,
    /// The `rst` pin for the next cycle only.
    rst: bool,
    tag: u32,
}

impl Prog {
    fn new(cfg: Config) -> Prog {
        Prog {
            cfg,
            inputs: Vec::new(),
            traffic: Vec::new(),
            flags: Vec::new(),
            res_ready: true,
            rst: false,
            tag: 0,
        }
    }

    fn cycle(&mut self, mmio: Option<Mmio>) {
        let key = (!self.traffic.is_empty()).then(|| {
            self.tag += 1;
            let k = self.traffic[self.tag as usize % self.traffic.len()];
            KeyIn {
                key: k,
                len: 64 + (self.tag % 7) as u16,
                tag: self.tag,
                tcp_flags: if self.flags.is_empty() {
                    0
                } else {
                    self.flags[self.tag as usize % self.flags.len()]
                },
            }
        });
        self.inputs.push(CycleIn {
            mmio,
            key,
            res_ready: self.res_ready,
            rst: std::mem::take(&mut self.rst),
        });
    }

    fn w(&mut self, addr: u32, data: u32) {
        self.cycle(Some(Mmio::Write { addr, data }));
    }

    fn r(&mut self, addr: u32) {
        self.cycle(Some(Mmio::Read { addr }));
    }

    fn idle(&mut self, n: usize) {
        for _ in 0..n {
            self.cycle(None);
        }
    }

    /// Writes a register through its codec type.
    fn put<R: Register>(&mut self, v: R) {
        self.w(R::OFFSET, v.into());
    }

    fn cmd(&mut self, op: Opcode, index: u32) {
        self.put(Cmd::new().with_opcode(op).with_index(index));
    }

    fn stage(&mut self, base: u32, words: &[u32]) {
        for (i, w) in words.iter().enumerate() {
            self.w(base + 4 * i as u32, *w);
        }
    }

    fn rule(&mut self, index: u32, e: &TcamEntry, planes: u8) {
        for (addr, data) in e.staging(planes) {
            self.w(addr, data);
        }
        self.cmd(Opcode::TcamWrite, index);
    }

    fn flow(&mut self, slot: u32, k: &Key, a: Action, pinned: bool) {
        self.stage(reg::KEY, &k.words());
        self.put(a.encode());
        self.put(FlowFlags::new().with_pinned(pinned));
        self.cmd(Opcode::FlowWrite, slot);
    }

    fn counter(&mut self, space: CounterSpace, index: u32) {
        self.w(reg::CMD_ARG, space.into());
        self.cmd(Opcode::CntRead, index);
        for a in [
            reg::CNT_PKTS_LO,
            reg::CNT_PKTS_HI,
            reg::CNT_BYTES_LO,
            reg::CNT_BYTES_HI,
        ] {
            self.r(a);
        }
    }

    fn flow_state(&mut self, slot: u32) {
        self.cmd(Opcode::FlowRead, slot);
        for a in [
            reg::FLOW_STATE,
            reg::FLOW_LAST_HIT,
            reg::ACTION,
            reg::FLOW_FLAGS,
            reg::FLOW_INTEREST,
            reg::KEY,
        ] {
            self.r(a);
        }
    }

    fn slot(&self, k: &Key, second: bool, way: u32) -> u32 {
        let (b1, b2) = bucket_pair(k, self.cfg.flow_buckets.trailing_zeros());
        (if second { b2 } else { b1 }) * self.cfg.flow_ways + way
    }
}

/// The configurations every directed case runs on; a build without one of them fails the case.
const CONFIGS: [&str; 4] = ["tiny", "n64", "small", "n256"];

fn configs() -> Vec<Config> {
    CONFIGS.iter().map(|n| common::required(n)).collect()
}

fn key_a() -> Key {
    Key::v4(0x0A00_0001, 0xC0A8_0101, 6, 1234, 80)
}

fn key_b() -> Key {
    Key::v4(0x0A00_0002, 0xC0A8_0102, 17, 53, 5353)
}

#[test]
fn flow_commands_on_the_counting_edge() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let (a, b) = (key_a(), key_b());
        let sa = p.slot(&a, false, 0);
        let sb = p.slot(&b, true, cfg.flow_ways - 1);
        p.rule(
            0,
            &TcamEntry::match_all(1, Action::SlowPath { reason: 30 }),
            3,
        );
        p.flow(
            sa,
            &a,
            Action::Deliver {
                channel: (1 % cfg.channels) as u8,
            },
            false,
        );
        p.traffic = vec![a];
        // Each command below is executed while `a` is counted against its slot at that edge.
        for round in 0..6 {
            p.idle(round);
            p.flow_state(sa);
            p.cmd(Opcode::FlowTouch, sa);
            p.counter(CounterSpace::Flow, sa);
            p.w(reg::CMD_ARG, CounterSpace::Flow as u32);
            p.cmd(Opcode::CntClear, sa);
            p.counter(CounterSpace::Flow, sa);
            // Move away and back: the source's same-edge increment lands on the empty source.
            let other = if cfg.flow_ways > 1 {
                p.slot(&a, false, 1)
            } else {
                p.slot(&a, true, 0)
            };
            if other != sa {
                p.w(reg::CMD_ARG, other);
                p.cmd(Opcode::FlowMove, sa);
                p.counter(CounterSpace::Flow, sa);
                p.counter(CounterSpace::Flow, other);
                p.flow_state(other);
                p.w(reg::CMD_ARG, sa);
                p.cmd(Opcode::FlowMove, other);
                p.counter(CounterSpace::Flow, other);
                p.flow_state(sa);
            }
            p.cmd(Opcode::Commit, 0);
            p.idle(3);
            p.flow_state(sa);
            p.flow(sa, &a, Action::Drop, round % 2 == 1);
            p.counter(CounterSpace::Flow, sa);
            p.cmd(Opcode::FlowClear, sa);
            p.counter(CounterSpace::Flow, sa);
            p.flow(sa, &a, Action::Deliver { channel: 0 }, false);
            p.traffic = if round % 2 == 0 { vec![a, b] } else { vec![a] };
            p.flow(sb, &b, Action::Drop, true);
        }
        let cov = run(
            cfg,
            &Fixed {
                name: "flow_same_edge",
                inputs: p.inputs,
            },
        );
        assert!(cov.results > 100);
    }
}

/// The last key of a burst is counted exactly at the command's edge (offset 2 below: a key
/// accepted at edge t is counted at t+3), so what the command does to the increment shows in
/// the state read afterwards, with no later hit to mask it.
#[test]
fn command_on_the_edge_of_the_last_hit() {
    let commands: &[(Opcode, bool)] = &[
        (Opcode::FlowRead, false),
        (Opcode::FlowMove, false),
        (Opcode::FlowClear, false),
        (Opcode::FlowWrite, false),
        (Opcode::FlowTouch, false),
        (Opcode::CntClear, false),
        (Opcode::TcamWrite, true),
        (Opcode::CntClear, true),
    ];
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let a = key_a();
        let sa = p.slot(&a, false, 0);
        let other = if cfg.flow_ways > 1 {
            p.slot(&a, false, 1)
        } else {
            p.slot(&a, true, 0)
        };
        let rule = TcamEntry::match_all(1, Action::Drop);
        for &(op, on_rule) in commands {
            for offset in 0..5 {
                p.w(reg::CONTROL, 1);
                p.rule(3, &rule, 1);
                if !on_rule {
                    p.flow(sa, &a, Action::Deliver { channel: 0 }, false);
                }
                // Stage what the command needs before the burst.
                match op {
                    Opcode::FlowMove => p.w(reg::CMD_ARG, other),
                    Opcode::CntClear if on_rule => p.w(reg::CMD_ARG, CounterSpace::Tcam as u32),
                    Opcode::CntClear => p.w(reg::CMD_ARG, CounterSpace::Flow as u32),
                    Opcode::FlowWrite => p.stage(reg::KEY, &a.words()),
                    _ => {}
                }
                p.traffic = vec![a];
                p.idle(3);
                p.traffic.clear();
                p.idle(offset);
                p.cmd(op, if on_rule { 3 } else { sa });
                p.idle(4);
                p.flow_state(sa);
                p.flow_state(other);
                p.counter(CounterSpace::Flow, sa);
                p.counter(CounterSpace::Flow, other);
                p.counter(CounterSpace::Tcam, 3);
            }
        }
        let cov = run(
            cfg,
            &Fixed {
                name: "last_hit_edge",
                inputs: p.inputs,
            },
        );
        assert!(cov.results > 100);
    }
}

#[test]
fn tcam_channel_and_global_counters_on_the_counting_edge() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let ch = (cfg.channels - 1) as u8;
        let e = TcamEntry::match_all(4, Action::Deliver { channel: ch });
        p.rule(2, &e, 3);
        p.traffic = vec![key_a(), key_b()];
        for round in 0..4u32 {
            p.idle(round as usize);
            p.rule(2, &e, 3);
            p.counter(CounterSpace::Tcam, 2);
            p.w(reg::CMD_ARG, CounterSpace::Tcam as u32);
            p.cmd(Opcode::CntClear, 2);
            p.counter(CounterSpace::Tcam, 2);
            p.w(reg::CMD_ARG, CounterSpace::Channel as u32);
            p.cmd(Opcode::CntClear, ch as u32);
            p.counter(CounterSpace::Channel, ch as u32);
            for g in 0..8 {
                p.w(reg::CMD_ARG, CounterSpace::Global as u32);
                p.cmd(Opcode::CntClear, g);
                p.counter(CounterSpace::Global, g);
            }
            p.w(reg::PLANES, 1 + round % 3);
            p.cmd(Opcode::TcamSetPlanes, 2);
            p.cmd(Opcode::Commit, 0);
            p.cmd(Opcode::TcamRead, 2);
            p.r(reg::PLANES);
            p.r(reg::STATUS);
            p.counter(CounterSpace::Global, 7);
        }
        let cov = run(
            cfg,
            &Fixed {
                name: "counters_same_edge",
                inputs: p.inputs,
            },
        );
        assert!(cov.results > 100);
    }
}

#[test]
fn probes_and_locality_under_back_pressure_and_reset() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        p.rule(0, &TcamEntry::match_all(1, Action::Drop), 1);
        p.traffic = vec![key_a(), key_b()];
        for round in 0..8u32 {
            // The locality entry changes under traffic.
            p.stage(reg::KEY, &key_a().words()[..4]);
            p.stage(reg::MASK, &[0xFFFF_0000 << (round % 3), 0, 0, 0]);
            p.w(reg::CMD_ARG, round % 2);
            p.cmd(Opcode::LocalWrite, round % cfg.local_entries);
            // A probe issued while results back up.
            p.res_ready = round % 2 == 0;
            p.stage(reg::KEY, &key_b().words());
            p.w(reg::PKT_LEN, 1000 + round);
            p.cmd(Opcode::Probe, 0);
            p.cmd(Opcode::Probe, 0);
            p.r(reg::STATUS);
            p.idle(round as usize);
            p.res_ready = true;
            for _ in 0..6 {
                p.r(reg::STATUS);
            }
            p.r(reg::PROBE_RESULT);
            p.r(reg::PROBE_INDEX);
            p.r(reg::ERROR);
            p.w(reg::ERROR, 0);
            if round % 4 == 3 {
                p.res_ready = false;
                p.w(reg::CONTROL, 1);
                p.res_ready = true;
                p.r(reg::CYCLE_LO);
                p.r(reg::CYCLE_HI);
                p.rule(0, &TcamEntry::match_all(1, Action::Drop), 1);
            }
        }
        let cov = run(
            cfg,
            &Fixed {
                name: "probe_reset",
                inputs: p.inputs,
            },
        );
        assert!(cov.results > 100);
    }
}

const FIN: u8 = TcpFlags::new().with_fin(true).raw() as u8;
const SYN: u8 = TcpFlags::new().with_syn(true).raw() as u8;
const RST: u8 = TcpFlags::new().with_rst(true).raw() as u8;
const PSH: u8 = TcpFlags::new().with_psh(true).raw() as u8;
const ACK: u8 = TcpFlags::new().with_ack(true).raw() as u8;

fn interest(mode: InterestMode, period: u16) -> u32 {
    FlowInterest::new()
        .with_mode(mode)
        .with_period(period)
        .raw()
}

impl Prog {
    fn set_interest(&mut self, slot: u32, word: u32) {
        self.w(reg::FLOW_INTEREST, word);
        self.cmd(Opcode::FlowSetInterest, slot);
    }

    /// Flow write with an interest, then traffic, then the slot's, channel's and globals' counts.
    fn interest_round(&mut self, slot: u32, k: &Key, word: u32, burst: usize) {
        self.w(reg::FLOW_INTEREST, word);
        self.flow(slot, k, Action::Deliver { channel: 0 }, false);
        self.traffic = vec![*k];
        self.idle(burst);
        self.flow_state(slot);
        self.counter(CounterSpace::Flow, slot);
        self.counter(CounterSpace::Channel, 0);
        for g in 0..8 {
            self.counter(CounterSpace::Global, g);
        }
    }

    fn probe(&mut self, k: &Key, flags: u32) {
        self.stage(reg::KEY, &k.words());
        self.w(reg::PKT_FLAGS, flags);
        self.cmd(Opcode::Probe, 0);
        self.idle(5);
        self.r(reg::PROBE_RESULT);
        self.r(reg::PROBE_INDEX);
    }
}

fn run_interest(name: &'static str, cfg: Config, p: Prog, reason: usize) {
    let cov = run(
        cfg,
        &Fixed {
            name,
            inputs: p.inputs,
        },
    );
    assert!(cov.results > 100, "{name}: {cov:?}");
    assert!(cov.interest[reason] > 0, "{name}: {cov:?}");
}

/// The `rst` pin under traffic: with a probe pending, with a result stalled, on the same edge as
/// a command write and as a register read; the tables are rebuilt after each pulse.
#[test]
fn rst_pin_in_traffic() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let (a, b) = (key_a(), key_b());
        p.traffic = vec![a, b];
        for round in 0..6u32 {
            p.rule(0, &TcamEntry::match_all(1, Action::Drop), 1);
            p.flow(
                p.slot(&a, false, 0),
                &a,
                Action::Deliver { channel: 1 },
                false,
            );
            p.idle(6);
            p.stage(reg::KEY, &b.words());
            p.cmd(Opcode::Probe, 0);
            p.res_ready = round % 2 == 1;
            p.idle(round as usize);
            p.rst = true;
            match round % 3 {
                0 => p.cmd(Opcode::Commit, 0),
                1 => p.r(reg::CYCLE_LO),
                _ => p.idle(1),
            }
            p.res_ready = true;
            p.r(reg::STATUS);
            p.r(reg::PROBE_RESULT);
            p.r(reg::CYCLE_LO);
            p.counter(CounterSpace::Global, 0);
            p.idle(4);
        }
        let cov = run(
            cfg,
            &Fixed {
                name: "rst_pin",
                inputs: p.inputs,
            },
        );
        assert_eq!(cov.resets, 6);
        assert!(cov.results > 50);
    }
}

/// EVERY_PACKET: every current hit goes to the slow path (no channel count); switched on and off
/// by FLOW_SET_INTEREST under traffic; a stale entry's interest does not apply; FLOW_MOVE carries
/// the interest.
#[test]
fn interest_every_packet() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let a = key_a();
        let sa = p.slot(&a, false, 0);
        let other = if cfg.flow_ways > 1 {
            p.slot(&a, false, 1)
        } else {
            p.slot(&a, true, 0)
        };
        let all = interest(InterestMode::EveryPacket, 0);
        p.rule(1, &TcamEntry::match_all(1, Action::Drop), 3);
        p.interest_round(sa, &a, all, 12);
        for round in 0..4 {
            p.idle(round);
            p.set_interest(sa, interest(InterestMode::None, 0));
            p.idle(5);
            p.set_interest(sa, all);
            p.idle(round);
            p.flow_state(sa);
            // Stale: the rule decides; touched again, the interest applies again.
            p.cmd(Opcode::Commit, 0);
            p.idle(6);
            p.cmd(Opcode::FlowTouch, sa);
            p.idle(6);
            if other != sa {
                p.w(reg::CMD_ARG, other);
                p.cmd(Opcode::FlowMove, sa);
                p.idle(6);
                p.flow_state(other);
                p.w(reg::CMD_ARG, sa);
                p.cmd(Opcode::FlowMove, other);
                p.idle(3);
            }
            p.probe(&a, 0);
        }
        run_interest("interest_every_packet", cfg, p, 0);
    }
}

/// TCP_CTRL: only packets with SYN, FIN or RST go to the slow path, and a probe follows PKT_FLAGS.
#[test]
fn interest_tcp_ctrl() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let (a, b) = (key_a(), key_b());
        let sa = p.slot(&a, false, 0);
        let sb = p.slot(&b, true, cfg.flow_ways - 1);
        p.rule(
            0,
            &TcamEntry::match_all(1, Action::SlowPath { reason: 30 }),
            3,
        );
        p.flags = vec![
            0,
            SYN,
            ACK,
            SYN | ACK,
            PSH | ACK,
            FIN | ACK,
            RST,
            0xF8,
            0xFF,
        ];
        p.interest_round(sa, &a, interest(InterestMode::TcpCtrl, 7), 20);
        if sb != sa {
            p.w(reg::FLOW_INTEREST, interest(InterestMode::TcpCtrl, 0));
            p.flow(sb, &b, Action::Drop, true);
            p.traffic = vec![a, b, a];
            p.idle(20);
        }
        for f in [0, SYN, FIN, RST, ACK, 0xF8] {
            p.probe(&a, f as u32);
        }
        p.probe(&a, 0x102); // bits beyond FLAGS are not flags
        p.set_interest(sa, interest(InterestMode::None, 0));
        p.idle(10);
        p.set_interest(sa, interest(InterestMode::TcpCtrl, 0));
        p.idle(10);
        p.counter(CounterSpace::Global, 5);
        run_interest("interest_tcp_ctrl", cfg, p, 1);
    }
}

/// SAMPLE: every PERIOD-th packet by the slot's packet counter, also where a same-edge command
/// (CNT_CLEAR, FLOW_SET_INTEREST, FLOW_MOVE) loses the increment or changes the interest; probes
/// test the counter without counting.
#[test]
fn interest_sample() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let a = key_a();
        let sa = p.slot(&a, false, 0);
        let other = if cfg.flow_ways > 1 {
            p.slot(&a, false, 1)
        } else {
            p.slot(&a, true, 0)
        };
        p.rule(0, &TcamEntry::match_all(1, Action::Drop), 3);
        for period in [1, 2, 3, 5] {
            p.interest_round(sa, &a, interest(InterestMode::Sample, period), 11);
            for offset in 0..4 {
                p.idle(offset);
                p.w(reg::CMD_ARG, CounterSpace::Flow as u32);
                p.cmd(Opcode::CntClear, sa);
                p.idle(offset);
                p.set_interest(sa, interest(InterestMode::Sample, period + offset as u16));
                p.counter(CounterSpace::Flow, sa);
            }
            if other != sa {
                p.w(reg::CMD_ARG, other);
                p.cmd(Opcode::FlowMove, sa);
                p.idle(4);
                p.w(reg::CMD_ARG, sa);
                p.cmd(Opcode::FlowMove, other);
                p.idle(2);
            }
            p.traffic.clear();
            p.idle(4);
            for _ in 0..3 {
                p.probe(&a, 0);
            }
        }
        run_interest("interest_sample", cfg, p, 2);
    }
}

/// Invalid FLOW_INTEREST words are rejected (BAD_FLAGS) by FLOW_WRITE and FLOW_SET_INTEREST,
/// FLOW_SET_INTEREST checks its index first and leaves an invalid slot alone, FLOW_READ loads the
/// interest (0 from an invalid slot), and FLOW_WRITE's other checks keep their order.
#[test]
fn interest_rejections_and_reads() {
    for cfg in configs() {
        let mut p = Prog::new(cfg.clone());
        let a = key_a();
        let sa = p.slot(&a, false, 0);
        let m = cfg.flow_buckets * cfg.flow_ways;
        let all = interest(InterestMode::EveryPacket, 9);
        p.rule(0, &TcamEntry::match_all(1, Action::Drop), 3);
        p.interest_round(sa, &a, all, 6);
        let bad = [
            FlowInterest::MODE.put(4) | FlowInterest::PERIOD.put(1),
            FlowInterest::MODE.put(7),
            interest(InterestMode::Sample, 0),
            interest(InterestMode::None, 0) | 1 << 3,
            interest(InterestMode::TcpCtrl, 1) | 1 << 15,
        ];
        for word in bad {
            p.w(reg::ERROR, 0);
            p.set_interest(sa, word);
            p.r(reg::ERROR);
            p.r(reg::ERROR_INDEX);
            p.w(reg::ERROR, 0);
            p.w(reg::FLOW_INTEREST, word);
            p.flow(sa, &a, Action::Drop, false);
            p.r(reg::ERROR);
            p.w(reg::ERROR, 0);
            // BAD_FLAGS comes before BAD_ACTION, after BAD_INDEX.
            p.w(reg::ACTION, 3);
            p.cmd(Opcode::FlowWrite, sa);
            p.cmd(Opcode::FlowSetInterest, m);
            p.r(reg::ERROR);
            p.r(reg::ERROR_INDEX);
            p.flow_state(sa);
            p.idle(4);
        }
        p.w(reg::ERROR, 0);
        p.w(
            reg::FLOW_INTEREST,
            interest(InterestMode::Sample, 0xFFFF) | 0xFFF8,
        );
        p.flow(sa, &a, Action::Drop, false);
        p.r(reg::ERROR);
        // The staged word holds all 32 bits; FLOW_READ overwrites it with the slot's interest.
        p.w(reg::FLOW_INTEREST, 0xFFFF_FFFF);
        p.r(reg::FLOW_INTEREST);
        p.flow_state(sa);
        p.cmd(Opcode::FlowClear, sa);
        p.set_interest(sa, all);
        p.r(reg::ERROR);
        p.flow_state(sa);
        p.w(reg::PKT_FLAGS, 0xFFFF_FFFF);
        p.r(reg::PKT_FLAGS);
        p.w(reg::FLOW_INTEREST, all);
        p.flow(sa, &a, Action::Drop, false);
        p.idle(10);
        p.w(reg::CONTROL, 1);
        p.r(reg::FLOW_INTEREST);
        p.r(reg::PKT_FLAGS);
        p.flow_state(sa);
        run_interest("interest_rejections", cfg, p, 0);
    }
}
