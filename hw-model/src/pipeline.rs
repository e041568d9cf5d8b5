//! What travels through the four pipeline registers s1, s2, s3 and out (docs/timing.md).

use gufc_regmap::word::{FlowInterest, Meta, ProbeResult, TcpFlags};
use gufc_regmap::{key, Action, HitKind, KeyIn, LookupResult, KEY_WORDS};

/// A key (or the probe) with its length and tag.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    /// Key words; META holds only PROTO and IPV6 (the other bits are ignored on input).
    pub words: [u32; KEY_WORDS],
    pub len: u16,
    pub tag: u32,
    pub probe: bool,
    /// TCP flags (key port `tcp_flags`, or PKT_FLAGS for the probe).
    pub flags: TcpFlags,
}

impl Item {
    pub fn from_port(k: &KeyIn) -> Item {
        Item {
            flags: TcpFlags::from_raw(k.tcp_flags as u32),
            ..Item::new(k.key.words(), k.len, k.tag, false)
        }
    }

    pub fn new(mut words: [u32; KEY_WORDS], len: u16, tag: u32, probe: bool) -> Item {
        // A lookup key keeps PROTO and IPV6; locality comes from stage f1.
        let m = Meta::from_raw(words[key::META]);
        words[key::META] = Meta::new().with_proto(m.proto()).with_ipv6(m.ipv6()).raw();
        Item {
            words,
            len,
            tag,
            probe,
            flags: TcpFlags::new(),
        }
    }

    pub fn ipv6(&self) -> bool {
        Meta::from_raw(self.words[key::META]).ipv6()
    }

    pub fn src(&self) -> u128 {
        self.address(key::SRC0)
    }

    pub fn dst(&self) -> u128 {
        self.address(key::DST0)
    }

    fn address(&self, base: usize) -> u128 {
        (0..4).fold(0, |a, j| a | (self.words[base + j] as u128) << (32 * j))
    }
}

/// An item after f1: with its locality bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Located {
    pub item: Item,
    pub src_local: bool,
    pub dst_local: bool,
}

/// An item after f2: the decision, counted by f3.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decided {
    pub item: Item,
    pub src_local: bool,
    pub dst_local: bool,
    pub kind: HitKind,
    pub action: Action,
    /// Flow slot or TCAM index; 0 for a miss.
    pub index: u32,
    pub stale: bool,
    /// The hit flow slot's FLOW_INTEREST word at lookup (0 for other kinds).
    pub interest: FlowInterest,
}

impl Decided {
    pub fn result(&self) -> LookupResult {
        LookupResult {
            action: self.action,
            kind: self.kind,
            index: self.index,
            stale: self.stale,
            src_local: self.src_local,
            dst_local: self.dst_local,
            len: self.item.len,
            tag: self.item.tag,
        }
    }

    /// The PROBE_RESULT word.
    pub fn probe_word(&self) -> ProbeResult {
        ProbeResult::of(&self.result())
    }
}

/// The four pipeline registers; `None` is a bubble.
#[derive(Default)]
pub(crate) struct Pipeline {
    pub s1: Option<Item>,
    pub s2: Option<Located>,
    pub s3: Option<Decided>,
    pub out: Option<LookupResult>,
}
