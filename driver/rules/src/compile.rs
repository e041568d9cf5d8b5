//! Rules → TCAM entries. Port ranges are native in the hardware and protocol and addresses are
//! value/mask, so every rule is exactly one entry: no range-to-prefix expansion.

use gufc_regmap::word::Meta;
use gufc_regmap::{key, Key, TcamEntry};

use super::{CompileError, ErrorKind, Family, Loc, Prefix, Rule, RuleError, RuleSet};

/// Most rules one compiled set may hold: hardware priorities 65535 down to 1 (0 stays free for
/// whatever the driver wants beneath every rule).
pub const MAX_RULES: usize = u16::MAX as usize;

/// Where a TCAM entry came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntrySource {
    /// Index of the rule in its [`RuleSet`].
    pub rule: usize,
    /// Where that rule was written.
    pub loc: Loc,
}

/// A rule set as TCAM entries, in hardware order: entry i has priority 65535 − i, so priority
/// order, index order and rule decision order (explicit priority, then file order) all agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The entries, highest priority first; each carries its own priority, so the device may
    /// place them at any free index.
    pub entries: Vec<TcamEntry>,
    /// `sources[i]` is the rule entry i came from.
    pub sources: Vec<EntrySource>,
}

impl Compiled {
    /// TCAM entries needed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries: the rule set was empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The rule index entry `entry` came from.
    pub fn rule_of(&self, entry: usize) -> usize {
        self.sources[entry].rule
    }

    /// TCAM entries each rule costs, indexed by rule (always 1 with native port ranges).
    pub fn entries_per_rule(&self, rules: usize) -> Vec<usize> {
        let mut n = vec![0; rules];
        for s in &self.sources {
            n[s.rule] += 1;
        }
        n
    }

    /// The entry the hardware would pick for `key`: highest priority, ties to the lowest index.
    /// A linear reference, not a fast path.
    pub fn first_match(&self, key: &Key) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, e) in self.entries.iter().enumerate() {
            let better = match best {
                None => true,
                Some(b) => self.entries[b].prio < e.prio,
            };
            if better && e.matches(key) {
                best = Some(i);
            }
        }
        best
    }

    /// [`Compiled::first_match`] for a packet with TCP flags `tcp_flags`, honouring the
    /// entries' flags matches.
    pub fn first_match_with_flags(&self, key: &Key, tcp_flags: u8) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, e) in self.entries.iter().enumerate() {
            let better = match best {
                None => true,
                Some(b) => self.entries[b].prio < e.prio,
            };
            if better && e.matches_with_flags(key, tcp_flags) {
                best = Some(i);
            }
        }
        best
    }
}

/// The rule stage a set is compiled for: what it can match of TCP flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStage {
    /// RTL 1.x: no flags in the key, a rule with flags is refused at its place.
    Rtl1,
    /// RTL 2.0: its rule stage matches the low `flag_bits` flag bits (`CAP_RULES.FLAG_BITS`);
    /// a rule's flags travel in [`TcamEntry::tcp_flags`] to the driver's 2.0 encoding.
    Rtl2 {
        /// `CAP_RULES.FLAG_BITS`.
        flag_bits: u8,
    },
}

/// Compiles a rule set for an RTL 1.x device: one entry per rule, ordered and prioritised as
/// the rules decide. Fails on the first rule that is invalid (see [`Rule::validate`]) or
/// matches TCP flags (the 1.x key has none; [`compile_for`] with [`RuleStage::Rtl2`] is the RTL
/// 2.0 path), or when there are more than [`MAX_RULES`] rules.
pub fn compile(set: &RuleSet) -> Result<Compiled, CompileError> {
    compile_for(set, RuleStage::Rtl1)
}

/// [`compile`] for `stage`: on [`RuleStage::Rtl2`] a flag bit above its `flag_bits` is refused
/// at its rule ([`crate::flags::check`]) and every other flags match is kept in its entry.
pub fn compile_for(set: &RuleSet, stage: RuleStage) -> Result<Compiled, CompileError> {
    if set.rules.len() > MAX_RULES {
        return Err(RuleError {
            loc: set.rules[MAX_RULES].loc.clone(),
            kind: ErrorKind::TooManyRules {
                count: set.rules.len(),
                max: MAX_RULES,
            },
        });
    }
    if let RuleStage::Rtl2 { flag_bits } = stage {
        crate::flags::check(set, flag_bits)?;
    }
    let mut entries = Vec::with_capacity(set.rules.len());
    let mut sources = Vec::with_capacity(set.rules.len());
    for (rank, idx) in set.decision_order().into_iter().enumerate() {
        let rule = &set.rules[idx];
        let prio = u16::MAX - rank as u16;
        entries.push(compile_rule_for(rule, prio, stage)?);
        sources.push(EntrySource {
            rule: idx,
            loc: rule.loc.clone(),
        });
    }
    Ok(Compiled { entries, sources })
}

/// One rule as one TCAM entry with hardware priority `prio`, for an RTL 1.x device.
pub fn compile_rule(rule: &Rule, prio: u16) -> Result<TcamEntry, RuleError> {
    compile_rule_for(rule, prio, RuleStage::Rtl1)
}

/// [`compile_rule`] for `stage` (the caller checks flag bits against an RTL 2.0 stage).
fn compile_rule_for(rule: &Rule, prio: u16, stage: RuleStage) -> Result<TcamEntry, RuleError> {
    rule.validate()?;
    if !rule.flags.is_any() && stage == RuleStage::Rtl1 {
        // The 1.x key has no flags: refuse rather than match more packets than the rule says.
        return Err(RuleError {
            loc: rule.loc.clone(),
            kind: ErrorKind::FlagsNeedRtl2,
        });
    }
    let mut e = TcamEntry::match_all(prio, rule.action);
    e.tcp_flags = (rule.flags.value, rule.flags.mask);
    put_prefix(&mut e, key::SRC0, rule.src);
    put_prefix(&mut e, key::DST0, rule.dst);
    let mut value = Meta::new().with_proto(rule.proto.value);
    let mut mask = Meta::new().with_proto(rule.proto.mask);
    if let Some(fam) = rule.resolved_family() {
        value = value.with_ipv6(fam == Family::V6);
        mask = mask.with_ipv6(true);
    }
    if let Some(l) = rule.src_local {
        value = value.with_src_local(l);
        mask = mask.with_src_local(true);
    }
    if let Some(l) = rule.dst_local {
        value = value.with_dst_local(l);
        mask = mask.with_dst_local(true);
    }
    e.value[key::META] = value.raw();
    e.mask[key::META] = mask.raw();
    e.sport = (rule.sport.lo, rule.sport.hi);
    e.dport = (rule.dport.lo, rule.dport.hi);
    Ok(e)
}

/// Address words `base..base+4` (bits 31:0 first); IPv4 uses only the first.
fn put_prefix(e: &mut TcamEntry, base: usize, p: Option<Prefix>) {
    let Some(p) = p else { return };
    let (v, m) = (p.bits(), p.mask_bits());
    let words = match p.family() {
        Family::V4 => 1,
        Family::V6 => 4,
    };
    for i in 0..words {
        e.value[base + i] = (v >> (32 * i)) as u32;
        e.mask[base + i] = (m >> (32 * i)) as u32;
    }
}
