//! The slow path: consumes the packets the host receives that no current flow entry decided,
//! tracks their connections, asks the device's rules what a new connection gets, caches
//! accepted connections (both directions, or neither), re-validates cached flows after rule
//! changes, ages them out and hands their final counters to the subscribers.

use gufc_regmap::word::TcpFlags;
use gufc_regmap::{bucket_pair, Action, HitKind, Key, LookupResult, SlowReason};

use crate::aging::Timeouts;
use crate::conntrack::{
    self, advance, opens, Conn, Decision, Dir, DirCounters, Offload, State, Table, TcpState,
};
use crate::interest::{HwInterest, Interest};
use crate::stats::{reason_name, SlowPathStats};
use crate::subscriber::{ConnEnd, EndReason, HostPacket, Subscriber};
use gufc::backend::Bar;
use gufc::device::{Device, DeviceError};

/// What to do when both candidate buckets of a new flow are full (and cuckoo moves found no
/// room).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Eviction {
    /// Leave the connection uncached and count the refusal (the default).
    Refuse,
    /// Evict the connection whose entries in those buckets were idle longest.
    EvictIdlest,
}

/// How the slow path decides, ages and caches (defaults: docs/flow-life.md).
#[derive(Clone, Debug)]
pub struct Config {
    /// Slow-path reason by which rules say "a new connection: conntrack decides".
    pub learn_reason: u8,
    /// Channel of connections accepted under `learn_reason`.
    pub accept_channel: u8,
    /// Channel for connections no rule matched (reason MISS); `None` rejects them.
    pub miss_channel: Option<u8>,
    /// Idle timeouts by protocol and state.
    pub timeouts: Timeouts,
    /// What to do when a new flow's buckets are full.
    pub eviction: Eviction,
    /// After a refused insert, the connection is retried no sooner than this (host ns).
    pub refuse_retry_ns: u64,
    /// The device's flow entries carry an interest (FLOW_INTEREST); without it a connection
    /// that some subscriber needs packets of is not cached at all.
    pub hw_interest: bool,
    /// Connections one sweep examines at most (a cursor continues where the last stopped),
    /// which bounds the register accesses of a sweep to about 40 per connection.
    pub sweep_budget: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            learn_reason: 16,
            accept_channel: 0,
            miss_channel: None,
            timeouts: Timeouts::default(),
            eviction: Eviction::Refuse,
            refuse_retry_ns: 1_000_000_000,
            hw_interest: false,
            sweep_budget: 2048,
        }
    }
}

/// What the host did with a packet it received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HostVerdict {
    /// Passed on to this channel's consumer.
    Forward {
        /// The connection's channel.
        channel: u8,
    },
    /// Kept by the host (the rules want every packet there).
    Consume,
    /// Discarded: the connection was rejected or removed by a rule change, or the packet
    /// belongs to no connection and no rule delivers it.
    Drop,
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Connections looked at (at most [`Config::sweep_budget`]).
    pub examined: u64,
    /// Connections ended by their idle or closed timeout.
    pub expired: u64,
    /// Stale cached connections re-validated with a PROBE of the new rules.
    pub revalidated: u64,
    /// Connections whose refused insert was retried and now are cached.
    pub readmitted: u64,
}

/// The host's slow path: the connection table, the subscribers and the counters. It drives
/// the device through the ordinary [`Device`] API ([`SlowPath::handle`] per host packet,
/// [`SlowPath::sweep`] now and then).
pub struct SlowPath {
    /// How it decides, ages and caches.
    pub cfg: Config,
    /// The tracked connections.
    pub table: Table,
    subs: Vec<Box<dyn Subscriber>>,
    /// Everything it did, counted.
    pub stats: SlowPathStats,
    /// The next connection id a sweep examines.
    sweep_cursor: u64,
}

impl SlowPath {
    /// A slow path with no connections and no subscribers.
    pub fn new(cfg: Config) -> SlowPath {
        SlowPath {
            cfg,
            table: Table::default(),
            subs: Vec::new(),
            stats: SlowPathStats::default(),
            sweep_cursor: 0,
        }
    }

