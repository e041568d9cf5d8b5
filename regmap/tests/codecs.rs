//! The word codecs against the Verilog header (which a separate generator writes from the same
//! regmap.toml): every field of every word round-trips through its own bits, undefined enum
//! values are errors naming word, field and value, and the port ranges keep their registers.

use std::collections::{BTreeMap, BTreeSet};

use gufc_regmap::word::*;
use gufc_regmap::{
    reg, Action, CounterSpace, DecodeError, GlobalCounter, HitKind, InterestMode, Key,
    LookupResult, Opcode, ParseReason, Problem, ReasonCode, Register, SlowReason, TcamEntry,
    Verdict, VERILOG_HEADER,
};

/// `NAME = value` of every integer localparam in the header.
fn header() -> BTreeMap<String, u32> {
    VERILOG_HEADER
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("localparam ")?;
            let (lhs, v) = rest.trim_end_matches(';').split_once(" = ")?;
            let name = lhs.rsplit(' ').next()?.to_string();
            let v = match v.split_once('\'') {
                Some((_, lit)) if lit.starts_with('h') => u32::from_str_radix(&lit[1..], 16),
                Some((_, lit)) => lit[1..].parse(),
                None => v.parse(),
            };
            Some((name, v.ok()?))
        })
        .collect()
}

/// Bits of `word`.`field` according to the header.
fn header_mask(h: &BTreeMap<String, u32>, word: &str, field: &str) -> (u32, u32, u32) {
    let lsb = h[&format!("{word}_{field}_LSB")];
    let width = h[&format!("{word}_{field}_W")];
    let mask = ((((1u64 << width) - 1) << lsb) & 0xffff_ffff) as u32;
    (lsb, width, mask)
}

/// The all-ones and zero value of a getter's type.
trait Full: Copy + PartialEq + std::fmt::Debug {
    const FULL: Self;
    const ZERO: Self;
}

impl Full for bool {
    const FULL: Self = true;
    const ZERO: Self = false;
}

macro_rules! full {
    ($($t:ty),*) => {$(impl Full for $t {
        const FULL: Self = <$t>::MAX;
        const ZERO: Self = 0;
    })*};
}
full!(u8, u16, u32);

/// An integer or flag field: its setter fills exactly the header's bits and nothing else, and
/// its getter reads exactly those bits.
macro_rules! int_field {
    ($h:expr, $seen:expr, $w:ident, $field:literal, $get:ident, $with:ident) => {{
        let (_, _, mask) = header_mask($h, $w::NAME, $field);
        $seen.insert(format!("{}_{}", $w::NAME, $field));
        let full = $w::new().$with(Full::FULL);
        assert_eq!(full.raw(), mask, "{}.{} setter", $w::NAME, $field);
        assert_eq!(
            $w::new().$with($w::from_raw(mask).$get()).raw(),
            mask,
            "{}.{} getter",
            $w::NAME,
            $field
        );
        assert_eq!(
            $w::from_raw(!mask).$get(),
            Full::ZERO,
            "{}.{}",
            $w::NAME,
            $field
        );
        assert_eq!($w::from_raw(!0).$with(Full::ZERO).raw(), !mask);
    }};
}

/// An enumerated field: every defined value round-trips through the header's bits, every other
/// value the field can hold is an error naming the word, the field, the table and the value.
macro_rules! enum_field {
    ($h:expr, $seen:expr, $w:ident, $field:literal, $get:ident, $with:ident, $e:ident) => {{
        let (lsb, width, mask) = header_mask($h, $w::NAME, $field);
        $seen.insert(format!("{}_{}", $w::NAME, $field));
        for v in $e::ALL {
            let raw = (v.bits() as u32) << lsb;
            assert_eq!(
                $w::new().$with(v).raw(),
                raw,
                "{}.{} = {v}",
                $w::NAME,
                $field
            );
            assert_eq!($w::from_raw(raw).$get(), Ok(v));
            assert_eq!($w::from_raw(!0).$with(v).raw(), !mask | raw);
        }
        for x in (0..1u32 << width).filter(|&x| $e::from_bits(x).is_none()) {
            let raw = x << lsb;
            assert_eq!(
                $w::from_raw(raw).$get(),
                Err(DecodeError::unknown($w::NAME, raw, $field, $e::TABLE, x))
            );
            assert!($w::decode(raw).is_err());
        }
    }};
}

