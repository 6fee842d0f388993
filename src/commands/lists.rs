//! List commands: pushes and pops at both ends, indexed access, ranges,
//! searches, moves between lists, and the blocking pops (BLPOP, BRPOP,
//! BLMOVE, BRPOPLPUSH, BLMPOP) that park a client until a list has data.
//!
//! A list whose last element goes is deleted. Blocking commands that find
//! nothing park through `Server::block_on_keys`; the server runs them again
//! when a key they wait on is written, and a served command reaches
//! replicas as its non-blocking form (BLPOP as LPOP, BLMOVE as LMOVE, BLMPOP
//! as LPOP/RPOP with the count served), as in Redis.

use super::{int_arg, is_opt};
use crate::server::blocking::{deadline_from_seconds, TimeoutReply};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::{KeyEvent, KeyWrite};
use crate::server::Server;
use crate::types::list::{Direction, End, List};

const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
const NUMKEYS_NOT_POSITIVE: &str = "ERR numkeys should be greater than 0";
const COUNT_NOT_POSITIVE: &str = "ERR count should be greater than 0";

/// An integer argument of at least `min`; `error` for anything else (Redis's
/// range parsing with a message: one text for both failures).
fn bounded_arg(arg: &[u8], min: i64, error: &'static str) -> Result<i64, CmdError> {
    crate::util::parse_i64(arg)
        .filter(|n| *n >= min)
        .ok_or(CmdError::Static(error))
}

/// `LEFT` or `RIGHT` as a list end.
fn end_arg(arg: &[u8]) -> Result<End, CmdError> {
    if is_opt(arg, "left") {
        Ok(End::Head)
    } else if is_opt(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(errors::SYNTAX.into())
    }
}

/// The word Redis uses for an end when it writes a command itself.
fn end_word(end: End) -> &'static [u8] {
    match end {
        End::Head => b"left",
        End::Tail => b"right",
    }
}

/// The pop command that stands for popping at `end`.
fn pop_command(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    }
}

fn push_elements<'e>(
    w: &mut KeyWrite,
    end: End,
    elements: impl Iterator<Item = &'e [u8]>,
) -> Result<usize, CmdError> {
    let created = !w.exists();
    let node_size = w.config().list_max_listpack_size;
    let list = w.or_create(|| List::new(node_size))?;
    elements.for_each(|e| list.push(end, e));
    if created && list.len() > 1 {
        list.shrink_to_fit();
    }
    Ok(list.len())
}

/// The event of a push at `end`.
fn push_event(end: End) -> KeyEvent {
    match end {
        End::Head => KeyEvent::list("lpush"),
        End::Tail => KeyEvent::list("rpush"),
    }
}

/// The event of a pop from `end`.
fn pop_event(end: End) -> KeyEvent {
    match end {
        End::Head => KeyEvent::list("lpop"),
        End::Tail => KeyEvent::list("rpop"),
    }
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX; `only_existing` for the X forms.
fn push_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    end: End,
    only_existing: bool,
) -> CmdResult {
    let mut w = srv.write_key(c.db, &args[1]);
    if only_existing && !w.check::<List>()? {
        c.reply.int(0);
        return Ok(());
    }
    let len = push_elements(&mut w, end, args.tail(2).iter())?;
    c.reply.int(len as i64);
    w.pushes_after_reply(c);
    w.changed(args.len() as u64 - 2, push_event(end));
    Ok(())
}

pub fn lpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, End::Head, false)
}

pub fn rpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, End::Tail, false)
}

pub fn lpushx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, End::Head, true)
}

pub fn rpushx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, End::Tail, true)
}

