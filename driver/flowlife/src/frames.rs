//! Replay on the packet path (docs/nic.md): a capture's frames go into the NIC's receive port,
//! are parsed and classified on the NIC and delivered by DMA into the driver's receive queues —
//! one per channel and the slow path's — where they are taken, accounted and, if asked, written
//! to one capture per queue. Unlike [`crate::replay`], no host-built key is involved: what a
//! frame becomes is the hardware parser's and classifier's doing.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use gufc::backend::Bar;
use gufc::backend::NicModel;
use gufc::device::Device;
use gufc::rx::{RxError, RxQueue, RxQueueConfig};
use gufc_regmap::word::{Cmpl0, Cmpl1};
use gufc_regmap::{
    device, Action, HitKind, IrqField, LookupResult, NicReg, ParseReason, RxqReg, SlowReason,
    Verdict,
};
use serde::Serialize;

use crate::capture::{
    decode, CaptureReader, CaptureWriter, Decoded, LinkType, PcapError, PcapWriter, Record,
};
use crate::{HostPacket, SlowPath};

/// How the queues are set up and where their captures go.
#[derive(Clone, Debug)]
pub struct FrameReplayOptions {
    /// log2 of every queue's ring size.
    pub ring_log2: u32,
    /// Bytes per receive buffer (a multiple of 64).
    pub buf_bytes: u64,
    /// Write `channel-N.pcap` and `slow-path.pcap` here.
    pub out_dir: Option<PathBuf>,
    /// Capture time between the slow path's aging/re-validation sweeps.
    pub sweep_interval_ns: u64,
    /// Send each frame as soon as the NIC takes it, instead of after the last one's delivery.
    pub back_to_back: bool,
}

impl Default for FrameReplayOptions {
    fn default() -> Self {
        FrameReplayOptions {
            ring_log2: 8,
            buf_bytes: 2048,
            out_dir: None,
            sweep_interval_ns: 1_000_000_000,
            back_to_back: false,
        }
    }
}

