//! The list type, built like Redis's quicklist: a deque of packed nodes.
//!
//! Each node is a `PackedList`: one contiguous byte buffer of entries. An
//! entry is its length as a [`varint`], the bytes, then the same varint
//! written backwards, so a node can be walked from either end. A small
//! element costs its bytes plus two bytes. This is reddish's own layout,
//! not Redis's listpack (the RDB writer re-encodes the elements); a list
//! only reports Redis's encoding names. Nodes are sized by
//! `list-max-listpack-size` (the list's `fill`): a positive fill caps the
//! entries per node (and a node at 8 KB), a negative one caps a node's
//! bytes at 4, 8, 16, 32 or 64 KB. Elements of at least the packed threshold
//! (DEBUG QUICKLIST-PACKED-THRESHOLD, 1 GB by default) live alone in a
//! "plain" node that nothing is ever added to.
//!
//! Pushes and pops touch only an end node; indexed access skips whole nodes
//! by their counts from the nearer end of the list, then walks entries from
//! the nearer end of the node. Integers are kept as their text, which
//! compares exactly as Redis compares its integer-encoded entries.

use super::varint;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

/// Which way an iteration walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From head to tail.
    Forward,
    /// From tail to head.
    Backward,
}

/// The packed threshold Redis starts with (and 0 restores).
pub const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

/// Elements at least this long get a plain node of their own.
static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PACKED_THRESHOLD);

/// Sets the packed threshold; 0 restores the default. Refuses (false)
/// values from just below 4 GB up, as Redis does.
pub fn set_packed_threshold(bytes: u64) -> bool {
    if bytes > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let bytes = if bytes == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        bytes as usize
    };
    PACKED_THRESHOLD.store(bytes, Ordering::Relaxed);
    true
}

fn is_large(len: usize) -> bool {
    len >= PACKED_THRESHOLD.load(Ordering::Relaxed)
}

/// Node byte limits for fill -1 .. -5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte cap of a node whose fill counts entries.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's per-entry overestimate when checking whether an entry fits.
const ENTRY_OVERHEAD_ESTIMATE: usize = 8;
/// Header and terminator bytes of a Redis listpack, counted in node sizes
/// so nodes split where Redis's do.
const LISTPACK_FRAME: usize = 7;
/// Largest entry-count fill (Redis keeps it in 15 bits).
const FILL_MAX: i64 = (1 << 15) - 1;
/// Smallest node buffer allocated, to avoid tiny reallocations.
const MIN_NODE_CAPACITY: usize = 16;

/// Bytes an element of `len` bytes takes in a node.
fn entry_size(len: usize) -> usize {
    len + 2 * varint::size(len)
}

/// Writes the entry for `data` into `out`, which is exactly
/// `entry_size(data.len())` bytes long: the length, the bytes, the length
/// again backwards.
fn encode_entry(out: &mut [u8], data: &[u8]) {
    let h = varint::size(data.len());
    let (head, rest) = out.split_at_mut(h);
    let (body, tail) = rest.split_at_mut(data.len());
    varint::encode(head, data.len());
    body.copy_from_slice(data);
    varint::encode_back(tail, data.len());
}

/// One node of the list: `count` entries packed in `buf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PackedList {
    buf: Vec<u8>,
    count: u32,
    /// Holds one large element; nothing else may join it.
    plain: bool,
}

