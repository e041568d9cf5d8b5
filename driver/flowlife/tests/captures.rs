//! The shipped captures in tests/data/pcap are what the generator makes (regenerate with
//! `GUFC_REGEN_PCAP=1 cargo test -p gufc-flowlife --test captures`), they read back with
//! the counts the generator reports, and corrupt files fail with the byte offset. pcap in
//! either byte order and resolution, pcapng with several sections and interfaces, and frames
//! behind every link layer read and decode as they should.

use std::path::PathBuf;

use gufc_flowlife::capture::{
    decode, CaptureReader, Decoded, LinkType, PcapNgWriter, PcapWriter, Skip,
};
use gufc_testkit::{generate, GenOptions, GenSummary};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

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
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x1234_5678_9abc_def0);
        for _ in 0..2000 {
            let mut b = good.clone();
            let at = rng.random_range(0..b.len());
            b[at] ^= rng.random_range(1..=255u8);
            check(b);
        }
    }
}

/// Collects what the generator writes, independent of any file format.
struct Collect(Vec<(u64, u32, Vec<u8>)>);

impl gufc_flowlife::capture::CaptureWriter for Collect {
    fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> std::io::Result<()> {
        self.0.push((ts_ns, orig_len, data.to_vec()));
        Ok(())
    }
}

fn packets(n: usize) -> Vec<(u64, u32, Vec<u8>)> {
    let mut c = Collect(Vec::new());
    generate(&GenOptions::default(), &mut c).unwrap();
    c.0.truncate(n);
    c.0
}

fn read_all(bytes: Vec<u8>) -> Result<Vec<gufc_flowlife::capture::Record>, String> {
    CaptureReader::new(Box::new(std::io::Cursor::new(bytes)), "mem")
        .map_err(|e| e.to_string())?
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

#[test]
fn pcap_in_either_byte_order_with_micro_or_nanosecond_timestamps() {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapTsResolution};
    use pcap_file::Endianness;
    use std::time::Duration;
    let pkts = packets(40);
    for (endianness, res, magic) in [
        (
            Endianness::Big,
            PcapTsResolution::MicroSecond,
            [0xa1, 0xb2, 0xc3, 0xd4],
        ),
        (
            Endianness::Big,
            PcapTsResolution::NanoSecond,
            [0xa1, 0xb2, 0x3c, 0x4d],
        ),
        (
            Endianness::Little,
            PcapTsResolution::MicroSecond,
            [0xd4, 0xc3, 0xb2, 0xa1],
        ),
        (
            Endianness::Little,
            PcapTsResolution::NanoSecond,
            [0x4d, 0x3c, 0xb2, 0xa1],
        ),
    ] {
        let header = PcapHeader {
            endianness,
            ts_resolution: res,
            ..PcapHeader::default()
        };
        let mut w = pcap_file::pcap::PcapWriter::with_header(Vec::new(), header).unwrap();
        for (ts, orig, data) in &pkts {
            let p = PcapPacket::new(Duration::from_nanos(*ts), *orig, &data[..]).unwrap();
            w.write_packet(&p).unwrap();
        }
        let bytes = w.into_inner();
        assert_eq!(bytes[..4], magic, "{endianness:?} {res:?}");
        let recs = read_all(bytes).unwrap();
        assert_eq!(recs.len(), pkts.len());
        for (r, (ts, orig, data)) in recs.iter().zip(&pkts) {
            let ts = match res {
                PcapTsResolution::MicroSecond => ts / 1000 * 1000,
                PcapTsResolution::NanoSecond => *ts,
            };
            assert_eq!((r.ts_ns, r.orig_len, &r.data), (ts, *orig, data));
            assert_eq!(r.link, LinkType::Ethernet);
        }
    }
}

/// pcapng blocks built by hand in either byte order.
struct Ng {
    be: bool,
    bytes: Vec<u8>,
}

