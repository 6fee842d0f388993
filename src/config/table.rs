//! The table of every directive redis-server 7.0.15 knows: name, alias,
//! flags, type with default and bounds, and what must happen on the server
//! when CONFIG SET changes it. Everything else (file loading, CONFIG
//! GET/SET/REWRITE) is driven by this table.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Directive flags (Redis's `*_CONFIG` flags that change behaviour).
pub mod flag {
    /// CONFIG SET refuses it: `can't set immutable config`.
    pub const IMMUTABLE: u16 = 1 << 0;
    /// Its value is a secret (redacted from logs by Redis).
    pub const SENSITIVE: u16 = 1 << 1;
    /// Takes several words (`save 900 1 300 10`, `bind a b`).
    pub const MULTI_ARG: u16 = 1 << 2;
    /// Matched by CONFIG GET only by its exact name, never by a pattern.
    pub const HIDDEN: u16 = 1 << 3;
    /// CONFIG SET needs `enable-protected-configs`.
    pub const PROTECTED: u16 = 1 << 4;
    /// Refused while loading a data set.
    pub const DENY_LOADING: u16 = 1 << 5;
    /// reddish implements what the directive controls (the others are
    /// accepted, stored and returned, and have no effect yet).
    pub const BUILT: u16 = 1 << 6;
}

/// How a number is written and read besides plain integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFormat {
    Int,
    /// Accepts `1gb`, `10mb`, `5k`...; rewritten with the largest exact unit.
    Memory,
    /// A memory value or `N%` (stored as `-N`).
    MemoryOrPercent,
    /// Read and printed in base 8 (`unixsocketperm`).
    Octal,
}

/// Checks a string value before it is stored.
pub type StrCheck = fn(&[u8]) -> Result<(), &'static str>;
/// Checks a yes/no value before it is stored.
pub type BoolCheck = fn(bool) -> Result<(), &'static str>;
/// Checks an enum value (OR of flags for multi-word enums).
pub type EnumCheck = fn(i32) -> Result<(), &'static str>;

/// Directives with their own parsing and printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// The working directory: set by chdir, read by getcwd.
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyTrackingInfoPercentiles,
}

/// The type of a directive, with its default.
#[derive(Clone, Copy)]
pub enum Kind {
    Bool {
        default: bool,
        check: Option<BoolCheck>,
    },
    /// Any C integer type. `unsigned` marks the types Redis bounds-checks
    /// as unsigned (unsigned int, size_t, unsigned long long).
    Num {
        min: i128,
        max: i128,
        default: i128,
        unsigned: bool,
        format: NumFormat,
    },
    Str {
        default: Option<&'static str>,
        /// An empty value means "not set" (printed as "", dropped by REWRITE).
        empty_is_null: bool,
        check: Option<StrCheck>,
    },
    /// Named values; with `MULTI_ARG`, a set of flags.
    Enum {
        names: &'static [(&'static str, i32)],
        default: i32,
        check: Option<EnumCheck>,
    },
    Special(Special),
}

/// What the server must do after CONFIG SET changed a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// Re-open the listening sockets on the new port.
    Port,
    /// Re-open the listening sockets on the new addresses.
    Bind,
    LogLevel,
    /// Raise the open files limit for the new `maxclients`.
    MaxClients,
    /// (Re)configure TLS, which reddish does not support.
    Tls,
    /// Turn the AOF on or off (the persistence feature does it).
    AppendOnly,
    /// Delete the AOF history now that automatic deletion is back on.
    AofAutoGc,
    /// Arm or disarm the watchdog alarm.
    Watchdog,
    /// The default user's password follows `requirepass`.
    RequirePass,
    /// Evict down to the new `maxmemory` (from a timer, as Redis).
    Maxmemory,
    /// Set the process title from the new template.
    ProcTitle,
    /// Count clients' memory (or stop) and evict down to the new limit.
    MaxmemoryClients,
    /// Write the process's OOM score adjustment again.
    OomScore,
}

/// One directive.
#[derive(Clone, Copy)]
pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u16,
    pub kind: Kind,
    pub apply: Option<Apply>,
}

