//! Speed of the packet path's models (`cargo bench -p gufc-sim --bench packet_speed`):
//!
//! - the frame parser untimed (`parse`: the walk alone) and clocked (`Parser::step`, one beat
//!   per edge, records taken at once) on the whole frames of the test captures, and its
//!   Verilated RTL beside the clocked model on the lockstep's stimulus (the RTL figure includes
//!   the testbench's file reading and trace writing);
//! - the receive DMA engine's model with the driver's receive queue (`gufc::rx::RxQueue`) on a
//!   host that answers at once: frames delivered into the ring per second and edges per frame,
//!   for 64-, 512- and 1,500-byte frames.

// The bench uses `run` and the parser's build.
#[allow(dead_code)]
#[path = "../tests/replay/mod.rs"]
mod replay;
// Shared with the block tests; the parser's use only `verilate`.
#[allow(dead_code)]
#[path = "../tests/testbench/mod.rs"]
mod testbench;

use std::path::Path;
use std::time::Instant;

use gufc::rx::{DmaMemory, QueueRegs, RxQueue, RxQueueConfig};
use gufc_flowlife::capture::CaptureReader;
use gufc_hw_model::v2::parser::{beats, parse, Beat, Parser, ParserConfig};
use gufc_hw_model::v2::rxdma::{CfgAccess, DmaBeat, DmaIn, Order, RxDma, RxDmaConfig};
use gufc_regmap::RxqReg;
use gufc_sim::frames::random;
use gufc_sim::stimulus::Rng;
use gufc_sim::stimulus_parser::drive;

fn capture_frames() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/pcap");
    let mut frames = Vec::new();
    for name in ["mixed.pcap", "mixed.pcapng", "scan.pcap"] {
        let mut rd = CaptureReader::open(&dir.join(name)).unwrap();
        while let Some(r) = rd.next_record().unwrap() {
            if r.data.len() == r.orig_len as usize {
                frames.push(r.data);
            }
        }
    }
    frames
}

/// Runs `f` over `frames` until 0.5 s have passed; frames/s.
fn rate(frames: usize, mut f: impl FnMut() -> usize) -> f64 {
    let t = Instant::now();
    let mut n = 0;
    while t.elapsed().as_secs_f64() < 0.5 {
        n += f();
    }
    assert!(n >= frames);
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let frames = capture_frames();
    let bytes: usize = frames.iter().map(Vec::len).sum();
    for data_bytes in [8, 64] {
        let cfg = ParserConfig {
            data_bytes,
            ..ParserConfig::default()
        };
        let untimed = rate(frames.len(), || {
            for f in &frames {
                std::hint::black_box(parse(f, false, &cfg));
            }
            frames.len()
        });
        let bs: Vec<Vec<Beat>> = frames.iter().map(|f| beats(f, false, data_bytes)).collect();
        let mut edges = 0usize;
        let mut records = 0usize;
        let clocked = rate(frames.len(), || {
            let mut p = Parser::new(cfg);
            for b in bs.iter().flatten() {
                while !p.ready() {
                    records += p.step(false, None, true).is_some() as usize;
                    edges += 1;
                }
                records += p.step(false, Some(b), true).is_some() as usize;
                edges += 1;
            }
            frames.len()
        });
        println!(
            "parser model, {}-bit stream, {} capture frames ({} bytes): parse() {:.2} M frames/s; clocked {:.2} M frames/s, {:.1} M edges/s ({:.2} edges per frame)",
            data_bytes * 8,
            frames.len(),
            bytes,
            untimed / 1e6,
            clocked / 1e6,
            clocked * edges as f64 / records.max(1) as f64 / 1e6,
            edges as f64 / records.max(1) as f64,
        );
    }
    let cfg = ParserConfig::default();
    let mut rng = Rng::new(11);
    let random_frames: Vec<_> = (0..20_000).map(|_| random(&mut rng)).collect();
    let t = Instant::now();
    let run = drive(&cfg, &random_frames, 11);
    let model_s = t.elapsed().as_secs_f64();
    let exe = replay::verilate_parser(&cfg);
    let t = Instant::now();
    let (trace, stim) = replay::run(&exe, &run.stim, "bench");
    let rtl_s = t.elapsed().as_secs_f64();
    std::fs::remove_file(stim).ok();
    assert_eq!(
        trace, run.expect,
        "the RTL and the model differ on the bench's stimulus"
    );
    for len in [64, 512, 1500] {
        let (fps, epf) = dma_rate(len);
        println!(
            "receive DMA model + driver queue, 64-bit stream, {len}-byte frames: {:.2} M frames/s delivered, {epf:.1} edges per frame",
            fps / 1e6
        );
    }
    println!(
        "lockstep stimulus, 64-bit stream: {} edges, {} records: Verilated RTL {:.2} M edges/s, model (with the stimulus) {:.2} M edges/s",
        run.edges,
        run.records,
        run.edges as f64 / rtl_s / 1e6,
        run.edges as f64 / model_s / 1e6
    );
    for slow in [false, true] {
        let (fps, edges) = nic_replay(slow);
        println!(
            "NIC model through the driver (gufc replay --packet-path{}), the three captures: {:.0} frames/s, {:.1} edges per frame",
            if slow { "" } else { ", no slow path" },
            fps,
            edges
        );
    }
}

/// Flat host memory from IOVA 0.
struct Flat(Vec<u8>);

