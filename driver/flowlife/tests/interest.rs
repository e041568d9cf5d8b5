//! Part 2 on a device whose flow entries carry the combined interest (FLOW_INTEREST): the
//! connection is cached, only the packets some subscriber needs reach the host, each with the
//! reason naming why, and a change of mind is one FLOW_SET_INTEREST per direction.

use std::cell::RefCell;
use std::rc::Rc;

use gufc::device::FlowInterest;
use gufc_flowlife::{
    Config, Conn, Dir, HostPacket, Interest, InterestChange, Offload, PortScanDetector, SlowPath,
    Speed, State, Subscriber, TcpState,
};
use gufc_regmap::{HitKind, Key};
use gufc_testkit::flowlife::*;

struct Want {
    name: &'static str,
    answer: Interest,
    seen: Rc<RefCell<Vec<(Key, u8)>>>,
    pending: Rc<RefCell<Vec<InterestChange>>>,
}

impl Subscriber for Want {
    fn name(&self) -> &str {
        self.name
    }
    fn on_cache(&mut self, _c: &Conn, _d: Dir) -> Interest {
        self.answer
    }
    fn on_packet(&mut self, _c: Option<&Conn>, p: &HostPacket) {
        if p.result.kind == HitKind::Flow {
            self.seen.borrow_mut().push((p.key, p.tcp_flags));
        }
    }
    fn take_changes(&mut self) -> Vec<InterestChange> {
        std::mem::take(&mut self.pending.borrow_mut())
    }
    fn report(&self) -> serde_json::Value {
        serde_json::json!({})
    }
}

type Shared<T> = Rc<RefCell<T>>;

type Handles = (
    Box<Want>,
    Shared<Vec<(Key, u8)>>,
    Shared<Vec<InterestChange>>,
);

fn want(name: &'static str, answer: Interest) -> Handles {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let pending = Rc::new(RefCell::new(Vec::new()));
    (
        Box::new(Want {
            name,
            answer,
            seen: seen.clone(),
            pending: pending.clone(),
        }),
        seen,
        pending,
    )
}

fn hw() -> SlowPath {
    SlowPath::new(Config {
        hw_interest: true,
        ..Config::default()
    })
}

/// A device accepting everything to channel 0, a slow path, and what its one subscriber saw.
type Setup = (
    Dev,
    SlowPath,
    Shared<Vec<(Key, u8)>>,
    Shared<Vec<InterestChange>>,
);

/// A device that accepts everything to channel 0, and a slow path with one subscriber.
fn subscribed(name: &'static str, answer: Interest) -> Setup {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 0);
    let mut s = hw();
    let (w, seen, pending) = want(name, answer);
    s.subscribe(w);
    (dev, s, seen, pending)
}

#[test]
fn every_packet_is_punted_with_its_reason_and_a_withdrawal_is_one_command_per_direction() {
    let (mut dev, mut s, seen, pending) = subscribed("ids", Interest::EveryPacket);
    let k = Key::v4(7, 8, 6, 1000, 443);
    let rep = run(
        &mut dev,
        &mut s,
        tcp_conn(k, 0, 10, false),
        Speed::Scaled(1.0),
        false,
    );
    assert_eq!(rep.flows_learned, 1);
    assert_eq!(s.lookup(&k).unwrap().0.offload, Offload::Cached);
    assert_eq!(
        rep.cache_hits, 10,
        "the flow entries decide the data packets"
    );
    assert_eq!(
        rep.slow_path.get("interest_all"),
        Some(&10),
        "and send each to the host, saying why"
    );
    assert_eq!(seen.borrow().len(), 10);
    for key in [k, k.reversed()] {
        assert_eq!(
            dev.flow_lookup(&key).unwrap().unwrap().interest,
            FlowInterest::All
        );
    }
    pending.borrow_mut().push(InterestChange {
        key: k,
        interest: Interest::Nothing,
    });
    let before = dev.flow_lookup(&k).unwrap().unwrap().packets;
    let more: Vec<_> = (0..10)
        .map(|i| {
            pkt(
                10_000 + i * 100,
                if i % 2 == 0 { k } else { k.reversed() },
                0x10,
                100,
            )
        })
        .collect();
    let rep = run(&mut dev, &mut s, more, Speed::Scaled(1.0), false);
    assert_eq!(
        rep.slow_path.get("interest_all"),
        Some(&1),
        "the packet that carried the change"
    );
    assert_eq!(rep.channels.get("0"), Some(&9));
    assert_eq!(s.stats.interest_changes, 1);
    for key in [k, k.reversed()] {
        assert_eq!(
            dev.flow_lookup(&key).unwrap().unwrap().interest,
            FlowInterest::None
        );
    }
    assert_eq!(
        dev.flow_lookup(&k).unwrap().unwrap().packets,
        before + 5,
        "counters kept: set, not rewritten"
    );
}

