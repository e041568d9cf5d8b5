//! The wire side of a simulated NIC: a queue of arriving packets offered to the key port on
//! every clock edge, including the edges of the host's register accesses, so traffic keeps
//! flowing at line rate while the slow path programs the device. Results are collected in
//! order for the host. Hardware has a real wire; this exists for the model and the RTL.

use std::collections::VecDeque;

use gufc_regmap::word::{Cmd, Control};
use gufc_regmap::{reg, CycleIn, CycleOut, KeyIn, LookupResult, Mmio, Opcode};

use gufc::backend::{Bar, BusError, Sim};

/// A packet waiting on the wire: offered once the (virtual) cycle reaches `release`.
#[derive(Clone, Copy, Debug)]
struct Queued {
    key: KeyIn,
    release: u64,
}

/// A simulation behind a wire: each register access ([`Bar`]) and each [`Wire::tick`] is one
/// clock edge that also offers the next due packet to the key port and collects results.
pub struct Wire<S: Sim> {
    sim: S,
    queue: VecDeque<Queued>,
    results: VecDeque<LookupResult>,
    in_flight: u64,
    /// Cycles skipped while nothing was in flight (paced replay with long idle gaps).
    skipped: u64,
    /// Edge number at which each key was accepted, by tag (when recording).
    accept_log: Option<Vec<(u32, u64)>>,
    /// Edge number of each COMMIT command.
    commits: Vec<u64>,
}

impl<S: Sim> Wire<S> {
    /// `sim` with an empty wire.
    pub fn new(sim: S) -> Self {
        Wire {
            sim,
            queue: VecDeque::new(),
            results: VecDeque::new(),
            in_flight: 0,
            skipped: 0,
            accept_log: None,
            commits: Vec::new(),
        }
    }

    /// Records the edge at which every key is accepted (for cycle-exact tests).
    pub fn record_accepts(&mut self) {
        self.accept_log = Some(Vec::new());
    }

    /// (tag, edge) of every key accepted since [`Wire::record_accepts`]; empty without it.
    pub fn accepts(&self) -> &[(u32, u64)] {
        self.accept_log.as_deref().unwrap_or(&[])
    }

    /// Edges at which a COMMIT command was written.
    pub fn commits(&self) -> &[u64] {
        &self.commits
    }

    /// Queues a packet, offered from virtual cycle `release` on (0: at once).
    pub fn push(&mut self, key: KeyIn, release: u64) {
        self.queue.push_back(Queued { key, release });
    }

    /// Whether a result waits for [`Wire::pop_result`].
    pub fn has_result(&self) -> bool {
        !self.results.is_empty()
    }

    /// Packets on the wire not yet accepted by the device.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Keys accepted whose result has not come out yet.
    pub fn in_flight(&self) -> u64 {
        self.in_flight
    }

    /// The oldest result not yet taken, in key order.
    pub fn pop_result(&mut self) -> Option<LookupResult> {
        self.results.pop_front()
    }

    /// The device clock plus skipped idle cycles.
    pub fn virtual_cycle(&self) -> u64 {
        self.sim.cycle() + self.skipped
    }

    /// When nothing is in flight and the next packet is not due, jump to its release cycle
    /// instead of simulating idle edges. Returns the cycles skipped.
    pub fn skip_idle(&mut self) -> u64 {
        match self.queue.front() {
            Some(q) if self.in_flight == 0 && q.release > self.virtual_cycle() => {
                let n = q.release - self.virtual_cycle();
                self.skipped += n;
                n
            }
            _ => 0,
        }
    }

    /// One edge with no register access.
    pub fn tick(&mut self) {
        self.edge(None);
    }

    /// The simulation underneath (for its cycle count).
    pub fn inner(&self) -> &S {
        &self.sim
    }

    fn edge(&mut self, mmio: Option<Mmio>) -> CycleOut {
        let now = self.virtual_cycle();
        let key = self
            .queue
            .front()
            .filter(|q| q.release <= now)
            .map(|q| q.key);
        let edge = self.sim.cycle();
        if let Some(Mmio::Write {
            addr: reg::CMD,
            data,
        }) = mmio
        {
            if Cmd::from_raw(data).opcode() == Ok(Opcode::Commit) {
                self.commits.push(edge);
            }
        }
        let out = self.sim.step(&CycleIn {
            mmio,
            key,
            res_ready: true,
            rst: false,
        });
        if let Some(Mmio::Write {
            addr: reg::CONTROL,
            data,
        }) = mmio
        {
            if Control::from_raw(data).reset() {
                self.in_flight = 0; // the reset emptied the pipeline, this edge's key included
                return out;
            }
        }
        if out.accepted {
            let q = self.queue.pop_front().expect("an accepted key was offered");
            self.in_flight += 1;
            if let Some(log) = &mut self.accept_log {
                log.push((q.key.tag, edge));
            }
        }
        if let Some(r) = out.result {
            self.in_flight -= 1;
            self.results.push_back(r);
        }
        out
    }
}

impl<S: Sim> Bar for Wire<S> {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        Ok(self.edge(Some(Mmio::Read { addr: off })).rdata)
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.edge(Some(Mmio::Write {
            addr: off,
            data: val,
        }));
        Ok(())
    }
    fn name(&self) -> String {
        self.sim.name()
    }
}

impl<S: Sim> Sim for Wire<S> {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        let out = self.sim.step(input);
        if out.accepted {
            self.in_flight += 1;
        }
        if let Some(r) = out.result {
            self.in_flight = self.in_flight.saturating_sub(1);
            self.results.push_back(r);
        }
        out
    }
    fn cycle(&self) -> u64 {
        self.sim.cycle()
    }
    fn take_results(&mut self) -> Vec<LookupResult> {
        let mut v: Vec<LookupResult> = self.sim.take_results();
        v.extend(self.results.drain(..));
        v
    }
}
