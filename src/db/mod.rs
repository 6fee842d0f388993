//! One logical database: the keyspace map, with each key's expiry.
//!
//! The map ([`Keyspace`]) keeps entries in a dense vector so a key can be
//! reached by position in O(1). That gives RANDOMKEY and expiry sampling,
//! and a SCAN cursor with Redis's guarantee: positions are visited from
//! the top down, and a removal only ever moves the last entry into the
//! hole, so an entry present for a whole scan can only move to a position
//! still ahead of the cursor (see [`scan_positions`]).
//!
//! `Db` has no policy: lazy expiry, notifications and propagation happen in
//! the server's keyspace helpers, which call these primitives.

pub mod glob;
mod table;

use crate::types::Object;

/// A key: bytes kept inline when short.
pub use crate::types::SmallBytes as Key;
pub use table::Keyspace;

#[derive(Debug, Default)]
pub struct Db {
    /// Keys, their objects and their expiry times (unix milliseconds).
    pub keys: Keyspace,
    /// Where the active expiry cycle continues among the keys with a TTL.
    pub expire_cursor: usize,
    /// Running average TTL of sampled keys, for INFO keyspace `avg_ttl`.
    pub avg_ttl: i64,
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys with an expiry.
    pub fn expires_len(&self) -> usize {
        self.keys.expires_len()
    }

    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.keys.get(key)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Object> {
        self.keys.get_mut(key)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.keys.contains_key(key)
    }

    /// The expiry time of `key`, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.keys.expire_of(key)
    }

    /// True if `key` has an expiry strictly before `now_ms` (as Redis: a key
    /// is still alive during the millisecond its expiry names).
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        matches!(self.expire_of(key), Some(t) if t < now_ms)
    }

    /// Stores `obj` under `key`, replacing any value. The old expiry is
    /// dropped unless `keep_ttl`. Returns the previous value.
    pub fn set(&mut self, key: &[u8], obj: Object, keep_ttl: bool) -> Option<Object> {
        self.set_at(key, obj, keep_ttl).1
    }

    /// [`Db::set`], also returning the key's position in the map.
    pub fn set_at(&mut self, key: &[u8], obj: Object, keep_ttl: bool) -> (usize, Option<Object>) {
        let (pos, old) = self.keys.insert(key, obj);
        if !keep_ttl && old.is_some() && self.keys.expires_len() > 0 {
            self.keys.remove_expire_at(pos);
        }
        (pos, old)
    }

    /// Removes `key` and its expiry.
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        self.keys.swap_remove(key).map(|(obj, _)| obj)
    }

    /// Removes `key` and hands back its value and expiry (RENAME, MOVE).
    pub fn take(&mut self, key: &[u8]) -> Option<(Object, Option<i64>)> {
        self.keys.swap_remove(key)
    }

    /// Stores `obj` under `key` with exactly the given expiry, replacing any
    /// value and expiry the key had.
    pub fn insert(&mut self, key: &[u8], obj: Object, expire: Option<i64>) {
        let (pos, _) = self.set_at(key, obj, false);
        if let Some(when) = expire {
            self.keys.set_expire_at(pos, when);
        }
    }

    /// Stores `obj` under an owned key with exactly the given expiry, in
    /// one lookup and without copying the key (loading a file). Returns
    /// the key's position and the value it replaced, if any.
    pub fn add_owned(
        &mut self,
        key: Key,
        obj: Object,
        expire: Option<i64>,
    ) -> (usize, Option<Object>) {
        let (pos, old) = self.keys.insert_owned(key, obj);
        match expire {
            Some(when) => self.keys.set_expire_at(pos, when),
            None if old.is_some() => {
                self.keys.remove_expire_at(pos);
            }
            None => {}
        }
        (pos, old)
    }

    /// Sets the absolute expiry of an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        if let Some(pos) = self.keys.position(key) {
            self.keys.set_expire_at(pos, when_ms);
        }
    }

    /// Drops the expiry of `key`; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if self.keys.expires_len() == 0 {
            return false;
        }
        let Some(pos) = self.keys.position(key) else {
            return false;
        };
        self.keys.remove_expire_at(pos).is_some()
    }

    /// The key at a position (for random sampling and SCAN).
    pub fn key_at(&self, index: usize) -> Option<&Key> {
        self.keys.get_index(index).map(|(k, _)| k)
    }

    pub fn clear(&mut self) {
        drop(self.take_contents());
    }

    /// Moves the data (keys, expiries and expiry-sampling state) out, leaving
    /// this database empty; other per-database state stays (FLUSHDB ASYNC
    /// frees the returned data elsewhere).
    pub fn take_contents(&mut self) -> Db {
        Db {
            keys: std::mem::take(&mut self.keys),
            expire_cursor: std::mem::take(&mut self.expire_cursor),
            avg_ttl: std::mem::take(&mut self.avg_ttl),
        }
    }

    /// Exchanges the data with `other` (SWAPDB); other per-database state
    /// (clients blocked or watching keys) stays where it is.
    pub fn swap_contents(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.expire_cursor, &mut other.expire_cursor);
        std::mem::swap(&mut self.avg_ttl, &mut other.avg_ttl);
    }
}

