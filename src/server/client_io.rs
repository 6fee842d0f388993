//! Each client's I/O: reading what it sent (a bounded number of reads per
//! turn), parsing and running its commands with the arguments lent from
//! its query buffer, writing its replies before the loop sleeps, and
//! freeing it. Connections with a replication role tell the replication
//! feature about their events through the role hooks.

use super::accept::UNIX_LISTENER;
use super::client::{Client, ClientKind, READ_CHUNK};
use super::dispatch::Dispatch;
use super::{Server, CLIENT_TOKEN_BASE};
use crate::resp::parser::Parsed;
use crate::util::now_ms;
use log::warn;
use mio::{Interest, Token};
use std::io;

/// Most argument slots a client keeps between commands (a command with
/// more arguments gets a fresh table next time).
const ARGS_KEPT_MAX: usize = 1024;

/// Reads served to one client per readiness event before others get a turn.
pub(super) const READS_PER_TURN: usize = 16;
/// Bulks at least this long are read with larger reads than `READ_CHUNK`.
pub(super) const BIG_BULK: usize = 32 * 1024;
/// How many bytes to ask the socket for. A big bulk being read gets room for
/// the rest of it in as few reads as possible, but the buffer at most doubles
/// per read: a header announcing a huge bulk must not make the server
/// allocate (and zero) that much memory before the bytes actually arrive.
/// The last read of a big bulk asks for no more than its rest, as Redis
/// does, so the buffer ends exactly where the argument does.
pub(super) fn read_size(pending_bulk: Option<usize>, buffered: usize) -> usize {
    match pending_bulk {
        Some(bulk) if bulk >= BIG_BULK => match bulk.saturating_add(2).saturating_sub(buffered) {
            0 => READ_CHUNK,
            rest => rest.min(buffered.max(READ_CHUNK)),
        },
        _ => READ_CHUNK,
    }
}

pub(super) enum ReadOutcome {
    /// The socket has no more bytes for now.
    Drained,
    /// The client used its turn; more may be waiting.
    MoreLater,
    /// The peer closed or the client must be dropped.
    Closed,
}

impl Server {
    pub(super) fn handle_io(
        &mut self,
        token: Token,
        readable: bool,
        writable: bool,
        read_closed: bool,
    ) {
        if self.run_socket_hook(token, readable, writable) {
            return;
        }
        if token.0 == UNIX_LISTENER {
            self.accept_all_unix();
            return;
        }
        if token.0 < CLIENT_TOKEN_BASE {
            self.accept_all(token.0);
            return;
        }
        let slot = token.0 - CLIENT_TOKEN_BASE;
        if read_closed {
            if let Some(c) = self.clients.get_mut(slot) {
                c.peer_closed = true;
            }
        }
        if writable {
            self.handle_writable(slot);
        }
        if readable {
            self.serve_client(slot);
        }
    }

    /// Reads what a client sent and runs the complete commands in it.
    pub(super) fn serve_client(&mut self, slot: usize) {
        self.serve_with(slot, Self::read_and_process);
    }

    /// Runs what clients released from a pause have buffered, in order.
    pub(super) fn process_unblocked_clients(&mut self) {
        while !self.unblocked.is_empty() {
            for slot in std::mem::take(&mut self.unblocked) {
                self.serve_with(slot, |srv, c| {
                    srv.process_input(c);
                    if c.close_asap {
                        ReadOutcome::Closed
                    } else {
                        ReadOutcome::Drained
                    }
                });
            }
        }
    }

