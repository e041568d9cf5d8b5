//! gufc's userspace driver library: one driver, several backends.
//!
//! Data flows one way: rule text → [`rules`] (parse, compile to TCAM entries) → [`device`]
//! (typed API: transactions, flow cache, counters, probe) → [`backend`] (BAR accesses) →
//! hardware, the Verilated RTL or the model. [`stream`] pushes packets through simulations;
//! [`classify`] runs a whole trace that way. No terminal code lives here: the `gufc` command
//! is the `gufc-cli` crate, the flow life cycle is `gufc-flowlife`.

pub mod backend;
pub mod classify;
pub mod device;
pub mod json;
pub mod pci;
pub mod rx;
pub use gufc_rules as rules;
pub mod selftest;
pub mod stream;
#[cfg(target_os = "linux")]
pub mod vfio_user;

pub use device::{Device, DeviceError, OpenOptions};
