//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP.
//! The per-item replies are maps (RESP3) or flat arrays (RESP2).

use super::groups::no_such_group;
use super::{
    reply_entry, reply_id, reply_range, stream_read, CmdError, CmdResult, Stream, StreamId,
};
use crate::commands::{int_arg, is_opt, reply_help};
use crate::server::client::Client;
use crate::server::errors;
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::Server;
use crate::types::stream::{ConsumerGroup, ENTRIES_READ_INVALID};

/// Entries, pending entries and consumer PEL entries XINFO STREAM FULL
/// shows when no COUNT is given.
const FULL_DEFAULT_COUNT: usize = 10;

/// The stream of an XINFO subcommand (it must exist).
fn info_stream<'a>(srv: &'a mut Server, c: &Client, key: &[u8]) -> Result<&'a Stream, CmdError> {
    stream_read(srv, c.db, key)?.ok_or(CmdError::Static(errors::NO_SUCH_KEY))
}

fn field(c: &mut Client, name: &str) {
    c.reply.bulk_str(name);
}

/// An entries-read counter or lag: a number, or null when unknown.
fn reply_opt_int(c: &mut Client, v: Option<i64>) {
    match v {
        Some(v) => c.reply.int(v),
        None => c.reply.null(),
    }
}

fn entries_read(g: &ConsumerGroup) -> Option<i64> {
    (g.entries_read != ENTRIES_READ_INVALID).then_some(g.entries_read)
}

/// XINFO STREAM key [FULL [COUNT count]]
fn xinfo_stream(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let options = args.tail(3);
    let stream = info_stream(srv, c, &args[2])?;
    let count = match options.len() {
        0 => None,
        1 | 3 if is_opt(&options[0], "full") => {
            if options.len() == 1 {
                Some(FULL_DEFAULT_COUNT)
            } else if is_opt(&options[1], "count") {
                let n = int_arg(&options[2])?;
                Some(usize::try_from(n).unwrap_or(FULL_DEFAULT_COUNT))
            } else {
                return Err(errors::subcommand_syntax(&args[0], &args[1]));
            }
        }
        _ => return Err(errors::subcommand_syntax(&args[0], &args[1])),
    };
    let e = &stream.entries;
    c.reply.map(if count.is_some() { 9 } else { 10 });
    field(c, "length");
    c.reply.int(e.len() as i64);
    field(c, "radix-tree-keys");
    c.reply.int(e.node_count() as i64);
    field(c, "radix-tree-nodes");
    c.reply.int(e.radix_tree_nodes() as i64);
    field(c, "last-generated-id");
    reply_id(c, e.last_id);
    field(c, "max-deleted-entry-id");
    reply_id(c, e.max_deleted_id);
    field(c, "entries-added");
    c.reply.int(e.entries_added as i64);
    field(c, "recorded-first-entry-id");
    reply_id(c, e.first_id);
    match count {
        None => reply_stream_summary(c, stream),
        Some(count) => reply_stream_full(c, stream, count),
    }
    Ok(())
}

/// The end of plain XINFO STREAM: group count, first and last entries.
fn reply_stream_summary(c: &mut Client, stream: &Stream) {
    field(c, "groups");
    c.reply.int(stream.groups.len() as i64);
    for (name, rev) in [("first-entry", false), ("last-entry", true)] {
        field(c, name);
        match stream
            .entries
            .range(StreamId::MIN, StreamId::MAX, rev)
            .next()
        {
            Some(entry) => reply_entry(c, &entry),
            None => c.reply.null(),
        }
    }
}

