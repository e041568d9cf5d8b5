//! `gufc trace`: which stage of the device handles a packet as it is programmed now (a flow
//! entry, a rule, or a miss), why, and which subscribers get it. The device part is read back
//! through the driver (PROBE, FLOW_READ, TCAM_READ), so it explains the hardware, not a copy;
//! the host part (connection state, per-subscriber interest) is the slow path's.
//!
//! Without `--pcap`, trace explains the session's device as it is (in a batch: after the
//! lines before it; alone: a fresh device with `--load`'s rules, else accept-all to
//! channel 0). With `--pcap`, a fresh simulated device replays the capture first so the
//! flow cache holds what the slow path learned.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use serde_json::json;

use crate::replay::{open_wired, replay_into};
use crate::session::{origin_json, origin_text, Origins};
use crate::{outln, output, packet, CliResult, Session, Setup};
use gufc::backend::Bar;
use gufc::device::Device;
use gufc_flowlife::capture::{TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};
use gufc_flowlife::session::slow_path;
use gufc_flowlife::{Decision, Eviction};
use gufc_regmap::{Action, HitKind};

/// Options of `gufc trace`: the packet, and the rules and capture that set up the device.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// `PROTO SRC[:PORT] DST[:PORT]`, e.g. `tcp 10.0.1.20:40001 192.0.2.10:443`.
    #[arg(num_args = 3, required = true)]
    pub packet: Vec<String>,
    /// TCP flags of the packet: names separated by commas (syn,ack,fin,rst,psh,urg) or a number.
    #[arg(long, default_value = "ack")]
    pub flags: String,
    /// Packet length in bytes.
    #[arg(long, default_value_t = 64)]
    pub len: u16,
    /// Replay this capture first, so the flow cache and the slow path hold its flows.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
}

/// `--flags`: a number (decimal or `0x` hex), or flag names separated by commas (`none` is 0).
pub(crate) fn parse_flags(s: &str) -> Result<u8, String> {
    if let Ok(n) = s.parse::<u8>() {
        return Ok(n);
    }
    if let Some(h) = s.strip_prefix("0x") {
        return u8::from_str_radix(h, 16)
            .map_err(|_| format!("'{s}': TCP flags must fit in 8 bits"));
    }
    let mut f = 0;
    for w in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        f |= match w.to_ascii_lowercase().as_str() {
            "fin" => TCP_FIN,
            "syn" => TCP_SYN,
            "rst" => TCP_RST,
            "psh" => 0x08,
            "ack" => TCP_ACK,
            "urg" => 0x20,
            "none" => 0,
            _ => {
                return Err(format!(
                    "'{w}': unknown TCP flag (syn, ack, fin, rst, psh, urg)"
                ))
            }
        };
    }
    Ok(f)
}

/// Sets up the device (rules, `--pcap` replayed), then prints the packet's stage, reason,
/// verdict, connection and subscribers.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    let key = packet::parse(&a.packet)?;
    let flags = if key.proto == 6 {
        parse_flags(&a.flags)?
    } else {
        0
    };
    if let Some(p) = &a.pcap {
        let (mut dev, slow, _, origins) = replay_into(sess, setup, p)?;
        return explain(&origins, sess.json, &mut dev, &slow, key, flags, a.len);
    }
    let slow = slow_path(16, 0, Eviction::Refuse, true);
    if sess.target.device.is_none() && !sess.has_device() {
        // Alone on the model: a fresh device with the rules (accept-all without --load).
        let (mut dev, origins) = open_wired(sess, setup, |_| Ok(()))?;
        return explain(&origins, sess.json, &mut dev, &slow, key, flags, a.len);
    }
    sess.setup(setup)?;
    let (origins, json) = (sess.origins.clone(), sess.json);
    explain(&origins, json, sess.device()?, &slow, key, flags, a.len)
}

