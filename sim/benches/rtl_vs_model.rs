//! Simulation speed: the Verilated RTL beside the Rust model on the same stimulus, at TCAM depths
//! 256 and 1024 (`cargo bench -p gufc-sim`). Each device is filled (every TCAM entry, a quarter
//! of the flow cache), then offered one key per cycle; only the traffic cycles are timed.
//! Prints cycles per second, best of `GUFC_BENCH_RUNS` (default 3) runs of `GUFC_BENCH_CYCLES`
//! (default 200000) cycles.

use std::time::Instant;

use gufc_regmap::{CycleIn, CycleOut};
use gufc_sim::{describe, stimulus::bench_program, Rtl};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Best cycles/s of `runs` runs; each run builds a device, runs the setup, then times traffic.
/// Also returns how many results left the device in the last run.
fn measure<D>(
    runs: usize,
    program: &[CycleIn],
    setup: usize,
    mut make: impl FnMut() -> D,
    step: impl Fn(&mut D, &CycleIn) -> CycleOut,
) -> (f64, u64) {
    let mut best = 0f64;
    let mut results = 0;
    for _ in 0..runs {
        let mut d = make();
        for i in &program[..setup] {
            step(&mut d, i);
        }
        results = 0;
        let t = Instant::now();
        for i in &program[setup..] {
            results += step(&mut d, i).result.is_some() as u64;
        }
        let rate = (program.len() - setup) as f64 / t.elapsed().as_secs_f64();
        best = best.max(rate);
    }
    (best, results)
}

fn main() {
    let cycles = env("GUFC_BENCH_CYCLES", 200_000);
    let runs = env("GUFC_BENCH_RUNS", 3);
    println!(
        "{:<38} {:>14} {:>14} {:>10}",
        "configuration", "RTL cycles/s", "model cycles/s", "model/RTL"
    );
    for n in [256, 1024] {
        let Some(cfg) = Rtl::available().into_iter().find(|c| c.tcam_entries == n) else {
            eprintln!("no N={n} RTL in this build (GUFC_RTL_CONFIGS?)");
            std::process::exit(1);
        };
        let program = bench_program(&cfg, 2024, cycles);
        let setup = program.len() - cycles;
        let (rtl_rate, rtl_results) = measure(
            runs,
            &program,
            setup,
            || Rtl::new(cfg.clone()).unwrap(),
            |d, i| d.step(i),
        );
        let (model_rate, model_results) = measure(
            runs,
            &program,
            setup,
            || gufc_hw_model::Model::new(cfg.clone()).unwrap(),
            |d, i| d.step(i),
        );
        assert_eq!(
            rtl_results, model_results,
            "the two devices disagree on the benchmark traffic"
        );
        println!(
            "{:<38} {:>14.0} {:>14.0} {:>9.1}x",
            describe(&cfg),
            rtl_rate,
            model_rate,
            model_rate / rtl_rate
        );
    }
}
