//! Each command's effect and each rejection reason, in the documented order.

mod common;

use common::{ip, small, v4_rule, Bench};
use gufc_regmap::word::{DportRange, FlowState, Planes, SportRange, Status};
use gufc_regmap::{key, reg, Action, CounterSpace, Key, Opcode, ReasonCode, TcamEntry, KEY_WORDS};

fn entry() -> TcamEntry {
    v4_rule(
        (ip(10, 0, 0, 0), 8),
        (ip(192, 168, 1, 0), 24),
        (1, 1000),
        (80, 80),
        Some(6),
        7,
        Action::Deliver { channel: 3 },
    )
}

/// Reads back the staged entry registers.
fn staged(b: &mut Bench) -> Vec<u32> {
    let mut v = Vec::new();
    for i in 0..KEY_WORDS as u32 {
        v.push(b.read(reg::KEY + 4 * i));
        v.push(b.read(reg::MASK + 4 * i));
    }
    for a in [
        reg::SPORT_RANGE,
        reg::DPORT_RANGE,
        reg::PRIO,
        reg::ACTION,
        reg::PLANES,
    ] {
        v.push(b.read(a));
    }
    v
}

#[test]
fn tcam_write_then_read_round_trips() {
    let mut b = Bench::new(small());
    let e = entry();
    b.stage_entry(&e, 2);
    // A DELIVER action may carry REASON bits; the word is kept as written.
    let word = e.action.encode().with_reason(0x55);
    b.put(word);
    b.cmd(Opcode::TcamWrite, 63);
    let written = staged(&mut b);
    b.write(reg::CONTROL, 0); // no-op
                              // Clobber the staging registers, then read the entry back.
    b.stage_entry(&TcamEntry::match_all(0, Action::Drop), 0);
    b.cmd(Opcode::TcamRead, 63);
    assert_eq!(staged(&mut b), written);
    assert_eq!(b.read(reg::ACTION), word.raw());
    assert_eq!(b.error().2, 0);
}

#[test]
fn tcam_read_returns_the_16_bit_priority() {
    let mut b = Bench::new(small());
    b.stage_entry(&entry(), 1);
    b.write(reg::PRIO, 0xABCD_1234);
    assert_eq!(
        b.read(reg::PRIO),
        0xABCD_1234,
        "staging reads back what was written"
    );
    b.cmd(Opcode::TcamWrite, 0);
    b.cmd(Opcode::TcamRead, 0);
    assert_eq!(b.read(reg::PRIO), 0x1234);
}

/// Stages a valid entry, applies `spoil`, issues TCAM_WRITE 5 and checks the reason, and that
/// entry 5 is unchanged.
fn tcam_write_rejected(spoil: impl Fn(&mut Bench), reason: ReasonCode) {
    let mut b = Bench::new(small());
    b.stage_entry(&entry(), 1);
    b.cmd(Opcode::TcamWrite, 5);
    let good = staged(&mut b);
    spoil(&mut b);
    b.cmd(Opcode::TcamWrite, 5);
    assert_eq!(b.error(), (reason, Opcode::TcamWrite.bits(), 1, 5));
    b.cmd(Opcode::TcamRead, 5);
    assert_eq!(staged(&mut b), good, "rejected write changed entry 5");
}

#[test]
fn tcam_write_rejections() {
    use ReasonCode::*;
    tcam_write_rejected(|b| b.write(reg::PLANES, 4), BadFlags);
    tcam_write_rejected(
        |b| b.write(reg::KEY + 4 * key::META as u32, 1 << 11),
        BadFlags,
    );
    tcam_write_rejected(
        |b| b.write(reg::MASK + 4 * key::META as u32, 0x8000_07FF),
        BadFlags,
    );
    tcam_write_rejected(|b| b.write(reg::ACTION, 3), BadAction);
    tcam_write_rejected(|b| b.write(reg::ACTION, 1 << 4), BadAction);
    tcam_write_rejected(
        |b| b.put(Action::Deliver { channel: 8 }.encode()),
        BadAction,
    );
    tcam_write_rejected(|b| b.put(SportRange::of((5, 4))), BadRange);
    tcam_write_rejected(|b| b.put(DportRange::of((0xFFFF, 0))), BadRange);
    tcam_write_rejected(
        |b| b.write(reg::KEY + 4 * key::DST0 as u32, 1),
        ValueOutsideMask,
    );
    tcam_write_rejected(
        |b| b.write(reg::KEY + 4 * key::PORTS as u32, 1),
        ValueOutsideMask,
    );
}

