//! INFO: the server's state as `field:value` lines in `# Section` blocks,
//! with Redis 7.0's section names, field names, order and number formats,
//! so monitoring tools and the test suite read reddish like Redis.
//!
//! Fields for features reddish does not have yet (AOF, functions,
//! tracking, ...) report what Redis reports when the feature is idle: zero
//! counters, `ok` statuses, `-1` times.

use crate::server::client::{Client, ClientKind};
use crate::server::errors::CmdResult;
use crate::server::spec::{acl, flag};
use crate::server::spec::{Args, Command};
use crate::server::Server;
use crate::util::{bytes_to_human, now_ms, now_us};
use std::fmt::Write;

/// What `INFO` with no argument (or `default`) shows.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Writes the lines of one section (header included).
type SectionWriter = fn(&Server, &Client, &mut String);

/// Every section in output order: the names that select it, its writer.
const SECTIONS: &[(&[&str], SectionWriter)] = &[
    (&["server"], server_section),
    (&["clients"], clients_section),
    (&["memory"], memory_section),
    (&["persistence"], persistence_section),
    (&["stats"], stats_section),
    (&["replication"], replication_section),
    (&["cpu"], cpu_section),
    (&["module_list", "modules"], modules_section),
    (&["commandstats"], commandstats_section),
    (&["errorstats"], errorstats_section),
    (&["latencystats"], latencystats_section),
    (&["cluster"], cluster_section),
    (&["keyspace"], keyspace_section),
];

/// The sections an INFO call asked for.
#[derive(Debug, Default)]
pub struct SectionRequest {
    /// Lowercased section names.
    names: Vec<String>,
    all: bool,
}

impl SectionRequest {
    /// Parses INFO's arguments: section names (any case), `default`, `all`,
    /// `everything`; no argument means `default`.
    pub fn parse(args: &Args) -> SectionRequest {
        let mut req = SectionRequest::default();
        if args.is_empty() {
            req.add_defaults();
        }
        for arg in args.iter() {
            let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
            match name.as_str() {
                "default" => req.add_defaults(),
                "all" | "everything" => req.all = true,
                _ => req.names.push(name),
            }
        }
        req
    }

    fn add_defaults(&mut self) {
        self.names
            .extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }

    fn wants(&self, selectors: &[&str]) -> bool {
        self.all || selectors.iter().any(|s| self.names.iter().any(|n| n == s))
    }
}

/// INFO [section ...]
fn info(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let text = info_text(srv, c, &SectionRequest::parse(&args.tail(1)));
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

/// The whole INFO text for a request; `c` is the client asking (it is not
/// in the client table while its command runs).
pub fn info_text(srv: &Server, c: &Client, req: &SectionRequest) -> String {
    // Grown as needed: a buffer reserved up front would count in the
    // `used_memory` the memory section reports.
    let mut out = String::new();
    for (selectors, write_section) in SECTIONS {
        if !req.wants(selectors) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        write_section(srv, c, &mut out);
    }
    out
}

/// Appends `name:value\r\n`.
fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{}:{}\r\n", name, value);
}

/// Appends several fields whose value is 0.
fn zero_fields(out: &mut String, names: &[&str]) {
    for name in names {
        field(out, name, 0);
    }
}

/// Replaces the characters that would break INFO's line format.
fn safe_info_name(name: &str) -> String {
    name.chars()
        .map(|ch| {
            if matches!(ch, '#' | ':' | '\n' | '\r') {
                '_'
            } else {
                ch
            }
        })
        .collect()
}

