//! The RTL 2.0 device (`rtl/v2/gufc_top.v`) edge for edge: the BAR0 register block with its
//! one-at-a-time command engine, the locality table and the datapath core, behind the same
//! per-cycle ports as the 1.x model ([`Top::step`] takes a [`CycleIn`] and gives a
//! [`CycleOut`]). The RTL's header comment is the contract; this follows it line by line.

use gufc_regmap::word::Action as ActionWord;
use gufc_regmap::{
    device, key, reg, Action, CycleIn, CycleOut, HitKind, KeyIn, LookupResult, Mmio, Opcode,
    ReasonCode, ResPorts, KEY_WORDS,
};

use super::core::{Core, CoreConfig, CoreIn, CoreKey, CoreOut, CoreResult};
use super::counter_ram::Count;
use super::flow_ram::{self, FlowIn, FlowKey};
use super::rule_stage::{self, KeyBits, RuleStageIn};
use crate::locality::{LocalEntry, Locality};

/// The device's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopConfig {
    /// The datapath's.
    pub core: CoreConfig,
    /// Locality-table entries (1..255).
    pub local_entries: usize,
}

impl Default for TopConfig {
    fn default() -> Self {
        TopConfig {
            core: CoreConfig::default(),
            local_entries: 8,
        }
    }
}

impl TopConfig {
    /// The 2.0 device with the sizes of the 1.x `c` (entries, buckets, ways, channels, locality
    /// entries) and the rule stage's other parameters at their defaults (16 checkers, 6 flag
    /// bits): how the `model2` backend and the Verilated `v2_*` configurations are paired.
    pub fn sized(c: &crate::Config) -> TopConfig {
        TopConfig {
            core: CoreConfig {
                rule: rule_stage::RuleStageConfig {
                    entries: c.tcam_entries as usize,
                    ..rule_stage::RuleStageConfig::default()
                },
                buckets: c.flow_buckets as usize,
                ways: c.flow_ways as usize,
                channels: c.channels as usize,
                ..CoreConfig::default()
            },
            local_entries: c.local_entries as usize,
        }
    }
}

/// Protocol classes of the rule stage (CAP_RULES.CLASSES).
const CLASSES: u32 = 7;

/// The register block's state; all 0 at reset.
#[derive(Clone, Copy, Debug, Default)]
struct Regs {
    scratch: u32,
    cmd_arg: u32,
    sport_rng: u32,
    dport_rng: u32,
    prio: u32,
    action: u32,
    planes: u32,
    fflags: u32,
    pkt_len: u32,
    interest: u32,
    pkt_flags: u32,
    fstate: u32,
    flast: u32,
    probe_word: u32,
    probe_index: u32,
    cycle_hi: u32,
    key: [u32; KEY_WORDS],
    mask: [u32; KEY_WORDS],
    cnt: [u32; 4],
    cycle: u64,
    epoch: u8,
    /// ERROR: (reason, opcode) of the first rejection since the last clear.
    err: Option<(u8, u8)>,
    err_count: u16,
    err_index: u32,
    /// Commands waiting for their block: rule stage, flow cache, counters (space, op, index).
    r_pend: Option<RuleStageIn>,
    f_pend: Option<FlowIn>,
    c_pend: Option<CntCmd>,
    /// A READ (or MOVE) waits for its data (answer).
    r_wait: bool,
    f_wait: bool,
    c_wait: bool,
    /// Edges to a counter clear's command (0: none), its space and index.
    clr_cd: u8,
    clr_space: u8,
    clr_index: u32,
    /// The FLOW_MOVE whose answer is awaited (ERROR_INDEX).
    mv_index: u32,
    /// A successful move's counters: 1 CLEAR dst, 2 wait, 3 READ src, 4 CLEAR src, 5 ADD dst.
    mv_phase: u8,
    /// Edges from the move's answer to its READ command.
    mv_cd: u8,
    mv_src: u32,
    mv_dst: u32,
    /// The value the counter port's ADD adds (the moved source's count).
    c_add: Count,
    probe_pending: Option<Probe>,
    probe_busy: bool,
}

/// A command on the core's counter port.
#[derive(Clone, Copy, Debug, Default)]
struct CntCmd {
    space: u8,
    /// 0 READ, 1 CLEAR, 2 ADD.
    op: u8,
    index: u32,
    /// The host's CNT_READ/CNT_CLEAR (its READ loads CNT_*), not the engine's own.
    host: bool,
}

