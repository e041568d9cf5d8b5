//! The `gufc` command line. Every command runs on the embedded model unless `--device`
//! names a PCI function; every command that prints data takes `--json`.

#![forbid(unsafe_code)]

pub mod batch;
pub mod classify;
pub mod demo;
mod docs;
pub mod error;
mod local;
mod open;
pub mod output;
#[cfg(feature = "p4runtime")]
pub mod p4info;
mod packet;
#[cfg(feature = "model")]
mod packet_path;
mod parse;
pub mod pci;
mod progress;
mod regs;
pub mod replay;
pub mod rules;
pub mod selftest;
pub mod serve;
pub mod session;
mod show;
pub mod trace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use gufc::pci::SysfsRoot;

pub use error::CliError;
pub use open::{BackendKind, Setup, Target};
pub use session::Session;

/// gufc — SmartNIC flow classifier: driver, model and bring-up tool.
///
/// gufc classifies each packet with one lookup on the 7-tuple (source and destination
/// address, source-is-local, destination-is-local, protocol, source and destination port):
/// an exact-match flow cache, then prioritized wildcard rules in a TCAM. Without --device,
/// every command runs on gufc's cycle-accurate software model of the NIC.
#[derive(Parser, Debug)]
#[command(name = "gufc", version, max_term_width = 100, after_help = EXAMPLES)]
pub struct Cli {
    /// The device every command works on (`--device`, `--backend`, table sizes, …).
    #[command(flatten)]
    pub target: Target,
    /// What to write into the device first (`--load`, `--local`, …).
    #[command(flatten)]
    pub setup: Setup,
    /// Print machine-readable JSON (schema gufc/1, docs/cli.md) instead of text; errors become
    /// one JSON object on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Run the commands of FILE on one device (same as `gufc batch FILE`).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
    /// Print less: only results and errors (no warnings, no progress).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: what is being written to the device, and batch lines as they run.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

const EXAMPLES: &str = "\
EXAMPLES:
    gufc demo                                   run the example firewall on the model
    gufc classify --format classbench --load acl1_1K --trace acl1_1K_trace
    gufc rules load examples/host-firewall.rules
    gufc --load examples/host-firewall.rules probe tcp 203.0.113.7:40000 192.0.2.10:22
    gufc replay --pcap tests/data/pcap/mixed.pcap --json
    gufc trace --pcap tests/data/pcap/mixed.pcap tcp 10.0.3.164:40002 192.0.2.12:22
    gufc -f session.gufc                        run a script of commands on one device
    gufc regs dump --json
    gufc --device 0000:01:00.0 caps

RULE FILES:
    --load FILE (alias --rules) names the rule file on every command; its `local PREFIX` lines
    and every --local PREFIX are written into the locality table first. All input is checked
    before the first register write. Commands that cannot use them refuse them.

EXIT STATUS:
    0    success
    1    negative result: `rules diff` found differences, `selftest` failed a check
    2    usage or input error (arguments, files, batch lines, values the device cannot hold);
         nothing was written to the device
    3    device error (refused a command, timed out, reads all-ones, not found)
    141  output closed early (e.g. piped into head)
    With --json, an error is one object on stderr: {\"schema\", \"code\", \"status\",
    \"message\", \"location\"?}. docs/cli.md documents the JSON schema.";

/// The subcommands; each variant's doc is its line in `gufc --help`.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a script of commands on one device: one command per line, `#` comments.
    Batch(batch::Args),
    /// Set, remove or list the host's own prefixes in the locality table.
    #[command(subcommand)]
    Local(local::Cmd),
    /// Run the example host firewall on a model NIC with synthetic traffic and print counters.
    Demo(demo::Args),
    /// Classify a packet trace: one line per packet with the number of the first matching rule.
    Classify(classify::Args),
    /// Load, show or compare rule sets.
    #[command(subcommand)]
    Rules(rules::Cmd),
    /// Add, remove or list exact-match flow-cache entries.
    #[command(subcommand)]
    Flows(show::FlowCmd),
    /// Device counters: global, per channel and per rule.
    Stats(show::StatsArgs),
    /// Register access by name: dump, read, write.
    #[command(subcommand)]
    Regs(regs::Cmd),
    /// Classify one packet through the device pipeline using registers only (no traffic).
    Probe(show::ProbeArgs),
    /// Replay a pcap/pcapng capture through a model NIC whose slow path learns flows.
    Replay(replay::Args),
    /// Which stage of the device handles a packet now, why, and which subscribers get it.
    Trace(trace::Args),
    /// What the NIC's frame parser makes of each frame of a capture, beside the host decoder
    /// (the parser's model; no device).
    Parse(parse::Args),
    /// Identification and capabilities of the device.
    #[command(alias = "info")]
    Caps,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (gufc.1, gufc-rules-load.1, …) generated from this help into DIR.
    Man {
        /// Directory to write the pages into (created if missing).
        dir: std::path::PathBuf,
    },
    /// Bring-up self test: registers, every table entry, probes, counters; pass/fail summary.
    Selftest(selftest::Args),
    /// Serve the simulated device as a PCI function over vfio-user until killed (for `--device
    /// vfio-user:SOCKET`, or a QEMU >= 10.1 guest's vfio-user-pci device).
    Serve(serve::Args),
    /// Print the pipeline as P4Info for P4Runtime controllers (protobuf text, or --binary).
    #[cfg(feature = "p4runtime")]
    P4info(p4info::Args),
    /// List gufc NICs (or every PCI function) with driver, IOMMU group and BARs.
    List(pci::ListArgs),
    /// Bind a PCI function to vfio-pci, remembering its driver.
    Bind(pci::BindArgs),
    /// Give a PCI function back to the driver it had before `gufc bind`.
    Unbind(pci::UnbindArgs),
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) if json && e.use_stderr() => return CliError::usage(first_line(&e)).report(true),
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                error::status::INPUT
            } else {
                0
            });
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(code) => code,
        Err(e) => e.report(json),
    }
}

