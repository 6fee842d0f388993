//! Client-side caching: CLIENT TRACKING (default, BCAST, OPTIN, OPTOUT,
//! NOLOOP, REDIRECT), CLIENT CACHING, GETREDIR and TRACKINGINFO, the
//! invalidations (RESP3 pushes, RESP2 messages on `__redis__:invalidate`
//! through a redirect), their order against replies, flushes, expiry,
//! the table's size limit, what INFO and CLIENT LIST show, and scripts
//! (checked only where EVAL exists). Every test also passes against real
//! Redis (`REDDISH_TEST_SERVER`).

mod common;

use common::{
    client_field, client_id, err, info, info_int, int, ok, pong, render, wait_for, Frame, Raw,
    TestServer,
};
use std::time::Duration;

/// A connection speaking RESP3.
fn resp3(server: &TestServer) -> Raw {
    let mut r = server.raw();
    assert!(matches!(r.cmd(&["HELLO", "3"]), Frame::Typed(b'%', _)));
    r
}

/// A RESP3 connection with `CLIENT TRACKING on options...`.
fn resp3_tracker(server: &TestServer, options: &[&str]) -> Raw {
    let mut r = resp3(server);
    let mut args = vec!["CLIENT", "TRACKING", "on"];
    args.extend_from_slice(options);
    assert_eq!(r.cmd(&args), ok());
    r
}

/// A RESP2 connection subscribed to `__redis__:invalidate`, with its id.
fn invalidation_listener(server: &TestServer) -> (Raw, i64) {
    let mut r = server.raw();
    let id = client_id(&mut r);
    let reply = r.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    assert_eq!(render(&reply), "[subscribe __redis__:invalidate :1]");
    (r, id)
}

/// A RESP2 client tracking with `CLIENT TRACKING on REDIRECT <id>
/// options...` to a new [`invalidation_listener`]: (listener, its id,
/// tracking client).
fn redirected_tracker(server: &TestServer, options: &[&str]) -> (Raw, String, Raw) {
    let (listener, id) = invalidation_listener(server);
    let id = id.to_string();
    let mut r = server.raw();
    let mut args = vec!["CLIENT", "TRACKING", "on", "REDIRECT", &id];
    args.extend_from_slice(options);
    assert_eq!(r.cmd(&args), ok());
    (listener, id, r)
}

/// The RESP3 push invalidating `keys`.
fn push(keys: &[&str]) -> String {
    format!(">[invalidate [{}]]", keys.join(" "))
}

/// The RESP2 message on `__redis__:invalidate` invalidating `keys`.
fn message(keys: &[&str]) -> String {
    format!("[message __redis__:invalidate [{}]]", keys.join(" "))
}

/// Reads the next reply, rendered.
fn next(r: &mut Raw) -> String {
    render(&r.read())
}

/// Proves nothing was pushed to a RESP3 (or unsubscribed RESP2) client:
/// the reply to a PING comes next.
fn nothing_pending(r: &mut Raw) {
    assert_eq!(r.cmd(&["PING"]), pong());
}

/// The same for a RESP2 client in pub/sub mode.
fn no_message_pending(r: &mut Raw) {
    assert_eq!(render(&r.cmd(&["PING"])), "[pong ]");
}

fn tracking_info(r: &mut Raw) -> String {
    render(&r.cmd(&["CLIENT", "TRACKINGINFO"]))
}

