//! The typed device API over any [`Bar`]: identification, capabilities, commands with
//! error checking, and a cache of the staging registers so repeated values are not rewritten.

mod counters;
mod error;
mod flows;
mod locality;
pub mod placement;
mod probe;
mod tcam;
mod v2;

pub use counters::{Counter, GlobalCounters};
pub use error::{DeviceError, Rejection};
pub use flows::{FlowInfo, FlowInsert, FlowInterest};
pub use gufc_regmap::CounterSpace;
pub use locality::LocalEntry;
pub use probe::ProbeResult;
pub use tcam::{CommitReport, Transaction, TransactionError, Update, UpdateStatus};
pub use v2::{CheckerUse, EntryView, RuleCaps};

use crate::backend::Bar;
use gufc_regmap::word::{CapKey, CapMisc, CapRules, Cmd, Control, Error, Status, Version};
use gufc_regmap::{device, reg, DecodeError, Opcode, Register, KEY_WORDS};

/// What the device says it is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Caps {
    /// `VERSION.MAJOR`: 1, or 2 with minor 0 (RTL 2.0); others are refused unless forced.
    pub version_major: u16,
    /// `VERSION.MINOR`.
    pub version_minor: u16,
    /// TCAM rule entries (`CAP_TCAM`), 1 to 2^24.
    pub tcam_entries: u32,
    /// Flow-cache buckets (`CAP_FLOW_BUCKETS`), a power of two.
    pub flow_buckets: u32,
    /// Entries per bucket (`CAP_FLOW_WAYS`), 1 to 8.
    pub flow_ways: u32,
    /// Delivery channels (`CAP_MISC.CHANNELS`, where 0 means 256).
    pub channels: u32,
    /// Locality-table entries (`CAP_MISC.LOCAL_ENTRIES`).
    pub local_entries: u32,
    /// Cycles from key accepted to result transferred (`CAP_MISC.LATENCY`).
    pub latency: u32,
    /// Counter width in bits (`CAP_MISC.COUNTER_BITS`); the driver requires 64.
    pub counter_bits: u32,
    /// IPv4 keys supported (`CAP_KEY.IPV4`).
    pub ipv4: bool,
    /// IPv6 keys supported (`CAP_KEY.IPV6`).
    pub ipv6: bool,
    /// TCAM entries carry a port range per port (`CAP_KEY.PORT_RANGES`); required on 1.x.
    pub port_ranges: bool,
    /// Words in a key (`CAP_KEY.KEY_WORDS`); must equal the driver's `KEY_WORDS`.
    pub key_words: u32,
    /// Width of a TCAM priority (`CAP_KEY.PRIO_BITS`).
    pub prio_bits: u32,
    /// The 2.0 rule stage (`CAP_RULES`); `None` on 1.x.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<RuleCaps>,
}

impl Caps {
    /// Flow-cache entries, buckets x ways (at most 2^24); every slot index is below it.
    pub fn flow_slots(&self) -> u32 {
        self.flow_buckets * self.flow_ways
    }
}

/// How to treat a device that does not identify as expected.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenOptions {
    /// Proceed past a wrong magic or version (loudly); never past all-ones reads.
    pub force: bool,
}

/// Register accesses the driver made, for cost reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IoStats {
    /// Register reads.
    pub reads: u64,
    /// Register writes, commands included (writes the staging cache skipped are not counted).
    pub writes: u64,
}

/// A gufc classifier behind a BAR backend.
pub struct Device<B: Bar> {
    bar: B,
    caps: Caps,
    /// Last value written to each staging register, where known.
    staged: [Option<u32>; STAGE_SLOTS],
    io: IoStats,
    tcam: tcam::Shadow,
    flows: flows::Shadow,
    /// The locality table as written through this handle; `None` until a reset makes it known.
    locals: Option<Vec<Option<LocalEntry>>>,
    /// 2.0: each plane's checkers and classes as written through this handle (the device cannot
    /// read them back); `None` until a reset makes a plane known, or after a failed write.
    rule_planes: [Option<v2::PlaneConfig>; 2],
    /// Warnings raised while opening (e.g. `--force` past a wrong ID).
    pub warnings: Vec<String>,
}