fn server_section(srv: &Server, _c: &Client, out: &mut String) {
    let uptime = (now_ms() - srv.start_ms) / 1000;
    let (sysname, release, machine) = uname();
    out.push_str("# Server\r\n");
    field(out, "redis_version", crate::version::REDIS_VERSION);
    field(out, "redis_git_sha1", "00000000");
    field(out, "redis_git_dirty", 0);
    field(out, "redis_build_id", build_id());
    field(out, "redis_mode", "standalone");
    field(out, "os", format!("{} {} {}", sysname, release, machine));
    field(out, "arch_bits", usize::BITS);
    field(out, "monotonic_clock", "POSIX clock_gettime");
    field(out, "multiplexing_api", "epoll");
    field(out, "atomicvar_api", "c11-builtin");
    field(out, "gcc_version", "0.0.0");
    field(out, "process_id", std::process::id());
    field(out, "process_supervised", "no");
    field(out, "run_id", &srv.run_id);
    field(out, "tcp_port", srv.config.port);
    field(out, "server_time_usec", now_us());
    field(out, "uptime_in_seconds", uptime);
    field(out, "uptime_in_days", uptime / (3600 * 24));
    field(out, "hz", srv.config.hz);
    field(out, "configured_hz", srv.config.hz);
    field(out, "lru_clock", srv.lru_clock());
    field(out, "executable", &srv.executable);
    field(
        out,
        "config_file",
        srv.config.config_file.as_deref().unwrap_or(""),
    );
    field(out, "io_threads_active", 0);
    if let Some(ms) = srv.shutdown_in_ms() {
        field(out, "shutdown_in_milliseconds", ms);
    }
}

/// A stable id for this build (Redis hashes its build environment).
fn build_id() -> String {
    let text = concat!("reddish-", env!("CARGO_PKG_VERSION"));
    format!("{:x}", crc64::crc64(0, text.as_bytes()))
}

/// Operating system name, release and machine, as `uname` reports them.
fn uname() -> (String, String, String) {
    // SAFETY: `utsname` is plain old data, so all-zero bytes are a valid
    // value; `uname` only writes NUL-terminated strings into its arrays.
    let name = unsafe {
        let mut name: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut name) != 0 {
            return Default::default();
        }
        name
    };
    let text = |field: &[libc::c_char]| {
        let bytes: Vec<u8> = field
            .iter()
            .take_while(|&&ch| ch != 0)
            .map(|&ch| ch as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (
        text(&name.sysname),
        text(&name.release),
        text(&name.machine),
    )
}

/// Every connected client, the one being served included.
fn all_clients<'a>(srv: &'a Server, c: &'a Client) -> impl Iterator<Item = &'a Client> {
    srv.clients.iter().chain(std::iter::once(c))
}

fn clients_section(srv: &Server, c: &Client, out: &mut String) {
    let replicas = all_clients(srv, c)
        .filter(|cl| cl.kind == ClientKind::Replica)
        .count();
    let (max_input, max_output) = srv.clients_cron.recent_max_buffers();
    out.push_str("# Clients\r\n");
    field(out, "connected_clients", srv.clients.count - replicas);
    field(out, "cluster_connections", 0);
    field(out, "maxclients", srv.config.maxclients);
    field(out, "client_recent_max_input_buffer", max_input);
    field(out, "client_recent_max_output_buffer", max_output);
    field(
        out,
        "blocked_clients",
        srv.blocking.count + srv.postponed.len(),
    );
    field(out, "tracking_clients", srv.tracking.clients);
    field(out, "clients_in_timeout_table", srv.blocking.timed_count());
}

/// The memory figures INFO memory (and later MEMORY STATS) reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryReport {
    pub used: u64,
    pub rss: u64,
    pub peak: u64,
    pub startup: u64,
    /// Memory that is not the dataset: startup, client buffers, key tables.
    pub overhead: u64,
    pub clients_normal: u64,
    /// The replicas' share of the replication buffer and their own
    /// output (INFO `mem_clients_slaves`).
    pub clients_replicas: u64,
    /// The replication buffer's memory that is the backlog's (the part
    /// beyond `repl-backlog-size` is the replicas' while they are attached).
    pub backlog: u64,
    pub not_counted_for_evict: u64,
    pub dataset: u64,
}

