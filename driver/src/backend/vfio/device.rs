//! Opening a device through its IOMMU group, its regions, config space, interrupts and reset.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use vfio_bindings::bindings::vfio::{
    vfio_device_info, VFIO_DEVICE_FLAGS_RESET, VFIO_PCI_CONFIG_REGION_INDEX,
    VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX,
    VFIO_REGION_INFO_FLAG_MMAP, VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE,
};
use vfio_ioctls::{VfioContainer, VfioDevice};
use vmm_sys_util::eventfd::EventFd;

use super::irq::Interrupt;
use super::VfioError;
use crate::pci::{
    check_group_viable, DeviceLock, PciAddr, PciDevice, PciError, SysfsRoot, VFIO_PCI,
};

/// `_IO(VFIO_TYPE, VFIO_BASE + 7)` and `+ 11` from linux/vfio.h.
const VFIO_DEVICE_GET_INFO: libc::c_ulong = 0x3B6B;
const VFIO_DEVICE_RESET: libc::c_ulong = 0x3B6F;

/// PCI_COMMAND and its enable bits.
const PCI_COMMAND: u64 = 0x04;
const PCI_COMMAND_MEMORY: u16 = 0x2;
const PCI_COMMAND_MASTER: u16 = 0x4;

/// One VFIO region (a BAR, config space, …) as the kernel describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    pub index: u32,
    /// Offset of the region in the device fd.
    pub offset: u64,
    pub size: u64,
    pub readable: bool,
    pub writable: bool,
    pub mmappable: bool,
}

/// An open VFIO PCI device: container (type-1 IOMMU), group and device fd, plus the
/// per-device lock. BARs, interrupts and DMA buffers borrow it through an `Arc`.
pub struct VfioPci {
    addr: PciAddr,
    group: u32,
    // Field order is drop order: every device fd before the group is released (else EBUSY),
    // the container after the device, the lock last.
    /// A dup of the device fd for pread/pwrite/mmap (vfio-ioctls swallows region I/O errors).
    file: File,
    device: VfioDevice,
    container: Arc<VfioContainer>,
    flags: u32,
    _lock: DeviceLock,
}

impl VfioPci {
    /// Opens `addr`, which must be bound to vfio-pci with a viable IOMMU group. Unless `force`,
    /// it must also carry gufc's vendor/device IDs. Each failure is a specific [`PciError`]:
    /// no device, wrong IDs, not bound, no IOMMU, group not viable (naming the device that
    /// blocks it), permission denied on /dev/vfio/N, group busy, locked by another gufc.
    pub fn open(root: &SysfsRoot, addr: &PciAddr, force: bool) -> Result<Arc<VfioPci>, VfioError> {
        let dev = PciDevice::read(root, addr)?;
        dev.check_ids(force)?;
        if dev.driver.as_deref() != Some(VFIO_PCI) {
            return Err(PciError::NotBoundToVfio {
                addr: *addr,
                driver: dev.driver,
            }
            .into());
        }
        let (group, _members) = check_group_viable(root, addr)?;
        let lock = DeviceLock::acquire(root, addr)?;
        precheck_node(addr, &root.vfio_dev().join("vfio"), group)?;
        precheck_node(addr, &root.vfio_dev().join(group.to_string()), group)?;

        let vfio = |what, source| VfioError::Vfio {
            addr: *addr,
            what,
            source,
        };
        let container =
            Arc::new(VfioContainer::new(None).map_err(|e| vfio("opening /dev/vfio/vfio", e))?);
        let device = VfioDevice::new(&root.device(addr), container.clone(), false)
            .map_err(|e| vfio("attaching the group to a type-1 IOMMU container", e))?;
        // SAFETY: the fd belongs to `device`, which is alive for this borrow; we only dup it.
        let borrowed = unsafe { BorrowedFd::borrow_raw(device.as_raw_fd()) };
        let file = File::from(
            borrowed
                .try_clone_to_owned()
                .map_err(|source| VfioError::Io {
                    addr: *addr,
                    what: "dup of the device fd".into(),
                    source,
                })?,
        );
        let flags = device_flags(&file).map_err(|source| VfioError::Io {
            addr: *addr,
            what: "VFIO_DEVICE_GET_INFO".into(),
            source,
        })?;
        Ok(Arc::new(VfioPci {
            addr: *addr,
            group,
            device,
            file,
            container,
            flags,
            _lock: lock,
        }))
    }

