//! Rule-set transactions. The TCAM holds two rule planes; an entry belongs to either or both.
//! A new rule set is staged in the inactive plane (reusing identical entries, which keep their
//! counters), checked, and then made live by one COMMIT write: every packet is classified
//! entirely by the old or entirely by the new set. A failure before COMMIT is rolled back, so
//! the live set never changes on error.

use std::collections::HashMap;

use super::{Device, DeviceError};
use crate::backend::Bar;
use gufc_regmap::word::{self, DportRange, Meta, Planes, Prio, SportRange};
use gufc_regmap::{key, reg, Action, Opcode, TcamEntry, KEY_WORDS};

/// The driver's view of the TCAM: each entry's content and plane bits.
#[derive(Clone, Debug)]
pub(super) struct Shadow {
    /// `None` until read back from the device.
    pub(super) slots: Option<Vec<(TcamEntry, u8)>>,
    pub(super) capacity: u32,
}

impl Shadow {
    pub(super) fn new(capacity: u32) -> Self {
        Shadow {
            slots: None,
            capacity,
        }
    }
    pub(super) fn empty(capacity: u32) -> Self {
        let blank = TcamEntry::match_all(0, Action::Drop);
        Shadow {
            slots: Some(vec![(blank, 0); capacity as usize]),
            capacity,
        }
    }
}

/// One change in a [`Transaction`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// Adds an entry; no entry with the same match and priority may exist.
    Insert(TcamEntry),
    /// Removes the entry with this match and priority (the action is ignored).
    Delete(TcamEntry),
    /// Changes the action of the entry with this match and priority.
    Modify(TcamEntry),
}

/// The outcome of one update, in the order the updates were staged (P4Runtime style).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateStatus {
    /// Applied (or, if another update failed, would have been).
    Ok,
    /// An insert of an entry whose match and priority are already in the set.
    AlreadyExists,
    /// A delete or modify of an entry that is not in the set.
    NotFound,
    /// An entry the device cannot hold, and why.
    InvalidArgument(String),
    /// Valid, but not applied because another update in the batch failed.
    Aborted,
}

/// What a commit did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CommitReport {
    /// Entries in the new rule set.
    pub entries: usize,
    /// Entries written fresh.
    pub written: usize,
    /// Entries carried over unchanged (they keep their counters).
    pub kept: usize,
    /// Entries of the old set freed after the commit.
    pub freed: usize,
    /// Register writes the whole update took.
    pub register_writes: u64,
    /// Register reads the whole update took.
    pub register_reads: u64,
    /// The rule-set epoch after the commit.
    pub epoch: u8,
    /// TCAM index of each entry written or kept: in the order given on 1.x; on 2.0 in decision
    /// order, a rule's range expansion one entry each.
    #[serde(skip)]
    pub placement: Vec<u32>,
    /// For each `placement`, the given entry it came from (on 1.x, its own position).
    #[serde(skip)]
    pub sources: Vec<usize>,
}

/// Why a [`Transaction`] changed nothing: one status per update, and the error.
#[derive(Debug)]
pub struct TransactionError {
    /// One per update, in order; `Aborted` for all if the device failed before checking them.
    pub statuses: Vec<UpdateStatus>,
    /// The failure: `UpdateFailed` if some update was refused, else what the device did.
    pub error: Box<DeviceError>,
}

impl std::fmt::Display for TransactionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for TransactionError {}

fn abort(statuses: Vec<UpdateStatus>, error: DeviceError) -> TransactionError {
    TransactionError {
        statuses,
        error: Box::new(error),
    }
}

/// A batch of updates applied atomically by [`Transaction::commit`].
pub struct Transaction<'d, B: Bar> {
    dev: &'d mut Device<B>,
    updates: Vec<Update>,
}

impl<'d, B: Bar> Transaction<'d, B> {
    /// Adds `e` to the batch as an [`Update::Insert`].
    pub fn insert(&mut self, e: TcamEntry) -> &mut Self {
        self.updates.push(Update::Insert(e));
        self
    }
    /// Adds an [`Update::Delete`] of the entry with `e`'s match and priority.
    pub fn delete(&mut self, e: TcamEntry) -> &mut Self {
        self.updates.push(Update::Delete(e));
        self
    }
    /// Adds an [`Update::Modify`]: the entry with `e`'s match and priority gets `e`'s action.
    pub fn modify(&mut self, e: TcamEntry) -> &mut Self {
        self.updates.push(Update::Modify(e));
        self
    }

