//! Shared test helpers: register access through single clock edges, for the RTL and the model.
#![allow(dead_code)]

pub mod lockstep;

use gufc_regmap::{reg, CycleIn, CycleOut, KeyIn, Mmio};

/// Anything stepped one rising edge at a time with the device's ports.
pub trait Dut {
    fn step(&mut self, input: &CycleIn) -> CycleOut;
}

impl Dut for gufc_sim::Rtl {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        gufc_sim::Rtl::step(self, input)
    }
}

impl Dut for gufc_hw_model::Model {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        gufc_hw_model::Model::step(self, input)
    }
}

pub fn write(d: &mut impl Dut, addr: u32, data: u32) -> CycleOut {
    d.step(&CycleIn {
        mmio: Some(Mmio::Write { addr, data }),
        ..CycleIn::default()
    })
}

pub fn read(d: &mut impl Dut, addr: u32) -> u32 {
    d.step(&CycleIn {
        mmio: Some(Mmio::Read { addr }),
        ..CycleIn::default()
    })
    .rdata
}

pub fn cmd(d: &mut impl Dut, opcode: u8, index: u32) -> CycleOut {
    use gufc_regmap::field::{CMD_INDEX, CMD_OPCODE};
    write(
        d,
        reg::CMD,
        CMD_OPCODE.put(opcode as u32) | CMD_INDEX.put(index),
    )
}

pub fn idle(d: &mut impl Dut) -> CycleOut {
    d.step(&CycleIn::default())
}

pub fn key(d: &mut impl Dut, k: KeyIn) -> CycleOut {
    d.step(&CycleIn {
        key: Some(k),
        ..CycleIn::default()
    })
}

/// Stages `words` into KEY[0..10].
pub fn stage_key(d: &mut impl Dut, words: &[u32; gufc_regmap::KEY_WORDS]) {
    for (i, w) in words.iter().enumerate() {
        write(d, reg::KEY + 4 * i as u32, *w);
    }
}

pub fn stage_mask(d: &mut impl Dut, words: &[u32; gufc_regmap::KEY_WORDS]) {
    for (i, w) in words.iter().enumerate() {
        write(d, reg::MASK + 4 * i as u32, *w);
    }
}
