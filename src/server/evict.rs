//! Eviction under `maxmemory`, as Redis does it.
//!
//! Before every command (and from a timer after CONFIG SET lowered the
//! limit) [`Server::perform_evictions`] compares the memory used, less what
//! replicas' output buffers hold, with `maxmemory`, and deletes keys until
//! enough was freed. Which keys depends on `maxmemory-policy`:
//!
//! - the LRU, LFU and TTL policies keep a pool of the best candidates
//!   seen so far, refilled on each pick from `maxmemory-samples` random
//!   keys of every database (the keyspace, or only keys with a TTL for the
//!   `volatile-*` policies), and evict the best one: an approximation of
//!   the true order that gets closer with more samples;
//! - the random policies pick a random key, visiting the databases in turn.
//!
//! An eviction is a deletion seen by everyone: the `evicted` event, the
//! key modified (WATCH, blocked clients, client tracking), a DEL (UNLINK
//! with `lazyfree-lazy-eviction`) propagated on its own. One call spends
//! at most the time `maxmemory-eviction-tenacity` allows and leaves the
//! rest to a timer, so a large drop of the limit does not stall clients.

use super::client::REPLY_CHUNK;
use super::keyspace::{idle_ticks, AccessTracking, LRU_CLOCK_RESOLUTION_MS};
use super::notify::EVICTED;
use super::state::repl_buffer::BLOCK_OVERHEAD;
use super::Server;
use crate::config::MaxmemoryPolicy;
use crate::db::Key;
use std::time::{Duration, Instant};

/// Timer id of the eviction that continues after a call ran out of time.
pub const TIMER_EVICTION: u64 = 3;
/// Candidates kept in the eviction pool (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;
/// Evictions between checks of the time spent (and of memory freed by
/// the lazyfree thread).
const CHECK_EVERY: u64 = 16;

/// What one eviction call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictOutcome {
    /// Memory is within the limit (or need not be checked).
    Ok,
    /// Over the limit still, and the timer goes on evicting.
    Running,
    /// Over the limit with nothing the policy allows to evict.
    Fail,
}

/// A key worth evicting, with its score: the higher the better.
#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: Key,
}

/// Eviction state: the pool, where random picks go next, the timer and
/// the time spent over the limit (INFO `*_eviction_exceeded_time`).
#[derive(Debug, Default)]
pub struct Eviction {
    /// Sorted by score, best last.
    pool: Vec<Candidate>,
    next_db: usize,
    timer_armed: bool,
    exceeded_since: Option<Instant>,
    total_exceeded: Duration,
    /// The last check before a command found memory over the limit with
    /// nothing to evict.
    pub out_of_memory: bool,
}

impl Eviction {
    /// Milliseconds spent over the limit, now included (INFO
    /// `total_eviction_exceeded_time`).
    pub fn total_exceeded_ms(&self) -> u128 {
        (self.total_exceeded + self.current_exceeded()).as_millis()
    }

    /// How long memory has been over the limit without relief.
    pub fn current_exceeded(&self) -> Duration {
        self.exceeded_since.map_or(Duration::ZERO, |t| t.elapsed())
    }

    pub fn reset_stats(&mut self) {
        self.total_exceeded = Duration::ZERO;
        if self.exceeded_since.is_some() {
            self.exceeded_since = Some(Instant::now());
        }
    }

    fn record(&mut self, outcome: EvictOutcome) {
        match (outcome, self.exceeded_since) {
            (EvictOutcome::Ok, Some(since)) => {
                self.total_exceeded += since.elapsed();
                self.exceeded_since = None;
            }
            (EvictOutcome::Running | EvictOutcome::Fail, None) => {
                self.exceeded_since = Some(Instant::now());
            }
            _ => {}
        }
    }

    /// Adds a candidate where its score belongs, unless the pool is full
    /// of better ones (Redis's `evictionPoolPopulate`).
    fn offer(&mut self, candidate: Candidate) {
        if self
            .pool
            .iter()
            .any(|c| c.db == candidate.db && c.key == candidate.key)
        {
            return;
        }
        let at = self.pool.partition_point(|c| c.score < candidate.score);
        if self.pool.len() < POOL_SIZE {
            self.pool.insert(at, candidate);
        } else if at > 0 {
            self.pool.remove(0);
            self.pool.insert(at - 1, candidate);
        }
    }
}

