//! Real rule sets: ClassBench 1K filter sets and their traces (whose last column is the
//! first matching rule) through the model, by every TCAM strategy, as IPv4 and moved to IPv6.

mod common;

use common::classbench::{read, rules, to_v6, trace};
use common::Bench;
use gufc_hw_model::{Config, TcamStrategy};
use gufc_regmap::{CycleIn, HitKind, Key, KeyIn, TcamEntry};

fn check(set: &str, strategy: TcamStrategy, v6: bool) {
    let entries: Vec<TcamEntry> = rules(&read(set))
        .iter()
        .map(|e| if v6 { to_v6(e) } else { *e })
        .collect();
    let mut keys = trace(&read(&format!("{set}_trace")));
    if v6 {
        for (i, (k, _)) in keys.iter_mut().enumerate() {
            // the low 96 bits are outside every rule's prefix
            let noise = (i as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            *k = Key {
                src: (k.src << 96) | (noise & !(!0u128 << 96)),
                dst: (k.dst << 96) | 7,
                ipv6: true,
                ..*k
            };
        }
    }
    let mut b = Bench::new(Config {
        tcam_entries: 1024,
        ..Config::default()
    });
    b.m.set_tcam_strategy(strategy);
    for (i, e) in entries.iter().enumerate() {
        b.tcam_write(i as u32, e, 1);
    }
    assert_eq!(b.error().2, 0);
    let first = b.results.len();
    for (i, (k, _)) in keys.iter().enumerate() {
        let out = b.step(CycleIn {
            key: Some(KeyIn {
                key: *k,
                len: 64,
                tag: i as u32,
                tcp_flags: 0,
            }),
            ..CycleIn::default()
        });
        assert!(out.accepted);
    }
    b.idle(4);
    let got = &b.results[first..];
    assert_eq!(got.len(), keys.len());
    for (_, r) in got {
        let want = keys[r.tag as usize].1;
        assert_eq!(
            (r.kind, r.index),
            (HitKind::Rule, want),
            "{set} {strategy:?} v6={v6} trace line {}",
            r.tag + 1
        );
    }
}

#[test]
fn acl1_1k() {
    for s in [TcamStrategy::Auto, TcamStrategy::Index, TcamStrategy::Scan] {
        check("acl1_1K", s, false);
    }
    check("acl1_1K", TcamStrategy::Index, true);
}

#[test]
fn fw1_1k() {
    check("fw1_1K", TcamStrategy::Index, false);
    check("fw1_1K", TcamStrategy::Index, true);
}

#[test]
fn ipc1_1k() {
    check("ipc1_1K", TcamStrategy::Index, false);
    check("ipc1_1K", TcamStrategy::Index, true);
}
