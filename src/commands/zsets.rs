//! Sorted set commands: adding and removing members, scores and ranks,
//! range queries by rank, score and member (and their STORE and REM
//! forms), pops (blocking ones included), random members, set algebra
//! (ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD) and ZSCAN.
//!
//! Replies and errors follow Redis 7.0.15's t_zset.c. Every range query is
//! reduced to a run of ranks (first rank, count, direction) over the set,
//! which both encodings serve (see `crate::types::zset`).

use super::keys::{parse_cursor, ScanOptions};
use super::{int_arg, is_opt};
use crate::db::{scan_positions, Db};
use crate::server::blocking::{deadline_from_seconds, TimeoutReply};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::output_limits::OutputBudget;
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::{KeyEvent, DEL};
use crate::server::Server;
use crate::types::set::Member;
use crate::types::zset::{
    entry_cmp, AddFlags, AddOutcome, LexBound, LexRange, ListpackLimits, ScoreRange,
};
use crate::types::{SetValue, Value, ZSet};
use crate::util::{format_double_g17, parse_f64};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";
const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";
const NX_XX: &str = "ERR XX and NX options at the same time are not compatible";
const GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
const INCR_SINGLE: &str = "ERR INCR option supports a single increment-element pair";
const LIMIT_NEEDS_BY: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
const WITHSCORES_BYLEX: &str =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
const WEIGHT_NOT_FLOAT: &str = "ERR weight value is not a float";
const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
const COUNT_POSITIVE: &str = "ERR count should be greater than 0";
const OUT_OF_RANGE: &str = "ERR value is out of range";
const RANDMEMBER_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

// ---------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------

/// C's `strtod` for the hexadecimal forms (`0x1.8p3`) Rust's parser lacks:
/// the value and whether it overflowed or underflowed, if `text` is such a
/// number as a whole.
fn parse_hex_double(text: &[u8]) -> Option<(f64, bool)> {
    let (negative, rest) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let rest = rest
        .strip_prefix(b"0x")
        .or_else(|| rest.strip_prefix(b"0X"))?;
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let mut exponent: i64 = 0;
    let mut digits = 0;
    let mut seen_point = false;
    let mut i = 0;
    while let Some(&b) = rest.get(i) {
        if b == b'.' && !seen_point {
            seen_point = true;
            i += 1;
            continue;
        }
        let Some(d) = char::from(b).to_digit(16) else {
            break;
        };
        digits += 1;
        if mantissa >> 60 == 0 {
            mantissa = mantissa << 4 | u64::from(d);
            if seen_point {
                exponent -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_point {
                exponent += 4;
            }
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if let Some(&(b'p' | b'P')) = rest.get(i) {
        exponent = exponent.saturating_add(binary_exponent(rest.get(i + 1..)?)?);
    } else if i != rest.len() {
        return None;
    }
    let value = scale_by_power_of_two((mantissa | u64::from(sticky)) as f64, exponent);
    let range_error = value.is_infinite() || (value == 0.0 && mantissa != 0);
    Some((if negative { -value } else { value }, range_error))
}

/// The decimal exponent after a hexadecimal float's `p`: an optional sign
/// and digits; huge values saturate (the result is then 0 or infinite).
fn binary_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |n, &d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// `x * 2^e` without intermediate overflow.
fn scale_by_power_of_two(mut x: f64, mut e: i64) -> f64 {
    const STEP: i64 = 1000;
    while e > STEP && x.is_finite() {
        x *= 2f64.powi(STEP as i32);
        e -= STEP;
    }
    while e < -STEP && x != 0.0 {
        x *= 2f64.powi(-STEP as i32);
        e += STEP;
    }
    x * 2f64.powi(e.clamp(-STEP, STEP) as i32)
}

/// A double argument as Redis's `string2d` reads it: the whole text, no
/// leading blank, no NaN, no overflow.
pub(crate) fn strict_double(arg: &[u8]) -> Option<f64> {
    parse_f64(arg).or_else(|| match parse_hex_double(arg) {
        Some((v, false)) => Some(v),
        _ => None,
    })
}

fn score_arg(arg: &[u8]) -> Result<f64, CmdError> {
    strict_double(arg).ok_or(CmdError::Static(errors::NOT_FLOAT))
}

/// `len` arguments from position `from` (fewer if the command is shorter).
fn arg_slice<'a>(args: &Args<'a>, from: usize, len: usize) -> Args<'a> {
    let end = from.saturating_add(len).min(args.spans.len());
    Args::new(
        args.buf,
        args.spans.get(from.min(end)..end).unwrap_or_default(),
    )
}

/// The part of an argument C string functions see: up to the first NUL.
pub(crate) fn c_string(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or_default()
}

/// `strtod` over a whole C string as score ranges use it: leading blanks
/// allowed, out-of-range values saturate, the empty string is 0.
fn range_double(text: &[u8]) -> Option<f64> {
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|&b| !crate::util::is_c_space(b))?;
    let body = text.get(start..)?;
    let parsed = std::str::from_utf8(body)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .or_else(|| parse_hex_double(body).map(|(v, _)| v))?;
    (!parsed.is_nan()).then_some(parsed)
}

/// One end of a score range: a number, `(` before it making it exclusive.
fn score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let text = c_string(arg);
    match text.split_first() {
        Some((b'(', rest)) => range_double(rest).map(|v| (v, true)),
        _ => range_double(text).map(|v| (v, false)),
    }
}

fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    match (score_bound(min), score_bound(max)) {
        (Some((min, min_exclusive)), Some((max, max_exclusive))) => Ok(ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        }),
        _ => Err(NOT_FLOAT_RANGE.into()),
    }
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
fn lex_bound(arg: &[u8]) -> Option<LexBound<'_>> {
    let only = |rest: &[u8]| rest.first().is_none_or(|&b| b == 0);
    match arg.split_first()? {
        (b'-', rest) if only(rest) => Some(LexBound::Min),
        (b'+', rest) if only(rest) => Some(LexBound::Max),
        (b'[', rest) => Some(LexBound::Member(rest, false)),
        (b'(', rest) => Some(LexBound::Member(rest, true)),
        _ => None,
    }
}

fn lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(NOT_LEX_RANGE.into()),
    }
}

/// A `long` argument that must lie in `min..=max`; `error` replaces every
/// failure text when given (Redis's `getRangeLongFromObjectOrReply`).
fn ranged_arg(
    arg: &[u8],
    min: i64,
    max: i64,
    error: Option<&'static str>,
) -> Result<i64, CmdError> {
    let n = crate::util::parse_i64(arg).ok_or(error.unwrap_or(errors::NOT_INTEGER))?;
    if n < min || n > max {
        return Err(match error {
            Some(e) => e.into(),
            None => format!("ERR value is out of range, value must between {min} and {max}").into(),
        });
    }
    Ok(n)
}

/// A non-negative `long` (`getPositiveLongFromObjectOrReply`).
fn positive_arg(arg: &[u8], error: &'static str) -> Result<i64, CmdError> {
    ranged_arg(arg, 0, i64::MAX, Some(error))
}

/// Redis's `d2string`: integral values in the safe range print as
/// integers, others as `%.17g` (how listpacks store scores).
fn d2string(v: f64) -> String {
    const SAFE: f64 = (i64::MAX / 2) as f64;
    if v.is_finite() && v != 0.0 && (-SAFE..=SAFE).contains(&v) && v.fract() == 0.0 {
        return (v as i64).to_string();
    }
    format_double_g17(v)
}

