//! Generic keyspace commands, the same for every value type: existence and
//! deletion, TYPE, listing and iterating keys (KEYS, SCAN, RANDOMKEY),
//! renaming, copying and moving keys, whole-database operations (DBSIZE,
//! FLUSHDB, FLUSHALL, SWAPDB) and OBJECT introspection.
//!
//! SCAN's cursor parsing and option parsing are public so the per-type
//! scans (SSCAN, HSCAN, ZSCAN) share them.

use super::{i32_arg, int_arg, is_opt, reply_help};
use crate::db::glob::glob_match;
use crate::db::{scan_positions, Db, Key};
use crate::resp::reply::Aggregate;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::keyspace::{idle_ticks, AccessTracking, LookupEffects};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::KeyEvent;
use crate::server::Server;
use crate::types::{Object, StrValue};

/// Random picks RANDOMKEY makes among expired keys that could not be
/// deleted before it gives up and returns one of them.
const RANDOMKEY_MAX_TRIES: usize = 100;
/// SCAN's default COUNT.
const SCAN_DEFAULT_COUNT: usize = 10;
/// Integers in `0..SHARED_INTEGERS` stored as strings are one shared object
/// in Redis, which OBJECT REFCOUNT shows.
const SHARED_INTEGERS: i64 = 10_000;
/// The reference count OBJECT REFCOUNT reports for a shared object.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

const OBJECT_HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
];

/// DEL: values are freed on the spot unless `lazyfree-lazy-user-del`.
pub fn del(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let lazy = srv.config.lazyfree_lazy_user_del;
    delete_keys(srv, c, args, lazy)
}

/// UNLINK: DEL whose costly values are freed by the lazyfree thread.
pub fn unlink(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    delete_keys(srv, c, args, true)
}

fn delete_keys(srv: &mut Server, c: &mut Client, args: &Args, lazy: bool) -> CmdResult {
    let deleted = args
        .iter()
        .skip(1)
        .filter(|key| srv.delete_key(c.db, key, lazy))
        .count();
    c.reply.int(deleted as i64);
    Ok(())
}

/// Counts the keys that exist, a key named twice counting twice.
pub fn exists(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let found = args
        .iter()
        .skip(1)
        .filter(|key| srv.lookup_read_notouch(c.db, key).is_some())
        .count();
    c.reply.int(found as i64);
    Ok(())
}

pub fn touch(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let found = args
        .iter()
        .skip(1)
        .filter(|key| srv.lookup_read(c.db, key).is_some())
        .count();
    c.reply.int(found as i64);
    Ok(())
}

/// The type name TYPE and SCAN TYPE use for a key (`none` when missing).
fn type_of(srv: &mut Server, db: usize, key: &[u8]) -> &'static str {
    srv.lookup_read_notouch(db, key)
        .map_or("none", |o| o.value.type_name())
}

pub fn type_(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let name = type_of(srv, c.db, &args[1]);
    c.reply.simple(name);
    Ok(())
}

pub fn dbsize(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let n = srv.database(c.db).len();
    c.reply.int(n as i64);
    Ok(())
}

/// Lists matching keys that are not logically expired (without deleting
/// the expired ones, as Redis).
pub fn keys(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let pattern = &args[1];
    let all = pattern == b"*";
    let now = srv.cmd_time_ms;
    let budget = srv.output_budget(c);
    let db: &Db = srv.database(c.db);
    let header = c.reply.defer();
    let mut n = 0;
    for key in db.keys.keys() {
        if (all || glob_match(pattern, key, false)) && !db.is_expired(key, now) {
            c.reply.bulk(key);
            n += 1;
            if budget.spent(c) {
                break;
            }
        }
    }
    c.reply.fill(header, Aggregate::Array, n);
    Ok(())
}

