//! Port ranges for the RTL 2.0 rule stage, which has no per-entry range comparators: a small bank
//! of range checkers (their hit bits join the TCAM key) serves the ranges a rule set uses most,
//! and every other range that is not a single prefix expands into prefix entries.
//!
//! A rule whose source range needs `a` prefixes and destination range `b` costs `a × b` entries;
//! a range on a checker counts as 1. [`plan`] gives checkers, greedily, to the ranges that save
//! the most entries, so a set costs as few entries as this scheme allows for the checkers it has.

use std::collections::HashMap;
use std::fmt;

use crate::{PortRange, RuleSet};

/// Range checkers in the RTL 2.0 rule stage (`gufc_tcam_v4`'s CHECKERS default).
pub const CHECKERS: usize = 16;

/// The port a checker compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortField {
    /// The source port.
    Src,
    /// The destination port.
    Dst,
}

impl fmt::Display for PortField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PortField::Src => "sport",
            PortField::Dst => "dport",
        })
    }
}

/// One range checker's setting: hit when the key's `field` port is in `range`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Checker {
    /// Which port it compares.
    pub field: PortField,
    /// The ports it accepts.
    pub range: PortRange,
}

/// How one port field of an entry matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortTerm {
    /// `port & mask == value` (`value` has no bits outside `mask`).
    Prefix {
        /// The port's cared bits.
        value: u16,
        /// Which bits are cared for.
        mask: u16,
    },
    /// Checker number `n` must hit.
    Checker(u8),
}

impl PortTerm {
    /// Does the term accept `port`, given which checkers hit?
    pub fn accepts(&self, port: u16, hits: u32) -> bool {
        match *self {
            PortTerm::Prefix { value, mask } => port & mask == value,
            PortTerm::Checker(n) => hits >> n & 1 == 1,
        }
    }
}

/// The port part of one TCAM entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortEntry {
    /// Source port.
    pub sport: PortTerm,
    /// Destination port.
    pub dport: PortTerm,
}

/// A rule set's ports laid out for checkers and prefix entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangePlan {
    /// The checkers' settings; checker i is `checkers[i]`, the rest stay unused.
    pub checkers: Vec<Checker>,
    /// `rules[r]`: the entries rule r of the set expands into (every pair of its source and
    /// destination terms).
    pub rules: Vec<Vec<PortEntry>>,
}

impl RangePlan {
    /// TCAM entries the whole set needs.
    pub fn entries(&self) -> usize {
        self.rules.iter().map(Vec::len).sum()
    }

    /// Entries per rule (1.0 for an empty set).
    pub fn entries_per_rule(&self) -> f64 {
        if self.rules.is_empty() {
            1.0
        } else {
            self.entries() as f64 / self.rules.len() as f64
        }
    }

    /// The checkers that hit for these ports, one bit per checker.
    pub fn hits(&self, sport: u16, dport: u16) -> u32 {
        self.checkers.iter().enumerate().fold(0, |acc, (i, c)| {
            let port = match c.field {
                PortField::Src => sport,
                PortField::Dst => dport,
            };
            acc | u32::from(c.range.contains(port)) << i
        })
    }

    /// Does one of rule `rule`'s entries accept these ports? (What the hardware computes.)
    pub fn accepts(&self, rule: usize, sport: u16, dport: u16) -> bool {
        let hits = self.hits(sport, dport);
        self.rules[rule]
            .iter()
            .any(|e| e.sport.accepts(sport, hits) && e.dport.accepts(dport, hits))
    }
}

/// The fewest prefixes whose union is `range`, lowest first: each block is the largest aligned
/// power-of-two block that starts at the next uncovered port and stays inside the range.
pub fn prefixes(range: PortRange) -> Vec<PortTerm> {
    let (mut lo, hi) = (u32::from(range.lo), u32::from(range.hi));
    let mut out = Vec::new();
    while lo <= hi {
        let mut size = if lo == 0 {
            1 << 16
        } else {
            1u32 << lo.trailing_zeros()
        };
        while lo + size - 1 > hi {
            size >>= 1;
        }
        let mask = !(size - 1) as u16;
        out.push(PortTerm::Prefix {
            value: lo as u16 & mask,
            mask,
        });
        lo += size;
    }
    out
}

/// Prefixes needed for `lo..=hi` (0 when empty).
fn cost(lo: u32, hi: u32) -> usize {
    if lo > hi {
        return 0;
    }
    prefixes(PortRange {
        lo: lo as u16,
        hi: hi as u16,
    })
    .len()
}

/// A range's terms when `checker` (a range inside it, on the same field) serves its middle:
/// the checker's hit plus prefixes for what lies on either side.
fn around(range: PortRange, inner: PortRange) -> usize {
    1 + cost(u32::from(range.lo), u32::from(inner.lo) - 1)
        + cost(u32::from(inner.hi) + 1, u32::from(range.hi))
}

