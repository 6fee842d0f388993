//! AOF rewrites and switching the AOF on and off.
//!
//! A rewrite (BGREWRITEAOF, the automatic one, turning the AOF on) forks
//! a child like BGSAVE does (`persistence::save`): the child writes a new
//! base from its copy-on-write image into `temp-rewriteaof-bg-<pid>.aof`
//! (an RDB with `aof-use-rdb-preamble yes`, commands otherwise) while the
//! parent opens a new incr file for the writes that follow the fork. When
//! the child succeeds the parent renames its file into the directory as
//! the next base, turns the old base and incr files into history in a
//! new manifest written atomically, and deletes them. A failed rewrite
//! changes nothing on disk but the new, empty incr file; repeated
//! failures delay automatic rewrites (1, 2, 4 ... 60 minutes).

use super::command_form::write_commands;
use super::manifest::{path_in, rewrite_temp_name, sync_rewrite_temp_name, temp_incr_name};
use crate::persistence::save::ChildExit;
use crate::persistence::snapshot::{write_snapshot_as, AutoSync};
use crate::server::state::aof::AofStatus;
use crate::server::state::childinfo::Reporter;
use crate::server::state::persistence::{SaveChild, SaveTarget};
use crate::server::Server;
use crate::util::{error_text, unix_seconds};
use log::{debug, info, warn};
use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::sync::Arc;

/// Failed rewrites in a row before automatic ones are delayed.
const LIMIT_THRESHOLD: u64 = 3;
const LIMIT_MAX_MINUTES: i64 = 60;

impl Server {
    pub fn aof_rewrite_running(&self) -> bool {
        self.persistence
            .child
            .is_some_and(|c| c.target == SaveTarget::AofRewrite)
    }

    /// Writes the dataset as an AOF base into `path` (through a temp file
    /// renamed at the end). True on success; failures are logged.
    pub fn rewrite_aof_file(
        &self,
        path: &std::path::Path,
        reporter: Option<&mut Reporter>,
    ) -> bool {
        let tmp = sync_rewrite_temp_name(std::process::id());
        let file = match File::create(&tmp) {
            Ok(f) => f,
            Err(e) => {
                warn!(
                    "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                    error_text(&e)
                );
                return false;
            }
        };
        let sink = AutoSync::new(file, self.config.aof_rewrite_incremental_fsync);
        let mut keys = 0;
        let mut reporter = reporter;
        let mut on_key = |n: u64| {
            keys = n;
            if let Some(r) = reporter.as_deref_mut() {
                r.key_saved(n);
            }
        };
        let out = BufWriter::with_capacity(1 << 16, sink);
        let written = if self.config.aof_use_rdb_preamble {
            write_snapshot_as(self, out, &mut on_key, true)
        } else {
            let ts = self.config.aof_timestamp_enabled.then(unix_seconds);
            write_commands(self, out, &mut on_key, ts)
        };
        let result = written
            .and_then(|buf| buf.into_inner().map_err(|e| e.into_error()))
            .and_then(|sink| sink.file.sync_all());
        if let Err(e) = result {
            warn!(
                "Write error writing append only file on disk: {}",
                error_text(&e)
            );
            let _ = std::fs::remove_file(&tmp);
            return false;
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            warn!(
                "Error moving temp append only file on the final destination: {}",
                error_text(&e)
            );
            let _ = std::fs::remove_file(&tmp);
            return false;
        }
        if let Some(r) = reporter {
            r.finish(keys);
        }
        true
    }

    /// Start-up with the AOF on (Redis's `aofOpenIfNeededOnServerStart`):
    /// an empty AOF gets a base file, the last incr file is opened (or
    /// made) for appending and the manifest written. False when the
    /// server must exit.
    pub fn open_aof_on_startup(&mut self) -> bool {
        let dir = self.config.appenddirname.clone();
        let name = self.config.appendfilename.clone();
        if !create_aof_dir(&dir) {
            return false;
        }
        let had_incr = !self.aof.manifest.incrs.is_empty();
        if self.aof.manifest.base.is_none() && !had_incr {
            let base = self
                .aof
                .manifest
                .new_base(&name, self.config.aof_use_rdb_preamble);
            if !self.rewrite_aof_file(&path_in(&dir, &base), None) {
                return false;
            }
            info!("Creating AOF base file {} on server start", base);
        }
        let incr = self.aof.manifest.last_incr(&name);
        let Some(file) = open_append(&dir, &incr, false) else {
            return false;
        };
        if !self.aof.manifest.persist(&dir, &name) {
            return false;
        }
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.aof.file = Some(Arc::new(file));
        self.aof.last_incr_size = size;
        self.aof.last_incr_fsync_offset = size;
        if had_incr {
            info!("Opening AOF incr file {} on server start", incr);
        } else {
            info!("Creating AOF incr file {} on server start", incr);
        }
        true
    }

