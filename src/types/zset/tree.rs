//! The scalable sorted-set encoding (what Redis calls `skiplist`): an
//! order-statistic B+tree keyed by (score, member) plus a hash index from
//! member to score.
//!
//! Leaves hold up to [`LEAF_MAX`] entries in order; inner nodes hold their
//! children, how many entries each child holds (so ranks are O(log n)), and
//! separators: the lower bound of every child but the first. A separator may
//! name an entry since removed; it stays a valid bound, so removals never
//! touch ancestors' keys. Nodes live in an arena and refer to each other by
//! number. Compared with a skiplist, a lookup visits a few wide nodes whose
//! scores sit next to each other instead of a chain of scattered nodes.
//!
//! A member's bytes are allocated once (`Arc<[u8]>`) and shared by its tree
//! entry and its index key. The index is an insertion-ordered hash map, so
//! ZSCAN and random picks address members by dense position, and like the
//! keyspace's SCAN an entry only moves when the last one fills a hole.

use super::entry_cmp;
use crate::types::sip::SipBuild;
use indexmap::IndexMap;
use std::cmp::Ordering;
use std::sync::Arc;

/// Most entries a leaf holds before it splits.
const LEAF_MAX: usize = 64;
/// Most children an inner node holds before it splits.
const INNER_MAX: usize = 64;
/// A node this small merges with a neighbour when both fit in one node.
const LEAF_MIN: usize = LEAF_MAX / 4;
const INNER_MIN: usize = INNER_MAX / 4;

type Member = Arc<[u8]>;

#[derive(Debug, Clone)]
struct Entry {
    score: f64,
    member: Member,
}

impl Entry {
    fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        entry_cmp(self.score, &self.member, score, member)
    }
}

#[derive(Debug, Clone, Default)]
struct Inner {
    children: Vec<u32>,
    /// Entries under each child.
    counts: Vec<usize>,
    /// `seps[i]` is a lower bound of `children[i + 1]` and an exclusive upper
    /// bound of `children[i]`.
    seps: Vec<Entry>,
}

impl Inner {
    /// The child whose key range holds (score, member).
    fn child_for(&self, score: f64, member: &[u8]) -> usize {
        self.seps
            .partition_point(|s| s.cmp_key(score, member) != Ordering::Greater)
    }

    /// The child holding the entry of rank `rank` (under this node), and the
    /// rank within that child.
    fn child_at(&self, mut rank: usize) -> (usize, usize) {
        for (i, &n) in self.counts.iter().enumerate() {
            if rank < n {
                return (i, rank);
            }
            rank -= n;
        }
        (self.counts.len().saturating_sub(1), rank)
    }

    fn total(&self) -> usize {
        self.counts.iter().sum()
    }
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(Vec<Entry>),
    Inner(Inner),
}

impl Node {
    fn len(&self) -> usize {
        match self {
            Node::Leaf(entries) => entries.len(),
            Node::Inner(inner) => inner.children.len(),
        }
    }

    fn is_small(&self) -> bool {
        match self {
            Node::Leaf(entries) => entries.len() < LEAF_MIN,
            Node::Inner(inner) => inner.children.len() < INNER_MIN,
        }
    }
}

/// Which entry a removal takes.
#[derive(Clone, Copy)]
enum Target<'a> {
    Key(f64, &'a [u8]),
    Rank(usize),
}

/// A node split in two: the new right half, its lower bound, and the entry
/// counts of both halves.
struct Split {
    right: u32,
    sep: Entry,
    left_count: usize,
    right_count: usize,
}

#[derive(Clone)]
pub struct ScoreTree {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    len: usize,
    /// Member -> score.
    index: IndexMap<Member, f64, SipBuild>,
}

impl Default for ScoreTree {
    fn default() -> Self {
        ScoreTree {
            nodes: vec![Node::Leaf(Vec::new())],
            free: Vec::new(),
            root: 0,
            len: 0,
            index: IndexMap::default(),
        }
    }
}

impl std::fmt::Debug for ScoreTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s)))
            .finish()
    }
}

