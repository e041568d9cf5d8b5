//! Rules as people and benchmarks write them, and their compilation to TCAM entries.
//!
//! - [`text`]: the line-oriented rule format for people (`docs/rules.md`).
//! - [`classbench`]: ClassBench filter sets and traces.
//! - [`compile()`]: one [`TcamEntry`](gufc_regmap::TcamEntry) per rule, in hardware priority order.
//!
//! A [`Rule`] says what it matches in the 7-tuple's own terms (prefixes, port ranges, protocol
//! value/mask, locality); [`Rule::matches`] is the plain meaning that the compiled entries must
//! reproduce bit for bit.

#![forbid(unsafe_code)]

pub mod classbench;
mod compile;
mod error;
pub mod flags;
mod lex;
pub mod protocols;
pub mod ranges;
pub mod text;

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use gufc_regmap::{Action, Key};

pub use compile::{
    compile, compile_for, compile_rule, Compiled, EntrySource, RuleStage, MAX_RULES,
};
pub use error::{CompileError, ErrorKind, LoadError, RuleError, RuleErrors, Warning, WarningKind};
pub use flags::FlagsMatch;

/// Where a rule (or a token of it) was written. Lines and columns count from 1; columns count
/// characters. Displays as `file:line:column`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    /// The file name as given to the parser (shared by every location in the file).
    pub file: Arc<str>,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
}

impl Loc {
    /// `file:line:column`.
    pub fn new(file: impl Into<Arc<str>>, line: u32, column: u32) -> Loc {
        Loc {
            file: file.into(),
            line,
            column,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Address family of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4: each address in the lowest of its four key words, META.IPV6 = 0.
    V4,
    /// IPv6: each address over all four of its key words, META.IPV6 = 1.
    V6,
}

impl Family {
    /// Address width in bits.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// The text format's name: `ipv4` or `ipv6` (as in `family ipv6`).
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }
}

/// An address prefix with no bits set beyond its length (constructed only through [`Prefix::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prefix {
    addr: IpAddr,
    len: u8,
}

impl Prefix {
    /// `addr/len`; fails if `len` exceeds the address width or host bits are set.
    pub fn new(addr: IpAddr, len: u8) -> Result<Prefix, ErrorKind> {
        let fam = Family::of(&addr);
        if len > fam.bits() {
            return Err(ErrorKind::PrefixTooLong {
                len: len as u32,
                max: fam.bits(),
            });
        }
        let p = Prefix { addr, len };
        if p.bits() & !p.mask_bits() != 0 {
            let fixed = Prefix::truncated(addr, len);
            return Err(ErrorKind::HostBitsSet {
                given: format!("{addr}/{len}"),
                suggested: fixed.to_string(),
            });
        }
        Ok(p)
    }

    /// `addr/len` with the host bits cleared. Panics if `len` exceeds the address width.
    pub fn truncated(addr: IpAddr, len: u8) -> Prefix {
        let fam = Family::of(&addr);
        assert!(len <= fam.bits(), "prefix length {len} > {}", fam.bits());
        let mask = prefix_mask(fam, len);
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::from((u32::from(a) & mask as u32).to_be_bytes()),
            IpAddr::V6(a) => IpAddr::from((u128::from(a) & mask).to_be_bytes()),
        };
        Prefix { addr, len }
    }

    /// The network address (host bits clear).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits (0 matches every address of the family).
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// The address family, from the address.
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }

    /// The address as an integer in key layout (IPv4 in the low 32 bits).
    pub fn bits(&self) -> u128 {
        match self.addr {
            IpAddr::V4(a) => u32::from(a) as u128,
            IpAddr::V6(a) => u128::from(a),
        }
    }

    /// The network mask as an integer in key layout.
    pub fn mask_bits(&self) -> u128 {
        prefix_mask(self.family(), self.len)
    }

    /// Does the address `a` (key layout, of this prefix's family) lie in the prefix?
    pub fn contains_bits(&self, a: u128) -> bool {
        (a ^ self.bits()) & self.mask_bits() == 0
    }
}

