//! `acl` table entries as gufc rules: parsing a P4Runtime `TableEntry` into a [`Rule`] (every
//! field checked against its P4Info width and kind), and the canonical form entries are kept and
//! read back in.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use gufc::device::Caps;
use gufc::rules::{compile_rule, Family, Loc, PortRange, Prefix, ProtoMatch, Rule};
use gufc_regmap::Action;
use gufc_regmap::TcamEntry;
use prost::Message;
use tonic::Code;

use crate::p4info::{self, acl as f};
use crate::proto::p4::v1 as p4;
use p4::field_match::FieldMatchType as M;

/// Why an update or request was refused: a gRPC canonical code and a message naming the place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The canonical status code.
    pub code: Code,
    /// What was wrong, and where.
    pub msg: String,
}

impl Reject {
    /// A refusal with `code`.
    pub fn new(code: Code, msg: impl Into<String>) -> Reject {
        Reject {
            code,
            msg: msg.into(),
        }
    }
}

fn invalid(msg: impl Into<String>) -> Reject {
    Reject::new(Code::InvalidArgument, msg)
}

/// A P4Runtime bytestring with its leading zero bytes removed (one byte left for zero): the
/// spec's canonical form, in which entries are kept, compared and read back.
pub fn canonical(b: &[u8]) -> Vec<u8> {
    let first = b
        .iter()
        .position(|&x| x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    b[first..].to_vec()
}

/// The unsigned value of bytestring `b` of a `bits`-wide field named `what`; refuses an empty
/// string and a value that does not fit (OUT_OF_RANGE).
pub fn value(b: &[u8], bits: u32, what: &str) -> Result<u128, Reject> {
    if b.is_empty() {
        return Err(invalid(format!("{what}: empty bytestring")));
    }
    let c = canonical(b);
    if c.len() > 16 {
        return Err(Reject::new(
            Code::OutOfRange,
            format!("{what}: {} bytes do not fit {bits} bits", c.len()),
        ));
    }
    let v = c.iter().fold(0u128, |a, &x| a << 8 | x as u128);
    if bits < 128 && v >> bits != 0 {
        return Err(Reject::new(
            Code::OutOfRange,
            format!("{what}: value {v:#x} does not fit {bits} bits"),
        ));
    }
    Ok(v)
}

/// An `acl` entry as the server keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct AclEntry {
    /// The entry in canonical form (matches sorted by field ID, bytestrings canonical, no
    /// counter data): what a read returns.
    pub entry: p4::TableEntry,
    /// Its meaning as a gufc rule.
    pub rule: Rule,
    /// The TCAM entry it compiles to (hardware priority = P4 priority).
    pub tcam: TcamEntry,
}

/// The identity of an entry in its table: its match and priority (P4Runtime's entry key).
pub fn key_of(e: &p4::TableEntry) -> Vec<u8> {
    let mut k = e.priority.to_be_bytes().to_vec();
    for m in &e.r#match {
        k.extend(m.encode_to_vec());
    }
    k
}

/// The largest priority the device's TCAM holds (`CAP_KEY.PRIO_BITS`, at most 16 bits).
pub fn max_priority(caps: &Caps) -> i32 {
    ((1u32 << caps.prio_bits.min(16)) - 1) as i32
}

