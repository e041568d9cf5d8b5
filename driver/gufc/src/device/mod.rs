//! The typed device API over any [`Bar`]: identification, capabilities, commands with
//! error checking, and a cache of the staging registers so repeated values are not rewritten.

mod counters;
mod error;
mod flows;
mod probe;
mod tcam;

pub use counters::{Counter, CounterSpace, GlobalCounters};
pub use error::{DeviceError, Rejection};
pub use flows::{FlowInfo, FlowInsert, FlowInterest};
pub use probe::ProbeResult;
pub use tcam::{CommitReport, Transaction, TransactionError, Update, UpdateStatus};

use crate::backend::Bar;
use gufc_regmap::{device, field, reg, KEY_WORDS};

/// What the device says it is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Caps {
    pub version_major: u16,
    pub version_minor: u16,
    pub tcam_entries: u32,
    pub flow_buckets: u32,
    pub flow_ways: u32,
    pub channels: u32,
    pub local_entries: u32,
    pub latency: u32,
    pub counter_bits: u32,
    pub ipv4: bool,
    pub ipv6: bool,
    pub port_ranges: bool,
    pub key_words: u32,
    pub prio_bits: u32,
}

impl Caps {
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
    pub reads: u64,
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
        let version = read(reg::VERSION)?;
        let major = field::VERSION_MAJOR.get(version) as u16;
        let minor = field::VERSION_MINOR.get(version) as u16;
        if id != device::MAGIC || major != device::VERSION_MAJOR as u16 {
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
        let misc = read(reg::CAP_MISC)?;
        let key = read(reg::CAP_KEY)?;
        let channels = match field::CAP_MISC_CHANNELS.get(misc) {
            0 => 256,
            c => c,
        };
        let caps = Caps {
            version_major: major,
            version_minor: minor,
            tcam_entries: read(reg::CAP_TCAM)?,
            flow_buckets: read(reg::CAP_FLOW_BUCKETS)?,
            flow_ways: read(reg::CAP_FLOW_WAYS)?,
            channels,
            local_entries: field::CAP_MISC_LOCAL_ENTRIES.get(misc),
            latency: field::CAP_MISC_LATENCY.get(misc),
            counter_bits: field::CAP_MISC_COUNTER_BITS.get(misc),
            ipv4: field::CAP_KEY_IPV4.get(key) != 0,
            ipv6: field::CAP_KEY_IPV6.get(key) != 0,
            port_ranges: field::CAP_KEY_PORT_RANGES.get(key) != 0,
            key_words: field::CAP_KEY_KEY_WORDS.get(key),
            prio_bits: field::CAP_KEY_PRIO_BITS.get(key),
        };
        let sane = (1..=1 << 24).contains(&caps.tcam_entries)
            && caps.flow_buckets.is_power_of_two()
            && (1..=8).contains(&caps.flow_ways)
            && caps.flow_buckets * caps.flow_ways <= 1 << 24
            && caps.key_words == KEY_WORDS as u32
            && caps.port_ranges
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
            warnings,
        })
    }

    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    pub fn bar(&mut self) -> &mut B {
        &mut self.bar
    }

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
        self.write(reg::CONTROL, field::CONTROL_RESET.put(1))?;
        self.staged = [Some(0); STAGE_SLOTS];
        self.tcam = tcam::Shadow::empty(self.caps.tcam_entries);
        self.flows = flows::Shadow::empty(&self.caps);
        Ok(())
    }

    pub fn read(&mut self, off: u32) -> Result<u32, DeviceError> {
        self.io.reads += 1;
        Ok(self.bar.read32(off)?)
    }

    pub fn write(&mut self, off: u32, val: u32) -> Result<(), DeviceError> {
        self.io.writes += 1;
        if let Some(slot) = stage_slot(off) {
            self.staged[slot] = Some(val);
        }
        Ok(self.bar.write32(off, val)?)
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

    pub(crate) fn command(&mut self, opcode: u8, index: u32) -> Result<(), DeviceError> {
        self.write(
            reg::CMD,
            field::CMD_OPCODE.put(opcode as u32) | field::CMD_INDEX.put(index),
        )
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
        self.write(reg::ERROR, 0)?;
        Ok(Some(Rejection {
            reason: field::ERROR_REASON.get(e) as u8,
            opcode: field::ERROR_OPCODE.get(e) as u8,
            index,
            count: field::ERROR_COUNT.get(e),
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
    pub fn status(&mut self) -> Result<u32, DeviceError> {
        let s = self.read(reg::STATUS)?;
        if s == u32::MAX {
            return Err(DeviceError::AllOnes {
                backend: self.bar.name(),
                offset: reg::STATUS,
            });
        }
        Ok(s)
    }

    /// The cycle counter (64-bit, consistent: reading the low word latches the high word).
    pub fn cycles(&mut self) -> Result<u64, DeviceError> {
        let lo = self.read(reg::CYCLE_LO)? as u64;
        let hi = self.read(reg::CYCLE_HI)? as u64;
        Ok(hi << 32 | lo)
    }
}