/// Replies with the `n` elements at `end` of `list`, in the order they
/// leave it, and removes them (`n` is at most the length).
fn pop_range(c: &mut Client, list: &mut List, end: End, n: usize) {
    c.reply.array(n);
    let (first, dir, from) = match end {
        End::Head => (0, Direction::Forward, 0),
        End::Tail => (
            list.len().saturating_sub(1),
            Direction::Backward,
            list.len() - n,
        ),
    };
    for element in list.iter_from(first, dir).take(n) {
        c.reply.bulk(element);
    }
    list.remove_range(from, n);
}

/// Pops one element (replied as a bulk string) or, with a count, up to
/// that many (replied as an array); returns how many left the list.
fn pop_and_reply(c: &mut Client, list: &mut List, end: End, count: Option<usize>) -> usize {
    match count {
        Some(n) => {
            let n = n.min(list.len());
            pop_range(c, list, end, n);
            n
        }
        None => {
            list.pop_with(end, |e| c.reply.bulk(e));
            1
        }
    }
}

/// LPOP/RPOP key [count]
fn pop_generic(srv: &mut Server, c: &mut Client, args: &Args, end: End) -> CmdResult {
    if args.len() > 3 {
        let name = if end == End::Head { "lpop" } else { "rpop" };
        return Err(errors::wrong_arity(name));
    }
    let count = match args.get(2) {
        Some(arg) => Some(bounded_arg(arg, 0, errors::OUT_OF_RANGE_POSITIVE)? as usize),
        None => None,
    };
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(list) = w.existing::<List>()? else {
        match count {
            Some(_) => c.reply.null_array(),
            None => c.reply.null(),
        }
        return Ok(());
    };
    if count == Some(0) {
        c.reply.empty_array();
        return Ok(());
    }
    let removed = pop_and_reply(c, list, end, count);
    w.pushes_after_reply(c);
    w.changed(removed as u64, pop_event(end));
    Ok(())
}

pub fn lpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    pop_generic(srv, c, args, End::Head)
}

pub fn rpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    pop_generic(srv, c, args, End::Tail)
}

pub fn llen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = srv.read_key::<List>(c.db, &args[1])?.map_or(0, List::len);
    c.reply.int(len as i64);
    Ok(())
}

/// The positions `start..=end` (negative from the tail) select in a list
/// of `len`, or `None` when the range is empty (Redis's clamping).
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { start + len } else { start }.max(0);
    let end = if end < 0 { end + len } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

pub fn lrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let start = int_arg(&args[2])?;
    let end = int_arg(&args[3])?;
    let Some(list) = srv.read_key::<List>(c.db, &args[1])? else {
        c.reply.empty_array();
        return Ok(());
    };
    let Some((first, last)) = clamp_range(start, end, list.len()) else {
        c.reply.empty_array();
        return Ok(());
    };
    let n = last - first + 1;
    c.reply.array(n);
    for element in list.iter_from(first, Direction::Forward).take(n) {
        c.reply.bulk(element);
    }
    Ok(())
}

pub fn ltrim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let start = int_arg(&args[2])?;
    let end = int_arg(&args[3])?;
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(list) = w.existing::<List>()? else {
        c.reply.ok();
        return Ok(());
    };
    let len = list.len();
    let (head, tail) = match clamp_range(start, end, len) {
        Some((first, last)) => (first, len - last - 1),
        None => (len, 0),
    };
    list.remove_range(len - tail, tail);
    list.remove_range(0, head);
    w.changed((head + tail) as u64, KeyEvent::list("ltrim"));
    c.reply.ok();
    Ok(())
}

pub fn lindex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(list) = srv.read_key::<List>(c.db, &args[1])? else {
        c.reply.null();
        return Ok(());
    };
    let index = int_arg(&args[2])?;
    c.reply.bulk_opt(list.get(index));
    Ok(())
}

pub fn lset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut w = srv.write_key(c.db, &args[1]);
    let list = w.existing::<List>()?.ok_or(errors::NO_SUCH_KEY)?;
    let index = int_arg(&args[2])?;
    if !list.set(index, &args[3]) {
        return Err(INDEX_OUT_OF_RANGE.into());
    }
    c.reply.ok();
    w.pushes_after_reply(c);
    w.changed(1, KeyEvent::list("lset"));
    Ok(())
}

