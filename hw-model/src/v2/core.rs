//! The RTL 2.0 datapath (`rtl/v2/gufc_core.v`) edge for edge: the rule stage, the flow cache and
//! the three counter spaces (their models in this module's siblings), and the glue between them
//! as the RTL has it: the results lined up, the decision, increments and hit-state updates, the
//! stale-update filter, interest, and the output FIFO with its credits. A probe goes through like a
//! key but counts nowhere and leaves on its own port; an IPv6 key is decided as a miss.

use std::collections::VecDeque;

use super::counter_ram::{self, Count, CounterIn, CounterOut, CounterRam};
use super::flow_ram::{FlowIn, FlowKey, FlowOut, FlowRam};
use super::rule_stage::{RuleStage, RuleStageConfig, RuleStageIn, RuleStageOut};

/// The core's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreConfig {
    /// The rule stage's.
    pub rule: RuleStageConfig,
    /// Flow-cache buckets (a power of two).
    pub buckets: usize,
    /// Slots per bucket (a power of two).
    pub ways: usize,
    /// Channels (channel counters).
    pub channels: usize,
    /// Output FIFO entries (a power of two, at least the latency).
    pub fifo: usize,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            rule: RuleStageConfig::default(),
            buckets: 1024,
            ways: 4,
            channels: 16,
            fifo: 32,
        }
    }
}

impl CoreConfig {
    /// Edges from acceptance to the edge both lookups' results are lined up (A).
    fn line(&self) -> u64 {
        self.rule.latency().max(8)
    }

    /// Edges from a key's acceptance to the earliest transfer of its result (A + 7).
    pub fn latency(&self) -> u64 {
        self.line() + 7
    }
}

/// A key on the key port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreKey {
    /// The IPv4 5-tuple.
    pub key: FlowKey,
    /// TCP flags.
    pub flags: u8,
    /// The locality stage's answers.
    pub src_local: bool,
    /// The locality stage's answers.
    pub dst_local: bool,
    /// Packet length.
    pub len: u16,
    /// Opaque tag returned with the result.
    pub tag: u32,
    /// An IPv6 key: decided as a miss (the 2.0 tables are IPv4).
    pub v6: bool,
    /// A probe: counts nowhere, updates no hit state, leaves on `prb_*` instead of the FIFO.
    pub probe: bool,
}

/// One edge's inputs. Of `rule_cmd` and `flow_cmd` only the command fields (`cmd_*`) are used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreIn {
    /// Synchronous reset of everything.
    pub rst: bool,
    /// The current epoch (flow cache).
    pub epoch: u8,
    /// The cycle counter (hit state's LAST_HIT).
    pub cycle: u32,
    /// A key is offered.
    pub key_valid: bool,
    /// The key.
    pub key: CoreKey,
    /// The result port may transfer.
    pub res_ready: bool,
    /// Rule-stage command.
    pub rule_cmd: RuleStageIn,
    /// Flow-cache command.
    pub flow_cmd: FlowIn,
    /// Counter command: valid, space (0 rule, 1 flow, 2 channel), op, index.
    pub cnt_cmd: (bool, u8, u8, u32),
    /// What a counter ADD (op 2) adds.
    pub cnt_add: Count,
}

/// A result on the result port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreResult {
    /// 0 DELIVER, 1 DROP, 2 SLOW_PATH.
    pub verdict: u8,
    /// DELIVER's channel, else 0.
    pub channel: u8,
    /// SLOW_PATH's reason, else 0.
    pub reason: u8,
    /// 0 MISS, 1 FLOW, 2 RULE.
    pub kind: u8,
    /// A stale flow entry matched.
    pub stale: bool,
    /// Locality bits.
    pub src_local: bool,
    /// Locality bits.
    pub dst_local: bool,
    /// Flow slot or rule index (0 for a miss).
    pub index: u32,
    /// Packet length.
    pub len: u16,
    /// Tag.
    pub tag: u32,
}

/// The outputs after an edge (`key_ready` and the command readies are before one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreOut {
    /// The FIFO's head, if any (every res_* bit 0 without one).
    pub res: Option<CoreResult>,
    /// The rule stage's outputs but its result.
    pub rule: RuleStageOut,
    /// The flow cache's outputs but its result.
    pub flow: FlowOut,
    /// Counter READ data (the three spaces' OR).
    pub cnt_rd: Option<Count>,
    /// A probe's result (`prb_*`, one edge; every bit 0 without one).
    pub probe: Option<CoreResult>,
}

