//! Pub/sub over real sockets, RESP2 and RESP3: subscription replies and
//! messages, patterns, shard channels, the subscribed context, PUBSUB's
//! introspection, CLIENT LIST and INFO, CLIENT REPLY OFF, disconnects,
//! propagation to a replica's subscribers and the pubsub output limit.
//! Each test also passes against real Redis (`REDDISH_TEST_SERVER`).

mod common;

use common::{
    bulks, client_field, client_info, empty_array, err, info, info_int, int, items, link_up, nil,
    ok, pong, sorted, wait_for, Frame, Raw, TestServer,
};
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(10);

/// A RESP2 `[word, name, count]` subscription reply.
fn sub_reply(word: &str, name: &str, count: i64) -> Frame {
    Frame::Array(Some(vec![Frame::bulk(word), Frame::bulk(name), int(count)]))
}

/// The RESP3 form of a push: `>` with the same items.
fn push(items: Vec<Frame>) -> Frame {
    Frame::Typed(b'>', items)
}

fn message(channel: &str, payload: &str) -> Frame {
    bulks(&["message", channel, payload])
}

fn subscribe(raw: &mut Raw, command: &str, names: &[&str]) -> Vec<Frame> {
    let args = [&[command][..], names].concat();
    raw.send_cmd(&args);
    names.iter().map(|_| raw.read()).collect()
}

fn hello3(raw: &mut Raw) {
    assert!(matches!(raw.cmd(&["HELLO", "3"]), Frame::Typed(b'%', _)));
}

#[test]
fn subscribers_get_messages_and_publish_counts_them() {
    let srv = TestServer::start();
    let mut first = srv.raw();
    let mut second = srv.raw();
    let mut publisher = srv.raw();
    assert_eq!(
        subscribe(&mut first, "SUBSCRIBE", &["news", "sport", "news"]),
        vec![
            sub_reply("subscribe", "news", 1),
            sub_reply("subscribe", "sport", 2),
            sub_reply("subscribe", "news", 2),
        ]
    );
    assert_eq!(
        subscribe(&mut second, "SUBSCRIBE", &["news"]),
        vec![sub_reply("subscribe", "news", 1)]
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "hello"]), int(2));
    assert_eq!(first.read(), message("news", "hello"));
    assert_eq!(second.read(), message("news", "hello"));
    assert_eq!(publisher.cmd(&["PUBLISH", "sport", "goal"]), int(1));
    assert_eq!(first.read(), message("sport", "goal"));
    assert_eq!(publisher.cmd(&["PUBLISH", "weather", "rain"]), int(0));
    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "news", "sport", "weather"]),
        Frame::Array(Some(vec![
            Frame::bulk("news"),
            int(2),
            Frame::bulk("sport"),
            int(1),
            Frame::bulk("weather"),
            int(0),
        ]))
    );
    assert_eq!(publisher.cmd(&["PUBSUB", "NUMSUB"]), empty_array());
    assert_eq!(
        sorted(publisher.cmd(&["PUBSUB", "CHANNELS"])),
        vec!["news", "sport"]
    );
    assert_eq!(
        publisher.cmd(&["PUBSUB", "CHANNELS", "s*"]),
        bulks(&["sport"])
    );
    assert_eq!(
        first.cmd(&["UNSUBSCRIBE", "news", "nothing"]),
        sub_reply("unsubscribe", "news", 1)
    );
    assert_eq!(first.read(), sub_reply("unsubscribe", "nothing", 1));
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "again"]), int(1));
    assert_eq!(second.read(), message("news", "again"));
}

#[test]
fn patterns_get_pmessages_after_channel_subscribers() {
    let srv = TestServer::start();
    let mut listener = srv.raw();
    let mut publisher = srv.raw();
    assert_eq!(
        subscribe(&mut listener, "PSUBSCRIBE", &["news.*", "*.uk"]),
        vec![
            sub_reply("psubscribe", "news.*", 1),
            sub_reply("psubscribe", "*.uk", 2),
        ]
    );
    assert_eq!(
        subscribe(&mut listener, "SUBSCRIBE", &["news.uk"]),
        vec![sub_reply("subscribe", "news.uk", 3)]
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "news.uk", "m"]), int(3));
    assert_eq!(listener.read(), message("news.uk", "m"));
    let mut patterns: Vec<Frame> = (0..2).map(|_| listener.read()).collect();
    patterns.sort_by_key(|f| items(f.clone())[1].as_text());
    assert_eq!(
        patterns,
        vec![
            bulks(&["pmessage", "*.uk", "news.uk", "m"]),
            bulks(&["pmessage", "news.*", "news.uk", "m"]),
        ]
    );
    assert_eq!(publisher.cmd(&["PUBSUB", "NUMPAT"]), int(2));
    assert_eq!(
        listener.cmd(&["PUNSUBSCRIBE", "news.*"]),
        sub_reply("punsubscribe", "news.*", 2)
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "news.fr", "m"]), int(0));
    assert_eq!(publisher.cmd(&["PUBSUB", "NUMPAT"]), int(1));
}

