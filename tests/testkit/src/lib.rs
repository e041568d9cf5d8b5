//! Test scaffolding shared by gufc's suites, so each suite states its case and not its setup:
//! fake sysfs trees ([`fake_sysfs`]), flow-life setups on a wired model NIC ([`flowlife`]) and
//! the synthetic capture generator that made the shipped captures ([`mod@generate`]).

#![forbid(unsafe_code)]

pub mod fake_sysfs;
pub mod flowlife;
pub mod generate;

pub use generate::{generate, GenOptions, GenSummary};

use std::path::PathBuf;

/// `rel` in the repository (for test data, examples and docs), wherever the test runs from.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(rel)
}

/// `tests/data/rel` in the repository.
pub fn data(rel: &str) -> PathBuf {
    repo("tests/data").join(rel)
}
