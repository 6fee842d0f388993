//! Writing the whole dataset as an RDB stream: header, aux fields, every
//! database with its keys, EOF and checksum. The same code serves SAVE,
//! the BGSAVE child and the bytes a replica's SYNC receives (which may
//! leave out the keys or the functions, see [`SnapshotFilter`]).

use super::value::{save_form, Limits};
use super::writer::{Access, WriteOptions, Writer};
use crate::server::keyspace::{idle_ticks, lru_clock_at, AccessTracking};
use crate::server::state::childinfo::Reporter;
use crate::server::state::replication::SnapshotFilter;
use crate::server::Server;
use crate::util::{error_text, unix_seconds};
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Bytes written between two fsyncs of a file being saved
/// (`rdb-save-incremental-fsync`).
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// How the server's config says values are written.
pub fn write_options(srv: &Server) -> WriteOptions {
    WriteOptions {
        compression: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        limits: Limits::from_config(&srv.config),
    }
}

/// What is saved before a key for the eviction policy: idle seconds under
/// an LRU policy, the decayed counter under an LFU one.
fn access_of(srv: &Server, tracking: AccessTracking, clock: u32, lru: u32) -> Access {
    if srv.config.maxmemory_policy.is_lfu() {
        Access::Freq(tracking.lfu_counter(lru).min(255) as u8)
    } else if srv.config.maxmemory_policy.is_lru() {
        Access::IdleSeconds(u64::from(idle_ticks(clock, lru)))
    } else {
        Access::None
    }
}

/// Writes the dataset to `out` and returns it once the checksum is out.
/// `on_key` hears the number of keys written after each key.
pub fn write_snapshot<W: Write>(
    srv: &Server,
    out: W,
    on_key: &mut dyn FnMut(u64),
) -> io::Result<W> {
    write_rdb(srv, out, on_key, false, SnapshotFilter::NONE)
}

/// [`write_snapshot`], or with `aof_base` the base file of an AOF (marked
/// `aof-base`, without replication fields).
pub fn write_snapshot_as<W: Write>(
    srv: &Server,
    out: W,
    on_key: &mut dyn FnMut(u64),
    aof_base: bool,
) -> io::Result<W> {
    write_rdb(srv, out, on_key, aof_base, SnapshotFilter::NONE)
}

/// [`write_snapshot`] without the parts `filter` leaves out (the header
/// and aux fields are always there).
pub fn write_filtered_snapshot<W: Write>(
    srv: &Server,
    out: W,
    filter: SnapshotFilter,
    on_key: &mut dyn FnMut(u64),
) -> io::Result<W> {
    write_rdb(srv, out, on_key, false, filter)
}

fn write_rdb<W: Write>(
    srv: &Server,
    out: W,
    on_key: &mut dyn FnMut(u64),
    aof_base: bool,
    filter: SnapshotFilter,
) -> io::Result<W> {
    let mut w = Writer::new(out, write_options(srv));
    w.header()?;
    w.aux("redis-ver", crate::version::REDIS_VERSION.as_bytes())?;
    w.aux_int("redis-bits", 64)?;
    w.aux_int("ctime", unix_seconds())?;
    w.aux_int("used-mem", srv.used_memory() as i64)?;
    if srv.replication.backlog.is_some() && !aof_base {
        let db = srv
            .replica_stream_db()
            .or(srv.replication.selected_db)
            .unwrap_or(0);
        w.aux_int("repl-stream-db", db as i64)?;
        w.aux("repl-id", srv.replication.id.replid.as_bytes())?;
        w.aux_int("repl-offset", srv.replication.master_offset as i64)?;
    }
    w.aux_int("aof-base", i64::from(aof_base))?;
    if let Some(hooks) = srv
        .scripting
        .library_hooks
        .filter(|_| !filter.exclude_functions)
    {
        for code in (hooks.codes)(srv) {
            w.function(&code)?;
        }
    }
    if !filter.exclude_data {
        write_databases(srv, &mut w, on_key)?;
    }
    w.finish()
}

/// Every non-empty database: its header and its keys.
fn write_databases<W: Write>(
    srv: &Server,
    w: &mut Writer<W>,
    on_key: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let now = crate::util::now_ms();
    let tracking = srv.access_tracking_at(now);
    let clock = lru_clock_at(now);
    let delay = srv.config.rdb_key_save_delay;
    let mut written = 0u64;
    for (index, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(index)?;
        w.resize_db(db.len(), db.expires_len())?;
        for (key, obj) in &db.keys {
            let access = access_of(srv, tracking, clock, obj.lru);
            w.key(key, &save_form(&obj.value), db.expire_of(key), access)?;
            written += 1;
            on_key(written);
            if delay != 0 {
                debug_delay(delay);
            }
        }
    }
    Ok(())
}

