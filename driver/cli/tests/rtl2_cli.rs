//! `rules load` says what the rule set would cost in the RTL 2.0 rule stage (issue 10): TCAM
//! entries once its port ranges are laid out on range checkers and prefixes, and the checkers
//! used, in the text and in the JSON `rtl2` object. The answers here are worked by hand.

use std::process::Command;

use serde_json::{json, Value};

/// Runs `gufc rules load FILE` on `text` (and with `--json`): (stdout text, JSON document).
fn load(text: &str) -> (String, Value) {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("r.rules");
    std::fs::write(&f, text).unwrap();
    let run = |json: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gufc"));
        c.args(["rules", "load", f.to_str().unwrap()]);
        if json {
            c.arg("--json");
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    (run(false), serde_json::from_str(&run(true)).unwrap())
}

#[test]
fn one_shared_range_takes_one_checker_and_one_entry_per_rule() {
    // 1000-2000 is no single prefix (it would expand into 8 prefixes); one checker serves all three.
    let (text, v) = load(
        "channel 1 proto tcp dport 1000-2000\n\
         channel 2 proto udp dport 1000-2000\n\
         drop src 10.0.0.0/8 dport 1000-2000\n\
         drop\n",
    );
    assert!(
        text.contains(
            "RTL 2.0 layout: 4 entries (1.000 per rule), 1 of 16 range checkers, 2 of 7 protocol classes\n"
        ),
        "{text}"
    );
    assert_eq!(
        v["rtl2"],
        json!({"entries": 4, "entries_per_rule": 1.0, "checkers": 1, "checkers_available": 16,
               "protocol_classes": 2, "protocol_classes_available": 7, "problem": null})
    );
}

#[test]
fn the_seventeenth_range_expands_into_prefixes() {
    // 17 distinct ranges 16n+1..16n+2, each two prefixes (an odd and an even port): 16 get a
    // checker (one entry each), the last costs two entries: 18 entries for 17 rules.
    let rules: String = (0..17)
        .map(|n| format!("channel 1 dport {}-{}\n", 16 * n + 1, 16 * n + 2))
        .collect();
    let (text, v) = load(&rules);
    assert!(
        text.contains(
            "RTL 2.0 layout: 18 entries (1.059 per rule), 16 of 16 range checkers, 0 of 7"
        ),
        "{text}"
    );
    assert_eq!(v["rtl2"]["entries"], 18);
    assert_eq!(v["rtl2"]["checkers"], 16);
    assert_eq!(v["rtl2"]["checkers_available"], 16);
    let per_rule = v["rtl2"]["entries_per_rule"].as_f64().unwrap();
    assert!((per_rule - 18.0 / 17.0).abs() < 1e-12, "{per_rule}");
}

#[test]
fn an_eighth_protocol_does_not_fit_the_classes() {
    // Loads on today's device (which matches the protocol byte), and says where the 2.0 layout
    // breaks: the rule naming the eighth distinct protocol.
    let rules: String = (1..=8).map(|p| format!("drop proto {p}\n")).collect();
    let (text, v) = load(&rules);
    assert!(
        text.contains("0 of 7 protocol classes; does not fit: ")
            && text.contains("r.rules:8:1: protocol 8"),
        "{text}"
    );
    assert_eq!(v["rtl2"]["protocol_classes"], 0);
    assert!(
        v["rtl2"]["problem"]
            .as_str()
            .unwrap()
            .contains("r.rules:8:1"),
        "{v}"
    );
}

/// `gufc ARGS…` with `rules` written to `r.rules` (`{rules}` in ARGS is its path) and `trace`
/// to `t.trace` (`{trace}`): (success, stdout, stderr).
fn gufc(args: &[&str], rules: &str, trace: &str) -> (bool, String, String) {
    let d = tempfile::tempdir().unwrap();
    let (r, t) = (d.path().join("r.rules"), d.path().join("t.trace"));
    std::fs::write(&r, rules).unwrap();
    std::fs::write(&t, trace).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("{rules}", r.to_str().unwrap())
                .replace("{trace}", t.to_str().unwrap())
        })
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_gufc"))
        .args(&args)
        .output()
        .unwrap();
    let s = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (o.status.success(), s(o.stdout), s(o.stderr))
}

const FLAGGED: &str = "channel 1 proto tcp flags SYN/SYN,ACK,RST,FIN\n\
                       channel 2 proto tcp flags ACK\n\
                       channel 3\n";

#[test]
fn tcp_flag_rules_load_and_decide_on_model2_and_are_refused_on_1_x() {
    let pkt = ["tcp", "10.0.0.1:1000", "10.0.0.2:80"];
    for (flags, verdict) in [
        ("syn", "channel 1"),
        ("syn,ack", "channel 2"),
        ("fin", "channel 3"),
    ] {
        let mut args = vec![
            "--backend",
            "model2",
            "trace",
            "--load",
            "{rules}",
            "--flags",
            flags,
        ];
        args.extend(pkt);
        let (ok, out, err) = gufc(&args, FLAGGED, "");
        assert!(ok, "{err}");
        assert!(
            out.contains(&format!("verdict: {verdict}\n")),
            "--flags {flags}: {out}"
        );
    }
    let mut args = vec!["trace", "--load", "{rules}", "--flags", "syn"];
    args.extend(pkt);
    let (ok, _, err) = gufc(&args, FLAGGED, "");
    assert!(!ok, "1.x took a flagged rule");
    assert!(
        err.contains("r.rules:1:1: TCP-flag matches need an RTL 2.0 device"),
        "{err}"
    );
}

#[test]
fn classify_passes_a_raw_traces_flags_column_to_model2() {
    // Raw trace_generator lines: src dst sport dport proto flags filter; the flags column's
    // top byte is the packet's TCP flags (0x02 SYN, 0x10 ACK, 0x12 SYN,ACK).
    let trace = "167772161 167772162 1000 80 6 33619967 0\n\
                 167772161 167772162 1000 80 6 268500991 0\n\
                 167772161 167772162 1000 80 6 301989888 0\n\
                 167772161 167772162 1000 80 6 0 0\n";
    let args = [
        "--backend",
        "model2",
        "--format",
        "text",
        "classify",
        "--load",
        "{rules}",
        "--trace",
        "{trace}",
    ];
    let (ok, out, err) = gufc(&args, FLAGGED, trace);
    assert!(ok, "{err}");
    assert_eq!(out, "1\n2\n2\n3\n");
}
