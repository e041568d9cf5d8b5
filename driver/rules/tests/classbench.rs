//! The ClassBench importer and the compiler against the six filter sets and their traces in
//! tests/data/classbench: a first-match scan over the compiled TCAM entries must name the
//! trace's expected rule on every header checked.
//!
//! Cost: the 1K sets are checked on every trace line. The 10K sets' traces repeat headers
//! (acl1_10K: 97,000 lines, 32,847 distinct), so lines are grouped by header (and every line
//! of a group must carry the same label); a debug build then scans every 8th distinct header
//! of the 10K sets, a release build (`cargo test --release`) scans all of them.

use std::cmp::Reverse;
use std::collections::HashMap;

use gufc_regmap::{key, Action, Key, TcamEntry, KEY_WORDS};
use gufc_rules::classbench::{self, parse_trace, Options, TraceColumns, TraceEntry};
use gufc_rules::ranges::{plan, CHECKERS};
use gufc_rules::{compile, text, Compiled, ErrorKind, FlagsMatch, Loc, Rule, RuleSet, WarningKind};

fn data(name: &str) -> (String, String) {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/classbench"
    ))
    .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (name.to_string(), text)
}

fn load(name: &str) -> RuleSet {
    let (file, text) = data(name);
    classbench::parse(&file, &text, Options::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn trace(name: &str) -> Vec<TraceEntry> {
    let (file, text) = data(&format!("{name}_trace"));
    parse_trace(&file, &text, TraceColumns::Labelled).unwrap_or_else(|e| panic!("{e}"))
}

/// Entry indices in the order the hardware prefers them: priority down, then index up.
fn hw_order(entries: &[TcamEntry]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| (Reverse(entries[i].prio), i));
    order
}

/// The first entry in `order` that matches: docs/timing.md f2 with the key's words computed
/// once (`TcamEntry::matches` recomputes them per entry, which dominates a debug build).
fn scan(entries: &[TcamEntry], order: &[usize], key: &Key) -> Option<usize> {
    let w = key.words();
    order.iter().copied().find(|&i| {
        let e = &entries[i];
        (0..KEY_WORDS).all(|j| (w[j] ^ e.value[j]) & e.mask[j] == 0)
            && (e.sport.0..=e.sport.1).contains(&key.sport)
            && (e.dport.0..=e.dport.1).contains(&key.dport)
    })
}

/// `order` split by the top byte of an IPv4 destination: list b keeps, in order, the entries
/// whose destination word can match a key with top byte b. Scanning list b is the same as
/// scanning all of `order`, only without entries that cannot match.
fn by_dst_byte(entries: &[TcamEntry], order: &[usize]) -> Vec<Vec<usize>> {
    (0..256u32)
        .map(|b| {
            let keep = |e: &TcamEntry| {
                ((b << 24) ^ e.value[key::DST0]) & e.mask[key::DST0] & 0xFF00_0000 == 0
            };
            order
                .iter()
                .copied()
                .filter(|&i| keep(&entries[i]))
                .collect()
        })
        .collect()
}

/// Checks `name` against its whole trace; every `stride`-th distinct header is also scanned
/// with `TcamEntry::matches`. Returns (headers cross-checked, trace lines checked).
fn check(name: &str, rules: usize, lines: usize, stride: usize) -> (usize, usize) {
    let set = load(name);
    assert_eq!(set.len(), rules, "{name}: rule count");
    assert!(set.warnings.is_empty(), "{name}: {:?}", set.warnings);
    let c: Compiled = compile(&set).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.len(), rules, "{name}: one TCAM entry per rule");
    // In these files every line is a rule, so the rule number is both the line and index + 1.
    for (i, r) in set.rules.iter().enumerate() {
        assert_eq!(r.loc.line as usize, i + 1);
    }
    let tr = trace(name);
    assert_eq!(tr.len(), lines, "{name}: trace lines");
    // Neither these filters (9 tokens) nor their traces (6 columns) carry flags, so the answer
    // with flags honoured (`RuleSet::first_match_with_flags`) is the one with flags dropped on
    // every header: 0 changes on each set. The flag-aware check is tests/classbench_ng.rs.
    assert_eq!(set.flagged(), 0, "{name}: flagged rules");
    assert!(tr.iter().all(|t| t.flags.is_none()), "{name}: trace flags");

    let mut groups: HashMap<Key, (u32, usize, Loc)> = HashMap::new();
    for t in &tr {
        let g = groups
            .entry(t.key)
            .or_insert((t.expected.unwrap(), 0, t.loc.clone()));
        assert_eq!(
            Some(g.0),
            t.expected,
            "{}: same header as {} but another label",
            t.loc,
            g.2
        );
        g.1 += 1;
    }
    let mut distinct: Vec<(Key, (u32, usize, Loc))> = groups.into_iter().collect();
    distinct.sort_by_key(|(_, g)| g.2.line);

    let order = hw_order(&c.entries);
    let lists = by_dst_byte(&c.entries, &order);
    let (mut scanned, mut covered, mut mismatches) = (0, 0, Vec::new());
    for (n, (key, (expected, count, loc))) in distinct.iter().enumerate() {
        let hit = scan(&c.entries, &lists[(key.dst >> 24) as usize], key);
        if n % stride == 0 {
            // The regmap crate's reference matcher must pick the same entry.
            assert_eq!(
                order.iter().copied().find(|&i| c.entries[i].matches(key)),
                hit,
                "{loc}"
            );
            scanned += 1;
        }
        let got = hit.map(|i| set.rules[c.rule_of(i)].loc.line);
        if got != Some(*expected) {
            mismatches.push(format!(
                "{loc}: {key}: expected rule {expected}, got {got:?}"
            ));
        }
        covered += count;
    }
    assert!(
        mismatches.is_empty(),
        "{name}: {} mismatches, first: {}",
        mismatches.len(),
        mismatches[0]
    );
    eprintln!(
        "{name}: {rules} rules -> {} entries; {covered} trace lines ({} distinct headers) checked, 0 mismatches; \
         {scanned} cross-checked with TcamEntry::matches",
        c.len(),
        distinct.len()
    );
    (scanned, covered)
}

