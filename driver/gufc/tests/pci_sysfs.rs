//! sysfs discovery, binding and locking on fake sysfs trees.

use std::fs;

use gufc::pci::{self, DeviceLock, PciAddr, PciError};
use gufc_testkit::fake_sysfs::{Dev, FakeSys, GUFC};

fn three_devices(f: &FakeSys) -> (PciAddr, PciAddr, PciAddr) {
    let nic = f.add(Dev {
        addr: "0000:03:00.0",
        driver: None,
        group: Some(7),
        bar0: 4096,
        ..Dev::default()
    });
    let nvme = f.add(Dev {
        addr: "0000:01:00.0",
        ids: (0x144d, 0xa808),
        driver: Some("nvme"),
        group: Some(3),
        bar0: 16384,
        ..Dev::default()
    });
    let edu = f.add(Dev {
        addr: "0000:00:02.0",
        ids: (0x1234, 0x11e8),
        driver: None,
        group: None,
        bar0: 1 << 20,
        ..Dev::default()
    });
    (nic, nvme, edu)
}

#[test]
fn list_finds_gufc_devices_only_unless_all() {
    let f = FakeSys::new();
    let (nic, _, _) = three_devices(&f);
    let only = pci::list_devices(&f.root, false).unwrap();
    assert_eq!(only.len(), 1);
    let d = &only[0];
    assert_eq!((d.addr, d.vendor, d.device), (nic, GUFC.0, GUFC.1));
    assert_eq!((d.driver.as_deref(), d.iommu_group), (None, Some(7)));
    assert_eq!(d.bars.len(), 2);
    assert_eq!(
        (d.bars[0].index, d.bars[0].size, d.bars[0].mem64),
        (0, 4096, false)
    );
    assert_eq!(
        (
            d.bars[1].index,
            d.bars[1].size,
            d.bars[1].mem64,
            d.bars[1].prefetch
        ),
        (2, 1 << 20, true, true)
    );

    let all = pci::list_devices(&f.root, true).unwrap();
    let addrs: Vec<String> = all.iter().map(|d| d.addr.to_string()).collect();
    assert_eq!(
        addrs,
        ["0000:00:02.0", "0000:01:00.0", "0000:03:00.0"],
        "sorted by address"
    );
    assert_eq!(all[1].driver.as_deref(), Some("nvme"));
    assert_eq!(all[0].iommu_group, None);
}

#[test]
fn list_reports_a_missing_sysfs() {
    let dir = tempfile::tempdir().unwrap();
    let root = pci::SysfsRoot::under(dir.path());
    let e = pci::list_devices(&root, true).unwrap_err().to_string();
    assert!(
        e.contains("bus/pci/devices") && e.contains("sysfs mounted"),
        "{e}"
    );
}

#[test]
fn list_names_the_file_with_a_bad_resource_line() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    fs::write(f.dev_file(&nic, "resource"), "0x0 0xzz 0x200\n").unwrap();
    let e = pci::list_devices(&f.root, false).unwrap_err().to_string();
    assert!(
        e.contains("0000:01:00.0") && e.contains("resource") && e.contains("line 1"),
        "{e}"
    );
}

#[test]
fn bind_writes_override_unbinds_old_driver_and_rolls_back_when_not_claimed() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: Some("gufc_kmod"),
        ..Dev::default()
    });
    // The fake kernel never claims the device, so bind must fail and undo everything.
    let e = pci::bind_vfio(&f.root, &nic, false).unwrap_err();
    assert!(matches!(e, PciError::BindFailed { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("0000:01:00.0") && msg.contains("bound to gufc_kmod instead of vfio-pci"),
        "{msg}"
    );
    assert_eq!(
        f.read("sys/bus/pci/drivers/gufc_kmod/unbind"),
        "0000:01:00.0",
        "old driver unbound"
    );
    assert_eq!(
        f.read("sys/bus/pci/drivers_probe"),
        "0000:01:00.0",
        "probe requested"
    );
    assert_eq!(
        f.read("sys/bus/pci/drivers/gufc_kmod/bind"),
        "0000:01:00.0",
        "old driver rebound"
    );
    assert_eq!(
        fs::read_to_string(f.dev_file(&nic, "driver_override")).unwrap(),
        "\n",
        "override cleared"
    );
    assert!(
        !f.path("run/gufc/0000:01:00.0.previous-driver").exists(),
        "nothing remembered"
    );
}

#[test]
fn bind_refuses_foreign_ids_without_force() {
    let f = FakeSys::new();
    let (_, nvme, _) = three_devices(&f);
    let e = pci::bind_vfio(&f.root, &nvme, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("0000:01:00.0: is 144d:a808, not a gufc device (1234:4746)")
            && e.contains("--force"),
        "{e}"
    );
    assert_eq!(
        f.read("sys/bus/pci/drivers/nvme/unbind"),
        "",
        "nothing touched"
    );
    // With force it goes ahead (and the fake kernel's refusal is then reported).
    let e = pci::bind_vfio(&f.root, &nvme, true).unwrap_err();
    assert!(matches!(e, PciError::BindFailed { .. }), "{e}");
}

#[test]
fn bind_is_a_no_op_when_already_bound() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    let out = pci::bind_vfio(&f.root, &nic, false).unwrap();
    assert!(out.already && out.previous.is_none());
    assert_eq!(f.read("sys/bus/pci/drivers_probe"), "");
}

