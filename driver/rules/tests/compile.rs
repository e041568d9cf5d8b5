//! Rules → TCAM entries: the key layout, hardware priorities, and (proptest) that the entries
//! decide every packet exactly as the rules' plain meaning does.

use std::cmp::Reverse;
use std::net::IpAddr;

use gufc_regmap::word::Meta;
use gufc_regmap::{key, Action, Key, TcamEntry, KEY_WORDS};
use gufc_rules::{
    compile, text, ErrorKind, Family, FlagsMatch, Loc, PortRange, Prefix, ProtoMatch, Rule,
    RuleSet, MAX_RULES,
};
use proptest::prelude::*;

fn set(src: &str) -> RuleSet {
    text::parse("c.rules", src).unwrap_or_else(|e| panic!("{e}"))
}

/// The hardware's choice by a plain scan: highest priority, ties to the lowest index.
fn hw_decide(entries: &[TcamEntry], k: &Key) -> Option<usize> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| (Reverse(entries[i].prio), i));
    order.into_iter().find(|&i| entries[i].matches(k))
}

#[test]
fn ipv4_rule_layout() {
    let c = compile(&set(
        "channel 4 src 10.1.0.0/16 dst 192.0.2.128/25 proto tcp sport 1-2 dport 80-88",
    ))
    .unwrap();
    assert_eq!(c.len(), 1);
    let e = &c.entries[0];
    let mut value = [0u32; KEY_WORDS];
    let mut mask = [0u32; KEY_WORDS];
    value[key::SRC0] = 0x0A01_0000;
    mask[key::SRC0] = 0xFFFF_0000;
    value[key::DST0] = 0xC000_0280;
    mask[key::DST0] = 0xFFFF_FF80;
    value[key::META] = Meta::new().with_proto(6).raw(); // IPV6 bit matched as 0
    mask[key::META] = Meta::new().with_proto(0xff).with_ipv6(true).raw();
    assert_eq!(e.value, value);
    assert_eq!(e.mask, mask);
    assert_eq!((e.sport, e.dport), ((1, 2), (80, 88)));
    assert_eq!(e.prio, 65535);
    assert_eq!(e.action, Action::Deliver { channel: 4 });
    assert_eq!(c.sources[0].loc, Loc::new("c.rules", 1, 1));
}

#[test]
fn ipv6_rule_layout() {
    let c = compile(&set(
        "drop src 2001:db8:1:2::/64 dst-local yes src-local no",
    ))
    .unwrap();
    let e = &c.entries[0];
    // Word 0 holds bits 31:0, word 3 bits 127:96.
    assert_eq!(
        &e.value[key::SRC0..key::SRC0 + 4],
        &[0, 0, 0x0001_0002, 0x2001_0db8]
    );
    assert_eq!(
        &e.mask[key::SRC0..key::SRC0 + 4],
        &[0, 0, u32::MAX, u32::MAX]
    );
    assert_eq!(&e.mask[key::DST0..key::DST0 + 4], &[0; 4]);
    assert_eq!(
        e.value[key::META],
        Meta::new().with_ipv6(true).with_dst_local(true).raw()
    );
    assert_eq!(
        e.mask[key::META],
        Meta::new()
            .with_ipv6(true)
            .with_dst_local(true)
            .with_src_local(true)
            .raw()
    );
    assert_eq!(e.mask[key::PORTS], 0);
}

#[test]
fn family_bit_only_when_the_rule_has_a_family() {
    let c = compile(&set("drop dport 22\ndrop family ipv6\ndrop src 0.0.0.0/0")).unwrap();
    assert_eq!(c.entries[0].mask[key::META], 0);
    assert_eq!(c.entries[0].value, [0; KEY_WORDS]);
    let v6 = Meta::new().with_ipv6(true).raw();
    assert_eq!(c.entries[1].mask[key::META], v6);
    assert_eq!(c.entries[1].value[key::META], v6);
    assert_eq!(c.entries[2].mask[key::META], v6);
    assert_eq!(c.entries[2].value[key::META], 0);
    let v4 = Key::v4(1, 2, 6, 3, 22);
    let v6 = Key::new("::1".parse().unwrap(), "::2".parse().unwrap(), 6, 3, 22);
    assert!(c.entries[0].matches(&v4) && c.entries[0].matches(&v6));
    assert!(!c.entries[1].matches(&v4) && c.entries[1].matches(&v6));
    assert!(c.entries[2].matches(&v4) && !c.entries[2].matches(&v6));
}

