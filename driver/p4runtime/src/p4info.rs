//! The gufc pipeline as P4Info, built from what the device says it has (`Caps`), and printed in
//! the protobuf text format (what `p4runtime-shell` and `finsy` read from a file).

use std::fmt::Write as _;

use gufc::device::Caps;
use prost::Message;

use crate::proto::p4::config::v1 as cfg;
use cfg::match_field::{Match, MatchType};

/// P4Runtime ID prefixes (the spec's `P4Ids`): an object's kind lives in the ID's top byte.
const ACTION: u32 = 0x01 << 24;
const TABLE: u32 = 0x02 << 24;
const COUNTER: u32 = 0x12 << 24;
const DIRECT_COUNTER: u32 = 0x13 << 24;

/// Table `acl`: the TCAM rules.
pub const ACL: u32 = TABLE | 1;
/// Table `flows`: the flow cache, exact on the 7-tuple.
pub const FLOWS: u32 = TABLE | 2;
/// Table `locality`: the host's own prefixes (LPM).
pub const LOCALITY: u32 = TABLE | 3;
/// Action `steer(channel)`: deliver on a channel.
pub const STEER: u32 = ACTION | 1;
/// Action `drop`.
pub const DROP: u32 = ACTION | 2;
/// Action `slow_path(reason)`: hand the packet to software with a reason.
pub const SLOW_PATH: u32 = ACTION | 3;
/// Action `local`: the `locality` table's only action (the address is the host's own).
pub const LOCAL: u32 = ACTION | 4;
/// Direct counter of `acl` (the TCAM counters).
pub const ACL_COUNTER: u32 = DIRECT_COUNTER | 1;
/// Direct counter of `flows` (the flow-cache counters).
pub const FLOWS_COUNTER: u32 = DIRECT_COUNTER | 2;
/// Indirect counter `channel`, one per delivery channel.
pub const CHANNEL_COUNTER: u32 = COUNTER | 1;

/// `acl` match field IDs (their order in the table).
pub mod acl {
    /// `is_ipv4`, optional, 1 bit.
    pub const IS_IPV4: u32 = 1;
    /// `is_ipv6`, optional, 1 bit.
    pub const IS_IPV6: u32 = 2;
    /// `src_ip`, ternary, 32 bits.
    pub const SRC_IP: u32 = 3;
    /// `dst_ip`, ternary, 32 bits.
    pub const DST_IP: u32 = 4;
    /// `src_ipv6`, ternary, 128 bits.
    pub const SRC_IPV6: u32 = 5;
    /// `dst_ipv6`, ternary, 128 bits.
    pub const DST_IPV6: u32 = 6;
    /// `src_local`, optional, 1 bit.
    pub const SRC_LOCAL: u32 = 7;
    /// `dst_local`, optional, 1 bit.
    pub const DST_LOCAL: u32 = 8;
    /// `proto`, ternary, 8 bits.
    pub const PROTO: u32 = 9;
    /// `src_port`, range, 16 bits.
    pub const SRC_PORT: u32 = 10;
    /// `dst_port`, range, 16 bits.
    pub const DST_PORT: u32 = 11;
    /// `tcp_flags`, ternary (RTL 2.0 devices only).
    pub const TCP_FLAGS: u32 = 12;
}

/// `flows` match field IDs (all exact).
pub mod flows {
    /// `is_ipv6`, 1 bit.
    pub const IS_IPV6: u32 = 1;
    /// `src_addr`, 128 bits (an IPv4 address in the low 32).
    pub const SRC_ADDR: u32 = 2;
    /// `dst_addr`, 128 bits.
    pub const DST_ADDR: u32 = 3;
    /// `proto`, 8 bits.
    pub const PROTO: u32 = 4;
    /// `src_port`, 16 bits.
    pub const SRC_PORT: u32 = 5;
    /// `dst_port`, 16 bits.
    pub const DST_PORT: u32 = 6;
}

/// `locality` match field IDs.
pub mod locality {
    /// `is_ipv6`, exact, 1 bit.
    pub const IS_IPV6: u32 = 1;
    /// `addr`, LPM, 128 bits (an IPv4 address in the low 32).
    pub const ADDR: u32 = 2;
}

/// Bits of the `steer` action's `channel` parameter: enough for 256 channels.
pub const CHANNEL_BITS: i32 = 8;
/// Bits of the `slow_path` action's `reason` parameter.
pub const REASON_BITS: i32 = 8;

fn preamble(id: u32, name: &str, doc: &str) -> Option<cfg::Preamble> {
    Some(cfg::Preamble {
        id,
        name: name.into(),
        alias: name.into(),
        // Left out when empty, as the text format leaves it out.
        doc: (!doc.is_empty()).then(|| cfg::Documentation {
            brief: doc.into(),
            description: String::new(),
        }),
        ..Default::default()
    })
}

fn field(id: u32, name: &str, bits: i32, t: MatchType) -> cfg::MatchField {
    cfg::MatchField {
        id,
        name: name.into(),
        bitwidth: bits,
        r#match: Some(Match::MatchType(t as i32)),
        ..Default::default()
    }
}

