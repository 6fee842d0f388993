//! Loading RDB files: at start-up (before `Ready to accept connections`,
//! answering clients with `-LOADING` meanwhile) and for DEBUG RELOAD.
//!
//! Keys go through the neutral-value plug point ([`load_form`]); keys whose
//! expiry passed are dropped (on a primary), as Redis does. A file that is
//! unreadable, truncated or corrupt stops the start with the reason in the
//! log; DEBUG RELOAD leaves the dataset as it was when the file is bad.

use super::reader::{Entry, Item, RdbError, Reader};
use super::value::{load_form, Limits};
use crate::config::SanitizeDump;
use crate::db::{Db, Key};
use crate::server::keyspace::{lru_clock_at, AccessTracking, LRU_CLOCK_MAX};
use crate::server::state::persistence::{Loading, ReplInfo};
use crate::server::Server;
use crate::types::Object;
use crate::util::{error_text, unix_seconds};
use log::{debug, info, warn};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::time::Instant;

/// Why a file could not be loaded.
#[derive(Debug)]
pub enum LoadFailure {
    NotFound,
    Open(io::Error),
    Rdb(RdbError, u64),
    TooManyDbs(usize),
    Duplicate(Vec<u8>, usize),
    Unsupported(&'static str, Vec<u8>),
    /// A function library could not be created (Redis's text).
    Library(String),
}

#[derive(Debug, Clone, Copy)]
struct LoadOptions {
    /// Serve clients (with -LOADING) while loading.
    events: bool,
    /// A key already present is replaced instead of being an error.
    replace: bool,
}

/// Most entries reserved ahead on a RESIZEDB hint (the hint comes from
/// the file and may lie).
const RESERVE_MAX: usize = 1 << 20;
/// Empty keys reported in the log at most this many times per load.
const EMPTY_KEYS_LOGGED: u64 = 10;

impl Server {
    /// Loads `dbfilename` at start-up. False when the server must exit
    /// (the reason is logged); a missing file is not an error.
    pub fn load_data_from_disk(&mut self) -> bool {
        if !self.load_aof_manifest() {
            return false;
        }
        let loaded = if self.config.appendonly {
            self.aof.status = crate::server::state::aof::AofStatus::On;
            self.load_aof_at_startup() && self.open_aof_on_startup()
        } else {
            self.load_rdb_at_startup()
        };
        if loaded {
            self.delete_aof_history();
        }
        loaded
    }

    fn load_rdb_at_startup(&mut self) -> bool {
        let started = Instant::now();
        let filename = self.config.dbfilename.clone();
        let opts = LoadOptions {
            events: true,
            replace: false,
        };
        if self.config.replicaof.is_none() {
            self.persistence.expired_at_load = Some(Vec::new());
        }
        let loaded = self.load_rdb(&filename, opts);
        let expired = self.persistence.expired_at_load.take().unwrap_or_default();
        match loaded {
            Ok(()) => {
                info!(
                    "DB loaded from disk: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                );
                self.adopt_loaded_replication_info(expired);
                true
            }
            Err(LoadFailure::NotFound) => true,
            Err(failure) => {
                report_failure(&failure, Path::new(&filename));
                false
            }
        }
    }

    /// DEBUG RELOAD: save (unless `save` is off), then replace the dataset
    /// with the file's (or, without `flush`, add the file's keys; with
    /// `merge` the file wins on conflicts). On failure the dataset is left
    /// as it was and the error text is returned.
    pub fn debug_reload(
        &mut self,
        save: bool,
        flush: bool,
        merge: bool,
    ) -> Result<(), &'static str> {
        if save && !self.rdb_save() {
            return Err("ERR");
        }
        let filename = self.config.dbfilename.clone();
        let opts = LoadOptions {
            events: false,
            replace: merge,
        };
        if !self.reload_from(&filename, opts, flush, false) {
            return Err("ERR Error trying to load the RDB dump");
        }
        warn!("DB reloaded by DEBUG RELOAD");
        Ok(())
    }

    /// Replaces the whole dataset with the file at `path` (a replica's
    /// full sync), serving clients with `-LOADING` meanwhile. On failure
    /// (logged) the dataset is left as it was. The old data is freed in
    /// the background with `replica-lazy-flush`.
    pub fn replace_dataset_from_file(&mut self, path: &str) -> bool {
        let opts = LoadOptions {
            events: true,
            replace: false,
        };
        let lazy = self.config.replica_lazy_flush;
        self.reload_from(path, opts, true, lazy)
    }

