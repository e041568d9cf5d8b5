//! The model's fast paths against the model stepped cycle by cycle, on the lockstep's seeded
//! random programs (register traffic, TCAM and flow writes, commits, probes, resets, stalls)
//! with idle runs added: bursts (`Model::step_keys`), idle skipping (`Model::idle`) and lookup
//! threads must give the same outputs on every cycle and leave the same state, read back at the
//! end through every register, every counter of every space and every flow slot.
//! No RTL is needed. Replay one seed: `GUFC_SEED=<seed> cargo test --release -p gufc-sim --test
//! model_fast`.

mod common;

use common::lockstep::{cycles, seeds};
use gufc_hw_model::Model;
use gufc_regmap::word::Cmd;
use gufc_regmap::{device, reg, CounterSpace, CycleIn, CycleOut, KeyIn, Mmio, Opcode};
use gufc_sim::stimulus::Stimulus;
use gufc_sim::Config;

/// A cycle a burst may run: key offered, `res_ready` high, no register access, no reset.
fn burst_cycle(i: &CycleIn) -> bool {
    i.key.is_some() && i.mmio.is_none() && !i.rst && i.res_ready
}

/// A cycle the idle fast-forward may run.
fn idle_cycle(i: &CycleIn) -> bool {
    i.key.is_none() && i.mmio.is_none() && !i.rst && i.res_ready
}

fn step(m: &mut Model, mmio: Mmio) -> u32 {
    m.step(&CycleIn {
        mmio: Some(mmio),
        ..CycleIn::default()
    })
    .rdata
}

/// Everything software can read back: every register offset, every counter, every flow slot.
fn state(m: &mut Model, cfg: &Config) -> Vec<u32> {
    let mut v = Vec::new();
    for addr in (0..device::BAR0_SIZE).step_by(4) {
        v.push(step(m, Mmio::Read { addr }));
    }
    let spaces = [
        (CounterSpace::Tcam, cfg.tcam_entries),
        (CounterSpace::Flow, cfg.flow_entries()),
        (CounterSpace::Channel, cfg.channels),
        (CounterSpace::Global, 8),
    ];
    let write = |m: &mut Model, addr, data| step(m, Mmio::Write { addr, data });
    for (space, n) in spaces {
        write(m, reg::CMD_ARG, space.into());
        for i in 0..n {
            let cmd = Cmd::new().with_opcode(Opcode::CntRead).with_index(i);
            write(m, reg::CMD, cmd.raw());
            for a in [
                reg::CNT_PKTS_LO,
                reg::CNT_PKTS_HI,
                reg::CNT_BYTES_LO,
                reg::CNT_BYTES_HI,
            ] {
                v.push(step(m, Mmio::Read { addr: a }));
            }
        }
    }
    for i in 0..cfg.flow_entries() {
        let cmd = Cmd::new().with_opcode(Opcode::FlowRead).with_index(i);
        write(m, reg::CMD, cmd.raw());
        for addr in [reg::FLOW_STATE, reg::FLOW_LAST_HIT, reg::FLOW_INTEREST] {
            v.push(step(m, Mmio::Read { addr }));
        }
    }
    v
}

/// Runs `seed`'s program on a stepped model and a fast one with `threads` lookup threads.
fn compare(cfg: &Config, seed: u64, n: u64, threads: usize) -> (u64, u64) {
    let mut slow = Model::new(cfg.clone()).unwrap();
    slow.set_fast_path(false);
    let mut fast = Model::new(cfg.clone()).unwrap();
    fast.set_fast_path(true);
    fast.set_lookup_threads(threads);
    fast.set_min_keys_per_thread(4);
    let mut stim = Stimulus::new(cfg, seed);
    let mut inputs: Vec<CycleIn> = Vec::with_capacity(n as usize);
    let mut gap = 0u64;
    while (inputs.len() as u64) < n {
        inputs.push(stim.next_cycle());
        // Every so often, a run of idle cycles (long enough to drain and then skip).
        gap += 1;
        if gap == 997 {
            gap = 0;
            let idle = CycleIn {
                res_ready: true,
                ..CycleIn::default()
            };
            inputs.extend(std::iter::repeat_n(idle, (seed as usize % 7) * 40 + 3));
        }
    }
    let (mut bursts, mut skipped) = (0u64, 0u64);
    let mut at = 0;
    let where_ = |at: usize| format!("seed {seed} threads {threads} at input {at}");
    while at < inputs.len() {
        let run = |pred: fn(&CycleIn) -> bool| inputs[at..].iter().take_while(|i| pred(i)).count();
        let (keys, idles) = (run(burst_cycle), run(idle_cycle));
        if keys > 1 {
            let want: Vec<CycleOut> = inputs[at..at + keys].iter().map(|i| slow.step(i)).collect();
            let ks: Vec<KeyIn> = inputs[at..at + keys].iter().filter_map(|i| i.key).collect();
            let mut got = Vec::new();
            let mut done = 0;
            while done < ks.len() {
                done += fast.step_keys(&ks[done..], &mut |o| got.push(*o));
            }
            if let Some(c) = (0..keys).find(|&c| got.get(c) != want.get(c)) {
                panic!(
                    "{}: burst of {keys}, cycle {c} of it: fast {:?}, stepped {:?}",
                    where_(at),
                    got.get(c),
                    want.get(c)
                );
            }
            bursts += 1;
            at += keys;
        } else if idles > 1 {
            let want: Vec<_> = inputs[at..at + idles]
                .iter()
                .filter_map(|i| slow.step(i).result)
                .collect();
            let mut got = Vec::new();
            fast.idle(idles as u64, &mut |r| got.push(*r));
            assert_eq!(got, want, "{}: idle run of {idles}", where_(at));
            skipped += 1;
            at += idles;
        } else {
            let (a, b) = (slow.step(&inputs[at]), fast.step(&inputs[at]));
            assert_eq!(b, a, "{}: {:?}", where_(at), inputs[at]);
            at += 1;
        }
        assert_eq!(fast.cycle(), slow.cycle(), "{}: cycle()", where_(at));
    }
    assert_eq!(
        state(&mut fast, cfg),
        state(&mut slow, cfg),
        "seed {seed}: final state"
    );
    (bursts, skipped)
}

fn random(config: &str, default_seeds: &[u64], default_cycles: u64) {
    let cfg = common::named(config);
    for seed in seeds(default_seeds) {
        for threads in [1, 3] {
            let (bursts, skipped) = compare(&cfg, seed, cycles(default_cycles), threads);
            assert!(
                bursts > 0 && skipped > 0,
                "seed {seed}: {bursts} bursts, {skipped} idle runs: the fast paths went unchecked"
            );
        }
    }
}

#[test]
fn fast_paths_tiny() {
    random("tiny", &[1, 2, 3], 60_000);
}

#[test]
fn fast_paths_n256() {
    random("n256", &[21], 60_000);
}

#[test]
fn fast_paths_n2048() {
    random("n2048", &[41], 60_000);
}