impl PartialEq for ScoreTree {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl ScoreTree {
    /// Slots of the member index, for DEBUG HTSTATS-KEY.
    pub fn index_capacity(&self) -> usize {
        self.index.capacity()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn node(&self, id: u32) -> &Node {
        &self.nodes[id as usize]
    }

    fn node_mut(&mut self, id: u32) -> &mut Node {
        &mut self.nodes[id as usize]
    }

    fn alloc(&mut self, node: Node) -> u32 {
        match self.free.pop() {
            Some(id) => {
                *self.node_mut(id) = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, id: u32) -> Node {
        self.free.push(id);
        std::mem::replace(self.node_mut(id), Node::Leaf(Vec::new()))
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.index.get(member).copied()
    }

    /// The entry at a position of the member index (any order; for ZSCAN
    /// and random picks).
    pub fn slot(&self, i: usize) -> Option<(&[u8], f64)> {
        self.index.get_index(i).map(|(m, &s)| (&**m, s))
    }

    /// Adds a member that is not present.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let member: Member = member.into();
        self.index.insert(member.clone(), score);
        self.insert_entry(Entry { score, member });
    }

    fn insert_entry(&mut self, entry: Entry) {
        let mut path = Path::default();
        let mut id = self.root;
        // Whether the entry goes after (or before) everything: then a full
        // leaf splits off only the new entry, so ascending (or descending)
        // insertions leave full leaves behind instead of half-empty ones.
        let (mut last, mut first) = (true, true);
        let cut = loop {
            match self.node_mut(id) {
                Node::Inner(inner) => {
                    let i = inner.child_for(entry.score, &entry.member);
                    inner.counts[i] += 1;
                    last &= i + 1 == inner.children.len();
                    first &= i == 0;
                    path.push((id, i));
                    id = inner.children[i];
                }
                Node::Leaf(entries) => {
                    let at = entries.partition_point(|e| {
                        e.cmp_key(entry.score, &entry.member) == Ordering::Less
                    });
                    if entries.len() == entries.capacity() {
                        let wanted = (2 * entries.len()).clamp(4, LEAF_MAX + 1);
                        entries.reserve_exact(wanted.saturating_sub(entries.len()));
                    }
                    let n = entries.len();
                    entries.insert(at, entry);
                    break if last && at == n {
                        n
                    } else if first && at == 0 {
                        1
                    } else {
                        n.div_ceil(2)
                    };
                }
            }
        };
        self.len += 1;
        let mut split = self.split_if_full(id, cut);
        while let Some(s) = split {
            let Some((parent, i)) = path.pop() else {
                self.grow_root(s);
                return;
            };
            if let Node::Inner(inner) = self.node_mut(parent) {
                inner.counts[i] = s.left_count;
                inner.counts.insert(i + 1, s.right_count);
                inner.children.insert(i + 1, s.right);
                inner.seps.insert(i, s.sep);
            }
            let n = self.node(parent).len();
            split = self.split_if_full(parent, n / 2);
        }
    }

    /// Splits node `id` before its `cut`-th element if it outgrew its
    /// maximum.
    fn split_if_full(&mut self, id: u32, cut: usize) -> Option<Split> {
        let (right, sep, left_count, right_count) = match self.node_mut(id) {
            Node::Leaf(entries) if entries.len() > LEAF_MAX => {
                let mut right = Vec::with_capacity(LEAF_MAX + 1);
                right.extend(entries.drain(cut.clamp(1, entries.len() - 1)..));
                let sep = right.first()?.clone();
                let counts = (entries.len(), right.len());
                (Node::Leaf(right), sep, counts.0, counts.1)
            }
            Node::Inner(inner) if inner.children.len() > INNER_MAX => {
                let mid = inner.children.len() / 2;
                let right = Inner {
                    children: inner.children.split_off(mid),
                    counts: inner.counts.split_off(mid),
                    seps: inner.seps.split_off(mid),
                };
                let sep = inner.seps.pop()?;
                let counts = (inner.total(), right.total());
                (Node::Inner(right), sep, counts.0, counts.1)
            }
            _ => return None,
        };
        Some(Split {
            right: self.alloc(right),
            sep,
            left_count,
            right_count,
        })
    }

    /// Puts a new root above the old one and the half split off it.
    fn grow_root(&mut self, s: Split) {
        let root = Inner {
            children: vec![self.root, s.right],
            counts: vec![s.left_count, s.right_count],
            seps: vec![s.sep],
        };
        self.root = self.alloc(Node::Inner(root));
    }

    /// Changes the score of a present member.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        let Some(slot) = self.index.get_mut(member) else {
            return;
        };
        let old = std::mem::replace(slot, score);
        if self.rescore_in_place(old, member, score) {
            return;
        }
        if let Some(mut entry) = self.remove_entry(old, member) {
            entry.score = score;
            self.insert_entry(entry);
        }
    }

