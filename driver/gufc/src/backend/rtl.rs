//! The Verilated RTL as a backend (feature `rtl`): the same BAR0 as hardware, clocked one edge
//! per register access, like [`ModelBar`](super::ModelBar) but running the Verilog itself.

use super::{Clocked, ClockedBar};
use gufc_regmap::{CycleIn, CycleOut};
use gufc_sim::Rtl;
pub use gufc_sim::{Config as RtlConfig, RtlError};

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

    /// The configurations Verilated into this build (sim/build.rs).
    pub fn available() -> Vec<RtlConfig> {
        Rtl::available()
    }

    /// The Verilated RTL itself.
    pub fn rtl(&self) -> &Rtl {
        self.device()
    }
}
