//! A fake sysfs + /dev tree in a temp dir, shaped like the kernel's, for the pci_* tests.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use gufc::pci::{PciAddr, SysfsRoot};

/// gufc's (vendor, device) IDs, as regmap.toml `[device]` gives them.
pub const GUFC: (u16, u16) = (0x1234, 0x4746);

/// A fake tree with no devices yet, only vfio-pci loaded; removed when dropped.
pub struct FakeSys {
    /// The temp dir holding `sys/`, `dev/` and `run/`.
    pub(crate) dir: tempfile::TempDir,
    /// The root to hand to the code under test.
    pub root: SysfsRoot,
}

/// One device to create.
pub struct Dev<'a> {
    /// Its PCI address, as text.
    pub addr: &'a str,
    /// (vendor, device) IDs; [`GUFC`] by default.
    pub ids: (u16, u16),
    /// The driver it is bound to (default vfio-pci).
    pub driver: Option<&'a str>,
    /// Its IOMMU group (default 5); `None` for a device without IOMMU.
    pub group: Option<u32>,
    /// BAR0 size; its `resource0` file is this long, filled with `fill`.
    pub bar0: u64,
    /// The byte BAR0 is filled with (0xff: reads all-ones, like a device that is gone).
    pub fill: u8,
}

impl Default for Dev<'_> {
    fn default() -> Self {
        Dev {
            addr: "0000:01:00.0",
            ids: GUFC,
            driver: Some("vfio-pci"),
            group: Some(5),
            bar0: 4096,
            fill: 0,
        }
    }
}

impl Default for FakeSys {
    fn default() -> Self {
        FakeSys::new()
    }
}

impl FakeSys {
    /// An empty tree: PCI bus and drivers (vfio-pci), IOMMU groups, `/dev/vfio/vfio`.
    pub fn new() -> FakeSys {
        let dir = tempfile::tempdir().unwrap();
        let root = SysfsRoot::under(dir.path());
        fs::create_dir_all(root.devices()).unwrap();
        fs::create_dir_all(root.drivers().join("vfio-pci")).unwrap();
        fs::create_dir_all(root.iommu_groups()).unwrap();
        fs::create_dir_all(root.vfio_dev()).unwrap();
        fs::write(root.vfio_dev().join("vfio"), "").unwrap();
        fs::write(root.sys.join("bus/pci/drivers_probe"), "").unwrap();
        for f in ["bind", "unbind"] {
            fs::write(root.drivers().join("vfio-pci").join(f), "").unwrap();
        }
        FakeSys { dir, root }
    }

    /// Creates the device's sysfs directory (IDs, config, resource, BAR0, driver link, group
    /// membership and `/dev/vfio/<group>`); its parsed address.
    pub fn add(&self, d: Dev) -> PciAddr {
        let addr: PciAddr = d.addr.parse().unwrap();
        let dev = self.root.device(&addr);
        fs::create_dir_all(&dev).unwrap();
        fs::write(dev.join("vendor"), format!("0x{:04x}\n", d.ids.0)).unwrap();
        fs::write(dev.join("device"), format!("0x{:04x}\n", d.ids.1)).unwrap();
        fs::write(dev.join("class"), "0x020000\n").unwrap();
        fs::write(dev.join("config"), vec![0u8; 256]).unwrap();
        fs::write(dev.join("driver_override"), "(null)\n").unwrap();
        fs::write(dev.join("enable"), "1\n").unwrap();
        let mut res = String::new();
        for i in 0..13 {
            if i == 0 && d.bar0 > 0 {
                res += &format!(
                    "0x00000000fe000000 0x{:016x} 0x0000000000040200\n",
                    0xfe00_0000 + d.bar0 - 1
                );
            } else if i == 2 {
                res += "0x00000000fd000000 0x00000000fd0fffff 0x000000000014220c\n";
            } else {
                res += "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
            }
        }
        fs::write(dev.join("resource"), res).unwrap();
        fs::write(dev.join("resource0"), vec![d.fill; d.bar0 as usize]).unwrap();
        if let Some(drv) = d.driver {
            self.set_driver(&addr, Some(drv));
        }
        if let Some(g) = d.group {
            let gdir = self.root.iommu_groups().join(g.to_string()).join("devices");
            fs::create_dir_all(&gdir).unwrap();
            symlink(&dev, gdir.join(addr.to_string())).unwrap();
            symlink(
                self.root.iommu_groups().join(g.to_string()),
                dev.join("iommu_group"),
            )
            .unwrap();
            let node = self.root.vfio_dev().join(g.to_string());
            if !node.exists() {
                fs::write(node, "").unwrap();
            }
        }
        addr
    }

    /// Points `driver` at `drivers/<name>` (creating it with bind/unbind files), or removes it.
    pub fn set_driver(&self, addr: &PciAddr, driver: Option<&str>) {
        let link = self.root.device(addr).join("driver");
        let _ = fs::remove_file(&link);
        if let Some(name) = driver {
            let d = self.root.drivers().join(name);
            fs::create_dir_all(&d).unwrap();
            for f in ["bind", "unbind"] {
                if !d.join(f).exists() {
                    fs::write(d.join(f), "").unwrap();
                }
            }
            symlink(&d, &link).unwrap();
        }
    }

    /// The text of a file, relative to the fake root (panics if it is missing).
    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }

    /// `rel` under the fake root (`sys/…`, `dev/…`, `run/…`).
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The device's sysfs file `name`, relative to the fake root.
    pub fn dev_file(&self, addr: &PciAddr, name: &str) -> PathBuf {
        self.root.device(addr).join(name)
    }
}
