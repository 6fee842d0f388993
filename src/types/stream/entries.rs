//! The entries of a stream: nodes (listpacks of consecutive entries, see
//! `node`) in a B-tree keyed by each node's first ID, so finding the node
//! that holds an ID takes O(log n) and ranges are walked node by node in
//! either direction. Alongside: the length, the last generated ID, the
//! first live ID, the largest deleted ID and the all-time count of added
//! entries, maintained as Redis maintains them.

use super::id::StreamId;
use super::node::{self, EntryAt, Fields, Master};
use crate::types::listpack::{Listpack, MAX_SAFE_SIZE};
use std::collections::btree_map;
use std::collections::BTreeMap;

/// Largest node Redis lets a listpack grow to, whatever the configuration.
const LISTPACK_MAX_SIZE: u64 = MAX_SAFE_SIZE as u64;
/// Most bytes a new node reserves up front.
const NODE_PREALLOC: u64 = 4096;

/// Node size limits (`stream-node-max-bytes`, `stream-node-max-entries`;
/// 0 means unlimited).
#[derive(Debug, Clone, Copy)]
pub struct NodeLimits {
    pub max_bytes: u64,
    pub max_entries: i64,
}

/// The ID an added entry gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewId {
    /// `*`: generated from the clock.
    Auto,
    /// `<ms>-*`: this time, a generated sequence.
    AutoSeq(u64),
    Exact(StreamId),
}

/// Why an entry could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not greater than the last one.
    IdTooSmall,
    /// The fields and values exceed what one node can hold.
    TooLarge,
}

/// What trimming keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimBy {
    MaxLen(u64),
    MinId(StreamId),
}

/// A trimming request.
#[derive(Debug, Clone, Copy)]
pub struct Trim {
    pub by: TrimBy,
    /// Only remove whole nodes.
    pub approx: bool,
    /// Most entries to remove (0: no limit).
    pub limit: u64,
}

/// A stream's counters and remembered IDs, apart from its nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries {
    nodes: BTreeMap<StreamId, Listpack>,
    length: u64,
    pub last_id: StreamId,
    /// First live entry (0-0 when empty).
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
}

impl Entries {
    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Entries made of existing nodes (keyed by their master IDs) and
    /// their metadata, as a saved stream is loaded back.
    pub fn from_nodes(nodes: impl IntoIterator<Item = (StreamId, Listpack)>, meta: Meta) -> Self {
        Entries {
            nodes: nodes.into_iter().collect(),
            length: meta.length,
            last_id: meta.last_id,
            first_id: meta.first_id,
            max_deleted_id: meta.max_deleted_id,
            entries_added: meta.entries_added,
        }
    }

