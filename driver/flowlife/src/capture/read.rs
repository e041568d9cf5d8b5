//! Reading pcap and pcapng captures record by record.
//!
//! pcap-file parses and validates every record and block: byte order, µs/ns pcap timestamps,
//! pcapng sections, interfaces and their timestamp resolution and offset. This layer detects
//! the format, and cuts the stream into whole records before pcap-file sees them, so that an
//! error names the byte offset where the file is wrong and an absurd length field is refused
//! instead of read.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::{Block, PcapNgFormatError, PcapNgParseError, PcapNgParser};
use pcap_file::Endianness;

use super::link::LinkType;
use super::source::{PcapError, Source};

/// Largest record or block accepted; anything bigger means the file is corrupt (libpcap uses
/// 256 KiB for its own captures, we allow more for jumbo/TSO captures).
const MAX_RECORD: u32 = 16 << 20;
/// The pcapng section header block type, the same in either byte order.
const SECTION_HEADER: u32 = 0x0A0D_0D0A;
const PCAP_MAGICS: [u32; 2] = [0xa1b2_c3d4, 0xa1b2_3c4d];
const SUPPORTED: &str = "Ethernet, raw IP, Linux SLL/SLL2, BSD loopback are";

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Capture timestamp in nanoseconds since the epoch.
    pub ts_ns: u64,
    /// Length of the packet on the wire (may exceed `data.len()` when the capture was snapped).
    pub orig_len: u32,
    /// Link layer of `data`: the file's, or in pcapng the packet's interface's.
    pub link: LinkType,
    /// The captured bytes from the link-layer header on (fewer than `orig_len` if snapped).
    pub data: Vec<u8>,
}

/// Reads records one by one from a pcap or pcapng stream (told apart by the magic number).
pub struct CaptureReader {
    src: Source,
    format: Format,
}

enum Format {
    Pcap {
        parser: PcapParser,
        link: LinkType,
    },
    /// `None` until the first section header is read.
    PcapNg(Option<PcapNgParser>),
}

impl CaptureReader {
    /// Opens the capture at `path` (buffered) and reads its file header.
    pub fn open(path: &Path) -> Result<CaptureReader, PcapError> {
        let file = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|source| PcapError::Io {
            file: file.clone(),
            source,
        })?;
        CaptureReader::new(
            Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            &file,
        )
    }

    /// A reader over any byte stream; `name` is used in error messages.
    pub fn new(r: Box<dyn Read>, name: &str) -> Result<CaptureReader, PcapError> {
        let mut src = Source::new(r, name);
        let mut magic = [0u8; 4];
        if !src.fill(&mut magic, "file header")? {
            return Err(src.corrupt(0, "empty file: not a pcap or pcapng capture".into()));
        }
        let (le, be) = (u32::from_le_bytes(magic), u32::from_be_bytes(magic));
        src.unread(magic.to_vec());
        let format = if le == SECTION_HEADER {
            Format::PcapNg(None)
        } else if PCAP_MAGICS.contains(&le) || PCAP_MAGICS.contains(&be) {
            pcap_header(&mut src)?
        } else {
            return Err(src.corrupt(0, format!("magic number {le:#010x} is neither pcap (0xa1b2c3d4, 0xa1b23c4d) nor pcapng (0x0a0d0d0a)")));
        };
        Ok(CaptureReader { src, format })
    }

    /// The next record, `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Record>, PcapError> {
        match &mut self.format {
            Format::Pcap { parser, link } => pcap_record(&mut self.src, parser, *link),
            Format::PcapNg(parser) => pcapng_record(&mut self.src, parser),
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.src.pos
    }
}