/// Parses a SCAN-family cursor the way Redis's `strtoul` check does: an
/// optional sign and decimal digits that fit 64 bits (a negative value
/// wraps), or the empty string (cursor 0).
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::Static(errors::INVALID_CURSOR);
    let (negative, digits) = match arg.split_first() {
        None => return Ok(0),
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        Some(_) => (false, arg),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(invalid());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// The options of SCAN, SSCAN, HSCAN and ZSCAN.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions<'a> {
    pub count: usize,
    /// The MATCH pattern, `None` when absent or `*`.
    pub pattern: Option<&'a [u8]>,
    /// The TYPE filter (SCAN only).
    pub type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parses `[MATCH p] [COUNT n] [TYPE t]` from position `from`; TYPE is
    /// only recognised when `allow_type` (the keyspace SCAN).
    pub fn parse(args: &Args<'a>, from: usize, allow_type: bool) -> Result<Self, CmdError> {
        let mut o = ScanOptions {
            count: SCAN_DEFAULT_COUNT,
            pattern: None,
            type_name: None,
        };
        let mut i = from;
        while i < args.len() {
            let opt = &args[i];
            let value = args.get(i + 1).ok_or(errors::SYNTAX)?;
            if is_opt(opt, "count") {
                let n = int_arg(value)?;
                if n < 1 {
                    return Err(errors::SYNTAX.into());
                }
                o.count = usize::try_from(n).unwrap_or(usize::MAX);
            } else if is_opt(opt, "match") {
                o.pattern = (value != b"*").then_some(value);
            } else if is_opt(opt, "type") && allow_type {
                o.type_name = Some(value);
            } else {
                return Err(errors::SYNTAX.into());
            }
            i += 2;
        }
        Ok(o)
    }

    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, item, false))
    }
}

/// SCAN: every key present for the whole iteration is returned at least
/// once (see [`scan_positions`]). Like Redis, the TYPE filter looks the key
/// up (counting a hit or miss) and expired keys are dropped and deleted.
pub fn scan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[1])?;
    let o = ScanOptions::parse(args, 2, true)?;
    let db = c.db;
    let d: &Db = srv.database(db);
    let mut batch: Vec<Key> = Vec::new();
    let next = scan_positions(d.len(), cursor, o.count, |i| {
        batch.extend(d.key_at(i).filter(|k| o.matches(k)).cloned());
    });
    batch.retain(|key| {
        let type_ok = o
            .type_name
            .is_none_or(|t| t.eq_ignore_ascii_case(type_of(srv, db, key).as_bytes()));
        type_ok && !srv.expire_if_needed(db, key)
    });
    c.reply.array(2);
    c.reply.bulk_i64(next as i64);
    c.reply.array(batch.len());
    for key in &batch {
        c.reply.bulk(key);
    }
    Ok(())
}

/// A random live key: expired picks are deleted and another is drawn. If
/// expired keys cannot be deleted (as on a replica) one is returned after
/// a bounded number of picks instead of looping forever.
pub fn randomkey(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let db = c.db;
    let now = srv.cmd_time_ms;
    let mut tries = 0;
    loop {
        let len = srv.database(db).len();
        if len == 0 {
            c.reply.null();
            return Ok(());
        }
        let pick = srv.rng.below(len);
        let d = srv.database(db);
        let Some(key) = d.key_at(pick).cloned() else {
            c.reply.null();
            return Ok(());
        };
        if d.is_expired(&key, now) {
            srv.expire_if_needed(db, &key);
            tries += 1;
            if srv.database(db).len() < len || tries < RANDOMKEY_MAX_TRIES {
                continue;
            }
        }
        c.reply.bulk(&key);
        return Ok(());
    }
}

/// Which reply RENAME or RENAMENX gives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RenameMode {
    Overwrite,
    OnlyIfAbsent,
}

fn rename_generic(srv: &mut Server, c: &mut Client, args: &Args, mode: RenameMode) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    let db = c.db;
    let nx = mode == RenameMode::OnlyIfAbsent;
    if !srv.write_key(db, src).exists() {
        return Err(errors::NO_SUCH_KEY.into());
    }
    if src == dst {
        reply_rename(c, nx, false);
        return Ok(());
    }
    if srv.write_key(db, dst).exists() && nx {
        c.reply.int(0);
        return Ok(());
    }
    move_key(srv, (db, src), (db, dst), ("rename_from", "rename_to"));
    reply_rename(c, nx, true);
    Ok(())
}

