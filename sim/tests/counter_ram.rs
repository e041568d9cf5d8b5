//! The RTL 2.0 counters (`rtl/v2/gufc_counter_ram.v`, not yet part of `gufc_top`) against the
//! reference in `sim/csrc/counter_ram_tb.cpp`: an increment on most clocks (on every clock in
//! stretches), mostly on a hot set (back-to-back increments of one counter), host READs (also of
//! cleared counters), CLEARs (of the counter being incremented at that edge or 1 .. 4 edges
//! before, and of others under full load), ADDs (of the counter being incremented at that edge
//! or just before, and pending ones) and resets, every output compared on every edge. Each run
//! also writes every edge's inputs and outputs to a trace, and the Rust model of the block
//! (`gufc_hw_model::v2::counter_ram`) replays the inputs and must produce every output bit on
//! the same edge; the replay also checks on its own that every CLEAR offered while no READ holds
//! the port is taken at that edge.

mod testbench;

use std::path::{Path, PathBuf};

use gufc_hw_model::v2::counter_ram::{op, Count, CounterIn, CounterOut, CounterRam};

use testbench::{num, run, summary, trace_words, verilate};

/// Verilates the counters at `depth` with the testbench and returns the executable.
fn build(depth: u32) -> PathBuf {
    verilate(
        &format!("counter_ram_d{depth}"),
        "gufc_counter_ram",
        &[
            "rtl/v2/gufc_counter_ram.v".into(),
            "rtl/v2/gufc_bram.v".into(),
            "rtl/v2/gufc_bitram.v".into(),
        ],
        &[format!("DEPTH={depth}")],
        &format!("-DNDEPTH={depth}"),
        "counter_ram_tb",
    )
}

fn check(depth: u32, seeds: &[u64], cycles: u64) {
    let exe = build(depth);
    for &seed in seeds {
        let trace = exe.with_file_name(format!("trace-{seed}.bin"));
        let report = run(
            &exe,
            &format!("counter_ram DEPTH={depth}"),
            seed,
            cycles,
            &[&trace],
        );
        let line = summary(&report, "increments");
        assert!(num(line, " increments") > cycles * 8 / 10, "{line}");
        for kind in [
            " back-to-back",
            " read",
            " stale",
            " clear",
            " same-edge",
            " under-load",
            " d1",
            " d2",
            " d3",
            " d4",
            " add",
            " near",
            " pending",
            " dropped",
            " resets",
        ] {
            assert!(num(line, kind) > 0, "no{kind} in {line}");
        }
        lockstep(depth, &trace, cycles);
        std::fs::remove_file(&trace).ok();
    }
}

/// Replays a testbench trace (layout: `record` in sim/csrc/counter_ram_tb.cpp) through the model
/// and compares `cmd_ready` before every edge and every output after it. Independently of the
/// model: a CLEAR offered at an edge with no READ taken at the 4 edges before is taken.
fn lockstep(depth: u32, trace: &Path, cycles: u64) {
    let words = trace_words(trace, 17, cycles);
    let mut model = CounterRam::new(depth as usize, 16);
    let wide = |lo: u32, hi: u32| u64::from(lo) | u64::from(hi) << 32;
    let mut last_read: Option<usize> = None;
    for (n, w) in words.chunks_exact(17).enumerate() {
        let bit = |b: u32| w[0] >> b & 1 != 0;
        let i = CounterIn {
            clr: bit(0),
            inc_en: bit(1),
            cmd_valid: bit(2),
            cmd_op: u8::from(bit(3)) | u8::from(bit(7)) << 1,
            inc_index: w[1],
            inc_len: w[2],
            cmd_index: w[3],
            cmd_value: Count {
                pkts: wide(w[13], w[14]),
                bytes: wide(w[15], w[16]),
            },
        };
        let rtl = CounterOut {
            rd_valid: bit(5),
            rd: Count {
                pkts: wide(w[4], w[5]),
                bytes: wide(w[6], w[7]),
            },
            cnt_valid: bit(6),
            cnt_index: w[8],
            cnt: Count {
                pkts: wide(w[9], w[10]),
                bytes: wide(w[11], w[12]),
            },
        };
        let edge = n + 1;
        let ready = bit(4);
        let held = last_read.is_some_and(|r| edge - r <= 4);
        if i.cmd_valid && i.cmd_op == op::CLEAR && !held && !i.clr {
            assert!(
                ready,
                "DEPTH={depth} edge {edge}: a CLEAR not taken at its edge"
            );
        }
        if i.clr {
            last_read = None;
        } else if i.cmd_valid && i.cmd_op == op::READ && ready {
            last_read = Some(edge);
        }
        assert_eq!(
            model.cmd_ready(i.cmd_op),
            ready,
            "DEPTH={depth} edge {edge}: cmd_ready before the edge"
        );
        model.edge(&i);
        assert_eq!(
            model.outputs(),
            rtl,
            "DEPTH={depth} edge {edge}: outputs (model left, RTL right), inputs {i:?}"
        );
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
