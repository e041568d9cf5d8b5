//! `gufc regs dump|read|write`: registers by name from the register map.

use std::process::ExitCode;

use clap::Subcommand;

use crate::{outln, output, CliResult, Session, Setup};
use gufc_regmap::{register_at, register_named, RegInfo, REGISTERS};

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Every readable register with its decoded fields.
    Dump,
    /// Read one register: a name such as STATUS or KEY[3], or an offset with --raw.
    Read {
        register: String,
        /// Treat REGISTER as a byte offset (0x…) even if it is not in the register map.
        #[arg(long)]
        raw: bool,
    },
    /// Write one register (commands execute; see docs/registers.md).
    Write {
        register: String,
        value: String,
        #[arg(long)]
        raw: bool,
    },
}

fn number(s: &str) -> Result<u32, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("'{s}' is not a 32-bit number (decimal or 0x hex)"))
}

/// Resolves a register argument to (offset, register).
fn resolve(arg: &str, raw: bool) -> Result<(u32, Option<&'static RegInfo>), String> {
    if raw {
        let off = number(arg)?;
        if off % 4 != 0 || off >= gufc_regmap::device::BAR0_SIZE {
            return Err(format!(
                "offset {off:#x} is not a 4-byte-aligned offset inside BAR0 (size {:#x})",
                gufc_regmap::device::BAR0_SIZE
            ));
        }
        return Ok((off, register_at(off).map(|r| r.0)));
    }
    register_named(arg)
        .map(|(r, off)| (off, Some(r)))
        .ok_or_else(|| {
            format!("'{arg}' is not a register (see `gufc regs dump`; use --raw for a bare offset)")
        })
}

fn fields(r: &RegInfo, v: u32) -> Vec<(String, u32)> {
    r.fields
        .iter()
        .map(|f| (f.name.to_string(), f.field.get(v)))
        .collect()
}

/// Runs one `gufc regs` subcommand on the session's device.
pub fn run(sess: &mut Session, setup: &Setup, cmd: Cmd) -> CliResult {
    // Arguments first: a bad name or value writes nothing.
    let resolved = match &cmd {
        Cmd::Dump => None,
        Cmd::Read { register, raw } => Some((resolve(register, *raw)?, None)),
        Cmd::Write {
            register,
            value,
            raw,
        } => {
            let (off, r) = resolve(register, *raw)?;
            if let Some(r) = r.filter(|r| !r.access.writable()) {
                return Err(format!("{} ({off:#05x}) is read-only", r.name).into());
            }
            Some(((off, r), Some(number(value)?)))
        }
    };
    sess.setup(setup)?;
    let json = sess.json;
    let dev = sess.device()?;
    match cmd {
        Cmd::Dump => {
            let mut rows = Vec::new();
            for r in REGISTERS.iter().filter(|r| r.access.readable()) {
                for i in 0..r.count {
                    let off = r.offset + i * r.stride;
                    let v = dev.read(off)?;
                    let name = if r.count > 1 {
                        format!("{}[{i}]", r.name)
                    } else {
                        r.name.to_string()
                    };
                    rows.push((off, name, v, fields(r, v)));
                }
            }
            if json {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(off, name, v, f)| {
                        let fields: Vec<_> = f.iter().map(|(n, x)| serde_json::json!({"name": n, "value": x})).collect();
                        serde_json::json!({"offset": off, "name": name, "value": v, "fields": fields})
                    })
                    .collect();
                output::json("regs dump", serde_json::json!({ "registers": rows }))?;
            } else {
                for (off, name, v, f) in rows {
                    let f: Vec<String> = f.iter().map(|(n, x)| format!("{n}={x:#x}")).collect();
                    outln!("{off:#05x}  {name:<16} {v:#010x}  {}", f.join(" "));
                }
            }
        }
        Cmd::Read { .. } => {
            let ((off, r), _) = resolved.expect("resolved above");
            let v = dev.read(off)?;
            if json {
                output::json(
                    "regs read",
                    serde_json::json!({"offset": off, "register": r.map(|r| r.name), "value": v}),
                )?;
            } else {
                let f: Vec<String> = r
                    .map(|r| fields(r, v))
                    .unwrap_or_default()
                    .iter()
                    .map(|(n, x)| format!("{n}={x:#x}"))
                    .collect();
                outln!("{v:#010x}  {}", f.join(" "));
            }
        }
        Cmd::Write { .. } => {
            let ((off, _), value) = resolved.expect("resolved above");
            dev.write(off, value.expect("a value"))?;
            if let Some(rej) = dev.take_rejection()? {
                return Err(crate::CliError::device(format!(
                    "{}: {rej}",
                    dev.bar().name()
                )));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
