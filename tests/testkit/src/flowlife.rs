//! Shared by the flowlife_* tests: a model NIC with a wire in front, synthetic traffic.

use std::path::PathBuf;

use gufc::backend::ModelBar;
use gufc::device::{Device, OpenOptions};
use gufc_flowlife::{
    self as flowlife, Arrival, Packet, ReplayError, ReplayOptions, ReplayReport, SlowPath, Speed,
    Wire,
};
use gufc_regmap::{Action, Key, TcamEntry};

/// The device of the flow-life tests: the model behind a [`Wire`].
pub type Dev = Device<Wire<ModelBar>>;

/// A reset model with 256 TCAM entries and `buckets` × `ways` flow slots.
pub fn device(buckets: u32, ways: u32) -> Dev {
    let config = gufc_hw_model::Config {
        tcam_entries: 256,
        flow_buckets: buckets,
        flow_ways: ways,
        ..Default::default()
    };
    let mut dev = Device::open(
        Wire::new(ModelBar::new(config).unwrap()),
        OpenOptions::default(),
    )
    .unwrap();
    dev.reset().unwrap();
    dev
}

/// Loads one rule that delivers every packet to `channel`.
pub fn accept_all(dev: &mut Dev, channel: u8) {
    dev.replace_rules(&[TcamEntry::match_all(0, Action::Deliver { channel })])
        .unwrap();
}

/// A shipped capture, `tests/data/pcap/<name>`.
pub fn pcap(name: &str) -> PathBuf {
    crate::data("pcap").join(name)
}

/// A packet at `ts_us` microseconds.
pub fn pkt(ts_us: u64, key: Key, flags: u8, len: u16) -> Packet {
    Packet {
        ts_ns: 1_000_000_000 + ts_us * 1000,
        key,
        tcp_flags: flags,
        len,
        vlan: false,
        snapped: false,
    }
}

/// Replays `pkts` (in time order) through `dev` and `slow`; panics on a replay error.
pub fn run(
    dev: &mut Dev,
    slow: &mut SlowPath,
    pkts: Vec<Packet>,
    speed: Speed,
    shutdown: bool,
) -> ReplayReport {
    let it = pkts
        .into_iter()
        .map(|p| Ok::<_, ReplayError>((Arrival::Packet(p), 0)));
    flowlife::run(
        dev,
        slow,
        it,
        ReplayOptions {
            speed,
            shutdown,
            ..ReplayOptions::default()
        },
    )
    .unwrap()
}

/// TCP flag SYN.
pub const SYN: u8 = 0x02;
/// TCP flag ACK.
pub const ACK: u8 = 0x10;
/// TCP flag FIN.
pub const FIN: u8 = 0x01;
/// TCP flag RST.
pub const RST: u8 = 0x04;

/// A TCP connection: handshake at `t0` µs, then `data` packets alternating directions 100 µs
/// apart, then FIN both ways (if `close`).
pub fn tcp_conn(k: Key, t0: u64, data: u32, close: bool) -> Vec<Packet> {
    let r = k.reversed();
    let mut v = vec![
        pkt(t0, k, SYN, 60),
        pkt(t0 + 100, r, SYN | ACK, 60),
        pkt(t0 + 200, k, ACK, 54),
    ];
    let mut t = t0 + 300;
    for i in 0..data {
        v.push(pkt(t, if i % 2 == 0 { k } else { r }, ACK, 100 + i as u16));
        t += 100;
    }
    if close {
        v.push(pkt(t, k, FIN | ACK, 54));
        v.push(pkt(t + 100, r, FIN | ACK, 54));
        v.push(pkt(t + 200, k, ACK, 54));
    }
    v
}

/// Several packet lists as one, in time order (stable for equal times).
pub fn merge(mut all: Vec<Packet>) -> Vec<Packet> {
    all.sort_by_key(|p| p.ts_ns);
    all
}