pub fn linsert(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let after = if is_opt(&args[2], "after") {
        true
    } else if is_opt(&args[2], "before") {
        false
    } else {
        return Err(errors::SYNTAX.into());
    };
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(list) = w.existing::<List>()? else {
        c.reply.int(0);
        return Ok(());
    };
    if !list.insert_beside(&args[3], &args[4], after) {
        c.reply.int(-1);
        return Ok(());
    }
    let len = list.len();
    w.changed(1, KeyEvent::list("linsert"));
    c.reply.int(len as i64);
    Ok(())
}

pub fn lrem(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let count = int_arg(&args[2])?;
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(list) = w.existing::<List>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let from = if count < 0 { End::Tail } else { End::Head };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matches(&args[3], limit, from);
    if removed > 0 {
        w.changed(removed as u64, KeyEvent::list("lrem"));
    }
    c.reply.int(removed as i64);
    Ok(())
}

/// LPOS's options.
struct LposOptions {
    rank: i64,
    /// `None` when COUNT was not given (a single position is returned).
    count: Option<i64>,
    maxlen: i64,
}

fn parse_lpos_options(args: &Args) -> Result<LposOptions, CmdError> {
    let mut o = LposOptions {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let value = args.get(j + 1);
        match value {
            Some(v) if is_opt(opt, "rank") => {
                o.rank = int_arg(v)?;
                if o.rank == 0 {
                    return Err(RANK_ZERO.into());
                }
            }
            Some(v) if is_opt(opt, "count") => o.count = Some(bounded_arg(v, 0, COUNT_NEGATIVE)?),
            Some(v) if is_opt(opt, "maxlen") => o.maxlen = bounded_arg(v, 0, MAXLEN_NEGATIVE)?,
            _ => return Err(errors::SYNTAX.into()),
        }
        j += 2;
    }
    Ok(o)
}

/// Positions of the elements equal to `elem` that LPOS reports. The
/// arithmetic wraps like Redis's, so a rank of i64::MIN behaves as there.
fn lpos_matches(list: &List, elem: &[u8], o: &LposOptions) -> Vec<i64> {
    let (dir, start) = if o.rank < 0 {
        (Direction::Backward, list.len().saturating_sub(1))
    } else {
        (Direction::Forward, 0)
    };
    let rank = if o.rank < 0 {
        o.rank.wrapping_neg()
    } else {
        o.rank
    };
    let last = list.len() as i64 - 1;
    let mut found = Vec::new();
    let mut matches: i64 = 0;
    for (index, element) in (0i64..).zip(list.iter_from(start, dir)) {
        if o.maxlen != 0 && index >= o.maxlen {
            break;
        }
        if element != elem {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        found.push(if dir == Direction::Forward {
            index
        } else {
            last - index
        });
        let enough = match o.count {
            None => true,
            Some(count) => count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count,
        };
        if enough {
            break;
        }
    }
    found
}

pub fn lpos(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = parse_lpos_options(args)?;
    let found = match srv.read_key::<List>(c.db, &args[1])? {
        Some(list) => lpos_matches(list, &args[2], &o),
        None => Vec::new(),
    };
    match (o.count, found.first()) {
        (Some(_), _) => {
            c.reply.array(found.len());
            for position in &found {
                c.reply.int(*position);
            }
        }
        (None, Some(position)) => c.reply.int(*position),
        (None, None) => c.reply.null(),
    }
    Ok(())
}

/// How a move reaches replicas when it is not propagated as sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MoveRewrite {
    AsSent,
    /// BLMOVE -> LMOVE.
    Lmove,
    /// BRPOPLPUSH -> RPOPLPUSH.
    Rpoplpush,
}

