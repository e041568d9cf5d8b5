//! `gufc demo`: the example host firewall on a model NIC with synthetic traffic.
//!
//! The traffic is derived from the rules themselves (packets inside each rule's match), plus
//! random background and established connections that the "slow path" put into the flow cache,
//! so every stage of the pipeline shows up in the counters.

use std::process::ExitCode;

use clap::Args as ClapArgs;

use serde_json::json;

use crate::error::CliError;
use crate::session::{fresh, load_example, load_rules, prepare_loaded, rule_target};
use crate::{outln, output, CliResult, Session, Setup};
use gufc::device::CounterSpace;
use gufc::stream;
use gufc_regmap::word::Meta;
use gufc_regmap::{key, Action, HitKind, Key, KeyIn, TcamEntry};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, RngExt, SeedableRng};

/// The host's own addresses in the demo: the locality stage marks them local.
pub const DEMO_LOCAL: [(&str, u8); 2] = [("192.0.2.0", 24), ("2001:db8:1::", 48)];

/// The built-in rule file `demo` runs without `--load` (compiled into the binary).
pub const DEMO_RULES: &str = "examples/host-firewall.rules";

/// Options of `gufc demo`: how much synthetic traffic from which seed. The rules are the
/// built-in example firewall unless `--load FILE` names others.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Packets of synthetic traffic.
    #[arg(long, default_value_t = 20_000)]
    pub packets: u32,
    /// Established connections placed in the flow cache.
    #[arg(long, default_value_t = 200)]
    pub flows: u32,
    /// Seed of the traffic generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// An address inside the demo host's local prefixes, of the family `ipv6`.
fn local_addr(ipv6: bool, rng: &mut impl Rng) -> u128 {
    let (addr, len) = DEMO_LOCAL[ipv6 as usize];
    let base: std::net::IpAddr = addr.parse().expect("demo prefixes parse");
    let (base, bits) = match base {
        std::net::IpAddr::V4(a) => (u32::from(a) as u128, 32),
        std::net::IpAddr::V6(a) => (u128::from(a), 128),
    };
    let host = rng.random::<u128>() & (u128::MAX >> (128 - (bits - len as u32)));
    base | host
}

/// A packet inside `e`'s match: unmasked bits random, ports inside the ranges, and addresses
/// inside the host's local prefixes where the entry asks for a local end.
pub fn key_inside(e: &TcamEntry, rng: &mut impl Rng) -> Key {
    let mut w = [0u32; gufc_regmap::KEY_WORDS];
    for (i, word) in w.iter_mut().enumerate() {
        *word = (e.value[i] & e.mask[i]) | (rng.next_u32() & !e.mask[i]);
    }
    let mut k = Key::from_words(&w);
    if !k.ipv6 {
        k.src &= 0xffff_ffff;
        k.dst &= 0xffff_ffff;
    }
    let wants = Meta::from_raw(e.mask[key::META] & e.value[key::META]);
    if wants.src_local() {
        k.src = local_addr(k.ipv6, rng);
    }
    if wants.dst_local() {
        k.dst = local_addr(k.ipv6, rng);
    }
    if Meta::from_raw(e.mask[key::META]).proto() == 0 {
        k.proto = [6, 17, 1][rng.random_range(0..3)];
    }
    k.sport = rng.random_range(e.sport.0..=e.sport.1);
    k.dport = rng.random_range(e.dport.0..=e.dport.1);
    k
}

