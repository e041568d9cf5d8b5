//! Seeded random stimulus for the RTL 2.0 device (`rtl/v2/gufc_top.v`): keys on most clocks,
//! register accesses that stage and run every command (rule entries over the 2.0 rule-stage key,
//! range checkers, protocol classes, commits, flows, counters, locality, probes), STATUS polls
//! that meet BUSY, rejected and garbage accesses, stretches of `res_ready` 0 and resets.
//!
//! As with the 1.x stimulus, the generator only aims: the lockstep compares the RTL with the model,
//! not with the generator. Entries and flows are built from a small pool of keys so that traffic
//! hits them while commands rewrite them.

use std::collections::VecDeque;

use gufc_hw_model::v2::flow_ram::FlowKey;
use gufc_regmap::word::Status;
use gufc_regmap::{key, reg, CycleIn, Key, KeyIn, Mmio, Opcode, KEY_WORDS};

use crate::stimulus::Rng;
use crate::Config;

/// Range checkers and matched TCP-flag bits of the built 2.0 configurations (the defaults).
const CHECKERS: u32 = 16;
const FLAG_BITS: u32 = 6;

/// Bit positions of the fields in the rule-stage key (gufc_tcam_v4.v), LSB first.
const F_SPORT: u32 = CHECKERS;
const F_DPORT: u32 = F_SPORT + 16;
const F_FLAGS: u32 = F_DPORT + 16;
const F_CLASS: u32 = F_FLAGS + FLAG_BITS;
const F_DLOCAL: u32 = F_CLASS + 3;
const F_SLOCAL: u32 = F_DLOCAL + 1;
const F_DST: u32 = F_SLOCAL + 1;
const F_SRC: u32 = F_DST + 32;
const KEY_BITS: u32 = F_SRC + 32;

/// The generator.
pub struct StimulusV2 {
    rng: Rng,
    cfg: Config,
    queue: VecDeque<Mmio>,
    pool: Vec<Key>,
    bases: [u32; 4],
    tag: u32,
    dry: u32,
}

impl StimulusV2 {
    /// The stream for `seed` on a device with `cfg`'s parameters.
    pub fn new(cfg: &Config, seed: u64) -> StimulusV2 {
        let mut rng = Rng::new(seed);
        let bases = [rng.u32(), rng.u32(), 0x0a00_0000, 0xc0a8_0000];
        let mut s = StimulusV2 {
            rng,
            cfg: cfg.clone(),
            queue: VecDeque::new(),
            pool: Vec::new(),
            bases,
            tag: 0,
            dry: 0,
        };
        for _ in 0..24 {
            let k = s.random_key();
            s.pool.push(k);
        }
        s
    }

    /// The inputs of the next cycle.
    pub fn next_cycle(&mut self) -> CycleIn {
        let rst = self.rng.below(30_000) == 0;
        if self.queue.is_empty() {
            self.plan();
        }
        let mmio = if self.rng.chance(600) {
            self.queue.pop_front()
        } else if self.rng.chance(50) {
            Some(Mmio::Read { addr: reg::STATUS })
        } else {
            None
        };
        let key = self.rng.chance(870).then(|| {
            self.tag = self.tag.wrapping_add(1);
            KeyIn {
                key: self.traffic_key(),
                len: 40 + self.rng.below(1500) as u16,
                tag: self.tag,
                tcp_flags: self.rng.u32() as u8,
            }
        });
        if self.dry == 0 && self.rng.chance(3) {
            self.dry = 30 + self.rng.below(300);
        }
        let res_ready = if self.dry > 0 {
            self.dry -= 1;
            false
        } else {
            self.rng.chance(970)
        };
        CycleIn {
            mmio,
            key,
            res_ready,
            rst,
        }
    }

    fn random_key(&mut self) -> Key {
        let b = self.rng.pick(&self.bases);
        let src = b ^ self.rng.below(256);
        let b = self.rng.pick(&self.bases);
        let dst = b ^ self.rng.below(256);
        let proto = *[6u8, 6, 17, 17, 1, 58, self.rng.u32() as u8]
            .get(self.rng.below(7) as usize)
            .unwrap_or(&6);
        let sport = self.rng.below(65536) as u16;
        let dport = if self.rng.chance(500) {
            443
        } else {
            self.rng.below(65536) as u16
        };
        Key::v4(src, dst, proto, sport, dport)
    }

