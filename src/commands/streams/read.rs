//! XREAD and XREADGROUP, including blocking.
//!
//! A read that finds nothing and has BLOCK parks the client (see
//! `server::blocking`) with a copy of its command in which each `$` is
//! replaced by the stream's last ID at that moment, so the command run
//! again later still means "after what was there when I blocked". When a
//! waited-on key is written the command runs again and, as in Redis 7.0,
//! serves only that key: XREAD if the stream grew past the client's ID,
//! XREADGROUP if it grew past the group's last delivered ID (failing if
//! the stream or the group is gone). Without COUNT a woken reader gets at
//! most 1000 entries.

use super::{
    reply_entry, reply_id, stream_read, stream_update, strict_id, CmdError, CmdResult, Effects,
    Stream, StreamId,
};
use crate::commands::{int_arg, is_opt};
use crate::resp::reply::Aggregate;
use crate::server::blocking::{deadline_from_millis, TimeoutReply};
use crate::server::client::Client;
use crate::server::errors;
use crate::server::keyspace::LookupEffects;
use crate::server::spec::{Args, OwnedArgs};
use crate::server::Server;
use crate::types::stream::{ConsumerGroup, ConsumerId, Entries};

/// Entries a woken reader gets at most when it gave no COUNT.
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// The options of a read.
struct ReadArgs<'a> {
    /// `Some(deadline)` when BLOCK was given (`Some(None)`: forever).
    block: Option<Option<i64>>,
    /// Most entries per stream (0: no limit).
    count: usize,
    /// Group and consumer names (XREADGROUP).
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
    /// Position of the first key.
    keys_pos: usize,
    /// Number of streams.
    n: usize,
}

impl<'a> ReadArgs<'a> {
    fn key(&self, args: &Args<'a>, i: usize) -> &'a [u8] {
        args.get(self.keys_pos + i).unwrap_or_default()
    }

    fn id_arg(&self, args: &Args<'a>, i: usize) -> &'a [u8] {
        args.get(self.keys_pos + self.n + i).unwrap_or_default()
    }
}

/// Parses the options up to STREAMS.
fn parse_options<'a>(
    args: &Args<'a>,
    group_read: bool,
    from_script: bool,
    now_ms: i64,
) -> Result<ReadArgs<'a>, CmdError> {
    let argc = args.len();
    let mut out = ReadArgs {
        block: None,
        count: 0,
        group: None,
        noack: false,
        keys_pos: 0,
        n: 0,
    };
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let opt = &args[i];
        if is_opt(opt, "block") && more > 0 {
            if from_script {
                return Err(CmdError::concat(&[
                    b"ERR ",
                    &args[0],
                    b" command is not allowed with BLOCK option from scripts",
                ]));
            }
            i += 1;
            out.block = Some(deadline_from_millis(&args[i], now_ms)?);
        } else if is_opt(opt, "count") && more > 0 {
            i += 1;
            out.count = usize::try_from(int_arg(&args[i])?).unwrap_or(0);
        } else if is_opt(opt, "streams") && more > 0 {
            out.keys_pos = i + 1;
            let rest = argc - out.keys_pos;
            if !rest.is_multiple_of(2) {
                return Err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.".into());
            }
            out.n = rest / 2;
            break;
        } else if is_opt(opt, "group") && more >= 2 {
            if !group_read {
                return Err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.".into());
            }
            out.group = Some((
                args.get(i + 1).unwrap_or_default(),
                args.get(i + 2).unwrap_or_default(),
            ));
            i += 2;
        } else if is_opt(opt, "noack") {
            if !group_read {
                return Err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.".into());
            }
            out.noack = true;
        } else {
            return Err(errors::SYNTAX.into());
        }
        i += 1;
    }
    if out.keys_pos == 0 {
        return Err(errors::SYNTAX.into());
    }
    if group_read && out.group.is_none() {
        return Err("ERR Missing GROUP option for XREADGROUP".into());
    }
    Ok(out)
}

/// The largest ID stands for `>` (new entries for the group).
const NEW_ENTRIES: StreamId = StreamId::MAX;

