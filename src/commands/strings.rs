//! String commands: SET and its variants, GET and its variants, counters,
//! ranges, APPEND and LCS.

use super::int_arg;
use crate::long_double::LongDouble;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeyRef, KeySpec};
use crate::server::write::{KeyEvent, DEL};
use crate::server::Server;
use crate::types::{StrValue, Value};

const SET: KeyEvent = KeyEvent::string("set");
const EXPIRE: KeyEvent = KeyEvent::generic("expire");
const SETRANGE: KeyEvent = KeyEvent::string("setrange");

/// How an expiry argument is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireKind {
    /// EX seconds / PX milliseconds: relative to now.
    Relative,
    /// EXAT / PXAT: absolute unix time.
    Absolute,
}

/// Options of SET and GETEX.
#[derive(Debug, Default, Clone, Copy)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    /// (value, is-seconds, kind)
    expire: Option<(&'a [u8], bool, ExpireKind)>,
}

impl StringOptions<'_> {
    fn has_expire(&self) -> bool {
        self.expire.is_some()
    }
}

/// Which command's options are being parsed.
#[derive(PartialEq, Eq, Clone, Copy)]
enum OptionsFor {
    Set,
    GetEx,
}

/// Parses `[NX|XX] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL|PERSIST]` from `from`.
fn parse_options<'a>(
    args: &Args<'a>,
    from: usize,
    mode: OptionsFor,
) -> Result<StringOptions<'a>, CmdError> {
    let mut o = StringOptions::default();
    let mut j = from;
    let set = mode == OptionsFor::Set;
    while j < args.len() {
        let opt = args.get(j).unwrap_or_default();
        let next = args.get(j + 1);
        let eq = |s: &str| opt.eq_ignore_ascii_case(s.as_bytes());
        if eq("nx") && !o.xx && set {
            o.nx = true;
        } else if eq("xx") && !o.nx && set {
            o.xx = true;
        } else if eq("get") && set {
            o.get = true;
        } else if eq("keepttl") && !o.persist && !o.has_expire() && set {
            o.keep_ttl = true;
        } else if eq("persist") && !set && !o.has_expire() && !o.keep_ttl {
            o.persist = true;
        } else if let (Some(value), Some((seconds, kind))) = (next, expire_option(opt)) {
            if o.keep_ttl || o.persist || o.has_expire() {
                return Err(errors::SYNTAX.into());
            }
            o.expire = Some((value, seconds, kind));
            j += 1;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    Ok(o)
}

/// `EX` -> (seconds, relative) and so on.
fn expire_option(opt: &[u8]) -> Option<(bool, ExpireKind)> {
    let name = opt.to_ascii_lowercase();
    match name.as_slice() {
        b"ex" => Some((true, ExpireKind::Relative)),
        b"px" => Some((false, ExpireKind::Relative)),
        b"exat" => Some((true, ExpireKind::Absolute)),
        b"pxat" => Some((false, ExpireKind::Absolute)),
        _ => None,
    }
}

/// Converts an expiry argument to absolute milliseconds (Redis's
/// `getExpireMillisecondsOrReply`).
fn expire_at_ms(
    value: &[u8],
    seconds: bool,
    kind: ExpireKind,
    now_ms: i64,
    command: &str,
) -> Result<i64, CmdError> {
    let mut ms = int_arg(value)?;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(errors::invalid_expire(command));
    }
    if seconds {
        ms *= 1000;
    }
    if kind == ExpireKind::Relative {
        ms = ms.checked_add(now_ms).unwrap_or(-1);
    }
    if ms <= 0 {
        return Err(errors::invalid_expire(command));
    }
    Ok(ms)
}

/// What SET-like commands answer when they store, and when NX/XX stop them.
#[derive(Clone, Copy)]
enum SetReplies {
    /// `+OK` / null.
    OkOrNull,
    /// `:1` / `:0` (SETNX).
    OneOrZero,
}

