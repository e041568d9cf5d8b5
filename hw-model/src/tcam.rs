//! TCAM entries, rule planes and the lookup: of the active plane's matching entries the one of
//! lowest rank wins ([`crate::winner`]: RTL 1.x's "highest PRIO, ties to the lowest index";
//! docs/timing.md, f2).
//!
//! The hardware compares all N entries in parallel. The model answers the same question with a
//! ranked index over the active plane ([`crate::index`]). A few active entries changed since
//! the index was built are kept aside (the index skips them, they are compared directly); after
//! more changes, or a COMMIT, the index is rebuilt lazily: the model scans until the scans have
//! cost about as much as a rebuild, then rebuilds.

use gufc_regmap::{Action, KEY_WORDS};

use crate::index::RankedIndex;
use crate::slot::TcamSlot;
use crate::winner::rank;

/// How the model finds the winning TCAM entry. All strategies give the same answer; they exist
/// so tests and benchmarks can exercise each path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TcamStrategy {
    /// Index when it pays off, scan otherwise (the default).
    #[default]
    Auto,
    /// Always scan every entry.
    Scan,
    /// Always use the index, rebuilding it at the first lookup after it went out of date.
    Index,
}

pub(crate) struct Tcam {
    /// Changed only through [`Tcam::write`] and [`Tcam::set_planes`].
    pub slots: Vec<TcamSlot>,
    /// Each entry's action, packed apart from the entries so the decision stays in cache.
    actions: Vec<Action>,
    pub active_plane: u8,
    strategy: TcamStrategy,
    /// The active entries changed since `ranked` was built.
    dirty: bool,
    /// Lookups answered by a scan since the active set last changed.
    dirty_scans: u64,
    ranked: RankedIndex,
    /// Active-plane entries changed since `ranked` was built.
    changed: Changed,
    /// Compares spent on changed entries since the last build; when they add up to a build,
    /// the index is rebuilt (so frequent updates cost at most about twice the best choice).
    changed_cost: u64,
}

/// Entries the index must skip because they changed after it was built.
struct Changed {
    list: Vec<u32>,
    /// Bit i: entry i is in `list`.
    bits: Vec<u64>,
}

/// Changed entries kept beside the index at most; more make the index out of date.
const MAX_CHANGED: usize = 1024;

/// An index build costs about this many entry compares per active entry (measured on
/// ClassBench 10K: ~30 ms for 10K entries, ~5 ns a compare).
const BUILD_COMPARES_PER_ENTRY: u64 = 600;

/// Below this many active entries a scan of the ranked list beats the index.
const SMALL_TABLE: usize = 24;

impl Tcam {
    pub fn new(entries: u32) -> Tcam {
        Tcam {
            slots: vec![TcamSlot::default(); entries as usize],
            actions: vec![TcamSlot::default().entry.action; entries as usize],
            active_plane: 0,
            strategy: TcamStrategy::Auto,
            dirty: true,
            dirty_scans: 0,
            ranked: RankedIndex::default(),
            changed_cost: 0,
            changed: Changed {
                list: Vec::with_capacity(MAX_CHANGED),
                bits: vec![0; (entries as usize).div_ceil(64)],
            },
        }
    }

    pub fn reset(&mut self) {
        self.slots.fill(TcamSlot::default());
        self.actions.fill(TcamSlot::default().entry.action);
        self.active_plane = 0;
        self.mark_dirty();
    }

    pub fn set_strategy(&mut self, s: TcamStrategy) {
        self.strategy = s;
    }

    fn active_bit(&self) -> u8 {
        1 << self.active_plane
    }

    fn mark_dirty(&mut self) {
        self.dirty = true;
        self.dirty_scans = 0;
    }

    /// Entry `i` of the active plane changed (or joined or left it).
    fn active_changed(&mut self, i: usize) {
        if self.dirty || self.changed.bits[i / 64] >> (i % 64) & 1 != 0 {
            return;
        }
        if self.changed.list.len() < MAX_CHANGED {
            self.changed.list.push(i as u32);
            self.changed.bits[i / 64] |= 1 << (i % 64);
        } else {
            self.mark_dirty();
        }
    }

    /// Replaces entry `i`; only a change that touches the active plane affects the index.
    pub fn write(&mut self, i: usize, slot: TcamSlot) {
        let bit = self.active_bit();
        if (self.slots[i].planes | slot.planes) & bit != 0 {
            self.active_changed(i);
            if !self.dirty {
                self.ranked.update(i as u32, &self.slots[i], &slot);
            }
        }
        self.slots[i] = slot;
        self.actions[i] = slot.entry.action;
    }

