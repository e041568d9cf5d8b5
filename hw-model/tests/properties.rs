//! Property tests against the reference classifier in `reference/`: random rule sets
//! (prefixes, arbitrary masks, ranges, IPv4 and IPv6, locality bits), flows before rules,
//! stale flows after COMMIT, atomic COMMIT and TCAM_WRITE under traffic, one key per cycle.

mod common;
mod reference;

use common::{slot_of, Bench};
use gufc_hw_model::{Config, TcamStrategy};
use gufc_regmap::word::{Cmd, Meta, Planes};
use gufc_regmap::{
    key, reg, Action, CounterSpace, CycleIn, GlobalCounter as g, HitKind, Key, KeyIn, Mmio, Opcode,
    TcamEntry, KEY_WORDS,
};
use proptest::prelude::*;
use reference::{Expected, RefFlow, RefLocal, RefState};

fn cfg() -> Config {
    Config {
        tcam_entries: 64,
        flow_buckets: 8,
        flow_ways: 2,
        channels: 8,
        local_entries: 4,
    }
}

#[derive(Clone, Copy, Debug)]
enum Fam {
    V4,
    V6,
    Any,
}

/// An address field: a value from a small pool (so rules overlap) and a mask.
#[derive(Clone, Copy, Debug)]
struct Addr {
    value: u128,
    /// Prefix length, or an arbitrary mask.
    mask: Result<u8, u128>,
}

#[derive(Clone, Debug)]
struct EntrySpec {
    index: u32,
    planes: u8,
    fam: Fam,
    src: Addr,
    dst: Addr,
    /// IPv4 entries: compare the upper address words (as zero) or not.
    v4_upper_exact: bool,
    sport: (u16, u16),
    dport: (u16, u16),
    /// Value/mask on the PORTS word (usually none).
    port_vm: Option<(u32, u32)>,
    proto: Option<u8>,
    src_local: Option<bool>,
    dst_local: Option<bool>,
    prio: u16,
    action: Action,
}

fn v4_pool() -> impl Strategy<Value = u128> {
    let bases = [
        0x0A00_0000u32,
        0x0A00_0100,
        0x0A01_0000,
        0xC0A8_0107,
        0,
        0xFFFF_FFFF,
        0x8000_0000,
    ];
    (prop::sample::select(bases.to_vec()), 0u32..4, any::<bool>()).prop_map(|(b, low, keep)| {
        if keep {
            b as u128
        } else {
            (b ^ low) as u128
        }
    })
}

fn v6_pool() -> impl Strategy<Value = u128> {
    let bases = [
        0x2001_0db8_0000_0000_0000_0000_0000_0000u128,
        0x2001_0db8_0000_0001_0000_0000_0000_0000,
        0xfe80_0000_0000_0000_0000_0000_0000_0001,
        0,
        0x0A00_0000, // looks like an IPv4 address in a v6 key
    ];
    (prop::sample::select(bases.to_vec()), 0u128..4).prop_map(|(b, low)| b ^ low)
}

fn addr(v6: bool) -> impl Strategy<Value = Addr> {
    let bits = if v6 { 128u8 } else { 32 };
    let pool = if v6 {
        v6_pool().boxed()
    } else {
        v4_pool().boxed()
    };
    (
        pool,
        prop_oneof![
            5 => prop::sample::select(vec![0u8, 0, 8, 16, 24, 31, 32, 48, 64, 127, 128]).prop_map(move |l| Ok(l.min(bits))),
            1 => any::<u128>().prop_map(Err),
        ],
    )
        .prop_map(|(value, mask)| Addr { value, mask })
}

fn port_range() -> impl Strategy<Value = (u16, u16)> {
    let ends = prop::sample::select(vec![0u16, 1, 79, 80, 81, 1023, 1024, 65534, 65535]);
    prop_oneof![
        4 => Just((0u16, 65535u16)),
        3 => (ends.clone(), ends).prop_map(|(a, b)| (a.min(b), a.max(b))),
        1 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| (a.min(b), a.max(b))),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0u8..8).prop_map(|channel| Action::Deliver { channel }),
        Just(Action::Drop),
        prop::sample::select(vec![2u8, 16, 17, 200]).prop_map(|reason| Action::SlowPath { reason }),
    ]
}

