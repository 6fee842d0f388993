//! The server: all state the event loop owns (databases, clients, config,
//! stats) and the network side of the loop (accept, read, parse, write).
//!
//! One thread, one `mio::Poll`. A client being served is taken out of the
//! client table for the duration (so a handler gets `&mut Server` and
//! `&mut Client` at once) and its query buffer is lent to the command as
//! argument spans, so arguments are never copied.

pub mod blocking;
pub mod client;
pub mod config_apply;
pub mod cron;
pub mod dispatch;
pub mod errors;
pub mod histogram;
pub mod hooks;
pub mod keyspace;
pub mod multi;
pub mod output_limits;
pub mod propagate;
pub mod slot_queue;
pub mod spec;
pub mod state;
pub mod stats;

use crate::config::Config;
use crate::conn::Conn;
use crate::db::Db;
use crate::event_loop::{EventLoop, Ready};
use crate::resp::parser::Parsed;
use crate::server::client::{Client, READ_CHUNK};
use crate::server::spec::Registry;
use crate::util::{now_ms, random_hex, Rng};
use dispatch::Dispatch;
use log::{info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Token};
use stats::Stats;
use std::io;
use std::net::SocketAddr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// Tokens below this are listeners (TCP ones use their index in `bind`,
/// at most 16); client slot `s` uses token `s + CLIENT_TOKEN_BASE`.
const CLIENT_TOKEN_BASE: usize = 32;
/// Token of the replica's link to its primary, before the link becomes
/// a client (handed to the replication feature's hook).
pub const LINK_TOKEN: Token = Token(usize::MAX - 1);
/// Token of the Unix socket listener.
const UNIX_LISTENER: usize = CLIENT_TOKEN_BASE - 1;
/// Reads served to one client per readiness event before others get a turn.
const READS_PER_TURN: usize = 16;
/// Bulks at least this long are read with larger reads than `READ_CHUNK`.
const BIG_BULK: usize = 32 * 1024;
/// Timer id of the periodic cron.
pub const TIMER_CRON: u64 = 1;

/// Set by the SIGTERM/SIGINT handler; read by the cron.
pub static SHUTDOWN_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// A signal asked for a shutdown that has not been cancelled or refused:
/// a second SIGINT meanwhile exits at once.
pub static SHUTDOWN_PENDING: AtomicBool = AtomicBool::new(false);

/// The shutdown signal received since the last call, if any.
pub fn take_shutdown_signal() -> Option<i32> {
    match SHUTDOWN_SIGNAL.swap(0, Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// The client table: slots reused through a free list.
#[derive(Default)]
pub struct ClientTable {
    slots: Vec<Option<Box<Client>>>,
    free: Vec<usize>,
    pub count: usize,
}

impl ClientTable {
    fn reserve_slot(&mut self) -> usize {
        match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        }
    }

    fn put(&mut self, slot: usize, c: Box<Client>) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = Some(c);
        }
    }

    /// Takes a client out (while it is being served).
    fn take(&mut self, slot: usize) -> Option<Box<Client>> {
        self.slots.get_mut(slot)?.take()
    }

    fn release(&mut self, slot: usize) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = None;
            self.free.push(slot);
        }
    }

    pub fn get_mut(&mut self, slot: usize) -> Option<&mut Client> {
        self.slots.get_mut(slot)?.as_deref_mut()
    }

    pub fn get(&self, slot: usize) -> Option<&Client> {
        self.slots.get(slot)?.as_deref()
    }

    /// Clients in the table (the one being served is not in it).
    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.slots.iter().filter_map(|s| s.as_deref())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.slots.iter_mut().filter_map(|s| s.as_deref_mut())
    }
}