#[test]
fn every_field_round_trips_through_the_bits_of_the_verilog_header() {
    let h = &header();
    let mut seen = BTreeSet::new();
    let s = &mut seen;
    int_field!(h, s, Version, "MINOR", minor, with_minor);
    int_field!(h, s, Version, "MAJOR", major, with_major);
    int_field!(h, s, CapMisc, "CHANNELS", channels, with_channels);
    int_field!(
        h,
        s,
        CapMisc,
        "LOCAL_ENTRIES",
        local_entries,
        with_local_entries
    );
    int_field!(h, s, CapMisc, "LATENCY", latency, with_latency);
    int_field!(
        h,
        s,
        CapMisc,
        "COUNTER_BITS",
        counter_bits,
        with_counter_bits
    );
    int_field!(h, s, CapKey, "IPV4", ipv4, with_ipv4);
    int_field!(h, s, CapKey, "IPV6", ipv6, with_ipv6);
    int_field!(h, s, CapKey, "PORT_RANGES", port_ranges, with_port_ranges);
    int_field!(h, s, CapKey, "KEY_WORDS", key_words, with_key_words);
    int_field!(h, s, CapKey, "PRIO_BITS", prio_bits, with_prio_bits);
    int_field!(h, s, Control, "RESET", reset, with_reset);
    int_field!(h, s, Status, "ERROR", error, with_error);
    int_field!(h, s, Status, "PROBE_BUSY", probe_busy, with_probe_busy);
    int_field!(
        h,
        s,
        Status,
        "ACTIVE_PLANE",
        active_plane,
        with_active_plane
    );
    int_field!(h, s, Status, "BUSY", busy, with_busy);
    int_field!(h, s, Status, "EPOCH", epoch, with_epoch);
    int_field!(h, s, CapRules, "CHECKERS", checkers, with_checkers);
    int_field!(h, s, CapRules, "CLASSES", classes, with_classes);
    int_field!(h, s, CapRules, "FLAG_BITS", flag_bits, with_flag_bits);
    int_field!(
        h,
        s,
        CapRules,
        "WRITE_CYCLES",
        write_cycles,
        with_write_cycles
    );
    enum_field!(h, s, Error, "REASON", reason, with_reason, ReasonCode);
    int_field!(h, s, Error, "OPCODE", opcode, with_opcode);
    int_field!(h, s, Error, "COUNT", count, with_count);
    int_field!(h, s, Cmd, "INDEX", index, with_index);
    enum_field!(h, s, Cmd, "OPCODE", opcode, with_opcode, Opcode);
    int_field!(h, s, SportRange, "LO", lo, with_lo);
    int_field!(h, s, SportRange, "HI", hi, with_hi);
    int_field!(h, s, DportRange, "LO", lo, with_lo);
    int_field!(h, s, DportRange, "HI", hi, with_hi);
    int_field!(h, s, Prio, "PRIO", prio, with_prio);
    int_field!(h, s, Planes, "PLANES", planes, with_planes);
    int_field!(h, s, FlowFlags, "PINNED", pinned, with_pinned);
    int_field!(h, s, PktLen, "LEN", len, with_len);
    int_field!(h, s, FlowState, "EPOCH", epoch, with_epoch);
    int_field!(h, s, FlowState, "VALID", valid, with_valid);
    int_field!(h, s, FlowState, "HIT", hit, with_hit);
    int_field!(h, s, FlowState, "STALE", stale, with_stale);
    enum_field!(h, s, FlowInterest, "MODE", mode, with_mode, InterestMode);
    int_field!(h, s, FlowInterest, "PERIOD", period, with_period);
    int_field!(h, s, PktFlags, "FLAGS", flags, with_flags);
    enum_field!(h, s, ProbeResult, "VERDICT", verdict, with_verdict, Verdict);
    enum_field!(h, s, ProbeResult, "KIND", kind, with_kind, HitKind);
    int_field!(h, s, ProbeResult, "STALE_FLOW", stale_flow, with_stale_flow);
    int_field!(h, s, ProbeResult, "SRC_LOCAL", src_local, with_src_local);
    int_field!(h, s, ProbeResult, "DST_LOCAL", dst_local, with_dst_local);
    int_field!(h, s, ProbeResult, "CHANNEL", channel, with_channel);
    int_field!(h, s, ProbeResult, "REASON", reason, with_reason);
    enum_field!(h, s, ActionWord, "VERDICT", verdict, with_verdict, Verdict);
    int_field!(h, s, ActionWord, "CHANNEL", channel, with_channel);
    int_field!(h, s, ActionWord, "REASON", reason, with_reason);
    int_field!(h, s, Meta, "PROTO", proto, with_proto);
    int_field!(h, s, Meta, "SRC_LOCAL", src_local, with_src_local);
    int_field!(h, s, Meta, "DST_LOCAL", dst_local, with_dst_local);
    int_field!(h, s, Meta, "IPV6", ipv6, with_ipv6);
    int_field!(h, s, Ports, "SPORT", sport, with_sport);
    int_field!(h, s, Ports, "DPORT", dport, with_dport);
    int_field!(h, s, TcpFlags, "FIN", fin, with_fin);
    int_field!(h, s, TcpFlags, "SYN", syn, with_syn);
    int_field!(h, s, TcpFlags, "RST", rst, with_rst);
    int_field!(h, s, TcpFlags, "PSH", psh, with_psh);
    int_field!(h, s, TcpFlags, "ACK", ack, with_ack);
    int_field!(h, s, TcpFlags, "URG", urg, with_urg);
    int_field!(h, s, TcpFlags, "ECE", ece, with_ece);
    int_field!(h, s, TcpFlags, "CWR", cwr, with_cwr);
    int_field!(h, s, Cmpl0, "LEN", len, with_len);
    enum_field!(h, s, Cmpl0, "VERDICT", verdict, with_verdict, Verdict);
    enum_field!(h, s, Cmpl0, "KIND", kind, with_kind, HitKind);
    int_field!(h, s, Cmpl0, "STALE", stale, with_stale);
    int_field!(h, s, Cmpl0, "SRC_LOCAL", src_local, with_src_local);
    int_field!(h, s, Cmpl0, "DST_LOCAL", dst_local, with_dst_local);
    int_field!(h, s, Cmpl0, "REASON", reason, with_reason);
    int_field!(h, s, Cmpl1, "CHANNEL", channel, with_channel);
    enum_field!(
        h,
        s,
        Cmpl1,
        "PARSE_REASON",
        parse_reason,
        with_parse_reason,
        ParseReason
    );
    int_field!(h, s, Cmpl1, "TCP_FLAGS", tcp_flags, with_tcp_flags);
    int_field!(h, s, Cmpl1, "VLAN_TAGS", vlan_tags, with_vlan_tags);
    int_field!(h, s, Cmpl1, "FRAG", frag, with_frag);

    // Every field the header defines was checked above: nothing is left out.
    let in_header: BTreeSet<String> = h
        .keys()
        .filter_map(|k| k.strip_suffix("_LSB").map(str::to_string))
        .collect();
    assert_eq!(in_header, seen);
}

