//! The people's rule format: every error at its exact line:column, round trips, the example.

use std::net::IpAddr;

use gufc_regmap::{Action, Key, SlowReason};
use gufc_rules::{
    text, ErrorKind, Family, FlagsMatch, Format, Loc, PortRange, Prefix, ProtoMatch, Rule,
    RuleError, RuleSet,
};
use proptest::prelude::*;

fn parse(src: &str) -> RuleSet {
    text::parse("t.rules", src).unwrap_or_else(|e| panic!("{e}"))
}

/// The only error of a one-error input.
fn error(src: &str) -> RuleError {
    let errs = text::parse("t.rules", src).expect_err("should fail");
    assert_eq!(errs.len(), 1, "{errs}");
    errs.first().clone()
}

/// Asserts the error's place and returns its kind.
fn error_at(src: &str, line: u32, column: u32) -> ErrorKind {
    let e = error(src);
    assert_eq!((e.loc.line, e.loc.column), (line, column), "{e}");
    assert_eq!(&*e.loc.file, "t.rules");
    e.kind
}

fn pfx(s: &str) -> Prefix {
    text::parse_cidr(s).unwrap()
}

#[test]
fn a_full_rule_parses_to_its_fields() {
    let set = parse(
        "\n  # comment line\n\nchannel 7 src 10.1.0.0/16 dst 192.0.2.1 src-local no dst-local yes \
         proto tcp sport 1024-65535 dport 443 prio 9   # trailing comment\n",
    );
    assert_eq!(set.len(), 1);
    let r = &set.rules[0];
    assert_eq!(r.action, Action::Deliver { channel: 7 });
    assert_eq!(r.src, Some(pfx("10.1.0.0/16")));
    assert_eq!(r.dst, Some(pfx("192.0.2.1/32")));
    assert_eq!(r.family, Some(Family::V4));
    assert_eq!((r.src_local, r.dst_local), (Some(false), Some(true)));
    assert_eq!(r.proto, ProtoMatch::exact(6));
    assert_eq!(
        r.sport,
        PortRange {
            lo: 1024,
            hi: 65535
        }
    );
    assert_eq!(r.dport, PortRange::single(443));
    assert_eq!(r.prio, Some(9));
    assert_eq!(r.loc, Loc::new("t.rules", 4, 1));
}

#[test]
fn defaults_and_action_forms() {
    let set = parse("drop\nslowpath\nslow-path reason 200\n  channel 0 family ipv6\nsrc any dst any proto any sport any dport any slowpath reason 16\n");
    let r = &set.rules;
    assert_eq!(r[0], Rule::any(Action::Drop, Loc::new("t.rules", 1, 1)));
    assert_eq!(
        r[1].action,
        Action::SlowPath {
            reason: SlowReason::Rule.bits()
        }
    );
    assert_eq!(r[2].action, Action::SlowPath { reason: 200 });
    assert_eq!(r[3].family, Some(Family::V6));
    assert_eq!(r[3].loc.column, 3);
    assert_eq!(r[4].action, Action::SlowPath { reason: 16 });
    assert!(r[4].src.is_none() && r[4].family.is_none() && r[4].proto.is_any());
}

#[test]
fn protocol_forms() {
    let set = parse("drop proto TCP\ndrop proto 132\ndrop proto 0x11\ndrop proto 0x06/0xfe\ndrop proto icmpv6\n");
    let p: Vec<_> = set.rules.iter().map(|r| r.proto).collect();
    assert_eq!(p[0], ProtoMatch::exact(6));
    assert_eq!(p[1], ProtoMatch::exact(132));
    assert_eq!(p[2], ProtoMatch::exact(17));
    assert_eq!(
        p[3],
        ProtoMatch {
            value: 6,
            mask: 0xFE
        }
    );
    assert_eq!(p[4], ProtoMatch::exact(58));
}

#[test]
fn unknown_keyword() {
    let k = error_at("drop\ndrop src 10.0.0.0/8 dprt 80\n", 2, 21);
    assert!(
        matches!(k, ErrorKind::UnknownKeyword { ref word, .. } if word == "dprt"),
        "{k}"
    );
}