#[test]
fn every_entry_is_valid_for_the_hardware() {
    let c = compile(&set(include_str!("../../../examples/host-firewall.rules"))).unwrap();
    for e in &c.entries {
        for w in 0..KEY_WORDS {
            assert_eq!(e.value[w] & !e.mask[w], 0, "VALUE_OUTSIDE_MASK in word {w}");
        }
        assert_eq!(
            Meta::decode(e.value[key::META]).map(Meta::raw),
            Ok(e.value[key::META])
        );
        assert_eq!(
            Meta::decode(e.mask[key::META]).map(Meta::raw),
            Ok(e.mask[key::META])
        );
        assert!(e.sport.0 <= e.sport.1 && e.dport.0 <= e.dport.1);
        assert_eq!(Action::decode(e.action.encode()), Ok(e.action));
    }
}

#[test]
fn hardware_priorities_follow_prio_then_line() {
    let s = set("drop dport 1\ndrop dport 2 prio 5\ndrop dport 3\ndrop dport 4 prio 7\n");
    let c = compile(&s).unwrap();
    let rules: Vec<_> = (0..c.len()).map(|i| c.rule_of(i)).collect();
    assert_eq!(rules, [3, 1, 0, 2]);
    let prios: Vec<_> = c.entries.iter().map(|e| e.prio).collect();
    assert_eq!(prios, [65535, 65534, 65533, 65532]);
    assert_eq!(c.entries_per_rule(s.len()), [1, 1, 1, 1]);
    assert_eq!(c.sources[0].loc.line, 4);
    assert_eq!(c.first_match(&Key::v4(0, 0, 0, 0, 3)), Some(3));
    assert_eq!(c.first_match(&Key::v4(0, 0, 0, 0, 9)), None);
}

#[test]
fn too_many_rules_is_an_error_at_the_first_that_does_not_fit() {
    let mut s = RuleSet::default();
    for i in 0..=MAX_RULES as u32 {
        s.rules
            .push(Rule::any(Action::Drop, Loc::new("big", i + 1, 1)));
    }
    let e = compile(&s).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::TooManyRules {
            count: MAX_RULES + 1,
            max: MAX_RULES
        }
    );
    assert_eq!(
        e.to_string(),
        "big:65536:1: too many rules: 65536; at most 65535 fit the 16-bit hardware priority"
    );
    s.rules.pop();
    let c = compile(&s).unwrap();
    assert_eq!(c.len(), MAX_RULES);
    assert_eq!(c.entries.last().unwrap().prio, 1);
}

#[test]
fn compile_rejects_rules_built_wrongly_in_code() {
    let loc = Loc::new("api", 3, 1);
    let v6: Prefix = text::parse_cidr("2001:db8::/32").unwrap();
    let v4: Prefix = text::parse_cidr("10.0.0.0/8").unwrap();
    let bad = [
        (
            Rule {
                src: Some(v4),
                dst: Some(v6),
                ..Rule::any(Action::Drop, loc.clone())
            },
            ErrorKind::MixedFamilies,
        ),
        (
            Rule {
                family: Some(Family::V4),
                dst: Some(v6),
                ..Rule::any(Action::Drop, loc.clone())
            },
            ErrorKind::MixedFamilies,
        ),
        (
            Rule {
                sport: PortRange { lo: 9, hi: 8 },
                ..Rule::any(Action::Drop, loc.clone())
            },
            ErrorKind::InvertedRange { lo: 9, hi: 8 },
        ),
        (
            Rule::any(Action::SlowPath { reason: 5 }, loc.clone()),
            ErrorKind::ReasonOutOfRange(5),
        ),
        (
            Rule {
                proto: ProtoMatch { value: 3, mask: 1 },
                ..Rule::any(Action::Drop, loc.clone())
            },
            ErrorKind::ProtoValueOutsideMask { value: 3, mask: 1 },
        ),
    ];
    for (rule, kind) in bad {
        let s = RuleSet {
            rules: vec![Rule::any(Action::Drop, Loc::new("api", 1, 1)), rule],
            ..RuleSet::default()
        };
        let e = compile(&s).unwrap_err();
        assert_eq!((e.loc.clone(), e.kind), (loc.clone(), kind));
    }
    // Family implied by a prefix alone compiles as that family.
    let s = RuleSet {
        rules: vec![Rule {
            src: Some(v6),
            ..Rule::any(Action::Drop, loc)
        }],
        ..RuleSet::default()
    };
    assert_eq!(
        compile(&s).unwrap().entries[0].value[key::META],
        Meta::new().with_ipv6(true).raw()
    );
}

