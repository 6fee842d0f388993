//! The server core: all state the event loop owns (databases, clients,
//! config, stats, and what it holds for the features) and the jobs around
//! it, one module each: [`accept`] (listeners and new connections), [`client_io`]
//! (reading, running, writing, freeing), [`main_loop`] (the loop, before
//! sleep, the cron timer), [`dispatch`] (one command), [`keyspace`] (the
//! one write path), [`propagate`] (the stream to the sinks), [`blocking`],
//! [`multi`], [`pause`], [`tracking`] (client-side caching), [`shutdown`]
//! and [`hooks`] (how features plug in).
//!
//! One thread, one `mio::Poll`. A client being served is taken out of the
//! client table for the duration (so a handler gets `&mut Server` and
//! `&mut Client` at once) and its query buffer is lent to the command as
//! argument spans, so arguments are never copied.

pub mod accept;
pub mod acl;
pub mod blocking;
pub mod busy;
pub mod client;
pub mod client_evict;
pub mod client_io;
pub mod client_list;
pub mod client_table;
pub mod clients_cron;
pub mod config_apply;
pub mod cron;
pub mod dispatch;
pub mod errors;
pub mod evict;
pub mod heap_release;
pub mod histogram;
pub mod hooks;
pub mod keyspace;
pub mod lazyfree;
pub mod main_loop;
pub mod multi;
pub mod notify;
pub mod oom_score;
pub mod output_limits;
pub mod pause;
pub mod propagate;
pub mod pubsub;
pub mod replica_output;
pub mod shutdown;
pub mod slot_queue;
pub mod spec;
pub mod state;
pub mod stats;
pub mod tracking;
pub mod write;

pub use client_table::ClientTable;
pub use main_loop::TIMER_CRON;
pub use shutdown::{
    take_shutdown_signal, ShutdownFlags, ShutdownStart, SHUTDOWN_PENDING, SHUTDOWN_SIGNAL,
};

use crate::config::Config;
use crate::db::Db;
use crate::event_loop::EventLoop;
use crate::server::spec::Registry;
use crate::util::{now_ms, random_hex, Rng};
use mio::net::TcpListener;
use mio::Token;
use stats::Stats;
use std::io;
use std::time::Instant;

/// Tokens below this are listeners (TCP ones use their index in `bind`,
/// at most 16); client slot `s` uses token `s + CLIENT_TOKEN_BASE`.
const CLIENT_TOKEN_BASE: usize = 32;
/// Token of the replica's link to its primary, before the link becomes
/// a client (handed to the replication feature's hook).
pub const LINK_TOKEN: Token = Token(usize::MAX - 1);

