//! What differs on an RTL 2.0 device (docs/timing.md "RTL 2.0"): commands wait for
//! `STATUS.BUSY`, and a rule set is compiled to index-ordered value/mask entries over the 2.0
//! rule-stage key, with its port ranges on range checkers (or prefixes) and its protocols on
//! classes, both programmed into the inactive plane so the COMMIT switches everything at once.
//!
//! A compiled 2.0 entry travels as a [`TcamEntry`] whose `KEY[0..3]`/`MASK[0..3]` words are the
//! 2.0 layout (words 4..9 zero, full port ranges, `tcp_flags` folded into the key's flag field
//! and left (0, 0)): exactly what TCAM_WRITE stages and TCAM_READ returns, so the 1.x staging,
//! read-back and plane code serve both. A given entry's `tcp_flags` are the rule's flags match.

use gufc_regmap::word::{DportRange, Meta, SportRange};
use gufc_regmap::{key, reg, Opcode, TcamEntry, KEY_WORDS};
use gufc_rules::protocols::{self, ProtocolPlan};
use gufc_rules::ranges::{self, Checker, PortField, PortTerm};
use gufc_rules::{Loc, PortRange, ProtoMatch, Rule, RuleSet};

use super::placement::{self, Place};
use super::{CommitReport, Device, DeviceError};
use crate::backend::Bar;

/// The 2.0 rule stage's limits (`CAP_RULES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuleCaps {
    /// Port-range checkers per plane.
    pub checkers: u32,
    /// Protocol classes per plane (1..=classes; class 0 is "any other protocol").
    pub classes: u32,
    /// Low TCP-flag bits an entry can match.
    pub flag_bits: u32,
    /// Cycles a TCAM_WRITE keeps the rule stage busy.
    pub write_cycles: u32,
}

/// STATUS reads before a 2.0 command counts as hung: far above the longest wait the contract
/// allows (a reset's RAM sweep of max(N, 16) cycles at 2^16 entries, or a 255-cycle write).
const BUSY_POLLS: u32 = 1 << 17;

/// Bit offsets of the 2.0 rule-stage key fields, LSB first.
struct Layout {
    checkers: u32,
    flag_bits: u32,
}

impl Layout {
    fn sport(&self) -> u32 {
        self.checkers
    }
    fn dport(&self) -> u32 {
        self.checkers + 16
    }
    fn flags(&self) -> u32 {
        self.checkers + 32
    }
    fn class(&self) -> u32 {
        self.checkers + 32 + self.flag_bits
    }
    fn dst_local(&self) -> u32 {
        self.class() + 3
    }
    fn src_local(&self) -> u32 {
        self.class() + 4
    }
    fn dst(&self) -> u32 {
        self.class() + 5
    }
    fn src(&self) -> u32 {
        self.class() + 37
    }
}

/// Sets `width` bits at `lsb` of the 128-bit value in words 0..3.
fn put(words: &mut [u32; KEY_WORDS], lsb: u32, width: u32, v: u32) {
    for b in 0..width {
        let (w, bit) = (((lsb + b) / 32) as usize, (lsb + b) % 32);
        words[w] = words[w] & !(1 << bit) | ((v >> b) & 1) << bit;
    }
}

/// Reads `width` bits at `lsb` of the 128-bit value in words 0..3 (the inverse of [`put`]).
fn get(words: &[u32; KEY_WORDS], lsb: u32, width: u32) -> u32 {
    (0..width).fold(0, |acc, b| {
        let (w, bit) = (((lsb + b) / 32) as usize, (lsb + b) % 32);
        acc | (words[w] >> bit & 1) << b
    })
}

/// One plane's range checkers and protocol classes as this driver wrote them: CHECKER_WRITE and
/// CLASS_WRITE have no read-back, so decoding a 2.0 entry's checker bits and class needs this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PlaneConfig {
    /// `checkers[k]`: checker k's port and range; `None` when invalid.
    checkers: Vec<Option<Checker>>,
    /// `classes[k - 1]`: the protocol of class k; `None` when invalid.
    classes: Vec<Option<u8>>,
}

