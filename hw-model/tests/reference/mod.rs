//! A plain reference classifier: linear scan with `TcamEntry::matches`, written from
//! docs/timing.md independently of the model's data structures.
#![allow(dead_code)]

use gufc_regmap::{bucket_pair, Action, HitKind, Key, SlowReason, TcamEntry};

#[derive(Clone, Debug)]
pub struct RefFlow {
    pub key: Key,
    pub action: Action,
    pub pinned: bool,
    pub epoch: u8,
}

#[derive(Clone, Debug)]
pub struct RefLocal {
    pub addr: u128,
    pub mask: u128,
    pub ipv6: bool,
}

/// What a lookup should answer (len and tag are the key's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    pub kind: HitKind,
    pub index: u32,
    pub action: Action,
    pub stale: bool,
    pub src_local: bool,
    pub dst_local: bool,
}

impl Expected {
    pub fn of(r: &gufc_regmap::LookupResult) -> Expected {
        Expected {
            kind: r.kind,
            index: r.index,
            action: r.action,
            stale: r.stale,
            src_local: r.src_local,
            dst_local: r.dst_local,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RefState {
    pub tcam: Vec<Option<(TcamEntry, u8)>>,
    pub active_plane: u8,
    pub epoch: u8,
    pub flows: Vec<Option<RefFlow>>,
    pub ways: u32,
    pub log2_buckets: u32,
    pub local: Vec<Option<RefLocal>>,
}

impl RefState {
    pub fn new(cfg: &gufc_hw_model::Config) -> RefState {
        RefState {
            tcam: vec![None; cfg.tcam_entries as usize],
            active_plane: 0,
            epoch: 0,
            flows: vec![None; (cfg.flow_buckets * cfg.flow_ways) as usize],
            ways: cfg.flow_ways,
            log2_buckets: cfg.flow_buckets.trailing_zeros(),
            local: vec![None; cfg.local_entries as usize],
        }
    }

    pub fn commit(&mut self) {
        self.active_plane ^= 1;
        self.epoch = self.epoch.wrapping_add(1);
    }

    fn is_local(&self, a: u128, ipv6: bool) -> bool {
        self.local
            .iter()
            .flatten()
            .any(|e| e.ipv6 == ipv6 && (a ^ e.addr) & e.mask == 0)
    }

    /// The answer for a key from the key port (its locality bits are ignored).
    pub fn classify(&self, key: &Key) -> Expected {
        let mut k = key.flow_part();
        k.src_local = self.is_local(k.src, k.ipv6);
        k.dst_local = self.is_local(k.dst, k.ipv6);
        let (b1, b2) = bucket_pair(&k, self.log2_buckets);
        let flow = [b1, b2]
            .iter()
            .flat_map(|&b| b * self.ways..(b + 1) * self.ways)
            .find(|&s| {
                self.flows[s as usize]
                    .as_ref()
                    .is_some_and(|f| f.key == k.flow_part())
            });
        let mut stale = false;
        if let Some(s) = flow {
            let f = self.flows[s as usize].as_ref().unwrap();
            if f.pinned || f.epoch == self.epoch {
                return Expected {
                    kind: HitKind::Flow,
                    index: s,
                    action: f.action,
                    stale: false,
                    src_local: k.src_local,
                    dst_local: k.dst_local,
                };
            }
            stale = true;
        }
        let bit = 1u8 << self.active_plane;
        let mut best: Option<(u16, usize)> = None;
        for (i, e) in self.tcam.iter().enumerate() {
            if let Some((e, planes)) = e {
                if planes & bit != 0 && e.matches(&k) && best.is_none_or(|(p, _)| e.prio > p) {
                    best = Some((e.prio, i));
                }
            }
        }
        let (kind, index, action) = match best {
            Some((_, i)) => {
                let a = self.tcam[i].unwrap().0.action;
                let a = match a {
                    Action::SlowPath { .. } if stale => Action::SlowPath {
                        reason: SlowReason::Stale.bits(),
                    },
                    a => a,
                };
                (HitKind::Rule, i as u32, a)
            }
            None => (
                HitKind::Miss,
                0,
                Action::SlowPath {
                    reason: SlowReason::Miss.bits(),
                },
            ),
        };
        Expected {
            kind,
            index,
            action,
            stale,
            src_local: k.src_local,
            dst_local: k.dst_local,
        }
    }
}
