//! ClassBench filter sets and traces (format in tests/data/classbench/README.md) as TCAM
//! entries and keys. Shared by the ClassBench test and the lookup benchmark.
#![allow(dead_code)]

use std::path::PathBuf;

use gufc_regmap::word::Meta;
use gufc_regmap::{key, Action, Key, TcamEntry};

/// `tests/data/classbench/` of the workspace, or `$GUFC_CLASSBENCH`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("GUFC_CLASSBENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/data/classbench"
            ))
        })
}

pub fn read(name: &str) -> String {
    let p = data_dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn prefix(s: &str) -> (u32, u32) {
    let (a, l) = s
        .trim_start_matches('@')
        .split_once('/')
        .expect("a.b.c.d/len");
    let a: std::net::Ipv4Addr = a.parse().expect("IPv4 address");
    let l: u32 = l.parse().expect("prefix length");
    (u32::from(a), if l == 0 { 0 } else { u32::MAX << (32 - l) })
}

fn hex(s: &str) -> u32 {
    u32::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16).expect("hex")
}

/// One IPv4 TCAM entry per rule (ports are native ranges), all of priority 0 so that file
/// order decides (lowest index wins). The upper address words are compared as zero.
pub fn rules(text: &str) -> Vec<TcamEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            let (s, sm) = prefix(t[0]);
            let (d, dm) = prefix(t[1]);
            let (pv, pm) = t[8]
                .split_once('/')
                .map(|(v, m)| (hex(v), hex(m)))
                .expect("proto");
            let mut e = TcamEntry::match_all(0, Action::Deliver { channel: 0 });
            e.value[key::SRC0] = s & sm;
            e.mask[key::SRC0] = sm;
            e.value[key::DST0] = d & dm;
            e.mask[key::DST0] = dm;
            for w in [
                key::SRC1,
                key::SRC2,
                key::SRC3,
                key::DST1,
                key::DST2,
                key::DST3,
            ] {
                e.mask[w] = u32::MAX;
            }
            e.mask[key::META] = Meta::new().with_ipv6(true).with_proto(pm as u8).raw();
            e.value[key::META] = Meta::new().with_proto((pv & pm) as u8).raw();
            e.sport = (t[2].parse().expect("port"), t[4].parse().expect("port"));
            e.dport = (t[5].parse().expect("port"), t[7].parse().expect("port"));
            e
        })
        .collect()
}

/// The same rule moved into IPv6 space: the IPv4 prefix becomes the top 32 bits.
pub fn to_v6(e: &TcamEntry) -> TcamEntry {
    let mut x = *e;
    for base in [key::SRC0, key::DST0] {
        x.value[base + 3] = e.value[base];
        x.mask[base + 3] = e.mask[base];
        for j in 0..3 {
            x.value[base + j] = 0;
            x.mask[base + j] = 0;
        }
    }
    x.value[key::META] = Meta::from_raw(x.value[key::META]).with_ipv6(true).raw();
    x
}

/// Trace headers with the 0-based index of the rule that must decide them.
pub fn trace(text: &str) -> Vec<(Key, u32)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let n: Vec<u64> = l
                .split_whitespace()
                .map(|x| x.parse().expect("number"))
                .collect();
            (
                Key::v4(
                    n[0] as u32,
                    n[1] as u32,
                    n[4] as u8,
                    n[2] as u16,
                    n[3] as u16,
                ),
                n[5] as u32 - 1,
            )
        })
        .collect()
}