    /// Loads `path` over the current dataset: with `flush` the file's keys
    /// replace everything, otherwise they are added to what was there. On
    /// failure (logged) the dataset is put back as it was; on success what
    /// was replaced is freed, in the background when `lazy_free`.
    fn reload_from(&mut self, path: &str, opts: LoadOptions, flush: bool, lazy_free: bool) -> bool {
        self.reload_with(
            flush,
            lazy_free,
            |srv| srv.load_rdb(path, opts),
            opts.replace,
        )
    }

    /// Replaces the whole dataset with the RDB `reader` yields (a
    /// replica's full sync loaded as it arrives; `total_bytes` when known),
    /// serving clients with `-LOADING` meanwhile. On failure (logged) the
    /// dataset is left as it was.
    pub fn replace_dataset_from_reader<R: Read>(
        &mut self,
        reader: &mut Reader<R>,
        total_bytes: u64,
    ) -> bool {
        let opts = LoadOptions {
            events: true,
            replace: false,
        };
        let lazy = self.config.replica_lazy_flush;
        self.reload_with(
            true,
            lazy,
            |srv| srv.load_rdb_from(reader, total_bytes, opts),
            false,
        )
    }

    /// [`Server::reload_from`] with the load itself given as `load`.
    fn reload_with(
        &mut self,
        flush: bool,
        lazy_free: bool,
        load: impl FnOnce(&mut Self) -> Result<(), LoadFailure>,
        merge: bool,
    ) -> bool {
        if flush {
            self.db_flushing(None);
        }
        let libraries = if flush {
            self.take_libraries()
        } else {
            Vec::new()
        };
        let previous: Vec<Db> = self.dbs.iter_mut().map(Db::take_contents).collect();
        let loaded = load(self).and_then(|()| {
            if flush {
                Ok(())
            } else {
                self.keep_previous(&previous, merge)
            }
        });
        if let Err(failure) = loaded {
            describe_failure(&failure);
            for (db, mut old) in self.dbs.iter_mut().zip(previous) {
                db.swap_contents(&mut old);
            }
            if flush {
                self.put_back_libraries(&libraries);
            }
            return false;
        }
        self.free_databases(previous, lazy_free);
        true
    }

    /// Drops the function libraries before the dataset is replaced (as
    /// Redis's `emptyData`); their codes, to put back on failure.
    fn take_libraries(&mut self) -> Vec<Vec<u8>> {
        let Some(hooks) = self.scripting.library_hooks else {
            return Vec::new();
        };
        let codes = (hooks.codes)(self);
        (hooks.clear)(self);
        codes
    }

    fn put_back_libraries(&mut self, codes: &[Vec<u8>]) {
        let Some(hooks) = self.scripting.library_hooks else {
            return;
        };
        (hooks.clear)(self);
        for code in codes {
            if let Err(e) = (hooks.load)(self, code, true) {
                warn!("Failed restoring library, {}", e);
            }
        }
    }

    /// Adds the keys that were in memory before a NOFLUSH reload.
    fn keep_previous(&mut self, previous: &[Db], merge: bool) -> Result<(), LoadFailure> {
        for (index, old) in previous.iter().enumerate() {
            for (key, obj) in &old.keys {
                let db = &mut self.dbs[index];
                if db.contains(key) {
                    if merge {
                        continue;
                    }
                    return Err(LoadFailure::Duplicate(key.to_vec(), index));
                }
                db.insert(key, obj.clone(), old.expire_of(key));
            }
        }
        Ok(())
    }

    /// Reads the RDB at the start of `path` (an AOF base file or the
    /// preamble of an old AOF) into the dataset, within a load already
    /// started; returns the offset where the RDB ended.
    pub fn load_rdb_preamble(&mut self, path: &std::path::Path) -> Result<u64, LoadFailure> {
        let file = File::open(path).map_err(LoadFailure::Open)?;
        let deep = self.config.sanitize_dump_payload == SanitizeDump::Yes;
        let mut reader = Reader::new(
            BufReader::with_capacity(1 << 16, file),
            self.config.rdbchecksum,
        )
        .deep_sanitization(deep);
        let opts = LoadOptions {
            events: true,
            replace: false,
        };
        match self.read_rdb(&mut reader, opts) {
            Ok(()) => Ok(reader.position()),
            Err(LoadFailure::Rdb(err, _)) => Err(LoadFailure::Rdb(err, reader.position())),
            Err(other) => Err(other),
        }
    }

