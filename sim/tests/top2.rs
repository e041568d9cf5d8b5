//! RTL 2.0 device (`rtl/v2/gufc_top.v`) in lockstep with its model (`gufc_hw_model::v2::top`):
//! the same inputs every cycle, every `CycleOut` field and every `res_*` port bit compared on
//! every edge. Random stimulus (`gufc_sim::stimulus_v2`) and directed cases.
//! Replay one seed: `GUFC_SEED=<seed> cargo test --release -p gufc-sim --test top2`.

mod common;

use std::collections::VecDeque;
use std::path::PathBuf;

use common::lockstep::{cycles, diff, diff_ports, seeds};
use common::Dut;
use gufc_hw_model::v2::top::{Top, TopConfig};
use gufc_regmap::{reg, CycleIn, CycleOut, HitKind, Key, KeyIn, Mmio, Opcode};
use gufc_sim::stimulus_v2::StimulusV2;
use gufc_sim::{describe, Config, Design, Rtl};

/// The 2.0 configurations sim/build.rs Verilates (`v2_small`, `v2_n256`, `v2_n1024`).
fn named(name: &str) -> Config {
    let (n, b, w, c, l) = match name {
        "v2_small" => (64, 16, 2, 8, 4),
        "v2_n256" => (256, 64, 4, 16, 8),
        "v2_n1024" => (1024, 256, 4, 16, 8),
        _ => panic!("no 2.0 configuration named {name} in sim/build.rs"),
    };
    Config {
        tcam_entries: n,
        flow_buckets: b,
        flow_ways: w,
        channels: c,
        local_entries: l,
    }
}

struct ModelDut(Top);

impl Dut for ModelDut {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        self.0.step(input)
    }
}

/// What a clean run covered.
#[derive(Debug, Default)]
struct Covered {
    cycles: u64,
    accepted: u64,
    results: u64,
    kinds: [u64; 3],
    local: u64,
    stale: u64,
    nonzero_reads: u64,
    busy_reads: u64,
    resets: u64,
}

/// Runs `inputs` on both; panics with a report (and a VCD of the RTL) at the first difference.
fn run(
    cfg: &Config,
    label: &str,
    inputs: &mut dyn Iterator<Item = CycleIn>,
    replay: &dyn Fn() -> Vec<CycleIn>,
) -> Covered {
    let mut rtl = Rtl::of(Design::V2, cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    let mut model = Top::new(TopConfig::sized(cfg));
    let mut history: VecDeque<(u64, CycleIn)> = VecDeque::new();
    let mut cov = Covered::default();
    let mut status_read = false;
    for (cycle, input) in inputs.enumerate() {
        let cycle = cycle as u64;
        history.push_back((cycle, input));
        if history.len() > 120 {
            history.pop_front();
        }
        // The ports during the cycle: the RTL reports them after its step, the model before.
        let model_ports = model.res_ports();
        let a = rtl.step(&input);
        let b = model.step(&input);
        let mismatch = diff(&a, &b).or_else(|| diff_ports(&rtl.res_ports(), &model_ports));
        if let Some((signal, va, vb)) = mismatch {
            let wave = waveform(cfg, label, cycle, &replay());
            let mut msg = format!(
                "LOCKSTEP MISMATCH [2.0 {}] {label} at cycle {cycle}: {signal}: rtl = {va}, model = {vb}\n{wave}\nrecent inputs:\n",
                describe(cfg)
            );
            for (c, i) in &history {
                msg += &format!("  {c:>8}: {i:?}\n");
            }
            panic!("{msg}");
        }
        cov.cycles += 1;
        cov.accepted += a.accepted as u64;
        cov.resets += input.rst as u64;
        cov.nonzero_reads += (a.rdata != 0) as u64;
        if status_read && a.rdata & 1 << 3 != 0 {
            cov.busy_reads += 1;
        }
        status_read = matches!(input.mmio, Some(Mmio::Read { addr: reg::STATUS }));
        if let Some(r) = a.result {
            cov.results += 1;
            cov.kinds[r.kind.bits() as usize] += 1;
            cov.local += (r.src_local || r.dst_local) as u64;
            cov.stale += r.stale as u64;
        }
    }
    cov
}

/// The RTL re-run with tracing on around `cycle`. On a thread with a 1 GiB stack: the trace
/// functions of the larger 2.0 builds are one C++ function each (28 MB at N=1,024), compiled at
/// -O0 by sim/build.rs, whose frame overflows a test thread's 2 MiB.
fn waveform(cfg: &Config, label: &str, cycle: u64, inputs: &[CycleIn]) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("top2-{label}.vcd"));
    let from = cycle.saturating_sub(200);
    let write = || match Rtl::traced(Design::V2, cfg.clone(), &path, from..cycle + 4) {
        Ok(mut rtl) => {
            for i in inputs.iter().take(cycle as usize + 4) {
                rtl.step(i);
            }
            format!(
                "waveform (cycles {from}..{}): {}",
                cycle + 4,
                path.display()
            )
        }
        Err(e) => format!("waveform not written: {e}"),
    };
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(1 << 30)
            .spawn_scoped(s, write)
            .expect("a thread for the waveform")
            .join()
            .unwrap_or_else(|_| "waveform not written: the traced run panicked".into())
    })
}

