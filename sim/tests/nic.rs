//! The packet-path top (`rtl/v2/gufc_nic.v`) against its model (`gufc_hw_model::v2::nic`),
//! every output bit on every edge (docs/nic.md).
//!
//! A host is simulated around the model: memory behind an IOMMU (buffers left out of the map
//! fault; one descriptor ring is mapped late, so its reads fault), `w_ready`, `r_ready` and
//! `irq_ready` backpressure, descriptor reads answered after 1-8 edges, and the driver itself:
//! `gufc::Device` opens BAR0 (each register access is one edge of the model, the host serving
//! DMA meanwhile), resets the device and installs rules, and `gufc::rx::RxQueue` opens the
//! receive queues of channels 0..C and the slow path, refills them (pausing, so that rings run
//! empty) and polls their completions. Frames of `gufc_sim::frames` (the corpus, random ones
//! with broken fields, FRAME_ERROR by `tuser`, some longer than the frame buffer) arrive with
//! random gaps. Between phases the traffic stops and the run drains, then PARSE_POLICY changes
//! or CONTROL.RESET is written; or CONTROL.RESET comes with frames still inside (lost together).
//! After a reset the driver sets up the queues, vectors, rules and flows again. (A DELIVER to a
//! channel past the last cannot be made: the classifier refuses the action, BAD_ACTION.)
//!
//! Every completion is checked against what does not come from the NIC model: its queue,
//! VERDICT, KIND and REASON against the rule set's reference semantics (`RuleSet::
//! first_match_with_flags`; IPv6 is a miss), its LEN and parser fields against the standalone
//! `parse` of the frame, the bytes in its buffer against the frame cut at `FB_DEPTH·DW/8` and
//! at the buffer's size. PARSE_COUNT is checked against the frames sent at every drain. The
//! inputs of every edge are written out; the Verilated NIC (`sim/csrc/nic_tb.cpp`) replays them
//! and its trace must equal the model's word for word.

// Shared with the packet path's other tests; this one needs no parser build.
#[allow(dead_code)]
mod replay;
// Shared with the block tests; this one uses only `verilate`.
#[allow(dead_code)]
mod testbench;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use gufc::backend::{Bar, BusError};
use gufc::device::{Device, OpenOptions};
use gufc::rules::{compile_for, text, RuleSet, RuleStage};
use gufc::rx::{rxq_offset, DmaMemory, QueueRegs, RxQueue, RxQueueConfig};
use gufc_hw_model::v2::nic::{Nic, NicConfig, NicIn};
use gufc_hw_model::v2::parser::{beats, parse, Beat, ParserConfig, Record};
use gufc_hw_model::v2::top::TopConfig;
use gufc_regmap::device::{IRQ_BASE, IRQ_STRIDE, NIC_BASE, RXQ_BASE, RXQ_STRIDE};
use gufc_regmap::{
    Action, HitKind, IrqField, Key, Mmio, NicReg, ParseReason, RxqReg, SlowReason, Verdict,
};
use gufc_sim::frames::{corpus, ethernet, ipv4, random, transport, Frame, L4};
use gufc_sim::stimulus::Rng;
use gufc_sim::Config;

use replay::Memory;
use testbench::verilate;

/// The classifier: 64 entries, 16 buckets of 2 ways, 3 channels (queue 3 is the slow path),
/// 4 locality entries.
const CHANNELS: usize = 3;
const QUEUES: usize = CHANNELS + 1;
const VECTORS: usize = CHANNELS + 2;
/// Frame buffer beats: small, so that frames are cut (256 bytes at DW 64, 2,048 at DW 512).
const FB_DEPTH: usize = 32;
const DESC: u64 = 0x1_0000_0000;
const CMPL: u64 = 0x2_0000_0000;
const BUFS: u64 = 0x3_0000_0000;
const BUF_STRIDE: u64 = 0x1_0000;
/// Buffers, `k` belongs to queue `k % QUEUES`.
const BUFFERS: u64 = 64;
/// Buffer bytes per queue: below and above the frame buffer's cut at either width.
const BUF_BYTES: [u64; QUEUES] = [1536, 128, 2048, 512];
const LOG2: u32 = 3;
/// The queue whose descriptor ring is mapped only from edge 30,000 on.
const LATE_RING: usize = 2;

/// Completion word 0 / 1 fields (regmap.toml [cmpl0], [cmpl1], [verdict], [kind]).
const DELIVER: u32 = Verdict::Deliver as u32;
const SLOW_PATH: u32 = Verdict::SlowPath as u32;
const KIND_MISS: u32 = HitKind::Miss as u32;
const KIND_FLOW: u32 = HitKind::Flow as u32;
const KIND_RULE: u32 = HitKind::Rule as u32;
/// [slow_reason] MISS.
const REASON_MISS: u32 = SlowReason::Miss as u32;

/// Two rule sets, alternating across CONTROL.RESET: every channel, a rule's DROP, a rule's
/// slow path with its own reason, a TCP flags match; anything else misses (slow path).
const RULES: [&str; 2] = [
    "channel 2 proto tcp flags SYN/SYN,ACK\n\
     drop proto udp dport 0-4095\n\
     channel 0 proto tcp dport 0-32767\n\
     channel 1 proto tcp\n\
     channel 2 proto udp\n\
     slowpath reason 20 proto icmp\n",
    "channel 0 proto udp\n\
     slowpath reason 30 proto tcp dport 0-1023\n\
     channel 1 proto tcp sport 32768-65535\n\
     channel 2 proto tcp\n\
     drop proto icmp\n",
];

