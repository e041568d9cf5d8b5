//! The device side of the server: the NIC and the tables as P4Runtime sees them, owned by one
//! thread ([`Core::run`]) that the gRPC handlers send jobs to. Device handles need not be `Send`
//! (the simulated backends are not), and every request sees the NIC between whole batches.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::mpsc;

use gufc::backend::Bar;
use gufc::device::{Caps, Counter, CounterSpace, Device, DeviceError};
use gufc_regmap::TcamEntry;
use tonic::Code;

use crate::acl::{self, AclEntry, Reject};
use crate::p4info;
use crate::proto::p4::config::v1 as cfg;
use crate::proto::p4::v1 as p4;
use crate::tables::{self, LocalPrefix};
use gufc_regmap::{Action, Key};

/// Work for the device thread.
pub type Job<B> = Box<dyn FnOnce(&mut Core<B>) + Send>;

/// Sends work to the device thread; cheap to clone.
pub struct Handle<B: Bar> {
    tx: mpsc::Sender<Job<B>>,
}

impl<B: Bar> Clone for Handle<B> {
    fn clone(&self) -> Self {
        Handle {
            tx: self.tx.clone(),
        }
    }
}

/// The device thread's end of a [`Handle`].
pub struct Jobs<B: Bar>(mpsc::Receiver<Job<B>>);

/// A handle and the job queue it feeds.
pub fn channel<B: Bar + 'static>() -> (Handle<B>, Jobs<B>) {
    let (tx, rx) = mpsc::channel();
    (Handle { tx }, Jobs(rx))
}

impl<B: Bar + 'static> Handle<B> {
    /// Runs `f` on the device thread and waits for its answer (async).
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Core<B>) -> R + Send + 'static,
    ) -> Result<R, tonic::Status> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| tonic::Status::unavailable("the device thread has stopped"))?;
        rx.await
            .map_err(|_| tonic::Status::internal("the device thread dropped a request"))
    }

    /// Runs `f` on the device thread and waits for its answer (blocking; not from async code).
    /// `None` when the device thread has stopped.
    pub fn call_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Core<B>) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = mpsc::channel();
        self.tx
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .ok()?;
        rx.recv().ok()
    }
}

/// One `acl` entry on the device.
#[derive(Clone, Debug)]
struct Slot {
    e: AclEntry,
    /// TCAM indices holding it (one on 1.x; a range expansion on 2.0).
    indices: Vec<u32>,
    /// Counts the entry had before its TCAM slots were last rewritten (a MODIFY, or a move on
    /// 2.0), or that a controller set: added to the slots' own counters.
    base: Counter,
    /// A MODIFY in this batch set the counter to `base` (settled at commit).
    reset: bool,
}

/// What the server keeps of a `flows` entry beside the device's own copy (which reads read).
#[derive(Clone, Debug)]
struct FlowState {
    /// The entry's metadata, given back by reads.
    metadata: Vec<u8>,
    /// Counts the entry had before its slot was last rewritten (a MODIFY clears the slot's
    /// counters) or that a controller set: added to the slot's own counters.
    base: Counter,
}

/// A parsed `flows` or `locality` update: one register transaction on the device.
#[derive(Clone, Debug)]
enum Op {
    FlowInsert(Key, Action, FlowState),
    FlowModify(Key, Action, Vec<u8>, Option<Counter>),
    FlowDelete(Key),
    LocalInsert(LocalPrefix),
    /// The only action is `local` without parameters: nothing to change on the device.
    LocalModify(LocalPrefix),
    LocalDelete(LocalPrefix),
}

/// How to take back an applied [`Op`] (ROLLBACK_ON_ERROR, DATAPLANE_ATOMIC).
enum Undo {
    FlowInserted(Key),
    /// The flow's action and total counts before the change.
    FlowChanged(Key, Action, FlowState),
    FlowDeleted(Key, Action, FlowState),
    LocalAdded(LocalPrefix),
    LocalDeleted(LocalPrefix),
    Nothing,
}

/// The keys of `flows` and `locality` as a batch leaves them, for checking updates before any
/// is applied.
#[derive(Clone)]
struct Shadow {
    flows: BTreeSet<Key>,
    /// `None`: this handle did not reset the device, so its locality table is unknown.
    locals: Option<BTreeSet<(std::net::IpAddr, u8)>>,
}

