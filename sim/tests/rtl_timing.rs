//! Directed tests of the Verilated RTL alone against docs/timing.md: latency, back-pressure,
//! probes, commands, rejections, counters and reset, each asserted from the document rather than
//! from the model (the lockstep tests compare the two).

mod common;

use common::*;
use gufc_regmap::word::{
    CapKey, CapMisc, Error, FlowFlags, FlowInterest, FlowState, Meta, Ports, ProbeResult,
    SportRange, Status, Version,
};
use gufc_regmap::{
    bucket_pair, device, key, reg, Action, CounterSpace, CycleIn, GlobalCounter, HitKind,
    InterestMode, Key, KeyIn, LookupResult, Opcode, ReasonCode, SlowReason, TcamEntry, KEY_WORDS,
};
use gufc_sim::{Config, Rtl};

fn rtl(n: u32) -> Rtl {
    let c = Rtl::available()
        .into_iter()
        .find(|c| c.tcam_entries == n)
        .expect("configuration built");
    Rtl::new(c).unwrap()
}

fn stage_entry(d: &mut Rtl, e: &TcamEntry, planes: u8) {
    for (addr, data) in e.staging(planes) {
        write(d, addr, data);
    }
}

fn rule(d: &mut Rtl, index: u32, e: &TcamEntry, planes: u8) {
    stage_entry(d, e, planes);
    cmd(d, Opcode::TcamWrite, index);
    assert_eq!(read(d, reg::ERROR), 0, "rule {index} rejected");
}

fn flow_slot(d: &Rtl, k: &Key, second: bool, way: u32) -> u32 {
    let c = d.config();
    let (b1, b2) = bucket_pair(k, c.flow_buckets.trailing_zeros());
    (if second { b2 } else { b1 }) * c.flow_ways + way
}

fn flow(d: &mut Rtl, slot: u32, k: &Key, a: Action, pinned: bool) {
    stage_key(d, &k.words());
    put(d, a.encode());
    put(d, FlowFlags::new().with_pinned(pinned));
    cmd(d, Opcode::FlowWrite, slot);
    assert_eq!(read(d, reg::ERROR), 0, "flow {slot} rejected");
}

/// Sends one key and returns its result (drains the pipeline).
fn classify(d: &mut Rtl, k: Key, len: u16) -> LookupResult {
    classify_flags(d, k, len, 0)
}

/// Sends one key with TCP flags and returns its result (drains the pipeline).
fn classify_flags(d: &mut Rtl, k: Key, len: u16, tcp_flags: u8) -> LookupResult {
    let out = key(
        d,
        KeyIn {
            key: k,
            len,
            tag: 0xABCD,
            tcp_flags,
        },
    );
    assert!(out.accepted);
    let mut res = None;
    for _ in 0..4 {
        if let Some(r) = idle(d).result {
            assert!(res.replace(r).is_none());
        }
    }
    res.expect("a result within the latency")
}

fn counter(d: &mut Rtl, space: CounterSpace, index: u32) -> (u64, u64) {
    write(d, reg::CMD_ARG, space.into());
    cmd(d, Opcode::CntRead, index);
    let w: Vec<u64> = [
        reg::CNT_PKTS_LO,
        reg::CNT_PKTS_HI,
        reg::CNT_BYTES_LO,
        reg::CNT_BYTES_HI,
    ]
    .iter()
    .map(|&a| read(d, a) as u64)
    .collect();
    (w[0] | w[1] << 32, w[2] | w[3] << 32)
}

fn v4(src: u32, dst: u32, sport: u16, dport: u16) -> Key {
    Key::v4(src, dst, 6, sport, dport)
}

