//! The receive DMA engine (`rtl/v2/gufc_rxdma.v`; the contract is docs/dma.md), edge for
//! edge: per-channel descriptor and completion rings in host memory, one frame at a time.
//!
//! [`RxDma::comb`] gives what the engine drives before an edge from its registers and that
//! edge's inputs (handshakes, write and read requests); [`RxDma::step`] is the edge.

use gufc_regmap::RxqReg;

/// The engine's parameters (the RTL's `DW / 8` and `CHANNELS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxDmaConfig {
    /// Bytes per beat: 8 to 64, a multiple of 8.
    pub data_bytes: usize,
    /// Receive queues, 1..=255; the error event is vector `channels`.
    pub channels: usize,
}

/// A frame's delivery order (`f_valid` with `f_chan`, `f_drop`, `f_cmpl`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Order {
    /// The channel.
    pub chan: u8,
    /// The classifier dropped the frame.
    pub drop: bool,
    /// Completion words 0..6.
    pub cmpl: [u32; 7],
}

/// One beat of a frame (`s_tvalid` with data, keep, last).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmaBeat {
    /// `data_bytes` lanes.
    pub data: Vec<u8>,
    /// `s_tkeep`.
    pub keep: u64,
    /// `s_tlast`.
    pub last: bool,
}

/// A register access (`cfg_valid` with the rest of the port).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CfgAccess {
    /// A write (else a read).
    pub write: bool,
    /// The channel.
    pub chan: u8,
    /// The register (docs/dma.md).
    pub reg: u8,
    /// The data written.
    pub wdata: u32,
}

/// One edge's inputs.
#[derive(Clone, Debug, Default)]
pub struct DmaIn {
    /// `rst`.
    pub rst: bool,
    /// `f_valid` and the order.
    pub order: Option<Order>,
    /// `s_tvalid` and the beat.
    pub beat: Option<DmaBeat>,
    /// `w_ready`, and `w_err` with it.
    pub w_ready: bool,
    /// `w_err`.
    pub w_err: bool,
    /// `r_ready`.
    pub r_ready: bool,
    /// `rd_valid` with `rd_data` and `rd_err`.
    pub rd: Option<(u64, bool)>,
    /// `cfg_valid` and the access.
    pub cfg: Option<CfgAccess>,
}

/// A write request (`w_valid` with address, data, strobes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// `w_addr`.
    pub addr: u64,
    /// `w_data`, one byte per lane.
    pub data: Vec<u8>,
    /// `w_strb`.
    pub strb: u64,
}

/// What the engine drives before an edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmaComb {
    /// `f_ready`.
    pub f_ready: bool,
    /// `s_tready`.
    pub s_tready: bool,
    /// The write request, if `w_valid`.
    pub write: Option<Write>,
    /// The descriptor read's address, if `r_valid`.
    pub read: Option<u64>,
}

/// Bytes of a completion record.
pub const CMPL_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, Default)]
struct Queue {
    desc: u64,
    cmpl: u64,
    ring: u32,
    enable: bool,
    tail: u16,
    head: u16,
    drop_full: u32,
    drop_disabled: u32,
    error: u8,
}

