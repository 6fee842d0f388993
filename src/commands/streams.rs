//! Stream commands. This module holds what every stream command shares
//! (ID and range parsing, entry replies, the propagation forms consumer
//! groups use) and the log commands: XADD, XRANGE, XREVRANGE, XLEN, XDEL,
//! XTRIM, XSETID. Reading (XREAD, XREADGROUP), groups (XGROUP, XACK,
//! XPENDING), claiming (XCLAIM, XAUTOCLAIM) and XINFO have submodules.
//! The family's command table closes this file.

mod claim;
mod groups;
mod info;
mod read;
#[cfg(test)]
mod tests;

use super::{container, int_arg, is_opt};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::keyspace::LookupEffects;
use crate::server::spec::{acl, flag, ks, Args, Begin, Command, Find, KeySpec, OwnedArgs};
use crate::server::write::{KeyEvent, KeyWrite};
use crate::server::Server;
use crate::types::stream::id::{self, IdForm};
use crate::types::stream::{
    AddError, Elem, Entries, Entry, NewId, NodeLimits, Pending, Stream, StreamId, Trim, TrimBy,
};

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
const INVALID_START: &str = "ERR invalid start ID for the interval";
const INVALID_END: &str = "ERR invalid end ID for the interval";

const XTRIM: KeyEvent = KeyEvent::stream("xtrim");
const XGROUP_CREATECONSUMER: KeyEvent = KeyEvent::stream("xgroup-createconsumer");

/// Parses an exact ID (`-` and `+` refused).
fn strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    id::parse(arg, 0, IdForm::Strict)
        .map(|p| p.id)
        .ok_or(CmdError::Static(INVALID_ID))
}

/// Parses a range start (`-`, an ID, or `(ID` for an exclusive bound);
/// a missing sequence means 0.
fn range_start(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (start, exclusive) = id::parse_interval(arg, 0).ok_or(INVALID_ID)?;
    if exclusive {
        return start.next().ok_or(CmdError::Static(INVALID_START));
    }
    Ok(start)
}

/// Parses a range end (`+`, an ID, or `(ID`); a missing sequence means
/// the largest one.
fn range_end(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (end, exclusive) = id::parse_interval(arg, u64::MAX).ok_or(INVALID_ID)?;
    if exclusive {
        return end.prev().ok_or(CmdError::Static(INVALID_END));
    }
    Ok(end)
}

fn stream_read<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a Stream>, CmdError> {
    srv.read_key::<Stream>(db, key)
}

/// The stream of a command that looks it up for reading and may change
/// its consumer groups (XREADGROUP, XCLAIM, XAUTOCLAIM, as in Redis).
fn stream_update<'s, 'k>(srv: &'s mut Server, db: usize, key: &'k [u8]) -> KeyWrite<'s, 'k> {
    srv.update_key(db, key, LookupEffects::READ)
}

fn node_limits(srv: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: srv.config.stream_node_max_bytes,
        max_entries: srv.config.stream_node_max_entries,
    }
}

fn reply_id(c: &mut Client, id: StreamId) {
    c.reply.bulk(id.text().as_ref());
}

fn reply_elem(c: &mut Client, e: Elem) {
    match e {
        Elem::Int(v) => c.reply.bulk_i64(v),
        Elem::Str(s) => c.reply.bulk(s),
    }
}

/// `[id, [field, value, ...]]`.
fn reply_entry(c: &mut Client, entry: &Entry) {
    c.reply.array(2);
    reply_id(c, entry.id);
    c.reply.array(2 * entry.num_fields());
    for (field, value) in entry.fields() {
        reply_elem(c, field);
        reply_elem(c, value);
    }
}

