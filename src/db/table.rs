//! The keyspace map: keys and their objects in insertion order, found by
//! hash, with each key's expiry beside it.
//!
//! Built for bytes per key. The entries are one dense vector, so a key is
//! reached by position in O(1) (RANDOMKEY, expiry sampling, SCAN) and a
//! removal moves the last entry into the hole, as `IndexMap` does. The hash
//! index is chained: one `u32` head per bucket (at most one bucket per
//! key) and each chain's next link kept in the object's spare padding
//! ([`Object::link`]), so the whole index costs about 4 bytes a key where
//! a probing table of positions costs 9 to 18. No hash is stored: growing
//! the index rehashes the keys.
//!
//! The index grows and shrinks incrementally, as Redis's dict rehashes:
//! a resize keeps the old bucket array beside the new one and moves its
//! chains over a few buckets at a time on each write (and in the cron), so
//! no single command pays for relinking a million keys. A key's chain is
//! in the old array while its old bucket is not moved yet, in the new one
//! otherwise, so a lookup still walks exactly one chain.
//!
//! Expiries live in a second dense vector (position of the key, time), so
//! keys with a TTL can be sampled by position, and a per-position slot
//! table, created with the first expiry, finds a key's expiry without
//! hashing it again.

use super::Key;
use crate::types::sip::SipBuild;
use crate::types::Object;
use std::hash::BuildHasher;

/// No entry: the end of a chain, an empty bucket, a key without expiry.
const NONE: u32 = u32::MAX;

/// Fewest buckets an index that holds anything has.
const MIN_BUCKETS: usize = 4;

/// Most buckets of the old index one incremental rehash step visits, and
/// most entries it moves (a step stops at whichever comes first).
const STEP_BUCKETS: usize = 64;
const STEP_ENTRIES: usize = 16;
/// While growth is avoided, the index still grows once it holds more than
/// this many keys a bucket (Redis's `dict_force_resize_ratio`).
const FORCE_GROWTH_RATIO: usize = 5;

/// One key and its object.
#[derive(Debug, Clone)]
pub struct Entry {
    key: Key,
    obj: Object,
}

/// A key's expiry: where the key is, and when (unix milliseconds).
#[derive(Debug, Clone, Copy)]
struct Expiry {
    pos: u32,
    when: i64,
}

#[derive(Debug, Default, Clone)]
pub struct Keyspace {
    entries: Vec<Entry>,
    /// The first entry of each bucket's chain; a power of two long.
    buckets: Vec<u32>,
    /// While resizing: the previous index, whose buckets from `moved` on
    /// still hold their chains. Empty otherwise.
    old_buckets: Vec<u32>,
    moved: usize,
    expiries: Vec<Expiry>,
    /// Per entry position, its index in `expiries` or `NONE`; empty until
    /// the first expiry is set.
    expiry_slots: Vec<u32>,
    /// A fork child shares the memory: the index grows only when very
    /// full, so rehashing does not copy pages (Redis's `DICT_RESIZE_AVOID`).
    growth_avoided: bool,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(NONE)
}

/// The bucket of `hash` in an index of `buckets` (a power of two) buckets:
/// the hash's low bits.
fn bucket_in(hash: u64, buckets: usize) -> usize {
    (hash as usize) & buckets.wrapping_sub(1)
}

impl Keyspace {
    /// Bytes a key costs in the table: its entry and (at most) one bucket.
    pub const ENTRY_BYTES: usize = std::mem::size_of::<Entry>() + std::mem::size_of::<u32>();

    /// Bytes an expiry costs: its record and its slot.
    pub const EXPIRY_BYTES: usize = std::mem::size_of::<Expiry>() + std::mem::size_of::<u32>();

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries the table holds without growing.
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Buckets of the hash index (DEBUG HTSTATS).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Whether the index is being resized (old buckets still to move).
    pub fn is_rehashing(&self) -> bool {
        !self.old_buckets.is_empty()
    }

    /// Whether the index avoids growing (while a fork child runs).
    pub fn set_growth_avoided(&mut self, avoided: bool) {
        self.growth_avoided = avoided;
    }

