//! Simulation speed: the Verilated RTL beside the Rust model on the same stimulus
//! (`cargo bench -p gufc-sim --bench rtl_vs_model`). 1.x at TCAM depths 256 and 1024: each
//! device is filled (every TCAM entry, a quarter of the flow cache), then offered one key per
//! cycle. 2.0 (`v2_n256`, `v2_n1024` against `gufc_hw_model::v2::top::Top`): filled through the
//! 2.0 command path (`stimulus_v2::bench_program_v2`: checkers, classes, every TCAM entry, a
//! quarter of the flow slots, each command polled until BUSY is 0), then one key per cycle.
//! Only the traffic cycles are timed. Prints cycles per second, best of `GUFC_BENCH_RUNS`
//! (default 3) runs of `GUFC_BENCH_CYCLES` (default 200000) cycles.

use std::time::Instant;

use gufc_hw_model::v2::top::{Top, TopConfig};
use gufc_regmap::{CycleIn, CycleOut, HitKind};
use gufc_sim::stimulus_v2::bench_program_v2;
use gufc_sim::{describe, stimulus::bench_program, Config, Design, Rtl};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// What the traffic of the last run produced: results of each kind (rule, flow, miss) and a
/// checksum over every result's kind, index and action, so two devices can be compared.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    kinds: [u64; 3],
    sum: u64,
}

/// Best cycles/s of `runs` runs; each run builds a device, runs the setup, then times traffic.
fn measure<D>(
    runs: usize,
    program: &[CycleIn],
    setup: usize,
    mut make: impl FnMut() -> D,
    step: impl Fn(&mut D, &CycleIn) -> CycleOut,
) -> (f64, Outcome) {
    let mut best = 0f64;
    let mut outcome = Outcome::default();
    for _ in 0..runs {
        let mut d = make();
        for i in &program[..setup] {
            step(&mut d, i);
        }
        outcome = Outcome::default();
        let t = Instant::now();
        for i in &program[setup..] {
            if let Some(r) = step(&mut d, i).result {
                outcome.kinds[r.kind.bits() as usize] += 1;
                outcome.sum = outcome
                    .sum
                    .wrapping_mul(31)
                    .wrapping_add(u64::from(r.index) << 32 | u64::from(r.action.encode().raw()));
            }
        }
        let rate = (program.len() - setup) as f64 / t.elapsed().as_secs_f64();
        best = best.max(rate);
    }
    (best, outcome)
}

fn row(label: &str, cfg: &Config, rtl: (f64, Outcome), model: (f64, Outcome)) {
    assert_eq!(
        rtl.1,
        model.1,
        "{label} {}: the two devices disagree on the benchmark traffic",
        describe(cfg)
    );
    println!(
        "{:<4} {:<38} {:>14.0} {:>14.0} {:>9.1}x",
        label,
        describe(cfg),
        rtl.0,
        model.0,
        model.0 / rtl.0
    );
}

fn main() {
    let cycles = env("GUFC_BENCH_CYCLES", 200_000);
    let runs = env("GUFC_BENCH_RUNS", 3);
    println!(
        "{:<4} {:<38} {:>14} {:>14} {:>10}",
        "rtl", "configuration", "RTL cycles/s", "model cycles/s", "model/RTL"
    );
    for n in [256, 1024] {
        let Some(cfg) = Rtl::built(Design::V1)
            .into_iter()
            .find(|c| c.tcam_entries == n)
        else {
            eprintln!("no 1.x N={n} RTL in this build (GUFC_RTL_CONFIGS?)");
            std::process::exit(1);
        };
        let program = bench_program(&cfg, 2024, cycles);
        let setup = program.len() - cycles;
        let rtl = measure(
            runs,
            &program,
            setup,
            || Rtl::new(cfg.clone()).unwrap(),
            |d, i| d.step(i),
        );
        let model = measure(
            runs,
            &program,
            setup,
            || gufc_hw_model::Model::new(cfg.clone()).unwrap(),
            |d, i| d.step(i),
        );
        row("1.x", &cfg, rtl, model);
    }
    for n in [256, 1024] {
        let Some(cfg) = Rtl::built(Design::V2)
            .into_iter()
            .find(|c| c.tcam_entries == n)
        else {
            eprintln!("no 2.0 N={n} RTL in this build (GUFC_RTL_CONFIGS?)");
            std::process::exit(1);
        };
        let (program, setup) = bench_program_v2(&cfg, 2024, cycles);
        let rtl = measure(
            runs,
            &program,
            setup,
            || Rtl::of(Design::V2, cfg.clone()).unwrap(),
            |d, i| d.step(i),
        );
        let model = measure(
            runs,
            &program,
            setup,
            || Top::new(TopConfig::sized(&cfg)),
            |d, i| d.step(i),
        );
        // The fill took: rules and flows decide part of the traffic.
        let k = &rtl.1.kinds;
        assert!(
            k[HitKind::Rule.bits() as usize] > 0 && k[HitKind::Flow.bits() as usize] > 0,
            "2.0 {}: the traffic hit no rule or no flow: {:?}",
            describe(&cfg),
            rtl.1
        );
        row("2.0", &cfg, rtl, model);
    }
}