fn entry_spec() -> impl Strategy<Value = EntrySpec> {
    let fam = prop_oneof![3 => Just(Fam::V4), 2 => Just(Fam::V6), 1 => Just(Fam::Any)];
    (
        fam,
        0u32..64,
        1u8..4,
        any::<bool>(),
        port_range(),
        port_range(),
        0u16..3,
        action(),
    )
        .prop_flat_map(
            |(fam, index, planes, v4_upper_exact, sport, dport, prio, action)| {
                let v6 = matches!(fam, Fam::V6);
                (
                    addr(v6),
                    addr(v6),
                    prop::option::weighted(0.05, (any::<u32>(), any::<u32>())),
                    prop::option::weighted(0.4, prop::sample::select(vec![6u8, 17, 1])),
                    prop::option::weighted(0.2, any::<bool>()),
                    prop::option::weighted(0.2, any::<bool>()),
                )
                    .prop_map(
                        move |(src, dst, port_vm, proto, src_local, dst_local)| EntrySpec {
                            index,
                            planes,
                            fam,
                            src,
                            dst,
                            v4_upper_exact,
                            sport,
                            dport,
                            port_vm,
                            proto,
                            src_local,
                            dst_local,
                            prio,
                            action,
                        },
                    )
            },
        )
}

fn set_field(e: &mut TcamEntry, base: usize, value: u128, mask: u128) {
    for j in 0..4 {
        e.value[base + j] = ((value & mask) >> (32 * j)) as u32;
        e.mask[base + j] = (mask >> (32 * j)) as u32;
    }
}

fn addr_mask(a: &Addr, bits: u32) -> u128 {
    let full = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    match a.mask {
        Ok(0) => 0,
        Ok(l) => (full << (bits - l as u32)) & full,
        Err(m) => m & full,
    }
}

impl EntrySpec {
    fn entry(&self) -> TcamEntry {
        let mut e = TcamEntry::match_all(self.prio, self.action);
        let (bits, upper) = match self.fam {
            Fam::V6 => (128, 0),
            _ if self.v4_upper_exact => (32, !0u128 << 32),
            _ => (32, 0),
        };
        set_field(
            &mut e,
            key::SRC0,
            self.src.value,
            addr_mask(&self.src, bits) | upper,
        );
        set_field(
            &mut e,
            key::DST0,
            self.dst.value,
            addr_mask(&self.dst, bits) | upper,
        );
        let mut mv = Meta::new();
        let mut mm = Meta::new();
        match self.fam {
            Fam::V4 => mm = mm.with_ipv6(true),
            Fam::V6 => {
                mm = mm.with_ipv6(true);
                mv = mv.with_ipv6(true);
            }
            Fam::Any => {}
        }
        if let Some(p) = self.proto {
            mm = mm.with_proto(u8::MAX);
            mv = mv.with_proto(p);
        }
        if let Some(w) = self.src_local {
            mm = mm.with_src_local(true);
            mv = mv.with_src_local(w);
        }
        if let Some(w) = self.dst_local {
            mm = mm.with_dst_local(true);
            mv = mv.with_dst_local(w);
        }
        e.value[key::META] = mv.raw();
        e.mask[key::META] = mm.raw();
        if let Some((v, m)) = self.port_vm {
            e.value[key::PORTS] = v & m;
            e.mask[key::PORTS] = m;
        }
        e.sport = self.sport;
        e.dport = self.dport;
        e
    }
}

/// A key: derived from one of the entries (so it usually hits), or free.
#[derive(Clone, Debug)]
struct KeySpec {
    from: Option<prop::sample::Index>,
    noise: [u128; 2],
    /// Flip one cared-for bit (a near miss).
    flip: Option<u8>,
    ports: (u8, u8, u16, u16),
    proto: u8,
    v6: bool,
    /// An IPv4 key with junk in the upper address words.
    junk_upper: bool,
}

