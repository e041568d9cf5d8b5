//! A P4Runtime v1 server for gufc (issue 13): acl, flows and locality tables.

/// The generated P4Runtime messages and gRPC stubs.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    /// `p4.v1`: the runtime service.
    pub mod p4 {
        pub mod v1 {
            tonic::include_proto!("p4.v1");
        }
        pub mod config {
            pub mod v1 {
                tonic::include_proto!("p4.config.v1");
            }
        }
    }
    pub mod google {
        pub mod rpc {
            tonic::include_proto!("google.rpc");
        }
    }
}

pub mod acl;
pub mod core;
pub mod p4info;
pub mod server;
pub mod tables;

pub use server::{serve, Options, Service, API_VERSION};