/// Flows the driver caches (pinned, so that rule commits leave them current): the 5-tuples of
/// TCP frames the source sends now and then, and their actions per rule set.
const FLOWS: [(u32, u32, u16, u16); 3] = [
    (0x0a00_0001, 0xc0a8_0001, 1000, 80),
    (0x0a00_0003, 0xc0a8_0004, 2000, 443),
    (0x0a00_0005, 0xc0a8_0006, 40000, 53),
];
const FLOW_ACTIONS: [[Action; 3]; 2] = [
    [
        Action::Deliver { channel: 2 },
        Action::Drop,
        Action::SlowPath { reason: 40 },
    ],
    [
        Action::SlowPath { reason: 41 },
        Action::Deliver { channel: 0 },
        Action::Drop,
    ],
];

/// Register writes of the receive queues and the interrupt setup, waiting for an edge of BAR0
/// that the driver's own accesses leave free.
#[derive(Default)]
struct Pending(VecDeque<Mmio>);

impl QueueRegs for Pending {
    fn write(&mut self, chan: u8, reg: RxqReg, value: u32) {
        self.0.push_back(Mmio::Write {
            addr: rxq_offset(chan, reg),
            data: value,
        });
    }
}

/// Where a frame must end up, by the rules, the parse and PARSE_POLICY alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dest {
    /// Completion in this queue with this VERDICT, KIND and REASON (REASON only on SLOW_PATH).
    Queue(usize, u32, u32, u32),
    /// No completion: a rule's DROP.
    RuleDrop,
    /// No completion: PARSE_POLICY drops the parser's reason.
    PolicyDrop,
}

struct Sent {
    frame: Frame,
    rec: Record,
    dest: Dest,
}

/// Counts for the lead's note and the coverage checks.
#[derive(Debug, Default)]
struct Counts {
    frames: usize,
    delivered: [usize; QUEUES],
    truncated: usize,
    cut: usize,
    rule_drops: usize,
    flow_hits: usize,
    policy_drops: usize,
    drop_full: [u64; QUEUES],
    drop_disabled: [u64; QUEUES],
    write_faults: usize,
    read_faults: usize,
    irqs: [usize; VECTORS],
    reasons: [usize; 10],
    resets: usize,
    resets_in_flight: usize,
    policies: usize,
    reg_reads: usize,
}

/// The model, the host around it and the records of every edge.
struct World {
    n: usize,
    nic: Nic,
    pcfg: ParserConfig,
    rng: Rng,
    mem: Memory,
    pending: Pending,
    qs: Vec<RxQueue>,
    pools: Vec<Vec<u64>>,
    faulted: Vec<u64>,
    reads: VecDeque<(usize, u64, bool)>,
    /// The frame on the wire: its index in `sent`, beats, beats taken, its beat on offer.
    cur: Option<(usize, Vec<Beat>, usize)>,
    offered: bool,
    gap: usize,
    sending: bool,
    pause_refill: bool,
    /// `r_ready` 0: no descriptor read outstanding across a reset.
    hold_reads: bool,
    corpus: Vec<Frame>,
    sent: Vec<Sent>,
    /// Frames since the packet path's reset, in record order (`seq` indexes it).
    epoch: Vec<usize>,
    /// `epoch[counted..]`: the frames PARSE_COUNT counts (it was cleared before them).
    counted: usize,
    seen: HashSet<u32>,
    rules: RuleSet,
    /// The flows cached, by their key without locality bits.
    flows: Vec<(Key, Action)>,
    policy: u32,
    irq_shown: Option<u16>,
    rst: usize,
    edge: usize,
    /// Edges beyond which the run has stopped making progress.
    limit: usize,
    last_beat: usize,
    stim: Vec<u32>,
    expect: Vec<u32>,
    c: Counts,
}

