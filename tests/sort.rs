//! SORT and SORT_RO against the real binary: numeric and ALPHA order,
//! LIMIT clamping, BY and GET patterns (keys, hash fields, `#`, constants),
//! the `nosort` native order of lists and sorted sets, STORE (list result,
//! empty result deletes, change counter), key extraction and the errors
//! exactly as Redis 7.0.15 words them.

mod common;

use common::{all_text, changes_since_save, err, texts, Frame, Raw, TestServer};

const BAD_WEIGHT: &str = "ERR One or more scores can't be converted into double";
const SYNTAX: &str = "ERR syntax error";

fn sort(r: &mut Raw, args: &[&str]) -> Vec<String> {
    texts(r.cmd(args))
}

#[test]
fn numeric_and_alpha_order() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "3", "1", "2", "10", "1.5", "-4"]);
    assert_eq!(
        sort(&mut r, &["SORT", "l"]),
        ["-4", "1", "1.5", "2", "3", "10"]
    );
    assert_eq!(
        sort(&mut r, &["SORT", "l", "DESC"]),
        ["10", "3", "2", "1.5", "1", "-4"]
    );
    assert_eq!(
        sort(&mut r, &["SORT", "l", "ALPHA"]),
        ["-4", "1", "1.5", "10", "2", "3"]
    );
    // Equal numbers are ordered by the element's bytes (reversed by DESC).
    r.cmd(&["RPUSH", "eq", "1.0", "1", "+1", "01"]);
    assert_eq!(sort(&mut r, &["SORT", "eq"]), ["+1", "01", "1", "1.0"]);
    assert_eq!(
        sort(&mut r, &["SORT", "eq", "DESC"]),
        ["1.0", "1", "01", "+1"]
    );
    // strtod rules: blanks before, hex, the empty string is 0.
    r.cmd(&["RPUSH", "odd", " 5", "0x10", ""]);
    assert_eq!(sort(&mut r, &["SORT", "odd"]), ["", " 5", "0x10"]);
    r.cmd(&["SADD", "set", "5", "3", "9"]);
    assert_eq!(sort(&mut r, &["SORT", "set", "DESC"]), ["9", "5", "3"]);
    r.cmd(&["ZADD", "z", "1", "a", "5", "b", "2", "c"]);
    assert_eq!(
        sort(&mut r, &["SORT", "z", "ALPHA", "DESC"]),
        ["c", "b", "a"]
    );
    assert_eq!(sort(&mut r, &["SORT", "missing"]), Vec::<String>::new());
    assert_eq!(
        sort(&mut r, &["SORT_RO", "l", "LIMIT", "0", "2"]),
        ["-4", "1"]
    );
}

#[test]
fn alpha_compares_c_strings_unless_stored() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "n", "a\0b", "a\0a", "a"]);
    // Collation stops at the NUL: all three are equal and keep their order.
    assert_eq!(sort(&mut r, &["SORT", "n", "ALPHA"]), ["a\0b", "a\0a", "a"]);
    assert_eq!(r.cmd(&["SORT", "n", "ALPHA", "STORE", "d"]), Frame::Int(3));
    assert_eq!(
        sort(&mut r, &["LRANGE", "d", "0", "-1"]),
        ["a", "a\0a", "a\0b"]
    );
}

#[test]
fn limit_is_clamped_like_redis() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "5", "4", "3", "2", "1"]);
    assert_eq!(sort(&mut r, &["SORT", "l", "LIMIT", "1", "2"]), ["2", "3"]);
    assert_eq!(
        sort(&mut r, &["SORT", "l", "LIMIT", "1", "2", "DESC"]),
        ["4", "3"]
    );
    assert_eq!(sort(&mut r, &["SORT", "l", "LIMIT", "-10", "100"]).len(), 5);
    assert!(sort(&mut r, &["SORT", "l", "LIMIT", "5", "10"]).is_empty());
    assert!(sort(&mut r, &["SORT", "l", "LIMIT", "0", "0"]).is_empty());
    assert_eq!(sort(&mut r, &["SORT", "l", "LIMIT", "3", "-5"]), ["4", "5"]);
    let huge = i64::MAX.to_string();
    assert_eq!(sort(&mut r, &["SORT", "l", "LIMIT", "4", &huge]), ["5"]);
}