#[test]
fn tracking_options_are_checked_with_redis_errors() {
    let server = TestServer::start();
    let mut r = server.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["CLIENT", "TRACKING", "on", "PREFIX", "a"], "ERR PREFIX option requires BCAST mode to be enabled"),
        (&["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"], "ERR OPTIN and OPTOUT are not compatible with BCAST"),
        (&["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"], "ERR OPTIN and OPTOUT are not compatible with BCAST"),
        (&["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"], "ERR You can't specify both OPTIN mode and OPTOUT mode"),
        (&["CLIENT", "TRACKING", "on", "REDIRECT", "0"], "ERR The client ID you want redirect to does not exist"),
        (&["CLIENT", "TRACKING", "on", "REDIRECT", "-1"], "ERR The client ID you want redirect to does not exist"),
        (&["CLIENT", "TRACKING", "on", "REDIRECT", "x"], "ERR value is not an integer or out of range"),
        (&["CLIENT", "TRACKING", "maybe", "REDIRECT", "99999"], "ERR The client ID you want redirect to does not exist"),
        (&["CLIENT", "TRACKING", "maybe"], "ERR syntax error"),
        (&["CLIENT", "TRACKING", "on", "REDIRECT"], "ERR syntax error"),
        (&["CLIENT", "TRACKING", "on", "PREFIX"], "ERR syntax error"),
        (&["CLIENT", "TRACKING", "on", "FAST"], "ERR syntax error"),
        (&["CLIENT", "TRACKING"], "ERR wrong number of arguments for 'client|tracking' command"),
        (&["CLIENT", "CACHING", "yes"], "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"),
        (&["CLIENT", "CACHING"], "ERR wrong number of arguments for 'client|caching' command"),
        (&["CLIENT", "GETREDIR", "x"], "ERR wrong number of arguments for 'client|getredir' command"),
        (&["CLIENT", "TRACKINGINFO", "x"], "ERR wrong number of arguments for 'client|trackinginfo' command"),
    ];
    for (args, error) in cases {
        assert_eq!(r.cmd(args), err(error), "{args:?}");
    }
    let me = client_id(&mut r).to_string();
    let two_redirects = ["CLIENT", "TRACKING", "on", "REDIRECT", &me, "REDIRECT", &me];
    assert_eq!(
        r.cmd(&two_redirects),
        err("ERR A client can only redirect to a single other client")
    );
    // None of these turned tracking on.
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]), int(-1));

    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on"]), ok());
    assert_eq!(
        r.cmd(&["CLIENT", "CACHING", "yes"]),
        err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    );
    assert_eq!(
        r.cmd(&["CLIENT", "CACHING", "no"]),
        err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    );
    assert_eq!(
        r.cmd(&["CLIENT", "CACHING", "maybe"]),
        err("ERR syntax error")
    );
    let switch_bcast = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
    assert_eq!(
        r.cmd(&["CLIENT", "TRACKING", "on", "BCAST"]),
        err(switch_bcast)
    );
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]), ok());
    let switch_opt = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
    assert_eq!(
        r.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]),
        err(switch_opt)
    );
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "off"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]), ok());
    assert_eq!(
        r.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]),
        err(switch_opt)
    );
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "off"]), ok());
}

#[test]
fn bcast_prefixes_must_not_overlap() {
    let server = TestServer::start();
    let mut r = server.raw();
    let on = |prefixes: &[&str]| {
        let mut args = vec!["CLIENT", "TRACKING", "on", "BCAST"];
        for p in prefixes {
            args.extend(["PREFIX", *p]);
        }
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let mut send = |prefixes: &[&str]| {
        let args = on(prefixes);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        r.cmd(&args)
    };
    let tail = "Prefixes for a single client must not overlap.";
    assert_eq!(
        send(&["FOOBAR", "FOO"]),
        err(&format!(
            "ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. {tail}"
        ))
    );
    assert_eq!(
        send(&["FOO", "FOOBAR"]),
        err(&format!(
            "ERR Prefix 'FOO' overlaps with another provided prefix 'FOOBAR'. {tail}"
        ))
    );
    assert_eq!(send(&["FOO", "BAR"]), ok());
    assert_eq!(
        send(&["FO"]),
        err(&format!(
            "ERR Prefix 'FO' overlaps with an existing prefix 'FOO'. {tail}"
        ))
    );
    assert_eq!(
        send(&["BARB"]),
        err(&format!(
            "ERR Prefix 'BARB' overlaps with an existing prefix 'BAR'. {tail}"
        ))
    );
    assert_eq!(
        send(&["BAR"]),
        err(&format!(
            "ERR Prefix 'BAR' overlaps with an existing prefix 'BAR'. {tail}"
        ))
    );
    // Prefixes add up.
    assert_eq!(send(&["QUX"]), ok());
    assert_eq!(
        tracking_info(&mut r),
        "[flags [on bcast] redirect :0 prefixes [BAR FOO QUX]]"
    );
}

#[test]
fn resp3_client_is_told_once_when_a_key_it_read_changes() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &[]);
    let mut writer = server.raw();
    writer.cmd(&["MSET", "a", "1", "b", "1"]);
    assert_eq!(r.cmd(&["GET", "a"]), Frame::bulk("1"));
    writer.cmd(&["INCR", "b"]);
    nothing_pending(&mut r);
    writer.cmd(&["INCR", "a"]);
    assert_eq!(next(&mut r), push(&["a"]));
    // The entry went with the invalidation: the next change is not sent.
    writer.cmd(&["INCR", "a"]);
    nothing_pending(&mut r);
    // Every key of a multi-key read is remembered.
    r.cmd(&["MGET", "a", "b", "c"]);
    writer.cmd(&["DEL", "a", "b", "c"]);
    assert_eq!(next(&mut r), push(&["a"]));
    assert_eq!(next(&mut r), push(&["b"]));
    nothing_pending(&mut r);
}

