//! RTL 2.0 (`rtl/v2/`): the device ([`top`]) and its blocks, each following its RTL module edge
//! for edge and checked against the Verilated RTL.

pub mod core;
pub mod counter_ram;
pub mod flow_ram;
pub mod framebuf;
pub mod irq;
pub mod nic;
pub mod parser;
pub mod rule_stage;
pub mod rxdma;
pub mod top;