#[test]
fn unsubscribing_from_nothing_still_replies() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    let nothing = |word: &str| Frame::Array(Some(vec![Frame::bulk(word), nil(), int(0)]));
    assert_eq!(raw.cmd(&["UNSUBSCRIBE"]), nothing("unsubscribe"));
    assert_eq!(raw.cmd(&["PUNSUBSCRIBE"]), nothing("punsubscribe"));
    assert_eq!(raw.cmd(&["SUNSUBSCRIBE"]), nothing("sunsubscribe"));
    assert_eq!(raw.cmd(&["SET", "k", "v"]), ok(), "not in pub/sub mode");
    subscribe(&mut raw, "SUBSCRIBE", &["a", "b"]);
    raw.send_cmd(&["UNSUBSCRIBE"]);
    let mut names: Vec<String> = (0..2)
        .map(|_| items(raw.read())[1].as_text())
        .collect::<Vec<_>>();
    names.sort();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(
        raw.cmd(&["GET", "k"]),
        Frame::bulk("v"),
        "left pub/sub mode"
    );
}

#[test]
fn a_resp2_subscriber_may_only_subscribe_ping_quit_and_reset() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    subscribe(&mut raw, "SUBSCRIBE", &["ch"]);
    assert_eq!(
        raw.cmd(&["GET", "k"]),
        err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "ID"]),
        err("ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(raw.cmd(&["PING"]), bulks(&["pong", ""]));
    assert_eq!(raw.cmd(&["PING", "hi"]), bulks(&["pong", "hi"]));
    assert_eq!(
        subscribe(&mut raw, "PSUBSCRIBE", &["p*"]),
        vec![sub_reply("psubscribe", "p*", 2)]
    );
    assert_eq!(raw.cmd(&["RESET"]), Frame::Simple("RESET".into()));
    assert_eq!(raw.cmd(&["PING"]), pong());
    let mut other = srv.raw();
    assert_eq!(other.cmd(&["PUBLISH", "ch", "x"]), int(0));
    assert_eq!(other.cmd(&["PUBSUB", "NUMPAT"]), int(0));
    subscribe(&mut raw, "SUBSCRIBE", &["ch"]);
    assert_eq!(raw.cmd(&["QUIT"]), ok());
    assert!(raw.is_closed());
}

#[test]
fn a_resp3_subscriber_gets_pushes_and_runs_any_command() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    hello3(&mut raw);
    raw.send_cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(
        raw.read(),
        push(vec![Frame::bulk("subscribe"), Frame::bulk("ch"), int(1)])
    );
    assert_eq!(raw.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(raw.cmd(&["PING"]), pong());
    // Publishing to itself: the message comes ahead of PUBLISH's reply.
    assert_eq!(
        raw.cmd(&["PUBLISH", "ch", "self"]),
        push(vec![
            Frame::bulk("message"),
            Frame::bulk("ch"),
            Frame::bulk("self")
        ])
    );
    assert_eq!(raw.read(), int(1));
    let mut publisher = srv.raw();
    assert_eq!(publisher.cmd(&["PUBLISH", "ch", "other"]), int(1));
    assert_eq!(
        raw.read(),
        push(vec![
            Frame::bulk("message"),
            Frame::bulk("ch"),
            Frame::bulk("other")
        ])
    );
    assert_eq!(
        raw.cmd(&["UNSUBSCRIBE"]),
        push(vec![Frame::bulk("unsubscribe"), Frame::bulk("ch"), int(0)])
    );
}

#[test]
fn client_reply_off_keeps_pub_sub_pushes() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    hello3(&mut raw);
    raw.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    raw.send_cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(
        raw.read(),
        push(vec![Frame::bulk("subscribe"), Frame::bulk("ch"), int(1)])
    );
    raw.send_cmd(&["PUBLISH", "ch", "quiet"]);
    assert_eq!(
        raw.read(),
        push(vec![
            Frame::bulk("message"),
            Frame::bulk("ch"),
            Frame::bulk("quiet")
        ])
    );
    raw.send_cmd(&["SET", "k", "v"]);
    raw.send_cmd(&["UNSUBSCRIBE", "ch"]);
    assert_eq!(
        raw.read(),
        push(vec![Frame::bulk("unsubscribe"), Frame::bulk("ch"), int(0)]),
        "the silenced replies (PUBLISH's count, SET's OK) were sent"
    );
    assert_eq!(raw.cmd(&["CLIENT", "REPLY", "ON"]), ok());
}

