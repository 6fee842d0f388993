//! Generic keyspace commands against the real binary: replies, reply types
//! and error texts as Redis 7.0 gives them, SCAN's guarantee under
//! concurrent writes, and OBJECT introspection.

mod common;

use common::{bulks, err, ok, scan_all, scan_once, sorted, Frame, Raw, TestServer};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn del_and_unlink_count_what_they_removed() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["SET", "b", "2"]);
    r.cmd(&["SET", "c", "3"]);
    assert_eq!(r.cmd(&["DEL", "a", "missing", "a"]), Frame::Int(1));
    assert_eq!(r.cmd(&["UNLINK", "b", "c", "b"]), Frame::Int(2));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    assert_eq!(r.cmd(&["DEL", "a"]), Frame::Int(0));
    assert_eq!(
        r.cmd(&["DEL"]),
        err("ERR wrong number of arguments for 'del' command")
    );
}

#[test]
fn exists_counts_every_name_given() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["SET", "", "empty name"]);
    assert_eq!(r.cmd(&["EXISTS", "a", "a", "nope", "a"]), Frame::Int(3));
    assert_eq!(r.cmd(&["EXISTS", ""]), Frame::Int(1));
    assert_eq!(r.cmd(&["EXISTS", "nope"]), Frame::Int(0));
}

#[test]
fn type_is_a_status_reply() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "s", "x"]);
    assert_eq!(r.cmd(&["TYPE", "s"]), Frame::Simple("string".into()));
    assert_eq!(r.cmd(&["TYPE", "nope"]), Frame::Simple("none".into()));
}

#[test]
fn keys_matches_glob_patterns() {
    let s = TestServer::start();
    let mut r = s.raw();
    for k in ["foo_a", "foo_b", "foo_c", "key_x", "key_y", "key_z", "a*b"] {
        r.cmd(&["SET", k, "v"]);
    }
    assert_eq!(
        sorted(r.cmd(&["KEYS", "foo*"])),
        ["foo_a", "foo_b", "foo_c"]
    );
    assert_eq!(sorted(r.cmd(&["KEYS", "key_[^y]"])), ["key_x", "key_z"]);
    assert_eq!(sorted(r.cmd(&["KEYS", "a\\*b"])), ["a*b"]);
    assert_eq!(sorted(r.cmd(&["KEYS", "?oo_b"])), ["foo_b"]);
    assert_eq!(sorted(r.cmd(&["KEYS", "*"])).len(), 7);
    assert_eq!(r.cmd(&["KEYS", "nomatch*"]), Frame::Array(Some(vec![])));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(7));
}

#[test]
fn keys_leaves_out_expired_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "live", "v"]);
    r.cmd(&["SET", "gone", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(r.cmd(&["KEYS", "*"]), bulks(&["live"]));
}

#[test]
fn scan_walks_every_key_with_any_count() {
    let s = TestServer::start();
    let mut r = s.raw();
    for i in 0..100 {
        r.cmd(&["SET", &format!("key:{i}"), "v"]);
    }
    for count in ["1", "5", "10", "1000"] {
        let seen = scan_all(&mut r, &["SCAN"], &["COUNT", count]).0;
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), 100, "COUNT {count}");
    }
    let (cursor, keys) = scan_once(&mut r, &["SCAN", "0", "COUNT", "1000"]);
    assert_eq!((cursor.as_str(), keys.len()), ("0", 100));
    // An empty or signed cursor is a valid number, as strtoul reads it.
    assert_eq!(
        scan_once(&mut r, &["SCAN", "", "COUNT", "1000"]).1.len(),
        100
    );
    assert_eq!(
        scan_once(&mut r, &["SCAN", "+0", "COUNT", "1000"]).1.len(),
        100
    );
}