#[test]
fn malformed_cidr() {
    for (src, col) in [
        ("drop src 10.0.0/8", 10),
        ("drop dst 10.0.0.0/x", 10),
        ("drop src 10.0.0.256", 10),
        ("drop  dst 2001:db8:::1/64", 11),
        ("drop src 10.0.0.0/", 10),
    ] {
        let k = error_at(src, 1, col);
        assert!(matches!(k, ErrorKind::BadAddress(_)), "{src}: {k}");
    }
}

#[test]
fn prefix_too_long() {
    assert_eq!(
        error_at("drop src 10.0.0.0/33", 1, 10),
        ErrorKind::PrefixTooLong { len: 33, max: 32 }
    );
    assert_eq!(
        error_at("drop\n\n drop dst 2001:db8::/129", 3, 11),
        ErrorKind::PrefixTooLong { len: 129, max: 128 }
    );
}

#[test]
fn host_bits_beyond_the_prefix_suggest_the_fix() {
    let e = error("channel 1 src 10.1.2.3/16");
    assert_eq!(e.to_string(), "t.rules:1:15: `10.1.2.3/16` has bits set beyond its prefix length; did you mean `10.1.0.0/16`?");
    let k = error_at("drop dst 2001:db8::1/32", 1, 10);
    assert_eq!(
        k,
        ErrorKind::HostBitsSet {
            given: "2001:db8::1/32".into(),
            suggested: "2001:db8::/32".into()
        }
    );
}

#[test]
fn inverted_range() {
    assert_eq!(
        error_at("drop sport 80-79", 1, 12),
        ErrorKind::InvertedRange { lo: 80, hi: 79 }
    );
    assert_eq!(
        error_at("# x\ndrop proto udp dport 65535-0", 2, 22),
        ErrorKind::InvertedRange { lo: 65535, hi: 0 }
    );
}

#[test]
fn port_out_of_range() {
    assert_eq!(
        error_at("drop dport 65536", 1, 12),
        ErrorKind::PortOutOfRange(65536)
    );
    assert_eq!(
        error_at("drop sport 1-70000", 1, 12),
        ErrorKind::PortOutOfRange(70000)
    );
    let k = error_at("drop sport 1-", 1, 12);
    assert!(matches!(k, ErrorKind::Expected { .. }), "{k}");
}

#[test]
fn mixed_families() {
    assert_eq!(
        error_at("drop src 10.0.0.0/8 dst 2001:db8::/32", 1, 25),
        ErrorKind::MixedFamilies
    );
    assert_eq!(
        error_at("drop family ipv6 src 10.0.0.1", 1, 22),
        ErrorKind::MixedFamilies
    );
    assert_eq!(
        error_at("drop src ::1 family ipv4", 1, 21),
        ErrorKind::MixedFamilies
    );
    // `any` implies no family, so it never conflicts.
    parse("drop src any dst 2001:db8::/32\ndrop family ipv4 dst any\n");
}

#[test]
fn channel_out_of_range() {
    assert_eq!(
        error_at("channel 256", 1, 9),
        ErrorKind::ChannelOutOfRange(256)
    );
    let k = error_at("channel two", 1, 9);
    assert!(matches!(k, ErrorKind::Expected { .. }), "{k}");
    let k = error_at("channel", 1, 1);
    assert!(matches!(k, ErrorKind::MissingValue { .. }), "{k}");
}

#[test]
fn unknown_protocol() {
    assert_eq!(
        error_at("drop proto tcpp", 1, 12),
        ErrorKind::UnknownProtocol("tcpp".into())
    );
    let k = error_at("drop proto 256", 1, 12);
    assert!(matches!(k, ErrorKind::Expected { .. }), "{k}");
    assert_eq!(
        error_at("drop proto 0x07/0x06", 1, 12),
        ErrorKind::ProtoValueOutsideMask { value: 7, mask: 6 }
    );
}

#[test]
fn duplicate_keyword() {
    assert_eq!(
        error_at("drop dport 80 src any dport 81", 1, 23),
        ErrorKind::DuplicateKeyword {
            keyword: "dport".into(),
            first_column: 6
        }
    );
    assert_eq!(
        error_at("drop channel 2", 1, 6),
        ErrorKind::DuplicateAction { first_column: 1 }
    );
}

#[test]
fn missing_action() {
    assert_eq!(
        error_at("\n   src 10.0.0.0/8 dport 22", 2, 4),
        ErrorKind::MissingAction
    );
}