/// A probe's key, length and flags, waiting for the core's key port.
#[derive(Clone, Copy, Debug)]
struct Probe {
    words: [u32; KEY_WORDS],
    len: u16,
    flags: u8,
}

impl Regs {
    fn busy(&self) -> bool {
        self.r_pend.is_some()
            || self.f_pend.is_some()
            || self.c_pend.is_some()
            || self.r_wait
            || self.f_wait
            || self.c_wait
            || self.clr_cd != 0
            || self.mv_phase != 0
    }

    /// Records a rejection: the first since the last clear is kept, every one counts.
    fn reject(&mut self, reason: ReasonCode, opcode: u8, index: u32) {
        if self.err.is_none() {
            self.err = Some((reason.bits(), opcode));
            self.err_index = index;
        }
        self.err_count = self.err_count.saturating_add(1);
    }
}

/// The device. [`Top::step`] is one rising edge.
pub struct Top {
    cfg: TopConfig,
    core: Core,
    local: Locality,
    r: Regs,
    /// The core's reset at the next edge: the last edge's `clr`, registered (gufc_copy in
    /// gufc_top), so the core is reset one edge after the register block.
    core_rst: bool,
}

impl Top {
    /// The device after two reset edges (the second resets the core; the core is reset again
    /// at the next edge, so `key_ready` is 0 during the first cycle), as the RTL is constructed.
    pub fn new(cfg: TopConfig) -> Top {
        let mut t = Top {
            cfg,
            core: Core::new(cfg.core),
            local: Locality::new(cfg.local_entries as u32),
            r: Regs::default(),
            core_rst: false,
        };
        for _ in 0..2 {
            t.step(&CycleIn {
                rst: true,
                ..CycleIn::default()
            });
        }
        t
    }

    /// The configuration.
    pub fn config(&self) -> &TopConfig {
        &self.cfg
    }

    /// Rising edges since construction (the reset edge included), as CYCLE_LO/HI count them.
    pub fn cycle(&self) -> u64 {
        self.r.cycle
    }

    /// `res_valid` during the next cycle (after the last edge).
    pub fn res_valid(&self) -> bool {
        self.core.outputs().res.is_some()
    }

    /// Every `res_*` port during the next cycle (after the last edge), raw.
    pub fn res_ports(&self) -> ResPorts {
        match self.core.outputs().res {
            Some(r) => ResPorts {
                verdict: r.verdict.into(),
                channel: r.channel.into(),
                reason: r.reason.into(),
                kind: r.kind.into(),
                stale: r.stale.into(),
                src_local: r.src_local.into(),
                dst_local: r.dst_local.into(),
                index: r.index,
                len: r.len.into(),
                tag: r.tag,
            },
            None => ResPorts::default(),
        }
    }

    /// One rising edge with inputs `input`: what the ports showed before it and what moved.
    pub fn step(&mut self, input: &CycleIn) -> CycleOut {
        let (wr, rd) = match input.mmio {
            Some(Mmio::Write { addr, data }) => (Some((addr, data)), None),
            Some(Mmio::Read { addr }) => (None, Some(addr)),
            None => (None, None),
        };
        let clr = input.rst || matches!(wr, Some((reg::CONTROL, d)) if d & 1 != 0);
        // The ports before the edge.
        let out = self.core.outputs();
        let (c_space, c_op) = self.r.c_pend.map_or((0, 0), |c| (c.space, c.op));
        let readies = self.core.cmd_ready(c_space, c_op);
        let core_ready = self.core.key_ready(self.core_rst);
        let key_ready = core_ready && self.r.probe_pending.is_none();
        let rdata = match rd {
            Some(addr) if !input.rst => self.read(addr),
            _ => 0,
        };
        let result = out
            .res
            .filter(|_| input.res_ready)
            .map(|r| lookup_result(&r));
        let (key_valid, key) = self.core_key(input.key.as_ref());
        let r = &self.r;
        self.core.edge(&CoreIn {
            rst: self.core_rst,
            epoch: r.epoch,
            cycle: r.cycle as u32,
            key_valid,
            key,
            res_ready: input.res_ready,
            rule_cmd: r.r_pend.unwrap_or_default(),
            flow_cmd: r.f_pend.unwrap_or_default(),
            cnt_cmd: r
                .c_pend
                .map_or((false, c_space, 0, 0), |c| (true, c.space, c.op, c.index)),
            cnt_add: r.c_add,
        });
        self.core_rst = clr;
        if clr {
            self.r = Regs::default();
            self.local.reset();
        } else {
            self.edge(wr, rd, readies, core_ready, &out);
        }
        CycleOut {
            rdata,
            key_ready,
            res_valid: out.res.is_some(),
            accepted: input.key.is_some() && key_ready,
            result,
        }
    }