#[test]
fn tcam_write_checks_in_documented_order() {
    use ReasonCode::*;
    // Everything wrong at once: each fix reveals the next reason.
    let spoil_all = |b: &mut Bench| {
        b.write(reg::PLANES, 0x10);
        b.write(reg::ACTION, 3);
        b.put(SportRange::of((2, 1)));
        b.write(reg::KEY + 4 * key::DST0 as u32, 1);
    };
    tcam_write_rejected(spoil_all, BadFlags);
    tcam_write_rejected(
        |b| {
            spoil_all(b);
            b.put(Planes::new().with_planes(1))
        },
        BadAction,
    );
    tcam_write_rejected(
        |b| {
            spoil_all(b);
            b.put(Planes::new().with_planes(1));
            b.put(Action::Deliver { channel: 0 }.encode());
        },
        BadRange,
    );
    tcam_write_rejected(
        |b| {
            spoil_all(b);
            b.put(Planes::new().with_planes(1));
            b.put(Action::Deliver { channel: 0 }.encode());
            b.put(SportRange::of((0, 0)));
        },
        ValueOutsideMask,
    );
    // BAD_INDEX comes before everything else.
    let mut b = Bench::new(small());
    spoil_all(&mut b);
    b.cmd(Opcode::TcamWrite, 64);
    assert_eq!(b.error().0, BadIndex);
}

#[test]
fn bad_opcode_comes_first() {
    let mut b = Bench::new(small());
    for (i, op) in [0x00u8, 0x05, 0x15, 0x21, 0x32, 0x41, 0xFF]
        .into_iter()
        .enumerate()
    {
        b.cmd_raw(op, 0xFF_FFFF);
        let (reason, first_op, count, index) = b.error();
        assert_eq!(
            (reason, first_op, count as usize, index),
            (ReasonCode::BadOpcode, 0, i + 1, 0xFF_FFFF)
        );
    }
}

#[test]
fn bad_index_for_every_indexed_command() {
    let cfg = small(); // N 64, M 32, channels 8, L 4
    let cases: &[(Opcode, u32, u32)] = &[
        (Opcode::TcamWrite, 64, 0),
        (Opcode::TcamRead, 64, 0),
        (Opcode::TcamSetPlanes, 0xFF_FFFF, 0),
        (Opcode::FlowWrite, 32, 0),
        (Opcode::FlowRead, 32, 0),
        (Opcode::FlowClear, 40, 0),
        (Opcode::FlowMove, 32, 0),
        (Opcode::FlowMove, 0, 32),
        (Opcode::FlowTouch, 32, 0),
        (Opcode::LocalWrite, 4, 1),
        (Opcode::CntRead, 64, CounterSpace::Tcam as u32),
        (Opcode::CntRead, 32, CounterSpace::Flow as u32),
        (Opcode::CntRead, 8, CounterSpace::Channel as u32),
        (Opcode::CntRead, 8, CounterSpace::Global as u32),
        (Opcode::CntRead, 0, 4),
        (Opcode::CntClear, 0, 0x8000_0000),
        (Opcode::CntClear, 8, CounterSpace::Global as u32),
    ];
    for &(op, index, arg) in cases {
        let mut b = Bench::new(cfg.clone());
        b.cmd_arg(op, index, arg);
        assert_eq!(
            b.error(),
            (ReasonCode::BadIndex, op.bits(), 1, index),
            "op {op} index {index} arg {arg}"
        );
    }
    // The largest valid indices pass.
    let mut b = Bench::new(cfg);
    b.cmd(Opcode::TcamRead, 63);
    b.cmd(Opcode::FlowRead, 31);
    b.cmd_arg(Opcode::LocalWrite, 3, 0);
    b.cmd_arg(Opcode::CntRead, 7, 2);
    b.cmd_arg(Opcode::CntRead, 7, 3);
    b.cmd(Opcode::Commit, 0xFF_FFFF); // INDEX ignored
    assert_eq!(b.error().2, 0);
}

#[test]
fn set_planes_and_commit() {
    let mut b = Bench::new(small());
    b.tcam_write(9, &entry(), 1);
    b.write(reg::PLANES, 4);
    b.cmd(Opcode::TcamSetPlanes, 9);
    assert_eq!(
        b.error(),
        (ReasonCode::BadFlags, Opcode::TcamSetPlanes.bits(), 1, 9)
    );
    b.clear_error();
    b.put(Planes::new().with_planes(3));
    b.cmd(Opcode::TcamSetPlanes, 9);
    b.put(Planes::new());
    b.cmd(Opcode::TcamRead, 9);
    assert_eq!(b.read(reg::PLANES), 3);
    assert_eq!(b.read(reg::PRIO), 7, "only the planes changed");
    let st = Status::from_raw(b.status());
    assert_eq!((st.active_plane(), st.epoch()), (false, 0));
    for n in 1..=257u32 {
        b.cmd(Opcode::Commit, 0);
        let st = Status::from_raw(b.status());
        assert_eq!(st.active_plane(), n % 2 == 1);
        assert_eq!(st.epoch() as u32, n % 256);
    }
}

