//! Packet/byte counters in the four spaces of CNT_READ/CNT_CLEAR.

use gufc_regmap::{CounterSpace, GlobalCounter};

/// A packets/bytes pair; the hardware's counters are 64 bits wide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counter {
    pub pkts: u64,
    pub bytes: u64,
}

impl Counter {
    pub fn add(&mut self, len: u16) {
        self.pkts = self.pkts.wrapping_add(1);
        self.bytes = self.bytes.wrapping_add(len as u64);
    }
}

/// Number of global counters ([`GlobalCounter`]).
pub(crate) const GLOBALS: usize = GlobalCounter::ALL.len();

pub(crate) struct Counters {
    pub tcam: Vec<Counter>,
    pub flow: Vec<Counter>,
    pub channel: Vec<Counter>,
    pub global: [Counter; GLOBALS],
}

impl Counters {
    pub fn new(tcam: u32, flow: u32, channels: u32) -> Counters {
        Counters {
            tcam: vec![Counter::default(); tcam as usize],
            flow: vec![Counter::default(); flow as usize],
            channel: vec![Counter::default(); channels as usize],
            global: [Counter::default(); GLOBALS],
        }
    }

    pub fn reset(&mut self) {
        self.tcam.fill(Counter::default());
        self.flow.fill(Counter::default());
        self.channel.fill(Counter::default());
        self.global = [Counter::default(); GLOBALS];
    }

    /// The counters of `space`.
    pub fn space(&mut self, space: CounterSpace) -> &mut [Counter] {
        match space {
            CounterSpace::Tcam => &mut self.tcam,
            CounterSpace::Flow => &mut self.flow,
            CounterSpace::Channel => &mut self.channel,
            CounterSpace::Global => &mut self.global,
        }
    }
}
