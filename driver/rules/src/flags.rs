//! TCP-flag matches: `flags SYN/SYN,ACK` in the text format, ClassBench's 16-bit flags column,
//! and what an RTL 2.0 rule stage can match of them.
//!
//! The flags byte is regmap.toml `[tcp_flags]` (FIN bit 0 … CWR bit 7), the byte the key port
//! carries as `key_flags`. An RTL 2.0 rule stage matches its low `CAP_RULES.FLAG_BITS` bits
//! (FIN SYN RST PSH ACK URG at the default 6); RTL 1.x matches none, so [`crate::compile`]
//! refuses a rule with flags.

use std::fmt;

use gufc_regmap::word::TcpFlags;

use crate::{ErrorKind, Rule, RuleError, RuleSet, Warning, WarningKind};

/// Flag bits the RTL 2.0 rule stage matches by default (`CAP_RULES.FLAG_BITS`).
pub const FLAG_BITS: u8 = 6;

/// The flag names, in bit order, with their bits from regmap.toml `[tcp_flags]`.
pub const NAMES: [(&str, u8); 8] = [
    ("FIN", 1 << TcpFlags::FIN.lsb),
    ("SYN", 1 << TcpFlags::SYN.lsb),
    ("RST", 1 << TcpFlags::RST.lsb),
    ("PSH", 1 << TcpFlags::PSH.lsb),
    ("ACK", 1 << TcpFlags::ACK.lsb),
    ("URG", 1 << TcpFlags::URG.lsb),
    ("ECE", 1 << TcpFlags::ECE.lsb),
    ("CWR", 1 << TcpFlags::CWR.lsb),
];

/// A TCP-flags match, iptables `--tcp-flags MASK COMP` style: the packet's flags under `mask`
/// must equal `value`. Mask 0 matches every packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FlagsMatch {
    /// The flags that must be set among those in `mask`; no bits outside `mask`.
    pub value: u8,
    /// Which flags are examined.
    pub mask: u8,
}

impl FlagsMatch {
    /// Matches every packet.
    pub const ANY: FlagsMatch = FlagsMatch { value: 0, mask: 0 };

    /// Does it examine no flag?
    pub fn is_any(&self) -> bool {
        self.mask == 0
    }

    /// Do the packet's flags `f` match?
    pub fn matches(&self, f: u8) -> bool {
        f & self.mask == self.value
    }

    /// Parses `VALUE/MASK` or `VALUE` (mask = value): each a comma list of flag names
    /// (any case; `none` for no flag) or a `0x` hex byte. `any` matches every packet.
    pub fn parse(s: &str) -> Result<FlagsMatch, ErrorKind> {
        if s.eq_ignore_ascii_case("any") {
            return Ok(FlagsMatch::ANY);
        }
        let (v, m) = match s.split_once('/') {
            Some((v, m)) => (byte(v)?, byte(m)?),
            None => {
                let v = byte(s)?;
                (v, v)
            }
        };
        if v & !m != 0 {
            return Err(ErrorKind::FlagsValueOutsideMask { value: v, mask: m });
        }
        Ok(FlagsMatch { value: v, mask: m })
    }
}

/// A comma list of flag names, `none`, or a `0x` hex byte.
fn byte(s: &str) -> Result<u8, ErrorKind> {
    let bad = || ErrorKind::UnknownFlag(s.to_string());
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u8::from_str_radix(h, 16).map_err(|_| bad());
    }
    if s.eq_ignore_ascii_case("none") {
        return Ok(0);
    }
    let mut b = 0;
    for name in s.split(',') {
        let (_, bit) = NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| ErrorKind::UnknownFlag(name.to_string()))?;
        b |= bit;
    }
    Ok(b)
}

/// The flag names of `bits`, comma-separated (`none` for 0).
pub fn names(bits: u8) -> String {
    if bits == 0 {
        return "none".into();
    }
    let n: Vec<&str> = NAMES
        .iter()
        .filter(|(_, b)| bits & b != 0)
        .map(|&(n, _)| n)
        .collect();
    n.join(",")
}

/// `VALUE/MASK` in flag names, the form [`FlagsMatch::parse`] reads back.
impl fmt::Display for FlagsMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", names(self.value), names(self.mask))
    }
}

/// ClassBench's 16-bit flags column on TCP rules: the TCP flags byte is its high byte (0x0200
/// SYN, 0x1000 ACK, as the word at TCP header offset 12 reads in little-endian order); the low
/// byte (data offset, NS) has no TCP-flag meaning.
pub fn from_classbench(value: u16, mask: u16) -> (FlagsMatch, u16) {
    let m = (mask >> 8) as u8;
    let matched = FlagsMatch {
        value: (value >> 8) as u8 & m,
        mask: m,
    };
    (matched, mask & 0x00FF)
}

/// Refuses, at its rule, a flag bit that a rule stage with `flag_bits` matchable bits cannot
/// compare: the RTL 2.0 compile path's check (`flag_bits` from `CAP_RULES.FLAG_BITS`).
pub fn check(set: &RuleSet, flag_bits: u8) -> Result<(), RuleError> {
    let over = !low_bits(flag_bits);
    match set.rules.iter().find(|r| r.flags.mask & over != 0) {
        None => Ok(()),
        Some(r) => Err(RuleError {
            loc: r.loc.clone(),
            kind: ErrorKind::FlagBitsUnmatchable {
                flags: names(r.flags.mask & over),
                flag_bits,
            },
        }),
    }
}

/// Clears, from every rule's value and mask, the flag bits a rule stage with `flag_bits`
/// matchable bits cannot compare (the opt-in `--drop-unmatchable-flags`): one warning per rule
/// that lost bits, then one counting them. Each such rule matches more packets than written.
pub fn clear_unmatchable(set: &mut RuleSet, flag_bits: u8) -> Vec<Warning> {
    let keep = low_bits(flag_bits);
    let mut out = Vec::new();
    let mut all = 0u8;
    for r in &mut set.rules {
        let cleared = r.flags.mask & !keep;
        if cleared == 0 {
            continue;
        }
        r.flags.value &= keep;
        r.flags.mask &= keep;
        all |= cleared;
        out.push(Warning {
            loc: r.loc.clone(),
            kind: WarningKind::FlagsCleared {
                flags: names(cleared),
                flag_bits,
            },
        });
    }
    if let Some(first) = out.first() {
        let total = Warning {
            loc: first.loc.clone(),
            kind: WarningKind::FlagsClearedTotal {
                rules: out.len(),
                flags: names(all),
            },
        };
        out.push(total);
    }
    out
}

/// The low `n` bits of the flags byte.
pub fn low_bits(n: u8) -> u8 {
    if n >= 8 {
        0xFF
    } else {
        (1u8 << n) - 1
    }
}

/// The rule matches TCP only (protocol exactly 6), as a flags match needs.
pub fn is_tcp_only(r: &Rule) -> bool {
    r.proto.mask == 0xFF && r.proto.value == TCP
}

/// IP protocol number of TCP.
pub const TCP: u8 = 6;
