//! The rule format for people (`docs/rules.md`): one rule per line, `<action> [match...]`
//! in keyword style, `#` comments, blank lines ignored, and `local PREFIX` lines that name
//! the host's own addresses for the locality table.

use super::lex::{tokens, Tok};
use std::net::IpAddr;
use std::sync::Arc;

use gufc_regmap::{Action, SlowReason};

use super::flags::TCP;
use super::{
    protocol_number, ErrorKind, Family, FlagsMatch, Loc, LocalPrefix, PortRange, Prefix,
    ProtoMatch, Rule, RuleError, RuleErrors, RuleSet, FIRST_RULE_REASON,
};

/// What may start a match or an action, for "unknown keyword" messages.
const KEYWORDS: &str =
    "an action (channel, drop, slowpath) or a match (src, dst, src-local, dst-local, \
                        proto, sport, dport, flags, family, prio)";

/// Parses a whole file. `file` names it in locations. Returns every line's first error.
pub fn parse(file: &str, text: &str) -> Result<RuleSet, RuleErrors> {
    let file: Arc<str> = file.into();
    let mut rules = Vec::new();
    let mut locals = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let toks = tokens(line, Some('#'));
        if toks.is_empty() {
            continue;
        }
        let at = |col: u32| Loc {
            file: file.clone(),
            line: line_no,
            column: col,
        };
        if toks[0].s == "local" {
            match parse_local(&toks) {
                Ok(prefix) => locals.push(LocalPrefix {
                    prefix,
                    loc: at(toks[0].col),
                }),
                Err((col, kind)) => errors.push(RuleError { loc: at(col), kind }),
            }
            continue;
        }
        match parse_tokens(&toks) {
            Ok(mut rule) => {
                rule.loc = at(toks[0].col);
                rules.push(rule);
            }
            Err((col, kind)) => errors.push(RuleError { loc: at(col), kind }),
        }
    }
    if errors.is_empty() {
        Ok(RuleSet {
            rules,
            locals,
            warnings: Vec::new(),
        })
    } else {
        Err(RuleErrors(errors))
    }
}

/// Parses one rule line (no comment handling beyond `#`); its location is `file:line`.
pub fn parse_rule(file: &str, line: u32, text: &str) -> Result<Rule, RuleError> {
    let toks = tokens(text, Some('#'));
    let at = |col: u32| Loc::new(file, line, col);
    if toks.is_empty() {
        return Err(RuleError {
            loc: at(1),
            kind: ErrorKind::MissingAction,
        });
    }
    match parse_tokens(&toks) {
        Ok(mut rule) => {
            rule.loc = at(toks[0].col);
            Ok(rule)
        }
        Err((col, kind)) => Err(RuleError { loc: at(col), kind }),
    }
}

type LineError = (u32, ErrorKind);

