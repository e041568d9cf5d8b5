//! Packet streams through a simulated device: one key offered per cycle, results collected in
//! order. This is the traffic side of the model and the RTL (hardware gets packets from wire).

use crate::backend::Sim;
use gufc_regmap::{CycleIn, KeyIn, LookupResult};

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

/// Classifies `keys` (tags are replaced by their position), calling `sink` with each result in
/// order. Results that left the device earlier (during register accesses) are not included.
pub fn classify<S: Sim + ?Sized>(
    sim: &mut S,
    keys: impl IntoIterator<Item = KeyIn>,
    mut sink: impl FnMut(&LookupResult),
) -> StreamStats {
    let _ = sim.take_results();
    let start = sim.cycle();
    let mut sent = 0u64;
    let mut received = 0u64;
    let mut keys = keys.into_iter().peekable();
    let mut input = CycleIn::default();
    loop {
        if input.key.is_none() {
            input.key = keys.next().map(|k| KeyIn {
                tag: sent as u32,
                ..k
            });
        }
        if input.key.is_none() && received == sent {
            break;
        }
        let out = sim.step(&input);
        if out.accepted {
            sent += 1;
            input.key = None;
        }
        if let Some(r) = out.result {
            received += 1;
            sink(&r);
        }
    }
    StreamStats {
        keys: sent,
        cycles: sim.cycle() - start,
    }
}

/// [`classify`], collecting the results.
pub fn classify_all<S: Sim + ?Sized>(
    sim: &mut S,
    keys: impl IntoIterator<Item = KeyIn>,
) -> (Vec<LookupResult>, StreamStats) {
    let mut out = Vec::new();
    let stats = classify(sim, keys, |r| out.push(*r));
    (out, stats)
}
