//! `gufc classify`: a trace through the real path — rules compiled, programmed into the
//! simulated NIC by the driver through BAR writes, every key through the device pipeline.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args as ClapArgs;

use super::rules::{load_file, FormatArg};
use super::{output, CliResult, Target};
use crate::rules::classbench::{parse_trace, TraceColumns};
use crate::stream;
use gufc_regmap::{HitKind, KeyIn};

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

/// What one classification run produced.
pub struct Classified {
    /// Per trace line: the 1-based number of the first matching rule, 0 for none.
    pub matches: Vec<u32>,
    pub rules: usize,
    pub tcam_entries: usize,
    pub register_writes: u64,
    pub stream: stream::StreamStats,
    pub backend: String,
}

/// Compiles `rules`, programs them into the simulated device of `target` through the driver,
/// and pushes every header of `trace` through the device pipeline.
pub fn classify_trace(
    target: &Target,
    rules: &Path,
    format: FormatArg,
    strict: bool,
    trace: &Path,
) -> Result<Classified, Box<dyn std::error::Error>> {
    let loaded = load_file(rules, Some(format), strict)?;
    if loaded.compiled.len() > target.tcam_entries() as usize {
        return Err(format!(
            "{}: the rules need {} TCAM entries, the device has {} (raise --tcam-entries)",
            rules.display(),
            loaded.compiled.len(),
            target.tcam_entries()
        )
        .into());
    }
    let text = std::fs::read_to_string(trace).map_err(|e| format!("{}: {e}", trace.display()))?;
    let trace = parse_trace(&trace.display().to_string(), &text, TraceColumns::Headers)?;
    let mut dev = target.open_sim()?;
    let report = dev.replace_rules(&loaded.compiled.entries)?;
    // TCAM index -> rule number (ClassBench: its line number).
    let mut rule_at = vec![0u32; target.tcam_entries() as usize];
    for (entry, &index) in report.placement.iter().enumerate() {
        rule_at[index as usize] = loaded.set.rules[loaded.compiled.rule_of(entry)].loc.line;
    }
    let keys = trace.iter().map(|h| KeyIn {
        key: h.key,
        len: 64,
        tag: 0,
        tcp_flags: 0,
    });
    let mut matches = Vec::with_capacity(trace.len());
    let st = stream::classify(dev.bar(), keys, |r| {
        matches.push(match r.kind {
            HitKind::Rule => rule_at[r.index as usize],
            HitKind::Miss | HitKind::Flow => 0,
        })
    });
    Ok(Classified {
        matches,
        rules: loaded.set.len(),
        tcam_entries: loaded.compiled.len(),
        register_writes: report.register_writes,
        stream: st,
        backend: dev.bar().name(),
    })
}

/// Prints, per trace line, the 1-based number of the first matching rule (0 for none).
pub fn run(target: &Target, a: Args, json: bool) -> CliResult {
    let start = std::time::Instant::now();
    let c = classify_trace(target, &a.rules, a.format, a.strict, &a.trace)?;
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
