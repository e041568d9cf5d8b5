//! The lookup key and the action word as they appear in KEY/MASK/ACTION registers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{action, key, meta, verdict};

/// Words in a key or mask.
pub const KEY_WORDS: usize = key::PORTS + 1;

/// The 7-tuple in hardware layout. IPv4 addresses sit in words 0 and 4 with the higher words
/// zero; `src_local`/`dst_local` are computed by the locality stage, not supplied with a packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub src: u128,
    pub dst: u128,
    pub ipv6: bool,
    pub src_local: bool,
    pub dst_local: bool,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
}

impl Key {
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

    pub fn src_ip(&self) -> IpAddr {
        ip(self.src, self.ipv6)
    }

    pub fn dst_ip(&self) -> IpAddr {
        ip(self.dst, self.ipv6)
    }

    pub fn meta(&self) -> u32 {
        meta::PROTO.put(self.proto as u32)
            | meta::SRC_LOCAL.put(self.src_local as u32)
            | meta::DST_LOCAL.put(self.dst_local as u32)
            | meta::IPV6.put(self.ipv6 as u32)
    }

    pub fn words(&self) -> [u32; KEY_WORDS] {
        let mut w = [0u32; KEY_WORDS];
        for i in 0..4 {
            w[key::SRC0 + i] = (self.src >> (32 * i)) as u32;
            w[key::DST0 + i] = (self.dst >> (32 * i)) as u32;
        }
        w[key::META] = self.meta();
        w[key::PORTS] = self.sport as u32 | (self.dport as u32) << 16;
        w
    }

    pub fn from_words(w: &[u32; KEY_WORDS]) -> Key {
        let mut src = 0u128;
        let mut dst = 0u128;
        for i in 0..4 {
            src |= (w[key::SRC0 + i] as u128) << (32 * i);
            dst |= (w[key::DST0 + i] as u128) << (32 * i);
        }
        let m = w[key::META];
        Key {
            src,
            dst,
            ipv6: meta::IPV6.get(m) != 0,
            src_local: meta::SRC_LOCAL.get(m) != 0,
            dst_local: meta::DST_LOCAL.get(m) != 0,
            proto: meta::PROTO.get(m) as u8,
            sport: w[key::PORTS] as u16,
            dport: (w[key::PORTS] >> 16) as u16,
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
    Deliver { channel: u8 },
    Drop,
    SlowPath { reason: u8 },
}

impl Action {
    pub fn encode(self) -> u32 {
        match self {
            Action::Deliver { channel } => {
                action::VERDICT.put(verdict::DELIVER as u32) | action::CHANNEL.put(channel as u32)
            }
            Action::Drop => action::VERDICT.put(verdict::DROP as u32),
            Action::SlowPath { reason } => {
                action::VERDICT.put(verdict::SLOW_PATH as u32) | action::REASON.put(reason as u32)
            }
        }
    }

    /// Decodes an action word; `None` for a reserved verdict or reserved bits.
    pub fn decode(w: u32) -> Option<Action> {
        let known = action::VERDICT.mask() | action::CHANNEL.mask() | action::REASON.mask();
        if w & !known != 0 {
            return None;
        }
        match action::VERDICT.get(w) as u8 {
            verdict::DELIVER => Some(Action::Deliver {
                channel: action::CHANNEL.get(w) as u8,
            }),
            verdict::DROP => Some(Action::Drop),
            verdict::SLOW_PATH => Some(Action::SlowPath {
                reason: action::REASON.get(w) as u8,
            }),
            _ => None,
        }
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