fn set_generic(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    value: &[u8],
    o: StringOptions,
    replies: SetReplies,
    command: &str,
) -> CmdResult {
    let db = c.db;
    let expire_at = match o.expire {
        Some((v, seconds, kind)) => Some(expire_at_ms(v, seconds, kind, srv.cmd_time_ms, command)?),
        None => None,
    };
    if o.get {
        reply_string_value(srv, c, key)?;
        srv.pushes_after_reply(c);
    }
    let mut w = srv.write_key(db, key);
    if (o.nx || o.xx) && w.exists() == o.nx {
        if !o.get {
            match replies {
                SetReplies::OkOrNull => c.reply.null(),
                SetReplies::OneOrZero => c.reply.int(0),
            }
        }
        return Ok(());
    }
    w.set_keeping_ttl(Value::Str(StrValue::from_bytes(value)), o.keep_ttl);
    w.changed(1, SET);
    if let Some(when) = expire_at {
        w.set_expire(when);
        w.changed(0, EXPIRE);
        let when = when.to_string();
        w.propagate_as(&[b"SET".as_slice(), key, value, b"PXAT", when.as_bytes()]);
    }
    drop(w);
    if !o.get {
        match replies {
            SetReplies::OkOrNull => c.reply.ok(),
            SetReplies::OneOrZero => c.reply.int(1),
        }
    }
    Ok(())
}

/// Replies with the string at `key` (null if missing); WRONGTYPE otherwise.
fn reply_string_value(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    match srv.lookup_read(c.db, key) {
        None => c.reply.null(),
        Some(obj) => {
            let s = obj.value.as_str().ok_or(errors::WRONGTYPE)?;
            let mut tmp = [0u8; 21];
            c.reply.bulk(s.bytes(&mut tmp));
        }
    }
    Ok(())
}

pub fn set(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = parse_options(args, 3, OptionsFor::Set)?;
    set_generic(srv, c, &args[1], &args[2], o, SetReplies::OkOrNull, "set")?;
    if o.get && o.expire.is_none() {
        let kept: Vec<&[u8]> = args
            .iter()
            .enumerate()
            .filter(|&(i, a)| i < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| a)
            .collect();
        srv.propagate_as(&kept);
    }
    Ok(())
}

/// SET's key and its flags: read as well as written when GET is given.
fn set_keys(args: &Args) -> Vec<KeyRef> {
    let get = args.tail(3).iter().any(|a| a.eq_ignore_ascii_case(b"get"));
    let flags = if get {
        ks::RW | ks::ACCESS | ks::UPDATE
    } else {
        ks::OW | ks::UPDATE
    };
    vec![KeyRef { pos: 1, flags }]
}

pub fn setnx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = StringOptions {
        nx: true,
        ..Default::default()
    };
    set_generic(
        srv,
        c,
        &args[1],
        &args[2],
        o,
        SetReplies::OneOrZero,
        "setnx",
    )
}

pub fn setex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = StringOptions {
        expire: Some((&args[2], true, ExpireKind::Relative)),
        ..Default::default()
    };
    set_generic(srv, c, &args[1], &args[3], o, SetReplies::OkOrNull, "setex")
}

pub fn psetex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = StringOptions {
        expire: Some((&args[2], false, ExpireKind::Relative)),
        ..Default::default()
    };
    set_generic(
        srv,
        c,
        &args[1],
        &args[3],
        o,
        SetReplies::OkOrNull,
        "psetex",
    )
}

pub fn get(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_string_value(srv, c, &args[1])
}

pub fn getset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_string_value(srv, c, &args[1])?;
    srv.pushes_after_reply(c);
    let mut w = srv.write_key(c.db, &args[1]);
    w.set(Value::Str(StrValue::from_bytes(&args[2])));
    w.changed(1, SET);
    w.propagate_as(&[&b"SET"[..], &args[1], &args[2]]);
    Ok(())
}

pub fn getdel(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_string_value(srv, c, &args[1])?;
    srv.pushes_after_reply(c);
    let lazy = srv.config.lazyfree_lazy_user_del;
    let mut w = srv.write_key(c.db, &args[1]);
    if w.delete() {
        w.changed(1, DEL);
        w.propagate_as(&[deletion_command(lazy), &args[1]]);
    }
    Ok(())
}

/// How a deletion reaches replicas: `DEL`, or `UNLINK` when the matching
/// lazyfree option is on.
pub fn deletion_command(lazy: bool) -> &'static [u8] {
    if lazy {
        b"UNLINK"
    } else {
        b"DEL"
    }
}

