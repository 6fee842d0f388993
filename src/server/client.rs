//! One connection: its socket, query buffer and parser state, output buffer,
//! and the per-connection state commands read and change (selected database,
//! name, protocol version, authentication, flags).

use crate::conn::Conn;
use crate::resp::parser::{ParseLimits, RequestParser};
use crate::resp::reply::Reply;
use std::io::{self, Read, Write};

/// How much one `read` asks for, as Redis's PROTO_IOBUF_LEN.
pub const READ_CHUNK: usize = 16 * 1024;

/// Size of Redis's static reply buffer and of each block of its reply list
/// (PROTO_REPLY_CHUNK_BYTES): CLIENT LIST and the output limits count
/// pending output as if held that way.
pub const REPLY_CHUNK: usize = 16 * 1024;

/// Data bytes of one block of Redis's reply list: a `REPLY_CHUNK` request
/// (plus the block's 16-byte header) that jemalloc, Redis's allocator,
/// serves from its 20KB size class, all of which Redis puts to use.
pub const REPLY_BLOCK_DATA: usize = 20 * 1024 - 16;

/// What Redis counts in `omem` for each block besides its data: the block
/// header and the list node.
pub const REPLY_BLOCK_OVERHEAD: usize = 16 + 24;

/// Smallest reply buffer the clients cron shrinks to (PROTO_REPLY_MIN_BYTES).
pub const REPLY_MIN: usize = 1024;

/// A query buffer wasting less than this is never resized by the cron.
const QUERY_WASTE_MIN: usize = 4 * 1024;
/// A query buffer up to this size is not trimmed toward its recent peak
/// (PROTO_RESIZE_THRESHOLD).
const QUERY_RESIZE_THRESHOLD: usize = 32 * 1024;
/// Seconds without interaction after which the cron frees a client's
/// unused query buffer space.
const QUERY_IDLE_FREE_S: i64 = 2;

/// Bytes received but not yet executed. `data[start..end]` is live; the Vec is
/// kept fully initialised so reads go straight into its tail without zeroing.
///
/// `cursor` is where parsing resumes. Bytes between `start` and `cursor` are
/// already parsed but still needed: they hold the commands of the batch being
/// run, a partly received request, or a command held back by CLIENT PAUSE
/// (the parser's argument spans point into them).
///
/// As in Redis 7.0, a client keeps its buffer between requests (the first
/// read allocates 16KB); the clients cron frees it once the client is idle
/// and trims one much larger than its recent peak ([`QueryBuffer::cron_resize`]).
#[derive(Debug, Default)]
pub struct QueryBuffer {
    pub data: Vec<u8>,
    pub start: usize,
    pub cursor: usize,
    pub end: usize,
    /// Size of `data` while it is lent to a running command.
    lent: Option<usize>,
    /// Most live bytes held since the cron last looked (querybuf_peak).
    peak: usize,
}

impl QueryBuffer {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Bytes received but not parsed yet.
    pub fn unparsed(&self) -> usize {
        self.end - self.cursor
    }

    /// The length CLIENT LIST reports as `qbuf`, as Redis counts it: the
    /// whole batch while its commands run, otherwise only what is not
    /// parsed yet (Redis moves parsed arguments out of its buffer).
    pub fn reported_len(&self) -> usize {
        if self.lent.is_some() {
            self.len()
        } else {
            self.unparsed()
        }
    }

    /// Allocated bytes past the live ones (`qbuf-free`).
    pub fn free(&self) -> usize {
        self.allocated().saturating_sub(self.end)
    }

    /// Allocated size of the buffer.
    pub fn allocated(&self) -> usize {
        self.lent.unwrap_or(self.data.len())
    }

    /// Takes the bytes out while a command borrows its arguments from them.
    pub fn lend(&mut self) -> Vec<u8> {
        self.lent = Some(self.data.len());
        std::mem::take(&mut self.data)
    }

    /// Puts back what [`QueryBuffer::lend`] took.
    pub fn restore(&mut self, data: Vec<u8>) {
        self.data = data;
        self.lent = None;
    }

