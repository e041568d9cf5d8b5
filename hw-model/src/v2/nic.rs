//! The NIC (`rtl/v2/gufc_nic.v`; the contract is docs/nic.md): the parser, the frame and side
//! buffers, the classifier ([`Top`]), the receive DMA engine and the interrupt block joined into
//! one device with one BAR0, edge for edge.

use gufc_regmap::{device, reg, CycleIn, KeyIn, Mmio, NicReg, ParseReason, ResPorts, Verdict};

use super::framebuf::FrameBuf;
use super::irq::{Irq, IrqField, IrqIn};
use super::parser::{Beat, Parser, ParserConfig, Record};
use super::rxdma::{CfgAccess, DmaBeat, DmaIn, Order, RxDma, RxDmaConfig, Write};
use super::top::{Top, TopConfig};

/// The NIC's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NicConfig {
    /// The classifier's; its channel count is the NIC's CHANNELS.
    pub top: TopConfig,
    /// Bytes per beat (DW/8).
    pub data_bytes: usize,
    /// The frame buffer's beats (a power of two ≥ 2).
    pub fb_depth: usize,
    /// The side buffer's frames (a power of two ≥ 2).
    pub side_depth: usize,
    /// The parser's header window.
    pub hdr_bytes: usize,
    /// The parser's extension-header bound.
    pub ext_max: usize,
}

impl Default for NicConfig {
    fn default() -> Self {
        NicConfig {
            top: TopConfig::default(),
            data_bytes: 8,
            fb_depth: 512,
            side_depth: 64,
            hdr_bytes: 128,
            ext_max: 4,
        }
    }
}

impl NicConfig {
    /// CHANNELS: the classifier's channels; receive queue CHANNELS is the slow path.
    pub fn channels(&self) -> usize {
        self.top.core.channels
    }

    /// Interrupt vectors: a channel's, the slow path's, errors'.
    pub fn vectors(&self) -> usize {
        self.channels() + 2
    }
}

/// One edge's inputs.
#[derive(Clone, Debug, Default)]
pub struct NicIn {
    /// `rst`.
    pub rst: bool,
    /// This edge's BAR0 access.
    pub mmio: Option<Mmio>,
    /// The beat offered on `rx_*` (`rx_tvalid`).
    pub rx: Option<Beat>,
    /// `w_ready`.
    pub w_ready: bool,
    /// `w_err`.
    pub w_err: bool,
    /// `r_ready`.
    pub r_ready: bool,
    /// A descriptor read's answer (`rd_valid`): data, `rd_err`.
    pub rd: Option<(u64, bool)>,
    /// `irq_ready`.
    pub irq_ready: bool,
}

/// What the NIC drives before an edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NicComb {
    /// `rx_tready`.
    pub rx_ready: bool,
    /// The host-memory write offered (`w_valid`).
    pub write: Option<Write>,
    /// The descriptor read offered (`r_valid`).
    pub read: Option<u64>,
}

/// A frame's side record: what travels beside the classifier from parser to DMA.
#[derive(Clone, Copy, Debug)]
struct Side {
    ts: u64,
    seq: u32,
    len: u16,
    vlan: u16,
    reason: u8,
    flags: u8,
    tags_frag: u8,
}

/// The side buffer's width in bytes.
const SIDE_BYTES: usize = 20;

impl Side {
    fn beat(&self) -> DmaBeat {
        let mut d = Vec::with_capacity(SIDE_BYTES);
        d.extend(self.ts.to_le_bytes());
        d.extend(self.seq.to_le_bytes());
        d.extend(self.len.to_le_bytes());
        d.extend(self.vlan.to_le_bytes());
        d.extend([self.reason, self.flags, self.tags_frag, 0]);
        DmaBeat {
            data: d,
            keep: 0,
            last: true,
        }
    }

    fn of(b: &DmaBeat) -> Side {
        let d = &b.data;
        let le =
            |r: std::ops::Range<usize>| d[r].iter().rev().fold(0u64, |a, &x| a << 8 | x as u64);
        Side {
            ts: le(0..8),
            seq: le(8..12) as u32,
            len: le(12..14) as u16,
            vlan: le(14..16) as u16,
            reason: d[16],
            flags: d[17],
            tags_frag: d[18],
        }
    }
}

