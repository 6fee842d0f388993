//! Expiry commands against the real binary: setting, reading and removing
//! TTLs with millisecond precision, the NX/XX/GT/LT conditions and their
//! errors, and keys disappearing both lazily (on access) and actively
//! (without being accessed).

mod common;

use common::{err, int_of, now_ms, wait_for, Frame, TestServer};
use std::time::{Duration, Instant};

#[test]
fn expire_sets_a_ttl_in_seconds() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(r.cmd(&["EXPIRE", "k", "100"]), Frame::Int(1));
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(100));
    let pttl = int_of(r.cmd(&["PTTL", "k"]));
    assert!((99_000..=100_000).contains(&pttl), "pttl {pttl}");
    // Setting it again replaces it.
    assert_eq!(r.cmd(&["EXPIRE", "k", "200"]), Frame::Int(1));
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(200));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(r.cmd(&["EXPIRE", "nope", "100"]), Frame::Int(0));
}

#[test]
fn pexpire_has_millisecond_precision() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(r.cmd(&["PEXPIRE", "k", "1700"]), Frame::Int(1));
    let pttl = int_of(r.cmd(&["PTTL", "k"]));
    assert!((1600..=1700).contains(&pttl), "pttl {pttl}");
    // TTL rounds to the nearest second.
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(2));
    r.cmd(&["PEXPIRE", "k", "1200"]);
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(1));
    // A 300ms TTL: alive before, gone after.
    let start = Instant::now();
    r.cmd(&["PEXPIRE", "k", "300"]);
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert!(wait_for(Duration::from_secs(3), || r.cmd(&["GET", "k"])
        == Frame::Bulk(None)));
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(-2));
}

#[test]
fn expireat_and_pexpireat_take_unix_times() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    let at_ms = now_ms() + 100_600;
    assert_eq!(
        r.cmd(&["PEXPIREAT", "k", &at_ms.to_string()]),
        Frame::Int(1)
    );
    assert_eq!(r.cmd(&["PEXPIRETIME", "k"]), Frame::Int(at_ms));
    // EXPIRETIME rounds to the nearest second.
    assert_eq!(
        r.cmd(&["EXPIRETIME", "k"]),
        Frame::Int((at_ms + 500) / 1000)
    );
    let at_s = now_ms() / 1000 + 50;
    assert_eq!(r.cmd(&["EXPIREAT", "k", &at_s.to_string()]), Frame::Int(1));
    assert_eq!(r.cmd(&["EXPIRETIME", "k"]), Frame::Int(at_s));
    assert_eq!(r.cmd(&["PEXPIRETIME", "k"]), Frame::Int(at_s * 1000));
    let ttl = int_of(r.cmd(&["TTL", "k"]));
    assert!((48..=50).contains(&ttl), "ttl {ttl}");
    // Far future times work.
    assert_eq!(
        r.cmd(&["PEXPIREAT", "k", "9223372036854770000"]),
        Frame::Int(1)
    );
    assert_eq!(
        r.cmd(&["PEXPIRETIME", "k"]),
        Frame::Int(9223372036854770000)
    );
}

#[test]
fn ttl_family_reports_missing_and_persistent_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "plain", "v"]);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(r.cmd(&[cmd, "plain"]), Frame::Int(-1), "{cmd}");
        assert_eq!(r.cmd(&[cmd, "missing"]), Frame::Int(-2), "{cmd}");
    }
    assert_eq!(
        r.cmd(&["TTL"]),
        err("ERR wrong number of arguments for 'ttl' command")
    );
}

#[test]
fn persist_removes_the_ttl() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v", "EX", "100"]);
    assert_eq!(r.cmd(&["PERSIST", "k"]), Frame::Int(1));
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(-1));
    assert_eq!(r.cmd(&["PERSIST", "k"]), Frame::Int(0));
    assert_eq!(r.cmd(&["PERSIST", "missing"]), Frame::Int(0));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
}

#[test]
fn set_drops_the_ttl_and_keepttl_keeps_it() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v", "EX", "100"]);
    r.cmd(&["SET", "k", "w", "KEEPTTL"]);
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(100));
    r.cmd(&["SET", "k", "x"]);
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(-1));
}

