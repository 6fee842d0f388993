//! List commands against the real binary: replies, reply types and error
//! texts as Redis 7.0.15 gives them (RESP2 and RESP3), the quicklist
//! encoding and its node layout, and the blocking commands: arrival order,
//! timeouts, chains of moves, wake-ups by RENAME and SWAPDB, CLIENT
//! UNBLOCK and disconnects.

mod common;

use common::{
    blocked_clients, bulks, client_id, err, ints, nil, nil_array, ok, wait_blocked, Frame, Raw,
    TestServer,
};
use std::time::{Duration, Instant};

/// `[key, element]`, as BLPOP answers.
fn popped(key: &str, element: &str) -> Frame {
    bulks(&[key, element])
}

/// `[key, [elements]]`, as LMPOP/BLMPOP answer.
fn popped_many(key: &str, elements: &[&str]) -> Frame {
    Frame::Array(Some(vec![Frame::bulk(key), bulks(elements)]))
}

fn lrange(r: &mut Raw, key: &str) -> Frame {
    r.cmd(&["LRANGE", key, "0", "-1"])
}

/// True if CLIENT LIST shows client `id` blocked (`flags=b`).
fn is_blocked(r: &mut Raw, id: &str) -> bool {
    r.cmd(&["CLIENT", "LIST", "ID", id])
        .as_text()
        .contains("flags=b ")
}

#[test]
fn push_pop_and_length() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["LPUSH", "l", "a", "b", "c", "d"]), Frame::Int(4));
    assert_eq!(r.cmd(&["RPUSH", "l", "0", "1", "2", "3"]), Frame::Int(8));
    assert_eq!(
        lrange(&mut r, "l"),
        bulks(&["d", "c", "b", "a", "0", "1", "2", "3"])
    );
    assert_eq!(r.cmd(&["LLEN", "l"]), Frame::Int(8));
    assert_eq!(r.cmd(&["LLEN", "missing"]), Frame::Int(0));
    assert_eq!(r.cmd(&["LPOP", "l"]), Frame::bulk("d"));
    assert_eq!(r.cmd(&["RPOP", "l"]), Frame::bulk("3"));
    assert_eq!(r.cmd(&["LPOP", "missing"]), nil());
    assert_eq!(r.cmd(&["TYPE", "l"]), Frame::Simple("list".into()));
    assert_eq!(
        r.cmd(&["LPUSH", "l"]),
        err("ERR wrong number of arguments for 'lpush' command")
    );
}

#[test]
fn pushx_only_touches_existing_lists() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["LPUSHX", "x", "a"]), Frame::Int(0));
    assert_eq!(r.cmd(&["RPUSHX", "x", "a"]), Frame::Int(0));
    assert_eq!(r.cmd(&["EXISTS", "x"]), Frame::Int(0));
    r.cmd(&["RPUSH", "x", "hellohellohellohello", "c"]);
    assert_eq!(r.cmd(&["RPUSHX", "x", "d"]), Frame::Int(3));
    assert_eq!(r.cmd(&["LPUSHX", "x", "a"]), Frame::Int(4));
    assert_eq!(r.cmd(&["RPUSHX", "x", "42", "x"]), Frame::Int(6));
    assert_eq!(r.cmd(&["LPUSHX", "x", "y3", "y2", "y1"]), Frame::Int(9));
    assert_eq!(
        lrange(&mut r, "x"),
        bulks(&[
            "y1",
            "y2",
            "y3",
            "a",
            "hellohellohellohello",
            "c",
            "d",
            "42",
            "x"
        ])
    );
}

#[test]
fn wrong_type_errors() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "s", "v"]);
    let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
    for cmd in [
        &["LPUSH", "s", "a"][..],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "2"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "-1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "x"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "d", "LEFT", "LEFT"],
        &["RPOPLPUSH", "s", "d"],
        &["LMPOP", "1", "s", "LEFT"],
        &["BLPOP", "s", "0"],
        &["BRPOP", "missing", "s", "0"],
        &["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "s", "d", "0"],
        &["BLMPOP", "0", "2", "missing", "s", "LEFT"],
    ] {
        assert_eq!(r.cmd(cmd), wrongtype, "{cmd:?}");
    }
    // A wrong-type destination stops a move before anything is popped.
    r.cmd(&["RPUSH", "src", "a", "b"]);
    assert_eq!(r.cmd(&["RPOPLPUSH", "src", "s"]), wrongtype);
    assert_eq!(r.cmd(&["LMOVE", "src", "s", "LEFT", "RIGHT"]), wrongtype);
    assert_eq!(lrange(&mut r, "src"), bulks(&["a", "b"]));
    assert_eq!(r.cmd(&["GET", "s"]), Frame::bulk("v"));
}

