//! ClassBench-ng IPv6 filter sets: the original ClassBench columns with IPv6 prefixes, as its
//! `generate v6` prints them (TAB separators, RFC 5952 addresses, the flags token and a
//! trailing TAB). Four sets are real ClassBench-ng output, one is hand-written for targeted
//! cases (tests/data/classbench-ng/README.md). Classifying them on the model is
//! tests/tests/classbench_ng.rs.

use std::net::IpAddr;

use gufc_regmap::{key, Key};
use gufc_rules::classbench::{self, Options};
use gufc_rules::{ErrorKind, Family, RuleSet, WarningKind};

const SET: &str = include_str!("../../../tests/data/classbench-ng/ipv6_hand");

/// The generated sets and their rule counts (db_generator drops redundant filters, so fewer
/// than the 1,000 asked for).
const GENERATED: [(&str, usize); 4] = [
    ("acl1_v6_1K", 847),
    ("fw1_v6_1K", 669),
    ("ipc1_v6_1K", 929),
    ("acl1_v6_s32_1K", 991),
];

fn generated(name: &str) -> String {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/classbench-ng"
    ))
    .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Source and destination prefix lengths counted from the text alone (the digits after the
/// `/` of the first two columns), to check the importer's against.
fn lengths_in_text(text: &str) -> [usize; 129] {
    let mut n = [0; 129];
    for line in text.lines() {
        for col in line.split('\t').take(2) {
            let len: usize = col.rsplit_once('/').unwrap().1.parse().unwrap();
            n[len] += 1;
        }
    }
    n
}

/// Rules whose TCP-flags token has a non-zero mask, counted from the text alone.
fn flagged_in_text(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let mask = l.split('\t').nth(5).unwrap().split_once('/').unwrap().1;
            u16::from_str_radix(mask.trim_start_matches("0x"), 16).unwrap() != 0
        })
        .count()
}

/// Rules whose flags token gufc cannot match in full, counted from the text alone: a
/// constrained mask on a rule that is not TCP-only (protocol `0x06/0xFF`), or mask bits in the
/// low byte or above the 6 matchable TCP flags (ECE 0x4000, CWR 0x8000).
fn lossy_in_text(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let mask = cols[5].split_once('/').unwrap().1;
            let mask = u16::from_str_radix(mask.trim_start_matches("0x"), 16).unwrap();
            mask != 0 && (cols[4] != "0x06/0xFF" || mask & 0xC0FF != 0)
        })
        .count()
}

/// `/len:count` for every length present, shortest first.
fn histogram(n: &[usize; 129]) -> String {
    (0..129)
        .filter(|&l| n[l] > 0)
        .map(|l| format!("/{l}:{}", n[l]))
        .collect::<Vec<_>>()
        .join(" ")
}

fn load(opts: Options) -> Result<RuleSet, gufc_rules::RuleErrors> {
    classbench::parse("ipv6_hand", SET, opts)
}

fn key(src: &str, dst: &str, proto: u8, sport: u16, dport: u16) -> Key {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    Key::new(ip(src), ip(dst), proto, sport, dport)
}

/// The 1-based rule number (line) of the first rule matching `k`, by the rules themselves and
/// by the compiled entries; both must agree.
fn first(set: &RuleSet, k: &Key) -> Option<u32> {
    let by_rules = set.rules.iter().find(|r| r.matches(k)).map(|r| r.loc.line);
    let c = gufc_rules::compile(&set.without_flags().0).unwrap();
    let by_entries = c.first_match(k).map(|e| set.rules[c.rule_of(e)].loc.line);
    assert_eq!(by_rules, by_entries, "{k}: rules and TCAM entries disagree");
    by_rules
}