// ------------------------------------------------------------------ entries ≡ rule semantics

/// Rules built from small pools so that they overlap, nest and share boundaries.
const V4_POOL: &[&str] = &[
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.0/24",
    "10.1.2.3/32",
    "192.0.2.0/25",
    "192.0.2.128/25",
];
const V6_POOL: &[&str] = &[
    "::/0",
    "2001:db8::/32",
    "2001:db8:1::/48",
    "2001:db8:1::5/128",
    "fe80::/10",
    "2001:db8:8000::/33",
];
const PORTS: &[u16] = &[0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65534, 65535];
const PROTOS: &[u8] = &[0, 1, 6, 17, 58, 132];

fn arb_port_range() -> impl Strategy<Value = PortRange> {
    prop_oneof![
        2 => Just(PortRange::ANY),
        1 => (0..PORTS.len(), 0..PORTS.len()).prop_map(|(a, b)| {
            let (a, b) = (PORTS[a], PORTS[b]);
            PortRange { lo: a.min(b), hi: a.max(b) }
        }),
    ]
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    let fam = prop_oneof![Just(None), Just(Some(Family::V4)), Just(Some(Family::V6))];
    let local = prop_oneof![2 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))];
    let proto = prop_oneof![
        2 => Just(ProtoMatch::ANY),
        2 => (0..PROTOS.len()).prop_map(|i| ProtoMatch::exact(PROTOS[i])),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(v, m)| ProtoMatch { value: v & m, mask: m }),
    ];
    let action = prop_oneof![
        any::<u8>().prop_map(|channel| Action::Deliver { channel }),
        Just(Action::Drop)
    ];
    (
        fam,
        0..=V4_POOL.len(),
        0..=V4_POOL.len(),
        local.clone(),
        local,
        proto,
        arb_port_range(),
        arb_port_range(),
        prop_oneof![3 => Just(None), 1 => (0u16..4).prop_map(Some)],
        action,
    )
        .prop_map(|(fam, s, d, sl, dl, proto, sport, dport, prio, action)| {
            // Index == pool length means "any".
            let pick = |i: usize| -> Option<Prefix> {
                match fam {
                    Some(Family::V4) => V4_POOL.get(i).map(|p| text::parse_cidr(p).unwrap()),
                    Some(Family::V6) => V6_POOL.get(i).map(|p| text::parse_cidr(p).unwrap()),
                    None => None,
                }
            };
            Rule {
                src: pick(s),
                dst: pick(d),
                family: fam,
                src_local: sl,
                dst_local: dl,
                proto,
                sport,
                dport,
                flags: FlagsMatch::ANY,
                prio,
                action,
                loc: Loc::new("prop", 0, 1),
            }
        })
}

fn arb_addr(v6: bool) -> impl Strategy<Value = u128> {
    let pool: Vec<u128> = if v6 { V6_POOL } else { V4_POOL }
        .iter()
        .map(|p| text::parse_cidr(p).unwrap())
        .flat_map(|p| {
            [
                p.bits(),
                p.bits() | (!p.mask_bits() & if v6 { u128::MAX } else { u32::MAX as u128 }),
            ]
        })
        .collect();
    let width_mask = if v6 { u128::MAX } else { u32::MAX as u128 };
    prop_oneof![
        // A prefix's first or last address, or one bit flipped from it.
        2 => (proptest::sample::select(pool.clone()), proptest::option::of(0..if v6 { 128u32 } else { 32 }))
            .prop_map(move |(a, flip)| flip.map_or(a, |b| (a ^ (1u128 << b)) & width_mask)),
        1 => any::<u128>().prop_map(move |a| a & width_mask),
    ]
}

