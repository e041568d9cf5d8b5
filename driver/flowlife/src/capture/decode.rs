//! Frame decoding down to the flow key.
//!
//! etherparse slices the frame: Ethernet II with its VLAN tags (802.1Q, 802.1ad), IPv4 with
//! options and AH, IPv6 with hop-by-hop, routing, fragment, destination-options and AH
//! headers, and the TCP, UDP, ICMP and ICMPv6 headers, tolerating captures snapped after the
//! headers. What the flow key needs beyond a parser stays here: the link layers etherparse
//! does not slice leniently (Linux SLL/SLL2, BSD loopback, raw IP), stacks of more than three
//! VLAN tags, the first fragment's ports (etherparse stops at any fragment), the ports of
//! SCTP, UDP-Lite and DCCP, and ICMP mapped to ports.
//!
//! ICMP has no ports; the key carries `type << 8 | code` as the source port and, for query
//! messages (echo, timestamp, information, address mask), the identifier as the destination
//! port, so that an echo request and its reply are the two directions of one connection and
//! rules can still match ICMP types with a source-port range.

use etherparse::err::{packet::SliceError, tcp, Layer};
use etherparse::{
    EtherType, IpNumber, Ipv6ExtensionSlice, LaxIpPayloadSlice, LaxNetSlice, LaxSlicedPacket,
    TcpSlice, UdpSlice,
};
use gufc_regmap::Key;

use super::link::LinkType;

/// FIN in [`Frame::tcp_flags`] (byte 13 of the TCP header): the sender has no more data.
pub const TCP_FIN: u8 = 0x01;
/// SYN: opens a connection (with ACK: the server's answer).
pub const TCP_SYN: u8 = 0x02;
/// RST: aborts a connection or refuses one.
pub const TCP_RST: u8 = 0x04;
/// ACK: the acknowledgment number is valid (every segment after the first SYN).
pub const TCP_ACK: u8 = 0x10;

/// A frame that reached the transport header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Ports are 0 in a fragment other than the first.
    pub key: Key,
    /// TCP flags (0 for other protocols).
    pub tcp_flags: u8,
    /// Outermost VLAN ID, if tagged.
    pub vlan: Option<u16>,
    /// Wire length of the frame (saturated to 65535), as the key port's `len`.
    pub len: u16,
}

/// Why a frame has no key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// Neither IPv4 nor IPv6 (ARP, LLDP, …).
    NonIp,
    /// The capture ends before the headers the key needs.
    Truncated,
    /// The headers contradict themselves (IP version, header length).
    Malformed,
}

/// What [`decode`] made of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// An IPv4 or IPv6 packet with its flow key.
    Ip(Frame),
    /// A frame with no key, and why.
    Skip(Skip),
}

/// Decodes one captured frame; `orig_len` is its length on the wire.
pub fn decode(link: LinkType, data: &[u8], orig_len: u32) -> Decoded {
    match sliced(link, data).and_then(|(p, vlan)| frame(&p, vlan)) {
        Ok(mut f) => {
            f.len = orig_len.min(65535) as u16;
            Decoded::Ip(f)
        }
        Err(s) => Decoded::Skip(s),
    }
}

/// The frame sliced from its link layer on, with its outermost VLAN ID.
fn sliced(link: LinkType, data: &[u8]) -> Result<(LaxSlicedPacket<'_>, Option<u16>), Skip> {
    let be16 = |i: usize| match data.get(i..i + 2) {
        Some(b) => Ok(EtherType(u16::from_be_bytes([b[0], b[1]]))),
        None => Err(Skip::Truncated),
    };
    let (ether_type, rest) = match link {
        LinkType::Ethernet => {
            let mut p = LaxSlicedPacket::from_ethernet(data).map_err(|_| Skip::Truncated)?;
            let vlan = p.vlan_ids().first().map(|v| v.value());
            // etherparse takes three tags at most: peel deeper stacks.
            while p.net.is_none() && p.stop_err.is_none() && p.link_exts.is_full() {
                let Some(e) = p.ether_payload() else { break };
                p = LaxSlicedPacket::from_ether_type(e.ether_type, e.payload);
            }
            return Ok((p, vlan));
        }
        LinkType::LinuxSll => (be16(14)?, &data[16.min(data.len())..]),
        LinkType::LinuxSll2 => (be16(0)?, data.get(20..).ok_or(Skip::Truncated)?),
        LinkType::Null => {
            let fam = data.get(..4).ok_or(Skip::Truncated)?;
            // The address family in the capturing host's byte order.
            let fam = u32::from_le_bytes([fam[0], fam[1], fam[2], fam[3]]);
            let fam = if fam > 0xffff { fam.swap_bytes() } else { fam };
            match fam {
                2 => (EtherType::IPV4, &data[4..]),
                24 | 28 | 30 => (EtherType::IPV6, &data[4..]),
                _ => return Err(Skip::NonIp),
            }
        }
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => match data.first().map(|b| b >> 4) {
            Some(4) => (EtherType::IPV4, data),
            Some(6) => (EtherType::IPV6, data),
            Some(_) => return Err(Skip::NonIp),
            None => return Err(Skip::Truncated),
        },
    };
    Ok((LaxSlicedPacket::from_ether_type(ether_type, rest), None))
}

