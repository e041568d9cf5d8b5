//! The `gufc list/bind/unbind/selftest` command bodies on fake sysfs trees and the model.

use std::fs;

use gufc_cli::pci::{self as cli, BindArgs, ListArgs, UnbindArgs};
use gufc_regmap::{device, reg};
use gufc_testkit::fake_sysfs::{Dev, FakeSys};

fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    f(&mut out);
    String::from_utf8(out).unwrap()
}

fn fleet() -> FakeSys {
    let f = FakeSys::new();
    f.add(Dev {
        addr: "0000:03:00.0",
        driver: Some("vfio-pci"),
        group: Some(12),
        bar0: 4096,
        ..Dev::default()
    });
    f.add(Dev {
        addr: "0000:00:1f.6",
        ids: (0x8086, 0x15bc),
        driver: Some("e1000e"),
        group: Some(9),
        bar0: 128 << 10,
        ..Dev::default()
    });
    f
}

#[test]
fn list_prints_a_table_of_gufc_devices() {
    let f = fleet();
    let out = text(|o| {
        cli::list(&f.root, &ListArgs { all: false }, false, o).unwrap();
    });
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("ADDRESS")
            && lines[0].contains("DRIVER")
            && lines[0].contains("GROUP")
    );
    assert_eq!(
        lines[1],
        "0000:03:00.0  1234:4746 vfio-pci     12     BAR0=4 KiB BAR2=1 MiB 64"
    );
    let all = text(|o| {
        cli::list(&f.root, &ListArgs { all: true }, false, o).unwrap();
    });
    assert!(
        all.contains("0000:00:1f.6  8086:15bc e1000e       9      BAR0=128 KiB"),
        "{all}"
    );
}

#[test]
fn list_json_and_the_empty_case() {
    let f = fleet();
    let out = text(|o| {
        cli::list(&f.root, &ListArgs { all: true }, true, o).unwrap();
    });
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&v["schema"], &v["command"]),
        (&"gufc/1".into(), &"list".into())
    );
    let a = v["devices"].as_array().unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[1]["address"], "0000:03:00.0");
    assert_eq!(a[1]["gufc"], true);
    assert_eq!(a[1]["iommu_group"], 12);
    assert_eq!(a[1]["bars"][0]["size"], 4096);
    assert_eq!(a[0]["driver"], "e1000e");

    let empty = FakeSys::new();
    let out = text(|o| {
        cli::list(&empty.root, &ListArgs { all: false }, false, o).unwrap();
    });
    assert!(out.starts_with("no gufc device (1234:4746) found"), "{out}");
}

#[test]
fn bind_and_unbind_report_what_they_did() {
    let f = fleet();
    let out = text(|o| {
        cli::bind(
            &f.root,
            &BindArgs {
                addr: "03:00.0".into(),
            },
            false,
            false,
            o,
        )
        .unwrap();
    });
    assert_eq!(out, "0000:03:00.0: already bound to vfio-pci\n");
    let out = text(|o| {
        cli::unbind(
            &f.root,
            &UnbindArgs {
                addr: "0000:03:00.0".into(),
            },
            true,
            o,
        )
        .unwrap();
    });
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["was_vfio"], true);
    let mut sink = Vec::new();
    let e = cli::bind(
        &f.root,
        &BindArgs {
            addr: "0000:00:1f.6".into(),
        },
        false,
        false,
        &mut sink,
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a gufc device"), "{e}");
    let e = cli::unbind(
        &f.root,
        &UnbindArgs {
            addr: "nonsense".into(),
        },
        false,
        &mut sink,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("bad PCI address \"nonsense\""),
        "{e}"
    );
}

#[test]
fn hw_bar_opens_resource0_with_sysfs_and_names_vfio_failures() {
    let f = fleet();
    let addr = "0000:03:00.0".parse().unwrap();
    let p = f.dev_file(&addr, "resource0");
    let mut bytes = fs::read(&p).unwrap();
    bytes[..4].copy_from_slice(&device::MAGIC.to_le_bytes());
    fs::write(&p, bytes).unwrap();
    let mut bar = cli::hw_bar(&f.root, "0000:03:00.0", true, false).unwrap();
    assert_eq!(bar.read32(reg::ID).unwrap(), device::MAGIC);
    drop(bar);
    // Through VFIO the fake device fails at the first real-kernel step, with its address.
    f.set_driver(&addr, Some("e1000e"));
    let e = cli::hw_bar(&f.root, "0000:03:00.0", false, false)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with("0000:03:00.0: not bound to vfio-pci (bound to e1000e)"),
        "{e}"
    );
}

#[cfg(feature = "model")]
#[test]
fn selftest_command_prints_json_and_text() {
    use gufc_cli::selftest::{report, Args};
    let cfg = gufc_hw_model::Config {
        tcam_entries: 64,
        flow_buckets: 8,
        flow_ways: 2,
        channels: 4,
        ..Default::default()
    };
    let mut bar = gufc::backend::ModelBar::new(cfg).unwrap();
    let args = Args {
        quick: false,
        samples: 256,
    };
    let mut out = Vec::new();
    let r = report(&mut bar, &args, true, &mut out).unwrap();
    assert!(r.passed());
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["passed"], true);
    assert_eq!(v["report"]["checks"].as_array().unwrap().len(), 10);
    assert_eq!(v["report"]["checks"][6]["name"], "tcam-entries");
    let mut out = Vec::new();
    report(
        &mut bar,
        &Args {
            quick: true,
            samples: 8,
        },
        false,
        &mut out,
    )
    .unwrap();
    let t = String::from_utf8(out).unwrap();
    assert!(
        t.starts_with("selftest on model (quick)\n") && t.contains("PASS: 10/10"),
        "{t}"
    );
}
