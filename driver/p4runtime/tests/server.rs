//! The P4Runtime server on the model, driven by a tonic client over loopback: capabilities and
//! pipeline config, primary election, acl, flows and locality writes in every atomicity mode
//! with per-update statuses, read-back equality, and direct counters after traffic pushed
//! through the model.
#![allow(deprecated)] // role_id: a required field of the generated requests, deprecated in the spec

use std::net::{IpAddr, TcpListener};
use std::time::Duration;

use gufc::backend::{Model2Bar, ModelBar, Sim};
use gufc::device::{Device, OpenOptions};
use gufc::stream;
use gufc_p4runtime::core::{self, Handle};
use gufc_p4runtime::p4info::{self, acl as f};
use gufc_p4runtime::proto::google::rpc;
use gufc_p4runtime::proto::p4::v1 as p4;
use gufc_p4runtime::{serve, Options};
use gufc_regmap::{Action, Key, KeyIn, LookupResult};
use p4::p4_runtime_client::P4RuntimeClient;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::Code;

/// TCAM entries of the test models: the 2.0 rule stage comes in banks of 64.
fn tcam(v2: bool) -> u32 {
    if v2 {
        64
    } else {
        8
    }
}
const CHANNELS: u32 = 4;

type H = Handle<Box<dyn Sim>>;

/// A server on a fresh model (TCAM of [`tcam`] entries) on a loopback port: the RTL 1.x model,
/// or with `v2` the RTL 2.0 one (index-ordered rule stage, range checkers).
fn start_on(v2: bool) -> (String, H) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let (handle, jobs) = core::channel::<Box<dyn Sim>>();
    let h = handle.clone();
    std::thread::spawn(move || {
        let config = gufc_hw_model::Config {
            tcam_entries: tcam(v2),
            flow_buckets: 64,
            flow_ways: 2,
            channels: CHANNELS,
            local_entries: 4,
        };
        let bar: Box<dyn Sim> = if v2 {
            Box::new(Model2Bar::new(config).unwrap())
        } else {
            Box::new(ModelBar::new(config).unwrap())
        };
        let mut dev = Device::open(bar, OpenOptions::default()).unwrap();
        dev.reset().unwrap();
        serve(dev, listener, Options::default(), handle, jobs).unwrap();
    });
    (addr, h)
}

fn start() -> (String, H) {
    start_on(false)
}

async fn client(addr: &str) -> P4RuntimeClient<Channel> {
    for _ in 0..100 {
        if let Ok(c) = P4RuntimeClient::connect(addr.to_string()).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no server at {addr}");
}

fn u128v(v: u128) -> Option<p4::Uint128> {
    Some(p4::Uint128 {
        high: (v >> 64) as u64,
        low: v as u64,
    })
}

/// A controller's stream: send arbitrations, receive responses.
struct Ctl {
    /// Held so the stream stays open; dropping the controller closes it.
    _tx: mpsc::Sender<p4::StreamMessageRequest>,
    rx: tonic::Streaming<p4::StreamMessageResponse>,
}

impl Ctl {
    async fn open(c: &mut P4RuntimeClient<Channel>, election: u128) -> Ctl {
        let (tx, out) = mpsc::channel(8);
        tx.send(arbitration(election)).await.unwrap();
        let rx = c
            .stream_channel(ReceiverStream::new(out))
            .await
            .unwrap()
            .into_inner();
        Ctl { _tx: tx, rx }
    }

    /// The next arbitration update: (status code, election id in it).
    async fn next(&mut self) -> Result<(i32, u128), tonic::Status> {
        let m = tokio::time::timeout(Duration::from_secs(5), self.rx.next())
            .await
            .expect("no stream message within 5 s")
            .expect("stream ended")?;
        match m.update {
            Some(p4::stream_message_response::Update::Arbitration(a)) => {
                let e = a.election_id.unwrap();
                Ok((
                    a.status.unwrap().code,
                    (e.high as u128) << 64 | e.low as u128,
                ))
            }
            other => panic!("expected an arbitration update, got {other:?}"),
        }
    }
}

fn arbitration(election: u128) -> p4::StreamMessageRequest {
    p4::StreamMessageRequest {
        update: Some(p4::stream_message_request::Update::Arbitration(
            p4::MasterArbitrationUpdate {
                device_id: 1,
                role: None,
                election_id: u128v(election),
                status: None,
            },
        )),
    }
}

fn ternary(id: u32, value: &[u8], mask: &[u8]) -> p4::FieldMatch {
    p4::FieldMatch {
        field_id: id,
        field_match_type: Some(p4::field_match::FieldMatchType::Ternary(
            p4::field_match::Ternary {
                value: value.to_vec(),
                mask: mask.to_vec(),
            },
        )),
    }
}

fn range(id: u32, lo: u16, hi: u16) -> p4::FieldMatch {
    p4::FieldMatch {
        field_id: id,
        field_match_type: Some(p4::field_match::FieldMatchType::Range(
            p4::field_match::Range {
                low: canon(&lo.to_be_bytes()),
                high: canon(&hi.to_be_bytes()),
            },
        )),
    }
}

fn optional(id: u32, v: bool) -> p4::FieldMatch {
    p4::FieldMatch {
        field_id: id,
        field_match_type: Some(p4::field_match::FieldMatchType::Optional(
            p4::field_match::Optional {
                value: vec![v as u8],
            },
        )),
    }
}

fn canon(b: &[u8]) -> Vec<u8> {
    gufc_p4runtime::acl::canonical(b)
}

fn steer(ch: u8) -> Option<p4::TableAction> {
    act(p4info::STEER, &[ch])
}

fn act(id: u32, params: &[u8]) -> Option<p4::TableAction> {
    Some(p4::TableAction {
        r#type: Some(p4::table_action::Type::Action(p4::Action {
            action_id: id,
            params: params
                .iter()
                .map(|&v| p4::action::Param {
                    param_id: 1,
                    value: vec![v],
                })
                .collect(),
        })),
    })
}

/// An acl entry: TCP (proto 6) to dst_port `port` from 10.0.0.0/8, steered to `ch`.
fn tcp_to(port: u16, prio: i32, ch: u8) -> p4::TableEntry {
    p4::TableEntry {
        table_id: p4info::ACL,
        r#match: vec![
            ternary(f::SRC_IP, &[10], &[0xff, 0, 0, 0][..1]),
            ternary(f::PROTO, &[6], &[0xff]),
            range(f::DST_PORT, port, port),
        ],
        action: steer(ch),
        priority: prio,
        ..Default::default()
    }
    .fix_src()
}

