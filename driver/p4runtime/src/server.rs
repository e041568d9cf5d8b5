//! The gRPC side: the P4Runtime service, controller arbitration (primary election by election
//! id), and `serve`, which runs the device thread and the tokio runtime side by side.

use std::collections::HashMap;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use gufc::backend::Bar;
use gufc::device::Device;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, Request, Response, Status, Streaming};

use crate::acl::{self, Reject};
use crate::core::{self, Core, Handle, Jobs};
use crate::p4info;
use crate::proto::google::rpc;
use crate::proto::p4::config::v1 as cfg;
use crate::proto::p4::v1 as p4;
use crate::tables;
use p4::p4_runtime_server::{P4Runtime, P4RuntimeServer};

/// The P4Runtime version the generated messages are (finsy 0.30.0's protos: 1.6.0 less one
/// field).
pub const API_VERSION: &str = "1.6.0";

/// How the server presents itself.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The `device_id` requests must carry.
    pub device_id: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { device_id: 1 }
    }
}

type Tx = mpsc::Sender<Result<p4::StreamMessageResponse, Status>>;

/// Connected controllers (streams) and who is primary.
#[derive(Default)]
struct Arbiter {
    /// Stream id → its election id (`None` before its first arbitration) and its sender.
    streams: HashMap<u64, (Option<u128>, Tx)>,
    next: u64,
    /// The highest election id seen, reported to backups (spec 5.3: the primary's or the
    /// highest ever).
    highest: Option<u128>,
}

impl Arbiter {
    fn primary(&self) -> Option<(u64, u128)> {
        self.streams
            .iter()
            .filter_map(|(&s, (e, _))| e.map(|e| (s, e)))
            .max_by_key(|&(_, e)| e)
    }
}

fn u128_of(u: &Option<p4::Uint128>) -> Option<u128> {
    u.as_ref().map(|u| (u.high as u128) << 64 | u.low as u128)
}

fn uint128(v: u128) -> p4::Uint128 {
    p4::Uint128 {
        high: (v >> 64) as u64,
        low: v as u64,
    }
}

/// The P4Runtime service over a device thread.
pub struct Service<B: Bar + 'static> {
    dev: Handle<B>,
    opts: Options,
    p4info: Arc<cfg::P4Info>,
    arb: Arc<Mutex<Arbiter>>,
}

