//! Packet captures: a reader for pcap and pcapng that names the byte offset of anything
//! corrupt, writers for both, and a frame decoder down to the 7-tuple and TCP flags.
//!
//! pcap-file reads and writes the formats and etherparse slices the frames; what is ours is
//! the framing that gives errors their place (`source`, `read`) and what the flow key
//! needs beyond a parser (`decode`). The modules depend one way: `read` and `write` on
//! `link`, `read` on `source`, `decode` on `link`.

mod decode;
mod link;
mod read;
mod source;
mod write;

pub use decode::{
    decode, icmp_reply_type, Decoded, Frame, Skip, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN,
};
pub use link::LinkType;
pub use read::{CaptureReader, Record};
pub use source::PcapError;
pub use write::{CaptureWriter, PcapNgWriter, PcapWriter};
