//! `gufc parse`: what the NIC's frame parser makes of each frame of a capture (its model:
//! docs/parser.md), beside what the host's decoder makes of it: the key, or the parser reason
//! the frame would reach the slow path with. A bring-up aid: it needs no device.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use serde_json::{json, Value};

use crate::error::CliError;
use crate::{outln, output, CliResult, Session, Setup};
use gufc_flowlife::capture::{decode, CaptureReader, Decoded, LinkType};
use gufc_hw_model::v2::parser::{parse, ParserConfig, Record};
use gufc_regmap::ParseReason;

/// Options of `gufc parse`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// The capture (pcap or pcapng; Ethernet frames).
    #[arg(value_name = "FILE")]
    pub capture: PathBuf,
    /// Print every frame, not only those the parser gives no key or a key other than the
    /// host decoder's.
    #[arg(long)]
    pub all: bool,
    /// Extension headers the parser walks (its EXT_MAX).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub ext_max: u8,
    /// Its header window in bytes (HDR_BYTES), a multiple of 8 from 64.
    #[arg(long, default_value_t = 128)]
    pub window: u16,
}

/// What the host decoder made of the frame, in words.
fn host_text(d: &Decoded) -> String {
    match d {
        Decoded::Ip(f) => f.key.to_string(),
        Decoded::Skip(s) => format!("{s:?}").to_lowercase(),
    }
}

fn record_json(index: usize, r: &Record, snapped: bool, host: &Decoded, same: bool) -> Value {
    json!({
        "index": index,
        "len": r.len,
        "snapped": snapped,
        "reason": r.reason.name().to_lowercase(),
        "key": (r.reason == ParseReason::None).then(|| r.key.to_string()),
        "tcp_flags": r.flags,
        "vlan_tags": r.tags,
        "vlan_tci": r.vlan,
        "fragment": r.frag & 1 != 0,
        "later_fragment": r.frag & 2 != 0,
        "host": match host {
            Decoded::Ip(f) => json!({"key": f.key.to_string(), "tcp_flags": f.tcp_flags}),
            Decoded::Skip(s) => json!({"skip": format!("{s:?}").to_lowercase()}),
        },
        "same_as_host": same,
    })
}

/// Parses every frame of the capture with the NIC parser's model and the host decoder.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    setup.refuse("parse", "it parses a capture without a device")?;
    if a.window < 64 || !a.window.is_multiple_of(8) {
        return Err(CliError::usage(format!(
            "--window {}: a multiple of 8 from 64",
            a.window
        )));
    }
    let cfg = ParserConfig {
        data_bytes: 8,
        hdr_bytes: a.window as usize,
        ext_max: a.ext_max as usize,
    };
    let pcap = |e| CliError::from(Box::new(e) as Box<dyn std::error::Error>);
    let mut rd = CaptureReader::open(&a.capture).map_err(pcap)?;
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut frames, mut other_links, mut differ) = (0usize, 0usize, 0usize);
    let mut shown = Vec::new();
    while let Some(rec) = rd.next_record().map_err(pcap)? {
        let index = frames + other_links;
        if rec.link != LinkType::Ethernet {
            other_links += 1;
            continue;
        }
        frames += 1;
        let r = parse(&rec.data, false, &cfg);
        let host = decode(rec.link, &rec.data, rec.orig_len);
        let same = match (&host, r.reason) {
            (Decoded::Ip(f), ParseReason::None) => f.key == r.key && f.tcp_flags == r.flags,
            (Decoded::Skip(_), reason) => reason != ParseReason::None,
            _ => false,
        };
        differ += !same as usize;
        *reasons.entry(r.reason.name()).or_default() += 1;
        let snapped = rec.data.len() < rec.orig_len as usize;
        if a.all || !same || r.reason != ParseReason::None {
            if sess.json {
                shown.push(record_json(index, &r, snapped, &host, same));
            } else {
                let nic = match r.reason {
                    ParseReason::None => r.key.to_string(),
                    reason => reason.name().to_lowercase(),
                };
                let mark = if same { " " } else { "≠" };
                let snap = if snapped { " (snapped)" } else { "" };
                outln!(
                    "{index:>6} {:>5}B  nic {nic}  {mark} host {}{snap}",
                    r.len,
                    host_text(&host)
                );
            }
        }
    }
    if sess.json {
        let reasons: serde_json::Map<String, Value> = reasons
            .iter()
            .map(|(k, v)| (k.to_lowercase(), json!(v)))
            .collect();
        output::json(
            "parse",
            json!({
                "capture": a.capture.display().to_string(),
                "frames": frames,
                "other_link_types": other_links,
                "reasons": reasons,
                "differ_from_host": differ,
                "records": shown,
            }),
        )?;
    } else {
        let list: Vec<String> = reasons
            .iter()
            .map(|(k, v)| format!("{} {v}", k.to_lowercase()))
            .collect();
        outln!(
            "{frames} Ethernet frames: {}; {differ} differ from the host decoder{}",
            list.join(", "),
            if other_links > 0 {
                format!("; {other_links} records of other link types left out")
            } else {
                String::new()
            }
        );
    }
    Ok(std::process::ExitCode::SUCCESS)
}
