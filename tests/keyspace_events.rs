//! Keyspace notifications over real sockets: `notify-keyspace-events` and
//! its letters, the `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`
//! messages, masking by class, `new` and `keymiss` (outside `A`), expiry
//! (lazy and active), the order of the events of one command, and what a
//! RESP3 client that writes and listens on one connection gets, where.
//! Every test passes against real Redis 7.0 (`REDDISH_TEST_SERVER`).
//! scripts/events-diff.py compares the events of every command family
//! with real Redis.

mod common;

use common::pubsub::{message_text, Subscriber};
use common::{config_get, err, int_of, ok, wait_for, Frame, Raw, TestServer};
use std::time::Duration;

/// A server with `notify-keyspace-events` set to `classes`, a writer and
/// a subscriber to every keyspace channel.
fn with_events(classes: &str) -> (TestServer, Raw, Subscriber) {
    let s = TestServer::start();
    let mut w = s.raw();
    set_classes(&mut w, classes);
    let sub = Subscriber::keyspace(&s);
    (s, w, sub)
}

fn set_classes(r: &mut Raw, classes: &str) {
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "notify-keyspace-events", classes]),
        ok()
    );
}

/// Runs each command line on `w`.
fn run(w: &mut Raw, lines: &[&str]) {
    for line in lines {
        let args: Vec<&str> = line.split(' ').collect();
        w.cmd(&args);
    }
}

