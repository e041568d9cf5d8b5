//! What every CLI test file needs: the built `gufc` binary, run from the repository root.

use std::process::{Command, Output};

/// Runs `gufc args…` from the repository root and returns its output.
pub fn gufc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gufc"))
        .args(args)
        .current_dir(gufc_testkit::repo(""))
        .output()
        .expect("gufc runs")
}
