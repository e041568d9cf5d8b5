//! The receive DMA engine (`rtl/v2/gufc_rxdma.v`) against its model
//! (`gufc_hw_model::v2::rxdma`), every output bit on every edge (docs/dma.md).
//!
//! A host is simulated around the model: memory with an IOVA map (writes outside it answered
//! with `w_err`, descriptor reads outside it with `rd_err`, after 1-8 edges), `w_ready` and
//! `r_ready` backpressure, and a driver that configures the queues (small rings, buffers of
//! 64, 256 and 1,536 bytes, one queue disabled, one whose descriptor ring is unmapped until the
//! driver repairs it and clears ERROR), posts buffers (a few of them unmapped), polls the
//! completion rings by their phase bit, checks every completion and its buffer against the frame
//! that was sent, and posts the buffer again. Frames of 1 to 700 bytes go to every queue, to a
//! channel past the last and with the drop flag. The inputs of every edge are written out; the
//! Verilated engine replays them and its trace must equal the model's word for word.

// Shared with the block tests; this one uses only `verilate`.
#[allow(dead_code)]
mod testbench;

use std::collections::{BTreeMap, VecDeque};
use std::process::Command;

use gufc_hw_model::v2::rxdma::{reg, CfgAccess, DmaBeat, DmaIn, Order, RxDma, RxDmaConfig};
use gufc_sim::stimulus::Rng;

use testbench::verilate;

const CHANNELS: usize = 4;
const DESC: u64 = 0x1_0000_0000;
const CMPL: u64 = 0x2_0000_0000;
const BUFS: u64 = 0x3_0000_0000;
const BUF_STRIDE: u64 = 0x1_0000;
/// Queue 3's descriptor ring, unmapped until the driver repairs it.
const BAD_DESC: u64 = 0x9_0000_0000;
const LOG2: u32 = 3;
/// A buffer address the driver sometimes posts by mistake: its writes fault.
const UNMAPPED: u64 = 0x7_0000_0000;

/// Host memory: mapped ranges and their bytes.
struct Memory {
    mapped: Vec<(u64, u64)>,
    bytes: BTreeMap<u64, u8>,
}

impl Memory {
    fn is_mapped(&self, a: u64, n: u64) -> bool {
        self.mapped.iter().any(|&(s, l)| a >= s && a + n <= s + l)
    }
    fn get(&self, a: u64) -> u8 {
        self.bytes.get(&a).copied().unwrap_or(0)
    }
    fn word(&self, a: u64) -> u32 {
        u32::from_le_bytes([
            self.get(a),
            self.get(a + 1),
            self.get(a + 2),
            self.get(a + 3),
        ])
    }
}