#[test]
fn scan_match_and_type_filter() {
    let s = TestServer::start();
    let mut r = s.raw();
    for i in 0..50 {
        r.cmd(&["SET", &format!("a:{i}"), "v"]);
        r.cmd(&["SET", &format!("b:{i}"), "v"]);
    }
    let seen = scan_all(&mut r, &["SCAN"], &["MATCH", "a:*", "COUNT", "7"]).0;
    assert_eq!(seen.len(), 50);
    assert!(seen.iter().all(|k| k.starts_with("a:")));
    assert_eq!(scan_all(&mut r, &["SCAN"], &["MATCH", "*"]).0.len(), 100);
    assert_eq!(
        scan_all(&mut r, &["SCAN"], &["TYPE", "STRING"]).0.len(),
        100
    );
    assert_eq!(scan_all(&mut r, &["SCAN"], &["TYPE", "list"]).0.len(), 0);
    assert_eq!(
        scan_all(&mut r, &["SCAN"], &["TYPE", "string", "MATCH", "b:1*"])
            .0
            .len(),
        11
    );
}

#[test]
fn scan_rejects_bad_cursors_and_options() {
    let s = TestServer::start();
    let mut r = s.raw();
    let invalid = err("ERR invalid cursor");
    for cursor in ["x", " 1", "1 ", "18446744073709551616", "-", "0x10"] {
        assert_eq!(r.cmd(&["SCAN", cursor]), invalid, "cursor {cursor:?}");
    }
    let syntax = err("ERR syntax error");
    assert_eq!(r.cmd(&["SCAN", "0", "COUNT", "0"]), syntax);
    assert_eq!(r.cmd(&["SCAN", "0", "COUNT", "-1"]), syntax);
    assert_eq!(r.cmd(&["SCAN", "0", "MATCH"]), syntax);
    assert_eq!(r.cmd(&["SCAN", "0", "TYPE"]), syntax);
    assert_eq!(r.cmd(&["SCAN", "0", "FOO", "bar"]), syntax);
    assert_eq!(
        r.cmd(&["SCAN", "0", "COUNT", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // The cursor is checked before the options.
    assert_eq!(r.cmd(&["SCAN", "x", "COUNT", "0"]), invalid);
}

#[test]
fn scan_drops_and_deletes_expired_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    for i in 0..20 {
        r.cmd(&["SET", &format!("tmp:{i}"), "v", "PX", "1"]);
        r.cmd(&["SET", &format!("keep:{i}"), "v"]);
    }
    std::thread::sleep(Duration::from_millis(10));
    let seen = scan_all(&mut r, &["SCAN"], &["COUNT", "3"]).0;
    assert_eq!(seen.len(), 20);
    assert!(seen.iter().all(|k| k.starts_with("keep:")));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(20));
}

/// Keys present from the first SCAN call to the last are all returned,
/// while another client keeps deleting other keys and adding new ones.
#[test]
fn scan_guarantee_holds_under_concurrent_writes() {
    let s = TestServer::start();
    let mut r = s.raw();
    for i in 0..1000 {
        r.cmd(&["SET", &format!("stable:{i}"), "v"]);
        r.cmd(&["SET", &format!("churn:{i}"), "v"]);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        let port = s.port;
        std::thread::spawn(move || {
            let mut w = Raw::connect(port);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                w.cmd(&["DEL", &format!("churn:{}", i % 1000)]);
                w.cmd(&["SET", &format!("new:{i}"), "v"]);
                i += 1;
            }
            i
        })
    };
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, keys) = scan_once(&mut r, &["SCAN", &cursor, "COUNT", "5"]);
        seen.extend(keys);
        calls += 1;
        if next == "0" {
            break;
        }
        cursor = next;
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().expect("writer thread");
    assert!(writes > 0 && calls > 10, "writes {writes}, calls {calls}");
    for i in 0..1000 {
        assert!(seen.contains(&format!("stable:{i}")), "stable:{i} missed");
    }
}

