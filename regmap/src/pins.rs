//! The device's ports for one clock cycle (docs/timing.md, "Ports"). The model and the
//! Verilated RTL both take a [`CycleIn`] and give a [`CycleOut`] per rising edge, so the
//! driver's simulation backends and the lockstep comparison share one vocabulary.

use crate::{Action, HitKind, Key};

/// A register access on the MMIO port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mmio {
    /// Read the register at byte offset `addr`; its data is in the same step's `rdata`.
    Read {
        /// Byte offset in BAR0.
        addr: u32,
    },
    /// Write `data` to the register at byte offset `addr` (a CMD write runs the command).
    Write {
        /// Byte offset in BAR0.
        addr: u32,
        /// The value written.
        data: u32,
    },
}

/// A packet's key offered on the key port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyIn {
    /// The packet's key; its locality bits are ignored (the device computes them).
    pub key: Key,
    /// Packet length in bytes: what the counters add up.
    pub len: u16,
    /// Opaque to the device: returned unchanged with the result, to pair it with its packet.
    pub tag: u32,
    /// TCP flags of the packet (0 for other protocols): a flow entry's interest TCP_CTRL
    /// selects packets with SYN, FIN or RST.
    pub tcp_flags: u8,
}

/// Inputs sampled at one rising edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleIn {
    /// This cycle's register access, if any (always accepted).
    pub mmio: Option<Mmio>,
    /// The key offered (`key_valid`); it transfers only if the device is ready.
    pub key: Option<KeyIn>,
    /// The consumer takes a result this cycle; false stalls the pipeline. Default true.
    pub res_ready: bool,
    /// The synchronous reset pin: everything clears at this edge, as on a `CONTROL.RESET`
    /// write, except that no key is accepted (`key_ready` is low) and `rdata` is 0. A result
    /// in the output register still transfers if `res_ready`. Default false.
    pub rst: bool,
}

impl Default for CycleIn {
    fn default() -> Self {
        CycleIn {
            mmio: None,
            key: None,
            res_ready: true,
            rst: false,
        }
    }
}

/// One classification result as it leaves the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LookupResult {
    /// The decision: verdict, channel and reason.
    pub action: Action,
    /// What decided: a flow entry, a TCAM rule, or nothing (miss).
    pub kind: HitKind,
    /// Flow slot (kind Flow) or TCAM index (kind Rule); 0 for a miss.
    pub index: u32,
    /// A flow entry matched but was made before the last COMMIT.
    pub stale: bool,
    /// The source address is in the locality table.
    pub src_local: bool,
    /// The destination address is in the locality table.
    pub dst_local: bool,
    /// The key's `len`, passed through.
    pub len: u16,
    /// The key's `tag`, passed through.
    pub tag: u32,
}

/// What the device did at one rising edge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CycleOut {
    /// Read data of this cycle's MMIO read (0 for a write or no access).
    pub rdata: u32,
    /// `key_ready` during this cycle, before the edge.
    pub key_ready: bool,
    /// `res_valid` during this cycle, before the edge.
    pub res_valid: bool,
    /// This cycle's key transferred.
    pub accepted: bool,
    /// The result that transferred at this edge.
    pub result: Option<LookupResult>,
}

/// Every `res_*` output port of one cycle, raw: what the lockstep compares bit for bit on
/// every edge, `res_valid` high or low.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResPorts {
    /// `res_verdict`.
    pub verdict: u32,
    /// `res_channel`.
    pub channel: u32,
    /// `res_reason`.
    pub reason: u32,
    /// `res_kind`.
    pub kind: u32,
    /// `res_stale`.
    pub stale: u32,
    /// `res_src_local`.
    pub src_local: u32,
    /// `res_dst_local`.
    pub dst_local: u32,
    /// `res_index`.
    pub index: u32,
    /// `res_len`.
    pub len: u32,
    /// `res_tag`.
    pub tag: u32,
}

impl ResPorts {
    /// The ports as the model defines them, bit for bit, with `r` on them (`res_valid` high) or
    /// none (`res_valid` low: every `res_*` port 0). Verdict, channel and reason are the fields
    /// of `r.action.encode()`, so CHANNEL is 0 unless the verdict is DELIVER and REASON is 0
    /// unless it is SLOW_PATH (docs/timing.md, "Ports").
    pub fn of(r: Option<&LookupResult>) -> ResPorts {
        let Some(r) = r else {
            return ResPorts::default();
        };
        let w = r.action.encode();
        use crate::word::Action as A;
        ResPorts {
            verdict: A::VERDICT.get(w.raw()),
            channel: A::CHANNEL.get(w.raw()),
            reason: A::REASON.get(w.raw()),
            kind: r.kind.bits() as u32,
            stale: r.stale as u32,
            src_local: r.src_local as u32,
            dst_local: r.dst_local as u32,
            index: r.index,
            len: r.len as u32,
            tag: r.tag,
        }
    }
}
