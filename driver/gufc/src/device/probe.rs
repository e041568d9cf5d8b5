//! Bring-up probe: classify one key through the real pipeline using registers only.

use super::{Device, DeviceError};
use crate::backend::Bar;
use gufc_regmap::word::{Meta, PktFlags, PktLen, ProbeResult as ProbeWord};
use gufc_regmap::{key, reg, Action, HitKind, Key, Opcode};

/// Polls of STATUS before a probe is declared lost (the pipeline needs LATENCY cycles).
const PROBE_POLLS: u32 = 1000;

/// The answer of a PROBE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProbeResult {
    /// The decision the packet would get.
    #[serde(serialize_with = "crate::json::action")]
    pub action: Action,
    /// What decided it: a flow entry, a rule, or nothing.
    #[serde(rename = "decided_by", serialize_with = "crate::json::hit_kind")]
    pub kind: HitKind,
    /// Flow slot (kind Flow) or TCAM index (kind Rule); 0 for a miss (PROBE_INDEX).
    pub index: u32,
    /// A flow entry matched but is stale, so the rules decided.
    #[serde(rename = "stale_flow_bypassed")]
    pub stale: bool,
    /// The source address is in the locality table.
    pub src_local: bool,
    /// The destination address is in the locality table.
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
        self.stage_reg(PktLen::new().with_len(len))?;
        self.stage_reg(PktFlags::new().with_flags(tcp_flags))?;
        self.command(Opcode::Probe, 0)?;
        self.check()?;
        let mut polls = 0;
        while self.status()?.probe_busy() {
            polls += 1;
            if polls >= PROBE_POLLS {
                return Err(DeviceError::Timeout {
                    backend: self.bar.name(),
                    what: "PROBE",
                    polls,
                });
            }
        }
        let r: ProbeWord = self.read_reg()?;
        let index = self.read(reg::PROBE_INDEX)?;
        // Every bit is checked: an undefined verdict or kind, or a reserved bit, is an error
        // naming PROBE_RESULT and its value, never a guess.
        let decoded = ProbeWord::decode(r.raw()).and_then(|r| Ok((r.action()?, r.kind()?)));
        let (action, kind) = decoded.map_err(|e| self.undecodable(e))?;
        Ok(ProbeResult {
            action,
            kind,
            index,
            stale: r.stale_flow(),
            src_local: r.src_local(),
            dst_local: r.dst_local(),
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
        for i in key::SRC0..=key::SRC3 {
            self.stage(reg::KEY + 4 * i as u32, kw[i])?;
            self.stage(reg::MASK + 4 * i as u32, mw[i])?;
        }
        let family = Meta::new().with_ipv6(ipv6);
        self.stage(reg::KEY + 4 * key::META as u32, family.raw())?;
        self.stage(reg::CMD_ARG, valid as u32)?;
        self.command(Opcode::LocalWrite, index)?;
        self.check()?;
        self.note_local(index, addr, prefix_len, valid);
        Ok(())
    }
}
