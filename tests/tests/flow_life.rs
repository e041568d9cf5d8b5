//! The flow life cycle (slow path, connection tracking, learning into the flow cache) on every
//! backend: a capture replayed on the RTL must give exactly what it gives on the model.

use gufc::backend::{Sim, SimSpec};
use gufc_conformance::{data, sim_kinds};
use gufc_flowlife::session::replay_into;

#[test]
fn replay_learns_the_same_flows_on_every_backend() {
    let mut reports = Vec::new();
    let mut devices: Vec<(String, Box<dyn Sim>)> = sim_kinds()
        .into_iter()
        .map(|k| {
            let sim = SimSpec::new(k, 2048, 1024).build().unwrap();
            (format!("{k:?}"), sim)
        })
        .collect();
    #[cfg(target_os = "linux")]
    devices.push((
        "vfio-user".into(),
        Box::new(gufc_conformance::served::serve(
            SimSpec::new(gufc::backend::SimKind::Model, 2048, 1024).config(),
        )),
    ));
    for (kind, sim) in devices {
        let (mut dev, _slow, rep) = replay_into(sim, &data("pcap/mixed.pcap"), None, &[])
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(
            rep.flows_learned > 0 && rep.cache_hits > 0,
            "{kind}: flows learned and hit: {rep:?}"
        );
        let g = dev.global_counters().unwrap();
        assert_eq!(
            g.flow_hits, rep.cache_hits,
            "{kind}: the device counted the cache hits the host saw"
        );
        reports.push((kind, serde_json::to_value(&rep).unwrap(), g));
    }
    for w in reports.windows(2) {
        assert_eq!(
            w[0].1, w[1].1,
            "{} and {} replay differently",
            w[0].0, w[1].0
        );
        assert_eq!(
            w[0].2, w[1].2,
            "{} and {} count differently",
            w[0].0, w[1].0
        );
    }
}
