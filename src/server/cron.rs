//! Periodic work on the loop's timer: the `hz` cron (shutdown signals,
//! client timeouts, the clients cron's buffer resizing, instantaneous
//! metrics, the slow active-expiry cycle, the tracking table's size limit,
//! background saves and save points, idle MIGRATE connections) and the
//! fast expiry cycle run before each sleep.
//!
//! Active expiry is adaptive as in Redis: each pass samples keys with a TTL
//! from every database in turn and keeps going while more than the
//! acceptable share of them turn out expired, under a time budget (25% of a
//! cron period for the slow cycle, 1ms for the fast one).

use super::Server;
use crate::util::{now_ms, now_us};

/// Which expiry cycle is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireCycle {
    Fast,
    Slow,
}

/// Keys sampled per database per pass (at effort 1).
const KEYS_PER_LOOP: usize = 20;
/// Budget of one fast cycle in microseconds (at effort 1).
const FAST_DURATION_US: i64 = 1000;
/// Share of CPU the slow cycle may use, in percent (at effort 1).
const SLOW_TIME_PERC: i64 = 25;
/// Stop sampling a database once fewer than this percentage of samples expired.
const ACCEPTABLE_STALE: usize = 10;

/// State carried between expiry cycles.
#[derive(Debug, Default)]
pub struct ExpireState {
    next_db: usize,
    timelimit_exit: bool,
    last_fast_start_us: i64,
    stale_perc: f64,
}

impl Server {
    /// The `hz` cron: runs every 1000/hz milliseconds.
    pub fn cron(&mut self) {
        if self.cron_paused {
            return;
        }
        self.cron_loops += 1;
        crate::crash::rearm_watchdog(self.config.watchdog_period);
        self.peak_memory = self.peak_memory.max(self.used_memory());
        let now = now_ms();
        self.stats
            .ops_sec
            .track(now, self.stats.total_commands_processed);
        self.stats.input_kbps.track(now, self.stats.net_input_bytes);
        self.stats
            .output_kbps
            .track(now, self.stats.net_output_bytes);
        self.handle_shutdown_signal();
        self.check_waiting_shutdown(now);
        if self.shutdown_asap {
            return;
        }
        self.close_timed_out_clients(now);
        self.close_clients_over_output_limits();
        self.clients_cron(now);
        self.release_freed_heap(now);
        if self.config.maxmemory_clients != 0 {
            self.recount_client_memory();
        }
        self.end_pause_if_due(now);
        // A replica leaves expiry to its primary (replication's cron
        // expires what its own clients wrote).
        if self.active_expire_enabled && !self.is_replica() {
            self.active_expire_cycle(ExpireCycle::Slow);
        }
        if self.config.activerehashing {
            self.rehash_key_indexes();
        }
        // Also when idle, so a lowered `tracking-table-max-keys` applies.
        if self.tracking.clients > 0 {
            self.limit_tracking_table(None);
        }
        self.run_cron_hooks();
    }

    /// Active rehashing: moves the key indexes' resizes under way along
    /// for up to a millisecond, so an idle server finishes them and frees
    /// the old bucket arrays (writes move them along too).
    fn rehash_key_indexes(&mut self) {
        let start = std::time::Instant::now();
        for db in &mut self.dbs {
            while db.keys.rehash_buckets(100) {
                if start.elapsed() >= std::time::Duration::from_millis(1) {
                    return;
                }
            }
        }
    }

    /// Closes idle clients when `timeout` is set (replicas and primaries exempt).
    fn close_timed_out_clients(&mut self, now: i64) {
        let timeout_s = self.config.timeout;
        if timeout_s <= 0 {
            return;
        }
        let expired: Vec<usize> = self
            .clients
            .iter()
            .filter(|c| {
                c.kind == crate::server::client::ClientKind::Normal
                    && now - c.last_interaction_ms > timeout_s * 1000
            })
            .map(|c| c.slot)
            .collect();
        for slot in expired {
            log::debug!("Closing idle client");
            self.free_client(slot);
        }
    }