impl DmaMemory for Flat {
    fn write(&mut self, iova: u64, bytes: &[u8]) {
        self.0[iova as usize..iova as usize + bytes.len()].copy_from_slice(bytes);
    }
    fn read(&self, iova: u64, out: &mut [u8]) {
        out.copy_from_slice(&self.0[iova as usize..iova as usize + out.len()]);
    }
}

/// Register writes in order, one per edge.
#[derive(Default)]
struct Port(std::collections::VecDeque<CfgAccess>);

impl QueueRegs for Port {
    fn write(&mut self, chan: u8, reg: RxqReg, value: u32) {
        self.0.push_back(CfgAccess {
            write: true,
            chan,
            reg: reg as u8,
            wdata: value,
        });
    }
}

/// Frames of `len` bytes through the DMA model into one queue for 0.5 s: (frames/s, edges per
/// frame).
fn dma_rate(len: usize) -> (f64, f64) {
    let n = 8;
    let mut dma = RxDma::new(RxDmaConfig {
        data_bytes: n,
        channels: 1,
    });
    let mut mem = Flat(vec![0; 0x20_0000]);
    let mut port = Port::default();
    let cfg = RxQueueConfig {
        chan: 0,
        log2_size: 8,
        buf_bytes: 2048,
        desc_ring: 0x1000,
        cmpl_ring: 0x4000,
    };
    let bufs = |k: u64| 0x10_0000 + 2048 * (k % 256);
    let mut q = RxQueue::open(cfg, &mut port, &mut mem, (0..256).map(bufs)).unwrap();
    let frame: Vec<DmaBeat> = (0..len.div_ceil(n))
        .map(|i| DmaBeat {
            data: vec![i as u8; n],
            keep: if (i + 1) * n <= len {
                0xff
            } else {
                (1u64 << (len - i * n)) - 1
            },
            last: (i + 1) * n >= len,
        })
        .collect();
    let order = Order {
        chan: 0,
        drop: false,
        cmpl: [len as u32, 0, 0, 0, 0, 0, 0],
    };
    let (mut frames, mut edges, mut beat, mut read) = (0u64, 0u64, 0usize, None::<u64>);
    let mut next_buf = 256u64;
    let t = Instant::now();
    while t.elapsed().as_secs_f64() < 0.5 {
        for _ in 0..1000 {
            let mut i = DmaIn {
                order: Some(order),
                beat: Some(frame[beat].clone()),
                w_ready: true,
                r_ready: true,
                rd: read.take().map(|a| {
                    (
                        u64::from_le_bytes(mem.0[a as usize..a as usize + 8].try_into().unwrap()),
                        false,
                    )
                }),
                cfg: port.0.pop_front(),
                ..DmaIn::default()
            };
            let c = dma.comb(&i);
            if let Some(w) = &c.write {
                for (j, b) in w.data.iter().enumerate() {
                    if w.strb >> j & 1 != 0 {
                        mem.0[w.addr as usize + j] = *b;
                    }
                }
            }
            read = c.read;
            if c.s_tready {
                beat = (beat + 1) % frame.len();
            }
            i.w_err = false;
            dma.step(&i);
            edges += 1;
            for _ in q.poll(&mem, 64) {
                frames += 1;
                q.refill(&mut port, &mut mem, [bufs(next_buf)]).unwrap();
                next_buf += 1;
            }
        }
    }
    (
        frames as f64 / t.elapsed().as_secs_f64(),
        edges as f64 / frames.max(1) as f64,
    )
}

/// The whole NIC model behind the driver: the test captures replayed on the packet path
/// (`gufc_flowlife::frames::replay_frames`), with or without the conntrack slow path; frames/s
/// and clock edges per frame.
fn nic_replay(slow: bool) -> (f64, f64) {
    use gufc::backend::nic::HostMemory;
    use gufc::backend::NicModel;
    use gufc::device::{Device, OpenOptions};
    use gufc_flowlife::frames::{replay_frames, FrameReplayOptions};
    use gufc_flowlife::session::slow_path;
    use gufc_hw_model::v2::nic::NicConfig;
    use gufc_hw_model::v2::top::TopConfig;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/pcap");
    let (mut frames, mut edges) = (0u64, 0u64);
    let t = Instant::now();
    while t.elapsed().as_secs_f64() < 1.0 {
        for name in ["mixed.pcap", "mixed.pcapng", "scan.pcap"] {
            let config = gufc_hw_model::Config {
                tcam_entries: 64,
                flow_buckets: 256,
                flow_ways: 4,
                ..Default::default()
            };
            let nic = NicConfig {
                top: TopConfig::sized(&config),
                ..NicConfig::default()
            };
            let host = NicModel::new(nic, HostMemory::new(1 << 32, 16 << 20));
            let mut dev = Device::open(host, OpenOptions::default()).unwrap();
            dev.reset().unwrap();
            let mut sp = slow_path(16, 0, gufc_flowlife::Eviction::Refuse, true);
            dev.replace_rules(&[gufc_regmap::TcamEntry::match_all(
                0,
                gufc_regmap::Action::Deliver { channel: 0 },
            )])
            .unwrap();
            let e0 = dev.bar().edges();
            let rd = CaptureReader::open(&dir.join(name)).unwrap();
            let opts = FrameReplayOptions::default();
            let rep =
                replay_frames(&mut dev, rd, &opts, slow.then_some(&mut sp), &mut |_| {}).unwrap();
            frames += rep.frames_in;
            edges += dev.bar().edges() - e0;
        }
    }
    (
        frames as f64 / t.elapsed().as_secs_f64(),
        edges as f64 / frames.max(1) as f64,
    )
}
