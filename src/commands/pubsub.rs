//! Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! PUBLISH, their shard forms SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH (one
//! shard, as Redis without cluster), and PUBSUB's introspection. The
//! subscriber tables and delivery are `server::pubsub`.

use super::reply_help;
use crate::db::glob::glob_match;
use crate::server::client::Client;
use crate::server::errors::{self, CmdResult};
use crate::server::pubsub::{ChannelKind, Subscribers, Target};
use crate::server::spec::{acl, channel, flag, ks, Args, Command, KeySpec};
use crate::server::Server;

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

/// The names a (un)subscribe command was given.
fn names<'a>(args: &'a Args) -> Vec<&'a [u8]> {
    (1..args.len()).map(|i| &args[i]).collect()
}

fn subscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    srv.subscribe(c, Target::Channel(ChannelKind::Global), &names(args));
    Ok(())
}

fn psubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    srv.subscribe(c, Target::Pattern, &names(args));
    Ok(())
}

/// SSUBSCRIBE, which Redis refuses inside EXEC (a client that expects one
/// reply per command), unlike SUBSCRIBE and PSUBSCRIBE.
fn ssubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if c.in_exec {
        return Err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client".into());
    }
    srv.subscribe(c, Target::Channel(ChannelKind::Shard), &names(args));
    Ok(())
}

fn unsubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    srv.unsubscribe(c, Target::Channel(ChannelKind::Global), &names(args));
    Ok(())
}

fn punsubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    srv.unsubscribe(c, Target::Pattern, &names(args));
    Ok(())
}

fn sunsubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    srv.unsubscribe(c, Target::Channel(ChannelKind::Shard), &names(args));
    Ok(())
}

/// PUBLISH and SPUBLISH: replies with the number of deliveries; always
/// propagated, so subscribers on replicas get the message too.
fn publish_to(srv: &mut Server, c: &mut Client, args: &Args, kind: ChannelKind) -> CmdResult {
    let receivers = srv.publish(kind, &args[1], &args[2]);
    srv.force_propagation();
    c.reply.int(receivers as i64);
    Ok(())
}

fn publish(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    publish_to(srv, c, args, ChannelKind::Global)
}

fn spublish(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    publish_to(srv, c, args, ChannelKind::Shard)
}

/// PUBSUB CHANNELS and SHARDCHANNELS: active channels matching an optional
/// pattern.
fn list_channels(c: &mut Client, args: &Args, table: &Subscribers) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let pattern = args.get(2);
    let matching: Vec<&Vec<u8>> = table
        .keys()
        .filter(|channel| pattern.is_none_or(|p| glob_match(p, channel, false)))
        .collect();
    c.reply.array(matching.len());
    for channel in matching {
        c.reply.bulk(channel);
    }
    Ok(())
}

/// PUBSUB NUMSUB and SHARDNUMSUB: each channel asked for with its number
/// of subscribers.
fn count_subscribers(srv: &Server, c: &mut Client, args: &Args, kind: ChannelKind) {
    c.reply.array((args.len() - 2) * 2);
    for i in 2..args.len() {
        c.reply.bulk(&args[i]);
        c.reply.int(srv.pubsub.subscribers(kind, &args[i]) as i64);
    }
}

fn pubsub_channels(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    list_channels(c, args, &srv.pubsub.channels)
}

fn pubsub_shardchannels(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    list_channels(c, args, &srv.pubsub.shard_channels)
}

fn pubsub_numsub(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    count_subscribers(srv, c, args, ChannelKind::Global);
    Ok(())
}

fn pubsub_shardnumsub(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    count_subscribers(srv, c, args, ChannelKind::Shard);
    Ok(())
}

fn pubsub_numpat(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.pubsub.patterns.len() as i64);
    Ok(())
}

/// PUBSUB HELP (also the container's handler, which the dispatcher never
/// reaches: it resolves PUBSUB to one of its subcommands first).
fn pubsub_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, &args[0], PUBSUB_HELP);
    Ok(())
}

/// Flags of the commands a subscribed client uses.
const SUBSCRIBING: u64 =
    flag::PUBSUB | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::SUBSCRIBED_OK;
