//! Ethernet frames for the frame parser's tests (docs/parser.md): a corpus of one frame per
//! header kind and per parser reason, each with the reason the contract gives it, and seeded
//! random frames that mix every header kind the parser walks and break one field in some.

use gufc_regmap::ParseReason;

use crate::stimulus::Rng;

/// A frame as the MAC hands it over: its bytes and its error flag (`tuser`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The bytes, first byte first, no FCS.
    pub bytes: Vec<u8>,
    /// The MAC saw an error (`tuser` on its last beat).
    pub error: bool,
}

/// An IP packet's transport header: what [`transport`] builds.
#[derive(Clone, Copy, Debug)]
pub enum L4 {
    /// Ports, flags, data offset in words (5..15: options follow), payload bytes.
    Tcp(u16, u16, u8, u8, usize),
    /// Ports, payload bytes.
    Udp(u16, u16, usize),
    /// ICMP or ICMPv6 type, code, identifier (bytes 4-5).
    Icmp(u8, u8, u16),
    /// SCTP, UDP-Lite or DCCP (ports lead the header): protocol, ports.
    Ports(u8, u16, u16),
    /// Any other protocol with this many payload bytes.
    Other(u8, usize),
}

impl L4 {
    /// The IP protocol number (ICMP becomes ICMPv6 in IPv6).
    fn proto(&self, v6: bool) -> u8 {
        match *self {
            L4::Tcp(..) => 6,
            L4::Udp(..) => 17,
            L4::Icmp(..) => {
                if v6 {
                    58
                } else {
                    1
                }
            }
            L4::Ports(p, ..) | L4::Other(p, _) => p,
        }
    }
}

/// The transport header and payload bytes of `l4` (payload bytes count up from 0).
pub fn transport(l4: L4) -> Vec<u8> {
    let payload = |n: usize| (0..n).map(|i| i as u8).collect::<Vec<u8>>();
    let mut b = Vec::new();
    match l4 {
        L4::Tcp(s, d, flags, doff, n) => {
            b.extend_from_slice(&s.to_be_bytes());
            b.extend_from_slice(&d.to_be_bytes());
            b.extend_from_slice(&[
                0,
                0,
                0x10,
                1,
                0,
                0,
                0,
                2,
                doff << 4,
                flags,
                0xff,
                0xff,
                0,
                0,
                0,
                0,
            ]);
            b.extend_from_slice(&[0u8; 40][..4 * (doff.max(5) as usize - 5)]);
            b.extend(payload(n));
        }
        L4::Udp(s, d, n) => {
            b.extend_from_slice(&s.to_be_bytes());
            b.extend_from_slice(&d.to_be_bytes());
            b.extend_from_slice(&((8 + n) as u16).to_be_bytes());
            b.extend_from_slice(&[0, 0]);
            b.extend(payload(n));
        }
        L4::Icmp(ty, code, id) => {
            b.extend_from_slice(&[ty, code, 0, 0]);
            b.extend_from_slice(&id.to_be_bytes());
            b.extend_from_slice(&[0, 7]);
            b.extend(payload(16));
        }
        L4::Ports(_, s, d) => {
            b.extend_from_slice(&s.to_be_bytes());
            b.extend_from_slice(&d.to_be_bytes());
            b.extend(payload(12));
        }
        L4::Other(_, n) => b.extend(payload(n)),
    }
    b
}

