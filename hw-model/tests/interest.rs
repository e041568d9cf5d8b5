//! Flow-entry interest (FLOW_INTEREST, FLOW_SET_INTEREST, PKT_FLAGS; docs/timing.md f3): a
//! current flow hit whose interest selects the packet goes to the slow path with the
//! interest's reason; counting is unchanged.

mod common;

use common::*;
use gufc_regmap::word::{Cmd, FlowInterest, FlowState, ProbeResult, TcpFlags};
use gufc_regmap::{
    reg, Action, CounterSpace, CycleIn, GlobalCounter, HitKind, InterestMode, Key, KeyIn,
    LookupResult, Opcode, ReasonCode, SlowReason,
};

const SYN: u8 = TcpFlags::new().with_syn(true).raw() as u8;
const ACK: u8 = TcpFlags::new().with_ack(true).raw() as u8;
const PSH: u8 = TcpFlags::new().with_psh(true).raw() as u8;
const FIN: u8 = TcpFlags::new().with_fin(true).raw() as u8;
const RST: u8 = TcpFlags::new().with_rst(true).raw() as u8;

fn interest(mode: InterestMode, period: u16) -> FlowInterest {
    FlowInterest::new().with_mode(mode).with_period(period)
}

fn key() -> Key {
    Key::v4(0x0a00_0001, 0x0a00_0002, 6, 1000, 80)
}

/// A bench with `key()` cached in slot 4 (bucket-independent: the model looks up by key)
/// delivering to channel 2, with interest word `w`.
fn bench(w: FlowInterest) -> (Bench, u32) {
    let mut b = Bench::new(small());
    b.put(w);
    let (b1, _) = gufc_regmap::bucket_pair(&key(), small().flow_buckets.trailing_zeros());
    let slot = b1 * small().flow_ways;
    b.flow_write(slot, &key(), Action::Deliver { channel: 2 }, false);
    assert_eq!(b.error().0, ReasonCode::None);
    (b, slot)
}

fn lookup_flags(b: &mut Bench, flags: u8) -> LookupResult {
    let before = b.results.len();
    loop {
        let out = b.step(CycleIn {
            key: Some(KeyIn {
                key: key(),
                len: 100,
                tag: 7,
                tcp_flags: flags,
            }),
            ..CycleIn::default()
        });
        if out.accepted {
            break;
        }
    }
    while b.results.len() == before {
        b.idle(1);
    }
    b.results[before].1
}

#[test]
fn all_sends_every_packet_to_the_host_and_counts_it_in_the_flow_slot() {
    let (mut b, slot) = bench(interest(InterestMode::EveryPacket, 0));
    for _ in 0..5 {
        let r = lookup_flags(&mut b, ACK);
        assert_eq!(
            (r.kind, r.index, r.action),
            (
                HitKind::Flow,
                slot,
                Action::SlowPath {
                    reason: SlowReason::InterestAll.bits()
                }
            )
        );
    }
    assert_eq!(b.counter(CounterSpace::Flow, slot), (5, 500));
    assert_eq!(b.counter(CounterSpace::Channel, 2).0, 0);
    assert_eq!(
        b.counter(CounterSpace::Global, GlobalCounter::FlowHits as u32)
            .0,
        5
    );
    assert_eq!(
        b.counter(CounterSpace::Global, GlobalCounter::SlowPath as u32)
            .0,
        5
    );
}

#[test]
fn tcp_ctrl_selects_syn_fin_rst_only() {
    let (mut b, _) = bench(interest(InterestMode::TcpCtrl, 0));
    for (flags, to_host) in [
        (SYN, true),
        (ACK, false),
        (SYN | ACK, true),
        (PSH | ACK, false),
        (FIN | ACK, true),
        (RST, true),
        (0, false),
    ] {
        let r = lookup_flags(&mut b, flags);
        let want = if to_host {
            Action::SlowPath {
                reason: SlowReason::InterestCtrl.bits(),
            }
        } else {
            Action::Deliver { channel: 2 }
        };
        assert_eq!(r.action, want, "flags {flags:#x}");
        assert_eq!(r.kind, HitKind::Flow);
    }
    assert_eq!(b.counter(CounterSpace::Channel, 2).0, 3);
}

