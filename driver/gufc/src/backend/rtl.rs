//! The Verilated RTL as a backend (feature `rtl`): the same BAR0 as hardware, clocked one edge
//! per register access, like [`ModelBar`](super::ModelBar) but running the Verilog itself.

use super::{Clocked, ClockedBar};
use gufc_regmap::{CycleIn, CycleOut};
pub use gufc_sim::{Config as RtlConfig, RtlError};
use gufc_sim::{Design, Rtl};

impl Clocked for Rtl {
    const NAME: &'static str = "rtl";
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        Rtl::step(self, input)
    }
    fn cycle(&self) -> u64 {
        Rtl::cycle(self)
    }
}

/// BAR0 of a Verilated [`Rtl`]: every register access is one clock edge.
pub type RtlBar = ClockedBar<Rtl>;

impl RtlBar {
    /// The RTL built with `config`; Verilog parameters are fixed at build time, so only the
    /// configurations in [`RtlBar::available`] exist.
    pub fn new(config: RtlConfig) -> Result<Self, RtlError> {
        Ok(ClockedBar::wrap(Rtl::new(config)?))
    }

    /// The Verilated RTL 2.0 build (`v2_*` in sim/build.rs) with `tcam_entries` entries and
    /// `flow_buckets` buckets; the other parameters are that build's.
    pub fn v2(tcam_entries: u32, flow_buckets: u32) -> Result<Self, RtlError> {
        let built = Rtl::built(Design::V2);
        let config = built
            .iter()
            .find(|c| c.tcam_entries == tcam_entries && c.flow_buckets == flow_buckets)
            .or_else(|| built.iter().find(|c| c.tcam_entries == tcam_entries))
            .cloned()
            .unwrap_or(RtlConfig {
                tcam_entries,
                flow_buckets,
                ..RtlConfig::default()
            });
        Ok(ClockedBar::wrap(Rtl::of(Design::V2, config)?))
    }

    /// The configurations Verilated into this build (sim/build.rs).
    pub fn available() -> Vec<RtlConfig> {
        Rtl::available()
    }

    /// The Verilated RTL itself.
    pub fn rtl(&self) -> &Rtl {
        self.device()
    }
}
