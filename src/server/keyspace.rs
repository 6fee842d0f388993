//! Keyspace access with Redis's policies on top of `Db`: lazy expiry on
//! lookup, hit/miss counters, LRU/LFU touch, and the hooks every write goes
//! through (dirty counter, expired-key accounting).

use super::errors::{CmdError, WRONGTYPE};
use super::notify::{EXPIRED, KEYMISS};
use super::Server;
use crate::db::Db;
use crate::types::{Object, Value, ValueType};
use crate::util::Rng;

/// Resolution of the LRU clock in milliseconds (as Redis).
pub const LRU_CLOCK_RESOLUTION_MS: i64 = 1000;
/// The LRU clock wraps at 24 bits.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Access counter a new object starts with under an LFU policy, so it is
/// not evicted before it had a chance to be used.
pub const LFU_INIT_VAL: u32 = 5;

/// How an object's `lru` field is maintained, from `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AccessTracking {
    /// `lru` is the LRU clock (seconds, 24 bits) of the last access.
    Lru(u32),
    /// `lru` is 16 bits of minutes of the last decrement and an 8-bit
    /// logarithmic access counter.
    Lfu {
        minutes: u32,
        log_factor: i64,
        decay_minutes: i64,
    },
}

impl AccessTracking {
    /// The `lru` field of an object created now.
    pub fn initial(self) -> u32 {
        match self {
            AccessTracking::Lru(clock) => clock,
            AccessTracking::Lfu { minutes, .. } => (minutes << 8) | LFU_INIT_VAL,
        }
    }

    /// The `lru` field after an access.
    pub fn touched(self, lru: u32, rng: &mut Rng) -> u32 {
        match self {
            AccessTracking::Lru(clock) => clock,
            AccessTracking::Lfu {
                minutes,
                log_factor,
                ..
            } => {
                let counter = lfu_log_incr(self.lfu_counter(lru), log_factor, rng);
                (minutes << 8) | counter
            }
        }
    }

    /// The access counter of `lru` after the decay owed for the minutes since
    /// its last decrement (Redis's `LFUDecrAndReturn`). Meaningless under LRU.
    pub fn lfu_counter(self, lru: u32) -> u32 {
        let AccessTracking::Lfu {
            minutes,
            decay_minutes,
            ..
        } = self
        else {
            return lru & 255;
        };
        let last = lru >> 8;
        let elapsed = if minutes >= last {
            minutes - last
        } else {
            65535u32.saturating_sub(last) + minutes
        };
        let periods = match u32::try_from(decay_minutes) {
            Ok(d) if d > 0 => elapsed / d,
            _ => 0,
        };
        (lru & 255).saturating_sub(periods)
    }
}

/// Bumps an 8-bit LFU counter with a probability that falls as it grows.
fn lfu_log_incr(counter: u32, log_factor: i64, rng: &mut Rng) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// What a lookup records besides finding the key.
#[derive(Clone, Copy)]
pub struct LookupEffects {
    /// Count a keyspace hit or miss.
    pub stats: bool,
    /// Refresh the object's LRU/LFU data.
    pub touch: bool,
    /// The caller is about to write: a writable replica deletes an expired
    /// key instead of only hiding it.
    pub write: bool,
    /// A miss raises the `keymiss` event (reads, except OBJECT's).
    pub miss_event: bool,
}

impl LookupEffects {
    pub const READ: Self = LookupEffects {
        stats: true,
        touch: true,
        write: false,
        miss_event: true,
    };
    pub const READ_NOTOUCH: Self = LookupEffects {
        stats: true,
        touch: false,
        write: false,
        miss_event: true,
    };
    /// OBJECT's look at a key: counted, but neither an access nor a
    /// `keymiss`.
    pub const INSPECT: Self = LookupEffects {
        stats: true,
        touch: false,
        write: false,
        miss_event: false,
    };
    pub const WRITE: Self = LookupEffects {
        stats: false,
        touch: true,
        write: true,
        miss_event: false,
    };
    pub const QUIET: Self = LookupEffects {
        stats: false,
        touch: false,
        write: false,
        miss_event: false,
    };
}

