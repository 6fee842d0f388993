//! Server configuration, read exactly like redis-server 7.0.15 reads it.
//!
//! Every directive Redis knows is declared once in [`table::DIRECTIVES`]
//! (name, alias, flags, type, default, bounds). The current values live in
//! one store indexed by that table; the config file, `--directive`
//! arguments, CONFIG GET/SET and CONFIG REWRITE all go through it. The
//! public typed fields of [`Config`] (`config.port`, `config.hz`, ...) are
//! read-only views of the store, refreshed after every change: read them
//! freely, but change values only through [`Config::set_words`] /
//! [`Config::set_from_command`] so CONFIG GET and REWRITE stay right.
//!
//! To read another directive typed, add one line to `typed_fields!` below.

pub mod rewrite;
pub mod table;
pub mod value;

pub use crate::logging::LogLevel;
use std::borrow::Cow;
pub use table::{flag, lookup, Apply, Directive, Found, DIRECTIVES};
pub use value::{notify, ObufLimit, ParseError, SavePoint, Value};

/// `sanitize-dump-payload`: when RESTORE payloads and loaded files get
/// Redis's deep integrity validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SanitizeDump {
    #[default]
    No,
    Yes,
    /// Payloads RESTOREd by ordinary clients (not the primary's link);
    /// files are loaded without it.
    Clients,
}

impl SanitizeDump {
    fn from_code(code: i32) -> SanitizeDump {
        match code {
            1 => SanitizeDump::Yes,
            2 => SanitizeDump::Clients,
            _ => SanitizeDump::No,
        }
    }
}

/// `yes`, `no` or `local` for protected features (DEBUG, MODULE, configs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protection {
    #[default]
    No,
    Yes,
    Local,
}

impl Protection {
    fn from_code(code: i32) -> Protection {
        match code {
            1 => Protection::Yes,
            2 => Protection::Local,
            _ => Protection::No,
        }
    }

    /// Whether a client (local or not) may use the protected feature.
    pub fn allows(self, is_local: bool) -> bool {
        match self {
            Protection::Yes => true,
            Protection::Local => is_local,
            Protection::No => false,
        }
    }
}

/// `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    #[default]
    NoEviction,
}

impl MaxmemoryPolicy {
    /// The name CONFIG GET and INFO print.
    pub fn name(self) -> &'static str {
        match self {
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
            MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
            MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
            MaxmemoryPolicy::NoEviction => "noeviction",
        }
    }

    /// Objects keep LFU counters instead of LRU clocks.
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }

    pub fn is_lru(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::AllkeysLru
        )
    }

    /// Every key may be evicted, not only those with a TTL.
    pub fn is_allkeys(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::AllkeysLru
                | MaxmemoryPolicy::AllkeysLfu
                | MaxmemoryPolicy::AllkeysRandom
        )
    }

    /// Victims are picked at random rather than from the eviction pool.
    pub fn is_random(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom
        )
    }

    fn from_code(code: i32) -> MaxmemoryPolicy {
        match code {
            0x001 => MaxmemoryPolicy::VolatileLru,
            0x102 => MaxmemoryPolicy::VolatileLfu,
            0x300 => MaxmemoryPolicy::VolatileRandom,
            0x200 => MaxmemoryPolicy::VolatileTtl,
            0x405 => MaxmemoryPolicy::AllkeysLru,
            0x506 => MaxmemoryPolicy::AllkeysLfu,
            0x604 => MaxmemoryPolicy::AllkeysRandom,
            _ => MaxmemoryPolicy::NoEviction,
        }
    }
}

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppendFsync {
    Always,
    #[default]
    EverySec,
    No,
}

impl AppendFsync {
    fn from_code(code: i32) -> AppendFsync {
        match code {
            0 => AppendFsync::No,
            1 => AppendFsync::Always,
            _ => AppendFsync::EverySec,
        }
    }
}

