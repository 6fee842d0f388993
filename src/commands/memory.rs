//! MEMORY: per-key size estimates (USAGE), the memory overview (STATS),
//! the advice report (DOCTOR), allocator statistics and purging.
//!
//! MEMORY USAGE estimates what a key costs from reddish's own
//! representation of its value: flat buffers (listpacks, intsets, list
//! nodes) count their bytes, tables count their slots plus the heap blocks
//! of their elements; as in Redis, only `SAMPLES` elements of a table are
//! measured and their average stands for the rest.

use super::info::{db_overhead, ratio, MemoryReport, KEY_ENTRY_BYTES};
use super::{int_arg, is_opt, reply_help};
use crate::server::client::{Client, ClientKind};
use crate::server::errors::{self, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::Server;
use crate::types::set::IntSet;
use crate::types::{HashValue, List, SetValue, StrValue, Stream, Value, ZSet};
use std::mem::size_of;

/// Elements measured per table when SAMPLES is not given.
const DEFAULT_SAMPLES: usize = 5;

use crate::alloc::block_size as block;

/// Bytes of a hash table (IndexMap/IndexSet) with room for `capacity`
/// entries of `entry` bytes: the entry vector (each with its cached hash)
/// plus the index slots with their control bytes at 7/8 load.
fn table_bytes(capacity: usize, entry: usize) -> usize {
    let entries = capacity * (entry + size_of::<u64>());
    let slots = capacity * 8 / 7 * (size_of::<usize>() + 1);
    block(entries) + block(slots)
}

/// `len` times the average of the sampled element sizes.
fn extrapolate(sizes: impl Iterator<Item = usize>, samples: usize, len: usize) -> usize {
    let (count, total) = sizes
        .take(samples)
        .fold((0usize, 0usize), |(n, sum), size| (n + 1, sum + size));
    total.checked_div(count).map_or(0, |avg| avg * len)
}

fn string_size(s: &StrValue) -> usize {
    match s {
        StrValue::Int(_) | StrValue::Inline { .. } => 0,
        StrValue::Emb(b) | StrValue::Raw(b) => block(b.len()),
        StrValue::Buf(v) => block(size_of::<Vec<u8>>()) + block(v.capacity()),
    }
}

/// Nodes are exact-sized buffers in a ring of node headers.
fn list_size(list: &List) -> usize {
    /// A node header: its buffer (pointer, capacity, length), count, flag.
    const NODE_HEADER: usize = 32;
    let nodes: usize = list.node_bytes().map(block).sum();
    block(size_of::<List>()) + block(list.node_count() * NODE_HEADER) + nodes
}

fn intset_size(ints: &IntSet) -> usize {
    block(ints.len() * ints.width())
}

fn set_size(set: &SetValue, samples: usize) -> usize {
    match set {
        SetValue::Ints(ints) => intset_size(ints),
        SetValue::Table(table) => {
            let members = table
                .keys()
                .map(|m| if m.is_on_heap() { block(m.len()) } else { 0 });
            table_bytes(table.capacity(), size_of::<crate::types::SmallBytes>())
                + extrapolate(members, samples, table.len())
        }
    }
}

fn hash_size(hash: &HashValue, samples: usize) -> usize {
    match hash {
        HashValue::Listpack(lp) => block(lp.byte_len()),
        HashValue::Table(table) => {
            // A pair is one buffer (field length prefix, field, value),
            // in the table's entry when short.
            let pairs = table.iter().map(|p| p.heap_len().map_or(0, block));
            block(size_of::<crate::types::hash::FieldTable>())
                + table_bytes(table.capacity(), size_of::<crate::types::hash::Pair>())
                + extrapolate(pairs, samples, table.len())
        }
    }
}

fn zset_size(zset: &ZSet, samples: usize) -> usize {
    match zset {
        ZSet::Listpack(lp) => block(lp.byte_len()),
        ZSet::Skiplist(_) => {
            // Each member lives once (shared by the tree and the index):
            // a refcounted block; the tree leaf holds score and pointer,
            // leaves run about 3/4 full; the index maps member to score.
            const LEAF_ENTRY: usize = (8 + 16) * 4 / 3;
            const INDEX_ENTRY: usize = 16 + 8;
            let members = zset.iter().map(|(m, _)| block(16 + m.len()));
            let len = zset.len();
            len * LEAF_ENTRY + table_bytes(len, INDEX_ENTRY) + extrapolate(members, samples, len)
        }
    }
}

fn stream_size(stream: &Stream) -> usize {
    block(size_of::<Stream>()) + stream.heap_size()
}

/// Estimated heap bytes of a value (its object header lives in the key
/// table's entry).
fn value_size(value: &Value, samples: usize) -> usize {
    match value {
        Value::Str(s) => string_size(s),
        Value::List(l) => list_size(l),
        Value::Set(s) => set_size(s, samples),
        Value::Hash(h) => hash_size(h, samples),
        Value::ZSet(z) => zset_size(z, samples),
        Value::Stream(s) => stream_size(s),
    }
}

/// The SAMPLES option of MEMORY USAGE (0: every element).
fn parse_samples(args: &Args) -> Result<usize, errors::CmdError> {
    let mut samples = DEFAULT_SAMPLES;
    let mut j = 3;
    while let Some(arg) = args.get(j) {
        let Some(count) = args.get(j + 1).filter(|_| is_opt(arg, "samples")) else {
            return Err(errors::SYNTAX.into());
        };
        let n = int_arg(count)?;
        samples = match usize::try_from(n) {
            Ok(0) => usize::MAX,
            Ok(n) => n,
            Err(_) => return Err(errors::SYNTAX.into()),
        };
        j += 2;
    }
    Ok(samples)
}

fn memory_usage(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let samples = parse_samples(args)?;
    let key = &args[2];
    // Like Redis, a key is measured even if it has expired but is still
    // stored.
    let Some(obj) = srv.database(c.db).get(key) else {
        c.reply.null();
        return Ok(());
    };
    let usage = value_size(&obj.value, samples)
        + KEY_ENTRY_BYTES
        + std::mem::size_of::<usize>()
        + block(key.len());
    c.reply.int(usage as i64);
    Ok(())
}

/// The per-database entries of MEMORY STATS: only databases with keys.
struct DbStats {
    index: usize,
    main: u64,
    expires: u64,
}

fn db_stats(srv: &Server) -> Vec<DbStats> {
    srv.dbs
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.keys.is_empty())
        .map(|(index, db)| {
            let (main, expires) = db_overhead(db);
            DbStats {
                index,
                main,
                expires,
            }
        })
        .collect()
}