#[test]
fn randomkey_returns_live_keys_only() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["RANDOMKEY"]), Frame::Bulk(None));
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["SET", "b", "2"]);
    let mut picked = HashSet::new();
    for _ in 0..100 {
        picked.insert(r.cmd(&["RANDOMKEY"]).as_text());
    }
    assert_eq!(picked, HashSet::from(["a".to_string(), "b".to_string()]));
    r.cmd(&["FLUSHDB"]);
    for i in 0..50 {
        r.cmd(&["SET", &format!("x{i}"), "v", "PX", "1"]);
    }
    std::thread::sleep(Duration::from_millis(10));
    // Every key is expired: the pick deletes them and ends with null.
    assert_eq!(r.cmd(&["RANDOMKEY"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    r.cmd(&["SET", "live", "v"]);
    for i in 0..50 {
        r.cmd(&["SET", &format!("x{i}"), "v", "PX", "1"]);
    }
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(r.cmd(&["RANDOMKEY"]), Frame::bulk("live"));
}

#[test]
fn rename_moves_value_and_ttl() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "src", "hello"]);
    r.cmd(&["EXPIRE", "src", "100"]);
    assert_eq!(r.cmd(&["RENAME", "src", "dst"]), ok());
    assert_eq!(r.cmd(&["GET", "dst"]), Frame::bulk("hello"));
    assert_eq!(r.cmd(&["EXISTS", "src"]), Frame::Int(0));
    assert_eq!(r.cmd(&["TTL", "dst"]), Frame::Int(100));
    // The destination's own TTL does not survive.
    r.cmd(&["SET", "other", "x"]);
    r.cmd(&["SET", "volatile", "y", "EX", "100"]);
    assert_eq!(r.cmd(&["RENAME", "other", "volatile"]), ok());
    assert_eq!(r.cmd(&["GET", "volatile"]), Frame::bulk("x"));
    assert_eq!(r.cmd(&["TTL", "volatile"]), Frame::Int(-1));
}

#[test]
fn rename_edge_cases() {
    let s = TestServer::start();
    let mut r = s.raw();
    let no_such_key = err("ERR no such key");
    assert_eq!(r.cmd(&["RENAME", "nope", "x"]), no_such_key);
    assert_eq!(r.cmd(&["RENAME", "nope", "nope"]), no_such_key);
    assert_eq!(r.cmd(&["RENAMENX", "nope", "x"]), no_such_key);
    assert_eq!(r.cmd(&["RENAMENX", "nope", "nope"]), no_such_key);
    r.cmd(&["SET", "k", "v"]);
    r.cmd(&["EXPIRE", "k", "100"]);
    assert_eq!(r.cmd(&["RENAME", "k", "k"]), ok());
    assert_eq!(r.cmd(&["RENAMENX", "k", "k"]), Frame::Int(0));
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(100));
    // An expired source is missing.
    r.cmd(&["SET", "old", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(r.cmd(&["RENAME", "old", "x"]), no_such_key);
}

#[test]
fn renamenx_only_renames_onto_a_free_name() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["SET", "b", "2"]);
    assert_eq!(r.cmd(&["RENAMENX", "a", "b"]), Frame::Int(0));
    assert_eq!(r.cmd(&["GET", "a"]), Frame::bulk("1"));
    assert_eq!(r.cmd(&["GET", "b"]), Frame::bulk("2"));
    r.cmd(&["PEXPIRE", "a", "50000"]);
    assert_eq!(r.cmd(&["RENAMENX", "a", "c"]), Frame::Int(1));
    assert_eq!(r.cmd(&["GET", "c"]), Frame::bulk("1"));
    let Frame::Int(pttl) = r.cmd(&["PTTL", "c"]) else {
        panic!("PTTL not an integer");
    };
    assert!((49_000..=50_000).contains(&pttl), "pttl {pttl}");
}