fn flow_key() -> Key {
    Key::v4(ip(1, 2, 3, 4), ip(5, 6, 7, 8), 17, 1111, 53)
}

fn flow_words(b: &mut Bench) -> Vec<u32> {
    let mut v: Vec<u32> = (0..KEY_WORDS as u32)
        .map(|i| b.read(reg::KEY + 4 * i))
        .collect();
    for a in [
        reg::ACTION,
        reg::FLOW_FLAGS,
        reg::FLOW_STATE,
        reg::FLOW_LAST_HIT,
    ] {
        v.push(b.read(a));
    }
    v
}

#[test]
fn flow_write_read_clear() {
    let mut b = Bench::new(small());
    let mut k = flow_key();
    k.src_local = true; // locality bits are cleared in the stored key
    b.flow_write(7, &k, Action::Drop, true);
    assert_eq!(b.error().2, 0);
    b.stage_key(&[0; KEY_WORDS]);
    b.cmd(Opcode::FlowRead, 7);
    let v = flow_words(&mut b);
    assert_eq!(&v[..KEY_WORDS], &flow_key().words()[..]);
    assert_eq!(v[KEY_WORDS], Action::Drop.encode().raw());
    assert_eq!(v[KEY_WORDS + 1], 1, "pinned");
    assert_eq!(
        v[KEY_WORDS + 2],
        FlowState::new().with_valid(true).raw(),
        "epoch 0, valid, not hit, not stale"
    );
    assert_eq!(v[KEY_WORDS + 3], 0);
    b.cmd(Opcode::FlowClear, 7);
    b.cmd(Opcode::FlowRead, 7);
    assert!(
        flow_words(&mut b).iter().all(|&w| w == 0),
        "cleared slot reads as zeros"
    );
}

#[test]
fn flow_write_rejections() {
    type Spoil = fn(&mut Bench);
    let cases: [(Spoil, ReasonCode); 4] = [
        (|b| b.write(reg::FLOW_FLAGS, 2), ReasonCode::BadFlags),
        (
            |b| b.write(reg::KEY + 4 * key::META as u32, 1 << 12),
            ReasonCode::BadFlags,
        ),
        (
            |b| b.put(Action::Deliver { channel: 200 }.encode()),
            ReasonCode::BadAction,
        ),
        (|b| b.write(reg::ACTION, 3 | 1 << 8), ReasonCode::BadAction),
    ];
    for (spoil, reason) in cases {
        let mut b = Bench::new(small());
        b.stage_key(&flow_key().words());
        b.put(Action::Deliver { channel: 0 }.encode());
        spoil(&mut b);
        b.cmd(Opcode::FlowWrite, 3);
        assert_eq!(b.error(), (reason, Opcode::FlowWrite.bits(), 1, 3));
        b.cmd(Opcode::FlowRead, 3);
        assert_eq!(b.read(reg::FLOW_STATE), 0, "slot stays invalid");
    }
    // BAD_FLAGS before BAD_ACTION
    let mut b = Bench::new(small());
    b.write(reg::FLOW_FLAGS, 0x100);
    b.write(reg::ACTION, 3);
    b.cmd(Opcode::FlowWrite, 0);
    assert_eq!(b.error().0, ReasonCode::BadFlags);
}