#[test]
fn resp2_redirect_target_gets_messages_on_the_invalidate_channel() {
    let server = TestServer::start();
    let (mut listener, id, mut r) = redirected_tracker(&server, &[]);
    let mut writer = server.raw();
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]), int(id.parse().unwrap()));
    r.cmd(&["GET", "k"]);
    writer.cmd(&["SET", "k", "v"]);
    assert_eq!(next(&mut listener), message(&["k"]));
    // Its own write is sent too (after its reply), to the same place.
    r.cmd(&["GET", "k"]);
    assert_eq!(r.cmd(&["SET", "k", "w"]), ok());
    assert_eq!(next(&mut listener), message(&["k"]));
    no_message_pending(&mut listener);
    // A RESP2 target that is not in pub/sub mode gets nothing.
    let mut plain = server.raw();
    let plain_id = client_id(&mut plain).to_string();
    assert_eq!(
        r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &plain_id]),
        ok()
    );
    r.cmd(&["GET", "k"]);
    writer.cmd(&["SET", "k", "x"]);
    nothing_pending(&mut plain);
}

#[test]
fn resp3_redirect_target_gets_pushes() {
    let server = TestServer::start();
    let mut target = resp3(&server);
    let id = client_id(&mut target).to_string();
    let mut r = server.raw();
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id]), ok());
    r.cmd(&["GET", "k"]);
    server.raw().cmd(&["SET", "k", "v"]);
    assert_eq!(next(&mut target), push(&["k"]));
}

#[test]
fn own_writes_are_invalidated_after_the_reply() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &[]);
    r.cmd(&["HSET", "h", "f", "1"]);
    r.cmd(&["HGET", "h", "f"]);
    assert_eq!(r.cmd(&["HDEL", "h", "f"]), int(1));
    assert_eq!(next(&mut r), push(&["h"]));
    // In a transaction: after EXEC's reply, also for keys read inside it.
    r.cmd(&["MSET", "a", "1", "b", "2"]);
    r.cmd(&["GET", "a"]);
    assert_eq!(r.cmd(&["MULTI"]), ok());
    r.cmd(&["INCR", "a"]);
    r.cmd(&["GET", "b"]);
    assert_eq!(render(&r.cmd(&["EXEC"])), "[:2 2]");
    assert_eq!(next(&mut r), push(&["a"]));
    r.cmd(&["SET", "b", "3"]);
    assert_eq!(next(&mut r), push(&["b"]));
    nothing_pending(&mut r);
}

#[test]
fn noloop_leaves_out_the_clients_own_changes() {
    let server = TestServer::start();
    let (mut listener, _, mut r) = redirected_tracker(&server, &["NOLOOP"]);
    let mut other = server.raw();
    r.cmd(&["MGET", "other1", "mine", "other2"]);
    other.cmd(&["SET", "other1", "1"]);
    r.cmd(&["SET", "mine", "1"]);
    other.cmd(&["SET", "other2", "1"]);
    assert_eq!(next(&mut listener), message(&["other1"]));
    assert_eq!(next(&mut listener), message(&["other2"]));
    // The entry of its own write is gone anyway.
    other.cmd(&["SET", "mine", "2"]);
    no_message_pending(&mut listener);
}