#[test]
fn an_ipv6_set_loads_one_ipv6_rule_per_line() {
    let set = load(Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.rules.len(), 7);
    for (i, r) in set.rules.iter().enumerate() {
        assert_eq!(r.family, Some(Family::V6), "rule {}", i + 1);
        assert_eq!(r.loc.line, i as u32 + 1);
    }
    let r = &set.rules[0];
    assert_eq!(r.src.unwrap().to_string(), "2001:db8:a::/48");
    assert_eq!(r.dst.unwrap().to_string(), "2001:db8:100::/40");
    assert_eq!((r.dport.lo, r.dport.hi), (80, 80));
    assert_eq!(r.proto.value, 6);
    // Rule 5 matches SYN set: imported as its flags match, as for IPv4 sets.
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    assert_eq!(set.rules[4].flags.to_string(), "SYN/SYN");
    assert_eq!(set.flagged(), 1);
    let e = gufc_rules::compile(&set).unwrap_err();
    assert_eq!((e.loc.line, e.kind), (5, ErrorKind::FlagsNeedRtl2));
    let (plain, w) = set.without_flags();
    assert_eq!(w.unwrap().kind, WarningKind::TcpFlagsIgnored { rules: 1 });
    let c = gufc_rules::compile(&plain).unwrap();
    assert_eq!(c.len(), 7, "one TCAM entry per rule");
}

#[test]
fn ipv6_packets_meet_the_first_matching_rule() {
    let set = load(Options::default()).unwrap();
    let cases = [
        // (src, dst, proto, sport, dport, rule)
        ("2001:db8:a:9::1", "2001:db8:1ff::2", 6, 40000, 80, Some(1)),
        (
            "2001:db8:a:1::5",
            "2001:db8:100:7::1",
            17,
            2000,
            53,
            Some(2),
        ),
        (
            "2001:db8:a:1::5",
            "2001:db8:100:7::1",
            17,
            1023,
            53,
            Some(7),
        ),
        ("2001:db8:b::1", "2001:db8:100:7::1", 58, 0, 0, Some(3)),
        ("fe80::1", "ff02::1", 17, 546, 547, Some(4)),
        ("2001:db8:ffff::1", "2001:db8:140::1", 6, 1000, 443, Some(5)),
        ("2001:db8:ffff::1", "2001:db8:140::1", 6, 1024, 443, Some(7)),
        ("2001:db8:a::77", "2001:db8:200::1", 6, 5, 5, Some(6)),
        ("2002::1", "2003::1", 132, 1, 2, Some(7)),
    ];
    for (src, dst, proto, sp, dp, want) in cases {
        let k = key(src, dst, proto, sp, dp);
        assert_eq!(first(&set, &k), want, "{k}");
    }
    // An IPv6 set says nothing about IPv4 packets, `::/0 ::/0` included.
    assert_eq!(first(&set, &key("10.0.0.1", "10.0.0.2", 6, 1, 80)), None);
}

#[test]
fn strict_keeps_a_matchable_flags_column_and_refuses_ece_at_its_token() {
    assert_eq!(
        load(Options::new(true)).unwrap(),
        load(Options::default()).unwrap()
    );
    let text = SET.replace("0x0200/0x0200", "0x0200/0x4200");
    let e = classbench::parse("ipv6_hand", &text, Options::new(true)).unwrap_err();
    assert_eq!(e.0.len(), 1);
    let loc = &e.0[0].loc;
    let col = text.lines().nth(4).unwrap().find("0x0200").unwrap() as u32 + 1;
    assert_eq!((loc.line, loc.column), (5, col));
    assert!(
        e.to_string()
            .contains("TCP flags ECE above the matchable bits"),
        "{e}"
    );
}

#[test]
fn a_line_mixing_families_is_refused_at_the_destination() {
    let text = "@2001:db8::/32\t10.0.0.0/8\t0 : 65535\t0 : 65535\t0x06/0xFF\n\
                @10.0.0.0/8\t::/0\t0 : 65535\t0 : 65535\t0x06/0xFF\n";
    let e = classbench::parse("mixed", text, Options::default()).unwrap_err();
    let at: Vec<_> =
        e.0.iter()
            .map(|e| (e.loc.line, e.loc.column, e.kind.clone()))
            .collect();
    assert_eq!(
        at,
        [
            (1, 16, ErrorKind::MixedFamilies),
            (2, 13, ErrorKind::MixedFamilies)
        ]
    );
    assert!(
        e.to_string()
            .starts_with("mixed:1:16: rule mixes IPv4 and IPv6"),
        "{e}"
    );
}

