//! The RTL 2.0 counters (`rtl/v2/gufc_counter_ram.v`, not yet part of `gufc_top`) against the
//! reference in `sim/csrc/counter_ram_tb.cpp`: an increment on most clocks, mostly on a hot set
//! (back-to-back increments of one counter), host reads and clears (also of the counter being
//! incremented at that edge, and pending ones) and resets, every output compared on every edge.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Verilates the counters at `depth` with the testbench and returns the executable.
fn build(depth: u32) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mdir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("counter_ram_d{depth}"));
    let out = Command::new("verilator")
        .args(["--cc", "--exe", "--build", "-j", "2", "-Wall", "-O3"])
        .args(["--x-assign", "unique", "--x-initial", "unique"])
        .args(["--top-module", "gufc_counter_ram"])
        .arg(format!("-GDEPTH={depth}"))
        .args(["-CFLAGS", &format!("-DNDEPTH={depth} -O2")])
        .arg("-Mdir")
        .arg(&mdir)
        .arg(root.join("rtl/v2/gufc_counter_ram.v"))
        .arg(root.join("rtl/v2/gufc_bram.v"))
        .arg(
            root.join("sim/csrc/counter_ram_tb.cpp")
                .canonicalize()
                .unwrap(),
        )
        .output()
        .unwrap_or_else(|e| panic!("running verilator ({e}): apt-get install verilator"));
    assert!(
        out.status.success(),
        "verilator build of the counter_ram testbench (DEPTH={depth}) failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    mdir.join("Vgufc_counter_ram")
}

fn check(depth: u32, seeds: &[u64], cycles: u64) {
    let exe = build(depth);
    for seed in seeds {
        let out = Command::new(&exe)
            .args([seed.to_string(), cycles.to_string()])
            .output()
            .expect("running the counter_ram testbench");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{report}");
        assert!(
            out.status.success(),
            "counter_ram DEPTH={depth} seed {seed}: {report}\nreplay: {} {seed} {cycles}",
            exe.display()
        );
        let line = report.lines().find(|l| l.contains("increments")).unwrap();
        let num = |after: &str| -> u64 {
            let i = line
                .find(after)
                .unwrap_or_else(|| panic!("no {after:?} in {line}"));
            line[..i]
                .split_whitespace()
                .last()
                .unwrap()
                .trim_start_matches('(')
                .parse()
                .unwrap()
        };
        assert!(num(" increments") > cycles * 8 / 10, "{line}");
        for kind in [
            " back-to-back",
            " read",
            " clear",
            " same-edge",
            " pending",
            " resets",
        ] {
            assert!(num(kind) > 0, "no{kind} in {line}");
        }
    }
}

#[test]
fn counter_ram_d64_random() {
    check(64, &[1, 2, 3], 400_000);
}

/// The flow-slot space (4,096 counters), the TCAM space (1,024) and the channels (16).
#[test]
fn counter_ram_spaces_random() {
    check(4096, &[4], 400_000);
    check(1024, &[5], 400_000);
    check(16, &[6], 400_000);
}
