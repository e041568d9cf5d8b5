//! `gufc serve --vfio-user` and `gufc --device vfio-user:SOCKET` as separate processes: the
//! register-level commands through the socket, the ID checks every backend makes, and a
//! server that dies or freezes mid-commit: the client fails naming the socket, in bounded time.
#![cfg(target_os = "linux")]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A `gufc serve` child, killed when dropped.
struct Served {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start(extra: &[&str]) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("gufc.sock");
        let child = Command::new(env!("CARGO_BIN_EXE_gufc"))
            .arg("serve")
            .arg("--vfio-user")
            .arg(&socket)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gufc serve starts");
        let t = Instant::now();
        while !socket.exists() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "no socket after 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Served {
            child,
            socket,
            _dir: dir,
        }
    }

    fn device(&self) -> String {
        format!("vfio-user:{}", self.socket.display())
    }

    /// `gufc --device vfio-user:SOCKET args…`.
    fn gufc(&self, args: &str) -> Output {
        let mut a = vec!["--device".to_string(), self.device()];
        a.extend(args.split_whitespace().map(String::from));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        common::gufc(&a)
    }

    fn ok(&self, args: &str) -> String {
        let o = self.gufc(args);
        assert!(
            o.status.success(),
            "gufc {args} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn register_level_commands_run_through_the_socket() {
    let s = Served::start(&["--tcam-entries", "256", "--flow-buckets", "64"]);
    let info = s.ok("info");
    assert!(
        info.contains(&format!("vfio-user {}", s.socket.display())),
        "{info}"
    );
    assert!(info.contains("256 entries"), "{info}");
    s.ok("regs write SCRATCH 0xcafe");
    assert!(s.ok("regs read SCRATCH").contains("0x0000cafe"));
    let load = s.ok("rules load examples/host-firewall.rules");
    assert!(load.contains("committed as epoch 1"), "{load}");
    // The served device keeps its state between clients, like hardware.
    let show = s.ok("rules show");
    assert!(show.contains("drop src 198.51.100.66/32"), "{show}");
    let probe = s.ok("probe tcp 203.0.113.7:40000 192.0.2.10:22");
    assert!(probe.contains("drop by TCAM entry 2"), "{probe}");
    s.ok("flows add tcp 10.0.0.1:40000 192.0.2.10:443 --action channel:3");
    assert!(s.ok("flows show").contains("-> channel 3"));
    assert!(s.ok("stats").contains("lookups 0"));
    let dump = s.ok("regs dump --json");
    assert!(dump.contains("\"SCRATCH\""), "{dump}");
    let st = s.ok("selftest");
    assert!(st.contains("checks passed"), "{st}");
    // The same probe on the in-process model answers the same.
    let local = common::gufc(&[
        "--tcam-entries",
        "256",
        "--flow-buckets",
        "64",
        "--load",
        "examples/host-firewall.rules",
        "probe",
        "tcp",
        "203.0.113.7:40000",
        "192.0.2.10:22",
    ]);
    let local = String::from_utf8(local.stdout).unwrap();
    assert_eq!(
        probe.lines().nth(1),
        local.lines().nth(1),
        "model: {local}\nvfio-user: {probe}"
    );
}

#[test]
fn no_server_and_bad_sockets_are_clear_errors() {
    let o = common::gufc(&["--device", "vfio-user:/nonexistent/gufc.sock", "info"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("vfio-user /nonexistent/gufc.sock: cannot connect"),
        "{err}"
    );
    let o = common::gufc(&["--device", "vfio-user:", "info"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Runs `gufc … rules load` of 9,603 rules against `s`, does `to_server` to the server after
/// `after`, and returns the client's exit code, its stderr and how long it took.
fn commit_interrupted(
    s: &Served,
    after: Duration,
    to_server: impl FnOnce(),
) -> (Option<i32>, String, Duration) {
    let t = Instant::now();
    let mut client = Command::new(env!("CARGO_BIN_EXE_gufc"))
        .args([
            "--device",
            &s.device(),
            "rules",
            "load",
            "--format",
            "classbench",
        ])
        .arg("tests/data/classbench/acl1_10K")
        .current_dir(gufc_testkit::repo(""))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    assert!(
        client.try_wait().unwrap().is_none(),
        "the client finished before the server was interrupted"
    );
    to_server();
    while client.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(40) {
            let _ = client.kill();
            panic!("the client hangs on a dead server");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = client.wait_with_output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        t.elapsed(),
    )
}

#[test]
fn a_server_killed_mid_commit_is_a_clear_error() {
    let mut s = Served::start(&[]);
    let (code, err, took) = commit_interrupted(&s, Duration::from_millis(400), || {
        s.signal("-KILL");
    });
    let _ = s.child.wait();
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(&format!("vfio-user {}", s.socket.display())),
        "names the socket: {err}"
    );
    assert!(err.contains("closed the connection"), "{err}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_frozen_server_is_a_timeout_not_a_hang() {
    let s = Served::start(&[]);
    let (code, err, took) = commit_interrupted(&s, Duration::from_millis(400), || {
        s.signal("-STOP");
    });
    s.signal("-CONT");
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(&format!("vfio-user {}", s.socket.display())) && err.contains("no reply"),
        "{err}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// The checks `Device::open` makes on every backend apply through vfio-user too.
#[cfg(feature = "fault-injection")]
#[test]
fn wrong_id_and_all_ones_devices_are_refused() {
    for (fault, want) in [
        ("wrong-id", "not a gufc classifier"),
        ("all-ones", "all-ones"),
    ] {
        let s = Served::start(&["--inject-fault", fault]);
        let o = s.gufc("info");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{fault}: {err}");
        assert!(
            err.contains(&format!("vfio-user {}", s.socket.display())) && err.contains(want),
            "{fault}: {err}"
        );
    }
}

/// The Verilated RTL served the same way answers a probe as the model does.
#[cfg(feature = "rtl")]
#[test]
fn the_rtl_is_served_too() {
    let s = Served::start(&["--backend", "rtl"]);
    let info = s.ok("info");
    assert!(info.contains("2048 entries"), "{info}");
    s.ok("rules load examples/host-firewall.rules");
    let probe = s.ok("probe tcp 203.0.113.7:40000 192.0.2.10:22");
    assert!(
        probe.starts_with("203.0.113.7:40000 -> 192.0.2.10:22 proto 6: drop by TCAM entry 2"),
        "{probe}"
    );
}
