//! Where a new rule set's entries go when the hardware decides by index (RTL 2.0: the lowest
//! matching index in the key's plane wins, so a plane's entries must sit in decision order).
//!
//! The old set stays live in its plane until the COMMIT, so the new plane can only use free
//! entries, or live entries whose content is the new entry's (reused: joined to the new plane,
//! keeping their counters). [`ordered`] places the new entries at strictly increasing indexes and
//! reuses as many live entries as that order allows: the exact optimum, by dynamic programming
//! over (entry, index). 1.x stores priorities and has no order to keep (`replace_rules` reuses
//! any identical entry wherever it is).

use gufc_regmap::TcamEntry;

/// One new entry's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Write it into this free entry.
    Write(u32),
    /// The live entry at this index already holds it: join it to the new plane.
    Reuse(u32),
}

impl Place {
    /// The TCAM index.
    pub fn index(self) -> u32 {
        match self {
            Place::Write(i) | Place::Reuse(i) => i,
        }
    }
}

/// Above this many (entry, index) pairs the search for reuse is skipped and every entry is
/// written (the table would take more than 8 MiB); 1,024 entries on a 1,024-entry TCAM is 1 M.
pub const MAX_SEARCH: usize = 1 << 22;

/// Places `entries` (in decision order) in a TCAM whose live plane holds `live[i]` at index i
/// (`None`: free): strictly increasing indexes, each free or a live entry with the same content,
/// with as many reused as possible. `None` if they do not fit (fewer free entries than new
/// entries that cannot be reused in order).
pub fn ordered(live: &[Option<TcamEntry>], entries: &[TcamEntry]) -> Option<Vec<Place>> {
    let (n, m) = (live.len(), entries.len());
    if m * (n + 1) > MAX_SEARCH {
        return in_free(live, entries);
    }
    // best[j * (n + 1) + x]: most reuses placing entries[j..] at indexes >= x; NONE if impossible.
    const NONE: u16 = u16::MAX;
    let w = n + 1;
    let mut best = vec![NONE; (m + 1) * w];
    for x in 0..=n {
        best[m * w + x] = 0;
    }
    for j in (0..m).rev() {
        for x in (0..n).rev() {
            let mut b = best[j * w + x + 1]; // x not used by entry j
            let next = best[(j + 1) * w + x + 1];
            if next != NONE {
                match &live[x] {
                    None => b = if b == NONE { next } else { b.max(next) },
                    Some(e) if *e == entries[j] => {
                        b = if b == NONE { next + 1 } else { b.max(next + 1) }
                    }
                    Some(_) => {}
                }
            }
            best[j * w + x] = b;
        }
    }
    if best[0] == NONE {
        return None;
    }
    // Walk the choices: at each index, take it for entry j if that keeps the optimum.
    let mut plan = Vec::with_capacity(m);
    let (mut j, mut x) = (0, 0);
    while j < m {
        let here = best[j * w + x];
        let next = best[(j + 1) * w + x + 1];
        let take = match &live[x] {
            None => next != NONE && next == here,
            Some(e) => *e == entries[j] && next != NONE && next + 1 == here,
        };
        if take {
            plan.push(if live[x].is_some() {
                Place::Reuse(x as u32)
            } else {
                Place::Write(x as u32)
            });
            j += 1;
        }
        x += 1;
    }
    Some(plan)
}

/// Every entry written, into the free entries in index order.
fn in_free(live: &[Option<TcamEntry>], entries: &[TcamEntry]) -> Option<Vec<Place>> {
    let plan: Vec<Place> = (0..live.len())
        .filter(|&i| live[i].is_none())
        .take(entries.len())
        .map(|i| Place::Write(i as u32))
        .collect();
    (plan.len() == entries.len()).then_some(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gufc_regmap::Action;
    use proptest::prelude::*;

    fn entry(v: u8) -> TcamEntry {
        TcamEntry::match_all(u16::from(v), Action::Drop)
    }

    /// The plan obeys the rules: increasing, distinct, on free or identical live entries.
    fn valid(live: &[Option<TcamEntry>], entries: &[TcamEntry], plan: &[Place]) {
        assert_eq!(plan.len(), entries.len());
        for w in plan.windows(2) {
            assert!(w[0].index() < w[1].index(), "{plan:?}");
        }
        for (p, e) in plan.iter().zip(entries) {
            match *p {
                Place::Write(i) => assert!(live[i as usize].is_none(), "{p:?} is live"),
                Place::Reuse(i) => assert_eq!(live[i as usize].as_ref(), Some(e)),
            }
        }
    }

    /// Most reuses by trying every increasing choice (small cases only).
    fn brute(live: &[Option<TcamEntry>], entries: &[TcamEntry], x: usize) -> Option<usize> {
        let Some((e, rest)) = entries.split_first() else {
            return Some(0);
        };
        (x..live.len())
            .filter_map(|i| match &live[i] {
                None => brute(live, rest, i + 1),
                Some(l) if l == e => brute(live, rest, i + 1).map(|r| r + 1),
                Some(_) => None,
            })
            .max()
    }

    #[test]
    fn a_reordered_set_reuses_what_the_order_allows() {
        // Live: a b c at 0..3, free 3..6. New order c a b: c comes first, so a and b must sit
        // after it; c is reused at 2 and a, b are written at 3, 4 (a and b reused at 0, 1 would
        // need c before index 0).
        let live = vec![
            Some(entry(1)),
            Some(entry(2)),
            Some(entry(3)),
            None,
            None,
            None,
        ];
        let plan = ordered(&live, &[entry(3), entry(1), entry(2)]).unwrap();
        assert_eq!(
            plan,
            vec![Place::Reuse(2), Place::Write(3), Place::Write(4)]
        );
        let plan = ordered(&live, &[entry(1), entry(2), entry(3)]).unwrap();
        assert_eq!(
            plan,
            vec![Place::Reuse(0), Place::Reuse(1), Place::Reuse(2)]
        );
        let plan = ordered(&live, &[entry(1), entry(2), entry(4), entry(3)]).unwrap();
        assert_eq!(
            plan,
            vec![
                Place::Reuse(0),
                Place::Reuse(1),
                Place::Write(3),
                Place::Write(4)
            ]
        );
    }

    #[test]
    fn too_few_free_entries_is_none() {
        let live = vec![Some(entry(1)), None];
        assert_eq!(ordered(&live, &[entry(2), entry(3)]), None);
        assert_eq!(
            ordered(&live, &[entry(1), entry(3)]),
            Some(vec![Place::Reuse(0), Place::Write(1)])
        );
    }

    proptest! {
        #[test]
        fn plans_are_valid_and_reuse_the_most(
            live in proptest::collection::vec(proptest::option::of(0u8..4), 0..9),
            new in proptest::collection::vec(0u8..4, 0..7),
        ) {
            let live: Vec<Option<TcamEntry>> = live.into_iter().map(|v| v.map(entry)).collect();
            let new: Vec<TcamEntry> = new.into_iter().map(entry).collect();
            let want = brute(&live, &new, 0);
            match ordered(&live, &new) {
                Some(plan) => {
                    valid(&live, &new, &plan);
                    let reused = plan.iter().filter(|p| matches!(p, Place::Reuse(_))).count();
                    prop_assert_eq!(Some(reused), want);
                }
                None => prop_assert_eq!(want, None),
            }
        }
    }
}
