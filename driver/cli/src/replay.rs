//! `gufc replay`: a pcap/pcapng capture through a model NIC whose slow path learns flows.
//!
//! Without `--rules` the device holds one accept-all rule delivering to channel 0; the slow
//! path sees the first packets of each connection (delivered by the rule), learns TCP at the
//! end of the handshake and UDP/ICMP at the first reply, and caches both directions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args as ClapArgs, ValueEnum};

use crate::rules::load_file;
use crate::{output, progress, shown, CliResult, Target};
use gufc::device::OpenOptions;
use gufc_flowlife::capture::CaptureReader;
use gufc_flowlife::session::{self, slow_path, WiredDevice};
use gufc_flowlife::{self as flowlife, Eviction, ReplayOptions, ReplayReport, SlowPath, Speed};
use gufc_regmap::TcamEntry;

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
    /// Rule file; without it every connection is accepted to channel 0.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// A factor of the capture's own timing on a 250 MHz device clock (`1` = as captured,
    /// `10x` = ten times faster), or `max`: back to back, one packet per cycle.
    #[arg(long, default_value = "1")]
    pub speed: Speed,
    /// Addresses the locality table marks local (for rules with src-local/dst-local).
    #[arg(long = "local", value_name = "PREFIX")]
    pub locals: Vec<String>,
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
}

/// The rule file's entries, if one is named (warnings to stderr).
fn entries(rules: Option<&Path>) -> Result<Option<Vec<TcamEntry>>, Box<dyn std::error::Error>> {
    Ok(match rules {
        Some(path) => Some(load_file(path, None, false)?.compiled.entries),
        None => None,
    })
}

/// Opens the simulated device of `target` with a wire in front, loads locals and rules.
pub(crate) fn open_wired(
    target: &Target,
    rules: Option<&Path>,
    locals: &[String],
) -> Result<WiredDevice, Box<dyn std::error::Error>> {
    let opts = OpenOptions {
        force: target.force,
    };
    session::open_wired(target.sim()?, opts, entries(rules)?.as_deref(), locals)
}

/// [`session::replay_into`] on the simulated device of `target`.
pub fn replay_into(
    target: &Target,
    pcap: &Path,
    rules: Option<&Path>,
    locals: &[String],
) -> Result<(WiredDevice, SlowPath, ReplayReport), Box<dyn std::error::Error>> {
    session::replay_into(target.sim()?, pcap, entries(rules)?.as_deref(), locals)
}

/// Replays the capture and prints the [`ReplayReport`] with wall time and packet rate.
pub fn run(target: &Target, a: Args, json: bool) -> CliResult {
    let mut dev = open_wired(target, a.rules.as_deref(), &a.locals)?;
    let eviction = match a.eviction {
        EvictionArg::Refuse => Eviction::Refuse,
        EvictionArg::EvictIdlest => Eviction::EvictIdlest,
    };
    let mut slow = slow_path(
        a.learn_reason,
        a.accept_channel,
        eviction,
        dev.caps().version_minor >= 1,
    );
    let reader = CaptureReader::open(&a.pcap)?;
    let size = std::fs::metadata(&a.pcap).map(|m| m.len()).unwrap_or(0);
    let bar = progress::bar(size, true, json);
    let mut on_progress = |pos: u64, pkts: u64| {
        bar.set_position(pos);
        bar.set_message(format!("{pkts} packets"));
    };
    if a.sweep_interval.is_nan() || a.sweep_interval <= 0.0 {
        return Err("--sweep-interval must be a positive number of seconds".into());
    }
    let opts = ReplayOptions {
        speed: a.speed,
        sweep_interval_ns: (a.sweep_interval * 1e9) as u64,
        progress: Some(&mut on_progress),
        shutdown: true,
    };
    let t = Instant::now();
    let rep = flowlife::replay(&mut dev, &mut slow, reader, opts)?;
    let wall = t.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let pps = rep.packets_total as f64 / wall.max(1e-9);
    if json {
        let mut v = serde_json::to_value(&rep)?;
        v["capture"] = shown(&a.pcap).into();
        v["wall_seconds"] = wall.into();
        v["packets_per_second"] = pps.into();
        output::json(&v);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}: {} records ({} non-IP, {} truncated, {} malformed) replayed in {:.2} s ({:.0} packets/s)", shown(&a.pcap), rep.packets_total, rep.non_ip, rep.truncated, rep.malformed, wall, pps);
    println!(
        "device: {} lookups in {} cycles = {:.3} lookups/cycle; flow-cache hit rate {:.1}%",
        rep.lookups,
        rep.cycles,
        rep.lookups_per_cycle,
        100.0 * rep.hit_rate
    );
    let map = |m: &std::collections::BTreeMap<String, u64>| {
        if m.is_empty() {
            "none".into()
        } else {
            m.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    println!(
        "verdicts: channels {{{}}}, dropped {}, slow path {{{}}}",
        map(&rep.channels),
        rep.dropped,
        map(&rep.slow_path)
    );
    println!(
        "flows: {} learned, {} expired, {} still tracked; {} cache hits",
        rep.flows_learned, rep.flows_expired, rep.flows_active, rep.cache_hits
    );
    let curve: Vec<String> = rep
        .hit_rate_over_time
        .iter()
        .map(|p| format!("{:.0}%", 100.0 * p.hit_rate))
        .collect();
    println!("hit rate over time: {}", curve.join(" "));
    for l in rep.host.lines() {
        println!("{l}");
    }
    for (name, r) in &rep.subscribers {
        println!("subscriber {name}: {r}");
    }
    Ok(ExitCode::SUCCESS)
}
