//! pcapng: blocks of (type, total length, body, total length). Section headers set the byte
//! order; interface descriptions give each interface's link type and timestamp resolution;
//! enhanced, simple and obsolete packet blocks carry packets. Other blocks are skipped.

use super::classic::MAX_RECORD;
use super::reader::{LinkType, PcapError, Record, Src};

pub(super) const SHB_TYPE: u32 = 0x0A0D_0D0A;
const IDB_TYPE: u32 = 1;
const OPB_TYPE: u32 = 2;
const SPB_TYPE: u32 = 3;
const EPB_TYPE: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

struct Interface {
    link: Option<LinkType>,
    code: u32,
    snaplen: u32,
    /// Nanoseconds per timestamp unit numerator/denominator: ts_ns = ts * num / den.
    num: u128,
    den: u128,
    offset: u64,
}

pub(super) struct Reader {
    pub src: Src,
    big_endian: bool,
    interfaces: Vec<Interface>,
}

impl Reader {
    /// After the 4 magic bytes of the first section header block.
    pub fn new(src: Src) -> Result<Reader, PcapError> {
        let mut r = Reader {
            src,
            big_endian: false,
            interfaces: Vec::new(),
        };
        r.section_header(0)?;
        Ok(r)
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    fn u16(&self, b: &[u8]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        }
    }

    /// Reads the first section header after its type word (at offset 0).
    fn section_header(&mut self, offset: u64) -> Result<(), PcapError> {
        let mut len = [0u8; 4];
        self.src.need(&mut len, "pcapng section header")?;
        self.section_rest(offset, len)
    }

    /// The rest of a section header whose type and length words were read: the byte-order
    /// magic sets how the length and everything after it read.
    fn section_rest(&mut self, offset: u64, len_bytes: [u8; 4]) -> Result<(), PcapError> {
        let mut bom = [0u8; 4];
        self.src.need(&mut bom, "pcapng section header")?;
        self.big_endian = match (u32::from_le_bytes(bom), u32::from_be_bytes(bom)) {
            (BYTE_ORDER_MAGIC, _) => false,
            (_, BYTE_ORDER_MAGIC) => true,
            _ => {
                return Err(self.src.corrupt(
                    offset + 8,
                    format!(
                        "byte-order magic {:#010x} is not 0x1a2b3c4d",
                        u32::from_le_bytes(bom)
                    ),
                ))
            }
        };
        let len = self.u32(&len_bytes);
        if len < 28 || !len.is_multiple_of(4) || len > MAX_RECORD {
            return Err(self.src.corrupt(
                offset + 4,
                format!("section header length {len} is invalid"),
            ));
        }
        let mut rest = vec![0u8; len as usize - 12];
        self.src.need(&mut rest, "pcapng section header")?;
        let major = self.u16(&rest[0..2]);
        if major != 1 {
            return Err(self.src.corrupt(
                offset + 12,
                format!("pcapng major version {major} (only 1 exists)"),
            ));
        }
        self.trailer(&rest, len, offset)?;
        self.interfaces.clear();
        Ok(())
    }

    fn trailer(&self, body: &[u8], len: u32, offset: u64) -> Result<(), PcapError> {
        let t = self.u32(&body[body.len() - 4..]);
        if t != len {
            return Err(self.src.corrupt(
                offset + len as u64 - 4,
                format!("block trailer length {t} differs from its header length {len}"),
            ));
        }
        Ok(())
    }

    pub fn next_record(&mut self) -> Result<Option<Record>, PcapError> {
        loop {
            let offset = self.src.pos;
            let mut h = [0u8; 8];
            if !self.src.fill(&mut h, "pcapng block header")? {
                return Ok(None);
            }
            let raw_type = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            if raw_type == SHB_TYPE {
                self.section_rest(offset, [h[4], h[5], h[6], h[7]])?;
                continue;
            }
            let ty = self.u32(&h[0..4]);
            let len = self.u32(&h[4..8]);
            if len < 12 || !len.is_multiple_of(4) || len > MAX_RECORD {
                return Err(self.src.corrupt(
                    offset + 4,
                    format!("block of type {ty:#x} has invalid length {len}"),
                ));
            }
            let mut body = vec![0u8; len as usize - 8];
            self.src.need(&mut body, "pcapng block")?;
            self.trailer(&body, len, offset)?;
            let body = &body[..body.len() - 4];
            match ty {
                IDB_TYPE => self.interface(body, offset)?,
                EPB_TYPE | OPB_TYPE => return self.packet(body, offset, ty).map(Some),
                SPB_TYPE => return self.simple_packet(body, offset).map(Some),
                _ => {}
            }
        }
    }

