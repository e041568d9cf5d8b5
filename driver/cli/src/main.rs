//! The `gufc` command line (see `gufc --help` and README.md).

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    gufc_cli::main()
}
