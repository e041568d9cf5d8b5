//! ClassBench filter sets and traces (format notes: `tests/data/classbench/README.md`).
//!
//! A filter line is `@src/len dst/len splo : sphi dplo : dphi 0xPP/0xMM`, optionally followed
//! by the raw `db_generator`'s flags token `0xVVVV/0xMMMM`; tokens split on any whitespace.
//! On TCP rules the token's high byte is the TCP flags byte ([`flags::from_classbench`]); the
//! rule keeps it as its [`FlagsMatch`](crate::FlagsMatch).
//! The prefixes are IPv4, or IPv6 as ClassBench-ng's `generate v6` writes them (its patched
//! `db_generator` prints the same columns with RFC 5952 IPv6 text); one family per line.
//! Line i beats every line j > i. ClassBench has no locality, so both local bits are wildcards,
//! and the action is irrelevant: every rule delivers to channel 0 and is identified by its
//! `loc.line` (the rule number the traces use).

use super::lex::{tokens, Tok};
use std::sync::Arc;

use gufc_regmap::{Action, Key};

use super::text::parse_cidr;
use super::{
    flags, ErrorKind, FlagsMatch, Loc, PortRange, Prefix, ProtoMatch, Rule, RuleError, RuleErrors,
    RuleSet, Warning, WarningKind,
};

/// How to treat what gufc cannot match of a flags column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// A flags column gufc cannot match exactly is an error instead of a warning.
    pub strict: bool,
    /// Flag bits the target rule stage matches (`CAP_RULES.FLAG_BITS`); bits above are
    /// dropped with a warning (or refused under `strict`).
    pub flag_bits: u8,
}

impl Options {
    /// `strict` at the default [`flags::FLAG_BITS`].
    pub const fn new(strict: bool) -> Options {
        Options {
            strict,
            flag_bits: flags::FLAG_BITS,
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new(false)
    }
}

/// The column just past the last token (where a missing one would go).
fn end_col(line: &str) -> u32 {
    line.trim_end().chars().count() as u32 + 1
}

type LineError = (u32, ErrorKind);

/// Parses a filter set. Blank lines are skipped (but still count as lines).
pub fn parse(file: &str, text: &str, opts: Options) -> Result<RuleSet, RuleErrors> {
    let file: Arc<str> = file.into();
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut dropped = Dropped::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let at = |col: u32| Loc {
            file: file.clone(),
            line: line_no,
            column: col,
        };
        let toks = tokens(line, None);
        if toks.is_empty() {
            continue;
        }
        match filter(line, &toks) {
            Ok((mut rule, flags)) => {
                rule.loc = at(toks[0].col);
                if let Some((value, mask, col)) = flags.filter(|f| f.1 != 0) {
                    let (kept, lost) = import_flags(&rule, value, mask, opts.flag_bits);
                    rule.flags = kept;
                    if let Some(why) = lost.describe() {
                        if opts.strict {
                            errors.push(RuleError {
                                loc: at(col),
                                kind: ErrorKind::ClassBenchFlags { value, mask, why },
                            });
                            continue;
                        }
                        dropped.add(lost, || at(col));
                    }
                }
                rules.push(rule);
            }
            Err((col, kind)) => errors.push(RuleError { loc: at(col), kind }),
        }
    }
    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    let warnings = dropped.warning().into_iter().collect();
    Ok(RuleSet {
        rules,
        locals: Vec::new(),
        warnings,
    })
}

/// A raw line's TCP-flags token: value, mask and its column.
type Flags = (u16, u16, u32);

/// What of one or more flags columns gufc cannot match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Lost {
    /// A constrained column on a rule that is not TCP-only: dropped whole.
    not_tcp: bool,
    /// Constrained bits of the column's low byte.
    low: u16,
    /// Constrained TCP flags above the rule stage's flag bits.
    over: u8,
}

