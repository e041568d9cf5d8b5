//! Opening a device through one of the two IOMMU paths ([`VfioPath`]), then its regions,
//! config space, interrupts and reset, which are the same on both.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use vfio_bindings::bindings::vfio::{
    VFIO_DEVICE_FLAGS_RESET, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_INTX_IRQ_INDEX,
    VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_REGION_INFO_FLAG_MMAP,
    VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE,
};
use vfio_ioctls::{VfioContainer, VfioDevice};
use vmm_sys_util::eventfd::EventFd;

use super::iommufd::{cdev_name, iommu_node, Iommufd};
use super::irq::Interrupt;
use super::path::{PathChoice, VfioPath};
use super::{ioctl, VfioError};
use crate::pci::{
    check_group_viable, DeviceLock, PciAddr, PciDevice, PciError, SysfsRoot, VFIO_PCI,
};

/// PCI_COMMAND and its enable bits.
const PCI_COMMAND: u64 = 0x04;
const PCI_COMMAND_MEMORY: u16 = 0x2;
const PCI_COMMAND_MASTER: u16 = 0x4;

/// One VFIO region (a BAR, config space, …) as the kernel describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    /// VFIO region index: 0..=5 the BARs, 6 the expansion ROM, 7 config space, 8 VGA.
    pub index: u32,
    /// Offset of the region in the device fd.
    pub offset: u64,
    /// Size in bytes; 0 when the device lacks the region.
    pub size: u64,
    /// `VFIO_REGION_INFO_FLAG_READ`: the region can be read.
    pub readable: bool,
    /// `VFIO_REGION_INFO_FLAG_WRITE`: the region can be written.
    pub writable: bool,
    /// `VFIO_REGION_INFO_FLAG_MMAP`: the region may be mmapped from the device fd.
    pub mmappable: bool,
}

impl RegionInfo {
    fn absent(index: u32) -> RegionInfo {
        RegionInfo {
            index,
            offset: 0,
            size: 0,
            readable: false,
            writable: false,
            mmappable: false,
        }
    }
}

/// How the device is attached to the IOMMU; dropped after the device fd (see [`VfioPci`]).
enum Iommu {
    /// Field order is drop order: the device (which releases the group) before the container.
    Container {
        _device: VfioDevice,
        container: Arc<VfioContainer>,
    },
    Iommufd(Iommufd),
}

/// An open VFIO PCI device: its device fd, the IOMMU attachment it came from (container and
/// group, or iommufd and IOAS) and the per-device lock. BARs, interrupts and DMA buffers
/// borrow it through an `Arc`.
pub struct VfioPci {
    addr: PciAddr,
    group: u32,
    path: VfioPath,
    // Field order is drop order: the device fd before its group or iommufd is released (else
    // EBUSY on the group), the lock last.
    /// The device fd (container path: a dup of vfio-ioctls' fd, which swallows I/O errors).
    file: File,
    iommu: Iommu,
    flags: u32,
    regions: Vec<RegionInfo>,
    irq_counts: Vec<u32>,
    _lock: DeviceLock,
}

impl VfioPci {
    /// Opens `addr`, which must be bound to vfio-pci with a viable IOMMU group, through the
    /// path [`PATH_ENV`](super::PATH_ENV) asks for (default: iommufd when the kernel has it,
    /// else the container). Unless `force`, it must also carry gufc's vendor/device IDs.
    pub fn open(root: &SysfsRoot, addr: &PciAddr, force: bool) -> Result<Arc<VfioPci>, VfioError> {
        VfioPci::open_with(root, addr, force, PathChoice::from_env(addr)?)
    }

