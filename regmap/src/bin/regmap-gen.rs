//! Writes the generated Verilog header and register reference into the source tree.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::write(root.join("rtl/gufc_regs.vh"), gufc_regmap::VERILOG_HEADER)?;
    std::fs::write(root.join("docs/registers.md"), gufc_regmap::REGISTERS_MD)?;
    println!("wrote rtl/gufc_regs.vh and docs/registers.md");
    Ok(())
}
