//! Keyspace access with Redis's policies on top of `Db`: lazy expiry on
//! lookup, hit/miss counters, LRU/LFU touch, and the hooks every write goes
//! through (dirty counter, expired-key accounting).

use super::Server;
use crate::db::Db;
use crate::types::{Object, Value};

/// Resolution of the LRU clock in milliseconds (as Redis).
pub const LRU_CLOCK_RESOLUTION_MS: i64 = 1000;
/// The LRU clock wraps at 24 bits.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

impl Server {
    pub fn db(&mut self, index: usize) -> &mut Db {
        let last = self.dbs.len() - 1;
        &mut self.dbs[index.min(last)]
    }

    /// The current LRU clock value.
    pub fn lru_clock(&self) -> u32 {
        ((crate::util::now_ms() / LRU_CLOCK_RESOLUTION_MS) as u32) & LRU_CLOCK_MAX
    }

    /// Deletes `key` if its time has come. True if it was (or is) expired.
    /// While CLIENT PAUSE holds clients the dataset stays still: an expired
    /// key reads as missing but is left in place.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        let now = self.cmd_time_ms;
        if !self.db(db).is_expired(key, now) {
            return false;
        }
        if self.pause.is_none() {
            self.delete_expired(db, key);
        }
        true
    }

    /// Removes a key whose TTL passed and accounts for it.
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if self.db(db).remove(key).is_some() {
            self.stats.expired_keys += 1;
        }
    }

    /// Looks a key up for reading: expires it lazily, counts a hit or miss,
    /// and refreshes its access time.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        if self.expire_if_needed(db, key) {
            self.stats.keyspace_misses += 1;
            return None;
        }
        let clock = self.lru_clock();
        let last = self.dbs.len() - 1;
        let stats = &mut self.stats;
        match self.dbs[db.min(last)].get_mut(key) {
            Some(obj) => {
                obj.lru = clock;
                stats.keyspace_hits += 1;
                Some(obj)
            }
            None => {
                stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// Looks a key up for writing: expires it lazily; no hit/miss counting.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        let clock = self.lru_clock();
        let obj = self.db(db).get_mut(key)?;
        obj.lru = clock;
        Some(obj)
    }

    /// Like `lookup_read` without touching stats or access time (TYPE-less
    /// checks such as EXISTS use the counting variant; OBJECT uses this).
    pub fn lookup_quiet(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        self.db(db).get_mut(key)
    }

    /// Stores a value (SET semantics: replaces, drops the TTL unless `keep_ttl`).
    pub fn set_key(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool) {
        let obj = Object::new(value, self.lru_clock());
        self.db(db).set(key, obj, keep_ttl);
        self.key_modified(db, key);
    }

    /// Deletes a key; true if it existed (and was not already expired).
    pub fn delete_key(&mut self, db: usize, key: &[u8]) -> bool {
        if self.expire_if_needed(db, key) {
            return false;
        }
        if self.db(db).remove(key).is_some() {
            self.key_modified(db, key);
            true
        } else {
            false
        }
    }

    /// Called after every change of a key's value or TTL: the one place
    /// where WATCH invalidation and client-side caching hook in.
    pub fn key_modified(&mut self, _db: usize, _key: &[u8]) {}

    /// Counts `n` changes toward save points and INFO's change counter.
    pub fn add_dirty(&mut self, n: u64) {
        self.dirty += n;
    }
}
