//! Transactions against the real binary: MULTI/EXEC/DISCARD replies, errors
//! while queueing versus errors while running, WATCH invalidation by other
//! clients' writes, expiry, flushes, SWAPDB, RENAME and MOVE, and how
//! transactions meet RESET, QUIT, CLIENT REPLY, CLIENT LIST, CLIENT PAUSE and
//! MONITOR. Races are made deterministic by having the second client write
//! between WATCH and EXEC.

mod common;

use common::{
    array, blocked_clients, client_field, client_info, client_line, err, info_field, nil_array, ok,
    pong, wait_for, Frame, Raw, TestServer,
};
use std::time::Duration;

fn queued() -> Frame {
    Frame::Simple("QUEUED".into())
}

const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// MULTI, the commands (each must answer QUEUED), then EXEC's reply.
fn transaction(r: &mut Raw, commands: &[&[&str]]) -> Frame {
    assert_eq!(r.cmd(&["MULTI"]), ok());
    for command in commands {
        assert_eq!(r.cmd(command), queued(), "queueing {command:?}");
    }
    r.cmd(&["EXEC"])
}

/// A transaction that only pings: PONG in an array if it ran, else null.
fn ping_transaction(r: &mut Raw) -> Frame {
    transaction(r, &[&["PING"]])
}

#[test]
fn exec_runs_the_queued_commands_in_order() {
    let s = TestServer::start();
    let mut r = s.raw();
    let reply = transaction(
        &mut r,
        &[&["SET", "k", "1"], &["INCR", "k"], &["GET", "k"], &["PING"]],
    );
    assert_eq!(
        reply,
        array(vec![ok(), Frame::Int(2), Frame::bulk("2"), pong()])
    );
    assert_eq!(transaction(&mut r, &[]), array(vec![]));
    // Out of the transaction again.
    assert_eq!(r.cmd(&["PING"]), pong());
}

#[test]
fn discard_drops_the_queue() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["DEL", "k"]), queued());
    assert_eq!(r.cmd(&["DISCARD"]), ok());
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(r.cmd(&["DISCARD"]), err("ERR DISCARD without MULTI"));
    assert_eq!(r.cmd(&["EXEC"]), err("ERR EXEC without MULTI"));
}

#[test]
fn commands_that_are_refused_without_dooming_the_transaction() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["MULTI"]), err("ERR MULTI calls can not be nested"));
    assert_eq!(
        r.cmd(&["WATCH", "x"]),
        err("ERR WATCH inside MULTI is not allowed")
    );
    assert_eq!(r.cmd(&["SET", "k", "v"]), queued());
    assert_eq!(r.cmd(&["EXEC"]), array(vec![ok()]));
}

#[test]
fn queueing_errors_abort_the_whole_transaction() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut observer = s.raw();
    r.cmd(&["CLIENT", "SETNAME", "tx"]);
    // Unknown command.
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(
        r.cmd(&["NOSUCH", "x"]),
        err("ERR unknown command 'NOSUCH', with args beginning with: 'x' ")
    );
    assert_eq!(r.cmd(&["SET", "b", "2"]), queued());
    assert_eq!(r.cmd(&["EXEC"]), err(EXECABORT));
    assert_eq!(r.cmd(&["EXISTS", "a", "b"]), Frame::Int(0));
    // Wrong arity; nothing more is kept once the transaction is doomed.
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(
        r.cmd(&["SET", "a"]),
        err("ERR wrong number of arguments for 'set' command")
    );
    assert_eq!(r.cmd(&["SET", "b", "2"]), queued());
    let line = client_line(&mut observer, "tx");
    assert_eq!(client_field(&line, "multi"), "1");
    assert_eq!(r.cmd(&["EXEC"]), err(EXECABORT));
    // A command not allowed in transactions.
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(
        r.cmd(&["SHUTDOWN"]),
        err("ERR Command not allowed inside a transaction")
    );
    assert_eq!(r.cmd(&["EXEC"]), err(EXECABORT));
    assert_eq!(r.cmd(&["EXISTS", "a"]), Frame::Int(0));
    // The client left the transaction each time.
    assert_eq!(r.cmd(&["PING"]), pong());
    assert!(info_field(&mut r, "errorstats", "errorstat_EXECABORT").starts_with("count=3"));
    assert!(info_field(&mut r, "commandstats", "cmdstat_set").contains("rejected_calls=1"));
}