/// Clock ticks from an object's LRU stamp `lru` to `clock`, the clock
/// having wrapped at 24 bits or not.
pub fn idle_ticks(clock: u32, lru: u32) -> u32 {
    if clock >= lru {
        clock - lru
    } else {
        clock + LRU_CLOCK_MAX.saturating_sub(lru)
    }
}

/// The LRU clock value at a unix time in milliseconds.
pub fn lru_clock_at(ms: i64) -> u32 {
    ((ms / LRU_CLOCK_RESOLUTION_MS) as u32) & LRU_CLOCK_MAX
}

impl Server {
    /// Database `index` for reading (the last one if out of range).
    pub fn database(&self, index: usize) -> &Db {
        let last = self.dbs.len() - 1;
        &self.dbs[index.min(last)]
    }

    pub fn db(&mut self, index: usize) -> &mut Db {
        let last = self.dbs.len() - 1;
        &mut self.dbs[index.min(last)]
    }

    /// The LRU clock as of the current command.
    pub fn lru_clock(&self) -> u32 {
        lru_clock_at(self.cmd_time_ms)
    }

    /// How objects' `lru` fields are maintained right now.
    pub fn access_tracking(&self) -> AccessTracking {
        self.access_tracking_at(self.cmd_time_ms)
    }

    /// How objects' `lru` fields are maintained at unix time `now_ms`.
    pub fn access_tracking_at(&self, now_ms: i64) -> AccessTracking {
        if !self.config.maxmemory_policy.is_lfu() {
            return AccessTracking::Lru(lru_clock_at(now_ms));
        }
        AccessTracking::Lfu {
            minutes: ((now_ms / 60_000) & 65535) as u32,
            log_factor: self.config.lfu_log_factor,
            decay_minutes: self.config.lfu_decay_time,
        }
    }

