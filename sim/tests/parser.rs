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

// Shared with the block tests; this one uses only `verilate`.
#[allow(dead_code)]
mod testbench;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;

use gufc_hw_model::v2::parser::{beats, parse, Beat, Parser, ParserConfig, Record};
use gufc_regmap::ParseReason;
use gufc_sim::frames::{corpus, random, Frame};
use gufc_sim::stimulus::Rng;

use testbench::verilate;

/// Words per edge in the testbench's trace: `s_tready | m_valid << 1`, then the ports.
const TRACE_WORDS: usize = 13;
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

fn build(cfg: &ParserConfig) -> PathBuf {
    let dw = cfg.data_bytes * 8;
    verilate(
        &format!("parser_dw{dw}_h{}_e{}", cfg.hdr_bytes, cfg.ext_max),
        "gufc_parser",
        &["rtl/v2/gufc_parser.v".into()],
        &[
            format!("DW={dw}"),
            format!("HDR_BYTES={}", cfg.hdr_bytes),
            format!("EXT_MAX={}", cfg.ext_max),
        ],
        &format!("-DNDW={dw}"),
        "parser_tb",
    )
}

/// One run's stimulus and the model's side of it.
#[derive(Default)]
struct Run {
    /// Per edge: `rst | s_tvalid << 1 | s_tlast << 2 | s_tuser << 3 | m_ready << 4`, `s_tkeep`
    /// (two words), `s_tdata` (DW/32 words).
    stim: Vec<u32>,
    /// Per edge: the model's [`TRACE_WORDS`].
    expect: Vec<u32>,
    /// The frame whose beats were on offer at each edge (for messages).
    offered: Vec<Option<usize>>,
    edges: usize,
    records: usize,
    reasons: [usize; 10],
    /// Edges with a beat offered and refused, with a record held, with a reset.
    refused: usize,
    held: usize,
    resets: usize,
    unpacked: usize,
}

/// Drives the model with `frames`: gaps, backpressure and resets from `seed`.
fn drive(cfg: &ParserConfig, frames: &[Frame], seed: u64) -> Run {
    let mut rng = Rng::new(seed);
    let n = cfg.data_bytes;
    let gap = rng.pick(&[0, 50, 300]);
    let backpressure = rng.pick(&[0, 100, 600]);
    let mut p = Parser::new(*cfg);
    let mut run = Run::default();
    // (frame, its beats, beats taken, the frame as the parser sees it: a hole in tkeep makes it
    // a byte shorter and an error)
    let mut cur: Option<(usize, Vec<Beat>, usize, Frame)> = None;
    let mut next = 0;
    let mut pending: VecDeque<(usize, Frame)> = VecDeque::new();
    let mut offered_last = false;
    let mut idle_after = 0;
    while idle_after < 20 {
        let rst = run.edges < 2 || rng.below(3000) == 0;
        if cur.is_none() && next < frames.len() && !rst {
            let f = &frames[next];
            let mut bs = beats(&f.bytes, f.error, n);
            let mut seen = Frame::clone(f);
            let i = rng.below(bs.len() as u32) as usize;
            let k = bs[i].keep.count_ones();
            if rng.chance(15) && (!bs[i].last || k > 1) {
                // Unpacked tkeep: a hole in a beat (the last one keeps its last byte).
                let hole = rng.below(if bs[i].last { k - 1 } else { n as u32 });
                bs[i].keep &= !(1u64 << hole);
                seen.bytes.pop();
                seen.error = true;
                run.unpacked += 1;
            }
            cur = Some((next, bs, 0, seen));
            next += 1;
        }
        let beat = match &cur {
            Some((_, bs, i, _)) if offered_last || !rng.chance(gap) => Some(bs[*i].clone()),
            _ => None,
        };
        let m_ready = !rng.chance(backpressure);
        let ready = p.ready();
        let b = beat.clone().unwrap_or(Beat {
            data: vec![0; n],
            ..Beat::default()
        });
        run.stim.push(
            rst as u32
                | (beat.is_some() as u32) << 1
                | (b.last as u32) << 2
                | (b.user as u32) << 3
                | (m_ready as u32) << 4,
        );
        run.stim.extend([b.keep as u32, (b.keep >> 32) as u32]);
        run.stim.extend(
            b.data
                .chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
        run.offered.push(cur.as_ref().map(|c| c.0));
        run.refused += (beat.is_some() && !ready) as usize;
        run.held += (p.out().is_some() && !m_ready) as usize;
        let out = p.step(rst, beat.as_ref(), m_ready);
        run.expect
            .push(ready as u32 | (p.out().is_some() as u32) << 1);
        run.expect.extend(Record::port_words(p.out()));
        run.edges += 1;
        if let Some(r) = out {
            let (i, seen) = pending
                .pop_front()
                .expect("a record with no frame in the parser");
            let want = parse(&seen.bytes, seen.error, cfg);
            assert_eq!(
                r, want,
                "seed {seed}: frame {i} ({seen:02x?}): the clocked model's record differs from parse()"
            );
            run.records += 1;
            run.reasons[r.reason as usize] += 1;
        }
        offered_last = beat.is_some() && !ready;
        if rst {
            run.resets += 1;
            cur = None;
            pending.clear();
            offered_last = false;
        } else if let (Some(_), true) = (&beat, ready) {
            let (_, bs, taken, _) = cur.as_mut().unwrap();
            *taken += 1;
            if *taken == bs.len() {
                let (i, _, _, seen) = cur.take().unwrap();
                pending.push_back((i, seen));
            }
        }
        let busy = cur.is_some() || next < frames.len() || !pending.is_empty() || p.out().is_some();
        idle_after = if busy { 0 } else { idle_after + 1 };
    }
    run
}

/// Runs the Verilated parser on `run`'s stimulus and compares its trace with the model's.
fn compare(exe: &Path, run: &Run, frames: &[Frame], what: &str) {
    let dir = exe.parent().unwrap();
    let stim = dir.join(format!("stim-{what}.bin"));
    let trace = dir.join(format!("trace-{what}.bin"));
    let bytes: Vec<u8> = run.stim.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&stim, bytes).unwrap();
    let out = Command::new(exe)
        .arg(&stim)
        .arg(&trace)
        .output()
        .expect("running the parser testbench");
    let report =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    println!("{what}: {report}");
    assert!(
        out.status.success(),
        "{what}: parser testbench failed: {report}"
    );
    let got: Vec<u32> = std::fs::read(&trace)
        .unwrap()
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(got.len(), run.expect.len(), "{what}: trace length (edges)");
    for (e, (g, m)) in got
        .chunks(TRACE_WORDS)
        .zip(run.expect.chunks(TRACE_WORDS))
        .enumerate()
    {
        if let Some(w) = (0..TRACE_WORDS).find(|&w| g[w] != m[w]) {
            let frame = run.offered[e]
                .map(|i| format!("frame {i} on offer ({:02x?})", frames[i].bytes))
                .unwrap_or_else(|| "no frame on offer".into());
            panic!(
                "{what}: PARSER MISMATCH at edge {e}: {}: rtl = {:#010x}, model = {:#010x}; {frame}\nreplay: {} {} /tmp/trace.bin",
                WORD_NAMES[w],
                g[w],
                m[w],
                exe.display(),
                stim.display()
            );
        }
    }
    std::fs::remove_file(&stim).ok();
    std::fs::remove_file(&trace).ok();
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