#[test]
fn pop_with_count_in_both_protocols() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&["LPUSH", "l", "aa", "bb", "cc", "dd", "ee", "ff", "gg"]),
        Frame::Int(7)
    );
    assert_eq!(r.cmd(&["LPOP", "l", "1"]), bulks(&["gg"]));
    assert_eq!(r.cmd(&["LPOP", "l", "2"]), bulks(&["ff", "ee"]));
    assert_eq!(r.cmd(&["RPOP", "l", "2"]), bulks(&["aa", "bb"]));
    assert_eq!(r.cmd(&["RPOP", "l", "0"]), Frame::Array(Some(vec![])));
    assert_eq!(r.cmd(&["RPOP", "l", "123"]), bulks(&["cc", "dd"]));
    assert_eq!(r.cmd(&["EXISTS", "l"]), Frame::Int(0));
    let range = err("ERR value is out of range, must be positive");
    assert_eq!(r.cmd(&["LPOP", "l", "-1"]), range);
    assert_eq!(r.cmd(&["LPOP", "l", "x"]), range);
    assert_eq!(
        r.cmd(&["LPOP", "l", "1", "1"]),
        err("ERR wrong number of arguments for 'lpop' command")
    );
    assert_eq!(
        r.cmd(&["RPOP", "l", "1", "1"]),
        err("ERR wrong number of arguments for 'rpop' command")
    );
    // Missing key: null bulk without a count, null array with one.
    assert_eq!(r.cmd(&["LPOP", "l"]), nil());
    assert_eq!(r.cmd(&["LPOP", "l", "0"]), nil_array());
    assert_eq!(r.cmd(&["RPOP", "l", "1"]), nil_array());
    r.cmd(&["HELLO", "3"]);
    for cmd in [
        &["LPOP", "l"][..],
        &["RPOP", "l", "0"],
        &["LMPOP", "1", "l", "LEFT"],
        &["LINDEX", "l", "0"],
        &["LPOS", "l", "x"],
        &["RPOPLPUSH", "l", "d"],
    ] {
        assert_eq!(r.cmd(cmd), Frame::Line(b'_', String::new()), "{cmd:?}");
    }
    r.cmd(&["RPUSH", "l", "x"]);
    assert_eq!(r.cmd(&["LPOP", "l", "0"]), Frame::Array(Some(vec![])));
}

#[test]
fn lindex_and_lset() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "99", "98", "hellohellohellohello", "96", "95"]);
    assert_eq!(r.cmd(&["LINDEX", "l", "0"]), Frame::bulk("99"));
    assert_eq!(r.cmd(&["LINDEX", "l", "-1"]), Frame::bulk("95"));
    assert_eq!(r.cmd(&["LINDEX", "l", "5"]), nil());
    assert_eq!(r.cmd(&["LINDEX", "l", "-6"]), nil());
    assert_eq!(r.cmd(&["LINDEX", "missing", "x"]), nil());
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(r.cmd(&["LINDEX", "l", "x"]), not_int);
    assert_eq!(r.cmd(&["LSET", "l", "1", "foo"]), ok());
    assert_eq!(r.cmd(&["LSET", "l", "-1", "bar"]), ok());
    assert_eq!(
        lrange(&mut r, "l"),
        bulks(&["99", "foo", "hellohellohellohello", "96", "bar"])
    );
    assert_eq!(
        r.cmd(&["LSET", "l", "10", "foo"]),
        err("ERR index out of range")
    );
    assert_eq!(r.cmd(&["LSET", "l", "x", "foo"]), not_int);
    assert_eq!(
        r.cmd(&["LSET", "missing", "0", "foo"]),
        err("ERR no such key")
    );
}

#[test]
fn lrange_indexes() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&[
        "RPUSH", "l", "big", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ]);
    let range = |r: &mut Raw, a: &str, b: &str| r.cmd(&["LRANGE", "l", a, b]);
    assert_eq!(
        range(&mut r, "1", "-2"),
        bulks(&["1", "2", "3", "4", "5", "6", "7", "8"])
    );
    assert_eq!(range(&mut r, "-3", "-1"), bulks(&["7", "8", "9"]));
    assert_eq!(range(&mut r, "4", "4"), bulks(&["4"]));
    assert_eq!(range(&mut r, "6", "2"), bulks(&[]));
    assert_eq!(range(&mut r, "-1", "-2"), bulks(&[]));
    assert_eq!(range(&mut r, "0", "-10"), bulks(&["big"]));
    assert_eq!(range(&mut r, "0", "-11"), bulks(&[]));
    assert_eq!(
        range(&mut r, "-1000", "1000"),
        bulks(&["big", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    );
    assert_eq!(r.cmd(&["LRANGE", "missing", "0", "-1"]), bulks(&[]));
    // The indexes are parsed before the key is looked up.
    assert_eq!(
        r.cmd(&["LRANGE", "missing", "x", "1"]),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn linsert_before_and_after() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "a", "big", "c", "d"]);
    assert_eq!(r.cmd(&["LINSERT", "l", "before", "c", "zz"]), Frame::Int(5));
    assert_eq!(r.cmd(&["LINSERT", "l", "AFTER", "c", "yy"]), Frame::Int(6));
    assert_eq!(r.cmd(&["LINSERT", "l", "after", "d", "dd"]), Frame::Int(7));
    assert_eq!(
        r.cmd(&["LINSERT", "l", "after", "bad", "x"]),
        Frame::Int(-1)
    );
    assert_eq!(r.cmd(&["LINSERT", "l", "before", "a", "aa"]), Frame::Int(8));
    assert_eq!(
        lrange(&mut r, "l"),
        bulks(&["aa", "a", "big", "zz", "c", "yy", "d", "dd"])
    );
    assert_eq!(
        r.cmd(&["LINSERT", "missing", "before", "a", "b"]),
        Frame::Int(0)
    );
    assert_eq!(
        r.cmd(&["LINSERT", "l", "aft3r", "aa", "42"]),
        err("ERR syntax error")
    );
}

