//! The Lua debugger over raw sockets, as `redis-cli --ldb` drives it:
//! SCRIPT DEBUG SYNC and YES, then EVAL, then debugger commands, each
//! answered with an array of status lines; the session ends with
//! `<endsession>`, the script's reply, and the connection closed. Every
//! test passes against redis-server 7.0.15 too
//! (`REDDISH_TEST_SERVER=$(command -v redis-server)`).

mod common;

use common::*;
use std::time::Duration;

/// An array of status lines: what the debugger sends at each stop.
fn lines(items: &[&str]) -> Frame {
    array(items.iter().map(|s| Frame::Simple(s.to_string())).collect())
}

/// A connection in a debugging session of `script` (no keys), stopped at
/// its first line.
fn session(s: &TestServer, mode: &str, script: &str) -> Raw {
    let mut r = s.raw();
    assert_eq!(r.cmd(&["SCRIPT", "DEBUG", mode]), ok());
    let first = r.cmd(&["EVAL", script, "0"]);
    assert_eq!(items(first).len(), 2);
    r
}

/// `c` to the end: the logs up to `<endsession>`, then the script's
/// reply; the connection is closed after it.
fn finish(r: &mut Raw) -> (Frame, Frame) {
    let logs = r.cmd(&["c"]);
    let reply = r.read();
    assert!(r.closed_within(Duration::from_secs(5)));
    (logs, reply)
}

const COUNTER: &str = "local a = 1\n\
local t = {1, 'x'}\n\
redis.call('set', 'k', a)\n\
redis.debug('at', a, t)\n\
return redis.call('incr', 'k')";

#[test]
fn a_sync_session_steps_prints_and_keeps_its_writes() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["SCRIPT", "DEBUG", "SYNC"]), ok());
    assert_eq!(
        r.cmd(&["EVAL", COUNTER, "0"]),
        lines(&[
            "* Stopped at 1, stop reason = step over",
            "-> 1   local a = 1"
        ])
    );
    assert_eq!(
        r.cmd(&["s"]),
        lines(&[
            "* Stopped at 2, stop reason = step over",
            "-> 2   local t = {1, 'x'}"
        ])
    );
    assert_eq!(
        r.cmd(&["n"]),
        lines(&[
            "* Stopped at 3, stop reason = step over",
            "-> 3   redis.call('set', 'k', a)"
        ])
    );
    assert_eq!(
        r.cmd(&["p"]),
        lines(&["<value> a = 1", "<value> t = {1; \"x\"}"])
    );
    assert_eq!(r.cmd(&["p", "t"]), lines(&["<value> {1; \"x\"}"]));
    assert_eq!(r.cmd(&["p", "nosuch"]), lines(&["No such variable."]));
    assert_eq!(
        r.cmd(&["l", "3", "1"]),
        lines(&[
            "   2   local t = {1, 'x'}",
            "-> 3   redis.call('set', 'k', a)",
            "   4   redis.debug('at', a, t)",
        ])
    );
    assert_eq!(
        r.cmd(&["t"]),
        lines(&["In top level:", "-> 3   redis.call('set', 'k', a)"])
    );
    // Stepping over a command logs it and its reply; redis.debug logs.
    assert_eq!(
        r.cmd(&["s"]),
        lines(&[
            "<redis> set k 1",
            "<reply> \"+OK\"",
            "* Stopped at 4, stop reason = step over",
            "-> 4   redis.debug('at', a, t)",
        ])
    );
    assert_eq!(
        r.cmd(&["s"]),
        lines(&[
            "<debug> line 4: \"at\", 1, {1; \"x\"}",
            "* Stopped at 5, stop reason = step over",
            "-> 5   return redis.call('incr', 'k')",
        ])
    );
    let (logs, reply) = finish(&mut r);
    assert_eq!(logs, lines(&["<endsession>"]));
    assert_eq!(reply, int(2));
    assert_eq!(s.raw().cmd(&["GET", "k"]), Frame::bulk("2"));
}

