//! BAR0 through sysfs `resource0`, for bring-up on machines without an IOMMU.
//!
//! **No DMA isolation**: nothing stops the device from writing anywhere in host memory, and
//! interrupts are not available. Use it to poke registers on a new board; use VFIO otherwise.
//! The mapped-window type here is shared with the VFIO backend.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;

use gufc_regmap::reg;
use memmap2::{MmapOptions, MmapRaw};

use super::{Bar, BusError};
use crate::pci::{DeviceLock, PciAddr, PciDevice, PciError, SysfsRoot, VFIO_PCI};

/// A mapped MMIO window: bounds- and alignment-checked volatile 32-bit accesses.
pub(crate) struct MmioWindow {
    map: MmapRaw,
    len: usize,
}

impl MmioWindow {
    /// Maps `len` bytes of `file` at `offset`. Both are explicit because a VFIO device fd
    /// reports size 0 and a region starts at an offset of the fd.
    pub(crate) fn map(file: &File, offset: u64, len: usize) -> std::io::Result<MmioWindow> {
        let map = MmapOptions::new().offset(offset).len(len).map_raw(file)?;
        Ok(MmioWindow { map, len })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `Err(why)` for an access outside the window or not 4-byte aligned.
    fn check(&self, off: u32) -> Result<usize, String> {
        let off = off as usize;
        if !off.is_multiple_of(4) {
            return Err("not 4-byte aligned".into());
        }
        if off + 4 > self.len {
            return Err(format!("beyond the {:#x}-byte BAR", self.len));
        }
        Ok(off)
    }

    pub(crate) fn read32(&self, off: u32) -> Result<u32, String> {
        let off = self.check(off)?;
        // SAFETY: `off + 4 <= len` and `off` is 4-aligned in a page-aligned mapping that lives as
        // long as `self`; a volatile read is the only access the device memory gets from us.
        Ok(unsafe { std::ptr::read_volatile(self.map.as_mut_ptr().add(off) as *const u32) })
    }

    pub(crate) fn write32(&self, off: u32, val: u32) -> Result<(), String> {
        let off = self.check(off)?;
        // SAFETY: as in `read32`: in bounds, aligned, mapping alive; volatile so it is not elided.
        unsafe { std::ptr::write_volatile(self.map.as_mut_ptr().add(off) as *mut u32, val) };
        Ok(())
    }
}

/// An all-ones read is either a register holding 0xffffffff or a device that stopped decoding
/// (surprise removal, link down, memory decoding off). Re-reading the ID register tells them
/// apart: it is never all-ones on a live device.
pub(crate) fn check_all_ones(
    backend: &str,
    off: u32,
    val: u32,
    id_probe: impl FnOnce() -> Result<u32, BusError>,
) -> Result<u32, BusError> {
    if val != u32::MAX {
        return Ok(val);
    }
    let id = if off == reg::ID { val } else { id_probe()? };
    if id != u32::MAX {
        return Ok(val);
    }
    Err(BusError {
        backend: backend.to_string(),
        op: "read",
        offset: off,
        msg: "read 0xffffffff and ID reads 0xffffffff too: device removed, link down or memory \
              decoding off (PCI_COMMAND.MEMORY)"
            .into(),
    })
}

/// BAR0 mapped from `/sys/bus/pci/devices/<addr>/resource0`. No IOMMU, no DMA isolation.
pub struct SysfsBar {
    window: MmioWindow,
    addr: PciAddr,
    _lock: DeviceLock,
}

impl SysfsBar {
    /// Maps BAR0 of `addr`. Refuses devices without gufc's IDs and devices a kernel driver
    /// (other than vfio-pci/pci-stub, which leave the BAR alone) is driving, unless `force`.
    pub fn open(root: &SysfsRoot, addr: &PciAddr, force: bool) -> Result<SysfsBar, PciError> {
        let dev = PciDevice::read(root, addr)?;
        dev.check_ids(force)?;
        if let Some(driver) = &dev.driver {
            if !force && driver != VFIO_PCI && driver != "pci-stub" {
                return Err(PciError::DriverBound {
                    addr: *addr,
                    driver: driver.clone(),
                });
            }
        }
        let lock = DeviceLock::acquire(root, addr)?;
        let dir = root.device(addr);
        // A device without a driver may have memory decoding off; `enable` turns it on.
        let enable = dir.join("enable");
        if std::fs::read_to_string(&enable)
            .map(|s| s.trim() == "0")
            .unwrap_or(false)
        {
            crate::pci::enable_device(addr, &enable)?;
        }
        let path = dir.join("resource0");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_SYNC)
            .open(&path)
            .map_err(|e| PciError::io(addr, &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| PciError::io(addr, &path, e))?
            .len() as usize;
        if len < 4 {
            return Err(PciError::Parse {
                addr: *addr,
                path,
                why: "BAR0 is not implemented (size 0)".into(),
            });
        }
        let window = MmioWindow::map(&file, 0, len).map_err(|e| PciError::io(addr, &path, e))?;
        Ok(SysfsBar {
            window,
            addr: *addr,
            _lock: lock,
        })
    }

    /// Size of the mapped BAR in bytes.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// A BAR of size 0 (never: [`SysfsBar::open`] refuses one).
    pub fn is_empty(&self) -> bool {
        self.window.len() == 0
    }

    fn err(&self, op: &'static str, offset: u32, msg: String) -> BusError {
        BusError {
            backend: self.name(),
            op,
            offset,
            msg,
        }
    }
}

impl Bar for SysfsBar {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        let val = self
            .window
            .read32(off)
            .map_err(|m| self.err("read", off, m))?;
        check_all_ones(&self.name(), off, val, || {
            self.window
                .read32(reg::ID)
                .map_err(|m| self.err("read", reg::ID, m))
        })
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.window
            .write32(off, val)
            .map_err(|m| self.err("write", off, m))
    }
    fn name(&self) -> String {
        format!("sysfs {} (no DMA isolation)", self.addr)
    }
}
