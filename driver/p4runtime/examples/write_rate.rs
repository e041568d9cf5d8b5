//! Measures the server on the model through gRPC on loopback: single-update latency (one
//! INSERT per Write) and one DATAPLANE_ATOMIC batch of N acl inserts (default 10000); then the
//! same for `flows` (one update per Write, and N flow inserts in one ROLLBACK_ON_ERROR Write).
//! `cargo run --release -p gufc-p4runtime --example write_rate [N]`

use std::net::TcpListener;
use std::time::{Duration, Instant};

use gufc::backend::ModelBar;
use gufc::device::{Device, OpenOptions};
use gufc_p4runtime::core;
use gufc_p4runtime::p4info::{self, acl as f};
use gufc_p4runtime::proto::p4::v1 as p4;
use gufc_p4runtime::{serve, Options};
use p4::p4_runtime_client::P4RuntimeClient;
use tokio_stream::StreamExt;

fn entry(i: u32) -> p4::TableEntry {
    let m = |id, v: Vec<u8>, mask: Vec<u8>| p4::FieldMatch {
        field_id: id,
        field_match_type: Some(p4::field_match::FieldMatchType::Ternary(
            p4::field_match::Ternary { value: v, mask },
        )),
    };
    p4::TableEntry {
        table_id: p4info::ACL,
        r#match: vec![
            m(
                f::SRC_IP,
                (0x0a00_0000 | i).to_be_bytes().to_vec(),
                vec![0xff; 4],
            ),
            m(f::PROTO, vec![6], vec![0xff]),
        ],
        action: Some(p4::TableAction {
            r#type: Some(p4::table_action::Type::Action(p4::Action {
                action_id: p4info::STEER,
                params: vec![p4::action::Param {
                    param_id: 1,
                    value: vec![(i % 16) as u8],
                }],
            })),
        }),
        priority: 1 + (i % 60000) as i32,
        ..Default::default()
    }
}

/// A `flows` entry: TCP 10.x.y.z:1000+i → 192.0.2.1:80, steered to channel i % 16.
fn flow(i: u32) -> p4::TableEntry {
    use p4info::flows as ff;
    let exact = |id, v: u128| p4::FieldMatch {
        field_id: id,
        field_match_type: Some(p4::field_match::FieldMatchType::Exact(
            p4::field_match::Exact {
                value: gufc_p4runtime::acl::canonical(&v.to_be_bytes()),
            },
        )),
    };
    p4::TableEntry {
        table_id: p4info::FLOWS,
        r#match: vec![
            exact(ff::IS_IPV6, 0),
            exact(ff::SRC_ADDR, (0x0a00_0000 | i) as u128),
            exact(ff::DST_ADDR, 0xc000_0201),
            exact(ff::PROTO, 6),
            exact(ff::SRC_PORT, (1000 + i % 60000) as u128),
            exact(ff::DST_PORT, 80),
        ],
        action: Some(p4::TableAction {
            r#type: Some(p4::table_action::Type::Action(p4::Action {
                action_id: p4info::STEER,
                params: vec![p4::action::Param {
                    param_id: 1,
                    value: vec![(i % 16) as u8],
                }],
            })),
        }),
        ..Default::default()
    }
}

#[allow(deprecated)] // role_id
fn req(ty: p4::update::Type, es: impl Iterator<Item = p4::TableEntry>) -> p4::WriteRequest {
    p4::WriteRequest {
        device_id: 1,
        role_id: 0,
        role: String::new(),
        election_id: Some(p4::Uint128 { high: 0, low: 1 }),
        updates: es
            .map(|e| p4::Update {
                r#type: ty as i32,
                entity: Some(p4::Entity {
                    entity: Some(p4::entity::Entity::TableEntry(e)),
                }),
            })
            .collect(),
        atomicity: p4::write_request::Atomicity::DataplaneAtomic as i32,
    }
}

#[tokio::main]
async fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .map_or(10_000, |a| a.parse().expect("N"));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let (handle, jobs) = core::channel::<ModelBar>();
    std::thread::spawn(move || {
        let bar = ModelBar::new(gufc_hw_model::Config::default()).unwrap();
        let mut dev = Device::open(bar, OpenOptions::default()).unwrap();
        dev.reset().unwrap();
        serve(dev, listener, Options::default(), handle, jobs).unwrap();
    });
    let mut c = loop {
        if let Ok(c) = P4RuntimeClient::connect(addr.clone()).await {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(p4::StreamMessageRequest {
        update: Some(p4::stream_message_request::Update::Arbitration(
            p4::MasterArbitrationUpdate {
                device_id: 1,
                election_id: Some(p4::Uint128 { high: 0, low: 1 }),
                ..Default::default()
            },
        )),
    })
    .await
    .unwrap();
    let mut s = c
        .stream_channel(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    s.next().await.unwrap().unwrap();

    // Single updates: INSERT then DELETE of one entry, each its own Write, on an empty table.
    let reps = 200;
    let t = Instant::now();
    for i in 0..reps {
        c.write(req(p4::update::Type::Insert, std::iter::once(entry(i))))
            .await
            .unwrap();
        c.write(req(p4::update::Type::Delete, std::iter::once(entry(i))))
            .await
            .unwrap();
    }
    let single = t.elapsed() / (2 * reps);
    println!("single-update Write latency (empty table): {single:?}");

    let t = Instant::now();
    c.write(req(p4::update::Type::Insert, (0..n).map(entry)))
        .await
        .unwrap();
    let batch = t.elapsed();
    println!(
        "{n} acl inserts in one DATAPLANE_ATOMIC Write: {batch:?} ({:.0} updates/s)",
        n as f64 / batch.as_secs_f64()
    );
    let t = Instant::now();
    for i in 0..reps {
        c.write(req(p4::update::Type::Insert, std::iter::once(entry(n + i))))
            .await
            .unwrap();
    }
    println!(
        "single-update Write latency beside {n} entries: {:?}",
        t.elapsed() / reps
    );

    // flows: each update is its own register transaction.
    let t = Instant::now();
    for i in 0..reps {
        c.write(req(p4::update::Type::Insert, std::iter::once(flow(i))))
            .await
            .unwrap();
        c.write(req(p4::update::Type::Delete, std::iter::once(flow(i))))
            .await
            .unwrap();
    }
    println!(
        "single flows update Write latency (empty cache): {:?}",
        t.elapsed() / (2 * reps)
    );
    let mut batch = req(p4::update::Type::Insert, (0..n).map(flow));
    batch.atomicity = p4::write_request::Atomicity::RollbackOnError as i32;
    let t = Instant::now();
    c.write(batch).await.unwrap();
    let took = t.elapsed();
    println!(
        "{n} flows inserts in one ROLLBACK_ON_ERROR Write: {took:?} ({:.0} updates/s)",
        n as f64 / took.as_secs_f64()
    );
}