fn refs(ids: &[u32]) -> Vec<cfg::ActionRef> {
    ids.iter()
        .map(|&id| cfg::ActionRef {
            id,
            ..Default::default()
        })
        .collect()
}

fn both() -> Option<cfg::CounterSpec> {
    Some(cfg::CounterSpec {
        unit: cfg::counter_spec::Unit::Both as i32,
    })
}

/// The P4Info of a device with these capabilities: table sizes are its TCAM, flow-cache and
/// locality-table sizes; address fields only of the families it classifies; `tcp_flags` is a
/// match field only where the rule stage has flags (2.0).
pub fn build(caps: &Caps) -> cfg::P4Info {
    use MatchType::*;
    // Address fields of the families the device classifies (CAP_KEY.IPV4/IPV6); RTL 2.0 is
    // IPv4-only.
    let mut acl_fields = Vec::new();
    if caps.ipv4 {
        acl_fields.push(field(acl::IS_IPV4, "is_ipv4", 1, Optional));
    }
    if caps.ipv6 {
        acl_fields.push(field(acl::IS_IPV6, "is_ipv6", 1, Optional));
    }
    if caps.ipv4 {
        acl_fields.push(field(acl::SRC_IP, "src_ip", 32, Ternary));
        acl_fields.push(field(acl::DST_IP, "dst_ip", 32, Ternary));
    }
    if caps.ipv6 {
        acl_fields.push(field(acl::SRC_IPV6, "src_ipv6", 128, Ternary));
        acl_fields.push(field(acl::DST_IPV6, "dst_ipv6", 128, Ternary));
    }
    acl_fields.extend([
        field(acl::SRC_LOCAL, "src_local", 1, Optional),
        field(acl::DST_LOCAL, "dst_local", 1, Optional),
        field(acl::PROTO, "proto", 8, Ternary),
        field(acl::SRC_PORT, "src_port", 16, Range),
        field(acl::DST_PORT, "dst_port", 16, Range),
    ]);
    if let Some(r) = &caps.rules {
        acl_fields.push(field(
            acl::TCP_FLAGS,
            "tcp_flags",
            r.flag_bits as i32,
            Ternary,
        ));
    }
    let forwarding = [STEER, DROP, SLOW_PATH];
    cfg::P4Info {
        pkg_info: Some(cfg::PkgInfo {
            name: "gufc".into(),
            version: format!("{}.{}", caps.version_major, caps.version_minor),
            arch: "gufc".into(),
            doc: Some(cfg::Documentation {
                brief: "gufc SmartNIC flow classifier (fixed-function pipeline)".into(),
                description: String::new(),
            }),
            ..Default::default()
        }),
        tables: vec![
            cfg::Table {
                preamble: preamble(ACL, "acl", "TCAM rules: the highest priority match decides"),
                match_fields: acl_fields,
                action_refs: refs(&forwarding),
                direct_resource_ids: vec![ACL_COUNTER],
                size: caps.tcam_entries as i64,
                ..Default::default()
            },
            cfg::Table {
                preamble: preamble(FLOWS, "flows", "flow cache: exact on the 7-tuple"),
                match_fields: vec![
                    field(flows::IS_IPV6, "is_ipv6", 1, Exact),
                    field(flows::SRC_ADDR, "src_addr", 128, Exact),
                    field(flows::DST_ADDR, "dst_addr", 128, Exact),
                    field(flows::PROTO, "proto", 8, Exact),
                    field(flows::SRC_PORT, "src_port", 16, Exact),
                    field(flows::DST_PORT, "dst_port", 16, Exact),
                ],
                action_refs: refs(&forwarding),
                direct_resource_ids: vec![FLOWS_COUNTER],
                size: caps.flow_slots() as i64,
                idle_timeout_behavior: cfg::table::IdleTimeoutBehavior::NotifyControl as i32,
                ..Default::default()
            },
            cfg::Table {
                preamble: preamble(LOCALITY, "locality", "the host's own prefixes"),
                match_fields: vec![
                    field(locality::IS_IPV6, "is_ipv6", 1, Exact),
                    field(locality::ADDR, "addr", 128, Lpm),
                ],
                action_refs: refs(&[LOCAL]),
                size: caps.local_entries as i64,
                ..Default::default()
            },
        ],
        actions: vec![
            action(STEER, "steer", &[(1, "channel", CHANNEL_BITS)]),
            action(DROP, "drop", &[]),
            action(SLOW_PATH, "slow_path", &[(1, "reason", REASON_BITS)]),
            action(LOCAL, "local", &[]),
        ],
        counters: vec![cfg::Counter {
            preamble: preamble(CHANNEL_COUNTER, "channel", "packets delivered per channel"),
            spec: both(),
            size: caps.channels as i64,
            ..Default::default()
        }],
        direct_counters: vec![
            cfg::DirectCounter {
                preamble: preamble(ACL_COUNTER, "acl_counter", "packets each rule decided"),
                spec: both(),
                direct_table_id: ACL,
            },
            cfg::DirectCounter {
                preamble: preamble(FLOWS_COUNTER, "flows_counter", "packets of each flow"),
                spec: both(),
                direct_table_id: FLOWS,
            },
        ],
        ..Default::default()
    }
}