    /// Makes room for at least `want` more bytes at the tail, moving live
    /// bytes to the front when that frees enough. Returns how far the live
    /// bytes moved back (parser spans must shift by the same amount).
    pub fn reserve_tail(&mut self, want: usize) -> usize {
        let mut shifted = 0;
        if self.start > 0 && self.data.len() - self.end < want {
            self.data.copy_within(self.start..self.end, 0);
            shifted = self.start;
            self.cursor -= self.start;
            self.end -= self.start;
            self.start = 0;
        }
        if self.data.len() - self.end < want {
            self.data.resize(self.end + want, 0);
        }
        shifted
    }

    /// Room at the tail for the next read.
    pub fn spare(&self) -> usize {
        self.data.len() - self.end
    }

    /// Reads once from `src` into the room [`QueryBuffer::reserve_tail`] made.
    pub fn read_from(&mut self, src: &mut impl Read) -> io::Result<usize> {
        let n = src.read(&mut self.data[self.end..])?;
        self.end += n;
        self.peak = self.peak.max(self.len());
        Ok(n)
    }

    /// Drops everything (after a protocol error, or when all was consumed).
    pub fn clear(&mut self) {
        self.start = 0;
        self.cursor = 0;
        self.end = 0;
    }

    /// The clients cron's pass over this buffer (Redis's
    /// clientsCronResizeQueryBuffer). When it wastes more than 4KB, a buffer
    /// of a client idle over 2 seconds is cut to its live bytes (nothing
    /// when empty), and one over 32KB and more than twice its peak since the
    /// last pass is cut to the larger of its live bytes, that peak and what
    /// the bulk being received needs (`bulk_need`, counted from `start`).
    /// Then the peak restarts from what it holds now. Live bytes move to the
    /// front first: when it resized, returns how far they moved (parser
    /// spans must shift by as much).
    pub fn cron_resize(&mut self, idle_s: i64, bulk_need: usize) -> Option<usize> {
        let live = self.len();
        let mut shifted = None;
        if self.lent.is_none() && self.data.len() - live > QUERY_WASTE_MIN {
            let size = if idle_s > QUERY_IDLE_FREE_S {
                Some(live)
            } else if self.data.len() > QUERY_RESIZE_THRESHOLD && self.data.len() / 2 > self.peak {
                Some(live.max(self.peak).max(bulk_need))
            } else {
                None
            };
            shifted = size.map(|size| self.resize(size));
        }
        self.peak = live.max(bulk_need);
        shifted
    }

    /// Moves the live bytes to the front and reallocates the buffer to
    /// `size` bytes (at least the live ones). Returns how far they moved.
    fn resize(&mut self, size: usize) -> usize {
        let shifted = self.start;
        self.data.copy_within(self.start..self.end, 0);
        self.cursor -= shifted;
        self.end -= shifted;
        self.start = 0;
        if size == 0 {
            self.data = Vec::new();
        } else {
            self.data.truncate(size.max(self.end));
            self.data.shrink_to_fit();
        }
        shifted
    }
}

/// How the clients cron changed a reply buffer's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyResize {
    Kept,
    Shrunk(usize),
    Grown(usize),
}

/// What `CLIENT REPLY` set. Replies are dropped while `off`, and for the
/// one command run while `skip`; `skip_next` turns into `skip` once the
/// command that asked for it (CLIENT REPLY SKIP) is done.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReplyMode {
    pub off: bool,
    pub skip: bool,
    pub skip_next: bool,
}

impl ReplyMode {
    /// True while replies of the running command are to be dropped.
    pub fn silenced(&self) -> bool {
        self.off || self.skip
    }

    /// Moves on to the next command: a skip requested now applies to it.
    pub fn command_done(&mut self) {
        self.skip = std::mem::take(&mut self.skip_next);
    }
}

/// Kinds of client as `CLIENT LIST TYPE` and `CLIENT KILL TYPE` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Normal,
    Replica,
    Primary,
    PubSub,
}