/// An IPv4 packet: `opts` option words, fragment offset (8-byte units) and MF, protocol, the
/// bytes after the header. Total length and IHL are filled in (the checksum is left 0: neither
/// the parser nor the host decoder checks it).
pub fn ipv4(src: u32, dst: u32, opts: u8, frag: (u16, bool), proto: u8, rest: &[u8]) -> Vec<u8> {
    let hl = 20 + 4 * opts as usize;
    let mut h = vec![0x40 | (5 + opts), 0];
    h.extend_from_slice(&((hl + rest.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[0x12, 0x34]);
    h.extend_from_slice(&(frag.0 | if frag.1 { 0x2000 } else { 0 }).to_be_bytes());
    h.extend_from_slice(&[64, proto, 0, 0]);
    h.extend_from_slice(&src.to_be_bytes());
    h.extend_from_slice(&dst.to_be_bytes());
    h.resize(hl, 1); // options: NOPs
    h.extend_from_slice(rest);
    h
}

/// An IPv6 extension header: its type and the bytes after its first two (next header, length).
#[derive(Clone, Debug)]
pub struct Ext {
    /// 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options, 51 AH.
    pub kind: u8,
    /// Length units beyond the minimum (byte 1; fragment: ignored).
    pub units: u8,
    /// Fragment: offset in 8-byte units and MF.
    pub frag: (u16, bool),
}

/// The extension headers `exts` then `rest`, chained to `proto`; returns the first type.
fn chain(exts: &[Ext], proto: u8, rest: &[u8]) -> (u8, Vec<u8>) {
    let mut b = Vec::new();
    for (i, e) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map_or(proto, |n| n.kind);
        let len = match e.kind {
            44 => 8,
            51 => (e.units as usize + 2) * 4,
            _ => (e.units as usize + 1) * 8,
        };
        let mut h = vec![next, if e.kind == 44 { 0 } else { e.units }];
        if e.kind == 44 {
            h.extend_from_slice(&(e.frag.0 << 3 | e.frag.1 as u16).to_be_bytes());
        }
        h.resize(len, 0);
        b.extend(h);
    }
    b.extend_from_slice(rest);
    (exts.first().map_or(proto, |e| e.kind), b)
}

/// An IPv4 packet with AH (51) before the transport header.
pub fn ipv4_ah(src: u32, dst: u32, units: u8, proto: u8, rest: &[u8]) -> Vec<u8> {
    let ah = Ext {
        kind: 51,
        units,
        frag: (0, false),
    };
    let (first, b) = chain(&[ah], proto, rest);
    ipv4(src, dst, 0, (0, false), first, &b)
}

/// An IPv6 packet: extension headers, the final protocol, the bytes after the chain.
pub fn ipv6(src: u128, dst: u128, exts: &[Ext], proto: u8, rest: &[u8]) -> Vec<u8> {
    let (first, b) = chain(exts, proto, rest);
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(b.len() as u16).to_be_bytes());
    h.extend_from_slice(&[first, 64]);
    h.extend_from_slice(&src.to_be_bytes());
    h.extend_from_slice(&dst.to_be_bytes());
    h.extend(b);
    h
}

/// An Ethernet frame: VLAN tags (TPID, TCI), the EtherType, the payload, padded to 60 bytes.
pub fn ethernet(tags: &[(u16, u16)], ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02];
    for (tpid, tci) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&ether_type.to_be_bytes());
    f.extend_from_slice(payload);
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

const A4: u32 = 0x0a00_0001;
const B4: u32 = 0xc0a8_0101;
const A6: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0001;
const B6: u128 = 0x2001_0db8_0000_0001_0000_0000_0000_0002;

fn v4(l4: L4) -> Vec<u8> {
    ethernet(
        &[],
        0x0800,
        &ipv4(A4, B4, 0, (0, false), l4.proto(false), &transport(l4)),
    )
}

fn v6(exts: &[Ext], l4: L4) -> Vec<u8> {
    ethernet(
        &[],
        0x86dd,
        &ipv6(A6, B6, exts, l4.proto(true), &transport(l4)),
    )
}

fn ext(kind: u8, units: u8) -> Ext {
    Ext {
        kind,
        units,
        frag: (0, false),
    }
}

fn frag(offset: u16, mf: bool) -> Ext {
    Ext {
        kind: 44,
        units: 0,
        frag: (offset, mf),
    }
}

