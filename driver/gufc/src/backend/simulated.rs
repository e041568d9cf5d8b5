//! Building a simulated device — the model or the Verilated RTL — from a geometry.

use super::Sim;

/// Which simulation stands in for the NIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimKind {
    /// The cycle-accurate Rust model (fast; the default).
    Model,
    /// The Verilated RTL (needs the `rtl` feature).
    Rtl,
    /// The RTL 2.0 model (`gufc_hw_model::v2::top::Top`): index-ordered TCAM, checkers,
    /// protocol classes, STATUS.BUSY; TCAM entries a multiple of 64.
    Model2,
    /// The Verilated RTL 2.0 (`rtl` feature): one of sim/build.rs's `v2_*` builds, chosen by
    /// TCAM entries and buckets; its ways, channels and locality entries are the build's.
    Rtl2,
}

/// A simulated device's kind and geometry. Sizes left `None` take the kind's default: the RTL's
/// is its largest build, since Verilog parameters are fixed when it is Verilated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimSpec {
    /// Model or RTL.
    pub kind: SimKind,
    /// TCAM entries N (default 16384 on the model, 2048 on the RTL).
    pub tcam_entries: Option<u32>,
    /// Flow-cache buckets B, a power of two (default 4096 on the model, 1024 on the RTL).
    pub flow_buckets: Option<u32>,
    /// Flow-cache ways per bucket.
    pub flow_ways: u32,
    /// Channels.
    pub channels: u32,
}

impl Default for SimSpec {
    fn default() -> Self {
        SimSpec {
            kind: SimKind::Model,
            tcam_entries: None,
            flow_buckets: None,
            flow_ways: 8,
            channels: 16,
        }
    }
}

impl SimSpec {
    /// The model with this exact geometry.
    pub fn new(kind: SimKind, tcam_entries: u32, flow_buckets: u32) -> SimSpec {
        SimSpec {
            kind,
            tcam_entries: Some(tcam_entries),
            flow_buckets: Some(flow_buckets),
            ..SimSpec::default()
        }
    }

    /// TCAM entries of the device this builds.
    pub fn tcam_entries(&self) -> u32 {
        self.tcam_entries.unwrap_or(match self.kind {
            SimKind::Model => 16384,
            SimKind::Rtl => 2048,
            SimKind::Model2 => 1024,
            SimKind::Rtl2 => 256,
        })
    }

    /// Flow-cache buckets of the device this builds.
    pub fn flow_buckets(&self) -> u32 {
        self.flow_buckets.unwrap_or(match self.kind {
            SimKind::Model => 4096,
            SimKind::Rtl => 1024,
            SimKind::Model2 => 1024,
            SimKind::Rtl2 => 64,
        })
    }

    /// The device description both simulations take.
    #[cfg(any(feature = "model", feature = "rtl"))]
    pub fn config(&self) -> gufc_hw_model::Config {
        gufc_hw_model::Config {
            tcam_entries: self.tcam_entries(),
            flow_buckets: self.flow_buckets(),
            flow_ways: self.flow_ways,
            channels: self.channels,
            ..gufc_hw_model::Config::default()
        }
    }

    /// Builds the simulated device, reset and ready.
    pub fn build(&self) -> Result<Box<dyn Sim>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(match self.kind {
            #[cfg(feature = "model")]
            SimKind::Model => Box::new(super::ModelBar::new(self.config())?),
            #[cfg(feature = "rtl")]
            SimKind::Rtl => Box::new(super::RtlBar::new(self.config())?),
            #[cfg(feature = "model")]
            SimKind::Model2 => Box::new(super::Model2Bar::new(self.config())?),
            #[cfg(feature = "rtl")]
            SimKind::Rtl2 => Box::new(super::RtlBar::v2(self.tcam_entries(), self.flow_buckets())?),
            #[allow(unreachable_patterns)]
            other => {
                return Err(format!(
                    "backend {other:?} is not built into this gufc (cargo feature missing)"
                )
                .into())
            }
        })
    }
}