    /// Registers a subscriber; it is asked about every tuple cached from now on.
    pub fn subscribe(&mut self, s: Box<dyn Subscriber>) -> usize {
        self.subs.push(s);
        for c in self.table.conns.values_mut() {
            c.interests.push([Interest::Nothing; 2]);
        }
        self.subs.len() - 1
    }

    /// The subscribers, in registration order (the index [`SlowPath::subscribe`] returned).
    pub fn subscribers(&self) -> &[Box<dyn Subscriber>] {
        &self.subs
    }

    /// The subscribers that get packet `pkt` of connection `c` when the entry's interest sends
    /// it to the host (`nth` = how many such packets of this direction the host received).
    pub fn recipients(&self, c: &Conn, d: Dir, tcp_flags: u8, nth: u64) -> Vec<&str> {
        let ctrl = TcpFlags::from_raw(tcp_flags as u32).ctrl() && c.is_tcp();
        self.subs
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                c.interests
                    .get(*i)
                    .is_some_and(|x| x[d.index()].wants(ctrl, flow_index(c, d, nth)))
            })
            .map(|(_, s)| s.name())
            .collect()
    }

    /// The action of the rule behind `r` as the device holds it (a stale hit reports reason
    /// STALE in place of the rule's own reason, so slow-path rules are read back).
    fn rule_action<B: Bar>(
        &self,
        dev: &mut Device<B>,
        r: &LookupResult,
    ) -> Result<Action, DeviceError> {
        match (r.kind, r.action) {
            (HitKind::Rule, Action::SlowPath { .. }) if r.stale => {
                Ok(dev.read_entry(r.index)?.0.action)
            }
            (HitKind::Miss, _) => Ok(Action::SlowPath {
                reason: SlowReason::Miss.bits(),
            }),
            (_, a) => Ok(a),
        }
    }

    fn decision(&self, a: Action) -> Option<Decision> {
        match a {
            Action::Deliver { channel } => Some(Decision::Accept { channel }),
            Action::SlowPath { reason } if reason == self.cfg.learn_reason => {
                Some(Decision::Accept {
                    channel: self.cfg.accept_channel,
                })
            }
            Action::SlowPath { reason } if reason == SlowReason::Miss.bits() => self
                .cfg
                .miss_channel
                .map(|channel| Decision::Accept { channel }),
            Action::SlowPath { reason } => Some(Decision::HostOnly { reason }),
            Action::Drop => None,
        }
    }

    /// Handles one packet the host received (anything but a flow entry's DELIVER or DROP,
    /// which the host never sees).
    pub fn handle<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        pkt: &HostPacket,
    ) -> Result<HostVerdict, DeviceError> {
        let io0 = dev.io_stats();
        let v = self.handle_inner(dev, pkt);
        let io = dev.io_stats();
        self.stats.register_reads += io.reads - io0.reads;
        self.stats.register_writes += io.writes - io0.writes;
        v
    }

    fn handle_inner<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        pkt: &HostPacket,
    ) -> Result<HostVerdict, DeviceError> {
        let r = &pkt.result;
        self.stats.packets += 1;
        match r.action {
            Action::SlowPath { reason } => {
                SlowPathStats::bump(&mut self.stats.punts, &reason_name(reason))
            }
            Action::Deliver { .. } => self.stats.rule_delivered += 1,
            Action::Drop => {}
        }
        let key = pkt.key.flow_part();
        let now = pkt.ts_ns;
        let Some((id, d)) = self.table.find(&key) else {
            return self.first_packet(dev, pkt);
        };
        let interest_punt = r.kind == HitKind::Flow;
        let closed = {
            let c = self.table.get_mut(id).unwrap();
            if r.kind != HitKind::Flow {
                c.host[d.index()].add(1, pkt.len as u64);
            }
            c.last_active_ns = now;
            advance(c, d, pkt.tcp_flags);
            c.state == State::Tcp(TcpState::Closed)
        };
        // The packet goes to the subscribers: all of them before caching, the interested
        // ones afterwards.
        let c = self.table.get(id).unwrap();
        if interest_punt {
            let nth = c.interest_seen[d.index()] + 1;
            let ctrl = TcpFlags::from_raw(pkt.tcp_flags as u32).ctrl() && c.is_tcp();
            let c = c.clone();
            for (i, s) in self.subs.iter_mut().enumerate() {
                if c.interests[i][d.index()].wants(ctrl, flow_index(&c, d, nth)) {
                    s.on_packet(Some(&c), pkt);
                }
            }
            self.table.get_mut(id).unwrap().interest_seen[d.index()] = nth;
        } else {
            let c = c.clone();
            for s in self.subs.iter_mut() {
                s.on_packet(Some(&c), pkt);
            }
        }
        self.apply_changes(dev)?;
        if r.stale {
            let a = self.rule_action(dev, r)?;
            self.revalidate(dev, id, a, now)?;
        }
        let Some(c) = self.table.get(id) else {
            return Ok(HostVerdict::Drop); // removed by the rule change
        };
        let decision = c.decision;
        if closed {
            self.retire(dev, id)?;
        } else if c.state.learnable() && matches!(decision, Decision::Accept { .. }) {
            let retry = match c.offload {
                Offload::No => true,
                Offload::Refused { retry_ns } => now >= retry_ns,
                Offload::Cached => false,
            };
            if retry {
                self.offload(dev, id, now)?;
            }
        }
        Ok(match decision {
            Decision::Accept { channel } => HostVerdict::Forward { channel },
            Decision::HostOnly { .. } => HostVerdict::Consume,
        })
    }

    fn first_packet<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        pkt: &HostPacket,
    ) -> Result<HostVerdict, DeviceError> {
        let key = pkt.key.flow_part();
        let rule = self.rule_action(dev, &pkt.result)?;
        if !opens(&key, pkt.tcp_flags) {
            self.stats.untracked += 1;
            for s in self.subs.iter_mut() {
                s.on_packet(None, pkt);
            }
            self.apply_changes(dev)?;
            return Ok(match self.decision(rule) {
                Some(Decision::Accept { channel }) if matches!(rule, Action::Deliver { .. }) => {
                    HostVerdict::Forward { channel }
                }
                Some(Decision::HostOnly { .. }) => HostVerdict::Consume,
                _ => HostVerdict::Drop,
            });
        }
        let Some(decision) = self.decision(rule) else {
            let cause = match rule {
                Action::SlowPath { reason } => reason_name(reason),
                _ => "drop".into(),
            };
            SlowPathStats::bump(&mut self.stats.rejected, &cause);
            for s in self.subs.iter_mut() {
                s.on_packet(None, pkt);
            }
            self.apply_changes(dev)?;
            return Ok(HostVerdict::Drop);
        };
        let id = self
            .table
            .open(&key, decision, pkt.ts_ns, self.subs.len())
            .expect("opens() checked the key");
        self.stats.new_connections += 1;
        let c = self.table.get_mut(id).unwrap();
        c.host[0].add(1, pkt.len as u64);
        advance(c, Dir::Orig, pkt.tcp_flags);
        let c = c.clone();
        for s in self.subs.iter_mut() {
            s.on_packet(Some(&c), pkt);
        }
        self.apply_changes(dev)?;
        Ok(match decision {
            Decision::Accept { channel } => HostVerdict::Forward { channel },
            Decision::HostOnly { .. } => HostVerdict::Consume,
        })
    }

    /// Writes one direction's entry.
    fn install<B: Bar>(
        &self,
        dev: &mut Device<B>,
        key: &Key,
        action: Action,
        hw: HwInterest,
    ) -> Result<(), DeviceError> {
        if self.cfg.hw_interest {
            dev.flow_insert_with(key, action, false, hw.to_device())?;
        } else {
            debug_assert_eq!(
                hw,
                HwInterest::None,
                "offload() keeps such connections uncached"
            );
            dev.flow_insert(key, action, false)?;
        }
        Ok(())
    }

    /// Caches both directions of an accepted connection, or neither.
    fn offload<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        id: u64,
        now: u64,
    ) -> Result<(), DeviceError> {
        let Some(c) = self.table.get(id) else {
            return Ok(());
        };
        let Decision::Accept { channel } = c.decision else {
            return Ok(());
        };
        if !c.asked {
            let snapshot = c.clone();
            let mut answers = vec![[Interest::Nothing; 2]; self.subs.len()];
            for d in [Dir::Orig, Dir::Reply] {
                for (i, s) in self.subs.iter_mut().enumerate() {
                    answers[i][d.index()] = s.on_cache(&snapshot, d);
                }
            }
            let c = self.table.get_mut(id).unwrap();
            c.interests = answers;
            c.asked = true;
        }
        let c = self.table.get_mut(id).unwrap();
        let hw = [0, 1].map(|d| HwInterest::combine(c.interests.iter().map(|a| a[d])));
        c.hw_interest = hw;
        if !self.cfg.hw_interest && hw != [HwInterest::None; 2] {
            // The device cannot select packets per flow: keep the connection uncached so
            // the subscribers get what they asked for.
            SlowPathStats::bump(&mut self.stats.refused_inserts, "interest_needs_packets");
            c.offload = Offload::Refused { retry_ns: u64::MAX };
            return Ok(());
        }
        let keys = c.keys;
        let action = Action::Deliver { channel };
        let mut evicted = false;
        loop {
            match self.install_pair(dev, &keys, action, hw) {
                Ok(()) => break,
                Err(DeviceError::FlowTableFull { key, .. }) => {
                    if self.cfg.eviction == Eviction::EvictIdlest
                        && !evicted
                        && self.evict_idlest(dev, &key, id, now)?
                    {
                        evicted = true;
                        continue;
                    }
                    SlowPathStats::bump(&mut self.stats.refused_inserts, "table_full");
                    self.table.get_mut(id).unwrap().offload = Offload::Refused {
                        retry_ns: now + self.cfg.refuse_retry_ns,
                    };
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        let c = self.table.get_mut(id).unwrap();
        c.offload = Offload::Cached;
        if !c.learned {
            c.learned = true;
            self.stats.flows_learned += 1;
        }
        Ok(())
    }

    fn install_pair<B: Bar>(
        &self,
        dev: &mut Device<B>,
        keys: &[Key; 2],
        action: Action,
        hw: [HwInterest; 2],
    ) -> Result<(), DeviceError> {
        self.install(dev, &keys[0], action, hw[0])?;
        if let Err(e) = self.install(dev, &keys[1], action, hw[1]) {
            dev.flow_remove(&keys[0])?; // never half a connection
            return Err(e);
        }
        Ok(())
    }

    /// Frees room for `key` by ending the idlest connection with an entry in its buckets.
    fn evict_idlest<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        key: &Key,
        keep: u64,
        now: u64,
    ) -> Result<bool, DeviceError> {
        let caps = dev.caps().clone();
        let (b1, b2) = bucket_pair(&key.flow_part(), caps.flow_buckets.trailing_zeros());
        let mut best: Option<(u64, u64)> = None; // (last active, id)
        for b in [b1, b2] {
            for slot in b * caps.flow_ways..(b + 1) * caps.flow_ways {
                let Some(info) = dev.read_flow(slot)? else {
                    continue;
                };
                let Some((id, _)) = self.table.find(&info.key) else {
                    continue;
                };
                if id == keep {
                    continue;
                }
                let c = self.table.get_mut(id).unwrap();
                if info.hit {
                    c.last_active_ns = now;
                }
                if best.is_none_or(|(t, _)| c.last_active_ns < t) {
                    best = Some((c.last_active_ns, id));
                }
            }
        }
        match best {
            Some((_, id)) => {
                self.end(dev, id, EndReason::Evicted)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Removes a connection's entries, keeping their final counters.
    fn retire<B: Bar>(&mut self, dev: &mut Device<B>, id: u64) -> Result<(), DeviceError> {
        let Some(c) = self.table.get(id) else {
            return Ok(());
        };
        if c.offload != Offload::Cached {
            return Ok(());
        }
        let keys = c.keys;
        let mut got = [DirCounters::default(); 2];
        for d in 0..2 {
            if let Some(info) = dev.flow_lookup(&keys[d])? {
                got[d].add(info.packets, info.bytes);
                dev.flow_remove(&keys[d])?;
            }
        }
        let c = self.table.get_mut(id).unwrap();
        for (r, g) in c.hw_retired.iter_mut().zip(got) {
            r.add(g.packets, g.bytes);
        }
        c.offload = Offload::No;
        Ok(())
    }

    /// Ends a connection: entries removed, final counters to every subscriber.
    pub fn end<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        id: u64,
        reason: EndReason,
    ) -> Result<(), DeviceError> {
        self.retire(dev, id)?;
        let Some(c) = self.table.remove(id) else {
            return Ok(());
        };
        let end = ConnEnd {
            reason,
            cached: c.hw_retired,
            host: c.host,
        };
        for s in self.subs.iter_mut() {
            s.on_end(&c, &end);
        }
        SlowPathStats::bump(&mut self.stats.ended, reason.name());
        Ok(())
    }

    /// A cached connection met the rules of a newer epoch, which say `a` for it.
    fn revalidate<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        id: u64,
        a: Action,
        now: u64,
    ) -> Result<(), DeviceError> {
        let Some(c) = self.table.get(id) else {
            return Ok(());
        };
        let (keys, cached, old) = (c.keys, c.offload == Offload::Cached, c.decision);
        match self.decision(a) {
            None => {
                self.stats.revalidated_removed += 1;
                self.end(dev, id, EndReason::RuleChange)?;
            }
            Some(d) if d == old => {
                if cached {
                    for k in &keys {
                        dev.flow_touch(k)?;
                    }
                    self.stats.revalidated_touched += 1;
                }
            }
            Some(d @ Decision::Accept { .. }) => {
                self.retire(dev, id)?;
                self.table.get_mut(id).unwrap().decision = d;
                if cached {
                    self.stats.revalidated_rewritten += 1;
                    self.offload(dev, id, now)?;
                }
            }
            Some(d @ Decision::HostOnly { .. }) => {
                self.retire(dev, id)?;
                self.table.get_mut(id).unwrap().decision = d;
                self.stats.revalidated_removed += 1;
            }
        }
        Ok(())
    }

    /// A subscriber changes its interest in the connection one of whose keys is `key`; the
    /// cached entries are updated, each in one command.
    pub fn set_interest<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        key: &Key,
        sub: usize,
        interest: Interest,
    ) -> Result<bool, DeviceError> {
        let Some((id, _)) = self.table.find(key) else {
            return Ok(false);
        };
        let c = self.table.get_mut(id).unwrap();
        if sub >= c.interests.len() {
            return Ok(false);
        }
        c.interests[sub] = [interest; 2];
        let hw = [0, 1].map(|d| HwInterest::combine(c.interests.iter().map(|a| a[d])));
        if hw == c.hw_interest {
            return Ok(true);
        }
        c.hw_interest = hw;
        let (keys, offload) = (c.keys, c.offload);
        match offload {
            Offload::Cached if self.cfg.hw_interest => {
                for (k, h) in keys.iter().zip(hw) {
                    dev.flow_set_interest(k, h.to_device())?;
                }
                self.stats.interest_changes += 1;
            }
            Offload::Cached if hw != [HwInterest::None; 2] => {
                // Without per-flow interest in hardware, needing packets means not caching.
                self.retire(dev, id)?;
                self.table.get_mut(id).unwrap().offload = Offload::Refused { retry_ns: u64::MAX };
                self.stats.interest_changes += 1;
            }
            Offload::Refused { retry_ns: u64::MAX } if hw == [HwInterest::None; 2] => {
                self.table.get_mut(id).unwrap().offload = Offload::No;
                self.stats.interest_changes += 1;
            }
            _ => {}
        }
        Ok(true)
    }

    fn apply_changes<B: Bar>(&mut self, dev: &mut Device<B>) -> Result<(), DeviceError> {
        for i in 0..self.subs.len() {
            for ch in self.subs[i].take_changes() {
                self.set_interest(dev, &ch.key, i, ch.interest)?;
            }
        }
        Ok(())
    }

    /// The background pass over the next [`Config::sweep_budget`] connections: reads each
    /// cached connection's entries (their hit bits tell activity the host never saw),
    /// re-validates stale ones against the device's rules with one PROBE each, re-admits
    /// connections whose insert was refused, and ends connections idle beyond their timeout
    /// with their final counters. Costs about 40 register accesses per cached connection.
    pub fn sweep<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        now: u64,
    ) -> Result<SweepReport, DeviceError> {
        let io0 = dev.io_stats();
        let r = self.sweep_inner(dev, now);
        let io = dev.io_stats();
        self.stats.register_reads += io.reads - io0.reads;
        self.stats.register_writes += io.writes - io0.writes;
        r
    }

    fn sweep_inner<B: Bar>(
        &mut self,
        dev: &mut Device<B>,
        now: u64,
    ) -> Result<SweepReport, DeviceError> {
        let mut rep = SweepReport::default();
        let epoch = dev.status()?.epoch();
        let ids = self.table.ids();
        let start = ids.partition_point(|&i| i < self.sweep_cursor);
        let take = self.cfg.sweep_budget.max(1).min(ids.len());
        let batch: Vec<u64> = ids.iter().cycle().skip(start).take(take).copied().collect();
        self.sweep_cursor = match ids.get(start + take) {
            Some(&next) => next,
            None => ids
                .get((start + take) % ids.len().max(1))
                .copied()
                .unwrap_or(0),
        };
        for id in batch {
            rep.examined += 1;
            let Some(c) = self.table.get(id) else {
                continue;
            };
            let (keys, offload) = (c.keys, c.offload);
            if offload == Offload::Cached {
                let mut stale = false;
                let mut present = 0;
                for k in &keys {
                    if let Some(info) = dev.flow_lookup(k)? {
                        present += 1;
                        if info.hit {
                            self.table.get_mut(id).unwrap().last_active_ns = now;
                        }
                        stale |= !info.pinned && info.epoch != epoch;
                    }
                }
                if present < 2 {
                    self.retire(dev, id)?;
                } else if stale {
                    let p = dev.probe(&keys[0], 64)?;
                    let r = LookupResult {
                        action: p.action,
                        kind: p.kind,
                        index: p.index,
                        stale: p.stale,
                        src_local: p.src_local,
                        dst_local: p.dst_local,
                        len: 64,
                        tag: 0,
                    };
                    let a = self.rule_action(dev, &r)?;
                    self.revalidate(dev, id, a, now)?;
                    rep.revalidated += 1;
                }
            }
            let Some(c) = self.table.get(id) else {
                continue;
            };
            if let Offload::Refused { retry_ns } = c.offload {
                if now >= retry_ns && c.state.learnable() {
                    self.offload(dev, id, now)?;
                    if self
                        .table
                        .get(id)
                        .is_some_and(|c| c.offload == Offload::Cached)
                    {
                        rep.readmitted += 1;
                    }
                }
            }
            let Some(c) = self.table.get(id) else {
                continue;
            };
            if now.saturating_sub(c.last_active_ns) > self.cfg.timeouts.idle_ns(c.proto(), c.state)
            {
                let reason = if c.state == State::Tcp(TcpState::Closed) {
                    EndReason::Closed
                } else {
                    EndReason::Idle
                };
                self.end(dev, id, reason)?;
                rep.expired += 1;
            }
        }
        Ok(rep)
    }

    /// Ends every connection (final counters to the subscribers).
    pub fn shutdown<B: Bar>(&mut self, dev: &mut Device<B>) -> Result<(), DeviceError> {
        for id in self.table.ids() {
            self.end(dev, id, EndReason::Shutdown)?;
        }
        Ok(())
    }

    /// Connection and direction of a key, if tracked.
    pub fn lookup(&self, key: &Key) -> Option<(&Conn, Dir)> {
        let (id, d) = self.table.find(key)?;
        Some((self.table.get(id)?, d))
    }
}

/// The packet number within the flow entry of the `nth` packet the host received for
/// interest: with the entry sampling every g-th packet, the nth sample is packet n·g.
fn flow_index(c: &Conn, d: Dir, nth: u64) -> u64 {
    match c.hw_interest[d.index()] {
        HwInterest::Sample(g) => nth * g as u64,
        _ => nth,
    }
}

/// Re-exported for callers that build keys for [`SlowPath::lookup`].
pub use conntrack::reply_key;