    /// The nodes with their master IDs, in order.
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &Listpack)> + '_ {
        self.nodes.iter().map(|(id, lp)| (*id, lp))
    }

    /// Number of nodes (XINFO `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Each node's size in bytes, in order.
    pub fn node_sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.values().map(Listpack::total_bytes)
    }

    /// Heap bytes held by the nodes.
    pub fn heap_size(&self) -> usize {
        self.nodes.values().map(|lp| lp.capacity() + 64).sum()
    }

    /// Adds an entry (`pairs` alternates fields and values) and returns
    /// its ID.
    pub fn add(
        &mut self,
        new_id: NewId,
        pairs: &[&[u8]],
        limits: NodeLimits,
        now_ms: u64,
    ) -> Result<StreamId, AddError> {
        let id = match new_id {
            NewId::Auto => self.last_id.successor_at(now_ms),
            // Redis fails a sequence overflow here without saying why,
            // and its caller then reports the "too large" error.
            NewId::AutoSeq(ms) if ms == self.last_id.ms && self.last_id.seq == u64::MAX => {
                return Err(AddError::TooLarge)
            }
            NewId::AutoSeq(ms) if ms == self.last_id.ms => self.last_id.next(),
            NewId::AutoSeq(ms) => Some(StreamId::new(ms, 0)),
            NewId::Exact(id) => Some(id),
        };
        let id = id
            .filter(|&id| id > self.last_id)
            .ok_or(AddError::IdTooSmall)?;
        let total: u64 = pairs.iter().map(|p| p.len() as u64).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        self.append(id, pairs, total, limits);
        Ok(id)
    }

    fn append(&mut self, id: StreamId, pairs: &[&[u8]], total: u64, limits: NodeLimits) {
        let max_bytes = match limits.max_bytes {
            0 => LISTPACK_MAX_SIZE,
            n => n.min(LISTPACK_MAX_SIZE),
        };
        match self.nodes.last_entry() {
            Some(mut tail) if node_has_room(tail.get(), total, max_bytes, limits.max_entries) => {
                let master_id = *tail.key();
                node::append(tail.get_mut(), master_id, id, pairs);
            }
            tail => {
                if let Some(mut tail) = tail {
                    tail.get_mut().shrink_to_fit();
                }
                let prealloc = match limits.max_bytes {
                    0 => NODE_PREALLOC,
                    n => n.min(NODE_PREALLOC),
                };
                self.nodes
                    .insert(id, node::new_node(id, pairs, prealloc as usize));
            }
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Entries from `start` to `end` inclusive, backwards if `rev`, live
    /// ones only.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        let first_node = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(StreamId::MIN, |(k, _)| *k);
        let nodes = if first_node <= end {
            self.nodes.range(first_node..=end)
        } else {
            self.nodes.range(StreamId::MAX..StreamId::MAX)
        };
        Range {
            nodes,
            current: None,
            start,
            end,
            rev,
            skip_tombstones: true,
            done: false,
        }
    }

    /// Every entry, in order.
    pub fn iter(&self) -> Range<'_> {
        self.range(StreamId::MIN, StreamId::MAX, false)
    }

    /// The first (or last) entry's ID, tombstones included if asked; when
    /// there is none, the largest (or smallest) possible ID.
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> StreamId {
        let mut range = self.range(StreamId::MIN, StreamId::MAX, !first);
        range.skip_tombstones = skip_tombstones;
        match range.next() {
            Some(e) => e.id,
            None if first => StreamId::MAX,
            None => StreamId::MIN,
        }
    }

    /// ID of the last live entry.
    pub fn last_live_id(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, true)
            .next()
            .map(|e| e.id)
    }

    /// True if a live entry has this ID.
    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false).next().is_some()
    }

    /// Deletes the live entry `id`; true if there was one. A node whose
    /// last live entry goes is removed.
    fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master_id, lp)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let m = node::master(lp);
        let found = NodeEntries::forward(lp, master_id, m).find(|e| e.id >= id);
        let Some(entry) = found.filter(|e| e.id == id && !e.deleted()) else {
            return false;
        };
        if m.count <= 1 {
            self.nodes.remove(&master_id);
        } else {
            lp.replace_int(entry.flags_pos, entry.flags | node::FLAG_DELETED);
            node::set_counts(lp, m.count - 1, m.deleted + 1);
        }
        self.length -= 1;
        true
    }

    /// XDEL: deletes the given IDs, keeping the first and largest-deleted
    /// IDs up to date; returns how many existed.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_deleted = false;
        for &id in ids {
            if !self.delete(id) {
                continue;
            }
            first_deleted |= id == self.first_id;
            self.max_deleted_id = self.max_deleted_id.max(id);
            deleted += 1;
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_deleted {
                self.first_id = self.edge_id(true, true);
            }
        }
        deleted
    }

    /// Trims from the oldest entries; returns how many were removed.
    /// Whole nodes go first; approximate trimming stops at the first node
    /// it cannot remove entirely, exact trimming then flags entries of
    /// that node as deleted.
    pub fn trim(&mut self, trim: Trim) -> u64 {
        let mut deleted = 0;
        while let Some((&master_id, lp)) = self.nodes.first_key_value() {
            if let TrimBy::MaxLen(max) = trim.by {
                if self.length <= max {
                    break;
                }
            }
            let m = node::master(lp);
            let entries = m.count.max(0) as u64;
            if trim.limit != 0 && deleted + entries > trim.limit {
                break;
            }
            let remove_node = match trim.by {
                TrimBy::MaxLen(max) => self.length - entries >= max,
                TrimBy::MinId(min) => {
                    node_last_id(lp, master_id, &m).is_some_and(|last| last < min)
                }
            };
            if remove_node {
                self.nodes.remove(&master_id);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if !trim.approx {
                deleted += self.trim_inside_first_node(trim.by);
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true, true);
        }
        deleted
    }

    /// Flags the oldest entries of the first node deleted until the trim
    /// condition holds; returns how many were flagged.
    fn trim_inside_first_node(&mut self, by: TrimBy) -> u64 {
        let mut length = self.length;
        let Some(mut first) = self.nodes.first_entry() else {
            return 0;
        };
        let master_id = *first.key();
        let lp = first.get_mut();
        let m = node::master(lp);
        let mut flagged = 0;
        let mut pos = node::first_entry(lp, &m);
        while let Some(p) = pos {
            let e = node::entry_at(lp, master_id, &m, p);
            let stop = match by {
                TrimBy::MaxLen(max) => length <= max,
                TrimBy::MinId(min) => e.id >= min,
            };
            if stop {
                break;
            }
            pos = node::next_entry(lp, &e);
            if !e.deleted() {
                // Same one-byte encoding: later positions do not move.
                lp.replace_int(e.flags_pos, e.flags | node::FLAG_DELETED);
                flagged += 1;
                length -= 1;
            }
        }
        node::set_counts(lp, m.count - flagged as i64, m.deleted + flagged as i64);
        self.length = length;
        flagged
    }

    /// True if a tombstone may lie between `start` and `end` (Redis's
    /// cheap check against the largest deleted ID).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// The logical read counter of `id` (how many entries were ever added
    /// up to it), when it can be known; `None` otherwise.
    pub fn counter_of(&self, id: StreamId) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(added);
        }
        if id == self.last_id {
            return Some(added);
        }
        if id > self.last_id {
            return None;
        }
        let no_fragmentation = self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id;
        if no_fragmentation {
            let before_first = added - self.length as i64;
            if id < self.first_id {
                return Some(before_first);
            }
            if id == self.first_id {
                return Some(before_first + 1);
            }
        }
        None
    }

    /// Node count of Redis's radix tree over the node keys (XINFO
    /// `radix-tree-nodes`): a compressed trie of the 16-byte keys.
    pub fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        trie_nodes(&keys, 0)
    }
}