fn key_spec() -> impl Strategy<Value = KeySpec> {
    (
        prop::option::weighted(0.8, any::<prop::sample::Index>()),
        any::<[u128; 2]>(),
        prop::option::weighted(0.1, any::<u8>()),
        (0u8..10, 0u8..10, any::<u16>(), any::<u16>()),
        prop::sample::select(vec![6u8, 17, 1, 50]),
        any::<bool>(),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(from, noise, flip, ports, proto, v6, junk_upper)| KeySpec {
                from,
                noise,
                flip,
                ports,
                proto,
                v6,
                junk_upper,
            },
        )
}

fn pick_port(choice: u8, (lo, hi): (u16, u16), r: u16) -> u16 {
    match choice {
        0 => lo,
        1 => hi,
        2 => lo.wrapping_sub(1),
        3 => hi.wrapping_add(1),
        4 if r & 1 == 0 => r,
        _ => lo + r % (hi - lo).saturating_add(1).max(1),
    }
}

impl KeySpec {
    fn key(&self, entries: &[EntrySpec]) -> Key {
        let Some(ix) = self.from.filter(|_| !entries.is_empty()) else {
            let mut k = if self.v6 {
                Key {
                    src: self.noise[0],
                    dst: self.noise[1],
                    ipv6: true,
                    ..Key::default()
                }
            } else {
                Key::v4(self.noise[0] as u32, self.noise[1] as u32, 0, 0, 0)
            };
            k.proto = self.proto;
            k.sport = self.ports.2;
            k.dport = self.ports.3;
            return k;
        };
        let spec = &entries[ix.index(entries.len())];
        let e = spec.entry();
        let mut w = [0u32; KEY_WORDS];
        let noise = [
            self.noise[0],
            self.noise[1],
            self.noise[0] ^ self.noise[1].rotate_left(64),
        ];
        for (i, x) in w.iter_mut().enumerate() {
            let n = (noise[i / 4 % 3] >> (32 * (i % 4))) as u32;
            *x = e.value[i] | (n & !e.mask[i]);
        }
        let mut k = Key::from_words(&w);
        if !k.ipv6 && !self.junk_upper {
            k.src &= u32::MAX as u128;
            k.dst &= u32::MAX as u128;
        }
        if Meta::from_raw(e.mask[key::META]).proto() == 0 {
            k.proto = self.proto;
        }
        k.sport = pick_port(self.ports.0, spec.sport, self.ports.2);
        k.dport = pick_port(self.ports.1, spec.dport, self.ports.3);
        if let Some(f) = self.flip {
            let bit = f as u32 % 64;
            if bit < 32 {
                k.src ^= 1u128 << (bit + if k.ipv6 { 96 } else { 0 });
            } else {
                k.dst ^= 1u128 << (bit - 32);
            }
        }
        k
    }
}

#[derive(Clone, Debug)]
struct LocalSpec {
    index: u32,
    addr: Addr,
    v6: bool,
    valid: bool,
}

fn local_spec() -> impl Strategy<Value = LocalSpec> {
    (0u32..4, any::<bool>(), prop::bool::weighted(0.85)).prop_flat_map(|(index, v6, valid)| {
        addr(v6).prop_map(move |addr| LocalSpec {
            index,
            addr,
            v6,
            valid,
        })
    })
}

#[derive(Clone, Debug)]
struct FlowSpec {
    key: prop::sample::Index,
    action: Action,
    pinned: bool,
    second: bool,
    way: u32,
}

fn flow_spec() -> impl Strategy<Value = FlowSpec> {
    (
        any::<prop::sample::Index>(),
        action(),
        prop::bool::weighted(0.3),
        any::<bool>(),
        0u32..2,
    )
        .prop_map(|(key, action, pinned, second, way)| FlowSpec {
            key,
            action,
            pinned,
            second,
            way,
        })
}

