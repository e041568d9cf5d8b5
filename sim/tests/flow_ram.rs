//! The RTL 2.0 flow cache (`rtl/v2/gufc_flow_ram.v`, not yet part of `gufc_top`) against the
//! reference in `sim/csrc/flow_ram_tb.cpp`: two-choice lookups at one key per clock while every
//! command kind, hit-state updates, epoch changes and resets run, every output compared on every
//! edge. Also checks that the testbench's bucket hash is `gufc_regmap::bucket_pair`, so the RTL
//! (whose hits depend on it) hashes as the Rust side does. Each run also writes every edge's
//! inputs and outputs to a trace, and the Rust model of the block
//! (`gufc_hw_model::v2::flow_ram`) replays the inputs and must produce every output bit on the
//! same edge.

mod testbench;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gufc_hw_model::v2::flow_ram::{FlowIn, FlowKey, FlowOut, FlowRam, Slot};

use testbench::{num, run, summary, trace_words, verilate};

/// Verilates the flow cache at `buckets` x `ways` with its testbench (make rebuilds only what
/// changed) and returns the executable.
fn build(buckets: u32, ways: u32) -> PathBuf {
    verilate(
        &format!("flow_ram_b{buckets}_w{ways}"),
        "gufc_flow_ram",
        &["rtl/v2/gufc_flow_ram.v".into(), "rtl/v2/gufc_bram.v".into()],
        &[format!("BUCKETS={buckets}"), format!("WAYS={ways}")],
        &format!("-DNBUCKETS={buckets} -DNWAYS={ways}"),
        "flow_ram_tb",
    )
}

fn check(buckets: u32, ways: u32, seeds: &[u64], cycles: u64) {
    let exe = build(buckets, ways);
    for &seed in seeds {
        let trace = exe.with_file_name(format!("trace-{seed}.bin"));
        let report = run(
            &exe,
            &format!("flow_ram B={buckets} W={ways}"),
            seed,
            cycles,
            &[&trace],
        );
        // The run must exercise what it claims.
        let line = summary(&report, "results");
        let (results, hits) = (num(line, " results"), num(line, " hits"));
        assert!(
            hits > results / 5 && hits < results * 9 / 10,
            "hit mix: {line}"
        );
        for kind in [
            " in b2",
            " write",
            " read",
            " clear",
            " move",
            " moved",
            " touch",
            " interest",
            " update clashes",
            " resets",
        ] {
            assert!(num(line, kind) > 0, "no{kind} in {line}");
        }
        lockstep(buckets, ways, &trace, cycles);
        std::fs::remove_file(&trace).ok();
    }
}

/// Replays a testbench trace (layout: `record` in sim/csrc/flow_ram_tb.cpp) through the model
/// and compares `cmd_ready` before every edge and every output after it.
fn lockstep(buckets: u32, ways: u32, trace: &Path, cycles: u64) {
    let words = trace_words(trace, 26, cycles);
    let mut model = FlowRam::new(buckets as usize, ways as usize);
    let key = |w: &[u32]| FlowKey::from_words(w.try_into().unwrap());
    for (n, w) in words.chunks_exact(26).enumerate() {
        let bit = |b: u32| w[0] >> b & 1 != 0;
        let i = FlowIn {
            clr: bit(0),
            in_valid: bit(1),
            upd_en: bit(2),
            cmd_valid: bit(3),
            cmd_op: (w[0] >> 4 & 7) as u8,
            cmd_pinned: bit(7),
            epoch: (w[0] >> 8) as u8,
            key: key(&w[1..5]),
            upd_slot: w[5],
            upd_cycle: w[6],
            cmd_slot: w[7],
            cmd_arg: w[8],
            cmd_key: key(&w[9..13]),
            cmd_action: w[13],
            cmd_interest: w[14],
        };
        let rtl = FlowOut {
            res_valid: bit(17),
            res_hit: bit(18),
            res_current: bit(19),
            res_slot: w[15],
            res_action: w[16],
            res_interest: w[17],
            rd_valid: bit(20),
            rd: Slot {
                valid: bit(21),
                key: key(&w[18..22]),
                action: w[22],
                pinned: bit(22),
                epoch: w[23] as u8,
                interest: w[24],
            },
            rd_hit: bit(23),
            rd_last_hit: w[25],
            mv_valid: bit(24),
            mv_ok: bit(25),
        };
        let edge = n + 1;
        assert_eq!(
            model.cmd_ready(),
            bit(16),
            "B={buckets} W={ways} edge {edge}: cmd_ready before the edge"
        );
        model.edge(&i);
        assert_eq!(
            model.outputs(),
            rtl,
            "B={buckets} W={ways} edge {edge}: outputs (model left, RTL right), inputs {i:?}"
        );
    }
}

/// The key port's layout round-trips through the model's key.
#[test]
fn flow_key_words_round_trip() {
    let k = FlowKey {
        src: 0x0a0b_0c0d,
        dst: 0xc0a8_0101,
        proto: 17,
        sport: 53,
        dport: 40000,
    };
    assert_eq!(FlowKey::from_words(k.to_words()), k);
    assert_eq!(k.to_words()[0], 53 | 40000 << 16);
}

#[test]
fn flow_ram_b16_w4_random() {
    check(16, 4, &[1, 2, 3], 400_000);
}

#[test]
fn flow_ram_b8_w8_random() {
    check(8, 8, &[4, 5], 400_000);
}

/// The default size (1,024 buckets x 4 ways = 4,096 slots): fewer collisions, longer sweeps.
#[test]
fn flow_ram_b1024_w4_random() {
    check(1024, 4, &[6], 400_000);
}

/// The testbench's hash (which the RTL's hits are checked against) is the driver's.
#[test]
fn flow_ram_hash_is_bucket_pair() {
    let exe = build(16, 4);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let keys: Vec<(u32, u32, u8, u16, u16)> = (0..500)
        .map(|_| {
            let (a, b) = (next(), next());
            (
                a as u32,
                (a >> 32) as u32,
                b as u8,
                (b >> 8) as u16,
                (b >> 24) as u16,
            )
        })
        .collect();
    for log2 in [3u32, 4, 9, 10, 16] {
        let mut child = Command::new(&exe)
            .args(["hash", &log2.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("running the flow_ram testbench in hash mode");
        let mut input = String::new();
        for (s, d, p, sp, dp) in &keys {
            input += &format!("{s} {d} {p} {sp} {dp}\n");
        }
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let got: Vec<&str> = text.lines().collect();
        assert_eq!(got.len(), keys.len());
        for ((s, d, p, sp, dp), line) in keys.iter().zip(got) {
            let key = gufc_regmap::Key::v4(*s, *d, *p, *sp, *dp);
            let (b1, b2) = gufc_regmap::bucket_pair(&key, log2);
            assert_eq!(
                line,
                format!("{b1} {b2}"),
                "key {s:x} {d:x} {p} {sp} {dp}, log2 {log2}"
            );
        }
    }
}