/// Declares the typed fields of [`Config`] and how each is read from the
/// value store; `refresh_typed` recomputes them all.
macro_rules! typed_fields {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty = $read:expr ;)*) => {
        /// The configuration: typed views for the server plus the value store.
        #[derive(Debug, Clone)]
        pub struct Config {
            $( $(#[$doc])* pub $field: $ty, )*
            /// The config file given on the command line (absolute), for CONFIG REWRITE.
            pub config_file: Option<String>,
            /// `rename-command` directives in order: (old name, new name or "").
            pub renamed_commands: Vec<(String, String)>,
            /// The command table's names, which `rename-command` checks
            /// against (given by start-up before the config is read).
            pub command_names: Vec<String>,
            /// Arguments of `user` directives (the name, then the rules),
            /// in order; the ACL creates the users at start-up.
            pub users: Vec<Vec<Vec<u8>>>,
            /// Checks the rules of a `user` line as it is read (start-up
            /// gives it: the rules need the command table).
            pub user_check: Option<UserCheck>,
            /// Arguments of `loadmodule` directives (modules are not supported).
            pub modules: Vec<Vec<String>>,
            /// Module directives (`name.option value`), never consumed.
            pub module_configs: Vec<(String, String)>,
            values: Vec<Value>,
            /// Set while a config text is being read (affects `save`).
            reading_file: bool,
            /// A `save` line was read from a file: later ones add points.
            save_loaded: bool,
        }

        impl Config {
            /// Recomputes every typed field from the value store.
            fn refresh_typed(&mut self) {
                $( self.$field = ($read)(&*self); )*
            }

            fn blank(values: Vec<Value>) -> Config {
                Config {
                    $( $field: Default::default(), )*
                    config_file: None,
                    renamed_commands: Vec::new(),
                    command_names: Vec::new(),
                    users: Vec::new(),
                    user_check: None,
                    modules: Vec::new(),
                    module_configs: Vec::new(),
                    values,
                    reading_file: false,
                    save_loaded: false,
                }
            }
        }
    };
}

typed_fields! {
    port: u16 = |c: &Config| c.num("port") as u16;
    tls_port: u16 = |c: &Config| c.num("tls-port") as u16;
    set_proc_title: bool = |c: &Config| c.flag("set-proc-title");
    proc_title_template: Vec<u8> = |c: &Config| c.bytes("proc-title-template").unwrap_or_default();
    bind: Vec<String> = |c: &Config| match c.get("bind") {
        Some(Value::Bind(addrs)) => addrs.clone(),
        _ => Vec::new(),
    };
    protected_mode: bool = |c: &Config| c.flag("protected-mode");
    tcp_backlog: i64 = |c: &Config| c.num("tcp-backlog") as i64;
    timeout: i64 = |c: &Config| c.num("timeout") as i64;
    tcp_keepalive: i64 = |c: &Config| c.num("tcp-keepalive") as i64;
    daemonize: bool = |c: &Config| c.flag("daemonize");
    always_show_logo: bool = |c: &Config| c.flag("always-show-logo");
    /// "" when unset.
    pidfile: String = |c: &Config| c.text("pidfile");
    loglevel: LogLevel = |c: &Config| LogLevel::from_code(c.code("loglevel"));
    logfile: String = |c: &Config| c.text("logfile");
    databases: usize = |c: &Config| c.num("databases") as usize;
    dbfilename: String = |c: &Config| c.text("dbfilename");
    /// (seconds, changes) points.
    save: Vec<(u64, u64)> = |c: &Config| match c.get("save") {
        Some(Value::Save(points)) => points
            .iter()
            .map(|p| (p.seconds.max(0) as u64, p.changes.max(0) as u64))
            .collect(),
        _ => Vec::new(),
    };
    requirepass: Option<Vec<u8>> = |c: &Config| c.bytes("requirepass");
    maxclients: u64 = |c: &Config| c.num("maxclients") as u64;
    /// Already clamped to 1..=500.
    hz: u32 = |c: &Config| c.num("hz") as u32;
    enable_debug_command: Protection =
        |c: &Config| Protection::from_code(c.code("enable-debug-command"));
    enable_protected_configs: Protection =
        |c: &Config| Protection::from_code(c.code("enable-protected-configs"));
    enable_module_command: Protection =
        |c: &Config| Protection::from_code(c.code("enable-module-command"));
    sanitize_dump_payload: SanitizeDump =
        |c: &Config| SanitizeDump::from_code(c.code("sanitize-dump-payload"));
    proto_max_bulk_len: u64 = |c: &Config| c.num("proto-max-bulk-len") as u64;
    client_query_buffer_limit: u64 = |c: &Config| c.num("client-query-buffer-limit") as u64;
    latency_monitor_threshold: u64 = |c: &Config| c.num("latency-monitor-threshold") as u64;
    slowlog_log_slower_than: i64 = |c: &Config| c.num("slowlog-log-slower-than") as i64;
    slowlog_max_len: u64 = |c: &Config| c.num("slowlog-max-len") as u64;
    active_expire_effort: u32 = |c: &Config| c.num("active-expire-effort") as u32;
    maxmemory: u64 = |c: &Config| c.num("maxmemory") as u64;
    maxmemory_policy: MaxmemoryPolicy =
        |c: &Config| MaxmemoryPolicy::from_code(c.code("maxmemory-policy"));
    maxmemory_samples: i64 = |c: &Config| c.num("maxmemory-samples") as i64;
    maxmemory_eviction_tenacity: i64 = |c: &Config| c.num("maxmemory-eviction-tenacity") as i64;
    /// Negative: a percentage of maxmemory.
    maxmemory_clients: i64 = |c: &Config| c.num("maxmemory-clients") as i64;
    lfu_log_factor: i64 = |c: &Config| c.num("lfu-log-factor") as i64;
    lfu_decay_time: i64 = |c: &Config| c.num("lfu-decay-time") as i64;
    rdbcompression: bool = |c: &Config| c.flag("rdbcompression");
    rdbchecksum: bool = |c: &Config| c.flag("rdbchecksum");
    crash_log_enabled: bool = |c: &Config| c.flag("crash-log-enabled");
    use_exit_on_panic: bool = |c: &Config| c.flag("use-exit-on-panic");
    watchdog_period: u64 = |c: &Config| c.num("watchdog-period") as u64;
    rdb_del_sync_files: bool = |c: &Config| c.flag("rdb-del-sync-files");
    stop_writes_on_bgsave_error: bool = |c: &Config| c.flag("stop-writes-on-bgsave-error");
    rdb_save_incremental_fsync: bool = |c: &Config| c.flag("rdb-save-incremental-fsync");
    /// Microseconds slept after saving each key (testing aid).
    rdb_key_save_delay: i64 = |c: &Config| c.num("rdb-key-save-delay") as i64;
    /// Microseconds slept after loading each key (testing aid).
    key_load_delay: i64 = |c: &Config| c.num("key-load-delay") as i64;
    loading_process_events_interval_bytes: u64 =
        |c: &Config| c.num("loading-process-events-interval-bytes") as u64;
    appendonly: bool = |c: &Config| c.flag("appendonly");
    appendfsync: AppendFsync = |c: &Config| AppendFsync::from_code(c.code("appendfsync"));
    appendfilename: String = |c: &Config| c.text("appendfilename");
    appenddirname: String = |c: &Config| c.text("appenddirname");
    aof_use_rdb_preamble: bool = |c: &Config| c.flag("aof-use-rdb-preamble");
    aof_load_truncated: bool = |c: &Config| c.flag("aof-load-truncated");
    aof_timestamp_enabled: bool = |c: &Config| c.flag("aof-timestamp-enabled");
    no_appendfsync_on_rewrite: bool = |c: &Config| c.flag("no-appendfsync-on-rewrite");
    auto_aof_rewrite_percentage: i64 = |c: &Config| c.num("auto-aof-rewrite-percentage") as i64;
    auto_aof_rewrite_min_size: u64 = |c: &Config| c.num("auto-aof-rewrite-min-size") as u64;
    aof_rewrite_incremental_fsync: bool = |c: &Config| c.flag("aof-rewrite-incremental-fsync");
    aof_disable_auto_gc: bool = |c: &Config| c.flag("aof-disable-auto-gc");
    /// The primary to replicate from (host, port).
    replicaof: Option<(String, u16)> = |c: &Config| match c.get("replicaof") {
        Some(Value::ReplicaOf(Some((host, port)))) => Some((host.clone(), *port as u16)),
        _ => None,
    };
    masterauth: Option<Vec<u8>> = |c: &Config| c.bytes("masterauth");
    masteruser: Option<Vec<u8>> = |c: &Config| c.bytes("masteruser");
    repl_backlog_size: u64 = |c: &Config| c.num("repl-backlog-size") as u64;
    repl_backlog_ttl: i64 = |c: &Config| c.num("repl-backlog-ttl") as i64;
    repl_timeout: i64 = |c: &Config| c.num("repl-timeout") as i64;
    repl_ping_replica_period: i64 = |c: &Config| c.num("repl-ping-replica-period") as i64;
    repl_diskless_sync: bool = |c: &Config| c.flag("repl-diskless-sync");
    repl_diskless_sync_delay: i64 = |c: &Config| c.num("repl-diskless-sync-delay") as i64;
    repl_diskless_sync_max_replicas: i64 =
        |c: &Config| c.num("repl-diskless-sync-max-replicas") as i64;
    replica_read_only: bool = |c: &Config| c.flag("replica-read-only");
    replica_serve_stale_data: bool = |c: &Config| c.flag("replica-serve-stale-data");
    replica_ignore_maxmemory: bool = |c: &Config| c.flag("replica-ignore-maxmemory");
    replica_lazy_flush: bool = |c: &Config| c.flag("replica-lazy-flush");
    replica_priority: i64 = |c: &Config| c.num("replica-priority") as i64;
    replica_announced: bool = |c: &Config| c.flag("replica-announced");
    replica_announce_ip: Option<Vec<u8>> = |c: &Config| c.bytes("replica-announce-ip");
    /// Local address the replica's link to its primary binds before it
    /// connects.
    bind_source_addr: Option<Vec<u8>> = |c: &Config| c.bytes("bind-source-addr");
    replica_announce_port: u16 = |c: &Config| c.num("replica-announce-port") as u16;
    min_replicas_to_write: i64 = |c: &Config| c.num("min-replicas-to-write") as i64;
    min_replicas_max_lag: i64 = |c: &Config| c.num("min-replicas-max-lag") as i64;
    list_max_listpack_size: i64 = |c: &Config| c.num("list-max-listpack-size") as i64;
    list_compress_depth: i64 = |c: &Config| c.num("list-compress-depth") as i64;
    hash_max_listpack_entries: u64 = |c: &Config| c.num("hash-max-listpack-entries") as u64;
    hash_max_listpack_value: u64 = |c: &Config| c.num("hash-max-listpack-value") as u64;
    set_max_intset_entries: u64 = |c: &Config| c.num("set-max-intset-entries") as u64;
    zset_max_listpack_entries: u64 = |c: &Config| c.num("zset-max-listpack-entries") as u64;
    zset_max_listpack_value: u64 = |c: &Config| c.num("zset-max-listpack-value") as u64;
    stream_node_max_bytes: u64 = |c: &Config| c.num("stream-node-max-bytes") as u64;
    stream_node_max_entries: i64 = |c: &Config| c.num("stream-node-max-entries") as i64;
    hll_sparse_max_bytes: u64 = |c: &Config| c.num("hll-sparse-max-bytes") as u64;
    /// OR of `notify::*` classes.
    notify_keyspace_events: u32 = |c: &Config| match c.get("notify-keyspace-events") {
        Some(Value::Notify(flags)) => *flags,
        _ => 0,
    };
    lazyfree_lazy_eviction: bool = |c: &Config| c.flag("lazyfree-lazy-eviction");
    lazyfree_lazy_expire: bool = |c: &Config| c.flag("lazyfree-lazy-expire");
    lazyfree_lazy_server_del: bool = |c: &Config| c.flag("lazyfree-lazy-server-del");
    lazyfree_lazy_user_del: bool = |c: &Config| c.flag("lazyfree-lazy-user-del");
    lazyfree_lazy_user_flush: bool = |c: &Config| c.flag("lazyfree-lazy-user-flush");
    /// Milliseconds a script may run before others get BUSY (`lua-time-limit`).
    busy_reply_threshold: i64 = |c: &Config| c.num("busy-reply-threshold") as i64;
    activerehashing: bool = |c: &Config| c.flag("activerehashing");
    /// `oom-score-adj`: 0 no, 1 relative (yes), 2 absolute.
    oom_score_adj: i32 = |c: &Config| c.code("oom-score-adj");
    /// `oom-score-adj-values`: primary, replica, background child.
    oom_score_adj_values: [i32; 3] = |c: &Config| match c.get("oom-score-adj-values") {
        Some(Value::OomScores(s)) => *s,
        _ => value::OOM_DEFAULTS,
    };
    dynamic_hz: bool = |c: &Config| c.flag("dynamic-hz");
    /// normal, replica, pubsub.
    client_output_buffer_limits: [ObufLimit; 3] =
        |c: &Config| match c.get("client-output-buffer-limit") {
            Some(Value::ObufLimits(l)) => *l,
            _ => value::OBUF_DEFAULTS,
        };
    tracking_table_max_keys: u64 = |c: &Config| c.num("tracking-table-max-keys") as u64;
    acllog_max_len: u64 = |c: &Config| c.num("acllog-max-len") as u64;
    aclfile: String = |c: &Config| c.text("aclfile");
    /// `acl-pubsub-default allchannels`: new users may use every channel.
    acl_pubsub_default_all: bool = |c: &Config| c.code("acl-pubsub-default") != 0;
    latency_tracking: bool = |c: &Config| c.flag("latency-tracking");
    latency_tracking_info_percentiles: Vec<f64> =
        |c: &Config| match c.get("latency-tracking-info-percentiles") {
            Some(Value::Percentiles(p)) => p.clone(),
            _ => Vec::new(),
        };
    /// OR of `shutdown-on-sigint` flags (1 save, 2 nosave, 4 now, 8 force).
    shutdown_on_sigint: i32 = |c: &Config| c.code("shutdown-on-sigint");
    shutdown_on_sigterm: i32 = |c: &Config| c.code("shutdown-on-sigterm");
    shutdown_timeout: i64 = |c: &Config| c.num("shutdown-timeout") as i64;
    cluster_enabled: bool = |c: &Config| c.flag("cluster-enabled");
    unixsocket: Option<Vec<u8>> = |c: &Config| c.bytes("unixsocket");
    /// `repl-diskless-load`: 0 disabled, 1 on-empty-db, 2 swapdb.
    repl_diskless_load: i32 = |c: &Config| c.code("repl-diskless-load");
    /// File mode of the Unix socket (0: left as the umask makes it).
    unixsocketperm: u32 = |c: &Config| c.num("unixsocketperm") as u32;
}

impl Default for Config {
    fn default() -> Self {
        let values = DIRECTIVES.iter().map(Value::default_for).collect();
        let mut config = Config::blank(values);
        config.refresh_typed();
        config
    }
}

/// A configuration that cannot be used: the server does not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Reported as Redis's `*** FATAL CONFIG FILE ERROR ***` block; `line`
    /// is (line number, line text) when the error is about one line.
    Bad {
        line: Option<(usize, Vec<u8>)>,
        message: String,
    },
    /// A config file (or an included one) could not be opened.
    CantOpen { path: String, reason: String },
}

