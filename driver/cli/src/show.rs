//! Commands that inspect or poke the device: flows, stats, probe, caps.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::{output, packet, CliResult, Target};
use gufc::device::CounterSpace;
use gufc_regmap::Action;

/// An action on the command line: `channel N`, `drop` or `slowpath [REASON]`.
fn parse_action(words: &[String]) -> Result<Action, String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let num = |s: &str, what: &str| {
        s.parse::<u8>()
            .map_err(|_| format!("'{s}': {what} must be 0..=255"))
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
            "'{}': an action is `channel N`, `drop` or `slowpath [REASON]`",
            w.join(" ")
        )),
    }
}

#[derive(Subcommand, Debug)]
pub enum FlowCmd {
    /// Cache a flow: `flows add tcp 10.0.0.1:40000 10.0.0.2:443 --action channel 3`.
    Add {
        /// PROTO SRC[:PORT] DST[:PORT]
        #[arg(num_args = 3, required = true)]
        packet: Vec<String>,
        /// `channel N`, `drop` or `slowpath [REASON]`.
        #[arg(long, num_args = 1..=2, required = true)]
        action: Vec<String>,
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

pub fn flows(target: &Target, cmd: FlowCmd, json: bool) -> CliResult {
    let mut dev = target.open()?;
    match cmd {
        FlowCmd::Add {
            packet: p,
            action,
            pinned,
        } => {
            let key = packet::parse(&p)?;
            let action = parse_action(&action)?;
            let io0 = dev.io_stats();
            let r = dev.flow_insert(&key, action, pinned)?;
            let writes = dev.io_stats().writes - io0.writes;
            if json {
                output::json(
                    &serde_json::json!({"key": key.to_string(), "insert": r, "register_writes": writes}),
                );
            } else {
                println!(
                    "{key} -> {action}: slot {} ({} cuckoo moves, {writes} register writes)",
                    r.slot, r.moves
                );
            }
        }
        FlowCmd::Del { packet: p } => {
            let key = packet::parse(&p)?;
            let slot = dev.flow_remove(&key)?;
            if json {
                output::json(&serde_json::json!({"key": key.to_string(), "slot": slot}));
            } else {
                println!("{key}: removed from slot {slot}");
            }
        }
        FlowCmd::Show => {
            let flows = dev.flows()?;
            if json {
                output::json(&serde_json::json!({ "flows": flows }));
            } else {
                for f in &flows {
                    let state = if f.pinned {
                        "pinned"
                    } else if f.stale {
                        "stale"
                    } else {
                        "current"
                    };
                    println!(
                        "{:>7}  {}  -> {}  [{state}, epoch {}] {} pkts {} bytes",
                        f.slot, f.key, f.action, f.epoch, f.packets, f.bytes
                    );
                }
                println!("{} flows cached", flows.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Also list every live rule's counters.
    #[arg(long)]
    pub rules: bool,
    /// Replay this capture through the slow path first, and add the slow path's counters:
    /// punts by reason, refused inserts by cause, flows learned and ended, re-validations.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<std::path::PathBuf>,
}

pub fn stats(target: &Target, a: StatsArgs, json: bool) -> CliResult {
    if let Some(p) = &a.pcap {
        let (mut dev, slow, _) =
            crate::replay::replay_into(target, p, target.load.as_deref(), &[])?;
        let global = dev.global_counters()?;
        if json {
            output::json(&serde_json::json!({"global": global, "slow_path": slow.stats}));
        } else {
            print_global(&global);
            for l in slow.stats.lines() {
                println!("{l}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut dev = target.open()?;
    let global = dev.global_counters()?;
    let mut channels = Vec::new();
    for c in 0..dev.caps().channels {
        let v = dev.counter(CounterSpace::Channel, c)?;
        if v.packets != 0 {
            channels.push((c, v));
        }
    }
    let mut rules = Vec::new();
    if a.rules {
        for (i, e) in dev.live_rules()? {
            rules.push((
                i,
                output::entry_text(&e),
                dev.counter(CounterSpace::Tcam, i)?,
            ));
        }
    }
    if json {
        output::json(&serde_json::json!({
            "global": global,
            "channels": channels.iter().map(|(c, v)| serde_json::json!({"channel": c, "packets": v.packets, "bytes": v.bytes})).collect::<Vec<_>>(),
            "rules": rules.iter().map(|(i, t, v)| serde_json::json!({"index": i, "rule": t, "packets": v.packets, "bytes": v.bytes})).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    print_global(&global);
    for (c, v) in &channels {
        println!("channel {c:>3}: {} packets, {} bytes", v.packets, v.bytes);
    }
    for (i, t, v) in &rules {
        println!(
            "rule {i:>6}: {:>10} packets {:>12} bytes  {t}",
            v.packets, v.bytes
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

pub fn probe(target: &Target, a: ProbeArgs, json: bool) -> CliResult {
    let mut dev = target.open()?;
    let key = packet::parse(&a.packet)?;
    let r = dev.probe(&key, a.len)?;
    if json {
        output::json(&serde_json::json!({"key": key.to_string(), "result": r}));
    } else {
        let by = match r.kind {
            gufc_regmap::HitKind::Flow => format!("flow-cache slot {}", r.index),
            gufc_regmap::HitKind::Rule => format!("TCAM entry {}", r.index),
            gufc_regmap::HitKind::Miss => "no rule (miss)".to_string(),
        };
        println!(
            "{key}: {} by {by}{}",
            r.action,
            if r.stale {
                " (a stale flow entry was bypassed)"
            } else {
                ""
            }
        );
        println!("  src local: {}, dst local: {}", r.src_local, r.dst_local);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn caps(target: &Target, json: bool) -> CliResult {
    let mut dev = target.open()?;
    let name = dev.bar().name();
    let c = dev.caps().clone();
    if json {
        output::json(&serde_json::json!({"device": name, "caps": c}));
    } else {
        println!("device:        {name}");
        println!("version:       {}.{}", c.version_major, c.version_minor);
        println!(
            "TCAM:          {} entries, {}-bit priority, port ranges: {}",
            c.tcam_entries, c.prio_bits, c.port_ranges
        );
        println!(
            "flow cache:    {} buckets x {} ways = {} entries",
            c.flow_buckets,
            c.flow_ways,
            c.flow_slots()
        );
        println!("channels:      {}", c.channels);
        println!("locality:      {} entries", c.local_entries);
        println!(
            "key:           {} words, IPv4 {}, IPv6 {}",
            c.key_words, c.ipv4, c.ipv6
        );
        println!(
            "latency:       {} cycles; counters {} bits",
            c.latency, c.counter_bits
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_global(g: &gufc::device::GlobalCounters) {
    println!(
        "lookups {}  flow hits {}  rule hits {}  misses {}  stale flows {}",
        g.lookups, g.flow_hits, g.rule_hits, g.misses, g.stale_flows
    );
    println!(
        "delivered {}  dropped {}  slow path {}",
        g.delivered, g.drops, g.slow_path
    );
}