#[test]
fn breakpoints_and_redis_breakpoint_stop_the_script() {
    let s = TestServer::start();
    let script = "local n = 0\nfor i = 1, 3 do\n  n = n + i\nend\nredis.breakpoint()\nreturn n";
    let mut r = session(&s, "SYNC", script);
    assert_eq!(
        r.cmd(&["b", "3"]),
        lines(&["   2   for i = 1, 3 do", "  #3     n = n + i", "   4   end"])
    );
    assert_eq!(r.cmd(&["b", "99"]), lines(&["Wrong line number."]));
    assert_eq!(r.cmd(&["b", "x"]), lines(&["Invalid argument:'x'"]));
    assert_eq!(
        r.cmd(&["b"]),
        lines(&["1 breakpoints set:", "  #3     n = n + i"])
    );
    assert_eq!(
        r.cmd(&["c"]),
        lines(&[
            "* Stopped at 3, stop reason = break point",
            "->#3     n = n + i"
        ])
    );
    assert_eq!(
        r.cmd(&["c"]),
        lines(&[
            "* Stopped at 3, stop reason = break point",
            "->#3     n = n + i"
        ])
    );
    assert_eq!(r.cmd(&["p", "n"]), lines(&["<value> 1"]));
    assert_eq!(r.cmd(&["b", "-3"]), lines(&["Breakpoint removed."]));
    assert_eq!(
        r.cmd(&["c"]),
        lines(&[
            "* Stopped at 6, stop reason = redis.breakpoint() called",
            "-> 6   return n",
        ])
    );
    let (_, reply) = finish(&mut r);
    assert_eq!(reply, int(6));
}

#[test]
fn eval_and_redis_commands_run_inside_the_session() {
    let s = TestServer::start();
    let mut r = session(&s, "SYNC", "local x = 5\nreturn x");
    assert_eq!(r.cmd(&["e", "1 + 2"]), lines(&["<retval> 3"]));
    assert_eq!(r.cmd(&["e", "{1,", "2}"]), lines(&["<retval> {1; 2}"]));
    assert_eq!(
        r.cmd(&["e", "error('boom')"]),
        lines(&["<error> ldb_eval:1: boom"])
    );
    assert_eq!(
        r.cmd(&["e", "local y ="]),
        lines(&["<error> ldb_eval:1: unexpected symbol near '<eof>'"])
    );
    assert_eq!(
        r.cmd(&["r", "set", "dk", "v"]),
        lines(&["<redis> set dk v", "<reply> \"+OK\""])
    );
    assert_eq!(
        r.cmd(&["redis", "incr", "dk"]),
        lines(&[
            "<redis> incr dk",
            "<error> -ERR value is not an integer or out of range",
            "<reply> \"-ERR value is not an integer or out of range\"",
        ])
    );
    assert_eq!(
        r.cmd(&["r", "nosuch"]),
        lines(&[
            "<redis> nosuch",
            "<error> Unknown Redis command called from script"
        ])
    );
    // Values are cut at 256 bytes, with a hint the first time.
    let trimmed = format!("<retval> \"{} ...", "a".repeat(246));
    assert_eq!(
        r.cmd(&["e", "string.rep('a', 300)"]),
        lines(&[
            &trimmed,
            "<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.",
        ])
    );
    assert_eq!(
        r.cmd(&["m", "10"]),
        lines(&["<value> replies are truncated at 60 bytes."])
    );
    let trimmed = format!("<retval> \"{} ...", "a".repeat(50));
    assert_eq!(r.cmd(&["e", "string.rep('a', 70)"]), lines(&[&trimmed]));
    assert_eq!(
        r.cmd(&["m", "0"]),
        lines(&["<value> replies are unlimited."])
    );
    assert_eq!(
        r.cmd(&["x"]),
        lines(&["<error> Unknown Redis Lua debugger command or wrong number of arguments."])
    );
    let (_, reply) = finish(&mut r);
    assert_eq!(reply, int(5));
    assert_eq!(s.raw().cmd(&["GET", "dk"]), Frame::bulk("v"));
}

#[test]
fn abort_fails_the_script_and_keeps_what_it_wrote_in_sync_mode() {
    let s = TestServer::start();
    let mut r = session(&s, "SYNC", "redis.call('set', 'ab', '1')\nreturn 2");
    r.cmd(&["s"]);
    assert_eq!(r.cmd(&["a"]), lines(&["<endsession>"]));
    let reply = r.read();
    assert!(reply
        .as_text()
        .starts_with("ERR script aborted for user request script: "));
    assert!(r.closed_within(Duration::from_secs(5)));
    assert_eq!(s.raw().cmd(&["GET", "ab"]), Frame::bulk("1"));
}

