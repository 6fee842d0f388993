//! Replicas' output. The stream reaches a replica's socket straight from
//! the shared replication buffer (`state::repl_buffer`): a replica only
//! holds the offset of the next byte it is to be sent, written after
//! whatever its own reply buffer holds (the sync replies and the snapshot
//! file). Its share of the buffer counts as its output memory (CLIENT
//! LIST's `omem`, the `client-output-buffer-limit replica` check), as in
//! Redis.

use super::client::Client;
use super::state::replication::{ReplicaLink, Replication};
use std::io;

/// Oldest blocks dropped at most per trim (Redis's
/// `REPL_BACKLOG_TRIM_BLOCKS_PER_CALL`), so freeing a lot never stalls
/// the loop.
pub const TRIM_BLOCKS_PER_CALL: usize = 64;

impl Replication {
    fn link(&self, slot: usize) -> Option<&ReplicaLink> {
        self.replicas.iter().find(|l| l.slot == slot)
    }

    /// The smallest stream offset a replica is still to be sent (what the
    /// buffer must keep).
    pub fn oldest_needed(&self) -> u64 {
        self.replicas
            .iter()
            .filter_map(|l| l.next_byte)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Drops up to `max_blocks` of the buffer's oldest blocks that neither
    /// the backlog (`backlog_size`) nor a replica needs.
    pub fn trim_buffer(&mut self, backlog_size: usize, max_blocks: usize) {
        let oldest = self.oldest_needed();
        if let Some(buffer) = self.backlog.as_mut() {
            buffer.trim(backlog_size, oldest, max_blocks);
        }
    }

    /// Whether the replica in `slot` is due stream bytes it was not sent.
    pub fn has_unsent_stream(&self, slot: usize) -> bool {
        let (Some(link), Some(buffer)) = (self.link(slot), self.backlog.as_ref()) else {
            return false;
        };
        link.streaming() && link.next_byte.is_some_and(|at| at < buffer.end_offset())
    }

    /// The buffer memory the replica in `slot` holds on to.
    pub fn stream_memory(&self, slot: usize) -> usize {
        let (Some(link), Some(buffer)) = (self.link(slot), self.backlog.as_ref()) else {
            return 0;
        };
        link.next_byte.map_or(0, |at| buffer.memory_from(at))
    }

    /// Writes the stream a replica is due to its socket, from the buffer;
    /// true when all of it went out (or there is none to send).
    pub fn write_stream(&mut self, c: &mut Client) -> io::Result<bool> {
        let (Some(link), Some(buffer)) = (
            self.replicas.iter_mut().find(|l| l.slot == c.slot),
            self.backlog.as_ref(),
        ) else {
            return Ok(true);
        };
        let Some(mut at) = link.next_byte.filter(|_| link.streaming() && !c.close_asap) else {
            return Ok(true);
        };
        let done = loop {
            let chunk = match buffer.chunk_at(at) {
                Some(chunk) if !chunk.is_empty() => chunk,
                _ => break Ok(true),
            };
            match c.write_direct(chunk) {
                Ok(Some(n)) => at += n as u64,
                Ok(None) => break Ok(false),
                Err(e) => break Err(e),
            }
        };
        link.next_byte = Some(at);
        done
    }
}