#[test]
fn shard_channels_are_a_namespace_of_their_own() {
    let srv = TestServer::start();
    let mut listener = srv.raw();
    let mut publisher = srv.raw();
    assert_eq!(
        subscribe(&mut listener, "SSUBSCRIBE", &["s1", "s2"]),
        vec![
            sub_reply("ssubscribe", "s1", 1),
            sub_reply("ssubscribe", "s2", 2),
        ]
    );
    assert_eq!(
        subscribe(&mut listener, "PSUBSCRIBE", &["*"]),
        vec![sub_reply("psubscribe", "*", 1)],
        "global count apart from shard channels"
    );
    assert_eq!(publisher.cmd(&["SPUBLISH", "s1", "m"]), int(1));
    assert_eq!(listener.read(), bulks(&["smessage", "s1", "m"]));
    assert_eq!(
        publisher.cmd(&["PUBLISH", "s1", "g"]),
        int(1),
        "only the pattern"
    );
    assert_eq!(listener.read(), bulks(&["pmessage", "*", "s1", "g"]));
    assert_eq!(
        publisher.cmd(&["PUBSUB", "SHARDNUMSUB", "s1", "x"]),
        Frame::Array(Some(vec![
            Frame::bulk("s1"),
            int(1),
            Frame::bulk("x"),
            int(0)
        ]))
    );
    assert_eq!(
        sorted(publisher.cmd(&["PUBSUB", "SHARDCHANNELS"])),
        vec!["s1", "s2"]
    );
    assert_eq!(publisher.cmd(&["PUBSUB", "CHANNELS"]), empty_array());
    assert_eq!(
        listener.cmd(&["SUNSUBSCRIBE", "s2"]),
        sub_reply("sunsubscribe", "s2", 1)
    );
    assert_eq!(
        publisher.cmd(&["PUBSUB", "SHARDCHANNELS", "*2"]),
        empty_array()
    );
}

#[test]
fn ssubscribe_is_refused_inside_a_transaction_subscribe_is_not() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    assert_eq!(raw.cmd(&["MULTI"]), ok());
    assert_eq!(
        raw.cmd(&["SSUBSCRIBE", "s"]),
        Frame::Simple("QUEUED".into())
    );
    assert_eq!(raw.cmd(&["SUBSCRIBE", "c"]), Frame::Simple("QUEUED".into()));
    assert_eq!(
        raw.cmd(&["EXEC"]),
        Frame::Array(Some(vec![
            err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"),
            sub_reply("subscribe", "c", 1),
        ]))
    );
    assert_eq!(raw.cmd(&["PING"]), bulks(&["pong", ""]), "in pub/sub mode");
}

#[test]
fn pubsub_introspection_errors_and_help() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    assert_eq!(
        raw.cmd(&["PUBSUB", "CHANNELS", "a", "b"]),
        err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );
    assert_eq!(
        raw.cmd(&["PUBSUB", "NUMPAT", "x"]),
        err("ERR wrong number of arguments for 'pubsub|numpat' command")
    );
    assert_eq!(
        raw.cmd(&["PUBSUB", "NOPE"]),
        err("ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.")
    );
    assert_eq!(
        raw.cmd(&["SUBSCRIBE"]),
        err("ERR wrong number of arguments for 'subscribe' command")
    );
    assert_eq!(
        raw.cmd(&["PUBLISH", "ch"]),
        err("ERR wrong number of arguments for 'publish' command")
    );
    let help = items(raw.cmd(&["PUBSUB", "HELP"]));
    assert_eq!(help.len(), 14);
    assert!(help[0].as_text().starts_with("PUBSUB <subcommand>"));
}

