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
}

/// Where commands run, shared by every command.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// PCI address of a gufc NIC bound to vfio-pci, e.g. 0000:01:00.0. Without it, a simulated
    /// device is used.
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
    /// TCAM entries of the simulated device [default: 16384 on the model, 2048 on the RTL].
    #[arg(long, global = true, value_name = "N")]
    pub tcam_entries: Option<u32>,
    /// Flow-cache buckets of the simulated device, a power of two [default: 4096 on the model,
    /// 1024 on the RTL].
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
    /// Load this rule file into the device before the command runs.
    #[arg(long, value_name = "FILE")]
    pub load: Option<PathBuf>,
}

impl From<BackendKind> for SimKind {
    fn from(b: BackendKind) -> SimKind {
        match b {
            BackendKind::Model => SimKind::Model,
            BackendKind::Rtl => SimKind::Rtl,
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
        let sim = self.spec().build().map_err(|e| e.to_string())?;
        Ok(if self.trace_mmio {
            Box::new(Traced::new(sim, Box::new(std::io::stderr())))
        } else {
            sim
        })
    }

    fn opts(&self) -> OpenOptions {
        OpenOptions { force: self.force }
    }

    /// Opens the simulated device and loads `--load`.
    pub fn open_sim(&self) -> Result<Device<Box<dyn Sim>>, Box<dyn std::error::Error>> {
        let mut dev = Device::open(self.sim()?, self.opts())?;
        dev.reset()?;
        self.preload(&mut dev)?;
        Ok(dev)
    }

    /// Opens the device commands talk to: the PCI function, or a fresh simulated device.
    pub fn open(&self) -> Result<Device<Box<dyn Bar>>, Box<dyn std::error::Error>> {
        let Some(addr) = &self.device else {
            let sim: Box<dyn Bar> = self.sim()?;
            let mut dev = Device::open(sim, self.opts())?;
            dev.reset()?;
            self.preload(&mut dev)?;
            return Ok(dev);
        };
        let bar = crate::pci::hw_bar(
            &gufc::pci::SysfsRoot::default(),
            addr,
            self.sysfs,
            self.force,
        )?;
        let bar: Box<dyn Bar> = if self.trace_mmio {
            Box::new(Traced::new(bar, Box::new(std::io::stderr())))
        } else {
            bar
        };
        let mut dev = Device::open(bar, self.opts())?;
        for w in &dev.warnings {
            eprintln!("gufc: warning: {w}");
        }
        self.preload(&mut dev)?;
        Ok(dev)
    }

    fn preload<B: Bar>(&self, dev: &mut Device<B>) -> Result<(), Box<dyn std::error::Error>> {
        if let Some(path) = &self.load {
            let loaded = crate::rules::load_file(path, None, false)?;
            dev.replace_rules(&loaded.compiled.entries)?;
        }
        Ok(())
    }
}