/// Everything the loop owns. Feature state the core only holds is
/// declared in [`state`]; the features reach the core through [`hooks`].
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
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE payloads and RDB files
    /// are taken without checking their CRC64.
    pub skip_checksum_validation: bool,
    /// Slots of clients whose output should be written before sleeping.
    pub pending_writes: slot_queue::SlotQueue,
    /// Slots of clients with unread input left after their turn.
    pending_reads: Vec<usize>,
    /// The link to our primary stopped reading with input left (a long
    /// transfer): the loop serves it again without sleeping.
    pub link_read_pending: bool,
    /// Events of the last poll not handled yet (see
    /// [`Server::process_events_while_blocked`]).
    ready_events: std::collections::VecDeque<crate::event_loop::Ready>,
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
    /// A shutdown waiting for replicas goes ahead at this time (Unix ms).
    pub shutdown_deadline_ms: Option<i64>,
    /// (slot, client id) of SHUTDOWN clients waiting for it.
    pub shutdown_waiters: Vec<(usize, u64)>,
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
    pub pubsub: pubsub::PubSub,
    /// Client-side caching: who may cache which keys.
    pub tracking: tracking::Tracking,
    pub blocking: blocking::Blocking,
    /// ACL users and the ACL LOG.
    pub acl: acl::Acl,
    /// Keys clients WATCH, and which clients saw one modified.
    pub watches: multi::Watches,
    /// Ids of the commands MULTI runs at once instead of queueing.
    pub tx_commands: multi::TransactionCommands,
    pub replication: crate::server::state::replication::Replication,
    pub persistence: crate::server::state::persistence::Persistence,
    pub aof: crate::server::state::aof::Aof,
    /// What the features above the core asked to hear about.
    pub hooks: hooks::Hooks,
    /// MIGRATE's connections to target servers.
    pub migrate_sockets: crate::server::state::migrate::MigrateCache,
    /// The eviction pool and timer, and time spent over `maxmemory`.
    pub eviction: evict::Eviction,
    /// The thread values too costly to free on the loop are handed to.
    pub lazyfree: lazyfree::LazyFree,
    /// When freed heap memory was last given back to the system.
    pub heap_release: heap_release::HeapRelease,
    /// Memory of normal and pub/sub clients as last counted (see
    /// [`client_evict`]).
    pub client_memory_total: usize,
    /// The clients cron resizes reply buffers (DEBUG REPLYBUFFER RESIZING).
    pub reply_buffer_resizing: bool,
    /// How often a client's reply buffer peak restarts, in milliseconds;
    /// negative: never (DEBUG REPLYBUFFER PEAK-RESET-TIME).
    pub reply_buffer_peak_reset_ms: i64,
    /// The clients cron's place in the client table and its record of
    /// the largest client buffers of the last seconds.
    pub clients_cron: clients_cron::ClientsCron,
    /// The OOM score reddish found before changing it (`oom-score-adj`).
    pub oom_score: oom_score::OomScoreState,
    /// A transaction's commands are running (EXEC): background work they
    /// ask for (an AOF rewrite) is scheduled for after it.
    pub in_exec: bool,
    /// The scripting engine and the script running now.
    pub scripting: crate::server::state::scripting::Scripting,
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
        let acl = acl::Acl::new(&registry, config.acl_pubsub_default_all);
        let requirepass = config.requirepass.clone();
        crate::alloc::set_growth_limit(usize::try_from(config.maxmemory).unwrap_or(usize::MAX));
        let mut server = Server {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            clients: ClientTable::default(),
            tx_commands: multi::TransactionCommands::resolve(&registry),
            tracking: tracking::Tracking::new(&registry),
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
            skip_checksum_validation: false,
            pending_writes: slot_queue::SlotQueue::default(),
            pending_reads: Vec::new(),
            link_read_pending: false,
            ready_events: std::collections::VecDeque::new(),
            postponed: Vec::new(),
            unblocked: Vec::new(),
            monitors: Vec::new(),
            cron_loops: 0,
            pause: None,
            shutdown_asap: false,
            shutdown_flags: ShutdownFlags::default(),
            shutdown_deadline_ms: None,
            shutdown_waiters: Vec::new(),
            startup_memory: 0,
            peak_memory: 0,
            current_slot: None,
            slowlog: stats::SlowLog::default(),
            latency: stats::LatencyMonitor::default(),
            cron_paused: false,
            expire_state: cron::ExpireState::default(),
            propagation: propagate::Propagation::default(),
            pubsub: pubsub::PubSub::default(),
            blocking: blocking::Blocking::default(),
            acl,
            watches: multi::Watches::default(),
            replication: crate::server::state::replication::Replication::default(),
            persistence: crate::server::state::persistence::Persistence::default(),
            aof: crate::server::state::aof::Aof::default(),
            migrate_sockets: Default::default(),
            eviction: evict::Eviction::default(),
            lazyfree: lazyfree::LazyFree::default(),
            heap_release: heap_release::HeapRelease::default(),
            client_memory_total: 0,
            reply_buffer_resizing: true,
            reply_buffer_peak_reset_ms: clients_cron::REPLY_PEAK_RESET_MS,
            clients_cron: Default::default(),
            oom_score: oom_score::OomScoreState::default(),
            in_exec: false,
            scripting: Default::default(),
            hooks: hooks::Hooks::new(features),
            rng: Rng::default(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config,
        };
        server.set_default_password(requirepass.as_deref());
        server.listen()?;
        Ok(server)
    }
}

impl Server {}