pub fn getex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = parse_options(args, 2, OptionsFor::GetEx)?;
    let key = &args[1];
    let db = c.db;
    let Some(obj) = srv.lookup_read(db, key) else {
        c.reply.null();
        return Ok(());
    };
    let s = obj.value.as_str().ok_or(errors::WRONGTYPE)?;
    let value = s.to_vec();
    let expire_at = match o.expire {
        Some((v, seconds, kind)) => Some((
            expire_at_ms(v, seconds, kind, srv.cmd_time_ms, "getex")?,
            kind,
        )),
        None => None,
    };
    c.reply.bulk(&value);
    srv.pushes_after_reply(c);
    let now = srv.cmd_time_ms;
    let lazy = srv.config.lazyfree_lazy_expire;
    let mut w = srv.write_key(db, key);
    match expire_at {
        Some((when, ExpireKind::Absolute)) if when <= now => {
            w.delete();
            w.changed(1, DEL);
            w.propagate_as(&[deletion_command(lazy), key]);
        }
        Some((when, _)) => {
            w.set_expire(when);
            w.changed(1, EXPIRE);
            let when = when.to_string();
            w.propagate_as(&[b"PEXPIREAT", key, when.as_bytes()]);
        }
        None if o.persist && w.persist() => {
            w.changed(1, KeyEvent::generic("persist"));
            w.propagate_as(&[b"PERSIST", key]);
        }
        None => {}
    }
    Ok(())
}

pub fn mget(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.reply.array(args.len() - 1);
    for key in args.iter().skip(1) {
        // A `keymiss` comes where Redis meets the key, amid the reply.
        srv.pushes_after_reply(c);
        match srv.lookup_read(c.db, key).and_then(|o| o.value.as_str()) {
            Some(s) => {
                let mut tmp = [0u8; 21];
                c.reply.bulk(s.bytes(&mut tmp));
            }
            None => c.reply.null(),
        }
    }
    Ok(())
}

fn mset_generic(srv: &mut Server, c: &mut Client, args: &Args, nx: bool) -> CmdResult {
    if args.len().is_multiple_of(2) {
        let name = if nx { "msetnx" } else { "mset" };
        return Err(errors::wrong_arity(name));
    }
    let db = c.db;
    if nx {
        let any_exists = (1..args.len())
            .step_by(2)
            .any(|j| srv.write_key(db, &args[j]).exists());
        if any_exists {
            c.reply.int(0);
            return Ok(());
        }
    }
    for j in (1..args.len()).step_by(2) {
        let mut w = srv.write_key(db, &args[j]);
        w.set(Value::Str(StrValue::from_bytes(&args[j + 1])));
        w.changed(1, SET);
    }
    if nx {
        c.reply.int(1);
    } else {
        c.reply.ok();
    }
    Ok(())
}

pub fn mset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    mset_generic(srv, c, args, false)
}

pub fn msetnx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    mset_generic(srv, c, args, true)
}

/// Adds `delta` to the integer at `key` (created as 0), keeping its TTL.
fn incr_by(srv: &mut Server, c: &mut Client, key: &[u8], delta: i64) -> CmdResult {
    let mut w = srv.write_key(c.db, key);
    let value = match w.existing::<StrValue>()? {
        Some(s) => {
            let current = s.as_i64().ok_or(errors::NOT_INTEGER)?;
            let new = current.checked_add(delta).ok_or(errors::OVERFLOW)?;
            *s = StrValue::Int(new);
            new
        }
        None => {
            w.set(Value::Str(StrValue::Int(delta)));
            delta
        }
    };
    w.changed(1, KeyEvent::string("incrby"));
    c.reply.int(value);
    Ok(())
}

pub fn incr(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    incr_by(srv, c, &args[1], 1)
}

pub fn decr(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    incr_by(srv, c, &args[1], -1)
}

pub fn incrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let delta = int_arg(&args[2])?;
    incr_by(srv, c, &args[1], delta)
}

pub fn decrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let delta = int_arg(&args[2])?;
    if delta == i64::MIN {
        return Err("ERR decrement would overflow".into());
    }
    incr_by(srv, c, &args[1], -delta)
}