/// What replication remembers about any client: the stream offset its
/// last write reached (WAIT waits for it) and what REPLCONF told us before
/// it became a replica.
#[derive(Debug, Default)]
pub struct ClientRepl {
    /// Replication offset right after this client's last propagated command.
    pub woff: u64,
    /// `REPLCONF listening-port`.
    pub listening_port: i64,
    /// `REPLCONF ip-address`.
    pub announced_ip: Option<String>,
    /// `REPLCONF capa eof`: understands the diskless `$EOF:` transfer.
    pub capa_eof: bool,
    /// `REPLCONF capa psync2`: understands `+CONTINUE <replid>`.
    pub capa_psync2: bool,
    /// `REPLCONF rdb-only 1`: wants the snapshot only, then is closed.
    pub rdb_only: bool,
    /// `REPLCONF rdb-filter-only`: what its snapshot is to leave out.
    pub rdb_filter: crate::server::state::replication::SnapshotFilter,
}

impl ClientKind {
    /// A connection with a replication role (the link to our primary, or
    /// a replica): the replication feature hears about its events.
    pub fn has_role(self) -> bool {
        matches!(self, ClientKind::Primary | ClientKind::Replica)
    }

    /// The link to our primary: its stream is never cut off by the query
    /// buffer limit, and only its reads count as interaction.
    pub fn is_primary_link(self) -> bool {
        self == ClientKind::Primary
    }
}

#[derive(Debug)]
pub struct Client {
    pub id: u64,
    /// Index in the server's client table (also its mio token).
    pub slot: usize,
    pub stream: Option<Conn>,
    pub addr: String,
    pub local_addr: String,
    /// A Unix or loopback peer (for protected mode and `local` settings).
    pub is_local: bool,
    pub name: Option<Vec<u8>>,
    pub db: usize,
    pub reply: Reply,
    /// Bytes at the front of `reply.buf` already written to the socket.
    pub sent: usize,
    pub query: QueryBuffer,
    pub parser: RequestParser,
    pub authenticated: bool,
    /// Its ACL user; `None` may do anything (the primary's link).
    pub user: Option<crate::server::acl::UserId>,
    pub reply_mode: ReplyMode,
    /// Arguments of the running command that MONITOR and SLOWLOG must not
    /// show (passwords), as a bit mask of positions.
    pub redacted_args: u64,
    pub kind: ClientKind,
    pub no_evict: bool,
    /// This client's share of `Server::client_memory_total`.
    pub memory_counted: usize,
    pub monitor: bool,
    /// Finish sending the output, then close (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close as soon as possible without sending more (CLIENT KILL, limits).
    pub close_asap: bool,
    /// The socket is registered for writable events (output did not fit).
    pub want_writable: bool,
    /// Since when (unix seconds) the output has been over its class's soft
    /// limit, if it is now.
    pub obuf_soft_limit_since_s: Option<i64>,
    /// The loop saw the peer close its side: reading goes on until the end
    /// of stream, which then frees the client.
    pub peer_closed: bool,
    /// CLIENT PAUSE holds this client's next command (`flags=b`).
    pub postponed: bool,
    /// A parsed command waits in `parser.args` to be run (it was postponed).
    pub pending_command: bool,
    /// Channels and patterns it listens to (none: no allocation).
    pub subscriptions: Option<Box<crate::server::pubsub::Subscriptions>>,
    /// Client-side caching state while CLIENT TRACKING is on.
    pub tracking: Option<Box<crate::server::tracking::ClientTracking>>,
    /// Parked by a blocking command (see `server::blocking`).
    pub blocked: Option<Box<crate::server::blocking::Blocked>>,
    /// Commands run inside EXEC: blocking commands must not block.
    pub in_exec: bool,
    /// The client a script runs its commands through (Redis's
    /// `CLIENT_SCRIPT`): it never blocks either.
    pub from_script: bool,
    /// SCRIPT DEBUG YES or SYNC: its next EVAL runs under the Lua
    /// debugger.
    pub lua_debug: Option<crate::server::state::scripting::DebugMode>,
    /// MULTI/EXEC state (open between MULTI and EXEC/DISCARD).
    pub multi: crate::server::multi::Transaction,
    /// Where the running command's reply starts: what CLIENT REPLY silences
    /// is cut from here. EXEC settles each queued command's reply itself
    /// and moves the mark past it.
    pub reply_mark: usize,
    /// Total bytes of the arguments of the command being run (`argv-mem`).
    pub argv_mem: usize,
    /// Size the reply buffer is kept at (`rbs`, Redis's static reply
    /// buffer): allocated on the first read, resized by the clients cron
    /// between 1KB and 16KB after its recent peak. A reply that does not
    /// fit grows the buffer until it is written (Redis's reply list).
    pub reply_size: usize,
    /// Most of `reply_size` filled since the peak was last reset (`rbp`).
    pub reply_peak: usize,
    /// When `reply_peak` was last reset (0: at the client's first cron pass).
    pub reply_peak_reset_ms: i64,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Registry id of the last command run, for CLIENT LIST's `cmd=`.
    pub last_command: usize,
    /// Total bytes of replies produced, as `tot-net-out`.
    pub net_out: u64,
    pub net_in: u64,
    pub commands_processed: u64,
    /// Replication state of this connection (write offset for WAIT, what
    /// REPLCONF announced).
    pub repl: ClientRepl,
}