#[test]
fn lrem_counts_and_directions() {
    let s = TestServer::start();
    let mut r = s.raw();
    let items = [
        "e", "foo", "bar", "foobar", "zap", "bar", "test", "foo", "foo",
    ];
    let mut push = vec!["RPUSH", "l"];
    push.extend(items);
    r.cmd(&push);
    assert_eq!(r.cmd(&["LREM", "l", "-1", "bar"]), Frame::Int(1));
    assert_eq!(
        lrange(&mut r, "l"),
        bulks(&["e", "foo", "bar", "foobar", "zap", "test", "foo", "foo"])
    );
    assert_eq!(r.cmd(&["LREM", "l", "-2", "foo"]), Frame::Int(2));
    assert_eq!(r.cmd(&["LREM", "l", "1", "nosuch"]), Frame::Int(0));
    assert_eq!(r.cmd(&["LREM", "l", "0", "bar"]), Frame::Int(1));
    assert_eq!(
        lrange(&mut r, "l"),
        bulks(&["e", "foo", "foobar", "zap", "test"])
    );
    for e in ["e", "foo", "foobar", "zap", "test"] {
        assert_eq!(r.cmd(&["LREM", "l", "0", e]), Frame::Int(1));
    }
    assert_eq!(r.cmd(&["EXISTS", "l"]), Frame::Int(0));
    assert_eq!(r.cmd(&["LREM", "missing", "0", "x"]), Frame::Int(0));
    assert_eq!(
        r.cmd(&["LREM", "l", "x", "a"]),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn ltrim_keeps_a_range() {
    let s = TestServer::start();
    let mut r = s.raw();
    let trim = |r: &mut Raw, a: &str, b: &str| {
        r.cmd(&["DEL", "l"]);
        r.cmd(&["RPUSH", "l", "1", "2", "3", "4", "big"]);
        assert_eq!(r.cmd(&["LTRIM", "l", a, b]), ok());
        lrange(r, "l")
    };
    assert_eq!(trim(&mut r, "0", "0"), bulks(&["1"]));
    assert_eq!(trim(&mut r, "1", "2"), bulks(&["2", "3"]));
    assert_eq!(trim(&mut r, "1", "-2"), bulks(&["2", "3", "4"]));
    assert_eq!(trim(&mut r, "-2", "-1"), bulks(&["4", "big"]));
    assert_eq!(
        trim(&mut r, "-10", "10"),
        bulks(&["1", "2", "3", "4", "big"])
    );
    assert_eq!(trim(&mut r, "0", "-5"), bulks(&["1"]));
    assert_eq!(trim(&mut r, "0", "-6"), bulks(&[]));
    assert_eq!(r.cmd(&["EXISTS", "l"]), Frame::Int(0));
    assert_eq!(trim(&mut r, "3", "1"), bulks(&[]));
    assert_eq!(r.cmd(&["LTRIM", "missing", "0", "1"]), ok());
    assert_eq!(
        r.cmd(&["LTRIM", "missing", "a", "1"]),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn lpos_options_and_errors() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"]);
    let lpos = |r: &mut Raw, extra: &[&str]| {
        let mut args = vec!["LPOS", "l", "c"];
        args.extend_from_slice(extra);
        r.cmd(&args)
    };
    assert_eq!(lpos(&mut r, &[]), Frame::Int(2));
    assert_eq!(lpos(&mut r, &["RANK", "2"]), Frame::Int(6));
    assert_eq!(lpos(&mut r, &["RANK", "4"]), nil());
    assert_eq!(lpos(&mut r, &["RANK", "-1"]), Frame::Int(7));
    assert_eq!(lpos(&mut r, &["RANK", "-2"]), Frame::Int(6));
    assert_eq!(lpos(&mut r, &["COUNT", "0"]), ints(&[2, 6, 7]));
    assert_eq!(lpos(&mut r, &["COUNT", "2"]), ints(&[2, 6]));
    assert_eq!(lpos(&mut r, &["COUNT", "0", "RANK", "2"]), ints(&[6, 7]));
    assert_eq!(lpos(&mut r, &["COUNT", "2", "RANK", "-1"]), ints(&[7, 6]));
    assert_eq!(lpos(&mut r, &["COUNT", "0", "MAXLEN", "1"]), ints(&[]));
    assert_eq!(lpos(&mut r, &["COUNT", "0", "MAXLEN", "3"]), ints(&[2]));
    assert_eq!(
        lpos(&mut r, &["COUNT", "0", "MAXLEN", "3", "RANK", "-1"]),
        ints(&[7, 6])
    );
    // Redis negates the rank without an overflow check: i64::MIN ends up
    // matching from the tail and ignoring COUNT.
    assert_eq!(
        lpos(&mut r, &["RANK", "-9223372036854775808", "COUNT", "2"]),
        ints(&[7, 6, 2])
    );
    assert_eq!(r.cmd(&["LPOS", "missing", "c"]), nil());
    assert_eq!(r.cmd(&["LPOS", "missing", "c", "COUNT", "1"]), ints(&[]));
    assert_eq!(
        lpos(&mut r, &["RANK", "0"]),
        err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
    );
    assert_eq!(
        lpos(&mut r, &["RANK", "x"]),
        err("ERR value is not an integer or out of range")
    );
    let count = err("ERR COUNT can't be negative");
    assert_eq!(lpos(&mut r, &["COUNT", "-1"]), count);
    assert_eq!(lpos(&mut r, &["COUNT", "x"]), count);
    assert_eq!(
        lpos(&mut r, &["MAXLEN", "-1"]),
        err("ERR MAXLEN can't be negative")
    );
    assert_eq!(lpos(&mut r, &["RANK"]), err("ERR syntax error"));
    assert_eq!(lpos(&mut r, &["FOO", "1"]), err("ERR syntax error"));
    // Options are checked before the key.
    assert_eq!(
        r.cmd(&["LPOS", "missing", "c", "MAXLEN", "-5"]),
        err("ERR MAXLEN can't be negative")
    );
}

#[test]
fn lmove_every_direction() {
    let s = TestServer::start();
    let mut r = s.raw();
    for (from, to, moved, dst) in [
        ("LEFT", "LEFT", "a", ["a", "x"]),
        ("LEFT", "RIGHT", "a", ["x", "a"]),
        ("RIGHT", "LEFT", "c", ["c", "x"]),
        ("right", "right", "c", ["x", "c"]),
    ] {
        r.cmd(&["DEL", "src", "dst"]);
        r.cmd(&["RPUSH", "src", "a", "b", "c"]);
        r.cmd(&["RPUSH", "dst", "x"]);
        assert_eq!(
            r.cmd(&["LMOVE", "src", "dst", from, to]),
            Frame::bulk(moved)
        );
        assert_eq!(lrange(&mut r, "dst"), bulks(&dst));
        assert_eq!(r.cmd(&["LLEN", "src"]), Frame::Int(2));
    }
    assert_eq!(
        r.cmd(&["LMOVE", "src", "dst", "UP", "LEFT"]),
        err("ERR syntax error")
    );
    assert_eq!(r.cmd(&["LMOVE", "missing", "dst", "LEFT", "LEFT"]), nil());
    // A move to a new list creates it; emptying the source deletes it.
    r.cmd(&["DEL", "src", "dst"]);
    r.cmd(&["RPUSH", "src", "only"]);
    assert_eq!(r.cmd(&["RPOPLPUSH", "src", "dst"]), Frame::bulk("only"));
    assert_eq!(r.cmd(&["EXISTS", "src"]), Frame::Int(0));
    assert_eq!(lrange(&mut r, "dst"), bulks(&["only"]));
    // Same source and destination rotates, even with one element.
    assert_eq!(r.cmd(&["RPOPLPUSH", "dst", "dst"]), Frame::bulk("only"));
    assert_eq!(lrange(&mut r, "dst"), bulks(&["only"]));
    r.cmd(&["RPUSH", "rot", "a", "big", "c"]);
    assert_eq!(r.cmd(&["RPOPLPUSH", "rot", "rot"]), Frame::bulk("c"));
    assert_eq!(lrange(&mut r, "rot"), bulks(&["c", "a", "big"]));
    assert_eq!(
        r.cmd(&["LMOVE", "rot", "rot", "LEFT", "RIGHT"]),
        Frame::bulk("c")
    );
    assert_eq!(lrange(&mut r, "rot"), bulks(&["a", "big", "c"]));
}

#[test]
fn lmpop_parsing_and_replies() {
    let s = TestServer::start();
    let mut r = s.raw();
    let arity = err("ERR wrong number of arguments for 'lmpop' command");
    assert_eq!(r.cmd(&["LMPOP", "1", "l"]), arity);
    let numkeys = err("ERR numkeys should be greater than 0");
    for n in ["0", "a", "-1"] {
        assert_eq!(r.cmd(&["LMPOP", n, "l", "LEFT"]), numkeys);
    }
    let syntax = err("ERR syntax error");
    for cmd in [
        &["LMPOP", "1", "l", "bad_where"][..],
        &["LMPOP", "1", "l", "LEFT", "bar_arg"],
        &["LMPOP", "1", "l", "RIGHT", "LEFT"],
        &["LMPOP", "1", "l", "COUNT"],
        &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"],
        &["LMPOP", "2", "l", "l2", "bad_arg"],
        &["LMPOP", "5", "l", "LEFT"],
        &["LMPOP", "9223372036854775807", "l", "LEFT"],
    ] {
        assert_eq!(r.cmd(cmd), syntax, "{cmd:?}");
    }
    let count = err("ERR count should be greater than 0");
    for n in ["0", "a", "-1"] {
        assert_eq!(r.cmd(&["LMPOP", "1", "l", "LEFT", "COUNT", n]), count);
    }
    r.cmd(&["RPUSH", "l", "a", "b", "c", "d", "e", "f"]);
    assert_eq!(
        r.cmd(&["LMPOP", "2", "l", "l", "LEFT", "COUNT", "2"]),
        popped_many("l", &["a", "b"])
    );
    assert_eq!(
        r.cmd(&["LMPOP", "2", "none", "l", "right", "count", "2"]),
        popped_many("l", &["f", "e"])
    );
    assert_eq!(
        r.cmd(&["LMPOP", "1", "l", "LEFT"]),
        popped_many("l", &["c"])
    );
    assert_eq!(
        r.cmd(&["LMPOP", "1", "l", "LEFT", "COUNT", "10"]),
        popped_many("l", &["d"])
    );
    assert_eq!(r.cmd(&["EXISTS", "l"]), Frame::Int(0));
    assert_eq!(r.cmd(&["LMPOP", "2", "l", "none", "LEFT"]), nil_array());
}

#[test]
fn encoding_and_node_layout() {
    let s = TestServer::start_with(&["--list-max-listpack-size", "5"]);
    let mut r = s.raw();
    let mut push = vec!["RPUSH", "five"];
    let numbers: Vec<String> = (1..=11).map(|i| i.to_string()).collect();
    push.extend(numbers.iter().map(String::as_str));
    r.cmd(&push);
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING", "five"]),
        Frame::bulk("quicklist")
    );
    let details = r.cmd(&["DEBUG", "OBJECT", "five"]).as_text();
    assert!(
        details.contains(
            " ql_nodes:3 ql_avg_node:3.67 ql_listpack_max:5 ql_compressed:0 ql_uncompressed_size:"
        ),
        "{details}"
    );
    // The fill applies to lists created after it changes.
    r.cmd(&["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    r.cmd(&["RPUSH", "dl", "a", "b", "1", "hello"]);
    let details = r.cmd(&["DEBUG", "OBJECT", "dl"]).as_text();
    assert!(
        details.contains("ql_nodes:1 ql_avg_node:4.00 ql_listpack_max:-2 "),
        "{details}"
    );
    // Digests equal the ones Redis 7.0.15 computes for the same data.
    assert_eq!(
        r.cmd(&["DEBUG", "DIGEST-VALUE", "dl"]),
        Frame::Array(Some(vec![Frame::Simple(
            "6f45e1c05cc51a29330dd56ccb4a3c04ec14f7d8".into()
        )]))
    );
    r.cmd(&["DEL", "five"]);
    assert_eq!(
        r.cmd(&["DEBUG", "DIGEST"]),
        Frame::Simple("8d01870008cc3fbbec8c52eaf537ee2b41d9bdf8".into())
    );
}

#[test]
fn packed_threshold_moves_big_elements_to_plain_nodes() {
    let s = TestServer::start();
    let mut r = s.raw();
    let bad = err("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
    assert_eq!(r.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"]), bad);
    assert_eq!(r.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1x"]), bad);
    assert_eq!(r.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5b"]), ok());
    r.cmd(&["RPUSH", "l", "aa", "bb", "cc", "dd", "ee"]);
    let big = "e".repeat(10);
    assert_eq!(r.cmd(&["LSET", "l", "2", &big]), ok());
    let details = r.cmd(&["DEBUG", "OBJECT", "l"]).as_text();
    assert!(details.contains("ql_nodes:3 "), "{details}");
    assert_eq!(lrange(&mut r, "l"), bulks(&["aa", "bb", &big, "dd", "ee"]));
    assert_eq!(
        r.cmd(&["LINSERT", "l", "BEFORE", "aa", &big]),
        Frame::Int(6)
    );
    assert_eq!(r.cmd(&["LSET", "l", "0", "x"]), ok());
    assert_eq!(r.cmd(&["LSET", "l", "3", "y"]), ok());
    assert_eq!(r.cmd(&["LREM", "l", "0", "bb"]), Frame::Int(1));
    assert_eq!(lrange(&mut r, "l"), bulks(&["x", "aa", "y", "dd", "ee"]));
    assert_eq!(r.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]), ok());
}

#[test]
fn long_lists_stay_consistent() {
    let s = TestServer::start_with(&["--list-max-listpack-size", "4"]);
    let mut r = s.raw();
    let mut expected: Vec<String> = Vec::new();
    for i in 0..300 {
        let v = if i % 7 == 0 {
            "x".repeat(200 + i)
        } else {
            i.to_string()
        };
        if i % 2 == 0 {
            r.cmd(&["RPUSH", "l", &v]);
            expected.push(v);
        } else {
            r.cmd(&["LPUSH", "l", &v]);
            expected.insert(0, v);
        }
    }
    for (i, v) in expected.iter().enumerate() {
        assert_eq!(r.cmd(&["LINDEX", "l", &i.to_string()]), Frame::bulk(v));
        let back = format!("-{}", expected.len() - i);
        assert_eq!(r.cmd(&["LINDEX", "l", &back]), Frame::bulk(v));
    }
    let all: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(lrange(&mut r, "l"), bulks(&all));
    assert_eq!(r.cmd(&["LTRIM", "l", "10", "-11"]), ok());
    assert_eq!(lrange(&mut r, "l"), bulks(&all[10..290]));
}

#[test]
fn blocking_pops_serve_existing_data_at_once() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["RPUSH", "blist", "a", "b", "big", "c", "d"]);
    assert_eq!(r.cmd(&["BLPOP", "blist", "1"]), popped("blist", "a"));
    assert_eq!(r.cmd(&["BRPOP", "blist", "1"]), popped("blist", "d"));
    assert_eq!(
        r.cmd(&["BLMPOP", "1", "1", "blist", "RIGHT", "COUNT", "2"]),
        popped_many("blist", &["c", "big"])
    );
    r.cmd(&["RPUSH", "second", "x"]);
    assert_eq!(
        r.cmd(&["BLPOP", "empty", "second", "blist", "1"]),
        popped("second", "x")
    );
    r.cmd(&["RPUSH", "target", "bar"]);
    assert_eq!(
        r.cmd(&["BRPOPLPUSH", "blist", "target", "1"]),
        Frame::bulk("b")
    );
    assert_eq!(r.cmd(&["EXISTS", "blist"]), Frame::Int(0));
    assert_eq!(
        r.cmd(&["BLMOVE", "target", "blist", "RIGHT", "LEFT", "1"]),
        Frame::bulk("bar")
    );
    assert_eq!(blocked_clients(&mut r), 0);
}

#[test]
fn blocking_timeouts_are_read_in_extended_precision() {
    let s = TestServer::start();
    let mut r = s.raw();
    // Redis reads the seconds as a C long double: 1e-4000 and hex are short
    // timeouts (1 and 4 milliseconds), 1e309 is a huge one, thus negative.
    // A 64-bit double refuses all three as not a float.
    for timeout in ["1e-4000", "0x1p-8"] {
        assert_eq!(r.cmd(&["BLPOP", "k", timeout]), nil_array(), "{timeout}");
    }
    assert_eq!(
        r.cmd(&["BLPOP", "k", "1e309"]),
        err("ERR timeout is negative")
    );
}

#[test]
fn blocking_timeout_arguments() {
    let s = TestServer::start();
    let mut r = s.raw();
    let negative = err("ERR timeout is negative");
    let not_float = err("ERR timeout is not a float or out of range");
    // Milliseconds beyond a C long long convert to a negative number there.
    for (timeout, expected) in [
        ("-1", &negative),
        ("1e20", &negative),
        ("inf", &negative),
        ("-inf", &negative),
        ("9223372036854776", &negative),
        ("abc", &not_float),
        ("1x", &not_float),
        ("nan", &not_float),
        (" 1", &not_float),
    ] {
        for cmd in [
            &["BLPOP", "k", timeout][..],
            &["BRPOP", "k", timeout],
            &["BRPOPLPUSH", "k", "d", timeout],
            &["BLMOVE", "k", "d", "LEFT", "LEFT", timeout],
            &["BLMPOP", timeout, "1", "k", "LEFT"],
        ] {
            assert_eq!(&r.cmd(cmd), expected, "{cmd:?}");
        }
    }
    // The timeout is checked even when data is waiting.
    r.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(r.cmd(&["BLPOP", "k", "-1"]), negative);
    // Positions and counts are checked before the timeout.
    assert_eq!(
        r.cmd(&["BLMOVE", "k", "d", "UP", "LEFT", "-1"]),
        err("ERR syntax error")
    );
    assert_eq!(
        r.cmd(&["BLMPOP", "-1", "1", "k", "LEFT", "COUNT", "0"]),
        err("ERR count should be greater than 0")
    );
}

#[test]
fn timeouts_have_sub_second_precision() {
    let s = TestServer::start();
    let mut r = s.raw();
    for (cmd, expected) in [
        (&["BLPOP", "k1", "k2", "0.2"][..], nil_array()),
        (&["BLMPOP", "0.2", "1", "k1", "LEFT"], nil_array()),
        // Redis 7.0 times every list block out with a null array.
        (&["BRPOPLPUSH", "k1", "d", "0.2"], nil_array()),
        (&["BLMOVE", "k1", "d", "LEFT", "RIGHT", "0.2"], nil_array()),
    ] {
        let started = Instant::now();
        assert_eq!(r.cmd(cmd), expected, "{cmd:?}");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(190), "{cmd:?} {waited:?}");
        assert!(waited < Duration::from_secs(3), "{cmd:?} {waited:?}");
    }
    assert_eq!(r.cmd(&["BLPOP", "k1", "0.001"]), nil_array());
    r.cmd(&["HELLO", "3"]);
    assert_eq!(
        r.cmd(&["BRPOP", "k1", "0.01"]),
        Frame::Line(b'_', String::new())
    );
    assert_eq!(
        r.cmd(&["BLMOVE", "k1", "d", "LEFT", "RIGHT", "0.01"]),
        Frame::Line(b'_', String::new())
    );
}

#[test]
fn blocked_clients_are_served_in_arrival_order() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut first = s.raw();
    let mut second = s.raw();
    first.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut r, 1);
    second.send_cmd(&["BRPOP", "q", "0"]);
    wait_blocked(&mut r, 2);
    let id = client_id(&mut r).to_string();
    assert!(!is_blocked(&mut r, &id));
    assert_eq!(r.cmd(&["RPUSH", "q", "one"]), Frame::Int(1));
    assert_eq!(first.read(), popped("q", "one"));
    assert_eq!(blocked_clients(&mut r), 1);
    // A variadic push serves the next client with one element only.
    assert_eq!(r.cmd(&["LPUSH", "q", "foo", "bar"]), Frame::Int(2));
    assert_eq!(second.read(), popped("q", "foo"));
    assert_eq!(lrange(&mut r, "q"), bulks(&["bar"]));
    assert_eq!(blocked_clients(&mut r), 0);
}

#[test]
fn blmpop_serves_counts_to_several_clients() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut c1 = s.raw();
    let mut c2 = s.raw();
    let mut c3 = s.raw();
    c1.send_cmd(&["BLMPOP", "0", "2", "b1", "b2", "LEFT", "COUNT", "1"]);
    wait_blocked(&mut r, 1);
    c2.send_cmd(&["BLMPOP", "0", "2", "b1", "b2", "RIGHT", "COUNT", "10"]);
    wait_blocked(&mut r, 2);
    c3.send_cmd(&["BLMPOP", "0", "2", "b1", "b2", "LEFT", "COUNT", "10"]);
    wait_blocked(&mut r, 3);
    r.cmd(&["LPUSH", "b1", "a", "b", "c", "d", "e"]);
    assert_eq!(c1.read(), popped_many("b1", &["e"]));
    assert_eq!(c2.read(), popped_many("b1", &["a", "b", "c", "d"]));
    assert_eq!(blocked_clients(&mut r), 1);
    r.cmd(&["RPUSH", "b2", "1", "2"]);
    assert_eq!(c3.read(), popped_many("b2", &["1", "2"]));
    assert_eq!(r.cmd(&["EXISTS", "b1", "b2"]), Frame::Int(0));
}

