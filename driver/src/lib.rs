//! gufc's userspace driver: one driver, several backends.
//!
//! Data flows one way: rule text → [`rules`] (parse, compile to TCAM entries) → [`device`]
//! (typed API: transactions, flow cache, counters, probe) → [`backend`] (BAR accesses) →
//! hardware, the Verilated RTL or the model. [`stream`] pushes packets through simulations.

pub mod backend;
pub mod cli;
pub mod device;
pub mod flowlife;
pub mod json;
pub mod pcap;
pub mod pci;
pub mod rng;
pub mod rules;
pub mod selftest;
pub mod stream;

pub use device::{Device, DeviceError, OpenOptions};
