//! 64-bit counters, read consistently through the CNT_READ snapshot.

use super::{Device, DeviceError};
use crate::backend::Bar;
use gufc_regmap::{counter_space, global_counter, opcode, reg};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterSpace {
    Tcam,
    Flow,
    Channel,
    Global,
}

impl CounterSpace {
    fn code(self) -> u32 {
        (match self {
            CounterSpace::Tcam => counter_space::TCAM,
            CounterSpace::Flow => counter_space::FLOW,
            CounterSpace::Channel => counter_space::CHANNEL,
            CounterSpace::Global => counter_space::GLOBAL,
        }) as u32
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counter {
    pub packets: u64,
    pub bytes: u64,
}

/// The device-wide counters (the GLOBAL space), packets only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GlobalCounters {
    pub lookups: u64,
    pub flow_hits: u64,
    pub rule_hits: u64,
    pub misses: u64,
    pub drops: u64,
    pub slow_path: u64,
    pub delivered: u64,
    pub stale_flows: u64,
}

impl<B: Bar> Device<B> {
    /// Counter `index` of `space`, both words of both counters from one cycle.
    pub fn counter(&mut self, space: CounterSpace, index: u32) -> Result<Counter, DeviceError> {
        self.stage(reg::CMD_ARG, space.code())?;
        self.command(opcode::CNT_READ, index)?;
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

    pub fn clear_counter(&mut self, space: CounterSpace, index: u32) -> Result<(), DeviceError> {
        self.stage(reg::CMD_ARG, space.code())?;
        self.command(opcode::CNT_CLEAR, index)?;
        self.check()
    }

    pub fn global_counters(&mut self) -> Result<GlobalCounters, DeviceError> {
        let mut g = |i: u8| -> Result<u64, DeviceError> {
            Ok(self.counter(CounterSpace::Global, i as u32)?.packets)
        };
        Ok(GlobalCounters {
            lookups: g(global_counter::LOOKUPS)?,
            flow_hits: g(global_counter::FLOW_HITS)?,
            rule_hits: g(global_counter::RULE_HITS)?,
            misses: g(global_counter::MISSES)?,
            drops: g(global_counter::DROPS)?,
            slow_path: g(global_counter::SLOW_PATH)?,
            delivered: g(global_counter::DELIVERED)?,
            stale_flows: g(global_counter::STALE_FLOWS)?,
        })
    }
}