#[test]
fn capability_registers_report_the_parameters() {
    for c in Rtl::available() {
        let mut d = Rtl::new(c.clone()).unwrap();
        assert_eq!(read(&mut d, reg::ID), device::MAGIC);
        let v = Version::from_raw(read(&mut d, reg::VERSION));
        assert_eq!(
            (v.major() as u32, v.minor() as u32),
            (device::VERSION_MAJOR, device::VERSION_MINOR)
        );
        assert_eq!(read(&mut d, reg::CAP_TCAM), c.tcam_entries);
        assert_eq!(read(&mut d, reg::CAP_FLOW_BUCKETS), c.flow_buckets);
        assert_eq!(read(&mut d, reg::CAP_FLOW_WAYS), c.flow_ways);
        let misc = read(&mut d, reg::CAP_MISC);
        assert_eq!(CapMisc::CHANNELS.get(misc), c.channels % 256);
        assert_eq!(CapMisc::LOCAL_ENTRIES.get(misc), c.local_entries);
        assert_eq!(CapMisc::LATENCY.get(misc), device::LATENCY);
        assert_eq!(CapMisc::COUNTER_BITS.get(misc), 64);
        let k = read(&mut d, reg::CAP_KEY);
        let caps = CapKey::from_raw(k);
        assert!(
            caps.ipv4() && caps.ipv6() && caps.port_ranges(),
            "IPv4, IPv6, port ranges"
        );
        assert_eq!(CapKey::KEY_WORDS.get(k), KEY_WORDS as u32);
        assert_eq!(CapKey::PRIO_BITS.get(k), device::PRIO_BITS);
        // Write-only and unmapped offsets read 0; a write returns 0.
        write(&mut d, reg::SCRATCH, 0xDEAD_BEEF);
        assert_eq!(write(&mut d, reg::SCRATCH, 0x1234_5678).rdata, 0);
        assert_eq!(read(&mut d, reg::SCRATCH), 0x1234_5678);
        for a in [reg::CONTROL, reg::CMD, 0x03C, 0x101, 0x128, 0xFFC] {
            assert_eq!(read(&mut d, a), 0, "offset {a:#x}");
        }
    }
}

#[test]
fn latency_is_four_and_one_key_per_cycle() {
    let mut d = rtl(64);
    rule(
        &mut d,
        3,
        &TcamEntry::match_all(5, Action::Deliver { channel: 2 }),
        1,
    );
    let k = v4(0x0A00_0001, 0x0B00_0001, 80, 443);
    let mut outs = Vec::new();
    for t in 0..10u32 {
        outs.push(key(
            &mut d,
            KeyIn {
                key: k,
                len: 100 + t as u16,
                tag: t,
                tcp_flags: 0,
            },
        ));
    }
    for _ in 0..6 {
        outs.push(idle(&mut d));
    }
    for (step, o) in outs.iter().enumerate() {
        if step < 10 {
            assert!(o.accepted && o.key_ready, "step {step}");
        }
        match o.result {
            Some(r) => {
                let t = step as u32 - device::LATENCY;
                assert_eq!((r.tag, r.len), (t, 100 + t as u16), "step {step}");
                assert_eq!(
                    (r.kind, r.index, r.action),
                    (HitKind::Rule, 3, Action::Deliver { channel: 2 })
                );
                assert!(o.res_valid);
            }
            None => assert!(!(4..14).contains(&step), "no result at step {step}"),
        }
    }
}

#[test]
fn highest_priority_wins_ties_to_lowest_index_in_the_active_plane() {
    let mut d = rtl(64);
    let k = v4(0x0A00_0001, 0x0B00_0001, 80, 443);
    rule(&mut d, 5, &TcamEntry::match_all(7, Action::Drop), 1);
    rule(
        &mut d,
        2,
        &TcamEntry::match_all(7, Action::Deliver { channel: 1 }),
        3,
    );
    rule(
        &mut d,
        1,
        &TcamEntry::match_all(3, Action::Deliver { channel: 9 }),
        1,
    );
    rule(
        &mut d,
        9,
        &TcamEntry::match_all(9, Action::SlowPath { reason: 40 }),
        2,
    );
    let r = classify(&mut d, k, 1);
    assert_eq!(
        (r.kind, r.index, r.action),
        (HitKind::Rule, 2, Action::Deliver { channel: 1 })
    );
    cmd(&mut d, Opcode::Commit, 0);
    assert_eq!(
        read(&mut d, reg::STATUS),
        Status::new().with_active_plane(true).with_epoch(1).raw()
    );
    let r = classify(&mut d, k, 1);
    assert_eq!((r.index, r.action), (9, Action::SlowPath { reason: 40 }));
    // Moving entry 9 out of plane 1 leaves entry 2 (planes 3) as the only plane-1 rule.
    write(&mut d, reg::PLANES, 1);
    cmd(&mut d, Opcode::TcamSetPlanes, 9);
    assert_eq!(classify(&mut d, k, 1).index, 2);
}