// ---------------------------------------------------------------------------
// Keyspace access
// ---------------------------------------------------------------------------

fn limits(srv: &Server) -> ListpackLimits {
    ListpackLimits {
        max_entries: srv.config.zset_max_listpack_entries,
        max_value: srv.config.zset_max_listpack_value,
    }
}

/// A sorted set already looked up, without lookup side effects.
fn stored_zset<'a>(dbs: &'a [Db], db: usize, key: &[u8]) -> Option<&'a ZSet> {
    dbs.get(db)?.get(key)?.value.as_zset()
}

fn store_result(
    srv: &mut Server,
    c: &mut Client,
    dst: &[u8],
    result: Option<ZSet>,
    event: KeyEvent,
) {
    let mut w = srv.write_key(c.db, dst);
    match result.filter(|z| !z.is_empty()) {
        Some(z) => {
            let n = z.len();
            w.set(Value::ZSet(z));
            c.reply.int(n as i64);
            w.pushes_after_reply(c);
            w.changed(1, event);
        }
        None => {
            c.reply.int(0);
            w.pushes_after_reply(c);
            if w.delete() {
                w.changed(1, DEL);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

/// One entry of a range reply: the member, then with scores its score
/// (RESP3 wraps the two in a pair).
fn reply_entry(c: &mut Client, member: &[u8], score: f64, withscores: bool) {
    if withscores && c.reply.resp3 {
        c.reply.array(2);
    }
    c.reply.bulk(member);
    if withscores {
        c.reply.double(score);
    }
}

/// The header of `n` entries: a flat array of members and scores in RESP2.
fn reply_entries_header(c: &mut Client, n: usize, withscores: bool) {
    if withscores && !c.reply.resp3 {
        c.reply.array(2 * n);
    } else {
        c.reply.array(n);
    }
}

fn reply_entries<'a>(
    c: &mut Client,
    entries: impl Iterator<Item = (&'a [u8], f64)>,
    n: usize,
    withscores: bool,
) {
    reply_entries_header(c, n, withscores);
    for (member, score) in entries.take(n) {
        reply_entry(c, member, score, withscores);
    }
}

// ---------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM and single-member queries
// ---------------------------------------------------------------------------

/// Parsed ZADD options and where the score/member pairs start.
struct ZaddOptions {
    flags: AddFlags,
    ch: bool,
    first_pair: usize,
}

fn parse_zadd_options(args: &Args, incr: bool) -> Result<ZaddOptions, CmdError> {
    let mut flags = AddFlags {
        incr,
        ..Default::default()
    };
    let mut ch = false;
    let mut i = 2;
    while i < args.len() {
        let opt = &args[i];
        if is_opt(opt, "nx") {
            flags.nx = true;
        } else if is_opt(opt, "xx") {
            flags.xx = true;
        } else if is_opt(opt, "ch") {
            ch = true;
        } else if is_opt(opt, "incr") {
            flags.incr = true;
        } else if is_opt(opt, "gt") {
            flags.gt = true;
        } else if is_opt(opt, "lt") {
            flags.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let rest = args.len() - i;
    if rest == 0 || rest % 2 == 1 {
        return Err(errors::SYNTAX.into());
    }
    if flags.nx && flags.xx {
        return Err(NX_XX.into());
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(GT_LT_NX.into());
    }
    if flags.incr && rest > 2 {
        return Err(INCR_SINGLE.into());
    }
    Ok(ZaddOptions {
        flags,
        ch,
        first_pair: i,
    })
}

/// What a ZADD call did.
#[derive(Default)]
struct AddTally {
    added: u64,
    updated: u64,
    /// Pairs no condition stopped.
    processed: u64,
    /// The resulting score of the last pair (ZINCRBY's reply).
    score: f64,
    nan: bool,
}

fn apply_adds(
    z: &mut ZSet,
    pairs: &[(f64, &[u8])],
    flags: AddFlags,
    limits: ListpackLimits,
) -> AddTally {
    let mut t = AddTally::default();
    for &(score, member) in pairs {
        let outcome = z.add(score, member, flags, limits);
        match outcome {
            AddOutcome::Added(s) => {
                t.added += 1;
                t.score = s;
            }
            AddOutcome::Updated(s) => {
                t.updated += 1;
                t.score = s;
            }
            AddOutcome::Unchanged(s) => t.score = s,
            AddOutcome::Skipped => {}
            AddOutcome::NotANumber => {
                t.nan = true;
                return t;
            }
        }
        if outcome != AddOutcome::Skipped {
            t.processed += 1;
        }
    }
    t
}

fn zadd_generic(srv: &mut Server, c: &mut Client, args: &Args, incr: bool) -> CmdResult {
    let o = parse_zadd_options(args, incr)?;
    let mut pairs = Vec::with_capacity((args.len() - o.first_pair) / 2);
    let mut i = o.first_pair;
    while i + 1 < args.len() {
        pairs.push((score_arg(&args[i])?, &args[i + 1]));
        i += 2;
    }
    add_pairs(srv, c, &args[1], &pairs, o.flags, o.ch)
}

/// ZADD's work once its arguments are read: adds or updates the
/// `(score, member)` pairs under `flags`, raises `zadd` (`zincr` with
/// INCR) and replies as ZADD does (the score with INCR; the count of
/// added members, or of added and updated ones with `ch`). GEOADD ends
/// here too, as it does in Redis.
pub(crate) fn add_pairs(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    pairs: &[(f64, &[u8])],
    flags: AddFlags,
    ch: bool,
) -> CmdResult {
    let limits = limits(srv);
    let mut w = srv.write_key(c.db, key);
    let tally = match w.existing::<ZSet>()? {
        Some(z) => apply_adds(z, pairs, flags, limits),
        None if flags.xx => AddTally::default(),
        None => {
            let first_len = pairs.first().map_or(0, |(_, m)| m.len());
            let z = w.or_create(|| ZSet::new(limits, first_len))?;
            apply_adds(z, pairs, flags, limits)
        }
    };
    let changes = tally.added + tally.updated;
    if tally.nan {
        c.reply.error(NAN_SCORE.as_bytes());
    } else if flags.incr && tally.processed > 0 {
        c.reply.double(tally.score);
    } else if flags.incr {
        c.reply.null();
    } else {
        c.reply.int((if ch { changes } else { tally.added }) as i64);
    }
    // As Redis: the event follows the reply; after a NaN what was applied
    // is signalled but not counted.
    w.pushes_after_reply(c);
    if changes > 0 {
        let event = KeyEvent::zset(if flags.incr { "zincr" } else { "zadd" });
        w.changed(if tally.nan { 0 } else { changes }, event);
    }
    Ok(())
}

pub fn zadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zadd_generic(srv, c, args, false)
}

pub fn zincrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zadd_generic(srv, c, args, true)
}

pub fn zrem(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(z) = w.existing::<ZSet>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for member in args.tail(2).iter() {
        if z.remove(member) {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    if deleted > 0 {
        w.changed(deleted, KeyEvent::zset("zrem"));
    }
    c.reply.int(deleted as i64);
    Ok(())
}

pub fn zcard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = srv.read_key::<ZSet>(c.db, &args[1])?.map_or(0, ZSet::len);
    c.reply.int(n as i64);
    Ok(())
}

pub fn zscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let score = srv
        .read_key::<ZSet>(c.db, &args[1])?
        .and_then(|z| z.score(&args[2]));
    match score {
        Some(s) => c.reply.double(s),
        None => c.reply.null(),
    }
    Ok(())
}

pub fn zmscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let z = srv.read_key::<ZSet>(c.db, &args[1])?;
    c.reply.array(args.len() - 2);
    for member in args.tail(2).iter() {
        match z.and_then(|z| z.score(member)) {
            Some(s) => c.reply.double(s),
            None => c.reply.null(),
        }
    }
    Ok(())
}

fn zrank_generic(srv: &mut Server, c: &mut Client, args: &Args, reverse: bool) -> CmdResult {
    let rank = srv.read_key::<ZSet>(c.db, &args[1])?.and_then(|z| {
        let rank = z.rank(&args[2])?;
        Some(if reverse { z.len() - 1 - rank } else { rank })
    });
    match rank {
        Some(r) => c.reply.int(r as i64),
        None => c.reply.null(),
    }
    Ok(())
}

pub fn zrank(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zrank_generic(srv, c, args, false)
}

pub fn zrevrank(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zrank_generic(srv, c, args, true)
}

// ---------------------------------------------------------------------------
// Ranges: ZRANGE and friends, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*
// ---------------------------------------------------------------------------

/// How a range is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeKind {
    /// Not fixed by the command: ZRANGE's BYSCORE/BYLEX decide.
    Auto,
    Rank,
    Score,
    Lex,
}

/// Direction of a range, when the command fixes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// A parsed range: the bounds and what to do with them.
enum Bounds<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// The entries a range selects: `count` of them from rank `start` counted
/// in the direction of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: usize,
    count: usize,
    reverse: bool,
}

impl Run {
    const EMPTY: Run = Run {
        start: 0,
        count: 0,
        reverse: false,
    };

    /// The same entries as ascending ranks `start..end`.
    fn ascending(&self, len: usize) -> (usize, usize) {
        if self.reverse {
            let end = len.saturating_sub(self.start);
            (end.saturating_sub(self.count), end)
        } else {
            (self.start, self.start + self.count)
        }
    }
}

/// Ranks `start..=end` with Redis's negative-index rules, clamped; `None`
/// when the range is empty.
fn rank_span(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The run of entries `bounds` select in `z`, with LIMIT's offset and
/// count (a negative count means all; a negative offset selects nothing).
fn select(z: &ZSet, bounds: &Bounds, reverse: bool, offset: i64, limit: i64) -> Run {
    let len = z.len();
    let (first, found) = match bounds {
        Bounds::Rank(start, end) => {
            return match rank_span(*start, *end, len) {
                Some((s, e)) => Run {
                    start: s,
                    count: e - s + 1,
                    reverse,
                },
                None => Run::EMPTY,
            };
        }
        Bounds::Score(range) => z.score_span(range),
        Bounds::Lex(range) => z.lex_span(range, reverse),
    };
    let Ok(offset) = usize::try_from(offset) else {
        return Run::EMPTY;
    };
    if offset >= found {
        return Run::EMPTY;
    }
    let available = found - offset;
    let count = usize::try_from(limit).map_or(available, |l| l.min(available));
    let start = if reverse {
        len - (first + found) + offset
    } else {
        first + offset
    };
    Run {
        start,
        count,
        reverse,
    }
}

/// What ZRANGE-like commands were asked.
struct RangeRequest<'a> {
    key: &'a [u8],
    bounds: Bounds<'a>,
    reverse: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
}

/// Parses `<key> <min> <max> [BYSCORE|BYLEX] [REV] [WITHSCORES] [LIMIT o c]`
/// from `key_pos` (Redis's `zrangeGenericCommand`).
fn parse_range_request<'a>(
    args: &Args<'a>,
    key_pos: usize,
    store: bool,
    mut kind: RangeKind,
    mut direction: Direction,
) -> Result<RangeRequest<'a>, CmdError> {
    let mut withscores = false;
    let (mut offset, mut limit) = (0, -1);
    let mut limit_given = false;
    let mut j = key_pos + 3;
    while j < args.len() {
        let opt = args.get(j).unwrap_or_default();
        let left = args.len() - j - 1;
        if !store && is_opt(opt, "withscores") {
            withscores = true;
        } else if is_opt(opt, "limit") && left >= 2 {
            offset = int_arg(&args[j + 1])?;
            limit = int_arg(&args[j + 2])?;
            limit_given = true;
            j += 2;
        } else if direction == Direction::Auto && is_opt(opt, "rev") {
            direction = Direction::Reverse;
        } else if kind == RangeKind::Auto && is_opt(opt, "bylex") {
            kind = RangeKind::Lex;
        } else if kind == RangeKind::Auto && is_opt(opt, "byscore") {
            kind = RangeKind::Score;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    let reverse = direction == Direction::Reverse;
    if kind == RangeKind::Auto {
        kind = RangeKind::Rank;
    }
    if limit_given && kind == RangeKind::Rank {
        return Err(LIMIT_NEEDS_BY.into());
    }
    if withscores && kind == RangeKind::Lex {
        return Err(WITHSCORES_BYLEX.into());
    }
    let (mut min, mut max) = (
        args.get(key_pos + 1).unwrap_or_default(),
        args.get(key_pos + 2).unwrap_or_default(),
    );
    if reverse && kind != RangeKind::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let bounds = match kind {
        RangeKind::Score => Bounds::Score(score_range(min, max)?),
        RangeKind::Lex => Bounds::Lex(lex_range(min, max)?),
        _ => Bounds::Rank(int_arg(min)?, int_arg(max)?),
    };
    Ok(RangeRequest {
        key: args.get(key_pos).unwrap_or_default(),
        bounds,
        reverse,
        withscores,
        offset,
        limit,
    })
}

/// ZRANGE, ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX.
fn range_reply(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    kind: RangeKind,
    direction: Direction,
) -> CmdResult {
    let r = parse_range_request(args, 1, false, kind, direction)?;
    let Some(z) = srv.read_key::<ZSet>(c.db, r.key)? else {
        c.reply.empty_array();
        return Ok(());
    };
    let run = select(z, &r.bounds, r.reverse, r.offset, r.limit);
    reply_entries(
        c,
        z.iter_from(run.start, run.reverse),
        run.count,
        r.withscores,
    );
    Ok(())
}

pub fn zrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, RangeKind::Auto, Direction::Auto)
}