#[test]
fn other_value_errors() {
    assert_eq!(
        error_at("slowpath reason 15", 1, 17),
        ErrorKind::ReasonOutOfRange(15)
    );
    assert_eq!(
        error_at("slowpath reason 256", 1, 17),
        ErrorKind::ReasonOutOfRange(256)
    );
    assert!(matches!(
        error_at("slowpath reason", 1, 10),
        ErrorKind::MissingValue { .. }
    ));
    assert_eq!(
        error_at("drop prio 65536", 1, 11),
        ErrorKind::PrioOutOfRange(65536)
    );
    assert!(matches!(
        error_at("drop src-local maybe", 1, 16),
        ErrorKind::Expected { .. }
    ));
    assert!(matches!(
        error_at("drop family ip", 1, 13),
        ErrorKind::Expected { .. }
    ));
    assert!(matches!(
        error_at("drop dst", 1, 6),
        ErrorKind::MissingValue { .. }
    ));
}

#[test]
fn columns_count_characters_and_tabs() {
    // A tab is one column; a multi-byte character before the token is one column too.
    assert_eq!(
        error_at("drop\tsrc 1.2.3.4/40", 1, 10),
        ErrorKind::PrefixTooLong { len: 40, max: 32 }
    );
    let k = error_at("drop é 1", 1, 6);
    assert!(matches!(k, ErrorKind::UnknownKeyword { .. }));
}

#[test]
fn every_bad_line_is_reported_in_order() {
    let errs =
        text::parse("f", "drop dport 99999\ndrop\nchannel 300\n\nsrc 1.2.3.4\n").unwrap_err();
    let at: Vec<_> = errs.iter().map(|e| (e.loc.line, e.loc.column)).collect();
    assert_eq!(at, [(1, 12), (3, 9), (5, 1)]);
    let shown = errs.to_string();
    assert_eq!(shown.lines().count(), 3);
    assert!(
        shown.starts_with("f:1:12: port 99999 is out of range"),
        "{shown}"
    );
}

#[test]
fn decision_order_is_prio_then_line() {
    let set = parse("drop dport 1\ndrop dport 2 prio 5\ndrop dport 3\ndrop dport 4 prio 5\ndrop dport 5 prio 0\n");
    assert_eq!(set.decision_order(), [1, 3, 0, 2, 4]);
    // A packet matched by an early plain rule and a later prio rule goes to the prio rule.
    let set = parse("channel 1 proto tcp\nchannel 2 dport 80 prio 1\n");
    let k = Key::v4(1, 2, 6, 1000, 80);
    assert_eq!(set.first_match(&k), Some(1));
    assert_eq!(set.first_match(&Key::v4(1, 2, 6, 1000, 81)), Some(0));
    assert_eq!(set.first_match(&Key::v4(1, 2, 17, 1000, 81)), None);
}

#[test]
fn format_detection() {
    assert_eq!(
        Format::detect("# c\n\n@1.2.3.4/32 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00\n"),
        Format::ClassBench
    );
    assert_eq!(Format::detect("drop\n"), Format::Text);
    assert_eq!(Format::detect(""), Format::Text);
}

fn example_path() -> std::path::PathBuf {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/host-firewall.rules"
    )
    .into()
}

