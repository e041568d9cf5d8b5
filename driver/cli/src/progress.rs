//! Progress on stderr for long commands, drawn by indicatif only when stderr is a terminal
//! and neither `--json` nor `-q` is given, so pipes, files and tests see no progress output.
//! Also holds the run's `-q`/`-v` setting.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);
static VERBOSE: AtomicBool = AtomicBool::new(false);
static JSON: AtomicBool = AtomicBool::new(false);

/// `--json`: no progress at all.
pub fn set_json(j: bool) {
    JSON.store(j, Ordering::Relaxed);
}

/// `-q`: results and errors only.
pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

/// `-v`: say what is being done.
pub fn set_verbose(v: bool) {
    VERBOSE.store(v, Ordering::Relaxed);
}

/// Is `-q` in effect?
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Is `-v` in effect?
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// A warning on stderr, unless `-q`.
pub fn warn(msg: impl std::fmt::Display) {
    if !quiet() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "gufc: {msg}");
    }
}

/// A note on stderr under `-v` only.
pub fn note(msg: impl std::fmt::Display) {
    if verbose() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "gufc: {msg}");
    }
}

/// Should progress be drawn at all?
fn shown(json: bool) -> bool {
    !json && !JSON.load(Ordering::Relaxed) && !quiet() && std::io::stderr().is_terminal()
}

/// A bar over `len` units (`bytes`: shown as sizes); hidden off a terminal, under `--json`/`-q`.
pub fn bar(len: u64, bytes: bool, json: bool) -> ProgressBar {
    if !shown(json) {
        return ProgressBar::hidden();
    }
    let pos = if bytes {
        "{bytes}/{total_bytes}"
    } else {
        "{pos}/{len}"
    };
    let template = format!("[{{bar:30}}] {{percent:>3}}% {pos} {{msg}} ({{elapsed}})");
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(&template)
            .expect("the template is valid")
            .progress_chars("#>."),
    )
}

/// A spinner with `msg` that turns by itself while the caller works; hidden as [`bar`] is.
pub fn spinner(msg: String, json: bool) -> ProgressBar {
    if !shown(json) {
        return ProgressBar::hidden();
    }
    let s = ProgressBar::new_spinner().with_message(msg);
    s.enable_steady_tick(Duration::from_millis(100));
    s
}
