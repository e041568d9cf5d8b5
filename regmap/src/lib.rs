//! The contract between gufc's hardware, its model and its driver: the BAR0 register map,
//! the key layout, the action word and the flow-cache hash.
//!
//! Everything here is generated from `regmap.toml` or derived from it, so the RTL
//! (`rtl/gufc_regs.vh`), the docs (`docs/registers.md`) and the Rust side cannot drift apart.
//! Every hardware word has one codec type in [`word`] (named fields, enumerated fields as
//! Rust enums such as [`Opcode`] or [`HitKind`]); driver, model and tests all go through it.

#![forbid(unsafe_code)]

mod bucket;
mod decode;
mod entry;
mod flowkey;
mod pins;
mod words;

pub use bucket::{bucket_pair, buckets_of_fold, fold};
pub use decode::{DecodeError, Problem};
pub use entry::{TcamEntry, STAGING_WRITES};
pub use flowkey::{Action, Key, KEY_WORDS};
pub use pins::{CycleIn, CycleOut, KeyIn, LookupResult, Mmio};

include!(concat!(env!("OUT_DIR"), "/regmap.rs"));

/// The Verilog header generated from `regmap.toml`; `rtl/gufc_regs.vh` must equal it.
pub const VERILOG_HEADER: &str = include_str!(concat!(env!("OUT_DIR"), "/gufc_regs.vh"));
/// The register reference generated from `regmap.toml`; `docs/registers.md` must equal it.
pub const REGISTERS_MD: &str = include_str!(concat!(env!("OUT_DIR"), "/registers.md"));

/// A register with a codec type in [`word`]: the type knows its offset, so a value can only be
/// read from and written to its own register.
pub trait Register: Copy + Into<u32> {
    /// The register's name in regmap.toml.
    const NAME: &'static str;
    /// Byte offset in BAR0.
    const OFFSET: u32;
    /// The value as read, unchecked (enumerated fields are checked by their getters).
    fn from_raw(raw: u32) -> Self;
}

/// A bit field of a 32-bit word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub lsb: u32,
    pub width: u32,
}

impl Field {
    pub const fn new(lsb: u32, width: u32) -> Self {
        Field { lsb, width }
    }
    pub const fn mask(self) -> u32 {
        if self.width >= 32 {
            u32::MAX
        } else {
            ((1u32 << self.width) - 1) << self.lsb
        }
    }
    pub const fn get(self, word: u32) -> u32 {
        (word & self.mask()) >> self.lsb
    }
    /// `word` with this field replaced by `value` (truncated to the field's width).
    pub const fn set(self, word: u32, value: u32) -> u32 {
        (word & !self.mask()) | ((value << self.lsb) & self.mask())
    }
    pub const fn put(self, value: u32) -> u32 {
        self.set(0, value)
    }
}

/// How software may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
    WriteOnly,
    /// A write executes a command.
    Command,
}

impl Access {
    pub fn readable(self) -> bool {
        matches!(self, Access::ReadOnly | Access::ReadWrite)
    }
    pub fn writable(self) -> bool {
        !matches!(self, Access::ReadOnly)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
            Access::WriteOnly => "wo",
            Access::Command => "cmd",
        }
    }
}

#[derive(Debug)]
pub struct FieldInfo {
    pub name: &'static str,
    pub field: Field,
    pub doc: &'static str,
}

/// One register (or register array) of BAR0.
#[derive(Debug)]
pub struct RegInfo {
    pub name: &'static str,
    pub offset: u32,
    pub count: u32,
    pub stride: u32,
    pub access: Access,
    pub doc: &'static str,
    pub fields: &'static [FieldInfo],
}

/// The register at byte offset `off`, with the array element number.
pub fn register_at(off: u32) -> Option<(&'static RegInfo, u32)> {
    REGISTERS.iter().find_map(|r| {
        let rel = off.checked_sub(r.offset)?;
        (rel % r.stride == 0 && rel / r.stride < r.count).then_some((r, rel / r.stride))
    })
}

/// Resolves `NAME` or `NAME[i]` (case-insensitive) to a byte offset.
pub fn register_named(name: &str) -> Option<(&'static RegInfo, u32)> {
    let (base, idx) = match name.split_once('[') {
        Some((b, rest)) => (b, rest.strip_suffix(']')?.parse::<u32>().ok()?),
        None => (name, 0),
    };
    let r = REGISTERS
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(base))?;
    (idx < r.count).then(|| (r, r.offset + idx * r.stride))
}
