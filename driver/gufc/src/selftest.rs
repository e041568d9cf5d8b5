//! `gufc selftest`: a board bring-up test over any [`Bar`] (hardware, RTL or model).
//!
//! It checks that the bus works (ID, VERSION, SCRATCH walking patterns), that every staging
//! register holds every bit, that every TCAM entry and flow-cache slot stores and returns
//! walking-ones/zeros patterns without aliasing (all written first, then all read back),
//! that every TCAM entry matches a probe on its own and only when it is in the active plane,
//! and that counters clear. Each check is independent and reported; a bus error stops the run
//! because nothing after it can be trusted. The device is reset before and after.
//!
//! Register offsets, fields and opcodes come only from `gufc_regmap`.

use std::time::Instant;

use gufc_regmap::word::{
    self, CapKey, CapMisc, Cmd, Control, DportRange, Error, FlowFlags, FlowState, Meta, Planes,
    Ports, Prio, ProbeResult, SportRange, Status, Version,
};
use gufc_regmap::{
    device, reg, Access, CounterSpace, GlobalCounter, HitKind, Opcode, ReasonCode, Register,
    Verdict, KEY_WORDS, REGISTERS,
};
use serde::Serialize;

use crate::backend::{Bar, BusError};

/// How much of the tables to test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Test a sample of entries (the ends, powers of two and an even spread) instead of all.
    pub quick: bool,
    /// Entries per table in quick mode (at least the fixed corner cases are always included).
    pub samples: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quick: false,
            samples: 256,
        }
    }
}

/// One check's outcome.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Check {
    /// Short stable name: `id-version`, `scratch`, `tcam-entries`, `counters`, …
    pub name: &'static str,
    /// Did everything read back as expected, without a bus error?
    pub passed: bool,
    /// What was verified, or the first mismatches.
    pub detail: String,
    /// Register accesses the check made.
    pub accesses: u64,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The backend's [`Bar::name`].
    pub device: String,
    /// Sampled tables ([`Options::quick`]) rather than every entry.
    pub quick: bool,
    /// The checks that ran, in order.
    pub checks: Vec<Check>,
    /// Checks not run because an earlier one hit a bus error.
    pub not_run: Vec<&'static str>,
    /// The bus error that stopped the run, if any.
    pub bus_error: Option<String>,
    /// Wall-clock time of the whole run, seconds.
    pub elapsed_s: f64,
}

impl Report {
    /// Did every check run and pass, with no bus error?
    pub fn passed(&self) -> bool {
        self.bus_error.is_none() && self.not_run.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// Checks that ran and failed (not counting those [`Report::not_run`]).
    pub fn failed_count(&self) -> usize {
        self.checks.iter().filter(|c| !c.passed).count()
    }

    /// Human-readable summary, one line per check.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "selftest on {}{}\n",
            self.device,
            if self.quick { " (quick)" } else { "" }
        );
        for c in &self.checks {
            let verdict = if c.passed { "PASS" } else { "FAIL" };
            s += &format!(
                "  {verdict}  {:<18} {} [{} accesses]\n",
                c.name, c.detail, c.accesses
            );
        }
        if let Some(e) = &self.bus_error {
            s += &format!("  BUS ERROR: {e}\n");
        }
        for n in &self.not_run {
            s += &format!("  SKIP  {n:<18} not run after the bus error\n");
        }
        let passed = self.checks.iter().filter(|c| c.passed).count();
        s += &format!(
            "{}: {passed}/{} checks passed in {:.2} s\n",
            if self.passed() { "PASS" } else { "FAIL" },
            self.checks.len() + self.not_run.len(),
            self.elapsed_s
        );
        s
    }
}

/// A check failed (mismatch) or the bus failed (stop).
enum Fail {
    Mismatch(String),
    Bus(BusError),
}

impl From<BusError> for Fail {
    fn from(e: BusError) -> Self {
        Fail::Bus(e)
    }
}

type CheckResult = Result<String, Fail>;

