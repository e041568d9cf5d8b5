//! Habits of a command-line tool: completions, man pages, -q/-v, and a closed pipe ending
//! the program quietly.

mod common;
use common::gufc;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn completions_cover_every_command_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let o = gufc(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let s = String::from_utf8_lossy(&o.stdout);
        for word in ["batch", "local", "probe", "diff", "load", "keep-going"] {
            assert!(s.contains(word), "{shell} completions lack {word}");
        }
    }
    assert_eq!(gufc(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_pages_are_generated_for_every_command() {
    let d = tempfile::tempdir().unwrap();
    let o = gufc(&["man", d.path().to_str().unwrap()]);
    assert!(o.status.success());
    for page in [
        "gufc.1",
        "gufc-batch.1",
        "gufc-rules-diff.1",
        "gufc-local-add.1",
    ] {
        let t =
            std::fs::read_to_string(d.path().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(t.starts_with(".ie") || t.contains(".TH"), "{page} is roff");
    }
    let diff = std::fs::read_to_string(d.path().join("gufc-rules-diff.1")).unwrap();
    assert!(diff.contains("gufc rules diff"), "synopsis as typed");
    let top = std::fs::read_to_string(d.path().join("gufc.1")).unwrap();
    assert!(
        top.contains("EXIT STATUS"),
        "the exit statuses are in the page"
    );
}

#[test]
fn quiet_hides_warnings_and_verbose_shows_batch_lines() {
    let d = tempfile::tempdir().unwrap();
    let cb = d.path().join("flags.cb");
    std::fs::write(
        &cb,
        "@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x06/0xFF\t0x0200/0x0200\t\n",
    )
    .unwrap();
    let f = cb.to_str().unwrap();
    let o = gufc(&["rules", "load", f]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning"), "the TCP flags warning: {err}");
    let o = gufc(&["-q", "rules", "load", f]);
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!o.stdout.is_empty(), "results still print");
    let script = d.path().join("s.gufc");
    std::fs::write(&script, "caps\n").unwrap();
    let s = script.to_str().unwrap();
    let o = gufc(&["-v", "batch", s]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("s.gufc:1: caps"),
        "-v names each line as it runs"
    );
    assert!(gufc(&["batch", s]).stderr.is_empty());
}

#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    // Far more output than a pipe buffers, so writes fail once the reader is gone.
    let d = tempfile::tempdir().unwrap();
    let script = d.path().join("long.gufc");
    std::fs::write(&script, "regs dump\n".repeat(400)).unwrap();
    for args in [
        vec!["batch", script.to_str().unwrap()],
        vec!["batch", script.to_str().unwrap(), "--json"],
        vec![
            "classify",
            "--load",
            "tests/data/classbench/acl1_10K",
            "--trace",
            "tests/data/classbench/acl1_10K_trace",
        ],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gufc"))
            .args(&args)
            .current_dir(gufc_testkit::repo(""))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader is dropped here: the pipe is closed.
        let o = child.wait_with_output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        let quiet_status = o.status.code() == Some(141)
            || o.status.code() == Some(0)
            || o.status.signal() == Some(13);
        assert!(quiet_status, "{args:?}: {:?}", o.status);
        assert!(
            o.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Runs `gufc ARGS` with stderr on a pseudo-terminal (util-linux `script`), stdout discarded;
/// returns what the terminal showed.
fn on_a_terminal(args: &str) -> String {
    let cmd = format!("{} {args} >/dev/null", env!("CARGO_BIN_EXE_gufc"));
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(gufc_testkit::repo(""))
        .output()
        .expect("util-linux `script` runs (Debian: bsdutils)");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn progress_is_drawn_only_on_a_terminal_and_never_under_json_or_quiet() {
    let args = "selftest --quick --samples 64";
    let tty = on_a_terminal(args);
    assert!(
        tty.contains("%") && tty.contains("["),
        "a bar on the terminal: {tty:?}"
    );
    for extra in ["-q", "--json"] {
        let t = on_a_terminal(&format!("{extra} {args}"));
        assert!(!t.contains('%'), "{extra}: {t:?}");
    }
    let o = gufc(&["selftest", "--quick", "--samples", "64"]);
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "nothing on a pipe: {:?}",
        String::from_utf8_lossy(&o.stderr)
    );
}
