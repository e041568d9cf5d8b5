//! `gufc replay`: a pcap/pcapng capture through a model NIC whose slow path learns flows.
//!
//! Without `--load` the device holds one accept-all rule delivering to channel 0; the slow
//! path sees the first packets of each connection (delivered by the rule), learns TCP at the
//! end of the handshake and UDP/ICMP at the first reply, and caches both directions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args as ClapArgs, ValueEnum};

use crate::error::CliError;
use crate::session::{fresh, load_rules, prepare_loaded, rule_target, Origins, Prepared};
use crate::{outln, output, progress, shown, CliResult, Session, Setup};
use gufc::device::Device;
use gufc::rules::{Loaded, RuleSet, RuleStage};
use gufc_flowlife::capture::CaptureReader;
use gufc_flowlife::session::{slow_path, WiredDevice};
use gufc_flowlife::{
    self as flowlife, Eviction, ReplayOptions, ReplayReport, SlowPath, Speed, Wire,
};
use gufc_regmap::{Action, TcamEntry};

/// `--eviction`: the slow path's [`Eviction`] policy on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EvictionArg {
    /// Leave a connection uncached when its buckets are full (counted as refused).
    Refuse,
    /// Evict the idlest connection from the full buckets.
    EvictIdlest,
}

/// Options of `gufc replay`: the capture, the device set-up and the slow path's policy.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Capture to replay (pcap or pcapng: Ethernet, VLAN, Linux SLL, raw IP).
    #[arg(long, value_name = "FILE")]
    pub pcap: PathBuf,
    /// A factor of the capture's own timing on a 250 MHz device clock (`1` = as captured,
    /// `10x` = ten times faster), or `max`: back to back, one packet per cycle [default: 1].
    /// With --packet-path only `max` (frames back to back as the NIC takes them); without it
    /// each frame is delivered before the next is sent.
    #[arg(long)]
    pub speed: Option<Speed>,
    /// Slow-path reason with which rules ask conntrack to decide a new connection.
    #[arg(long, default_value_t = 16)]
    pub learn_reason: u8,
    /// Channel of connections accepted under the learn reason.
    #[arg(long, default_value_t = 0)]
    pub accept_channel: u8,
    /// What to do when a flow's buckets are full.
    #[arg(long, value_enum, default_value = "refuse")]
    pub eviction: EvictionArg,
    /// Seconds of capture time between aging/re-validation sweeps.
    #[arg(long, default_value_t = 1.0)]
    pub sweep_interval: f64,
    /// Feed the capture's frames into the simulated NIC's receive port (RTL 2.0 model: parser,
    /// classifier, DMA into per-channel receive queues; docs/nic.md) instead of host-built keys.
    /// The conntrack slow path takes what the host receives and learns connections into the
    /// NIC's flow cache; each frame is delivered before the next is sent.
    #[arg(long)]
    pub packet_path: bool,
    /// With --packet-path: write what each queue received to DIR/channel-N.pcap and
    /// DIR/slow-path.pcap.
    #[arg(long, value_name = "DIR", requires = "packet_path")]
    pub out: Option<PathBuf>,
}

/// `name: count, …`, or `none`.
pub(crate) fn counts(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        "none".into()
    } else {
        m.iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) fn eviction(e: EvictionArg) -> Eviction {
    match e {
        EvictionArg::Refuse => Eviction::Refuse,
        EvictionArg::EvictIdlest => Eviction::EvictIdlest,
    }
}

/// The rules `--load` names, else one accept-all rule delivering to channel 0.
pub(crate) fn rules_or_accept_all(setup: &Setup, target: RuleStage) -> Result<Prepared, CliError> {
    let loaded = match &setup.load {
        Some(p) => load_rules(p, setup, target)?,
        None => {
            let loc = gufc::rules::Loc::new("(built-in accept-all)", 1, 1);
            let rule = gufc::rules::Rule::any(Action::Deliver { channel: 0 }, loc.clone());
            let set = RuleSet {
                rules: vec![rule],
                ..RuleSet::default()
            };
            let compiled = gufc::rules::compile(&set).map_err(gufc::rules::RuleErrors::from)?;
            debug_assert_eq!(
                compiled.entries,
                [TcamEntry::match_all(
                    u16::MAX,
                    Action::Deliver { channel: 0 }
                )]
            );
            Loaded { set, compiled }
        }
    };
    prepare_loaded(Some(loaded), setup)
}

/// Opens a fresh simulated device with a wire in front of its key port; checks `setup` (and
/// `check`, on the device's capabilities) before resetting it and writing the rules.
pub(crate) fn open_wired(
    sess: &mut Session,
    setup: &Setup,
    check: impl FnOnce(&gufc::device::Caps) -> Result<(), CliError>,
) -> Result<(WiredDevice, Origins), CliError> {
    // Opened first (no writes): a 2.0 device's rule stage also matches TCP flags.
    let dev = Device::open(Wire::new(sess.target.sim()?), sess.target.opts())?;
    let p = rules_or_accept_all(setup, rule_target(dev.caps()))?;
    check(dev.caps())?;
    // The command's own device: its rule sources are returned, not kept in the run's session.
    let mut origins = None;
    let dev = fresh(dev, &p, &mut origins)?.0;
    Ok((dev, origins))
}

