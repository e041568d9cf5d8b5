//! IOMMU groups: VFIO hands out a device only if every device in its group is safe to isolate.

use super::{link_name, PciAddr, PciError, SysfsRoot, VFIO_PCI};

/// Drivers the kernel accepts in a group used through VFIO: vfio-pci itself, pci-stub, and
/// pcieport (bridges do no DMA of their own; the kernel marks these "driver managed DMA").
const VIABLE_DRIVERS: [&str; 3] = [VFIO_PCI, "pci-stub", "pcieport"];

/// One device of an IOMMU group and its driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    /// The member device.
    pub addr: PciAddr,
    /// The driver bound to it, if any.
    pub driver: Option<String>,
}

impl GroupMember {
    /// Does it allow the group to be used through VFIO: no driver, or one that does no DMA of
    /// its own outside VFIO (vfio-pci, pci-stub, pcieport)?
    pub fn viable(&self) -> bool {
        self.driver
            .as_deref()
            .is_none_or(|d| VIABLE_DRIVERS.contains(&d))
    }
}

/// The device's IOMMU group number; [`PciError::NoIommu`] if the kernel gave it none.
pub fn iommu_group(root: &SysfsRoot, addr: &PciAddr) -> Result<u32, PciError> {
    let dir = root.device(addr);
    if !dir.is_dir() {
        return Err(PciError::NoDevice {
            addr: *addr,
            path: dir,
        });
    }
    let link = dir.join("iommu_group");
    let name = link_name(&link).ok_or(PciError::NoIommu { addr: *addr })?;
    name.parse().map_err(|_| PciError::Parse {
        addr: *addr,
        path: link,
        why: format!("group link ends in {name:?}, not a number"),
    })
}

/// The group's members, or [`PciError::GroupNotViable`] naming the first device bound to a
/// driver that could DMA outside VFIO's control.
pub fn check_group_viable(
    root: &SysfsRoot,
    addr: &PciAddr,
) -> Result<(u32, Vec<GroupMember>), PciError> {
    let group = iommu_group(root, addr)?;
    let dir = root.iommu_groups().join(group.to_string()).join("devices");
    let entries = std::fs::read_dir(&dir).map_err(|e| PciError::io(addr, &dir, e))?;
    let mut members = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| PciError::io(addr, &dir, e))?;
        let Ok(member) = entry.file_name().to_string_lossy().parse::<PciAddr>() else {
            continue;
        };
        let driver = link_name(&root.device(&member).join("driver"));
        members.push(GroupMember {
            addr: member,
            driver,
        });
    }
    members.sort_by_key(|m| m.addr);
    if let Some(bad) = members.iter().find(|m| !m.viable()) {
        return Err(PciError::GroupNotViable {
            addr: *addr,
            group,
            blocker: bad.addr,
            driver: bad.driver.clone().unwrap_or_default(),
        });
    }
    Ok((group, members))
}