/// LMOVE/RPOPLPUSH and the serving half of their blocking forms: moves one
/// element from `from` of `args[1]` to `to` of `args[2]`.
fn move_element(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    from: End,
    to: End,
    rewrite: MoveRewrite,
) -> CmdResult {
    let db = c.db;
    let (src, dst) = (&args[1], &args[2]);
    if !srv.write_key(db, src).check::<List>()? {
        c.reply.null();
        return Ok(());
    }
    srv.write_key(db, dst).check::<List>()?;
    let mut source = srv.write_key(db, src);
    let Some(value) = source.existing::<List>()?.and_then(|l| l.pop(from)) else {
        c.reply.null();
        return Ok(());
    };
    // As Redis: the push (and its event) comes before the reply, and the
    // source is done after it.
    if src == dst {
        push_elements(&mut source, to, std::iter::once(value.as_slice()))?;
        source.changed(0, push_event(to));
        c.reply.bulk(&value);
        source.pushes_after_reply(c);
        source.changed(1, pop_event(from));
        drop(source);
    } else {
        let mut source = source.defer();
        source.changed(1, pop_event(from));
        let mut target = srv.write_key(db, dst);
        let pushed = push_elements(&mut target, to, std::iter::once(value.as_slice()));
        target.changed(0, push_event(to));
        drop(target);
        if pushed.is_ok() {
            c.reply.bulk(&value);
            srv.pushes_after_reply(c);
        }
        srv.finish_write(source);
        pushed?;
    }
    match rewrite {
        MoveRewrite::AsSent => {}
        MoveRewrite::Rpoplpush => srv.propagate_as(&[b"RPOPLPUSH", src, dst]),
        MoveRewrite::Lmove if srv.serving_key().is_some() => {
            srv.propagate_as(&[b"LMOVE", src, dst, end_word(from), end_word(to)])
        }
        MoveRewrite::Lmove => srv.propagate_as(&[b"LMOVE", src, dst, &args[3], &args[4]]),
    }
    Ok(())
}

pub fn lmove(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let from = end_arg(&args[3])?;
    let to = end_arg(&args[4])?;
    move_element(srv, c, args, from, to, MoveRewrite::AsSent)
}

pub fn rpoplpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    move_element(srv, c, args, End::Tail, End::Head, MoveRewrite::AsSent)
}

/// BLMOVE/BRPOPLPUSH once the arguments are parsed: moves if the source
/// has elements, parks the client otherwise.
fn blocking_move(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    (from, to): (End, End),
    timeout: &[u8],
    rewrite: MoveRewrite,
) -> CmdResult {
    let deadline = deadline_from_seconds(timeout, srv.cmd_time_ms)?;
    let src = &args[1];
    let serving = srv.serving_key().is_some();
    let source_ready = match srv.write_key(c.db, src).holds::<List>() {
        None => false,
        Some(true) => true,
        // Serving a parked client, a source of another type is not ready.
        Some(false) if serving => false,
        Some(false) => return Err(errors::WRONGTYPE.into()),
    };
    if source_ready {
        return move_element(srv, c, args, from, to, rewrite);
    }
    // Inside a transaction the answer is a null bulk string, but a block
    // that times out answers a null array, as every list block does.
    if !srv.may_block(c) {
        c.reply.null();
        return Ok(());
    }
    srv.block_on_keys(c, &[src], deadline, TimeoutReply::NullArray, args);
    Ok(())
}

pub fn blmove(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let ends = (end_arg(&args[3])?, end_arg(&args[4])?);
    blocking_move(srv, c, args, ends, &args[5], MoveRewrite::Lmove)
}

pub fn brpoplpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let ends = (End::Tail, End::Head);
    blocking_move(srv, c, args, ends, &args[3], MoveRewrite::Rpoplpush)
}

