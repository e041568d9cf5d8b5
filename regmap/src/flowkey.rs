//! The lookup key and the action word as they appear in KEY/MASK/ACTION registers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{key, word, DecodeError, Verdict};

/// Words in a key or mask.
pub const KEY_WORDS: usize = key::PORTS + 1;

/// The 7-tuple in hardware layout. IPv4 addresses sit in words 0 and 4 with the higher words
/// zero; `src_local`/`dst_local` are computed by the locality stage, not supplied with a packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Source address (an IPv4 address in the low 32 bits).
    pub src: u128,
    /// Destination address (an IPv4 address in the low 32 bits).
    pub dst: u128,
    /// Address family: true for IPv6 (META.IPV6).
    pub ipv6: bool,
    /// The source is local (META.SRC_LOCAL); set by the locality stage.
    pub src_local: bool,
    /// The destination is local (META.DST_LOCAL); set by the locality stage.
    pub dst_local: bool,
    /// IP protocol number, e.g. 6 for TCP.
    pub proto: u8,
    /// Source port (0 for protocols without ports).
    pub sport: u16,
    /// Destination port (0 for protocols without ports).
    pub dport: u16,
}

impl Key {
    /// A key of these endpoints, locality bits clear. Two IPv4 addresses give an IPv4 key;
    /// otherwise it is IPv6, with an IPv4 address IPv4-mapped.
    pub fn new(src: IpAddr, dst: IpAddr, proto: u8, sport: u16, dport: u16) -> Key {
        let (src, dst, ipv6) = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => (u32::from(s) as u128, u32::from(d) as u128, false),
            (s, d) => (v6(s), v6(d), true),
        };
        Key {
            src,
            dst,
            ipv6,
            proto,
            sport,
            dport,
            ..Key::default()
        }
    }

    /// An IPv4 key from host-order addresses, as in ClassBench traces.
    pub fn v4(src: u32, dst: u32, proto: u8, sport: u16, dport: u16) -> Key {
        Key {
            src: src as u128,
            dst: dst as u128,
            proto,
            sport,
            dport,
            ..Key::default()
        }
    }

    /// The source address in its family.
    pub fn src_ip(&self) -> IpAddr {
        ip(self.src, self.ipv6)
    }

    /// The destination address in its family.
    pub fn dst_ip(&self) -> IpAddr {
        ip(self.dst, self.ipv6)
    }

    /// The META key word.
    pub fn meta(&self) -> word::Meta {
        word::Meta::new()
            .with_proto(self.proto)
            .with_src_local(self.src_local)
            .with_dst_local(self.dst_local)
            .with_ipv6(self.ipv6)
    }

    /// The PORTS key word.
    pub fn ports(&self) -> word::Ports {
        word::Ports::new()
            .with_sport(self.sport)
            .with_dport(self.dport)
    }

    /// The key as the KEY registers and the key port hold it, word `i` at `key::*` index `i`.
    pub fn words(&self) -> [u32; KEY_WORDS] {
        let mut w = [0u32; KEY_WORDS];
        for i in 0..4 {
            w[key::SRC0 + i] = (self.src >> (32 * i)) as u32;
            w[key::DST0 + i] = (self.dst >> (32 * i)) as u32;
        }
        w[key::META] = self.meta().raw();
        w[key::PORTS] = self.ports().raw();
        w
    }

    /// The key that [`Key::words`] encodes; the inverse of it (every bit is kept).
    pub fn from_words(w: &[u32; KEY_WORDS]) -> Key {
        let mut src = 0u128;
        let mut dst = 0u128;
        for i in 0..4 {
            src |= (w[key::SRC0 + i] as u128) << (32 * i);
            dst |= (w[key::DST0 + i] as u128) << (32 * i);
        }
        let m = word::Meta::from_raw(w[key::META]);
        let p = word::Ports::from_raw(w[key::PORTS]);
        Key {
            src,
            dst,
            ipv6: m.ipv6(),
            src_local: m.src_local(),
            dst_local: m.dst_local(),
            proto: m.proto(),
            sport: p.sport(),
            dport: p.dport(),
        }
    }

    /// The key with the locality bits cleared: what the flow cache stores and compares.
    pub fn flow_part(&self) -> Key {
        Key {
            src_local: false,
            dst_local: false,
            ..*self
        }
    }

    /// The key of the reply direction.
    pub fn reversed(&self) -> Key {
        Key {
            src: self.dst,
            dst: self.src,
            src_local: self.dst_local,
            dst_local: self.src_local,
            sport: self.dport,
            dport: self.sport,
            ..*self
        }
    }
}

fn v6(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn ip(a: u128, ipv6: bool) -> IpAddr {
    if ipv6 {
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        IpAddr::V4(Ipv4Addr::from(a as u32))
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fmt_ep = |a: IpAddr, p: u16| match a {
            IpAddr::V4(a) => format!("{a}:{p}"),
            IpAddr::V6(a) => format!("[{a}]:{p}"),
        };
        write!(
            f,
            "{} -> {} proto {}",
            fmt_ep(self.src_ip(), self.sport),
            fmt_ep(self.dst_ip(), self.dport),
            self.proto
        )
    }
}

/// What the classifier does with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Deliver the packet on channel `channel`.
    Deliver {
        /// Channel index; the device has `CAP_MISC.CHANNELS` of them.
        channel: u8,
    },
    /// Drop the packet.
    Drop,
    /// Hand the packet to the host's slow path.
    SlowPath {
        /// Why: a `SlowReason` value, or a rule's own reason from 16 up.
        reason: u8,
    },
}

impl Action {
    /// The action word.
    pub fn encode(self) -> word::Action {
        let w = word::Action::new();
        match self {
            Action::Deliver { channel } => w.with_verdict(Verdict::Deliver).with_channel(channel),
            Action::Drop => w.with_verdict(Verdict::Drop),
            Action::SlowPath { reason } => w.with_verdict(Verdict::SlowPath).with_reason(reason),
        }
    }

    /// Decodes an action word; a reserved verdict or reserved bits are an error naming them.
    pub fn decode(w: word::Action) -> Result<Action, DecodeError> {
        let w = word::Action::decode(w.raw())?;
        Ok(match w.verdict()? {
            Verdict::Deliver => Action::Deliver {
                channel: w.channel(),
            },
            Verdict::Drop => Action::Drop,
            Verdict::SlowPath => Action::SlowPath { reason: w.reason() },
        })
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Deliver { channel } => write!(f, "channel {channel}"),
            Action::Drop => write!(f, "drop"),
            Action::SlowPath { reason } => write!(f, "slow-path (reason {reason})"),
        }
    }
}
