//! PCI devices as Linux shows them in sysfs: discovery (`gufc list`), IOMMU group viability,
//! driver binding (`gufc bind`/`unbind`) and a per-device lock.
//!
//! Everything goes through a [`SysfsRoot`], so tests run every error path on a fake sysfs tree
//! in a temporary directory instead of needing a machine with the device.

mod addr;
mod bind;
mod device;
mod group;
mod lock;

pub use addr::PciAddr;
pub use bind::{bind_vfio, unbind, BindOutcome, UnbindOutcome};
pub use device::{human_size, list_devices, Bar as BarInfo, PciDevice};
pub use group::{check_group_viable, iommu_group, GroupMember};
pub use lock::DeviceLock;

use std::path::{Path, PathBuf};

/// The driver name the VFIO backend needs a device bound to.
pub const VFIO_PCI: &str = "vfio-pci";

/// Where sysfs, /dev and /run are. Production uses `/sys`, `/dev` and `/run`; tests point all
/// three into a temp dir holding a fake tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysfsRoot {
    /// sysfs (`/sys`): devices, drivers, IOMMU groups.
    pub sys: PathBuf,
    /// Device nodes (`/dev`): the VFIO group and iommufd nodes.
    pub dev: PathBuf,
    /// `gufc bind` remembers the driver it displaced under `<run>/gufc/`.
    pub run: PathBuf,
}

impl Default for SysfsRoot {
    fn default() -> Self {
        SysfsRoot {
            sys: PathBuf::from("/sys"),
            dev: PathBuf::from("/dev"),
            run: PathBuf::from("/run"),
        }
    }
}

impl SysfsRoot {
    /// A fake tree: `<dir>/sys`, `<dir>/dev` and `<dir>/run`.
    pub fn under(dir: &Path) -> Self {
        SysfsRoot {
            sys: dir.join("sys"),
            dev: dir.join("dev"),
            run: dir.join("run"),
        }
    }
    /// `/sys/bus/pci/devices`: one entry per PCI function, named by its address.
    pub fn devices(&self) -> PathBuf {
        self.sys.join("bus/pci/devices")
    }
    /// `/sys/bus/pci/devices/<addr>`.
    pub fn device(&self, addr: &PciAddr) -> PathBuf {
        self.devices().join(addr.to_string())
    }
    /// `/sys/bus/pci/drivers`: one directory per loaded PCI driver.
    pub fn drivers(&self) -> PathBuf {
        self.sys.join("bus/pci/drivers")
    }
    /// `/sys/kernel/iommu_groups`.
    pub fn iommu_groups(&self) -> PathBuf {
        self.sys.join("kernel/iommu_groups")
    }
    /// `/dev/vfio`.
    pub fn vfio_dev(&self) -> PathBuf {
        self.dev.join("vfio")
    }
}

