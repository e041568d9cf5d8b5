//! `gufc p4info`: the device's pipeline as P4Info, built from its capability registers (the
//! same P4Info `gufc serve --p4runtime` serves), for controllers that read it from a file.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::error::CliError;
use crate::{CliResult, Session, Setup};

/// Print the P4Info of the device (--backend and sizes, or --device).
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// The protobuf binary encoding instead of the text format (not to a terminal).
    #[arg(long)]
    pub binary: bool,
}

/// Prints the P4Info in text or binary.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    setup.refuse(
        "p4info",
        "the P4Info depends on the device's capabilities only",
    )?;
    let caps = sess.caps()?;
    let info = gufc_p4runtime::p4info::build(&caps);
    let mut out = std::io::stdout().lock();
    let bytes = if a.binary {
        if out.is_terminal() {
            return Err(CliError::usage(
                "p4info --binary: stdout is a terminal; redirect it to a file",
            ));
        }
        gufc_p4runtime::p4info::binary(&info)
    } else {
        gufc_p4runtime::p4info::text(&info).into_bytes()
    };
    out.write_all(&bytes)
        .and_then(|_| out.flush())
        .map_err(|e| CliError::from(format!("writing the P4Info to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
