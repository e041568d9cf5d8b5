//! Example subscriber: a port-scan detector. It watches connection attempts (TCP SYNs and
//! first UDP packets reach the host before any flow is cached) and flags a source that tries
//! more than `threshold` distinct (destination, port) pairs within `window_ns`. From then on it
//! wants every packet of that source's connections: new ones at caching time, and those
//! already cached by a change of interest.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use gufc_regmap::Key;

use crate::conntrack::{opens, Conn, Dir};
use crate::interest::Interest;
use crate::subscriber::{ConnEnd, HostPacket, InterestChange, Subscriber};

/// The port-scan subscriber (interest `Nothing` until a source is flagged).
pub struct PortScanDetector {
    /// A source is flagged when it tries more than this many (destination, port) pairs…
    pub threshold: usize,
    /// …within this much host time, in nanoseconds.
    pub window_ns: u64,
    /// Per source: start of its current window and the (destination, port) pairs tried.
    attempts: HashMap<IpAddr, (u64, HashSet<(IpAddr, u16)>)>,
    /// Flagged sources, with the host time they were flagged.
    pub flagged: BTreeMap<IpAddr, u64>,
    /// Cached connections per originating source (to change interest when it is flagged).
    cached: HashMap<IpAddr, BTreeSet<Key>>,
    changes: Vec<InterestChange>,
    /// Packets of flagged sources' connections received for interest.
    pub watched_packets: u64,
}

impl PortScanDetector {
    /// Flags a source that tries more than `threshold` (destination, port) pairs within
    /// `window_ns` nanoseconds of host time.
    pub fn new(threshold: usize, window_ns: u64) -> Self {
        PortScanDetector {
            threshold,
            window_ns,
            attempts: HashMap::new(),
            flagged: BTreeMap::new(),
            cached: HashMap::new(),
            changes: Vec::new(),
            watched_packets: 0,
        }
    }
}

impl Default for PortScanDetector {
    /// More than 20 ports within 10 s.
    fn default() -> Self {
        PortScanDetector::new(20, 10_000_000_000)
    }
}

impl Subscriber for PortScanDetector {
    fn name(&self) -> &str {
        "portscan"
    }
    fn on_cache(&mut self, conn: &Conn, dir: Dir) -> Interest {
        let src = conn.key(Dir::Orig).src_ip();
        if dir == Dir::Orig {
            self.cached
                .entry(src)
                .or_default()
                .insert(conn.key(Dir::Orig));
        }
        if self.flagged.contains_key(&src) {
            Interest::EveryPacket
        } else {
            Interest::Nothing
        }
    }
    fn on_packet(&mut self, conn: Option<&Conn>, pkt: &HostPacket) {
        let k = pkt.key;
        if let Some(c) = conn {
            if self.flagged.contains_key(&c.key(Dir::Orig).src_ip())
                && pkt.result.kind == gufc_regmap::HitKind::Flow
            {
                self.watched_packets += 1;
            }
        }
        if !opens(&k, pkt.tcp_flags) || conn.is_some_and(|c| c.key(Dir::Orig) != k.flow_part()) {
            return;
        }
        let src = k.src_ip();
        if self.flagged.contains_key(&src) {
            return;
        }
        let (start, seen) = self
            .attempts
            .entry(src)
            .or_insert_with(|| (pkt.ts_ns, HashSet::new()));
        if pkt.ts_ns.saturating_sub(*start) > self.window_ns {
            *start = pkt.ts_ns;
            seen.clear();
        }
        seen.insert((k.dst_ip(), k.dport));
        if seen.len() > self.threshold {
            self.flagged.insert(src, pkt.ts_ns);
            self.attempts.remove(&src);
            for key in self.cached.get(&src).into_iter().flatten() {
                self.changes.push(InterestChange {
                    key: *key,
                    interest: Interest::EveryPacket,
                });
            }
        }
    }
    fn on_end(&mut self, conn: &Conn, _end: &ConnEnd) {
        let k = conn.key(Dir::Orig);
        if let Some(set) = self.cached.get_mut(&k.src_ip()) {
            set.remove(&k);
        }
    }
    fn take_changes(&mut self) -> Vec<InterestChange> {
        std::mem::take(&mut self.changes)
    }
    fn report(&self) -> serde_json::Value {
        serde_json::json!({
            "threshold_ports": self.threshold,
            "window_s": self.window_ns as f64 / 1e9,
            "scanners": self.flagged.keys().map(|a| a.to_string()).collect::<Vec<_>>(),
            "watched_packets": self.watched_packets,
        })
    }
}
