//! What the RTL 2.0 block tests share: Verilating a block with its C++ testbench, running a seed
//! (a failure prints the command that replays it), and reading the counts in the testbench's
//! summary line, with which each test checks that a run exercised what it claims.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Verilates `top` from `sources` (paths under the repository root) with the testbench
/// `sim/csrc/<tb>.cpp` into `<test tmpdir>/<dir>` (make rebuilds only what changed), with
/// Verilog parameters `params` (`NAME=value`) and C++ `defines`; returns the executable.
pub fn verilate(
    dir: &str,
    top: &str,
    sources: &[PathBuf],
    params: &[String],
    defines: &str,
    tb: &str,
) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mdir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let out = Command::new("verilator")
        .args(["--cc", "--exe", "--build", "-j", "2", "-Wall", "-O3"])
        .args(["--x-assign", "unique", "--x-initial", "unique"])
        .args(["--top-module", top])
        // rtl/ for gufc_regs.vh (the register map) and the 1.x modules 2.0 reuses.
        .arg(format!("-I{}", root.join("rtl").display()))
        .args(params.iter().map(|p| format!("-G{p}")))
        .args(["-CFLAGS", &format!("{defines} -O2")])
        .arg("-Mdir")
        .arg(&mdir)
        .args(sources.iter().map(|s| root.join(s)))
        .arg(
            root.join(format!("sim/csrc/{tb}.cpp"))
                .canonicalize()
                .unwrap(),
        )
        .output()
        .unwrap_or_else(|e| panic!("running verilator ({e}): apt-get install verilator"));
    assert!(
        out.status.success(),
        "verilator build of the {tb} testbench ({}) failed:\n{}{}",
        params.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    mdir.join(format!("V{top}"))
}

/// Runs `exe SEED CYCLES extra…`, prints its report and fails with it (and the command that
/// replays the run) unless the testbench passed; returns the report.
pub fn run(exe: &Path, what: &str, seed: u64, cycles: u64, extra: &[&Path]) -> String {
    let out = Command::new(exe)
        .args([seed.to_string(), cycles.to_string()])
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("running the {what} testbench: {e}"));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(
        out.status.success(),
        "{what} seed {seed}: {report}\nreplay: {} {seed} {cycles}",
        exe.display()
    );
    report
}

/// A testbench trace: `words` little-endian 32-bit words per edge, `edges` edges (checked).
pub fn trace_words(trace: &Path, words: usize, edges: u64) -> Vec<u32> {
    let bytes = std::fs::read(trace).expect("the testbench trace");
    let w: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(w.len() as u64, words as u64 * edges, "trace length");
    w
}

/// The summary line of a report: the line that contains `marker`.
pub fn summary<'a>(report: &'a str, marker: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no summary line with {marker:?} in {report}"))
}

/// The number before `after` in a summary line.
pub fn num(line: &str, after: &str) -> u64 {
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
}
