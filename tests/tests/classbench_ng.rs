//! ClassBench-ng IPv6 filter sets (tests/data/classbench-ng, real `db_generator -6` output)
//! through `gufc classify`'s path on the model: imported, compiled, programmed over BAR writes,
//! every header through the device pipeline.
//!
//! ClassBench-ng has no trace generator, so the headers are made here from the rules: for each
//! rule, points inside it (its lowest and highest address and port corners and a random one)
//! and just outside it (the last prefix bit flipped, a port one past an end). The expected
//! answers come from this file's own reading of the filter text and a first-match scan over
//! it; neither the importer nor the compiler under test is involved.

use std::net::Ipv6Addr;

use gufc::backend::SimKind;
use gufc::classify::classify_keys;
use gufc::rules::{load_file, Format};
use gufc_conformance::{data, open};
use gufc_regmap::Key;

/// One filter line as the text says it, for the reference scan.
struct Filter {
    src: (u128, u8),
    dst: (u128, u8),
    sport: (u16, u16),
    dport: (u16, u16),
    /// Protocol value and mask.
    proto: (u8, u8),
}

/// Reads `@src/len TAB dst/len TAB lo : hi TAB lo : hi TAB 0xPP/0xMM TAB flags TAB`. The flags
/// column is skipped: a 5-tuple key has no flags (the importer warns about it).
fn filters(text: &str) -> Vec<Filter> {
    let prefix = |s: &str| {
        let (a, l) = s.split_once('/').unwrap();
        (
            u128::from(a.parse::<Ipv6Addr>().unwrap()),
            l.parse().unwrap(),
        )
    };
    let ports = |s: &str| {
        let (lo, hi) = s.split_once(" : ").unwrap();
        (lo.parse().unwrap(), hi.parse().unwrap())
    };
    let hex = |s: &str| u8::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    text.lines()
        .map(|line| {
            let c: Vec<&str> = line.strip_prefix('@').unwrap().split('\t').collect();
            let (pv, pm) = c[4].split_once('/').unwrap();
            Filter {
                src: prefix(c[0]),
                dst: prefix(c[1]),
                sport: ports(c[2]),
                dport: ports(c[3]),
                proto: (hex(pv), hex(pm)),
            }
        })
        .collect()
}

/// Address bits below a `len`-bit prefix.
fn host(len: u8) -> u128 {
    u128::MAX.checked_shr(len as u32).unwrap_or(0)
}

fn in_prefix(a: u128, (v, len): (u128, u8)) -> bool {
    (a ^ v) & !host(len) == 0
}

impl Filter {
    fn matches(&self, k: &Key) -> bool {
        in_prefix(k.src, self.src)
            && in_prefix(k.dst, self.dst)
            && (self.sport.0..=self.sport.1).contains(&k.sport)
            && (self.dport.0..=self.dport.1).contains(&k.dport)
            && k.proto & self.proto.1 == self.proto.0 & self.proto.1
    }
}

/// The 1-based line of the first filter matching `k`, 0 for none (as `classify` reports).
fn first_match(filters: &[Filter], k: &Key) -> u32 {
    filters
        .iter()
        .position(|f| f.matches(k))
        .map_or(0, |i| i as u32 + 1)
}

/// splitmix64: a fixed sequence, so every run checks the same headers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn u128(&mut self) -> u128 {
        (self.next() as u128) << 64 | self.next() as u128
    }
    fn port(&mut self, (lo, hi): (u16, u16)) -> u16 {
        lo + (self.next() % (hi as u64 - lo as u64 + 1)) as u16
    }
}

