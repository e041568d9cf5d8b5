//! The RTL 2.0 rule stage (`rtl/v2/gufc_tcam_v4.v`, not yet part of `gufc_top`) against the
//! first-match reference in `sim/csrc/tcam_v4_tb.cpp`: random entries, plane changes, commits,
//! range-checker rewrites, read-backs and resets under one key per clock, every result compared.
//! The testbench is Verilated here (`verilator --cc --exe --build`), one model per table size.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Verilates the stage with `entries` entries and the testbench into the test's temporary
/// directory (make rebuilds only what changed) and returns the executable.
fn build(entries: u32) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mdir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tcam_v4_n{entries}"));
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("rtl/v2"))
        .expect("rtl/v2")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "v"))
        .collect();
    sources.sort();
    let mut cmd = Command::new("verilator");
    cmd.args(["--cc", "--exe", "--build", "-j", "2", "-Wall", "-O3"])
        .args(["--x-assign", "unique", "--x-initial", "unique"])
        .args(["--top-module", "gufc_tcam_v4"])
        .arg(format!("-GENTRIES={entries}"))
        .args(["-CFLAGS", &format!("-DNENT={entries} -O2")])
        .arg("-Mdir")
        .arg(&mdir)
        .args(&sources)
        .arg(root.join("sim/csrc/tcam_v4_tb.cpp").canonicalize().unwrap());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running verilator ({e}): apt-get install verilator"));
    assert!(
        out.status.success(),
        "verilator build of the tcam_v4 testbench (N={entries}) failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    mdir.join("Vgufc_tcam_v4")
}

/// Runs the testbench for each seed; fails with its report on the first mismatch.
fn check(entries: u32, seeds: &[u64], cycles: u64) {
    let exe = build(entries);
    for seed in seeds {
        let out = Command::new(&exe)
            .args([seed.to_string(), cycles.to_string()])
            .output()
            .expect("running the tcam_v4 testbench");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{report}");
        assert!(
            out.status.success(),
            "tcam_v4 N={entries} seed {seed}: {report}\nreplay: {} {seed} {cycles}",
            exe.display()
        );
        // The run must exercise what it claims: hits, misses and every command kind.
        let line = report.lines().find(|l| l.contains("results")).unwrap();
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
        let (results, hits) = (num(" results"), num(" hits"));
        assert!(
            hits > results / 10 && hits < results * 9 / 10,
            "hit mix: {line}"
        );
        for kind in [
            " write", " planes", " commit", " checker", " read", " resets",
        ] {
            assert!(num(kind) > 0, "no{kind} in {line}");
        }
    }
}

#[test]
fn tcam_v4_n64_random() {
    check(64, &[1, 2, 3], 100_000);
}

#[test]
fn tcam_v4_n256_random() {
    check(256, &[11], 100_000);
}