pub fn incrbyfloat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = &args[1];
    let mut w = srv.write_key(c.db, key);
    let current = match w.existing::<StrValue>()? {
        Some(s) => {
            let mut tmp = [0u8; 21];
            LongDouble::parse(s.bytes(&mut tmp)).ok_or(errors::NOT_FLOAT)?
        }
        None => LongDouble::ZERO,
    };
    let incr = LongDouble::parse(&args[2]).ok_or(errors::NOT_FLOAT)?;
    let value = current + incr;
    if !value.is_finite() {
        return Err("ERR increment would produce NaN or Infinity".into());
    }
    let text = value.human_text();
    let new = StrValue::from_text(text.as_bytes());
    match w.existing::<StrValue>()? {
        Some(s) => *s = new,
        None => w.set(Value::Str(new)),
    }
    w.changed(1, KeyEvent::string("incrbyfloat"));
    w.propagate_as(&[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
    c.reply.bulk(text.as_bytes());
    Ok(())
}

pub fn append(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let tail = &args[2];
    let max = srv.config.proto_max_bulk_len;
    let mut w = srv.write_key(c.db, &args[1]);
    let total = match w.existing::<StrValue>()? {
        Some(s) => {
            check_string_length(s.len() as u64, tail.len() as u64, max)?;
            let buf = s.make_raw();
            buf.extend_from_slice(tail);
            buf.len()
        }
        None => {
            w.set(Value::Str(StrValue::from_bytes(tail)));
            tail.len()
        }
    };
    w.changed(1, KeyEvent::string("append"));
    c.reply.int(total as i64);
    Ok(())
}

/// Refuses strings that would outgrow `proto-max-bulk-len`.
pub fn check_string_length(size: u64, append: u64, max: u64) -> CmdResult {
    match size.checked_add(append) {
        Some(total) if total <= max => Ok(()),
        _ => Err(errors::STRING_TOO_LONG.into()),
    }
}

pub fn strlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = match srv.lookup_read(c.db, &args[1]) {
        None => 0,
        Some(obj) => obj.value.as_str().ok_or(errors::WRONGTYPE)?.len(),
    };
    c.reply.int(len as i64);
    Ok(())
}

pub fn setrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let offset = int_arg(&args[2])?;
    let value = &args[3];
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let offset = offset as u64;
    let max = srv.config.proto_max_bulk_len;
    let mut w = srv.write_key(c.db, &args[1]);
    let new_len = match w.existing::<StrValue>()? {
        None if value.is_empty() => 0,
        Some(s) if value.is_empty() => s.len(),
        Some(s) => {
            check_string_length(offset, value.len() as u64, max)?;
            let len = write_at(s.make_raw(), offset as usize, value);
            w.changed(1, SETRANGE);
            len
        }
        None => {
            check_string_length(offset, value.len() as u64, max)?;
            let mut buf = vec![0u8; offset as usize + value.len()];
            let len = write_at(&mut buf, offset as usize, value);
            w.set(Value::Str(StrValue::raw(buf)));
            w.changed(1, SETRANGE);
            len
        }
    };
    c.reply.int(new_len as i64);
    Ok(())
}

/// Writes `value` at `offset`, zero-padding as needed; returns the new length.
fn write_at(buf: &mut Vec<u8>, offset: usize, value: &[u8]) -> usize {
    let end = offset + value.len();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(value);
    buf.len()
}

pub fn getrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let start = int_arg(&args[2])?;
    let end = int_arg(&args[3])?;
    let mut tmp = [0u8; 21];
    let s: &[u8] = match srv.lookup_read(c.db, &args[1]) {
        None => b"",
        Some(obj) => obj.value.as_str().ok_or(errors::WRONGTYPE)?.bytes(&mut tmp),
    };
    c.reply.bulk(byte_range(s, start, end));
    Ok(())
}

/// The inclusive byte range GETRANGE selects, with negative indexes from the end.
fn byte_range(s: &[u8], mut start: i64, mut end: i64) -> &[u8] {
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return b"";
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if start > end || len == 0 {
        return b"";
    }
    s.get(start as usize..=end as usize).unwrap_or_default()
}

