//! What travels through the four pipeline registers s1, s2, s3 and out (docs/timing.md).

use gufc_regmap::{key, meta, verdict, Action, HitKind, KeyIn, LookupResult, KEY_WORDS};

/// A key (or the probe) with its length and tag.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    /// Key words; META holds only PROTO and IPV6 (the other bits are ignored on input).
    pub words: [u32; KEY_WORDS],
    pub len: u16,
    pub tag: u32,
    pub probe: bool,
    /// TCP flags (key port `tcp_flags`, or PKT_FLAGS for the probe).
    pub flags: u8,
}

/// META bits a lookup key keeps from its input; locality comes from stage f1.
pub(crate) const INPUT_META: u32 = meta::PROTO.mask() | meta::IPV6.mask();

impl Item {
    pub fn from_port(k: &KeyIn) -> Item {
        Item {
            flags: k.tcp_flags,
            ..Item::new(k.key.words(), k.len, k.tag, false)
        }
    }

    pub fn new(mut words: [u32; KEY_WORDS], len: u16, tag: u32, probe: bool) -> Item {
        words[key::META] &= INPUT_META;
        Item {
            words,
            len,
            tag,
            probe,
            flags: 0,
        }
    }

    pub fn ipv6(&self) -> bool {
        meta::IPV6.get(self.words[key::META]) != 0
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
    pub interest: u32,
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
    pub fn probe_word(&self) -> u32 {
        use gufc_regmap::{field::*, kind};
        let (v, ch, reason) = match self.action {
            Action::Deliver { channel } => (verdict::DELIVER, channel, 0),
            Action::Drop => (verdict::DROP, 0, 0),
            Action::SlowPath { reason } => (verdict::SLOW_PATH, 0, reason),
        };
        let k = match self.kind {
            HitKind::Miss => kind::MISS,
            HitKind::Flow => kind::FLOW,
            HitKind::Rule => kind::RULE,
        };
        PROBE_RESULT_VERDICT.put(v as u32)
            | PROBE_RESULT_KIND.put(k as u32)
            | PROBE_RESULT_STALE_FLOW.put(self.stale as u32)
            | PROBE_RESULT_SRC_LOCAL.put(self.src_local as u32)
            | PROBE_RESULT_DST_LOCAL.put(self.dst_local as u32)
            | PROBE_RESULT_CHANNEL.put(ch as u32)
            | PROBE_RESULT_REASON.put(reason as u32)
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
