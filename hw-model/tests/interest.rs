//! Flow-entry interest (FLOW_INTEREST, FLOW_SET_INTEREST, PKT_FLAGS; docs/timing.md f3): a
//! current flow hit whose interest selects the packet goes to the slow path with the
//! interest's reason; counting is unchanged.

mod common;

use common::*;
use gufc_regmap::{
    counter_space, field, global_counter, interest_mode, opcode, reason_code, reg, slow_reason,
    Action, CycleIn, HitKind, Key, KeyIn, LookupResult,
};

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;

fn interest(mode: u8, period: u16) -> u32 {
    field::FLOW_INTEREST_MODE.put(mode as u32) | field::FLOW_INTEREST_PERIOD.put(period as u32)
}

fn key() -> Key {
    Key::v4(0x0a00_0001, 0x0a00_0002, 6, 1000, 80)
}

/// A bench with `key()` cached in slot 4 (bucket-independent: the model looks up by key)
/// delivering to channel 2, with interest word `w`.
fn bench(w: u32) -> (Bench, u32) {
    let mut b = Bench::new(small());
    b.write(reg::FLOW_INTEREST, w);
    let (b1, _) = gufc_regmap::bucket_pair(&key(), small().flow_buckets.trailing_zeros());
    let slot = b1 * small().flow_ways;
    b.flow_write(slot, &key(), Action::Deliver { channel: 2 }, false);
    assert_eq!(b.error().0, 0);
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
    let (mut b, slot) = bench(interest(interest_mode::EVERY_PACKET, 0));
    for _ in 0..5 {
        let r = lookup_flags(&mut b, ACK);
        assert_eq!(
            (r.kind, r.index, r.action),
            (
                HitKind::Flow,
                slot,
                Action::SlowPath {
                    reason: slow_reason::INTEREST_ALL
                }
            )
        );
    }
    assert_eq!(b.counter(counter_space::FLOW, slot), (5, 500));
    assert_eq!(b.counter(counter_space::CHANNEL, 2).0, 0);
    assert_eq!(
        b.counter(counter_space::GLOBAL, global_counter::FLOW_HITS as u32)
            .0,
        5
    );
    assert_eq!(
        b.counter(counter_space::GLOBAL, global_counter::SLOW_PATH as u32)
            .0,
        5
    );
}

#[test]
fn tcp_ctrl_selects_syn_fin_rst_only() {
    let (mut b, _) = bench(interest(interest_mode::TCP_CTRL, 0));
    for (flags, to_host) in [
        (SYN, true),
        (ACK, false),
        (SYN | ACK, true),
        (0x18, false),
        (FIN | ACK, true),
        (RST, true),
        (0, false),
    ] {
        let r = lookup_flags(&mut b, flags);
        let want = if to_host {
            Action::SlowPath {
                reason: slow_reason::INTEREST_CTRL,
            }
        } else {
            Action::Deliver { channel: 2 }
        };
        assert_eq!(r.action, want, "flags {flags:#x}");
        assert_eq!(r.kind, HitKind::Flow);
    }
    assert_eq!(b.counter(counter_space::CHANNEL, 2).0, 3);
}

#[test]
fn sample_selects_when_the_counter_after_the_packet_is_a_multiple_of_the_period() {
    let (mut b, _) = bench(interest(interest_mode::SAMPLE, 3));
    let picked: Vec<u64> = (1..=10u64)
        .filter(|_| lookup_flags(&mut b, ACK).action != Action::Deliver { channel: 2 })
        .collect();
    assert_eq!(picked, vec![3, 6, 9]);
    // Back to back (several packets in the pipeline at once) the same holds.
    let (mut b, slot) = bench(interest(interest_mode::SAMPLE, 4));
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
                    reason: slow_reason::INTEREST_SAMPLE,
                }
        })
        .map(|(_, r)| r.tag + 1)
        .collect();
    assert_eq!(picked, vec![4, 8, 12]);
    assert_eq!(b.counter(counter_space::FLOW, slot).0, 12);
}

