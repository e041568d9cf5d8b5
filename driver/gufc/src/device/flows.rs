//! The exact-match flow cache: two candidate buckets per key (the hash in gufc-regmap) of W
//! ways each. The driver places entries, and when both buckets are full it frees a way by
//! cuckoo moves. Each move is one FLOW_MOVE command, atomic in the device, so a lookup never
//! misses an entry that is being moved.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::{Caps, Device, DeviceError};
use crate::backend::Bar;
use gufc_regmap::word::{self, FlowFlags, FlowState};
use gufc_regmap::{bucket_pair, reg, Action, DecodeError, InterestMode, Key, Opcode, KEY_WORDS};

/// Most slots the cuckoo search visits before declaring the buckets full.
const SEARCH_LIMIT: usize = 2048;

#[derive(Clone, Debug)]
pub(super) struct Shadow {
    /// Key in each slot; `None` until read back from the device.
    slots: Option<Vec<Option<Key>>>,
    index: FxHashMap<Key, u32>,
    ways: u32,
    log2_buckets: u32,
    capacity: u32,
}

impl Shadow {
    pub(super) fn new(caps: &Caps) -> Self {
        Shadow {
            slots: None,
            index: FxHashMap::default(),
            ways: caps.flow_ways,
            log2_buckets: caps.flow_buckets.trailing_zeros(),
            capacity: caps.flow_slots(),
        }
    }
    pub(super) fn empty(caps: &Caps) -> Self {
        Shadow {
            slots: Some(vec![None; caps.flow_slots() as usize]),
            ..Shadow::new(caps)
        }
    }
    fn buckets(&self, key: &Key) -> (u32, u32) {
        bucket_pair(key, self.log2_buckets)
    }
    fn bucket_slots(&self, b: u32) -> std::ops::Range<u32> {
        b * self.ways..(b + 1) * self.ways
    }
    /// The first empty way of bucket `b1`, then of `b2`.
    fn free_slot(&self, b1: u32, b2: u32) -> Option<u32> {
        let slots = self.slots.as_ref()?;
        self.bucket_slots(b1)
            .chain(self.bucket_slots(b2))
            .find(|&s| slots[s as usize].is_none())
    }
}

/// How an insert found its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FlowInsert {
    /// The slot (bucket * ways + way) the entry now occupies.
    pub slot: u32,
    /// Cuckoo moves it took.
    pub moves: u32,
    /// The key was already cached and its entry was rewritten.
    pub replaced: bool,
}

/// Which packets of a current hit a flow entry still sends to the host (FLOW_INTEREST), each
/// with a slow-path reason naming why: INTEREST_ALL, INTEREST_CTRL, INTEREST_SAMPLE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum FlowInterest {
    /// Full offload.
    #[default]
    None,
    /// Every packet.
    All,
    /// TCP packets with SYN, FIN or RST.
    TcpCtrl,
    /// Every Nth packet by the entry's packet counter (N ≥ 1).
    Sample(u16),
}

impl FlowInterest {
    /// The FLOW_INTEREST word.
    pub fn encode(self) -> word::FlowInterest {
        let (mode, period) = match self {
            FlowInterest::None => (InterestMode::None, 0),
            FlowInterest::All => (InterestMode::EveryPacket, 0),
            FlowInterest::TcpCtrl => (InterestMode::TcpCtrl, 0),
            FlowInterest::Sample(n) => (InterestMode::Sample, n),
        };
        word::FlowInterest::new()
            .with_mode(mode)
            .with_period(period)
    }

    /// The interest of a word the device would hold; any other word is an error naming it.
    pub fn decode(w: word::FlowInterest) -> Result<FlowInterest, DecodeError> {
        Ok(match w.validate()? {
            InterestMode::None => FlowInterest::None,
            InterestMode::EveryPacket => FlowInterest::All,
            InterestMode::TcpCtrl => FlowInterest::TcpCtrl,
            InterestMode::Sample => FlowInterest::Sample(w.period()),
        })
    }
}

