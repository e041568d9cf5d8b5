//! The iommufd/cdev path (Linux ≥ 6.2 with CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV): the
//! device is opened as `/dev/vfio/devices/vfioN`, bound to an iommufd (`/dev/iommu`), and
//! attached to an IO address space (IOAS) of its own; DMA mappings go into that IOAS.
//!
//! The iommufd side (IOAS alloc/map/unmap/destroy) is cloud-hypervisor's `iommufd-ioctls`,
//! the crate vfio-ioctls' `vfio_cdev` feature wraps; that feature also turns on vfio-ioctls'
//! `kvm` feature (kvm-ioctls, kvm-bindings), which gufc does not need. The two device-side
//! requests (bind, attach) are in [`super::ioctl`] with the other device-fd ioctls.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use iommufd_bindings::{
    iommu_ioas_map, iommu_ioas_unmap,
    iommufd_ioas_map_flags_IOMMU_IOAS_MAP_FIXED_IOVA as FIXED_IOVA,
    iommufd_ioas_map_flags_IOMMU_IOAS_MAP_READABLE as READABLE,
    iommufd_ioas_map_flags_IOMMU_IOAS_MAP_WRITEABLE as WRITEABLE,
};
use iommufd_ioctls::{IommuFd, IommufdError, IommufdIoas};

use super::{ioctl, VfioError};
use crate::pci::{PciAddr, PciError, SysfsRoot};

/// `/dev/iommu`.
pub(super) fn iommu_node(root: &SysfsRoot) -> PathBuf {
    root.dev.join("iommu")
}

/// The device's cdev name (`vfio0`) from `<sysfs device>/vfio-dev/`, if the kernel made one
/// (vfio-pci bound and CONFIG_VFIO_DEVICE_CDEV).
pub(super) fn cdev_name(root: &SysfsRoot, addr: &PciAddr) -> Option<String> {
    std::fs::read_dir(root.device(addr).join("vfio-dev"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("vfio"))
}

/// An iommufd with one IOAS the device is attached to. Dropped after the device fd (see
/// `VfioPci`'s field order): the IOAS is destroyed once nothing is attached to it, then the
/// iommufd closes, which would also drop every mapping left in it.
pub(super) struct Iommufd {
    addr: PciAddr,
    path: PathBuf,
    ioas: IommufdIoas,
    fd: Arc<IommuFd>,
}

fn open_rw(addr: &PciAddr, path: &Path, group: u32) -> Result<File, PciError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // The kernel refuses a cdev whose group is open through /dev/vfio/N.
            Some(libc::EBUSY) => PciError::GroupBusy {
                addr: *addr,
                group,
                path: path.to_path_buf(),
            },
            _ => PciError::io(addr, path, e),
        })
}

impl Iommufd {
    /// Opens `iommu` (/dev/iommu) and the device cdev `cdev`, binds the device to the iommufd,
    /// allocates an IOAS and attaches the device to it. Returns the device fd, which serves
    /// the same region/irq/reset ioctls as a group-obtained one.
    pub(super) fn open_device(
        addr: &PciAddr,
        group: u32,
        iommu: &Path,
        cdev: &Path,
    ) -> Result<(File, Iommufd), VfioError> {
        let fd = Arc::new(IommuFd::new_from_fd(open_rw(addr, iommu, group)?));
        let dev = open_rw(addr, cdev, group)?;
        let err = |what: String| {
            let addr = *addr;
            move |source| VfioError::Io { addr, what, source }
        };
        ioctl::bind_iommufd(&dev, &*fd).map_err(err(format!(
            "VFIO_DEVICE_BIND_IOMMUFD of {} to {}",
            cdev.display(),
            iommu.display()
        )))?;
        let ioas = IommufdIoas::new(fd.clone())
            .map_err(errno)
            .map_err(err(format!("IOMMU_IOAS_ALLOC on {}", iommu.display())))?;
        ioctl::attach_ioas(&dev, ioas.id()).map_err(err(format!(
            "VFIO_DEVICE_ATTACH_IOMMUFD_PT of {} to IOAS {}",
            cdev.display(),
            ioas.id()
        )))?;
        Ok((
            dev,
            Iommufd {
                addr: *addr,
                path: iommu.to_path_buf(),
                ioas,
                fd,
            },
        ))
    }

    fn err(&self, op: &str, iova: u64, len: usize) -> impl FnOnce(io::Error) -> VfioError {
        let what = format!(
            "{op} of {len:#x} bytes at IOVA {iova:#x} on {} (IOAS {})",
            self.path.display(),
            self.ioas.id()
        );
        let addr = self.addr;
        move |source| VfioError::Io { addr, what, source }
    }

    /// Maps `len` bytes at `vaddr` readable and writable at exactly `iova` (IOMMU_IOAS_MAP).
    ///
    /// # Safety
    /// The range must stay mapped in this process until [`Iommufd::unmap`] succeeds, and be
    /// accessed meanwhile only through volatile accesses, never references (the device writes
    /// it behind Rust's back). iommufd-ioctls offers this call as a safe function; the
    /// contract is enforced here instead.
    pub(super) unsafe fn map(
        &self,
        iova: u64,
        len: usize,
        vaddr: *mut u8,
    ) -> Result<(), VfioError> {
        let m = iommu_ioas_map {
            size: size_of::<iommu_ioas_map>() as u32,
            flags: FIXED_IOVA | READABLE | WRITEABLE,
            ioas_id: self.ioas.id(),
            user_va: vaddr as u64,
            length: len as u64,
            iova,
            ..Default::default()
        };
        self.fd
            .map_iommu_ioas(&m)
            .map_err(errno)
            .map_err(self.err("IOMMU_IOAS_MAP", iova, len))
    }

    /// Removes exactly the mapping made by [`Iommufd::map`] (IOMMU_IOAS_UNMAP).
    pub(super) fn unmap(&self, iova: u64, len: usize) -> Result<(), VfioError> {
        let mut u = iommu_ioas_unmap {
            size: size_of::<iommu_ioas_unmap>() as u32,
            ioas_id: self.ioas.id(),
            iova,
            length: len as u64,
        };
        let err = || self.err("IOMMU_IOAS_UNMAP", iova, len);
        self.fd
            .unmap_iommu_ioas(&mut u)
            .map_err(errno)
            .map_err(err())?;
        if u.length != len as u64 {
            let e = io::Error::other(format!("kernel unmapped {:#x} bytes", u.length));
            return Err(err()(e));
        }
        Ok(())
    }
}

/// The errno an iommufd-ioctls error carries (every variant gufc can get carries one).
fn errno(e: IommufdError) -> io::Error {
    match e {
        IommufdError::IommuIoasAlloc(e)
        | IommufdError::IommuIoasMap(e)
        | IommufdError::IommuIoasUnmap(e)
        | IommufdError::IommuDestroy(e) => e.into(),
        e => io::Error::other(e),
    }
}
