//! TCAM entries, rule planes and the lookup "highest PRIO, ties to the lowest index, only
//! entries of the active plane" (docs/timing.md, f2).
//!
//! The hardware compares all N entries in parallel. The model answers the same question with a
//! ranked index over the active plane ([`crate::index`]), rebuilt lazily after the active
//! entries change. While the active set keeps changing it scans instead, and rebuilds once the
//! scans have cost about as much as a rebuild would.

use gufc_regmap::{key, Action, TcamEntry, KEY_WORDS};

use crate::index::RankedIndex;

/// One TCAM entry as stored: the entry, the action word exactly as written, and its planes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TcamSlot {
    pub entry: TcamEntry,
    pub action_word: u32,
    pub planes: u8,
}

impl Default for TcamSlot {
    fn default() -> Self {
        TcamSlot {
            entry: TcamEntry {
                value: [0; KEY_WORDS],
                mask: [0; KEY_WORDS],
                sport: (0, 0),
                dport: (0, 0),
                prio: 0,
                action: Action::Deliver { channel: 0 },
            },
            action_word: 0,
            planes: 0,
        }
    }
}

/// How the model finds the winning TCAM entry. All strategies give the same answer; they exist
/// so tests and benchmarks can exercise each path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TcamStrategy {
    /// Index when it pays off, scan otherwise (the default).
    #[default]
    Auto,
    /// Always scan every entry.
    Scan,
    /// Always use the index, rebuilding it at the first lookup after any change.
    Index,
}

/// Does `w` (key words with locality bits) match `e`?
#[inline]
pub(crate) fn entry_matches(e: &TcamEntry, w: &[u32; KEY_WORDS]) -> bool {
    let sport = w[key::PORTS] as u16;
    let dport = (w[key::PORTS] >> 16) as u16;
    (0..KEY_WORDS).all(|i| (w[i] ^ e.value[i]) & e.mask[i] == 0)
        && e.sport.0 <= sport
        && sport <= e.sport.1
        && e.dport.0 <= dport
        && dport <= e.dport.1
}

pub(crate) struct Tcam {
    pub slots: Vec<TcamSlot>,
    pub active_plane: u8,
    strategy: TcamStrategy,
    /// The active entries changed since `ranked` was built.
    dirty: bool,
    /// Lookups answered by a scan since the active set last changed.
    dirty_scans: u64,
    ranked: RankedIndex,
}

/// Below this many active entries a scan of the ranked list beats the index.
const SMALL_TABLE: usize = 24;

impl Tcam {
    pub fn new(entries: u32) -> Tcam {
        Tcam {
            slots: vec![TcamSlot::default(); entries as usize],
            active_plane: 0,
            strategy: TcamStrategy::Auto,
            dirty: true,
            dirty_scans: 0,
            ranked: RankedIndex::default(),
        }
    }

    pub fn reset(&mut self) {
        self.slots.fill(TcamSlot::default());
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

    /// Replaces entry `i`; only a change that touches the active plane invalidates the index.
    pub fn write(&mut self, i: usize, slot: TcamSlot) {
        let bit = self.active_bit();
        if (self.slots[i].planes | slot.planes) & bit != 0 {
            self.mark_dirty();
        }
        self.slots[i] = slot;
    }

    pub fn set_planes(&mut self, i: usize, planes: u8) {
        let bit = self.active_bit();
        if (self.slots[i].planes | planes) & bit != 0 {
            self.mark_dirty();
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
                    if self.dirty_scans < 8 + self.slots.len() as u64 / 256 {
                        return self.full_scan(w);
                    }
                    self.rebuild();
                }
                if self.ranked.len() <= SMALL_TABLE {
                    return self.ranked.scan(&self.slots, w);
                }
            }
        }
        self.ranked.lookup(&self.slots, w)
    }

    fn rebuild(&mut self) {
        let bit = self.active_bit();
        self.ranked.rebuild(&self.slots, bit);
        self.dirty = false;
        self.dirty_scans = 0;
    }

    /// What the hardware does: every active entry compared, highest PRIO, then lowest index.
    fn full_scan(&self, w: &[u32; KEY_WORDS]) -> Option<u32> {
        let bit = self.active_bit();
        let mut best: Option<(u16, u32)> = None;
        for (i, s) in self.slots.iter().enumerate() {
            if s.planes & bit != 0
                && best.is_none_or(|(p, _)| s.entry.prio > p)
                && entry_matches(&s.entry, w)
            {
                best = Some((s.entry.prio, i as u32));
            }
        }
        best.map(|(_, i)| i)
    }
}
