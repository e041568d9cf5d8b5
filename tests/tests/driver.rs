//! Driver conformance: the same cases on every backend. State is checked by reading it back
//! through the registers, not by trusting the driver's shadow.

use gufc::backend::{Bar, BusError, Sim};
use gufc::device::{CounterSpace, Device, DeviceError, OpenOptions, UpdateStatus};
use gufc_conformance::{backends, small_config};
use gufc_regmap::word::Meta;
use gufc_regmap::{reg, Action, HitKind, Key, ReasonCode, SlowReason, TcamEntry, KEY_WORDS};

fn open(
    make: fn(gufc_hw_model::Config) -> Box<dyn Sim>,
    c: gufc_hw_model::Config,
) -> Device<Box<dyn Sim>> {
    let mut d = Device::open(make(c), OpenOptions::default()).expect("device opens");
    d.reset().unwrap();
    d
}

/// An IPv4 rule: dst prefix, protocol, dst port range.
fn rule(
    dst: u32,
    len: u32,
    proto: Option<u8>,
    dport: (u16, u16),
    prio: u16,
    action: Action,
) -> TcamEntry {
    let mut e = TcamEntry::match_all(prio, action);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    e.value[gufc_regmap::key::DST0] = dst & mask;
    e.mask[gufc_regmap::key::DST0] = mask;
    e.mask[gufc_regmap::key::META] = Meta::new().with_ipv6(true).raw();
    if let Some(p) = proto {
        e.value[gufc_regmap::key::META] |= p as u32;
        e.mask[gufc_regmap::key::META] |= 0xff;
    }
    e.dport = dport;
    e
}

/// Plain reference: the matching entry with the highest priority, ties to the first.
fn reference(entries: &[(u32, TcamEntry)], k: &Key) -> Option<u32> {
    let mut best: Option<(u32, u16)> = None;
    for (i, e) in entries {
        if e.matches(k) && best.is_none_or(|(bi, bp)| e.prio > bp || (e.prio == bp && *i < bi)) {
            best = Some((*i, e.prio));
        }
    }
    best.map(|b| b.0)
}

/// Every TCAM entry's (content, planes) read back through TCAM_READ.
fn readback<B: Bar>(d: &mut Device<B>) -> Vec<(TcamEntry, u8)> {
    (0..d.caps().tcam_entries)
        .map(|i| d.read_entry(i).unwrap())
        .collect()
}

#[test]
fn identifies_and_reports_capabilities() {
    for b in backends() {
        let d = open(b.make, small_config());
        let c = d.caps();
        assert_eq!(
            (
                c.tcam_entries,
                c.flow_buckets,
                c.flow_ways,
                c.channels,
                c.local_entries
            ),
            (64, 4, 2, 8, 4),
            "{}",
            b.name
        );
        assert_eq!(c.latency, gufc_regmap::device::LATENCY);
        assert!(c.ipv4 && c.ipv6 && c.port_ranges);
    }
}

/// A bus that answers like a different or a dead device.
struct Fake(u32);
impl Bar for Fake {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        Ok(if off == reg::ID || self.0 == u32::MAX {
            self.0
        } else {
            0
        })
    }
    fn write32(&mut self, _: u32, _: u32) -> Result<(), BusError> {
        Ok(())
    }
    fn name(&self) -> String {
        "fake 0000:00:00.0".into()
    }
}