/// The driver's view of a queue.
#[derive(Default)]
struct Queue {
    tail: u16,
    /// The next completion the driver expects (index, as HEAD counts).
    next: u16,
    buf_bytes: u64,
    delivered: usize,
    /// Buffers by descriptor index, as posted.
    posted: BTreeMap<u16, u64>,
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
    let mut mem = Memory {
        mapped: vec![
            (DESC, 0x10_0000),
            (CMPL, 0x10_0000),
            (BUFS, 64 * BUF_STRIDE),
        ],
        bytes: BTreeMap::new(),
    };
    let units = [1u32, 4, 24, 24];
    let mut qs: Vec<Queue> = (0..CHANNELS)
        .map(|c| Queue {
            buf_bytes: units[c] as u64 * 64,
            ..Queue::default()
        })
        .collect();
    let mut cfg_q: VecDeque<CfgAccess> = VecDeque::new();
    let w = |chan: usize, reg: u8, wdata: u32| CfgAccess {
        write: true,
        chan: chan as u8,
        reg,
        wdata,
    };
    for c in 0..CHANNELS {
        // Completion slots start with the phase the first pass does not write.
        for slot in 0..1u64 << LOG2 {
            let at = CMPL + 0x1000 * c as u64 + 32 * slot + 31;
            mem.bytes.insert(at, 0x80);
        }
        let desc = if c == 3 {
            BAD_DESC
        } else {
            DESC + 0x1000 * c as u64
        };
        let [dl, dh] = words_of(desc);
        let [cl, ch] = words_of(CMPL + 0x1000 * c as u64);
        cfg_q.extend([
            w(c, reg::DESC_BASE_LO, dl),
            w(c, reg::DESC_BASE_HI, dh),
            w(c, reg::CMPL_BASE_LO, cl),
            w(c, reg::CMPL_BASE_HI, ch),
            w(c, reg::RING, LOG2 | units[c] << 8),
            w(c, reg::ENABLE, (c != 2) as u32),
        ]);
    }
    let mut next_buf = 0u64;
    let mut sent: Vec<Sent> = Vec::new();
    let mut cur: Option<(usize, Vec<DmaBeat>, usize)> = None; // frame, beats, taken
    let mut ordered = false;
    let mut reads: VecDeque<(usize, u64, bool)> = VecDeque::new(); // due edge, data, err
    let mut run = Run {
        stim: Vec::new(),
        expect: Vec::new(),
        writes: 0,
        faults: 0,
        delivered: 0,
        truncated: 0,
    };
    let mut repaired = false;
    let mut edge = 0usize;
    let mut quiet = 0;
    while quiet < 200 {
        // The driver: post buffers (a few unmapped), repair queue 3 once it has faulted.
        if cfg_q.is_empty() {
            for c in 0..CHANNELS {
                let q = &mut qs[c];
                let size = 1u16 << LOG2;
                if q.tail.wrapping_sub(q.next) < size && rng.chance(100) {
                    let buf = if rng.chance(30) {
                        UNMAPPED
                    } else {
                        next_buf = (next_buf + 1) % 64;
                        BUFS + BUF_STRIDE * next_buf
                    };
                    let at = DESC + 0x1000 * c as u64 + 8 * (q.tail % size) as u64;
                    for (i, b) in buf.to_le_bytes().iter().enumerate() {
                        mem.bytes.insert(at + i as u64, *b);
                    }
                    q.posted.insert(q.tail, buf);
                    q.tail = q.tail.wrapping_add(1);
                    cfg_q.push_back(w(c, reg::TAIL, q.tail as u32));
                }
            }
            if !repaired && edge > 20_000 {
                repaired = true;
                let [dl, dh] = words_of(DESC + 0x3000);
                cfg_q.extend([w(3, reg::DESC_BASE_LO, dl), w(3, reg::DESC_BASE_HI, dh)]);
            }
            if rng.chance(5) {
                // Resume a queue: the descriptor at HEAD gets a mapped buffer if it had none
                // (a faulted write leaves HEAD on it), then ERROR is cleared.
                let c = rng.below(CHANNELS as u32) as usize;
                let q = &mut qs[c];
                if let Some(b) = q.posted.get_mut(&q.next).filter(|b| **b == UNMAPPED) {
                    next_buf = (next_buf + 1) % 64;
                    *b = BUFS + BUF_STRIDE * next_buf;
                    let at = DESC + 0x1000 * c as u64 + 8 * (q.next % (1 << LOG2)) as u64;
                    for (i, v) in b.to_le_bytes().iter().enumerate() {
                        mem.bytes.insert(at + i as u64, *v);
                    }
                }
                cfg_q.push_back(w(c, reg::ERROR, 3));
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
            } else if let Some(a) = cfg_q.pop_front() {
                Some(a)
            } else {
                rng.chance(100).then(|| CfgAccess {
                    write: false,
                    chan: rng.below(CHANNELS as u32 + 1) as u8,
                    reg: rng.below(12) as u8,
                    wdata: 0,
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
                    mem.bytes.insert(wr.addr + j as u64, *byte);
                }
            }
            run.writes += 1;
        }
        run.faults += (comb.write.is_some() && i.w_ready && i.w_err) as usize;
        if i.rd.is_some() {
            reads.pop_front();
        }
        if let (Some(addr), true) = (comb.read, i.r_ready) {
            let due = edge + 1 + rng.below(8) as usize;
            let ok = mem.is_mapped(addr, 8);
            let data = (0..8).fold(0u64, |v, k| v | (mem.get(addr + k) as u64) << (8 * k));
            reads.push_back((due, data, !ok));
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
        // The driver polls its completion rings (phase bit) and checks each delivery.
        for (c, q) in qs.iter_mut().enumerate() {
            let size = 1u16 << LOG2;
            let at = CMPL + 0x1000 * c as u64 + 32 * (q.next % size) as u64;
            let w7 = mem.word(at + 28);
            let phase = (q.next >> LOG2 & 1) as u32;
            if q.tail == q.next || w7 >> 31 != phase || w7 & 0xffff != q.next as u32 {
                continue;
            }
            let words: Vec<u32> = (0..7).map(|k| mem.word(at + 4 * k)).collect();
            let f = &sent[words[1] as usize];
            assert_eq!(
                words, f.order.cmpl,
                "seed {seed} queue {c}: completion {} words",
                q.next
            );
            assert_eq!(
                f.order.chan as usize, c,
                "seed {seed}: frame {} in queue {c}",
                words[1]
            );
            let buf = q.posted.remove(&q.next).unwrap();
            let kept = (f.bytes.len() as u64).min(q.buf_bytes) as usize;
            let got: Vec<u8> = (0..kept as u64).map(|k| mem.get(buf + k)).collect();
            assert_eq!(
                got,
                f.bytes[..kept],
                "seed {seed} queue {c}: frame {} in its buffer",
                words[1]
            );
            let trunc = f.bytes.len() > kept;
            assert_eq!(w7 >> 30 & 1, trunc as u32, "seed {seed}: truncated flag");
            run.truncated += trunc as usize;
            // The buffer's bytes are consumed: forget them, so that stale data cannot pass.
            for k in 0..kept as u64 {
                mem.bytes.remove(&(buf + k));
            }
            q.next = q.next.wrapping_add(1);
            q.delivered += 1;
            run.delivered += 1;
        }
        edge += 1;
        let busy = cur.is_some() || sent.len() < frames || !cfg_q.is_empty() || !reads.is_empty();
        quiet = if busy { 0 } else { quiet + 1 };
        assert!(
            edge < frames * 400,
            "seed {seed}: the engine stopped making progress"
        );
    }
    run
}

fn lockstep(n: usize, seed: u64, frames: usize) {
    let dw = n * 8;
    let run = drive(n, seed, frames);
    let what = format!("rxdma DW={dw} seed {seed}");
    let tw = 8 + n / 4;
    println!(
        "{what}: {} edges, {frames} frames, {} delivered ({} truncated), {} writes, {} write faults",
        run.expect.len() / tw,
        run.delivered,
        run.truncated,
        run.writes,
        run.faults
    );
    assert!(
        run.delivered > frames / 4 && run.truncated > 0 && run.faults > 0,
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
    let dir = exe.parent().unwrap();
    let stim = dir.join(format!("stim-{seed}.bin"));
    let trace = dir.join(format!("trace-{seed}.bin"));
    std::fs::write(
        &stim,
        run.stim
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let out = Command::new(&exe)
        .arg(&stim)
        .arg(&trace)
        .output()
        .expect("the rxdma testbench");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{what}: {report}");
    assert!(
        out.status.success(),
        "{what}: {report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<u32> = std::fs::read(&trace)
        .unwrap()
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(got.len(), run.expect.len(), "{what}: trace length");
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
    for (e, (g, m)) in got.chunks(tw).zip(run.expect.chunks(tw)).enumerate() {
        if let Some(k) = (0..tw).find(|&k| g[k] != m[k]) {
            panic!(
                "{what}: RXDMA MISMATCH at edge {e}: {}: rtl {:#010x}, model {:#010x}\nrtl   {g:08x?}\nmodel {m:08x?}\nreplay: {} {} /tmp/t.bin",
                NAMES.get(k).copied().unwrap_or("w_data"),
                g[k],
                m[k],
                exe.display(),
                stim.display()
            );
        }
    }
    std::fs::remove_file(&stim).ok();
    std::fs::remove_file(&trace).ok();
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
