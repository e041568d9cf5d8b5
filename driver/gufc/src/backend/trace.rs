//! A backend decorator that logs every register access, by name, to stderr or a writer.

use std::io::Write;

use super::{Bar, BusError, Sim};
use gufc_regmap::{CycleIn, CycleOut, LookupResult};

/// Wraps a backend and writes one line per access: `R|W offset NAME value`.
pub struct Traced<B> {
    inner: B,
    out: Box<dyn Write + Send>,
    accesses: u64,
}

impl<B: Bar> Traced<B> {
    /// Logs every access to `inner` on `out`.
    pub fn new(inner: B, out: Box<dyn Write + Send>) -> Self {
        Traced {
            inner,
            out,
            accesses: 0,
        }
    }

    /// The wrapped backend, without the log.
    pub fn into_inner(self) -> B {
        self.inner
    }

    /// Accesses logged so far.
    pub fn accesses(&self) -> u64 {
        self.accesses
    }

    fn log(&mut self, op: char, off: u32, val: u32) {
        self.accesses += 1;
        let name = match gufc_regmap::register_at(off) {
            Some((r, _)) if r.count > 1 => format!("{}[{}]", r.name, (off - r.offset) / r.stride),
            Some((r, _)) => r.name.to_string(),
            None => "?".into(),
        };
        // A failing log writer must not change what the device sees.
        let _ = writeln!(self.out, "{op} {off:#05x} {name:<14} {val:#010x}");
    }
}

impl<B: Bar> Bar for Traced<B> {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        let v = self.inner.read32(off)?;
        self.log('R', off, v);
        Ok(v)
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.log('W', off, val);
        self.inner.write32(off, val)
    }
    fn name(&self) -> String {
        format!("traced {}", self.inner.name())
    }
}

impl<S: Sim> Sim for Traced<S> {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        if let Some(m) = input.mmio {
            match m {
                gufc_regmap::Mmio::Read { addr } => {
                    let out = self.inner.step(input);
                    self.log('R', addr, out.rdata);
                    return out;
                }
                gufc_regmap::Mmio::Write { addr, data } => self.log('W', addr, data),
            }
        }
        self.inner.step(input)
    }
    fn cycle(&self) -> u64 {
        self.inner.cycle()
    }
    fn take_results(&mut self) -> Vec<LookupResult> {
        self.inner.take_results()
    }
    fn step_keys(
        &mut self,
        keys: &[gufc_regmap::KeyIn],
        on_out: &mut dyn FnMut(&CycleOut),
    ) -> usize {
        // No register access in a burst: nothing to log.
        self.inner.step_keys(keys, on_out)
    }
    fn set_lookup_threads(&mut self, threads: usize) -> bool {
        self.inner.set_lookup_threads(threads)
    }
}
