//! Pipeline timing: latency, throughput under MMIO, stall, probe insertion, same-edge rules,
//! counters of all spaces, decisions (flow before rules, stale, priority).

mod common;

use common::{ip, slot_of, small, v4_rule, Bench};
use gufc_regmap::word::{FlowState, Meta, ProbeResult, Status};
use gufc_regmap::{
    key, reg, Action, CounterSpace, CycleIn, GlobalCounter as g, HitKind, Key, KeyIn, Mmio, Opcode,
    SlowReason, TcamEntry, Verdict,
};

fn any_rule(prio: u16, action: Action) -> TcamEntry {
    TcamEntry::match_all(prio, action)
}

fn k(n: u32) -> Key {
    Key::v4(
        ip(10, 0, 0, 1),
        ip(20, 0, 0, n as u8),
        6,
        1000 + n as u16,
        80,
    )
}

#[test]
fn latency_is_four_edges() {
    let mut b = Bench::new(small());
    b.tcam_write(0, &any_rule(1, Action::Deliver { channel: 5 }), 1);
    let t = b.send(k(1), 64, 42);
    b.idle(6);
    assert_eq!(b.results.len(), 1);
    let (edge, r) = b.results[0];
    assert_eq!(edge, t + 4);
    assert_eq!(
        (r.kind, r.index, r.action, r.len, r.tag),
        (HitKind::Rule, 0, Action::Deliver { channel: 5 }, 64, 42)
    );
}

#[test]
fn res_valid_and_key_ready_are_the_values_before_the_edge() {
    let mut b = Bench::new(small());
    let t = b.send(k(1), 1, 1);
    let outs: Vec<_> = (0..5).map(|_| b.step(CycleIn::default())).collect();
    // The result sits in `out` after edge t+3, so res_valid is 1 during cycle t+4 only.
    let valid: Vec<bool> = outs.iter().map(|o| o.res_valid).collect();
    assert_eq!(valid, [false, false, false, true, false], "accepted at {t}");
    assert!(outs.iter().all(|o| o.key_ready));
    assert!(outs[3].result.is_some());
}

#[test]
fn a_command_is_seen_by_keys_accepted_one_edge_before_it() {
    // Keys accepted at edges t-2 and t-1, then TCAM_WRITE of a better rule at edge t.
    let mut b = Bench::new(small());
    b.tcam_write(0, &any_rule(1, Action::Drop), 1);
    b.stage_entry(&any_rule(2, Action::Deliver { channel: 1 }), 1);
    let t0 = b.send(k(1), 1, 1);
    let t1 = b.send(k(2), 1, 2);
    assert_eq!(t1, t0 + 1);
    b.cmd(Opcode::TcamWrite, 1); // edge t0 + 2: key 1 is looked up now, key 2 at the next edge
    b.idle(6);
    let got: Vec<(u32, HitKind, u32)> = b
        .results
        .iter()
        .map(|(_, r)| (r.tag, r.kind, r.index))
        .collect();
    assert_eq!(got, [(1, HitKind::Rule, 0), (2, HitKind::Rule, 1)]);
}

#[test]
fn one_key_per_cycle_while_registers_are_written_every_cycle() {
    let mut b = Bench::new(small());
    b.tcam_write(0, &any_rule(1, Action::Drop), 1);
    let start = b.m.cycle();
    let n = 200u32;
    for i in 0..n {
        let out = b.step(CycleIn {
            mmio: Some(Mmio::Write {
                addr: reg::SCRATCH
                    + if i % 2 == 0 {
                        0
                    } else {
                        reg::KEY - reg::SCRATCH
                    },
                data: i,
            }),
            key: Some(KeyIn {
                key: k(i),
                len: 1,
                tag: i,
                tcp_flags: 0,
            }),
            res_ready: true,
            rst: false,
        });
        assert!(out.accepted, "key {i} not accepted");
    }
    b.idle(4);
    assert_eq!(b.m.cycle() - start, n as u64 + 4);
    assert_eq!(b.results.len(), n as usize);
    for (i, (edge, r)) in b.results.iter().enumerate() {
        assert_eq!(r.tag, i as u32);
        assert_eq!(*edge, start + i as u64 + 4);
    }
    assert_eq!(
        b.counter(CounterSpace::Global, g::Lookups as u32).0,
        n as u64
    );
}

