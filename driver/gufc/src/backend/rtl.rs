//! The Verilated RTL as a backend (feature `rtl`): the same BAR0 as hardware, clocked one edge
//! per register access, like [`ModelBar`](super::ModelBar) but running the Verilog itself.

use super::{sim_access, Bar, BusError, Sim};
use gufc_regmap::{CycleIn, CycleOut, LookupResult, Mmio};
use gufc_sim::Rtl;
pub use gufc_sim::{Config as RtlConfig, RtlError};

/// BAR0 of a Verilated [`Rtl`]: every register access is one clock edge.
pub struct RtlBar {
    rtl: Rtl,
    held: Vec<LookupResult>,
}

impl RtlBar {
    /// The RTL built with `config`; Verilog parameters are fixed at build time, so only the
    /// configurations in [`RtlBar::available`] exist.
    pub fn new(config: RtlConfig) -> Result<Self, RtlError> {
        Ok(RtlBar {
            rtl: Rtl::new(config)?,
            held: Vec::new(),
        })
    }

    /// The configurations Verilated into this build (sim/build.rs).
    pub fn available() -> Vec<RtlConfig> {
        Rtl::available()
    }

    pub fn rtl(&self) -> &Rtl {
        &self.rtl
    }
}

impl Bar for RtlBar {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        let rtl = &mut self.rtl;
        Ok(sim_access(
            &mut |i| rtl.step(i),
            &mut self.held,
            Mmio::Read { addr: off },
        ))
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        let rtl = &mut self.rtl;
        sim_access(
            &mut |i| rtl.step(i),
            &mut self.held,
            Mmio::Write {
                addr: off,
                data: val,
            },
        );
        Ok(())
    }
    fn name(&self) -> String {
        "rtl".into()
    }
}

impl Sim for RtlBar {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        self.rtl.step(input)
    }
    fn cycle(&self) -> u64 {
        self.rtl.cycle()
    }
    fn take_results(&mut self) -> Vec<LookupResult> {
        std::mem::take(&mut self.held)
    }
}
