//! Plain register state: staging registers, snapshots, ERROR and the cycle counter.

use gufc_regmap::{field, KEY_WORDS};

use crate::pipeline::Item;

/// Every register that holds a value (commands and tables live elsewhere). All 0 at reset.
#[derive(Clone, Debug, Default)]
pub(crate) struct Regs {
    pub scratch: u32,
    pub cmd_arg: u32,
    pub key: [u32; KEY_WORDS],
    pub mask: [u32; KEY_WORDS],
    pub sport_range: u32,
    pub dport_range: u32,
    pub prio: u32,
    pub action: u32,
    pub planes: u32,
    pub flow_flags: u32,
    pub pkt_len: u32,
    pub flow_state: u32,
    pub flow_last_hit: u32,
    pub flow_interest: u32,
    pub pkt_flags: u32,
    /// CNT_PKTS_LO, CNT_PKTS_HI, CNT_BYTES_LO, CNT_BYTES_HI.
    pub cnt: [u32; 4],
    pub probe_result: u32,
    pub probe_index: u32,

    pub error: bool,
    pub error_reason: u8,
    pub error_opcode: u8,
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

impl Regs {
    /// Records a rejected command: the first one since the last clear is kept.
    pub fn reject(&mut self, reason: u8, opcode: u8, index: u32) {
        if !self.error {
            self.error = true;
            self.error_reason = reason;
            self.error_opcode = opcode;
            self.error_index = index;
        }
        self.error_count = self.error_count.saturating_add(1);
    }

    pub fn clear_error(&mut self) {
        self.error = false;
        self.error_reason = 0;
        self.error_opcode = 0;
        self.error_count = 0;
        self.error_index = 0;
    }

    pub fn error_word(&self) -> u32 {
        field::ERROR_REASON.put(self.error_reason as u32)
            | field::ERROR_OPCODE.put(self.error_opcode as u32)
            | field::ERROR_COUNT.put(self.error_count as u32)
    }

    pub fn status_word(&self, active_plane: u8) -> u32 {
        field::STATUS_ERROR.put(self.error as u32)
            | field::STATUS_PROBE_BUSY.put(self.probe_busy as u32)
            | field::STATUS_ACTIVE_PLANE.put(active_plane as u32)
            | field::STATUS_EPOCH.put(self.epoch as u32)
    }

    /// Staged port range `(lo, hi)` from a SPORT_RANGE/DPORT_RANGE word.
    pub fn range(word: u32) -> (u16, u16) {
        (word as u16, (word >> 16) as u16)
    }
}
