//! ClassBench throughput: simulated cycles/s and lookups/s of the model through the driver
//! (rules programmed over BAR writes, keys pushed through the device pipeline), beside DPDK's
//! rte_acl (`dpdk-test-acl`, Debian package dpdk-dev) on the same files, from one run.
//!
//! `cargo bench -p gufc --bench classbench [-- SET…]`; `scripts/bench` installs dpdk-dev first.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use gufc::backend::ModelBar;
use gufc::device::{Device, OpenOptions};
use gufc::rules::classbench::{parse_trace, TraceColumns};
use gufc::rules::{load_file, Format};
use gufc::stream;
use gufc_regmap::KeyIn;

const SETS: [&str; 6] = [
    "acl1_1K", "fw1_1K", "ipc1_1K", "acl1_10K", "fw1_10K", "ipc1_10K",
];

fn data(name: &str) -> PathBuf {
    gufc_testkit::data("classbench").join(name)
}

struct Row {
    set: String,
    rules: usize,
    /// TCAM entries the compiled set takes (a rule may need several).
    entries: usize,
    load: Duration,
    writes: u64,
    lookups_per_s: f64,
    cycles_per_s: f64,
    lookups_per_cycle: f64,
    dpdk: Result<f64, String>,
}

fn model_run(set: &str) -> Row {
    let loaded = load_file(&data(set), Some(Format::ClassBench), false).expect("rules load");
    let trace_path = data(&format!("{set}_trace"));
    let text = std::fs::read_to_string(&trace_path).expect("trace reads");
    let trace = parse_trace(
        &trace_path.display().to_string(),
        &text,
        TraceColumns::Headers,
    )
    .expect("trace parses");
    let config = gufc_hw_model::Config {
        tcam_entries: 16384,
        ..Default::default()
    };
    let mut dev = Device::open(ModelBar::new(config).unwrap(), OpenOptions::default()).unwrap();
    dev.reset().unwrap();
    let t = Instant::now();
    let report = dev.replace_rules(&loaded.compiled.entries).unwrap();
    // The device must hold every compiled entry, each written fresh (the device was reset).
    let entries = loaded.compiled.entries.len();
    assert_eq!(
        (report.entries, report.written),
        (entries, entries),
        "{set}: entries committed and written vs compiled"
    );
    // The first lookup after a commit builds the model's index: count it with the load.
    stream::classify(
        dev.bar(),
        [KeyIn {
            key: trace[0].key,
            len: 64,
            tag: 0,
            tcp_flags: 0,
        }],
        |_| {},
    )
    .expect("stream");
    let load = t.elapsed();
    let keys: Vec<KeyIn> = trace
        .iter()
        .map(|h| KeyIn {
            key: h.key,
            len: 64,
            tag: 0,
            tcp_flags: 0,
        })
        .collect();
    let (mut lookups, mut cycles) = (0u64, 0u64);
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(700) {
        let st = stream::classify(dev.bar(), keys.iter().copied(), |_| {}).expect("stream");
        lookups += st.keys;
        cycles += st.cycles;
    }
    let secs = t.elapsed().as_secs_f64();
    Row {
        set: set.to_string(),
        rules: loaded.set.len(),
        entries,
        load,
        writes: report.register_writes,
        lookups_per_s: lookups as f64 / secs,
        cycles_per_s: cycles as f64 / secs,
        lookups_per_cycle: lookups as f64 / cycles as f64,
        dpdk: dpdk_run(set),
    }
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

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    println!(
        "{:<9} {:>6} {:>7} {:>8} {:>10} {:>9} {:>14} {:>14} {:>9} {:>16}",
        "set",
        "rules",
        "entries",
        "per rule",
        "load ms",
        "writes",
        "lookups/s",
        "sim cycles/s",
        "lkp/cyc",
        "rte_acl avx2/s"
    );
    for set in SETS
        .iter()
        .filter(|s| wanted.is_empty() || wanted.iter().any(|w| w == *s))
    {
        let r = model_run(set);
        let dpdk = match &r.dpdk {
            Ok(v) => format!("{v:.0}"),
            Err(e) => {
                eprintln!("{}: {e}", r.set);
                "n/a".into()
            }
        };
        println!(
            "{:<9} {:>6} {:>7} {:>8.3} {:>10.1} {:>9} {:>14.0} {:>14.0} {:>9.3} {:>16}",
            r.set,
            r.rules,
            r.entries,
            r.entries as f64 / r.rules as f64,
            r.load.as_secs_f64() * 1e3,
            r.writes,
            r.lookups_per_s,
            r.cycles_per_s,
            r.lookups_per_cycle,
            dpdk
        );
    }
}