/// RENAME answers `+OK` (even when source and destination are the same
/// key); RENAMENX answers whether the key got the new name.
fn reply_rename(c: &mut Client, nx: bool, renamed: bool) {
    if nx {
        c.reply.int(i64::from(renamed));
    } else {
        c.reply.ok();
    }
}

pub fn rename(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    rename_generic(srv, c, args, RenameMode::Overwrite)
}

pub fn renamenx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    rename_generic(srv, c, args, RenameMode::OnlyIfAbsent)
}

/// A database index that exists (`ERR DB index is out of range` otherwise).
fn existing_db(srv: &Server, index: i32) -> Result<usize, CmdError> {
    usize::try_from(index)
        .ok()
        .filter(|&i| i < srv.dbs.len())
        .ok_or(CmdError::Static(errors::DB_OUT_OF_RANGE))
}

/// A database index argument (MOVE, COPY ... DB, SELECT).
pub fn db_index_arg(srv: &Server, arg: &[u8]) -> Result<usize, CmdError> {
    existing_db(srv, i32_arg(arg, None)?)
}

pub fn move_(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = &args[1];
    let src = c.db;
    let dst = db_index_arg(srv, &args[2])?;
    if src == dst {
        return Err(errors::SAME_OBJECT.into());
    }
    if !srv.write_key(src, key).exists() || srv.write_key(dst, key).exists() {
        c.reply.int(0);
        return Ok(());
    }
    move_key(srv, (src, key), (dst, key), ("move_from", "move_to"));
    c.reply.int(1);
    Ok(())
}

/// Moves the object at `from` (database, key; both already looked up) to
/// `to`, replacing what was there, with its expiry: one change. As in
/// Redis, the destination is added (its `new` event) before either key's
/// event is raised, the source's first (RENAME, MOVE).
fn move_key(
    srv: &mut Server,
    (from_db, from_key): (usize, &[u8]),
    (to_db, to_key): (usize, &[u8]),
    (from_event, to_event): (&'static str, &'static str),
) {
    let mut from = srv.write_key_as_stored(from_db, from_key);
    let Some((obj, expire)) = from.take() else {
        return;
    };
    let mut from = from.defer();
    from.changed(1, KeyEvent::generic(from_event));
    let mut to = srv.write_key_as_stored(to_db, to_key);
    to.put_object(obj, expire);
    let mut to = to.defer();
    to.changed(0, KeyEvent::generic(to_event));
    srv.finish_write(from);
    srv.finish_write(to);
}

/// COPY source destination [DB index] [REPLACE]: the copy is a new object
/// (fresh access data) with the source's TTL.
pub fn copy(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (src_key, dst_key) = (&args[1], &args[2]);
    let src = c.db;
    let mut dst = src;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is_opt(&args[i], "replace") {
            replace = true;
        } else if is_opt(&args[i], "db") && i + 1 < args.len() {
            dst = db_index_arg(srv, &args[i + 1])?;
            i += 1;
        } else {
            return Err(errors::SYNTAX.into());
        }
        i += 1;
    }
    if src == dst && src_key == dst_key {
        return Err(errors::SAME_OBJECT.into());
    }
    let Some(value) = srv.lookup_read(src, src_key).map(|o| o.value.clone()) else {
        c.reply.int(0);
        return Ok(());
    };
    let expire = srv.expire_of(src, src_key);
    let obj = srv.new_object(value);
    let mut to = srv.write_key(dst, dst_key);
    if to.exists() && !replace {
        c.reply.int(0);
        return Ok(());
    }
    to.put_object(obj, expire);
    to.changed(1, KeyEvent::generic("copy_to"));
    c.reply.int(1);
    Ok(())
}

pub fn swapdb(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let first = i32_arg(&args[1], Some("ERR invalid first DB index"))?;
    let second = i32_arg(&args[2], Some("ERR invalid second DB index"))?;
    let (a, b) = (existing_db(srv, first)?, existing_db(srv, second)?);
    srv.swap_dbs(a, b);
    c.reply.ok();
    Ok(())
}

