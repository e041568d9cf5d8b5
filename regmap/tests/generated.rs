//! The checked-in Verilog header and register reference must match regmap.toml.

use std::path::Path;

fn checked_in(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn verilog_header_is_current() {
    assert!(
        checked_in("rtl/gufc_regs.vh") == gufc_regmap::VERILOG_HEADER,
        "rtl/gufc_regs.vh is stale: run `cargo run -p gufc-regmap --bin regmap-gen`"
    );
}

#[test]
fn register_reference_is_current() {
    assert!(
        checked_in("docs/registers.md") == gufc_regmap::REGISTERS_MD,
        "docs/registers.md is stale: run `cargo run -p gufc-regmap --bin regmap-gen`"
    );
}

#[test]
fn names_and_offsets_round_trip() {
    for r in gufc_regmap::REGISTERS {
        for i in 0..r.count {
            let off = r.offset + i * r.stride;
            let (found, idx) = gufc_regmap::register_at(off).unwrap();
            assert_eq!((found.name, idx), (r.name, i));
            let name = if r.count > 1 {
                format!("{}[{i}]", r.name)
            } else {
                r.name.to_string()
            };
            assert_eq!(gufc_regmap::register_named(&name).unwrap().1, off);
        }
    }
    assert!(gufc_regmap::register_at(0x0FC).is_none());
}

#[test]
fn key_words_round_trip() {
    let k = gufc_regmap::Key {
        src: 0x2001_0db8_0000_0000_0000_0000_0000_0001,
        dst: 0xfe80_0000_0000_0000_0000_0000_0000_0002,
        ipv6: true,
        src_local: true,
        dst_local: false,
        proto: 6,
        sport: 443,
        dport: 50000,
    };
    assert_eq!(gufc_regmap::Key::from_words(&k.words()), k);
}

#[test]
fn buckets_ignore_locality_bits_and_stay_in_range() {
    let k = gufc_regmap::Key::v4(0x0a000001, 0x0a000002, 17, 53, 3333);
    let l = gufc_regmap::Key {
        src_local: true,
        ..k
    };
    assert_eq!(
        gufc_regmap::bucket_pair(&k, 10),
        gufc_regmap::bucket_pair(&l, 10)
    );
    let (a, b) = gufc_regmap::bucket_pair(&k, 10);
    assert!(a < 1024 && b < 1024);
    assert_eq!(gufc_regmap::bucket_pair(&k, 0), (0, 0));
}
