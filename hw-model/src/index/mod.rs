//! Ranked bit-vector index over the active plane's TCAM entries.
//!
//! Active entries are ranked by (PRIO descending, index ascending), so the hardware's winner is
//! the first match in rank order. Per key field there is one bitmap (bit r = entry of rank r
//! may match) per elementary interval of the field's value space; a lookup finds each field's
//! interval, then either tries the sparsest field's few candidates in rank order, or ANDs the
//! bitmaps chunk by chunk and stops at the first hit. Bitmaps are stored as the part shared by
//! the whole field (such as /0 rules, hot in cache) plus a short rank list where possible.
//! Fields whose masks are not prefix-shaped get the hull interval of the mask, a superset, and
//! such candidates are confirmed with the exact entry compare: the index can only make the
//! answer faster, never different.
//!
//! Keys fall into three domains with their own index, built on first use:
//! IPv4 keys with zero upper address words (addresses projected to 32 bits, so an IPv4 prefix
//! is an interval whatever the entry does with the upper words), IPv6 keys (128-bit
//! addresses), and anything else (IPv4 keys with junk in the upper words), which is scanned.

mod bitmaps;
mod dim;
mod tree;

use std::collections::HashMap;

use gufc_regmap::word::{Meta, Ports};
use gufc_regmap::{key, KEY_WORDS};

use crate::slot::TcamSlot;
use bitmaps::{set_bit, BitmapMeta, BitmapStore, Bitmaps};
use dim::Dim;
use tree::Forest;

/// Bitmap words ANDed per step of the lookup loop; bitmaps are padded to a multiple.
const CHUNK: usize = 4;

/// META's defined bits, which sit at the bottom of the word (the meta table has one row per value).
const META_BITS: u32 = Meta::RESERVED.trailing_zeros();
const _: () = assert!(!Meta::RESERVED == (1 << META_BITS) - 1);

/// Memory one field's bitmaps may take before elementary intervals are merged into groups.
const DIM_BUDGET_BYTES: usize = 32 << 20;

/// Active entries in rank order plus the per-domain bitmap indexes.
#[derive(Default)]
pub(crate) struct RankedIndex {
    ranked: Vec<u32>,
    v4: Option<Domain>,
    v6: Option<Domain>,
    /// The IPv4 decision tree: built on first use; `Some(None)` when it went over budget.
    v4_tree: Option<Option<Forest>>,
    /// Use the bitmaps also for IPv4 (tests compare both paths).
    pub no_tree: bool,
    /// The plane `ranked` was built for.
    plane_bit: u8,
    /// The structures built since the last rebuild.
    stats: Vec<IndexBuild>,
}

/// One index structure the model built: which, how long it took, how much memory it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexBuild {
    /// `ipv4 tree`, `ipv4 bitmaps` or `ipv6 bitmaps`; a tree over budget is listed with
    /// `bytes` 0 (the bitmaps follow it).
    pub structure: &'static str,
    /// Active entries indexed.
    pub entries: usize,
    /// Wall time of the build.
    pub build: std::time::Duration,
    /// Heap bytes the structure holds.
    pub bytes: usize,
}

/// Something the index can measure its size of.
trait HeapBytes {
    fn bytes(&self) -> usize;
}

impl HeapBytes for Forest {
    fn bytes(&self) -> usize {
        Forest::bytes(self)
    }
}

impl HeapBytes for Domain {
    fn bytes(&self) -> usize {
        Domain::bytes(self)
    }
}

/// Runs `build`, recording it in `stats`.
fn timed<T: HeapBytes>(
    stats: &mut Vec<IndexBuild>,
    structure: &'static str,
    build: impl FnOnce() -> Option<T>,
) -> Option<T> {
    let t = std::time::Instant::now();
    let built = build();
    stats.push(IndexBuild {
        structure,
        entries: 0,
        build: t.elapsed(),
        bytes: built.as_ref().map_or(0, |b| b.bytes()),
    });
    built
}