trait FixSrc {
    fn fix_src(self) -> Self;
}

impl FixSrc for p4::TableEntry {
    /// 10.0.0.0/8 as a 32-bit ternary in canonical form: value 0x0a000000, mask 0xff000000.
    fn fix_src(mut self) -> Self {
        self.r#match[0] = ternary(f::SRC_IP, &[10, 0, 0, 0], &[0xff, 0, 0, 0]);
        self
    }
}

fn update(ty: p4::update::Type, e: p4::TableEntry) -> p4::Update {
    p4::Update {
        r#type: ty as i32,
        entity: Some(p4::Entity {
            entity: Some(p4::entity::Entity::TableEntry(e)),
        }),
    }
}

async fn write(
    c: &mut P4RuntimeClient<Channel>,
    election: u128,
    atomicity: p4::write_request::Atomicity,
    updates: Vec<p4::Update>,
) -> Result<(), tonic::Status> {
    c.write(p4::WriteRequest {
        device_id: 1,
        role_id: 0,
        role: String::new(),
        election_id: u128v(election),
        updates,
        atomicity: atomicity as i32,
    })
    .await
    .map(|_| ())
}

/// The per-update canonical codes of a failed Write.
fn codes(s: &tonic::Status) -> Vec<Code> {
    assert_eq!(s.code(), Code::Unknown, "a failed batch is UNKNOWN: {s:?}");
    let st = rpc::Status::decode(s.details()).expect("details are a google.rpc.Status");
    st.details
        .iter()
        .map(|a| {
            assert_eq!(a.type_url, "type.googleapis.com/p4.v1.Error");
            Code::from(p4::Error::decode(&a.value[..]).unwrap().canonical_code)
        })
        .collect()
}

async fn read_acl(c: &mut P4RuntimeClient<Channel>, counters: bool) -> Vec<p4::TableEntry> {
    let mut s = c
        .read(p4::ReadRequest {
            device_id: 1,
            role: String::new(),
            entities: vec![p4::Entity {
                entity: Some(p4::entity::Entity::TableEntry(p4::TableEntry {
                    table_id: p4info::ACL,
                    counter_data: counters.then(p4::CounterData::default),
                    ..Default::default()
                })),
            }],
        })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Some(r) = s.next().await {
        for e in r.unwrap().entities {
            match e.entity {
                Some(p4::entity::Entity::TableEntry(t)) => out.push(t),
                other => panic!("read gave {other:?}"),
            }
        }
    }
    out.sort_by_key(|e| e.priority);
    out
}

/// What the device's TCAM holds, read back through its registers.
/// Every DirectCounterEntry of table `table_id`: (its table entry, packets, bytes).
async fn read_direct(
    c: &mut P4RuntimeClient<Channel>,
    table_id: u32,
) -> Vec<(p4::TableEntry, i64, i64)> {
    let mut s = c
        .read(p4::ReadRequest {
            device_id: 1,
            role: String::new(),
            entities: vec![p4::Entity {
                entity: Some(p4::entity::Entity::DirectCounterEntry(
                    p4::DirectCounterEntry {
                        table_entry: Some(p4::TableEntry {
                            table_id,
                            ..Default::default()
                        }),
                        data: None,
                    },
                )),
            }],
        })
        .await
        .unwrap()
        .into_inner();
    s.next()
        .await
        .unwrap()
        .unwrap()
        .entities
        .into_iter()
        .map(|e| match e.entity {
            Some(p4::entity::Entity::DirectCounterEntry(d)) => {
                let c = d.data.unwrap();
                (d.table_entry.unwrap(), c.packet_count, c.byte_count)
            }
            other => panic!("{other:?}"),
        })
        .collect()
}

fn live(h: &H) -> usize {
    h.call_blocking(|c| c.device().live_rules().unwrap().len())
        .unwrap()
}

/// Pushes `n` TCP packets of `len` bytes 10.1.2.3:1000 → 192.0.2.1:`dport` through the model.
fn traffic(h: &H, dport: u16, n: usize, len: u16) -> Vec<LookupResult> {
    h.call_blocking(move |c| {
        let key = Key::new(
            "10.1.2.3".parse::<IpAddr>().unwrap(),
            "192.0.2.1".parse().unwrap(),
            6,
            1000,
            dport,
        );
        let keys = (0..n).map(|i| KeyIn {
            key,
            len,
            tag: i as u32,
            tcp_flags: 0,
        });
        let mut out = Vec::new();
        stream::classify(c.device().bar(), keys, |r| out.push(*r)).unwrap();
        out
    })
    .unwrap()
}

