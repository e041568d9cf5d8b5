//! The slow path's own counters: nothing it refuses or receives goes uncounted.

use std::collections::BTreeMap;

use gufc_regmap::SlowReason;

/// Name of a slow-path reason code for reports: the hardware's own reasons by name, rule
/// reasons (16 and up) by number.
pub fn reason_name(r: u8) -> String {
    SlowReason::from_bits(r as u32).map_or_else(|| r.to_string(), |s| s.name().to_lowercase())
}

/// The slow path's counters, cumulative since it was made (`host` in the replay JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SlowPathStats {
    /// Packets the host received and inspected.
    pub packets: u64,
    /// Of those, punted by the device (verdict SLOW_PATH), by reason name.
    pub punts: BTreeMap<String, u64>,
    /// Of those, delivered to a channel by a rule (not yet cached): the host stack sees them.
    pub rule_delivered: u64,
    /// Connections opened (first packets the rules let in).
    pub new_connections: u64,
    /// First packets refused a connection, by cause ("miss": no rule matched).
    pub rejected: BTreeMap<String, u64>,
    /// Packets belonging to no connection and not opening one (mid-stream TCP, ICMP errors).
    pub untracked: u64,
    /// Connections cached (each once, however often re-admitted).
    pub flows_learned: u64,
    /// Cache inserts that did not happen, by cause.
    pub refused_inserts: BTreeMap<String, u64>,
    /// Connections ended, by reason.
    pub ended: BTreeMap<String, u64>,
    /// Stale connections whose entries were made current again with FLOW_TOUCH (same
    /// decision under the new rules).
    pub revalidated_touched: u64,
    /// Stale connections whose entries were rewritten with a new action (another channel).
    pub revalidated_rewritten: u64,
    /// Stale connections whose entries were removed because the new rules no longer cache
    /// them.
    pub revalidated_removed: u64,
    /// Interest changes applied to cached entries.
    pub interest_changes: u64,
    /// Register reads the slow path made.
    pub register_reads: u64,
    /// Register writes the slow path made.
    pub register_writes: u64,
}

impl SlowPathStats {
    pub(super) fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
        *map.entry(key.to_string()).or_default() += 1;
    }

    /// Text lines for `gufc stats` / `gufc replay`.
    pub fn lines(&self) -> Vec<String> {
        let m = |map: &BTreeMap<String, u64>| {
            if map.is_empty() {
                "none".to_string()
            } else {
                map.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        vec![
            format!("slow path: {} packets inspected ({} delivered by rules, punts: {})", self.packets, self.rule_delivered, m(&self.punts)),
            format!("connections: {} new, {} learned into the cache, rejected: {}, untracked packets {}", self.new_connections, self.flows_learned, m(&self.rejected), self.untracked),
            format!("refused cache inserts: {}; ended: {}", m(&self.refused_inserts), m(&self.ended)),
            format!(
                "after rule changes: {} touched, {} rewritten, {} removed; {} interest changes",
                self.revalidated_touched, self.revalidated_rewritten, self.revalidated_removed, self.interest_changes
            ),
        ]
    }
}
