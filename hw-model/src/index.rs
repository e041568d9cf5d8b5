//! Ranked bit-vector index over the active plane's TCAM entries.
//!
//! Active entries are ranked by (PRIO descending, index ascending), so the hardware's winner is
//! the first match in rank order. Per key field there is one bitmap (bit r = entry of rank r
//! may match) per elementary interval of the field's value space; a lookup binary-searches each
//! field, ANDs the bitmaps word by word and stops at the first non-zero word. Fields whose
//! masks are not prefix-shaped get the hull interval of the mask, a superset, so every
//! candidate is confirmed with the exact entry compare: the index can only make the answer
//! faster, never different.
//!
//! Keys fall into three domains with their own index, built on first use:
//! IPv4 keys with zero upper address words (addresses projected to 32 bits, so an IPv4 prefix
//! is an interval whatever the entry does with the upper words), IPv6 keys (128-bit
//! addresses), and anything else (IPv4 keys with junk in the upper words), which is scanned.

use std::collections::HashMap;

use gufc_regmap::{key, meta, KEY_WORDS};

use crate::tcam::{entry_matches, TcamSlot};

/// Bitmap words ANDed per step of the lookup loop; bitmaps are padded to a multiple.
const CHUNK: usize = 4;

/// Memory one field's bitmaps may take before elementary intervals are merged into groups.
const DIM_BUDGET_BYTES: usize = 32 << 20;

/// Active entries in rank order plus the per-domain bitmap indexes.
#[derive(Default)]
pub(crate) struct RankedIndex {
    ranked: Vec<u32>,
    v4: Option<Domain>,
    v6: Option<Domain>,
}

impl RankedIndex {
    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    pub fn rebuild(&mut self, slots: &[TcamSlot], plane_bit: u8) {
        self.ranked.clear();
        self.ranked.extend((0..slots.len() as u32).filter(|&i| slots[i as usize].planes & plane_bit != 0));
        self.ranked.sort_by_key(|&i| (std::cmp::Reverse(slots[i as usize].entry.prio), i));
        self.v4 = None;
        self.v6 = None;
    }

    /// First match in rank order.
    pub fn scan(&self, slots: &[TcamSlot], w: &[u32; KEY_WORDS]) -> Option<u32> {
        self.ranked.iter().copied().find(|&i| entry_matches(&slots[i as usize].entry, w))
    }

