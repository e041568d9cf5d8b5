//! ClassBench flags columns on RTL 2.0 (FLAG_BITS = 6): a rule that constrains ECE (0x40) or CWR
//! (0x80) cannot be matched, and dropping the bits would widen it silently, so it is refused at
//! its file:line naming the bits; `--drop-unmatchable-flags` clears them from the rule's value
//! and mask with a warning per rule and one counting them.

use std::process::Command;

use serde_json::Value;

/// Lines 1, 3 and 4 constrain ECE/CWR (the column's high byte is the TCP flags byte); line 2
/// only SYN; line 5 is the catch-all.
const SET: &str = "@10.0.0.0/8 0.0.0.0/0 0 : 65535 80 : 80 0x06/0xFF 0x4200/0xC200\n\
                   @10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x0200/0x1200\n\
                   @10.1.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x8000/0x8000\n\
                   @10.2.0.0/16 0.0.0.0/0 0 : 65535 443 : 443 0x06/0xFF 0x5000/0x5000\n\
                   @0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000\n";

/// `gufc ARGS…` with SET in `acl.cb` (`{set}`) and `trace` in `t.trace` (`{trace}`):
/// (success, stdout, stderr).
fn gufc(args: &[&str], trace: &str) -> (bool, String, String) {
    let d = tempfile::tempdir().unwrap();
    let (f, t) = (d.path().join("acl.cb"), d.path().join("t.trace"));
    std::fs::write(&f, SET).unwrap();
    std::fs::write(&t, trace).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("{set}", f.to_str().unwrap())
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

#[test]
fn ece_and_cwr_are_refused_on_2_0_naming_the_line_and_the_bits() {
    for cmd in [
        &["rules", "load", "{set}"][..],
        &["classify", "--load", "{set}", "--trace", "{trace}"],
        &["--load", "{set}", "rules", "show"],
    ] {
        let mut args = vec!["--backend", "model2"];
        args.extend(cmd);
        let (ok, out, err) = gufc(&args, "167772161 167772162 1000 80 6\n");
        assert!(!ok && out.is_empty(), "{cmd:?} took ECE/CWR: {out}");
        assert!(
            err.contains(
                "acl.cb:1:1: TCP flags ECE,CWR cannot be matched: the rule stage matches \
                          the low 6 flag bits (--drop-unmatchable-flags clears them"
            ),
            "{cmd:?}: {err}"
        );
        assert!(!err.contains("warning"), "{err}");
    }
    // As a JSON error: the place in `location`, exit status 2 (input).
    let (ok, _, err) = gufc(
        &["--backend", "model2", "--json", "rules", "load", "{set}"],
        "",
    );
    assert!(!ok);
    let v: Value = serde_json::from_str(&err).unwrap();
    assert_eq!(v["code"], "input");
    assert!(
        v["location"].as_str().unwrap().ends_with("acl.cb:1:1"),
        "{v}"
    );
}

#[test]
fn the_opt_in_clears_ece_and_cwr_with_a_warning_per_rule_and_a_count() {
    let args = [
        "--backend",
        "model2",
        "--drop-unmatchable-flags",
        "--load",
        "{set}",
        "rules",
        "show",
        "--json",
    ];
    let (ok, out, err) = gufc(&args, "");
    assert!(ok, "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    let per_rule: Vec<&str> = warnings
        .iter()
        .copied()
        .filter(|l| l.contains("cleared from this rule's flags match"))
        .collect();
    assert_eq!(per_rule.len(), 3, "{err}");
    for (w, (line, bits)) in per_rule
        .iter()
        .zip([(1, "ECE,CWR"), (3, "CWR"), (4, "ECE")])
    {
        assert!(
            w.contains(&format!(
                "acl.cb:{line}:1: warning: TCP flags {bits} cleared"
            )),
            "{w}"
        );
    }
    let summary: Vec<&str> = warnings
        .iter()
        .copied()
        .filter(|l| l.contains("--drop-unmatchable-flags cleared"))
        .collect();
    assert_eq!(summary.len(), 1, "{err}");
    assert!(
        summary[0].contains("acl.cb:1:1: warning: --drop-unmatchable-flags cleared TCP flags ECE,CWR from 3 rule(s)"),
        "{err}"
    );
    assert_eq!(warnings.len(), 4, "{err}");
    // What is left, read back from the device: SYN of line 1, SYN/SYN,ACK of line 2, nothing of
    // line 3, ACK of line 4: cleared from the value and the mask.
    let v: Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<(u64, &str)> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"]["line"].as_u64().unwrap(),
                r["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            (
                1,
                "channel 0 src 10.0.0.0/8 proto tcp dport 80 flags SYN/SYN"
            ),
            (2, "channel 0 src 10.0.0.0/8 proto tcp flags SYN/SYN,ACK"),
            (3, "channel 0 src 10.1.0.0/16 proto tcp"),
            (
                4,
                "channel 0 src 10.2.0.0/16 proto tcp dport 443 flags ACK/ACK"
            ),
            (5, "channel 0"),
        ]
    );
    // classify takes the set too: a SYN,ECE packet to port 80 is line 1's, as is a plain SYN
    // one now (the rule no longer asks for ECE), and SYN,ACK falls to line 5.
    let trace = "167772161 167772162 1000 80 6 1107296256 0\n\
                 167772161 167772162 1000 80 6 33554432 0\n\
                 167772161 167772162 1000 81 6 301989888 0\n";
    let args = [
        "--backend",
        "model2",
        "--drop-unmatchable-flags",
        "classify",
        "--load",
        "{set}",
        "--trace",
        "{trace}",
    ];
    let (ok, out, err) = gufc(&args, trace);
    assert!(ok, "{err}");
    assert_eq!(out, "1\n1\n5\n");
}
