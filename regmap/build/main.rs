//! Generates, from `regmap.toml`, the Rust register map with a typed codec per hardware word,
//! the Verilog header and the register reference, so that all three have one source.

mod map;
mod markdown;
mod rust;
mod verilog;

use std::{env, fs, path::Path};

fn main() {
    let src = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("regmap.toml");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=build");
    let text = fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let map: map::RegMap = toml::from_str(&text).unwrap_or_else(|e| panic!("regmap.toml: {e}"));
    if let Err(e) = map.check() {
        panic!("regmap.toml: {e}");
    }
    let out = Path::new(&env::var("OUT_DIR").unwrap()).to_path_buf();
    fs::write(out.join("regmap.rs"), rust::generate(&map)).unwrap();
    fs::write(out.join("gufc_regs.vh"), verilog::generate(&map)).unwrap();
    fs::write(out.join("registers.md"), markdown::generate(&map)).unwrap();
}