impl Queue {
    fn log2(&self) -> u32 {
        self.ring & 15
    }
    fn slot(&self) -> u64 {
        (self.head & ((1u32 << self.log2()) - 1) as u16) as u64
    }
    fn buf_bytes(&self) -> u64 {
        match self.ring >> 8 & 0xffff {
            0 => 65536,
            n => n as u64 * 64,
        }
    }
    fn read(&self, r: u8) -> u32 {
        match RxqReg::from_bits(r as u32) {
            Some(RxqReg::DescBaseLo) => self.desc as u32,
            Some(RxqReg::DescBaseHi) => (self.desc >> 32) as u32,
            Some(RxqReg::CmplBaseLo) => self.cmpl as u32,
            Some(RxqReg::CmplBaseHi) => (self.cmpl >> 32) as u32,
            Some(RxqReg::Ring) => self.ring,
            Some(RxqReg::Enable) => self.enable as u32,
            Some(RxqReg::Tail) => self.tail as u32,
            Some(RxqReg::Head) => self.head as u32,
            Some(RxqReg::DropFull) => self.drop_full,
            Some(RxqReg::DropDisabled) => self.drop_disabled,
            Some(RxqReg::Error) => self.error as u32,
            None => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Idle,
    Decide,
    Desc,
    Wait,
    Data,
    Discard,
    Cmpl,
}

/// The engine.
#[derive(Clone, Debug)]
pub struct RxDma {
    cfg: RxDmaConfig,
    q: Vec<Queue>,
    st: State,
    order: Order,
    buf: u64,
    beat: u64,
    trunc: bool,
    k: usize,
    ev: Option<u8>,
    rdata: u32,
}

impl RxDma {
    /// An engine out of reset.
    pub fn new(cfg: RxDmaConfig) -> RxDma {
        assert!(
            (8..=64).contains(&cfg.data_bytes)
                && cfg.data_bytes.is_multiple_of(8)
                && (1..=255).contains(&cfg.channels),
            "{cfg:?}"
        );
        RxDma {
            cfg,
            q: vec![Queue::default(); cfg.channels],
            st: State::Idle,
            order: Order::default(),
            buf: 0,
            beat: 0,
            trunc: false,
            k: 0,
            ev: None,
            rdata: 0,
        }
    }

    /// `ev_valid`/`ev_vec` after the last edge.
    pub fn event(&self) -> Option<u8> {
        self.ev
    }

    /// Queue `chan`'s DROP_FULL, DROP_DISABLED and ERROR (for tests' coverage checks).
    pub fn drops(&self, chan: usize) -> (u32, u32, u8) {
        let q = &self.q[chan];
        (q.drop_full, q.drop_disabled, q.error)
    }

    /// `cfg_rdata` after the last edge.
    pub fn rdata(&self) -> u32 {
        self.rdata
    }

    fn in_buffer(&self) -> bool {
        self.beat * (self.cfg.data_bytes as u64) < self.q[self.order.chan as usize].buf_bytes()
    }

    /// Beats of a completion record.
    fn cmpl_beats(&self) -> usize {
        (CMPL_BYTES / self.cfg.data_bytes).max(1)
    }

    /// The completion write of beat `k`.
    fn cmpl_write(&self) -> Write {
        let n = self.cfg.data_bytes;
        let q = &self.q[self.order.chan as usize];
        let mut rec = [0u8; CMPL_BYTES];
        for (i, w) in self.order.cmpl.iter().enumerate() {
            rec[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        let phase = q.head >> q.log2() & 1;
        let w7 = q.head as u32 | (self.trunc as u32) << 30 | (phase as u32) << 31;
        rec[28..].copy_from_slice(&w7.to_le_bytes());
        let at = q.cmpl.wrapping_add(CMPL_BYTES as u64 * q.slot());
        if n <= CMPL_BYTES {
            Write {
                addr: at.wrapping_add((self.k * n) as u64),
                data: rec[self.k * n..(self.k + 1) * n].to_vec(),
                strb: if n == 64 { u64::MAX } else { (1u64 << n) - 1 },
            }
        } else {
            let half = (at & 32) as usize;
            let mut data = vec![0u8; n];
            data[half..half + CMPL_BYTES].copy_from_slice(&rec);
            Write {
                addr: at & !63,
                data,
                strb: 0xffff_ffffu64 << half,
            }
        }
    }

    /// What the engine drives before the edge with inputs `i`.
    pub fn comb(&self, i: &DmaIn) -> DmaComb {
        let n = self.cfg.data_bytes;
        let mut c = DmaComb::default();
        match self.st {
            State::Idle => c.f_ready = true,
            State::Desc => {
                let q = &self.q[self.order.chan as usize];
                c.read = Some(q.desc.wrapping_add(8 * q.slot()));
            }
            State::Data if self.in_buffer() => {
                c.s_tready = i.w_ready;
                c.write = i.beat.as_ref().map(|b| Write {
                    addr: self.buf.wrapping_add(self.beat * n as u64),
                    data: b.data.clone(),
                    strb: b.keep,
                });
            }
            State::Data | State::Discard => c.s_tready = true,
            State::Cmpl => c.write = Some(self.cmpl_write()),
            State::Decide | State::Wait => {}
        }
        c
    }

    /// One rising edge.
    pub fn step(&mut self, i: &DmaIn) {
        if i.rst {
            *self = RxDma::new(self.cfg);
            return;
        }
        let comb = self.comb(i);
        let rdata = i
            .cfg
            .filter(|a| !a.write)
            .and_then(|a| self.q.get(a.chan as usize).map(|q| q.read(a.reg)))
            .unwrap_or(0);
        // Counter increments and error bits set at this edge, by channel.
        let mut inc_full = None;
        let mut inc_disabled = None;
        let mut set_err: Option<(usize, u8)> = None;
        let mut ev = None;
        let c = self.order.chan as usize;
        let err_vec = self.cfg.channels as u8;
        let taken = comb.s_tready && i.beat.is_some();
        let last = i.beat.as_ref().is_some_and(|b| b.last);
        match self.st {
            State::Idle => {
                if let Some(o) = i.order {
                    self.order = o;
                    self.st = State::Decide;
                }
            }
            State::Decide => {
                self.st = State::Discard;
                if self.order.drop || c >= self.cfg.channels {
                } else if !self.q[c].enable || self.q[c].error & 1 != 0 {
                    inc_disabled = Some(c);
                } else if self.q[c].head == self.q[c].tail {
                    inc_full = Some(c);
                } else {
                    self.st = State::Desc;
                }
            }
            State::Desc => {
                if i.r_ready {
                    self.st = State::Wait;
                }
            }
            State::Wait => {
                if let Some((data, err)) = i.rd {
                    if err {
                        set_err = Some((c, 3));
                        ev = Some(err_vec);
                        self.st = State::Discard;
                    } else {
                        (self.buf, self.beat, self.trunc) = (data & !63, 0, false);
                        self.st = State::Data;
                    }
                }
            }
            State::Data => {
                if taken {
                    if comb.write.is_some() && i.w_err {
                        set_err = Some((c, 1));
                        ev = Some(err_vec);
                        self.st = if last { State::Idle } else { State::Discard };
                    } else {
                        self.trunc |= comb.write.is_none();
                        self.beat += 1;
                        if last {
                            (self.st, self.k) = (State::Cmpl, 0);
                        }
                    }
                }
            }
            State::Discard => {
                if taken && last {
                    self.st = State::Idle;
                }
            }
            State::Cmpl => {
                if i.w_ready {
                    if i.w_err {
                        set_err = Some((c, 1));
                        ev = Some(err_vec);
                        self.st = State::Idle;
                    } else if self.k + 1 == self.cmpl_beats() {
                        self.q[c].head = self.q[c].head.wrapping_add(1);
                        ev = Some(c as u8);
                        self.st = State::Idle;
                    } else {
                        self.k += 1;
                    }
                }
            }
        }
        if let Some(a) = i.cfg.filter(|a| a.write) {
            if let Some(q) = self.q.get_mut(a.chan as usize) {
                let w = a.wdata;
                match RxqReg::from_bits(a.reg as u32) {
                    Some(RxqReg::DescBaseLo) => q.desc = q.desc & !0xffff_ffff | w as u64,
                    Some(RxqReg::DescBaseHi) => q.desc = q.desc & 0xffff_ffff | (w as u64) << 32,
                    Some(RxqReg::CmplBaseLo) => q.cmpl = q.cmpl & !0xffff_ffff | w as u64,
                    Some(RxqReg::CmplBaseHi) => q.cmpl = q.cmpl & 0xffff_ffff | (w as u64) << 32,
                    Some(RxqReg::Ring) => q.ring = w & 0x00ff_ff0f,
                    Some(RxqReg::Enable) => q.enable = w & 1 != 0,
                    Some(RxqReg::Tail) => q.tail = w as u16,
                    Some(RxqReg::DropFull) => q.drop_full = 0,
                    Some(RxqReg::DropDisabled) => q.drop_disabled = 0,
                    Some(RxqReg::Error) => q.error &= !(w as u8 & 3),
                    Some(RxqReg::Head) | None => {}
                }
            }
        }
        if let Some(c) = inc_full {
            self.q[c].drop_full = self.q[c].drop_full.wrapping_add(1);
        }
        if let Some(c) = inc_disabled {
            self.q[c].drop_disabled = self.q[c].drop_disabled.wrapping_add(1);
        }
        if let Some((c, bits)) = set_err {
            self.q[c].error |= bits;
        }
        self.ev = ev;
        self.rdata = rdata;
    }
}