pub fn lcs(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let a = lcs_operand(srv, c.db, &args[1])?;
    let b = lcs_operand(srv, c.db, &args[2])?;
    let mut get_len = false;
    let mut get_idx = false;
    let mut with_match_len = false;
    let mut min_match_len: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"idx") {
            get_idx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            get_len = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            with_match_len = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && more {
            min_match_len = int_arg(&args[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    if get_len && get_idx {
        return Err("ERR If you want both the length and indexes, please just use IDX.".into());
    }
    let table_bytes = (a.len() as u64 + 1) * (b.len() as u64 + 1) * 4;
    if table_bytes > srv.config.proto_max_bulk_len {
        return Err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into(),
        );
    }
    let table = LcsTable::build(&a, &b);
    let total = table.at(a.len(), b.len());
    if get_len {
        c.reply.int(total as i64);
        return Ok(());
    }
    let (common, ranges) = table.walk_back(&a, &b);
    if !get_idx {
        c.reply.bulk(&common);
        return Ok(());
    }
    let ranges: Vec<_> = ranges
        .into_iter()
        .filter(|r| min_match_len == 0 || r.len() as i64 >= min_match_len)
        .collect();
    c.reply.map(2);
    c.reply.bulk(b"matches");
    c.reply.array(ranges.len());
    for r in &ranges {
        c.reply.array(2 + usize::from(with_match_len));
        c.reply.array(2);
        c.reply.int(r.a_start as i64);
        c.reply.int(r.a_end as i64);
        c.reply.array(2);
        c.reply.int(r.b_start as i64);
        c.reply.int(r.b_end as i64);
        if with_match_len {
            c.reply.int(r.len() as i64);
        }
    }
    c.reply.bulk(b"len");
    c.reply.int(total as i64);
    Ok(())
}

/// The string an LCS operand names ("" when missing).
fn lcs_operand(srv: &mut Server, db: usize, key: &[u8]) -> Result<Vec<u8>, CmdError> {
    match srv.lookup_read(db, key) {
        None => Ok(Vec::new()),
        Some(obj) => obj
            .value
            .as_str()
            .map(StrValue::to_vec)
            .ok_or_else(|| "ERR The specified keys must contain string values".into()),
    }
}

/// One run of matching bytes (inclusive ranges in both strings).
#[derive(Debug, Clone, Copy)]
struct MatchRange {
    a_start: usize,
    a_end: usize,
    b_start: usize,
    b_end: usize,
}

impl MatchRange {
    fn len(&self) -> usize {
        self.a_end - self.a_start + 1
    }
}

/// The dynamic-programming table of longest-common-subsequence lengths.
struct LcsTable {
    cells: Vec<u32>,
    width: usize,
}

impl LcsTable {
    fn build(a: &[u8], b: &[u8]) -> Self {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        LcsTable { cells, width }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells.get(i * self.width + j).copied().unwrap_or(0)
    }

    /// Walks back from the end, collecting the common subsequence and the
    /// runs of contiguous matches (last run first, as Redis reports them).
    fn walk_back(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<MatchRange>) {
        let mut common = Vec::with_capacity(self.at(a.len(), b.len()) as usize);
        let mut ranges = Vec::new();
        let mut current: Option<MatchRange> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                common.push(a[i - 1]);
                current = match current {
                    Some(r) if r.a_start == i && r.b_start == j => Some(MatchRange {
                        a_start: i - 1,
                        b_start: j - 1,
                        ..r
                    }),
                    Some(r) => {
                        ranges.push(r);
                        Some(MatchRange {
                            a_start: i - 1,
                            a_end: i - 1,
                            b_start: j - 1,
                            b_end: j - 1,
                        })
                    }
                    None => Some(MatchRange {
                        a_start: i - 1,
                        a_end: i - 1,
                        b_start: j - 1,
                        b_end: j - 1,
                    }),
                };
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                if let Some(r) = current.take() {
                    ranges.push(r);
                }
            }
        }
        if let Some(r) = current {
            ranges.push(r);
        }
        common.reverse();
        (common, ranges)
    }
}

