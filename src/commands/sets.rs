//! Set commands: membership (SADD, SREM, SISMEMBER, SMISMEMBER, SCARD,
//! SMEMBERS, SMOVE), random picks (SPOP, SRANDMEMBER), the set algebra
//! (SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms) and SSCAN.
//!
//! Replies, errors, propagation and the encoding of stored results follow
//! Redis 7.0's t_set.c: results of set operations are built from an empty
//! intset, so they are intsets exactly when Redis's would be; SPOP reaches
//! replicas as SREMs (or a DEL when it empties the set).

use super::int_arg;
use super::keys::{parse_cursor, ScanOptions};
use crate::db::scan_positions;
use crate::resp::reply::Aggregate;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::{KeyEvent, DEL};
use crate::server::Server;
use crate::types::set::{Member, INTSET_MAX_ENTRIES};
use crate::types::{SetValue, SmallBytes, Value};
use crate::util::Rng;
use std::collections::HashSet;

/// SPOP with a count rebuilds the set from the members it keeps once the
/// members popped outnumber this many times those kept (Redis's
/// SPOP_MOVE_STRATEGY_MUL).
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;
/// SRANDMEMBER with a count drops random members from a full copy, rather
/// than picking distinct ones, when the set has fewer than this many times
/// the members asked for (Redis's SRANDMEMBER_SUB_STRATEGY_MUL).
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

const NUMKEYS_NOT_POSITIVE: &str = "ERR numkeys should be greater than 0";
const TOO_MANY_NUMKEYS: &str = "ERR Number of keys can't be greater than number of args";
const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
const SRANDMEMBER_COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

const SADD: KeyEvent = KeyEvent::set("sadd");
const SREM: KeyEvent = KeyEvent::set("srem");
const SPOP: KeyEvent = KeyEvent::set("spop");

/// Most members an intset holds before it becomes a hashtable.
fn intset_limit(srv: &Server) -> usize {
    srv.config.set_max_intset_entries.min(INTSET_MAX_ENTRIES) as usize
}

/// A position in `0..len` from a random draw.
fn pick(draw: u64, len: usize) -> usize {
    (draw % (len.max(1) as u64)) as usize
}

fn reply_member(c: &mut Client, member: Member) {
    match member {
        Member::Int(n) => c.reply.bulk_i64(n),
        Member::Bytes(b) => c.reply.bulk(b),
    }
}

/// Every member, as a set reply (an array in RESP2).
fn reply_set(c: &mut Client, set: &SetValue) {
    c.reply.set(set.len());
    for member in set.iter() {
        reply_member(c, member);
    }
}

fn add_each(set: &mut SetValue, members: Args, limit: usize) -> u64 {
    members.iter().filter(|m| set.add(m, limit)).count() as u64
}

pub fn sadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let limit = intset_limit(srv);
    let mut w = srv.write_key(c.db, &args[1]);
    let set = w.or_create(|| SetValue::for_member(&args[2]))?;
    let added = add_each(set, args.tail(2), limit);
    if added > 0 {
        w.changed(added, SADD);
    }
    c.reply.int(added as i64);
    Ok(())
}

pub fn srem(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(set) = w.existing::<SetValue>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let mut removed = 0;
    for member in args.tail(2).iter() {
        if set.remove(member) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        w.changed(removed, SREM);
    }
    c.reply.int(removed as i64);
    Ok(())
}

