//! Seeded random stimulus: per-cycle [`CycleIn`]s that exercise every command, rejection rule,
//! register and port of the device, for lockstep co-simulation and benchmarks.
//!
//! The generator only approximates the device state (which slots it wrote, which plane it thinks
//! is active); it does not need to be right, because the lockstep harness compares two devices
//! with each other, not with the generator. It aims the tables at a small pool of keys so that
//! traffic hits rules and flows, and so that commands land on entries that keys are using at
//! that very edge.

use std::collections::VecDeque;

use gufc_regmap::word::{
    self, Cmd, Control, DportRange, FlowFlags, FlowInterest, Meta, PktFlags, Planes, Ports,
    SportRange, TcpFlags,
};
use gufc_regmap::{
    bucket_pair, key, reg, CounterSpace, CycleIn, InterestMode, Key, KeyIn, Mmio, Opcode, Register,
    Verdict, KEY_WORDS, REGISTERS,
};

use crate::Config;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng as _, RngExt, SeedableRng};

/// The stimulus's random choices over rand's Xoshiro256++, a generator rand keeps portable: the
/// same seed gives the same stream on every platform.
#[derive(Clone, Debug)]
pub struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// The next 32 random bits (the high half of [`Rng::next_u64`]).
    pub fn u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        self.0.random_range(0..n)
    }

    /// True with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.0.random_ratio(per_mille, 1000)
    }

    /// A uniformly chosen element of `items` (not empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// A `len`-bit prefix mask of a `width`-bit address, as a u128.
fn prefix(len: u32, width: u32) -> u128 {
    let ones = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    if len == 0 {
        0
    } else if len >= width {
        ones
    } else {
        ones & !(ones >> len)
    }
}

/// One reserved bit of the META key word, at random.
fn meta_reserved_bit(rng: &mut Rng) -> u32 {
    let first = Meta::RESERVED.trailing_zeros();
    1 << (first + rng.below(32 - first))
}