/// How long one call may evict for `maxmemory-eviction-tenacity`
/// (Redis's `evictionTimeLimitUs`): linear to 500us up to 10, then 15%
/// more per step, unlimited at 100.
fn time_limit(tenacity: i64) -> Duration {
    match tenacity {
        t if t <= 10 => Duration::from_micros(50 * t.max(0) as u64),
        t if t < 100 => Duration::from_micros((500.0 * 1.15f64.powi(t as i32 - 10)) as u64),
        _ => Duration::MAX,
    }
}

impl Server {
    /// Memory used as INFO `used_memory` reports it: what the allocator
    /// handed out, less the key tables' room for entries not added yet
    /// (never touched, so not resident).
    pub fn used_memory(&self) -> usize {
        let spare: usize = self.dbs.iter().map(|d| d.keys.spare_bytes()).sum();
        crate::alloc::used_memory().saturating_sub(spare)
    }

    /// Memory that does not count against `maxmemory` (INFO
    /// `mem_not_counted_for_evict`): the part of the replication buffer
    /// beyond what the backlog itself takes, and the AOF buffer, which
    /// evicting keys would only make grow.
    pub fn memory_not_counted_for_evict(&self) -> usize {
        let size = self.config.backlog_size();
        let blocks = size / REPLY_CHUNK + 1;
        let backlog_own = size.saturating_add(blocks * BLOCK_OVERHEAD);
        self.replication_buffer_memory().saturating_sub(backlog_own) + self.aof.buf.capacity()
    }

    /// Memory of the replication buffer the backlog and the replicas
    /// share (INFO `mem_total_replication_buffers`).
    pub fn replication_buffer_memory(&self) -> usize {
        self.replication.backlog.as_ref().map_or(0, |b| b.mem())
    }

    /// The replicas' share of memory (INFO `mem_clients_slaves`): the
    /// replication buffer beyond `repl-backlog-size` while replicas are
    /// attached (the rest is the backlog's), and what their own output
    /// buffers hold (the sync replies, the snapshot file being sent).
    pub fn replica_output_bytes(&self) -> usize {
        let own: usize = self
            .clients
            .iter()
            .filter(|c| c.kind == super::client::ClientKind::Replica && !c.monitor)
            .map(|c| c.reply.buf.capacity())
            .sum();
        own + self.replicas_buffer_share()
    }

    /// The replication buffer beyond `repl-backlog-size`, counted as the
    /// replicas' while any is attached (as Redis counts it).
    pub fn replicas_buffer_share(&self) -> usize {
        if self.replication.replicas.is_empty() {
            return 0;
        }
        let mem = self.replication_buffer_memory();
        mem.saturating_sub(self.config.backlog_size())
    }

    /// How much must be freed to get within `maxmemory` (`None`: nothing).
    pub fn memory_to_free(&self) -> Option<usize> {
        let limit = usize::try_from(self.config.maxmemory).unwrap_or(usize::MAX);
        if limit == 0 {
            return None;
        }
        let used = self.used_memory();
        if used <= limit {
            return None;
        }
        let counted = used.saturating_sub(self.memory_not_counted_for_evict());
        counted.checked_sub(limit).filter(|&n| n > 0)
    }

    /// Whether evicting now is allowed: not while loading, nor while
    /// clients are paused (the dataset stays still), nor on a replica that
    /// ignores `maxmemory` (its primary decides).
    fn may_evict(&self) -> bool {
        !(self.persistence.loading.is_some()
            || self.clients_paused()
            || (self.is_replica() && self.config.replica_ignore_maxmemory))
    }

    /// Evicts keys until memory is within `maxmemory` or the time allowed
    /// is spent (then the timer goes on). See the module documentation.
    pub fn perform_evictions(&mut self) -> EvictOutcome {
        if !self.may_evict() {
            return EvictOutcome::Ok;
        }
        let outcome = match self.memory_to_free() {
            None => EvictOutcome::Ok,
            Some(_) if self.config.maxmemory_policy == MaxmemoryPolicy::NoEviction => {
                EvictOutcome::Fail
            }
            Some(to_free) => self.evict_until_freed(to_free),
        };
        self.eviction.record(outcome);
        outcome
    }