fn prefix_mask(fam: Family, len: u8) -> u128 {
    let w = fam.bits() as u32;
    if len == 0 {
        0
    } else {
        let ones = u128::MAX >> (128 - w);
        (ones >> (w - len as u32)) << (w - len as u32)
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// Protocol match: `(proto & mask) == value`; mask 0 matches any protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProtoMatch {
    /// The protocol bits to compare; no bits outside `mask` ([`Rule::validate`]).
    pub value: u8,
    /// Which protocol bits are compared.
    pub mask: u8,
}

impl ProtoMatch {
    /// Matches every protocol.
    pub const ANY: ProtoMatch = ProtoMatch { value: 0, mask: 0 };

    /// Matches protocol `p` only.
    pub const fn exact(p: u8) -> ProtoMatch {
        ProtoMatch {
            value: p,
            mask: 0xFF,
        }
    }

    /// Does it match every protocol (mask 0)?
    pub fn is_any(&self) -> bool {
        self.mask == 0
    }

    /// Does protocol number `proto` match?
    pub fn matches(&self, proto: u8) -> bool {
        proto & self.mask == self.value & self.mask
    }
}

/// IP protocol names the text format accepts, with their numbers.
pub const PROTOCOL_NAMES: &[(&str, u8)] = &[
    ("icmp", 1),
    ("tcp", 6),
    ("udp", 17),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("icmpv6", 58),
    ("sctp", 132),
];

/// The number of a protocol name (case-insensitive).
pub fn protocol_number(name: &str) -> Option<u8> {
    PROTOCOL_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
}

/// The name of a protocol number, if the text format has one.
pub fn protocol_name(p: u8) -> Option<&'static str> {
    PROTOCOL_NAMES
        .iter()
        .find(|&&(_, v)| v == p)
        .map(|&(n, _)| n)
}

/// Inclusive port range `lo..=hi` (lo <= hi).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// Lowest port matched.
    pub lo: u16,
    /// Highest port matched (inclusive).
    pub hi: u16,
}

impl PortRange {
    /// Every port, `0..=65535`.
    pub const ANY: PortRange = PortRange {
        lo: 0,
        hi: u16::MAX,
    };

    /// Port `p` only.
    pub const fn single(p: u16) -> PortRange {
        PortRange { lo: p, hi: p }
    }

    /// Does it cover every port?
    pub fn is_any(&self) -> bool {
        *self == PortRange::ANY
    }

    /// Is port `p` in the range?
    pub fn contains(&self, p: u16) -> bool {
        (self.lo..=self.hi).contains(&p)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            write!(f, "any")
        } else if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}-{}", self.lo, self.hi)
        }
    }
}

/// One classification rule.
///
/// `family` is the rule's address family: implied by `src`/`dst` when either is a prefix, or
/// given on its own (`family ipv6`); `None` matches both families. [`compile()`] rejects a rule
/// whose prefixes disagree with each other or with `family`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// `None` = any source address.
    pub src: Option<Prefix>,
    /// `None` = any destination address.
    pub dst: Option<Prefix>,
    /// `None` = both families unless a prefix implies one ([`Rule::resolved_family`]).
    pub family: Option<Family>,
    /// `None` = either; `Some(b)` = the locality stage must have found the source local (b).
    pub src_local: Option<bool>,
    /// `None` = either; `Some(b)` = the locality stage must have found the destination local (b).
    pub dst_local: Option<bool>,
    /// The IP protocol (next header) match.
    pub proto: ProtoMatch,
    /// Source ports matched; compiled to the entry's native range compare.
    pub sport: PortRange,
    /// Destination ports matched; compiled to the entry's native range compare.
    pub dport: PortRange,
    /// TCP flags matched (only with `proto tcp`); RTL 2.0 only: [`compile()`] refuses it,
    /// [`compile_for`] with [`RuleStage::Rtl2`] puts it in the entry's `tcp_flags`.
    pub flags: FlagsMatch,
    /// Explicit priority: higher wins. Rules without one count as 0. Ties: earlier rule wins.
    pub prio: Option<u16>,
    /// What the device does with a packet this rule decides.
    pub action: Action,
    /// Where it was written; for ClassBench sets `loc.line` is the rule number the traces use.
    pub loc: Loc,
}

impl Rule {
    /// A rule that matches every packet.
    pub fn any(action: Action, loc: Loc) -> Rule {
        Rule {
            src: None,
            dst: None,
            family: None,
            src_local: None,
            dst_local: None,
            proto: ProtoMatch::ANY,
            sport: PortRange::ANY,
            dport: PortRange::ANY,
            flags: FlagsMatch::ANY,
            prio: None,
            action,
            loc,
        }
    }

