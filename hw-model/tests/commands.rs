//! Each command's effect and each rejection reason, in the documented order.

mod common;

use common::{ip, small, v4_rule, Bench};
use gufc_regmap::{
    action, counter_space, field, key, opcode, reason_code, reg, Action, Key, TcamEntry, KEY_WORDS,
};

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
    let word = e.action.encode() | action::REASON.put(0x55);
    b.write(reg::ACTION, word);
    b.cmd(opcode::TCAM_WRITE, 63);
    let written = staged(&mut b);
    b.write(reg::CONTROL, 0); // no-op
                              // Clobber the staging registers, then read the entry back.
    b.stage_entry(&TcamEntry::match_all(0, Action::Drop), 0);
    b.cmd(opcode::TCAM_READ, 63);
    assert_eq!(staged(&mut b), written);
    assert_eq!(b.read(reg::ACTION), word);
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
    b.cmd(opcode::TCAM_WRITE, 0);
    b.cmd(opcode::TCAM_READ, 0);
    assert_eq!(b.read(reg::PRIO), 0x1234);
}

/// Stages a valid entry, applies `spoil`, issues TCAM_WRITE 5 and checks the reason, and that
/// entry 5 is unchanged.
fn tcam_write_rejected(spoil: impl Fn(&mut Bench), reason: u8) {
    let mut b = Bench::new(small());
    b.stage_entry(&entry(), 1);
    b.cmd(opcode::TCAM_WRITE, 5);
    let good = staged(&mut b);
    spoil(&mut b);
    b.cmd(opcode::TCAM_WRITE, 5);
    assert_eq!(b.error(), (reason, opcode::TCAM_WRITE, 1, 5));
    b.cmd(opcode::TCAM_READ, 5);
    assert_eq!(staged(&mut b), good, "rejected write changed entry 5");
}

#[test]
fn tcam_write_rejections() {
    use reason_code::*;
    tcam_write_rejected(|b| b.write(reg::PLANES, 4), BAD_FLAGS);
    tcam_write_rejected(
        |b| b.write(reg::KEY + 4 * key::META as u32, 1 << 11),
        BAD_FLAGS,
    );
    tcam_write_rejected(
        |b| b.write(reg::MASK + 4 * key::META as u32, 0x8000_07FF),
        BAD_FLAGS,
    );
    tcam_write_rejected(|b| b.write(reg::ACTION, 3), BAD_ACTION);
    tcam_write_rejected(|b| b.write(reg::ACTION, 1 << 4), BAD_ACTION);
    tcam_write_rejected(
        |b| b.write(reg::ACTION, Action::Deliver { channel: 8 }.encode()),
        BAD_ACTION,
    );
    tcam_write_rejected(|b| b.write(reg::SPORT_RANGE, 5 | 4 << 16), BAD_RANGE);
    tcam_write_rejected(|b| b.write(reg::DPORT_RANGE, 0xFFFF), BAD_RANGE);
    tcam_write_rejected(
        |b| b.write(reg::KEY + 4 * key::DST0 as u32, 1),
        VALUE_OUTSIDE_MASK,
    );
    tcam_write_rejected(
        |b| b.write(reg::KEY + 4 * key::PORTS as u32, 1),
        VALUE_OUTSIDE_MASK,
    );
}

