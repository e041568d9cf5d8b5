//! Speed of the frame parser (`cargo bench -p gufc-sim --bench parser_speed`): its model
//! untimed (`parse`: the walk alone) and clocked (`Parser::step`, one beat per edge, records
//! taken at once), on the whole frames of the test captures; and the Verilated RTL beside the
//! clocked model on the lockstep's stimulus (seeded random frames with gaps and backpressure).
//! The RTL figure includes the testbench's file reading and trace writing.

#[path = "../tests/parser_tb/mod.rs"]
mod parser_tb;
// Shared with the block tests; the parser's use only `verilate`.
#[allow(dead_code)]
#[path = "../tests/testbench/mod.rs"]
mod testbench;

use std::path::Path;
use std::time::Instant;

use gufc_flowlife::capture::CaptureReader;
use gufc_hw_model::v2::parser::{beats, parse, Beat, Parser, ParserConfig};
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
            frames
                .iter()
                .map(|f| std::hint::black_box(parse(f, false, &cfg)).len as usize & 1)
                .count()
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
    let exe = parser_tb::verilate_parser(&cfg);
    let t = Instant::now();
    let (trace, stim) = parser_tb::run_parser(&exe, &run.stim, "bench");
    let rtl_s = t.elapsed().as_secs_f64();
    std::fs::remove_file(stim).ok();
    assert_eq!(
        trace, run.expect,
        "the RTL and the model differ on the bench's stimulus"
    );
    println!(
        "lockstep stimulus, 64-bit stream: {} edges, {} records: Verilated RTL {:.2} M edges/s, model (with the stimulus) {:.2} M edges/s",
        run.edges,
        run.records,
        run.edges as f64 / rtl_s / 1e6,
        run.edges as f64 / model_s / 1e6
    );
}