    /// Takes a client out of the table, lets `work` serve it, then puts it
    /// back and sends its output (or closes it).
    pub(super) fn serve_with(
        &mut self,
        slot: usize,
        work: impl FnOnce(&mut Self, &mut Client) -> ReadOutcome,
    ) {
        let Some(mut c) = self.clients.take(slot) else {
            return;
        };
        // Another client may be in the middle of its command (a script
        // serving the loop while it runs long).
        let outer = self.current_slot.replace(slot);
        let outcome = work(self, &mut c);
        self.current_slot = outer;
        let end = c.reply.buf.len();
        self.deliver_held(&mut c, end);
        match outcome {
            ReadOutcome::Closed => {
                self.clients.put(slot, c);
                self.free_client(slot);
            }
            ReadOutcome::Drained | ReadOutcome::MoreLater => {
                if matches!(outcome, ReadOutcome::MoreLater) {
                    self.pending_reads.push(slot);
                }
                let needs_close = c.close_asap;
                self.clients.put(slot, c);
                if needs_close {
                    self.free_client(slot);
                } else {
                    self.mark_pending_write(slot);
                }
            }
        }
    }

    /// Reads and runs what a client sent. Its buffers stay allocated
    /// after the first read (a 16KB query buffer, a reply buffer of its
    /// kept size) until the clients cron resizes or frees them, as in
    /// Redis 7.0; a read that finds nothing (the one tried right after
    /// accepting) leaves no buffer behind.
    pub(super) fn read_and_process(&mut self, c: &mut Client) -> ReadOutcome {
        let unallocated = c.query.data.is_empty();
        let received = c.net_in;
        let outcome = self.read_and_process_buffered(c);
        if unallocated && c.net_in == received {
            c.query.data = Vec::new();
        }
        outcome
    }

