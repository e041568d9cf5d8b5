//! vfio-user: a gufc device served as a PCI function over a UNIX socket ([`server`]), and the
//! driver's backend that reaches one ([`client`]). QEMU (10.1 and later, `-device
//! vfio-user-pci`) and other vfio-user clients can attach the served device to a VM.
//!
//! The protocol is written here rather than taken from rust-vmm's `vfio_user` crate: that
//! crate's server panics on a malformed VERSION, allocates whatever count a client names before
//! checking it, and leaves a refused message's data in the stream; see docs/bringup.md.

pub mod client;
pub mod config;
pub mod dma;
mod fds;
pub mod proto;
pub mod server;

pub use client::{Client, VfioUserBar, VfioUserError};
pub use server::{ServeOptions, Server};
