//! Flow-cache figures, printed: (1) flow inserts/s through the driver into the model and the
//! register accesses per insert, (2) occupancy reached with random tuples before the first
//! refused insert and the refusal curve against load, (3) replay packets/s of a generated
//! capture of 100,000+ packets through model + slow path.
//!
//! `cargo bench -p gufc-flowlife --bench flows [-- inserts|occupancy|replay]`

use std::time::Instant;

use gufc::backend::ModelBar;
use gufc::device::{Device, DeviceError, OpenOptions};
use gufc_flowlife::capture::{CaptureReader, LinkType, PcapWriter};
use gufc_flowlife::{
    self as flowlife, ByteAccounting, PortScanDetector, ReplayOptions, SlowPath, Speed, Wire,
};
use gufc_regmap::{Action, Key, TcamEntry};
use gufc_testkit as pcap;
use gufc_testkit::GenOptions;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

/// A random IPv4 TCP or UDP tuple.
fn random_key(rng: &mut impl Rng) -> Key {
    let a = rng.next_u64();
    let b = rng.next_u64();
    Key::v4(
        a as u32,
        (a >> 32) as u32,
        [6, 17][(b & 1) as usize],
        (b >> 8) as u16,
        (b >> 24) as u16,
    )
}

fn device(buckets: u32, ways: u32) -> Device<ModelBar> {
    let config = gufc_hw_model::Config {
        tcam_entries: 64,
        flow_buckets: buckets,
        flow_ways: ways,
        ..Default::default()
    };
    let mut dev = Device::open(ModelBar::new(config).unwrap(), OpenOptions::default()).unwrap();
    dev.reset().unwrap();
    dev
}

fn insert_rate() {
    println!(
        "== flow inserts through the driver into the model (4096 buckets x 8 ways = 32768 slots)"
    );
    println!(
        "{:>10} {:>14} {:>16} {:>15} {:>12}",
        "load", "inserts/s", "writes/insert", "reads/insert", "moves"
    );
    for load in [0.5, 0.9] {
        let mut dev = device(4096, 8);
        let n = (32768.0 * load) as usize;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        let keys: Vec<Key> = (0..n).map(|_| random_key(&mut rng)).collect();
        let io0 = dev.io_stats();
        let t = Instant::now();
        let mut moves = 0u64;
        for k in &keys {
            moves += dev
                .flow_insert(k, Action::Deliver { channel: 1 }, false)
                .unwrap()
                .moves as u64;
        }
        let secs = t.elapsed().as_secs_f64();
        let io = dev.io_stats();
        println!(
            "{:>9.0}% {:>14.0} {:>16.2} {:>15.2} {:>12}",
            100.0 * load,
            n as f64 / secs,
            (io.writes - io0.writes) as f64 / n as f64,
            (io.reads - io0.reads) as f64 / n as f64,
            moves
        );
    }
}

fn occupancy() {
    println!("\n== occupancy with random tuples: load at the first refused insert, and refusals per load band");
    for (buckets, ways) in [(4096u32, 8u32), (8192, 4), (16384, 2)] {
        let slots = (buckets * ways) as usize;
        let mut dev = device(buckets, ways);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut stored = 0usize;
        let mut first_fail: Option<f64> = None;
        let bands = [0.80, 0.90, 0.95, 0.97, 0.99, 1.0];
        let mut tried = [0u64; 6];
        let mut failed = [0u64; 6];
        let mut attempts = 0u64;
        while stored < slots && attempts < 4 * slots as u64 {
            attempts += 1;
            let load = stored as f64 / slots as f64;
            let band = bands.iter().position(|&b| load < b).unwrap_or(5);
            tried[band] += 1;
            match dev.flow_insert(&random_key(&mut rng), Action::Drop, false) {
                Ok(_) => stored += 1,
                Err(DeviceError::FlowTableFull { .. }) => {
                    failed[band] += 1;
                    first_fail.get_or_insert(load);
                }
                Err(e) => panic!("{e}"),
            }
        }
        let curve: Vec<String> = bands
            .iter()
            .enumerate()
            .map(|(i, b)| format!("<{:.0}%: {}/{}", 100.0 * b, failed[i], tried[i]))
            .collect();
        println!(
            "{buckets:>6} x {ways} ways: first refusal at {:.2}% load, {:.2}% after 4x slots attempts; refused/tried per load band {}",
            100.0 * first_fail.unwrap_or(1.0),
            100.0 * stored as f64 / slots as f64,
            curve.join("  ")
        );
    }
}

fn replay_speed() {
    println!("\n== replay of a generated capture through model + slow path");
    let dir = std::env::temp_dir().join(format!("gufc-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.pcap");
    let opts = GenOptions {
        seed: 11,
        tcp_connections: 7000,
        max_segments: 24,
        dns_queries: 6000,
        ping_sessions: 300,
        scan_ports: 1000,
        ..GenOptions::default()
    };
    let f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut w = PcapWriter::new(f, LinkType::Ethernet, 65535).unwrap();
    let sum = pcap::generate(&opts, &mut w).unwrap();
    drop(w);
    println!(
        "capture: {} packets, {} connections learnable",
        sum.records,
        sum.learnable()
    );
    for speed in [Speed::Scaled(1.0), Speed::Max] {
        let config = gufc_hw_model::Config {
            tcam_entries: 64,
            flow_buckets: 4096,
            flow_ways: 8,
            ..Default::default()
        };
        let mut dev = Device::open(
            Wire::new(ModelBar::new(config).unwrap()),
            OpenOptions::default(),
        )
        .unwrap();
        dev.reset().unwrap();
        dev.replace_rules(&[TcamEntry::match_all(0, Action::Deliver { channel: 0 })])
            .unwrap();
        let mut slow = SlowPath::new(flowlife::Config::default());
        slow.subscribe(Box::new(ByteAccounting::default()));
        slow.subscribe(Box::new(PortScanDetector::default()));
        let t = Instant::now();
        let rep = flowlife::replay(
            &mut dev,
            &mut slow,
            CaptureReader::open(&path).unwrap(),
            ReplayOptions {
                speed,
                ..ReplayOptions::default()
            },
        )
        .unwrap();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "speed {:?}: {:.0} packets/s ({:.2} s), {} learned, hit rate {:.1}%, {} cycles simulated, {:.3} lookups/cycle",
            speed,
            rep.packets_total as f64 / secs,
            secs,
            rep.flows_learned,
            100.0 * rep.hit_rate,
            rep.cycles,
            rep.lookups_per_cycle
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `cargo bench -p gufc-flowlife --bench flows [-- inserts|occupancy|replay …]` (default: all).
fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    if run("inserts") {
        insert_rate();
    }
    if run("occupancy") {
        occupancy();
    }
    if run("replay") {
        replay_speed();
    }
}
