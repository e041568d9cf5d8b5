//! Random lockstep co-simulation of the Verilated RTL against the model (see common/lockstep.rs).
//! Replay one seed: `GUFC_SEED=<seed> cargo test --release -p gufc-sim --test lockstep`.

mod common;

use common::lockstep::{cycles, run, seeds, Coverage, Random};
use gufc_sim::describe;

fn random(config: &str, default_seeds: &[u64], default_cycles: u64) {
    let cfg = common::required(config);
    let name = describe(&cfg);
    let mut total = Coverage::default();
    for seed in seeds(default_seeds) {
        let cov = run(
            cfg.clone(),
            &Random {
                config: cfg.clone(),
                seed,
                cycles: cycles(default_cycles),
            },
        );
        assert!(
            cov.results > 0 && cov.reads > 0 && cov.writes > 0,
            "seed {seed} exercised nothing: {cov:?}"
        );
        // The rst pin and reserved META bits on the key port, or the run says nothing on them.
        assert!(
            cov.resets > 0 && cov.meta_noise > 0,
            "seed {seed}: no rst pulse or no reserved META bits on the key port: {cov:?}"
        );
        // Key runs reached the model as bursts, or its fast path went unchecked.
        assert!(cov.bursts > 0, "seed {seed}: no key bursts: {cov:?}");
        eprintln!("[{name}] seed {seed}: {cov:?}");
        total.add(&cov);
    }
    // The flow-entry interest (slow-path reasons INTEREST_ALL/CTRL/SAMPLE) must have decided
    // packets, or the lockstep says nothing about it.
    assert!(
        total.interest.iter().all(|&n| n > 0),
        "[{name}] interest reasons not all exercised: {:?}",
        total.interest
    );
    eprintln!(
        "[{name}] {} cycles co-simulated, 0 mismatches",
        total.cycles
    );
}

#[test]
fn random_tiny() {
    random("tiny", &[1, 2, 3, 4, 5], 100_000);
}

#[test]
fn random_n64() {
    random("n64", &[11, 12, 13], 100_000);
}

#[test]
fn random_n256() {
    random("n256", &[21, 22], 100_000);
}

#[test]
fn random_n1024() {
    random("n1024", &[31], 60_000);
}

/// Eight ways and the largest TCAM (the ClassBench configuration).
#[test]
fn random_n2048() {
    random("n2048", &[41, 42], 100_000);
}