/// The decision register and its four copies.
#[derive(Clone, Copy, Debug, Default)]
struct Decided {
    valid: bool,
    result: CoreResult,
    flags: u8,
    /// FLOW_INTEREST of a flow hit: mode 3 bits, period 16 bits above.
    interest: u32,
    /// A probe's.
    probe: bool,
}

/// The datapath. [`Core::edge`] is one rising edge.
#[derive(Clone, Debug)]
pub struct Core {
    cfg: CoreConfig,
    rule: RuleStage,
    flow: FlowRam,
    counters: [CounterRam; 3],
    count: usize,
    fifo: VecDeque<CoreResult>,
    rule_line: VecDeque<RuleStageOut>,
    flow_line: VecDeque<FlowOut>,
    side: VecDeque<Option<CoreKey>>,
    d: [Decided; 5],
    /// A FLOW_WRITE's slot word is written at the next edge, in this slot.
    wr_now: Option<u32>,
    /// The slots FLOW_WRITEs wrote at the last A-3 edges, newest first.
    hist: VecDeque<Option<u32>>,
    /// The global counters (regmap [global_counter] order).
    globals: [Count; 8],
    /// A global READ: edges until its data is out, and the value it captured.
    global_read: Option<(u8, Count)>,
    out: CoreOut,
}

const VERDICT_DELIVER: u8 = 0;
const VERDICT_SLOW_PATH: u8 = 2;
const KIND_MISS: u8 = 0;
const KIND_FLOW: u8 = 1;
const KIND_RULE: u8 = 2;

impl Core {
    /// The core after its first reset edge.
    pub fn new(cfg: CoreConfig) -> Core {
        let a = cfg.line() as usize;
        let mut c = Core {
            cfg,
            rule: RuleStage::new(cfg.rule),
            flow: FlowRam::new(cfg.buckets, cfg.ways),
            counters: [
                CounterRam::new(cfg.rule.entries, 16),
                CounterRam::new(cfg.buckets * cfg.ways, 16),
                CounterRam::new(cfg.channels, 16),
            ],
            count: 0,
            fifo: VecDeque::new(),
            rule_line: VecDeque::from(vec![
                RuleStageOut::default();
                a - cfg.rule.latency() as usize
            ]),
            flow_line: VecDeque::from(vec![FlowOut::default(); a - 8]),
            side: VecDeque::from(vec![None; a + 1]),
            d: [Decided::default(); 5],
            wr_now: None,
            hist: VecDeque::from(vec![None; a - 3]),
            globals: [Count::default(); 8],
            global_read: None,
            out: CoreOut::default(),
        };
        c.edge(&CoreIn {
            rst: true,
            ..CoreIn::default()
        });
        c
    }

    /// `key_ready` before the next edge with `rst` as given.
    pub fn key_ready(&self, rst: bool) -> bool {
        !rst && self.count < self.cfg.fifo
    }

    /// The rule stage's, the flow cache's and counter space `space`'s `cmd_ready` before the
    /// next edge, the last for a counter command with opcode `op` (the core's port has READ and
    /// CLEAR only: its bit 0).
    pub fn cmd_ready(&self, space: u8, op: u8) -> (bool, bool, bool) {
        let c = match space {
            0..=2 => self.counters[space as usize].cmd_ready(op & 3),
            _ => self.global_read.is_none(),
        };
        (self.rule.cmd_ready(), self.flow.cmd_ready(), c)
    }

    /// The outputs after the last edge.
    pub fn outputs(&self) -> CoreOut {
        self.out
    }

    /// The decision between the lined-up lookups (gufc_decide).
    fn decide(&self, r: &RuleStageOut, f: &FlowOut, key: &CoreKey) -> Decided {
        let flow_hit = f.res_hit && !key.v6;
        let stale = flow_hit && !f.res_current;
        let (kind, action, index, interest) = if flow_hit && f.res_current {
            (KIND_FLOW, f.res_action, f.res_slot, f.res_interest)
        } else if r.res_hit && !key.v6 {
            (KIND_RULE, r.res_data as u32, r.res_index, 0)
        } else {
            (KIND_MISS, 2 | 1 << 16, 0, 0) // SLOW_PATH, reason MISS
        };
        let verdict = (action & 3) as u8;
        let channel = if verdict == VERDICT_DELIVER {
            (action >> 8) as u8
        } else {
            0
        };
        let reason = match verdict {
            VERDICT_SLOW_PATH if kind == KIND_RULE && stale => 3, // STALE
            VERDICT_SLOW_PATH => (action >> 16) as u8,
            _ => 0,
        };
        Decided {
            valid: true,
            result: CoreResult {
                verdict,
                channel,
                reason,
                kind,
                stale,
                src_local: key.src_local,
                dst_local: key.dst_local,
                index,
                len: key.len,
                tag: key.tag,
            },
            flags: key.flags,
            interest,
            probe: key.probe,
        }
    }

