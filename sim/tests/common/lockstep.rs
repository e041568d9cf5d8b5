//! Lockstep co-simulation: the same inputs into the Verilated RTL and the model every cycle,
//! every `CycleOut` field compared, and every `res_*` port bit whenever `res_valid` is high
//! (stalled or not; don't-care bits included, as the model defines them). On the first difference: a report naming the cycle, the
//! signal, both values, the recent inputs and how to replay it, and a VCD of the cycles around
//! it (the RTL re-run from the start with tracing on; no rebuild needed).

use std::collections::VecDeque;
use std::path::PathBuf;

use gufc_regmap::{CycleIn, CycleOut, KeyIn};
use gufc_sim::{describe, stimulus::Stimulus, Config, ResPorts, Rtl};

/// Cycles before the mismatch written to the waveform (and a few after it).
const WAVE_BEFORE: u64 = 200;
const WAVE_AFTER: u64 = 4;
/// Inputs shown in a mismatch report.
const HISTORY: usize = 12;

/// The first field in which two cycle outputs differ: (signal, rtl value, model value).
pub fn diff(rtl: &CycleOut, model: &CycleOut) -> Option<(&'static str, String, String)> {
    macro_rules! field {
        ($name:literal, $a:expr, $b:expr) => {
            if $a != $b {
                return Some(($name, format!("{:?}", $a), format!("{:?}", $b)));
            }
        };
    }
    field!("rdata", rtl.rdata, model.rdata);
    field!("key_ready", rtl.key_ready, model.key_ready);
    field!("res_valid", rtl.res_valid, model.res_valid);
    field!("accepted", rtl.accepted, model.accepted);
    match (&rtl.result, &model.result) {
        (Some(a), Some(b)) => {
            field!("result.action", a.action, b.action);
            field!("result.kind", a.kind, b.kind);
            field!("result.index", a.index, b.index);
            field!("result.stale", a.stale, b.stale);
            field!("result.src_local", a.src_local, b.src_local);
            field!("result.dst_local", a.dst_local, b.dst_local);
            field!("result.len", a.len, b.len);
            field!("result.tag", a.tag, b.tag);
        }
        (a, b) => field!("result", a.is_some(), b.is_some()),
    }
    None
}

/// The first `res_*` port whose raw bits differ: (port, rtl value, model value).
pub fn diff_ports(rtl: &ResPorts, model: &ResPorts) -> Option<(&'static str, String, String)> {
    let pairs = [
        ("res_verdict", rtl.verdict, model.verdict),
        ("res_channel", rtl.channel, model.channel),
        ("res_reason", rtl.reason, model.reason),
        ("res_kind", rtl.kind, model.kind),
        ("res_stale", rtl.stale, model.stale),
        ("res_src_local", rtl.src_local, model.src_local),
        ("res_dst_local", rtl.dst_local, model.dst_local),
        ("res_index", rtl.index, model.index),
        ("res_len", rtl.len, model.len),
        ("res_tag", rtl.tag, model.tag),
    ];
    pairs
        .into_iter()
        .find(|p| p.1 != p.2)
        .map(|(n, a, b)| (n, format!("{a:#x}"), format!("{b:#x}")))
}

/// A named, replayable input sequence.
pub trait Program {
    /// How to reproduce it, e.g. "GUFC_SEED=42".
    fn replay_hint(&self) -> String;
    /// A fresh iterator over the same inputs.
    fn inputs(&self) -> Box<dyn Iterator<Item = CycleIn> + '_>;
    fn label(&self) -> String;
    /// Reserved META bits the RTL's key port sees with the key offered at `cycle` (the model
    /// sees the typed key, without them: the port must ignore them). None by default.
    fn key_meta_noise(&self, _cycle: u64) -> u32 {
        0
    }
}

/// `cycles` cycles of [`Stimulus`] with `seed`.
pub struct Random {
    pub config: Config,
    pub seed: u64,
    pub cycles: u64,
}

impl Program for Random {
    fn replay_hint(&self) -> String {
        format!("GUFC_SEED={} GUFC_CYCLES={}", self.seed, self.cycles)
    }
    fn inputs(&self) -> Box<dyn Iterator<Item = CycleIn> + '_> {
        let mut s = Stimulus::new(&self.config, self.seed);
        Box::new((0..self.cycles).map(move |_| s.next_cycle()))
    }
    fn label(&self) -> String {
        format!("seed{}", self.seed)
    }
    /// One key in eight carries a few random reserved META bits.
    fn key_meta_noise(&self, cycle: u64) -> u32 {
        let h = splitmix(self.seed ^ cycle.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if h & 7 == 0 {
            (h >> 32) as u32 & gufc_regmap::word::Meta::RESERVED
        } else {
            0
        }
    }
}