    pub fn lookup(&mut self, slots: &[TcamSlot], w: &[u32; KEY_WORDS]) -> Option<u32> {
        let kind = if meta::IPV6.get(w[key::META]) != 0 {
            Kind::V6
        } else if w[1..4].iter().chain(&w[5..8]).all(|&x| x == 0) {
            Kind::V4
        } else {
            return self.scan(slots, w);
        };
        let (cache, ranked) = match kind {
            Kind::V4 => (&mut self.v4, &self.ranked),
            Kind::V6 => (&mut self.v6, &self.ranked),
        };
        cache.get_or_insert_with(|| Domain::build(slots, ranked, kind, DIM_BUDGET_BYTES)).lookup(slots, w)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// IPv4 keys whose upper address words are zero.
    V4,
    /// IPv6 keys.
    V6,
}

/// A key field an interval dimension works on.
#[derive(Clone, Copy)]
enum Field {
    Src,
    Dst,
    Sport,
    Dport,
}

/// The index of one key domain.
struct Domain {
    kind: Kind,
    /// Rank position → TCAM index (the domain's entries, in rank order).
    order: Vec<u32>,
    words: usize,
    dims: [Dim; 4],
    /// META (11 bits) → offset of its bitmap in `meta_bitmaps`.
    meta_table: Vec<u32>,
    meta_bitmaps: Bitmaps,
    /// Ranks whose entry is exactly described by the fields' intervals (prefix-shaped masks):
    /// a candidate there needs no confirming compare.
    exact: Vec<u64>,
}

/// Elementary intervals of one field and a bitmap per (group of) interval(s).
struct Dim {
    field: Field,
    /// Sorted start points of the elementary intervals; the first is 0.
    points: Points,
    /// log2 of the number of consecutive intervals that share a bitmap.
    group_shift: u32,
    /// Per group: offset of its bitmap in `bitmaps`.
    group_bitmap: Vec<u32>,
    bitmaps: Bitmaps,
}

fn field_value(kind: Kind, f: Field, w: &[u32; KEY_WORDS]) -> u128 {
    let wide = |base: usize| (0..4).fold(0u128, |a, j| a | (w[base + j] as u128) << (32 * j));
    match (kind, f) {
        (Kind::V4, Field::Src) => w[key::SRC0] as u128,
        (Kind::V4, Field::Dst) => w[key::DST0] as u128,
        (Kind::V6, Field::Src) => wide(key::SRC0),
        (Kind::V6, Field::Dst) => wide(key::DST0),
        (_, Field::Sport) => (w[key::PORTS] & 0xFFFF) as u128,
        (_, Field::Dport) => (w[key::PORTS] >> 16) as u128,
    }
}

/// The smallest interval holding every value `x` with `(x ^ value) & mask == 0` in `bits`
/// bits; exact when the mask is a prefix.
fn hull(value: u128, mask: u128, bits: u32) -> (u128, u128) {
    let full = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    (value & mask & full, (value | !mask) & full)
}

/// The interval of values entry `e` can match in field `f`, or `None` if it can match no key
/// of this domain.
fn entry_interval(kind: Kind, f: Field, e: &gufc_regmap::TcamEntry) -> Option<(u128, u128)> {
    let v = &e.value;
    let m = &e.mask;
    let wide = |x: &[u32; KEY_WORDS], base: usize| (0..4).fold(0u128, |a, j| a | (x[base + j] as u128) << (32 * j));
    let port = |shift: u32, (lo, hi): (u16, u16)| {
        let (a, b) = hull((v[key::PORTS] >> shift) as u128 & 0xFFFF, (m[key::PORTS] >> shift) as u128 & 0xFFFF, 16);
        let (a, b) = (a.max(lo as u128), b.min(hi as u128));
        (a <= b).then_some((a, b))
    };
    match (kind, f) {
        (Kind::V4, Field::Src) => Some(hull(v[key::SRC0] as u128, m[key::SRC0] as u128, 32)),
        (Kind::V4, Field::Dst) => Some(hull(v[key::DST0] as u128, m[key::DST0] as u128, 32)),
        (Kind::V6, Field::Src) => Some(hull(wide(v, key::SRC0), wide(m, key::SRC0), 128)),
        (Kind::V6, Field::Dst) => Some(hull(wide(v, key::DST0), wide(m, key::DST0), 128)),
        (_, Field::Sport) => port(0, e.sport),
        (_, Field::Dport) => port(16, e.dport),
    }
}

/// Is `m` (within `bits` bits) a prefix mask: ones from the top, then zeros?
fn prefix_shaped(m: u128, bits: u32) -> bool {
    let full = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    let inv = !m & full;
    inv & inv.wrapping_add(1) == 0
}

/// Do the domain's intervals describe entry `e` exactly (no confirming compare needed)?
/// Then every field's mask is prefix-shaped in the domain's projection; META is always exact.
fn exactly_indexed(kind: Kind, e: &gufc_regmap::TcamEntry) -> bool {
    let m = &e.mask;
    let wide = |base: usize| (0..4).fold(0u128, |a, j| a | (m[base + j] as u128) << (32 * j));
    let ports = prefix_shaped((m[key::PORTS] & 0xFFFF) as u128, 16) && prefix_shaped((m[key::PORTS] >> 16) as u128, 16);
    ports
        && match kind {
            // Upper words: in_domain() already required the entry to accept zeros there.
            Kind::V4 => prefix_shaped(m[key::SRC0] as u128, 32) && prefix_shaped(m[key::DST0] as u128, 32),
            Kind::V6 => prefix_shaped(wide(key::SRC0), 128) && prefix_shaped(wide(key::DST0), 128),
        }
}

/// Can entry `e` match some key of domain `kind` at all (upper words, family bit)?
fn in_domain(kind: Kind, e: &gufc_regmap::TcamEntry) -> bool {
    let fam = meta::IPV6.mask();
    let exact_family = e.mask[key::META] & fam != 0;
    let v6_only = exact_family && e.value[key::META] & fam != 0;
    match kind {
        // Upper words of the key are zero: the entry must want zero there.
        Kind::V4 => !v6_only && e.value[1..4].iter().chain(&e.value[5..8]).all(|&x| x == 0),
        Kind::V6 => !(exact_family && !v6_only),
    }
}

/// Deduplicated bitmap storage: identical bitmaps are stored once.
struct BitmapStore {
    words: usize,
    data: Vec<u64>,
    seen: HashMap<Vec<u64>, u32>,
    /// Set bits per stored bitmap (by offset / words): the sparsest field leads the AND.
    pops: Vec<u32>,
}

/// The stored bitmaps of one field with their popcounts.
struct Bitmaps {
    words: usize,
    data: Vec<u64>,
    pops: Vec<u32>,
}

impl Bitmaps {
    #[inline]
    fn get(&self, off: u32) -> (&[u64], u32) {
        let off = off as usize;
        (&self.data[off..off + self.words], self.pops[off / self.words])
    }
}

impl BitmapStore {
    fn new(words: usize) -> BitmapStore {
        BitmapStore { words, data: Vec::new(), seen: HashMap::new(), pops: Vec::new() }
    }