    /// Opens the incr file the writes after a rewrite's fork go to: the
    /// next one in the manifest (written now), or while the AOF waits for
    /// its first rewrite a temporary one. False (logged) on failure, with
    /// nothing changed.
    fn open_new_incr_for_rewrite(&mut self) -> bool {
        let dir = self.config.appenddirname.clone();
        let name = self.config.appendfilename.clone();
        let (incr, manifest) = match self.aof.status {
            AofStatus::Off => return true,
            AofStatus::WaitRewrite => (temp_incr_name(&name), None),
            AofStatus::On => {
                let mut m = self.aof.manifest.clone();
                (m.new_incr(&name), Some(m))
            }
        };
        let Some(file) = open_append(&dir, &incr, true) else {
            return false;
        };
        let mut manifest = manifest;
        if let Some(m) = manifest.as_mut() {
            if !m.persist(&dir, &name) {
                return false;
            }
        }
        info!("Creating AOF incr file {} on background rewrite", incr);
        if let Some(old) = self.aof.file.replace(Arc::new(file)) {
            // The old file's last writes are fsynced (and it is closed) in
            // the background.
            self.aof.bio.fsync(old);
            self.aof.last_fsync_s = unix_seconds();
        }
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        if let Some(m) = manifest {
            self.aof.manifest = m;
        }
        true
    }

    /// Starts a rewrite in a forked child (Redis's
    /// `rewriteAppendOnlyFileBackground`). False (logged) when another
    /// child runs or something failed.
    pub fn rewrite_aof_background(&mut self) -> bool {
        if self.has_save_child() {
            return false;
        }
        let dir = self.config.appenddirname.clone();
        if !create_aof_dir(&dir) {
            self.aof.last_rewrite_ok = false;
            return false;
        }
        self.aof.selected_db = None;
        self.flush_aof(true);
        if !self.open_new_incr_for_rewrite() {
            self.aof.last_rewrite_ok = false;
            return false;
        }
        self.aof.rewrites += 1;
        let forked = self.fork_save_child(SaveTarget::AofRewrite, |srv, reporter| {
            let tmp = rewrite_temp_name(std::process::id());
            let ok = srv.rewrite_aof_file(std::path::Path::new(&tmp), reporter);
            if ok {
                info!("Successfully created the temporary AOF base file {}", tmp);
            }
            ok
        });
        if !forked {
            self.aof.last_rewrite_ok = false;
            return false;
        }
        self.aof.rewrite_scheduled = false;
        self.aof.rewrite_started_s = Some(unix_seconds());
        true
    }

    /// The rewrite child ended (Redis's `backgroundRewriteDoneHandler`).
    pub fn aof_rewrite_done(&mut self, child: SaveChild, exit: ChildExit) {
        self.aof.last_cow_size = self.persistence.child_stats.last_cow_bytes;
        match exit {
            ChildExit::Code(0) => {
                info!("Background AOF rewrite terminated with success");
                if self.install_rewritten_base(child.pid as u32) {
                    self.aof.last_rewrite_ok = true;
                    self.aof.consecutive_failures = 0;
                    info!("Background AOF rewrite finished successfully");
                    if self.aof.status == AofStatus::WaitRewrite {
                        self.aof.status = AofStatus::On;
                    }
                } else {
                    self.rewrite_failed();
                }
            }
            ChildExit::Code(_) => {
                self.rewrite_failed();
                warn!("Background AOF rewrite terminated with error");
            }
            ChildExit::Signal(sig) => {
                if sig != libc::SIGUSR1 {
                    self.rewrite_failed();
                }
                warn!("Background AOF rewrite terminated by signal {}", sig);
            }
        }
        self.rewrite_cleanup(child.pid as u32);
    }

    fn rewrite_failed(&mut self) {
        self.aof.last_rewrite_ok = false;
        self.aof.consecutive_failures += 1;
    }

    /// After any rewrite end: temp files go; an AOF still waiting for its
    /// first base drops what it collected and tries again.
    fn rewrite_cleanup(&mut self, pid: u32) {
        remove_rewrite_temp_files(pid);
        if self.aof.status == AofStatus::WaitRewrite {
            self.aof.buf.clear();
            let temp = temp_incr_name(&self.config.appendfilename);
            info!("Removing the temp incr aof file {} in the background", temp);
            let _ = std::fs::remove_file(path_in(&self.config.appenddirname, &temp));
            self.aof.rewrite_scheduled = true;
        }
        let started = self.aof.rewrite_started_s.take();
        self.aof.last_rewrite_secs = started.map_or(-1, |s| unix_seconds() - s);
    }