#[test]
fn exec_with_wrong_arity_aborts_with_the_reason() {
    let s = TestServer::start();
    let mut r = s.raw();
    let abort = err(
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
    );
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["SET", "k", "v"]), queued());
    assert_eq!(r.cmd(&["EXEC", "now"]), abort);
    assert_eq!(r.cmd(&["EXEC"]), err("ERR EXEC without MULTI"));
    assert_eq!(r.cmd(&["EXISTS", "k"]), Frame::Int(0));
    // Even outside a transaction.
    assert_eq!(r.cmd(&["EXEC", "now"]), abort);
}

#[test]
fn runtime_errors_are_replies_inside_the_array() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "s", "text"]);
    let reply = transaction(
        &mut r,
        &[
            &["SET", "a", "1"],
            &["INCR", "s"],
            &["SET", "b", "2"],
            &["GET", "b"],
        ],
    );
    assert_eq!(
        reply,
        array(vec![
            ok(),
            err("ERR value is not an integer or out of range"),
            ok(),
            Frame::bulk("2"),
        ])
    );
    assert_eq!(
        r.cmd(&["MGET", "a", "b"]),
        array(vec![Frame::bulk("1"), Frame::bulk("2")])
    );
    assert!(info_field(&mut r, "commandstats", "cmdstat_incr").contains("failed_calls=1"));
}

#[test]
fn a_write_by_another_client_fails_exec() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["SET", "x", "30"]);
    assert_eq!(a.cmd(&["WATCH", "a", "b", "x", "k", "z"]), ok());
    assert_eq!(b.cmd(&["SET", "x", "40"]), ok());
    assert_eq!(transaction(&mut a, &[&["SET", "x", "mine"]]), nil_array());
    assert_eq!(a.cmd(&["GET", "x"]), Frame::bulk("40"));
    // The failed EXEC unwatched everything.
    b.cmd(&["SET", "x", "50"]);
    assert_eq!(ping_transaction(&mut a), array(vec![pong()]));
}

#[test]
fn unmodified_watched_keys_let_exec_run() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["SET", "x", "1"]);
    a.cmd(&["WATCH", "x", "y"]);
    b.cmd(&["SET", "other", "1"]);
    b.cmd(&["GET", "x"]);
    assert_eq!(
        transaction(&mut a, &[&["INCR", "x"]]),
        array(vec![Frame::Int(2)])
    );
    // After a successful EXEC the key is no longer watched.
    a.cmd(&["SET", "x", "40"]);
    assert_eq!(ping_transaction(&mut a), array(vec![pong()]));
}

#[test]
fn own_writes_and_expire_touch_watched_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "x", "30"]);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SET", "x", "40"]);
    assert_eq!(ping_transaction(&mut r), nil_array());
    r.cmd(&["WATCH", "x"]);
    assert_eq!(r.cmd(&["EXPIRE", "x", "10"]), Frame::Int(1));
    assert_eq!(ping_transaction(&mut r), nil_array());
    // A write that changes nothing leaves the watch alone.
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["DEL", "missing"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
}

#[test]
fn unwatch_and_discard_clear_the_touched_flag() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["SET", "x", "30"]);
    a.cmd(&["WATCH", "x"]);
    b.cmd(&["SET", "x", "40"]);
    assert_eq!(a.cmd(&["UNWATCH"]), ok());
    assert_eq!(ping_transaction(&mut a), array(vec![pong()]));
    assert_eq!(a.cmd(&["UNWATCH"]), ok());
    // DISCARD: the flag goes, and the keys are no longer watched.
    a.cmd(&["WATCH", "x"]);
    b.cmd(&["SET", "x", "10"]);
    a.cmd(&["MULTI"]);
    assert_eq!(a.cmd(&["DISCARD"]), ok());
    b.cmd(&["SET", "x", "10"]);
    assert_eq!(
        transaction(&mut a, &[&["INCR", "x"]]),
        array(vec![Frame::Int(11)])
    );
}

