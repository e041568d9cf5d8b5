//! Many cycles per call, exactly as many [`Model::step`] calls would run them.
//!
//! A burst is a run of cycles with `res_ready` high, no register access and no reset, each
//! offering one key. In such a run nothing f1 and f2 read can change: the locality table, the
//! flow cache's keys, actions, epochs and interest, the TCAM and EPOCH change only through
//! register writes. f3 writes only counters and flow hit state, which f1 and f2 never read. So
//! f1 and f2 of a whole chunk of keys can be computed before their cycles (the TCAM lookups
//! together, interleaved in the index), and the cycles then only shift results out and count,
//! in the same order as stepping. Items already in the pipeline are decided the same way and
//! put back as they were (an item f2 has not reached goes back undecided, so a register write
//! after the burst still reaches it).
//!
//! Idle cycles (no key, `res_ready` high, no register access) after the pipeline drained change
//! only the cycle counters: [`Model::idle`] skips them in one step.
//!
//! `GUFC_MODEL_FAST=0` in the environment (or [`Model::set_fast_path`]) turns these paths off:
//! bursts and idle runs then call [`Model::step`] per cycle and the TCAM scans every entry, so
//! any suite can be run both ways.

use gufc_regmap::{CycleIn, CycleOut, KeyIn, KEY_WORDS};

use crate::model::{tcam_key, Model};
use crate::pipeline::{Decided, Item, Located};
use crate::tcam::TcamStrategy;

/// Keys decided ahead of their cycles at a time.
const CHUNK: usize = 256;

/// The environment variable that turns the fast paths off (`0`) or on (anything else).
pub const FAST_ENV: &str = "GUFC_MODEL_FAST";

impl Model {
    pub(crate) fn with_fast_path_from_env(mut self) -> Model {
        let on = std::env::var(FAST_ENV).map_or(true, |v| v.trim() != "0");
        self.set_fast_path(on);
        self
    }

