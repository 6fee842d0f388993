//! Progress reports from a save child to its parent over a pipe: keys
//! written so far and the copy-on-write memory the child holds (its
//! private dirty pages: the pages the parent changed since the fork), for
//! INFO's `current_cow_size`, `current_save_keys_processed`,
//! `current_fork_perc` and `rdb_last_cow_size`.
//!
//! The child sends fixed-size records (atomic pipe writes): a current
//! report at most once a second, checked every 1024 keys, and a final one
//! when the file is complete. The parent drains the pipe from the cron.

use std::time::{Duration, Instant};

const RECORD_SIZE: usize = 32;
const KIND_CURRENT: u64 = 0;
const KIND_FINAL: u64 = 1;
/// Keys between two looks at the clock.
const CHECK_EVERY_KEYS: u64 = 1024;
/// A copy-on-write reading may use at most 1/this of the child's time.
const COW_DUTY_CYCLE: u32 = 100;

/// Reading the child's copy-on-write size: its private dirty memory.
fn private_dirty_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup")
        .or_else(|_| std::fs::read_to_string("/proc/self/smaps"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// Both ends of a fresh pipe, or `None` if it could not be made.
pub fn pipe() -> Option<(i32, i32)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the two-element array.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    (rc == 0).then_some((fds[0], fds[1]))
}

fn close(fd: i32) {
    // SAFETY: closing a descriptor this module opened and owns.
    unsafe { libc::close(fd) };
}

/// The child's side.
pub struct Reporter {
    fd: i32,
    last_sent: Option<Instant>,
    cow: u64,
    cow_read_at: Option<Instant>,
    cow_read_cost: Duration,
    peak: u64,
    sum: u64,
    readings: u64,
}

impl Reporter {
    /// Takes the write end of the pipe.
    pub fn new(fd: i32) -> Reporter {
        Reporter {
            fd,
            last_sent: None,
            cow: 0,
            cow_read_at: None,
            cow_read_cost: Duration::ZERO,
            peak: 0,
            sum: 0,
            readings: 0,
        }
    }

    /// Called after each key with the number written so far.
    pub fn key_saved(&mut self, keys: u64) {
        if !keys.saturating_sub(1).is_multiple_of(CHECK_EVERY_KEYS) {
            return;
        }
        if self
            .last_sent
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        self.last_sent = Some(Instant::now());
        self.send(KIND_CURRENT, keys);
    }

    /// The final report, after the file is complete.
    pub fn finish(&mut self, keys: u64) {
        self.send(KIND_FINAL, keys);
    }

    fn send(&mut self, kind: u64, keys: u64) {
        let due = kind != KIND_CURRENT
            || self
                .cow_read_at
                .is_none_or(|t| t.elapsed() > self.cow_read_cost * COW_DUTY_CYCLE);
        if due {
            let started = Instant::now();
            self.cow = private_dirty_bytes();
            self.cow_read_at = Some(Instant::now());
            self.cow_read_cost = started.elapsed();
            self.peak = self.peak.max(self.cow);
            self.sum += self.cow;
            self.readings += 1;
            if self.cow > 0 || kind != KIND_CURRENT {
                let line = format!(
                    "Fork CoW for RDB: current {} MB, peak {} MB, average {} MB",
                    self.cow >> 20,
                    self.peak >> 20,
                    (self.sum / self.readings) >> 20
                );
                if kind == KIND_CURRENT {
                    log::debug!("{}", line);
                } else {
                    log::info!("{}", line);
                }
            }
        }
        let mut record = [0u8; RECORD_SIZE];
        record[..8].copy_from_slice(&kind.to_ne_bytes());
        record[8..16].copy_from_slice(&keys.to_ne_bytes());
        record[16..24].copy_from_slice(&self.cow.to_ne_bytes());
        record[24..].copy_from_slice(&(crate::util::now_ms() as u64).to_ne_bytes());
        // SAFETY: writing a local buffer of RECORD_SIZE bytes to our fd.
        let n = unsafe { libc::write(self.fd, record.as_ptr().cast(), RECORD_SIZE) };
        if n != RECORD_SIZE as isize {
            log::warn!("Child failed reporting info to parent, exiting.");
            // SAFETY: leaving the forked child without running destructors.
            unsafe { libc::_exit(1) };
        }
    }
}

/// The parent's view of the running child's reports.
#[derive(Debug, Default)]
pub struct ChildStats {
    fd: Option<i32>,
    partial: Vec<u8>,
    pub cow_bytes: u64,
    pub cow_peak: u64,
    /// Unix ms of the last copy-on-write reading.
    pub cow_updated_ms: Option<i64>,
    pub keys_processed: u64,
    pub keys_total: u64,
    /// Copy-on-write of the last successful save (`rdb_last_cow_size`).
    pub last_cow_bytes: u64,
}

impl ChildStats {
    /// Starts following a child that saves `keys_total` keys and reports
    /// on `fd` (the read end of its pipe).
    pub fn start(&mut self, fd: Option<i32>, keys_total: u64) {
        self.stop();
        if let Some(fd) = fd {
            // SAFETY: fcntl on a descriptor we own.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
        }
        self.fd = fd;
        self.keys_total = keys_total;
    }

    /// Reads every complete report waiting in the pipe.
    pub fn receive(&mut self) {
        let Some(fd) = self.fd else {
            return;
        };
        let mut buf = [0u8; RECORD_SIZE * 16];
        loop {
            // SAFETY: reading into a local buffer of the given size.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            self.partial.extend_from_slice(&buf[..n as usize]);
        }
        let complete = self.partial.len() / RECORD_SIZE * RECORD_SIZE;
        let records: Vec<u8> = self.partial.drain(..complete).collect();
        for r in records.chunks_exact(RECORD_SIZE) {
            self.apply(r);
        }
    }

    fn apply(&mut self, r: &[u8]) {
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&r[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(b)
        };
        let (kind, keys, cow, at) = (field(0), field(1), field(2), field(3));
        self.cow_peak = self.cow_peak.max(cow);
        if kind == KIND_CURRENT {
            self.cow_bytes = cow;
            self.cow_updated_ms = Some(at as i64);
            self.keys_processed = keys;
        } else {
            self.last_cow_bytes = self.cow_peak;
        }
    }

    /// Forgets the child (after it ended): closes the pipe, clears the
    /// current figures, keeps `last_cow_bytes`.
    pub fn stop(&mut self) {
        if let Some(fd) = self.fd.take() {
            close(fd);
        }
        *self = ChildStats {
            last_cow_bytes: self.last_cow_bytes,
            ..ChildStats::default()
        };
    }

    /// INFO `current_fork_perc`.
    pub fn fork_percent(&self) -> f64 {
        if self.keys_total == 0 {
            return 0.0;
        }
        self.keys_processed as f64 / self.keys_total as f64 * 100.0
    }
}

/// Closes a pipe end in the process that does not use it.
pub fn close_end(fd: i32) {
    close(fd);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_travel_through_the_pipe() {
        let (read, write) = pipe().expect("pipe");
        let mut stats = ChildStats::default();
        stats.start(Some(read), 10);
        let mut reporter = Reporter::new(write);
        reporter.key_saved(1);
        reporter.key_saved(2);
        stats.receive();
        assert_eq!(stats.keys_processed, 1);
        assert_eq!(stats.fork_percent(), 10.0);
        assert!(stats.cow_updated_ms.is_some());
        reporter.finish(10);
        stats.receive();
        assert_eq!(stats.last_cow_bytes, stats.cow_peak);
        stats.stop();
        assert_eq!(stats.keys_total, 0);
        close_end(write);
    }
}