    /// Renames the child's file into the next base, writes the new
    /// manifest and deletes the history. False (logged) with the old
    /// manifest left in force.
    fn install_rewritten_base(&mut self, pid: u32) -> bool {
        let dir = self.config.appenddirname.clone();
        let name = self.config.appendfilename.clone();
        let tmp = rewrite_temp_name(pid);
        let mut m = self.aof.manifest.clone();
        let base = m.new_base(&name, self.config.aof_use_rdb_preamble);
        let base_path = path_in(&dir, &base);
        if let Err(e) = std::fs::rename(&tmp, &base_path) {
            warn!(
                "Error trying to rename the temporary AOF base file {} into {}: {}",
                tmp,
                base_path.display(),
                error_text(&e)
            );
            return false;
        }
        info!(
            "Successfully renamed the temporary AOF base file {} into {}",
            tmp, base
        );
        let mut new_incr = None;
        if self.aof.status == AofStatus::WaitRewrite {
            let temp = temp_incr_name(&name);
            let incr = m.new_incr(&name);
            let incr_path = path_in(&dir, &incr);
            if let Err(e) = std::fs::rename(path_in(&dir, &temp), &incr_path) {
                warn!(
                    "Error trying to rename the temporary AOF incr file {} into {}: {}",
                    path_in(&dir, &temp).display(),
                    incr_path.display(),
                    error_text(&e)
                );
                let _ = std::fs::remove_file(&base_path);
                return false;
            }
            info!(
                "Successfully renamed the temporary AOF incr file {} into {}",
                temp, incr
            );
            new_incr = Some(incr_path);
        }
        m.incrs_to_history(self.aof.file.is_some());
        if !m.persist(&dir, &name) {
            let _ = std::fs::remove_file(&base_path);
            if let Some(p) = new_incr {
                let _ = std::fs::remove_file(p);
            }
            return false;
        }
        self.aof.manifest = m;
        if self.aof.is_on() {
            let base_size = self.aof_file_size(&base).unwrap_or(0);
            self.aof.current_size = base_size + self.aof.last_incr_size;
            self.aof.rewrite_base_size = self.aof.current_size;
        }
        self.delete_aof_history();
        true
    }

    /// Deletes the history files and drops them from the manifest (unless
    /// `aof-disable-auto-gc`).
    pub fn delete_aof_history(&mut self) {
        if self.config.aof_disable_auto_gc || self.aof.manifest.history.is_empty() {
            return;
        }
        let dir = self.config.appenddirname.clone();
        for f in std::mem::take(&mut self.aof.manifest.history) {
            info!("Removing the history file {} in the background", f.name);
            let _ = std::fs::remove_file(path_in(&dir, &f.name));
        }
        self.aof.manifest.dirty = true;
        let name = self.config.appendfilename.clone();
        self.aof.manifest.persist(&dir, &name);
    }

    /// Stops a running rewrite child, waiting for it (Redis's
    /// `killAppendOnlyChild`).
    pub fn kill_aof_child(&mut self) {
        let Some(child) = self
            .persistence
            .child
            .filter(|_| self.aof_rewrite_running())
        else {
            return;
        };
        info!("Killing running AOF rewrite child: {}", child.pid);
        // SAFETY: signalling our own child process.
        if unsafe { libc::kill(child.pid, libc::SIGUSR1) } != -1 {
            Server::wait_child(child.pid);
        }
        remove_rewrite_temp_files(child.pid as u32);
        self.persistence.child = None;
        self.persistence.child_stats.stop();
        self.aof.rewrite_started_s = None;
    }

    /// CONFIG SET appendonly no (Redis's `stopAppendOnly`).
    pub fn stop_append_only(&mut self) {
        self.flush_and_fsync_aof();
        self.aof.file = None;
        self.aof.selected_db = None;
        self.aof.status = AofStatus::Off;
        self.aof.rewrite_scheduled = false;
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        self.kill_aof_child();
        self.aof.buf.clear();
    }

