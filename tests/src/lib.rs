//! Shared fixtures of the conformance suite: the backends every case runs on, and the paths of
//! the test data.

#![forbid(unsafe_code)]

use std::path::PathBuf;

use gufc::backend::{Sim, SimKind, SimSpec};
use gufc::{Device, OpenOptions};
use gufc_hw_model::Config;

#[cfg(target_os = "linux")]
pub mod served;

/// A simulated device to run a case on.
pub struct Backend {
    /// `model` or `rtl`, for failure messages.
    pub name: &'static str,
    /// Builds the backend for a configuration (panics if it cannot: a test setup error).
    pub make: fn(Config) -> Box<dyn Sim>,
}

fn model(c: Config) -> Box<dyn Sim> {
    Box::new(gufc::backend::ModelBar::new(c).expect("valid model config"))
}

#[cfg(feature = "rtl")]
fn rtl(c: Config) -> Box<dyn Sim> {
    Box::new(gufc::backend::RtlBar::new(c).expect("an RTL build with this configuration"))
}

#[cfg(target_os = "linux")]
fn vfio_user(c: Config) -> Box<dyn Sim> {
    Box::new(served::serve(c))
}

/// Every backend built into this test binary: the model always, the model served over
/// vfio-user on Linux, the RTL with feature `rtl`.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend {
        name: "model",
        make: model,
    }];
    #[cfg(target_os = "linux")]
    all.push(Backend {
        name: "vfio-user",
        make: vfio_user,
    });
    #[cfg(feature = "rtl")]
    all.push(Backend {
        name: "rtl",
        make: rtl,
    });
    all
}

fn model2(c: Config) -> Box<dyn Sim> {
    Box::new(gufc::backend::Model2Bar::new(c).expect("valid 2.0 model config"))
}

#[cfg(feature = "rtl")]
fn rtl2(c: Config) -> Box<dyn Sim> {
    let b = gufc::backend::RtlBar::v2(c.tcam_entries, c.flow_buckets);
    Box::new(b.expect("an RTL 2.0 build with this configuration"))
}

/// The RTL 2.0 backends built into this test binary: its model always, the Verilated 2.0 RTL
/// with feature `rtl` (configurations `v2_*` of sim/build.rs).
pub fn v2_backends() -> Vec<Backend> {
    #[allow(unused_mut)]
    let mut all = vec![Backend {
        name: "model2",
        make: model2,
    }];
    #[cfg(feature = "rtl")]
    all.push(Backend {
        name: "rtl2",
        make: rtl2,
    });
    all
}

/// sim/build.rs's `v2_small`: the 2.0 configuration every 2.0 backend is built with.
pub fn v2_small_config() -> Config {
    Config {
        tcam_entries: 64,
        flow_buckets: 16,
        flow_ways: 2,
        channels: 8,
        local_entries: 4,
    }
}

/// A small configuration every backend is built with (the RTL's test build uses it too).
pub fn small_config() -> Config {
    Config {
        tcam_entries: 64,
        flow_buckets: 4,
        flow_ways: 2,
        channels: 8,
        local_entries: 4,
    }
}

/// `tests/data/…` in the repository.
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(rel)
}

/// `examples/…` in the repository.
pub fn example(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(rel)
}

/// The simulated backends built into this test binary.
pub fn sim_kinds() -> Vec<SimKind> {
    let model = SimKind::Model;
    #[cfg(feature = "rtl")]
    return vec![model, SimKind::Rtl];
    #[cfg(not(feature = "rtl"))]
    vec![model]
}

/// A fresh, reset device of `kind` with this geometry (8 ways, 16 channels).
pub fn open(kind: SimKind, tcam_entries: u32, flow_buckets: u32) -> Device<Box<dyn Sim>> {
    let sim = SimSpec::new(kind, tcam_entries, flow_buckets)
        .build()
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    ready(sim)
}

/// [`open`]'s model with this geometry, served over vfio-user (see [`served`]).
#[cfg(target_os = "linux")]
pub fn open_served(tcam_entries: u32, flow_buckets: u32) -> Device<Box<dyn Sim>> {
    let spec = SimSpec::new(SimKind::Model, tcam_entries, flow_buckets);
    ready(Box::new(served::serve(spec.config())))
}

fn ready(sim: Box<dyn Sim>) -> Device<Box<dyn Sim>> {
    let mut dev = Device::open(sim, OpenOptions::default()).expect("a gufc device");
    dev.reset().expect("reset");
    dev
}