#[test]
fn bind_needs_the_vfio_pci_module() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: None,
        ..Dev::default()
    });
    fs::remove_dir_all(f.root.drivers().join("vfio-pci")).unwrap();
    let e = pci::bind_vfio(&f.root, &nic, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("driver vfio-pci not loaded") && e.contains("modprobe vfio-pci"),
        "{e}"
    );
}

#[test]
fn unbind_restores_the_remembered_driver() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    fs::create_dir_all(f.path("run/gufc")).unwrap();
    fs::write(
        f.path("run/gufc/0000:01:00.0.previous-driver"),
        "gufc_kmod\n",
    )
    .unwrap();
    f.set_driver(&nic, Some("vfio-pci"));
    fs::create_dir_all(f.root.drivers().join("gufc_kmod")).unwrap();
    fs::write(f.root.drivers().join("gufc_kmod/bind"), "").unwrap();
    let out = pci::unbind(&f.root, &nic).unwrap();
    assert!(!out.was_not_vfio);
    assert_eq!(
        f.read("sys/bus/pci/drivers/vfio-pci/unbind"),
        "0000:01:00.0"
    );
    assert_eq!(
        fs::read_to_string(f.dev_file(&nic, "driver_override")).unwrap(),
        "\n"
    );
    assert_eq!(f.read("sys/bus/pci/drivers/gufc_kmod/bind"), "0000:01:00.0");
    assert_eq!(
        f.read("sys/bus/pci/drivers_probe"),
        "",
        "explicit rebind, no probe"
    );
    assert!(!f.path("run/gufc/0000:01:00.0.previous-driver").exists());
}

#[test]
fn unbind_without_memory_lets_the_kernel_probe() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    pci::unbind(&f.root, &nic).unwrap();
    assert_eq!(f.read("sys/bus/pci/drivers_probe"), "0000:01:00.0");
}

#[test]
fn unbind_of_a_device_not_on_vfio_changes_nothing() {
    let f = FakeSys::new();
    let (nic, _, _) = three_devices(&f);
    let out = pci::unbind(&f.root, &nic).unwrap();
    assert!(out.was_not_vfio && out.now.is_none());
    assert_eq!(f.read("sys/bus/pci/drivers/vfio-pci/unbind"), "");
}

#[test]
fn missing_devices_and_bad_addresses_are_named() {
    let f = FakeSys::new();
    let e = pci::bind_vfio(&f.root, &"0000:42:00.0".parse().unwrap(), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("0000:42:00.0: no such PCI device"), "{e}");
    let e = "0000:42:00".parse::<PciAddr>().unwrap_err().to_string();
    assert!(e.contains("bad PCI address \"0000:42:00\""), "{e}");
}

#[test]
fn one_process_per_device() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    let held = DeviceLock::acquire(&f.root, &nic).unwrap();
    let e = DeviceLock::acquire(&f.root, &nic).unwrap_err().to_string();
    assert!(
        e.contains("0000:01:00.0: in use by another gufc process") && e.contains("config"),
        "{e}"
    );
    let e = pci::unbind(&f.root, &nic).unwrap_err();
    assert!(
        matches!(e, PciError::Locked { .. }),
        "unbind under a running gufc: {e}"
    );
    drop(held);
    DeviceLock::acquire(&f.root, &nic).expect("free again after the holder dropped it");
}

#[test]
fn group_viability_names_the_blocking_device() {
    let f = FakeSys::new();
    let nic = f.add(Dev::default());
    f.add(Dev {
        addr: "0000:00:1c.0",
        ids: (0x8086, 0xa110),
        driver: Some("pcieport"),
        ..Dev::default()
    });
    f.add(Dev {
        addr: "0000:01:00.1",
        ids: (0x8086, 0x1234),
        driver: None,
        ..Dev::default()
    });
    let (group, members) = pci::check_group_viable(&f.root, &nic).unwrap();
    assert_eq!(
        (group, members.len()),
        (5, 3),
        "bridge on pcieport and a driverless function are fine"
    );
    f.add(Dev {
        addr: "0000:01:00.2",
        ids: (0x8086, 0x1533),
        driver: Some("igb"),
        ..Dev::default()
    });
    let e = pci::check_group_viable(&f.root, &nic)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "0000:01:00.0: IOMMU group 5 not viable: 0000:01:00.2 bound to igb (bind it to vfio-pci or unbind it; every device in a group must be)"
    );
}

#[test]
fn no_iommu_group_means_no_iommu() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        group: None,
        ..Dev::default()
    });
    let e = pci::check_group_viable(&f.root, &nic)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("0000:01:00.0: no IOMMU") && e.contains("intel_iommu=on"),
        "{e}"
    );
}