pub struct Server {
    pub config: Config,
    pub dbs: Vec<Db>,
    pub clients: ClientTable,
    pub registry: Registry,
    pub stats: Stats,
    pub event_loop: EventLoop,
    listeners: Vec<TcpListener>,
    /// The `unixsocket` listener, when one is configured.
    unix_listener: Option<mio::net::UnixListener>,
    pub next_client_id: u64,
    pub start_ms: i64,
    pub start_instant: Instant,
    pub run_id: String,
    /// Changes made since the start (never reset; the changes since the
    /// last save are counted from `persistence.dirty_at_save`).
    pub dirty: u64,
    pub last_save_ms: i64,
    /// Time of the command being executed (cached like Redis's `mstime`).
    pub cmd_time_ms: i64,
    pub active_expire_enabled: bool,
    /// Slots of clients whose output should be written before sleeping.
    pub pending_writes: slot_queue::SlotQueue,
    /// Slots of clients with unread input left after their turn.
    pending_reads: Vec<usize>,
    /// The read buffer lent to whichever client reads with nothing left
    /// over from before, so idle clients hold no query buffer (see
    /// [`Server::read_and_process`]).
    spare_query_buffer: Vec<u8>,
    /// Slots of clients CLIENT PAUSE holds, in the order they were held.
    pub postponed: Vec<usize>,
    /// Slots of clients released from a pause, to run what they have
    /// buffered before the loop sleeps.
    pub unblocked: Vec<usize>,
    pub monitors: Vec<usize>,
    pub cron_loops: u64,
    /// Clients are paused until this time (CLIENT PAUSE), with the mode.
    pub pause: Option<stats::Pause>,
    /// The shutdown was prepared: the loop returns and the process exits.
    pub shutdown_asap: bool,
    /// Options of the shutdown being prepared.
    pub shutdown_flags: ShutdownFlags,
    /// Bytes allocated when the server was ready (INFO `used_memory_startup`).
    pub startup_memory: usize,
    /// Most bytes ever allocated, sampled by the cron (INFO `used_memory_peak`).
    pub peak_memory: usize,
    /// Slot of the client being served now, if any.
    pub current_slot: Option<usize>,
    pub slowlog: stats::SlowLog,
    pub latency: stats::LatencyMonitor,
    /// The cron is frozen (DEBUG PAUSE-CRON).
    pub cron_paused: bool,
    pub executable: String,
    pub expire_state: cron::ExpireState,
    pub rng: Rng,
    pub propagation: propagate::Propagation,
    pub blocking: blocking::Blocking,
    /// Keys clients WATCH, and which clients saw one modified.
    pub watches: multi::Watches,
    /// Ids of the commands MULTI runs at once instead of queueing.
    pub tx_commands: multi::TransactionCommands,
    pub replication: crate::server::state::replication::Replication,
    pub persistence: crate::server::state::persistence::Persistence,
    /// What the features above the core asked to hear about.
    pub hooks: hooks::Hooks,
    /// MIGRATE's connections to target servers.
    pub migrate_sockets: crate::server::state::migrate::MigrateCache,
}