impl Directive {
    const fn new(name: &'static str, kind: Kind) -> Directive {
        Directive {
            name,
            alias: None,
            flags: 0,
            kind,
            apply: None,
        }
    }

    const fn alias(mut self, alias: &'static str) -> Directive {
        self.alias = Some(alias);
        self
    }

    const fn with(mut self, flags: u16) -> Directive {
        self.flags |= flags;
        self
    }

    const fn immutable(self) -> Directive {
        self.with(flag::IMMUTABLE)
    }

    const fn built(self) -> Directive {
        self.with(flag::BUILT)
    }

    const fn apply(mut self, apply: Apply) -> Directive {
        self.apply = Some(apply);
        self
    }

    /// Memory units accepted (numbers only).
    const fn memory(mut self) -> Directive {
        if let Kind::Num { ref mut format, .. } = self.kind {
            *format = NumFormat::Memory;
        }
        self
    }

    const fn string_check(mut self, f: StrCheck) -> Directive {
        if let Kind::Str { ref mut check, .. } = self.kind {
            *check = Some(f);
        }
        self
    }

    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }

    pub fn is_built(&self) -> bool {
        self.has(flag::BUILT)
    }
}

const fn yes_no(name: &'static str, default: bool) -> Directive {
    Directive::new(
        name,
        Kind::Bool {
            default,
            check: None,
        },
    )
}

/// A signed integer directive (int, long, long long, ssize_t, time_t, off_t).
const fn int(name: &'static str, min: i128, max: i128, default: i128) -> Directive {
    Directive::new(
        name,
        Kind::Num {
            min,
            max,
            default,
            unsigned: false,
            format: NumFormat::Int,
        },
    )
}

/// An unsigned integer directive (unsigned int, size_t, unsigned long long).
const fn uint(name: &'static str, min: i128, max: i128, default: i128) -> Directive {
    Directive::new(
        name,
        Kind::Num {
            min,
            max,
            default,
            unsigned: true,
            format: NumFormat::Int,
        },
    )
}

/// A string where "" is a value of its own.
const fn string(name: &'static str, default: &'static str) -> Directive {
    Directive::new(
        name,
        Kind::Str {
            default: Some(default),
            empty_is_null: false,
            check: None,
        },
    )
}

/// A string that is unset by default and when set to "".
const fn optional(name: &'static str) -> Directive {
    Directive::new(
        name,
        Kind::Str {
            default: None,
            empty_is_null: true,
            check: None,
        },
    )
}

const fn choice(
    name: &'static str,
    names: &'static [(&'static str, i32)],
    default: i32,
) -> Directive {
    Directive::new(
        name,
        Kind::Enum {
            names,
            default,
            check: None,
        },
    )
}

