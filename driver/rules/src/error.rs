//! What can be wrong with a rule, always tied to the place it was written.

use std::fmt;

use super::Loc;

/// What is wrong. The message never repeats the location; [`RuleError`] adds it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// A word in keyword position that the text format does not know.
    #[error("unknown keyword `{word}`; expected {expected}")]
    UnknownKeyword {
        /// The word as written.
        word: String,
        /// The keywords that may stand there, for the message.
        expected: &'static str,
    },
    /// A keyword at the end of the line, without the value it takes.
    #[error("`{keyword}` needs a value: {expected}")]
    MissingValue {
        /// The keyword as written.
        keyword: String,
        /// What its value looks like, for the message.
        expected: &'static str,
    },
    /// A token that is not what its position requires.
    #[error("expected {expected}, found `{found}`")]
    Expected {
        /// What the position requires, for the message.
        expected: &'static str,
        /// The token as written.
        found: String,
    },
    /// Neither an IPv4/IPv6 address nor `address/length`.
    #[error("malformed address or CIDR `{0}`")]
    BadAddress(String),
    /// A prefix length beyond the address width.
    #[error("prefix length {len} is too long: at most {max} for this address family")]
    PrefixTooLong {
        /// The length as written.
        len: u32,
        /// The address width: 32 for IPv4, 128 for IPv6.
        max: u8,
    },
    /// A prefix with address bits set below its length (`10.0.0.1/8`); refused rather than
    /// silently truncated, since it is usually a typo.
    #[error("`{given}` has bits set beyond its prefix length; did you mean `{suggested}`?")]
    HostBitsSet {
        /// The prefix as written.
        given: String,
        /// The same prefix with the host bits cleared.
        suggested: String,
    },
    /// A range `lo-hi` with `lo > hi`.
    #[error("inverted range {lo}-{hi}: the low end is above the high end")]
    InvertedRange {
        /// The low end as written.
        lo: u64,
        /// The high end as written.
        hi: u64,
    },
    /// A port number above 65535.
    #[error("port {0} is out of range 0..=65535")]
    PortOutOfRange(u64),
    /// The rule's prefixes and its `family` name different address families.
    #[error("rule mixes IPv4 and IPv6: its addresses and `family` must agree")]
    MixedFamilies,
    /// A `channel` number above 255 (the action word's channel field is 8 bits).
    #[error("channel {0} is out of range 0..=255")]
    ChannelOutOfRange(u64),
    /// A slow-path reason the hardware owns (0..=15 except the default) or above 255.
    #[error(
        "slow-path reason {0} is out of range: rules use 16..=255 (0..=15 belong to the hardware; \
         without `reason` a rule reports the default, 2)"
    )]
    ReasonOutOfRange(u64),
    /// A `prio` above 65535.
    #[error("priority {0} is out of range 0..=65535")]
    PrioOutOfRange(u64),
    /// A protocol that is neither a number 0..=255 nor a known name ([`PROTOCOL_NAMES`]).
    ///
    /// [`PROTOCOL_NAMES`]: crate::PROTOCOL_NAMES
    #[error("unknown protocol `{0}`; use a number 0..=255 or one of tcp, udp, icmp, icmpv6, sctp, gre, esp, ah")]
    UnknownProtocol(String),
    /// A protocol `value/mask` whose value has bits the mask ignores.
    #[error("protocol value {value:#04x} has bits outside its mask {mask:#04x}")]
    ProtoValueOutsideMask {
        /// The protocol value.
        value: u8,
        /// The protocol mask.
        mask: u8,
    },
    /// A match keyword given twice in one rule.
    #[error("duplicate `{keyword}` (first given at column {first_column})")]
    DuplicateKeyword {
        /// The keyword as written.
        keyword: String,
        /// Column of its first occurrence.
        first_column: u32,
    },
    /// A second action (`channel`, `drop`, `slowpath`) in one rule.
    #[error("a rule has one action; another was given at column {first_column}")]
    DuplicateAction {
        /// Column of the first action.
        first_column: u32,
    },
    /// A rule without `channel N`, `drop` or `slowpath`.
    #[error("missing action: a rule needs `channel N`, `drop` or `slowpath [reason N]`")]
    MissingAction,
    /// A ClassBench filter or trace line with the wrong number of fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// The field counts allowed, for the message.
        expected: &'static str,
        /// The fields the line has.
        found: usize,
    },
    /// A `flags` word that is neither flag names (FIN SYN RST PSH ACK URG ECE CWR, `none`) nor
    /// a `0x` byte.
    #[error(
        "unknown TCP flag `{0}`; use FIN, SYN, RST, PSH, ACK, URG, ECE, CWR (comma-separated), \
         none, or a 0x byte, as VALUE/MASK"
    )]
    UnknownFlag(String),
    /// A flags `value/mask` whose value has flags the mask ignores.
    #[error("TCP flags value {value:#04x} has bits outside its mask {mask:#04x}")]
    FlagsValueOutsideMask {
        /// The flags value.
        value: u8,
        /// The flags mask.
        mask: u8,
    },
    /// A `flags` match on a rule that does not say `proto tcp`.
    #[error("`flags` matches TCP flags: the rule needs `proto tcp`")]
    FlagsWithoutTcp,
    /// A rule with flags given to the RTL 1.x compiler, whose TCAM key has no flags.
    #[error("TCP-flag matches need an RTL 2.0 device: the RTL 1.x TCAM key has no TCP flags")]
    FlagsNeedRtl2,
    /// Flags above the `CAP_RULES.FLAG_BITS` bits an RTL 2.0 rule stage matches.
    #[error(
        "TCP flags {flags} cannot be matched: the rule stage matches the low {flag_bits} flag bits \
         (--drop-unmatchable-flags clears them, and the rule then matches more packets)"
    )]
    FlagBitsUnmatchable {
        /// The unmatchable flags, by name.
        flags: String,
        /// `CAP_RULES.FLAG_BITS`.
        flag_bits: u8,
    },
    /// Under [`Options::strict`](crate::classbench::Options::strict): a ClassBench flags
    /// column gufc cannot match exactly (see [`WarningKind::FlagsDropped`]).
    #[error("ClassBench flags {value:#06x}/{mask:#06x} cannot be matched: {why} (strict mode refuses to drop it)")]
    ClassBenchFlags {
        /// The flags value.
        value: u16,
        /// The flags mask.
        mask: u16,
        /// What cannot be matched.
        why: String,
    },
    /// More rules than the hardware priorities can order ([`MAX_RULES`](crate::MAX_RULES));
    /// reported at the first rule that does not fit.
    #[error("too many rules: {count}; at most {max} fit the 16-bit hardware priority")]
    TooManyRules {
        /// Rules in the set.
        count: usize,
        /// [`MAX_RULES`](crate::MAX_RULES).
        max: usize,
    },
}

