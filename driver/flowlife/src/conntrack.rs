//! Connection tracking: both directions of a TCP connection, a UDP flow or an ICMP query
//! session are one [`Conn`], found from either direction's key. TCP follows the handshake and
//! the close (FIN both ways, or RST); UDP and ICMP are "unreplied" until the first reply.

use std::collections::HashMap;

use gufc_regmap::Key;

use crate::capture::{icmp_reply_type, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};
use crate::interest::{HwInterest, Interest};

/// Which way a packet travels relative to the connection's first packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    /// The direction of the connection's first packet.
    Orig,
    /// Back towards the originator.
    Reply,
}

impl Dir {
    /// 0 for [`Dir::Orig`], 1 for [`Dir::Reply`]: the index of per-direction arrays.
    pub fn index(self) -> usize {
        self as usize
    }
    /// The opposite direction.
    pub fn other(self) -> Dir {
        match self {
            Dir::Orig => Dir::Reply,
            Dir::Reply => Dir::Orig,
        }
    }
}

/// Where a TCP connection is in its handshake or close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpState {
    /// SYN seen from the originator.
    SynSent,
    /// SYN+ACK seen from the responder.
    SynRecv,
    /// The originator acknowledged the SYN+ACK: the handshake is complete.
    Established,
    /// A FIN was seen in one direction.
    Closing,
    /// FIN both ways, or a RST.
    Closed,
}

/// A connection's state: TCP's own, or for every other protocol whether the reply came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum State {
    /// A TCP connection.
    Tcp(TcpState),
    /// UDP, ICMP or another protocol, no reply yet.
    Unreplied,
    /// UDP, ICMP or another protocol after the first reply: learnable.
    Replied,
}

impl State {
    /// The connection may be cached (the nf_flowtable convention).
    pub fn learnable(self) -> bool {
        matches!(self, State::Tcp(TcpState::Established) | State::Replied)
    }
    /// Lower-case name for reports (`syn-sent`, `established`, `unreplied`, …).
    pub fn name(self) -> &'static str {
        match self {
            State::Tcp(TcpState::SynSent) => "syn-sent",
            State::Tcp(TcpState::SynRecv) => "syn-recv",
            State::Tcp(TcpState::Established) => "established",
            State::Tcp(TcpState::Closing) => "closing",
            State::Tcp(TcpState::Closed) => "closed",
            State::Unreplied => "unreplied",
            State::Replied => "replied",
        }
    }
}

/// What the rules decided for the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    /// Accepted: cached flows deliver to this channel.
    Accept {
        /// The channel, 0..=255.
        channel: u8,
    },
    /// The rules want every packet on the host (a slow-path reason other than the learn
    /// reason): tracked, never cached.
    HostOnly {
        /// The rule's slow-path reason.
        reason: u8,
    },
}

/// Where the connection's flow entries are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Offload {
    /// Not cached (yet).
    No,
    /// Both directions are cached.
    Cached,
    /// A cache insert was refused (table full); retried after this host time.
    Refused {
        /// Host time (ns) from which the insert may be tried again.
        retry_ns: u64,
    },
}

/// Counters of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DirCounters {
    /// Packets in this direction.
    pub packets: u64,
    /// Their bytes, by wire length.
    pub bytes: u64,
}

impl DirCounters {
    /// Adds `packets` packets of `bytes` bytes in total.
    pub fn add(&mut self, packets: u64, bytes: u64) {
        self.packets += packets;
        self.bytes += bytes;
    }
}

/// One tracked connection.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Conn {
    /// Unique in its [`Table`], increasing in creation order.
    pub id: u64,
    /// The key of each direction (flow part: no locality bits).
    #[serde(serialize_with = "keys")]
    pub keys: [Key; 2],
    /// Where the connection is in its life.
    pub state: State,
    /// What the rules decided at its first packet (or at the last re-validation).
    pub decision: Decision,
    /// Whether its flow entries are in the cache.
    pub offload: Offload,
    /// Host time (ns) of its first packet.
    pub created_ns: u64,
    /// Last time the host saw a packet, or a sweep saw a cache hit.
    pub last_active_ns: u64,
    /// Packets and bytes the host saw, per direction.
    pub host: [DirCounters; 2],
    /// Hardware counters of flow entries already removed or rewritten, per direction.
    pub hw_retired: [DirCounters; 2],
    /// A FIN was seen in each direction.
    pub fin: [bool; 2],
    /// Each subscriber's interest per direction, in registration order.
    pub interests: Vec<[Interest; 2]>,
    /// The subscribers have been asked (at the first caching); later re-admissions keep
    /// their answers and changes of mind.
    pub asked: bool,
    /// The combined interest each direction's entry carries.
    pub hw_interest: [HwInterest; 2],
    /// Packets the host received for interest, per direction (for per-subscriber sampling).
    pub interest_seen: [u64; 2],
    /// The connection has been counted as learned (it counts once however often it is
    /// re-admitted).
    pub learned: bool,
}

