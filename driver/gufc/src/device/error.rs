//! Driver errors. Each names where it happened: the backend (device address) and the
//! register offset or command index.

use gufc_regmap::{DecodeError, Opcode, ReasonCode};

use super::Caps;
use crate::backend::BusError;

/// A command the device refused (the ERROR register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: ReasonCode,
    /// The rejected command's opcode as written (BAD_OPCODE keeps an undefined one).
    pub opcode: u8,
    pub index: u32,
    /// Commands rejected since the last clear.
    pub count: u32,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = Opcode::from_bits(self.opcode as u32).map_or("?", Opcode::name);
        let why = self.reason.doc();
        let target = if self.reason == ReasonCode::BadOffset {
            "offset"
        } else {
            "index"
        };
        write!(f, "{op} {target} {:#x} rejected: {why}", self.index)?;
        if self.count > 1 {
            write!(f, " ({} commands rejected in all)", self.count)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error("{backend}: BAR0+{offset:#05x} reads all-ones: the device is gone, powered down or not decoding memory")]
    AllOnes { backend: String, offset: u32 },
    #[error("{backend}: not a gufc classifier (ID {id:#010x}, version {major}.{minor}; expected ID 0x47554643, version 1.x)")]
    WrongId {
        backend: String,
        id: u32,
        major: u16,
        minor: u16,
    },
    #[error("{backend}: {error}")]
    Undecodable {
        backend: String,
        #[source]
        error: DecodeError,
    },
    #[error("{backend}: capability registers are impossible: {caps:?}")]
    BadCaps { backend: String, caps: Box<Caps> },
    #[error("{backend}: {rejection}")]
    Rejected {
        backend: String,
        rejection: Rejection,
    },
    #[error("{backend}: TCAM full: the update needs {needed} entries (old and new rule sets side by side until the commit), the device has {capacity}")]
    TcamFull {
        backend: String,
        needed: usize,
        capacity: u32,
    },
    #[error("{backend}: flow cache full for {key}: buckets {b1} and {b2} and {searched} slots reachable by cuckoo moves are occupied")]
    FlowTableFull {
        backend: String,
        key: gufc_regmap::Key,
        b1: u32,
        b2: u32,
        searched: usize,
    },
    #[error("{backend}: no flow entry for {key}")]
    NoSuchFlow {
        backend: String,
        key: gufc_regmap::Key,
    },
    #[error("{backend}: {what} out of range: {value} (device has {limit})")]
    OutOfRange {
        backend: String,
        what: &'static str,
        value: u64,
        limit: u64,
    },
    #[error("{backend}: invalid entry: {msg}")]
    InvalidEntry { backend: String, msg: String },
    #[error("{backend}: {what} did not finish within {polls} register polls")]
    Timeout {
        backend: String,
        what: &'static str,
        polls: u32,
    },
    #[error("{backend}: rule update rejected, nothing changed: {failed} of {total} updates failed (first: {first})")]
    UpdateFailed {
        backend: String,
        failed: usize,
        total: usize,
        first: String,
    },
}
