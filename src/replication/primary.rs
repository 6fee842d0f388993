//! Replication, primary side: replicas attaching with SYNC or PSYNC, full
//! resynchronization through a background save on disk, partial
//! resynchronization from the backlog, acknowledgements and WAIT, and the
//! once-a-second duties (PINGs in the stream, replica timeouts, the
//! backlog's time to live).
//!
//! A replica is a client of kind `Replica` with a [`ReplicaLink`] in
//! `Replication::replicas` (found by client slot; the link goes when the
//! client is freed). Its sync moves through the states Redis names:
//! waiting for a background save to start, waiting for it to end (the
//! buffer keeps the stream since the fork for it meanwhile), receiving the
//! file, online (fed the stream as it is produced).
//!
//! Work that needs every client in the table (starting the save, sending
//! `+FULLRESYNC`) is done before the loop sleeps, not inside the SYNC
//! command: the result is the same, since the stream since the fork is
//! what a replica receives after the file.

use crate::resp::command::command_bytes;
use crate::server::client::{Client, ClientKind};
use crate::server::errors::CmdResult;
use crate::server::replica_output::TRIM_BLOCKS_PER_CALL;
use crate::server::state::persistence::SaveTarget;
use crate::server::state::repl_buffer::ReplBuffer;
use crate::server::state::replication::{
    AckWaiter, BulkTransfer, LinkState, ReplicaLink, ReplicaState, SnapshotFilter,
};
use crate::server::Server;
use crate::util::now_ms;
use log::{info, warn};
use std::fs::File;
use std::io::Read;

/// Bytes of the snapshot file read per refill of a replica's output.
const BULK_CHUNK: u64 = 64 * 1024;

/// Unix seconds now.
fn now_s() -> i64 {
    now_ms() / 1000
}

/// The peer's IP address (without the port).
fn peer_ip(c: &Client) -> String {
    c.stream
        .as_ref()
        .map(crate::conn::Conn::peer_ip)
        .unwrap_or_default()
}

impl Server {
    /// SYNC (`psync` None) and PSYNC <replid> <offset>: continues from the
    /// backlog when possible, else registers the client for a full
    /// resynchronization that starts before the loop sleeps.
    pub fn replica_sync(&mut self, c: &mut Client, psync: Option<(&[u8], &[u8])>) -> CmdResult {
        if c.kind == ClientKind::Replica || c.monitor {
            return Ok(());
        }
        if self.failover_pauses_writes() {
            return Err("NOMASTERLINK Can't SYNC while failing over".into());
        }
        let link_down = self
            .replication
            .upstream
            .as_ref()
            .is_some_and(|up| up.state() != LinkState::Connected);
        if link_down {
            return Err("NOMASTERLINK Can't SYNC while not connected with my master".into());
        }
        if c.pending_output() > 0 {
            return Err("ERR SYNC and PSYNC are invalid with pending output".into());
        }
        // A filtered snapshot is never written to the dump file, so it can
        // only go to a replica that takes it straight from the socket.
        if c.repl.rdb_filter.is_filtered() && !c.repl.capa_eof {
            return Err("ERR Filtered replica requires EOF capability".into());
        }
        info!(
            "Replica {} asks for synchronization",
            self.link_preview(c).name()
        );
        let mut pre_psync = false;
        match psync {
            Some((replid, offset)) => {
                let Some(offset) = crate::util::parse_i64(offset) else {
                    warn!(
                        "Replica {} asks for synchronization but with a wrong offset",
                        self.link_preview(c).name()
                    );
                    return Err(crate::server::errors::NOT_INTEGER.into());
                };
                if self.try_partial_resync(c, replid, offset) {
                    self.replication.primary.sync_partial_ok += 1;
                    return Ok(());
                }
                if replid.first() != Some(&b'?') {
                    self.replication.primary.sync_partial_err += 1;
                }
            }
            None => pre_psync = true,
        }
        self.replication.primary.sync_full += 1;
        let mut link = self.link_preview(c);
        link.pre_psync = pre_psync;
        self.attach_replica(c, link);
        if self.replication.backlog.is_none() {
            self.create_backlog();
        }
        self.replication.primary.sync_requested = true;
        Ok(())
    }