fn words_of(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

impl World {
    /// One rising edge with `mmio` on BAR0; returns `mmio_rdata` after it.
    fn edge(&mut self, mmio: Option<Mmio>) -> u32 {
        let n = self.n;
        let rst = self.rst > 0;
        self.rst = self.rst.saturating_sub(1);
        self.source();
        let rng = &mut self.rng;
        // AXI: a beat once offered stays offered until taken.
        let offer = self.cur.is_some() && (self.offered || !rng.chance(150));
        let mut i = NicIn {
            rst,
            mmio,
            rx: self
                .cur
                .as_ref()
                .filter(|_| offer)
                .map(|c| c.1[c.2].clone()),
            w_ready: !rng.chance(200),
            w_err: false,
            r_ready: !rng.chance(250) && !self.hold_reads,
            rd: self
                .reads
                .front()
                .filter(|r| r.0 <= self.edge)
                .map(|r| (r.1, r.2)),
            irq_ready: !rng.chance(300),
        };
        let comb = self.nic.comb(&i);
        if let Some(w) = &comb.write {
            i.w_err = !self.mem.is_mapped(w.addr, n as u64);
        }
        // The stimulus words (layout: sim/csrc/nic_tb.cpp).
        let (mv, mw, addr, wdata) = match i.mmio {
            None => (false, false, 0, 0),
            Some(Mmio::Read { addr }) => (true, false, addr, 0),
            Some(Mmio::Write { addr, data }) => (true, true, addr, data),
        };
        let b = i.rx.clone().unwrap_or(Beat {
            data: vec![0; n],
            ..Beat::default()
        });
        let (rdd, rde) = i.rd.unwrap_or((0, false));
        self.stim.push(
            rst as u32
                | (mv as u32) << 1
                | (mw as u32) << 2
                | (i.rx.is_some() as u32) << 3
                | (b.last as u32) << 4
                | (b.user as u32) << 5
                | (i.w_ready as u32) << 6
                | (i.w_err as u32) << 7
                | (i.r_ready as u32) << 8
                | (i.rd.is_some() as u32) << 9
                | (rde as u32) << 10
                | (i.irq_ready as u32) << 11
                | (addr & 0xfff) << 16,
        );
        self.stim.push(wdata);
        self.stim.extend(words_of(rdd));
        self.stim.extend(words_of(b.keep));
        self.stim.extend(
            b.data
                .chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
        // The host's side of the handshakes.
        if !rst {
            if let (Some(wr), true) = (&comb.write, i.w_ready) {
                if i.w_err {
                    self.c.write_faults += 1;
                    self.faulted.push(wr.addr);
                } else {
                    for (j, byte) in wr.data.iter().enumerate() {
                        if wr.strb >> j & 1 != 0 {
                            self.mem.bytes.insert(wr.addr + j as u64, *byte);
                        }
                    }
                }
            }
            if i.rd.is_some() {
                self.reads.pop_front();
            }
            if let (Some(a), true) = (comb.read, i.r_ready) {
                let due = self.edge + 1 + self.rng.below(8) as usize;
                let ok = self.mem.is_mapped(a, 8);
                let mut d = [0u8; 8];
                self.mem.read(a, &mut d);
                self.c.read_faults += !ok as usize;
                self.reads.push_back((due, u64::from_le_bytes(d), !ok));
            }
            if let (Some(v), true) = (self.irq_shown, i.irq_ready) {
                self.c.irqs[v as usize % VECTORS] += 1;
            }
            self.offered = i.rx.is_some() && !comb.rx_ready;
            if comb.rx_ready && i.rx.is_some() {
                let c = self.cur.as_mut().unwrap();
                if c.2 == 0 {
                    self.epoch.push(c.0);
                }
                c.2 += 1;
                self.last_beat = self.edge;
                if c.2 == c.1.len() {
                    self.cur = None;
                }
            }
        }
        self.nic.step(&i);
        self.irq_shown = self.nic.irq();
        let rdata = self.nic.rdata();
        let comb_ready = comb.rx_ready;
        let t = |v: bool, k: u32| (v as u32) << k;
        let wr = comb.write;
        let irq = self.nic.irq();
        self.expect.push(
            t(comb.rx_ready, 0)
                | t(wr.is_some(), 1)
                | t(comb.read.is_some(), 2)
                | t(irq.is_some(), 3)
                | (irq.unwrap_or(0) as u32) << 8,
        );
        self.expect
            .extend(words_of(wr.as_ref().map_or(0, |w| w.addr)));
        self.expect
            .extend(words_of(wr.as_ref().map_or(0, |w| w.strb)));
        self.expect.extend(words_of(comb.read.unwrap_or(0)));
        self.expect.push(rdata);
        let data = wr.map_or(vec![0; n], |w| w.data);
        self.expect.extend(
            data.chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
        self.poll();
        self.edge += 1;
        assert!(
            self.edge < self.limit,
            "DW={} edge {}: no progress (frame on the wire: {:?} beats taken of {:?}; rx_tready {}, {} reads outstanding, {} register writes waiting)",
            self.n * 8,
            self.edge,
            self.cur.as_ref().map(|c| c.2),
            self.cur.as_ref().map(|c| c.1.len()),
            comb_ready,
            self.reads.len(),
            self.pending.0.len()
        );
        if self.edge == 30_000 {
            self.mem
                .mapped
                .push((DESC + 0x1000 * LATE_RING as u64, 0x1000));
        }
        rdata
    }

    /// An edge of BAR0 the driver's accesses leave free: a queued register write, else now
    /// and then a read of the NIC's registers, a queue's or a vector's (also ones that do not
    /// exist and unaligned ones), a pending clear, or a write where nothing exists.
    fn idle(&mut self) {
        if let Some(m) = self.pending.0.pop_front() {
            self.edge(Some(m));
            return;
        }
        if self.edge > 2 {
            self.driver();
        }
        let r = &mut self.rng;
        let m = if !r.chance(30) {
            None
        } else if r.chance(30) {
            let pend =
                IRQ_BASE + r.below(VECTORS as u32) * IRQ_STRIDE + 4 * IrqField::Pending as u32;
            Some(Mmio::Write {
                addr: r.pick(&[
                    RXQ_BASE + 5 * RXQ_STRIDE + 4 * RxqReg::Enable as u32,
                    RXQ_BASE + 31 * RXQ_STRIDE,
                    IRQ_BASE + 6 * IRQ_STRIDE + 4 * IrqField::Mask as u32,
                    IRQ_BASE + 32 * IRQ_STRIDE,
                    NIC_BASE + 4 * NicReg::Caps as u32,
                    NIC_BASE + 4 * NicReg::IrqPending as u32,
                    NIC_BASE + 4 * NicReg::ParsePolicy as u32 + 1,
                    pend,
                ]),
                data: r.u32(),
            })
        } else {
            self.c.reg_reads += 1;
            Some(Mmio::Read {
                addr: match r.below(4) {
                    0 => NIC_BASE + 4 * r.pick(&[0, 1, 2, 3, 15, 16, 17, 18, 19, 20, 21, 25, 26]),
                    1 => {
                        RXQ_BASE
                            + r.below(QUEUES as u32 + 2) * RXQ_STRIDE
                            + 4 * r.below(12)
                            + r.pick(&[0, 0, 0, 0, 0, 0, 1, 2])
                    }
                    2 => IRQ_BASE + r.below(VECTORS as u32 + 1) * IRQ_STRIDE + 4 * r.below(4),
                    _ => r.pick(&[0, 4, NIC_BASE + 2, 0xffc]),
                },
            })
        };
        self.edge(m);
    }

    /// The driver between accesses: refills (paused now and then, so that rings run empty),
    /// and after faults maps the buffers that faulted, leaves another out and clears ERROR.
    fn driver(&mut self) {
        if !self.pending.0.is_empty() || self.qs.is_empty() {
            return;
        }
        for (c, q) in self.qs.iter_mut().enumerate() {
            if !self.pause_refill && self.rng.chance(100) {
                let k = q
                    .refill(
                        &mut self.pending,
                        &mut self.mem,
                        self.pools[c].iter().copied(),
                    )
                    .unwrap();
                self.pools[c].drain(..k);
            }
        }
        if self.rng.chance(3) && !self.faulted.is_empty() {
            for b in std::mem::take(&mut self.faulted) {
                self.mem.holes.remove(&(b & !(BUF_STRIDE - 1)));
            }
            let k = self.rng.below(BUFFERS as u32) as u64;
            self.mem.holes.insert(BUFS + BUF_STRIDE * k);
        }
        if self.rng.chance(3) {
            let q = self.rng.below(QUEUES as u32) as u8;
            self.pending.write(q, RxqReg::Error, 3);
        }
    }

    /// The frame source: the next frame after a random gap.
    fn source(&mut self) {
        if self.cur.is_some() || !self.sending || self.rst > 0 {
            return;
        }
        if self.gap > 0 {
            self.gap -= 1;
            return;
        }
        let rng = &mut self.rng;
        self.gap = rng.pick(&[0, 0, 0, 1, 2, 5, 30]);
        let mut frame = if rng.chance(150) {
            self.corpus[rng.below(self.corpus.len() as u32) as usize].clone()
        } else if rng.chance(100) {
            flow_frame(rng.below(FLOWS.len() as u32) as usize, rng)
        } else {
            random(rng)
        };
        if rng.chance(10) {
            // Longer than the frame buffer at every width.
            let l = rng.pick(&[2100, 3000, 9000]);
            frame.bytes.resize(l, 0xa5);
        }
        if frame.bytes.is_empty() {
            frame.bytes.push(0x42);
        }
        if rng.chance(15) {
            frame.error = true;
        }
        let rec = parse(&frame.bytes, frame.error, &self.pcfg);
        let dest = self.dest(&rec);
        let mut bs = beats(&frame.bytes, frame.error, self.n);
        if frame.error && self.rng.chance(500) {
            // tuser on another beat than the last.
            let k = self.rng.below(bs.len() as u32) as usize;
            bs.iter_mut().for_each(|b| b.user = false);
            bs[k].user = true;
        }
        self.cur = Some((self.sent.len(), bs, 0));
        self.sent.push(Sent { frame, rec, dest });
        self.c.frames += 1;
    }

    /// Where the rules, the parse and PARSE_POLICY send a record (docs/nic.md "Order").
    fn dest(&self, rec: &Record) -> Dest {
        let slow = CHANNELS;
        let r = rec.reason as u32;
        if r != 0 {
            return if self.policy >> r & 1 != 0 {
                Dest::PolicyDrop
            } else {
                // The order's word 0 has LEN, VERDICT and KIND only (REASON 0).
                Dest::Queue(slow, SLOW_PATH, KIND_MISS, 0)
            };
        }
        if rec.key.ipv6 {
            return Dest::Queue(slow, SLOW_PATH, KIND_MISS, REASON_MISS);
        }
        let flow = self
            .flows
            .iter()
            .find(|f| f.0 == rec.key.flow_part())
            .map(|f| (f.1, KIND_FLOW));
        let rule = || {
            self.rules
                .first_match_with_flags(&rec.key, rec.flags)
                .map(|i| (self.rules.rules[i].action, KIND_RULE))
        };
        match flow.or_else(rule) {
            None => Dest::Queue(slow, SLOW_PATH, KIND_MISS, REASON_MISS),
            Some((Action::Deliver { channel }, kind)) => {
                Dest::Queue(channel as usize, DELIVER, kind, 0)
            }
            Some((Action::Drop, _)) => Dest::RuleDrop,
            Some((Action::SlowPath { reason }, kind)) => {
                Dest::Queue(slow, SLOW_PATH, kind, reason as u32)
            }
        }
    }

    /// Polls every queue and checks each completion against its frame.
    fn poll(&mut self) {
        let cut_at = self.nic.config().fb_depth * self.n;
        for q in 0..self.qs.len() {
            let got = self.qs[q].poll(&self.mem, 4);
            for r in got {
                let seq = r.cmpl[6];
                let what = format!("DW={} edge {} queue {q} seq {seq}", self.n * 8, self.edge);
                assert!(self.seen.insert(seq), "{what}: a second completion");
                let id = *self
                    .epoch
                    .get(seq as usize)
                    .unwrap_or_else(|| panic!("{what}: no such frame sent"));
                let s = &self.sent[id];
                let len = s.frame.bytes.len();
                let Dest::Queue(want_q, verdict, kind, reason) = s.dest else {
                    panic!("{what}: frame {id} ({:?}) should be dropped", s.dest)
                };
                assert_eq!(
                    q, want_q,
                    "{what}: frame {id} {:?} in the wrong queue",
                    s.rec
                );
                let w0 = r.cmpl[0];
                assert_eq!(w0 & 0xffff, len as u32 & 0xffff, "{what}: LEN");
                assert_eq!(w0 >> 16 & 3, verdict, "{what}: VERDICT");
                assert_eq!(w0 >> 18 & 3, kind, "{what}: KIND");
                if verdict == SLOW_PATH {
                    assert_eq!(w0 >> 24, reason, "{what}: REASON");
                }
                let rec = &s.rec;
                let w1 = r.cmpl[1];
                assert_eq!(w1 & 0xff, q as u32, "{what}: CHANNEL");
                assert_eq!(w1 >> 8 & 0xff, rec.reason as u32, "{what}: PARSE_REASON");
                assert_eq!(w1 >> 16 & 0xff, rec.flags as u32, "{what}: TCP_FLAGS");
                assert_eq!(w1 >> 24 & 3, rec.tags as u32, "{what}: VLAN_TAGS");
                assert_eq!(w1 >> 26 & 3, rec.frag as u32, "{what}: FRAG");
                if rec.reason != ParseReason::None {
                    assert_eq!(r.cmpl[2], 0, "{what}: res_index of a failed record");
                }
                assert_eq!(r.cmpl[3], rec.vlan as u32, "{what}: m_vlan");
                let cut = len.min(cut_at);
                let buf = self.qs[q].config().buf_bytes as usize;
                let kept = cut.min(buf);
                assert_eq!(r.truncated, cut > buf, "{what}: truncated flag (len {len})");
                assert_eq!(
                    self.qs[q].frame(&self.mem, &r, cut),
                    s.frame.bytes[..kept],
                    "{what}: frame {id} in its buffer"
                );
                // And nothing past them: the frame buffer's cut is where the bytes stop.
                let past = self
                    .mem
                    .bytes
                    .range(r.buffer + kept as u64..r.buffer + buf as u64);
                assert_eq!(
                    past.map(|(a, _)| a - r.buffer).next(),
                    None,
                    "{what}: frame {id} ({len} bytes, {kept} kept): a byte past them written"
                );
                self.c.cut += (len > cut) as usize;
                self.c.truncated += r.truncated as usize;
                self.c.delivered[q] += 1;
                self.c.flow_hits += (kind == KIND_FLOW) as usize;
                // The buffer's bytes are consumed: forget them, so that stale data cannot pass.
                for k in 0..kept as u64 {
                    self.mem.bytes.remove(&(r.buffer + k));
                }
                self.pools[q].push(r.buffer);
            }
        }
    }

    /// Reads a register through BAR0 (one edge, after the writes waiting).
    fn read(&mut self, addr: u32) -> u32 {
        while let Some(m) = self.pending.0.pop_front() {
            self.edge(Some(m));
        }
        self.edge(Some(Mmio::Read { addr }))
    }

    fn write(&mut self, addr: u32, data: u32) {
        self.pending.0.push_back(Mmio::Write { addr, data });
    }

    /// Opens the queues (rings cleared, every buffer in its pool again) and sets up the
    /// vectors: moderation by count and timer, all unmasked but the errors' now and then.
    fn open_queues(&mut self) {
        self.pools = vec![Vec::new(); QUEUES];
        for k in 0..BUFFERS {
            self.pools[k as usize % QUEUES].push(BUFS + k * BUF_STRIDE);
        }
        self.qs.clear();
        for (c, &buf_bytes) in BUF_BYTES.iter().enumerate() {
            let cfg = RxQueueConfig {
                chan: c as u8,
                log2_size: LOG2,
                buf_bytes,
                desc_ring: DESC + 0x1000 * c as u64,
                cmpl_ring: CMPL + 0x1000 * c as u64,
            };
            let q = RxQueue::open(
                cfg,
                &mut self.pending,
                &mut self.mem,
                self.pools[c].iter().copied(),
            )
            .unwrap();
            self.pools[c].drain(..q.posted());
            self.qs.push(q);
        }
        for v in 0..VECTORS as u32 {
            let base = IRQ_BASE + v * IRQ_STRIDE;
            let frames = self.rng.pick(&[0, 1, 2, 4]);
            let timer = self.rng.pick(&[0, 0, 40, 400]);
            let mask = (v as usize == VECTORS - 1 && self.rng.chance(500)) as u32;
            self.write(base + 4 * IrqField::Frames as u32, frames);
            self.write(base + 4 * IrqField::Timer as u32, timer);
            self.write(base + 4 * IrqField::Mask as u32, mask);
        }
        self.seen.clear();
        self.epoch.clear();
        self.counted = 0;
    }

    /// Stops the traffic and runs until nothing is in flight; then checks PARSE_COUNT against
    /// the frames sent and adds up the queues' drop counters.
    fn drain(&mut self) {
        self.sending = false;
        self.pause_refill = false;
        while self.cur.is_some()
            || self.edge < self.last_beat + 6000
            || !self.reads.is_empty()
            || !self.pending.0.is_empty()
        {
            self.idle();
        }
        let mut want = [0u32; 10];
        for &id in &self.epoch[self.counted..] {
            want[self.sent[id].rec.reason as usize] += 1;
        }
        for (r, w) in want.iter().enumerate() {
            let got = self.read(NIC_BASE + 4 * (NicReg::ParseCount as u32 + r as u32));
            assert_eq!(
                got,
                *w,
                "DW={} edge {}: PARSE_COUNT[{r}]",
                self.n * 8,
                self.edge
            );
            self.c.reasons[r] += *w as usize;
        }
        for q in 0..QUEUES as u32 {
            let base = RXQ_BASE + q * RXQ_STRIDE;
            self.c.drop_full[q as usize] += self.read(base + 4 * RxqReg::DropFull as u32) as u64;
            self.c.drop_disabled[q as usize] +=
                self.read(base + 4 * RxqReg::DropDisabled as u32) as u64;
            // Cleared, so that the next drain counts anew.
            self.write(base + 4 * RxqReg::DropFull as u32, 0);
            self.write(base + 4 * RxqReg::DropDisabled as u32, 0);
        }
        for &id in &self.epoch[self.counted..] {
            match self.sent[id].dest {
                Dest::RuleDrop => self.c.rule_drops += 1,
                Dest::PolicyDrop => self.c.policy_drops += 1,
                Dest::Queue(..) => {}
            }
        }
        // PARSE_COUNT restarts from 0 too: the counts above are per drain.
        for r in 0..10u32 {
            self.write(NIC_BASE + 4 * (NicReg::ParseCount as u32 + r), 0);
        }
        while let Some(m) = self.pending.0.pop_front() {
            self.edge(Some(m));
        }
        self.counted = self.epoch.len();
    }
}

/// BAR0 of the simulated NIC for `gufc::Device`: each access is one edge (after the queue
/// writes waiting, and now and then an idle edge first), the host serving DMA all the while.
struct HostBar(World);

impl Bar for HostBar {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        if self.0.rng.chance(100) {
            self.0.edge(None);
        }
        Ok(self.0.read(off))
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.0.write(off, val);
        self.0.flush();
        Ok(())
    }
    fn name(&self) -> String {
        "nic model".into()
    }
}

impl World {
    /// Runs the writes waiting.
    fn flush(&mut self) {
        while let Some(m) = self.pending.0.pop_front() {
            self.edge(Some(m));
        }
    }
}

/// The NIC at data width `n` bytes with the small classifier, `FB_DEPTH`, 4 side records and
/// the parser's defaults.
fn nic_config(n: usize) -> NicConfig {
    let pcfg = ParserConfig::default();
    NicConfig {
        top: TopConfig::sized(&Config {
            tcam_entries: 64,
            flow_buckets: 16,
            flow_ways: 2,
            channels: CHANNELS as _,
            local_entries: 4,
        }),
        data_bytes: n,
        fb_depth: FB_DEPTH,
        side_depth: 4,
        hdr_bytes: pcfg.hdr_bytes,
        ext_max: pcfg.ext_max,
    }
}

/// After power-up or mid-run: CONTROL.RESET through the driver, the queues and vectors set up
/// again, the rule set `k % 2` installed.
fn setup(dev: &mut Device<HostBar>, k: usize) {
    dev.reset().unwrap();
    let rules = text::parse("nic.rules", RULES[k % 2]).unwrap();
    let w = &mut dev.bar().0;
    // Fresh buffers: no byte of a frame cut short by the reset stays in them.
    w.mem.bytes.clear();
    w.open_queues();
    w.policy = 0;
    let flag_bits = dev.caps().rules.unwrap().flag_bits as u8;
    let compiled = compile_for(&rules, RuleStage::Rtl2 { flag_bits }).unwrap();
    dev.replace_rules(&compiled.entries).unwrap();
    let mut flows = Vec::new();
    for (f, action) in FLOWS
        .iter()
        .enumerate()
        .map(|(f, _)| (f, FLOW_ACTIONS[k % 2][f]))
    {
        let pcfg = dev.bar().0.pcfg;
        let key = parse(&flow_frame(f, &mut Rng::new(0)).bytes, false, &pcfg).key;
        dev.flow_insert(&key, action, true).unwrap();
        flows.push((key.flow_part(), action));
    }
    dev.bar().0.rules = rules;
    dev.bar().0.flows = flows;
}

/// A TCP frame of flow `f` (regular headers, ACK, a random payload length).
fn flow_frame(f: usize, rng: &mut Rng) -> Frame {
    let (s, d, sp, dp) = FLOWS[f];
    let tcp = transport(L4::Tcp(sp, dp, 0x10, 5, rng.below(300) as usize));
    Frame {
        bytes: ethernet(&[], 0x0800, &ipv4(s, d, 0, (0, false), 6, &tcp)),
        error: false,
    }
}

fn drive(cfg: NicConfig, seed: u64, edges: usize) -> World {
    let n = cfg.data_bytes;
    assert_eq!(cfg.channels(), CHANNELS);
    let pcfg = ParserConfig {
        data_bytes: n,
        hdr_bytes: cfg.hdr_bytes,
        ext_max: cfg.ext_max,
    };
    let mut w = World {
        n,
        nic: Nic::new(cfg),
        pcfg,
        rng: Rng::new(seed),
        mem: Memory {
            mapped: (0..QUEUES as u64)
                .filter(|&q| q != LATE_RING as u64)
                .map(|q| (DESC + 0x1000 * q, 0x1000))
                .chain([(CMPL, 0x10_0000), (BUFS, BUFFERS * BUF_STRIDE)])
                .collect(),
            holes: BTreeSet::from([BUFS + 9 * BUF_STRIDE, BUFS + 42 * BUF_STRIDE]),
            hole: BUF_STRIDE,
            bytes: BTreeMap::new(),
        },
        pending: Pending::default(),
        qs: Vec::new(),
        pools: Vec::new(),
        faulted: Vec::new(),
        reads: VecDeque::new(),
        cur: None,
        offered: false,
        gap: 0,
        sending: false,
        pause_refill: false,
        hold_reads: false,
        corpus: corpus().into_iter().map(|(_, f, _)| f).collect(),
        sent: Vec::new(),
        epoch: Vec::new(),
        counted: 0,
        seen: HashSet::new(),
        rules: RuleSet::default(),
        flows: Vec::new(),
        policy: 0,
        irq_shown: None,
        rst: 3,
        edge: 0,
        limit: 2 * edges + 50_000,
        last_beat: 0,
        stim: Vec::new(),
        expect: Vec::new(),
        c: Counts::default(),
    };
    for _ in 0..5 {
        w.edge(None);
    }
    let mut dev = Device::open(HostBar(w), OpenOptions::default()).unwrap();
    setup(&mut dev, 0);
    let mut phase = 0;
    loop {
        let w = &mut dev.bar().0;
        w.sending = true;
        let until = w.edge + edges / 8;
        while w.edge < until {
            w.pause_refill = w.edge / 2500 % 4 == 3;
            w.idle();
        }
        phase += 1;
        if phase % 3 == 0 && w.edge < edges {
            // CONTROL.RESET with frames in the side buffer, the classifier and the DMA engine
            // (lost together), between two frames on the wire and with no descriptor read
            // outstanding; then the other rule set.
            w.sending = false;
            while w.cur.is_some() {
                w.idle();
            }
            // Held only now: the engine waiting for descriptors would stop the input.
            w.hold_reads = true;
            while !w.reads.is_empty() || !w.pending.0.is_empty() {
                w.idle();
            }
            w.c.resets_in_flight += 1;
            setup(&mut dev, phase / 3 + 1);
            dev.bar().0.hold_reads = false;
            continue;
        }
        w.drain();
        if w.edge >= edges {
            break;
        }
        if phase % 3 == 2 {
            // CONTROL.RESET mid-run, and the other rule set.
            w.c.resets += 1;
            setup(&mut dev, phase / 3 + 1);
        } else {
            // PARSE_POLICY: some, all, then no reasons dropped; bits outside 9:1 read 0.
            let some = w.rng.u32() & 0x3fe | 2 << w.rng.below(9);
            let p = [some, 0x3fe, 0][w.c.policies % 3];
            w.policy = p;
            w.c.policies += 1;
            let junk = w.rng.u32() & !0x3fe;
            w.write(NIC_BASE + 4 * NicReg::ParsePolicy as u32, p | junk);
            w.flush();
            let got = w.read(NIC_BASE + 4 * NicReg::ParsePolicy as u32);
            assert_eq!(got, p, "PARSE_POLICY reads back bits 9:1");
        }
    }
    dev.into_bar().0
}

/// The Verilog sources `gufc_nic` uses: rtl/v2/gufc_nic.v and every rtl/v2 file (or 1.x file
/// that 2.0 reuses) whose module a used file names, found by following module names.
fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all: Vec<PathBuf> = std::fs::read_dir(root.join("rtl/v2"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "v"))
        .collect();
    all.extend(["gufc_decide.v", "gufc_locality.v"].map(|f| root.join("rtl").join(f)));
    let words = |p: &Path| -> HashSet<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| l.split("//").next().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_string)
            .collect()
    };
    let mut used = vec![root.join("rtl/v2/gufc_nic.v")];
    let mut i = 0;
    while i < used.len() {
        let w = words(&used[i]);
        for f in &all {
            let stem = f.file_stem().unwrap().to_string_lossy().to_string();
            // The _pnr variants are wrappers for place and route; nothing simulated names them.
            if w.contains(&stem) && !used.contains(f) {
                used.push(f.clone());
            }
        }
        i += 1;
    }
    used.sort();
    used
}

