//! A header trace through the real path: rules compiled, programmed into a simulated NIC by the
//! driver through BAR writes, every header through the device pipeline, one key per cycle.

use std::path::Path;

use crate::backend::Sim;
use crate::device::Device;
use crate::rules::classbench::{parse_trace, trace_tcp_flags, TraceColumns};
use crate::rules::Loaded;
use crate::stream;
use gufc_regmap::{HitKind, Key, KeyIn};

/// What one classification run produced.
#[derive(Clone, Debug)]
pub struct Classified {
    /// Per trace line: the 1-based line of the first matching rule, 0 for none.
    pub matches: Vec<u32>,
    /// Rules in the set.
    pub rules: usize,
    /// TCAM entries they took.
    pub tcam_entries: usize,
    /// Register writes of the rule load.
    pub register_writes: u64,
    /// Keys and cycles of the stream.
    pub stream: stream::StreamStats,
    /// The backend's name.
    pub backend: String,
}

/// Commits `loaded` to `dev` and pushes every header of the ClassBench-style `trace` file
/// (`src dst sport dport proto`, extra columns ignored) through its pipeline. A raw
/// `trace_generator` line's flags column gives the packet's TCP flags ([`trace_tcp_flags`]),
/// which an RTL 2.0 rule stage matches.
pub fn classify_trace<S: Sim>(
    dev: &mut Device<S>,
    loaded: &Loaded,
    trace: &Path,
) -> Result<Classified, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(trace).map_err(|e| format!("{}: {e}", trace.display()))?;
    let trace = parse_trace(&trace.display().to_string(), &text, TraceColumns::Headers)?;
    let flags = |h: &crate::rules::classbench::TraceEntry| h.flags.map_or(0, trace_tcp_flags);
    classify_keys_with_flags(dev, loaded, trace.iter().map(|h| (h.key, flags(h))))
}

/// Commits `loaded` to `dev` and pushes `keys` through its pipeline, one per cycle: the path
/// of [`classify_trace`] for keys made elsewhere (IPv6 ones: ClassBench traces are IPv4).
pub fn classify_keys<S: Sim>(
    dev: &mut Device<S>,
    loaded: &Loaded,
    keys: impl IntoIterator<Item = Key>,
) -> Result<Classified, Box<dyn std::error::Error>> {
    classify_keys_with_flags(dev, loaded, keys.into_iter().map(|k| (k, 0)))
}

/// [`classify_keys`] for `(key, TCP flags byte)` pairs: the flags go out on the key port's
/// `key_flags`, where an RTL 2.0 rule stage matches them.
pub fn classify_keys_with_flags<S: Sim>(
    dev: &mut Device<S>,
    loaded: &Loaded,
    keys: impl IntoIterator<Item = (Key, u8)>,
) -> Result<Classified, Box<dyn std::error::Error>> {
    let capacity = dev.caps().tcam_entries as usize;
    if loaded.compiled.len() > capacity {
        return Err(format!(
            "{}: the rules need {} TCAM entries, the device has {capacity}",
            loaded.set.rules[0].loc.file,
            loaded.compiled.len(),
        )
        .into());
    }
    let report = dev.replace_rules(&loaded.compiled.entries)?;
    // TCAM index -> rule number (ClassBench: its line number).
    let mut rule_at = vec![0u32; capacity];
    for (&entry, &index) in report.sources.iter().zip(&report.placement) {
        rule_at[index as usize] = loaded.set.rules[loaded.compiled.rule_of(entry)].loc.line;
    }
    let keys = keys.into_iter().map(|(key, tcp_flags)| KeyIn {
        key,
        len: 64,
        tag: 0,
        tcp_flags,
    });
    let mut matches = Vec::new();
    let st = stream::classify(dev.bar(), keys, |r| {
        matches.push(match r.kind {
            HitKind::Rule => rule_at[r.index as usize],
            HitKind::Miss | HitKind::Flow => 0,
        })
    })?;
    Ok(Classified {
        matches,
        rules: loaded.set.len(),
        tcam_entries: loaded.compiled.len(),
        register_writes: report.register_writes,
        stream: st,
        backend: dev.bar().name(),
    })
}
