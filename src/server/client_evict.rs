//! Client eviction under `maxmemory-clients`, as Redis 7 does it.
//!
//! The memory of normal and pub/sub clients (buffers, arguments, queued
//! transaction, subscriptions, watched keys) is summed as it changes:
//! after a read, after a command, when a push is delivered, and again by
//! the cron. When the sum reaches the limit the largest evictable client
//! is closed (at once, as Redis frees it; the client being served stops
//! running commands and is closed by its caller), then the next largest,
//! until it is below. A client with
//! `CLIENT NO-EVICT on`, replicas and the primary's link are never chosen.

use super::client::{Client, ClientKind};
use super::Server;
use log::{info, warn};

/// Bytes a watched key costs its client (Redis: a list node and a
/// `watchedKey`).
const WATCHED_KEY_BYTES: usize = 48;
/// Bytes a subscription costs its client (a table entry and its slot).
const SUBSCRIPTION_BYTES: usize = 48;
/// Bytes a BCAST tracking prefix costs its client (a tree entry).
const PREFIX_BYTES: usize = 48;

impl Server {
    /// Bytes `c` holds as `maxmemory-clients` counts them (CLIENT LIST
    /// `tot-mem`): besides its buffers, what it subscribed to, watches
    /// and tracks by prefix.
    pub fn client_memory(&self, c: &Client) -> usize {
        let (channels, patterns, shard) = c.subscription_counts();
        let prefixes: usize = c.tracking.as_deref().map_or(0, |t| {
            t.prefixes.iter().map(|p| p.len() + PREFIX_BYTES).sum()
        });
        c.memory_usage()
            + self.watches.count(c.slot) * WATCHED_KEY_BYTES
            + (channels + patterns + shard) * SUBSCRIPTION_BYTES
            + prefixes
            + self.replication.stream_memory(c.slot)
    }

    /// The `maxmemory-clients` limit in bytes (a negative setting is a
    /// percentage of `maxmemory`); 0 when client eviction is off.
    pub fn client_eviction_limit(&self) -> usize {
        let setting = self.config.maxmemory_clients;
        if setting >= 0 {
            return usize::try_from(setting).unwrap_or(usize::MAX);
        }
        let percent = u128::from(setting.unsigned_abs());
        usize::try_from(u128::from(self.config.maxmemory) * percent / 100).unwrap_or(usize::MAX)
    }

    /// Whether `c`'s memory counts toward `maxmemory-clients`.
    fn counts_toward_client_limit(c: &Client) -> bool {
        matches!(c.client_type(), ClientKind::Normal | ClientKind::PubSub) && !c.close_asap
    }

    /// Brings `c`'s share of the clients' memory sum up to date.
    pub fn account_client_memory(&mut self, c: &mut Client) {
        if self.config.maxmemory_clients == 0 {
            return;
        }
        let now = if Self::counts_toward_client_limit(c) {
            self.client_memory(c)
        } else {
            0
        };
        self.client_memory_total = self.client_memory_total.saturating_sub(c.memory_counted) + now;
        c.memory_counted = now;
    }

    /// [`Server::account_client_memory`] for a client in the table.
    pub fn account_client_memory_of(&mut self, slot: usize) {
        if self.config.maxmemory_clients == 0 {
            return;
        }
        if let Some(mut c) = self.clients.take(slot) {
            self.account_client_memory(&mut c);
            self.clients.put(slot, c);
        }
    }

    /// Takes a freed client out of the sum.
    pub fn forget_client_memory(&mut self, c: &Client) {
        self.client_memory_total = self.client_memory_total.saturating_sub(c.memory_counted);
    }

    /// The cron's pass: recounts every client in the table, then evicts.
    pub fn recount_client_memory(&mut self) {
        let slots: Vec<usize> = self.clients.iter().map(|c| c.slot).collect();
        for slot in slots {
            self.account_client_memory_of(slot);
        }
        self.evict_clients(None);
    }

    /// Closes the largest evictable clients until their memory is below
    /// `maxmemory-clients`. `current` is the client being served (out of
    /// the table); true if it was the one evicted (it runs nothing more).
    pub fn evict_clients(&mut self, mut current: Option<&mut Client>) -> bool {
        let limit = self.client_eviction_limit();
        if limit == 0 || self.client_memory_total < limit {
            return false;
        }
        while self.client_memory_total >= limit {
            let in_table = self
                .clients
                .iter()
                .filter(|c| !c.no_evict && Self::counts_toward_client_limit(c))
                .map(|c| (c.memory_counted, c.slot))
                .max();
            let current_size = current
                .as_deref()
                .filter(|c| !c.no_evict && Self::counts_toward_client_limit(c))
                .map(|c| c.memory_counted);
            match (in_table, current_size) {
                (Some((size, slot)), cur) if cur.is_none_or(|cur| size > cur) => {
                    if let Some(mut c) = self.clients.take(slot) {
                        self.evict_client(&mut c);
                        self.clients.put(slot, c);
                        self.free_client(slot);
                    }
                }
                (_, Some(_)) => {
                    if let Some(c) = current.as_deref_mut() {
                        self.evict_client(c);
                    }
                    return true;
                }
                _ => {
                    warn!("Over client maxmemory after evicting all evictable clients");
                    break;
                }
            }
        }
        false
    }

    fn evict_client(&mut self, c: &mut Client) {
        info!("Evicting client: {}", self.client_info_string(c));
        c.close_asap = true;
        self.stats.evicted_clients += 1;
        self.account_client_memory(c);
    }
}