/// Staging registers the driver caches: KEY, MASK, SPORT/DPORT_RANGE, PRIO, ACTION, PLANES,
/// FLOW_FLAGS, PKT_LEN, CMD_ARG, FLOW_INTEREST, PKT_FLAGS.
const STAGE_SLOTS: usize = 2 * KEY_WORDS + 10;

fn stage_slot(off: u32) -> Option<usize> {
    let in_array = |base: u32, slot0: usize| {
        (base..base + 4 * KEY_WORDS as u32)
            .contains(&off)
            .then(|| slot0 + ((off - base) / 4) as usize)
    };
    in_array(reg::KEY, 0)
        .or_else(|| in_array(reg::MASK, KEY_WORDS))
        .or_else(|| {
            [
                reg::SPORT_RANGE,
                reg::DPORT_RANGE,
                reg::PRIO,
                reg::ACTION,
                reg::PLANES,
                reg::FLOW_FLAGS,
                reg::PKT_LEN,
                reg::CMD_ARG,
                reg::FLOW_INTEREST,
                reg::PKT_FLAGS,
            ]
            .iter()
            .position(|&r| r == off)
            .map(|i| 2 * KEY_WORDS + i)
        })
}

impl<B: Bar> Device<B> {
    /// Opens a device: checks its magic, version and capabilities, and refuses one that answers
    /// wrongly (all-ones, wrong magic or major version, impossible capabilities).
    pub fn open(mut bar: B, opts: OpenOptions) -> Result<Self, DeviceError> {
        let name = bar.name();
        let mut read = |off: u32| -> Result<u32, DeviceError> {
            let v = bar.read32(off)?;
            if v == u32::MAX {
                return Err(DeviceError::AllOnes {
                    backend: name.clone(),
                    offset: off,
                });
            }
            Ok(v)
        };
        let mut warnings = Vec::new();
        let id = read(reg::ID)?;
        let version = Version::from_raw(read(reg::VERSION)?);
        let (major, minor) = (version.major(), version.minor());
        let known = major == device::VERSION_MAJOR as u16 || (major, minor) == (2, 0);
        if id != device::MAGIC || !known {
            let e = DeviceError::WrongId {
                backend: name.clone(),
                id,
                major,
                minor,
            };
            if !opts.force {
                return Err(e);
            }
            warnings.push(format!("--force: continuing although {e}"));
        }
        let misc = CapMisc::from_raw(read(reg::CAP_MISC)?);
        let key = CapKey::from_raw(read(reg::CAP_KEY)?);
        let channels = match misc.channels() {
            0 => 256,
            c => c as u32,
        };
        let caps = Caps {
            version_major: major,
            version_minor: minor,
            tcam_entries: read(reg::CAP_TCAM)?,
            flow_buckets: read(reg::CAP_FLOW_BUCKETS)?,
            flow_ways: read(reg::CAP_FLOW_WAYS)?,
            channels,
            local_entries: misc.local_entries() as u32,
            latency: misc.latency() as u32,
            counter_bits: misc.counter_bits() as u32,
            ipv4: key.ipv4(),
            ipv6: key.ipv6(),
            port_ranges: key.port_ranges(),
            key_words: key.key_words() as u32,
            prio_bits: key.prio_bits() as u32,
            rules: None,
        };
        let mut caps = caps;
        if major == 2 {
            let r = CapRules::from_raw(read(reg::CAP_RULES)?);
            caps.rules = Some(RuleCaps {
                checkers: r.checkers() as u32,
                classes: r.classes() as u32,
                flag_bits: r.flag_bits() as u32,
                write_cycles: r.write_cycles() as u32,
            });
        }
        let sane = (1..=1 << 24).contains(&caps.tcam_entries)
            && caps.flow_buckets.is_power_of_two()
            && (1..=8).contains(&caps.flow_ways)
            && caps.flow_buckets * caps.flow_ways <= 1 << 24
            && caps.key_words == KEY_WORDS as u32
            && (caps.port_ranges || caps.rules.is_some())
            && caps
                .rules
                .is_none_or(|r| r.checkers <= 32 && r.classes <= 7)
            && caps.counter_bits == 64;
        if !sane {
            return Err(DeviceError::BadCaps {
                backend: name,
                caps: Box::new(caps),
            });
        }
        let tcam = tcam::Shadow::new(caps.tcam_entries);
        let flows = flows::Shadow::new(&caps);
        Ok(Device {
            bar,
            caps,
            staged: [None; STAGE_SLOTS],
            io: IoStats::default(),
            tcam,
            flows,
            locals: None,
            rule_planes: [None, None],
            warnings,
        })
    }