impl MemoryReport {
    pub fn gather(srv: &Server, c: &Client) -> MemoryReport {
        let used = srv.used_memory() as u64;
        let startup = srv.startup_memory as u64;
        let clients_normal: u64 = all_clients(srv, c)
            .filter(|cl| cl.kind != ClientKind::Replica || cl.monitor)
            .map(|cl| srv.client_memory(cl) as u64)
            .sum();
        let clients_replicas = srv.replica_output_bytes() as u64;
        let backlog = srv
            .replication_buffer_memory()
            .saturating_sub(srv.replicas_buffer_share()) as u64;
        let overhead =
            startup + clients_normal + clients_replicas + backlog + keyspace_overhead(srv);
        MemoryReport {
            used,
            rss: crate::alloc::resident().total,
            peak: (srv.peak_memory as u64).max(used),
            startup,
            overhead,
            clients_normal,
            clients_replicas,
            backlog,
            not_counted_for_evict: srv.memory_not_counted_for_evict() as u64,
            dataset: used.saturating_sub(overhead),
        }
    }

    /// Share of the memory grown since startup that holds data, in percent.
    pub fn dataset_perc(&self) -> f64 {
        let net = if self.used > self.startup {
            self.used - self.startup
        } else {
            1
        };
        (self.dataset as f32 * 100.0 / net as f32) as f64
    }
}

/// Bytes of the key and expiry tables themselves (not the values).
fn keyspace_overhead(srv: &Server) -> u64 {
    srv.dbs
        .iter()
        .map(|db| {
            let (main, expires) = db_overhead(db);
            main + expires
        })
        .sum()
}

/// Bytes of one database's key table and expiry table (MEMORY STATS
/// `overhead.hashtable.main` and `.expires`): the entries held and the
/// index slots, not the room for entries not added yet (which
/// `used_memory` leaves out too).
pub fn db_overhead(db: &crate::db::Db) -> (u64, u64) {
    (
        (db.keys.len() * KEY_ENTRY_BYTES) as u64,
        (db.keys.expires_len() * crate::db::Keyspace::EXPIRY_BYTES) as u64,
    )
}

/// Bytes of one slot of a key table: the entry (key, object) and its
/// bucket.
pub const KEY_ENTRY_BYTES: usize = crate::db::Keyspace::ENTRY_BYTES;

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    u64::try_from(pages).unwrap_or(0) * crate::alloc::page_size()
}

/// `a / b` as the C code computes it in single precision (`%.2f` fields).
pub fn ratio(a: u64, b: u64) -> f64 {
    (a as f32 / b as f32) as f64
}

