//! What the server remembers about persistence: the save child, the
//! outcome of the last save, the file being loaded. The behaviour (SAVE,
//! BGSAVE, save points, loading) is in the persistence module.

use super::childinfo::ChildStats;

/// Persistence state the server keeps.
#[derive(Debug)]
pub struct Persistence {
    /// The server's change counter at the last successful save; INFO's
    /// `rdb_changes_since_last_save` is the distance to it.
    pub dirty_at_save: u64,
    /// Whether the last background save (or failed SAVE) went well.
    pub last_bgsave_ok: bool,
    /// Unix seconds of the last BGSAVE attempt (save points retry failed
    /// saves only after a delay).
    pub last_bgsave_try_s: i64,
    /// Duration of the last background save, -1 before the first.
    pub last_bgsave_secs: i64,
    pub child: Option<SaveChild>,
    /// What the save child reported (copy-on-write size, progress).
    pub child_stats: ChildStats,
    /// BGSAVE SCHEDULE asked for a save as soon as possible.
    pub bgsave_scheduled: bool,
    /// SAVE and BGSAVE calls (INFO `rdb_saves`).
    pub saves: u64,
    pub total_forks: u64,
    pub latest_fork_usec: u64,
    /// Set while a file is being loaded.
    pub loading: Option<Loading>,
    /// A full sync is being received with `repl-diskless-load swapdb` from
    /// the same history: the old data stays readable meanwhile.
    pub async_loading: bool,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
    /// Replication data found in the file loaded at start-up.
    pub loaded_repl: Option<ReplInfo>,
    /// Keys (with their database) a primary's start-up load dropped as
    /// expired: collected while `Some`, they reach the stream as deletions
    /// once the file's replication history is adopted.
    pub expired_at_load: Option<Vec<(usize, Vec<u8>)>>,
}

impl Persistence {
    /// A data set is being loaded, blocking or in the background (Redis's
    /// `server.loading`).
    pub fn is_loading(&self) -> bool {
        self.loading.is_some() || self.async_loading
    }
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            dirty_at_save: 0,
            last_bgsave_ok: true,
            last_bgsave_try_s: 0,
            last_bgsave_secs: -1,
            child: None,
            child_stats: ChildStats::default(),
            bgsave_scheduled: false,
            saves: 0,
            total_forks: 0,
            latest_fork_usec: 0,
            loading: None,
            async_loading: false,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
            loaded_repl: None,
            expired_at_load: None,
        }
    }
}

/// A forked child writing a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct SaveChild {
    pub pid: i32,
    pub started_s: i64,
    /// The change counter when the child was forked: what a successful
    /// save covers.
    pub dirty_before: u64,
    pub target: SaveTarget,
}

/// Where a background save writes the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTarget {
    /// The `dbfilename` file (BGSAVE, save points, disk-based replication).
    Disk,
    /// Straight into replicas' sockets (`repl-diskless-sync`).
    ReplicaSockets,
    /// A new AOF base file (BGREWRITEAOF, automatic rewrites).
    AofRewrite,
}

/// Progress of the file being loaded (INFO `loading_*` fields).
#[derive(Debug, Clone, Copy, Default)]
pub struct Loading {
    pub start_s: i64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    pub rdb_used_mem: u64,
}

/// Replication aux fields of a loaded file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplInfo {
    pub stream_db: Option<i64>,
    pub replid: Option<String>,
    pub offset: Option<i64>,
}

impl crate::server::Server {
    /// True while a dataset is being loaded, blocking or not (Redis's
    /// `server.loading`): directives such as `appendonly` cannot change.
    pub fn loading_any(&self) -> bool {
        self.persistence.loading.is_some() || self.persistence.async_loading
    }
}
