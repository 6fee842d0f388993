//! Hash commands: setting and reading fields (HSET, HSETNX, HMSET, HGET,
//! HMGET, HGETALL, HKEYS, HVALS, HEXISTS, HLEN, HSTRLEN), deleting them
//! (HDEL), counters (HINCRBY, HINCRBYFLOAT), random fields (HRANDFIELD) and
//! iteration (HSCAN). A hash left without fields is deleted.

use super::int_arg;
use super::keys::{parse_cursor, ScanOptions};
use crate::db::scan_positions;
use crate::long_double::LongDouble;
use crate::server::client::Client;
use crate::server::errors::{self, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::KeyEvent;
use crate::server::Server;
use crate::types::hash::{Limits, Pair, Positional};
use crate::types::HashValue;
use crate::util::Rng;
use crate::util::{i64_text, parse_i64};
use std::collections::HashSet;

const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
const NAN_OR_INFINITY: &str = "ERR value is NaN or Infinity";
const PRODUCES_NAN: &str = "ERR increment would produce NaN or Infinity";
const OUT_OF_RANGE: &str = "ERR value is out of range";
/// HRANDFIELD's count must lie within ±`i64::MAX` (C's `-LONG_MAX..LONG_MAX`).
const HRANDFIELD_COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// With a count at most this many times the hash's size, HRANDFIELD draws
/// the fields to drop instead of the fields to return.
const HRANDFIELD_SUB_STRATEGY_MUL: u64 = 3;

/// The compact encoding's thresholds from the configuration.
fn limits(srv: &Server) -> Limits {
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Limits {
        max_entries: size(srv.config.hash_max_listpack_entries),
        max_value: size(srv.config.hash_max_listpack_value),
    }
}

/// HSET, HMSET and HSETNX raise the same event.
const HSET: KeyEvent = KeyEvent::hash("hset");

/// HSET and HMSET: sets the pairs and replies with `reply` (given how
/// many fields are new) before the event, as Redis does.
fn set_pairs(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    command: &str,
    reply: impl FnOnce(&mut Client, i64),
) -> CmdResult {
    if args.len() % 2 == 1 {
        return Err(errors::wrong_arity(command));
    }
    let limits = limits(srv);
    let mut w = srv.write_key(c.db, &args[1]);
    let h = w.or_create(HashValue::default)?;
    h.prepare_for(args.tail(2).iter().map(<[u8]>::len), limits);
    let mut created = 0;
    for j in (2..args.len()).step_by(2) {
        created += i64::from(h.insert(&args[j], &args[j + 1], limits));
    }
    reply(c, created);
    w.pushes_after_reply(c);
    w.changed((args.len() as u64 - 2) / 2, HSET);
    Ok(())
}

pub fn hset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_pairs(srv, c, args, "hset", |c, created| c.reply.int(created))
}

pub fn hmset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_pairs(srv, c, args, "hmset", |c, _| c.reply.ok())
}

pub fn hsetnx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, field, value) = (&args[1], &args[2], &args[3]);
    let limits = limits(srv);
    let mut w = srv.write_key(c.db, key);
    let h = w.or_create(HashValue::default)?;
    if h.contains(field) {
        c.reply.int(0);
        return Ok(());
    }
    h.prepare_for([field.len(), value.len()], limits);
    h.insert(field, value, limits);
    c.reply.int(1);
    w.pushes_after_reply(c);
    w.changed(1, HSET);
    Ok(())
}

pub fn hget(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let value = srv
        .read_key::<HashValue>(c.db, &args[1])?
        .and_then(|h| h.get(&args[2]));
    c.reply.bulk_opt(value);
    Ok(())
}

pub fn hmget(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let h = srv.read_key::<HashValue>(c.db, &args[1])?;
    c.reply.array(args.len() - 2);
    for field in args.tail(2).iter() {
        c.reply.bulk_opt(h.and_then(|h| h.get(field)));
    }
    Ok(())
}

pub fn hdel(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(h) = w.existing::<HashValue>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for field in args.tail(2).iter() {
        if h.remove(field) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        w.changed(deleted, KeyEvent::hash("hdel"));
    }
    c.reply.int(deleted as i64);
    Ok(())
}

pub fn hlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = srv
        .read_key::<HashValue>(c.db, &args[1])?
        .map_or(0, HashValue::len);
    c.reply.int(len as i64);
    Ok(())
}

pub fn hstrlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = srv
        .read_key::<HashValue>(c.db, &args[1])?
        .and_then(|h| h.get(&args[2]))
        .map_or(0, <[u8]>::len);
    c.reply.int(len as i64);
    Ok(())
}

pub fn hexists(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let found = srv
        .read_key::<HashValue>(c.db, &args[1])?
        .is_some_and(|h| h.contains(&args[2]));
    c.reply.int(i64::from(found));
    Ok(())
}