fn random(name: &str, default_seeds: &[u64], default_cycles: u64) {
    let cfg = named(name);
    let n = cycles(default_cycles);
    for seed in seeds(default_seeds) {
        let mut s = StimulusV2::new(&cfg, seed);
        let replay = || {
            let mut s = StimulusV2::new(&cfg, seed);
            (0..n).map(|_| s.next_cycle()).collect()
        };
        let cov = run(
            &cfg,
            &format!("seed{seed}"),
            &mut (0..n).map(|_| s.next_cycle()),
            &replay,
        );
        eprintln!("[2.0 {}] seed {seed}: {cov:?}", describe(&cfg));
        // The run reached what it claims to check.
        assert!(
            cov.kinds.iter().all(|&k| k > 0),
            "seed {seed}: not every result kind: {cov:?}"
        );
        assert!(
            cov.local > 0 && cov.stale > 0 && cov.busy_reads > 0 && cov.resets > 0,
            "seed {seed}: no locality, stale flow, BUSY read or reset: {cov:?}"
        );
    }
}

#[test]
fn random_v2_small() {
    random("v2_small", &[1, 2, 3], 150_000);
}

#[test]
fn random_v2_n256() {
    random("v2_n256", &[11], 150_000);
}

/// The ClassBench build: 16 banks of 64 entries, the deepest rule-stage pipeline (A = 11).
#[test]
fn random_v2_n1024() {
    random("v2_n1024", &[21], 60_000);
}

/// Writes `data` to `addr`.
fn w(addr: u32, data: u32) -> CycleIn {
    CycleIn {
        mmio: Some(Mmio::Write { addr, data }),
        ..CycleIn::default()
    }
}

fn cmd(op: Opcode, index: u32) -> CycleIn {
    w(reg::CMD, u32::from(op.bits()) << 24 | index)
}

fn keyin(k: Key, tag: u32) -> CycleIn {
    CycleIn {
        key: Some(KeyIn {
            key: k,
            len: 100,
            tag,
            tcp_flags: 0x10,
        }),
        ..CycleIn::default()
    }
}