fn stopped(e: &SliceError) -> Skip {
    match e {
        SliceError::Len(_) => Skip::Truncated,
        _ => Skip::Malformed,
    }
}

fn frame(p: &LaxSlicedPacket<'_>, vlan: Option<u16>) -> Result<Frame, Skip> {
    match &p.stop_err {
        // `ports` reads the transport header itself and judges it on what the key needs
        // (etherparse also refuses, e.g., ICMP timestamps that are not 20 bytes long).
        Some((_, Layer::UdpHeader | Layer::UdpPayload | Layer::TcpHeader))
        | Some((_, Layer::Icmpv4 | Layer::Icmpv4Timestamp | Layer::Icmpv4TimestampReply))
        | Some((_, Layer::Icmpv6))
        | None => {}
        Some((e, _)) => return Err(stopped(e)),
    }
    let (mut key, payload, later_fragment) = match &p.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let (src, dst) = (
                u32::from_be_bytes(h.source()),
                u32::from_be_bytes(h.destination()),
            );
            // A later fragment's payload is data: its protocol is the header's, not what
            // etherparse finds in that data (an AH there is not one).
            let later = h.fragments_offset().value() != 0;
            let proto = if later {
                h.protocol()
            } else {
                ip.payload().ip_number
            };
            (Key::v4(src, dst, proto.0, 0, 0), ip.payload(), later)
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            // A later fragment carries the middle of the packet: what follows its fragment
            // header is data, not headers (etherparse walks on into it), so the protocol is
            // the fragment header's next header, as the NIC's parser takes it.
            let later = ip.extensions().clone().into_iter().find_map(|x| match x {
                Ipv6ExtensionSlice::Fragment(f) if f.fragment_offset().value() != 0 => {
                    Some(f.next_header())
                }
                _ => None,
            });
            let key = Key {
                src: u128::from_be_bytes(h.source()),
                dst: u128::from_be_bytes(h.destination()),
                proto: later.unwrap_or(ip.payload().ip_number).0,
                ipv6: true,
                ..Key::default()
            };
            (key, ip.payload(), later.is_some())
        }
        Some(LaxNetSlice::Arp(_)) | None => return Err(Skip::NonIp),
    };
    let tcp_flags = if later_fragment {
        0
    } else {
        ports(&mut key, payload)?
    };
    Ok(Frame {
        key,
        tcp_flags,
        vlan,
        len: 0,
    })
}

/// Fills the key's ports from the transport header; returns the TCP flags.
fn ports(key: &mut Key, payload: &LaxIpPayloadSlice<'_>) -> Result<u8, Skip> {
    let b = payload.payload;
    let mut flags = 0;
    (key.sport, key.dport) = match payload.ip_number {
        IpNumber::TCP => {
            let t = TcpSlice::from_slice(b).map_err(|e| match e {
                tcp::HeaderSliceError::Len(_) => Skip::Truncated,
                tcp::HeaderSliceError::Content(_) => Skip::Malformed,
            })?;
            flags = t.header_slice()[13];
            (t.source_port(), t.destination_port())
        }
        IpNumber::UDP => {
            let u = UdpSlice::from_slice_lax(b).map_err(|_| Skip::Truncated)?;
            (u.source_port(), u.destination_port())
        }
        // The first 8 bytes are all the key needs (etherparse's ICMP slices also refuse
        // messages whose length does not suit their type, e.g. timestamps not 20 bytes long).
        IpNumber::ICMP | IpNumber::IPV6_ICMP
            if (payload.ip_number == IpNumber::ICMP) != key.ipv6 =>
        {
            match b.get(..8) {
                Some(i) => icmp_ports(i[0], i[1], [i[4], i[5], i[6], i[7]], key.ipv6),
                None => return Err(Skip::Truncated),
            }
        }
        // Source and destination port lead these headers as in UDP.
        IpNumber::SCTP | IpNumber::UDP_LITE | IpNumber::DCCP => match b.get(..4) {
            Some(p) => (
                u16::from_be_bytes([p[0], p[1]]),
                u16::from_be_bytes([p[2], p[3]]),
            ),
            None => return Err(Skip::Truncated),
        },
        _ => (0, 0),
    };
    Ok(flags)
}

fn icmp_ports(ty: u8, code: u8, rest: [u8; 4], v6: bool) -> (u16, u16) {
    let id = if icmp_has_id(ty, v6) {
        u16::from_be_bytes([rest[0], rest[1]])
    } else {
        0
    };
    ((ty as u16) << 8 | code as u16, id)
}

/// ICMP query messages that carry an identifier (RFC 792, RFC 4443).
fn icmp_has_id(ty: u8, v6: bool) -> bool {
    if v6 {
        matches!(ty, 128 | 129)
    } else {
        matches!(ty, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
    }
}

/// The reply type of an ICMP query type, if it has one.
pub fn icmp_reply_type(ty: u8, v6: bool) -> Option<u8> {
    if v6 {
        match ty {
            128 => Some(129),
            _ => None,
        }
    } else {
        match ty {
            8 => Some(0),
            13 => Some(14),
            15 => Some(16),
            17 => Some(18),
            _ => None,
        }
    }
}
