//! Every reason `VfioPci::open` refuses a device, on fake sysfs/dev trees. (The success path
//! needs a real kernel: tests/qemu-vfio/run.)
#![cfg(all(feature = "vfio", target_os = "linux"))]

use std::fs;
use std::os::unix::fs::symlink;

use gufc::backend::vfio::{VfioError, VfioPci};
use gufc::backend::VfioBar;
use gufc::pci::{DeviceLock, PciError};
use gufc_testkit::fake_sysfs::{Dev, FakeSys};

fn open_err(f: &FakeSys, addr: &gufc::pci::PciAddr, force: bool) -> VfioError {
    match VfioPci::open(&f.root, addr, force) {
        Ok(_) => panic!("fake device opened"),
        Err(e) => e,
    }
}

#[test]
fn not_bound_to_vfio_pci() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: Some("gufc_kmod"),
        ..Dev::default()
    });
    let e = open_err(&f, &nic, false).to_string();
    assert_eq!(
        e,
        "0000:01:00.0: not bound to vfio-pci (bound to gufc_kmod); run `gufc bind 0000:01:00.0`"
    );
    f.set_driver(&nic, None);
    let e = open_err(&f, &nic, false).to_string();
    assert!(e.contains("not bound to vfio-pci (no driver)"), "{e}");
}

#[test]
fn wrong_ids_unless_forced() {
    let f = FakeSys::new();
    let edu = f.add(Dev {
        ids: (0x1234, 0x11e8),
        driver: Some("nvme"),
        ..Dev::default()
    });
    let e = open_err(&f, &edu, false);
    assert!(
        matches!(
            e,
            VfioError::Pci(PciError::WrongIds {
                vendor: 0x1234,
                device: 0x11e8,
                ..
            })
        ),
        "{e}"
    );
    // --force gets past the ID check to the next problem.
    let e = open_err(&f, &edu, true);
    assert!(
        matches!(e, VfioError::Pci(PciError::NotBoundToVfio { .. })),
        "{e}"
    );
}

#[test]
fn no_iommu() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        group: None,
        ..Dev::default()
    });
    let e = open_err(&f, &nic, false).to_string();
    assert_eq!(
        e,
        "0000:01:00.0: no IOMMU (no iommu_group for the device, no /dev/vfio/vfio groups; intel_iommu=on / amd_iommu=on on the kernel command line?)"
    );
    // A group but no /dev/vfio/vfio node is reported the same way.
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    fs::remove_file(f.root.vfio_dev().join("vfio")).unwrap();
    assert!(matches!(
        open_err(&f, &nic, false),
        VfioError::Pci(PciError::NoIommu { .. })
    ));
}

#[test]
fn group_not_viable_names_the_blocker() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    f.add(Dev {
        addr: "0000:01:00.1",
        ids: (0x10de, 0x1aef),
        driver: Some("snd_hda_intel"),
        ..Dev::default()
    });
    let e = open_err(&f, &nic, false).to_string();
    assert!(
        e.starts_with(
            "0000:01:00.0: IOMMU group 5 not viable: 0000:01:00.1 bound to snd_hda_intel"
        ),
        "{e}"
    );
}

#[test]
fn permission_denied_on_the_group_node() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    let node = f.root.vfio_dev().join("5");
    fs::remove_file(&node).unwrap();
    // A read-only sysfs attribute refuses O_RDWR with EACCES even for root (kernfs has no
    // write method for it), so this is a real EACCES from the kernel, as /dev/vfio/N gives.
    symlink("/sys/kernel/uevent_seqnum", &node).unwrap();
    let e = open_err(&f, &nic, false).to_string();
    assert!(
        e.starts_with(&format!(
            "0000:01:00.0: permission denied on {}",
            node.display()
        )) && e.contains("run as root"),
        "{e}"
    );
}

#[test]
fn locked_by_another_gufc() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    let _held = DeviceLock::acquire(&f.root, &nic).unwrap();
    let e = open_err(&f, &nic, false);
    assert!(matches!(e, VfioError::Pci(PciError::Locked { .. })), "{e}");
    let e = match VfioBar::open(&f.root, &nic, false) {
        Ok(_) => panic!("opened"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("in use by another gufc process"), "{e}");
}

#[test]
fn missing_device() {
    let f = FakeSys::new();
    let e = open_err(&f, &"0000:05:00.0".parse().unwrap(), false).to_string();
    assert!(e.starts_with("0000:05:00.0: no such PCI device"), "{e}");
}