    /// Fast paths on (bursts, idle skipping, the TCAM index) or off (every cycle stepped, every
    /// TCAM entry compared). The answers and cycle counts are the same either way.
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast = on;
        self.set_tcam_strategy(if on {
            TcamStrategy::Auto
        } else {
            TcamStrategy::Scan
        });
    }

    /// Is the fast path on?
    pub fn fast_path(&self) -> bool {
        self.fast
    }

    /// Cycles offering `keys[0]`, `keys[1]`, … one per cycle, with `res_ready` high, no register
    /// access and no reset: the same as [`Model::step`] with those inputs, `on_out` getting each
    /// cycle's outputs. Stops after a cycle whose key was refused (only a probe started by the
    /// register write just before can take that slot) and returns the cycles run, so a caller
    /// that must not lose keys offers the rest again.
    pub fn step_keys(&mut self, keys: &[KeyIn], on_out: &mut dyn FnMut(&CycleOut)) -> usize {
        let input = |k: &KeyIn| CycleIn {
            key: Some(*k),
            res_ready: true,
            mmio: None,
            rst: false,
        };
        let mut n = 0;
        if !self.fast {
            for k in keys {
                let o = self.step(&input(k));
                n += 1;
                on_out(&o);
                if !o.accepted {
                    break;
                }
            }
            return n;
        }
        if self.regs.probe_pending.is_some() {
            if let Some(k) = keys.first() {
                // The probe takes this cycle's slot: the key is refused.
                let o = self.step(&input(k));
                on_out(&o);
                return 1;
            }
        }
        if keys.is_empty() {
            return 0;
        }
        // The pipeline's items, oldest first, decided now (the tables cannot change in a burst).
        // The items in s3, s2, s1 (oldest first), decided now: the tables cannot change in a
        // burst. Each cycle retires the oldest item and a new key takes the youngest place.
        let s2 = self.pipe.s2.take().map(|l| self.decide_one(l));
        let s1 = self.pipe.s1.take().map(|i| {
            let l = self.f1(i);
            self.decide_one(l)
        });
        let mut carry: [Option<Decided>; 3] = [self.pipe.s3.take(), s2, s1];
        let mut decided = std::mem::take(&mut self.scratch.decided);
        // Threads need chunks large enough to pay for starting them.
        let chunk = if self.threads > 1 {
            self.min_per_thread * self.threads
        } else {
            CHUNK
        };
        for chunk in keys.chunks(chunk) {
            decided.clear();
            self.decide_keys(chunk, &mut decided);
            let n = decided.len();
            for i in 0..n {
                let result = self.pipe.out.take();
                let o = CycleOut {
                    rdata: 0,
                    key_ready: true,
                    res_valid: result.is_some(),
                    accepted: true,
                    result,
                };
                if i < 3 {
                    if let Some(mut d) = carry[i].take() {
                        self.retire(&mut d);
                    }
                } else {
                    let mut d = decided[i - 3];
                    self.retire(&mut d);
                }
                self.regs.cycle += 1;
                self.cycles += 1;
                on_out(&o);
            }
            // The last three (older carries first when the chunk was shorter than three).
            let mut line: Vec<Option<Decided>> =
                carry[n.min(3)..].iter_mut().map(Option::take).collect();
            line.extend(decided[n.saturating_sub(3)..].iter().copied().map(Some));
            for (c, d) in carry.iter_mut().zip(line) {
                *c = d;
            }
        }
        self.scratch.decided = decided;
        // Back into the pipeline registers, undecided where f2 has not run yet.
        let [s3, s2, s1] = carry;
        self.pipe.s3 = s3;
        self.pipe.s2 = s2.map(|d| Located {
            item: d.item,
            src_local: d.src_local,
            dst_local: d.dst_local,
        });
        self.pipe.s1 = s1.map(|d| d.item);
        keys.len()
    }

    /// `cycles` cycles with no key, `res_ready` high and no register access, the same as
    /// stepping them; `on_result` gets each result that leaves the pipeline, in order. Once the
    /// pipeline is empty the remaining cycles only advance the cycle counters.
    pub fn idle(&mut self, cycles: u64, on_result: &mut dyn FnMut(&gufc_regmap::LookupResult)) {
        let mut left = cycles;
        while left > 0 {
            let empty = self.pipe.s1.is_none()
                && self.pipe.s2.is_none()
                && self.pipe.s3.is_none()
                && self.pipe.out.is_none()
                && self.regs.probe_pending.is_none();
            if empty && self.fast {
                self.regs.cycle += left;
                self.cycles += left;
                return;
            }
            let o = self.step(&CycleIn {
                res_ready: true,
                ..CycleIn::default()
            });
            if let Some(r) = &o.result {
                on_result(r);
            }
            left -= 1;
        }
    }

    /// f3 at one edge of a burst: what [`Model::step`] does with the item leaving s3.
    fn retire(&mut self, d: &mut Decided) {
        self.select_interest(d);
        if d.item.probe {
            self.regs.probe_result = d.probe_word();
            self.regs.probe_index = d.index;
            self.regs.probe_busy = false;
        } else {
            self.pipe.out = Some(d.result());
            self.count(d, None);
        }
    }

    fn decide_one(&mut self, l: Located) -> Decided {
        match self.f2_flow(&l) {
            Ok(d) => d,
            Err(stale) => {
                let hit = self.tcam.lookup(&tcam_key(&l));
                self.f2_rule(l, stale, hit)
            }
        }
    }

    /// f1 and f2 of each key, the TCAM lookups of those the flow cache does not decide in one
    /// batch; over several threads when [`Model::set_lookup_threads`] asked for them and the
    /// chunk is large enough to pay for them. f1 and f2 only read the tables, so every thread
    /// computes exactly what one would.
    fn decide_keys(&mut self, keys: &[KeyIn], out: &mut Vec<Decided>) {
        let v6 = keys.iter().any(|k| k.key.ipv6);
        let v4 = keys.iter().any(|k| !k.key.ipv6);
        let forest_only = keys
            .iter()
            .all(|k| !k.key.ipv6 && k.key.src >> 32 == 0 && k.key.dst >> 32 == 0);
        if !self.tcam.prepare_shared(keys.len(), v4, v6, forest_only) {
            // Lookups one by one (they may rebuild the index or scan).
            for k in keys {
                let l = self.f1(Item::from_port(k));
                out.push(self.decide_one(l));
            }
            return;
        }
        let threads = self.threads.min(keys.len() / self.min_per_thread).max(1);
        if threads == 1 {
            let mut s = std::mem::take(&mut self.scratch);
            self.decide_shared(keys, out, &mut s);
            self.scratch = s;
            return;
        }
        let per = keys.len().div_ceil(threads);
        let this = &*self;
        let parts: Vec<Vec<Decided>> = std::thread::scope(|scope| {
            let handles: Vec<_> = keys
                .chunks(per)
                .map(|part| {
                    scope.spawn(move || {
                        let mut d = Vec::with_capacity(part.len());
                        this.decide_shared(part, &mut d, &mut Scratch::default());
                        d
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a lookup thread panicked"))
                .collect()
        });
        for p in parts {
            out.extend(p);
        }
    }

    /// [`Model::decide_keys`] once the TCAM index is ready for shared lookups.
    fn decide_shared(&self, keys: &[KeyIn], out: &mut Vec<Decided>, s: &mut Scratch) {
        s.tkeys.clear();
        s.pending.clear();
        let base = out.len();
        for k in keys {
            let l = self.f1(Item::from_port(k));
            match self.f2_flow(&l) {
                Ok(d) => out.push(d),
                Err(stale) => {
                    s.pending.push(out.len() as u32);
                    s.tkeys.push(tcam_key(&l));
                    // The decision for a TCAM miss; completed once the TCAM answered.
                    out.push(self.f2_rule(l, stale, None));
                }
            }
        }
        s.hits.clear();
        s.hits.resize(s.tkeys.len(), None);
        self.tcam.lookup_batch_shared(&s.tkeys, &mut s.hits);
        for (&at, &hit) in s.pending.iter().zip(&s.hits) {
            self.f2_rule_hit(&mut out[at as usize], hit);
        }
        debug_assert_eq!(out.len() - base, keys.len());
    }

    /// Threads that bursts may use to decide keys (1: none besides the caller). Results,
    /// counters and cycles are the same for every value.
    pub fn set_lookup_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Keys a lookup thread must get before it is started (default
    /// 4,096); tests lower it so that small bursts use threads too.
    pub fn set_min_keys_per_thread(&mut self, keys: usize) {
        self.min_per_thread = keys.max(1);
    }
}

/// A thread is worth starting for this many keys.
pub const MIN_KEYS_PER_THREAD: usize = 4096;

/// Buffers a burst reuses from call to call.
#[derive(Default)]
pub(crate) struct Scratch {
    /// TCAM keys of the chunk's keys the flow cache did not decide.
    tkeys: Vec<[u32; KEY_WORDS]>,
    /// Their place in the chunk.
    pending: Vec<u32>,
    hits: Vec<Option<u32>>,
    decided: Vec<Decided>,
}