/// True if `lp` can take another entry of `total` field and value bytes.
fn node_has_room(lp: &Listpack, total: u64, max_bytes: u64, max_entries: i64) -> bool {
    if lp.total_bytes() as u64 + total >= max_bytes {
        return false;
    }
    if max_entries != 0 {
        let m = node::master(lp);
        if m.count + m.deleted >= max_entries {
            return false;
        }
    }
    true
}

/// ID of a node's last entry, deleted or not.
fn node_last_id(lp: &Listpack, master_id: StreamId, m: &Master) -> Option<StreamId> {
    node::last_entry(lp).map(|p| node::entry_at(lp, master_id, m, p).id)
}

/// Nodes of a compressed trie holding `keys` (sorted, unique, 16 bytes,
/// sharing their first `depth` bytes), counting the node that reaches them.
fn trie_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return 0;
    };
    if keys.len() == 1 {
        // A compressed node with the rest of the key, then the key's leaf.
        return if depth >= 16 { 1 } else { 2 };
    }
    let common = first[depth..]
        .iter()
        .zip(&last[depth..])
        .take_while(|(a, b)| a == b)
        .count();
    let compressed = usize::from(common > 0);
    let depth = depth + common;
    let mut nodes = 1 + compressed;
    let mut rest = keys;
    while let Some(head) = rest.first() {
        let byte = head[depth];
        let n = rest.iter().take_while(|k| k[depth] == byte).count();
        nodes += trie_nodes(&rest[..n], depth + 1);
        rest = &rest[n..];
    }
    nodes
}

/// The entries of one node, walked in one direction.
struct NodeEntries<'a> {
    lp: &'a Listpack,
    master_id: StreamId,
    master: Master,
    pos: Option<usize>,
    rev: bool,
}

impl<'a> NodeEntries<'a> {
    fn forward(lp: &'a Listpack, master_id: StreamId, master: Master) -> Self {
        let pos = node::first_entry(lp, &master);
        NodeEntries {
            lp,
            master_id,
            master,
            pos,
            rev: false,
        }
    }

