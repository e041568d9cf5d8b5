//! The NIC's frame parser (its model, `gufc_hw_model::v2::parser::parse`, which the RTL equals
//! edge for edge: tests/parser.rs) against the host's frame decoder
//! (`gufc_flowlife::capture::decode`, what `gufc replay` and `trace --pcap` use today): the
//! same key, TCP flags and VLAN on every frame of the test captures and of the corpus, and on
//! seeded random frames wherever both make a key; where only one does, the difference must be
//! one docs/parser.md lists.

use std::collections::BTreeMap;
use std::path::Path;

use gufc_flowlife::capture::{decode, CaptureReader, Decoded, LinkType};
use gufc_hw_model::v2::parser::{parse, ParserConfig, Record};
use gufc_regmap::ParseReason;
use gufc_sim::frames::{corpus, random};
use gufc_sim::stimulus::Rng;

/// What the host made of a frame, in the parser's terms.
fn host(bytes: &[u8]) -> Decoded {
    decode(LinkType::Ethernet, bytes, bytes.len() as u32)
}

/// Whether an IPv6 packet at `l3` has a hop-by-hop header after its first extension header
/// (RFC 8200 allows it only first; etherparse refuses it, the NIC walks it).
fn late_hop_by_hop(bytes: &[u8], l3: usize) -> bool {
    let (mut nh, mut x) = (bytes.get(l3 + 6).copied(), l3 + 40);
    let mut first = true;
    while let Some(t @ (0 | 43 | 44 | 51 | 60)) = nh {
        if t == 0 && !first {
            return true;
        }
        let len = match (t, bytes.get(x + 1)) {
            (44, _) => 8,
            (51, Some(&u)) => (u as usize + 2) * 4,
            (_, Some(&u)) => (u as usize + 1) * 8,
            (_, None) => return false,
        };
        (nh, x, first) = (bytes.get(x).copied(), x + len, false);
    }
    false
}

/// Compares one frame: `None` if the parser and the host agree (the same key, flags and VLAN,
/// or both refuse it), else the kind of difference, and whether docs/parser.md lists it.
fn compare(bytes: &[u8], r: &Record) -> Option<(String, bool)> {
    let h = host(bytes);
    let later = r.frag & 2 != 0;
    let l3 = 14 + 4 * r.tags as usize;
    let jumbo = r.tags < 3
        && bytes.get(l3 - 2..l3) == Some(&[0x86, 0xdd])
        && bytes.get(l3 + 4..l3 + 6) == Some(&[0, 0]);
    let (what, documented) = match (r.reason, h) {
        (ParseReason::None, Decoded::Ip(f)) => {
            let vlan = (r.tags > 0).then_some(r.vlan & 0xfff);
            if (r.key, r.flags, vlan) == (f.key, f.tcp_flags, f.vlan) {
                return None;
            }
            ("both keys, different".to_string(), false)
        }
        // Both refuse the frame (the kinds of refusal may differ).
        (ParseReason::None, _) | (_, Decoded::Ip(_)) => {
            let host = if matches!(h, Decoded::Ip(_)) {
                "a key"
            } else {
                "refused"
            };
            let cause = match r.reason {
                // etherparse walks on into a later fragment's data and may refuse it.
                ParseReason::None => later || late_hop_by_hop(bytes, l3),
                ParseReason::VlanDepth | ParseReason::LongChain => true,
                // The host takes lengths beyond the frame (snapped captures) and the version
                // from the header, not the EtherType.
                ParseReason::BadLength | ParseReason::BadVersion => true,
                ParseReason::Truncated => jumbo,
                _ => false,
            };
            (
                format!(
                    "{}, host {host}{}",
                    r.reason.name(),
                    if later { " (later fragment)" } else { "" }
                ),
                cause,
            )
        }
        _ => return None,
    };
    Some((what, documented))
}

#[test]
fn the_test_captures_parse_as_the_host_decodes_them() {
    let cfg = ParserConfig::default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/pcap");
    let mut whole = 0;
    let mut snapped = 0;
    for name in ["mixed.pcap", "mixed.pcapng", "scan.pcap"] {
        let mut rd = CaptureReader::open(&dir.join(name)).unwrap();
        while let Some(rec) = rd.next_record().unwrap() {
            assert_eq!(rec.link, LinkType::Ethernet, "{name}");
            if rec.data.len() < rec.orig_len as usize {
                // The NIC sees whole frames only (docs/parser.md).
                snapped += 1;
                continue;
            }
            whole += 1;
            let r = parse(&rec.data, false, &cfg);
            assert_eq!(
                compare(&rec.data, &r),
                None,
                "{name}: {r:?} {:02x?}",
                rec.data
            );
        }
    }
    println!("{whole} whole frames agree; {snapped} snapped records left out");
    assert!(whole > 700, "{whole}");
}

#[test]
fn corpus_and_random_frames_parse_as_the_host_decodes_them_or_differ_as_documented() {
    let cfg = ParserConfig::default();
    for (name, f, _) in corpus() {
        if f.error {
            continue;
        }
        let r = parse(&f.bytes, false, &cfg);
        if let Some((d, documented)) = compare(&f.bytes, &r) {
            println!("corpus {name}: {d}");
            assert!(documented, "corpus {name}: {d}: {r:?}");
        }
    }
    let mut rng = Rng::new(7);
    let mut differ: BTreeMap<(String, bool), usize> = BTreeMap::new();
    let mut same = 0;
    for _ in 0..200_000 {
        let f = random(&mut rng);
        let r = parse(&f.bytes, false, &cfg);
        match compare(&f.bytes, &r) {
            None => same += 1,
            Some(d) => {
                let n = differ.entry(d.clone()).or_default();
                *n += 1;
                if *n <= 2 && std::env::var("SHOW").is_ok_and(|v| d.0.starts_with(&v)) {
                    println!("{}: {r:?}\n  {:02x?}\n  {:?}", d.0, f.bytes, host(&f.bytes));
                }
            }
        }
    }
    println!("random: {same} agree; differ:");
    for ((d, documented), n) in &differ {
        println!(
            "  {n:>6}  {d}{}",
            if *documented { "" } else { "  NOT DOCUMENTED" }
        );
    }
    assert!(
        differ.keys().all(|d| d.1),
        "a difference docs/parser.md does not list"
    );
    assert!(same > 100_000, "{same}");
}