/// Whether a flush frees memory in the background: `ASYNC`, `SYNC`, or
/// without argument the `lazyfree-lazy-user-flush` setting.
fn flush_is_async(srv: &Server, args: &Args) -> Result<bool, CmdError> {
    match args.len() {
        1 => Ok(srv.config.lazyfree_lazy_user_flush),
        2 if is_opt(&args[1], "sync") => Ok(false),
        2 if is_opt(&args[1], "async") => Ok(true),
        _ => Err(errors::SYNTAX.into()),
    }
}

pub fn flushdb(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let background = flush_is_async(srv, args)?;
    let emptied = srv.flush(Some(c.db));
    srv.free_databases(emptied, background);
    c.reply.ok();
    Ok(())
}

pub fn flushall(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let background = flush_is_async(srv, args)?;
    let emptied = srv.flush(None);
    srv.free_databases(emptied, background);
    // As Redis 7.0: a running save is stopped and, with save points, the
    // (now empty) dataset is saved at once.
    srv.kill_save_child();
    if !srv.config.save.is_empty() {
        srv.rdb_save();
    }
    c.reply.ok();
    Ok(())
}

/// The value stored at `args[2]` for an OBJECT subcommand, or a null reply.
/// Looking does not count as an access.
fn object_target<'a>(srv: &'a mut Server, c: &mut Client, args: &Args) -> Option<&'a Object> {
    let obj = srv.lookup(c.db, &args[2], LookupEffects::INSPECT);
    if obj.is_none() {
        c.reply.null();
    }
    obj.map(|o| &*o)
}

pub fn object_encoding(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if let Some(obj) = object_target(srv, c, args) {
        c.reply.bulk_str(obj.value.encoding());
    }
    Ok(())
}

/// Small integers are shared in Redis unless an LRU/LFU maxmemory policy
/// needs per-key access data.
fn integers_shared(srv: &Server) -> bool {
    srv.config.maxmemory == 0
        || !(srv.config.maxmemory_policy.is_lru() || srv.config.maxmemory_policy.is_lfu())
}

pub fn object_refcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let shared_ok = integers_shared(srv);
    if let Some(obj) = object_target(srv, c, args) {
        let shared = matches!(obj.value.as_str(), Some(StrValue::Int(n)) if (0..SHARED_INTEGERS).contains(n));
        c.reply.int(if shared && shared_ok {
            SHARED_REFCOUNT
        } else {
            1
        });
    }
    Ok(())
}

/// Seconds since the last access, from the 24-bit LRU clock (which wraps).
pub fn object_idletime(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let tracking = srv.access_tracking();
    let Some(obj) = object_target(srv, c, args) else {
        return Ok(());
    };
    match tracking {
        AccessTracking::Lru(clock) => c.reply.int(i64::from(idle_ticks(clock, obj.lru))),
        AccessTracking::Lfu { .. } => return Err(LFU_SELECTED.into()),
    }
    Ok(())
}

pub fn object_freq(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let tracking = srv.access_tracking();
    let Some(obj) = object_target(srv, c, args) else {
        return Ok(());
    };
    match tracking {
        AccessTracking::Lfu { .. } => c.reply.int(i64::from(tracking.lfu_counter(obj.lru))),
        AccessTracking::Lru(_) => return Err(LFU_NOT_SELECTED.into()),
    }
    Ok(())
}

/// OBJECT HELP (also the container's handler, which the dispatcher never
/// reaches: it resolves OBJECT to one of its subcommands first).
pub fn object_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, &args[0], OBJECT_HELP);
    Ok(())
}

