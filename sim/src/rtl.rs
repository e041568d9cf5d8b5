//! [`Rtl`]: one Verilated configuration of `gufc_top`, stepped one rising edge at a time.

use std::ops::Range;
use std::path::{Path, PathBuf};

use gufc_regmap::{
    device, key, word, Action, CycleIn, CycleOut, HitKind, LookupResult, Mmio, ResPorts,
};

use crate::ffi::{self, Instance, RtlIo};
use crate::Config;

/// Why an [`Rtl`] could not be made.
#[derive(Debug)]
pub enum RtlError {
    /// Verilog parameters are fixed at build time; this configuration was not Verilated.
    NotBuilt {
        /// The configuration asked for.
        requested: Config,
        /// The configurations this build has ([`Rtl::available`]).
        available: Vec<Config>,
    },
    /// The waveform file could not be opened.
    Trace {
        /// The VCD file asked for.
        path: PathBuf,
        /// The shim's code: -1 instance not traceable or already tracing, -2 the file did
        /// not open, -3 the path contains a NUL byte.
        code: i32,
    },
}

impl std::fmt::Display for RtlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RtlError::NotBuilt {
                requested,
                available,
            } => {
                write!(
                    f,
                    "no Verilated RTL for {}; built configurations:",
                    describe(requested)
                )?;
                for c in available {
                    write!(f, " [{}]", describe(c))?;
                }
                write!(f, " (add it to CONFIGS in sim/build.rs)")
            }
            RtlError::Trace { path, code } => {
                write!(
                    f,
                    "cannot write waveform {} (shim code {code})",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for RtlError {}

/// The Verilated RTL. Construction applies one reset edge (two for 2.0, whose core is reset an
/// edge later; not counted by [`Rtl::cycle`]), so the device starts in its reset state like the
/// model does.
pub struct Rtl {
    inst: Instance,
    built: &'static ffi::Built,
    cycle: u64,
    io: RtlIo,
    /// Cycles (by [`Rtl::cycle`] before the step) written to the open waveform.
    window: Option<Range<u64>>,
    /// Bits ORed into the META word of the next key on the port (see [`Rtl::set_key_meta_noise`]).
    meta_noise: u32,
}

impl Rtl {
    /// The configuration `config`, if it was Verilated into this build.
    pub fn new(config: Config) -> Result<Rtl, RtlError> {
        Rtl::of(Design::V1, config)
    }

    /// Configuration `config` of `design`, if it was Verilated into this build.
    pub fn of(design: Design, config: Config) -> Result<Rtl, RtlError> {
        Ok(Rtl::make(find(design, config)?, false))
    }

    /// Like [`Rtl::new`], and writes the cycles in `window` to a VCD file at `path` (the
    /// waveform is written as the cycles run; it is complete once the window has passed or the
    /// `Rtl` is dropped).
    pub fn with_trace(config: Config, path: &Path, window: Range<u64>) -> Result<Rtl, RtlError> {
        Rtl::traced(Design::V1, config, path, window)
    }

    /// Like [`Rtl::of`], with the cycles in `window` written to a VCD file at `path`.
    pub fn traced(
        design: Design,
        config: Config,
        path: &Path,
        window: Range<u64>,
    ) -> Result<Rtl, RtlError> {
        let mut rtl = Rtl::make(find(design, config)?, true);
        rtl.inst.trace_open(path).map_err(|code| RtlError::Trace {
            path: path.to_path_buf(),
            code,
        })?;
        rtl.window = Some(window);
        Ok(rtl)
    }

    /// Every configuration Verilated into this build.
    pub fn available() -> Vec<Config> {
        Rtl::built(Design::V1)
    }

    /// Every configuration of `design` Verilated into this build.
    pub fn built(design: Design) -> Vec<Config> {
        ffi::built()
            .iter()
            .filter(|b| b.v2 == (design == Design::V2))
            .map(|b| b.config.clone())
            .collect()
    }

    fn make(built: &'static ffi::Built, traceable: bool) -> Rtl {
        let mut inst = Instance::new(built, traceable);
        let mut io = RtlIo::default();
        if built.v2 {
            // 2.0 resets its core one edge after the register block (a registered reset): a
            // second reset edge, so the core starts from its reset state too, as
            // `gufc_hw_model::v2::top::Top::new` does.
            io.rst = 1;
            inst.step(&mut io);
            io = RtlIo::default();
        }
        Rtl {
            inst,
            built,
            cycle: 0,
            io,
            window: None,
            meta_noise: 0,
        }
    }

    /// The parameters this configuration was Verilated with.
    pub fn config(&self) -> &Config {
        &self.built.config
    }

    /// The build name of this configuration (`Vgufc_<name>`).
    pub fn name(&self) -> &'static str {
        self.built.name
    }

    /// Rising edges stepped since construction.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// Sets `bits` in the META word of the key offered at the next [`Rtl::step`] (that step
    /// only). The typed [`KeyIn`](gufc_regmap::KeyIn) cannot carry META's reserved bits, which
    /// the key port must ignore (docs/timing.md); this puts them on the port so a test can check
    /// that the RTL does.
    pub fn set_key_meta_noise(&mut self, bits: u32) {
        self.meta_noise = bits;
    }

    /// The `res_*` ports during the last stepped cycle (before its edge), whatever `res_valid`.
    pub fn res_ports(&self) -> ResPorts {
        let io = &self.io;
        ResPorts {
            verdict: io.res_verdict,
            channel: io.res_channel,
            reason: io.res_reason,
            kind: io.res_kind,
            stale: io.res_stale,
            src_local: io.res_src_local,
            dst_local: io.res_dst_local,
            index: io.res_index,
            len: io.res_len,
            tag: io.res_tag,
        }
    }

    /// One rising edge. The MMIO port carries 12 address bits (BAR0 is `device::BAR0_SIZE`
    /// bytes), so higher offset bits are dropped, as on the device.
    pub fn step(&mut self, input: &CycleIn) -> CycleOut {
        let io = &mut self.io;
        io.rst = input.rst as u32;
        let (valid, write, addr, data) = match input.mmio {
            None => (0, 0, 0, 0),
            Some(Mmio::Read { addr }) => (1, 0, addr, 0),
            Some(Mmio::Write { addr, data }) => (1, 1, addr, data),
        };
        io.mmio_valid = valid;
        io.mmio_write = write;
        io.mmio_addr = addr & (device::BAR0_SIZE - 1);
        io.mmio_wdata = data;
        match &input.key {
            Some(k) => {
                io.key_valid = 1;
                io.key_data = k.key.words();
                io.key_data[key::META] |= std::mem::take(&mut self.meta_noise);
                io.key_len = k.len as u32;
                io.key_tag = k.tag;
                io.key_flags = k.tcp_flags as u32;
            }
            None => io.key_valid = 0,
        }
        io.res_ready = input.res_ready as u32;
        let dump = self.window.as_ref().map(|w| w.contains(&self.cycle));
        io.dump = dump.unwrap_or(false) as u32;

        self.inst.step(io);
        self.cycle += 1;
        if let Some(w) = &self.window {
            if self.cycle >= w.end {
                self.inst.trace_close();
                self.window = None;
            }
        }

        let io = &self.io;
        let res_valid = io.res_valid != 0;
        let key_ready = io.key_ready != 0;
        CycleOut {
            rdata: io.mmio_rdata,
            key_ready,
            res_valid,
            accepted: input.key.is_some() && key_ready,
            result: (res_valid && input.res_ready).then(|| result_of(io)),
        }
    }
}

/// The result on the `res_*` ports. Panics on encodings the RTL must never produce (verdict 3,
/// kind 3), naming them, so a broken RTL cannot pass as a plausible result.
fn result_of(io: &RtlIo) -> LookupResult {
    // The res_verdict/channel/reason ports are the action word's fields.
    use word::Action as A;
    let raw = A::VERDICT.put(io.res_verdict)
        | A::CHANNEL.put(io.res_channel)
        | A::REASON.put(io.res_reason);
    let action = Action::decode(A::from_raw(raw)).unwrap_or_else(|e| panic!("RTL result: {e}"));
    let kind = HitKind::from_bits(io.res_kind)
        .unwrap_or_else(|| panic!("RTL result has an undefined kind {}", io.res_kind));
    LookupResult {
        action,
        kind,
        index: io.res_index,
        stale: io.res_stale != 0,
        src_local: io.res_src_local != 0,
        dst_local: io.res_dst_local != 0,
        len: io.res_len as u16,
        tag: io.res_tag,
    }
}

fn find(design: Design, config: Config) -> Result<&'static ffi::Built, RtlError> {
    ffi::built()
        .iter()
        .find(|b| b.config == config && b.v2 == (design == Design::V2))
        .ok_or_else(|| RtlError::NotBuilt {
            requested: config,
            available: Rtl::built(design),
        })
}

/// Which RTL: 1.x (rtl/gufc_top.v) or 2.0 (rtl/v2/gufc_top.v); both have the same ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// The 1.x functional reference (flip-flop tables, four-stage pipeline).
    V1,
    /// RTL 2.0 (RAM TCAM, block-RAM flow cache and counters).
    V2,
}

/// "N=256 B=64 W=4 channels=16 L=8".
pub fn describe(c: &Config) -> String {
    format!(
        "N={} B={} W={} channels={} L={}",
        c.tcam_entries, c.flow_buckets, c.flow_ways, c.channels, c.local_entries
    )
}