/// A rule written into the inactive plane and committed, under a key on every clock: every key
/// before the switch misses, every key after it hits entry 5 with its action. This checks what
/// the device decides, not only that RTL and model agree.
#[test]
fn directed_rule_then_flow_under_full_traffic() {
    let cfg = named("v2_small");
    let k = Key::v4(0x0a00_0001, 0x0a00_0002, 6, 1234, 80);
    let mut prog = Vec::new();
    let mut tag = 0;
    let mut with_key = |prog: &mut Vec<CycleIn>, mut c: CycleIn| {
        tag += 1;
        c.key = keyin(k, tag).key;
        prog.push(c);
    };
    // Entry 5: src 10.0.0.0/8 -> DELIVER channel 3, in plane 1; then COMMIT (plane 1 active).
    let f_src = 16 + 16 + 16 + 6 + 3 + 2 + 32; // rule-key bit of the source address
    let v: u128 = 0x0a00_0000u128 << f_src;
    let m: u128 = 0xff00_0000u128 << f_src;
    for n in 0..4u32 {
        with_key(&mut prog, w(reg::KEY + 4 * n, (v >> (32 * n)) as u32));
        with_key(&mut prog, w(reg::MASK + 4 * n, (m >> (32 * n)) as u32));
    }
    for n in 4..10u32 {
        with_key(&mut prog, w(reg::KEY + 4 * n, 0));
        with_key(&mut prog, w(reg::MASK + 4 * n, 0));
    }
    with_key(&mut prog, w(reg::ACTION, 3 << 8));
    with_key(&mut prog, w(reg::PLANES, 2));
    with_key(&mut prog, cmd(Opcode::TcamWrite, 5));
    // The reset sweep (64 cycles) delays the WRITE; the COMMIT waits for the WRITE (55 cycles).
    for _ in 0..140 {
        with_key(&mut prog, CycleIn::default());
    }
    with_key(&mut prog, cmd(Opcode::Commit, 0));
    for _ in 0..60 {
        with_key(&mut prog, CycleIn::default());
    }
    let mut rtl = Rtl::of(Design::V2, cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    let mut model = ModelDut(Top::new(TopConfig::sized(&cfg)));
    let mut rules = 0;
    let mut misses = 0;
    for (c, i) in prog.iter().enumerate() {
        let a = rtl.step(i);
        let b = model.step(i);
        assert_eq!(a, b, "cycle {c}");
        if let Some(r) = a.result {
            match r.kind {
                HitKind::Rule => {
                    rules += 1;
                    assert_eq!((r.index, r.action.encode().raw()), (5, 3 << 8), "cycle {c}");
                }
                HitKind::Miss => {
                    misses += 1;
                    assert_eq!(rules, 0, "cycle {c}: a miss after the commit took effect");
                }
                HitKind::Flow => panic!("cycle {c}: no flow was written"),
            }
        }
    }
    assert!(rules > 30 && misses > 60, "rules {rules}, misses {misses}");
}

/// A flow under a key on every clock is moved to another slot of its bucket: every packet it
/// decided is counted once, on the destination after the move, and the source reads 0.
#[test]
fn directed_flow_move_moves_its_counters() {
    use gufc_hw_model::v2::flow_ram::FlowKey;
    let cfg = named("v2_small");
    let k = Key::v4(0x0a00_0001, 0x0a00_0002, 6, 1234, 80);
    let fk = FlowKey {
        src: k.src as u32,
        dst: k.dst as u32,
        proto: 6,
        sport: 1234,
        dport: 80,
    };
    let (b1, _) = fk.buckets(cfg.flow_buckets.trailing_zeros());
    let (s, d) = (b1 * cfg.flow_ways, b1 * cfg.flow_ways + 1);
    let mut rtl = Rtl::of(Design::V2, cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    let mut model = ModelDut(Top::new(TopConfig::sized(&cfg)));
    let mut tag = 0;
    let mut flow_hits = [0u64; 2];
    let mut step = |c: CycleIn, traffic: bool| -> u32 {
        let mut c = c;
        if traffic {
            tag += 1;
            c.key = keyin(k, tag).key;
        }
        let a = rtl.step(&c);
        assert_eq!(a, model.step(&c), "tag {tag}");
        if let Some(r) = a.result.filter(|r| r.kind == HitKind::Flow) {
            flow_hits[usize::from(r.index == d)] += 1;
        }
        a.rdata
    };
    for (n, x) in k.words().iter().enumerate() {
        step(w(reg::KEY + 4 * n as u32, *x), true);
    }
    step(w(reg::ACTION, 2 << 8), true);
    step(cmd(Opcode::FlowWrite, s), true);
    for _ in 0..100 {
        step(CycleIn::default(), true);
    }
    step(w(reg::CMD_ARG, d), true);
    step(cmd(Opcode::FlowMove, s), true);
    for _ in 0..100 {
        step(CycleIn::default(), true);
    }
    for _ in 0..60 {
        step(CycleIn::default(), false);
    }
    let mut count = |slot| {
        step(w(reg::CMD_ARG, 1), false);
        step(cmd(Opcode::CntRead, slot), false);
        for _ in 0..20 {
            step(CycleIn::default(), false);
        }
        step(
            CycleIn {
                mmio: Some(Mmio::Read {
                    addr: reg::CNT_PKTS_LO,
                }),
                ..CycleIn::default()
            },
            false,
        )
    };
    let (at_d, at_s) = (count(d), count(s));
    assert!(
        flow_hits[0] > 20 && flow_hits[1] > 50,
        "flow hits on s, d: {flow_hits:?}"
    );
    assert_eq!(
        (at_d, at_s),
        ((flow_hits[0] + flow_hits[1]) as u32, 0),
        "counters of d and s"
    );
}

/// A reset (the rst pin or CONTROL.RESET) with keys, results and a probe in flight, at every
/// offset from the probe's command: the register block is cleared at the reset edge e and the
/// core at e+1 from a register, so key_ready is 0 between them; a key accepted at e never comes
/// out (a result shown between e and e+1 may transfer); a probe result leaving the core between
/// e and e+1 is not loaded into the cleared PROBE_RESULT; a command written between e and e+1
/// is accepted and runs after the sweep. Checks the device, not only that RTL and model agree.
#[test]
fn directed_reset_with_work_in_flight() {
    let cfg = named("v2_small");
    let k = Key::v4(0x0a00_0001, 0x0a00_0002, 6, 1234, 80);
    let rd = |addr| CycleIn {
        mmio: Some(Mmio::Read { addr }),
        ..CycleIn::default()
    };
    // The cycle (after the PROBE command's) in which the probe's result leaves the core.
    let mut prb_cycle = None;
    let mut shown_at_e1 = 0;
    for pin in [false, true] {
        for offset in 0..24 {
            let mut rtl = Rtl::of(Design::V2, cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
            let mut model = ModelDut(Top::new(TopConfig::sized(&cfg)));
            let tag = std::cell::Cell::new(0);
            let mut step = |c: &CycleIn, traffic: bool| -> CycleOut {
                let mut c = *c;
                if traffic {
                    tag.set(tag.get() + 1);
                    c.key = keyin(k, tag.get()).key;
                    c.res_ready = true;
                }
                let a = rtl.step(&c);
                assert_eq!(a, model.step(&c), "pin {pin}, offset {offset}, tag {tag:?}");
                a
            };
            let first = step(&CycleIn::default(), true);
            assert!(
                !first.key_ready,
                "key_ready during the first cycle (core in reset)"
            );
            for (n, x) in k.words().iter().enumerate() {
                step(&w(reg::KEY + 4 * n as u32, *x), true);
            }
            for _ in 0..100 {
                step(&CycleIn::default(), true);
            }
            step(&cmd(Opcode::Probe, 0), true);
            for t in 0..offset {
                // PROBE_BUSY before the edge after cycle t + 1: cleared at cycle t's.
                if step(&rd(reg::STATUS), true).rdata & 1 << 1 == 0 && prb_cycle.is_none() {
                    prb_cycle = Some(t);
                }
            }
            // Edge e, with a key on the port.
            let reset = if pin {
                CycleIn {
                    rst: true,
                    ..CycleIn::default()
                }
            } else {
                w(reg::CONTROL, 1)
            };
            let at_e = step(&reset, true);
            // key_ready before e is the core's (a probe waiting to enter holds it at 0).
            assert!(
                at_e.accepted || offset == 0,
                "offset {offset}: key_ready before e"
            );
            let dropped = tag.get();
            // Between e and e+1: a FLOW_WRITE of slot 3 (the staging registers read 0).
            let e1 = step(&cmd(Opcode::FlowWrite, 3), true);
            assert!(
                !e1.key_ready,
                "offset {offset}: key_ready between e and e+1"
            );
            shown_at_e1 += e1.result.is_some() as u32;
            let mut results_after = 0;
            for _ in 0..120 {
                if let Some(r) = step(&CycleIn::default(), true).result {
                    assert!(
                        r.tag > dropped,
                        "offset {offset}: tag {} from before e",
                        r.tag
                    );
                    results_after += 1;
                }
            }
            assert!(results_after > 50, "offset {offset}: keys after the reset");
            step(&cmd(Opcode::FlowRead, 3), false);
            for _ in 0..20 {
                step(&CycleIn::default(), false);
            }
            let status = step(&rd(reg::STATUS), false).rdata;
            let probe_word = step(&rd(reg::PROBE_RESULT), false).rdata;
            let fstate = step(&rd(reg::FLOW_STATE), false).rdata;
            assert_eq!(
                status & (1 << 3 | 1 << 1 | 1),
                0,
                "offset {offset}: STATUS BUSY, PROBE_BUSY or ERROR after the reset"
            );
            assert_eq!(
                probe_word, 0,
                "offset {offset}: PROBE_RESULT after the reset"
            );
            assert_eq!(
                fstate >> 8 & 1,
                1,
                "offset {offset}: FLOW_WRITE between e and e+1 lost"
            );
        }
    }
    assert!(shown_at_e1 > 0, "no result shown between e and e+1");
    // Some offset put the probe's result between e and e+1 (cycle offset + 2).
    let prb = prb_cycle.expect("the probe finished in no run");
    assert!(
        (2..26).contains(&prb),
        "probe result at cycle {prb}: no offset covers it"
    );
}
