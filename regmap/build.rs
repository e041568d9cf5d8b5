//! Generates the Rust register map, the Verilog header and the register reference
//! from `regmap.toml`, so that all three have one source.

use std::fmt::Write as _;
use std::{env, fs, path::Path};

use toml::{Table, Value};

fn int(v: &Value, what: &str) -> i64 {
    v.as_integer()
        .unwrap_or_else(|| panic!("regmap.toml: {what} must be an integer"))
}

fn text<'a>(t: &'a Table, key: &str) -> &'a str {
    t.get(key).and_then(Value::as_str).unwrap_or("")
}

struct Field {
    name: String,
    lsb: i64,
    width: i64,
    doc: String,
}

struct Reg {
    name: String,
    offset: i64,
    count: i64,
    stride: i64,
    access: String,
    doc: String,
    fields: Vec<Field>,
}

fn fields_of(t: &Table) -> Vec<Field> {
    let mut out: Vec<Field> = t
        .iter()
        .map(|(name, v)| {
            let f = v.as_table().expect("field table");
            Field {
                name: name.clone(),
                lsb: int(&f["lsb"], "lsb"),
                width: int(&f["width"], "width"),
                doc: text(f, "doc").to_string(),
            }
        })
        .collect();
    out.sort_by_key(|f| f.lsb);
    out
}

/// `(name, word, doc)` of every key word, in word order.
fn key_words(doc: &Table) -> Vec<(String, i64, String)> {
    let mut out: Vec<_> = doc["key"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                int(&v["word"], n),
                text(v.as_table().unwrap(), "doc").to_string(),
            )
        })
        .collect();
    out.sort_by_key(|w| w.1);
    out
}

/// `(name, value, doc)` rows of an enumeration table, in value order.
fn enum_rows(t: &Table) -> Vec<(String, i64, String)> {
    let mut out: Vec<_> = t
        .iter()
        .map(|(name, v)| {
            let e = v.as_table().expect("enum entry");
            (
                name.clone(),
                int(&e["value"], name),
                text(e, "doc").to_string(),
            )
        })
        .collect();
    out.sort_by_key(|r| r.1);
    out
}