#[test]
fn nx_xx_gt_lt_conditions() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "p", "v"]);
    r.cmd(&["SET", "t", "v", "EX", "100"]);
    let cases: &[(&str, &str, &str, i64, i64)] = &[
        // (key, seconds, option, reply, TTL afterwards)
        ("t", "200", "NX", 0, 100),
        ("p", "200", "nx", 1, 200),
        ("p", "100", "XX", 1, 100),
        ("t", "50", "GT", 0, 100),
        ("t", "200", "gt", 1, 200),
        ("t", "300", "LT", 0, 200),
        ("t", "100", "lt", 1, 100),
    ];
    for &(key, secs, opt, reply, ttl) in cases {
        assert_eq!(
            r.cmd(&["EXPIRE", key, secs, opt]),
            Frame::Int(reply),
            "{key} {secs} {opt}"
        );
        assert_eq!(r.cmd(&["TTL", key]), Frame::Int(ttl), "{key} {secs} {opt}");
    }
    // No TTL counts as infinite: GT never applies, LT always does.
    r.cmd(&["SET", "q", "v"]);
    assert_eq!(r.cmd(&["EXPIRE", "q", "100", "GT"]), Frame::Int(0));
    assert_eq!(r.cmd(&["EXPIRE", "q", "100", "XX"]), Frame::Int(0));
    assert_eq!(r.cmd(&["TTL", "q"]), Frame::Int(-1));
    assert_eq!(r.cmd(&["EXPIRE", "q", "100", "LT"]), Frame::Int(1));
    assert_eq!(r.cmd(&["TTL", "q"]), Frame::Int(100));
    r.cmd(&["SET", "q", "v"]);
    assert_eq!(r.cmd(&["EXPIRE", "q", "100", "XX", "LT"]), Frame::Int(0));
    r.cmd(&["EXPIRE", "q", "100"]);
    assert_eq!(r.cmd(&["PEXPIRE", "q", "50000", "XX", "LT"]), Frame::Int(1));
    assert_eq!(r.cmd(&["TTL", "q"]), Frame::Int(50));
    for opt in ["NX", "XX", "GT", "LT"] {
        assert_eq!(r.cmd(&["EXPIRE", "none", "100", opt]), Frame::Int(0));
    }
}

#[test]
fn condition_and_option_errors() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    let nx_conflict = err("ERR NX and XX, GT or LT options at the same time are not compatible");
    for opts in [["NX", "XX"], ["NX", "GT"], ["lt", "nx"]] {
        assert_eq!(r.cmd(&["EXPIRE", "k", "10", opts[0], opts[1]]), nx_conflict);
    }
    assert_eq!(
        r.cmd(&["PEXPIRE", "k", "10", "GT", "LT"]),
        err("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(r.cmd(&["EXPIRE", "k", "10", "GT", "LT", "NX"]), nx_conflict);
    assert_eq!(
        r.cmd(&["EXPIRE", "k", "200", "AB"]),
        err("ERR Unsupported option AB")
    );
    assert_eq!(
        r.cmd(&["EXPIRE", "k", "200", "XX", "ab"]),
        err("ERR Unsupported option ab")
    );
    // Options are checked before the time.
    assert_eq!(
        r.cmd(&["EXPIRE", "k", "x", "ab"]),
        err("ERR Unsupported option ab")
    );
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(r.cmd(&["EXPIRE", "k", "x"]), not_int);
    assert_eq!(r.cmd(&["EXPIRE", "k", ""]), not_int);
    assert_eq!(r.cmd(&["PEXPIREAT", "k", "1.5"]), not_int);
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(-1));
}

#[test]
fn overflowing_times_name_the_command() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    let cases = [
        ("EXPIRE", "9223370399119966", "expire"),
        ("EXPIRE", "9223372036854776", "expire"),
        ("EXPIRE", "-9223372036854776", "expire"),
        ("EXPIRE", "18446744073709561", "expire"),
        ("PEXPIRE", "9223372036854770000", "pexpire"),
        ("EXPIREAT", "9223372036854776", "expireat"),
        ("expireat", "-9999999999999999", "expireat"),
    ];
    for (cmd, time, name) in cases {
        let expected = err(&format!("ERR invalid expire time in '{name}' command"));
        assert_eq!(r.cmd(&[cmd, "k", time]), expected, "{cmd} {time}");
    }
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(-1));
}

#[test]
fn a_time_in_the_past_deletes_the_key() {
    let s = TestServer::start();
    let mut r = s.raw();
    let past_cases: &[&[&str]] = &[
        &["EXPIRE", "k", "-1"],
        &["EXPIRE", "k", "0"],
        &["PEXPIRE", "k", "-100"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "0"],
        &["PEXPIREAT", "k", "-9223372036854770000"],
        &["EXPIRE", "k", "-10", "LT"],
    ];
    for args in past_cases {
        r.cmd(&["SET", "k", "v"]);
        assert_eq!(r.cmd(args), Frame::Int(1), "{args:?}");
        assert_eq!(r.cmd(&["EXISTS", "k"]), Frame::Int(0), "{args:?}");
        assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(-2), "{args:?}");
    }
    // A condition that fails keeps the key.
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(r.cmd(&["EXPIRE", "k", "-10", "GT"]), Frame::Int(0));
    assert_eq!(r.cmd(&["EXISTS", "k"]), Frame::Int(1));
    r.cmd(&["SET", "t", "v", "EX", "100"]);
    assert_eq!(r.cmd(&["EXPIRE", "t", "-10", "XX"]), Frame::Int(1));
    assert_eq!(r.cmd(&["EXISTS", "t"]), Frame::Int(0));
}

