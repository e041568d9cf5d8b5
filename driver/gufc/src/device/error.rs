//! Driver errors. Each names where it happened: the backend (device address) and the
//! register offset or command index.

use gufc_regmap::{DecodeError, Opcode, ReasonCode};

use super::Caps;
use crate::backend::BusError;

/// A command the device refused (the ERROR register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Why (`ERROR.REASON`).
    pub reason: ReasonCode,
    /// The rejected command's opcode as written (BAD_OPCODE keeps an undefined one).
    pub opcode: u8,
    /// The command's index, or the register offset for BAD_OFFSET (`ERROR_INDEX`).
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

/// Why a device operation failed. Every variant but `Bus` names the backend.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The backend could not perform a register access.
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error("{backend}: BAR0+{offset:#05x} reads all-ones: the device is gone, powered down or not decoding memory")]
    /// A read returned 0xffffffff, as a missing or dead PCI device does.
    AllOnes {
        /// The backend (device address) that answered.
        backend: String,
        /// Byte offset of the read.
        offset: u32,
    },
    #[error("{backend}: not a gufc classifier (ID {id:#010x}, version {major}.{minor}; expected ID 0x47554643, version 1.x or 2.0)")]
    /// ID is not the gufc magic, or VERSION not the driver's major version.
    WrongId {
        /// The backend (device address) that answered.
        backend: String,
        /// What ID read.
        id: u32,
        /// `VERSION.MAJOR` as read.
        major: u16,
        /// `VERSION.MINOR` as read.
        minor: u16,
    },
    #[error("{backend}: {error}")]
    /// A register read back a value its codec refuses (undefined enum value, reserved bits).
    Undecodable {
        /// The backend (device address) that answered.
        backend: String,
        /// Which word, which field, which value.
        #[source]
        error: DecodeError,
    },
    #[error("{backend}: capability registers are impossible: {caps:?}")]
    /// The capability registers describe a device the driver cannot drive (see `Device::open`).
    BadCaps {
        /// The backend (device address) that answered.
        backend: String,
        /// Everything the capability registers said.
        caps: Box<Caps>,
    },
    #[error("{backend}: {rejection}")]
    /// The device rejected a command (ERROR was set); the command changed nothing.
    Rejected {
        /// The backend (device address) that answered.
        backend: String,
        /// The ERROR and ERROR_INDEX registers, decoded.
        rejection: Rejection,
    },
    #[error("{backend}: TCAM full: the update needs {needed} entries (old and new rule sets side by side until the commit), the device has {capacity}")]
    /// A rule update needs more TCAM entries than the device has; nothing was written.
    TcamFull {
        /// The backend (device address) that answered.
        backend: String,
        /// Entries the old and the new rule set need together.
        needed: usize,
        /// `CAP_TCAM`.
        capacity: u32,
    },
    #[error("{backend}: flow cache full for {key}: buckets {b1} and {b2} and {searched} slots reachable by cuckoo moves are occupied")]
    /// No free flow slot for `key`, even after a bounded cuckoo search; nothing was moved.
    FlowTableFull {
        /// The backend (device address) that answered.
        backend: String,
        /// The flow that did not fit.
        key: gufc_regmap::Key,
        /// Its first candidate bucket.
        b1: u32,
        /// Its second candidate bucket.
        b2: u32,
        /// Slots the cuckoo search visited.
        searched: usize,
    },
    #[error("{backend}: no flow entry for {key}")]
    /// The flow cache holds no entry for `key`.
    NoSuchFlow {
        /// The backend (device address) that answered.
        backend: String,
        /// The flow looked for.
        key: gufc_regmap::Key,
    },
    #[error("{backend}: {what} out of range: {value} (device has {limit})")]
    /// An index or value beyond what the device has, caught before any register write.
    OutOfRange {
        /// The backend (device address) that answered.
        backend: String,
        /// What was out of range, e.g. "TCAM index".
        what: &'static str,
        /// The value given.
        value: u64,
        /// The device's limit: the count of such things, or the largest allowed value.
        limit: u64,
    },
    #[error("{backend}: the locality table's contents are unknown to this process (it was not reset here); reset the device or write entries by index")]
    /// A locality-table operation that needs the table's contents on a device this process
    /// did not reset: the hardware cannot read the table back.
    LocalityUnknown {
        /// The backend (device address).
        backend: String,
    },
    #[error("{backend}: locality table full: all {capacity} entries hold a prefix")]
    /// No free locality entry for another prefix.
    LocalityFull {
        /// The backend (device address).
        backend: String,
        /// Entries in the table (`CAP_MISC.LOCAL_ENTRIES`).
        capacity: u32,
    },
    #[error("{backend}: {prefix} is not in the locality table")]
    /// Removing a prefix the table does not hold.
    NoSuchLocal {
        /// The backend (device address).
        backend: String,
        /// The prefix as `addr/len`.
        prefix: String,
    },
    #[error("{backend}: invalid entry: {msg}")]
    /// A TCAM or flow entry the device cannot hold, or one read back that does not decode.
    InvalidEntry {
        /// The backend (device address) that answered.
        backend: String,
        /// Which entry and what is wrong with it.
        msg: String,
    },
    #[error("{backend}: {what} did not finish within {polls} register polls")]
    /// The device stayed busy longer than the driver polls for.
    Timeout {
        /// The backend (device address) that answered.
        backend: String,
        /// The operation, e.g. "PROBE" or a 2.0 command's opcode name.
        what: &'static str,
        /// STATUS reads made.
        polls: u32,
    },
    #[error("{backend}: packet stream stalled: no key accepted and no result for {cycles} cycles (device latency {latency}); {sent} keys sent, {received} results back")]
    /// A simulated packet stream made no progress for longer than the device's latency allows.
    StreamStalled {
        /// The backend that stalled.
        backend: String,
        /// Cycles waited without progress.
        cycles: u64,
        /// Keys the device had accepted.
        sent: u64,
        /// Results it had returned.
        received: u64,
        /// `CAP_MISC.LATENCY` as read at the start of the stream.
        latency: u64,
    },
    #[error("{backend}: rule update rejected, nothing changed: {failed} of {total} updates failed (first: {first})")]
    /// A transaction was rolled back because some of its updates failed.
    UpdateFailed {
        /// The backend (device address) that answered.
        backend: String,
        /// Updates that failed.
        failed: usize,
        /// Updates in the transaction.
        total: usize,
        /// The first failure, for the message.
        first: String,
    },
}