#[test]
fn stall_holds_the_result_and_blocks_keys() {
    let mut b = Bench::new(small());
    // Fill the pipeline with 4 keys, then hold res_ready low.
    let t = b.send(k(0), 1, 0);
    for i in 1..4 {
        assert_eq!(b.send(k(i), 1, i), t + i as u64);
    }
    // Key 0 entered `out` at edge t+3; res_ready = 0 from edge t+4 stalls.
    for _ in 0..5 {
        let o = b.step(CycleIn {
            key: Some(KeyIn {
                key: k(9),
                len: 1,
                tag: 9,
                tcp_flags: 0,
            }),
            res_ready: false,
            mmio: None,
            rst: false,
        });
        assert!(o.res_valid && !o.key_ready && !o.accepted && o.result.is_none());
    }
    // Release: results come out one per edge in order, with nothing lost or duplicated.
    let o = b.step(CycleIn {
        key: Some(KeyIn {
            key: k(9),
            len: 1,
            tag: 9,
            tcp_flags: 0,
        }),
        res_ready: true,
        mmio: None,
        rst: false,
    });
    assert!(o.res_valid && o.key_ready && o.accepted && o.result.is_some());
    b.idle(8);
    let tags: Vec<u32> = b.results.iter().map(|(_, r)| r.tag).collect();
    assert_eq!(tags, [0, 1, 2, 3, 9]);
    let edges: Vec<u64> = b.results.iter().map(|(e, _)| *e).collect();
    assert_eq!(edges, [t + 9, t + 10, t + 11, t + 12, t + 13]);
}

#[test]
fn stall_also_freezes_counting() {
    let mut b = Bench::new(small());
    b.write(reg::CMD_ARG, CounterSpace::Global as u32);
    b.send(k(0), 5, 0);
    b.send(k(1), 5, 1);
    b.idle(2); // key 0 counted, in out
    for _ in 0..3 {
        b.step(CycleIn {
            res_ready: false,
            ..CycleIn::default()
        });
    }
    // key 1 is in s3 and not counted while stalled
    b.cmd(Opcode::CntRead, g::Lookups as u32);
    // this edge un-stalled (res_ready true): CNT_READ sees the state before the edge: 1 lookup
    assert_eq!(b.read(reg::CNT_PKTS_LO), 1);
    b.idle(4);
    assert_eq!(b.counter(CounterSpace::Global, g::Lookups as u32), (2, 10));
}

#[test]
fn probe_takes_one_input_slot_and_is_busy_for_four_edges() {
    let mut b = Bench::new(small());
    b.tcam_write(4, &any_rule(3, Action::SlowPath { reason: 77 }), 1);
    b.local_write(0, ip(10, 0, 0, 0) as u128, 0xFF00_0000, false, true);
    let mut w = k(1).words();
    // Locality and reserved bits are ignored in probes.
    w[key::META] = Meta::from_raw(w[key::META] | 1 << 11 | 1 << 31)
        .with_src_local(true)
        .raw();
    b.stage_key(&w);
    b.write(reg::PKT_LEN, 1500);
    let lookups = b.counter(CounterSpace::Global, 0);
    let t = b.m.cycle();
    b.cmd(Opcode::Probe, 0);
    // Cycle t+1: the probe takes the input slot.
    let o = b.step(CycleIn {
        mmio: Some(Mmio::Read { addr: reg::STATUS }),
        key: Some(KeyIn {
            key: k(2),
            len: 1,
            tag: 2,
            tcp_flags: 0,
        }),
        res_ready: true,
        rst: false,
    });
    assert!(!o.key_ready && !o.accepted);
    assert!(Status::from_raw(o.rdata).probe_busy());
    // t+2 .. t+4 busy, t+5 done.
    let busy: Vec<bool> = (0..4)
        .map(|_| Status::from_raw(b.read(reg::STATUS)).probe_busy())
        .collect();
    assert_eq!(busy, [true, true, true, false]);
    assert_eq!(b.m.cycle(), t + 6);
    let pr = ProbeResult::decode(b.read(reg::PROBE_RESULT)).unwrap();
    assert_eq!(pr.verdict(), Ok(Verdict::SlowPath));
    assert_eq!(pr.kind(), Ok(HitKind::Rule));
    assert_eq!(pr.reason(), 77);
    assert!(pr.src_local(), "computed by f1, not taken from KEY");
    assert!(!pr.dst_local());
    assert_eq!(pr.channel(), 0);
    assert_eq!(b.read(reg::PROBE_INDEX), 4);
    assert!(
        b.results.is_empty(),
        "a probe never leaves on the result port"
    );
    assert_eq!(
        b.counter(CounterSpace::Global, 0),
        lookups,
        "probes are not counted"
    );
    assert_eq!(b.counter(CounterSpace::Tcam, 4), (0, 0));
}