    fn interface(&mut self, body: &[u8], offset: u64) -> Result<(), PcapError> {
        if body.len() < 8 {
            return Err(self
                .src
                .corrupt(offset, "interface description block too short".into()));
        }
        let code = self.u16(&body[0..2]) as u32;
        let snaplen = self.u32(&body[4..8]);
        let (mut num, mut den) = (1000u128, 1u128); // default resolution: microseconds
        let mut opts = &body[8..];
        let mut opt_off = offset + 16;
        while opts.len() >= 4 {
            let code_o = self.u16(&opts[0..2]);
            let olen = self.u16(&opts[2..4]) as usize;
            let padded = (olen + 3) & !3;
            if opts.len() < 4 + padded {
                return Err(self.src.corrupt(
                    opt_off,
                    format!("interface option {code_o} runs past its block"),
                ));
            }
            if code_o == 0 {
                break;
            }
            if code_o == 9 && olen >= 1 {
                let v = opts[4];
                let exp = (v & 0x7f) as u32;
                let (base, exp) = if v & 0x80 != 0 {
                    (2u128, exp)
                } else {
                    (10u128, exp)
                };
                if (base == 10 && exp > 18) || (base == 2 && exp > 63) {
                    return Err(self.src.corrupt(
                        opt_off + 4,
                        format!("timestamp resolution {v:#x} is out of range"),
                    ));
                }
                let units = base.pow(exp); // units per second
                num = 1_000_000_000;
                den = units;
            }
            opts = &opts[4 + padded..];
            opt_off += 4 + padded as u64;
        }
        self.interfaces.push(Interface {
            link: LinkType::from_code(code),
            code,
            snaplen,
            num,
            den,
            offset,
        });
        Ok(())
    }

    fn iface(&self, id: u32, offset: u64) -> Result<&Interface, PcapError> {
        let i = self.interfaces.get(id as usize).ok_or_else(|| {
            self.src.corrupt(
                offset + 8,
                format!(
                    "packet names interface {id}, but only {} are described",
                    self.interfaces.len()
                ),
            )
        })?;
        if i.link.is_none() {
            return Err(self.src.corrupt(i.offset + 8, format!("link-layer type {} of interface {id} is not supported (Ethernet, raw IP, Linux SLL/SLL2, BSD loopback are)", i.code)));
        }
        Ok(i)
    }

    fn packet(&self, body: &[u8], offset: u64, ty: u32) -> Result<Record, PcapError> {
        if body.len() < 20 {
            return Err(self.src.corrupt(offset, "packet block too short".into()));
        }
        let id = if ty == EPB_TYPE {
            self.u32(&body[0..4])
        } else {
            self.u16(&body[0..2]) as u32
        };
        let ts = (self.u32(&body[4..8]) as u64) << 32 | self.u32(&body[8..12]) as u64;
        let cap = self.u32(&body[12..16]) as usize;
        let orig = self.u32(&body[16..20]);
        if 20 + cap > body.len() {
            return Err(self.src.corrupt(
                offset + 20,
                format!(
                    "packet claims {cap} captured bytes but its block holds {}",
                    body.len() - 20
                ),
            ));
        }
        let i = self.iface(id, offset)?;
        Ok(Record {
            ts_ns: (ts as u128 * i.num / i.den) as u64,
            orig_len: orig.max(cap as u32),
            link: i.link.unwrap(),
            data: body[20..20 + cap].to_vec(),
            offset,
        })
    }

    fn simple_packet(&self, body: &[u8], offset: u64) -> Result<Record, PcapError> {
        if body.len() < 4 {
            return Err(self
                .src
                .corrupt(offset, "simple packet block too short".into()));
        }
        let orig = self.u32(&body[0..4]);
        let i = self.iface(0, offset)?;
        let mut cap = (orig as usize).min(body.len() - 4);
        if i.snaplen != 0 {
            cap = cap.min(i.snaplen as usize);
        }
        Ok(Record {
            ts_ns: 0,
            orig_len: orig,
            link: i.link.unwrap(),
            data: body[4..4 + cap].to_vec(),
            offset,
        })
    }
}