    /// The register block at an edge without a reset; `out` and `readies` are the core's
    /// outputs and command readies before it.
    fn edge(
        &mut self,
        wr: Option<(u32, u32)>,
        rd: Option<u32>,
        (r_ready, f_ready, c_ready): (bool, bool, bool),
        core_ready: bool,
        out: &CoreOut,
    ) {
        let cmd = wr
            .filter(|w| w.0 == reg::CMD)
            .map(|(_, d)| ((d >> 24) as u8, d & 0xff_ffff));
        let reason = cmd.map(|(op, idx)| self.check(op, idx));
        let go = match (cmd, reason) {
            (Some((op, idx)), Some(ReasonCode::None)) => {
                Opcode::from_bits(op.into()).map(|o| (o, idx))
            }
            _ => None,
        };
        let captured = go.map(|(op, idx)| self.capture(op, idx));
        if let Some((Opcode::LocalWrite, idx)) = go {
            let wide =
                |w: &[u32; KEY_WORDS]| (0..4).fold(0u128, |a, j| a | u128::from(w[j]) << (32 * j));
            self.local.write(
                idx as usize,
                LocalEntry {
                    valid: self.r.cmd_arg & 1 != 0,
                    ipv6: self.r.key[key::META] >> 10 & 1 != 0,
                    addr: wide(&self.r.key),
                    mask: wide(&self.r.mask),
                },
            );
        }
        let epoch = self.r.epoch;
        let (tcam_clear, flow_clear) = self.clear_at();
        let r = &mut self.r;
        r.cycle += 1;
        if rd == Some(reg::CYCLE_LO) {
            r.cycle_hi = (r.cycle >> 32) as u32;
        }
        // Staging writes.
        if let Some((addr, data)) = wr {
            if let Some(n) = key_word(addr, reg::KEY) {
                r.key[n] = data;
            }
            if let Some(n) = key_word(addr, reg::MASK) {
                r.mask[n] = data;
            }
            match addr {
                reg::SCRATCH => r.scratch = data,
                reg::CMD_ARG => r.cmd_arg = data,
                reg::SPORT_RANGE => r.sport_rng = data,
                reg::DPORT_RANGE => r.dport_rng = data,
                reg::PRIO => r.prio = data & 0xffff,
                reg::ACTION => r.action = data,
                reg::PLANES => r.planes = data,
                reg::FLOW_FLAGS => r.fflags = data,
                reg::PKT_LEN => r.pkt_len = data & 0xffff,
                reg::FLOW_INTEREST => r.interest = data,
                reg::PKT_FLAGS => r.pkt_flags = data & 0xff,
                _ => {}
            }
        }
        // ERROR: a write clears it; then this edge's rejections, the late MOVE_CONFLICT first.
        if wr.is_some_and(|w| w.0 == reg::ERROR) {
            r.err = None;
            r.err_count = 0;
            r.err_index = 0;
        }
        if r.f_wait && out.flow.mv_valid && !out.flow.mv_ok {
            r.reject(
                ReasonCode::MoveConflict,
                Opcode::FlowMove.bits(),
                r.mv_index,
            );
        }
        match (cmd, reason, wr) {
            (Some((op, idx)), Some(why), _) if why != ReasonCode::None => r.reject(why, op, idx),
            (None, _, Some((addr, _))) if !writable(addr) => {
                r.reject(ReasonCode::BadOffset, 0, addr)
            }
            _ => {}
        }
        // Blocks take their commands (the pending ones before this edge); answers come back.
        let (old_cd, c_taken) = (r.clr_cd, r.c_pend.is_some() && c_ready);
        let (old_phase, old_mv_cd) = (r.mv_phase, r.mv_cd);
        let moved = r.f_wait && out.flow.mv_valid && out.flow.mv_ok;
        if let Some(c) = r.r_pend.filter(|_| r_ready) {
            r.r_pend = None;
            match c.cmd_op {
                rule_stage::op::COMMIT => r.epoch = r.epoch.wrapping_add(1),
                rule_stage::op::READ => r.r_wait = true,
                rule_stage::op::WRITE => {
                    (r.clr_cd, r.clr_space, r.clr_index) = (tcam_clear, 0, c.cmd_index)
                }
                _ => {}
            }
        }
        if let Some(c) = r.f_pend.filter(|_| f_ready) {
            r.f_pend = None;
            (r.mv_src, r.mv_dst) = (c.cmd_slot, c.cmd_arg);
            match c.cmd_op {
                flow_ram::op::READ | flow_ram::op::MOVE => r.f_wait = true,
                flow_ram::op::WRITE => {
                    (r.clr_cd, r.clr_space, r.clr_index) = (flow_clear, 1, c.cmd_slot)
                }
                _ => {}
            }
        }
        if let Some(c) = r.c_pend.filter(|_| c_taken) {
            r.c_pend = None;
            r.c_wait |= c.host && c.op == 0;
        }
        // A counter clear's countdown: its command when it reaches 1.
        if old_cd != 0 {
            r.clr_cd = old_cd - 1;
        }
        let engine = |space, op, index| CntCmd {
            space,
            op,
            index,
            host: false,
        };
        if old_cd == 1 {
            r.c_pend = Some(engine(r.clr_space, 1, r.clr_index));
        }
        // A successful move's counters, step by step on the counter port (space 1).
        if old_mv_cd != 0 {
            r.mv_cd = old_mv_cd - 1;
        }
        if moved {
            r.mv_phase = 1;
            r.mv_cd = self.cfg.core.latency() as u8 - 10; // A - 3
            r.c_pend = Some(engine(1, 1, r.mv_dst));
        }
        match old_phase {
            1 if c_taken => r.mv_phase = 2,
            2 if old_mv_cd <= 1 => {
                r.mv_phase = 3;
                r.c_pend = Some(engine(1, 0, r.mv_src));
            }
            3 => {
                if let Some(v) = out.cnt_rd {
                    r.mv_phase = 4;
                    r.c_pend = Some(engine(1, 1, r.mv_src));
                    r.c_add = v;
                }
            }
            4 if c_taken => {
                r.mv_phase = 5;
                r.c_pend = Some(engine(1, 2, r.mv_dst));
            }
            5 if c_taken => r.mv_phase = 0,
            _ => {}
        }
        if r.r_wait && out.rule.rd_valid {
            r.r_wait = false;
            for n in 0..KEY_WORDS {
                r.key[n] = if n < 4 { out.rule.rd_value[n] } else { 0 };
                r.mask[n] = if n < 4 { out.rule.rd_mask[n] } else { 0 };
            }
            r.prio = (out.rule.rd_data >> 32) as u32 & 0xffff;
            r.action = out.rule.rd_data as u32;
            r.planes = out.rule.rd_planes.into();
        }
        if r.f_wait && out.flow.rd_valid {
            r.f_wait = false;
            let s = out.flow.rd;
            r.key = [0; KEY_WORDS];
            r.key[key::SRC0] = s.key.src;
            r.key[key::DST0] = s.key.dst;
            r.key[key::META] = s.key.proto.into();
            r.key[key::PORTS] = u32::from(s.key.sport) | u32::from(s.key.dport) << 16;
            r.action = s.action;
            r.fflags = s.pinned.into();
            r.interest = (s.interest >> 3) << 16 | s.interest & 7;
            let stale = s.valid && !s.pinned && s.epoch != epoch;
            r.fstate = u32::from(s.epoch)
                | u32::from(s.valid) << 8
                | u32::from(out.flow.rd_hit) << 9
                | u32::from(stale) << 10;
            r.flast = out.flow.rd_last_hit;
        }
        if r.f_wait && out.flow.mv_valid {
            r.f_wait = false;
        }
        if let Some(c) = out.cnt_rd.filter(|_| r.c_wait) {
            r.c_wait = false;
            r.cnt = [
                c.pkts as u32,
                (c.pkts >> 32) as u32,
                c.bytes as u32,
                (c.bytes >> 32) as u32,
            ];
        }
        // The accepted command, captured for its block; the probe path.
        let probe_was_busy = r.probe_busy;
        let probe_taken = r.probe_pending.is_some() && core_ready;
        match captured {
            Some(Captured::Rule(c)) => r.r_pend = Some(c),
            Some(Captured::Flow(c, idx)) => {
                r.f_pend = Some(c);
                r.mv_index = idx;
            }
            Some(Captured::Cnt((space, op, index))) => {
                r.c_pend = Some(CntCmd {
                    space,
                    op,
                    index,
                    host: true,
                })
            }
            Some(Captured::Probe(p)) => {
                r.probe_pending = Some(p);
                r.probe_busy = true;
            }
            Some(Captured::None) | None => {}
        }
        if probe_taken {
            r.probe_pending = None;
        }
        // A probe result while no probe is busy left the core after a reset of the registers
        // (the core is reset one edge later): not this register block's.
        if let Some(p) = out.probe.filter(|_| probe_was_busy) {
            r.probe_busy = false;
            r.probe_word = u32::from(p.verdict)
                | u32::from(p.kind) << 2
                | u32::from(p.stale) << 4
                | u32::from(p.src_local) << 5
                | u32::from(p.dst_local) << 6
                | u32::from(p.channel) << 8
                | u32::from(p.reason) << 16;
            r.probe_index = p.index;
        }
    }