pub fn smove(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (db, src, dst, member) = (c.db, &args[1], &args[2], &args[3]);
    let limit = intset_limit(srv);
    let src_is_set = srv.write_key(db, src).holds::<SetValue>();
    let dst_is_set = srv.write_key(db, dst).holds::<SetValue>();
    match (src_is_set, dst_is_set) {
        (None, _) => {
            c.reply.int(0);
            return Ok(());
        }
        (Some(false), _) | (_, Some(false)) => return Err(errors::WRONGTYPE.into()),
        _ => {}
    }
    let mut from = srv.write_key(db, src);
    let Some(src_set) = from.existing::<SetValue>()? else {
        c.reply.int(0);
        return Ok(());
    };
    if src == dst {
        c.reply.int(i64::from(src_set.contains(member)));
        return Ok(());
    }
    if !src_set.remove(member) {
        c.reply.int(0);
        return Ok(());
    }
    from.changed(1, SREM);
    drop(from);
    let mut to = srv.write_key(db, dst);
    let dst_set = to.or_create(|| SetValue::for_member(member))?;
    if dst_set.add(member, limit) {
        to.changed(1, SADD);
    }
    drop(to);
    c.reply.int(1);
    Ok(())
}

pub fn sismember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let found = srv
        .read_key::<SetValue>(c.db, &args[1])?
        .is_some_and(|s| s.contains(&args[2]));
    c.reply.int(i64::from(found));
    Ok(())
}

pub fn smismember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let set = srv.read_key::<SetValue>(c.db, &args[1])?;
    let members = args.tail(2);
    c.reply.array(members.len());
    for member in members.iter() {
        let found = set.is_some_and(|s| s.contains(member));
        c.reply.int(i64::from(found));
    }
    Ok(())
}

pub fn scard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = srv
        .read_key::<SetValue>(c.db, &args[1])?
        .map_or(0, SetValue::len);
    c.reply.int(len as i64);
    Ok(())
}

/// SMEMBERS: SINTER of a single set.
pub fn smembers(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match srv.read_key::<SetValue>(c.db, &args[1])? {
        Some(set) => reply_set(c, set),
        None => c.reply.set(0),
    }
    Ok(())
}

pub fn spop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match args.len() {
        3 => return spop_with_count(srv, c, args),
        n if n > 3 => return Err(errors::SYNTAX.into()),
        _ => {}
    }
    let key = &args[1];
    let mut w = srv.write_key(c.db, key);
    let Some((set, rng)) = w.existing_with_rng::<SetValue>()? else {
        c.reply.null();
        return Ok(());
    };
    let Some(member) = set.pop_at(rng.below(set.len())) else {
        c.reply.null();
        return Ok(());
    };
    // As Redis: the event, the reply, then the `del` of an emptied set.
    w.changed(1, SPOP);
    c.reply.bulk(&member);
    w.pushes_after_reply(c);
    w.propagate_as(&[b"SREM", key, &member]);
    Ok(())
}

fn spop_with_count(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = &args[1];
    let count = int_arg(&args[2])
        .ok()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or(errors::OUT_OF_RANGE_POSITIVE)?;
    let limit = intset_limit(srv);
    let mut w = srv.write_key(c.db, key);
    let Some((set, rng)) = w.existing_with_rng::<SetValue>()? else {
        c.reply.set(0);
        return Ok(());
    };
    let size = set.len() as u64;
    if count == 0 {
        c.reply.set(0);
        return Ok(());
    }
    if count >= size {
        reply_set(c, set);
        w.changed(size, SPOP);
        w.delete();
        w.changed(0, DEL);
        w.propagate_as(&[b"DEL", key]);
        return Ok(());
    }
    let remaining = size - count;
    let popped = if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        pop_random(set, rng, count as usize)
    } else {
        keep_random(set, rng, remaining as usize, limit)
    };
    c.reply.set(popped.len());
    for member in &popped {
        c.reply.bulk(member);
        w.also_propagate(&[b"SREM", key, member]);
    }
    w.suppress_propagation();
    w.changed(count, SPOP);
    Ok(())
}

fn pop_random(set: &mut SetValue, rng: &mut Rng, count: usize) -> Vec<SmallBytes> {
    (0..count)
        .filter_map(|_| set.pop_at(rng.below(set.len())))
        .collect()
}