impl std::fmt::Display for FlowInterest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowInterest::None => write!(f, "none (full offload)"),
            FlowInterest::All => write!(f, "every packet"),
            FlowInterest::TcpCtrl => write!(f, "TCP SYN/FIN/RST"),
            FlowInterest::Sample(n) => write!(f, "every {n}th packet"),
        }
    }
}

/// A flow entry as read back from the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FlowInfo {
    /// The slot read.
    pub slot: u32,
    /// The flow's key (locality bits clear).
    #[serde(serialize_with = "crate::json::display")]
    pub key: Key,
    /// What a current hit on this entry does.
    #[serde(serialize_with = "crate::json::action")]
    pub action: Action,
    /// The entry ignores the rule-set epoch, so it never goes stale (FLOW_FLAGS.PINNED).
    pub pinned: bool,
    /// The rule-set epoch the entry was made under (FLOW_STATE.EPOCH).
    pub epoch: u8,
    /// Hit since the previous read of this slot; this read cleared it (FLOW_STATE.HIT).
    pub hit: bool,
    /// Epoch is not the current one and not pinned: the rules, not this entry, decide.
    pub stale: bool,
    /// Low 32 bits of the cycle counter at the entry's last hit (FLOW_LAST_HIT).
    pub last_hit: u32,
    /// Which packets of a hit still go to the host.
    pub interest: FlowInterest,
    /// Packets the entry decided (its FLOW counter).
    pub packets: u64,
    /// Bytes of those packets.
    pub bytes: u64,
}

impl<B: Bar> Device<B> {
    fn sync_flows(&mut self) -> Result<(), DeviceError> {
        if self.flows.slots.is_some() {
            return Ok(());
        }
        let mut slots = vec![None; self.flows.capacity as usize];
        let mut index = FxHashMap::default();
        for s in 0..self.flows.capacity {
            if let Some(info) = self.read_flow(s)? {
                slots[s as usize] = Some(info.key);
                index.insert(info.key, s);
            }
        }
        self.flows.slots = Some(slots);
        self.flows.index = index;
        Ok(())
    }

    /// Caches `key` → `action`. A key already cached has its entry rewritten in place.
    /// `pinned` entries ignore rule-set commits; others go stale at the next COMMIT.
    pub fn flow_insert(
        &mut self,
        key: &Key,
        action: Action,
        pinned: bool,
    ) -> Result<FlowInsert, DeviceError> {
        self.flow_insert_with(key, action, pinned, FlowInterest::None)
    }

    /// [`Device::flow_insert`] with the packets the host still wants of the flow.
    pub fn flow_insert_with(
        &mut self,
        key: &Key,
        action: Action,
        pinned: bool,
        interest: FlowInterest,
    ) -> Result<FlowInsert, DeviceError> {
        self.check_interest(interest)?;
        if self.is_v2() && key.ipv6 {
            return Err(DeviceError::InvalidEntry {
                backend: self.bar.name(),
                msg: format!("flow {key}: an IPv6 flow; this RTL 2.0 device classifies IPv4 only"),
            });
        }
        if let Action::Deliver { channel } = action {
            self.check_index("channel", channel as u32, self.caps.channels)?;
        }
        self.sync_flows()?;
        let key = key.flow_part();
        if let Some(&slot) = self.flows.index.get(&key) {
            self.write_flow(slot, &key, action, pinned, interest)?;
            return Ok(FlowInsert {
                slot,
                moves: 0,
                replaced: true,
            });
        }
        let (b1, b2) = self.flows.buckets(&key);
        if let Some(slot) = self.flows.free_slot(b1, b2) {
            self.write_flow(slot, &key, action, pinned, interest)?;
            return Ok(FlowInsert {
                slot,
                moves: 0,
                replaced: false,
            });
        }
        let path = self
            .cuckoo_path(b1, b2)
            .ok_or_else(|| DeviceError::FlowTableFull {
                backend: self.bar.name(),
                key,
                b1,
                b2,
                searched: SEARCH_LIMIT,
            })?;
        // path = [s0, s1, …, free]: move s(k) → s(k+1) from the end backwards, then write s0.
        for w in path.windows(2).rev() {
            self.move_flow(w[0], w[1])?;
        }
        let slot = path[0];
        self.write_flow(slot, &key, action, pinned, interest)?;
        Ok(FlowInsert {
            slot,
            moves: path.len() as u32 - 1,
            replaced: false,
        })
    }

