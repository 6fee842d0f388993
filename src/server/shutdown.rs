//! Shutting down: SIGTERM/SIGINT set a flag the cron checks (so DEBUG
//! PAUSE-CRON holds it and SHUTDOWN ABORT can cancel it); preparing the
//! shutdown asks the features (persistence saves), writes what clients
//! are owed and removes the pid file and the Unix socket.

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
        if self.prepare_shutdown(flags) {
            self.shutdown_asap = true;
        } else {
            SHUTDOWN_PENDING.store(false, Ordering::SeqCst);
        }
    }

    /// SHUTDOWN ABORT: cancels a shutdown a signal asked for and that has
    /// not started yet. False when there is none.
    /// Closes the listening sockets once the server is going away: a
    /// client connecting between the SHUTDOWN and the exit is refused, as
    /// it is by Redis, which exits inside the command.
    pub fn stop_listening(&mut self) {
        self.listeners.clear();
        self.unix_listener = None;
    }

    pub fn abort_shutdown(&mut self) -> bool {
        let pending = SHUTDOWN_PENDING.swap(false, Ordering::SeqCst);
        SHUTDOWN_SIGNAL.store(0, Ordering::SeqCst);
        if pending {
            log::info!("Shutdown manually aborted.");
        }
        pending
    }

    /// Last steps before exit: stops a save child, saves when save points
    /// are configured (or `save` is asked; never with `nosave` or while
    /// loading), flushes clients, removes the pid file. Returns false if a
    /// failed save refused the shutdown (unless `force`).
    pub fn prepare_shutdown(&mut self, mut flags: ShutdownFlags) -> bool {
        if self.persistence.loading.is_some() {
            flags.save = false;
            flags.nosave = true;
        }
        self.shutdown_flags = flags;
        warn!("User requested shutdown...");
        if !self.run_shutdown_hooks(flags) {
            warn!("Errors trying to shut down the server. Check the logs for more information.");
            self.shutdown_flags = ShutdownFlags::default();
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
        self.remove_unix_socket();
        warn!("Redis is now ready to exit, bye bye...");
        true
    }
}