#[test]
fn copy_within_and_across_databases() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "src", "value"]);
    assert_eq!(r.cmd(&["COPY", "src", "dst"]), Frame::Int(1));
    assert_eq!(r.cmd(&["GET", "dst"]), Frame::bulk("value"));
    // The copy is independent of the original.
    r.cmd(&["APPEND", "src", "-more"]);
    assert_eq!(r.cmd(&["GET", "dst"]), Frame::bulk("value"));
    r.cmd(&["SET", "other", "x"]);
    assert_eq!(r.cmd(&["COPY", "src", "other"]), Frame::Int(0));
    assert_eq!(r.cmd(&["GET", "other"]), Frame::bulk("x"));
    assert_eq!(r.cmd(&["COPY", "src", "other", "REPLACE"]), Frame::Int(1));
    assert_eq!(r.cmd(&["GET", "other"]), Frame::bulk("value-more"));
    assert_eq!(r.cmd(&["COPY", "nope", "x"]), Frame::Int(0));
    // Across databases: look at db 9 by swapping it with db 0.
    assert_eq!(r.cmd(&["COPY", "src", "src", "DB", "9"]), Frame::Int(1));
    assert_eq!(r.cmd(&["COPY", "src", "src", "db", "9"]), Frame::Int(0));
    r.cmd(&["SWAPDB", "0", "9"]);
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
    assert_eq!(r.cmd(&["GET", "src"]), Frame::bulk("value-more"));
}

#[test]
fn copy_keeps_ttl_and_checks_its_arguments() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "v", "1", "EX", "100"]);
    r.cmd(&["SET", "p", "1"]);
    r.cmd(&["COPY", "v", "v2"]);
    r.cmd(&["COPY", "p", "p2"]);
    assert_eq!(r.cmd(&["TTL", "v2"]), Frame::Int(100));
    assert_eq!(r.cmd(&["TTL", "p2"]), Frame::Int(-1));
    let same = err("ERR source and destination objects are the same");
    assert_eq!(r.cmd(&["COPY", "v", "v"]), same);
    assert_eq!(r.cmd(&["COPY", "v", "v", "DB", "0"]), same);
    let syntax = err("ERR syntax error");
    assert_eq!(r.cmd(&["COPY", "v", "x", "DB"]), syntax);
    assert_eq!(r.cmd(&["COPY", "v", "x", "FOO"]), syntax);
    assert_eq!(
        r.cmd(&["COPY", "v", "x", "DB", "notanumber"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        r.cmd(&["COPY", "v", "x", "DB", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        r.cmd(&["COPY", "v", "x", "DB", "-1"]),
        err("ERR DB index is out of range")
    );
}

#[test]
fn move_to_another_database() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v", "EX", "100"]);
    r.cmd(&["SET", "plain", "p"]);
    assert_eq!(r.cmd(&["MOVE", "k", "1"]), Frame::Int(1));
    assert_eq!(r.cmd(&["MOVE", "plain", "1"]), Frame::Int(1));
    assert_eq!(r.cmd(&["EXISTS", "k", "plain"]), Frame::Int(0));
    assert_eq!(r.cmd(&["MOVE", "k", "1"]), Frame::Int(0));
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Int(100));
    assert_eq!(r.cmd(&["TTL", "plain"]), Frame::Int(-1));
    // A key of that name in the target stops the move.
    r.cmd(&["SWAPDB", "0", "1"]);
    r.cmd(&["SET", "k", "here"]);
    assert_eq!(r.cmd(&["MOVE", "k", "1"]), Frame::Int(0));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("here"));
}

