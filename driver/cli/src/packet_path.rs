//! `gufc replay --packet-path`: a capture's frames through the NIC model's receive port, parsed,
//! classified and delivered by DMA into the driver's receive queues, the conntrack slow path
//! reading them (docs/nic.md).

use std::process::ExitCode;
use std::time::Instant;

use crate::error::CliError;
use crate::open::BackendKind;
use crate::replay::{counts, eviction, rules_or_accept_all, Args};
use crate::session::{fresh, rule_target};
use crate::{outln, output, shown, CliResult, Session, Setup};
use gufc::backend::nic::HostMemory;
use gufc::backend::{NicModel, SimKind, SimSpec};
use gufc::device::Device;
use gufc_flowlife::capture::CaptureReader;
use gufc_flowlife::frames::{replay_frames, FrameReplayOptions};
use gufc_flowlife::session::slow_path;
use gufc_flowlife::Speed;
use gufc_hw_model::v2::nic::NicConfig;
use gufc_hw_model::v2::top::TopConfig;

/// Replays the capture's frames through the NIC model's receive path and prints where they
/// went (`gufc_flowlife::frames::FrameReplayReport`).
pub fn run(sess: &mut Session, setup: &Setup, a: &Args) -> CliResult {
    if let Some(addr) = &sess.target.device {
        return Err(CliError::usage(format!(
            "{addr}: --packet-path pushes frames into a simulated NIC's receive port; a device receives them from its wire"
        )));
    }
    if !matches!(
        sess.target.backend,
        BackendKind::Model | BackendKind::Model2
    ) {
        return Err(CliError::usage(
            "--packet-path runs on the RTL 2.0 model's NIC (--backend model2); the Verilated NIC is in the lockstep test only",
        ));
    }
    let spec = SimSpec {
        kind: SimKind::Model2,
        ..sess.target.spec()
    };
    let config = spec.config();
    gufc::backend::Model2Bar::check(&config).map_err(|e| CliError::usage(e.to_string()))?;
    if !(1..=30).contains(&config.channels) {
        return Err(CliError::usage(format!(
            "--channels {}: the NIC has 1..=30 channels (queue CHANNELS is the slow path)",
            config.channels
        )));
    }
    let nic = NicConfig {
        top: TopConfig::sized(&config),
        ..NicConfig::default()
    };
    let back_to_back = match a.speed {
        None => false,
        Some(Speed::Max) => true,
        Some(Speed::Scaled(_)) => {
            return Err(CliError::usage(
                "--packet-path: --speed takes only `max` (frames back to back); without it each frame is delivered before the next",
            ))
        }
    };
    let opts = FrameReplayOptions {
        back_to_back,
        out_dir: a.out.clone(),
        sweep_interval_ns: (a.sweep_interval * 1e9) as u64,
        ..FrameReplayOptions::default()
    };
    let per_queue = (1usize << opts.ring_log2) * (opts.buf_bytes as usize + 8 + 32) + 256;
    let mem = HostMemory::new(1 << 32, per_queue * (config.channels as usize + 1));
    let dev = Device::open(NicModel::new(nic, mem), sess.target.opts())?;
    let p = rules_or_accept_all(setup, rule_target(dev.caps()))?;
    let mut origins = None;
    let mut dev = fresh(dev, &p, &mut origins)?.0;
    let reader = CaptureReader::open(&a.pcap)
        .map_err(|e| CliError::from(Box::new(e) as Box<dyn std::error::Error>))?;
    let t = Instant::now();
    if a.accept_channel as u32 >= config.channels {
        return Err(CliError::usage(format!(
            "--accept-channel {}: the device has {} channels",
            a.accept_channel, config.channels
        )));
    }
    let mut slow = slow_path(a.learn_reason, a.accept_channel, eviction(a.eviction), true);
    let rep = replay_frames(&mut dev, reader, &opts, Some(&mut slow), &mut |_| {})
        .map_err(|e| CliError::from(Box::new(e) as Box<dyn std::error::Error>))?;
    slow.shutdown(&mut dev)?;
    let wall = t.elapsed().as_secs_f64();
    let fps = rep.frames_in as f64 / wall.max(1e-9);
    if sess.json {
        let mut v = output::value(&rep);
        v["capture"] = shown(&a.pcap).into();
        v["wall_seconds"] = wall.into();
        v["frames_per_second"] = fps.into();
        output::json("replay", v)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{}: {} frames into the NIC ({} records skipped) in {:.2} s ({:.0} frames/s), {} clock edges",
        shown(&a.pcap),
        rep.frames_in,
        rep.records_skipped,
        wall,
        fps,
        rep.edges
    );
    outln!("delivered: {}", counts(&rep.delivered));
    outln!("slow path: {}", counts(&rep.slow_path));
    outln!("dropped: {}", counts(&rep.dropped));
    outln!("cut: {}; interrupts: {}", rep.cut, rep.interrupts);
    outln!(
        "host: {} frames handled by the slow path ({} without a key), {} connections learned; {} frames decided by flow entries on the NIC",
        rep.host_handled,
        rep.host_unkeyed,
        rep.flows_learned,
        rep.flow_hits
    );
    if let Some(d) = &a.out {
        outln!("captures per queue in {}", shown(d));
    }
    Ok(ExitCode::SUCCESS)
}