const INTROSPECTION: u64 = flag::PUBSUB | flag::LOADING | flag::STALE;
const SHARD_CHANNELS: &[KeySpec] = &[KeySpec::range(ks::NOT_KEY, 1, -1, 1)];

const PUBSUB_SUBCOMMANDS: &[Command] = &[
    Command::new("channels", -2, pubsub_channels)
        .flags(INTROSPECTION)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "2.8.0", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "Lists the channels that have subscribers."),
    Command::new("help", 2, pubsub_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc("pubsub", "6.2.0", "O(1)", "Describes the PUBSUB subcommands."),
    Command::new("numpat", 2, pubsub_numpat)
        .flags(INTROSPECTION)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "2.8.0", "O(1)", "Counts the distinct patterns clients subscribe to."),
    Command::new("numsub", -2, pubsub_numsub)
        .flags(INTROSPECTION)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "Counts the subscribers of channels."),
    Command::new("shardchannels", -2, pubsub_shardchannels)
        .flags(INTROSPECTION)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "Lists the shard channels that have subscribers."),
    Command::new("shardnumsub", -2, pubsub_shardnumsub)
        .flags(INTROSPECTION)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "Counts the subscribers of shard channels."),
];

pub const COMMANDS: &[Command] = &[
    Command::new("subscribe", -2, subscribe)
        .channels(channel::SUBSCRIBE, 1, -1)
        .flags(SUBSCRIBING | flag::SENTINEL)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of channels to subscribe to.", "Listens to the messages published to channels."),
    Command::new("unsubscribe", -1, unsubscribe)
        .channels(channel::UNSUBSCRIBE, 1, -1)
        .flags(SUBSCRIBING | flag::SENTINEL)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of clients already subscribed to a channel.", "Stops listening to channels."),
    Command::new("psubscribe", -2, psubscribe)
        .channels(channel::PATTERN | channel::SUBSCRIBE, 1, -1)
        .flags(SUBSCRIBING | flag::SENTINEL)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of patterns the client is already subscribed to.", "Listens to the messages published to channels matching patterns."),
    Command::new("punsubscribe", -1, punsubscribe)
        .channels(channel::PATTERN | channel::UNSUBSCRIBE, 1, -1)
        .flags(SUBSCRIBING | flag::SENTINEL)
        .acl(acl::PUBSUB | acl::SLOW)
        .doc("pubsub", "2.0.0", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "Stops listening to patterns."),
    Command::new("publish", 3, publish)
        .channels(channel::PUBLISH, 1, 1)
        .flags(flag::PUBSUB | flag::LOADING | flag::STALE | flag::FAST | flag::MAY_REPLICATE | flag::SENTINEL)
        .acl(acl::PUBSUB | acl::FAST)
        .doc("pubsub", "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "Sends a message to a channel's subscribers."),
    Command::new("ssubscribe", -2, ssubscribe)
        .channels(channel::SUBSCRIBE, 1, -1)
        .flags(SUBSCRIBING)
        .acl(acl::PUBSUB | acl::SLOW)
        .keys(SHARD_CHANNELS)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of shard channels to subscribe to.", "Listens to the messages published to shard channels."),
    Command::new("sunsubscribe", -1, sunsubscribe)
        .channels(channel::UNSUBSCRIBE, 1, -1)
        .flags(SUBSCRIBING)
        .acl(acl::PUBSUB | acl::SLOW)
        .keys(SHARD_CHANNELS)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of clients already subscribed to a shard channel.", "Stops listening to shard channels."),
    Command::new("spublish", 3, spublish)
        .channels(channel::PUBLISH, 1, 1)
        .flags(flag::PUBSUB | flag::LOADING | flag::STALE | flag::FAST | flag::MAY_REPLICATE)
        .acl(acl::PUBSUB | acl::FAST)
        .keys(&[KeySpec::range(ks::NOT_KEY, 1, 0, 1)])
        .doc("pubsub", "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "Sends a message to a shard channel's subscribers."),
    Command::new("pubsub", -2, pubsub_help)
        .acl(acl::SLOW)
        .doc("pubsub", "2.8.0", "Depends on subcommand.", "Inspects the state of pub/sub.")
        .subcommands(PUBSUB_SUBCOMMANDS),
];
