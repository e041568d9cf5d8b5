//! A HyperSplit-style decision tree over IPv4 keys: binary splits on one of five fields
//! (source, destination, source port, destination port, protocol) down to leaves of a few
//! entries each, kept in rank order.
//!
//! Why a tree beside the bitmaps: a lookup touches one node per level (about log2 of the
//! table size over the leaf size) and one short leaf, independent of where the winner ranks,
//! where the bitmaps read every field's bitmap up to the winner's rank. Each node picks the
//! field and split point that leave the larger side smallest; an entry whose interval spans the
//! split goes to both sides. When that replication grows past a budget (wildcard-heavy sets) the
//! build gives up and the domain keeps the bitmap index, so memory stays bounded.
//!
//! A leaf holds every entry whose box overlaps the leaf's region, in rank order, so the first
//! entry whose box holds the key (confirmed with the full compare where the box is only a
//! superset of the entry) is the tree's winner.
//!
//! Entries are first split into a forest by which address fields are wide (EffiCuts' idea):
//! a rule with a wildcard source would otherwise be copied into every leaf a split on the source
//! makes. Each tree is searched in the order of its best-ranked entry, and a tree whose best
//! entry ranks below the winner so far is not searched at all.

use gufc_regmap::word::{Meta, Ports};
use gufc_regmap::{key, TcamEntry, KEY_WORDS};

use super::{entry_interval, exactly_indexed, in_domain, prefix_shaped, Field, Kind};
use crate::slot::TcamSlot;

/// Fields a node can split on: source, destination, source port, destination port, protocol.
const FIELDS: usize = 5;

/// A leaf of at most this many entries is not split further.
const LEAF: usize = 4;

/// Leaf slots (entry copies) allowed per indexed entry, for the one tree or the whole forest,
/// before it is abandoned.
const REPLICATION_BUDGET: usize = 64;

/// Deeper than this, a node becomes a leaf whatever its size (a guard; real sets stop earlier).
const MAX_DEPTH: usize = 48;

/// A child reference with this bit set is a leaf (index into `leaves`).
const LEAF_BIT: u32 = 1 << 31;

/// One entry as a leaf checks it: the box of field intervals, its TCAM index, and whether the
/// box is the entry exactly (else the full compare confirms).
#[derive(Clone, Copy)]
struct Boxed {
    lo: [u32; FIELDS],
    hi: [u32; FIELDS],
    idx: u32,
    /// The entry's rank ([`crate::winner::rank`]; lower wins).
    rank: u64,
    exact: bool,
}

impl Boxed {
    #[inline]
    fn holds(&self, x: &[u32; FIELDS]) -> bool {
        let mut ok = true;
        for ((lo, hi), x) in self.lo.iter().zip(&self.hi).zip(x) {
            ok &= lo <= x && x <= hi;
        }
        ok
    }
}

/// An inner node: keys with `x[field] < point` go to `child[0]`, the others to `child[1]`.
#[derive(Clone, Copy)]
struct Node {
    field: u32,
    point: u32,
    child: [u32; 2],
}

/// One tree: inner nodes, leaves as ranges of `slots`.
struct Tree {
    nodes: Vec<Node>,
    /// Per leaf: (start, len) in `slots`.
    leaves: Vec<(u32, u32)>,
    slots: Vec<Boxed>,
    /// The root: a node, or a leaf with [`LEAF_BIT`].
    root: u32,
    /// Levels of inner nodes on the longest path from the root to a leaf.
    depth: u32,
    /// The address-width class it holds (0 when the forest is one tree).
    class: usize,
    /// No entry of the tree ranks better than this (exact after a build, possibly lower after
    /// updates removed entries: it only prunes).
    min_rank: u64,
}

/// The trees of the IPv4 domain, in the order of their best entry.
pub(super) struct Forest {
    trees: Vec<Tree>,
    /// Trees are per address-width class (else one tree holds every entry).
    classed: bool,
}

/// An address field is wide (its rules go to their own tree) from this many addresses on: a
/// prefix of /16 or shorter.
const WIDE: u32 = 1 << 16;

/// The address-width class of a box: source wide, destination wide.
fn class_of(b: &Boxed) -> usize {
    let wide = |f: usize| b.hi[f] - b.lo[f] >= WIDE - 1;
    wide(0) as usize | (wide(1) as usize) << 1
}

/// The five field values of an IPv4-domain key.
#[inline]
pub(super) fn key_fields(w: &[u32; KEY_WORDS]) -> [u32; FIELDS] {
    let p = Ports::from_raw(w[key::PORTS]);
    [
        w[key::SRC0],
        w[key::DST0],
        p.sport() as u32,
        p.dport() as u32,
        Meta::from_raw(w[key::META]).proto() as u32,
    ]
}