#[test]
fn by_and_get_patterns() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "1", "2", "3"]);
    r.cmd(&["MSET", "w_1", "30", "w_2", "10", "w_3", "20"]);
    r.cmd(&["HSET", "h_1", "f", "b"]);
    r.cmd(&["HSET", "h_3", "f", "a"]);
    assert_eq!(sort(&mut r, &["SORT", "l", "BY", "w_*"]), ["2", "3", "1"]);
    assert_eq!(
        sort(
            &mut r,
            &["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"]
        ),
        ["2", "10", "3", "20", "1", "30"]
    );
    // A missing BY value weighs 0 (numeric) or sorts first (ALPHA).
    assert_eq!(
        sort(&mut r, &["SORT", "l", "BY", "h_*->f", "ALPHA"]),
        ["2", "3", "1"]
    );
    let reply = r.cmd(&["SORT", "l", "GET", "h_*->f", "GET", "nokey"]);
    let nil = Frame::Bulk(None);
    assert_eq!(
        reply,
        Frame::Array(Some(vec![
            Frame::bulk("b"),
            nil.clone(),
            nil.clone(),
            nil.clone(),
            Frame::bulk("a"),
            nil.clone(),
        ]))
    );
    // A trailing `->` is part of the key name.
    r.cmd(&["SET", "x:1->", "100"]);
    assert_eq!(
        sort(&mut r, &["SORT", "l", "BY", "nosort", "GET", "x:*->"])[0],
        "100"
    );
    // BY values that are not numbers fail the whole command.
    r.cmd(&["SET", "w_2", "nope"]);
    assert_eq!(r.cmd(&["SORT", "l", "BY", "w_*"]), err(BAD_WEIGHT));
    r.cmd(&["RPUSH", "bad", "1", "x"]);
    assert_eq!(r.cmd(&["SORT", "bad"]), err(BAD_WEIGHT));
    assert_eq!(sort(&mut r, &["SORT", "bad", "ALPHA"]), ["1", "x"]);
}

#[test]
fn nosort_keeps_native_order() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["LPUSH", "l", "2", "1", "4", "3", "5"]);
    assert_eq!(
        sort(&mut r, &["SORT", "l", "BY", "nosort"]),
        ["5", "3", "4", "1", "2"]
    );
    assert_eq!(
        sort(&mut r, &["SORT", "l", "BY", "nosort", "DESC"]),
        ["2", "1", "4", "3", "5"]
    );
    assert_eq!(
        sort(
            &mut r,
            &["SORT", "l", "BY", "nosort", "LIMIT", "1", "2", "DESC"]
        ),
        ["1", "4"]
    );
    r.cmd(&[
        "ZADD", "z", "1", "a", "5", "b", "2", "c", "10", "d", "3", "e",
    ]);
    assert_eq!(
        sort(&mut r, &["SORT", "z", "BY", "nosort"]),
        ["a", "c", "e", "b", "d"]
    );
    assert_eq!(
        sort(
            &mut r,
            &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"]
        ),
        ["d", "b"]
    );
    assert!(sort(&mut r, &["SORT", "z", "BY", "nosort", "LIMIT", "5", "10"]).is_empty());
    // SORT converts a compact sorted set for good, as Redis does.
    assert_eq!(r.cmd(&["OBJECT", "ENCODING", "z"]), Frame::bulk("skiplist"));
    // A set stored without sorting is sorted as text instead.
    r.cmd(&["SADD", "s", "b", "c", "a", "aa"]);
    assert_eq!(
        r.cmd(&["SORT", "s", "BY", "_", "STORE", "d"]),
        Frame::Int(4)
    );
    assert_eq!(
        sort(&mut r, &["LRANGE", "d", "0", "-1"]),
        ["a", "aa", "b", "c"]
    );
}