/// Every header kind and every reason of docs/parser.md once: (name, frame, the reason the
/// contract gives it) — the expected reasons are written here by hand, not by the model.
pub fn corpus() -> Vec<(&'static str, Frame, ParseReason)> {
    use ParseReason as R;
    let tcp = L4::Tcp(1234, 80, 0x12, 5, 0);
    let ok = |b: Vec<u8>| Frame {
        bytes: b,
        error: false,
    };
    let set = |mut b: Vec<u8>, at: usize, v: u8| {
        b[at] = v;
        ok(b)
    };
    let cut = |mut b: Vec<u8>, n: usize| {
        b.truncate(n);
        ok(b)
    };
    let q = (0x8100, 0x0064);
    let ad = (0x88a8, 0x2065);
    let tagged = |tags: &[(u16, u16)], l4: L4| {
        ethernet(
            tags,
            0x0800,
            &ipv4(A4, B4, 0, (0, false), l4.proto(false), &transport(l4)),
        )
    };
    let v4_opts = ethernet(
        &[],
        0x0800,
        &ipv4(
            A4,
            B4,
            10,
            (0, false),
            17,
            &transport(L4::Udp(53, 5353, 20)),
        ),
    );
    let long_v6 = (0..5).map(|_| ext(60, 0)).collect::<Vec<_>>();
    vec![
        ("ipv4 tcp", ok(v4(tcp)), R::None),
        (
            "ipv4 tcp options",
            ok(v4(L4::Tcp(22, 40000, 0x18, 15, 10))),
            R::None,
        ),
        ("ipv4 options udp", ok(v4_opts.clone()), R::None),
        ("ipv4 icmp echo", ok(v4(L4::Icmp(8, 0, 0x4242))), R::None),
        (
            "ipv4 icmp unreachable",
            ok(v4(L4::Icmp(3, 1, 0x4242))),
            R::None,
        ),
        ("ipv4 sctp", ok(v4(L4::Ports(132, 2905, 2906))), R::None),
        ("ipv4 udp-lite", ok(v4(L4::Ports(136, 7, 9))), R::None),
        ("ipv4 dccp", ok(v4(L4::Ports(33, 5004, 5005))), R::None),
        ("ipv4 gre (no ports)", ok(v4(L4::Other(47, 30))), R::None),
        (
            "ipv4 first fragment",
            ok(ethernet(
                &[],
                0x0800,
                &ipv4(A4, B4, 0, (0, true), 6, &transport(tcp)),
            )),
            R::None,
        ),
        (
            "ipv4 later fragment",
            ok(ethernet(
                &[],
                0x0800,
                &ipv4(A4, B4, 0, (185, false), 17, &[9; 30]),
            )),
            R::None,
        ),
        (
            "ipv4 ah tcp",
            ok(ethernet(
                &[],
                0x0800,
                &ipv4_ah(A4, B4, 4, 6, &transport(tcp)),
            )),
            R::None,
        ),
        ("802.1q ipv4 tcp", ok(tagged(&[q], tcp)), R::None),
        (
            "802.1ad+802.1q ipv4 udp",
            ok(tagged(&[ad, q], L4::Udp(1, 2, 3))),
            R::None,
        ),
        ("0x9100 tag", ok(tagged(&[(0x9100, 7)], tcp)), R::None),
        ("ipv6 tcp", ok(v6(&[], tcp)), R::None),
        ("ipv6 udp", ok(v6(&[], L4::Udp(546, 547, 40))), R::None),
        (
            "ipv6 icmpv6 echo",
            ok(v6(&[], L4::Icmp(128, 0, 0x77))),
            R::None,
        ),
        (
            "ipv6 icmpv6 neighbour solicitation",
            ok(v6(&[], L4::Icmp(135, 0, 0x77))),
            R::None,
        ),
        (
            "ipv6 icmp (v4 type, no ports)",
            ok(ethernet(
                &[],
                0x86dd,
                &ipv6(A6, B6, &[], 1, &transport(L4::Icmp(8, 0, 1))),
            )),
            R::None,
        ),
        (
            "ipv6 hop-by-hop routing dst-opts tcp",
            ok(v6(&[ext(0, 0), ext(43, 2), ext(60, 1)], tcp)),
            R::None,
        ),
        (
            "ipv6 ah udp",
            ok(v6(&[ext(51, 4)], L4::Udp(500, 500, 8))),
            R::None,
        ),
        (
            "ipv6 first fragment udp",
            ok(v6(&[frag(0, true)], L4::Udp(53, 53, 10))),
            R::None,
        ),
        (
            "ipv6 later fragment",
            ok(v6(&[ext(0, 0), frag(100, true)], L4::Other(17, 24))),
            R::None,
        ),
        (
            "ipv6 four extension headers",
            ok(v6(&[ext(0, 0), ext(43, 0), ext(60, 0), ext(51, 1)], tcp)),
            R::None,
        ),
        (
            "ipv6 no next header (59)",
            ok(v6(&[], L4::Other(59, 0))),
            R::None,
        ),
        (
            "tuser error",
            Frame {
                bytes: v4(tcp),
                error: true,
            },
            R::FrameError,
        ),
        (
            "empty (a last beat without tkeep)",
            ok(Vec::new()),
            R::FrameError,
        ),
        ("runt (10 bytes)", cut(v4(tcp), 10), R::Truncated),
        ("tag cut", cut(tagged(&[q], tcp), 16), R::Truncated),
        ("ipv4 header cut", cut(v4(tcp), 30), R::Truncated),
        ("ipv6 header cut", cut(v6(&[], tcp), 50), R::Truncated),
        (
            "tcp cut by ip length",
            ok(ethernet(
                &[],
                0x0800,
                &ipv4(A4, B4, 0, (0, false), 6, &[0; 12]),
            )),
            R::Truncated,
        ),
        (
            "tcp options cut",
            ok(ethernet(
                &[],
                0x0800,
                &ipv4(
                    A4,
                    B4,
                    0,
                    (0, false),
                    6,
                    &transport(tcp)[..20]
                        .iter()
                        .copied()
                        .enumerate()
                        .map(|(i, b)| if i == 12 { 0x80 } else { b })
                        .collect::<Vec<_>>(),
                ),
            )),
            R::Truncated,
        ),
        (
            "udp cut",
            ok(ethernet(&[], 0x86dd, &ipv6(A6, B6, &[], 17, &[0; 6]))),
            R::Truncated,
        ),
        (
            "extension header cut",
            ok(ethernet(
                &[],
                0x86dd,
                &ipv6(A6, B6, &[], 60, &[6, 1, 0, 0, 0, 0, 0, 0]),
            )),
            R::Truncated,
        ),
        ("arp", ok(ethernet(&[], 0x0806, &[0; 28])), R::NonIp),
        ("lldp", ok(ethernet(&[], 0x88cc, &[0; 40])), R::NonIp),
        ("tagged arp", ok(ethernet(&[q], 0x0806, &[0; 28])), R::NonIp),
        (
            "three tags",
            ok(ethernet(
                &[ad, q, q],
                0x0800,
                &ipv4(A4, B4, 0, (0, false), 6, &transport(tcp)),
            )),
            R::VlanDepth,
        ),
        (
            "ipv6 in an ipv4 ethertype",
            ok(ethernet(
                &[],
                0x0800,
                &ipv6(A6, B6, &[], 6, &transport(tcp)),
            )),
            R::BadVersion,
        ),
        (
            "ipv4 in an ipv6 ethertype",
            ok(ethernet(
                &[],
                0x86dd,
                &ipv4(A4, B4, 0, (0, false), 6, &[0; 40]),
            )),
            R::BadVersion,
        ),
        ("ihl 4", set(v4(tcp), 14, 0x44), R::BadIhl),
        (
            "total length beyond the frame",
            set(v4(tcp), 17, 200),
            R::BadLength,
        ),
        (
            "total length below the header",
            set(v4_opts, 17, 40),
            R::BadLength,
        ),
        (
            "ipv6 payload beyond the frame",
            set(v6(&[], tcp), 19, 200),
            R::BadLength,
        ),
        ("tcp data offset 4", set(v4(tcp), 46, 0x40), R::BadTcpOffset),
        (
            "five extension headers",
            ok(v6(&long_v6, tcp)),
            R::LongChain,
        ),
        (
            "extension past the window",
            ok(v6(&[ext(60, 8), ext(60, 0)], tcp)),
            R::LongChain,
        ),
        (
            "transport past the window",
            ok(v6(&[ext(60, 8)], tcp)),
            R::LongChain,
        ),
    ]
}

