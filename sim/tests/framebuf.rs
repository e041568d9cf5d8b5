//! The frame buffer (`rtl/v2/gufc_framebuf.v`) against its model
//! (`gufc_hw_model::v2::framebuf`), every output bit on every edge: random beats with gaps,
//! `m_tready` stalls long enough to fill it, resets. Independently of the RTL, the beats that
//! leave equal the beats that went in since the last reset, in order.

// Shared with the packet path's other tests; this one needs no parser.
#[allow(dead_code)]
mod replay;
// Shared with the block tests; this one uses only `verilate`.
#[allow(dead_code)]
mod testbench;

use std::collections::VecDeque;

use gufc_hw_model::v2::framebuf::FrameBuf;
use gufc_hw_model::v2::rxdma::DmaBeat;
use gufc_sim::stimulus::Rng;

use testbench::verilate;

fn lockstep(n: usize, depth: usize, seed: u64, edges: usize) {
    let dw = n * 8;
    let mut rng = Rng::new(seed);
    let mut fb = FrameBuf::new(depth);
    let (mut stim, mut expect) = (Vec::new(), Vec::new());
    let mut inflight: VecDeque<DmaBeat> = VecDeque::new();
    let (mut moved, mut full, mut resets) = (0usize, 0usize, 0usize);
    let mut stall = 0;
    for e in 0..edges {
        let rst = e < 2 || rng.below(20_000) == 0;
        let beat = (!rng.chance(300)).then(|| DmaBeat {
            data: (0..n).map(|_| rng.u32() as u8).collect(),
            keep: rng.next_u64() & if n == 64 { u64::MAX } else { (1 << n) - 1 },
            last: rng.chance(100),
        });
        if stall == 0 && rng.chance(5) {
            stall = rng.below(3 * depth as u32) as usize;
        }
        stall = stall.saturating_sub(1);
        let m_ready = stall == 0 && !rng.chance(200);
        let b = beat.clone().unwrap_or(DmaBeat {
            data: vec![0; n],
            ..DmaBeat::default()
        });
        stim.push(
            rst as u32
                | (beat.is_some() as u32) << 1
                | (b.last as u32) << 2
                | (m_ready as u32) << 3,
        );
        stim.extend([b.keep as u32, (b.keep >> 32) as u32]);
        stim.extend(
            b.data
                .chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
        let ready = fb.ready();
        full += !ready as usize;
        if let Some(t) = fb.step(rst, beat.as_ref(), m_ready) {
            assert_eq!(
                Some(t),
                inflight.pop_front(),
                "seed {seed} edge {e}: a beat left out of order"
            );
            moved += 1;
        }
        if rst {
            inflight.clear();
            resets += 1;
        } else if let (Some(b), true) = (beat, ready) {
            inflight.push_back(b);
        }
        let o = fb.out().cloned().unwrap_or(DmaBeat {
            data: vec![0; n],
            ..DmaBeat::default()
        });
        expect.push(
            ready as u32
                | (fb.out().is_some() as u32) << 1
                | (o.last as u32) << 2
                | (fb.level() as u32) << 8,
        );
        expect.extend([o.keep as u32, (o.keep >> 32) as u32]);
        expect.extend(
            o.data
                .chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
    }
    let what = format!("framebuf DW={dw} DEPTH={depth} seed {seed}");
    println!("{what}: {edges} edges, {moved} beats through, {full} edges full, {resets} resets");
    assert!(
        moved > edges / 8 && full > 0 && resets > 2,
        "{what}: coverage"
    );
    let exe = verilate(
        &format!("framebuf_dw{dw}_d{depth}"),
        "gufc_framebuf",
        &["rtl/v2/gufc_framebuf.v".into(), "rtl/v2/gufc_bram.v".into()],
        &[format!("DW={dw}"), format!("DEPTH={depth}")],
        &format!("-DNDW={dw}"),
        "framebuf_tb",
    );
    let (got, sf) = replay::run(&exe, &stim, &format!("framebuf-{seed}"));
    let tw = 3 + n / 4;
    if let Some((e, _)) = replay::first_mismatch(&got, &expect, tw, &what) {
        let row = |t: &[u32]| t[e * tw..(e + 1) * tw].to_vec();
        panic!(
            "{what}: FRAMEBUF MISMATCH at edge {e} (word 0: s_tready | m_tvalid<<1 | m_tlast<<2 | level<<8, keep, data): rtl {:08x?}, model {:08x?}",
            row(&got),
            row(&expect)
        );
    }
    std::fs::remove_file(&sf).ok();
}

#[test]
fn framebuf_matches_the_model_on_every_edge() {
    lockstep(8, 16, 1, 100_000);
    lockstep(64, 4, 2, 50_000);
    lockstep(16, 512, 3, 100_000);
}