    fn evict_until_freed(&mut self, to_free: usize) -> EvictOutcome {
        let limit = time_limit(self.config.maxmemory_eviction_tenacity);
        let start = Instant::now();
        let lazy = self.config.lazyfree_lazy_eviction;
        let mut freed: i64 = 0;
        let mut evicted = 0u64;
        while freed < to_free as i64 {
            let Some((db, key)) = self.pick_victim() else {
                return self.evict_failed(start, limit);
            };
            freed += self.evict_key(db, &key, lazy);
            evicted += 1;
            if evicted.is_multiple_of(CHECK_EVERY) {
                if lazy && self.memory_to_free().is_none() {
                    break;
                }
                if start.elapsed() > limit {
                    self.start_eviction_timer();
                    return EvictOutcome::Running;
                }
            }
        }
        if self.eviction.timer_armed {
            EvictOutcome::Running
        } else {
            EvictOutcome::Ok
        }
    }

    /// Nothing left to evict: values being freed in the background may
    /// still bring memory down, so wait for them a little.
    fn evict_failed(&mut self, start: Instant, limit: Duration) -> EvictOutcome {
        let left = limit.saturating_sub(start.elapsed());
        if self.wait_for_lazyfree(left, |srv| srv.memory_to_free().is_some()) {
            EvictOutcome::Ok
        } else {
            EvictOutcome::Fail
        }
    }

    /// Deletes `key` as an eviction: counted, its `evicted` event, the key
    /// modified, a DEL (or UNLINK) propagated. Returns the memory the
    /// deletion itself freed: what telling replicas, the AOF and tracking
    /// clients about it takes is not counted against it (it is freed once
    /// sent), or a burst of invalidations would feed more evictions.
    fn evict_key(&mut self, db: usize, key: &[u8], lazy: bool) -> i64 {
        let before = self.used_memory() as i64;
        let Some(obj) = self.db(db).remove(key) else {
            return 0;
        };
        self.free_object(obj, lazy);
        let freed = before - self.used_memory() as i64;
        self.stats.evicted_keys += 1;
        // No client's change: tracking clients in NOLOOP mode hear of it.
        self.key_changed(db, key, false);
        self.notify_keyspace_event(db, key, EVICTED);
        let command: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        self.also_propagate(db, &[command, key]);
        freed
    }

    /// The next key to evict under the policy, with its database.
    fn pick_victim(&mut self) -> Option<(usize, Key)> {
        if self.config.maxmemory_policy.is_random() {
            self.pick_random()
        } else {
            self.pick_from_pool()
        }
    }

    /// A random key, trying each database in turn from where the last
    /// pick stopped.
    fn pick_random(&mut self) -> Option<(usize, Key)> {
        let allkeys = self.config.maxmemory_policy.is_allkeys();
        let count = self.dbs.len();
        for _ in 0..count {
            self.eviction.next_db = (self.eviction.next_db + 1) % count;
            let db = self.eviction.next_db;
            let Server { dbs, rng, .. } = self;
            let Some(d) = dbs.get(db) else { continue };
            let len = if allkeys {
                d.keys.len()
            } else {
                d.keys.expires_len()
            };
            if len == 0 {
                continue;
            }
            let i = rng.below(len);
            let key = if allkeys {
                d.keys.get_index(i).map(|(k, _)| k)
            } else {
                d.keys.nth_expiry(i).map(|(k, _)| k)
            };
            return key.map(|k| (db, k.clone()));
        }
        None
    }

    /// Refills the pool from every database and takes its best candidate
    /// that still exists (one deleted since it was sampled is skipped).
    fn pick_from_pool(&mut self) -> Option<(usize, Key)> {
        let allkeys = self.config.maxmemory_policy.is_allkeys();
        loop {
            let mut total = 0;
            for db in 0..self.dbs.len() {
                total += self.sample_into_pool(db);
            }
            if total == 0 {
                return None;
            }
            while let Some(best) = self.eviction.pool.pop() {
                let exists = self.dbs.get(best.db).is_some_and(|d| {
                    if allkeys {
                        d.keys.contains_key(&best.key)
                    } else {
                        d.keys.expire_of(&best.key).is_some()
                    }
                });
                if exists {
                    return Some((best.db, best.key));
                }
            }
        }
    }

