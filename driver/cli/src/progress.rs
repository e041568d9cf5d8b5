//! Progress on stderr for long commands, drawn by indicatif: never under `--json`, and
//! indicatif itself draws nothing when stderr is not a terminal, so pipes, files and tests
//! see no progress output.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `len` units (`bytes`: shown as sizes), hidden under `--json`.
pub fn bar(len: u64, bytes: bool, json: bool) -> ProgressBar {
    if json {
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

/// A spinner with `msg` that turns by itself while the caller works, hidden under `--json`.
pub fn spinner(msg: String, json: bool) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let s = ProgressBar::new_spinner().with_message(msg);
    s.enable_steady_tick(Duration::from_millis(100));
    s
}