/// One error at one place: displays as `file:line:column: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {kind}")]
pub struct RuleError {
    /// Where the offending rule or token was written.
    pub loc: Loc,
    /// What is wrong there.
    pub kind: ErrorKind,
}

/// The compiler's error: the rule (its location) and what it can't express.
pub type CompileError = RuleError;

/// Every error found in a file (at most one per line), in line order; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl RuleErrors {
    /// The error on the earliest line.
    pub fn first(&self) -> &RuleError {
        &self.0[0]
    }

    /// The errors in line order.
    pub fn iter(&self) -> std::slice::Iter<'_, RuleError> {
        self.0.iter()
    }

    /// How many lines are wrong.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false for errors a parser returns; present for `len`'s sake.
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
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file, as given.
        path: String,
        /// Why reading it failed.
        source: std::io::Error,
    },
    /// The file was read but its rules are wrong, or they do not compile.
    #[error("{0}")]
    Rules(#[from] RuleErrors),
}

/// Something the loader accepted but changed or could not keep.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WarningKind {
    /// A ClassBench set's TCP-flag matches were dropped for an RTL 1.x device (not under
    /// strict mode).
    #[error(
        "{rules} rule(s) match TCP flags, which an RTL 1.x device cannot; the flags were dropped \
         for it, so they match more packets (first one here; --strict refuses)"
    )]
    TcpFlagsIgnored {
        /// How many rules lost their flags match.
        rules: usize,
    },
    /// Parts of ClassBench flags columns no gufc device matches were dropped (not under
    /// strict mode): a constrained flags column on a rule that is not TCP-only (ICMP sets use
    /// it for the ICMP type), the column's low byte, or flag bits above the RTL 2.0 default
    /// `FLAG_BITS` (ECE, CWR).
    #[error(
        "{rules} rule(s) constrain ClassBench flags bits gufc cannot match ({what}); those bits \
         were dropped, so they match more packets (first one here)"
    )]
    FlagsDropped {
        /// How many rules lost flags bits.
        rules: usize,
        /// What was dropped, over all those rules.
        what: String,
    },
    /// `--drop-unmatchable-flags` ([`LoadOptions::drop_unmatchable_flags`](crate::LoadOptions))
    /// cleared flag bits the rule stage cannot match from this rule's value and mask.
    #[error(
        "TCP flags {flags} cleared from this rule's flags match (--drop-unmatchable-flags): the \
         rule stage matches the low {flag_bits} flag bits, so the rule matches more packets"
    )]
    FlagsCleared {
        /// The cleared flags, by name.
        flags: String,
        /// Flag bits the stage matches (0 on RTL 1.x).
        flag_bits: u8,
    },
    /// The count of [`WarningKind::FlagsCleared`] warnings of one load, at the first one.
    #[error(
        "--drop-unmatchable-flags cleared TCP flags {flags} from {rules} rule(s) (first one here)"
    )]
    FlagsClearedTotal {
        /// Rules that lost flag bits.
        rules: usize,
        /// Every flag cleared, by name.
        flags: String,
    },
}

/// A warning with the place of its first occurrence: `file:line:column: warning: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: warning: {kind}")]
pub struct Warning {
    /// The first rule the warning applies to.
    pub loc: Loc,
    /// What was changed or dropped.
    pub kind: WarningKind,
}