#[test]
fn watch_after_a_touch_is_a_no_op_until_exec() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["WATCH", "x"]);
    b.cmd(&["SET", "x", "1"]);
    assert_eq!(a.cmd(&["WATCH", "y"]), ok());
    assert_eq!(client_field(&client_info(&mut a), "flags"), "d");
    assert_eq!(ping_transaction(&mut a), nil_array());
    assert_eq!(client_field(&client_info(&mut a), "flags"), "N");
}

#[test]
fn watch_remembers_the_database_of_the_key() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SELECT", "5"]);
    r.cmd(&["SET", "x", "30"]);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SELECT", "1"]);
    r.cmd(&["SET", "x", "10"]);
    r.cmd(&["SELECT", "5"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // The same key in the watched database does fail it.
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SELECT", "1"]);
    let mut b = s.raw();
    b.cmd(&["SELECT", "5"]);
    b.cmd(&["SET", "x", "11"]);
    assert_eq!(ping_transaction(&mut r), nil_array());
}

#[test]
fn rename_and_move_touch_source_and_destination() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["MSET", "src", "1", "other", "2"]);
    a.cmd(&["WATCH", "src"]);
    b.cmd(&["RENAME", "src", "dst"]);
    assert_eq!(ping_transaction(&mut a), nil_array());
    a.cmd(&["WATCH", "dst2"]);
    b.cmd(&["RENAME", "dst", "dst2"]);
    assert_eq!(ping_transaction(&mut a), nil_array());
    a.cmd(&["WATCH", "other"]);
    assert_eq!(b.cmd(&["MOVE", "other", "3"]), Frame::Int(1));
    assert_eq!(ping_transaction(&mut a), nil_array());
    // The destination database's key too.
    a.cmd(&["SELECT", "3"]);
    a.cmd(&["WATCH", "dst2"]);
    assert_eq!(b.cmd(&["MOVE", "dst2", "3"]), Frame::Int(1));
    assert_eq!(ping_transaction(&mut a), nil_array());
}

#[test]
fn flushes_touch_only_keys_that_exist() {
    let s = TestServer::start();
    let mut r = s.raw();
    for flush in ["FLUSHALL", "FLUSHDB"] {
        r.cmd(&["SET", "x", "30"]);
        r.cmd(&["WATCH", "x"]);
        r.cmd(&[flush]);
        assert_eq!(ping_transaction(&mut r), nil_array(), "{flush}");
        r.cmd(&["WATCH", "x"]);
        r.cmd(&[flush]);
        assert_eq!(ping_transaction(&mut r), array(vec![pong()]), "{flush}");
    }
    // FLUSHDB of another database leaves the watch alone.
    r.cmd(&["SET", "x", "30"]);
    r.cmd(&["WATCH", "x"]);
    let mut b = s.raw();
    b.cmd(&["SELECT", "2"]);
    b.cmd(&["SET", "x", "1"]);
    b.cmd(&["FLUSHDB"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // Several keys of one client in one flush.
    r.cmd(&["MSET", "a", "a", "b", "b"]);
    r.cmd(&["WATCH", "b", "a"]);
    r.cmd(&["FLUSHALL"]);
    assert_eq!(r.cmd(&["PING"]), pong());
    assert_eq!(ping_transaction(&mut r), nil_array());
}

#[test]
fn swapdb_touches_keys_on_either_side() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "x", "30"]);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_transaction(&mut r), nil_array());
    // x is now in db 1 only; watching the missing x of db 0 and swapping
    // it back in fails too.
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_transaction(&mut r), nil_array());
    // Keys missing on both sides are untouched.
    r.cmd(&["WATCH", "nothere"]);
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
}