#[test]
fn client_list_and_info_count_subscriptions() {
    let srv = TestServer::start();
    let mut listener = srv.raw();
    let mut control = srv.raw();
    subscribe(&mut listener, "SUBSCRIBE", &["a", "b"]);
    subscribe(&mut listener, "PSUBSCRIBE", &["p*"]);
    subscribe(&mut listener, "SSUBSCRIBE", &["s"]);
    let list = control.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]).as_text();
    let line = list.lines().next().unwrap_or_default().to_string();
    assert_eq!(client_field(&line, "flags"), "P");
    assert_eq!(client_field(&line, "sub"), "2");
    assert_eq!(client_field(&line, "psub"), "1");
    assert_eq!(client_field(&line, "ssub"), "1");
    assert_eq!(client_field(&line, "cmd"), "ssubscribe");
    assert_eq!(client_field(&client_info(&mut control), "sub"), "0");
    let stats = info(&mut control, &["stats"]);
    assert_eq!(info_int(&stats, "pubsub_channels"), 2);
    assert_eq!(info_int(&stats, "pubsub_patterns"), 1);
    assert_eq!(info_int(&stats, "pubsubshard_channels"), 1);
    assert_eq!(control.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), int(1));
    assert!(listener.is_closed());
    assert!(wait_for(PATIENCE, || {
        info_int(&info(&mut control, &["stats"]), "pubsub_channels") == 0
    }));
    assert_eq!(control.cmd(&["PUBSUB", "NUMPAT"]), int(0));
    assert_eq!(control.cmd(&["PUBSUB", "SHARDCHANNELS"]), empty_array());
}

#[test]
fn a_closed_subscriber_is_forgotten() {
    let srv = TestServer::start();
    let mut publisher = srv.raw();
    {
        let mut listener = srv.raw();
        subscribe(&mut listener, "SUBSCRIBE", &["ch"]);
        subscribe(&mut listener, "PSUBSCRIBE", &["c*"]);
    }
    assert!(wait_for(PATIENCE, || publisher
        .cmd(&["PUBLISH", "ch", "x"])
        == int(0)));
    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "ch"]),
        Frame::Array(Some(vec![Frame::bulk("ch"), int(0)]))
    );
}

#[test]
fn one_publish_reaches_fifty_subscribers() {
    let srv = TestServer::start();
    let mut listeners: Vec<Raw> = (0..50).map(|_| srv.raw()).collect();
    for (i, listener) in listeners.iter_mut().enumerate() {
        let count = if i % 2 == 0 {
            subscribe(listener, "SUBSCRIBE", &["fan"])
        } else {
            subscribe(listener, "PSUBSCRIBE", &["f*"])
        };
        assert_eq!(count.len(), 1);
    }
    let mut publisher = srv.raw();
    assert_eq!(publisher.cmd(&["PUBLISH", "fan", "out"]), int(50));
    for (i, listener) in listeners.iter_mut().enumerate() {
        let expected = if i % 2 == 0 {
            message("fan", "out")
        } else {
            bulks(&["pmessage", "f*", "fan", "out"])
        };
        assert_eq!(listener.read(), expected);
    }
}

#[test]
fn publish_reaches_the_subscribers_of_a_replica() {
    let primary = TestServer::start();
    let replica = TestServer::start_with(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut on_replica = replica.raw();
    assert!(wait_for(PATIENCE, || link_up(&mut on_replica)));
    let mut listener = replica.raw();
    subscribe(&mut listener, "SUBSCRIBE", &["ch"]);
    let mut publisher = primary.raw();
    assert_eq!(publisher.cmd(&["PUBLISH", "ch", "from-primary"]), int(0));
    assert_eq!(listener.read(), message("ch", "from-primary"));
    // PUBLISH is allowed on a read-only replica.
    assert_eq!(on_replica.cmd(&["PUBLISH", "ch", "local"]), int(1));
    assert_eq!(listener.read(), message("ch", "local"));
}

#[test]
fn a_subscriber_that_never_reads_is_cut_off_at_the_pubsub_limit() {
    let srv = TestServer::start_with(&[
        "--client-output-buffer-limit",
        "pubsub 1mb 0 0",
        "--logfile",
        "server.log",
    ]);
    let mut control = srv.raw();
    let mut never_reads = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
    never_reads
        .write_all(&common::encode(&["SUBSCRIBE", "firehose"]))
        .expect("subscribe");
    assert!(wait_for(PATIENCE, || control
        .cmd(&["PUBSUB", "NUMSUB", "firehose"])
        == Frame::Array(Some(vec![Frame::bulk("firehose"), int(1)]))));
    let payload = "p".repeat(64 * 1024);
    let mut delivered_to_nobody = false;
    for _ in 0..400 {
        if control.cmd(&["PUBLISH", "firehose", &payload]) == int(0) {
            delivered_to_nobody = true;
            break;
        }
    }
    assert!(delivered_to_nobody, "the subscriber was never disconnected");
    let clients = info(&mut control, &["clients"]);
    assert_eq!(info_int(&clients, "connected_clients"), 1);
    let log = std::fs::read_to_string(srv.path("server.log")).unwrap_or_default();
    assert!(
        log.contains("scheduled to be closed ASAP for overcoming of output buffer limits."),
        "{}",
        log
    );
}
