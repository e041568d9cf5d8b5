//! ClassBench throughput: lookups/s of the model through the driver (rules programmed over BAR
//! writes, keys pushed through the device pipeline in bursts), beside DPDK's rte_acl
//! (`dpdk-test-acl --alg=avx2`, Debian package dpdk-dev) on the same files, in one run.
//!
//! `cargo bench -p gufc --bench classbench [-- [SET…] [--json] [--repeat=N] [--no-rte-acl]
//! [--no-max]]`; `scripts/bench` installs dpdk-dev first.
//!
//! Each set runs in a child process of this binary, so its peak RSS is its own. Both sides are
//! measured `--repeat` times (default 3), interleaved, and the best run of each counts (the
//! machine may be shared; the best run is the least disturbed one, for both alike). Last, a
//! child builds the largest model configuration (65,536 entries, 2^20 × 8 flow slots) and
//! reports its memory.
//!
//! `--json` prints one JSON object per line: per set `set`, `rules`, `gufc_lookups_per_s`,
//! `rte_acl_lookups_per_s`, `ratio`, index build and memory, `peak_rss_bytes`; then one object
//! with `"set": "max_config"`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use gufc::backend::ModelBar;
use gufc::device::{Device, OpenOptions};
use gufc::rules::classbench::{parse_trace, TraceColumns};
use gufc::rules::{load_file, Format};
use gufc::stream;
use gufc_regmap::KeyIn;
use serde::{Deserialize, Serialize};

const SETS: [&str; 6] = [
    "acl1_1K", "fw1_1K", "ipc1_1K", "acl1_10K", "fw1_10K", "ipc1_10K",
];

/// Time one gufc measurement streams the trace for.
const RUN: Duration = Duration::from_millis(400);

fn data(name: &str) -> PathBuf {
    gufc_testkit::data("classbench").join(name)
}

/// What a child measures of one set on the model.
#[derive(Serialize, Deserialize)]
struct ModelRun {
    rules: usize,
    entries: usize,
    /// Rule load (register writes and COMMIT), ms.
    load_ms: f64,
    register_writes: u64,
    /// Per measurement: lookups/s.
    lookups_per_s: Vec<f64>,
    /// Per measurement with `--threads` lookup threads: lookups/s.
    lookups_per_s_threads: Vec<f64>,
    lookups_per_cycle: f64,
    /// The index structures the model built: (name, build ms, bytes).
    index: Vec<(String, f64, usize)>,
    /// VmHWM of the child, bytes.
    peak_rss_bytes: u64,
    /// One live entry rewritten under traffic (its register writes and TCAM_WRITE): mean wall
    /// time, µs.
    update_us: f64,
    /// Lookups/s right after `UPDATES` such rewrites (the index compares them beside it until
    /// it rebuilds).
    lookups_per_s_after_updates: f64,
}

/// Live entries rewritten in the update measurement.
const UPDATES: usize = 64;

/// One output row.
#[derive(Serialize)]
struct Row {
    set: String,
    rules: usize,
    gufc_lookups_per_s: f64,
    rte_acl_lookups_per_s: Option<f64>,
    /// Lookup threads of the multi-thread figure.
    gufc_threads: usize,
    gufc_lookups_per_s_threads: f64,
    ratio: Option<f64>,
    gufc_runs: Vec<f64>,
    rte_acl_runs: Vec<f64>,
    lookups_per_cycle: f64,
    load_ms: f64,
    register_writes: u64,
    index_structure: String,
    index_build_ms: f64,
    index_bytes: usize,
    index_bytes_per_rule: f64,
    peak_rss_bytes: u64,
    /// Mean wall time of one live entry rewrite under traffic, µs.
    update_us: f64,
    /// Lookups/s right after 64 rewrites (before the index rebuilds).
    lookups_per_s_after_updates: f64,
}

