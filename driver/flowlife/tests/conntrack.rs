//! Part 1: the slow path tracks connections and caches accepted ones, both directions or
//! neither, learned when the nf_flowtable convention says; the rules on the device decide.

use gufc_flowlife::capture::{CaptureReader, LinkType, PcapWriter};
use gufc_flowlife::{
    ByteAccounting, Config, Offload, ReplayOptions, SlowPath, Speed, State, TcpState,
};
use gufc_regmap::{Action, HitKind, Key, TcamEntry};
use gufc_testkit as pcap;
use gufc_testkit::flowlife::*;
use gufc_testkit::GenOptions;

fn slow() -> SlowPath {
    SlowPath::new(Config::default())
}

#[test]
fn a_tcp_connection_is_cached_at_handshake_completion_in_both_directions() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 3);
    let mut s = slow();
    let k = Key::v4(0x0a00_0001, 0xc000_020a, 6, 40000, 443);
    let rep = run(
        &mut dev,
        &mut s,
        tcp_conn(k, 0, 10, false),
        Speed::Scaled(1.0),
        false,
    );
    assert_eq!(rep.flows_learned, 1);
    // The three handshake packets went through the rule; the 10 data packets hit the cache.
    assert_eq!(rep.cache_hits, 10, "{rep:?}");
    assert_eq!(rep.channels.get("3"), Some(&13));
    let (c, _) = s.lookup(&k).unwrap();
    assert_eq!(c.state, State::Tcp(TcpState::Established));
    assert_eq!(c.offload, Offload::Cached);
    for key in [k, k.reversed()] {
        let f = dev
            .flow_lookup(&key)
            .unwrap()
            .expect("both directions cached");
        assert_eq!(f.action, Action::Deliver { channel: 3 });
        assert_eq!(f.packets, 5, "each direction decided 5 data packets");
    }
    assert_eq!(dev.flow_count(), Some(2));
}

#[test]
fn udp_and_icmp_are_learned_at_the_first_reply_and_unanswered_ones_never() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 0);
    let mut s = slow();
    let q = Key::v4(0x0a00_0002, 0xc000_0235, 17, 5353, 53);
    let lonely = Key::v4(0x0a00_0003, 0xc000_0235, 17, 5354, 53);
    let echo = Key {
        sport: 8 << 8,
        dport: 0x1234,
        ..Key::v4(0x0a00_0002, 0xc000_0201, 1, 0, 0)
    };
    let reply = Key {
        sport: 0,
        dport: 0x1234,
        ..echo.reversed()
    };
    let pkts = merge(vec![
        pkt(0, q, 0, 70),
        pkt(50, lonely, 0, 70),
        pkt(100, q.reversed(), 0, 120),
        pkt(200, q, 0, 70),
        pkt(300, echo, 0, 98),
        pkt(400, reply, 0, 98),
        pkt(500, echo, 0, 98),
        pkt(600, reply, 0, 98),
    ]);
    let rep = run(&mut dev, &mut s, pkts, Speed::Scaled(1.0), false);
    assert_eq!(rep.flows_learned, 2);
    assert_eq!(
        rep.cache_hits, 3,
        "the later query and the second echo pair"
    );
    assert!(
        dev.flow_lookup(&reply).unwrap().is_some(),
        "the echo reply key (type 0) is cached"
    );
    assert!(dev.flow_lookup(&lonely).unwrap().is_none());
    assert_eq!(s.lookup(&lonely).unwrap().0.state, State::Unreplied);
}