impl Ng {
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, ty: u32, body: &[u8]) -> usize {
        let at = self.bytes.len();
        let len = (12 + body.len()).next_multiple_of(4) as u32;
        let (t, l) = (self.u32(ty), self.u32(len));
        self.bytes.extend(t.iter().chain(&l).chain(body));
        self.bytes.resize(at + len as usize - 4, 0);
        self.bytes.extend(l);
        at
    }
    /// A new section in byte order `be`.
    fn section(&mut self, be: bool) {
        self.be = be;
        let mut b = self.u32(0x1A2B_3C4D).to_vec();
        b.extend(self.u16(1).iter().chain(&self.u16(0)).chain(&[0xff; 8]));
        self.block(0x0A0D_0D0A, &b);
    }
    /// An interface; `tsresol` as the if_tsresol option byte (none: microseconds).
    fn interface(&mut self, link: u16, tsresol: Option<u8>) {
        let mut b: Vec<u8> = [self.u16(link), self.u16(0)].concat();
        b.extend(self.u32(65535));
        if let Some(r) = tsresol {
            b.extend(self.u16(9).iter().chain(&self.u16(1)).chain(&[r, 0, 0, 0]));
        }
        b.extend([0; 4]); // opt_endofopt
        self.block(1, &b);
    }
    fn enhanced(&mut self, iface: u32, ts: u64, data: &[u8]) -> usize {
        let mut b = Vec::new();
        for v in [
            iface,
            (ts >> 32) as u32,
            ts as u32,
            data.len() as u32,
            data.len() as u32,
        ] {
            b.extend(self.u32(v));
        }
        b.extend(data);
        self.block(6, &b)
    }
    fn simple(&mut self, data: &[u8]) {
        let mut b = self.u32(data.len() as u32).to_vec();
        b.extend(data);
        self.block(3, &b);
    }
}

/// Sections of either byte order, each with its own interfaces, link types and timestamp
/// resolutions; simple packet blocks and blocks that carry no packet.
#[test]
fn pcapng_sections_interfaces_and_resolutions() {
    // Untagged, unsnapped IP frames, so that they also make sense without their Ethernet header.
    let pkts: Vec<_> = packets(usize::MAX)
        .into_iter()
        .filter(|(_, orig, d)| {
            d.len() == *orig as usize && matches!(d[12..14], [0x08, 0x00] | [0x86, 0xdd])
        })
        .take(6)
        .collect();
    let eth = |i: usize| pkts[i].2.clone();
    let ip = |i: usize| pkts[i].2[14..].to_vec();
    let mut ng = Ng {
        be: false,
        bytes: Vec::new(),
    };
    ng.section(false);
    ng.interface(1, None);
    ng.enhanced(0, 1_700_000_000_123_456, &eth(0));
    ng.block(5, &[0; 12]); // interface statistics: not a packet
    ng.section(true);
    ng.interface(101, Some(3)); // raw IP, milliseconds
    ng.interface(1, Some(0x80 | 10)); // Ethernet, 2^-10 s
    ng.enhanced(1, 3 << 10 | 512, &eth(1));
    ng.simple(&ip(2));
    ng.enhanced(0, 1_700_000_000_123, &ip(3));
    ng.section(false);
    ng.interface(113, Some(9)); // Linux SLL, nanoseconds
    let mut sll = vec![0u8; 14];
    sll.extend(&pkts[4].2[12..]);
    ng.enhanced(0, 42, &sll);
    let got: Vec<(u64, LinkType, Vec<u8>)> = read_all(ng.bytes)
        .unwrap()
        .into_iter()
        .map(|r| (r.ts_ns, r.link, r.data))
        .collect();
    assert_eq!(
        got,
        vec![
            (1_700_000_000_123_456_000, LinkType::Ethernet, eth(0)),
            (3_500_000_000, LinkType::Ethernet, eth(1)),
            (0, LinkType::Raw, ip(2)),
            (1_700_000_000_123_000_000, LinkType::Raw, ip(3)),
            (42, LinkType::LinuxSll, sll.clone()),
        ]
    );
    // The same IP packet decodes to one key behind every link layer.
    let keys: Vec<_> = [
        (LinkType::Ethernet, pkts[4].2.clone()),
        (LinkType::Raw, ip(4)),
        (LinkType::LinuxSll, sll),
    ]
    .into_iter()
    .map(|(l, d)| match decode(l, &d, d.len() as u32) {
        Decoded::Ip(f) => f.key,
        other => panic!("{other:?}"),
    })
    .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}

