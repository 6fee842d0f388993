//! Writing the AOF: the propagation sink appends each framed command
//! (SELECT and MULTI/EXEC included, as replicas get them) to a buffer,
//! and before the loop sleeps, ahead of any reply, the buffer goes to
//! the incremental file in one write and the `appendfsync` policy is
//! applied: `always` fsyncs right there (so no reply leaves before its
//! write is on disk), `everysec` hands an fsync to the background thread
//! at most once a second (a write waits up to 2 s for a slow one, then
//! goes ahead and counts `aof_delayed_fsync`), `no` leaves it to the OS.
//!
//! A failed write is logged (at most every 30 s) and, under `everysec`
//! and `no`, stops writes with MISCONF until a retry succeeds; under
//! `always` the server exits, as Redis does, since replies it already
//! queued would promise data that is not on disk.

use crate::config::AppendFsync;
use crate::server::state::aof::AofStatus;
use crate::server::Server;
use crate::util::{error_text, unix_seconds};
use log::{info, warn};
use std::fs::File;
use std::io::{self, Write};
use std::time::Instant;

/// Seconds between two logs of write errors.
const WRITE_ERROR_LOG_RATE: i64 = 30;
/// Seconds a write waits for a slow background fsync.
const MAX_FSYNC_WAIT: i64 = 2;

impl Server {
    /// Whether the AOF consumes the propagated stream now: when on, or
    /// while it waits for its first rewrite (the commands since the fork
    /// go to the temporary incr file).
    pub fn aof_wants_stream(&self) -> bool {
        match self.aof.status {
            AofStatus::On => true,
            AofStatus::WaitRewrite => self.aof_rewrite_running(),
            AofStatus::Off => false,
        }
    }

    /// The sink: appends framed commands, after a `#TS:` annotation when
    /// `aof-timestamp-enabled` asks for one and the second changed.
    pub fn aof_feed(&mut self, bytes: &[u8]) {
        if self.config.aof_timestamp_enabled {
            let now = unix_seconds();
            if self.aof.cur_timestamp < now {
                self.aof.cur_timestamp = now;
                self.aof
                    .buf
                    .extend_from_slice(timestamp_annotation(now).as_bytes());
            }
        }
        self.aof.buf.extend_from_slice(bytes);
    }

    /// Writes the buffer to the incr file and fsyncs by policy (Redis's
    /// `flushAppendOnlyFile`). `force` writes even while a background
    /// fsync is still running.
    pub fn flush_aof(&mut self, force: bool) {
        let Some(file) = self.aof.file.clone() else {
            return;
        };
        let policy = self.config.appendfsync;
        let now = unix_seconds();
        let a = &self.aof;
        let unsynced = a.last_incr_fsync_offset != a.last_incr_size;
        let mut sync_in_progress = false;
        if a.buf.is_empty() {
            let due = match policy {
                AppendFsync::EverySec => {
                    sync_in_progress = a.bio.pending() > 0;
                    unsynced && now > a.last_fsync_s && !sync_in_progress
                }
                AppendFsync::Always => unsynced,
                AppendFsync::No => false,
            };
            if !due {
                return;
            }
        } else {
            if policy == AppendFsync::EverySec {
                sync_in_progress = a.bio.pending() > 0;
                if !force && sync_in_progress && self.postpone_write(now) {
                    return;
                }
            }
            if !self.write_aof_buffer(&file, now, sync_in_progress) {
                return;
            }
        }
        self.fsync_by_policy(&file, policy, now, sync_in_progress);
    }

    /// Under `everysec`, while a background fsync runs: true to put the
    /// write off (for up to 2 s), false to write anyway (logged and
    /// counted).
    fn postpone_write(&mut self, now: i64) -> bool {
        match self.aof.flush_postponed_since {
            None => {
                self.aof.flush_postponed_since = Some(now);
                true
            }
            Some(since) if now - since < MAX_FSYNC_WAIT => true,
            Some(_) => {
                self.aof.delayed_fsync += 1;
                info!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
                false
            }
        }
    }

