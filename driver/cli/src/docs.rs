//! `gufc completions SHELL` and `gufc man DIR`: shell completions and man pages generated
//! from the same clap definitions that parse the command line, so they cannot drift.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;

use crate::error::CliError;
use crate::{outln, Cli, CliResult};

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> CliResult {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "gufc", &mut buf);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &buf).map_err(CliError::from)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `gufc.1` and one page per subcommand (`gufc-rules-load.1`, …) into `dir`.
pub fn man(dir: &Path) -> CliResult {
    std::fs::create_dir_all(dir).map_err(|e| CliError::usage(format!("{}: {e}", dir.display())))?;
    let mut written = Vec::new();
    write_pages(Cli::command(), "gufc", dir, &mut written)?;
    for p in &written {
        outln!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn write_pages(
    cmd: clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    // The page is `gufc-rules-load`; its synopsis shows the command as typed, `gufc rules load`.
    let cmd = cmd.name(name.to_string()).bin_name(name.replace('-', " "));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    written.push(path);
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let sub_name = format!("{name}-{}", sub.get_name());
        write_pages(sub.clone(), &sub_name, dir, written)?;
    }
    Ok(())
}
