//! Serde helpers for `--json` output (schema `gufc/1`, docs/cli.md): register-map types have
//! no serde of their own, so the driver's types name the shape here with `serialize_with`.

use serde::ser::SerializeMap;
use serde::Serializer;

use gufc_regmap::{Action, HitKind};

/// `#[serde(serialize_with)]`: the value as its `Display` text.
pub fn display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// `#[serde(serialize_with)]`: an action as `{"verdict": "deliver", "channel": 3}`,
/// `{"verdict": "drop"}` or `{"verdict": "slow_path", "reason": 2}`.
pub fn action<S: Serializer>(a: &Action, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    match *a {
        Action::Deliver { channel } => {
            m.serialize_entry("verdict", "deliver")?;
            m.serialize_entry("channel", &channel)?;
        }
        Action::Drop => m.serialize_entry("verdict", "drop")?,
        Action::SlowPath { reason } => {
            m.serialize_entry("verdict", "slow_path")?;
            m.serialize_entry("reason", &reason)?;
        }
    }
    m.end()
}

/// `#[serde(serialize_with)]`: what decided a lookup, `"flow"`, `"rule"` or `"miss"`.
pub fn hit_kind<S: Serializer>(k: &HitKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match k {
        HitKind::Flow => "flow",
        HitKind::Rule => "rule",
        HitKind::Miss => "miss",
    })
}