    fn load_rdb(&mut self, path: &str, opts: LoadOptions) -> Result<(), LoadFailure> {
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => LoadFailure::NotFound,
            _ => LoadFailure::Open(e),
        })?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = self.rdb_reader(BufReader::with_capacity(1 << 16, file));
        self.load_rdb_from(&mut reader, total_bytes, opts)
    }

    /// A reader of RDB data from `input` with the configured checks.
    pub fn rdb_reader<R: Read>(&self, input: R) -> Reader<R> {
        // Files are deep-sanitized only under `yes` (Redis skips it while
        // loading under `clients`).
        let deep = self.config.sanitize_dump_payload == SanitizeDump::Yes;
        Reader::new(input, self.config.rdbchecksum).deep_sanitization(deep)
    }

    /// Loads the RDB `reader` yields (`total_bytes` long, 0 if unknown),
    /// as a load INFO reports.
    fn load_rdb_from<R: Read>(
        &mut self,
        reader: &mut Reader<R>,
        total_bytes: u64,
        opts: LoadOptions,
    ) -> Result<(), LoadFailure> {
        self.persistence.loading = Some(Loading {
            start_s: unix_seconds(),
            total_bytes,
            ..Loading::default()
        });
        self.persistence.last_load_keys_loaded = 0;
        self.persistence.last_load_keys_expired = 0;
        let result = self.read_rdb(reader, opts);
        self.persistence.loading = None;
        result.map_err(|e| match e {
            LoadFailure::Rdb(err, _) => LoadFailure::Rdb(err, reader.position()),
            other => other,
        })
    }

    fn read_rdb<R: Read>(
        &mut self,
        r: &mut Reader<R>,
        opts: LoadOptions,
    ) -> Result<(), LoadFailure> {
        let rdb = |e| LoadFailure::Rdb(e, 0);
        r.header().map_err(rdb)?;
        let now = crate::util::now_ms();
        let clock = lru_clock_at(now);
        let tracking = self.access_tracking_at(now);
        let limits = Limits::from_config(&self.config);
        let interval = self.config.loading_process_events_interval_bytes.max(1);
        let mut db = 0usize;
        let mut empty_keys = 0u64;
        loop {
            let before = r.position();
            match r.next_item().map_err(rdb)? {
                Item::Eof => break,
                Item::Aux(key, value) => self.note_aux(&key, &value),
                Item::SelectDb(n) => {
                    db = usize::try_from(n)
                        .ok()
                        .filter(|&n| n < self.dbs.len())
                        .ok_or(LoadFailure::TooManyDbs(self.dbs.len()))?;
                }
                Item::ResizeDb(keys, expires) => {
                    let d = &mut self.dbs[db];
                    d.keys.reserve((keys as usize).min(RESERVE_MAX));
                    d.keys.reserve_expires((expires as usize).min(RESERVE_MAX));
                }
                Item::Function(code) => self.load_library(&code, opts.replace)?,
                Item::EmptyKey(key) => {
                    if empty_keys < EMPTY_KEYS_LOGGED {
                        warn!(
                            "rdbLoadObject skipping empty key: {}",
                            String::from_utf8_lossy(&key)
                        );
                    }
                    empty_keys += 1;
                }
                Item::Key(entry) => {
                    self.load_key(db, entry, now, opts.replace, &limits, (tracking, clock))?;
                }
            }
            if opts.events && r.position() / interval > before / interval {
                self.loading_progress(r.position());
            }
        }
        self.check_trailer(r)?;
        let p = &self.persistence;
        if empty_keys > 0 {
            warn!(
                "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
                p.last_load_keys_loaded, p.last_load_keys_expired, empty_keys
            );
        } else {
            info!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                p.last_load_keys_loaded, p.last_load_keys_expired
            );
        }
        Ok(())
    }

    /// Creates a library from its record (an existing one of the same
    /// name is an error unless keys may replace keys too).
    fn load_library(&mut self, code: &[u8], replace: bool) -> Result<(), LoadFailure> {
        match self.scripting.library_hooks {
            Some(hooks) => (hooks.load)(self, code, replace).map_err(LoadFailure::Library),
            None => {
                warn!("Skipping a function library found in the RDB file: no scripting engine");
                Ok(())
            }
        }
    }

    fn check_trailer<R: Read>(&self, r: &mut Reader<R>) -> Result<(), LoadFailure> {
        let verify = self.config.rdbchecksum && !self.skip_checksum_validation;
        match r.verify_checksum(verify) {
            Ok(false) if verify && r.version() >= 5 => {
                warn!("RDB file was saved with checksum disabled: no check performed.");
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(LoadFailure::Rdb(e, 0)),
        }
    }

    /// Adds one loaded key (or drops it if it already expired).
    fn load_key(
        &mut self,
        db: usize,
        entry: Entry,
        now: i64,
        replace: bool,
        limits: &Limits,
        clock: (AccessTracking, u32),
    ) -> Result<(), LoadFailure> {
        let is_primary = self.config.replicaof.is_none();
        if is_primary && entry.expire_ms.is_some_and(|t| t < now) {
            self.persistence.last_load_keys_expired += 1;
            if let Some(expired) = self.persistence.expired_at_load.as_mut() {
                expired.push((db, entry.key));
            }
            return Ok(());
        }
        let type_name = entry.value.type_name();
        let value = load_form(entry.value, limits)
            .map_err(|_| LoadFailure::Unsupported(type_name, entry.key.clone()))?;
        let lru = self.loaded_lru(entry.idle_seconds, entry.freq, clock);
        self.persistence.last_load_keys_loaded += 1;
        let d = &mut self.dbs[db];
        let key = Key::from(entry.key);
        let (index, replaced) = d.add_owned(key, Object::new(value, lru), entry.expire_ms);
        if replaced.is_some() && !replace {
            let key = d.key_at(index).map(|k| k.to_vec()).unwrap_or_default();
            return Err(LoadFailure::Duplicate(key, db));
        }
        if self.config.key_load_delay != 0 {
            super::snapshot::debug_delay(self.config.key_load_delay);
        }
        Ok(())
    }

    /// The `lru` field of a new object idle for `idle` seconds or with
    /// access counter `freq` (whichever the eviction policy uses), as of
    /// the current command.
    pub fn object_lru_for(&self, idle: Option<u64>, freq: Option<u8>) -> u32 {
        let tracking = self.access_tracking();
        self.loaded_lru(idle, freq, (tracking, self.lru_clock()))
    }

    /// The `lru` field of a loaded object from the IDLE/FREQ the file
    /// recorded (Redis's `objectSetLRUOrLFU`).
    fn loaded_lru(&self, idle: Option<u64>, freq: Option<u8>, clock: (AccessTracking, u32)) -> u32 {
        let (tracking, lru_clock) = clock;
        match (tracking, idle, freq) {
            (AccessTracking::Lfu { minutes, .. }, _, Some(f)) => (minutes << 8) | u32::from(f),
            (AccessTracking::Lru(_), Some(idle), _) => lru_after_idle(lru_clock, idle),
            _ => tracking.initial(),
        }
    }

    /// Logs and records an aux field as Redis does.
    fn note_aux(&mut self, key: &[u8], value: &[u8]) {
        let text = String::from_utf8_lossy(value);
        let number = || crate::util::parse_i64(value).unwrap_or(0);
        let repl = &mut self.persistence.loaded_repl;
        if key.first() == Some(&b'%') {
            info!("RDB '{}': {}", String::from_utf8_lossy(key), text);
            return;
        }
        match key.to_ascii_lowercase().as_slice() {
            b"repl-stream-db" => {
                repl.get_or_insert_with(ReplInfo::default).stream_db = Some(number())
            }
            b"repl-id" if value.len() == 40 => {
                repl.get_or_insert_with(ReplInfo::default).replid = Some(text.into_owned())
            }
            b"repl-offset" => repl.get_or_insert_with(ReplInfo::default).offset = Some(number()),
            b"redis-ver" => info!("Loading RDB produced by version {}", text),
            b"ctime" => info!("RDB age {} seconds", (unix_seconds() - number()).max(0)),
            b"used-mem" => {
                let used = number().max(0) as u64;
                info!(
                    "RDB memory usage when created {:.2} Mb",
                    used as f64 / (1024.0 * 1024.0)
                );
                if let Some(l) = self.persistence.loading.as_mut() {
                    l.rdb_used_mem = used;
                }
            }
            b"aof-preamble" if number() != 0 => info!("RDB has an AOF tail"),
            b"aof-base" if number() != 0 => info!("RDB is base AOF"),
            b"lua" | b"redis-bits" | b"aof-preamble" | b"aof-base" | b"repl-id" => {}
            _ => debug!(
                "Unrecognized RDB AUX field: '{}'",
                String::from_utf8_lossy(key)
            ),
        }
    }

    /// Records progress and lets clients in (they get `-LOADING` for all
    /// but the commands allowed while loading). SHUTDOWN or a shutdown
    /// signal stops the server without saving.
    pub fn loading_progress(&mut self, position: u64) {
        if let Some(l) = self.persistence.loading.as_mut() {
            l.loaded_bytes = position;
        }
        self.peak_memory = self.peak_memory.max(self.used_memory());
        self.process_events_while_blocked();
        if self.shutdown_asap {
            // A SHUTDOWN command was served (and prepared) meanwhile.
            std::process::exit(0);
        }
        if crate::server::take_shutdown_signal().is_some() {
            // Loading: nothing to save, and no waiting for replicas.
            let flags = crate::server::ShutdownFlags {
                nosave: true,
                now: true,
                ..Default::default()
            };
            if self.prepare_shutdown(flags) == crate::server::ShutdownStart::Done {
                std::process::exit(0);
            }
        }
    }
}