impl RankedIndex {
    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    /// The structures built over the current active set, in build order.
    pub fn stats(&self) -> Vec<IndexBuild> {
        let n = self.ranked.len();
        self.stats
            .iter()
            .map(|b| IndexBuild {
                entries: n,
                ..b.clone()
            })
            .collect()
    }

    pub fn rebuild(&mut self, slots: &[TcamSlot], plane_bit: u8) {
        self.plane_bit = plane_bit;
        self.ranked.clear();
        self.ranked
            .extend((0..slots.len() as u32).filter(|&i| slots[i as usize].planes & plane_bit != 0));
        self.ranked
            .sort_by_key(|&i| crate::winner::rank(slots[i as usize].entry.prio, i));
        self.v4 = None;
        self.v4_tree = None;
        self.stats.clear();
        self.v6 = None;
    }

    /// First match in rank order, skipping the entries set in `skip`.
    pub fn scan(&self, slots: &[TcamSlot], w: &[u32; KEY_WORDS], skip: &[u64]) -> Option<u32> {
        self.ranked
            .iter()
            .copied()
            .find(|&i| !skipped(skip, i) && slots[i as usize].entry.matches_words(w))
    }

    /// First match in rank order, skipping the entries set in `skip` (by TCAM index).
    pub fn lookup(
        &mut self,
        slots: &[TcamSlot],
        w: &[u32; KEY_WORDS],
        skip: &[u64],
    ) -> Option<u32> {
        match kind_of(w) {
            Some(Kind::V4) => self.prepare(slots, true, false),
            Some(Kind::V6) => self.prepare(slots, false, true),
            None => {}
        }
        self.lookup_ready(slots, w, skip)
    }

    /// Builds the structures lookups of IPv4 (`v4`) and IPv6 (`v6`) keys use, if not built.
    /// The IPv4 forest is built from the active entries as they are now (so it needs no
    /// skipping) and kept current by [`RankedIndex::update`]; the bitmaps are built from
    /// the ranked list of the last rebuild (entries changed since are skipped and compared
    /// beside them by the TCAM).
    pub fn prepare(&mut self, slots: &[TcamSlot], v4: bool, v6: bool) {
        let (ranked, stats) = (&self.ranked, &mut self.stats);
        if v4 && !self.no_tree && self.v4_tree.is_none() {
            let bit = self.plane_bit;
            let mut now: Vec<u32> = (0..slots.len() as u32)
                .filter(|&i| slots[i as usize].planes & bit != 0)
                .collect();
            now.sort_by_key(|&i| crate::winner::rank(slots[i as usize].entry.prio, i));
            self.v4_tree = Some(timed(stats, "ipv4 trees", || Forest::build(slots, &now)));
        }
        let bitmaps = |kind, name, stats: &mut Vec<IndexBuild>| {
            timed(stats, name, || {
                Some(Domain::build(slots, ranked, kind, DIM_BUDGET_BYTES))
            })
        };
        let tree_ok = matches!(self.v4_tree, Some(Some(_))) && !self.no_tree;
        if v4 && !tree_ok && self.v4.is_none() {
            self.v4 = bitmaps(Kind::V4, "ipv4 bitmaps", stats);
        }
        if v6 && self.v6.is_none() {
            self.v6 = bitmaps(Kind::V6, "ipv6 bitmaps", stats);
        }
    }

    /// IPv4 keys (zero upper words) are looked up in the forest.
    pub fn tree_ok(&self) -> bool {
        matches!(self.v4_tree, Some(Some(_))) && !self.no_tree
    }

    /// Entry `idx` of the plane changed from `old` to `new`: the forest, if built, follows.
    pub fn update(&mut self, idx: u32, old: &TcamSlot, new: &TcamSlot) {
        let bit = self.plane_bit;
        if let Some(Some(f)) = &mut self.v4_tree {
            let live = |s: &TcamSlot| (s.planes & bit != 0).then_some(s.entry);
            f.update(idx, live(old).as_ref(), live(new).as_ref());
        }
    }

