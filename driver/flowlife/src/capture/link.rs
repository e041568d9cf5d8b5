//! The link-layer header types (tcpdump's LINKTYPE_* numbers) the decoder understands.

/// A link-layer header type of a capture or pcapng interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    Null,
    /// Ethernet II, with any stack of 802.1Q/802.1ad VLAN tags (LINKTYPE_ETHERNET).
    Ethernet,
    /// Raw IP, version from the first nibble.
    Raw,
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL): 16-byte header, EtherType at byte 14.
    LinuxSll,
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20-byte header, EtherType at byte 0.
    LinuxSll2,
    /// IPv4 with no link header (LINKTYPE_IPV4); decoded like [`LinkType::Raw`].
    Ipv4,
    /// IPv6 with no link header (LINKTYPE_IPV6); decoded like [`LinkType::Raw`].
    Ipv6,
}

impl LinkType {
    /// `None` for link types the decoder does not handle.
    pub fn from_code(code: u32) -> Option<LinkType> {
        Some(match code {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            _ => return None,
        })
    }

    /// The LINKTYPE_* number the writers put in a file (101 for [`LinkType::Raw`]).
    pub fn code(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
        }
    }
}