    /// Edges minus one from a write's acceptance by its block to its counter clear (the
    /// countdown's start): TCAM_WRITE at A + GE + R + 3, FLOW_WRITE at A - 2.
    fn clear_at(&self) -> (u8, u8) {
        let a = self.cfg.core.latency() - 7;
        let rule = &self.cfg.core.rule;
        // planes_busy = GE + 3 + R (gufc_tcam_update's PLANES cycles).
        ((a + rule.planes_busy() - 1) as u8, (a - 3) as u8)
    }

    /// What an accepted command hands to its block, from the staging registers as they are.
    fn capture(&self, op: Opcode, idx: u32) -> Captured {
        let r = &self.r;
        let slot_mask = self.slots() - 1;
        match op {
            Opcode::TcamWrite
            | Opcode::TcamRead
            | Opcode::TcamSetPlanes
            | Opcode::Commit
            | Opcode::CheckerWrite
            | Opcode::ClassWrite => {
                use rule_stage::op as o;
                let side = matches!(op, Opcode::CheckerWrite | Opcode::ClassWrite);
                Captured::Rule(RuleStageIn {
                    cmd_valid: true,
                    cmd_op: match op {
                        Opcode::TcamWrite => o::WRITE,
                        Opcode::TcamSetPlanes => o::PLANES,
                        Opcode::Commit => o::COMMIT,
                        Opcode::CheckerWrite => o::SIDE,
                        Opcode::TcamRead => o::READ,
                        _ => o::CLASS,
                    },
                    cmd_index: idx & (self.cfg.core.rule.entries.next_power_of_two() as u32 - 1),
                    cmd_value: self.entry_bits(&r.key),
                    cmd_mask: self.entry_bits(&r.mask),
                    cmd_planes: if side { r.cmd_arg & 1 } else { r.planes & 3 } as u8,
                    cmd_data: u64::from(r.prio & 0xffff) << 32 | u64::from(r.action),
                    cmd_range: if op == Opcode::ClassWrite {
                        u64::from(r.cmd_arg >> 2 & 1) << 33 | u64::from(r.cmd_arg >> 8 & 0xff)
                    } else {
                        u64::from(r.cmd_arg >> 1 & 3) << 32 | u64::from(self.range())
                    },
                    ..RuleStageIn::default()
                })
            }
            Opcode::FlowWrite
            | Opcode::FlowRead
            | Opcode::FlowClear
            | Opcode::FlowMove
            | Opcode::FlowTouch
            | Opcode::FlowSetInterest => {
                use flow_ram::op as o;
                Captured::Flow(
                    FlowIn {
                        cmd_valid: true,
                        cmd_op: match op {
                            Opcode::FlowWrite => o::WRITE,
                            Opcode::FlowRead => o::READ,
                            Opcode::FlowClear => o::CLEAR,
                            Opcode::FlowMove => o::MOVE,
                            Opcode::FlowTouch => o::TOUCH,
                            _ => o::SET_INTEREST,
                        },
                        cmd_slot: idx & slot_mask,
                        cmd_arg: r.cmd_arg & slot_mask,
                        cmd_key: FlowKey {
                            src: r.key[key::SRC0],
                            dst: r.key[key::DST0],
                            proto: r.key[key::META] as u8,
                            sport: r.key[key::PORTS] as u16,
                            dport: (r.key[key::PORTS] >> 16) as u16,
                        },
                        cmd_action: r.action,
                        cmd_pinned: r.fflags & 1 != 0,
                        cmd_interest: (r.interest >> 16) << 3 | r.interest & 7,
                        ..FlowIn::default()
                    },
                    idx,
                )
            }
            Opcode::CntRead | Opcode::CntClear => {
                Captured::Cnt(((r.cmd_arg & 3) as u8, u8::from(op == Opcode::CntClear), idx))
            }
            Opcode::Probe => Captured::Probe(Probe {
                words: r.key,
                len: r.pkt_len as u16,
                flags: r.pkt_flags as u8,
            }),
            Opcode::LocalWrite => Captured::None,
        }
    }
}

