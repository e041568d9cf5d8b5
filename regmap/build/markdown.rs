//! `docs/registers.md`: the register reference.

use std::fmt::Write as _;

use crate::map::{enum_rows, layout_fields, RegMap};

/// A field's description: the enum table it takes values from, then its own doc.
fn describe(doc: &str, values: Option<&String>) -> String {
    match (values, doc.is_empty()) {
        (Some(t), true) => format!("values in [{t}](#{t})"),
        (Some(t), false) => format!("values in [{t}](#{t}); {doc}"),
        (None, _) => doc.to_string(),
    }
}

pub fn generate(m: &RegMap) -> String {
    let mut s = String::from(
        "# gufc register reference\n\n<!-- @generated from regmap/regmap.toml; regenerate with `cargo run -p gufc-regmap --bin regmap-gen` -->\n\n\
         All registers are 32 bits in BAR0, little-endian. Semantics of the commands and their timing: \
         [architecture.md](architecture.md) and [timing.md](timing.md).\n\n## Device\n\n| constant | value |\n|---|---|\n",
    );
    for (k, v) in m.device.constants() {
        writeln!(s, "| {k} | {v:#x} |").unwrap();
    }
    s += "\n## Registers\n\n| offset | name | access | fields | description |\n|---|---|---|---|---|\n";
    for r in &m.reg {
        let name = if r.count > 1 {
            format!("{}[0..{}]", r.name, r.count)
        } else {
            r.name.clone()
        };
        let mut fields: Vec<String> = r
            .fields
            .iter()
            .map(|f| {
                let bits = if f.width == 1 {
                    format!("{}", f.lsb)
                } else {
                    format!("{}:{}", f.lsb + f.width - 1, f.lsb)
                };
                let d = describe(&f.doc, f.values.as_ref());
                if d.is_empty() {
                    format!("`{}` [{}]", f.name, bits)
                } else {
                    format!("`{}` [{}] {d}", f.name, bits)
                }
            })
            .collect();
        if let Some(l) = &r.layout {
            fields.push(format!("layout [{l}](#{l})"));
        }
        writeln!(
            s,
            "| {:#05x} | {} | {} | {} | {} |",
            r.offset,
            name,
            r.access.as_str(),
            fields.join("<br>"),
            r.doc
        )
        .unwrap();
    }
    for (table, _, values) in m.enums() {
        writeln!(s, "\n## {table}\n").unwrap();
        s += "| name | value | description |\n|---|---|---|\n";
        for (n, v, d) in enum_rows(values) {
            writeln!(s, "| {n} | {v:#04x} | {d} |").unwrap();
        }
    }
    for (table, _, layout) in m.layouts() {
        writeln!(s, "\n## {table}\n").unwrap();
        s += "| field | bits | description |\n|---|---|---|\n";
        for f in layout_fields(layout) {
            let (hi, lo) = (f.lsb + f.width - 1, f.lsb);
            writeln!(
                s,
                "| {} | {hi}:{lo} | {} |",
                f.name,
                describe(&f.doc, f.values.as_ref())
            )
            .unwrap();
        }
    }
    s += "\n## key\n\n| word | name | description |\n|---|---|---|\n";
    for (n, w, d) in m.key_words() {
        writeln!(s, "| {w} | {n} | {d} |").unwrap();
    }
    s += "\n## hash\n\n| constant | value |\n|---|---|\n";
    for (k, v) in m.hash.constants() {
        writeln!(s, "| {k} | {v:#x} |").unwrap();
    }
    s
}