#[test]
fn value_mask_and_port_ranges() {
    let mut d = rtl(64);
    let mut e = TcamEntry::match_all(1, Action::Drop);
    e.value[key::SRC0] = 0x0A00_0000;
    e.mask[key::SRC0] = 0xFF00_0000;
    e.mask[key::META] = Meta::PROTO.mask();
    e.value[key::META] = Meta::PROTO.put(6);
    e.sport = (100, 200);
    rule(&mut d, 0, &e, 1);
    let hit = |d: &mut Rtl, k| classify(d, k, 1).kind == HitKind::Rule;
    assert!(hit(&mut d, v4(0x0A12_3456, 1, 100, 7)));
    assert!(hit(&mut d, v4(0x0A12_3456, 1, 200, 7)));
    assert!(!hit(&mut d, v4(0x0A12_3456, 1, 99, 7)));
    assert!(!hit(&mut d, v4(0x0A12_3456, 1, 201, 7)));
    assert!(!hit(&mut d, v4(0x0B12_3456, 1, 150, 7)));
    assert!(!hit(&mut d, Key::v4(0x0A12_3456, 1, 17, 150, 7)));
    let r = classify(&mut d, v4(0x0B00_0000, 1, 150, 7), 1);
    assert_eq!(
        (r.kind, r.index, r.action),
        (
            HitKind::Miss,
            0,
            Action::SlowPath {
                reason: SlowReason::Miss.bits()
            }
        )
    );
}

#[test]
fn back_pressure_holds_the_result_and_stops_the_input() {
    let mut d = rtl(64);
    rule(&mut d, 0, &TcamEntry::match_all(1, Action::Drop), 1);
    let k = v4(1, 2, 3, 4);
    for t in 0..3 {
        key(
            &mut d,
            KeyIn {
                key: k,
                len: 1,
                tag: t,
                tcp_flags: 0,
            },
        );
    }
    let held = CycleIn {
        key: Some(KeyIn {
            key: k,
            len: 1,
            tag: 99,
            tcp_flags: 0,
        }),
        res_ready: false,
        mmio: None,
        rst: false,
    };
    // Fill the pipeline: the first result reaches `out` after 4 edges.
    let o = d.step(&held);
    assert!(o.accepted && !o.res_valid);
    let o = d.step(&held);
    assert!(
        o.res_valid && !o.key_ready && !o.accepted && o.result.is_none(),
        "{o:?}"
    );
    for _ in 0..5 {
        let o = d.step(&held);
        assert!(o.res_valid && !o.key_ready && o.result.is_none());
    }
    let mut tags = Vec::new();
    for _ in 0..8 {
        tags.extend(idle(&mut d).result.map(|r| r.tag));
    }
    assert_eq!(tags, vec![0, 1, 2, 99]);
}

#[test]
fn flow_cache_hits_go_stale_on_commit_and_touch_renews_them() {
    let mut d = rtl(64);
    let k = v4(0xC0A8_0001, 0x0808_0808, 5555, 53);
    let slot = flow_slot(&d, &k, true, 1);
    flow(&mut d, slot, &k, Action::Deliver { channel: 7 }, false);
    rule(
        &mut d,
        4,
        &TcamEntry::match_all(1, Action::SlowPath { reason: 20 }),
        3,
    );
    let r = classify(&mut d, k, 60);
    assert_eq!(
        (r.kind, r.index, r.action, r.stale),
        (HitKind::Flow, slot, Action::Deliver { channel: 7 }, false)
    );
    // The locality bits of the staged key are not part of the flow key.
    cmd(&mut d, Opcode::Commit, 0);
    let r = classify(&mut d, k, 60);
    assert_eq!(
        (r.kind, r.index, r.action, r.stale),
        (
            HitKind::Rule,
            4,
            Action::SlowPath {
                reason: SlowReason::Stale.bits()
            },
            true
        )
    );
    cmd(&mut d, Opcode::FlowTouch, slot);
    assert_eq!(classify(&mut d, k, 60).kind, HitKind::Flow);
    // Read back: valid, hit, current; reading clears HIT.
    cmd(&mut d, Opcode::FlowRead, slot);
    let st = read(&mut d, reg::FLOW_STATE);
    assert_eq!(FlowState::VALID.get(st), 1);
    assert_eq!(FlowState::HIT.get(st), 1);
    assert_eq!(FlowState::STALE.get(st), 0);
    assert_eq!(FlowState::EPOCH.get(st), 1);
    assert_ne!(read(&mut d, reg::FLOW_LAST_HIT), 0);
    assert_eq!(
        read(&mut d, reg::KEY + 4 * key::PORTS as u32),
        Ports::new().with_sport(5555).with_dport(53).raw()
    );
    cmd(&mut d, Opcode::FlowRead, slot);
    assert_eq!(FlowState::HIT.get(read(&mut d, reg::FLOW_STATE)), 0);
    assert_eq!(counter(&mut d, CounterSpace::Flow, slot), (2, 120));
    // A pinned entry ignores the epoch; an entry outside the key's buckets never hits.
    let k2 = v4(0xC0A8_0002, 0x0808_0808, 5555, 53);
    let s2 = flow_slot(&d, &k2, false, 0);
    flow(&mut d, s2, &k2, Action::Drop, true);
    cmd(&mut d, Opcode::Commit, 0);
    assert_eq!(classify(&mut d, k2, 1).kind, HitKind::Flow);
    // Move: counters and state go along, the source is empty.
    let dst = flow_slot(&d, &k, false, 0);
    if dst != slot {
        write(&mut d, reg::CMD_ARG, dst);
        cmd(&mut d, Opcode::FlowMove, slot);
        assert_eq!(read(&mut d, reg::ERROR), 0);
        assert_eq!(counter(&mut d, CounterSpace::Flow, dst), (2, 120));
        assert_eq!(counter(&mut d, CounterSpace::Flow, slot), (0, 0));
        cmd(&mut d, Opcode::FlowRead, slot);
        assert_eq!(read(&mut d, reg::FLOW_STATE), 0);
        let r = classify(&mut d, k, 1);
        assert_eq!(
            (r.kind, r.index, r.stale),
            (HitKind::Rule, 4, true),
            "moved entry is stale (epoch 1 < 2)"
        );
    }
}