#[test]
fn bcast_sends_each_prefix_its_changed_keys() {
    let server = TestServer::start();
    let bcast = ["BCAST", "PREFIX", "a:", "PREFIX", "b:"];
    let (mut listener, id, mut r) = redirected_tracker(&server, &bcast);
    assert_eq!(r.cmd(&["MULTI"]), ok());
    for key in ["b:2", "a:1", "b:1", "c:1", "a:2"] {
        r.cmd(&["INCR", key]);
    }
    r.cmd(&["EXEC"]);
    assert_eq!(next(&mut listener), message(&["a:1", "a:2"]));
    assert_eq!(next(&mut listener), message(&["b:1", "b:2"]));
    // Reads are not tracked in BCAST mode; every change under a prefix is sent.
    server.raw().cmd(&["SET", "a:1", "x"]);
    assert_eq!(next(&mut listener), message(&["a:1"]));
    no_message_pending(&mut listener);
    assert_eq!(
        render(&r.cmd(&["CLIENT", "TRACKINGINFO"])),
        format!("[flags [on bcast] redirect :{id} prefixes [a: b:]]")
    );
}

#[test]
fn bcast_noloop_leaves_out_its_own_changes_but_not_expiries() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &["BCAST", "NOLOOP"]);
    let mut other = server.raw();
    other.cmd(&["SET", "o1", "1"]);
    assert_eq!(next(&mut r), push(&["o1"]));
    r.cmd(&["SET", "mine", "1"]);
    other.cmd(&["SET", "o2", "1"]);
    assert_eq!(next(&mut r), push(&["o2"]));
    // A key it set expires: the expiry is no one's change.
    r.cmd(&["SET", "short", "v", "PX", "1"]);
    assert_eq!(next(&mut r), push(&["short"]));
}

#[test]
fn optin_and_optout_follow_client_caching() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &["OPTIN"]);
    let mut writer = server.raw();
    r.cmd(&["GET", "k1"]);
    writer.cmd(&["SET", "k1", "1"]);
    nothing_pending(&mut r);
    assert_eq!(r.cmd(&["CLIENT", "CACHING", "yes"]), ok());
    assert_eq!(
        tracking_info(&mut r),
        "%[flags ~[on optin caching-yes] redirect :0 prefixes []]"
    );
    r.cmd(&["GET", "k1"]);
    // Used up by that command.
    assert_eq!(
        tracking_info(&mut r),
        "%[flags ~[on optin] redirect :0 prefixes []]"
    );
    r.cmd(&["GET", "k2"]);
    writer.cmd(&["MSET", "k1", "2", "k2", "2"]);
    assert_eq!(next(&mut r), push(&["k1"]));
    nothing_pending(&mut r);
    // Given before MULTI, it covers the whole transaction.
    assert_eq!(r.cmd(&["CLIENT", "CACHING", "yes"]), ok());
    r.cmd(&["MULTI"]);
    r.cmd(&["GET", "k1"]);
    r.cmd(&["GET", "k2"]);
    r.cmd(&["EXEC"]);
    writer.cmd(&["MSET", "k1", "3", "k2", "3"]);
    assert_eq!(next(&mut r), push(&["k1"]));
    assert_eq!(next(&mut r), push(&["k2"]));

    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "off"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "CACHING", "no"]), ok());
    r.cmd(&["GET", "k1"]);
    r.cmd(&["GET", "k2"]);
    writer.cmd(&["MSET", "k1", "4", "k2", "4"]);
    assert_eq!(next(&mut r), push(&["k2"]));
    nothing_pending(&mut r);
}

