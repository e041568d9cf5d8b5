//! One PCI function's identity, driver, IOMMU group and BARs, read from sysfs.

use std::path::Path;

use gufc_regmap::device;

use super::{link_name, read_hex, PciAddr, PciError, SysfsRoot};

/// Linux `IORESOURCE_*` flags in the sysfs `resource` file.
const IORESOURCE_IO: u64 = 0x100;
const IORESOURCE_MEM: u64 = 0x200;
const IORESOURCE_PREFETCH: u64 = 0x2000;
const IORESOURCE_MEM_64: u64 = 0x10_0000;

/// One implemented BAR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// BAR number, 0..=5 (gufc's registers are BAR0).
    pub index: u8,
    /// Bus address the BAR decodes.
    pub start: u64,
    /// Size in bytes.
    pub size: u64,
    /// An I/O-port BAR rather than memory.
    pub io: bool,
    /// A 64-bit memory BAR.
    pub mem64: bool,
    /// Prefetchable memory.
    pub prefetch: bool,
}

/// A PCI function as sysfs describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PciDevice {
    /// Where it sits.
    pub addr: PciAddr,
    /// PCI vendor ID.
    pub vendor: u16,
    /// PCI device ID.
    pub device: u16,
    /// PCI class code (24 bits: class, subclass, programming interface); 0 if unreadable.
    pub class: u32,
    /// The bound driver (`vfio-pci`, `gufc`, …), if any.
    pub driver: Option<String>,
    /// The IOMMU group, if the kernel has an IOMMU for the device.
    pub iommu_group: Option<u32>,
    /// Its implemented BARs, by index.
    pub bars: Vec<Bar>,
}

impl PciDevice {
    /// Reads `addr` from sysfs; [`PciError::NoDevice`] if it does not exist.
    pub fn read(root: &SysfsRoot, addr: &PciAddr) -> Result<PciDevice, PciError> {
        let dir = root.device(addr);
        if !dir.is_dir() {
            return Err(PciError::NoDevice {
                addr: *addr,
                path: dir,
            });
        }
        let resource = dir.join("resource");
        let bars = match std::fs::read_to_string(&resource) {
            Ok(text) => parse_resource(addr, &resource, &text)?,
            Err(e) => return Err(PciError::io(addr, &resource, e)),
        };
        Ok(PciDevice {
            addr: *addr,
            vendor: read_hex(addr, &dir.join("vendor"))? as u16,
            device: read_hex(addr, &dir.join("device"))? as u16,
            class: read_hex(addr, &dir.join("class")).unwrap_or(0) as u32,
            driver: link_name(&dir.join("driver")),
            iommu_group: link_name(&dir.join("iommu_group")).and_then(|g| g.parse().ok()),
            bars,
        })
    }

    /// Does it carry gufc's vendor/device IDs (regmap.toml `[device]`)?
    pub fn is_gufc(&self) -> bool {
        u32::from(self.vendor) == device::PCI_VENDOR && u32::from(self.device) == device::PCI_DEVICE
    }

    /// [`PciError::WrongIds`] unless it is a gufc device or `force` is set.
    pub fn check_ids(&self, force: bool) -> Result<(), PciError> {
        if force || self.is_gufc() {
            return Ok(());
        }
        Err(PciError::WrongIds {
            addr: self.addr,
            vendor: self.vendor,
            device: self.device,
            want_vendor: device::PCI_VENDOR as u16,
            want_device: device::PCI_DEVICE as u16,
        })
    }

    /// BAR `index`, if the device implements it.
    pub fn bar(&self, index: u8) -> Option<&Bar> {
        self.bars.iter().find(|b| b.index == index)
    }
}

/// The first six lines of `resource` are BAR0..BAR5: `start end flags` in hex.
fn parse_resource(addr: &PciAddr, path: &Path, text: &str) -> Result<Vec<Bar>, PciError> {
    let mut bars = Vec::new();
    for (index, line) in text.lines().take(6).enumerate() {
        let bad = |why: String| PciError::Parse {
            addr: *addr,
            path: path.to_path_buf(),
            why: format!("line {}: {why}", index + 1),
        };
        let nums: Vec<u64> = line
            .split_whitespace()
            .map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16))
            .collect::<Result<_, _>>()
            .map_err(|_| bad(format!("not three hex numbers: {line:?}")))?;
        let [start, end, flags] = nums[..] else {
            return Err(bad(format!("not three hex numbers: {line:?}")));
        };
        if end == 0 || flags & (IORESOURCE_IO | IORESOURCE_MEM) == 0 {
            continue;
        }
        bars.push(Bar {
            index: index as u8,
            start,
            size: end - start + 1,
            io: flags & IORESOURCE_IO != 0,
            mem64: flags & IORESOURCE_MEM_64 != 0,
            prefetch: flags & IORESOURCE_PREFETCH != 0,
        });
    }
    Ok(bars)
}

/// Every PCI function (with `all`), or only those with gufc's IDs, sorted by address.
pub fn list_devices(root: &SysfsRoot, all: bool) -> Result<Vec<PciDevice>, PciError> {
    let dir = root.devices();
    let entries = std::fs::read_dir(&dir).map_err(|source| PciError::Sysfs {
        path: dir.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| PciError::Sysfs {
            path: dir.clone(),
            source,
        })?;
        let Ok(addr) = entry.file_name().to_string_lossy().parse::<PciAddr>() else {
            continue;
        };
        let dev = PciDevice::read(root, &addr)?;
        if all || dev.is_gufc() {
            out.push(dev);
        }
    }
    out.sort_by_key(|d| d.addr);
    Ok(out)
}

/// `1 MiB`, `4 KiB`, `256 B`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut v = n;
    while v >= 1024 && v.is_multiple_of(1024) && unit < UNITS.len() - 1 {
        v /= 1024;
        unit += 1;
    }
    format!("{v} {}", UNITS[unit])
}
