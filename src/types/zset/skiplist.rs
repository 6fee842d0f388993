//! The scalable sorted-set encoding (Redis's `skiplist`): a skiplist whose
//! links carry spans (how many entries each link jumps over), giving
//! O(log n) insertion, removal, rank and access by rank, plus a hash index
//! from member to node for O(1) score lookups.
//!
//! Nodes live in an arena and link to each other by number, so no unsafe
//! code is needed; freed slots are reused and the arena is compacted once
//! most of it is free. Member bytes are stored once, in the node: the index
//! holds node numbers and hashes members through the arena (indexmap's raw
//! entry API). The index is dense, so ZSCAN and random picks address
//! members by position, and like the keyspace's SCAN an entry only moves
//! when the last one fills a hole.
//!
//! The ordering invariant is (score, member) ascending, scores never NaN.
//! A link to the end carries as span the number of nodes after its node.

use super::entry_cmp;
use indexmap::map::raw_entry_v1::RawEntryMut;
use indexmap::map::{MutableKeys, RawEntryApiV1};
use indexmap::IndexMap;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// "No node": the end of a level, or no previous node.
const NIL: u32 = u32::MAX;
/// The header node, before the first entry at every level.
const HEAD: u32 = 0;
/// Highest level a node can have (Redis's `ZSKIPLIST_MAXLEVEL`).
const MAX_LEVEL: usize = 32;
/// Free slots tolerated before the arena is compacted (also at least as many
/// as live nodes).
const COMPACT_MIN_FREE: usize = 64;

thread_local! {
    /// State of the generator that draws node levels.
    static LEVEL_RNG: Cell<u64> = const { Cell::new(0x9E37_79B9_7F4A_7C15) };
}

/// A node level: each level above the first is reached with probability 1/4
/// (Redis's `ZSKIPLIST_P`).
fn random_level() -> usize {
    let mut bits = LEVEL_RNG.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        x
    });
    let mut level = 1;
    while level < MAX_LEVEL && bits & 3 == 0 {
        level += 1;
        bits >>= 2;
    }
    level
}

/// A forward link and the number of entries it advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link {
    next: u32,
    span: u32,
}

const END: Link = Link { next: NIL, span: 0 };

#[derive(Debug, Clone)]
struct Node {
    member: Box<[u8]>,
    score: f64,
    /// The previous node at level 0 (`NIL` for the first).
    prev: u32,
    /// Level 0, which every node has.
    base: Link,
    /// Levels 1 and up; empty for most nodes.
    upper: Box<[Link]>,
}

impl Node {
    fn new(member: Box<[u8]>, score: f64, levels: usize) -> Node {
        Node {
            member,
            score,
            prev: NIL,
            base: END,
            upper: vec![END; levels.saturating_sub(1)].into_boxed_slice(),
        }
    }

    fn levels(&self) -> usize {
        1 + self.upper.len()
    }

    fn link(&self, level: usize) -> Link {
        match level {
            0 => self.base,
            _ => self.upper.get(level - 1).copied().unwrap_or(END),
        }
    }

    fn link_mut(&mut self, level: usize) -> Option<&mut Link> {
        match level {
            0 => Some(&mut self.base),
            _ => self.upper.get_mut(level - 1),
        }
    }

    /// True if this node sorts before (score, member).
    fn is_before(&self, score: f64, member: &[u8]) -> bool {
        entry_cmp(self.score, &self.member, score, member) == Ordering::Less
    }
}

/// Per level, the last node before some position, and its 1-based rank.
struct Path {
    nodes: [u32; MAX_LEVEL],
    ranks: [u32; MAX_LEVEL],
}

#[derive(Clone)]
pub struct SkipList {
    /// Node 0 is the header; freed nodes have an empty member and no levels.
    nodes: Vec<Node>,
    free: Vec<u32>,
    /// Levels in use (at least 1).
    level: usize,
    len: usize,
    tail: u32,
    /// Node numbers, hashed by their member.
    index: IndexMap<u32, (), RandomState>,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList {
            nodes: vec![Node::new(Box::default(), 0.0, MAX_LEVEL)],
            free: Vec::new(),
            level: 1,
            len: 0,
            tail: NIL,
            index: IndexMap::default(),
        }
    }
}

