//! `gufc parse`: the NIC parser's model and the host decoder on a capture.

mod common;

use common::gufc;
use serde_json::Value;

#[test]
fn parse_counts_the_reasons_of_a_capture_and_agrees_with_the_host_decoder() {
    let out = gufc(&["--json", "parse", "tests/data/pcap/mixed.pcap"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["command"], "parse");
    assert_eq!(v["frames"], 344);
    assert_eq!(v["differ_from_host"], 0);
    // The capture's 4 non-IP frames and its 3 frames snapped inside their headers.
    let r = &v["reasons"];
    assert_eq!(
        (r["none"].as_u64(), r["non_ip"].as_u64()),
        (Some(337), Some(4))
    );
    assert_eq!(
        r["truncated"].as_u64().unwrap() + r["bad_length"].as_u64().unwrap(),
        3
    );
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 7, "only frames without a key are listed");
    assert!(records
        .iter()
        .all(|x| x["key"].is_null() && x["same_as_host"] == true));
    assert_eq!(records.iter().filter(|x| x["snapped"] == true).count(), 3);
}

#[test]
fn parse_all_lists_every_frame_and_a_summary() {
    let out = gufc(&["parse", "--all", "tests/data/pcap/scan.pcap"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let summary = lines.last().unwrap();
    let frames: usize = summary.split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(lines.len(), frames + 1, "{summary}");
    assert!(
        summary.ends_with("0 differ from the host decoder"),
        "{summary}"
    );
    assert!(
        lines[0].contains("nic ") && lines[0].contains(" host "),
        "{}",
        lines[0]
    );
}

#[test]
fn parse_refuses_what_does_not_apply_and_names_a_missing_capture() {
    let out = gufc(&[
        "--load",
        "examples/host-firewall.rules",
        "parse",
        "tests/data/pcap/scan.pcap",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`parse`"));
    let out = gufc(&["parse", "no/such.pcap"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such.pcap"));
    let out = gufc(&["parse", "--window", "60", "tests/data/pcap/scan.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--window 60"));
}
