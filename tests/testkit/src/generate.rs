//! A generator of realistic captures: interleaved TCP connections (handshake, data both ways,
//! FIN or RST close, some refused), DNS-like UDP request/reply pairs (some unanswered), ICMP
//! echo sessions, a SYN port scan, VLAN-tagged sessions, IPv6 sessions, snapped (truncated)
//! frames and non-IP frames (ARP, LLDP). Checksums are correct. It is deterministic per seed
//! and returns what it wrote by construction, which tests compare with what replay measures.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use std::net::IpAddr;

use gufc_flowlife::capture::CaptureWriter;
use gufc_flowlife::capture::{TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};

/// What [`generate`] writes: how many sessions of each kind and which are tagged or IPv6.
/// Sessions (TCP, DNS, ping) are numbered together for `vlan_every` and `ipv6_every`.
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Seed of the generator: the same seed and options write the same capture.
    pub seed: u64,
    /// TCP connection attempts; about 1 in 8 is refused with RST.
    pub tcp_connections: u32,
    /// Data segments per TCP connection, at most.
    pub max_segments: u32,
    /// DNS-like UDP queries to port 53; about 1 in 10 goes unanswered.
    pub dns_queries: u32,
    /// ICMP echo sessions of three requests each; about 1 in 4 goes unanswered.
    pub ping_sessions: u32,
    /// Ports the scanner probes (0: no scan).
    pub scan_ports: u32,
    /// Every Nth session is VLAN-tagged (0: none).
    pub vlan_every: u32,
    /// Every Nth session uses IPv6 (0: none).
    pub ipv6_every: u32,
    /// TCP SYN frames snapped inside the IP or TCP header.
    pub truncated: u32,
    /// 60-byte ARP and LLDP frames, alternating.
    pub non_ip: u32,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 1,
            tcp_connections: 20,
            max_segments: 8,
            dns_queries: 20,
            ping_sessions: 4,
            scan_ports: 50,
            vlan_every: 5,
            ipv6_every: 4,
            truncated: 3,
            non_ip: 4,
        }
    }
}

/// What the generator wrote, counted as it wrote it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GenSummary {
    /// Records written, of every kind.
    pub records: u64,
    /// ARP and LLDP records.
    pub non_ip: u64,
    /// Snapped records whose key cannot be decoded.
    pub truncated: u64,
    /// IP records (VLAN-tagged ones included) with a complete key.
    pub ip_packets: u64,
    /// Of `ip_packets`, those with an 802.1Q tag.
    pub vlan_tagged: u64,
    /// TCP connections whose three-way handshake completed.
    pub tcp_established: u64,
    /// TCP connection attempts that never completed (refused, scanned).
    pub tcp_unestablished: u64,
    /// UDP flows that saw a reply.
    pub udp_replied: u64,
    /// UDP queries never answered.
    pub udp_unreplied: u64,
    /// ICMP echo sessions that were answered.
    pub icmp_replied: u64,
    /// ICMP echo sessions never answered.
    pub icmp_unreplied: u64,
    /// The scanner's address (`None` without a scan).
    pub scanner: Option<String>,
    /// Ports the scanner probed, each also one of `tcp_unestablished`.
    pub scanned_ports: u64,
}

impl GenSummary {
    /// Connections learned under the nf_flowtable convention (TCP at handshake completion,
    /// UDP and ICMP at the first reply).
    pub fn learnable(&self) -> u64 {
        self.tcp_established + self.udp_replied + self.icmp_replied
    }
}

/// One packet of a session, before interleaving.
struct Pkt {
    ts: u64,
    frame: Vec<u8>,
    caplen: usize,
}

#[derive(Clone, Copy)]
struct Ends {
    a: IpAddr,
    b: IpAddr,
    vlan: Option<u16>,
}

