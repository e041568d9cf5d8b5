//! Bring-up probe: classify one key through the real pipeline using registers only.

use super::{Device, DeviceError};
use crate::backend::Bar;
use gufc_regmap::{field, kind, opcode, reg, verdict, Action, HitKind, Key};

/// Polls of STATUS before a probe is declared lost (the pipeline needs LATENCY cycles).
const PROBE_POLLS: u32 = 1000;

/// The answer of a PROBE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProbeResult {
    #[serde(serialize_with = "crate::json::display")]
    pub action: Action,
    #[serde(serialize_with = "crate::json::debug")]
    pub kind: HitKind,
    pub index: u32,
    pub stale: bool,
    pub src_local: bool,
    pub dst_local: bool,
}

impl<B: Bar> Device<B> {
    /// Sends `key` (locality bits are computed by the device) through the pipeline.
    pub fn probe(&mut self, key: &Key, len: u16) -> Result<ProbeResult, DeviceError> {
        self.probe_flags(key, len, 0)
    }

    /// [`Device::probe`] of a packet with these TCP flags (a flow entry's interest may select
    /// by them).
    pub fn probe_flags(
        &mut self,
        key: &Key,
        len: u16,
        tcp_flags: u8,
    ) -> Result<ProbeResult, DeviceError> {
        self.stage_words(reg::KEY, &key.words())?;
        self.stage(reg::PKT_LEN, len as u32)?;
        self.stage(reg::PKT_FLAGS, tcp_flags as u32)?;
        self.command(opcode::PROBE, 0)?;
        self.check()?;
        let mut polls = 0;
        while field::STATUS_PROBE_BUSY.get(self.status()?) != 0 {
            polls += 1;
            if polls >= PROBE_POLLS {
                return Err(DeviceError::Timeout {
                    backend: self.bar.name(),
                    what: "PROBE",
                    polls,
                });
            }
        }
        let r = self.read(reg::PROBE_RESULT)?;
        let index = self.read(reg::PROBE_INDEX)?;
        let action = match field::PROBE_RESULT_VERDICT.get(r) as u8 {
            verdict::DELIVER => Action::Deliver {
                channel: field::PROBE_RESULT_CHANNEL.get(r) as u8,
            },
            verdict::DROP => Action::Drop,
            _ => Action::SlowPath {
                reason: field::PROBE_RESULT_REASON.get(r) as u8,
            },
        };
        let kind = match field::PROBE_RESULT_KIND.get(r) as u8 {
            kind::FLOW => HitKind::Flow,
            kind::RULE => HitKind::Rule,
            _ => HitKind::Miss,
        };
        Ok(ProbeResult {
            action,
            kind,
            index,
            stale: field::PROBE_RESULT_STALE_FLOW.get(r) != 0,
            src_local: field::PROBE_RESULT_SRC_LOCAL.get(r) != 0,
            dst_local: field::PROBE_RESULT_DST_LOCAL.get(r) != 0,
        })
    }

    /// Writes locality entry `index`: addresses under `prefix_len` bits of `addr` are local.
    pub fn set_local(
        &mut self,
        index: u32,
        addr: std::net::IpAddr,
        prefix_len: u8,
        valid: bool,
    ) -> Result<(), DeviceError> {
        self.check_index("locality entry", index, self.caps.local_entries)?;
        let (value, bits, ipv6) = match addr {
            std::net::IpAddr::V4(a) => (u32::from(a) as u128, 32u32, false),
            std::net::IpAddr::V6(a) => (u128::from(a), 128u32, true),
        };
        if prefix_len as u32 > bits {
            return Err(DeviceError::OutOfRange {
                backend: self.bar.name(),
                what: "prefix length",
                value: prefix_len as u64,
                limit: bits as u64,
            });
        }
        let mask: u128 = if prefix_len == 0 {
            0
        } else {
            (u128::MAX << (bits - prefix_len as u32)) & (u128::MAX >> (128 - bits))
        };
        let k = Key {
            src: value & mask,
            ipv6,
            ..Key::default()
        };
        let m = Key {
            src: mask,
            ..Key::default()
        };
        let (kw, mw) = (k.words(), m.words());
        for i in 0..4u32 {
            self.stage(reg::KEY + 4 * i, kw[i as usize])?;
            self.stage(reg::MASK + 4 * i, mw[i as usize])?;
        }
        self.stage(
            reg::KEY + 4 * gufc_regmap::key::META as u32,
            kw[gufc_regmap::key::META],
        )?;
        self.stage(reg::CMD_ARG, valid as u32)?;
        self.command(opcode::LOCAL_WRITE, index)?;
        self.check()
    }
}