    /// The capabilities read and checked at open.
    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    /// The backend, for raw access: it bypasses the I/O counts, the staging cache and the
    /// driver's copies of the tables.
    pub fn bar(&mut self) -> &mut B {
        &mut self.bar
    }

    /// Gives the backend back, e.g. to reopen it.
    pub fn into_bar(self) -> B {
        self.bar
    }

    /// Register accesses made through this handle so far.
    pub fn io_stats(&self) -> IoStats {
        self.io
    }

    /// Resets the device (every table, counter and error) and forgets nothing: the driver
    /// knows the reset state exactly.
    pub fn reset(&mut self) -> Result<(), DeviceError> {
        self.write_reg(Control::new().with_reset(true))?;
        if self.is_v2() {
            // The rule stage and flow cache sweep their RAMs after a reset (BUSY meanwhile).
            self.wait_idle("RESET")?;
        }
        self.staged = [Some(0); STAGE_SLOTS];
        self.tcam = tcam::Shadow::empty(self.caps.tcam_entries);
        self.flows = flows::Shadow::empty(&self.caps);
        self.locals = Some(vec![None; self.caps.local_entries as usize]);
        // A reset invalidates every checker and class of both planes.
        let blank = self.caps.rules.map(v2::PlaneConfig::blank);
        self.rule_planes = [blank.clone(), blank];
        Ok(())
    }

    /// Reads the register at byte offset `off`, counted in [`IoStats`].
    /// An all-ones answer is checked against ID: a register may hold all-ones (a mask word, a
    /// counter), but a device that is gone reads all-ones everywhere, ID included, and then the
    /// read fails naming `off` instead of handing the caller garbage.
    pub fn read(&mut self, off: u32) -> Result<u32, DeviceError> {
        self.io.reads += 1;
        let v = self.bar.read32(off)?;
        if v == u32::MAX && (off == reg::ID || self.bar.read32(reg::ID)? == u32::MAX) {
            return Err(DeviceError::AllOnes {
                backend: self.bar.name(),
                offset: off,
            });
        }
        Ok(v)
    }

    /// Writes `val` at byte offset `off` (always, even if a staging register holds it already),
    /// counted in [`IoStats`]. A rejected write shows in [`Device::take_rejection`].
    pub fn write(&mut self, off: u32, val: u32) -> Result<(), DeviceError> {
        self.io.writes += 1;
        if let Some(slot) = stage_slot(off) {
            self.staged[slot] = Some(val);
        }
        Ok(self.bar.write32(off, val)?)
    }

    /// Reads a register through its codec type.
    pub fn read_reg<R: Register>(&mut self) -> Result<R, DeviceError> {
        Ok(R::from_raw(self.read(R::OFFSET)?))
    }

    /// Writes a register through its codec type.
    pub fn write_reg<R: Register>(&mut self, v: R) -> Result<(), DeviceError> {
        self.write(R::OFFSET, v.into())
    }

