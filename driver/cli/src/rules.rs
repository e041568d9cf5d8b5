//! `gufc rules load|show|diff`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use crate::{output, progress, CliResult, Target};
use gufc::backend::Bar;
use gufc::device::Device;
use gufc::rules::{Format, Loaded};

/// Rule file formats on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// gufc's rule language (docs/rules.md).
    Text,
    /// ClassBench filter sets, 9-token or raw 10-token db_generator lines.
    Classbench,
}

/// `gufc rules` subcommands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Compile a rule file and commit it to the device atomically; print what it cost.
    Load {
        /// Rule file to load.
        file: PathBuf,
        /// File format (default: detected from the first rule line).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Refuse constraints the 7-tuple cannot express (ClassBench TCP flags) instead of warning.
        #[arg(long)]
        strict: bool,
    },
    /// Print the device's live rule set, read back through the registers.
    Show,
    /// Compare the live rule set (after --load, or on --device) with a file; --apply commits it.
    Diff {
        /// Rule file to compare with the live rule set.
        file: PathBuf,
        /// File format (default: detected from the first rule line).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Refuse constraints the 7-tuple cannot express (ClassBench TCP flags) instead of warning.
        #[arg(long)]
        strict: bool,
        /// Commit the file's rules after showing the difference.
        #[arg(long)]
        apply: bool,
    },
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Classbench => Format::ClassBench,
        }
    }
}

/// Reads, parses and compiles a rule file; warnings go to stderr.
pub fn load_file(
    path: &Path,
    format: Option<FormatArg>,
    strict: bool,
) -> Result<Loaded, Box<dyn std::error::Error>> {
    let loaded = gufc::rules::load_file(path, format.map(Format::from), strict)?;
    for w in &loaded.set.warnings {
        eprintln!("gufc: {w}");
    }
    Ok(loaded)
}

/// Runs one `gufc rules` subcommand on the device `target` opens.
pub fn run(target: &Target, cmd: Cmd, json: bool) -> CliResult {
    let mut dev = target.open()?;
    match cmd {
        Cmd::Load {
            file,
            format,
            strict,
        } => {
            let loaded = load_file(&file, format, strict)?;
            let n = loaded.compiled.len();
            let spin = progress::spinner(format!("writing {n} TCAM entries"), json);
            let report = dev.replace_rules(&loaded.compiled.entries)?;
            spin.finish_and_clear();
            if json {
                output::json(&serde_json::json!({
                    "file": crate::shown(&file),
                    "rules": loaded.set.len(),
                    "tcam_entries": loaded.compiled.len(),
                    "commit": report,
                }));
            } else {
                println!(
                    "{}: {} rules -> {} TCAM entries (1.00 per rule); committed as epoch {}",
                    file.display(),
                    loaded.set.len(),
                    loaded.compiled.len(),
                    report.epoch
                );
                println!(
                    "  written {}, kept {}, freed {}; {} register writes ({:.1} per written entry), {} reads",
                    report.written,
                    report.kept,
                    report.freed,
                    report.register_writes,
                    report.register_writes as f64 / report.written.max(1) as f64,
                    report.register_reads
                );
            }
        }
        Cmd::Show => show(&mut dev, json)?,
        Cmd::Diff {
            file,
            format,
            strict,
            apply,
        } => {
            let loaded = load_file(&file, format, strict)?;
            let live: Vec<_> = dev.live_rules()?.into_iter().map(|(_, e)| e).collect();
            let live_set: std::collections::HashSet<_> = live.iter().collect();
            let new_set: std::collections::HashSet<_> = loaded.compiled.entries.iter().collect();
            let removed: Vec<_> = live.iter().filter(|e| !new_set.contains(e)).collect();
            let added: Vec<_> = loaded
                .compiled
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| !live_set.contains(e))
                .map(|(i, _)| &loaded.set.rules[loaded.compiled.rule_of(i)])
                .collect();
            if json {
                output::json(&serde_json::json!({
                    "added": added.iter().map(|r| format!("{}: {r}", r.loc)).collect::<Vec<_>>(),
                    "removed": removed.iter().map(|e| output::entry_text(e)).collect::<Vec<_>>(),
                    "unchanged": loaded.compiled.len() - added.len(),
                }));
            } else {
                for e in &removed {
                    println!("- {}", output::entry_text(e));
                }
                for r in &added {
                    println!("+ {r}    # {}", r.loc);
                }
                println!(
                    "{} added, {} removed, {} unchanged",
                    added.len(),
                    removed.len(),
                    loaded.compiled.len() - added.len()
                );
            }
            if apply {
                let report = dev.replace_rules(&loaded.compiled.entries)?;
                eprintln!("committed as epoch {}", report.epoch);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show<B: Bar>(dev: &mut Device<B>, json: bool) -> Result<(), Box<dyn std::error::Error>> {
    let live = dev.live_rules()?;
    if json {
        let rows: Vec<_> = live
            .iter()
            .map(|(i, e)| serde_json::json!({"index": i, "prio": e.prio, "rule": output::entry_text(e)}))
            .collect();
        output::json(&serde_json::json!({ "rules": rows }));
    } else {
        println!("{:>6} {:>6}  rule", "index", "prio");
        for (i, e) in &live {
            println!("{i:>6} {:>6}  {}", e.prio, output::entry_text(e));
        }
        println!("{} live rules", live.len());
    }
    Ok(())
}