    /// F: interest applied to `e` with the flow counter's report of this edge.
    fn finish(e: &Decided, report: &CounterOut) -> CoreResult {
        let mut r = e.result;
        if r.kind != KIND_FLOW {
            return r;
        }
        let mode = e.interest & 7;
        let period = (e.interest >> 3) as u16;
        let why = match mode {
            1 => Some(4),                        // EVERY_PACKET: INTEREST_ALL
            2 if e.flags & 0x07 != 0 => Some(5), // TCP_CTRL: INTEREST_CTRL
            3 if period != 0
                && report.cnt_valid
                && (report.cnt.pkts as u16) & period.wrapping_sub(1) == 0 =>
            {
                Some(6) // SAMPLE: INTEREST_SAMPLE
            }
            _ => None,
        };
        if let Some(why) = why {
            r.verdict = VERDICT_SLOW_PATH;
            r.channel = 0;
            r.reason = why;
        }
        r
    }

    /// One rising edge with inputs `i`.
    pub fn edge(&mut self, i: &CoreIn) {
        let cfg = self.cfg;
        let rst = i.rst;
        let accept = i.key_valid && self.key_ready(rst);
        let pop = !self.fifo.is_empty() && i.res_ready;
        // Registered outputs and readies of the blocks as of the last edge.
        let rule_out = self.rule.outputs();
        let flow_out = self.flow.outputs();
        let flow_report = self.counters[1].outputs();
        let flow_write = i.flow_cmd.cmd_valid
            && self.flow.cmd_ready()
            && !rst
            && i.flow_cmd.cmd_op == super::flow_ram::op::WRITE;
        let slot_mask = (cfg.buckets * cfg.ways - 1) as u32;

        // The hit-state update and the increments, from D; F, from its fourth copy.
        let d = self.d[0];
        let d_count = d.valid && !d.probe; // keys count, probes do not
        let slot = d.result.index & slot_mask;
        // A WRITE of the slot at this very edge wins in the flow cache itself.
        let written_since = self.hist.contains(&Some(slot));
        let upd_en = d_count && d.result.kind == KIND_FLOW && !written_since;
        let e = self.d[4];
        let fin = Self::finish(&e, &flow_report);
        let probe_out = (e.valid && e.probe && !rst).then_some(fin);
        let ev = e.valid && !e.probe; // a key's result: counted, into the FIFO
        let ch_inc = ev && fin.verdict == VERDICT_DELIVER;

        let k = &i.key;
        self.rule.edge(&RuleStageIn {
            clr: rst,
            in_valid: accept,
            src: k.key.src,
            dst: k.key.dst,
            src_local: k.src_local,
            dst_local: k.dst_local,
            proto: k.key.proto,
            flags: k.flags,
            sport: k.key.sport,
            dport: k.key.dport,
            ..i.rule_cmd
        });
        self.flow.edge(&FlowIn {
            clr: rst,
            epoch: i.epoch,
            in_valid: accept,
            key: k.key,
            upd_en,
            upd_slot: slot,
            upd_cycle: i.cycle,
            ..i.flow_cmd
        });
        let (cv, space, op, index) = i.cnt_cmd;
        let incs = [
            (
                d_count && d.result.kind == KIND_RULE,
                d.result.index,
                d.result.len,
            ),
            (
                d_count && d.result.kind == KIND_FLOW,
                d.result.index,
                d.result.len,
            ),
            (ch_inc, u32::from(fin.channel), e.result.len),
        ];
        for (n, (c, (inc_en, inc_index, len))) in self.counters.iter_mut().zip(incs).enumerate() {
            c.edge(&CounterIn {
                clr: rst,
                inc_en,
                inc_index,
                inc_len: u32::from(len),
                cmd_valid: cv && usize::from(space) == n,
                cmd_op: op & 3,
                cmd_index: index,
                cmd_value: i.cnt_add,
            });
        }

        // The global counters: this edge's increments (at F), then a CLEAR; a READ takes the
        // value after both.
        let mut g_inc = [false; 8];
        if ev {
            g_inc[global::LOOKUPS] = true;
            g_inc[match fin.kind {
                KIND_FLOW => global::FLOW_HITS,
                KIND_RULE => global::RULE_HITS,
                _ => global::MISSES,
            }] = true;
            match fin.verdict {
                1 => g_inc[global::DROPS] = true,
                VERDICT_SLOW_PATH => g_inc[global::SLOW_PATH] = true,
                VERDICT_DELIVER => g_inc[global::DELIVERED] = true,
                _ => {}
            }
            g_inc[global::STALE_FLOWS] |= fin.stale;
        }
        let g_ready = self.global_read.is_none();
        let g_read_out = match self.global_read {
            Some((1, c)) if !rst => Some(c),
            _ => None,
        };
        self.global_read = match self.global_read {
            Some((n, c)) if n > 1 && !rst => Some((n - 1, c)),
            _ => None,
        };
        for (g, inc) in self.globals.iter_mut().zip(g_inc) {
            if inc && !rst {
                g.pkts = g.pkts.wrapping_add(1);
                g.bytes = g.bytes.wrapping_add(u64::from(e.result.len));
            }
        }
        if rst {
            self.globals = [Count::default(); 8];
        } else if cv && space == 3 && g_ready {
            let n = (index & 7) as usize;
            match op & 3 {
                0 => self.global_read = Some((6, self.globals[n])),
                1 => self.globals[n] = Count::default(),
                _ => {} // ADD: no-op on the global counters
            }
        }

        // The lines up to the decision.
        let aligned_rule = delay(&mut self.rule_line, rule_out);
        let aligned_flow = delay(&mut self.flow_line, flow_out);
        let side = self.side.pop_front().expect("a stage");
        self.side.push_back(accept.then_some(*k));
        if rst {
            self.side.iter_mut().for_each(|s| *s = None);
        }
        let next_d = match side {
            Some(key) if !rst => self.decide(&aligned_rule, &aligned_flow, &key),
            _ => Decided::default(),
        };
        for n in (1..5).rev() {
            self.d[n] = if rst {
                Decided::default()
            } else {
                self.d[n - 1]
            };
        }
        self.d[0] = next_d;

        // FLOW_WRITEs of the last edges.
        self.hist.pop_back();
        self.hist.push_front(if rst { None } else { self.wr_now });
        self.wr_now = flow_write.then_some(i.flow_cmd.cmd_slot & slot_mask);

        // The FIFO and the credits.
        if rst {
            self.fifo.clear();
            self.count = 0;
        } else {
            if pop {
                self.fifo.pop_front();
            }
            if ev {
                self.fifo.push_back(fin);
            }
            self.count = self.count + usize::from(accept)
                - usize::from(pop)
                - usize::from(e.valid && e.probe);
        }

        let cnt = self
            .counters
            .iter()
            .map(|c| c.outputs())
            .find(|o| o.rd_valid);
        self.out = CoreOut {
            res: self.fifo.front().copied(),
            rule: self.rule.outputs(),
            flow: self.flow.outputs(),
            cnt_rd: cnt.map(|o| o.rd).or(g_read_out),
            probe: probe_out,
        };
    }
}

/// `v` through a line of registers (gufc_delay): what entered `line.len()` edges ago; `v`
/// itself for a line of none.
fn delay<T>(line: &mut VecDeque<T>, v: T) -> T {
    line.push_back(v);
    line.pop_front().expect("the value just pushed at least")
}

/// Global counters (regmap [global_counter]).
mod global {
    pub const LOOKUPS: usize = 0;
    pub const FLOW_HITS: usize = 1;
    pub const RULE_HITS: usize = 2;
    pub const MISSES: usize = 3;
    pub const DROPS: usize = 4;
    pub const SLOW_PATH: usize = 5;
    pub const DELIVERED: usize = 6;
    pub const STALE_FLOWS: usize = 7;
}

/// Counter spaces on the core's counter port.
pub mod space {
    /// Rule entries.
    pub const RULE: u8 = 0;
    /// Flow slots.
    pub const FLOW: u8 = 1;
    /// Channels.
    pub const CHANNEL: u8 = 2;
    /// The global counters.
    pub const GLOBAL: u8 = 3;
}

/// Counter opcodes on the core's counter port (its `c_cmd_op` is one bit: READ and CLEAR; ADD
/// is tied off until the top's FLOW_MOVE uses it).
pub use counter_ram::op as counter_op;
