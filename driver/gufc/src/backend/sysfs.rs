//! BAR0 through sysfs `resource0`, for bring-up on machines without an IOMMU.
//!
//! **No DMA isolation**: nothing stops the device from writing anywhere in host memory, and
//! interrupts are not available. Use it to poke registers on a new board; use VFIO otherwise.
//! The mapped-window type here is shared with the VFIO backend.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;

use gufc_regmap::reg;
use vm_memory::mmap::MmapRegionError;
use vm_memory::{FileOffset, MmapRegion, VolatileMemory, VolatileRef};

use super::{Bar, BusError};
use crate::pci::{DeviceLock, PciAddr, PciDevice, PciError, SysfsRoot, VFIO_PCI};

/// A mapped MMIO window: bounds- and alignment-checked 32-bit volatile accesses, through
/// vm-memory, which hands out volatile accessors only (never references into device memory).
/// Stores take `&mut self`, like [`Bar::write32`], so the window is never written through a
/// shared reference.
pub(crate) struct MmioWindow(MmapRegion);

impl MmioWindow {
    /// Maps `len` bytes of `file` at `offset`, shared and read-write. Both are explicit
    /// because a VFIO device fd reports size 0 and a region starts at an offset of the fd.
    /// The mapping keeps its own dup of `file`.
    pub(crate) fn map(file: &File, offset: u64, len: usize) -> io::Result<MmioWindow> {
        let at = FileOffset::new(file.try_clone()?, offset);
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        match MmapRegion::build(Some(at), len, prot, libc::MAP_SHARED) {
            Ok(map) => Ok(MmioWindow(map)),
            Err(MmapRegionError::Mmap(e)) => Err(e),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.0.size()
    }

    /// The register at `off`, or why not: outside the window or not 4-byte aligned. Aligned,
    /// a `VolatileRef<u32>` load or store is one 32-bit access, as MMIO needs.
    fn reg(&self, off: u32) -> Result<VolatileRef<'_, u32>, String> {
        if !off.is_multiple_of(4) {
            return Err("not 4-byte aligned".into());
        }
        self.0
            .get_ref(off as usize)
            .map_err(|_| format!("beyond the {:#x}-byte BAR", self.len()))
    }

    pub(crate) fn read32(&self, off: u32) -> Result<u32, String> {
        Ok(self.reg(off)?.load())
    }

    pub(crate) fn write32(&mut self, off: u32, val: u32) -> Result<(), String> {
        self.reg(off)?.store(val);
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