    /// The forest's answer for an IPv4 key (building the forest if needed), or `None` when
    /// `w` is no such key or there is no forest.
    pub fn tree_lookup(&mut self, slots: &[TcamSlot], w: &[u32; KEY_WORDS]) -> Option<Option<u32>> {
        if self.no_tree || kind_of(w) != Some(Kind::V4) {
            return None;
        }
        self.prepare(slots, true, false);
        match &self.v4_tree {
            Some(Some(f)) => Some(f.lookup(slots, w)),
            _ => None,
        }
    }

    /// [`RankedIndex::lookup`] with the structures built so far (a key whose structure is
    /// missing is scanned: slower, same answer).
    pub fn lookup_ready(
        &self,
        slots: &[TcamSlot],
        w: &[u32; KEY_WORDS],
        skip: &[u64],
    ) -> Option<u32> {
        match kind_of(w) {
            Some(Kind::V4) => match (&self.v4_tree, &self.v4) {
                (Some(Some(f)), _) if !self.no_tree => f.lookup(slots, w),
                (_, Some(d)) => d.lookup(slots, w, skip),
                _ => self.scan(slots, w, skip),
            },
            Some(Kind::V6) => match &self.v6 {
                Some(d) => d.lookup(slots, w, skip),
                None => self.scan(slots, w, skip),
            },
            None => self.scan(slots, w, skip),
        }
    }

    /// [`RankedIndex::lookup`] of each key of `ws` into `out`.
    #[cfg(test)]
    pub fn lookup_batch(
        &mut self,
        slots: &[TcamSlot],
        ws: &[[u32; KEY_WORDS]],
        skip: &[u64],
        out: &mut [Option<u32>],
    ) {
        let v4 = ws.iter().any(|w| kind_of(w) == Some(Kind::V4));
        let v6 = ws.iter().any(|w| kind_of(w) == Some(Kind::V6));
        self.prepare(slots, v4, v6);
        self.lookup_batch_ready(slots, ws, skip, out);
    }

    /// [`RankedIndex::lookup_ready`] of each key of `ws` into `out`; IPv4 keys walk the trees
    /// together.
    pub fn lookup_batch_ready(
        &self,
        slots: &[TcamSlot],
        ws: &[[u32; KEY_WORDS]],
        skip: &[u64],
        out: &mut [Option<u32>],
    ) {
        let v4 = |w: &[u32; KEY_WORDS]| kind_of(w) == Some(Kind::V4);
        match &self.v4_tree {
            Some(Some(forest)) if !self.no_tree => {
                forest.lookup_many(slots, ws, &v4, out);
                for (w, o) in ws.iter().zip(out.iter_mut()) {
                    if !v4(w) {
                        *o = self.lookup_ready(slots, w, skip);
                    }
                }
            }
            _ => {
                for (w, o) in ws.iter().zip(out.iter_mut()) {
                    *o = self.lookup_ready(slots, w, skip);
                }
            }
        }
    }
}

/// The domain a lookup key belongs to; `None` for IPv4 keys with junk in the upper address
/// words (scanned).
#[inline]
fn kind_of(w: &[u32; KEY_WORDS]) -> Option<Kind> {
    if Meta::from_raw(w[key::META]).ipv6() {
        Some(Kind::V6)
    } else if w[1..4].iter().chain(&w[5..8]).all(|&x| x == 0) {
        Some(Kind::V4)
    } else {
        None
    }
}

/// Is entry `i` set in `skip`?
#[inline]
fn skipped(skip: &[u64], i: u32) -> bool {
    skip[i as usize / 64] >> (i % 64) & 1 != 0
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
    /// META (11 bits) → its bitmap in `meta_bitmaps`.
    meta_table: Vec<BitmapMeta>,
    meta_bitmaps: Bitmaps,
    /// Ranks whose entry is exactly described by the fields' intervals (prefix-shaped masks):
    /// a candidate there needs no confirming compare.
    exact: Vec<u64>,
}