fn memory_stats(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let m = MemoryReport::gather(srv, c);
    let dbs = db_stats(srv);
    let keys: u64 = srv.dbs.iter().map(|db| db.keys.len() as u64).sum();
    let (allocated, active, resident) = (m.used, m.rss, m.rss);
    let signed = |a: u64, b: u64| a as i64 - b as i64;
    let r = &mut c.reply;
    r.map(27 + dbs.len());
    let ints: [(&str, u64); 10] = [
        ("peak.allocated", m.peak),
        ("total.allocated", m.used),
        ("startup.allocated", m.startup),
        ("replication.backlog", m.backlog),
        ("clients.slaves", m.clients_replicas),
        ("clients.normal", m.clients_normal),
        ("cluster.links", 0),
        ("aof.buffer", 0),
        ("lua.caches", 0),
        ("functions.caches", 0),
    ];
    for (name, value) in ints {
        r.bulk_str(name);
        r.uint(value);
    }
    for db in &dbs {
        r.bulk_str(&format!("db.{}", db.index));
        r.map(3);
        r.bulk_str("overhead.hashtable.main");
        r.uint(db.main);
        r.bulk_str("overhead.hashtable.expires");
        r.uint(db.expires);
        r.bulk_str("overhead.hashtable.slot-to-keys");
        r.uint(0);
    }
    let bytes_per_key = m
        .used
        .saturating_sub(m.startup)
        .checked_div(keys)
        .unwrap_or(0);
    let peak_perc = (m.used as f32 * 100.0 / m.peak as f32) as f64;
    for (name, value) in [
        ("overhead.total", m.overhead),
        ("keys.count", keys),
        ("keys.bytes-per-key", bytes_per_key),
        ("dataset.bytes", m.dataset),
    ] {
        r.bulk_str(name);
        r.uint(value);
    }
    r.bulk_str("dataset.percentage");
    r.double(m.dataset_perc());
    r.bulk_str("peak.percentage");
    r.double(peak_perc);
    for (name, value) in [
        ("allocator.allocated", allocated),
        ("allocator.active", active),
        ("allocator.resident", resident),
    ] {
        r.bulk_str(name);
        r.uint(value);
    }
    let ratios = [
        ("allocator-fragmentation", active, allocated),
        ("allocator-rss", resident, active),
        ("rss-overhead", m.rss, resident),
    ];
    for (name, a, b) in ratios {
        r.bulk_str(&format!("{name}.ratio"));
        r.double(ratio(a, b));
        r.bulk_str(&format!("{name}.bytes"));
        r.int(signed(a, b));
    }
    r.bulk_str("fragmentation");
    r.double(ratio(m.rss, m.used));
    r.bulk_str("fragmentation.bytes");
    r.int(signed(m.rss, m.used));
    Ok(())
}

