//! ClassBench conformance: each shared filter set with its trace through `gufc classify`'s
//! path (compiled, programmed by the driver over BAR writes, every header through the device
//! pipeline) must give the trace's expected first-matching rule on every line.

use gufc::cli::classify::classify_trace;
use gufc::cli::rules::FormatArg;
use gufc::cli::BackendKind;
use gufc_conformance::{data, target};

/// Runs one set and returns (lines, mismatches) after checking the expected column exists.
fn check(backend: BackendKind, set: &str, tcam_entries: u32) {
    let rules = data(&format!("classbench/{set}"));
    let trace = data(&format!("classbench/{set}_trace"));
    let got = classify_trace(
        &target(backend, tcam_entries, 1024),
        &rules,
        FormatArg::Classbench,
        false,
        &trace,
    )
    .unwrap_or_else(|e| panic!("{set}: {e}"));
    let expected: Vec<u32> = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split_whitespace()
                .nth(5)
                .expect("expected-rule column")
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(
        got.matches.len(),
        expected.len(),
        "{set}: one result per trace line"
    );
    let bad: Vec<usize> = (0..expected.len())
        .filter(|&i| got.matches[i] != expected[i])
        .collect();
    assert!(
        bad.is_empty(),
        "{set} on {backend:?}: {} mismatches of {}; first at trace line {}: got rule {}, expected {}",
        bad.len(),
        expected.len(),
        bad[0] + 1,
        got.matches[bad[0]],
        expected[bad[0]]
    );
    // One lookup per cycle: the stream takes its packets plus the pipeline latency.
    assert_eq!(
        got.stream.cycles,
        got.stream.keys + gufc_regmap::device::LATENCY as u64,
        "{set}: throughput"
    );
    assert_eq!(
        got.tcam_entries, got.rules,
        "{set}: one TCAM entry per rule"
    );
}

#[test]
fn acl1_1k_model() {
    check(BackendKind::Model, "acl1_1K", 1024);
}
#[test]
fn fw1_1k_model() {
    check(BackendKind::Model, "fw1_1K", 1024);
}
#[test]
fn ipc1_1k_model() {
    check(BackendKind::Model, "ipc1_1K", 1024);
}
#[test]
fn acl1_10k_model() {
    check(BackendKind::Model, "acl1_10K", 16384);
}
#[test]
fn fw1_10k_model() {
    check(BackendKind::Model, "fw1_10K", 16384);
}
#[test]
fn ipc1_10k_model() {
    check(BackendKind::Model, "ipc1_10K", 16384);
}

#[test]
fn too_small_a_tcam_is_a_clear_error() {
    let e = classify_trace(
        &target(BackendKind::Model, 500, 1024),
        &data("classbench/acl1_1K"),
        FormatArg::Classbench,
        false,
        &data("classbench/acl1_1K_trace"),
    )
    .err()
    .expect("917 rules do not fit in 500 entries")
    .to_string();
    assert!(
        e.contains("need 917 TCAM entries, the device has 500"),
        "{e}"
    );
}

#[cfg(feature = "rtl")]
#[test]
fn acl1_1k_rtl() {
    check(BackendKind::Rtl, "acl1_1K", 2048);
}
