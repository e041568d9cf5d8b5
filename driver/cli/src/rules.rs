//! `gufc rules load|show|diff`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use similar::{capture_diff_slices, Algorithm, DiffTag};

use crate::error::{status, CliError};
use crate::session::{load_rules, origin_json, origin_text, prepare_loaded};
use crate::{outln, output, progress, CliResult, Session, Setup};
use gufc::device::EntryView;
use gufc::rules::{flags, protocols, ranges, Format};
use gufc_regmap::TcamEntry;

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
        /// Rule file to load (`--format`, `--strict` apply to it).
        file: PathBuf,
    },
    /// Print the device's live rule set, read back through the registers.
    Show,
    /// Compare the live rule set with a file by content, in decision order (TCAM index and
    /// priority value do not matter); exit 0 same, 1 different, 2 trouble. --apply commits it.
    Diff {
        /// Rule file to compare with the live rule set.
        file: PathBuf,
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

/// What a rule set would cost in the RTL 2.0 rule stage (issue 10), which has a few range
/// checkers instead of a port range per entry and a few protocol classes instead of the protocol
/// byte: the layouts of `gufc_rules::ranges::plan` and `gufc_rules::protocols::plan`; TCP-flag
/// matches are kept (`gufc_rules::flags::check`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Rtl2Cost {
    /// TCAM entries the set expands into.
    pub entries: usize,
    /// `entries` over the set's rules.
    pub entries_per_rule: f64,
    /// Range checkers the layout uses.
    pub checkers: usize,
    /// Range checkers the stage has.
    pub checkers_available: usize,
    /// Protocol classes the layout uses (0 when the protocols do not fit).
    pub protocol_classes: usize,
    /// Protocol classes the stage has.
    pub protocol_classes_available: usize,
    /// Why the set does not fit the stage (file:line:column and reason), or none.
    pub problem: Option<String>,
}

impl Rtl2Cost {
    /// The layout of `set` on the stage's checkers.
    pub fn of(set: &gufc::rules::RuleSet) -> Rtl2Cost {
        let available = ranges::CHECKERS;
        let p = ranges::plan(set, available);
        let classes = protocols::plan(set);
        Rtl2Cost {
            entries: p.entries(),
            entries_per_rule: p.entries_per_rule(),
            checkers: p.checkers.len(),
            checkers_available: available,
            protocol_classes: classes.as_ref().map_or(0, |c| c.protocols.len()),
            protocol_classes_available: protocols::CLASSES,
            // Flags cost no entries: the key carries them; only bits above FLAG_BITS don't fit.
            problem: classes.err().map(|e| e.to_string()).or_else(|| {
                flags::check(set, flags::FLAG_BITS)
                    .err()
                    .map(|e| e.to_string())
            }),
        }
    }
}

impl std::fmt::Display for Rtl2Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RTL 2.0 layout: {} entries ({:.3} per rule), {} of {} range checkers, {} of {} \
             protocol classes",
            self.entries,
            self.entries_per_rule,
            self.checkers,
            self.checkers_available,
            self.protocol_classes,
            self.protocol_classes_available
        )?;
        match &self.problem {
            Some(p) => write!(f, "; does not fit: {p}"),
            None => Ok(()),
        }
    }
}

/// What an entry decides, without its priority: priorities only encode order, which the
/// diff compares separately.
fn content(e: &TcamEntry) -> TcamEntry {
    TcamEntry { prio: 0, ..*e }
}