#[test]
fn flushes_invalidate_everything_with_a_null() {
    let server = TestServer::start();
    let (mut listener, _, mut redirected) = redirected_tracker(&server, &[]);
    let mut r = resp3_tracker(&server, &[]);
    redirected.cmd(&["GET", "k"]);
    r.cmd(&["GET", "k"]);
    r.cmd(&["GET", "j"]);
    let mut admin = server.raw();
    assert_eq!(
        info_int(&info(&mut admin, &["stats"]), "tracking_total_keys"),
        2
    );
    assert_eq!(admin.cmd(&["FLUSHALL"]), ok());
    assert_eq!(
        info_int(&info(&mut admin, &["stats"]), "tracking_total_keys"),
        0
    );
    assert_eq!(next(&mut listener), "[message __redis__:invalidate (nil)]");
    assert_eq!(next(&mut r), ">[invalidate _]");
    // Sent to every tracking client, whatever it read; the flushing
    // client hears after its reply.
    assert_eq!(r.cmd(&["FLUSHDB"]), ok());
    assert_eq!(next(&mut r), ">[invalidate _]");
    assert_eq!(next(&mut listener), "[message __redis__:invalidate (nil)]");
    nothing_pending(&mut r);
}

#[test]
fn a_gone_redirect_target_is_reported() {
    let server = TestServer::start();
    let mut target = server.raw();
    let id = client_id(&mut target).to_string();
    let mut r = resp3(&server);
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id]), ok());
    r.cmd(&["GET", "k"]);
    assert_eq!(target.cmd(&["QUIT"]), ok());
    let mut writer = server.raw();
    let gone = wait_for(Duration::from_secs(5), || {
        !bulk_list(&mut writer).contains(&format!("id={id} "))
    });
    assert!(gone);
    writer.cmd(&["SET", "k", "v"]);
    assert_eq!(next(&mut r), format!(">[tracking-redir-broken :{id}]"));
    assert_eq!(
        tracking_info(&mut r),
        format!("%[flags ~[on broken_redirect] redirect :{id} prefixes []]")
    );
    let line = render(&r.cmd(&["CLIENT", "INFO"]));
    assert_eq!(client_field(&line, "flags"), "tR");
    assert_eq!(client_field(&line, "redir"), id);
}

fn bulk_list(r: &mut Raw) -> String {
    r.cmd(&["CLIENT", "LIST"]).as_text()
}

#[test]
fn info_and_client_list_show_tracking() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let mut r = server.raw();
    let mut b = server.raw();
    let before = info(&mut admin, &[]);
    assert_eq!(info_int(&before, "tracking_clients"), 0);
    assert_eq!(
        client_field(&render(&r.cmd(&["CLIENT", "INFO"])), "redir"),
        "-1"
    );
    let b_id = client_id(&mut b).to_string();
    assert_eq!(
        r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &b_id]),
        ok()
    );
    admin.cmd(&["MSET", "k1", "1", "k2", "2"]);
    r.cmd(&["MGET", "k1", "k2"]);
    assert_eq!(b.cmd(&["CLIENT", "TRACKING", "on"]), ok());
    b.cmd(&["GET", "k1"]);
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:"]),
        ok()
    );
    let text = info(&mut admin, &[]);
    assert_eq!(info_int(&text, "tracking_clients"), 3);
    assert_eq!(info_int(&text, "tracking_total_keys"), 2);
    assert_eq!(info_int(&text, "tracking_total_items"), 3);
    assert_eq!(info_int(&text, "tracking_total_prefixes"), 1);
    let line = render(&r.cmd(&["CLIENT", "INFO"]));
    assert_eq!(
        (client_field(&line, "flags"), client_field(&line, "redir")),
        ("t".into(), b_id)
    );
    let line = render(&c.cmd(&["CLIENT", "INFO"]));
    assert_eq!(
        (client_field(&line, "flags"), client_field(&line, "redir")),
        ("tB".into(), "0".into())
    );
    // Turning off (or going away) drops the client and its prefixes; its
    // entries stay until their keys change.
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), ok());
    assert_eq!(b.cmd(&["RESET"]), Frame::Simple("RESET".into()));
    assert_eq!(
        client_field(&render(&b.cmd(&["CLIENT", "INFO"])), "flags"),
        "N"
    );
    let text = info(&mut admin, &[]);
    assert_eq!(info_int(&text, "tracking_clients"), 1);
    assert_eq!(info_int(&text, "tracking_total_prefixes"), 0);
    assert_eq!(info_int(&text, "tracking_total_items"), 3);
    admin.cmd(&["SET", "k1", "x"]);
    let text = info(&mut admin, &[]);
    assert_eq!(info_int(&text, "tracking_total_keys"), 1);
    assert_eq!(info_int(&text, "tracking_total_items"), 1);
}

