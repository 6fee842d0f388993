//! SAVE, BGSAVE and the save points: the server side of writing
//! snapshots.
//!
//! BGSAVE forks. The child owns a copy-on-write image of the dataset as it
//! was at the fork, writes it with [`save_to_file`] and exits with 0 or 1;
//! the parent keeps serving and reaps the child from the cron with a
//! non-blocking `waitpid`, then updates the save state the way Redis does
//! (a successful save clears the changes counted before the fork; a
//! failed one sets the MISCONF state when save points are configured).

use super::snapshot::{save_to_file, temp_file_name};
use crate::server::state::childinfo::{self, Reporter};
use crate::server::state::persistence::{SaveChild, SaveTarget};
use crate::server::Server;
use crate::util::unix_seconds;
use log::{info, warn};

/// Seconds before a failed background save is retried by save points.
const BGSAVE_RETRY_DELAY: i64 = 5;

/// How a background save child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    Code(i32),
    Signal(i32),
}

impl Server {
    /// Changes since the last successful save.
    pub fn changes_since_save(&self) -> u64 {
        self.dirty.saturating_sub(self.persistence.dirty_at_save)
    }

    /// Whether any child (an RDB save or an AOF rewrite) is running.
    pub fn has_save_child(&self) -> bool {
        self.persistence.child.is_some()
    }

    /// Whether a child writing an RDB (to disk or to replicas) is running.
    pub fn has_rdb_child(&self) -> bool {
        self.persistence
            .child
            .is_some_and(|c| c.target != SaveTarget::AofRewrite)
    }

    /// Saves synchronously into `dbfilename` (SAVE, SHUTDOWN, FLUSHALL,
    /// DEBUG RELOAD). True on success.
    pub fn rdb_save(&mut self) -> bool {
        let filename = self.config.dbfilename.clone();
        if !save_to_file(self, &filename, None) {
            return false;
        }
        self.persistence.dirty_at_save = self.dirty;
        self.last_save_ms = crate::util::now_ms();
        self.persistence.last_bgsave_ok = true;
        true
    }

    /// Starts a background save. False (logged) if a child is already
    /// running or fork failed.
    pub fn rdb_bgsave(&mut self) -> bool {
        let filename = self.config.dbfilename.clone();
        self.fork_save_child(SaveTarget::Disk, move |srv, reporter| {
            save_to_file(srv, &filename, reporter)
        })
    }

