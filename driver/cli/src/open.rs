//! Choosing and opening the device a command works on.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use gufc::backend::{Bar, Sim, SimKind, SimSpec, Traced};
use gufc::device::{Device, OpenOptions};

/// Which simulated device to build when no --device is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// The cycle-accurate Rust model (fast; the default).
    Model,
    /// The Verilated RTL (needs a build with the `rtl` feature).
    Rtl,
    /// The RTL 2.0 model (docs/timing.md "RTL 2.0"; TCAM entries a multiple of 64).
    Model2,
    /// The Verilated RTL 2.0 (`rtl` feature; a `v2_*` build: 64 or 256 entries).
    Rtl2,
}

/// Where commands run, shared by every command.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// PCI address of a gufc NIC bound to vfio-pci, e.g. 0000:01:00.0, or `vfio-user:SOCKET` for
    /// a device served over vfio-user (`gufc serve`). Without it, a simulated device is used.
    #[arg(long, global = true, value_name = "PCI-ADDR")]
    pub device: Option<String>,
    /// With --device: map sysfs resource0 instead of going through VFIO (bring-up only: no DMA
    /// isolation, root only).
    #[arg(long, global = true, requires = "device")]
    pub sysfs: bool,
    /// Open the device even if its ID or version is wrong (never if it reads all-ones).
    #[arg(long, global = true)]
    pub force: bool,
    /// Simulated device to use without --device.
    #[arg(long, global = true, value_enum, default_value = "model")]
    pub backend: BackendKind,
    /// TCAM entries of the simulated device [default: 16384 on the model, 2048 on the RTL, 1024
    /// on model2, 256 on rtl2].
    #[arg(long, global = true, value_name = "N")]
    pub tcam_entries: Option<u32>,
    /// Flow-cache buckets of the simulated device, a power of two [default: 4096 on the model,
    /// 1024 on the RTL and model2, 64 on rtl2].
    #[arg(long, global = true, value_name = "B")]
    pub flow_buckets: Option<u32>,
    /// Flow-cache ways per bucket of the simulated device.
    #[arg(long, global = true, default_value_t = 8, value_name = "W")]
    pub flow_ways: u32,
    /// Channels of the simulated device.
    #[arg(long, global = true, default_value_t = 16)]
    pub channels: u32,
    /// Log every register access to stderr.
    #[arg(long, global = true)]
    pub trace_mmio: bool,
    /// Break the simulated device in one way (tests only): all-ones, all-ones@N, wrong-id,
    /// busy-forever, lost-results.
    #[cfg(feature = "fault-injection")]
    #[arg(long, global = true, hide = true, value_name = "FAULT")]
    pub inject_fault: Option<gufc::backend::fault::Fault>,
}

/// What to write into the device before a command runs: the one way every command names a
/// rule file and local prefixes. All of it is read and checked before the first register write.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    /// Rule file to load into the device before the command runs (its `local` lines too).
    /// `--rules` is an alias that behaves identically.
    #[arg(
        long = "load",
        visible_alias = "rules",
        global = true,
        value_name = "FILE"
    )]
    pub load: Option<PathBuf>,
    /// Format of rule files read by this command [default: detected from the first rule line].
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<crate::rules::FormatArg>,
    /// Refuse rule constraints the device cannot express (ClassBench TCP flags on an RTL 1.x
    /// device, flags bits no device matches) instead of dropping them with a warning.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Clear the TCP-flag bits the device cannot match (ECE and CWR on RTL 2.0, which matches
    /// the low 6; every flag on 1.x) from a rule's value and mask, with a warning per rule and a
    /// count, instead of refusing the rule. Each such rule then matches more packets.
    #[arg(long, global = true)]
    pub drop_unmatchable_flags: bool,
    /// Mark addresses under PREFIX (ADDR[/LEN], host bits clear) local in the locality table
    /// before the command runs; repeatable.
    #[arg(long = "local", global = true, value_name = "PREFIX")]
    pub locals: Vec<String>,
}