/// The end of XINFO STREAM FULL: entries and every group in detail, each
/// list cut at `count` items (0: no limit).
fn reply_stream_full(c: &mut Client, stream: &Stream, count: usize) {
    field(c, "entries");
    reply_range(
        c,
        &stream.entries,
        StreamId::MIN,
        StreamId::MAX,
        count,
        false,
    );
    field(c, "groups");
    c.reply.array(stream.groups.len());
    let limit = if count == 0 { usize::MAX } else { count };
    for (name, g) in &stream.groups {
        c.reply.map(7);
        field(c, "name");
        c.reply.bulk(name);
        field(c, "last-delivered-id");
        reply_id(c, g.last_id);
        field(c, "entries-read");
        reply_opt_int(c, entries_read(g));
        field(c, "lag");
        reply_opt_int(c, stream.lag(g));
        field(c, "pel-count");
        c.reply.int(g.pel.len() as i64);
        field(c, "pending");
        let shown = g.pel.len().min(limit);
        c.reply.array(shown);
        for (id, p) in g.pel.iter().take(shown) {
            c.reply.array(4);
            reply_id(c, *id);
            c.reply.bulk(g.consumer_name(p.consumer));
            c.reply.int(p.delivery_time);
            c.reply.int(p.delivery_count as i64);
        }
        field(c, "consumers");
        c.reply.array(g.consumer_count());
        for consumer in g.consumers() {
            c.reply.map(4);
            field(c, "name");
            c.reply.bulk(&consumer.name);
            field(c, "seen-time");
            c.reply.int(consumer.seen_time);
            field(c, "pel-count");
            c.reply.int(consumer.pel.len() as i64);
            field(c, "pending");
            let shown = consumer.pel.len().min(limit);
            c.reply.array(shown);
            for id in consumer.pel.iter().take(shown) {
                let (time, deliveries) = g
                    .pel
                    .get(id)
                    .map_or((0, 0), |p| (p.delivery_time, p.delivery_count));
                c.reply.array(3);
                reply_id(c, *id);
                c.reply.int(time);
                c.reply.int(deliveries as i64);
            }
        }
    }
}

/// XINFO GROUPS key
fn xinfo_groups(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let stream = info_stream(srv, c, &args[2])?;
    c.reply.array(stream.groups.len());
    for (name, g) in &stream.groups {
        c.reply.map(6);
        field(c, "name");
        c.reply.bulk(name);
        field(c, "consumers");
        c.reply.int(g.consumer_count() as i64);
        field(c, "pending");
        c.reply.int(g.pel.len() as i64);
        field(c, "last-delivered-id");
        reply_id(c, g.last_id);
        field(c, "entries-read");
        reply_opt_int(c, entries_read(g));
        field(c, "lag");
        reply_opt_int(c, stream.lag(g));
    }
    Ok(())
}

/// XINFO CONSUMERS key group
fn xinfo_consumers(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let now = srv.cmd_time_ms;
    let (key, name) = (&args[2], &args[3]);
    let stream = info_stream(srv, c, key)?;
    let g = stream.group(name).ok_or_else(|| no_such_group(key, name))?;
    c.reply.array(g.consumer_count());
    for consumer in g.consumers() {
        c.reply.map(3);
        field(c, "name");
        c.reply.bulk(&consumer.name);
        field(c, "pending");
        c.reply.int(consumer.pel.len() as i64);
        field(c, "idle");
        c.reply.int(now.saturating_sub(consumer.seen_time).max(0));
    }
    Ok(())
}

fn xinfo_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        &args[0],
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}

pub const XINFO_SUBCOMMANDS: &[Command] = &[
    Command::new("stream", -3, xinfo_stream)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 2, 0, 1)])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Shows information about a stream.",
        ),
    Command::new("help", 2, xinfo_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::STREAM | acl::SLOW)
        .doc("stream", "5.0.0", "O(1)", "Shows the XINFO subcommands."),
    Command::new("groups", 3, xinfo_groups)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 2, 0, 1)])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Lists the consumer groups of a stream.",
        ),
    Command::new("consumers", 4, xinfo_consumers)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::STREAM | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 2, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc(
            "stream",
            "5.0.0",
            "O(1)",
            "Lists the consumers of a consumer group.",
        ),
];