#[test]
fn probe_waits_for_a_stall_and_keeps_its_key() {
    let mut b = Bench::new(small());
    b.tcam_write(
        0,
        &v4_rule(
            (ip(10, 0, 0, 0), 8),
            (0, 0),
            (0, 65535),
            (0, 65535),
            None,
            1,
            Action::Drop,
        ),
        1,
    );
    b.stage_key(&k(1).words()); // matches rule 0
    b.send(k(0), 1, 0);
    b.idle(2);
    // key 0 enters `out` at this edge; the stall starts at the next one
    b.step(CycleIn {
        mmio: Some(Mmio::Write {
            addr: reg::CMD,
            data: (Opcode::Probe as u32) << 24,
        }),
        res_ready: false,
        key: None,
        rst: false,
    });
    // stalled for 3 more cycles while the staged KEY is changed to a miss
    b.step(CycleIn {
        mmio: Some(Mmio::Write {
            addr: reg::KEY,
            data: ip(99, 0, 0, 0),
        }),
        res_ready: false,
        key: None,
        rst: false,
    });
    for _ in 0..2 {
        let o = b.step(CycleIn {
            res_ready: false,
            ..CycleIn::default()
        });
        assert!(!o.key_ready);
    }
    b.idle(6);
    let pr = ProbeResult::from_raw(b.read(reg::PROBE_RESULT));
    assert_eq!(
        pr.kind(),
        Ok(HitKind::Rule),
        "the probe carries KEY as of the PROBE command"
    );
    assert!(!Status::from_raw(b.read(reg::STATUS)).probe_busy());
}

/// A key accepted at edge a is counted at edge a+3: a command at that edge.
fn count_edge_command(b: &mut Bench, key: Key, len: u16, op: Opcode, index: u32, arg: u32) {
    b.write(reg::CMD_ARG, arg);
    b.send(key, len, 0);
    b.idle(2);
    b.cmd(op, index);
    b.idle(2);
}

#[test]
fn same_edge_counter_write_wins() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    b.tcam_write(2, &any_rule(1, Action::Deliver { channel: 3 }), 1);
    b.lookup_len(k(0), 10);
    count_edge_command(
        &mut b,
        k(0),
        10,
        Opcode::CntClear,
        2,
        CounterSpace::Tcam as u32,
    );
    assert_eq!(
        b.counter(CounterSpace::Tcam, 2),
        (0, 0),
        "clear wins over the increment"
    );
    count_edge_command(
        &mut b,
        k(0),
        10,
        Opcode::CntClear,
        3,
        CounterSpace::Channel as u32,
    );
    assert_eq!(b.counter(CounterSpace::Channel, 3), (0, 0));
    count_edge_command(
        &mut b,
        k(0),
        10,
        Opcode::CntClear,
        g::Lookups as u32,
        CounterSpace::Global as u32,
    );
    assert_eq!(b.counter(CounterSpace::Global, g::Lookups as u32), (0, 0));
    assert_eq!(
        b.counter(CounterSpace::Global, g::RuleHits as u32),
        (4, 40),
        "other counters still count"
    );
    // CNT_READ at the counting edge sees the value before it.
    count_edge_command(
        &mut b,
        k(0),
        10,
        Opcode::CntRead,
        2,
        CounterSpace::Tcam as u32,
    );
    assert_eq!(b.read(reg::CNT_PKTS_LO), 2);
    assert_eq!(b.counter(CounterSpace::Tcam, 2), (3, 30));
    // TCAM_WRITE of the entry at the counting edge: counters 0.
    b.stage_entry(&any_rule(1, Action::Deliver { channel: 3 }), 1);
    count_edge_command(&mut b, k(0), 10, Opcode::TcamWrite, 2, 0);
    assert_eq!(b.counter(CounterSpace::Tcam, 2), (0, 0));
}