#[test]
fn the_device_rules_decide_new_connections() {
    let mut dev = device(64, 4);
    // ssh dropped by the device, https via the slow path's learn reason, rest to channel 2.
    let ssh = TcamEntry {
        value: [0, 0, 0, 0, 0, 0, 0, 0, 6, 0],
        mask: [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0],
        dport: (22, 22),
        ..TcamEntry::match_all(10, Action::Drop)
    };
    let https = TcamEntry {
        dport: (443, 443),
        action: Action::SlowPath { reason: 16 },
        ..ssh
    };
    let blocked = TcamEntry {
        dport: (8080, 8080),
        action: Action::SlowPath { reason: 17 },
        ..ssh
    };
    dev.replace_rules(&[
        ssh,
        https,
        blocked,
        TcamEntry::match_all(0, Action::Deliver { channel: 2 }),
    ])
    .unwrap();
    let mut s = SlowPath::new(Config {
        accept_channel: 5,
        ..Config::default()
    });
    let k22 = Key::v4(1, 2, 6, 1000, 22);
    let k443 = Key::v4(1, 2, 6, 1001, 443);
    let k80 = Key::v4(1, 2, 6, 1002, 80);
    let k8080 = Key::v4(1, 2, 6, 1003, 8080);
    let pkts = merge(
        [
            tcp_conn(k22, 0, 4, false),
            tcp_conn(k443, 10, 4, false),
            tcp_conn(k80, 20, 4, false),
            tcp_conn(k8080, 30, 4, false),
        ]
        .concat(),
    );
    let rep = run(&mut dev, &mut s, pkts, Speed::Scaled(1.0), false);
    assert_eq!(rep.dropped, 4, "ssh's forward packets never reach the host");
    assert_eq!(
        s.stats.untracked, 3,
        "its replies (channel 2 by the default rule) open nothing"
    );
    assert!(s.lookup(&k22).is_none());
    assert_eq!(
        dev.flow_lookup(&k443).unwrap().unwrap().action,
        Action::Deliver { channel: 5 }
    );
    assert_eq!(
        dev.flow_lookup(&k80).unwrap().unwrap().action,
        Action::Deliver { channel: 2 }
    );
    assert!(
        dev.flow_lookup(&k8080).unwrap().is_none(),
        "reason 17 keeps the connection on the host"
    );
    assert_eq!(rep.flows_learned, 2);
    // The https handshake punts: its 2 forward packets (SYN, ACK) by rule reason 16, and the
    // SYN-ACK too (the rule matches dport 443 only, the reply goes to the default rule).
    assert_eq!(rep.slow_path.get("16"), Some(&2));
    assert_eq!(
        rep.slow_path.get("17"),
        Some(&4),
        "every forward packet of the 8080 connection"
    );
    assert_eq!(
        rep.host_consumed, 7,
        "all 7 packets of the 8080 connection stay the host's"
    );
}

#[test]
fn shipped_captures_learn_exactly_the_connections_the_generator_made() {
    for (name, ng, opts) in [
        ("mixed.pcap", false, GenOptions::default()),
        (
            "mixed.pcapng",
            true,
            GenOptions {
                seed: 2,
                ..GenOptions::default()
            },
        ),
    ] {
        let _ = ng;
        let mut sink = PcapWriter::new(std::io::sink(), LinkType::Ethernet, 65535).unwrap();
        let sum = pcap::generate(&opts, &mut sink).unwrap();
        let mut dev = device(1024, 8);
        accept_all(&mut dev, 0);
        let mut s = slow();
        s.subscribe(Box::new(ByteAccounting::default()));
        let rep = gufc_flowlife::replay(
            &mut dev,
            &mut s,
            CaptureReader::open(&pcap(name)).unwrap(),
            ReplayOptions::default(),
        )
        .unwrap();
        assert_eq!(rep.packets_total, sum.records, "{name}");
        assert_eq!(
            (rep.non_ip, rep.truncated, rep.malformed),
            (sum.non_ip, sum.truncated, 0),
            "{name}"
        );
        assert_eq!(rep.lookups, sum.ip_packets);
        assert_eq!(rep.flows_learned, sum.learnable(), "{name}: {:?}", rep.host);
        assert_eq!(
            rep.channels.get("0"),
            Some(&sum.ip_packets),
            "accept-all delivers every IP packet to channel 0"
        );
        assert!(rep.cache_hits > 0);
        // Accounting saw every byte exactly once: before caching on the host, after it in
        // the flow entries' counters handed over at shutdown.
        let bytes: u64 = {
            let r = CaptureReader::open(&pcap(name)).unwrap();
            r.map(|x| x.unwrap())
                .filter_map(|rec| {
                    match gufc_flowlife::capture::decode(rec.link, &rec.data, rec.orig_len) {
                        gufc_flowlife::capture::Decoded::Ip(f) => Some(f.len as u64),
                        _ => None,
                    }
                })
                .sum()
        };
        assert_eq!(rep.subscribers["accounting"]["bytes"], bytes, "{name}");
        assert_eq!(
            rep.subscribers["accounting"]["packets"], sum.ip_packets,
            "{name}"
        );
    }
}

#[test]
fn packets_already_in_flight_when_a_flow_is_learned_do_not_learn_it_twice() {
    let mut dev = device(64, 4);
    accept_all(&mut dev, 0);
    let mut s = slow();
    let k = Key::v4(5, 6, 6, 7, 8);
    // Back to back: many packets are in the pipeline while the entries are written.
    let rep = run(
        &mut dev,
        &mut s,
        tcp_conn(k, 0, 200, true),
        Speed::Max,
        false,
    );
    assert_eq!(rep.flows_learned, 1);
    assert_eq!(s.stats.new_connections, 1);
    assert!(
        rep.cache_hits > 0 && rep.cache_hits < 200,
        "{}",
        rep.cache_hits
    );
    let hits_kinds = rep.lookups - rep.cache_hits;
    assert_eq!(
        hits_kinds, s.stats.packets,
        "the host saw exactly the uncached packets"
    );
    let _ = HitKind::Flow;
}
