//! Which kernel interface a device is opened through: the legacy container/group (type-1
//! IOMMU) that every VFIO kernel has, or iommufd with the per-device cdev (Linux ≥ 6.2 built
//! with CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV). Both give the same device fd; only how
//! it is obtained and how DMA is mapped differ.

use std::fmt;
use std::str::FromStr;

use super::iommufd::{cdev_name, iommu_node};
use super::VfioError;
use crate::pci::{PciAddr, SysfsRoot};

/// Environment variable that forces a path: `container`, `iommufd` or `auto` (the default).
pub const PATH_ENV: &str = "GUFC_VFIO_PATH";

/// The interface a [`super::VfioPci`] was opened through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VfioPath {
    /// `/dev/vfio/vfio` + `/dev/vfio/<group>`, DMA through VFIO_IOMMU_MAP_DMA.
    Container,
    /// `/dev/iommu` + `/dev/vfio/devices/vfioN`, DMA through IOMMU_IOAS_MAP.
    Iommufd,
}

impl fmt::Display for VfioPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VfioPath::Container => "container",
            VfioPath::Iommufd => "iommufd",
        })
    }
}

/// What the caller asks for: a specific path, or the best one the kernel offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PathChoice {
    /// iommufd when `/dev/iommu` and the device's cdev exist, else the container.
    #[default]
    Auto,
    /// Exactly this path, with no fallback to the other: opening fails if the kernel lacks it.
    Force(VfioPath),
}

impl FromStr for PathChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "" | "auto" => Ok(PathChoice::Auto),
            "container" | "group" => Ok(PathChoice::Force(VfioPath::Container)),
            "iommufd" | "cdev" => Ok(PathChoice::Force(VfioPath::Iommufd)),
            _ => Err(format!(
                "{PATH_ENV}={s:?}: expected auto, container (or group) or iommufd (or cdev)"
            )),
        }
    }
}

impl PathChoice {
    /// From [`PATH_ENV`]; unset means [`PathChoice::Auto`].
    pub fn from_env(addr: &PciAddr) -> Result<PathChoice, VfioError> {
        match std::env::var(PATH_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(PathChoice::Auto),
            Err(e) => Err(VfioError::Unsupported {
                addr: *addr,
                what: format!("{PATH_ENV}: {e}"),
            }),
            Ok(v) => v
                .parse()
                .map_err(|what| VfioError::Unsupported { addr: *addr, what }),
        }
    }

    /// The path to take for `addr`; a forced iommufd path the kernel lacks is an error that
    /// says which node is missing.
    pub(super) fn resolve(self, root: &SysfsRoot, addr: &PciAddr) -> Result<VfioPath, VfioError> {
        let iommu = iommu_node(root);
        let have_iommufd = iommu.exists();
        let cdev = cdev_name(root, addr);
        match self {
            PathChoice::Force(VfioPath::Container) => Ok(VfioPath::Container),
            PathChoice::Auto if have_iommufd && cdev.is_some() => Ok(VfioPath::Iommufd),
            PathChoice::Auto => Ok(VfioPath::Container),
            PathChoice::Force(VfioPath::Iommufd) if !have_iommufd => {
                Err(VfioError::Unsupported {
                    addr: *addr,
                    what: format!(
                        "iommufd path requested but {} is missing (kernel without CONFIG_IOMMUFD, or iommufd not loaded)",
                        iommu.display()
                    ),
                })
            }
            PathChoice::Force(VfioPath::Iommufd) if cdev.is_none() => {
                Err(VfioError::Unsupported {
                    addr: *addr,
                    what: format!(
                        "iommufd path requested but {} has no vfioN cdev (kernel without CONFIG_VFIO_DEVICE_CDEV?)",
                        root.device(addr).join("vfio-dev").display()
                    ),
                })
            }
            PathChoice::Force(VfioPath::Iommufd) => Ok(VfioPath::Iommufd),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, SysfsRoot, PciAddr) {
        let dir = tempfile::tempdir().unwrap();
        let root = SysfsRoot::under(dir.path());
        let addr: PciAddr = "0000:00:01.0".parse().unwrap();
        std::fs::create_dir_all(root.device(&addr)).unwrap();
        std::fs::create_dir_all(&root.dev).unwrap();
        (dir, root, addr)
    }

    fn add_iommufd(root: &SysfsRoot, addr: &PciAddr, node: bool, cdev: bool) {
        if node {
            std::fs::write(root.dev.join("iommu"), "").unwrap();
        }
        if cdev {
            std::fs::create_dir_all(root.device(addr).join("vfio-dev/vfio3")).unwrap();
        }
    }

    #[test]
    fn auto_takes_iommufd_only_with_node_and_cdev() {
        for (node, cdev, want) in [
            (false, false, VfioPath::Container),
            (true, false, VfioPath::Container),
            (false, true, VfioPath::Container),
            (true, true, VfioPath::Iommufd),
        ] {
            let (_d, root, addr) = tree();
            add_iommufd(&root, &addr, node, cdev);
            assert_eq!(PathChoice::Auto.resolve(&root, &addr).unwrap(), want);
            let forced = PathChoice::Force(VfioPath::Container);
            assert_eq!(forced.resolve(&root, &addr).unwrap(), VfioPath::Container);
        }
    }

    #[test]
    fn forced_iommufd_names_what_is_missing() {
        let (_d, root, addr) = tree();
        let iommufd = PathChoice::Force(VfioPath::Iommufd);
        let e = iommufd.resolve(&root, &addr).unwrap_err().to_string();
        assert!(
            e.starts_with("0000:00:01.0: iommufd path requested but ")
                && e.contains(&root.dev.join("iommu").display().to_string())
                && e.contains("CONFIG_IOMMUFD"),
            "{e}"
        );
        add_iommufd(&root, &addr, true, false);
        let e = iommufd.resolve(&root, &addr).unwrap_err().to_string();
        assert!(
            e.contains("vfio-dev has no vfioN cdev") && e.contains("CONFIG_VFIO_DEVICE_CDEV"),
            "{e}"
        );
        add_iommufd(&root, &addr, true, true);
        assert_eq!(iommufd.resolve(&root, &addr).unwrap(), VfioPath::Iommufd);
        assert_eq!(
            super::super::iommufd::cdev_name(&root, &addr).as_deref(),
            Some("vfio3")
        );
    }

    #[test]
    fn parses_choices() {
        assert_eq!("auto".parse(), Ok(PathChoice::Auto));
        assert_eq!("".parse(), Ok(PathChoice::Auto));
        for (s, p) in [
            ("container", VfioPath::Container),
            ("group", VfioPath::Container),
            ("iommufd", VfioPath::Iommufd),
            ("cdev", VfioPath::Iommufd),
        ] {
            assert_eq!(s.parse(), Ok(PathChoice::Force(p)));
            assert_eq!(p.to_string().parse(), Ok(PathChoice::Force(p)));
        }
        let e = "type1".parse::<PathChoice>().unwrap_err();
        assert!(
            e.starts_with("GUFC_VFIO_PATH=\"type1\": expected auto"),
            "{e}"
        );
    }
}