    /// The index structures built over the current active set.
    pub fn index_builds(&self) -> Vec<crate::index::IndexBuild> {
        self.ranked.stats()
    }

    /// Entry `i`'s action.
    pub fn action(&self, i: u32) -> Action {
        self.actions[i as usize]
    }

    pub fn set_planes(&mut self, i: usize, planes: u8) {
        let bit = self.active_bit();
        if (self.slots[i].planes | planes) & bit != 0 {
            self.active_changed(i);
            if !self.dirty {
                let new = TcamSlot {
                    planes,
                    ..self.slots[i]
                };
                self.ranked.update(i as u32, &self.slots[i], &new);
            }
        }
        self.slots[i].planes = planes;
    }

    pub fn flip_plane(&mut self) {
        self.active_plane ^= 1;
        self.mark_dirty();
    }

    /// The winning entry for key words `w` (locality bits included), if any.
    pub fn lookup(&mut self, w: &[u32; KEY_WORDS]) -> Option<u32> {
        match self.strategy {
            TcamStrategy::Scan => return self.full_scan(w),
            TcamStrategy::Index => {
                if self.dirty {
                    self.rebuild();
                }
            }
            TcamStrategy::Auto => {
                if self.dirty {
                    // Ski rental: scan until the scans cost about one rebuild, then rebuild.
                    self.dirty_scans += 1;
                    // An index build over N entries costs about N/16 scans of them (measured on ClassBench).
                    if self.dirty_scans < 16 + self.slots.len() as u64 / 16 {
                        return self.full_scan(w);
                    }
                    self.rebuild();
                }
            }
        }
        let small = self.strategy == TcamStrategy::Auto && self.ranked.len() <= SMALL_TABLE;
        if !small {
            // IPv4 keys: the forest is current, changed entries included.
            if let Some(hit) = self.ranked.tree_lookup(&self.slots, w) {
                return hit;
            }
        }
        self.changed_cost += self.changed.list.len() as u64;
        if self.changed_cost > BUILD_COMPARES_PER_ENTRY * (self.ranked.len() as u64 + 64) {
            self.rebuild();
        }
        let skip = &self.changed.bits;
        let indexed = if self.strategy == TcamStrategy::Auto && self.ranked.len() <= SMALL_TABLE {
            self.ranked.scan(&self.slots, w, skip)
        } else {
            self.ranked.lookup(&self.slots, w, skip)
        };
        // The changed entries as they are now.
        let bit = self.active_bit();
        let mut best = indexed.map(|i| (rank(self.slots[i as usize].entry.prio, i), i));
        for &i in &self.changed.list {
            let e = &self.slots[i as usize];
            if e.planes & bit != 0
                && best.is_none_or(|(r, _)| rank(e.entry.prio, i) < r)
                && e.entry.matches_words(w)
            {
                best = Some((rank(e.entry.prio, i), i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// Gets the index ready for [`Tcam::lookup_batch_shared`] of `n` keys, IPv4 ones if `v4`,
    /// IPv6 ones if `v6`, all of them IPv4 keys the forest answers if `forest_only`; false
    /// when lookups must go through [`Tcam::lookup`] instead (scan strategy, a batch too small
    /// to pay a build, or changed entries kept beside an index that is not the forest).
    pub fn prepare_shared(&mut self, n: usize, v4: bool, v6: bool, forest_only: bool) -> bool {
        if self.strategy == TcamStrategy::Auto && self.dirty {
            // The ski rental of `lookup` for the whole batch at once: scanning it costs
            // about n × N entry compares, a build about BUILD_COMPARES_PER_ENTRY per active
            // entry.
            let bit = self.active_bit();
            let active = self.slots.iter().filter(|s| s.planes & bit != 0).count() as u64;
            let scans = (self.dirty_scans + n as u64) * self.slots.len() as u64;
            if scans >= BUILD_COMPARES_PER_ENTRY * active {
                self.rebuild();
            }
        }
        let ready = match self.strategy {
            TcamStrategy::Scan => false,
            TcamStrategy::Index => true,
            TcamStrategy::Auto => !self.dirty && self.ranked.len() > SMALL_TABLE,
        };
        if !ready {
            return false;
        }
        if self.dirty {
            self.rebuild();
        }
        self.ranked.prepare(&self.slots, v4, v6);
        self.changed.list.is_empty() || (forest_only && self.ranked.tree_ok())
    }

    /// The winners of `ws` with the index as [`Tcam::prepare_shared`] left it; takes `&self`,
    /// so several threads may look up at once.
    pub fn lookup_batch_shared(&self, ws: &[[u32; KEY_WORDS]], out: &mut [Option<u32>]) {
        self.ranked
            .lookup_batch_ready(&self.slots, ws, &self.changed.bits, out);
    }

    fn rebuild(&mut self) {
        let bit = self.active_bit();
        self.ranked.rebuild(&self.slots, bit);
        self.dirty = false;
        self.dirty_scans = 0;
        for &i in &self.changed.list {
            self.changed.bits[i as usize / 64] = 0;
        }
        self.changed.list.clear();
        self.changed_cost = 0;
    }

    /// What the hardware does: every active entry compared, the lowest rank wins.
    fn full_scan(&self, w: &[u32; KEY_WORDS]) -> Option<u32> {
        let bit = self.active_bit();
        let mut best: Option<(u64, u32)> = None;
        for (i, s) in self.slots.iter().enumerate() {
            let r = rank(s.entry.prio, i as u32);
            if s.planes & bit != 0 && best.is_none_or(|(b, _)| r < b) && s.entry.matches_words(w) {
                best = Some((r, i as u32));
            }
        }
        best.map(|(_, i)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::{entry, key_near};
    use proptest::prelude::*;

    /// One step of a test program.
    #[derive(Clone, Debug)]
    enum Op {
        Write(prop::sample::Index, gufc_regmap::TcamEntry, u8),
        SetPlanes(prop::sample::Index, u8),
        Flip,
        /// Keys near these entries, looked up one by one and as a batch.
        Lookup(Vec<(prop::sample::Index, [u32; KEY_WORDS], bool)>),
    }

    fn op() -> impl Strategy<Value = Op> {
        let keys = prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::array::uniform10(any::<u32>()),
                prop::bool::weighted(0.1),
            ),
            1..24,
        );
        prop_oneof![
            6 => (any::<prop::sample::Index>(), entry(), 0u8..4).prop_map(|(i, e, p)| Op::Write(i, e, p)),
            2 => (any::<prop::sample::Index>(), 0u8..4).prop_map(|(i, p)| Op::SetPlanes(i, p)),
            1 => Just(Op::Flip),
            4 => keys.prop_map(Op::Lookup),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Entry writes and plane changes between lookups (the forest updated in place, the
        /// other structures skipping changed entries) never change an answer: every lookup,
        /// single or batched, equals the scan of every entry.
        #[test]
        fn updates_under_traffic_equal_scan(
            n in 1usize..160,
            strategy in prop::sample::select(vec![TcamStrategy::Auto, TcamStrategy::Index]),
            ops in prop::collection::vec(op(), 1..80),
        ) {
            let mut t = Tcam::new(n as u32);
            t.set_strategy(strategy);
            // Every entry ever written: keys are drawn near old contents too, where a stale
            // copy left in the index would answer.
            let mut pool = vec![t.slots[0].entry];
            for op in ops {
                match op {
                    Op::Write(i, e, planes) => {
                        pool.push(e);
                        let slot = TcamSlot {
                            entry: e,
                            action_word: e.action.encode(),
                            planes,
                        };
                        t.write(i.index(n), slot);
                    }
                    Op::SetPlanes(i, p) => t.set_planes(i.index(n), p),
                    Op::Flip => t.flip_plane(),
                    Op::Lookup(keys) => {
                        let ws: Vec<[u32; KEY_WORDS]> = keys
                            .iter()
                            .map(|(from, noise, v6)| {
                                key_near(&pool[from.index(pool.len())], noise, *v6, true)
                            })
                            .collect();
                        let want: Vec<Option<u32>> = ws.iter().map(|w| t.full_scan(w)).collect();
                        let single: Vec<Option<u32>> = ws.iter().map(|w| t.lookup(w)).collect();
                        prop_assert_eq!(&single, &want);
                        let forest_only = ws.iter().all(|w| {
                            !gufc_regmap::word::Meta::from_raw(w[gufc_regmap::key::META]).ipv6()
                        });
                        if t.prepare_shared(ws.len(), true, true, forest_only) {
                            let mut got = vec![None; ws.len()];
                            t.lookup_batch_shared(&ws, &mut got);
                            prop_assert_eq!(got, want);
                        }
                    }
                }
            }
        }
    }
}
