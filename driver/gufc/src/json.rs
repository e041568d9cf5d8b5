//! Serde helpers for `--json` output: types that print well serialize as their text.

use serde::Serializer;

/// `#[serde(serialize_with)]`: the value as its `Display` text.
pub fn display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// `#[serde(serialize_with)]`: the value as its `Debug` text (for enums without `Display`).
pub fn debug<T: std::fmt::Debug, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{v:?}"))
}