fn keep_random(set: &mut SetValue, rng: &mut Rng, keep: usize, limit: usize) -> Vec<SmallBytes> {
    let mut kept: Option<SetValue> = None;
    for _ in 0..keep {
        if let Some(member) = set.pop_at(rng.below(set.len())) {
            kept.get_or_insert_with(|| SetValue::for_member(&member))
                .add(&member, limit);
        }
    }
    let Some(kept) = kept else {
        return Vec::new();
    };
    let popped = std::mem::replace(set, kept);
    popped.iter().map(Member::to_small).collect()
}

pub fn srandmember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match args.len() {
        3 => return srandmember_with_count(srv, c, args),
        n if n > 3 => return Err(errors::SYNTAX.into()),
        _ => {}
    }
    let draw = srv.rng.next_u64();
    match srv.read_key::<SetValue>(c.db, &args[1])? {
        Some(set) => match set.member_at(pick(draw, set.len())) {
            Some(member) => reply_member(c, member),
            None => c.reply.null(),
        },
        None => c.reply.null(),
    }
    Ok(())
}

/// SRANDMEMBER key count: `count` distinct members (at most the whole set),
/// or with a negative count that many independent picks.
fn srandmember_with_count(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (db, key) = (c.db, &args[1]);
    let requested = int_arg(&args[2])?;
    if requested == i64::MIN {
        return Err(SRANDMEMBER_COUNT_RANGE.into());
    }
    let count = requested.unsigned_abs();
    let budget = srv.output_budget(c);
    if srv.read_key::<SetValue>(db, key)?.is_none() || count == 0 {
        c.reply.empty_array();
        return Ok(());
    }
    let Some((set, rng)) = srv.peek_with_rng::<SetValue>(db, key) else {
        c.reply.empty_array();
        return Ok(());
    };
    let size = set.len();
    if requested < 0 || count == 1 {
        c.reply.array(count as usize);
        for _ in 0..count {
            if let Some(member) = set.member_at(rng.below(size)) {
                reply_member(c, member);
            }
            if budget.spent(c) {
                break;
            }
        }
        return Ok(());
    }
    if count >= size as u64 {
        c.reply.array(size);
        set.iter().for_each(|m| reply_member(c, m));
        return Ok(());
    }
    let count = count as usize;
    let positions = if count as u64 * SRANDMEMBER_SUB_STRATEGY_MUL > size as u64 {
        drop_random_positions(rng, size, count)
    } else {
        distinct_random_positions(rng, size, count)
    };
    c.reply.array(positions.len());
    for member in positions.into_iter().filter_map(|i| set.member_at(i)) {
        reply_member(c, member);
    }
    Ok(())
}

/// `count` distinct positions out of `size` by dropping random ones from
/// all of them (for `count` close to `size`).
fn drop_random_positions(rng: &mut Rng, size: usize, count: usize) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..size).collect();
    while positions.len() > count {
        let drop = rng.below(positions.len());
        positions.swap_remove(drop);
    }
    positions
}

/// `count` distinct positions out of `size` by drawing until enough are
/// new (for `count` small next to `size`).
fn distinct_random_positions(rng: &mut Rng, size: usize, count: usize) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(count);
    let mut positions = Vec::with_capacity(count);
    while positions.len() < count {
        let i = rng.below(size);
        if seen.insert(i) {
            positions.push(i);
        }
    }
    positions
}

/// Looks every key up for reading, as Redis does before a set operation
/// (lazy expiry, hit/miss stats, access time), failing on the first one
/// that holds another type. Returns which keys exist.
fn check_operands(srv: &mut Server, db: usize, keys: Args) -> Result<Vec<bool>, CmdError> {
    keys.iter()
        .map(|key| match srv.lookup_read(db, key) {
            None => Ok(false),
            Some(obj) if obj.value.as_set().is_some() => Ok(true),
            Some(_) => Err(errors::WRONGTYPE.into()),
        })
        .collect()
}

