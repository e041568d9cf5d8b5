//! Shared test helpers: register access through single clock edges, for the RTL and the model.
#![allow(dead_code)]

pub mod lockstep;

use gufc_sim::{Config, Rtl};

use gufc_regmap::word::Cmd;
use gufc_regmap::{reg, CycleIn, CycleOut, KeyIn, Mmio, Opcode, Register};

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

/// Writes a register through its codec type.
pub fn put<R: Register>(d: &mut impl Dut, v: R) -> CycleOut {
    write(d, R::OFFSET, v.into())
}

pub fn cmd(d: &mut impl Dut, op: Opcode, index: u32) -> CycleOut {
    put(d, Cmd::new().with_opcode(op).with_index(index))
}

/// A command with any opcode, defined or not.
pub fn cmd_raw(d: &mut impl Dut, op: u8, index: u32) -> CycleOut {
    write(
        d,
        reg::CMD,
        Cmd::OPCODE.put(op as u32) | Cmd::INDEX.put(index),
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

/// A configuration sim/build.rs Verilates, by its build name: (N, B, W, channels, L) there.
pub fn named(name: &str) -> Config {
    let (n, b, w, c, l) = match name {
        "tiny" => (16, 2, 3, 3, 2),
        "n64" => (64, 16, 2, 256, 4),
        "small" => (64, 4, 2, 8, 4),
        "n256" => (256, 64, 4, 16, 8),
        "n1024" => (1024, 256, 4, 16, 16),
        "n2048" => (2048, 1024, 8, 16, 16),
        _ => panic!("no configuration named {name} in sim/build.rs"),
    };
    Config {
        tcam_entries: n,
        flow_buckets: b,
        flow_ways: w,
        channels: c,
        local_entries: l,
    }
}

/// The configuration `name`, which the calling test needs: panics, naming what was built, if
/// this build left it out (`GUFC_RTL_CONFIGS`), so a test never passes by running nothing.
pub fn required(name: &str) -> Config {
    let cfg = named(name);
    if let Err(e) = Rtl::new(cfg.clone()) {
        panic!(
            "this test needs the `{name}` RTL configuration: {e} (GUFC_RTL_CONFIGS excluded it?)"
        );
    }
    cfg
}
