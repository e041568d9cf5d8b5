//! One gufc process per device: an exclusive `flock` on the device's sysfs `config` file.
//!
//! Locking the sysfs node itself (not a file in /run) keys the lock on the real device, needs
//! no writable lock directory, and is released by the kernel when the process dies.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use super::{PciAddr, PciError, SysfsRoot};

/// Held for as long as the device is being programmed; dropping it releases the lock.
#[derive(Debug)]
pub struct DeviceLock {
    _file: File,
    path: PathBuf,
}

impl DeviceLock {
    /// Takes the lock without waiting; [`PciError::Locked`] if another process holds it.
    pub fn acquire(root: &SysfsRoot, addr: &PciAddr) -> Result<DeviceLock, PciError> {
        let path = root.device(addr).join("config");
        if !root.device(addr).is_dir() {
            return Err(PciError::NoDevice {
                addr: *addr,
                path: root.device(addr),
            });
        }
        let file = File::open(&path).map_err(|e| PciError::io(addr, &path, e))?;
        // SAFETY: flock only reads the fd number; `file` keeps the descriptor open for the call.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Err(PciError::Locked { addr: *addr, path });
            }
            return Err(PciError::io(addr, &path, err));
        }
        Ok(DeviceLock { _file: file, path })
    }

    /// The locked file: the device's sysfs `config`.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}