pub fn zrevrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, RangeKind::Rank, Direction::Reverse)
}

pub fn zrangebyscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, RangeKind::Score, Direction::Forward)
}

pub fn zrevrangebyscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, RangeKind::Score, Direction::Reverse)
}

pub fn zrangebylex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, RangeKind::Lex, Direction::Forward)
}

pub fn zrevrangebylex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, RangeKind::Lex, Direction::Reverse)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let r = parse_range_request(args, 2, true, RangeKind::Auto, Direction::Auto)?;
    let limits = limits(srv);
    let result = match srv.read_key::<ZSet>(c.db, r.key)? {
        None => None,
        Some(z) => {
            let run = select(z, &r.bounds, r.reverse, r.offset, r.limit);
            let (start, end) = run.ascending(z.len());
            Some(ZSet::from_sorted(
                z.iter_from(start, false).take(end - start),
                limits,
            ))
        }
    };
    store_result(srv, c, &args[1], result, KeyEvent::zset("zrangestore"));
    Ok(())
}

pub fn zcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let range = score_range(&args[2], &args[3])?;
    let n = srv
        .read_key::<ZSet>(c.db, &args[1])?
        .map_or(0, |z| z.score_span(&range).1);
    c.reply.int(n as i64);
    Ok(())
}

pub fn zlexcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let range = lex_range(&args[2], &args[3])?;
    let n = srv
        .read_key::<ZSet>(c.db, &args[1])?
        .map_or(0, |z| z.lex_span(&range, false).1);
    c.reply.int(n as i64);
    Ok(())
}

/// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.
fn remove_range(srv: &mut Server, c: &mut Client, key: &[u8], bounds: Bounds) -> CmdResult {
    let event = KeyEvent::zset(match bounds {
        Bounds::Rank(..) => "zremrangebyrank",
        Bounds::Score(_) => "zremrangebyscore",
        Bounds::Lex(_) => "zremrangebylex",
    });
    let mut w = srv.write_key(c.db, key);
    let Some(z) = w.existing::<ZSet>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let (start, end) = select(z, &bounds, false, 0, -1).ascending(z.len());
    let removed = z.remove_ranks(start, end) as u64;
    if removed > 0 {
        w.changed(removed, event);
    }
    c.reply.int(removed as i64);
    Ok(())
}

pub fn zremrangebyrank(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let bounds = Bounds::Rank(int_arg(&args[2])?, int_arg(&args[3])?);
    remove_range(srv, c, &args[1], bounds)
}

pub fn zremrangebyscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let bounds = Bounds::Score(score_range(&args[2], &args[3])?);
    remove_range(srv, c, &args[1], bounds)
}

pub fn zremrangebylex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let bounds = Bounds::Lex(lex_range(&args[2], &args[3])?);
    remove_range(srv, c, &args[1], bounds)
}

// ---------------------------------------------------------------------------
// Pops: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP
// ---------------------------------------------------------------------------

/// The reply layout of a pop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PopShape {
    /// `member score ...` flat (ZPOPMIN; RESP2, or RESP3 without COUNT).
    Flat,
    /// `[member score] ...` pairs (ZPOPMIN with COUNT in RESP3).
    Pairs,
    /// `key member score` (BZPOPMIN, BZPOPMAX).
    KeyFlat,
    /// `key [[member score] ...]`, null when nothing (ZMPOP, BZMPOP).
    KeyPairs,
}

/// One pop request.
#[derive(Debug, Clone, Copy)]
struct Pop {
    max: bool,
    /// Entries wanted; `None` for a plain single pop.
    count: Option<u64>,
    shape: PopShape,
}

/// Pops from the first non-empty sorted set of `keys` (Redis's
/// `genericZpopCommand`). Returns the key it popped from and the set's size
/// before; when there was none it has replied unless `block` is set (the
/// caller will block instead).
fn pop_first_of<'a>(
    srv: &mut Server,
    c: &mut Client,
    keys: Args<'a>,
    pop: Pop,
    block: bool,
) -> Result<Option<(&'a [u8], usize)>, CmdError> {
    let db = c.db;
    let serving = srv.serving_key().is_some();
    for key in keys.iter() {
        let mut w = srv.write_key(db, key);
        let z = match w.existing::<ZSet>() {
            Ok(Some(z)) if !z.is_empty() => z,
            Ok(_) => continue,
            // A key of another type written while a client waited does not
            // serve it (as in Redis); otherwise it is an error.
            Err(_) if serving => continue,
            Err(e) => return Err(e),
        };
        let len = z.len();
        if pop.count == Some(0) {
            c.reply.empty_array();
            return Ok(Some((key, len)));
        }
        // As Redis: the event comes after the reply's header, the `del` of
        // an emptied set after the entries.
        let n = pop.count.map_or(1, |n| n.min(len as u64) as usize);
        reply_pop_header(c, key, n, pop.shape);
        w.pushes_after_reply(c);
        let event = KeyEvent::zset(if pop.max { "zpopmax" } else { "zpopmin" });
        w.changed(n as u64, event);
        if let Some(z) = w.existing::<ZSet>()? {
            pop_entries(c, z, n, pop);
        }
        w.pushes_after_reply(c);
        return Ok(Some((key, len)));
    }
    if !block {
        match pop.shape {
            PopShape::KeyPairs => c.reply.null_array(),
            _ => c.reply.empty_array(),
        }
    }
    Ok(None)
}

/// The header of the reply to a pop of `n` entries from `key`.
fn reply_pop_header(c: &mut Client, key: &[u8], n: usize, shape: PopShape) {
    match shape {
        PopShape::Flat => c.reply.array(2 * n),
        PopShape::Pairs => c.reply.array(n),
        PopShape::KeyFlat => {
            c.reply.array(2 * n + 1);
            c.reply.bulk(key);
        }
        PopShape::KeyPairs => {
            c.reply.array(2);
            c.reply.bulk(key);
            c.reply.array(n);
        }
    }
}

/// Pops `n` entries (at most the size) from a sorted set, replying with
/// each.
fn pop_entries(c: &mut Client, z: &mut ZSet, n: usize, pop: Pop) {
    let pairs = matches!(pop.shape, PopShape::Pairs | PopShape::KeyPairs);
    for _ in 0..n {
        z.pop(pop.max, |member, score| {
            if pairs {
                c.reply.array(2);
            }
            c.reply.bulk(member);
            c.reply.double(score);
        });
    }
}

/// The ZPOPMIN/ZPOPMAX a pop reaches replicas as.
fn propagate_pop(srv: &mut Server, key: &[u8], pop: Pop, len_before: usize) {
    let name: &[u8] = if pop.max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    match pop.count {
        None => srv.propagate_as(&[name, key]),
        Some(n) => {
            let n = n.min(len_before as u64).to_string();
            srv.propagate_as(&[name, key, n.as_bytes()]);
        }
    }
}

fn zpop_generic(srv: &mut Server, c: &mut Client, args: &Args, max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::SYNTAX.into());
    }
    let count = match args.get(2) {
        Some(arg) => Some(positive_arg(arg, errors::OUT_OF_RANGE_POSITIVE)? as u64),
        None => None,
    };
    let shape = if c.reply.resp3 && count.is_some() {
        PopShape::Pairs
    } else {
        PopShape::Flat
    };
    let pop = Pop { max, count, shape };
    pop_first_of(srv, c, arg_slice(args, 1, 1), pop, false)?;
    Ok(())
}

pub fn zpopmin(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zpop_generic(srv, c, args, false)
}

pub fn zpopmax(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zpop_generic(srv, c, args, true)
}

/// Parsed `numkeys key... MIN|MAX [COUNT n]` of ZMPOP and BZMPOP.
struct MpopRequest<'a> {
    keys: Args<'a>,
    pop: Pop,
}