#[test]
fn probe_takes_an_input_slot_and_reports_in_registers() {
    let mut d = rtl(64);
    rule(
        &mut d,
        6,
        &TcamEntry::match_all(1, Action::Deliver { channel: 3 }),
        1,
    );
    let k = v4(9, 9, 9, 9);
    stage_key(&mut d, &k.words());
    write(&mut d, reg::PKT_LEN, 1500);
    let o = cmd(&mut d, Opcode::Probe, 0);
    assert!(o.key_ready, "the PROBE edge itself still accepts keys");
    let o = d.step(&CycleIn {
        key: Some(KeyIn {
            key: k,
            len: 1,
            tag: 1,
            tcp_flags: 0,
        }),
        ..CycleIn::default()
    });
    assert!(
        !o.key_ready && !o.accepted,
        "the probe takes this input slot"
    );
    assert_eq!(Status::PROBE_BUSY.get(read(&mut d, reg::STATUS)), 1);
    cmd(&mut d, Opcode::Probe, 0);
    assert_eq!(
        Error::REASON.get(read(&mut d, reg::ERROR)),
        ReasonCode::ProbeBusy as u32
    );
    assert_eq!(Status::PROBE_BUSY.get(read(&mut d, reg::STATUS)), 0);
    let p = ProbeResult::decode(read(&mut d, reg::PROBE_RESULT)).unwrap();
    assert_eq!(p.kind(), Ok(HitKind::Rule));
    assert_eq!(p.channel(), 3);
    assert_eq!(read(&mut d, reg::PROBE_INDEX), 6);
    // Probes are not counted.
    assert_eq!(
        counter(&mut d, CounterSpace::Global, GlobalCounter::Lookups as u32),
        (0, 0)
    );
    assert_eq!(counter(&mut d, CounterSpace::Tcam, 6), (0, 0));
}

#[test]
fn counters_count_and_clear() {
    let mut d = rtl(64);
    rule(
        &mut d,
        1,
        &TcamEntry::match_all(1, Action::Deliver { channel: 200 }),
        1,
    );
    for len in [100, 200, 300] {
        classify(&mut d, v4(1, 2, 3, 4), len);
    }
    assert_eq!(counter(&mut d, CounterSpace::Tcam, 1), (3, 600));
    assert_eq!(counter(&mut d, CounterSpace::Channel, 200), (3, 600));
    assert_eq!(
        counter(&mut d, CounterSpace::Global, GlobalCounter::Lookups as u32),
        (3, 600)
    );
    assert_eq!(
        counter(&mut d, CounterSpace::Global, GlobalCounter::RuleHits as u32),
        (3, 600)
    );
    assert_eq!(
        counter(
            &mut d,
            CounterSpace::Global,
            GlobalCounter::Delivered as u32
        ),
        (3, 600)
    );
    assert_eq!(
        counter(&mut d, CounterSpace::Global, GlobalCounter::Misses as u32),
        (0, 0)
    );
    write(&mut d, reg::CMD_ARG, CounterSpace::Tcam as u32);
    cmd(&mut d, Opcode::CntClear, 1);
    assert_eq!(counter(&mut d, CounterSpace::Tcam, 1), (0, 0));
    assert_eq!(counter(&mut d, CounterSpace::Channel, 200), (3, 600));
    // A rewritten entry starts from zero.
    classify(&mut d, v4(1, 2, 3, 4), 5);
    rule(&mut d, 1, &TcamEntry::match_all(1, Action::Drop), 1);
    assert_eq!(counter(&mut d, CounterSpace::Tcam, 1), (0, 0));
}