fn keys_of(set: &str) -> Vec<KeyIn> {
    let trace_path = data(&format!("{set}_trace"));
    let text = std::fs::read_to_string(&trace_path).expect("trace reads");
    parse_trace(
        &trace_path.display().to_string(),
        &text,
        TraceColumns::Headers,
    )
    .expect("trace parses")
    .iter()
    .map(|h| KeyIn {
        key: h.key,
        len: 64,
        tag: 0,
        tcp_flags: 0,
    })
    .collect()
}

/// VmHWM (peak resident set) of this process in bytes, and VmRSS.
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The child's work for one set: load, then `repeat` timed streams of the trace.
fn model_child(set: &str, repeat: usize, threads: usize) -> ModelRun {
    let loaded = load_file(&data(set), Some(Format::ClassBench), false).expect("rules load");
    let keys = keys_of(set);
    let config = gufc_hw_model::Config {
        tcam_entries: 16384,
        ..Default::default()
    };
    let mut dev = Device::open(ModelBar::new(config).unwrap(), OpenOptions::default()).unwrap();
    dev.reset().unwrap();
    let t = Instant::now();
    let report = dev.replace_rules(&loaded.compiled.entries).unwrap();
    let entries = loaded.compiled.entries.len();
    assert_eq!(
        (report.entries, report.written),
        (entries, entries),
        "{set}: entries committed and written vs compiled"
    );
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    // One pass first: the index is built by the lookups that need it (reported separately).
    stream::classify(dev.bar(), keys.iter().copied(), |_| {}).expect("stream");
    let (mut lookups, mut cycles) = (0u64, 0u64);
    let mut measure = |dev: &mut Device<ModelBar>| {
        let (mut n, t) = (0u64, Instant::now());
        while t.elapsed() < RUN {
            let st = stream::classify(dev.bar(), keys.iter().copied(), |_| {}).expect("stream");
            n += st.keys;
            cycles += st.cycles;
        }
        lookups += n;
        n as f64 / t.elapsed().as_secs_f64()
    };
    let runs: Vec<f64> = (0..repeat).map(|_| measure(&mut dev)).collect();
    dev.bar().model_mut().set_lookup_threads(threads);
    let runs_threads: Vec<f64> = (0..repeat).map(|_| measure(&mut dev)).collect();
    let index = dev
        .bar()
        .model()
        .index_builds()
        .iter()
        .map(|b| {
            (
                b.structure.to_string(),
                b.build.as_secs_f64() * 1e3,
                b.bytes,
            )
        })
        .collect();
    // Rule updates under traffic: rewrite live entries (same match, action flipped to DROP)
    // with the raw register writes the driver would issue, a burst of traffic after each.
    dev.bar().model_mut().set_lookup_threads(1);
    let mut update = Duration::ZERO;
    let burst: Vec<KeyIn> = keys.iter().copied().take(1024).collect();
    for k in 0..UPDATES {
        let at = report.placement[k * report.placement.len() / UPDATES];
        let (mut e, planes) = dev.read_entry(at).unwrap();
        e.action = gufc_regmap::Action::Drop;
        let t = Instant::now();
        let bar = dev.bar();
        for (off, val) in e.staging(planes) {
            gufc::backend::Bar::write32(bar, off, val).unwrap();
        }
        let cmd = gufc_regmap::word::Cmd::new()
            .with_opcode(gufc_regmap::Opcode::TcamWrite)
            .with_index(at);
        gufc::backend::Bar::write32(bar, gufc_regmap::reg::CMD, cmd.raw()).unwrap();
        update += t.elapsed();
        stream::classify(dev.bar(), burst.iter().copied(), |_| {}).expect("stream");
    }
    let t = Instant::now();
    let st = stream::classify(dev.bar(), keys.iter().copied(), |_| {}).expect("stream");
    let after = st.keys as f64 / t.elapsed().as_secs_f64();

    ModelRun {
        rules: loaded.set.len(),
        entries,
        load_ms,
        register_writes: report.register_writes,
        lookups_per_s: runs,
        lookups_per_s_threads: runs_threads,
        lookups_per_cycle: lookups as f64 / cycles as f64,
        index,
        peak_rss_bytes: rss().0,
        update_us: update.as_secs_f64() * 1e6 / UPDATES as f64,
        lookups_per_s_after_updates: after,
    }
}

