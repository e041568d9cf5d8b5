//! Compiles the P4Runtime .proto files that `scripts/p4rt-protos` fetched (pinned, hash-checked)
//! into target/p4rt-protos, or those under $GUFC_P4RT_PROTOS. Fails loudly, naming the fix,
//! when they or protoc are missing: this crate never builds without its wire contract.

use std::path::PathBuf;

const FILES: [&str; 5] = [
    "p4/v1/p4runtime.proto",
    "p4/v1/p4data.proto",
    "p4/config/v1/p4info.proto",
    "p4/config/v1/p4types.proto",
    "google/rpc/status.proto",
];

fn main() {
    println!("cargo:rerun-if-env-changed=GUFC_P4RT_PROTOS");
    println!("cargo:rerun-if-env-changed=PROTOC");
    let dir = match std::env::var_os("GUFC_P4RT_PROTOS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap())
            .join("../../target/p4rt-protos"),
    };
    for f in FILES {
        let p = dir.join(f);
        if !p.is_file() {
            panic!(
                "gufc-p4runtime: {} is missing: run scripts/p4rt-protos (it fetches the pinned \
                 finsy 0.30.0 wheel from PyPI and extracts the P4Runtime protos), or point \
                 GUFC_P4RT_PROTOS at a directory holding {}",
                p.display(),
                FILES.join(", ")
            );
        }
        println!("cargo:rerun-if-changed={}", p.display());
    }
    // google/protobuf/any.proto: Debian's libprotobuf-dev puts it under /usr/include.
    let system = PathBuf::from("/usr/include");
    if !system.join("google/protobuf/any.proto").is_file() {
        panic!(
            "gufc-p4runtime: /usr/include/google/protobuf/any.proto is missing: \
             apt-get install protobuf-compiler libprotobuf-dev"
        );
    }
    let protoc = std::env::var_os("PROTOC").unwrap_or_else(|| "protoc".into());
    if std::process::Command::new(&protoc)
        .arg("--version")
        .output()
        .is_err()
    {
        panic!(
            "gufc-p4runtime: protoc ({}) cannot be run: apt-get install protobuf-compiler \
             libprotobuf-dev, or set PROTOC",
            protoc.to_string_lossy()
        );
    }
    let protos: Vec<PathBuf> = FILES.iter().map(|f| dir.join(f)).collect();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_protos(&protos, &[dir, system])
        .unwrap_or_else(|e| panic!("gufc-p4runtime: protoc failed on the P4Runtime protos: {e}"));
}