    fn read_and_process_buffered(&mut self, c: &mut Client) -> ReadOutcome {
        for _ in 0..READS_PER_TURN {
            let want = read_size(c.parser.pending_bulk(), c.query.unparsed());
            let shifted = c.query.reserve_tail(want);
            c.parser.shift(shifted);
            let offered = c.query.spare();
            let Some(stream) = c.stream.as_mut() else {
                return ReadOutcome::Closed;
            };
            match c.query.read_from(stream) {
                Ok(0) => return ReadOutcome::Closed,
                Ok(n) => {
                    // A short read took everything the socket had: new data
                    // will raise a new edge, so skip the read that would
                    // only say WouldBlock. Not after the peer closed: its
                    // end of stream raises no new edge and must be read.
                    let drained = n < offered && !c.peer_closed;
                    c.net_in += n as u64;
                    self.stats.net_input_bytes += n as u64;
                    self.stats.total_reads_processed += 1;
                    c.last_interaction_ms = now_ms();
                    // The primary's stream is never cut off (Redis exempts it too).
                    if !c.kind.is_primary_link()
                        && c.query.len() as u64 > self.config.client_query_buffer_limit
                    {
                        warn!(
                            "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
                            self.client_info_string(c),
                            crate::util::repr_bytes(c.query.data.get(c.query.start..c.query.end.min(c.query.start + 64)).unwrap_or_default())
                        );
                        return ReadOutcome::Closed;
                    }
                    c.allocate_reply_buffer();
                    self.account_client_memory(c);
                    if self.evict_clients(Some(c)) {
                        return ReadOutcome::Closed;
                    }
                    self.process_input(c);
                    if c.close_asap {
                        return ReadOutcome::Closed;
                    }
                    if drained {
                        return ReadOutcome::Drained;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadOutcome::Drained,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return ReadOutcome::Closed,
            }
        }
        ReadOutcome::MoreLater
    }

    /// Tells the role of `c` (if it has one) that its query buffer was
    /// consumed from `from`.
    pub(super) fn role_consumed(&mut self, c: &Client, from: usize) {
        if c.kind.has_role() {
            if let Some(roles) = self.hooks.roles {
                (roles.consumed)(self, c, from);
            }
        }
    }

    /// Tells the role of the client in `slot` its output was all written;
    /// true when it queued more.
    pub(super) fn role_drained(&mut self, slot: usize) -> bool {
        match self.hooks.roles {
            Some(roles) => (roles.drained)(self, slot),
            None => false,
        }
    }

    /// Parses and runs every complete command in the client's query buffer.
    /// The bytes of the batch stay in the buffer until it is done (CLIENT
    /// LIST's `qbuf` counts them, as Redis does); a partial request's or a
    /// postponed command's bytes stay until it runs.
    pub fn process_input(&mut self, c: &mut Client) {
        let mut request_start = c.query.start;
        loop {
            if c.close_after_reply || c.close_asap || c.postponed || c.blocked.is_some() {
                break;
            }
            // The primary's stream waits while a script runs long: its
            // commands run in order once the script is done.
            if c.kind.is_primary_link() && self.busy() {
                break;
            }
            if !c.pending_command {
                if !c.parser.in_progress() {
                    request_start = c.query.cursor;
                }
                let auth_required = self.auth_required(c);
                let limits = c.parse_limits(self.config.proto_max_bulk_len, auth_required);
                let parse_from = c.query.cursor;
                let mut pos = parse_from;
                let end = c.query.end;
                let parsed = c.parser.parse(&mut c.query.data[..end], &mut pos, &limits);
                c.query.cursor = pos;
                match parsed {
                    Err(e) => {
                        c.reply.error_err(&format!("Protocol error: {}", e.reply));
                        c.close_after_reply = true;
                        c.query.clear();
                        c.parser.reset();
                        break;
                    }
                    Ok(Parsed::Nothing) => {
                        self.role_consumed(c, parse_from);
                        continue;
                    }
                    Ok(Parsed::Incomplete) => break,
                    Ok(Parsed::Command) => {}
                }
            }
            c.pending_command = self.run_parsed_command(c) == Dispatch::Postponed;
            if !c.pending_command {
                self.role_consumed(c, request_start);
            }
        }
        let keep_request = c.pending_command || c.parser.in_progress();
        c.query.start = if keep_request {
            request_start
        } else {
            c.query.cursor
        };
        if c.query.is_empty() {
            c.query.clear();
        }
    }

    /// Runs the command whose arguments the parser holds, lending it the
    /// query buffer. A postponed command keeps its arguments for later.
    pub(super) fn run_parsed_command(&mut self, c: &mut Client) -> Dispatch {
        let data = c.query.lend();
        let spans = std::mem::take(&mut c.parser.args);
        c.argv_mem = spans.iter().map(|&(start, end)| end - start).sum();
        let outcome = self.process_command(c, &crate::server::spec::Args::new(&data, &spans));
        self.enforce_output_limit(c);
        self.serve_ready_keys();
        // Clients served meanwhile may have invalidated keys it tracks.
        self.send_deferred_invalidations(c);
        c.query.restore(data);
        c.parser.args = spans;
        if outcome == Dispatch::Done {
            c.parser.reset();
            if c.parser.args.capacity() > ARGS_KEPT_MAX {
                c.parser.args = Vec::new();
            }
            c.argv_mem = 0;
        }
        self.account_client_memory(c);
        outcome
    }

    pub(super) fn serve_pending_reads(&mut self) {
        let slots = std::mem::take(&mut self.pending_reads);
        for slot in slots {
            self.serve_client(slot);
        }
    }

    /// Writes a client's pending output now; on a full socket, asks the loop
    /// for a writable event; closes the client when it is done or failed.
    /// A replica receiving its snapshot gets the next part whenever its
    /// output is all written.
    pub fn flush_client(&mut self, slot: usize) {
        while self.flush_client_once(slot) && self.role_drained(slot) {}
    }

    /// One write of [`Server::flush_client`]; true when all output went out
    /// and the client is still there.
    pub(super) fn flush_client_once(&mut self, slot: usize) -> bool {
        let Some(c) = self.clients.get_mut(slot) else {
            return false;
        };
        let has_role = c.kind.has_role();
        let before = c.net_out;
        let mut result = c.flush();
        if matches!(result, Ok(true)) && c.kind == ClientKind::Replica {
            result = self.replication.write_stream(c);
        }
        let written = c.net_out - before;
        self.stats.net_output_bytes += written;
        if written > 0 {
            self.stats.total_writes_processed += 1;
            if !c.kind.is_primary_link() {
                c.last_interaction_ms = now_ms();
            }
        }
        match result {
            Ok(true) => {
                if c.close_after_reply {
                    self.free_client(slot);
                    return false;
                } else if c.want_writable {
                    c.want_writable = false;
                    self.reregister(slot, Interest::READABLE);
                }
                has_role
            }
            Ok(false) => {
                if !c.want_writable {
                    c.want_writable = true;
                    self.reregister(slot, Interest::READABLE | Interest::WRITABLE);
                }
                false
            }
            Err(_) => {
                self.free_client(slot);
                false
            }
        }
    }

    pub(super) fn reregister(&mut self, slot: usize, interest: Interest) {
        let registry = self.event_loop.registry();
        if let Some(stream) = self.clients.get_mut(slot).and_then(|c| c.stream.as_mut()) {
            let _ = registry.reregister(stream, Token(slot + CLIENT_TOKEN_BASE), interest);
        }
    }

    pub(super) fn handle_writable(&mut self, slot: usize) {
        self.flush_client(slot);
    }

    /// Asks for a client's output to be written before the loop sleeps.
    pub fn mark_pending_write(&mut self, slot: usize) {
        if self
            .clients
            .get(slot)
            .is_some_and(|c| !c.output_fits_static_buffer())
        {
            self.enforce_output_limit_of(slot);
        }
        self.pending_writes.push(slot);
    }

    pub(super) fn flush_pending_writes(&mut self) {
        let slots = self.pending_writes.take();
        for slot in slots {
            // A client doomed to close gets nothing more written, as in
            // Redis: a replica cut off its stream must not see more of it.
            let to_close = self.clients.get(slot).is_some_and(|c| c.close_asap);
            if to_close {
                self.free_client(slot);
                continue;
            }
            let has_output = self.clients.get(slot).is_some_and(|c| {
                c.pending_output() > 0
                    || c.close_after_reply
                    || self.replication.has_unsent_stream(slot)
            });
            if has_output {
                self.flush_client(slot);
            }
            if self.clients.get(slot).is_some_and(|c| c.close_asap) {
                self.free_client(slot);
            }
        }
    }

    /// Closes a client and forgets it.
    pub fn free_client(&mut self, slot: usize) {
        let Some(mut c) = self.clients.take(slot) else {
            return;
        };
        if let Some(stream) = c.stream.as_mut() {
            let _ = self.event_loop.registry().deregister(stream);
        }
        self.drop_blocked(&mut c);
        self.drop_subscriptions(&mut c);
        self.disable_tracking(&mut c);
        if c.kind.has_role() {
            if let Some(roles) = self.hooks.roles {
                (roles.freed)(self, &c);
            }
        }
        self.forget_client_memory(&c);
        self.watches.forget(slot);
        self.monitors.retain(|&s| s != slot);
        self.postponed.retain(|&s| s != slot);
        self.unblocked.retain(|&s| s != slot);
        self.clients.release(slot);
        self.clients.count = self.clients.count.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn big_bulk_reads_grow_with_received_bytes() {
        assert_eq!(read_size(None, 0), READ_CHUNK);
        assert_eq!(read_size(Some(100), 10), READ_CHUNK);
        let huge = 512 * 1024 * 1024;
        assert_eq!(read_size(Some(huge), 20), READ_CHUNK);
        assert_eq!(read_size(Some(huge), 1 << 20), 1 << 20);
        assert_eq!(read_size(Some(BIG_BULK), BIG_BULK), 2);
        assert_eq!(read_size(Some(1 << 20), (1 << 20) + 2), READ_CHUNK);
        assert_eq!(read_size(Some(3 << 20), 2 << 20), (1 << 20) + 2);
    }
}