    fn backward(lp: &'a Listpack, master_id: StreamId, master: Master) -> Self {
        NodeEntries {
            lp,
            master_id,
            master,
            pos: node::last_entry(lp),
            rev: true,
        }
    }
}

impl Iterator for NodeEntries<'_> {
    type Item = EntryAt;

    fn next(&mut self) -> Option<EntryAt> {
        let p = self.pos?;
        let e = node::entry_at(self.lp, self.master_id, &self.master, p);
        self.pos = if self.rev {
            node::prev_entry(self.lp, p)
        } else {
            node::next_entry(self.lp, &e)
        };
        Some(e)
    }
}

/// One entry read from a stream.
#[derive(Clone)]
pub struct Entry<'a> {
    pub id: StreamId,
    pub deleted: bool,
    fields: Fields<'a>,
}

impl<'a> Entry<'a> {
    pub fn num_fields(&self) -> usize {
        self.fields.size_hint().0
    }

    /// The field/value pairs.
    pub fn fields(&self) -> Fields<'a> {
        self.fields.clone()
    }
}

/// Entries between two IDs, in either direction.
pub struct Range<'a> {
    nodes: btree_map::Range<'a, StreamId, Listpack>,
    current: Option<NodeEntries<'a>>,
    start: StreamId,
    end: StreamId,
    rev: bool,
    skip_tombstones: bool,
    done: bool,
}

impl<'a> Range<'a> {
    /// The next entry of the current node, moving to the next node when
    /// it is exhausted.
    fn next_raw(&mut self) -> Option<(EntryAt, &'a Listpack, Master)> {
        loop {
            if let Some(cur) = self.current.as_mut() {
                if let Some(e) = cur.next() {
                    return Some((e, cur.lp, cur.master));
                }
            }
            let (&master_id, lp) = if self.rev {
                self.nodes.next_back()?
            } else {
                self.nodes.next()?
            };
            let m = node::master(lp);
            self.current = Some(if self.rev {
                NodeEntries::backward(lp, master_id, m)
            } else {
                NodeEntries::forward(lp, master_id, m)
            });
        }
    }
}

