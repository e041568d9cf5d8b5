//! `gufc serve --vfio-user SOCKET`: the simulated device as a PCI function that a vfio-user
//! client (`gufc --device vfio-user:SOCKET`, QEMU's `vfio-user-pci`) attaches to.

use std::path::PathBuf;
use std::process::ExitCode;

use gufc::vfio_user::{ServeOptions, Server};

use crate::{CliError, CliResult, Session, Setup};

/// Serve the simulated device (--backend, sizes) over vfio-user until killed. One BAR0 word
/// the client reads or writes is one clock edge of the device, as in-process.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// UNIX socket to listen on (a socket a killed server left there is replaced).
    #[arg(long = "vfio-user", value_name = "SOCKET")]
    pub socket: PathBuf,
}

/// Builds the device, listens, and serves clients one after another.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    setup.refuse("serve", "load rules through a client once it is served")?;
    if let Some(d) = &sess.target.device {
        return Err(CliError::usage(format!(
            "--device {d}: `serve` serves a simulated device (--backend), not an existing one"
        )));
    }
    let mut dev = sess.target.sim().map_err(CliError::from)?;
    let vectors = sess.target.channels.clamp(1, 256) as u16;
    let mut server = Server::bind(
        &a.socket,
        ServeOptions {
            vectors,
            log: !crate::progress::quiet(),
        },
    )?;
    crate::progress::warn(format!(
        "serving a gufc {:?} device on {} (vfio-user; {vectors} MSI-X vectors); stop with ctrl-c",
        sess.target.backend,
        a.socket.display()
    ));
    server.run(&mut dev)?;
    Ok(ExitCode::SUCCESS)
}