const SAMPLE_10K: usize = if cfg!(debug_assertions) { 32 } else { 1 };

#[test]
fn acl1_1k_every_trace_line() {
    assert_eq!(check("acl1_1K", 917, 9_380, 1).1, 9_380);
}

#[test]
fn fw1_1k_every_trace_line() {
    assert_eq!(check("fw1_1K", 792, 8_050, 1).1, 8_050);
}

#[test]
fn ipc1_1k_every_trace_line() {
    assert_eq!(check("ipc1_1K", 938, 9_380, 1).1, 9_380);
}

#[test]
fn acl1_10k_trace() {
    let (scanned, _) = check("acl1_10K", 9_603, 97_000, SAMPLE_10K);
    assert_eq!(scanned, 32_847usize.div_ceil(SAMPLE_10K));
}

#[test]
fn fw1_10k_trace() {
    check("fw1_10K", 9_311, 93_250, SAMPLE_10K);
}

#[test]
fn ipc1_10k_trace() {
    check("ipc1_10K", 9_037, 90_640, SAMPLE_10K);
}

#[test]
fn the_worked_example_of_the_readme() {
    let set = load("acl1_1K");
    let r = &set.rules[412];
    assert_eq!(
        r.to_string(),
        "channel 0 src 95.105.143.1/32 dst 194.253.128.48/32 proto tcp dport 21"
    );
    assert_eq!(r.loc, Loc::new("acl1_1K", 413, 1));
    let t = &trace("acl1_1K")[0];
    assert_eq!(t.key, Key::v4(1600753409, 3271393328, 6, 65535, 21));
    assert_eq!(t.expected, Some(413));
    assert_eq!(t.key.src_ip().to_string(), "95.105.143.1");
    assert_eq!(set.first_match(&t.key), Some(412));
    assert_eq!(r.action, Action::Deliver { channel: 0 });
    assert!(r.src_local.is_none() && r.dst_local.is_none());
}

/// The 9-token lines of a set rewritten as raw db_generator output with the given flags.
fn as_raw(text: &str, flags: impl Fn(usize) -> &'static str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let t: Vec<&str> = l.split_whitespace().collect();
            format!(
                "{}\t{}\t{} : {}\t{} : {}\t{}\t{}\t\n",
                t[0],
                t[1],
                t[2],
                t[4],
                t[5],
                t[7],
                t[8],
                flags(i)
            )
        })
        .collect()
}

fn without_file(set: &RuleSet) -> Vec<Rule> {
    set.rules
        .iter()
        .map(|r| Rule {
            loc: Loc {
                file: "".into(),
                ..r.loc.clone()
            },
            ..r.clone()
        })
        .collect()
}

#[test]
fn raw_db_generator_lines_with_wildcard_flags_are_the_same_rules() {
    let (_, text) = data("fw1_1K");
    let raw = as_raw(&text, |_| "0x0000/0x0000");
    assert!(raw.starts_with("@") && raw.contains("\t0x0000/0x0000\t\n"));
    let a = classbench::parse("x", &text, Options::default()).unwrap();
    let b = classbench::parse("x", &raw, Options::new(true)).unwrap();
    assert!(b.warnings.is_empty());
    assert_eq!(a, b);
}