#[test]
fn set_interest_changes_only_the_interest_and_read_and_move_carry_it() {
    let (mut b, slot) = bench(interest(interest_mode::NONE, 0));
    for _ in 0..3 {
        assert_eq!(
            lookup_flags(&mut b, SYN).action,
            Action::Deliver { channel: 2 }
        );
    }
    b.write(reg::FLOW_INTEREST, interest(interest_mode::TCP_CTRL, 0));
    b.cmd(opcode::FLOW_SET_INTEREST, slot);
    assert_eq!(b.error().0, 0);
    assert_eq!(
        lookup_flags(&mut b, SYN).action,
        Action::SlowPath {
            reason: slow_reason::INTEREST_CTRL
        }
    );
    assert_eq!(b.counter(counter_space::FLOW, slot).0, 4, "counters kept");
    // FLOW_READ loads it back; FLOW_MOVE carries it.
    b.write(reg::FLOW_INTEREST, 0);
    b.cmd(opcode::FLOW_READ, slot);
    assert_eq!(
        b.read(reg::FLOW_INTEREST),
        interest(interest_mode::TCP_CTRL, 0)
    );
    let other = slot + 1;
    b.cmd_arg(opcode::FLOW_MOVE, slot, other);
    assert_eq!(b.error().0, 0);
    b.cmd(opcode::FLOW_READ, other);
    assert_eq!(
        b.read(reg::FLOW_INTEREST),
        interest(interest_mode::TCP_CTRL, 0)
    );
    // An invalid slot reads 0 and ignores FLOW_SET_INTEREST.
    b.cmd(opcode::FLOW_READ, slot);
    assert_eq!(b.read(reg::FLOW_INTEREST), 0);
    b.write(reg::FLOW_INTEREST, interest(interest_mode::EVERY_PACKET, 0));
    b.cmd(opcode::FLOW_SET_INTEREST, slot);
    assert_eq!(b.error().0, 0);
    b.cmd(opcode::FLOW_READ, slot);
    assert_eq!(field::FLOW_STATE_VALID.get(b.read(reg::FLOW_STATE)), 0);
    assert_eq!(b.read(reg::FLOW_INTEREST), 0);
}

#[test]
fn invalid_interest_words_are_rejected_and_change_nothing() {
    let (mut b, slot) = bench(interest(interest_mode::TCP_CTRL, 0));
    let m = small().flow_buckets * small().flow_ways;
    for bad in [
        interest(4, 0),
        interest(7, 1),
        interest(interest_mode::SAMPLE, 0),
        interest(interest_mode::EVERY_PACKET, 0) | 1 << 8,
    ] {
        b.clear_error();
        b.write(reg::FLOW_INTEREST, bad);
        b.cmd(opcode::FLOW_SET_INTEREST, slot);
        assert_eq!(
            b.error(),
            (reason_code::BAD_FLAGS, opcode::FLOW_SET_INTEREST, 1, slot),
            "{bad:#x}"
        );
        b.clear_error();
        b.cmd(opcode::FLOW_WRITE, slot + 1);
        assert_eq!(
            b.error().0,
            reason_code::BAD_FLAGS,
            "FLOW_WRITE with {bad:#x}"
        );
    }
    b.clear_error();
    b.write(reg::FLOW_INTEREST, interest(interest_mode::NONE, 0));
    b.cmd(opcode::FLOW_SET_INTEREST, m);
    assert_eq!(b.error().0, reason_code::BAD_INDEX);
    b.clear_error();
    assert_eq!(
        lookup_flags(&mut b, RST).action,
        Action::SlowPath {
            reason: slow_reason::INTEREST_CTRL
        },
        "unchanged"
    );
    b.cmd(opcode::FLOW_READ, slot + 1);
    assert_eq!(
        field::FLOW_STATE_VALID.get(b.read(reg::FLOW_STATE)),
        0,
        "rejected FLOW_WRITE wrote nothing"
    );
}

#[test]
fn a_stale_entry_ignores_its_interest_and_a_probe_uses_pkt_flags() {
    let (mut b, slot) = bench(interest(interest_mode::TCP_CTRL, 0));
    b.write(reg::PKT_FLAGS, SYN as u32);
    b.stage_key(&key().words());
    b.cmd(opcode::PROBE, 0);
    b.idle(6);
    let p = b.read(reg::PROBE_RESULT);
    assert_eq!(
        field::PROBE_RESULT_REASON.get(p) as u8,
        slow_reason::INTEREST_CTRL
    );
    assert_eq!(b.read(reg::PROBE_INDEX), slot);
    assert_eq!(
        b.counter(counter_space::FLOW, slot).0,
        0,
        "probes never count"
    );
    // After a commit the entry is stale: no rule, so a miss, whatever the interest.
    b.cmd(opcode::COMMIT, 0);
    let r = lookup_flags(&mut b, SYN);
    assert_eq!(
        (r.kind, r.stale, r.action),
        (
            HitKind::Miss,
            true,
            Action::SlowPath {
                reason: slow_reason::MISS
            }
        )
    );
}

#[test]
fn set_interest_applies_from_the_key_accepted_one_edge_before() {
    let (mut b, slot) = bench(interest(interest_mode::NONE, 0));
    b.write(reg::FLOW_INTEREST, interest(interest_mode::EVERY_PACKET, 0));
    let mut accepted = Vec::new();
    let mut cmd_edge = 0;
    for t in 0..20u32 {
        let edge = b.m.cycle();
        let mmio = (t == 10).then(|| {
            cmd_edge = edge;
            gufc_regmap::Mmio::Write {
                addr: reg::CMD,
                data: field::CMD_OPCODE.put(opcode::FLOW_SET_INTEREST as u32)
                    | field::CMD_INDEX.put(slot),
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
                    reason: slow_reason::INTEREST_ALL
                },
            to_host,
            "key accepted at {edge}, command at {cmd_edge}"
        );
    }
}
