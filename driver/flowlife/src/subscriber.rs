//! Subscriber callbacks: modules that want to see flows. Each is asked, for every tuple about
//! to be cached, what it still needs of it; it sees the packets the host receives for it, may
//! change its mind later, and gets the final counters when the connection ends.

use gufc_regmap::{Key, LookupResult};

use crate::conntrack::{Conn, Dir, DirCounters};
use crate::interest::Interest;

/// A packet that reached the host, with the device's result for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostPacket {
    /// The packet's key as it arrived (locality bits clear: `result` has the device's).
    pub key: Key,
    /// TCP flags (0 for other protocols).
    pub tcp_flags: u8,
    /// Wire length in bytes.
    pub len: u16,
    /// Host clock (capture time during replay), nanoseconds.
    pub ts_ns: u64,
    /// What the device decided for it (action, hit kind, index, stale).
    pub result: LookupResult,
}

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Idle longer than its timeout.
    Idle,
    /// FIN both ways or RST, then the closed timeout.
    Closed,
    /// Evicted to make room for another flow (evict-idlest policy).
    Evicted,
    /// A rule change made the device drop it.
    RuleChange,
    /// The slow path shut down.
    Shutdown,
}

impl EndReason {
    /// The reason's name, as in JSON (`rule_change`) and the slow path's `ended` counts.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Idle => "idle",
            EndReason::Closed => "closed",
            EndReason::Evicted => "evicted",
            EndReason::RuleChange => "rule_change",
            EndReason::Shutdown => "shutdown",
        }
    }
}

/// The final word on a connection: everything counted for it, per direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConnEnd {
    /// Why it ended.
    pub reason: EndReason,
    /// Packets/bytes decided by its flow entries (hardware counters, read before removal).
    pub cached: [DirCounters; 2],
    /// Packets/bytes the host saw while the connection was not cached (packets it received
    /// for interest are counted by the flow entry).
    pub host: [DirCounters; 2],
}

impl ConnEnd {
    /// Every packet and byte of direction `d`: each was decided either by a flow entry or,
    /// uncached, seen by the host.
    pub fn total(&self, d: Dir) -> DirCounters {
        let (c, h) = (self.cached[d.index()], self.host[d.index()]);
        DirCounters {
            packets: c.packets + h.packets,
            bytes: c.bytes + h.bytes,
        }
    }
}

/// A change of mind: the subscriber's new interest in the connection one of whose keys is `key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterestChange {
    /// Either direction's flow key; the change applies to both directions.
    pub key: Key,
    /// The new interest.
    pub interest: Interest,
}

/// A module that wants to see flows (docs/flow-life.md, "Subscribers"). Only `name`,
/// `on_cache` and `report` are required.
pub trait Subscriber {
    /// Short unique name; its report's key in [`ReplayReport::subscribers`].
    ///
    /// [`ReplayReport::subscribers`]: crate::ReplayReport::subscribers
    fn name(&self) -> &str;
    /// A tuple of `conn` (direction `dir`) is about to be cached: what is still needed of it?
    fn on_cache(&mut self, conn: &Conn, dir: Dir) -> Interest;
    /// A packet reached the host: before its connection is cached (every subscriber sees it),
    /// or afterwards because this subscriber's interest selected it. `conn` is `None` for
    /// packets that belong to no connection (rejected, or not opening one).
    fn on_packet(&mut self, _conn: Option<&Conn>, _pkt: &HostPacket) {}
    /// The connection ended; its final counters.
    fn on_end(&mut self, _conn: &Conn, _end: &ConnEnd) {}
    /// Interest changes the subscriber decided since it was last asked.
    fn take_changes(&mut self) -> Vec<InterestChange> {
        Vec::new()
    }
    /// What it found, for reports.
    fn report(&self) -> serde_json::Value;
}
