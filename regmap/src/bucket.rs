//! The flow-cache bucket hash. The hardware computes it in one cycle; the driver computes the
//! same to place entries (see docs/architecture.md, "Flow cache").

use crate::{hash, key, word, Key, KEY_WORDS};

/// Folds the flow key's words (META's locality bits cleared) into 32 bits.
pub fn fold(words: &[u32; KEY_WORDS]) -> u32 {
    words.iter().enumerate().fold(0u32, |x, (i, &w)| {
        let w = if i == key::META {
            word::Meta::from_raw(w).without_locality().raw()
        } else {
            w
        };
        x.rotate_left(hash::ROTATE) ^ w
    })
}

/// The two candidate buckets of `key` in a cache of `2^log2_buckets` buckets.
pub fn bucket_pair(key: &Key, log2_buckets: u32) -> (u32, u32) {
    buckets_of_fold(fold(&key.words()), log2_buckets)
}

/// The two candidate buckets of a key whose [`fold`] is `x`.
pub fn buckets_of_fold(x: u32, log2_buckets: u32) -> (u32, u32) {
    let top = |h: u32| {
        if log2_buckets == 0 {
            0
        } else {
            h >> (32 - log2_buckets)
        }
    };
    (
        top(x.wrapping_mul(hash::MUL1)),
        top(x.rotate_left(hash::ROTATE2).wrapping_mul(hash::MUL2)),
    )
}
