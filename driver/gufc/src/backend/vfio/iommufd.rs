//! The iommufd/cdev path (Linux ≥ 6.2 with CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV): the
//! device is opened as `/dev/vfio/devices/vfioN`, bound to an iommufd (`/dev/iommu`), and
//! attached to an IO address space (IOAS) of its own; DMA mappings go into that IOAS.
//!
//! The uapi structs and request numbers are written out here (linux/iommufd.h, linux/vfio.h)
//! because vfio-bindings has them only behind vfio-ioctls' `vfio_cdev` feature.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use super::ioctl::{ioctl_ptr, VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_BIND_IOMMUFD};
use super::VfioError;
use crate::pci::{PciAddr, PciError, SysfsRoot};

/// `_IO(IOMMUFD_TYPE = ';', cmd)` from linux/iommufd.h.
const fn iommufd_io(cmd: libc::c_ulong) -> libc::c_ulong {
    (b';' as libc::c_ulong) << 8 | cmd
}
const IOMMU_IOAS_ALLOC: libc::c_ulong = iommufd_io(0x81);
const IOMMU_IOAS_MAP: libc::c_ulong = iommufd_io(0x85);
const IOMMU_IOAS_UNMAP: libc::c_ulong = iommufd_io(0x86);

const IOMMU_IOAS_MAP_FIXED_IOVA: u32 = 1 << 0;
const IOMMU_IOAS_MAP_WRITEABLE: u32 = 1 << 1;
const IOMMU_IOAS_MAP_READABLE: u32 = 1 << 2;

#[repr(C)]
struct VfioDeviceBindIommufd {
    argsz: u32,
    flags: u32,
    iommufd: i32,
    out_devid: u32,
}

#[repr(C)]
struct VfioDeviceAttachIommufdPt {
    argsz: u32,
    flags: u32,
    pt_id: u32,
}

#[repr(C)]
struct IommuIoasAlloc {
    size: u32,
    flags: u32,
    out_ioas_id: u32,
}

#[repr(C)]
struct IommuIoasMap {
    size: u32,
    flags: u32,
    ioas_id: u32,
    reserved: u32,
    user_va: u64,
    length: u64,
    iova: u64,
}

#[repr(C)]
struct IommuIoasUnmap {
    size: u32,
    ioas_id: u32,
    iova: u64,
    length: u64,
}

const _: () = assert!(size_of::<VfioDeviceBindIommufd>() == 16);
const _: () = assert!(size_of::<VfioDeviceAttachIommufdPt>() == 12);
const _: () = assert!(size_of::<IommuIoasAlloc>() == 12);
const _: () = assert!(size_of::<IommuIoasMap>() == 40);
const _: () = assert!(size_of::<IommuIoasUnmap>() == 24);

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

