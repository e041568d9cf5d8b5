//! Real hardware through Linux VFIO: the device's BARs are mapped into this process, its
//! interrupts arrive on eventfds, and it can DMA only into memory mapped through the IOMMU.
//!
//! Two kernel paths lead to the same device fd ([`VfioPath`]): iommufd with the per-device
//! cdev (`/dev/iommu`, `/dev/vfio/devices/vfioN`) when the kernel offers it, else the legacy
//! container/group (type-1 IOMMU). `GUFC_VFIO_PATH` forces one.
//!
//! The container path is opened with `vfio-ioctls` (rust-vmm, default features off, so no
//! KVM); the iommufd path's IOAS with `iommufd-ioctls`. Every device-fd ioctl, on both paths,
//! is issued here with vmm-sys-util's wrappers and vfio-bindings' structs, so each errno is
//! reported (vfio-ioctls logs them). BARs and DMA buffers are vm-memory `MmapRegion`s, touched
//! only through volatile accessors. docs/bringup.md says why these and not `pci-driver` or
//! `volatile-register`.

mod bar;
mod device;
mod dma;
mod ioctl;
mod iommufd;
mod irq;
mod path;

pub use bar::VfioBar;
pub use device::{RegionInfo, VfioPci};
pub use dma::DmaBuffer;
pub use irq::Interrupt;
pub use path::{PathChoice, VfioPath, PATH_ENV};

use crate::pci::{PciAddr, PciError};

/// VFIO failures, each naming the device.
#[derive(Debug, thiserror::Error)]
pub enum VfioError {
    /// A check before or while opening the device (IDs, binding, IOMMU group, a /dev node's
    /// permission or busy state, the per-device lock), with its own specific message.
    #[error(transparent)]
    Pci(#[from] PciError),
    /// A container-path operation of vfio-ioctls failed (opening the container, attaching the
    /// group, mapping or unmapping DMA).
    #[error("{addr}: {what}: {source}")]
    Vfio {
        /// The device.
        addr: PciAddr,
        /// The operation, e.g. `VFIO_IOMMU_MAP_DMA`.
        what: &'static str,
        /// vfio-ioctls' error.
        source: vfio_ioctls::VfioError,
    },
    /// A syscall failed: an ioctl on the device fd or iommufd, pread/pwrite of a region, an
    /// eventfd or an mmap; `source` carries the errno.
    #[error("{addr}: {what}: {source}")]
    Io {
        /// The device.
        addr: PciAddr,
        /// The operation, e.g. `VFIO_DEVICE_SET_IRQS (enabling 2 MSI vectors)`.
        what: String,
        /// The kernel's error.
        source: std::io::Error,
    },
    /// A request the device, the kernel or the call cannot meet: a missing BAR or region, an
    /// access outside a region or DMA buffer, more interrupt vectors than offered, a forced
    /// IOMMU path the kernel lacks, a bad `GUFC_VFIO_PATH`, a device reading all-ones.
    #[error("{addr}: {what}")]
    Unsupported {
        /// The device.
        addr: PciAddr,
        /// What was asked and why it cannot be done.
        what: String,
    },
}