#[test]
fn refuses_devices_that_answer_wrongly() {
    let e = Device::open(Fake(0x1234_5678), OpenOptions::default())
        .err()
        .unwrap();
    assert!(
        matches!(
            e,
            DeviceError::WrongId {
                id: 0x1234_5678,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("fake 0000:00:00.0: not a gufc classifier"),
        "{e}"
    );
    let e = Device::open(Fake(u32::MAX), OpenOptions { force: true })
        .err()
        .unwrap();
    assert!(
        matches!(e, DeviceError::AllOnes { offset: 0, .. }),
        "all-ones is refused even with --force: {e}"
    );
    // --force gets past the ID, but impossible capabilities (all zero here) are still refused.
    let e = Device::open(Fake(0x1234_5678), OpenOptions { force: true })
        .err()
        .unwrap();
    assert!(matches!(e, DeviceError::BadCaps { .. }), "{e}");
}

#[test]
fn rules_commit_atomically_and_classify_by_priority() {
    for b in backends() {
        let mut d = open(b.make, small_config());
        let rules = vec![
            rule(
                0x0a00_0000,
                8,
                None,
                (0, 65535),
                10,
                Action::Deliver { channel: 1 },
            ),
            rule(0x0a01_0000, 16, Some(6), (80, 443), 20, Action::Drop),
            rule(
                0x0a01_0200,
                24,
                Some(6),
                (0, 65535),
                20,
                Action::Deliver { channel: 2 },
            ),
            rule(0, 0, None, (0, 65535), 1, Action::SlowPath { reason: 16 }),
        ];
        let mut tx = d.transaction();
        for r in &rules {
            tx.insert(*r);
        }
        let (statuses, report) = tx.commit().unwrap();
        assert_eq!(statuses, vec![UpdateStatus::Ok; 4]);
        assert_eq!(report.epoch, 1);
        let live = d.live_rules().unwrap();
        assert_eq!(live.len(), 4);
        for k in [
            Key::v4(1, 0x0a01_0203, 6, 1, 80), // prio 20 twice: lower index wins
            Key::v4(1, 0x0a01_0203, 17, 1, 80),
            Key::v4(1, 0x0a05_0505, 6, 1, 9),
            Key::v4(1, 0x0b00_0000, 6, 1, 9),
        ] {
            let p = d.probe(&k, 100).unwrap();
            let want = reference(&live, &k).unwrap();
            assert_eq!((p.kind, p.index), (HitKind::Rule, want), "{}: {k}", b.name);
            assert_eq!(
                p.action,
                live.iter().find(|x| x.0 == want).unwrap().1.action
            );
        }
        // A batch with one bad update changes nothing and says which one failed.
        let before = readback(&mut d);
        let mut tx = d.transaction();
        tx.insert(rule(0x0c00_0000, 8, None, (0, 65535), 5, Action::Drop));
        tx.insert(rule(
            0x0d00_0000,
            8,
            None,
            (0, 65535),
            5,
            Action::Deliver { channel: 99 },
        ));
        tx.delete(rule(0x0e00_0000, 8, None, (0, 65535), 5, Action::Drop));
        let statuses = tx.commit().err().unwrap().statuses;
        assert_eq!(statuses[0], UpdateStatus::Aborted);
        assert!(matches!(statuses[1], UpdateStatus::InvalidArgument(_)));
        assert_eq!(statuses[2], UpdateStatus::NotFound);
        assert_eq!(
            readback(&mut d),
            before,
            "{}: a failed batch leaves the TCAM unchanged",
            b.name
        );
    }
}

#[test]
fn a_full_tcam_is_refused_before_anything_is_written() {
    for b in backends() {
        let mut d = open(b.make, small_config());
        let set = |base: u32| -> Vec<TcamEntry> {
            (0..40)
                .map(|i| {
                    rule(
                        base + (i << 8),
                        24,
                        Some(6),
                        (0, 65535),
                        100 - i as u16,
                        Action::Drop,
                    )
                })
                .collect()
        };
        d.replace_rules(&set(0x0a00_0000)).unwrap();
        let before = readback(&mut d);
        let status = d.status().unwrap();
        let e = d.replace_rules(&set(0x0b00_0000)).err().unwrap();
        assert!(
            matches!(
                e,
                DeviceError::TcamFull {
                    needed: 80,
                    capacity: 64,
                    ..
                }
            ),
            "{}: {e}",
            b.name
        );
        assert_eq!(readback(&mut d), before, "{}", b.name);
        assert_eq!(d.status().unwrap(), status, "no commit happened");
        // Sharing entries with the live set makes room: 30 kept + 10 new fit.
        let mut next = set(0x0a00_0000)[..30].to_vec();
        next.extend(set(0x0c00_0000)[..10].iter().map(|e| TcamEntry {
            prio: e.prio - 50,
            ..*e
        }));
        let r = d.replace_rules(&next).unwrap();
        assert_eq!((r.kept, r.written, r.freed), (30, 10, 10));
    }
}

#[test]
fn rule_writes_cost_the_same_at_any_table_size() {
    let mut costs = Vec::new();
    for n in [64, 16384] {
        let mut d = open(
            backends()[0].make,
            gufc_hw_model::Config {
                tcam_entries: n,
                ..small_config()
            },
        );
        let e = rule(
            0x0a00_0000,
            8,
            Some(17),
            (53, 53),
            7,
            Action::Deliver { channel: 3 },
        );
        let r = d.replace_rules(&[e]).unwrap();
        costs.push(r.register_writes);
    }
    assert_eq!(
        costs[0], costs[1],
        "register writes for one rule insert do not depend on N"
    );
    assert!(
        costs[0] <= 2 * KEY_WORDS as u64 + 8,
        "one entry costs at most its staging registers + commands: {costs:?}"
    );
}

#[test]
fn flow_cache_places_by_cuckoo_and_refuses_when_full() {
    for b in backends() {
        let mut d = open(b.make, small_config()); // 4 buckets x 2 ways
        d.replace_rules(&[TcamEntry::match_all(1, Action::Drop)])
            .unwrap();
        let mut placed = Vec::new();
        let mut moves = 0;
        let err = loop {
            let k = Key::v4(0x0a00_0001 + placed.len() as u32, 0x0a00_0002, 6, 1000, 80);
            match d.flow_insert(&k, Action::Deliver { channel: 3 }, false) {
                Ok(r) => {
                    moves += r.moves;
                    placed.push(k);
                }
                Err(e) => break e,
            }
        };
        assert!(matches!(err, DeviceError::FlowTableFull { .. }), "{err}");
        assert!(
            placed.len() >= 6,
            "{}: cuckoo placement reaches 6 of 8 slots, got {}",
            b.name,
            placed.len()
        );
        // Every flow placed, including those moved, is still found by the device.
        for k in &placed {
            let p = d.probe(k, 64).unwrap();
            assert_eq!(
                (p.kind, p.action),
                (HitKind::Flow, Action::Deliver { channel: 3 }),
                "{}: {k} after {moves} moves",
                b.name
            );
            assert_eq!(d.flow_lookup(k).unwrap().unwrap().slot, p.index);
        }
        d.flow_remove(&placed[0]).unwrap();
        assert_eq!(d.probe(&placed[0], 64).unwrap().kind, HitKind::Rule);
    }
}

#[test]
fn flows_go_stale_at_a_commit_unless_pinned_or_touched() {
    for b in backends() {
        let mut d = open(b.make, small_config());
        d.replace_rules(&[TcamEntry::match_all(
            1,
            Action::SlowPath {
                reason: SlowReason::Rule.bits(),
            },
        )])
        .unwrap();
        let f = Key::v4(0x0a00_0001, 0x0a00_0002, 6, 40000, 22);
        let g = Key::v4(0x0a00_0003, 0x0a00_0002, 6, 40001, 22);
        d.flow_insert(&f, Action::Deliver { channel: 2 }, false)
            .unwrap();
        d.flow_insert(&g, Action::Deliver { channel: 5 }, true)
            .unwrap();
        assert_eq!(
            d.probe(&f, 64).unwrap().kind,
            HitKind::Flow,
            "flow cache before rules"
        );
        d.replace_rules(&[TcamEntry::match_all(
            2,
            Action::SlowPath {
                reason: SlowReason::Rule.bits(),
            },
        )])
        .unwrap();
        let p = d.probe(&f, 64).unwrap();
        assert_eq!(
            (p.kind, p.stale, p.action),
            (
                HitKind::Rule,
                true,
                Action::SlowPath {
                    reason: SlowReason::Stale.bits()
                }
            )
        );
        assert_eq!(
            d.probe(&g, 64).unwrap().action,
            Action::Deliver { channel: 5 },
            "pinned"
        );
        d.flow_touch(&f).unwrap();
        assert_eq!(
            d.probe(&f, 64).unwrap().action,
            Action::Deliver { channel: 2 },
            "{}: re-validated",
            b.name
        );
    }
}

#[test]
fn locality_bits_are_computed_and_matched() {
    for b in backends() {
        let mut d = open(b.make, small_config());
        d.set_local(0, "192.0.2.0".parse().unwrap(), 24, true)
            .unwrap();
        let mut to_local = TcamEntry::match_all(5, Action::Deliver { channel: 1 });
        let dst_local = Meta::new().with_dst_local(true).raw();
        to_local.value[gufc_regmap::key::META] = dst_local;
        to_local.mask[gufc_regmap::key::META] = dst_local;
        d.replace_rules(&[to_local, TcamEntry::match_all(1, Action::Drop)])
            .unwrap();
        let inbound = d
            .probe(&Key::v4(0xc633_6401, 0xc000_0207, 6, 1, 22), 64)
            .unwrap();
        assert_eq!(
            (inbound.src_local, inbound.dst_local, inbound.action),
            (false, true, Action::Deliver { channel: 1 }),
            "{}",
            b.name
        );
        let outbound = d
            .probe(&Key::v4(0xc000_0207, 0xc633_6401, 6, 22, 1), 64)
            .unwrap();
        assert_eq!(
            (outbound.src_local, outbound.dst_local, outbound.action),
            (true, false, Action::Drop)
        );
    }
}

#[test]
fn counters_count_what_the_stream_did() {
    for b in backends() {
        let mut d = open(b.make, small_config());
        let r = d
            .replace_rules(&[
                rule(
                    0x0a00_0000,
                    8,
                    None,
                    (0, 65535),
                    10,
                    Action::Deliver { channel: 4 },
                ),
                rule(0x0b00_0000, 8, None, (0, 65535), 10, Action::Drop),
            ])
            .unwrap();
        let keys: Vec<_> = (0..300u32)
            .map(|i| gufc_regmap::KeyIn {
                key: Key::v4(
                    i,
                    [0x0a00_0001, 0x0b00_0001, 0x0c00_0001][i as usize % 3],
                    17,
                    1,
                    2,
                ),
                len: 100 + i as u16,
                tag: 0,
                tcp_flags: 0,
            })
            .collect();
        let (results, st) = gufc::stream::classify_all(d.bar(), keys.clone()).unwrap();
        assert_eq!(results.len(), 300);
        assert_eq!(
            st.cycles,
            300 + gufc_regmap::device::LATENCY as u64,
            "{}: one key per cycle",
            b.name
        );
        let bytes = |m: usize| {
            keys.iter()
                .enumerate()
                .filter(|(i, _)| i % 3 == m)
                .map(|(_, k)| k.len as u64)
                .sum::<u64>()
        };
        let c0 = d.counter(CounterSpace::Tcam, r.placement[0]).unwrap();
        assert_eq!((c0.packets, c0.bytes), (100, bytes(0)));
        assert_eq!(d.counter(CounterSpace::Channel, 4).unwrap().packets, 100);
        let g = d.global_counters().unwrap();
        assert_eq!(
            (
                g.lookups,
                g.rule_hits,
                g.misses,
                g.delivered,
                g.drops,
                g.slow_path
            ),
            (300, 200, 100, 100, 100, 100),
            "{}",
            b.name
        );
        d.clear_counter(CounterSpace::Tcam, r.placement[0]).unwrap();
        assert_eq!(
            d.counter(CounterSpace::Tcam, r.placement[0])
                .unwrap()
                .packets,
            0
        );
    }
}

#[test]
fn unknown_offsets_and_bad_commands_are_rejected_without_effect() {
    for b in backends() {
        let mut d = open(b.make, small_config());
        d.write(reg::SCRATCH, 0x5a5a_1234).unwrap();
        d.write(0x0fc, 7).unwrap(); // unmapped
        d.write(reg::CAP_TCAM, 7).unwrap(); // read-only
        let rej = d.take_rejection().unwrap().expect("rejected");
        assert_eq!(
            (rej.reason, rej.index, rej.count),
            (ReasonCode::BadOffset, 0x0fc, 2),
            "{}",
            b.name
        );
        assert_eq!(d.read(reg::SCRATCH).unwrap(), 0x5a5a_1234);
        assert_eq!(d.read(reg::CAP_TCAM).unwrap(), 64);
        let e = d.read_entry(64).err().unwrap();
        assert!(e.to_string().contains("TCAM index out of range: 64"), "{e}");
        assert!(
            d.take_rejection().unwrap().is_none(),
            "the driver refused before writing"
        );
    }
}

/// Every readable register element by name, in map order.
type RegisterDump = Vec<(String, u32)>;

/// 0 differences: the same driver work leaves every readable register — the cycle counter
/// included, so every backend took the same clock edges — the same on every backend.
#[test]
fn the_same_work_leaves_the_same_registers_and_cycles_on_every_backend() {
    let mut dumps: Vec<(&str, RegisterDump, u64)> = Vec::new();
    for b in backends() {
        let mut d = open(b.make, small_config());
        d.set_local(0, "192.0.2.0".parse().unwrap(), 24, true)
            .unwrap();
        d.replace_rules(&[
            rule(0x0a00_0000, 8, Some(6), (20, 90), 9, Action::Drop),
            rule(0, 0, None, (0, 65535), 1, Action::Deliver { channel: 5 }),
        ])
        .unwrap();
        let k = Key::v4(0x0a00_0001, 0xc000_0202, 6, 1000, 80);
        d.flow_insert(&k, Action::Deliver { channel: 2 }, true)
            .unwrap();
        d.probe(&Key::v4(0x0a00_0001, 0x0b00_0002, 6, 1000, 80), 64)
            .unwrap();
        d.counter(CounterSpace::Tcam, 0).unwrap();
        d.write(0x0fc, 1).unwrap(); // rejected: ERROR records it
        let mut regs = Vec::new();
        for r in gufc_regmap::REGISTERS
            .iter()
            .filter(|r| r.access.readable())
        {
            for i in 0..r.count {
                let v = d.bar().read32(r.offset + i * r.stride).unwrap();
                regs.push((format!("{}[{i}]", r.name), v));
            }
        }
        let cycle = d.bar().cycle();
        dumps.push((b.name, regs, cycle));
    }
    let (first, want, want_cycle) = &dumps[0];
    for (name, got, cycle) in &dumps[1..] {
        for (w, g) in want.iter().zip(got) {
            assert_eq!(g, w, "{name} differs from {first}");
        }
        assert_eq!(cycle, want_cycle, "{name}: clock edges differ from {first}");
    }
}