    /// The priority used for ordering: the explicit one, else 0.
    pub fn effective_prio(&self) -> u16 {
        self.prio.unwrap_or(0)
    }

    /// The rule's meaning for a packet with this key (locality bits already computed), its TCP
    /// flags aside: the 7-tuple has none, so a flags match is not looked at here (see
    /// [`Rule::matches_with_flags`]).
    pub fn matches(&self, key: &Key) -> bool {
        let fam = if key.ipv6 { Family::V6 } else { Family::V4 };
        unset_or(self.family, |f| f == fam)
            && unset_or(self.src, |p| p.family() == fam && p.contains_bits(key.src))
            && unset_or(self.dst, |p| p.family() == fam && p.contains_bits(key.dst))
            && unset_or(self.src_local, |l| l == key.src_local)
            && unset_or(self.dst_local, |l| l == key.dst_local)
            && self.proto.matches(key.proto)
            && self.sport.contains(key.sport)
            && self.dport.contains(key.dport)
    }

    /// The whole meaning: the key matches and so do the packet's TCP flags `tcp_flags`
    /// (regmap.toml `[tcp_flags]` layout).
    pub fn matches_with_flags(&self, key: &Key, tcp_flags: u8) -> bool {
        self.matches(key) && self.flags.matches(tcp_flags)
    }

    /// Checks the invariants the text parser enforces, for rules built in code.
    pub fn validate(&self) -> Result<(), RuleError> {
        let err = |kind| {
            Err(RuleError {
                loc: self.loc.clone(),
                kind,
            })
        };
        let mut fam = self.family;
        for p in [self.src, self.dst].into_iter().flatten() {
            match fam {
                Some(f) if f != p.family() => return err(ErrorKind::MixedFamilies),
                _ => fam = Some(p.family()),
            }
        }
        for r in [self.sport, self.dport] {
            if r.lo > r.hi {
                return err(ErrorKind::InvertedRange {
                    lo: r.lo as u64,
                    hi: r.hi as u64,
                });
            }
        }
        if self.proto.value & !self.proto.mask != 0 {
            return err(ErrorKind::ProtoValueOutsideMask {
                value: self.proto.value,
                mask: self.proto.mask,
            });
        }
        if self.flags.value & !self.flags.mask != 0 {
            return err(ErrorKind::FlagsValueOutsideMask {
                value: self.flags.value,
                mask: self.flags.mask,
            });
        }
        if !self.flags.is_any() && !flags::is_tcp_only(self) {
            return err(ErrorKind::FlagsWithoutTcp);
        }
        if let Action::SlowPath { reason } = self.action {
            if !is_rule_reason(reason) {
                return err(ErrorKind::ReasonOutOfRange(reason as u64));
            }
        }
        Ok(())
    }

    /// The family the rule is restricted to: explicit, or implied by its prefixes.
    pub fn resolved_family(&self) -> Option<Family> {
        self.family
            .or(self.src.map(|p| p.family()))
            .or(self.dst.map(|p| p.family()))
    }
}

/// `None` means "don't care"; `Some(v)` must satisfy `f`.
fn unset_or<T>(o: Option<T>, f: impl FnOnce(T) -> bool) -> bool {
    match o {
        None => true,
        Some(v) => f(v),
    }
}

/// Slow-path reasons a rule may carry: the default
/// [`SlowReason::Rule`](gufc_regmap::SlowReason::Rule) or a rule's own reason in 16..=255
/// (0..=15 belong to the hardware).
pub fn is_rule_reason(r: u8) -> bool {
    r == gufc_regmap::SlowReason::Rule.bits() || r >= FIRST_RULE_REASON
}

/// The first slow-path reason rules may define for themselves.
pub const FIRST_RULE_REASON: u8 = 16;

/// Rules in file order, plus what the loader warned about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSet {
    /// `local PREFIX` lines: the host's own addresses, for the device's locality table (which
    /// sets the src-local/dst-local bits that rules may match). In file order.
    pub locals: Vec<LocalPrefix>,
    /// The rules, in file order (not decision order: see [`RuleSet::decision_order`]).
    pub rules: Vec<Rule>,
    /// What the loader accepted but changed, each with its first place.
    pub warnings: Vec<Warning>,
}