/// Keys with a TTL disappear without anyone touching them: DBSIZE counts
/// keys without looking any of them up.
#[test]
fn active_expiry_removes_keys_nobody_reads() {
    let s = TestServer::start();
    let mut r = s.raw();
    for i in 0..50 {
        r.cmd(&["SET", &format!("tmp{i}"), "v", "PX", "100"]);
    }
    r.cmd(&["SET", "keep", "v"]);
    r.cmd(&["SET", "later", "v", "EX", "100"]);
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(52));
    assert!(wait_for(Duration::from_secs(5), || r.cmd(&["DBSIZE"])
        == Frame::Int(2)));
    assert_eq!(r.cmd(&["TTL", "later"]), Frame::Int(100));
}

/// With `hz 1` active expiry runs once a second, which leaves a window to
/// see an expired key still stored (DBSIZE) until something reads it.
#[test]
fn lazy_expiry_removes_a_key_when_it_is_read() {
    let s = TestServer::start_with(&["--hz", "1"]);
    let mut r = s.raw();
    // Wait for the cron to run: it then sleeps for about a second.
    r.cmd(&["SET", "sentinel", "v", "PX", "1"]);
    assert!(wait_for(Duration::from_secs(5), || r.cmd(&["DBSIZE"])
        == Frame::Int(0)));
    r.cmd(&["SET", "a", "v", "PX", "30"]);
    r.cmd(&["SET", "b", "v"]);
    r.cmd(&["PEXPIRE", "b", "30"]);
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(2));
    assert_eq!(r.cmd(&["EXISTS", "a"]), Frame::Int(0));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
    // Setting a TTL on an expired key does not bring it back.
    assert_eq!(r.cmd(&["EXPIRE", "b", "100"]), Frame::Int(0));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
}

#[test]
fn expired_keys_are_missing_for_every_command() {
    let s = TestServer::start();
    let mut r = s.raw();
    for key in ["a", "b", "c", "d"] {
        r.cmd(&["SET", key, "v", "PX", "1"]);
    }
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(r.cmd(&["GET", "a"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["EXISTS", "a", "b"]), Frame::Int(0));
    assert_eq!(r.cmd(&["TYPE", "c"]), Frame::Simple("none".into()));
    assert_eq!(r.cmd(&["PERSIST", "d"]), Frame::Int(0));
    assert_eq!(r.cmd(&["PTTL", "d"]), Frame::Int(-2));
    assert_eq!(r.cmd(&["OBJECT", "ENCODING", "d"]), Frame::Bulk(None));
}

/// Two keys (the only ones) that expired while active expiry was off, with a replica's
/// view of the stream attached after they expired.
fn two_expired_keys_watched(s: &TestServer) -> common::repl_stream::ReplStream {
    let mut r = s.raw();
    assert_eq!(r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), common::ok());
    assert_eq!(r.cmd(&["FLUSHALL"]), common::ok());
    r.cmd(&["SET", "foo1", "bar", "PX", "1"]);
    r.cmd(&["SET", "foo2", "bar", "PX", "1"]);
    // Time must pass: reading the keys would expire them.
    std::thread::sleep(Duration::from_millis(5));
    common::repl_stream::ReplStream::attach(s.port)
}

/// The stream's commands up to the marker SET, with the DELs' keys sorted.
fn stream_until_marker(
    r: &mut common::Raw,
    stream: &mut common::repl_stream::ReplStream,
) -> Vec<Vec<String>> {
    r.cmd(&["SET", "marker", "x"]);
    let mut seen = stream.until(&["SET", "marker", "x"]);
    for words in seen.iter_mut() {
        if words.first().is_some_and(|w| w == "DEL") {
            words.truncate(1);
        }
    }
    seen
}

#[test]
fn keys_scan_and_randomkey_expire_are_propagated_as_plain_dels() {
    let s = TestServer::start_with(&["--repl-diskless-sync", "no"]);
    let mut r = s.raw();
    for command in [&["SCAN", "0"][..], &["RANDOMKEY"]] {
        let mut stream = two_expired_keys_watched(&s);
        r.cmd(command);
        assert_eq!(
            stream_until_marker(&mut r, &mut stream),
            common::repl_stream::commands(&["SELECT 0", "DEL", "DEL", "SET marker x"]),
            "{command:?}"
        );
    }
}

#[test]
fn keys_scan_expires_inside_exec_are_wrapped_in_multi() {
    let s = TestServer::start_with(&["--repl-diskless-sync", "no"]);
    let mut r = s.raw();
    let mut stream = two_expired_keys_watched(&s);
    assert_eq!(r.cmd(&["MULTI"]), common::ok());
    assert_eq!(r.cmd(&["SCAN", "0"]), Frame::Simple("QUEUED".into()));
    r.cmd(&["EXEC"]);
    assert_eq!(
        stream_until_marker(&mut r, &mut stream),
        common::repl_stream::commands(&["SELECT 0", "MULTI", "DEL", "DEL", "EXEC", "SET marker x"])
    );
}