impl std::fmt::Debug for SkipList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s)))
            .finish()
    }
}

impl PartialEq for SkipList {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl SkipList {
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

    fn set_link(&mut self, id: u32, level: usize, link: Link) {
        if let Some(l) = self.node_mut(id).link_mut(level) {
            *l = link;
        }
    }

    fn hash(&self, member: &[u8]) -> u64 {
        self.index.hasher().hash_one(member)
    }

    /// The node holding `member`.
    fn find(&self, member: &[u8]) -> Option<u32> {
        let nodes = &self.nodes;
        self.index
            .raw_entry_v1()
            .from_hash(self.hash(member), |&id| {
                &*nodes[id as usize].member == member
            })
            .map(|(&id, _)| id)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|id| self.node(id).score)
    }

    /// The entry of a node.
    fn entry(&self, id: u32) -> (&[u8], f64) {
        let n = self.node(id);
        (&n.member, n.score)
    }

    /// The entry at a position of the hash index (any order; for ZSCAN and
    /// random picks).
    pub fn slot(&self, i: usize) -> Option<(&[u8], f64)> {
        self.index.get_index(i).map(|(&id, _)| self.entry(id))
    }

    /// The nodes just before (score, member) at each level.
    fn path_to(&self, score: f64, member: &[u8]) -> Path {
        let mut path = Path {
            nodes: [HEAD; MAX_LEVEL],
            ranks: [0; MAX_LEVEL],
        };
        let mut x = HEAD;
        let mut rank = 0;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).link(i);
                if l.next == NIL || !self.node(l.next).is_before(score, member) {
                    break;
                }
                rank += l.span;
                x = l.next;
            }
            path.nodes[i] = x;
            path.ranks[i] = rank;
        }
        path
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

    /// Links node `id` (with its levels already sized) in after `path`.
    fn link_in(&mut self, id: u32, mut path: Path) {
        let levels = self.node(id).levels();
        if levels > self.level {
            let len = self.len as u32;
            for i in self.level..levels {
                path.nodes[i] = HEAD;
                path.ranks[i] = 0;
                self.set_link(
                    HEAD,
                    i,
                    Link {
                        next: NIL,
                        span: len,
                    },
                );
            }
            self.level = levels;
        }
        for i in 0..levels {
            let before = path.nodes[i];
            let l = self.node(before).link(i);
            let skipped = path.ranks[0] - path.ranks[i];
            self.set_link(
                id,
                i,
                Link {
                    next: l.next,
                    span: l.span.saturating_sub(skipped),
                },
            );
            self.set_link(
                before,
                i,
                Link {
                    next: id,
                    span: skipped + 1,
                },
            );
        }
        for i in levels..self.level {
            let before = path.nodes[i];
            let mut l = self.node(before).link(i);
            l.span += 1;
            self.set_link(before, i, l);
        }
        let prev = path.nodes[0];
        self.node_mut(id).prev = if prev == HEAD { NIL } else { prev };
        match self.node(id).base.next {
            NIL => self.tail = id,
            next => self.node_mut(next).prev = id,
        }
        self.len += 1;
    }

    /// Takes node `id` out of the levels; `path` leads to it.
    fn unlink(&mut self, id: u32, path: &Path) {
        for i in 0..self.level {
            let before = path.nodes[i];
            let l = self.node(before).link(i);
            let new = if l.next == id {
                let own = self.node(id).link(i);
                Link {
                    next: own.next,
                    span: (l.span + own.span).saturating_sub(1),
                }
            } else {
                Link {
                    next: l.next,
                    span: l.span.saturating_sub(1),
                }
            };
            self.set_link(before, i, new);
        }
        let (prev, next) = (self.node(id).prev, self.node(id).base.next);
        match next {
            NIL => self.tail = prev,
            _ => self.node_mut(next).prev = prev,
        }
        while self.level > 1 && self.node(HEAD).link(self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// Adds a member that is not present.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let path = self.path_to(score, member);
        let id = self.alloc(Node::new(member.into(), score, random_level()));
        self.link_in(id, path);
        let hash = self.hash(member);
        if let RawEntryMut::Vacant(slot) = self.index.raw_entry_mut_v1().from_hash(hash, |_| false)
        {
            slot.insert_hashed_nocheck(hash, id, ());
        }
    }

    /// Changes the score of a present member; its node moves only if the
    /// order requires it.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        let Some(id) = self.find(member) else {
            return;
        };
        let (old, prev, next) = {
            let n = self.node(id);
            (n.score, n.prev, n.base.next)
        };
        let after_prev = prev == NIL || self.node(prev).is_before(score, member);
        let before_next = next == NIL || !self.node(next).is_before(score, member);
        if after_prev && before_next {
            self.node_mut(id).score = score;
            return;
        }
        let path = self.path_to(old, member);
        self.unlink(id, &path);
        self.node_mut(id).score = score;
        let path = self.path_to(score, member);
        self.link_in(id, path);
    }

    /// Removes a member; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let hash = self.hash(member);
        let nodes = &self.nodes;
        let id = match self
            .index
            .raw_entry_mut_v1()
            .from_hash(hash, |&id| &*nodes[id as usize].member == member)
        {
            RawEntryMut::Occupied(entry) => entry.swap_remove_entry().0,
            RawEntryMut::Vacant(_) => return None,
        };
        let score = self.node(id).score;
        let path = self.path_to(score, member);
        self.unlink(id, &path);
        self.release(id);
        self.maybe_compact();
        Some(score)
    }

    /// Frees the slot of an unlinked node, returning its member.
    fn release(&mut self, id: u32) -> Box<[u8]> {
        let node = std::mem::replace(self.node_mut(id), Node::new(Box::default(), 0.0, 1));
        self.free.push(id);
        node.member
    }

    /// Drops the index entry of node `id`.
    fn unindex(&mut self, id: u32) {
        let hash = self.hash(&self.node(id).member);
        if let RawEntryMut::Occupied(entry) = self
            .index
            .raw_entry_mut_v1()
            .from_hash(hash, |&other| other == id)
        {
            entry.swap_remove();
        }
    }

    /// 0-based rank of a member.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let id = self.find(member)?;
        let path = self.path_to(self.node(id).score, member);
        Some(path.ranks[0] as usize)
    }

    /// The node at a 0-based rank.
    fn node_at(&self, rank: usize) -> Option<u32> {
        let target = rank.checked_add(1)?;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).link(i);
                if l.next == NIL || traversed + l.span as usize > target {
                    break;
                }
                traversed += l.span as usize;
                x = l.next;
            }
            if traversed == target {
                return Some(x);
            }
        }
        None
    }

    /// How many leading entries satisfy `pred`, which must hold for a prefix
    /// of the order and fail after it.
    pub fn prefix_len(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).link(i);
                if l.next == NIL {
                    break;
                }
                let n = self.node(l.next);
                if !pred(&n.member, n.score) {
                    break;
                }
                rank += l.span as usize;
                x = l.next;
            }
        }
        rank
    }

    /// Removes the entries of ranks `start..end`, calling `removed` with each.
    pub fn remove_ranks(
        &mut self,
        start: usize,
        end: usize,
        mut removed: impl FnMut(&[u8], f64),
    ) -> usize {
        let end = end.min(self.len);
        if start >= end {
            return 0;
        }
        let Some(first) = self.node_at(start) else {
            return 0;
        };
        let path = {
            let n = self.node(first);
            self.path_to(n.score, &n.member)
        };
        let mut x = first;
        for _ in start..end {
            if x == NIL {
                break;
            }
            let next = self.node(x).base.next;
            self.unlink(x, &path);
            self.unindex(x);
            let (member, score) = self.entry(x);
            removed(member, score);
            self.release(x);
            x = next;
        }
        self.maybe_compact();
        end - start
    }

    /// Removes and returns the first (or with `last`, the last) entry.
    pub fn pop(&mut self, last: bool) -> Option<(Box<[u8]>, f64)> {
        let id = if last {
            self.tail
        } else {
            self.node(HEAD).base.next
        };
        if id == NIL {
            return None;
        }
        let (score, path) = {
            let n = self.node(id);
            (n.score, self.path_to(n.score, &n.member))
        };
        self.unlink(id, &path);
        self.unindex(id);
        let member = self.release(id);
        self.maybe_compact();
        Some((member, score))
    }

    /// Entries from 0-based rank `rank` on, in order or (with `reverse`,
    /// counting ranks from the end) backwards.
    pub fn iter_from(&self, rank: usize, reverse: bool) -> Walk<'_> {
        let at = match (reverse, rank) {
            (false, 0) => self.node(HEAD).base.next,
            (true, 0) => self.tail,
            (false, r) => self.node_at(r).unwrap_or(NIL),
            (true, r) => self
                .len
                .checked_sub(r + 1)
                .and_then(|r| self.node_at(r))
                .unwrap_or(NIL),
        };
        Walk {
            list: self,
            at,
            reverse,
        }
    }

    /// Entries in order.
    pub fn iter(&self) -> Walk<'_> {
        self.iter_from(0, false)
    }

    /// Renumbers nodes densely in index order once most of the arena is
    /// free, keeping the index order (and so ZSCAN cursors) as it was.
    fn maybe_compact(&mut self) {
        if self.free.len() < COMPACT_MIN_FREE || self.free.len() < self.len {
            return;
        }
        let mut renumber = vec![NIL; self.nodes.len()];
        renumber[HEAD as usize] = HEAD;
        let mut nodes = Vec::with_capacity(self.len + 1);
        nodes.push(self.release_header());
        for (slot, (id, _)) in self.index.iter_mut2().enumerate() {
            renumber[*id as usize] = slot as u32 + 1;
            let node = std::mem::replace(
                &mut self.nodes[*id as usize],
                Node::new(Box::default(), 0.0, 1),
            );
            nodes.push(node);
            *id = slot as u32 + 1;
        }
        let map = |id: u32| {
            if id == NIL {
                NIL
            } else {
                renumber[id as usize]
            }
        };
        for node in &mut nodes {
            node.prev = map(node.prev);
            node.base.next = map(node.base.next);
            for l in node.upper.iter_mut() {
                l.next = map(l.next);
            }
        }
        self.tail = map(self.tail);
        self.nodes = nodes;
        self.free = Vec::new();
        self.index.shrink_to_fit();
    }

    fn release_header(&mut self) -> Node {
        std::mem::replace(
            &mut self.nodes[HEAD as usize],
            Node::new(Box::default(), 0.0, 1),
        )
    }
}