impl PackedList {
    /// A node holding only `data`, allocated to size.
    fn with_entry(data: &[u8]) -> PackedList {
        let mut node = PackedList {
            buf: Vec::with_capacity(entry_size(data.len())),
            count: 0,
            plain: is_large(data.len()),
        };
        node.insert(0, data);
        node
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The element starting at byte `off` and the offset after it.
    #[inline(always)]
    fn entry_at(&self, off: usize) -> (&[u8], usize) {
        let (len, start) = varint::decode(&self.buf, off).unwrap_or((0, self.buf.len()));
        let data = self.buf.get(start..start + len).unwrap_or_default();
        (data, start + len + varint::size(len))
    }

    /// The element ending at byte `end` and the offset where it starts.
    #[inline(always)]
    fn entry_before(&self, end: usize) -> (&[u8], usize) {
        let (len, data_end) = varint::decode_back(&self.buf, end).unwrap_or((0, 0));
        let data_start = data_end.saturating_sub(len);
        let data = self.buf.get(data_start..data_end).unwrap_or_default();
        (data, data_start.saturating_sub(varint::size(len)))
    }

    /// Byte offset of entry `idx` (`buf.len()` for `idx == count`), walking
    /// from the nearer end.
    fn offset_of(&self, idx: usize) -> usize {
        let count = self.count as usize;
        if idx <= count / 2 {
            (0..idx).fold(0, |off, _| self.entry_at(off).1)
        } else {
            (idx..count).fold(self.buf.len(), |end, _| self.entry_before(end).1)
        }
    }

    /// Inserts `data` as an entry at byte offset `off`.
    fn insert(&mut self, off: usize, data: &[u8]) {
        let size = entry_size(data.len());
        let old_len = self.buf.len();
        let needed = old_len + size;
        if needed > self.buf.capacity() {
            // Grow by an eighth: little slack per node, amortized O(1).
            let target = needed.max(old_len + old_len / 8).max(MIN_NODE_CAPACITY);
            self.buf.reserve_exact(target - old_len);
        }
        self.buf.resize(needed, 0);
        self.buf.copy_within(off..old_len, off + size);
        encode_entry(&mut self.buf[off..off + size], data);
        self.count += 1;
    }

    /// Removes the `n` entries in bytes `from..to`.
    fn remove(&mut self, from: usize, to: usize, n: usize) {
        self.buf.drain(from..to);
        self.count -= n as u32;
    }

    /// True if `data` may be added to this node under `fill`.
    fn allows(&self, len: usize, fill: i32) -> bool {
        if self.plain || is_large(len) {
            return false;
        }
        let new_size = self.buf.len() + LISTPACK_FRAME + len + ENTRY_OVERHEAD_ESTIMATE;
        if fill < 0 {
            let level = (-fill - 1) as usize;
            return SIZE_LEVELS
                .get(level)
                .is_some_and(|&limit| new_size <= limit);
        }
        new_size <= SIZE_SAFETY_LIMIT && (self.count as i64) < i64::from(fill)
    }

    /// Splits at entry `idx` (byte `off`): this node keeps the entries
    /// before, the returned node gets the rest.
    fn split_off(&mut self, off: usize, idx: usize) -> PackedList {
        let rest = PackedList {
            buf: self.buf.split_off(off),
            count: self.count - idx as u32,
            plain: false,
        };
        self.count = idx as u32;
        self.buf.shrink_to_fit();
        rest
    }

    /// Offsets `(start, end)` of the entries equal to `elem`, in order.
    fn matches(&self, elem: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        let mut off = 0;
        while off < self.buf.len() {
            let (data, next) = self.entry_at(off);
            if data == elem {
                found.push((off, next));
            }
            off = next;
        }
        found
    }

    /// Removes the given entry ranges (sorted, disjoint) in one pass.
    fn remove_ranges(&mut self, ranges: &[(usize, usize)]) {
        let mut write = 0;
        let mut read = 0;
        for &(start, end) in ranges {
            self.buf.copy_within(read..start, write);
            write += start - read;
            read = end;
        }
        let tail = self.buf.len() - read;
        self.buf.copy_within(read.., write);
        self.buf.truncate(write + tail);
        self.count -= ranges.len() as u32;
    }
}

/// A list value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    nodes: VecDeque<PackedList>,
    len: usize,
    /// `list-max-listpack-size` when the list was created, clamped as Redis.
    fill: i32,
}