/// SplitMix64's finaliser: a cheap, well-mixed hash of a cycle number.
fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fixed list of inputs (directed cases).
pub struct Fixed {
    pub name: &'static str,
    pub inputs: Vec<CycleIn>,
}

impl Program for Fixed {
    fn replay_hint(&self) -> String {
        format!("the directed case `{}`", self.name)
    }
    fn inputs(&self) -> Box<dyn Iterator<Item = CycleIn> + '_> {
        Box::new(self.inputs.iter().copied())
    }
    fn label(&self) -> String {
        self.name.to_string()
    }
}

/// What a clean run covered.
#[derive(Debug, Default, Clone, Copy)]
pub struct Coverage {
    pub cycles: u64,
    pub keys_accepted: u64,
    pub results: u64,
    pub reads: u64,
    pub writes: u64,
    pub flow_hits: u64,
    pub rule_hits: u64,
    pub stale: u64,
    pub local: u64,
    pub nonzero_reads: u64,
    /// Flow hits sent to the slow path by their interest: INTEREST_ALL, _CTRL, _SAMPLE.
    pub interest: [u64; 3],
    /// Edges with the `rst` pin high.
    pub resets: u64,
    /// Keys accepted with reserved META bits on the port.
    pub meta_noise: u64,
    /// Runs of two or more key-only cycles the model ran as one burst.
    pub bursts: u64,
}

impl Coverage {
    pub fn add(&mut self, o: &Coverage) {
        self.cycles += o.cycles;
        self.bursts += o.bursts;
        self.keys_accepted += o.keys_accepted;
        self.results += o.results;
        self.reads += o.reads;
        self.writes += o.writes;
        self.flow_hits += o.flow_hits;
        self.rule_hits += o.rule_hits;
        self.stale += o.stale;
        self.local += o.local;
        self.nonzero_reads += o.nonzero_reads;
        self.resets += o.resets;
        self.meta_noise += o.meta_noise;
        for i in 0..3 {
            self.interest[i] += o.interest[i];
        }
    }
}

/// A cycle the model may run inside a burst ([`gufc_hw_model::Model::step_keys`]): a key,
/// `res_ready` high, no register access, no reset.
fn burst_cycle(i: &CycleIn) -> bool {
    i.key.is_some() && i.mmio.is_none() && !i.rst && i.res_ready
}

/// Longest burst handed to the model at once.
const BURST: usize = 64;

/// Runs `program` on both; panics with a full report (and writes a VCD) on the first mismatch.
/// Runs of key-only cycles go to the model as one burst (`Model::step_keys`), so this also
/// checks the model's fast path (`GUFC_MODEL_FAST=0` makes the burst step cycle by cycle).
pub fn run(config: Config, program: &dyn Program) -> Coverage {
    let mut rtl = Rtl::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let mut model = gufc_hw_model::Model::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let mut history: VecDeque<(u64, CycleIn)> = VecDeque::new();
    let mut cov = Coverage::default();
    let mut inputs = program.inputs().peekable();
    let mut run_in: Vec<CycleIn> = Vec::with_capacity(BURST);
    let mut rtl_out: Vec<(u64, CycleOut, u32, ResPorts)> = Vec::with_capacity(BURST);
    let mut model_out: Vec<CycleOut> = Vec::with_capacity(BURST);
    while let Some(first) = inputs.next() {
        run_in.clear();
        run_in.push(first);
        if burst_cycle(&first) {
            while run_in.len() < BURST {
                match inputs.next_if(burst_cycle) {
                    Some(i) => run_in.push(i),
                    None => break,
                }
            }
        }
        // The RTL, cycle by cycle.
        rtl_out.clear();
        for input in &run_in {
            let cycle = rtl.cycle();
            history.push_back((cycle, *input));
            if history.len() > HISTORY {
                history.pop_front();
            }
            let noise = program.key_meta_noise(cycle);
            rtl.set_key_meta_noise(noise);
            let a = rtl.step(input);
            let ports = rtl.res_ports();
            rtl_out.push((cycle, a, noise, ports));
        }
        // The model: one step, or the run as bursts.
        model_out.clear();
        let mut ports: Vec<ResPorts> = Vec::with_capacity(run_in.len());
        if burst_cycle(&first) {
            let keys: Vec<KeyIn> = run_in.iter().filter_map(|i| i.key).collect();
            let mut done = 0;
            while done < keys.len() {
                done += model.step_keys(&keys[done..], &mut |o| {
                    // res_ready is high: the result port shows what transfers.
                    ports.push(ResPorts::of(o.result.as_ref()));
                    model_out.push(*o);
                });
            }
        } else {
            ports.push(model.res_ports());
            model_out.push(model.step(&first));
        }
        for ((cycle, a, noise, rtl_ports), (b, port)) in
            rtl_out.iter().zip(model_out.iter().zip(&ports))
        {
            let (cycle, a, noise) = (*cycle, *a, *noise);
            if let Some((signal, va, vb)) = diff(&a, b) {
                report(&config, program, cycle, signal, &va, &vb, &history);
            }
            // Every res_* bit on every edge: the ports carry bits the decoded result drops (a
            // DROP's channel, a DELIVER's reason), and with res_valid low all of them are 0.
            if let Some((signal, va, vb)) = diff_ports(rtl_ports, port) {
                report(&config, program, cycle, signal, &va, &vb, &history);
            }
            cov.meta_noise += (a.accepted && noise != 0) as u64;
            cov.cycles += 1;
            cov.keys_accepted += a.accepted as u64;
            cov.results += a.result.is_some() as u64;
            if let Some(r) = a.result {
                cov.flow_hits += (r.kind == gufc_regmap::HitKind::Flow) as u64;
                cov.rule_hits += (r.kind == gufc_regmap::HitKind::Rule) as u64;
                cov.stale += r.stale as u64;
                cov.local += (r.src_local || r.dst_local) as u64;
                if let (gufc_regmap::HitKind::Flow, gufc_regmap::Action::SlowPath { reason }) =
                    (r.kind, r.action)
                {
                    use gufc_regmap::SlowReason as R;
                    let interest = [R::InterestAll, R::InterestCtrl, R::InterestSample];
                    if let Some(i) = interest.iter().position(|r| r.bits() == reason) {
                        cov.interest[i] += 1;
                    }
                }
            }
            cov.nonzero_reads += (a.rdata != 0) as u64;
        }
        assert_eq!(
            model_out.len(),
            run_in.len(),
            "the model ran a different number of cycles than offered"
        );
        assert_eq!(
            rtl.cycle(),
            model.cycle(),
            "cycle() differs after cycle {}",
            rtl.cycle() - 1
        );
        cov.bursts += (run_in.len() > 1) as u64;
        for input in &run_in {
            cov.resets += input.rst as u64;
            match input.mmio {
                Some(gufc_regmap::Mmio::Read { .. }) => cov.reads += 1,
                Some(gufc_regmap::Mmio::Write { .. }) => cov.writes += 1,
                None => {}
            }
        }
    }
    cov
}