/// Walks the skiplist forwards or backwards.
#[derive(Clone)]
pub struct Walk<'a> {
    list: &'a SkipList,
    at: u32,
    reverse: bool,
}

impl<'a> Iterator for Walk<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        if self.at == NIL {
            return None;
        }
        let n = self.list.node(self.at);
        self.at = if self.reverse { n.prev } else { n.base.next };
        Some((&n.member, n.score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks every span, back link and the index against a walk.
    fn check(list: &SkipList) {
        let order: Vec<u32> = {
            let mut v = Vec::new();
            let mut x = list.node(HEAD).base.next;
            while x != NIL {
                v.push(x);
                x = list.node(x).base.next;
            }
            v
        };
        assert_eq!(order.len(), list.len);
        assert_eq!(list.index.len(), list.len);
        assert_eq!(list.tail, order.last().copied().unwrap_or(NIL));
        let rank_of = |id: u32| {
            if id == HEAD {
                0
            } else {
                order.iter().position(|&x| x == id).expect("linked") + 1
            }
        };
        for (i, &id) in order.iter().enumerate() {
            let expected_prev = if i == 0 { NIL } else { order[i - 1] };
            assert_eq!(list.node(id).prev, expected_prev);
            assert_eq!(list.find(&list.node(id).member), Some(id));
        }
        for w in order.windows(2) {
            let (a, b) = (list.node(w[0]), list.node(w[1]));
            assert_eq!(
                entry_cmp(a.score, &a.member, b.score, &b.member),
                Ordering::Less
            );
        }
        for id in std::iter::once(HEAD).chain(order.iter().copied()) {
            for level in 0..list.node(id).levels().min(list.level) {
                let l = list.node(id).link(level);
                let expected = if l.next == NIL {
                    list.len - rank_of(id)
                } else {
                    rank_of(l.next) - rank_of(id)
                };
                assert_eq!(l.span as usize, expected, "span of {id} at {level}");
            }
        }
    }

    fn members(list: &SkipList) -> Vec<String> {
        list.iter()
            .map(|(m, _)| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    #[test]
    fn insert_remove_rank_and_scores() {
        let mut list = SkipList::default();
        for i in 0..500u32 {
            let score = f64::from((i * 7919) % 101);
            list.insert(format!("m{i}").as_bytes(), score);
        }
        check(&list);
        let all: Vec<(Vec<u8>, f64)> = list.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        for (rank, (m, s)) in all.iter().enumerate() {
            assert_eq!(list.rank(m), Some(rank));
            assert_eq!(list.score(m), Some(*s));
            assert_eq!(list.node_at(rank).map(|id| list.entry(id).0), Some(&m[..]));
        }
        for i in (0..500u32).step_by(3) {
            assert!(list.remove(format!("m{i}").as_bytes()).is_some());
        }
        assert_eq!(list.remove(b"m0"), None);
        check(&list);
        assert_eq!(list.len(), 333);
    }

    #[test]
    fn score_changes_move_nodes_only_when_needed() {
        let mut list = SkipList::default();
        for (m, s) in [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)] {
            list.insert(m.as_bytes(), s);
        }
        list.set_score(b"b", 2.5);
        check(&list);
        assert_eq!(members(&list), ["a", "b", "c", "d"]);
        list.set_score(b"a", 10.0);
        list.set_score(b"d", -1.0);
        check(&list);
        assert_eq!(members(&list), ["d", "b", "c", "a"]);
        assert_eq!(list.score(b"a"), Some(10.0));
    }

    #[test]
    fn pops_rank_removal_reverse_walks_and_compaction() {
        let mut list = SkipList::default();
        for i in 0..1000 {
            list.insert(format!("{i:04}").as_bytes(), 0.0);
        }
        assert_eq!(
            list.pop(false).map(|(m, _)| m.to_vec()),
            Some(b"0000".to_vec())
        );
        assert_eq!(
            list.pop(true).map(|(m, _)| m.to_vec()),
            Some(b"0999".to_vec())
        );
        check(&list);
        let mut seen = Vec::new();
        assert_eq!(
            list.remove_ranks(10, 900, |m, _| seen.push(m.to_vec())),
            890
        );
        assert_eq!(seen.first().map(Vec::as_slice), Some(&b"0011"[..]));
        assert_eq!(seen.len(), 890);
        check(&list);
        assert!(list.nodes.len() < 300, "arena was compacted");
        let rev: Vec<_> = list
            .iter_from(0, true)
            .take(2)
            .map(|(m, _)| m.to_vec())
            .collect();
        assert_eq!(rev, [b"0998".to_vec(), b"0997".to_vec()]);
        assert_eq!(list.len(), 108);
        let rev: Vec<_> = list.iter_from(106, true).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(rev, [b"0002".to_vec(), b"0001".to_vec()]);
        assert_eq!(list.iter_from(108, true).next(), None);
        assert_eq!(list.iter_from(108, false).next(), None);
        assert_eq!(list.prefix_len(|m, _| m < &b"0005"[..]), 4);
        while list.pop(false).is_some() {}
        check(&list);
        assert!(list.is_empty());
    }
}