    /// Samples keys with a TTL and deletes the expired ones (not while
    /// a pause keeps the dataset still, never on a replica).
    pub fn active_expire_cycle(&mut self, kind: ExpireCycle) {
        if self.clients_paused() || self.is_replica() {
            return;
        }
        let effort = i64::from(self.config.active_expire_effort.clamp(1, 10)) - 1;
        let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort as usize;
        let fast_duration = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
        let slow_perc = SLOW_TIME_PERC + 2 * effort;
        let acceptable_stale = ACCEPTABLE_STALE.saturating_sub(effort as usize);
        let start = now_us();
        let mut state = std::mem::take(&mut self.expire_state);
        let timelimit = match kind {
            ExpireCycle::Fast => {
                if !state.timelimit_exit && state.stale_perc < acceptable_stale as f64 {
                    self.expire_state = state;
                    return;
                }
                if start < state.last_fast_start_us + fast_duration * 2 {
                    self.expire_state = state;
                    return;
                }
                state.last_fast_start_us = start;
                fast_duration
            }
            ExpireCycle::Slow => slow_perc * 1_000_000 / i64::from(self.config.hz.max(1)) / 100,
        };
        state.timelimit_exit = false;
        let dbs = self.dbs.len();
        let mut total_sampled = 0usize;
        let mut total_expired = 0usize;
        for _ in 0..dbs.min(16) {
            let db = state.next_db % dbs;
            state.next_db = state.next_db.wrapping_add(1);
            loop {
                let (sampled, expired) = self.expire_sample(db, keys_per_loop);
                total_sampled += sampled;
                total_expired += expired;
                if now_us() - start > timelimit {
                    state.timelimit_exit = true;
                    self.stats.expired_time_cap_reached_count += 1;
                    break;
                }
                if sampled == 0 || expired * 100 <= sampled * acceptable_stale {
                    break;
                }
            }
            if state.timelimit_exit {
                break;
            }
        }
        let elapsed = now_us() - start;
        self.stats.expire_cycle_time_used_us += elapsed.max(0) as u64;
        self.latency.add_if_needed(
            "expire-cycle",
            elapsed.max(0) as u64 / 1000,
            self.config.latency_monitor_threshold,
        );
        let current_perc = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        state.stale_perc = current_perc * 0.05 + state.stale_perc * 0.95;
        self.stats.expired_stale_perc = state.stale_perc;
        self.expire_state = state;
    }

    /// Checks up to `count` keys with a TTL in `db`, continuing from where the
    /// last pass stopped. Returns (sampled, expired).
    fn expire_sample(&mut self, db: usize, count: usize) -> (usize, usize) {
        let now = now_ms();
        let mut sampled = 0;
        let mut expired = 0;
        let mut ttl_sum: i64 = 0;
        let mut ttl_samples: i64 = 0;
        while sampled < count {
            let d = self.db(db);
            let len = d.expires_len();
            if len == 0 {
                break;
            }
            let pos = d.expire_cursor % len;
            let Some((key, when)) = d.keys.nth_expiry(pos) else {
                break;
            };
            sampled += 1;
            if when < now {
                let key = key.clone();
                self.delete_expired(db, &key);
                expired += 1;
                // The last entry moved into `pos`; look at it next.
            } else {
                ttl_sum = ttl_sum.saturating_add(when - now);
                ttl_samples += 1;
                d.expire_cursor = pos + 1;
            }
        }
        if ttl_samples > 0 {
            let avg = ttl_sum / ttl_samples;
            let d = self.db(db);
            d.avg_ttl = if d.avg_ttl == 0 {
                avg
            } else {
                (d.avg_ttl / 50) * 49 + avg / 50
            };
        }
        (sampled, expired)
    }
}