/// An accepted command as its block will take it.
enum Captured {
    Rule(RuleStageIn),
    /// The command and its INDEX (a MOVE's ERROR_INDEX).
    Flow(FlowIn, u32),
    Cnt((u8, u8, u32)),
    Probe(Probe),
    None,
}

impl Top {
    fn key_bits(&self) -> usize {
        self.cfg.core.rule.key_bits()
    }

    fn slots(&self) -> u32 {
        (self.cfg.core.buckets * self.cfg.core.ways) as u32
    }

    /// KEY or MASK words 0..3 as the rule stage's key bits (bits at and above KEY_BITS cut).
    fn entry_bits(&self, w: &[u32; KEY_WORDS]) -> KeyBits {
        let kb = self.key_bits();
        let mut b: KeyBits = [0; 5];
        for (n, x) in b.iter_mut().enumerate().take(4) {
            let lo = 32 * n;
            *x = if kb >= lo + 32 {
                w[n]
            } else if kb > lo {
                w[n] & ((1u32 << (kb - lo)) - 1)
            } else {
                0
            };
        }
        b
    }

    /// A KEY/MASK bit outside the entry: words 4.. or bits at and above KEY_BITS.
    fn entry_bad(&self) -> bool {
        let outside = |w: &[u32; KEY_WORDS]| {
            w[4..].iter().any(|&x| x != 0) || self.entry_bits(w)[..4] != w[..4]
        };
        outside(&self.r.key) || outside(&self.r.mask)
    }