/// Pops from the first of `keys` holding a non-empty list, replying
/// `[key, element]` (or `[key, [elements]]` with a count) and propagating
/// the matching LPOP/RPOP. Returns false if every key was empty. A key of
/// another type is an error. Serving a parked client, only the key whose
/// write woke it is considered, and another type there just means empty.
fn pop_first_nonempty(
    srv: &mut Server,
    c: &mut Client,
    keys: &Args,
    end: End,
    count: Option<usize>,
) -> Result<bool, CmdError> {
    let db = c.db;
    let serving: Option<Vec<u8>> = srv.serving_key().map(<[u8]>::to_vec);
    for key in keys.iter() {
        if serving.as_deref().is_some_and(|ready| ready != key) {
            continue;
        }
        let mut w = srv.write_key(db, key);
        let list = match w.existing::<List>() {
            Ok(Some(list)) if !list.is_empty() => list,
            Ok(_) => continue,
            Err(_) if serving.is_some() => continue,
            Err(e) => return Err(e),
        };
        c.reply.array(2);
        c.reply.bulk(key);
        let removed = pop_and_reply(c, list, end, count);
        w.pushes_after_reply(c);
        w.changed(removed as u64, pop_event(end));
        match count {
            Some(_) => {
                let mut tmp = [0u8; 21];
                let n = crate::util::i64_text(&mut tmp, removed as i64);
                w.propagate_as(&[pop_command(end), key, n]);
            }
            None => w.propagate_as(&[pop_command(end), key]),
        }
        return Ok(true);
    }
    Ok(false)
}

/// BLPOP/BRPOP/BLMPOP once the arguments are parsed.
fn blocking_pop(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: &Args,
    end: End,
    timeout: &[u8],
    count: Option<usize>,
) -> CmdResult {
    let deadline = deadline_from_seconds(timeout, srv.cmd_time_ms)?;
    if pop_first_nonempty(srv, c, keys, end, count)? {
        return Ok(());
    }
    let keys: Vec<&[u8]> = keys.iter().collect();
    srv.block_on_keys(c, &keys, deadline, TimeoutReply::NullArray, args);
    Ok(())
}

pub fn blpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    blocking_pop_keys_then_timeout(srv, c, args, End::Head)
}

pub fn brpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    blocking_pop_keys_then_timeout(srv, c, args, End::Tail)
}

/// BLPOP/BRPOP key [key ...] timeout
fn blocking_pop_keys_then_timeout(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    end: End,
) -> CmdResult {
    let last = args.len() - 1;
    let keys = Args::new(args.buf, args.spans.get(1..last).unwrap_or_default());
    blocking_pop(srv, c, args, &keys, end, &args[last], None)
}

/// The parsed `numkeys key [key ...] LEFT|RIGHT [COUNT count]` of
/// LMPOP/BLMPOP.
struct MultiPop<'a> {
    keys: Args<'a>,
    end: End,
    count: usize,
}

/// Parses LMPOP/BLMPOP arguments whose `numkeys` is at `numkeys_at`.
fn parse_multi_pop<'a>(args: &Args<'a>, numkeys_at: usize) -> Result<MultiPop<'a>, CmdError> {
    let numkeys = bounded_arg(&args[numkeys_at], 1, NUMKEYS_NOT_POSITIVE)?;
    let first_key = numkeys_at + 1;
    let end_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| first_key.checked_add(n))
        .filter(|&at| at < args.len())
        .ok_or(errors::SYNTAX)?;
    let end = end_arg(&args[end_at])?;
    let mut count = None;
    let mut j = end_at + 1;
    while j < args.len() {
        match args.get(j + 1) {
            Some(v) if count.is_none() && is_opt(&args[j], "count") => {
                count = Some(bounded_arg(v, 1, COUNT_NOT_POSITIVE)? as usize);
            }
            _ => return Err(errors::SYNTAX.into()),
        }
        j += 2;
    }
    Ok(MultiPop {
        keys: Args::new(
            args.buf,
            args.spans.get(first_key..end_at).unwrap_or_default(),
        ),
        end,
        count: count.unwrap_or(1),
    })
}

