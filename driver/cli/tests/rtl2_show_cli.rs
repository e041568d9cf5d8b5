//! On an RTL 2.0 device `rules show`, `stats --per-rule` and `trace`'s "why" decode the entries
//! read back through TCAM_READ from the 2.0 rule-stage key (checker hits, ports, flags, class,
//! locality, addresses) into the rule language, with each entry's source file:line.
//!
//! The check that can fail: the shown entries, parsed back as rules in index order, must decide
//! every probe packet as the source file does (same rule line), and each must be its source
//! rule narrowed only in its ports (a range split over prefixes and a checker).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::process::Command;

use gufc::rules::{text, RuleSet};
use gufc_regmap::Key;
use serde_json::Value;

/// Prefixes, exact and ranged ports (1000-2000 and 1300-1350 take checkers; 16 two-port ranges
/// compete for the other 14, so two of them expand into prefixes), protocols on classes, TCP
/// flags, locality, and a catch-all.
fn rule_file() -> String {
    let mut s = String::from(
        "local 192.0.2.0/24\n\
         drop src 203.0.113.0/24\n\
         channel 1 proto tcp dst 192.0.2.0/24 dport 1000-2000\n\
         channel 2 proto udp src 10.0.0.0/8 sport 53 dport 1024-1027\n\
         channel 3 proto tcp dport 1300-1350 flags SYN/SYN,ACK\n\
         channel 4 proto tcp src 198.51.100.7/32 dport 443 flags ACK\n\
         slowpath proto icmp dst-local yes\n\
         channel 6 proto 47 src-local no\n",
    );
    for n in 0..16 {
        s += &format!("channel 7 proto udp dport {}-{}\n", 16 * n + 1, 16 * n + 2);
    }
    s += "channel 5\n";
    s
}

/// `gufc ARGS…` with `rules` in `r.rules` (`{rules}` in ARGS): (success, stdout, stderr).
fn gufc(args: &[&str], rules: &str) -> (bool, String, String) {
    let d = tempfile::tempdir().unwrap();
    let r = d.path().join("r.rules");
    std::fs::write(&r, rules).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("{rules}", r.to_str().unwrap()))
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_gufc"))
        .args(&args)
        .output()
        .unwrap();
    let s = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (o.status.success(), s(o.stdout), s(o.stderr))
}

/// The key a packet has inside the device: the locality table holds 192.0.2.0/24.
fn key(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, sport: u16, dport: u16) -> Key {
    let local = |a: Ipv4Addr| a.octets()[..3] == [192, 0, 2];
    let mut k = Key::new(src.into(), dst.into(), proto, sport, dport);
    (k.src_local, k.dst_local) = (local(src), local(dst));
    k
}