/// The sets `check_operands` found (`None` for missing keys).
fn operands<'a>(
    srv: &'a Server,
    db: usize,
    keys: Args,
    present: &[bool],
) -> Vec<Option<&'a SetValue>> {
    let d = srv.dbs.get(db);
    keys.iter()
        .zip(present)
        .map(|(key, &here)| {
            let obj = d.filter(|_| here)?.get(key)?;
            obj.value.as_set()
        })
        .collect()
}

/// Stores the result of a *STORE command and replies with its size. As
/// Redis: the event follows the reply, and so does the `del` of an
/// emptied destination, except when SINTERSTORE knew it early
/// (`known_empty`: an operand is missing).
fn store_result(
    srv: &mut Server,
    c: &mut Client,
    dst: &[u8],
    result: SetValue,
    event: KeyEvent,
    known_empty: bool,
) {
    let size = result.len();
    let mut w = srv.write_key(c.db, dst);
    if size == 0 {
        if !known_empty {
            c.reply.int(0);
            w.pushes_after_reply(c);
        }
        if w.delete() {
            w.changed(1, DEL);
        }
        if known_empty {
            c.reply.int(0);
        }
    } else {
        w.set(Value::Set(result));
        c.reply.int(size as i64);
        w.pushes_after_reply(c);
        w.changed(1, event);
    }
}

/// What the SINTER family does with the intersection.
#[derive(Clone, Copy)]
enum InterOutput<'a> {
    Reply,
    Store(&'a [u8]),
    /// SINTERCARD: counts, stopping at `limit` (0 is no limit).
    Count {
        limit: u64,
    },
}

fn sinter_generic(srv: &mut Server, c: &mut Client, keys: Args, out: InterOutput) -> CmdResult {
    let db = c.db;
    let present = check_operands(srv, db, keys)?;
    let limit = intset_limit(srv);
    let mut sets: Vec<&SetValue> = operands(srv, db, keys, &present)
        .into_iter()
        .flatten()
        .collect();
    let missing_operand = sets.len() < keys.len();
    if missing_operand {
        sets.clear();
    }
    sets.sort_by_key(|s| s.len());
    let (first, others) = match sets.split_first() {
        Some((first, rest)) => (Some(*first), rest),
        None => (None, &[][..]),
    };
    let others: Vec<&SetValue> = others
        .iter()
        .copied()
        .filter(|s| first.is_none_or(|f| !std::ptr::eq(*s, f)))
        .collect();
    let common = first
        .into_iter()
        .flat_map(SetValue::iter)
        .filter(|m| others.iter().all(|s| s.contains_member(*m)));
    match out {
        InterOutput::Count { limit } => {
            let found = common.take(
                usize::try_from(limit)
                    .ok()
                    .filter(|&l| l > 0)
                    .unwrap_or(usize::MAX),
            );
            c.reply.int(found.count() as i64);
        }
        InterOutput::Reply => {
            let header = c.reply.defer();
            let mut n = 0;
            for member in common {
                reply_member(c, member);
                n += 1;
            }
            c.reply.fill(header, Aggregate::Set, n);
        }
        InterOutput::Store(dst) => {
            let mut result = SetValue::empty_intset();
            for member in common {
                result.add_member(member, limit);
            }
            let event = KeyEvent::set("sinterstore");
            store_result(srv, c, dst, result, event, missing_operand);
        }
    }
    Ok(())
}

pub fn sinter(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sinter_generic(srv, c, args.tail(1), InterOutput::Reply)
}

pub fn sinterstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sinter_generic(srv, c, args.tail(2), InterOutput::Store(&args[1]))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let numkeys = int_arg(&args[1])
        .ok()
        .filter(|&n| n >= 1)
        .ok_or(NUMKEYS_NOT_POSITIVE)?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - 2 {
        return Err(TOO_MANY_NUMKEYS.into());
    }
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if super::is_opt(&args[i], "limit") && i + 1 < args.len() {
            limit = int_arg(&args[i + 1])
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or(LIMIT_NEGATIVE)?;
            i += 2;
        } else {
            return Err(errors::SYNTAX.into());
        }
    }
    let keys = Args::new(args.buf, args.spans.get(2..2 + numkeys).unwrap_or_default());
    sinter_generic(srv, c, keys, InterOutput::Count { limit })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

