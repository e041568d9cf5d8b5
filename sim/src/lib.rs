//! gufc's RTL (`rtl/`), Verilated into Rust.
//!
//! [`Rtl`] has the same vocabulary as the cycle-accurate model (`gufc_hw_model::Model`): one
//! [`Rtl::step`] is one rising edge with a [`CycleIn`](gufc_regmap::CycleIn) and gives a
//! [`CycleOut`](gufc_regmap::CycleOut), so the lockstep tests can feed both the same stimulus and
//! compare every field of every cycle. Verilog parameters are fixed at build time: `build.rs`
//! Verilates one model per entry of [`Rtl::available`].

mod ffi;
pub mod frames;
mod rtl;
pub mod stimulus;
pub mod stimulus_parser;
pub mod stimulus_v2;

/// The device parameters, shared with the model: the RTL must be built with the same ones.
pub use gufc_hw_model::Config;
pub use gufc_regmap::ResPorts;
pub use rtl::{describe, Design, Rtl, RtlError};