/// Walks positions of a collection of `len` entries for one SCAN call.
///
/// The cursor is the number of positions still to visit from the top (0
/// starts a new scan). Visits up to `count` positions, calling `visit` with
/// each, and returns the cursor for the next call (0 when finished).
pub fn scan_positions(len: usize, cursor: u64, count: usize, mut visit: impl FnMut(usize)) -> u64 {
    let mut next = if cursor == 0 {
        len
    } else {
        usize::try_from(cursor).unwrap_or(usize::MAX).min(len)
    };
    let mut visited = 0;
    while next > 0 && visited < count.max(1) {
        next -= 1;
        visit(next);
        visited += 1;
    }
    next as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{StrValue, Value};

    fn obj(s: &str) -> Object {
        Object::new(Value::Str(StrValue::from_bytes(s.as_bytes())), 0)
    }

    #[test]
    fn set_drops_ttl_unless_kept() {
        let mut db = Db::default();
        db.set(b"k", obj("v"), false);
        db.set_expire(b"k", 100);
        db.set(b"k", obj("w"), true);
        assert_eq!(db.expire_of(b"k"), Some(100));
        db.set(b"k", obj("x"), false);
        assert_eq!(db.expire_of(b"k"), None);
    }

    #[test]
    fn take_and_insert_carry_the_expiry() {
        let mut db = Db::default();
        db.set(b"a", obj("v"), false);
        db.set_expire(b"a", 100);
        db.set(b"b", obj("w"), false);
        db.set_expire(b"b", 200);
        let (value, expire) = db.take(b"a").expect("a exists");
        assert_eq!((db.contains(b"a"), expire), (false, Some(100)));
        db.insert(b"b", value, expire);
        assert_eq!(db.expire_of(b"b"), Some(100));
        db.insert(b"b", obj("x"), None);
        assert_eq!(db.expire_of(b"b"), None);
        assert!(db.take(b"missing").is_none());
    }

    #[test]
    fn swap_and_take_contents() {
        let mut one = Db::default();
        let mut two = Db::default();
        one.set(b"k", obj("v"), false);
        one.set_expire(b"k", 5);
        one.swap_contents(&mut two);
        assert_eq!((one.len(), two.len(), two.expire_of(b"k")), (0, 1, Some(5)));
        let taken = two.take_contents();
        assert_eq!((two.len(), two.expires_len(), taken.len()), (0, 0, 1));
    }

    #[test]
    fn a_key_lives_through_its_expiry_millisecond() {
        let mut db = Db::default();
        db.set(b"k", obj("v"), false);
        db.set_expire(b"k", 100);
        assert!(!db.is_expired(b"k", 100));
        assert!(db.is_expired(b"k", 101));
    }

    #[test]
    fn scan_returns_every_key_present_throughout() {
        let mut db = Db::default();
        for i in 0..100 {
            db.set(format!("k{i}").as_bytes(), obj("v"), false);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let mut batch = Vec::new();
            cursor = scan_positions(db.len(), cursor, 7, |i| batch.extend(db.key_at(i).cloned()));
            seen.extend(batch);
            // Delete keys that were already returned, and add new ones.
            round += 1;
            db.remove(format!("k{}", round * 3).as_bytes());
            db.set(format!("new{round}").as_bytes(), obj("v"), false);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            if i % 3 != 0 || i / 3 > round {
                let key: Key = format!("k{i}").into_bytes().into();
                assert!(seen.contains(&key), "missing k{i}");
            }
        }
    }
}
