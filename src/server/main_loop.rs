//! The loop: waits for ready sockets and due timers, runs the cron at `hz`,
//! and does the work Redis does before sleeping (fast expiry, blocked and
//! paused clients, the features' hooks, BCAST invalidations, writing
//! replies).

use super::{cron, Server};
use crate::event_loop::Ready;
use log::info;
use std::io;
use std::time::{Duration, Instant};

/// Timer id of the periodic cron.
pub const TIMER_CRON: u64 = 1;

impl Server {
    /// Runs the loop until shutdown.
    pub fn run(&mut self) -> io::Result<()> {
        self.startup_memory = self.used_memory();
        // The first cron runs at once, as Redis's (its once-a-second jobs,
        // such as the replicas' PING, count from it).
        self.event_loop
            .add_timer(Instant::now() + Duration::from_millis(1), TIMER_CRON);
        if !self.listeners.is_empty() {
            info!("Ready to accept connections");
        }
        if let Some(path) = &self.config.unixsocket {
            info!(
                "The server is now ready to accept connections at {}",
                String::from_utf8_lossy(path)
            );
        }
        let mut ready = Vec::with_capacity(1024);
        loop {
            self.before_sleep();
            let max_wait = if self.pending_reads.is_empty() && !self.link_read_pending {
                None
            } else {
                Some(Duration::ZERO)
            };
            self.event_loop.wait(&mut ready, max_wait)?;
            self.ready_events.extend(ready.drain(..));
            while let Some(event) = self.ready_events.pop_front() {
                match event {
                    Ready::Io {
                        token,
                        readable,
                        writable,
                        read_closed,
                    } => self.handle_io(token, readable, writable, read_closed),
                    Ready::Timer(TIMER_CRON) => {
                        self.cron();
                        self.schedule_cron();
                    }
                    Ready::Timer(super::blocking::TIMER_BLOCKED) => self.expire_blocked_clients(),
                    Ready::Timer(super::evict::TIMER_EVICTION) => self.eviction_timer(),
                    Ready::Timer(_) => {}
                }
            }
            self.serve_pending_reads();
            if std::mem::take(&mut self.link_read_pending) {
                self.handle_io(super::LINK_TOKEN, true, false, false);
            }
            if self.shutdown_asap {
                return Ok(());
            }
        }
    }

    /// Serves clients in the middle of a long operation (loading a file):
    /// reads, runs what they sent and writes replies, without running
    /// timers. Commands not allowed while loading get `-LOADING`.
    /// Sockets the loop found ready but has not served yet (a command in
    /// the same batch started this long operation) are served first: an
    /// edge-triggered poll would not report them again.
    pub fn process_events_while_blocked(&mut self) {
        let mut ready = Vec::new();
        if self.event_loop.poll_io(&mut ready).is_err() {
            return;
        }
        let (earlier, timers) = std::mem::take(&mut self.ready_events)
            .into_iter()
            .partition(|e| matches!(e, Ready::Io { .. }));
        self.ready_events = timers;
        for event in Vec::from(earlier).into_iter().chain(ready) {
            if let Ready::Io {
                token,
                readable,
                writable,
                read_closed,
            } = event
            {
                self.handle_io(token, readable, writable, read_closed);
            }
        }
        self.serve_pending_reads();
        self.flush_pending_writes();
    }

    pub(super) fn schedule_cron(&mut self) {
        let period = Duration::from_millis(1000 / u64::from(self.config.hz.max(1)));
        self.event_loop
            .add_timer(Instant::now() + period, TIMER_CRON);
    }

    /// Work done once per loop iteration before waiting for events. Keys
    /// written outside commands (expired by the cron or the fast cycle)
    /// wake their blocked clients here, and BCAST tracking clients get the
    /// keys changed under their prefixes.
    pub(super) fn before_sleep(&mut self) {
        if self.active_expire_enabled {
            self.active_expire_cycle(cron::ExpireCycle::Fast);
        }
        self.serve_ready_keys();
        self.process_unblocked_clients();
        self.run_before_sleep_hooks();
        self.tracking_before_sleep();
        self.flush_pending_writes();
    }
}