fn memory_section(srv: &Server, c: &Client, out: &mut String) {
    let m = MemoryReport::gather(srv, c);
    // With the system allocator Redis reports the allocator figures as the
    // allocated bytes and the RSS (no allocator statistics exist).
    let allocated = m.used;
    let active = m.rss;
    let resident = m.rss;
    let policy = srv.config.maxmemory_policy.name();
    out.push_str("# Memory\r\n");
    field(out, "used_memory", m.used);
    field(out, "used_memory_human", bytes_to_human(m.used));
    field(out, "used_memory_rss", m.rss);
    field(out, "used_memory_rss_human", bytes_to_human(m.rss));
    field(out, "used_memory_peak", m.peak);
    field(out, "used_memory_peak_human", bytes_to_human(m.peak));
    let peak_perc = (m.used as f32 * 100.0 / m.peak as f32) as f64;
    field(out, "used_memory_peak_perc", format!("{:.2}%", peak_perc));
    field(out, "used_memory_overhead", m.overhead);
    field(out, "used_memory_startup", m.startup);
    field(out, "used_memory_dataset", m.dataset);
    field(
        out,
        "used_memory_dataset_perc",
        format!("{:.2}%", m.dataset_perc()),
    );
    field(out, "allocator_allocated", allocated);
    field(out, "allocator_active", active);
    field(out, "allocator_resident", resident);
    let total = total_system_memory();
    field(out, "total_system_memory", total);
    field(out, "total_system_memory_human", bytes_to_human(total));
    let lua = crate::scripting::memory_report(srv);
    let functions = crate::scripting::fcall::functions_report(srv);
    let (vm, scripts) = (lua.vm as u64, lua.scripts as u64);
    let (functions_vm, functions_overhead) = (functions.vm as u64, functions.overhead as u64);
    field(out, "used_memory_lua", vm);
    field(out, "used_memory_vm_eval", vm);
    field(out, "used_memory_lua_human", bytes_to_human(vm));
    field(out, "used_memory_scripts_eval", scripts);
    field(out, "number_of_cached_scripts", lua.cached_scripts);
    field(out, "number_of_functions", functions.functions);
    field(out, "number_of_libraries", functions.libraries);
    field(out, "used_memory_vm_functions", functions_vm);
    field(out, "used_memory_vm_total", vm + functions_vm);
    field(
        out,
        "used_memory_vm_total_human",
        bytes_to_human(vm + functions_vm),
    );
    field(out, "used_memory_functions", functions_overhead);
    field(out, "used_memory_scripts", scripts + functions_overhead);
    field(
        out,
        "used_memory_scripts_human",
        bytes_to_human(scripts + functions_overhead),
    );
    field(out, "maxmemory", srv.config.maxmemory);
    field(out, "maxmemory_human", bytes_to_human(srv.config.maxmemory));
    field(out, "maxmemory_policy", policy);
    field(
        out,
        "allocator_frag_ratio",
        format!("{:.2}", ratio(active, allocated)),
    );
    field(
        out,
        "allocator_frag_bytes",
        active.saturating_sub(allocated),
    );
    field(
        out,
        "allocator_rss_ratio",
        format!("{:.2}", ratio(resident, active)),
    );
    field(out, "allocator_rss_bytes", resident as i64 - active as i64);
    field(
        out,
        "rss_overhead_ratio",
        format!("{:.2}", ratio(m.rss, resident)),
    );
    field(out, "rss_overhead_bytes", m.rss as i64 - resident as i64);
    field(
        out,
        "mem_fragmentation_ratio",
        format!("{:.2}", ratio(m.rss, m.used)),
    );
    field(out, "mem_fragmentation_bytes", m.rss as i64 - m.used as i64);
    field(out, "mem_not_counted_for_evict", m.not_counted_for_evict);
    field(out, "mem_replication_backlog", m.backlog);
    field(
        out,
        "mem_total_replication_buffers",
        srv.replication_buffer_memory(),
    );
    field(out, "mem_clients_slaves", m.clients_replicas);
    field(out, "mem_clients_normal", m.clients_normal);
    field(out, "mem_cluster_links", 0);
    field(out, "mem_aof_buffer", srv.aof.buf.capacity());
    field(out, "mem_allocator", "libc");
    field(out, "active_defrag_running", 0);
    field(out, "lazyfree_pending_objects", srv.lazyfree.pending());
    field(out, "lazyfreed_objects", srv.lazyfree.freed());
}

fn persistence_section(srv: &Server, _c: &Client, out: &mut String) {
    let p = &srv.persistence;
    let now = crate::util::unix_seconds();
    out.push_str("# Persistence\r\n");
    let child = &p.child_stats;
    field(out, "loading", u8::from(p.loading.is_some()));
    field(out, "async_loading", u8::from(p.async_loading));
    field(out, "current_cow_peak", child.cow_peak);
    field(out, "current_cow_size", child.cow_bytes);
    let cow_age = child
        .cow_updated_ms
        .map_or(0, |at| (crate::util::now_ms() - at).max(0) / 1000);
    field(out, "current_cow_size_age", cow_age);
    field(
        out,
        "current_fork_perc",
        format!("{:.2}", child.fork_percent()),
    );
    field(out, "current_save_keys_processed", child.keys_processed);
    field(out, "current_save_keys_total", child.keys_total);
    field(out, "rdb_changes_since_last_save", srv.changes_since_save());
    field(out, "rdb_bgsave_in_progress", u8::from(srv.has_rdb_child()));
    field(out, "rdb_last_save_time", srv.last_save_ms / 1000);
    let status = if p.last_bgsave_ok { "ok" } else { "err" };
    field(out, "rdb_last_bgsave_status", status);
    field(out, "rdb_last_bgsave_time_sec", p.last_bgsave_secs);
    let current = p
        .child
        .filter(|_| srv.has_rdb_child())
        .map_or(-1, |child| now - child.started_s);
    field(out, "rdb_current_bgsave_time_sec", current);
    field(out, "rdb_saves", p.saves);
    field(out, "rdb_last_cow_size", child.last_cow_bytes);
    field(out, "rdb_last_load_keys_expired", p.last_load_keys_expired);
    field(out, "rdb_last_load_keys_loaded", p.last_load_keys_loaded);
    for (name, value) in crate::persistence::aof::info_fields(srv) {
        field(out, name, value);
    }
    zero_fields(
        out,
        &["module_fork_in_progress", "module_fork_last_cow_size"],
    );
    for (name, value) in crate::persistence::aof::info_enabled_fields(srv) {
        field(out, name, value);
    }
    if let Some(l) = p.loading {
        loading_fields(out, &l, now);
    }
}

