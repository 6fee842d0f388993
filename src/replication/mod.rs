//! Replication, primary side: the stream of propagated writes that replicas
//! receive, and the backlog that lets a reconnecting replica continue where
//! it stopped. Every propagated byte advances the primary's offset.

pub mod diskless;
pub mod failover;
pub mod hooks;
pub mod primary;
pub mod replica;

use crate::server::Server;

impl Server {
    /// Writes raw stream bytes (already RESP) to the backlog and replicas:
    /// online replicas get them now, replicas waiting for their snapshot
    /// keep them for after it.
    pub fn feed_replication_bytes(&mut self, bytes: &[u8]) {
        let repl = &mut self.replication;
        repl.master_offset += bytes.len() as u64;
        if let Some(backlog) = repl.backlog.as_mut() {
            let wanted = self.config.repl_backlog_size.max(1) as usize;
            if backlog.size() != wanted {
                backlog.resize(wanted);
            }
            backlog.append(bytes);
        }
        let limit = &self.config.client_output_buffer_limits[1];
        for link in self.replication.replicas.iter_mut() {
            if let Some(slot) = link.take_stream(bytes, &mut self.clients, limit) {
                // Only a limit reached just now marks a replica closing here.
                if self.clients.get(slot).is_some_and(|c| c.close_asap) {
                    self.stats.output_limit_disconnections += 1;
                }
                self.pending_writes.push(slot);
            }
        }
    }
}