impl ConfigError {
    fn at(number: usize, line: &[u8], message: impl Into<String>) -> ConfigError {
        ConfigError::Bad {
            line: Some((number, line.to_vec())),
            message: message.into(),
        }
    }

    fn general(message: impl Into<String>) -> ConfigError {
        ConfigError::Bad {
            line: None,
            message: message.into(),
        }
    }
}

/// Directives Redis still accepts and ignores (with exactly one argument).
const DEPRECATED: [&str; 3] = [
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// How deep `include` may nest (Redis recurses until it crashes).
const MAX_INCLUDE_DEPTH: usize = 64;

impl Config {
    /// The current value of the directive with primary name `name` (for
    /// directives that have no typed field yet).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let id = table::id_of(name);
        debug_assert!(id.is_some(), "no directive named {}", name);
        id.and_then(|id| self.values.get(id))
    }

    /// `repl-backlog-size` in bytes (at least 1).
    pub fn backlog_size(&self) -> usize {
        usize::try_from(self.repl_backlog_size.max(1)).unwrap_or(usize::MAX)
    }

    fn num(&self, name: &str) -> i128 {
        self.get(name).map(Value::as_num).unwrap_or(0)
    }

    fn code(&self, name: &str) -> i32 {
        self.num(name) as i32
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(Value::as_bool)
    }

    fn text(&self, name: &str) -> String {
        self.get(name).map(Value::as_string).unwrap_or_default()
    }

    fn bytes(&self, name: &str) -> Option<Vec<u8>> {
        self.get(name).and_then(Value::as_bytes).map(<[u8]>::to_vec)
    }

    /// The value of directive `id` (index in [`DIRECTIVES`]).
    pub fn value_at(&self, id: usize) -> &Value {
        &self.values[id]
    }

    /// The CONFIG GET text of directive `id`.
    pub fn get_text(&self, id: usize) -> Vec<u8> {
        value::get_text(&DIRECTIVES[id], &self.values[id])
    }

    /// A copy of directive `id`'s value that [`Config::restore`] puts back
    /// (for `dir`, the working directory now).
    pub fn snapshot(&self, id: usize) -> Value {
        match &self.values[id] {
            Value::Dir(_) => Value::Dir(value::current_dir()),
            v => v.clone(),
        }
    }

    /// Puts back a value taken by [`Config::snapshot`].
    pub fn restore(&mut self, id: usize, v: Value) {
        if let Value::Dir(path) = &v {
            if let Err(e) = change_dir(path) {
                log::warn!("Failed restoring the working directory: {}", e);
            }
        }
        self.values[id] = v;
        self.refresh_typed();
    }

    /// Sets directive `id` from its words, as a config file line does.
    /// Returns whether the value changed.
    pub fn set_words(&mut self, id: usize, words: &[&[u8]]) -> Result<bool, ParseError> {
        let d = &DIRECTIVES[id];
        let mut new = value::parse(d, words, &self.values[id])?;
        match &mut new {
            Value::Dir(path) => change_dir(path)?,
            Value::Num(n) if d.name == "hz" => *n = (*n).clamp(1, 500),
            Value::Save(points) if self.reading_file => {
                let mut merged = match &self.values[id] {
                    Value::Save(old)
                        if self.save_loaded && !value::lone_empty_is_none(words).is_empty() =>
                    {
                        old.clone()
                    }
                    _ => Vec::new(),
                };
                self.save_loaded = true;
                merged.append(points);
                *points = merged;
            }
            _ => {}
        }
        let changed = new != self.values[id] || matches!(new, Value::Dir(_) | Value::Bind(_));
        self.values[id] = new;
        self.refresh_typed();
        Ok(changed)
    }

    /// Sets directive `id` from a CONFIG SET value: multi-word directives
    /// split it at each space. Returns whether the value changed.
    pub fn set_from_command(&mut self, id: usize, text: &[u8]) -> Result<bool, ParseError> {
        let words: Vec<&[u8]> = if !DIRECTIVES[id].has(flag::MULTI_ARG) {
            vec![text]
        } else if text.is_empty() {
            Vec::new()
        } else {
            text.split(|&b| b == b' ').collect()
        };
        self.set_words(id, &words)
    }

    /// Sets a directive by name from one value (for the server's own
    /// changes, such as the pid file chosen when daemonizing).
    pub fn set_internal(&mut self, name: &str, text: &str) -> Result<(), ParseError> {
        let id = table::id_of(name).ok_or(Cow::Borrowed("unknown directive"))?;
        self.set_from_command(id, text.as_bytes()).map(|_| ())
    }

    /// Whether TLS would be needed (a TLS port, or TLS for replication or
    /// the cluster bus); reddish has no TLS.
    pub fn tls_in_use(&self) -> bool {
        self.num("tls-port") != 0 || self.flag("tls-replication") || self.flag("tls-cluster")
    }

    /// Directives whose feature reddish does not implement yet and that are
    /// configured away from their default.
    pub fn unbuilt_in_use(&self) -> Vec<&'static str> {
        let out: Vec<&'static str> = DIRECTIVES
            .iter()
            .zip(&self.values)
            .filter(|(d, v)| !d.is_built() && **v != Value::default_for(d))
            .map(|(d, _)| d.name)
            .collect();
        out
    }

    /// Applies a configuration text (a file's content, plus stdin and the
    /// command-line options for the main one), line by line, as Redis's
    /// `loadServerConfigFromString`.
    pub fn load_text(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        self.load_text_at(text, 0)
    }

    fn load_text_at(&mut self, text: &[u8], depth: usize) -> Result<(), ConfigError> {
        self.reading_file = true;
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim(raw, b" \t\r\n");
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            self.load_line(line, depth).map_err(|e| match e {
                LineError::Message(m) => ConfigError::at(i + 1, line, m),
                LineError::Fatal(f) => f,
            })?;
        }
        self.finish_load()
    }

    /// Checks made once a whole text has been read.
    fn finish_load(&mut self) -> Result<(), ConfigError> {
        self.reading_file = false;
        if !self.logfile.is_empty() {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.logfile)
                .map_err(|e| {
                    ConfigError::general(format!(
                        "Can't open the log file: {}",
                        value::strerror(&e)
                    ))
                })?;
        }
        if self.cluster_enabled && self.replicaof.is_some() {
            return Err(ConfigError::general(
                "replicaof directive not allowed in cluster mode",
            ));
        }
        Ok(())
    }

    fn load_line(&mut self, line: &[u8], depth: usize) -> Result<(), LineError> {
        let argv = crate::util::split_args(line).ok_or(LineError::Message(
            "Unbalanced quotes in configuration line".into(),
        ))?;
        let Some(first) = argv.first() else {
            return Ok(());
        };
        let name = String::from_utf8_lossy(first).to_ascii_lowercase();
        if let Some(found) = lookup(name.as_bytes()) {
            return self
                .set_from_line(found.id, &argv)
                .map_err(|e| LineError::Message(e.into_owned()));
        }
        if DEPRECATED.contains(&name.as_str()) && argv.len() == 2 {
            return Ok(());
        }
        self.load_other_directive(&name, &argv, depth)
    }

    /// A known directive on a config line: a multi-word directive given
    /// as one argument (`--save "900 1"`) is split again.
    fn set_from_line(&mut self, id: usize, argv: &[Vec<u8>]) -> Result<(), ParseError> {
        let multi = DIRECTIVES[id].has(flag::MULTI_ARG);
        if !multi && argv.len() != 2 {
            return Err(value::WRONG_ARGS.into());
        }
        let resplit;
        let words: Vec<&[u8]> = match argv {
            [_, single] if multi && !single.is_empty() => {
                resplit = crate::util::split_args(single).unwrap_or_default();
                resplit.iter().map(Vec::as_slice).collect()
            }
            _ => argv[1..].iter().map(Vec::as_slice).collect(),
        };
        self.set_words(id, &words).map(|_| ())
    }

    /// Directives that are not configuration values: include,
    /// rename-command, user, loadmodule, module options, sentinel.
    fn load_other_directive(
        &mut self,
        name: &str,
        argv: &[Vec<u8>],
        depth: usize,
    ) -> Result<(), LineError> {
        let words: Vec<String> = argv
            .iter()
            .skip(1)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        match (name, argv.len()) {
            ("include", 2) => self.include(&words[0], depth).map_err(LineError::Fatal),
            ("rename-command", 3) => self
                .rename_command(&words[0], &words[1])
                .map_err(|m| LineError::Message(m.into())),
            ("user", n) if n >= 2 => self.add_user(argv),
            ("loadmodule", n) if n >= 2 => {
                self.modules.push(words);
                Ok(())
            }
            (n, argc) if n.contains('.') => {
                if argc < 2 {
                    return Err(LineError::Message(
                        "Module config specified without value".into(),
                    ));
                }
                let original = String::from_utf8_lossy(&argv[0]).into_owned();
                self.module_configs.push((original, words.join(" ")));
                Ok(())
            }
            ("sentinel", 1) => Ok(()),
            ("sentinel", _) => Err(LineError::Message(
                "sentinel directive while not in sentinel mode".into(),
            )),
            _ => Err(LineError::Message(
                "Bad directive or wrong number of arguments".into(),
            )),
        }
    }

    /// A `user` line, checked as Redis checks it when reading it.
    fn add_user(&mut self, argv: &[Vec<u8>]) -> Result<(), LineError> {
        let words = argv.get(1..).unwrap_or_default().to_vec();
        if let Some(check) = self.user_check {
            check(&words, &self.users, self.acl_pubsub_default_all).map_err(|(at, message)| {
                let word = argv.get(at).map(|w| {
                    let end = w.iter().position(|&b| b == 0).unwrap_or(w.len());
                    String::from_utf8_lossy(&w[..end]).into_owned()
                });
                LineError::Message(format!(
                    "Error in user declaration '{}': {}",
                    word.unwrap_or_default(),
                    message
                ))
            })?;
        }
        self.users.push(words);
        Ok(())
    }

    /// Reads and applies an included file (or every file a pattern matches).
    fn include(&mut self, pattern: &str, depth: usize) -> Result<(), ConfigError> {
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(ConfigError::general("Too many nested include directives"));
        }
        let text = read_config_source(pattern)?;
        self.load_text_at(&text, depth + 1)
    }

    /// Records `rename-command old new`, checked against the command table
    /// with the renames before it applied.
    fn rename_command(&mut self, old: &str, new: &str) -> Result<(), &'static str> {
        let mut names = self.command_names.clone();
        for (from, to) in &self.renamed_commands {
            names.retain(|n| !n.eq_ignore_ascii_case(from));
            if !to.is_empty() {
                names.push(to.clone());
            }
        }
        let position = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(old))
            .ok_or("No such command in rename-command")?;
        names.remove(position);
        if !new.is_empty() && names.iter().any(|n| n.eq_ignore_ascii_case(new)) {
            return Err("Target command name already exists");
        }
        self.renamed_commands
            .push((old.to_string(), new.to_string()));
        Ok(())
    }
}