    /// Offset of a bitmap equal to `b` in the store.
    fn intern(&mut self, b: &[u64]) -> u32 {
        if let Some(&off) = self.seen.get(b) {
            return off;
        }
        let off = self.data.len() as u32;
        self.data.extend_from_slice(b);
        self.pops.push(b.iter().map(|w| w.count_ones()).sum());
        self.seen.insert(b.to_vec(), off);
        off
    }

    fn finish(self) -> Bitmaps {
        Bitmaps { words: self.words, data: self.data, pops: self.pops }
    }
}

fn set_bit(b: &mut [u64], r: usize) {
    b[r / 64] |= 1 << (r % 64);
}

fn clear_bit(b: &mut [u64], r: usize) {
    b[r / 64] &= !(1 << (r % 64));
}

impl Dim {
    /// Sweeps the entries' intervals (indexed by rank) into per-interval bitmaps.
    fn build(field: Field, ivs: &[(u128, u128)], words: usize, budget: usize, max: u128) -> Dim {
        let mut points: Vec<u128> = Vec::with_capacity(2 * ivs.len() + 1);
        points.push(0);
        for &(lo, hi) in ivs {
            points.push(lo);
            if hi < max {
                points.push(hi + 1);
            }
        }
        points.sort_unstable();
        points.dedup();
        let idx = |x: u128| points.partition_point(|&p| p <= x) - 1;
        // Entries starting / ending at each point.
        let mut starts: Vec<(usize, usize)> = ivs.iter().enumerate().map(|(r, &(lo, _))| (idx(lo), r)).collect();
        let mut ends: Vec<(usize, usize)> = ivs
            .iter()
            .enumerate()
            .filter(|(_, &(_, hi))| hi < max)
            .map(|(r, &(_, hi))| (idx(hi + 1), r))
            .collect();
        starts.sort_unstable();
        ends.sort_unstable();
        let bytes_per = words * 8;
        let mut group_shift = 0;
        while (points.len() >> group_shift) * bytes_per > budget {
            group_shift += 1;
        }
        let groups = ((points.len() - 1) >> group_shift) + 1;
        let mut store = BitmapStore::new(words);
        let mut group_bitmap = Vec::with_capacity(groups);
        let mut cur = vec![0u64; words];
        let mut group = vec![0u64; words];
        let (mut si, mut ei) = (0, 0);
        for k in 0..points.len() {
            if k & ((1 << group_shift) - 1) == 0 && k > 0 {
                group_bitmap.push(store.intern(&group));
            }
            while ei < ends.len() && ends[ei].0 == k {
                clear_bit(&mut cur, ends[ei].1);
                ei += 1;
            }
            if k & ((1 << group_shift) - 1) == 0 {
                group.copy_from_slice(&cur);
            }
            while si < starts.len() && starts[si].0 == k {
                set_bit(&mut cur, starts[si].1);
                set_bit(&mut group, starts[si].1);
                si += 1;
            }
        }
        group_bitmap.push(store.intern(&group));
        debug_assert_eq!(group_bitmap.len(), groups);
        let points = Points::new(points, max);
        Dim { field, points, group_shift, group_bitmap, bitmaps: store.finish() }
    }