/// Replies with the entries from `start` to `end` (at most `count`, 0
/// for all) as an array; returns how many.
fn reply_range(
    c: &mut Client,
    entries: &Entries,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> usize {
    let header = c.reply.defer();
    let mut n = 0;
    for entry in entries.range(start, end, rev) {
        reply_entry(c, &entry);
        n += 1;
        if n == count {
            break;
        }
    }
    c.reply
        .fill(header, crate::resp::reply::Aggregate::Array, n);
    n
}

/// Commands a consumer-group command propagates instead of itself, the
/// changes it counts and whether it created a consumer, gathered while the
/// stream is borrowed.
#[derive(Default)]
struct Effects {
    propagate: Vec<OwnedArgs>,
    dirty: u64,
    consumer_created: bool,
}

impl Effects {
    /// A consumer was created on the way (XREADGROUP, XCLAIM,
    /// XAUTOCLAIM): a change, with its `xgroup-createconsumer` event.
    fn consumer_created(&mut self) {
        self.dirty += 1;
        self.consumer_created = true;
    }

    /// `XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n>
    /// FORCE JUSTID LASTID <group-last-id>`: recreates a pending entry
    /// exactly, whatever the replica's state.
    fn xclaim(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        id: &[u8],
        p: &Pending,
        last_id: StreamId,
    ) {
        let time = p.delivery_time.to_string();
        let count = p.delivery_count.to_string();
        self.propagate.push(OwnedArgs::from_slices(&[
            b"XCLAIM".as_slice(),
            key,
            group,
            consumer,
            b"0",
            id,
            b"TIME",
            time.as_bytes(),
            b"RETRYCOUNT",
            count.as_bytes(),
            b"FORCE",
            b"JUSTID",
            b"LASTID",
            last_id.text().as_ref(),
        ]));
    }

    /// `XGROUP SETID <key> <group> <id> ENTRIESREAD <n>`.
    fn setid(&mut self, key: &[u8], group: &[u8], last_id: StreamId, entries_read: i64) {
        let read = entries_read.to_string();
        self.propagate.push(OwnedArgs::from_slices(&[
            b"XGROUP".as_slice(),
            b"SETID",
            key,
            group,
            last_id.text().as_ref(),
            b"ENTRIESREAD",
            read.as_bytes(),
        ]));
    }

    /// `XGROUP CREATECONSUMER <key> <group> <consumer>`.
    fn create_consumer(&mut self, key: &[u8], group: &[u8], consumer: &[u8]) {
        self.propagate.push(OwnedArgs::from_slices(&[
            b"XGROUP".as_slice(),
            b"CREATECONSUMER",
            key,
            group,
            consumer,
        ]));
    }

    /// Counts the changes to the stream opened in `w` and queues the
    /// propagated commands, in order; the running command itself is not
    /// propagated.
    fn apply(&mut self, w: &mut KeyWrite) {
        if std::mem::take(&mut self.consumer_created) {
            w.meta_changed(0, XGROUP_CREATECONSUMER);
        }
        w.counted(std::mem::take(&mut self.dirty));
        for command in self.propagate.drain(..) {
            let parts: Vec<&[u8]> = command.args().iter().collect();
            w.also_propagate(&parts);
        }
        w.suppress_propagation();
    }
}

/// Parsed options shared by XADD and XTRIM.
#[derive(Debug, Default)]
struct AddTrimArgs {
    trim: Option<TrimArgs>,
    /// The ID argument of XADD (`None` for `*`).
    id: Option<id::ParsedId>,
    /// Position of the ID argument (past the end if there is none).
    id_pos: usize,
    no_mkstream: bool,
}

#[derive(Debug, Clone, Copy)]
struct TrimArgs {
    spec: Trim,
    /// Position of the MAXLEN/MINID value, rewritten when propagating an
    /// approximate trim.
    value_pos: usize,
}

/// Trim strategy and value of MAXLEN/MINID `[=|~] <value>` at `i`; returns
/// the strategy, whether it is approximate and the value's position.
fn parse_trim_strategy(args: &Args, i: usize) -> Result<(TrimBy, bool, usize), CmdError> {
    let more = args.len() - 1 - i;
    let next = &args[i + 1];
    let (approx, value_pos) = match next {
        b"~" if more >= 2 => (true, i + 2),
        b"=" if more >= 2 => (false, i + 2),
        _ => (false, i + 1),
    };
    let value = &args[value_pos];
    let by = if is_opt(&args[i], "maxlen") {
        let max = int_arg(value)?;
        if max < 0 {
            return Err("ERR The MAXLEN argument must be >= 0.".into());
        }
        TrimBy::MaxLen(max as u64)
    } else {
        TrimBy::MinId(strict_id(value)?)
    };
    Ok((by, approx, value_pos))
}

/// Parses `[MAXLEN|MINID [=|~] value [LIMIT n]]` (and for XADD
/// `[NOMKSTREAM]` and the ID) from argument 2 on, as Redis does.
fn parse_add_or_trim(srv: &Server, args: &Args, xadd: bool) -> Result<AddTrimArgs, CmdError> {
    let argc = args.len();
    let mut out = AddTrimArgs {
        id_pos: argc,
        ..AddTrimArgs::default()
    };
    let mut strategy: Option<(TrimBy, bool, usize)> = None;
    let mut limit: Option<i64> = None;
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = &args[i];
        if xadd && opt == b"*" {
            out.id_pos = i;
            break;
        } else if (is_opt(opt, "maxlen") || is_opt(opt, "minid")) && more > 0 {
            if strategy.is_some() {
                return Err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible".into());
            }
            let parsed = parse_trim_strategy(args, i)?;
            i = parsed.2;
            strategy = Some(parsed);
        } else if is_opt(opt, "limit") && more > 0 {
            let n = int_arg(&args[i + 1])?;
            if n < 0 {
                return Err("ERR The LIMIT argument must be >= 0.".into());
            }
            limit = Some(n);
            i += 1;
        } else if xadd && is_opt(opt, "nomkstream") {
            out.no_mkstream = true;
        } else if xadd {
            out.id = Some(id::parse(opt, 0, IdForm::StrictAutoSeq).ok_or(INVALID_ID)?);
            out.id_pos = i;
            break;
        } else {
            return Err(errors::SYNTAX.into());
        }
        i += 1;
    }
    if limit.unwrap_or(0) != 0 && strategy.is_none() {
        return Err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy".into(),
        );
    }
    let Some((by, approx, value_pos)) = strategy else {
        if !xadd {
            return Err("ERR syntax error, XTRIM must be called with a trimming strategy".into());
        }
        if limit.is_some() {
            return Err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option".into(),
            );
        }
        return Ok(out);
    };
    // What the primary or the AOF sends was made exact by the writer
    // (`=` and the resulting threshold, LIMIT kept): it is obeyed as it
    // is, without the limit (Redis's `mustObeyClient`).
    let obeyed = srv.serving_primary() || srv.persistence.loading.is_some();
    let limit = match limit {
        _ if obeyed => 0,
        Some(_) if !approx => {
            return Err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option".into(),
            )
        }
        Some(n) => n as u64,
        None if approx => default_trim_limit(srv.config.stream_node_max_entries),
        None => 0,
    };
    out.trim = Some(TrimArgs {
        spec: Trim { by, approx, limit },
        value_pos,
    });
    Ok(out)
}

