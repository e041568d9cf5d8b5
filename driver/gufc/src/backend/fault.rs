//! A backend decorator that breaks a working backend in one chosen way, so tests can show
//! that every driver and CLI operation ends with a clear error in bounded time instead of
//! hanging or printing garbage. Test-only (feature `fault-injection`); hardware never sees it.

use super::{Bar, BusError, Sim};
use gufc_regmap::word::Status;
use gufc_regmap::{reg, CycleIn, CycleOut, LookupResult, Register};

/// How the wrapped device misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every read after the first `after` reads returns 0xffffffff, as a device that fell off
    /// the bus does; writes are lost.
    AllOnes {
        /// Reads answered normally before the device "disappears".
        after: u64,
    },
    /// `ID` reads a value that is not the gufc magic.
    WrongId,
    /// Work never completes: `STATUS.PROBE_BUSY` stays set and the key port never takes a key.
    BusyForever,
    /// Lookups happen but their results never leave the device.
    LostResults,
}

/// The ID a [`Fault::WrongId`] device answers with.
pub const WRONG_ID: u32 = 0x1234_5678;

impl std::str::FromStr for Fault {
    type Err = String;
    /// `all-ones`, `all-ones@N` (after N good reads), `wrong-id`, `busy-forever`,
    /// `lost-results`.
    fn from_str(s: &str) -> Result<Fault, String> {
        Ok(match s {
            "all-ones" => Fault::AllOnes { after: 0 },
            "wrong-id" => Fault::WrongId,
            "busy-forever" => Fault::BusyForever,
            "lost-results" => Fault::LostResults,
            _ => match s.strip_prefix("all-ones@").map(str::parse) {
                Some(Ok(after)) => Fault::AllOnes { after },
                _ => {
                    return Err(format!(
                    "unknown fault '{s}': all-ones, all-ones@N, wrong-id, busy-forever, lost-results"
                ))
                }
            },
        })
    }
}

/// Wraps a backend and injects one [`Fault`].
pub struct Faulty<B> {
    inner: B,
    fault: Fault,
    reads: u64,
}

impl<B> Faulty<B> {
    /// `inner` with `fault`.
    pub fn new(inner: B, fault: Fault) -> Self {
        Faulty {
            inner,
            fault,
            reads: 0,
        }
    }

    /// Whether reads now answer all-ones (counting this one).
    fn dead(&mut self) -> bool {
        let Fault::AllOnes { after } = self.fault else {
            return false;
        };
        self.reads += 1;
        self.reads > after
    }

    /// `v` as the faulty device answers a read of `off`.
    fn answer(&self, off: u32, v: u32) -> u32 {
        match self.fault {
            Fault::WrongId if off == reg::ID => WRONG_ID,
            Fault::BusyForever if off == Status::OFFSET => Status::from_raw(v)
                .with_probe_busy(true)
                .with_busy(true)
                .into(),
            _ => v,
        }
    }
}

impl<B: Bar> Bar for Faulty<B> {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        if self.dead() {
            return Ok(u32::MAX);
        }
        let v = self.inner.read32(off)?;
        Ok(self.answer(off, v))
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        if self.dead_for_writes() {
            return Ok(());
        }
        self.inner.write32(off, val)
    }
    fn name(&self) -> String {
        self.inner.name()
    }
}

impl<S: Sim> Sim for Faulty<S> {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        let mut input = *input;
        let read = match input.mmio {
            Some(gufc_regmap::Mmio::Read { addr }) => Some(addr),
            Some(gufc_regmap::Mmio::Write { .. }) if self.dead_for_writes() => {
                input.mmio = None;
                None
            }
            _ => None,
        };
        if self.fault == Fault::BusyForever {
            input.key = None;
        }
        let mut out = self.inner.step(&input);
        if let Some(addr) = read {
            out.rdata = if self.dead() {
                u32::MAX
            } else {
                self.answer(addr, out.rdata)
            };
        }
        match self.fault {
            Fault::BusyForever => {
                out.key_ready = false;
                out.accepted = false;
            }
            Fault::LostResults => out.result = None,
            Fault::AllOnes { .. } | Fault::WrongId => {}
        }
        out
    }
    fn cycle(&self) -> u64 {
        self.inner.cycle()
    }
    fn take_results(&mut self) -> Vec<LookupResult> {
        let results = self.inner.take_results();
        if self.fault == Fault::LostResults {
            return Vec::new();
        }
        results
    }
}

impl<B> Faulty<B> {
    fn dead_for_writes(&self) -> bool {
        matches!(self.fault, Fault::AllOnes { after } if self.reads >= after)
    }
}