impl PlaneConfig {
    /// After a reset: every checker and class invalid.
    pub(super) fn blank(rc: RuleCaps) -> PlaneConfig {
        PlaneConfig {
            checkers: vec![None; rc.checkers as usize],
            classes: vec![None; rc.classes as usize],
        }
    }

    fn of(rc: RuleCaps, c: &Compiled) -> PlaneConfig {
        let mut p = PlaneConfig::blank(rc);
        for (slot, ch) in p.checkers.iter_mut().zip(&c.checkers) {
            *slot = Some(*ch);
        }
        for (slot, &proto) in p.classes.iter_mut().zip(&c.classes.protocols) {
            *slot = Some(proto);
        }
        p
    }
}

/// How a 2.0 entry uses one range checker (its hit bit is compared).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CheckerUse {
    /// The checker's number.
    pub index: u32,
    /// `"sport"` or `"dport"`; `None` when this handle did not program the checker.
    pub field: Option<&'static str>,
    /// The checker's range `[lo, hi]`; `None` when unknown or the checker is invalid.
    pub range: Option<(u16, u16)>,
    /// The port must be inside the range (`true`, what the compiler writes) or outside it.
    pub hit: bool,
}

/// An entry read back from the device, in the terms of the rules: on 2.0 decoded from the
/// rule-stage key (the inverse of the encoder above) with the plane's checkers and classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView {
    /// What the entry matches in the compiler's (1.x word) shape: addresses in SRC0/DST0,
    /// protocol and locality in META, port ranges (a checker's range, or a port prefix as its
    /// range), other port bits in PORTS, `tcp_flags`, priority, action. On 1.x the entry itself.
    pub entry: TcamEntry,
    /// The checkers a 2.0 entry compares (empty on 1.x).
    pub checkers: Vec<CheckerUse>,
    /// What has no place in `entry`: a checker or class this handle did not program, class 0
    /// ("no class holds the protocol"), a partial class mask, a checker that must miss.
    pub notes: Vec<String>,
}