/// The string family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("set", -3, set)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[
            KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE | ks::VARIABLE_FLAGS, 1, 0, 1)
                .notes("RW and ACCESS due to the optional `GET` argument"),
        ])
        .key_finder(set_keys)
        .doc("string", "1.0.0", "O(1)", "Stores a string under a key, with optional expiry and conditions."),
    Command::new("setnx", 3, setnx)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::OW | ks::INSERT, 1, 0, 1)])
        .doc("string", "1.0.0", "O(1)", "Stores a string only when the key does not exist yet."),
    Command::new("setex", 4, setex)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1)])
        .doc("string", "2.0.0", "O(1)", "Stores a string with a time to live in seconds."),
    Command::new("psetex", 4, psetex)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1)])
        .doc("string", "2.6.0", "O(1)", "Stores a string with a time to live in milliseconds."),
    Command::new("get", 2, get)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("string", "1.0.0", "O(1)", "Returns the string stored at a key."),
    Command::new("getset", 3, getset)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("string", "1.0.0", "O(1)", "Stores a new string and returns the one it replaced."),
    Command::new("getdel", 2, getdel)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 1, 0, 1)])
        .doc("string", "6.2.0", "O(1)", "Returns the string stored at a key and deletes the key."),
    Command::new("getex", -2, getex)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)
            .notes("RW and UPDATE because it changes the TTL")])
        .doc("string", "6.2.0", "O(1)", "Returns the string stored at a key and changes its expiry."),
    Command::new("mget", -2, mget)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, -1, 1)])
        .tips(&["request_policy:multi_shard"])
        .doc("string", "1.0.0", "O(N) where N is the number of keys to retrieve.", "Returns the strings stored at several keys."),
    Command::new("mset", -3, mset)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, -1, 2)])
        .tips(&["request_policy:multi_shard", "response_policy:all_succeeded"])
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Stores several strings at once."),
    Command::new("msetnx", -3, msetnx)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::INSERT, 1, -1, 2)])
        .tips(&["request_policy:multi_shard", "response_policy:agg_min"])
        .doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Stores several strings only when none of the keys exist."),
    Command::new("incr", 2, incr)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("string", "1.0.0", "O(1)", "Adds one to the integer stored at a key."),
    Command::new("decr", 2, decr)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("string", "1.0.0", "O(1)", "Subtracts one from the integer stored at a key."),
    Command::new("incrby", 3, incrby)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("string", "1.0.0", "O(1)", "Adds an integer to the integer stored at a key."),
    Command::new("decrby", 3, decrby)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("string", "1.0.0", "O(1)", "Subtracts an integer from the integer stored at a key."),
    Command::new("incrbyfloat", 3, incrbyfloat)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc("string", "2.6.0", "O(1)", "Adds a floating point number to the number stored at a key."),
    Command::new("append", 3, append)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc("string", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Appends bytes to the string stored at a key."),
    Command::new("strlen", 2, strlen)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::STRING | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("string", "2.2.0", "O(1)", "Returns the length in bytes of the string stored at a key."),
    Command::new("setrange", 4, setrange)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("string", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "Overwrites part of a string starting at an offset."),
    Command::new("getrange", 4, getrange)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("string", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Returns a byte range of the string stored at a key."),
    Command::new("substr", 4, getrange)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("string", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Returns a byte range of the string stored at a key (old name of GETRANGE)."),
    Command::new("lcs", -3, lcs)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STRING | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 1, 1)])
        .doc("string", "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "Finds the longest common subsequence of two strings."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getrange_indexes() {
        let s = b"Hello World";
        assert_eq!(byte_range(s, 0, 3), b"Hell");
        assert_eq!(byte_range(s, -3, -1), b"rld");
        assert_eq!(byte_range(s, 5, 3), b"");
        assert_eq!(byte_range(s, 0, -100), b"H");
        assert_eq!(byte_range(s, -1, -5), b"");
        assert_eq!(byte_range(b"", 0, -1), b"");
    }

    #[test]
    fn lcs_matches_redis_example() {
        let a = b"ohmytext";
        let b = b"mynewtext";
        let t = LcsTable::build(a, b);
        let (common, ranges) = t.walk_back(a, b);
        assert_eq!(common, b"mytext");
        let r: Vec<_> = ranges
            .iter()
            .map(|r| (r.a_start, r.a_end, r.b_start, r.b_end))
            .collect();
        assert_eq!(r, vec![(4, 7, 5, 8), (2, 3, 0, 1)]);
    }
}