/// Where a BAR0 access goes (docs/nic.md, "BAR0").
enum Target {
    Top,
    Nic(u32),
    Queue(u8, u8),
    Vector(u16, u8),
    None,
}

/// The NIC.
pub struct Nic {
    cfg: NicConfig,
    parser: Parser,
    fb: FrameBuf,
    side: FrameBuf,
    top: Top,
    dma: RxDma,
    irq: Irq,
    /// The packet path's reset at the next edge (`clr` registered).
    prst: bool,
    cycle: u64,
    seq: u32,
    ibeat: usize,
    discard: bool,
    policy: u32,
    counts: [u32; 10],
    /// Read data of the NIC block and of the vectors, after the last edge.
    nic_rdata: u32,
    top_rdata: u32,
}

impl Nic {
    /// The NIC at power-up: the classifier as `Top::new` leaves it, the packet path out of
    /// reset (the stimulus starts with reset edges, as the RTL needs).
    pub fn new(cfg: NicConfig) -> Nic {
        let c = cfg.channels();
        assert!((1..=30).contains(&c), "{c} channels (1..=30)");
        assert!(cfg.fb_depth >= 2 && cfg.fb_depth.is_power_of_two());
        Nic {
            cfg,
            parser: Parser::new(ParserConfig {
                data_bytes: cfg.data_bytes,
                hdr_bytes: cfg.hdr_bytes,
                ext_max: cfg.ext_max,
            }),
            fb: FrameBuf::new(cfg.fb_depth),
            side: FrameBuf::new(cfg.side_depth),
            top: Top::new(cfg.top),
            dma: RxDma::new(RxDmaConfig {
                data_bytes: cfg.data_bytes,
                channels: c + 1,
            }),
            irq: Irq::new(cfg.vectors()),
            prst: false,
            cycle: 0,
            seq: 0,
            ibeat: 0,
            discard: false,
            policy: 0,
            counts: [0; 10],
            nic_rdata: 0,
            top_rdata: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &NicConfig {
        &self.cfg
    }

    /// `mmio_rdata` after the last edge.
    pub fn rdata(&self) -> u32 {
        self.top_rdata | self.nic_rdata | self.dma.rdata()
    }

    /// `irq_valid`/`irq_vec` after the last edge.
    pub fn irq(&self) -> Option<u16> {
        self.irq.message()
    }

    /// The classifier, for what only a simulation looks at (its cycle, its configuration).
    pub fn top(&self) -> &Top {
        &self.top
    }

    fn target(&self, addr: u32) -> Target {
        let (nic, rxq, irq) = (device::NIC_BASE, device::RXQ_BASE, device::IRQ_BASE);
        let (rs, is) = (device::RXQ_STRIDE, device::IRQ_STRIDE);
        if addr < nic {
            Target::Top
        } else if addr & 3 != 0 {
            Target::None
        } else if addr < nic + 0x100 {
            Target::Nic((addr - nic) / 4)
        } else if (rxq..rxq + 32 * rs).contains(&addr) {
            Target::Queue(((addr - rxq) / rs) as u8, ((addr - rxq) % rs / 4) as u8)
        } else if (irq..irq + 32 * is).contains(&addr) {
            let v = (addr - irq) / is;
            if (v as usize) < self.cfg.vectors() {
                Target::Vector(v as u16, ((addr - irq) % is / 4) as u8)
            } else {
                Target::None
            }
        } else {
            Target::None
        }
    }

    /// The DMA engine's order before the edge (`f_valid`), from the side buffer's head and the
    /// classifier's result.
    fn order(&self) -> Option<Order> {
        let h = Side::of(self.side.out()?);
        let c = self.cfg.channels() as u8;
        let tags = (h.tags_frag & 3) as u32;
        let frag = (h.tags_frag >> 2 & 3) as u32;
        let (chan, drop, w0, index) = if h.reason != 0 {
            let drop = self.policy >> h.reason & 1 != 0;
            let v = if drop {
                Verdict::Drop
            } else {
                Verdict::SlowPath
            };
            (c, drop, (v as u32) << 16, 0)
        } else {
            if !self.top.res_valid() {
                return None;
            }
            let r: ResPorts = self.top.res_ports();
            let (chan, drop) = match r.verdict {
                0 if r.channel < c as u32 => (r.channel as u8, false),
                0 => (255, false),
                2 => (c, false),
                _ => (0, true),
            };
            let w0 = r.verdict << 16
                | r.kind << 18
                | r.stale << 20
                | r.src_local << 21
                | r.dst_local << 22
                | r.reason << 24;
            (chan, drop, w0, r.index)
        };
        let w1 =
            chan as u32 | (h.reason as u32) << 8 | (h.flags as u32) << 16 | tags << 24 | frag << 26;
        Some(Order {
            chan,
            drop,
            cmpl: [
                h.len as u32 | w0,
                w1,
                index,
                h.vlan as u32,
                h.ts as u32,
                (h.ts >> 32) as u32,
                h.seq,
            ],
        })
    }

    fn dma_in(&self, i: &NicIn, order: Option<Order>, cfg: Option<CfgAccess>) -> DmaIn {
        DmaIn {
            rst: self.prst,
            order,
            beat: self.fb.out().cloned(),
            w_ready: i.w_ready,
            w_err: i.w_err,
            r_ready: i.r_ready,
            rd: i.rd,
            cfg,
        }
    }

    /// `rx_tready`: the parser is ready, and the frame buffer is or the beat is discarded.
    fn rx_ready(&self) -> bool {
        self.parser.ready() && (self.discard || self.fb.ready())
    }

    /// The ports before the edge with inputs `i`.
    pub fn comb(&self, i: &NicIn) -> NicComb {
        let d = self.dma.comb(&self.dma_in(i, self.order(), None));
        NicComb {
            rx_ready: self.rx_ready(),
            write: d.write,
            read: d.read,
        }
    }

    /// One rising edge.
    pub fn step(&mut self, i: &NicIn) {
        let (wr, rd) = match i.mmio {
            Some(Mmio::Write { addr, data }) => (Some((addr, data)), None),
            Some(Mmio::Read { addr }) => (None, Some(addr)),
            None => (None, None),
        };
        let at = i.mmio.map(|m| match m {
            Mmio::Write { addr, .. } | Mmio::Read { addr } => self.target(addr),
        });
        let to_top = matches!(at, Some(Target::Top));
        let clr = i.rst || matches!(wr, Some((reg::CONTROL, d)) if d & 1 != 0) && to_top;

        // Before the edge.
        let rx_ready = self.rx_ready();
        let fb_ok = self.discard || self.fb.ready();
        let p_ready = self.parser.ready();
        let side_ready = self.side.ready();
        let rec: Option<Record> = self.parser.out().copied();
        let order = self.order();
        let head_bad = self.side.out().map(|b| Side::of(b).reason != 0);
        let cfg = match (&at, i.mmio) {
            (Some(Target::Queue(q, r)), Some(m)) => Some(CfgAccess {
                write: wr.is_some(),
                chan: *q,
                reg: *r,
                wdata: match m {
                    Mmio::Write { data, .. } => data,
                    Mmio::Read { .. } => 0,
                },
            }),
            _ => None,
        };
        let din = self.dma_in(i, order, cfg);
        let dma = self.dma.comb(&din);
        let (f_ready, s_tready) = (dma.f_ready, dma.s_tready);
        let pending = self.irq.pending()[0] as u32;
        let ev = self.dma.event();

        // The classifier.
        let key_valid = rec.is_some_and(|r| r.reason == ParseReason::None) && side_ready;
        let out = self.top.step(&CycleIn {
            mmio: if to_top { i.mmio } else { None },
            key: rec.filter(|_| key_valid).map(|r| KeyIn {
                key: r.key,
                len: r.len,
                tag: self.seq,
                tcp_flags: r.flags,
            }),
            res_ready: f_ready && head_bad == Some(false),
            rst: i.rst,
        });
        self.top_rdata = out.rdata;

        // The parser and the frame buffer share the input.
        let p_beat = i.rx.as_ref().filter(|_| fb_ok);
        let m_ready =
            side_ready && rec.is_some_and(|r| r.reason != ParseReason::None || out.accepted);
        let taken = self.parser.step(self.prst, p_beat, m_ready);
        let fb_beat =
            i.rx.as_ref()
                .filter(|_| p_ready && !self.discard)
                .map(|b| DmaBeat {
                    data: b.data.clone(),
                    keep: b.keep,
                    last: b.last || self.ibeat == self.cfg.fb_depth - 1,
                });

        // The DMA engine, fed by the frame buffer and the order; the side buffer.
        self.dma.step(&din);
        self.fb.step(self.prst, fb_beat.as_ref(), s_tready);
        let side_beat = taken.map(|r| {
            Side {
                ts: self.cycle,
                seq: self.seq,
                len: r.len,
                vlan: r.vlan,
                reason: r.reason as u8,
                flags: r.flags,
                tags_frag: r.tags | r.frag << 2,
            }
            .beat()
        });
        self.side
            .step(self.prst, side_beat.as_ref(), f_ready && order.is_some());

        // The interrupt block: the engine's event of the last edge, the vectors' writes.
        let irq_cfg = match (&at, wr) {
            (Some(Target::Vector(v, f)), Some((_, data))) => {
                IrqField::from_bits(*f as u32).map(|f| (*v, f, data as u16))
            }
            _ => None,
        };
        self.irq.step(&IrqIn {
            rst: self.prst,
            event: ev.map(u16::from),
            cfg: irq_cfg,
            ready: i.irq_ready,
        });

        // The NIC's own registers.
        let read = match (&at, rd) {
            (Some(Target::Nic(w)), Some(_)) => self.nic_read(*w, pending),
            (Some(Target::Vector(v, f)), Some(_)) if *f == IrqField::Pending as u8 => {
                pending >> v & 1
            }
            _ => 0,
        };
        if self.prst {
            self.reset_regs();
        } else {
            if let (Some(Target::Nic(w)), Some((_, data))) = (&at, wr) {
                if NicReg::from_bits(*w) == Some(NicReg::ParsePolicy) {
                    self.policy = data & 0x3fe;
                } else if let Some(k) = self.count_index(*w) {
                    self.counts[k] = 0;
                }
            }
            if let Some(r) = taken {
                let k = r.reason as usize;
                self.counts[k] = self.counts[k].wrapping_add(1);
                self.seq = self.seq.wrapping_add(1);
            }
            if let Some(b) = i.rx.as_ref().filter(|_| rx_ready) {
                if b.last {
                    (self.ibeat, self.discard) = (0, false);
                } else if !self.discard {
                    if self.ibeat == self.cfg.fb_depth - 1 {
                        self.discard = true;
                    } else {
                        self.ibeat += 1;
                    }
                }
            }
            self.cycle += 1;
            self.nic_rdata = read;
        }
        self.prst = clr;
    }

    fn reset_regs(&mut self) {
        (self.cycle, self.seq, self.ibeat, self.discard) = (0, 0, 0, false);
        (self.policy, self.counts, self.nic_rdata) = (0, [0; 10], 0);
    }

    fn nic_read(&self, w: u32, pending: u32) -> u32 {
        let c = &self.cfg;
        match NicReg::from_bits(w) {
            Some(NicReg::Caps) => {
                c.channels() as u32 | (c.data_bytes as u32) << 8 | (c.fb_depth as u32) << 16
            }
            Some(NicReg::ParsePolicy) => self.policy,
            Some(NicReg::IrqPending) => pending,
            _ => self.count_index(w).map_or(0, |k| self.counts[k]),
        }
    }

    /// PARSE_COUNT\[k\]'s k if NIC word `w` is one of the counters.
    fn count_index(&self, w: u32) -> Option<usize> {
        let k = w.checked_sub(NicReg::ParseCount as u32)? as usize;
        (k < self.counts.len()).then_some(k)
    }
}