#[test]
fn sample_selects_when_the_counter_after_the_packet_is_a_multiple_of_the_period() {
    let (mut b, _) = bench(interest(InterestMode::Sample, 3));
    let picked: Vec<u64> = (1..=10u64)
        .filter(|_| lookup_flags(&mut b, ACK).action != Action::Deliver { channel: 2 })
        .collect();
    assert_eq!(picked, vec![3, 6, 9]);
    // Back to back (several packets in the pipeline at once) the same holds.
    let (mut b, slot) = bench(interest(InterestMode::Sample, 4));
    for t in 0..12 {
        b.send(key(), 60, t);
    }
    b.idle(8);
    let picked: Vec<u32> = b
        .results
        .iter()
        .filter(|(_, r)| {
            r.action
                == Action::SlowPath {
                    reason: SlowReason::InterestSample.bits(),
                }
        })
        .map(|(_, r)| r.tag + 1)
        .collect();
    assert_eq!(picked, vec![4, 8, 12]);
    assert_eq!(b.counter(CounterSpace::Flow, slot).0, 12);
}

#[test]
fn set_interest_changes_only_the_interest_and_read_and_move_carry_it() {
    let (mut b, slot) = bench(interest(InterestMode::None, 0));
    for _ in 0..3 {
        assert_eq!(
            lookup_flags(&mut b, SYN).action,
            Action::Deliver { channel: 2 }
        );
    }
    b.put(interest(InterestMode::TcpCtrl, 0));
    b.cmd(Opcode::FlowSetInterest, slot);
    assert_eq!(b.error().0, ReasonCode::None);
    assert_eq!(
        lookup_flags(&mut b, SYN).action,
        Action::SlowPath {
            reason: SlowReason::InterestCtrl.bits()
        }
    );
    assert_eq!(b.counter(CounterSpace::Flow, slot).0, 4, "counters kept");
    // FLOW_READ loads it back; FLOW_MOVE carries it.
    b.write(reg::FLOW_INTEREST, 0);
    b.cmd(Opcode::FlowRead, slot);
    assert_eq!(
        b.read(reg::FLOW_INTEREST),
        interest(InterestMode::TcpCtrl, 0).raw()
    );
    let other = slot + 1;
    b.cmd_arg(Opcode::FlowMove, slot, other);
    assert_eq!(b.error().0, ReasonCode::None);
    b.cmd(Opcode::FlowRead, other);
    assert_eq!(
        b.read(reg::FLOW_INTEREST),
        interest(InterestMode::TcpCtrl, 0).raw()
    );
    // An invalid slot reads 0 and ignores FLOW_SET_INTEREST.
    b.cmd(Opcode::FlowRead, slot);
    assert_eq!(b.read(reg::FLOW_INTEREST), 0);
    b.put(interest(InterestMode::EveryPacket, 0));
    b.cmd(Opcode::FlowSetInterest, slot);
    assert_eq!(b.error().0, ReasonCode::None);
    b.cmd(Opcode::FlowRead, slot);
    assert!(!FlowState::from_raw(b.read(reg::FLOW_STATE)).valid());
    assert_eq!(b.read(reg::FLOW_INTEREST), 0);
}