#[test]
fn pushed_keys_wake_blocked_pops() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut c = s.raw();
    // Same key several times.
    c.send_cmd(&["BLPOP", "l1", "l2", "l2", "l1", "0"]);
    wait_blocked(&mut r, 1);
    r.cmd(&["LPUSH", "l2", "b"]);
    assert_eq!(c.read(), popped("l2", "b"));
    assert_eq!(r.cmd(&["EXISTS", "l2"]), Frame::Int(0));
    // Data in the first key given wins.
    r.cmd(&["LPUSH", "l1", "a"]);
    r.cmd(&["LPUSH", "l2", "b"]);
    assert_eq!(c.cmd(&["BLPOP", "l2", "l1", "0"]), popped("l2", "b"));
    // A fractional timeout still blocks until data arrives.
    r.cmd(&["DEL", "l1"]);
    c.send_cmd(&["BRPOP", "l1", "5.5"]);
    wait_blocked(&mut r, 1);
    r.cmd(&["RPUSH", "l1", "x", "y"]);
    assert_eq!(c.read(), popped("l1", "y"));
}

#[test]
fn wrong_types_while_serving_keep_or_fail_as_redis() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut c = s.raw();
    let id = client_id(&mut c).to_string();
    // A key of another type is not a list becoming ready: stay blocked.
    c.send_cmd(&["BLPOP", "k1", "k2", "0"]);
    wait_blocked(&mut r, 1);
    r.cmd(&["SET", "k1", "string"]);
    assert!(is_blocked(&mut r, &id));
    r.cmd(&["RPUSH", "k2", "v"]);
    assert_eq!(c.read(), popped("k2", "v"));
    r.cmd(&["DEL", "k1"]);
    // BRPOPLPUSH whose destination has the wrong type fails when served
    // and leaves the source alone.
    r.cmd(&["SET", "target", "nolist"]);
    c.send_cmd(&["BRPOPLPUSH", "blist", "target", "0"]);
    wait_blocked(&mut r, 1);
    r.cmd(&["RPUSH", "blist", "a", "b", "c"]);
    assert_eq!(
        c.read(),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(lrange(&mut r, "blist"), bulks(&["a", "b", "c"]));
    assert_eq!(blocked_clients(&mut r), 0);
    // Another client blocked behind the failed one is still served.
    r.cmd(&["DEL", "blist"]);
    let mut other = s.raw();
    c.send_cmd(&["BRPOPLPUSH", "blist", "target", "0"]);
    wait_blocked(&mut r, 1);
    other.send_cmd(&["BRPOPLPUSH", "blist", "target2", "0"]);
    wait_blocked(&mut r, 2);
    r.cmd(&["LPUSH", "blist", "foo"]);
    assert!(c.read().as_text().starts_with("WRONGTYPE"));
    assert_eq!(other.read(), Frame::bulk("foo"));
    assert_eq!(lrange(&mut r, "target2"), bulks(&["foo"]));
}