#[test]
fn enum_values_match_the_verilog_header() {
    let h = header();
    fn check<E: Copy + std::fmt::Display + Into<u32>>(
        h: &BTreeMap<String, u32>,
        table: &str,
        all: &[E],
        from: fn(u32) -> Option<E>,
    ) {
        let prefix = format!("{}_", table.to_uppercase());
        let named = h
            .keys()
            .filter(|k| {
                k.strip_prefix(&prefix)
                    .is_some_and(|n| !n.ends_with("_LSB") && !n.ends_with("_W"))
            })
            .count();
        assert_eq!(all.len(), named, "{table}: every value");
        for &v in all {
            let raw: u32 = v.into();
            assert_eq!(h[&format!("{prefix}{v}")], raw, "{table} {v}");
            assert_eq!(from(raw).map(Into::into), Some(raw));
        }
    }
    check(&h, Opcode::TABLE, &Opcode::ALL, Opcode::from_bits);
    check(
        &h,
        ReasonCode::TABLE,
        &ReasonCode::ALL,
        ReasonCode::from_bits,
    );
    check(
        &h,
        CounterSpace::TABLE,
        &CounterSpace::ALL,
        CounterSpace::from_bits,
    );
    check(
        &h,
        GlobalCounter::TABLE,
        &GlobalCounter::ALL,
        GlobalCounter::from_bits,
    );
    check(&h, Verdict::TABLE, &Verdict::ALL, Verdict::from_bits);
    check(&h, HitKind::TABLE, &HitKind::ALL, HitKind::from_bits);
    check(
        &h,
        SlowReason::TABLE,
        &SlowReason::ALL,
        SlowReason::from_bits,
    );
    check(
        &h,
        InterestMode::TABLE,
        &InterestMode::ALL,
        InterestMode::from_bits,
    );
}

