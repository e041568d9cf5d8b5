//! The capture reader on files other programs wrote, during the test: text2pcap, mergecap and
//! editcap (wireshark-common), tshark, tcpdump (live captures on `any` in Linux cooked v1 and
//! v2), and scapy (python3-scapy, for big-endian pcap: no Debian tool writes the other byte
//! order on a little-endian host). Every record is checked against tshark's own reading of the
//! same file: timestamp to the nanosecond, wire and captured length, addresses, protocol, ports.
//!
//! The tools are Debian packages that `scripts/test-all` installs; a missing tool fails the
//! test with the package to install, it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gufc_flowlife::capture::{decode, CaptureReader, Decoded, LinkType};

/// Runs `prog args…`, panicking with its stderr (or the package to install) on failure.
fn tool(prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("{prog}: {e}: install tcpdump, tshark, wireshark-common and python3-scapy (scripts/test-all does)")
        });
    assert!(
        out.status.success(),
        "{prog} {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// One packet as tshark reads it and as gufc must: `ts_ns len caplen key`.
fn tshark_view(file: &Path) -> Vec<String> {
    let fields = [
        "frame.time_epoch",
        "frame.len",
        "frame.cap_len",
        "ip.src",
        "ipv6.src",
        "ip.dst",
        "ipv6.dst",
        "ip.proto",
        "ipv6.nxt",
        "tcp.srcport",
        "udp.srcport",
        "tcp.dstport",
        "udp.dstport",
    ];
    let mut args = vec!["-r", p(file), "-T", "fields", "-E", "separator=|"];
    for f in &fields {
        args.extend(["-e", f]);
    }
    tool("tshark", &args)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('|').collect();
            let (secs, frac) = c[0].split_once('.').unwrap();
            let ns: u64 = secs.parse::<u64>().unwrap() * 1_000_000_000
                + format!("{frac:0<9}")[..9].parse::<u64>().unwrap();
            let or = |a: &str, b: &str| {
                if a.is_empty() {
                    b.to_string()
                } else {
                    a.to_string()
                }
            };
            let (src, dst) = (or(c[3], c[4]), or(c[5], c[6]));
            let ep = |a: &str, port: String| {
                if a.contains(':') {
                    format!("[{a}]:{port}")
                } else {
                    format!("{a}:{port}")
                }
            };
            format!(
                "{ns} {} {} {} -> {} proto {}",
                c[1],
                c[2],
                ep(&src, or(c[9], c[10])),
                ep(&dst, or(c[11], c[12])),
                or(c[7], c[8])
            )
        })
        .collect()
}

/// Every record as gufc reads and decodes it, and the link types seen.
fn gufc_view(file: &Path) -> (Vec<String>, Vec<LinkType>) {
    let mut r = CaptureReader::open(file).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let mut links = Vec::new();
    while let Some(rec) = r.next_record().unwrap_or_else(|e| panic!("{e}")) {
        links.push(rec.link);
        let Decoded::Ip(f) = decode(rec.link, &rec.data, rec.orig_len) else {
            panic!("{}: a record did not decode: {rec:?}", file.display());
        };
        out.push(format!(
            "{} {} {} {}",
            rec.ts_ns,
            rec.orig_len,
            rec.data.len(),
            f.key
        ));
    }
    (out, links)
}