/// Loads the rules and [`DEMO_LOCAL`], caches established connections, streams the traffic
/// and prints the counters per stage, channel and rule.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    let json = sess.json;
    // Opened first (no writes): a 2.0 device's rule stage also matches TCP flags.
    let dev = gufc::Device::open(sess.target.sim()?, sess.target.opts())?;
    let (loaded, name) = match &setup.load {
        Some(p) => (
            load_rules(p, setup, rule_target(dev.caps()))?,
            crate::shown(p),
        ),
        None => (
            load_example(DEMO_RULES)?,
            format!("{DEMO_RULES} (built in)"),
        ),
    };
    if loaded.compiled.is_empty() {
        return Err(CliError::usage(format!(
            "{name}: no rules: the demo derives its traffic from the rules, so it needs at least one"
        )));
    }
    let mut setup = setup.clone();
    for (addr, len) in DEMO_LOCAL {
        setup.locals.push(format!("{addr}/{len}"));
    }
    let p = prepare_loaded(Some(loaded), &setup)?;
    // This device is the command's own: its sources are not the run's.
    let (mut dev, commit) = fresh(dev, &p, &mut None)?;
    let commit = commit.expect("rules given");
    let loaded = p.rules.expect("rules given");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(a.seed);

    // The slow path accepted some connections: cache both directions with the rule's verdict.
    let mut established = Vec::new();
    let entries = &loaded.compiled.entries;
    let mut flow_writes = 0;
    while established.len() < a.flows as usize {
        let k = key_inside(&entries[rng.random_range(0..entries.len())], &mut rng);
        let verdict = dev.probe(&k, 64)?;
        if let Action::Deliver { .. } = verdict.action {
            let io0 = dev.io_stats().writes;
            dev.flow_insert(&k, verdict.action, false)?;
            dev.flow_insert(&k.reversed(), verdict.action, false)?;
            flow_writes += dev.io_stats().writes - io0;
            established.push(k);
        } else if established.is_empty() && rng.random_ratio(1, 1000) {
            break; // the rules deliver nothing: no connections to cache
        }
    }

    // Traffic: 50% established flows (either direction), 35% inside random rules, 15% random.
    let mut keys = Vec::with_capacity(a.packets as usize);
    for _ in 0..a.packets {
        let roll = rng.random_range(0..100);
        let k = if roll < 50 && !established.is_empty() {
            let f = established[rng.random_range(0..established.len())];
            if rng.random() {
                f
            } else {
                f.reversed()
            }
        } else if roll < 85 {
            key_inside(&entries[rng.random_range(0..entries.len())], &mut rng)
        } else {
            Key::v4(
                rng.random(),
                rng.random(),
                [6, 17][rng.random_range(0..2)],
                rng.random(),
                rng.random(),
            )
        };
        keys.push(KeyIn {
            key: k,
            len: rng.random_range(64..1464),
            tag: 0,
            tcp_flags: 0,
        });
    }
    let mut kinds = [0u64; 3];
    let st = stream::classify(dev.bar(), keys, |r| {
        kinds[match r.kind {
            HitKind::Miss => 0,
            HitKind::Flow => 1,
            HitKind::Rule => 2,
        }] += 1
    })?;

    let global = dev.global_counters()?;
    let mut per_rule = Vec::new();
    for (&entry, &index) in commit.sources.iter().zip(&commit.placement) {
        let c = dev.counter(CounterSpace::Tcam, index)?;
        let rule = &loaded.set.rules[loaded.compiled.rule_of(entry)];
        per_rule.push((rule, c));
    }
    let mut per_channel = Vec::new();
    for ch in 0..dev.caps().channels {
        let c = dev.counter(CounterSpace::Channel, ch)?;
        if c.packets > 0 {
            per_channel.push((ch, c));
        }
    }
    let hit_rate = global.flow_hits as f64 / global.lookups.max(1) as f64;
    if json {
        output::json(
            "demo",
            json!({
                "rules_file": name,
                "rules": loaded.set.len(),
                "tcam_entries": loaded.compiled.len(),
                "commit": output::value(&commit),
                "flows_cached": 2 * established.len(),
                "flow_register_writes_per_insert": flow_writes as f64 / (2 * established.len()).max(1) as f64,
                "packets": st.keys,
                "cycles": st.cycles,
                "lookups_per_cycle": st.lookups_per_cycle(),
                "flow_cache_hit_rate": hit_rate,
                "global": output::value(&global),
                "per_rule": per_rule.iter().map(|(r, c)| json!({"rule": r.to_string(), "location": r.loc.to_string(), "packets": c.packets, "bytes": c.bytes})).collect::<Vec<_>>(),
                "per_channel": per_channel.iter().map(|(ch, c)| json!({"channel": ch, "packets": c.packets, "bytes": c.bytes})).collect::<Vec<_>>(),
            }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("gufc demo on the {} backend", dev.bar().name());
    outln!(
        "rules: {} from {} -> {} TCAM entries, committed with {} register writes",
        loaded.set.len(),
        name,
        loaded.compiled.len(),
        commit.register_writes
    );
    outln!(
        "flow cache: {} entries for {} established connections ({:.1} register writes per insert)",
        2 * established.len(),
        established.len(),
        flow_writes as f64 / (2 * established.len()).max(1) as f64
    );
    outln!(
        "traffic: {} packets in {} cycles = {:.3} lookups/cycle (pipeline latency {} cycles)",
        st.keys,
        st.cycles,
        st.lookups_per_cycle(),
        dev.caps().latency
    );
    outln!(
        "decided by: flow cache {} ({:.1}% hit rate), rules {}, miss {}",
        global.flow_hits,
        100.0 * hit_rate,
        global.rule_hits,
        global.misses
    );
    outln!(
        "verdicts: delivered {}, dropped {}, slow path {}",
        global.delivered,
        global.drops,
        global.slow_path
    );
    outln!("\nper channel:");
    for (ch, c) in &per_channel {
        outln!(
            "  channel {ch:>2}: {:>7} packets {:>10} bytes",
            c.packets,
            c.bytes
        );
    }
    outln!("\nper rule (packets decided by the rule; cached flows count in the flow cache):");
    for (r, c) in &per_rule {
        outln!("  {:>7} pkts  {:<60} {}", c.packets, r.to_string(), r.loc);
    }
    Ok(ExitCode::SUCCESS)
}
