//! `flows` and `locality` table entries: parsing a P4Runtime `TableEntry` into a flow-cache key
//! and action or a locality prefix (every field checked against its P4Info width and kind), and
//! the canonical entry a read gives back for what the device holds.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use gufc::device::Caps;
use gufc_regmap::{Action, Key};
use tonic::Code;

use crate::acl::{canonical, parse_action, value, Reject};
use crate::p4info::{self, locality as lf};
use crate::proto::p4::v1 as p4;
use p4::field_match::FieldMatchType as M;

fn invalid(msg: impl Into<String>) -> Reject {
    Reject::new(Code::InvalidArgument, msg)
}

/// Checks what an exact/LPM table entry may not carry (`table` names it in messages).
fn check_plain(e: &p4::TableEntry, table: &str) -> Result<(), Reject> {
    if e.is_default_action {
        return Err(Reject::new(
            Code::Unimplemented,
            format!("{table}: the default action is fixed; is_default_action is not supported"),
        ));
    }
    if e.priority != 0 {
        return Err(invalid(format!(
            "{table}: priority {} must be 0 (the table has no ternary, range or optional fields)",
            e.priority
        )));
    }
    if e.meter_config.is_some() || e.meter_counter_data.is_some() {
        return Err(invalid(format!("{table} has no meters")));
    }
    Ok(())
}

/// The matches of `e` by field id, refusing a field given twice or unknown to the table.
fn by_field<'a>(
    e: &'a p4::TableEntry,
    table: &str,
    names: &[&str],
) -> Result<Vec<Option<&'a M>>, Reject> {
    let mut out = vec![None; names.len()];
    for m in &e.r#match {
        let id = m.field_id as usize;
        if id == 0 || id > names.len() {
            return Err(invalid(format!(
                "{table}: no match field with id {}",
                m.field_id
            )));
        }
        let fm = m.field_match_type.as_ref().ok_or_else(|| {
            invalid(format!(
                "{table}: field {} ({}) has no match",
                id,
                names[id - 1]
            ))
        })?;
        if out[id - 1].replace(fm).is_some() {
            return Err(invalid(format!(
                "{table}: field {id} ({}) is matched twice",
                names[id - 1]
            )));
        }
    }
    Ok(out)
}

fn exact_field(b: &[u8], id: u32) -> p4::FieldMatch {
    p4::FieldMatch {
        field_id: id,
        field_match_type: Some(M::Exact(p4::field_match::Exact {
            value: canonical(b),
        })),
    }
}

fn kind(m: &M) -> &'static str {
    match m {
        M::Exact(_) => "exact",
        M::Ternary(_) => "ternary",
        M::Lpm(_) => "lpm",
        M::Range(_) => "range",
        M::Optional(_) => "optional",
        M::Other(_) => "other",
    }
}

/// The action of a table entry in canonical form (params sorted, bytestrings canonical).
fn action_entry(a: Action) -> p4::TableAction {
    let (id, params) = match a {
        Action::Deliver { channel } => (p4info::STEER, vec![channel]),
        Action::Drop => (p4info::DROP, vec![]),
        Action::SlowPath { reason } => (p4info::SLOW_PATH, vec![reason]),
    };
    p4::TableAction {
        r#type: Some(p4::table_action::Type::Action(p4::Action {
            action_id: id,
            params: params
                .into_iter()
                .map(|v| p4::action::Param {
                    param_id: 1,
                    value: vec![v],
                })
                .collect(),
        })),
    }
}

/// A `flows` entry as an update gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowEntry {
    /// The flow-cache key (locality bits clear).
    pub key: Key,
    /// The action; `None` only for a DELETE that gave none.
    pub action: Option<Action>,
}

const FLOW_FIELDS: [&str; 6] = [
    "is_ipv6", "src_addr", "dst_addr", "proto", "src_port", "dst_port",
];