impl Server {
    /// A server with `config` whose command registry is built from
    /// `tables` (the command families) and whose loop calls the hooks of
    /// `features`, both given by start-up.
    pub fn new(
        config: Config,
        tables: &[&'static [spec::Command]],
        features: &[hooks::Feature],
    ) -> io::Result<Server> {
        let event_loop = EventLoop::new()?;
        let databases = config.databases.max(1);
        let now = now_ms();
        let registry = Registry::new(tables);
        let mut server = Server {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            clients: ClientTable::default(),
            tx_commands: multi::TransactionCommands::resolve(&registry),
            registry,
            stats: Stats::default(),
            event_loop,
            listeners: Vec::new(),
            unix_listener: None,
            next_client_id: 1,
            start_ms: now,
            start_instant: Instant::now(),
            run_id: random_hex(40),
            dirty: 0,
            last_save_ms: now,
            cmd_time_ms: now,
            active_expire_enabled: true,
            pending_writes: slot_queue::SlotQueue::default(),
            pending_reads: Vec::new(),
            spare_query_buffer: Vec::new(),
            postponed: Vec::new(),
            unblocked: Vec::new(),
            monitors: Vec::new(),
            cron_loops: 0,
            pause: None,
            shutdown_asap: false,
            shutdown_flags: ShutdownFlags::default(),
            startup_memory: 0,
            peak_memory: 0,
            current_slot: None,
            slowlog: stats::SlowLog::default(),
            latency: stats::LatencyMonitor::default(),
            cron_paused: false,
            expire_state: cron::ExpireState::default(),
            propagation: propagate::Propagation::default(),
            blocking: blocking::Blocking::default(),
            watches: multi::Watches::default(),
            replication: crate::server::state::replication::Replication::default(),
            persistence: crate::server::state::persistence::Persistence::default(),
            migrate_sockets: Default::default(),
            hooks: hooks::Hooks::new(features),
            rng: Rng::default(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config,
        };
        server.listen()?;
        Ok(server)
    }

    /// Opens the `unixsocket` listener (replacing a stale socket file) with
    /// the `unixsocketperm` mode, if one is configured (after the TCP
    /// listeners, as Redis opens them).
    pub fn listen_unix(&mut self) -> io::Result<()> {
        let Some(path) = self.config.unixsocket.clone() else {
            return Ok(());
        };
        let path = std::path::PathBuf::from(std::ffi::OsString::from_vec(path));
        match crate::net::listen_unix(&path, self.config.unixsocketperm) {
            Ok(mut l) => {
                self.event_loop.registry().register(
                    &mut l,
                    Token(UNIX_LISTENER),
                    Interest::READABLE,
                )?;
                self.unix_listener = Some(l);
                Ok(())
            }
            Err(e) => {
                warn!("Failed opening Unix socket: {}", e);
                Err(e)
            }
        }
    }

    /// Binds every `bind` address on `port` (a `-` prefix marks an address
    /// that may be unavailable, such as IPv6 on a host without it).
    fn listen(&mut self) -> io::Result<()> {
        if self.config.port == 0 {
            return Ok(());
        }
        let mut listeners = Vec::new();
        for (i, raw) in self.config.bind.iter().enumerate() {
            let optional = raw.starts_with('-');
            let host = raw.trim_start_matches('-');
            let host = match host {
                "*" => "0.0.0.0",
                "::*" => "::",
                h => h,
            };
            let addr: Option<SocketAddr> = format!("{}:{}", host, self.config.port)
                .parse()
                .ok()
                .or_else(|| format!("[{}]:{}", host, self.config.port).parse().ok());
            let result = match addr {
                Some(a) => crate::net::listen(a, self.config.tcp_backlog),
                None => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Invalid bind address",
                )),
            };
            match result {
                Ok(mut l) => {
                    self.event_loop
                        .registry()
                        .register(&mut l, Token(i), Interest::READABLE)?;
                    listeners.push(l);
                }
                Err(e) if optional || e.kind() == io::ErrorKind::Unsupported => {
                    warn!(
                        "Warning: Could not create server TCP listening socket {}:{}: {}",
                        host, self.config.port, e
                    );
                }
                Err(e) => {
                    warn!(
                        "Warning: Could not create server TCP listening socket {}:{}: {}",
                        host, self.config.port, e
                    );
                    return Err(e);
                }
            }
        }
        if listeners.is_empty() && !self.config.bind.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Failed listening on port",
            ));
        }
        self.listeners = listeners;
        Ok(())
    }

    /// Runs the loop until shutdown.
    pub fn run(&mut self) -> io::Result<()> {
        self.startup_memory = crate::alloc::used_memory();
        self.schedule_cron();
        if !self.listeners.is_empty() {
            info!("Ready to accept connections");
        }
        if let Some(path) = &self.config.unixsocket {
            info!(
                "The server is now ready to accept connections at {}",
                String::from_utf8_lossy(path)
            );
        }
        let mut ready = Vec::with_capacity(1024);
        loop {
            self.before_sleep();
            let max_wait = if self.pending_reads.is_empty() {
                None
            } else {
                Some(Duration::ZERO)
            };
            self.event_loop.wait(&mut ready, max_wait)?;
            for event in ready.drain(..) {
                match event {
                    Ready::Io {
                        token,
                        readable,
                        writable,
                        read_closed,
                    } => self.handle_io(token, readable, writable, read_closed),
                    Ready::Timer(TIMER_CRON) => {
                        self.cron();
                        self.schedule_cron();
                    }
                    Ready::Timer(blocking::TIMER_BLOCKED) => self.expire_blocked_clients(),
                    Ready::Timer(_) => {}
                }
            }
            self.serve_pending_reads();
            if self.shutdown_asap {
                return Ok(());
            }
        }
    }

    /// A shutdown signal that arrived (checked by the cron, as Redis does,
    /// so DEBUG PAUSE-CRON holds it and SHUTDOWN ABORT can cancel it):
    /// prepares the shutdown with the flags `shutdown-on-sigterm` or
    /// `shutdown-on-sigint` give.
    pub fn handle_shutdown_signal(&mut self) {
        let Some(signal) = take_shutdown_signal() else {
            return;
        };
        let (name, code) = if signal == libc::SIGINT {
            ("SIGINT", self.config.shutdown_on_sigint)
        } else {
            ("SIGTERM", self.config.shutdown_on_sigterm)
        };
        warn!("Received {} scheduling shutdown...", name);
        let flags = ShutdownFlags {
            save: code & 1 != 0,
            nosave: code & 2 != 0,
            now: code & 4 != 0,
            force: code & 8 != 0,
        };
        if self.prepare_shutdown(flags) {
            self.shutdown_asap = true;
        } else {
            SHUTDOWN_PENDING.store(false, Ordering::SeqCst);
        }
    }

    /// SHUTDOWN ABORT: cancels a shutdown a signal asked for and that has
    /// not started yet. False when there is none.
    pub fn abort_shutdown(&mut self) -> bool {
        let pending = SHUTDOWN_PENDING.swap(false, Ordering::SeqCst);
        SHUTDOWN_SIGNAL.store(0, Ordering::SeqCst);
        if pending {
            log::info!("Shutdown manually aborted.");
        }
        pending
    }

    /// Serves clients in the middle of a long operation (loading a file):
    /// reads, runs what they sent and writes replies, without running
    /// timers. Commands not allowed while loading get `-LOADING`.
    pub fn process_events_while_blocked(&mut self) {
        let mut ready = Vec::new();
        if self.event_loop.poll_io(&mut ready).is_err() {
            return;
        }
        for event in ready {
            if let Ready::Io {
                token,
                readable,
                writable,
                read_closed,
            } = event
            {
                self.handle_io(token, readable, writable, read_closed);
            }
        }
        self.serve_pending_reads();
        self.flush_pending_writes();
    }

    /// Closes the listening sockets in a forked child (the parent keeps
    /// them open and registered).
    pub fn close_listening_sockets(&mut self) {
        self.listeners.clear();
        self.unix_listener = None;
    }

    fn schedule_cron(&mut self) {
        let period = Duration::from_millis(1000 / u64::from(self.config.hz.max(1)));
        self.event_loop
            .add_timer(Instant::now() + period, TIMER_CRON);
    }

    /// Work done once per loop iteration before waiting for events. Keys
    /// written outside commands (expired by the cron or the fast cycle)
    /// wake their blocked clients here.
    fn before_sleep(&mut self) {
        if self.active_expire_enabled {
            self.active_expire_cycle(cron::ExpireCycle::Fast);
        }
        self.serve_ready_keys();
        self.process_unblocked_clients();
        self.run_before_sleep_hooks();
        self.flush_pending_writes();
    }

    /// Last steps before exit: stops a save child, saves when save points
    /// are configured (or `save` is asked; never with `nosave` or while
    /// loading), flushes clients, removes the pid file. Returns false if a
    /// failed save refused the shutdown (unless `force`).
    pub fn prepare_shutdown(&mut self, mut flags: ShutdownFlags) -> bool {
        if self.persistence.loading.is_some() {
            flags.save = false;
            flags.nosave = true;
        }
        self.shutdown_flags = flags;
        warn!("User requested shutdown...");
        if !self.run_shutdown_hooks(flags) {
            warn!("Errors trying to shut down the server. Check the logs for more information.");
            self.shutdown_flags = ShutdownFlags::default();
            return false;
        }
        let slots: Vec<usize> = self.clients.iter().map(|c| c.slot).collect();
        for slot in slots {
            self.flush_client(slot);
        }
        if !self.config.pidfile.is_empty() {
            info!("Removing the pid file.");
            let _ = std::fs::remove_file(&self.config.pidfile);
        }
        self.remove_unix_socket();
        warn!("Redis is now ready to exit, bye bye...");
        true
    }

    fn remove_unix_socket(&mut self) {
        let Some(path) = &self.config.unixsocket else {
            return;
        };
        self.unix_listener = None;
        info!("Removing the unix socket file.");
        if let Err(e) = std::fs::remove_file(std::ffi::OsStr::from_bytes(path)) {
            warn!("Error removing the unix socket file: {}", e);
        }
    }

    fn handle_io(&mut self, token: Token, readable: bool, writable: bool, read_closed: bool) {
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

    fn accept_all(&mut self, listener: usize) {
        loop {
            let Some(l) = self.listeners.get(listener) else {
                return;
            };
            let accepted = l.accept().map(|(stream, _)| {
                if self.config.tcp_keepalive > 0 {
                    set_keepalive(&stream, self.config.tcp_keepalive);
                }
                Conn::Tcp(stream)
            });
            if !self.accepted(accepted) {
                return;
            }
        }
    }

    fn accept_all_unix(&mut self) {
        loop {
            let Some(l) = self.unix_listener.as_ref() else {
                return;
            };
            let accepted = l.accept().map(|(stream, _)| Conn::Unix(stream));
            if !self.accepted(accepted) {
                return;
            }
        }
    }

    /// Takes one result of `accept`: a connection becomes a client. False
    /// when the listener has nothing more to give.
    fn accepted(&mut self, result: io::Result<Conn>) -> bool {
        match result {
            Ok(stream) => {
                self.add_client(stream);
                true
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => true,
            Err(e) => {
                warn!("Accepting client connection: {}", e);
                false
            }
        }
    }

    /// A new connection. One refused (over `maxclients`, or by protected
    /// mode) gets its error, counts as rejected and is closed; as in Redis
    /// it does not count as received.
    fn add_client(&mut self, mut stream: Conn) {
        let refusal = if self.clients.count as u64 >= self.config.maxclients {
            Some(MAX_CLIENTS_ERROR)
        } else if self.protected_mode_denies(&stream) {
            Some(PROTECTED_MODE_ERROR)
        } else {
            None
        };
        if let Some(error) = refusal {
            self.stats.rejected_connections += 1;
            let _ = io::Write::write_all(&mut stream, error.as_bytes());
            return;
        }
        self.stats.total_connections_received += 1;
        let Some(slot) = self.adopt_connection(stream) else {
            return;
        };
        let authenticated = self.config.requirepass.is_none();
        if let Some(c) = self.clients.get_mut(slot) {
            c.authenticated = authenticated;
        }
        // Bytes may already be waiting; edge-triggered readiness will not repeat them.
        self.serve_client(slot);
    }

    /// Makes a connected socket a client (an accepted one, or the link to
    /// our primary once the sync is done). Returns its slot.
    pub fn adopt_connection(&mut self, mut stream: Conn) -> Option<usize> {
        stream.set_nodelay();
        let slot = self.clients.reserve_slot();
        if let Err(e) = self.event_loop.registry().register(
            &mut stream,
            Token(slot + CLIENT_TOKEN_BASE),
            Interest::READABLE,
        ) {
            warn!("Error registering fd event for the new client: {}", e);
            self.clients.release(slot);
            return None;
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let client = Box::new(Client::new(id, slot, Some(stream), now_ms()));
        self.clients.put(slot, client);
        self.clients.count += 1;
        Some(slot)
    }

    /// Protected mode (on, and no password for the default user) lets in
    /// only Unix sockets and peers at exactly 127.0.0.1 or ::1, whatever
    /// `bind` says.
    fn protected_mode_denies(&self, stream: &Conn) -> bool {
        self.config.protected_mode && self.config.requirepass.is_none() && !stream.is_local_peer()
    }

    /// Reads what a client sent and runs the complete commands in it.
    fn serve_client(&mut self, slot: usize) {
        self.serve_with(slot, Self::read_and_process);
    }

    /// Runs what clients released from a pause have buffered, in order.
    fn process_unblocked_clients(&mut self) {
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
    fn serve_with(
        &mut self,
        slot: usize,
        work: impl FnOnce(&mut Self, &mut Client) -> ReadOutcome,
    ) {
        let Some(mut c) = self.clients.take(slot) else {
            return;
        };
        self.current_slot = Some(slot);
        let outcome = work(self, &mut c);
        self.current_slot = None;
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

    /// Reads and runs what a client sent. A client with nothing left over
    /// from earlier reads borrows the server's spare buffer for it and
    /// gives it back when everything it read was consumed; only a client
    /// holding a partial request (or commands it cannot run yet) keeps a
    /// buffer of its own, as Redis 7.4's reusable query buffer does.
    fn read_and_process(&mut self, c: &mut Client) -> ReadOutcome {
        if c.query.data.is_empty() {
            c.query.data = std::mem::take(&mut self.spare_query_buffer);
        }
        let outcome = self.read_and_process_buffered(c);
        if c.query.is_empty() {
            let buffer = std::mem::take(&mut c.query.data);
            c.query.clear();
            if self.spare_query_buffer.is_empty() {
                self.spare_query_buffer = buffer;
            }
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
    fn role_consumed(&mut self, c: &Client, from: usize) {
        if c.kind.has_role() {
            if let Some(roles) = self.hooks.roles {
                (roles.consumed)(self, c, from);
            }
        }
    }

    /// Tells the role of the client in `slot` its output was all written;
    /// true when it queued more.
    fn role_drained(&mut self, slot: usize) -> bool {
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
            if !c.pending_command {
                if !c.parser.in_progress() {
                    request_start = c.query.cursor;
                }
                let auth_required = !c.authenticated && self.config.requirepass.is_some();
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
            c.query.shrink_if_idle();
        }
    }

    /// Runs the command whose arguments the parser holds, lending it the
    /// query buffer. A postponed command keeps its arguments for later.
    fn run_parsed_command(&mut self, c: &mut Client) -> Dispatch {
        let data = c.query.lend();
        let spans = std::mem::take(&mut c.parser.args);
        c.argv_mem = spans.iter().map(|&(start, end)| end - start).sum();
        let outcome = self.process_command(c, &crate::server::spec::Args::new(&data, &spans));
        self.enforce_output_limit(c);
        self.serve_ready_keys();
        c.query.restore(data);
        c.parser.args = spans;
        if outcome == Dispatch::Done {
            c.parser.reset();
            c.argv_mem = 0;
        }
        outcome
    }

    fn serve_pending_reads(&mut self) {
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
    fn flush_client_once(&mut self, slot: usize) -> bool {
        let Some(c) = self.clients.get_mut(slot) else {
            return false;
        };
        let has_role = c.kind.has_role();
        let before = c.net_out;
        let result = c.flush();
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

    fn reregister(&mut self, slot: usize, interest: Interest) {
        let registry = self.event_loop.registry();
        if let Some(stream) = self.clients.get_mut(slot).and_then(|c| c.stream.as_mut()) {
            let _ = registry.reregister(stream, Token(slot + CLIENT_TOKEN_BASE), interest);
        }
    }

    fn handle_writable(&mut self, slot: usize) {
        self.flush_client(slot);
    }

    /// Asks for a client's output to be written before the loop sleeps.
    pub fn mark_pending_write(&mut self, slot: usize) {
        if self
            .clients
            .get(slot)
            .is_some_and(|c| c.output_list_bytes() > 0)
        {
            self.enforce_output_limit_of(slot);
        }
        self.pending_writes.push(slot);
    }

    fn flush_pending_writes(&mut self) {
        let slots = self.pending_writes.take();
        for slot in slots {
            // A client doomed to close gets nothing more written, as in
            // Redis: a replica cut off its stream must not see more of it.
            let to_close = self.clients.get(slot).is_some_and(|c| c.close_asap);
            if to_close {
                self.free_client(slot);
                continue;
            }
            let has_output = self
                .clients
                .get(slot)
                .is_some_and(|c| c.pending_output() > 0 || c.close_after_reply);
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
        if c.kind.has_role() {
            if let Some(roles) = self.hooks.roles {
                (roles.freed)(self, &c);
            }
        }
        self.watches.forget(slot);
        self.monitors.retain(|&s| s != slot);
        self.postponed.retain(|&s| s != slot);
        self.unblocked.retain(|&s| s != slot);
        self.clients.release(slot);
        self.clients.count = self.clients.count.saturating_sub(1);
    }
}

impl Server {
    /// True if CLIENT PAUSE holds back a command with these flags from `c`:
    /// every command under a full pause, only those that write or may
    /// replicate under `WRITE`. Replicas and MONITOR clients are never held.
    pub fn pause_holds(&self, c: &Client, cmd_flags: u64) -> bool {
        use crate::server::spec::flag;
        let Some(pause) = self.pause else {
            return false;
        };
        if c.kind == crate::server::client::ClientKind::Replica || c.monitor {
            return false;
        }
        !pause.write_only || cmd_flags & (flag::WRITE | flag::MAY_REPLICATE) != 0
    }

    /// Holds `c`'s current command until the pause ends.
    fn postpone(&mut self, c: &mut Client) {
        c.postponed = true;
        self.postponed.push(c.slot);
    }

    /// Ends CLIENT PAUSE; the clients it held run their commands before the
    /// loop sleeps again, in the order they were held.
    pub fn unpause_clients(&mut self) {
        self.pause = None;
        for slot in std::mem::take(&mut self.postponed) {
            if let Some(c) = self.clients.get_mut(slot) {
                c.postponed = false;
                self.unblocked.push(slot);
            }
        }
    }
}

/// How many bytes to ask the socket for. A big bulk being read gets room for
/// the rest of it in as few reads as possible, but the buffer at most doubles
/// per read: a header announcing a huge bulk must not make the server
/// allocate (and zero) that much memory before the bytes actually arrive.
fn read_size(pending_bulk: Option<usize>, buffered: usize) -> usize {
    match pending_bulk {
        Some(bulk) if bulk >= BIG_BULK => bulk
            .saturating_add(2)
            .saturating_sub(buffered)
            .min(buffered)
            .max(READ_CHUNK),
        _ => READ_CHUNK,
    }
}

/// What `SHUTDOWN` (or `shutdown-on-sigterm`/`-sigint`) asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    pub nosave: bool,
    pub save: bool,
    pub now: bool,
    pub force: bool,
}

enum ReadOutcome {
    /// The socket has no more bytes for now.
    Drained,
    /// The client used its turn; more may be waiting.
    MoreLater,
    /// The peer closed or the client must be dropped.
    Closed,
}

const MAX_CLIENTS_ERROR: &str = "-ERR max number of clients reached\r\n";

const PROTECTED_MODE_ERROR: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

fn set_keepalive(stream: &TcpStream, interval: i64) {
    use std::os::fd::AsRawFd;
    let fd = stream.as_raw_fd();
    let on: libc::c_int = 1;
    let idle = interval.clamp(1, i32::MAX as i64) as libc::c_int;
    let intvl = (idle / 3).max(1);
    let probes: libc::c_int = 3;
    let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: setsockopt on an fd we own, each value a live c_int whose size we pass.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &on as *const _ as *const libc::c_void,
            size,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPIDLE,
            &idle as *const _ as *const libc::c_void,
            size,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            &intvl as *const _ as *const libc::c_void,
            size,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPCNT,
            &probes as *const _ as *const libc::c_void,
            size,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_bulk_reads_grow_with_received_bytes() {
        assert_eq!(read_size(None, 0), READ_CHUNK);
        assert_eq!(read_size(Some(100), 10), READ_CHUNK);
        let huge = 512 * 1024 * 1024;
        assert_eq!(read_size(Some(huge), 20), READ_CHUNK);
        assert_eq!(read_size(Some(huge), 1 << 20), 1 << 20);
        assert_eq!(read_size(Some(BIG_BULK), BIG_BULK), READ_CHUNK);
        assert_eq!(read_size(Some(1 << 20), 1 << 20), READ_CHUNK);
        assert_eq!(read_size(Some(3 << 20), 2 << 20), (1 << 20) + 2);
    }
}
