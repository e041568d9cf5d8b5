//! `gufc serve --vfio-user SOCKET`: the simulated device as a PCI function that a vfio-user
//! client (`gufc --device vfio-user:SOCKET`, QEMU's `vfio-user-pci`) attaches to.
//! `gufc serve --p4runtime [ADDR]` (feature `p4runtime`): the device behind a P4Runtime server
//! (docs/p4runtime.md).

use std::path::PathBuf;
use std::process::ExitCode;

use gufc::vfio_user::{ServeOptions, Server};

use crate::{CliError, CliResult, Session, Setup};

/// Serve the simulated device (--backend, sizes) over vfio-user until killed. One BAR0 word
/// the client reads or writes is one clock edge of the device, as in-process. Or (feature
/// `p4runtime`) serve the device to P4Runtime controllers.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(false)))]
pub struct Args {
    /// UNIX socket to listen on (a socket a killed server left there is replaced).
    #[arg(long = "vfio-user", value_name = "SOCKET", group = "what")]
    pub socket: Option<PathBuf>,
    /// Serve P4Runtime (gRPC) on ADDR, loopback only until TLS is built [default
    /// 127.0.0.1:9559]. Any backend, --device included.
    #[cfg(feature = "p4runtime")]
    #[arg(long = "p4runtime", value_name = "ADDR", group = "what", num_args = 0..=1,
          default_missing_value = "127.0.0.1:9559")]
    pub p4runtime: Option<String>,
    /// The P4Runtime device_id requests must carry.
    #[cfg(feature = "p4runtime")]
    #[arg(long, value_name = "ID", default_value_t = 1, requires = "p4runtime")]
    pub device_id: u64,
}

/// Builds the device, listens, and serves clients one after another.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    #[cfg(feature = "p4runtime")]
    if let Some(addr) = &a.p4runtime {
        return p4runtime(sess, setup, addr, a.device_id);
    }
    let Some(socket) = a.socket else {
        return Err(CliError::usage(
            "serve: give --vfio-user SOCKET or --p4runtime ADDR",
        ));
    };
    setup.refuse("serve", "load rules through a client once it is served")?;
    if let Some(d) = &sess.target.device {
        return Err(CliError::usage(format!(
            "--device {d}: `serve` serves a simulated device (--backend), not an existing one"
        )));
    }
    let mut dev = sess.target.sim().map_err(CliError::from)?;
    let vectors = sess.target.channels.clamp(1, 256) as u16;
    let mut server = Server::bind(
        &socket,
        ServeOptions {
            vectors,
            log: !crate::progress::quiet(),
        },
    )?;
    crate::progress::warn(format!(
        "serving a gufc {:?} device on {} (vfio-user; {vectors} MSI-X vectors); stop with ctrl-c",
        sess.target.backend,
        socket.display()
    ));
    server.run(&mut dev)?;
    Ok(ExitCode::SUCCESS)
}

/// `serve --p4runtime ADDR`: the session's device (any backend) behind a P4Runtime server until
/// killed. `--local` prefixes are written first (controllers see them as `locality` entries);
/// `--load` is refused, as the first acl write replaces the rule set.
#[cfg(feature = "p4runtime")]
fn p4runtime(sess: &mut Session, setup: &Setup, addr: &str, device_id: u64) -> CliResult {
    use std::net::{SocketAddr, TcpListener};
    if setup.load.is_some() {
        return Err(CliError::usage(
            "--load does not apply to `serve --p4runtime`: controllers write the acl table",
        ));
    }
    let sa: SocketAddr = addr.parse().map_err(|e| {
        CliError::usage(format!("--p4runtime {addr}: not an IP:PORT address ({e})"))
    })?;
    if !sa.ip().is_loopback() {
        return Err(CliError::usage(format!(
            "--p4runtime {addr}: only loopback addresses are served until TLS is built \
             (docs/p4runtime.md)"
        )));
    }
    sess.setup(setup)?;
    let mut dev = sess.take_device()?;
    if dev.locals().is_err() {
        // An existing device (--device) whose locality table this process did not write: the
        // hardware cannot read it back, so the server starts it empty to serve it honestly.
        dev.local_replace(&[]).map_err(CliError::from)?;
        crate::progress::warn(
            "the locality table was cleared (the hardware cannot read it back); give --local \
             or write it through P4Runtime",
        );
    }
    let listener = TcpListener::bind(sa)
        .map_err(|e| CliError::usage(format!("--p4runtime {addr}: cannot listen: {e}")))?;
    let name = dev.bar().name();
    crate::progress::warn(format!(
        "serving P4Runtime for a gufc {name} device on {} (device_id {device_id}); stop with ctrl-c",
        listener.local_addr().map_or(sa, |a| a)
    ));
    let (handle, jobs) = gufc_p4runtime::core::channel();
    gufc_p4runtime::serve(
        dev,
        listener,
        gufc_p4runtime::Options { device_id },
        handle,
        jobs,
    )
    .map_err(|e| CliError::from(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