/// The progress fields INFO shows while a file loads.
fn loading_fields(out: &mut String, l: &crate::server::state::persistence::Loading, now: i64) {
    let (perc, remaining) = if l.total_bytes > 0 {
        (
            l.loaded_bytes as f64 / l.total_bytes as f64 * 100.0,
            l.total_bytes.saturating_sub(l.loaded_bytes) as i64,
        )
    } else if l.rdb_used_mem > 0 {
        (
            (l.loaded_bytes as f64 / l.rdb_used_mem as f64 * 100.0).min(99.99),
            (l.rdb_used_mem.saturating_sub(l.loaded_bytes) as i64).max(1),
        )
    } else {
        (0.0, 1)
    };
    let elapsed = now - l.start_s;
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (l.loaded_bytes as i64 + 1)
    };
    field(out, "loading_start_time", l.start_s);
    field(out, "loading_total_bytes", l.total_bytes);
    field(out, "loading_rdb_used_mem", l.rdb_used_mem);
    field(out, "loading_loaded_bytes", l.loaded_bytes);
    field(out, "loading_loaded_perc", format!("{:.2}", perc));
    field(out, "loading_eta_seconds", eta);
}

fn stats_section(srv: &Server, _c: &Client, out: &mut String) {
    let s = &srv.stats;
    let kbps = |per_second: f64| format!("{:.2}", (per_second as i64) as f32 / 1024.0);
    out.push_str("# Stats\r\n");
    field(
        out,
        "total_connections_received",
        s.total_connections_received,
    );
    field(out, "total_commands_processed", s.total_commands_processed);
    field(
        out,
        "instantaneous_ops_per_sec",
        s.ops_sec.per_second() as i64,
    );
    field(out, "total_net_input_bytes", s.net_input_bytes);
    field(out, "total_net_output_bytes", s.net_output_bytes);
    zero_fields(
        out,
        &["total_net_repl_input_bytes", "total_net_repl_output_bytes"],
    );
    field(
        out,
        "instantaneous_input_kbps",
        kbps(s.input_kbps.per_second()),
    );
    field(
        out,
        "instantaneous_output_kbps",
        kbps(s.output_kbps.per_second()),
    );
    field(out, "instantaneous_input_repl_kbps", "0.00");
    field(out, "instantaneous_output_repl_kbps", "0.00");
    field(out, "rejected_connections", s.rejected_connections);
    let sync = &srv.replication.primary;
    field(out, "sync_full", sync.sync_full);
    field(out, "sync_partial_ok", sync.sync_partial_ok);
    field(out, "sync_partial_err", sync.sync_partial_err);
    field(out, "expired_keys", s.expired_keys);
    field(
        out,
        "expired_stale_perc",
        format!("{:.2}", s.expired_stale_perc * 100.0),
    );
    field(
        out,
        "expired_time_cap_reached_count",
        s.expired_time_cap_reached_count,
    );
    field(
        out,
        "expire_cycle_cpu_milliseconds",
        s.expire_cycle_time_used_us / 1000,
    );
    field(out, "evicted_keys", s.evicted_keys);
    field(out, "evicted_clients", s.evicted_clients);
    field(
        out,
        "total_eviction_exceeded_time",
        srv.eviction.total_exceeded_ms(),
    );
    field(
        out,
        "current_eviction_exceeded_time",
        srv.eviction.current_exceeded().as_millis(),
    );
    field(out, "keyspace_hits", s.keyspace_hits);
    field(out, "keyspace_misses", s.keyspace_misses);
    field(out, "pubsub_channels", srv.pubsub.channels.len());
    field(out, "pubsub_patterns", srv.pubsub.patterns.len());
    field(out, "pubsubshard_channels", srv.pubsub.shard_channels.len());
    field(out, "latest_fork_usec", srv.persistence.latest_fork_usec);
    field(out, "total_forks", srv.persistence.total_forks);
    field(out, "migrate_cached_sockets", srv.migrate_sockets.len());
    zero_fields(
        out,
        &[
            "slave_expires_tracked_keys",
            "active_defrag_hits",
            "active_defrag_misses",
            "active_defrag_key_hits",
            "active_defrag_key_misses",
            "total_active_defrag_time",
            "current_active_defrag_time",
        ],
    );
    field(out, "tracking_total_keys", srv.tracking.total_keys());
    field(out, "tracking_total_items", srv.tracking.total_items());
    field(
        out,
        "tracking_total_prefixes",
        srv.tracking.total_prefixes(),
    );
    field(out, "unexpected_error_replies", s.unexpected_error_replies);
    field(out, "total_error_replies", s.total_error_replies);
    field(
        out,
        "dump_payload_sanitizations",
        s.dump_payload_sanitizations,
    );
    field(out, "total_reads_processed", s.total_reads_processed);
    field(out, "total_writes_processed", s.total_writes_processed);
    zero_fields(
        out,
        &[
            "io_threaded_reads_processed",
            "io_threaded_writes_processed",
        ],
    );
    field(
        out,
        "client_output_buffer_limit_disconnections",
        s.output_limit_disconnections,
    );
    field(out, "reply_buffer_shrinks", s.reply_buffer_shrinks);
    field(out, "reply_buffer_expands", s.reply_buffer_expands);
    // Redis 7.2's ACL counters.
    let denials = srv.acl.denials;
    field(out, "acl_access_denied_auth", denials.auth);
    field(out, "acl_access_denied_cmd", denials.command);
    field(out, "acl_access_denied_key", denials.key);
    field(out, "acl_access_denied_channel", denials.channel);
}

