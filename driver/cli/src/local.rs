//! `gufc local add|del|show`: the host's own prefixes in the device's locality table, which
//! sets the src-local/dst-local bits rules match. The hardware cannot read the table back, so
//! `show` lists what this run wrote (in a batch, or after `--local`/`local` lines).

use std::process::ExitCode;

use clap::Subcommand;

use crate::error::CliError;
use crate::session::parse_local;
use crate::{outln, output, CliResult, Session, Setup};

/// `gufc local` subcommands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Mark addresses under PREFIX local (first free entry; an existing one is reused).
    Add {
        /// ADDR[/LEN], host bits clear, e.g. 192.0.2.0/24.
        prefix: String,
    },
    /// Remove PREFIX from the locality table.
    Del {
        /// ADDR[/LEN] as it was added.
        prefix: String,
    },
    /// List the locality table's valid entries.
    Show,
}

/// Runs one `gufc local` subcommand; the prefix is checked before the device is touched.
pub fn run(sess: &mut Session, setup: &Setup, cmd: Cmd) -> CliResult {
    let parsed = match &cmd {
        Cmd::Add { prefix } => Some(parse_local(prefix, "local add")?),
        Cmd::Del { prefix } => Some(parse_local(prefix, "local del")?),
        Cmd::Show => None,
    };
    sess.setup(setup)?;
    let json = sess.json;
    let dev = sess.device()?;
    let unknown = |e| match e {
        gufc::DeviceError::LocalityUnknown { .. } => CliError::from(e).with_hint(
            "the hardware cannot read the locality table back; in this run, give the prefixes \
             with --local (which rewrites the whole table) or set them in a batch file",
        ),
        e => CliError::from(e),
    };
    match (cmd, parsed) {
        (Cmd::Add { .. }, Some((addr, len))) => {
            let index = dev.local_add(addr, len).map_err(unknown)?;
            if json {
                output::json(
                    "local add",
                    serde_json::json!({"prefix": format!("{addr}/{len}"), "index": index}),
                )?;
            } else {
                outln!("{addr}/{len}: local (entry {index})");
            }
        }
        (Cmd::Del { .. }, Some((addr, len))) => {
            let index = dev.local_del(addr, len).map_err(unknown)?;
            if json {
                output::json(
                    "local del",
                    serde_json::json!({"prefix": format!("{addr}/{len}"), "index": index}),
                )?;
            } else {
                outln!("{addr}/{len}: removed (entry {index})");
            }
        }
        _ => {
            let locals = dev.locals().map_err(unknown)?;
            let cap = dev.caps().local_entries;
            if json {
                let rows: Vec<_> = locals
                    .iter()
                    .map(|e| serde_json::json!({"index": e.index, "prefix": e.to_string()}))
                    .collect();
                output::json(
                    "local show",
                    serde_json::json!({"entries": rows, "capacity": cap}),
                )?;
            } else {
                for e in &locals {
                    outln!("{:>4}  {e}", e.index);
                }
                outln!("{} of {cap} locality entries used", locals.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