/// The first line of a clap error without its `error: ` prefix.
fn first_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let line = text.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// A command's outcome: its exit status, or the error that stopped it.
pub type CliResult = Result<ExitCode, CliError>;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> CliResult {
    progress::set_quiet(cli.quiet);
    progress::set_verbose(cli.verbose);
    progress::set_json(cli.json);
    let mut sess = Session::new(cli.target, cli.json);
    match (cli.file, cli.command) {
        (Some(file), None) => batch::run(&mut sess, &cli.setup, batch::Args::file(file)),
        (None, Some(cmd)) => run_command(&mut sess, &cli.setup, cmd),
        (None, None) => Err(CliError::usage(
            "no command given: see `gufc --help` (or `gufc -f FILE` for a batch file)",
        )),
        (Some(_), Some(_)) => Err(CliError::usage("-f FILE takes no command after it")),
    }
}

/// Runs one command on the session's device, writing `setup` first where the command uses it.
pub fn run_command(sess: &mut Session, setup: &Setup, cmd: Command) -> CliResult {
    let json = sess.json;
    match cmd {
        Command::Batch(a) => batch::run(sess, setup, a),
        Command::Local(c) => local::run(sess, setup, c),
        Command::Demo(a) => demo::run(sess, setup, a),
        Command::Classify(a) => classify::run(sess, setup, a),
        Command::Rules(c) => rules::run(sess, setup, c),
        Command::Flows(c) => show::flows(sess, setup, c),
        Command::Stats(a) => show::stats(sess, setup, a),
        Command::Regs(c) => regs::run(sess, setup, c),
        Command::Probe(a) => show::probe(sess, setup, a),
        Command::Replay(a) => replay::run(sess, setup, a),
        Command::Trace(a) => trace::run(sess, setup, a),
        Command::Parse(a) => parse::run(sess, setup, a),
        Command::Caps => show::caps(sess, setup),
        Command::Selftest(a) => {
            setup.refuse("selftest", "it resets the device and tests every entry")?;
            let mut bar = sess.take_device()?.into_bar();
            selftest::run(&mut *bar, &a, json).map_err(CliError::from)
        }
        Command::Serve(a) => serve::run(sess, setup, a),
        #[cfg(feature = "p4runtime")]
        Command::P4info(a) => p4info::run(sess, setup, a),
        Command::Completions { shell } => {
            setup.refuse("completions", "it only prints a script")?;
            docs::completions(shell)
        }
        Command::Man { dir } => {
            setup.refuse("man", "it only writes pages")?;
            docs::man(&dir)
        }
        Command::List(a) => {
            setup.refuse("list", "it only reads sysfs")?;
            pci::list(&SysfsRoot::default(), &a, json, &mut std::io::stdout())
                .map_err(CliError::from)
        }
        Command::Bind(a) => {
            setup.refuse("bind", "it changes drivers, not the device")?;
            pci::bind(
                &SysfsRoot::default(),
                &a,
                sess.target.force,
                json,
                &mut std::io::stdout(),
            )
            .map_err(CliError::from)
        }
        Command::Unbind(a) => {
            setup.refuse("unbind", "it changes drivers, not the device")?;
            pci::unbind(&SysfsRoot::default(), &a, json, &mut std::io::stdout())
                .map_err(CliError::from)
        }
    }
}

/// Paths in messages as the user typed them.
pub(crate) fn shown(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
