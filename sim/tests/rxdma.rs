//! The receive DMA engine (`rtl/v2/gufc_rxdma.v`) against its model
//! (`gufc_hw_model::v2::rxdma`), every output bit on every edge (docs/dma.md).
//!
//! A host is simulated around the model: memory behind an IOMMU (writes outside the map are
//! answered with `w_err`, descriptor reads outside it with `rd_err` after 1-8 edges), `w_ready`
//! and `r_ready` backpressure, and the driver's own receive queues (`gufc::rx::RxQueue`):
//! small rings, buffers of 64, 256 and 1,536 bytes, one queue disabled, one whose descriptor
//! ring is mapped only later, buffers left out of the map (each mapped after it faulted, another
//! one left out instead, and ERROR cleared), refills from per-queue pools, and every completion
//! polled by its phase bit and checked against the frame sent: its words, the truncated flag,
//! the bytes in its buffer. Frames of 1 to 700 bytes go to every queue, to channels past the
//! last and with the drop flag. The inputs of every edge are written out; the Verilated engine
//! replays them and its trace must equal the model's word for word.

// Shared with the packet path's other tests; this one needs no parser.
#[allow(dead_code)]
mod replay;
// Shared with the block tests; this one uses only `verilate`.
#[allow(dead_code)]
mod testbench;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use gufc::rx::{DmaMemory, QueueRegs, RxQueue, RxQueueConfig};
use gufc_hw_model::v2::rxdma::{CfgAccess, DmaBeat, DmaIn, Order, RxDma, RxDmaConfig};
use gufc_regmap::RxqReg;
use gufc_sim::stimulus::Rng;

use replay::Memory;
use testbench::verilate;

const CHANNELS: usize = 4;
const DESC: u64 = 0x1_0000_0000;
const CMPL: u64 = 0x2_0000_0000;
const BUFS: u64 = 0x3_0000_0000;
const BUF_STRIDE: u64 = 0x1_0000;
const BUFFERS: u64 = 64;
const LOG2: u32 = 3;

/// The queues' register port: one access per edge, so writes wait their turn.
#[derive(Default)]
struct CfgPort(VecDeque<CfgAccess>);

impl QueueRegs for CfgPort {
    fn write(&mut self, chan: u8, reg: RxqReg, value: u32) {
        self.0.push_back(CfgAccess {
            write: true,
            chan,
            reg: reg as u8,
            wdata: value,
        });
    }
}

struct Sent {
    bytes: Vec<u8>,
    order: Order,
}

struct Run {
    stim: Vec<u32>,
    expect: Vec<u32>,
    writes: usize,
    faults: usize,
    read_faults: usize,
    drop_full: usize,
    drop_disabled: usize,
    delivered: usize,
    truncated: usize,
}

