//! A field's bitmaps: deduplicated, split into the part all of them share and the rest.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::CHUNK;

/// A fast non-cryptographic hash for deduplicating bitmaps while building (SipHash took
/// most of the build time).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// Builds a field's bitmaps: identical ones are stored once, and each is split into the part
/// every bitmap of the field shares (entries that cover the whole field, such as /0
/// prefixes) and the rest. When the rest is short it is kept as a list of ranks, so a
/// lookup reads the shared part (hot in cache) plus a few ranks instead of a whole bitmap.
pub(super) struct BitmapStore {
    words: usize,
    data: Vec<u64>,
    seen: FastMap<Vec<u64>, u32>,
}

/// A field's bitmap as stored: `data[off..off + words]` (the shared part, at offset 0, when
/// the bitmap is in list form) plus `lists[list_start..list_start + list_len]` (extra ranks,
/// sorted), with `pop` set bits in all.
#[derive(Clone, Copy)]
pub(super) struct BitmapMeta {
    pub(super) off: u32,
    pub(super) pop: u32,
    pub(super) list_start: u32,
    pub(super) list_len: u32,
}

/// A bitmap as a lookup sees it: the ranks set in `bits` or listed in `extra`.
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    pub(super) bits: &'a [u64],
    pub(super) extra: &'a [u32],
    pub(super) pop: u32,
    /// All ranks of `bits` as a list, when `bits` is the field's (short) shared part.
    pub(super) bits_list: Option<&'a [u32]>,
}

impl View<'_> {
    #[inline]
    pub(super) fn contains(&self, r: u32) -> bool {
        self.bits[r as usize / 64] >> (r % 64) & 1 != 0 || self.extra.binary_search(&r).is_ok()
    }

    /// Words `base..base + CHUNK`, with the extra ranks in them; `pos` is the caller's cursor
    /// into `extra` (chunks are asked for in increasing order).
    #[inline]
    pub(super) fn chunk(&self, base: usize, pos: &mut usize) -> [u64; CHUNK] {
        let mut c = [0u64; CHUNK];
        c.copy_from_slice(&self.bits[base..base + CHUNK]);
        let (lo, hi) = ((base * 64) as u32, ((base + CHUNK) * 64) as u32);
        while *pos < self.extra.len() && self.extra[*pos] < hi {
            let r = self.extra[*pos];
            if r >= lo {
                c[r as usize / 64 - base] |= 1 << (r % 64);
            }
            *pos += 1;
        }
        c
    }
}

/// The stored bitmaps of one field.
pub(super) struct Bitmaps {
    pub(super) words: usize,
    /// The shared part first, then the bitmaps kept whole.
    pub(super) data: Vec<u64>,
    pub(super) lists: Vec<u32>,
    /// The shared part's ranks, when it has fewer than `words`.
    pub(super) shared_list: Option<Vec<u32>>,
}

impl Bitmaps {
    #[inline]
    pub(super) fn get(&self, m: BitmapMeta) -> View<'_> {
        let off = m.off as usize;
        let start = m.list_start as usize;
        View {
            bits: &self.data[off..off + self.words],
            extra: &self.lists[start..start + m.list_len as usize],
            pop: m.pop,
            bits_list: if off == 0 {
                self.shared_list.as_deref()
            } else {
                None
            },
        }
    }
}

pub(super) fn ranks_of(b: &[u64]) -> impl Iterator<Item = u32> + '_ {
    b.iter().enumerate().flat_map(|(i, &w)| {
        let mut x = w;
        std::iter::from_fn(move || {
            (x != 0).then(|| {
                let r = (i * 64) as u32 + x.trailing_zeros();
                x &= x - 1;
                r
            })
        })
    })
}

impl BitmapStore {
    pub(super) fn new(words: usize) -> BitmapStore {
        BitmapStore {
            words,
            data: Vec::new(),
            seen: FastMap::default(),
        }
    }

    /// The id of a stored bitmap equal to `b`.
    pub(super) fn intern(&mut self, b: &[u64]) -> u32 {
        if let Some(&id) = self.seen.get(b) {
            return id;
        }
        let id = (self.data.len() / self.words) as u32;
        self.data.extend_from_slice(b);
        self.seen.insert(b.to_vec(), id);
        id
    }

    /// The field's bitmaps, and each id's place in them.
    pub(super) fn finish(self) -> (Bitmaps, Vec<BitmapMeta>) {
        let words = self.words;
        let mut shared = vec![u64::MAX; words];
        for b in self.data.chunks_exact(words) {
            for (s, x) in shared.iter_mut().zip(b) {
                *s &= x;
            }
        }
        let shared_pop: u32 = shared.iter().map(|w| w.count_ones()).sum();
        let shared_list = ((shared_pop as usize) < words).then(|| ranks_of(&shared).collect());
        let mut data = shared.clone();
        let mut lists = Vec::new();
        let mut metas = Vec::with_capacity(self.data.len() / words);
        let mut rest = vec![0u64; words];
        for b in self.data.chunks_exact(words) {
            for ((r, x), s) in rest.iter_mut().zip(b).zip(&shared) {
                *r = x & !s;
            }
            let rest_pop: u32 = rest.iter().map(|w| w.count_ones()).sum();
            let pop = shared_pop + rest_pop;
            if (rest_pop as usize) <= words {
                let list_start = lists.len() as u32;
                lists.extend(ranks_of(&rest));
                metas.push(BitmapMeta {
                    off: 0,
                    pop,
                    list_start,
                    list_len: rest_pop,
                });
            } else {
                let off = data.len() as u32;
                data.extend_from_slice(b);
                metas.push(BitmapMeta {
                    off,
                    pop,
                    list_start: 0,
                    list_len: 0,
                });
            }
        }
        (
            Bitmaps {
                words,
                data,
                lists,
                shared_list,
            },
            metas,
        )
    }
}

pub(super) fn set_bit(b: &mut [u64], r: usize) {
    b[r / 64] |= 1 << (r % 64);
}

pub(super) fn clear_bit(b: &mut [u64], r: usize) {
    b[r / 64] &= !(1 << (r % 64));
}