    /// Changes an entry's score where it is when it keeps its place between
    /// two neighbours of the same leaf.
    fn rescore_in_place(&mut self, old: f64, member: &[u8], score: f64) -> bool {
        let mut id = self.root;
        loop {
            match self.node_mut(id) {
                Node::Inner(inner) => id = inner.children[inner.child_for(old, member)],
                Node::Leaf(entries) => {
                    let at = entries.partition_point(|e| e.cmp_key(old, member) == Ordering::Less);
                    let fits = at > 0
                        && at + 1 < entries.len()
                        && entries[at - 1].cmp_key(score, member) == Ordering::Less
                        && entries[at + 1].cmp_key(score, member) == Ordering::Greater;
                    if fits {
                        entries[at].score = score;
                    }
                    return fits;
                }
            }
        }
    }

    /// Removes a member; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.index.swap_remove(member)?;
        self.remove_entry(score, member);
        Some(score)
    }

    /// Takes the entry with key (score, member), which must be present, out
    /// of the tree (the index is left alone).
    fn remove_entry(&mut self, score: f64, member: &[u8]) -> Option<Entry> {
        self.remove_where(Target::Key(score, member))
    }

    /// Takes the entry of rank `rank` out of the tree (the index is left
    /// alone).
    fn remove_at(&mut self, rank: usize) -> Option<Entry> {
        if rank >= self.len {
            return None;
        }
        self.remove_where(Target::Rank(rank))
    }

    /// Takes an entry out, merging nodes that became small.
    fn remove_where(&mut self, mut target: Target) -> Option<Entry> {
        let mut path = Path::default();
        let mut id = self.root;
        let entry = loop {
            match self.node_mut(id) {
                Node::Inner(inner) => {
                    let i = match target {
                        Target::Key(score, member) => inner.child_for(score, member),
                        Target::Rank(rank) => {
                            let (i, within) = inner.child_at(rank);
                            target = Target::Rank(within);
                            i
                        }
                    };
                    inner.counts[i] = inner.counts[i].saturating_sub(1);
                    path.push((id, i));
                    id = inner.children[i];
                }
                Node::Leaf(entries) => {
                    let at = match target {
                        Target::Key(score, member) => {
                            entries.partition_point(|e| e.cmp_key(score, member) == Ordering::Less)
                        }
                        Target::Rank(rank) => rank,
                    };
                    break (at < entries.len()).then(|| entries.remove(at));
                }
            }
        }?;
        self.len -= 1;
        while let Some((parent, i)) = path.pop() {
            if !self.node(id).is_small() {
                break;
            }
            self.merge_with_neighbour(parent, i);
            id = parent;
        }
        self.shrink_root();
        Some(entry)
    }

    /// Merges child `i` of `parent` with a neighbour when the two fit in one
    /// node.
    fn merge_with_neighbour(&mut self, parent: u32, i: usize) {
        let Node::Inner(inner) = self.node(parent) else {
            return;
        };
        let n = inner.children.len();
        if n < 2 {
            return;
        }
        let left = if i + 1 < n { i } else { i - 1 };
        let (a, b) = (inner.children[left], inner.children[left + 1]);
        let max = match self.node(a) {
            Node::Leaf(_) => LEAF_MAX,
            Node::Inner(_) => INNER_MAX,
        };
        if self.node(a).len() + self.node(b).len() > max {
            return;
        }
        let sep = match self.node_mut(parent) {
            Node::Inner(inner) => {
                let extra = inner.counts.remove(left + 1);
                inner.counts[left] += extra;
                inner.children.remove(left + 1);
                inner.seps.remove(left)
            }
            Node::Leaf(_) => return,
        };
        let absorbed = self.release(b);
        match (self.node_mut(a), absorbed) {
            (Node::Leaf(entries), Node::Leaf(more)) => entries.extend(more),
            (Node::Inner(inner), Node::Inner(more)) => {
                inner.seps.push(sep);
                inner.seps.extend(more.seps);
                inner.children.extend(more.children);
                inner.counts.extend(more.counts);
            }
            _ => {}
        }
    }

    /// Replaces a root with a single child by that child.
    fn shrink_root(&mut self) {
        while let Node::Inner(inner) = self.node(self.root) {
            if inner.children.len() != 1 {
                break;
            }
            let child = inner.children[0];
            let old = self.root;
            self.root = child;
            self.release(old);
        }
    }