#[test]
fn flow_move_and_touch() {
    let cfg = small();
    let mut b = Bench::new(cfg.clone());
    let k = flow_key();
    let (s1, s2) = (
        common::slot_of(&cfg, &k, false, 0),
        common::slot_of(&cfg, &k, true, 1),
    );
    let other = (0..32).find(|&s| s != s1 && s != s2).unwrap();
    b.flow_write(s1, &k, Action::Deliver { channel: 1 }, false);
    // Moving from an empty slot, or onto a valid one, is a conflict.
    b.cmd_arg(Opcode::FlowMove, other, s2);
    assert_eq!(
        b.error(),
        (ReasonCode::MoveConflict, Opcode::FlowMove.bits(), 1, other)
    );
    b.flow_write(other, &k.reversed(), Action::Drop, false);
    b.cmd_arg(Opcode::FlowMove, s1, other);
    b.cmd_arg(Opcode::FlowMove, s1, s1);
    assert_eq!(b.error().2, 3);
    b.clear_error();
    // A hit on s1 gives it counters and hit state, which move with it.
    let r = b.lookup_len(k, 100);
    assert_eq!((r.kind, r.index), (gufc_regmap::HitKind::Flow, s1));
    b.cmd_arg(Opcode::FlowMove, s1, s2);
    assert_eq!(b.error().2, 0);
    b.cmd(Opcode::FlowRead, s1);
    assert_eq!(b.read(reg::FLOW_STATE), 0);
    b.cmd(Opcode::FlowRead, s2);
    let st = FlowState::from_raw(b.read(reg::FLOW_STATE));
    assert!(st.valid());
    assert!(st.hit());
    assert_ne!(b.read(reg::FLOW_LAST_HIT), 0);
    assert_eq!(b.counter(CounterSpace::Flow, s2), (1, 100));
    assert_eq!(b.counter(CounterSpace::Flow, s1), (0, 0));
    // The moved entry is still found (second bucket).
    let r = b.lookup_len(k, 1);
    assert_eq!((r.kind, r.index), (gufc_regmap::HitKind::Flow, s2));
    // After a COMMIT the entry is stale; FLOW_TOUCH makes it current again.
    b.cmd(Opcode::Commit, 0);
    b.cmd(Opcode::FlowRead, s2);
    b.cmd(Opcode::FlowRead, s2);
    let st = FlowState::from_raw(b.read(reg::FLOW_STATE));
    assert_eq!((st.stale(), st.epoch()), (true, 0));
    assert!(!st.hit(), "the previous FLOW_READ cleared HIT");
    b.cmd(Opcode::FlowTouch, s2);
    b.cmd(Opcode::FlowRead, s2);
    let st = FlowState::from_raw(b.read(reg::FLOW_STATE));
    assert_eq!((st.stale(), st.epoch()), (false, 1));
    // Touching an invalid slot does nothing.
    b.cmd(Opcode::FlowTouch, s1);
    b.cmd(Opcode::FlowRead, s1);
    assert_eq!(b.read(reg::FLOW_STATE), 0);
    assert_eq!(b.error().2, 0);
}

#[test]
fn probe_while_busy_is_rejected() {
    let mut b = Bench::new(small());
    b.cmd(Opcode::Probe, 0);
    b.cmd(Opcode::Probe, 0);
    assert_eq!(
        b.error(),
        (ReasonCode::ProbeBusy, Opcode::Probe.bits(), 1, 0)
    );
    b.idle(8);
    assert!(!Status::from_raw(b.status()).probe_busy());
    b.cmd(Opcode::Probe, 0);
    assert_eq!(b.error().2, 1);
}

#[test]
fn cnt_clear_zeroes_one_counter() {
    let mut b = Bench::new(small());
    b.tcam_write(
        1,
        &TcamEntry::match_all(1, Action::Deliver { channel: 2 }),
        1,
    );
    for _ in 0..3 {
        b.lookup_len(flow_key(), 10);
    }
    assert_eq!(b.counter(CounterSpace::Tcam, 1), (3, 30));
    assert_eq!(b.counter(CounterSpace::Channel, 2), (3, 30));
    b.cmd_arg(Opcode::CntClear, 1, CounterSpace::Tcam as u32);
    assert_eq!(b.counter(CounterSpace::Tcam, 1), (0, 0));
    assert_eq!(b.counter(CounterSpace::Channel, 2), (3, 30));
    b.cmd_arg(Opcode::CntClear, 0, CounterSpace::Global as u32);
    assert_eq!(b.counter(CounterSpace::Global, 0), (0, 0));
    assert_eq!(b.counter(CounterSpace::Global, 2), (3, 30));
    // TCAM_WRITE clears the entry's counters too.
    b.lookup_len(flow_key(), 10);
    assert_eq!(b.counter(CounterSpace::Tcam, 1), (1, 10));
    b.tcam_write(1, &TcamEntry::match_all(1, Action::Drop), 1);
    assert_eq!(b.counter(CounterSpace::Tcam, 1), (0, 0));
}

#[test]
fn local_write_sets_locality() {
    let mut b = Bench::new(small());
    b.tcam_write(0, &TcamEntry::match_all(0, Action::Drop), 1);
    let k = Key::v4(ip(10, 1, 2, 3), ip(8, 8, 8, 8), 6, 1, 2);
    let r = b.lookup(k);
    assert!(!r.src_local && !r.dst_local);
    b.local_write(0, ip(10, 0, 0, 0) as u128, 0xFF00_0000, false, true);
    let r = b.lookup(k);
    assert!(r.src_local && !r.dst_local);
    assert!(b.lookup(k.reversed()).dst_local);
    // Family must agree: the same bits as an IPv6 key are not local.
    let mut k6 = k;
    k6.ipv6 = true;
    assert!(!b.lookup(k6).src_local);
    // An IPv6 entry.
    let a6: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0001;
    b.local_write(1, a6 & !0xFFFF, !0u128 << 16, true, true);
    let k6 = Key {
        src: a6,
        dst: 1,
        ipv6: true,
        proto: 17,
        ..Key::default()
    };
    let r = b.lookup(k6);
    assert!(r.src_local && !r.dst_local);
    // valid = 0 removes it.
    b.local_write(1, a6, !0u128, true, false);
    assert!(!b.lookup(k6).src_local);
}