/// Runs one `gufc rules` subcommand on the session's device.
pub fn run(sess: &mut Session, setup: &Setup, cmd: Cmd) -> CliResult {
    let json = sess.json;
    match cmd {
        Cmd::Load { file } => {
            if setup.load.is_some() {
                return Err(CliError::usage(
                    "`rules load FILE` names its file itself; drop --load",
                ));
            }
            let target = sess.rule_target()?;
            let loaded = load_rules(&file, setup, target)?;
            let (rules, entries) = (loaded.set.len(), loaded.compiled.len());
            let rtl2 = Rtl2Cost::of(&loaded.set);
            let p = prepare_loaded(Some(loaded), setup)?;
            let spin = progress::spinner(format!("writing {entries} TCAM entries"), json);
            let report = sess.write(&p)?.expect("a rule file was given");
            spin.finish_and_clear();
            if json {
                output::json(
                    "rules load",
                    json!({
                        "file": crate::shown(&file),
                        "rules": rules,
                        "tcam_entries": entries,
                        "local_prefixes": p.locals.len(),
                        "commit": output::value(&report),
                        "rtl2": output::value(&rtl2),
                    }),
                )?;
            } else {
                outln!(
                    "{}: {rules} rules -> {entries} TCAM entries; committed as epoch {}",
                    file.display(),
                    report.epoch
                );
                outln!(
                    "  written {}, kept {}, freed {}; {} register writes ({:.1} per written entry), {} reads",
                    report.written,
                    report.kept,
                    report.freed,
                    report.register_writes,
                    report.register_writes as f64 / report.written.max(1) as f64,
                    report.register_reads
                );
                outln!("  {rtl2}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Show => {
            sess.setup(setup)?;
            let dev = sess.device()?;
            let mut live = Vec::new();
            for (i, e) in dev.live_rules()? {
                live.push((i, dev.view_entry(&e)?));
            }
            if json {
                let rows: Vec<_> = live
                    .iter()
                    .map(|(i, v)| {
                        let (checkers, notes) = output::view_fields(v);
                        json!({"index": i, "prio": v.entry.prio, "rule": output::entry_text(&v.entry),
                               "checkers": checkers, "notes": notes,
                               "source": origin_json(&sess.origins, *i)})
                    })
                    .collect();
                output::json("rules show", json!({ "rules": rows }))?;
            } else {
                outln!("{:>6} {:>6}  rule", "index", "prio");
                for (i, v) in &live {
                    let source = sess.origins.as_ref().and_then(|m| m.get(i));
                    let text = output::view_text_with(v, source.map(|o| o.loc.to_string()));
                    outln!("{i:>6} {:>6}  {text}", v.entry.prio);
                }
                outln!("{} live rules", live.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Diff { file, apply } => diff(sess, setup, file, apply),
    }
}

/// `rules diff`: the live set (after `--load`, or on the device) against `file`.
fn diff(sess: &mut Session, setup: &Setup, file: PathBuf, apply: bool) -> CliResult {
    let json = sess.json;
    let target = sess.rule_target()?;
    let loaded = load_rules(&file, setup, target)?;
    sess.setup(setup)?;
    let dev = sess.device()?;
    // Both sides as the device holds them, read back in the rule language (on 2.0 a rule may
    // be several entries, on checkers whose numbers differ between sets): compared by meaning.
    let mut live = Vec::new();
    for (i, e) in dev.live_rules()? {
        live.push((i, dev.view_entry(&e)?));
    }
    let wanted = dev.preview(&loaded.compiled.entries)?;
    // Decision order: highest priority first, ties to the lowest index (as the hardware).
    live.sort_by_key(|(i, v)| (std::cmp::Reverse(v.entry.prio), *i));
    let key = |v: &EntryView| (content(&v.entry), v.notes.clone());
    let old: Vec<_> = live.iter().map(|(_, v)| key(v)).collect();
    let new: Vec<_> = wanted.iter().map(|(_, v)| key(v)).collect();
    let mut removed = Vec::new();
    let mut added: Vec<usize> = Vec::new();
    let mut same = 0;
    for op in capture_diff_slices(Algorithm::Myers, &old, &new) {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            same += o.len();
            continue;
        }
        removed.extend(o);
        // One `+` per rule, however many entries it takes.
        for k in n {
            let given = wanted[k].0;
            if added.last() != Some(&given) {
                added.push(given);
            }
        }
    }
    let rule_of = |k: usize| &loaded.set.rules[loaded.compiled.rule_of(k)];
    let entry_text = |k: usize| output::view_text(&live[k].1);
    let removed: Vec<(usize, u32)> = removed.into_iter().map(|k| (k, live[k].0)).collect();
    if json {
        output::json(
            "rules diff",
            json!({
                "file": crate::shown(&file),
                "same": removed.is_empty() && added.is_empty(),
                "removed": removed.iter().map(|&(k, i)| json!({
                    "index": i,
                    "rule": entry_text(k),
                    "source": origin_json(&sess.origins, i),
                })).collect::<Vec<_>>(),
                "added": added.iter().map(|&k| json!({
                    "rule": rule_of(k).to_string(),
                    "location": loaded.compiled.sources[k].loc.to_string(),
                })).collect::<Vec<_>>(),
                "unchanged": same,
            }),
        )?;
    } else {
        for &(k, i) in &removed {
            outln!(
                "- {}    # TCAM entry {i}: {}",
                entry_text(k),
                origin_text(&sess.origins, i)
            );
        }
        for &k in &added {
            outln!("+ {}    # {}", rule_of(k), loaded.compiled.sources[k].loc);
        }
        outln!(
            "{} added, {} removed, {same} unchanged",
            added.len(),
            removed.len()
        );
    }
    let differ = !(removed.is_empty() && added.is_empty());
    if apply && differ {
        let p = prepare_loaded(Some(loaded), &Setup::default())?;
        let report = sess.write(&p)?.expect("rules given");
        progress::warn(format!("committed as epoch {}", report.epoch));
    }
    Ok(if differ {
        ExitCode::from(status::NEGATIVE)
    } else {
        ExitCode::SUCCESS
    })
}
