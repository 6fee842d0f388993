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

    /// The length of the chain in each bucket of the index (DEBUG HTSTATS).
    pub fn chain_lengths(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.buckets.iter().map(|&head| {
            let mut length = 0;
            let mut pos = head;
            while pos != NONE {
                length += 1;
                pos = self.link_of(pos);
            }
            length
        })
    }

    /// Makes room for `additional` more entries.
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

    fn bucket_of(&self, hash: u64) -> usize {
        // The index is a power of two long: the low bits pick the bucket.
        (hash as usize) & self.buckets.len().wrapping_sub(1)
    }

    fn link_of(&self, pos: u32) -> u32 {
        self.entries.get(pos as usize).map_or(NONE, |e| e.obj.link)
    }

    /// The position of `key`, given its hash.
    fn find(&self, key: &[u8], hash: u64) -> Option<usize> {
        let mut pos = *self.buckets.get(self.bucket_of(hash))?;
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

    fn replace_at(&mut self, pos: usize, mut obj: Object) -> Option<Object> {
        let entry = self.entries.get_mut(pos)?;
        obj.link = entry.obj.link;
        Some(std::mem::replace(&mut entry.obj, obj))
    }

    /// Appends a key known to be absent; returns its position.
    fn push(&mut self, key: Key, hash: u64, mut obj: Object) -> usize {
        let pos = self.entries.len();
        if self.needs_growth(pos) {
            self.rehash((pos + 1).next_power_of_two().max(MIN_BUCKETS));
        }
        let bucket = self.bucket_of(hash);
        if let Some(head) = self.buckets.get_mut(bucket) {
            obj.link = *head;
            *head = to_u32(pos);
        }
        self.entries.push(Entry { key, obj });
        if !self.expiry_slots.is_empty() {
            self.expiry_slots.push(NONE);
        }
        pos
    }

    /// Rebuilds the index with `buckets` buckets.
    fn rehash(&mut self, buckets: usize) {
        self.buckets = vec![NONE; buckets];
        for pos in 0..self.entries.len() {
            let Some(entry) = self.entries.get(pos) else {
                break;
            };
            let bucket = self.bucket_of(self.hash(&entry.key));
            if let (Some(head), Some(entry)) =
                (self.buckets.get_mut(bucket), self.entries.get_mut(pos))
            {
                entry.obj.link = *head;
                *head = to_u32(pos);
            }
        }
    }

    /// Makes whatever pointed at position `from` in `bucket`'s chain point
    /// at `to` instead.
    fn repoint(&mut self, bucket: usize, from: u32, to: u32) {
        let Some(head) = self.buckets.get_mut(bucket) else {
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
        let bucket = self.bucket_of(hash);
        let next = self.link_of(to_u32(pos));
        self.repoint(bucket, to_u32(pos), next);
        let last = self.entries.len() - 1;
        if pos != last {
            let moved = self.entries.get(last).map(|e| self.hash(&e.key));
            if let Some(moved) = moved {
                self.repoint(self.bucket_of(moved), to_u32(last), to_u32(pos));
            }
        }
        let expire = self.forget_expiry(pos, last);
        let entry = self.entries.swap_remove(pos);
        if self.buckets.len() > MIN_BUCKETS && self.entries.len() * 8 < self.buckets.len() {
            self.rehash(
                (self.entries.len() * 2)
                    .next_power_of_two()
                    .max(MIN_BUCKETS),
            );
        }
        (entry.obj, expire)
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
