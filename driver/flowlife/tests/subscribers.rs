//! Part 2: subscribers are asked about every tuple about to be cached, their answers combine
//! into what the entry carries, they can change their mind, and the two example subscribers
//! (byte accounting, port-scan detection) work on real captures.

use std::cell::RefCell;
use std::rc::Rc;

use gufc_flowlife::capture::CaptureReader;
use gufc_flowlife::{
    ByteAccounting, Config, Conn, Dir, HostPacket, Interest, InterestChange, Offload,
    PortScanDetector, ReplayOptions, SlowPath, Speed, Subscriber,
};
use gufc_regmap::Key;
use gufc_testkit::flowlife::*;

#[derive(Default)]
struct Log {
    cached: Vec<(Key, Dir)>,
    packets: Vec<Key>,
}

/// Answers `answer`, records what it was asked and shown, and changes its mind on request.
struct Recorder {
    answer: Interest,
    log: Rc<RefCell<Log>>,
    pending: Rc<RefCell<Vec<InterestChange>>>,
}

impl Subscriber for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn on_cache(&mut self, conn: &Conn, dir: Dir) -> Interest {
        self.log.borrow_mut().cached.push((conn.key(dir), dir));
        self.answer
    }
    fn on_packet(&mut self, _conn: Option<&Conn>, pkt: &HostPacket) {
        self.log.borrow_mut().packets.push(pkt.key);
    }
    fn take_changes(&mut self) -> Vec<InterestChange> {
        std::mem::take(&mut self.pending.borrow_mut())
    }
    fn report(&self) -> serde_json::Value {
        serde_json::json!({})
    }
}

type Shared<T> = Rc<RefCell<T>>;

fn recorder(answer: Interest) -> (Recorder, Shared<Log>, Shared<Vec<InterestChange>>) {
    let log = Rc::new(RefCell::new(Log::default()));
    let pending = Rc::new(RefCell::new(Vec::new()));
    (
        Recorder {
            answer,
            log: log.clone(),
            pending: pending.clone(),
        },
        log,
        pending,
    )
}

#[test]
fn every_tuple_about_to_be_cached_is_offered_to_every_subscriber() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config::default());
    s.subscribe(Box::new(ByteAccounting::default()));
    let (rec, log, _) = recorder(Interest::Nothing);
    s.subscribe(Box::new(rec));
    let a = Key::v4(1, 2, 6, 1000, 80);
    let b = Key::v4(1, 3, 17, 1001, 53);
    let pkts = merge(
        [
            tcp_conn(a, 0, 4, false),
            vec![
                pkt(10, b, 0, 80),
                pkt(90, b.reversed(), 0, 120),
                pkt(2000, b, 0, 80),
            ],
        ]
        .concat(),
    );
    let rep = run(&mut dev, &mut s, pkts, Speed::Scaled(1.0), false);
    assert_eq!(rep.flows_learned, 2);
    let mut cached = log.borrow().cached.clone();
    cached.sort();
    let mut want = vec![
        (a, Dir::Orig),
        (a.reversed(), Dir::Reply),
        (b, Dir::Orig),
        (b.reversed(), Dir::Reply),
    ];
    want.sort();
    assert_eq!(cached, want, "one call per tuple, nothing else");
    // Before caching every subscriber sees the packets; afterwards, with interest Nothing
    // and Count, none.
    assert_eq!(log.borrow().packets.len(), 5, "3 handshake + query + reply");
    assert_eq!(rep.cache_hits, 5);
    let (c, _) = s.lookup(&a).unwrap();
    assert_eq!(
        c.interests,
        vec![[Interest::Count; 2], [Interest::Nothing; 2]]
    );
}

#[test]
fn a_subscriber_needing_packets_gets_them_and_can_withdraw_its_interest() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config::default());
    let (rec, log, pending) = recorder(Interest::EveryPacket);
    s.subscribe(Box::new(rec));
    let k = Key::v4(7, 8, 6, 1000, 443);
    let rep = run(
        &mut dev,
        &mut s,
        tcp_conn(k, 0, 10, false),
        Speed::Scaled(1.0),
        false,
    );
    // Every one of the 13 packets reached the subscriber.
    assert_eq!(log.borrow().packets.len(), 13);
    assert_eq!(rep.lookups, 13);
    // The subscriber withdraws: the connection is cached at its next packet.
    pending.borrow_mut().push(InterestChange {
        key: k.reversed(),
        interest: Interest::Nothing,
    });
    let more: Vec<_> = (0..10)
        .map(|i| pkt(10_000 + i * 100, k, 0x10, 100))
        .collect();
    let rep = run(&mut dev, &mut s, more, Speed::Scaled(1.0), false);
    let (c, _) = s.lookup(&k).unwrap();
    assert_eq!(c.offload, Offload::Cached);
    assert_eq!(
        rep.cache_hits, 9,
        "after the packet that carried the change, all hit"
    );
    assert_eq!(log.borrow().packets.len(), 14);
}

#[test]
fn the_port_scan_detector_flags_the_scanner_in_the_shipped_capture() {
    let mut dev = device(1024, 8);
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config::default());
    s.subscribe(Box::new(PortScanDetector::default()));
    s.subscribe(Box::new(ByteAccounting::default()));
    let rep = gufc_flowlife::replay(
        &mut dev,
        &mut s,
        CaptureReader::open(&pcap("scan.pcap")).unwrap(),
        ReplayOptions::default(),
    )
    .unwrap();
    assert_eq!(
        rep.subscribers["portscan"]["scanners"],
        serde_json::json!(["198.51.100.66"])
    );
    // The scan's 200 attempts never complete a handshake: none of them was learned.
    let scanner: std::net::IpAddr = "198.51.100.66".parse().unwrap();
    assert!(s
        .table
        .conns
        .values()
        .filter(|c| c.key(Dir::Orig).src_ip() == scanner)
        .all(|c| !c.learned));
    assert!(rep.flows_learned > 0);
}

#[test]
fn a_flagged_source_loses_full_offload_of_connections_cached_before() {
    let mut dev = device(256, 8);
    accept_all(&mut dev, 0);
    let mut s = SlowPath::new(Config::default());
    s.subscribe(Box::new(PortScanDetector::new(20, 10_000_000_000)));
    let src = 0x0a00_0063;
    let early = Key::v4(src, 0xc000_0201, 6, 50000, 443);
    let mut pkts = tcp_conn(early, 0, 2, false);
    for p in 1..=25u16 {
        pkts.push(pkt(
            1000 + p as u64 * 10,
            Key::v4(src, 0xc000_0202, 6, 50001, p),
            SYN,
            60,
        ));
    }
    let rep = run(&mut dev, &mut s, merge(pkts), Speed::Scaled(1.0), false);
    assert_eq!(rep.flows_learned, 1);
    assert_eq!(
        rep.subscribers["portscan"]["scanners"],
        serde_json::json!(["10.0.0.99"])
    );
    // The detector changed its mind about the early connection: it now wants every packet,
    // which this device can only give by not caching the flow.
    let (c, _) = s.lookup(&early).unwrap();
    assert_eq!(c.interests[0], [Interest::EveryPacket; 2]);
    assert_ne!(c.offload, Offload::Cached);
    assert!(dev.flow_lookup(&early).unwrap().is_none());
    assert_eq!(s.stats.interest_changes, 1);
}
