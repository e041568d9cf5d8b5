//! RTL 2.0 (`rtl/v2/`), stage by stage, ahead of its integration into the device model: each
//! module here follows its RTL module edge for edge and is checked against the Verilated RTL.

pub mod core;
pub mod counter_ram;
pub mod flow_ram;
pub mod rule_stage;