    /// Whether holding `len` keys needs more buckets, as Redis's
    /// `_dictExpandIfNeeded` decides.
    fn needs_growth(&self, len: usize) -> bool {
        let buckets = self.buckets.len();
        buckets == 0
            || (len >= buckets && (!self.growth_avoided || len / buckets > FORCE_GROWTH_RATIO))
    }

    /// The length of the chain in each bucket of the index, as Redis's
    /// dict statistics see its tables: the main table and, while a resize
    /// is under way, the table it moves into (in Redis's terms the old
    /// array is the main table, its moved buckets empty, and the new one
    /// the rehashing target).
    pub fn chain_lengths(&self) -> (Vec<usize>, Option<Vec<usize>>) {
        // Buckets before `from` count as empty (an old array's moved ones).
        let lengths = |heads: &[u32], from: usize| -> Vec<usize> {
            let length = |&head: &u32| {
                std::iter::successors(Some(head).filter(|&p| p != NONE), |&p| {
                    Some(self.link_of(p)).filter(|&next| next != NONE)
                })
                .count()
            };
            let moved = heads.iter().take(from).map(|_| 0);
            moved.chain(heads.iter().skip(from).map(length)).collect()
        };
        if self.is_rehashing() {
            let main = lengths(&self.old_buckets, self.moved);
            (main, Some(lengths(&self.buckets, 0)))
        } else {
            (lengths(&self.buckets, 0), None)
        }
    }

    /// Makes room for `additional` more entries (a bulk load: the index is
    /// rebuilt at its new size at once).
    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
        let wanted = self.len().saturating_add(additional);
        if wanted > self.buckets.len() {
            self.rehash(wanted.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    fn hash(&self, key: &[u8]) -> u64 {
        SipBuild.hash_one(key)
    }

    /// The chain head for `hash`: in the old index while its bucket there
    /// is not moved yet, in the current one otherwise.
    fn head_slot(&self, hash: u64) -> (bool, usize) {
        let old = bucket_in(hash, self.old_buckets.len());
        if self.is_rehashing() && old >= self.moved {
            (true, old)
        } else {
            (false, bucket_in(hash, self.buckets.len()))
        }
    }

    fn head(&self, hash: u64) -> u32 {
        match self.head_slot(hash) {
            (true, b) => self.old_buckets.get(b),
            (false, b) => self.buckets.get(b),
        }
        .copied()
        .unwrap_or(NONE)
    }

    fn head_mut(&mut self, hash: u64) -> Option<&mut u32> {
        match self.head_slot(hash) {
            (true, b) => self.old_buckets.get_mut(b),
            (false, b) => self.buckets.get_mut(b),
        }
    }

    fn link_of(&self, pos: u32) -> u32 {
        self.entries.get(pos as usize).map_or(NONE, |e| e.obj.link)
    }

    /// The position of `key`, given its hash.
    fn find(&self, key: &[u8], hash: u64) -> Option<usize> {
        let mut pos = self.head(hash);
        while let Some(entry) = self.entries.get(pos as usize) {
            if entry.key.as_bytes() == key {
                return Some(pos as usize);
            }
            pos = entry.obj.link;
        }
        None
    }

    /// The position of `key`, if present.
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        self.find(key, self.hash(key))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        let pos = self.position(key)?;
        self.entries.get(pos).map(|e| &e.obj)
    }

    /// The object of `key`. Change its value or access data, never the
    /// whole object: the table keeps its chain link in it.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Object> {
        let pos = self.position(key)?;
        self.entries.get_mut(pos).map(|e| &mut e.obj)
    }

    /// The position, key and object of `key`.
    pub fn get_full_mut(&mut self, key: &[u8]) -> Option<(usize, &Key, &mut Object)> {
        let pos = self.position(key)?;
        self.entries.get_mut(pos).map(|e| (pos, &e.key, &mut e.obj))
    }

    pub fn get_index(&self, pos: usize) -> Option<(&Key, &Object)> {
        self.entries.get(pos).map(|e| (&e.key, &e.obj))
    }

