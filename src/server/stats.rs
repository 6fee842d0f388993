//! Counters and logs the server keeps for INFO, SLOWLOG and LATENCY.

use std::collections::{BTreeMap, VecDeque};

/// Most distinct error codes tracked by INFO errorstats (as Redis).
const ERROR_STATS_MAX: usize = 128;

#[derive(Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    /// Clients closed for breaking `client-output-buffer-limit`.
    pub output_limit_disconnections: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_time_used_us: u64,
    pub evicted_keys: u64,
    /// Clients closed under `maxmemory-clients`.
    pub evicted_clients: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub dump_payload_sanitizations: u64,
    /// Reply buffers the clients cron shrank and grew.
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
    /// Replies per error code (first word), for INFO errorstats.
    pub errors: BTreeMap<String, u64>,
    /// The error table filled up; new codes are no longer tracked.
    pub errors_disabled: bool,
    pub ops_sec: InstantaneousMetric,
    pub input_kbps: InstantaneousMetric,
    pub output_kbps: InstantaneousMetric,
}

impl Stats {
    pub fn count_error(&mut self, code: &str) {
        self.total_error_replies += 1;
        if self.errors_disabled {
            return;
        }
        if let Some(n) = self.errors.get_mut(code) {
            *n += 1;
            return;
        }
        if self.errors.len() >= ERROR_STATS_MAX {
            self.errors_disabled = true;
            self.errors.clear();
            log::warn!(
                "Errorstats stopped adding new errors because the number of different errors reached {}; existing errors stats are still available.",
                ERROR_STATS_MAX
            );
            return;
        }
        self.errors.insert(code.to_string(), 1);
    }

    /// Zeroes what CONFIG RESETSTAT resets.
    pub fn reset(&mut self) {
        *self = Stats::default();
    }
}

/// A rate sampled every cron tick over the last 16 samples.
#[derive(Debug, Default)]
pub struct InstantaneousMetric {
    last_sample_ms: i64,
    last_value: u64,
    samples: [f64; 16],
    index: usize,
}

impl InstantaneousMetric {
    /// Records the counter `value` at `now_ms`; samples at most every 100ms.
    pub fn track(&mut self, now_ms: i64, value: u64) {
        if self.last_sample_ms == 0 {
            self.last_sample_ms = now_ms;
            self.last_value = value;
            return;
        }
        let elapsed = now_ms - self.last_sample_ms;
        if elapsed < 100 {
            return;
        }
        let delta = value.saturating_sub(self.last_value) as f64;
        self.samples[self.index % 16] = delta * 1000.0 / elapsed as f64;
        self.index += 1;
        self.last_sample_ms = now_ms;
        self.last_value = value;
    }

    /// The mean rate per second.
    pub fn per_second(&self) -> f64 {
        self.samples.iter().sum::<f64>() / 16.0
    }
}

/// CLIENT PAUSE state.
#[derive(Debug, Clone, Copy)]
pub struct Pause {
    pub until_ms: i64,
    /// Only write commands are paused (`CLIENT PAUSE ms WRITE`).
    pub write_only: bool,
}

/// One SLOWLOG entry.
#[derive(Debug, Clone)]
pub struct SlowLogEntry {
    pub id: u64,
    pub time_s: i64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    pub peer: String,
    pub name: String,
}

#[derive(Debug, Default)]
pub struct SlowLog {
    pub entries: VecDeque<SlowLogEntry>,
    pub next_id: u64,
}

/// Most arguments and bytes per argument a slowlog entry keeps.
const SLOWLOG_MAX_ARGS: usize = 32;
const SLOWLOG_MAX_ARG_LEN: usize = 128;

impl SlowLog {
    /// Records a command that took `duration_us`, newest first.
    pub fn push(
        &mut self,
        args: &crate::server::spec::Args,
        duration_us: u64,
        peer: &str,
        name: &str,
        max_len: u64,
    ) {
        let mut kept: Vec<Vec<u8>> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i == SLOWLOG_MAX_ARGS - 1 && args.len() > SLOWLOG_MAX_ARGS {
                kept.push(
                    format!("... ({} more arguments)", args.len() - SLOWLOG_MAX_ARGS + 1)
                        .into_bytes(),
                );
                break;
            }
            if a.len() > SLOWLOG_MAX_ARG_LEN {
                let mut s = a[..SLOWLOG_MAX_ARG_LEN].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - SLOWLOG_MAX_ARG_LEN).as_bytes(),
                );
                kept.push(s);
            } else {
                kept.push(a.to_vec());
            }
        }
        self.entries.push_front(SlowLogEntry {
            id: self.next_id,
            time_s: crate::util::now_ms() / 1000,
            duration_us,
            args: kept,
            peer: peer.to_string(),
            name: name.to_string(),
        });
        self.next_id += 1;
        self.trim(max_len);
    }

    #[inline]
    pub fn trim(&mut self, max_len: u64) {
        while self.entries.len() as u64 > max_len {
            self.entries.pop_back();
        }
    }
}

/// Latency spikes per event name (LATENCY LATEST / HISTORY).
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    pub events: BTreeMap<String, LatencyEvent>,
}

#[derive(Debug, Default, Clone)]
pub struct LatencyEvent {
    /// (unix seconds, milliseconds) samples, oldest first, at most 160.
    pub samples: VecDeque<(i64, u64)>,
    pub max_ms: u64,
}

impl LatencyMonitor {
    /// Records `ms` for `event` if it reaches the threshold (0 disables).
    #[inline]
    pub fn add_if_needed(&mut self, event: &str, ms: u64, threshold: u64) {
        if threshold != 0 && ms >= threshold {
            self.add(event, ms);
        }
    }

    /// Records a sample of `ms` for `event`.
    fn add(&mut self, event: &str, ms: u64) {
        let now_s = crate::util::now_ms() / 1000;
        let e = self.events.entry(event.to_string()).or_default();
        e.max_ms = e.max_ms.max(ms);
        match e.samples.back_mut() {
            Some(last) if last.0 == now_s => last.1 = last.1.max(ms),
            _ => {
                e.samples.push_back((now_s, ms));
                if e.samples.len() > 160 {
                    e.samples.pop_front();
                }
            }
        }
    }
}