    fn flow_key_bad(&self) -> bool {
        const META_FLOW: u32 = 0xff | 1 << 8 | 1 << 9; // PROTO, SRC_LOCAL, DST_LOCAL
        self.r.key[key::META] & !META_FLOW != 0
            || [
                key::SRC1,
                key::SRC2,
                key::SRC3,
                key::DST1,
                key::DST2,
                key::DST3,
            ]
            .iter()
            .any(|&n| self.r.key[n] != 0)
    }

    fn action_bad(&self) -> bool {
        const ACTION_OK: u32 = 0x3 | 0xff << 8 | 0xff << 16;
        let a = self.r.action;
        let verdict = a & 3;
        a & !ACTION_OK != 0
            || verdict == 3
            || (verdict == 0 && (a >> 8 & 0xff) as usize >= self.cfg.core.channels)
    }

    fn interest_bad(&self) -> bool {
        let i = self.r.interest;
        let mode = i & 7;
        i & !(0x7 | 0xffff << 16) != 0 || mode > 3 || (mode == 3 && i >> 16 == 0)
    }

    /// The staged range of the port CMD_ARG[1] names.
    fn range(&self) -> u32 {
        if self.r.cmd_arg & 2 != 0 {
            self.r.dport_rng
        } else {
            self.r.sport_rng
        }
    }