impl List {
    /// An empty list whose nodes follow `fill` (`list-max-listpack-size`).
    pub fn new(fill: i64) -> List {
        List {
            nodes: VecDeque::with_capacity(1),
            len: 0,
            fill: fill.clamp(-(SIZE_LEVELS.len() as i64), FILL_MAX) as i32,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The clamped fill factor (DEBUG OBJECT `ql_listpack_max`).
    pub fn fill(&self) -> i32 {
        self.fill
    }

    /// Number of nodes (DEBUG OBJECT `ql_nodes`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The size of each node as Redis would count it (entries plus the
    /// listpack frame).
    pub fn node_bytes(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().map(|n| n.buf.len() + LISTPACK_FRAME)
    }

    /// Gives back the spare capacity of every node (after a bulk load).
    pub fn shrink_to_fit(&mut self) {
        for node in &mut self.nodes {
            node.buf.shrink_to_fit();
        }
        self.nodes.shrink_to_fit();
    }

    /// Adds `data` at one end.
    pub fn push(&mut self, end: End, data: &[u8]) {
        let fill = self.fill;
        let node = match end {
            End::Head => self.nodes.front_mut(),
            End::Tail => self.nodes.back_mut(),
        };
        match node {
            Some(n) if n.allows(data.len(), fill) => {
                let off = if end == End::Head { 0 } else { n.buf.len() };
                n.insert(off, data);
            }
            full => {
                if let Some(n) = full {
                    n.buf.shrink_to_fit();
                }
                let fresh = PackedList::with_entry(data);
                match end {
                    End::Head => self.nodes.push_front(fresh),
                    End::Tail => self.nodes.push_back(fresh),
                }
            }
        }
        self.len += 1;
    }

    /// Removes the element at one end, handing it to `f` first (so it can
    /// be used without a copy).
    pub fn pop_with<R>(&mut self, end: End, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let node = match end {
            End::Head => self.nodes.front_mut()?,
            End::Tail => self.nodes.back_mut()?,
        };
        let (result, from, to) = match end {
            End::Head => {
                let (data, next) = node.entry_at(0);
                (f(data), 0, next)
            }
            End::Tail => {
                let len = node.buf.len();
                let (data, start) = node.entry_before(len);
                (f(data), start, len)
            }
        };
        node.remove(from, to, 1);
        if node.is_empty() {
            match end {
                End::Head => self.nodes.pop_front(),
                End::Tail => self.nodes.pop_back(),
            };
        }
        self.len -= 1;
        Some(result)
    }

    /// Removes and returns the element at one end.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        self.pop_with(end, <[u8]>::to_vec)
    }

    /// A Redis index (negative counts from the tail) as a position.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let index = if index < 0 { index + len } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }

    /// (node, entry within node) of element `index`, skipping nodes from
    /// the nearer end of the list.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        if index < self.len / 2 {
            let mut skipped = 0;
            for (i, node) in self.nodes.iter().enumerate() {
                let count = node.count as usize;
                if index < skipped + count {
                    return Some((i, index - skipped));
                }
                skipped += count;
            }
        } else {
            let mut after = self.len;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                let count = node.count as usize;
                after -= count;
                if index >= after {
                    return Some((i, index - after));
                }
            }
        }
        None
    }

    /// The element at a Redis index (negative counts from the tail).
    pub fn get(&self, index: i64) -> Option<&[u8]> {
        let (n, idx) = self.locate(self.resolve_index(index)?)?;
        let node = self.nodes.get(n)?;
        Some(node.entry_at(node.offset_of(idx)).0)
    }

    /// Replaces the element at a Redis index; false if out of range.
    pub fn set(&mut self, index: i64, data: &[u8]) -> bool {
        let Some((n, idx)) = self.resolve_index(index).and_then(|i| self.locate(i)) else {
            return false;
        };
        let Some(node) = self.nodes.get_mut(n) else {
            return false;
        };
        if node.count == 1 {
            *node = PackedList::with_entry(data);
            return true;
        }
        let off = node.offset_of(idx);
        let end = node.entry_at(off).1;
        node.remove(off, end, 1);
        if node.plain || !is_large(data.len()) {
            node.insert(off, data);
        } else {
            self.len -= 1;
            self.insert_at(n, off, idx, data);
        }
        true
    }

    /// Inserts `data` so it becomes entry `idx` (byte `off`) of node `n`,
    /// using a neighbour or a new node when that node is full, and
    /// splitting it when the entry lands in its middle.
    fn insert_at(&mut self, n: usize, off: usize, idx: usize, data: &[u8]) {
        let fill = self.fill;
        self.len += 1;
        let Some(node) = self.nodes.get_mut(n) else {
            self.nodes.push_back(PackedList::with_entry(data));
            return;
        };
        if node.allows(data.len(), fill) {
            node.insert(off, data);
            return;
        }
        let at_tail = idx == node.count as usize;
        let at_head = idx == 0;
        if at_tail {
            match self.nodes.get_mut(n + 1) {
                Some(next) if next.allows(data.len(), fill) => next.insert(0, data),
                _ => self.nodes.insert(n + 1, PackedList::with_entry(data)),
            }
        } else if at_head {
            match n.checked_sub(1).and_then(|p| self.nodes.get_mut(p)) {
                Some(prev) if prev.allows(data.len(), fill) => {
                    let end = prev.buf.len();
                    prev.insert(end, data);
                }
                _ => self.nodes.insert(n, PackedList::with_entry(data)),
            }
        } else {
            let rest = node.split_off(off, idx);
            let joined = node.allows(data.len(), fill);
            if joined {
                let end = node.buf.len();
                node.insert(end, data);
            } else {
                self.nodes.insert(n + 1, PackedList::with_entry(data));
            }
            self.nodes.insert(n + 1 + usize::from(!joined), rest);
        }
    }

    /// Inserts `data` before or after the first element equal to `pivot`;
    /// false if there is none.
    pub fn insert_beside(&mut self, pivot: &[u8], data: &[u8], after: bool) -> bool {
        for n in 0..self.nodes.len() {
            let Some(node) = self.nodes.get(n) else {
                break;
            };
            let mut off = 0;
            for idx in 0..node.count as usize {
                let (entry, next) = node.entry_at(off);
                if entry == pivot {
                    let (off, idx) = if after { (next, idx + 1) } else { (off, idx) };
                    self.insert_at(n, off, idx, data);
                    return true;
                }
                off = next;
            }
        }
        false
    }

    /// Removes `count` elements starting at position `start`.
    pub fn remove_range(&mut self, start: usize, count: usize) {
        let count = count.min(self.len.saturating_sub(start));
        let Some((mut n, mut idx)) = self.locate(start) else {
            return;
        };
        let mut left = count;
        while left > 0 {
            let Some(node) = self.nodes.get_mut(n) else {
                break;
            };
            let take = left.min(node.count as usize - idx);
            if take == node.count as usize {
                self.nodes.remove(n);
            } else {
                let from = node.offset_of(idx);
                let to = (0..take).fold(from, |off, _| node.entry_at(off).1);
                node.remove(from, to, take);
                n += 1;
            }
            left -= take;
            idx = 0;
        }
        self.len -= count;
    }

    /// Removes up to `limit` elements equal to `elem` (all when 0),
    /// searching from `from`; returns how many were removed.
    pub fn remove_matches(&mut self, elem: &[u8], limit: usize, from: End) -> usize {
        let mut removed = 0;
        let order: Vec<usize> = match from {
            End::Head => (0..self.nodes.len()).collect(),
            End::Tail => (0..self.nodes.len()).rev().collect(),
        };
        for n in order {
            let Some(node) = self.nodes.get_mut(n) else {
                continue;
            };
            let mut found = node.matches(elem);
            if limit > 0 {
                let room = limit - removed;
                if found.len() > room {
                    match from {
                        End::Head => found.truncate(room),
                        End::Tail => {
                            found.drain(..found.len() - room);
                        }
                    }
                }
            }
            if !found.is_empty() {
                node.remove_ranges(&found);
                removed += found.len();
            }
            if limit > 0 && removed == limit {
                break;
            }
        }
        self.nodes.retain(|n| !n.is_empty());
        self.len -= removed;
        removed
    }

    /// Every element from head to tail.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, Direction::Forward)
    }

    /// Elements from position `index` on, walking `dir`; empty when
    /// `index` is out of range.
    pub fn iter_from(&self, index: usize, dir: Direction) -> Iter<'_> {
        let (node, off) = match self.locate(index) {
            Some((n, idx)) => {
                let at = self.nodes.get(n).map_or(0, |node| {
                    let off = node.offset_of(idx);
                    match dir {
                        Direction::Forward => off,
                        Direction::Backward => node.entry_at(off).1,
                    }
                });
                (n, at)
            }
            None => (self.nodes.len(), 0),
        };
        Iter {
            list: self,
            node,
            off,
            dir,
        }
    }
}