/// Entry `e` as a box in the IPv4 domain, or `None` if it can match no key there.
fn boxed(e: &TcamEntry, idx: u32) -> Option<Boxed> {
    if !in_domain(Kind::V4, e) {
        return None;
    }
    let mut lo = [0u32; FIELDS];
    let mut hi = [0u32; FIELDS];
    for (f, field) in [Field::Src, Field::Dst, Field::Sport, Field::Dport]
        .into_iter()
        .enumerate()
    {
        let (a, b) = entry_interval(Kind::V4, field, e)?;
        (lo[f], hi[f]) = (a as u32, b as u32);
    }
    let (pv, pm) = (
        Meta::from_raw(e.value[key::META]).proto() as u32,
        Meta::from_raw(e.mask[key::META]).proto() as u32,
    );
    (lo[4], hi[4]) = (pv & pm, (pv | !pm) & 0xFF);
    // The box is the entry when every field is an interval and META asks only for the protocol
    // (locality bits free; the family bit is 0 in every key of this domain).
    let meta_mask = Meta::from_raw(e.mask[key::META]);
    let exact = exactly_indexed(Kind::V4, e)
        && prefix_shaped(pm as u128, 8)
        && !meta_mask.src_local()
        && !meta_mask.dst_local();
    Some(Boxed {
        lo,
        hi,
        idx,
        rank: crate::winner::rank(e.prio, idx),
        exact,
    })
}

/// A build under way.
struct Builder {
    tree: Tree,
    budget: usize,
}

impl Forest {
    /// The forest over `ranked` (TCAM indexes in rank order): one tree if its replication stays
    /// within budget (fastest: one walk per key), else one tree per address-width class, else
    /// `None`.
    pub(super) fn build(slots: &[TcamSlot], ranked: &[u32]) -> Option<Forest> {
        let boxes: Vec<Boxed> = ranked
            .iter()
            .filter_map(|&i| boxed(&slots[i as usize].entry, i))
            .collect();
        // Leaf slots allowed for the whole forest.
        let budget = REPLICATION_BUDGET * boxes.len() + 4 * LEAF;
        if let Some(t) = Tree::build(boxes.clone(), 0, budget) {
            return Some(Forest {
                trees: vec![t],
                classed: false,
            });
        }
        let mut classes: [Vec<Boxed>; 4] = Default::default();
        for b in boxes {
            classes[class_of(&b)].push(b);
        }
        let mut trees: Vec<Tree> = Vec::new();
        for (c, boxes) in classes.into_iter().enumerate() {
            let used: usize = trees.iter().map(|t| t.slots.len()).sum();
            trees.push(Tree::build(boxes, c, budget.saturating_sub(used))?);
        }
        trees.sort_by_key(|t| t.min_rank);
        Some(Forest {
            trees,
            classed: true,
        })
    }

    /// Entry `idx` changed from `old` to `new` (`None`: not in the active plane): the trees
    /// drop the old box from every leaf it overlaps and put the new one into every leaf it
    /// overlaps, in rank order. Cost: the leaves the boxes overlap, not the table size.
    pub(super) fn update(&mut self, idx: u32, old: Option<&TcamEntry>, new: Option<&TcamEntry>) {
        let classed = self.classed;
        let tree_of = |trees: &mut Vec<Tree>, b: &Boxed| {
            let c = if classed { class_of(b) } else { 0 };
            trees.iter_mut().position(|t| t.class == c)
        };
        if let Some(b) = old.and_then(|e| boxed(e, idx)) {
            if let Some(t) = tree_of(&mut self.trees, &b) {
                self.trees[t].remove(&b);
            }
        }
        if let Some(b) = new.and_then(|e| boxed(e, idx)) {
            if let Some(t) = tree_of(&mut self.trees, &b) {
                self.trees[t].insert(b);
            }
        }
        self.trees.sort_by_key(|t| t.min_rank);
    }

    /// Bytes the forest takes.
    pub(super) fn bytes(&self) -> usize {
        self.trees.iter().map(Tree::bytes).sum()
    }

    /// The first entry in rank order that matches `w`. The forest is always current (built
    /// from the entries as they are, updated at every write), so nothing is skipped.
    pub(super) fn lookup(&self, slots: &[TcamSlot], w: &[u32; KEY_WORDS]) -> Option<u32> {
        let x = key_fields(w);
        let mut best: Option<&Boxed> = None;
        for t in &self.trees {
            if best.is_some_and(|b| b.rank < t.min_rank) {
                break;
            }
            let leaf = t.leaf(t.walk(&x));
            if let Some(b) = first_match(leaf, &x, w, slots) {
                if best.is_none_or(|c| b.rank < c.rank) {
                    best = Some(b);
                }
            }
        }
        best.map(|b| b.idx)
    }