/// Sets `key` to expire in `ms` with active expiry off, so it stays in the
/// database once expired until something looks it up.
fn set_stale_soon(r: &mut Raw, key: &str, ms: u64) {
    assert_eq!(r.cmd(&["SET", key, "v", "PX", &ms.to_string()]), ok());
}

/// Waits until a key set with `set_stale_soon(.., ms)` has surely expired,
/// without looking it up.
fn wait_past(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms + 20));
}

#[test]
fn a_watched_key_that_expires_fails_exec_even_before_deletion() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    set_stale_soon(&mut r, "k", 300);
    r.cmd(&["WATCH", "k"]);
    // Still alive after WATCH, so it was alive when watched.
    let Frame::Int(pttl) = r.cmd(&["PTTL", "k"]) else {
        panic!("PTTL");
    };
    assert!(pttl > 0);
    wait_past(300);
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
    assert_eq!(transaction(&mut r, &[&["INCR", "k"]]), nil_array());
}

#[test]
fn a_key_already_expired_when_watched_does_not_fail_exec() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut b = s.raw();
    r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    // Nothing happens to it.
    set_stale_soon(&mut r, "x", 1);
    wait_past(1);
    r.cmd(&["WATCH", "x"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // Its lazy deletion changes nothing logically.
    set_stale_soon(&mut r, "x", 1);
    wait_past(1);
    r.cmd(&["WATCH", "x"]);
    assert_eq!(r.cmd(&["EXISTS", "x"]), Frame::Int(0));
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // Nor does a flush.
    set_stale_soon(&mut r, "x", 1);
    wait_past(1);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["FLUSHDB"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // But writing it again does.
    set_stale_soon(&mut r, "x", 1);
    wait_past(1);
    r.cmd(&["WATCH", "x"]);
    b.cmd(&["SET", "x", "new"]);
    assert_eq!(ping_transaction(&mut r), nil_array());
}

#[test]
fn swapdb_and_stale_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    // An expired key replaced by no key.
    r.cmd(&["SELECT", "1"]);
    set_stale_soon(&mut r, "x", 1);
    wait_past(1);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // No key replaced by an expired key (x is now stale in db 0).
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // An expired key replaced by another expired key.
    r.cmd(&["FLUSHALL"]);
    set_stale_soon(&mut r, "x", 1);
    r.cmd(&["SELECT", "0"]);
    set_stale_soon(&mut r, "x", 1);
    wait_past(1);
    r.cmd(&["SELECT", "1"]);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_transaction(&mut r), array(vec![pong()]));
    // An expired key replaced by a live one.
    r.cmd(&["FLUSHALL"]);
    set_stale_soon(&mut r, "x", 1);
    r.cmd(&["SELECT", "0"]);
    r.cmd(&["SET", "x", "live"]);
    wait_past(1);
    r.cmd(&["SELECT", "1"]);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_transaction(&mut r), nil_array());
}

#[test]
fn active_expiry_of_a_watched_key_fails_exec() {
    let s = TestServer::start_with(&["--hz", "100"]);
    let mut r = s.raw();
    r.cmd(&["SET", "x", "foo"]);
    r.cmd(&["PEXPIRE", "x", "200"]);
    r.cmd(&["WATCH", "x"]);
    let mut b = s.raw();
    assert!(wait_for(Duration::from_secs(5), || {
        b.cmd(&["DBSIZE"]) == Frame::Int(0)
    }));
    assert_eq!(ping_transaction(&mut r), nil_array());
}

#[test]
fn commands_inside_exec_see_the_time_exec_started() {
    let s = TestServer::start();
    let mut r = s.raw();
    let reply = transaction(
        &mut r,
        &[
            &["SET", "a", "1", "PX", "5"],
            &["DEBUG", "SLEEP", "0.05"],
            &["GET", "a"],
        ],
    );
    assert_eq!(reply, array(vec![ok(), ok(), Frame::bulk("1")]));
    assert_eq!(r.cmd(&["GET", "a"]), Frame::Bulk(None));
}