    /// Applies every update or none. On success returns one `Ok` per update and the report;
    /// on failure the live rule set is unchanged and the statuses say which updates failed.
    pub fn commit(self) -> Result<(Vec<UpdateStatus>, CommitReport), TransactionError> {
        let dev = self.dev;
        let live = match dev.live_entries() {
            Ok(l) => l,
            Err(e) => return Err(abort(vec![UpdateStatus::Aborted; self.updates.len()], e)),
        };
        // Identity of an entry: everything but the action.
        let ident = |e: &TcamEntry| TcamEntry {
            action: Action::Drop,
            ..*e
        };
        let mut set: Vec<Option<TcamEntry>> = live.into_iter().map(Some).collect();
        let mut by_ident: HashMap<TcamEntry, usize> = set
            .iter()
            .enumerate()
            .map(|(i, e)| (ident(e.as_ref().unwrap()), i))
            .collect();
        let mut statuses = Vec::with_capacity(self.updates.len());
        for u in &self.updates {
            let status = match u {
                Update::Insert(e) | Update::Modify(e) if dev.validate(e).is_err() => {
                    UpdateStatus::InvalidArgument(dev.validate(e).unwrap_err())
                }
                Update::Insert(e) => match by_ident.get(&ident(e)) {
                    Some(_) => UpdateStatus::AlreadyExists,
                    None => {
                        by_ident.insert(ident(e), set.len());
                        set.push(Some(*e));
                        UpdateStatus::Ok
                    }
                },
                Update::Modify(e) => match by_ident.get(&ident(e)) {
                    Some(&i) => {
                        set[i] = Some(*e);
                        UpdateStatus::Ok
                    }
                    None => UpdateStatus::NotFound,
                },
                Update::Delete(e) => match by_ident.remove(&ident(e)) {
                    Some(i) => {
                        set[i] = None;
                        UpdateStatus::Ok
                    }
                    None => UpdateStatus::NotFound,
                },
            };
            statuses.push(status);
        }
        let failed = statuses.iter().filter(|s| **s != UpdateStatus::Ok).count();
        if failed > 0 {
            let first = statuses
                .iter()
                .position(|s| *s != UpdateStatus::Ok)
                .unwrap();
            let err = DeviceError::UpdateFailed {
                backend: dev.bar.name(),
                failed,
                total: statuses.len(),
                first: format!(
                    "update {} ({:?}): {:?}",
                    first, self.updates[first], statuses[first]
                ),
            };
            let statuses = statuses
                .into_iter()
                .map(|s| {
                    if s == UpdateStatus::Ok {
                        UpdateStatus::Aborted
                    } else {
                        s
                    }
                })
                .collect();
            return Err(abort(statuses, err));
        }
        let new: Vec<TcamEntry> = set.into_iter().flatten().collect();
        match dev.replace_rules(&new) {
            Ok(r) => Ok((statuses, r)),
            Err(e) => Err(abort(vec![UpdateStatus::Aborted; statuses.len()], e)),
        }
    }
}