/// The NIC as the P4Runtime server holds it.
pub struct Core<B: Bar> {
    dev: Device<B>,
    caps: Caps,
    p4info: cfg::P4Info,
    cookie: Option<u64>,
    acl: BTreeMap<Vec<u8>, Slot>,
    flows: BTreeMap<Key, FlowState>,
    /// `flows` holds what the device cached before the server too (see `sync_flows`).
    flows_synced: bool,
}

/// Which table an update is for: its table id, or why it cannot be written.
fn table_of(u: &p4::Update) -> Result<u32, Reject> {
    let Some(p4::entity::Entity::TableEntry(te)) =
        u.entity.as_ref().and_then(|e| e.entity.as_ref())
    else {
        return Err(Reject::new(
            Code::Unimplemented,
            "only table entries can be written (counters, meters, profiles: not supported)",
        ));
    };
    match te.table_id {
        p4info::ACL | p4info::FLOWS | p4info::LOCALITY => Ok(te.table_id),
        id => Err(Reject::new(
            Code::NotFound,
            format!("no table with id {id:#x}"),
        )),
    }
}

/// Why a DATAPLANE_ATOMIC batch cannot be made atomic, if it cannot: `acl` updates go to the
/// device in one plane commit, but each `flows` or `locality` update is its own register
/// transaction, so such a batch is atomic only when it is that one update.
pub fn not_dataplane_atomic(updates: &[p4::Update]) -> Option<String> {
    let per_update = updates
        .iter()
        .filter(|u| matches!(table_of(u), Ok(p4info::FLOWS | p4info::LOCALITY)))
        .count();
    (per_update > 0 && updates.len() > 1).then(|| {
        format!(
            "DATAPLANE_ATOMIC: this batch has {per_update} flows/locality update(s) among {}              updates; each flows or locality update is its own register transaction, so only              a batch of one such update (or of acl updates only, which share one plane commit)              is dataplane-atomic. Send them as ROLLBACK_ON_ERROR or one per Write",
            updates.len()
        )
    })
}

fn counter_of(c: &Option<p4::CounterData>) -> Option<Counter> {
    c.as_ref().map(|c| Counter {
        packets: c.packet_count as u64,
        bytes: c.byte_count as u64,
    })
}

/// One update's outcome in a write: OK, or why not.
pub type UpdateResult = Result<(), Reject>;

fn device_reject(e: DeviceError) -> Reject {
    match e {
        DeviceError::TcamFull {
            needed, capacity, ..
        } => Reject::new(
            Code::ResourceExhausted,
            format!(
                "acl is full: the commit needs {needed} TCAM entries side by side (old and new \
                 sets less what they share), the device has {capacity}"
            ),
        ),
        // The 2.0 rule stage's placement: the set does not fit beside the live one.
        DeviceError::InvalidEntry { msg, .. } if msg.contains("does not fit") => {
            Reject::new(Code::ResourceExhausted, format!("acl is full: {msg}"))
        }
        DeviceError::InvalidEntry { msg, .. } => Reject::new(Code::InvalidArgument, msg),
        e @ DeviceError::FlowTableFull { .. } => {
            Reject::new(Code::ResourceExhausted, format!("flows is full: {e}"))
        }
        e @ DeviceError::LocalityFull { .. } => {
            Reject::new(Code::ResourceExhausted, format!("locality is full: {e}"))
        }
        e @ (DeviceError::NoSuchFlow { .. } | DeviceError::NoSuchLocal { .. }) => {
            Reject::new(Code::NotFound, e.to_string())
        }
        e @ DeviceError::OutOfRange { .. } => Reject::new(Code::OutOfRange, e.to_string()),
        e => Reject::new(Code::Internal, format!("device: {e}")),
    }
}

/// The summed counters of TCAM `indices`.
fn hw_of<B: Bar>(dev: &mut Device<B>, indices: &[u32]) -> Result<Counter, DeviceError> {
    let mut c = Counter::default();
    for &i in indices {
        c = add(c, dev.counter(CounterSpace::Tcam, i)?);
    }
    Ok(c)
}

fn sub(a: Counter, b: Counter) -> Counter {
    Counter {
        packets: a.packets.wrapping_sub(b.packets),
        bytes: a.bytes.wrapping_sub(b.bytes),
    }
}