#[test]
fn counted_against_the_entry_hit_even_if_it_changed() {
    let mut b = Bench::new(small());
    b.tcam_write(2, &any_rule(1, Action::Deliver { channel: 3 }), 1);
    b.tcam_write(5, &any_rule(9, Action::Drop), 2); // plane 1 only
                                                    // Key accepted at a, looked up at a+2; TCAM_SET_PLANES at a+2 moves entry 2 out of the
                                                    // active plane: the key still decides on entry 2 and counts there.
    b.write(reg::PLANES, 2);
    let a = b.send(k(0), 10, 0);
    b.idle(1);
    b.cmd(Opcode::TcamSetPlanes, 2);
    b.idle(4);
    assert_eq!(b.results[0].0, a + 4);
    assert_eq!(
        (b.results[0].1.kind, b.results[0].1.index),
        (HitKind::Rule, 2)
    );
    assert_eq!(b.counter(CounterSpace::Tcam, 2), (1, 10));
    assert_eq!(b.lookup(k(0)).kind, HitKind::Miss);
}

#[test]
fn flow_move_at_the_counting_edge() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    let key = k(0);
    let (s1, s2) = (slot_of(&cfg, &key, false, 0), slot_of(&cfg, &key, true, 1));
    b.flow_write(s1, &key, Action::Deliver { channel: 1 }, false);
    b.lookup_len(key, 10);
    count_edge_command(&mut b, key, 10, Opcode::FlowMove, s1, s2);
    assert_eq!(
        b.counter(CounterSpace::Flow, s2),
        (1, 10),
        "destination gets the counters before the edge"
    );
    assert_eq!(
        b.counter(CounterSpace::Flow, s1),
        (1, 10),
        "the increment lands on the empty source"
    );
    // FLOW_CLEAR at the counting edge wins.
    count_edge_command(&mut b, key, 10, Opcode::FlowClear, s2, 0);
    assert_eq!(b.counter(CounterSpace::Flow, s2), (0, 0));
}

#[test]
fn flow_hit_state_and_last_hit_cycle() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    let key = k(3);
    let s = slot_of(&cfg, &key, true, 0);
    b.flow_write(s, &key, Action::Drop, false);
    b.write(reg::CONTROL, 0);
    let c0 = b.read(reg::CYCLE_LO); // CYCLE before edge `e`
    let e = b.m.cycle() - 1;
    let a = b.send(key, 9, 0);
    b.idle(4);
    b.cmd(Opcode::FlowRead, s);
    assert!(FlowState::from_raw(b.read(reg::FLOW_STATE)).hit());
    // counted at edge a+3, with the CYCLE value of that edge (before it)
    assert_eq!(b.read(reg::FLOW_LAST_HIT) as u64, c0 as u64 + (a + 3 - e));
    // A hit at the same edge as FLOW_READ stays set for the next read.
    count_edge_command(&mut b, key, 9, Opcode::FlowRead, s, 0);
    assert!(
        !FlowState::from_raw(b.read(reg::FLOW_STATE)).hit(),
        "read returns HIT before the edge"
    );
    b.cmd(Opcode::FlowRead, s);
    assert!(FlowState::from_raw(b.read(reg::FLOW_STATE)).hit());
}