#[test]
fn tcp_flags_are_imported_from_the_high_byte() {
    let (_, text) = data("acl1_1K");
    // Lines 5 and 10 are TCP: ACK set (ClassBench's "established"), and SYN without ACK.
    let raw = as_raw(&text, |i| match i {
        4 => "0x1000/0x1000",
        9 => "0x0200/0x1200",
        _ => "0x0000/0x0000",
    });
    for opts in [Options::default(), Options::new(true)] {
        let set = classbench::parse("raw", &raw, opts).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.len(), 917);
        assert!(set.warnings.is_empty(), "{:?}", set.warnings);
        assert_eq!(set.flagged(), 2);
        assert_eq!(
            set.rules[4].flags,
            FlagsMatch {
                value: 0x10,
                mask: 0x10
            }
        );
        assert_eq!(
            set.rules[9].flags,
            FlagsMatch {
                value: 0x02,
                mask: 0x12
            }
        );
        assert_eq!(
            set.rules[9].to_string(),
            "channel 0 src 175.77.88.254/32 dst 32.198.199.183/32 proto tcp dport 1711 \
             flags SYN/SYN,ACK"
        );
        // The RTL 1.x compiler refuses them at their rule; RTL 2.0's check keeps them.
        let e = compile(&set).unwrap_err();
        assert_eq!((e.loc.line, e.kind), (5, ErrorKind::FlagsNeedRtl2));
        gufc_rules::flags::check(&set, gufc_rules::flags::FLAG_BITS).unwrap();
    }
}

/// One raw line: `lines[i]` of acl1_1K with flags `f`, and the column of the flags token.
fn one_flagged(i: usize, f: &'static str) -> (String, u32) {
    let (_, text) = data("acl1_1K");
    let raw = as_raw(&text, |j| if j == i { f } else { "0x0000/0x0000" });
    let col = raw.lines().nth(i).unwrap().find(f).unwrap() as u32 + 1;
    (raw, col)
}

#[test]
fn flags_bits_no_device_matches_are_dropped_with_a_warning_or_refused() {
    // (line index, flags, what is lost, flags kept): ECE/CWR are above FLAG_BITS = 6, the low
    // byte has no TCP-flag meaning, and a non-TCP rule's column (ICMP type in ClassBench's
    // ICMP rules) is no TCP flags at all.
    let cases = [
        (
            4,
            "0x4200/0xC200",
            "TCP flags ECE,CWR above the matchable bits",
            0x02,
            0x02,
        ),
        (4, "0x0201/0x0203", "low-byte bits 0x0003", 0x02, 0x02),
        (
            165,
            "0x0200/0x0200",
            "flags on a rule that is not TCP-only",
            0,
            0,
        ),
        (
            689,
            "0x0800/0xff00",
            "flags on a rule that is not TCP-only",
            0,
            0,
        ),
    ];
    for (i, f, what, value, mask) in cases {
        let (raw, col) = one_flagged(i, f);
        let set = classbench::parse("raw", &raw, Options::default()).unwrap();
        assert_eq!(set.rules[i].flags, FlagsMatch { value, mask }, "{f}");
        assert_eq!(set.warnings.len(), 1, "{f}");
        let w = &set.warnings[0];
        assert_eq!(
            w.kind,
            WarningKind::FlagsDropped {
                rules: 1,
                what: what.into()
            }
        );
        assert_eq!(w.loc, Loc::new("raw", i as u32 + 1, col));
        let errs = classbench::parse("raw", &raw, Options::new(true)).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs.first().loc, Loc::new("raw", i as u32 + 1, col));
        assert!(
            errs.to_string().contains(what) && errs.to_string().contains("strict mode refuses"),
            "{errs}"
        );
    }
    // A rule stage with all 8 flag bits keeps ECE and CWR.
    let (raw, _) = one_flagged(4, "0x4200/0xC200");
    let opts = Options {
        strict: true,
        flag_bits: 8,
    };
    let set = classbench::parse("raw", &raw, opts).unwrap();
    assert_eq!(
        set.rules[4].flags,
        FlagsMatch {
            value: 0x42,
            mask: 0xC2
        }
    );
}