/// A `local PREFIX` line of a rule file: addresses under `prefix` are the host's own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalPrefix {
    /// The prefix, host bits clear.
    pub prefix: Prefix,
    /// Where the line was written.
    pub loc: Loc,
}

impl RuleSet {
    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// No rules at all (every packet misses).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rule indices in decision order: explicit priority descending, then file order.
    pub fn decision_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rules.len()).collect();
        // Stable sort keeps file order among equal priorities.
        order.sort_by_key(|&i| std::cmp::Reverse(self.rules[i].effective_prio()));
        order
    }

    /// The index of the rule that decides `key` (reference semantics, linear).
    pub fn first_match(&self, key: &Key) -> Option<usize> {
        self.decision_order()
            .into_iter()
            .find(|&i| self.rules[i].matches(key))
    }

    /// [`RuleSet::first_match`] for a packet with TCP flags `tcp_flags`, honouring the rules'
    /// flags matches.
    pub fn first_match_with_flags(&self, key: &Key, tcp_flags: u8) -> Option<usize> {
        self.decision_order()
            .into_iter()
            .find(|&i| self.rules[i].matches_with_flags(key, tcp_flags))
    }

    /// How many rules match TCP flags.
    pub fn flagged(&self) -> usize {
        self.rules.iter().filter(|r| !r.flags.is_any()).count()
    }

    /// The set with every flags match dropped, and a warning naming how many and the first:
    /// what an RTL 1.x device can hold of a ClassBench set. The rules then match more packets.
    pub fn without_flags(&self) -> (RuleSet, Option<Warning>) {
        let first = self.rules.iter().find(|r| !r.flags.is_any());
        let warning = first.map(|r| Warning {
            loc: r.loc.clone(),
            kind: WarningKind::TcpFlagsIgnored {
                rules: self.flagged(),
            },
        });
        let mut set = self.clone();
        for r in &mut set.rules {
            r.flags = FlagsMatch::ANY;
        }
        (set, warning)
    }

    /// The whole set in the text format (`local` lines first, then one canonical line per rule).
    pub fn to_text(&self) -> String {
        let locals = self.locals.iter().map(|l| format!("local {}\n", l.prefix));
        locals
            .chain(self.rules.iter().map(|r| format!("{r}\n")))
            .collect()
    }

    /// Reads a rule file, choosing the format by [`Format::detect`].
    pub fn load(path: &Path) -> Result<RuleSet, LoadError> {
        read(path, None, classbench::Options::default()).map(|(set, _)| set)
    }
}

/// Reads and parses a rule file (`format` `None`: [`Format::detect`]); with the format used.
fn read(
    path: &Path,
    format: Option<Format>,
    opts: classbench::Options,
) -> Result<(RuleSet, Format), LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let name = path.display().to_string();
    let format = format.unwrap_or_else(|| Format::detect(&text));
    let set = match format {
        Format::Text => text::parse(&name, &text)?,
        Format::ClassBench => classbench::parse(&name, &text, opts)?,
    };
    Ok((set, format))
}

/// A rule file, parsed and compiled: what a device is loaded with.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The rules as written (with their warnings).
    pub set: RuleSet,
    /// Their TCAM entries.
    pub compiled: Compiled,
}

/// Reads, parses and compiles a rule file for an RTL 1.x device. `format` `None` detects it;
/// `strict` refuses ClassBench constraints the hardware cannot express instead of warning.
///
/// A 1.x device matches no TCP flags: a text rule with `flags` is refused at its line, and so
/// is a flagged ClassBench rule under `strict`; otherwise a ClassBench set's flags are dropped
/// with a [`WarningKind::TcpFlagsIgnored`] warning for the entries. `set` keeps the flags; an RTL
/// 2.0 device loads with [`load_file_for`].
pub fn load_file(path: &Path, format: Option<Format>, strict: bool) -> Result<Loaded, LoadError> {
    load_file_for(path, format, strict, RuleStage::Rtl1)
}

/// [`load_file`] for `stage`: on [`RuleStage::Rtl2`] the flags are compiled into the entries
/// (a flag bit above its `flag_bits` refused at its rule, ClassBench or text alike).
pub fn load_file_for(
    path: &Path,
    format: Option<Format>,
    strict: bool,
    stage: RuleStage,
) -> Result<Loaded, LoadError> {
    let opts = LoadOptions {
        strict,
        drop_unmatchable_flags: false,
    };
    load_file_with(path, format, opts, stage)
}