fn parse_mpop<'a>(args: &Args<'a>, numkeys_pos: usize) -> Result<MpopRequest<'a>, CmdError> {
    let numkeys = ranged_arg(&args[numkeys_pos], 1, i64::MAX, Some(NUMKEYS_POSITIVE))?;
    let where_pos = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_pos + 1))
        .filter(|&p| p < args.len())
        .ok_or(errors::SYNTAX)?;
    let max = match &args[where_pos] {
        w if is_opt(w, "min") => false,
        w if is_opt(w, "max") => true,
        _ => return Err(errors::SYNTAX.into()),
    };
    let mut count = None;
    let mut j = where_pos + 1;
    while j < args.len() {
        if count.is_none() && is_opt(&args[j], "count") && j + 1 < args.len() {
            count = Some(ranged_arg(&args[j + 1], 1, i64::MAX, Some(COUNT_POSITIVE))? as u64);
            j += 2;
        } else {
            return Err(errors::SYNTAX.into());
        }
    }
    Ok(MpopRequest {
        keys: arg_slice(args, numkeys_pos + 1, where_pos - numkeys_pos - 1),
        pop: Pop {
            max,
            count: Some(count.unwrap_or(1)),
            shape: PopShape::KeyPairs,
        },
    })
}

pub fn zmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let r = parse_mpop(args, 1)?;
    serve_pop(srv, c, r.keys, r.pop, false)?;
    Ok(())
}

/// Pops for a (possibly blocking) command and propagates what it popped as
/// ZPOPMIN/ZPOPMAX. Returns whether something was popped.
fn serve_pop(
    srv: &mut Server,
    c: &mut Client,
    keys: Args,
    pop: Pop,
    block: bool,
) -> Result<bool, CmdError> {
    let popped = pop_first_of(srv, c, keys, pop, block)?;
    if let Some((key, len)) = popped {
        propagate_pop(srv, key, pop, len);
    }
    Ok(popped.is_some())
}

/// BZPOPMIN/BZPOPMAX/BZMPOP: pops now, or blocks on `keys` until `timeout`.
fn blocking_pop(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: Args,
    timeout: &[u8],
    pop: Pop,
) -> CmdResult {
    let deadline = deadline_from_seconds(timeout, srv.cmd_time_ms)?;
    if serve_pop(srv, c, keys, pop, true)? {
        return Ok(());
    }
    let keys: Vec<&[u8]> = keys.iter().collect();
    srv.block_on_keys(c, &keys, deadline, TimeoutReply::NullArray, args);
    Ok(())
}

fn bzpop_generic(srv: &mut Server, c: &mut Client, args: &Args, max: bool) -> CmdResult {
    let last = args.len() - 1;
    let pop = Pop {
        max,
        count: None,
        shape: PopShape::KeyFlat,
    };
    blocking_pop(srv, c, args, arg_slice(args, 1, last - 1), &args[last], pop)
}

pub fn bzpopmin(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    bzpop_generic(srv, c, args, false)
}

pub fn bzpopmax(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    bzpop_generic(srv, c, args, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn bzmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let r = parse_mpop(args, 2)?;
    blocking_pop(srv, c, args, r.keys, &args[1], r.pop)
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------

/// Above this ratio of set size to requested count, unique picks are drawn
/// at random instead of discarding random entries from a full copy.
const RANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

pub fn zrandmember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = &args[1];
    let Some(count_arg) = args.get(2) else {
        let len = srv.read_key::<ZSet>(c.db, key)?.map_or(0, ZSet::len);
        if len == 0 {
            c.reply.null();
            return Ok(());
        }
        let pick = srv.rng.below(len);
        let entry = stored_zset(&srv.dbs, c.db, key).and_then(|z| z.slot(pick));
        c.reply.bulk_opt(entry.map(|(m, _)| m));
        return Ok(());
    };
    let count = ranged_arg(count_arg, -i64::MAX, i64::MAX, None).map_err(|e| match e {
        CmdError::Owned(_) => RANDMEMBER_RANGE.into(),
        other => other,
    })?;
    let withscores = match args.get(3) {
        None => false,
        Some(opt) if args.len() == 4 && is_opt(opt, "withscores") => true,
        Some(_) => return Err(errors::SYNTAX.into()),
    };
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(OUT_OF_RANGE.into());
    }
    let len = match srv.read_key::<ZSet>(c.db, key)? {
        None => {
            c.reply.empty_array();
            return Ok(());
        }
        Some(z) => z.len(),
    };
    let budget = srv.output_budget(c);
    let Server { dbs, rng, .. } = srv;
    let Some(z) = stored_zset(dbs, c.db, key) else {
        c.reply.empty_array();
        return Ok(());
    };
    let wanted = count.unsigned_abs();
    if wanted == 0 {
        c.reply.empty_array();
    } else if count < 0 || wanted == 1 {
        random_with_repeats(c, z, wanted, withscores, rng, budget);
    } else if wanted >= len as u64 {
        // The whole set, highest first as Redis walks it.
        reply_entries(c, z.iter_from(0, true), len, withscores);
    } else {
        let wanted = wanted as usize;
        let picks = if wanted * RANDMEMBER_SUB_STRATEGY_MUL > len {
            random_by_discarding(len, wanted, rng)
        } else if matches!(z, ZSet::Listpack(_)) {
            random_in_order(len, wanted, rng)
        } else {
            random_distinct(len, wanted, rng)
        };
        reply_entries_header(c, wanted, withscores);
        for i in picks {
            if let Some((member, score)) = z.slot(i) {
                reply_entry(c, member, score, withscores);
            }
        }
    }
    Ok(())
}

/// `n` random entries, repeats allowed (fewer once the client's output
/// budget is spent).
fn random_with_repeats(
    c: &mut Client,
    z: &ZSet,
    n: u64,
    withscores: bool,
    rng: &mut crate::util::Rng,
    budget: OutputBudget,
) {
    let listpack: Vec<(&[u8], f64)> = match z {
        ZSet::Listpack(_) => z.iter().collect(),
        ZSet::Skiplist(_) => Vec::new(),
    };
    let len = z.len();
    c.reply.array(if withscores && !c.reply.resp3 {
        usize::try_from(n.saturating_mul(2)).unwrap_or(usize::MAX)
    } else {
        usize::try_from(n).unwrap_or(usize::MAX)
    });
    for _ in 0..n {
        let i = rng.below(len);
        let entry = match z {
            ZSet::Listpack(_) => listpack.get(i).copied(),
            ZSet::Skiplist(_) => z.slot(i),
        };
        if let Some((member, score)) = entry {
            reply_entry(c, member, score, withscores);
        }
        if budget.spent(c) {
            break;
        }
    }
}

/// `wanted` distinct positions out of `len`, by dropping random ones.
fn random_by_discarding(len: usize, wanted: usize, rng: &mut crate::util::Rng) -> Vec<usize> {
    let mut kept: Vec<usize> = (0..len).collect();
    while kept.len() > wanted {
        let i = rng.below(kept.len());
        kept.swap_remove(i);
    }
    kept
}

/// `wanted` distinct positions out of `len` in ascending order (selection
/// sampling), as Redis picks from a listpack.
fn random_in_order(len: usize, wanted: usize, rng: &mut crate::util::Rng) -> Vec<usize> {
    let mut picks = Vec::with_capacity(wanted);
    for i in 0..len {
        let needed = wanted - picks.len();
        if needed == 0 {
            break;
        }
        if rng.below(len - i) < needed {
            picks.push(i);
        }
    }
    picks
}

/// `wanted` distinct random positions out of `len`, in the order drawn.
fn random_distinct(len: usize, wanted: usize, rng: &mut crate::util::Rng) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(wanted);
    let mut picks = Vec::with_capacity(wanted);
    while picks.len() < wanted {
        let i = rng.below(len);
        if seen.insert(i) {
            picks.push(i);
        }
    }
    picks
}

