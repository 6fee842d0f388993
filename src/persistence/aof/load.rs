//! Loading the AOF at start-up and for DEBUG LOADAOF: the manifest, then
//! the base file (RDB or commands), then the incr files in order, each
//! command run by a client of its own that has no connection. A torn
//! last command is cut off with `aof-load-truncated` (only in the last
//! file); anything else wrong stops the load with Redis's messages. A
//! single `appendonly.aof` from before Redis 7 is moved into the
//! directory under a new manifest first, as Redis upgrades it.

use super::manifest::{manifest_name, path_in};
use crate::persistence::load::LoadFailure;
use crate::server::client::Client;
use crate::server::spec::{Args, Lookup, OwnedArgs};
use crate::server::state::aof::{AofFile, AofFileType, AofStatus, Manifest};
use crate::server::state::persistence::Loading;
use crate::server::Server;
use crate::util::{error_text, unix_seconds};
use log::{debug, info, warn};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

/// Longest line read at once (annotations, `*<n>`, `$<n>`).
const LINE_MAX: u64 = 1024;
/// Commands between two looks at the clients while loading.
const EVENTS_EVERY: u64 = 1024;

/// How loading one file (or the whole AOF) ended (Redis's `AOF_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AofLoad {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    Truncated,
}

/// Why reading commands stopped early.
enum Stop {
    /// The file ended inside a command (or a transaction).
    Eof,
    /// Not the AOF format.
    Format,
    Io(io::Error),
    /// A command that does not exist (already logged).
    Unknown,
}

/// The commands of a file being read, with the offset after the last
/// complete one.
struct CommandReader<R> {
    input: R,
    position: u64,
}

impl<R: BufRead> CommandReader<R> {
    /// One line of at most `LINE_MAX` bytes; `None` at the end.
    fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let n = (&mut self.input)
            .take(LINE_MAX)
            .read_until(b'\n', &mut line)?;
        self.position += n as u64;
        Ok((n > 0).then_some(line))
    }

    /// The next command, `Ok(None)` at a clean end of file.
    fn next(&mut self) -> Result<Option<OwnedArgs>, Stop> {
        let line = loop {
            match self.line().map_err(Stop::Io)? {
                None => return Ok(None),
                Some(l) if l.first() == Some(&b'#') => continue,
                Some(l) => break l,
            }
        };
        if line.first() != Some(&b'*') {
            return Err(Stop::Format);
        }
        if line.len() == 1 {
            return Err(Stop::Eof);
        }
        let argc = crate::util::atoi(line.get(1..).unwrap_or_default());
        if argc < 1 {
            return Err(Stop::Format);
        }
        let mut args = OwnedArgs::default();
        for _ in 0..argc {
            let header = self.line().map_err(Stop::Io)?.ok_or(Stop::Eof)?;
            if header.first() != Some(&b'$') {
                return Err(Stop::Format);
            }
            let len = crate::util::atoi(header.get(1..).unwrap_or_default()).max(0) as u64;
            let mut arg = Vec::with_capacity(len.min(1 << 20) as usize);
            let got = (&mut self.input)
                .take(len)
                .read_to_end(&mut arg)
                .map_err(Stop::Io)?;
            let mut crlf = Vec::with_capacity(2);
            let got_crlf = (&mut self.input)
                .take(2)
                .read_to_end(&mut crlf)
                .map_err(Stop::Io)?;
            self.position += (got + got_crlf) as u64;
            if got as u64 != len || got_crlf != 2 {
                return Err(Stop::Eof);
            }
            args.push(&arg);
        }
        Ok(Some(args))
    }
}