/// Counts accesses and collects up to a few mismatches per check.
struct Io<'a> {
    bar: &'a mut dyn Bar,
    accesses: u64,
    mismatches: Vec<String>,
    total_mismatches: u64,
}

const MAX_REPORTED: usize = 4;
/// Reads of STATUS before a probe that is still busy counts as hung.
const PROBE_POLLS: u32 = 10_000;

impl Io<'_> {
    fn rd(&mut self, off: u32) -> Result<u32, BusError> {
        self.accesses += 1;
        self.bar.read32(off)
    }
    fn wr(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.accesses += 1;
        self.bar.write32(off, val)
    }
    /// Writes a register through its codec type.
    fn put<R: Register>(&mut self, v: R) -> Result<(), BusError> {
        self.wr(R::OFFSET, v.into())
    }
    fn cmd(&mut self, op: Opcode, index: u32) -> Result<(), BusError> {
        self.put(Cmd::new().with_opcode(op).with_index(index))
    }
    fn expect(&mut self, what: impl FnOnce() -> String, got: u32, want: u32) {
        if got != want {
            self.total_mismatches += 1;
            if self.mismatches.len() < MAX_REPORTED {
                self.mismatches.push(format!(
                    "{}: read {got:#010x}, expected {want:#010x}",
                    what()
                ));
            }
        }
    }
    /// `Ok(detail)` if nothing mismatched, else the first mismatches.
    fn verdict(&mut self, detail: String) -> CheckResult {
        if self.total_mismatches == 0 {
            return Ok(detail);
        }
        let more = self.total_mismatches as usize - self.mismatches.len();
        let mut s = self.mismatches.join("; ");
        if more > 0 {
            s += &format!("; and {more} more");
        }
        self.mismatches.clear();
        self.total_mismatches = 0;
        Err(Fail::Mismatch(s))
    }
    /// Fails the check if STATUS.ERROR is set, naming the rejected command, then clears it.
    fn no_rejection(&mut self, context: &str) -> Result<(), Fail> {
        if !Status::from_raw(self.rd(reg::STATUS)?).error() {
            return Ok(());
        }
        let err = Error::from_raw(self.rd(reg::ERROR)?);
        let index = self.rd(reg::ERROR_INDEX)?;
        self.put(Error::new())?;
        let op = Opcode::from_bits(err.opcode() as u32);
        let reason = err
            .reason()
            .map_or_else(|e| e.to_string(), |r| r.to_string());
        Err(Fail::Mismatch(format!(
            "{context}: device rejected {} index {index} with {reason} ({} rejections)",
            op.map_or("?", Opcode::name),
            err.count()
        )))
    }
}

/// Table geometry read from the capability registers.
#[derive(Clone, Copy, Debug)]
struct Caps {
    tcam: u32,
    flows: u32,
    channels: u32,
}

/// Runs every check on `bar`. Only a bus error (dead device) ends it early.
pub fn run(bar: &mut dyn Bar, opts: &Options) -> Report {
    run_with_progress(bar, opts, &mut |_, _, _| {})
}