// ---------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
// ---------------------------------------------------------------------------

/// An input of the set operations: plain sets are accepted too, every
/// member scoring 1.
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Sorted(&'a ZSet),
    Plain(&'a SetValue),
}

impl<'a> Source<'a> {
    fn of(value: Option<&'a Value>) -> Result<Source<'a>, CmdError> {
        match value {
            None => Ok(Source::Missing),
            Some(Value::ZSet(z)) => Ok(Source::Sorted(z)),
            Some(Value::Set(s)) => Ok(Source::Plain(s)),
            Some(_) => Err(errors::WRONGTYPE.into()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Sorted(z) => z.len(),
            Source::Plain(s) => s.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Sorted(z) => z.score(member),
            Source::Plain(s) => s.contains(member).then_some(1.0),
        }
    }

    fn entries(&self) -> Box<dyn Iterator<Item = (Cow<'a, [u8]>, f64)> + 'a> {
        match *self {
            Source::Missing => Box::new(std::iter::empty()),
            Source::Sorted(z) => Box::new(z.iter().map(|(m, s)| (Cow::Borrowed(m), s))),
            Source::Plain(set) => Box::new(set.iter().map(|m| {
                let member = match m {
                    Member::Bytes(b) => Cow::Borrowed(b),
                    Member::Int(_) => Cow::Owned(m.to_boxed().into_vec()),
                };
                (member, 1.0)
            })),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Combines a further score into `acc` (a +inf/-inf sum is 0, as Redis).
    fn apply(self, acc: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *acc += value;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => {
                if value < *acc {
                    *acc = value;
                }
            }
            Aggregate::Max => {
                if value > *acc {
                    *acc = value;
                }
            }
        }
    }
}

/// What the caller of a set operation wants back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOutput<'a> {
    Reply,
    Store(&'a [u8]),
    Cardinality,
}

/// Options after the keys of a set operation.
struct SetOpOptions {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: u64,
}

fn parse_setop_options(
    args: &Args,
    from: usize,
    setnum: usize,
    op: SetOp,
    output: SetOutput,
) -> Result<SetOpOptions, CmdError> {
    let mut o = SetOpOptions {
        weights: vec![1.0; setnum],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let cardinality = output == SetOutput::Cardinality;
    let scored = op != SetOp::Diff && !cardinality;
    let mut j = from;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = &args[j];
        if scored && remaining > setnum && is_opt(opt, "weights") {
            for (i, w) in o.weights.iter_mut().enumerate() {
                *w = strict_double(&args[j + 1 + i]).ok_or(WEIGHT_NOT_FLOAT)?;
            }
            j += 1 + setnum;
        } else if scored && remaining >= 2 && is_opt(opt, "aggregate") {
            let how = &args[j + 1];
            o.aggregate = if is_opt(how, "sum") {
                Aggregate::Sum
            } else if is_opt(how, "min") {
                Aggregate::Min
            } else if is_opt(how, "max") {
                Aggregate::Max
            } else {
                return Err(errors::SYNTAX.into());
            };
            j += 2;
        } else if output == SetOutput::Reply && is_opt(opt, "withscores") {
            o.withscores = true;
            j += 1;
        } else if cardinality && remaining >= 2 && is_opt(opt, "limit") {
            o.limit = positive_arg(&args[j + 1], LIMIT_NEGATIVE)? as u64;
            j += 2;
        } else {
            return Err(errors::SYNTAX.into());
        }
    }
    Ok(o)
}

/// `weight * score`, with Redis's rule that a NaN product (0 * inf) is 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// Members of the smallest input present in all the others, with their
/// aggregated scores; `limit` (0: none) stops early.
fn intersect<'a>(
    inputs: &[(Source<'a>, f64)],
    aggregate: Aggregate,
    limit: u64,
) -> Vec<(Cow<'a, [u8]>, f64)> {
    let Some(((first, first_weight), others)) = inputs.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if first.len() == 0 {
        return out;
    }
    'members: for (member, score) in first.entries() {
        let mut acc = weighted(score, *first_weight);
        for (other, weight) in others {
            match other.score(&member) {
                Some(s) => aggregate.apply(&mut acc, s * weight),
                None => continue 'members,
            }
        }
        out.push((member, acc));
        if limit > 0 && out.len() as u64 >= limit {
            break;
        }
    }
    out
}

/// Every member of any input with its aggregated score.
fn unite<'a>(inputs: &[(Source<'a>, f64)], aggregate: Aggregate) -> Vec<(Cow<'a, [u8]>, f64)> {
    let largest = inputs.iter().map(|(s, _)| s.len()).max().unwrap_or(0);
    let mut acc: HashMap<Cow<'a, [u8]>, f64> = HashMap::with_capacity(largest);
    for (source, weight) in inputs {
        for (member, score) in source.entries() {
            let value = weighted(score, *weight);
            match acc.get_mut(&member) {
                Some(total) => aggregate.apply(total, value),
                None => {
                    acc.insert(member, value);
                }
            }
        }
    }
    acc.into_iter().collect()
}

/// Members of the first input present in none of the others.
fn subtract<'a>(inputs: &[(Source<'a>, f64)]) -> Vec<(Cow<'a, [u8]>, f64)> {
    let Some(((first, _), others)) = inputs.split_first() else {
        return Vec::new();
    };
    first
        .entries()
        .filter(|(m, _)| others.iter().all(|(o, _)| o.score(m).is_none()))
        .collect()
}

/// The shared body of ZUNION, ZINTER, ZDIFF, their STORE forms and
/// ZINTERCARD (Redis's `zunionInterDiffGenericCommand`).
fn set_operation(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    numkeys_pos: usize,
    op: SetOp,
    output: SetOutput,
    name: &'static str,
) -> CmdResult {
    let numkeys = int_arg(&args[numkeys_pos])?;
    if numkeys < 1 {
        return Err(format!("ERR at least 1 input key is needed for '{name}' command").into());
    }
    let first_key = numkeys_pos + 1;
    let setnum = usize::try_from(numkeys)
        .ok()
        .filter(|&n| n <= args.len() - first_key)
        .ok_or(errors::SYNTAX)?;
    let keys = arg_slice(args, first_key, setnum);
    let db = c.db;
    for key in keys.iter() {
        if let Some(obj) = srv.lookup_read(db, key) {
            Source::of(Some(&obj.value))?;
        }
    }
    let o = parse_setop_options(args, first_key + setnum, setnum, op, output)?;
    let limits = limits(srv);
    let stored = {
        let d = srv.dbs.get(db);
        let mut inputs = Vec::with_capacity(setnum);
        for (key, weight) in keys.iter().zip(o.weights.iter()) {
            let source = Source::of(d.and_then(|d| d.get(key)).map(|obj| &obj.value))?;
            inputs.push((source, *weight));
        }
        if op != SetOp::Diff {
            inputs.sort_by_key(|(s, _)| s.len());
        }
        let mut result = match op {
            SetOp::Inter => intersect(&inputs, o.aggregate, o.limit),
            SetOp::Union => unite(&inputs, o.aggregate),
            SetOp::Diff => subtract(&inputs),
        };
        match output {
            SetOutput::Cardinality => {
                c.reply.int(result.len() as i64);
                return Ok(());
            }
            SetOutput::Reply | SetOutput::Store(_) => {
                result.sort_by(|a, b| entry_cmp(a.1, &a.0, b.1, &b.0));
            }
        }
        let entries = result.iter().map(|(m, s)| (m.as_ref(), *s));
        if output == SetOutput::Reply {
            reply_entries(c, entries, result.len(), o.withscores);
            return Ok(());
        }
        ZSet::from_sorted(entries, limits)
    };
    if let SetOutput::Store(dst) = output {
        store_result(srv, c, dst, Some(stored), KeyEvent::zset(name));
    }
    Ok(())
}

