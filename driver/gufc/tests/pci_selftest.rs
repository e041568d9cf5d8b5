//! `gufc selftest` on the model, and on faulty buses that it must catch.
#![cfg(feature = "model")]

use gufc::backend::{Bar, BusError, ModelBar};
use gufc::selftest::{self, Options};
use gufc_hw_model::Config;
use gufc_regmap::word::Cmd;
use gufc_regmap::{reg, Opcode};

fn small() -> Config {
    Config {
        tcam_entries: 96,
        flow_buckets: 16,
        flow_ways: 4,
        channels: 8,
        ..Config::default()
    }
}

fn model(c: Config) -> ModelBar {
    ModelBar::new(c).expect("model config")
}

const CHECKS: [&str; 10] = [
    "id-version",
    "scratch",
    "capabilities",
    "reset",
    "staging-registers",
    "command-rejection",
    "tcam-entries",
    "tcam-probes",
    "flow-slots",
    "counters",
];

#[test]
fn full_selftest_passes_on_the_model() {
    let mut bar = model(small());
    let r = selftest::run(&mut bar, &Options::default());
    assert!(r.passed(), "{}", r.to_text());
    let names: Vec<&str> = r.checks.iter().map(|c| c.name).collect();
    assert_eq!(names, CHECKS);
    let tcam = &r.checks[6];
    assert_eq!(tcam.detail, "96 of 96 entries written and read back");
    assert_eq!(
        r.checks[8].detail,
        "64 of 64 slots written, read back and cleared"
    );
    assert!(
        r.to_text().contains("PASS: 10/10 checks passed"),
        "{}",
        r.to_text()
    );
}

#[test]
fn quick_samples_large_tables() {
    let cfg = Config {
        tcam_entries: 4096,
        flow_buckets: 1024,
        flow_ways: 8,
        channels: 16,
        ..Config::default()
    };
    let mut bar = model(cfg);
    let r = selftest::run(
        &mut bar,
        &Options {
            quick: true,
            samples: 64,
        },
    );
    assert!(r.passed(), "{}", r.to_text());
    let d = &r.checks[6].detail;
    let n: u32 = d.split(' ').next().unwrap().parse().unwrap();
    assert!(
        n > 64 && n < 200 && d.ends_with("of 4096 entries written and read back"),
        "{d}"
    );
}

/// Wraps a bar and breaks it in one way.
struct Faulty<B> {
    inner: B,
    fault: Fault,
}

#[derive(Clone, Copy)]
enum Fault {
    /// Bit 13 of SCRATCH reads as 0.
    ScratchStuckLow,
    /// TCAM commands ignore index bit 4 (two entries share storage).
    TcamIndexBitLost,
    /// Every PROBE_INDEX read is off by one.
    ProbeIndexWrong,
    /// Reads of MASK[7] lose bit 31 (a stuck staging line).
    MaskLine,
    /// The device is gone: every access fails.
    Dead,
}

impl<B: Bar> Bar for Faulty<B> {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        if let Fault::Dead = self.fault {
            return Err(BusError {
                backend: "dead".into(),
                op: "read",
                offset: off,
                msg: "all-ones".into(),
            });
        }
        let v = self.inner.read32(off)?;
        Ok(match (self.fault, off) {
            (Fault::ScratchStuckLow, reg::SCRATCH) => v & !(1 << 13),
            (Fault::ProbeIndexWrong, reg::PROBE_INDEX) => v + 1,
            (Fault::MaskLine, o) if o == reg::MASK + 28 => v & !(1 << 31),
            _ => v,
        })
    }
    fn write32(&mut self, off: u32, mut val: u32) -> Result<(), BusError> {
        if let (Fault::TcamIndexBitLost, reg::CMD) = (self.fault, off) {
            let op = Cmd::from_raw(val).opcode();
            if matches!(
                op,
                Ok(Opcode::TcamWrite | Opcode::TcamRead | Opcode::TcamSetPlanes)
            ) {
                val &= !(1 << 4);
            }
        }
        self.inner.write32(off, val)
    }
    fn name(&self) -> String {
        "faulty model".into()
    }
}

fn run_faulty(fault: Fault) -> selftest::Report {
    let mut bar = Faulty {
        inner: model(small()),
        fault,
    };
    selftest::run(&mut bar, &Options::default())
}

fn failed(r: &selftest::Report) -> Vec<&'static str> {
    r.checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name)
        .collect()
}

#[test]
fn catches_a_stuck_scratch_bit() {
    let r = run_faulty(Fault::ScratchStuckLow);
    assert!(!r.passed());
    assert_eq!(failed(&r), ["scratch"]);
    assert!(
        r.checks[1]
            .detail
            .contains("SCRATCH: read 0xffffdfff, expected 0xffffffff"),
        "{}",
        r.checks[1].detail
    );
}

#[test]
fn catches_aliased_tcam_entries() {
    let r = run_faulty(Fault::TcamIndexBitLost);
    assert!(failed(&r).contains(&"tcam-entries"), "{}", r.to_text());
    let d = &r.checks[6].detail;
    assert!(
        d.starts_with("TCAM[0] KEY[0]: read"),
        "entry 0 was overwritten by entry 16: {d}"
    );
}

#[test]
fn catches_a_wrong_probe_index() {
    let r = run_faulty(Fault::ProbeIndexWrong);
    assert_eq!(failed(&r), ["tcam-probes"], "{}", r.to_text());
    assert!(r.checks[7]
        .detail
        .contains("TCAM[0] PROBE_INDEX: read 0x00000001, expected 0x00000000"));
}

#[test]
fn catches_a_stuck_mask_line() {
    let r = run_faulty(Fault::MaskLine);
    assert_eq!(
        failed(&r),
        ["staging-registers", "tcam-entries"],
        "{}",
        r.to_text()
    );
    assert!(
        r.checks[4].detail.contains("MASK[7] at 0x15c"),
        "{}",
        r.checks[4].detail
    );
}

#[test]
fn a_dead_bus_stops_the_run() {
    let r = run_faulty(Fault::Dead);
    assert!(!r.passed());
    assert_eq!(r.checks.len(), 1);
    assert!(r.checks[0].detail.contains("bus error") && r.bus_error.is_some());
    assert_eq!(r.not_run.len(), 9);
    assert!(
        r.to_text().contains("FAIL: 0/10 checks passed"),
        "{}",
        r.to_text()
    );
}

/// A bar that reads all-ones everywhere without detecting it (no ID probe) still fails.
struct AllOnes;

impl Bar for AllOnes {
    fn read32(&mut self, _: u32) -> Result<u32, BusError> {
        Ok(u32::MAX)
    }
    fn write32(&mut self, _: u32, _: u32) -> Result<(), BusError> {
        Ok(())
    }
    fn name(&self) -> String {
        "all-ones".into()
    }
}

#[test]
fn an_all_ones_device_fails_identification() {
    let r = selftest::run(&mut AllOnes, &Options::default());
    assert!(!r.passed());
    assert!(
        r.checks[0]
            .detail
            .contains("ID: read 0xffffffff, expected 0x47554643"),
        "{}",
        r.checks[0].detail
    );
}