/// Copies of some entries at other indices with another action: equal-priority ties.
fn with_dups(
    mut entries: Vec<EntrySpec>,
    dups: &[(prop::sample::Index, u32, Action)],
) -> Vec<EntrySpec> {
    if !entries.is_empty() {
        for (ix, index, action) in dups {
            let e = entries[ix.index(entries.len())].clone();
            entries.push(EntrySpec {
                index: *index,
                action: *action,
                ..e
            });
        }
    }
    entries
}

fn dups() -> impl Strategy<Value = Vec<(prop::sample::Index, u32, Action)>> {
    prop::collection::vec((any::<prop::sample::Index>(), 0u32..64, action()), 0..8)
}

fn write_entry(b: &mut Bench, r: &mut RefState, s: &EntrySpec) {
    let e = s.entry();
    b.tcam_write(s.index, &e, s.planes);
    r.tcam[s.index as usize] = Some((e, s.planes));
}

fn write_local(b: &mut Bench, r: &mut RefState, s: &LocalSpec) {
    let bits = if s.v6 { 128 } else { 32 };
    let m = addr_mask(&s.addr, bits);
    b.local_write(s.index, s.addr.value, m, s.v6, s.valid);
    r.local[s.index as usize] = s.valid.then_some(RefLocal {
        addr: s.addr.value,
        mask: m,
        ipv6: s.v6,
    });
}

fn write_flow(b: &mut Bench, r: &mut RefState, s: &FlowSpec, keys: &[Key]) {
    let k = keys[s.key.index(keys.len())].flow_part();
    let slot = slot_of(&cfg(), &k, s.second, s.way);
    b.flow_write(slot, &k, s.action, s.pinned);
    r.flows[slot as usize] = Some(RefFlow {
        key: k,
        action: s.action,
        pinned: s.pinned,
        epoch: r.epoch,
    });
}

/// Streams `keys` one per cycle with `mmio[i]` on the same edge as key i; every key must be
/// accepted on its first offer. Returns the results in order with their acceptance edges.
fn stream(
    b: &mut Bench,
    keys: &[Key],
    mmio: &[Option<Mmio>],
) -> Vec<(u64, gufc_regmap::LookupResult)> {
    let start = b.m.cycle();
    let first = b.results.len();
    let n = keys.len().max(mmio.len());
    for i in 0..n {
        let key = keys.get(i).map(|&k| KeyIn {
            key: k,
            len: 60 + i as u16,
            tag: i as u32,
            tcp_flags: 0,
        });
        let out = b.step(CycleIn {
            mmio: mmio.get(i).copied().flatten(),
            key,
            res_ready: true,
            rst: false,
        });
        assert_eq!(out.accepted, key.is_some(), "key {i} not accepted at once");
    }
    b.idle(4);
    assert_eq!(b.m.cycle() - start, n as u64 + 4);
    let got: Vec<_> = b.results[first..].to_vec();
    assert_eq!(got.len(), keys.len());
    got.iter()
        .enumerate()
        .map(|(i, &(edge, r))| {
            assert_eq!((r.tag, r.len), (i as u32, 60 + i as u16));
            assert_eq!(
                edge,
                start + i as u64 + 4,
                "latency 4, one result per cycle"
            );
            (start + i as u64, r)
        })
        .collect()
}

