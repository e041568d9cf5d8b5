//! A ready-to-run flow-life session: a simulated NIC with a [`Wire`] in front of its key port,
//! its locality table and rules loaded, and the standard slow path (conntrack plus the example
//! subscribers). `gufc replay`, `gufc trace` and `gufc stats --pcap` are thin shells over this.

use std::net::IpAddr;
use std::path::Path;

use gufc::backend::Sim;
use gufc::device::{Device, OpenOptions};
use gufc_regmap::{Action, TcamEntry};

use crate::capture::CaptureReader;
use crate::{
    replay, ByteAccounting, Config, Eviction, PortScanDetector, ReplayOptions, ReplayReport,
    SlowPath, Wire,
};

/// A simulated device with a wire in front of its key port.
pub type WiredDevice = Device<Wire<Box<dyn Sim>>>;

/// Any failure while setting a session up or running it, with its message.
pub type SessionError = Box<dyn std::error::Error>;

/// Parses `ADDR[/LEN]` for the locality table; refuses host bits set past the prefix.
pub fn parse_prefix(s: &str) -> Result<(IpAddr, u8), String> {
    let (a, l) = s.split_once('/').unwrap_or((s, ""));
    let addr: IpAddr = a.parse().map_err(|e| format!("--local '{s}': {e}"))?;
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    let len = if l.is_empty() {
        bits
    } else {
        l.parse()
            .ok()
            .filter(|&n| n <= bits)
            .ok_or_else(|| format!("--local '{s}': prefix length must be 0..={bits}"))?
    };
    Ok((addr, len))
}

/// The slow path replay and trace use: conntrack plus the two example subscribers.
/// `hw_interest`: the device carries per-flow interest (register map 1.1 and later).
pub fn slow_path(
    learn_reason: u8,
    accept_channel: u8,
    eviction: Eviction,
    hw_interest: bool,
) -> SlowPath {
    let cfg = Config {
        learn_reason,
        accept_channel,
        eviction,
        hw_interest,
        ..Config::default()
    };
    let mut slow = SlowPath::new(cfg);
    slow.subscribe(Box::new(ByteAccounting::default()));
    slow.subscribe(Box::new(PortScanDetector::default()));
    slow
}

/// Opens `sim` with a wire in front, resets it, sets `locals` (`ADDR[/LEN]`) as the locality
/// table and commits `rules` (without them: one accept-all rule delivering to channel 0).
pub fn open_wired(
    sim: Box<dyn Sim>,
    opts: OpenOptions,
    rules: Option<&[TcamEntry]>,
    locals: &[String],
) -> Result<WiredDevice, SessionError> {
    let mut dev = Device::open(Wire::new(sim), opts)?;
    dev.reset()?;
    for (i, l) in locals.iter().enumerate() {
        let (addr, len) = parse_prefix(l)?;
        dev.set_local(i as u32, addr, len, true)?;
    }
    let accept_all = [TcamEntry::match_all(0, Action::Deliver { channel: 0 })];
    dev.replace_rules(rules.unwrap_or(&accept_all))?;
    Ok(dev)
}

/// Replays `pcap` on `sim` (reset, `rules` committed, else accept-all) through the standard
/// slow path, leaving the flows in place: what `gufc trace` and `gufc stats --pcap` inspect
/// afterwards.
pub fn replay_into(
    sim: Box<dyn Sim>,
    pcap: &Path,
    rules: Option<&[TcamEntry]>,
    locals: &[String],
) -> Result<(WiredDevice, SlowPath, ReplayReport), SessionError> {
    let mut dev = open_wired(sim, OpenOptions::default(), rules, locals)?;
    let mut slow = slow_path(16, 0, Eviction::Refuse, dev.caps().version_minor >= 1);
    let reader = CaptureReader::open(pcap)?;
    let opts = ReplayOptions {
        shutdown: false,
        ..ReplayOptions::default()
    };
    let rep = replay(&mut dev, &mut slow, reader, opts)?;
    Ok((dev, slow, rep))
}
