//! The P4Info from a device's capabilities: its shape on RTL 1.x and 2.0 models, and the text
//! format `gufc p4info` prints parsed back by protoc (`--encode`) into exactly the binary one.

use std::io::Write;
use std::process::{Command, Stdio};

use gufc::device::{Device, OpenOptions};
use gufc_p4runtime::p4info;
use gufc_p4runtime::proto::p4::config::v1 as cfg;

fn caps_v1() -> gufc::device::Caps {
    let bar = gufc::backend::ModelBar::new(gufc_hw_model::Config {
        tcam_entries: 512,
        flow_buckets: 128,
        flow_ways: 4,
        channels: 8,
        local_entries: 16,
    })
    .unwrap();
    Device::open(bar, OpenOptions::default())
        .unwrap()
        .caps()
        .clone()
}

/// Text → protoc --encode → bytes; must equal the binary encoding.
fn round_trip(info: &cfg::P4Info) {
    let dir = std::env::var("GUFC_P4RT_PROTOS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/p4rt-protos").into()
    });
    let mut child = Command::new(std::env::var("PROTOC").unwrap_or("protoc".into()))
        .args([
            "--encode=p4.config.v1.P4Info",
            "-I",
            &dir,
            "-I",
            "/usr/include",
        ])
        .arg("p4/config/v1/p4info.proto")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("protoc (apt-get install protobuf-compiler libprotobuf-dev)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(p4info::text(info).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "protoc refused the text: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout,
        p4info::binary(info),
        "text and binary P4Info differ"
    );
}

fn table<'a>(info: &'a cfg::P4Info, name: &str) -> &'a cfg::Table {
    info.tables
        .iter()
        .find(|t| t.preamble.as_ref().unwrap().name == name)
        .unwrap()
}

fn fields(t: &cfg::Table) -> Vec<(String, i32, i32)> {
    t.match_fields
        .iter()
        .map(|f| {
            let Some(cfg::match_field::Match::MatchType(m)) = f.r#match.clone() else {
                panic!()
            };
            (f.name.clone(), f.bitwidth, m)
        })
        .collect()
}

#[test]
fn p4info_of_an_rtl1_model() {
    use cfg::match_field::MatchType::*;
    let caps = caps_v1();
    let info = p4info::build(&caps);
    let acl = table(&info, "acl");
    assert_eq!(acl.size, 512);
    let want: Vec<(String, i32, i32)> = [
        ("is_ipv4", 1, Optional),
        ("is_ipv6", 1, Optional),
        ("src_ip", 32, Ternary),
        ("dst_ip", 32, Ternary),
        ("src_ipv6", 128, Ternary),
        ("dst_ipv6", 128, Ternary),
        ("src_local", 1, Optional),
        ("dst_local", 1, Optional),
        ("proto", 8, Ternary),
        ("src_port", 16, Range),
        ("dst_port", 16, Range),
    ]
    .iter()
    .map(|&(n, b, m)| (n.to_string(), b, m as i32))
    .collect();
    assert_eq!(fields(acl), want, "1.x has no tcp_flags field");
    assert_eq!(acl.direct_resource_ids, [p4info::ACL_COUNTER]);
    let flows = table(&info, "flows");
    assert_eq!(flows.size, 512, "flow slots = buckets x ways");
    assert_eq!(flows.direct_resource_ids, [p4info::FLOWS_COUNTER]);
    assert!(fields(flows).iter().all(|f| f.2 == Exact as i32));
    assert_eq!(table(&info, "locality").size, 16);
    assert_eq!(info.counters[0].size, 8, "one channel counter per channel");
    let names: Vec<&str> = info
        .actions
        .iter()
        .map(|a| a.preamble.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["steer", "drop", "slow_path", "local"]);
    round_trip(&info);
}

#[test]
fn p4info_of_an_rtl2_model_has_tcp_flags() {
    let bar = gufc::backend::Model2Bar::new(gufc_hw_model::Config {
        tcam_entries: 64,
        flow_buckets: 64,
        flow_ways: 2,
        channels: 4,
        local_entries: 4,
    })
    .unwrap();
    let caps = Device::open(bar, OpenOptions::default())
        .unwrap()
        .caps()
        .clone();
    let bits = caps.rules.expect("a 2.0 device has a rule stage").flag_bits as i32;
    let info = p4info::build(&caps);
    let acl = table(&info, "acl");
    assert_eq!(
        fields(acl).last().unwrap(),
        &(
            "tcp_flags".to_string(),
            bits,
            cfg::match_field::MatchType::Ternary as i32
        )
    );
    assert_eq!(info.pkg_info.as_ref().unwrap().version, "2.0");
    round_trip(&info);
}
