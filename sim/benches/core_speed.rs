//! Simulation speed of the RTL 2.0 datapath at N=1,024 (1,024 × 4 flow slots, 16 channels): the
//! Verilated `gufc_core` under its testbench's stimulus beside its Rust model
//! (`gufc_hw_model::v2::core`) replaying the same inputs (`cargo bench -p gufc-sim --bench
//! core_speed`). The RTL figure includes the testbench's stimulus and trace writing; the model's is
//! the replay alone (the trace read beforehand), checked edge for edge as in tests/core.rs.
//! `GUFC_BENCH_CYCLES` (default 200000) cycles.

#[path = "../tests/core_trace/mod.rs"]
mod core_trace;
// Shared with the tests; the bench uses only `verilate` and `trace_words` from it.
#[allow(dead_code)]
#[path = "../tests/testbench/mod.rs"]
mod testbench;

use std::process::Command;
use std::time::Instant;

use gufc_hw_model::v2::core::{Core, CoreConfig};

fn main() {
    let cycles: u64 = std::env::var("GUFC_BENCH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let exe = core_trace::build(1024, 1024, 4);
    let trace = exe.with_file_name("bench-trace.bin");
    let t = Instant::now();
    let st = Command::new(&exe)
        .args(["7", &cycles.to_string()])
        .arg(&trace)
        .status()
        .expect("the core testbench");
    let rtl_s = t.elapsed().as_secs_f64();
    assert!(st.success(), "the core testbench failed");
    let edges = core_trace::read(&trace, cycles);
    let mut model = Core::new(CoreConfig::default());
    let t = Instant::now();
    for (n, e) in edges.iter().enumerate() {
        let (r, f, c) = model.cmd_ready(e.i.cnt_cmd.1, e.i.cnt_cmd.2);
        let ready = (model.key_ready(e.i.rst), r, f, c);
        assert!(n == 0 || ready == e.ready, "edge {n}: readies differ");
        model.edge(&e.i);
        assert_eq!(
            core_trace::visible(model.outputs()),
            e.out,
            "edge {n}: outputs (model left, RTL right)"
        );
    }
    let model_s = t.elapsed().as_secs_f64();
    std::fs::remove_file(&trace).ok();
    println!(
        "gufc_core N=1024, 4096 flow slots, {cycles} cycles: Verilated RTL (with testbench) {:.0} cycles/s, model {:.0} cycles/s",
        cycles as f64 / rtl_s,
        cycles as f64 / model_s
    );
}
