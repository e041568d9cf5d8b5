//! Frame decoding down to the flow key: link layer (Ethernet with any number of 802.1Q/802.1ad
//! tags, Linux SLL/SLL2, BSD loopback, raw IP), IPv4 (options, fragments), IPv6 (extension
//! headers, fragments), then TCP/UDP/SCTP/UDP-Lite/DCCP ports and ICMP/ICMPv6.
//!
//! ICMP has no ports; the key carries `type << 8 | code` as the source port and, for query
//! messages (echo, timestamp, information, address mask), the identifier as the destination
//! port, so that an echo request and its reply are the two directions of one connection and
//! rules can still match ICMP types with a source-port range.

use gufc_regmap::Key;

use super::reader::LinkType;

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_ACK: u8 = 0x10;

/// A frame that reached the transport header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    pub key: Key,
    /// TCP flags (0 for other protocols).
    pub tcp_flags: u8,
    /// Outermost VLAN ID, if tagged.
    pub vlan: Option<u16>,
    /// Wire length of the frame (saturated to 65535), as the key port's `len`.
    pub len: u16,
    /// Transport payload bytes according to the headers (not the capture).
    pub payload: u32,
    /// A non-first fragment: no transport header, ports are 0.
    pub fragment: bool,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Ip(Frame),
    Skip(Skip),
}

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86DD;

fn be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

/// Decodes one captured frame; `orig_len` is its length on the wire.
pub fn decode(link: LinkType, data: &[u8], orig_len: u32) -> Decoded {
    let len = orig_len.min(65535) as u16;
    let mut vlan = None;
    let (ethertype, rest) = match link {
        LinkType::Ethernet => {
            if data.len() < 14 {
                return Decoded::Skip(Skip::Truncated);
            }
            let mut et = be16(data, 12);
            let mut off = 14;
            while matches!(et, 0x8100 | 0x88A8 | 0x9100) {
                if data.len() < off + 4 {
                    return Decoded::Skip(Skip::Truncated);
                }
                vlan.get_or_insert(be16(data, off) & 0x0fff);
                et = be16(data, off + 2);
                off += 4;
            }
            (et, &data[off..])
        }
        LinkType::LinuxSll => {
            if data.len() < 16 {
                return Decoded::Skip(Skip::Truncated);
            }
            (be16(data, 14), &data[16..])
        }
        LinkType::LinuxSll2 => {
            if data.len() < 20 {
                return Decoded::Skip(Skip::Truncated);
            }
            (be16(data, 0), &data[20..])
        }
        LinkType::Null => {
            if data.len() < 4 {
                return Decoded::Skip(Skip::Truncated);
            }
            // The address family in the capturing host's byte order.
            let fam = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            let fam = if fam > 0xffff { fam.swap_bytes() } else { fam };
            match fam {
                2 => (ETH_IPV4, &data[4..]),
                24 | 28 | 30 => (ETH_IPV6, &data[4..]),
                _ => return Decoded::Skip(Skip::NonIp),
            }
        }
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => match data.first().map(|b| b >> 4) {
            Some(4) => (ETH_IPV4, data),
            Some(6) => (ETH_IPV6, data),
            Some(_) => return Decoded::Skip(Skip::NonIp),
            None => return Decoded::Skip(Skip::Truncated),
        },
    };
    let ip = match ethertype {
        ETH_IPV4 => ipv4(rest),
        ETH_IPV6 => ipv6(rest),
        _ => return Decoded::Skip(Skip::NonIp),
    };
    match ip {
        Ok(mut f) => {
            f.vlan = vlan;
            f.len = len;
            Decoded::Ip(f)
        }
        Err(s) => Decoded::Skip(s),
    }
}