    /// Writes the whole buffer; false when the write failed (the buffer
    /// keeps what was not written, and the error is recorded).
    fn write_aof_buffer(&mut self, file: &File, now: i64, sync_in_progress: bool) -> bool {
        if self.aof.flush_sleep_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(self.aof.flush_sleep_us));
        }
        let started = Instant::now();
        let (written, error) = write_fully(file, &self.aof.buf);
        let ms = started.elapsed().as_millis() as u64;
        let event = if sync_in_progress {
            "aof-write-pending-fsync"
        } else if self.persistence.child.is_some() {
            "aof-write-active-child"
        } else {
            "aof-write-alone"
        };
        let threshold = self.config.latency_monitor_threshold;
        self.latency.add_if_needed(event, ms, threshold);
        self.latency.add_if_needed("aof-write", ms, threshold);
        self.aof.flush_postponed_since = None;
        if written != self.aof.buf.len() {
            self.aof_write_failed(file, written, error, now);
            return false;
        }
        if self.aof.write_error.take().is_some() {
            warn!("AOF write error looks solved, Redis can write again.");
        }
        self.aof.current_size += written as u64;
        self.aof.last_incr_size += written as u64;
        if self.aof.buf.capacity() > 4000 {
            self.aof.buf = Vec::new();
        } else {
            self.aof.buf.clear();
        }
        true
    }

    /// A write that did not take the whole buffer: a short write is cut
    /// off the file when possible; the error stops writes (or, under
    /// `always`, the server).
    fn aof_write_failed(
        &mut self,
        file: &File,
        written: usize,
        error: Option<io::Error>,
        now: i64,
    ) {
        let can_log = now - self.aof.last_error_log_s > WRITE_ERROR_LOG_RATE;
        if can_log {
            self.aof.last_error_log_s = now;
        }
        let mut kept = written;
        let errno = match error {
            Some(e) if written == 0 => {
                if can_log {
                    warn!("Error writing to the AOF file: {}", error_text(&e));
                }
                e.raw_os_error().unwrap_or(libc::EIO)
            }
            _ => {
                if can_log {
                    warn!(
                        "Short write while writing to the AOF file: (nwritten={}, expected={})",
                        written,
                        self.aof.buf.len()
                    );
                }
                match file.set_len(self.aof.last_incr_size) {
                    Ok(()) => kept = 0,
                    Err(e) if can_log => warn!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}", error_text(&e)),
                    Err(_) => {}
                }
                libc::ENOSPC
            }
        };
        if self.config.appendfsync == AppendFsync::Always {
            warn!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
            std::process::exit(1);
        }
        self.aof.write_error = Some(errno);
        if kept > 0 {
            self.aof.current_size += kept as u64;
            self.aof.last_incr_size += kept as u64;
            self.aof.buf.drain(..kept);
        }
    }

    /// The fsync half of a flush.
    fn fsync_by_policy(
        &mut self,
        file: &std::sync::Arc<File>,
        policy: AppendFsync,
        now: i64,
        sync_in_progress: bool,
    ) {
        if self.config.no_appendfsync_on_rewrite && self.persistence.child.is_some() {
            return;
        }
        match policy {
            AppendFsync::Always => {
                let started = Instant::now();
                if let Err(e) = file.sync_data() {
                    warn!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", error_text(&e));
                    std::process::exit(1);
                }
                let ms = started.elapsed().as_millis() as u64;
                let threshold = self.config.latency_monitor_threshold;
                self.latency
                    .add_if_needed("aof-fsync-always", ms, threshold);
                self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                self.aof.last_fsync_s = now;
            }
            AppendFsync::EverySec if now > self.aof.last_fsync_s => {
                if !sync_in_progress {
                    self.aof.bio.fsync(std::sync::Arc::clone(file));
                    self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                }
                self.aof.last_fsync_s = now;
            }
            _ => {}
        }
    }

    /// Writes what is buffered and fsyncs the file now, waiting for it
    /// (switching the AOF off, shutdown).
    pub fn flush_and_fsync_aof(&mut self) {
        self.flush_aof(true);
        if let Some(file) = &self.aof.file {
            match file.sync_data() {
                Ok(()) => self.aof.last_fsync_s = unix_seconds(),
                Err(e) => warn!("Fail to fsync the AOF file: {}", error_text(&e)),
            }
        }
    }

    /// The errno that makes writes refused (a failed write, or a failed
    /// background fsync), when the AOF is on.
    pub fn aof_write_errno(&self) -> Option<i32> {
        if !self.aof.is_on() {
            return None;
        }
        self.aof.write_error.or_else(|| self.aof.bio.last_error())
    }
}

/// Writes all of `buf`, retrying short writes and interruptions; returns
/// how much was written and the error that stopped it.
fn write_fully(mut file: &File, buf: &[u8]) -> (usize, Option<io::Error>) {
    let mut done = 0;
    while done < buf.len() {
        match file.write(buf.get(done..).unwrap_or_default()) {
            Ok(0) => return (done, None),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

/// `#TS:<unix seconds>\r\n`.
pub fn timestamp_annotation(now: i64) -> String {
    format!("#TS:{}\r\n", now)
}