pub fn lmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let p = parse_multi_pop(args, 1)?;
    if !pop_first_nonempty(srv, c, &p.keys, p.end, Some(p.count))? {
        c.reply.null_array();
    }
    Ok(())
}

pub fn blmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let p = parse_multi_pop(args, 2)?;
    blocking_pop(srv, c, args, &p.keys, p.end, &args[1], Some(p.count))
}

/// The list family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("lpush", -3, lpush)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Adds elements at the head of a list, creating it if needed."),
    Command::new("rpush", -3, rpush)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Adds elements at the tail of a list, creating it if needed."),
    Command::new("lpushx", -3, lpushx)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Adds elements at the head of a list only if the list exists."),
    Command::new("rpushx", -3, rpushx)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Adds elements at the tail of a list only if the list exists."),
    Command::new("lpop", -2, lpop)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1)])
        .doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Removes and returns elements from the head of a list."),
    Command::new("rpop", -2, rpop)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::LIST | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1)])
        .doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Removes and returns elements from the tail of a list."),
    Command::new("llen", 2, llen)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::LIST | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("list", "1.0.0", "O(1)", "Returns the number of elements of a list."),
    Command::new("lrange", 4, lrange)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "Returns a range of elements of a list."),
    Command::new("lindex", 3, lindex)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("list", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "Returns the element of a list at an index."),
    Command::new("lset", 4, lset)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("list", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "Replaces the element of a list at an index."),
    Command::new("linsert", 5, linsert)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "Inserts an element before or after another element of a list."),
    Command::new("lrem", 4, lrem)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.", "Removes occurrences of an element from a list."),
    Command::new("ltrim", 4, ltrim)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("list", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.", "Keeps only a range of elements of a list."),
    Command::new("lpos", -3, lpos)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "Returns the positions of elements equal to a value in a list."),
    Command::new("lmove", 5, lmove)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1), KeySpec::range(ks::RW | ks::INSERT, 2, 0, 1)])
        .doc("list", "6.2.0", "O(1)", "Moves an element from one end of a list to an end of another list."),
    Command::new("rpoplpush", 3, rpoplpush)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1), KeySpec::range(ks::RW | ks::INSERT, 2, 0, 1)])
        .doc("list", "1.2.0", "O(1)", "Moves the last element of a list to the head of another list."),
    Command::new("lmpop", -4, lmpop)
        .flags(flag::WRITE | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::LIST | acl::SLOW)
        .keys(&[KeySpec::keynum(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1, 1)])
        .doc("list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pops elements from the first non-empty list of several."),
    Command::new("blpop", -3, blpop)
        .flags(flag::WRITE | flag::NOSCRIPT | flag::BLOCKING)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, -2, 1)])
        .doc("list", "2.0.0", "O(N) where N is the number of provided keys.", "Pops the head of the first non-empty list, waiting for one if needed."),
    Command::new("brpop", -3, brpop)
        .flags(flag::WRITE | flag::NOSCRIPT | flag::BLOCKING)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, -2, 1)])
        .doc("list", "2.0.0", "O(N) where N is the number of provided keys.", "Pops the tail of the first non-empty list, waiting for one if needed."),
    Command::new("blmove", 6, blmove)
        .flags(flag::WRITE | flag::DENYOOM | flag::NOSCRIPT | flag::BLOCKING)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1), KeySpec::range(ks::RW | ks::INSERT, 2, 0, 1)])
        .doc("list", "6.2.0", "O(1)", "Moves an element between lists, waiting for the source to have one if needed."),
    Command::new("brpoplpush", 4, brpoplpush)
        .flags(flag::WRITE | flag::DENYOOM | flag::NOSCRIPT | flag::BLOCKING)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1), KeySpec::range(ks::RW | ks::INSERT, 2, 0, 1)])
        .doc("list", "2.2.0", "O(1)", "Moves the tail of a list to the head of another, waiting for an element if needed."),
    Command::new("blmpop", -5, blmpop)
        .flags(flag::WRITE | flag::BLOCKING | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::keynum(ks::RW | ks::ACCESS | ks::DELETE, 2, 0, 1, 1)])
        .doc("list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pops elements from the first non-empty list of several, waiting for one if needed."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{
        decode_commands, run_words, server_keeping_stream, whole_stream,
    };

    /// Runs `commands` on an in-process server (no sockets) and returns
    /// the commands it propagated, as space-joined words.
    fn propagated(commands: &[&[&str]]) -> Vec<String> {
        let (mut srv, mut c) = server_keeping_stream();
        for cmd in commands {
            run_words(&mut srv, &mut c, cmd);
        }
        decode_commands(&whole_stream(&srv))
    }

    #[test]
    fn pops_and_moves_propagate_as_redis_rewrites_them() {
        let stream = propagated(&[
            &["RPUSH", "l", "a", "b", "c", "d", "e", "f"],
            &["BLPOP", "none", "l", "0"],
            &["BRPOP", "l", "1.5"],
            &["BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "10"],
            &["RPUSH", "l", "a", "b", "c"],
            &["LMPOP", "2", "none", "l", "left", "COUNT", "2"],
            &["BLMOVE", "l", "m", "left", "RIGHT", "0"],
            &["RPUSH", "l", "x"],
            &["BRPOPLPUSH", "l", "m", "0"],
            &["LPOP", "m", "0"],
            &["LPUSHX", "none", "a"],
            &["LREM", "m", "0", "absent"],
            &["LPOP", "m", "5"],
        ]);
        assert_eq!(
            stream,
            [
                "SELECT 0",
                "RPUSH l a b c d e f",
                "LPOP l",
                "RPOP l",
                "RPOP l 4",
                "RPUSH l a b c",
                "LPOP l 2",
                "LMOVE l m left RIGHT",
                "RPUSH l x",
                "RPOPLPUSH l m",
                "LPOP m 5",
            ]
        );
    }

    #[test]
    fn blocking_forms_in_a_transaction_answer_at_once() {
        let (mut srv, mut c) = server_keeping_stream();
        c.in_exec = true;
        for cmd in [
            &["BLMOVE", "k", "d", "LEFT", "LEFT", "0"][..],
            &["BRPOPLPUSH", "k", "d", "0"],
            &["BLPOP", "k", "0"],
            &["BLMPOP", "0", "1", "k", "LEFT"],
        ] {
            run_words(&mut srv, &mut c, cmd);
        }
        assert_eq!(c.reply.buf, b"$-1\r\n$-1\r\n*-1\r\n*-1\r\n");
        assert_eq!(srv.blocking.count, 0);
    }

    #[test]
    fn ranges_clamp_like_redis() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(clamp_range(3, 1, 5), None);
        assert_eq!(clamp_range(5, 10, 5), None);
        assert_eq!(clamp_range(0, -6, 5), None);
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    #[test]
    fn lpos_rank_extremes_wrap_like_redis() {
        let mut l = List::new(-2);
        for e in ["a", "b", "c", "1", "2", "3", "c", "c"] {
            l.push(End::Tail, e.as_bytes());
        }
        let find = |rank, count| {
            let o = LposOptions {
                rank,
                count,
                maxlen: 0,
            };
            lpos_matches(&l, b"c", &o)
        };
        assert_eq!(find(1, None), [2]);
        assert_eq!(find(-2, None), [6]);
        assert_eq!(find(2, Some(0)), [6, 7]);
        assert_eq!(find(i64::MIN, Some(2)), [7, 6, 2]);
        assert_eq!(find(i64::MAX, Some(2)), Vec::<i64>::new());
    }
}