#[test]
fn load_file_drops_flags_for_rtl1_with_a_warning_or_refuses_them_strictly() {
    let (_, text) = data("acl1_1K");
    let raw = as_raw(&text, |i| {
        if i == 9 {
            "0x0200/0x1200"
        } else {
            "0x0000/0x0000"
        }
    });
    let dir = std::env::temp_dir().join(format!("gufc-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("raw_acl");
    std::fs::write(&path, &raw).unwrap();
    let l = gufc_rules::load_file(&path, None, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.compiled.len(), 917);
    assert_eq!(
        l.set.rules[9].flags,
        FlagsMatch {
            value: 0x02,
            mask: 0x12
        }
    );
    assert_eq!(l.set.warnings.len(), 1);
    assert_eq!(
        l.set.warnings[0].kind,
        WarningKind::TcpFlagsIgnored { rules: 1 }
    );
    assert_eq!(l.set.warnings[0].loc.line, 10);
    let e = gufc_rules::load_file(&path, None, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with(
            ":10:1: TCP-flag matches need an RTL 2.0 device: the RTL 1.x TCAM key has no \
                     TCP flags"
        ),
        "{e}"
    );
    // A text file's flags are never dropped: refused whatever `strict` says.
    std::fs::write(&path, "drop proto tcp flags SYN\n").unwrap();
    let e = gufc_rules::load_file(&path, None, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":1:1: TCP-flag matches need an RTL 2.0 device"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn classbench_through_the_text_format_and_back() {
    let set = load("ipc1_1K");
    let again = text::parse("ipc1_1K", &set.to_text()).unwrap();
    assert_eq!(without_file(&again), without_file(&set));
}

fn cb_error(line: &str) -> (u32, ErrorKind) {
    let errs = classbench::parse(
        "e",
        &format!("@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\n{line}\n"),
        Options::default(),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 1, "{errs}");
    let e = errs.first().clone();
    assert_eq!(e.loc.line, 2, "{e}");
    (e.loc.column, e.kind)
}

#[test]
fn classbench_errors_point_at_the_token() {
    let ok = "@1.2.3.0/24 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF";
    assert!(classbench::parse("e", ok, Options::default()).is_ok());
    let (col, k) = cb_error("1.2.3.0/24 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF");
    assert!(
        col == 1 && matches!(k, ErrorKind::Expected { .. }),
        "{col} {k}"
    );
    assert_eq!(
        cb_error("@1.2.3.0/33 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF"),
        (1, ErrorKind::PrefixTooLong { len: 33, max: 32 })
    );
    let (col, k) = cb_error("@1.2.3.4/24 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF");
    assert!(
        col == 1
            && matches!(k, ErrorKind::HostBitsSet { ref suggested, .. } if suggested == "1.2.3.0/24"),
        "{k}"
    );
    assert_eq!(
        cb_error("@1.2.3.0/24 5.6.7.8/32 0 : 65535 81 : 80 0x06/0xFF").0,
        34
    );
    assert_eq!(
        cb_error("@1.2.3.0/24 5.6.7.8/32 0 : 65536 80 : 80 0x06/0xFF"),
        (28, ErrorKind::PortOutOfRange(65536))
    );
    assert!(matches!(
        cb_error("@1.2.3.0/24 5.6.7.8/32 0 - 65535 80 : 80 0x06/0xFF"),
        (26, ErrorKind::Expected { .. })
    ));
    assert!(matches!(
        cb_error("@1.2.3.0/24 5.6.7.8/32 0 : 65535 80 : 80 0x106/0xFF"),
        (42, ErrorKind::Expected { .. })
    ));
    assert!(matches!(
        cb_error("@1.2.3.0/24 ::1/128 0 : 65535 80 : 80 0x06/0xFF"),
        (13, ErrorKind::MixedFamilies)
    ));
    assert_eq!(
        cb_error("@1.2.3.0/24 5.6.7.8/32 0 : 65535 80 : 80"),
        (
            41,
            ErrorKind::FieldCount {
                expected: "9 (or 10 with TCP flags)",
                found: 8
            }
        )
    );
    assert!(matches!(
        cb_error("@1.2.3.0/24 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF 0x0/0x0 7").1,
        ErrorKind::FieldCount { found: 11, .. }
    ));
    // PCVisor's copies append a decimal rule id as a 10th column: not flags, so refused.
    assert!(matches!(
        cb_error("@1.2.3.0/24 5.6.7.8/32 0 : 65535 80 : 80 0x06/0xFF 2"),
        (52, ErrorKind::Expected { .. })
    ));
}

#[test]
fn protocol_bits_outside_the_mask_mean_nothing() {
    let set = classbench::parse(
        "p",
        "@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x11/0xF0\n",
        Options::default(),
    )
    .unwrap();
    assert_eq!(set.rules[0].proto.value, 0x10);
    assert!(set.rules[0].matches(&Key::v4(0, 0, 0x1F, 0, 0)));
    assert!(!set.rules[0].matches(&Key::v4(0, 0, 0x21, 0, 0)));
}

#[test]
fn trace_errors_and_the_raw_generator_format() {
    let errs = parse_trace(
        "t",
        "1 2 3 4 6 1\n1 2 3 70000 6 1\n1 2 3 4 6 0\n1 2 3 4 6 0 9\n",
        TraceColumns::Labelled,
    )
    .unwrap_err();
    let at: Vec<_> = errs.iter().map(|e| (e.loc.line, e.loc.column)).collect();
    assert_eq!(at, [(2, 7), (3, 11), (4, 13)]);
    let ok = parse_trace("t", "16909060 84281096 1 2 17 5\n", TraceColumns::Labelled).unwrap();
    assert_eq!(ok[0].key, Key::v4(0x0102_0304, 0x0506_0708, 17, 1, 2));
    assert_eq!(ok[0].key.src_ip().to_string(), "1.2.3.4");
    // Plain headers (what `gufc classify` reads): five columns or more, the rest ignored.
    let h = parse_trace("t", "1 2 3 4 6\n\n1 2 3 4 6 0 9\n", TraceColumns::Headers).unwrap();
    assert_eq!((h.len(), h[1].expected, h[1].loc.line), (2, None, 3));
    // A raw 7-column line's 6th column is its flags: `VALUE << 16 | MASK` of the generating
    // filter (here 0x1000/0x1000, ACK), whose top byte is the TCP flags byte.
    assert_eq!((h[0].flags, h[1].flags), (None, Some(0)));
    let raw = parse_trace(
        "t",
        "1 2 3 4 6 268439552 9
",
        TraceColumns::Headers,
    )
    .unwrap();
    assert_eq!(raw[0].flags, Some(0x1000_1000));
    assert_eq!(classbench::trace_tcp_flags(0x1000_1000), 0x10);
    assert_eq!(classbench::trace_tcp_flags(u32::MAX), 0xFF);
    let e = parse_trace(
        "t",
        "1 2 3 4 6 x 9
",
        TraceColumns::Headers,
    )
    .unwrap_err();
    assert_eq!(e.first().loc.column, 11);
    let e = parse_trace("t", "1 2 3 4\n", TraceColumns::Headers)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t:1:8: ") && e.contains("at least 5"), "{e}");
}

/// The RTL 2.0 port-range layout (`gufc_rules::ranges`): with the stage's 16 range checkers
/// every set costs at most 1.05 TCAM entries per rule (issue 10's bound); on every trace header
/// the labelled rule's entries accept the header's ports, as does every rule (over a stride)
/// whose ranges contain them, and no other.
#[test]
fn every_set_fits_in_1_05_entries_per_rule_with_16_checkers() {
    for name in [
        "acl1_1K", "fw1_1K", "ipc1_1K", "acl1_10K", "fw1_10K", "ipc1_10K",
    ] {
        let set = load(name);
        let p = plan(&set, CHECKERS);
        let bare = plan(&set, 0);
        let classes = gufc_rules::protocols::plan(&set)
            .unwrap_or_else(|e| panic!("{name}: protocols do not fit the classes: {e}"));
        println!(
            "{name}: {} rules -> {} entries ({:.4} per rule) on {} checkers; {} entries ({:.4}) without checkers; protocol classes {:?}",
            set.len(),
            p.entries(),
            p.entries_per_rule(),
            p.checkers.len(),
            bare.entries(),
            bare.entries_per_rule(),
            classes.protocols
        );
        assert!(
            p.entries_per_rule() <= 1.05,
            "{name}: {:.4} entries per rule",
            p.entries_per_rule()
        );

        let trace = trace(name);
        let stride = if set.len() > 2000 { 97 } else { 7 };
        for (n, t) in trace
            .iter()
            .enumerate()
            .step_by(if trace.len() > 20_000 { 13 } else { 1 })
        {
            let (sp, dp) = (t.key.sport, t.key.dport);
            if let Some(line) = t.expected {
                let r = set
                    .rules
                    .iter()
                    .position(|r| r.loc.line == line)
                    .expect("labelled rule");
                assert!(
                    p.accepts(r, sp, dp),
                    "{}: rule {} ({}) refuses ports {sp} {dp}",
                    t.loc,
                    line,
                    set.rules[r]
                );
            }
            for r in (n % stride..set.len()).step_by(stride) {
                let rule = &set.rules[r];
                let want = rule.sport.contains(sp) && rule.dport.contains(dp);
                assert_eq!(
                    p.accepts(r, sp, dp),
                    want,
                    "{}: rule {} ports {sp} {dp}",
                    t.loc,
                    rule.loc
                );
            }
        }
    }
}