impl Iterator for CaptureReader {
    type Item = Result<Record, PcapError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

fn pcap_header(src: &mut Source) -> Result<Format, PcapError> {
    let mut h = [0u8; 24];
    src.need(&mut h, "pcap file header")?;
    let (_, parser) = PcapParser::new(&h).map_err(|e| src.corrupt(0, chain(&e)))?;
    let header = parser.header();
    if header.version_major != 2 {
        let major = header.version_major;
        return Err(src.corrupt(4, format!("pcap version {major} (only version 2 exists)")));
    }
    // The upper bits of the link-type field carry FCS information.
    let code = u32::from(header.datalink) & 0xffff;
    let link = LinkType::from_code(code).ok_or_else(|| {
        src.corrupt(
            20,
            format!("link-layer type {code} is not supported ({SUPPORTED})"),
        )
    })?;
    Ok(Format::Pcap { parser, link })
}

fn u32_in(e: Endianness, b: &[u8]) -> u32 {
    let b = [b[0], b[1], b[2], b[3]];
    match e {
        Endianness::Big => u32::from_be_bytes(b),
        Endianness::Little => u32::from_le_bytes(b),
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// An error and its causes, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s += &format!(": {c}");
        cause = c.source();
    }
    s
}

fn pcap_record(
    src: &mut Source,
    parser: &PcapParser,
    link: LinkType,
) -> Result<Option<Record>, PcapError> {
    let offset = src.pos;
    let mut rec = vec![0u8; 16];
    if !src.fill(&mut rec, "pcap record header")? {
        return Ok(None);
    }
    let incl = u32_in(parser.header().endianness, &rec[8..12]);
    if incl > MAX_RECORD {
        return Err(src.corrupt(offset, format!("record claims {incl} captured bytes (more than {MAX_RECORD}): corrupt record header")));
    }
    rec.resize(16 + incl as usize, 0);
    src.need(&mut rec[16..], "pcap record data")?;
    let (ts, orig_len) = match parser.next_packet(&rec) {
        Ok((_, p)) => (p.timestamp(), p.orig_len()),
        Err(e) => return Err(src.corrupt(offset, chain(&e))),
    };
    rec.drain(..16);
    Ok(Some(Record {
        ts_ns: nanos(ts),
        orig_len,
        link,
        data: rec,
    }))
}

/// Reads whole blocks until one carries a packet.
fn pcapng_record(
    src: &mut Source,
    parser: &mut Option<PcapNgParser>,
) -> Result<Option<Record>, PcapError> {
    loop {
        let offset = src.pos;
        let endianness = parser.as_ref().map(|p| p.state().endianness());
        let Some(block) = pcapng_block(src, endianness)? else {
            return Ok(None);
        };
        let bad = |e: PcapNgParseError| match e {
            PcapNgParseError::InvalidFormat(PcapNgFormatError::BlockLengthMismatch(len, t)) => src
                .corrupt(
                    offset + len as u64 - 4,
                    format!("block trailer length {t} differs from its header length {len}"),
                ),
            e => src.corrupt(offset, chain(&e)),
        };
        let Some(p) = parser else {
            // Format detection saw a section header first.
            *parser = Some(PcapNgParser::new(&block).map_err(bad)?.1);
            continue;
        };
        let (iface, ts, orig_len, data) = match p.next_block(&block).map_err(bad)?.1 {
            Block::EnhancedPacket(b) => (b.interface_id, b.timestamp, b.original_len, b.data),
            Block::Packet(b) => (b.interface_id as u32, b.timestamp, b.original_len, b.data),
            Block::SimplePacket(b) => (0, Duration::ZERO, b.original_len, b.data),
            _ => continue,
        };
        // pcap-file has checked that the interface exists.
        let code = u32::from(p.interfaces()[iface as usize].linktype);
        let link = LinkType::from_code(code).ok_or_else(|| {
            src.corrupt(
                offset,
                format!("packet of interface {iface}, whose link-layer type {code} is not supported ({SUPPORTED})"),
            )
        })?;
        return Ok(Some(Record {
            ts_ns: nanos(ts),
            orig_len,
            link,
            data: data.into_owned(),
        }));
    }
}

/// One whole block: type, length, body and trailer. `endianness` is the current section's
/// (`None` before the first); a section header sets its own by its byte-order magic.
fn pcapng_block(
    src: &mut Source,
    endianness: Option<Endianness>,
) -> Result<Option<Vec<u8>>, PcapError> {
    let offset = src.pos;
    // The smallest block: type, length, trailer; for a section header, its byte-order magic.
    let mut b = vec![0u8; 12];
    if !src.fill(&mut b, "pcapng block header")? {
        return Ok(None);
    }
    let e = match (u32::from_le_bytes([b[0], b[1], b[2], b[3]]), endianness) {
        (SECTION_HEADER, _) | (_, None) => match u32::from_le_bytes([b[8], b[9], b[10], b[11]]) {
            0x1A2B_3C4D => Endianness::Little,
            0x4D3C_2B1A => Endianness::Big,
            m => {
                return Err(src.corrupt(
                    offset + 8,
                    format!("section header byte-order magic {m:#010x} is not 0x1a2b3c4d"),
                ))
            }
        },
        (_, Some(e)) => e,
    };
    let len = u32_in(e, &b[4..8]);
    if len > MAX_RECORD {
        return Err(src.corrupt(
            offset + 4,
            format!("block claims {len} bytes (more than {MAX_RECORD}): corrupt block header"),
        ));
    }
    // Shorter than 12 bytes: pcap-file says what is wrong.
    b.resize((len as usize).max(12), 0);
    src.need(&mut b[12..], "pcapng block")?;
    Ok(Some(b))
}