/// The LRU clock value of an object idle for `idle` seconds.
fn lru_after_idle(clock: u32, idle: u64) -> u32 {
    let idle = (idle % u64::from(LRU_CLOCK_MAX)) as u32;
    if idle <= clock {
        clock - idle
    } else {
        LRU_CLOCK_MAX - (idle - clock)
    }
}

/// Logs why loading failed, as Redis words it.
pub fn describe_failure(failure: &LoadFailure) {
    let internal = |pos: u64, reason: &str| {
        warn!("Internal error in RDB reading offset {} -> {}", pos, reason);
    };
    match failure {
        LoadFailure::NotFound => {}
        LoadFailure::Open(e) => warn!("Fatal error loading the DB: {}. Exiting.", error_text(e)),
        LoadFailure::Rdb(e @ (RdbError::Signature | RdbError::Version(_)), _) => {
            warn!("{}", e);
            warn!("Fatal error loading the DB: Invalid argument. Exiting.");
        }
        LoadFailure::Rdb(RdbError::Eof | RdbError::Io(_), pos) => {
            warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.");
            internal(*pos, "Unexpected EOF reading RDB file");
        }
        LoadFailure::Rdb(RdbError::Checksum { expected, got }, pos) => {
            warn!(
                "Wrong RDB checksum expected: ({:x}) but got ({:x}). Aborting now.",
                expected, got
            );
            internal(*pos, "RDB CRC error");
        }
        LoadFailure::Rdb(e, pos) => internal(*pos, &e.to_string()),
        LoadFailure::TooManyDbs(n) => warn!(
            "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting\n",
            n
        ),
        LoadFailure::Duplicate(key, db) => warn!(
            "RDB has duplicated key '{}' in DB {}",
            String::from_utf8_lossy(key),
            db
        ),
        LoadFailure::Library(err) => warn!("Failed loading library, {}", err),
        LoadFailure::Unsupported(kind, key) => warn!(
            "The RDB file holds a {} value (key '{}'), a type this reddish build cannot load yet",
            kind,
            String::from_utf8_lossy(key)
        ),
    }
}

/// Logs a start-up load failure; the server exits after it. A file that
/// fails to read is checked again and the check's report printed on the
/// standard output, as Redis runs redis-check-rdb then.
fn report_failure(failure: &LoadFailure, path: &Path) {
    describe_failure(failure);
    if let LoadFailure::Rdb(e, _) = failure {
        if !matches!(e, RdbError::Signature | RdbError::Version(_)) {
            let mut out = std::io::stdout().lock();
            let _ = super::check::print_report(path, &mut out);
            let _ = out.flush();
        }
    }
    let terminates = !matches!(
        failure,
        LoadFailure::Open(_)
            | LoadFailure::TooManyDbs(_)
            | LoadFailure::Rdb(RdbError::Signature | RdbError::Version(_), _)
    );
    if terminates {
        warn!("Terminating server after rdb file reading failure.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_time_wraps_the_lru_clock() {
        assert_eq!(lru_after_idle(1000, 10), 990);
        assert_eq!(lru_after_idle(5, 10), LRU_CLOCK_MAX - 5);
    }
}
