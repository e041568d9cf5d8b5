//! BAR access backends. The driver is written once against [`Bar`]; [`Sim`] adds what only a
//! simulation can do (clock steps, key injection) and is never implemented by hardware.

use gufc_regmap::{CycleIn, CycleOut, KeyIn};

mod clocked;
#[cfg(feature = "fault-injection")]
pub mod fault;
#[cfg(feature = "model")]
mod model;
#[cfg(feature = "model")]
mod model2;
#[cfg(feature = "model")]
pub mod nic;
#[cfg(feature = "rtl")]
mod rtl;
mod simulated;
pub mod sysfs;
mod trace;
#[cfg(all(feature = "vfio", target_os = "linux"))]
pub mod vfio;

pub use clocked::{Clocked, ClockedBar};
#[cfg(feature = "model")]
pub use model::ModelBar;
#[cfg(feature = "model")]
pub use model2::Model2Bar;
#[cfg(feature = "model")]
pub use nic::NicModel;
#[cfg(feature = "rtl")]
pub use rtl::{RtlBar, RtlConfig, RtlError};
pub use simulated::{SimKind, SimSpec};
pub use sysfs::SysfsBar;
pub use trace::Traced;
#[cfg(all(feature = "vfio", target_os = "linux"))]
pub use vfio::VfioBar;

/// A register access that failed below the driver (I/O error, unmapped BAR, dead link).
#[derive(Debug, thiserror::Error)]
#[error("{backend}: {op} at BAR0+{offset:#05x}: {msg}")]
pub struct BusError {
    /// The backend's [`Bar::name`].
    pub backend: String,
    /// `"read"` or `"write"`.
    pub op: &'static str,
    /// Byte offset into BAR0 of the failed access.
    pub offset: u32,
    /// What went wrong, in the backend's words.
    pub msg: String,
}

/// 32-bit access to a device's BAR0. Offsets are bytes.
pub trait Bar {
    /// Reads the 32-bit register at byte offset `off` (4-aligned).
    fn read32(&mut self, off: u32) -> Result<u32, BusError>;
    /// Writes `val` to the 32-bit register at byte offset `off` (4-aligned).
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError>;
    /// Human-readable name: "model", "rtl", "vfio 0000:01:00.0", …
    fn name(&self) -> String;
}

/// Simulation-only control of a device model.
pub trait Sim: Bar {
    /// One rising edge with these inputs.
    fn step(&mut self, input: &CycleIn) -> CycleOut;
    /// Rising edges since the simulation started.
    fn cycle(&self) -> u64;
    /// Results that left the device while [`Bar`] accesses were clocking it.
    fn take_results(&mut self) -> Vec<gufc_regmap::LookupResult>;
    /// A burst: cycles offering `keys[0]`, `keys[1]`, … one per cycle with `res_ready` high and
    /// no register access, `on_out` getting each cycle's outputs; stops after a cycle whose key
    /// was refused and returns the cycles run. Exactly [`Sim::step`] per cycle; a backend may
    /// run it faster.
    fn step_keys(&mut self, keys: &[KeyIn], on_out: &mut dyn FnMut(&CycleOut)) -> usize {
        step_keys_by_cycle(|i| self.step(i), keys, on_out)
    }
    /// Lets [`Sim::step_keys`] decide keys on `threads` threads (same results, counters and
    /// cycles); false if the backend cannot (then it keeps one).
    fn set_lookup_threads(&mut self, threads: usize) -> bool {
        threads <= 1
    }
}

/// [`Sim::step_keys`] one edge at a time through `step` (a [`Sim`]'s or a
/// [`Clocked`]'s).
pub fn step_keys_by_cycle(
    mut step: impl FnMut(&CycleIn) -> CycleOut,
    keys: &[KeyIn],
    on_out: &mut dyn FnMut(&CycleOut),
) -> usize {
    let mut n = 0;
    for k in keys {
        let o = step(&CycleIn {
            key: Some(*k),
            res_ready: true,
            mmio: None,
            rst: false,
        });
        n += 1;
        on_out(&o);
        if !o.accepted {
            break;
        }
    }
    n
}

impl<B: Bar + ?Sized> Bar for Box<B> {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        (**self).read32(off)
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        (**self).write32(off, val)
    }
    fn name(&self) -> String {
        (**self).name()
    }
}

impl<S: Sim + ?Sized> Sim for Box<S> {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        (**self).step(input)
    }
    fn cycle(&self) -> u64 {
        (**self).cycle()
    }
    fn take_results(&mut self) -> Vec<gufc_regmap::LookupResult> {
        (**self).take_results()
    }
    fn step_keys(&mut self, keys: &[KeyIn], on_out: &mut dyn FnMut(&CycleOut)) -> usize {
        (**self).step_keys(keys, on_out)
    }
    fn set_lookup_threads(&mut self, threads: usize) -> bool {
        (**self).set_lookup_threads(threads)
    }
}