impl Setup {
    /// Refuses `--load`/`--local` on a command that does not use them, naming the command.
    pub fn refuse(&self, command: &str, why: &str) -> Result<(), crate::error::CliError> {
        let given = match (&self.load, self.locals.is_empty()) {
            (Some(_), _) => "--load",
            (None, false) => "--local",
            (None, true) => return Ok(()),
        };
        Err(crate::error::CliError::usage(format!(
            "{given} does not apply to `{command}`: {why}"
        )))
    }
}

impl From<BackendKind> for SimKind {
    fn from(b: BackendKind) -> SimKind {
        match b {
            BackendKind::Model => SimKind::Model,
            BackendKind::Rtl => SimKind::Rtl,
            BackendKind::Model2 => SimKind::Model2,
            BackendKind::Rtl2 => SimKind::Rtl2,
        }
    }
}

impl Target {
    /// The simulated device these options describe.
    pub fn spec(&self) -> SimSpec {
        SimSpec {
            kind: self.backend.into(),
            tcam_entries: self.tcam_entries,
            flow_buckets: self.flow_buckets,
            flow_ways: self.flow_ways,
            channels: self.channels,
        }
    }

    /// Builds the simulated device (model or RTL), reset and ready.
    pub fn sim(&self) -> Result<Box<dyn Sim>, Box<dyn std::error::Error>> {
        if let Some(addr) = &self.device {
            return Err(format!("{addr}: this command needs a simulated device (packets are pushed into its key port); run it without --device").into());
        }
        // Large simulated tables take a while to build (over a second at the maximum sizes).
        let spin = crate::progress::spinner(
            format!("building the simulated device ({:?})", self.backend),
            false,
        );
        let sim = self.spec().build().map_err(|e| e.to_string())?;
        spin.finish_and_clear();
        #[cfg(feature = "fault-injection")]
        let sim: Box<dyn Sim> = match self.inject_fault {
            Some(f) => Box::new(gufc::backend::fault::Faulty::new(sim, f)),
            None => sim,
        };
        Ok(if self.trace_mmio {
            Box::new(Traced::new(sim, Box::new(std::io::stderr())))
        } else {
            sim
        })
    }

    /// The open options these flags ask for.
    pub fn opts(&self) -> OpenOptions {
        OpenOptions { force: self.force }
    }

    /// Opens the device commands talk to without writing anything: the PCI function, or a
    /// fresh simulated device (to be reset by the caller before use).
    pub fn open_unreset(&self) -> Result<Device<Box<dyn Bar>>, Box<dyn std::error::Error>> {
        let Some(addr) = &self.device else {
            let sim: Box<dyn Bar> = self.sim()?;
            return Ok(Device::open(sim, self.opts())?);
        };
        let bar = match addr.strip_prefix("vfio-user:") {
            Some(_) if self.sysfs => {
                return Err(format!("--sysfs does not apply to --device {addr}").into())
            }
            Some(socket) => vfio_user_bar(socket, self.force)?,
            None => crate::pci::hw_bar(
                &gufc::pci::SysfsRoot::default(),
                addr,
                self.sysfs,
                self.force,
            )?,
        };
        let bar: Box<dyn Bar> = if self.trace_mmio {
            Box::new(Traced::new(bar, Box::new(std::io::stderr())))
        } else {
            bar
        };
        let dev = Device::open(bar, self.opts())?;
        for w in &dev.warnings {
            crate::progress::warn(format!("warning: {w}"));
        }
        Ok(dev)
    }
}

/// BAR0 of a device served over vfio-user at `socket`.
#[cfg(target_os = "linux")]
fn vfio_user_bar(socket: &str, force: bool) -> Result<Box<dyn Bar>, Box<dyn std::error::Error>> {
    if socket.is_empty() {
        return Err("--device vfio-user: names no socket (vfio-user:PATH)".into());
    }
    let bar = gufc::vfio_user::VfioUserBar::open(std::path::Path::new(socket), force)?;
    Ok(Box::new(bar))
}

#[cfg(not(target_os = "linux"))]
fn vfio_user_bar(socket: &str, _: bool) -> Result<Box<dyn Bar>, Box<dyn std::error::Error>> {
    Err(format!("vfio-user:{socket}: vfio-user needs Linux").into())
}