#[test]
fn host_bits_in_an_ipv6_prefix_are_refused_with_their_place() {
    let text = "@2001:db8::1/32\t::/0\t0 : 65535\t0 : 65535\t0x06/0xFF\n";
    let e = classbench::parse("hostbits", text, Options::default()).unwrap_err();
    assert_eq!((e.0[0].loc.line, e.0[0].loc.column), (1, 1));
}

#[test]
fn every_generated_set_imports_with_the_prefixes_its_text_holds() {
    for (name, rules) in GENERATED {
        let text = generated(name);
        assert_eq!(text.lines().count(), rules, "{name}: lines");
        let set =
            classbench::parse(name, &text, Options::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.len(), rules, "{name}: rules");
        let mut lens = [0; 129];
        for (i, r) in set.rules.iter().enumerate() {
            assert_eq!(r.family, Some(Family::V6), "{name}: rule {}", i + 1);
            assert_eq!(r.loc.line as usize, i + 1);
            lens[r.src.unwrap().prefix_len() as usize] += 1;
            lens[r.dst.unwrap().prefix_len() as usize] += 1;
        }
        assert_eq!(
            histogram(&lens),
            histogram(&lengths_in_text(&text)),
            "{name}: prefix lengths"
        );
        // Flags columns are imported; what no device matches goes, with one warning counting.
        let flagged = flagged_in_text(&text);
        let lossy = lossy_in_text(&text);
        let got: Vec<usize> = set
            .warnings
            .iter()
            .map(|w| match w.kind {
                WarningKind::FlagsDropped { rules, .. } => rules,
                _ => panic!("{name}: {w}"),
            })
            .collect();
        let want: Vec<usize> = (lossy > 0).then_some(lossy).into_iter().collect();
        assert_eq!(got, want, "{name}: warnings");
        let imported = set.flagged();
        assert!(imported <= flagged && imported >= flagged - lossy, "{name}");
        gufc_rules::flags::check(&set, gufc_rules::flags::FLAG_BITS).unwrap();
        let c = gufc_rules::compile(&set.without_flags().0).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.entries_per_rule(rules).iter().all(|&n| n == 1));
        eprintln!(
            "{name}: {rules} rules -> {} TCAM entries; {flagged} flags columns, {imported} \
             imported, {lossy} with bits dropped; \
             prefix lengths (src+dst) {}",
            c.len(),
            histogram(&lens)
        );
    }
}

#[test]
fn the_smoothed_set_reaches_the_second_address_word() {
    // With smoothness 0 the IPv4 seeds give at most /32, all in the top address word (SRC3,
    // DST3: word 0 holds bits 31:0); smoothness 32 goes past it, into SRC2/DST2.
    let words = |name: &str| {
        let set = classbench::parse(name, &generated(name), Options::default()).unwrap();
        let c = gufc_rules::compile(&set.without_flags().0).unwrap();
        let longest = set
            .rules
            .iter()
            .flat_map(|r| [r.src.unwrap().prefix_len(), r.dst.unwrap().prefix_len()])
            .max()
            .unwrap();
        let second = c
            .entries
            .iter()
            .filter(|e| (0..3).any(|w| e.mask[key::SRC0 + w] | e.mask[key::DST0 + w] != 0))
            .count();
        (longest, second)
    };
    assert_eq!(words("acl1_v6_1K"), (32, 0));
    let (longest, second) = words("acl1_v6_s32_1K");
    assert!(longest > 32 && second > 0, "/{longest}, {second} entries");
}

/// A small deterministic generator (xorshift64*), so the headers are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn coin(&mut self) -> bool {
        self.next() >> 63 == 1
    }
}

