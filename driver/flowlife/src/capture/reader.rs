//! Format detection and the record type shared by the pcap and pcapng readers.

use std::io::Read;
use std::path::Path;

use super::{classic, ng};

/// Link-layer header types (the tcpdump LINKTYPE_* numbers) the decoder understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    Null,
    Ethernet,
    Raw,
    LinuxSll,
    LinuxSll2,
    Ipv4,
    Ipv6,
}

impl LinkType {
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

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Capture timestamp in nanoseconds since the epoch.
    pub ts_ns: u64,
    /// Length of the packet on the wire (may exceed `data.len()` when the capture was snapped).
    pub orig_len: u32,
    pub link: LinkType,
    pub data: Vec<u8>,
    /// Byte offset of the record in the file.
    pub offset: u64,
}

/// A capture that cannot be read, with the byte offset of the problem.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: byte offset {offset}: {msg}")]
    Corrupt {
        file: String,
        offset: u64,
        msg: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

/// Reads records one by one from a pcap or pcapng stream (detected from the magic number).
pub struct CaptureReader {
    inner: Inner,
    pub format: Format,
}

enum Inner {
    Classic(classic::Reader),
    Ng(ng::Reader),
}

/// Byte source with position tracking and exact-length reads that report where they failed.
pub(super) struct Src {
    r: Box<dyn Read>,
    pub pos: u64,
    pub file: String,
}

impl Src {
    /// Fills `buf` completely; `Ok(false)` at a clean end of file before the first byte.
    pub fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<bool, PcapError> {
        let start = self.pos;
        let mut got = 0;
        while got < buf.len() {
            match self.r.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(self.corrupt(
                        start,
                        format!("{what}: file ends after {got} of {} bytes", buf.len()),
                    ))
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(PcapError::Io {
                        file: self.file.clone(),
                        source,
                    })
                }
            }
        }
        self.pos += buf.len() as u64;
        Ok(true)
    }
    /// Like `fill`, but the end of file is an error too.
    pub fn need(&mut self, buf: &mut [u8], what: &str) -> Result<(), PcapError> {
        let at = self.pos;
        if self.fill(buf, what)? {
            Ok(())
        } else {
            Err(self.corrupt(at, format!("{what}: file ends here")))
        }
    }
    pub fn corrupt(&self, offset: u64, msg: String) -> PcapError {
        PcapError::Corrupt {
            file: self.file.clone(),
            offset,
            msg,
        }
    }
}

impl CaptureReader {
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
        let mut src = Src {
            r,
            pos: 0,
            file: name.to_string(),
        };
        let mut magic = [0u8; 4];
        if !src.fill(&mut magic, "file header")? {
            return Err(src.corrupt(0, "empty file: not a pcap or pcapng capture".into()));
        }
        let m = u32::from_le_bytes(magic);
        if m == ng::SHB_TYPE {
            Ok(CaptureReader {
                inner: Inner::Ng(ng::Reader::new(src)?),
                format: Format::PcapNg,
            })
        } else if let Some(r) = classic::Reader::new(src, magic)? {
            Ok(CaptureReader {
                inner: Inner::Classic(r),
                format: Format::Pcap,
            })
        } else {
            Err(PcapError::Corrupt {
                file: name.to_string(),
                offset: 0,
                msg: format!("magic number {m:#010x} is neither pcap (0xa1b2c3d4, 0xa1b23c4d) nor pcapng (0x0a0d0d0a)"),
            })
        }
    }

    /// The next record, `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Record>, PcapError> {
        match &mut self.inner {
            Inner::Classic(r) => r.next_record(),
            Inner::Ng(r) => r.next_record(),
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        match &self.inner {
            Inner::Classic(r) => r.src.pos,
            Inner::Ng(r) => r.src.pos,
        }
    }
}

impl Iterator for CaptureReader {
    type Item = Result<Record, PcapError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}