    /// The bitmap for field value `x`, with its popcount.
    #[inline]
    fn bitmap(&self, x: u128) -> (&[u64], u32) {
        let k = self.points.interval(x);
        self.bitmaps.get(self.group_bitmap[k >> self.group_shift])
    }
}

/// Largest value of field `f` in domain `kind` (IPv4 addresses are projected to 32 bits).
fn field_max(kind: Kind, f: Field) -> u128 {
    match (kind, f) {
        (_, Field::Sport | Field::Dport) => u16::MAX as u128,
        (Kind::V4, _) => u32::MAX as u128,
        (Kind::V6, _) => u128::MAX,
    }
}

/// Sorted interval start points with a fast "which interval holds x".
enum Points {
    /// Fields of at most 32 bits: `top[t]` is the interval holding `t << shift`, so a search
    /// only looks at the points between `top[t]` and `top[t + 1]`.
    Narrow { points: Vec<u32>, top: Vec<u32>, shift: u32 },
    Wide(Vec<u128>),
}

impl Points {
    /// `max` is the largest value the field can take.
    fn new(points: Vec<u128>, max: u128) -> Points {
        if max > u32::MAX as u128 {
            return Points::Wide(points);
        }
        let bits = if max > u16::MAX as u128 { 32 } else { 16 };
        let top_bits = if bits == 32 { 16 } else { 12 };
        let shift = bits - top_bits;
        let points: Vec<u32> = points.into_iter().map(|p| p as u32).collect();
        let top = (0..=1u64 << top_bits)
            .map(|t| {
                let x = (t << shift).min(u32::MAX as u64 + 1);
                (points.partition_point(|&p| (p as u64) <= x) - 1) as u32
            })
            .collect();
        Points::Narrow { points, top, shift }
    }

    /// Index of the elementary interval holding `x`.
    #[inline]
    fn interval(&self, x: u128) -> usize {
        match self {
            Points::Narrow { points, top, shift } => {
                if x > u32::MAX as u128 {
                    return points.len() - 1;
                }
                let x = x as u32;
                let t = (x >> shift) as usize;
                let (lo, hi) = (top[t] as usize, top[t + 1] as usize);
                lo + points[lo + 1..=hi.min(points.len() - 1)].partition_point(|&p| p <= x)
            }
            Points::Wide(points) => points.partition_point(|&p| p <= x) - 1,
        }
    }
}

impl Domain {
    fn build(slots: &[TcamSlot], ranked: &[u32], kind: Kind, budget: usize) -> Domain {
        let fields = [Field::Src, Field::Dst, Field::Sport, Field::Dport];
        let mut order = Vec::with_capacity(ranked.len());
        let mut ivs: [Vec<(u128, u128)>; 4] = Default::default();
        let mut exact_ranks = Vec::with_capacity(ranked.len());
        'entries: for &i in ranked {
            let e = &slots[i as usize].entry;
            if !in_domain(kind, e) {
                continue;
            }
            let mut got = [(0, 0); 4];
            for (g, &f) in got.iter_mut().zip(&fields) {
                match entry_interval(kind, f, e) {
                    Some(iv) => *g = iv,
                    None => continue 'entries,
                }
            }
            exact_ranks.push(exactly_indexed(kind, e));
            order.push(i);
            for (v, g) in ivs.iter_mut().zip(got) {
                v.push(g);
            }
        }
        let words = order.len().div_ceil(64 * CHUNK).max(1) * CHUNK;
        let dims = [0, 1, 2, 3].map(|d| Dim::build(fields[d], &ivs[d], words, budget, field_max(kind, fields[d])));
        let (meta_table, meta_bitmaps) = Self::build_meta(slots, &order, words);
        let mut exact = vec![0u64; words];
        for (r, _) in exact_ranks.iter().enumerate().filter(|(_, &x)| x) {
            set_bit(&mut exact, r);
        }
        Domain { kind, order, words, dims, meta_table, meta_bitmaps, exact }
    }