fn replication_section(srv: &Server, _c: &Client, out: &mut String) {
    out.push_str("# Replication\r\n");
    if !replica_role_fields(srv, out) {
        field(out, "role", "master");
    }
    replicas_fields(srv, out);
    let repl = &srv.replication;
    let backlog = repl.backlog.as_ref();
    field(out, "master_failover_state", repl.failover.state.name());
    field(out, "master_replid", &repl.id.replid);
    field(out, "master_replid2", &repl.id.replid2);
    field(out, "master_repl_offset", repl.master_offset);
    field(out, "second_repl_offset", repl.id.second_replid_offset);
    field(out, "repl_backlog_active", u8::from(backlog.is_some()));
    field(out, "repl_backlog_size", srv.config.repl_backlog_size);
    field(
        out,
        "repl_backlog_first_byte_offset",
        backlog.map_or(0, |b| b.first_offset()),
    );
    field(
        out,
        "repl_backlog_histlen",
        backlog.map_or(0, |b| b.histlen()),
    );
}

/// `role:slave` and the fields about the link with our primary; false
/// (nothing written) while this server is a primary.
fn replica_role_fields(srv: &Server, out: &mut String) -> bool {
    if !srv.is_replica() {
        return false;
    }
    field(out, "role", "slave");
    srv.replica_info_fields(out);
    true
}

/// `connected_slaves`, `min_slaves_good_slaves` and one `slaveN` line per
/// replica.
fn replicas_fields(srv: &Server, out: &mut String) {
    let replicas = &srv.replication.replicas;
    field(out, "connected_slaves", replicas.len());
    if srv.config.min_replicas_to_write != 0 && srv.config.min_replicas_max_lag != 0 {
        field(out, "min_slaves_good_slaves", srv.good_replicas());
    }
    let now_s = crate::util::now_ms() / 1000;
    for (i, link) in replicas.iter().enumerate() {
        field(
            out,
            &format!("slave{}", i),
            format!(
                "ip={},port={},state={},offset={},lag={}",
                link.ip,
                link.listening_port,
                link.state.name(),
                link.ack_offset,
                link.lag(now_s)
            ),
        );
    }
}