#[test]
fn locality_marks_addresses_and_rules_can_match_it() {
    let mut d = rtl(64);
    let mut a = [0u32; KEY_WORDS];
    let mut m = [0u32; KEY_WORDS];
    a[key::SRC0] = 0x0A00_0000;
    m[key::SRC0] = 0xFF00_0000;
    stage_key(&mut d, &a);
    stage_mask(&mut d, &m);
    write(&mut d, reg::CMD_ARG, 1);
    cmd(&mut d, Opcode::LocalWrite, 3);
    let mut e = TcamEntry::match_all(1, Action::Drop);
    e.value[key::META] = Meta::SRC_LOCAL.mask();
    e.mask[key::META] = Meta::SRC_LOCAL.mask();
    rule(&mut d, 0, &e, 1);
    let r = classify(&mut d, v4(0x0A01_0203, 0x0A00_0001, 1, 1), 1);
    assert!(r.src_local && r.dst_local && r.kind == HitKind::Rule);
    let r = classify(&mut d, v4(0x0B01_0203, 0x0C00_0001, 1, 1), 1);
    assert!(!r.src_local && !r.dst_local && r.kind == HitKind::Miss);
    // An IPv4 entry does not mark IPv6 keys.
    let mut k6 = v4(0x0A01_0203, 0, 1, 1);
    k6.ipv6 = true;
    assert!(!classify(&mut d, k6, 1).src_local);
    // The locality bits of an incoming key are ignored.
    let mut k = v4(0x0B01_0203, 0x0C00_0001, 1, 1);
    k.src_local = true;
    assert!(!classify(&mut d, k, 1).src_local);
}

#[test]
fn rejections_are_checked_in_order_and_the_first_is_sticky() {
    let mut d = rtl(16);
    let c: Config = d.config().clone();
    let error = |d: &mut Rtl| {
        let e = read(d, reg::ERROR);
        let i = read(d, reg::ERROR_INDEX);
        write(d, reg::ERROR, 0);
        let e = Error::from_raw(e);
        let reason = e.reason().unwrap_or_else(|e| panic!("{e}"));
        (reason, e.opcode(), i, e.count())
    };
    let ok_entry = TcamEntry::match_all(1, Action::Drop);
    stage_entry(&mut d, &ok_entry, 1);
    cmd_raw(&mut d, 0x7F, 5);
    assert_eq!(error(&mut d), (ReasonCode::BadOpcode, 0x7F, 5, 1));
    cmd(&mut d, Opcode::TcamWrite, c.tcam_entries);
    assert_eq!(error(&mut d).0, ReasonCode::BadIndex);
    write(&mut d, reg::PLANES, 4);
    write(&mut d, reg::ACTION, 3);
    cmd(&mut d, Opcode::TcamWrite, 0);
    assert_eq!(error(&mut d).0, ReasonCode::BadFlags, "flags before action");
    write(&mut d, reg::PLANES, 1);
    cmd(&mut d, Opcode::TcamWrite, 0);
    assert_eq!(error(&mut d).0, ReasonCode::BadAction);
    put(
        &mut d,
        Action::Deliver {
            channel: c.channels as u8,
        }
        .encode(),
    );
    cmd(&mut d, Opcode::TcamWrite, 0);
    assert_eq!(
        error(&mut d).0,
        ReasonCode::BadAction,
        "channel >= CHANNELS"
    );
    write(&mut d, reg::ACTION, 0);
    put(&mut d, SportRange::of((5, 4)));
    write(&mut d, reg::KEY, 1);
    cmd(&mut d, Opcode::TcamWrite, 0);
    assert_eq!(
        error(&mut d).0,
        ReasonCode::BadRange,
        "range before value/mask"
    );
    put(&mut d, SportRange::of((0, 0xFFFF)));
    cmd(&mut d, Opcode::TcamWrite, 0);
    assert_eq!(error(&mut d).0, ReasonCode::ValueOutsideMask);
    write(&mut d, reg::MASK, 1);
    write(&mut d, reg::MASK + 4 * key::META as u32, 1 << 11);
    cmd(&mut d, Opcode::TcamWrite, 0);
    assert_eq!(
        error(&mut d).0,
        ReasonCode::BadFlags,
        "reserved META bit in MASK"
    );
    write(&mut d, reg::MASK + 4 * key::META as u32, 0);
    cmd(&mut d, Opcode::TcamWrite, 0);
    assert_eq!(error(&mut d), (ReasonCode::None, 0, 0, 0));
    // Flow commands.
    write(&mut d, reg::FLOW_FLAGS, 2);
    cmd(&mut d, Opcode::FlowWrite, 0);
    assert_eq!(error(&mut d).0, ReasonCode::BadFlags);
    write(&mut d, reg::FLOW_FLAGS, 0);
    write(&mut d, reg::CMD_ARG, c.flow_entries());
    cmd(&mut d, Opcode::FlowMove, 0);
    assert_eq!(error(&mut d).0, ReasonCode::BadIndex, "CMD_ARG >= M");
    write(&mut d, reg::CMD_ARG, 1);
    cmd(&mut d, Opcode::FlowMove, 0);
    assert_eq!(error(&mut d).0, ReasonCode::MoveConflict, "empty source");
    cmd(&mut d, Opcode::LocalWrite, c.local_entries);
    assert_eq!(error(&mut d).0, ReasonCode::BadIndex);
    write(&mut d, reg::CMD_ARG, 4);
    cmd(&mut d, Opcode::CntRead, 0);
    assert_eq!(error(&mut d).0, ReasonCode::BadIndex, "space 4");
    write(&mut d, reg::CMD_ARG, CounterSpace::Global as u32);
    cmd(&mut d, Opcode::CntClear, 8);
    assert_eq!(error(&mut d).0, ReasonCode::BadIndex, "global counter 8");
    write(&mut d, reg::CMD_ARG, CounterSpace::Channel as u32);
    cmd(&mut d, Opcode::CntRead, c.channels);
    assert_eq!(error(&mut d).0, ReasonCode::BadIndex);
    // Read-only and unmapped offsets; the first rejection stays, COUNT counts all.
    write(&mut d, reg::ID, 1);
    write(&mut d, 0x3FC, 1);
    cmd_raw(&mut d, 0, 0);
    assert_eq!(Status::ERROR.get(read(&mut d, reg::STATUS)), 1);
    assert_eq!(error(&mut d), (ReasonCode::BadOffset, 0, reg::ID, 3));
    assert_eq!(read(&mut d, reg::STATUS), 0);
}