/// How [`load_file_with`] treats what the rule stage cannot match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Refuse ClassBench constraints the stage cannot express instead of dropping them with a
    /// warning (`--strict`).
    pub strict: bool,
    /// Clear TCP-flag bits the stage cannot match (ECE, CWR above RTL 2.0's 6 flag bits; every
    /// flag on 1.x) from each rule's value and mask, with a warning per rule and one counting
    /// them (`--drop-unmatchable-flags`). Without it such a rule is refused at its place: a
    /// dropped flag bit silently widens the match.
    pub drop_unmatchable_flags: bool,
}

/// [`load_file_for`] with [`LoadOptions`]. A ClassBench flags column keeps its whole TCP-flags
/// byte here: what the stage cannot match is refused at its rule or, opted in, cleared.
pub fn load_file_with(
    path: &Path,
    format: Option<Format>,
    opts: LoadOptions,
    stage: RuleStage,
) -> Result<Loaded, LoadError> {
    let cb = classbench::Options {
        strict: opts.strict,
        flag_bits: 8,
    };
    let (mut set, format) = read(path, format, cb)?;
    if opts.drop_unmatchable_flags {
        let flag_bits = match stage {
            RuleStage::Rtl1 => 0,
            RuleStage::Rtl2 { flag_bits } => flag_bits,
        };
        let cleared = flags::clear_unmatchable(&mut set, flag_bits);
        set.warnings.extend(cleared);
    }
    let compiled = if stage != RuleStage::Rtl1 {
        compile_for(&set, stage)
    } else if format == Format::ClassBench && !opts.strict && set.flagged() > 0 {
        let (plain, warning) = set.without_flags();
        set.warnings.extend(warning);
        compile(&plain)
    } else {
        compile(&set)
    }
    .map_err(RuleErrors::from)?;
    Ok(Loaded { set, compiled })
}

/// Rule file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The people's format of `docs/rules.md`.
    Text,
    /// ClassBench filter sets (lines starting with `@`).
    ClassBench,
}

impl Format {
    /// ClassBench if the first line that is neither blank nor a `#` comment starts with `@`.
    pub fn detect(text: &str) -> Format {
        let first = text
            .lines()
            .map(str::trim_start)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        match first {
            Some(l) if l.starts_with('@') => Format::ClassBench,
            _ => Format::Text,
        }
    }
}

/// The text format's canonical line for the rule (without its location).
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            Action::Deliver { channel } => write!(f, "channel {channel}")?,
            Action::Drop => write!(f, "drop")?,
            Action::SlowPath { reason } if reason == gufc_regmap::SlowReason::Rule.bits() => {
                write!(f, "slowpath")?
            }
            Action::SlowPath { reason } => write!(f, "slowpath reason {reason}")?,
        }
        if let Some(fam) = self.family {
            if self.src.is_none() && self.dst.is_none() {
                write!(f, " family {}", fam.name())?;
            }
        }
        if let Some(p) = self.src {
            write!(f, " src {p}")?;
        }
        if let Some(p) = self.dst {
            write!(f, " dst {p}")?;
        }
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        if let Some(l) = self.src_local {
            write!(f, " src-local {}", yes_no(l))?;
        }
        if let Some(l) = self.dst_local {
            write!(f, " dst-local {}", yes_no(l))?;
        }
        if !self.proto.is_any() {
            match (self.proto.mask, protocol_name(self.proto.value)) {
                (0xFF, Some(name)) => write!(f, " proto {name}")?,
                (0xFF, None) => write!(f, " proto {}", self.proto.value)?,
                (m, _) => write!(f, " proto {:#04x}/{:#04x}", self.proto.value, m)?,
            }
        }
        if !self.sport.is_any() {
            write!(f, " sport {}", self.sport)?;
        }
        if !self.dport.is_any() {
            write!(f, " dport {}", self.dport)?;
        }
        if !self.flags.is_any() {
            write!(f, " flags {}", self.flags)?;
        }
        if let Some(p) = self.prio {
            write!(f, " prio {p}")?;
        }
        Ok(())
    }
}
