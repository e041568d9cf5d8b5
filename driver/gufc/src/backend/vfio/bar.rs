//! A BAR of a VFIO device as a [`Bar`]: mmapped when the kernel allows it, pread/pwrite on
//! the device fd otherwise (or when the mapping fails, e.g. an MSI-X table inside the BAR).

use std::sync::Arc;

use super::device::VfioPci;
use super::VfioError;
use crate::backend::sysfs::{check_all_ones, MmioWindow};
use crate::backend::{Bar, BusError};
use crate::pci::{PciAddr, SysfsRoot};
use gufc_regmap::reg;

enum Access {
    Mapped(MmioWindow),
    Pread,
}

/// One BAR of an open [`VfioPci`]. For gufc it is BAR0; [`VfioBar::open`] does the whole
/// bring-up (IDs, binding, group, lock, bus mastering, mapping).
pub struct VfioBar {
    dev: Arc<VfioPci>,
    index: u32,
    size: u64,
    access: Access,
}

impl VfioBar {
    /// Opens gufc device `addr` through VFIO and maps its BAR0 (`force`: accept other IDs).
    pub fn open(root: &SysfsRoot, addr: &PciAddr, force: bool) -> Result<VfioBar, VfioError> {
        let dev = VfioPci::open(root, addr, force)?;
        dev.enable_bus_master()?;
        VfioBar::new(dev, 0)
    }

    /// BAR `index` (0..=5) of an open device.
    pub fn new(dev: Arc<VfioPci>, index: u32) -> Result<VfioBar, VfioError> {
        let r = dev.region(index);
        if index > 5 || r.size == 0 || !r.readable {
            return Err(VfioError::Unsupported {
                addr: dev.addr(),
                what: format!("BAR{index} is not implemented (region size {:#x})", r.size),
            });
        }
        let access = match r.mmappable {
            true => match MmioWindow::map(dev.file(), r.offset, r.size as usize) {
                Ok(w) => Access::Mapped(w),
                Err(_) => Access::Pread,
            },
            false => Access::Pread,
        };
        Ok(VfioBar {
            dev,
            index,
            size: r.size,
            access,
        })
    }

    /// The open device the BAR belongs to, for interrupts, DMA buffers and config space.
    pub fn device(&self) -> &Arc<VfioPci> {
        &self.dev
    }

    /// BAR size in bytes, as VFIO reports the region.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether accesses go through an mmap (else pread/pwrite syscalls).
    pub fn is_mapped(&self) -> bool {
        matches!(self.access, Access::Mapped(_))
    }

    fn err(&self, op: &'static str, offset: u32, msg: String) -> BusError {
        BusError {
            backend: self.name(),
            op,
            offset,
            msg,
        }
    }

    fn raw_read(&self, off: u32) -> Result<u32, BusError> {
        match &self.access {
            Access::Mapped(w) => w.read32(off).map_err(|m| self.err("read", off, m)),
            Access::Pread => {
                let mut b = [0u8; 4];
                self.check(off, "read")?;
                self.dev
                    .region_read(self.index, off as u64, &mut b)
                    .map_err(|e| self.err("read", off, e.to_string()))?;
                Ok(u32::from_le_bytes(b))
            }
        }
    }

    fn check(&self, off: u32, op: &'static str) -> Result<(), BusError> {
        if !off.is_multiple_of(4) || off as u64 + 4 > self.size {
            return Err(self.err(
                op,
                off,
                format!("unaligned or beyond the {:#x}-byte BAR", self.size),
            ));
        }
        Ok(())
    }
}

impl Bar for VfioBar {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        let val = self.raw_read(off)?;
        check_all_ones(&self.name(), off, val, || self.raw_read(reg::ID))
    }

    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        match &mut self.access {
            Access::Mapped(w) => {
                let r = w.write32(off, val);
                r.map_err(|m| self.err("write", off, m))
            }
            Access::Pread => {
                self.check(off, "write")?;
                self.dev
                    .region_write(self.index, off as u64, &val.to_le_bytes())
                    .map_err(|e| self.err("write", off, e.to_string()))
            }
        }
    }

    fn name(&self) -> String {
        match self.index {
            0 => format!("vfio {} ({})", self.dev.addr(), self.dev.path()),
            i => format!("vfio {} BAR{i} ({})", self.dev.addr(), self.dev.path()),
        }
    }
}