#[test]
fn cycle_counter_and_reset() {
    let mut d = rtl(64);
    rule(&mut d, 0, &TcamEntry::match_all(1, Action::Drop), 1);
    for t in 0..3 {
        key(
            &mut d,
            KeyIn {
                key: v4(1, 1, 1, 1),
                len: 1,
                tag: t,
                tcp_flags: 0,
            },
        );
    }
    write(&mut d, reg::CONTROL, 1);
    // In-flight keys are gone, tables and counters are zero, the cycle counter restarted.
    assert_eq!(read(&mut d, reg::CYCLE_LO), 0);
    assert_eq!(read(&mut d, reg::CYCLE_LO), 1);
    assert_eq!(read(&mut d, reg::CYCLE_HI), 0);
    for _ in 0..6 {
        assert!(idle(&mut d).result.is_none());
    }
    cmd(&mut d, Opcode::TcamRead, 0);
    for a in [
        reg::KEY,
        reg::MASK,
        reg::SPORT_RANGE,
        reg::ACTION,
        reg::PLANES,
        reg::PRIO,
    ] {
        assert_eq!(read(&mut d, a), 0);
    }
    assert_eq!(classify(&mut d, v4(1, 1, 1, 1), 1).kind, HitKind::Miss);
    assert_eq!(counter(&mut d, CounterSpace::Tcam, 0), (0, 0));
    // A never-written entry given plane bits is the all-zero entry: mask 0, ports [0, 0].
    write(&mut d, reg::PLANES, 1);
    cmd(&mut d, Opcode::TcamSetPlanes, 7);
    let r = classify(&mut d, v4(5, 5, 0, 0), 1);
    assert_eq!(
        (r.kind, r.index, r.action),
        (HitKind::Rule, 7, Action::Deliver { channel: 0 })
    );
    assert_eq!(classify(&mut d, v4(5, 5, 0, 1), 1).kind, HitKind::Miss);
}

#[test]
fn unbuilt_configurations_are_refused_with_the_list_of_built_ones() {
    let wanted = Config {
        tcam_entries: 12345,
        ..Config::default()
    };
    let err = Rtl::new(wanted).err().expect("N=12345 is not built");
    let msg = err.to_string();
    assert!(
        msg.contains("N=12345") && msg.contains("N=256 B=64 W=4"),
        "{msg}"
    );
}