#[test]
fn unknown_enum_value_is_an_error_naming_register_field_and_raw_value() {
    let e = ProbeResult::from_raw(0x0000_000c).kind().unwrap_err();
    assert_eq!(
        e.to_string(),
        "PROBE_RESULT word 0x0000000c: KIND = 3 is not defined in [kind]"
    );
    let e = Cmd::from_raw(0x7f00_0005).opcode().unwrap_err();
    assert_eq!(e.register, "CMD");
    assert_eq!(e.raw, 0x7f00_0005);
    assert!(matches!(
        e.problem,
        Problem::Unknown {
            field: "OPCODE",
            value: 0x7f,
            ..
        }
    ));
    let e = Action::decode(ActionWord::from_raw(3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ACTION word 0x00000003: VERDICT = 3 is not defined in [verdict]"
    );
    let e = ProbeResult::from_raw(3).action().unwrap_err();
    assert_eq!(e.register, "PROBE_RESULT");
}

type ActionWord = gufc_regmap::word::Action;

#[test]
fn reserved_bits_are_an_error_naming_them() {
    let e = ActionWord::decode(0x8000_0001).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ACTION word 0x80000001: reserved bits 0x80000000 are set"
    );
    assert_eq!(
        Action::decode(ActionWord::from_raw(1 << 2))
            .unwrap_err()
            .problem,
        Problem::Reserved { bits: 1 << 2 }
    );
    assert!(Planes::decode(0b100).is_err());
    assert!(Planes::decode(0b11).is_ok());
    assert_eq!(Meta::RESERVED, !0x7ff);
}

#[test]
fn flow_interest_rules_beyond_the_fields() {
    let w = |mode: InterestMode, period| FlowInterest::new().with_mode(mode).with_period(period);
    assert_eq!(
        w(InterestMode::Sample, 3).validate(),
        Ok(InterestMode::Sample)
    );
    assert_eq!(
        w(InterestMode::TcpCtrl, 0).validate(),
        Ok(InterestMode::TcpCtrl)
    );
    let e = w(InterestMode::Sample, 0).validate().unwrap_err();
    assert!(matches!(
        e.problem,
        Problem::Invalid {
            field: "PERIOD",
            value: 0,
            ..
        }
    ));
    assert!(FlowInterest::from_raw(5).validate().is_err());
    assert!(FlowInterest::from_raw(1 << 8).validate().is_err());
}

#[test]
fn port_ranges_stage_through_their_own_registers() {
    assert_eq!(SportRange::OFFSET, reg::SPORT_RANGE);
    assert_eq!(DportRange::OFFSET, reg::DPORT_RANGE);
    let e = TcamEntry {
        sport: (10, 20),
        dport: (30, 40),
        ..TcamEntry::match_all(7, Action::SlowPath { reason: 17 })
    };
    let staged: BTreeMap<u32, u32> = e.staging(0b10).into_iter().collect();
    assert_eq!(
        staged.len(),
        gufc_regmap::STAGING_WRITES,
        "one write per register"
    );
    assert_eq!(
        SportRange::from_raw(staged[&reg::SPORT_RANGE]).bounds(),
        (10, 20)
    );
    assert_eq!(
        DportRange::from_raw(staged[&reg::DPORT_RANGE]).bounds(),
        (30, 40)
    );
    assert_eq!(Prio::from_raw(staged[&reg::PRIO]).prio(), 7);
    assert_eq!(
        Action::decode(ActionWord::from_raw(staged[&reg::ACTION])),
        Ok(e.action)
    );
    assert_eq!(Planes::from_raw(staged[&reg::PLANES]).planes(), 0b10);
}

#[test]
fn probe_result_carries_the_decision() {
    for action in [
        Action::Deliver { channel: 200 },
        Action::Drop,
        Action::SlowPath { reason: 99 },
    ] {
        for kind in HitKind::ALL {
            let r = LookupResult {
                action,
                kind,
                index: 5,
                stale: true,
                src_local: false,
                dst_local: true,
                len: 64,
                tag: 1,
            };
            let w = ProbeResult::decode(ProbeResult::of(&r).raw()).unwrap();
            assert_eq!((w.action(), w.kind()), (Ok(action), Ok(kind)));
            assert!(w.stale_flow() && !w.src_local() && w.dst_local());
        }
    }
}

#[test]
fn key_words_use_the_meta_and_ports_layouts() {
    let k = Key::v4(1, 2, 6, 0x1234, 0xabcd);
    let w = k.words();
    let ports = Ports::from_raw(w[gufc_regmap::key::PORTS]);
    assert_eq!((ports.sport(), ports.dport()), (0x1234, 0xabcd));
    assert_eq!(Meta::from_raw(w[gufc_regmap::key::META]).proto(), 6);
    assert!(TcpFlags::new().with_rst(true).ctrl());
    assert!(!TcpFlags::new().with_ack(true).with_psh(true).ctrl());
}