    /// META is 11 bits: a direct table of bitmaps, built per distinct value/mask pattern.
    fn build_meta(slots: &[TcamSlot], order: &[u32], words: usize) -> (Vec<u32>, Bitmaps) {
        let mut patterns: HashMap<(u32, u32), Vec<u64>> = HashMap::new();
        for (r, &i) in order.iter().enumerate() {
            let e = &slots[i as usize].entry;
            let b = patterns.entry((e.value[key::META], e.mask[key::META])).or_insert_with(|| vec![0; words]);
            set_bit(b, r);
        }
        let patterns: Vec<((u32, u32), Vec<u64>)> = patterns.into_iter().collect();
        let mut store = BitmapStore::new(words);
        let mut by_signature: HashMap<Vec<bool>, u32> = HashMap::new();
        let mut table = Vec::with_capacity(1 << 11);
        let mut acc = vec![0u64; words];
        for v in 0u32..1 << 11 {
            let sig: Vec<bool> = patterns.iter().map(|&((pv, pm), _)| (v ^ pv) & pm == 0).collect();
            let off = match by_signature.get(&sig) {
                Some(&off) => off,
                None => {
                    acc.fill(0);
                    for ((_, b), _) in patterns.iter().zip(&sig).filter(|(_, &s)| s) {
                        for (a, x) in acc.iter_mut().zip(b) {
                            *a |= x;
                        }
                    }
                    let off = store.intern(&acc);
                    by_signature.insert(sig, off);
                    off
                }
            };
            table.push(off);
        }
        (table, store.finish())
    }

