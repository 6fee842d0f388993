//! What the server remembers about the append-only file: whether it is on,
//! the manifest of its files, the open incremental file and the buffer of
//! commands not written yet, fsync bookkeeping, rewrite state and the
//! figures INFO shows. The behaviour is in `persistence::aof`.

use crate::bio::Bio;
use std::fs::File;
use std::sync::Arc;

/// Redis's `aof_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AofStatus {
    #[default]
    Off,
    On,
    /// Turned on at run time: commands accumulate in a temporary incr file
    /// until the first rewrite has written a base.
    WaitRewrite,
}

/// Kinds of files in the manifest (the letter after `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AofFileType {
    Base,
    Incr,
    History,
}

impl AofFileType {
    pub fn letter(self) -> char {
        match self {
            AofFileType::Base => 'b',
            AofFileType::Incr => 'i',
            AofFileType::History => 'h',
        }
    }
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: i64,
    pub kind: AofFileType,
}

/// Redis's `aofManifest`: the base file, the history files waiting to be
/// deleted and the incremental files, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub history: Vec<AofFile>,
    pub incrs: Vec<AofFile>,
    pub base_seq: i64,
    pub incr_seq: i64,
    /// Changed since it was last written to disk.
    pub dirty: bool,
}

/// The AOF state.
#[derive(Debug)]
pub struct Aof {
    pub status: AofStatus,
    pub manifest: Manifest,
    /// The incremental file being appended to.
    pub file: Option<Arc<File>>,
    /// Commands propagated since the last write to the file.
    pub buf: Vec<u8>,
    /// Database the file's stream has selected.
    pub selected_db: Option<usize>,
    /// Unix seconds of the last `#TS:` annotation written.
    pub cur_timestamp: i64,
    /// Size of the base and incr files (INFO `aof_current_size`).
    pub current_size: u64,
    /// Size after the last rewrite (INFO `aof_base_size`).
    pub rewrite_base_size: u64,
    pub last_incr_size: u64,
    pub last_incr_fsync_offset: u64,
    /// Unix seconds of the last fsync (or its request, for `everysec`).
    pub last_fsync_s: i64,
    /// Unix seconds since when a write waits for a background fsync.
    pub flush_postponed_since: Option<i64>,
    pub delayed_fsync: u64,
    /// The last write failed with this errno (writes are refused with
    /// MISCONF until a write succeeds).
    pub write_error: Option<i32>,
    /// Unix seconds of the last logged write error.
    pub last_error_log_s: i64,
    /// Unix ms of the last retry of a failed write by the cron.
    pub last_error_retry_ms: i64,
    pub rewrite_scheduled: bool,
    /// Unix seconds the running rewrite started.
    pub rewrite_started_s: Option<i64>,
    pub last_rewrite_secs: i64,
    pub last_rewrite_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    /// Back-off after repeated failed rewrites: the next delay in minutes
    /// and when an automatic rewrite may run again.
    pub limit_delay_minutes: i64,
    pub limit_until_s: i64,
    /// Microseconds to sleep before each write (DEBUG AOF-FLUSH-SLEEP).
    pub flush_sleep_us: u64,
    pub last_cow_size: u64,
    /// Background fsyncs.
    pub bio: Bio,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            status: AofStatus::Off,
            manifest: Manifest::default(),
            file: None,
            buf: Vec::new(),
            selected_db: None,
            cur_timestamp: 0,
            current_size: 0,
            rewrite_base_size: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync_s: crate::util::unix_seconds(),
            flush_postponed_since: None,
            delayed_fsync: 0,
            write_error: None,
            last_error_log_s: 0,
            last_error_retry_ms: 0,
            rewrite_scheduled: false,
            rewrite_started_s: None,
            last_rewrite_secs: -1,
            last_rewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            limit_delay_minutes: 0,
            limit_until_s: 0,
            flush_sleep_us: 0,
            last_cow_size: 0,
            bio: Bio::default(),
        }
    }
}

impl Aof {
    /// Whether propagated commands go to the AOF buffer now.
    pub fn is_on(&self) -> bool {
        self.status != AofStatus::Off
    }
}