/// Checks a `user` line's words after `user` against the users declared
/// before it: `Err((index, message))`, the index of the word of the whole
/// line (`user` being 0) Redis names in its error.
pub type UserCheck = fn(&[Vec<u8>], &[Vec<Vec<u8>>], bool) -> Result<(), (usize, &'static str)>;

/// A failure while reading one line.
enum LineError {
    /// Reported with the line.
    Message(String),
    /// Already complete (an included file's own error).
    Fatal(ConfigError),
}

pub fn trim<'a>(mut s: &'a [u8], chars: &[u8]) -> &'a [u8] {
    while let Some((first, rest)) = s.split_first() {
        if !chars.contains(first) {
            break;
        }
        s = rest;
    }
    while let Some((last, rest)) = s.split_last() {
        if !chars.contains(last) {
            break;
        }
        s = rest;
    }
    s
}

fn change_dir(path: &[u8]) -> Result<(), ParseError> {
    use std::os::unix::ffi::OsStrExt;
    std::env::set_current_dir(std::ffi::OsStr::from_bytes(path))
        .map_err(|e| Cow::Owned(value::strerror(&e)))
}

/// The content of a config file, or of every file a glob pattern matches
/// (none matching is no error, as in Redis).
pub fn read_config_source(path: &str) -> Result<Vec<u8>, ConfigError> {
    let files = if path.contains(['*', '?', '[']) {
        glob_paths(path)
    } else {
        vec![path.to_string()]
    };
    let mut text = Vec::new();
    for file in files {
        match std::fs::read(&file) {
            Ok(content) => text.extend_from_slice(&content),
            // fopen() accepts a directory; reading it yields nothing.
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => {}
            Err(e) => {
                return Err(ConfigError::CantOpen {
                    path: file,
                    reason: value::strerror(&e),
                })
            }
        }
    }
    Ok(text)
}