    fn lookup(&self, slots: &[TcamSlot], w: &[u32; KEY_WORDS]) -> Option<u32> {
        let words = self.words;
        let d = &self.dims;
        let mut bm = [
            d[0].bitmap(field_value(self.kind, d[0].field, w)),
            d[1].bitmap(field_value(self.kind, d[1].field, w)),
            d[2].bitmap(field_value(self.kind, d[2].field, w)),
            d[3].bitmap(field_value(self.kind, d[3].field, w)),
            self.meta_bitmaps.get(self.meta_table[(w[key::META] & 0x7FF) as usize]),
        ];
        // The sparsest field leads: a chunk where it is empty is skipped after one load.
        let lead = (0..bm.len()).min_by_key(|&i| bm[i].1).unwrap_or(0);
        bm.swap(0, lead);
        let [(a, _), (b, _), (c, _), (e, _), (m, _)] = bm;
        let (a, b, c, e, m) = (&a[..words], &b[..words], &c[..words], &e[..words], &m[..words]);
        // Bitmaps are padded to whole chunks, so the chunk loops have no tail.
        for base in (0..words).step_by(CHUNK) {
            if (base..base + CHUNK).fold(0, |acc, i| acc | a[i]) == 0 {
                continue;
            }
            let and = |i: usize| a[i] & b[i] & c[i] & e[i] & m[i];
            for i in base..base + CHUNK {
                let mut x = and(i);
                while x != 0 {
                    let bit = x.trailing_zeros() as usize;
                    let idx = self.order[i * 64 + bit];
                    if self.exact[i] >> bit & 1 != 0 || entry_matches(&slots[idx as usize].entry, w) {
                        return Some(idx);
                    }
                    x &= x - 1;
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gufc_regmap::{Action, TcamEntry};
    use proptest::prelude::*;

    /// A random entry: per word a random value under a mask that is a prefix, empty, full
    /// or arbitrary; random ranges; few priorities (many ties).
    fn entry() -> impl Strategy<Value = TcamEntry> {
        let mask = prop_oneof![
            3 => (0u32..=32).prop_map(|l| if l == 0 { 0 } else { u32::MAX << (32 - l) }),
            1 => Just(u32::MAX),
            1 => any::<u32>(),
        ];
        let family = prop_oneof![Just((0u32, 0u32)), Just((0, 1 << 10)), Just((1 << 10, 1 << 10))];
        let range = (any::<u16>(), any::<u16>(), any::<bool>())
            .prop_map(|(a, b, full)| if full { (0, u16::MAX) } else { (a.min(b), a.max(b)) });
        (
            prop::array::uniform10(mask),
            prop::array::uniform10(0u32..4),
            family,
            range.clone(),
            range,
            0u16..3,
        )
            .prop_map(|(mut mask, small, (fv, fm), sport, dport, prio)| {
                let mut value = [0u32; KEY_WORDS];
                for i in 0..KEY_WORDS {
                    // values from a small pool so that entries and keys overlap
                    value[i] = (small[i].wrapping_mul(0x4000_0001) ^ 0x0A00_0000) & mask[i];
                }
                mask[key::META] = (mask[key::META] & 0x3FF) | fm;
                value[key::META] = (value[key::META] & mask[key::META] & 0x3FF) | fv;
                if mask[key::META] & 0x300 != 0 && small[8] == 0 {
                    mask[key::PORTS] = 0;
                    value[key::PORTS] = 0;
                }
                TcamEntry { value, mask, sport, dport, prio, action: Action::Drop }
            })
    }

    fn key_near(e: &TcamEntry, noise: &[u32; KEY_WORDS], v6: bool, upper_zero: bool) -> [u32; KEY_WORDS] {
        let mut w = [0u32; KEY_WORDS];
        for i in 0..KEY_WORDS {
            w[i] = e.value[i] | (noise[i] & !e.mask[i]);
        }
        w[key::META] &= 0x3FF;
        w[key::META] |= (v6 as u32) << 10;
        if !v6 && upper_zero {
            for i in [1, 2, 3, 5, 6, 7] {
                w[i] = 0;
            }
        }
        let sp = e.sport.0.wrapping_add((noise[0] % 3) as u16);
        let dp = e.dport.1.wrapping_sub((noise[1] % 3) as u16);
        w[key::PORTS] = sp as u32 | (dp as u32) << 16;
        w
    }

    fn slots_of(entries: &[(TcamEntry, u8)]) -> Vec<TcamSlot> {
        entries.iter().map(|&(entry, planes)| TcamSlot { entry, action_word: 1, planes }).collect()
    }

    fn reference(slots: &[TcamSlot], bit: u8, w: &[u32; KEY_WORDS]) -> Option<u32> {
        let mut best: Option<(u16, u32)> = None;
        for (i, s) in slots.iter().enumerate() {
            if s.planes & bit != 0 && entry_matches(&s.entry, w) && best.is_none_or(|(p, _)| s.entry.prio > p) {
                best = Some((s.entry.prio, i as u32));
            }
        }
        best.map(|b| b.1)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The index gives the scan's answer, with and without merged interval groups.
        #[test]
        fn index_equals_scan(
            entries in prop::collection::vec((entry(), 0u8..4), 0..300),
            keys in prop::collection::vec(
                (any::<prop::sample::Index>(), prop::array::uniform10(any::<u32>()), any::<bool>(), prop::bool::weighted(0.9)),
                1..64),
            budget in prop::sample::select(vec![DIM_BUDGET_BYTES, 64, 8]),
        ) {
            let slots = slots_of(&entries);
            for bit in [1u8, 2] {
                let mut ix = RankedIndex::default();
                ix.rebuild(&slots, bit);
                ix.v4 = Some(Domain::build(&slots, &ix.ranked, Kind::V4, budget));
                ix.v6 = Some(Domain::build(&slots, &ix.ranked, Kind::V6, budget));
                for (from, noise, v6, upper_zero) in &keys {
                    let w = if slots.is_empty() {
                        *noise
                    } else {
                        key_near(&slots[from.index(slots.len())].entry, noise, *v6, *upper_zero)
                    };
                    prop_assert_eq!(ix.lookup(&slots, &w), reference(&slots, bit, &w), "key {:x?}", w);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn debug_stats() {
    use gufc_regmap::{Action, TcamEntry};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/classbench/");
    for set in ["acl1_10K", "fw1_10K", "ipc1_10K"] {
        let text = std::fs::read_to_string(format!("{dir}{set}")).unwrap();
        let pre = |s: &str| { let (a, l) = s.trim_start_matches('@').split_once('/').unwrap(); let a: std::net::Ipv4Addr = a.parse().unwrap(); let l: u32 = l.parse().unwrap(); (u32::from(a), if l == 0 { 0 } else { u32::MAX << (32 - l) }) };
        let slots: Vec<TcamSlot> = text.lines().map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            let (s, sm) = pre(t[0]); let (d, dm) = pre(t[1]);
            let (pv, pm) = t[8].split_once('/').map(|(v, m)| (u32::from_str_radix(&v[2..], 16).unwrap(), u32::from_str_radix(&m[2..], 16).unwrap())).unwrap();
            let mut e = TcamEntry::match_all(0, Action::Drop);
            e.value[0] = s & sm; e.mask[0] = sm; e.value[4] = d & dm; e.mask[4] = dm;
            for w in [1,2,3,5,6,7] { e.mask[w] = u32::MAX; }
            e.mask[8] = 1 << 10 | pm; e.value[8] = pv & pm;
            e.sport = (t[2].parse().unwrap(), t[4].parse().unwrap()); e.dport = (t[5].parse().unwrap(), t[7].parse().unwrap());
            TcamSlot { entry: e, action_word: 0, planes: 1 }
        }).collect();
        let mut ix = RankedIndex::default();
        ix.rebuild(&slots, 1);
        let d = Domain::build(&slots, &ix.ranked, Kind::V4, DIM_BUDGET_BYTES);
        for dim in &d.dims {
            let np = match &dim.points { Points::Narrow { points, .. } => points.len(), Points::Wide(p) => p.len() };
            println!("{set} dim points {np} distinct bitmaps {} MB {:.1}", dim.bitmaps.pops.len(), dim.bitmaps.data.len() as f64 * 8.0 / 1e6);
        }
        let trace = std::fs::read_to_string(format!("{dir}{set}_trace")).unwrap();
        let (mut n, mut pops, mut before, mut words_to) = (0u64, [0u64; 5], 0u64, 0u64);
        for l in trace.lines().step_by(10) {
            let v: Vec<u64> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            let mut w = [0u32; 10];
            w[0] = v[0] as u32; w[4] = v[1] as u32; w[8] = v[4] as u32; w[9] = v[2] as u32 | (v[3] as u32) << 16;
            let winner = (v[5] - 1) as usize;
            let bms: Vec<&[u64]> = (0..4).map(|i| d.dims[i].bitmap(field_value(Kind::V4, d.dims[i].field, &w)).0).chain(std::iter::once(d.meta_bitmaps.get(d.meta_table[(w[8] & 0x7ff) as usize]).0)).collect();
            let pc: Vec<u64> = bms.iter().map(|b| b.iter().map(|x| x.count_ones() as u64).sum()).collect();
            let sparsest = (0..5).min_by_key(|&i| pc[i]).unwrap();
            let b = bms[sparsest];
            let bef: u64 = (0..winner).filter(|&r| b[r / 64] >> (r % 64) & 1 == 1).count() as u64;
            for i in 0..5 { pops[i] += pc[i]; }
            before += bef; words_to += winner as u64 / 64; n += 1;
        }
        println!("{set}: avg popcount per dim {:?}, avg set bits before winner in sparsest {:.1}, avg words to winner {:.1}", pops.map(|p| p / n), before as f64 / n as f64, words_to as f64 / n as f64);
    }
}
