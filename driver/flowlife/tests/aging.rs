//! Part 4: idle flows age out with their final counters; a full table refuses (counted) or
//! evicts the idlest connection; nothing fails silently.

use gufc_flowlife::{ByteAccounting, Config, Eviction, Offload, SlowPath, Speed, Timeouts};
use gufc_regmap::Key;
use gufc_testkit::flowlife::*;

const S: u64 = 1_000_000_000;

#[test]
fn idle_udp_flows_expire_after_their_timeout_with_final_counters() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config::default());
    s.subscribe(Box::new(ByteAccounting::default()));
    let a = Key::v4(1, 2, 17, 1000, 53);
    let b = Key::v4(1, 2, 17, 1001, 53);
    let t = |sec: u64| sec * 1_000_000; // µs
    let pkts = vec![
        pkt(0, a, 0, 80),
        pkt(10, b, 0, 80),
        pkt(100, a.reversed(), 0, 120),
        pkt(110, b.reversed(), 0, 120),
    ];
    run(&mut dev, &mut s, pkts, Speed::Scaled(1.0), false);
    // Only `a` is active later (cache hits the host never sees).
    run(
        &mut dev,
        &mut s,
        vec![pkt(t(60), a, 0, 80), pkt(t(60) + 10, a, 0, 80)],
        Speed::Scaled(1.0),
        false,
    );
    assert_eq!(Timeouts::default().udp_replied_s, 120);
    let base = 1_000_000_000; // the helpers' time origin
    let r = s.sweep(&mut dev, base + 100 * S).unwrap();
    assert_eq!(r.expired, 0);
    let r = s.sweep(&mut dev, base + 125 * S).unwrap();
    assert_eq!(r.expired, 1, "b idle since t=0 for more than 120 s");
    assert!(s.lookup(&b).is_none() && dev.flow_lookup(&b).unwrap().is_none());
    assert!(s.lookup(&a).is_some());
    // a's hits at t=60 s were noticed by the sweep ending that run (hit bit): it lives until
    // t=180 s.
    assert_eq!(s.sweep(&mut dev, base + 179 * S).unwrap().expired, 0);
    assert_eq!(s.sweep(&mut dev, base + 181 * S).unwrap().expired, 1);
    assert_eq!(dev.flow_count(), Some(0));
    let rep = s.subscribers()[0].report();
    assert_eq!(rep["connections"], 2);
    assert_eq!(
        rep["packets"], 6,
        "4 seen by the host + 2 counted by a's entry"
    );
    assert_eq!(rep["bytes"], 80 * 4 + 120 * 2);
    assert_eq!(s.stats.ended.get("idle"), Some(&2));
}

#[test]
fn a_full_table_refuses_by_default_and_counts_it() {
    let mut dev = device(1, 2); // two slots: one connection
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config::default());
    let a = Key::v4(1, 2, 6, 1000, 80);
    let b = Key::v4(1, 2, 6, 1001, 80);
    let rep = run(
        &mut dev,
        &mut s,
        merge([tcp_conn(a, 0, 4, false), tcp_conn(b, 1000, 4, false)].concat()),
        Speed::Scaled(1.0),
        false,
    );
    assert_eq!(rep.flows_learned, 1);
    assert_eq!(s.stats.refused_inserts.get("table_full"), Some(&1));
    assert!(matches!(
        s.lookup(&b).unwrap().0.offload,
        Offload::Refused { .. }
    ));
    assert!(
        dev.flow_lookup(&b).unwrap().is_none() && dev.flow_lookup(&b.reversed()).unwrap().is_none(),
        "no half connection"
    );
    assert_eq!(
        rep.cache_hits, 4,
        "a's data hit; b's went through the rule and the host"
    );
}

#[test]
fn evict_idlest_makes_room_by_ending_the_idlest_connection() {
    let mut dev = device(1, 2);
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config {
        eviction: Eviction::EvictIdlest,
        ..Config::default()
    });
    s.subscribe(Box::new(ByteAccounting::default()));
    let a = Key::v4(1, 2, 6, 1000, 80);
    let b = Key::v4(1, 2, 6, 1001, 80);
    let rep = run(
        &mut dev,
        &mut s,
        merge([tcp_conn(a, 0, 4, false), tcp_conn(b, 1000, 4, false)].concat()),
        Speed::Scaled(1.0),
        false,
    );
    assert_eq!(rep.flows_learned, 2);
    assert_eq!(s.stats.ended.get("evicted"), Some(&1));
    assert!(
        s.lookup(&a).is_none(),
        "a was idle (no hit since its data), so it went"
    );
    assert!(dev.flow_lookup(&b).unwrap().is_some());
    assert_eq!(
        s.subscribers()[0].report()["packets"],
        7,
        "a's final counters: 3 host + 4 cached"
    );
}