/// Prints the packet's stage, reason, verdict, connection and subscribers on `dev`.
fn explain<B: Bar>(
    origins: &Origins,
    json: bool,
    dev: &mut Device<B>,
    slow: &gufc_flowlife::SlowPath,
    key: gufc_regmap::Key,
    flags: u8,
    len: u16,
) -> CliResult {
    let epoch = dev.status()?.epoch();
    let probe = dev.probe_flags(&key, len, flags)?;
    let cached = dev.flow_lookup(&key)?;
    let (stage, why) = match probe.kind {
        HitKind::Flow => {
            let f = cached
                .ok_or("the device reports a flow hit but the driver finds no entry for the key")?;
            (
                format!("flow-cache slot {}", probe.index),
                format!("a current entry for this exact tuple (epoch {}{}, {} packets / {} bytes so far, interest: {}) decides: {}", f.epoch, if f.pinned { ", pinned" } else { "" }, f.packets, f.bytes, f.interest, f.action),
            )
        }
        HitKind::Rule => {
            let (e, _) = dev.read_entry(probe.index)?;
            let v = dev.view_entry(&e)?;
            let mut why = format!(
                "TCAM entry {} matches: {} (priority {}); source {}",
                probe.index,
                output::view_text(&v),
                e.prio,
                origin_text(origins, probe.index)
            );
            if probe.stale {
                if let Some(f) = &cached {
                    why += &format!("; the cached entry in slot {} is stale (epoch {} < current {epoch}) and was bypassed", f.slot, f.epoch);
                }
            }
            (format!("rule {}", probe.index), why)
        }
        HitKind::Miss => (
            "miss".to_string(),
            "no flow entry and no rule matches".to_string(),
        ),
    };
    let host_sees = !matches!(
        (probe.kind, probe.action),
        (_, Action::Drop) | (HitKind::Flow, Action::Deliver { .. })
    );
    let conn = slow.lookup(&key).map(|(c, d)| (c.clone(), d));
    let recipients: Vec<String> = match (&conn, host_sees, probe.kind) {
        (_, false, _) => Vec::new(),
        (Some((c, d)), true, HitKind::Flow) => slow
            .recipients(c, *d, flags, c.interest_seen[d.index()] + 1)
            .into_iter()
            .map(String::from)
            .collect(),
        (_, true, _) => slow
            .subscribers()
            .iter()
            .map(|s| s.name().to_string())
            .collect(),
    };
    let conn_text = conn.as_ref().map(|(c, d)| {
        let decision = match c.decision {
            Decision::Accept { channel } => format!("accepted to channel {channel}"),
            Decision::HostOnly { reason } => format!("kept on the host (reason {reason})"),
        };
        format!(
            "connection #{} ({:?} direction), {}, {decision}, {:?}",
            c.id,
            d,
            c.state.name(),
            c.offload
        )
    });
    if json {
        let mut p = output::value(&probe);
        if probe.kind == HitKind::Rule {
            p["source"] = origin_json(origins, probe.index);
        }
        output::json(
            "trace",
            json!({
                "key": key.to_string(),
                "tcp_flags": flags,
                "epoch": epoch,
                "probe": p,
                "stage": stage,
                "why": why,
                "flow_entry": cached.as_ref().map(output::value),
                "host_receives": host_sees,
                "connection": conn.as_ref().map(|(c, _)| output::value(c)),
                "subscribers": recipients,
            }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{key} (TCP flags {flags:#04x}), rule-set epoch {epoch}");
    outln!("  stage:   {stage}");
    outln!("  why:     {why}");
    outln!("  verdict: {}", probe.action);
    if host_sees {
        outln!(
            "  host:    receives it{}",
            if probe.kind == HitKind::Flow {
                " (the entry's interest selects it)"
            } else {
                " (not cached: conntrack and every subscriber inspect it)"
            }
        );
    } else {
        outln!("  host:    never sees it");
    }
    outln!(
        "  conntrack: {}",
        conn_text.unwrap_or_else(|| "no connection".into())
    );
    outln!(
        "  subscribers: {}",
        if recipients.is_empty() {
            "none".to_string()
        } else {
            recipients.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}