#[test]
fn the_host_firewall_example_parses_and_means_what_it_says() {
    let set = RuleSet::load(&example_path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(set.len() >= 25, "{}", set.len());
    assert!(set.warnings.is_empty());
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let pkt = |s: &str, d: &str, proto: u8, sp: u16, dp: u16, dst_local: bool| {
        let mut k = Key::new(ip(s), ip(d), proto, sp, dp);
        k.dst_local = dst_local;
        k
    };
    let decide = |k: &Key| set.first_match(k).map(|i| set.rules[i].action);
    let me = "192.0.2.10";
    assert_eq!(
        decide(&pkt("10.0.8.5", me, 6, 50000, 22, true)),
        Some(Action::SlowPath { reason: 16 })
    );
    assert_eq!(
        decide(&pkt("198.51.100.7", me, 6, 50000, 22, true)),
        Some(Action::Drop)
    );
    assert_eq!(
        decide(&pkt("2001:db8:8::9", "2001:db8:1::10", 6, 50000, 22, true)),
        Some(Action::SlowPath { reason: 16 })
    );
    assert_eq!(
        decide(&pkt("10.0.20.3", me, 6, 3260, 40000, true)),
        Some(Action::Deliver { channel: 2 })
    );
    assert_eq!(
        decide(&pkt("10.0.30.3", me, 6, 40000, 9100, true)),
        Some(Action::Deliver { channel: 3 })
    );
    assert_eq!(
        decide(&pkt("198.51.100.7", me, 17, 40000, 53, true)),
        Some(Action::Deliver { channel: 1 })
    );
    assert_eq!(
        decide(&pkt("198.51.100.7", me, 6, 40000, 23, true)),
        Some(Action::Drop)
    );
    assert_eq!(
        decide(&pkt("203.0.113.9", me, 6, 40000, 443, true)),
        Some(Action::Drop)
    );
    assert_eq!(
        decide(&pkt("fe80::1", "ff02::1:ff00:10", 58, 0, 0, false)),
        Some(Action::Deliver { channel: 0 })
    );
    assert_eq!(
        decide(&pkt("198.51.100.7", "198.51.100.8", 6, 1, 443, false)),
        Some(Action::Drop)
    );
    // The prio 100 line at the end of the file beats the https rule above it.
    assert_eq!(
        decide(&pkt("198.51.100.66", me, 6, 40000, 443, true)),
        Some(Action::Drop)
    );
    assert_eq!(
        decide(&pkt("198.51.100.67", me, 6, 40000, 443, true)),
        Some(Action::SlowPath { reason: 16 })
    );
    // Every rule's canonical text parses back to the same rule.
    let again = text::parse("again", &set.to_text()).unwrap();
    assert_eq!(without_locs(&again), without_locs(&set));
}

fn without_locs(set: &RuleSet) -> Vec<Rule> {
    set.rules
        .iter()
        .map(|r| Rule {
            loc: Loc::new("", 0, 0),
            ..r.clone()
        })
        .collect()
}

#[test]
fn canonical_text_of_a_rule() {
    let set = parse("proto 17 dport 53 channel 1 src 10.0.0.0/8\ndst ::/0 slowpath\nfamily ipv6 drop prio 3 sport 5-6\n");
    let lines: Vec<_> = set.rules.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        lines,
        [
            "channel 1 src 10.0.0.0/8 proto udp dport 53",
            "slowpath dst ::/0",
            "drop family ipv6 sport 5-6 prio 3"
        ]
    );
}

// ----------------------------------------------------------------------------- round trips

fn arb_prefix(v6: bool) -> impl Strategy<Value = Prefix> {
    let max = if v6 { 128u8 } else { 32 };
    (any::<u128>(), 0..=max).prop_map(move |(a, len)| {
        let addr = if v6 {
            IpAddr::from(a.to_be_bytes())
        } else {
            IpAddr::from((a as u32).to_be_bytes())
        };
        Prefix::truncated(addr, len)
    })
}

fn arb_range() -> impl Strategy<Value = PortRange> {
    prop_oneof![
        Just(PortRange::ANY),
        any::<u16>().prop_map(PortRange::single),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| PortRange {
            lo: a.min(b),
            hi: a.max(b)
        }),
    ]
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    let fam = prop_oneof![Just(None), Just(Some(Family::V4)), Just(Some(Family::V6))];
    let action = prop_oneof![
        any::<u8>().prop_map(|channel| Action::Deliver { channel }),
        Just(Action::Drop),
        Just(Action::SlowPath {
            reason: SlowReason::Rule.bits()
        }),
        (16u8..=255).prop_map(|reason| Action::SlowPath { reason }),
    ];
    let proto = prop_oneof![
        Just(ProtoMatch::ANY),
        Just(ProtoMatch::exact(6)),
        any::<u8>().prop_map(ProtoMatch::exact),
        (any::<u8>(), any::<u8>()).prop_map(|(v, m)| ProtoMatch {
            value: v & m,
            mask: m
        }),
    ];
    let local = prop_oneof![Just(None), Just(Some(true)), Just(Some(false))];
    (
        fam,
        any::<bool>(),
        any::<bool>(),
        local.clone(),
        local,
        proto,
        arb_range(),
        arb_range(),
        proptest::option::of(any::<u16>()),
        action,
        (any::<u8>(), any::<u8>()),
    )
        .prop_flat_map(
            |(fam, has_src, has_dst, sl, dl, proto, sport, dport, prio, action, (fv, fm))| {
                // Flags only on TCP rules, as the parser requires.
                let flags = if proto == ProtoMatch::exact(6) {
                    FlagsMatch {
                        value: fv & fm,
                        mask: fm,
                    }
                } else {
                    FlagsMatch::ANY
                };
                let v6 = fam == Some(Family::V6);
                let src = if has_src && fam.is_some() {
                    arb_prefix(v6).prop_map(Some).boxed()
                } else {
                    Just(None).boxed()
                };
                let dst = if has_dst && fam.is_some() {
                    arb_prefix(v6).prop_map(Some).boxed()
                } else {
                    Just(None).boxed()
                };
                (src, dst).prop_map(move |(src, dst)| Rule {
                    src,
                    dst,
                    family: fam,
                    src_local: sl,
                    dst_local: dl,
                    proto,
                    sport,
                    dport,
                    flags,
                    prio,
                    action,
                    loc: Loc::new("", 0, 0),
                })
            },
        )
}