    pub fn addr(&self) -> PciAddr {
        self.addr
    }

    pub fn iommu_group(&self) -> u32 {
        self.group
    }

    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    pub(crate) fn container(&self) -> &Arc<VfioContainer> {
        &self.container
    }

    /// Region `index` (0..=5 are BARs, 7 is config space).
    pub fn region(&self, index: u32) -> RegionInfo {
        let flags = self.device.get_region_flags(index);
        RegionInfo {
            index,
            offset: self.device.get_region_offset(index),
            size: if flags == 0 {
                0
            } else {
                self.device.get_region_size(index)
            },
            readable: flags & VFIO_REGION_INFO_FLAG_READ != 0,
            writable: flags & VFIO_REGION_INFO_FLAG_WRITE != 0,
            mmappable: flags & VFIO_REGION_INFO_FLAG_MMAP != 0,
        }
    }

    /// Reads `buf.len()` bytes of region `index` at `off` with pread (errors reported).
    pub fn region_read(&self, index: u32, off: u64, buf: &mut [u8]) -> Result<(), VfioError> {
        let r = self.region_checked(index, off, buf.len(), "read")?;
        self.file
            .read_exact_at(buf, r.offset + off)
            .map_err(|source| VfioError::Io {
                addr: self.addr,
                what: format!("pread of region {index} at {off:#x}"),
                source,
            })
    }

    /// Writes `buf` to region `index` at `off` with pwrite (errors reported).
    pub fn region_write(&self, index: u32, off: u64, buf: &[u8]) -> Result<(), VfioError> {
        let r = self.region_checked(index, off, buf.len(), "write")?;
        self.file
            .write_all_at(buf, r.offset + off)
            .map_err(|source| VfioError::Io {
                addr: self.addr,
                what: format!("pwrite of region {index} at {off:#x}"),
                source,
            })
    }

    fn region_checked(
        &self,
        index: u32,
        off: u64,
        len: usize,
        op: &str,
    ) -> Result<RegionInfo, VfioError> {
        let r = self.region(index);
        let allowed = if op == "read" { r.readable } else { r.writable };
        if !allowed || off + len as u64 > r.size {
            return Err(VfioError::Unsupported {
                addr: self.addr,
                what: format!(
                    "{op} of {len} bytes at {off:#x} outside region {index} (size {:#x})",
                    r.size
                ),
            });
        }
        Ok(r)
    }