impl<B: Bar + 'static> Service<B> {
    /// A service whose device work goes to `dev`; `p4info` is the device's (see
    /// [`Core::p4info`]).
    pub fn new(dev: Handle<B>, p4info: cfg::P4Info, opts: Options) -> Self {
        Service {
            dev,
            opts,
            p4info: Arc::new(p4info),
            arb: Arc::default(),
        }
    }

    fn check_device(&self, id: u64) -> Result<(), Status> {
        if id != self.opts.device_id {
            return Err(Status::not_found(format!(
                "device_id {id}: this server is device {}",
                self.opts.device_id
            )));
        }
        Ok(())
    }

    fn check_role(role: &str) -> Result<(), Status> {
        if !role.is_empty() {
            return Err(Status::unimplemented(format!(
                "role {role:?}: only the default role (empty name) is served"
            )));
        }
        Ok(())
    }

    /// Writes need the primary's election id.
    fn check_primary(&self, election: &Option<p4::Uint128>) -> Result<(), Status> {
        let arb = self.arb.lock().unwrap();
        let primary = arb.primary().map(|(_, e)| e);
        match (u128_of(election), primary) {
            (Some(e), Some(p)) if e == p => Ok(()),
            (e, p) => Err(Status::permission_denied(format!(
                "not the primary controller: the request's election id is {}, the primary's {}",
                e.map_or("absent".into(), |e| e.to_string()),
                p.map_or(
                    "(no primary: open a StreamChannel and send an arbitration first)".into(),
                    |p| p.to_string()
                )
            ))),
        }
    }

    /// Tells `streams` (all when `None`) who is primary now.
    fn announce(&self, arb: &Arbiter, only: Option<u64>) {
        let primary = arb.primary();
        for (&s, (e, tx)) in &arb.streams {
            if only.is_some_and(|o| o != s) || e.is_none() {
                continue;
            }
            let is_primary = primary.is_some_and(|(p, _)| p == s);
            let status = if is_primary {
                rpc::Status {
                    code: Code::Ok as i32,
                    message: "primary".into(),
                    details: vec![],
                }
            } else {
                rpc::Status {
                    code: Code::AlreadyExists as i32,
                    message: "a controller with a higher election id is primary".into(),
                    details: vec![],
                }
            };
            let msg = p4::StreamMessageResponse {
                update: Some(p4::stream_message_response::Update::Arbitration(
                    p4::MasterArbitrationUpdate {
                        device_id: self.opts.device_id,
                        role: None,
                        election_id: primary.map(|(_, e)| e).or(arb.highest).map(uint128),
                        status: Some(status),
                    },
                )),
            };
            let _ = tx.try_send(Ok(msg));
        }
    }

    /// An arbitration from stream `s`: records its election id and re-elects. An error closes
    /// the stream.
    fn arbitrate(&self, s: u64, a: &p4::MasterArbitrationUpdate) -> Result<(), Status> {
        self.check_device(a.device_id)?;
        if let Some(r) = &a.role {
            Self::check_role(&r.name)?;
        }
        let e = u128_of(&a.election_id).ok_or_else(|| {
            Status::invalid_argument(
                "arbitration without an election id: backups without one are not supported",
            )
        })?;
        let mut arb = self.arb.lock().unwrap();
        if arb
            .streams
            .iter()
            .any(|(&o, (oe, _))| o != s && *oe == Some(e))
        {
            return Err(Status::invalid_argument(format!(
                "election id {e} is already used by another connected controller"
            )));
        }
        let before = arb.primary();
        arb.streams.get_mut(&s).unwrap().0 = Some(e);
        arb.highest = arb.highest.max(Some(e));
        let after = arb.primary();
        if before != after {
            self.announce(&arb, None);
        } else {
            self.announce(&arb, Some(s));
        }
        Ok(())
    }

    fn leave(&self, s: u64) {
        let mut arb = self.arb.lock().unwrap();
        let before = arb.primary();
        arb.streams.remove(&s);
        if arb.primary() != before {
            self.announce(&arb, None);
        }
    }
}

/// A Write that failed in part: UNKNOWN with one p4.v1.Error per update in the details (spec
/// 12.3), OK ones included. The details travel in the `grpc-status-details-bin` trailer, which
/// clients cap (hyper/tonic 16 KiB, gRPC C core 8 KiB), so ABORTED entries go without their
/// message (about 37 bytes an update instead of about 100); the top-level message names the
/// update that failed.
fn write_error(results: &[core::UpdateResult]) -> Status {
    let details = results
        .iter()
        .map(|r| {
            let e = match r {
                Ok(()) => p4::Error {
                    canonical_code: Code::Ok as i32,
                    ..Default::default()
                },
                Err(rej) => p4::Error {
                    canonical_code: rej.code as i32,
                    message: if rej.code == Code::Aborted {
                        String::new()
                    } else {
                        rej.msg.clone()
                    },
                    ..Default::default()
                },
            };
            prost_types::Any {
                type_url: "type.googleapis.com/p4.v1.Error".into(),
                value: e.encode_to_vec(),
            }
        })
        .collect();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let aborted = results
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.code == Code::Aborted))
        .count();
    let mut msg = format!("{failed} of {} updates failed", results.len());
    if aborted > 0 {
        if let Some((i, e)) = results.iter().enumerate().find_map(|(i, r)| {
            r.as_ref()
                .err()
                .filter(|e| e.code != Code::Aborted)
                .map(|e| (i, e))
        }) {
            msg = format!(
                "{msg}: update {i} ({:?}: {}); the other {aborted} were rolled back (ABORTED)",
                e.code, e.msg
            );
        }
    }
    let st = rpc::Status {
        code: Code::Unknown as i32,
        message: msg.clone(),
        details,
    };
    Status::with_details(Code::Unknown, msg, st.encode_to_vec().into())
}

