//! Choosing and opening the device a command works on.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::backend::{Bar, Sim, Traced};
use crate::device::{Device, OpenOptions};

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

impl Target {
    /// TCAM entries of the simulated device. The RTL's default is its largest build (Verilog
    /// parameters are fixed when it is Verilated).
    pub fn tcam_entries(&self) -> u32 {
        self.tcam_entries
            .unwrap_or(if self.backend == BackendKind::Rtl {
                2048
            } else {
                16384
            })
    }

    pub fn flow_buckets(&self) -> u32 {
        self.flow_buckets
            .unwrap_or(if self.backend == BackendKind::Rtl {
                1024
            } else {
                4096
            })
    }

    #[cfg(feature = "model")]
    fn model_config(&self) -> gufc_hw_model::Config {
        gufc_hw_model::Config {
            tcam_entries: self.tcam_entries(),
            flow_buckets: self.flow_buckets(),
            flow_ways: self.flow_ways,
            channels: self.channels,
            ..gufc_hw_model::Config::default()
        }
    }

    /// Builds the simulated device (model or RTL), reset and ready.
    pub fn sim(&self) -> Result<Box<dyn Sim>, Box<dyn std::error::Error>> {
        if let Some(addr) = &self.device {
            return Err(format!("{addr}: this command needs a simulated device (packets are pushed into its key port); run it without --device").into());
        }
        let sim: Box<dyn Sim> = match self.backend {
            #[cfg(feature = "model")]
            BackendKind::Model => Box::new(crate::backend::ModelBar::new(self.model_config())?),
            #[cfg(feature = "rtl")]
            BackendKind::Rtl => Box::new(crate::backend::RtlBar::new(self.model_config())?),
            #[allow(unreachable_patterns)]
            other => {
                return Err(format!(
                    "backend {other:?} is not built into this gufc (cargo feature missing)"
                )
                .into())
            }
        };
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
        let bar = super::pci::hw_bar(
            &crate::pci::SysfsRoot::default(),
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
            let loaded = super::rules::load_file(path, None, false)?;
            dev.replace_rules(&loaded.compiled.entries)?;
        }
        Ok(())
    }
}
