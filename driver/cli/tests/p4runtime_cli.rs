//! `gufc p4info` and `gufc serve --p4runtime` as commands (feature `p4runtime`): the text and
//! binary P4Info are the same message (protoc parses the text into the binary's bytes), they
//! follow the device's sizes, and the server refuses what it cannot do safely.
#![cfg(feature = "p4runtime")]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::gufc;

#[test]
fn p4info_text_and_binary_are_one_message_sized_by_the_device() {
    let text = gufc(&["--tcam-entries", "256", "p4info"]);
    assert!(text.status.success(), "{text:?}");
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("name: \"acl\""), "{text}");
    assert!(text.contains("size: 256"), "acl size is the TCAM: {text}");
    let bin = gufc(&["--tcam-entries", "256", "p4info", "--binary"]);
    assert!(bin.status.success(), "{bin:?}");
    let protos = gufc_testkit::repo("target/p4rt-protos");
    let mut protoc = Command::new("protoc")
        .arg("--encode=p4.config.v1.P4Info")
        .arg("-I")
        .arg(&protos)
        .args(["-I", "/usr/include", "p4/config/v1/p4info.proto"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("protoc (apt-get install protobuf-compiler libprotobuf-dev)");
    protoc
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let enc = protoc.wait_with_output().unwrap();
    assert!(enc.status.success());
    assert_eq!(enc.stdout, bin.stdout, "text and binary P4Info differ");
}

#[test]
fn serve_p4runtime_refuses_what_it_cannot_do() {
    let o = gufc(&["serve", "--p4runtime", "0.0.0.0:9559"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("only loopback addresses"), "{err}");
    let o = gufc(&[
        "--load",
        "examples/host-firewall.rules",
        "serve",
        "--p4runtime",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--load does not apply"), "{err}");
    let o = gufc(&["serve", "--p4runtime", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an IP:PORT"));
    let o = gufc(&["p4info", "--load", "examples/host-firewall.rules"]);
    assert_eq!(o.status.code(), Some(2));
}
