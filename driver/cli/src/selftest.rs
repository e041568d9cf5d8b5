//! `gufc selftest`: runs [`gufc::selftest`] on the chosen device and reports pass/fail.

use std::io::Write;
use std::process::ExitCode;

use gufc::backend::Bar;
use gufc::selftest::{self, Options, Report};

use crate::progress;

/// Bring-up self test: bus, registers, every TCAM entry and flow slot, probes, counters.
/// Exits 0 if every check passed, 1 otherwise. Resets the device (all rules are lost).
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// Test a sample of TCAM entries, flow slots and counters instead of all of them.
    #[arg(long)]
    pub quick: bool,
    /// Entries per table to sample with --quick (corner cases are always added).
    #[arg(long, default_value_t = 256, value_name = "N", requires = "quick")]
    pub samples: u32,
}

impl Args {
    /// The [`gufc::selftest`] options these flags ask for.
    pub fn options(&self) -> Options {
        Options {
            quick: self.quick,
            samples: self.samples,
        }
    }
}

/// Runs the self test and writes the report (text or `--json`) to `out`.
pub fn report(
    bar: &mut dyn Bar,
    args: &Args,
    json: bool,
    out: &mut dyn Write,
) -> std::io::Result<Report> {
    let pb = progress::bar(0, false, json);
    let report = selftest::run_with_progress(bar, &args.options(), &mut |name, i, n| {
        pb.set_length(n as u64);
        pb.set_position(i as u64);
        pb.set_message(name);
    });
    pb.finish_and_clear();
    if json {
        let doc = crate::output::document(
            "selftest",
            serde_json::json!({
                "passed": report.passed(),
                "report": crate::output::value(&report),
            }),
        );
        let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
        writeln!(out, "{text}")?;
    } else {
        write!(out, "{}", report.to_text())?;
    }
    Ok(report)
}

/// `gufc selftest`: report on stdout, exit status 0 only if every check passed.
pub fn run(
    bar: &mut dyn Bar,
    args: &Args,
    json: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let r = report(bar, args, json, &mut std::io::stdout().lock())?;
    Ok(if r.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