fn report(
    config: &Config,
    program: &dyn Program,
    cycle: u64,
    signal: &str,
    rtl_value: &str,
    model_value: &str,
    history: &VecDeque<(u64, CycleIn)>,
) -> ! {
    let wave = waveform(config, program, cycle);
    let config = describe(config);
    let mut msg = format!(
        "LOCKSTEP MISMATCH [{config}] {label} at cycle {cycle}: {signal}: rtl = {rtl_value}, model = {model_value}\n\
         replay: {hint} cargo test --release -p gufc-sim --test lockstep\n",
        label = program.label(),
        hint = program.replay_hint(),
    );
    match wave {
        Ok(p) => {
            msg += &format!(
                "waveform (cycles {}..{}): {}\n",
                cycle.saturating_sub(WAVE_BEFORE),
                cycle + WAVE_AFTER,
                p.display()
            )
        }
        Err(e) => msg += &format!("waveform not written: {e}\n"),
    }
    msg += "recent inputs:\n";
    for (c, i) in history {
        msg += &format!("  {c:>10}: {i:?}\n");
    }
    panic!("{msg}");
}

/// Re-runs the RTL from the start with tracing on over the window around `cycle`.
fn waveform(config: &Config, program: &dyn Program, cycle: u64) -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!(
        "lockstep-{}-{}.vcd",
        Rtl::new(config.clone()).map_err(|e| e.to_string())?.name(),
        program.label()
    ));
    let from = cycle.saturating_sub(WAVE_BEFORE);
    let to = cycle + WAVE_AFTER;
    let mut rtl = Rtl::with_trace(config.clone(), &path, from..to).map_err(|e| e.to_string())?;
    for (cycle, input) in program.inputs().take(to as usize).enumerate() {
        rtl.set_key_meta_noise(program.key_meta_noise(cycle as u64));
        rtl.step(&input);
    }
    drop(rtl);
    Ok(path)
}

/// Seeds to run: `GUFC_SEED` (decimal or 0x-hex) replaces the defaults when set.
pub fn seeds(defaults: &[u64]) -> Vec<u64> {
    match std::env::var("GUFC_SEED") {
        Ok(s) => {
            let s = s.trim();
            let v = match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => s.parse(),
            };
            vec![v.unwrap_or_else(|e| panic!("GUFC_SEED={s}: {e}"))]
        }
        Err(_) => defaults.to_vec(),
    }
}

/// Cycles per seed: `GUFC_CYCLES` when set.
pub fn cycles(default: u64) -> u64 {
    std::env::var("GUFC_CYCLES").ok().map_or(default, |s| {
        s.trim()
            .parse()
            .unwrap_or_else(|e| panic!("GUFC_CYCLES={s}: {e}"))
    })
}
