//! The resource0 backend on fake sysfs trees: mapping, bounds, all-ones detection, refusals.

use std::fs;

use gufc::backend::{Bar, SysfsBar};
use gufc::pci::PciAddr;
use gufc_regmap::{device, reg};
use gufc_testkit::fake_sysfs::{Dev, FakeSys};

fn bar(f: &FakeSys, addr: &PciAddr) -> SysfsBar {
    SysfsBar::open(&f.root, addr, false).unwrap_or_else(|e| panic!("{e}"))
}

fn put(f: &FakeSys, addr: &PciAddr, off: usize, val: u32) {
    let p = f.dev_file(addr, "resource0");
    let mut b = fs::read(&p).unwrap();
    b[off..off + 4].copy_from_slice(&val.to_le_bytes());
    fs::write(&p, b).unwrap();
}

#[test]
fn maps_resource0_and_accesses_it() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: None,
        ..Dev::default()
    });
    put(&f, &nic, 0, device::MAGIC);
    let mut b = bar(&f, &nic);
    assert_eq!(b.len(), 4096);
    assert_eq!(b.read32(reg::ID).unwrap(), device::MAGIC);
    b.write32(reg::SCRATCH, 0xdead_beef).unwrap();
    assert_eq!(b.read32(reg::SCRATCH).unwrap(), 0xdead_beef);
    let file = fs::read(f.dev_file(&nic, "resource0")).unwrap();
    assert_eq!(
        &file[reg::SCRATCH as usize..][..4],
        &0xdead_beef_u32.to_le_bytes(),
        "write went to the file"
    );
    assert!(b.name().contains("0000:01:00.0") && b.name().contains("no DMA isolation"));
}

#[test]
fn all_ones_bar_is_reported_with_the_offset() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: None,
        fill: 0xff,
        ..Dev::default()
    });
    let mut b = bar(&f, &nic);
    let e = b.read32(reg::STATUS).unwrap_err().to_string();
    assert!(
        e.contains("BAR0+0x024") && e.contains("0xffffffff") && e.contains("device removed"),
        "{e}"
    );
    let e = b.read32(reg::ID).unwrap_err().to_string();
    assert!(e.contains("BAR0+0x000"), "{e}");
}

#[test]
fn all_ones_data_with_a_live_id_is_data() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: None,
        ..Dev::default()
    });
    put(&f, &nic, 0, device::MAGIC);
    put(&f, &nic, reg::MASK as usize, u32::MAX);
    assert_eq!(bar(&f, &nic).read32(reg::MASK).unwrap(), u32::MAX);
}

#[test]
fn out_of_range_and_unaligned_accesses_are_errors() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: None,
        ..Dev::default()
    });
    let mut b = bar(&f, &nic);
    let e = b.read32(0x1000).unwrap_err().to_string();
    assert!(
        e.contains("BAR0+0x1000") && e.contains("beyond the 0x1000-byte BAR"),
        "{e}"
    );
    let e = b.write32(0x102, 1).unwrap_err().to_string();
    assert!(
        e.contains("write at BAR0+0x102") && e.contains("aligned"),
        "{e}"
    );
}

#[test]
fn refuses_devices_a_kernel_driver_owns_and_foreign_ids() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: Some("gufc_kmod"),
        ..Dev::default()
    });
    let e = SysfsBar::open(&f.root, &nic, false)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("bound to gufc_kmod") && e.contains("--force"),
        "{e}"
    );
    SysfsBar::open(&f.root, &nic, true).expect("--force maps it anyway");

    let other = f.add(Dev {
        addr: "0000:02:00.0",
        ids: (0x8086, 0x10fb),
        driver: None,
        ..Dev::default()
    });
    let e = SysfsBar::open(&f.root, &other, false)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("0000:02:00.0: is 8086:10fb, not a gufc device"),
        "{e}"
    );
}

#[test]
fn enables_a_disabled_device_and_rejects_an_empty_bar() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: None,
        ..Dev::default()
    });
    fs::write(f.dev_file(&nic, "enable"), "0\n").unwrap();
    drop(bar(&f, &nic));
    assert_eq!(fs::read_to_string(f.dev_file(&nic, "enable")).unwrap(), "1");

    let empty = f.add(Dev {
        addr: "0000:02:00.0",
        driver: None,
        bar0: 0,
        ..Dev::default()
    });
    let e = SysfsBar::open(&f.root, &empty, false)
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("BAR0 is not implemented"), "{e}");
}

#[test]
fn a_second_opener_is_locked_out() {
    let f = FakeSys::new();
    let nic = f.add(Dev {
        driver: None,
        ..Dev::default()
    });
    let _first = bar(&f, &nic);
    let e = SysfsBar::open(&f.root, &nic, false)
        .err()
        .expect("locked")
        .to_string();
    assert!(e.contains("in use by another gufc process"), "{e}");
}
