//! The 2.0 decoder (`Device::view_entry`, beside the encoder in device/v2.rs): an entry written
//! and read back through TCAM_READ decodes to exactly the compiler's entry it came from; a
//! handle that did not program the checkers and classes says what it cannot know.

use gufc::backend::{SimKind, SimSpec};
use gufc::device::{Device, OpenOptions};
use gufc::rules::{compile_for, text, RuleStage};

/// One entry per rule: ports exact, prefixes or on a checker (1000-2000, 3000-3999 and
/// 5001-5002 are no single prefix), protocols on classes, flags, locality.
const RULES: &str = "drop src 203.0.113.0/24 dst 192.0.2.9/32\n\
                     channel 1 proto tcp dport 1000-2000 flags SYN/SYN,ACK\n\
                     channel 2 proto udp sport 3000-3999 dport 53\n\
                     channel 3 proto tcp src 10.0.0.0/8 dport 1024-2047 dst-local no\n\
                     slowpath reason 20 proto 47 src-local yes sport 5001-5002\n\
                     channel 4 proto icmp\n\
                     channel 5\n";

#[test]
fn entries_read_back_decode_to_the_compilers_entries() {
    let set = text::parse("v.rules", RULES).unwrap();
    let sim = SimSpec::new(SimKind::Model2, 64, 16).build().unwrap();
    let mut dev = Device::open(sim, OpenOptions::default()).unwrap();
    dev.reset().unwrap();
    let flag_bits = dev.caps().rules.unwrap().flag_bits as u8;
    let compiled = compile_for(&set, RuleStage::Rtl2 { flag_bits }).unwrap();
    dev.replace_rules(&compiled.entries).unwrap();
    let live = dev.live_rules().unwrap();
    assert_eq!(live.len(), compiled.len());
    let mut on_checkers = 0;
    for ((i, e), want) in live.iter().zip(&compiled.entries) {
        let v = dev.view_entry(e).unwrap();
        assert_eq!(v.entry, *want, "entry {i}");
        assert!(v.notes.is_empty(), "entry {i}: {:?}", v.notes);
        on_checkers += v.checkers.len();
    }
    assert_eq!(
        on_checkers, 3,
        "1000-2000, 3000-3999 and 5001-5002 on checkers"
    );
    // What the file would read back as, without writing: the same.
    let preview = dev.preview(&compiled.entries).unwrap();
    for ((k, v), (i, e)) in preview.iter().zip(&live) {
        assert_eq!(v.entry, dev.view_entry(e).unwrap().entry, "entry {i}");
        assert_eq!(*k as u32, *i);
    }
    // Another handle on the same device: it did not write the checkers and classes, and
    // cannot read them back, so it names them instead of guessing.
    let mut other = Device::open(dev.into_bar(), OpenOptions::default()).unwrap();
    let (e, _) = other.read_entry(1).unwrap();
    let v = other.view_entry(&e).unwrap();
    assert_eq!(v.entry.tcp_flags, (0x02, 0x12));
    assert_eq!(v.entry.dport, (0, u16::MAX));
    assert_eq!(v.checkers.len(), 1);
    assert_eq!((v.checkers[0].field, v.checkers[0].range), (None, None));
    assert_eq!(
        v.notes,
        [
            "protocol class 1, whose protocol this process did not program",
            "checker 0 hit, whose range this process did not program"
        ]
    );
}