/// Parses and checks an `acl` entry. With `need_action` false (DELETE) the action may be
/// absent; the match and priority are still checked in full.
pub fn parse(e: &p4::TableEntry, caps: &Caps, need_action: bool) -> Result<AclEntry, Reject> {
    if e.table_id != p4info::ACL {
        return Err(invalid(format!("table id {:#x} is not acl", e.table_id)));
    }
    if e.is_default_action {
        return Err(Reject::new(
            Code::Unimplemented,
            "acl: the default action is fixed (a miss goes on to the flow-cache verdict); \
             is_default_action is not supported",
        ));
    }
    if e.meter_config.is_some() || e.meter_counter_data.is_some() {
        return Err(invalid("acl has no meters"));
    }
    if e.idle_timeout_ns != 0 {
        return Err(invalid("acl has no idle timeout (only flows does)"));
    }
    let max = max_priority(caps);
    if e.priority <= 0 {
        return Err(invalid(format!(
            "acl: priority {} must be above 0 (the table has ternary and range fields)",
            e.priority
        )));
    }
    if e.priority > max {
        return Err(Reject::new(
            Code::OutOfRange,
            format!(
                "acl: priority {} is above {max}, the largest the device's {}-bit TCAM priority holds",
                e.priority, caps.prio_bits
            ),
        ));
    }
    let mut rule = Rule::any(Action::Drop, Loc::new("p4runtime:acl", 0, 0));
    rule.prio = Some(e.priority as u16);
    let mut ms = e.r#match.clone();
    ms.sort_by_key(|m| m.field_id);
    if let Some(w) = ms.windows(2).find(|w| w[0].field_id == w[1].field_id) {
        return Err(invalid(format!(
            "acl: field {} is matched twice",
            w[0].field_id
        )));
    }
    let (mut is4, mut is6) = (None, None);
    for m in &mut ms {
        let id = m.field_id;
        let v4_only = matches!(id, f::IS_IPV4 | f::SRC_IP | f::DST_IP);
        let v6_only = matches!(id, f::IS_IPV6 | f::SRC_IPV6 | f::DST_IPV6);
        if (v4_only && !caps.ipv4) || (v6_only && !caps.ipv6) {
            return Err(invalid(format!(
                "acl: no match field with id {id} on this device (it does not classify {})",
                if v4_only { "IPv4" } else { "IPv6" }
            )));
        }
        let Some(fm) = &mut m.field_match_type else {
            return Err(invalid(format!("acl: field {id} has no match")));
        };
        match (id, fm) {
            (f::IS_IPV4 | f::IS_IPV6 | f::SRC_LOCAL | f::DST_LOCAL, M::Optional(o)) => {
                let name = [
                    "is_ipv4",
                    "is_ipv6",
                    "",
                    "",
                    "",
                    "",
                    "src_local",
                    "dst_local",
                ][id as usize - 1];
                let v = value(&o.value, 1, name)? == 1;
                o.value = canonical(&o.value);
                match id {
                    f::IS_IPV4 => is4 = Some(v),
                    f::IS_IPV6 => is6 = Some(v),
                    f::SRC_LOCAL => rule.src_local = Some(v),
                    _ => rule.dst_local = Some(v),
                }
            }
            (f::SRC_IP | f::DST_IP | f::SRC_IPV6 | f::DST_IPV6, M::Ternary(t)) => {
                let (name, bits) = match id {
                    f::SRC_IP => ("src_ip", 32),
                    f::DST_IP => ("dst_ip", 32),
                    f::SRC_IPV6 => ("src_ipv6", 128),
                    _ => ("dst_ipv6", 128),
                };
                let (v, mask) = ternary(t, bits, name)?;
                let len = mask.count_ones();
                let full = if bits == 128 {
                    u128::MAX
                } else {
                    (1u128 << bits) - 1
                };
                if mask != full & !(full >> len) {
                    return Err(Reject::new(
                        Code::Unimplemented,
                        format!(
                            "acl: {name} mask {mask:#x} is not a prefix; the rule path takes \
                             prefix masks only"
                        ),
                    ));
                }
                let addr = if bits == 32 {
                    IpAddr::V4(Ipv4Addr::from(v as u32))
                } else {
                    IpAddr::V6(Ipv6Addr::from(v))
                };
                let p = Prefix::new(addr, len as u8)
                    .map_err(|e| invalid(format!("acl: {name}: {e}")))?;
                if matches!(id, f::SRC_IP | f::SRC_IPV6) {
                    if rule.src.is_some() {
                        return Err(invalid("acl: src_ip and src_ipv6 both given"));
                    }
                    rule.src = Some(p);
                } else {
                    if rule.dst.is_some() {
                        return Err(invalid("acl: dst_ip and dst_ipv6 both given"));
                    }
                    rule.dst = Some(p);
                }
            }
            (f::PROTO, M::Ternary(t)) => {
                let (v, mask) = ternary(t, 8, "proto")?;
                rule.proto = ProtoMatch {
                    value: v as u8,
                    mask: mask as u8,
                };
            }
            (f::SRC_PORT | f::DST_PORT, M::Range(r)) => {
                let name = if id == f::SRC_PORT {
                    "src_port"
                } else {
                    "dst_port"
                };
                let lo = value(&r.low, 16, name)? as u16;
                let hi = value(&r.high, 16, name)? as u16;
                if lo > hi {
                    return Err(invalid(format!("acl: {name} range {lo}..{hi} is empty")));
                }
                let pr = PortRange { lo, hi };
                if pr.is_any() {
                    return Err(invalid(format!(
                        "acl: {name} range 0..65535 is a don't-care: leave the field out"
                    )));
                }
                r.low = canonical(&r.low);
                r.high = canonical(&r.high);
                if id == f::SRC_PORT {
                    rule.sport = pr;
                } else {
                    rule.dport = pr;
                }
            }
            (f::TCP_FLAGS, M::Ternary(_)) if caps.rules.is_some() => {
                return Err(Reject::new(
                    Code::Unimplemented,
                    "acl: tcp_flags is in the P4Info of this RTL 2.0 device but the driver's \
                     rule compiler does not carry flags to the TCAM yet",
                ));
            }
            (1..=11, other) => {
                return Err(invalid(format!(
                    "acl: field {id} takes a {} match, not {}",
                    kind_of(id),
                    match_name(other)
                )));
            }
            _ => return Err(invalid(format!("acl: no match field with id {id}"))),
        }
    }
    rule.family = match (is4, is6) {
        (None, None) => None,
        (Some(a), None) => Some(if a { Family::V4 } else { Family::V6 }),
        (None, Some(b)) => Some(if b { Family::V6 } else { Family::V4 }),
        (Some(a), Some(b)) if a != b => Some(if a { Family::V4 } else { Family::V6 }),
        (Some(_), Some(_)) => {
            return Err(invalid(
                "acl: is_ipv4 and is_ipv6 agree; no packet is both or neither",
            ))
        }
    };
    if let Some(fam) = rule.family {
        for p in [rule.src, rule.dst].into_iter().flatten() {
            if p.family() != fam {
                return Err(invalid(format!(
                    "acl: the entry is {} but matches a {} address",
                    fam.name(),
                    p.family().name()
                )));
            }
        }
    }
    let mut action = None;
    match e.action.as_ref().and_then(|a| a.r#type.as_ref()) {
        Some(p4::table_action::Type::Action(a)) => {
            rule.action = parse_action(a, caps, "acl")?;
            let mut a = a.clone();
            a.params.sort_by_key(|p| p.param_id);
            for p in &mut a.params {
                p.value = canonical(&p.value);
            }
            action = Some(p4::TableAction {
                r#type: Some(p4::table_action::Type::Action(a)),
            });
        }
        Some(_) => return Err(invalid("acl takes direct actions, not action profiles")),
        None if need_action => return Err(invalid("acl: the entry has no action")),
        None => {}
    }
    let tcam = compile_rule(&rule, e.priority as u16)
        .map_err(|err| invalid(format!("acl: {}", err.kind)))?;
    let entry = p4::TableEntry {
        table_id: e.table_id,
        r#match: ms,
        action,
        priority: e.priority,
        metadata: e.metadata.clone(),
        ..Default::default()
    };
    Ok(AclEntry { entry, rule, tcam })
}

