//! The packet path against the host-key path (docs/nic.md): every frame of the test captures,
//! fed into the NIC model's receive port, is parsed on the NIC, classified and delivered by DMA
//! into the receive queue the rules name — the same decision the host decoder's key gets from a
//! PROBE of a 2.0 model with the same rules. Frames the host decoder cannot key go to the slow
//! path with a parser reason. The bytes in each buffer are the frame's.

use std::collections::BTreeMap;
use std::path::Path;

use gufc::backend::nic::HostMemory;
use gufc::backend::{Model2Bar, NicModel};
use gufc::device::{Device, OpenOptions};
use gufc_flowlife::capture::{decode, CaptureReader, Decoded};
use gufc_flowlife::frames::{ethernet, replay_frames, Delivered, FrameReplayOptions};
use gufc_hw_model::v2::nic::NicConfig;
use gufc_hw_model::v2::top::TopConfig;
use gufc_regmap::word::{Cmpl0, Cmpl1};
use gufc_regmap::{key, Action, ParseReason, TcamEntry, Verdict};

const CHANNELS: u8 = 4;

fn config() -> gufc_hw_model::Config {
    gufc_hw_model::Config {
        tcam_entries: 64,
        flow_buckets: 16,
        flow_ways: 2,
        channels: CHANNELS as u32,
        ..Default::default()
    }
}

fn proto(p: u8, prio: u16, action: Action) -> TcamEntry {
    let mut e = TcamEntry::match_all(prio, action);
    e.value[key::META] = p as u32;
    e.mask[key::META] = 0xff;
    e
}

/// TCP to port 22 dropped, TCP to channel 1, UDP to 2, ICMP to the slow path (reason 20),
/// the rest to channel 0.
fn rules() -> Vec<TcamEntry> {
    let mut ssh = proto(6, 100, Action::Drop);
    ssh.dport = (22, 22);
    vec![
        ssh,
        proto(6, 50, Action::Deliver { channel: 1 }),
        proto(17, 50, Action::Deliver { channel: 2 }),
        proto(1, 50, Action::SlowPath { reason: 20 }),
        TcamEntry::match_all(0, Action::Deliver { channel: 0 }),
    ]
}

/// What a frame should become: its queue (None: dropped) and, on the slow path, whether a
/// parser reason sent it there.
fn expected(
    probe: &mut Device<Model2Bar>,
    rec: &gufc_flowlife::capture::Record,
) -> (Option<u8>, bool) {
    match decode(rec.link, &rec.data, rec.orig_len) {
        Decoded::Ip(f) => {
            let r = probe.probe_flags(&f.key, f.len, f.tcp_flags).unwrap();
            let q = match r.action {
                Action::Deliver { channel } => Some(channel),
                Action::Drop => None,
                Action::SlowPath { .. } => Some(CHANNELS),
            };
            (q, false)
        }
        Decoded::Skip(_) => (Some(CHANNELS), true),
    }
}

/// The NIC model behind the driver, reset, with `rules`.
fn nic_device(rules: &[TcamEntry]) -> Device<NicModel> {
    let nic = NicConfig {
        top: TopConfig::sized(&config()),
        ..NicConfig::default()
    };
    let mut dev = Device::open(
        NicModel::new(nic, HostMemory::new(1 << 32, 8 << 20)),
        OpenOptions::default(),
    )
    .unwrap();
    dev.reset().unwrap();
    dev.replace_rules(rules).unwrap();
    dev
}

fn check(capture: &str) -> BTreeMap<String, u64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/pcap")
        .join(capture);
    let mut dev = nic_device(&rules());
    let mut probe =
        Device::open(Model2Bar::new(config()).unwrap(), OpenOptions::default()).unwrap();
    probe.reset().unwrap();
    probe.replace_rules(&rules()).unwrap();

    let mut got: BTreeMap<u32, Delivered> = BTreeMap::new();
    let reader = CaptureReader::open(&path).unwrap();
    let rep = replay_frames(
        &mut dev,
        reader,
        &FrameReplayOptions::default(),
        None,
        &mut |d| {
            assert!(
                got.insert(d.cmpl[6], d.clone()).is_none(),
                "seq {} twice",
                d.cmpl[6]
            );
        },
    )
    .unwrap();

    let mut reader = CaptureReader::open(&path).unwrap();
    let mut seq = 0u32;
    let mut outcomes = BTreeMap::new();
    while let Some(rec) = reader.next_record().unwrap() {
        let Some(frame) = ethernet(&rec) else {
            continue;
        };
        let (want, by_parser) = expected(&mut probe, &rec);
        let d = got.get(&seq);
        assert_eq!(d.map(|d| d.queue), want, "{capture}: frame {seq}");
        if let Some(d) = d {
            let w0 = Cmpl0::from_raw(d.cmpl[0]);
            let w1 = Cmpl1::from_raw(d.cmpl[1]);
            assert_eq!(w0.len() as usize, frame.len(), "{capture}: frame {seq} LEN");
            assert_eq!(d.bytes, frame, "{capture}: frame {seq}: the buffer's bytes");
            let parsed = w1.parse_reason() == Ok(ParseReason::None);
            assert_eq!(
                !parsed,
                by_parser,
                "{capture}: frame {seq}: parser reason {:?}",
                w1.parse_reason()
            );
            if d.queue == CHANNELS {
                assert_eq!(w0.verdict(), Ok(Verdict::SlowPath));
            }
        }
        let name = match (want, by_parser) {
            (None, _) => "dropped".to_string(),
            (Some(CHANNELS), true) => "slow path (parser)".into(),
            (Some(CHANNELS), false) => "slow path (rules)".into(),
            (Some(c), _) => format!("channel {c}"),
        };
        *outcomes.entry(name).or_default() += 1;
        seq += 1;
    }
    assert_eq!(rep.frames_in, seq as u64);
    assert_eq!(
        got.len() as u64 + outcomes.get("dropped").copied().unwrap_or(0),
        seq as u64
    );
    assert_eq!(
        rep.dropped.get("rule").copied().unwrap_or(0),
        outcomes.get("dropped").copied().unwrap_or(0)
    );
    println!("{capture}: {outcomes:?}");
    outcomes
}