    /// Deletes `key` if its time has come. True if it was (or is) expired.
    /// While CLIENT PAUSE holds clients the dataset stays still: an expired
    /// key reads as missing but is left in place. A replica never deletes
    /// on its own (its primary sends the DEL): an expired key reads as
    /// missing, except to the primary's commands, which see it as it is.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed_for(db, key, false)
    }

    /// [`Server::expire_if_needed`] for a lookup that is about to write
    /// (`write`): then a replica's own client has the expired key deleted,
    /// as Redis does on writable replicas.
    #[inline]
    pub(super) fn expire_if_needed_for(&mut self, db: usize, key: &[u8], write: bool) -> bool {
        let now = self.cmd_time_ms;
        // Nothing expires while a file is loaded (Redis's `keyIsExpired`).
        let expired = self.persistence.loading.is_none()
            && self
                .dbs
                .get(db)
                .is_some_and(|d| d.expires_len() > 0 && d.is_expired(key, now));
        expired && self.expire_now_if_allowed(db, key, write)
    }

    /// The part of [`Server::expire_if_needed_for`] for a key whose time
    /// has come: true if it reads as expired.
    fn expire_now_if_allowed(&mut self, db: usize, key: &[u8], write: bool) -> bool {
        if self.is_replica() {
            if self.serving_primary() {
                return false;
            }
            if !write {
                return true;
            }
        }
        if !self.clients_paused() {
            self.delete_expired(db, key);
        }
        true
    }

    /// Removes a key whose TTL passed and accounts for it, raising its
    /// `expired` event. Replicas see it as a DEL (UNLINK with
    /// `lazyfree-lazy-expire`).
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if let Some(obj) = self.db(db).remove(key) {
            self.free_object(obj, self.config.lazyfree_lazy_expire);
            self.stats.expired_keys += 1;
            self.notify_keyspace_event(db, key, EXPIRED);
            let command: &[u8] = if self.config.lazyfree_lazy_expire {
                b"UNLINK"
            } else {
                b"DEL"
            };
            self.also_propagate(db, &[command, key]);
            self.key_changed(db, key, false);
        }
    }

    /// Finds a live key (expiring it lazily) with the given side effects.
    pub fn lookup(&mut self, db: usize, key: &[u8], effects: LookupEffects) -> Option<&mut Object> {
        let i = self.lookup_index(db, key, effects)?;
        let last = self.dbs.len() - 1;
        self.dbs[db.min(last)]
            .keys
            .get_index_mut(i)
            .map(|(_, obj)| obj)
    }

    /// [`Server::lookup`] giving the key's position in its database's map.
    pub fn lookup_index(&mut self, db: usize, key: &[u8], effects: LookupEffects) -> Option<usize> {
        let expired = self.expire_if_needed_for(db, key, effects.write);
        let tracking = effects.touch.then(|| self.access_tracking());
        let last = self.dbs.len() - 1;
        let found = if expired {
            None
        } else {
            self.dbs[db.min(last)].keys.get_full_mut(key)
        };
        if effects.stats {
            match found {
                Some(_) => self.stats.keyspace_hits += 1,
                None => self.stats.keyspace_misses += 1,
            }
        }
        let Some((i, _, obj)) = found else {
            if effects.miss_event {
                self.notify_keyspace_event(db, key, KEYMISS);
            }
            return None;
        };
        if let Some(tracking) = tracking {
            obj.lru = tracking.touched(obj.lru, &mut self.rng);
        }
        Some(i)
    }

    /// Looks a key up for reading: expires it lazily, counts a hit or miss,
    /// and refreshes its access time.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        self.lookup(db, key, LookupEffects::READ)
    }

    /// Like `lookup_read` but leaves the access time alone (EXISTS, TYPE,
    /// TTL, OBJECT: looking at a key's metadata is not using it).
    pub fn lookup_read_notouch(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        self.lookup(db, key, LookupEffects::READ_NOTOUCH)
    }

    /// The value at `key` as a `T`, looked up for reading (see
    /// [`Server::lookup_read`]): `None` when missing, WRONGTYPE when the key
    /// holds another type.
    pub fn read_key<T: ValueType>(
        &mut self,
        db: usize,
        key: &[u8],
    ) -> Result<Option<&T>, CmdError> {
        match self.lookup_read(db, key) {
            None => Ok(None),
            Some(obj) => T::of(&obj.value)
                .map(Some)
                .ok_or(CmdError::Static(WRONGTYPE)),
        }
    }

    /// The `T` at `key` (already looked up by the caller), with the random
    /// generator: random picks that read.
    pub fn peek_with_rng<T: ValueType>(&mut self, db: usize, key: &[u8]) -> Option<(&T, &mut Rng)> {
        let Server { dbs, rng, .. } = self;
        let value = T::of(&dbs.get(db)?.get(key)?.value)?;
        Some((value, rng))
    }

    /// The expiry time (unix milliseconds) of `key`, if it has one (no
    /// lookup side effects).
    pub fn expire_of(&self, db: usize, key: &[u8]) -> Option<i64> {
        self.dbs.get(db)?.expire_of(key)
    }

    /// A new object holding `value`, with fresh access data.
    pub fn new_object(&self, value: Value) -> Object {
        Object::new(value, self.access_tracking().initial())
    }

    /// DEL of one key, as Redis does it: an expired key is expired first
    /// (a replica leaves it, so there the key is deleted as it is), then
    /// the key goes through the write path with its `del` event. Its value
    /// is freed in the background when `lazy` (UNLINK, or DEL with
    /// `lazyfree-lazy-user-del`) and costly to free. True if a key was
    /// deleted.
    pub fn delete_key(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        self.expire_if_needed(db, key);
        let mut w = self.write_key_as_stored(db, key);
        let deleted = w.delete_freeing(lazy);
        if deleted {
            w.changed(1, super::write::DEL);
        }
        deleted
    }

    /// Empties database `index` (FLUSHDB) or all of them (`None`, FLUSHALL),
    /// returning their former contents for the caller to free. Clients that
    /// WATCH or wait on keys there are told; every key removed counts as a
    /// change, and the command propagates even if there was none.
    pub fn flush(&mut self, which: Option<usize>) -> Vec<Db> {
        self.db_flushing(which);
        let range = match which {
            Some(i) => i..i + 1,
            None => 0..self.dbs.len(),
        };
        let emptied: Vec<Db> = self
            .dbs
            .get_mut(range)
            .into_iter()
            .flatten()
            .map(Db::take_contents)
            .collect();
        self.record_change(emptied.iter().map(|d| d.len() as u64).sum());
        self.force_propagation();
        emptied
    }

    /// SWAPDB: exchanges the contents of databases `a` and `b` (both
    /// valid), telling the clients that wait on or WATCH keys there.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        let (low, high) = (a.min(b), a.max(b));
        if low != high {
            let (head, tail) = self.dbs.split_at_mut(high);
            if let (Some(x), Some(y)) = (head.get_mut(low), tail.first_mut()) {
                x.swap_contents(y);
            }
            self.dbs_swapped(a, b);
        }
        self.record_change(1);
    }

    /// Called after every change of a key's value or TTL (writes, expiry,
    /// writes a replica applies): the one place where blocked clients, WATCH
    /// and client-side caching hook in.
    #[inline]
    pub fn key_modified(&mut self, db: usize, key: &[u8]) {
        self.key_changed(db, key, true);
    }

    /// [`Server::key_modified`], saying whether the running command made
    /// the change (`by_client`). An expiry or an eviction is no client's
    /// change, so a BCAST client in NOLOOP mode
    /// still hears of it, as in Redis.
    #[inline]
    pub fn key_changed(&mut self, db: usize, key: &[u8], by_client: bool) {
        self.signal_key_ready(db, key);
        self.touch_watched_key(db, key);
        self.invalidate_key(key, by_client);
    }

    /// Called just before a whole database (`Some(i)`) or all of them
    /// (`None`) are emptied by FLUSHDB/FLUSHALL, while their keys can still
    /// be seen: WATCH fails for keys that existed, and every tracking
    /// client is told all its keys are invalid.
    /// Clients blocked on keys there are woken once the flush is done
    /// (XREADGROUP then fails on its deleted stream, as in Redis).
    pub fn db_flushing(&mut self, db: Option<usize>) {
        self.touch_watched_before_flush(db);
        self.invalidate_tracked_on_flush();
        match db {
            Some(db) => self.signal_db_ready(db),
            None => (0..self.dbs.len()).for_each(|db| self.signal_db_ready(db)),
        }
    }

    /// Called after SWAPDB exchanged the contents of two databases: clients
    /// blocked on keys that now exist are served, and WATCH fails for keys
    /// that existed on either side.
    pub fn dbs_swapped(&mut self, a: usize, b: usize) {
        self.signal_db_ready(a);
        self.signal_db_ready(b);
        self.touch_watched_after_swap(a, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lfu(minutes: u32, decay_minutes: i64) -> AccessTracking {
        AccessTracking::Lfu {
            minutes,
            log_factor: 10,
            decay_minutes,
        }
    }

    #[test]
    fn lfu_counter_decays_one_per_period() {
        let lru = (100 << 8) | 20;
        assert_eq!(lfu(100, 1).lfu_counter(lru), 20);
        assert_eq!(lfu(103, 1).lfu_counter(lru), 17);
        assert_eq!(lfu(106, 2).lfu_counter(lru), 17);
        assert_eq!(lfu(200, 1).lfu_counter(lru), 0);
        assert_eq!(lfu(200, 0).lfu_counter(lru), 20);
        // The 16-bit minute clock wrapped since the last decrement.
        let late = (65530 << 8) | 20;
        assert_eq!(lfu(4, 1).lfu_counter(late), 11);
    }

    #[test]
    fn lfu_counter_grows_and_saturates() {
        let mut rng = Rng::default();
        let t = lfu(7, 1);
        let fresh = t.initial();
        assert_eq!(t.lfu_counter(fresh), LFU_INIT_VAL);
        // At or below the initial value every access counts.
        assert_eq!(t.lfu_counter(t.touched(fresh, &mut rng)), LFU_INIT_VAL + 1);
        assert_eq!(t.touched((7 << 8) | 255, &mut rng) & 255, 255);
    }
}
