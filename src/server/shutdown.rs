//! Shutting down: SIGTERM/SIGINT set a flag the cron checks (so DEBUG
//! PAUSE-CRON holds it and SHUTDOWN ABORT can cancel it). Without NOW, and
//! with `shutdown-timeout` set, a primary whose replicas have not
//! acknowledged the whole stream first pauses writes, asks them for an ack
//! and waits (the cron checks) until they catch up or the timeout passes.
//! Finishing asks the features (persistence saves), writes what clients
//! are owed and removes the pid file and the Unix socket; a failure cancels
//! the shutdown and answers the SHUTDOWN clients waiting for it.

use super::blocking::{TimeoutReply, Unblock};
use super::client::Client;
use super::spec::Args;
use super::state::replication::ReplicaState;
use super::Server;
use log::{info, warn};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Set by the SIGTERM/SIGINT handler; read by the cron.
pub static SHUTDOWN_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// A signal asked for a shutdown that has not been cancelled or refused:
/// a second SIGINT meanwhile exits at once.
pub static SHUTDOWN_PENDING: AtomicBool = AtomicBool::new(false);

/// The shutdown signal received since the last call, if any.
pub fn take_shutdown_signal() -> Option<i32> {
    match SHUTDOWN_SIGNAL.swap(0, Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// What `SHUTDOWN` (or `shutdown-on-sigterm`/`-sigint`) asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    pub nosave: bool,
    pub save: bool,
    pub now: bool,
    pub force: bool,
}

impl Server {
    /// A shutdown signal that arrived (checked by the cron, as Redis does,
    /// so DEBUG PAUSE-CRON holds it and SHUTDOWN ABORT can cancel it):
    /// prepares the shutdown with the flags `shutdown-on-sigterm` or
    /// `shutdown-on-sigint` give.
    pub fn handle_shutdown_signal(&mut self) {
        let Some(signal) = take_shutdown_signal() else {
            return;
        };
        let (name, code) = if signal == libc::SIGINT {
            ("SIGINT", self.config.shutdown_on_sigint)
        } else {
            ("SIGTERM", self.config.shutdown_on_sigterm)
        };
        warn!("Received {} scheduling shutdown...", name);
        let flags = ShutdownFlags {
            save: code & 1 != 0,
            nosave: code & 2 != 0,
            now: code & 4 != 0,
            force: code & 8 != 0,
        };
        match self.prepare_shutdown(flags) {
            ShutdownStart::Done => self.shutdown_asap = true,
            ShutdownStart::Waiting => {}
            ShutdownStart::Failed => SHUTDOWN_PENDING.store(false, Ordering::SeqCst),
        }
    }

    /// The cron's look at a shutdown waiting for replicas: finishes it once
    /// they caught up or the timeout passed.
    pub fn check_waiting_shutdown(&mut self, now: i64) {
        let Some(deadline) = self.shutdown_deadline_ms else {
            return;
        };
        if (now >= deadline || self.replicas_caught_up()) && self.finish_shutdown() {
            self.shutdown_asap = true;
        }
    }

    /// Milliseconds left before a waiting shutdown goes ahead anyway.
    pub fn shutdown_in_ms(&self) -> Option<i64> {
        self.shutdown_deadline_ms
            .map(|deadline| deadline - crate::util::now_ms())
    }

    /// True while writes are paused for a shutdown waiting for replicas.
    pub fn shutdown_pauses_writes(&self) -> bool {
        self.shutdown_deadline_ms.is_some()
    }

    /// Parks a SHUTDOWN client until the shutdown it asked for finishes
    /// (the process exits) or fails (it gets the error).
    pub fn wait_for_shutdown(&mut self, c: &mut Client, args: &Args) {
        self.block_on_keys(c, &[], None, TimeoutReply::Null, args);
        self.shutdown_waiters.push((c.slot, c.id));
    }

    fn replicas_caught_up(&self) -> bool {
        let offset = self.replication.master_offset;
        self.replication
            .replicas
            .iter()
            .all(|link| link.ack_offset == offset)
    }

    /// Closes the listening sockets once the server is going away: a
    /// client connecting between the SHUTDOWN and the exit is refused, as
    /// it is by Redis, which exits inside the command.
    fn stop_listening(&mut self) {
        self.listeners.clear();
        self.unix_listener = None;
    }

    /// SHUTDOWN ABORT: cancels a shutdown that waits for replicas or that
    /// a signal asked for and has not started yet. False when there is none.
    pub fn abort_shutdown(&mut self) -> bool {
        let pending = SHUTDOWN_PENDING.swap(false, Ordering::SeqCst);
        SHUTDOWN_SIGNAL.store(0, Ordering::SeqCst);
        let waiting = self.shutdown_deadline_ms.is_some();
        if waiting {
            self.cancel_shutdown();
        }
        if pending || waiting {
            log::info!("Shutdown manually aborted.");
        }
        pending || waiting
    }

    /// Stops a shutdown that waited or failed: writes resume and the
    /// SHUTDOWN clients waiting for it get an error.
    fn cancel_shutdown(&mut self) {
        self.shutdown_flags = ShutdownFlags::default();
        self.shutdown_deadline_ms = None;
        for (slot, id) in std::mem::take(&mut self.shutdown_waiters) {
            if self.clients.get(slot).is_some_and(|c| c.id == id) {
                self.unblock_client(slot, Unblock::ShutdownFailed);
            }
        }
        self.resume_paused_clients();
    }

    /// Starts a shutdown: finishes it at once, or, without `now` and with
    /// replicas behind, pauses writes and waits for them (see the module
    /// comment). A second request while one waits changes nothing.
    pub fn prepare_shutdown(&mut self, mut flags: ShutdownFlags) -> ShutdownStart {
        if self.shutdown_deadline_ms.is_some() {
            return ShutdownStart::Waiting;
        }
        if self.persistence.loading.is_some() {
            flags.save = false;
            flags.nosave = true;
        }
        self.shutdown_flags = flags;
        warn!("User requested shutdown...");
        let timeout_ms = self.config.shutdown_timeout.saturating_mul(1000);
        if !flags.now && timeout_ms != 0 && !self.replicas_caught_up() {
            self.shutdown_deadline_ms = Some(crate::util::now_ms().saturating_add(timeout_ms));
            if self.pause.is_none() {
                self.feed_replication_command(&["REPLCONF", "GETACK", "*"]);
            }
            info!("Waiting for replicas before shutting down.");
            return ShutdownStart::Waiting;
        }
        if self.finish_shutdown() {
            ShutdownStart::Done
        } else {
            ShutdownStart::Failed
        }
    }

    /// Logs the replicas still behind, then the last steps before exit:
    /// stops a save child, saves when save points are configured (or
    /// `save` is asked; never with `nosave` or while loading), flushes
    /// clients, removes the pid file. False (and the shutdown cancelled) if
    /// a failed save refused it (unless `force`).
    fn finish_shutdown(&mut self) -> bool {
        let flags = self.shutdown_flags;
        self.log_lagging_replicas();
        if !self.run_shutdown_hooks(flags) {
            warn!("Errors trying to shut down the server. Check the logs for more information.");
            self.cancel_shutdown();
            return false;
        }
        let slots: Vec<usize> = self.clients.iter().map(|c| c.slot).collect();
        for slot in slots {
            self.flush_client(slot);
        }
        if !self.config.pidfile.is_empty() {
            info!("Removing the pid file.");
            let _ = std::fs::remove_file(&self.config.pidfile);
        }
        self.stop_listening();
        self.remove_unix_socket();
        warn!("Redis is now ready to exit, bye bye...");
        true
    }

    fn log_lagging_replicas(&self) {
        let offset = self.replication.master_offset;
        let now_s = crate::util::unix_seconds();
        let replicas = &self.replication.replicas;
        let mut lagging = 0;
        for link in replicas.iter().filter(|l| l.ack_offset != offset) {
            lagging += 1;
            let lag = if link.state == ReplicaState::Online {
                now_s - link.ack_time_s
            } else {
                0
            };
            warn!(
                "Lagging replica {} reported offset {} behind master, lag={}, state={}.",
                link.name(),
                offset.saturating_sub(link.ack_offset),
                lag,
                link.state.name()
            );
        }
        if !replicas.is_empty() {
            info!(
                "{} of {} replicas are in sync when shutting down.",
                replicas.len() - lagging,
                replicas.len()
            );
        }
    }
}

/// How a shutdown request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownStart {
    /// Ready to exit.
    Done,
    /// Waiting for replicas to catch up.
    Waiting,
    /// Refused (a failed save); the server goes on.
    Failed,
}