#[test]
fn counters_of_all_spaces() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    let kd = k(1);
    let kf = k(2);
    let kmiss = Key::v4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 17, 1, 1);
    b.tcam_write(
        1,
        &v4_rule(
            (ip(10, 0, 0, 0), 8),
            (0, 0),
            (0, 65535),
            (0, 65535),
            Some(6),
            5,
            Action::Deliver { channel: 6 },
        ),
        1,
    );
    b.tcam_write(
        7,
        &v4_rule(
            (0, 0),
            (ip(20, 0, 0, 2), 32),
            (0, 65535),
            (0, 65535),
            None,
            9,
            Action::Drop,
        ),
        1,
    );
    let fs = slot_of(&cfg, &kf, false, 1);
    b.flow_write(fs, &kf, Action::SlowPath { reason: 20 }, false);
    assert_eq!(b.lookup_len(kd, 100).action, Action::Deliver { channel: 6 });
    assert_eq!(b.lookup_len(kd, 100).index, 1);
    assert_eq!(b.lookup_len(kf, 40).kind, HitKind::Flow);
    assert_eq!(
        b.lookup_len(kmiss, 7).action,
        Action::SlowPath {
            reason: SlowReason::Miss.bits()
        }
    );
    b.cmd(Opcode::Commit, 0);
    b.tcam_write(
        7,
        &v4_rule(
            (0, 0),
            (ip(20, 0, 0, 2), 32),
            (0, 65535),
            (0, 65535),
            None,
            9,
            Action::Drop,
        ),
        3,
    );
    let r = b.lookup_len(kf, 3); // stale flow, decided by rule 7 (DROP)
    assert_eq!(
        (r.kind, r.index, r.stale, r.action),
        (HitKind::Rule, 7, true, Action::Drop)
    );
    assert_eq!(b.counter(CounterSpace::Tcam, 1), (2, 200));
    assert_eq!(b.counter(CounterSpace::Tcam, 7), (1, 3));
    assert_eq!(b.counter(CounterSpace::Flow, fs), (1, 40));
    assert_eq!(b.counter(CounterSpace::Channel, 6), (2, 200));
    assert_eq!(b.counter(CounterSpace::Channel, 0), (0, 0));
    let want = [
        (g::Lookups, (5, 250)),
        (g::FlowHits, (1, 40)),
        (g::RuleHits, (3, 203)),
        (g::Misses, (1, 7)),
        (g::Drops, (1, 3)),
        (g::SlowPath, (2, 47)),
        (g::Delivered, (2, 200)),
        (g::StaleFlows, (1, 3)),
    ];
    for (i, w) in want {
        assert_eq!(b.counter(CounterSpace::Global, i as u32), w, "global {i}");
    }
}

#[test]
fn stale_flows_and_pinned() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    let key = k(4);
    let s = slot_of(&cfg, &key, false, 0);
    b.flow_write(s, &key, Action::Deliver { channel: 2 }, false);
    let other = k(5);
    let so = slot_of(&cfg, &other, true, 1);
    b.flow_write(so, &other, Action::Deliver { channel: 2 }, true);
    b.tcam_write(0, &any_rule(1, Action::SlowPath { reason: 30 }), 2);
    b.cmd(Opcode::Commit, 0);
    let r = b.lookup(key);
    assert_eq!(
        (r.kind, r.stale, r.action),
        (
            HitKind::Rule,
            true,
            Action::SlowPath {
                reason: SlowReason::Stale.bits()
            }
        )
    );
    let r = b.lookup(other);
    assert_eq!(
        (r.kind, r.stale, r.index),
        (HitKind::Flow, false, so),
        "pinned flows ignore the epoch"
    );
    // Rule DELIVER keeps its channel, stale flag set.
    b.tcam_write(1, &any_rule(2, Action::Deliver { channel: 4 }), 3);
    let r = b.lookup(key);
    assert_eq!(
        (r.kind, r.stale, r.action, r.index),
        (HitKind::Rule, true, Action::Deliver { channel: 4 }, 1)
    );
    // No rule: a miss, reason MISS, still flagged stale.
    b.write(reg::PLANES, 0);
    b.cmd(Opcode::TcamSetPlanes, 0);
    b.cmd(Opcode::TcamSetPlanes, 1);
    let r = b.lookup(key);
    assert_eq!(
        (r.kind, r.stale, r.action, r.index),
        (
            HitKind::Miss,
            true,
            Action::SlowPath {
                reason: SlowReason::Miss.bits()
            },
            0
        )
    );
    // Non-stale miss.
    let r = b.lookup(k(9));
    assert!(!r.stale);
}