pub fn zunion(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_operation(srv, c, args, 1, SetOp::Union, SetOutput::Reply, "zunion")
}

pub fn zinter(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_operation(srv, c, args, 1, SetOp::Inter, SetOutput::Reply, "zinter")
}

pub fn zdiff(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_operation(srv, c, args, 1, SetOp::Diff, SetOutput::Reply, "zdiff")
}

pub fn zintercard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_operation(
        srv,
        c,
        args,
        1,
        SetOp::Inter,
        SetOutput::Cardinality,
        "zintercard",
    )
}

pub fn zunionstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let output = SetOutput::Store(&args[1]);
    set_operation(srv, c, args, 2, SetOp::Union, output, "zunionstore")
}

pub fn zinterstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let output = SetOutput::Store(&args[1]);
    set_operation(srv, c, args, 2, SetOp::Inter, output, "zinterstore")
}

pub fn zdiffstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let output = SetOutput::Store(&args[1]);
    set_operation(srv, c, args, 2, SetOp::Diff, output, "zdiffstore")
}

// ---------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: a listpack is returned
/// whole in one call (scores as stored, Redis's `d2string` text); a skiplist
/// is walked by position like SCAN (scores as `%.17g`).
pub fn zscan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(z) = srv.read_key::<ZSet>(c.db, &args[1])? else {
        c.reply.array(2);
        c.reply.bulk(b"0");
        c.reply.empty_array();
        return Ok(());
    };
    let o = ScanOptions::parse(args, 3, false)?;
    let mut found: Vec<(&[u8], String)> = Vec::new();
    let next = match z {
        ZSet::Listpack(_) => {
            found.extend(z.iter().map(|(m, s)| (m, d2string(s))));
            0
        }
        ZSet::Skiplist(_) => scan_positions(z.len(), cursor, o.count, |i| {
            found.extend(z.slot(i).map(|(m, s)| (m, format_double_g17(s))));
        }),
    };
    found.retain(|(m, _)| o.matches(m));
    c.reply.array(2);
    c.reply.bulk_i64(next as i64);
    c.reply.array(2 * found.len());
    for (member, score) in &found {
        c.reply.bulk(member);
        c.reply.bulk(score.as_bytes());
    }
    Ok(())
}

