//! Lookup throughput of the model on ClassBench 10K rule sets: keys streamed one per cycle
//! through `Model::step`, every result checked against the trace's expected rule.
//!
//! `cargo bench -p gufc-hw-model [-- [SET...] [--no-scan] [--keys=N]]` (data from `tests/data/classbench/`,
//! or `$GUFC_CLASSBENCH`). The scan strategy, the hardware's literal algorithm, is shown for
//! comparison.

use std::time::Instant;

use gufc_hw_model::{Config, Model, TcamStrategy};
use gufc_regmap::word::{Cmd, Planes};
use gufc_regmap::{reg, CycleIn, HitKind, Key, KeyIn, Mmio, Opcode, TcamEntry};

#[path = "../tests/common/classbench.rs"]
mod classbench;
use classbench::{data_dir, read, rules, trace};

fn write(m: &mut Model, addr: u32, data: u32) {
    m.step(&CycleIn {
        mmio: Some(Mmio::Write { addr, data }),
        ..CycleIn::default()
    });
}

fn load(m: &mut Model, entries: &[TcamEntry]) {
    for (i, e) in entries.iter().enumerate() {
        for (addr, data) in e.staging(1) {
            write(m, addr, data);
        }
        let cmd = Cmd::new()
            .with_opcode(Opcode::TcamWrite)
            .with_index(i as u32);
        write(m, reg::CMD, cmd.raw());
    }
}

/// Streams `n` keys (cycling through the trace) one per cycle; returns lookups/s.
fn run(m: &mut Model, keys: &[(Key, u32)], n: usize) -> f64 {
    let mut sent = 0usize;
    let mut got = 0usize;
    let t = Instant::now();
    while got < n {
        let key = (sent < n).then(|| KeyIn {
            key: keys[sent % keys.len()].0,
            len: 64,
            tag: sent as u32,
            tcp_flags: 0,
        });
        let out = m.step(&CycleIn {
            mmio: None,
            key,
            res_ready: true,
            rst: false,
        });
        if out.accepted {
            sent += 1;
        }
        if let Some(r) = out.result {
            let want = keys[r.tag as usize % keys.len()].1;
            assert!(
                r.kind == HitKind::Rule && r.index == want,
                "key {} hit {:?} {}, want {}",
                r.tag,
                r.kind,
                r.index,
                want
            );
            got += 1;
        }
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let dir = data_dir();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let no_scan = args.iter().any(|a| a == "--no-scan");
    let keys_n: usize = args
        .iter()
        .find_map(|a| a.strip_prefix("--keys="))
        .map_or(2_000_000, |n| n.parse().expect("--keys=N"));
    let sets: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    println!(
        "model lookups/s, keys streamed one per cycle through Model::step ({})",
        dir.display()
    );
    // Everything but the TCAM: pipeline, locality and flow cache, on a miss.
    let mut m = Model::new(Config::default()).expect("default config");
    let keys: Vec<(Key, u32)> = (0..1024u32)
        .map(|i| (Key::v4(i, !i, 6, i as u16, 80), 0))
        .collect();
    let t = Instant::now();
    let n = keys_n;
    for i in 0..n {
        m.step(&CycleIn {
            mmio: None,
            key: Some(KeyIn {
                key: keys[i % 1024].0,
                len: 64,
                tag: 0,
                tcp_flags: 0,
            }),
            res_ready: true,
            rst: false,
        });
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "  no rules        (pipeline only): {rate:>10.0} lookups/s  {:>7.1} ns/lookup",
        1e9 / rate
    );
    for set in ["acl1_10K", "fw1_10K", "ipc1_10K"] {
        if !sets.is_empty() && !sets.contains(&set) {
            continue;
        }
        let entries = rules(&read(set));
        let keys = trace(&read(&format!("{set}_trace")));
        // Index build time: with the Index strategy the first lookup after a change builds it.
        let mut m = Model::new(Config::default()).expect("default config");
        m.set_tcam_strategy(TcamStrategy::Index);
        load(&mut m, &entries);
        let t = Instant::now();
        run(&mut m, &keys, 1);
        println!(
            "{set:>9} index build (first lookup after loading): {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
        for (strategy, n) in [(TcamStrategy::Auto, keys_n), (TcamStrategy::Scan, 20_000)] {
            if no_scan && strategy == TcamStrategy::Scan {
                continue;
            }
            let mut m = Model::new(Config::default()).expect("default config");
            m.set_tcam_strategy(strategy);
            load(&mut m, &entries);
            let t = Instant::now();
            run(&mut m, &keys, 1); // first lookup builds the index
            let build = t.elapsed();
            let rate = run(&mut m, &keys, n);
            println!(
                "{set:>9} {:>5} rules  {strategy:?}: {:>10.0} lookups/s  {:>7.1} ns/lookup  ({n} keys, first lookup {:.1} ms)",
                entries.len(),
                rate,
                1e9 / rate,
                build.as_secs_f64() * 1e3
            );
            if strategy == TcamStrategy::Auto {
                for every in [1000, 100] {
                    let rate = run_with_updates(&mut m, &keys, n / 4, every);
                    println!(
                        "{set:>9} {:>5} rules  {strategy:?}, an active entry's planes changed every {every} keys: {:>10.0} lookups/s",
                        entries.len(),
                        rate
                    );
                }
            }
        }
    }
}

/// Streams keys while every `every` cycles the MMIO port moves one active entry out of or back
/// into the active plane (PLANES and TCAM_SET_PLANES ride on cycles that also carry keys).
fn run_with_updates(m: &mut Model, keys: &[(Key, u32)], n: usize, every: usize) -> f64 {
    let t = Instant::now();
    let mut got = 0usize;
    let mut i = 0usize;
    while got < n {
        let mmio = match i % every {
            0 => Some(Mmio::Write {
                addr: reg::PLANES,
                data: Planes::new().with_planes((i / every % 2) as u8).raw(),
            }),
            1 => Some(Mmio::Write {
                addr: reg::CMD,
                data: Cmd::new()
                    .with_opcode(Opcode::TcamSetPlanes)
                    .with_index(((i / every / 2 * 7919) % 9000) as u32)
                    .raw(),
            }),
            _ => None,
        };
        let key = Some(KeyIn {
            key: keys[i % keys.len()].0,
            len: 64,
            tag: i as u32,
            tcp_flags: 0,
        });
        let out = m.step(&CycleIn {
            mmio,
            key,
            res_ready: true,
            rst: false,
        });
        got += out.result.is_some() as usize;
        i += 1;
    }
    n as f64 / t.elapsed().as_secs_f64()
}