/// Parses and checks a `flows` entry: all six exact fields are required (an exact field has no
/// don't-care), an IPv4 key's addresses must fit the low 32 bits, and an IPv6 key needs a device
/// that classifies IPv6. With `need_action` false (DELETE) the action may be absent.
pub fn parse_flow(e: &p4::TableEntry, caps: &Caps, need_action: bool) -> Result<FlowEntry, Reject> {
    check_plain(e, "flows")?;
    if e.idle_timeout_ns != 0 {
        return Err(Reject::new(
            Code::Unimplemented,
            "flows: idle_timeout_ns is not supported yet (idle-timeout notifications are not \
             built); send 0",
        ));
    }
    let ms = by_field(e, "flows", &FLOW_FIELDS)?;
    let mut v = [0u128; 6];
    for (i, m) in ms.iter().enumerate() {
        let name = FLOW_FIELDS[i];
        let bits = [1, 128, 128, 8, 16, 16][i];
        match m {
            None => {
                return Err(invalid(format!(
                    "flows: exact field {} ({name}) is missing (exact fields have no don't-care)",
                    i + 1
                )))
            }
            Some(M::Exact(x)) => v[i] = value(&x.value, bits, &format!("flows: {name}"))?,
            Some(other) => {
                return Err(invalid(format!(
                    "flows: field {} ({name}) takes an exact match, not {}",
                    i + 1,
                    kind(other)
                )))
            }
        }
    }
    let ipv6 = v[0] == 1;
    if ipv6 && !caps.ipv6 {
        return Err(invalid(
            "flows: is_ipv6 is 1 but this device does not classify IPv6",
        ));
    }
    if !ipv6 && !caps.ipv4 {
        return Err(invalid(
            "flows: is_ipv6 is 0 but this device does not classify IPv4",
        ));
    }
    if !ipv6 {
        for (i, name) in [(1, "src_addr"), (2, "dst_addr")] {
            if v[i] >> 32 != 0 {
                return Err(invalid(format!(
                    "flows: {name} {:#x} does not fit 32 bits but is_ipv6 is 0 (an IPv4 \
                     address sits in the low 32 bits)",
                    v[i]
                )));
            }
        }
    }
    let key = Key {
        src: v[1],
        dst: v[2],
        ipv6,
        proto: v[3] as u8,
        sport: v[4] as u16,
        dport: v[5] as u16,
        ..Key::default()
    };
    let action = match e.action.as_ref().and_then(|a| a.r#type.as_ref()) {
        Some(p4::table_action::Type::Action(a)) => Some(parse_action(a, caps, "flows")?),
        Some(_) => return Err(invalid("flows takes direct actions, not action profiles")),
        None if need_action => return Err(invalid("flows: the entry has no action")),
        None => None,
    };
    Ok(FlowEntry { key, action })
}

/// The canonical `flows` entry for a cached flow (what a read returns).
pub fn flow_entry(key: &Key, action: Option<Action>) -> p4::TableEntry {
    // In field-id order (p4info::flows).
    let vals: [u128; 6] = [
        key.ipv6 as u128,
        key.src,
        key.dst,
        key.proto as u128,
        key.sport as u128,
        key.dport as u128,
    ];
    p4::TableEntry {
        table_id: p4info::FLOWS,
        r#match: vals
            .iter()
            .enumerate()
            .map(|(i, v)| exact_field(&v.to_be_bytes(), i as u32 + 1))
            .collect(),
        action: action.map(action_entry),
        ..Default::default()
    }
}

/// A `locality` prefix as an update gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalPrefix {
    /// The prefix's address in its family, host bits clear.
    pub addr: IpAddr,
    /// Its length in bits of its family (0..=32 or 0..=128).
    pub len: u8,
}

/// Bits above an IPv4 address in the 128-bit `addr` field.
const V4_SHIFT: u32 = 96;

