mod common;
use common::*;
use gufc_regmap::{device, reg};
use gufc_sim::Rtl;

#[test]
fn reads_id() {
    for c in Rtl::available() {
        let mut r = Rtl::new(c).unwrap();
        assert_eq!(read(&mut r, reg::ID), device::MAGIC);
        assert_eq!(read(&mut r, reg::CAP_TCAM), c.tcam_entries);
        assert_eq!(r.cycle(), 2);
    }
}