#[test]
fn blmove_chains_and_cycles() {
    let s = TestServer::start();
    let mut r = s.raw();
    // A push serves a BLMOVE whose push serves a BLPOP on its target.
    let mut mover = s.raw();
    let mut popper = s.raw();
    popper.send_cmd(&["BLPOP", "target", "0"]);
    wait_blocked(&mut r, 1);
    mover.send_cmd(&["BLMOVE", "blist", "target", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut r, 2);
    r.cmd(&["RPUSH", "blist", "foo"]);
    assert_eq!(mover.read(), Frame::bulk("foo"));
    assert_eq!(popper.read(), popped("target", "foo"));
    assert_eq!(r.cmd(&["EXISTS", "blist", "target"]), Frame::Int(0));
    // Linked moves: list1 -> list2 -> list3.
    mover.send_cmd(&["BLMOVE", "list1", "list2", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut r, 1);
    popper.send_cmd(&["BLMOVE", "list2", "list3", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut r, 2);
    r.cmd(&["RPUSH", "list1", "foo"]);
    assert_eq!(mover.read(), Frame::bulk("foo"));
    assert_eq!(popper.read(), Frame::bulk("foo"));
    assert_eq!(lrange(&mut r, "list3"), bulks(&["foo"]));
    assert_eq!(r.cmd(&["EXISTS", "list1", "list2"]), Frame::Int(0));
    // A cycle stops once every blocked client was served.
    mover.send_cmd(&["BRPOPLPUSH", "c1", "c2", "0"]);
    wait_blocked(&mut r, 1);
    popper.send_cmd(&["BRPOPLPUSH", "c2", "c1", "0"]);
    wait_blocked(&mut r, 2);
    r.cmd(&["RPUSH", "c1", "foo"]);
    assert_eq!(mover.read(), Frame::bulk("foo"));
    assert_eq!(popper.read(), Frame::bulk("foo"));
    assert_eq!(lrange(&mut r, "c1"), bulks(&["foo"]));
    assert_eq!(r.cmd(&["EXISTS", "c2"]), Frame::Int(0));
    // Onto itself.
    mover.send_cmd(&["BRPOPLPUSH", "self", "self", "0"]);
    wait_blocked(&mut r, 1);
    r.cmd(&["RPUSH", "self", "x"]);
    assert_eq!(mover.read(), Frame::bulk("x"));
    assert_eq!(lrange(&mut r, "self"), bulks(&["x"]));
}

#[test]
fn rename_and_swapdb_wake_blocked_clients() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut c = s.raw();
    c.send_cmd(&["BLPOP", "foo", "0"]);
    wait_blocked(&mut r, 1);
    r.cmd(&["LPUSH", "bob", "abc", "def", "hij"]);
    assert_eq!(blocked_clients(&mut r), 1);
    assert_eq!(r.cmd(&["RENAME", "bob", "foo"]), ok());
    assert_eq!(c.read(), popped("foo", "hij"));
    r.cmd(&["SELECT", "1"]);
    r.cmd(&["RPUSH", "k", "hello"]);
    assert_eq!(c.cmd(&["SELECT", "9"]), ok());
    c.send_cmd(&["BRPOP", "k", "5"]);
    wait_blocked(&mut r, 1);
    assert_eq!(r.cmd(&["SWAPDB", "1", "9"]), ok());
    assert_eq!(c.read(), popped("k", "hello"));
}

#[test]
fn client_unblock_ends_blocks() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut c = s.raw();
    let id = client_id(&mut c).to_string();
    let timeout_reply = nil_array();
    for cmd in [
        &["BLPOP", "l", "0"][..],
        &["BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "1"],
        &["BLMOVE", "l", "d", "LEFT", "LEFT", "0"],
    ] {
        c.send_cmd(cmd);
        wait_blocked(&mut r, 1);
        assert!(is_blocked(&mut r, &id));
        assert_eq!(r.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Int(1));
        assert_eq!(c.read(), timeout_reply);
        c.send_cmd(cmd);
        wait_blocked(&mut r, 1);
        assert_eq!(r.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), Frame::Int(1));
        assert_eq!(c.read(), timeout_reply);
        c.send_cmd(cmd);
        wait_blocked(&mut r, 1);
        assert_eq!(r.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), Frame::Int(1));
        assert_eq!(
            c.read(),
            err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
        );
    }
    assert_eq!(r.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Int(0));
    assert_eq!(
        r.cmd(&["CLIENT", "UNBLOCK", "asd"]),
        err("ERR value is not an integer or out of range")
    );
    // The client and the list still work afterwards.
    c.send_cmd(&["BLPOP", "l", "0"]);
    wait_blocked(&mut r, 1);
    r.cmd(&["LPUSH", "l", "foo"]);
    assert_eq!(c.read(), popped("l", "foo"));
}