/// Parses and checks a `locality` entry. `is_ipv6` is required; `addr` is LPM on the 128-bit
/// field, omitted for the whole family (/0). An IPv4 prefix of length L sits in the low 32 bits
/// and has `prefix_len` 96 + L. The only action is `local`.
pub fn parse_local(
    e: &p4::TableEntry,
    caps: &Caps,
    need_action: bool,
) -> Result<LocalPrefix, Reject> {
    check_plain(e, "locality")?;
    if e.idle_timeout_ns != 0 {
        return Err(invalid("locality has no idle timeout (only flows does)"));
    }
    if e.counter_data.is_some() {
        return Err(invalid("locality has no counter"));
    }
    let ms = by_field(e, "locality", &["is_ipv6", "addr"])?;
    let ipv6 =
        match ms[0] {
            None => return Err(invalid(
                "locality: exact field 1 (is_ipv6) is missing (exact fields have no don't-care)",
            )),
            Some(M::Exact(x)) => value(&x.value, 1, "locality: is_ipv6")? == 1,
            Some(other) => {
                return Err(invalid(format!(
                    "locality: field 1 (is_ipv6) takes an exact match, not {}",
                    kind(other)
                )))
            }
        };
    if (ipv6 && !caps.ipv6) || (!ipv6 && !caps.ipv4) {
        return Err(invalid(format!(
            "locality: is_ipv6 is {} but this device does not classify {}",
            ipv6 as u8,
            if ipv6 { "IPv6" } else { "IPv4" }
        )));
    }
    let (v, plen) = match ms[1] {
        None => (0u128, 0u32),
        Some(M::Lpm(l)) => {
            let v = value(&l.value, 128, "locality: addr")?;
            let p = l.prefix_len;
            if p == 0 {
                return Err(invalid(
                    "locality: addr prefix_len 0 is a don't-care: leave the field out",
                ));
            }
            if !(1..=128).contains(&p) {
                return Err(Reject::new(
                    Code::OutOfRange,
                    format!("locality: addr prefix_len {p} is outside 1..=128"),
                ));
            }
            let p = p as u32;
            if v & (u128::MAX >> p) != 0 {
                return Err(invalid(format!(
                    "locality: addr {v:#x} has bits set beyond its prefix_len {p}"
                )));
            }
            (v, p)
        }
        Some(other) => {
            return Err(invalid(format!(
                "locality: field 2 (addr) takes an lpm match, not {}",
                kind(other)
            )))
        }
    };
    let (addr, len) = if ipv6 {
        (IpAddr::V6(Ipv6Addr::from(v)), plen as u8)
    } else if plen == 0 {
        (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
    } else {
        if plen <= V4_SHIFT {
            return Err(invalid(format!(
                "locality: addr prefix_len {plen} with is_ipv6 0: an IPv4 prefix of length L \
                 sits in the low 32 bits and has prefix_len 96 + L (97..=128); for all of \
                 IPv4 leave addr out"
            )));
        }
        (
            IpAddr::V4(Ipv4Addr::from(v as u32)),
            (plen - V4_SHIFT) as u8,
        )
    };
    match e.action.as_ref().and_then(|a| a.r#type.as_ref()) {
        Some(p4::table_action::Type::Action(a)) => {
            if a.action_id != p4info::LOCAL {
                return Err(invalid(format!(
                    "locality: action id {:#x} is not local (the table's only action)",
                    a.action_id
                )));
            }
            if !a.params.is_empty() {
                return Err(invalid(format!(
                    "locality: action local takes no parameters, got {}",
                    a.params.len()
                )));
            }
        }
        Some(_) => {
            return Err(invalid(
                "locality takes direct actions, not action profiles",
            ))
        }
        None if need_action => return Err(invalid("locality: the entry has no action")),
        None => {}
    }
    Ok(LocalPrefix { addr, len })
}

/// The canonical `locality` entry for a prefix (what a read returns).
pub fn local_entry(p: LocalPrefix) -> p4::TableEntry {
    let (ipv6, v, plen) = match p.addr {
        IpAddr::V4(a) => (false, u32::from(a) as u128, V4_SHIFT + p.len as u32),
        IpAddr::V6(a) => (true, u128::from(a), p.len as u32),
    };
    let mut ms = vec![exact_field(&[ipv6 as u8], lf::IS_IPV6)];
    if p.len != 0 {
        ms.push(p4::FieldMatch {
            field_id: lf::ADDR,
            field_match_type: Some(M::Lpm(p4::field_match::Lpm {
                value: canonical(&v.to_be_bytes()),
                prefix_len: plen as i32,
            })),
        });
    }
    p4::TableEntry {
        table_id: p4info::LOCALITY,
        r#match: ms,
        action: Some(p4::TableAction {
            r#type: Some(p4::table_action::Type::Action(p4::Action {
                action_id: p4info::LOCAL,
                params: vec![],
            })),
        }),
        ..Default::default()
    }
}