/// Where the frames went.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FrameReplayReport {
    /// Frames offered to the receive port.
    pub frames_in: u64,
    /// Capture records not offered: a link type with no Ethernet equivalent, or empty.
    pub records_skipped: u64,
    /// Frames delivered, by queue (`channel-N`, `slow-path`).
    pub delivered: BTreeMap<String, u64>,
    /// Frames delivered to the slow path, by reason (a parser reason, or the classifier's).
    pub slow_path: BTreeMap<String, u64>,
    /// Frames dropped: `ring-full` and `queue-disabled` (the queues' DROP_FULL and
    /// DROP_DISABLED), `parser:<reason>` (PARSE_POLICY), `rule` (the rest: a rule's DROP).
    pub dropped: BTreeMap<String, u64>,
    /// Frames delivered shorter than on the wire (cut at the frame buffer or the buffer size).
    pub cut: u64,
    /// Clock edges the NIC ran.
    pub edges: u64,
    /// Interrupt messages the NIC sent.
    pub interrupts: u64,
    /// Frames a flow entry decided on the NIC (KIND FLOW): the host never saw them.
    pub flow_hits: u64,
    /// Frames the host's slow path handled (delivered by a rule or to the slow path).
    pub host_handled: u64,
    /// Frames the host's slow path could not key (they failed the NIC's parser too).
    pub host_unkeyed: u64,
    /// Connections the slow path learned into the flow cache.
    pub flows_learned: u64,
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum FrameReplayError {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] PcapError),
    /// A queue could not be opened.
    #[error(transparent)]
    Queue(#[from] RxError),
    /// The register port failed.
    #[error(transparent)]
    Bus(#[from] gufc::backend::BusError),
    /// The slow path's device access failed.
    #[error(transparent)]
    Device(#[from] gufc::device::DeviceError),
    /// Host memory for the rings and buffers ran out.
    #[error("host memory: no room for receive queue {0}'s rings and buffers")]
    Memory(u8),
    /// An output capture could not be written.
    #[error("{path}: {source}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// A frame as the NIC received it, and its completion.
#[derive(Clone, Debug)]
pub struct Delivered {
    /// The receive queue (CHANNELS is the slow path).
    pub queue: u8,
    /// Completion words 0..6.
    pub cmpl: [u32; 7],
    /// The bytes written into its buffer.
    pub bytes: Vec<u8>,
}

/// `rec` as an Ethernet frame: Ethernet as captured; other link types with their header replaced
/// by an Ethernet one (zero addresses, their EtherType); `None` if there is none to give.
pub fn ethernet(rec: &Record) -> Option<Vec<u8>> {
    let d = &rec.data;
    let with = |ethertype: u16, payload: &[u8]| {
        let mut f = vec![0u8; 12];
        f.extend(ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    };
    let by_version = |p: &[u8]| match p.first().map(|b| b >> 4) {
        Some(4) => Some(with(0x0800, p)),
        Some(6) => Some(with(0x86dd, p)),
        _ => None,
    };
    match rec.link {
        LinkType::Ethernet => (!d.is_empty()).then(|| d.clone()),
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => by_version(d),
        LinkType::Null => by_version(d.get(4..)?),
        LinkType::LinuxSll => Some(with(
            u16::from_be_bytes([*d.get(14)?, *d.get(15)?]),
            d.get(16..)?,
        )),
        LinkType::LinuxSll2 => Some(with(
            u16::from_be_bytes([*d.first()?, *d.get(1)?]),
            d.get(20..)?,
        )),
    }
}

/// A receive queue with its own buffers, recycled as frames are taken.
struct Queue {
    q: RxQueue,
    free: Vec<u64>,
}

/// Replays `reader`'s frames through the NIC behind `dev` (its rules already written). Each
/// frame is sent, the NIC is given the edges it needs to deliver it (unless `back_to_back`:
/// then the next frame follows as soon as the NIC takes it), and every frame it
/// delivered is taken from its queue in arrival order (by the completion's sequence number):
/// `on_frame` sees it, and `slow` — the host's slow path, if given — handles what the host sees
/// (frames to the slow path, and those a rule rather than a flow entry delivered), learning
/// connections into the NIC's flow cache, with a sweep every `sweep_interval_ns` of capture time.
pub fn replay_frames(
    dev: &mut Device<NicModel>,
    mut reader: CaptureReader,
    opts: &FrameReplayOptions,
    mut slow: Option<&mut SlowPath>,
    on_frame: &mut dyn FnMut(&Delivered),
) -> Result<FrameReplayReport, FrameReplayError> {
    let chans = dev.bar().config().channels() as u8;
    let mut queues = open_queues(dev, chans, opts)?;
    let mut out = Outputs::new(opts.out_dir.as_deref(), chans)?;
    let mut rep = FrameReplayReport::default();
    let learned0 = slow.as_ref().map_or(0, |s| s.stats.flows_learned);
    let (mut ts, mut last_sweep) = (Vec::new(), None::<u64>);
    let bytes_per_beat = dev.bar().config().data_bytes;
    let mut eof = false;
    let mut quiet = 0;
    while !eof || quiet < 4 {
        match reader.next_record()? {
            Some(rec) => {
                let Some(frame) = ethernet(&rec) else {
                    rep.records_skipped += 1;
                    continue;
                };
                ts.push(rec.ts_ns);
                dev.bar().send(&frame, false);
                rep.frames_in += 1;
                if !opts.back_to_back {
                    // Until its completion's interrupt (none for a dropped frame): the parser,
                    // the classifier and the DMA need the frame's beats twice and a margin.
                    dev.bar()
                        .wait_irq((frame.len() / bytes_per_beat) as u64 + 64);
                }
            }
            None => {
                eof = true;
                dev.bar().idle(256);
            }
        }
        let mut got = take(dev, &mut queues, opts)?;
        got.sort_by_key(|d| d.cmpl[6]);
        quiet = if got.is_empty() { quiet + 1 } else { 0 };
        for d in got {
            let len = Cmpl0::from_raw(d.cmpl[0]).len() as usize;
            let at = ts.get(d.cmpl[6] as usize).copied().unwrap_or(0);
            account(&mut rep, &d, chans, len);
            out.write(&d, at, len)?;
            on_frame(&d);
            if let Some(slow) = slow.as_deref_mut() {
                host(dev, slow, &mut rep, &d, chans, at)?;
                let due = last_sweep.is_none_or(|t| at >= t + opts.sweep_interval_ns);
                if due {
                    if last_sweep.is_some() {
                        slow.sweep(dev, at)?;
                    }
                    last_sweep = Some(at);
                }
            }
        }
    }
    if let Some(slow) = slow.as_deref_mut() {
        // A last sweep at the capture's last time, as the host-key replay ends.
        slow.sweep(dev, ts.iter().copied().max().unwrap_or(0))?;
    }
    out.finish()?;
    rep.flows_learned = slow
        .as_ref()
        .map_or(0, |s| s.stats.flows_learned - learned0);
    count_drops(dev, chans, &mut rep)?;
    rep.edges = dev.bar().edges();
    rep.interrupts = dev.bar().irqs().iter().sum();
    Ok(rep)
}

/// One queue per channel and the slow path's, every interrupt vector unmasked.
fn open_queues(
    dev: &mut Device<NicModel>,
    chans: u8,
    opts: &FrameReplayOptions,
) -> Result<Vec<Queue>, FrameReplayError> {
    let size = 1usize << opts.ring_log2;
    let mut queues = Vec::new();
    for c in 0..=chans {
        let m = dev.bar().memory();
        let desc = m.alloc(8 * size, 64).ok_or(FrameReplayError::Memory(c))?;
        let cmpl = m.alloc(32 * size, 64).ok_or(FrameReplayError::Memory(c))?;
        let free: Vec<u64> = (0..size)
            .map(|_| m.alloc(opts.buf_bytes as usize, 64))
            .collect::<Option<_>>()
            .ok_or(FrameReplayError::Memory(c))?;
        let cfg = RxQueueConfig {
            chan: c,
            log2_size: opts.ring_log2,
            buf_bytes: opts.buf_bytes,
            desc_ring: desc,
            cmpl_ring: cmpl,
        };
        let (regs, mem) = dev.bar().rx_parts();
        let q = RxQueue::open(cfg, regs, mem, free.iter().copied())?;
        let free = free[q.posted()..].to_vec();
        queues.push(Queue { q, free });
    }
    dev.bar().flush();
    // No moderation: one message per completion.
    for v in 0..chans as u32 + 2 {
        let mask = device::IRQ_BASE + v * device::IRQ_STRIDE + 4 * IrqField::Mask as u32;
        dev.bar().write32(mask, 0)?;
    }
    Ok(queues)
}

/// Every frame the queues hold, their buffers recycled and posted again when half are used.
fn take(
    dev: &mut Device<NicModel>,
    queues: &mut [Queue],
    opts: &FrameReplayOptions,
) -> Result<Vec<Delivered>, FrameReplayError> {
    let fb = fb_bytes(dev);
    let size = 1usize << opts.ring_log2;
    let mut out = Vec::new();
    for (c, q) in queues.iter_mut().enumerate() {
        for r in q.q.poll(dev.bar().memory(), size) {
            let len = Cmpl0::from_raw(r.cmpl[0]).len() as usize;
            let kept = len.min(opts.buf_bytes as usize).min(fb);
            out.push(Delivered {
                queue: c as u8,
                cmpl: r.cmpl,
                bytes: q.q.frame(dev.bar().memory(), &r, kept),
            });
            q.free.push(r.buffer);
        }
        if q.q.posted() < size / 2 {
            let (regs, mem) = dev.bar().rx_parts();
            let k = q.q.refill(regs, mem, q.free.iter().copied())?;
            q.free.drain(..k);
        }
    }
    dev.bar().flush();
    Ok(out)
}

/// What the NIC decided for a delivered frame, as a lookup result.
fn result_of(d: &Delivered) -> LookupResult {
    let (w0, w1) = (Cmpl0::from_raw(d.cmpl[0]), Cmpl1::from_raw(d.cmpl[1]));
    LookupResult {
        action: match w0.verdict() {
            Ok(Verdict::Deliver) => Action::Deliver {
                channel: w1.channel(),
            },
            Ok(Verdict::SlowPath) => Action::SlowPath {
                reason: w0.reason(),
            },
            _ => Action::Drop,
        },
        kind: w0.kind().unwrap_or(HitKind::Miss),
        index: d.cmpl[2],
        stale: w0.stale(),
        src_local: w0.src_local(),
        dst_local: w0.dst_local(),
        len: w0.len(),
        tag: d.cmpl[6],
    }
}

/// The host's side of a delivered frame: what a flow entry delivered never reaches the slow
/// path; the rest is keyed by the host's own decoder and handled.
fn host(
    dev: &mut Device<NicModel>,
    slow: &mut SlowPath,
    rep: &mut FrameReplayReport,
    d: &Delivered,
    chans: u8,
    ts_ns: u64,
) -> Result<(), FrameReplayError> {
    let r = result_of(d);
    if r.kind == HitKind::Flow && d.queue != chans {
        return Ok(());
    }
    match decode(LinkType::Ethernet, &d.bytes, r.len as u32) {
        Decoded::Ip(f) => {
            let pkt = HostPacket {
                key: f.key,
                tcp_flags: f.tcp_flags,
                len: r.len,
                ts_ns,
                result: r,
            };
            slow.handle(dev, &pkt)?;
            rep.host_handled += 1;
        }
        Decoded::Skip(_) => rep.host_unkeyed += 1,
    }
    Ok(())
}

/// The drops no completion tells of, from the NIC's registers.
fn count_drops(
    dev: &mut Device<NicModel>,
    chans: u8,
    rep: &mut FrameReplayReport,
) -> Result<(), FrameReplayError> {
    let mut dropped = 0;
    for c in 0..=chans {
        let full = dev
            .bar()
            .read32(gufc::rx::rxq_offset(c, RxqReg::DropFull))?;
        let disabled = dev
            .bar()
            .read32(gufc::rx::rxq_offset(c, RxqReg::DropDisabled))?;
        *rep.dropped.entry("ring-full".into()).or_default() += full as u64;
        *rep.dropped.entry("queue-disabled".into()).or_default() += disabled as u64;
        dropped += full as u64 + disabled as u64;
    }
    let nic = |r: u32| device::NIC_BASE + 4 * r;
    let policy = dev.bar().read32(nic(NicReg::ParsePolicy as u32))?;
    for r in 1..10u32 {
        if policy >> r & 1 != 0 {
            let n = dev.bar().read32(nic(NicReg::ParseCount as u32 + r))?;
            let name = ParseReason::from_bits(r).map_or(r.to_string(), |p| format!("{p:?}"));
            rep.dropped.insert(format!("parser:{name}"), n as u64);
            dropped += n as u64;
        }
    }
    let delivered: u64 = rep.delivered.values().sum();
    rep.dropped.insert(
        "rule".into(),
        rep.frames_in.saturating_sub(delivered + dropped),
    );
    Ok(())
}

/// Bytes the frame buffer keeps of a frame (CAPS: its depth in beats times DW/8).
fn fb_bytes(dev: &mut Device<NicModel>) -> usize {
    let c = *dev.bar().config();
    c.fb_depth * c.data_bytes
}

fn account(rep: &mut FrameReplayReport, d: &Delivered, chans: u8, len: usize) {
    let queue = if d.queue == chans {
        "slow-path".to_string()
    } else {
        format!("channel-{}", d.queue)
    };
    *rep.delivered.entry(queue).or_default() += 1;
    if d.queue == chans {
        let w0 = Cmpl0::from_raw(d.cmpl[0]);
        let w1 = Cmpl1::from_raw(d.cmpl[1]);
        let why = match w1.parse_reason() {
            Ok(ParseReason::None) => match SlowReason::from_bits(w0.reason() as u32) {
                Some(r) => format!("{r:?}"),
                None => format!("rule-{}", w0.reason()),
            },
            Ok(p) => format!("parser:{p:?}"),
            Err(_) => format!("parser:{}", (d.cmpl[1] >> 8) & 0xff),
        };
        debug_assert!(w0.verdict() == Ok(Verdict::SlowPath));
        *rep.slow_path.entry(why).or_default() += 1;
    }
    if d.bytes.len() < len {
        rep.cut += 1;
    }
    rep.flow_hits += (Cmpl0::from_raw(d.cmpl[0]).kind() == Ok(HitKind::Flow)) as u64;
}

/// One capture per queue, opened on its first frame.
struct Outputs {
    dir: Option<PathBuf>,
    chans: u8,
    files: BTreeMap<u8, (PathBuf, PcapWriter<BufWriter<File>>)>,
}

impl Outputs {
    fn new(dir: Option<&Path>, chans: u8) -> Result<Outputs, FrameReplayError> {
        if let Some(d) = dir {
            std::fs::create_dir_all(d).map_err(|e| FrameReplayError::Output {
                path: d.to_path_buf(),
                source: e,
            })?;
        }
        Ok(Outputs {
            dir: dir.map(Path::to_path_buf),
            chans,
            files: BTreeMap::new(),
        })
    }

    fn write(&mut self, d: &Delivered, ts_ns: u64, len: usize) -> Result<(), FrameReplayError> {
        let Some(dir) = &self.dir else { return Ok(()) };
        if !self.files.contains_key(&d.queue) {
            let name = if d.queue == self.chans {
                "slow-path.pcap".to_string()
            } else {
                format!("channel-{}.pcap", d.queue)
            };
            let path = dir.join(name);
            let f = File::create(&path).map_err(|e| FrameReplayError::Output {
                path: path.clone(),
                source: e,
            })?;
            let w = PcapWriter::new(BufWriter::new(f), LinkType::Ethernet, 65535).map_err(|e| {
                FrameReplayError::Output {
                    path: path.clone(),
                    source: e,
                }
            })?;
            self.files.insert(d.queue, (path, w));
        }
        let (path, w) = self.files.get_mut(&d.queue).unwrap();
        w.write_packet(ts_ns, &d.bytes, len as u32)
            .map_err(|e| FrameReplayError::Output {
                path: path.clone(),
                source: e,
            })
    }

    fn finish(self) -> Result<(), FrameReplayError> {
        for (_, (path, w)) in self.files {
            use std::io::Write as _;
            w.into_inner()
                .flush()
                .map_err(|e| FrameReplayError::Output { path, source: e })?;
        }
        Ok(())
    }
}
