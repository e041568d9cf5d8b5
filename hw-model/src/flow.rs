//! The exact-match flow cache: B buckets of W slots, each key looked up in its two buckets
//! from `gufc_regmap::bucket_pair` (docs/timing.md, f2).

use gufc_regmap::word::{self, FlowInterest};
use gufc_regmap::{buckets_of_fold, fold, Action, KEY_WORDS};

/// One flow slot. An invalid slot is all zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlowSlot {
    pub valid: bool,
    /// Key words with META's locality bits cleared.
    pub key: [u32; KEY_WORDS],
    pub action_word: word::Action,
    pub action: Action,
    pub pinned: bool,
    pub epoch: u8,
    pub hit: bool,
    pub last_hit: u32,
    /// The FLOW_INTEREST word: which packets of a current hit still go to the host.
    pub interest: FlowInterest,
}

impl Default for FlowSlot {
    fn default() -> Self {
        FlowSlot {
            valid: false,
            key: [0; KEY_WORDS],
            action_word: word::Action::new(),
            action: Action::Deliver { channel: 0 },
            pinned: false,
            epoch: 0,
            hit: false,
            last_hit: 0,
            interest: FlowInterest::new(),
        }
    }
}

impl FlowSlot {
    /// The entry decides (is not stale) under rule-set epoch `epoch`.
    pub fn current(&self, epoch: u8) -> bool {
        self.pinned || self.epoch == epoch
    }
}

pub(crate) struct FlowCache {
    /// Key, validity and action change only through [`FlowCache::put`]; hit state and epoch
    /// may be changed in place.
    pub slots: Vec<FlowSlot>,
    /// Per slot: the key's hash with bit 0 set, or 0 for an invalid slot. A bucket's tags share
    /// a cache line, so a lookup compares full keys only where the tag agrees.
    tags: Vec<u32>,
    ways: usize,
    log2_buckets: u32,
    /// Valid slots: with none, a lookup skips the hash (the answer is "no entry" either way).
    valid: usize,
}

impl FlowCache {
    pub fn new(buckets: u32, ways: u32) -> FlowCache {
        FlowCache {
            slots: vec![FlowSlot::default(); (buckets * ways) as usize],
            tags: vec![0; (buckets * ways) as usize],
            ways: ways as usize,
            log2_buckets: buckets.trailing_zeros(),
            valid: 0,
        }
    }

    pub fn reset(&mut self) {
        self.slots.fill(FlowSlot::default());
        self.tags.fill(0);
        self.valid = 0;
    }

    /// Replaces slot `i`.
    pub fn put(&mut self, i: usize, slot: FlowSlot) {
        self.valid = self.valid + slot.valid as usize - self.slots[i].valid as usize;
        self.tags[i] = if slot.valid { fold(&slot.key) | 1 } else { 0 };
        self.slots[i] = slot;
    }

    /// The first valid slot of bucket b1, then b2, whose key equals `w` (locality bits cleared).
    pub fn lookup(&self, w: &[u32; KEY_WORDS]) -> Option<u32> {
        if self.valid == 0 {
            return None;
        }
        let x = fold(w);
        let tag = x | 1;
        let (b1, b2) = buckets_of_fold(x, self.log2_buckets);
        for b in [b1, b2] {
            let base = b as usize * self.ways;
            for s in base..base + self.ways {
                if self.tags[s] == tag && self.slots[s].key == *w {
                    debug_assert!(self.slots[s].valid);
                    return Some(s as u32);
                }
            }
        }
        None
    }
}