/// The largest configuration, loaded with the largest set and streamed once.
fn max_child() -> serde_json::Value {
    let config = gufc_hw_model::Config {
        tcam_entries: 65536,
        flow_buckets: 1 << 20,
        flow_ways: 8,
        ..Default::default()
    };
    let (_, before) = rss();
    let t = Instant::now();
    let mut dev = Device::open(ModelBar::new(config).unwrap(), OpenOptions::default()).unwrap();
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    let (_, empty) = rss();
    let set = "acl1_10K";
    let loaded = load_file(&data(set), Some(Format::ClassBench), false).expect("rules load");
    dev.replace_rules(&loaded.compiled.entries).unwrap();
    stream::classify(dev.bar(), keys_of(set), |_| {}).expect("stream");
    let (peak, now) = rss();
    serde_json::json!({
        "set": "max_config",
        "tcam_entries": 65536,
        "flow_slots": (1u64 << 20) * 8,
        "model_new_ms": build_ms,
        "rss_before_bytes": before,
        "rss_empty_model_bytes": empty,
        "rss_loaded_bytes": now,
        "peak_rss_bytes": peak,
        "loaded_with": set,
    })
}

/// rte_acl on the same files: `dpdk-test-acl … --alg=avx2`, its pkt/sec figure.
fn dpdk_run(set: &str) -> Result<f64, String> {
    let out = Command::new("dpdk-test-acl")
        .args([
            "--no-huge",
            "-m",
            "4096",
            "--no-pci",
            "-l",
            "0",
            "--log-level=1",
            "--",
        ])
        .arg(format!("--rulesf={}", data(set).display()))
        .arg(format!(
            "--tracef={}",
            data(&format!("{set}_trace")).display()
        ))
        .args([
            "--iter=20",
            "--alg=avx2",
            "--verbose=0",
            "--tracenum=200000",
        ])
        .output()
        .map_err(|e| {
            format!("dpdk-test-acl not runnable ({e}); scripts/bench installs dpdk-dev")
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("search_ip5tuples") && l.contains("pkt/sec"))
        .and_then(|l| l.split_whitespace().rev().nth(1)?.parse().ok())
        .ok_or_else(|| {
            format!(
                "dpdk-test-acl printed no pkt/sec line (exit {})",
                out.status
            )
        })
}

/// Runs this binary as a child with `args`, returning its last stdout line.
fn child(args: &[String]) -> String {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe).args(args).output().expect("child runs");
    assert!(
        out.status.success(),
        "child {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("{name}=")))
            .map(|v| v.parse::<usize>().expect("a number"))
    };
    let repeat = value("--repeat").unwrap_or(3).max(1);
    let threads = value("--threads").unwrap_or(2).max(1);
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let run = model_child(&args[i + 1], repeat, threads);
        println!("{}", serde_json::to_string(&run).unwrap());
        return;
    }
    if flag("--child-max") {
        println!("{}", max_child());
        return;
    }
    let json = flag("--json");
    let wanted: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .collect();
    if !json {
        println!(
            "{:<9} {:>6} {:>8} {:>9} {:>13} {:>13} {:>13} {:>7} {:>13} {:>9} {:>8} {:>10}",
            "set",
            "rules",
            "load ms",
            "writes",
            "gufc lkp/s",
            format!("{threads} threads"),
            "rte_acl/s",
            "ratio",
            "index",
            "build ms",
            "B/rule",
            "peak RSS"
        );
    }
    for set in SETS
        .iter()
        .filter(|s| wanted.is_empty() || wanted.iter().any(|w| w == *s))
    {
        // Interleaved: one model measurement, one rte_acl measurement, `repeat` times.
        let mut gufc = Vec::new();
        let mut gufc_mt = Vec::new();
        let mut acl = Vec::new();
        let mut last: Option<ModelRun> = None;
        for _ in 0..repeat {
            let line = child(&[
                "--child".into(),
                set.to_string(),
                "--repeat=1".into(),
                format!("--threads={threads}"),
            ]);
            let run: ModelRun = serde_json::from_str(&line).expect("child JSON");
            gufc.extend(&run.lookups_per_s);
            gufc_mt.extend(&run.lookups_per_s_threads);
            if let Some(prev) = &mut last {
                prev.peak_rss_bytes = prev.peak_rss_bytes.max(run.peak_rss_bytes);
            } else {
                last = Some(run);
            }
            if !flag("--no-rte-acl") {
                match dpdk_run(set) {
                    Ok(v) => acl.push(v),
                    Err(e) => eprintln!("{set}: {e}"),
                }
            }
        }
        let run = last.expect("at least one run");
        let g = best(&gufc);
        let a = (!acl.is_empty()).then(|| best(&acl));
        // The structure lookups use: the last one built (a tree over budget is followed by
        // the bitmaps).
        let (structure, _, bytes) = run
            .index
            .iter()
            .rev()
            .find(|(_, _, b)| *b > 0)
            .cloned()
            .unwrap_or_else(|| ("scan".into(), 0.0, 0));
        let total_build: f64 = run.index.iter().map(|x| x.1).sum();
        let row = Row {
            set: set.to_string(),
            rules: run.rules,
            gufc_lookups_per_s: g,
            rte_acl_lookups_per_s: a,
            gufc_threads: threads,
            gufc_lookups_per_s_threads: best(&gufc_mt),
            ratio: a.map(|a| g / a),
            gufc_runs: gufc,
            rte_acl_runs: acl,
            lookups_per_cycle: run.lookups_per_cycle,
            load_ms: run.load_ms,
            register_writes: run.register_writes,
            index_structure: structure,
            index_build_ms: total_build,
            index_bytes: bytes,
            index_bytes_per_rule: bytes as f64 / run.entries.max(1) as f64,
            peak_rss_bytes: run.peak_rss_bytes,
            update_us: run.update_us,
            lookups_per_s_after_updates: run.lookups_per_s_after_updates,
        };
        if json {
            println!("{}", serde_json::to_string(&row).unwrap());
        } else {
            println!(
                "{:<9} {:>6} {:>8.1} {:>9} {:>13.0} {:>13.0} {:>13} {:>7} {:>13} {:>9.1} {:>8.0} {:>8.1}MB",
                row.set,
                row.rules,
                row.load_ms,
                row.register_writes,
                row.gufc_lookups_per_s,
                row.gufc_lookups_per_s_threads,
                a.map_or("n/a".into(), |a| format!("{a:.0}")),
                row.ratio.map_or("n/a".into(), |r| format!("{r:.2}")),
                row.index_structure,
                row.index_build_ms,
                row.index_bytes_per_rule,
                row.peak_rss_bytes as f64 / 1e6
            );
        }
    }
    if !flag("--no-max") {
        let line = child(&["--child-max".into()]);
        if json {
            println!("{line}");
        } else {
            let v: serde_json::Value = serde_json::from_str(&line).expect("child JSON");
            println!(
                "largest configuration (65,536 entries, 2^20 x 8 flow slots, {} loaded): peak RSS {:.2} GB, empty model {:.2} GB",
                v["loaded_with"].as_str().unwrap_or("?"),
                v["peak_rss_bytes"].as_f64().unwrap_or(0.0) / 1e9,
                v["rss_empty_model_bytes"].as_f64().unwrap_or(0.0) / 1e9,
            );
        }
    }
}
