//! What can be wrong with a rule, always tied to the place it was written.

use std::fmt;

use super::Loc;

/// What is wrong. The message never repeats the location; [`RuleError`] adds it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("unknown keyword `{word}`; expected {expected}")]
    UnknownKeyword {
        word: String,
        expected: &'static str,
    },
    #[error("`{keyword}` needs a value: {expected}")]
    MissingValue {
        keyword: String,
        expected: &'static str,
    },
    #[error("expected {expected}, found `{found}`")]
    Expected {
        expected: &'static str,
        found: String,
    },
    #[error("malformed address or CIDR `{0}`")]
    BadAddress(String),
    #[error("prefix length {len} is too long: at most {max} for this address family")]
    PrefixTooLong { len: u32, max: u8 },
    #[error("`{given}` has bits set beyond its prefix length; did you mean `{suggested}`?")]
    HostBitsSet { given: String, suggested: String },
    #[error("inverted range {lo}-{hi}: the low end is above the high end")]
    InvertedRange { lo: u64, hi: u64 },
    #[error("port {0} is out of range 0..=65535")]
    PortOutOfRange(u64),
    #[error("rule mixes IPv4 and IPv6: its addresses and `family` must agree")]
    MixedFamilies,
    #[error("channel {0} is out of range 0..=255")]
    ChannelOutOfRange(u64),
    #[error(
        "slow-path reason {0} is out of range: rules use 16..=255 (0..=15 belong to the hardware; \
         without `reason` a rule reports the default, 2)"
    )]
    ReasonOutOfRange(u64),
    #[error("priority {0} is out of range 0..=65535")]
    PrioOutOfRange(u64),
    #[error("unknown protocol `{0}`; use a number 0..=255 or one of tcp, udp, icmp, icmpv6, sctp, gre, esp, ah")]
    UnknownProtocol(String),
    #[error("protocol value {value:#04x} has bits outside its mask {mask:#04x}")]
    ProtoValueOutsideMask { value: u8, mask: u8 },
    #[error("duplicate `{keyword}` (first given at column {first_column})")]
    DuplicateKeyword { keyword: String, first_column: u32 },
    #[error("a rule has one action; another was given at column {first_column}")]
    DuplicateAction { first_column: u32 },
    #[error("missing action: a rule needs `channel N`, `drop` or `slowpath [reason N]`")]
    MissingAction,
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        expected: &'static str,
        found: usize,
    },
    #[error(
        "TCP flags {value:#06x}/{mask:#06x} cannot be matched: the 7-tuple has no flags \
         (strict mode refuses to drop the constraint)"
    )]
    TcpFlagsConstraint { value: u16, mask: u16 },
    #[error("too many rules: {count}; at most {max} fit the 16-bit hardware priority")]
    TooManyRules { count: usize, max: usize },
}

/// One error at one place: displays as `file:line:column: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {kind}")]
pub struct RuleError {
    pub loc: Loc,
    pub kind: ErrorKind,
}

/// The compiler's error: the rule (its location) and what it can't express.
pub type CompileError = RuleError;

/// Every error found in a file (at most one per line), in line order; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl RuleErrors {
    pub fn first(&self) -> &RuleError {
        &self.0[0]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, RuleError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}

impl From<RuleError> for RuleErrors {
    fn from(e: RuleError) -> Self {
        RuleErrors(vec![e])
    }
}

/// Reading a rule file failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Rules(#[from] RuleErrors),
}

/// Something the loader accepted but changed or could not keep.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WarningKind {
    #[error(
        "{rules} rule(s) constrain TCP flags, which the 7-tuple does not carry; the constraint \
         was dropped, so they match more packets (first one here)"
    )]
    TcpFlagsIgnored { rules: usize },
}

/// A warning with the place of its first occurrence: `file:line:column: warning: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: warning: {kind}")]
pub struct Warning {
    pub loc: Loc,
    pub kind: WarningKind,
}