const DOCTOR_FINE: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_HEADER: &str =
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const DOCTOR_FOOTER: &str = "I'm here to keep you safe, Sam. I want to help you.\n";
const DOCTOR_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const DOCTOR_RSS: &str = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n";
const DOCTOR_CLIENTS: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";

/// The findings of MEMORY DOCTOR. With the system allocator the allocator
/// figures equal the process ones, so only the total RSS check applies.
fn doctor_report(srv: &Server, c: &Client) -> String {
    let m = MemoryReport::gather(srv, c);
    if m.used < 5 << 20 {
        return DOCTOR_EMPTY.to_string();
    }
    let clients = srv
        .clients
        .iter()
        .chain(std::iter::once(c))
        .filter(|cl| cl.kind != ClientKind::Replica)
        .count()
        .max(1) as u64;
    let findings = [
        (m.peak as f32 / m.used as f32 > 1.5, DOCTOR_PEAK),
        (
            ratio(m.rss, m.used) > 1.4 && m.rss.saturating_sub(m.used) > 10 << 20,
            DOCTOR_RSS,
        ),
        (m.clients_normal / clients > 200 * 1024, DOCTOR_CLIENTS),
    ];
    if findings.iter().all(|(found, _)| !found) {
        return DOCTOR_FINE.to_string();
    }
    let mut report = DOCTOR_HEADER.to_string();
    for (_, text) in findings.iter().filter(|(found, _)| *found) {
        report.push_str(text);
    }
    report.push_str(DOCTOR_FOOTER);
    report
}

fn memory_doctor(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let report = doctor_report(srv, c);
    c.reply.verbatim(report.as_bytes());
    Ok(())
}

fn memory_malloc_stats(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply
        .bulk(b"Stats not supported for the current allocator");
    Ok(())
}

fn memory_purge(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    crate::alloc::release_free_heap();
    c.reply.ok();
    Ok(())
}

fn memory_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        &args[0],
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

/// Tips of the subcommands that report on each shard separately.
const REPORT_TIPS: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
];

/// In the order Redis lists them (COMMAND INFO, COMMAND DOCS).
const MEMORY_SUBCOMMANDS: &[Command] = &[
    Command::new("malloc-stats", 2, memory_malloc_stats)
        .acl(acl::SLOW)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "4.0.0",
            "Depends on how much memory is allocated, could be slow",
            "Returns the allocator's statistics.",
        ),
    Command::new("purge", 2, memory_purge)
        .acl(acl::SLOW)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc(
            "server",
            "4.0.0",
            "Depends on how much memory is allocated, could be slow",
            "Asks the allocator to give free memory back to the system.",
        ),
    Command::new("stats", 2, memory_stats)
        .acl(acl::SLOW)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "4.0.0",
            "O(1)",
            "Returns an overview of the server's memory use.",
        ),
    Command::new("usage", -3, memory_usage)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO, 2, 0, 1)])
        .doc(
            "server",
            "4.0.0",
            "O(N) where N is the number of samples.",
            "Estimates the bytes a key and its value take.",
        ),
    Command::new("help", 2, memory_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc(
            "server",
            "4.0.0",
            "O(1)",
            "Returns help on the MEMORY subcommands.",
        ),
    Command::new("doctor", 2, memory_doctor)
        .acl(acl::SLOW)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "4.0.0",
            "O(1)",
            "Reports memory problems the server can detect.",
        ),
];

pub const COMMANDS: &[Command] = &[Command::new("memory", -2, super::container)
    .acl(acl::SLOW)
    .doc(
        "server",
        "4.0.0",
        "Depends on subcommand.",
        "Container of the memory introspection commands.",
    )
    .subcommands(MEMORY_SUBCOMMANDS)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_like_malloc() {
        assert_eq!(block(0), 0);
        assert_eq!(block(1), 32);
        assert_eq!(block(24), 32);
        assert_eq!(block(25), 48);
        assert_eq!(block(100), 112);
    }

    #[test]
    fn samples_stand_for_the_rest() {
        assert_eq!(extrapolate([10, 20, 1000].into_iter(), 2, 10), 150);
        assert_eq!(extrapolate(std::iter::empty(), 5, 10), 0);
    }
}