#[test]
fn reset_and_quit_inside_multi() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["WATCH", "x"]);
    a.cmd(&["MULTI"]);
    a.cmd(&["SET", "k", "v"]);
    assert_eq!(a.cmd(&["RESET"]), Frame::Simple("RESET".into()));
    assert_eq!(a.cmd(&["EXEC"]), err("ERR EXEC without MULTI"));
    assert_eq!(a.cmd(&["EXISTS", "k"]), Frame::Int(0));
    // RESET also unwatched x.
    b.cmd(&["SET", "x", "1"]);
    assert_eq!(ping_transaction(&mut a), array(vec![pong()]));
    a.cmd(&["MULTI"]);
    a.cmd(&["SET", "k", "v"]);
    assert_eq!(a.cmd(&["QUIT"]), ok());
    assert!(a.is_closed());
    assert_eq!(b.cmd(&["EXISTS", "k"]), Frame::Int(0));
}

#[test]
fn a_new_client_does_not_inherit_a_closed_clients_watch() {
    let s = TestServer::start();
    let mut b = s.raw();
    {
        let mut a = s.raw();
        a.cmd(&["WATCH", "x", "y"]);
        b.cmd(&["SET", "x", "1"]);
    }
    assert!(wait_for(Duration::from_secs(5), || {
        b.cmd(&["INFO", "clients"])
            .as_text()
            .contains("connected_clients:1")
    }));
    for _ in 0..3 {
        let mut c = s.raw();
        assert_eq!(client_field(&client_info(&mut c), "flags"), "N");
        assert_eq!(ping_transaction(&mut c), array(vec![pong()]));
    }
    // y was unwatched when a went away: writing it is harmless.
    assert_eq!(b.cmd(&["SET", "y", "1"]), ok());
}

#[test]
fn client_reply_off_inside_exec_keeps_what_came_before() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["MULTI"]);
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["CLIENT", "REPLY", "OFF"]);
    r.cmd(&["SET", "b", "2"]);
    r.send_cmd(&["EXEC"]);
    r.send_cmd(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(r.read_bytes(14), b"*3\r\n+OK\r\n+OK\r\n");
    assert_eq!(r.cmd(&["GET", "b"]), Frame::bulk("2"));
}

#[test]
fn client_reply_skip_inside_exec_skips_the_next_command() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["MULTI"]);
    r.cmd(&["CLIENT", "REPLY", "SKIP"]);
    r.cmd(&["SET", "b", "2"]);
    // As in Redis the array counts the reply SKIP does not give.
    r.send_cmd(&["EXEC"]);
    assert_eq!(r.read_bytes(9), b"*2\r\n+OK\r\n");
    r.send_cmd(&["PING", "skipped"]);
    assert_eq!(r.cmd(&["PING", "shown"]), Frame::bulk("shown"));
}

#[test]
fn client_reply_on_inside_exec_after_off() {
    let s = TestServer::start();
    let mut r = s.raw();
    // Replies are off before the transaction: MULTI, QUEUED and EXEC's
    // header are dropped; what follows ON inside EXEC is sent.
    r.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    r.send_cmd(&["MULTI"]);
    r.send_cmd(&["SET", "a", "1"]);
    r.send_cmd(&["CLIENT", "REPLY", "ON"]);
    r.send_cmd(&["GET", "a"]);
    r.send_cmd(&["EXEC"]);
    assert_eq!(r.read_bytes(12), b"+OK\r\n$1\r\n1\r\n");
    assert_eq!(r.cmd(&["PING"]), pong());
}

#[test]
fn client_reply_skip_before_multi_skips_multi_only() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    r.send_cmd(&["MULTI"]);
    assert_eq!(r.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(r.cmd(&["EXEC"]), array(vec![ok()]));
}