fn keys<S: serde::Serializer>(k: &[Key; 2], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(2))?;
    for key in k {
        seq.serialize_element(&key.to_string())?;
    }
    seq.end()
}

impl Conn {
    /// The flow key of direction `d`.
    pub fn key(&self, d: Dir) -> Key {
        self.keys[d.index()]
    }
    /// The IP protocol number.
    pub fn proto(&self) -> u8 {
        self.keys[0].proto
    }
    /// Is it TCP (protocol 6)?
    pub fn is_tcp(&self) -> bool {
        self.proto() == 6
    }
}

/// The reply-direction key of a connection whose first packet has key `k`, or `None` if such
/// a packet does not open a connection (ICMP errors and replies).
pub fn reply_key(k: &Key) -> Option<Key> {
    let mut r = k.flow_part().reversed();
    match k.proto {
        1 | 58 => {
            let v6 = k.proto == 58;
            if v6 != k.ipv6 {
                return None;
            }
            let reply = icmp_reply_type((k.sport >> 8) as u8, v6)?;
            r.sport = (reply as u16) << 8 | (k.sport & 0xff);
            r.dport = k.dport; // identifier
        }
        _ => {}
    }
    Some(r)
}

/// Does a packet with these flags (TCP) open a connection?
pub fn opens(k: &Key, tcp_flags: u8) -> bool {
    match k.proto {
        6 => tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST) == TCP_SYN,
        _ => reply_key(k).is_some(),
    }
}

/// Advances `c`'s state for a packet in direction `d`; returns true if the connection became
/// learnable with this packet.
pub fn advance(c: &mut Conn, d: Dir, tcp_flags: u8) -> bool {
    let before = c.state;
    c.state = match c.state {
        State::Tcp(t) => {
            if tcp_flags & TCP_RST != 0 {
                State::Tcp(TcpState::Closed)
            } else {
                if tcp_flags & TCP_FIN != 0 {
                    c.fin[d.index()] = true;
                }
                State::Tcp(match (t, d) {
                    (TcpState::SynSent, Dir::Reply)
                        if tcp_flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK =>
                    {
                        TcpState::SynRecv
                    }
                    (TcpState::SynRecv, Dir::Orig)
                        if tcp_flags & (TCP_SYN | TCP_ACK) == TCP_ACK =>
                    {
                        if c.fin[0] {
                            TcpState::Closing
                        } else {
                            TcpState::Established
                        }
                    }
                    (TcpState::Established | TcpState::Closing, _) if c.fin[0] && c.fin[1] => {
                        TcpState::Closed
                    }
                    (TcpState::Established, _) if c.fin[0] || c.fin[1] => TcpState::Closing,
                    (t, _) => t,
                })
            }
        }
        State::Unreplied if d == Dir::Reply => State::Replied,
        s => s,
    };
    // A handshake that completes in the same packet as a FIN still counts as completed.
    let completed = before == State::Tcp(TcpState::SynRecv)
        && c.state != before
        && c.state != State::Tcp(TcpState::Closed);
    (!before.learnable() && c.state.learnable()) || completed
}

/// The connection table: connections by id, and both directions' keys to (id, direction).
#[derive(Default)]
pub struct Table {
    /// Connections by id. Add and remove them only through [`Table::open`] and
    /// [`Table::remove`], which keep the key index in step.
    pub conns: HashMap<u64, Conn>,
    by_key: HashMap<Key, (u64, Dir)>,
    next_id: u64,
}

impl Table {
    /// The connection and direction a packet with key `k` belongs to (locality bits ignored).
    pub fn find(&self, k: &Key) -> Option<(u64, Dir)> {
        self.by_key.get(&k.flow_part()).copied()
    }

