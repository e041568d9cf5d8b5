//! The RTL 2.0 core's testbench trace (`record` in sim/csrc/core_tb.cpp) and its Verilated build,
//! shared by the lockstep test (tests/core.rs) and the speed benchmark (benches/core_speed.rs).

use std::path::{Path, PathBuf};

use gufc_hw_model::v2::core::{CoreIn, CoreKey, CoreOut, CoreResult};
use gufc_hw_model::v2::counter_ram::Count;
use gufc_hw_model::v2::flow_ram::{FlowIn, FlowKey, FlowOut, Slot};
use gufc_hw_model::v2::rule_stage::{KeyBits, RuleStageIn, RuleStageOut};

use super::testbench::{trace_words, verilate};

/// Verilates gufc_core at `entries` x `buckets` x `ways` with its testbench; the executable.
pub fn build(entries: u32, buckets: u32, ways: u32) -> PathBuf {
    let mut sources = self::sources();
    sources.push("rtl/gufc_decide.v".into());
    verilate(
        &format!("core_n{entries}_b{buckets}_w{ways}"),
        "gufc_core",
        &sources,
        &[
            format!("ENTRIES={entries}"),
            format!("BUCKETS={buckets}"),
            format!("WAYS={ways}"),
        ],
        &format!("-DNENT={entries} -DNBUCKETS={buckets} -DNWAYS={ways}"),
        "core_tb",
    )
}

/// Every Verilog file in rtl/v2 but the place-and-route wrappers.
fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut s: Vec<PathBuf> = std::fs::read_dir(root.join("rtl/v2"))
        .expect("rtl/v2")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "v") && !p.to_string_lossy().ends_with("_pnr.v")
        })
        .collect();
    s.sort();
    s
}

/// Every edge of a trace file of `edges` edges.
pub fn read(trace: &Path, edges: u64) -> Vec<Edge> {
    trace_words(trace, 62, edges)
        .chunks_exact(62)
        .map(Edge::from_words)
        .collect()
}

/// One edge of the trace (layout: `record` in sim/csrc/core_tb.cpp).
pub struct Edge {
    /// The inputs sampled at the edge.
    pub i: CoreIn,
    /// key_ready and the rule, flow and counter cmd_ready before it.
    pub ready: (bool, bool, bool, bool),
    /// The outputs after it.
    pub out: CoreOut,
}