/// Entries an approximate trim may remove when no LIMIT is given: 100
/// nodes' worth, between 10000 (unlimited nodes) and a million.
fn default_trim_limit(node_max_entries: i64) -> u64 {
    let limit = node_max_entries.saturating_mul(100);
    if limit <= 0 {
        10_000
    } else {
        limit.min(1_000_000) as u64
    }
}

/// The value an approximate trim is propagated with so replicas trim
/// exactly as much: the resulting length, or the first ID left
/// (tombstones included).
fn exact_trim_value(entries: &Entries, by: TrimBy) -> Vec<u8> {
    match by {
        TrimBy::MaxLen(_) => entries.len().to_string().into_bytes(),
        TrimBy::MinId(_) => entries.edge_id(true, false).text().as_ref().to_vec(),
    }
}

/// The command line with some arguments replaced.
fn rewritten<'a>(args: &Args<'a>, replace: &[(usize, &'a [u8])]) -> Vec<&'a [u8]> {
    let mut parts: Vec<&[u8]> = args.iter().collect();
    for &(pos, value) in replace {
        if let Some(part) = parts.get_mut(pos) {
            *part = value;
        }
    }
    parts
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
pub fn xadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let parsed = parse_add_or_trim(srv, args, true)?;
    let fields = args.tail(parsed.id_pos + 1);
    if fields.len() < 2 || !fields.len().is_multiple_of(2) {
        return Err(errors::wrong_arity("xadd"));
    }
    let new_id = match parsed.id {
        None => NewId::Auto,
        Some(p) if p.seq_given => NewId::Exact(p.id),
        Some(p) => NewId::AutoSeq(p.id.ms),
    };
    if new_id == NewId::Exact(StreamId::MIN) {
        return Err("ERR The ID specified in XADD must be greater than 0-0".into());
    }
    let key = &args[1];
    let limits = node_limits(srv);
    let now = srv.cmd_time_ms.max(0) as u64;
    let mut w = srv.write_key(c.db, key);
    if parsed.no_mkstream && !w.check::<Stream>()? {
        c.reply.null();
        return Ok(());
    }
    let stream = w.or_create(Stream::default)?;
    if stream.entries.last_id == StreamId::MAX {
        return Err(
            "ERR The stream has exhausted the last possible ID, unable to add more items".into(),
        );
    }
    let pairs: Vec<&[u8]> = fields.iter().collect();
    let id = stream
        .entries
        .add(new_id, &pairs, limits, now)
        .map_err(|e| match e {
            AddError::IdTooSmall => {
                "ERR The ID specified in XADD is equal or smaller than the target stream top item"
            }
            AddError::TooLarge => "ERR Elements are too large to be stored",
        })?;
    let mut trimmed = 0;
    let exact_trim = parsed.trim.and_then(|t| {
        trimmed = stream.entries.trim(t.spec);
        t.spec
            .approx
            .then(|| (t.value_pos, exact_trim_value(&stream.entries, t.spec.by)))
    });
    let id_text = id.text();
    c.reply.bulk(id_text.as_ref());
    w.pushes_after_reply(c);
    w.changed(1, KeyEvent::stream("xadd"));
    if trimmed > 0 {
        w.changed(0, XTRIM);
    }
    let mut replace: Vec<(usize, &[u8])> = Vec::new();
    if !parsed.id.is_some_and(|p| p.seq_given) {
        replace.push((parsed.id_pos, id_text.as_ref()));
    }
    if let Some((pos, value)) = &exact_trim {
        replace.push((pos - 1, b"="));
        replace.push((*pos, value));
    }
    if !replace.is_empty() {
        w.propagate_as(&rewritten(args, &replace));
    }
    Ok(())
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub fn xtrim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let parsed = parse_add_or_trim(srv, args, false)?;
    let Some(trim) = parsed.trim else {
        return Err(errors::SYNTAX.into());
    };
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(stream) = w.existing::<Stream>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let deleted = stream.entries.trim(trim.spec);
    let exact =
        (deleted > 0 && trim.spec.approx).then(|| exact_trim_value(&stream.entries, trim.spec.by));
    if deleted > 0 {
        w.changed(deleted, XTRIM);
    }
    if let Some(value) = &exact {
        w.propagate_as(&rewritten(
            args,
            &[(trim.value_pos - 1, b"="), (trim.value_pos, value)],
        ));
    }
    c.reply.int(deleted as i64);
    Ok(())
}

/// XRANGE / XREVRANGE: `first` and `second` are the start and end
/// arguments in the order the command takes them.
fn range_command(srv: &mut Server, c: &mut Client, args: &Args, rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if is_opt(&args[j], "count") && j + 1 < args.len() {
            count = int_arg(&args[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    let Some(stream) = stream_read(srv, c.db, &args[1])? else {
        c.reply.empty_array();
        return Ok(());
    };
    if count == 0 {
        c.reply.null_array();
    } else {
        let limit = usize::try_from(count).unwrap_or(0);
        reply_range(c, &stream.entries, start, end, limit, rev);
    }
    Ok(())
}

/// XRANGE key start end [COUNT count]
pub fn xrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_command(srv, c, args, false)
}

/// XREVRANGE key end start [COUNT count]
pub fn xrevrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_command(srv, c, args, true)
}

/// XLEN key
pub fn xlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = stream_read(srv, c.db, &args[1])?.map_or(0, |s| s.entries.len());
    c.reply.int(len as i64);
    Ok(())
}

/// XDEL key id [id ...]
pub fn xdel(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let ids: Result<Vec<StreamId>, CmdError> = args.tail(2).iter().map(strict_id).collect();
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(stream) = w.existing::<Stream>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let deleted = stream.entries.delete_ids(&ids?);
    if deleted > 0 {
        w.changed(deleted, KeyEvent::stream("xdel"));
    }
    c.reply.int(deleted as i64);
    Ok(())
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub fn xsetid(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let id = strict_id(&args[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if is_opt(&args[i], "entriesadded") && has_value {
            let n = int_arg(&args[i + 1])?;
            entries_added =
                Some(u64::try_from(n).map_err(|_| "ERR entries_added must be positive")?);
        } else if is_opt(&args[i], "maxdeletedid") && has_value {
            max_deleted = strict_id(&args[i + 1])?;
            if id < max_deleted {
                return Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id".into());
            }
        } else {
            return Err(errors::SYNTAX.into());
        }
        i += 2;
    }
    let mut w = srv.write_key(c.db, &args[1]);
    let stream = w.existing::<Stream>()?.ok_or(errors::NO_SUCH_KEY)?;
    let entries = &mut stream.entries;
    if !entries.is_empty() {
        if entries.last_live_id().is_some_and(|top| id < top) {
            return Err(
                "ERR The ID specified in XSETID is smaller than the target stream top item".into(),
            );
        }
        if entries_added.is_some_and(|added| entries.len() > added) {
            return Err("ERR The entries_added specified in XSETID is smaller than the target stream length".into());
        }
    }
    entries.last_id = id;
    if let Some(added) = entries_added {
        entries.entries_added = added;
    }
    if !max_deleted.is_zero() {
        entries.max_deleted_id = max_deleted;
    }
    c.reply.ok();
    w.pushes_after_reply(c);
    w.meta_changed(1, KeyEvent::stream("xsetid"));
    Ok(())
}

/// The stream family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("xadd", -5, xadd)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STREAM | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)
            .notes("UPDATE instead of INSERT because of the optional trimming feature")])
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", "Appends an entry to a stream, creating the stream if needed."),
    Command::new("xrange", -4, xrange)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Returns the entries of a stream between two IDs."),
    Command::new("xrevrange", -4, xrevrange)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", "Returns the entries of a stream between two IDs, newest first."),
    Command::new("xlen", 2, xlen)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::STREAM | acl::FAST)
        .keys(&[KeySpec::range(ks::RO, 1, 0, 1)])
        .doc("stream", "5.0.0", "O(1)", "Returns the number of entries in a stream."),
    Command::new("xdel", -3, xdel)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::STREAM | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .doc("stream", "5.0.0", "O(1) for each single item to delete in the stream, regardless of the stream size.", "Removes entries from a stream by ID."),
    Command::new("xtrim", -4, xtrim)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", "Removes the oldest entries of a stream by length or ID."),
    Command::new("xsetid", -3, xsetid)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::STREAM | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("stream", "5.0.0", "O(1)", "Sets a stream's last ID and its added and deleted counters."),
    Command::new("xread", -4, read::xread)
        .flags(flag::READONLY | flag::BLOCKING | flag::MOVABLE_KEYS)
        .acl(acl::READ | acl::STREAM | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::new(ks::RO | ks::ACCESS, Begin::Keyword { keyword: "STREAMS", start_from: 1 }, Find::Range { last: -1, step: 1, limit: 2 })])
        .doc("stream", "5.0.0", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", "Reads entries newer than given IDs from streams, optionally waiting for them."),
    Command::new("xreadgroup", -7, read::xreadgroup)
        .flags(flag::WRITE | flag::BLOCKING | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::STREAM | acl::SLOW | acl::BLOCKING)
        .keys(&[KeySpec::new(ks::RO | ks::ACCESS, Begin::Keyword { keyword: "STREAMS", start_from: 4 }, Find::Range { last: -1, step: 1, limit: 2 })])
        .doc("stream", "5.0.0", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", "Reads entries for a consumer of a group, recording them as pending."),
    Command::new("xack", -4, groups::xack)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::STREAM | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("stream", "5.0.0", "O(1) for each message ID processed.", "Acknowledges pending entries of a consumer group."),
    Command::new("xpending", -3, groups::xpending)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", "Lists or summarises the pending entries of a consumer group."),
    Command::new("xclaim", -6, claim::xclaim)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::STREAM | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("stream", "5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group.", "Moves pending entries to another consumer."),
    Command::new("xautoclaim", -6, claim::xautoclaim)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::WRITE | acl::STREAM | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("stream", "6.2.0", "O(1) if COUNT is small.", "Moves idle pending entries to another consumer, scanning with a cursor."),
    Command::new("xgroup", -2, container)
        .acl(acl::SLOW)
        .doc("stream", "5.0.0", "Depends on subcommand.", "Manages consumer groups and their consumers.")
        .subcommands(groups::XGROUP_SUBCOMMANDS),
    Command::new("xinfo", -2, container)
        .acl(acl::SLOW)
        .doc("stream", "5.0.0", "Depends on subcommand.", "Shows information about streams, groups and consumers.")
        .subcommands(info::XINFO_SUBCOMMANDS),
];