#[test]
fn client_list_shows_the_transaction() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["CLIENT", "SETNAME", "tx"]);
    assert_eq!(client_field(&client_info(&mut a), "multi"), "-1");
    assert_eq!(client_field(&client_info(&mut a), "multi-mem"), "0");
    a.cmd(&["MULTI"]);
    a.cmd(&["SET", "key", "value"]);
    a.cmd(&["GET", "key"]);
    let line = client_line(&mut b, "tx");
    assert_eq!(client_field(&line, "flags"), "x");
    assert_eq!(client_field(&line, "multi"), "2");
    // Argument bytes plus a pointer per argument, as Redis counts.
    assert_eq!(client_field(&line, "multi-mem"), "57");
    // While EXEC runs the transaction is still open.
    a.cmd(&["CLIENT", "INFO"]);
    let Frame::Array(Some(replies)) = a.cmd(&["EXEC"]) else {
        panic!("EXEC reply");
    };
    let info = replies.last().expect("CLIENT INFO reply").as_text();
    assert_eq!(client_field(&info, "flags"), "x");
    assert_eq!(client_field(&info, "multi"), "3");
    assert_eq!(client_field(&info, "cmd"), "exec");
    assert_eq!(client_field(&client_info(&mut a), "multi"), "-1");
    assert_eq!(client_field(&client_info(&mut a), "flags"), "N");
    // A touched watch shows as `d`, with `x` once in MULTI.
    a.cmd(&["WATCH", "key"]);
    b.cmd(&["SET", "key", "other"]);
    a.cmd(&["MULTI"]);
    let line = client_line(&mut b, "tx");
    assert_eq!(client_field(&line, "flags"), "xd");
    assert_eq!(a.cmd(&["EXEC"]), nil_array());
}

#[test]
fn client_pause_write_holds_exec_with_writes() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    let mut admin = s.raw();
    // Read-only transactions run under a write pause.
    admin.cmd(&["SET", "foo", "bar"]);
    admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]);
    assert_eq!(
        transaction(&mut a, &[&["PING"], &["GET", "foo"]]),
        array(vec![pong(), Frame::bulk("bar")])
    );
    admin.cmd(&["CLIENT", "UNPAUSE"]);
    // An EXEC with a write waits for the end of the pause.
    b.cmd(&["MULTI"]);
    assert_eq!(b.cmd(&["SET", "foo", "new"]), queued());
    admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]);
    b.send_cmd(&["EXEC"]);
    assert!(wait_for(Duration::from_secs(5), || {
        blocked_clients(&mut admin) == 1
    }));
    assert_eq!(admin.cmd(&["GET", "foo"]), Frame::bulk("bar"));
    admin.cmd(&["CLIENT", "UNPAUSE"]);
    assert_eq!(b.read(), array(vec![ok()]));
    assert_eq!(admin.cmd(&["GET", "foo"]), Frame::bulk("new"));
    // Queueing a write is held too: QUEUED comes after the pause.
    admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]);
    b.cmd(&["MULTI"]);
    b.send_cmd(&["SET", "foo", "x"]);
    assert!(wait_for(Duration::from_secs(5), || {
        blocked_clients(&mut admin) == 1
    }));
    admin.cmd(&["CLIENT", "UNPAUSE"]);
    assert_eq!(b.read(), queued());
    assert_eq!(b.cmd(&["EXEC"]), array(vec![ok()]));
}

#[test]
fn client_pause_inside_a_transaction_starts_after_it() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut other = s.raw();
    let reply = transaction(
        &mut r,
        &[
            &["SET", "a", "1"],
            &["CLIENT", "PAUSE", "60000", "WRITE"],
            &["SET", "b", "2"],
        ],
    );
    assert_eq!(reply, array(vec![ok(), ok(), ok()]));
    other.send_cmd(&["SET", "c", "3"]);
    assert!(wait_for(Duration::from_secs(5), || {
        blocked_clients(&mut r) == 1
    }));
    assert_eq!(
        r.cmd(&["MGET", "a", "b", "c"]),
        array(vec![Frame::bulk("1"), Frame::bulk("2"), Frame::Bulk(None)])
    );
    r.cmd(&["CLIENT", "UNPAUSE"]);
    assert_eq!(other.read(), ok());
}

