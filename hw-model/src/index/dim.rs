//! One key field's elementary intervals and the bitmap of each.

use super::bitmaps::{clear_bit, set_bit, BitmapMeta, BitmapStore, Bitmaps, View};
use super::Field;

/// Elementary intervals of one field and a bitmap per (group of) interval(s).
pub(super) struct Dim {
    pub(super) field: Field,
    /// Sorted start points of the elementary intervals; the first is 0.
    pub(super) points: Points,
    /// log2 of the number of consecutive intervals that share a bitmap.
    pub(super) group_shift: u32,
    /// Per group: its bitmap in `bitmaps`.
    pub(super) group_bitmap: Vec<BitmapMeta>,
    pub(super) bitmaps: Bitmaps,
}

impl Dim {
    /// Sweeps the entries' intervals (indexed by rank) into per-interval bitmaps.
    pub(super) fn build(
        field: Field,
        ivs: &[(u128, u128)],
        words: usize,
        budget: usize,
        max: u128,
    ) -> Dim {
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
        let mut starts: Vec<(usize, usize)> = ivs
            .iter()
            .enumerate()
            .map(|(r, &(lo, _))| (idx(lo), r))
            .collect();
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
        let (bitmaps, metas) = store.finish();
        Dim {
            field,
            points,
            group_shift,
            group_bitmap: group_bitmap.iter().map(|&id| metas[id as usize]).collect(),
            bitmaps,
        }
    }

    /// The bitmap for field value `x`.
    #[inline]
    pub(super) fn bitmap(&self, x: u128) -> View<'_> {
        let k = self.points.interval(x);
        self.bitmaps.get(self.group_bitmap[k >> self.group_shift])
    }
}

/// Sorted interval start points with a fast "which interval holds x".
pub(super) enum Points {
    /// Fields of at most 32 bits: `top[t]` is the interval holding `t << shift`, so a search
    /// only looks at the points between `top[t]` and `top[t + 1]`.
    Narrow {
        points: Vec<u32>,
        top: Vec<u32>,
        shift: u32,
    },
    Wide(Vec<u128>),
}

impl Points {
    /// `max` is the largest value the field can take.
    pub(super) fn new(points: Vec<u128>, max: u128) -> Points {
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

    /// Heap bytes of the point tables.
    pub(super) fn bytes(&self) -> usize {
        match self {
            Points::Narrow { points, top, .. } => points.len() * 4 + top.len() * 4,
            Points::Wide(points) => points.len() * 16,
        }
    }

    /// Index of the elementary interval holding `x`.
    #[inline]
    pub(super) fn interval(&self, x: u128) -> usize {
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
