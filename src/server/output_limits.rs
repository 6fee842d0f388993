//! `client-output-buffer-limit` for clients that do not read their replies
//! fast enough: normal clients (MONITOR included, the primary's link too)
//! and pub/sub clients. Replicas are measured where the replication stream
//! is handed to them (`replication::primary`).
//!
//! What is measured is Redis's `omem`: the memory its reply list would
//! take for the pending output (see [`Client::output_list_memory`]).
//!
//! As in Redis, a client over a limit is marked to be closed as soon as
//! possible: it runs nothing more, gets nothing more, and is freed before
//! the loop sleeps. The check runs after each command, whenever another
//! client's output grows and, for soft limits that expire with time, in
//! the cron. A command whose reply has no bound but the data or a count
//! (KEYS, the RAND commands with a negative count) stops early once its
//! client's [`OutputBudget`] is spent, as Redis's stop when the client is
//! marked to close: the client is closed after the command, its reply
//! never sent.

use super::Server;
use crate::config::value::{obuf_class, ObufLimit};
use crate::server::client::{Client, ClientKind};
use crate::util::now_ms;
use log::warn;

/// Output bytes past the reply buffer an unauthenticated client may hold.
const UNAUTHENTICATED_OUTPUT_LIMIT: u64 = 1024;

impl Server {
    /// Marks `c` to be closed (with Redis's log line) when its pending
    /// output breaks its class's limits.
    #[inline]
    pub fn enforce_output_limit(&mut self, c: &mut Client) {
        let untouched = c.output_fits_static_buffer() && c.obuf_soft_limit_since_s.is_none();
        if !untouched {
            self.close_if_over_output_limit(c);
        }
    }

    fn close_if_over_output_limit(&mut self, c: &mut Client) {
        if self.output_limit_reached(c) {
            warn!(
                "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                self.client_info_string(c)
            );
            c.close_asap = true;
            self.stats.output_limit_disconnections += 1;
        }
    }

    /// [`Server::enforce_output_limit`] for a client in the table.
    pub fn enforce_output_limit_of(&mut self, slot: usize) {
        if let Some(mut c) = self.clients.take(slot) {
            self.enforce_output_limit(&mut c);
            self.clients.put(slot, c);
        }
    }

    /// The cron's pass: closes clients whose output stayed over a soft
    /// limit for too long while nothing new was added to it.
    pub fn close_clients_over_output_limits(&mut self) {
        let stuck: Vec<usize> = self
            .clients
            .iter()
            .filter(|c| c.want_writable && c.output_list_bytes() > 0)
            .map(|c| c.slot)
            .collect();
        for slot in stuck {
            let Some(mut c) = self.clients.take(slot) else {
                continue;
            };
            let reached = self.output_limit_reached(&mut c);
            if reached {
                warn!(
                    "Client {} closed for overcoming of output buffer limits.",
                    self.client_info_string(&c)
                );
                self.stats.output_limit_disconnections += 1;
            }
            self.clients.put(slot, c);
            if reached {
                self.free_client(slot);
            }
        }
    }

    /// Whether `c`'s output breaks the limits of its class, or the small
    /// limit of a client that must still authenticate (replicas and
    /// clients already closing are not judged here).
    fn output_limit_reached(&self, c: &mut Client) -> bool {
        let Some(limit) = self.output_limit_of(c) else {
            return false;
        };
        let used = c.output_list_memory() as u64;
        if c.close_asap || (used == 0 && c.obuf_soft_limit_since_s.is_none()) {
            return false;
        }
        // A client that has not authenticated may not pile up replies (the
        // fix for CVE-2025-21605 in the Redis 7.0.15 Debian ships).
        if used > UNAUTHENTICATED_OUTPUT_LIMIT && self.auth_required(c) {
            return true;
        }
        limit.exceeded(used, &mut c.obuf_soft_limit_since_s, now_ms() / 1000)
    }

    /// The limits of `c`'s class (none for a replica, judged elsewhere).
    fn output_limit_of(&self, c: &Client) -> Option<&ObufLimit> {
        let class = match c.kind {
            ClientKind::Replica if !c.monitor => return None,
            ClientKind::PubSub => obuf_class::PUBSUB,
            _ => obuf_class::NORMAL,
        };
        self.config.client_output_buffer_limits.get(class)
    }

    /// How much output `c` may have pending before the check after its
    /// command closes it: the hard limit, a soft limit already held too
    /// long, or the small limit while it must authenticate. A client with
    /// no connection (a script's, the AOF loader's) is never closed.
    pub fn output_budget(&self, c: &Client) -> OutputBudget {
        let limit = match self.output_limit_of(c) {
            Some(limit) if c.stream.is_some() && !c.close_asap => limit,
            _ => return OutputBudget { limit: u64::MAX },
        };
        let mut budget = limit.closing_threshold(c.obuf_soft_limit_since_s, now_ms() / 1000);
        if self.auth_required(c) {
            budget = budget.min(UNAUTHENTICATED_OUTPUT_LIMIT + 1);
        }
        OutputBudget { limit: budget }
    }
}

/// The output a client may have pending before it is to be closed, taken
/// when a command that can reply without bound starts.
#[derive(Debug, Clone, Copy)]
pub struct OutputBudget {
    limit: u64,
}

impl OutputBudget {
    /// Whether `c`'s pending output reached the budget: the command is to
    /// stop adding to its reply (the client is closed after it).
    pub fn spent(&self, c: &Client) -> bool {
        c.output_list_memory() as u64 >= self.limit
    }
}