#[test]
fn move_argument_errors() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(
        r.cmd(&["MOVE", "k", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        r.cmd(&["MOVE", "k", "99999999999"]),
        err("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(
        r.cmd(&["MOVE", "k", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        r.cmd(&["MOVE", "k", "0"]),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(r.cmd(&["MOVE", "nope", "1"]), Frame::Int(0));
}

#[test]
fn swapdb_exchanges_contents() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "in0", "a"]);
    assert_eq!(r.cmd(&["SWAPDB", "0", "3"]), ok());
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    assert_eq!(r.cmd(&["SWAPDB", "3", "0"]), ok());
    assert_eq!(r.cmd(&["GET", "in0"]), Frame::bulk("a"));
    assert_eq!(r.cmd(&["SWAPDB", "0", "0"]), ok());
    assert_eq!(r.cmd(&["GET", "in0"]), Frame::bulk("a"));
    assert_eq!(
        r.cmd(&["SWAPDB", "x", "1"]),
        err("ERR invalid first DB index")
    );
    assert_eq!(
        r.cmd(&["SWAPDB", "0", "y"]),
        err("ERR invalid second DB index")
    );
    assert_eq!(
        r.cmd(&["SWAPDB", "0", "99999999999"]),
        err("ERR invalid second DB index")
    );
    assert_eq!(
        r.cmd(&["SWAPDB", "0", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        r.cmd(&["SWAPDB", "-1", "0"]),
        err("ERR DB index is out of range")
    );
}

#[test]
fn flushdb_and_flushall() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["MOVE", "a", "5"]);
    r.cmd(&["SET", "b", "1"]);
    assert_eq!(r.cmd(&["FLUSHDB"]), ok());
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    // Only the current database was emptied.
    r.cmd(&["SWAPDB", "0", "5"]);
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
    assert_eq!(r.cmd(&["FLUSHALL", "SYNC"]), ok());
    r.cmd(&["SWAPDB", "0", "5"]);
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    for i in 0..100 {
        r.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(r.cmd(&["FLUSHDB", "async"]), ok());
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(r.cmd(&["FLUSHALL", "ASYNC"]), ok());
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    let syntax = err("ERR syntax error");
    assert_eq!(r.cmd(&["FLUSHDB", "x"]), syntax);
    assert_eq!(r.cmd(&["FLUSHALL", "ASYNC", "SYNC"]), syntax);
}

#[test]
fn touch_counts_existing_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["SET", "b", "1"]);
    assert_eq!(r.cmd(&["TOUCH", "a", "b", "c", "a"]), Frame::Int(3));
    assert_eq!(r.cmd(&["TOUCH", "c"]), Frame::Int(0));
}

/// TTL, TYPE, EXISTS and OBJECT look at a key without using it; TOUCH and
/// GET count as accesses.
#[test]
fn idle_time_counts_only_real_accesses() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "a", "v"]);
    r.cmd(&["SET", "b", "v"]);
    assert_eq!(r.cmd(&["OBJECT", "IDLETIME", "a"]), Frame::Int(0));
    std::thread::sleep(Duration::from_millis(2100));
    for cmd in ["TTL", "PTTL", "TYPE", "EXISTS", "EXPIRETIME"] {
        r.cmd(&[cmd, "a"]);
    }
    r.cmd(&["OBJECT", "ENCODING", "a"]);
    let Frame::Int(idle) = r.cmd(&["OBJECT", "IDLETIME", "a"]) else {
        panic!("IDLETIME not an integer");
    };
    assert!(idle >= 2, "idle {idle}");
    r.cmd(&["TOUCH", "a"]);
    r.cmd(&["GET", "b"]);
    assert_eq!(r.cmd(&["OBJECT", "IDLETIME", "a"]), Frame::Int(0));
    assert_eq!(r.cmd(&["OBJECT", "IDLETIME", "b"]), Frame::Int(0));
}