    fn traffic_key(&mut self) -> Key {
        let mut k = if self.rng.chance(600) {
            self.rng.pick(&self.pool)
        } else {
            self.random_key()
        };
        if self.rng.chance(30) {
            // IPv6: the 2.0 device decides it as a miss; locality still looks at it.
            k.ipv6 = true;
            k.src |= u128::from(self.rng.u32()) << 96;
        }
        k
    }

    fn w(&mut self, addr: u32, data: u32) {
        self.queue.push_back(Mmio::Write { addr, data });
    }

    fn r(&mut self, addr: u32) {
        self.queue.push_back(Mmio::Read { addr });
    }

    fn cmd(&mut self, op: Opcode, index: u32) {
        self.w(reg::CMD, u32::from(op.bits()) << 24 | index & 0xff_ffff);
        for _ in 0..self.rng.below(4) {
            self.r(reg::STATUS);
        }
    }

    /// An index below `n` mostly, sometimes just past it.
    fn index(&mut self, n: u32) -> u32 {
        if self.rng.chance(30) {
            n + self.rng.below(4)
        } else {
            self.rng.below(n)
        }
    }

    fn action(&mut self) -> u32 {
        match self.rng.below(20) {
            0 => self.rng.u32(),                                 // mostly invalid
            1..=7 => self.rng.below(self.cfg.channels + 1) << 8, // DELIVER (one past the end)
            8..=12 => 1,                                         // DROP
            _ => 2 | (16 + self.rng.below(240)) << 16,
        }
    }

    fn interest(&mut self) -> u32 {
        let mode = self.rng.below(5);
        let period = if self.rng.chance(800) {
            1 << self.rng.below(4)
        } else {
            self.rng.below(9)
        };
        mode | period << 16
    }

    fn stage_words(&mut self, base: u32, w: &[u32; KEY_WORDS]) {
        for (n, &x) in w.iter().enumerate() {
            self.w(base + 4 * n as u32, x);
        }
    }