fn interest(mode: InterestMode, period: u16) -> u32 {
    FlowInterest::new()
        .with_mode(mode)
        .with_period(period)
        .raw()
}

fn set_interest(d: &mut Rtl, slot: u32, word: u32) {
    write(d, reg::FLOW_INTEREST, word);
    cmd(d, Opcode::FlowSetInterest, slot);
}

#[test]
fn flow_interest_sends_selected_packets_to_the_slow_path() {
    let mut d = rtl(64);
    let k = v4(0x0A01_0203, 0x0A09_0807, 40000, 443);
    let slot = flow_slot(&d, &k, false, 1);
    rule(&mut d, 0, &TcamEntry::match_all(1, Action::Drop), 3);
    let deliver = Action::Deliver { channel: 3 };
    let slow = |r: SlowReason| Action::SlowPath { reason: r.bits() };
    flow(&mut d, slot, &k, deliver, false);

    // EVERY_PACKET: every packet, kind FLOW, index = slot, counted by the slot, no channel count.
    set_interest(&mut d, slot, interest(InterestMode::EveryPacket, 0));
    assert_eq!(read(&mut d, reg::ERROR), 0);
    let r = classify(&mut d, k, 100);
    assert_eq!(
        (r.kind, r.index, r.action, r.stale),
        (HitKind::Flow, slot, slow(SlowReason::InterestAll), false)
    );
    assert_eq!(counter(&mut d, CounterSpace::Flow, slot), (1, 100));
    assert_eq!(counter(&mut d, CounterSpace::Channel, 3), (0, 0));
    let g = |d: &mut Rtl, c: GlobalCounter| counter(d, CounterSpace::Global, c.into()).0;
    assert_eq!(g(&mut d, GlobalCounter::FlowHits), 1);
    assert_eq!(g(&mut d, GlobalCounter::SlowPath), 1);
    assert_eq!(g(&mut d, GlobalCounter::Delivered), 0);
    // A stale entry's interest does not apply: the rule decides.
    cmd(&mut d, Opcode::Commit, 0);
    let r = classify(&mut d, k, 1);
    assert_eq!(
        (r.kind, r.action, r.stale),
        (HitKind::Rule, Action::Drop, true)
    );
    cmd(&mut d, Opcode::FlowTouch, slot);

    // TCP_CTRL: SYN, FIN or RST only.
    set_interest(&mut d, slot, interest(InterestMode::TcpCtrl, 0));
    for (flags, selected) in [
        (0x02, true),
        (0x11, true),
        (0x04, true),
        (0x10, false),
        (0xF8, false),
        (0, false),
    ] {
        let r = classify_flags(&mut d, k, 1, flags);
        let want = if selected {
            slow(SlowReason::InterestCtrl)
        } else {
            deliver
        };
        assert_eq!(
            (r.kind, r.action),
            (HitKind::Flow, want),
            "flags {flags:#x}"
        );
    }
    // A probe uses PKT_FLAGS and does not count.
    let before = counter(&mut d, CounterSpace::Flow, slot);
    stage_key(&mut d, &k.words());
    for (flags, reason) in [(0x02, SlowReason::InterestCtrl.bits()), (0x10, 0)] {
        write(&mut d, reg::PKT_FLAGS, flags);
        cmd(&mut d, Opcode::Probe, 0);
        for _ in 0..6 {
            idle(&mut d);
        }
        let p = read(&mut d, reg::PROBE_RESULT);
        assert_eq!(
            ProbeResult::REASON.get(p),
            reason as u32,
            "probe flags {flags:#x}"
        );
    }
    assert_eq!(counter(&mut d, CounterSpace::Flow, slot), before);

    // SAMPLE: the n-th packet of the slot (its counter before the count, + 1) is a multiple of PERIOD.
    write(&mut d, reg::CMD_ARG, CounterSpace::Flow as u32);
    cmd(&mut d, Opcode::CntClear, slot);
    set_interest(&mut d, slot, interest(InterestMode::Sample, 3));
    let picked: Vec<bool> = (0..9)
        .map(|_| classify(&mut d, k, 1).action == slow(SlowReason::InterestSample))
        .collect();
    assert_eq!(
        picked,
        [false, false, true, false, false, true, false, false, true]
    );

    // FLOW_READ loads the interest; FLOW_MOVE carries it; an invalid slot reads 0 and
    // FLOW_SET_INTEREST leaves it alone.
    write(&mut d, reg::FLOW_INTEREST, 0);
    cmd(&mut d, Opcode::FlowRead, slot);
    assert_eq!(
        read(&mut d, reg::FLOW_INTEREST),
        interest(InterestMode::Sample, 3)
    );
    let dst = flow_slot(&d, &k, true, 0);
    if dst != slot {
        write(&mut d, reg::CMD_ARG, dst);
        cmd(&mut d, Opcode::FlowMove, slot);
        cmd(&mut d, Opcode::FlowRead, dst);
        assert_eq!(
            read(&mut d, reg::FLOW_INTEREST),
            interest(InterestMode::Sample, 3)
        );
        set_interest(&mut d, slot, interest(InterestMode::EveryPacket, 0));
        assert_eq!(read(&mut d, reg::ERROR), 0);
        cmd(&mut d, Opcode::FlowRead, slot);
        assert_eq!(read(&mut d, reg::FLOW_INTEREST), 0);
        assert_eq!(FlowState::VALID.get(read(&mut d, reg::FLOW_STATE)), 0);
    }
}

