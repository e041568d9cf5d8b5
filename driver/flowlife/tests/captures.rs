//! The shipped captures in tests/data/pcap are what the generator makes (regenerate with
//! `GUFC_REGEN_PCAP=1 cargo test -p gufc --test flowlife_captures`), they read back with
//! the counts the generator reports, and corrupt files fail with the byte offset.

use std::path::PathBuf;

use gufc_flowlife::capture::{
    decode, CaptureReader, Decoded, LinkType, PcapNgWriter, PcapWriter, Skip,
};
use gufc_testkit::{generate, GenOptions, GenSummary};

fn data(name: &str) -> PathBuf {
    gufc_testkit::data("pcap").join(name)
}

/// The shipped captures: file name, format, options.
pub fn shipped() -> Vec<(&'static str, bool, GenOptions)> {
    vec![
        ("mixed.pcap", false, GenOptions::default()),
        (
            "mixed.pcapng",
            true,
            GenOptions {
                seed: 2,
                ..GenOptions::default()
            },
        ),
        (
            "scan.pcap",
            false,
            GenOptions {
                seed: 3,
                tcp_connections: 5,
                dns_queries: 5,
                ping_sessions: 1,
                scan_ports: 200,
                truncated: 0,
                non_ip: 0,
                ..GenOptions::default()
            },
        ),
    ]
}

fn make(ng: bool, opts: &GenOptions) -> (Vec<u8>, GenSummary) {
    if ng {
        let mut w = PcapNgWriter::new(Vec::new(), LinkType::Ethernet, 65535).unwrap();
        let s = generate(opts, &mut w).unwrap();
        (w.into_inner(), s)
    } else {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535).unwrap();
        let s = generate(opts, &mut w).unwrap();
        (w.into_inner(), s)
    }
}