/// Replays `pcap` on a fresh wired device through the standard slow path, leaving the flows
/// in place: what `gufc trace --pcap` and `gufc stats --pcap` inspect afterwards.
pub fn replay_into(
    sess: &mut Session,
    setup: &Setup,
    pcap: &Path,
) -> Result<(WiredDevice, SlowPath, ReplayReport, Origins), CliError> {
    let (mut dev, origins) = open_wired(sess, setup, |_| Ok(()))?;
    let mut slow = slow_path(16, 0, Eviction::Refuse, dev.caps().version_minor >= 1);
    let reader = CaptureReader::open(pcap)
        .map_err(|e| CliError::from(Box::new(e) as Box<dyn std::error::Error>))?;
    let opts = ReplayOptions {
        shutdown: false,
        ..ReplayOptions::default()
    };
    let rep = flowlife::replay(&mut dev, &mut slow, reader, opts)
        .map_err(|e| CliError::from(Box::new(e) as Box<dyn std::error::Error>))?;
    Ok((dev, slow, rep, origins))
}

/// Replays the capture and prints the [`ReplayReport`] with wall time and packet rate.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    if a.sweep_interval.is_nan() || a.sweep_interval <= 0.0 {
        return Err(CliError::usage(
            "--sweep-interval must be a positive number of seconds",
        ));
    }
    if a.packet_path {
        #[cfg(feature = "model")]
        return crate::packet_path::run(sess, setup, &a);
        #[cfg(not(feature = "model"))]
        return Err(CliError::usage(
            "--packet-path runs on the NIC model: this gufc is built without the `model` feature",
        ));
    }
    let json = sess.json;
    let accept = a.accept_channel;
    let (mut dev, _) = open_wired(sess, setup, |caps| {
        if accept as u32 >= caps.channels {
            return Err(CliError::usage(format!(
                "--accept-channel {accept}: the device has {} channels (0..={})",
                caps.channels,
                caps.channels - 1
            )));
        }
        Ok(())
    })?;
    let mut slow = slow_path(
        a.learn_reason,
        a.accept_channel,
        eviction(a.eviction),
        dev.caps().version_minor >= 1,
    );
    let reader = CaptureReader::open(&a.pcap)
        .map_err(|e| CliError::from(Box::new(e) as Box<dyn std::error::Error>))?;
    let size = std::fs::metadata(&a.pcap).map(|m| m.len()).unwrap_or(0);
    let bar = progress::bar(size, true, json);
    let mut on_progress = |pos: u64, pkts: u64| {
        bar.set_position(pos);
        bar.set_message(format!("{pkts} packets"));
    };
    let opts = ReplayOptions {
        speed: a.speed.unwrap_or(Speed::Scaled(1.0)),
        sweep_interval_ns: (a.sweep_interval * 1e9) as u64,
        progress: Some(&mut on_progress),
        shutdown: true,
    };
    let t = Instant::now();
    let rep = flowlife::replay(&mut dev, &mut slow, reader, opts)
        .map_err(|e| CliError::from(Box::new(e) as Box<dyn std::error::Error>))?;
    let wall = t.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let pps = rep.packets_total as f64 / wall.max(1e-9);
    if json {
        let mut v = output::value(&rep);
        v["capture"] = shown(&a.pcap).into();
        v["wall_seconds"] = wall.into();
        v["packets_per_second"] = pps.into();
        output::json("replay", v)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}: {} records ({} non-IP, {} truncated, {} malformed) replayed in {:.2} s ({:.0} packets/s)", shown(&a.pcap), rep.packets_total, rep.non_ip, rep.truncated, rep.malformed, wall, pps);
    outln!(
        "device: {} lookups in {} cycles = {:.3} lookups/cycle; flow-cache hit rate {:.1}%",
        rep.lookups,
        rep.cycles,
        rep.lookups_per_cycle,
        100.0 * rep.hit_rate
    );
    outln!(
        "verdicts: channels {{{}}}, dropped {}, slow path {{{}}}",
        counts(&rep.channels),
        rep.dropped,
        counts(&rep.slow_path)
    );
    outln!(
        "flows: {} learned, {} expired, {} still tracked; {} cache hits",
        rep.flows_learned,
        rep.flows_expired,
        rep.flows_active,
        rep.cache_hits
    );
    let curve: Vec<String> = rep
        .hit_rate_over_time
        .iter()
        .map(|p| format!("{:.0}%", 100.0 * p.hit_rate))
        .collect();
    outln!("hit rate over time: {}", curve.join(" "));
    for l in rep.host.lines() {
        outln!("{l}");
    }
    for (name, r) in &rep.subscribers {
        outln!("subscriber {name}: {r}");
    }
    Ok(ExitCode::SUCCESS)
}