const OBJECT_SUBCOMMANDS: &[Command] = &[
    Command::new("freq", 3, object_freq)
        .flags(flag::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO, 2, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "4.0.0",
            "O(1)",
            "Returns the logarithmic access frequency counter of a key's value.",
        ),
    Command::new("idletime", 3, object_idletime)
        .flags(flag::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO, 2, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Returns the seconds since a key's value was last accessed.",
        ),
    Command::new("encoding", 3, object_encoding)
        .flags(flag::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO, 2, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Returns the internal representation of a key's value.",
        ),
    Command::new("help", 2, object_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::KEYSPACE | acl::SLOW)
        .doc(
            "generic",
            "6.2.0",
            "O(1)",
            "Describes the OBJECT subcommands.",
        ),
    Command::new("refcount", 3, object_refcount)
        .flags(flag::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO, 2, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Returns how many references a key's value has.",
        ),
];

/// The generic keyspace family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("del", -2, del)
        .flags(flag::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW)
        .keys(&[KeySpec::range(ks::RM | ks::DELETE, 1, -1, 1)])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Deletes keys."),
    Command::new("unlink", -2, unlink)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RM | ks::DELETE, 1, -1, 1)])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Deletes keys, possibly reclaiming their memory later."),
    Command::new("exists", -2, exists)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, -1, 1)])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "1.0.0", "O(N) where N is the number of keys to check.", "Counts how many of the given keys exist."),
    Command::new("type", 2, type_)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("generic", "1.0.0", "O(1)", "Returns the type of the value stored at a key."),
    Command::new("keys", 2, keys)
        .flags(flag::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .doc("generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Returns every key name matching a pattern."),
    Command::new("scan", -2, scan)
        .flags(flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .tips(&["nondeterministic_output", "request_policy:special"])
        .doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Iterates over the key names of the database with a cursor."),
    Command::new("rename", 3, rename)
        .flags(flag::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1), KeySpec::range(ks::OW | ks::UPDATE, 2, 0, 1)])
        .doc("generic", "1.0.0", "O(1)", "Gives a key a new name, replacing any key of that name."),
    Command::new("renamenx", 3, renamenx)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1), KeySpec::range(ks::OW | ks::INSERT, 2, 0, 1)])
        .doc("generic", "1.0.0", "O(1)", "Gives a key a new name only if no key has that name yet."),
    Command::new("copy", -3, copy)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1), KeySpec::range(ks::OW | ks::UPDATE, 2, 0, 1)])
        .doc("generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Copies the value of a key to another key, possibly in another database."),
    Command::new("move", 3, move_)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("generic", "1.0.0", "O(1)", "Moves a key to another database."),
    Command::new("randomkey", 1, randomkey)
        .flags(flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .tips(&["request_policy:all_shards", "nondeterministic_output"])
        .doc("generic", "1.0.0", "O(1)", "Returns a random key name from the database."),
    Command::new("dbsize", 1, dbsize)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
        .doc("server", "1.0.0", "O(1)", "Returns the number of keys in the database."),
    Command::new("flushdb", -1, flushdb)
        .flags(flag::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("server", "1.0.0", "O(N) where N is the number of keys in the selected database", "Deletes every key of the current database."),
    Command::new("flushall", -1, flushall)
        .flags(flag::WRITE)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Deletes every key of every database."),
    Command::new("swapdb", 3, swapdb)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST | acl::DANGEROUS)
        .doc("server", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "Exchanges the contents of two databases."),
    Command::new("touch", -2, touch)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, -1, 1)])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc("generic", "3.2.1", "O(N) where N is the number of keys that will be touched.", "Counts the given keys that exist and marks them as just accessed."),
    Command::new("object", -2, object_help)
        .acl(acl::SLOW)
        .doc("generic", "2.2.3", "Depends on subcommand.", "Inspects the internals of a key's value.")
        .subcommands(OBJECT_SUBCOMMANDS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parsing_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+12"), Ok(12));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b" 1",
            b"1 ",
            b"+",
            b"-",
            b"0x1",
            b"+-1",
        ] {
            assert_eq!(
                parse_cursor(bad),
                Err(CmdError::Static(errors::INVALID_CURSOR))
            );
        }
    }

    #[test]
    fn idle_time_survives_clock_wrap() {
        assert_eq!(idle_ticks(10, 4), 6);
        assert_eq!(idle_ticks(3, crate::server::keyspace::LRU_CLOCK_MAX - 2), 5);
    }
}
