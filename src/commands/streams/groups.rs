//! Consumer group management: XGROUP (CREATE, SETID, DESTROY,
//! CREATECONSUMER, DELCONSUMER, HELP), XACK and XPENDING.

use super::{
    range_end, range_start, reply_id, stream_read, strict_id, CmdError, CmdResult, StreamId,
    XGROUP_CREATECONSUMER,
};
use crate::commands::{int_arg, is_opt, reply_help};
use crate::server::client::Client;
use crate::server::errors;
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::{KeyEvent, KeyWrite};
use crate::server::Server;
use crate::types::stream::id::{self, IdForm};
use crate::types::stream::{ConsumerGroup, Stream, ENTRIES_READ_INVALID};

/// `NOGROUP No such key '<key>' or consumer group '<group>'`.
pub(super) fn no_such_key_or_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::concat(&[
        b"NOGROUP No such key '",
        key,
        b"' or consumer group '",
        group,
        b"'",
    ])
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'`.
pub(super) fn no_such_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::concat(&[
        b"NOGROUP No such consumer group '",
        group,
        b"' for key name '",
        key,
        b"'",
    ])
}

/// The options after `XGROUP CREATE|SETID key group id`: MKSTREAM (CREATE
/// only) and ENTRIESREAD.
struct GroupOptions {
    mkstream: bool,
    entries_read: i64,
}

fn parse_group_options(args: &Args, create: bool) -> Result<GroupOptions, CmdError> {
    let mut out = GroupOptions {
        mkstream: false,
        entries_read: ENTRIES_READ_INVALID,
    };
    let mut i = 5;
    while i < args.len() {
        if create && is_opt(&args[i], "mkstream") {
            out.mkstream = true;
            i += 1;
        } else if is_opt(&args[i], "entriesread") && i + 1 < args.len() {
            let n = int_arg(&args[i + 1])?;
            if n < 0 && n != ENTRIES_READ_INVALID {
                return Err("ERR value for ENTRIESREAD must be positive or -1".into());
            }
            out.entries_read = n;
            i += 2;
        } else {
            return Err(errors::subcommand_syntax(&args[0], &args[1]));
        }
    }
    Ok(out)
}

const KEY_REQUIRED: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// The stream an XGROUP subcommand works on (it must exist).
fn group_stream<'w>(w: &'w mut KeyWrite) -> Result<&'w mut Stream, CmdError> {
    w.existing::<Stream>()?
        .ok_or(CmdError::Static(KEY_REQUIRED))
}