fn add(a: Counter, b: Counter) -> Counter {
    Counter {
        packets: a.packets.wrapping_add(b.packets),
        bytes: a.bytes.wrapping_add(b.bytes),
    }
}

impl<B: Bar> Core<B> {
    /// Takes an open device (its rule set is replaced by the first write). Flows it already
    /// caches become `flows` entries at the first flows request (with the counts the device
    /// holds); its locality table is served if this handle wrote it (a reset, `local_replace`),
    /// else locality requests are FAILED_PRECONDITION.
    pub fn new(dev: Device<B>) -> Core<B> {
        let caps = dev.caps().clone();
        let p4info = p4info::build(&caps);
        Core {
            dev,
            caps,
            p4info,
            cookie: None,
            acl: BTreeMap::new(),
            flows: BTreeMap::new(),
            flows_synced: false,
        }
    }

    /// Learns the flows the device cached before the server: on a device this handle did not
    /// reset, the driver reads every slot once (as `gufc flows show` does); after a reset it
    /// reads nothing. Done at the first flows request, not at start, so the server answers at
    /// once.
    fn sync_flows(&mut self) -> Result<(), Reject> {
        if self.flows_synced {
            return Ok(());
        }
        for i in self.dev.flows().map_err(device_reject)? {
            self.flows.entry(i.key).or_insert(FlowState {
                metadata: Vec::new(),
                base: Counter::default(),
            });
        }
        self.flows_synced = true;
        Ok(())
    }

    /// Serves jobs until every [`Handle`] is gone.
    pub fn run(mut self, jobs: Jobs<B>) {
        while let Ok(job) = jobs.0.recv() {
            job(&mut self);
        }
    }

    /// The device (tests push traffic through its backend).
    pub fn device(&mut self) -> &mut Device<B> {
        &mut self.dev
    }

    /// What the device says it has.
    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    /// The pipeline's P4Info.
    pub fn p4info(&self) -> &cfg::P4Info {
        &self.p4info
    }

    /// The cookie of the last committed pipeline config.
    pub fn cookie(&self) -> Option<u64> {
        self.cookie
    }

    /// Live `acl` entries.
    pub fn acl_len(&self) -> usize {
        self.acl.len()
    }

    /// TCAM indices of each live `acl` entry, in key order (tests).
    pub fn acl_indices(&self) -> Vec<Vec<u32>> {
        self.acl.values().map(|s| s.indices.clone()).collect()
    }

    /// A SetForwardingPipelineConfig that passed its checks: records the cookie, and with
    /// `clear` (VERIFY_AND_COMMIT) empties the tables as a new pipeline starts empty.
    pub fn commit_pipeline(&mut self, cookie: Option<u64>, clear: bool) -> Result<(), Reject> {
        if clear && !self.acl.is_empty() {
            self.commit(BTreeMap::new())?;
        }
        if clear {
            self.sync_flows()?;
            let keys: Vec<Key> = self.flows.keys().copied().collect();
            for k in keys {
                self.dev.flow_remove(&k).map_err(device_reject)?;
                self.flows.remove(&k);
            }
            if let Ok(locals) = self.dev.locals() {
                for l in locals {
                    self.dev
                        .local_del(l.addr, l.prefix_len)
                        .map_err(device_reject)?;
                }
            }
        }
        self.cookie = cookie;
        Ok(())
    }