#[test]
fn store_replaces_deletes_and_counts_changes() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "3", "1", "2"]);
    r.cmd(&["SET", "dst", "old", "EX", "100"]);
    let before = changes_since_save(&mut r);
    assert_eq!(r.cmd(&["SORT", "l", "STORE", "dst"]), Frame::Int(3));
    assert_eq!(changes_since_save(&mut r), before + 3);
    assert_eq!(sort(&mut r, &["LRANGE", "dst", "0", "-1"]), ["1", "2", "3"]);
    assert_eq!(r.cmd(&["TTL", "dst"]), Frame::Int(-1));
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING", "dst"]),
        Frame::bulk("quicklist")
    );
    // GET values are stored too; missing ones as empty strings.
    r.cmd(&["SET", "w_1", "one"]);
    assert_eq!(
        r.cmd(&["SORT", "l", "GET", "w_*", "GET", "#", "STORE", "dst"]),
        Frame::Int(6)
    );
    assert_eq!(
        sort(&mut r, &["LRANGE", "dst", "0", "-1"]),
        ["one", "1", "", "2", "", "3"]
    );
    // An empty result deletes the destination.
    let before = changes_since_save(&mut r);
    assert_eq!(
        r.cmd(&["SORT", "l", "LIMIT", "10", "10", "STORE", "dst"]),
        Frame::Int(0)
    );
    assert_eq!(r.cmd(&["EXISTS", "dst"]), Frame::Int(0));
    assert_eq!(changes_since_save(&mut r), before + 1);
    assert_eq!(r.cmd(&["SORT", "nokey", "STORE", "dst"]), Frame::Int(0));
    assert_eq!(changes_since_save(&mut r), before + 1);
}

#[test]
fn errors_match_redis() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "1"]);
    r.cmd(&["SET", "str", "v"]);
    let not_int = "ERR value is not an integer or out of range";
    assert_eq!(r.cmd(&["SORT", "l", "LIMIT", "x", "1"]), err(not_int));
    assert_eq!(r.cmd(&["SORT", "l", "LIMIT", "1"]), err(SYNTAX));
    assert_eq!(r.cmd(&["SORT", "l", "foo"]), err(SYNTAX));
    assert_eq!(r.cmd(&["SORT", "l", "GET"]), err(SYNTAX));
    assert_eq!(r.cmd(&["SORT_RO", "l", "STORE", "x"]), err(SYNTAX));
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    assert_eq!(r.cmd(&["SORT", "str"]), err(wrongtype));
    // Options are checked before the key's type.
    assert_eq!(r.cmd(&["SORT", "str", "LIMIT", "a", "b"]), err(not_int));
}

#[test]
fn command_getkeys_finds_the_last_store() {
    let s = TestServer::start();
    let mut r = s.raw();
    let keys = |r: &mut Raw, args: &[&str]| {
        let mut full = vec!["COMMAND", "GETKEYS"];
        full.extend_from_slice(args);
        texts(r.cmd(&full))
    };
    assert_eq!(
        keys(&mut r, &["SORT", "abc", "STORE", "def"]),
        ["abc", "def"]
    );
    assert_eq!(
        keys(&mut r, &["SORT", "abc", "STORE", "bad", "STORE", "def"]),
        ["abc", "def"]
    );
    assert_eq!(
        keys(&mut r, &["SORT", "abc", "GET", "store", "LIMIT", "0", "1"]),
        ["abc"]
    );
    assert_eq!(keys(&mut r, &["SORT_RO", "abc", "BY", "x"]), ["abc"]);
    // The key specs carry Redis's notes.
    let info = all_text(&r.cmd(&["COMMAND", "INFO", "SORT"]));
    assert!(info.contains("For the optional STORE keyword."), "{info}");
}