impl Client {
    pub fn new(id: u64, slot: usize, stream: Option<Conn>, now_ms: i64) -> Self {
        let ends = stream.as_ref().map_or(
            crate::conn::Ends {
                is_local: true,
                ..Default::default()
            },
            Conn::ends,
        );
        Client {
            id,
            slot,
            stream,
            addr: ends.peer,
            local_addr: ends.local,
            is_local: ends.is_local,
            name: None,
            db: 0,
            reply: Reply::default(),
            sent: 0,
            query: QueryBuffer::default(),
            parser: RequestParser::default(),
            authenticated: false,
            user: Some(crate::server::acl::UserId::DEFAULT),
            reply_mode: ReplyMode::default(),
            redacted_args: 0,
            kind: ClientKind::Normal,
            no_evict: false,
            memory_counted: 0,
            monitor: false,
            close_after_reply: false,
            close_asap: false,
            want_writable: false,
            obuf_soft_limit_since_s: None,
            peer_closed: false,
            postponed: false,
            pending_command: false,
            subscriptions: None,
            tracking: None,
            blocked: None,
            in_exec: false,
            from_script: false,
            lua_debug: None,
            multi: Default::default(),
            reply_mark: 0,
            argv_mem: 0,
            reply_size: REPLY_CHUNK,
            reply_peak: REPLY_CHUNK,
            reply_peak_reset_ms: 0,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_command: usize::MAX,
            net_out: 0,
            net_in: 0,
            commands_processed: 0,
            repl: Default::default(),
        }
    }

    /// Bytes this client holds (CLIENT LIST `tot-mem`, INFO
    /// `mem_clients_normal`, what `maxmemory-clients` limits): its
    /// buffers, the arguments and transaction it holds, and itself. A big
    /// argument being received counts at its announced length, the room
    /// Redis reserves for it when its header arrives (reddish's buffer
    /// grows as the bytes come).
    pub fn memory_usage(&self) -> usize {
        let receiving = match self.parser.pending_bulk() {
            Some(len) if len >= super::client_io::BIG_BULK => self.pending_bulk_need(),
            _ => 0,
        };
        self.query.allocated().max(receiving)
            + self.reply.buf.capacity()
            + self.argv_mem
            + self.multi.memory()
            + std::mem::size_of::<Client>()
    }

    /// Query buffer bytes, counted from its live start, that the request
    /// being received needs to hold the bulk being read (0 when none is).
    pub fn pending_bulk_need(&self) -> usize {
        self.parser.pending_bulk().map_or(0, |len| {
            self.query.cursor.saturating_sub(self.query.start) + len + 2
        })
    }

    /// Output not yet written to the socket.
    pub fn pending_output(&self) -> usize {
        self.reply.buf.len() - self.sent
    }

    /// Pending output that Redis would hold in its reply list rather
    /// than its static 16KB buffer: past the buffer's size, or from the
    /// first aggregate of unknown length (whose placeholder starts the
    /// list), whichever comes first; the static part is sent first.
    pub fn output_list_bytes(&self) -> usize {
        let list_start = self.reply.list_start(REPLY_CHUNK).min(self.reply.buf.len());
        let static_pending = list_start.saturating_sub(self.sent);
        self.pending_output() - static_pending
    }