fn main() {
    let src = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("regmap.toml");
    println!("cargo:rerun-if-changed={}", src.display());
    let doc: Table =
        toml::from_str(&fs::read_to_string(&src).unwrap()).expect("regmap.toml parses");

    let regs: Vec<Reg> = doc["reg"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = r.as_table().unwrap();
            let fields = r
                .get("fields")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|f| {
                            let f = f.as_table().unwrap();
                            Field {
                                name: text(f, "name").to_string(),
                                lsb: int(&f["lsb"], "lsb"),
                                width: int(&f["width"], "width"),
                                doc: text(f, "doc").to_string(),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            Reg {
                name: text(r, "name").to_string(),
                offset: int(&r["offset"], "offset"),
                count: r.get("count").map_or(1, |v| int(v, "count")),
                stride: r.get("stride").map_or(4, |v| int(v, "stride")),
                access: text(r, "access").to_string(),
                doc: text(r, "doc").to_string(),
                fields,
            }
        })
        .collect();
    check(&regs);

    let device = doc["device"].as_table().unwrap();
    let enums = [
        "opcode",
        "reason_code",
        "counter_space",
        "global_counter",
        "verdict",
        "kind",
        "slow_reason",
        "interest_mode",
    ];
    let layouts = ["action", "meta"];

    let out = Path::new(&env::var("OUT_DIR").unwrap()).to_path_buf();
    fs::write(
        out.join("regmap.rs"),
        rust(&regs, device, &doc, &enums, &layouts),
    )
    .unwrap();
    fs::write(
        out.join("gufc_regs.vh"),
        verilog(&regs, device, &doc, &enums, &layouts),
    )
    .unwrap();
    fs::write(
        out.join("registers.md"),
        markdown(&regs, device, &doc, &enums, &layouts),
    )
    .unwrap();
}

/// Registers must not overlap and must sit inside BAR0.
fn check(regs: &[Reg]) {
    let mut used = std::collections::BTreeMap::new();
    for r in regs {
        assert!(r.offset % 4 == 0, "{} is not 4-byte aligned", r.name);
        for i in 0..r.count {
            let off = r.offset + i * r.stride;
            if let Some(other) = used.insert(off, r.name.clone()) {
                panic!("regmap.toml: {} overlaps {} at {:#x}", r.name, other, off);
            }
        }
        for f in &r.fields {
            assert!(
                f.lsb + f.width <= 32,
                "{}.{} exceeds 32 bits",
                r.name,
                f.name
            );
        }
    }
}

fn rust(regs: &[Reg], device: &Table, doc: &Table, enums: &[&str], layouts: &[&str]) -> String {
    let mut s =
        String::from("// @generated by regmap/build.rs from regmap.toml — do not edit.\n\n");
    s += "/// Device identity and fixed parameters.\npub mod device {\n";
    for (k, v) in device {
        writeln!(
            s,
            "    pub const {}: u32 = {:#x};",
            k.to_uppercase(),
            int(v, k)
        )
        .unwrap();
    }
    s += "}\n\n/// Register byte offsets in BAR0 (for arrays, the first element).\npub mod reg {\n";
    for r in regs {
        writeln!(
            s,
            "    #[doc = {:?}]\n    pub const {}: u32 = {:#05x};",
            r.doc, r.name, r.offset
        )
        .unwrap();
        if r.count > 1 {
            writeln!(s, "    pub const {}_COUNT: u32 = {};", r.name, r.count).unwrap();
        }
    }
    s += "}\n\n/// Register fields as `(lsb, width)`.\npub mod field {\n    use crate::Field;\n";
    for r in regs {
        for f in &r.fields {
            writeln!(
                s,
                "    pub const {}_{}: Field = Field::new({}, {});",
                r.name, f.name, f.lsb, f.width
            )
            .unwrap();
        }
    }
    s += "}\n\n";
    for e in enums {
        let rows = enum_rows(doc[*e].as_table().unwrap());
        writeln!(s, "/// `{e}` values.\npub mod {e} {{").unwrap();
        for (n, v, d) in &rows {
            writeln!(s, "    #[doc = {d:?}]\n    pub const {n}: u8 = {v};").unwrap();
        }
        s += "    /// `(name, value, description)` of every value.\n    pub const ALL: &[(&str, u8, &str)] = &[\n";
        for (n, v, d) in &rows {
            writeln!(s, "        ({n:?}, {v}, {d:?}),").unwrap();
        }
        s += "    ];\n}\n\n";
    }
    for l in layouts {
        writeln!(
            s,
            "/// Fields of the `{l}` word.\npub mod {l} {{\n    use crate::Field;"
        )
        .unwrap();
        for f in fields_of(doc[*l].as_table().unwrap()) {
            writeln!(
                s,
                "    pub const {}: Field = Field::new({}, {});",
                f.name, f.lsb, f.width
            )
            .unwrap();
        }
        s += "}\n\n";
    }
    s += "/// Key/mask word indices.\npub mod key {\n";
    for (n, w, _) in key_words(doc) {
        writeln!(s, "    pub const {n}: usize = {w};").unwrap();
    }
    s += "}\n\n/// Flow-cache hash constants.\npub mod hash {\n";
    for (k, v) in doc["hash"].as_table().unwrap() {
        writeln!(s, "    pub const {k}: u32 = {:#x};", int(v, k)).unwrap();
    }
    s += "}\n\n/// Every register, for dumps and name lookups.\npub const REGISTERS: &[RegInfo] = &[\n";
    for r in regs {
        write!(
            s,
            "    RegInfo {{ name: {:?}, offset: {:#05x}, count: {}, stride: {}, access: Access::{}, doc: {:?}, fields: &[",
            r.name,
            r.offset,
            r.count,
            r.stride,
            match r.access.as_str() {
                "ro" => "ReadOnly",
                "rw" => "ReadWrite",
                "wo" => "WriteOnly",
                "cmd" => "Command",
                other => panic!("unknown access {other}"),
            },
            r.doc
        )
        .unwrap();
        for f in &r.fields {
            write!(
                s,
                "FieldInfo {{ name: {:?}, field: Field::new({}, {}), doc: {:?} }}, ",
                f.name, f.lsb, f.width, f.doc
            )
            .unwrap();
        }
        s += "] },\n";
    }
    s += "];\n";
    s
}

fn verilog(regs: &[Reg], device: &Table, doc: &Table, enums: &[&str], layouts: &[&str]) -> String {
    let mut s =
        String::from("// @generated from regmap/regmap.toml by regmap/build.rs — do not edit.\n");
    s += "// Regenerate: cargo run -p gufc-regmap --bin regmap-gen\n`ifndef GUFC_REGS_VH\n`define GUFC_REGS_VH\n\n";
    for (k, v) in device {
        writeln!(
            s,
            "localparam [31:0] GUFC_{} = 32'h{:08x};",
            k.to_uppercase(),
            int(v, k)
        )
        .unwrap();
    }
    s += "\n";
    for r in regs {
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
    for e in enums {
        s += "\n";
        for (n, v, _) in enum_rows(doc[*e].as_table().unwrap()) {
            writeln!(s, "localparam [7:0] {}_{} = 8'd{};", e.to_uppercase(), n, v).unwrap();
        }
    }
    for l in layouts {
        s += "\n";
        for f in fields_of(doc[*l].as_table().unwrap()) {
            writeln!(
                s,
                "localparam integer {}_{}_LSB = {};",
                l.to_uppercase(),
                f.name,
                f.lsb
            )
            .unwrap();
            writeln!(
                s,
                "localparam integer {}_{}_W = {};",
                l.to_uppercase(),
                f.name,
                f.width
            )
            .unwrap();
        }
    }
    s += "\n";
    for (k, v) in doc["hash"].as_table().unwrap() {
        writeln!(s, "localparam [31:0] HASH_{k} = 32'h{:08x};", int(v, k)).unwrap();
    }
    s += "\n";
    for (n, w, _) in key_words(doc) {
        writeln!(s, "localparam integer KEY_{n}_WORD = {w};").unwrap();
    }
    s += "\n`endif\n";
    s
}

fn markdown(regs: &[Reg], device: &Table, doc: &Table, enums: &[&str], layouts: &[&str]) -> String {
    let mut s = String::from(
        "# gufc register reference\n\n<!-- @generated from regmap/regmap.toml; regenerate with `cargo run -p gufc-regmap --bin regmap-gen` -->\n\n\
         All registers are 32 bits in BAR0, little-endian. Semantics of the commands and their timing: \
         [architecture.md](architecture.md) and [timing.md](timing.md).\n\n## Device\n\n| constant | value |\n|---|---|\n",
    );
    for (k, v) in device {
        writeln!(s, "| {k} | {:#x} |", int(v, k)).unwrap();
    }
    s += "\n## Registers\n\n| offset | name | access | fields | description |\n|---|---|---|---|---|\n";
    for r in regs {
        let name = if r.count > 1 {
            format!("{}[0..{}]", r.name, r.count)
        } else {
            r.name.clone()
        };
        let fields: Vec<String> = r
            .fields
            .iter()
            .map(|f| {
                let bits = if f.width == 1 {
                    format!("{}", f.lsb)
                } else {
                    format!("{}:{}", f.lsb + f.width - 1, f.lsb)
                };
                if f.doc.is_empty() {
                    format!("`{}` [{}]", f.name, bits)
                } else {
                    format!("`{}` [{}] {}", f.name, bits, f.doc)
                }
            })
            .collect();
        writeln!(
            s,
            "| {:#05x} | {} | {} | {} | {} |",
            r.offset,
            name,
            r.access,
            fields.join("<br>"),
            r.doc
        )
        .unwrap();
    }
    for e in enums.iter().chain(layouts) {
        writeln!(s, "\n## {e}\n").unwrap();
        let t = doc[*e].as_table().unwrap();
        if layouts.contains(e) {
            s += "| field | bits | description |\n|---|---|---|\n";
            for f in fields_of(t) {
                writeln!(
                    s,
                    "| {} | {}:{} | {} |",
                    f.name,
                    f.lsb + f.width - 1,
                    f.lsb,
                    f.doc
                )
                .unwrap();
            }
        } else {
            s += "| name | value | description |\n|---|---|---|\n";
            for (n, v, d) in enum_rows(t) {
                writeln!(s, "| {n} | {v:#04x} | {d} |").unwrap();
            }
        }
    }
    s += "\n## key\n\n| word | name | description |\n|---|---|---|\n";
    for (n, w, d) in key_words(doc) {
        writeln!(s, "| {w} | {n} | {d} |").unwrap();
    }
    s += "\n## hash\n\n| constant | value |\n|---|---|\n";
    for (k, v) in doc["hash"].as_table().unwrap() {
        writeln!(s, "| {k} | {:#x} |", int(v, k)).unwrap();
    }
    s
}
