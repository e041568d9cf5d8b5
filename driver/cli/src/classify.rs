//! `gufc classify`: a trace through the real path — rules compiled, programmed into the
//! simulated NIC by the driver through BAR writes, every key through the device pipeline.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;

use crate::rules::{load_file, FormatArg};
use crate::{output, CliResult, Target};
use gufc::classify::classify_trace;

/// Options of `gufc classify`: the rule set, and the header trace run through the device.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Rule file format.
    #[arg(long, value_enum, default_value = "classbench")]
    pub format: FormatArg,
    /// Filter set; line 1 has the highest priority.
    #[arg(long, value_name = "FILE")]
    pub rules: PathBuf,
    /// Header trace: per line `src dst sport dport proto` (decimal; IPv4 as u32), extra columns ignored.
    #[arg(long, value_name = "FILE")]
    pub trace: PathBuf,
    /// Refuse rule constraints the 7-tuple cannot express instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// Print cycle and throughput figures on stderr.
    #[arg(long)]
    pub stats: bool,
}

/// Prints, per trace line, the 1-based number of the first matching rule (0 for none).
pub fn run(target: &Target, a: Args, json: bool) -> CliResult {
    let start = std::time::Instant::now();
    let loaded = load_file(&a.rules, Some(a.format), a.strict)?;
    let mut dev = target.open_sim()?;
    let c = classify_trace(&mut dev, &loaded, &a.trace).map_err(|e| {
        if loaded.compiled.len() > dev.caps().tcam_entries as usize {
            format!("{e} (raise --tcam-entries)")
        } else {
            e.to_string()
        }
    })?;
    let secs = start.elapsed().as_secs_f64();
    if json {
        output::json(&serde_json::json!({
            "rules": c.rules,
            "tcam_entries": c.tcam_entries,
            "packets": c.stream.keys,
            "cycles": c.stream.cycles,
            "matches": c.matches,
        }));
    } else {
        let mut out = BufWriter::new(std::io::stdout().lock());
        for m in &c.matches {
            writeln!(out, "{m}")?;
        }
        out.flush()?;
    }
    if a.stats {
        eprintln!(
            "{} rules in {} TCAM entries ({} register writes); {} packets in {} cycles ({:.3} lookups/cycle); {:.0} packets/s end to end on {}",
            c.rules,
            c.tcam_entries,
            c.register_writes,
            c.stream.keys,
            c.stream.cycles,
            c.stream.lookups_per_cycle(),
            c.stream.keys as f64 / secs,
            c.backend
        );
    }
    Ok(ExitCode::SUCCESS)
}