#[test]
fn trackinginfo_and_getredir_in_both_protocols() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]), int(-1));
    assert_eq!(
        tracking_info(&mut r),
        "[flags [off] redirect :-1 prefixes []]"
    );
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]), int(0));
    assert_eq!(
        tracking_info(&mut r),
        "[flags [on] redirect :0 prefixes []]"
    );
    let me = client_id(&mut r).to_string();
    assert_eq!(
        r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &me, "NOLOOP"]),
        ok()
    );
    assert_eq!(
        tracking_info(&mut r),
        format!("[flags [on noloop] redirect :{me} prefixes []]")
    );
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "off"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "CACHING", "no"]), ok());
    assert_eq!(
        tracking_info(&mut r),
        "[flags [on optout caching-no] redirect :0 prefixes []]"
    );
    assert!(matches!(r.cmd(&["HELLO", "3"]), Frame::Typed(b'%', _)));
    assert_eq!(
        tracking_info(&mut r),
        "%[flags ~[on optout] redirect :0 prefixes []]"
    );
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "off"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "BCAST"]), ok());
    assert_eq!(
        tracking_info(&mut r),
        "%[flags ~[on bcast] redirect :0 prefixes []]"
    );
}

#[test]
fn the_table_is_kept_within_tracking_table_max_keys() {
    let server = TestServer::start();
    let (mut listener, _, mut r) = redirected_tracker(&server, &[]);
    let keys: Vec<String> = (0..250).map(|i| format!("key{i}")).collect();
    for key in &keys {
        r.cmd(&["GET", key]);
    }
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]),
        ok()
    );
    // The next command (or the cron) evicts all but one, each as if it changed.
    admin.cmd(&["PING"]);
    let mut evicted = Vec::new();
    for _ in 0..249 {
        let reply = items_of(listener.read());
        assert_eq!(reply.len(), 3);
        evicted.extend(items_of(reply[2].clone()).iter().map(Frame::as_text));
    }
    evicted.sort();
    evicted.dedup();
    assert_eq!(evicted.len(), 249);
    no_message_pending(&mut listener);
    assert_eq!(
        info_int(&info(&mut admin, &["stats"]), "tracking_total_keys"),
        1
    );
}

fn items_of(frame: Frame) -> Vec<Frame> {
    common::items(frame)
}

#[test]
fn lazily_expired_keys_are_invalidated_after_the_reply() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &[]);
    assert_eq!(r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), ok());
    r.cmd(&["SET", "x", "1"]);
    r.cmd(&["SET", "y", "2", "PX", "100"]);
    r.cmd(&["GET", "y"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(render(&r.cmd(&["MGET", "x", "y"])), "[1 _]");
    assert_eq!(next(&mut r), push(&["y"]));
    nothing_pending(&mut r);
    assert_eq!(r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), ok());
}

#[test]
fn actively_expired_keys_are_invalidated() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &[]);
    r.cmd(&["SET", "k", "v", "PX", "50"]);
    r.cmd(&["GET", "k"]);
    // No command of this client touches the key: the cron expires it.
    assert_eq!(next(&mut r), push(&["k"]));
}

#[test]
fn invalidations_get_through_client_reply_off() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &[]);
    let mut writer = server.raw();
    r.cmd(&["GET", "k"]);
    r.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    writer.cmd(&["SET", "k", "1"]);
    assert_eq!(next(&mut r), push(&["k"]));
    // Also its own write's, whose reply is dropped.
    r.send_cmd(&["GET", "k"]);
    r.send_cmd(&["SET", "k", "2"]);
    assert_eq!(next(&mut r), push(&["k"]));
    assert_eq!(r.cmd(&["CLIENT", "REPLY", "ON"]), ok());
    nothing_pending(&mut r);
}