fn sunion_diff_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: Args,
    dst: Option<&[u8]>,
    op: SetOp,
) -> CmdResult {
    let db = c.db;
    let present = check_operands(srv, db, keys)?;
    let limit = intset_limit(srv);
    let sets = operands(srv, db, keys, &present);
    let result = match op {
        SetOp::Union => union(&sets, limit),
        SetOp::Diff => difference(&sets, limit),
    };
    match dst {
        Some(dst) => {
            let event = match op {
                SetOp::Union => KeyEvent::set("sunionstore"),
                SetOp::Diff => KeyEvent::set("sdiffstore"),
            };
            store_result(srv, c, dst, result, event, false)
        }
        None => reply_set(c, &result),
    }
    Ok(())
}

fn union(sets: &[Option<&SetValue>], limit: usize) -> SetValue {
    let mut result = SetValue::empty_intset();
    for member in sets.iter().flatten().flat_map(|s| s.iter()) {
        result.add_member(member, limit);
    }
    result
}

/// The members of the first set in none of the others, computed the way
/// that costs less for these sizes (as Redis picks its algorithm).
fn difference(sets: &[Option<&SetValue>], limit: usize) -> SetValue {
    let mut result = SetValue::empty_intset();
    let Some((Some(first), rest)) = sets.split_first() else {
        return result;
    };
    let mut others: Vec<&SetValue> = rest.iter().flatten().copied().collect();
    if others.iter().any(|s| std::ptr::eq(*s, *first)) {
        return result;
    }
    let scan_first_work = first.len() * (others.len() + 1) / 2;
    let remove_others_work = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
    if scan_first_work <= remove_others_work {
        // Larger sets first: a member found early is rejected sooner.
        others.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for member in first.iter() {
            if !others.iter().any(|s| s.contains_member(member)) {
                result.add_member(member, limit);
            }
        }
    } else {
        for member in first.iter() {
            result.add_member(member, limit);
        }
        for set in others {
            for member in set.iter() {
                result.remove_member(member);
            }
            if result.is_empty() {
                break;
            }
        }
    }
    result
}

pub fn sunion(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sunion_diff_generic(srv, c, args.tail(1), None, SetOp::Union)
}

pub fn sunionstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sunion_diff_generic(srv, c, args.tail(2), Some(&args[1]), SetOp::Union)
}

pub fn sdiff(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sunion_diff_generic(srv, c, args.tail(1), None, SetOp::Diff)
}

pub fn sdiffstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sunion_diff_generic(srv, c, args.tail(2), Some(&args[1]), SetOp::Diff)
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: an intset is returned
/// whole in one call (cursor 0), a hashtable page by page.
pub fn sscan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(set) = srv.read_key::<SetValue>(c.db, &args[1])? else {
        c.reply.array(2);
        c.reply.bulk(b"0");
        c.reply.array(0);
        return Ok(());
    };
    let o = ScanOptions::parse(args, 3, false)?;
    let mut batch: Vec<Member> = Vec::new();
    let next = match set {
        SetValue::Ints(_) => {
            batch.extend(set.iter());
            0
        }
        SetValue::Table(_) => scan_positions(set.len(), cursor, o.count, |i| {
            batch.extend(set.member_at(i));
        }),
    };
    let mut tmp = [0u8; 21];
    batch.retain(|m| o.matches(m.bytes(&mut tmp)));
    c.reply.array(2);
    c.reply.bulk_i64(next as i64);
    c.reply.array(batch.len());
    for member in batch {
        reply_member(c, member);
    }
    Ok(())
}

