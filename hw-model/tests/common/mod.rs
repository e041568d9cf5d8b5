//! Test bench: drives a [`Model`] only through `step()`, like a bus master and a packet source.
#![allow(dead_code)]

pub mod classbench;

use gufc_hw_model::{Config, Model};
use gufc_regmap::word::{Cmd, Error, FlowFlags, Meta};
use gufc_regmap::{
    key, reg, Action, CounterSpace, CycleIn, CycleOut, Key, KeyIn, LookupResult, Mmio, Opcode,
    ReasonCode, Register, TcamEntry, KEY_WORDS,
};

/// A model with a record of every result that left it, with the edge number it left at.
pub struct Bench {
    pub m: Model,
    pub results: Vec<(u64, LookupResult)>,
}

pub fn small() -> Config {
    Config {
        tcam_entries: 64,
        flow_buckets: 16,
        flow_ways: 2,
        channels: 8,
        local_entries: 4,
    }
}

impl Bench {
    pub fn new(cfg: Config) -> Bench {
        Bench {
            m: Model::new(cfg).expect("valid config"),
            results: Vec::new(),
        }
    }

    /// One edge with these inputs; records a transferred result.
    pub fn step(&mut self, input: CycleIn) -> CycleOut {
        let edge = self.m.cycle();
        let out = self.m.step(&input);
        if let Some(r) = out.result {
            self.results.push((edge, r));
        }
        out
    }

    pub fn idle(&mut self, n: usize) {
        for _ in 0..n {
            self.step(CycleIn::default());
        }
    }

    pub fn write(&mut self, addr: u32, data: u32) {
        self.step(CycleIn {
            mmio: Some(Mmio::Write { addr, data }),
            ..CycleIn::default()
        });
    }

    pub fn read(&mut self, addr: u32) -> u32 {
        self.step(CycleIn {
            mmio: Some(Mmio::Read { addr }),
            ..CycleIn::default()
        })
        .rdata
    }

    /// Writes a register through its codec type.
    pub fn put<R: Register>(&mut self, v: R) {
        self.write(R::OFFSET, v.into());
    }

    pub fn cmd(&mut self, op: Opcode, index: u32) {
        self.put(Cmd::new().with_opcode(op).with_index(index));
    }

    /// A command word with any opcode, defined or not.
    pub fn cmd_raw(&mut self, op: u8, index: u32) {
        self.write(reg::CMD, Cmd::OPCODE.put(op as u32) | Cmd::INDEX.put(index));
    }

    pub fn cmd_arg(&mut self, op: Opcode, index: u32, arg: u32) {
        self.write(reg::CMD_ARG, arg);
        self.cmd(op, index);
    }

    pub fn stage_key(&mut self, w: &[u32; KEY_WORDS]) {
        for (i, &v) in w.iter().enumerate() {
            self.write(reg::KEY + 4 * i as u32, v);
        }
    }

    pub fn stage_mask(&mut self, w: &[u32; KEY_WORDS]) {
        for (i, &v) in w.iter().enumerate() {
            self.write(reg::MASK + 4 * i as u32, v);
        }
    }

    pub fn stage_entry(&mut self, e: &TcamEntry, planes: u8) {
        for (addr, data) in e.staging(planes) {
            self.write(addr, data);
        }
    }

    pub fn tcam_write(&mut self, i: u32, e: &TcamEntry, planes: u8) {
        self.stage_entry(e, planes);
        self.cmd(Opcode::TcamWrite, i);
    }

    pub fn flow_write(&mut self, slot: u32, k: &Key, action: Action, pinned: bool) {
        self.stage_key(&k.words());
        self.put(action.encode());
        self.put(FlowFlags::new().with_pinned(pinned));
        self.cmd(Opcode::FlowWrite, slot);
    }

    /// LOCAL_WRITE of a 128-bit address/mask.
    pub fn local_write(&mut self, i: u32, addr: u128, mask: u128, ipv6: bool, valid: bool) {
        let mut k = [0u32; KEY_WORDS];
        let mut m = [0u32; KEY_WORDS];
        for j in 0..4 {
            k[j] = (addr >> (32 * j)) as u32;
            m[j] = (mask >> (32 * j)) as u32;
        }
        k[key::META] = Meta::new().with_ipv6(ipv6).raw();
        self.stage_key(&k);
        self.stage_mask(&m);
        self.cmd_arg(Opcode::LocalWrite, i, valid as u32);
    }

