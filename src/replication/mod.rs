//! Replication, primary side: the stream of propagated writes that replicas
//! receive, and the backlog that lets a reconnecting replica continue where
//! it stopped. Every propagated byte advances the primary's offset.

pub mod diskless;
pub mod primary;
pub mod replica;

use crate::server::spec::Args;
use crate::server::Server;

/// Appends a command in RESP (an array of bulk strings) to `out`.
pub fn encode_command(out: &mut Vec<u8>, args: &Args) {
    out.push(b'*');
    crate::util::push_u64(out, args.len() as u64);
    out.extend_from_slice(b"\r\n");
    for a in args.iter() {
        out.push(b'$');
        crate::util::push_u64(out, a.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Server {
    /// Writes one propagated command to the backlog and to every replica,
    /// preceded by a SELECT when the stream is in another database.
    pub fn feed_replication(&mut self, db: usize, args: &Args) {
        let repl = &mut self.replication;
        if repl.backlog.is_none() && repl.replicas.is_empty() {
            return;
        }
        let mut bytes = Vec::with_capacity(64);
        if repl.selected_db != Some(db) {
            let db_text = db.to_string();
            let select = crate::server::spec::OwnedArgs::from_slices(&[
                b"SELECT".as_slice(),
                db_text.as_bytes(),
            ]);
            encode_command(&mut bytes, &select.args());
            repl.selected_db = Some(db);
        }
        encode_command(&mut bytes, args);
        self.feed_replication_bytes(&bytes);
    }

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