    /// After the start-up load, a primary whose file carries replication
    /// information (saved while it had a backlog) keeps that history as
    /// its previous one, so its replicas can continue after a restart:
    /// the offset goes on from the saved one and an empty backlog starts
    /// there, holding first the deletions of the keys the load dropped as
    /// expired (`expired`, in the order they were met), as Redis streams
    /// them. A replica adopts the information differently (its side).
    pub fn adopt_loaded_replication_info(&mut self, expired: Vec<(usize, Vec<u8>)>) {
        if self.config.replicaof.is_some() {
            return;
        }
        let Some(info) = self.persistence.loaded_repl.as_ref() else {
            return;
        };
        let (Some(replid), Some(offset), Some(stream_db)) =
            (info.replid.clone(), info.offset, info.stream_db)
        else {
            return;
        };
        let Ok(offset) = u64::try_from(offset) else {
            return;
        };
        if stream_db < 0 {
            return;
        }
        let repl = &mut self.replication;
        repl.id.replid2 = replid;
        repl.id.second_replid_offset = (offset as i64).saturating_add(1);
        repl.master_offset = repl.master_offset.saturating_add(offset);
        repl.backlog = Some(ReplBuffer::new(repl.master_offset + 1));
        repl.primary.no_replicas_since_s = now_s();
        let del = if self.config.lazyfree_lazy_expire {
            "UNLINK"
        } else {
            "DEL"
        };
        for (db, key) in expired {
            self.also_propagate(db, &[del.as_bytes(), &key]);
        }
    }