    /// The next access sequence.
    fn plan(&mut self) {
        let n = self.cfg.tcam_entries;
        let slots = self.cfg.flow_buckets * self.cfg.flow_ways;
        match self.rng.below(1000) {
            0..=219 => self.tcam_write(),
            220..=289 => {
                let (field, p) = if self.rng.chance(500) {
                    (0, self.rng.pick(&self.pool).sport)
                } else {
                    (1, self.rng.pick(&self.pool).dport)
                };
                let lo = p.saturating_sub(self.rng.below(100) as u16);
                let hi = p.saturating_add(self.rng.below(2000) as u16);
                let (lo, hi) = if self.rng.chance(30) {
                    (hi, lo)
                } else {
                    (lo, hi)
                };
                let rng = u32::from(lo) | u32::from(hi) << 16;
                self.w(
                    if field == 0 {
                        reg::SPORT_RANGE
                    } else {
                        reg::DPORT_RANGE
                    },
                    rng,
                );
                let arg = self.rng.below(2) | field << 1 | u32::from(self.rng.chance(900)) << 2;
                let arg = if self.rng.chance(20) { arg | 8 } else { arg };
                self.w(reg::CMD_ARG, arg);
                let i = self.index(CHECKERS);
                self.cmd(Opcode::CheckerWrite, i);
            }
            290..=339 => {
                let proto = *[6u32, 17, 1, 58, self.rng.below(256)]
                    .get(self.rng.below(5) as usize)
                    .unwrap_or(&6);
                let arg = self.rng.below(2) | u32::from(self.rng.chance(900)) << 2 | proto << 8;
                let arg = if self.rng.chance(20) {
                    arg | 1 << 20
                } else {
                    arg
                };
                self.w(reg::CMD_ARG, arg);
                let i = self.rng.below(9);
                self.cmd(Opcode::ClassWrite, i);
            }
            340..=399 => self.cmd(Opcode::Commit, 0),
            400..=439 => {
                let wide = self.rng.chance(50);
                let p = self.rng.below(if wide { 8 } else { 4 });
                self.w(reg::PLANES, p);
                let i = self.index(n);
                self.cmd(Opcode::TcamSetPlanes, i);
            }
            440..=479 => {
                let i = self.index(n);
                self.cmd(Opcode::TcamRead, i);
                for _ in 0..self.rng.below(12) {
                    self.r(reg::STATUS);
                }
                for a in [
                    reg::KEY,
                    reg::KEY + 12,
                    reg::MASK + 4,
                    reg::PRIO,
                    reg::ACTION,
                    reg::PLANES,
                ] {
                    self.r(a);
                }
            }
            480..=659 => self.flow_write(),
            660..=699 => {
                let i = self.flow_slot();
                self.cmd(Opcode::FlowRead, i);
                for _ in 0..self.rng.below(6) {
                    self.r(reg::STATUS);
                }
                for a in [
                    reg::KEY,
                    reg::KEY + 36,
                    reg::FLOW_STATE,
                    reg::FLOW_LAST_HIT,
                    reg::FLOW_INTEREST,
                ] {
                    self.r(a);
                }
            }
            700..=729 => {
                let i = self.flow_slot();
                self.cmd(Opcode::FlowClear, i);
            }
            730..=769 => {
                let d = self.index(slots);
                self.w(reg::CMD_ARG, d);
                let i = self.flow_slot();
                self.cmd(Opcode::FlowMove, i);
            }
            770..=789 => {
                let i = self.flow_slot();
                self.cmd(Opcode::FlowTouch, i);
            }
            790..=819 => {
                let v = self.interest();
                self.w(reg::FLOW_INTEREST, v);
                let i = self.flow_slot();
                self.cmd(Opcode::FlowSetInterest, i);
            }
            820..=879 => {
                let bad = self.rng.chance(30);
                let space = self.rng.below(if bad { 6 } else { 4 });
                let size = [n, slots, self.cfg.channels, 8, 1, 1][space as usize];
                self.w(reg::CMD_ARG, space);
                let i = self.index(size);
                let op = if self.rng.chance(300) {
                    Opcode::CntClear
                } else {
                    Opcode::CntRead
                };
                self.cmd(op, i);
                for _ in 0..self.rng.below(8) {
                    self.r(reg::STATUS);
                }
                for a in [reg::CNT_PKTS_LO, reg::CNT_PKTS_HI, reg::CNT_BYTES_LO] {
                    self.r(a);
                }
            }
            880..=899 => {
                let k = self.rng.pick(&self.pool);
                let mut w = [0; KEY_WORDS];
                let plen = self.rng.pick(&[8u32, 16, 24, 32]);
                w[key::SRC0] = if self.rng.chance(500) {
                    k.src as u32
                } else {
                    k.dst as u32
                };
                w[key::META] = u32::from(self.rng.chance(50)) << 10;
                let mut m = [0; KEY_WORDS];
                m[key::SRC0] = !0u32 << (32 - plen);
                w[key::SRC0] &= m[key::SRC0];
                self.stage_words(reg::KEY, &w);
                self.stage_words(reg::MASK, &m);
                let valid = u32::from(self.rng.chance(800));
                self.w(reg::CMD_ARG, valid);
                let i = self.index(self.cfg.local_entries);
                self.cmd(Opcode::LocalWrite, i);
            }
            900..=939 => {
                let k = self.traffic_key();
                self.stage_words(reg::KEY, &k.words());
                let len = self.rng.below(2000);
                self.w(reg::PKT_LEN, len);
                let f = self.rng.u32() & 0x1ff;
                self.w(reg::PKT_FLAGS, f);
                self.cmd(Opcode::Probe, 0);
                for _ in 0..self.rng.below(30) {
                    self.r(reg::STATUS);
                }
                self.r(reg::PROBE_RESULT);
                self.r(reg::PROBE_INDEX);
            }
            940..=998 => {
                // Garbage and housekeeping: any offset read or written, unknown opcodes, ERROR.
                match self.rng.below(6) {
                    0 => {
                        let a = self.rng.below(0x1000);
                        let d = self.rng.u32();
                        self.w(a & !3, d);
                    }
                    1 => {
                        let a = self.rng.below(0x1000);
                        self.r(a);
                    }
                    2 => {
                        let op = self.rng.below(256);
                        let i = self.rng.below(1 << 24);
                        self.w(reg::CMD, op << 24 | i);
                    }
                    3 => {
                        self.r(reg::ERROR);
                        self.r(reg::ERROR_INDEX);
                        self.w(reg::ERROR, 0);
                    }
                    4 => {
                        for a in [
                            reg::ID,
                            reg::VERSION,
                            reg::CAP_MISC,
                            reg::CAP_KEY,
                            reg::CAP_RULES,
                        ] {
                            self.r(a);
                        }
                    }
                    _ => {
                        self.r(reg::CYCLE_LO);
                        self.r(reg::CYCLE_HI);
                    }
                }
            }
            _ => self.w(reg::CONTROL, 1),
        }
    }