fn arb_port() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => proptest::sample::select(PORTS.to_vec()),
        1 => proptest::sample::select(PORTS.to_vec()).prop_map(|p| p.wrapping_add(1)),
        1 => any::<u16>(),
    ]
}

fn arb_key() -> impl Strategy<Value = Key> {
    any::<bool>()
        .prop_flat_map(|v6| {
            (
                arb_addr(v6),
                arb_addr(v6),
                Just(v6),
                any::<bool>(),
                any::<bool>(),
                prop_oneof![3 => proptest::sample::select(PROTOS.to_vec()), 1 => any::<u8>()],
                arb_port(),
                arb_port(),
            )
        })
        .prop_map(
            |(src, dst, ipv6, src_local, dst_local, proto, sport, dport)| Key {
                src,
                dst,
                ipv6,
                src_local,
                dst_local,
                proto,
                sport,
                dport,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn entries_decide_like_the_rules(
        rules in proptest::collection::vec(arb_rule(), 1..40),
        keys in proptest::collection::vec(arb_key(), 64),
    ) {
        let set = RuleSet {
            rules,
            ..RuleSet::default()
        };
        let c = compile(&set).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(c.len(), set.len());
        for k in &keys {
            // Each entry alone matches exactly the packets its rule matches...
            for (i, e) in c.entries.iter().enumerate() {
                prop_assert_eq!(e.matches(k), set.rules[c.rule_of(i)].matches(k), "entry {} key {}", i, k);
            }
            // ...and the hardware's choice is the rule set's first match.
            let hw = hw_decide(&c.entries, k);
            prop_assert_eq!(hw, c.first_match(k));
            prop_assert_eq!(hw.map(|i| c.rule_of(i)), set.first_match(k), "key {}", k);
        }
    }

    #[test]
    fn prefixes_match_by_address_bits(p in (any::<u128>(), 0u8..=128).prop_map(|(a, l)| Prefix::truncated(IpAddr::from(a.to_be_bytes()), l)), a in any::<u128>()) {
        // Independent of the compiler: the prefix relation by leading bits.
        let lead = |x: u128| if p.prefix_len() == 0 { 0 } else { x >> (128 - p.prefix_len() as u32) };
        prop_assert_eq!(p.contains_bits(a), lead(a) == lead(p.bits()));
    }
}

#[test]
fn rtl1_refuses_a_flags_rule_at_its_line_and_rtl2_keeps_it() {
    let s =
        set("drop proto udp\n\n# flags\nchannel 3 proto tcp dport 22 flags SYN/SYN,ACK\ndrop\n");
    let e = compile(&s).unwrap_err();
    assert_eq!(e.kind, ErrorKind::FlagsNeedRtl2);
    assert_eq!((e.loc.line, e.loc.column), (4, 1));
    assert_eq!(
        e.to_string(),
        "c.rules:4:1: TCP-flag matches need an RTL 2.0 device: the RTL 1.x TCAM key has no TCP flags"
    );
    // The RTL 2.0 path: the set keeps the flags match, within the default 6 flag bits.
    assert_eq!(
        s.rules[1].flags,
        FlagsMatch {
            value: 0x02,
            mask: 0x12
        }
    );
    gufc_rules::flags::check(&s, gufc_rules::flags::FLAG_BITS).unwrap();
    // ECE/CWR are above FLAG_BITS = 6: refused at the rule, naming the flags.
    let s = set("drop proto tcp\ndrop proto tcp flags SYN,ECE/SYN,ECE,CWR\n");
    let e = gufc_rules::flags::check(&s, 6).unwrap_err();
    assert_eq!(e.loc.line, 2);
    assert_eq!(
        e.kind,
        ErrorKind::FlagBitsUnmatchable {
            flags: "ECE,CWR".into(),
            flag_bits: 6
        }
    );
    gufc_rules::flags::check(&s, 8).unwrap();
    assert!(gufc_rules::flags::check(&set("drop proto tcp flags URG"), 5).is_err());
    assert!(gufc_rules::flags::check(&set("drop proto tcp flags PSH"), 5).is_ok());
}

#[test]
fn clearing_unmatchable_flags_takes_them_from_value_and_mask_with_a_warning_each() {
    use gufc_rules::WarningKind;
    let mut s = set("drop proto tcp flags SYN,ECE/SYN,ECE,CWR
         drop proto tcp flags SYN/SYN,ACK
         drop proto tcp flags CWR
");
    let w = gufc_rules::flags::clear_unmatchable(&mut s, 6);
    // SYN stays compared; ECE and CWR go from value and mask; a CWR-only match becomes any.
    assert_eq!(
        s.rules[0].flags,
        FlagsMatch {
            value: 0x02,
            mask: 0x02
        }
    );
    assert_eq!(
        s.rules[1].flags,
        FlagsMatch {
            value: 0x02,
            mask: 0x12
        }
    );
    assert_eq!(s.rules[2].flags, FlagsMatch::ANY);
    let kinds: Vec<_> = w.iter().map(|w| (w.loc.line, w.kind.clone())).collect();
    let cleared = |flags: &str| WarningKind::FlagsCleared {
        flags: flags.into(),
        flag_bits: 6,
    };
    assert_eq!(
        kinds,
        [
            (1, cleared("ECE,CWR")),
            (3, cleared("CWR")),
            (
                1,
                WarningKind::FlagsClearedTotal {
                    rules: 2,
                    flags: "ECE,CWR".into()
                }
            )
        ]
    );
    gufc_rules::flags::check(&s, 6).unwrap();
    // Nothing to clear: no warning at all.
    assert!(gufc_rules::flags::clear_unmatchable(&mut s, 6).is_empty());
}

#[test]
fn rtl2_compile_carries_each_rules_flags_in_its_entry() {
    use gufc_rules::{compile_for, RuleStage};
    let s = set(
        "drop proto udp\nchannel 3 proto tcp dport 22 flags SYN/SYN,ACK\n\
                 channel 1 proto tcp flags none/RST\ndrop\n",
    );
    let rtl2 = RuleStage::Rtl2 { flag_bits: 6 };
    let c = compile_for(&s, rtl2).unwrap();
    let flags: Vec<(u8, u8)> = c.entries.iter().map(|e| e.tcp_flags).collect();
    assert_eq!(flags, [(0, 0), (0x02, 0x12), (0, 0x04), (0, 0)]);
    // The same entries otherwise: only the flags differ from the 1.x compile of the set
    // without them.
    let plain = compile(&s.without_flags().0).unwrap();
    for (a, b) in c.entries.iter().zip(&plain.entries) {
        assert_eq!(
            TcamEntry {
                tcp_flags: (0, 0),
                ..*a
            },
            *b
        );
    }
    // The entries' flag-aware first match is the rules' first match, packet flags and all.
    let keys = [
        Key::v4(1, 2, 6, 1000, 22),
        Key::v4(1, 2, 6, 1000, 80),
        Key::v4(1, 2, 17, 1, 22),
    ];
    for k in keys {
        for f in 0..=255u8 {
            assert_eq!(
                c.first_match_with_flags(&k, f).map(|i| c.rule_of(i)),
                s.first_match_with_flags(&k, f),
                "{k:?} flags {f:#04x}"
            );
        }
    }
    // A flag bit above the stage's: refused at its rule, by `flags::check`.
    let e = compile_for(&set("drop\ndrop proto tcp flags CWR\n"), rtl2).unwrap_err();
    assert_eq!(
        (e.loc.line, e.to_string().contains("CWR")),
        (2, true),
        "{e}"
    );
    // RTL 1.x still refuses flags.
    assert_eq!(
        compile_for(&s, RuleStage::Rtl1).unwrap_err().kind,
        ErrorKind::FlagsNeedRtl2
    );
}