#[test]
fn monitor_is_refused_inside_exec() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(
        transaction(&mut r, &[&["MONITOR"]]),
        array(vec![err(
            "ERR MONITOR isn't allowed for DENY BLOCKING client"
        )])
    );
    assert_eq!(r.cmd(&["PING"]), pong());
}

#[test]
fn monitor_sees_the_commands_exec_ran() {
    let s = TestServer::start();
    let mut m = s.raw();
    assert_eq!(m.cmd(&["MONITOR"]), ok());
    let mut r = s.raw();
    transaction(&mut r, &[&["SET", "k", "v"]]);
    let lines: Vec<String> = (0..3).map(|_| m.read().as_text()).collect();
    assert!(lines[0].ends_with("\"MULTI\""), "{lines:?}");
    assert!(lines[1].ends_with("\"SET\" \"k\" \"v\""), "{lines:?}");
    assert!(lines[2].ends_with("\"EXEC\""), "{lines:?}");
}

#[test]
fn resp3_null_for_a_failed_watch() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["HELLO", "3"]);
    r.cmd(&["WATCH", "x"]);
    r.cmd(&["SET", "x", "1"]);
    r.cmd(&["MULTI"]);
    r.send_cmd(&["EXEC"]);
    assert_eq!(r.read_bytes(3), b"_\r\n");
}

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

#[test]
fn over_maxmemory_queueing_is_refused_and_exec_of_writes_aborts() {
    let srv = TestServer::start();
    let (mut r, mut admin) = (srv.raw(), srv.raw());
    let maxmemory = |admin: &mut Raw, v: &str| {
        assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", v]), ok());
    };
    // Refused while queueing: the transaction is doomed.
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["SET", "a", "1"]), queued());
    maxmemory(&mut admin, "1");
    assert_eq!(r.cmd(&["LPUSH", "l", "x"]), err(OOM));
    assert_eq!(
        r.cmd(&["GET", "a"]),
        err(OOM),
        "reads are not queued either"
    );
    maxmemory(&mut admin, "0");
    assert_eq!(r.cmd(&["EXEC"]), err(EXECABORT));
    // EXEC of a transaction holding a write is refused; of reads it runs.
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["SET", "b", "1"]), queued());
    maxmemory(&mut admin, "1");
    assert_eq!(
        r.cmd(&["EXEC"]),
        err(&format!(
            "EXECABORT Transaction discarded because of: {}",
            OOM
        ))
    );
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["GET", "b"]), err(OOM));
    assert_eq!(r.cmd(&["DISCARD"]), ok());
    assert_eq!(r.cmd(&["SET", "b", "1"]), err(OOM));
    assert_eq!(r.cmd(&["DEL", "b"]), Frame::Int(0), "DEL frees memory");
    maxmemory(&mut admin, "0");
    assert_eq!(
        transaction(&mut r, &[&["GET", "b"]]),
        array(vec![Frame::Bulk(None)])
    );
    assert_eq!(r.cmd(&["SET", "b", "1"]), ok());
}

#[test]
fn exec_of_reads_is_refused_once_the_server_became_a_stale_replica() {
    let s = TestServer::start_with(&["--replica-serve-stale-data", "no"]);
    let mut r = s.raw();
    let mut admin = s.raw();
    r.cmd(&["SET", "xx", "1"]);
    r.cmd(&["MULTI"]);
    assert_eq!(r.cmd(&["GET", "xx"]), Frame::Simple("QUEUED".into()));
    let nobody = common::free_port().to_string();
    admin.cmd(&["REPLICAOF", "127.0.0.1", &nobody]);
    assert_eq!(
        r.cmd(&["EXEC"]),
        Frame::Error(
            "EXECABORT Transaction discarded because of: MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
                .into()
        )
    );
    r.cmd(&["MULTI"]);
    admin.cmd(&["REPLICAOF", "NO", "ONE"]);
    r.cmd(&["GET", "xx"]);
    assert_eq!(r.cmd(&["EXEC"]), Frame::Array(Some(vec![Frame::bulk("1")])));
}