#[test]
fn priority_tie_break_and_planes() {
    let mut b = Bench::new(small());
    b.tcam_write(10, &any_rule(5, Action::Deliver { channel: 1 }), 1);
    b.tcam_write(3, &any_rule(5, Action::Deliver { channel: 2 }), 1);
    b.tcam_write(20, &any_rule(4, Action::Deliver { channel: 3 }), 1);
    assert_eq!(b.lookup(k(0)).index, 3, "equal priority: lowest index");
    b.tcam_write(40, &any_rule(6, Action::Drop), 2);
    assert_eq!(b.lookup(k(0)).index, 3, "inactive plane ignored");
    b.cmd(Opcode::Commit, 0);
    assert_eq!(b.lookup(k(0)).index, 40);
    b.cmd(Opcode::Commit, 0);
    assert_eq!(b.lookup(k(0)).index, 3);
}

#[test]
fn flow_cache_decides_before_rules_and_ignores_key_locality() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    let key = k(6);
    b.tcam_write(0, &any_rule(9, Action::Drop), 1);
    let s = slot_of(&cfg, &key, true, 1);
    b.flow_write(s, &key, Action::Deliver { channel: 7 }, false);
    let mut with_local = key;
    with_local.src_local = true; // ignored on the key port
    let r = b.lookup(with_local);
    assert_eq!(
        (r.kind, r.index, r.action, r.src_local),
        (HitKind::Flow, s, Action::Deliver { channel: 7 }, false)
    );
    // A flow entry in a slot outside the key's buckets is never found.
    let wrong = (0..cfg.flow_buckets * cfg.flow_ways)
        .find(|&x| {
            let (b1, b2) = gufc_regmap::bucket_pair(&key, cfg.flow_buckets.trailing_zeros());
            x / cfg.flow_ways != b1 && x / cfg.flow_ways != b2
        })
        .unwrap();
    b.cmd(Opcode::FlowClear, s);
    b.flow_write(wrong, &key, Action::Deliver { channel: 7 }, false);
    assert_eq!(b.lookup(key).kind, HitKind::Rule);
}

#[test]
fn tcam_locality_bits_come_from_the_locality_table() {
    let mut b = Bench::new(small());
    let mut e = any_rule(1, Action::Deliver { channel: 1 });
    e.mask[key::META] = Meta::new().with_src_local(true).raw();
    e.value[key::META] = Meta::new().with_src_local(true).raw();
    b.tcam_write(0, &e, 1);
    let mut key = k(7);
    key.src_local = true;
    assert_eq!(
        b.lookup(key).kind,
        HitKind::Miss,
        "key-port locality bits are ignored"
    );
    b.local_write(2, ip(10, 0, 0, 0) as u128, 0xFFFF_0000, false, true);
    let r = b.lookup(key);
    assert_eq!((r.kind, r.src_local), (HitKind::Rule, true));
}

#[test]
fn reset_drops_in_flight_items() {
    let mut b = Bench::new(small());
    b.send(k(0), 1, 0);
    b.send(k(1), 1, 1);
    b.cmd(Opcode::Probe, 0);
    b.write(reg::CONTROL, 1);
    b.idle(10);
    assert!(b.results.is_empty());
    assert_eq!(b.read(reg::PROBE_RESULT), 0);
    assert_eq!(b.status(), 0);
    assert_eq!(b.counter(CounterSpace::Global, 0), (0, 0));
}

