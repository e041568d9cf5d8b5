//! The life of a flow: the slow path receives what the device does not decide from its flow
//! cache, tracks connections, lets the device's rules decide new ones, caches accepted
//! connections (both directions as one object) with the interest of every subscriber,
//! re-validates cached flows after rule changes, and ages them out with their final counters.
//! `docs/flow-life.md` describes the design and its numbers.

#![forbid(unsafe_code)]

pub mod accounting;
pub mod aging;
pub mod capture;
pub mod conntrack;
#[cfg(feature = "model")]
pub mod frames;
pub mod interest;
pub mod portscan;
pub mod replay;
pub mod session;
pub mod slowpath;
pub mod stats;
pub mod subscriber;
pub mod wire;

pub use accounting::ByteAccounting;
pub use aging::Timeouts;
pub use conntrack::{Conn, Decision, Dir, Offload, State, TcpState};
pub use interest::{HwInterest, Interest};
pub use portscan::PortScanDetector;
pub use replay::{
    replay, run, Arrival, Packet, ReplayError, ReplayOptions, ReplayReport, Speed, CLOCK_HZ,
};
pub use slowpath::{Config, Eviction, HostVerdict, SlowPath, SweepReport};
pub use stats::SlowPathStats;
pub use subscriber::{ConnEnd, EndReason, HostPacket, InterestChange, Subscriber};
pub use wire::Wire;