    /// [`VfioPci::open`] with an explicit path choice. Each failure is a specific error naming
    /// the device and, where one is involved, the file: no device, wrong IDs, not bound, no
    /// IOMMU, group not viable (naming the device that blocks it), permission denied on a
    /// /dev node, group busy, locked by another gufc, forced path not offered by the kernel.
    pub fn open_with(
        root: &SysfsRoot,
        addr: &PciAddr,
        force: bool,
        choice: PathChoice,
    ) -> Result<Arc<VfioPci>, VfioError> {
        let dev = PciDevice::read(root, addr)?;
        dev.check_ids(force)?;
        if dev.driver.as_deref() != Some(VFIO_PCI) {
            return Err(PciError::NotBoundToVfio {
                addr: *addr,
                driver: dev.driver,
            }
            .into());
        }
        // The cdev path needs a viable group too: binding claims DMA ownership for the group.
        let (group, _members) = check_group_viable(root, addr)?;
        let path = choice.resolve(root, addr)?;
        let lock = DeviceLock::acquire(root, addr)?;
        let (file, iommu) = match path {
            VfioPath::Container => open_container(root, addr, group)?,
            VfioPath::Iommufd => {
                let name = cdev_name(root, addr).ok_or(VfioError::Unsupported {
                    addr: *addr,
                    what: "the vfio-dev cdev disappeared while opening".into(),
                })?;
                let cdev = root.vfio_dev().join("devices").join(name);
                let (file, fd) = Iommufd::open_device(addr, group, &iommu_node(root), &cdev)?;
                (file, Iommu::Iommufd(fd))
            }
        };
        let io = |what: &str| {
            let what = what.to_string();
            move |source| VfioError::Io {
                addr: *addr,
                what,
                source,
            }
        };
        let info = ioctl::device_info(&file).map_err(io("VFIO_DEVICE_GET_INFO"))?;
        let mut regions = Vec::new();
        for index in 0..info.num_regions {
            regions.push(match ioctl::region_info(&file, index) {
                Ok(r) => RegionInfo {
                    index,
                    offset: r.offset,
                    size: r.size,
                    readable: r.flags & VFIO_REGION_INFO_FLAG_READ != 0,
                    writable: r.flags & VFIO_REGION_INFO_FLAG_WRITE != 0,
                    mmappable: r.flags & VFIO_REGION_INFO_FLAG_MMAP != 0,
                },
                // vfio-pci answers EINVAL for regions the device lacks (VGA on most).
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => RegionInfo::absent(index),
                Err(e) => {
                    return Err(io(&format!(
                        "VFIO_DEVICE_GET_REGION_INFO for region {index}"
                    ))(e))
                }
            });
        }
        let mut irq_counts = Vec::new();
        for index in 0..info.num_irqs {
            irq_counts.push(match ioctl::irq_info(&file, index) {
                Ok(i) => i.count,
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => 0,
                Err(e) => {
                    return Err(io(&format!("VFIO_DEVICE_GET_IRQ_INFO for index {index}"))(
                        e,
                    ))
                }
            });
        }
        Ok(Arc::new(VfioPci {
            addr: *addr,
            group,
            path,
            file,
            iommu,
            flags: info.flags,
            regions,
            irq_counts,
            _lock: lock,
        }))
    }

    /// The device's PCI address.
    pub fn addr(&self) -> PciAddr {
        self.addr
    }

    /// The IOMMU group the device belongs to (`/dev/vfio/<group>` on the container path).
    pub fn iommu_group(&self) -> u32 {
        self.group
    }

    /// The interface the device was opened through.
    pub fn path(&self) -> VfioPath {
        self.path
    }

    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Maps `len` bytes at `vaddr` for device reads and writes at `iova`.
    ///
    /// # Safety
    /// The range must stay mapped until [`VfioPci::dma_unmap`] succeeds and be accessed only
    /// through volatile accesses meanwhile, never references (the device writes it behind
    /// Rust's back).
    pub(crate) unsafe fn dma_map(
        &self,
        iova: u64,
        len: usize,
        vaddr: *mut u8,
    ) -> Result<(), VfioError> {
        match &self.iommu {
            // SAFETY: forwarded from this function's contract.
            Iommu::Container { container, .. } => unsafe {
                container.vfio_dma_map(iova, len, vaddr)
            }
            .map_err(|source| VfioError::Vfio {
                addr: self.addr,
                what: "VFIO_IOMMU_MAP_DMA",
                source,
            }),
            // SAFETY: forwarded from this function's contract.
            Iommu::Iommufd(fd) => unsafe { fd.map(iova, len, vaddr) },
        }
    }

