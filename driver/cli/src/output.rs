//! Text and JSON rendering shared by the commands.
//!
//! Every `--json` document is one object with `"schema": "gufc/1"` and `"command"` first;
//! field names are snake_case, enums are snake_case strings or objects tagged with `kind`
//! (docs/cli.md). Library types declare that shape with serde attributes, so [`value`] is a
//! plain `serde_json::to_value`; what the CLI builds itself is written in it.

use std::io::Write;

use serde_json::{Map, Value};

use gufc::device::EntryView;
use gufc_regmap::word::Meta;
use gufc_regmap::{key, Action, TcamEntry};

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

/// Any serializable library value: its type declares the schema's shape with serde
/// attributes (snake_case names, enums as strings or tagged with `kind`, actions as verdicts).
pub fn value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).expect("JSON values serialize")
}

/// Prints `body` (an object) on stdout as the document of `command`.
pub(crate) fn json(command: &str, body: Value) -> Result<(), crate::error::CliError> {
    let text = serde_json::to_string_pretty(&document(command, body))?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// The document of `command`: `schema` and `command`, then `body`'s fields.
pub fn document(command: &str, body: Value) -> Value {
    let mut doc = Map::new();
    doc.insert("schema".into(), SCHEMA.into());
    doc.insert("command".into(), command.into());
    match body {
        Value::Object(m) => doc.extend(m),
        other => {
            doc.insert("result".into(), other);
        }
    }
    Value::Object(doc)
}

/// An action in the schema's shape (the same as in library values, `gufc::json::action`).
pub fn action(a: Action) -> Value {
    gufc::json::action(&a, serde_json::value::Serializer).expect("JSON values serialize")
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
        // As the rule language writes it (`Rule`'s Display), so the text parses back.
        Action::SlowPath { reason } if reason == gufc_regmap::SlowReason::Rule.bits() => {
            "slowpath".to_string()
        }
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
    let (fv, fm) = e.tcp_flags;
    if fm != 0 {
        let f = gufc::rules::FlagsMatch {
            value: fv,
            mask: fm,
        };
        s += &format!(" flags {f}");
    }
    s
}

/// What a device entry matches ([`gufc::device::Device::view_entry`]) in the rule language,
/// then, after `#`, the checkers a 2.0 entry uses and what the rule language cannot say.
pub fn view_text(v: &EntryView) -> String {
    view_text_with(v, None)
}

/// [`view_text`] with `first` (e.g. the rule's source) leading the `#` comment.
pub fn view_text_with(v: &EntryView, first: Option<String>) -> String {
    let mut s = entry_text(&v.entry);
    let mut notes: Vec<String> = first.into_iter().collect();
    notes.extend(
        v.checkers
            .iter()
            .filter(|c| c.hit)
            .filter_map(|c| Some(format!("{} by checker {}", c.field?, c.index))),
    );
    notes.extend(v.notes.iter().cloned());
    if !notes.is_empty() {
        s += "  # ";
        s += &notes.join("; ");
    }
    s
}

/// The JSON fields a device entry adds beside its `rule` text: the checkers a 2.0 entry uses
/// (`[]` on 1.x) and what the text cannot say (`notes`).
pub fn view_fields(v: &EntryView) -> (Value, Value) {
    (value(&v.checkers), value(&v.notes))
}