#[test]
fn unsupported_link_types_are_errors_naming_the_place() {
    let header = pcap_file::pcap::PcapHeader {
        datalink: pcap_file::DataLink::from(147),
        ..Default::default()
    };
    let w = pcap_file::pcap::PcapWriter::with_header(Vec::new(), header).unwrap();
    let e = read_all(w.into_inner()).unwrap_err();
    assert!(
        e.starts_with("mem: byte offset 20: link-layer type 147 is not supported"),
        "{e}"
    );
    let mut ng = Ng {
        be: false,
        bytes: Vec::new(),
    };
    ng.section(true);
    ng.interface(1, None);
    ng.interface(147, None);
    ng.enhanced(0, 1, &packets(1)[0].2);
    let at = ng.enhanced(1, 2, &packets(1)[0].2);
    let e = read_all(ng.bytes).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "mem: byte offset {at}: packet of interface 1, whose link-layer type 147 is not supported"
        )),
        "{e}"
    );
}

/// IPv4 + UDP 1000 -> 53 with the given fragment field (flags and offset).
fn udp4(frag: u16) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 36, 0, 1];
    p.extend(frag.to_be_bytes());
    p.extend([64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    p.extend([0x03, 0xe8, 0, 53, 0, 16, 0, 0]);
    p.extend([0; 8]);
    p
}

#[test]
fn decoder_handles_deep_vlan_stacks_fragments_and_other_link_layers() {
    let key = |link: LinkType, d: &[u8]| match decode(link, d, d.len() as u32) {
        Decoded::Ip(f) => (f.key, f.vlan),
        other => panic!("{link:?}: {other:?}"),
    };
    let udp = gufc_regmap::Key::v4(0x0a00_0001, 0x0a00_0002, 17, 1000, 53);
    // Five tags, more than etherparse slices at once: outermost ID 7.
    let mut f = vec![0u8; 12];
    for (tpid, id) in [
        (0x88a8u16, 7u16),
        (0x8100, 8),
        (0x8100, 9),
        (0x9100, 10),
        (0x8100, 11),
    ] {
        f.extend(tpid.to_be_bytes().iter().chain(&id.to_be_bytes()));
    }
    f.extend([0x08, 0x00]);
    f.extend(udp4(0));
    assert_eq!(key(LinkType::Ethernet, &f), (udp, Some(7)));
    // The first fragment has the ports; later ones do not.
    assert_eq!(key(LinkType::Raw, &udp4(0x2000)).0, udp);
    let later = gufc_regmap::Key {
        sport: 0,
        dport: 0,
        ..udp
    };
    assert_eq!(key(LinkType::Raw, &udp4(0x2000 | 185)).0, later);
    assert_eq!(key(LinkType::Raw, &udp4(185)).0, later);
    // Linux SLL2 (protocol first) and BSD loopback in either host byte order.
    let mut sll2 = vec![0x08, 0x00];
    sll2.resize(20, 0);
    sll2.extend(udp4(0));
    assert_eq!(key(LinkType::LinuxSll2, &sll2).0, udp);
    for fam in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
        let lo: Vec<u8> = fam.iter().copied().chain(udp4(0)).collect();
        assert_eq!(key(LinkType::Null, &lo).0, udp);
    }
    // Cut inside the UDP header, or before the IP header ends.
    let u = udp4(0);
    assert_eq!(
        decode(LinkType::Raw, &u[..24], 36),
        Decoded::Skip(Skip::Truncated)
    );
    assert_eq!(
        decode(LinkType::Raw, &u[..12], 36),
        Decoded::Skip(Skip::Truncated)
    );
    // A header length below the minimum.
    let mut bad = udp4(0);
    bad[0] = 0x44;
    assert_eq!(
        decode(LinkType::Raw, &bad, 36),
        Decoded::Skip(Skip::Malformed)
    );
}
