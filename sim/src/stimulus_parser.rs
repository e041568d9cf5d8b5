//! The frame parser's stimulus: an AXI4-Stream source driven by the model's `s_tready` (a beat
//! stays offered until taken, as AXI requires) with gaps, `m_ready` backpressure, unpacked
//! `tkeep` and resets mid-frame; the inputs and the model's outputs of every edge, in the
//! layout of `sim/csrc/parser_tb.cpp`, for the lockstep test and the speed bench.

use std::collections::VecDeque;

use gufc_hw_model::v2::parser::{beats, parse, Beat, Parser, ParserConfig, Record};

use crate::frames::Frame;
use crate::stimulus::Rng;

/// Words per edge in the testbench's trace: `s_tready | m_valid << 1`, then the ports
/// ([`Record::port_words`]).
pub const TRACE_WORDS: usize = 13;

/// One run's stimulus and the model's side of it.
#[derive(Default)]
pub struct Run {
    /// Per edge: `rst | s_tvalid << 1 | s_tlast << 2 | s_tuser << 3 | m_ready << 4`, `s_tkeep`
    /// (two words), `s_tdata` (DW/32 words).
    pub stim: Vec<u32>,
    /// Per edge: the model's [`TRACE_WORDS`].
    pub expect: Vec<u32>,
    /// The frame whose beats were on offer at each edge (for messages).
    pub offered: Vec<Option<usize>>,
    /// Edges driven.
    pub edges: usize,
    /// Records the model handed out.
    pub records: usize,
    /// Records per parser reason (by value).
    pub reasons: [usize; 10],
    /// Edges with a beat offered and refused.
    pub refused: usize,
    /// Edges with a record offered and not taken.
    pub held: usize,
    /// Edges with `rst`.
    pub resets: usize,
    /// Frames sent with a hole in `tkeep`.
    pub unpacked: usize,
}

/// Drives the model with `frames`: gaps, backpressure and resets from `seed`.
pub fn drive(cfg: &ParserConfig, frames: &[Frame], seed: u64) -> Run {
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
    // The last edge that took a beat or handed out a record: no frame may wedge the parser.
    let mut progress = 0;
    while idle_after < 20 {
        assert!(
            run.edges - progress < 1000,
            "seed {seed}: the parser took no beat and gave no record for 1,000 edges (edge {})",
            run.edges
        );
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
        if out.is_some() || (beat.is_some() && ready) || rst {
            progress = run.edges;
        }
        let busy = cur.is_some() || next < frames.len() || !pending.is_empty() || p.out().is_some();
        idle_after = if busy { 0 } else { idle_after + 1 };
    }
    run
}