    /// Forks a child that runs `work` on its copy-on-write image of the
    /// dataset (reporting progress through the reporter) and exits with
    /// 0 when it returns true. False (logged) if a child is already
    /// running or fork failed.
    pub fn fork_save_child(
        &mut self,
        target: SaveTarget,
        work: impl FnOnce(&mut Server, Option<&mut Reporter>) -> bool,
    ) -> bool {
        if self.has_save_child() {
            return false;
        }
        if target == SaveTarget::Disk {
            self.persistence.saves += 1;
        }
        let dirty_before = self.dirty;
        self.persistence.last_bgsave_try_s = unix_seconds();
        let report_pipe = childinfo::pipe();
        let started = std::time::Instant::now();
        let parent_pid = std::process::id();
        // SAFETY: fork has no memory-safety preconditions. The child only
        // reads the dataset it inherited, writes a file and leaves with
        // `_exit`, so no destructor or atexit handler of the parent's state
        // runs twice. glibc's fork handlers keep malloc usable in the child.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // A failure is logged; the child's work goes on regardless.
            let _ = self.set_oom_score(crate::server::oom_score::OomClass::BackgroundChild);
            self.show_proc_title(match target {
                SaveTarget::Disk => "redis-rdb-bgsave",
                SaveTarget::ReplicaSockets => "redis-rdb-to-slaves",
                SaveTarget::AofRewrite => "redis-aof-rewrite",
            });
            self.run_save_child(parent_pid, report_pipe, work);
        }
        if let Some((_, write_end)) = report_pipe {
            childinfo::close_end(write_end);
        }
        self.persistence.latest_fork_usec = started.elapsed().as_micros() as u64;
        if pid < 0 {
            let e = std::io::Error::last_os_error();
            if let Some((read_end, _)) = report_pipe {
                childinfo::close_end(read_end);
            }
            if target == SaveTarget::Disk {
                self.persistence.last_bgsave_ok = false;
            }
            let why = crate::util::error_text(&e);
            match target {
                SaveTarget::AofRewrite => warn!(
                    "Can't rewrite append only file in background: fork: {}",
                    why
                ),
                _ => warn!("Can't save in background: fork: {}", why),
            }
            return false;
        }
        self.persistence.total_forks += 1;
        match target {
            SaveTarget::Disk => info!("Background saving started by pid {}", pid),
            SaveTarget::ReplicaSockets => info!("Background RDB transfer started by pid {}", pid),
            SaveTarget::AofRewrite => info!(
                "Background append only file rewriting started by pid {}",
                pid
            ),
        }
        let keys = self.dbs.iter().map(|d| d.len() as u64).sum();
        self.persistence
            .child_stats
            .start(report_pipe.map(|(read_end, _)| read_end), keys);
        self.persistence.child = Some(SaveChild {
            pid,
            started_s: unix_seconds(),
            dirty_before,
            target,
        });
        self.update_resize_policy();
        true
    }

    /// The keyspace indexes avoid growing while a child shares the
    /// parent's memory (Redis's `updateDictResizePolicy`); checked when a
    /// child starts and by the cron after it ends.
    fn update_resize_policy(&mut self) {
        let avoided = self.has_save_child();
        for db in &mut self.dbs {
            db.keys.set_growth_avoided(avoided);
        }
    }

    /// The child side of a background save: runs `work` (writing the
    /// file, or the replicas' sockets), reporting progress on the pipe,
    /// and exits.
    fn run_save_child(
        &mut self,
        parent_pid: u32,
        report_pipe: Option<(i32, i32)>,
        work: impl FnOnce(&mut Server, Option<&mut Reporter>) -> bool,
    ) -> ! {
        die_with_parent(parent_pid);
        crate::logging::set_role(b'C');
        self.close_listening_sockets();
        let mut reporter = report_pipe.map(|(read_end, write_end)| {
            childinfo::close_end(read_end);
            Reporter::new(write_end)
        });
        let ok = work(self, reporter.as_mut());
        // SAFETY: `_exit` ends the child without running the parent's
        // destructors or flushing state that belongs to the parent.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) }
    }

    /// Checks (without blocking) whether the save child has exited, and
    /// handles its end.
    pub fn reap_save_child(&mut self) {
        let Some(child) = self.persistence.child else {
            return;
        };
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid on our own child pid with a valid status pointer.
        let pid = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
        if pid == 0 {
            return;
        }
        let exit = if pid < 0 {
            warn!(
                "waitpid() returned an error: {}. child_type: RDB, child_pid = {}",
                crate::util::error_text(&std::io::Error::last_os_error()),
                child.pid
            );
            ChildExit::Code(1)
        } else if libc::WIFSIGNALED(status) {
            ChildExit::Signal(libc::WTERMSIG(status))
        } else {
            ChildExit::Code(libc::WEXITSTATUS(status))
        };
        self.background_save_done(child, exit);
    }

    /// Waits for child `pid` to exit (after it was signalled).
    pub fn wait_child(pid: i32) {
        let mut status: libc::c_int = 0;
        // SAFETY: waiting for our own child process with a valid pointer.
        unsafe { libc::waitpid(pid, &mut status, 0) };
    }

    fn background_save_done(&mut self, child: SaveChild, exit: ChildExit) {
        let p = &mut self.persistence;
        p.child_stats.receive();
        p.child_stats.stop();
        match (child.target, exit) {
            (SaveTarget::ReplicaSockets, ChildExit::Code(0)) => {
                info!("Background RDB transfer terminated with success")
            }
            (SaveTarget::ReplicaSockets, ChildExit::Code(_)) => warn!("Background transfer error"),
            (SaveTarget::ReplicaSockets, ChildExit::Signal(sig)) => {
                warn!("Background transfer terminated by signal {}", sig)
            }
            (SaveTarget::Disk, exit) => self.disk_save_done(child, exit),
            (SaveTarget::AofRewrite, exit) => {
                self.persistence.child = None;
                self.aof_rewrite_done(child, exit);
                return;
            }
        }
        let p = &mut self.persistence;
        p.child = None;
        p.last_bgsave_secs = unix_seconds() - child.started_s;
        self.replicas_snapshot_done(exit == ChildExit::Code(0), child.target);
    }

    /// The save state after a background save to disk ended.
    fn disk_save_done(&mut self, child: SaveChild, exit: ChildExit) {
        let p = &mut self.persistence;
        match exit {
            ChildExit::Code(0) => {
                info!("Background saving terminated with success");
                p.dirty_at_save = p.dirty_at_save.max(child.dirty_before);
                self.last_save_ms = crate::util::now_ms();
                p.last_bgsave_ok = true;
            }
            ChildExit::Code(_) => {
                warn!("Background saving error");
                p.last_bgsave_ok = false;
            }
            ChildExit::Signal(sig) => {
                warn!("Background saving terminated by signal {}", sig);
                let _ = std::fs::remove_file(temp_file_name(child.pid as u32));
                // SIGUSR1 is how the server itself stops a child: not a failure.
                if sig != libc::SIGUSR1 {
                    p.last_bgsave_ok = false;
                }
            }
        }
    }

    /// Stops an RDB child without waiting (FLUSHALL); the cron reaps it
    /// and removes its temp file.
    pub fn kill_save_child(&mut self) {
        if let Some(child) = self.persistence.child.filter(|_| self.has_rdb_child()) {
            // SAFETY: signalling our own child process.
            unsafe { libc::kill(child.pid, libc::SIGUSR1) };
        }
    }

    /// Stops an RDB child, waits for it and removes its temp file
    /// (shutdown: its file must not replace the final save). An AOF
    /// rewrite child is the AOF's to stop.
    pub fn stop_save_child_now(&mut self) {
        if !self.has_rdb_child() {
            return;
        }
        let Some(child) = self.persistence.child.take() else {
            return;
        };
        warn!("There is a child saving an .rdb. Killing it!");
        let mut status: libc::c_int = 0;
        // SAFETY: signalling and waiting for our own child process.
        unsafe {
            libc::kill(child.pid, libc::SIGUSR1);
            libc::waitpid(child.pid, &mut status, 0);
        }
        let _ = std::fs::remove_file(temp_file_name(child.pid as u32));
        self.persistence.child_stats.stop();
    }

    /// The cron's persistence duties: reap the child, start saves that
    /// save points or BGSAVE SCHEDULE ask for.
    pub fn persistence_cron(&mut self) {
        let had_child = self.has_save_child();
        if had_child {
            self.persistence.child_stats.receive();
            self.reap_save_child();
        }
        self.update_resize_policy();
        if had_child {
            return;
        }
        let now = unix_seconds();
        let p = &self.persistence;
        let retry_ok = now - p.last_bgsave_try_s > BGSAVE_RETRY_DELAY || p.last_bgsave_ok;
        let changes = self.changes_since_save();
        let since_save = now - self.last_save_ms / 1000;
        let due = self
            .config
            .save
            .iter()
            .find(|&&(seconds, min_changes)| {
                changes >= min_changes && since_save > seconds as i64 && retry_ok
            })
            .copied();
        if let Some((seconds, min_changes)) = due {
            info!("{} changes in {} seconds. Saving...", min_changes, seconds);
            self.rdb_bgsave();
        } else if self.persistence.bgsave_scheduled && retry_ok && self.rdb_bgsave() {
            self.persistence.bgsave_scheduled = false;
        }
    }

    /// Whether writes are refused because the last background save failed
    /// (`stop-writes-on-bgsave-error` with save points configured).
    pub fn writes_refused_by_save_error(&self) -> bool {
        self.config.stop_writes_on_bgsave_error
            && !self.config.save.is_empty()
            && !self.persistence.last_bgsave_ok
    }
}

/// Makes the kernel kill this (child) process when its parent dies, so a
/// save child of a killed server never renames its file over the dump
/// later. Exits at once if the parent is already gone.
pub(crate) fn die_with_parent(parent_pid: u32) {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no
    // memory of ours; getppid has no preconditions.
    let orphaned = unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        libc::getppid() != parent_pid as libc::pid_t
    };
    if orphaned {
        // SAFETY: `_exit` ends the child without running the parent's
        // destructors.
        unsafe { libc::_exit(1) }
    }
}