/// The keyevent messages of database 0 as `event key`.
fn events(messages: &[String]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| m.strip_prefix("__keyevent@0__:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn config_get_prints_the_letters_in_redis_order() {
    let s = TestServer::start();
    let mut r = s.raw();
    for (set, get) in [
        ("gKE", "gKE"),
        ("$lshzxeKE", "$lshzxeKE"),
        ("KA", "AK"),
        ("EA", "AE"),
        ("Kn", "nK"),
        ("mnxE", "xnEm"),
        ("gxdtme", "gxetdm"),
        ("Agn", "A"),
        // Redis prints no `n` beside `A` (the flag is still on).
        ("KEAnm", "AKEm"),
        ("", ""),
    ] {
        set_classes(&mut r, set);
        assert_eq!(config_get(&mut r, "notify-keyspace-events"), get, "{set}");
    }
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEQ"]),
        err("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    );
    assert_eq!(config_get(&mut r, "notify-keyspace-events"), "");
}

#[test]
fn keyspace_keyevent_or_both() {
    let (_s, mut w, mut sub) = with_events("KA");
    w.cmd(&["SET", "foo", "bar"]);
    assert_eq!(sub.drain(&mut w), ["__keyspace@0__:foo set"]);
    set_classes(&mut w, "EA");
    w.cmd(&["SET", "foo", "bar"]);
    assert_eq!(sub.drain(&mut w), ["__keyevent@0__:set foo"]);
    set_classes(&mut w, "KEA");
    w.cmd(&["SET", "foo", "bar"]);
    assert_eq!(
        sub.drain(&mut w),
        ["__keyspace@0__:foo set", "__keyevent@0__:set foo"]
    );
}

#[test]
fn nothing_is_published_when_notifications_are_off_or_lack_k_and_e() {
    let (_s, mut w, mut sub) = with_events("");
    run(&mut w, &["SET a 1", "LPUSH l x", "DEL a", "GET nothing"]);
    assert_eq!(sub.drain(&mut w), Vec::<String>::new());
    // Classes without K or E publish nothing either.
    set_classes(&mut w, "Anm");
    run(&mut w, &["SET a 1", "GET nothing"]);
    assert_eq!(sub.drain(&mut w), Vec::<String>::new());
}

#[test]
fn each_class_letter_selects_its_events() {
    let setup = [
        "SET s v",
        "RPUSH l a",
        "SADD set a",
        "HSET h f v",
        "ZADD z 1 a",
        "XADD x 1-1 f v",
        "EXPIRE s 100",
    ];
    let cases: [(&str, &[&str]); 7] = [
        ("g", &["expire s"]),
        ("$", &["set s"]),
        ("l", &["rpush l"]),
        ("s", &["sadd set"]),
        ("h", &["hset h"]),
        ("z", &["zadd z"]),
        ("t", &["xadd x"]),
    ];
    for (letter, expected) in cases {
        let (_s, mut w, mut sub) = with_events(&format!("E{letter}"));
        run(&mut w, &setup);
        assert_eq!(events(&sub.drain(&mut w)), expected, "class {letter}");
    }
}

#[test]
fn a_covers_neither_new_nor_keymiss() {
    let (_s, mut w, mut sub) = with_events("EA");
    run(&mut w, &["SET k v", "GET missing"]);
    assert_eq!(events(&sub.drain(&mut w)), ["set k"]);
    set_classes(&mut w, "EAnm");
    run(&mut w, &["SET k2 v", "GET missing"]);
    assert_eq!(
        events(&sub.drain(&mut w)),
        ["new k2", "set k2", "keymiss missing"]
    );
}

#[test]
fn new_is_raised_when_a_key_is_added() {
    let (_s, mut w, mut sub) = with_events("En");
    run(
        &mut w,
        &[
            "SET foo bar",
            "SET foo baz",
            "LPUSH l a",
            "LPUSH l b",
            "ZADD z XX 1 a",
            "SADD s a",
        ],
    );
    assert_eq!(events(&sub.drain(&mut w)), ["new foo", "new l", "new s"]);
    // A destination RENAME, COPY ... REPLACE or RESTORE ... REPLACE
    // replaces is added anew.
    run(&mut w, &["RENAME foo l", "COPY l s REPLACE"]);
    assert_eq!(events(&sub.drain(&mut w)), ["new l", "new s"]);
}

#[test]
fn keymiss_comes_from_reads_that_miss() {
    let (_s, mut w, mut sub) = with_events("Em");
    run(
        &mut w,
        &[
            "GET a",
            "EXISTS b",
            "LRANGE c 0 -1",
            "MGET d e",
            "SET f v",
            "GET f",
            // Not OBJECT, and not writes.
            "OBJECT ENCODING g",
            "LPUSHX h x",
            "DEL i",
        ],
    );
    assert_eq!(
        events(&sub.drain(&mut w)),
        [
            "keymiss a",
            "keymiss b",
            "keymiss c",
            "keymiss d",
            "keymiss e"
        ]
    );
}

#[test]
fn masking_keeps_only_the_enabled_classes() {
    let (_s, mut w, mut sub) = with_events("KEl");
    run(&mut w, &["SET foo bar", "LPUSH mylist a", "DEL foo"]);
    assert_eq!(
        sub.drain(&mut w),
        ["__keyspace@0__:mylist lpush", "__keyevent@0__:lpush mylist"]
    );
}

#[test]
fn events_of_one_command_come_in_redis_order() {
    let (_s, mut w, mut sub) = with_events("KEAn");
    run(&mut w, &["SET a 1", "SET b 2"]);
    sub.drain(&mut w);
    w.cmd(&["RENAME", "a", "b"]);
    assert_eq!(
        events(&sub.drain(&mut w)),
        ["new b", "rename_from a", "rename_to b"]
    );
    run(&mut w, &["RPUSH src x"]);
    sub.drain(&mut w);
    w.cmd(&["LMOVE", "src", "dst", "LEFT", "RIGHT"]);
    assert_eq!(
        events(&sub.drain(&mut w)),
        ["new dst", "rpush dst", "lpop src", "del src"]
    );
    run(&mut w, &["SADD s a b"]);
    sub.drain(&mut w);
    w.cmd(&["SPOP", "s", "5"]);
    assert_eq!(events(&sub.drain(&mut w)), ["spop s", "del s"]);
    w.cmd(&["XADD", "x", "MAXLEN", "1", "1-1", "f", "v"]);
    w.cmd(&["XADD", "x", "MAXLEN", "1", "2-1", "f", "v"]);
    assert_eq!(
        events(&sub.drain(&mut w)),
        ["new x", "xadd x", "xadd x", "xtrim x"]
    );
    run(&mut w, &["SET t v EX 100"]);
    assert_eq!(events(&sub.drain(&mut w)), ["new t", "set t", "expire t"]);
}

#[test]
fn the_database_number_is_in_the_channel() {
    let (_s, mut w, mut sub) = with_events("KEA");
    run(&mut w, &["SELECT 9", "SET k v", "MOVE k 3"]);
    assert_eq!(
        sub.drain(&mut w),
        [
            "__keyspace@9__:k set",
            "__keyevent@9__:set k",
            "__keyspace@9__:k move_from",
            "__keyevent@9__:move_from k",
            "__keyspace@3__:k move_to",
            "__keyevent@3__:move_to k",
        ]
    );
}

#[test]
fn flushes_and_swapdb_raise_no_key_events() {
    let (_s, mut w, mut sub) = with_events("KEAnm");
    run(&mut w, &["SET a 1", "SELECT 1", "SET b 1", "SELECT 0"]);
    sub.drain(&mut w);
    run(&mut w, &["SWAPDB 0 1", "FLUSHDB", "FLUSHALL"]);
    assert_eq!(sub.drain(&mut w), Vec::<String>::new());
}

#[test]
fn a_blocked_pop_served_later_raises_its_events_after_the_push() {
    let (s, mut w, mut sub) = with_events("EA");
    let mut blocked = s.raw();
    blocked.send_cmd(&["BLPOP", "l", "0"]);
    common::wait_blocked(&mut w, 1);
    w.cmd(&["RPUSH", "l", "a"]);
    assert_eq!(
        blocked.read(),
        Frame::Array(Some(vec![Frame::bulk("l"), Frame::bulk("a")]))
    );
    assert_eq!(events(&sub.drain(&mut w)), ["rpush l", "lpop l", "del l"]);
}

#[test]
fn transactions_raise_the_events_of_their_commands() {
    let (_s, mut w, mut sub) = with_events("EA");
    run(
        &mut w,
        &["MULTI", "SET a 1", "INCR a", "DEL a", "LPUSH l x", "EXEC"],
    );
    assert_eq!(
        events(&sub.drain(&mut w)),
        ["set a", "incrby a", "del a", "lpush l"]
    );
}

#[test]
fn lazy_expiry_raises_expired_before_the_miss() {
    let (_s, mut w, mut sub) = with_events("Exm");
    assert_eq!(w.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), ok());
    w.cmd(&["SET", "k", "v"]);
    let at = server_ms(&mut w) + 30;
    w.cmd(&["PEXPIREAT", "k", &at.to_string()]);
    // Wait on the server's clock, not on the key (a lookup would expire it).
    assert!(wait_for(Duration::from_secs(5), || server_ms(&mut w) > at));
    assert_eq!(sub.drain(&mut w), Vec::<String>::new());
    assert_eq!(w.cmd(&["GET", "k"]), Frame::Bulk(None));
    assert_eq!(events(&sub.drain(&mut w)), ["expired k", "keymiss k"]);
    w.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
}

#[test]
fn active_expiry_raises_expired() {
    let (_s, mut w, mut sub) = with_events("Ex");
    w.cmd(&["PSETEX", "foo", "50", "1"]);
    assert_eq!(sub.next(), "__keyevent@0__:expired foo");
    assert_eq!(int_of(w.cmd(&["DBSIZE"])), 0);
}

/// The server's clock in milliseconds (TIME).
fn server_ms(r: &mut Raw) -> i64 {
    let parts = common::texts(r.cmd(&["TIME"]));
    let seconds: i64 = parts[0].parse().expect("seconds");
    let micros: i64 = parts[1].parse().expect("microseconds");
    seconds * 1000 + micros / 1000
}

/// A RESP3 connection subscribed to every keyevent channel of db 0.
fn resp3_listener(s: &TestServer) -> Raw {
    let mut r = s.raw();
    r.cmd(&["HELLO", "3"]);
    let reply = r.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    assert!(matches!(reply, Frame::Typed(b'>', _)), "{reply:?}");
    r
}

/// The keyevent push `event key` a RESP3 connection reads next.
fn push_event(r: &mut Raw) -> String {
    let text = message_text(r.read(), "__keyevent@0__:*");
    text.strip_prefix("__keyevent@0__:")
        .unwrap_or(&text)
        .to_string()
}

#[test]
fn resp3_pushes_to_the_writing_client_come_where_redis_writes_them() {
    let s = TestServer::start();
    let mut r = resp3_listener(&s);
    set_classes(&mut r, "EA");
    // Most writes notify before they reply: the push comes first.
    r.send_cmd(&["SET", "k", "v"]);
    assert_eq!(push_event(&mut r), "set k");
    assert_eq!(r.read(), ok());
    r.send_cmd(&["INCR", "n"]);
    assert_eq!(push_event(&mut r), "incrby n");
    assert_eq!(r.read(), Frame::Int(1));
    // Others reply first (list pushes and pops, HSET, ZADD, EXPIRE...).
    r.send_cmd(&["RPUSH", "l", "a"]);
    assert_eq!(r.read(), Frame::Int(1));
    assert_eq!(push_event(&mut r), "rpush l");
    r.send_cmd(&["EXPIRE", "k", "100"]);
    assert_eq!(r.read(), Frame::Int(1));
    assert_eq!(push_event(&mut r), "expire k");
    // LMOVE: the push's event, the reply, then the pop's.
    r.send_cmd(&["LMOVE", "l", "m", "LEFT", "LEFT"]);
    assert_eq!(push_event(&mut r), "lpush m");
    assert_eq!(r.read(), Frame::bulk("a"));
    assert_eq!(push_event(&mut r), "lpop l");
    assert_eq!(push_event(&mut r), "del l");
    // Inside EXEC each command's pushes sit among the replies.
    r.cmd(&["MULTI"]);
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["HSET", "h", "f", "v"]);
    r.send_cmd(&["EXEC"]);
    let expected = [
        b"*2\r\n".to_vec(),
        push_bytes("set", "a"),
        b"+OK\r\n:1\r\n".to_vec(),
        push_bytes("hset", "h"),
    ]
    .concat();
    assert_eq!(
        String::from_utf8_lossy(&r.read_bytes(expected.len())),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(r.cmd(&["PING"]), Frame::Simple("PONG".into()));
}

/// The RESP3 bytes of the keyevent push of `event` on `key` in db 0.
fn push_bytes(event: &str, key: &str) -> Vec<u8> {
    let channel = format!("__keyevent@0__:{event}");
    let mut out = b">4\r\n".to_vec();
    for part in ["pmessage", "__keyevent@0__:*", channel.as_str(), key] {
        out.extend_from_slice(format!("${}\r\n{part}\r\n", part.len()).as_bytes());
    }
    out
}

#[test]
fn notifications_survive_client_reply_off() {
    let s = TestServer::start();
    let mut w = s.raw();
    set_classes(&mut w, "KA");
    let mut sub = s.raw();
    sub.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    sub.send_cmd(&["PSUBSCRIBE", "*"]);
    // The subscription's reply is sent even so.
    assert!(matches!(sub.read(), Frame::Array(Some(_))));
    w.cmd(&["SET", "foo", "bar"]);
    assert_eq!(message_text(sub.read(), "*"), "__keyspace@0__:foo set");
}
