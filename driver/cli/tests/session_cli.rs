//! Batches on one device, the locality table, and one vocabulary for rule files: `gufc` end
//! to end on the model, run from a directory that is not the repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(p: &str) -> String {
    gufc_testkit::repo(p).to_str().unwrap().to_string()
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gufc"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gufc runs")
}

fn gufc(args: &[&str]) -> Output {
    run_in(&std::env::temp_dir(), args)
}

fn text(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = text(&gufc(args));
    assert_eq!(code, 0, "gufc {args:?}: {err}");
    out
}

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let p: PathBuf = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p.to_str().unwrap().to_string()
}

/// Register writes in a `--trace-mmio` log.
fn writes(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.starts_with("W ")).count()
}

#[test]
fn a_batch_runs_every_line_on_one_device() {
    let d = tempfile::tempdir().unwrap();
    let rules = write(
        &d,
        "fw.rules",
        "local 192.0.2.0/24\ndrop proto tcp dport 23\nchannel 4 dst-local yes proto tcp dport 22\ndrop\n",
    );
    let script = write(
        &d,
        "s.gufc",
        &format!(
            "# one model NIC for the whole file\n\n\
             rules load '{rules}'\n\
             local add 198.51.100.0/24   # a second prefix\n\
             local show\n\
             probe tcp 203.0.113.7:40000 192.0.2.10:22\n\
             flows add tcp 10.0.0.1:40000 198.51.100.9:443 --action \"channel 3\" --pinned\n\
             probe tcp 10.0.0.1:40000 198.51.100.9:443\n\
             rules show\n"
        ),
    );
    let out = ok(&["batch", &script]);
    assert!(
        out.contains("0  192.0.2.0/24") && out.contains("1  198.51.100.0/24"),
        "{out}"
    );
    assert!(
        out.contains("channel 4 by TCAM entry") && out.contains("fw.rules:3:1"),
        "the rule file's local line made the dst-local rule reachable, named by file:line: {out}"
    );
    assert!(
        out.contains("channel 3 by flow-cache slot"),
        "the flow added two lines up: {out}"
    );
    assert!(out.contains("3 live rules"), "{out}");
    // `-f FILE` is the same run.
    assert_eq!(ok(&["-f", &script]), out);
}

#[test]
fn a_batch_stops_at_the_first_error_with_file_and_line_unless_keep_going() {
    let d = tempfile::tempdir().unwrap();
    let script = write(
        &d,
        "s.gufc",
        "local add 192.0.2.0/24\nlocal add 10.0.0.1/8\nlocal show\n",
    );
    let (code, out, err) = text(&gufc(&["batch", &script]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("s.gufc:2: local add '10.0.0.1/8'") && err.contains("10.0.0.0/8"),
        "{err}"
    );
    assert!(
        !out.contains("locality entries used"),
        "line 3 did not run: {out}"
    );
    let (code, out, err) = text(&gufc(&["batch", "--keep-going", &script]));
    assert_eq!(code, 2, "the first failure's status: {err}");
    assert!(
        out.contains("1 of 16 locality entries used"),
        "line 3 ran: {out}"
    );
    // A syntax error anywhere stops the run before the first line runs.
    let script = write(
        &d,
        "t.gufc",
        "local add 192.0.2.0/24\nprobe tcp 'unclosed\n",
    );
    let (code, out, err) = text(&gufc(&["--trace-mmio", "batch", &script]));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("t.gufc:2: unterminated ' quote"), "{err}");
    assert_eq!(writes(&err), 0, "nothing written: {err}");
    let script = write(&d, "u.gufc", "probe tcp 1.2.3.4:1\n");
    let (_, _, err) = text(&gufc(&["batch", &script]));
    assert!(err.contains("u.gufc:1: "), "{err}");
}

