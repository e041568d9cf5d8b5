//! The `gufc` command line (see `gufc --help` and README.md).

fn main() -> std::process::ExitCode {
    gufc_cli::main()
}