fn field_value(kind: Kind, f: Field, w: &[u32; KEY_WORDS]) -> u128 {
    let wide = |base: usize| (0..4).fold(0u128, |a, j| a | (w[base + j] as u128) << (32 * j));
    match (kind, f) {
        (Kind::V4, Field::Src) => w[key::SRC0] as u128,
        (Kind::V4, Field::Dst) => w[key::DST0] as u128,
        (Kind::V6, Field::Src) => wide(key::SRC0),
        (Kind::V6, Field::Dst) => wide(key::DST0),
        (_, Field::Sport) => Ports::from_raw(w[key::PORTS]).sport() as u128,
        (_, Field::Dport) => Ports::from_raw(w[key::PORTS]).dport() as u128,
    }
}

/// The smallest interval holding every value `x` with `(x ^ value) & mask == 0` in `bits`
/// bits; exact when the mask is a prefix.
fn hull(value: u128, mask: u128, bits: u32) -> (u128, u128) {
    let full = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    (value & mask & full, (value | !mask) & full)
}

/// The interval of values entry `e` can match in field `f`, or `None` if it can match no key
/// of this domain.
fn entry_interval(kind: Kind, f: Field, e: &gufc_regmap::TcamEntry) -> Option<(u128, u128)> {
    let v = &e.value;
    let m = &e.mask;
    let wide = |x: &[u32; KEY_WORDS], base: usize| {
        (0..4).fold(0u128, |a, j| a | (x[base + j] as u128) << (32 * j))
    };
    let (vp, mp) = (
        Ports::from_raw(v[key::PORTS]),
        Ports::from_raw(m[key::PORTS]),
    );
    let port = |(v, m): (u16, u16), (lo, hi): (u16, u16)| {
        let (a, b) = hull(v as u128, m as u128, 16);
        let (a, b) = (a.max(lo as u128), b.min(hi as u128));
        (a <= b).then_some((a, b))
    };
    match (kind, f) {
        (Kind::V4, Field::Src) => Some(hull(v[key::SRC0] as u128, m[key::SRC0] as u128, 32)),
        (Kind::V4, Field::Dst) => Some(hull(v[key::DST0] as u128, m[key::DST0] as u128, 32)),
        (Kind::V6, Field::Src) => Some(hull(wide(v, key::SRC0), wide(m, key::SRC0), 128)),
        (Kind::V6, Field::Dst) => Some(hull(wide(v, key::DST0), wide(m, key::DST0), 128)),
        (_, Field::Sport) => port((vp.sport(), mp.sport()), e.sport),
        (_, Field::Dport) => port((vp.dport(), mp.dport()), e.dport),
    }
}

/// Is `m` (within `bits` bits) a prefix mask: ones from the top, then zeros?
fn prefix_shaped(m: u128, bits: u32) -> bool {
    let full = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let inv = !m & full;
    inv & inv.wrapping_add(1) == 0
}

/// Do the domain's intervals describe entry `e` exactly (no confirming compare needed)?
/// Then every field's mask is prefix-shaped in the domain's projection; META is always exact.
fn exactly_indexed(kind: Kind, e: &gufc_regmap::TcamEntry) -> bool {
    let m = &e.mask;
    let wide = |base: usize| (0..4).fold(0u128, |a, j| a | (m[base + j] as u128) << (32 * j));
    let mp = Ports::from_raw(m[key::PORTS]);
    let ports = prefix_shaped(mp.sport() as u128, 16) && prefix_shaped(mp.dport() as u128, 16);
    ports
        && match kind {
            // Upper words: in_domain() already required the entry to accept zeros there.
            Kind::V4 => {
                prefix_shaped(m[key::SRC0] as u128, 32) && prefix_shaped(m[key::DST0] as u128, 32)
            }
            Kind::V6 => prefix_shaped(wide(key::SRC0), 128) && prefix_shaped(wide(key::DST0), 128),
        }
}

