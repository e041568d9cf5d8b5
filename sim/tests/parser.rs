//! The frame parser (`rtl/v2/gufc_parser.v`) against its model (`gufc_hw_model::v2::parser`),
//! every output bit on every edge (docs/parser.md).
//!
//! The stimulus is an AXI4-Stream source driven by the model's `s_tready` (a beat stays offered
//! until taken, as AXI requires): the corpus of `gufc_sim::frames` (every header kind and every
//! parser reason) and seeded random frames, with gaps, `m_ready` backpressure, unpacked `tkeep`
//! and resets mid-frame. The inputs and the model's outputs of every edge are written out; the
//! Verilated parser (`sim/csrc/parser_tb.cpp`) replays the inputs and its trace must equal the
//! model's word for word. Independently of the RTL, every record the model hands out must equal
//! the untimed `parse` of its frame (so the walk reads no byte an earlier frame left in the
//! window), and the corpus frames must get the reasons written next to them by hand.

// Shared with the packet path's other tests; this one needs no host memory.
#[allow(dead_code)]
mod replay;
// Shared with the block tests; the parser's use only `verilate`.
#[allow(dead_code)]
mod testbench;

use std::path::Path;

use gufc_hw_model::v2::parser::{parse, ParserConfig};
use gufc_regmap::ParseReason;
use gufc_sim::frames::{corpus, random, Frame};
use gufc_sim::stimulus::Rng;
use gufc_sim::stimulus_parser::{drive, Run, TRACE_WORDS};

use replay::verilate_parser as build;

const WORD_NAMES: [&str; TRACE_WORDS] = [
    "s_tready (bit 0) / m_valid (bit 1)",
    "m_key word 0 (SRC0)",
    "m_key word 1 (SRC1)",
    "m_key word 2 (SRC2)",
    "m_key word 3 (SRC3)",
    "m_key word 4 (DST0)",
    "m_key word 5 (DST1)",
    "m_key word 6 (DST2)",
    "m_key word 7 (DST3)",
    "m_key word 8 (META)",
    "m_key word 9 (PORTS)",
    "m_flags | m_reason << 8 | m_tags << 16 | m_frag << 18",
    "m_len | m_vlan << 16",
];

/// Runs the Verilated parser on `run`'s stimulus and compares its trace with the model's.
fn compare(exe: &Path, run: &Run, frames: &[Frame], what: &str) {
    let (got, stim) = replay::run(exe, &run.stim, what);
    if let Some((e, w)) = replay::first_mismatch(&got, &run.expect, TRACE_WORDS, what) {
        let row = |t: &[u32]| t[e * TRACE_WORDS..(e + 1) * TRACE_WORDS].to_vec();
        let frame = run.offered[e]
            .map(|i| format!("frame {i} on offer ({:02x?})", frames[i].bytes))
            .unwrap_or_else(|| "no frame on offer".into());
        panic!(
            "{what}: PARSER MISMATCH at edge {e}: {}: rtl = {:#010x}, model = {:#010x}; {frame}\nrtl   {:08x?}\nmodel {:08x?}\nreplay: {} {} /tmp/trace.bin",
            WORD_NAMES[w],
            row(&got)[w],
            row(&run.expect)[w],
            row(&got),
            row(&run.expect),
            exe.display(),
            stim.display()
        );
    }
    std::fs::remove_file(&stim).ok();
}

fn frames(seed: u64, random_frames: usize) -> Vec<Frame> {
    let mut rng = Rng::new(seed);
    let mut f: Vec<Frame> = corpus().into_iter().map(|(_, f, _)| f).collect();
    f.extend((0..random_frames).map(|_| random(&mut rng)));
    f
}

fn lockstep(cfg: ParserConfig, seeds: &[u64], random_frames: usize) {
    let exe = build(&cfg);
    for &seed in seeds {
        let mut fs = frames(seed, random_frames);
        if seed == seeds[0] {
            // A jumbo frame and one past the 16-bit length.
            let mut big = fs[0].clone();
            big.bytes.resize(9000, 0xa5);
            fs.push(big.clone());
            big.bytes.resize(70_000, 0x5a);
            fs.push(big);
        }
        let run = drive(&cfg, &fs, seed);
        let what = format!("dw{}-seed{seed}", cfg.data_bytes * 8);
        println!(
            "{what}: {} edges, {} frames, {} records, reasons {:?}, {} refused beats, {} held records, {} resets, {} unpacked tkeep",
            run.edges, fs.len(), run.records, run.reasons, run.refused, run.held, run.resets, run.unpacked
        );
        for (r, n) in ParseReason::ALL.iter().zip(run.reasons) {
            assert!(n > 0, "{what}: no record with reason {}", r.name());
        }
        assert!(
            run.refused > 0 && run.resets > 2 && run.unpacked > 0,
            "{what}: coverage"
        );
        compare(&exe, &run, &fs, &what);
    }
}

#[test]
fn corpus_frames_get_the_reasons_the_contract_gives() {
    let cfg = ParserConfig::default();
    for (name, f, want) in corpus() {
        let r = parse(&f.bytes, f.error, &cfg);
        assert_eq!(r.reason, want, "{name}: {r:?}");
    }
}

#[test]
fn parser_dw64_matches_the_model_on_every_edge() {
    lockstep(ParserConfig::default(), &[1, 2], 4000);
}

#[test]
fn parser_dw512_matches_the_model_on_every_edge() {
    let cfg = ParserConfig {
        data_bytes: 64,
        ..ParserConfig::default()
    };
    lockstep(cfg, &[3], 4000);
}

#[test]
fn parser_dw128_two_extension_steps_matches_the_model_on_every_edge() {
    let cfg = ParserConfig {
        data_bytes: 16,
        hdr_bytes: 96,
        ext_max: 2,
    };
    lockstep(cfg, &[4], 3000);
}
