//! The `--json` schema (docs/cli.md): every command's document carries `"schema": "gufc/1"`
//! and its command, uses snake_case field names and no serde enum shapes; errors under
//! `--json` are one object on stderr; exit statuses are the documented ones.

mod common;
use common::gufc;
use std::process::Command;

use serde_json::Value;

/// Every JSON document in `text` (a batch prints one per command).
fn documents(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|v| v.expect("valid JSON"))
        .collect()
}

fn snake(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A Rust variant name as serde writes it untold: one capitalised word or CamelCase.
fn camel(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_lowercase())
}

/// Paths in `v` that break the schema's rules.
fn violations(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                let k = m.keys().next().expect("one key");
                if camel(k) {
                    out.push(format!("{path}: `{{\"{k}\": …}}` is serde's enum shape"));
                }
            }
            for (k, x) in m {
                if !snake(k) {
                    out.push(format!("{path}: key `{k}` is not snake_case"));
                }
                violations(x, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                violations(x, &format!("{path}[{i}]"), out);
            }
        }
        Value::String(s) if camel(s) => {
            out.push(format!("{path}: `{s}` looks like a Rust enum variant"));
        }
        _ => {}
    }
}

#[test]
fn every_json_document_follows_the_schema() {
    let d = tempfile::tempdir().unwrap();
    let fw = "examples/host-firewall.rules";
    let pcap = "tests/data/pcap/mixed.pcap";
    let script = d.path().join("s.gufc");
    std::fs::write(
        &script,
        format!(
            "rules load {fw}\nlocal add 198.51.100.0/24\nlocal show\n\
             flows add tcp 10.0.0.1:1 192.0.2.10:443 --action channel:3\nflows show\n\
             probe tcp 10.0.0.1:1 192.0.2.10:443\nprobe tcp 10.0.8.1:1 192.0.2.10:22\n\
             trace tcp 10.0.8.1:1 192.0.2.10:22\nstats --per-rule\nrules show\n\
             flows del tcp 10.0.0.1:1 192.0.2.10:443\nlocal del 198.51.100.0/24\n"
        ),
    )
    .unwrap();
    let s = script.to_str().unwrap();
    let runs: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["demo", "--packets", "300"], vec!["demo"]),
        (
            vec![
                "classify",
                "--load",
                "tests/data/classbench/acl1_1K",
                "--trace",
                "tests/data/classbench/acl1_1K_trace",
            ],
            vec!["classify"],
        ),
        (vec!["rules", "load", fw], vec!["rules load"]),
        (vec!["--load", fw, "rules", "diff", fw], vec!["rules diff"]),
        (vec!["stats", "--pcap", pcap], vec!["stats"]),
        (vec!["regs", "dump"], vec!["regs dump"]),
        (vec!["regs", "read", "STATUS"], vec!["regs read"]),
        (vec!["replay", "--pcap", pcap], vec!["replay"]),
        (
            vec![
                "trace",
                "--pcap",
                pcap,
                "tcp",
                "10.0.3.164:40002",
                "192.0.2.12:22",
            ],
            vec!["trace"],
        ),
        // A connection the slow path tracks and caches: conntrack's enums and a flow entry.
        (
            vec![
                "trace",
                "--pcap",
                pcap,
                "tcp",
                "10.0.4.33:40019",
                "192.0.2.12:3260",
            ],
            vec!["trace"],
        ),
        (vec!["caps"], vec!["caps"]),
        (
            vec!["selftest", "--quick", "--samples", "8"],
            vec!["selftest"],
        ),
        (
            vec!["batch", s],
            vec![
                "rules load",
                "local add",
                "local show",
                "flows add",
                "flows show",
                "probe",
                "probe",
                "trace",
                "stats",
                "rules show",
                "flows del",
                "local del",
            ],
        ),
    ];
    let mut bad = Vec::new();
    for (args, commands) in runs {
        let mut a = args.clone();
        a.push("--json");
        let o = gufc(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{args:?}: {err}");
        let docs = documents(&String::from_utf8_lossy(&o.stdout));
        let got: Vec<&str> = docs
            .iter()
            .map(|v| v["command"].as_str().unwrap())
            .collect();
        assert_eq!(got, commands, "{args:?}");
        for v in &docs {
            assert_eq!(v["schema"], "gufc/1", "{args:?}");
            violations(v, &format!("{args:?}"), &mut bad);
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn errors_under_json_are_one_object_on_stderr_with_the_documented_status() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.rules");
    std::fs::write(&bad, "drop\nchannel 1 dport 90-80\n").unwrap();
    let cases: Vec<(Vec<&str>, i32, &str, Option<String>)> = vec![
        (
            vec!["rules", "load", bad.to_str().unwrap()],
            2,
            "input",
            Some(format!("{}:2:", bad.display())),
        ),
        (vec!["probe", "tcp", "1.2.3.4:1"], 2, "usage", None),
        (vec!["--local", "10.0.0.1/8", "caps"], 2, "usage", None),
        (
            vec!["regs", "write", "--raw", "0x0fc", "1"],
            3,
            "device",
            None,
        ),
    ];
    for (args, status, code, location) in cases {
        let mut a = args.clone();
        a.push("--json");
        let o = gufc(&a);
        assert_eq!(o.status.code(), Some(status), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let text = String::from_utf8_lossy(&o.stderr);
        let docs = documents(&text);
        assert_eq!(docs.len(), 1, "{args:?}: one object: {text}");
        let v = &docs[0];
        assert_eq!(v["schema"], "gufc/1");
        assert_eq!(v["code"], code, "{args:?}: {v}");
        assert_eq!(v["status"], status);
        assert!(!v["message"].as_str().unwrap().is_empty());
        if let Some(l) = location {
            assert!(
                v["location"].as_str().unwrap().starts_with(&l),
                "{args:?}: {v}"
            );
        }
    }
}

#[test]
fn help_documents_the_exit_statuses() {
    let o = gufc(&["--help"]);
    let t = String::from_utf8_lossy(&o.stdout);
    for s in [
        "EXIT STATUS",
        "0    success",
        "1    negative result",
        "2    usage or input",
        "3    device error",
        "141",
    ] {
        assert!(t.contains(s), "--help lacks `{s}`");
    }
}

#[test]
fn data_that_looks_like_an_enum_name_is_left_alone() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Firewall"), "drop\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_gufc"))
        .args(["rules", "load", "Firewall", "--json"])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["file"], "Firewall");
}

/// The library enums the documents carry, every variant, as their types declare them: plain
/// enums are snake_case strings, enums with data are objects tagged with `kind`.
#[test]
fn every_variant_of_a_serialized_enum_has_the_schemas_shape() {
    use gufc::device::FlowInterest;
    use gufc_flowlife::{
        Decision, Dir, EndReason, Eviction, HostVerdict, HwInterest, Interest, Offload, State,
        TcpState,
    };
    use serde_json::json;
    let val = |v: &dyn erased::Ser| v.value();
    let cases: Vec<(Value, Value)> = vec![
        (val(&FlowInterest::None), json!({"kind": "none"})),
        (val(&FlowInterest::TcpCtrl), json!({"kind": "tcp_ctrl"})),
        (
            val(&FlowInterest::Sample(16)),
            json!({"kind": "sample", "value": 16}),
        ),
        (val(&Interest::EveryPacket), json!({"kind": "every_packet"})),
        (
            val(&Interest::Sample(4)),
            json!({"kind": "sample", "value": 4}),
        ),
        (val(&HwInterest::TcpCtrl), json!({"kind": "tcp_ctrl"})),
        (
            val(&HwInterest::Sample(2)),
            json!({"kind": "sample", "value": 2}),
        ),
        (
            val(&State::Tcp(TcpState::SynSent)),
            json!({"kind": "tcp", "value": "syn_sent"}),
        ),
        (val(&State::Unreplied), json!({"kind": "unreplied"})),
        (
            val(&Decision::HostOnly { reason: 17 }),
            json!({"kind": "host_only", "reason": 17}),
        ),
        (val(&Offload::No), json!({"kind": "no"})),
        (
            val(&Offload::Refused { retry_ns: 5 }),
            json!({"kind": "refused", "retry_ns": 5}),
        ),
        (
            val(&HostVerdict::Forward { channel: 3 }),
            json!({"kind": "forward", "channel": 3}),
        ),
        (val(&HostVerdict::Consume), json!({"kind": "consume"})),
        (val(&Dir::Reply), json!("reply")),
        (val(&EndReason::RuleChange), json!("rule_change")),
        (val(&Eviction::EvictIdlest), json!("evict_idlest")),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    // The slow path counts ended connections under the same names (`slow_path.ended`).
    for r in [
        EndReason::Idle,
        EndReason::Closed,
        EndReason::Evicted,
        EndReason::RuleChange,
        EndReason::Shutdown,
    ] {
        assert_eq!(val(&r), json!(r.name()));
    }
}

/// `serde::Serialize` is not object safe; this lets the table above mix types.
mod erased {
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            gufc_cli::output::value(self)
        }
    }
}