/// [`run`], calling `progress(name, i, n)` as check `i` of `n` starts.
pub fn run_with_progress(
    bar: &mut dyn Bar,
    opts: &Options,
    progress: &mut dyn FnMut(&'static str, usize, usize),
) -> Report {
    let t0 = Instant::now();
    let device = bar.name();
    let mut io = Io {
        bar,
        accesses: 0,
        mismatches: Vec::new(),
        total_mismatches: 0,
    };
    let mut checks = Vec::new();
    let mut caps = None;
    type Step = fn(&mut Io, &Options, &mut Option<Caps>) -> CheckResult;
    let steps: [(&'static str, Step); 9] = [
        ("id-version", |io, _, _| check_id(io)),
        ("scratch", |io, _, _| check_scratch(io)),
        ("capabilities", |io, _, caps| check_caps(io, caps)),
        ("reset", |io, _, _| check_reset(io)),
        ("staging-registers", |io, _, _| check_staging(io)),
        ("command-rejection", |io, _, caps| {
            check_rejection(io, need(caps)?)
        }),
        ("tcam-entries", |io, o, caps| check_tcam(io, o, need(caps)?)),
        ("tcam-probes", |io, o, caps| {
            check_probes(io, o, need(caps)?)
        }),
        ("flow-slots", |io, o, caps| check_flows(io, o, need(caps)?)),
    ];
    let counters: (&'static str, Step) =
        ("counters", |io, o, caps| check_counters(io, o, need(caps)?));
    let mut not_run = Vec::new();
    let mut bus_error = None;
    let n = steps.len() + 1;
    for (i, (name, step)) in steps.into_iter().chain([counters]).enumerate() {
        progress(name, i, n);
        if bus_error.is_some() {
            not_run.push(name);
            continue;
        }
        let before = io.accesses;
        let result = step(&mut io, opts, &mut caps);
        let accesses = io.accesses - before;
        io.mismatches.clear();
        io.total_mismatches = 0;
        match result {
            Ok(detail) => checks.push(Check {
                name,
                passed: true,
                detail,
                accesses,
            }),
            Err(Fail::Mismatch(detail)) => checks.push(Check {
                name,
                passed: false,
                detail,
                accesses,
            }),
            Err(Fail::Bus(e)) => {
                checks.push(Check {
                    name,
                    passed: false,
                    detail: format!("bus error: {e}"),
                    accesses,
                });
                bus_error = Some(e.to_string());
            }
        }
    }
    if bus_error.is_none() {
        // Leave the device as reset left it.
        if let Err(e) = reset(&mut io) {
            bus_error = Some(e.to_string());
        }
    }
    Report {
        device,
        quick: opts.quick,
        checks,
        not_run,
        bus_error,
        elapsed_s: t0.elapsed().as_secs_f64(),
    }
}

fn need(caps: &Option<Caps>) -> Result<Caps, Fail> {
    caps.ok_or_else(|| Fail::Mismatch("capabilities unusable, table checks not possible".into()))
}

fn check_id(io: &mut Io) -> CheckResult {
    let id = io.rd(reg::ID)?;
    io.expect(|| "ID".into(), id, device::MAGIC);
    let version = Version::from_raw(io.rd(reg::VERSION)?);
    let major = version.major();
    io.expect(
        || "VERSION.MAJOR".into(),
        major as u32,
        device::VERSION_MAJOR,
    );
    io.verdict(format!(
        "ID {id:#010x}, version {major}.{}",
        version.minor()
    ))
}

/// Walking ones, walking zeros, checkerboards and the extremes through SCRATCH.
fn check_scratch(io: &mut Io) -> CheckResult {
    let mut patterns = vec![0, u32::MAX, 0xaaaa_aaaa, 0x5555_5555];
    patterns.extend((0..32).map(|b| 1u32 << b));
    patterns.extend((0..32).map(|b| !(1u32 << b)));
    for &p in &patterns {
        io.wr(reg::SCRATCH, p)?;
        let got = io.rd(reg::SCRATCH)?;
        io.expect(|| "SCRATCH".into(), got, p);
    }
    io.wr(reg::SCRATCH, 0)?;
    io.verdict(format!("{} patterns", patterns.len()))
}

fn check_caps(io: &mut Io, caps: &mut Option<Caps>) -> CheckResult {
    let tcam = io.rd(reg::CAP_TCAM)?;
    let buckets = io.rd(reg::CAP_FLOW_BUCKETS)?;
    let ways = io.rd(reg::CAP_FLOW_WAYS)?;
    let misc = CapMisc::from_raw(io.rd(reg::CAP_MISC)?);
    let key = CapKey::from_raw(io.rd(reg::CAP_KEY)?);
    let mut bad = Vec::new();
    if tcam == 0 || tcam > 1 << 24 {
        bad.push(format!("CAP_TCAM {tcam}"));
    }
    if !buckets.is_power_of_two() || buckets > 1 << 24 {
        bad.push(format!("CAP_FLOW_BUCKETS {buckets} is not a power of two"));
    }
    if ways == 0 || ways > 8 {
        bad.push(format!("CAP_FLOW_WAYS {ways}"));
    }
    let latency = misc.latency() as u32;
    if latency != device::LATENCY {
        bad.push(format!(
            "CAP_MISC.LATENCY {latency}, regmap says {}",
            device::LATENCY
        ));
    }
    let (words, prio_bits) = (key.key_words() as u32, key.prio_bits() as u32);
    if words != device::KEY_WORDS || prio_bits != device::PRIO_BITS {
        bad.push(format!(
            "CAP_KEY {:#x}: key words {words}, prio bits {prio_bits}",
            key.raw()
        ));
    }
    let channels = match misc.channels() {
        0 => 256,
        c => c as u32,
    };
    let flows = buckets.saturating_mul(ways);
    if !bad.is_empty() {
        return Err(Fail::Mismatch(bad.join("; ")));
    }
    *caps = Some(Caps {
        tcam,
        flows,
        channels,
    });
    Ok(format!(
        "{tcam} TCAM entries, {buckets}x{ways} flow slots, {channels} channels, latency {latency}"
    ))
}

fn reset(io: &mut Io) -> Result<(), BusError> {
    io.put(Control::new().with_reset(true))
}

fn check_reset(io: &mut Io) -> CheckResult {
    io.wr(reg::KEY, 0x1234_5678)?;
    reset(io)?;
    let status = io.rd(reg::STATUS)?;
    io.expect(|| "STATUS after reset".into(), status, 0);
    let err = io.rd(reg::ERROR)?;
    io.expect(|| "ERROR after reset".into(), err, 0);
    let key0 = io.rd(reg::KEY)?;
    io.expect(|| "KEY[0] after reset".into(), key0, 0);
    io.verdict("STATUS, ERROR and staging cleared".into())
}

/// The bits a read/write register implements: its fields, or all 32 bits if it has none.
fn implemented_bits(r: &gufc_regmap::RegInfo) -> u32 {
    if r.fields.is_empty() {
        u32::MAX
    } else {
        r.fields.iter().fold(0, |m, f| m | f.field.mask())
    }
}

/// Walking ones and zeros through every read/write register (SCRATCH and ERROR excluded:
/// SCRATCH has its own check and a write to ERROR clears it).
fn check_staging(io: &mut Io) -> CheckResult {
    let mut regs = 0;
    for r in REGISTERS.iter().filter(|r| r.access == Access::ReadWrite) {
        if r.offset == reg::SCRATCH || r.offset == reg::ERROR {
            continue;
        }
        let bits = implemented_bits(r);
        for i in 0..r.count {
            let off = r.offset + i * r.stride;
            regs += 1;
            for b in (0..32).filter(|b| bits & (1 << b) != 0) {
                for p in [1u32 << b, !(1u32 << b) & bits] {
                    io.wr(off, p)?;
                    let got = io.rd(off)? & bits;
                    io.expect(|| format!("{}[{i}] at {off:#05x}", r.name), got, p);
                }
            }
            io.wr(off, 0)?;
        }
    }
    io.no_rejection("staging writes")?;
    io.verdict(format!(
        "{regs} registers, walking ones and zeros on every implemented bit"
    ))
}

/// A command that must be rejected is, with the documented reason and index, and a write to
/// ERROR clears it.
fn check_rejection(io: &mut Io, caps: Caps) -> CheckResult {
    io.cmd(Opcode::TcamRead, caps.tcam)?;
    let status = io.rd(reg::STATUS)?;
    io.expect(
        || "STATUS.ERROR after TCAM_READ out of range".into(),
        Status::ERROR.get(status),
        1,
    );
    let err = io.rd(reg::ERROR)?;
    let want = Error::new()
        .with_reason(ReasonCode::BadIndex)
        .with_opcode(Opcode::TcamRead.bits())
        .with_count(1);
    io.expect(|| "ERROR".into(), err, want.raw());
    let index = io.rd(reg::ERROR_INDEX)?;
    io.expect(|| "ERROR_INDEX".into(), index, caps.tcam);
    io.put(Error::new())?;
    let status = io.rd(reg::STATUS)?;
    io.expect(
        || "STATUS.ERROR after clearing".into(),
        Status::ERROR.get(status),
        0,
    );
    io.verdict(format!(
        "TCAM_READ {} rejected with BAD_INDEX and cleared",
        caps.tcam
    ))
}

/// Entry indices to test: all, or in quick mode the ends, powers of two (and one less) and an
/// even spread.
fn indices(n: u32, opts: &Options) -> Vec<u32> {
    if !opts.quick || n <= opts.samples {
        return (0..n).collect();
    }
    let mut v: Vec<u32> = vec![0, 1, n - 2, n - 1];
    let mut p = 1u32;
    while p < n {
        v.push(p);
        v.push(p - 1);
        p = p.saturating_mul(2);
    }
    let step = (n / opts.samples.max(1)).max(1);
    v.extend((0..n).step_by(step as usize).take(opts.samples as usize));
    v.sort_unstable();
    v.dedup();
    v
}

/// Key-word bits a pattern may walk over. META carries only PROTO and IPV6 here: the
/// locality bits come from the locality stage in a lookup, so a 1 there could never match a
/// probe, and the remaining bits are reserved.
fn walk_bits(word: usize) -> Vec<u32> {
    if word == gufc_regmap::key::META {
        let proto = Meta::PROTO.lsb..Meta::PROTO.lsb + Meta::PROTO.width;
        proto.chain([Meta::IPV6.lsb]).collect()
    } else {
        (0..32).collect()
    }
}

/// The bits of a key word that may be set in a value or mask.
fn word_bits(word: usize) -> u32 {
    if word == gufc_regmap::key::META {
        !Meta::RESERVED
    } else {
        u32::MAX
    }
}

/// The bits of a key word a packet key can carry (META without the locality bits).
fn key_bits(word: usize) -> u32 {
    if word == gufc_regmap::key::META {
        Meta::from_raw(word_bits(word)).without_locality().raw()
    } else {
        u32::MAX
    }
}

/// The pattern entry `i` gets: even entries walk a one through each KEY word under a
/// walking-zero MASK, odd entries walk a zero through KEY under an all-ones MASK. Ranges,
/// priority, action and planes vary with `i` and always contain the key's own ports.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TcamPattern {
    key: [u32; KEY_WORDS],
    mask: [u32; KEY_WORDS],
    sport: SportRange,
    dport: DportRange,
    prio: Prio,
    action: word::Action,
    planes: Planes,
}

fn tcam_pattern(i: u32, channels: u32) -> TcamPattern {
    let mut key = [0u32; KEY_WORDS];
    let mut mask = [0u32; KEY_WORDS];
    for w in 0..KEY_WORDS {
        let bits = walk_bits(w);
        let n = bits.len() as u32;
        let b = bits[((i / 2 + 7 * w as u32) % n) as usize];
        let c = bits[((i / 2 + 7 * w as u32 + 1 + w as u32 % (n - 1)) % n) as usize];
        // Locality bits may be cared about, but only as 0 (what an empty locality table gives).
        if i.is_multiple_of(2) {
            key[w] = 1 << b;
            mask[w] = word_bits(w) & !(1 << c);
        } else {
            key[w] = key_bits(w) & !(1 << b);
            mask[w] = word_bits(w);
        }
    }
    let ports = Ports::from_raw(key[gufc_regmap::key::PORTS]);
    let range = |port: u16, j: u32| {
        let lo = port & !(1 << (j % 16));
        let hi = port | (1 << ((j + 5) % 16));
        (lo, hi)
    };
    let action = pattern_action(i, i / 3, channels).with_reason(1 << (i % 8));
    let prio = if i.is_multiple_of(2) {
        1 << (i % 16)
    } else {
        !(1u16 << (i % 16))
    };
    TcamPattern {
        key,
        mask,
        sport: SportRange::of(range(ports.sport(), i)),
        dport: DportRange::of(range(ports.dport(), i + 3)),
        prio: Prio::new().with_prio(prio),
        action,
        planes: Planes::new().with_planes((i % 3 + 1) as u8),
    }
}

/// The verdicts in turn.
fn pattern_verdict(n: u32) -> Verdict {
    Verdict::ALL[n as usize % Verdict::ALL.len()]
}

/// An action word with verdict [`pattern_verdict`]`(n)`: DELIVER to a channel the device has,
/// the others with CHANNEL bits from `bits` (which the device keeps as written).
fn pattern_action(n: u32, bits: u32, channels: u32) -> word::Action {
    let verdict = pattern_verdict(n);
    let channel = if verdict == Verdict::Deliver {
        n % channels
    } else {
        bits
    };
    word::Action::new()
        .with_verdict(verdict)
        .with_channel(channel as u8)
}

fn stage_tcam(io: &mut Io, p: &TcamPattern) -> Result<(), BusError> {
    for w in 0..KEY_WORDS as u32 {
        io.wr(reg::KEY + 4 * w, p.key[w as usize])?;
        io.wr(reg::MASK + 4 * w, p.mask[w as usize])?;
    }
    io.put(p.sport)?;
    io.put(p.dport)?;
    io.put(p.prio)?;
    io.put(p.action)?;
    io.put(p.planes)
}

fn clear_staging(io: &mut Io) -> Result<(), BusError> {
    stage_tcam(
        io,
        &TcamPattern {
            key: [0; KEY_WORDS],
            mask: [0; KEY_WORDS],
            sport: SportRange::new(),
            dport: DportRange::new(),
            prio: Prio::new(),
            action: word::Action::new(),
            planes: Planes::new(),
        },
    )?;
    io.put(FlowFlags::new())
}

/// Every entry written with its own pattern, then every entry read back through TCAM_READ
/// (staging cleared in between, so stale staging cannot pass for a good read).
fn check_tcam(io: &mut Io, opts: &Options, caps: Caps) -> CheckResult {
    reset(io)?;
    let idx = indices(caps.tcam, opts);
    for &i in &idx {
        stage_tcam(io, &tcam_pattern(i, caps.channels))?;
        io.cmd(Opcode::TcamWrite, i)?;
    }
    io.no_rejection("TCAM_WRITE")?;
    for &i in &idx {
        clear_staging(io)?;
        io.cmd(Opcode::TcamRead, i)?;
        let want = tcam_pattern(i, caps.channels);
        for w in 0..KEY_WORDS {
            let got = io.rd(reg::KEY + 4 * w as u32)?;
            io.expect(|| format!("TCAM[{i}] KEY[{w}]"), got, want.key[w]);
            let got = io.rd(reg::MASK + 4 * w as u32)?;
            io.expect(|| format!("TCAM[{i}] MASK[{w}]"), got, want.mask[w]);
        }
        for (name, off, v) in [
            (SportRange::NAME, SportRange::OFFSET, want.sport.raw()),
            (DportRange::NAME, DportRange::OFFSET, want.dport.raw()),
            (Prio::NAME, Prio::OFFSET, want.prio.raw()),
            (word::Action::NAME, word::Action::OFFSET, want.action.raw()),
            (Planes::NAME, Planes::OFFSET, want.planes.raw()),
        ] {
            let got = io.rd(off)?;
            io.expect(|| format!("TCAM[{i}] {name}"), got, v);
        }
    }
    io.no_rejection("TCAM_READ")?;
    io.verdict(format!(
        "{} of {} entries written and read back",
        idx.len(),
        caps.tcam
    ))
}

/// Sends the staged KEY through the pipeline; `(PROBE_RESULT, PROBE_INDEX)` as read.
fn probe(io: &mut Io, key: &[u32; KEY_WORDS]) -> Result<(u32, u32), Fail> {
    for (w, v) in key.iter().enumerate() {
        io.wr(reg::KEY + 4 * w as u32, *v)?;
    }
    io.put(word::PktLen::new().with_len(64))?;
    io.cmd(Opcode::Probe, 0)?;
    for _ in 0..PROBE_POLLS {
        if !Status::from_raw(io.rd(reg::STATUS)?).probe_busy() {
            return Ok((io.rd(reg::PROBE_RESULT)?, io.rd(reg::PROBE_INDEX)?));
        }
    }
    Err(Fail::Mismatch(format!(
        "STATUS.PROBE_BUSY still set after {PROBE_POLLS} reads"
    )))
}

/// Each entry alone: out of the active plane its key must miss, in it the entry must decide
/// with its own action. Entries keep the contents written by `tcam-entries`.
fn check_probes(io: &mut Io, opts: &Options, caps: Caps) -> CheckResult {
    let idx = indices(caps.tcam, opts);
    // tcam-entries left every tested entry written and the flow cache empty (after reset).
    io.put(Planes::new())?;
    for &i in &idx {
        io.cmd(Opcode::TcamSetPlanes, i)?;
    }
    io.no_rejection("TCAM_SET_PLANES 0")?;
    let active = Status::from_raw(io.rd(reg::STATUS)?).active_plane();
    for &i in &idx {
        let p = tcam_pattern(i, caps.channels);
        let (res, _) = probe(io, &p.key)?;
        io.expect(
            || format!("TCAM[{i}] out of plane: PROBE_RESULT.KIND"),
            ProbeResult::KIND.get(res),
            HitKind::Miss.into(),
        );
        io.put(Planes::new().with_planes(1 << active as u8))?;
        io.cmd(Opcode::TcamSetPlanes, i)?;
        let (res, index) = probe(io, &p.key)?;
        io.expect(|| format!("TCAM[{i}] PROBE_INDEX"), index, i);
        // The decision as the pattern's action word describes it (fields compared raw: a
        // device that answers garbage is reported, not decoded).
        let v = pattern_verdict(i);
        let want = ProbeResult::new().with_kind(HitKind::Rule).with_verdict(v);
        let want = match v {
            Verdict::Deliver => want.with_channel(p.action.channel()),
            Verdict::Drop => want,
            Verdict::SlowPath => want.with_reason(p.action.reason()),
        };
        for (name, f) in [
            ("KIND", ProbeResult::KIND),
            ("VERDICT", ProbeResult::VERDICT),
            ("CHANNEL", ProbeResult::CHANNEL),
            ("REASON", ProbeResult::REASON),
        ] {
            io.expect(
                || format!("TCAM[{i}] PROBE_RESULT.{name}"),
                f.get(res),
                f.get(want.raw()),
            );
        }
        io.put(Planes::new())?;
        io.cmd(Opcode::TcamSetPlanes, i)?;
    }
    io.no_rejection("probes")?;
    io.verdict(format!(
        "{} entries: miss out of plane, hit alone with their action in it",
        idx.len()
    ))
}

fn flow_pattern(s: u32, channels: u32) -> ([u32; KEY_WORDS], word::Action, FlowFlags) {
    let mut key = [0u32; KEY_WORDS];
    for (w, k) in key.iter_mut().enumerate() {
        let bits = walk_bits(w);
        let b = bits[((s / 2 + 5 * w as u32) % bits.len() as u32) as usize];
        *k = if s.is_multiple_of(2) {
            1 << b
        } else {
            key_bits(w) & !(1 << b)
        };
    }
    let action = pattern_action(s, s >> 2, channels).with_reason(s as u8);
    (key, action, FlowFlags::new().with_pinned(s % 2 == 1))
}

/// Every flow slot written, then read back with FLOW_READ: key, action, flags, VALID, epoch.
fn check_flows(io: &mut Io, opts: &Options, caps: Caps) -> CheckResult {
    reset(io)?;
    let idx = indices(caps.flows, opts);
    for &s in &idx {
        let (key, act, pinned) = flow_pattern(s, caps.channels);
        for (w, v) in key.iter().enumerate() {
            io.wr(reg::KEY + 4 * w as u32, *v)?;
        }
        io.put(act)?;
        io.put(pinned)?;
        io.cmd(Opcode::FlowWrite, s)?;
    }
    io.no_rejection("FLOW_WRITE")?;
    for &s in &idx {
        clear_staging(io)?;
        io.cmd(Opcode::FlowRead, s)?;
        let (key, act, pinned) = flow_pattern(s, caps.channels);
        for (w, want) in key.iter().enumerate() {
            let got = io.rd(reg::KEY + 4 * w as u32)?;
            io.expect(|| format!("flow[{s}] KEY[{w}]"), got, *want);
        }
        let got = io.rd(reg::ACTION)?;
        io.expect(|| format!("flow[{s}] ACTION"), got, act.raw());
        let got = io.rd(reg::FLOW_FLAGS)?;
        io.expect(|| format!("flow[{s}] FLOW_FLAGS"), got, pinned.raw());
        let state = io.rd(reg::FLOW_STATE)?;
        let want = FlowState::new().with_valid(true);
        io.expect(|| format!("flow[{s}] FLOW_STATE"), state, want.raw());
    }
    io.no_rejection("FLOW_READ")?;
    for &s in &idx {
        io.cmd(Opcode::FlowClear, s)?;
        io.cmd(Opcode::FlowRead, s)?;
        let state = io.rd(reg::FLOW_STATE)?;
        io.expect(
            || format!("flow[{s}] FLOW_STATE after FLOW_CLEAR"),
            FlowState::VALID.get(state),
            0,
        );
    }
    io.no_rejection("FLOW_CLEAR")?;
    io.verdict(format!(
        "{} of {} slots written, read back and cleared",
        idx.len(),
        caps.flows
    ))
}

/// Counter INDEX of `space` as (packets, bytes).
fn read_counter(io: &mut Io, space: CounterSpace, index: u32) -> Result<(u64, u64), BusError> {
    io.wr(reg::CMD_ARG, space.into())?;
    io.cmd(Opcode::CntRead, index)?;
    let lo = io.rd(reg::CNT_PKTS_LO)? as u64;
    let hi = io.rd(reg::CNT_PKTS_HI)? as u64;
    let blo = io.rd(reg::CNT_BYTES_LO)? as u64;
    let bhi = io.rd(reg::CNT_BYTES_HI)? as u64;
    Ok((hi << 32 | lo, bhi << 32 | blo))
}

/// Probes never count: after the probe check every global counter is still 0. Then every
/// counter (sampled in quick mode) is cleared with CNT_CLEAR and reads 0.
fn check_counters(io: &mut Io, opts: &Options, caps: Caps) -> CheckResult {
    let globals = GlobalCounter::ALL.len() as u32;
    for g in GlobalCounter::ALL {
        let (p, b) = read_counter(io, CounterSpace::Global, g.into())?;
        let name = g.name();
        io.expect(
            || format!("global {name} packets (probes must not count)"),
            p as u32,
            0,
        );
        io.expect(|| format!("global {name} bytes"), b as u32, 0);
    }
    let spaces = [
        (CounterSpace::Tcam, "tcam", caps.tcam),
        (CounterSpace::Flow, "flow", caps.flows),
        (CounterSpace::Channel, "channel", caps.channels),
        (CounterSpace::Global, "global", globals),
    ];
    let mut n = 0;
    for (space, name, size) in spaces {
        for i in indices(size, opts) {
            io.wr(reg::CMD_ARG, space.into())?;
            io.cmd(Opcode::CntClear, i)?;
            let (p, b) = read_counter(io, space, i)?;
            io.expect(
                || format!("{name} counter {i} packets after CNT_CLEAR"),
                (p | p >> 32) as u32,
                0,
            );
            io.expect(
                || format!("{name} counter {i} bytes after CNT_CLEAR"),
                (b | b >> 32) as u32,
                0,
            );
            n += 1;
        }
    }
    io.no_rejection("CNT_CLEAR/CNT_READ")?;
    io.verdict(format!(
        "{n} counters cleared and read 0; probes left the global counters at 0"
    ))
}