/// gufc reads `file` exactly as tshark does; returns the link types.
fn same_as_tshark(file: &Path, packets: usize) -> Vec<LinkType> {
    let want = tshark_view(file);
    let (got, links) = gufc_view(file);
    assert_eq!(
        want.len(),
        packets,
        "{}: tshark saw {want:?}",
        file.display()
    );
    assert_eq!(
        got,
        want,
        "{}: gufc (left) and tshark (right)",
        file.display()
    );
    links
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn at(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// Three Ethernet frames by text2pcap: two IPv4/TCP, one IPv6/UDP, little-endian µs pcap;
/// editcap moves them by a fraction of a second so the timestamps use the µs field.
fn base(d: &Dir) -> PathBuf {
    std::fs::write(
        d.at("v4.txt"),
        "000000 68 65 6c 6c 6f\n\n000000 77 6f 72 6c 64 21 0a\n",
    )
    .unwrap();
    std::fs::write(d.at("v6.txt"), "000000 01 02 03\n").unwrap();
    let (v4, v6) = (d.at("v4.pcap"), d.at("v6.pcap"));
    let (v4t, v6t) = (d.at("v4.txt"), d.at("v6.txt"));
    tool(
        "text2pcap",
        &[
            "-q",
            "-F",
            "pcap",
            "-4",
            "10.1.2.3,192.0.2.9",
            "-T",
            "40000,443",
            p(&v4t),
            p(&v4),
        ],
    );
    tool(
        "text2pcap",
        &[
            "-q",
            "-F",
            "pcap",
            "-6",
            "2001:db8::1,2001:db8::2",
            "-u",
            "5353,53",
            p(&v6t),
            p(&v6),
        ],
    );
    let merged = d.at("merged.pcap");
    tool(
        "mergecap",
        &["-a", "-F", "pcap", "-w", p(&merged), p(&v4), p(&v6)],
    );
    let out = d.at("base.pcap");
    tool("editcap", &["-t", "0.654321", p(&merged), p(&out)]);
    out
}

#[test]
fn little_endian_microsecond_pcap_from_text2pcap() {
    let d = Dir::new();
    let links = same_as_tshark(&base(&d), 3);
    assert!(links.iter().all(|&l| l == LinkType::Ethernet));
}

#[test]
fn nanosecond_pcap_from_editcap() {
    let d = Dir::new();
    let ns = d.at("ns.pcap");
    tool(
        "editcap",
        &["-F", "nsecpcap", "-t", "0.000000123", p(&base(&d)), p(&ns)],
    );
    assert_eq!(&std::fs::read(&ns).unwrap()[..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
    same_as_tshark(&ns, 3);
    let (got, _) = gufc_view(&ns);
    assert!(
        got[0].split(' ').next().unwrap().ends_with("123"),
        "{got:?}"
    );
}

/// scapy writes the other byte order (PcapWriter's `endianness`), µs and ns.
#[test]
fn big_endian_pcap_from_scapy() {
    let d = Dir::new();
    let src = base(&d);
    for (nano, magic) in [
        ("False", [0xa1, 0xb2, 0xc3, 0xd4]),
        ("True", [0xa1, 0xb2, 0x3c, 0x4d]),
    ] {
        let out = d.at(&format!("be-{nano}.pcap"));
        let script = format!(
            "from scapy.all import rdpcap, PcapWriter\n\
             from decimal import Decimal\n\
             pk = rdpcap('{}')\n\
             w = PcapWriter('{}', endianness='>', nano={nano}, linktype=1, sync=True)\n\
             for i, x in enumerate(pk):\n\
             \x20   x.time = x.time + Decimal('0.000000{}07')\n\
             \x20   w.write(x)\n\
             w.close()\n",
            p(&src),
            p(&out),
            i32::from(nano == "True")
        );
        tool("/usr/bin/python3", &["-c", &script]);
        assert_eq!(&std::fs::read(&out).unwrap()[..4], &magic);
        same_as_tshark(&out, 3);
    }
}

/// tshark converts to pcapng; two sections of different timestamp resolution, one after the
/// other in one file, read as one stream.
#[test]
fn pcapng_with_several_sections() {
    let d = Dir::new();
    let b = base(&d);
    let (us, ns) = (d.at("us.pcapng"), d.at("ns.pcapng"));
    tool("tshark", &["-r", p(&b), "-F", "pcapng", "-w", p(&us)]);
    let nsp = d.at("ns.pcap");
    tool(
        "editcap",
        &["-F", "nsecpcap", "-t", "10.000000007", p(&b), p(&nsp)],
    );
    tool("editcap", &["-F", "pcapng", p(&nsp), p(&ns)]);
    let multi = d.at("multi.pcapng");
    let mut bytes = std::fs::read(&us).unwrap();
    bytes.extend(std::fs::read(&ns).unwrap());
    std::fs::write(&multi, bytes).unwrap();
    let (a, _) = gufc_view(&us);
    let (b2, _) = gufc_view(&ns);
    let (all, _) = gufc_view(&multi);
    assert_eq!(all, [a.clone(), b2.clone()].concat());
    // tshark reads the concatenation as one file too.
    same_as_tshark(&multi, 6);
}

/// A live capture by tcpdump on the `any` device, in Linux cooked v1 or v2, of UDP datagrams
/// sent to the loopback address during the test.
fn cooked(dlt: &str, d: &Dir) -> PathBuf {
    let port = 40000 + (std::process::id() % 20000) as u16 + if dlt.ends_with('2') { 1 } else { 0 };
    let out = d.at(&format!("{dlt}.pcap"));
    let filter = format!("udp and dst port {port} and dst host 127.0.0.1");
    let mut td = Command::new("tcpdump")
        .args([
            "-i",
            "any",
            "-y",
            dlt,
            "-U",
            "-c",
            "3",
            "-w",
            p(&out),
            &filter,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump runs: install tcpdump (scripts/test-all does)");
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let t = Instant::now();
    // Until tcpdump has its three packets: it may start listening after the first sends.
    let status = loop {
        if let Some(s) = td.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "tcpdump -y {dlt} caught nothing in 20 s"
        );
        sock.send_to(b"gufc cooked", ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "tcpdump -y {dlt}: {status}");
    out
}

#[test]
fn linux_cooked_v1_from_tcpdump() {
    let d = Dir::new();
    let links = same_as_tshark(&cooked("LINUX_SLL", &d), 3);
    assert!(links.iter().all(|&l| l == LinkType::LinuxSll), "{links:?}");
}

#[test]
fn linux_cooked_v2_from_tcpdump() {
    let d = Dir::new();
    let links = same_as_tshark(&cooked("LINUX_SLL2", &d), 3);
    assert!(links.iter().all(|&l| l == LinkType::LinuxSll2), "{links:?}");
}