#[test]
fn samples_and_tcp_control_combine_and_each_subscriber_gets_its_share() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 0);
    let mut s = hw();
    let (a, seen_a, _) = want("sampler4", Interest::Sample(4));
    let (b, seen_b, _) = want("sampler6", Interest::Sample(6));
    s.subscribe(a);
    s.subscribe(b);
    let k = Key::v4(1, 2, 17, 5000, 6000);
    // One query, one reply (learned), then 24 more queries in the forward direction.
    let mut pkts = vec![pkt(0, k, 0, 80), pkt(100, k.reversed(), 0, 80)];
    pkts.extend((0..24).map(|i| pkt(1000 + i * 100, k, 0, 80)));
    let rep = run(&mut dev, &mut s, pkts, Speed::Scaled(1.0), false);
    assert_eq!(
        dev.flow_lookup(&k).unwrap().unwrap().interest,
        FlowInterest::Sample(2),
        "gcd(4, 6)"
    );
    assert_eq!(
        rep.slow_path.get("interest_sample"),
        Some(&12),
        "every 2nd of the 24 cached packets"
    );
    assert_eq!(
        seen_a.borrow().len(),
        6,
        "every 4th packet of the flow: the 2nd, 4th, … sample"
    );
    assert_eq!(seen_b.borrow().len(), 4, "every 6th");
}

#[test]
fn tcp_control_interest_lets_conntrack_see_the_close_of_a_cached_connection() {
    let (mut dev, mut s, seen, _) = subscribed("closer", Interest::TcpControl);
    let k = Key::v4(3, 4, 6, 2000, 80);
    let rep = run(
        &mut dev,
        &mut s,
        tcp_conn(k, 0, 8, true),
        Speed::Scaled(1.0),
        false,
    );
    assert_eq!(
        rep.cache_hits,
        8 + 2,
        "data and the two FINs hit the cache; the last ACK comes after removal"
    );
    assert_eq!(
        rep.slow_path.get("interest_ctrl"),
        Some(&2),
        "the FINs reach the host"
    );
    assert_eq!(
        seen.borrow().iter().map(|x| x.1).collect::<Vec<_>>(),
        vec![0x11, 0x11]
    );
    assert_eq!(s.lookup(&k).unwrap().0.state, State::Tcp(TcpState::Closed));
    assert!(
        dev.flow_lookup(&k).unwrap().is_none(),
        "closed: entries removed at once"
    );
}

#[test]
fn a_flagged_scanner_keeps_its_cached_connection_with_every_packet_to_the_host() {
    let mut dev = device(256, 8);
    accept_all(&mut dev, 0);
    let mut s = hw();
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
    pkts.push(pkt(5000, early, 0x10, 500));
    let rep = run(&mut dev, &mut s, merge(pkts), Speed::Scaled(1.0), false);
    assert_eq!(s.lookup(&early).unwrap().0.offload, Offload::Cached);
    assert_eq!(
        dev.flow_lookup(&early).unwrap().unwrap().interest,
        FlowInterest::All
    );
    assert_eq!(
        rep.slow_path.get("interest_all"),
        Some(&1),
        "the packet after flagging is watched"
    );
    assert_eq!(rep.subscribers["portscan"]["watched_packets"], 1);
}
