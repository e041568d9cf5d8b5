//! Part 3: a commit reaches cached flows at once. The test streams a long-lived cached flow
//! back to back while a DROP rule for it is committed, and checks the exact cycle from which
//! its packets are dropped; then that still-valid flows come back without a storm.

use gufc_flowlife::{ByteAccounting, Config, EndReason, SlowPath, Speed};
use gufc_regmap::{Action, HitKind, Key, KeyIn, TcamEntry};
use gufc_testkit::flowlife::*;

fn drop_dport(port: u16) -> TcamEntry {
    TcamEntry {
        dport: (port, port),
        ..TcamEntry::match_all(100, Action::Drop)
    }
}

#[test]
fn packets_are_dropped_from_the_cycle_after_the_commit_edge_minus_one() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 1);
    let k = Key::v4(0x0a00_0001, 0xc000_020a, 6, 40000, 5001);
    dev.flow_insert(&k, Action::Deliver { channel: 1 }, false)
        .unwrap();
    dev.bar().record_accepts();
    for tag in 0..3000u32 {
        dev.bar().push(
            KeyIn {
                key: k,
                len: 100,
                tag,
                tcp_flags: 0,
            },
            0,
        );
    }
    for _ in 0..500 {
        dev.bar().tick();
    }
    // The new rule set, committed while the flow streams at one packet per cycle.
    dev.replace_rules(&[
        drop_dport(5001),
        TcamEntry::match_all(0, Action::Deliver { channel: 1 }),
    ])
    .unwrap();
    while dev.bar().queued() > 0 || dev.bar().in_flight() > 0 {
        dev.bar().tick();
    }
    let commit = *dev.bar().commits().last().expect("a COMMIT was written");
    let accepted: std::collections::HashMap<u32, u64> =
        dev.bar().accepts().iter().copied().collect();
    let mut results = Vec::new();
    while let Some(r) = dev.bar().pop_result() {
        results.push(r);
    }
    assert_eq!(results.len(), 3000);
    let (mut before, mut after) = (0, 0);
    for r in &results {
        let edge = accepted[&r.tag];
        if edge + 1 < commit {
            // Looked up at edge+2 <= commit: the cached decision, still current.
            assert_eq!(
                (r.kind, r.action),
                (HitKind::Flow, Action::Deliver { channel: 1 }),
                "packet accepted at edge {edge}, commit at {commit}"
            );
            before += 1;
        } else {
            assert_eq!(
                (r.kind, r.action, r.stale),
                (HitKind::Rule, Action::Drop, true),
                "packet accepted at edge {edge}, commit at {commit}"
            );
            after += 1;
        }
    }
    assert!(
        before > 500 && after > 1000,
        "{before} before, {after} after"
    );
    // The first dropped packet was accepted exactly one edge before the COMMIT edge.
    let first_drop = results
        .iter()
        .filter(|r| r.action == Action::Drop)
        .map(|r| accepted[&r.tag])
        .min()
        .unwrap();
    assert_eq!(first_drop, commit - 1);
}

#[test]
fn the_sweep_removes_flows_the_new_rules_drop_with_their_final_counters() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 1);
    let mut s = SlowPath::new(Config::default());
    s.subscribe(Box::new(ByteAccounting::default()));
    let k = Key::v4(1, 2, 6, 40000, 5001);
    let keep = Key::v4(1, 2, 6, 40001, 80);
    let rep = run(
        &mut dev,
        &mut s,
        merge([tcp_conn(k, 0, 6, false), tcp_conn(keep, 5, 6, false)].concat()),
        Speed::Scaled(1.0),
        false,
    );
    assert_eq!(rep.flows_learned, 2);
    dev.replace_rules(&[
        drop_dport(5001),
        TcamEntry::match_all(0, Action::Deliver { channel: 1 }),
    ])
    .unwrap();
    let sw = s.sweep(&mut dev, 2_000_000_000).unwrap();
    assert_eq!(sw.revalidated, 2);
    assert!(
        dev.flow_lookup(&k).unwrap().is_none() && dev.flow_lookup(&k.reversed()).unwrap().is_none()
    );
    assert!(s.lookup(&k).is_none());
    let f = dev.flow_lookup(&keep).unwrap().unwrap();
    assert!(!f.stale, "the still-valid flow was touched back to current");
    assert_eq!(s.stats.revalidated_removed, 1);
    assert_eq!(s.stats.revalidated_touched, 1);
    assert_eq!(s.stats.ended.get("rule_change"), Some(&1));
    let bills = &s.subscribers()[0].report();
    assert_eq!(bills["connections"], 1);
    assert_eq!(
        bills["packets"], 9,
        "3 handshake packets seen by the host + 6 decided by the flow entries"
    );
    let _ = EndReason::RuleChange;
}

#[test]
fn still_valid_flows_come_back_lazily_without_a_storm() {
    let mut dev = device(256, 8);
    accept_all(&mut dev, 1);
    let mut s = SlowPath::new(Config::default());
    let conns: Vec<Key> = (0..50)
        .map(|i| Key::v4(0x0a00_0000 + i, 0xc000_0201, 6, 30000 + i as u16, 443))
        .collect();
    let warm = merge(
        conns
            .iter()
            .enumerate()
            .flat_map(|(i, k)| tcp_conn(*k, i as u64 * 10, 2, false))
            .collect(),
    );
    let rep = run(&mut dev, &mut s, warm, Speed::Scaled(1.0), false);
    assert_eq!(rep.flows_learned, 50);
    // An unrelated rule: every cached flow goes stale, every one is still valid.
    dev.replace_rules(&[
        drop_dport(23),
        TcamEntry::match_all(0, Action::Deliver { channel: 1 }),
    ])
    .unwrap();
    let seen0 = s.stats.packets;
    // 20 more packets per connection, interleaved, 10 µs apart.
    let mut traffic = Vec::new();
    for round in 0..20u64 {
        for (i, k) in conns.iter().enumerate() {
            let key = if round % 2 == 0 { *k } else { k.reversed() };
            traffic.push(pkt(100_000 + (round * 50 + i as u64) * 10, key, ACK, 200));
        }
    }
    let rep = run(&mut dev, &mut s, traffic, Speed::Scaled(1.0), false);
    let host = s.stats.packets - seen0;
    // Each connection's first packet after the commit re-validates it (one FLOW_TOUCH per
    // direction); nothing else reaches the host.
    assert_eq!(host, 50, "host packets after the commit");
    assert_eq!(s.stats.revalidated_touched, 50);
    assert_eq!(rep.cache_hits, 1000 - 50);
    assert_eq!(
        rep.channels.get("1"),
        Some(&1000),
        "no packet was lost or mis-steered"
    );
}
