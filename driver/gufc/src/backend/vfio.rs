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
    #[error(transparent)]
    Pci(#[from] PciError),
    #[error("{addr}: {what}: {source}")]
    Vfio {
        addr: PciAddr,
        what: &'static str,
        source: vfio_ioctls::VfioError,
    },
    #[error("{addr}: {what}: {source}")]
    Io {
        addr: PciAddr,
        what: String,
        source: std::io::Error,
    },
    #[error("{addr}: {what}")]
    Unsupported { addr: PciAddr, what: String },
}