    /// Entries ordered before (score, member).
    fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        self.prefix_len(|m, s| entry_cmp(s, m, score, member) == Ordering::Less)
    }

    /// 0-based rank of a member.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.rank_of(score, member))
    }

    /// How many leading entries satisfy `pred`, which must hold for a prefix
    /// of the order and fail after it.
    pub fn prefix_len(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        let mut rank = 0;
        let mut id = self.root;
        loop {
            match self.node(id) {
                Node::Inner(inner) => {
                    let i = inner.seps.partition_point(|s| pred(&s.member, s.score));
                    rank += inner.counts[..i].iter().sum::<usize>();
                    id = inner.children[i];
                }
                Node::Leaf(entries) => {
                    return rank + entries.partition_point(|e| pred(&e.member, e.score));
                }
            }
        }
    }

    /// Removes the entries of ranks `start..end`, calling `removed` with each.
    pub fn remove_ranks(
        &mut self,
        start: usize,
        end: usize,
        mut removed: impl FnMut(&[u8], f64),
    ) -> usize {
        let end = end.min(self.len);
        let mut n = 0;
        for _ in start..end {
            let Some(entry) = self.remove_at(start) else {
                break;
            };
            self.index.swap_remove(&*entry.member);
            removed(&entry.member, entry.score);
            n += 1;
        }
        n
    }

    /// Removes and returns the first (or with `last`, the last) entry.
    pub fn pop(&mut self, last: bool) -> Option<(Member, f64)> {
        let rank = if last { self.len.checked_sub(1)? } else { 0 };
        let entry = self.remove_at(rank)?;
        self.index.swap_remove(&*entry.member);
        Some((entry.member, entry.score))
    }

    /// Entries from 0-based rank `rank` on, in order or (with `reverse`,
    /// counting ranks from the end) backwards.
    pub fn iter_from(&self, rank: usize, reverse: bool) -> Walk<'_> {
        let ascending = if reverse {
            self.len.checked_sub(rank + 1)
        } else {
            Some(rank).filter(|&r| r < self.len)
        };
        let mut walk = Walk {
            tree: self,
            path: Path::default(),
            leaf: self.root,
            pos: 0,
            reverse,
            done: ascending.is_none(),
        };
        let mut rank = ascending.unwrap_or(0);
        let mut id = self.root;
        while let Node::Inner(inner) = self.node(id) {
            let (i, within) = inner.child_at(rank);
            walk.path.push((id, i));
            id = inner.children[i];
            rank = within;
        }
        walk.leaf = id;
        walk.pos = rank;
        walk
    }

    /// Entries in order.
    pub fn iter(&self) -> Walk<'_> {
        self.iter_from(0, false)
    }
}

/// Levels of a [`Path`] held without allocating: a tree of 64-wide nodes
/// this deep holds far more entries than memory does.
const PATH_INLINE: usize = 8;

/// The way down from the root to a leaf: each inner node passed and the
/// child taken there. A stack kept inline, so inserts, removals and walks
/// allocate nothing for it (deeper levels, never expected, spill to the heap).
#[derive(Clone, Default)]
struct Path {
    inline: [(u32, usize); PATH_INLINE],
    len: usize,
    spilled: Vec<(u32, usize)>,
}

impl Path {
    fn push(&mut self, step: (u32, usize)) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = step,
            None => self.spilled.push(step),
        }
        self.len += 1;
    }

    fn pop(&mut self) -> Option<(u32, usize)> {
        self.len = self.len.checked_sub(1)?;
        match self.inline.get(self.len) {
            Some(&step) => Some(step),
            None => self.spilled.pop(),
        }
    }
}

/// Walks the tree's entries forwards or backwards.
#[derive(Clone)]
pub struct Walk<'a> {
    tree: &'a ScoreTree,
    /// Inner nodes above the current leaf and the child taken in each.
    path: Path,
    leaf: u32,
    /// Index in the leaf of the next entry to yield.
    pos: usize,
    reverse: bool,
    done: bool,
}

impl<'a> Walk<'a> {
    /// Moves to the neighbouring leaf in the walk's direction.
    fn next_leaf(&mut self) -> bool {
        loop {
            let Some((id, i)) = self.path.pop() else {
                return false;
            };
            let Node::Inner(inner) = self.tree.node(id) else {
                return false;
            };
            let next = if self.reverse {
                i.checked_sub(1)
            } else {
                Some(i + 1).filter(|&n| n < inner.children.len())
            };
            if let Some(n) = next {
                self.path.push((id, n));
                self.descend_edge(inner.children[n]);
                return true;
            }
        }
    }