use p4::update::Type::{Delete, Insert, Modify};
use p4::write_request::Atomicity::{ContinueOnError, DataplaneAtomic, RollbackOnError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capabilities_and_pipeline_config() {
    let (addr, h) = start();
    let mut c = client(&addr).await;
    let caps = c
        .capabilities(p4::CapabilitiesRequest { device_id: 1 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(caps.p4runtime_api_version, gufc_p4runtime::API_VERSION);
    let got = c
        .get_forwarding_pipeline_config(p4::GetForwardingPipelineConfigRequest {
            device_id: 1,
            response_type: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    let want = h.call_blocking(|c| p4info::build(c.caps())).unwrap();
    assert_eq!(got.p4info.as_ref(), Some(&want));
    let acl = &want.tables[0];
    assert_eq!(
        acl.size,
        tcam(false) as i64,
        "acl size is the TCAM capacity"
    );
    assert_eq!(want.counters[0].size, CHANNELS as i64);

    // Wait for the arbitration's answer: before it the server may not have made 7 primary yet
    // (seen once under load: "no primary").
    let mut ctl = Ctl::open(&mut c, 7).await;
    assert_eq!(ctl.next().await.unwrap(), (0, 7));
    use p4::set_forwarding_pipeline_config_request::Action as A;
    let set =
        |action: A, p4info: Option<gufc_p4runtime::proto::p4::config::v1::P4Info>, election| {
            p4::SetForwardingPipelineConfigRequest {
                device_id: 1,
                role_id: 0,
                role: String::new(),
                election_id: u128v(election),
                action: action as i32,
                config: Some(p4::ForwardingPipelineConfig {
                    p4info,
                    p4_device_config: vec![],
                    cookie: Some(p4::forwarding_pipeline_config::Cookie { cookie: 42 }),
                }),
            }
        };
    for a in [
        A::Verify,
        A::VerifyAndCommit,
        A::Commit,
        A::ReconcileAndCommit,
    ] {
        c.set_forwarding_pipeline_config(set(a, Some(want.clone()), 7))
            .await
            .unwrap_or_else(|e| panic!("{a:?} refused: {e:?}"));
    }
    let e = c
        .set_forwarding_pipeline_config(set(A::VerifyAndSave, Some(want.clone()), 7))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
    let mut other = want.clone();
    other.tables[0].size += 1;
    let e = c
        .set_forwarding_pipeline_config(set(A::VerifyAndCommit, Some(other), 7))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("tables \"acl\""), "{}", e.message());
    let e = c
        .set_forwarding_pipeline_config(set(A::Verify, Some(want.clone()), 6))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Code::PermissionDenied,
        "only the primary sets the pipeline"
    );
    let cookie = c
        .get_forwarding_pipeline_config(p4::GetForwardingPipelineConfigRequest {
            device_id: 1,
            response_type: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert_eq!(cookie.cookie.map(|c| c.cookie), Some(42));
    assert!(cookie.p4info.is_none(), "COOKIE_ONLY has no P4Info");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn election_primary_and_backups() {
    let (addr, _h) = start();
    let mut c = client(&addr).await;
    let mut a = Ctl::open(&mut c, 10).await;
    assert_eq!(
        a.next().await.unwrap(),
        (0, 10),
        "the first controller is primary"
    );
    let mut b = Ctl::open(&mut c, 5).await;
    assert_eq!(
        b.next().await.unwrap(),
        (Code::AlreadyExists as i32, 10),
        "a lower election id is a backup, told the primary's id"
    );
    // The backup may read but not write.
    let e = write(
        &mut c,
        5,
        DataplaneAtomic,
        vec![update(Insert, tcp_to(80, 10, 1))],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = write(
        &mut c,
        11,
        DataplaneAtomic,
        vec![update(Insert, tcp_to(80, 10, 1))],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.code(),
        Code::PermissionDenied,
        "an id nobody holds may not write"
    );
    assert!(read_acl(&mut c, false).await.is_empty());
    write(
        &mut c,
        10,
        DataplaneAtomic,
        vec![update(Insert, tcp_to(80, 10, 1))],
    )
    .await
    .unwrap();
    assert_eq!(read_acl(&mut c, false).await.len(), 1, "the backup reads");

    // The same election id twice is refused and that stream is closed.
    let mut dup = Ctl::open(&mut c, 10).await;
    let e = dup.next().await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);

    // A higher id takes over; everyone hears.
    let mut d = Ctl::open(&mut c, 20).await;
    assert_eq!(d.next().await.unwrap(), (0, 20));
    assert_eq!(a.next().await.unwrap(), (Code::AlreadyExists as i32, 20));
    assert_eq!(b.next().await.unwrap(), (Code::AlreadyExists as i32, 20));
    let e = write(
        &mut c,
        10,
        ContinueOnError,
        vec![update(Delete, tcp_to(80, 10, 1))],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.code(),
        Code::PermissionDenied,
        "the old primary lost its right to write"
    );

    // The primary leaves: the next highest (10) is primary again.
    drop(d);
    assert_eq!(a.next().await.unwrap(), (0, 10));
    assert_eq!(b.next().await.unwrap().0, Code::AlreadyExists as i32);
    write(
        &mut c,
        10,
        ContinueOnError,
        vec![update(Delete, tcp_to(80, 10, 1))],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_read_back_and_classify_rtl1() {
    insert_read_back_and_classify(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_read_back_and_classify_rtl2() {
    insert_read_back_and_classify(true).await
}

async fn insert_read_back_and_classify(v2: bool) {
    let (addr, h) = start_on(v2);
    let mut c = client(&addr).await;
    let mut ctl = Ctl::open(&mut c, 1).await;
    ctl.next().await.unwrap();
    let v6 = p4::TableEntry {
        table_id: p4info::ACL,
        r#match: vec![
            optional(f::IS_IPV6, true),
            ternary(f::DST_IPV6, &[0x20, 0x01, 0x0d, 0xb8], &[0xff; 4]).pad_to(16),
            optional(f::DST_LOCAL, false),
            range(f::SRC_PORT, 1024, 65535),
        ],
        action: act(p4info::SLOW_PATH, &[200]),
        priority: 30,
        metadata: b"from the test".to_vec(),
        ..Default::default()
    };
    // The 2.0 model classifies IPv4 only: its P4Info has no IPv6 fields, and the entry is
    // refused as naming a field the device lacks.
    if v2 {
        let e = write(&mut c, 1, ContinueOnError, vec![update(Insert, v6.clone())])
            .await
            .unwrap_err();
        assert_eq!(codes(&e), [Code::InvalidArgument]);
    }
    let mut sent = vec![tcp_to(80, 10, 1), tcp_to(443, 20, 2), v6.clone()];
    if v2 {
        sent.pop();
    }
    write(
        &mut c,
        1,
        DataplaneAtomic,
        sent.iter().cloned().map(|e| update(Insert, e)).collect(),
    )
    .await
    .unwrap();
    let mut want = sent.clone();
    if !v2 {
        // The server keeps entries canonical: matches in field order.
        want[2].r#match.sort_by_key(|m| m.field_id);
    }
    assert_eq!(read_acl(&mut c, false).await, want);
    if !v2 {
        assert_eq!(live(&h), 3, "three TCAM entries on the device");
    }
    // The rules decide packets: port 80 → channel 1, 443 → 2, 22 → miss.
    for (port, ch) in [(80, Some(1)), (443, Some(2)), (22, None)] {
        let r = traffic(&h, port, 1, 64);
        let got = match r[0].action {
            Action::Deliver { channel } if r[0].kind == gufc_regmap::HitKind::Rule => Some(channel),
            _ => None,
        };
        assert_eq!(got, ch, "dport {port}: {:?}", r[0]);
    }
    // Non-canonical bytes in (leading zeros) read back canonical, and name the same entry.
    let mut padded = tcp_to(80, 10, 1);
    padded.r#match[1] = ternary(f::PROTO, &[0, 6], &[0, 0xff]);
    let e = write(&mut c, 1, ContinueOnError, vec![update(Insert, padded)])
        .await
        .unwrap_err();
    assert_eq!(codes(&e), [Code::AlreadyExists]);
    // A MODIFY in padded bytes finds the entry; it reads back canonical.
    let mut padded = tcp_to(80, 10, 3);
    padded.r#match[1] = ternary(f::PROTO, &[0, 6], &[0, 0xff]);
    padded.r#match[2] = range(f::DST_PORT, 80, 80);
    if let Some(p4::field_match::FieldMatchType::Range(r)) = &mut padded.r#match[2].field_match_type
    {
        r.low = vec![0, 80];
    }
    write(&mut c, 1, ContinueOnError, vec![update(Modify, padded)])
        .await
        .unwrap();
    want[0] = tcp_to(80, 10, 3);
    assert_eq!(read_acl(&mut c, false).await, want);
}

trait Pad {
    fn pad_to(self, n: usize) -> Self;
}

impl Pad for p4::FieldMatch {
    /// A ternary's value and mask as `n`-byte strings (prefix bytes first, zeros after).
    fn pad_to(mut self, n: usize) -> Self {
        if let Some(p4::field_match::FieldMatchType::Ternary(t)) = &mut self.field_match_type {
            t.value.resize(n, 0);
            t.mask.resize(n, 0);
        }
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_update_statuses_and_atomicity_rtl1() {
    per_update_statuses_and_atomicity(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_update_statuses_and_atomicity_rtl2() {
    per_update_statuses_and_atomicity(true).await
}

async fn per_update_statuses_and_atomicity(v2: bool) {
    let (addr, h) = start_on(v2);
    let mut c = client(&addr).await;
    let mut ctl = Ctl::open(&mut c, 1).await;
    ctl.next().await.unwrap();
    write(
        &mut c,
        1,
        DataplaneAtomic,
        vec![update(Insert, tcp_to(80, 10, 1))],
    )
    .await
    .unwrap();
    let before = read_acl(&mut c, false).await;

    // DATAPLANE_ATOMIC with one bad update (channel out of range) changes nothing.
    let e = write(
        &mut c,
        1,
        DataplaneAtomic,
        vec![
            update(Insert, tcp_to(443, 20, 2)),
            update(Insert, tcp_to(8080, 30, CHANNELS as u8)),
            update(Modify, tcp_to(80, 10, 3)),
            update(Delete, tcp_to(80, 10, 1)),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [
            Code::Aborted,
            Code::OutOfRange,
            Code::Aborted,
            Code::Aborted
        ]
    );
    assert_eq!(read_acl(&mut c, false).await, before, "nothing applied");
    assert_eq!(live(&h), 1);
    assert_eq!(
        traffic(&h, 80, 1, 64)[0].action,
        Action::Deliver { channel: 1 }
    );
    assert_eq!(traffic(&h, 443, 1, 64)[0].kind, gufc_regmap::HitKind::Miss);

    // ROLLBACK_ON_ERROR alike, the failure being a duplicate.
    let e = write(
        &mut c,
        1,
        RollbackOnError,
        vec![
            update(Insert, tcp_to(443, 20, 2)),
            update(Insert, tcp_to(80, 10, 1)),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(codes(&e), [Code::Aborted, Code::AlreadyExists]);
    assert_eq!(read_acl(&mut c, false).await, before);

    // Two entries that compile to the same TCAM entry (is_ipv4=1 and is_ipv6=0 say the same)
    // could not be told apart on the device: the second is ALREADY_EXISTS.
    if !v2 {
        let mut a = tcp_to(53, 50, 0);
        a.r#match.insert(0, optional(f::IS_IPV4, true));
        let mut b = tcp_to(53, 50, 0);
        b.r#match.insert(0, optional(f::IS_IPV6, false));
        let e = write(
            &mut c,
            1,
            ContinueOnError,
            vec![update(Insert, a.clone()), update(Insert, b)],
        )
        .await
        .unwrap_err();
        assert_eq!(codes(&e), [Code::Ok, Code::AlreadyExists]);
        write(&mut c, 1, DataplaneAtomic, vec![update(Delete, a)])
            .await
            .unwrap();
    }

    // CONTINUE_ON_ERROR applies the good ones, each failure with its own code.
    let mut bad_reason = tcp_to(25, 40, 0);
    bad_reason.action = act(p4info::SLOW_PATH, &[3]);
    let mut bad_mask = tcp_to(26, 41, 0);
    bad_mask.r#match[0] = ternary(f::SRC_IP, &[10, 0, 0, 0], &[0xff, 0, 0xff, 0]);
    let mut no_prio = tcp_to(27, 42, 0);
    no_prio.priority = 0;
    let e = write(
        &mut c,
        1,
        ContinueOnError,
        vec![
            update(Insert, tcp_to(443, 20, 2)),
            update(Modify, tcp_to(9999, 10, 1)),
            update(Delete, tcp_to(9998, 10, 1)),
            update(Insert, bad_reason),
            update(Insert, bad_mask),
            update(Insert, no_prio),
            update(Modify, tcp_to(80, 10, 3)),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [
            Code::Ok,
            Code::NotFound,
            Code::NotFound,
            Code::OutOfRange,
            Code::Unimplemented,
            Code::InvalidArgument,
            Code::Ok
        ]
    );
    let now = read_acl(&mut c, false).await;
    assert_eq!(now, vec![tcp_to(80, 10, 3), tcp_to(443, 20, 2)]);
    assert_eq!(
        traffic(&h, 80, 1, 64)[0].action,
        Action::Deliver { channel: 3 }
    );

    if v2 {
        // The 2.0 rule stage writes the whole new set beside the live one (index-ordered):
        // a set of TCAM - 2 more entries does not fit, fails whole and changes nothing.
        let fill: Vec<_> = (0..tcam(v2) as u16 - 2)
            .map(|i| update(Insert, tcp_to(1000 + i, 100 + i as i32, 0)))
            .collect();
        let before = read_acl(&mut c, false).await;
        let e = write(&mut c, 1, ContinueOnError, fill).await.unwrap_err();
        assert!(codes(&e).iter().all(|&c| c == Code::ResourceExhausted));
        assert_eq!(read_acl(&mut c, false).await, before);
        assert_eq!(live(&h), 2);
        let half: Vec<_> = (0..tcam(v2) as u16 / 2 - 2)
            .map(|i| update(Insert, tcp_to(1000 + i, 100 + i as i32, 0)))
            .collect();
        write(&mut c, 1, DataplaneAtomic, half).await.unwrap();
        assert_eq!(read_acl(&mut c, false).await.len(), tcam(v2) as usize / 2);
        return;
    }
    // Table full: TCAM entries in all; one more is RESOURCE_EXHAUSTED, the rest land.
    let fill: Vec<_> = (0..tcam(v2) as u16 - 2)
        .map(|i| update(Insert, tcp_to(1000 + i, 100 + i as i32, 0)))
        .collect();
    write(&mut c, 1, DataplaneAtomic, fill).await.unwrap();
    assert_eq!(live(&h), tcam(v2) as usize);
    let e = write(
        &mut c,
        1,
        ContinueOnError,
        vec![update(Insert, tcp_to(7, 7, 0))],
    )
    .await
    .unwrap_err();
    assert_eq!(codes(&e), [Code::ResourceExhausted]);
    // The plane commit stages the new set beside the live one: in a full TCAM a batch that
    // replaces an entry has no room (documented), fails whole and changes nothing.
    let full = read_acl(&mut c, false).await;
    let e = write(
        &mut c,
        1,
        ContinueOnError,
        vec![
            update(Delete, tcp_to(443, 20, 2)),
            update(Insert, tcp_to(7, 7, 0)),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [Code::ResourceExhausted, Code::ResourceExhausted]
    );
    assert!(e.message().contains("2 of 2"), "{}", e.message());
    assert_eq!(read_acl(&mut c, false).await, full);
    assert_eq!(live(&h), tcam(v2) as usize);
    // A delete first, then the insert, fit.
    write(
        &mut c,
        1,
        DataplaneAtomic,
        vec![update(Delete, tcp_to(443, 20, 2))],
    )
    .await
    .unwrap();
    write(
        &mut c,
        1,
        DataplaneAtomic,
        vec![update(Insert, tcp_to(7, 7, 0))],
    )
    .await
    .unwrap();
    assert_eq!(read_acl(&mut c, false).await.len(), tcam(v2) as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_and_channel_counters_after_traffic_rtl1() {
    direct_and_channel_counters_after_traffic(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_and_channel_counters_after_traffic_rtl2() {
    direct_and_channel_counters_after_traffic(true).await
}

async fn direct_and_channel_counters_after_traffic(v2: bool) {
    let (addr, h) = start_on(v2);
    let mut c = client(&addr).await;
    let mut ctl = Ctl::open(&mut c, 3).await;
    ctl.next().await.unwrap();
    write(
        &mut c,
        3,
        DataplaneAtomic,
        vec![
            update(Insert, tcp_to(80, 10, 1)),
            update(Insert, tcp_to(443, 20, 2)),
        ],
    )
    .await
    .unwrap();
    traffic(&h, 80, 5, 100);
    traffic(&h, 443, 2, 1500);
    let counts = |es: &[p4::TableEntry]| -> Vec<(i64, i64)> {
        es.iter()
            .map(|e| {
                let d = e.counter_data.as_ref().expect("counter data asked for");
                (d.packet_count, d.byte_count)
            })
            .collect()
    };
    assert_eq!(counts(&read_acl(&mut c, true).await), [(5, 500), (2, 3000)]);

    // DirectCounterEntry reads give the same.
    let mut direct: Vec<(i32, i64)> = read_direct(&mut c, p4info::ACL)
        .await
        .into_iter()
        .map(|(t, p, _)| (t.priority, p))
        .collect();
    direct.sort();
    assert_eq!(direct, [(10, 5), (20, 2)]);

    // Channel counters.
    let mut s = c
        .read(p4::ReadRequest {
            device_id: 1,
            role: String::new(),
            entities: vec![p4::Entity {
                entity: Some(p4::entity::Entity::CounterEntry(p4::CounterEntry {
                    counter_id: p4info::CHANNEL_COUNTER,
                    index: None,
                    data: None,
                })),
            }],
        })
        .await
        .unwrap()
        .into_inner();
    let per_ch: Vec<i64> = s
        .next()
        .await
        .unwrap()
        .unwrap()
        .entities
        .iter()
        .map(|e| match &e.entity {
            Some(p4::entity::Entity::CounterEntry(c)) => c.data.unwrap().packet_count,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(per_ch, [0, 5, 2, 0]);

    // A MODIFY rewrites the TCAM slot (clearing it on the device) but the entry keeps its
    // counts; new traffic adds to them.
    write(
        &mut c,
        3,
        DataplaneAtomic,
        vec![update(Modify, tcp_to(80, 10, 3))],
    )
    .await
    .unwrap();
    traffic(&h, 80, 1, 40);
    assert_eq!(counts(&read_acl(&mut c, true).await), [(6, 540), (2, 3000)]);
    // An unrelated insert leaves both alone.
    write(
        &mut c,
        3,
        DataplaneAtomic,
        vec![update(Insert, tcp_to(22, 30, 0))],
    )
    .await
    .unwrap();
    assert_eq!(
        counts(&read_acl(&mut c, true).await),
        [(6, 540), (2, 3000), (0, 0)]
    );
    // MODIFY with counter data sets the counter.
    let mut set = tcp_to(443, 20, 2);
    set.counter_data = Some(p4::CounterData {
        byte_count: 7,
        packet_count: 1,
    });
    write(&mut c, 3, DataplaneAtomic, vec![update(Modify, set)])
        .await
        .unwrap();
    assert_eq!(counts(&read_acl(&mut c, true).await)[1], (1, 7));
    // Deleted and inserted again: it starts from zero.
    write(
        &mut c,
        3,
        DataplaneAtomic,
        vec![update(Delete, tcp_to(80, 10, 3))],
    )
    .await
    .unwrap();
    write(
        &mut c,
        3,
        DataplaneAtomic,
        vec![update(Insert, tcp_to(80, 10, 3))],
    )
    .await
    .unwrap();
    assert_eq!(counts(&read_acl(&mut c, true).await)[0], (0, 0));
}

// ---- flows and locality ----

fn exact(id: u32, v: u128) -> p4::FieldMatch {
    p4::FieldMatch {
        field_id: id,
        field_match_type: Some(p4::field_match::FieldMatchType::Exact(
            p4::field_match::Exact {
                value: canon(&v.to_be_bytes()),
            },
        )),
    }
}

/// A `flows` entry for `key` (canonical form, as a read gives it back).
fn flow(key: Key, action: Option<p4::TableAction>) -> p4::TableEntry {
    use p4info::flows as ff;
    p4::TableEntry {
        table_id: p4info::FLOWS,
        r#match: vec![
            exact(ff::IS_IPV6, key.ipv6 as u128),
            exact(ff::SRC_ADDR, key.src),
            exact(ff::DST_ADDR, key.dst),
            exact(ff::PROTO, key.proto as u128),
            exact(ff::SRC_PORT, key.sport as u128),
            exact(ff::DST_PORT, key.dport as u128),
        ],
        action,
        ..Default::default()
    }
}

/// The flow [`traffic`] sends: TCP 10.1.2.3:1000 → 192.0.2.1:`dport`.
fn traffic_key(dport: u16) -> Key {
    Key::new(
        "10.1.2.3".parse::<IpAddr>().unwrap(),
        "192.0.2.1".parse().unwrap(),
        6,
        1000,
        dport,
    )
}

/// A `locality` entry: `prefix_len` on the 128-bit field (an IPv4 /L is 96 + L).
fn local(ipv6: bool, addr: u128, prefix_len: i32) -> p4::TableEntry {
    let mut ms = vec![exact(p4info::locality::IS_IPV6, ipv6 as u128)];
    if prefix_len != 0 {
        ms.push(p4::FieldMatch {
            field_id: p4info::locality::ADDR,
            field_match_type: Some(p4::field_match::FieldMatchType::Lpm(p4::field_match::Lpm {
                value: canon(&addr.to_be_bytes()),
                prefix_len,
            })),
        });
    }
    p4::TableEntry {
        table_id: p4info::LOCALITY,
        r#match: ms,
        action: act(p4info::LOCAL, &[]),
        ..Default::default()
    }
}

/// Reads table `table` (wildcard, or the one entry `only`), sorted by encoding.
async fn read_table(
    c: &mut P4RuntimeClient<Channel>,
    table: u32,
    only: Option<p4::TableEntry>,
    counters: bool,
) -> Result<Vec<p4::TableEntry>, tonic::Status> {
    let mut te = only.unwrap_or(p4::TableEntry {
        table_id: table,
        ..Default::default()
    });
    te.action = None;
    te.counter_data = counters.then(p4::CounterData::default);
    let mut s = c
        .read(p4::ReadRequest {
            device_id: 1,
            role: String::new(),
            entities: vec![p4::Entity {
                entity: Some(p4::entity::Entity::TableEntry(te)),
            }],
        })
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(r) = s.next().await {
        for e in r?.entities {
            match e.entity {
                Some(p4::entity::Entity::TableEntry(t)) => out.push(t),
                other => panic!("read gave {other:?}"),
            }
        }
    }
    out.sort_by_key(|e| e.encode_to_vec());
    Ok(out)
}

fn sorted(mut v: Vec<p4::TableEntry>) -> Vec<p4::TableEntry> {
    v.sort_by_key(|e| e.encode_to_vec());
    v
}

/// The per-update messages of a failed Write.
fn messages(s: &tonic::Status) -> Vec<String> {
    let st = rpc::Status::decode(s.details()).unwrap();
    st.details
        .iter()
        .map(|a| p4::Error::decode(&a.value[..]).unwrap().message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_and_locality_write_read_classify_rtl1() {
    flows_and_locality_write_read_classify(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_and_locality_write_read_classify_rtl2() {
    flows_and_locality_write_read_classify(true).await
}

async fn flows_and_locality_write_read_classify(v2: bool) {
    let (addr, h) = start_on(v2);
    let mut c = client(&addr).await;
    let mut ctl = Ctl::open(&mut c, 5).await;
    ctl.next().await.unwrap();

    // Ports differ so a swapped decoder or encoder shows.
    let k80 = traffic_key(80);
    let udp = Key::new(
        "198.51.100.7".parse::<IpAddr>().unwrap(),
        "203.0.113.9".parse().unwrap(),
        17,
        5353,
        53,
    );
    let v6 = Key::new(
        "2001:db8::1".parse::<IpAddr>().unwrap(),
        "2001:db8::2".parse().unwrap(),
        6,
        40000,
        443,
    );
    let mut flows = vec![
        flow(k80, steer(2)),
        flow(udp, act(p4info::SLOW_PATH, &[200])),
    ];
    let mut locals = vec![local(false, 0x0a00_0000, 96 + 8)];
    if !v2 {
        flows.push(flow(v6, act(p4info::DROP, &[])));
        locals.push(local(true, 0x2001_0db8 << 96, 32));
    } else {
        // The 2.0 model classifies IPv4 only: an IPv6 flow or prefix names is_ipv6.
        let e = write(
            &mut c,
            5,
            ContinueOnError,
            vec![
                update(Insert, flow(v6, act(p4info::DROP, &[]))),
                update(Insert, local(true, 0x2001_0db8 << 96, 32)),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(codes(&e), [Code::InvalidArgument; 2]);
        assert!(messages(&e).iter().all(|m| m.contains("is_ipv6")), "{e:?}");
    }
    // One batch mixing all three tables, rolled back as a whole on failure.
    let mut batch: Vec<p4::Update> = flows.iter().cloned().map(|e| update(Insert, e)).collect();
    batch.extend(locals.iter().cloned().map(|e| update(Insert, e)));
    batch.push(update(Insert, tcp_to(80, 10, 1)));
    write(&mut c, 5, RollbackOnError, batch).await.unwrap();

    assert_eq!(
        read_table(&mut c, p4info::FLOWS, None, false)
            .await
            .unwrap(),
        sorted(flows.clone())
    );
    assert_eq!(
        read_table(&mut c, p4info::LOCALITY, None, false)
            .await
            .unwrap(),
        sorted(locals.clone())
    );
    // By key: the one entry, or nothing.
    let one = read_table(&mut c, p4info::FLOWS, Some(flow(udp, None)), false)
        .await
        .unwrap();
    assert_eq!(one, [flows[1].clone()]);
    let none = read_table(
        &mut c,
        p4info::FLOWS,
        Some(flow(traffic_key(81), None)),
        false,
    )
    .await
    .unwrap();
    assert!(none.is_empty());
    let one = read_table(&mut c, p4info::LOCALITY, Some(locals[0].clone()), false)
        .await
        .unwrap();
    assert_eq!(one, [locals[0].clone()]);
    // What the library's own show calls see (what `gufc flows show` / `local show` print).
    let (n_flows, local_list) = h
        .call_blocking(|c| {
            let d = c.device();
            (d.flows().unwrap().len(), d.locals().unwrap())
        })
        .unwrap();
    assert_eq!(n_flows, flows.len());
    assert_eq!(local_list[0].to_string(), "10.0.0.0/8");

    // The flow decides its packets (the acl rule for the same packets loses to the cache) and
    // stays current across the acl commit: P4Runtime flows are pinned.
    let r = traffic(&h, 80, 3, 100);
    assert!(
        r.iter().all(|r| r.action == Action::Deliver { channel: 2 }
            && r.kind == gufc_regmap::HitKind::Flow
            && !r.stale
            && r.src_local),
        "{r:?}"
    );
    let counted = read_table(&mut c, p4info::FLOWS, Some(flow(k80, None)), true)
        .await
        .unwrap();
    let d = counted[0].counter_data.unwrap();
    assert_eq!((d.packet_count, d.byte_count), (3, 300));
    // A MODIFY rewrites the slot (FLOW_WRITE clears its counters) but the entry keeps its
    // counts; new traffic adds to them and follows the new action.
    write(
        &mut c,
        5,
        RollbackOnError,
        vec![update(Modify, flow(k80, steer(3)))],
    )
    .await
    .unwrap();
    let r = traffic(&h, 80, 2, 50);
    assert!(r.iter().all(|r| r.action == Action::Deliver { channel: 3 }));
    let counted = read_table(&mut c, p4info::FLOWS, Some(flow(k80, None)), true)
        .await
        .unwrap();
    let d = counted[0].counter_data.unwrap();
    assert_eq!((d.packet_count, d.byte_count), (5, 400));
    assert_eq!(counted[0].action, steer(3));
    // The same through DirectCounterEntry (flows_counter), every flow of the table.
    let direct: Vec<(p4::TableEntry, (i64, i64))> = read_direct(&mut c, p4info::FLOWS)
        .await
        .into_iter()
        .map(|(t, p, b)| (t, (p, b)))
        .collect();
    assert_eq!(direct.len(), flows.len());
    let mut k80_entry = flow(k80, steer(3));
    k80_entry.action = steer(3);
    assert!(direct.contains(&(k80_entry, (5, 400))), "{direct:?}");

    // One status per update: duplicate, missing, bad field.
    let mut wide = flow(udp, steer(1));
    wide.r#match[1] = exact(p4info::flows::SRC_ADDR, 1 << 40);
    let mut short = flow(traffic_key(9), steer(1));
    short.r#match.pop();
    let e = write(
        &mut c,
        5,
        ContinueOnError,
        vec![
            update(Insert, flow(traffic_key(22), steer(0))),
            update(Insert, flows[1].clone()),
            update(Modify, flow(traffic_key(23), steer(0))),
            update(Delete, flow(traffic_key(24), None)),
            update(Insert, wide),
            update(Insert, short),
            update(Insert, locals[0].clone()),
            update(Delete, local(false, 0xc000_0200, 96 + 24)),
            update(Insert, local(false, 0x0a00_0000, 8)),
            // prefix_len 96 on IPv4 would be a second spelling of the whole family (/0).
            update(Insert, local(false, 0, 96)),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [
            Code::Ok,
            Code::AlreadyExists,
            Code::NotFound,
            Code::NotFound,
            Code::InvalidArgument,
            Code::InvalidArgument,
            Code::AlreadyExists,
            Code::NotFound,
            Code::InvalidArgument,
            Code::InvalidArgument,
        ]
    );
    let m = messages(&e);
    assert!(m[4].contains("src_addr"), "{}", m[4]);
    assert!(m[5].contains("dst_port"), "{}", m[5]);
    assert!(m[8].contains("prefix_len"), "{}", m[8]);
    assert!(m[9].contains("96 + L"), "{}", m[9]);
    // The good one went in (CONTINUE_ON_ERROR).
    assert_eq!(
        read_table(&mut c, p4info::FLOWS, None, false)
            .await
            .unwrap()
            .len(),
        flows.len() + 1
    );

    // ROLLBACK_ON_ERROR: one failure, nothing applied, the others ABORTED.
    let before_f = read_table(&mut c, p4info::FLOWS, None, false)
        .await
        .unwrap();
    let before_l = read_table(&mut c, p4info::LOCALITY, None, false)
        .await
        .unwrap();
    let e = write(
        &mut c,
        5,
        RollbackOnError,
        vec![
            update(Insert, flow(traffic_key(25), steer(0))),
            update(Delete, flows[1].clone()),
            update(Insert, local(false, 0xc000_0200, 96 + 24)),
            update(Insert, flows[0].clone()),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [
            Code::Aborted,
            Code::Aborted,
            Code::Aborted,
            Code::AlreadyExists
        ]
    );
    assert_eq!(
        read_table(&mut c, p4info::FLOWS, None, false)
            .await
            .unwrap(),
        before_f
    );
    assert_eq!(
        read_table(&mut c, p4info::LOCALITY, None, false)
            .await
            .unwrap(),
        before_l
    );

    // DATAPLANE_ATOMIC: one flows update alone is one register transaction (atomic); two, or
    // one beside acl updates, cannot be made atomic and the Write is refused whole.
    for batch in [
        vec![
            update(Insert, flow(traffic_key(26), steer(0))),
            update(Insert, flow(traffic_key(27), steer(0))),
        ],
        vec![
            update(Insert, local(false, 0xc000_0200, 96 + 24)),
            update(Insert, tcp_to(443, 20, 2)),
        ],
    ] {
        let e = write(&mut c, 5, DataplaneAtomic, batch).await.unwrap_err();
        assert_eq!(e.code(), Code::Unimplemented, "{e:?}");
        assert!(e.message().contains("DATAPLANE_ATOMIC"), "{e:?}");
    }
    assert_eq!(
        read_table(&mut c, p4info::FLOWS, None, false)
            .await
            .unwrap(),
        before_f
    );
    assert_eq!(
        read_table(&mut c, p4info::LOCALITY, None, false)
            .await
            .unwrap(),
        before_l
    );
    write(
        &mut c,
        5,
        DataplaneAtomic,
        vec![update(Delete, flow(traffic_key(22), None))],
    )
    .await
    .unwrap();

    // The locality table (4 entries in the test model) fills: RESOURCE_EXHAUSTED per update.
    let more: Vec<_> = (0..4u128)
        .map(|i| update(Insert, local(false, 0xc000_0000 | i << 8, 96 + 24)))
        .collect();
    let e = write(&mut c, 5, ContinueOnError, more).await.unwrap_err();
    let free = 4 - locals.len();
    let mut want = vec![Code::Ok; free];
    want.resize(4, Code::ResourceExhausted);
    assert_eq!(codes(&e), want);

    // Delete everything written; a table-0 read then holds only the acl rule.
    let mut gone: Vec<_> = flows.iter().cloned().map(|e| update(Delete, e)).collect();
    gone.extend(locals.iter().cloned().map(|e| update(Delete, e)));
    write(&mut c, 5, ContinueOnError, gone).await.unwrap();
    assert!(read_table(&mut c, p4info::FLOWS, None, false)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        read_table(&mut c, p4info::LOCALITY, None, false)
            .await
            .unwrap()
            .len(),
        free
    );
    let all = read_table(&mut c, 0, None, false).await.unwrap();
    assert_eq!(all.len(), 1 + free);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_full_rollback_and_continue_rtl1() {
    flows_full_rollback_and_continue(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_full_rollback_and_continue_rtl2() {
    flows_full_rollback_and_continue(true).await
}

/// The test model's flow cache has 64 buckets of 2 ways: inserts fill it until a key's two
/// buckets are full and no cuckoo path frees a way (RESOURCE_EXHAUSTED).
async fn flows_full_rollback_and_continue(v2: bool) {
    let (addr, h) = start_on(v2);
    let mut c = client(&addr).await;
    let mut ctl = Ctl::open(&mut c, 5).await;
    ctl.next().await.unwrap();
    let slots = 64 * 2;
    let keys: Vec<Key> = (0..slots + 40)
        .map(|i| Key::v4(0x0a00_0000 + i as u32, 0xc000_0201, 6, 1000 + i as u16, 80))
        .collect();
    let ins = |ks: &[Key]| -> Vec<p4::Update> {
        ks.iter()
            .map(|&k| update(Insert, flow(k, steer(1))))
            .collect()
    };
    // As many inserts as slots in one ROLLBACK_ON_ERROR batch: they pass the checks, go to
    // the device one by one until the cuckoo search fails, and the applied ones are undone.
    let e = write(&mut c, 5, RollbackOnError, ins(&keys[..slots]))
        .await
        .unwrap_err();
    let cs = codes(&e);
    let failed: Vec<_> = cs.iter().filter(|&&c| c != Code::Aborted).collect();
    assert_eq!(failed, [&Code::ResourceExhausted], "{cs:?}");
    let at = cs.iter().position(|&c| c != Code::Aborted).unwrap();
    assert!(messages(&e)[at].contains("flows is full"), "{e:?}");
    eprintln!("rollback batch of {slots}: the cuckoo search failed at update {at}");
    assert!(read_table(&mut c, p4info::FLOWS, None, false)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        h.call_blocking(|c| c.device().flows().unwrap().len())
            .unwrap(),
        0
    );

    // CONTINUE_ON_ERROR: each update its own status; what went in reads back.
    let e = write(&mut c, 5, ContinueOnError, ins(&keys))
        .await
        .unwrap_err();
    let cs = codes(&e);
    assert!(cs
        .iter()
        .all(|&c| c == Code::Ok || c == Code::ResourceExhausted));
    let ok: Vec<p4::TableEntry> = keys
        .iter()
        .zip(&cs)
        .filter(|(_, &c)| c == Code::Ok)
        .map(|(&k, _)| flow(k, steer(1)))
        .collect();
    assert!(
        ok.len() > slots * 3 / 4 && ok.len() <= slots,
        "{}",
        ok.len()
    );
    eprintln!(
        "continue batch of {}: {} of {slots} slots filled",
        keys.len(),
        ok.len()
    );
    assert_eq!(
        read_table(&mut c, p4info::FLOWS, None, false)
            .await
            .unwrap(),
        sorted(ok.clone())
    );
    // A full table: delete one, and its key goes back in.
    write(
        &mut c,
        5,
        RollbackOnError,
        vec![update(Delete, ok[0].clone())],
    )
    .await
    .unwrap();
    write(
        &mut c,
        5,
        RollbackOnError,
        vec![update(Insert, ok[0].clone())],
    )
    .await
    .unwrap();
}

/// A batch whose flows updates were applied and whose acl commit then fails (a full 1.x TCAM
/// has no room to stage a replaced entry): under ROLLBACK_ON_ERROR the flows are undone, under
/// CONTINUE_ON_ERROR they stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_undone_when_the_acl_commit_fails() {
    let (addr, h) = start_on(false);
    let mut c = client(&addr).await;
    let mut ctl = Ctl::open(&mut c, 5).await;
    ctl.next().await.unwrap();
    let fill: Vec<_> = (0..tcam(false) as u16)
        .map(|i| update(Insert, tcp_to(1000 + i, 100 + i as i32, 0)))
        .collect();
    write(&mut c, 5, DataplaneAtomic, fill).await.unwrap();
    assert_eq!(live(&h), tcam(false) as usize);
    let kept = flow(traffic_key(1), steer(1));
    write(
        &mut c,
        5,
        RollbackOnError,
        vec![update(Insert, kept.clone())],
    )
    .await
    .unwrap();
    let batch = || {
        vec![
            update(Insert, flow(traffic_key(2), steer(2))),
            update(Modify, kept.clone().with_action(steer(3))),
            update(Delete, tcp_to(1000, 100, 0)),
            update(Insert, tcp_to(7, 7, 0)),
        ]
    };
    let e = write(&mut c, 5, RollbackOnError, batch())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&e),
        [
            Code::Aborted,
            Code::Aborted,
            Code::ResourceExhausted,
            Code::ResourceExhausted
        ]
    );
    assert_eq!(
        read_table(&mut c, p4info::FLOWS, None, false)
            .await
            .unwrap(),
        std::slice::from_ref(&kept)
    );
    let e = write(&mut c, 5, ContinueOnError, batch())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&e),
        [
            Code::Ok,
            Code::Ok,
            Code::ResourceExhausted,
            Code::ResourceExhausted
        ]
    );
    assert_eq!(
        read_table(&mut c, p4info::FLOWS, None, false)
            .await
            .unwrap(),
        sorted(vec![
            flow(traffic_key(2), steer(2)),
            kept.with_action(steer(3))
        ])
    );
}

trait WithAction {
    fn with_action(self, a: Option<p4::TableAction>) -> Self;
}

impl WithAction for p4::TableEntry {
    fn with_action(mut self, a: Option<p4::TableAction>) -> Self {
        self.action = a;
        self
    }
}