/// Everything that can go wrong finding, binding or opening a device, each naming the device.
#[derive(Debug, thiserror::Error)]
pub enum PciError {
    /// Text that is not a PCI address ([`PciAddr`]'s `FromStr`).
    #[error("bad PCI address {text:?}: {why} (expected e.g. 0000:01:00.0)")]
    BadAddress {
        /// The text as given.
        text: String,
        /// Which part is wrong.
        why: &'static str,
    },
    /// No such device in sysfs.
    #[error("{addr}: no such PCI device ({path} missing)")]
    NoDevice {
        /// The device asked for.
        addr: PciAddr,
        /// Its sysfs directory, which does not exist.
        path: PathBuf,
    },
    /// The device's vendor/device IDs are not gufc's (`--force` overrides).
    #[error(
        "{addr}: is {vendor:04x}:{device:04x}, not a gufc device ({want_vendor:04x}:{want_device:04x}); \
         use --force to use it anyway"
    )]
    WrongIds {
        /// The device.
        addr: PciAddr,
        /// Its PCI vendor ID.
        vendor: u16,
        /// Its PCI device ID.
        device: u16,
        /// gufc's vendor ID (regmap.toml `[device]`).
        want_vendor: u16,
        /// gufc's device ID (regmap.toml `[device]`).
        want_device: u16,
    },
    /// The VFIO backend needs the device bound to vfio-pci and it is not.
    #[error(
        "{addr}: not bound to vfio-pci ({}); run `gufc bind {addr}`",
        bound_to(driver)
    )]
    NotBoundToVfio {
        /// The device.
        addr: PciAddr,
        /// The driver it is bound to, if any.
        driver: Option<String>,
    },
    /// The kernel gave the device no IOMMU group, so VFIO cannot isolate it.
    #[error("{addr}: no IOMMU (no iommu_group for the device, no /dev/vfio/vfio groups; intel_iommu=on / amd_iommu=on on the kernel command line?)")]
    NoIommu {
        /// The device.
        addr: PciAddr,
    },
    /// Another device in the IOMMU group is bound to a driver that could DMA outside VFIO.
    #[error("{addr}: IOMMU group {group} not viable: {blocker} bound to {driver} (bind it to vfio-pci or unbind it; every device in a group must be)")]
    GroupNotViable {
        /// The device asked for.
        addr: PciAddr,
        /// Its IOMMU group number.
        group: u32,
        /// The first group member that blocks (lowest address).
        blocker: PciAddr,
        /// The driver the blocker is bound to.
        driver: String,
    },
    /// A sysfs attribute or device node refused access (EACCES/EPERM).
    #[error("{addr}: permission denied on {path} (run as root, or chown the group node to your user and raise RLIMIT_MEMLOCK)")]
    PermissionDenied {
        /// The device.
        addr: PciAddr,
        /// The file that refused access.
        path: PathBuf,
    },
    /// The VFIO group or device node is open elsewhere (EBUSY).
    #[error("{addr}: {path} is busy: IOMMU group {group} is already open in another process (another gufc, QEMU, DPDK?)")]
    GroupBusy {
        /// The device.
        addr: PciAddr,
        /// Its IOMMU group number.
        group: u32,
        /// The node that reported EBUSY.
        path: PathBuf,
    },
    /// Another gufc process holds the device's [`DeviceLock`].
    #[error("{addr}: in use by another gufc process (lock on {path} held)")]
    Locked {
        /// The device.
        addr: PciAddr,
        /// The locked file (the device's sysfs `config`).
        path: PathBuf,
    },
    /// A kernel driver other than vfio-pci/pci-stub drives the device, so mapping its BAR
    /// from user space would race it (`--force` overrides).
    #[error("{addr}: bound to {driver}, which programs the device too; `gufc unbind {addr}` or unbind it, or --force")]
    DriverBound {
        /// The device.
        addr: PciAddr,
        /// The driver bound to it.
        driver: String,
    },
    /// The driver to bind to is not loaded (its sysfs directory is missing).
    #[error("{addr}: driver {driver} not loaded ({path} missing; modprobe {driver})")]
    DriverMissing {
        /// The device.
        addr: PciAddr,
        /// The driver that is not loaded.
        driver: String,
        /// Its sysfs directory, which does not exist.
        path: PathBuf,
    },
    /// Binding left the device on another driver (or none); the previous one was restored.
    #[error("{addr}: after binding, the device is bound to {} instead of {want}; previous driver restored", bound_to(got))]
    BindFailed {
        /// The device.
        addr: PciAddr,
        /// The driver asked for.
        want: String,
        /// The driver the device ended up with, if any.
        got: Option<String>,
    },
    /// The PCI device list could not be read: sysfs missing or not mounted.
    #[error("{path}: {source} (is sysfs mounted?)")]
    Sysfs {
        /// The directory that could not be read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Any other I/O error on one of the device's files.
    #[error("{addr}: {path}: {source}")]
    Io {
        /// The device.
        addr: PciAddr,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A sysfs file of the device holds something unexpected (or a BAR is missing).
    #[error("{addr}: {path}: {why}")]
    Parse {
        /// The device.
        addr: PciAddr,
        /// The file.
        path: PathBuf,
        /// What is wrong with its contents.
        why: String,
    },
}

fn bound_to(driver: &Option<String>) -> String {
    match driver {
        Some(d) => format!("bound to {d}"),
        None => "no driver".into(),
    }
}

impl PciError {
    pub(crate) fn io(addr: &PciAddr, path: &Path, source: std::io::Error) -> Self {
        match source.kind() {
            std::io::ErrorKind::PermissionDenied => PciError::PermissionDenied {
                addr: *addr,
                path: path.to_path_buf(),
            },
            _ => PciError::Io {
                addr: *addr,
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

/// A sysfs attribute as trimmed text.
pub(crate) fn read_attr(addr: &PciAddr, path: &Path) -> Result<String, PciError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| PciError::io(addr, path, e))
}

/// A sysfs hex attribute such as `vendor` (`0x1234`).
pub(crate) fn read_hex(addr: &PciAddr, path: &Path) -> Result<u64, PciError> {
    let s = read_attr(addr, path)?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|_| PciError::Parse {
        addr: *addr,
        path: path.to_path_buf(),
        why: format!("not a hex number: {s:?}"),
    })
}

/// The last path component of a symlink's target (`driver` → `vfio-pci`, `iommu_group` → `7`).
pub(crate) fn link_name(path: &Path) -> Option<String> {
    let target = std::fs::read_link(path).ok()?;
    target.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Writes a sysfs attribute in one `write` (sysfs needs that).
pub(crate) fn write_attr(addr: &PciAddr, path: &Path, value: &str) -> Result<(), PciError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| PciError::io(addr, path, e))?;
    f.write_all(value.as_bytes())
        .map_err(|e| PciError::io(addr, path, e))
}

/// Turns on a driverless device's memory decoding through sysfs `enable`.
pub(crate) fn enable_device(addr: &PciAddr, enable: &Path) -> Result<(), PciError> {
    write_attr(addr, enable, "1")
}