    /// Stages a register through its codec type, unless it already holds `v`.
    pub(crate) fn stage_reg<R: Register>(&mut self, v: R) -> Result<(), DeviceError> {
        self.stage(R::OFFSET, v.into())
    }

    /// A word that did not decode, as this device's error.
    pub(crate) fn undecodable(&self, error: DecodeError) -> DeviceError {
        DeviceError::Undecodable {
            backend: self.bar.name(),
            error,
        }
    }

    /// Writes a staging register unless it already holds `val`.
    pub(crate) fn stage(&mut self, off: u32, val: u32) -> Result<(), DeviceError> {
        match stage_slot(off) {
            Some(slot) if self.staged[slot] == Some(val) => Ok(()),
            _ => self.write(off, val),
        }
    }

    pub(crate) fn stage_words(
        &mut self,
        base: u32,
        words: &[u32; KEY_WORDS],
    ) -> Result<(), DeviceError> {
        for (i, &w) in words.iter().enumerate() {
            self.stage(base + 4 * i as u32, w)?;
        }
        Ok(())
    }

    /// The device rewrote the staging registers (a *_READ command).
    pub(crate) fn forget_staged(&mut self) {
        self.staged = [None; STAGE_SLOTS];
    }

    /// Writes CMD. On 2.0 a command that uses the engine first waits for the previous one and
    /// then for itself, so its effect (or its READ data) is in place on return.
    pub(crate) fn command(&mut self, op: Opcode, index: u32) -> Result<(), DeviceError> {
        let engine = self.is_v2() && !matches!(op, Opcode::LocalWrite | Opcode::Probe);
        if engine {
            self.wait_idle(op.name())?;
        }
        self.write_reg(Cmd::new().with_opcode(op).with_index(index))?;
        if engine {
            self.wait_idle(op.name())?;
        }
        Ok(())
    }

    /// Is this an RTL 2.0 device (index-ordered TCAM, checkers, classes, STATUS.BUSY)?
    pub fn is_v2(&self) -> bool {
        self.caps.rules.is_some()
    }

    /// Reads ERROR; if a command was rejected since the last check, clears it and returns it.
    pub fn take_rejection(&mut self) -> Result<Option<Rejection>, DeviceError> {
        let e = self.read(reg::ERROR)?;
        if e == u32::MAX {
            return Err(DeviceError::AllOnes {
                backend: self.bar.name(),
                offset: reg::ERROR,
            });
        }
        if e == 0 {
            return Ok(None);
        }
        let index = self.read(reg::ERROR_INDEX)?;
        self.write_reg(Error::new())?;
        let e = Error::from_raw(e);
        Ok(Some(Rejection {
            reason: e.reason().map_err(|e| self.undecodable(e))?,
            opcode: e.opcode(),
            index,
            count: e.count() as u32,
        }))
    }

    /// Fails with the first rejection since the last check, if any.
    pub(crate) fn check(&mut self) -> Result<(), DeviceError> {
        match self.take_rejection()? {
            None => Ok(()),
            Some(r) => Err(DeviceError::Rejected {
                backend: self.bar.name(),
                rejection: r,
            }),
        }
    }

    /// STATUS, refusing an all-ones answer.
    pub fn status(&mut self) -> Result<Status, DeviceError> {
        let s = self.read(reg::STATUS)?;
        if s == u32::MAX {
            return Err(DeviceError::AllOnes {
                backend: self.bar.name(),
                offset: reg::STATUS,
            });
        }
        Ok(Status::from_raw(s))
    }

    /// The cycle counter (64-bit, consistent: reading the low word latches the high word).
    pub fn cycles(&mut self) -> Result<u64, DeviceError> {
        let lo = self.read(reg::CYCLE_LO)? as u64;
        let hi = self.read(reg::CYCLE_HI)? as u64;
        Ok(hi << 32 | lo)
    }
}
