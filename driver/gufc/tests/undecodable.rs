//! A device that answers with a word the register map does not define gets an error naming the
//! register and the value, never a plausible guess.
#![cfg(feature = "model")]

use gufc::backend::{Bar, BusError, ModelBar};
use gufc::device::{Device, DeviceError, OpenOptions};
use gufc_hw_model::Config;
use gufc_regmap::{reg, Action, Key, Problem, TcamEntry};

/// A model whose reads of one register have `bits` ORed in.
struct Corrupt {
    inner: ModelBar,
    offset: u32,
    bits: u32,
}

impl Bar for Corrupt {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        let v = self.inner.read32(off)?;
        Ok(if off == self.offset { v | self.bits } else { v })
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.inner.write32(off, val)
    }
    fn name(&self) -> String {
        "corrupt".into()
    }
}

fn device(offset: u32, bits: u32) -> Device<Corrupt> {
    let inner = ModelBar::new(Config::default()).expect("model config");
    let mut d = Device::open(
        Corrupt {
            inner,
            offset,
            bits,
        },
        OpenOptions::default(),
    )
    .expect("opens");
    d.reset().unwrap();
    d
}

fn probe_error(bits: u32) -> DeviceError {
    let mut d = device(reg::PROBE_RESULT, bits);
    d.replace_rules(&[TcamEntry::match_all(1, Action::Drop)])
        .unwrap();
    d.probe(&Key::v4(1, 2, 6, 3, 4), 64).unwrap_err()
}

#[test]
fn an_undefined_probe_kind_is_an_error_naming_probe_result() {
    // KIND = 3 over a DROP decided by rule 0: the word reads 0x0000000d.
    let e = probe_error(0b11 << 2);
    let DeviceError::Undecodable { error, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!((error.register, error.raw), ("PROBE_RESULT", 0x0d));
    assert!(matches!(
        error.problem,
        Problem::Unknown {
            field: "KIND",
            value: 3,
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "corrupt: PROBE_RESULT word 0x0000000d: KIND = 3 is not defined in [kind]"
    );
}

#[test]
fn an_undefined_probe_verdict_or_a_reserved_bit_is_an_error() {
    let e = probe_error(0b11);
    assert!(
        e.to_string()
            .contains("PROBE_RESULT word 0x0000000b: VERDICT = 3 is not defined in [verdict]"),
        "{e}"
    );
    let e = probe_error(1 << 31);
    assert!(
        e.to_string().contains("reserved bits 0x80000000 are set"),
        "{e}"
    );
}

#[test]
fn an_undefined_rejection_reason_is_an_error_naming_error() {
    // ERROR reads as a rejection with REASON 0xff.
    let mut d = device(reg::ERROR, 0xff);
    let e = d.take_rejection().unwrap_err();
    assert!(
        e.to_string()
            .contains("ERROR word 0x000000ff: REASON = 255 is not defined in [reason_code]"),
        "{e}"
    );
}

#[test]
fn an_undefined_flow_interest_is_an_error_naming_the_slot_and_the_word() {
    // MODE 5 on every FLOW_INTEREST read.
    let mut d = device(reg::FLOW_INTEREST, 5);
    let k = Key::v4(1, 2, 6, 3, 4);
    let slot = d.flow_insert(&k, Action::Drop, false).unwrap().slot;
    let e = d.read_flow(slot).unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "flow slot {slot}: FLOW_INTEREST word 0x00000005: MODE = 5 is not defined in [interest_mode]"
        )),
        "{e}"
    );
}