#[test]
fn result_in_out_transfers_at_the_reset_edge() {
    let mut b = Bench::new(small());
    b.send(k(0), 1, 0);
    b.idle(3); // in `out` after the third edge
    let o = b.step(CycleIn {
        mmio: Some(Mmio::Write {
            addr: reg::CONTROL,
            data: 1,
        }),
        ..CycleIn::default()
    });
    assert!(o.res_valid && o.result.is_some());
    b.idle(5);
    assert_eq!(b.results.len(), 1);
}

#[test]
fn cnt_clear_of_a_flow_counter_also_drops_the_hit() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    let key = k(8);
    let s = slot_of(&cfg, &key, false, 1);
    b.flow_write(s, &key, Action::Drop, false);
    count_edge_command(
        &mut b,
        key,
        9,
        Opcode::CntClear,
        s,
        CounterSpace::Flow as u32,
    );
    assert_eq!(b.counter(CounterSpace::Flow, s), (0, 0));
    b.cmd(Opcode::FlowRead, s);
    assert!(!FlowState::from_raw(b.read(reg::FLOW_STATE)).hit());
    assert_eq!(b.read(reg::FLOW_LAST_HIT), 0);
    assert_eq!(
        b.counter(CounterSpace::Global, g::FlowHits as u32),
        (1, 9),
        "the global counter still counts"
    );
}

#[test]
fn the_decision_is_taken_at_the_lookup_edge() {
    let mut b = Bench::new(small());
    b.tcam_write(2, &any_rule(1, Action::Deliver { channel: 3 }), 1);
    b.stage_entry(&any_rule(1, Action::Drop), 1);
    // Looked up at a+2 with the old action; the entry is rewritten at a+3 (the counting edge).
    count_edge_command(&mut b, k(0), 10, Opcode::TcamWrite, 2, 0);
    let r = b.results.last().unwrap().1;
    assert_eq!(
        (r.kind, r.index, r.action),
        (HitKind::Rule, 2, Action::Deliver { channel: 3 })
    );
    assert_eq!(
        b.counter(CounterSpace::Channel, 3),
        (1, 10),
        "channel counted from the captured action"
    );
    assert_eq!(b.lookup(k(0)).action, Action::Drop);
}

#[test]
fn a_key_offered_at_the_reset_edge_is_accepted_and_dropped() {
    let mut b = Bench::new(small());
    let o = b.step(CycleIn {
        mmio: Some(Mmio::Write {
            addr: reg::CONTROL,
            data: 1,
        }),
        key: Some(KeyIn {
            key: k(0),
            len: 1,
            tag: 0,
            tcp_flags: 0,
        }),
        res_ready: true,
        rst: false,
    });
    assert!(o.key_ready && o.accepted);
    b.idle(8);
    assert!(b.results.is_empty());
}

/// The `rst` pin: no key is accepted, a read returns 0, a result waiting in `out` still
/// transfers, and everything (tables, pipeline, the cycle counter) clears at that edge.
#[test]
fn the_rst_pin_clears_everything_but_lets_the_waiting_result_out() {
    let mut b = Bench::new(small());
    b.tcam_write(0, &any_rule(1, Action::Drop), 1);
    b.write(reg::SCRATCH, 0x5A5A);
    // A key in flight, then the pulse on the edge its result sits in `out`.
    b.step(CycleIn {
        key: Some(KeyIn {
            key: k(0),
            len: 1,
            tag: 7,
            tcp_flags: 0,
        }),
        ..CycleIn::default()
    });
    b.idle(gufc_regmap::device::LATENCY as usize - 1);
    let o = b.step(CycleIn {
        mmio: Some(Mmio::Read { addr: reg::SCRATCH }),
        key: Some(KeyIn {
            key: k(0),
            len: 1,
            tag: 8,
            tcp_flags: 0,
        }),
        res_ready: true,
        rst: true,
    });
    assert!(!o.key_ready && !o.accepted, "no key accepted under rst");
    assert_eq!(o.rdata, 0, "a read under rst returns 0");
    assert_eq!(
        o.result.map(|r| r.tag),
        Some(7),
        "the waiting result transfers"
    );
    assert_eq!(b.read(reg::SCRATCH), 0);
    assert_eq!(b.lookup(k(0)).kind, HitKind::Miss, "the TCAM cleared");
}
