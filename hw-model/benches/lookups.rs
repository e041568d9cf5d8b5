//! Lookup throughput of the model on ClassBench 10K rule sets: keys streamed one per cycle
//! through `Model::step`, every result checked against the trace's expected rule.
//!
//! `cargo bench -p gufc-hw-model [-- SET...] [-- --no-scan]` (data from `tests/data/classbench/`,
//! or `$GUFC_CLASSBENCH`). The scan strategy, the hardware's literal algorithm, is shown for
//! comparison.

use std::path::PathBuf;
use std::time::Instant;

use gufc_hw_model::{Config, Model, TcamStrategy};
use gufc_regmap::{field, key, meta, opcode, reg, Action, CycleIn, HitKind, Key, KeyIn, Mmio, TcamEntry};

fn data_dir() -> PathBuf {
    std::env::var_os("GUFC_CLASSBENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/classbench")))
}

fn prefix(s: &str) -> (u32, u32) {
    let (a, l) = s.trim_start_matches('@').split_once('/').expect("a.b.c.d/len");
    let a: std::net::Ipv4Addr = a.parse().expect("IPv4 address");
    let l: u32 = l.parse().expect("prefix length");
    (u32::from(a), if l == 0 { 0 } else { u32::MAX << (32 - l) })
}

fn hex(s: &str) -> u32 {
    u32::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16).expect("hex")
}

/// One TCAM entry per ClassBench rule; all priorities equal, so file order decides (lowest index).
fn rules(text: &str) -> Vec<TcamEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            let (s, sm) = prefix(t[0]);
            let (d, dm) = prefix(t[1]);
            let (pv, pm) = t[8].split_once('/').map(|(v, m)| (hex(v), hex(m))).expect("proto");
            let mut e = TcamEntry::match_all(0, Action::Deliver { channel: 0 });
            e.value[key::SRC0] = s & sm;
            e.mask[key::SRC0] = sm;
            e.value[key::DST0] = d & dm;
            e.mask[key::DST0] = dm;
            for w in [key::SRC1, key::SRC2, key::SRC3, key::DST1, key::DST2, key::DST3] {
                e.mask[w] = u32::MAX;
            }
            e.mask[key::META] = meta::IPV6.mask() | meta::PROTO.put(pm);
            e.value[key::META] = meta::PROTO.put(pv & pm);
            e.sport = (t[2].parse().unwrap(), t[4].parse().unwrap());
            e.dport = (t[5].parse().unwrap(), t[7].parse().unwrap());
            e
        })
        .collect()
}

fn trace(text: &str) -> Vec<(Key, u32)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let n: Vec<u64> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (Key::v4(n[0] as u32, n[1] as u32, n[4] as u8, n[2] as u16, n[3] as u16), n[5] as u32 - 1)
        })
        .collect()
}

fn write(m: &mut Model, addr: u32, data: u32) {
    m.step(&CycleIn { mmio: Some(Mmio::Write { addr, data }), ..CycleIn::default() });
}

fn load(m: &mut Model, entries: &[TcamEntry]) {
    for (i, e) in entries.iter().enumerate() {
        for w in 0..10 {
            write(m, reg::KEY + 4 * w as u32, e.value[w]);
            write(m, reg::MASK + 4 * w as u32, e.mask[w]);
        }
        write(m, reg::SPORT_RANGE, e.sport.0 as u32 | (e.sport.1 as u32) << 16);
        write(m, reg::DPORT_RANGE, e.dport.0 as u32 | (e.dport.1 as u32) << 16);
        write(m, reg::PRIO, e.prio as u32);
        write(m, reg::ACTION, e.action.encode());
        write(m, reg::PLANES, 1);
        write(m, reg::CMD, field::CMD_OPCODE.put(opcode::TCAM_WRITE as u32) | i as u32);
    }
}

/// Streams `n` keys (cycling through the trace) one per cycle; returns lookups/s.
fn run(m: &mut Model, keys: &[(Key, u32)], n: usize) -> f64 {
    let mut sent = 0usize;
    let mut got = 0usize;
    let t = Instant::now();
    while got < n {
        let key = (sent < n).then(|| KeyIn { key: keys[sent % keys.len()].0, len: 64, tag: sent as u32 });
        let out = m.step(&CycleIn { mmio: None, key, res_ready: true });
        if out.accepted {
            sent += 1;
        }
        if let Some(r) = out.result {
            let want = keys[r.tag as usize % keys.len()].1;
            assert!(r.kind == HitKind::Rule && r.index == want, "key {} hit {:?} {}, want {}", r.tag, r.kind, r.index, want);
            got += 1;
        }
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let dir = data_dir();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let no_scan = args.iter().any(|a| a == "--no-scan");
    let sets: Vec<&str> = args.iter().filter(|a| !a.starts_with("--")).map(String::as_str).collect();
    println!("model lookups/s, keys streamed one per cycle through Model::step ({})", dir.display());
    for set in ["acl1_10K", "fw1_10K", "ipc1_10K"] {
        if !sets.is_empty() && !sets.contains(&set) {
            continue;
        }
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
        };
        let entries = rules(&read(set));
        let keys = trace(&read(&format!("{set}_trace")));
        for (strategy, n) in [(TcamStrategy::Auto, 2_000_000), (TcamStrategy::Scan, 20_000)] {
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
        }
    }
}