/// Resolves each stream's ID, checking key types and groups in order:
/// `$` becomes the stream's last ID, `>` becomes [`NEW_ENTRIES`].
fn resolve_ids(
    srv: &mut Server,
    db: usize,
    args: &Args,
    ra: &ReadArgs,
) -> Result<Vec<StreamId>, CmdError> {
    let mut ids = Vec::with_capacity(ra.n);
    for i in 0..ra.n {
        let key = ra.key(args, i);
        let stream = stream_read(srv, db, key)?;
        if let Some((group, _)) = ra.group {
            if stream.as_ref().and_then(|s| s.group(group)).is_none() {
                return Err(CmdError::concat(&[
                    b"NOGROUP No such key '",
                    key,
                    b"' or consumer group '",
                    group,
                    b"' in XREADGROUP with GROUP option",
                ]));
            }
        }
        let arg = ra.id_arg(args, i);
        let id = if arg == b"$" {
            if ra.group.is_some() {
                return Err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.".into());
            }
            stream.map_or(StreamId::MIN, |s| s.entries.last_id)
        } else if arg == b">" {
            if ra.group.is_none() {
                return Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.".into());
            }
            NEW_ENTRIES
        } else {
            strict_id(arg)?
        };
        ids.push(id);
    }
    Ok(ids)
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
pub fn xread(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    read_command(srv, c, args, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
pub fn xreadgroup(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    read_command(srv, c, args, true)
}

fn read_command(srv: &mut Server, c: &mut Client, args: &Args, group_read: bool) -> CmdResult {
    srv.suppress_propagation();
    let ra = parse_options(args, group_read, c.from_script, srv.cmd_time_ms)?;
    if srv.blocking.rerunning() {
        return serve_woken(srv, c, args, &ra);
    }
    let mut ids = resolve_ids(srv, c.db, args, &ra)?;
    let served = serve_now(srv, c, args, &ra, &mut ids);
    if served > 0 {
        return Ok(());
    }
    match ra.block {
        Some(deadline) => block(srv, c, args, &ra, &ids, deadline),
        None => c.reply.null_array(),
    }
    Ok(())
}

/// Serves every stream that has something for the reader; returns how
/// many were served (the reply is written only if some were).
fn serve_now(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    ra: &ReadArgs,
    ids: &mut [StreamId],
) -> usize {
    let db = c.db;
    let now = srv.cmd_time_ms;
    let mut served = 0;
    let mut header = None;
    for (i, gt) in ids.iter_mut().enumerate() {
        let key = ra.key(args, i);
        // A `keymiss` comes where Redis meets the key, amid the reply.
        srv.pushes_after_reply(c);
        let mut w = stream_update(srv, db, key);
        let Ok(Some(stream)) = w.existing::<Stream>() else {
            continue;
        };
        let history = ra.group.is_some() && *gt != NEW_ENTRIES;
        let ready = match ra.group {
            _ if history => true,
            Some((group, _)) => {
                let last = stream.group(group).map_or(StreamId::MAX, |g| g.last_id);
                *gt = last;
                stream.entries.last_live_id().is_some_and(|top| top > last)
            }
            None => stream.entries.last_live_id().is_some_and(|top| top > *gt),
        };
        if !ready {
            continue;
        }
        served += 1;
        if served == 1 {
            header = Some(c.reply.defer());
        }
        if !c.reply.resp3 {
            c.reply.array(2);
        }
        c.reply.bulk(key);
        let start = gt.next().unwrap_or(StreamId::MIN);
        match ra.group {
            Some((group, consumer)) => {
                let read = GroupRead {
                    key,
                    group,
                    consumer,
                    noack: ra.noack,
                    count: ra.count,
                    now,
                };
                // As Redis: a consumer created here is announced after the
                // stream's key in the reply.
                w.pushes_after_reply(c);
                let mut effects = Effects::default();
                if let Ok(Some(stream)) = w.existing::<Stream>() {
                    read.serve(c, stream, start, history, &mut effects);
                }
                effects.dirty += 1;
                effects.apply(&mut w);
                w.pushes_after_reply(c);
            }
            None => {
                super::reply_range(c, &stream.entries, start, StreamId::MAX, ra.count, false);
            }
        }
    }
    if let Some(header) = header {
        let kind = if c.reply.resp3 {
            Aggregate::Map
        } else {
            Aggregate::Array
        };
        c.reply.fill(header, kind, served);
    }
    served
}

/// Parks the client on its streams, remembering the resolved IDs in
/// place of each `$`.
fn block(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    ra: &ReadArgs,
    ids: &[StreamId],
    deadline: Option<i64>,
) {
    let mut stored = OwnedArgs::default();
    for (pos, arg) in args.iter().enumerate() {
        let resolved = pos
            .checked_sub(ra.keys_pos + ra.n)
            .filter(|_| arg == b"$")
            .and_then(|i| ids.get(i));
        match resolved {
            Some(id) => stored.push(id.text().as_ref()),
            None => stored.push(arg),
        }
    }
    let mut keys: Vec<&[u8]> = Vec::with_capacity(ra.n);
    for i in 0..ra.n {
        let key = ra.key(args, i);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    srv.block_on_keys(c, &keys, deadline, TimeoutReply::NullArray, &stored.args());
}

/// Keeps a woken client blocked (its key has nothing for it yet).
fn stay_blocked(srv: &mut Server, c: &mut Client, args: &Args) {
    srv.block_on_keys(c, &[], None, TimeoutReply::NullArray, args);
}

/// A blocked read run again because the key being served was written.
fn serve_woken(srv: &mut Server, c: &mut Client, args: &Args, ra: &ReadArgs) -> CmdResult {
    let db = c.db;
    let now = srv.cmd_time_ms;
    let serving = srv.blocking.serving_key().map(<[u8]>::to_vec);
    let Some(i) = serving.and_then(|key| (0..ra.n).find(|&i| ra.key(args, i) == key.as_slice()))
    else {
        stay_blocked(srv, c, args);
        return Ok(());
    };
    let key = ra.key(args, i);
    let mut w = srv.update_key(db, key, LookupEffects::QUIET);
    let stream = w.existing::<Stream>().ok().flatten();
    let count = match ra.count {
        0 => BLOCKED_DEFAULT_COUNT,
        n => n,
    };
    let mut effects = Effects::default();
    match ra.group {
        None => {
            let gt = match ra.id_arg(args, i) {
                b">" => NEW_ENTRIES,
                arg => strict_id(arg)?,
            };
            let Some(stream) = stream.filter(|s| s.entries.last_id > gt) else {
                drop(w);
                stay_blocked(srv, c, args);
                return Ok(());
            };
            open_single_key_reply(c, key);
            let start = gt.next().unwrap_or(StreamId::MIN);
            super::reply_range(c, &stream.entries, start, StreamId::MAX, count, false);
        }
        Some((group, consumer)) => {
            let stream = stream.ok_or("UNBLOCKED the stream key no longer exists")?;
            let last = stream
                .group(group)
                .ok_or("NOGROUP the consumer group this client was blocked on no longer exists")?
                .last_id;
            if stream.entries.last_id <= last {
                drop(w);
                stay_blocked(srv, c, args);
                return Ok(());
            }
            open_single_key_reply(c, key);
            let read = GroupRead {
                key,
                group,
                consumer,
                noack: ra.noack,
                count,
                now,
            };
            let start = last.next().unwrap_or(StreamId::MIN);
            w.pushes_after_reply(c);
            if let Ok(Some(stream)) = w.existing::<Stream>() {
                read.serve(c, stream, start, false, &mut effects);
            }
        }
    }
    effects.apply(&mut w);
    w.pushes_after_reply(c);
    Ok(())
}

/// The header of a reply with one stream: `[[key, ...]]` or `{key: ...}`.
fn open_single_key_reply(c: &mut Client, key: &[u8]) {
    if c.reply.resp3 {
        c.reply.map(1);
    } else {
        c.reply.array(1);
        c.reply.array(2);
    }
    c.reply.bulk(key);
}

/// One consumer's read of one stream.
struct GroupRead<'a> {
    key: &'a [u8],
    group: &'a [u8],
    consumer: &'a [u8],
    noack: bool,
    count: usize,
    now: i64,
}

impl GroupRead<'_> {
    /// The consumer's ID, created if needed (a change; with NOACK it is
    /// propagated, since no XCLAIM will create it on replicas).
    fn consumer_id(&self, stream: &mut Stream, effects: &mut Effects) -> Option<ConsumerId> {
        let group = stream.group_mut(self.group)?;
        let (id, created) = group.touch_or_create_consumer(self.consumer, self.now);
        if created {
            effects.consumer_created();
            if self.noack {
                effects.create_consumer(self.key, self.group, self.consumer);
            }
        }
        Some(id)
    }

    /// The stream's entries, the group and the consumer's ID (created if
    /// needed), or `None` if the group is gone.
    fn open<'s>(
        &self,
        stream: &'s mut Stream,
        effects: &mut Effects,
    ) -> Option<(&'s Entries, &'s mut ConsumerGroup, ConsumerId)> {
        let consumer = self.consumer_id(stream, effects)?;
        let Stream { entries, groups } = stream;
        Some((entries, groups.get_mut(self.group)?, consumer))
    }

    /// Serves the consumer: new entries from `start`, or its own pending
    /// entries from `start` when reading its history.
    fn serve(
        &self,
        c: &mut Client,
        stream: &mut Stream,
        start: StreamId,
        history: bool,
        effects: &mut Effects,
    ) {
        let Some((entries, group, consumer)) = self.open(stream, effects) else {
            c.reply.empty_array();
            return;
        };
        if history {
            self.redeliver(c, entries, group, consumer, start);
        } else {
            self.deliver(c, entries, group, consumer, start, effects);
        }
    }

    /// Delivers entries after `start`: they become pending for the
    /// consumer (unless NOACK) and move the group's last ID forward.
    fn deliver(
        &self,
        c: &mut Client,
        entries: &Entries,
        group: &mut ConsumerGroup,
        consumer: ConsumerId,
        start: StreamId,
        effects: &mut Effects,
    ) {
        let header = c.reply.defer();
        let mut n = 0;
        let mut moved_last_id = false;
        for entry in entries.range(start, StreamId::MAX, false) {
            if entry.id > group.last_id {
                Stream::advance_group(entries, group, entry.id);
                moved_last_id = true;
            }
            reply_entry(c, &entry);
            if !self.noack {
                let pending = group.deliver(entry.id, consumer, self.now);
                let name = group.consumer_name(consumer);
                effects.xclaim(
                    self.key,
                    self.group,
                    name,
                    entry.id.text().as_ref(),
                    &pending,
                    group.last_id,
                );
            }
            n += 1;
            if n == self.count {
                break;
            }
        }
        if moved_last_id && self.noack {
            effects.setid(self.key, self.group, group.last_id, group.entries_read);
        }
        c.reply.fill(header, Aggregate::Array, n);
    }

    /// Replies with the consumer's own pending entries from `start`: each
    /// is delivered again; one deleted from the stream shows as `[id, nil]`.
    fn redeliver(
        &self,
        c: &mut Client,
        entries: &Entries,
        group: &mut ConsumerGroup,
        consumer: ConsumerId,
        start: StreamId,
    ) {
        let limit = if self.count == 0 {
            usize::MAX
        } else {
            self.count
        };
        let ids: Vec<StreamId> = group
            .consumer(consumer)
            .map(|cons| cons.pel.range(start..).take(limit).copied().collect())
            .unwrap_or_default();
        c.reply.array(ids.len());
        for id in ids {
            match entries.range(id, id, false).next() {
                Some(entry) => {
                    reply_entry(c, &entry);
                    if let Some(p) = group.pel.get_mut(&id) {
                        p.delivery_time = self.now;
                        p.delivery_count += 1;
                    }
                }
                None => {
                    c.reply.array(2);
                    reply_id(c, id);
                    c.reply.null_array();
                }
            }
        }
    }
}