/// The group an XGROUP subcommand works on (key and group must exist).
fn existing_group<'w>(w: &'w mut KeyWrite, args: &Args) -> Result<&'w mut ConsumerGroup, CmdError> {
    let (key, name) = (&args[2], &args[3]);
    group_stream(w)?
        .group_mut(name)
        .ok_or_else(|| no_such_group(key, name))
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
fn xgroup_create(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = parse_group_options(args, true)?;
    let (key, name) = (&args[2], &args[3]);
    let mut w = srv.write_key(c.db, key);
    let exists = w.check::<Stream>()?;
    if !exists && !o.mkstream {
        return Err(KEY_REQUIRED.into());
    }
    if args.len() > 8 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let id = if &args[4] == b"$" {
        w.existing::<Stream>()?
            .map_or(StreamId::MIN, |s| s.entries.last_id)
    } else {
        strict_id(&args[4])?
    };
    let stream = w.or_create(Stream::default)?;
    if !stream.create_group(name, id, o.entries_read) {
        return Err("BUSYGROUP Consumer Group name already exists".into());
    }
    c.reply.ok();
    w.pushes_after_reply(c);
    // As Redis: a stream MKSTREAM created is a new value, the group is not.
    if exists {
        w.meta_changed(1, KeyEvent::stream("xgroup-create"));
    } else {
        w.changed(1, KeyEvent::stream("xgroup-create"));
    }
    Ok(())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
fn xgroup_setid(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = parse_group_options(args, false)?;
    let mut w = srv.write_key(c.db, &args[2]);
    let last_id = group_stream(&mut w)?.entries.last_id;
    existing_group(&mut w, args)?;
    if args.len() != 5 && args.len() != 7 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let id = if &args[4] == b"$" {
        last_id
    } else {
        id::parse(&args[4], 0, IdForm::Bound)
            .map(|p| p.id)
            .ok_or(super::INVALID_ID)?
    };
    let group = existing_group(&mut w, args)?;
    group.last_id = id;
    group.entries_read = o.entries_read;
    c.reply.ok();
    w.pushes_after_reply(c);
    w.meta_changed(1, KeyEvent::stream("xgroup-setid"));
    Ok(())
}

/// XGROUP DESTROY key group: blocked readers of the group are woken (and
/// fail with NOGROUP).
fn xgroup_destroy(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (db, key) = (c.db, &args[2]);
    let mut w = srv.write_key(db, key);
    let destroyed = group_stream(&mut w)?.groups.remove(&args[3]).is_some();
    c.reply.int(i64::from(destroyed));
    if destroyed {
        w.pushes_after_reply(c);
        w.meta_changed(1, KeyEvent::stream("xgroup-destroy"));
        drop(w);
        srv.signal_key_ready(db, key);
    }
    Ok(())
}

/// XGROUP CREATECONSUMER key group consumer
fn xgroup_createconsumer(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let now = srv.cmd_time_ms;
    let mut w = srv.write_key(c.db, &args[2]);
    let created = existing_group(&mut w, args)?
        .create_consumer(&args[4], now)
        .is_some();
    if created {
        w.meta_changed(1, XGROUP_CREATECONSUMER);
    }
    c.reply.int(i64::from(created));
    Ok(())
}

/// XGROUP DELCONSUMER key group consumer: replies with how many entries
/// were pending for it (they are dropped).
fn xgroup_delconsumer(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut w = srv.write_key(c.db, &args[2]);
    let group = existing_group(&mut w, args)?;
    let pending = group
        .find_consumer(&args[4])
        .map(|id| group.delete_consumer(id));
    if pending.is_some() {
        w.meta_changed(1, KeyEvent::stream("xgroup-delconsumer"));
    }
    c.reply.int(pending.unwrap_or(0) as i64);
    Ok(())
}

fn xgroup_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        &args[0],
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

/// XACK key group id [id ...]
pub fn xack(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let ids: Result<Vec<StreamId>, CmdError> = args.tail(3).iter().map(strict_id).collect();
    let mut w = srv.write_key(c.db, &args[1]);
    let Some(group) = w.existing::<Stream>()?.and_then(|s| s.group_mut(&args[2])) else {
        c.reply.int(0);
        return Ok(());
    };
    let acked = ids?.iter().filter(|&&id| group.ack(id)).count();
    w.counted(acked as u64);
    c.reply.int(acked as i64);
    Ok(())
}

/// The range form of XPENDING: `[IDLE min-idle] start end count [consumer]`.
struct PendingRange<'a> {
    min_idle: i64,
    start: StreamId,
    end: StreamId,
    count: usize,
    consumer: Option<&'a [u8]>,
}

fn parse_pending_range<'a>(args: &Args<'a>) -> Result<PendingRange<'a>, CmdError> {
    let mut first = 3;
    let mut min_idle = 0;
    if is_opt(&args[3], "idle") {
        min_idle = int_arg(&args[4])?;
        if args.len() < 8 {
            return Err(errors::SYNTAX.into());
        }
        first += 2;
    }
    let count = usize::try_from(int_arg(&args[first + 2])?).unwrap_or(0);
    Ok(PendingRange {
        min_idle,
        start: range_start(&args[first])?,
        end: range_end(&args[first + 1])?,
        count,
        consumer: args.get(first + 3),
    })
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub fn xpending(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(errors::SYNTAX.into());
    }
    let range = if argc >= 6 {
        Some(parse_pending_range(args)?)
    } else {
        None
    };
    let now = srv.cmd_time_ms;
    let (key, name) = (&args[1], &args[2]);
    let group = stream_read(srv, c.db, key)?
        .and_then(|s| s.group(name))
        .ok_or_else(|| no_such_key_or_group(key, name))?;
    match range {
        None => reply_pending_summary(c, group),
        Some(range) => reply_pending_range(c, group, &range, now),
    }
    Ok(())
}