    /// The CMD write's rejection reason, in the documented order (NONE: accepted).
    fn check(&self, opcode: u8, idx: u32) -> ReasonCode {
        use ReasonCode as R;
        let Some(op) = Opcode::from_bits(opcode.into()) else {
            return R::BadOpcode;
        };
        if !matches!(op, Opcode::LocalWrite | Opcode::Probe) && self.r.busy() {
            return R::Busy;
        }
        let r = &self.r;
        let c = &self.cfg.core;
        let entries = c.rule.entries as u32;
        let slots = self.slots();
        let planes_bad = r.planes & !3 != 0;
        let first = |checks: &[(bool, R)]| checks.iter().find(|c| c.0).map_or(R::None, |c| c.1);
        match op {
            Opcode::TcamWrite => first(&[
                (idx >= entries, R::BadIndex),
                (planes_bad || self.entry_bad(), R::BadFlags),
                (self.action_bad(), R::BadAction),
                (
                    (0..4).any(|n| r.key[n] & !r.mask[n] != 0),
                    R::ValueOutsideMask,
                ),
            ]),
            Opcode::TcamRead => first(&[(idx >= entries, R::BadIndex)]),
            Opcode::TcamSetPlanes => {
                first(&[(idx >= entries, R::BadIndex), (planes_bad, R::BadFlags)])
            }
            Opcode::Commit => R::None,
            Opcode::CheckerWrite => {
                let rng = self.range();
                first(&[
                    (idx >= c.rule.checkers as u32, R::BadIndex),
                    (r.cmd_arg & !7 != 0, R::BadFlags),
                    (rng & 0xffff > rng >> 16, R::BadRange),
                ])
            }
            Opcode::ClassWrite => first(&[
                (idx == 0 || idx > CLASSES, R::BadIndex),
                (r.cmd_arg & !0xff05 != 0, R::BadFlags),
            ]),
            Opcode::FlowWrite => first(&[
                (idx >= slots, R::BadIndex),
                (
                    r.fflags & !1 != 0 || self.flow_key_bad() || self.interest_bad(),
                    R::BadFlags,
                ),
                (self.action_bad(), R::BadAction),
            ]),
            Opcode::FlowRead | Opcode::FlowClear | Opcode::FlowTouch => {
                first(&[(idx >= slots, R::BadIndex)])
            }
            Opcode::FlowSetInterest => first(&[
                (idx >= slots, R::BadIndex),
                (self.interest_bad(), R::BadFlags),
            ]),
            Opcode::FlowMove => first(&[(idx >= slots || r.cmd_arg >= slots, R::BadIndex)]),
            Opcode::LocalWrite => first(&[(idx as usize >= self.cfg.local_entries, R::BadIndex)]),
            Opcode::CntRead | Opcode::CntClear => {
                let size = match r.cmd_arg {
                    0 => entries,
                    1 => slots,
                    2 => c.channels as u32,
                    _ => 8,
                };
                first(&[(r.cmd_arg > 3 || idx >= size, R::BadIndex)])
            }
            Opcode::Probe => first(&[(r.probe_busy, R::ProbeBusy)]),
        }
    }

    /// The value a read of `addr` returns (the state before the edge).
    fn read(&self, addr: u32) -> u32 {
        let r = &self.r;
        if let Some(n) = key_word(addr, reg::KEY) {
            return r.key[n];
        }
        if let Some(n) = key_word(addr, reg::MASK) {
            return r.mask[n];
        }
        let c = &self.cfg.core;
        match addr {
            reg::ID => device::MAGIC,
            reg::VERSION => device::VERSION2_MAJOR << 16 | device::VERSION2_MINOR,
            reg::CAP_TCAM => c.rule.entries as u32,
            reg::CAP_FLOW_BUCKETS => c.buckets as u32,
            reg::CAP_FLOW_WAYS => c.ways as u32,
            reg::CAP_MISC => {
                64 << 24
                    | (c.latency() as u32 & 0xff) << 16
                    | (self.cfg.local_entries as u32 & 0xff) << 8
                    | (c.channels as u32 & 0xff)
            }
            reg::CAP_KEY => (device::PRIO_BITS & 0xff) << 16 | (device::KEY_WORDS & 0xff) << 8 | 1,
            reg::CAP_RULES => {
                (c.rule.write_busy() as u32 & 0xff) << 24
                    | c.rule.flag_bits << 16
                    | CLASSES << 8
                    | c.rule.checkers as u32
            }
            reg::SCRATCH => r.scratch,
            reg::STATUS => {
                u32::from(r.err.is_some())
                    | u32::from(r.probe_busy) << 1
                    | u32::from(self.core.outputs().rule.active) << 2
                    | u32::from(r.busy()) << 3
                    | u32::from(r.epoch) << 8
            }
            reg::ERROR => {
                let (reason, opcode) = r.err.unwrap_or((0, 0));
                u32::from(r.err_count) << 16 | u32::from(opcode) << 8 | u32::from(reason)
            }
            reg::ERROR_INDEX => r.err_index,
            reg::CYCLE_LO => r.cycle as u32,
            reg::CYCLE_HI => r.cycle_hi,
            reg::CMD_ARG => r.cmd_arg,
            reg::SPORT_RANGE => r.sport_rng,
            reg::DPORT_RANGE => r.dport_rng,
            reg::PRIO => r.prio,
            reg::ACTION => r.action,
            reg::PLANES => r.planes,
            reg::FLOW_FLAGS => r.fflags,
            reg::PKT_LEN => r.pkt_len,
            reg::FLOW_STATE => r.fstate,
            reg::FLOW_LAST_HIT => r.flast,
            reg::FLOW_INTEREST => r.interest,
            reg::PKT_FLAGS => r.pkt_flags,
            reg::CNT_PKTS_LO => r.cnt[0],
            reg::CNT_PKTS_HI => r.cnt[1],
            reg::CNT_BYTES_LO => r.cnt[2],
            reg::CNT_BYTES_HI => r.cnt[3],
            reg::PROBE_RESULT => r.probe_word,
            reg::PROBE_INDEX => r.probe_index,
            _ => 0,
        }
    }