fn sum16(data: &[u8], mut acc: u32) -> u32 {
    for c in data.chunks(2) {
        acc += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    acc
}
fn fold(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn addr_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// Ethernet (+ VLAN) + IP header around an L4 segment whose checksum field is at `csum_at`
/// (`None`: ICMPv4, checksummed without pseudo-header).
fn frame(e: &Ends, from_a: bool, proto: u8, mut l4: Vec<u8>, csum_at: Option<usize>) -> Vec<u8> {
    let (src, dst) = if from_a { (e.a, e.b) } else { (e.b, e.a) };
    let v6 = src.is_ipv6();
    // L4 checksum.
    let pseudo = {
        let mut p = addr_bytes(src);
        p.extend(addr_bytes(dst));
        if v6 {
            p.extend((l4.len() as u32).to_be_bytes());
            p.extend([0, 0, 0, proto]);
        } else {
            p.extend([0, proto]);
            p.extend((l4.len() as u16).to_be_bytes());
        }
        p
    };
    match csum_at {
        Some(at) => {
            let c = fold(sum16(&l4, sum16(&pseudo, 0)));
            let c = if c == 0 && proto == 17 { 0xffff } else { c };
            l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
        }
        None => {
            let c = fold(sum16(&l4, 0));
            l4[2..4].copy_from_slice(&c.to_be_bytes());
        }
    }
    let mut ip = Vec::new();
    if v6 {
        ip.extend([0x60, 0, 0, 0]);
        ip.extend((l4.len() as u16).to_be_bytes());
        ip.extend([proto, 64]);
        ip.extend(addr_bytes(src));
        ip.extend(addr_bytes(dst));
    } else {
        ip.extend([0x45, 0]);
        ip.extend(((20 + l4.len()) as u16).to_be_bytes());
        ip.extend([0x12, 0x34, 0x40, 0, 64, proto, 0, 0]);
        ip.extend(addr_bytes(src));
        ip.extend(addr_bytes(dst));
        let c = fold(sum16(&ip, 0));
        ip[10..12].copy_from_slice(&c.to_be_bytes());
    }
    ip.extend(l4);
    let (ma, mb) = ([0x02, 0, 0, 0, 0, 0x0a], [0x02, 0, 0, 0, 0, 0x0b]);
    let mut f = Vec::with_capacity(18 + ip.len());
    f.extend(if from_a { mb } else { ma });
    f.extend(if from_a { ma } else { mb });
    if let Some(v) = e.vlan {
        f.extend([0x81, 0x00]);
        f.extend(v.to_be_bytes());
    }
    f.extend(if v6 { [0x86, 0xdd] } else { [0x08, 0x00] });
    f.extend(ip);
    f
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: usize) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload);
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(ack.to_be_bytes());
    t.extend([0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    t.extend((0..payload).map(|i| (i * 7) as u8));
    t
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend(sport.to_be_bytes());
    u.extend(dport.to_be_bytes());
    u.extend(((8 + payload.len()) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend(payload);
    u
}

fn icmp_echo(v6: bool, reply: bool, id: u16, seq: u16) -> Vec<u8> {
    let ty = match (v6, reply) {
        (false, false) => 8,
        (false, true) => 0,
        (true, false) => 128,
        (true, true) => 129,
    };
    let mut m = vec![ty, 0, 0, 0];
    m.extend(id.to_be_bytes());
    m.extend(seq.to_be_bytes());
    m.extend(b"gufc-ping-0123456789abcdefghijklmnopqrstuv");
    m
}

/// A DNS-like message: header, one question for `name`, and for a reply one A record.
fn dns(id: u16, name: &str, reply: bool) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend(if reply { [0x81, 0x80] } else { [0x01, 0x00] });
    m.extend([0, 1, 0, reply as u8, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend(label.as_bytes());
    }
    m.extend([0, 0, 1, 0, 1]);
    if reply {
        m.extend([
            0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 80,
        ]);
    }
    m
}

struct Gen {
    rng: Xoshiro256PlusPlus,
    pkts: Vec<Pkt>,
    sum: GenSummary,
    session: u32,
    opts: GenOptions,
    next_port: u16,
}

impl Gen {
    fn ends(&mut self, server: u8) -> Ends {
        self.session += 1;
        let s = self.session;
        let v6 = self.opts.ipv6_every != 0 && s.is_multiple_of(self.opts.ipv6_every);
        let vlan = (self.opts.vlan_every != 0 && s.is_multiple_of(self.opts.vlan_every))
            .then_some(100 + (s % 3) as u16);
        let client = self.rng.random_range(10..210u8);
        let (a, b): (IpAddr, IpAddr) = if v6 {
            (
                format!("2001:db8:10::{client:x}").parse().unwrap(),
                format!("2001:db8:1::{server:x}").parse().unwrap(),
            )
        } else {
            (
                format!("10.0.{}.{client}", 1 + s % 4).parse().unwrap(),
                format!("192.0.2.{server}").parse().unwrap(),
            )
        };
        Ends { a, b, vlan }
    }

    fn port(&mut self) -> u16 {
        self.next_port = if self.next_port >= 60999 {
            32768
        } else {
            self.next_port + 1
        };
        self.next_port
    }

    fn push(&mut self, ts: u64, e: &Ends, frame: Vec<u8>) {
        self.sum.records += 1;
        self.sum.ip_packets += 1;
        if e.vlan.is_some() {
            self.sum.vlan_tagged += 1;
        }
        let caplen = frame.len();
        self.pkts.push(Pkt { ts, frame, caplen });
    }

    /// Gap between packets of a session: 20 µs .. 2 ms.
    fn gap(&mut self) -> u64 {
        self.rng.random_range(20_000..2_020_000)
    }

    fn tcp_session(&mut self, start: u64) {
        let server = [10, 11, 12][self.rng.random_range(0..3)];
        let e = self.ends(server);
        let dport = [443, 22, 80, 3260][self.rng.random_range(0..4)];
        let sport = self.port();
        let (mut cs, mut ss) = (self.rng.random::<u32>(), self.rng.random::<u32>());
        let mut t = start;
        let seg = |g: &mut Gen, t: u64, from_a: bool, seq: u32, ack: u32, flags: u8, len: usize| {
            let (sp, dp) = if from_a {
                (sport, dport)
            } else {
                (dport, sport)
            };
            let f = frame(&e, from_a, 6, tcp(sp, dp, seq, ack, flags, len), Some(16));
            g.push(t, &e, f);
        };
        seg(self, t, true, cs, 0, TCP_SYN, 0);
        cs = cs.wrapping_add(1);
        t += self.gap();
        if self.rng.random_ratio(1, 8) {
            // Refused: the port is closed.
            seg(self, t, false, 0, cs, TCP_RST | TCP_ACK, 0);
            self.sum.tcp_unestablished += 1;
            return;
        }
        seg(self, t, false, ss, cs, TCP_SYN | TCP_ACK, 0);
        ss = ss.wrapping_add(1);
        t += self.gap();
        seg(self, t, true, cs, ss, TCP_ACK, 0);
        self.sum.tcp_established += 1;
        for _ in 0..self.rng.random_range(1..=self.opts.max_segments.max(1)) {
            t += self.gap();
            let from_a = self.rng.random_ratio(1, 3);
            let len = self.rng.random_range(1..=1400);
            if from_a {
                seg(self, t, true, cs, ss, TCP_ACK | 0x08, len);
                cs = cs.wrapping_add(len as u32);
            } else {
                seg(self, t, false, ss, cs, TCP_ACK | 0x08, len);
                ss = ss.wrapping_add(len as u32);
            }
        }
        t += self.gap();
        if self.rng.random_ratio(1, 5) {
            seg(self, t, true, cs, ss, TCP_RST | TCP_ACK, 0);
            return;
        }
        seg(self, t, true, cs, ss, TCP_FIN | TCP_ACK, 0);
        cs = cs.wrapping_add(1);
        t += self.gap();
        seg(self, t, false, ss, cs, TCP_FIN | TCP_ACK, 0);
        ss = ss.wrapping_add(1);
        t += self.gap();
        seg(self, t, true, cs, ss, TCP_ACK, 0);
    }

    fn dns_query(&mut self, start: u64) {
        let e = self.ends(53);
        let sport = self.port();
        let id = self.rng.random::<u16>();
        let name = format!("host{}.example.org", self.rng.random_range(0..100));
        let q = frame(
            &e,
            true,
            17,
            udp(sport, 53, &dns(id, &name, false)),
            Some(6),
        );
        self.push(start, &e, q);
        if self.rng.random_ratio(1, 10) {
            self.sum.udp_unreplied += 1;
            return;
        }
        let t = start + self.gap();
        let r = frame(
            &e,
            false,
            17,
            udp(53, sport, &dns(id, &name, true)),
            Some(6),
        );
        self.push(t, &e, r);
        self.sum.udp_replied += 1;
    }

    fn ping(&mut self, start: u64) {
        let e = self.ends(1);
        let v6 = e.a.is_ipv6();
        let id = self.rng.random::<u16>();
        let answered = !self.rng.random_ratio(1, 4);
        let mut t = start;
        for seq in 1..=3 {
            let csum = if v6 { Some(2) } else { None };
            let q = frame(
                &e,
                true,
                if v6 { 58 } else { 1 },
                icmp_echo(v6, false, id, seq),
                csum,
            );
            self.push(t, &e, q);
            t += self.gap();
            if answered {
                let r = frame(
                    &e,
                    false,
                    if v6 { 58 } else { 1 },
                    icmp_echo(v6, true, id, seq),
                    csum,
                );
                self.push(t, &e, r);
            }
            t += 1_000_000_000 / 4;
        }
        if answered {
            self.sum.icmp_replied += 1;
        } else {
            self.sum.icmp_unreplied += 1;
        }
    }

    fn scan(&mut self, start: u64) {
        let e = Ends {
            a: "198.51.100.66".parse().unwrap(),
            b: "192.0.2.20".parse().unwrap(),
            vlan: None,
        };
        self.sum.scanner = Some(e.a.to_string());
        let open = [22u16, 80, 443];
        let mut t = start;
        for p in 1..=self.opts.scan_ports as u16 {
            let sport = 40000 + (p % 7);
            let seq = self.rng.random::<u32>();
            let f = frame(&e, true, 6, tcp(sport, p, seq, 0, TCP_SYN, 0), Some(16));
            self.push(t, &e, f);
            let reply_t = t + 30_000;
            if open.contains(&p) {
                let f = frame(
                    &e,
                    false,
                    6,
                    tcp(p, sport, 7, seq.wrapping_add(1), TCP_SYN | TCP_ACK, 0),
                    Some(16),
                );
                self.push(reply_t, &e, f);
                let f = frame(
                    &e,
                    true,
                    6,
                    tcp(sport, p, seq.wrapping_add(1), 0, TCP_RST, 0),
                    Some(16),
                );
                self.push(reply_t + 10_000, &e, f);
            } else {
                let f = frame(
                    &e,
                    false,
                    6,
                    tcp(p, sport, 0, seq.wrapping_add(1), TCP_RST | TCP_ACK, 0),
                    Some(16),
                );
                self.push(reply_t, &e, f);
            }
            self.sum.tcp_unestablished += 1;
            self.sum.scanned_ports += 1;
            t += 50_000;
        }
    }

    fn noise(&mut self, start: u64, span: u64) {
        for i in 0..self.opts.non_ip {
            let mut f = vec![0xff; 6];
            f.extend([0x02, 0, 0, 0, 0, 0x0c]);
            if i % 2 == 0 {
                f.extend([0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]); // ARP request
                f.extend([
                    0x02, 0, 0, 0, 0, 0x0c, 10, 0, 1, 1, 0, 0, 0, 0, 0, 0, 10, 0, 1, 2,
                ]);
            } else {
                f.extend([0x88, 0xcc, 0x02, 0x07, 0x04, 0x02, 0, 0, 0, 0, 0x0c, 0, 0]);
                // LLDP
            }
            f.resize(60, 0);
            self.sum.records += 1;
            self.sum.non_ip += 1;
            self.pkts.push(Pkt {
                ts: start + self.rng.random_range(0..span),
                caplen: f.len(),
                frame: f,
            });
        }
        for i in 0..self.opts.truncated {
            // A snapped frame: the capture stops inside the IP (or TCP) header.
            let e = Ends {
                a: "10.9.9.9".parse().unwrap(),
                b: "192.0.2.99".parse().unwrap(),
                vlan: None,
            };
            let f = frame(
                &e,
                true,
                6,
                tcp(1000 + i as u16, 80, 1, 0, TCP_SYN, 0),
                Some(16),
            );
            let caplen = if i % 2 == 0 { 30 } else { 14 + 20 + 10 };
            self.sum.records += 1;
            self.sum.truncated += 1;
            self.pkts.push(Pkt {
                ts: start + self.rng.random_range(0..span),
                frame: f,
                caplen,
            });
        }
    }
}

/// Writes a capture made from `opts` and returns what it holds.
pub fn generate(opts: &GenOptions, out: &mut dyn CaptureWriter) -> std::io::Result<GenSummary> {
    let mut g = Gen {
        rng: Xoshiro256PlusPlus::seed_from_u64(opts.seed),
        pkts: Vec::new(),
        sum: GenSummary::default(),
        session: 0,
        opts: opts.clone(),
        next_port: 40000,
    };
    let t0 = 1_764_230_400_000_000_000u64; // 2025-11-27 08:00 UTC
    let span = 1_000_000_000u64 * (1 + (opts.tcp_connections + opts.dns_queries) as u64 / 200);
    for _ in 0..opts.tcp_connections {
        let s = t0 + g.rng.random_range(0..span);
        g.tcp_session(s);
    }
    for _ in 0..opts.dns_queries {
        let s = t0 + g.rng.random_range(0..span);
        g.dns_query(s);
    }
    for _ in 0..opts.ping_sessions {
        let s = t0 + g.rng.random_range(0..span);
        g.ping(s);
    }
    if opts.scan_ports > 0 {
        g.scan(t0 + span / 3);
    }
    g.noise(t0, span);
    g.pkts.sort_by_key(|p| p.ts);
    for p in &g.pkts {
        out.write_packet(p.ts, &p.frame[..p.caplen], p.frame.len() as u32)?;
    }
    Ok(g.sum)
}