/// Lays out the set's port ranges on at most `checkers` checkers (at most 32: one key bit each)
/// and prefix entries. A range is expanded into prefixes, or covered by one checker whose range
/// lies inside it plus prefixes for the rest on either side (so 1300-1350 can use the checker of
/// 1300-1349 and one more entry for 1350). Greedy: while a checker is free, the range (field and
/// bounds, among those the rules use) whose checker would save the most entries across all rules
/// gets one; ties go to the range seen first in rule order, so a plan is reproducible.
pub fn plan(set: &RuleSet, checkers: usize) -> RangePlan {
    assert!(
        checkers <= 32,
        "{checkers} checkers: the key has one bit per checker, 32 at most"
    );
    // The distinct (field, range) pairs in first-seen order, and each rule's two of them.
    let mut ranges: Vec<Checker> = Vec::new();
    let mut id: HashMap<Checker, usize> = HashMap::new();
    let uses: Vec<[usize; 2]> = set
        .rules
        .iter()
        .map(|r| {
            [(PortField::Src, r.sport), (PortField::Dst, r.dport)].map(|(field, range)| {
                *id.entry(Checker { field, range }).or_insert_with(|| {
                    ranges.push(Checker { field, range });
                    ranges.len() - 1
                })
            })
        })
        .collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); ranges.len()];
    for (r, u) in uses.iter().enumerate() {
        users[u[0]].push(r);
        users[u[1]].push(r);
    }
    // terms[d]: entries range d costs its rules' field now; via[d]: the checker serving it.
    let mut terms: Vec<usize> = ranges.iter().map(|c| prefixes(c.range).len()).collect();
    let mut via: Vec<Option<usize>> = vec![None; ranges.len()];
    let mut chosen: Vec<usize> = Vec::new();
    // What giving range c a checker changes: (range d, its new term count), for every d it helps.
    let gains = |c: usize, terms: &[usize]| -> Vec<(usize, usize)> {
        let inner = ranges[c];
        ranges
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.field == inner.field
                    && d.range.lo <= inner.range.lo
                    && inner.range.hi <= d.range.hi
            })
            .map(|(d, r)| (d, around(r.range, inner.range)))
            .filter(|&(d, n)| n < terms[d])
            .collect()
    };
    while chosen.len() < checkers {
        let mut best: Option<(usize, usize)> = None; // (saved, c)
        for c in (0..ranges.len()).filter(|&c| terms[c] > 1 && !chosen.contains(&c)) {
            let saved: usize = gains(c, &terms)
                .iter()
                .map(|&(d, n)| {
                    let f = ranges[d].field as usize;
                    users[d]
                        .iter()
                        .map(|&r| (terms[d] - n) * terms[uses[r][1 - f]])
                        .sum::<usize>()
                })
                .sum();
            if saved > 0 && best.is_none_or(|(s, _)| saved > s) {
                best = Some((saved, c));
            }
        }
        let Some((_, c)) = best else { break };
        for (d, n) in gains(c, &terms) {
            terms[d] = n;
            via[d] = Some(c);
        }
        chosen.push(c);
    }
    // Each distinct range's terms: its checker's hit and the prefixes around it, or prefixes.
    let expand = |d: usize| -> Vec<PortTerm> {
        let range = ranges[d].range;
        let Some(c) = via[d] else {
            return prefixes(range);
        };
        let inner = ranges[c].range;
        let slot = chosen
            .iter()
            .position(|&x| x == c)
            .expect("a chosen checker") as u8;
        let mut out = vec![PortTerm::Checker(slot)];
        for (lo, hi) in [
            (u32::from(range.lo), u32::from(inner.lo) - 1),
            (u32::from(inner.hi) + 1, u32::from(range.hi)),
        ] {
            if lo <= hi {
                out.extend(prefixes(PortRange {
                    lo: lo as u16,
                    hi: hi as u16,
                }));
            }
        }
        out
    };
    let expanded: Vec<Vec<PortTerm>> = (0..ranges.len()).map(expand).collect();
    let rules = uses
        .iter()
        .map(|u| {
            let (s, d) = (&expanded[u[0]], &expanded[u[1]]);
            s.iter()
                .flat_map(|&sport| d.iter().map(move |&dport| PortEntry { sport, dport }))
                .collect()
        })
        .collect();
    RangePlan {
        checkers: chosen.iter().map(|&c| ranges[c]).collect(),
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Loc, Rule};
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};

    fn range(lo: u16, hi: u16) -> PortRange {
        PortRange { lo, hi }
    }

    fn set(ports: &[(PortRange, PortRange)]) -> RuleSet {
        let rules = ports
            .iter()
            .enumerate()
            .map(|(i, &(s, d))| {
                let mut r = Rule::any(Action::Drop, Loc::new("t", i as u32 + 1, 1));
                r.sport = s;
                r.dport = d;
                r
            })
            .collect();
        RuleSet {
            locals: Vec::new(),
            rules,
            warnings: Vec::new(),
        }
    }

    /// Ports on and beside every bound of the set, plus random ones.
    fn probes(ports: &[(PortRange, PortRange)], rng: &mut Xoshiro256PlusPlus) -> Vec<u16> {
        let mut v: Vec<u16> = vec![0, 1, 65534, 65535];
        for (s, d) in ports {
            for b in [s.lo, s.hi, d.lo, d.hi] {
                v.extend([b.saturating_sub(1), b, b.saturating_add(1)]);
            }
        }
        v.extend((0..64).map(|_| rng.random::<u16>()));
        v
    }

    #[test]
    fn prefixes_cover_exactly_and_minimally() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut cases = vec![
            range(0, 65535),
            range(1024, 65535),
            range(1, 65534),
            range(80, 80),
        ];
        cases.extend((0..300).map(|_| {
            let (a, b) = (rng.random::<u16>(), rng.random::<u16>());
            range(a.min(b), a.max(b))
        }));
        for r in cases {
            let p = prefixes(r);
            assert!(p.len() <= 30, "{r}: {} prefixes", p.len());
            for port in [
                r.lo.saturating_sub(1),
                r.lo,
                r.hi,
                r.hi.saturating_add(1),
                rng.random(),
            ] {
                let n = p.iter().filter(|t| t.accepts(port, 0)).count();
                assert_eq!(n, usize::from(r.contains(port)), "{r} port {port}: {p:?}");
            }
        }
        assert_eq!(prefixes(range(1024, 65535)).len(), 6);
        assert_eq!(prefixes(range(1, 65534)).len(), 30);
        assert_eq!(
            prefixes(range(0, 65535)),
            vec![PortTerm::Prefix { value: 0, mask: 0 }]
        );
    }

    #[test]
    fn a_plan_accepts_exactly_the_rules_ports() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let pool: Vec<PortRange> = (0..40)
            .map(|_| {
                let (a, b) = (rng.random::<u16>(), rng.random::<u16>());
                range(a.min(b), a.max(b))
            })
            .chain([PortRange::ANY, range(80, 80), range(1024, 65535)])
            // Nested ranges, so that checkers serve ranges around them.
            .chain([
                range(1300, 1349),
                range(1300, 1350),
                range(1299, 1349),
                range(1290, 1360),
            ])
            .collect();
        let ports: Vec<_> = (0..200)
            .map(|_| {
                (
                    pool[rng.random_range(0..pool.len())],
                    pool[rng.random_range(0..pool.len())],
                )
            })
            .collect();
        let s = set(&ports);
        for n in [0, 1, 5, CHECKERS, 32] {
            let p = plan(&s, n);
            assert!(p.checkers.len() <= n);
            for (r, (sp, dp)) in ports.iter().enumerate() {
                for &a in &probes(&ports[r..=r], &mut rng) {
                    for &b in &probes(&ports[r..=r], &mut rng)[..8] {
                        assert_eq!(
                            p.accepts(r, a, b),
                            sp.contains(a) && dp.contains(b),
                            "rule {r}, {n} checkers, ports {a} {b}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn checkers_go_to_the_ranges_that_save_most() {
        // 17 distinct non-prefix ranges; 1..=65534 (30 prefixes) is used by 3 rules, the others
        // (2 prefixes each) by one rule each: with one checker, 1..=65534 must get it.
        let mut ports: Vec<_> = (0..16u16)
            .map(|i| (range(2 + 4 * i, 5 + 4 * i), PortRange::ANY))
            .collect();
        ports.extend([(PortRange::ANY, range(1, 65534)); 3]);
        let s = set(&ports);
        let p = plan(&s, 1);
        assert_eq!(
            p.checkers,
            vec![Checker {
                field: PortField::Dst,
                range: range(1, 65534)
            }]
        );
        assert_eq!(p.entries(), 16 * 2 + 3);
        // Enough checkers for all: one entry per rule.
        assert_eq!(plan(&s, 17).entries(), ports.len());
        // None: full expansion.
        assert_eq!(plan(&s, 0).entries(), 16 * 2 + 3 * 30);
    }

    #[test]
    fn a_checker_serves_the_ranges_around_its_own() {
        // 1300-1349 (5 prefixes) on a checker also serves 1300-1350 as checker + 1350, and
        // 1290-1360 as 1290-1299 (2) + checker + 1350-1360 (3).
        let ports = [
            (PortRange::ANY, range(1300, 1349)),
            (PortRange::ANY, range(1300, 1350)),
            (PortRange::ANY, range(1290, 1360)),
        ];
        let p = plan(&set(&ports), 1);
        assert_eq!(
            p.checkers,
            vec![Checker {
                field: PortField::Dst,
                range: range(1300, 1349)
            }]
        );
        assert_eq!(
            p.rules.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![1, 2, 6]
        );
    }
}