    /// Applies a batch. Every update gets a result; with `rollback` (ROLLBACK_ON_ERROR,
    /// DATAPLANE_ATOMIC) one failure leaves every table as it was and the others report
    /// ABORTED. `acl` updates go to the device in one plane commit at the end, so packets see
    /// the old rule set or the new one; each `flows`/`locality` update is one register
    /// transaction (under rollback, all are checked before the first is applied, and applied
    /// ones are undone if a later one or the acl commit fails). The server refuses
    /// DATAPLANE_ATOMIC batches this cannot make atomic ([`not_dataplane_atomic`]).
    pub fn write(&mut self, updates: &[p4::Update], rollback: bool) -> Vec<UpdateResult> {
        let tables: Vec<Option<u32>> = updates.iter().map(|u| table_of(u).ok()).collect();
        // The acl working copy costs in proportion to the table: only for batches with acl
        // updates (a flows-only Write beside 10,000 acl entries took 29 ms with it).
        let mut work = if tables.contains(&Some(p4info::ACL)) {
            self.acl.clone()
        } else {
            BTreeMap::new()
        };
        // Which entry holds each TCAM entry: a second entry compiling to the same one is refused.
        let mut rules: HashMap<TcamEntry, Vec<u8>> =
            work.iter().map(|(k, s)| (s.e.tcam, k.clone())).collect();
        let sync = if tables.contains(&Some(p4info::FLOWS)) {
            self.sync_flows()
        } else {
            Ok(())
        };
        let mut shadow = Shadow {
            flows: self.flows.keys().copied().collect(),
            locals: self
                .dev
                .locals()
                .ok()
                .map(|v| v.iter().map(|l| (l.addr, l.prefix_len)).collect()),
        };
        let mut pending: Vec<(usize, Op)> = Vec::new();
        let mut undo: Vec<Undo> = Vec::new();
        let mut results: Vec<UpdateResult> = Vec::with_capacity(updates.len());
        for (i, u) in updates.iter().enumerate() {
            let r = match table_of(u) {
                Err(e) => Err(e),
                Ok(p4info::ACL) => self.apply(&mut work, &mut rules, u),
                Ok(p4info::FLOWS) if sync.is_err() => sync.clone(),
                Ok(_) => self.parse_op(u).and_then(|op| {
                    self.check_op(&shadow, &op)?;
                    if rollback {
                        pending.push((i, op.clone()));
                    } else {
                        self.run_op(&op)?;
                    }
                    note_op(&mut shadow, &op);
                    Ok(())
                }),
            };
            results.push(r);
        }
        let abort = |results: &mut Vec<UpdateResult>, i: usize| {
            for r in results.iter_mut() {
                if r.is_ok() {
                    *r = Err(Reject::new(
                        Code::Aborted,
                        format!("not applied: update {i} failed and the batch was rolled back"),
                    ));
                }
            }
        };
        if rollback {
            if let Some(i) = results.iter().position(|r| r.is_err()) {
                abort(&mut results, i);
                return results;
            }
            for (i, op) in pending {
                match self.run_op(&op) {
                    Ok(u) => undo.push(u),
                    Err(e) => {
                        let e = match self.undo_all(undo) {
                            None => e,
                            Some(bad) => Reject::new(
                                Code::Internal,
                                format!("{}; and undoing the batch failed: {}", e.msg, bad.msg),
                            ),
                        };
                        results[i] = Err(e);
                        abort(&mut results, i);
                        return results;
                    }
                }
            }
        }
        let acl_ok = results
            .iter()
            .zip(&tables)
            .any(|(r, t)| r.is_ok() && *t == Some(p4info::ACL));
        if acl_ok {
            if let Err(e) = self.commit(work) {
                let undone = if rollback { self.undo_all(undo) } else { None };
                for (r, t) in results.iter_mut().zip(&tables) {
                    if r.is_ok() {
                        *r = Err(if *t == Some(p4info::ACL) {
                            match &undone {
                                None => e.clone(),
                                Some(bad) => Reject::new(
                                    Code::Internal,
                                    format!("{}; and undoing the batch failed: {}", e.msg, bad.msg),
                                ),
                            }
                        } else if rollback {
                            match &undone {
                                None => Reject::new(
                                    Code::Aborted,
                                    "not applied: the acl commit of this batch failed and the \
                                     batch was rolled back",
                                ),
                                // Not ABORTED: some of the batch may still be on the device.
                                Some(bad) => Reject::new(
                                    Code::Internal,
                                    format!(
                                        "the acl commit failed and undoing this batch failed: {}",
                                        bad.msg
                                    ),
                                ),
                            }
                        } else {
                            continue;
                        });
                    }
                }
            }
        }
        results
    }

