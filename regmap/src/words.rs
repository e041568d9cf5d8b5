//! What some words mean beyond their fields: conversions between words and the Rust types
//! that carry them, and the rules a word must follow beyond defined field values.

use crate::word::{DportRange, FlowInterest, Meta, ProbeResult, SportRange, TcpFlags};
use crate::{Action, DecodeError, InterestMode, LookupResult, Verdict};

macro_rules! port_range {
    ($t:ty) => {
        impl $t {
            /// The inclusive range `(lo, hi)`.
            pub const fn of((lo, hi): (u16, u16)) -> Self {
                Self::new().with_lo(lo).with_hi(hi)
            }

            /// `(lo, hi)`.
            pub const fn bounds(self) -> (u16, u16) {
                (self.lo(), self.hi())
            }
        }
    };
}
port_range!(SportRange);
port_range!(DportRange);

impl Meta {
    /// The word with the locality bits cleared: what flow keys and the bucket hash use.
    pub const fn without_locality(self) -> Meta {
        self.with_src_local(false).with_dst_local(false)
    }
}

impl TcpFlags {
    /// FIN, SYN or RST: a packet that interest TCP_CTRL selects.
    pub const fn ctrl(self) -> bool {
        self.fin() || self.syn() || self.rst()
    }
}

impl FlowInterest {
    /// The mode, if FLOW_WRITE and FLOW_SET_INTEREST accept this word: no reserved bits, a
    /// defined MODE, and a PERIOD of at least 1 for SAMPLE (anything else is BAD_FLAGS).
    pub fn validate(self) -> Result<InterestMode, DecodeError> {
        let w = FlowInterest::decode(self.raw())?;
        let mode = w.mode()?;
        if mode == InterestMode::Sample && w.period() == 0 {
            return Err(DecodeError::invalid(
                FlowInterest::NAME,
                self.raw(),
                "PERIOD",
                0,
                "SAMPLE needs a period of 1..65535",
            ));
        }
        Ok(mode)
    }
}

impl ProbeResult {
    /// The word the device reports for the decision `r` of a PROBE.
    pub fn of(r: &LookupResult) -> ProbeResult {
        let (verdict, channel, reason) = match r.action {
            Action::Deliver { channel } => (Verdict::Deliver, channel, 0),
            Action::Drop => (Verdict::Drop, 0, 0),
            Action::SlowPath { reason } => (Verdict::SlowPath, 0, reason),
        };
        ProbeResult::new()
            .with_verdict(verdict)
            .with_kind(r.kind)
            .with_stale_flow(r.stale)
            .with_src_local(r.src_local)
            .with_dst_local(r.dst_local)
            .with_channel(channel)
            .with_reason(reason)
    }

    /// The action of the decision; an undefined verdict is an error naming the word.
    pub fn action(self) -> Result<Action, DecodeError> {
        Ok(match self.verdict()? {
            Verdict::Deliver => Action::Deliver {
                channel: self.channel(),
            },
            Verdict::Drop => Action::Drop,
            Verdict::SlowPath => Action::SlowPath {
                reason: self.reason(),
            },
        })
    }
}
