//! `rtl/gufc_regs.vh`: localparams for offsets, fields, enum values, layouts and key words.

use std::fmt::Write as _;

use crate::map::{enum_rows, layout_fields, RegMap};

pub fn generate(m: &RegMap) -> String {
    let mut s =
        String::from("// @generated from regmap/regmap.toml by regmap/build/ — do not edit.\n");
    s += "// Regenerate: cargo run -p gufc-regmap --bin regmap-gen\n`ifndef GUFC_REGS_VH\n`define GUFC_REGS_VH\n\n";
    for (k, v) in m.device.constants() {
        writeln!(
            s,
            "localparam [31:0] GUFC_{} = 32'h{v:08x};",
            k.to_uppercase()
        )
        .unwrap();
    }
    s += "\n";
    for r in &m.reg {
        writeln!(
            s,
            "localparam [11:0] REG_{} = 12'h{:03x};",
            r.name, r.offset
        )
        .unwrap();
        for f in &r.fields {
            writeln!(
                s,
                "localparam integer {}_{}_LSB = {};",
                r.name, f.name, f.lsb
            )
            .unwrap();
            writeln!(
                s,
                "localparam integer {}_{}_W = {};",
                r.name, f.name, f.width
            )
            .unwrap();
        }
    }
    for (table, _, values) in m.enums() {
        s += "\n";
        for (n, v, _) in enum_rows(values) {
            writeln!(s, "localparam [7:0] {}_{n} = 8'd{v};", table.to_uppercase()).unwrap();
        }
    }
    for (table, _, layout) in m.layouts() {
        s += "\n";
        let t = table.to_uppercase();
        for f in layout_fields(layout) {
            writeln!(s, "localparam integer {t}_{}_LSB = {};", f.name, f.lsb).unwrap();
            writeln!(s, "localparam integer {t}_{}_W = {};", f.name, f.width).unwrap();
        }
    }
    s += "\n";
    for (k, v) in m.hash.constants() {
        writeln!(s, "localparam [31:0] HASH_{k} = 32'h{v:08x};").unwrap();
    }
    s += "\n";
    for (n, w, _) in m.key_words() {
        writeln!(s, "localparam integer KEY_{n}_WORD = {w};").unwrap();
    }
    s += "\n`endif\n";
    s
}