/// The sorted-set family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("zadd", -4, zadd)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Adds members to a sorted set, or updates their scores, under optional conditions."),
    Command::new("zincrby", 4, zincrby)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Adds an increment to a member's score."),
    Command::new("zrem", -3, zrem)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Removes members from a sorted set."),
    Command::new("zcard", 2, zcard)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(1)", "Returns how many members a sorted set has."),
    Command::new("zcount", 4, zcount)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Counts the members whose score lies in a range."),
    Command::new("zlexcount", 4, zlexcount)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.", "Counts the members that lie in a lexicographic range."),
    Command::new("zscore", 3, zscore)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(1)", "Returns the score of a member."),
    Command::new("zmscore", -3, zmscore)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "6.2.0", "O(N) where N is the number of members being requested.", "Returns the scores of several members."),
    Command::new("zrank", 3, zrank)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "2.0.0", "O(log(N))", "Returns a member's position counted from the lowest score."),
    Command::new("zrevrank", 3, zrevrank)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "2.0.0", "O(log(N))", "Returns a member's position counted from the highest score."),
    Command::new("zrange", -4, zrange)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Returns members in a range of ranks, scores or member names."),
    Command::new("zrangestore", -5, zrangestore)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1), KeySpec::range(ks::RO | ks::ACCESS, 2, 0, 1)])
        .doc("sorted-set", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Stores a range of a sorted set under another key."),
    Command::new("zrevrange", -4, zrevrange)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Returns members in a range of ranks, highest score first."),
    Command::new("zrangebyscore", -4, zrangebyscore)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Returns members whose score lies in a range."),
    Command::new("zrevrangebyscore", -4, zrevrangebyscore)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Returns members whose score lies in a range, highest score first."),
    Command::new("zrangebylex", -4, zrangebylex)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Returns members in a lexicographic range."),
    Command::new("zrevrangebylex", -4, zrevrangebylex)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Returns members in a lexicographic range, in reverse order."),
    Command::new("zremrangebyrank", 4, zremrangebyrank)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("sorted-set", "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Removes the members in a range of ranks."),
    Command::new("zremrangebyscore", 4, zremrangebyscore)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Removes the members whose score lies in a range."),
    Command::new("zremrangebylex", 4, zremrangebylex)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Removes the members in a lexicographic range."),
    Command::new("zpopmin", -2, zpopmin)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1)])
        .doc("sorted-set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Removes and returns the members with the lowest scores."),
    Command::new("zpopmax", -2, zpopmax)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::SORTEDSET | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1)])
        .doc("sorted-set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Removes and returns the members with the highest scores."),
    Command::new("bzpopmin", -3, bzpopmin)
        .flags(flag::WRITE | flag::NOSCRIPT | flag::BLOCKING | flag::FAST)
        .acl(acl::WRITE | acl::SORTEDSET | acl::FAST | acl::BLOCKING)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, -2, 1)])
        .doc("sorted-set", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Pops the lowest-scored member of the first non-empty sorted set, waiting for one if needed."),
    Command::new("bzpopmax", -3, bzpopmax)
        .flags(flag::WRITE | flag::NOSCRIPT | flag::BLOCKING | flag::FAST)
        .acl(acl::WRITE | acl::SORTEDSET | acl::FAST | acl::BLOCKING)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, -2, 1)])
        .doc("sorted-set", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Pops the highest-scored member of the first non-empty sorted set, waiting for one if needed."),
    Command::new("zmpop", -4, zmpop)
        .flags(flag::WRITE | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::keynum(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1, 1)])
        .doc("sorted-set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Pops members with the lowest or highest scores from the first non-empty sorted set."),
    Command::new("bzmpop", -5, bzmpop)
        .flags(flag::WRITE | flag::BLOCKING | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::keynum(ks::RW | ks::ACCESS | ks::DELETE, 2, 0, 1, 1)])
        .doc("sorted-set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Pops members from the first non-empty sorted set, waiting for one if needed."),
    Command::new("zrandmember", -2, zrandmember)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("sorted-set", "6.2.0", "O(N) where N is the number of elements returned", "Returns random members of a sorted set."),
    Command::new("zunion", -3, zunion)
        .flags(flag::READONLY | flag::MOVABLE_KEYS)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::keynum(ks::RO | ks::ACCESS, 1, 0, 1, 1)])
        .doc("sorted-set", "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Returns the union of sorted sets."),
    Command::new("zinter", -3, zinter)
        .flags(flag::READONLY | flag::MOVABLE_KEYS)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::keynum(ks::RO | ks::ACCESS, 1, 0, 1, 1)])
        .doc("sorted-set", "6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Returns the intersection of sorted sets."),
    Command::new("zdiff", -3, zdiff)
        .flags(flag::READONLY | flag::MOVABLE_KEYS)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::keynum(ks::RO | ks::ACCESS, 1, 0, 1, 1)])
        .doc("sorted-set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Returns the members of the first sorted set missing from the others."),
    Command::new("zunionstore", -4, zunionstore)
        .flags(flag::WRITE | flag::DENYOOM | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1), KeySpec::keynum(ks::RO | ks::ACCESS, 2, 0, 1, 1)])
        .doc("sorted-set", "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Stores the union of sorted sets under a key."),
    Command::new("zinterstore", -4, zinterstore)
        .flags(flag::WRITE | flag::DENYOOM | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1), KeySpec::keynum(ks::RO | ks::ACCESS, 2, 0, 1, 1)])
        .doc("sorted-set", "2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Stores the intersection of sorted sets under a key."),
    Command::new("zdiffstore", -4, zdiffstore)
        .flags(flag::WRITE | flag::DENYOOM | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1), KeySpec::keynum(ks::RO | ks::ACCESS, 2, 0, 1, 1)])
        .doc("sorted-set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Stores the difference of sorted sets under a key."),
    Command::new("zintercard", -3, zintercard)
        .flags(flag::READONLY | flag::MOVABLE_KEYS)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::keynum(ks::RO | ks::ACCESS, 1, 0, 1, 1)])
        .doc("sorted-set", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Counts the members of the intersection of sorted sets."),
    Command::new("zscan", -3, zscan)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::SORTEDSET | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("sorted-set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Iterates over the members and scores of a sorted set with a cursor."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{
        run_line as run, server_keeping_stream as server, whole_stream as stream,
    };

    /// Commands as RESP, after the stream's initial SELECT 0.
    fn commands(lines: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for line in std::iter::once("SELECT 0").chain(lines.iter().copied()) {
            let words: Vec<&str> = line.split(' ').collect();
            crate::resp::command::push_command(&mut out, &words);
        }
        out
    }

    #[test]
    fn pops_propagate_as_zpopmin_or_zpopmax() {
        let (mut srv, mut c) = server();
        for line in [
            "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f",
            "ZADD z 1 a",
            "ZADD z XX 9 nope",
            "ZPOPMIN z 1",
            "ZMPOP 2 nokey z MAX COUNT 2",
            "BZPOPMIN nokey z 0",
            "BZMPOP 0 1 z MIN COUNT 10",
            "ZMPOP 1 z MIN",
            "ZPOPMIN z",
        ] {
            run(&mut srv, &mut c, line);
        }
        let expected = commands(&[
            "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f",
            "ZPOPMIN z 1",
            "ZPOPMAX z 2",
            "ZPOPMIN z",
            "ZPOPMIN z 2",
        ]);
        assert_eq!(
            String::from_utf8_lossy(&stream(&srv)),
            String::from_utf8_lossy(&expected)
        );
    }

    #[test]
    fn stores_propagate_as_sent_and_only_when_they_write() {
        let (mut srv, mut c) = server();
        for line in [
            "ZADD z 1 a 2 b",
            "ZRANGESTORE d z 0 0",
            "ZRANGESTORE d nokey 0 -1",
            "ZRANGESTORE d nokey 0 -1",
            "ZUNIONSTORE u 1 z",
            "ZREM z nope",
            "ZREMRANGEBYSCORE z 5 6",
        ] {
            run(&mut srv, &mut c, line);
        }
        let expected = commands(&[
            "ZADD z 1 a 2 b",
            "ZRANGESTORE d z 0 0",
            "ZRANGESTORE d nokey 0 -1",
            "ZUNIONSTORE u 1 z",
        ]);
        assert_eq!(
            String::from_utf8_lossy(&stream(&srv)),
            String::from_utf8_lossy(&expected)
        );
    }

    #[test]
    fn hexadecimal_doubles_like_strtod() {
        assert_eq!(parse_hex_double(b"0x1p3"), Some((8.0, false)));
        assert_eq!(parse_hex_double(b"0x.8"), Some((0.5, false)));
        assert_eq!(parse_hex_double(b"-0X1.8P1"), Some((-3.0, false)));
        assert_eq!(parse_hex_double(b"+0x10"), Some((16.0, false)));
        assert_eq!(parse_hex_double(b"0x1.p1"), Some((2.0, false)));
        assert!(
            matches!(parse_hex_double(b"0x1p99999999999999999999"), Some((v, true)) if v.is_infinite())
        );
        assert_eq!(
            parse_hex_double(b"0x1p-99999999999999999999"),
            Some((0.0, true))
        );
        for bad in [
            &b"0x1P"[..],
            b"0x1p+",
            b"0x1p+-1",
            b"0x.",
            b"0xg",
            b"0x",
            b"1p3",
            b"0x1 ",
        ] {
            assert_eq!(
                parse_hex_double(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_hex_double(b"0x1p-1080"), Some((0.0, true)));
        assert!(matches!(parse_hex_double(b"0x1p2000"), Some((v, true)) if v.is_infinite()));
        assert_eq!(
            parse_hex_double(b"0xffffffffffffffffffffff").map(|(v, _)| v),
            Some(2f64.powi(88))
        );
    }

    #[test]
    fn range_bounds_follow_strtod() {
        assert_eq!(score_bound(b""), Some((0.0, false)));
        assert_eq!(score_bound(b"("), Some((0.0, true)));
        assert_eq!(score_bound(b" 1"), Some((1.0, false)));
        assert_eq!(score_bound(b"(1.5"), Some((1.5, true)));
        assert_eq!(score_bound(b"1e400"), Some((f64::INFINITY, false)));
        assert_eq!(score_bound(b"-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(score_bound(b"2\0junk"), Some((2.0, false)));
        assert_eq!(score_bound(b" "), None);
        assert_eq!(score_bound(b"nan"), None);
        assert_eq!(score_bound(b"1x"), None);
        assert_eq!(lex_bound(b"-"), Some(LexBound::Min));
        assert_eq!(lex_bound(b"+"), Some(LexBound::Max));
        assert_eq!(lex_bound(b"[a"), Some(LexBound::Member(b"a", false)));
        assert_eq!(lex_bound(b"("), Some(LexBound::Member(b"", true)));
        assert_eq!(lex_bound(b"+a"), None);
        assert_eq!(lex_bound(b"a"), None);
        assert_eq!(lex_bound(b""), None);
    }

    #[test]
    fn rank_spans_and_runs() {
        assert_eq!(rank_span(0, -1, 5), Some((0, 4)));
        assert_eq!(rank_span(-100, 100, 5), Some((0, 4)));
        assert_eq!(rank_span(3, 1, 5), None);
        assert_eq!(rank_span(5, 10, 5), None);
        assert_eq!(rank_span(i64::MIN, i64::MAX, 5), Some((0, 4)));
        let run = Run {
            start: 1,
            count: 2,
            reverse: true,
        };
        assert_eq!(run.ascending(5), (2, 4));
    }

    #[test]
    fn listpack_score_text() {
        assert_eq!(d2string(1.0), "1");
        assert_eq!(d2string(-0.0), "-0");
        assert_eq!(d2string(1e17), "100000000000000000");
        assert_eq!(d2string(1e19), "1e+19");
        assert_eq!(d2string(0.5), "0.5");
        assert_eq!(d2string(f64::NEG_INFINITY), "-inf");
    }
}