/// A ternary match's value and mask; refuses value bits outside the mask and a zero mask (a
/// don't-care is left out, says the spec).
fn ternary(
    t: &mut p4::field_match::Ternary,
    bits: u32,
    name: &str,
) -> Result<(u128, u128), Reject> {
    let v = value(&t.value, bits, name)?;
    let mask = value(&t.mask, bits, name)?;
    if mask == 0 {
        return Err(invalid(format!(
            "acl: {name} mask 0 is a don't-care: leave the field out"
        )));
    }
    if v & !mask != 0 {
        return Err(invalid(format!(
            "acl: {name} value {v:#x} has bits outside mask {mask:#x}"
        )));
    }
    t.value = canonical(&t.value);
    t.mask = canonical(&t.mask);
    Ok((v, mask))
}

fn kind_of(id: u32) -> &'static str {
    match id {
        f::IS_IPV4 | f::IS_IPV6 | f::SRC_LOCAL | f::DST_LOCAL => "optional",
        f::SRC_PORT | f::DST_PORT => "range",
        _ => "ternary",
    }
}

fn match_name(m: &M) -> &'static str {
    match m {
        M::Exact(_) => "exact",
        M::Ternary(_) => "ternary",
        M::Lpm(_) => "lpm",
        M::Range(_) => "range",
        M::Optional(_) => "optional",
        M::Other(_) => "other",
    }
}

/// An action of the `acl` or `flows` table (`table`, for messages) as the device's action;
/// parameters checked against the P4Info and the device (channel below `CAP_MISC.CHANNELS`,
/// reason a rule's own).
pub fn parse_action(a: &p4::Action, caps: &Caps, table: &str) -> Result<Action, Reject> {
    let want: &[(u32, &str)] = match a.action_id {
        p4info::STEER => &[(1, "channel")],
        p4info::DROP => &[],
        p4info::SLOW_PATH => &[(1, "reason")],
        id => {
            return Err(invalid(format!(
                "{table}: action id {id:#x} is not steer, drop or slow_path"
            )))
        }
    };
    if a.params.len() != want.len() {
        return Err(invalid(format!(
            "{table}: action {:#x} takes {} parameter(s), got {}",
            a.action_id,
            want.len(),
            a.params.len()
        )));
    }
    let arg = |id: u32, name: &str| -> Result<u128, Reject> {
        let p =
            a.params.iter().find(|p| p.param_id == id).ok_or_else(|| {
                invalid(format!("{table}: parameter {name} (id {id}) is missing"))
            })?;
        value(&p.value, 8, name)
    };
    Ok(match a.action_id {
        p4info::STEER => {
            let ch = arg(1, "channel")?;
            if ch >= caps.channels as u128 {
                return Err(Reject::new(
                    Code::OutOfRange,
                    format!(
                        "steer: channel {ch} is out of range: the device has {} channels",
                        caps.channels
                    ),
                ));
            }
            Action::Deliver { channel: ch as u8 }
        }
        p4info::DROP => Action::Drop,
        _ => {
            let r = arg(1, "reason")? as u8;
            if !gufc::rules::is_rule_reason(r) {
                return Err(Reject::new(
                    Code::OutOfRange,
                    format!(
                        "slow_path: reason {r} is out of range: rules use {} or {}..=255 \
                         (0..=15 belong to the hardware)",
                        gufc_regmap::SlowReason::Rule.bits(),
                        gufc::rules::FIRST_RULE_REASON
                    ),
                ));
            }
            Action::SlowPath { reason: r }
        }
    })
}
