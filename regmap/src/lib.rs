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
pub use pins::{CycleIn, CycleOut, KeyIn, LookupResult, Mmio, ResPorts};

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
    /// Bit position of the field's least significant bit.
    pub lsb: u32,
    /// Width in bits, 1 to 32.
    pub width: u32,
}

impl Field {
    /// The field of `width` bits from bit `lsb` up.
    pub const fn new(lsb: u32, width: u32) -> Self {
        Field { lsb, width }
    }
    /// The field's bits, in place.
    pub const fn mask(self) -> u32 {
        if self.width >= 32 {
            u32::MAX
        } else {
            ((1u32 << self.width) - 1) << self.lsb
        }
    }
    /// The field's value in `word`, shifted down.
    pub const fn get(self, word: u32) -> u32 {
        (word & self.mask()) >> self.lsb
    }
    /// `word` with this field replaced by `value` (truncated to the field's width).
    pub const fn set(self, word: u32, value: u32) -> u32 {
        (word & !self.mask()) | ((value << self.lsb) & self.mask())
    }
    /// A word with only this field set, to `value` (truncated to the field's width).
    pub const fn put(self, value: u32) -> u32 {
        self.set(0, value)
    }
}

/// How software may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `ro`: writes are rejected with BAD_OFFSET.
    ReadOnly,
    /// `rw`: readable and writable (a write may have side effects, as on ERROR).
    ReadWrite,
    /// `wo`: reads return 0.
    WriteOnly,
    /// A write executes a command.
    Command,
}

impl Access {
    /// A read returns the register's contents (not 0).
    pub fn readable(self) -> bool {
        matches!(self, Access::ReadOnly | Access::ReadWrite)
    }
    /// Software may write it.
    pub fn writable(self) -> bool {
        !matches!(self, Access::ReadOnly)
    }
    /// The access as regmap.toml spells it: `ro`, `rw`, `wo` or `cmd`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
            Access::WriteOnly => "wo",
            Access::Command => "cmd",
        }
    }
}

/// One field of a register, for dumps.
#[derive(Debug)]
pub struct FieldInfo {
    /// Name in regmap.toml.
    pub name: &'static str,
    /// Its bits.
    pub field: Field,
    /// Description in regmap.toml (may be empty).
    pub doc: &'static str,
}

/// One register (or register array) of BAR0.
#[derive(Debug)]
pub struct RegInfo {
    /// Name in regmap.toml, e.g. `CAP_TCAM`.
    pub name: &'static str,
    /// Byte offset in BAR0 of the (first) element.
    pub offset: u32,
    /// Elements: 1 for a plain register.
    pub count: u32,
    /// Bytes from one element to the next.
    pub stride: u32,
    /// How software may access it.
    pub access: Access,
    /// Description in regmap.toml.
    pub doc: &'static str,
    /// Its fields, in bit order; empty for a whole-word register.
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
