//! Text and JSON rendering shared by the commands.
//!
//! Every `--json` document is one object with `"schema": "gufc/1"` and `"command"` first;
//! field names are snake_case and enums are tagged with a `kind` (docs/cli.md). Library types
//! serialized by serde go through [`value`], which rewrites serde's externally tagged enums
//! (`{"Variant": {..}}`, `"Variant"`) into that shape; what the CLI builds itself is already
//! in it.

use std::io::Write;

use serde_json::{Map, Value};

use gufc::device::{FlowInfo, ProbeResult};
use gufc_regmap::word::Meta;
use gufc_regmap::{key, Action, HitKind, TcamEntry};

/// The JSON schema version every document carries; bumped on incompatible changes.
pub const SCHEMA: &str = "gufc/1";

/// Writes a line on stdout; a closed pipe ends the command quietly (exit status 141).
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => {
        {
            use std::io::Write as _;
            writeln!(std::io::stdout().lock(), $($t)*).map_err($crate::error::CliError::from)?
        }
    };
}

/// `CamelCase` to `snake_case`.
fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn is_variant_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_lowercase())
}

/// Rewrites serde's enum shapes: `{"Variant": {fields}}` becomes `{"kind": "variant", fields}`,
/// `{"Variant": value}` becomes `{"kind": "variant", "value": value}`, a unit variant
/// `"Variant"` becomes `"variant"`; every object key becomes snake_case.
pub fn normalize(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                let (k, inner) = m.iter().next().expect("one entry");
                if is_variant_name(k) {
                    let kind = snake(k);
                    let mut out = Map::new();
                    out.insert("kind".into(), Value::String(kind));
                    match normalize(inner.clone()) {
                        Value::Object(fields) => out.extend(fields),
                        other => {
                            out.insert("value".into(), other);
                        }
                    }
                    return Value::Object(out);
                }
            }
            Value::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        (
                            if is_variant_name(&k) { snake(&k) } else { k },
                            normalize(v),
                        )
                    })
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::String(s) if is_variant_name(&s) => Value::String(snake(&s)),
        other => other,
    }
}

/// Any serializable library value in the schema's shape.
pub fn value(v: &impl serde::Serialize) -> Value {
    normalize(serde_json::to_value(v).expect("JSON values serialize"))
}

/// Prints `body` (an object) on stdout as the document of `command`.
pub(crate) fn json(command: &str, body: Value) -> Result<(), crate::error::CliError> {
    let text = serde_json::to_string_pretty(&document(command, body))?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// The document of `command`: `schema` and `command`, then `body`'s fields, normalized.
pub fn document(command: &str, body: Value) -> Value {
    let mut doc = Map::new();
    doc.insert("schema".into(), SCHEMA.into());
    doc.insert("command".into(), command.into());
    // The body is built by the CLI in the schema's shape; library values in it went through
    // [`value`]. Normalizing it again would rewrite data such as a file named `Firewall`.
    match body {
        Value::Object(m) => doc.extend(m),
        other => {
            doc.insert("result".into(), other);
        }
    }
    Value::Object(doc)
}

/// An action as `{"verdict": "deliver", "channel": 3}`, `{"verdict": "drop"}` or
/// `{"verdict": "slow_path", "reason": 2}`.
pub fn action(a: Action) -> Value {
    match a {
        Action::Deliver { channel } => {
            serde_json::json!({"verdict": "deliver", "channel": channel})
        }
        Action::Drop => serde_json::json!({"verdict": "drop"}),
        Action::SlowPath { reason } => {
            serde_json::json!({"verdict": "slow_path", "reason": reason})
        }
    }
}

/// What decided a lookup: `flow`, `rule` or `miss`.
pub fn hit_kind(k: HitKind) -> &'static str {
    match k {
        HitKind::Flow => "flow",
        HitKind::Rule => "rule",
        HitKind::Miss => "miss",
    }
}

/// A probe's answer in the schema's shape.
pub fn probe(r: &ProbeResult) -> Value {
    serde_json::json!({
        "action": action(r.action),
        "decided_by": hit_kind(r.kind),
        "index": r.index,
        "stale_flow_bypassed": r.stale,
        "src_local": r.src_local,
        "dst_local": r.dst_local,
    })
}

/// A flow entry in the schema's shape.
pub fn flow(f: &FlowInfo) -> Value {
    let mut v = value(f);
    v["key"] = f.key.to_string().into();
    v["action"] = action(f.action);
    v
}

/// A 128-bit value/mask pair as CIDR when the mask is a prefix, else as value/mask.
fn addr_text(value: u128, mask: u128, ipv6: Option<bool>) -> Option<String> {
    if mask == 0 {
        return None;
    }
    let v4 = ipv6 == Some(false) && mask >> 32 == 0;
    let (bits, m) = if v4 { (32, mask << 96) } else { (128, mask) };
    let len = m.leading_ones();
    if m.count_ones() != len {
        return Some(format!("{value:#x}/{mask:#x}"));
    }
    Some(if v4 {
        format!(
            "{}/{}",
            std::net::Ipv4Addr::from(value as u32),
            len.min(bits)
        )
    } else {
        format!("{}/{}", std::net::Ipv6Addr::from(value), len)
    })
}

fn words128(w: &[u32], base: usize) -> u128 {
    (0..4).fold(0u128, |acc, i| acc | (w[base + i] as u128) << (32 * i))
}

/// A TCAM entry in the rule language where it can be expressed, raw value/mask otherwise.
pub fn entry_text(e: &TcamEntry) -> String {
    let mut s = match e.action {
        Action::Deliver { channel } => format!("channel {channel}"),
        Action::Drop => "drop".to_string(),
        Action::SlowPath { reason } => format!("slowpath reason {reason}"),
    };
    let (mv, mm) = (
        Meta::from_raw(e.value[key::META]),
        Meta::from_raw(e.mask[key::META]),
    );
    let ipv6 = mm.ipv6().then_some(mv.ipv6());
    let src = addr_text(
        words128(&e.value, key::SRC0),
        words128(&e.mask, key::SRC0),
        ipv6,
    );
    let dst = addr_text(
        words128(&e.value, key::DST0),
        words128(&e.mask, key::DST0),
        ipv6,
    );
    if src.is_none() && dst.is_none() {
        if let Some(v6) = ipv6 {
            s += if v6 { " family ipv6" } else { " family ipv4" };
        }
    }
    if let Some(a) = src {
        s += &format!(" src {a}");
    }
    if let Some(a) = dst {
        s += &format!(" dst {a}");
    }
    for (cared, value, name) in [
        (mm.src_local(), mv.src_local(), "src-local"),
        (mm.dst_local(), mv.dst_local(), "dst-local"),
    ] {
        if cared {
            s += &format!(" {name} {}", if value { "yes" } else { "no" });
        }
    }
    match mm.proto() {
        0 => {}
        0xff => {
            s += &format!(
                " proto {}",
                gufc::rules::protocol_name(mv.proto())
                    .map_or_else(|| mv.proto().to_string(), str::to_string)
            )
        }
        m => s += &format!(" proto {:#04x}/{m:#04x}", mv.proto()),
    }
    let ports = e.mask[key::PORTS];
    if ports != 0 {
        s += &format!(" ports {:#010x}/{ports:#010x}", e.value[key::PORTS]);
    }
    for (name, (lo, hi)) in [("sport", e.sport), ("dport", e.dport)] {
        match (lo, hi) {
            (0, 65535) => {}
            (a, b) if a == b => s += &format!(" {name} {a}"),
            (a, b) => s += &format!(" {name} {a}-{b}"),
        }
    }
    s
}