fn words_of(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

fn drive(n: usize, seed: u64, frames: usize) -> Run {
    let mut rng = Rng::new(seed);
    let mut dma = RxDma::new(RxDmaConfig {
        data_bytes: n,
        channels: CHANNELS,
    });
    // Queue 3's descriptor ring is mapped only from edge 20,000 on (the driver forgot it).
    let mut mem = Memory {
        mapped: vec![
            (DESC, 0x3000),
            (CMPL, 0x10_0000),
            (BUFS, BUFFERS * BUF_STRIDE),
        ],
        holes: BTreeSet::from([BUFS + 7 * BUF_STRIDE, BUFS + 40 * BUF_STRIDE]),
        hole: BUF_STRIDE,
        bytes: BTreeMap::new(),
    };
    let mut port = CfgPort::default();
    let units = [1u64, 4, 24, 24];
    let mut pools: Vec<Vec<u64>> = vec![Vec::new(); CHANNELS];
    for k in 0..BUFFERS {
        pools[k as usize % CHANNELS].push(BUFS + k * BUF_STRIDE);
    }
    let mut qs: Vec<RxQueue> = (0..CHANNELS)
        .map(|c| {
            let cfg = RxQueueConfig {
                chan: c as u8,
                log2_size: LOG2,
                buf_bytes: units[c] * 64,
                desc_ring: DESC + 0x1000 * c as u64,
                cmpl_ring: CMPL + 0x1000 * c as u64,
            };
            let q = RxQueue::open(cfg, &mut port, &mut mem, pools[c].iter().copied()).unwrap();
            pools[c].drain(..q.posted());
            q
        })
        .collect();
    // Queue 2 stays disabled.
    port.write(2, RxqReg::Enable, 0);
    let mut sent: Vec<Sent> = Vec::new();
    let mut cur: Option<(usize, Vec<DmaBeat>, usize)> = None; // frame, beats, taken
    let mut ordered = false;
    let mut reads: VecDeque<(usize, u64, bool)> = VecDeque::new(); // due edge, data, err
    let mut run = Run {
        stim: Vec::new(),
        expect: Vec::new(),
        writes: 0,
        faults: 0,
        read_faults: 0,
        drop_full: 0,
        drop_disabled: 0,
        delivered: 0,
        truncated: 0,
    };
    let mut faulted: Vec<u64> = Vec::new();
    let mut edge = 0usize;
    let mut quiet = 0;
    while quiet < 200 {
        // The driver: refill from the pools; map queue 3's ring at edge 20,000; after faults,
        // map the buffer that faulted (and leave another one out), then clear ERROR.
        if port.0.is_empty() && edge > 2 {
            // Refills pause for a third of the time, so that rings run empty (DROP_FULL).
            let pause = edge / 3000 % 3 == 2;
            for (c, q) in qs.iter_mut().enumerate() {
                if !pause && rng.chance(100) {
                    let k = q
                        .refill(&mut port, &mut mem, pools[c].iter().copied())
                        .unwrap();
                    pools[c].drain(..k);
                }
            }
            if edge == 20_000 || (edge > 20_000 && mem.mapped.len() == 3) {
                mem.mapped.push((DESC + 0x3000, 0x1000));
            }
            if rng.chance(5) {
                for b in faulted.drain(..) {
                    mem.holes.remove(&(b & !(BUF_STRIDE - 1)));
                    mem.holes
                        .insert(BUFS + BUF_STRIDE * rng.below(BUFFERS as u32) as u64);
                }
                port.write(rng.below(CHANNELS as u32) as u8, RxqReg::Error, 3);
            }
        }
        // The frame source.
        if cur.is_none() && sent.len() < frames {
            let len = rng
                .pick(&[1usize, 7, 8, 60, 64, 65, 200, 700])
                .min(1 + rng.below(700) as usize);
            let id = sent.len() as u32;
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.u32() as u8).collect();
            bytes
                .iter_mut()
                .zip(id.to_le_bytes())
                .for_each(|(b, i)| *b = i);
            let chan = if rng.chance(30) {
                CHANNELS as u8 + rng.below(3) as u8
            } else {
                rng.below(CHANNELS as u32) as u8
            };
            let mut cmpl = [0u32; 7];
            cmpl[0] = len as u32;
            cmpl[1] = id;
            for x in &mut cmpl[2..] {
                *x = rng.u32();
            }
            let order = Order {
                chan,
                drop: rng.chance(50),
                cmpl,
            };
            let beats = bytes
                .chunks(n)
                .enumerate()
                .map(|(i, c)| {
                    let mut data = c.to_vec();
                    data.resize(n, 0);
                    DmaBeat {
                        data,
                        keep: if c.len() == 64 {
                            u64::MAX
                        } else {
                            (1u64 << c.len()) - 1
                        },
                        last: (i + 1) * n >= len,
                    }
                })
                .collect();
            cur = Some((sent.len(), beats, 0));
            sent.push(Sent { bytes, order });
            ordered = false;
        }
        let rst = edge < 2;
        let i = DmaIn {
            rst,
            order: cur
                .as_ref()
                .filter(|_| !ordered && !rst)
                .map(|c| sent[c.0].order),
            beat: cur
                .as_ref()
                .filter(|c| ordered && !rng.chance(200) && c.2 < c.1.len())
                .map(|c| c.1[c.2].clone()),
            w_ready: !rng.chance(250),
            w_err: false,
            r_ready: !rng.chance(300),
            rd: reads.front().filter(|r| r.0 <= edge).map(|r| (r.1, r.2)),
            cfg: if edge < 2 {
                None
            } else if let Some(a) = port.0.pop_front() {
                Some(a)
            } else {
                rng.chance(100)
                    .then(|| CfgAccess {
                        // Reads of every register; writes of any data where they change nothing
                        // the driver relies on: the disabled queue 2, HEAD, channels and registers
                        // out of range.
                        write: rng.chance(200),
                        chan: rng.pick(&[0, 1, 2, 3, 4, 2, 200]),
                        reg: rng.pick(&[0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 7, 11, 15]),
                        wdata: rng.u32(),
                    })
                    .map(|a| {
                        if a.write && a.chan < 4 && a.chan != 2 && a.reg < 11 && a.reg != 7 {
                            CfgAccess { write: false, ..a }
                        } else {
                            a
                        }
                    })
            },
        };
        let mut i = i;
        let comb = dma.comb(&i);
        if let Some(wr) = &comb.write {
            i.w_err = !mem.is_mapped(wr.addr, n as u64);
        }
        // The stimulus words (layout: sim/csrc/rxdma_tb.cpp).
        let o = i.order.unwrap_or_default();
        let b = i.beat.clone().unwrap_or(DmaBeat {
            data: vec![0; n],
            ..DmaBeat::default()
        });
        let a = i.cfg.unwrap_or_default();
        let (rdd, rde) = i.rd.unwrap_or((0, false));
        run.stim.push(
            i.rst as u32
                | (i.order.is_some() as u32) << 1
                | (o.drop as u32) << 2
                | (i.beat.is_some() as u32) << 3
                | (b.last as u32) << 4
                | (i.w_ready as u32) << 5
                | (i.w_err as u32) << 6
                | (i.r_ready as u32) << 7
                | (i.rd.is_some() as u32) << 8
                | (rde as u32) << 9
                | (i.cfg.is_some() as u32) << 10
                | (a.write as u32) << 11
                | (a.reg as u32 & 15) << 12
                | (o.chan as u32) << 16
                | (a.chan as u32) << 24,
        );
        run.stim.push(a.wdata);
        run.stim.extend(words_of(rdd));
        run.stim.extend(words_of(b.keep));
        run.stim.extend(o.cmpl);
        run.stim.extend(
            b.data
                .chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
        // The host's side of the handshakes.
        if let (Some(wr), true, false) = (&comb.write, i.w_ready, i.w_err) {
            for (j, byte) in wr.data.iter().enumerate() {
                if wr.strb >> j & 1 != 0 {
                    mem.write(wr.addr + j as u64, &[*byte]);
                }
            }
            run.writes += 1;
        }
        if let (Some(wr), true, true) = (&comb.write, i.w_ready, i.w_err) {
            run.faults += 1;
            faulted.push(wr.addr);
        }
        if i.rd.is_some() {
            reads.pop_front();
        }
        if let (Some(addr), true) = (comb.read, i.r_ready) {
            let due = edge + 1 + rng.below(8) as usize;
            let ok = mem.is_mapped(addr, 8);
            let mut d = [0u8; 8];
            mem.read(addr, &mut d);
            run.read_faults += !ok as usize;
            reads.push_back((due, u64::from_le_bytes(d), !ok));
        }
        if comb.f_ready && i.order.is_some() {
            ordered = true;
        }
        if comb.s_tready && i.beat.is_some() {
            let c = cur.as_mut().unwrap();
            c.2 += 1;
            if c.2 == c.1.len() {
                cur = None;
            }
        }
        dma.step(&i);
        let t = |v: bool, k: u32| (v as u32) << k;
        let wr = comb.write.clone();
        run.expect.push(
            t(comb.f_ready, 0)
                | t(comb.s_tready, 1)
                | t(wr.is_some(), 2)
                | t(comb.read.is_some(), 3)
                | t(dma.event().is_some(), 4)
                | (dma.event().unwrap_or(0) as u32) << 8,
        );
        run.expect
            .extend(words_of(wr.as_ref().map_or(0, |w| w.addr)));
        run.expect
            .extend(words_of(wr.as_ref().map_or(0, |w| w.strb)));
        run.expect.extend(words_of(comb.read.unwrap_or(0)));
        run.expect.push(dma.rdata());
        let data = wr.map_or(vec![0; n], |w| w.data);
        run.expect.extend(
            data.chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
        // The driver polls its completion rings and checks each delivery against the frame.
        for (c, q) in qs.iter_mut().enumerate() {
            for r in q.poll(&mem, 4) {
                let f = &sent[r.cmpl[1] as usize];
                assert_eq!(
                    r.cmpl, f.order.cmpl,
                    "seed {seed} queue {c}: completion words"
                );
                assert_eq!(
                    f.order.chan as usize, c,
                    "seed {seed}: frame {} in queue {c}",
                    r.cmpl[1]
                );
                let kept = (f.bytes.len() as u64).min(q.config().buf_bytes) as usize;
                assert_eq!(
                    r.truncated,
                    f.bytes.len() > kept,
                    "seed {seed}: truncated flag"
                );
                assert_eq!(
                    q.frame(&mem, &r, f.bytes.len()),
                    f.bytes[..kept],
                    "seed {seed} queue {c}: frame {} in its buffer",
                    r.cmpl[1]
                );
                run.truncated += r.truncated as usize;
                run.delivered += 1;
                // The buffer's bytes are consumed: forget them, so that stale data cannot pass.
                for k in 0..kept as u64 {
                    mem.bytes.remove(&(r.buffer + k));
                }
                pools[c].push(r.buffer);
            }
        }
        edge += 1;
        let busy = cur.is_some() || sent.len() < frames || !port.0.is_empty() || !reads.is_empty();
        quiet = if busy { 0 } else { quiet + 1 };
        assert!(
            edge < frames * 400,
            "seed {seed}: the engine stopped making progress"
        );
    }
    run.drop_full = (0..CHANNELS).map(|c| dma.drops(c).0 as usize).sum();
    run.drop_disabled = dma.drops(2).1 as usize;
    run
}

fn lockstep(n: usize, seed: u64, frames: usize) {
    let dw = n * 8;
    let run = drive(n, seed, frames);
    let what = format!("rxdma DW={dw} seed {seed}");
    let tw = 8 + n / 4;
    println!(
        "{what}: {} edges, {frames} frames, {} delivered ({} truncated), {} writes, {} write faults, {} descriptor read faults, {} dropped for want of a buffer, {} on the disabled queue",
        run.expect.len() / tw,
        run.delivered,
        run.truncated,
        run.writes,
        run.faults,
        run.read_faults,
        run.drop_full,
        run.drop_disabled
    );
    assert!(
        run.delivered > frames / 4
            && run.truncated > 0
            && run.faults > 0
            && run.read_faults > 0
            && run.drop_full > 0
            && run.drop_disabled > 0,
        "{what}: coverage"
    );
    let exe = verilate(
        &format!("rxdma_dw{dw}"),
        "gufc_rxdma",
        &["rtl/v2/gufc_rxdma.v".into()],
        &[format!("DW={dw}"), format!("CHANNELS={CHANNELS}")],
        &format!("-DNDW={dw}"),
        "rxdma_tb",
    );
    let (got, stim) = replay::run(&exe, &run.stim, &format!("rxdma-{seed}"));
    const NAMES: [&str; 8] = [
        "f_ready | s_tready<<1 | w_valid<<2 | r_valid<<3 | ev_valid<<4 | ev_vec<<8",
        "w_addr lo",
        "w_addr hi",
        "w_strb lo",
        "w_strb hi",
        "r_addr lo",
        "r_addr hi",
        "cfg_rdata",
    ];
    if let Some((e, k)) = replay::first_mismatch(&got, &run.expect, tw, &what) {
        let row = |t: &[u32]| t[e * tw..(e + 1) * tw].to_vec();
        panic!(
            "{what}: RXDMA MISMATCH at edge {e}: {}: rtl {:#010x}, model {:#010x}\nrtl   {:08x?}\nmodel {:08x?}\nreplay: {} {} /tmp/t.bin",
            NAMES.get(k).copied().unwrap_or("w_data"),
            row(&got)[k],
            row(&run.expect)[k],
            row(&got),
            row(&run.expect),
            exe.display(),
            stim.display()
        );
    }
    std::fs::remove_file(&stim).ok();
}

#[test]
fn rxdma_dw64_matches_the_model_on_every_edge() {
    lockstep(8, 1, 3000);
}

#[test]
fn rxdma_dw256_and_dw512_match_the_model_on_every_edge() {
    lockstep(32, 2, 2000);
    lockstep(64, 3, 2000);
}