/// What HGETALL, HKEYS and HVALS list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    Fields,
    Values,
    Pairs,
}

fn list_hash(srv: &mut Server, c: &mut Client, key: &[u8], listing: Listing) -> CmdResult {
    let h = srv.read_key::<HashValue>(c.db, key)?;
    let len = h.map_or(0, HashValue::len);
    if listing == Listing::Pairs {
        c.reply.map(len);
    } else {
        c.reply.array(len);
    }
    for (field, value) in h.into_iter().flat_map(HashValue::iter) {
        if listing != Listing::Values {
            c.reply.bulk(field);
        }
        if listing != Listing::Fields {
            c.reply.bulk(value);
        }
    }
    Ok(())
}

pub fn hgetall(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    list_hash(srv, c, &args[1], Listing::Pairs)
}

pub fn hkeys(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    list_hash(srv, c, &args[1], Listing::Fields)
}

pub fn hvals(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    list_hash(srv, c, &args[1], Listing::Values)
}

pub fn hincrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, field) = (&args[1], &args[2]);
    let incr = int_arg(&args[3])?;
    let limits = limits(srv);
    let mut w = srv.write_key(c.db, key);
    let h = w.or_create(HashValue::default)?;
    let current = match h.get(field) {
        Some(text) => parse_i64(text).ok_or(HASH_NOT_INTEGER)?,
        None => 0,
    };
    let value = current.checked_add(incr).ok_or(errors::OVERFLOW)?;
    let mut tmp = [0u8; 21];
    h.insert(field, i64_text(&mut tmp, value), limits);
    c.reply.int(value);
    w.pushes_after_reply(c);
    w.changed(1, KeyEvent::hash("hincrby"));
    Ok(())
}

/// Replicas get `HSET key field <result>` so they store the exact text.
pub fn hincrbyfloat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, field) = (&args[1], &args[2]);
    let incr = LongDouble::parse(&args[3]).ok_or(errors::NOT_FLOAT)?;
    if !incr.is_finite() {
        return Err(NAN_OR_INFINITY.into());
    }
    let limits = limits(srv);
    let mut w = srv.write_key(c.db, key);
    let h = w.or_create(HashValue::default)?;
    let current = match h.get(field) {
        Some(text) => LongDouble::parse(text).ok_or(HASH_NOT_FLOAT)?,
        None => LongDouble::ZERO,
    };
    let value = current + incr;
    if !value.is_finite() {
        return Err(PRODUCES_NAN.into());
    }
    let text = value.human_text();
    h.insert(field, text.as_bytes(), limits);
    c.reply.bulk(text.as_bytes());
    w.pushes_after_reply(c);
    w.changed(1, KeyEvent::hash("hincrbyfloat"));
    w.propagate_as(&[b"HSET".as_slice(), key, field, text.as_bytes()]);
    Ok(())
}

/// Replies with one HRANDFIELD pick: the field, or in WITHVALUES mode the
/// field and value (a nested pair in RESP3).
fn reply_pick(c: &mut Client, (field, value): (&[u8], &[u8]), with_values: bool) {
    if with_values && c.reply.resp3 {
        c.reply.array(2);
    }
    c.reply.bulk(field);
    if with_values {
        c.reply.bulk(value);
    }
}

/// The header of an HRANDFIELD reply of `picks` picks: flat field/value
/// pairs in RESP2.
fn reply_picks_header(c: &mut Client, picks: u64, with_values: bool) {
    let items = if with_values && !c.reply.resp3 {
        picks.saturating_mul(2)
    } else {
        picks
    };
    c.reply.array(usize::try_from(items).unwrap_or(usize::MAX));
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() >= 3 {
        let count = int_arg(&args[2])?;
        if count == i64::MIN {
            return Err(HRANDFIELD_COUNT_RANGE.into());
        }
        let with_values = args.len() == 4;
        if args.len() > 4 || (with_values && !args[3].eq_ignore_ascii_case(b"withvalues")) {
            return Err(errors::SYNTAX.into());
        }
        if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return Err(OUT_OF_RANGE.into());
        }
        return hrandfield_count(srv, c, &args[1], count, with_values);
    }
    let mut rng = srv.rng.clone();
    let pick = srv
        .read_key::<HashValue>(c.db, &args[1])?
        .and_then(|h| h.pair_at(rng.below(h.len())))
        .map(|(field, _)| field);
    c.reply.bulk_opt(pick);
    srv.rng = rng;
    Ok(())
}

