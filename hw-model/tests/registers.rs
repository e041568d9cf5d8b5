//! Register file: capabilities, staging read-back, BAD_OFFSET, ERROR stickiness, CYCLE latch,
//! reset, configuration limits.

mod common;

use common::{small, Bench};
use gufc_hw_model::{Config, Model};
use gufc_regmap::word::{CapKey, CapMisc, Control, Status, Version};
use gufc_regmap::{device, reg, Opcode, ReasonCode, REGISTERS};

#[test]
fn capability_registers_report_the_config() {
    let cfg = Config {
        tcam_entries: 100,
        flow_buckets: 32,
        flow_ways: 4,
        channels: 256,
        local_entries: 7,
    };
    let mut b = Bench::new(cfg);
    assert_eq!(b.read(reg::ID), device::MAGIC);
    let v = Version::from_raw(b.read(reg::VERSION));
    assert_eq!(
        (v.major() as u32, v.minor() as u32),
        (device::VERSION_MAJOR, device::VERSION_MINOR)
    );
    assert_eq!(b.read(reg::CAP_TCAM), 100);
    assert_eq!(b.read(reg::CAP_FLOW_BUCKETS), 32);
    assert_eq!(b.read(reg::CAP_FLOW_WAYS), 4);
    let misc = CapMisc::from_raw(b.read(reg::CAP_MISC));
    assert_eq!(misc.channels(), 0, "256 channels read as 0");
    assert_eq!(misc.local_entries(), 7);
    assert_eq!(misc.latency(), 4);
    assert_eq!(misc.counter_bits(), 64);
    let k = CapKey::from_raw(b.read(reg::CAP_KEY));
    assert!(k.ipv4() && k.ipv6() && k.port_ranges());
    assert_eq!(k.key_words(), 10);
    assert_eq!(k.prio_bits(), 16);
    let mut b = Bench::new(small());
    assert_eq!(CapMisc::from_raw(b.read(reg::CAP_MISC)).channels(), 8);
}

#[test]
fn config_out_of_range_names_the_parameter() {
    let bad = [
        (
            Config {
                tcam_entries: 0,
                ..small()
            },
            "tcam_entries",
        ),
        (
            Config {
                tcam_entries: 65537,
                ..small()
            },
            "tcam_entries",
        ),
        (
            Config {
                flow_buckets: 3,
                ..small()
            },
            "flow_buckets",
        ),
        (
            Config {
                flow_buckets: 1 << 21,
                ..small()
            },
            "flow_buckets",
        ),
        (
            Config {
                flow_ways: 9,
                ..small()
            },
            "flow_ways",
        ),
        (
            Config {
                channels: 0,
                ..small()
            },
            "channels",
        ),
        (
            Config {
                channels: 257,
                ..small()
            },
            "channels",
        ),
        (
            Config {
                local_entries: 256,
                ..small()
            },
            "local_entries",
        ),
    ];
    for (cfg, name) in bad {
        let e = Model::new(cfg).err().expect("rejected");
        assert_eq!(e.parameter, name);
        assert!(e.to_string().contains(name), "{e}");
    }
    assert!(Model::new(Config {
        tcam_entries: 65536,
        flow_buckets: 1,
        flow_ways: 1,
        ..small()
    })
    .is_ok());
    assert_eq!(Model::new(small()).unwrap().config(), &small());
}

/// Every readable/writable register of regmap.toml: rw ones read back the full word written,
/// ro ones reject writes with BAD_OFFSET, wo/cmd read 0.
#[test]
fn every_register_has_its_access_kind() {
    let mut b = Bench::new(small());
    for r in REGISTERS {
        for e in 0..r.count {
            let off = r.offset + e * r.stride;
            match r.access.as_str() {
                "rw" if r.name != "ERROR" => {
                    let v = 0xA5A5_0000 ^ off.wrapping_mul(0x9E37_79B9);
                    b.write(off, v);
                    assert_eq!(b.read(off), v, "{} read-back", r.name);
                }
                "ro" => {
                    let before = b.read(off);
                    b.clear_error();
                    b.write(off, 0x1234_5678);
                    let (reason, op, count, index) = b.error();
                    assert_eq!(
                        (reason, op, count, index),
                        (ReasonCode::BadOffset, 0, 1, off),
                        "{}",
                        r.name
                    );
                    if !matches!(r.name, "CYCLE_LO" | "STATUS" | "ERROR_INDEX") {
                        assert_eq!(b.read(off), before, "{} unchanged", r.name);
                    }
                    b.clear_error();
                }
                "wo" | "cmd" => assert_eq!(b.read(off), 0, "{} reads 0", r.name),
                _ => {}
            }
        }
    }
}