/// `local PREFIX`: exactly one address or CIDR prefix (host bits clear) after the keyword.
fn parse_local(toks: &[Tok<'_>]) -> Result<Prefix, LineError> {
    const EXPECTED: &str = "an address or CIDR prefix of the host's own addresses";
    let v = toks.get(1).copied().ok_or((
        toks[0].col,
        ErrorKind::MissingValue {
            keyword: "local".into(),
            expected: EXPECTED,
        },
    ))?;
    if let Some(extra) = toks.get(2) {
        return Err((
            extra.col,
            ErrorKind::Expected {
                expected: "the end of the `local` line",
                found: extra.s.to_string(),
            },
        ));
    }
    parse_cidr(v.s).map_err(|k| (v.col, k))
}

/// The rule being assembled, with the column where each keyword was first given.
#[derive(Default)]
struct Builder {
    action: Option<(Action, u32)>,
    seen: Vec<(&'static str, u32)>,
    family: Option<Family>,
    src: Option<Prefix>,
    dst: Option<Prefix>,
    src_local: Option<bool>,
    dst_local: Option<bool>,
    proto: Option<ProtoMatch>,
    sport: Option<PortRange>,
    dport: Option<PortRange>,
    flags: Option<(FlagsMatch, u32)>,
    prio: Option<u16>,
}

impl Builder {
    fn first_use(&mut self, kw: &'static str, col: u32) -> Result<(), LineError> {
        if let Some(&(_, first)) = self.seen.iter().find(|(k, _)| *k == kw) {
            return Err((
                col,
                ErrorKind::DuplicateKeyword {
                    keyword: kw.to_string(),
                    first_column: first,
                },
            ));
        }
        self.seen.push((kw, col));
        Ok(())
    }

    /// Records the family an address or `family` word implies; the later one is the error.
    fn set_family(&mut self, fam: Family, col: u32) -> Result<(), LineError> {
        match self.family {
            Some(f) if f != fam => Err((col, ErrorKind::MixedFamilies)),
            _ => {
                self.family = Some(fam);
                Ok(())
            }
        }
    }
}

fn parse_tokens(toks: &[Tok<'_>]) -> Result<Rule, LineError> {
    let mut b = Builder::default();
    let mut i = 0;
    while i < toks.len() {
        let kw = toks[i];
        i += 1;
        // The value token after a keyword, or an error at the keyword.
        let mut value = |expected: &'static str| -> Result<Tok<'_>, LineError> {
            let v = toks.get(i).copied().ok_or((
                kw.col,
                ErrorKind::MissingValue {
                    keyword: kw.s.to_string(),
                    expected,
                },
            ))?;
            i += 1;
            Ok(v)
        };
        match kw.s {
            "channel" | "drop" | "slowpath" | "slow-path" => {
                if let Some((_, first)) = b.action {
                    return Err((
                        kw.col,
                        ErrorKind::DuplicateAction {
                            first_column: first,
                        },
                    ));
                }
                let action = match kw.s {
                    "channel" => {
                        let v = value("a channel number 0..=255")?;
                        let n = number(v, "a channel number 0..=255")?;
                        let ch = u8::try_from(n)
                            .map_err(|_| (v.col, ErrorKind::ChannelOutOfRange(n)))?;
                        Action::Deliver { channel: ch }
                    }
                    "drop" => Action::Drop,
                    _ => {
                        if toks.get(i).is_some_and(|t| t.s == "reason") {
                            i += 1;
                            let reason_kw = toks[i - 1];
                            let v = toks.get(i).copied().ok_or((
                                reason_kw.col,
                                ErrorKind::MissingValue {
                                    keyword: "reason".into(),
                                    expected: "a number 16..=255",
                                },
                            ))?;
                            i += 1;
                            let n = number(v, "a reason number 16..=255")?;
                            match u8::try_from(n) {
                                Ok(r) if r >= FIRST_RULE_REASON => Action::SlowPath { reason: r },
                                _ => return Err((v.col, ErrorKind::ReasonOutOfRange(n))),
                            }
                        } else {
                            Action::SlowPath {
                                reason: SlowReason::Rule.bits(),
                            }
                        }
                    }
                };
                b.action = Some((action, kw.col));
            }
            "src" | "dst" => {
                let name = if kw.s == "src" { "src" } else { "dst" };
                b.first_use(name, kw.col)?;
                let v = value("an address, a CIDR prefix or any")?;
                let p = address(v)?;
                if let Some(p) = p {
                    b.set_family(p.family(), v.col)?;
                }
                if name == "src" {
                    b.src = p;
                } else {
                    b.dst = p;
                }
            }
            "src-local" | "dst-local" => {
                let name = if kw.s == "src-local" {
                    "src-local"
                } else {
                    "dst-local"
                };
                b.first_use(name, kw.col)?;
                let v = value("yes, no or any")?;
                let l = match v.s {
                    "yes" => Some(true),
                    "no" => Some(false),
                    "any" => None,
                    _ => {
                        return Err((
                            v.col,
                            ErrorKind::Expected {
                                expected: "yes, no or any",
                                found: v.s.into(),
                            },
                        ))
                    }
                };
                if name == "src-local" {
                    b.src_local = l;
                } else {
                    b.dst_local = l;
                }
            }
            "proto" => {
                b.first_use("proto", kw.col)?;
                let v = value("a protocol name, number, value/mask or any")?;
                b.proto = Some(protocol(v)?);
            }
            "sport" | "dport" => {
                let name = if kw.s == "sport" { "sport" } else { "dport" };
                b.first_use(name, kw.col)?;
                let v = value("a port, a range LO-HI or any")?;
                let r = ports(v)?;
                if name == "sport" {
                    b.sport = Some(r);
                } else {
                    b.dport = Some(r);
                }
            }
            "flags" => {
                b.first_use("flags", kw.col)?;
                let v = value("TCP flags VALUE/MASK, e.g. SYN/SYN,ACK or 0x02/0x12")?;
                let f = FlagsMatch::parse(v.s).map_err(|k| (v.col, k))?;
                b.flags = Some((f, kw.col));
            }
            "family" => {
                b.first_use("family", kw.col)?;
                let v = value("ipv4 or ipv6")?;
                let fam = match v.s {
                    "ipv4" => Family::V4,
                    "ipv6" => Family::V6,
                    _ => {
                        return Err((
                            v.col,
                            ErrorKind::Expected {
                                expected: "ipv4 or ipv6",
                                found: v.s.into(),
                            },
                        ))
                    }
                };
                b.set_family(fam, v.col)?;
            }
            "prio" => {
                b.first_use("prio", kw.col)?;
                let v = value("a priority 0..=65535 (higher wins)")?;
                let n = number(v, "a priority 0..=65535")?;
                b.prio = Some(u16::try_from(n).map_err(|_| (v.col, ErrorKind::PrioOutOfRange(n)))?);
            }
            other => {
                return Err((
                    kw.col,
                    ErrorKind::UnknownKeyword {
                        word: other.to_string(),
                        expected: KEYWORDS,
                    },
                ));
            }
        }
    }
    let (action, _) = b.action.ok_or((toks[0].col, ErrorKind::MissingAction))?;
    let proto = b.proto.unwrap_or(ProtoMatch::ANY);
    let flags = match b.flags {
        Some((f, col)) if !f.is_any() && proto != ProtoMatch::exact(TCP) => {
            return Err((col, ErrorKind::FlagsWithoutTcp))
        }
        Some((f, _)) => f,
        None => FlagsMatch::ANY,
    };
    Ok(Rule {
        src: b.src,
        dst: b.dst,
        family: b.family,
        src_local: b.src_local,
        dst_local: b.dst_local,
        proto,
        sport: b.sport.unwrap_or(PortRange::ANY),
        dport: b.dport.unwrap_or(PortRange::ANY),
        flags,
        prio: b.prio,
        action,
        loc: Loc::new("", 0, 0),
    })
}

/// A decimal number (digits only).
fn number(t: Tok<'_>, expected: &'static str) -> Result<u64, LineError> {
    decimal(t.s).ok_or((
        t.col,
        ErrorKind::Expected {
            expected,
            found: t.s.into(),
        },
    ))
}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A decimal or `0x` hexadecimal number.
fn dec_or_hex(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()) => {
            u64::from_str_radix(h, 16).ok()
        }
        Some(_) => None,
        None => decimal(s),
    }
}

/// `any`, an address (a host prefix) or `addr/len`.
fn address(t: Tok<'_>) -> Result<Option<Prefix>, LineError> {
    if t.s == "any" {
        return Ok(None);
    }
    parse_cidr(t.s).map(Some).map_err(|k| (t.col, k))
}

/// `addr` (a full-length prefix) or `addr/len`, host bits clear.
pub fn parse_cidr(s: &str) -> Result<Prefix, ErrorKind> {
    let bad = || ErrorKind::BadAddress(s.to_string());
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = a.parse().map_err(|_| bad())?;
    let max = Family::of(&addr).bits();
    let len = match len {
        None => max,
        Some(l) => {
            let n = decimal(l).ok_or_else(bad)?;
            if n > max as u64 {
                return Err(ErrorKind::PrefixTooLong {
                    len: u32::try_from(n).unwrap_or(u32::MAX),
                    max,
                });
            }
            n as u8
        }
    };
    Prefix::new(addr, len)
}

/// `any`, a name, a number, or `value/mask` (each decimal or 0x hex).
fn protocol(t: Tok<'_>) -> Result<ProtoMatch, LineError> {
    const EXPECTED: &str = "a protocol number 0..=255";
    if t.s == "any" {
        return Ok(ProtoMatch::ANY);
    }
    let byte = |s: &str| -> Result<u8, LineError> {
        dec_or_hex(s).and_then(|n| u8::try_from(n).ok()).ok_or((
            t.col,
            ErrorKind::Expected {
                expected: EXPECTED,
                found: s.into(),
            },
        ))
    };
    if let Some((v, m)) = t.s.split_once('/') {
        let (value, mask) = (byte(v)?, byte(m)?);
        if value & !mask != 0 {
            return Err((t.col, ErrorKind::ProtoValueOutsideMask { value, mask }));
        }
        return Ok(ProtoMatch { value, mask });
    }
    if t.s.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(ProtoMatch::exact(byte(t.s)?));
    }
    protocol_number(t.s)
        .map(ProtoMatch::exact)
        .ok_or((t.col, ErrorKind::UnknownProtocol(t.s.into())))
}

/// `any`, `N` or `LO-HI`.
fn ports(t: Tok<'_>) -> Result<PortRange, LineError> {
    const EXPECTED: &str = "a port 0..=65535, a range LO-HI or any";
    if t.s == "any" {
        return Ok(PortRange::ANY);
    }
    let num = |s: &str| {
        decimal(s).ok_or((
            t.col,
            ErrorKind::Expected {
                expected: EXPECTED,
                found: t.s.into(),
            },
        ))
    };
    let (lo, hi) = match t.s.split_once('-') {
        Some((l, h)) => (num(l)?, num(h)?),
        None => {
            let n = num(t.s)?;
            (n, n)
        }
    };
    for n in [lo, hi] {
        if n > u16::MAX as u64 {
            return Err((t.col, ErrorKind::PortOutOfRange(n)));
        }
    }
    if lo > hi {
        return Err((t.col, ErrorKind::InvertedRange { lo, hi }));
    }
    Ok(PortRange {
        lo: lo as u16,
        hi: hi as u16,
    })
}