#[test]
fn tcam_write_checks_in_documented_order() {
    use reason_code::*;
    // Everything wrong at once: each fix reveals the next reason.
    let spoil_all = |b: &mut Bench| {
        b.write(reg::PLANES, 0x10);
        b.write(reg::ACTION, 3);
        b.write(reg::SPORT_RANGE, 2 | 1 << 16);
        b.write(reg::KEY + 4 * key::DST0 as u32, 1);
    };
    tcam_write_rejected(spoil_all, BAD_FLAGS);
    tcam_write_rejected(
        |b| {
            spoil_all(b);
            b.write(reg::PLANES, 1)
        },
        BAD_ACTION,
    );
    tcam_write_rejected(
        |b| {
            spoil_all(b);
            b.write(reg::PLANES, 1);
            b.write(reg::ACTION, 0);
        },
        BAD_RANGE,
    );
    tcam_write_rejected(
        |b| {
            spoil_all(b);
            b.write(reg::PLANES, 1);
            b.write(reg::ACTION, 0);
            b.write(reg::SPORT_RANGE, 0);
        },
        VALUE_OUTSIDE_MASK,
    );
    // BAD_INDEX comes before everything else.
    let mut b = Bench::new(small());
    spoil_all(&mut b);
    b.cmd(opcode::TCAM_WRITE, 64);
    assert_eq!(b.error().0, BAD_INDEX);
}

#[test]
fn bad_opcode_comes_first() {
    let mut b = Bench::new(small());
    for (i, op) in [0x00u8, 0x05, 0x15, 0x21, 0x32, 0x41, 0xFF]
        .into_iter()
        .enumerate()
    {
        b.cmd(op, 0xFF_FFFF);
        let (reason, first_op, count, index) = b.error();
        assert_eq!(
            (reason, first_op, count as usize, index),
            (reason_code::BAD_OPCODE, 0, i + 1, 0xFF_FFFF)
        );
    }
}

#[test]
fn bad_index_for_every_indexed_command() {
    let cfg = small(); // N 64, M 32, channels 8, L 4
    let cases: &[(u8, u32, u32)] = &[
        (opcode::TCAM_WRITE, 64, 0),
        (opcode::TCAM_READ, 64, 0),
        (opcode::TCAM_SET_PLANES, 0xFF_FFFF, 0),
        (opcode::FLOW_WRITE, 32, 0),
        (opcode::FLOW_READ, 32, 0),
        (opcode::FLOW_CLEAR, 40, 0),
        (opcode::FLOW_MOVE, 32, 0),
        (opcode::FLOW_MOVE, 0, 32),
        (opcode::FLOW_TOUCH, 32, 0),
        (opcode::LOCAL_WRITE, 4, 1),
        (opcode::CNT_READ, 64, counter_space::TCAM as u32),
        (opcode::CNT_READ, 32, counter_space::FLOW as u32),
        (opcode::CNT_READ, 8, counter_space::CHANNEL as u32),
        (opcode::CNT_READ, 8, counter_space::GLOBAL as u32),
        (opcode::CNT_READ, 0, 4),
        (opcode::CNT_CLEAR, 0, 0x8000_0000),
        (opcode::CNT_CLEAR, 8, counter_space::GLOBAL as u32),
    ];
    for &(op, index, arg) in cases {
        let mut b = Bench::new(cfg.clone());
        b.cmd_arg(op, index, arg);
        assert_eq!(
            b.error(),
            (reason_code::BAD_INDEX, op, 1, index),
            "op {op:#x} index {index} arg {arg}"
        );
    }
    // The largest valid indices pass.
    let mut b = Bench::new(cfg);
    b.cmd(opcode::TCAM_READ, 63);
    b.cmd(opcode::FLOW_READ, 31);
    b.cmd_arg(opcode::LOCAL_WRITE, 3, 0);
    b.cmd_arg(opcode::CNT_READ, 7, 2);
    b.cmd_arg(opcode::CNT_READ, 7, 3);
    b.cmd(opcode::COMMIT, 0xFF_FFFF); // INDEX ignored
    assert_eq!(b.error().2, 0);
}