fn ipv4(b: &[u8]) -> Result<Frame, Skip> {
    if b.is_empty() {
        return Err(Skip::Truncated);
    }
    if b[0] >> 4 != 4 {
        return Err(Skip::Malformed);
    }
    let ihl = (b[0] & 0x0f) as usize * 4;
    if ihl < 20 {
        return Err(Skip::Malformed);
    }
    if b.len() < 20 {
        return Err(Skip::Truncated);
    }
    let total = be16(b, 2) as usize;
    if total < ihl {
        return Err(Skip::Malformed);
    }
    if b.len() < ihl {
        return Err(Skip::Truncated);
    }
    let frag_off = be16(b, 6) & 0x1fff;
    let proto = b[9];
    let src = u32::from_be_bytes([b[12], b[13], b[14], b[15]]);
    let dst = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
    let key = Key::v4(src, dst, proto, 0, 0);
    let l4_len = (total - ihl) as u32;
    transport(key, proto, &b[ihl..], l4_len, frag_off != 0, false)
}

fn ipv6(b: &[u8]) -> Result<Frame, Skip> {
    if b.is_empty() {
        return Err(Skip::Truncated);
    }
    if b[0] >> 4 != 6 {
        return Err(Skip::Malformed);
    }
    if b.len() < 40 {
        return Err(Skip::Truncated);
    }
    let payload_len = be16(b, 4) as u32;
    let addr = |i: usize| u128::from_be_bytes(b[i..i + 16].try_into().unwrap());
    let (src, dst) = (addr(8), addr(24));
    let mut next = b[6];
    let mut off = 40usize;
    let mut fragment = false;
    // Extension headers: hop-by-hop, routing, fragment, destination options, AH, mobility.
    loop {
        match next {
            0 | 43 | 60 | 135 | 139 | 140 => {
                if b.len() < off + 2 {
                    return Err(Skip::Truncated);
                }
                let n = b[off];
                off += (b[off + 1] as usize + 1) * 8;
                next = n;
            }
            44 => {
                if b.len() < off + 8 {
                    return Err(Skip::Truncated);
                }
                let n = b[off];
                if be16(b, off + 2) >> 3 != 0 {
                    fragment = true;
                }
                off += 8;
                next = n;
            }
            51 => {
                if b.len() < off + 2 {
                    return Err(Skip::Truncated);
                }
                let n = b[off];
                off += (b[off + 1] as usize + 2) * 4;
                next = n;
            }
            _ => break,
        }
        if fragment {
            break;
        }
    }
    let key = Key {
        src,
        dst,
        ipv6: true,
        proto: next,
        ..Key::default()
    };
    let l4_len = payload_len.saturating_sub(off as u32 - 40);
    let rest = if off <= b.len() {
        &b[off..]
    } else {
        return Err(Skip::Truncated);
    };
    transport(key, next, rest, l4_len, fragment, true)
}

/// Fills ports/flags from the transport header. `l4_len` is the transport length from IP.
fn transport(
    mut key: Key,
    proto: u8,
    b: &[u8],
    l4_len: u32,
    fragment: bool,
    v6: bool,
) -> Result<Frame, Skip> {
    let mut flags = 0;
    let mut header = 0u32;
    if !fragment {
        match proto {
            6 => {
                if b.len() < 14 {
                    return Err(Skip::Truncated);
                }
                key.sport = be16(b, 0);
                key.dport = be16(b, 2);
                flags = b[13];
                header = ((b[12] >> 4) as u32 * 4).max(20);
            }
            17 | 132 | 136 | 33 => {
                if b.len() < 4 {
                    return Err(Skip::Truncated);
                }
                key.sport = be16(b, 0);
                key.dport = be16(b, 2);
                header = if proto == 132 { 12 } else { 8 };
            }
            1 | 58 if (proto == 1) != v6 => {
                if b.len() < 2 {
                    return Err(Skip::Truncated);
                }
                let (ty, code) = (b[0], b[1]);
                key.sport = (ty as u16) << 8 | code as u16;
                if icmp_has_id(ty, v6) {
                    if b.len() < 6 {
                        return Err(Skip::Truncated);
                    }
                    key.dport = be16(b, 4);
                }
                header = 8;
            }
            _ => {}
        }
    }
    Ok(Frame {
        key,
        tcp_flags: flags,
        vlan: None,
        len: 0,
        payload: l4_len.saturating_sub(header),
        fragment,
    })
}

/// ICMP query messages that carry an identifier (RFC 792, RFC 4443).
pub fn icmp_has_id(ty: u8, v6: bool) -> bool {
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