/// Every combination of addresses, protocols, ports and flags near the rules' edges.
fn probes() -> Vec<(Key, u8)> {
    let srcs = [
        "203.0.113.5",
        "10.1.2.3",
        "198.51.100.7",
        "192.0.2.9",
        "1.2.3.4",
    ];
    let dsts = ["192.0.2.7", "8.8.8.8"];
    let ports = [
        1, 2, 3, 17, 18, 33, 34, 241, 242, 243, 443, 999, 1000, 1024, 1027, 1028, 1299, 1300, 1350,
        1351, 2000, 2001,
    ];
    let mut out = Vec::new();
    for s in srcs {
        for d in dsts {
            for proto in [6u8, 17, 1, 47] {
                for &sport in &[53u16, 40000] {
                    for &dport in &ports {
                        let flags: &[u8] = if proto == 6 {
                            &[0x02, 0x12, 0x10, 0]
                        } else {
                            &[0]
                        };
                        for &f in flags {
                            out.push((
                                key(s.parse().unwrap(), d.parse().unwrap(), proto, sport, dport),
                                f,
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Runs `rules show --json` on `backend` and checks it against the rule file.
fn shown_entries_map_back_to_their_rules(backend: &[&str]) {
    let file = rule_file();
    let source = text::parse("r.rules", &file).unwrap();
    let mut args = backend.to_vec();
    args.extend(["--load", "{rules}", "rules", "show", "--json"]);
    let (ok, out, err) = gufc(&args, &file);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let rows = v["rules"].as_array().unwrap();
    let by_line: BTreeMap<u32, usize> = source
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.loc.line, i))
        .collect();
    // Each shown entry: its source line, its text parsed back as a rule.
    let mut shown = RuleSet {
        rules: Vec::new(),
        locals: Vec::new(),
        warnings: Vec::new(),
    };
    let mut line_of = Vec::new();
    let mut covered: BTreeMap<u32, Vec<(u16, u16, u16, u16)>> = BTreeMap::new();
    let mut last_index = -1i64;
    for row in rows {
        let index = row["index"].as_i64().unwrap();
        assert!(index > last_index, "index order: {row}");
        last_index = index;
        assert_eq!(row["notes"], Value::Array(vec![]), "{row}");
        let line = row["source"]["line"].as_u64().unwrap() as u32;
        assert!(row["source"]["file"].as_str().unwrap().ends_with("r.rules"));
        let want = &source.rules[by_line[&line]];
        let text = row["rule"].as_str().unwrap();
        let got = text::parse("shown", text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .rules
            .remove(0);
        // The entry is its rule, narrowed only in its ports.
        assert_eq!(got.action, want.action, "line {line}: {text}");
        assert_eq!(
            (got.src, got.dst),
            (want.src, want.dst),
            "line {line}: {text}"
        );
        assert_eq!(got.proto, want.proto, "line {line}: {text}");
        assert_eq!(got.flags, want.flags, "line {line}: {text}");
        assert_eq!(
            (got.src_local, got.dst_local),
            (want.src_local, want.dst_local),
            "line {line}: {text}"
        );
        for (g, w) in [(got.sport, want.sport), (got.dport, want.dport)] {
            assert!(
                w.lo <= g.lo && g.hi <= w.hi,
                "line {line}: {text} outside {w}"
            );
        }
        // A checker the entry uses is its port's whole range.
        for c in row["checkers"].as_array().unwrap() {
            let range = (
                c["range"][0].as_u64().unwrap(),
                c["range"][1].as_u64().unwrap(),
            );
            let port = if c["field"] == "dport" {
                got.dport
            } else {
                got.sport
            };
            assert_eq!(range, (port.lo as u64, port.hi as u64), "{row}");
            assert_eq!(c["hit"], true);
        }
        covered.entry(line).or_default().push((
            got.sport.lo,
            got.sport.hi,
            got.dport.lo,
            got.dport.hi,
        ));
        line_of.push(line);
        shown.rules.push(got);
    }
    // Every rule is shown, and its entries' destination ranges tile its own (no rule here
    // splits its source port).
    for r in &source.rules {
        let mut parts = covered
            .remove(&r.loc.line)
            .unwrap_or_else(|| panic!("{r} not shown"));
        parts.sort();
        let mut next = r.dport.lo as u32;
        for p in &parts {
            assert_eq!((p.0, p.1), (r.sport.lo, r.sport.hi), "{r}: {parts:?}");
            assert_eq!(p.2 as u32, next, "{r}: {parts:?}");
            next = p.3 as u32 + 1;
        }
        assert_eq!(next, r.dport.hi as u32 + 1, "{r}: {parts:?}");
    }
    // Entries that a checker could not take: the compiler split their ranges.
    assert!(
        rows.len() > source.rules.len(),
        "no range was split: {}",
        rows.len()
    );
    // The decisive check: the shown set decides as the file does.
    let probes = probes();
    for (k, f) in &probes {
        let want = source
            .first_match_with_flags(k, *f)
            .map(|i| source.rules[i].loc.line);
        let got = shown
            .rules
            .iter()
            .position(|r| r.matches_with_flags(k, *f))
            .map(|i| line_of[i]);
        assert_eq!(got, want, "{k} flags {f:#04x}");
    }
    // The text form: the same rule, then its source and checkers after `#`.
    let mut args = backend.to_vec();
    args.extend(["--load", "{rules}", "rules", "show"]);
    let (ok, out, err) = gufc(&args, &file);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), rows.len() + 2, "{out}");
    for (row, l) in rows.iter().zip(&lines[1..]) {
        let text = row["rule"].as_str().unwrap();
        let at = format!("r.rules:{}:1", row["source"]["line"]);
        let comment = l.split_once(&format!("{text}  # ")).map(|x| x.1);
        assert!(comment.is_some_and(|c| c.contains(&at)), "{l}\n{row}");
        for c in row["checkers"].as_array().unwrap() {
            let by = format!("{} by checker {}", c["field"].as_str().unwrap(), c["index"]);
            assert!(l.contains(&by), "{l}");
        }
    }
    assert_eq!(probes.len(), 5 * 2 * 2 * 22 * (4 + 3));
}

#[test]
fn rules_show_on_model2_decodes_each_entry_back_to_its_rule() {
    shown_entries_map_back_to_their_rules(&["--backend", "model2"]);
}

#[cfg(feature = "rtl")]
#[test]
fn rules_show_on_rtl2_decodes_each_entry_back_to_its_rule() {
    shown_entries_map_back_to_their_rules(&[
        "--backend",
        "rtl2",
        "--tcam-entries",
        "256",
        "--flow-buckets",
        "64",
    ]);
}

#[test]
fn trace_on_model2_says_why_in_the_rule_language() {
    let file = rule_file();
    for (pkt, flags, why) in [
        (
            ["tcp", "10.0.0.1:5", "192.0.2.7:1500"],
            "syn",
            "TCAM entry 1 matches: channel 1 dst 192.0.2.0/24 proto tcp dport 1000-2000  # dport by \
             checker 0 (priority 65534); source ",
        ),
        (
            ["tcp", "198.51.100.7:5", "8.8.8.8:443"],
            "ack,psh",
            "matches: channel 4 src 198.51.100.7/32 proto tcp dport 443 flags ACK/ACK (priority",
        ),
        (
            ["udp", "10.9.9.9:53", "8.8.8.8:1026"],
            "none",
            "matches: channel 2 src 10.0.0.0/8 proto udp sport 53 dport 1024-1027 (priority",
        ),
        (
            ["icmp", "1.2.3.4", "192.0.2.1"],
            "none",
            "matches: slowpath dst-local yes proto icmp (priority",
        ),
    ] {
        let mut args = vec!["--backend", "model2", "--load", "{rules}", "trace", "--flags", flags];
        args.extend(pkt);
        let (ok, out, err) = gufc(&args, &file);
        assert!(ok, "{err}");
        assert!(out.contains(why), "{pkt:?}: {out}");
    }
    // stats --per-rule shows the same decoded text.
    let (ok, out, err) = gufc(
        &[
            "--backend",
            "model2",
            "--load",
            "{rules}",
            "stats",
            "--per-rule",
        ],
        &file,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("channel 3 proto tcp dport 1300-1350 flags SYN/SYN,ACK  # dport by checker 1"),
        "{out}"
    );
}

#[test]
fn rules_diff_on_model2_compares_entries_by_meaning() {
    let file = rule_file();
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a.rules"), d.path().join("b.rules"));
    std::fs::write(&a, &file).unwrap();
    // Line 23's range grows by one port: 225 stays an entry, 226 becomes 226-227.
    std::fs::write(&b, file.replace("dport 225-226", "dport 225-227")).unwrap();
    let diff = |other: &std::path::Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_gufc"))
            .args(["--backend", "model2", "--load"])
            .arg(&a)
            .args(["rules", "diff"])
            .arg(other)
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8(o.stdout).unwrap())
    };
    let (code, out) = diff(&a);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "0 added, 0 removed, 26 unchanged\n");
    let (code, out) = diff(&b);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("- channel 7 proto udp dport 226    # TCAM entry 22: ")
            && lines[0].contains("a.rules:23:1"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("+ channel 7 proto udp dport 225-227    # ")
            && lines[1].ends_with("b.rules:23:1"),
        "{out}"
    );
    assert_eq!(lines[2], "1 added, 1 removed, 25 unchanged");
}
