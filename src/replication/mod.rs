//! Replication, primary side: the stream of propagated writes that replicas
//! receive, and the backlog that lets a reconnecting replica continue where
//! it stopped. Every propagated byte advances the primary's offset.
//!
//! The stream is kept once, in the replication buffer the backlog and the
//! replicas share (`server::state::repl_buffer`); each replica is written
//! from it by the core (`server::replica_output`).

pub mod diskless;
pub mod failover;
pub mod hooks;
pub mod primary;
pub mod replica;

use crate::config::value::{obuf_class, ObufLimit};
use crate::server::replica_output::TRIM_BLOCKS_PER_CALL;
use crate::server::Server;
use log::warn;

/// An error reply (`reply` starts with it) as Redis's `== CRITICAL ==`
/// log lines show it: its first line, without the `ERR ` of the default
/// code (other codes keep their dash); `None` for any other reply.
pub(crate) fn error_as_logged(reply: Option<&[u8]>) -> Option<String> {
    let error = reply?.strip_prefix(b"-")?;
    let line = error.split(|&b| b == b'\r').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line);
    Some(match text.strip_prefix("ERR ") {
        Some(rest) => rest.to_string(),
        None => format!("-{}", text),
    })
}

impl Server {
    /// Writes raw stream bytes (already RESP) to the replication buffer:
    /// online replicas are flushed before the loop sleeps, the others
    /// (waiting for their snapshot) keep their place in it. Whenever the
    /// buffer takes a new block, replicas over their output limit are
    /// dropped and the oldest blocks no one needs go.
    pub fn feed_replication_bytes(&mut self, bytes: &[u8]) {
        let repl = &mut self.replication;
        repl.master_offset += bytes.len() as u64;
        let Some(buffer) = repl.backlog.as_mut() else {
            return;
        };
        let added = buffer.append(bytes, self.config.backlog_size());
        for link in &repl.replicas {
            if link.streaming() && link.next_byte.is_some() {
                self.pending_writes.push(link.slot);
            }
        }
        if added {
            self.close_replicas_over_output_limit();
            self.trim_replication_buffer(TRIM_BLOCKS_PER_CALL);
        }
    }

    /// Drops up to `max_blocks` of the oldest blocks no one needs.
    pub fn trim_replication_buffer(&mut self, max_blocks: usize) {
        let size = self.config.backlog_size();
        self.replication.trim_buffer(size, max_blocks);
    }

    /// Marks to be closed the replicas whose share of the buffer (and
    /// own output) breaks `client-output-buffer-limit replica`; a hard
    /// limit below `repl-backlog-size` counts as that size, since the
    /// backlog keeps that much anyway.
    pub fn close_replicas_over_output_limit(&mut self) {
        let limit = self.replica_output_limit();
        for i in 0..self.replication.replicas.len() {
            let used = match self.replication.replicas.get(i) {
                Some(l) if l.next_byte.is_some() => self.replication.stream_memory(l.slot),
                _ => continue,
            };
            let Some(link) = self.replication.replicas.get_mut(i) else {
                continue;
            };
            let Some(c) = self.clients.get_mut(link.slot) else {
                continue;
            };
            if c.close_asap || !link.over_output_limit(used + c.pending_output(), &limit) {
                continue;
            }
            warn!(
                "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                link.name()
            );
            c.close_asap = true;
            self.stats.output_limit_disconnections += 1;
            self.pending_writes.push(link.slot);
        }
    }

    fn replica_output_limit(&self) -> ObufLimit {
        let mut limit = self.config.client_output_buffer_limits[obuf_class::REPLICA];
        let backlog = self.config.backlog_size() as u64;
        if limit.hard != 0 && limit.hard < backlog {
            limit.hard = backlog;
        }
        limit
    }
}