/// A probe and a cached connection as `trace` shows them: the driver's and the slow path's
/// types carry the documented field names and enum shapes.
#[test]
fn a_traced_connection_has_the_documented_shape() {
    let o = gufc(&[
        "trace",
        "--pcap",
        "tests/data/pcap/mixed.pcap",
        "tcp",
        "10.0.4.33:40019",
        "192.0.2.12:3260",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &v["probe"];
    assert_eq!(p["decided_by"], "flow", "{p}");
    assert_eq!(
        p["action"],
        serde_json::json!({"verdict": "deliver", "channel": 0})
    );
    assert_eq!(p["stale_flow_bypassed"], false);
    let f = &v["flow_entry"];
    assert_eq!(f["interest"], serde_json::json!({"kind": "none"}), "{f}");
    assert_eq!(f["action"]["verdict"], "deliver");
    assert_eq!(f["key"], "10.0.4.33:40019 -> 192.0.2.12:3260 proto 6");
    let c = &v["connection"];
    assert_eq!(
        c["state"],
        serde_json::json!({"kind": "tcp", "value": "established"}),
        "{c}"
    );
    assert_eq!(
        c["decision"],
        serde_json::json!({"kind": "accept", "channel": 0})
    );
    assert_eq!(c["offload"], serde_json::json!({"kind": "cached"}));
    assert_eq!(c["interests"][0][0], serde_json::json!({"kind": "count"}));
}