    /// A slot where a pool key can live (one of its buckets), or any slot.
    fn flow_slot(&mut self) -> u32 {
        let b = self.cfg.flow_buckets;
        let w = self.cfg.flow_ways;
        if self.rng.chance(700) {
            let k = self.rng.pick(&self.pool);
            let fk = flow_key(&k);
            let (b1, b2) = fk.buckets(b.trailing_zeros());
            let bucket = if self.rng.chance(500) { b1 } else { b2 };
            bucket * w + self.rng.below(w)
        } else {
            self.index(b * w)
        }
    }

    fn flow_write(&mut self) {
        let k = self.rng.pick(&self.pool);
        let mut w = k.words();
        if self.rng.chance(20) {
            w[key::SRC1] = 1; // not a 2.0 flow key: BAD_FLAGS
        }
        if self.rng.chance(100) {
            w[key::META] |= 3 << 8; // locality bits: ignored
        }
        self.stage_words(reg::KEY, &w);
        let a = self.action();
        self.w(reg::ACTION, a);
        let p = u32::from(self.rng.chance(150));
        self.w(reg::FLOW_FLAGS, p);
        let i = self.interest();
        self.w(reg::FLOW_INTEREST, i);
        let s = self.flow_slot();
        self.cmd(Opcode::FlowWrite, s);
    }

    /// An entry around a pool key: prefixes of its addresses, exact or wildcard ports, class,
    /// flags and locality, sometimes a checker hit bit.
    fn tcam_write(&mut self) {
        let k = self.rng.pick(&self.pool);
        let mut v = 0u128;
        let mut m = 0u128;
        let pfx = |rng: &mut Rng| -> u64 {
            let len = rng.pick(&[0u32, 8, 16, 24, 24, 32]);
            if len == 0 {
                0
            } else {
                u64::from(!0u32 << (32 - len))
            }
        };
        let sm = pfx(&mut self.rng);
        set_field(&mut v, &mut m, F_SRC, 32, k.src as u64, sm);
        let dm = pfx(&mut self.rng);
        set_field(&mut v, &mut m, F_DST, 32, k.dst as u64, dm);
        if self.rng.chance(400) {
            let c = self.rng.below(8);
            set_field(&mut v, &mut m, F_CLASS, 3, c.into(), 7);
        }
        for (at, p) in [(F_SPORT, k.sport), (F_DPORT, k.dport)] {
            match self.rng.below(4) {
                0 => set_field(&mut v, &mut m, at, 16, p.into(), 0xffff),
                1 => set_field(&mut v, &mut m, at, 16, p.into(), 0xff00),
                _ => {}
            }
        }
        if self.rng.chance(200) {
            let f = self.rng.u32();
            let fm = self.rng.u32();
            set_field(&mut v, &mut m, F_FLAGS, FLAG_BITS, f.into(), fm.into());
        }
        if self.rng.chance(150) {
            let l = self.rng.below(4);
            set_field(&mut v, &mut m, F_DLOCAL, 2, l.into(), 3);
        }
        if self.rng.chance(200) {
            let c = self.rng.below(CHECKERS);
            set_field(&mut v, &mut m, c, 1, 1, 1);
        }
        if self.rng.chance(20) {
            v |= 1 << self.rng.below(KEY_BITS); // maybe outside the mask
        }
        if self.rng.chance(10) {
            m |= 1 << 127; // outside the entry: BAD_FLAGS
        }
        let words = |x: u128| {
            let mut w = [0u32; KEY_WORDS];
            for (n, wn) in w.iter_mut().enumerate().take(4) {
                *wn = (x >> (32 * n)) as u32;
            }
            w
        };
        self.stage_words(reg::KEY, &words(v));
        self.stage_words(reg::MASK, &words(m));
        let p = self.rng.below(65536);
        self.w(reg::PRIO, p);
        let a = self.action();
        self.w(reg::ACTION, a);
        let planes = if self.rng.chance(30) {
            4
        } else {
            self.rng.below(4)
        };
        self.w(reg::PLANES, planes);
        let i = self.index(self.cfg.tcam_entries);
        self.cmd(Opcode::TcamWrite, i);
    }
}