    /// Parses a `flows` or `locality` update.
    fn parse_op(&self, u: &p4::Update) -> Result<Op, Reject> {
        use p4::update::Type;
        let Some(p4::entity::Entity::TableEntry(te)) =
            u.entity.as_ref().and_then(|e| e.entity.as_ref())
        else {
            unreachable!("table_of checked the entity");
        };
        let ty = Type::try_from(u.r#type).unwrap_or(Type::Unspecified);
        if ty == Type::Unspecified {
            return Err(Reject::new(
                Code::InvalidArgument,
                "update type UNSPECIFIED",
            ));
        }
        let need_action = ty != Type::Delete;
        if te.table_id == p4info::FLOWS {
            let f = tables::parse_flow(te, &self.caps, need_action)?;
            let counter = counter_of(&te.counter_data);
            Ok(match (ty, f.action) {
                (Type::Insert, Some(a)) => Op::FlowInsert(
                    f.key,
                    a,
                    FlowState {
                        metadata: te.metadata.clone(),
                        base: counter.unwrap_or_default(),
                    },
                ),
                (Type::Modify, Some(a)) => Op::FlowModify(f.key, a, te.metadata.clone(), counter),
                _ => Op::FlowDelete(f.key),
            })
        } else {
            let p = tables::parse_local(te, &self.caps, need_action)?;
            Ok(match ty {
                Type::Insert => Op::LocalInsert(p),
                Type::Modify => Op::LocalModify(p),
                _ => Op::LocalDelete(p),
            })
        }
    }

    /// Checks `op` against the tables as the batch has left them so far.
    fn check_op(&self, sh: &Shadow, op: &Op) -> UpdateResult {
        let flows_cap = self.caps.flow_slots() as usize;
        match op {
            Op::FlowInsert(k, ..) if sh.flows.contains(k) => Err(Reject::new(
                Code::AlreadyExists,
                format!("flows: the flow {k} is cached already (MODIFY changes its action)"),
            )),
            Op::FlowInsert(..) if sh.flows.len() >= flows_cap => Err(Reject::new(
                Code::ResourceExhausted,
                format!("flows is full: {flows_cap} entries"),
            )),
            Op::FlowModify(k, ..) | Op::FlowDelete(k) if !sh.flows.contains(k) => Err(Reject::new(
                Code::NotFound,
                format!("flows: no cached flow {k}"),
            )),
            Op::FlowInsert(..) | Op::FlowModify(..) | Op::FlowDelete(_) => Ok(()),
            Op::LocalInsert(p) | Op::LocalModify(p) | Op::LocalDelete(p) => {
                let Some(locals) = &sh.locals else {
                    return Err(Reject::new(
                        Code::FailedPrecondition,
                        "locality: the table is unknown (the hardware cannot read it back and \
                         this server did not reset the device)",
                    ));
                };
                let have = locals.contains(&(p.addr, p.len));
                let cap = self.caps.local_entries as usize;
                match op {
                    Op::LocalInsert(_) if have => Err(Reject::new(
                        Code::AlreadyExists,
                        format!("locality: {}/{} is in the table already", p.addr, p.len),
                    )),
                    Op::LocalInsert(_) if locals.len() >= cap => Err(Reject::new(
                        Code::ResourceExhausted,
                        format!("locality is full: {cap} entries"),
                    )),
                    Op::LocalModify(_) | Op::LocalDelete(_) if !have => Err(Reject::new(
                        Code::NotFound,
                        format!("locality: {}/{} is not in the table", p.addr, p.len),
                    )),
                    _ => Ok(()),
                }
            }
        }
    }

    /// The flow's counts as the device has them now (0 if it is not cached).
    fn flow_hw(&mut self, k: &Key) -> Result<Counter, Reject> {
        Ok(self
            .dev
            .flow_lookup(k)
            .map_err(device_reject)?
            .map_or(Counter::default(), |i| Counter {
                packets: i.packets,
                bytes: i.bytes,
            }))
    }

    /// Applies a checked `op` to the device (the same library calls as `gufc flows` and
    /// `gufc local`). Flows are pinned: the controller owns them, so an acl commit does not
    /// A cached flow's action, its state here, and its whole count (the base plus what the
    /// slot has counted since): what MODIFY and DELETE keep for their undo.
    fn cached_flow(&mut self, k: &Key) -> Result<(Action, FlowState, Counter), Reject> {
        let action = self
            .dev
            .flow_lookup(k)
            .map_err(device_reject)?
            .map(|i| i.action)
            .ok_or_else(|| Reject::new(Code::NotFound, format!("flows: no cached flow {k}")))?;
        let old = self.flows.get(k).cloned().unwrap_or(FlowState {
            metadata: Vec::new(),
            base: Counter::default(),
        });
        let total = add(old.base, self.flow_hw(k)?);
        Ok((action, old, total))
    }

    /// make them stale.
    fn run_op(&mut self, op: &Op) -> Result<Undo, Reject> {
        Ok(match op.clone() {
            Op::FlowInsert(k, a, st) => {
                self.dev.flow_insert(&k, a, true).map_err(device_reject)?;
                self.flows.insert(k, st);
                Undo::FlowInserted(k)
            }
            Op::FlowModify(k, a, metadata, counter) => {
                // FLOW_WRITE clears the slot's counters: carry them into the base.
                let (old_action, old, total) = self.cached_flow(&k)?;
                self.dev.flow_insert(&k, a, true).map_err(device_reject)?;
                self.flows.insert(
                    k,
                    FlowState {
                        metadata,
                        base: counter.unwrap_or(total),
                    },
                );
                Undo::FlowChanged(
                    k,
                    old_action,
                    FlowState {
                        metadata: old.metadata,
                        base: total,
                    },
                )
            }
            Op::FlowDelete(k) => {
                let (old_action, old, total) = self.cached_flow(&k)?;
                self.dev.flow_remove(&k).map_err(device_reject)?;
                self.flows.remove(&k);
                Undo::FlowDeleted(
                    k,
                    old_action,
                    FlowState {
                        metadata: old.metadata,
                        base: total,
                    },
                )
            }
            Op::LocalInsert(p) => {
                self.dev.local_add(p.addr, p.len).map_err(device_reject)?;
                Undo::LocalAdded(p)
            }
            Op::LocalModify(_) => Undo::Nothing,
            Op::LocalDelete(p) => {
                self.dev.local_del(p.addr, p.len).map_err(device_reject)?;
                Undo::LocalDeleted(p)
            }
        })
    }

    /// Takes back applied ops, last first. `Some` names the first that could not be undone.
    fn undo_all(&mut self, undo: Vec<Undo>) -> Option<Reject> {
        for u in undo.into_iter().rev() {
            let r = match u {
                Undo::FlowInserted(k) => self
                    .dev
                    .flow_remove(&k)
                    .map(|_| {
                        self.flows.remove(&k);
                    })
                    .map_err(device_reject),
                Undo::FlowChanged(k, a, st) => self.flow_hw(&k).and_then(|hw| {
                    self.dev.flow_insert(&k, a, true).map_err(device_reject)?;
                    // Packets the changed entry decided meanwhile still count for it.
                    let base = add(st.base, hw);
                    self.flows.insert(k, FlowState { base, ..st });
                    Ok(())
                }),
                Undo::FlowDeleted(k, a, st) => self
                    .dev
                    .flow_insert(&k, a, true)
                    .map(|_| {
                        self.flows.insert(k, st);
                    })
                    .map_err(device_reject),
                Undo::LocalAdded(p) => self
                    .dev
                    .local_del(p.addr, p.len)
                    .map(|_| ())
                    .map_err(device_reject),
                Undo::LocalDeleted(p) => self
                    .dev
                    .local_add(p.addr, p.len)
                    .map(|_| ())
                    .map_err(device_reject),
                Undo::Nothing => Ok(()),
            };
            if let Err(e) = r {
                return Some(e);
            }
        }
        None
    }

    /// One update against the working copy; changes it only when the update is good.
    fn apply(
        &self,
        work: &mut BTreeMap<Vec<u8>, Slot>,
        rules: &mut HashMap<TcamEntry, Vec<u8>>,
        u: &p4::Update,
    ) -> UpdateResult {
        use p4::update::Type;
        let Some(p4::entity::Entity::TableEntry(te)) =
            u.entity.as_ref().and_then(|e| e.entity.as_ref())
        else {
            unreachable!("table_of checked the entity");
        };
        let ty = Type::try_from(u.r#type).unwrap_or(Type::Unspecified);
        let e = acl::parse(te, &self.caps, ty != Type::Delete)?;
        let key = acl::key_of(&e.entry);
        match ty {
            Type::Insert => {
                if work.contains_key(&key) {
                    return Err(Reject::new(
                        Code::AlreadyExists,
                        "acl: an entry with this match and priority exists",
                    ));
                }
                if work.len() >= self.caps.tcam_entries as usize {
                    return Err(Reject::new(
                        Code::ResourceExhausted,
                        format!("acl is full: {} entries", self.caps.tcam_entries),
                    ));
                }
                same_rule(rules, &e, None)?;
                rules.insert(e.tcam, key.clone());
                let base = te
                    .counter_data
                    .as_ref()
                    .map_or(Counter::default(), |c| Counter {
                        packets: c.packet_count as u64,
                        bytes: c.byte_count as u64,
                    });
                work.insert(
                    key,
                    Slot {
                        e,
                        indices: Vec::new(),
                        base,
                        reset: false,
                    },
                );
            }
            Type::Modify => {
                if !work.contains_key(&key) {
                    return Err(Reject::new(
                        Code::NotFound,
                        "acl: no entry with this match and priority",
                    ));
                }
                same_rule(rules, &e, Some(&key))?;
                let old = work[&key].e.tcam;
                rules.remove(&old);
                rules.insert(e.tcam, key.clone());
                let s = work.get_mut(&key).unwrap();
                if let Some(c) = &te.counter_data {
                    // A MODIFY with counter data sets the counter (the slots' part is
                    // subtracted when the entry is committed: see `commit`).
                    s.base = Counter {
                        packets: c.packet_count as u64,
                        bytes: c.byte_count as u64,
                    };
                    s.reset = true;
                }
                s.e = e;
            }
            Type::Delete => {
                let Some(gone) = work.remove(&key) else {
                    return Err(Reject::new(
                        Code::NotFound,
                        "acl: no entry with this match and priority",
                    ));
                };
                rules.remove(&gone.e.tcam);
            }
            Type::Unspecified => {
                return Err(Reject::new(
                    Code::InvalidArgument,
                    "update type UNSPECIFIED",
                ))
            }
        }
        Ok(())
    }

    /// The summed counters of TCAM `indices`.
    fn hw(&mut self, indices: &[u32]) -> Result<Counter, DeviceError> {
        hw_of(&mut self.dev, indices)
    }

    /// Makes `work` the device's rule set in one `replace_rules` (the plane commit). The counts
    /// of an entry whose TCAM slots get rewritten (TCAM_WRITE clears a slot's counters) are
    /// carried into its base first.
    fn commit(&mut self, mut work: BTreeMap<Vec<u8>, Slot>) -> Result<(), Reject> {
        let v2 = self.dev.is_v2();
        let mut before: HashMap<Vec<u8>, Counter> = HashMap::new();
        for (k, s) in &work {
            if let Some(o) = self.acl.get(k) {
                // 1.x reuses a slot of identical content; 2.0 may move any entry.
                if !s.reset && (v2 || o.e.tcam != s.e.tcam) {
                    let c = hw_of(&mut self.dev, &o.indices).map_err(device_reject)?;
                    before.insert(k.clone(), c);
                }
            }
        }
        let entries: Vec<_> = work.values().map(|s| s.e.tcam).collect();
        let report = self.dev.replace_rules(&entries).map_err(device_reject)?;
        let mut indices = vec![Vec::new(); entries.len()];
        for (&src, &idx) in report.sources.iter().zip(&report.placement) {
            indices[src].push(idx);
        }
        let mut trouble = None;
        for ((k, s), ix) in work.iter_mut().zip(indices) {
            let kept = self
                .acl
                .get(k)
                .is_some_and(|o| o.indices == ix && o.e.tcam == s.e.tcam);
            if s.reset {
                // The counter was set to `base`: what the slots hold now is not the entry's.
                // Fresh slots read 0 (TCAM_WRITE cleared them); kept ones their old counts.
                match hw_of(&mut self.dev, &ix) {
                    Ok(c) => s.base = sub(s.base, c),
                    Err(e) => trouble = Some(e),
                }
                s.reset = false;
            } else if !kept {
                s.base = add(s.base, before.get(k).copied().unwrap_or_default());
            }
            s.indices = ix;
        }
        self.acl = work;
        match trouble {
            Some(e) => Err(Reject::new(
                Code::Internal,
                format!("the batch was committed, but a counter could not be read: {e}"),
            )),
            None => Ok(()),
        }
    }

    /// Live `acl` entries; with `counters`, each with its direct counter data. `only` narrows
    /// the read to one entry key.
    pub fn read_acl(
        &mut self,
        only: Option<Vec<u8>>,
        counters: bool,
    ) -> Result<Vec<(p4::TableEntry, Option<p4::CounterData>)>, Reject> {
        let keys: Vec<Vec<u8>> = match only {
            Some(k) => self.acl.contains_key(&k).then_some(k).into_iter().collect(),
            None => self.acl.keys().cloned().collect(),
        };
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let s = self.acl[&k].clone();
            let data = if counters {
                let c = add(s.base, self.hw(&s.indices).map_err(device_reject)?);
                Some(p4::CounterData {
                    byte_count: c.bytes as i64,
                    packet_count: c.packets as i64,
                })
            } else {
                None
            };
            out.push((s.e.entry, data));
        }
        Ok(out)
    }

    /// Cached `flows` entries, read back from the device (`only`: one key); with `counters`,
    /// each with its direct counter data.
    pub fn read_flows(
        &mut self,
        only: Option<Key>,
        counters: bool,
    ) -> Result<Vec<(p4::TableEntry, Option<p4::CounterData>)>, Reject> {
        self.sync_flows()?;
        let infos = match only {
            Some(k) => self
                .dev
                .flow_lookup(&k)
                .map_err(device_reject)?
                .into_iter()
                .collect(),
            None => self.dev.flows().map_err(device_reject)?,
        };
        Ok(infos
            .into_iter()
            .map(|i| {
                let st = self.flows.get(&i.key);
                let mut e = tables::flow_entry(&i.key, Some(i.action));
                e.metadata = st.map_or(Vec::new(), |s| s.metadata.clone());
                let data = counters.then(|| {
                    let c = add(
                        st.map_or(Counter::default(), |s| s.base),
                        Counter {
                            packets: i.packets,
                            bytes: i.bytes,
                        },
                    );
                    p4::CounterData {
                        byte_count: c.bytes as i64,
                        packet_count: c.packets as i64,
                    }
                });
                (e, data)
            })
            .collect())
    }

    /// `locality` entries (`only`: one prefix), as the driver keeps the table it wrote.
    pub fn read_locals(
        &mut self,
        only: Option<LocalPrefix>,
    ) -> Result<Vec<p4::TableEntry>, Reject> {
        let locals = self.dev.locals().map_err(|e| {
            Reject::new(
                Code::FailedPrecondition,
                format!("locality: {e} (this server did not reset the device)"),
            )
        })?;
        Ok(locals
            .into_iter()
            .map(|l| LocalPrefix {
                addr: l.addr,
                len: l.prefix_len,
            })
            .filter(|p| only.is_none_or(|o| o == *p))
            .map(tables::local_entry)
            .collect())
    }

    /// Channel counters: `index` or all of them.
    pub fn read_channels(
        &mut self,
        index: Option<i64>,
    ) -> Result<Vec<(i64, p4::CounterData)>, Reject> {
        let n = self.caps.channels as i64;
        let range = match index {
            Some(i) if !(0..n).contains(&i) => {
                return Err(Reject::new(
                    Code::OutOfRange,
                    format!(
                        "channel counter index {i} is out of range: the device has {n} channels"
                    ),
                ))
            }
            Some(i) => i..i + 1,
            None => 0..n,
        };
        range
            .map(|i| {
                let c = self
                    .dev
                    .counter(CounterSpace::Channel, i as u32)
                    .map_err(device_reject)?;
                Ok((
                    i,
                    p4::CounterData {
                        byte_count: c.bytes as i64,
                        packet_count: c.packets as i64,
                    },
                ))
            })
            .collect()
    }
}

/// Records an applied (or, under rollback, checked) `op` in the batch's shadow.
fn note_op(sh: &mut Shadow, op: &Op) {
    match op {
        Op::FlowInsert(k, ..) => {
            sh.flows.insert(*k);
        }
        Op::FlowDelete(k) => {
            sh.flows.remove(k);
        }
        Op::LocalInsert(p) => {
            if let Some(l) = &mut sh.locals {
                l.insert((p.addr, p.len));
            }
        }
        Op::LocalDelete(p) => {
            if let Some(l) = &mut sh.locals {
                l.remove(&(p.addr, p.len));
            }
        }
        Op::FlowModify(..) | Op::LocalModify(_) => {}
    }
}

/// Refuses an entry that compiles to the same TCAM entry as another live one (e.g.
/// `is_ipv4=1` with and without `is_ipv6=0`): the device could not tell their counters apart.
fn same_rule(
    rules: &HashMap<TcamEntry, Vec<u8>>,
    e: &AclEntry,
    except: Option<&Vec<u8>>,
) -> UpdateResult {
    match rules.get(&e.tcam) {
        Some(k) if Some(k) != except => Err(Reject::new(
            Code::AlreadyExists,
            "acl: another entry with the same priority matches exactly the same packets",
        )),
        _ => Ok(()),
    }
}