impl Edge {
    fn from_words(w: &[u32]) -> Edge {
        let bit = |n: usize, b: u32| w[n] >> b & 1 != 0;
        let wide = |lo: u32, hi: u32| u64::from(lo) | u64::from(hi) << 32;
        let kb = |s: &[u32]| -> KeyBits { [s[0], s[1], s[2], s[3], 0] };
        let fkey = |s: &[u32]| FlowKey::from_words([s[0], s[1], s[2], s[3]]);
        let i = CoreIn {
            rst: bit(0, 0),
            key_valid: bit(0, 1),
            res_ready: bit(0, 2),
            epoch: (w[0] >> 24) as u8,
            cycle: w[1],
            key: CoreKey {
                key: FlowKey {
                    src: w[2],
                    dst: w[3],
                    proto: w[4] as u8,
                    sport: w[5] as u16,
                    dport: (w[5] >> 16) as u16,
                },
                flags: (w[4] >> 8) as u8,
                src_local: bit(0, 7),
                dst_local: bit(0, 8),
                len: (w[4] >> 16) as u16,
                tag: w[6],
                v6: bit(55, 0),
                probe: bit(55, 1),
            },
            rule_cmd: RuleStageIn {
                cmd_valid: bit(0, 3),
                cmd_op: (w[0] >> 9 & 7) as u8,
                cmd_planes: (w[0] >> 18 & 3) as u8,
                cmd_index: w[7],
                cmd_value: kb(&w[8..12]),
                cmd_mask: kb(&w[12..16]),
                cmd_data: wide(w[16], w[17]),
                cmd_range: wide(w[18], w[19]),
                ..RuleStageIn::default()
            },
            flow_cmd: FlowIn {
                cmd_valid: bit(0, 4),
                cmd_op: (w[0] >> 12 & 7) as u8,
                cmd_pinned: bit(0, 6),
                cmd_slot: w[20],
                cmd_arg: w[21],
                cmd_key: fkey(&w[22..26]),
                cmd_action: w[26],
                cmd_interest: w[27],
                ..FlowIn::default()
            },
            cnt_cmd: (
                bit(0, 5),
                (w[0] >> 15 & 3) as u8,
                (w[0] >> 17 & 1 | (w[57] & 1) << 1) as u8,
                w[28],
            ),
            cnt_add: Count {
                pkts: wide(w[58], w[59]),
                bytes: wide(w[60], w[61]),
            },
        };
        let res = bit(29, 0).then(|| CoreResult {
            verdict: (w[29] >> 4 & 3) as u8,
            channel: (w[29] >> 8) as u8,
            reason: (w[29] >> 16) as u8,
            kind: (w[29] >> 6 & 3) as u8,
            stale: bit(29, 1),
            src_local: bit(29, 2),
            dst_local: bit(29, 3),
            index: w[30],
            len: w[31] as u16,
            tag: w[32],
        });
        if res.is_none() {
            let zero = w[29] & 0x00ff_fffe == 0 && w[30] == 0 && w[31] == 0 && w[32] == 0;
            assert!(
                zero,
                "res_* bits set while res_valid is 0: {:x?}",
                &w[29..33]
            );
        }
        let out = CoreOut {
            res,
            rule: RuleStageOut {
                active: bit(29, 24),
                rd_valid: bit(29, 25),
                rd_planes: (w[29] >> 26 & 3) as u8,
                rd_value: kb(&w[33..37]),
                rd_mask: kb(&w[37..41]),
                rd_data: wide(w[41], w[42]),
                ..RuleStageOut::default()
            },
            flow: FlowOut {
                rd_valid: bit(29, 28),
                rd: Slot {
                    valid: bit(29, 29),
                    key: fkey(&w[43..47]),
                    action: w[47],
                    pinned: bit(29, 30),
                    epoch: w[48] as u8,
                    interest: w[49],
                },
                rd_hit: bit(29, 31),
                rd_last_hit: w[50],
                mv_valid: bit(48, 8),
                mv_ok: bit(48, 9),
                ..FlowOut::default()
            },
            cnt_rd: bit(48, 10).then(|| Count {
                pkts: wide(w[51], w[52]),
                bytes: wide(w[53], w[54]),
            }),
            probe: bit(55, 8).then(|| CoreResult {
                verdict: (w[55] >> 12 & 3) as u8,
                channel: (w[55] >> 16) as u8,
                reason: (w[55] >> 24) as u8,
                kind: (w[55] >> 14 & 3) as u8,
                stale: bit(55, 9),
                src_local: bit(55, 10),
                dst_local: bit(55, 11),
                index: w[56],
                len: 0,
                tag: 0,
            }),
        };
        if out.probe.is_none() {
            assert!(
                w[55] >> 8 == 0 && w[56] == 0,
                "prb_* bits set while prb_valid is 0: {:x?}",
                &w[55..57]
            );
        }
        Edge {
            i,
            ready: (bit(0, 20), bit(0, 21), bit(0, 22), bit(0, 23)),
            out,
        }
    }
}

/// The model's outputs with the fields the trace does not carry cleared (the blocks' own
/// results: the core's result is what leaves it; a probe's length and tag: prb_* has neither).
pub fn visible(mut o: CoreOut) -> CoreOut {
    o.probe = o.probe.map(|p| CoreResult {
        len: 0,
        tag: 0,
        ..p
    });
    o.rule = RuleStageOut {
        res_valid: false,
        res_hit: false,
        res_index: 0,
        res_data: 0,
        ..o.rule
    };
    o.flow = FlowOut {
        res_valid: false,
        res_hit: false,
        res_slot: 0,
        res_current: false,
        res_action: 0,
        res_interest: 0,
        ..o.flow
    };
    o
}