fn hrandfield_count(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    count: i64,
    with_values: bool,
) -> CmdResult {
    let mut rng = srv.rng.clone();
    let budget = srv.output_budget(c);
    let Some(h) = srv.read_key::<HashValue>(c.db, key)? else {
        c.reply.empty_array();
        return Ok(());
    };
    let wanted = count.unsigned_abs();
    if wanted == 0 {
        c.reply.empty_array();
        return Ok(());
    }
    let size = h.len() as u64;
    if count > 0 && wanted >= size {
        reply_picks_header(c, size, with_values);
        for pair in h.iter() {
            reply_pick(c, pair, with_values);
        }
    } else if count < 0 || wanted == 1 {
        let pairs = h.positional();
        reply_picks_header(c, wanted, with_values);
        for _ in 0..wanted {
            if let Some(pair) = pairs.get(rng.below(pairs.len())) {
                reply_pick(c, pair, with_values);
            }
            if budget.spent(c) {
                break;
            }
        }
    } else {
        let pairs = h.positional();
        reply_picks_header(c, wanted, with_values);
        for index in distinct_positions(&pairs, wanted as usize, &mut rng) {
            if let Some(pair) = pairs.get(index) {
                reply_pick(c, pair, with_values);
            }
        }
    }
    srv.rng = rng;
    Ok(())
}

/// `wanted` distinct random positions of `pairs` (fewer than it holds): by
/// dropping random positions when most are wanted, else by drawing until
/// enough distinct ones came up.
fn distinct_positions(pairs: &Positional, wanted: usize, rng: &mut Rng) -> Vec<usize> {
    let size = pairs.len();
    if wanted as u64 * HRANDFIELD_SUB_STRATEGY_MUL > size as u64 {
        let mut kept: Vec<usize> = (0..size).collect();
        while kept.len() > wanted {
            kept.swap_remove(rng.below(kept.len()));
        }
        return kept;
    }
    let mut seen = HashSet::with_capacity(wanted);
    let mut picked = Vec::with_capacity(wanted);
    while picked.len() < wanted {
        let index = rng.below(size);
        if seen.insert(index) {
            picked.push(index);
        }
    }
    picked
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: a compact hash is
/// returned whole in one call (cursor 0), a table position by position.
pub fn hscan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(h) = srv.read_key::<HashValue>(c.db, &args[1])? else {
        c.reply.array(2);
        c.reply.bulk(b"0");
        c.reply.empty_array();
        return Ok(());
    };
    let o = ScanOptions::parse(args, 3, false)?;
    let mut batch = Vec::new();
    let next = match h {
        HashValue::Listpack(_) => {
            batch.extend(h.iter().filter(|(field, _)| o.matches(field)));
            0
        }
        HashValue::Table(t) => scan_positions(t.len(), cursor, o.count, |i| {
            if let Some((field, value)) = t.get_index(i).map(Pair::parts) {
                if o.matches(field) {
                    batch.push((field, value));
                }
            }
        }),
    };
    c.reply.array(2);
    c.reply.bulk_i64(next as i64);
    c.reply.array(batch.len() * 2);
    for (field, value) in batch {
        c.reply.bulk(field);
        c.reply.bulk(value);
    }
    Ok(())
}

/// The hash family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("hdel", -3, hdel)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(N) where N is the number of fields to be removed.", "Deletes fields from a hash, and the hash when none are left."),
    Command::new("hexists", 3, hexists)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(1)", "Tells whether a field exists in a hash."),
    Command::new("hget", 3, hget)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(1)", "Returns the value of one field of a hash."),
    Command::new("hgetall", 2, hgetall)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output_order"])
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Returns every field and value of a hash."),
    Command::new("hincrby", 4, hincrby)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(1)", "Adds an integer to the integer stored in a hash field."),
    Command::new("hincrbyfloat", 4, hincrbyfloat)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("hash", "2.6.0", "O(1)", "Adds a floating point number to the number stored in a hash field."),
    Command::new("hkeys", 2, hkeys)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output_order"])
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Returns every field of a hash."),
    Command::new("hlen", 2, hlen)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(1)", "Returns the number of fields in a hash."),
    Command::new("hmget", -3, hmget)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(N) where N is the number of fields being requested.", "Returns the values of several fields of a hash."),
    Command::new("hmset", -4, hmset)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(N) where N is the number of fields being set.", "Sets several fields of a hash (old form of HSET)."),
    Command::new("hrandfield", -2, hrandfield)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("hash", "6.2.0", "O(N) where N is the number of fields returned", "Returns random fields of a hash, optionally with their values."),
    Command::new("hscan", -3, hscan)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("hash", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Iterates over the fields and values of a hash."),
    Command::new("hset", -4, hset)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "Sets fields of a hash, creating it if needed."),
    Command::new("hsetnx", 4, hsetnx)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("hash", "2.0.0", "O(1)", "Sets a hash field only when it does not exist yet."),
    Command::new("hstrlen", 3, hstrlen)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::HASH | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("hash", "3.2.0", "O(1)", "Returns the length of the value of a hash field."),
    Command::new("hvals", 2, hvals)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::HASH | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output_order"])
        .doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Returns every value of a hash."),
];