/// Headers for every filter, each with the line it was made from: three points inside it
/// (lowest corner, highest corner, random) and three just outside (source prefix's last bit
/// flipped, destination's, a destination port one past an end), each otherwise inside.
fn headers(filters: &[Filter], rng: &mut Rng) -> Vec<(Key, u32)> {
    let mut keys = Vec::new();
    for (line, f) in (1..).zip(filters) {
        let proto = if f.proto.1 == 0 {
            [6, 17, 1, 58][(rng.next() % 4) as usize]
        } else {
            f.proto.0
        };
        let key = |src, dst, sport, dport| {
            let k = Key {
                src,
                dst,
                ipv6: true,
                proto,
                sport,
                dport,
                ..Key::default()
            };
            (k, line)
        };
        let inside = |rng: &mut Rng, (v, len): (u128, u8)| v | (rng.u128() & host(len));
        let flip = |(v, len): (u128, u8)| (len > 0).then(|| v ^ (1u128 << (128 - len as u32)));
        let (s, d) = (inside(rng, f.src), inside(rng, f.dst));
        let (sp, dp) = (rng.port(f.sport), rng.port(f.dport));
        keys.push(key(f.src.0, f.dst.0, f.sport.0, f.dport.0));
        keys.push(key(
            f.src.0 | host(f.src.1),
            f.dst.0 | host(f.dst.1),
            f.sport.1,
            f.dport.1,
        ));
        keys.push(key(s, d, sp, dp));
        if let Some(a) = flip(f.src) {
            keys.push(key(a, d, sp, dp));
        }
        if let Some(a) = flip(f.dst) {
            keys.push(key(s, a, sp, dp));
        }
        let past = if f.dport.1 < u16::MAX {
            Some(f.dport.1 + 1)
        } else {
            f.dport.0.checked_sub(1)
        };
        if let Some(p) = past {
            keys.push(key(s, d, sp, p));
        }
    }
    keys
}

/// `set` through the model with a 1,024-entry TCAM against the reference scan.
fn check(set: &str) {
    let path = data(&format!("classbench-ng/{set}"));
    let text = std::fs::read_to_string(&path).unwrap();
    let reference = filters(&text);
    let loaded =
        load_file(&path, Some(Format::ClassBench), false).unwrap_or_else(|e| panic!("{set}: {e}"));
    assert_eq!(loaded.set.len(), reference.len(), "{set}: rules");
    let (keys, made_from): (Vec<Key>, Vec<u32>) = headers(&reference, &mut Rng(0x6C62_6E67))
        .into_iter()
        .unzip();
    let expected: Vec<u32> = keys.iter().map(|k| first_match(&reference, k)).collect();
    // Headers decided by the rule they were made from, and by another rule or none: both kinds
    // must occur, or the inside or the just-outside points test nothing.
    let own = (0..keys.len())
        .filter(|&i| expected[i] == made_from[i])
        .count();
    assert!(
        own > 0 && own < keys.len(),
        "{set}: {own} of {} by their own rule",
        keys.len()
    );
    let started = std::time::Instant::now();
    let got = classify_keys(&mut open(SimKind::Model, 1024, 1024), &loaded, keys.clone())
        .unwrap_or_else(|e| panic!("{set}: {e}"));
    assert_eq!(
        got.matches.len(),
        keys.len(),
        "{set}: one result per header"
    );
    let bad: Vec<usize> = (0..keys.len())
        .filter(|&i| got.matches[i] != expected[i])
        .collect();
    assert!(
        bad.is_empty(),
        "{set}: {} mismatches of {}; first {}: got rule {}, expected {}",
        bad.len(),
        keys.len(),
        keys[bad[0]],
        got.matches[bad[0]],
        expected[bad[0]]
    );
    assert_eq!(
        got.tcam_entries, got.rules,
        "{set}: one TCAM entry per rule"
    );
    assert_eq!(
        got.stream.cycles,
        got.stream.keys + gufc_regmap::device::LATENCY as u64,
        "{set}: one lookup per cycle"
    );
    let misses = expected.iter().filter(|&&r| r == 0).count();
    eprintln!(
        "{set}: {} rules -> {} TCAM entries; {} headers ({own} decided by their own rule, \
         {misses} by none), 0 mismatches; model {:.2?}",
        got.rules,
        got.tcam_entries,
        keys.len(),
        started.elapsed()
    );
}

#[test]
fn acl1_v6_1k_model() {
    check("acl1_v6_1K");
}

#[test]
fn fw1_v6_1k_model() {
    check("fw1_v6_1K");
}

#[test]
fn ipc1_v6_1k_model() {
    check("ipc1_v6_1K");
}

#[test]
fn acl1_v6_s32_1k_model() {
    check("acl1_v6_s32_1K");
}