    /// Opens a connection whose first packet has key `k`.
    pub fn open(
        &mut self,
        k: &Key,
        decision: Decision,
        now_ns: u64,
        subscribers: usize,
    ) -> Option<u64> {
        let orig = k.flow_part();
        let reply = reply_key(&orig)?;
        let state = if orig.proto == 6 {
            State::Tcp(TcpState::SynSent)
        } else {
            State::Unreplied
        };
        self.next_id += 1;
        let id = self.next_id;
        self.by_key.insert(orig, (id, Dir::Orig));
        self.by_key.insert(reply, (id, Dir::Reply));
        self.conns.insert(
            id,
            Conn {
                id,
                keys: [orig, reply],
                state,
                decision,
                offload: Offload::No,
                created_ns: now_ns,
                last_active_ns: now_ns,
                host: [DirCounters::default(); 2],
                hw_retired: [DirCounters::default(); 2],
                fin: [false; 2],
                interests: vec![[Interest::Nothing; 2]; subscribers],
                asked: false,
                hw_interest: [HwInterest::None; 2],
                interest_seen: [0; 2],
                learned: false,
            },
        );
        Some(id)
    }

    /// Forgets a connection and both its keys; the connection, if it existed.
    pub fn remove(&mut self, id: u64) -> Option<Conn> {
        let c = self.conns.remove(&id)?;
        for k in &c.keys {
            self.by_key.remove(k);
        }
        Some(c)
    }

    /// The connection with this id.
    pub fn get(&self, id: u64) -> Option<&Conn> {
        self.conns.get(&id)
    }

    /// The connection with this id, to update (its keys must not change).
    pub fn get_mut(&mut self, id: u64) -> Option<&mut Conn> {
        self.conns.get_mut(&id)
    }

    /// Connections tracked.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// No connection tracked.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Connection ids in creation order (deterministic sweeps).
    pub fn ids(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.conns.keys().copied().collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(proto: u8) -> (Table, u64) {
        let mut t = Table::default();
        let k = Key::v4(1, 2, proto, 1000, if proto == 1 { 77 } else { 80 });
        let k = if proto == 1 {
            Key { sport: 8 << 8, ..k }
        } else {
            k
        };
        let id = t.open(&k, Decision::Accept { channel: 0 }, 0, 0).unwrap();
        (t, id)
    }

    #[test]
    fn tcp_handshake_then_fin_both_ways() {
        let (mut t, id) = conn(6);
        let c = t.get_mut(id).unwrap();
        assert!(!advance(c, Dir::Orig, TCP_SYN));
        assert!(!advance(c, Dir::Reply, TCP_SYN | TCP_ACK));
        assert_eq!(c.state, State::Tcp(TcpState::SynRecv));
        assert!(
            advance(c, Dir::Orig, TCP_ACK),
            "the third packet completes the handshake"
        );
        assert!(!advance(c, Dir::Reply, TCP_ACK | 0x08));
        assert!(!advance(c, Dir::Orig, TCP_FIN | TCP_ACK));
        assert_eq!(c.state, State::Tcp(TcpState::Closing));
        advance(c, Dir::Reply, TCP_FIN | TCP_ACK);
        assert_eq!(c.state, State::Tcp(TcpState::Closed));
    }

    #[test]
    fn rst_closes_and_a_refused_syn_never_establishes() {
        let (mut t, id) = conn(6);
        let c = t.get_mut(id).unwrap();
        assert!(!advance(c, Dir::Reply, TCP_RST | TCP_ACK));
        assert_eq!(c.state, State::Tcp(TcpState::Closed));
        assert!(!advance(c, Dir::Orig, TCP_ACK));
    }

    #[test]
    fn udp_and_icmp_learn_at_the_first_reply_and_map_both_directions() {
        for proto in [17, 1] {
            let (mut t, id) = conn(proto);
            let keys = t.get(id).unwrap().keys;
            assert_eq!(t.find(&keys[1]), Some((id, Dir::Reply)));
            let c = t.get_mut(id).unwrap();
            assert!(!advance(c, Dir::Orig, 0));
            assert!(advance(c, Dir::Reply, 0));
            assert!(!advance(c, Dir::Reply, 0), "learnable once");
        }
        let echo = Key {
            sport: 8 << 8,
            dport: 77,
            ..Key::v4(1, 2, 1, 0, 0)
        };
        let r = reply_key(&echo).unwrap();
        assert_eq!(
            (r.src, r.dst, r.sport, r.dport),
            (2, 1, 0, 77),
            "echo reply: type 0, same identifier"
        );
        assert!(
            reply_key(&Key {
                sport: 3 << 8,
                ..echo
            })
            .is_none(),
            "an ICMP error opens nothing"
        );
        assert!(!opens(&Key::v4(1, 2, 6, 1, 2), TCP_ACK));
    }
}