/// User and system CPU time of `who` (RUSAGE_SELF, _CHILDREN, _THREAD).
fn cpu_times(who: libc::c_int) -> (String, String) {
    // SAFETY: `rusage` is plain old data (all-zero is valid) and getrusage
    // only writes into the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let text = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (text(usage.ru_stime), text(usage.ru_utime))
}

fn cpu_section(_srv: &Server, _c: &Client, out: &mut String) {
    let (sys, user) = cpu_times(libc::RUSAGE_SELF);
    let (sys_children, user_children) = cpu_times(libc::RUSAGE_CHILDREN);
    let (sys_main, user_main) = cpu_times(libc::RUSAGE_THREAD);
    out.push_str("# CPU\r\n");
    field(out, "used_cpu_sys", sys);
    field(out, "used_cpu_user", user);
    field(out, "used_cpu_sys_children", sys_children);
    field(out, "used_cpu_user_children", user_children);
    field(out, "used_cpu_sys_main_thread", sys_main);
    field(out, "used_cpu_user_main_thread", user_main);
}

fn modules_section(_srv: &Server, _c: &Client, out: &mut String) {
    out.push_str("# Modules\r\n");
}

fn commandstats_section(srv: &Server, _c: &Client, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for e in &srv.registry.entries {
        let s = &e.stats;
        if s.calls == 0 && s.failed_calls == 0 && s.rejected_calls == 0 {
            continue;
        }
        let per_call = if s.calls == 0 {
            0.0
        } else {
            (s.usec as f32 / s.calls as f32) as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            safe_info_name(&e.fullname),
            s.calls,
            s.usec,
            per_call,
            s.rejected_calls,
            s.failed_calls
        );
    }
}

fn errorstats_section(srv: &Server, _c: &Client, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, count) in &srv.stats.errors {
        let _ = write!(
            out,
            "errorstat_{}:count={}\r\n",
            safe_info_name(code),
            count
        );
    }
}

/// A percentile as Redis labels it: `%f` without trailing zeros (`99.9`).
fn percentile_label(p: f64) -> String {
    let text = format!("{:.6}", p);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn latencystats_section(srv: &Server, _c: &Client, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    if !srv.config.latency_tracking {
        return;
    }
    let percentiles = &srv.config.latency_tracking_info_percentiles;
    for e in &srv.registry.entries {
        let Some(histogram) = &e.stats.latency else {
            continue;
        };
        let values: Vec<String> = percentiles
            .iter()
            .map(|&p| {
                let micros = histogram.value_at_percentile(p) as f64 / 1000.0;
                format!("p{}={:.3}", percentile_label(p), micros)
            })
            .collect();
        let _ = write!(
            out,
            "latency_percentiles_usec_{}:{}\r\n",
            safe_info_name(&e.fullname),
            values.join(",")
        );
    }
}

fn cluster_section(_srv: &Server, _c: &Client, out: &mut String) {
    out.push_str("# Cluster\r\n");
    field(out, "cluster_enabled", 0);
}

fn keyspace_section(srv: &Server, _c: &Client, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        if db.keys.is_empty() && db.expires_len() == 0 {
            continue;
        }
        let _ = write!(
            out,
            "db{}:keys={},expires={},avg_ttl={}\r\n",
            i,
            db.keys.len(),
            db.expires_len(),
            db.avg_ttl
        );
    }
}

pub const COMMANDS: &[Command] = &[Command::new("info", -1, info)
    .flags(flag::LOADING | flag::STALE)
    .acl(acl::SLOW | acl::DANGEROUS)
    .tips(&[
        "nondeterministic_output",
        "request_policy:all_shards",
        "response_policy:special",
    ])
    .doc(
        "server",
        "1.0.0",
        "O(1)",
        "Returns information and statistics about the server.",
    )];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels() {
        assert_eq!(percentile_label(50.0), "50");
        assert_eq!(percentile_label(99.9), "99.9");
        assert_eq!(percentile_label(0.0), "0");
        assert_eq!(percentile_label(99.99), "99.99");
    }

    #[test]
    fn unsafe_characters_are_replaced() {
        assert_eq!(safe_info_name("a:b#c\r\nd"), "a_b_c__d");
        assert_eq!(safe_info_name("client|list"), "client|list");
    }
}