fn lockstep(cfg: NicConfig, seed: u64, edges: usize) {
    let n = cfg.data_bytes;
    let dw = n * 8;
    let w = drive(cfg, seed, edges);
    let what = format!("nic DW={dw} seed {seed}");
    let tw = 8 + n / 4;
    let sw = 6 + n / 4;
    let c = &w.c;
    println!(
        "{what}: {} edges, {} frames, delivered per queue {:?} (slow path last), {} cut at the frame buffer, {} truncated by the buffer, {} by a flow, drops: {} by rule or flow, {} by PARSE_POLICY, DROP_FULL {:?}, DROP_DISABLED {:?}; {} write faults, {} descriptor read faults; interrupts per vector {:?}; parser reasons {:?}; {} resets when drained, {} with frames in flight, {} policy changes, {} register reads",
        w.expect.len() / tw,
        c.frames,
        c.delivered,
        c.cut,
        c.truncated,
        c.flow_hits,
        c.rule_drops,
        c.policy_drops,
        c.drop_full,
        c.drop_disabled,
        c.write_faults,
        c.read_faults,
        c.irqs,
        c.reasons,
        c.resets,
        c.resets_in_flight,
        c.policies,
        c.reg_reads
    );
    assert!(
        c.delivered.iter().all(|&d| d > 20)
            && c.cut > 0
            && c.truncated > 0
            && c.rule_drops > 0
            && c.flow_hits > 0
            && c.policy_drops > 0
            && c.drop_full.iter().sum::<u64>() > 0
            && c.drop_disabled.iter().sum::<u64>() > 0
            && c.write_faults > 0
            && c.read_faults > 0
            && c.irqs.iter().take(VECTORS - 1).all(|&i| i > 0)
            && c.reasons.iter().all(|&r| r > 0)
            && c.resets > 0
            && c.resets_in_flight > 0,
        "{what}: coverage"
    );
    assert_eq!(w.stim.len() / sw, w.expect.len() / tw);
    let exe = verilate(
        &format!(
            "nic_dw{dw}_fb{}_s{}_h{}_e{}",
            cfg.fb_depth, cfg.side_depth, cfg.hdr_bytes, cfg.ext_max
        ),
        "gufc_nic",
        &sources(),
        &[
            format!("DW={dw}"),
            format!("CHANNELS={CHANNELS}"),
            format!("FB_DEPTH={}", cfg.fb_depth),
            format!("SIDE_DEPTH={}", cfg.side_depth),
            format!("HDR_BYTES={}", cfg.hdr_bytes),
            format!("EXT_MAX={}", cfg.ext_max),
            "TCAM_ENTRIES=64".into(),
            "FLOW_BUCKETS=16".into(),
            "FLOW_WAYS=2".into(),
            "LOCAL_ENTRIES=4".into(),
        ],
        &format!("-DNDW={dw}"),
        "nic_tb",
    );
    let (got, stim) = replay::run(&exe, &w.stim, &format!("nic-dw{dw}-{seed}"));
    const NAMES: [&str; 8] = [
        "rx_tready | w_valid<<1 | r_valid<<2 (before) | irq_valid<<3 | irq_vec<<8 (after)",
        "w_addr lo",
        "w_addr hi",
        "w_strb lo",
        "w_strb hi",
        "r_addr lo",
        "r_addr hi",
        "mmio_rdata",
    ];
    if let Some((e, k)) = replay::first_mismatch(&got, &w.expect, tw, &what) {
        let row = |t: &[u32], e: usize| t[e * tw..(e + 1) * tw].to_vec();
        let s = &w.stim[e * sw..(e + 1) * sw];
        let name = NAMES
            .get(k)
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("w_data word {}", k - 8));
        panic!(
            "{what}: NIC MISMATCH at edge {e}: {name}: rtl {:#010x}, model {:#010x}\n\
             inputs: rst {} mmio_valid {} write {} addr {:#05x} wdata {:#010x} rx_tvalid {} tlast {} tuser {} w_ready {} w_err {} r_ready {} rd_valid {} rd_err {} irq_ready {}\n\
             rtl   {:08x?}\nmodel {:08x?}\nprevious edge:\nrtl   {:08x?}\nmodel {:08x?}\nreplay: {} {} /tmp/t.bin",
            row(&got, e)[k],
            row(&w.expect, e)[k],
            s[0] & 1,
            s[0] >> 1 & 1,
            s[0] >> 2 & 1,
            s[0] >> 16 & 0xfff,
            s[1],
            s[0] >> 3 & 1,
            s[0] >> 4 & 1,
            s[0] >> 5 & 1,
            s[0] >> 6 & 1,
            s[0] >> 7 & 1,
            s[0] >> 8 & 1,
            s[0] >> 9 & 1,
            s[0] >> 10 & 1,
            s[0] >> 11 & 1,
            row(&got, e),
            row(&w.expect, e),
            row(&got, e.saturating_sub(1)),
            row(&w.expect, e.saturating_sub(1)),
            exe.display(),
            stim.display()
        );
    }
    std::fs::remove_file(&stim).ok();
}

