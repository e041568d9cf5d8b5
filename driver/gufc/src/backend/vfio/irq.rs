//! Interrupts delivered by VFIO to eventfds.

use std::os::fd::AsRawFd;
use std::time::Duration;

use vmm_sys_util::eventfd::EventFd;

/// One interrupt vector: the eventfd VFIO signals when the device raises it.
pub struct Interrupt {
    fd: EventFd,
    index: u32,
    vector: u32,
}

impl Interrupt {
    pub(crate) fn new(fd: EventFd, index: u32, vector: u32) -> Interrupt {
        Interrupt { fd, index, vector }
    }

    /// VFIO IRQ index (INTx 0, MSI 1, MSI-X 2) and vector number.
    pub fn id(&self) -> (u32, u32) {
        (self.index, self.vector)
    }

    /// Waits up to `timeout` for the interrupt; returns how many arrived since the last wait
    /// (0 on timeout). vmm-sys-util's `EventFd` has no timed read, so this is one `poll(2)`
    /// on its fd, then its blocking `read`, which then returns at once.
    pub fn wait(&self, timeout: Duration) -> std::io::Result<u64> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: `pfd` is one valid pollfd that outlives the call; nfds is 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        match rc {
            0 => Ok(0),
            r if r < 0 => Err(std::io::Error::last_os_error()),
            _ => self.fd.read(),
        }
    }
}