    /// Goes down to the first (or, walking backwards, last) leaf under `id`.
    fn descend_edge(&mut self, mut id: u32) {
        while let Node::Inner(inner) = self.tree.node(id) {
            let i = if self.reverse {
                inner.children.len() - 1
            } else {
                0
            };
            self.path.push((id, i));
            id = inner.children[i];
        }
        self.leaf = id;
        self.pos = match self.tree.node(id) {
            Node::Leaf(entries) if self.reverse => entries.len().saturating_sub(1),
            _ => 0,
        };
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        if self.done {
            return None;
        }
        let tree = self.tree;
        let Node::Leaf(entries) = tree.node(self.leaf) else {
            return None;
        };
        let e = entries.get(self.pos)?;
        let at_edge = if self.reverse {
            self.pos == 0
        } else {
            self.pos + 1 >= entries.len()
        };
        if at_edge {
            self.done = !self.next_leaf();
        } else if self.reverse {
            self.pos -= 1;
        } else {
            self.pos += 1;
        }
        Some((&e.member, e.score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks counts, separators, order and the index against a walk.
    fn check(tree: &ScoreTree) {
        fn walk(tree: &ScoreTree, id: u32, low: Option<&Entry>, high: Option<&Entry>) -> usize {
            match tree.node(id) {
                Node::Leaf(entries) => {
                    for e in entries {
                        if let Some(l) = low {
                            assert_ne!(l.cmp_key(e.score, &e.member), Ordering::Greater);
                        }
                        if let Some(h) = high {
                            assert_eq!(h.cmp_key(e.score, &e.member), Ordering::Greater);
                        }
                    }
                    entries.len()
                }
                Node::Inner(inner) => {
                    assert_eq!(inner.seps.len() + 1, inner.children.len());
                    assert_eq!(inner.counts.len(), inner.children.len());
                    let mut total = 0;
                    for (i, &child) in inner.children.iter().enumerate() {
                        let lo = if i == 0 { low } else { inner.seps.get(i - 1) };
                        let hi = inner.seps.get(i).or(high);
                        let n = walk(tree, child, lo, hi);
                        assert_eq!(n, inner.counts[i]);
                        total += n;
                    }
                    total
                }
            }
        }
        assert_eq!(walk(tree, tree.root, None, None), tree.len);
        let all: Vec<(Vec<u8>, f64)> = tree.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        assert_eq!(all.len(), tree.len);
        assert_eq!(tree.index.len(), tree.len);
        for w in all.windows(2) {
            assert_eq!(entry_cmp(w[0].1, &w[0].0, w[1].1, &w[1].0), Ordering::Less);
        }
        for (m, s) in &all {
            assert_eq!(tree.score(m), Some(*s));
        }
        let back: Vec<(Vec<u8>, f64)> = tree
            .iter_from(0, true)
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        assert_eq!(back.into_iter().rev().collect::<Vec<_>>(), all);
    }

    /// A longer run: `cargo test --release --lib many_seeds -- --ignored`.
    #[test]
    #[ignore]
    fn random_operations_many_seeds() {
        for seed in 1..40u64 {
            random_ops(seed, 200_000, 1 + seed * 997 % 20_000);
        }
    }

    fn random_ops(seed: u64, rounds: u32, universe: u64) {
        let mut state = seed;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let mut tree = ScoreTree::default();
        let mut model = std::collections::BTreeMap::new();
        let mut seq = 0.0;
        for _ in 0..rounds {
            let member = format!("k{}", next(universe)).into_bytes();
            let score = match next(3) {
                0 => {
                    seq += 1.0;
                    seq
                }
                1 => -seq,
                _ => next(300) as f64,
            };
            match next(10) {
                0..=4 => match tree.score(&member) {
                    Some(_) => tree.set_score(&member, score),
                    None => tree.insert(&member, score),
                },
                5..=7 => {
                    assert_eq!(tree.remove(&member).is_some(), model.contains_key(&member));
                    model.remove(&member);
                    continue;
                }
                8 => {
                    if let Some((m, _)) = tree.pop(next(2) == 0) {
                        model.remove(&m.to_vec());
                    }
                    continue;
                }
                _ => {
                    let start = next(tree.len() as u64 + 1) as usize;
                    let mut gone = Vec::new();
                    tree.remove_ranks(start, start + next(200) as usize, |m, _| {
                        gone.push(m.to_vec())
                    });
                    for m in gone {
                        model.remove(&m);
                    }
                    continue;
                }
            }
            model.insert(member, score);
        }
        check(&tree);
        assert_eq!(tree.len(), model.len());
        for (m, s) in &model {
            assert_eq!(tree.score(m), Some(*s));
        }
    }

    #[test]
    fn random_operations_keep_the_structure() {
        random_ops(12345, 40_000, 8000);
    }

    fn height(tree: &ScoreTree) -> usize {
        let mut h = 1;
        let mut id = tree.root;
        while let Node::Inner(inner) = tree.node(id) {
            h += 1;
            id = inner.children[0];
        }
        h
    }

    fn members(tree: &ScoreTree) -> Vec<String> {
        tree.iter()
            .map(|(m, _)| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    #[test]
    fn insert_remove_rank_and_scores() {
        let mut tree = ScoreTree::default();
        for i in 0..5000u32 {
            let score = f64::from((i * 7919) % 101);
            tree.insert(format!("m{i}").as_bytes(), score);
        }
        check(&tree);
        assert!(height(&tree) >= 3, "inner nodes were split");
        let all: Vec<(Vec<u8>, f64)> = tree.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        for (rank, (m, _)) in all.iter().enumerate().step_by(37) {
            assert_eq!(tree.rank(m), Some(rank));
            assert_eq!(
                tree.iter_from(rank, false).next().map(|(m, _)| m),
                Some(&m[..])
            );
            let back = tree.len() - 1 - rank;
            assert_eq!(
                tree.iter_from(back, true).next().map(|(m, _)| m),
                Some(&m[..])
            );
        }
        for i in (0..5000u32).step_by(3) {
            assert!(tree.remove(format!("m{i}").as_bytes()).is_some());
        }
        assert_eq!(tree.remove(b"m0"), None);
        check(&tree);
        assert_eq!(tree.len(), 3333);
    }

    #[test]
    fn score_changes_in_place_and_moving() {
        let mut tree = ScoreTree::default();
        for (m, s) in [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)] {
            tree.insert(m.as_bytes(), s);
        }
        tree.set_score(b"b", 2.5);
        check(&tree);
        assert_eq!(members(&tree), ["a", "b", "c", "d"]);
        tree.set_score(b"a", 10.0);
        tree.set_score(b"d", -1.0);
        check(&tree);
        assert_eq!(members(&tree), ["d", "b", "c", "a"]);
        assert_eq!(tree.score(b"a"), Some(10.0));
        for i in 0..1000 {
            tree.insert(format!("x{i:04}").as_bytes(), f64::from(i));
        }
        for i in 0..1000 {
            tree.set_score(
                format!("x{i:04}").as_bytes(),
                f64::from((i * 31) % 1000) + 0.5,
            );
        }
        check(&tree);
    }

    #[test]
    fn pops_rank_removal_walks_and_merges() {
        let mut tree = ScoreTree::default();
        for i in 0..1000 {
            tree.insert(format!("{i:04}").as_bytes(), 0.0);
        }
        assert_eq!(
            tree.pop(false).map(|(m, _)| m.to_vec()),
            Some(b"0000".to_vec())
        );
        assert_eq!(
            tree.pop(true).map(|(m, _)| m.to_vec()),
            Some(b"0999".to_vec())
        );
        check(&tree);
        let mut seen = Vec::new();
        assert_eq!(
            tree.remove_ranks(10, 900, |m, _| seen.push(m.to_vec())),
            890
        );
        assert_eq!(seen.first().map(Vec::as_slice), Some(&b"0011"[..]));
        check(&tree);
        assert!(tree.nodes.len() - tree.free.len() < 10, "nodes were merged");
        assert_eq!(tree.len(), 108);
        let rev: Vec<_> = tree.iter_from(106, true).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(rev, [b"0002".to_vec(), b"0001".to_vec()]);
        assert_eq!(tree.iter_from(108, true).next(), None);
        assert_eq!(tree.iter_from(108, false).next(), None);
        assert_eq!(tree.prefix_len(|m, _| m < &b"0005"[..]), 4);
        while tree.pop(false).is_some() {}
        check(&tree);
        assert!(tree.is_empty());
        assert!(matches!(tree.node(tree.root), Node::Leaf(_)));
    }
}
