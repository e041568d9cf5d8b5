//! The locality table by prefix on the model: what `gufc local add|del|show` stands on.

use gufc::backend::{SimKind, SimSpec};
use gufc::device::{Device, DeviceError, OpenOptions};
use gufc_regmap::Key;

fn probe_locality(
    dev: &mut Device<Box<dyn gufc::backend::Sim>>,
    src: u32,
    dst: u32,
) -> (bool, bool) {
    let r = dev.probe(&Key::v4(src, dst, 6, 1, 2), 64).unwrap();
    (r.src_local, r.dst_local)
}

#[test]
fn prefixes_are_added_listed_and_removed_and_the_pipeline_follows() {
    let sim = SimSpec::new(SimKind::Model, 64, 64).build().unwrap();
    let mut dev = Device::open(sim, OpenOptions::default()).unwrap();
    assert!(
        matches!(dev.locals(), Err(DeviceError::LocalityUnknown { .. })),
        "before a reset the table is unknown"
    );
    dev.reset().unwrap();
    let net = "192.0.2.0".parse().unwrap();
    let a = dev.local_add(net, 24).unwrap();
    let b = dev.local_add("2001:db8::".parse().unwrap(), 32).unwrap();
    assert_ne!(a, b);
    assert_eq!(
        dev.local_add(net, 24).unwrap(),
        a,
        "adding twice reuses the entry"
    );
    let shown: Vec<String> = dev
        .locals()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(shown, ["192.0.2.0/24", "2001:db8::/32"]);
    assert_eq!(
        probe_locality(&mut dev, 0xc000_0207, 0x0a00_0001),
        (true, false)
    );
    assert_eq!(dev.local_del(net, 24).unwrap(), a);
    assert_eq!(
        probe_locality(&mut dev, 0xc000_0207, 0x0a00_0001),
        (false, false)
    );
    assert!(matches!(
        dev.local_del(net, 24),
        Err(DeviceError::NoSuchLocal { .. })
    ));
    // Fill the table: the next add is refused, naming the capacity.
    let cap = dev.caps().local_entries;
    for i in 0..cap - 1 {
        dev.local_add(std::net::Ipv4Addr::from(0x0a00_0000 + (i << 8)).into(), 24)
            .unwrap();
    }
    match dev.local_add("10.255.0.0".parse().unwrap(), 16) {
        Err(DeviceError::LocalityFull { capacity, .. }) => assert_eq!(capacity, cap),
        other => panic!("{other:?}"),
    }
}

#[test]
fn replacing_the_table_makes_an_unknown_table_known_and_clears_the_rest() {
    let sim = SimSpec::new(SimKind::Model, 64, 64).build().unwrap();
    let mut dev = Device::open(sim, OpenOptions::default()).unwrap();
    dev.reset().unwrap();
    dev.set_local(5, "10.0.0.0".parse().unwrap(), 8, true)
        .unwrap();
    // A second handle on the same device does not know the table.
    let mut dev = Device::open(dev.into_bar(), OpenOptions::default()).unwrap();
    assert!(dev.locals().is_err());
    dev.local_replace(&[("192.0.2.0".parse().unwrap(), 24)])
        .unwrap();
    let shown: Vec<String> = dev
        .locals()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(shown, ["192.0.2.0/24"]);
    assert_eq!(
        probe_locality(&mut dev, 0x0a00_0001, 0xc000_0201),
        (false, true),
        "entry 5 (10.0.0.0/8) was cleared, 192.0.2.0/24 set"
    );
}
