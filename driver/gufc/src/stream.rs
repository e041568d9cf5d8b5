//! Packet streams through a simulated device: one key offered per cycle, results collected in
//! order. This is the traffic side of the model and the RTL (hardware gets packets from wire).

use crate::backend::Sim;
use crate::device::DeviceError;
use gufc_regmap::word::CapMisc;
use gufc_regmap::{CycleIn, KeyIn, LookupResult, Register};

/// Cycles without progress (no key accepted, no result out) that a stream waits before it gives
/// up: twice the device's latency plus this slack (a pending probe takes an input slot). With
/// `res_ready` always high a working device never goes this long without progress.
const STALL_SLACK: u64 = 8;

/// Keys handed to [`Sim::step_keys`] at a time (enough for lookup threads to pay off).
const BURST: usize = 16384;

/// Totals of a stream run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamStats {
    /// Keys the device accepted.
    pub keys: u64,
    /// Clock cycles from the first key offered to the last result out.
    pub cycles: u64,
}

impl StreamStats {
    /// Throughput in keys per clock cycle (1.0 is the pipeline's peak); 0 for an empty run.
    pub fn lookups_per_cycle(&self) -> f64 {
        if self.cycles == 0 {
            0.0
        } else {
            self.keys as f64 / self.cycles as f64
        }
    }
}

/// Cycles a stream may go without a key accepted or a result out before it is declared
/// stalled, on a device of this latency (with `res_ready` high a working one never waits that
/// long).
pub fn stall_budget(latency: u64) -> u64 {
    2 * latency + STALL_SLACK
}

/// Classifies `keys` (tags are replaced by their position), calling `sink` with each result in
/// order. Results that left the device earlier (during register accesses) are not included.
///
/// A device that neither accepts a key nor returns a result for `2 × CAP_MISC.LATENCY + 8`
/// cycles fails the stream with [`DeviceError::StreamStalled`] instead of being waited on forever.
pub fn classify<S: Sim + ?Sized>(
    sim: &mut S,
    keys: impl IntoIterator<Item = KeyIn>,
    mut sink: impl FnMut(&LookupResult),
) -> Result<StreamStats, DeviceError> {
    let latency = CapMisc::from_raw(sim.read32(CapMisc::OFFSET)?).latency() as u64;
    let budget = stall_budget(latency);
    let _ = sim.take_results();
    let start = sim.cycle();
    let (mut idle, mut sent, mut received) = (0u64, 0u64, 0u64);
    let stalled = |sim: &S, idle, sent, received| DeviceError::StreamStalled {
        backend: sim.name(),
        cycles: idle,
        sent,
        received,
        latency,
    };
    // Keys go to the device in bursts (one key per cycle, exactly as stepping them would).
    let mut keys = keys.into_iter();
    let mut burst: Vec<KeyIn> = Vec::with_capacity(BURST);
    let mut next = 0;
    loop {
        if next == burst.len() {
            burst.clear();
            next = 0;
            for k in keys.by_ref() {
                let tag = (sent + burst.len() as u64) as u32;
                burst.push(KeyIn { tag, ..k });
                if burst.len() == BURST {
                    break;
                }
            }
            if burst.is_empty() {
                break;
            }
        }
        if idle >= budget {
            return Err(stalled(sim, idle, sent, received));
        }
        let mut accepted = 0;
        sim.step_keys(&burst[next..], &mut |out| {
            idle += 1;
            if out.accepted {
                accepted += 1;
                idle = 0;
            }
            if let Some(r) = &out.result {
                received += 1;
                sink(r);
                idle = 0;
            }
        });
        next += accepted;
        sent += accepted as u64;
    }
    // Drain: the last results come out within the latency.
    while received != sent {
        if idle >= budget {
            return Err(stalled(sim, idle, sent, received));
        }
        let out = sim.step(&CycleIn::default());
        idle += 1;
        if let Some(r) = out.result {
            received += 1;
            sink(&r);
            idle = 0;
        }
    }
    Ok(StreamStats {
        keys: sent,
        cycles: sim.cycle() - start,
    })
}

/// [`classify`], collecting the results.
pub fn classify_all<S: Sim + ?Sized>(
    sim: &mut S,
    keys: impl IntoIterator<Item = KeyIn>,
) -> Result<(Vec<LookupResult>, StreamStats), DeviceError> {
    let mut out = Vec::new();
    let stats = classify(sim, keys, |r| out.push(*r))?;
    Ok((out, stats))
}
