//! Classic libpcap files: a 24-byte file header, then records of a 16-byte header and data.
//! Either byte order, microsecond or nanosecond timestamps.

use super::reader::{LinkType, PcapError, Record, Src};

/// Largest record accepted; anything bigger means the file is corrupt (libpcap uses 256 KiB
/// for its own captures, we allow more for jumbo/TSO captures).
pub(super) const MAX_RECORD: u32 = 16 << 20;

pub(super) struct Reader {
    pub src: Src,
    big_endian: bool,
    nanos: bool,
    link: LinkType,
}

impl Reader {
    /// `None` if `magic` is not a pcap magic number.
    pub fn new(mut src: Src, magic: [u8; 4]) -> Result<Option<Reader>, PcapError> {
        let (big_endian, nanos) = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            _ => return Ok(None),
        };
        let mut h = [0u8; 20];
        src.need(&mut h, "pcap file header")?;
        let u32_at = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let major = if big_endian {
            u16::from_be_bytes([h[0], h[1]])
        } else {
            u16::from_le_bytes([h[0], h[1]])
        };
        if major != 2 {
            return Err(src.corrupt(4, format!("pcap version {major} (only version 2 exists)")));
        }
        let code = u32_at(16) & 0xffff; // upper bits carry FCS information
        let link = LinkType::from_code(code)
            .ok_or_else(|| src.corrupt(20, format!("link-layer type {code} is not supported (Ethernet, raw IP, Linux SLL/SLL2, BSD loopback are)")))?;
        Ok(Some(Reader {
            src,
            big_endian,
            nanos,
            link,
        }))
    }

    pub fn next_record(&mut self) -> Result<Option<Record>, PcapError> {
        let offset = self.src.pos;
        let mut h = [0u8; 16];
        if !self.src.fill(&mut h, "pcap record header")? {
            return Ok(None);
        }
        let be = self.big_endian;
        let u = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (sec, frac, incl, orig) = (u(0), u(4), u(8), u(12));
        if incl > MAX_RECORD {
            return Err(self.src.corrupt(offset, format!("record claims {incl} captured bytes (more than {MAX_RECORD}): corrupt record header")));
        }
        let limit = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        if frac >= limit {
            return Err(self.src.corrupt(
                offset + 4,
                format!("timestamp fraction {frac} is not below {limit}: corrupt record header"),
            ));
        }
        let mut data = vec![0u8; incl as usize];
        self.src.need(&mut data, "pcap record data")?;
        let ts_ns = sec as u64 * 1_000_000_000
            + if self.nanos {
                frac as u64
            } else {
                frac as u64 * 1000
            };
        Ok(Some(Record {
            ts_ns,
            orig_len: orig.max(incl),
            link: self.link,
            data,
            offset,
        }))
    }
}
