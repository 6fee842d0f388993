//! Replication, replica side: following a primary (REPLICAOF).
//!
//! The link goes through Redis's states: `connect` (the cron connects
//! each second), `connecting` (a non-blocking connect in flight), the
//! handshake and the payload transfer of a full resync ([`link`]), then
//! `connected`: the socket becomes the primary's client (flag `M`), whose
//! commands run like any client's with their replies dropped. Every byte
//! the primary's client consumes advances our replication offset and goes
//! verbatim to our own backlog and sub-replicas, so chains of replicas
//! share one stream and one offset space.
//!
//! PSYNC2: after a sync our replication ID and offset are the primary's.
//! When the link drops they stay as the "cached primary" offered to the
//! primary on reconnection (`PSYNC <replid> <offset+1>`), which makes the
//! reconnection a partial resync when the primary's backlog still holds
//! what we missed.

pub mod local_expiry;
mod sync_load;

use crate::server::client::{Client, ClientKind};
use crate::server::spec::{flag, Args};
use crate::server::state::replication::{DisklessLoad, LinkState, Upstream};
use crate::server::state::upstream_link::{Hello, Link, Progress, Step, Transfer};
use crate::server::{Server, LINK_TOKEN};
use crate::util::now_ms;
use log::{info, warn};
use mio::net::TcpStream;
use mio::Interest;
use std::fmt::Write as _;

pub const READONLY: &str = "READONLY You can't write against a read only replica.";
pub const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// `REPLCONF ACK <offset>` to the primary.
fn push_ack(c: &mut Client, offset: u64) {
    c.reply.raw(&crate::resp::command::command_bytes(&[
        "REPLCONF",
        "ACK",
        &offset.to_string(),
    ]));
}

