//! Packet captures: a reader for pcap and pcapng (with the byte offset of anything corrupt),
//! writers for both, and a frame decoder down to the 7-tuple and TCP flags.
//!
//! Written here rather than taken from pcap-file/etherparse: the reader must name the byte
//! offset of a corrupt record, treat truncated and non-IP frames as data rather than errors,
//! and map ICMP to the key's port fields the way the flow cache needs; each is a few hundred
//! lines, with no dependency to track.

mod classic;
mod decode;
mod ng;
mod reader;
mod writer;

pub use decode::{
    decode, icmp_has_id, icmp_reply_type, Decoded, Frame, Skip, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN,
};
pub use reader::{CaptureReader, Format, LinkType, PcapError, Record};
pub use writer::{CaptureWriter, PcapNgWriter, PcapWriter};
