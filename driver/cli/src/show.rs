//! Commands that inspect or poke the device: flows, stats, probe, caps.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use serde_json::json;

use crate::session::{origin_json, origin_text};
use crate::{outln, output, packet, CliResult, Session, Setup};
use gufc::device::CounterSpace;
use gufc_regmap::Action;

/// An action on the command line, one argument: `channel:N` (or `channel=N`, or quoted
/// `"channel N"`), `drop`, `slowpath` or `slowpath:REASON`.
fn parse_action(arg: &str) -> Result<Action, String> {
    let w: Vec<&str> = arg
        .split(|c: char| c == ':' || c == '=' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let num = |s: &str, what: &str| {
        s.parse::<u8>()
            .map_err(|_| format!("--action '{arg}': {what} must be 0..=255"))
    };
    match w.as_slice() {
        ["channel", n] => Ok(Action::Deliver {
            channel: num(n, "channel")?,
        }),
        ["drop"] => Ok(Action::Drop),
        ["slowpath"] => Ok(Action::SlowPath {
            reason: gufc_regmap::SlowReason::Rule.bits(),
        }),
        ["slowpath", r] => Ok(Action::SlowPath {
            reason: num(r, "reason")?,
        }),
        _ => Err(format!(
            "--action '{arg}': an action is channel:N, drop, slowpath or slowpath:REASON"
        )),
    }
}

#[derive(Subcommand, Debug)]
pub enum FlowCmd {
    /// Cache a flow: `flows add tcp 10.0.0.1:40000 10.0.0.2:443 --action channel:3`.
    Add {
        /// PROTO SRC[:PORT] DST[:PORT]
        #[arg(num_args = 3, required = true)]
        packet: Vec<String>,
        /// One argument: channel:N, drop, slowpath or slowpath:REASON.
        #[arg(long, required = true, value_name = "ACTION")]
        action: String,
        /// Keep applying after rule-set commits (otherwise the entry goes stale at the next commit).
        #[arg(long)]
        pinned: bool,
    },
    /// Remove a cached flow.
    Del {
        #[arg(num_args = 3, required = true)]
        packet: Vec<String>,
    },
    /// List cached flows with their state and counters, read back from the device.
    Show,
}

/// `gufc flows add|del|show` on the session's device.
pub fn flows(sess: &mut Session, setup: &Setup, cmd: FlowCmd) -> CliResult {
    // Arguments first: nothing is written when one is wrong.
    let (key, action) = match &cmd {
        FlowCmd::Add {
            packet: p, action, ..
        } => (Some(packet::parse(p)?), Some(parse_action(action)?)),
        FlowCmd::Del { packet: p } => (Some(packet::parse(p)?), None),
        FlowCmd::Show => (None, None),
    };
    if let Some(Action::Deliver { channel }) = action {
        let channels = sess.caps()?.channels;
        if channel as u32 >= channels {
            return Err(format!(
                "--action channel:{channel}: the device has {channels} channels (0..={})",
                channels - 1
            )
            .into());
        }
    }
    sess.setup(setup)?;
    let json = sess.json;
    let dev = sess.device()?;
    match cmd {
        FlowCmd::Add { pinned, .. } => {
            let (key, action) = (key.expect("parsed"), action.expect("parsed"));
            let io0 = dev.io_stats();
            let r = dev.flow_insert(&key, action, pinned)?;
            let writes = dev.io_stats().writes - io0.writes;
            if json {
                output::json(
                    "flows add",
                    json!({"key": key.to_string(), "action": output::action(action), "pinned": pinned,
                           "insert": output::value(&r), "register_writes": writes}),
                )?;
            } else {
                outln!(
                    "{key} -> {action}: slot {} ({} cuckoo moves, {writes} register writes)",
                    r.slot,
                    r.moves
                );
            }
        }
        FlowCmd::Del { .. } => {
            let key = key.expect("parsed");
            let slot = dev.flow_remove(&key)?;
            if json {
                output::json("flows del", json!({"key": key.to_string(), "slot": slot}))?;
            } else {
                outln!("{key}: removed from slot {slot}");
            }
        }
        FlowCmd::Show => {
            let flows = dev.flows()?;
            if json {
                let rows: Vec<_> = flows.iter().map(output::value).collect();
                output::json("flows show", json!({ "flows": rows }))?;
            } else {
                for f in &flows {
                    let state = if f.pinned {
                        "pinned"
                    } else if f.stale {
                        "stale"
                    } else {
                        "current"
                    };
                    outln!(
                        "{:>7}  {}  -> {}  [{state}, epoch {}] {} pkts {} bytes",
                        f.slot,
                        f.key,
                        f.action,
                        f.epoch,
                        f.packets,
                        f.bytes
                    );
                }
                outln!("{} flows cached", flows.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Also list every live rule's counters.
    #[arg(long)]
    pub per_rule: bool,
    /// Replay this capture through the slow path first, and add the slow path's counters:
    /// punts by reason, refused inserts by cause, flows learned and ended, re-validations.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<std::path::PathBuf>,
}

/// `gufc stats` on the session's device, or (`--pcap`) on a model NIC that replayed it.
pub fn stats(sess: &mut Session, setup: &Setup, a: StatsArgs) -> CliResult {
    let json = sess.json;
    if let Some(p) = &a.pcap {
        let (mut dev, slow, _, _) = crate::replay::replay_into(sess, setup, p)?;
        let global = dev.global_counters()?;
        if json {
            output::json(
                "stats",
                json!({"global": output::value(&global), "slow_path": output::value(&slow.stats)}),
            )?;
        } else {
            print_global(&global)?;
            for l in slow.stats.lines() {
                outln!("{l}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    sess.setup(setup)?;
    let dev = sess.device()?;
    let global = dev.global_counters()?;
    let mut channels = Vec::new();
    for c in 0..dev.caps().channels {
        let v = dev.counter(CounterSpace::Channel, c)?;
        if v.packets != 0 {
            channels.push((c, v));
        }
    }
    let mut rules = Vec::new();
    if a.per_rule {
        for (i, e) in dev.live_rules()? {
            let v = dev.view_entry(&e)?;
            rules.push((
                i,
                output::view_text(&v),
                dev.counter(CounterSpace::Tcam, i)?,
            ));
        }
    }
    if json {
        output::json(
            "stats",
            json!({
                "global": output::value(&global),
                "channels": channels.iter().map(|(c, v)| json!({"channel": c, "packets": v.packets, "bytes": v.bytes})).collect::<Vec<_>>(),
                "rules": rules.iter().map(|(i, t, v)| json!({"index": i, "rule": t, "source": origin_json(&sess.origins, *i), "packets": v.packets, "bytes": v.bytes})).collect::<Vec<_>>(),
            }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    print_global(&global)?;
    for (c, v) in &channels {
        outln!("channel {c:>3}: {} packets, {} bytes", v.packets, v.bytes);
    }
    for (i, t, v) in &rules {
        outln!(
            "rule {i:>6}: {:>10} packets {:>12} bytes  {t}",
            v.packets,
            v.bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// PROTO SRC[:PORT] DST[:PORT], e.g. `tcp 203.0.113.7:40000 192.0.2.10:22`.
    #[arg(num_args = 3, required = true)]
    pub packet: Vec<String>,
    /// Packet length in bytes.
    #[arg(long, default_value_t = 64)]
    pub len: u16,
}

/// `gufc probe`: one packet through the pipeline by registers; names the deciding rule's
/// source line when this run committed it.
pub fn probe(sess: &mut Session, setup: &Setup, a: ProbeArgs) -> CliResult {
    let key = packet::parse(&a.packet)?;
    sess.setup(setup)?;
    let json = sess.json;
    let r = sess.device()?.probe(&key, a.len)?;
    if json {
        let mut v = output::value(&r);
        if r.kind == gufc_regmap::HitKind::Rule {
            v["source"] = origin_json(&sess.origins, r.index);
        }
        output::json("probe", json!({"key": key.to_string(), "result": v}))?;
    } else {
        let by = match r.kind {
            gufc_regmap::HitKind::Flow => format!("flow-cache slot {}", r.index),
            gufc_regmap::HitKind::Rule => format!(
                "TCAM entry {}, {}",
                r.index,
                origin_text(&sess.origins, r.index)
            ),
            gufc_regmap::HitKind::Miss => "no rule (miss)".to_string(),
        };
        outln!(
            "{key}: {} by {by}{}",
            r.action,
            if r.stale {
                " (a stale flow entry was bypassed)"
            } else {
                ""
            }
        );
        outln!("  src local: {}, dst local: {}", r.src_local, r.dst_local);
    }
    Ok(ExitCode::SUCCESS)
}

/// `gufc caps`: identification and capabilities.
pub fn caps(sess: &mut Session, setup: &Setup) -> CliResult {
    sess.setup(setup)?;
    let json = sess.json;
    let dev = sess.device()?;
    let name = dev.bar().name();
    let c = dev.caps().clone();
    if json {
        output::json("caps", json!({"device": name, "caps": output::value(&c)}))?;
    } else {
        outln!("device:        {name}");
        outln!("version:       {}.{}", c.version_major, c.version_minor);
        outln!(
            "TCAM:          {} entries, {}-bit priority, port ranges: {}",
            c.tcam_entries,
            c.prio_bits,
            c.port_ranges
        );
        outln!(
            "flow cache:    {} buckets x {} ways = {} entries",
            c.flow_buckets,
            c.flow_ways,
            c.flow_slots()
        );
        outln!("channels:      {}", c.channels);
        outln!("locality:      {} entries", c.local_entries);
        outln!(
            "key:           {} words, IPv4 {}, IPv6 {}",
            c.key_words,
            c.ipv4,
            c.ipv6
        );
        outln!(
            "latency:       {} cycles; counters {} bits",
            c.latency,
            c.counter_bits
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_global(g: &gufc::device::GlobalCounters) -> Result<(), crate::error::CliError> {
    outln!(
        "lookups {}  flow hits {}  rule hits {}  misses {}  stale flows {}",
        g.lookups,
        g.flow_hits,
        g.rule_hits,
        g.misses,
        g.stale_flows
    );
    outln!(
        "delivered {}  dropped {}  slow path {}",
        g.delivered,
        g.drops,
        g.slow_path
    );
    Ok(())
}