proptest! {
    #[test]
    fn a_rule_survives_text_and_back(rule in arb_rule()) {
        let line = rule.to_string();
        let back = text::parse_rule("p", 1, &line).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
        prop_assert_eq!(Rule { loc: Loc::new("", 0, 0), ..back }, rule, "{}", line);
    }
}

// ----------------------------------------------------------------------- docs/rules.md is true

fn doc_blocks() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md");
    let doc = std::fs::read_to_string(path).unwrap();
    doc.split("```")
        .skip(1)
        .step_by(2)
        .map(|b| b.to_string())
        .collect()
}

#[test]
fn the_documented_examples_parse() {
    let blocks = doc_blocks();
    let examples = blocks
        .iter()
        .find(|b| b.contains("# Steer iSCSI"))
        .expect("examples block");
    let set = parse(examples);
    assert_eq!(set.len(), 10);
}

#[test]
fn the_documented_errors_are_what_the_parser_says() {
    let src = "channel 1 src 10.1.2.3/16 proto tcp dport 22\ndrop proto tcp dport 80-79\n\
               drop src 10.0.0.0/8 dst 2001:db8::/32\nchannel 300\ndrop proto tcpp\n\
               drop dport 80 dport 81\nsrc 10.0.0.0/8\ndrop dst 10.0.0.0/33\ndrop sport 70000\n\
               drop dprt 80\nslowpath reason 7\ndrop dport 22 flags SYN\n\
               drop proto tcp flags SYN/FIN,ACK\n";
    let got = text::parse("site.rules", src).unwrap_err().to_string();
    let blocks = doc_blocks();
    let doc = blocks
        .iter()
        .find(|b| b.contains("site.rules:1:15"))
        .expect("errors block");
    assert_eq!(got.trim(), doc.trim());
}

#[test]
fn local_lines_name_the_hosts_prefixes_in_file_order() {
    let set = parse("local 192.0.2.0/24\nchannel 1 dst-local yes\n  local 2001:db8:1::/48 # v6\n");
    let got: Vec<(String, u32, u32)> = set
        .locals
        .iter()
        .map(|l| (l.prefix.to_string(), l.loc.line, l.loc.column))
        .collect();
    assert_eq!(
        got,
        [
            ("192.0.2.0/24".to_string(), 1, 1),
            ("2001:db8:1::/48".to_string(), 3, 3)
        ]
    );
    assert_eq!(set.len(), 1, "a local line is not a rule");
    // Round trip through the canonical text.
    assert_eq!(parse(&set.to_text()).locals.len(), 2);
}

#[test]
fn a_bad_local_line_is_refused_at_its_column() {
    assert!(matches!(
        error_at("channel 1\nlocal 10.0.0.1/8\n", 2, 7),
        ErrorKind::HostBitsSet { .. }
    ));
    assert!(matches!(
        error_at("local\n", 1, 1),
        ErrorKind::MissingValue { .. }
    ));
    assert!(matches!(
        error_at("local 10.0.0.0/8 dst 1.2.3.4\n", 1, 18),
        ErrorKind::Expected { .. }
    ));
    assert!(matches!(
        error_at("local nowhere\n", 1, 7),
        ErrorKind::BadAddress(_)
    ));
}

// ------------------------------------------------------------------------------- TCP flags