    /// A quick test that no pending output is past Redis's static buffer
    /// (it may say false when the output was all sent).
    pub fn output_fits_static_buffer(&self) -> bool {
        self.reply.buf.len() <= self.reply.list_start(REPLY_CHUNK)
    }

    /// Blocks of Redis's reply list the pending output would take (`oll`).
    pub fn output_list_blocks(&self) -> usize {
        self.output_list_bytes().div_ceil(REPLY_BLOCK_DATA)
    }

    /// Memory Redis's reply list would take for the pending output
    /// (`omem`, what the output buffer limits measure): whole blocks.
    pub fn output_list_memory(&self) -> usize {
        self.output_list_blocks() * (REPLY_BLOCK_DATA + REPLY_BLOCK_OVERHEAD)
    }

    /// Writes as much pending output as the socket takes. Returns Ok(true)
    /// when everything was written.
    pub fn flush(&mut self) -> io::Result<bool> {
        self.note_reply_peak();
        let Some(stream) = self.stream.as_mut() else {
            self.reply.clear();
            self.sent = 0;
            return Ok(true);
        };
        while self.sent < self.reply.buf.len() {
            match stream.write(&self.reply.buf[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.sent += n;
                    self.net_out += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.reply.clear();
        self.sent = 0;
        // Redis frees the blocks a big reply took past its static buffer
        // once they are written: so is a buffer grown past its size here.
        if self.reply.buf.capacity() > self.reply_size {
            self.reply.buf.shrink_to(self.reply_size);
        }
        Ok(true)
    }

    /// Counts the output waiting now in the reply buffer's peak, as far as
    /// its kept size would hold it (Redis's static buffer).
    pub fn note_reply_peak(&mut self) {
        self.reply_peak = self
            .reply_peak
            .max(self.reply.buf.len().min(self.reply_size));
    }

    /// Gives the reply buffer its kept size if it has none yet (a client's
    /// first read): replies then fill it without growing it.
    pub fn allocate_reply_buffer(&mut self) {
        if self.reply.buf.capacity() == 0 {
            self.reply.buf.reserve_exact(self.reply_size);
        }
    }

    /// The reply buffer's peak as CLIENT LIST's `rbp` shows it (the
    /// output of the command running now included).
    pub fn reply_buffer_peak(&self) -> usize {
        self.reply_peak
            .max(self.reply.buf.len().min(self.reply_size))
    }

    /// The reply buffer's size as CLIENT LIST's `rbs` shows it: its kept
    /// size once allocated (output past it plays Redis's reply list).
    pub fn reply_buffer_size(&self) -> usize {
        if self.reply.buf.capacity() == 0 {
            0
        } else {
            self.reply_size
        }
    }

    /// Writes what the socket takes of `data` (output kept elsewhere, such
    /// as a replica's stream); `None` when it takes nothing now.
    pub fn write_direct(&mut self, data: &[u8]) -> io::Result<Option<usize>> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(Some(data.len()));
        };
        loop {
            match stream.write(data) {
                Ok(0) if !data.is_empty() => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.net_out += n as u64;
                    return Ok(Some(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The clients cron's pass over the reply buffer (Redis's
    /// clientsCronResizeOutputBuffer): halved or more, to just above its
    /// peak but not under 1KB, when the peak stayed under half of it;
    /// doubled, up to 16KB, when the peak filled it. The peak restarts
    /// from what the buffer holds every `peak_reset_ms` (never if
    /// negative). Output waiting past the new size keeps the old
    /// allocation until it is written.
    pub fn cron_resize_reply(&mut self, now_ms: i64, peak_reset_ms: i64) -> ReplyResize {
        let size = self.reply_size;
        let mut outcome = ReplyResize::Kept;
        if size / 2 >= REPLY_MIN && self.reply_peak < size / 2 {
            outcome = ReplyResize::Shrunk(REPLY_MIN.max(self.reply_peak + 1));
        } else if size < REPLY_CHUNK && self.reply_peak >= size {
            outcome = ReplyResize::Grown(REPLY_CHUNK.min(size * 2));
        }
        if peak_reset_ms >= 0 && now_ms - self.reply_peak_reset_ms >= peak_reset_ms {
            self.reply_peak = self.reply.buf.len().min(size);
            self.reply_peak_reset_ms = now_ms;
        }
        if let ReplyResize::Shrunk(new) | ReplyResize::Grown(new) = outcome {
            self.reply_size = new;
            let buf = &mut self.reply.buf;
            if buf.capacity() > 0 && buf.len() <= new {
                if buf.capacity() > new {
                    buf.shrink_to(new);
                } else {
                    buf.reserve_exact(new - buf.len());
                }
            }
        }
        outcome
    }

    /// The parser limits that apply to this connection now.
    pub fn parse_limits(&self, proto_max_bulk_len: u64, auth_required: bool) -> ParseLimits {
        ParseLimits {
            proto_max_bulk_len,
            auth_required,
            from_primary: self.kind.is_primary_link(),
        }
    }

    /// The socket's file descriptor number (`fd=` in CLIENT LIST).
    pub fn fd(&self) -> i64 {
        use std::os::fd::AsRawFd;
        self.stream
            .as_ref()
            .map(|s| s.as_raw_fd() as i64)
            .unwrap_or(-1)
    }

    /// Drops what the command just run replied (from `reply_mark` on) if
    /// CLIENT REPLY silenced it, then lets a requested skip apply to the
    /// next command.
    pub fn settle_reply_mode(&mut self) {
        if self.reply_mode.silenced() {
            self.reply.silence_from(self.reply_mark);
        }
        self.reply.settled();
        self.reply_mode.command_done();
    }

    /// Settles the reply of a command EXEC ran (it started at `mark`): as
    /// in Redis, replies are dropped while CLIENT REPLY silences them, so
    /// a CLIENT REPLY OFF inside the transaction keeps what came before.
    /// A skip requested inside applies to the command after EXEC.
    pub fn settle_nested_reply(&mut self, mark: usize) {
        if self.reply_mode.silenced() {
            self.reply.silence_from(mark);
        }
        self.reply.settled();
        self.reply_mark = self.reply.buf.len();
    }

    /// Hides argument `i` of the running command from MONITOR and SLOWLOG.
    pub fn redact_arg(&mut self, i: usize) {
        if i < 64 {
            self.redacted_args |= 1 << i;
        }
    }

    /// The type CLIENT LIST TYPE and CLIENT KILL TYPE match on (a MONITOR
    /// client counts as normal).
    pub fn client_type(&self) -> ClientKind {
        if self.monitor {
            ClientKind::Normal
        } else {
            self.kind
        }
    }

    /// Flags string as `CLIENT LIST` prints it, letters in Redis's order;
    /// `watch_touched` is whether a key it watches was modified (`d`).
    pub fn flags_text(&self, watch_touched: bool) -> String {
        let mut flags = String::new();
        if self.monitor {
            flags.push('O');
        } else if self.kind == ClientKind::Replica {
            flags.push('S');
        }
        match self.kind {
            ClientKind::Primary => flags.push('M'),
            ClientKind::PubSub => flags.push('P'),
            ClientKind::Normal | ClientKind::Replica => {}
        }
        if self.multi.is_open() {
            flags.push('x');
        }
        if self.postponed || self.blocked.is_some() {
            flags.push('b');
        }
        if let Some(tracking) = self.tracking.as_deref() {
            flags.push('t');
            if tracking.broken_redirect {
                flags.push('R');
            }
            if tracking.modes.bcast {
                flags.push('B');
            }
        }
        if watch_touched {
            flags.push('d');
        }
        if self.close_after_reply {
            flags.push('c');
        }
        if self.close_asap {
            flags.push('A');
        }
        if matches!(self.stream, Some(Conn::Unix(_))) {
            flags.push('U');
        }
        if self.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_skip_applies_to_the_next_command_only() {
        let mut mode = ReplyMode {
            skip_next: true,
            ..ReplyMode::default()
        };
        assert!(!mode.silenced());
        mode.command_done();
        assert!(mode.silenced());
        mode.command_done();
        assert!(!mode.silenced());
        mode.off = true;
        mode.command_done();
        assert!(mode.silenced());
    }

    /// A query buffer of `size` bytes holding `live` bytes at `start`,
    /// whose peak is what it holds.
    fn query_buffer(size: usize, start: usize, live: usize) -> QueryBuffer {
        let mut q = QueryBuffer::default();
        q.reserve_tail(size);
        q.start = start;
        q.cursor = start;
        q.end = start + live;
        q.peak = live;
        q
    }

    #[test]
    fn the_cron_frees_an_idle_query_buffer_down_to_its_live_bytes() {
        let mut q = query_buffer(READ_CHUNK, 0, 0);
        assert_eq!(q.cron_resize(2, 0), None, "idle 2s: kept");
        assert_eq!(q.cron_resize(3, 0), Some(0));
        assert_eq!(q.allocated(), 0);
        let mut q = query_buffer(READ_CHUNK, 100, 10);
        assert_eq!(
            q.cron_resize(3, 0),
            Some(100),
            "live bytes moved to the front"
        );
        assert_eq!((q.allocated(), q.start, q.end), (10, 0, 10));
        let mut small = query_buffer(3 * 1024, 0, 0);
        assert_eq!(small.cron_resize(3, 0), None, "wastes under 4KB: kept");
    }

    #[test]
    fn the_cron_trims_a_large_query_buffer_toward_its_peak() {
        let mut q = query_buffer(400_000, 0, 0);
        q.peak = 250_000;
        assert_eq!(q.cron_resize(0, 0), None, "peak above half: kept");
        assert_eq!(q.peak, 0, "the peak restarts from the live bytes");
        q.peak = 130;
        assert_eq!(q.cron_resize(0, 0), Some(0));
        assert_eq!(q.allocated(), 130);
        let mut receiving = query_buffer(400_000, 50, 20);
        assert_eq!(receiving.cron_resize(0, 60_000), Some(50));
        assert_eq!(receiving.allocated(), 60_000, "room kept for the bulk");
        assert_eq!(receiving.peak, 60_000);
        let mut modest = query_buffer(32 * 1024, 0, 0);
        assert_eq!(modest.cron_resize(0, 0), None, "up to 32KB: kept");
    }

    #[test]
    fn the_reply_buffer_shrinks_and_grows_after_its_peak() {
        let mut c = Client::new(1, 0, None, 0);
        c.allocate_reply_buffer();
        assert_eq!(c.reply_buffer_size(), REPLY_CHUNK);
        // The first pass only starts the peak window.
        assert_eq!(c.cron_resize_reply(1000, 100), ReplyResize::Kept);
        assert_eq!(c.reply_peak, 0);
        assert_eq!(
            c.cron_resize_reply(1050, 100),
            ReplyResize::Shrunk(REPLY_MIN)
        );
        assert_eq!(c.reply.buf.capacity(), REPLY_MIN);
        c.reply.buf.extend_from_slice(&[b'x'; 5000]);
        c.note_reply_peak();
        assert_eq!(
            c.reply_buffer_peak(),
            REPLY_MIN,
            "the peak stops at the size"
        );
        assert_eq!(c.cron_resize_reply(1060, -1), ReplyResize::Grown(2048));
        assert!(
            c.reply.buf.capacity() >= 5000,
            "waiting output keeps its room"
        );
        assert_eq!(c.reply_buffer_size(), 2048);
        c.reply.buf.clear();
        c.reply_peak = 700;
        assert_eq!(
            c.cron_resize_reply(1070, -1),
            ReplyResize::Shrunk(REPLY_MIN)
        );
        assert_eq!(
            c.cron_resize_reply(1080, -1),
            ReplyResize::Kept,
            "never under 1KB"
        );
    }

    #[test]
    fn compaction_keeps_parsed_bytes_and_cursor() {
        let mut q = QueryBuffer::default();
        let mut src: &[u8] = b"0123456789";
        q.reserve_tail(10);
        q.read_from(&mut src).unwrap();
        q.start = 4;
        q.cursor = 7;
        let shifted = q.reserve_tail(10);
        assert_eq!(shifted, 4);
        assert_eq!((q.start, q.cursor, q.end), (0, 3, 6));
        assert_eq!(&q.data[..q.end], b"456789");
        assert_eq!(q.unparsed(), 3);
        let data = q.lend();
        assert_eq!(q.allocated(), data.len());
        assert_eq!(q.reported_len(), 6);
        q.restore(data);
        assert_eq!(q.reported_len(), 3);
    }
}
