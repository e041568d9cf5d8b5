//! The byte stream under a capture reader: exact-length reads that know their file offset, so
//! that a short or corrupt file is reported with its name and the byte offset of the problem.

use std::io::Read;

/// A capture that cannot be read, with the byte offset of the problem.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The path, or the name given to [`CaptureReader::new`](super::CaptureReader::new).
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The bytes are not a valid capture: wrong magic, a short or absurd record, a bad block.
    #[error("{file}: byte offset {offset}: {msg}")]
    Corrupt {
        /// The path, or the name given to [`CaptureReader::new`](super::CaptureReader::new).
        file: String,
        /// Where in the file the bad record, block or field starts.
        offset: u64,
        /// What is wrong there.
        msg: String,
    },
}

pub(super) struct Source {
    r: Box<dyn Read>,
    /// Offset of the next unread byte.
    pub pos: u64,
    file: String,
}

impl Source {
    pub fn new(r: Box<dyn Read>, file: &str) -> Source {
        Source {
            r,
            pos: 0,
            file: file.to_string(),
        }
    }

    /// Fills `buf` completely; `Ok(false)` at a clean end of file before its first byte.
    pub fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<bool, PcapError> {
        let mut got = 0;
        while got < buf.len() {
            match self.r.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(self.corrupt(
                        self.pos,
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

    /// Like [`Source::fill`], but the end of the file is an error too.
    pub fn need(&mut self, buf: &mut [u8], what: &str) -> Result<(), PcapError> {
        if self.fill(buf, what)? {
            Ok(())
        } else {
            Err(self.corrupt(self.pos, format!("{what}: file ends here")))
        }
    }

    /// Puts bytes already read back in front of the stream (the magic number, once the
    /// format is known), so that the format's reader sees the file from its start.
    pub fn unread(&mut self, bytes: Vec<u8>) {
        let rest = std::mem::replace(&mut self.r, Box::new(std::io::empty()));
        self.pos -= bytes.len() as u64;
        self.r = Box::new(std::io::Cursor::new(bytes).chain(rest));
    }

    pub fn corrupt(&self, offset: u64, msg: String) -> PcapError {
        PcapError::Corrupt {
            file: self.file.clone(),
            offset,
            msg,
        }
    }
}