    /// [`Forest::lookup`] of each key of `ws` that `mine` selects into `out` (the others are
    /// left alone). Keys walk a tree in groups, a level of each per round, so their node loads
    /// overlap instead of waiting on each other.
    pub(super) fn lookup_many(
        &self,
        slots: &[TcamSlot],
        ws: &[[u32; KEY_WORDS]],
        mine: &dyn Fn(&[u32; KEY_WORDS]) -> bool,
        out: &mut [Option<u32>],
    ) {
        const GROUP: usize = 8;
        let picked: Vec<usize> = (0..ws.len()).filter(|&i| mine(&ws[i])).collect();
        let xs: Vec<[u32; FIELDS]> = picked.iter().map(|&i| key_fields(&ws[i])).collect();
        // Per picked key: the best match so far (rank, TCAM index).
        let mut best: Vec<Option<(u64, u32)>> = vec![None; picked.len()];
        let mut todo: Vec<usize> = Vec::with_capacity(picked.len());
        for t in &self.trees {
            todo.clear();
            todo.extend((0..picked.len()).filter(|&k| best[k].is_none_or(|(r, _)| r > t.min_rank)));
            for group in todo.chunks(GROUP) {
                // Unused places start at a leaf and stay there.
                let mut at = [LEAF_BIT; GROUP];
                let mut x = [[0u32; FIELDS]; GROUP];
                for (g, &k) in group.iter().enumerate() {
                    at[g] = t.root;
                    x[g] = xs[k];
                }
                // As many rounds as the deepest leaf, without branches: a key already at its
                // leaf reads node 0 and keeps its place.
                for _ in 0..t.depth {
                    for g in 0..GROUP {
                        let inner = at[g] & LEAF_BIT == 0;
                        let n = &t.nodes[if inner { at[g] as usize } else { 0 }];
                        let next = n.child[(x[g][n.field as usize] >= n.point) as usize];
                        at[g] = if inner { next } else { at[g] };
                    }
                }
                for (g, &k) in group.iter().enumerate() {
                    let w = &ws[picked[k]];
                    if let Some(b) = first_match(t.leaf(at[g]), &xs[k], w, slots) {
                        if best[k].is_none_or(|(r, _)| b.rank < r) {
                            best[k] = Some((b.rank, b.idx));
                        }
                    }
                }
            }
        }
        for (k, &i) in picked.iter().enumerate() {
            out[i] = best[k].map(|(_, idx)| idx);
        }
    }
}

/// The first entry of a leaf that matches: its box holds the key's fields `x` and the full
/// compare confirms it where the box is only a superset.
#[inline]
fn first_match<'a>(
    leaf: &'a [Boxed],
    x: &[u32; FIELDS],
    w: &[u32; KEY_WORDS],
    slots: &[TcamSlot],
) -> Option<&'a Boxed> {
    leaf.iter()
        .find(|b| b.holds(x) && (b.exact || slots[b.idx as usize].entry.matches_words(w)))
}

impl Tree {
    /// The tree over `boxes` (rank order), or `None` when replication exceeds the budget.
    fn build(boxes: Vec<Boxed>, class: usize, budget: usize) -> Option<Tree> {
        let mut b = Builder {
            tree: Tree {
                nodes: Vec::new(),
                leaves: Vec::new(),
                slots: Vec::new(),
                root: 0,
                depth: 0,
                class,
                min_rank: boxes.first().map_or(u64::MAX, |b| b.rank),
            },
            budget,
        };
        let region = ([0u32; FIELDS], [u32::MAX, u32::MAX, 0xFFFF, 0xFFFF, 0xFF]);
        b.tree.root = b.node(boxes, region, 0)?;
        b.tree.nodes.shrink_to_fit();
        b.tree.slots.shrink_to_fit();
        Some(b.tree)
    }

    fn bytes(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<Node>()
            + self.leaves.len() * 8
            + self.slots.len() * std::mem::size_of::<Boxed>()
    }