/// A raw-trace header as ClassBench's `trace_generator` makes one: a random filter, then the
/// low or high end of each of its fields, the flags column included (`VALUE << 16 | MASK` for
/// a filter with a flags mask, else 0 or 0xFFFFFFFF). With the generating filter's index.
fn raw_header(set: &RuleSet, cols: &[(u16, u16)], rng: &mut Rng) -> (Key, u32, usize) {
    let g = rng.below(set.len());
    let r = &set.rules[g];
    let end = |p: gufc_rules::Prefix, hi: bool| {
        let host = !p.mask_bits();
        let a = if hi { p.bits() | host } else { p.bits() };
        IpAddr::from(a.to_be_bytes())
    };
    let src = end(r.src.unwrap(), rng.coin());
    let dst = end(r.dst.unwrap(), rng.coin());
    let pick = |lo: u16, hi: u16, rng: &mut Rng| if rng.coin() { hi } else { lo };
    let sport = pick(r.sport.lo, r.sport.hi, rng);
    let dport = pick(r.dport.lo, r.dport.hi, rng);
    let proto = match r.proto.mask {
        0 => pick(0, 255, rng) as u8,
        _ => r.proto.value,
    };
    let (v, m) = cols[g];
    let column = match m {
        0 => pick(0, 1, rng) as u32 * u32::MAX,
        _ => (v as u32) << 16 | m as u32,
    };
    (Key::new(src, dst, proto, sport, dport), column, g)
}

/// Each line's flags column `(value, mask)`, from the text alone.
fn flags_columns(text: &str) -> Vec<(u16, u16)> {
    text.lines()
        .map(|l| {
            let (v, m) = l.split('\t').nth(5).unwrap().split_once('/').unwrap();
            let hex = |s: &str| u16::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
            (hex(v), hex(m))
        })
        .collect()
}

/// On raw-trace headers made from each generated set, how many get another first match when
/// the rules' TCP flags are honoured than when they are dropped (what an RTL 1.x device does),
/// and how many differ from ClassBench's own flag-aware answer (a flagged filter matches only
/// the one flags column it generates; see docs/rules.md).
#[test]
fn honouring_flags_changes_answers_on_raw_trace_headers() {
    let mut total = 0;
    for (name, _) in GENERATED {
        let text = generated(name);
        let set = classbench::parse(name, &text, Options::default()).unwrap();
        let (plain, _) = set.without_flags();
        let cols = flags_columns(&text);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let headers = 10 * set.len();
        let (mut changed, mut vs_classbench) = (0, 0);
        for _ in 0..headers {
            let (k, column, g) = raw_header(&set, &cols, &mut rng);
            let flags = classbench::trace_tcp_flags(column);
            let honoured = set.first_match_with_flags(&k, flags);
            let dropped = plain.first_match(&k);
            // Made from filter g with g's own flags: g matches it, so the answer is g or earlier.
            assert!(
                honoured.is_some_and(|h| h <= g),
                "{name}: {k} flags {flags:#04x} from rule {}: got {honoured:?}",
                g + 1
            );
            assert!(
                dropped <= honoured,
                "{name}: dropping flags can only match earlier"
            );
            changed += usize::from(honoured != dropped);
            let classbench = (0..set.len()).find(|&i| {
                let (v, m) = cols[i];
                plain.rules[i].matches(&k) && (m == 0 || column == (v as u32) << 16 | m as u32)
            });
            vs_classbench += usize::from(honoured != classbench);
        }
        eprintln!(
            "{name}: {headers} raw-trace headers, {} flagged rules: {changed} ({:.2} %) change \
             answer with flags honoured vs dropped; {vs_classbench} ({:.2} %) differ from \
             ClassBench's flags-column equality",
            set.flagged(),
            100.0 * changed as f64 / headers as f64,
            100.0 * vs_classbench as f64 / headers as f64
        );
        total += changed;
    }
    // On some sets no flagged rule shadows another (ipc1), but not on all.
    assert!(total > 0, "honouring flags changed no answer on any set");
}
