//! The RTL 2.0 rule stage (`rtl/v2/gufc_tcam_v4.v`, not yet part of `gufc_top`) against the
//! first-match reference in `sim/csrc/tcam_v4_tb.cpp`: random entries, plane changes, commits,
//! range-checker rewrites, read-backs and resets under one key per clock, every result compared.
//! The testbench is Verilated here (`verilator --cc --exe --build`), one model per table size.
//! Each run also writes every edge's inputs and outputs to a trace, and the Rust model of the
//! stage (`gufc_hw_model::v2::rule_stage`) replays the inputs and must produce every output bit
//! on the same edge: the lockstep check of model against RTL.

use gufc_hw_model::v2::rule_stage::{
    KeyBits, RuleStage, RuleStageConfig, RuleStageIn, RuleStageOut,
};

use std::path::{Path, PathBuf};

mod testbench;

use testbench::{num, run, summary, trace_words, verilate};

/// Every Verilog file in rtl/v2, sorted, relative to the repository root (the stage reaches
/// across the directory).
pub fn all_v2_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("rtl/v2"))
        .expect("rtl/v2")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "v"))
        .collect();
    sources.sort();
    sources
}

/// Verilates the stage with `entries` entries, `slice_bits`-bit RAM slices and `flag_bits` TCP
/// flags, and the testbench, into the test's temporary directory (make rebuilds only what
/// changed); returns the executable.
fn build(entries: u32, slice_bits: u32, flag_bits: u32) -> PathBuf {
    verilate(
        &format!("tcam_v4_n{entries}_s{slice_bits}_f{flag_bits}"),
        "gufc_tcam_v4",
        &all_v2_sources(),
        &[
            format!("ENTRIES={entries}"),
            format!("SLICE_BITS={slice_bits}"),
            format!("FLAG_BITS={flag_bits}"),
        ],
        &format!("-DNENT={entries} -DSB={slice_bits} -DFLAGB={flag_bits}"),
        "tcam_v4_tb",
    )
}

/// Runs the testbench for each seed; fails with its report on the first mismatch.
fn check(entries: u32, slice_bits: u32, flag_bits: u32, seeds: &[u64], cycles: u64) {
    let exe = build(entries, slice_bits, flag_bits);
    for &seed in seeds {
        let trace = exe.with_file_name(format!("trace-{seed}.bin"));
        let report = run(
            &exe,
            &format!("tcam_v4 N={entries}"),
            seed,
            cycles,
            &[&trace],
        );
        // The run must exercise what it claims: hits, misses and every command kind.
        let line = summary(&report, "results");
        let (results, hits) = (num(line, " results"), num(line, " hits"));
        assert!(
            hits > results / 10 && hits < results * 9 / 10,
            "hit mix: {line}"
        );
        for kind in [
            " write", " planes", " commit", " checker", " read", " class", " resets",
        ] {
            assert!(num(line, kind) > 0, "no{kind} in {line}");
        }
        lockstep(entries, slice_bits, flag_bits, &trace, cycles);
        std::fs::remove_file(&trace).ok();
    }
}

/// Replays a testbench trace (layout: `record` in sim/csrc/tcam_v4_tb.cpp) through the model
/// and compares `cmd_ready` before every edge and every output after it.
fn lockstep(entries: u32, slice_bits: u32, flag_bits: u32, trace: &Path, cycles: u64) {
    let words = trace_words(trace, 36, cycles);
    let mut model = RuleStage::new(RuleStageConfig {
        entries: entries as usize,
        slice_bits,
        flag_bits,
        ..RuleStageConfig::default()
    });
    let bits = |w: &[u32]| -> KeyBits { w.try_into().unwrap() };
    let wide = |lo: u32, hi: u32| u64::from(lo) | u64::from(hi) << 32;
    for (n, w) in words.chunks_exact(36).enumerate() {
        let i = RuleStageIn {
            clr: w[0] & 1 != 0,
            in_valid: w[0] >> 1 & 1 != 0,
            src_local: w[0] >> 2 & 1 != 0,
            dst_local: w[0] >> 3 & 1 != 0,
            cmd_valid: w[0] >> 4 & 1 != 0,
            src: w[1],
            dst: w[2],
            proto: w[3] as u8,
            flags: (w[3] >> 8) as u8,
            cmd_op: (w[3] >> 16) as u8,
            cmd_planes: (w[3] >> 24) as u8,
            sport: w[4] as u16,
            dport: (w[4] >> 16) as u16,
            cmd_index: w[5],
            cmd_value: bits(&w[6..11]),
            cmd_mask: bits(&w[11..16]),
            cmd_data: wide(w[16], w[17]),
            cmd_range: wide(w[18], w[19]),
        };
        let rtl = RuleStageOut {
            active: w[20] >> 1 & 1 != 0,
            rd_valid: w[20] >> 2 & 1 != 0,
            rd_planes: (w[20] >> 3 & 3) as u8,
            res_valid: w[20] >> 5 & 1 != 0,
            res_hit: w[20] >> 6 & 1 != 0,
            rd_value: bits(&w[21..26]),
            rd_mask: bits(&w[26..31]),
            rd_data: wide(w[31], w[32]),
            res_index: w[33],
            res_data: wide(w[34], w[35]),
        };
        let edge = n + 1;
        assert_eq!(
            model.cmd_ready(),
            w[20] & 1 != 0,
            "N={entries} edge {edge}: cmd_ready before the edge"
        );
        model.edge(&i);
        assert_eq!(
            model.outputs(),
            rtl,
            "N={entries} edge {edge}: outputs (model left, RTL right), inputs {i:?}"
        );
    }
}

#[test]
fn tcam_v4_n64_random() {
    check(64, 4, 6, &[1, 2, 3], 100_000);
}

#[test]
fn tcam_v4_n256_random() {
    check(256, 4, 6, &[11], 100_000);
}

/// 5-bit slices on 32x2 RAMs (the Xilinx mapping, with 8 TCP flags): 2 entries a row group,
/// 32 rows a WRITE.
#[test]
fn tcam_v4_n64_slice5_random() {
    check(64, 5, 8, &[21], 100_000);
}

/// 4-bit slices with 8 TCP flags: 32 slices, the plane's slice with padding above it.
#[test]
fn tcam_v4_n64_flags8_random() {
    check(64, 4, 8, &[31], 100_000);
}
