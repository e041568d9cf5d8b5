//! The `gufc` binary end to end on the embedded model.

mod common;
use common::gufc;
use std::path::PathBuf;

fn ok(args: &[&str]) -> String {
    let o = gufc(args);
    assert!(
        o.status.success(),
        "gufc {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(&a)).unwrap_or_else(|e| panic!("gufc {args:?} --json: {e}"))
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gufc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Against the trace's own expected-rule column, on one lookup thread and on several (a 10K
/// set too, whose bursts are large enough to start them).
#[test]
fn classify_prints_the_first_matching_rule_per_trace_line() {
    for (set, threads) in [("acl1_1K", "1"), ("acl1_1K", "2"), ("fw1_10K", "3")] {
        let rules = format!("tests/data/classbench/{set}");
        let trace = format!("{rules}_trace");
        let out = ok(&[
            "classify",
            "--format",
            "classbench",
            "--rules",
            &rules,
            "--trace",
            &trace,
            "--threads",
            threads,
        ]);
        let expected: Vec<String> =
            std::fs::read_to_string(gufc_testkit::data(&format!("classbench/{set}_trace")))
                .unwrap()
                .lines()
                .map(|l| l.split_whitespace().nth(5).unwrap().to_string())
                .collect();
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got.len(), expected.len());
        if let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) {
            panic!(
                "{set}, {threads} threads: trace line {}: rule {}, expected {}",
                i + 1,
                got[i],
                expected[i]
            );
        }
    }
}

#[test]
fn classify_refuses_a_too_small_tcam_with_the_count_needed() {
    let o = gufc(&[
        "classify",
        "--rules",
        "tests/data/classbench/fw1_1K",
        "--trace",
        "tests/data/classbench/fw1_1K_trace",
        "--tcam-entries",
        "100",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the rules need 792 TCAM entries, the device has 100"),
        "{err}"
    );
}

#[test]
fn demo_runs_every_stage() {
    let v = json(&["demo", "--packets", "3000"]);
    assert_eq!(v["packets"], 3000);
    let g = &v["global"];
    assert_eq!(g["lookups"], 3000);
    for k in ["flow_hits", "rule_hits", "delivered", "drops", "slow_path"] {
        assert!(
            g[k].as_u64().unwrap() > 0,
            "demo traffic exercises {k}: {g}"
        );
    }
    assert!(
        v["lookups_per_cycle"].as_f64().unwrap() > 0.99,
        "one lookup per cycle"
    );
    let text = ok(&["demo", "--packets", "1000"]);
    assert!(
        text.contains("per channel:") && text.contains("per rule"),
        "{text}"
    );
}

#[test]
fn bad_rule_files_name_the_place_and_change_nothing() {
    let bad = tmp(
        "bad.rules",
        "drop dst 10.0.0.0/8\nchannel 1 dst 10.1.2.3/33\n",
    );
    let o = gufc(&["rules", "load", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "bad input exits 2");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.rules:2:"),
        "error names file:line:column: {err}"
    );
    // With a good set loaded first, the failed load leaves it live.
    let good = tmp(
        "good.rules",
        "drop dst 10.0.0.0/8\nchannel 2 dport 80 proto tcp\n",
    );
    let inverted = tmp("inverted.rules", "channel 1 dport 90-80\n");
    let o = gufc(&[
        "--load",
        good.to_str().unwrap(),
        "rules",
        "diff",
        inverted.to_str().unwrap(),
        "--apply",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("inverted.rules:1:"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&["--load", good.to_str().unwrap(), "rules", "show"]);
    assert_eq!(v["rules"].as_array().unwrap().len(), 2);
}

#[test]
fn probe_and_flows_and_regs_work_on_the_model() {
    let rules = tmp("probe.rules", "channel 3 proto tcp dport 22\ndrop\n");
    let v = json(&[
        "--load",
        rules.to_str().unwrap(),
        "probe",
        "tcp",
        "198.51.100.1:40000",
        "192.0.2.10:22",
    ]);
    assert_eq!(
        v["result"]["action"],
        serde_json::json!({"verdict": "deliver", "channel": 3})
    );
    assert_eq!(v["result"]["decided_by"], "rule");
    assert_eq!(v["result"]["source"]["line"], 1);
    let v = json(&[
        "flows",
        "add",
        "udp",
        "[2001:db8::1]:53",
        "[2001:db8::2]:5353",
        "--action",
        "channel:5",
    ]);
    assert_eq!(v["insert"]["moves"], 0);
    let v = json(&["regs", "dump"]);
    let id = v["registers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "ID")
        .unwrap();
    assert_eq!(id["value"], 0x4755_4643);
    assert_eq!(
        ok(&["regs", "read", "CAP_TCAM"]).split_whitespace().next(),
        Some("0x00004000")
    );
    let o = gufc(&["regs", "read", "NOPE"]);
    assert!(
        !o.status.success()
            && String::from_utf8_lossy(&o.stderr).contains("'NOPE' is not a register")
    );
    let o = gufc(&["regs", "write", "--raw", "0x0fc", "1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("offset 0xfc rejected"),
        "{err}"
    );
    let v = json(&["caps"]);
    assert_eq!(v["caps"]["tcam_entries"], 16384);
}