impl Lost {
    /// What was lost, for messages; `None` when nothing was.
    fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.not_tcp {
            parts.push("flags on a rule that is not TCP-only".to_string());
        }
        if self.low != 0 {
            parts.push(format!("low-byte bits {:#06x}", self.low));
        }
        if self.over != 0 {
            parts.push(format!(
                "TCP flags {} above the matchable bits",
                flags::names(self.over)
            ));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// The rule's flags match from a column `value/mask`, and what of it cannot be matched.
fn import_flags(rule: &Rule, value: u16, mask: u16, flag_bits: u8) -> (FlagsMatch, Lost) {
    if !flags::is_tcp_only(rule) {
        let lost = Lost {
            not_tcp: true,
            ..Lost::default()
        };
        return (FlagsMatch::ANY, lost);
    }
    let (f, low) = flags::from_classbench(value, mask);
    let keep = flags::low_bits(flag_bits);
    let kept = FlagsMatch {
        value: f.value & keep,
        mask: f.mask & keep,
    };
    let lost = Lost {
        not_tcp: false,
        low,
        over: f.mask & !keep,
    };
    (kept, lost)
}

/// Flags columns dropped (in part) over a set, for its one warning.
#[derive(Default)]
struct Dropped {
    rules: usize,
    all: Lost,
    first: Option<Loc>,
}

impl Dropped {
    fn add(&mut self, lost: Lost, at: impl FnOnce() -> Loc) {
        self.rules += 1;
        self.all.not_tcp |= lost.not_tcp;
        self.all.low |= lost.low;
        self.all.over |= lost.over;
        self.first.get_or_insert_with(at);
    }

    fn warning(self) -> Option<Warning> {
        let what = self.all.describe()?;
        Some(Warning {
            loc: self.first?,
            kind: WarningKind::FlagsDropped {
                rules: self.rules,
                what,
            },
        })
    }
}

/// One filter line: the rule and its flags token if present.
fn filter(line: &str, t: &[Tok<'_>]) -> Result<(Rule, Option<Flags>), LineError> {
    const FIELDS: &str = "9 (or 10 with TCP flags)";
    if t.len() > 10 {
        return Err((
            t[10].col,
            ErrorKind::FieldCount {
                expected: FIELDS,
                found: t.len(),
            },
        ));
    }
    if t.len() < 9 {
        return Err((
            end_col(line),
            ErrorKind::FieldCount {
                expected: FIELDS,
                found: t.len(),
            },
        ));
    }
    let src_text = t[0].s.strip_prefix('@').ok_or((
        t[0].col,
        ErrorKind::Expected {
            expected: "`@` and the source prefix",
            found: t[0].s.into(),
        },
    ))?;
    let src = prefix(src_text, t[0])?;
    let dst = prefix(t[1].s, t[1])?;
    // ClassBench-ng's IPv6 sets are the same format with IPv6 prefixes; a line holds one family.
    if dst.family() != src.family() {
        return Err((t[1].col, ErrorKind::MixedFamilies));
    }
    let sport = range(t[2], t[3], t[4])?;
    let dport = range(t[5], t[6], t[7])?;
    let (value, mask) = hex_pair(t[8], 0xFF, "a protocol 0xPP/0xMM")?;
    // ClassBench compares `proto & mask == value & mask`: bits outside the mask mean nothing.
    let proto = ProtoMatch {
        value: (value & mask) as u8,
        mask: mask as u8,
    };
    let flags = match t.get(9) {
        Some(&f) => {
            let (v, m) = hex_pair(f, 0xFFFF, "TCP flags 0xVVVV/0xMMMM")?;
            Some((v as u16, m as u16, f.col))
        }
        None => None,
    };
    let rule = Rule {
        src: Some(src),
        dst: Some(dst),
        family: Some(src.family()),
        src_local: None,
        dst_local: None,
        proto,
        sport,
        dport,
        flags: FlagsMatch::ANY,
        prio: None,
        action: Action::Deliver { channel: 0 },
        loc: Loc::new("", 0, 0),
    };
    Ok((rule, flags))
}

fn prefix(s: &str, t: Tok<'_>) -> Result<Prefix, LineError> {
    parse_cidr(s).map_err(|k| (t.col, k))
}

fn port(t: Tok<'_>) -> Result<u64, LineError> {
    let n = decimal(t.s).ok_or((
        t.col,
        ErrorKind::Expected {
            expected: "a port 0..=65535",
            found: t.s.into(),
        },
    ))?;
    if n > u16::MAX as u64 {
        return Err((t.col, ErrorKind::PortOutOfRange(n)));
    }
    Ok(n)
}

/// `lo : hi`; an inverted range is reported at `lo`.
fn range(lo: Tok<'_>, colon: Tok<'_>, hi: Tok<'_>) -> Result<PortRange, LineError> {
    let l = port(lo)?;
    if colon.s != ":" {
        return Err((
            colon.col,
            ErrorKind::Expected {
                expected: "`:` between the ends of a port range",
                found: colon.s.into(),
            },
        ));
    }
    let h = port(hi)?;
    if l > h {
        return Err((lo.col, ErrorKind::InvertedRange { lo: l, hi: h }));
    }
    Ok(PortRange {
        lo: l as u16,
        hi: h as u16,
    })
}

/// `0xV/0xM` with both at most `max`.
fn hex_pair(t: Tok<'_>, max: u32, expected: &'static str) -> Result<(u32, u32), LineError> {
    let bad = || {
        (
            t.col,
            ErrorKind::Expected {
                expected,
                found: t.s.into(),
            },
        )
    };
    let hex = |s: &str| {
        let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
        if h.is_empty() || h.len() > 8 || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok().filter(|&v| v <= max)
    };
    let (v, m) = t.s.split_once('/').ok_or_else(bad)?;
    Ok((hex(v).ok_or_else(bad)?, hex(m).ok_or_else(bad)?))
}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// One trace header, with the rule number expected to decide it when the trace gives one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    /// An IPv4 key, locality bits clear.
    pub key: Key,
    /// The 1-based line number of the first rule, in file order, that matches.
    pub expected: Option<u32>,
    /// A raw `trace_generator` line's flags column (7 columns: `src dst sport dport proto
    /// flags filter`); [`trace_tcp_flags`] gives the packet's TCP flags byte.
    pub flags: Option<u32>,
    /// Where the trace line was written.
    pub loc: Loc,
}

/// What a trace line must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceColumns {
    /// `src dst sport dport proto` and any further columns, which are ignored (`gufc classify`).
    Headers,
    /// Exactly `src dst sport dport proto rule`: a labelled trace. Raw `trace_generator` output
    /// (7 columns, labelled with a 0-based *generating* filter, not the first match) is refused.
    Labelled,
}

/// Parses a trace, all columns unsigned decimal with host-order IPv4 addresses. Blank lines
/// are skipped; every bad line is reported.
pub fn parse_trace(
    file: &str,
    text: &str,
    columns: TraceColumns,
) -> Result<Vec<TraceEntry>, RuleErrors> {
    let file: Arc<str> = file.into();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let at = |col: u32| Loc {
            file: file.clone(),
            line: line_no,
            column: col,
        };
        let toks = tokens(line, None);
        if toks.is_empty() {
            continue;
        }
        match header(line, &toks, columns) {
            Ok((key, expected, flags)) => out.push(TraceEntry {
                key,
                expected,
                flags,
                loc: at(toks[0].col),
            }),
            Err((col, kind)) => errors.push(RuleError { loc: at(col), kind }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(RuleErrors(errors))
    }
}

fn header(
    line: &str,
    t: &[Tok<'_>],
    columns: TraceColumns,
) -> Result<(Key, Option<u32>, Option<u32>), LineError> {
    let (fields, ok) = match columns {
        TraceColumns::Headers => ("at least 5 (src dst sport dport proto)", t.len() >= 5),
        TraceColumns::Labelled => ("6 (src dst sport dport proto rule)", t.len() == 6),
    };
    if !ok {
        let col = t.get(6).map_or(end_col(line), |x| x.col);
        return Err((
            col,
            ErrorKind::FieldCount {
                expected: fields,
                found: t.len(),
            },
        ));
    }
    let num = |x: Tok<'_>, max: u64, what: &'static str| {
        decimal(x.s).filter(|&n| n <= max).ok_or((
            x.col,
            ErrorKind::Expected {
                expected: what,
                found: x.s.into(),
            },
        ))
    };
    let addr = "a host-order IPv4 address 0..=4294967295";
    let src = num(t[0], u32::MAX as u64, addr)? as u32;
    let dst = num(t[1], u32::MAX as u64, addr)? as u32;
    let sport = num(t[2], u16::MAX as u64, "a port 0..=65535")? as u16;
    let dport = num(t[3], u16::MAX as u64, "a port 0..=65535")? as u16;
    let proto = num(t[4], u8::MAX as u64, "a protocol 0..=255")? as u8;
    let key = Key::v4(src, dst, proto, sport, dport);
    if columns == TraceColumns::Headers {
        let flags = match t.len() {
            7 => Some(num(t[5], u32::MAX as u64, "a flags column 0..=4294967295")? as u32),
            _ => None,
        };
        return Ok((key, None, flags));
    }
    let rule = num(t[5], u32::MAX as u64, "a 1-based rule number")? as u32;
    if rule == 0 {
        return Err((
            t[5].col,
            ErrorKind::Expected {
                expected: "a 1-based rule number",
                found: t[5].s.into(),
            },
        ));
    }
    Ok((key, Some(rule), None))
}

/// The TCP flags byte of a packet a raw trace's flags column stands for. `trace_generator`
/// writes a random corner of the generating filter's flags: `VALUE << 16 | MASK` for a filter
/// with a flags mask, 0 or 0xFFFFFFFF for one without. VALUE's high byte holds the TCP flags
/// ([`flags::from_classbench`]), so the byte is the column's top byte: a packet with exactly
/// the filter's flags set (none, or all, for the wildcard corners).
pub fn trace_tcp_flags(column: u32) -> u8 {
    (column >> 24) as u8
}