#[test]
fn mixed_pcap_frames_reach_the_queues_the_host_keys_name() {
    let o = check("mixed.pcap");
    // Channels 1 and 2, drops, the slow path by rule (ICMP, IPv6: a miss on 2.0) and by parser.
    assert_eq!(o.len(), 5, "{o:?}");
}

#[test]
fn mixed_pcapng_frames_reach_the_queues_the_host_keys_name() {
    check("mixed.pcapng");
}

#[test]
fn scan_pcap_frames_reach_the_queues_the_host_keys_name() {
    check("scan.pcap");
}

/// The flow life cycle on the packet path: the conntrack slow path reads what the host receives
/// from the NIC's queues and learns connections into its flow cache. Its counters, its
/// subscribers' reports and the connections it learned equal the host-key replay's on a 2.0
/// model with the same rules (the built-in accept-all rule and one that punts TCP to port 22 to
/// conntrack with the learn reason).
fn same_flow_life(capture: &str) {
    use gufc_flowlife::session::{open_wired, slow_path};
    use gufc_flowlife::{Eviction, ReplayOptions};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/pcap")
        .join(capture);
    let mut punt22 = proto(6, 10, Action::SlowPath { reason: 16 });
    punt22.dport = (22, 22);
    let rules = [
        punt22,
        TcamEntry::match_all(0, Action::Deliver { channel: 0 }),
    ];

    let sim = Box::new(Model2Bar::new(config()).unwrap());
    let mut keyed = open_wired(sim, OpenOptions::default(), Some(&rules), &[]).unwrap();
    let mut slow_k = slow_path(16, 0, Eviction::Refuse, true);
    let reader = CaptureReader::open(&path).unwrap();
    let opts = ReplayOptions {
        shutdown: false,
        ..ReplayOptions::default()
    };
    let rep_k = gufc_flowlife::replay(&mut keyed, &mut slow_k, reader, opts).unwrap();

    let mut dev = nic_device(&rules);
    let mut slow_f = slow_path(16, 0, Eviction::Refuse, true);
    let reader = CaptureReader::open(&path).unwrap();
    let rep_f = replay_frames(
        &mut dev,
        reader,
        &FrameReplayOptions::default(),
        Some(&mut slow_f),
        &mut |_| {},
    )
    .unwrap();

    assert!(rep_k.flows_learned > 0, "{capture}: nothing learned");
    assert_eq!(
        rep_f.flows_learned, rep_k.flows_learned,
        "{capture}: learned"
    );
    assert_eq!(
        rep_f.flow_hits, rep_k.cache_hits,
        "{capture}: flow-cache hits"
    );
    // Register traffic differs: BUSY polls depend on what else is in flight.
    let counters = |s: &gufc_flowlife::SlowPath| gufc_flowlife::SlowPathStats {
        register_reads: 0,
        register_writes: 0,
        ..s.stats.clone()
    };
    assert_eq!(
        counters(&slow_f),
        counters(&slow_k),
        "{capture}: the slow path's counters"
    );
    let conns = |s: &gufc_flowlife::SlowPath| -> Vec<String> {
        let mut v: Vec<String> = s
            .table
            .ids()
            .into_iter()
            .map(|id| format!("{:?}", s.table.get(id)))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        conns(&slow_f),
        conns(&slow_k),
        "{capture}: the connections tracked"
    );
    for (a, b) in slow_f.subscribers().iter().zip(slow_k.subscribers()) {
        assert_eq!(a.report(), b.report(), "{capture}: subscriber {}", a.name());
    }
    println!(
        "{capture}: {} learned, {} flow hits, {} frames handled by the host",
        rep_f.flows_learned, rep_f.flow_hits, rep_f.host_handled
    );
}

#[test]
fn the_flow_life_cycle_on_the_packet_path_equals_the_host_key_path() {
    for c in ["mixed.pcap", "mixed.pcapng", "scan.pcap"] {
        same_flow_life(c);
    }
}

/// Back to back (`--speed max`): the same frames reach the same queues as when each frame is
/// delivered before the next, in fewer edges (the DMA engine, not the sender, sets the pace).
#[test]
fn back_to_back_frames_reach_the_same_queues_sooner() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/pcap/mixed.pcap");
    let run = |back_to_back: bool| {
        let mut dev = nic_device(&rules());
        let mut queues = BTreeMap::new();
        let opts = FrameReplayOptions {
            back_to_back,
            ..FrameReplayOptions::default()
        };
        let reader = CaptureReader::open(&path).unwrap();
        let rep = replay_frames(&mut dev, reader, &opts, None, &mut |d| {
            queues.insert(d.cmpl[6], (d.queue, d.bytes.clone()));
        })
        .unwrap();
        (queues, rep.edges)
    };
    let (paced, paced_edges) = run(false);
    let (b2b, b2b_edges) = run(true);
    assert_eq!(paced.len(), 320);
    assert_eq!(b2b, paced);
    assert!(
        b2b_edges * 2 < paced_edges,
        "{b2b_edges} vs {paced_edges} edges"
    );
}
