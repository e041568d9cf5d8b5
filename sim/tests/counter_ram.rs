//! The RTL 2.0 counters (`rtl/v2/gufc_counter_ram.v`, not yet part of `gufc_top`) against the
//! reference in `sim/csrc/counter_ram_tb.cpp`: an increment on most clocks, mostly on a hot set
//! (back-to-back increments of one counter), host reads and clears (also of the counter being
//! incremented at that edge, and pending ones) and resets, every output compared on every edge.

mod testbench;

use std::path::PathBuf;

use testbench::{num, run, summary, verilate};

/// Verilates the counters at `depth` with the testbench and returns the executable.
fn build(depth: u32) -> PathBuf {
    verilate(
        &format!("counter_ram_d{depth}"),
        "gufc_counter_ram",
        &[
            "rtl/v2/gufc_counter_ram.v".into(),
            "rtl/v2/gufc_bram.v".into(),
        ],
        &[format!("DEPTH={depth}")],
        &format!("-DNDEPTH={depth}"),
        "counter_ram_tb",
    )
}

fn check(depth: u32, seeds: &[u64], cycles: u64) {
    let exe = build(depth);
    for &seed in seeds {
        let report = run(
            &exe,
            &format!("counter_ram DEPTH={depth}"),
            seed,
            cycles,
            &[],
        );
        let line = summary(&report, "increments");
        assert!(num(line, " increments") > cycles * 8 / 10, "{line}");
        for kind in [
            " back-to-back",
            " read",
            " clear",
            " same-edge",
            " pending",
            " resets",
        ] {
            assert!(num(line, kind) > 0, "no{kind} in {line}");
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