#[test]
fn unmapped_offsets_read_zero_and_reject_writes() {
    let mut b = Bench::new(small());
    for off in [0x038, 0x048, 0x0FC, 0x102, 0x1A4, 0x208, 0xFFC] {
        assert_eq!(b.read(off), 0, "{off:#x}");
    }
    b.write(0x0FC, 1);
    assert_eq!(b.error(), (ReasonCode::BadOffset, 0, 1, 0x0FC));
    assert!(Status::from_raw(b.status()).error());
    // The port has 12 address bits: 0x1000 + SCRATCH is SCRATCH.
    b.write(0x1000 + reg::SCRATCH, 77);
    assert_eq!(b.read(reg::SCRATCH), 77);
}

#[test]
fn error_is_sticky_counts_and_clears() {
    let mut b = Bench::new(small());
    b.cmd_raw(0x7F, 5); // BAD_OPCODE
    b.cmd(Opcode::TcamRead, 1000); // BAD_INDEX
    b.write(reg::ID, 0); // BAD_OFFSET
    assert_eq!(b.error(), (ReasonCode::BadOpcode, 0x7F, 3, 5));
    assert!(Status::from_raw(b.status()).error());
    b.clear_error();
    assert_eq!(b.error(), (ReasonCode::None, 0, 0, 0));
    assert!(!Status::from_raw(b.status()).error());
    b.cmd(Opcode::TcamRead, 1000);
    assert_eq!(
        b.error(),
        (ReasonCode::BadIndex, Opcode::TcamRead.bits(), 1, 1000)
    );
    // COUNT saturates at 0xFFFF.
    for _ in 0..70_000 {
        b.cmd_raw(0x7F, 0);
    }
    assert_eq!(
        b.error(),
        (ReasonCode::BadIndex, Opcode::TcamRead.bits(), 0xFFFF, 1000)
    );
}

#[test]
fn cycle_counter_latches_high_word() {
    let mut b = Bench::new(small());
    // The read at edge t returns the counter before edge t, which is t after creation.
    let t = b.m.cycle();
    assert_eq!(b.read(reg::CYCLE_LO) as u64, t);
    assert_eq!(b.read(reg::CYCLE_HI), 0);
    b.idle(10);
    let t = b.m.cycle();
    assert_eq!(b.read(reg::CYCLE_LO) as u64, t);
    // Reset restarts CYCLE (not Model::cycle).
    b.write(reg::CONTROL, 1);
    let after = b.m.cycle();
    assert_eq!(after, t + 2);
    assert_eq!(b.read(reg::CYCLE_LO), 0, "first edge after reset sees 0");
    assert_eq!(b.read(reg::CYCLE_LO), 1);
}

#[test]
fn reset_clears_everything_but_model_cycle() {
    let mut b = Bench::new(small());
    let e = common::v4_rule(
        (0, 0),
        (0, 0),
        (0, 65535),
        (0, 65535),
        None,
        1,
        gufc_regmap::Action::Drop,
    );
    b.tcam_write(3, &e, 1);
    b.write(reg::SCRATCH, 9);
    b.cmd_raw(0x7F, 0);
    b.cmd(Opcode::Commit, 0);
    b.cmd(Opcode::Probe, 0);
    let before = b.m.cycle();
    b.put(Control::new().with_reset(true));
    assert_eq!(b.m.cycle(), before + 1);
    assert_eq!(b.read(reg::SCRATCH), 0);
    assert_eq!(b.status(), 0, "no error, no probe, plane 0, epoch 0");
    assert_eq!(b.error(), (ReasonCode::None, 0, 0, 0));
    assert_eq!(b.read(reg::PROBE_RESULT), 0);
    b.cmd(Opcode::TcamRead, 3);
    assert_eq!(b.read(reg::PLANES), 0);
    assert_eq!(b.read(reg::MASK), 0);
    // CONTROL with RESET=0 does nothing.
    b.write(reg::SCRATCH, 5);
    b.write(reg::CONTROL, 0);
    assert_eq!(b.read(reg::SCRATCH), 5);
}