/// A key's IPv4 flow key (the 2.0 flow cache's).
/// ORs a field of `width` bits at bit `at` of a rule-stage entry into its value `v` and mask `m`
/// (value bits outside the mask dropped).
fn set_field(v: &mut u128, m: &mut u128, at: u32, width: u32, value: u64, mask: u64) {
    let all = (1u128 << width) - 1;
    *v |= (u128::from(value) & u128::from(mask) & all) << at;
    *m |= (u128::from(mask) & all) << at;
}

fn flow_key(k: &Key) -> FlowKey {
    FlowKey {
        src: k.src as u32,
        dst: k.dst as u32,
        proto: k.proto,
        sport: k.sport,
        dport: k.dport,
    }
}

/// The 2.0 simulation-speed benchmark's inputs (`cargo bench -p gufc-sim`), the counterpart of
/// [`crate::stimulus::bench_program`]: the setup goes through the 2.0 command path as a driver
/// does (16 destination-port checkers and 3 protocol classes in both planes, then every TCAM
/// entry valid in both planes, then flows in a quarter of the flow slots, each command followed by
/// STATUS reads until BUSY is 0, then an ERROR read), followed by `traffic_cycles` cycles of one
/// key each, 60 % of them from the keys the entries and flows were made around. Entry i is made
/// around key i, whose source /24 no other entry holds, so entries at every index decide keys
/// and a device that loses the upper ones disagrees on the traffic. Returns the
/// inputs and the setup's length. BUSY is polled on the 2.0 model while the inputs are made, so
/// the same inputs replay on any device that agrees with it.
///
/// Panics if the model rejects any setup command (the program would not fill the device).
pub fn bench_program_v2(cfg: &Config, seed: u64, traffic_cycles: usize) -> (Vec<CycleIn>, usize) {
    use gufc_hw_model::v2::top::{Top, TopConfig};

    let mut s = StimulusV2::new(cfg, seed);
    let mut top = Top::new(TopConfig::sized(cfg));
    let mut out = Vec::new();
    let mut io = |mmio: Mmio| -> u32 {
        let c = CycleIn {
            mmio: Some(mmio),
            key: None,
            res_ready: true,
            rst: false,
        };
        out.push(c);
        top.step(&c).rdata
    };
    let busy = |io: &mut dyn FnMut(Mmio) -> u32| {
        Status::from_raw(io(Mmio::Read { addr: reg::STATUS })).busy()
    };
    let run = |io: &mut dyn FnMut(Mmio) -> u32, writes: &[(u32, u32)], op: Opcode, i: u32| {
        for &(addr, data) in writes {
            io(Mmio::Write { addr, data });
        }
        io(Mmio::Write {
            addr: reg::CMD,
            data: u32::from(op.bits()) << 24 | i,
        });
        while busy(io) {}
    };
    // The reset sweep: wait for BUSY to clear before the first command.
    while busy(&mut io) {}

    // Key i's source is in 10.(i / 256).(i % 256).0/24, its own: entry i below is the only one
    // whose source prefix holds it.
    let pool: Vec<Key> = (0..cfg.tcam_entries.max(256))
        .map(|i| {
            let mut k = s.random_key();
            k.src = u128::from(0x0a00_0000 | i << 8 | s.rng.below(256));
            k.proto = s.rng.pick(&[6u8, 6, 17, 1]);
            k
        })
        .collect();
    // Checkers 0..15: destination-port ranges around pool ports, in both planes.
    let ranges: Vec<(u16, u16)> = (0..CHECKERS as usize)
        .map(|c| {
            let p = pool[c].dport;
            (p.saturating_sub(50), p.saturating_add(50))
        })
        .collect();
    for (c, &(lo, hi)) in ranges.iter().enumerate() {
        for plane in 0..2 {
            let w = [
                (reg::DPORT_RANGE, u32::from(lo) | u32::from(hi) << 16),
                (reg::CMD_ARG, plane | 1 << 1 | 1 << 2),
            ];
            run(&mut io, &w, Opcode::CheckerWrite, c as u32);
        }
    }
    // Classes 1..3: TCP, UDP, ICMP.
    let classes = [6u8, 17, 1];
    for (c, &proto) in classes.iter().enumerate() {
        for plane in 0..2 {
            let w = [(reg::CMD_ARG, plane | 1 << 2 | u32::from(proto) << 8)];
            run(&mut io, &w, Opcode::ClassWrite, c as u32 + 1);
        }
    }
    let words = |x: u128| {
        let mut w = [0u32; KEY_WORDS];
        for (n, wn) in w.iter_mut().enumerate().take(4) {
            *wn = (x >> (32 * n)) as u32;
        }
        w
    };
    for i in 0..cfg.tcam_entries {
        let k = pool[i as usize];
        let (mut v, mut m) = (0u128, 0u128);
        let mut field = |at, width, value, mask| set_field(&mut v, &mut m, at, width, value, mask);
        let (sl, dl) = (s.rng.pick(&[24u32, 32]), s.rng.pick(&[0u32, 16, 24, 32]));
        for (at, a, len) in [(F_SRC, k.src as u32, sl), (F_DST, k.dst as u32, dl)] {
            let pm = if len == 0 { 0 } else { !0u32 << (32 - len) };
            field(at, 32, a.into(), pm.into());
        }
        if s.rng.chance(500) {
            let c = classes.iter().position(|&p| p == k.proto).unwrap() as u64 + 1;
            field(F_CLASS, 3, c, 7);
        }
        match s.rng.below(4) {
            0 => field(F_DPORT, 16, k.dport.into(), 0xffff),
            1 => match ranges
                .iter()
                .position(|&(lo, hi)| (lo..=hi).contains(&k.dport))
            {
                Some(c) => field(c as u32, 1, 1, 1),
                None => field(F_DPORT, 16, k.dport.into(), 0xff00),
            },
            _ => {}
        }
        if s.rng.chance(150) {
            field(F_SPORT, 16, k.sport.into(), 0xffff);
        }
        let action = match s.rng.below(3) {
            0 => s.rng.below(cfg.channels) << 8,
            1 => 1,
            _ => 2 | (16 + s.rng.below(240)) << 16,
        };
        let mut w: Vec<(u32, u32)> = Vec::new();
        for (n, (x, y)) in words(v).iter().zip(words(m)).enumerate() {
            w.push((reg::KEY + 4 * n as u32, *x));
            w.push((reg::MASK + 4 * n as u32, y));
        }
        w.extend([
            (reg::PRIO, 65535 - i),
            (reg::ACTION, action),
            (reg::PLANES, 3),
        ]);
        run(&mut io, &w, Opcode::TcamWrite, i);
    }
    let ways = cfg.flow_ways;
    let mut used = vec![0u32; cfg.flow_buckets as usize];
    for k in pool.iter().take((cfg.flow_buckets * ways / 4) as usize) {
        let (b1, b2) = flow_key(k).buckets(cfg.flow_buckets.trailing_zeros());
        let Some(b) = [b1, b2].into_iter().find(|&b| used[b as usize] < ways) else {
            continue;
        };
        let slot = b * ways + used[b as usize];
        used[b as usize] += 1;
        let mut w: Vec<(u32, u32)> = k
            .words()
            .iter()
            .enumerate()
            .map(|(n, &x)| (reg::KEY + 4 * n as u32, x))
            .collect();
        w.extend([
            (reg::ACTION, (slot % cfg.channels) << 8),
            (reg::FLOW_FLAGS, 0),
            (reg::FLOW_INTEREST, 0),
        ]);
        run(&mut io, &w, Opcode::FlowWrite, slot);
    }
    let err = io(Mmio::Read { addr: reg::ERROR });
    let err_index = io(Mmio::Read {
        addr: reg::ERROR_INDEX,
    });
    assert!(
        err == 0,
        "bench_program_v2: the 2.0 model rejected a setup command: ERROR {err:#x}, index {err_index}"
    );
    let setup = out.len();
    for _ in 0..traffic_cycles {
        let key = if s.rng.chance(600) {
            s.rng.pick(&pool)
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
                tcp_flags: 0x10,
            }),
            res_ready: true,
            rst: false,
        });
    }
    (out, setup)
}