fn addr_words(a: u128) -> [u32; 4] {
    [
        a as u32,
        (a >> 32) as u32,
        (a >> 64) as u32,
        (a >> 96) as u32,
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    TcamWrite,
    SetPlanes,
    Commit,
    TcamRead,
    FlowWrite,
    FlowRead,
    FlowClear,
    FlowMove,
    FlowTouch,
    SetInterest,
    LocalWrite,
    CntRead,
    CntClear,
    Probe,
    RegRead,
    RandomWrite,
    ErrorClear,
    CycleRead,
    BadCommand,
}

/// Relative frequency of each macro operation.
const OPS: &[(Op, u32)] = &[
    (Op::TcamWrite, 20),
    (Op::SetPlanes, 4),
    (Op::Commit, 3),
    (Op::TcamRead, 4),
    (Op::FlowWrite, 16),
    (Op::FlowRead, 5),
    (Op::FlowClear, 3),
    (Op::FlowMove, 5),
    (Op::FlowTouch, 3),
    (Op::SetInterest, 6),
    (Op::LocalWrite, 3),
    (Op::CntRead, 6),
    (Op::CntClear, 2),
    (Op::Probe, 4),
    (Op::RegRead, 10),
    (Op::RandomWrite, 3),
    (Op::ErrorClear, 2),
    (Op::CycleRead, 2),
    (Op::BadCommand, 2),
];

/// Seeded stimulus for one device configuration.
pub struct Stimulus {
    rng: Rng,
    cfg: Config,
    log2_buckets: u32,
    queue: VecDeque<Mmio>,
    pool: Vec<Key>,
    /// Flow slots the generator wrote (some may have been cleared or moved since).
    flows: Vec<u32>,
    /// The plane the generator believes is active (for plane bits that make rules live).
    plane: u32,
    tag: u32,
    /// Phase parameters, re-drawn every few thousand cycles.
    key_rate: u32,
    mmio_rate: u32,
    stall_rate: u32,
    reset_rate: u32,
    phase_left: u32,
    stall_left: u32,
    /// The `rst` pin's schedule: cycles until the next pulse, drawn from its own stream.
    rst_rng: Rng,
    rst_left: u32,
}

/// Cycles between two `rst` pulses: uniform in `RST_GAP_MIN..RST_GAP_MIN + RST_GAP_SPAN`.
const RST_GAP_MIN: u32 = 5_000;
const RST_GAP_SPAN: u32 = 30_000;

impl Stimulus {
    /// A generator for `cfg`; the same (config, seed) gives the same cycles.
    pub fn new(cfg: &Config, seed: u64) -> Stimulus {
        let mut rng = Rng::new(seed);
        let pool_size = 4 + rng.below(28);
        let mut s = Stimulus {
            log2_buckets: cfg.flow_buckets.trailing_zeros(),
            rng,
            cfg: cfg.clone(),
            queue: VecDeque::new(),
            pool: Vec::new(),
            flows: Vec::new(),
            plane: 0,
            tag: 0,
            key_rate: 500,
            mmio_rate: 900,
            stall_rate: 5,
            reset_rate: 1,
            phase_left: 0,
            stall_left: 0,
            rst_rng: Rng::new(seed ^ 0x7273_745f_7069_6e00),
            rst_left: 0,
        };
        s.rst_left = RST_GAP_MIN + s.rst_rng.below(RST_GAP_SPAN);
        s.pool = (0..pool_size).map(|_| s.random_key()).collect();
        s
    }

    /// The next cycle's inputs.
    pub fn next_cycle(&mut self) -> CycleIn {
        if self.phase_left == 0 {
            self.new_phase();
        }
        self.phase_left -= 1;

        let mmio = if self.queue.is_empty() && self.rng.chance(self.mmio_rate) {
            self.plan();
            self.queue.pop_front()
        } else {
            self.queue.pop_front()
        };

        let key = self.rng.chance(self.key_rate).then(|| {
            self.tag = self.tag.wrapping_add(1);
            KeyIn {
                key: self.traffic_key(),
                len: self.packet_len(),
                tag: self.tag,
                tcp_flags: self.tcp_flags(),
            }
        });

        let res_ready = if self.stall_left > 0 {
            self.stall_left -= 1;
            false
        } else if self.rng.chance(self.stall_rate) {
            self.stall_left = self.rng.below(24);
            false
        } else {
            !self.rng.chance(20)
        };
        // The reset pin, on its own random stream so that it leaves the other choices as they
        // were: a few pulses per hundred thousand cycles.
        let rst = self.rst_left == 0;
        self.rst_left = if rst {
            RST_GAP_MIN + self.rst_rng.below(RST_GAP_SPAN)
        } else {
            self.rst_left - 1
        };
        CycleIn {
            mmio,
            key,
            res_ready,
            rst,
        }
    }

    fn new_phase(&mut self) {
        self.phase_left = 500 + self.rng.below(6000);
        self.key_rate = self.rng.pick(&[0, 100, 500, 900, 1000, 1000]);
        self.mmio_rate = self.rng.pick(&[100, 500, 900, 1000]);
        self.stall_rate = self.rng.pick(&[0, 2, 10, 40]);
        self.reset_rate = self.rng.pick(&[0, 0, 1, 3]);
        if self.rng.chance(200) {
            // A fresh key population: the tables fill up with new entries.
            let n = 4 + self.rng.below(28);
            self.pool = (0..n).map(|_| self.random_key()).collect();
        }
    }

    fn random_key(&mut self) -> Key {
        let r = &mut self.rng;
        let ipv6 = r.chance(300);
        let addr = |r: &mut Rng| {
            if ipv6 {
                (r.next_u64() as u128) << 64 | r.next_u64() as u128
            } else {
                r.u32() as u128
            }
        };
        let src = addr(r);
        let dst = addr(r);
        let any = r.below(256) as u8;
        let proto = r.pick(&[6, 17, 1, 6, 17, any]);
        let sport = if r.chance(500) {
            r.pick(&[53, 80, 443, 1024])
        } else {
            r.below(65536) as u16
        };
        let dport = if r.chance(500) {
            r.pick(&[53, 80, 443, 8080])
        } else {
            r.below(65536) as u16
        };
        Key {
            src,
            dst,
            ipv6,
            proto,
            sport,
            dport,
            ..Key::default()
        }
    }

    fn pool_key(&mut self) -> Key {
        let i = self.rng.below(self.pool.len() as u32) as usize;
        self.pool[i]
    }

    fn traffic_key(&mut self) -> Key {
        let mut k = match self.rng.below(100) {
            0..=74 => self.pool_key(),
            75..=89 => {
                let mut k = self.pool_key();
                match self.rng.below(4) {
                    0 => k.sport = self.rng.below(65536) as u16,
                    1 => k.dport = k.dport.wrapping_add(1),
                    2 => k.src ^= 1 << self.rng.below(if k.ipv6 { 128 } else { 32 }),
                    _ => k.proto = self.rng.below(256) as u8,
                }
                k
            }
            _ => self.random_key(),
        };
        // Locality bits on the port are ignored by the device.
        k.src_local = self.rng.chance(100);
        k.dst_local = self.rng.chance(100);
        k
    }

    /// TCP flags of a packet: mostly plain segments, often SYN/FIN/RST (alone or with others).
    fn tcp_flags(&mut self) -> u8 {
        const fn flag(f: TcpFlags) -> u8 {
            f.raw() as u8
        }
        const FIN: u8 = flag(TcpFlags::new().with_fin(true));
        const SYN: u8 = flag(TcpFlags::new().with_syn(true));
        const RST: u8 = flag(TcpFlags::new().with_rst(true));
        const PSH: u8 = flag(TcpFlags::new().with_psh(true));
        const ACK: u8 = flag(TcpFlags::new().with_ack(true));
        let any = self.rng.below(256) as u8;
        self.rng.pick(&[
            0,
            ACK,
            ACK,
            PSH | ACK,
            SYN,
            SYN | ACK,
            FIN | ACK,
            RST,
            0xF8, // every flag but FIN/SYN/RST
            any,
        ])
    }

    /// A FLOW_INTEREST word: each mode, SAMPLE periods small enough to trigger under traffic,
    /// and sometimes an invalid word (mode 4..7, a reserved bit, SAMPLE with PERIOD 0).
    fn interest(&mut self) -> u32 {
        let mode = |m: InterestMode| FlowInterest::new().with_mode(m);
        let period = |p: u32| FlowInterest::PERIOD.put(p);
        match self.rng.below(100) {
            0..=29 => mode(InterestMode::None).raw(),
            30..=44 => mode(InterestMode::EveryPacket).raw(),
            45..=64 => mode(InterestMode::TcpCtrl).raw() | period(self.rng.below(3)),
            65..=84 => mode(InterestMode::Sample).raw() | period(1 + self.rng.below(4)),
            85..=89 => mode(InterestMode::Sample).raw() | period(1 + self.rng.below(0xFFFF)),
            // Undefined modes, written raw.
            90..=92 => FlowInterest::MODE.put(4 + self.rng.below(4)) | period(self.rng.below(4)),
            93..=96 => {
                let m = InterestMode::ALL[self.rng.below(4) as usize];
                let reserved = self.rng.pick(&[3, 8, 15]);
                mode(m).raw() | period(1) | 1 << reserved
            }
            _ => mode(InterestMode::Sample).raw(),
        }
    }

    fn packet_len(&mut self) -> u16 {
        match self.rng.below(10) {
            0 => 0,
            1 => u16::MAX,
            _ => 40 + self.rng.below(1500) as u16,
        }
    }

    fn w(&mut self, addr: u32, data: u32) {
        self.queue.push_back(Mmio::Write { addr, data });
    }

    fn r(&mut self, addr: u32) {
        self.queue.push_back(Mmio::Read { addr });
    }

    /// Writes a register through its codec type.
    fn put<R: Register>(&mut self, v: R) {
        self.w(R::OFFSET, v.into());
    }

    fn cmd(&mut self, op: Opcode, index: u32) {
        self.put(Cmd::new().with_opcode(op).with_index(index));
    }

    /// A command with any opcode, defined or not.
    fn cmd_raw(&mut self, op: u32, index: u32) {
        self.w(reg::CMD, Cmd::OPCODE.put(op) | Cmd::INDEX.put(index));
    }

    /// An index below `n` most of the time, sometimes at or beyond it.
    fn index(&mut self, n: u32) -> u32 {
        match self.rng.below(100) {
            0..=2 => n + self.rng.below(4),
            3 => self.rng.below(1 << Cmd::INDEX.width),
            _ => self.rng.below(n),
        }
    }

    fn valid_action(&mut self) -> u32 {
        let deliver = word::Action::new().with_verdict(Verdict::Deliver);
        let act = match self.rng.below(3) {
            0 => deliver.with_channel(self.rng.below(self.cfg.channels) as u8),
            1 => word::Action::new().with_verdict(Verdict::Drop),
            _ => {
                let any = self.rng.below(256);
                let reason = self.rng.pick(&[2, 16, 17, any]) as u8;
                word::Action::new()
                    .with_verdict(Verdict::SlowPath)
                    .with_reason(reason)
            }
        };
        if self.rng.chance(30) {
            // Invalid: reserved verdict, channel out of range or reserved bits (written raw).
            match self.rng.below(3) {
                0 => act.raw() | word::Action::VERDICT.put(3),
                1 => deliver
                    .with_channel((self.cfg.channels + self.rng.below(4)) as u8)
                    .raw(),
                _ => {
                    act.raw()
                        | 1 << (word::Action::VERDICT.width + self.rng.below(6))
                        | (self.rng.chance(500) as u32) << 31
                }
            }
        } else {
            act.raw()
        }
    }

    fn port_range(&mut self, p: u16) -> (u16, u16) {
        let (lo, hi) = match self.rng.below(100) {
            0..=44 => (0, u16::MAX),
            45..=69 => (p, p),
            70..=96 => (
                p.saturating_sub(self.rng.below(100) as u16),
                p.saturating_add(self.rng.below(100) as u16),
            ),
            _ => (p.saturating_add(1).max(1), p.saturating_sub(1)),
        };
        (lo, hi)
    }

    /// Queues the next macro operation.
    fn plan(&mut self) {
        if self.rng.below(20_000) < self.reset_rate {
            self.put(Control::new().with_reset(true));
            self.plane = 0;
            self.flows.clear();
            return;
        }
        let total: u32 = OPS.iter().map(|o| o.1).sum();
        let mut x = self.rng.below(total);
        let op = OPS
            .iter()
            .find(|o| {
                if x < o.1 {
                    true
                } else {
                    x -= o.1;
                    false
                }
            })
            .unwrap()
            .0;
        match op {
            Op::TcamWrite => self.tcam_write(),
            Op::SetPlanes => {
                let planes = self.planes();
                self.w(reg::PLANES, planes);
                let i = self.index(self.cfg.tcam_entries);
                self.cmd(Opcode::TcamSetPlanes, i);
            }
            Op::Commit => {
                let i = self.rng.u32() & 0xFF_FFFF;
                self.cmd(Opcode::Commit, i);
                self.plane ^= 1;
            }
            Op::TcamRead => {
                let i = self.index(self.cfg.tcam_entries);
                self.cmd(Opcode::TcamRead, i);
                for _ in 0..self.rng.below(4) {
                    let a = self.rng.pick(&[
                        reg::KEY,
                        reg::MASK,
                        reg::SPORT_RANGE,
                        reg::PRIO,
                        reg::ACTION,
                        reg::PLANES,
                    ]);
                    let a = if a == reg::KEY || a == reg::MASK {
                        a + 4 * self.rng.below(KEY_WORDS as u32)
                    } else {
                        a
                    };
                    self.r(a);
                }
            }
            Op::FlowWrite => self.flow_write(),
            Op::FlowRead => {
                let s = self.flow_slot();
                self.cmd(Opcode::FlowRead, s);
                for a in [
                    reg::FLOW_STATE,
                    reg::FLOW_LAST_HIT,
                    reg::ACTION,
                    reg::FLOW_FLAGS,
                    reg::FLOW_INTEREST,
                ] {
                    if self.rng.chance(700) {
                        self.r(a);
                    }
                }
                if self.rng.chance(300) {
                    let w = self.rng.below(KEY_WORDS as u32);
                    self.r(reg::KEY + 4 * w);
                }
            }
            Op::FlowClear => {
                let s = self.flow_slot();
                self.cmd(Opcode::FlowClear, s);
            }
            Op::FlowMove => {
                let src = self.flow_slot();
                let dst = if self.rng.chance(600) {
                    // Another way of the same bucket, where a rebalancing driver would move it.
                    let w = self.cfg.flow_ways;
                    (src / w) * w + self.rng.below(w)
                } else {
                    self.index(self.cfg.flow_entries())
                };
                self.w(reg::CMD_ARG, dst);
                self.cmd(Opcode::FlowMove, src);
                self.flows.push(dst);
            }
            Op::FlowTouch => {
                let s = self.flow_slot();
                self.cmd(Opcode::FlowTouch, s);
            }
            Op::SetInterest => {
                let i = self.interest();
                self.w(reg::FLOW_INTEREST, i);
                let s = self.flow_slot();
                self.cmd(Opcode::FlowSetInterest, s);
                if self.rng.chance(300) {
                    self.r(reg::FLOW_INTEREST);
                }
            }
            Op::LocalWrite => self.local_write(),
            Op::CntRead | Op::CntClear => {
                let space = if self.rng.chance(40) {
                    4 + self.rng.below(8)
                } else {
                    self.rng.below(4)
                };
                let space_kind = CounterSpace::from_bits(space);
                let size = match space_kind {
                    Some(CounterSpace::Tcam) => self.cfg.tcam_entries,
                    Some(CounterSpace::Flow) => self.cfg.flow_entries(),
                    Some(CounterSpace::Channel) => self.cfg.channels,
                    Some(CounterSpace::Global) | None => 8,
                };
                let i = match space_kind {
                    Some(CounterSpace::Flow) if self.rng.chance(600) && !self.flows.is_empty() => {
                        self.flow_slot()
                    }
                    _ => self.index(size),
                };
                self.w(reg::CMD_ARG, space);
                if op == Op::CntRead {
                    self.cmd(Opcode::CntRead, i);
                    for a in [
                        reg::CNT_PKTS_LO,
                        reg::CNT_PKTS_HI,
                        reg::CNT_BYTES_LO,
                        reg::CNT_BYTES_HI,
                    ] {
                        self.r(a);
                    }
                } else {
                    self.cmd(Opcode::CntClear, i);
                }
            }
            Op::Probe => {
                if self.rng.chance(700) {
                    let k = self.traffic_key().words();
                    for (i, w) in k.iter().enumerate() {
                        self.w(reg::KEY + 4 * i as u32, *w);
                    }
                }
                let len = self.rng.u32();
                self.w(reg::PKT_LEN, len);
                if self.rng.chance(700) {
                    // FLAGS and, sometimes, a reserved bit beyond it (ignored).
                    let f = PktFlags::new().with_flags(self.tcp_flags());
                    let reserved = (self.rng.chance(100) as u32) << PktFlags::FLAGS.width;
                    self.w(reg::PKT_FLAGS, f.raw() | reserved);
                }
                let i = self.rng.below(4);
                self.cmd(Opcode::Probe, i);
                if self.rng.chance(300) {
                    self.cmd(Opcode::Probe, 0);
                }
                self.r(reg::STATUS);
                for _ in 0..self.rng.below(6) {
                    self.r(reg::STATUS);
                }
                self.r(reg::PROBE_RESULT);
                self.r(reg::PROBE_INDEX);
            }
            Op::RegRead => {
                let a = match self.rng.below(100) {
                    0..=79 => {
                        let r = &REGISTERS[self.rng.below(REGISTERS.len() as u32) as usize];
                        r.offset + r.stride * self.rng.below(r.count)
                    }
                    80..=97 => self.rng.below(0x1000) & !3,
                    _ => self.rng.below(0x1000),
                };
                self.r(a);
            }
            Op::RandomWrite => {
                let a = match self.rng.below(100) {
                    0..=69 => {
                        let r = &REGISTERS[self.rng.below(REGISTERS.len() as u32) as usize];
                        r.offset + r.stride * self.rng.below(r.count)
                    }
                    _ => self.rng.below(0x1000),
                };
                let mut d = self.rng.u32();
                if a == reg::CONTROL {
                    d = Control::from_raw(d).with_reset(false).raw();
                }
                if a == reg::CMD {
                    d = Cmd::OPCODE.set(d, self.rng.pick(&[0, 5, 0x15, 0x41, 0xFF]));
                }
                self.w(a, d);
                self.r(reg::ERROR);
                self.r(reg::ERROR_INDEX);
            }
            Op::ErrorClear => {
                self.r(reg::ERROR);
                self.r(reg::ERROR_INDEX);
                self.r(reg::STATUS);
                let d = self.rng.u32();
                self.w(reg::ERROR, d);
            }
            Op::CycleRead => {
                self.r(reg::CYCLE_LO);
                self.r(reg::CYCLE_HI);
            }
            Op::BadCommand => {
                let op = self
                    .rng
                    .pick(&[0x00, 0x05, 0x0F, 0x16, 0x21, 0x32, 0x41, 0xFF]);
                let i = self.rng.u32();
                self.cmd_raw(op, i);
                self.r(reg::ERROR);
            }
        }
    }

    /// A PLANES word, sometimes with a reserved bit set.
    fn planes(&mut self) -> u32 {
        let p = match self.rng.below(10) {
            0..=4 => 3,
            5..=7 => 1 << self.plane,
            8 => 1 << (self.plane ^ 1),
            _ => 0,
        };
        let p = Planes::new().with_planes(p).raw();
        let width = Planes::PLANES.width;
        if self.rng.chance(30) {
            p | 1 << (width + self.rng.below(32 - width))
        } else {
            p
        }
    }

    fn tcam_write(&mut self) {
        let k = {
            let mut k = self.pool_key();
            k.src_local = self.rng.chance(300);
            k.dst_local = self.rng.chance(300);
            k
        };
        let width = if k.ipv6 { 128 } else { 32 };
        let src_mask = prefix(self.rng.below(width + 1), width);
        let dst_mask = prefix(self.rng.below(width + 1), width);
        let mut mask = [0u32; KEY_WORDS];
        mask[key::SRC0..key::SRC0 + 4].copy_from_slice(&addr_words(src_mask));
        mask[key::DST0..key::DST0 + 4].copy_from_slice(&addr_words(dst_mask));
        let mut m = Meta::new();
        if self.rng.chance(600) {
            m = m.with_proto(u8::MAX);
        }
        if self.rng.chance(800) {
            m = m.with_ipv6(true);
        }
        if self.rng.chance(200) {
            m = m.with_src_local(true);
        }
        if self.rng.chance(200) {
            m = m.with_dst_local(true);
        }
        mask[key::META] = m.raw();
        mask[key::PORTS] = match self.rng.below(10) {
            0 => Ports::new().with_sport(u16::MAX).raw(),
            1 => Ports::new().with_dport(u16::MAX).raw(),
            _ => 0,
        };
        let words = k.words();
        let mut value = [0u32; KEY_WORDS];
        for i in 0..KEY_WORDS {
            value[i] = words[i] & mask[i];
        }
        if self.rng.chance(30) {
            let i = self.rng.below(KEY_WORDS as u32) as usize;
            value[i] |= !mask[i] & (1 << self.rng.below(32));
        }
        if self.rng.chance(20) {
            let bit = meta_reserved_bit(&mut self.rng);
            if self.rng.chance(500) {
                value[key::META] |= bit;
            } else {
                mask[key::META] |= bit;
            }
        }
        let partial = self.rng.chance(150);
        for i in 0..KEY_WORDS {
            if !partial || self.rng.chance(500) {
                self.w(reg::KEY + 4 * i as u32, value[i]);
                self.w(reg::MASK + 4 * i as u32, mask[i]);
            }
        }
        let sr = self.port_range(k.sport);
        let dr = self.port_range(k.dport);
        self.put(SportRange::of(sr));
        self.put(DportRange::of(dr));
        let prio = if self.rng.chance(700) {
            self.rng.below(6)
        } else {
            self.rng.u32()
        };
        self.w(reg::PRIO, prio);
        let act = self.valid_action();
        self.w(reg::ACTION, act);
        let planes = self.planes();
        self.w(reg::PLANES, planes);
        let i = self.index(self.cfg.tcam_entries);
        self.cmd(Opcode::TcamWrite, i);
    }

    fn flow_write(&mut self) {
        let mut k = self.pool_key();
        k.src_local = self.rng.chance(200);
        k.dst_local = self.rng.chance(200);
        let mut words = k.words();
        if self.rng.chance(20) {
            words[key::META] |= meta_reserved_bit(&mut self.rng);
        }
        for (i, w) in words.iter().enumerate() {
            self.w(reg::KEY + 4 * i as u32, *w);
        }
        let act = self.valid_action();
        self.w(reg::ACTION, act);
        let mut flags = FlowFlags::new().with_pinned(self.rng.chance(300)).raw();
        if self.rng.chance(30) {
            let width = FlowFlags::PINNED.width;
            flags |= 1 << (width + self.rng.below(32 - width));
        }
        self.w(reg::FLOW_FLAGS, flags);
        if self.rng.chance(850) {
            // Else the staged word stays (the last write, or what FLOW_READ loaded).
            let i = self.interest();
            self.w(reg::FLOW_INTEREST, i);
        }
        let w = self.cfg.flow_ways;
        let slot = if self.rng.chance(850) {
            let (b1, b2) = bucket_pair(&k, self.log2_buckets);
            let b = if self.rng.chance(600) { b1 } else { b2 };
            b * w + self.rng.below(w)
        } else {
            self.index(self.cfg.flow_entries())
        };
        self.cmd(Opcode::FlowWrite, slot);
        self.flows.push(slot);
        if self.flows.len() > 64 {
            self.flows.remove(0);
        }
    }

    /// A slot the generator wrote, or any index.
    fn flow_slot(&mut self) -> u32 {
        if !self.flows.is_empty() && self.rng.chance(800) {
            let i = self.rng.below(self.flows.len() as u32) as usize;
            self.flows[i]
        } else {
            self.index(self.cfg.flow_entries())
        }
    }

    fn local_write(&mut self) {
        let k = self.pool_key();
        let width = if k.ipv6 { 128 } else { 32 };
        let a = if self.rng.chance(500) { k.src } else { k.dst };
        let m = prefix(self.rng.below(width + 1), width);
        let aw = addr_words(a);
        let mw = addr_words(m);
        for i in 0..4 {
            self.w(reg::KEY + 4 * (key::SRC0 + i) as u32, aw[i]);
            self.w(reg::MASK + 4 * (key::SRC0 + i) as u32, mw[i]);
        }
        let mut meta_word = Meta::new().with_ipv6(k.ipv6).raw();
        if self.rng.chance(100) {
            meta_word ^= Meta::IPV6.mask();
        }
        if self.rng.chance(100) {
            meta_word |= self.rng.u32() & !Meta::IPV6.mask();
        }
        self.w(reg::KEY + 4 * key::META as u32, meta_word);
        let valid = if self.rng.chance(850) { 1 } else { 0 } | (self.rng.chance(100) as u32) << 1;
        self.w(reg::CMD_ARG, valid);
        let i = self.index(self.cfg.local_entries);
        self.cmd(Opcode::LocalWrite, i);
    }
}

/// A benchmark program: fill every TCAM entry and a quarter of the flow cache, then offer a key
/// every cycle (about 60% from the rules' and flows' key population) with `res_ready` always 1.
/// The same `Vec` drives the RTL and the model, so both do identical work.
pub fn bench_program(cfg: &Config, seed: u64, traffic_cycles: usize) -> Vec<CycleIn> {
    let mut s = Stimulus::new(cfg, seed);
    let mut out = Vec::new();
    let flush = |s: &mut Stimulus, out: &mut Vec<CycleIn>| {
        while let Some(m) = s.queue.pop_front() {
            out.push(CycleIn {
                mmio: Some(m),
                key: None,
                res_ready: true,
                rst: false,
            });
        }
    };
    s.pool = (0..256).map(|_| s.random_key()).collect();
    for i in 0..cfg.tcam_entries {
        s.tcam_write();
        // Keep every rule valid and live so the whole TCAM takes part in each lookup.
        if let Some(Mmio::Write { data, .. }) = s.queue.back_mut() {
            *data = Cmd::new()
                .with_opcode(Opcode::TcamWrite)
                .with_index(i)
                .raw();
        }
        flush(&mut s, &mut out);
    }
    for _ in 0..cfg.flow_entries() / 4 {
        s.flow_write();
        flush(&mut s, &mut out);
    }
    for _ in 0..traffic_cycles {
        let key = if s.rng.chance(600) {
            s.pool_key()
        } else {
            s.random_key()
        };
        s.tag = s.tag.wrapping_add(1);
        out.push(CycleIn {
            mmio: None,
            key: Some(KeyIn {
                key,
                len: 64,
                tag: s.tag,
                tcp_flags: 0,
            }),
            res_ready: true,
            rst: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let cfg = Config {
            tcam_entries: 16,
            flow_buckets: 2,
            flow_ways: 3,
            channels: 3,
            local_entries: 2,
        };
        let a: Vec<_> = {
            let mut s = Stimulus::new(&cfg, 7);
            (0..5000).map(|_| s.next_cycle()).collect()
        };
        let mut s = Stimulus::new(&cfg, 7);
        let b: Vec<_> = (0..5000).map(|_| s.next_cycle()).collect();
        assert_eq!(a, b);
        let mut s = Stimulus::new(&cfg, 8);
        let c: Vec<_> = (0..5000).map(|_| s.next_cycle()).collect();
        assert_ne!(a, c);
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix(0, 32), 0);
        assert_eq!(prefix(8, 32), 0xFF00_0000);
        assert_eq!(prefix(32, 32), 0xFFFF_FFFF);
        assert_eq!(prefix(128, 128), u128::MAX);
        assert_eq!(prefix(1, 128), 1 << 127);
    }
}