    pub fn get_index_mut(&mut self, pos: usize) -> Option<(&Key, &mut Object)> {
        self.entries.get_mut(pos).map(|e| (&e.key, &mut e.obj))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Object)> {
        self.entries.iter().map(|e| (&e.key, &e.obj))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.entries.iter().map(|e| &e.key)
    }

    /// Stores `obj` under `key`, keeping the key's expiry. Returns the
    /// key's position and the object it replaced.
    pub fn insert(&mut self, key: &[u8], obj: Object) -> (usize, Option<Object>) {
        let hash = self.hash(key);
        match self.find(key, hash) {
            Some(pos) => (pos, self.replace_at(pos, obj)),
            None => (self.push(Key::from(key), hash, obj), None),
        }
    }

    /// [`Keyspace::insert`] for a key already owned (no copy).
    pub fn insert_owned(&mut self, key: Key, obj: Object) -> (usize, Option<Object>) {
        let hash = self.hash(&key);
        match self.find(&key, hash) {
            Some(pos) => (pos, self.replace_at(pos, obj)),
            None => (self.push(key, hash, obj), None),
        }
    }

    /// Replaces the object at `pos`; like any write, moves a resize under
    /// way along.
    fn replace_at(&mut self, pos: usize, mut obj: Object) -> Option<Object> {
        self.rehash_step();
        let entry = self.entries.get_mut(pos)?;
        obj.link = entry.obj.link;
        Some(std::mem::replace(&mut entry.obj, obj))
    }

    /// Appends a key known to be absent; returns its position.
    fn push(&mut self, key: Key, hash: u64, mut obj: Object) -> usize {
        let pos = self.entries.len();
        self.rehash_step();
        if self.needs_growth(pos) && self.may_grow_index(pos + 1) {
            self.start_resize((pos + 1).next_power_of_two().max(MIN_BUCKETS));
            // The new index holds keys from the start, as Redis's dict
            // adds the key that made it grow to its new table.
            self.rehash_step();
        }
        if let Some(head) = self.head_mut(hash) {
            obj.link = *head;
            *head = to_u32(pos);
        }
        self.entries.push(Entry { key, obj });
        if !self.expiry_slots.is_empty() {
            self.expiry_slots.push(NONE);
        }
        pos
    }

    /// Whether the index may grow to hold `keys` keys: always when it is
    /// overfull (more than 1.618 keys a bucket) or tiny, otherwise only if
    /// the bigger bucket array fits under `maxmemory` (as Redis's
    /// `dictExpandAllowed`: growing must not itself cause evictions).
    fn may_grow_index(&self, keys: usize) -> bool {
        let buckets = self.buckets.len();
        buckets < MIN_BUCKETS
            || keys * 1000 > buckets * 1618
            || crate::alloc::fits_in_limit(keys.next_power_of_two() * std::mem::size_of::<u32>())
    }

    /// Rebuilds the index with `buckets` buckets at once.
    fn rehash(&mut self, buckets: usize) {
        self.drop_old_index();
        self.buckets = vec![NONE; buckets];
        for pos in 0..self.entries.len() {
            let Some(entry) = self.entries.get(pos) else {
                break;
            };
            let bucket = bucket_in(self.hash(&entry.key), buckets);
            self.link_into_current(bucket, to_u32(pos));
        }
    }

    /// Puts the entry at `pos` at the head of the current index's
    /// `bucket`.
    fn link_into_current(&mut self, bucket: usize, pos: u32) {
        if let (Some(head), Some(entry)) = (
            self.buckets.get_mut(bucket),
            self.entries.get_mut(pos as usize),
        ) {
            entry.obj.link = *head;
            *head = pos;
        }
    }

    /// Begins moving the index to `buckets` buckets (a resize under way
    /// is finished first).
    fn start_resize(&mut self, buckets: usize) {
        self.finish_rehash();
        if self.entries.is_empty() {
            self.buckets = vec![NONE; buckets];
            return;
        }
        self.old_buckets = std::mem::replace(&mut self.buckets, vec![NONE; buckets]);
        self.moved = 0;
    }