/// Seeds to run: `GUFC_SEED` (decimal) alone when set, else `default` and, with
/// `GUFC_NIC_SOAK=n`, n − 1 more (default + 10, + 20, …).
fn seeds(default: u64) -> Vec<u64> {
    if let Ok(s) = std::env::var("GUFC_SEED") {
        return vec![s.trim().parse().expect("GUFC_SEED: a decimal seed")];
    }
    let n = std::env::var("GUFC_NIC_SOAK").map_or(1, |s| s.trim().parse().expect("GUFC_NIC_SOAK"));
    (0..n).map(|k| default + 10 * k).collect()
}

#[test]
fn nic_dw64_matches_the_model_on_every_edge() {
    for seed in seeds(1) {
        lockstep(nic_config(8), seed, 200_000);
    }
}

#[test]
fn nic_dw512_matches_the_model_on_every_edge() {
    for seed in seeds(2) {
        lockstep(nic_config(64), seed, 200_000);
    }
}

/// Two side records, a frame buffer of 16 beats (512 bytes, the slow path's buffer size) and a
/// parser of 96 header bytes with two extension steps.
#[test]
fn nic_dw256_small_buffers_matches_the_model_on_every_edge() {
    let cfg = NicConfig {
        fb_depth: 16,
        side_depth: 2,
        hdr_bytes: 96,
        ext_max: 2,
        ..nic_config(32)
    };
    for seed in seeds(3) {
        lockstep(cfg, seed, 200_000);
    }
}
