//! Plain register state: staging registers, snapshots, ERROR and the cycle counter. Registers
//! with fields hold their codec type, so every read of a field goes through the register map.

use gufc_regmap::word::{
    self, DportRange, Error, FlowFlags, FlowInterest, FlowState, PktFlags, PktLen, Planes, Prio,
    ProbeResult, SportRange, Status,
};
use gufc_regmap::{ReasonCode, KEY_WORDS};

use crate::pipeline::Item;

/// Every register that holds a value (commands and tables live elsewhere). All 0 at reset.
#[derive(Clone, Debug, Default)]
pub(crate) struct Regs {
    pub scratch: u32,
    pub cmd_arg: u32,
    pub key: [u32; KEY_WORDS],
    pub mask: [u32; KEY_WORDS],
    pub sport_range: SportRange,
    pub dport_range: DportRange,
    pub prio: Prio,
    pub action: word::Action,
    pub planes: Planes,
    pub flow_flags: FlowFlags,
    pub pkt_len: PktLen,
    pub flow_state: FlowState,
    pub flow_last_hit: u32,
    pub flow_interest: FlowInterest,
    pub pkt_flags: PktFlags,
    /// CNT_PKTS_LO, CNT_PKTS_HI, CNT_BYTES_LO, CNT_BYTES_HI.
    pub cnt: [u32; 4],
    pub probe_result: ProbeResult,
    pub probe_index: u32,

    /// The first rejection since the last clear, as ERROR reports it (COUNT aside).
    pub error: Option<Rejected>,
    pub error_count: u16,
    pub error_index: u32,

    /// The CYCLE counter (restarts at 0 on reset).
    pub cycle: u64,
    /// CYCLE_HI as latched by the last CYCLE_LO read.
    pub cycle_hi: u32,

    /// A PROBE waiting for the input slot, with the key and length it carries.
    pub probe_pending: Option<Item>,
    pub probe_busy: bool,
    pub epoch: u8,
}

/// Why a command was rejected, and its opcode as written (an unknown one for BAD_OPCODE).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rejected {
    pub reason: ReasonCode,
    pub opcode: u8,
}

impl Regs {
    /// Records a rejected command: the first one since the last clear is kept.
    pub fn reject(&mut self, reason: ReasonCode, opcode: u8, index: u32) {
        if self.error.is_none() {
            self.error = Some(Rejected { reason, opcode });
            self.error_index = index;
        }
        self.error_count = self.error_count.saturating_add(1);
    }

    pub fn clear_error(&mut self) {
        self.error = None;
        self.error_count = 0;
        self.error_index = 0;
    }

    pub fn error_word(&self) -> Error {
        let e = self.error.unwrap_or(Rejected {
            reason: ReasonCode::None,
            opcode: 0,
        });
        Error::new()
            .with_reason(e.reason)
            .with_opcode(e.opcode)
            .with_count(self.error_count)
    }

    pub fn status_word(&self, active_plane: u8) -> Status {
        Status::new()
            .with_error(self.error.is_some())
            .with_probe_busy(self.probe_busy)
            .with_active_plane(active_plane != 0)
            .with_epoch(self.epoch)
    }
}