#[test]
fn malformed_input_fails_the_script() {
    let s = TestServer::start();
    let mut r = session(&s, "SYNC", "return 1");
    // Inline commands are not understood: a protocol error.
    r.send(b"s\r\n");
    assert_eq!(r.read(), lines(&["<endsession>"]));
    assert!(r
        .read()
        .as_text()
        .starts_with("ERR protocol error script: "));
    // The server goes on.
    assert_eq!(s.raw().cmd(&["PING"]), pong());
}

#[test]
fn a_client_that_leaves_lets_the_script_finish() {
    let s = TestServer::start();
    let r = session(
        &s,
        "SYNC",
        "redis.call('set', 'gone', '1')\nredis.breakpoint()\nreturn 2",
    );
    drop(r);
    let mut other = s.raw();
    assert!(wait_for(Duration::from_secs(5), || other
        .cmd(&["GET", "gone"])
        == Frame::bulk("1")));
}

#[test]
fn evalsha_is_refused_and_pipelines_are_refused() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&["SCRIPT", "DEBUG", "maybe"]),
        err("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    );
    assert_eq!(r.cmd(&["SCRIPT", "DEBUG", "YES"]), ok());
    let sha = "a".repeat(40);
    assert_eq!(
        r.cmd(&["EVALSHA", &sha, "0"]),
        err("ERR Please use EVAL instead of EVALSHA for debugging")
    );
    assert_eq!(r.cmd(&["SCRIPT", "DEBUG", "NO"]), ok());
    let mut pipelined = encode(&["PING"]);
    pipelined.extend(encode(&["SCRIPT", "DEBUG", "SYNC"]));
    r.send(&pipelined);
    assert_eq!(r.read(), pong());
    assert_eq!(
        r.read(),
        err("ERR SCRIPT DEBUG must be called outside a pipeline")
    );
}

#[test]
fn a_forked_session_throws_its_writes_away_while_the_server_serves() {
    let s = TestServer::start();
    let mut other = s.raw();
    assert_eq!(other.cmd(&["SET", "fk", "before"]), ok());
    let mut r = session(
        &s,
        "YES",
        "redis.call('set', 'fk', 'during')\nreturn redis.call('get', 'fk')",
    );
    // The server answers while the session waits at its first line.
    assert_eq!(other.cmd(&["PING"]), pong());
    assert_eq!(
        r.cmd(&["s"]),
        lines(&[
            "<redis> set fk during",
            "<reply> \"+OK\"",
            "* Stopped at 2, stop reason = step over",
            "-> 2   return redis.call('get', 'fk')",
        ])
    );
    assert_eq!(other.cmd(&["GET", "fk"]), Frame::bulk("before"));
    let (logs, reply) = finish(&mut r);
    assert_eq!(logs, lines(&["<endsession>"]));
    assert_eq!(reply, Frame::bulk("during"));
    assert_eq!(other.cmd(&["GET", "fk"]), Frame::bulk("before"));
}

#[test]
fn a_script_running_too_long_is_stopped() {
    let s = TestServer::start();
    let mut other = s.raw();
    assert_eq!(
        other.cmd(&["CONFIG", "SET", "busy-reply-threshold", "100"]),
        ok()
    );
    let mut r = session(&s, "SYNC", "local i = 0\nwhile true do\n  i = i + 1\nend");
    assert_eq!(
        r.cmd(&["c"]),
        lines(&[
            "* Stopped at 3, stop reason = timeout reached, infinite loop?",
            "-> 3     i = i + 1",
        ])
    );
    // Gone while stopped for a timeout: the script is failed, the server
    // goes on.
    drop(r);
    assert_eq!(other.cmd(&["PING"]), pong());
}

#[test]
fn help_lists_the_commands() {
    let s = TestServer::start();
    let mut r = session(&s, "SYNC", "return 1");
    let help = texts(r.cmd(&["h"]));
    assert_eq!(help.len(), 30);
    assert_eq!(
        help.first().map(String::as_str),
        Some("Redis Lua debugger help:")
    );
    assert!(help.iter().any(|l| l.starts_with("[r]edis <cmd>")));
}
