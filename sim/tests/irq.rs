//! The interrupt block (`rtl/v2/gufc_irq.v`) against its model (`gufc_hw_model::v2::irq`),
//! every output bit on every edge (docs/interrupts.md): seeded random events (bursts on a few
//! vectors, and on out-of-range vectors), configuration writes (small FRAMES and TIMER values,
//! masks toggling, pending clears, out-of-range vectors), `irq_ready` backpressure and resets.
//! The model runs the stimulus first; the Verilated block replays it and its trace must equal
//! the model's word for word.

// Shared with the packet path's other tests; this one needs no parser.
#[allow(dead_code)]
mod replay;
// Shared with the block tests; this one uses only `verilate`.
#[allow(dead_code)]
mod testbench;

use gufc_hw_model::v2::irq::{Irq, IrqField, IrqIn};
use gufc_sim::stimulus::Rng;

use testbench::verilate;

struct Run {
    stim: Vec<u32>,
    expect: Vec<u32>,
    messages: usize,
    became_pending: usize,
    stalled: usize,
}

fn drive(vectors: usize, seed: u64, edges: usize) -> Run {
    let mut rng = Rng::new(seed);
    let mut irq = Irq::new(vectors);
    let mut run = Run {
        stim: Vec::new(),
        expect: Vec::new(),
        messages: 0,
        became_pending: 0,
        stalled: 0,
    };
    let pw = vectors.div_ceil(32);
    // Vectors past VECTORS that the VW-bit ports can still carry (ignored by both).
    let span = 1usize << (usize::BITS - (vectors - 1).leading_zeros()).max(1);
    let vec_or_beyond = |rng: &mut Rng| {
        if span > vectors && rng.chance(20) {
            (vectors + rng.below((span - vectors) as u32) as usize) as u16
        } else {
            rng.below(vectors.min(6) as u32) as u16 * (vectors as u16 / 6).max(1)
        }
    };
    for e in 0..edges {
        let i = IrqIn {
            rst: e < 2 || rng.below(5000) == 0,
            event: rng.chance(400).then(|| vec_or_beyond(&mut rng)),
            cfg: rng.chance(60).then(|| {
                let field = rng.pick(&[
                    IrqField::Frames,
                    IrqField::Timer,
                    IrqField::Mask,
                    IrqField::Pending,
                ]);
                let data = match field {
                    IrqField::Frames => rng.pick(&[0, 1, 2, 3, 5, 8, 65535]),
                    IrqField::Timer => rng.pick(&[0, 1, 4, 10, 30, 65535]),
                    _ => rng.below(4) as u16,
                };
                (vec_or_beyond(&mut rng), field, data)
            }),
            ready: !rng.chance(300),
        };
        let (cv, cf, cd) = i.cfg.map_or((0, 0, 0), |(v, f, d)| (v, f as u32, d));
        run.stim.push(
            i.rst as u32
                | (i.event.is_some() as u32) << 1
                | (i.cfg.is_some() as u32) << 2
                | (i.ready as u32) << 3
                | cf << 4
                | (i.event.unwrap_or(0) as u32) << 8
                | (cv as u32) << 16,
        );
        run.stim.push(cd as u32);
        run.stalled += (irq.message().is_some() && !i.ready) as usize;
        let before: Vec<u64> = irq.pending();
        run.messages += irq.step(&i).is_some() as usize;
        let after = irq.pending();
        run.became_pending += before
            .iter()
            .zip(&after)
            .map(|(b, a)| (a & !b).count_ones() as usize)
            .sum::<usize>();
        run.expect
            .push(irq.message().map_or(0, |v| 1 | (v as u32) << 8));
        run.expect
            .extend((0..pw).map(|w| (after[w / 2] >> (32 * (w % 2))) as u32));
    }
    run
}

fn lockstep(vectors: usize, seeds: &[u64], edges: usize) {
    let exe = verilate(
        &format!("irq_v{vectors}"),
        "gufc_irq",
        &["rtl/v2/gufc_irq.v".into()],
        &[format!("VECTORS={vectors}")],
        &format!("-DNVEC={vectors}"),
        "irq_tb",
    );
    let tw = 1 + vectors.div_ceil(32);
    for &seed in seeds {
        let run = drive(vectors, seed, edges);
        let what = format!("irq VECTORS={vectors} seed {seed}");
        println!(
            "{what}: {edges} edges, {} messages, {} edges that made a vector pending, {} stalled",
            run.messages, run.became_pending, run.stalled
        );
        assert!(run.messages > 100 && run.stalled > 10, "{what}: coverage");
        let (got, stim) = replay::run(&exe, &run.stim, &format!("irq-{seed}"));
        if let Some((e, _)) = replay::first_mismatch(&got, &run.expect, tw, &what) {
            let row = |t: &[u32]| t[e * tw..(e + 1) * tw].to_vec();
            panic!(
                "{what}: IRQ MISMATCH at edge {e} (word 0: irq_valid | irq_vec << 8, then pending): rtl {:08x?}, model {:08x?}\nreplay: {} {} /tmp/t.bin",
                row(&got),
                row(&run.expect),
                exe.display(),
                stim.display()
            );
        }
        std::fs::remove_file(&stim).ok();
    }
}

#[test]
fn irq_17_vectors_match_the_model_on_every_edge() {
    lockstep(17, &[1, 2], 200_000);
}

#[test]
fn irq_1_and_70_vectors_match_the_model_on_every_edge() {
    lockstep(1, &[3], 50_000);
    lockstep(70, &[4], 100_000);
}
