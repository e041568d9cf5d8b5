//! Cycle-accurate model of the gufc classifier (docs/timing.md is its specification).
//!
//! [`Model::step`] is one rising edge of the device: the same registers, the same pipeline,
//! the same answers on the same cycle as the RTL. The Verilator lockstep harness in `sim/`
//! compares the two on every cycle; the driver runs on the model when there is no device.
//! [`Model::step_keys`] and [`Model::idle`] run many such edges per call with the same outputs
//! (docs/performance.md), and the TCAM stage uses an index, not N compares.

#![forbid(unsafe_code)]

mod burst;
mod commands;
mod config;
mod counters;
mod flow;
mod index;
mod locality;
mod model;
mod pipeline;
mod regs;
mod slot;
mod tcam;
pub mod v2;
mod winner;

pub use burst::FAST_ENV;
pub use config::{Config, ConfigError};
pub use index::IndexBuild;
pub use model::Model;
pub use tcam::TcamStrategy;
