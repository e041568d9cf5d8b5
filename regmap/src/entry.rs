//! A TCAM rule entry as the staging registers hold it, and its match semantics
//! (docs/timing.md, "f2"). The model's index and the driver both use this definition.

use crate::word::{DportRange, Planes, Ports, Prio, SportRange};
use crate::{reg, Action, Key, Register, KEY_WORDS};

/// One TCAM entry: value/mask on every key bit, a range per port, priority and action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TcamEntry {
    /// Key bits to compare, as staged in KEY (only bits set in `mask` matter).
    pub value: [u32; KEY_WORDS],
    /// 1 = compare this bit.
    pub mask: [u32; KEY_WORDS],
    /// Inclusive source-port range.
    pub sport: (u16, u16),
    /// Inclusive destination-port range.
    pub dport: (u16, u16),
    /// Highest wins; ties go to the lowest index.
    pub prio: u16,
    /// The action of a packet this entry decides.
    pub action: Action,
    /// TCP flags `(value, mask)`: the packet's flags byte (regmap.toml `[tcp_flags]`, the key
    /// port's `key_flags`) under `mask` must equal `value`. Only an RTL 2.0 rule stage matches
    /// flags (its driver encodes them into the 2.0 key); the 1.x TCAM has no flags, so its
    /// staging and [`TcamEntry::matches`] ignore them and the 1.x driver refuses a nonzero mask.
    pub tcp_flags: (u8, u8),
}

/// Register writes that stage one entry: KEY, MASK, both port ranges, PRIO, ACTION, PLANES.
pub const STAGING_WRITES: usize = 2 * KEY_WORDS + 5;

impl TcamEntry {
    /// An entry that matches every key.
    pub fn match_all(prio: u16, action: Action) -> TcamEntry {
        TcamEntry {
            value: [0; KEY_WORDS],
            mask: [0; KEY_WORDS],
            sport: (0, u16::MAX),
            dport: (0, u16::MAX),
            prio,
            action,
            tcp_flags: (0, 0),
        }
    }

    /// Does `key` (with its locality bits already computed) match this entry? The key has no
    /// TCP flags: this ignores [`TcamEntry::tcp_flags`] (see [`TcamEntry::matches_with_flags`]).
    pub fn matches(&self, key: &Key) -> bool {
        self.matches_words(&key.words())
    }

    /// Does a packet with `key` and TCP flags byte `flags` match this entry, flags included?
    pub fn matches_with_flags(&self, key: &Key, flags: u8) -> bool {
        self.matches(key) && flags & self.tcp_flags.1 == self.tcp_flags.0
    }

    /// Does the key with words `w` (locality bits included) match this entry?
    #[inline]
    pub fn matches_words(&self, w: &[u32; KEY_WORDS]) -> bool {
        let ports = Ports::from_raw(w[crate::key::PORTS]);
        let (sport, dport) = (ports.sport(), ports.dport());
        (0..KEY_WORDS).all(|i| (w[i] ^ self.value[i]) & self.mask[i] == 0)
            && self.sport.0 <= sport
            && sport <= self.sport.1
            && self.dport.0 <= dport
            && dport <= self.dport.1
    }

    /// The `(offset, value)` register writes after which TCAM_WRITE stores this entry with
    /// plane bits `planes`, in register order.
    pub fn staging(&self, planes: u8) -> [(u32, u32); STAGING_WRITES] {
        fn put<R: Register>(v: R) -> (u32, u32) {
            (R::OFFSET, v.into())
        }
        let mut out = [(0, 0); STAGING_WRITES];
        for i in 0..KEY_WORDS {
            out[i] = (reg::KEY + 4 * i as u32, self.value[i]);
            out[KEY_WORDS + i] = (reg::MASK + 4 * i as u32, self.mask[i]);
        }
        out[2 * KEY_WORDS..].copy_from_slice(&[
            put(SportRange::of(self.sport)),
            put(DportRange::of(self.dport)),
            put(Prio::new().with_prio(self.prio)),
            put(self.action.encode()),
            put(Planes::new().with_planes(planes)),
        ]);
        out
    }
}