    /// Breadth-first search from the key's two buckets to a free slot; each step moves an
    /// occupant to its other bucket. Returns the chain of slots, the free one last.
    fn cuckoo_path(&self, b1: u32, b2: u32) -> Option<Vec<u32>> {
        let sh = &self.flows;
        let slots = sh.slots.as_ref().unwrap();
        let mut parent: FxHashMap<u32, Option<u32>> = FxHashMap::default();
        let mut queue = VecDeque::new();
        for b in [b1, b2] {
            for s in sh.bucket_slots(b) {
                if parent.insert(s, None).is_none() {
                    queue.push_back(s);
                }
            }
        }
        while let Some(s) = queue.pop_front() {
            if parent.len() > SEARCH_LIMIT {
                break;
            }
            let occupant = slots[s as usize].as_ref().unwrap();
            let (o1, o2) = sh.buckets(occupant);
            let here = s / sh.ways;
            let alt = if here == o1 { o2 } else { o1 };
            for t in sh.bucket_slots(alt) {
                if parent.contains_key(&t) {
                    continue;
                }
                parent.insert(t, Some(s));
                if slots[t as usize].is_none() {
                    let mut path = vec![t];
                    let mut cur = s;
                    path.push(cur);
                    while let Some(Some(p)) = parent.get(&cur) {
                        cur = *p;
                        path.push(cur);
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(t);
            }
        }
        None
    }

    fn write_flow(
        &mut self,
        slot: u32,
        key: &Key,
        action: Action,
        pinned: bool,
        interest: FlowInterest,
    ) -> Result<(), DeviceError> {
        self.stage_words(reg::KEY, &key.words())?;
        self.stage_reg(action.encode())?;
        self.stage_reg(FlowFlags::new().with_pinned(pinned))?;
        self.stage_reg(interest.encode())?;
        self.command(Opcode::FlowWrite, slot)?;
        self.check()?;
        let slots = self.flows.slots.as_mut().unwrap();
        if let Some(old) = slots[slot as usize].replace(*key) {
            self.flows.index.remove(&old);
        }
        self.flows.index.insert(*key, slot);
        Ok(())
    }

    fn move_flow(&mut self, from: u32, to: u32) -> Result<(), DeviceError> {
        self.stage(reg::CMD_ARG, to)?;
        self.command(Opcode::FlowMove, from)?;
        self.check()?;
        let slots = self.flows.slots.as_mut().unwrap();
        let key = slots[from as usize]
            .take()
            .expect("moving an occupied slot");
        slots[to as usize] = Some(key);
        self.flows.index.insert(key, to);
        Ok(())
    }

    /// Removes `key` from the cache.
    pub fn flow_remove(&mut self, key: &Key) -> Result<u32, DeviceError> {
        self.sync_flows()?;
        let key = key.flow_part();
        let slot = self
            .flows
            .index
            .remove(&key)
            .ok_or_else(|| DeviceError::NoSuchFlow {
                backend: self.bar.name(),
                key,
            })?;
        self.command(Opcode::FlowClear, slot)?;
        self.check()?;
        self.flows.slots.as_mut().unwrap()[slot as usize] = None;
        Ok(slot)
    }

    /// The slot caching `key`, or NoSuchFlow.
    fn slot_of(&self, key: &Key) -> Result<u32, DeviceError> {
        let key = key.flow_part();
        self.flows
            .index
            .get(&key)
            .copied()
            .ok_or_else(|| DeviceError::NoSuchFlow {
                backend: self.bar.name(),
                key,
            })
    }

    /// Re-stamps `key`'s entry with the current epoch: after a commit, software that has
    /// re-validated a flow against the new rules makes it current again with one command.
    pub fn flow_touch(&mut self, key: &Key) -> Result<u32, DeviceError> {
        self.sync_flows()?;
        let slot = self.slot_of(key)?;
        self.command(Opcode::FlowTouch, slot)?;
        self.check()?;
        Ok(slot)
    }

    fn check_interest(&self, interest: FlowInterest) -> Result<(), DeviceError> {
        if interest == FlowInterest::Sample(0) {
            return Err(DeviceError::OutOfRange {
                backend: self.bar.name(),
                what: "sample period",
                value: 0,
                limit: 65535,
            });
        }
        Ok(())
    }

    /// Changes which packets of `key`'s entry still go to the host, in one command (a
    /// subscriber changing its mind); the entry's counters and state are kept.
    pub fn flow_set_interest(
        &mut self,
        key: &Key,
        interest: FlowInterest,
    ) -> Result<u32, DeviceError> {
        self.check_interest(interest)?;
        self.sync_flows()?;
        let slot = self.slot_of(key)?;
        self.stage_reg(interest.encode())?;
        self.command(Opcode::FlowSetInterest, slot)?;
        self.check()?;
        Ok(slot)
    }

    /// Reads `key`'s entry back from the device, if cached.
    pub fn flow_lookup(&mut self, key: &Key) -> Result<Option<FlowInfo>, DeviceError> {
        self.sync_flows()?;
        match self.flows.index.get(&key.flow_part()).copied() {
            Some(slot) => self.read_flow(slot),
            None => Ok(None),
        }
    }

    /// Every cached flow, read back from the device.
    pub fn flows(&mut self) -> Result<Vec<FlowInfo>, DeviceError> {
        self.sync_flows()?;
        let mut slots: Vec<u32> = self.flows.index.values().copied().collect();
        slots.sort_unstable();
        let mut out = Vec::with_capacity(slots.len());
        for s in slots {
            out.extend(self.read_flow(s)?);
        }
        Ok(out)
    }

    /// Cached flows according to the driver's shadow (no register access).
    pub fn flow_count(&self) -> Option<usize> {
        self.flows.slots.as_ref().map(|_| self.flows.index.len())
    }

    /// Reads slot `slot` (FLOW_READ clears its hit bit); `None` if it is empty.
    pub fn read_flow(&mut self, slot: u32) -> Result<Option<FlowInfo>, DeviceError> {
        self.check_index("flow slot", slot, self.flows.capacity)?;
        self.command(Opcode::FlowRead, slot)?;
        self.forget_staged();
        let state: FlowState = self.read_reg()?;
        if !state.valid() {
            return Ok(None);
        }
        let mut words = [0u32; KEY_WORDS];
        for (i, w) in words.iter_mut().enumerate() {
            *w = self.read(reg::KEY + 4 * i as u32)?;
        }
        let a: word::Action = self.read_reg()?;
        let flags: FlowFlags = self.read_reg()?;
        let last_hit = self.read(reg::FLOW_LAST_HIT)?;
        let iw: word::FlowInterest = self.read_reg()?;
        let c = self.counter(super::CounterSpace::Flow, slot)?;
        self.check()?;
        let invalid = |error: DecodeError| DeviceError::InvalidEntry {
            backend: self.bar.name(),
            msg: format!("flow slot {slot}: {error}"),
        };
        Ok(Some(FlowInfo {
            slot,
            key: Key::from_words(&words),
            action: Action::decode(a).map_err(invalid)?,
            pinned: flags.pinned(),
            epoch: state.epoch(),
            hit: state.hit(),
            stale: state.stale(),
            last_hit,
            interest: FlowInterest::decode(iw).map_err(invalid)?,
            packets: c.packets,
            bytes: c.bytes,
        }))
    }
}