#[test]
fn invalid_interest_words_are_rejected_and_change_nothing() {
    let (mut b, slot) = bench(interest(InterestMode::TcpCtrl, 0));
    let m = small().flow_buckets * small().flow_ways;
    for bad in [
        FlowInterest::MODE.put(4),
        FlowInterest::from_raw(FlowInterest::MODE.put(7))
            .with_period(1)
            .raw(),
        interest(InterestMode::Sample, 0).raw(),
        interest(InterestMode::EveryPacket, 0).raw() | 1 << 8,
    ] {
        b.clear_error();
        b.write(reg::FLOW_INTEREST, bad);
        b.cmd(Opcode::FlowSetInterest, slot);
        assert_eq!(
            b.error(),
            (
                ReasonCode::BadFlags,
                Opcode::FlowSetInterest.bits(),
                1,
                slot
            ),
            "{bad:#x}"
        );
        b.clear_error();
        b.cmd(Opcode::FlowWrite, slot + 1);
        assert_eq!(
            b.error().0,
            ReasonCode::BadFlags,
            "FLOW_WRITE with {bad:#x}"
        );
    }
    b.clear_error();
    b.put(interest(InterestMode::None, 0));
    b.cmd(Opcode::FlowSetInterest, m);
    assert_eq!(b.error().0, ReasonCode::BadIndex);
    b.clear_error();
    assert_eq!(
        lookup_flags(&mut b, RST).action,
        Action::SlowPath {
            reason: SlowReason::InterestCtrl.bits()
        },
        "unchanged"
    );
    b.cmd(Opcode::FlowRead, slot + 1);
    assert!(
        !FlowState::from_raw(b.read(reg::FLOW_STATE)).valid(),
        "rejected FLOW_WRITE wrote nothing"
    );
}

#[test]
fn a_stale_entry_ignores_its_interest_and_a_probe_uses_pkt_flags() {
    let (mut b, slot) = bench(interest(InterestMode::TcpCtrl, 0));
    b.put(gufc_regmap::word::PktFlags::new().with_flags(SYN));
    b.stage_key(&key().words());
    b.cmd(Opcode::Probe, 0);
    b.idle(6);
    let p = ProbeResult::from_raw(b.read(reg::PROBE_RESULT));
    assert_eq!(
        p.action(),
        Ok(Action::SlowPath {
            reason: SlowReason::InterestCtrl.bits()
        })
    );
    assert_eq!(b.read(reg::PROBE_INDEX), slot);
    assert_eq!(
        b.counter(CounterSpace::Flow, slot).0,
        0,
        "probes never count"
    );
    // After a commit the entry is stale: no rule, so a miss, whatever the interest.
    b.cmd(Opcode::Commit, 0);
    let r = lookup_flags(&mut b, SYN);
    assert_eq!(
        (r.kind, r.stale, r.action),
        (
            HitKind::Miss,
            true,
            Action::SlowPath {
                reason: SlowReason::Miss.bits()
            }
        )
    );
}

#[test]
fn set_interest_applies_from_the_key_accepted_one_edge_before() {
    let (mut b, slot) = bench(interest(InterestMode::None, 0));
    b.put(interest(InterestMode::EveryPacket, 0));
    let mut accepted = Vec::new();
    let mut cmd_edge = 0;
    for t in 0..20u32 {
        let edge = b.m.cycle();
        let mmio = (t == 10).then(|| {
            cmd_edge = edge;
            gufc_regmap::Mmio::Write {
                addr: reg::CMD,
                data: Cmd::new()
                    .with_opcode(Opcode::FlowSetInterest)
                    .with_index(slot)
                    .raw(),
            }
        });
        let out = b.step(CycleIn {
            mmio,
            key: Some(KeyIn {
                key: key(),
                len: 60,
                tag: t,
                tcp_flags: 0,
            }),
            res_ready: true,
            rst: false,
        });
        assert!(out.accepted);
        accepted.push(edge);
    }
    b.idle(8);
    for (_, r) in &b.results {
        let edge = accepted[r.tag as usize];
        let to_host = edge + 1 >= cmd_edge;
        assert_eq!(
            r.action
                == Action::SlowPath {
                    reason: SlowReason::InterestAll.bits()
                },
            to_host,
            "key accepted at {edge}, command at {cmd_edge}"
        );
    }
}