    /// Removes the mapping made by [`VfioPci::dma_map`].
    pub(crate) fn dma_unmap(&self, iova: u64, len: usize) -> Result<(), VfioError> {
        match &self.iommu {
            Iommu::Container { container, .. } => {
                container
                    .vfio_dma_unmap(iova, len)
                    .map_err(|source| VfioError::Vfio {
                        addr: self.addr,
                        what: "VFIO_IOMMU_UNMAP_DMA",
                        source,
                    })
            }
            Iommu::Iommufd(fd) => fd.unmap(iova, len),
        }
    }

    /// Region `index` (0..=5 are BARs, 7 is config space); size 0 if the device lacks it.
    pub fn region(&self, index: u32) -> RegionInfo {
        self.regions
            .get(index as usize)
            .copied()
            .unwrap_or(RegionInfo::absent(index))
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

    /// Reads the little-endian 16-bit config-space register at byte offset `off`.
    pub fn config_read16(&self, off: u64) -> Result<u16, VfioError> {
        let mut b = [0u8; 2];
        self.region_read(VFIO_PCI_CONFIG_REGION_INDEX, off, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    /// Reads the little-endian 32-bit config-space register at byte offset `off`.
    pub fn config_read32(&self, off: u64) -> Result<u32, VfioError> {
        let mut b = [0u8; 4];
        self.region_read(VFIO_PCI_CONFIG_REGION_INDEX, off, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Writes the 16-bit config-space register at byte offset `off`; vfio-pci virtualizes
    /// parts of config space, so not every bit reaches the device.
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
        self.irq_counts.get(index as usize).copied().unwrap_or(0)
    }

    fn irq_err(&self, what: &str) -> impl FnOnce(std::io::Error) -> VfioError {
        let (addr, what) = (self.addr, format!("VFIO_DEVICE_SET_IRQS ({what})"));
        move |source| VfioError::Io { addr, what, source }
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
        let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
        ioctl::enable_irqs(&self.file, index, &raw)
            .map_err(self.irq_err(&format!("enabling {n} {kind} vectors")))?;
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

    /// Unmasks INTx after VFIO masked it on delivery; until then no further INTx arrives.
    pub fn unmask_intx(&self) -> Result<(), VfioError> {
        ioctl::unmask_irq(&self.file, VFIO_PCI_INTX_IRQ_INDEX).map_err(self.irq_err("INTx unmask"))
    }

    /// Turns off every vector of `index` (INTx 0, MSI 1, MSI-X 2).
    pub fn disable_irqs(&self, index: u32) -> Result<(), VfioError> {
        ioctl::disable_irqs(&self.file, index)
            .map_err(self.irq_err(&format!("disabling interrupt index {index}")))
    }

    /// Whether VFIO can reset the device (`VFIO_DEVICE_FLAGS_RESET`: the kernel found a reset
    /// method for it, such as FLR).
    pub fn supports_reset(&self) -> bool {
        self.flags & VFIO_DEVICE_FLAGS_RESET != 0
    }

    /// Function-level reset through VFIO; `Ok(false)` if the device has no reset method.
    pub fn reset(&self) -> Result<bool, VfioError> {
        if !self.supports_reset() {
            return Ok(false);
        }
        ioctl::reset(&self.file).map_err(|source| VfioError::Io {
            addr: self.addr,
            what: "VFIO_DEVICE_RESET".into(),
            source,
        })?;
        Ok(true)
    }
}

/// The container path: `/dev/vfio/vfio` with the group attached to a type-1 IOMMU, and the
/// device fd from the group (through vfio-ioctls, which also releases the group on drop).
fn open_container(
    root: &SysfsRoot,
    addr: &PciAddr,
    group: u32,
) -> Result<(File, Iommu), VfioError> {
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
    Ok((
        file,
        Iommu::Container {
            _device: device,
            container,
        },
    ))
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
