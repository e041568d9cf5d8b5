//! Why a hardware word did not decode. Every codec in [`crate::word`] reports one of these
//! rather than falling back to a default, so a bad word is named where it is read.

/// A word that does not decode: which word, its raw value and what is wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The register or layout as regmap.toml names it, e.g. `PROBE_RESULT` or `ACTION`.
    pub register: &'static str,
    /// The whole word.
    pub raw: u32,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `field` holds `value`, which enum table `table` does not define.
    Unknown {
        /// The field's name in regmap.toml.
        field: &'static str,
        /// The enum table the field takes its values from.
        table: &'static str,
        /// The field's value.
        value: u32,
    },
    /// Bits that no field covers are set.
    Reserved {
        /// The reserved bits that are set, in place.
        bits: u32,
    },
    /// `field` holds `value`, which the rest of the word rules out.
    Invalid {
        /// The field's name in regmap.toml.
        field: &'static str,
        /// The field's value.
        value: u32,
        /// The rule the value breaks, for the message.
        why: &'static str,
    },
}

impl DecodeError {
    /// `field` of `raw` holds `value`, which enum table `table` does not define.
    pub const fn unknown(
        register: &'static str,
        raw: u32,
        field: &'static str,
        table: &'static str,
        value: u32,
    ) -> Self {
        DecodeError {
            register,
            raw,
            problem: Problem::Unknown {
                field,
                table,
                value,
            },
        }
    }

    /// `raw` has bits of `reserved` set.
    pub const fn reserved(register: &'static str, raw: u32, reserved: u32) -> Self {
        DecodeError {
            register,
            raw,
            problem: Problem::Reserved {
                bits: raw & reserved,
            },
        }
    }

    /// `field` of `raw` holds `value`, which the rest of the word rules out (`why`).
    pub const fn invalid(
        register: &'static str,
        raw: u32,
        field: &'static str,
        value: u32,
        why: &'static str,
    ) -> Self {
        DecodeError {
            register,
            raw,
            problem: Problem::Invalid { field, value, why },
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} word {:#010x}: ", self.register, self.raw)?;
        match self.problem {
            Problem::Unknown {
                field,
                table,
                value,
            } => write!(f, "{field} = {value} is not defined in [{table}]"),
            Problem::Reserved { bits } => write!(f, "reserved bits {bits:#x} are set"),
            Problem::Invalid { field, value, why } => write!(f, "{field} = {value}: {why}"),
        }
    }
}

impl std::error::Error for DecodeError {}
