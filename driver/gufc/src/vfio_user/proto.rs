//! The vfio-user wire format: a 16-byte header, then a command's fixed fields (little endian),
//! then its data. Only what gufc's server and client exchange; field names follow the
//! specification so a reader can check them against it.

/// Header bytes before every message's payload.
pub const HEADER_LEN: usize = 16;
/// The largest message either side accepts (header included): far above any legal one
/// (a BAR0 access is at most the BAR's size), so a bigger claim is a broken peer.
pub const MAX_MESSAGE: u32 = 1 << 20;
/// The largest REGION_READ/WRITE data a server offers (`max_data_xfer_size`).
pub const MAX_DATA_XFER: u32 = 64 << 10;
/// File descriptors one message may carry (`max_msg_fds`).
pub const MAX_MSG_FDS: usize = 8;
/// The protocol version gufc speaks.
pub const VERSION: (u16, u16) = (0, 1);

/// Command numbers (vfio-user specification, "Commands").
pub mod cmd {
    /// Version and capability negotiation, the first message.
    pub const VERSION: u16 = 1;
    /// Adds a client memory region the device may reach by DMA.
    pub const DMA_MAP: u16 = 2;
    /// Removes DMA regions.
    pub const DMA_UNMAP: u16 = 3;
    /// Device flags, number of regions and interrupts.
    pub const DEVICE_GET_INFO: u16 = 4;
    /// One region's size and flags.
    pub const DEVICE_GET_REGION_INFO: u16 = 5;
    /// One interrupt index's vector count and flags.
    pub const DEVICE_GET_IRQ_INFO: u16 = 7;
    /// Eventfds for interrupt vectors.
    pub const DEVICE_SET_IRQS: u16 = 8;
    /// Reads bytes of a region.
    pub const REGION_READ: u16 = 9;
    /// Writes bytes of a region.
    pub const REGION_WRITE: u16 = 10;
    /// Resets the device.
    pub const DEVICE_RESET: u16 = 13;
}

/// Header flag bits.
pub mod flags {
    /// Message type field (bits 3:0).
    pub const TYPE_MASK: u32 = 0xf;
    /// Type: a command.
    pub const COMMAND: u32 = 0;
    /// Type: a reply.
    pub const REPLY: u32 = 1;
    /// The sender wants no reply.
    pub const NO_REPLY: u32 = 1 << 4;
    /// The reply reports an error; `error` holds the errno.
    pub const ERROR: u32 = 1 << 5;
}

/// VFIO region indices of a PCI device (linux/vfio.h).
pub mod region {
    /// BAR0: the register block.
    pub const BAR0: u32 = 0;
    /// BAR2: the MSI-X table and pending-bit array.
    pub const BAR2: u32 = 2;
    /// PCI configuration space.
    pub const CONFIG: u32 = 7;
    /// Regions a PCI device reports (BAR0..5, ROM, config, VGA).
    pub const COUNT: u32 = 9;
}

/// VFIO interrupt indices of a PCI device.
pub mod irq {
    /// MSI-X: one vector per channel.
    pub const MSIX: u32 = 2;
    /// Indices a PCI device reports (INTx, MSI, MSI-X, error, request).
    pub const COUNT: u32 = 5;
}

/// `vfio_device_info.flags`: a resettable PCI device.
pub const DEVICE_FLAGS_RESET: u32 = 1 << 0;
/// `vfio_device_info.flags`: a PCI device.
pub const DEVICE_FLAGS_PCI: u32 = 1 << 1;
/// `vfio_region_info.flags`: readable.
pub const REGION_READ: u32 = 1 << 0;
/// `vfio_region_info.flags`: writable.
pub const REGION_WRITE: u32 = 1 << 1;
/// `vfio_irq_info.flags`: vectors signal eventfds.
pub const IRQ_INFO_EVENTFD: u32 = 1 << 0;
/// DMA_MAP flags: the device may read / write the region.
pub const DMA_READ_WRITE: u32 = 0b11;
/// DMA_UNMAP flags: unmap every region (address and size zero).
pub const DMA_UNMAP_ALL: u32 = 1 << 1;

/// A message header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Pairs a reply with its command.
    pub id: u16,
    /// A [`cmd`] number.
    pub command: u16,
    /// Header plus payload, in bytes.
    pub size: u32,
    /// [`flags`] bits.
    pub flags: u32,
    /// An errno, in error replies.
    pub error: u32,
}

impl Header {
    /// Decodes 16 bytes.
    pub fn decode(b: &[u8; HEADER_LEN]) -> Header {
        Header {
            id: u16::from_le_bytes([b[0], b[1]]),
            command: u16::from_le_bytes([b[2], b[3]]),
            size: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            flags: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            error: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
        }
    }

    /// Encodes to 16 bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0; HEADER_LEN];
        b[0..2].copy_from_slice(&self.id.to_le_bytes());
        b[2..4].copy_from_slice(&self.command.to_le_bytes());
        b[4..8].copy_from_slice(&self.size.to_le_bytes());
        b[8..12].copy_from_slice(&self.flags.to_le_bytes());
        b[12..16].copy_from_slice(&self.error.to_le_bytes());
        b
    }

    /// A whole message: this header (its size set) and `payload`.
    pub fn message(mut self, payload: &[u8]) -> Vec<u8> {
        self.size = (HEADER_LEN + payload.len()) as u32;
        let mut m = self.encode().to_vec();
        m.extend_from_slice(payload);
        m
    }
}

/// Reads little-endian fields off a payload; running past its end is an error, never a panic.
pub struct Fields<'a> {
    rest: &'a [u8],
}

/// A payload shorter than its command's fixed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short;

impl<'a> Fields<'a> {
    /// Starts at the payload's first byte.
    pub fn new(payload: &'a [u8]) -> Self {
        Fields { rest: payload }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        if self.rest.len() < N {
            return Err(Short);
        }
        let (head, rest) = self.rest.split_at(N);
        self.rest = rest;
        Ok(head.try_into().expect("split at N"))
    }

    /// The next u16.
    pub fn u16(&mut self) -> Result<u16, Short> {
        self.take().map(u16::from_le_bytes)
    }

    /// The next u32.
    pub fn u32(&mut self) -> Result<u32, Short> {
        self.take().map(u32::from_le_bytes)
    }

    /// The next u64.
    pub fn u64(&mut self) -> Result<u64, Short> {
        self.take().map(u64::from_le_bytes)
    }

    /// What follows the fields read so far.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// Builds a payload field by field.
#[derive(Default)]
pub struct Out(pub Vec<u8>);

impl Out {
    /// Appends a u16.
    pub fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends a u32.
    pub fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends a u64.
    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends raw bytes.
    pub fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
}

/// The JSON a server sends with its VERSION reply.
pub fn server_capabilities() -> String {
    serde_json::json!({
        "capabilities": {
            "max_msg_fds": MAX_MSG_FDS,
            "max_data_xfer_size": MAX_DATA_XFER,
            "pgsizes": 4096,
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_fields_stop_at_the_end() {
        let h = Header {
            id: 0x1234,
            command: cmd::REGION_READ,
            size: 40,
            flags: flags::REPLY | flags::ERROR,
            error: 22,
        };
        assert_eq!(Header::decode(&h.encode()), h);
        let p = Out::default().u32(7).u64(9).0;
        let mut f = Fields::new(&p);
        assert_eq!((f.u32(), f.u64(), f.u16()), (Ok(7), Ok(9), Err(Short)));
    }
}