#[test]
fn shipped_captures_are_current_and_read_back_as_generated() {
    let regen = std::env::var_os("GUFC_REGEN_PCAP").is_some();
    for (name, ng, opts) in shipped() {
        let (bytes, sum) = make(ng, &opts);
        let path = data(name);
        if regen {
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(on_disk == bytes, "{name} differs from what the generator makes: regenerate (see tests/data/pcap/README.md)");
        let r = CaptureReader::open(&path).unwrap();
        let (mut total, mut non_ip, mut trunc, mut ip, mut vlan) = (0, 0, 0, 0, 0);
        let mut last_ts = 0;
        for rec in r {
            let rec = rec.unwrap();
            assert!(rec.ts_ns >= last_ts, "timestamps ascend");
            last_ts = rec.ts_ns;
            total += 1;
            match decode(rec.link, &rec.data, rec.orig_len) {
                Decoded::Ip(f) => {
                    ip += 1;
                    vlan += f.vlan.is_some() as u64;
                }
                Decoded::Skip(Skip::NonIp) => non_ip += 1,
                Decoded::Skip(Skip::Truncated) => trunc += 1,
                Decoded::Skip(Skip::Malformed) => {
                    panic!("{name}: generator wrote a malformed frame")
                }
            }
        }
        assert_eq!(
            (total, non_ip, trunc, ip, vlan),
            (
                sum.records,
                sum.non_ip,
                sum.truncated,
                sum.ip_packets,
                sum.vlan_tagged
            ),
            "{name}"
        );
        assert!(
            sum.tcp_established > 0
                && sum.udp_replied > 0
                && sum.icmp_replied + sum.icmp_unreplied > 0,
            "{name}: {sum:?}"
        );
    }
}

#[test]
fn pcap_and_pcapng_of_the_same_traffic_read_the_same() {
    let opts = GenOptions {
        seed: 9,
        ..GenOptions::default()
    };
    let (a, _) = make(false, &opts);
    let (b, _) = make(true, &opts);
    let read = |bytes: Vec<u8>| -> Vec<(u64, u32, Vec<u8>)> {
        CaptureReader::new(Box::new(std::io::Cursor::new(bytes)), "mem")
            .unwrap()
            .map(|r| r.unwrap())
            .map(|r| (r.ts_ns, r.orig_len, r.data))
            .collect()
    };
    let (ra, rb) = (read(a), read(b));
    assert!(!ra.is_empty());
    assert_eq!(ra, rb);
}

#[test]
fn corrupt_files_fail_with_the_byte_offset() {
    let (good, _) = make(
        false,
        &GenOptions {
            seed: 4,
            tcp_connections: 2,
            dns_queries: 1,
            ping_sessions: 0,
            scan_ports: 0,
            ..GenOptions::default()
        },
    );
    let err = |bytes: Vec<u8>| -> String {
        let r = CaptureReader::new(Box::new(std::io::Cursor::new(bytes)), "x.pcap");
        match r {
            Err(e) => e.to_string(),
            Ok(r) => r
                .map(|x| x.map(|_| ()))
                .collect::<Result<Vec<_>, _>>()
                .unwrap_err()
                .to_string(),
        }
    };
    // Cut in the middle of the second record's data.
    let first_len = u32::from_le_bytes(good[32..36].try_into().unwrap()) as usize;
    let second = 24 + 16 + first_len;
    let e = err(good[..second + 16 + 5].to_vec());
    assert_eq!(
        e,
        format!(
            "x.pcap: byte offset {}: pcap record data: file ends after 5 of {} bytes",
            second + 16,
            u32::from_le_bytes(good[second + 8..second + 12].try_into().unwrap())
        )
    );
    // An absurd captured length in the second record header.
    let mut bad = good.clone();
    bad[second + 8..second + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    assert!(err(bad).starts_with(&format!(
        "x.pcap: byte offset {second}: record claims 2147483647 captured bytes"
    )));
    // Not a capture at all.
    assert!(
        err(b"hello world, not a pcap".to_vec()).starts_with("x.pcap: byte offset 0: magic number")
    );
    // pcapng with a bad block trailer.
    let (mut ng, _) = make(
        true,
        &GenOptions {
            seed: 4,
            tcp_connections: 1,
            dns_queries: 0,
            ping_sessions: 0,
            scan_ports: 0,
            truncated: 0,
            non_ip: 0,
            ..GenOptions::default()
        },
    );
    let shb_len = u32::from_le_bytes(ng[4..8].try_into().unwrap()) as usize;
    let idb_len = u32::from_le_bytes(ng[shb_len + 4..shb_len + 8].try_into().unwrap()) as usize;
    let epb = shb_len + idb_len;
    let epb_len = u32::from_le_bytes(ng[epb + 4..epb + 8].try_into().unwrap()) as usize;
    ng[epb + epb_len - 4] ^= 0x40;
    assert!(err(ng).starts_with(&format!(
        "x.pcap: byte offset {}: block trailer length",
        epb + epb_len - 4
    )));
}

#[test]
fn decoder_handles_vlan_stacks_ipv6_extension_headers_and_link_types() {
    use gufc_regmap::Key;
    // QinQ-tagged IPv6 with a hop-by-hop header, then UDP 5353 -> 53.
    let mut f = vec![0u8; 12];
    f.extend([0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x86, 0xdd]);
    let mut ip6 = vec![0x60, 0, 0, 0, 0, 16, 0, 64];
    ip6.extend(1u128.to_be_bytes());
    ip6.extend(2u128.to_be_bytes());
    ip6.extend([17, 0, 0, 0, 0, 0, 0, 0]); // hop-by-hop: next UDP, length 0 (8 bytes)
    ip6.extend([0x14, 0xe9, 0, 53, 0, 8, 0, 0]);
    f.extend(&ip6);
    let Decoded::Ip(d) = decode(LinkType::Ethernet, &f, f.len() as u32) else {
        panic!()
    };
    assert_eq!(d.vlan, Some(100));
    assert_eq!(
        d.key,
        Key {
            src: 1,
            dst: 2,
            ipv6: true,
            proto: 17,
            sport: 5353,
            dport: 53,
            ..Key::default()
        }
    );
    // The same IP packet as raw IP and behind Linux SLL.
    let Decoded::Ip(r) = decode(LinkType::Raw, &ip6, ip6.len() as u32) else {
        panic!()
    };
    assert_eq!(r.key, d.key);
    let mut sll = vec![0u8; 14];
    sll.extend([0x86, 0xdd]);
    sll.extend(&ip6);
    let Decoded::Ip(s) = decode(LinkType::LinuxSll, &sll, sll.len() as u32) else {
        panic!()
    };
    assert_eq!(s.key, d.key);
    // Cut inside the UDP header: truncated, not an error.
    assert_eq!(
        decode(LinkType::Raw, &ip6[..50], 56),
        Decoded::Skip(Skip::Truncated)
    );
    // ARP is not IP.
    let mut arp = vec![0u8; 12];
    arp.extend([0x08, 0x06]);
    arp.resize(60, 0);
    assert_eq!(
        decode(LinkType::Ethernet, &arp, 60),
        Decoded::Skip(Skip::NonIp)
    );
}

/// Reading and decoding damaged files never panics: every cut and many byte flips give
/// records or an error, and an error always names a byte offset inside the file.
#[test]
fn damaged_files_give_errors_not_panics() {
    for name in ["mixed.pcap", "mixed.pcapng"] {
        let good = std::fs::read(data(name)).unwrap();
        let check = |bytes: Vec<u8>| {
            let len = bytes.len() as u64;
            let Ok(r) = CaptureReader::new(Box::new(std::io::Cursor::new(bytes)), "d") else {
                return;
            };
            for rec in r {
                match rec {
                    Ok(rec) => {
                        let _ = decode(rec.link, &rec.data, rec.orig_len);
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        let off: u64 = msg
                            .split("byte offset ")
                            .nth(1)
                            .unwrap()
                            .split(':')
                            .next()
                            .unwrap()
                            .parse()
                            .unwrap();
                        assert!(off <= len, "{msg}");
                        break;
                    }
                }
            }
        };
        for cut in (0..good.len().min(3000)).step_by(7) {
            check(good[..cut].to_vec());
        }
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut b = good.clone();
            let at = (x as usize) % b.len();
            b[at] ^= (x >> 32) as u8 | 1;
            check(b);
        }
    }
}
