//! `gufc classify`: a trace through the real path — rules compiled, programmed into the
//! simulated NIC by the driver through BAR writes, every key through the device pipeline.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use clap::Args as ClapArgs;

use crate::error::CliError;
use crate::session::{check, load_rules, prepare_loaded, rule_target, Prepared};
use crate::{output, rules::FormatArg, CliResult, Session, Setup};
use gufc::classify::classify_trace;

/// Options of `gufc classify`: the header trace run through the device. The filter set is
/// `--load FILE` (line 1 has the highest priority; ClassBench unless `--format text`).
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Header trace: per line `src dst sport dport proto` (decimal; IPv4 as u32), extra columns ignored.
    #[arg(long, value_name = "FILE")]
    pub trace: PathBuf,
    /// Print cycle and throughput figures on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Decide keys on N threads (the model only; results, counters and cycles are the same
    /// for every N).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: u32,
}

/// Prints, per trace line, the 1-based number of the first matching rule (0 for none).
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    let json = sess.json;
    let start = std::time::Instant::now();
    let path = setup
        .load
        .as_ref()
        .ok_or_else(|| CliError::usage("classify needs the filter set: --load FILE"))?;
    let mut setup = setup.clone();
    setup.format = setup.format.or(Some(FormatArg::Classbench));
    // Opened first (no writes): a 2.0 device's rule stage also matches TCP flags.
    let mut dev = gufc::Device::open(sess.target.sim()?, sess.target.opts())?;
    let loaded = load_rules(path, &setup, rule_target(dev.caps()))?;
    let p = prepare_loaded(Some(loaded), &setup)?;
    if !dev.bar().set_lookup_threads(a.threads as usize) {
        return Err(CliError::usage(format!(
            "--threads {}: the {} backend decides keys on one thread only (the model can use more)",
            a.threads,
            dev.bar().name()
        )));
    }
    check(&dev, &p)?;
    dev.reset()?;
    // Local prefixes now; classify_trace commits the rules itself.
    let locals_only = Prepared {
        rules: None,
        locals: p.locals.clone(),
    };
    // This device is the command's own: its sources are not the run's.
    crate::session::apply(&mut dev, &locals_only, &mut None)?;
    let loaded = p.rules.expect("rules given");
    let spin = crate::progress::spinner(
        format!("classifying {} through the device", crate::shown(&a.trace)),
        json,
    );
    let c = classify_trace(&mut dev, &loaded, &a.trace)?;
    spin.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    if json {
        output::json(
            "classify",
            json!({
                "rules": c.rules,
                "tcam_entries": c.tcam_entries,
                "packets": c.stream.keys,
                "cycles": c.stream.cycles,
                "matches": c.matches,
            }),
        )?;
    } else {
        let mut out = BufWriter::new(std::io::stdout().lock());
        for m in &c.matches {
            writeln!(out, "{m}").map_err(CliError::from)?;
        }
        out.flush().map_err(CliError::from)?;
    }
    if a.stats {
        // Asked for explicitly, so printed even with -q; a closed stderr is not an error.
        let _ = writeln!(
            std::io::stderr(),
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