    /// Moves the chains of a few old buckets into the current index (at
    /// most [`STEP_BUCKETS`] buckets or [`STEP_ENTRIES`] entries).
    fn rehash_step(&mut self) {
        let mut entries = 0;
        for _ in 0..STEP_BUCKETS {
            if !self.is_rehashing() || entries >= STEP_ENTRIES {
                return;
            }
            entries += self.move_old_bucket();
        }
    }

    /// Moves the next old bucket's chain; returns how many entries it had.
    fn move_old_bucket(&mut self) -> usize {
        let Some(head) = self.old_buckets.get_mut(self.moved) else {
            self.drop_old_index();
            return 0;
        };
        let mut pos = std::mem::replace(head, NONE);
        self.moved += 1;
        let mut count = 0;
        while let Some(entry) = self.entries.get(pos as usize) {
            let next = entry.obj.link;
            let bucket = bucket_in(self.hash(&entry.key), self.buckets.len());
            self.link_into_current(bucket, pos);
            pos = next;
            count += 1;
        }
        if self.moved >= self.old_buckets.len() {
            self.drop_old_index();
        }
        count
    }

    /// Ends a resize: frees the old bucket array.
    fn drop_old_index(&mut self) {
        self.old_buckets = Vec::new();
        self.moved = 0;
    }

    /// Finishes a resize under way.
    fn finish_rehash(&mut self) {
        while self.is_rehashing() {
            self.move_old_bucket();
        }
    }

    /// Advances a resize under way by up to `buckets` old buckets (the
    /// cron's active rehashing); whether one is still under way.
    pub fn rehash_buckets(&mut self, buckets: usize) -> bool {
        for _ in 0..buckets {
            if !self.is_rehashing() {
                break;
            }
            self.move_old_bucket();
        }
        self.is_rehashing()
    }

    /// Makes whatever pointed at position `from` in `hash`'s chain point
    /// at `to` instead.
    fn repoint(&mut self, hash: u64, from: u32, to: u32) {
        let Some(head) = self.head_mut(hash) else {
            return;
        };
        if *head == from {
            *head = to;
            return;
        }
        let mut pos = *head;
        while pos != NONE {
            let next = self.link_of(pos);
            if next == from {
                if let Some(entry) = self.entries.get_mut(pos as usize) {
                    entry.obj.link = to;
                }
                return;
            }
            pos = next;
        }
    }

    /// Removes `key`, moving the last entry into its place. Returns its
    /// object and expiry.
    pub fn swap_remove(&mut self, key: &[u8]) -> Option<(Object, Option<i64>)> {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        let pos = self.find(key, hash)?;
        Some(self.swap_remove_found(pos, hash))
    }

    fn swap_remove_found(&mut self, pos: usize, hash: u64) -> (Object, Option<i64>) {
        let next = self.link_of(to_u32(pos));
        self.repoint(hash, to_u32(pos), next);
        let last = self.entries.len() - 1;
        if pos != last {
            let moved = self.entries.get(last).map(|e| self.hash(&e.key));
            if let Some(moved) = moved {
                self.repoint(moved, to_u32(last), to_u32(pos));
            }
        }
        let expire = self.forget_expiry(pos, last);
        let entry = self.entries.swap_remove(pos);
        self.after_removal();
        (entry.obj, expire)
    }

    /// Moves the resize under way along, starts shrinking an index grown
    /// eight times too big, and frees the index of an emptied table.
    fn after_removal(&mut self) {
        if self.entries.is_empty() {
            self.buckets = Vec::new();
            self.drop_old_index();
            return;
        }
        self.rehash_step();
        if !self.is_rehashing()
            && !self.growth_avoided
            && self.buckets.len() > MIN_BUCKETS
            && self.entries.len() * 8 < self.buckets.len()
        {
            let buckets = (self.entries.len() * 2).next_power_of_two();
            self.start_resize(buckets.max(MIN_BUCKETS));
        }
    }

