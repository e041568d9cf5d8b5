//! 64-bit counters, read consistently through the CNT_READ snapshot.

use super::{Device, DeviceError};
use crate::backend::Bar;
use gufc_regmap::{reg, CounterSpace, GlobalCounter, Opcode};

/// A packet and a byte count (64 bits each), read in one CNT_READ snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counter {
    /// Packets counted.
    pub packets: u64,
    /// Bytes of those packets (their key-port `len`).
    pub bytes: u64,
}

/// The device-wide counters (the GLOBAL space), packets only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GlobalCounters {
    /// Keys that left the pipeline (probes excluded).
    pub lookups: u64,
    /// Decided by a current flow-cache entry.
    pub flow_hits: u64,
    /// Decided by a TCAM rule.
    pub rule_hits: u64,
    /// Neither a flow entry nor a rule matched.
    pub misses: u64,
    /// Verdict DROP.
    pub drops: u64,
    /// Verdict SLOW_PATH.
    pub slow_path: u64,
    /// Verdict DELIVER.
    pub delivered: u64,
    /// A flow entry matched but its epoch was old.
    pub stale_flows: u64,
}

impl<B: Bar> Device<B> {
    /// Counter `index` of `space`, both words of both counters from one cycle.
    pub fn counter(&mut self, space: CounterSpace, index: u32) -> Result<Counter, DeviceError> {
        self.stage(reg::CMD_ARG, space.into())?;
        self.command(Opcode::CntRead, index)?;
        let pl = self.read(reg::CNT_PKTS_LO)? as u64;
        let ph = self.read(reg::CNT_PKTS_HI)? as u64;
        let bl = self.read(reg::CNT_BYTES_LO)? as u64;
        let bh = self.read(reg::CNT_BYTES_HI)? as u64;
        self.check()?;
        Ok(Counter {
            packets: ph << 32 | pl,
            bytes: bh << 32 | bl,
        })
    }

    /// Zeroes counter `index` of `space` (packets and bytes).
    pub fn clear_counter(&mut self, space: CounterSpace, index: u32) -> Result<(), DeviceError> {
        self.stage(reg::CMD_ARG, space.into())?;
        self.command(Opcode::CntClear, index)?;
        self.check()
    }

    /// Every GLOBAL counter's packet count (each read on its own, so not one snapshot).
    pub fn global_counters(&mut self) -> Result<GlobalCounters, DeviceError> {
        let mut g = |g: GlobalCounter| -> Result<u64, DeviceError> {
            Ok(self.counter(CounterSpace::Global, g.into())?.packets)
        };
        Ok(GlobalCounters {
            lookups: g(GlobalCounter::Lookups)?,
            flow_hits: g(GlobalCounter::FlowHits)?,
            rule_hits: g(GlobalCounter::RuleHits)?,
            misses: g(GlobalCounter::Misses)?,
            drops: g(GlobalCounter::Drops)?,
            slow_path: g(GlobalCounter::SlowPath)?,
            delivered: g(GlobalCounter::Delivered)?,
            stale_flows: g(GlobalCounter::StaleFlows)?,
        })
    }
}
