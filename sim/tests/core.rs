//! The RTL 2.0 datapath (`rtl/v2/gufc_core.v`) in lockstep with its Rust model
//! (`gufc_hw_model::v2::core`): `sim/csrc/core_tb.cpp` drives the Verilated core with keys,
//! commands of every block, epoch moves, backpressure and resets and writes every edge's inputs
//! and outputs to a trace; the model replays the inputs and must give `key_ready` and the
//! command readies before each edge and every output bit after it. The blocks' own models are
//! checked against their RTL in tcam_v4.rs, flow_ram.rs and counter_ram.rs; this checks the glue.

mod core_trace;
mod testbench;

use std::path::Path;

use gufc_hw_model::v2::core::{Core, CoreConfig};
use gufc_hw_model::v2::rule_stage::RuleStageConfig;

use core_trace::visible;
use testbench::{num, run, summary};

fn check(entries: u32, buckets: u32, ways: u32, seeds: &[u64], cycles: u64) {
    let exe = core_trace::build(entries, buckets, ways);
    for &seed in seeds {
        let trace = exe.with_file_name(format!("trace-{seed}.bin"));
        let report = run(&exe, "core", seed, cycles, &[&trace]);
        let line = summary(&report, "flow results");
        for kind in [
            " flow results",
            " rule results",
            " misses",
            " interest",
            " stale",
            " delivered",
            " key stalls",
            " rule,",
            " flow,",
            " counter;",
            " resets",
            " probes",
        ] {
            assert!(num(line, kind) > 0, "no{kind} in {line}");
        }
        lockstep(entries, buckets, ways, &trace, cycles);
        std::fs::remove_file(&trace).ok();
    }
}

fn lockstep(entries: u32, buckets: u32, ways: u32, trace: &Path, cycles: u64) {
    let edges = core_trace::read(trace, cycles);
    let mut model = Core::new(CoreConfig {
        rule: RuleStageConfig {
            entries: entries as usize,
            ..RuleStageConfig::default()
        },
        buckets: buckets as usize,
        ways: ways as usize,
        ..CoreConfig::default()
    });
    for (n, e) in edges.iter().enumerate() {
        let (r, f, c) = model.cmd_ready(e.i.cnt_cmd.1, e.i.cnt_cmd.2);
        let got = (model.key_ready(e.i.rst), r, f, c);
        // Before the first edge (a reset) the RTL's state is its random initial one.
        if n > 0 {
            assert_eq!(
                got, e.ready,
                "edge {n}: (key, rule, flow, counter) ready before the edge"
            );
        }
        model.edge(&e.i);
        assert_eq!(
            visible(model.outputs()),
            e.out,
            "edge {n}: outputs (model left, RTL right), inputs {:?}",
            e.i
        );
    }
}

#[test]
fn core_n64_random() {
    check(64, 16, 4, &[1, 2], 200_000);
}

/// 256 entries (rule latency 10: the flow result waits 2 edges) and the default flow cache
/// (1,024 x 4 slots, a 1,024-edge reset sweep).
#[test]
fn core_n256_b1024_random() {
    check(256, 1024, 4, &[3], 200_000);
}
