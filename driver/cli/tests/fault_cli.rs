//! Every command on a broken device ends cleanly in bounded time: a device that reads
//! all-ones (from the start, or after N good reads), one with a wrong ID, one whose work never
//! completes, one that loses every result. "Cleanly" means: exit status neither 0 nor 101 (a
//! panic), a message naming the cause (and the register offset where there is one), within
//! [`LIMIT`]; or, where the fault does not touch what the command uses, exactly the output of
//! a run without the fault — never garbage printed as if it were true.
#![cfg(feature = "fault-injection")]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run that takes longer than this hangs.
const LIMIT: Duration = Duration::from_secs(20);

/// Every command that opens a device, with arguments that succeed on a working one.
fn commands() -> Vec<Vec<&'static str>> {
    [
        "caps",
        "regs dump",
        "regs read SCRATCH",
        "regs write SCRATCH 5",
        "rules load examples/host-firewall.rules",
        "rules show",
        "rules diff examples/host-firewall.rules",
        "flows add tcp 10.0.0.1:1 10.0.0.2:2 --action drop",
        "flows show",
        "local add 10.0.0.0/8",
        "local show",
        "stats",
        "stats --per-rule --load examples/host-firewall.rules",
        "probe tcp 10.0.0.1:1 10.0.0.2:2 --load examples/host-firewall.rules",
        "trace tcp 10.0.0.1:1 10.0.0.2:2",
        "trace --pcap tests/data/pcap/mixed.pcap tcp 10.0.0.1:1 10.0.0.2:2",
        "stats --pcap tests/data/pcap/mixed.pcap",
        "demo --packets 2000",
        "replay --pcap tests/data/pcap/mixed.pcap --load examples/host-firewall.rules",
        "classify --load tests/data/classbench/acl1_1K --trace tests/data/classbench/acl1_1K_trace",
        "selftest",
        "-f tests/data/faults.gufc",
    ]
    .iter()
    .map(|c| c.split(' ').collect())
    .collect()
}

/// One run's outcome.
#[derive(Debug, PartialEq)]
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(fault: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gufc"));
    if let Some(f) = fault {
        cmd.args(["--inject-fault", f]);
    }
    let mut child = cmd
        .args(args)
        .current_dir(gufc_testkit::repo(""))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gufc runs");
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gufc --inject-fault {fault:?} {args:?} hung: killed after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Run {
        status: status.code().expect("gufc exited, not killed by a signal"),
        stdout: untimed(&o.join().unwrap()),
        stderr: untimed(&e.join().unwrap()),
    }
}

/// `text` with wall-clock figures (`0.18 s`, `(64353 packets/s)`) replaced by `#`: they differ
/// between any two runs.
fn untimed(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let kept: Vec<&str> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let next = words.get(i + 1).copied().unwrap_or("");
                let timed =
                    ["s", "s,", "s)", "s;"].contains(&next) || next.starts_with("packets/s");
                if timed && w.trim_start_matches('(').parse::<f64>().is_ok() {
                    "#"
                } else {
                    w
                }
            })
            .collect();
        out += &kept.join(" ");
        out.push('\n');
    }
    out
}

/// Messages that name a fault's cause. The all-ones message names the register's offset.
const CAUSES: &[&str] = &[
    "reads all-ones",
    "not a gufc classifier",
    "did not finish within",
    "packet stream stalled",
];

/// Fails unless `r` is a clean failure naming a cause, or exactly `clean`.
fn check(fault: &str, args: &[&str], r: &Run, clean: &Run) -> bool {
    if r == clean {
        return false;
    }
    let what = format!("--inject-fault {fault} {}", args.join(" "));
    assert!(
        r.status != 0 && r.status != 101,
        "{what}: exit {} with output differing from a working device's:\n{}\n{}",
        r.status,
        r.stdout,
        r.stderr
    );
    let selftest = args == ["selftest"] && r.stdout.contains("FAIL:");
    assert!(
        selftest || CAUSES.iter().any(|c| r.stderr.contains(c)),
        "{what}: exit {} without naming the cause:\n{}",
        r.status,
        r.stderr
    );
    if r.stderr.contains("reads all-ones") {
        assert!(r.stderr.contains("BAR0+0x"), "{what}: {}", r.stderr);
    }
    true
}

/// A fault that every command must run into.
fn everyone_fails(fault: &str) {
    for args in commands() {
        let clean = run(None, &args);
        // `rules diff` exits 1: the fresh device holds no rules, the file does.
        assert!(
            clean.status <= 1,
            "{args:?} fails without a fault: {clean:?}"
        );
        let r = run(Some(fault), &args);
        assert!(
            check(fault, &args, &r, &clean),
            "{fault} {args:?}: no error"
        );
    }
}

#[test]
fn a_device_that_reads_all_ones_is_refused_by_every_command() {
    everyone_fails("all-ones");
}

#[test]
fn a_device_with_a_wrong_id_is_refused_by_every_command() {
    everyone_fails("wrong-id");
}

/// Faults that hit only some commands: those listed must fail, the others must be unaffected.
fn some_fail(fault: &str, must_fail: &[&str]) {
    for args in commands() {
        let clean = run(None, &args);
        let mut r = run(Some(fault), &args);
        if args == ["regs", "dump"] {
            // The dump shows STATUS as read, PROBE_BUSY included: the truth, not garbage.
            let differ = |a: &str, b: &str| {
                a.lines()
                    .zip(b.lines())
                    .filter(|(x, y)| x != y)
                    .map(|(x, _)| x.to_string())
                    .collect::<Vec<_>>()
            };
            let d = differ(&r.stdout, &clean.stdout);
            assert!(
                d.iter().all(|l| l.contains("STATUS")),
                "{fault} regs dump: {d:?}"
            );
            r.stdout = clean.stdout.clone();
        }
        let failed = check(fault, &args, &r, &clean);
        let listed = must_fail.iter().any(|m| args.join(" ").starts_with(m));
        assert_eq!(
            failed, listed,
            "{fault} {args:?}: failed = {failed}, expected {listed}: {r:?}"
        );
    }
}

#[test]
fn work_that_never_completes_ends_in_an_error() {
    some_fail(
        "busy-forever",
        &[
            "probe",
            "trace",
            "stats --pcap",
            "demo",
            "replay",
            "classify",
            "selftest",
            "-f",
        ],
    );
}

#[test]
fn lost_results_end_in_an_error() {
    some_fail(
        "lost-results",
        &["trace --pcap", "stats --pcap", "demo", "replay", "classify"],
    );
}

/// The device disappears after N good reads, for N across each command's whole run: at every
/// point the command either finishes as on a working device (it had read all it needed) or
/// fails naming the register that read all-ones.
#[test]
fn a_device_that_disappears_midway_never_yields_garbage() {
    let mut failures = 0;
    for args in commands() {
        let clean = run(None, &args);
        for n in [
            0, 3, 6, 9, 12, 16, 20, 25, 30, 40, 55, 70, 90, 120, 160, 220, 300, 400, 600, 1000,
            2000, 5000,
        ] {
            let fault = format!("all-ones@{n}");
            failures += check(&fault, &args, &run(Some(&fault), &args), &clean) as u32;
        }
    }
    assert!(failures > 100, "only {failures} runs hit the fault");
}