fn status_of(r: Reject) -> Status {
    Status::new(r.code, r.msg)
}

/// Each P4Info object's name (from its preamble) and encoding, for comparing two lists of them.
fn by_name<T: Message>(
    items: &[T],
    preamble: impl Fn(&T) -> Option<&cfg::Preamble>,
) -> Vec<(String, Vec<u8>)> {
    items
        .iter()
        .map(|t| {
            (
                preamble(t).map_or(String::new(), |p| p.name.clone()),
                t.encode_to_vec(),
            )
        })
        .collect()
}

/// The first place where `got` differs from the device's P4Info, for the refusal message.
fn first_difference(got: &cfg::P4Info, want: &cfg::P4Info) -> String {
    if got.pkg_info != want.pkg_info {
        return "pkg_info".into();
    }
    let named = |what: &str, g: Vec<(String, Vec<u8>)>, w: Vec<(String, Vec<u8>)>| {
        if g.len() != w.len() {
            return Some(format!("{} {what} (the device has {})", g.len(), w.len()));
        }
        g.iter()
            .zip(&w)
            .find(|(a, b)| a != b)
            .map(|(a, _)| format!("{what} {:?}", a.0))
    };
    let tables = |p: &cfg::P4Info| by_name(&p.tables, |t| t.preamble.as_ref());
    let actions = |p: &cfg::P4Info| by_name(&p.actions, |a| a.preamble.as_ref());
    named("tables", tables(got), tables(want))
        .or_else(|| named("actions", actions(got), actions(want)))
        .unwrap_or_else(|| "counters, direct counters or other objects".into())
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl<B: Bar + 'static> P4Runtime for Service<B> {
    async fn write(
        &self,
        req: Request<p4::WriteRequest>,
    ) -> Result<Response<p4::WriteResponse>, Status> {
        let req = req.into_inner();
        self.check_device(req.device_id)?;
        Self::check_role(&req.role)?;
        self.check_primary(&req.election_id)?;
        use p4::write_request::Atomicity;
        let rollback = match Atomicity::try_from(req.atomicity) {
            Ok(Atomicity::ContinueOnError) => false,
            Ok(Atomicity::RollbackOnError) => true,
            Ok(Atomicity::DataplaneAtomic) => {
                // Refused whole, before any update is looked at (spec: UNIMPLEMENTED when the
                // target cannot make the batch dataplane-atomic).
                if let Some(why) = core::not_dataplane_atomic(&req.updates) {
                    return Err(Status::unimplemented(why));
                }
                true
            }
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "atomicity {} is not a mode",
                    req.atomicity
                )))
            }
        };
        if req.updates.is_empty() {
            return Ok(Response::new(p4::WriteResponse {}));
        }
        let results = self
            .dev
            .call(move |c| c.write(&req.updates, rollback))
            .await?;
        if results.iter().all(|r| r.is_ok()) {
            Ok(Response::new(p4::WriteResponse {}))
        } else {
            Err(write_error(&results))
        }
    }

    type ReadStream = BoxStream<p4::ReadResponse>;

    async fn read(
        &self,
        req: Request<p4::ReadRequest>,
    ) -> Result<Response<Self::ReadStream>, Status> {
        let req = req.into_inner();
        self.check_device(req.device_id)?;
        Self::check_role(&req.role)?;
        let entities = self
            .dev
            .call(move |c| read(c, &req.entities))
            .await?
            .map_err(status_of)?;
        let resp = p4::ReadResponse { entities };
        Ok(Response::new(Box::pin(tokio_stream::once(Ok(resp)))))
    }

    async fn set_forwarding_pipeline_config(
        &self,
        req: Request<p4::SetForwardingPipelineConfigRequest>,
    ) -> Result<Response<p4::SetForwardingPipelineConfigResponse>, Status> {
        use p4::set_forwarding_pipeline_config_request::Action as A;
        let req = req.into_inner();
        self.check_device(req.device_id)?;
        Self::check_role(&req.role)?;
        self.check_primary(&req.election_id)?;
        let action = A::try_from(req.action).unwrap_or(A::Unspecified);
        let clear = match action {
            A::Verify | A::Commit | A::ReconcileAndCommit => false,
            A::VerifyAndCommit => true,
            A::VerifyAndSave => {
                return Err(Status::unimplemented(
                    "VERIFY_AND_SAVE: gufc's pipeline is fixed; use VERIFY_AND_COMMIT or \
                     RECONCILE_AND_COMMIT",
                ))
            }
            A::Unspecified => return Err(Status::invalid_argument("action UNSPECIFIED")),
        };
        let config = req.config.unwrap_or_default();
        // COMMIT may come without a config: the fixed pipeline is always the saved one.
        if action != A::Commit || config.p4info.is_some() {
            let got = config.p4info.as_ref().ok_or_else(|| {
                Status::invalid_argument("the config has no P4Info (get it with GetForwardingPipelineConfig or `gufc p4info`)")
            })?;
            if *got != *self.p4info {
                return Err(Status::invalid_argument(format!(
                    "the P4Info differs from the device's at {}: gufc's pipeline is fixed; get \
                     it with GetForwardingPipelineConfig or `gufc p4info`",
                    first_difference(got, &self.p4info)
                )));
            }
        }
        if !config.p4_device_config.is_empty() {
            return Err(Status::invalid_argument(format!(
                "p4_device_config has {} bytes: gufc's pipeline is fixed, send it empty",
                config.p4_device_config.len()
            )));
        }
        if action != A::Verify {
            let cookie = config.cookie.map(|c| c.cookie);
            self.dev
                .call(move |c| c.commit_pipeline(cookie, clear))
                .await?
                .map_err(status_of)?;
        }
        Ok(Response::new(p4::SetForwardingPipelineConfigResponse {}))
    }

    async fn get_forwarding_pipeline_config(
        &self,
        req: Request<p4::GetForwardingPipelineConfigRequest>,
    ) -> Result<Response<p4::GetForwardingPipelineConfigResponse>, Status> {
        use p4::get_forwarding_pipeline_config_request::ResponseType as R;
        let req = req.into_inner();
        self.check_device(req.device_id)?;
        let cookie = self.dev.call(|c| c.cookie()).await?;
        let with_p4info = matches!(
            R::try_from(req.response_type),
            Ok(R::All | R::P4infoAndCookie)
        );
        Ok(Response::new(p4::GetForwardingPipelineConfigResponse {
            config: Some(p4::ForwardingPipelineConfig {
                p4info: with_p4info.then(|| (*self.p4info).clone()),
                p4_device_config: Vec::new(),
                cookie: cookie.map(|cookie| p4::forwarding_pipeline_config::Cookie { cookie }),
            }),
        }))
    }

    type StreamChannelStream = BoxStream<p4::StreamMessageResponse>;

    async fn stream_channel(
        &self,
        req: Request<Streaming<p4::StreamMessageRequest>>,
    ) -> Result<Response<Self::StreamChannelStream>, Status> {
        let mut inbound = req.into_inner();
        let (tx, rx) = mpsc::channel(64);
        let s = {
            let mut arb = self.arb.lock().unwrap();
            arb.next += 1;
            let s = arb.next;
            arb.streams.insert(s, (None, tx.clone()));
            s
        };
        let me = Service {
            dev: self.dev.clone(),
            opts: self.opts,
            p4info: self.p4info.clone(),
            arb: self.arb.clone(),
        };
        tokio::spawn(async move {
            while let Some(m) = inbound.next().await {
                use p4::stream_message_request::Update as U;
                let unsupported = match m {
                    Err(_) => break,
                    Ok(p4::StreamMessageRequest {
                        update: Some(U::Arbitration(a)),
                    }) => match me.arbitrate(s, &a) {
                        Ok(()) => continue,
                        Err(e) => {
                            // A bad arbitration ends the stream with its status (spec 5.3).
                            let _ = tx.send(Err(e)).await;
                            break;
                        }
                    },
                    Ok(p4::StreamMessageRequest {
                        update: Some(U::Packet(_)),
                    }) => "PacketOut is not built yet (it needs the packet path)",
                    Ok(p4::StreamMessageRequest {
                        update: Some(U::DigestAck(_)),
                    }) => "digests are not built yet",
                    Ok(_) => "empty or unknown stream message",
                };
                // Other messages are answered with a StreamError; the stream stays open.
                let err = p4::StreamError {
                    canonical_code: Code::Unimplemented as i32,
                    message: unsupported.into(),
                    ..Default::default()
                };
                let msg = p4::StreamMessageResponse {
                    update: Some(p4::stream_message_response::Update::Error(err)),
                };
                if tx.send(Ok(msg)).await.is_err() {
                    break;
                }
            }
            me.leave(s);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn capabilities(
        &self,
        _req: Request<p4::CapabilitiesRequest>,
    ) -> Result<Response<p4::CapabilitiesResponse>, Status> {
        Ok(Response::new(p4::CapabilitiesResponse {
            p4runtime_api_version: API_VERSION.into(),
            experimental: None,
        }))
    }
}

/// The Read RPC on the device thread.
fn read<B: Bar>(c: &mut Core<B>, entities: &[p4::Entity]) -> Result<Vec<p4::Entity>, Reject> {
    use p4::entity::Entity as E;
    let mut out = Vec::new();
    for ent in entities {
        match ent.entity.as_ref() {
            Some(E::TableEntry(te)) => {
                for (entry, data) in read_table(c, te, te.counter_data.is_some())? {
                    out.push(p4::Entity {
                        entity: Some(E::TableEntry(p4::TableEntry {
                            counter_data: data,
                            ..entry
                        })),
                    });
                }
            }
            Some(E::DirectCounterEntry(d)) => {
                let te = d.table_entry.clone().unwrap_or_default();
                // Table id 0: every table with a direct counter.
                let ids = match te.table_id {
                    0 => vec![p4info::ACL, p4info::FLOWS],
                    id => vec![id],
                };
                let mut rows = Vec::new();
                for id in ids {
                    rows.extend(read_table(c, &with_table(&te, id), true)?);
                }
                for (entry, data) in rows {
                    out.push(p4::Entity {
                        entity: Some(E::DirectCounterEntry(p4::DirectCounterEntry {
                            table_entry: Some(entry),
                            data,
                        })),
                    });
                }
            }
            Some(E::CounterEntry(ce)) => {
                if ce.counter_id != 0 && ce.counter_id != p4info::CHANNEL_COUNTER {
                    return Err(Reject::new(
                        Code::NotFound,
                        format!("no counter with id {:#x}", ce.counter_id),
                    ));
                }
                for (i, data) in c.read_channels(ce.index.as_ref().map(|i| i.index))? {
                    out.push(p4::Entity {
                        entity: Some(E::CounterEntry(p4::CounterEntry {
                            counter_id: p4info::CHANNEL_COUNTER,
                            index: Some(p4::Index { index: i }),
                            data: Some(data),
                        })),
                    });
                }
            }
            _ => {
                return Err(Reject::new(
                    Code::Unimplemented,
                    "only table entries, direct counters and the channel counter can be read",
                ))
            }
        }
    }
    Ok(out)
}

/// Entries of a table read: `te.table_id` 0 reads every table; an empty match is a wildcard, a
/// full one names one entry.
fn read_table<B: Bar>(
    c: &mut Core<B>,
    te: &p4::TableEntry,
    counters: bool,
) -> Result<Vec<(p4::TableEntry, Option<p4::CounterData>)>, Reject> {
    match te.table_id {
        0 => {
            let mut out = read_table(c, &with_table(te, p4info::ACL), counters)?;
            out.extend(read_table(c, &with_table(te, p4info::FLOWS), counters)?);
            out.extend(read_table(c, &with_table(te, p4info::LOCALITY), false)?);
            return Ok(out);
        }
        p4info::ACL | p4info::FLOWS | p4info::LOCALITY => {}
        id => {
            return Err(Reject::new(
                Code::NotFound,
                format!("no table with id {id:#x}"),
            ))
        }
    }
    if te.r#match.is_empty() && te.priority != 0 {
        return Err(Reject::new(
            Code::Unimplemented,
            "reading by priority alone is not supported: give the whole match or none",
        ));
    }
    let wildcard = te.r#match.is_empty();
    match te.table_id {
        p4info::ACL => {
            let only = if wildcard {
                None
            } else {
                let e = acl::parse(te, c.caps(), false)?;
                Some(acl::key_of(&e.entry))
            };
            c.read_acl(only, counters)
        }
        p4info::FLOWS => {
            let only = if wildcard {
                None
            } else {
                Some(tables::parse_flow(te, c.caps(), false)?.key)
            };
            c.read_flows(only, counters)
        }
        _ => {
            if counters {
                return Err(Reject::new(
                    Code::InvalidArgument,
                    "locality has no counter",
                ));
            }
            let only = if wildcard {
                None
            } else {
                Some(tables::parse_local(te, c.caps(), false)?)
            };
            Ok(c.read_locals(only)?
                .into_iter()
                .map(|e| (e, None))
                .collect())
        }
    }
}

/// `te`'s match-less read narrowed to one table (a read of table id 0).
fn with_table(te: &p4::TableEntry, id: u32) -> p4::TableEntry {
    p4::TableEntry {
        table_id: id,
        ..te.clone()
    }
}

/// Errors of `serve`.
#[derive(Debug)]
pub struct ServeError(pub String);

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServeError {}

/// Serves `dev` on `listener` until the server fails: the gRPC server on a tokio runtime in its
/// own thread, the device on this one (its handle need not be `Send`). `handle`/`jobs` come
/// from [`core::channel`]; keep a clone of `handle` to reach the device from outside (tests).
pub fn serve<B: Bar + 'static>(
    dev: Device<B>,
    listener: TcpListener,
    opts: Options,
    handle: Handle<B>,
    jobs: Jobs<B>,
) -> Result<(), ServeError> {
    let core = Core::new(dev);
    let svc = Service::new(handle, core.p4info().clone(), opts);
    listener
        .set_nonblocking(true)
        .map_err(|e| ServeError(format!("listener: {e}")))?;
    let server = std::thread::Builder::new()
        .name("p4runtime-grpc".into())
        .spawn(move || -> Result<(), ServeError> {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| ServeError(format!("tokio runtime: {e}")))?;
            rt.block_on(async move {
                let l = tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| ServeError(format!("listener: {e}")))?;
                let incoming = tokio_stream::wrappers::TcpListenerStream::new(l);
                tonic::transport::Server::builder()
                    .add_service(P4RuntimeServer::new(svc))
                    .serve_with_incoming(incoming)
                    .await
                    .map_err(|e| ServeError(format!("gRPC server: {e}")))
            })
        })
        .map_err(|e| ServeError(format!("spawning the gRPC thread: {e}")))?;
    core.run(jobs);
    server
        .join()
        .map_err(|_| ServeError("the gRPC thread panicked".into()))?
}