#[test]
fn local_prefixes_are_checked_like_rule_prefixes_and_reach_the_pipeline() {
    let (code, _, err) = text(&gufc(&["local", "add", "192.0.2.1/24"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("local add '192.0.2.1/24'") && err.contains("192.0.2.0/24"),
        "{err}"
    );
    let (code, _, err) = text(&gufc(&[
        "--local",
        "10.1.1.1/8",
        "probe",
        "tcp",
        "1.2.3.4:1",
        "10.1.1.1:2",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("--local '10.1.1.1/8'"), "{err}");
    for cmd in [
        &["probe", "tcp", "1.2.3.4:1", "10.1.1.1:2"][..],
        &["stats"][..],
    ] {
        let mut args = vec!["--local", "10.0.0.0/8"];
        args.extend_from_slice(cmd);
        ok(&args);
    }
    let out = ok(&[
        "--local",
        "10.0.0.0/8",
        "probe",
        "tcp",
        "1.2.3.4:1",
        "10.1.1.1:2",
    ]);
    assert!(out.contains("src local: false, dst local: true"), "{out}");
}

#[test]
fn every_command_honours_the_rule_file_or_refuses_it() {
    let d = tempfile::tempdir().unwrap();
    let fw = repo("examples/host-firewall.rules");
    // --rules is an alias of --load that behaves identically.
    let probe = ["probe", "tcp", "10.0.8.1:40000", "192.0.2.10:22"];
    let a = ok(&[&["--load", &fw][..], &probe].concat());
    let b = ok(&[&probe[..], &["--rules", &fw]].concat());
    assert_eq!(a, b);
    assert!(a.contains("host-firewall.rules:35:1"), "{a}");
    // trace and replay honour it (they ignored --load before).
    let drop_all = write(&d, "drop.rules", "drop\n");
    let out = ok(&[
        "trace",
        "--load",
        &drop_all,
        "tcp",
        "10.0.8.1:40000",
        "192.0.2.10:22",
    ]);
    assert!(
        out.contains("verdict: drop") && out.contains("drop.rules:1:1"),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "replay",
        "--pcap",
        &repo("tests/data/pcap/mixed.pcap"),
        "--load",
        &drop_all,
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["dropped"], v["lookups"], "{v}");
    // Commands that cannot use it refuse it.
    for args in [
        &["rules", "load", &drop_all, "--load", &drop_all][..],
        &["selftest", "--quick", "--load", &drop_all][..],
        &["list", "--load", &drop_all][..],
    ] {
        let (code, _, err) = text(&gufc(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--load"), "{err}");
    }
    let (code, _, err) = text(&gufc(&["classify", "--trace", "x"]));
    assert!(code == 2 && err.contains("--load FILE"), "{err}");
}

#[test]
fn rules_diff_compares_content_with_diff_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let a = write(
        &d,
        "a.rules",
        "drop proto tcp dport 23\nchannel 1 proto udp dport 53\ndrop\n",
    );
    let same = write(
        &d,
        "same.rules",
        "# reformatted\n\n  drop proto tcp dport 23\nchannel 1  proto udp  dport 53\ndrop\n",
    );
    let more = write(
        &d,
        "more.rules",
        "channel 2 proto tcp dport 80\ndrop proto tcp dport 23\nchannel 1 proto udp dport 53\ndrop\n",
    );
    let (code, out, _) = text(&gufc(&["--load", &a, "rules", "diff", &same]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 added, 0 removed, 3 unchanged"), "{out}");
    let (code, out, _) = text(&gufc(&["--load", &a, "rules", "diff", &more]));
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            &format!("+ channel 2 proto tcp dport 80    # {more}:1:1")[..],
            "1 added, 0 removed, 3 unchanged"
        ],
        "one insertion at the top is one line, not a shifted set"
    );
    let (code, out, _) = text(&gufc(&["--load", &more, "rules", "diff", &a]));
    assert_eq!(code, 1);
    assert!(
        out.starts_with("- channel 2 proto tcp dport 80    # TCAM entry"),
        "{out}"
    );
    // Swapped order is a different decision, so a difference.
    let swapped = write(
        &d,
        "swap.rules",
        "channel 1 proto udp dport 53\ndrop proto tcp dport 23\ndrop\n",
    );
    assert_eq!(text(&gufc(&["--load", &a, "rules", "diff", &swapped])).0, 1);
    let (code, _, err) = text(&gufc(&[
        "--load",
        &a,
        "rules",
        "diff",
        "/nonexistent.rules",
    ]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn flows_add_action_takes_one_argument() {
    let out = ok(&[
        "flows",
        "add",
        "--action",
        "drop",
        "tcp",
        "10.0.0.1:1",
        "10.0.0.2:2",
    ]);
    assert!(out.contains("-> drop: slot"), "{out}");
    let out = ok(&[
        "flows",
        "add",
        "tcp",
        "10.0.0.1:1",
        "10.0.0.2:2",
        "--action",
        "channel:3",
        "--pinned",
    ]);
    assert!(out.contains("-> channel 3"), "{out}");
    let d = tempfile::tempdir().unwrap();
    let rules = write(&d, "ok.rules", "drop\n");
    let (code, _, err) = text(&gufc(&[
        "--trace-mmio",
        "--load",
        &rules,
        "flows",
        "add",
        "tcp",
        "10.0.0.1:1",
        "10.0.0.2:2",
        "--action",
        "channel:99",
    ]));
    assert_eq!(writes(&err), 0, "not even --load's rules: {err}");
    assert!(
        code == 2 && err.contains("the device has 16 channels"),
        "{err}"
    );
}

#[test]
fn out_of_range_values_are_refused_before_the_first_register_write() {
    let d = tempfile::tempdir().unwrap();
    let (code, _, err) = text(&gufc(&[
        "--trace-mmio",
        "replay",
        "--pcap",
        &repo("tests/data/pcap/mixed.pcap"),
        "--accept-channel",
        "99",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("--accept-channel 99: the device has 16 channels"),
        "{err}"
    );
    assert_eq!(writes(&err), 0, "{err}");
    let ch = write(
        &d,
        "ch.rules",
        "drop proto tcp dport 23\nchannel 20 proto tcp\n",
    );
    for args in [
        &[
            "--trace-mmio",
            "--load",
            &ch,
            "probe",
            "tcp",
            "1.2.3.4:1",
            "5.6.7.8:2",
        ][..],
        &["--trace-mmio", "rules", "load", &ch][..],
        &["--trace-mmio", "demo", "--load", &ch][..],
        &[
            "--trace-mmio",
            "trace",
            "--load",
            &ch,
            "tcp",
            "1.2.3.4:1",
            "5.6.7.8:2",
        ][..],
    ] {
        let (code, _, err) = text(&gufc(args));
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains("ch.rules:2:1: channel 20 is out of range: the device has 16 channels"),
            "{args:?}: {err}"
        );
        assert_eq!(writes(&err), 0, "{args:?}: {err}");
    }
}

#[test]
fn demo_runs_from_any_directory_and_refuses_a_set_without_rules() {
    let d = tempfile::tempdir().unwrap();
    let (code, out, err) = text(&run_in(d.path(), &["demo", "--packets", "200"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("examples/host-firewall.rules (built in)"),
        "{out}"
    );
    for body in ["", "# only a comment\n\n"] {
        let f = write(&d, "empty.rules", body);
        let (code, _, err) = text(&gufc(&["demo", "--load", &f]));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("empty.rules: no rules"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn commands_with_their_own_device_leave_the_runs_rule_sources_alone() {
    let d = tempfile::tempdir().unwrap();
    let mine = write(&d, "mine.rules", "channel 2 proto tcp dport 22\ndrop\n");
    let other = write(&d, "other.rules", "drop proto udp\nchannel 5\n");
    let script = write(
        &d,
        "s.gufc",
        &format!(
            "rules load {mine}\ndemo --packets 50 --load {other}\n\
             probe tcp 10.0.0.1:1 10.0.0.2:22\n"
        ),
    );
    let out = ok(&["batch", &script]);
    let probe = out.lines().rev().nth(1).unwrap();
    assert!(probe.contains("mine.rules:1:1"), "{probe}");
}