fn action(id: u32, name: &str, params: &[(u32, &str, i32)]) -> cfg::Action {
    cfg::Action {
        preamble: preamble(id, name, ""),
        params: params
            .iter()
            .map(|&(id, name, bitwidth)| cfg::action::Param {
                id,
                name: name.into(),
                bitwidth,
                ..Default::default()
            })
            .collect(),
    }
}

/// The P4Info in the protobuf binary encoding.
pub fn binary(p: &cfg::P4Info) -> Vec<u8> {
    p.encode_to_vec()
}

/// The P4Info in the protobuf text format. Covers the fields [`build`] sets; a field this
/// printer does not know is refused (panics) rather than silently left out.
pub fn text(p: &cfg::P4Info) -> String {
    assert!(
        p.action_profiles.is_empty()
            && p.meters.is_empty()
            && p.direct_meters.is_empty()
            && p.controller_packet_metadata.is_empty()
            && p.value_sets.is_empty()
            && p.registers.is_empty()
            && p.digests.is_empty()
            && p.externs.is_empty()
            && p.type_info.is_none(),
        "p4info::text: the P4Info has objects this printer does not cover"
    );
    let mut t = Text::default();
    if let Some(k) = &p.pkg_info {
        t.open("pkg_info");
        t.str("name", &k.name);
        t.str("version", &k.version);
        if let Some(d) = &k.doc {
            t.doc(d);
        }
        t.str("arch", &k.arch);
        t.close();
    }
    for tb in &p.tables {
        t.open("tables");
        t.preamble(&tb.preamble);
        for f in &tb.match_fields {
            t.open("match_fields");
            t.num("id", f.id);
            t.str("name", &f.name);
            t.num("bitwidth", f.bitwidth);
            if let Some(Match::MatchType(m)) = f.r#match {
                let name = MatchType::try_from(m).unwrap().as_str_name();
                t.line(format_args!("match_type: {name}"));
            }
            t.close();
        }
        for a in &tb.action_refs {
            t.open("action_refs");
            t.num("id", a.id);
            t.close();
        }
        for r in &tb.direct_resource_ids {
            t.num("direct_resource_ids", *r);
        }
        t.num("size", tb.size);
        if tb.idle_timeout_behavior != 0 {
            let b = cfg::table::IdleTimeoutBehavior::try_from(tb.idle_timeout_behavior).unwrap();
            t.line(format_args!("idle_timeout_behavior: {}", b.as_str_name()));
        }
        t.close();
    }
    for a in &p.actions {
        t.open("actions");
        t.preamble(&a.preamble);
        for q in &a.params {
            t.open("params");
            t.num("id", q.id);
            t.str("name", &q.name);
            t.num("bitwidth", q.bitwidth);
            t.close();
        }
        t.close();
    }
    for c in &p.counters {
        t.open("counters");
        t.preamble(&c.preamble);
        t.spec(&c.spec);
        t.num("size", c.size);
        t.close();
    }
    for c in &p.direct_counters {
        t.open("direct_counters");
        t.preamble(&c.preamble);
        t.spec(&c.spec);
        t.num("direct_table_id", c.direct_table_id);
        t.close();
    }
    t.out
}

/// A text-format writer: two spaces per level, default values left out as the format allows.
#[derive(Default)]
struct Text {
    out: String,
    depth: usize,
}

impl Text {
    fn line(&mut self, a: std::fmt::Arguments) {
        let _ = writeln!(self.out, "{:w$}{a}", "", w = 2 * self.depth);
    }
    fn open(&mut self, name: &str) {
        self.line(format_args!("{name} {{"));
        self.depth += 1;
    }
    fn close(&mut self) {
        self.depth -= 1;
        self.line(format_args!("}}"));
    }
    fn num(&mut self, name: &str, v: impl std::fmt::Display + Default + PartialEq) {
        if v != Default::default() {
            self.line(format_args!("{name}: {v}"));
        }
    }
    fn str(&mut self, name: &str, v: &str) {
        if !v.is_empty() {
            // Our names and docs are ASCII without quotes or backslashes; escape them anyway.
            let esc = v.replace('\\', "\\\\").replace('"', "\\\"");
            self.line(format_args!("{name}: \"{esc}\""));
        }
    }
    fn doc(&mut self, d: &cfg::Documentation) {
        self.open("doc");
        self.str("brief", &d.brief);
        self.str("description", &d.description);
        self.close();
    }
    fn preamble(&mut self, p: &Option<cfg::Preamble>) {
        let Some(p) = p else { return };
        self.open("preamble");
        self.num("id", p.id);
        self.str("name", &p.name);
        self.str("alias", &p.alias);
        if let Some(d) = &p.doc {
            self.doc(d);
        }
        self.close();
    }
    fn spec(&mut self, s: &Option<cfg::CounterSpec>) {
        if let Some(s) = s {
            let u = cfg::counter_spec::Unit::try_from(s.unit).unwrap();
            self.open("spec");
            self.line(format_args!("unit: {}", u.as_str_name()));
            self.close();
        }
    }
}