/// Paths matching a shell pattern, sorted, as glob(3) returns them.
fn glob_paths(pattern: &str) -> Vec<String> {
    let Ok(c_pattern) = std::ffi::CString::new(pattern) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // SAFETY: `glob_t` is a plain C struct for which all-zero bytes are a
    // valid initial state; glob() gets a NUL-terminated pattern and fills
    // the struct; we read exactly `gl_pathc` entries of `gl_pathv`, each a
    // NUL-terminated string owned by the struct, before globfree() frees it.
    unsafe {
        let mut g: libc::glob_t = std::mem::zeroed();
        if libc::glob(c_pattern.as_ptr(), 0, None, &mut g) == 0 {
            for i in 0..g.gl_pathc {
                let p = *g.gl_pathv.add(i);
                if !p.is_null() {
                    out.push(std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned());
                }
            }
        }
        libc::globfree(&mut g);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let mut c = Config {
            command_names: ["get", "set", "del", "config", "flushall"]
                .map(String::from)
                .to_vec(),
            ..Config::default()
        };
        c.load_text(text.as_bytes())?;
        Ok(c)
    }

    fn error_message(text: &str) -> String {
        match load(text) {
            Err(ConfigError::Bad { message, .. }) => message,
            other => format!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        assert_eq!(c.port, 6379);
        assert_eq!(c.hz, 10);
        assert_eq!(c.bind, vec!["*", "-::*"]);
        assert_eq!(c.save, vec![(3600, 1), (300, 100), (60, 10000)]);
        assert_eq!(c.maxclients, 10000);
        assert_eq!(c.proto_max_bulk_len, 512 << 20);
        assert_eq!(c.list_max_listpack_size, -2);
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::NoEviction);
        let get = |n: &str| {
            table::id_of(n)
                .map(|id| String::from_utf8_lossy(&c.get_text(id)).into_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            get("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(get("latency-tracking-info-percentiles"), "50 99 99.9");
        assert_eq!(get("save"), "3600 1 300 100 60 10000");
        assert_eq!(get("unixsocketperm"), "0");
        assert_eq!(get("shutdown-on-sigint"), "default");
        assert!(c.unbuilt_in_use().is_empty());
    }

    #[test]
    fn lines_set_typed_fields() {
        let c = load("port 7000\n  hz 1000 \r\n# comment\nbind 127.0.0.1 ::1\nslaveof h 1\nmaxmemory 1mb\nrequirepass \"a b\"\n").ok();
        let c = c.unwrap_or_default();
        assert_eq!(c.port, 7000);
        assert_eq!(c.hz, 500);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.replicaof, Some(("h".into(), 1)));
        assert_eq!(c.maxmemory, 1 << 20);
        assert_eq!(c.requirepass.as_deref(), Some(&b"a b"[..]));
        assert!(!c.unbuilt_in_use().contains(&"maxmemory"));
    }

    #[test]
    fn implemented_directives_are_not_reported_as_unbuilt() {
        let c = load("notify-keyspace-events KEA\nactiverehashing no\nshutdown-timeout 3\nset-max-intset-entries 5\nclient-output-buffer-limit pubsub 1mb 1mb 0\n")
            .unwrap_or_default();
        assert!(c.unbuilt_in_use().is_empty(), "{:?}", c.unbuilt_in_use());
        let c = load("io-threads 4\n").unwrap_or_default();
        assert_eq!(c.unbuilt_in_use(), ["io-threads"]);
    }

    #[test]
    fn save_lines_accumulate_in_a_file() {
        let c = load("save 100 1\nsave 200 2\n").unwrap_or_default();
        assert_eq!(c.save, vec![(100, 1), (200, 2)]);
        let c = load("save 100 1\nsave \"\"\nsave 5 5\n").unwrap_or_default();
        assert_eq!(c.save, vec![(5, 5)]);
        let c = load("save \"100 1 200 2\"\n").unwrap_or_default();
        assert_eq!(c.save, vec![(100, 1), (200, 2)]);
    }

    #[test]
    fn errors_name_the_line() {
        match load("port 1\n\nfoo bar\n") {
            Err(ConfigError::Bad {
                line: Some((3, line)),
                message,
            }) => {
                assert_eq!(line, b"foo bar");
                assert_eq!(message, "Bad directive or wrong number of arguments");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(
            error_message("port x"),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(error_message("port 1 2"), "wrong number of arguments");
        assert_eq!(
            error_message("x \"y"),
            "Unbalanced quotes in configuration line"
        );
        assert_eq!(
            error_message("loglevel loud"),
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        );
        assert_eq!(
            error_message("foo.bar"),
            "Module config specified without value"
        );
        assert_eq!(
            error_message("sentinel monitor x"),
            "sentinel directive while not in sentinel mode"
        );
        assert_eq!(
            error_message("rename-command nosuch x"),
            "No such command in rename-command"
        );
        assert_eq!(
            error_message("rename-command get set"),
            "Target command name already exists"
        );
        assert_eq!(
            error_message("logfile /nonexistent/dir/x.log"),
            "Can't open the log file: No such file or directory"
        );
    }

    #[test]
    fn deprecated_and_sentinel_lines_are_ignored() {
        assert!(load("list-max-ziplist-entries 5\nsentinel\n").is_ok());
        assert!(load("list-max-ziplist-entries 5 6\n").is_err());
    }

    #[test]
    fn set_from_command_splits_multi_words() {
        let mut c = Config::default();
        let save = table::id_of("save").unwrap_or(0);
        assert_eq!(c.set_from_command(save, b"10 1 20 2"), Ok(true));
        assert_eq!(c.save, vec![(10, 1), (20, 2)]);
        assert_eq!(c.set_from_command(save, b""), Ok(true));
        assert!(c.save.is_empty());
        let port = table::id_of("port").unwrap_or(0);
        assert_eq!(c.set_from_command(port, b"6379"), Ok(false));
    }
}
