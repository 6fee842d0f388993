//! Replication, primary side: the stream of propagated writes that replicas
//! receive, and the backlog that lets a reconnecting replica continue where
//! it stopped. Every propagated byte advances the primary's offset.

pub mod backlog;
pub mod diskless;
pub mod primary;
pub mod replica;

use crate::commands::spec::Args;
use crate::server::Server;
use backlog::Backlog;

/// Who this server is in replication history (PSYNC2): the ID of the
/// current history and, after a promotion, the ID of the previous one and
/// the offset up to which that previous history is shared.
#[derive(Debug)]
pub struct ReplicationId {
    /// INFO `master_replid`.
    pub replid: String,
    /// INFO `master_replid2`: forty zeros when there is no previous history.
    pub replid2: String,
    /// INFO `second_repl_offset`: one past the last offset shared with
    /// `replid2`'s history, or -1.
    pub second_replid_offset: i64,
}

impl Default for ReplicationId {
    fn default() -> Self {
        ReplicationId {
            replid: crate::util::random_hex(40),
            replid2: NO_REPLID.to_string(),
            second_replid_offset: -1,
        }
    }
}

/// The replication ID that names no history.
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

impl ReplicationId {
    /// Starts a new history: a fresh ID, the old one forgotten.
    pub fn change(&mut self) {
        self.replid = crate::util::random_hex(40);
    }

    /// Starts a new history that continues the current one (a replica
    /// promoted at stream offset `offset`): the current ID becomes the
    /// previous one, valid up to and including `offset`.
    pub fn shift(&mut self, offset: u64) {
        self.replid2 = std::mem::take(&mut self.replid);
        self.second_replid_offset = offset as i64 + 1;
        self.change();
    }

    /// Forgets the previous history.
    pub fn clear_previous(&mut self) {
        self.replid2 = NO_REPLID.to_string();
        self.second_replid_offset = -1;
    }
}

#[derive(Debug, Default)]
pub struct Replication {
    pub id: ReplicationId,
    /// Offset of the last byte written to the replication stream.
    pub master_offset: u64,
    /// Exists once a replica has attached (as in Redis).
    pub backlog: Option<Backlog>,
    /// Our replicas in the order they attached, with their sync state.
    pub replicas: Vec<primary::ReplicaLink>,
    /// The database the stream last SELECTed; `None` forces a SELECT.
    pub selected_db: Option<usize>,
    /// The primary we replicate from (`None` on a primary).
    pub upstream: Option<replica::Upstream>,
    /// Keys a writable replica's own clients wrote with a TTL.
    pub local_expiry: replica::local_expiry::LocalKeysWithExpire,
    /// Primary-side bookkeeping: sync counters, WAIT, the cron.
    pub primary: primary::PrimaryState,
    /// How the full sync being received is loaded, once its payload began
    /// with `repl-diskless-load` in effect.
    pub diskless_load: Option<replica::DisklessLoad>,
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