/// A random frame: 0-3 VLAN tags, IPv4 (options, fragments, AH) or IPv6 (up to six extension
/// headers of every kind) or another EtherType, every transport the parser knows and others,
/// payloads up to 1,500 bytes; one frame in three has one field broken (a cut, a length, a
/// version, IHL, data offset, the MAC's error flag).
pub fn random(rng: &mut Rng) -> Frame {
    let l4 = match rng.below(12) {
        0..=3 => L4::Tcp(
            rng.u32() as u16,
            rng.u32() as u16,
            rng.u32() as u8,
            5 + rng.pick(&[0, 0, 0, 1, 3, 10]),
            rng.below(64) as usize,
        ),
        4..=6 => L4::Udp(rng.u32() as u16, rng.u32() as u16, rng.below(100) as usize),
        7 | 8 => L4::Icmp(
            rng.pick(&[0, 3, 8, 11, 13, 17, 128, 129, 135, 1, 2]),
            rng.below(4) as u8,
            rng.u32() as u16,
        ),
        9 => L4::Ports(
            rng.pick(&[132, 136, 33]),
            rng.u32() as u16,
            rng.u32() as u16,
        ),
        10 => L4::Other(
            rng.pick(&[47, 50, 59, 89, 0, 43, 44, 60, 51]),
            rng.below(80) as usize,
        ),
        _ => L4::Other(rng.below(256) as u8, rng.below(1400) as usize),
    };
    let fragment = |rng: &mut Rng| match rng.below(8) {
        0 => (0, true),
        1 => (1 + rng.below(8000) as u16, rng.chance(500)),
        _ => (0, false),
    };
    let payload = match rng.below(10) {
        0..=4 => {
            let (fo, mf) = fragment(rng);
            let rest = if fo != 0 {
                vec![0x5a; rng.below(60) as usize]
            } else {
                transport(l4)
            };
            let (s, d) = (rng.u32(), rng.u32());
            if rng.chance(80) {
                ipv4_ah(s, d, rng.below(6) as u8, l4.proto(false), &rest)
            } else {
                ipv4(
                    s,
                    d,
                    rng.pick(&[0, 0, 0, 1, 3, 10]) as u8,
                    (fo, mf),
                    l4.proto(false),
                    &rest,
                )
            }
        }
        5..=8 => {
            let n = rng.pick(&[0, 0, 1, 1, 2, 3, 4, 5, 6]);
            let mut exts = Vec::new();
            for i in 0..n {
                let kind = if i == 0 {
                    rng.pick(&[0, 43, 44, 60, 51])
                } else {
                    rng.pick(&[43, 44, 60, 51])
                };
                let units = rng.pick(&[0, 0, 1, 2, 4, 8, 20]) as u8;
                exts.push(Ext {
                    kind,
                    units,
                    frag: fragment(rng),
                });
            }
            ipv6(
                rng.next_u64() as u128 | (rng.next_u64() as u128) << 64,
                rng.next_u64() as u128,
                &exts,
                l4.proto(true),
                &transport(l4),
            )
        }
        _ => (0..rng.below(100)).map(|_| rng.u32() as u8).collect(),
    };
    let ether_type = match rng.below(12) {
        0 => {
            let any = rng.u32() as u16;
            rng.pick(&[0x0806, 0x88cc, 0x8847, any])
        }
        _ if payload.first().is_some_and(|b| b >> 4 == 6) => 0x86dd,
        _ => 0x0800,
    };
    let tags: Vec<(u16, u16)> = (0..rng.pick(&[0, 0, 0, 0, 1, 1, 2, 3]))
        .map(|_| (rng.pick(&[0x8100, 0x88a8, 0x9100]), rng.u32() as u16))
        .collect();
    let mut bytes = ethernet(&tags, ether_type, &payload);
    let mut error = false;
    if rng.chance(333) {
        let l3 = 14 + 4 * tags.len();
        match rng.below(7) {
            0 => bytes.truncate(rng.below(bytes.len() as u32 + 1) as usize),
            1 if bytes.len() > l3 + 3 => bytes[l3 + 2 + rng.below(2) as usize] = rng.u32() as u8,
            2 if bytes.len() > l3 + 5 => bytes[l3 + 4 + rng.below(2) as usize] = rng.u32() as u8,
            3 if bytes.len() > l3 => bytes[l3] = rng.u32() as u8,
            4 => error = true,
            _ => {
                let at = rng.below(bytes.len() as u32) as usize;
                bytes[at] = rng.u32() as u8;
            }
        }
    }
    Frame { bytes, error }
}