/// Sleeps `usec` microseconds; a negative value sleeps 1µs once in `-usec`
/// calls (Redis's `debugDelay`, for `rdb-key-save-delay` and
/// `key-load-delay`).
pub fn debug_delay(usec: i64) {
    let usec = if usec < 0 {
        i64::from(fastrand_below(usec.unsigned_abs()) == 0)
    } else {
        usec
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec as u64));
    }
}

fn fastrand_below(n: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    u64::from(nanos) % n.max(1)
}

/// The dataset as RDB bytes (what a full resynchronization sends).
pub fn rdb_snapshot_bytes(srv: &Server) -> Vec<u8> {
    // Writing into memory cannot fail.
    write_snapshot(srv, Vec::new(), &mut |_| {}).unwrap_or_default()
}

/// A file that is fsynced every few megabytes while being written.
pub struct AutoSync {
    pub file: File,
    unsynced: u64,
    enabled: bool,
}

impl AutoSync {
    /// Writes to `file`, fsyncing every few megabytes when `enabled`.
    pub fn new(file: File, enabled: bool) -> AutoSync {
        AutoSync {
            file,
            unsynced: 0,
            enabled,
        }
    }
}

impl Write for AutoSync {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n as u64;
        if self.enabled && self.unsynced >= AUTOSYNC_BYTES {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The temp file a process with this pid saves into.
pub fn temp_file_name(pid: u32) -> String {
    format!("temp-{}.rdb", pid)
}

fn cwd_text() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Saves the dataset into `filename` (relative to `dir`, the working
/// directory) crash-safely: a temp file is written and fsynced, renamed
/// over the target, and the directory is fsynced. Either the old file or
/// the complete new one is there at any moment. Logs like Redis. A
/// forked child passes its `reporter`.
pub fn save_to_file(srv: &Server, filename: &str, mut reporter: Option<&mut Reporter>) -> bool {
    let tmp = temp_file_name(std::process::id());
    let file = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
                tmp,
                cwd_text(),
                error_text(&e)
            );
            return false;
        }
    };
    let sink = AutoSync {
        file,
        unsynced: 0,
        enabled: srv.config.rdb_save_incremental_fsync,
    };
    let mut keys = 0;
    let mut on_key = |n: u64| {
        keys = n;
        if let Some(r) = reporter.as_deref_mut() {
            r.key_saved(n);
        }
    };
    let result = write_snapshot(srv, BufWriter::with_capacity(1 << 16, sink), &mut on_key)
        .map_err(|e| ("rdbSaveRio", e))
        .and_then(|buf| buf.into_inner().map_err(|e| ("fflush", e.into_error())))
        .and_then(|sink| sink.file.sync_all().map_err(|e| ("fsync", e)));
    if let Err((op, e)) = result {
        log::warn!("Write error saving DB on disk({}): {}", op, error_text(&e));
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    if let Err(e) = std::fs::rename(&tmp, filename) {
        log::warn!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            tmp,
            filename,
            cwd_text(),
            error_text(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    if let Err(e) = fsync_dir_of(filename) {
        log::warn!(
            "Write error saving DB on disk(fsyncFileDir): {}",
            error_text(&e)
        );
        return false;
    }
    log::info!("DB saved on disk");
    if let Some(r) = reporter {
        r.finish(keys);
    }
    true
}

/// Makes a rename in the directory of `path` durable.
pub fn fsync_dir_of(path: &str) -> io::Result<()> {
    let dir = match std::path::Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::reader::{Item, Reader};
    use crate::types::{Object, StrValue, Value};

    #[test]
    fn snapshot_bytes_hold_every_database() {
        let mut config = crate::config::Config::default();
        config.set_internal("port", "0").expect("port 0");
        let mut srv = Server::new(config, crate::commands::TABLES, crate::commands::FEATURES)
            .expect("server");
        let value = |s: &[u8]| Object::new(Value::Str(StrValue::from_bytes(s)), 0);
        srv.db(0).insert(b"a", value(b"1"), None);
        srv.db(7)
            .insert(b"b", value(b"two"), Some(4_000_000_000_000));
        let bytes = rdb_snapshot_bytes(&srv);
        let mut r = Reader::new(bytes.as_slice(), true);
        assert_eq!(r.header().expect("header"), 10);
        let mut seen = Vec::new();
        let mut db = 0;
        loop {
            match r.next_item().expect("item") {
                Item::Eof => break,
                Item::SelectDb(n) => db = n,
                Item::Key(e) => seen.push((db, e.key, e.expire_ms)),
                _ => {}
            }
        }
        assert!(r.verify_checksum(true).expect("trailer"));
        assert_eq!(
            seen,
            vec![
                (0, b"a".to_vec(), None),
                (7, b"b".to_vec(), Some(4_000_000_000_000))
            ]
        );
    }
}
