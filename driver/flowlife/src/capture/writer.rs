//! Capture writers: classic pcap (nanosecond timestamps) and pcapng (one section, one
//! interface with 1 ns resolution). Both write little-endian files.

use std::io::{self, Write};

use super::reader::LinkType;

/// Something packets can be written to.
pub trait CaptureWriter {
    /// Writes one packet: `data` as captured, `orig_len` its length on the wire.
    fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()>;
}

pub struct PcapWriter<W: Write> {
    w: W,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut w: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        w.write_all(&0xa1b2_3c4du32.to_le_bytes())?; // nanosecond pcap
        w.write_all(&2u16.to_le_bytes())?;
        w.write_all(&4u16.to_le_bytes())?;
        w.write_all(&[0u8; 8])?;
        w.write_all(&snaplen.to_le_bytes())?;
        w.write_all(&link.code().to_le_bytes())?;
        Ok(PcapWriter { w })
    }
    pub fn into_inner(self) -> W {
        self.w
    }
}

impl<W: Write> CaptureWriter for PcapWriter<W> {
    fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()> {
        let sec = (ts_ns / 1_000_000_000) as u32;
        let ns = (ts_ns % 1_000_000_000) as u32;
        for v in [sec, ns, data.len() as u32, orig_len] {
            self.w.write_all(&v.to_le_bytes())?;
        }
        self.w.write_all(data)
    }
}

pub struct PcapNgWriter<W: Write> {
    w: W,
}

fn block(w: &mut impl Write, ty: u32, body: &[u8]) -> io::Result<()> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    w.write_all(&ty.to_le_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(body)?;
    w.write_all(&[0u8; 3][..pad])?;
    w.write_all(&len.to_le_bytes())
}

impl<W: Write> PcapNgWriter<W> {
    pub fn new(mut w: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
        block(&mut w, 0x0A0D_0D0A, &shb)?;
        let mut idb = Vec::new();
        idb.extend_from_slice(&(link.code() as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snaplen.to_le_bytes());
        // if_tsresol = 9: nanoseconds; then opt_endofopt.
        idb.extend_from_slice(&9u16.to_le_bytes());
        idb.extend_from_slice(&1u16.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 0, 0]);
        idb.extend_from_slice(&[0u8; 4]);
        block(&mut w, 1, &idb)?;
        Ok(PcapNgWriter { w })
    }
    pub fn into_inner(self) -> W {
        self.w
    }
}

impl<W: Write> CaptureWriter for PcapNgWriter<W> {
    fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()> {
        let mut epb = Vec::with_capacity(20 + data.len());
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts_ns as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&orig_len.to_le_bytes());
        epb.extend_from_slice(data);
        block(&mut self.w, 6, &epb)
    }
}