    /// CONFIG SET appendonly yes (Redis's `startAppendOnly`): the AOF
    /// waits for a rewrite that writes its first base, now or as soon as
    /// another child is done.
    pub fn start_append_only(&mut self) -> bool {
        self.aof.status = AofStatus::WaitRewrite;
        if self.has_rdb_child() {
            self.aof.rewrite_scheduled = true;
            warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        } else if self.in_exec {
            self.aof.rewrite_scheduled = true;
            warn!("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
        } else {
            if self.aof_rewrite_running() {
                warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                self.kill_aof_child();
            }
            if !self.rewrite_aof_background() {
                self.aof.status = AofStatus::Off;
                warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
                return false;
            }
        }
        self.aof.last_fsync_s = unix_seconds();
        if self.aof.bio.last_error().is_some() {
            warn!("AOF reopen, just ignore the AOF fsync error in bio job");
            self.aof.bio.clear_error();
        }
        if self.aof.write_error.take().is_some() {
            warn!("AOF reopen, just ignore the last error.");
        }
        true
    }

    /// Whether repeated failures hold automatic rewrites back now (Redis's
    /// `aofRewriteLimited`): after 3 failures in a row the next one waits
    /// 1 minute, then 2, 4 ... up to an hour.
    pub fn aof_rewrite_limited(&mut self) -> bool {
        let a = &mut self.aof;
        if a.consecutive_failures < LIMIT_THRESHOLD {
            a.limit_delay_minutes = 0;
            a.limit_until_s = 0;
            return false;
        }
        let now = unix_seconds();
        if a.limit_until_s != 0 {
            if now < a.limit_until_s {
                return true;
            }
            a.limit_until_s = 0;
            return false;
        }
        a.limit_delay_minutes = if a.limit_delay_minutes == 0 {
            1
        } else {
            (a.limit_delay_minutes * 2).min(LIMIT_MAX_MINUTES)
        };
        a.limit_until_s = now + a.limit_delay_minutes * 60;
        warn!(
            "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
            a.limit_delay_minutes
        );
        true
    }

    /// The AOF's cron duties: scheduled and automatic rewrites, a write
    /// put off by a slow fsync, retries after a write error.
    pub fn aof_cron(&mut self) {
        if !self.has_save_child() && self.aof.rewrite_scheduled && !self.aof_rewrite_limited() {
            self.rewrite_aof_background();
        }
        if !self.has_save_child() && self.auto_rewrite_due() && !self.aof_rewrite_limited() {
            let growth = self.aof_growth_percent();
            info!("Starting automatic rewriting of AOF on {}% growth", growth);
            self.rewrite_aof_background();
        }
        if !self.aof.is_on() {
            return;
        }
        if self.aof.flush_postponed_since.is_some() {
            self.flush_aof(false);
        }
        let now = crate::util::now_ms();
        if self.aof.write_error.is_some() && now - self.aof.last_error_retry_ms >= 1000 {
            self.aof.last_error_retry_ms = now;
            self.flush_aof(false);
        }
    }

    fn aof_growth_percent(&self) -> i64 {
        let base = self.aof.rewrite_base_size.max(1) as i64;
        (self.aof.current_size as i64).saturating_mul(100) / base - 100
    }

    fn auto_rewrite_due(&self) -> bool {
        let perc = self.config.auto_aof_rewrite_percentage;
        self.aof.status == AofStatus::On
            && perc != 0
            && self.aof.current_size > self.config.auto_aof_rewrite_min_size
            && self.aof_growth_percent() >= perc
    }
}

/// Opens `name` in `dir` for appending (creating it; emptied when
/// `truncate`). `None` (logged) on failure.
fn open_append(dir: &str, name: &str, truncate: bool) -> Option<File> {
    let opened = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path_in(dir, name))
        .and_then(|f| {
            if truncate {
                f.set_len(0).map(|()| f)
            } else {
                Ok(f)
            }
        });
    match opened {
        Ok(file) => {
            if let Err(e) = super::manifest::fsync_dir(dir) {
                debug!("fsync of the AOF directory failed: {}", error_text(&e));
            }
            Some(file)
        }
        Err(e) => {
            warn!(
                "Can't open the append-only file {}: {}",
                name,
                error_text(&e)
            );
            None
        }
    }
}

/// Creates the AOF directory if missing; false (logged) on failure.
pub fn create_aof_dir(dir: &str) -> bool {
    match std::fs::create_dir_all(dir) {
        Ok(()) => true,
        Err(e) => {
            warn!(
                "Can't open or create append-only dir {}: {}",
                dir,
                error_text(&e)
            );
            false
        }
    }
}

/// Removes a rewrite child's temp files.
fn remove_rewrite_temp_files(pid: u32) {
    let _ = std::fs::remove_file(rewrite_temp_name(pid));
    let _ = std::fs::remove_file(sync_rewrite_temp_name(pid));
}
