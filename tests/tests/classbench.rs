//! ClassBench conformance: each shared filter set with its trace through `gufc classify`'s
//! path (compiled, programmed by the driver over BAR writes, every header through the device
//! pipeline) must give the trace's expected first-matching rule on every line.

use gufc::backend::SimKind;
use gufc::classify::{classify_trace, Classified};
use gufc::rules::{load_file, Format};
use gufc_conformance::{data, open};

/// Where a case runs: a simulation in-process, or the model served over vfio-user.
#[derive(Clone, Copy, Debug)]
enum On {
    Sim(SimKind),
    #[cfg(target_os = "linux")]
    VfioUser,
}

/// `set` with its trace through a fresh device with `tcam_entries` entries.
fn classify(on: On, set: &str, tcam_entries: u32) -> Result<Classified, String> {
    let rules = load_file(
        &data(&format!("classbench/{set}")),
        Some(Format::ClassBench),
        false,
    )
    .map_err(|e| e.to_string())?;
    let trace = data(&format!("classbench/{set}_trace"));
    let mut dev = match on {
        On::Sim(kind) => open(kind, tcam_entries, 1024),
        #[cfg(target_os = "linux")]
        On::VfioUser => gufc_conformance::open_served(tcam_entries, 1024),
    };
    classify_trace(&mut dev, &rules, &trace).map_err(|e| e.to_string())
}

/// Runs one set and returns (lines, mismatches) after checking the expected column exists.
fn check(backend: On, set: &str, tcam_entries: u32) {
    let trace = data(&format!("classbench/{set}_trace"));
    let got = classify(backend, set, tcam_entries).unwrap_or_else(|e| panic!("{set}: {e}"));
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
    check(On::Sim(SimKind::Model), "acl1_1K", 1024);
}
#[test]
fn fw1_1k_model() {
    check(On::Sim(SimKind::Model), "fw1_1K", 1024);
}
#[test]
fn ipc1_1k_model() {
    check(On::Sim(SimKind::Model), "ipc1_1K", 1024);
}
#[cfg(target_os = "linux")]
#[test]
fn acl1_1k_vfio_user() {
    check(On::VfioUser, "acl1_1K", 1024);
}
#[test]
fn acl1_10k_model() {
    check(On::Sim(SimKind::Model), "acl1_10K", 16384);
}
#[test]
fn fw1_10k_model() {
    check(On::Sim(SimKind::Model), "fw1_10K", 16384);
}
#[test]
fn ipc1_10k_model() {
    check(On::Sim(SimKind::Model), "ipc1_10K", 16384);
}

#[test]
fn too_small_a_tcam_is_a_clear_error() {
    let Err(e) = classify(On::Sim(SimKind::Model), "acl1_1K", 500) else {
        panic!("917 rules do not fit in 500 entries");
    };
    assert!(
        e.contains("need 917 TCAM entries, the device has 500"),
        "{e}"
    );
}

#[cfg(feature = "rtl")]
#[test]
fn acl1_1k_rtl() {
    check(On::Sim(SimKind::Rtl), "acl1_1K", 2048);
}