/// Can entry `e` match some key of domain `kind` at all (upper words, family bit)?
fn in_domain(kind: Kind, e: &gufc_regmap::TcamEntry) -> bool {
    let exact_family = Meta::from_raw(e.mask[key::META]).ipv6();
    let v6_only = exact_family && Meta::from_raw(e.value[key::META]).ipv6();
    match kind {
        // Upper words of the key are zero: the entry must want zero there.
        Kind::V4 => !v6_only && e.value[1..4].iter().chain(&e.value[5..8]).all(|&x| x == 0),
        Kind::V6 => !exact_family || v6_only,
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
        let dims = [0, 1, 2, 3].map(|d| {
            Dim::build(
                fields[d],
                &ivs[d],
                words,
                budget,
                field_max(kind, fields[d]),
            )
        });
        let (meta_table, meta_bitmaps) = Self::build_meta(slots, &order, words);
        // Merged interval groups are supersets: then every candidate needs the compare.
        let merged = dims.iter().any(|d| d.group_shift > 0);
        let mut exact = vec![0u64; words];
        for (r, _) in exact_ranks
            .iter()
            .enumerate()
            .filter(|(_, &x)| x && !merged)
        {
            set_bit(&mut exact, r);
        }
        Domain {
            kind,
            order,
            words,
            dims,
            meta_table,
            meta_bitmaps,
            exact,
        }
    }

    /// META's defined bits are few: a direct table of bitmaps, built per distinct
    /// value/mask pattern.
    fn build_meta(slots: &[TcamSlot], order: &[u32], words: usize) -> (Vec<BitmapMeta>, Bitmaps) {
        let mut patterns: HashMap<(u32, u32), Vec<u64>> = HashMap::new();
        for (r, &i) in order.iter().enumerate() {
            let e = &slots[i as usize].entry;
            let b = patterns
                .entry((e.value[key::META], e.mask[key::META]))
                .or_insert_with(|| vec![0; words]);
            set_bit(b, r);
        }
        let patterns: Vec<((u32, u32), Vec<u64>)> = patterns.into_iter().collect();
        let mut store = BitmapStore::new(words);
        let mut by_signature: HashMap<Vec<bool>, u32> = HashMap::new();
        let mut table = Vec::with_capacity(1 << META_BITS);
        let mut acc = vec![0u64; words];
        for v in 0u32..1 << META_BITS {
            let sig: Vec<bool> = patterns
                .iter()
                .map(|&((pv, pm), _)| (v ^ pv) & pm == 0)
                .collect();
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
        let (bitmaps, metas) = store.finish();
        (
            table.iter().map(|&id| metas[id as usize]).collect(),
            bitmaps,
        )
    }

    /// Heap bytes of the domain's tables.
    fn bytes(&self) -> usize {
        let bitmaps = |b: &Bitmaps| {
            b.data.len() * 8 + b.lists.len() * 4 + b.shared_list.as_ref().map_or(0, |l| l.len() * 4)
        };
        let meta = std::mem::size_of::<BitmapMeta>();
        self.order.len() * 4
            + self.exact.len() * 8
            + self.meta_table.len() * meta
            + bitmaps(&self.meta_bitmaps)
            + self
                .dims
                .iter()
                .map(|d| d.points.bytes() + d.group_bitmap.len() * meta + bitmaps(&d.bitmaps))
                .sum::<usize>()
    }

    fn lookup(&self, slots: &[TcamSlot], w: &[u32; KEY_WORDS], skip: &[u64]) -> Option<u32> {
        let words = self.words;
        let d = &self.dims;
        let mut bm = [
            d[0].bitmap(field_value(self.kind, d[0].field, w)),
            d[1].bitmap(field_value(self.kind, d[1].field, w)),
            d[2].bitmap(field_value(self.kind, d[2].field, w)),
            d[3].bitmap(field_value(self.kind, d[3].field, w)),
            self.meta_bitmaps
                .get(self.meta_table[(w[key::META] & !Meta::RESERVED) as usize]),
        ];
        // The sparsest field leads.
        let lead = (0..bm.len()).min_by_key(|&i| bm[i].pop).unwrap_or(0);
        bm.swap(0, lead);
        let found = |r: u32| {
            let idx = self.order[r as usize];
            let exact = self.exact[r as usize / 64] >> (r % 64) & 1 != 0;
            (!skipped(skip, idx) && (exact || slots[idx as usize].entry.matches_words(w)))
                .then_some(idx)
        };
        // Few candidates in all: try them in rank order (shared part and extra ranks are two
        // sorted lists; the first hit of each, the lower wins).
        if let (true, Some(shared)) = (bm[0].pop < words as u32, bm[0].bits_list) {
            let first = |list: &[u32]| {
                list.iter()
                    .copied()
                    .filter(|&r| bm[1..].iter().all(|v| v.contains(r)))
                    .find_map(|r| found(r).map(|idx| (r, idx)))
            };
            return match (first(shared), first(bm[0].extra)) {
                (Some(a), Some(b)) => Some(a.min(b).1),
                (a, b) => a.or(b).map(|x| x.1),
            };
        }
        // Otherwise AND the bitmaps chunk by chunk (they are padded to whole chunks), skipping
        // a chunk where the lead has no candidate.
        let mut pos = [0usize; 5];
        for base in (0..words).step_by(CHUNK) {
            let a = bm[0].chunk(base, &mut pos[0]);
            if a.iter().all(|&x| x == 0) {
                continue;
            }
            let b = bm[1].chunk(base, &mut pos[1]);
            let c = bm[2].chunk(base, &mut pos[2]);
            let e = bm[3].chunk(base, &mut pos[3]);
            let m = bm[4].chunk(base, &mut pos[4]);
            for i in 0..CHUNK {
                let mut x = a[i] & b[i] & c[i] & e[i] & m[i];
                while x != 0 {
                    if let Some(idx) = found(((base + i) * 64) as u32 + x.trailing_zeros()) {
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
pub(crate) mod tests {
    use super::*;
    use gufc_regmap::{Action, TcamEntry};
    use proptest::prelude::*;

    /// A random entry: per word a random value under a mask that is a prefix, empty, full
    /// or arbitrary; random ranges; few priorities (many ties).
    pub(crate) fn entry() -> impl Strategy<Value = TcamEntry> {
        let mask = prop_oneof![
            3 => (0u32..=32).prop_map(|l| if l == 0 { 0 } else { u32::MAX << (32 - l) }),
            1 => Just(u32::MAX),
            1 => any::<u32>(),
        ];
        let family = prop_oneof![
            Just((0u32, 0u32)),
            Just((0, Meta::IPV6.mask())),
            Just((Meta::IPV6.mask(), Meta::IPV6.mask()))
        ];
        let range = (any::<u16>(), any::<u16>(), any::<bool>()).prop_map(|(a, b, full)| {
            if full {
                (0, u16::MAX)
            } else {
                (a.min(b), a.max(b))
            }
        });
        (
            prop::array::uniform10(mask),
            prop::array::uniform10(0u32..4),
            family,
            range.clone(),
            range,
            0u16..3,
            prop::bool::weighted(0.7),
        )
            .prop_map(|(mut mask, small, (fv, fm), sport, dport, prio, v4)| {
                let mut value = [0u32; KEY_WORDS];
                for i in 0..KEY_WORDS {
                    // values from a small pool so that entries and keys overlap
                    value[i] = (small[i].wrapping_mul(0x4000_0001) ^ 0x0A00_0000) & mask[i];
                }
                // Most entries accept IPv4 keys (zero upper address words; mask as drawn).
                if v4 {
                    for i in [1, 2, 3, 5, 6, 7] {
                        value[i] = 0;
                    }
                }
                let m = Meta::from_raw(mask[key::META]).with_ipv6(false);
                mask[key::META] = (m.raw() & !Meta::RESERVED) | fm;
                value[key::META] = (value[key::META] & m.raw() & !Meta::RESERVED) | fv;
                if (m.src_local() || m.dst_local()) && small[8] == 0 {
                    mask[key::PORTS] = 0;
                    value[key::PORTS] = 0;
                }
                TcamEntry {
                    value,
                    mask,
                    sport,
                    dport,
                    prio,
                    action: Action::Drop,
                    tcp_flags: (0, 0),
                }
            })
    }

    pub(crate) fn key_near(
        e: &TcamEntry,
        noise: &[u32; KEY_WORDS],
        v6: bool,
        upper_zero: bool,
    ) -> [u32; KEY_WORDS] {
        let mut w = [0u32; KEY_WORDS];
        for i in 0..KEY_WORDS {
            w[i] = e.value[i] | (noise[i] & !e.mask[i]);
        }
        w[key::META] = Meta::from_raw(w[key::META] & !Meta::RESERVED)
            .with_ipv6(v6)
            .raw();
        if !v6 && upper_zero {
            for i in [1, 2, 3, 5, 6, 7] {
                w[i] = 0;
            }
        }
        let sp = e.sport.0.wrapping_add((noise[0] % 3) as u16);
        let dp = e.dport.1.wrapping_sub((noise[1] % 3) as u16);
        w[key::PORTS] = Ports::new().with_sport(sp).with_dport(dp).raw();
        w
    }

    fn slots_of(entries: &[(TcamEntry, u8)]) -> Vec<TcamSlot> {
        entries
            .iter()
            .map(|&(entry, planes)| TcamSlot {
                entry,
                action_word: Action::Drop.encode(),
                planes,
            })
            .collect()
    }

    fn reference(slots: &[TcamSlot], bit: u8, w: &[u32; KEY_WORDS], skip: &[u64]) -> Option<u32> {
        let mut best: Option<(u64, u32)> = None;
        for (i, s) in slots.iter().enumerate() {
            let r = crate::winner::rank(s.entry.prio, i as u32);
            if s.planes & bit != 0
                && !skipped(skip, i as u32)
                && s.entry.matches_words(w)
                && best.is_none_or(|(b, _)| r < b)
            {
                best = Some((r, i as u32));
            }
        }
        best.map(|b| b.1)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// The index gives the scan's answer, through the IPv4 tree and through the bitmaps
        /// (with and without merged interval groups), and skips the entries it is told to.
        #[test]
        fn index_equals_scan(
            entries in prop::collection::vec((entry(), 0u8..4), 0..300),
            keys in prop::collection::vec(
                (any::<prop::sample::Index>(), prop::array::uniform10(any::<u32>()), any::<bool>(), prop::bool::weighted(0.9)),
                1..64),
            budget in prop::sample::select(vec![DIM_BUDGET_BYTES, 64, 8]),
            skips in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let slots = slots_of(&entries);
            let mut skip = vec![0u64; slots.len().div_ceil(64).max(1)];
            for s in skips.iter().filter(|_| !slots.is_empty()) {
                let i = s.index(slots.len());
                skip[i / 64] |= 1 << (i % 64);
            }
            let none = vec![0u64; skip.len()];
            for (bit, no_tree) in [(1u8, false), (2, false), (1, true), (2, true)] {
                let mut ix = RankedIndex { no_tree, ..RankedIndex::default() };
                ix.rebuild(&slots, bit);
                ix.v4 = Some(Domain::build(&slots, &ix.ranked, Kind::V4, budget));
                ix.v6 = Some(Domain::build(&slots, &ix.ranked, Kind::V6, budget));
                let mut ws = Vec::new();
                let mut wants = Vec::new();
                for (from, noise, v6, upper_zero) in &keys {
                    let w = if slots.is_empty() {
                        *noise
                    } else {
                        key_near(&slots[from.index(slots.len())].entry, noise, *v6, *upper_zero)
                    };
                    // The forest is always current: it never skips (the TCAM skips only for
                    // the other structures). IPv4 keys with zero upper words go to it.
                    let forest = !no_tree && kind_of(&w) == Some(Kind::V4);
                    let sk = if forest { &none[..] } else { &skip[..] };
                    let want = reference(&slots, bit, &w, sk);
                    prop_assert_eq!(ix.lookup(&slots, &w, &skip), want, "key {:x?}", w);
                    prop_assert_eq!(ix.scan(&slots, &w, &skip), reference(&slots, bit, &w, &skip));
                    ws.push(w);
                    wants.push(want);
                }
                // The same keys as one batch (the tree walks them in interleaved groups).
                let mut got = vec![None; ws.len()];
                ix.lookup_batch(&slots, &ws, &skip, &mut got);
                prop_assert_eq!(got, wants);
            }
        }
    }
}