#[test]
fn set_planes_and_commit() {
    let mut b = Bench::new(small());
    b.tcam_write(9, &entry(), 1);
    b.write(reg::PLANES, 4);
    b.cmd(opcode::TCAM_SET_PLANES, 9);
    assert_eq!(
        b.error(),
        (reason_code::BAD_FLAGS, opcode::TCAM_SET_PLANES, 1, 9)
    );
    b.clear_error();
    b.write(reg::PLANES, 3);
    b.cmd(opcode::TCAM_SET_PLANES, 9);
    b.write(reg::PLANES, 0);
    b.cmd(opcode::TCAM_READ, 9);
    assert_eq!(b.read(reg::PLANES), 3);
    assert_eq!(b.read(reg::PRIO), 7, "only the planes changed");
    let st = b.status();
    assert_eq!(
        (
            field::STATUS_ACTIVE_PLANE.get(st),
            field::STATUS_EPOCH.get(st)
        ),
        (0, 0)
    );
    for n in 1..=257u32 {
        b.cmd(opcode::COMMIT, 0);
        let st = b.status();
        assert_eq!(field::STATUS_ACTIVE_PLANE.get(st), n % 2);
        assert_eq!(field::STATUS_EPOCH.get(st), n % 256);
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
    b.cmd(opcode::FLOW_READ, 7);
    let v = flow_words(&mut b);
    assert_eq!(&v[..KEY_WORDS], &flow_key().words()[..]);
    assert_eq!(v[KEY_WORDS], Action::Drop.encode());
    assert_eq!(v[KEY_WORDS + 1], 1, "pinned");
    assert_eq!(
        v[KEY_WORDS + 2],
        field::FLOW_STATE_VALID.put(1),
        "epoch 0, valid, not hit, not stale"
    );
    assert_eq!(v[KEY_WORDS + 3], 0);
    b.cmd(opcode::FLOW_CLEAR, 7);
    b.cmd(opcode::FLOW_READ, 7);
    assert!(
        flow_words(&mut b).iter().all(|&w| w == 0),
        "cleared slot reads as zeros"
    );
}

#[test]
fn flow_write_rejections() {
    type Spoil = fn(&mut Bench);
    let cases: [(Spoil, u8); 4] = [
        (|b| b.write(reg::FLOW_FLAGS, 2), reason_code::BAD_FLAGS),
        (
            |b| b.write(reg::KEY + 4 * key::META as u32, 1 << 12),
            reason_code::BAD_FLAGS,
        ),
        (
            |b| b.write(reg::ACTION, Action::Deliver { channel: 200 }.encode()),
            reason_code::BAD_ACTION,
        ),
        (
            |b| b.write(reg::ACTION, 3 | 1 << 8),
            reason_code::BAD_ACTION,
        ),
    ];
    for (spoil, reason) in cases {
        let mut b = Bench::new(small());
        b.stage_key(&flow_key().words());
        b.write(reg::ACTION, 0);
        spoil(&mut b);
        b.cmd(opcode::FLOW_WRITE, 3);
        assert_eq!(b.error(), (reason, opcode::FLOW_WRITE, 1, 3));
        b.cmd(opcode::FLOW_READ, 3);
        assert_eq!(b.read(reg::FLOW_STATE), 0, "slot stays invalid");
    }
    // BAD_FLAGS before BAD_ACTION
    let mut b = Bench::new(small());
    b.write(reg::FLOW_FLAGS, 0x100);
    b.write(reg::ACTION, 3);
    b.cmd(opcode::FLOW_WRITE, 0);
    assert_eq!(b.error().0, reason_code::BAD_FLAGS);
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
    b.cmd_arg(opcode::FLOW_MOVE, other, s2);
    assert_eq!(
        b.error(),
        (reason_code::MOVE_CONFLICT, opcode::FLOW_MOVE, 1, other)
    );
    b.flow_write(other, &k.reversed(), Action::Drop, false);
    b.cmd_arg(opcode::FLOW_MOVE, s1, other);
    b.cmd_arg(opcode::FLOW_MOVE, s1, s1);
    assert_eq!(b.error().2, 3);
    b.clear_error();
    // A hit on s1 gives it counters and hit state, which move with it.
    let r = b.lookup_len(k, 100);
    assert_eq!((r.kind, r.index), (gufc_regmap::HitKind::Flow, s1));
    b.cmd_arg(opcode::FLOW_MOVE, s1, s2);
    assert_eq!(b.error().2, 0);
    b.cmd(opcode::FLOW_READ, s1);
    assert_eq!(b.read(reg::FLOW_STATE), 0);
    b.cmd(opcode::FLOW_READ, s2);
    let st = b.read(reg::FLOW_STATE);
    assert_eq!(field::FLOW_STATE_VALID.get(st), 1);
    assert_eq!(field::FLOW_STATE_HIT.get(st), 1);
    assert_ne!(b.read(reg::FLOW_LAST_HIT), 0);
    assert_eq!(b.counter(counter_space::FLOW, s2), (1, 100));
    assert_eq!(b.counter(counter_space::FLOW, s1), (0, 0));
    // The moved entry is still found (second bucket).
    let r = b.lookup_len(k, 1);
    assert_eq!((r.kind, r.index), (gufc_regmap::HitKind::Flow, s2));
    // After a COMMIT the entry is stale; FLOW_TOUCH makes it current again.
    b.cmd(opcode::COMMIT, 0);
    b.cmd(opcode::FLOW_READ, s2);
    b.cmd(opcode::FLOW_READ, s2);
    let st = b.read(reg::FLOW_STATE);
    assert_eq!(
        (
            field::FLOW_STATE_STALE.get(st),
            field::FLOW_STATE_EPOCH.get(st)
        ),
        (1, 0)
    );
    assert_eq!(
        field::FLOW_STATE_HIT.get(st),
        0,
        "the previous FLOW_READ cleared HIT"
    );
    b.cmd(opcode::FLOW_TOUCH, s2);
    b.cmd(opcode::FLOW_READ, s2);
    let st = b.read(reg::FLOW_STATE);
    assert_eq!(
        (
            field::FLOW_STATE_STALE.get(st),
            field::FLOW_STATE_EPOCH.get(st)
        ),
        (0, 1)
    );
    // Touching an invalid slot does nothing.
    b.cmd(opcode::FLOW_TOUCH, s1);
    b.cmd(opcode::FLOW_READ, s1);
    assert_eq!(b.read(reg::FLOW_STATE), 0);
    assert_eq!(b.error().2, 0);
}

#[test]
fn probe_while_busy_is_rejected() {
    let mut b = Bench::new(small());
    b.cmd(opcode::PROBE, 0);
    b.cmd(opcode::PROBE, 0);
    assert_eq!(b.error(), (reason_code::PROBE_BUSY, opcode::PROBE, 1, 0));
    b.idle(8);
    assert_eq!(field::STATUS_PROBE_BUSY.get(b.status()), 0);
    b.cmd(opcode::PROBE, 0);
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
    assert_eq!(b.counter(counter_space::TCAM, 1), (3, 30));
    assert_eq!(b.counter(counter_space::CHANNEL, 2), (3, 30));
    b.cmd_arg(opcode::CNT_CLEAR, 1, counter_space::TCAM as u32);
    assert_eq!(b.counter(counter_space::TCAM, 1), (0, 0));
    assert_eq!(b.counter(counter_space::CHANNEL, 2), (3, 30));
    b.cmd_arg(opcode::CNT_CLEAR, 0, counter_space::GLOBAL as u32);
    assert_eq!(b.counter(counter_space::GLOBAL, 0), (0, 0));
    assert_eq!(b.counter(counter_space::GLOBAL, 2), (3, 30));
    // TCAM_WRITE clears the entry's counters too.
    b.lookup_len(flow_key(), 10);
    assert_eq!(b.counter(counter_space::TCAM, 1), (1, 10));
    b.tcam_write(1, &TcamEntry::match_all(1, Action::Drop), 1);
    assert_eq!(b.counter(counter_space::TCAM, 1), (0, 0));
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
