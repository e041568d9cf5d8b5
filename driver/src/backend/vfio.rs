//! Real hardware through Linux VFIO: the device's BARs are mapped into this process, its
//! interrupts arrive on eventfds, and it can DMA only into memory mapped through the IOMMU.
//!
//! Built on `vfio-ioctls` (rust-vmm, default features off, so no KVM): it is maintained, small,
//! and its container/group/device wrappers are what cloud-hypervisor runs in production.
//! `pci-driver` was the alternative; its traits are sealed (no way to put our `Bar` behind
//! them) and it lacks 64-bit and no-IOMMU support. Where vfio-ioctls hides errors (region
//! reads and writes, reset), this module does the pread/pwrite/ioctl itself.
//!
//! Only the legacy container/group (type-1 IOMMU) path is implemented; iommufd/cdev is not.

mod bar;
mod device;
mod dma;
mod irq;

pub use bar::VfioBar;
pub use device::{RegionInfo, VfioPci};
pub use dma::DmaBuffer;
pub use irq::Interrupt;

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