#[test]
fn an_unblocked_client_hears_after_its_reply() {
    let server = TestServer::start();
    let mut r = server.raw();
    let mut blocked = resp3_tracker(&server, &[]);
    r.cmd(&["RPUSH", "dst", "a"]);
    blocked.cmd(&["LRANGE", "dst", "0", "-1"]);
    blocked.send_cmd(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    common::wait_blocked(&mut r, 1);
    r.cmd(&["RPUSH", "src", "foo"]);
    assert_eq!(blocked.read(), Frame::bulk("foo"));
    assert_eq!(next(&mut blocked), push(&["dst"]));
}

#[test]
fn a_writer_hears_of_what_the_client_it_unblocked_changed_after_its_reply() {
    let server = TestServer::start();
    let mut writer = resp3_tracker(&server, &[]);
    let mut blocked = server.raw();
    writer.cmd(&["GET", "dst"]);
    blocked.send_cmd(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    common::wait_blocked(&mut server.raw(), 1);
    writer.send_cmd(&["RPUSH", "src", "foo"]);
    writer.send_cmd(&["PING"]);
    assert_eq!(writer.read(), int(1));
    assert_eq!(next(&mut writer), push(&["dst"]));
    assert_eq!(writer.read(), pong());
    assert_eq!(blocked.read(), Frame::bulk("foo"));
}

#[test]
fn a_redirect_target_writing_a_tracked_key_hears_before_its_reply() {
    let server = TestServer::start();
    let mut target = resp3(&server);
    let id = client_id(&mut target).to_string();
    let mut r = server.raw();
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id]), ok());
    r.cmd(&["GET", "k"]);
    target.send_cmd(&["SET", "k", "v"]);
    assert_eq!(next(&mut target), push(&["k"]));
    assert_eq!(target.read(), ok());
}

/// Whether the server runs scripts (reddish before its scripting work
/// does not; the script tests then have nothing to check).
fn has_eval(r: &mut Raw) -> bool {
    let reply = render(&r.cmd(&["EVAL", "return 1", "0"]));
    if reply == ":1" {
        return true;
    }
    eprintln!("no EVAL here ({reply}): script tracking not tested");
    false
}

#[test]
fn a_script_that_reads_counts_as_reading_its_declared_keys() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &[]);
    if !has_eval(&mut r) {
        return;
    }
    let mut other = server.raw();
    other.cmd(&["MSET", "k1", "1", "k2", "1"]);
    // A script that only writes reads nothing: no key is remembered.
    r.cmd(&["EVAL", "redis.call('set', 'k3', 'x')", "2", "k1", "k2"]);
    other.cmd(&["MSET", "k2", "2", "k1", "2"]);
    nothing_pending(&mut r);
    // One read makes all the declared keys (not the key read) remembered.
    r.cmd(&["EVAL", "redis.call('get', 'k3')", "2", "k1", "k2"]);
    other.cmd(&["MSET", "k2", "3", "k1", "3", "k3", "y"]);
    assert_eq!(next(&mut r), push(&["k2"]));
    assert_eq!(next(&mut r), push(&["k1"]));
    nothing_pending(&mut r);
    // EVAL_RO is read-only but counts only through its script's reads.
    r.cmd(&["EVAL_RO", "redis.call('ping')", "1", "k1"]);
    other.cmd(&["SET", "k1", "4"]);
    nothing_pending(&mut r);
    r.cmd(&["EVAL_RO", "redis.call('exists', 'k9')", "1", "k1"]);
    other.cmd(&["SET", "k1", "5"]);
    assert_eq!(next(&mut r), push(&["k1"]));
    nothing_pending(&mut r);
}

#[test]
fn a_scripts_writes_are_the_callers_own_for_noloop() {
    let server = TestServer::start();
    let mut r = resp3_tracker(&server, &["NOLOOP"]);
    if !has_eval(&mut r) {
        return;
    }
    r.cmd(&["SET", "k", "1"]);
    r.cmd(&["GET", "k"]);
    let script = "return redis.call('set', KEYS[1], '2')";
    assert_eq!(r.cmd(&["EVAL", script, "1", "k"]), ok());
    assert_eq!(render(&r.cmd(&["GET", "k"])), "2");
    // Without NOLOOP the script's write is sent to its caller after the reply.
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "off"]), ok());
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on"]), ok());
    r.cmd(&["GET", "k"]);
    assert_eq!(r.cmd(&["EVAL", script, "1", "k"]), ok());
    assert_eq!(next(&mut r), push(&["k"]));
    nothing_pending(&mut r);
}