    /// The expiry bookkeeping of removing position `pos` while `last`
    /// moves into it; returns the removed key's expiry.
    fn forget_expiry(&mut self, pos: usize, last: usize) -> Option<i64> {
        if self.expiry_slots.is_empty() {
            return None;
        }
        let slot = self.expiry_slots.swap_remove(pos);
        if pos != last {
            let moved = self.expiry_slots.get(pos).copied().unwrap_or(NONE);
            if let Some(e) = self.expiries.get_mut(moved as usize) {
                e.pos = to_u32(pos);
            }
        }
        self.drop_expiry(slot)
    }

    /// Removes the expiry at `slot` of `expiries`; returns its time.
    fn drop_expiry(&mut self, slot: u32) -> Option<i64> {
        let slot = slot as usize;
        if slot >= self.expiries.len() {
            return None;
        }
        let removed = self.expiries.swap_remove(slot);
        if let Some(moved) = self.expiries.get(slot) {
            if let Some(s) = self.expiry_slots.get_mut(moved.pos as usize) {
                *s = to_u32(slot);
            }
        }
        Some(removed.when)
    }

    /// Bytes of room held for entries and expiries not added yet: storage
    /// grows by doubling and the part not written yet is never touched,
    /// so it is not resident and memory reports leave it out.
    pub fn spare_bytes(&self) -> usize {
        (self.capacity() - self.len()) * std::mem::size_of::<Entry>()
            + (self.expires_capacity() - self.expires_len()) * std::mem::size_of::<Expiry>()
    }

    // --- Expiries ---

    /// Keys with an expiry.
    pub fn expires_len(&self) -> usize {
        self.expiries.len()
    }

    /// Expiries held without growing.
    pub fn expires_capacity(&self) -> usize {
        self.expiries.capacity()
    }

    /// Makes room for `additional` more expiries.
    pub fn reserve_expires(&mut self, additional: usize) {
        self.expiries.reserve(additional);
    }

    /// The expiry of the key at `pos`.
    pub fn expire_at(&self, pos: usize) -> Option<i64> {
        let slot = *self.expiry_slots.get(pos)?;
        self.expiries.get(slot as usize).map(|e| e.when)
    }

    /// The expiry of `key`.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        if self.expiries.is_empty() {
            return None;
        }
        self.expire_at(self.position(key)?)
    }

    /// The `n`th key with an expiry, and its time (sampling).
    pub fn nth_expiry(&self, n: usize) -> Option<(&Key, i64)> {
        let e = self.expiries.get(n)?;
        let entry = self.entries.get(e.pos as usize)?;
        Some((&entry.key, e.when))
    }

    /// Sets the expiry of the key at `pos`.
    pub fn set_expire_at(&mut self, pos: usize, when: i64) {
        if pos >= self.entries.len() {
            return;
        }
        if self.expiry_slots.is_empty() {
            self.expiry_slots = vec![NONE; self.entries.len()];
        }
        let slot = self.expiry_slots.get(pos).copied().unwrap_or(NONE);
        match self.expiries.get_mut(slot as usize) {
            Some(e) => e.when = when,
            None => {
                let slot = to_u32(self.expiries.len());
                self.expiries.push(Expiry {
                    pos: to_u32(pos),
                    when,
                });
                if let Some(s) = self.expiry_slots.get_mut(pos) {
                    *s = slot;
                }
            }
        }
    }

    /// Drops the expiry of the key at `pos`; returns it.
    pub fn remove_expire_at(&mut self, pos: usize) -> Option<i64> {
        let slot = self.expiry_slots.get_mut(pos)?;
        let old = std::mem::replace(slot, NONE);
        self.drop_expiry(old)
    }
}

