//! Parts 5 and 6 through the binary: `gufc replay` on the shipped captures (JSON interface,
//! no progress bar when piped, corrupt files named with their byte offset) and `gufc trace`.

use std::process::Command;

use gufc_flowlife::capture::{CaptureReader, LinkType, PcapWriter};
use gufc_flowlife::{Config, Offload, ReplayOptions, SlowPath};
use gufc_testkit as pcap;
use gufc_testkit::flowlife::*;
use gufc_testkit::GenOptions;

fn gufc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gufc"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn summary(opts: &GenOptions) -> pcap::GenSummary {
    let mut sink = PcapWriter::new(std::io::sink(), LinkType::Ethernet, 65535).unwrap();
    pcap::generate(opts, &mut sink).unwrap()
}

#[test]
fn replay_json_reports_the_fixed_fields() {
    for (name, opts) in [
        ("mixed.pcap", GenOptions::default()),
        (
            "mixed.pcapng",
            GenOptions {
                seed: 2,
                ..GenOptions::default()
            },
        ),
    ] {
        let sum = summary(&opts);
        let path = pcap(name);
        let (code, out, err) = gufc(&["replay", "--pcap", path.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            !err.contains('\r') && !err.contains('#'),
            "no progress bar under --json: {err:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["packets_total"], sum.records);
        assert_eq!(v["non_ip"], sum.non_ip);
        assert_eq!(v["truncated"], sum.truncated);
        assert_eq!(v["flows_learned"], sum.learnable());
        assert_eq!(v["dropped"], 0);
        assert_eq!(v["channels"]["0"], sum.ip_packets);
        assert!(v["slow_path"].is_object());
        assert!(v["cache_hits"].as_u64().unwrap() > 0);
        let hits = v["cache_hits"].as_u64().unwrap();
        assert!(hits < sum.ip_packets);
        // Every record is accounted for exactly once.
        let slow: u64 = v["slow_path"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_u64().unwrap())
            .sum();
        let chans: u64 = v["channels"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_u64().unwrap())
            .sum();
        assert_eq!(
            sum.records,
            sum.non_ip + sum.truncated + chans + slow + v["dropped"].as_u64().unwrap()
        );
    }
}

#[test]
fn replay_text_output_when_piped_has_no_progress_bar() {
    let path = pcap("scan.pcap");
    let (code, out, err) = gufc(&["replay", "--pcap", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "stderr: {err:?}");
    assert!(
        out.contains("flows:") && out.contains("198.51.100.66"),
        "{out}"
    );
}

/// Long commands draw progress only on a terminal: piped, stderr stays empty even past the
/// replay's first progress report (every 4096 packets).
#[test]
fn progress_stays_off_pipes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.pcap");
    let f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut w = PcapWriter::new(f, LinkType::Ethernet, 65535).unwrap();
    let opts = GenOptions {
        tcp_connections: 300,
        dns_queries: 300,
        scan_ports: 2000,
        ..GenOptions::default()
    };
    let sum = pcap::generate(&opts, &mut w).unwrap();
    drop(w);
    assert!(sum.records > 4096, "{sum:?}");
    let rules = gufc_testkit::repo("examples/host-firewall.rules");
    for args in [
        vec!["replay", "--pcap", path.to_str().unwrap(), "--speed", "max"],
        vec!["selftest", "--quick"],
        vec!["rules", "load", rules.to_str().unwrap()],
    ] {
        let (code, out, err) = gufc(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.is_empty(), "{args:?}");
        assert!(err.is_empty(), "{args:?}: stderr {err:?}");
    }
}

#[test]
fn a_corrupt_capture_is_an_error_with_its_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(pcap("mixed.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..1000]).unwrap();
    let (code, _, err) = gufc(&["replay", "--pcap", cut.to_str().unwrap()]);
    assert_eq!(code, 2, "a bad capture is bad input");
    assert!(
        err.contains("cut.pcap: byte offset ") && err.contains("file ends after"),
        "{err}"
    );
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let (code, _, err) = gufc(&["replay", "--pcap", junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("junk.pcap: byte offset 0: magic number"),
        "{err}"
    );
}

#[test]
fn trace_explains_flow_entry_rule_and_drop_from_device_state() {
    // Find a connection the capture leaves cached (by running the same replay in-process).
    let mut dev = device(4096, 8);
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config::default());
    gufc_flowlife::replay(
        &mut dev,
        &mut s,
        CaptureReader::open(&pcap("mixed.pcap")).unwrap(),
        ReplayOptions {
            shutdown: false,
            ..ReplayOptions::default()
        },
    )
    .unwrap();
    let c = s
        .table
        .conns
        .values()
        .filter(|c| {
            c.offload == Offload::Cached && c.is_tcp() && !c.key(gufc_flowlife::Dir::Orig).ipv6
        })
        .min_by_key(|c| c.id)
        .expect("a cached TCP connection");
    let k = c.key(gufc_flowlife::Dir::Orig);
    let (src, dst) = (
        format!("{}:{}", k.src_ip(), k.sport),
        format!("{}:{}", k.dst_ip(), k.dport),
    );
    let path = pcap("mixed.pcap");
    let (code, out, err) = gufc(&[
        "trace",
        "--pcap",
        path.to_str().unwrap(),
        "--json",
        "tcp",
        &src,
        &dst,
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["stage"].as_str().unwrap().starts_with("flow-cache slot"),
        "{v}"
    );
    assert_eq!(v["host_receives"], false);
    assert_eq!(v["subscribers"], serde_json::json!([]));
    // A tuple nobody opened: the accept-all rule decides and every subscriber inspects it.
    let (code, out, _) = gufc(&[
        "trace",
        "--pcap",
        path.to_str().unwrap(),
        "tcp",
        "10.99.0.1:1234",
        "192.0.2.10:443",
        "--flags",
        "syn",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("stage:   rule 0") && out.contains("subscribers: accounting, portscan"),
        "{out}"
    );
    // With a rule set that drops ssh, the device drops it and no one on the host sees it.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.rules");
    std::fs::write(&rules, "drop proto tcp dport 22\nchannel 1\n").unwrap();
    let (code, out, err) = gufc(&[
        "trace",
        "--rules",
        rules.to_str().unwrap(),
        "tcp",
        "10.0.0.1:999",
        "192.0.2.1:22",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("verdict: drop") && out.contains("never sees it") && out.contains("dport 22"),
        "{out}"
    );
}

/// `gufc replay --packet-path --out DIR --json`: the capture's frames through the NIC model's
/// receive path, one capture per queue that received any, the counts adding up, and each
/// output capture readable with as many records as the report says the queue received.
#[test]
fn replay_on_the_packet_path_writes_a_capture_per_queue() {
    let path = pcap::repo("tests/data/pcap/mixed.pcap");
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = gufc(&[
        "replay",
        "--pcap",
        path.to_str().unwrap(),
        "--packet-path",
        "--backend",
        "model2",
        "--out",
        dir.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["frames_in"], 344, "{v}");
    let delivered = v["delivered"].as_object().unwrap();
    let dropped: u64 = v["dropped"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    let total: u64 = delivered.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(total + dropped, 344, "{v}");
    // The built-in accept-all rule: IPv4 to channel 0; IPv6 (a miss on 2.0), non-IP and
    // truncated frames to the slow path.
    assert_eq!(delivered.len(), 2, "{v}");
    for (queue, n) in delivered {
        let file = dir.path().join(format!("{queue}.pcap"));
        let mut r = CaptureReader::open(&file).unwrap();
        let mut k = 0;
        while r.next_record().unwrap().is_some() {
            k += 1;
        }
        assert_eq!(k, n.as_u64().unwrap(), "{}", file.display());
    }
    assert!(v["slow_path"]["parser:NonIp"].as_u64().unwrap() == 4, "{v}");
}

#[test]
fn replay_on_the_packet_path_refuses_a_device_the_rtl_and_a_scaled_speed() {
    let path = pcap::repo("tests/data/pcap/mixed.pcap");
    let p = path.to_str().unwrap();
    let (code, _, err) = gufc(&[
        "replay",
        "--pcap",
        p,
        "--packet-path",
        "--device",
        "0000:01:00.0",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("0000:01:00.0") && err.contains("wire"),
        "{err}"
    );
    let (code, _, err) = gufc(&["replay", "--pcap", p, "--packet-path", "--backend", "rtl"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("model2"), "{err}");
    let (code, _, err) = gufc(&["replay", "--pcap", p, "--packet-path", "--speed", "2x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--speed takes only `max`"), "{err}");
}