impl Server {
    /// Reads the manifest in `appenddirname` (Redis does at every start,
    /// AOF on or off). A missing directory or manifest is an empty one;
    /// a bad manifest stops the server.
    pub fn load_aof_manifest(&mut self) -> bool {
        self.aof.manifest = Manifest::default();
        let dir = self.config.appenddirname.clone();
        if !Path::new(&dir).is_dir() {
            debug!("The AOF directory {} doesn't exist", dir);
            return true;
        }
        let name = manifest_name(&self.config.appendfilename);
        let path = path_in(&dir, &name);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                debug!("The AOF manifest file {} doesn't exist", name);
                return true;
            }
            Err(e) => {
                warn!(
                    "Fatal error: can't open the AOF manifest file {} for reading: {}",
                    path.display(),
                    error_text(&e)
                );
                return false;
            }
        };
        match Manifest::parse(&text) {
            Ok(m) => {
                self.aof.manifest = m;
                true
            }
            Err(e) => {
                warn!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
                if let Some((n, line)) = &e.line {
                    warn!("Reading the manifest file, at line {}\n", n);
                    warn!(">>> '{}'\n", line);
                }
                warn!("{}\n", e.reason);
                false
            }
        }
    }

    /// Start-up with `appendonly yes`: loads the AOF; false when the
    /// server must exit (the reason is logged).
    pub fn load_aof_at_startup(&mut self) -> bool {
        let started = Instant::now();
        match self.load_append_only_files() {
            AofLoad::Failed | AofLoad::OpenErr => false,
            AofLoad::NotExist => true,
            _ => {
                info!(
                    "DB loaded from append only file: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                );
                true
            }
        }
    }

    /// DEBUG LOADAOF: writes what is buffered, empties the dataset and
    /// loads the AOF again. The server exits when that fails, as Redis.
    pub fn debug_load_aof(&mut self) {
        if self.aof.is_on() {
            self.flush_aof(true);
        }
        self.db_flushing(None);
        for db in &mut self.dbs {
            db.take_contents();
        }
        if !self.load_aof_manifest() {
            std::process::exit(1);
        }
        self.delete_aof_history();
        let result = self.load_append_only_files();
        if !matches!(result, AofLoad::Ok | AofLoad::Empty) {
            std::process::exit(1);
        }
        warn!("Append Only File loaded by DEBUG LOADAOF");
    }

    /// Loads every file the manifest lists (Redis's `loadAppendOnlyFiles`).
    pub fn load_append_only_files(&mut self) -> AofLoad {
        if !self.upgrade_legacy_aof_if_needed() {
            return AofLoad::Failed;
        }
        let files: Vec<AofFile> = self.aof.manifest.live_files().cloned().collect();
        if files.is_empty() {
            return AofLoad::NotExist;
        }
        let mut total = 0;
        for f in &files {
            match self.aof_file_size(&f.name) {
                Ok(size) => total += size,
                Err(_) => return AofLoad::Failed,
            }
        }
        if total == 0 {
            return AofLoad::Empty;
        }
        self.persistence.loading = Some(Loading {
            start_s: unix_seconds(),
            total_bytes: total,
            ..Loading::default()
        });
        self.persistence.last_load_keys_loaded = 0;
        self.persistence.last_load_keys_expired = 0;
        let result = self.load_files_in_order(&files);
        self.persistence.loading = None;
        if matches!(result, AofLoad::Ok | AofLoad::Truncated) {
            self.aof.current_size = total;
            self.aof.rewrite_base_size = match files.first() {
                Some(f) if f.kind == AofFileType::Base => self.aof_file_size(&f.name).unwrap_or(0),
                _ => 0,
            };
        }
        result
    }

    fn load_files_in_order(&mut self, files: &[AofFile]) -> AofLoad {
        let mut result = AofLoad::Ok;
        for (i, f) in files.iter().enumerate() {
            let last = i + 1 == files.len();
            let started = Instant::now();
            result = self.load_single_aof(&f.name);
            if result == AofLoad::Ok || (result == AofLoad::Truncated && last) {
                let kind = if f.kind == AofFileType::Base {
                    "base"
                } else {
                    "incr"
                };
                info!(
                    "DB loaded from {} file {}: {:.3} seconds",
                    kind,
                    f.name,
                    started.elapsed().as_secs_f64()
                );
            }
            if result == AofLoad::Empty && f.kind == AofFileType::Incr {
                result = AofLoad::Ok;
            }
            if result == AofLoad::Truncated && !last {
                warn!("Fatal error: the truncated file is not the last file");
                return AofLoad::Failed;
            }
            if matches!(result, AofLoad::OpenErr | AofLoad::Failed) {
                return result;
            }
        }
        result
    }

    /// The size of a file in the AOF directory (logged when missing).
    pub fn aof_file_size(&self, name: &str) -> io::Result<u64> {
        let path = path_in(&self.config.appenddirname, name);
        std::fs::metadata(&path).map(|m| m.len()).inspect_err(|e| {
            warn!(
                "Unable to obtain the AOF file {} length. stat: {}",
                name,
                error_text(e)
            )
        })
    }

    /// A legacy `appendfilename` in `dir` is moved into the AOF directory
    /// as the base of a new manifest (Redis's `aofUpgradePrepare`), when
    /// the directory or its manifest does not have the files yet.
    fn upgrade_legacy_aof_if_needed(&mut self) -> bool {
        let name = self.config.appendfilename.clone();
        let dir = self.config.appenddirname.clone();
        if !Path::new(&name).exists() {
            return true;
        }
        let m = &self.aof.manifest;
        let only_legacy_base = m.incrs.is_empty()
            && m.base.as_ref().is_some_and(|b| b.name == name)
            && !path_in(&dir, &name).exists();
        let upgrade = !Path::new(&dir).is_dir()
            || (m.base.is_none() && m.incrs.is_empty())
            || only_legacy_base;
        if !upgrade {
            return true;
        }
        if !super::rewrite::create_aof_dir(&dir) {
            return false;
        }
        let m = &mut self.aof.manifest;
        m.base = Some(AofFile {
            name: name.clone(),
            seq: 1,
            kind: AofFileType::Base,
        });
        m.base_seq = 1;
        m.dirty = true;
        if !m.persist(&dir, &name) {
            return false;
        }
        if let Err(e) = std::fs::rename(&name, path_in(&dir, &name)) {
            warn!(
                "Error trying to move the old AOF file {} into dir {}: {}",
                name,
                dir,
                error_text(&e)
            );
            return false;
        }
        info!(
            "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
            name, dir
        );
        true
    }

    /// Loads one file of the AOF directory (Redis's
    /// `loadSingleAppendOnlyFile`).
    fn load_single_aof(&mut self, name: &str) -> AofLoad {
        let path = path_in(&self.config.appenddirname, name);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                warn!(
                    "The append log file {} doesn't exist: {}",
                    name,
                    error_text(&e)
                );
                return AofLoad::NotExist;
            }
            Err(e) => {
                warn!(
                    "Fatal error: can't open the append log file {} for reading: {}",
                    name,
                    error_text(&e)
                );
                return AofLoad::OpenErr;
            }
        };
        if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            return AofLoad::Empty;
        }
        let status = std::mem::replace(&mut self.aof.status, AofStatus::Off);
        let result = self.read_aof_file(&mut file, &path, name);
        self.aof.status = status;
        result
    }

    fn read_aof_file(&mut self, file: &mut File, path: &Path, name: &str) -> AofLoad {
        let start = match self.read_rdb_part(file, path, name) {
            Ok(offset) => offset,
            Err(()) => return AofLoad::Failed,
        };
        if file.seek(SeekFrom::Start(start)).is_err() {
            return AofLoad::Failed;
        }
        let mut reader = CommandReader {
            input: BufReader::with_capacity(1 << 16, &*file),
            position: start,
        };
        let mut fake = Client::new(0, usize::MAX, None, crate::util::now_ms());
        fake.authenticated = true;
        // A command from the file must never block.
        fake.in_exec = true;
        let mut valid_up_to = start;
        let mut valid_before_multi = start;
        let mut loops = 0u64;
        let stop = loop {
            if loops.is_multiple_of(EVENTS_EVERY) {
                self.loading_progress(reader.position);
            }
            loops += 1;
            let args = match reader.next() {
                Ok(Some(args)) => args,
                Ok(None) if fake.multi.is_open() => {
                    warn!(
                        "Revert incomplete MULTI/EXEC transaction in AOF file {}",
                        name
                    );
                    valid_up_to = valid_before_multi;
                    break Stop::Eof;
                }
                Ok(None) => return AofLoad::Ok,
                Err(stop) => break stop,
            };
            let Some(multi) = self.run_aof_command(&mut fake, &args.args(), name) else {
                break Stop::Unknown;
            };
            if multi {
                valid_before_multi = valid_up_to;
            }
            valid_up_to = reader.position;
            if self.config.key_load_delay != 0 {
                crate::persistence::snapshot::debug_delay(self.config.key_load_delay);
            }
        };
        self.aof_read_stopped(stop, path, name, valid_up_to)
    }

    /// When the file starts with an RDB (a base in RDB format or an old
    /// preamble), loads it; returns the offset where commands start.
    fn read_rdb_part(&mut self, file: &mut File, path: &Path, name: &str) -> Result<u64, ()> {
        let mut sig = [0u8; 5];
        let is_rdb = file.read_exact(&mut sig).is_ok() && &sig == b"REDIS";
        if !is_rdb {
            return Ok(0);
        }
        let old_style = name == self.config.appendfilename;
        if old_style {
            info!("Reading RDB preamble from AOF file...");
        } else {
            info!("Reading RDB base file on AOF loading...");
        }
        match self.load_rdb_preamble(path) {
            Ok(end) => {
                if old_style {
                    info!("Reading the remaining AOF tail...");
                }
                Ok(end)
            }
            Err(failure) => {
                crate::persistence::load::describe_failure(&failure);
                if old_style {
                    warn!(
                        "Error reading the RDB preamble of the AOF file {}, AOF loading aborted",
                        name
                    );
                } else {
                    warn!(
                        "Error reading the RDB base file {}, AOF loading aborted",
                        name
                    );
                }
                if matches!(failure, LoadFailure::Open(_)) {
                    warn!("Unrecoverable error reading the append only file {}", name);
                }
                Err(())
            }
        }
    }

    /// Runs (or queues inside MULTI) one command of the file for the
    /// loading client. `None` for an unknown command (logged); otherwise
    /// whether it was MULTI.
    fn run_aof_command(&mut self, c: &mut Client, args: &Args, name: &str) -> Option<bool> {
        let Lookup::Found(id) = self.registry.lookup(args) else {
            warn!(
                "Unknown command '{}' reading the append only file {}",
                String::from_utf8_lossy(&args[0]),
                name
            );
            return None;
        };
        let cmd = self.registry.entries.get(id)?.cmd;
        if c.multi.is_open() && id != self.tx_commands.exec {
            self.queue_command(c, id, args, cmd.flags);
        } else {
            self.cmd_time_ms = crate::util::now_ms();
            let frame = self.begin_propagation_frame(c.db, cmd.flags);
            if let Err(e) = (cmd.handler)(self, c, args) {
                c.reply.error(e.bytes());
            }
            self.end_propagation_frame(frame, args);
        }
        c.reply.buf.clear();
        c.reply.error_codes.clear();
        Some(cmd.name == "multi")
    }

    /// The end of a file that did not end cleanly: a torn tail is cut off
    /// under `aof-load-truncated`; anything else fails with Redis's words.
    fn aof_read_stopped(
        &mut self,
        stop: Stop,
        path: &Path,
        name: &str,
        valid_up_to: u64,
    ) -> AofLoad {
        match stop {
            Stop::Unknown => return AofLoad::Failed,
            Stop::Io(e) => {
                warn!(
                    "Unrecoverable error reading the append only file {}: {}",
                    name,
                    error_text(&e)
                );
                return AofLoad::Failed;
            }
            Stop::Format => {
                warn!("Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name);
                return AofLoad::Failed;
            }
            Stop::Eof => {}
        }
        if self.config.aof_load_truncated {
            warn!(
                "!!! Warning: short read while loading the AOF file {}!!!",
                name
            );
            warn!(
                "!!! Truncating the AOF {} at offset {} !!!",
                name, valid_up_to
            );
            let truncated = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(valid_up_to));
            match truncated {
                Ok(()) => {
                    warn!(
                        "AOF {} loaded anyway because aof-load-truncated is enabled",
                        name
                    );
                    return AofLoad::Truncated;
                }
                Err(e) => warn!("Error truncating the AOF file {}: {}", name, error_text(&e)),
            }
        }
        warn!("Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name);
        AofLoad::Failed
    }
}
