//! BAR0 of a simulated device: every register access is one clock edge.

use super::{Bar, BusError, Sim};
use gufc_regmap::{CycleIn, CycleOut, KeyIn, LookupResult, Mmio};

/// A device simulation the driver can clock: the model or the Verilated RTL.
pub trait Clocked {
    /// The backend's name in messages.
    const NAME: &'static str;
    /// One rising edge with these inputs.
    fn step(&mut self, input: &CycleIn) -> CycleOut;
    /// Rising edges since reset.
    fn cycle(&self) -> u64;
    /// [`Sim::step_keys`]; by default one [`Clocked::step`] per cycle.
    fn step_keys(&mut self, keys: &[KeyIn], on_out: &mut dyn FnMut(&CycleOut)) -> usize {
        super::step_keys_by_cycle(|i| self.step(i), keys, on_out)
    }
    /// [`Sim::set_lookup_threads`]; by default only one thread.
    fn set_lookup_threads(&mut self, threads: usize) -> bool {
        threads <= 1
    }
}

/// A [`Clocked`] device behind [`Bar`] and [`Sim`]. Each register access is one edge; results
/// that leave the pipeline meanwhile are held for [`Sim::take_results`].
pub struct ClockedBar<C> {
    dev: C,
    held: Vec<LookupResult>,
}

impl<C: Clocked> ClockedBar<C> {
    /// Wraps a device fresh from reset.
    pub fn wrap(dev: C) -> Self {
        ClockedBar {
            dev,
            held: Vec::new(),
        }
    }

    /// The simulation itself, for inspection.
    pub fn device(&self) -> &C {
        &self.dev
    }

    /// The simulation itself, for settings that do not change its behaviour.
    pub fn device_mut(&mut self) -> &mut C {
        &mut self.dev
    }

    fn access(&mut self, mmio: Mmio) -> u32 {
        let out = self.dev.step(&CycleIn {
            mmio: Some(mmio),
            key: None,
            res_ready: true,
            rst: false,
        });
        self.held.extend(out.result);
        out.rdata
    }
}

impl<C: Clocked> Bar for ClockedBar<C> {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        Ok(self.access(Mmio::Read { addr: off }))
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.access(Mmio::Write {
            addr: off,
            data: val,
        });
        Ok(())
    }
    fn name(&self) -> String {
        C::NAME.into()
    }
}

impl<C: Clocked> Sim for ClockedBar<C> {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        self.dev.step(input)
    }
    fn cycle(&self) -> u64 {
        self.dev.cycle()
    }
    fn take_results(&mut self) -> Vec<LookupResult> {
        std::mem::take(&mut self.held)
    }
    fn step_keys(&mut self, keys: &[KeyIn], on_out: &mut dyn FnMut(&CycleOut)) -> usize {
        self.dev.step_keys(keys, on_out)
    }
    fn set_lookup_threads(&mut self, threads: usize) -> bool {
        self.dev.set_lookup_threads(threads)
    }
}
