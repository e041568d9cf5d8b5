//! A ClassBench set and its trace through the driver's stream (bursts) on the model four ways:
//! fast path off (every cycle stepped, every TCAM entry compared), on with one lookup thread,
//! with two and with four. Results, cycles and every counter (global, per rule, per flow, per
//! channel) and flow state must be the same. Flows with every kind of interest and local
//! prefixes are installed, so flow hits, sampling, TCP control packets and locality all count.
#![cfg(feature = "model")]

use gufc::backend::ModelBar;
use gufc::device::{Device, FlowInterest, OpenOptions};
use gufc::rules::classbench::{parse_trace, TraceColumns};
use gufc::rules::{load_file, Format};
use gufc::stream;
use gufc_regmap::{Action, CounterSpace, KeyIn, LookupResult};

/// What one way of running produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    results: Vec<LookupResult>,
    cycles: Vec<u64>,
    counters: Vec<(CounterSpace, u32, u64, u64)>,
    flows: Vec<String>,
}

fn run(fast: bool, threads: usize) -> Outcome {
    let dir = gufc_testkit::data("classbench");
    let loaded =
        load_file(&dir.join("acl1_1K"), Some(Format::ClassBench), false).expect("rules load");
    let text = std::fs::read_to_string(dir.join("acl1_1K_trace")).unwrap();
    let trace = parse_trace("acl1_1K_trace", &text, TraceColumns::Headers).unwrap();
    let config = gufc_hw_model::Config {
        tcam_entries: 1024,
        flow_buckets: 256,
        flow_ways: 4,
        ..Default::default()
    };
    let mut bar = ModelBar::new(config).unwrap();
    bar.model_mut().set_fast_path(fast);
    bar.model_mut().set_lookup_threads(threads);
    // Small enough that every burst of this trace uses all the threads.
    bar.model_mut().set_min_keys_per_thread(64);
    let mut dev = Device::open(bar, OpenOptions::default()).unwrap();
    dev.reset().unwrap();
    dev.local_add("10.0.0.0".parse().unwrap(), 8).unwrap();
    dev.local_add("192.168.0.0".parse().unwrap(), 16).unwrap();
    dev.replace_rules(&loaded.compiled.entries).unwrap();
    let interests = [
        FlowInterest::None,
        FlowInterest::All,
        FlowInterest::TcpCtrl,
        FlowInterest::Sample(3),
    ];
    // Every 9th header becomes a flow, with its own action and interest.
    for (i, h) in trace.iter().enumerate().step_by(9).take(400) {
        let action = match i % 3 {
            0 => Action::Drop,
            _ => Action::Deliver {
                channel: (i % 16) as u8,
            },
        };
        dev.flow_insert_with(&h.key, action, i % 2 == 0, interests[i % 4])
            .unwrap();
    }
    let keys: Vec<KeyIn> = trace
        .iter()
        .enumerate()
        .map(|(i, h)| KeyIn {
            key: h.key,
            len: 40 + (i % 1400) as u16,
            tag: 0,
            tcp_flags: [0x02u8, 0x10, 0x11, 0x18, 0x04][i % 5],
        })
        .collect();
    let mut out = Outcome {
        results: Vec::new(),
        cycles: Vec::new(),
        counters: Vec::new(),
        flows: Vec::new(),
    };
    // Two passes: the second sees the first one's counters (sampling) and hit state.
    for _ in 0..2 {
        let st =
            stream::classify(dev.bar(), keys.iter().copied(), |r| out.results.push(*r)).unwrap();
        out.cycles.push(st.cycles);
    }
    let caps = dev.caps().clone();
    for (space, n) in [
        (CounterSpace::Tcam, caps.tcam_entries),
        (CounterSpace::Flow, caps.flow_buckets * caps.flow_ways),
        (CounterSpace::Channel, caps.channels),
        (CounterSpace::Global, 8),
    ] {
        for i in 0..n {
            let c = dev.counter(space, i).unwrap();
            out.counters.push((space, i, c.packets, c.bytes));
        }
    }
    out.flows = dev
        .flows()
        .unwrap()
        .iter()
        .map(|f| format!("{f:?}"))
        .collect();
    out
}

#[test]
fn bursts_and_threads_change_nothing() {
    let stepped = run(false, 1);
    assert_eq!(
        stepped.results.len(),
        2 * 9380,
        "every header classified twice"
    );
    assert!(
        stepped
            .counters
            .iter()
            .any(|c| c.0 == CounterSpace::Flow && c.2 > 0),
        "flows were hit"
    );
    for threads in [1, 2, 4] {
        let fast = run(true, threads);
        assert_eq!(fast.cycles, stepped.cycles, "{threads} threads: cycles");
        if let Some(i) = (0..stepped.results.len()).find(|&i| fast.results[i] != stepped.results[i])
        {
            panic!(
                "{threads} threads: result {i}: fast {:?}, stepped {:?}",
                fast.results[i], stepped.results[i]
            );
        }
        assert_eq!(
            fast.counters, stepped.counters,
            "{threads} threads: counters"
        );
        assert_eq!(fast.flows, stepped.flows, "{threads} threads: flow state");
    }
}
