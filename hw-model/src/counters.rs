//! Packet/byte counters in the four spaces of CNT_READ/CNT_CLEAR.

use gufc_regmap::counter_space;

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

/// Number of global counters (`gufc_regmap::global_counter`).
pub(crate) const GLOBALS: usize = 8;

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

    /// The counter space `space`, if it exists.
    pub fn space(&mut self, space: u32) -> Option<&mut [Counter]> {
        match u8::try_from(space).ok()? {
            counter_space::TCAM => Some(&mut self.tcam),
            counter_space::FLOW => Some(&mut self.flow),
            counter_space::CHANNEL => Some(&mut self.channel),
            counter_space::GLOBAL => Some(&mut self.global),
            _ => None,
        }
    }
}
