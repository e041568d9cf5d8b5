//! Binding a device to vfio-pci and back with `driver_override` + `drivers_probe`, the way the
//! kernel documents it: the override makes exactly vfio-pci claim the device on the next probe,
//! and no vendor/device ID is added to vfio-pci's table (which would grab every such card).

use std::path::PathBuf;

use super::device::PciDevice;
use super::{link_name, write_attr, DeviceLock, PciAddr, PciError, SysfsRoot, VFIO_PCI};

/// What `bind_vfio` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindOutcome {
    /// The driver the device was taken from (remembered for [`unbind`]).
    pub previous: Option<String>,
    /// It was bound to vfio-pci already; nothing changed.
    pub already: bool,
    /// Set if the previous driver could not be remembered (unbind will then let the kernel
    /// probe instead of rebinding it).
    pub warning: Option<String>,
}

/// What `unbind` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnbindOutcome {
    /// It was not bound to vfio-pci; nothing changed.
    pub was_not_vfio: bool,
    /// The driver bound afterwards (the remembered previous one, or whatever probing found).
    pub now: Option<String>,
}

fn state_file(root: &SysfsRoot, addr: &PciAddr) -> PathBuf {
    root.run
        .join("gufc")
        .join(format!("{addr}.previous-driver"))
}

fn current_driver(root: &SysfsRoot, addr: &PciAddr) -> Option<String> {
    link_name(&root.device(addr).join("driver"))
}

/// Binds `addr` to vfio-pci, unbinding its current driver first. Refuses devices without
/// gufc's IDs unless `force`. If the kernel does not end up binding vfio-pci, the override is
/// cleared and the previous driver rebound before the error is returned.
pub fn bind_vfio(root: &SysfsRoot, addr: &PciAddr, force: bool) -> Result<BindOutcome, PciError> {
    let dev = PciDevice::read(root, addr)?;
    dev.check_ids(force)?;
    if dev.driver.as_deref() == Some(VFIO_PCI) {
        return Ok(BindOutcome {
            previous: None,
            already: true,
            warning: None,
        });
    }
    let vfio_dir = root.drivers().join(VFIO_PCI);
    if !vfio_dir.is_dir() {
        return Err(PciError::DriverMissing {
            addr: *addr,
            driver: VFIO_PCI.into(),
            path: vfio_dir,
        });
    }
    let _lock = DeviceLock::acquire(root, addr)?;
    let dir = root.device(addr);
    write_attr(addr, &dir.join("driver_override"), VFIO_PCI)?;
    if let Some(prev) = &dev.driver {
        if let Err(e) = write_attr(
            addr,
            &root.drivers().join(prev).join("unbind"),
            &addr.to_string(),
        ) {
            let _ = write_attr(addr, &dir.join("driver_override"), "\n");
            return Err(e);
        }
    }
    let probed = write_attr(
        addr,
        &root.sys.join("bus/pci/drivers_probe"),
        &addr.to_string(),
    );
    let now = current_driver(root, addr);
    if probed.is_err() || now.as_deref() != Some(VFIO_PCI) {
        restore(root, addr, dev.driver.as_deref());
        probed?;
        return Err(PciError::BindFailed {
            addr: *addr,
            want: VFIO_PCI.into(),
            got: now,
        });
    }
    let mut warning = None;
    if let Some(prev) = &dev.driver {
        let state = state_file(root, addr);
        let saved = std::fs::create_dir_all(state.parent().expect("state file has a parent"))
            .and_then(|_| std::fs::write(&state, prev));
        if let Err(e) = saved {
            warning = Some(format!(
                "{addr}: could not remember previous driver {prev} in {}: {e}",
                state.display()
            ));
        }
    }
    Ok(BindOutcome {
        previous: dev.driver,
        already: false,
        warning,
    })
}

/// Clears the override and gives the device back to `previous` (or lets the kernel probe).
fn restore(root: &SysfsRoot, addr: &PciAddr, previous: Option<&str>) {
    let dir = root.device(addr);
    if current_driver(root, addr).as_deref() == Some(VFIO_PCI) {
        let _ = write_attr(
            addr,
            &root.drivers().join(VFIO_PCI).join("unbind"),
            &addr.to_string(),
        );
    }
    let _ = write_attr(addr, &dir.join("driver_override"), "\n");
    match previous {
        Some(p) if root.drivers().join(p).is_dir() => {
            let _ = write_attr(
                addr,
                &root.drivers().join(p).join("bind"),
                &addr.to_string(),
            );
        }
        _ => {
            let _ = write_attr(
                addr,
                &root.sys.join("bus/pci/drivers_probe"),
                &addr.to_string(),
            );
        }
    }
}

/// Unbinds `addr` from vfio-pci and rebinds the driver `bind_vfio` displaced (or lets the
/// kernel probe for one). Fails with [`PciError::Locked`] while a gufc process uses it.
pub fn unbind(root: &SysfsRoot, addr: &PciAddr) -> Result<UnbindOutcome, PciError> {
    let dev = PciDevice::read(root, addr)?;
    if dev.driver.as_deref() != Some(VFIO_PCI) {
        return Ok(UnbindOutcome {
            was_not_vfio: true,
            now: dev.driver,
        });
    }
    let _lock = DeviceLock::acquire(root, addr)?;
    write_attr(
        addr,
        &root.drivers().join(VFIO_PCI).join("unbind"),
        &addr.to_string(),
    )?;
    write_attr(addr, &root.device(addr).join("driver_override"), "\n")?;
    let state = state_file(root, addr);
    let previous = std::fs::read_to_string(&state)
        .ok()
        .map(|s| s.trim().to_string());
    match previous.as_deref() {
        Some(p) if !p.is_empty() && root.drivers().join(p).is_dir() => {
            write_attr(
                addr,
                &root.drivers().join(p).join("bind"),
                &addr.to_string(),
            )?;
        }
        _ => write_attr(
            addr,
            &root.sys.join("bus/pci/drivers_probe"),
            &addr.to_string(),
        )?,
    }
    let _ = std::fs::remove_file(&state);
    Ok(UnbindOutcome {
        was_not_vfio: false,
        now: current_driver(root, addr),
    })
}