    /// Offers `maxmemory-samples` random keys of database `db` to the
    /// pool; returns how many keys the sampled table holds.
    fn sample_into_pool(&mut self, db: usize) -> usize {
        let policy = self.config.maxmemory_policy;
        let allkeys = policy.is_allkeys();
        let tracking = self.access_tracking();
        let samples = usize::try_from(self.config.maxmemory_samples).unwrap_or(1);
        let Server {
            dbs, rng, eviction, ..
        } = self;
        let Some(d) = dbs.get(db) else { return 0 };
        let len = if allkeys {
            d.keys.len()
        } else {
            d.keys.expires_len()
        };
        for _ in 0..samples.min(len) {
            let i = rng.below(len);
            let (key, score) = if allkeys {
                match d.keys.get_index(i) {
                    Some((k, obj)) => (k, access_score(tracking, obj.lru)),
                    None => continue,
                }
            } else {
                let Some((k, when)) = d.keys.nth_expiry(i) else {
                    continue;
                };
                let score = match policy {
                    MaxmemoryPolicy::VolatileTtl => u64::MAX - when.max(0) as u64,
                    _ => match d.keys.get(k) {
                        Some(obj) => access_score(tracking, obj.lru),
                        None => continue,
                    },
                };
                (k, score)
            };
            eviction.offer(Candidate {
                score,
                db,
                key: key.clone(),
            });
        }
        len
    }

    /// CONFIG SET changed `maxmemory`: warns when memory is already over
    /// the new limit, and evicts from the timer.
    pub fn maxmemory_changed(&mut self) {
        let limit = self.config.maxmemory;
        crate::alloc::set_growth_limit(usize::try_from(limit).unwrap_or(usize::MAX));
        if limit == 0 {
            return;
        }
        let used = self
            .used_memory()
            .saturating_sub(self.memory_not_counted_for_evict());
        if limit < used as u64 {
            log::warn!("WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", limit, used);
        }
        self.start_eviction_timer();
    }

    /// Arms the timer that goes on evicting from the loop (after CONFIG
    /// SET maxmemory, or when a call ran out of time).
    pub fn start_eviction_timer(&mut self) {
        if !self.eviction.timer_armed {
            self.eviction.timer_armed = true;
            self.event_loop.add_timer(Instant::now(), TIMER_EVICTION);
        }
    }

    /// The eviction timer fired: evict again, and keep going while over
    /// the limit with time running out.
    pub fn eviction_timer(&mut self) {
        self.eviction.timer_armed = false;
        if self.perform_evictions() == EvictOutcome::Running {
            self.start_eviction_timer();
        }
    }
}

/// A candidate's score under an LRU or LFU policy: idle milliseconds, or
/// how rarely it is used (255 less its decayed access counter).
fn access_score(tracking: AccessTracking, lru: u32) -> u64 {
    match tracking {
        AccessTracking::Lru(clock) => {
            u64::from(idle_ticks(clock, lru)) * LRU_CLOCK_RESOLUTION_MS as u64
        }
        AccessTracking::Lfu { .. } => 255 - u64::from(tracking.lfu_counter(lru).min(255)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(score: u64, name: &str) -> Candidate {
        Candidate {
            score,
            db: 0,
            key: Key::from(name.as_bytes()),
        }
    }

    #[test]
    fn the_pool_keeps_the_best_candidates_in_order() {
        let mut e = Eviction::default();
        for i in 0..40u64 {
            e.offer(candidate((i * 7) % 40, &format!("k{i}")));
        }
        // A key already in the pool is not taken twice.
        e.offer(candidate(39, "k17"));
        let scores: Vec<u64> = e.pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, (24..40).collect::<Vec<_>>());
        e.offer(candidate(1, "worse"));
        assert!(e.pool.iter().all(|c| &*c.key != b"worse"));
    }

    #[test]
    fn tenacity_sets_the_time_per_call() {
        assert_eq!(time_limit(0), Duration::ZERO);
        assert_eq!(time_limit(10), Duration::from_micros(500));
        assert_eq!(time_limit(11), Duration::from_micros(575));
        assert_eq!(time_limit(100), Duration::MAX);
    }

    #[test]
    fn time_over_the_limit_is_accumulated() {
        let mut e = Eviction::default();
        e.record(EvictOutcome::Fail);
        assert!(e.exceeded_since.is_some());
        e.record(EvictOutcome::Ok);
        assert!(e.exceeded_since.is_none());
        assert_eq!(e.current_exceeded(), Duration::ZERO);
    }
}