impl<'a> IntoIterator for &'a Keyspace {
    type Item = (&'a Key, &'a Object);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Entry>, fn(&'a Entry) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        fn pair(e: &Entry) -> (&Key, &Object) {
            (&e.key, &e.obj)
        }
        self.entries.iter().map(pair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{StrValue, Value};

    fn obj(n: i64) -> Object {
        Object::new(Value::Str(StrValue::Int(n)), 0)
    }

    fn int_at(t: &Keyspace, key: &[u8]) -> Option<i64> {
        t.get(key)
            .and_then(|o| o.value.as_str())
            .and_then(|s| s.as_i64())
    }

    #[test]
    fn an_entry_costs_56_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 56);
    }

    #[test]
    fn inserts_finds_and_removes_many_keys() {
        let mut t = Keyspace::default();
        for i in 0..5000 {
            assert_eq!(
                t.insert(format!("k{i}").as_bytes(), obj(i)),
                (i as usize, None)
            );
        }
        for i in (0..5000).step_by(3) {
            t.set_expire_at(t.position(format!("k{i}").as_bytes()).unwrap(), i);
        }
        for i in (0..5000).step_by(2) {
            let (o, expire) = t.swap_remove(format!("k{i}").as_bytes()).unwrap();
            assert_eq!(o.value.as_str().and_then(|s| s.as_i64()), Some(i));
            assert_eq!(expire, (i % 3 == 0).then_some(i));
        }
        assert_eq!(t.len(), 2500);
        for i in 0..5000 {
            let key = format!("k{i}");
            let present = i % 2 == 1;
            assert_eq!(int_at(&t, key.as_bytes()), present.then_some(i), "{key}");
            let expire = (present && i % 3 == 0).then_some(i);
            assert_eq!(t.expire_of(key.as_bytes()), expire, "{key}");
        }
        let sampled: Vec<i64> = (0..t.expires_len())
            .map(|n| t.nth_expiry(n).unwrap().1)
            .collect();
        assert_eq!(
            sampled.len(),
            (0..5000).filter(|i| i % 2 == 1 && i % 3 == 0).count()
        );
        for (n, when) in sampled.into_iter().enumerate() {
            let key = t.nth_expiry(n).unwrap().0.clone();
            assert_eq!(int_at(&t, &key), Some(when));
        }
        for i in 0..5000 {
            t.swap_remove(format!("k{i}").as_bytes());
        }
        assert!(t.is_empty() && t.expires_len() == 0 && t.buckets() <= 16);
    }

    #[test]
    fn keys_stay_found_while_the_index_resizes() {
        let mut t = Keyspace::default();
        let mut saw_rehash = false;
        for i in 0..20_000 {
            t.insert(format!("k{i}").as_bytes(), obj(i));
            saw_rehash |= t.is_rehashing();
            if i % 997 == 0 {
                for j in (0..=i).step_by(61) {
                    assert_eq!(int_at(&t, format!("k{j}").as_bytes()), Some(j));
                }
            }
        }
        assert!(saw_rehash, "growing moved the index incrementally");
        let mut saw_shrink = false;
        for i in (0..20_000).rev().filter(|i| i % 10 != 0) {
            assert!(t.swap_remove(format!("k{i}").as_bytes()).is_some());
            saw_shrink |= t.is_rehashing();
        }
        assert!(saw_shrink, "shrinking moved the index incrementally");
        for i in 0..20_000 {
            let present = i % 10 == 0;
            assert_eq!(int_at(&t, format!("k{i}").as_bytes()), present.then_some(i));
        }
        while t.rehash_buckets(100) {}
        assert!(t.buckets() <= 8192 && !t.is_rehashing());
    }

    #[test]
    fn replacing_keeps_the_position_and_the_expiry() {
        let mut t = Keyspace::default();
        t.insert(b"a", obj(1));
        t.insert(b"b", obj(2));
        t.set_expire_at(0, 77);
        assert_eq!(t.insert(b"a", obj(3)).0, 0);
        assert_eq!((int_at(&t, b"a"), t.expire_of(b"a")), (Some(3), Some(77)));
        assert_eq!(t.remove_expire_at(0), Some(77));
        assert_eq!((t.expire_of(b"a"), t.expires_len()), (None, 0));
        assert_eq!(t.insert_owned(Key::from(&b"b"[..]), obj(4)).0, 1);
        assert_eq!(int_at(&t, b"b"), Some(4));
    }
}