    /// CNT_READ, then the four snapshot words: (packets, bytes).
    pub fn counter(&mut self, space: CounterSpace, i: u32) -> (u64, u64) {
        self.cmd_arg(Opcode::CntRead, i, space.into());
        let w: Vec<u64> = [
            reg::CNT_PKTS_LO,
            reg::CNT_PKTS_HI,
            reg::CNT_BYTES_LO,
            reg::CNT_BYTES_HI,
        ]
        .iter()
        .map(|&a| self.read(a) as u64)
        .collect();
        (w[0] | w[1] << 32, w[2] | w[3] << 32)
    }

    /// (reason, opcode as written, count, index) from ERROR and ERROR_INDEX.
    pub fn error(&mut self) -> (ReasonCode, u8, u16, u32) {
        let e = Error::from_raw(self.read(reg::ERROR));
        let i = self.read(reg::ERROR_INDEX);
        let reason = e.reason().unwrap_or_else(|e| panic!("{e}"));
        (reason, e.opcode(), e.count(), i)
    }

    pub fn clear_error(&mut self) {
        self.write(reg::ERROR, 0);
    }

    pub fn status(&mut self) -> u32 {
        self.read(reg::STATUS)
    }

    /// Offers `k` until accepted; returns the edge number it was accepted at.
    pub fn send(&mut self, k: Key, len: u16, tag: u32) -> u64 {
        loop {
            let edge = self.m.cycle();
            let out = self.step(CycleIn {
                key: Some(KeyIn {
                    key: k,
                    len,
                    tag,
                    tcp_flags: 0,
                }),
                ..CycleIn::default()
            });
            if out.accepted {
                return edge;
            }
        }
    }

    /// Sends one key and idles until its result leaves; returns the result.
    pub fn lookup(&mut self, k: Key) -> LookupResult {
        self.lookup_len(k, 64)
    }

    pub fn lookup_len(&mut self, k: Key, len: u16) -> LookupResult {
        let before = self.results.len();
        self.send(k, len, 0xC0DE);
        for _ in 0..16 {
            if self.results.len() > before {
                return self.results[before].1;
            }
            self.idle(1);
        }
        panic!("no result within 16 cycles");
    }
}

/// An IPv4 entry: src/dst prefixes, port ranges, proto (None = any), family bit exact.
pub fn v4_rule(
    src: (u32, u32),
    dst: (u32, u32),
    sport: (u16, u16),
    dport: (u16, u16),
    proto: Option<u8>,
    prio: u16,
    action: Action,
) -> TcamEntry {
    let pm = |len: u32| if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let mut e = TcamEntry::match_all(prio, action);
    e.mask[key::SRC0] = pm(src.1);
    e.value[key::SRC0] = src.0 & pm(src.1);
    e.mask[key::DST0] = pm(dst.1);
    e.value[key::DST0] = dst.0 & pm(dst.1);
    for w in [
        key::SRC1,
        key::SRC2,
        key::SRC3,
        key::DST1,
        key::DST2,
        key::DST3,
    ] {
        e.mask[w] = u32::MAX;
    }
    let mut mask = Meta::new().with_ipv6(true);
    if let Some(p) = proto {
        mask = mask.with_proto(u8::MAX);
        e.value[key::META] = Meta::new().with_proto(p).raw();
    }
    e.mask[key::META] = mask.raw();
    e.sport = sport;
    e.dport = dport;
    e
}

pub fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// Flow slot `way` of `k`'s first (`second` = false) or second candidate bucket.
pub fn slot_of(cfg: &Config, k: &Key, second: bool, way: u32) -> u32 {
    let (b1, b2) = gufc_regmap::bucket_pair(k, cfg.flow_buckets.trailing_zeros());
    (if second { b2 } else { b1 }) * cfg.flow_ways + way
}