#[test]
fn invalid_interest_is_rejected_with_bad_flags() {
    let mut d = rtl(64);
    let m = d.config().flow_buckets * d.config().flow_ways;
    let k = v4(1, 2, 3, 4);
    let slot = flow_slot(&d, &k, false, 0);
    flow(&mut d, slot, &k, Action::Drop, false);
    for word in [
        FlowInterest::MODE.put(4) | FlowInterest::PERIOD.put(1),
        FlowInterest::MODE.put(7) | FlowInterest::PERIOD.put(9),
        interest(InterestMode::Sample, 0),
        interest(InterestMode::EveryPacket, 0) | 1 << 3,
        interest(InterestMode::None, 0) | 1 << 15,
    ] {
        for op in [Opcode::FlowSetInterest, Opcode::FlowWrite] {
            write(&mut d, reg::ERROR, 0);
            write(&mut d, reg::FLOW_INTEREST, word);
            cmd(&mut d, op, slot);
            let e = read(&mut d, reg::ERROR);
            assert_eq!(
                Error::REASON.get(e),
                ReasonCode::BadFlags as u32,
                "{word:#x} op {op}"
            );
            assert_eq!(Error::OPCODE.get(e), op as u32);
        }
        // The index is checked first.
        write(&mut d, reg::ERROR, 0);
        cmd(&mut d, Opcode::FlowSetInterest, m);
        assert_eq!(
            Error::REASON.get(read(&mut d, reg::ERROR)),
            ReasonCode::BadIndex as u32
        );
    }
    // Nothing changed: the slot still has interest NONE and its action decides.
    write(&mut d, reg::ERROR, 0);
    assert_eq!(classify_flags(&mut d, k, 1, 0x02).action, Action::Drop);
    // The largest PERIOD is valid; the staged register keeps all 32 bits.
    set_interest(&mut d, slot, interest(InterestMode::Sample, 0xFFFF));
    assert_eq!(read(&mut d, reg::ERROR), 0);
    write(&mut d, reg::PKT_FLAGS, 0xDEAD_BEEF);
    assert_eq!(read(&mut d, reg::PKT_FLAGS), 0xDEAD_BEEF);
}

/// docs/timing.md: key META bits other than PROTO and IPV6 are ignored on the key port. Each
/// reserved bit (and all of them) on the port leaves a flow hit and a rule hit unchanged.
#[test]
fn reserved_meta_bits_on_the_key_port_are_ignored() {
    let mut d = rtl(256);
    let (a, b) = (
        Key::v4(0x0A00_0001, 0xC0A8_0101, 6, 1234, 80),
        Key::v4(0x0A00_0002, 0xC0A8_0102, 17, 53, 5353),
    );
    let slot = flow_slot(&d, &a, false, 1);
    flow(&mut d, slot, &a, Action::Deliver { channel: 5 }, true);
    rule(&mut d, 3, &TcamEntry::match_all(1, Action::Drop), 1);
    let clean = (classify(&mut d, a, 64), classify(&mut d, b, 64));
    assert_eq!((clean.0.kind, clean.0.index), (HitKind::Flow, slot));
    assert_eq!((clean.1.kind, clean.1.index), (HitKind::Rule, 3));
    let bits = (0..32)
        .map(|i| 1u32 << i)
        .filter(|b| b & Meta::RESERVED != 0)
        .chain([Meta::RESERVED]);
    for noise in bits {
        for (k, want) in [(a, clean.0), (b, clean.1)] {
            d.set_key_meta_noise(noise);
            assert_eq!(
                classify(&mut d, k, 64),
                want,
                "META noise {noise:#010x} on {k}"
            );
        }
    }
}