const STRATEGIES: [TcamStrategy; 3] = [TcamStrategy::Auto, TcamStrategy::Scan, TcamStrategy::Index];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every result equals the reference classifier's; per-entry and global counters agree.
    #[test]
    fn classification_matches_reference(
        entries in prop::collection::vec(entry_spec(), 0..40),
        dups in dups(),
        locals in prop::collection::vec(local_spec(), 0..4),
        key_specs in prop::collection::vec(key_spec(), 1..48),
        flows_before in prop::collection::vec(flow_spec(), 0..6),
        commit in any::<bool>(),
        flows_after in prop::collection::vec(flow_spec(), 0..4),
        strategy in prop::sample::select(STRATEGIES.to_vec()),
    ) {
        let mut b = Bench::new(cfg());
        b.m.set_tcam_strategy(strategy);
        let mut r = RefState::new(&cfg());
        let entries = with_dups(entries, &dups);
        let keys: Vec<Key> = key_specs.iter().map(|k| k.key(&entries)).collect();
        for l in &locals { write_local(&mut b, &mut r, l); }
        for f in &flows_before { write_flow(&mut b, &mut r, f, &keys); }
        for e in &entries { write_entry(&mut b, &mut r, e); }
        if commit {
            b.cmd(Opcode::Commit, 0);
            r.commit();
        }
        for f in &flows_after { write_flow(&mut b, &mut r, f, &keys); }
        prop_assert_eq!(b.error().2, 0);
        // MMIO writes on every edge of the stream.
        let mmio: Vec<_> = (0..keys.len()).map(|i| Some(Mmio::Write { addr: reg::SCRATCH, data: i as u32 })).collect();
        let got = stream(&mut b, &keys, &mmio);
        let mut tcam_hits = vec![0u64; 64];
        let mut globals = [0u64; 8];
        for (i, (_, res)) in got.iter().enumerate() {
            let want = r.classify(&keys[i]);
            prop_assert_eq!(Expected::of(res), want, "key {} = {:?}", i, keys[i]);
            if want.kind == HitKind::Rule { tcam_hits[want.index as usize] += 1; }
            globals[g::Lookups as usize] += 1;
            globals[match want.kind { HitKind::Flow => g::FlowHits, HitKind::Rule => g::RuleHits, HitKind::Miss => g::Misses } as usize] += 1;
            globals[match want.action { Action::Deliver { .. } => g::Delivered, Action::Drop => g::Drops, Action::SlowPath { .. } => g::SlowPath } as usize] += 1;
            globals[g::StaleFlows as usize] += want.stale as u64;
        }
        for e in &entries {
            prop_assert_eq!(b.counter(CounterSpace::Tcam, e.index).0, tcam_hits[e.index as usize]);
        }
        for (i, &n) in globals.iter().enumerate() {
            prop_assert_eq!(b.counter(CounterSpace::Global, i as u32).0, n, "global {}", i);
        }
    }

    /// A stream of keys through a COMMIT: each result is entirely the old rule set's or the new
    /// one's answer, switching for keys looked up after the COMMIT edge (accepted at edge c-1).
    #[test]
    fn commit_is_atomic_under_traffic(
        old in prop::collection::vec(entry_spec(), 1..24),
        new in prop::collection::vec(entry_spec(), 1..24),
        dups in dups(),
        key_specs in prop::collection::vec(key_spec(), 8..40),
        flows in prop::collection::vec(flow_spec(), 0..4),
        at in 0usize..40,
        strategy in prop::sample::select(STRATEGIES.to_vec()),
    ) {
        let mut b = Bench::new(cfg());
        b.m.set_tcam_strategy(strategy);
        let mut r = RefState::new(&cfg());
        let old = with_dups(old, &dups);
        let all: Vec<EntrySpec> = old.iter().chain(&new).cloned().collect();
        let keys: Vec<Key> = key_specs.iter().map(|k| k.key(&all)).collect();
        for e in &old { write_entry(&mut b, &mut r, &EntrySpec { planes: 1, ..e.clone() }); }
        for f in &flows { write_flow(&mut b, &mut r, f, &keys); }
        for e in &new { write_entry(&mut b, &mut r, &EntrySpec { planes: 2, ..e.clone() }); }
        let before = r.clone();
        r.commit();
        let at = at % keys.len();
        let mut mmio = vec![None; keys.len()];
        mmio[at] = Some(Mmio::Write { addr: reg::CMD, data: Cmd::new().with_opcode(Opcode::Commit).raw() });
        let got = stream(&mut b, &keys, &mmio);
        let commit_edge = got[at].0;
        for (i, (accepted, res)) in got.iter().enumerate() {
            let state = if accepted + 2 > commit_edge { &r } else { &before };
            prop_assert_eq!(Expected::of(res), state.classify(&keys[i]), "key {} accepted at {} (commit {})", i, accepted, commit_edge);
        }
    }

    /// Rewriting an active entry while keys flow: staging takes many edges, the entry changes
    /// at the TCAM_WRITE edge only, never half-written.
    #[test]
    fn tcam_write_is_atomic_under_traffic(
        table in prop::collection::vec(entry_spec(), 1..24),
        dups in dups(),
        replacement in entry_spec(),
        target in any::<prop::sample::Index>(),
        key_specs in prop::collection::vec(key_spec(), 40..60),
        strategy in prop::sample::select(STRATEGIES.to_vec()),
    ) {
        let mut b = Bench::new(cfg());
        b.m.set_tcam_strategy(strategy);
        let mut r = RefState::new(&cfg());
        let table = with_dups(table, &dups);
        for e in &table { write_entry(&mut b, &mut r, &EntrySpec { planes: 1, ..e.clone() }); }
        let index = table[target.index(table.len())].index;
        let repl = EntrySpec { index, planes: 1, ..replacement };
        let all: Vec<EntrySpec> = table.iter().chain([&repl]).cloned().collect();
        let keys: Vec<Key> = key_specs.iter().map(|k| k.key(&all)).collect();
        let e = repl.entry();
        let mut mmio: Vec<Option<Mmio>> = Vec::new();
        let w = |addr, data| Some(Mmio::Write { addr, data });
        mmio.extend(e.staging(1).map(|(addr, data)| w(addr, data)));
        let at = mmio.len();
        mmio.push(w(reg::CMD, Cmd::new().with_opcode(Opcode::TcamWrite).with_index(index).raw()));
        let before = r.clone();
        r.tcam[index as usize] = Some((e, 1));
        let got = stream(&mut b, &keys, &mmio);
        prop_assert_eq!(b.error().2, 0);
        let write_edge = got[0].0 + at as u64;
        for (i, (accepted, res)) in got.iter().enumerate() {
            let state = if accepted + 2 > write_edge { &r } else { &before };
            prop_assert_eq!(Expected::of(res), state.classify(&keys[i]), "key {}", i);
        }
    }

    /// Many plane changes of active entries under traffic (more than the model keeps beside
    /// its index before rebuilding): every key sees exactly the entries active at its lookup.
    #[test]
    fn plane_changes_under_traffic(
        table in prop::collection::vec(entry_spec(), 1..48),
        changes in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4), 1..90),
        key_specs in prop::collection::vec(key_spec(), 1..48),
        strategy in prop::sample::select(STRATEGIES.to_vec()),
    ) {
        let mut b = Bench::new(cfg());
        b.m.set_tcam_strategy(strategy);
        let mut r = RefState::new(&cfg());
        for e in &table { write_entry(&mut b, &mut r, e); }
        let keys: Vec<Key> = (0..changes.len() * 2).map(|i| key_specs[i % key_specs.len()].key(&table)).collect();
        // Change i: PLANES at edge 2i, TCAM_SET_PLANES at edge 2i+1.
        let mut mmio = Vec::new();
        let mut states = vec![(0u64, r.clone())];
        for (n, (ix, planes)) in changes.iter().enumerate() {
            let i = table[ix.index(table.len())].index;
            mmio.push(Some(Mmio::Write { addr: reg::PLANES, data: Planes::new().with_planes(*planes).raw() }));
            mmio.push(Some(Mmio::Write { addr: reg::CMD, data: Cmd::new().with_opcode(Opcode::TcamSetPlanes).with_index(i).raw() }));
            if let Some((_, p)) = r.tcam[i as usize].as_mut() { *p = *planes; }
            states.push((2 * n as u64 + 1, r.clone()));
        }
        let got = stream(&mut b, &keys, &mmio);
        let start = got[0].0;
        for (i, (accepted, res)) in got.iter().enumerate() {
            // the state after the last command at an edge before this key's lookup edge
            let lookup = accepted + 2 - start;
            let state = &states.iter().rev().find(|(edge, _)| *edge < lookup || *edge == 0).unwrap().1;
            prop_assert_eq!(Expected::of(res), state.classify(&keys[i]), "key {}", i);
        }
        prop_assert_eq!(b.error().2, 0);
    }
}