    pub fn config_read16(&self, off: u64) -> Result<u16, VfioError> {
        let mut b = [0u8; 2];
        self.region_read(VFIO_PCI_CONFIG_REGION_INDEX, off, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    pub fn config_read32(&self, off: u64) -> Result<u32, VfioError> {
        let mut b = [0u8; 4];
        self.region_read(VFIO_PCI_CONFIG_REGION_INDEX, off, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn config_write16(&self, off: u64, val: u16) -> Result<(), VfioError> {
        self.region_write(VFIO_PCI_CONFIG_REGION_INDEX, off, &val.to_le_bytes())
    }

    /// Sets PCI_COMMAND memory decoding and bus mastering. vfio-pci leaves bus mastering off,
    /// and without it neither DMA nor MSI (an MSI is a DMA write) reaches the host.
    pub fn enable_bus_master(&self) -> Result<(), VfioError> {
        let cmd = self.config_read16(PCI_COMMAND)?;
        if cmd == u16::MAX {
            return Err(VfioError::Unsupported {
                addr: self.addr,
                what: "config space reads all-ones: device removed or link down".into(),
            });
        }
        self.config_write16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
    }

    /// Interrupt vectors the device offers for `index` (INTx 0, MSI 1, MSI-X 2).
    pub fn irq_count(&self, index: u32) -> u32 {
        self.device.get_irq_info(index).map_or(0, |i| i.count)
    }

    fn enable(&self, index: u32, kind: &str, n: u32) -> Result<Vec<Interrupt>, VfioError> {
        let have = self.irq_count(index);
        if n == 0 || n > have {
            return Err(VfioError::Unsupported {
                addr: self.addr,
                what: format!("{n} {kind} vectors requested, device offers {have}"),
            });
        }
        let fds = (0..n)
            .map(|_| EventFd::new(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| VfioError::Io {
                addr: self.addr,
                what: "eventfd".into(),
                source,
            })?;
        self.device
            .enable_irq(index, fds.iter().collect())
            .map_err(|source| VfioError::Vfio {
                addr: self.addr,
                what: "VFIO_DEVICE_SET_IRQS",
                source,
            })?;
        Ok(fds
            .into_iter()
            .enumerate()
            .map(|(v, fd)| Interrupt::new(fd, index, v as u32))
            .collect())
    }

    /// MSI vectors 0..n, each delivered to its own eventfd.
    pub fn enable_msi(&self, n: u32) -> Result<Vec<Interrupt>, VfioError> {
        self.enable(VFIO_PCI_MSI_IRQ_INDEX, "MSI", n)
    }

    /// MSI-X vectors 0..n, each delivered to its own eventfd.
    pub fn enable_msix(&self, n: u32) -> Result<Vec<Interrupt>, VfioError> {
        self.enable(VFIO_PCI_MSIX_IRQ_INDEX, "MSI-X", n)
    }

    /// Legacy INTx on an eventfd. VFIO masks the line when it fires; call
    /// [`VfioPci::unmask_intx`] after the device's interrupt status is acknowledged.
    pub fn enable_intx(&self) -> Result<Interrupt, VfioError> {
        Ok(self.enable(VFIO_PCI_INTX_IRQ_INDEX, "INTx", 1)?.remove(0))
    }

    pub fn unmask_intx(&self) -> Result<(), VfioError> {
        self.device
            .unmask_irq(VFIO_PCI_INTX_IRQ_INDEX)
            .map_err(|source| VfioError::Vfio {
                addr: self.addr,
                what: "INTx unmask",
                source,
            })
    }

    /// Turns off every vector of `index` (INTx 0, MSI 1, MSI-X 2).
    pub fn disable_irqs(&self, index: u32) -> Result<(), VfioError> {
        self.device
            .disable_irq(index)
            .map_err(|source| VfioError::Vfio {
                addr: self.addr,
                what: "disabling interrupts",
                source,
            })
    }

    pub fn supports_reset(&self) -> bool {
        self.flags & VFIO_DEVICE_FLAGS_RESET != 0
    }

    /// Function-level reset through VFIO; `Ok(false)` if the device has no reset method.
    pub fn reset(&self) -> Result<bool, VfioError> {
        if !self.supports_reset() {
            return Ok(false);
        }
        // SAFETY: VFIO_DEVICE_RESET takes no argument; the fd is a VFIO device fd we own.
        let rc = unsafe { libc::ioctl(self.file.as_raw_fd(), VFIO_DEVICE_RESET) };
        if rc != 0 {
            return Err(VfioError::Io {
                addr: self.addr,
                what: "VFIO_DEVICE_RESET".into(),
                source: std::io::Error::last_os_error(),
            });
        }
        Ok(true)
    }
}

/// Opens a /dev/vfio node read-write once, to turn the kernel's errno into a specific error
/// before vfio-ioctls opens it (its errors do not say which node or why).
fn precheck_node(addr: &PciAddr, path: &Path, group: u32) -> Result<(), PciError> {
    match OpenOptions::new().read(true).write(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) => Err(match (e.kind(), e.raw_os_error()) {
            (std::io::ErrorKind::NotFound, _) => PciError::NoIommu { addr: *addr },
            (_, Some(libc::EBUSY)) => PciError::GroupBusy {
                addr: *addr,
                group,
                path: path.to_path_buf(),
            },
            _ => PciError::io(addr, path, e),
        }),
    }
}

/// The device's VFIO_DEVICE_FLAGS_* (vfio-ioctls keeps them private).
fn device_flags(file: &File) -> std::io::Result<u32> {
    let mut info = vfio_device_info {
        argsz: std::mem::size_of::<vfio_device_info>() as u32,
        ..Default::default()
    };
    // SAFETY: VFIO_DEVICE_GET_INFO writes at most `argsz` bytes into `info`, which is a live,
    // correctly sized vfio_device_info owned by this frame.
    let rc = unsafe {
        libc::ioctl(
            file.as_raw_fd(),
            VFIO_DEVICE_GET_INFO,
            &mut info as *mut vfio_device_info,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(info.flags)
}
