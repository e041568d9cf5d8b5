//! The device side of the server: the NIC and the tables as P4Runtime sees them, owned by one
//! thread ([`Core::run`]) that the gRPC handlers send jobs to. Device handles need not be `Send`
//! (the simulated backends are not), and every request sees the NIC between whole batches.

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc;

use gufc::backend::Bar;
use gufc::device::{Caps, Counter, CounterSpace, Device, DeviceError};
use gufc_regmap::TcamEntry;
use tonic::Code;

use crate::acl::{self, AclEntry, Reject};
use crate::p4info;
use crate::proto::p4::config::v1 as cfg;
use crate::proto::p4::v1 as p4;

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

/// The NIC as the P4Runtime server holds it.
pub struct Core<B: Bar> {
    dev: Device<B>,
    caps: Caps,
    p4info: cfg::P4Info,
    cookie: Option<u64>,
    acl: BTreeMap<Vec<u8>, Slot>,
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
    /// Takes a device that is open and reset (its rule set is replaced by the first write).
    pub fn new(dev: Device<B>) -> Core<B> {
        let caps = dev.caps().clone();
        let p4info = p4info::build(&caps);
        Core {
            dev,
            caps,
            p4info,
            cookie: None,
            acl: BTreeMap::new(),
        }
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
        self.cookie = cookie;
        Ok(())
    }

    /// Applies a batch of `acl` updates. Every update gets a result; with `rollback`
    /// (ROLLBACK_ON_ERROR, DATAPLANE_ATOMIC) one failure leaves the table as it was and the
    /// others report ABORTED. Whatever is applied goes to the device in one plane commit, so
    /// packets see the old set or the new one, never a part (every mode is dataplane-atomic).
    pub fn write(&mut self, updates: &[p4::Update], rollback: bool) -> Vec<UpdateResult> {
        let mut work = self.acl.clone();
        // Which entry holds each TCAM entry: a second entry compiling to the same one is refused.
        let mut rules: HashMap<TcamEntry, Vec<u8>> =
            work.iter().map(|(k, s)| (s.e.tcam, k.clone())).collect();
        let mut results: Vec<UpdateResult> = updates
            .iter()
            .map(|u| self.apply(&mut work, &mut rules, u))
            .collect();
        let failed = results.iter().position(|r| r.is_err());
        if let (true, Some(i)) = (rollback, failed) {
            for r in &mut results {
                if r.is_ok() {
                    *r = Err(Reject::new(
                        Code::Aborted,
                        format!("not applied: update {i} failed and the batch was rolled back"),
                    ));
                }
            }
            return results;
        }
        if results.iter().any(|r| r.is_ok()) {
            if let Err(e) = self.commit(work) {
                for r in &mut results {
                    if r.is_ok() {
                        *r = Err(e.clone());
                    }
                }
            }
        }
        results
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
            return Err(Reject::new(
                Code::Unimplemented,
                "only table entries can be written (counters, meters, profiles: not supported)",
            ));
        };
        match te.table_id {
            p4info::ACL => {}
            p4info::FLOWS | p4info::LOCALITY => {
                return Err(Reject::new(
                    Code::Unimplemented,
                    format!(
                        "writes to {} are not built yet (phase 1 serves acl only)",
                        if te.table_id == p4info::FLOWS {
                            "flows"
                        } else {
                            "locality"
                        }
                    ),
                ))
            }
            id => {
                return Err(Reject::new(
                    Code::NotFound,
                    format!("no table with id {id:#x}"),
                ))
            }
        }
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