/// `[count, first-id, last-id, [[consumer, count], ...]]`.
fn reply_pending_summary(c: &mut Client, group: &ConsumerGroup) {
    c.reply.array(4);
    c.reply.int(group.pel.len() as i64);
    let (Some((first, _)), Some((last, _))) =
        (group.pel.first_key_value(), group.pel.last_key_value())
    else {
        c.reply.null();
        c.reply.null();
        c.reply.null_array();
        return;
    };
    reply_id(c, *first);
    reply_id(c, *last);
    let owners: Vec<_> = group
        .consumers()
        .filter(|cons| !cons.pel.is_empty())
        .collect();
    c.reply.array(owners.len());
    for cons in owners {
        c.reply.array(2);
        c.reply.bulk(&cons.name);
        c.reply.bulk_i64(cons.pel.len() as i64);
    }
}

/// `[[id, consumer, idle-ms, deliveries], ...]` for the pending entries in
/// range (of one consumer if named), idle enough.
fn reply_pending_range(c: &mut Client, group: &ConsumerGroup, range: &PendingRange, now: i64) {
    let ids: Box<dyn Iterator<Item = StreamId>> = match range.consumer {
        Some(name) => match group.find_consumer(name).and_then(|id| group.consumer(id)) {
            Some(cons) => Box::new(cons.pel.range(range.start..).copied()),
            None => {
                c.reply.empty_array();
                return;
            }
        },
        None => Box::new(group.pel.range(range.start..).map(|(id, _)| *id)),
    };
    let header = c.reply.defer();
    let mut n = 0;
    for id in ids.take_while(|&id| id <= range.end) {
        if n == range.count {
            break;
        }
        let Some(p) = group.pel.get(&id) else {
            continue;
        };
        let idle = now.saturating_sub(p.delivery_time);
        if range.min_idle != 0 && idle < range.min_idle {
            continue;
        }
        n += 1;
        c.reply.array(4);
        reply_id(c, id);
        c.reply.bulk(group.consumer_name(p.consumer));
        c.reply.int(idle.max(0));
        c.reply.int(p.delivery_count as i64);
    }
    c.reply
        .fill(header, crate::resp::reply::Aggregate::Array, n);
}

pub const XGROUP_SUBCOMMANDS: &[Command] = &[
    Command::new("create", -5, xgroup_create)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 2, 0, 1)])
        .doc("stream", "5.0.0", "O(1)", "Creates a consumer group."),
    Command::new("delconsumer", 5, xgroup_delconsumer)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 2, 0, 1)])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Deletes a consumer and its pending entries.",
        ),
    Command::new("createconsumer", 5, xgroup_createconsumer)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 2, 0, 1)])
        .doc("stream", "6.2.0", "O(1)", "Creates a consumer in a group."),
    Command::new("setid", -5, xgroup_setid)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 2, 0, 1)])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Sets a group's last delivered ID and read counter.",
        ),
    Command::new("help", 2, xgroup_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::STREAM | acl::SLOW)
        .doc("stream", "5.0.0", "O(1)", "Shows the XGROUP subcommands."),
    Command::new("destroy", 4, xgroup_destroy)
        .flags(flag::WRITE)
        .acl(acl::WRITE | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::DELETE, 2, 0, 1)])
        .doc(
            "stream",
            "5.0.0",
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
            "Deletes a consumer group.",
        ),
];