const fn special(name: &'static str, s: Special) -> Directive {
    Directive::new(name, Kind::Special(s))
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

/// Log levels by Redis's numbers.
pub const LOGLEVELS: &[(&str, i32)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED: &[(&str, i32)] = &[("upstart", 3), ("systemd", 2), ("auto", 1), ("no", 0)];
const SYSLOG_FACILITIES: &[(&str, i32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const REPL_DISKLESS_LOAD: &[(&str, i32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
/// Eviction policies by Redis's numbers.
pub const MAXMEMORY_POLICIES: &[(&str, i32)] = &[
    ("volatile-lru", 1),
    ("volatile-lfu", 0x102),
    ("volatile-random", 0x300),
    ("volatile-ttl", 0x200),
    ("allkeys-lru", 0x405),
    ("allkeys-lfu", 0x506),
    ("allkeys-random", 0x604),
    ("noeviction", 0x700),
];
/// `appendfsync` values by Redis's numbers.
pub const APPENDFSYNC: &[(&str, i32)] = &[("everysec", 2), ("always", 1), ("no", 0)];
const OOM_SCORE_ADJ: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, i32)] = &[("allchannels", 8), ("resetchannels", 0)];
const SANITIZE_DUMP: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// `no` / `yes` / `local` (protected configs and commands).
pub const PROTECTION: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPES: &[(&str, i32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, i32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
const TLS_AUTH_CLIENTS: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
/// SHUTDOWN flags that `shutdown-on-sigint/sigterm` combine.
pub const SHUTDOWN_FLAGS: &[(&str, i32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

const fn shutdown_on(name: &'static str) -> Directive {
    Directive::new(
        name,
        Kind::Enum {
            names: SHUTDOWN_FLAGS,
            default: 0,
            check: Some(check_shutdown_flags),
        },
    )
    .with(flag::MULTI_ARG)
}

fn check_shutdown_flags(v: i32) -> Result<(), &'static str> {
    if v & 1 != 0 && v & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

/// A file or directory name that must not be a path (nor empty, when
/// `empty` gives the error for that).
fn check_base_name(
    v: &[u8],
    empty: Option<&'static str>,
    path: &'static str,
) -> Result<(), &'static str> {
    match empty {
        Some(e) if v.is_empty() => Err(e),
        _ if v.contains(&b'/') => Err(path),
        _ => Ok(()),
    }
}

/// Like a Redis built without its own jemalloc, reddish cannot defragment.
fn check_active_defrag(on: bool) -> Result<(), &'static str> {
    if on {
        return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
    }
    Ok(())
}

fn check_dbfilename(v: &[u8]) -> Result<(), &'static str> {
    check_base_name(v, None, "dbfilename can't be a path, just a filename")
}

fn check_appendfilename(v: &[u8]) -> Result<(), &'static str> {
    check_base_name(
        v,
        Some("appendfilename can't be empty"),
        "appendfilename can't be a path, just a filename",
    )
}

fn check_appenddirname(v: &[u8]) -> Result<(), &'static str> {
    check_base_name(
        v,
        Some("appenddirname can't be empty"),
        "appenddirname can't be a path, just a dirname",
    )
}

fn check_hostname(v: &[u8]) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// The variables `proc-title-template` may name.
pub const PROC_TITLE_VARIABLES: [&str; 7] = [
    "title",
    "listen-addr",
    "server-mode",
    "config-file",
    "port",
    "tls-port",
    "unixsocket",
];

/// A template is valid when every `{variable}` is known and the expansion
/// (with an empty title) is not blank.
fn check_proc_title_template(v: &[u8]) -> Result<(), &'static str> {
    const INVALID: &str = "template format is invalid or contains unknown variables";
    let expanded = crate::util::expand_template(v, |name| {
        let known = PROC_TITLE_VARIABLES.iter().any(|k| k.as_bytes() == name);
        // Values that may be empty expand to nothing, the others to text.
        let empty = matches!(name, b"title" | b"server-mode" | b"unixsocket");
        known.then(|| if empty { Vec::new() } else { b"x".to_vec() })
    })
    .ok_or(INVALID)?;
    if expanded.iter().all(|&c| c == b' ') {
        return Err(INVALID);
    }
    Ok(())
}

use flag::{DENY_LOADING as DENY, HIDDEN, MULTI_ARG as MULTI, PROTECTED, SENSITIVE};

/// Every directive, in the order of Redis's own table.
pub static DIRECTIVES: &[Directive] = &[
    yes_no("rdbchecksum", true).immutable().built(),
    yes_no("daemonize", false).immutable().built(),
    yes_no("io-threads-do-reads", false).immutable(),
    yes_no("always-show-logo", false).immutable().built(),
    yes_no("protected-mode", true).built(),
    yes_no("rdbcompression", true).built(),
    yes_no("rdb-del-sync-files", false),
    yes_no("activerehashing", true).built(),
    yes_no("stop-writes-on-bgsave-error", true).built(),
    yes_no("set-proc-title", true).immutable().built(),
    yes_no("dynamic-hz", true),
    yes_no("lazyfree-lazy-eviction", false).built(),
    yes_no("lazyfree-lazy-expire", false).built(),
    yes_no("lazyfree-lazy-server-del", false).built(),
    yes_no("lazyfree-lazy-user-del", false).built(),
    yes_no("lazyfree-lazy-user-flush", false).built(),
    yes_no("repl-disable-tcp-nodelay", false),
    yes_no("repl-diskless-sync", true).built(),
    yes_no("aof-rewrite-incremental-fsync", true).built(),
    yes_no("no-appendfsync-on-rewrite", false).built(),
    yes_no("cluster-require-full-coverage", true),
    yes_no("rdb-save-incremental-fsync", true).built(),
    yes_no("aof-load-truncated", true).built(),
    yes_no("aof-use-rdb-preamble", true).built(),
    yes_no("aof-timestamp-enabled", false).built(),
    yes_no("cluster-replica-no-failover", false).alias("cluster-slave-no-failover"),
    yes_no("replica-lazy-flush", false)
        .alias("slave-lazy-flush")
        .built(),
    yes_no("replica-serve-stale-data", true)
        .alias("slave-serve-stale-data")
        .built(),
    yes_no("replica-read-only", true)
        .alias("slave-read-only")
        .built(),
    yes_no("replica-ignore-maxmemory", true)
        .alias("slave-ignore-maxmemory")
        .built(),
    yes_no("jemalloc-bg-thread", true),
    Directive::new(
        "activedefrag",
        Kind::Bool {
            default: false,
            check: Some(check_active_defrag),
        },
    ),
    yes_no("syslog-enabled", false).immutable(),
    yes_no("cluster-enabled", false).immutable(),
    yes_no("appendonly", false)
        .with(DENY)
        .built()
        .apply(Apply::AppendOnly),
    yes_no("cluster-allow-reads-when-down", false),
    yes_no("cluster-allow-pubsubshard-when-down", true),
    yes_no("crash-log-enabled", true).built(),
    yes_no("crash-memcheck-enabled", true),
    yes_no("use-exit-on-panic", false).with(HIDDEN).built(),
    yes_no("disable-thp", true).immutable(),
    yes_no("cluster-allow-replica-migration", true),
    yes_no("replica-announced", true).built(),
    yes_no("latency-tracking", true).built(),
    yes_no("aof-disable-auto-gc", false)
        .built()
        .apply(Apply::AofAutoGc),
    yes_no("replica-ignore-disk-write-errors", false),
    // Strings.
    string("aclfile", "").immutable().built(),
    optional("unixsocket").immutable().built(),
    optional("pidfile").immutable().built(),
    optional("replica-announce-ip")
        .alias("slave-announce-ip")
        .built(),
    optional("masteruser").with(SENSITIVE).built(),
    optional("cluster-announce-ip"),
    string("cluster-config-file", "nodes.conf").immutable(),
    optional("cluster-announce-hostname").string_check(check_hostname),
    string("syslog-ident", "redis").immutable(),
    string("dbfilename", "dump.rdb")
        .with(PROTECTED)
        .built()
        .string_check(check_dbfilename),
    string("appendfilename", "appendonly.aof")
        .immutable()
        .built()
        .string_check(check_appendfilename),
    string("appenddirname", "appendonlydir")
        .immutable()
        .built()
        .string_check(check_appenddirname),
    optional("server_cpulist").immutable(),
    optional("bio_cpulist").immutable(),
    optional("aof_rewrite_cpulist").immutable(),
    optional("bgsave_cpulist").immutable(),
    string("ignore-warnings", ""),
    string("proc-title-template", "{title} {listen-addr} {server-mode}")
        .string_check(check_proc_title_template)
        .apply(Apply::ProcTitle)
        .built(),
    optional("bind-source-addr").built(),
    string("logfile", "").immutable().built(),
    optional("masterauth").with(SENSITIVE).built(),
    optional("requirepass")
        .with(SENSITIVE)
        .built()
        .apply(Apply::RequirePass),
    // Enums.
    choice("supervised", SUPERVISED, 0).immutable(),
    choice("syslog-facility", SYSLOG_FACILITIES, 128).immutable(),
    choice("repl-diskless-load", REPL_DISKLESS_LOAD, 0)
        .with(DENY)
        .built(),
    choice("loglevel", LOGLEVELS, 2)
        .built()
        .apply(Apply::LogLevel),
    choice("maxmemory-policy", MAXMEMORY_POLICIES, 0x700).built(),
    choice("appendfsync", APPENDFSYNC, 2).built(),
    choice("oom-score-adj", OOM_SCORE_ADJ, 0)
        .apply(Apply::OomScore)
        .built(),
    choice("acl-pubsub-default", ACL_PUBSUB_DEFAULT, 0).built(),
    choice("sanitize-dump-payload", SANITIZE_DUMP, 0).built(),
    choice("enable-protected-configs", PROTECTION, 0)
        .immutable()
        .built(),
    choice("enable-debug-command", PROTECTION, 0)
        .immutable()
        .built(),
    choice("enable-module-command", PROTECTION, 0)
        .immutable()
        .built(),
    choice("cluster-preferred-endpoint-type", ENDPOINT_TYPES, 0),
    choice("propagation-error-behavior", PROPAGATION_ERROR, 0),
    shutdown_on("shutdown-on-sigint").built(),
    shutdown_on("shutdown-on-sigterm").built(),
    // Signed integers.
    int("databases", 1, INT_MAX, 16).immutable().built(),
    int("port", 0, 65535, 6379).built().apply(Apply::Port),
    int("io-threads", 1, 128, 1).immutable(),
    int("auto-aof-rewrite-percentage", 0, INT_MAX, 100).built(),
    int("cluster-replica-validity-factor", 0, INT_MAX, 10).alias("cluster-slave-validity-factor"),
    int("list-max-listpack-size", INT_MIN, INT_MAX, -2)
        .alias("list-max-ziplist-size")
        .built(),
    int("tcp-keepalive", 0, INT_MAX, 300).built(),
    int("cluster-migration-barrier", 0, INT_MAX, 1),
    int("active-defrag-cycle-min", 1, 99, 1),
    int("active-defrag-cycle-max", 1, 99, 25),
    int("active-defrag-threshold-lower", 0, 1000, 10),
    int("active-defrag-threshold-upper", 0, 1000, 100),
    int("lfu-log-factor", 0, INT_MAX, 10).built(),
    int("lfu-decay-time", 0, INT_MAX, 1).built(),
    int("replica-priority", 0, INT_MAX, 100)
        .alias("slave-priority")
        .built(),
    int("repl-diskless-sync-delay", 0, INT_MAX, 5).built(),
    int("maxmemory-samples", 1, INT_MAX, 5).built(),
    int("maxmemory-eviction-tenacity", 0, 100, 10).built(),
    int("timeout", 0, INT_MAX, 0).built(),
    int("replica-announce-port", 0, 65535, 0)
        .alias("slave-announce-port")
        .built(),
    int("tcp-backlog", 0, INT_MAX, 511).immutable().built(),
    int("cluster-port", 0, 65535, 0).immutable(),
    int("cluster-announce-bus-port", 0, 65535, 0),
    int("cluster-announce-port", 0, 65535, 0),
    int("cluster-announce-tls-port", 0, 65535, 0),
    int("repl-timeout", 1, INT_MAX, 60).built(),
    int("repl-ping-replica-period", 1, INT_MAX, 10)
        .alias("repl-ping-slave-period")
        .built(),
    int("list-compress-depth", 0, INT_MAX, 0),
    int("rdb-key-save-delay", INT_MIN, INT_MAX, 0)
        .with(HIDDEN)
        .built(),
    int("key-load-delay", INT_MIN, INT_MAX, 0)
        .with(HIDDEN)
        .built(),
    int("active-expire-effort", 1, 10, 1).built(),
    int("hz", 0, INT_MAX, 10).built(),
    int("min-replicas-to-write", 0, INT_MAX, 0)
        .alias("min-slaves-to-write")
        .built(),
    int("min-replicas-max-lag", 0, INT_MAX, 10)
        .alias("min-slaves-max-lag")
        .built(),
    int("watchdog-period", 0, INT_MAX, 0)
        .with(HIDDEN)
        .apply(Apply::Watchdog)
        .built(),
    int("shutdown-timeout", 0, INT_MAX, 10).built(),
    int("repl-diskless-sync-max-replicas", 0, INT_MAX, 0).built(),
    // Unsigned int.
    uint("maxclients", 1, UINT_MAX, 10000)
        .built()
        .apply(Apply::MaxClients),
    Directive::new(
        "unixsocketperm",
        Kind::Num {
            min: 0,
            max: 0o777,
            default: 0,
            unsigned: true,
            format: NumFormat::Octal,
        },
    )
    .immutable()
    .built(),
    uint("socket-mark-id", 0, UINT_MAX, 0).immutable(),
    // Unsigned long (bounds-checked as signed by Redis).
    int("active-defrag-max-scan-fields", 1, LONG_MAX, 1000),
    int("slowlog-max-len", 0, LONG_MAX, 128).built(),
    int("acllog-max-len", 0, LONG_MAX, 128).built(),
    // Long long.
    int("busy-reply-threshold", 0, LONG_MAX, 5000)
        .alias("lua-time-limit")
        .built(),
    int("cluster-node-timeout", 0, LONG_MAX, 15000),
    int("slowlog-log-slower-than", -1, LONG_MAX, 10000).built(),
    int("latency-monitor-threshold", 0, LONG_MAX, 0).built(),
    int(
        "proto-max-bulk-len",
        1024 * 1024,
        LONG_MAX,
        512 * 1024 * 1024,
    )
    .memory()
    .built(),
    int("stream-node-max-entries", 0, LONG_MAX, 100).built(),
    int("repl-backlog-size", 1, LONG_MAX, 1024 * 1024)
        .memory()
        .built(),
    // Unsigned long long.
    uint("maxmemory", 0, ULLONG_MAX, 0)
        .memory()
        .built()
        .apply(Apply::Maxmemory),
    uint("cluster-link-sendbuf-limit", 0, ULLONG_MAX, 0).memory(),
    // size_t.
    uint("hash-max-listpack-entries", 0, LONG_MAX, 512).alias("hash-max-ziplist-entries"),
    uint("set-max-intset-entries", 0, LONG_MAX, 512).built(),
    uint("zset-max-listpack-entries", 0, LONG_MAX, 128)
        .alias("zset-max-ziplist-entries")
        .built(),
    uint("active-defrag-ignore-bytes", 1, LONG_MAX, 100 << 20).memory(),
    uint("hash-max-listpack-value", 0, LONG_MAX, 64)
        .alias("hash-max-ziplist-value")
        .memory()
        .built(),
    uint("stream-node-max-bytes", 0, LONG_MAX, 4096)
        .memory()
        .built(),
    uint("zset-max-listpack-value", 0, LONG_MAX, 64)
        .alias("zset-max-ziplist-value")
        .memory()
        .built(),
    uint("hll-sparse-max-bytes", 0, LONG_MAX, 3000)
        .memory()
        .built(),
    uint("tracking-table-max-keys", 0, LONG_MAX, 1_000_000).built(),
    uint(
        "client-query-buffer-limit",
        1024 * 1024,
        LONG_MAX,
        1024 * 1024 * 1024,
    )
    .memory()
    .built(),
    Directive::new(
        "maxmemory-clients",
        Kind::Num {
            min: -100,
            max: LONG_MAX,
            default: 0,
            unsigned: false,
            format: NumFormat::MemoryOrPercent,
        },
    )
    .built()
    .apply(Apply::MaxmemoryClients),
    // time_t and off_t.
    int("repl-backlog-ttl", 0, LONG_MAX, 3600).built(),
    int("auto-aof-rewrite-min-size", 0, LONG_MAX, 64 * 1024 * 1024)
        .memory()
        .built(),
    int(
        "loading-process-events-interval-bytes",
        1024,
        INT_MAX,
        2 * 1024 * 1024,
    )
    .with(HIDDEN)
    .built(),
    // TLS (the real server is built with it).
    int("tls-port", 0, 65535, 0).apply(Apply::Tls),
    int("tls-session-cache-size", 0, INT_MAX, 20 * 1024).apply(Apply::Tls),
    int("tls-session-cache-timeout", 0, INT_MAX, 300).apply(Apply::Tls),
    yes_no("tls-cluster", false).apply(Apply::Tls),
    yes_no("tls-replication", false).apply(Apply::Tls),
    choice("tls-auth-clients", TLS_AUTH_CLIENTS, 1),
    yes_no("tls-prefer-server-ciphers", false).apply(Apply::Tls),
    yes_no("tls-session-caching", true).apply(Apply::Tls),
    optional("tls-cert-file").apply(Apply::Tls),
    optional("tls-key-file").apply(Apply::Tls),
    optional("tls-key-file-pass").apply(Apply::Tls),
    optional("tls-client-cert-file").apply(Apply::Tls),
    optional("tls-client-key-file").apply(Apply::Tls),
    optional("tls-client-key-file-pass").apply(Apply::Tls),
    optional("tls-dh-params-file").apply(Apply::Tls),
    optional("tls-ca-cert-file").apply(Apply::Tls),
    optional("tls-ca-cert-dir").apply(Apply::Tls),
    optional("tls-protocols").apply(Apply::Tls),
    optional("tls-ciphers").apply(Apply::Tls),
    optional("tls-ciphersuites").apply(Apply::Tls),
    // Special.
    special("dir", Special::Dir).with(PROTECTED | DENY).built(),
    special("save", Special::Save).with(MULTI).built(),
    special(
        "client-output-buffer-limit",
        Special::ClientOutputBufferLimit,
    )
    .with(MULTI)
    .built(),
    special("oom-score-adj-values", Special::OomScoreAdjValues)
        .with(MULTI)
        .apply(Apply::OomScore)
        .built(),
    special("notify-keyspace-events", Special::NotifyKeyspaceEvents).built(),
    special("bind", Special::Bind)
        .with(MULTI)
        .built()
        .apply(Apply::Bind),
    special("replicaof", Special::ReplicaOf)
        .alias("slaveof")
        .built()
        .immutable()
        .with(MULTI),
    special(
        "latency-tracking-info-percentiles",
        Special::LatencyTrackingInfoPercentiles,
    )
    .with(MULTI)
    .built(),
];

/// A directive found by name: its index in [`DIRECTIVES`] and whether the
/// name used was its alias (Redis treats the alias as a config of its own
/// for duplicate checks and error texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub id: usize,
    pub alias: bool,
}

impl Found {
    /// The name this lookup refers to (the alias when looked up by it).
    pub fn name(&self) -> &'static str {
        let d = &DIRECTIVES[self.id];
        match (self.alias, d.alias) {
            (true, Some(a)) => a,
            _ => d.name,
        }
    }
}