#[test]
fn object_encoding_and_refcount() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "int", "12345"]);
    r.cmd(&["SET", "big", "10000"]);
    r.cmd(&["SET", "neg", "-1"]);
    r.cmd(&["SET", "emb", "hello"]);
    r.cmd(&["SET", "raw", &"x".repeat(45)]);
    assert_eq!(r.cmd(&["OBJECT", "ENCODING", "int"]), Frame::bulk("int"));
    assert_eq!(r.cmd(&["OBJECT", "ENCODING", "emb"]), Frame::bulk("embstr"));
    assert_eq!(r.cmd(&["OBJECT", "encoding", "raw"]), Frame::bulk("raw"));
    assert_eq!(r.cmd(&["OBJECT", "ENCODING", "nope"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["OBJECT", "REFCOUNT", "int"]), Frame::Int(1));
    r.cmd(&["SET", "int", "0"]);
    assert_eq!(
        r.cmd(&["OBJECT", "REFCOUNT", "int"]),
        Frame::Int(2147483647)
    );
    r.cmd(&["SET", "int", "9999"]);
    assert_eq!(
        r.cmd(&["OBJECT", "REFCOUNT", "int"]),
        Frame::Int(2147483647)
    );
    for key in ["big", "neg", "emb", "raw"] {
        assert_eq!(r.cmd(&["OBJECT", "REFCOUNT", key]), Frame::Int(1), "{key}");
    }
    assert_eq!(r.cmd(&["OBJECT", "REFCOUNT", "nope"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["OBJECT", "IDLETIME", "nope"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["OBJECT", "FREQ", "nope"]), Frame::Bulk(None));
    assert_eq!(
        r.cmd(&["OBJECT", "FREQ", "emb"]),
        err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
}

#[test]
fn object_help_and_subcommand_errors() {
    let s = TestServer::start();
    let mut r = s.raw();
    let Frame::Array(Some(lines)) = r.cmd(&["object", "help"]) else {
        panic!("OBJECT HELP is not an array");
    };
    assert_eq!(lines.len(), 15);
    assert_eq!(
        lines[0],
        Frame::Simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into())
    );
    assert_eq!(lines[1], Frame::Simple("ENCODING <key>".into()));
    assert_eq!(lines[14], Frame::Simple("    Prints this help.".into()));
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING"]),
        err("ERR wrong number of arguments for 'object|encoding' command")
    );
    assert_eq!(
        r.cmd(&["OBJECT", "HELP", "x"]),
        err("ERR wrong number of arguments for 'object|help' command")
    );
    assert_eq!(
        r.cmd(&["OBJECT", "foo"]),
        err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
    );
    assert_eq!(
        r.cmd(&["OBJECT"]),
        err("ERR wrong number of arguments for 'object' command")
    );
}

#[test]
fn lfu_policy_tracks_access_frequency() {
    // A log factor of 0 makes every access count, so the counts are exact.
    let s = TestServer::start_with(&["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"]);
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(r.cmd(&["OBJECT", "FREQ", "k"]), Frame::Int(5));
    // Reading counts; looking at metadata does not.
    r.cmd(&["GET", "k"]);
    r.cmd(&["EXISTS", "k"]);
    assert_eq!(r.cmd(&["OBJECT", "FREQ", "k"]), Frame::Int(6));
    // An overwrite counts as one access and keeps the counter; a copy starts afresh.
    r.cmd(&["SET", "k", "w"]);
    assert_eq!(r.cmd(&["OBJECT", "FREQ", "k"]), Frame::Int(7));
    r.cmd(&["COPY", "k", "k2"]);
    assert_eq!(r.cmd(&["OBJECT", "FREQ", "k2"]), Frame::Int(5));
    for _ in 0..200 {
        r.cmd(&["GET", "k"]);
    }
    let Frame::Int(freq) = r.cmd(&["OBJECT", "FREQ", "k"]) else {
        panic!("FREQ not an integer");
    };
    assert_eq!(freq, 208, "COPY read the source once, then 200 GETs");
    assert_eq!(
        r.cmd(&["OBJECT", "IDLETIME", "k"]),
        err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
}

#[test]
fn lru_policy_with_maxmemory_stops_integer_sharing() {
    let s = TestServer::start_with(&["--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lru"]);
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    assert_eq!(r.cmd(&["OBJECT", "REFCOUNT", "a"]), Frame::Int(1));
    let s = TestServer::start_with(&["--maxmemory", "1gb", "--maxmemory-policy", "allkeys-random"]);
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    assert_eq!(r.cmd(&["OBJECT", "REFCOUNT", "a"]), Frame::Int(2147483647));
}

#[test]
fn dbsize_counts_keys_of_the_current_database() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    for i in 0..10 {
        r.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(10));
    r.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
}