    /// The core's key: the pending probe's, else the port's, with the locality table's answers.
    fn core_key(&self, port: Option<&KeyIn>) -> (bool, CoreKey) {
        let (words, len, tag, flags, probe) = match (&self.r.probe_pending, port) {
            (Some(p), _) => (p.words, p.len, 0, p.flags, true),
            (None, Some(k)) => (k.key.words(), k.len, k.tag, k.tcp_flags, false),
            (None, None) => return (false, CoreKey::default()),
        };
        let wide =
            |base: usize| (0..4).fold(0u128, |a, j| a | u128::from(words[base + j]) << (32 * j));
        let v6 = words[key::META] >> 10 & 1 != 0;
        let ports = words[key::PORTS];
        let key = CoreKey {
            key: FlowKey {
                src: words[key::SRC0],
                dst: words[key::DST0],
                proto: words[key::META] as u8,
                sport: ports as u16,
                dport: (ports >> 16) as u16,
            },
            flags,
            src_local: self.local.is_local(wide(key::SRC0), v6),
            dst_local: self.local.is_local(wide(key::DST0), v6),
            len,
            tag,
            v6,
            probe,
        };
        (true, key)
    }
}

/// The offsets a write may name (any other write is BAD_OFFSET).
fn writable(addr: u32) -> bool {
    key_word(addr, reg::KEY).is_some()
        || key_word(addr, reg::MASK).is_some()
        || [
            reg::SCRATCH,
            reg::CONTROL,
            reg::ERROR,
            reg::CMD,
            reg::CMD_ARG,
            reg::SPORT_RANGE,
            reg::DPORT_RANGE,
            reg::PRIO,
            reg::ACTION,
            reg::PLANES,
            reg::FLOW_FLAGS,
            reg::PKT_LEN,
            reg::FLOW_INTEREST,
            reg::PKT_FLAGS,
        ]
        .contains(&addr)
}

/// Element `n` of the KEY or MASK array at `base`, if `addr` is one.
fn key_word(addr: u32, base: u32) -> Option<usize> {
    (addr >= base && addr < base + 4 * KEY_WORDS as u32 && addr.is_multiple_of(4))
        .then(|| ((addr - base) / 4) as usize)
}

/// A core result as the result port reports it.
fn lookup_result(r: &CoreResult) -> LookupResult {
    let word = u32::from(r.verdict) | u32::from(r.channel) << 8 | u32::from(r.reason) << 16;
    LookupResult {
        action: Action::decode(ActionWord::from_raw(word)).expect("the core's verdicts are 0..2"),
        kind: HitKind::from_bits(r.kind.into()).expect("the core's kinds are 0..2"),
        index: r.index,
        stale: r.stale,
        src_local: r.src_local,
        dst_local: r.dst_local,
        len: r.len,
        tag: r.tag,
    }
}