impl EntryView {
    /// A 1.x entry, which is its own view.
    pub fn plain(e: &TcamEntry) -> EntryView {
        EntryView {
            entry: *e,
            checkers: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Decodes a 2.0-encoded entry (as TCAM_READ returns it) with `plane`'s checkers and classes
/// (`None`: not known to this handle).
fn decode(rc: RuleCaps, e: &TcamEntry, plane: Option<&PlaneConfig>) -> EntryView {
    let lay = Layout {
        checkers: rc.checkers,
        flag_bits: rc.flag_bits,
    };
    let field = |lsb: u32, width: u32| (get(&e.value, lsb, width), get(&e.mask, lsb, width));
    let mut out = TcamEntry::match_all(e.prio, e.action);
    let mut notes = Vec::new();
    let mut checkers = Vec::new();
    (out.value[key::SRC0], out.mask[key::SRC0]) = field(lay.src(), 32);
    (out.value[key::DST0], out.mask[key::DST0]) = field(lay.dst(), 32);
    let (mut mv, mut mm) = (Meta::new(), Meta::new());
    if out.mask[key::SRC0] | out.mask[key::DST0] != 0 {
        // 2.0 classifies IPv4 only: an address match is an IPv4 one, as the compiler marks it.
        mm = mm.with_ipv6(true);
    }
    for (lsb, src) in [(lay.src_local(), true), (lay.dst_local(), false)] {
        let (v, m) = field(lsb, 1);
        if m == 1 {
            (mv, mm) = if src {
                (mv.with_src_local(v == 1), mm.with_src_local(true))
            } else {
                (mv.with_dst_local(v == 1), mm.with_dst_local(true))
            };
        }
    }
    let (cv, cm) = field(lay.class(), 3);
    let class_proto = |k: u32| plane.and_then(|p| p.classes.get(k as usize - 1).copied());
    match (cv, cm) {
        (_, 0) => {}
        (k @ 1.., 7) => match class_proto(k) {
            Some(Some(p)) => (mv, mm) = (mv.with_proto(p), mm.with_proto(0xff)),
            Some(None) => notes.push(format!("protocol class {k}, invalid: matches no packet")),
            None => notes.push(format!(
                "protocol class {k}, whose protocol this process did not program"
            )),
        },
        (0, 7) => notes.push(match plane {
            Some(p) => {
                let held: Vec<String> = p.classes.iter().flatten().map(u8::to_string).collect();
                format!("protocol none of the classes' ({})", held.join(", "))
            }
            None => "protocol class 0 (a protocol no class holds)".to_string(),
        }),
        (v, m) => notes.push(format!("protocol class {v:#x}/{m:#x}")),
    }
    out.value[key::META] = mv.raw();
    out.mask[key::META] = mm.raw();
    let (fv, fm) = field(lay.flags(), lay.flag_bits);
    out.tcp_flags = (fv as u8, fm as u8);
    // Checker hit bits: a required hit narrows its port's range to the checker's.
    let mut ranges = [(0u16, u16::MAX); 2];
    for n in 0..rc.checkers {
        let (v, m) = field(n, 1);
        if m == 0 {
            continue;
        }
        let known = plane.and_then(|p| p.checkers.get(n as usize).copied());
        let hit = v == 1;
        let mut used = CheckerUse {
            index: n,
            field: None,
            range: None,
            hit,
        };
        match known {
            Some(Some(c)) => {
                let f = usize::from(c.field == PortField::Dst);
                used.field = Some(["sport", "dport"][f]);
                used.range = Some((c.range.lo, c.range.hi));
                if hit {
                    let r = &mut ranges[f];
                    *r = (r.0.max(c.range.lo), r.1.min(c.range.hi));
                } else {
                    notes.push(format!(
                        "{} outside {}-{} (checker {n})",
                        ["sport", "dport"][f],
                        c.range.lo,
                        c.range.hi
                    ));
                }
            }
            Some(None) => notes.push(format!(
                "checker {n} {}, invalid: it never hits",
                if hit { "hit" } else { "missed" }
            )),
            None => notes.push(format!(
                "checker {n} {}, whose range this process did not program",
                if hit { "hit" } else { "missed" }
            )),
        }
        checkers.push(used);
    }
    // Port bits: a prefix is a range (joined to the checker's); other masks stay in PORTS.
    for (f, lsb) in [(0usize, lay.sport()), (1, lay.dport())] {
        let (pv, pm) = field(lsb, 16);
        let prefix = (pm as u16).leading_ones() == pm.count_ones();
        let r = &mut ranges[f];
        if pm != 0 && prefix {
            let (lo, hi) = (pv as u16, (pv | !pm & 0xffff) as u16);
            *r = (r.0.max(lo), r.1.min(hi));
        } else if pm != 0 {
            out.value[key::PORTS] |= pv << (16 * f);
            out.mask[key::PORTS] |= pm << (16 * f);
        }
        if r.0 > r.1 {
            notes.push(format!(
                "{}: its checker and port bits never agree: matches no packet",
                ["sport", "dport"][f]
            ));
            *r = (0, u16::MAX);
        }
    }
    (out.sport, out.dport) = (ranges[0], ranges[1]);
    EntryView {
        entry: out,
        checkers,
        notes,
    }
}

/// A set compiled for the 2.0 rule stage.
struct Compiled {
    /// Entries in decision order, 2.0-encoded.
    entries: Vec<TcamEntry>,
    /// Which given entry each compiled entry came from.
    origin: Vec<usize>,
    checkers: Vec<Checker>,
    classes: ProtocolPlan,
}

impl<B: Bar> Device<B> {
    /// Polls STATUS until BUSY is 0; a device that stays busy fails naming `what` (an opcode).
    pub(super) fn wait_idle(&mut self, what: &'static str) -> Result<(), DeviceError> {
        let mut polls = 0;
        while self.status()?.busy() {
            polls += 1;
            if polls >= BUSY_POLLS {
                return Err(DeviceError::Timeout {
                    backend: self.bar.name(),
                    what,
                    polls,
                });
            }
        }
        Ok(())
    }

    fn rule_caps(&self) -> RuleCaps {
        self.caps.rules.expect("a 2.0 device")
    }

    /// Refuses what the 2.0 device cannot hold (IPv6, bits outside the 2.0 key), naming the entry.
    fn compile_v2(&self, given: &[TcamEntry]) -> Result<Compiled, DeviceError> {
        let rc = self.rule_caps();
        let bad = |i: usize, msg: String| DeviceError::InvalidEntry {
            backend: self.bar.name(),
            msg: format!("rule entry {i}: {msg}"),
        };
        // Decision order: highest priority first, ties in the order given (1.x: lowest index).
        let mut order: Vec<usize> = (0..given.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(given[i].prio));
        let meta = |e: &TcamEntry| (e.value[key::META], e.mask[key::META]);
        let loc = |i: usize| Loc {
            file: "rule entry".into(),
            line: i as u32,
            column: 1,
        };
        let mut set = RuleSet {
            locals: Vec::new(),
            rules: Vec::new(),
            warnings: Vec::new(),
        };
        for &i in &order {
            let e = &given[i];
            let (v, m) = meta(e);
            let v6_words = [key::SRC0 + 1, key::SRC0 + 2, key::SRC0 + 3]
                .into_iter()
                .chain([key::DST0 + 1, key::DST0 + 2, key::DST0 + 3]);
            if m >> 10 & 1 == 1 && v >> 10 & 1 == 1 || v6_words.clone().any(|w| e.mask[w] != 0) {
                return Err(bad(
                    i,
                    "an IPv6 rule; this RTL 2.0 device classifies IPv4 only".into(),
                ));
            }
            let mut r = Rule::any(e.action, loc(i));
            r.sport = PortRange {
                lo: e.sport.0,
                hi: e.sport.1,
            };
            r.dport = PortRange {
                lo: e.dport.0,
                hi: e.dport.1,
            };
            r.proto = ProtoMatch {
                value: v as u8,
                mask: m as u8,
            };
            set.rules.push(r);
        }
        let classes = protocols::plan(&set).map_err(|e| DeviceError::InvalidEntry {
            backend: self.bar.name(),
            msg: e.to_string(),
        })?;
        if classes.protocols.len() > rc.classes as usize {
            let extra = classes.protocols[rc.classes as usize];
            let i = order[set
                .rules
                .iter()
                .position(|r| r.proto.mask == 0xff && r.proto.value == extra)
                .unwrap()];
            return Err(bad(
                i,
                format!(
                    "protocol {extra} needs protocol class {} of the device's {}",
                    rc.classes + 1,
                    rc.classes
                ),
            ));
        }
        let plan = ranges::plan(&set, rc.checkers as usize);
        let lay = Layout {
            checkers: rc.checkers,
            flag_bits: rc.flag_bits,
        };
        let mut out = Compiled {
            entries: Vec::with_capacity(plan.entries()),
            origin: Vec::with_capacity(plan.entries()),
            checkers: plan.checkers.clone(),
            classes,
        };
        for (r, &i) in order.iter().enumerate() {
            let e = &given[i];
            let (v, m) = meta(e);
            let mut base = TcamEntry::match_all(e.prio, e.action);
            let mut field = |lsb, width, value: u32, mask: u32| {
                put(&mut base.value, lsb, width, value & mask);
                put(&mut base.mask, lsb, width, mask);
            };
            field(lay.src(), 32, e.value[key::SRC0], e.mask[key::SRC0]);
            field(lay.dst(), 32, e.value[key::DST0], e.mask[key::DST0]);
            field(lay.src_local(), 1, v >> 8, m >> 8);
            field(lay.dst_local(), 1, v >> 9, m >> 9);
            if m & 0xff == 0xff {
                field(lay.class(), 3, out.classes.class_of(v as u8).into(), 7);
            }
            // The key's low FLAG_BITS flag bits (`validate` refused a mask above them).
            let (fv, fm) = e.tcp_flags;
            field(lay.flags(), lay.flag_bits, fv.into(), fm.into());
            let (pv, pm) = (e.value[key::PORTS], e.mask[key::PORTS]);
            for pe in &plan.rules[r] {
                let mut x = base;
                let mut term = |t: PortTerm, lsb: u32, exact: (u32, u32)| -> bool {
                    // The PORTS word's own value/mask bits for this port, joined to the term.
                    let (ev, em) = exact;
                    match t {
                        PortTerm::Prefix { value, mask } => {
                            let (value, mask) = (u32::from(value), u32::from(mask));
                            if (value ^ ev) & mask & em != 0 {
                                return false; // the two never agree: no entry
                            }
                            put(&mut x.value, lsb, 16, value | ev & em);
                            put(&mut x.mask, lsb, 16, mask | em);
                        }
                        PortTerm::Checker(n) => {
                            put(&mut x.value, n.into(), 1, 1);
                            put(&mut x.mask, n.into(), 1, 1);
                            put(&mut x.value, lsb, 16, ev & em);
                            put(&mut x.mask, lsb, 16, em);
                        }
                    }
                    true
                };
                if term(pe.sport, lay.sport(), (pv & 0xffff, pm & 0xffff))
                    && term(pe.dport, lay.dport(), (pv >> 16, pm >> 16))
                {
                    out.entries.push(x);
                    out.origin.push(i);
                }
            }
        }
        Ok(out)
    }

    /// Reads back (once) every entry of a 2.0 device, in its 2.0 encoding.
    fn sync_v2(&mut self) -> Result<(), DeviceError> {
        if self.tcam.slots.is_some() {
            return Ok(());
        }
        let mut slots = Vec::with_capacity(self.tcam.capacity as usize);
        for i in 0..self.tcam.capacity {
            let (mut e, p) = self.read_entry(i)?;
            // TCAM_READ leaves the checker ranges alone: they are not part of an entry.
            (e.sport, e.dport) = ((0, u16::MAX), (0, u16::MAX));
            slots.push((e, p));
        }
        self.tcam.slots = Some(slots);
        Ok(())
    }

    /// What `e` (a live entry, as [`Device::live_rules`] or [`Device::read_entry`] return it)
    /// matches, in the rules' terms: on 1.x the entry itself; on 2.0 decoded from the rule-stage
    /// key with the active plane's checkers and classes as this handle wrote them.
    pub fn view_entry(&mut self, e: &TcamEntry) -> Result<EntryView, DeviceError> {
        let Some(rc) = self.caps.rules else {
            return Ok(EntryView::plain(e));
        };
        let active = self.status()?.active_plane() as usize;
        Ok(decode(rc, e, self.rule_planes[active].as_ref()))
    }

    /// What `given` would read back as once committed, without writing anything: each entry
    /// the device would hold, in decision order, with the given entry it came from. On 1.x the
    /// given entries themselves; on 2.0 the compiled entries decoded with the checkers and
    /// classes the compiler chose (so a set compares with a live one by meaning, whichever
    /// checker numbers each got).
    pub fn preview(&self, given: &[TcamEntry]) -> Result<Vec<(usize, EntryView)>, DeviceError> {
        let Some(rc) = self.caps.rules else {
            return Ok(given.iter().map(EntryView::plain).enumerate().collect());
        };
        let c = self.compile_v2(given)?;
        let plane = PlaneConfig::of(rc, &c);
        Ok(c.origin
            .iter()
            .zip(&c.entries)
            .map(|(&i, e)| (i, decode(rc, e, Some(&plane))))
            .collect())
    }

    /// Programs the inactive plane's checkers and classes (unused ones invalid).
    fn write_plane_config(&mut self, plane: u8, c: &Compiled) -> Result<(), DeviceError> {
        let rc = self.rule_caps();
        // Unknown while half written; known again once every write went through.
        self.rule_planes[plane as usize] = None;
        for k in 0..rc.checkers {
            let (field, valid) = match c.checkers.get(k as usize) {
                Some(ch) => {
                    let r = (ch.range.lo, ch.range.hi);
                    match ch.field {
                        PortField::Src => self.stage_reg(SportRange::of(r))?,
                        PortField::Dst => self.stage_reg(DportRange::of(r))?,
                    }
                    (ch.field == PortField::Dst, true)
                }
                None => (false, false),
            };
            let arg = u32::from(plane) | u32::from(field) << 1 | u32::from(valid) << 2;
            self.stage(reg::CMD_ARG, arg)?;
            self.command(Opcode::CheckerWrite, k)?;
        }
        for class in 1..=rc.classes {
            let arg = match c.classes.protocols.get(class as usize - 1) {
                Some(&p) => u32::from(plane) | 1 << 2 | u32::from(p) << 8,
                None => u32::from(plane),
            };
            self.stage(reg::CMD_ARG, arg)?;
            self.command(Opcode::ClassWrite, class)?;
        }
        self.rule_planes[plane as usize] = Some(PlaneConfig::of(rc, c));
        Ok(())
    }

    /// [`Device::replace_rules`] on 2.0: compile, check that everything fits, program checkers,
    /// classes and entries (in decision order by index) into the inactive plane, COMMIT.
    pub(super) fn replace_rules_v2(
        &mut self,
        given: &[TcamEntry],
    ) -> Result<CommitReport, DeviceError> {
        let compiled = self.compile_v2(given)?;
        let io0 = self.io;
        self.sync_v2()?;
        self.take_rejection()?;
        let active = self.status()?.active_plane() as u8;
        let (a_bit, n_bit) = (1u8 << active, 1u8 << (1 - active));
        let slots = self.tcam.slots.clone().unwrap();
        let live: Vec<Option<TcamEntry>> = slots
            .iter()
            .map(|(e, p)| (p & a_bit != 0).then_some(*e))
            .collect();
        let Some(places) = placement::ordered(&live, &compiled.entries) else {
            let free = live.iter().filter(|l| l.is_none()).count();
            let first = compiled.origin.get(free).copied().unwrap_or(0);
            return Err(DeviceError::InvalidEntry {
                backend: self.bar.name(),
                msg: format!(
                    "rule entry {first}: does not fit: the set compiles to {} entries ({} checkers), \
                     {free} of {} are free beside the live set (nothing written)",
                    compiled.entries.len(),
                    compiled.checkers.len(),
                    self.caps.tcam_entries
                ),
            });
        };
        let mut target: Vec<u8> = slots.iter().map(|s| s.1 & a_bit).collect();
        let mut fresh = Vec::new();
        for (p, e) in places.iter().zip(&compiled.entries) {
            target[p.index() as usize] |= n_bit;
            if let Place::Write(i) = p {
                fresh.push((*i, *e));
            }
        }
        let kept = places.len() - fresh.len();
        let staged = self
            .write_plane_config(1 - active, &compiled)
            .and_then(|_| {
                for (i, e) in &fresh {
                    self.write_entry(*i, e, n_bit)?;
                }
                for (i, &t) in target.iter().enumerate() {
                    let written = fresh.iter().any(|f| f.0 == i as u32);
                    if !written && slots[i].1 != t {
                        self.set_planes(i as u32, t)?;
                    }
                }
                self.check()
            });
        if let Err(e) = staged {
            self.rollback(&slots, a_bit);
            return Err(e);
        }
        let (freed, epoch) = self.commit_and_settle(slots, target, a_bit, &fresh)?;
        Ok(CommitReport {
            entries: compiled.entries.len(),
            written: fresh.len(),
            kept,
            freed,
            register_writes: self.io.writes - io0.writes,
            register_reads: self.io.reads - io0.reads,
            epoch,
            placement: places.iter().map(|p| p.index()).collect(),
            sources: compiled.origin,
        })
    }
}
