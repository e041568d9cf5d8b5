//! Capture writers over pcap-file: classic pcap with nanosecond timestamps, and pcapng with
//! one section and one interface of 1 ns resolution. Both write little-endian files.

use std::io::{self, Write};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapTsResolution};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption, InterfaceTsResolution,
};
use pcap_file::{DataLink, Endianness};

use super::link::LinkType;

/// Something packets can be written to.
pub trait CaptureWriter {
    /// Writes one packet: `data` as captured, `orig_len` its length on the wire.
    fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()>;
}

/// Writes a classic pcap file (magic 0xa1b23c4d: nanosecond timestamps).
pub struct PcapWriter<W: Write>(pcap_file::pcap::PcapWriter<W>);

impl<W: Write> PcapWriter<W> {
    /// Writes the file header; a packet with more than `snaplen` captured bytes is then
    /// refused, not cut.
    pub fn new(w: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let header = PcapHeader {
            snaplen,
            datalink: DataLink::from(link.code()),
            ts_resolution: PcapTsResolution::NanoSecond,
            endianness: Endianness::Little,
            ..PcapHeader::default()
        };
        let w = pcap_file::pcap::PcapWriter::with_header(w, header).map_err(io::Error::other)?;
        Ok(PcapWriter(w))
    }

    /// The underlying writer, e.g. the bytes of an in-memory capture.
    pub fn into_inner(self) -> W {
        self.0.into_inner()
    }
}

impl<W: Write> CaptureWriter for PcapWriter<W> {
    fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()> {
        let p = PcapPacket::new(Duration::from_nanos(ts_ns), orig_len, data)
            .map_err(io::Error::other)?;
        self.0.write_packet(&p).map_err(io::Error::other)?;
        Ok(())
    }
}

/// Writes a pcapng file: every packet an enhanced packet block on interface 0.
pub struct PcapNgWriter<W: Write>(pcap_file::pcapng::PcapNgWriter<W>);

impl<W: Write> PcapNgWriter<W> {
    /// Writes the section header and the one interface (`link`, `snaplen`, ns resolution).
    pub fn new(w: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let mut w = pcap_file::pcapng::PcapNgWriter::with_endianness(w, Endianness::Little)
            .map_err(io::Error::other)?;
        let mut idb = InterfaceDescriptionBlock::new(DataLink::from(link.code()), snaplen);
        idb.options.push(InterfaceDescriptionOption::IfTsResol(
            InterfaceTsResolution::NANO,
        ));
        w.write_pcapng_block(idb).map_err(io::Error::other)?;
        Ok(PcapNgWriter(w))
    }

    /// The underlying writer, e.g. the bytes of an in-memory capture.
    pub fn into_inner(self) -> W {
        self.0.into_inner()
    }
}

impl<W: Write> CaptureWriter for PcapNgWriter<W> {
    fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()> {
        let epb = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_nanos(ts_ns),
            original_len: orig_len,
            data: data.into(),
            options: Vec::new(),
        };
        self.0.write_pcapng_block(epb).map_err(io::Error::other)?;
        Ok(())
    }
}