#[test]
fn flags_forms_by_name_hex_and_bare() {
    let f = |src: &str| parse(src).rules[0].flags;
    let fm = |value, mask| FlagsMatch { value, mask };
    // iptables `--tcp-flags SYN,ACK SYN`: of SYN and ACK, only SYN is set.
    assert_eq!(f("drop proto tcp flags SYN/SYN,ACK"), fm(0x02, 0x12));
    assert_eq!(f("drop proto tcp flags 0x02/0x12"), fm(0x02, 0x12));
    assert_eq!(
        f("drop flags syn,Ack/ack,SYN,rst proto tcp"),
        fm(0x12, 0x16)
    );
    assert_eq!(f("drop proto tcp flags RST"), fm(0x04, 0x04));
    assert_eq!(f("drop proto tcp flags none/FIN,SYN"), fm(0, 0x03));
    assert_eq!(f("drop proto 6 flags URG,PSH,FIN/0x29"), fm(0x29, 0x29));
    assert_eq!(f("drop proto tcp flags ECE,CWR/ECE,CWR"), fm(0xC0, 0xC0));
    assert_eq!(f("drop flags any"), FlagsMatch::ANY);
    assert_eq!(f("drop proto tcp"), FlagsMatch::ANY);
}

#[test]
fn flags_errors_at_their_column() {
    assert_eq!(
        error_at("drop proto tcp flags SYN/SYN,AKC", 1, 22),
        ErrorKind::UnknownFlag("AKC".into())
    );
    assert_eq!(
        error_at("drop proto tcp flags 0x100/0x100", 1, 22),
        ErrorKind::UnknownFlag("0x100".into())
    );
    assert_eq!(
        error_at("drop proto tcp flags SYN,ACK/SYN", 1, 22),
        ErrorKind::FlagsValueOutsideMask {
            value: 0x12,
            mask: 0x02
        }
    );
    // `proto tcp` is required, wherever the words stand; the error names the `flags` word.
    assert_eq!(
        error_at("drop flags SYN proto udp", 1, 6),
        ErrorKind::FlagsWithoutTcp
    );
    assert_eq!(
        error_at("channel 1 dport 22 flags SYN", 1, 20),
        ErrorKind::FlagsWithoutTcp
    );
    assert_eq!(
        error_at("drop proto 0x06/0xfe flags SYN", 1, 22),
        ErrorKind::FlagsWithoutTcp
    );
    assert!(matches!(
        error_at("drop proto tcp flags SYN flags ACK", 1, 26),
        ErrorKind::DuplicateKeyword { .. }
    ));
    let e = error("drop flags SYN/SYN,ACK");
    assert_eq!(
        e.to_string(),
        "t.rules:1:6: `flags` matches TCP flags: the rule needs `proto tcp`"
    );
}

#[test]
fn flags_decide_only_with_the_packets_flags() {
    let set = parse(
        "channel 1 proto tcp dport 22 flags SYN/SYN,ACK\n\
         drop proto tcp dport 22\n",
    );
    let k = Key::v4(1, 2, 6, 40000, 22);
    let (syn, syn_ack, ack) = (0x02, 0x12, 0x10);
    assert_eq!(set.first_match_with_flags(&k, syn), Some(0));
    assert_eq!(set.first_match_with_flags(&k, syn | 0x08), Some(0));
    assert_eq!(set.first_match_with_flags(&k, syn_ack), Some(1));
    assert_eq!(set.first_match_with_flags(&k, ack), Some(1));
    // Without flags (the 7-tuple's view) the flags match is not looked at.
    assert_eq!(set.first_match(&k), Some(0));
    assert_eq!(
        set.rules[0].to_string(),
        "channel 1 proto tcp dport 22 flags SYN/SYN,ACK"
    );
    assert_eq!(
        parse("drop proto tcp flags 0x00/0x03").rules[0].to_string(),
        "drop proto tcp flags none/FIN,SYN"
    );
}

#[test]
fn flags_rules_built_in_code_are_validated() {
    let mut r = parse("drop proto tcp flags SYN").rules[0].clone();
    r.proto = ProtoMatch::exact(17);
    assert_eq!(r.validate().unwrap_err().kind, ErrorKind::FlagsWithoutTcp);
    r.proto = ProtoMatch::exact(6);
    r.flags = FlagsMatch {
        value: 0x03,
        mask: 0x01,
    };
    assert_eq!(
        r.validate().unwrap_err().kind,
        ErrorKind::FlagsValueOutsideMask {
            value: 0x03,
            mask: 0x01
        }
    );
}
