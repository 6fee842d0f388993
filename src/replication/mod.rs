//! Replication, primary side: the stream of propagated writes that replicas
//! receive, and the backlog that lets a reconnecting replica continue where
//! it stopped. Every propagated byte advances the primary's offset.

pub mod backlog;

use crate::commands::spec::Args;
use crate::server::Server;
use backlog::Backlog;

#[derive(Debug, Default)]
pub struct Replication {
    /// Offset of the last byte written to the replication stream.
    pub master_offset: u64,
    /// Exists once a replica has attached (as in Redis).
    pub backlog: Option<Backlog>,
    /// Slots of the clients that are our replicas, fed the stream.
    pub replicas: Vec<usize>,
    /// The database the stream last SELECTed; `None` forces a SELECT.
    pub selected_db: Option<usize>,
}

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
            let select = crate::commands::spec::OwnedArgs::from_slices(&[
                b"SELECT".as_slice(),
                db_text.as_bytes(),
            ]);
            encode_command(&mut bytes, &select.args());
            repl.selected_db = Some(db);
        }
        encode_command(&mut bytes, args);
        self.feed_replication_bytes(&bytes);
    }

    /// Writes raw stream bytes (already RESP) to the backlog and replicas.
    pub fn feed_replication_bytes(&mut self, bytes: &[u8]) {
        let repl = &mut self.replication;
        repl.master_offset += bytes.len() as u64;
        if let Some(backlog) = repl.backlog.as_mut() {
            backlog.append(bytes);
        }
        for slot in repl.replicas.clone() {
            if let Some(replica) = self.clients.get_mut(slot) {
                replica.reply.raw(bytes);
                self.mark_pending_write(slot);
            }
        }
    }
}