/// An iommufd with one IOAS the device is attached to. Closing the iommufd (after the device
/// fd, see `VfioPci`'s field order) destroys the IOAS and every mapping in it.
pub(super) struct Iommufd {
    addr: PciAddr,
    fd: File,
    path: PathBuf,
    ioas: u32,
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
        let fd = open_rw(addr, iommu, group)?;
        let dev = open_rw(addr, cdev, group)?;
        let err = |what: String| {
            let addr = *addr;
            move |source| VfioError::Io { addr, what, source }
        };
        let mut bind = VfioDeviceBindIommufd {
            argsz: size_of::<VfioDeviceBindIommufd>() as u32,
            flags: 0,
            iommufd: fd.as_raw_fd(),
            out_devid: 0,
        };
        // SAFETY: `bind` is a live vfio_device_bind_iommufd (checked size) and both fds are open.
        unsafe { ioctl_ptr(dev.as_raw_fd(), VFIO_DEVICE_BIND_IOMMUFD, &mut bind) }.map_err(err(
            format!(
                "VFIO_DEVICE_BIND_IOMMUFD of {} to {}",
                cdev.display(),
                iommu.display()
            ),
        ))?;
        let mut alloc = IommuIoasAlloc {
            size: size_of::<IommuIoasAlloc>() as u32,
            flags: 0,
            out_ioas_id: 0,
        };
        // SAFETY: `alloc` is a live iommu_ioas_alloc; `fd` is an open iommufd.
        unsafe { ioctl_ptr(fd.as_raw_fd(), IOMMU_IOAS_ALLOC, &mut alloc) }
            .map_err(err(format!("IOMMU_IOAS_ALLOC on {}", iommu.display())))?;
        let mut attach = VfioDeviceAttachIommufdPt {
            argsz: size_of::<VfioDeviceAttachIommufdPt>() as u32,
            flags: 0,
            pt_id: alloc.out_ioas_id,
        };
        // SAFETY: `attach` is a live vfio_device_attach_iommufd_pt; `dev` is a bound cdev fd.
        unsafe { ioctl_ptr(dev.as_raw_fd(), VFIO_DEVICE_ATTACH_IOMMUFD_PT, &mut attach) }.map_err(
            err(format!(
                "VFIO_DEVICE_ATTACH_IOMMUFD_PT of {} to IOAS {}",
                cdev.display(),
                alloc.out_ioas_id
            )),
        )?;
        Ok((
            dev,
            Iommufd {
                addr: *addr,
                fd,
                path: iommu.to_path_buf(),
                ioas: alloc.out_ioas_id,
            },
        ))
    }

    /// Maps `len` bytes at `vaddr` readable and writable at exactly `iova` (IOMMU_IOAS_MAP).
    ///
    /// # Safety
    /// The range must stay mapped in this process until [`Iommufd::unmap`] succeeds, and be
    /// accessed meanwhile only through raw pointers (the device writes it behind Rust's back).
    pub(super) unsafe fn map(
        &self,
        iova: u64,
        len: usize,
        vaddr: *mut u8,
    ) -> Result<(), VfioError> {
        let mut m = IommuIoasMap {
            size: size_of::<IommuIoasMap>() as u32,
            flags: IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
            ioas_id: self.ioas,
            reserved: 0,
            user_va: vaddr as u64,
            length: len as u64,
            iova,
        };
        // SAFETY: `m` is a live iommu_ioas_map; the memory contract is the caller's.
        unsafe { ioctl_ptr(self.fd.as_raw_fd(), IOMMU_IOAS_MAP, &mut m) }.map_err(|source| {
            VfioError::Io {
                addr: self.addr,
                what: format!(
                    "IOMMU_IOAS_MAP of {len:#x} bytes at IOVA {iova:#x} on {} (IOAS {})",
                    self.path.display(),
                    self.ioas
                ),
                source,
            }
        })
    }

    /// Removes exactly the mapping made by [`Iommufd::map`] (IOMMU_IOAS_UNMAP).
    pub(super) fn unmap(&self, iova: u64, len: usize) -> Result<(), VfioError> {
        let mut u = IommuIoasUnmap {
            size: size_of::<IommuIoasUnmap>() as u32,
            ioas_id: self.ioas,
            iova,
            length: len as u64,
        };
        let what = || {
            format!(
                "IOMMU_IOAS_UNMAP of {len:#x} bytes at IOVA {iova:#x} on {} (IOAS {})",
                self.path.display(),
                self.ioas
            )
        };
        // SAFETY: `u` is a live iommu_ioas_unmap; the kernel writes back the unmapped length.
        unsafe { ioctl_ptr(self.fd.as_raw_fd(), IOMMU_IOAS_UNMAP, &mut u) }.map_err(|source| {
            VfioError::Io {
                addr: self.addr,
                what: what(),
                source,
            }
        })?;
        if u.length != len as u64 {
            return Err(VfioError::Io {
                addr: self.addr,
                what: what(),
                source: io::Error::other(format!("kernel unmapped {:#x} bytes", u.length)),
            });
        }
        Ok(())
    }
}