fn by_name() -> &'static HashMap<&'static str, Found> {
    static MAP: OnceLock<HashMap<&'static str, Found>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for (id, d) in DIRECTIVES.iter().enumerate() {
            map.insert(d.name, Found { id, alias: false });
            if let Some(a) = d.alias {
                map.insert(a, Found { id, alias: true });
            }
        }
        map
    })
}

/// Finds a directive by name or alias, in any case.
pub fn lookup(name: &[u8]) -> Option<Found> {
    let lower = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    by_name().get(lower.as_str()).copied()
}

/// The index of a directive by its exact primary name.
pub fn id_of(name: &str) -> Option<usize> {
    by_name().get(name).filter(|f| !f.alias).map(|f| f.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for d in DIRECTIVES {
            for n in std::iter::once(d.name).chain(d.alias) {
                assert_eq!(n, n.to_ascii_lowercase());
                assert!(seen.insert(n), "duplicate {}", n);
            }
        }
    }

    #[test]
    fn lookup_by_alias_and_case() {
        let f = lookup(b"SLAVEOF").unwrap_or(Found {
            id: 0,
            alias: false,
        });
        assert_eq!(DIRECTIVES[f.id].name, "replicaof");
        assert!(f.alias);
        assert_eq!(f.name(), "slaveof");
        assert!(lookup(b"nope").is_none());
    }

    #[test]
    fn proc_title_templates() {
        assert!(check_proc_title_template(b"{title} {listen-addr} {server-mode}").is_ok());
        assert!(check_proc_title_template(b"{title}").is_err());
        assert!(check_proc_title_template(b"{nope}").is_err());
        assert!(check_proc_title_template(b"x {{").is_ok());
        assert!(check_proc_title_template(b"x {").is_err());
    }
}
