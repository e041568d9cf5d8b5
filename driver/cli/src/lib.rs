//! The `gufc` command line. Every command runs on the embedded model unless `--device`
//! names a PCI function; every command that prints data takes `--json`.

#![forbid(unsafe_code)]

pub mod classify;
pub mod demo;
mod open;
mod output;
mod packet;
pub mod pci;
mod progress;
mod regs;
pub mod replay;
pub mod rules;
pub mod selftest;
mod show;
pub mod trace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use gufc::pci::SysfsRoot;

pub use open::{BackendKind, Target};

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
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
EXAMPLES:
    gufc demo                                   run the example firewall on the model
    gufc classify --format classbench --rules acl1_1K --trace acl1_1K_trace
    gufc rules load examples/host-firewall.rules
    gufc --rules examples/host-firewall.rules probe tcp 203.0.113.7:40000 192.0.2.10:22
    gufc replay --pcap tests/data/pcap/mixed.pcap --json
    gufc trace --pcap tests/data/pcap/mixed.pcap tcp 10.0.3.164:40002 192.0.2.12:22
    gufc regs dump --json
    gufc --device 0000:01:00.0 caps

ENVIRONMENT:
    Exit status is 0 on success, 1 on a failed check or command, 2 on bad usage.";

/// The subcommands; each variant's doc is its line in `gufc --help`.
#[derive(Subcommand, Debug)]
pub enum Command {
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
    /// Identification and capabilities of the device.
    #[command(alias = "info")]
    Caps,
    /// Bring-up self test: registers, every table entry, probes, counters; pass/fail summary.
    Selftest(selftest::Args),
    /// List gufc NICs (or every PCI function) with driver, IOMMU group and BARs.
    List(pci::ListArgs),
    /// Bind a PCI function to vfio-pci, remembering its driver.
    Bind(pci::BindArgs),
    /// Give a PCI function back to the driver it had before `gufc bind`.
    Unbind(pci::UnbindArgs),
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gufc: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A command's failure, printed as `gufc: error: …`.
pub type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

/// Runs one parsed command line: `Ok` carries the exit status (a failed check is `FAILURE`).
pub fn run(cli: Cli) -> CliResult {
    let json = cli.json;
    match cli.command {
        Command::Demo(a) => demo::run(&cli.target, a, json),
        Command::Classify(a) => classify::run(&cli.target, a, json),
        Command::Rules(c) => rules::run(&cli.target, c, json),
        Command::Flows(c) => show::flows(&cli.target, c, json),
        Command::Stats(a) => show::stats(&cli.target, a, json),
        Command::Regs(c) => regs::run(&cli.target, c, json),
        Command::Probe(a) => show::probe(&cli.target, a, json),
        Command::Replay(a) => replay::run(&cli.target, a, json),
        Command::Trace(a) => trace::run(&cli.target, a, json),
        Command::Caps => show::caps(&cli.target, json),
        Command::Selftest(a) => {
            let mut bar = cli.target.open()?.into_bar();
            selftest::run(&mut *bar, &a, json)
        }
        Command::List(a) => pci::list(&SysfsRoot::default(), &a, json, &mut std::io::stdout()),
        Command::Bind(a) => pci::bind(
            &SysfsRoot::default(),
            &a,
            cli.target.force,
            json,
            &mut std::io::stdout(),
        ),
        Command::Unbind(a) => pci::unbind(&SysfsRoot::default(), &a, json, &mut std::io::stdout()),
    }
}

/// Paths in messages as the user typed them.
pub(crate) fn shown(p: &std::path::Path) -> String {
    p.display().to_string()
}