impl Server {
    /// At start-up: follows the `replicaof` of the configuration. A dataset
    /// loaded from a file that recorded its replication ID and offset lets
    /// the first sync be a partial one.
    pub fn replica_start(&mut self) {
        let Some((host, port)) = self.config.replicaof.clone() else {
            return;
        };
        let mut up = Upstream::new(host, port);
        if let Some(loaded) = self.persistence.loaded_repl.clone() {
            if let (Some(replid), Some(offset)) = (loaded.replid, loaded.offset) {
                info!("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
                self.replication.id.replid = replid;
                self.replication.master_offset = offset.max(0) as u64;
                up.cached = true;
                up.cached_db = loaded.stream_db.unwrap_or(0).max(0) as usize;
            }
        }
        self.replication.upstream = Some(up);
        crate::logging::set_role(b'S');
    }

    /// REPLICAOF host port: follows a new primary. The current link (and
    /// its client) goes; what we hold stays cached for a partial resync.
    pub fn set_primary(&mut self, host: String, port: u16) {
        let up = match self.replication.upstream.take() {
            Some(mut up) => {
                self.drop_primary_client(&mut up);
                self.cancel_link(&mut up);
                up.host = host;
                up.port = port;
                up
            }
            None => {
                info!("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
                let mut up = Upstream::new(host, port);
                up.cached = true;
                up
            }
        };
        self.disconnect_blocked_clients();
        info!("Connecting to MASTER {}:{}", up.host, up.port);
        let words = [up.host.clone(), up.port.to_string()];
        self.replication.upstream = Some(up);
        self.record_replicaof(&[words[0].as_bytes(), words[1].as_bytes()]);
        crate::logging::set_role(b'S');
        // A failure to change the OOM score is logged and not fatal.
        let _ = self.apply_oom_score();
        self.connect_to_primary();
    }

    /// REPLICAOF NO ONE: becomes a primary whose history continues the
    /// old one (former siblings can PSYNC partially with us). The backlog's
    /// time to live without replicas counts from now, so it is still there
    /// when the former siblings come.
    pub fn unset_primary(&mut self) {
        let Some(mut up) = self.replication.upstream.take() else {
            return;
        };
        self.drop_primary_client(&mut up);
        self.cancel_link(&mut up);
        self.replication.id.shift(self.replication.master_offset);
        self.disconnect_replicas();
        self.replication.selected_db = None;
        self.replication.primary.no_replicas_since_s = crate::util::unix_seconds();
        self.record_replicaof(&[b"no".as_slice(), b"one"]);
        crate::logging::set_role(b'M');
        let _ = self.apply_oom_score();
        // An AOF stopped for a full sync that never finished starts again.
        if self.config.appendonly && !self.aof.is_on() {
            self.restart_aof_after_sync();
        }
    }

    /// Turns the AOF back on after a full sync replaced the dataset: a
    /// rewrite writes the new data as the first base (Redis retries ten
    /// times a second apart, then exits rather than run without it).
    fn restart_aof_after_sync(&mut self) {
        for _ in 0..10 {
            if self.start_append_only() {
                return;
            }
            warn!("Failed enabling the AOF after successful master synchronization! Trying it again in one second.");
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        warn!("FATAL: this replica instance finished the synchronization with its master, but the AOF can't be turned on. Exiting now.");
        std::process::exit(1);
    }

    /// Clients blocked on keys are told the server changed role and are
    /// closed once told (clients held by CLIENT PAUSE just wait).
    fn disconnect_blocked_clients(&mut self) {
        let blocked: Vec<usize> = self
            .clients
            .iter()
            .filter(|c| c.blocked.is_some())
            .map(|c| c.slot)
            .collect();
        for slot in blocked {
            if self.unblock_client(slot, crate::server::blocking::Unblock::RoleChange) {
                if let Some(c) = self.clients.get_mut(slot) {
                    c.close_after_reply = true;
                }
            }
        }
    }

    /// Keeps the `replicaof` directive (CONFIG GET / REWRITE) in step.
    fn record_replicaof(&mut self, words: &[&[u8]]) {
        if let Some(id) = crate::config::table::id_of("replicaof") {
            if let Err(e) = self.config.set_words(id, words) {
                warn!("Could not record replicaof: {}", e);
            }
        }
    }

    /// Frees the primary's client, keeping its state cached.
    fn drop_primary_client(&mut self, up: &mut Upstream) {
        let Some(slot) = up.client_slot.take() else {
            return;
        };
        up.cached_db = self.clients.get(slot).map(|c| c.db).unwrap_or(0);
        up.cached = true;
        up.pending.clear();
        self.free_client(slot);
    }

    /// Abandons a connect, handshake or transfer in progress.
    fn cancel_link(&mut self, up: &mut Upstream) {
        if let Some(link) = up.link.take() {
            self.close_link(link);
        }
    }

    fn close_link(&mut self, mut link: Link) {
        let _ = self.event_loop.registry().deregister(&mut link.stream);
        if let Some(t) = link.transfer.take() {
            let _ = std::fs::remove_file(&t.path);
        }
        self.end_diskless_load();
    }

    /// Whether the full sync `link` receives is loaded as `repl-diskless-load`
    /// says: always with swapdb, with on-empty-db only into an empty dataset.
    fn diskless_load_for(&self, link: &Link) -> Option<DisklessLoad> {
        let wanted = match self.config.repl_diskless_load {
            2 => true,
            1 => self.dbs.iter().all(|d| d.is_empty()),
            _ => false,
        };
        if !wanted {
            return None;
        }
        let same_history = link
            .full_sync
            .as_ref()
            .is_some_and(|(replid, _)| *replid == self.replication.id.replid);
        Some(if self.config.repl_diskless_load == 2 && same_history {
            DisklessLoad::Async
        } else {
            DisklessLoad::Blocking
        })
    }

    /// The payload of a full sync started: with `repl-diskless-load` the
    /// server is loading from now on, as Redis is while it reads the socket.
    fn begin_diskless_load(&mut self, link: &Link) {
        if self.replication.diskless_load.is_some() || !link.in_transfer() {
            return;
        }
        let Some(kind) = self.diskless_load_for(link) else {
            return;
        };
        match kind {
            DisklessLoad::Blocking => {
                let total_bytes = link.transfer.as_ref().and_then(|t| t.size).unwrap_or(0);
                self.persistence.loading = Some(crate::server::state::persistence::Loading {
                    start_s: crate::util::unix_seconds(),
                    total_bytes,
                    ..Default::default()
                });
            }
            DisklessLoad::Async => self.persistence.async_loading = true,
        }
        self.replication.diskless_load = Some(kind);
    }

    fn end_diskless_load(&mut self) {
        if let Some(kind) = self.replication.diskless_load.take() {
            match kind {
                DisklessLoad::Blocking => self.persistence.loading = None,
                DisklessLoad::Async => self.persistence.async_loading = false,
            }
        }
    }

    /// What the handshake sends, from the configuration and cached state.
    fn hello(&self, cached: bool) -> Hello {
        let auth = self.config.masterauth.clone().map(|pass| {
            let mut words: Vec<Vec<u8>> = self.config.masteruser.iter().cloned().collect();
            words.push(pass);
            words
        });
        let (psync_replid, psync_offset) = if cached {
            (
                self.replication.id.replid.clone(),
                self.replication.master_offset as i64 + 1,
            )
        } else {
            ("?".to_string(), -1)
        };
        Hello {
            auth,
            listening_port: match self.config.replica_announce_port {
                0 => self.config.port,
                port => port,
            },
            announce_ip: self.config.replica_announce_ip.clone(),
            psync_replid,
            psync_offset,
            failover: self.failover_handing_over(),
        }
    }

    /// Starts a non-blocking connect to the primary.
    fn connect_to_primary(&mut self) {
        let Some(cached) = self.replication.upstream.as_ref().map(|u| u.cached) else {
            return;
        };
        let hello = self.hello(cached);
        let source = self
            .config
            .bind_source_addr
            .as_deref()
            .map(|a| String::from_utf8_lossy(a).into_owned());
        let Some(up) = self.replication.upstream.as_mut() else {
            return;
        };
        match Link::connect(&up.host, up.port, source.as_deref(), hello, now_ms()) {
            Ok(mut link) => {
                let registered = self.event_loop.registry().register(
                    &mut link.stream,
                    LINK_TOKEN,
                    Interest::READABLE | Interest::WRITABLE,
                );
                match registered {
                    Ok(()) => {
                        info!("MASTER <-> REPLICA sync started");
                        up.link = Some(link);
                    }
                    Err(e) => warn!("Unable to connect to MASTER: {}", e),
                }
            }
            Err(e) => warn!("Unable to connect to MASTER: {}", e),
        }
    }

    /// Readiness of the link socket (before it became a client).
    pub fn replica_link_event(&mut self, readable: bool, writable: bool) {
        let Some(mut link) = self
            .replication
            .upstream
            .as_mut()
            .and_then(|u| u.link.take())
        else {
            return;
        };
        let pause = link.step != Step::Payload && self.config.repl_diskless_load != 0;
        link.pause_at_payload = pause;
        let progress = link.on_event(readable, writable, now_ms());
        self.answer_failover_psync(&link, &progress);
        let paused = pause && !link.pause_at_payload;
        match progress {
            Progress::More if self.loads_while_receiving(&link) => {
                self.load_sync_while_receiving(link)
            }
            Progress::More => {
                self.begin_diskless_load(&link);
                self.link_read_pending |= link.more_to_read;
                match self.replication.upstream.as_mut() {
                    Some(up) => up.link = Some(link),
                    None => self.close_link(link),
                }
                if paused {
                    // Not loaded as it arrives: read on what is waiting.
                    self.replica_link_event(true, false);
                }
            }
            Progress::Failed => {
                let psync_refused = link.step == Step::Psync;
                self.close_link(link);
                if psync_refused {
                    self.failover_psync_answered(false);
                }
            }
            Progress::Continue(new_replid) => self.partial_resync_accepted(link, new_replid),
            Progress::Synced => self.full_sync_received(link),
        }
    }

    /// A FAILOVER handing over to our primary ends once it accepted the
    /// PSYNC (`+CONTINUE`, or `+FULLRESYNC` in odd cases).
    fn answer_failover_psync(&mut self, link: &Link, progress: &Progress) {
        let accepted = match progress {
            Progress::Continue(_) | Progress::Synced => true,
            Progress::More => link.in_transfer(),
            Progress::Failed => false,
        };
        if accepted {
            self.failover_psync_answered(true);
        }
    }

    /// `+CONTINUE`: the stream goes on from our offset; a new replication
    /// ID (the primary was promoted) becomes ours, the old one our second.
    fn partial_resync_accepted(&mut self, mut link: Link, new_replid: Option<String>) {
        let _ = self.event_loop.registry().deregister(&mut link.stream);
        let leftover = link.take_input();
        if let Some(new) = new_replid.filter(|id| *id != self.replication.id.replid) {
            warn!("Master replication ID changed to {}", new);
            let id = &mut self.replication.id;
            id.replid2 = std::mem::replace(&mut id.replid, new);
            id.second_replid_offset = self.replication.master_offset as i64 + 1;
            self.disconnect_replicas();
        }
        info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        self.ensure_backlog();
        let db = self
            .replication
            .upstream
            .as_ref()
            .map(|u| u.cached_db)
            .unwrap_or(0);
        self.primary_link_up(link.stream, &leftover, db);
    }

    /// The payload of a full resync arrived: it replaces the dump file and
    /// the whole dataset (a bad payload leaves the dataset as it was), and
    /// the primary's ID and offset become ours.
    fn full_sync_received(&mut self, mut link: Link) {
        let _ = self.event_loop.registry().deregister(&mut link.stream);
        let marked = link.transfer.as_ref().is_some_and(|t| t.size.is_none());
        let Some((transfer, leftover)) = link.finish_transfer() else {
            warn!(
                "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization"
            );
            return;
        };
        let diskless =
            self.replication.diskless_load.is_some() || self.diskless_load_for(&link).is_some();
        self.prepare_full_sync_load();
        let loaded = if diskless {
            self.load_payload_in_memory(transfer)
        } else {
            self.load_payload_from_disk(transfer)
        };
        if loaded {
            self.full_sync_loaded(link, &leftover, marked);
        }
    }

    /// Before a full sync's payload replaces the dataset: a save child is
    /// stopped, the AOF too (it starts again from a rewrite of the new
    /// data), our replicas must sync again.
    fn prepare_full_sync_load(&mut self) {
        if let Some(child) = self.persistence.child {
            info!("Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process {} and removing its temp file to avoid any race", child.pid);
            self.stop_save_child_now();
        }
        if self.aof.is_on() {
            self.stop_append_only();
        }
        self.attach_to_new_primary();
        self.persistence.loaded_repl = None;
    }

    /// A full sync's payload is the dataset now: the primary's ID and
    /// offset become ours and its link our primary's client, `leftover`
    /// (what followed the payload) its first input. After an EOF-marked
    /// payload the primary hears our offset at once.
    fn full_sync_loaded(&mut self, link: Link, leftover: &[u8], marked: bool) {
        let (replid, offset) = link
            .full_sync
            .clone()
            .unwrap_or_else(|| (crate::server::state::replication::NO_REPLID.to_string(), -1));
        let stream_db = self
            .persistence
            .loaded_repl
            .as_ref()
            .and_then(|r| r.stream_db)
            .and_then(|db| usize::try_from(db).ok())
            .filter(|&db| db < self.dbs.len())
            .unwrap_or(0);
        self.replication.id.replid = replid;
        self.replication.id.clear_previous();
        self.replication.master_offset = offset.max(0) as u64;
        self.ensure_backlog();
        self.primary_link_up(link.stream, leftover, stream_db);
        info!("MASTER <-> REPLICA sync: Finished with success");
        if marked {
            self.send_ack_to_primary();
        }
        if self.config.appendonly {
            self.restart_aof_after_sync();
        }
    }

    /// The payload becomes the dump file, then the dataset.
    fn load_payload_from_disk(&mut self, transfer: Transfer) -> bool {
        let target = self.config.dbfilename.clone();
        if let Err(e) = std::fs::rename(&transfer.path, &target) {
            warn!(
                "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
                target,
                crate::util::error_text(&e)
            );
            let _ = std::fs::remove_file(&transfer.path);
            return false;
        }
        drop(transfer);
        info!("MASTER <-> REPLICA sync: Flushing old data");
        info!("MASTER <-> REPLICA sync: Loading DB in memory");
        if !self.replace_dataset_from_file(&target) {
            warn!("Failed trying to load the MASTER synchronization DB from disk");
            return false;
        }
        self.remove_sync_file_if_unwanted(&target);
        true
    }

    /// `repl-diskless-load`: the payload becomes the dataset without
    /// replacing the dump file; a bad one leaves the old data in place.
    fn load_payload_in_memory(&mut self, transfer: Transfer) -> bool {
        let path = transfer.path.clone();
        drop(transfer);
        info!("MASTER <-> REPLICA sync: Loading DB in memory");
        let loaded = self.replace_dataset_from_file(&path);
        let _ = std::fs::remove_file(&path);
        self.end_diskless_load();
        if !loaded {
            warn!("Failed trying to load the MASTER synchronization DB from socket, check server logs.");
        }
        loaded
    }

    /// With persistence off and `rdb-del-sync-files`, the file the primary
    /// sent is not kept.
    fn remove_sync_file_if_unwanted(&self, path: &str) {
        if self.config.rdb_del_sync_files && self.config.save.is_empty() && !self.config.appendonly
        {
            info!("Removing the RDB file obtained from the master. This replica has persistence disabled");
            let _ = std::fs::remove_file(path);
        }
    }

    /// A full resync starts a new history here: the cached state goes,
    /// our replicas must sync again, and the backlog starts over.
    fn attach_to_new_primary(&mut self) {
        if let Some(up) = self.replication.upstream.as_mut() {
            up.cached = false;
        }
        self.disconnect_replicas();
        self.replication.backlog = None;
    }

    /// A replica keeps a backlog even without replicas of its own, to
    /// serve partial resyncs if it is promoted.
    fn ensure_backlog(&mut self) {
        if self.replication.backlog.is_none() {
            self.replication.backlog = Some(crate::server::state::repl_buffer::ReplBuffer::new(
                self.replication.master_offset + 1,
            ));
        }
    }

    /// The socket becomes the primary's client; bytes that came after the
    /// sync reply are its first input.
    fn primary_link_up(&mut self, stream: TcpStream, leftover: &[u8], db: usize) {
        let Some(slot) = self.adopt_connection(crate::conn::Conn::Tcp(stream)) else {
            warn!("Can't create the master client after the sync");
            return;
        };
        if let Some(c) = self.clients.get_mut(slot) {
            c.kind = ClientKind::Primary;
            c.authenticated = true;
            c.user = None;
            c.db = db;
            c.query.reserve_tail(leftover.len());
            let mut src = leftover;
            while !src.is_empty() {
                match c.query.read_from(&mut src) {
                    Ok(n) if n > 0 => c.net_in += n as u64,
                    _ => break,
                }
            }
        }
        let offset = self.replication.master_offset;
        if let Some(up) = self.replication.upstream.as_mut() {
            up.client_slot = Some(slot);
            up.read_base = offset;
            up.down_since_s = 0;
            up.pending.clear();
        }
        if !leftover.is_empty() {
            self.unblocked.push(slot);
        }
    }

    /// Hook (freeing a client): the primary's link dropped. Its state is
    /// cached for a partial resync and we connect again at once.
    pub fn primary_client_freed(&mut self, c: &Client) {
        let Some(up) = self.replication.upstream.as_mut() else {
            return;
        };
        if up.client_slot != Some(c.slot) {
            return;
        }
        up.client_slot = None;
        up.cached = true;
        up.cached_db = c.db;
        up.pending.clear();
        up.down_since_s = crate::util::unix_seconds();
        info!("Connection with master lost.");
        info!("Caching the disconnected master state.");
        info!("Reconnecting to MASTER {}:{}", up.host, up.port);
        self.connect_to_primary();
    }

    /// On a replica, the database the primary's stream has selected (what
    /// a snapshot records as `repl-stream-db`).
    pub fn replica_stream_db(&self) -> Option<usize> {
        let up = self.replication.upstream.as_ref()?;
        match up.client_slot.and_then(|slot| self.clients.get(slot)) {
            Some(c) => Some(c.db),
            None => up.cached.then_some(up.cached_db),
        }
    }

    /// Hook (input processing): the primary's client consumed
    /// `query[from..cursor]`. The bytes count in our offset and go to our
    /// backlog and replicas, a transaction's all at once at EXEC.
    pub fn primary_stream_consumed(&mut self, c: &Client, from: usize) {
        let Some(bytes) = c.query.data.get(from..c.query.cursor) else {
            return;
        };
        let Some(up) = self.replication.upstream.as_mut() else {
            return;
        };
        if c.multi.is_open() {
            up.pending.extend_from_slice(bytes);
            return;
        }
        if up.pending.is_empty() {
            self.feed_replication_bytes(bytes);
        } else {
            let mut all = std::mem::take(&mut up.pending);
            all.extend_from_slice(bytes);
            self.feed_replication_bytes(&all);
        }
    }

    /// Hook (after a command from the primary): its reply (everything
    /// from `reply_start` on) is dropped, but REPLCONF GETACK is answered
    /// with our offset.
    pub fn primary_command_done(&mut self, c: &mut Client, args: &Args, reply_start: usize) {
        if let Some(shown) = super::error_as_logged(c.reply.buf.get(reply_start..)) {
            self.log_error_to_primary(c, &shown);
        }
        c.reply.buf.truncate(reply_start);
        if args[0].eq_ignore_ascii_case(b"replconf") && args[1].eq_ignore_ascii_case(b"getack") {
            push_ack(c, self.replication.master_offset);
        }
    }

    /// A command from the primary failed here: the datasets may have
    /// diverged. Logged as Redis does (the error is never sent back), with
    /// the end of our backlog for context.
    fn log_error_to_primary(&mut self, c: &Client, shown: &str) {
        let command = self.last_command_name(c);
        warn!(
            "== CRITICAL == This replica is sending an error to its master: '{}' after processing the command '{}'",
            shown, command
        );
        if let Some(backlog) = self
            .replication
            .backlog
            .as_ref()
            .filter(|b| b.histlen() > 0)
        {
            let from = backlog.end_offset() - backlog.histlen().min(256);
            let tail = backlog.since(from).unwrap_or_default();
            warn!("Latest backlog is: '{}'", crate::util::repr_bytes(&tail));
        }
        self.stats.unexpected_error_replies += 1;
    }

    fn send_ack_to_primary(&mut self) {
        let offset = self.replication.master_offset;
        let Some(slot) = self
            .replication
            .upstream
            .as_ref()
            .and_then(|u| u.client_slot)
        else {
            return;
        };
        if let Some(c) = self.clients.get_mut(slot) {
            push_ack(c, offset);
            self.mark_pending_write(slot);
        }
    }

    /// Hook (before a command runs): the error a replica answers instead,
    /// if any (writes on a read-only replica, most commands while the link
    /// is down with `replica-serve-stale-data no`).
    pub fn replica_refusal(&self, c: &Client, flags: u64) -> Option<&'static str> {
        let up = self.replication.upstream.as_ref()?;
        if c.kind == ClientKind::Primary {
            return None;
        }
        if self.config.replica_read_only && flags & flag::WRITE != 0 {
            return Some(READONLY);
        }
        let down = up.state() != LinkState::Connected;
        if down && !self.config.replica_serve_stale_data && flags & flag::STALE == 0 {
            return Some(MASTERDOWN);
        }
        None
    }

    /// Hook (cron): once a second (ten times a second while a FAILOVER
    /// hands over to our primary), connects when the link is down, drops
    /// a link silent for `repl-timeout`, and acknowledges our offset.
    pub fn replica_cron(&mut self) {
        let now = now_ms();
        let timeout_ms = self.config.repl_timeout.saturating_mul(1000);
        let period = if self.failover_handing_over() {
            100
        } else {
            1000
        };
        let Some(up) = self.replication.upstream.as_mut() else {
            return;
        };
        if now - up.last_cron_ms < period {
            return;
        }
        up.last_cron_ms = now;
        let link_idle = up.link.as_ref().map(|l| now - l.last_io_ms);
        if link_idle.is_some_and(|idle| idle > timeout_ms) {
            if up.state() == LinkState::Transfer {
                warn!("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
            } else {
                warn!("Timeout connecting to the MASTER...");
            }
            if let Some(link) = up.link.take() {
                self.close_link(link);
            }
        }
        let primary = self
            .replication
            .upstream
            .as_ref()
            .and_then(|u| u.client_slot);
        if let Some(slot) = primary {
            let silent = self
                .clients
                .get(slot)
                .is_some_and(|c| now - c.last_interaction_ms > timeout_ms);
            if silent {
                warn!("MASTER timeout: no data nor PING received...");
                self.free_client(slot);
            }
        }
        let state = self.replication.upstream.as_ref().map(Upstream::state);
        match state {
            Some(LinkState::Connect) => {
                if let Some(up) = self.replication.upstream.as_ref() {
                    info!("Connecting to MASTER {}:{}", up.host, up.port);
                }
                self.connect_to_primary();
            }
            Some(LinkState::Connected) => self.send_ack_to_primary(),
            _ => {}
        }
    }

    /// (applied offset, read offset) as INFO reports them.
    fn replica_offsets(&self, up: &Upstream) -> (u64, u64) {
        let applied = self.replication.master_offset;
        match up.client_slot.and_then(|slot| self.clients.get(slot)) {
            Some(c) => (applied, up.read_base + c.net_in),
            None if up.cached => (applied, applied),
            None => (1, 1),
        }
    }

    /// The replica's fields of INFO replication (after `role:slave`).
    pub fn replica_info_fields(&self, out: &mut String) {
        let Some(up) = self.replication.upstream.as_ref() else {
            return;
        };
        let now_s = crate::util::unix_seconds();
        let state = up.state();
        let last_io = up
            .client_slot
            .and_then(|slot| self.clients.get(slot))
            .map(|c| now_s - c.last_interaction_ms / 1000)
            .unwrap_or(-1);
        let (applied, read) = self.replica_offsets(up);
        let link_status = if state == LinkState::Connected {
            "up"
        } else {
            "down"
        };
        let _ = write!(
            out,
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
            up.host,
            up.port,
            link_status,
            last_io,
            u8::from(state == LinkState::Transfer),
            read,
            applied
        );
        if let Some(link) = up.link.as_ref().filter(|l| l.in_transfer()) {
            let (total, done) = match &link.transfer {
                Some(t) => (t.total_bytes(), t.read as i64),
                None => (-1, 0),
            };
            let perc = if total != 0 {
                done as f64 / total as f64 * 100.0
            } else {
                0.0
            };
            let _ = write!(
                out,
                "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                total,
                done,
                total - done,
                perc,
                now_s - link.last_io_ms / 1000
            );
        }
        if state != LinkState::Connected {
            let since = match up.down_since_s {
                0 => -1,
                t => now_s - t,
            };
            let _ = write!(out, "master_link_down_since_seconds:{}\r\n", since);
        }
        let _ = write!(
            out,
            "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            self.config.replica_priority,
            u8::from(self.config.replica_read_only),
            u8::from(self.config.replica_announced)
        );
    }

    /// ROLE on a replica: `slave`, host, port, link state, offset (-1
    /// while there is no primary client). False on a primary.
    pub fn reply_role_as_replica(&self, c: &mut Client) -> bool {
        let Some(up) = self.replication.upstream.as_ref() else {
            return false;
        };
        c.reply.array(5);
        c.reply.bulk(b"slave");
        c.reply.bulk(up.host.as_bytes());
        c.reply.int(i64::from(up.port));
        c.reply.bulk(up.state().name().as_bytes());
        match up.client_slot {
            Some(_) => c.reply.int(self.replication.master_offset as i64),
            None => c.reply.int(-1),
        }
        true
    }
}