impl<B: Bar> Device<B> {
    /// Starts a batch of rule updates against the live rule set.
    pub fn transaction(&mut self) -> Transaction<'_, B> {
        Transaction {
            dev: self,
            updates: Vec::new(),
        }
    }

    /// Checks an entry against the device's limits before anything is written.
    pub fn validate(&self, e: &TcamEntry) -> Result<(), String> {
        if let Action::Deliver { channel } = e.action {
            if channel as u32 >= self.caps.channels {
                return Err(format!(
                    "channel {channel} >= the device's {} channels",
                    self.caps.channels
                ));
            }
        }
        if e.sport.0 > e.sport.1 || e.dport.0 > e.dport.1 {
            return Err(format!("inverted port range {:?} / {:?}", e.sport, e.dport));
        }
        if (0..KEY_WORDS).any(|i| e.value[i] & !e.mask[i] != 0) {
            return Err("value has bits outside its mask".into());
        }
        let m = key::META;
        if Meta::decode(e.value[m] | e.mask[m]).is_err() {
            return Err("reserved META bits set".into());
        }
        let (fv, fm) = e.tcp_flags;
        if fv & !fm != 0 {
            return Err(format!(
                "TCP flags value {fv:#04x} has bits outside its mask {fm:#04x}"
            ));
        }
        match self.caps.rules {
            // The 1.x key has no flags: refuse rather than match more packets than asked.
            None if fm != 0 => {
                return Err(format!(
                    "matches TCP flags (mask {fm:#04x}); an RTL 1.x device has none (RTL 2.0 only)"
                ))
            }
            Some(rc) if u32::from(fm).checked_shr(rc.flag_bits).unwrap_or(0) != 0 => {
                return Err(format!(
                    "matches TCP flags mask {fm:#04x}; the device matches only the low {} flag bits",
                    rc.flag_bits
                ))
            }
            _ => {}
        }
        Ok(())
    }

    /// Reads back (once) every TCAM entry's planes, and the content of used ones.
    fn sync_tcam(&mut self) -> Result<(), DeviceError> {
        if self.tcam.slots.is_some() {
            return Ok(());
        }
        let mut slots = Vec::with_capacity(self.tcam.capacity as usize);
        for i in 0..self.tcam.capacity {
            slots.push(self.read_entry(i)?);
        }
        self.tcam.slots = Some(slots);
        Ok(())
    }

    /// Reads entry `index` through TCAM_READ: its content and plane bits.
    pub fn read_entry(&mut self, index: u32) -> Result<(TcamEntry, u8), DeviceError> {
        self.check_index("TCAM index", index, self.caps.tcam_entries)?;
        self.command(Opcode::TcamRead, index)?;
        self.forget_staged();
        let planes = self.read_reg::<Planes>()?.planes();
        let mut e = TcamEntry::match_all(0, Action::Drop);
        if planes != 0 {
            for i in 0..KEY_WORDS as u32 {
                e.value[i as usize] = self.read(reg::KEY + 4 * i)?;
                e.mask[i as usize] = self.read(reg::MASK + 4 * i)?;
            }
            e.sport = self.read_reg::<SportRange>()?.bounds();
            e.dport = self.read_reg::<DportRange>()?.bounds();
            e.prio = self.read_reg::<Prio>()?.prio();
            let a: word::Action = self.read_reg()?;
            e.action = Action::decode(a).map_err(|error| DeviceError::InvalidEntry {
                backend: self.bar.name(),
                msg: format!("TCAM entry {index}: {error}"),
            })?;
        }
        self.check()?;
        Ok((e, planes))
    }

    pub(crate) fn check_index(
        &self,
        what: &'static str,
        value: u32,
        limit: u32,
    ) -> Result<(), DeviceError> {
        if value >= limit {
            return Err(DeviceError::OutOfRange {
                backend: self.bar.name(),
                what,
                value: value as u64,
                limit: limit as u64,
            });
        }
        Ok(())
    }

    fn active_plane(&mut self) -> Result<u8, DeviceError> {
        Ok(self.status()?.active_plane() as u8)
    }

    /// The live rule set with each entry's TCAM index, in index order.
    pub fn live_rules(&mut self) -> Result<Vec<(u32, TcamEntry)>, DeviceError> {
        self.sync_tcam()?;
        let bit = 1u8 << self.active_plane()?;
        let slots = self.tcam.slots.as_ref().unwrap();
        Ok((0..slots.len())
            .filter(|&i| slots[i].1 & bit != 0)
            .map(|i| (i as u32, slots[i].0))
            .collect())
    }

    fn live_entries(&mut self) -> Result<Vec<TcamEntry>, DeviceError> {
        Ok(self.live_rules()?.into_iter().map(|(_, e)| e).collect())
    }

    pub(super) fn write_entry(
        &mut self,
        index: u32,
        e: &TcamEntry,
        planes: u8,
    ) -> Result<(), DeviceError> {
        for (off, val) in e.staging(planes) {
            self.stage(off, val)?;
        }
        self.command(Opcode::TcamWrite, index)
    }

    pub(super) fn set_planes(&mut self, index: u32, planes: u8) -> Result<(), DeviceError> {
        self.stage_reg(Planes::new().with_planes(planes))?;
        self.command(Opcode::TcamSetPlanes, index)
    }

    /// Replaces the live rule set with `entries` atomically (see the module docs). The device
    /// must have room for the old and new sets side by side, less the entries they share.
    /// On 2.0 the set is first compiled for the index-ordered rule stage (`v2.rs`).
    pub fn replace_rules(&mut self, entries: &[TcamEntry]) -> Result<CommitReport, DeviceError> {
        for (i, e) in entries.iter().enumerate() {
            self.validate(e).map_err(|msg| DeviceError::InvalidEntry {
                backend: self.bar.name(),
                msg: format!("rule entry {i}: {msg}"),
            })?;
        }
        if self.is_v2() {
            return self.replace_rules_v2(entries);
        }
        let io0 = self.io;
        self.sync_tcam()?;
        // Clear the sticky ERROR register so that rejections below are this update's; every
        // earlier command already checked it.
        self.take_rejection()?;
        let active = self.active_plane()?;
        let (a_bit, n_bit) = (1u8 << active, 1u8 << (1 - active));
        let slots = self.tcam.slots.clone().unwrap();

        // Plan: reuse live entries with identical content, write the rest into free slots.
        let mut reusable: HashMap<TcamEntry, Vec<u32>> = HashMap::new();
        for (i, (e, p)) in slots.iter().enumerate().rev() {
            if p & a_bit != 0 {
                reusable.entry(*e).or_default().push(i as u32);
            }
        }
        let mut free = (0..slots.len() as u32)
            .rev()
            .filter(|&i| slots[i as usize].1 & a_bit == 0)
            .collect::<Vec<_>>();
        let mut target = vec![0u8; slots.len()]; // desired planes after staging
        for (i, (_, p)) in slots.iter().enumerate() {
            target[i] = p & a_bit;
        }
        let mut fresh = Vec::new();
        let mut kept = 0;
        let mut placement = Vec::with_capacity(entries.len());
        let mut unplaced = 0;
        for e in entries {
            match reusable.get_mut(e).and_then(Vec::pop) {
                Some(i) => {
                    target[i as usize] |= n_bit;
                    kept += 1;
                    placement.push(i);
                }
                None => match free.pop() {
                    Some(i) => {
                        target[i as usize] = n_bit;
                        fresh.push((i, *e));
                        placement.push(i);
                    }
                    None => unplaced += 1,
                },
            }
        }
        if unplaced > 0 {
            let live = slots.iter().filter(|s| s.1 & a_bit != 0).count();
            return Err(DeviceError::TcamFull {
                backend: self.bar.name(),
                needed: live + entries.len() - kept,
                capacity: self.caps.tcam_entries,
            });
        }

        // Stage into the inactive plane; nothing here changes what packets see.
        let staged = self.stage_plane(&slots, &target, &fresh);
        if let Err(e) = staged.and_then(|_| self.check()) {
            self.rollback(&slots, a_bit);
            return Err(e);
        }
        let (freed, epoch) = self.commit_and_settle(slots, target, a_bit, &fresh)?;
        Ok(CommitReport {
            entries: entries.len(),
            written: fresh.len(),
            kept,
            freed,
            register_writes: self.io.writes - io0.writes,
            register_reads: self.io.reads - io0.reads,
            epoch,
            sources: (0..placement.len()).collect(),
            placement,
        })
    }

    /// COMMITs the staged plane, then frees the entries only the old plane (`a_bit`) used and
    /// records the table (`slots` with `fresh` written, planes `target`) as the shadow. Returns
    /// the entries freed and the new epoch. If the COMMIT fails, whether it took is unknown, so
    /// the shadow is dropped and read back before the next update.
    pub(super) fn commit_and_settle(
        &mut self,
        mut slots: Vec<(TcamEntry, u8)>,
        mut target: Vec<u8>,
        a_bit: u8,
        fresh: &[(u32, TcamEntry)],
    ) -> Result<(usize, u8), DeviceError> {
        if let Err(e) = self.command(Opcode::Commit, 0) {
            self.tcam.slots = None;
            return Err(e);
        }
        let mut freed = 0;
        for (i, t) in target.iter_mut().enumerate() {
            if *t == a_bit {
                self.set_planes(i as u32, 0)?;
                *t = 0;
                freed += 1;
            }
        }
        let epoch = self.status()?.epoch();
        self.check()?;
        for (i, e) in fresh {
            slots[*i as usize].0 = *e;
        }
        for (s, t) in slots.iter_mut().zip(&target) {
            s.1 = *t;
        }
        self.tcam.slots = Some(slots);
        Ok((freed, epoch))
    }

    fn stage_plane(
        &mut self,
        slots: &[(TcamEntry, u8)],
        target: &[u8],
        fresh: &[(u32, TcamEntry)],
    ) -> Result<(), DeviceError> {
        let fresh_at: HashMap<u32, &TcamEntry> = fresh.iter().map(|(i, e)| (*i, e)).collect();
        for (i, &t) in target.iter().enumerate() {
            let i32 = i as u32;
            if let Some(e) = fresh_at.get(&i32) {
                self.write_entry(i32, e, t)?;
            } else if slots[i].1 != t {
                self.set_planes(i32, t)?;
            }
        }
        Ok(())
    }

    /// Restores every entry's plane bits to `slots` after a failed staging. The live plane was
    /// never touched, so this only tidies the inactive one.
    pub(super) fn rollback(&mut self, slots: &[(TcamEntry, u8)], a_bit: u8) {
        for (i, s) in slots.iter().enumerate() {
            // Best effort: the live set is already intact; a failure here leaves only
            // inactive-plane garbage, which the next replace_rules overwrites.
            let _ = self.set_planes(i as u32, s.1 & a_bit);
        }
        let _ = self.take_rejection();
        self.tcam.slots = None; // re-read before the next update
    }
}