/// Walks a list's elements in one direction.
pub struct Iter<'a> {
    list: &'a List,
    node: usize,
    /// Forward: offset of the next entry; backward: offset just past it.
    off: usize,
    dir: Direction,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let node = self.list.nodes.get(self.node)?;
            match self.dir {
                Direction::Forward => {
                    if self.off < node.buf.len() {
                        let (data, next) = node.entry_at(self.off);
                        self.off = next;
                        return Some(data);
                    }
                    self.node += 1;
                    self.off = 0;
                }
                Direction::Backward => {
                    if self.off > 0 {
                        let (data, start) = node.entry_before(self.off);
                        self.off = start;
                        return Some(data);
                    }
                    self.node = self.node.checked_sub(1)?;
                    self.off = self.list.nodes.get(self.node)?.buf.len();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic generator for the model tests.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    fn contents(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(<[u8]>::to_vec).collect()
    }

    /// Checks the list against the model and its internal invariants.
    fn check(l: &List, model: &VecDeque<Vec<u8>>) {
        let want: Vec<Vec<u8>> = model.iter().cloned().collect();
        assert_eq!(contents(l), want);
        let mut back: Vec<Vec<u8>> = l
            .iter_from(l.len().saturating_sub(1), Direction::Backward)
            .map(<[u8]>::to_vec)
            .collect();
        back.reverse();
        assert_eq!(back, want);
        assert_eq!(l.len(), model.len());
        assert_eq!(
            l.nodes.iter().map(|n| n.count as usize).sum::<usize>(),
            l.len()
        );
        assert!(l.nodes.iter().all(|n| !n.is_empty()));
    }

    fn element(rng: &mut Lcg) -> Vec<u8> {
        match rng.next(4) {
            0 => rng.next(1000).to_string().into_bytes(),
            1 => vec![b'x'; rng.next(300) as usize],
            2 => vec![b'y'; rng.next(20_000) as usize],
            _ => vec![b'a' + rng.next(3) as u8],
        }
    }

    fn random_ops(fill: i64, seed: u64, rounds: usize) {
        let mut rng = Lcg(seed);
        let mut l = List::new(fill);
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for _ in 0..rounds {
            let len = model.len() as u64;
            match rng.next(10) {
                0 => {
                    let e = element(&mut rng);
                    l.push(End::Head, &e);
                    model.push_front(e);
                }
                1 | 2 => {
                    let e = element(&mut rng);
                    l.push(End::Tail, &e);
                    model.push_back(e);
                }
                3 => assert_eq!(l.pop(End::Head), model.pop_front()),
                4 => assert_eq!(l.pop(End::Tail), model.pop_back()),
                5 if len > 0 => {
                    let i = rng.next(len) as usize;
                    let e = element(&mut rng);
                    assert!(l.set(i as i64, &e));
                    model[i] = e;
                }
                6 if len > 0 => {
                    let i = rng.next(len) as usize;
                    let pivot = model[i].clone();
                    let e = element(&mut rng);
                    let after = rng.next(2) == 0;
                    assert!(l.insert_beside(&pivot, &e, after));
                    let first = model.iter().position(|x| *x == pivot).unwrap();
                    model.insert(first + usize::from(after), e);
                }
                7 if len > 0 => {
                    let start = rng.next(len) as usize;
                    let count = rng.next(len + 2) as usize;
                    l.remove_range(start, count);
                    let end = (start + count).min(model.len());
                    model.drain(start..end);
                }
                8 => {
                    let e = vec![b'a' + rng.next(3) as u8];
                    let limit = rng.next(3) as usize;
                    let from = if rng.next(2) == 0 {
                        End::Head
                    } else {
                        End::Tail
                    };
                    let removed = l.remove_matches(&e, limit, from);
                    let mut positions: Vec<usize> = model
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| **x == e)
                        .map(|(i, _)| i)
                        .collect();
                    if from == End::Tail {
                        positions.reverse();
                    }
                    if limit > 0 {
                        positions.truncate(limit);
                    }
                    positions.sort_unstable();
                    for p in positions.iter().rev() {
                        model.remove(*p);
                    }
                    assert_eq!(removed, positions.len());
                }
                _ if len > 0 => {
                    let i = rng.next(2 * len) as i64 - len as i64;
                    let want = if i < 0 {
                        model.get((len as i64 + i) as usize)
                    } else {
                        model.get(i as usize)
                    };
                    assert_eq!(l.get(i), want.map(Vec::as_slice));
                }
                _ => {}
            }
            check(&l, &model);
        }
    }

    #[test]
    fn entry_encoding_round_trips() {
        for len in [0usize, 1, 127, 128, 300, 16383, 16384, 70_000] {
            let data = vec![7u8; len];
            let mut node = PackedList::default();
            node.insert(0, b"first");
            node.insert(node.buf.len(), &data);
            node.insert(node.buf.len(), b"last");
            assert_eq!(
                node.buf.len(),
                entry_size(5) + entry_size(len) + entry_size(4)
            );
            let (a, next) = node.entry_at(0);
            let (b, next) = node.entry_at(next);
            assert_eq!((a, b.len()), (&b"first"[..], len));
            assert_eq!(node.entry_at(next).0, b"last");
            let (c, start) = node.entry_before(node.buf.len());
            assert_eq!((c, node.entry_before(start).0.len()), (&b"last"[..], len));
        }
    }

    #[test]
    fn model_checked_operations_under_many_fills() {
        for (seed, fill) in [(1, -2), (2, -1), (3, -5), (4, 1), (5, 4), (6, 0), (7, 128)] {
            random_ops(fill, seed, 1500);
        }
    }

    #[test]
    fn nodes_follow_the_fill() {
        let mut by_count = List::new(5);
        let mut by_size = List::new(-1);
        for i in 0..100 {
            by_count.push(End::Tail, i.to_string().as_bytes());
            by_size.push(End::Tail, &[b'x'; 100]);
        }
        assert_eq!(by_count.node_count(), 20);
        // 4 KB nodes of ~100-byte elements: about 35 per node.
        assert_eq!(by_size.node_count(), 3);
        assert_eq!(List::new(-100).fill(), -5);
        assert_eq!(List::new(1 << 20).fill(), 32767);
    }

    #[test]
    fn small_lists_cost_close_to_their_payload() {
        let mut l = List::new(-2);
        for i in 0..100 {
            l.push(End::Tail, format!("item:{i:04}").as_bytes());
        }
        let payload = 100 * 9;
        let node = l.nodes.front().unwrap();
        assert_eq!(l.node_count(), 1);
        assert_eq!(node.buf.len(), payload + 200);
        assert!(node.buf.capacity() <= (payload + 200) * 9 / 8 + MIN_NODE_CAPACITY);
    }

    #[test]
    fn large_elements_get_plain_nodes() {
        assert!(!set_packed_threshold(1 << 32));
        assert!(set_packed_threshold(10));
        let mut l = List::new(-2);
        l.push(End::Tail, b"a");
        l.push(End::Tail, b"0123456789");
        l.push(End::Tail, b"b");
        assert_eq!(l.node_count(), 3);
        assert!(l.set(0, b"abcdefghijkl"));
        assert!(l.set(1, b"c"));
        assert!(l.insert_beside(b"c", b"zzzzzzzzzzzz", true));
        assert_eq!(
            contents(&l),
            [&b"abcdefghijkl"[..], b"c", b"zzzzzzzzzzzz", b"b"]
        );
        assert!(set_packed_threshold(0));
        assert_eq!(
            PACKED_THRESHOLD.load(Ordering::Relaxed),
            DEFAULT_PACKED_THRESHOLD
        );
    }

    #[test]
    fn indexes_and_iteration_bounds() {
        let mut l = List::new(2);
        for e in [b"a", b"b", b"c", b"d", b"e"] {
            l.push(End::Tail, e);
        }
        assert_eq!(l.get(-1), Some(&b"e"[..]));
        assert_eq!(l.get(-5), Some(&b"a"[..]));
        assert_eq!(l.get(-6), None);
        assert_eq!(l.get(5), None);
        assert!(!l.set(5, b"x"));
        let back: Vec<&[u8]> = l.iter_from(2, Direction::Backward).collect();
        assert_eq!(back, [&b"c"[..], b"b", b"a"]);
        assert_eq!(l.iter_from(9, Direction::Forward).count(), 0);
        l.remove_range(1, 100);
        assert_eq!(contents(&l), [b"a".to_vec()]);
    }
}