#[test]
fn disconnecting_while_blocked_loses_nothing() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut gone = s.raw();
    let mut waiting = s.raw();
    gone.send_cmd(&["BLPOP", "l", "0"]);
    wait_blocked(&mut r, 1);
    waiting.send_cmd(&["BLPOP", "l", "0"]);
    wait_blocked(&mut r, 2);
    drop(gone);
    wait_blocked(&mut r, 1);
    r.cmd(&["RPUSH", "l", "a", "b"]);
    assert_eq!(waiting.read(), popped("l", "a"));
    assert_eq!(lrange(&mut r, "l"), bulks(&["b"]));
    // Every element survives when nobody is left to serve.
    let mut alone = s.raw();
    alone.send_cmd(&["BRPOPLPUSH", "src", "dst", "0"]);
    wait_blocked(&mut r, 1);
    drop(alone);
    wait_blocked(&mut r, 0);
    r.cmd(&["RPUSH", "src", "x"]);
    assert_eq!(lrange(&mut r, "src"), bulks(&["x"]));
    assert_eq!(r.cmd(&["EXISTS", "dst"]), Frame::Int(0));
}

#[test]
fn emptied_and_retyped_keys_do_not_serve() {
    let s = TestServer::start();
    let mut r = s.raw();
    let mut c = s.raw();
    let id = client_id(&mut c).to_string();
    c.send_cmd(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut r, 1);
    // Writes that leave no list to take from keep the client waiting.
    r.cmd(&["SET", "src", "x"]);
    r.cmd(&["DEL", "src"]);
    r.cmd(&["RPUSH", "other", "x"]);
    assert!(is_blocked(&mut r, &id));
    r.cmd(&["RPUSH", "src", "1", "2"]);
    assert_eq!(c.read(), Frame::bulk("2"));
    assert_eq!(lrange(&mut r, "dst"), bulks(&["2"]));
    assert_eq!(lrange(&mut r, "src"), bulks(&["1"]));
}