/// The set family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("sadd", -3, sadd)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::SET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("set", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Adds members to a set, creating it if needed."),
    Command::new("srem", -3, srem)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::SET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("set", "1.0.0", "O(N) where N is the number of members to be removed.", "Removes members from a set, deleting it once empty."),
    Command::new("smembers", 2, smembers)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N) where N is the set cardinality.", "Returns every member of a set."),
    Command::new("sismember", 3, sismember)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("set", "1.0.0", "O(1)", "Tells whether a value is a member of a set."),
    Command::new("smismember", -3, smismember)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("set", "6.2.0", "O(N) where N is the number of elements being checked for membership", "Tells, for each of several values, whether it is a member of a set."),
    Command::new("scard", 2, scard)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("set", "1.0.0", "O(1)", "Returns the number of members of a set."),
    Command::new("spop", -2, spop)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::SET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "Removes and returns random members of a set."),
    Command::new("srandmember", -2, srandmember)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "Returns random members of a set without removing them."),
    Command::new("smove", 4, smove)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::SET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1), KeySpec::range(ks::RW | ks::INSERT, 2, 0, 1)])
        .doc("set", "1.0.0", "O(1)", "Moves a member from one set to another."),
    Command::new("sinter", -2, sinter)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, -1, 1)])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Returns the members common to several sets."),
    Command::new("sintercard", -3, sintercard)
        .flags(flag::READONLY | flag::MOVABLE_KEYS)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(&[KeySpec::keynum(ks::RO | ks::ACCESS, 1, 0, 1, 1)])
        .doc("set", "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Counts the members common to several sets, optionally up to a limit."),
    Command::new("sinterstore", -3, sinterstore)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1), KeySpec::range(ks::RO | ks::ACCESS, 2, -1, 1)])
        .doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Stores the members common to several sets under a key."),
    Command::new("sunion", -2, sunion)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, -1, 1)])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Returns the members of any of several sets."),
    Command::new("sunionstore", -3, sunionstore)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1), KeySpec::range(ks::RO | ks::ACCESS, 2, -1, 1)])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Stores the members of any of several sets under a key."),
    Command::new("sdiff", -2, sdiff)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, -1, 1)])
        .tips(&["nondeterministic_output_order"])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Returns the members of the first set that are in none of the others."),
    Command::new("sdiffstore", -3, sdiffstore)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1), KeySpec::range(ks::RO | ks::ACCESS, 2, -1, 1)])
        .doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Stores the members of the first set that are in none of the others under a key."),
    Command::new("sscan", -3, sscan)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Iterates over the members of a set with a cursor."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{
        decode_commands, run_line, server_keeping_stream as server, stream_since,
    };

    /// Runs `line` as a client would; returns what replicas received,
    /// one command per entry (SELECT left out).
    fn propagated(srv: &mut Server, c: &mut Client, line: &str) -> Vec<String> {
        let from = srv.replication.master_offset + 1;
        run_line(srv, c, line);
        decode_commands(&stream_since(srv, from))
            .into_iter()
            .filter(|cmd| !cmd.starts_with("SELECT"))
            .collect()
    }

    #[test]
    fn spop_reaches_replicas_as_srem_or_del() {
        let (mut srv, mut c) = server();
        let (s, c) = (&mut srv, &mut c);
        assert_eq!(propagated(s, c, "sadd s a"), vec!["sadd s a"]);
        assert_eq!(propagated(s, c, "sadd s a"), Vec::<String>::new());
        assert_eq!(propagated(s, c, "spop s"), vec!["SREM s a"]);
        assert_eq!(propagated(s, c, "spop s"), Vec::<String>::new());
        assert_eq!(propagated(s, c, "spop s 3"), Vec::<String>::new());

        propagated(s, c, "sadd s 1 2 3");
        assert_eq!(propagated(s, c, "spop s 0"), Vec::<String>::new());
        assert_eq!(propagated(s, c, "spop s 3"), vec!["DEL s"]);

        // Part of the set: one SREM per member, as a transaction.
        for count in [2, 18] {
            let members: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
            propagated(s, c, &format!("sadd s {}", members.join(" ")));
            let stream = propagated(s, c, &format!("spop s {count}"));
            assert_eq!(stream.len(), count + 2, "{stream:?}");
            assert_eq!(
                (stream[0].as_str(), stream[count + 1].as_str()),
                ("MULTI", "EXEC")
            );
            assert!(stream[1..=count]
                .iter()
                .all(|cmd| cmd.starts_with("SREM s m")));
            let removed: HashSet<&String> = stream[1..=count].iter().collect();
            assert_eq!(removed.len(), count);
            propagated(s, c, "del s");
        }
    }

    #[test]
    fn spop_of_one_member_with_count_is_an_srem() {
        let (mut srv, mut c) = server();
        let (s, c) = (&mut srv, &mut c);
        propagated(s, c, "sadd s a b c d e f g h i j");
        assert_eq!(propagated(s, c, "spop s 1").len(), 1);
        assert_eq!(propagated(s, c, "srandmember s 3"), Vec::<String>::new());
        assert_eq!(
            propagated(s, c, "sinterstore d s nokey"),
            Vec::<String>::new()
        );
        assert_eq!(propagated(s, c, "sunionstore d s"), vec!["sunionstore d s"]);
        assert_eq!(
            propagated(s, c, "sinterstore d s nokey"),
            vec!["sinterstore d s nokey"]
        );
    }

    #[test]
    fn random_positions_are_distinct_and_in_range() {
        let mut rng = Rng::default();
        for (size, count) in [(10, 9), (100, 3), (5, 5), (1000, 1)] {
            for positions in [
                drop_random_positions(&mut rng, size, count),
                distinct_random_positions(&mut rng, size, count),
            ] {
                let unique: HashSet<_> = positions.iter().copied().collect();
                assert_eq!((positions.len(), unique.len()), (count, count));
                assert!(positions.iter().all(|&i| i < size));
            }
        }
    }

    fn set_of(members: &[&str]) -> SetValue {
        let mut s = SetValue::empty_intset();
        for m in members {
            s.add(m.as_bytes(), 512);
        }
        s
    }

    fn sorted(s: &SetValue) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(|m| m.to_boxed().into_vec()).collect();
        v.sort();
        v
    }

    #[test]
    fn difference_both_ways_agree() {
        let first = set_of(&["1", "2", "3", "a", "b"]);
        let small = set_of(&["2", "a"]);
        let big = set_of(&["3", "x", "y", "z", "w", "v", "u", "t", "s", "r", "q"]);
        // Few large subtrahends: scanning the first set wins.
        let d1 = difference(&[Some(&first), Some(&small), None], 512);
        assert_eq!(
            sorted(&d1),
            vec![b"1".to_vec(), b"3".to_vec(), b"b".to_vec()]
        );
        // Many subtrahends: removing from a copy wins; same answer.
        let sets = [
            Some(&first),
            Some(&small),
            Some(&big),
            Some(&small),
            Some(&big),
        ];
        let d2 = difference(&sets, 512);
        assert_eq!(sorted(&d2), vec![b"1".to_vec(), b"b".to_vec()]);
        assert!(difference(&[Some(&first), Some(&first)], 512).is_empty());
        assert!(difference(&[None, Some(&first)], 512).is_empty());
    }

    #[test]
    fn results_start_as_intsets() {
        let a = set_of(&["1", "2"]);
        let b = set_of(&["x"]);
        assert_eq!(union(&[Some(&a)], 512).encoding(), "intset");
        assert_eq!(union(&[Some(&a), Some(&b)], 512).encoding(), "hashtable");
        assert_eq!(union(&[Some(&a)], 1).encoding(), "hashtable");
    }
}