    /// A fresh history with an empty backlog (the first replica attaches).
    fn create_backlog(&mut self) {
        let repl = &mut self.replication;
        repl.id.change();
        repl.id.clear_previous();
        repl.backlog = Some(ReplBuffer::new(repl.master_offset + 1));
        info!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            repl.id.replid, repl.id.replid2
        );
    }

    /// The link `c` would get if it became a replica now.
    fn link_preview(&self, c: &Client) -> ReplicaLink {
        ReplicaLink {
            slot: c.slot,
            client_id: c.id,
            state: ReplicaState::WaitBgsaveStart,
            ip: c.repl.announced_ip.clone().unwrap_or_else(|| peer_ip(c)),
            listening_port: c.repl.listening_port,
            capa_eof: c.repl.capa_eof,
            capa_psync2: c.repl.capa_psync2,
            pre_psync: false,
            rdb_only: c.repl.rdb_only,
            filter: c.repl.rdb_filter,
            ack_offset: 0,
            ack_time_s: now_s(),
            initial_offset: 0,
            since_s: now_s(),
            diskless: false,
            stream_on_ack: false,
            next_byte: None,
            transfer: None,
            soft_limit_since_s: None,
            queued_seen: 0,
            stalled_since_s: None,
        }
    }

    fn attach_replica(&mut self, c: &mut Client, link: ReplicaLink) {
        c.kind = ClientKind::Replica;
        self.replication.replicas.push(link);
    }

    /// PSYNC's partial path: the replica's history is ours (current ID, or
    /// the previous one up to where it is shared) and the backlog still
    /// holds everything after `offset`. Answers `+CONTINUE` and the bytes.
    fn try_partial_resync(&mut self, c: &mut Client, replid: &[u8], offset: i64) -> bool {
        let id = &self.replication.id;
        let current = replid.eq_ignore_ascii_case(id.replid.as_bytes());
        let previous =
            replid.eq_ignore_ascii_case(id.replid2.as_bytes()) && offset <= id.second_replid_offset;
        let name = self.link_preview(c).name();
        if !current && !previous {
            if replid.first() == Some(&b'?') {
                info!("Full resync requested by replica {}", name);
            } else if !replid.eq_ignore_ascii_case(id.replid2.as_bytes()) {
                info!("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                    String::from_utf8_lossy(replid), id.replid, id.replid2);
            } else {
                info!("Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                    offset, id.second_replid_offset);
            }
            return false;
        }
        let held = u64::try_from(offset).ok().and_then(|from| {
            let buffer = self.replication.backlog.as_ref()?;
            buffer
                .holds(from)
                .then(|| (from, buffer.end_offset() - from))
        });
        let Some((from, len)) = held else {
            info!(
                "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
                name, offset
            );
            if offset > self.replication.master_offset as i64 {
                warn!("Warning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.", name);
            }
            return false;
        };
        let mut link = self.link_preview(c);
        link.state = ReplicaState::Online;
        link.next_byte = Some(from);
        let reply = if link.capa_psync2 {
            format!("+CONTINUE {}\r\n", self.replication.id.replid)
        } else {
            "+CONTINUE\r\n".to_string()
        };
        c.reply.raw(reply.as_bytes());
        self.attach_replica(c, link);
        info!(
            "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
            name, len, offset
        );
        true
    }

    /// Before sleeping: serves new full-sync requests (joining a save in
    /// progress when another replica already collects the stream since its
    /// fork) and starts a save when replicas wait for one.
    fn start_pending_syncs(&mut self) {
        let running = self.persistence.child.map(|c| c.target);
        if std::mem::take(&mut self.replication.primary.sync_requested) {
            match running {
                Some(SaveTarget::Disk) => self.join_running_save(),
                Some(SaveTarget::ReplicaSockets) => {
                    info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
                }
                Some(SaveTarget::AofRewrite) | None => {}
            }
        }
        if running.is_none() {
            if let Some((diskless, filter)) = self.sync_to_start() {
                self.start_bgsave_for_replication(diskless, filter);
            }
        }
    }

    /// Whether a save for the waiting replicas should start now, for
    /// which of them (those that filter the snapshot as the first one
    /// does; the others wait for the next save), and whether it goes
    /// straight to their sockets: with `repl-diskless-sync` a diskless
    /// save waits `repl-diskless-sync-delay` seconds (or for
    /// `repl-diskless-sync-max-replicas` replicas) so more replicas can
    /// share it; it is diskless when all of them understand the `$EOF:`
    /// form, and always when filtered.
    fn sync_to_start(&self) -> Option<(bool, SnapshotFilter)> {
        let now = now_s();
        let mut waiting = 0;
        let mut longest = 0;
        let mut all_eof = true;
        let mut filter = None;
        for link in &self.replication.replicas {
            if link.state != ReplicaState::WaitBgsaveStart
                || *filter.get_or_insert(link.filter) != link.filter
            {
                continue;
            }
            waiting += 1;
            longest = longest.max(now - link.since_s);
            all_eof &= link.capa_eof;
        }
        let filter = filter?;
        let config = &self.config;
        let max_replicas = config.repl_diskless_sync_max_replicas;
        let due = !config.repl_diskless_sync
            || (max_replicas > 0 && waiting >= max_replicas)
            || longest >= config.repl_diskless_sync_delay;
        let diskless = (config.repl_diskless_sync || filter.is_filtered()) && all_eof;
        due.then_some((diskless, filter))
    }

    /// Replicas waiting for a save join the running one if a replica
    /// already keeps the stream since its fork (they get a copy of it).
    fn join_running_save(&mut self) {
        let repl = &self.replication;
        let Some(source) = repl
            .replicas
            .iter()
            .position(|l| l.state == ReplicaState::WaitBgsaveEnd && !l.rdb_only)
        else {
            info!(
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
            );
            return;
        };
        let (src_eof, src_psync2, src_filter) = (
            repl.replicas[source].capa_eof,
            repl.replicas[source].capa_psync2,
            repl.replicas[source].filter,
        );
        let offset = repl.replicas[source].initial_offset;
        let joining: Vec<usize> = repl
            .replicas
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.state == ReplicaState::WaitBgsaveStart
                    && (l.capa_eof || !src_eof)
                    && (l.capa_psync2 || !src_psync2)
                    && l.filter == src_filter
            })
            .map(|(i, _)| i)
            .collect();
        for i in joining {
            self.setup_full_resync(i, offset);
            info!("Waiting for end of BGSAVE for SYNC");
        }
    }

    /// Forks the save the waiting replicas that filter it as `filter`
    /// says will receive (a filtered one always diskless); when fork fails
    /// all waiting replicas are told and dropped.
    fn start_bgsave_for_replication(&mut self, diskless: bool, filter: SnapshotFilter) {
        let target = if diskless { "replicas sockets" } else { "disk" };
        info!("Starting BGSAVE for SYNC with target: {}", target);
        let started = if diskless {
            self.start_diskless_transfer(filter)
        } else {
            self.rdb_bgsave()
        };
        if !started {
            warn!("BGSAVE for replication failed");
            self.drop_waiting_replicas();
            return;
        }
        if !diskless {
            self.setup_waiting_replicas();
        }
    }

    /// Every replica waiting for a whole snapshot gets `+FULLRESYNC` with
    /// the offset of the save just forked.
    fn setup_waiting_replicas(&mut self) {
        let offset = self.replication.master_offset;
        for i in 0..self.replication.replicas.len() {
            if self
                .replication
                .replicas
                .get(i)
                .is_some_and(|l| l.waits_for_save(SnapshotFilter::NONE))
            {
                self.setup_full_resync(i, offset);
            }
        }
    }

    /// Diskless sync: the waiting replicas get `+FULLRESYNC` written out
    /// now, then a child streams the snapshot into their sockets as
    /// `$EOF:<mark>\r\n<rdb><mark>`. The parent keeps their stream until
    /// each acknowledges the load.
    fn start_diskless_transfer(&mut self, filter: SnapshotFilter) -> bool {
        let mut fds = Vec::new();
        let offset = self.replication.master_offset;
        for i in 0..self.replication.replicas.len() {
            let Some(link) = self.replication.replicas.get_mut(i) else {
                break;
            };
            if !link.waits_for_save(filter) {
                continue;
            }
            link.diskless = true;
            let slot = link.slot;
            self.setup_full_resync(i, offset);
            self.flush_client(slot);
            match self.clients.get(slot) {
                Some(c) if c.pending_output() == 0 => fds.push(c.fd() as i32),
                _ => self.close_replica_async(slot),
            }
        }
        let mark = crate::util::random_hex(40);
        let timeout_ms = self.config.repl_timeout.saturating_mul(1000);
        let started = self.fork_save_child(SaveTarget::ReplicaSockets, move |srv, reporter| {
            super::diskless::stream_snapshot(srv, &fds, &mark, timeout_ms, filter, reporter).is_ok()
        });
        if !started {
            for link in self.replication.replicas.iter_mut() {
                if link.diskless && link.state == ReplicaState::WaitBgsaveEnd {
                    link.state = ReplicaState::WaitBgsaveStart;
                }
            }
        }
        started
    }

    /// Replicas waiting for a save that could not start become normal
    /// clients that get an error and are closed.
    fn drop_waiting_replicas(&mut self) {
        let (dropped, kept) = std::mem::take(&mut self.replication.replicas)
            .into_iter()
            .partition(|l| l.state == ReplicaState::WaitBgsaveStart);
        self.replication.replicas = kept;
        let dropped: Vec<ReplicaLink> = dropped;
        for link in dropped {
            if let Some(c) = self.clients.get_mut(link.slot) {
                c.kind = ClientKind::Normal;
                c.reply
                    .error("ERR BGSAVE failed, replication can't continue");
                c.close_after_reply = true;
                self.mark_pending_write(link.slot);
            }
        }
    }

    /// Replica `index` will receive the snapshot of stream offset
    /// `offset`: from now on the buffer keeps the stream for it (unless
    /// it wants the snapshot only), and the stream starts again with a
    /// SELECT.
    fn setup_full_resync(&mut self, index: usize, offset: u64) {
        let Some(link) = self.replication.replicas.get_mut(index) else {
            return;
        };
        link.initial_offset = offset;
        link.next_byte = (!link.rdb_only).then_some(offset + 1);
        link.state = ReplicaState::WaitBgsaveEnd;
        let (slot, pre_psync) = (link.slot, link.pre_psync);
        self.replication.selected_db = None;
        if pre_psync {
            return;
        }
        let reply = format!("+FULLRESYNC {} {}\r\n", self.replication.id.replid, offset);
        if let Some(c) = self.clients.get_mut(slot) {
            c.reply.raw(reply.as_bytes());
            self.mark_pending_write(slot);
        }
    }

    /// A background save ended: replicas waiting for it start receiving
    /// the file (or, after a diskless transfer, are online and wait for
    /// their first ack), or are closed if it failed.
    pub fn replicas_snapshot_done(&mut self, ok: bool, target: SaveTarget) {
        if !ok && target == SaveTarget::ReplicaSockets {
            self.drop_replicas_gone_during_transfer();
        }
        if ok && target == SaveTarget::ReplicaSockets {
            let up = self
                .replication
                .replicas
                .iter()
                .filter(|l| l.diskless && l.state == ReplicaState::WaitBgsaveEnd)
                .count();
            warn!(
                "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                up
            );
        }
        let filename = self.config.dbfilename.clone();
        for i in 0..self.replication.replicas.len() {
            let Some(link) = self.replication.replicas.get_mut(i) else {
                break;
            };
            if link.state != ReplicaState::WaitBgsaveEnd {
                continue;
            }
            let slot = link.slot;
            if !ok {
                warn!("SYNC failed. BGSAVE child returned an error");
                self.close_replica_async(slot);
                continue;
            }
            if target == SaveTarget::ReplicaSockets {
                info!("Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming", link.name());
                link.stream_on_ack = true;
                if !link.transfer_done() {
                    self.close_replica_async(slot);
                }
                continue;
            }
            let opened = File::open(&filename).and_then(|f| Ok((f.metadata()?.len(), f)));
            match opened {
                Ok((len, file)) => {
                    link.state = ReplicaState::SendBulk;
                    link.transfer = Some(BulkTransfer { file, left: len });
                    if let Some(c) = self.clients.get_mut(slot) {
                        c.reply.raw(format!("${}\r\n", len).as_bytes());
                    }
                    self.mark_pending_write(slot);
                }
                Err(e) => {
                    warn!(
                        "SYNC failed. Can't open/stat DB after BGSAVE: {}",
                        crate::util::error_text(&e)
                    );
                    self.close_replica_async(slot);
                }
            }
        }
    }

    /// A diskless transfer failed: the replicas whose peers went away
    /// meanwhile are dropped first. When that was every one of them, the
    /// child ended because the last replica dropped (it stops once no
    /// socket takes its data), which is logged as Redis logs it.
    fn drop_replicas_gone_during_transfer(&mut self) {
        let receiving = |l: &&ReplicaLink| l.diskless && l.state == ReplicaState::WaitBgsaveEnd;
        let gone: Vec<usize> = self
            .replication
            .replicas
            .iter()
            .filter(receiving)
            .filter(|l| {
                self.clients
                    .get(l.slot)
                    .is_some_and(|c| crate::net::peer_closed(c.fd() as i32))
            })
            .map(|l| l.slot)
            .collect();
        if gone.is_empty() {
            return;
        }
        for slot in gone {
            self.free_client(slot);
        }
        if !self.replication.replicas.iter().any(|l| receiving(&l)) {
            warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
        }
    }

    fn close_replica_async(&mut self, slot: usize) {
        if let Some(c) = self.clients.get_mut(slot) {
            c.close_asap = true;
            self.mark_pending_write(slot);
        }
    }

    /// Called when a replica's output was all written: a replica receiving
    /// the file gets its next part (and, after the last one, goes online
    /// with the stream kept for it). True when output was added.
    pub fn refill_replica_output(&mut self, slot: usize) -> bool {
        let Some(link) = self
            .replication
            .replicas
            .iter_mut()
            .find(|l| l.slot == slot)
        else {
            return false;
        };
        let (Some(transfer), Some(c)) = (link.transfer.as_mut(), self.clients.get_mut(slot)) else {
            return false;
        };
        let n = transfer.left.min(BULK_CHUNK) as usize;
        let buf = &mut c.reply.buf;
        let start = buf.len();
        buf.resize(start + n, 0);
        let read = buf
            .get_mut(start..)
            .map_or(Ok(()), |dst| transfer.file.read_exact(dst));
        if let Err(e) = read {
            buf.truncate(start);
            warn!(
                "Read error sending DB to replica: {}",
                crate::util::error_text(&e)
            );
            c.close_asap = true;
            link.transfer = None;
            self.mark_pending_write(slot);
            return false;
        }
        transfer.left -= n as u64;
        if transfer.left == 0 {
            link.transfer = None;
            if !link.transfer_done() {
                c.close_after_reply = true;
            }
        }
        true
    }

    /// A client is being freed: if it was a replica, forget it.
    pub fn replica_freed(&mut self, c: &Client) {
        let repl = &mut self.replication;
        let Some(pos) = repl.replicas.iter().position(|l| l.slot == c.slot) else {
            return;
        };
        let link = repl.replicas.remove(pos);
        info!("Connection with replica {} lost.", link.name());
        if repl.replicas.is_empty() {
            repl.primary.no_replicas_since_s = now_s();
        }
        self.trim_replication_buffer(TRIM_BLOCKS_PER_CALL);
        if link.diskless && link.state == ReplicaState::WaitBgsaveEnd {
            self.abandon_diskless_transfer(c);
        } else if link.state == ReplicaState::WaitBgsaveEnd {
            self.stop_useless_disk_save();
        }
    }

    /// A replica waiting for a save to disk went away: with no save points
    /// configured and no other replica waiting for it, the save is of no
    /// use, and stopping it lets the next sync fork sooner (as Redis).
    fn stop_useless_disk_save(&mut self) {
        let disk_save = self
            .persistence
            .child
            .is_some_and(|ch| ch.target == SaveTarget::Disk);
        let waiting = self
            .replication
            .replicas
            .iter()
            .any(|l| l.state == ReplicaState::WaitBgsaveEnd);
        if disk_save && !waiting && self.config.save.is_empty() {
            self.kill_save_child();
        }
    }

    /// Closes every replica link (before sleeping). A server that starts
    /// replicating from another primary does this, as Redis does, so its
    /// replicas resynchronize with the new history.
    pub fn disconnect_replicas(&mut self) {
        let mut slots = Vec::new();
        for link in self.replication.replicas.iter_mut() {
            link.next_byte = None;
            slots.push(link.slot);
        }
        for slot in slots {
            self.close_replica_async(slot);
        }
    }

    /// A replica receiving a diskless transfer went away: the save child
    /// still holds its socket, so the connection is shut down for both
    /// (the replica sees it end now); with no such replica left the child
    /// is stopped.
    fn abandon_diskless_transfer(&mut self, c: &Client) {
        let fd = c.fd() as i32;
        if fd >= 0 {
            // SAFETY: shutting down a socket this process still holds open.
            unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
        }
        let receiving = self
            .replication
            .replicas
            .iter()
            .any(|l| l.diskless && l.state == ReplicaState::WaitBgsaveEnd);
        let child_streams = self
            .persistence
            .child
            .is_some_and(|ch| ch.target == SaveTarget::ReplicaSockets);
        if !receiving && child_streams {
            warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
            self.kill_save_child();
        }
    }

    /// After a replica's command: a replica must never get replies (its
    /// output is the stream); one that caused a reply is closed, as Redis
    /// does. `mark` is where the command's output started.
    pub fn check_replica_reply(&mut self, c: &mut Client, mark: usize) {
        if c.kind != ClientKind::Replica || c.reply.buf.len() <= mark {
            return;
        }
        let command = self.last_command_name(c).to_string();
        if let Some(shown) = super::error_as_logged(c.reply.buf.get(mark..)) {
            warn!(
                "== CRITICAL == This master is sending an error to its replica: '{}' after processing the command '{}'",
                shown, command
            );
            self.stats.unexpected_error_replies += 1;
        }
        c.reply.buf.truncate(mark);
        warn!(
            "Replica generated a reply to command '{}', disconnecting it: {}",
            command,
            self.client_info_string(c)
        );
        c.close_asap = true;
    }

    /// REPLCONF ACK <offset> from a replica: no reply. The first ack after
    /// a diskless transfer starts its stream (before the loop sleeps); one
    /// that arrives before the transfer's child was reaped reaps it now.
    pub fn replica_ack(&mut self, c: &Client, offset: &[u8]) {
        let Some(offset) = crate::util::parse_i64(offset) else {
            return;
        };
        let Some(link) = self.replica_link(c.slot) else {
            return;
        };
        if offset > link.ack_offset as i64 {
            link.ack_offset = offset as u64;
        }
        link.ack_time_s = now_s();
        if link.state == ReplicaState::WaitBgsaveEnd && link.diskless && self.has_save_child() {
            self.reap_save_child();
        }
        if let Some(link) = self.replica_link(c.slot) {
            if link.state == ReplicaState::Online {
                link.stream_on_ack = false;
            }
        }
    }

    /// The link of the replica in client slot `slot`.
    fn replica_link(&mut self, slot: usize) -> Option<&mut ReplicaLink> {
        self.replication
            .replicas
            .iter_mut()
            .find(|l| l.slot == slot)
    }

    /// REPLCONF changed what `c` announced; a replica's link follows.
    pub fn replica_conf_changed(&mut self, c: &Client) {
        let ip = c.repl.announced_ip.clone();
        if let Some(link) = self
            .replication
            .replicas
            .iter_mut()
            .find(|l| l.slot == c.slot)
        {
            link.listening_port = c.repl.listening_port;
            link.capa_eof = c.repl.capa_eof;
            link.capa_psync2 = c.repl.capa_psync2;
            if let Some(ip) = ip {
                link.ip = ip;
            }
        }
    }

    /// WAIT blocks `c` until `replicas` replicas acknowledged its last
    /// write (the blocking machinery handles the deadline); replicas are
    /// asked for an ack before the loop sleeps.
    pub fn wait_for_acks(&mut self, c: &mut Client, replicas: i64) {
        let waiters = &mut self.replication.primary.waiting;
        waiters.retain(|w| w.slot != c.slot);
        waiters.push(AckWaiter {
            slot: c.slot,
            client_id: c.id,
            replicas,
        });
        self.replication.primary.getack_wanted = true;
    }

    /// Answers the WAIT clients whose replicas acknowledged enough.
    pub fn process_clients_waiting_acks(&mut self) {
        if self.replication.primary.waiting.is_empty() {
            return;
        }
        let waiters = std::mem::take(&mut self.replication.primary.waiting);
        let mut still = Vec::with_capacity(waiters.len());
        for w in waiters {
            let woff = match self.clients.get(w.slot) {
                Some(c) if c.id == w.client_id && c.blocked.is_some() => c.repl.woff,
                _ => continue,
            };
            if self.acked_replicas(woff) as i64 >= w.replicas {
                self.unblock_client(w.slot, crate::server::blocking::Unblock::Timeout);
            } else {
                still.push(w);
            }
        }
        still.append(&mut self.replication.primary.waiting);
        self.replication.primary.waiting = still;
    }

    /// Before sleeping: frees the buffer's blocks no one needs any more
    /// (ten times the usual number), serves sync requests, has online
    /// replicas sent the stream kept while they were busy, and sends one
    /// `REPLCONF GETACK *` when clients started waiting (not while clients
    /// are paused).
    pub fn replication_before_sleep(&mut self) {
        self.trim_replication_buffer(10 * TRIM_BLOCKS_PER_CALL);
        if self.replication.replicas.is_empty() {
            self.replication.primary.getack_wanted = false;
            return;
        }
        self.start_pending_syncs();
        for i in 0..self.replication.replicas.len() {
            let Some(slot) = self.replication.replicas.get(i).map(|l| l.slot) else {
                break;
            };
            if self.replication.has_unsent_stream(slot) {
                self.pending_writes.push(slot);
            }
        }
        if self.replication.primary.getack_wanted && !self.clients_paused() {
            self.replication.primary.getack_wanted = false;
            self.feed_replication_command(&["REPLCONF", "GETACK", "*"]);
        }
    }

    /// Writes a command to the stream without a SELECT (PING, GETACK,
    /// DEBUG REPLICATE).
    pub fn feed_replication_command<T: AsRef<[u8]>>(&mut self, parts: &[T]) {
        self.feed_replication_bytes(&command_bytes(parts));
    }

    /// The replication cron, once a second: PINGs replicas every
    /// `repl-ping-replica-period` seconds, keeps links waiting for a save
    /// alive with newlines, disconnects replicas silent for `repl-timeout`,
    /// frees the backlog `repl-backlog-ttl` seconds after the last replica
    /// left.
    pub fn replication_cron(&mut self) {
        let now = now_ms();
        let state = &mut self.replication.primary;
        if now - state.last_cron_ms < 1000 {
            return;
        }
        state.last_cron_ms = now;
        let loops = state.cron_loops;
        state.cron_loops += 1;
        let period = self.config.repl_ping_replica_period.max(1) as u64;
        // A replica passes its primary's PINGs on instead of adding its own,
        // so its replicas share the primary's offsets.
        let is_primary = !self.is_replica();
        // A FAILOVER with a TIMEOUT keeps the offset still for its replica
        // to reach (as Redis; without one the PINGs go on).
        let quiet = self.replication.failover.deadline_ms.is_some() && self.clients_paused();
        let due = loops.is_multiple_of(period) && !quiet;
        if is_primary && !self.replication.replicas.is_empty() && due {
            self.feed_replication_command(&["PING"]);
        }
        self.keep_waiting_replicas_alive();
        self.close_replicas_over_output_limit();
        self.disconnect_timed_out_replicas();
        self.disconnect_stalled_diskless_replicas();
        if is_primary {
            self.expire_backlog();
        }
    }

    fn keep_waiting_replicas_alive(&mut self) {
        let slots: Vec<usize> = self
            .replication
            .replicas
            .iter()
            .filter(|l| l.needs_keepalive())
            .map(|l| l.slot)
            .collect();
        for slot in slots {
            if let Some(c) = self.clients.get_mut(slot) {
                c.reply.raw(b"\n");
                self.mark_pending_write(slot);
            }
        }
    }

    fn disconnect_timed_out_replicas(&mut self) {
        let now = now_s();
        let timeout = self.config.repl_timeout;
        let dead: Vec<(usize, String)> = self
            .replication
            .replicas
            .iter()
            .filter(|l| {
                l.state == ReplicaState::Online && !l.pre_psync && now - l.ack_time_s > timeout
            })
            .map(|l| (l.slot, l.name()))
            .collect();
        for (slot, name) in dead {
            warn!("Disconnecting timedout replica (streaming sync): {}", name);
            self.free_client(slot);
        }
    }

    /// A replica receiving a diskless snapshot whose socket took nothing
    /// for `repl-timeout` seconds (its send queue full and unchanged) is
    /// dropped, so the save child goes on with the others, as Redis
    /// times out a replica whose partial write does not complete.
    fn disconnect_stalled_diskless_replicas(&mut self) {
        let streaming = self
            .persistence
            .child
            .is_some_and(|ch| ch.target == SaveTarget::ReplicaSockets);
        if !streaming {
            return;
        }
        let (now, timeout) = (now_s(), self.config.repl_timeout);
        let mut stalled = Vec::new();
        for link in self.replication.replicas.iter_mut() {
            if !link.diskless || link.state != ReplicaState::WaitBgsaveEnd {
                continue;
            }
            let Some(fd) = self.clients.get(link.slot).map(Client::fd) else {
                continue;
            };
            let queued = crate::net::unacked_bytes(fd as i32).unwrap_or(0);
            if queued == 0 || queued != link.queued_seen {
                link.queued_seen = queued;
                link.stalled_since_s = None;
                continue;
            }
            let since = *link.stalled_since_s.get_or_insert(now);
            if now - since > timeout {
                stalled.push((link.slot, link.name()));
            }
        }
        for (slot, name) in stalled {
            warn!("Disconnecting timedout replica (full sync): {}", name);
            self.free_client(slot);
        }
    }

    /// Frees the backlog once no replica was attached for
    /// `repl-backlog-ttl` seconds; the history starts anew.
    fn expire_backlog(&mut self) {
        let ttl = self.config.repl_backlog_ttl;
        let repl = &mut self.replication;
        if !repl.replicas.is_empty() || ttl == 0 || repl.backlog.is_none() {
            return;
        }
        if now_s() - repl.primary.no_replicas_since_s > ttl {
            repl.id.change();
            repl.id.clear_previous();
            repl.backlog = None;
            info!(
                "Replication backlog freed after {} seconds without connected replicas.",
                ttl
            );
        }
    }
}
