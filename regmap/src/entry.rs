//! A TCAM rule entry as the staging registers hold it, and its match semantics
//! (docs/timing.md, "f2"). This is the plain definition; the model's index must agree with it.

use crate::{meta, Action, Key, KEY_WORDS};

/// One TCAM entry: value/mask on every key bit, a range per port, priority and action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TcamEntry {
    pub value: [u32; KEY_WORDS],
    /// 1 = compare this bit.
    pub mask: [u32; KEY_WORDS],
    /// Inclusive source-port range.
    pub sport: (u16, u16),
    /// Inclusive destination-port range.
    pub dport: (u16, u16),
    /// Highest wins; ties go to the lowest index.
    pub prio: u16,
    pub action: Action,
}

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
        }
    }

    /// Does `key` (with its locality bits already computed) match this entry?
    pub fn matches(&self, key: &Key) -> bool {
        let w = key.words();
        (0..KEY_WORDS).all(|i| (w[i] ^ self.value[i]) & self.mask[i] == 0)
            && (self.sport.0..=self.sport.1).contains(&key.sport)
            && (self.dport.0..=self.dport.1).contains(&key.dport)
    }

    /// The META bits a key can carry; any other bit in value or mask is reserved.
    pub const META_BITS: u32 =
        meta::PROTO.mask() | meta::SRC_LOCAL.mask() | meta::DST_LOCAL.mask() | meta::IPV6.mask();
}