impl<'a> Iterator for Range<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        while !self.done {
            let Some((e, lp, m)) = self.next_raw() else {
                self.done = true;
                break;
            };
            if self.skip_tombstones && e.deleted() {
                continue;
            }
            let (before, beyond) = if self.rev {
                (e.id > self.end, e.id < self.start)
            } else {
                (e.id < self.start, e.id > self.end)
            };
            if beyond {
                self.done = true;
                break;
            }
            if before {
                continue;
            }
            return Some(Entry {
                id: e.id,
                deleted: e.deleted(),
                fields: Fields::new(lp, &m, &e),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::listpack::Elem;

    const LIMITS: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 3,
    };

    fn filled(n: u64) -> Entries {
        let mut s = Entries::default();
        for i in 1..=n {
            s.add(NewId::Exact(StreamId::new(i, 0)), &[b"f", b"v"], LIMITS, 0)
                .unwrap();
        }
        s
    }

    fn ids(r: Range) -> Vec<u64> {
        r.map(|e| e.id.ms).collect()
    }

    #[test]
    fn add_checks_ids() {
        let mut s = Entries::default();
        let a = s.add(NewId::Auto, &[b"f", b"v"], LIMITS, 1000).unwrap();
        assert_eq!(a, StreamId::new(1000, 0));
        let b = s.add(NewId::Auto, &[b"f", b"v"], LIMITS, 999).unwrap();
        assert_eq!(b, StreamId::new(1000, 1));
        let c = s
            .add(NewId::AutoSeq(1000), &[b"f", b"v"], LIMITS, 0)
            .unwrap();
        assert_eq!(c, StreamId::new(1000, 2));
        assert_eq!(
            s.add(NewId::AutoSeq(5), &[b"f", b"v"], LIMITS, 0),
            Err(AddError::IdTooSmall)
        );
        assert_eq!(
            s.add(NewId::Exact(c), &[b"f", b"v"], LIMITS, 0),
            Err(AddError::IdTooSmall)
        );
        assert_eq!(s.len(), 3);
        let first = s.iter().next().unwrap();
        let fields: Vec<_> = first.fields().collect();
        assert_eq!(fields, vec![(Elem::Str(b"f"), Elem::Str(b"v"))]);
    }

    #[test]
    fn ranges_cross_nodes_both_ways() {
        let s = filled(10);
        assert_eq!(s.node_count(), 4);
        assert_eq!(
            ids(s.range(StreamId::new(3, 0), StreamId::new(8, 0), false)),
            vec![3, 4, 5, 6, 7, 8]
        );
        assert_eq!(
            ids(s.range(StreamId::new(3, 1), StreamId::new(8, 0), true)),
            vec![8, 7, 6, 5, 4]
        );
        assert_eq!(
            ids(s.range(StreamId::new(11, 0), StreamId::MAX, false)),
            Vec::<u64>::new()
        );
        assert_eq!(
            ids(s.range(StreamId::new(5, 0), StreamId::new(4, 0), false)),
            Vec::<u64>::new()
        );
    }

    #[test]
    fn delete_flags_entries_and_drops_empty_nodes() {
        let mut s = filled(6);
        assert_eq!(s.delete_ids(&[StreamId::new(1, 0), StreamId::new(1, 0)]), 1);
        assert_eq!(s.first_id, StreamId::new(2, 0));
        assert_eq!(s.delete_ids(&[StreamId::new(2, 0), StreamId::new(3, 0)]), 2);
        assert_eq!(s.node_count(), 1);
        assert_eq!(s.max_deleted_id, StreamId::new(3, 0));
        assert_eq!(ids(s.iter()), vec![4, 5, 6]);
        assert!(!s.contains(StreamId::new(2, 0)));
        assert!(s.contains(StreamId::new(5, 0)));
    }

    #[test]
    fn trimming() {
        let mut s = filled(10);
        let approx = Trim {
            by: TrimBy::MaxLen(5),
            approx: true,
            limit: 0,
        };
        assert_eq!(s.trim(approx), 3);
        assert_eq!(s.len(), 7);
        let exact = Trim {
            approx: false,
            ..approx
        };
        assert_eq!(s.trim(exact), 2);
        assert_eq!(ids(s.iter()), vec![6, 7, 8, 9, 10]);
        assert_eq!(s.first_id, StreamId::new(6, 0));
        let by_id = Trim {
            by: TrimBy::MinId(StreamId::new(9, 0)),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(by_id), 3);
        assert_eq!(ids(s.iter()), vec![9, 10]);
        // Flagged entries stay in their node as tombstones.
        assert_eq!(s.first_id, StreamId::new(9, 0));
        assert_eq!(s.edge_id(true, false), StreamId::new(7, 0));
    }

    #[test]
    fn radix_tree_node_counts() {
        // Counts Redis 7.0.15 reports for the same streams.
        assert_eq!(Entries::default().radix_tree_nodes(), 1);
        assert_eq!(filled(1).radix_tree_nodes(), 2);
        assert_eq!(filled(4).radix_tree_nodes(), 6);
        let mut s = filled(40);
        assert_eq!((s.node_count(), s.radix_tree_nodes()), (14, 30));
        for ms in [300, 301, 302, 70000] {
            s.add(NewId::Exact(StreamId::new(ms, 0)), &[b"f", b"v"], LIMITS, 0)
                .unwrap();
        }
        assert_eq!((s.node_count(), s.radix_tree_nodes()), (15, 33));
        s.delete_ids(&[
            StreamId::new(4, 0),
            StreamId::new(5, 0),
            StreamId::new(6, 0),
        ]);
        assert_eq!((s.node_count(), s.radix_tree_nodes()), (14, 31));
    }

    #[test]
    fn read_counters() {
        let mut s = filled(5);
        assert_eq!(s.counter_of(StreamId::new(5, 0)), Some(5));
        assert_eq!(s.counter_of(StreamId::new(1, 0)), Some(1));
        assert_eq!(s.counter_of(StreamId::new(3, 0)), None);
        assert_eq!(s.counter_of(StreamId::new(6, 0)), None);
        s.delete_ids(&[StreamId::new(3, 0)]);
        assert!(s.range_has_tombstones(StreamId::new(2, 0), StreamId::MAX));
        assert!(!s.range_has_tombstones(StreamId::new(4, 0), StreamId::MAX));
    }
}