    /// The leaves (ids without [`LEAF_BIT`]) whose region `b` overlaps: where the build put
    /// it, or would have.
    fn leaves_of(&self, b: &Boxed) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![self.root];
        while let Some(at) = stack.pop() {
            if at & LEAF_BIT != 0 {
                out.push(at & !LEAF_BIT);
                continue;
            }
            let n = &self.nodes[at as usize];
            let f = n.field as usize;
            if b.lo[f] < n.point {
                stack.push(n.child[0]);
            }
            if b.hi[f] >= n.point {
                stack.push(n.child[1]);
            }
        }
        out
    }

    /// Drops entry `b.idx` from the leaves `b` overlaps.
    fn remove(&mut self, b: &Boxed) {
        for l in self.leaves_of(b) {
            let (start, len) = self.leaves[l as usize];
            let leaf = &mut self.slots[start as usize..(start + len) as usize];
            if let Some(k) = leaf.iter().position(|x| x.idx == b.idx) {
                leaf.copy_within(k + 1.., k);
                self.leaves[l as usize].1 -= 1;
            }
        }
    }

    /// Puts `b` into the leaves it overlaps, in rank order. A grown leaf moves to the end of
    /// `slots` (the old place is left unused until the next build).
    fn insert(&mut self, b: Boxed) {
        self.min_rank = self.min_rank.min(b.rank);
        for l in self.leaves_of(&b) {
            let (start, len) = self.leaves[l as usize];
            let (start, len) = (start as usize, len as usize);
            let k = self.slots[start..start + len].partition_point(|x| x.rank < b.rank);
            let at = self.slots.len();
            self.slots.extend_from_within(start..start + k);
            self.slots.push(b);
            self.slots.extend_from_within(start + k..start + len);
            self.leaves[l as usize] = (at as u32, len as u32 + 1);
        }
    }

    /// The leaf (with [`LEAF_BIT`]) that holds field values `x`.
    #[inline]
    fn walk(&self, x: &[u32; FIELDS]) -> u32 {
        let mut at = self.root;
        while at & LEAF_BIT == 0 {
            let n = &self.nodes[at as usize];
            at = n.child[(x[n.field as usize] >= n.point) as usize];
        }
        at
    }

    /// The entries of leaf `at` (with [`LEAF_BIT`]).
    #[inline]
    fn leaf(&self, at: u32) -> &[Boxed] {
        let (start, len) = self.leaves[(at & !LEAF_BIT) as usize];
        &self.slots[start as usize..(start + len) as usize]
    }
}

impl Builder {
    /// The subtree for `boxes` (rank order) within `region`; `None` when over budget.
    fn node(
        &mut self,
        boxes: Vec<Boxed>,
        region: ([u32; FIELDS], [u32; FIELDS]),
        depth: usize,
    ) -> Option<u32> {
        let split = if boxes.len() <= LEAF || depth >= MAX_DEPTH {
            None
        } else {
            best_split(&boxes, &region)
        };
        let Some((f, p)) = split else {
            self.tree.depth = self.tree.depth.max(depth as u32);
            if self.tree.slots.len() + boxes.len() > self.budget {
                return None;
            }
            let start = self.tree.slots.len() as u32;
            self.tree.slots.extend_from_slice(&boxes);
            self.tree.leaves.push((start, boxes.len() as u32));
            return Some((self.tree.leaves.len() as u32 - 1) | LEAF_BIT);
        };
        let left: Vec<Boxed> = boxes.iter().filter(|b| b.lo[f] < p).copied().collect();
        let right: Vec<Boxed> = boxes.iter().filter(|b| b.hi[f] >= p).copied().collect();
        drop(boxes);
        let at = self.tree.nodes.len();
        self.tree.nodes.push(Node {
            field: f as u32,
            point: p,
            child: [0, 0],
        });
        let (mut lr, mut rr) = (region, region);
        lr.1[f] = p - 1;
        rr.0[f] = p;
        let l = self.node(left, lr, depth + 1)?;
        let r = self.node(right, rr, depth + 1)?;
        self.tree.nodes[at].child = [l, r];
        Some(at as u32)
    }
}

/// The field and point (keys `< point` go left) whose larger side is smallest (then the least
/// replication), if some split makes both sides smaller than `boxes`.
fn best_split(boxes: &[Boxed], region: &([u32; FIELDS], [u32; FIELDS])) -> Option<(usize, u32)> {
    let n = boxes.len();
    let mut best: Option<((usize, usize), usize, u32)> = None;
    let mut los = Vec::with_capacity(n);
    let mut his = Vec::with_capacity(n);
    for f in 0..FIELDS {
        let (rlo, rhi) = (region.0[f], region.1[f]);
        los.clear();
        his.clear();
        los.extend(boxes.iter().map(|b| b.lo[f].max(rlo)));
        his.extend(boxes.iter().map(|b| b.hi[f].min(rhi)));
        los.sort_unstable();
        his.sort_unstable();
        // Candidate points: where an entry starts, or just past where one ends.
        let starts = los.iter().copied();
        let ends = his.iter().filter(|&&h| h < rhi).map(|&h| h + 1);
        for p in starts.chain(ends).filter(|&p| p > rlo) {
            let left = los.partition_point(|&l| l < p);
            let right = n - his.partition_point(|&h| h < p);
            let cost = (left.max(right), left + right);
            if cost.0 < n && best.is_none_or(|(c, _, _)| cost < c) {
                best = Some((cost, f, p));
            }
        }
    }
    best.map(|(_, f, p)| (f, p))
}
