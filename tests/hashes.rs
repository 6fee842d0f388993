//! Hash commands against the real binary: replies, reply types (RESP2 and
//! RESP3) and error texts as redis-server 7.0.15 gives them, the points
//! where a hash switches from `listpack` to `hashtable`, HSCAN's
//! completeness and HRANDFIELD's picks. Every expected reply was checked
//! against Redis; `REDDISH_TEST_SERVER=redis-server cargo test --test hashes`
//! runs the same tests against it.

mod common;

use common::{
    bulks, empty_array, encoding, err, items, nil, ok, scan_all, sorted, texts, Frame, Raw,
    TestServer,
};
use std::collections::{HashMap, HashSet};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";

/// A flat field/value array reply as a map.
fn pairs_of(frame: Frame) -> HashMap<String, String> {
    let flat = texts(frame);
    flat.chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

/// Creates `key` with fields f0..f{n-1} holding v0..v{n-1}.
fn fill(r: &mut Raw, key: &str, n: usize) {
    for i in 0..n {
        let (f, v) = (format!("f{i}"), format!("v{i}"));
        r.cmd(&["HSET", key, &f, &v]);
    }
}

#[test]
fn hset_hget_hmget_hsetnx_hmset() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["HSET", "h", "a", "1", "b", "2"]), Frame::Int(2));
    assert_eq!(r.cmd(&["HSET", "h", "a", "3", "c", "4"]), Frame::Int(1));
    assert_eq!(r.cmd(&["HSET", "h", "d", "5", "d", "6"]), Frame::Int(1));
    assert_eq!(r.cmd(&["HGET", "h", "a"]), Frame::bulk("3"));
    assert_eq!(r.cmd(&["HGET", "h", "d"]), Frame::bulk("6"));
    assert_eq!(r.cmd(&["HGET", "h", "zz"]), nil());
    assert_eq!(r.cmd(&["HGET", "nokey", "a"]), nil());
    assert_eq!(
        r.cmd(&["HMGET", "h", "a", "zz", "b"]),
        Frame::Array(Some(vec![Frame::bulk("3"), nil(), Frame::bulk("2")]))
    );
    assert_eq!(
        r.cmd(&["HMGET", "nokey", "a", "b"]),
        Frame::Array(Some(vec![nil(), nil()]))
    );
    assert_eq!(r.cmd(&["HSETNX", "h", "a", "9"]), Frame::Int(0));
    assert_eq!(r.cmd(&["HGET", "h", "a"]), Frame::bulk("3"));
    assert_eq!(r.cmd(&["HSETNX", "h", "e", "9"]), Frame::Int(1));
    assert_eq!(r.cmd(&["HSETNX", "new", "f", "v"]), Frame::Int(1));
    assert_eq!(r.cmd(&["HGET", "new", "f"]), Frame::bulk("v"));
    assert_eq!(r.cmd(&["HMSET", "h", "e", "5", "f", "6"]), ok());
    assert_eq!(r.cmd(&["HGET", "h", "e"]), Frame::bulk("5"));
    assert_eq!(r.cmd(&["HLEN", "h"]), Frame::Int(6));
    assert_eq!(r.cmd(&["TYPE", "h"]), Frame::Simple("hash".into()));
}

#[test]
fn arity_errors_name_the_command() {
    let s = TestServer::start();
    let mut r = s.raw();
    let arity = |name: &str| {
        err(&format!(
            "ERR wrong number of arguments for '{name}' command"
        ))
    };
    assert_eq!(r.cmd(&["HSET", "h", "a"]), arity("hset"));
    assert_eq!(r.cmd(&["HSET", "h", "a", "1", "b"]), arity("hset"));
    assert_eq!(r.cmd(&["HMSET", "h", "a", "1", "b"]), arity("hmset"));
    assert_eq!(r.cmd(&["HGET", "h"]), arity("hget"));
    assert_eq!(r.cmd(&["HDEL", "h"]), arity("hdel"));
    assert_eq!(r.cmd(&["HSCAN", "h"]), arity("hscan"));
    assert_eq!(r.cmd(&["HINCRBY", "h", "f"]), arity("hincrby"));
    assert_eq!(r.cmd(&["EXISTS", "h"]), Frame::Int(0));
}

#[test]
fn every_command_refuses_other_types() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "str", "x"]);
    let commands: &[&[&str]] = &[
        &["HSET", "str", "a", "1"],
        &["HMSET", "str", "a", "1"],
        &["HSETNX", "str", "a", "1"],
        &["HGET", "str", "a"],
        &["HMGET", "str", "a"],
        &["HGETALL", "str"],
        &["HKEYS", "str"],
        &["HVALS", "str"],
        &["HDEL", "str", "a"],
        &["HLEN", "str"],
        &["HSTRLEN", "str", "a"],
        &["HEXISTS", "str", "a"],
        &["HINCRBY", "str", "a", "1"],
        &["HINCRBYFLOAT", "str", "a", "1"],
        &["HRANDFIELD", "str"],
        &["HRANDFIELD", "str", "0"],
        &["HRANDFIELD", "str", "-3", "WITHVALUES"],
        &["HSCAN", "str", "0"],
    ];
    for cmd in commands {
        assert_eq!(r.cmd(cmd), err(WRONGTYPE), "{cmd:?}");
    }
    assert_eq!(r.cmd(&["GET", "str"]), Frame::bulk("x"));
    r.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(r.cmd(&["GET", "h"]), err(WRONGTYPE));
}

#[test]
fn hgetall_hkeys_hvals_in_both_protocols() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(r.cmd(&["HGETALL", "h"]), bulks(&["a", "1", "b", "2"]));
    assert_eq!(r.cmd(&["HKEYS", "h"]), bulks(&["a", "b"]));
    assert_eq!(r.cmd(&["HVALS", "h"]), bulks(&["1", "2"]));
    assert_eq!(r.cmd(&["HGETALL", "nokey"]), empty_array());
    assert_eq!(r.cmd(&["HKEYS", "nokey"]), empty_array());
    assert_eq!(r.cmd(&["HVALS", "nokey"]), empty_array());
    r.cmd(&["HELLO", "3"]);
    assert_eq!(
        r.cmd(&["HGETALL", "h"]),
        Frame::Typed(
            b'%',
            vec![
                Frame::bulk("a"),
                Frame::bulk("1"),
                Frame::bulk("b"),
                Frame::bulk("2")
            ]
        )
    );
    assert_eq!(r.cmd(&["HGETALL", "nokey"]), Frame::Typed(b'%', vec![]));
    assert_eq!(r.cmd(&["HKEYS", "h"]), bulks(&["a", "b"]));
    assert_eq!(r.cmd(&["HKEYS", "nokey"]), empty_array());
    assert_eq!(
        r.cmd(&["HGET", "h", "zz"]),
        Frame::Line(b'_', String::new())
    );
}

#[test]
fn hdel_counts_and_deletes_emptied_hashes() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["HDEL", "nokey", "a"]), Frame::Int(0));
    r.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(r.cmd(&["HDEL", "h", "x", "y"]), Frame::Int(0));
    assert_eq!(r.cmd(&["HDEL", "h", "a", "a", "c", "f"]), Frame::Int(2));
    assert_eq!(r.cmd(&["HGETALL", "h"]), bulks(&["b", "2"]));
    assert_eq!(r.cmd(&["HDEL", "h", "b", "b", "z"]), Frame::Int(1));
    assert_eq!(r.cmd(&["EXISTS", "h"]), Frame::Int(0));
    // A hash emptied before the last named field.
    r.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(
        r.cmd(&["HDEL", "h", "a", "b", "c", "d", "e"]),
        Frame::Int(3)
    );
    assert_eq!(r.cmd(&["EXISTS", "h"]), Frame::Int(0));
    // The same for a hashtable-encoded hash.
    fill(&mut r, "big", 600);
    assert_eq!(encoding(&mut r, "big"), "hashtable");
    for i in 0..600 {
        let f = format!("f{i}");
        assert_eq!(r.cmd(&["HDEL", "big", &f, &f]), Frame::Int(1));
    }
    assert_eq!(r.cmd(&["EXISTS", "big"]), Frame::Int(0));
}

#[test]
fn hlen_hstrlen_hexists() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&[
        "HSET",
        "h",
        "a",
        "hello",
        "n",
        "-9223372036854775808",
        "e",
        "",
    ]);
    assert_eq!(r.cmd(&["HLEN", "h"]), Frame::Int(3));
    assert_eq!(r.cmd(&["HLEN", "nokey"]), Frame::Int(0));
    assert_eq!(r.cmd(&["HSTRLEN", "h", "a"]), Frame::Int(5));
    assert_eq!(r.cmd(&["HSTRLEN", "h", "n"]), Frame::Int(20));
    assert_eq!(r.cmd(&["HSTRLEN", "h", "e"]), Frame::Int(0));
    assert_eq!(r.cmd(&["HSTRLEN", "h", "zz"]), Frame::Int(0));
    assert_eq!(r.cmd(&["HSTRLEN", "nokey", "a"]), Frame::Int(0));
    assert_eq!(r.cmd(&["HEXISTS", "h", "e"]), Frame::Int(1));
    assert_eq!(r.cmd(&["HEXISTS", "h", "zz"]), Frame::Int(0));
    assert_eq!(r.cmd(&["HEXISTS", "nokey", "a"]), Frame::Int(0));
}

#[test]
fn fields_and_values_are_binary_safe() {
    let s = TestServer::start();
    let mut r = s.raw();
    let field: &[u8] = b"f\0\r\n\xff";
    let value: &[u8] = b"\0v\r\n";
    assert_eq!(
        r.cmd_bytes(&[b"HSET", b"h", field, value, b"", b""]),
        Frame::Int(2)
    );
    assert_eq!(
        r.cmd_bytes(&[b"HGET", b"h", field]),
        Frame::Bulk(Some(value.to_vec()))
    );
    assert_eq!(r.cmd_bytes(&[b"HGET", b"h", b""]), Frame::bulk(""));
    assert_eq!(r.cmd_bytes(&[b"HGET", b"h", b"f"]), nil());
    assert_eq!(r.cmd(&["HLEN", "h"]), Frame::Int(2));
}

#[test]
fn hincrby_counts_and_refuses_what_redis_refuses() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["HINCRBY", "h", "n", "2"]), Frame::Int(2));
    assert_eq!(r.cmd(&["HINCRBY", "h", "n", "-5"]), Frame::Int(-3));
    assert_eq!(r.cmd(&["HGET", "h", "n"]), Frame::bulk("-3"));
    r.cmd(&["HSET", "h", "big", "17179869184"]);
    assert_eq!(
        r.cmd(&["HINCRBY", "h", "big", "17179869184"]),
        Frame::Int(34359738368)
    );
    let not_integer = err("ERR hash value is not an integer");
    for bad in [" 11", "11 ", "1.5", "", "abc"] {
        r.cmd(&["HSET", "h", "s", bad]);
        assert_eq!(r.cmd(&["HINCRBY", "h", "s", "1"]), not_integer, "{bad:?}");
    }
    assert_eq!(r.cmd(&["HINCRBY", "h", "n", "x"]), err(NOT_INTEGER));
    assert_eq!(r.cmd(&["HINCRBY", "h", "n", "1.0"]), err(NOT_INTEGER));
    r.cmd(&["HSET", "h", "n", "-9223372036854775484"]);
    assert_eq!(
        r.cmd(&["HINCRBY", "h", "n", "-1"]),
        Frame::Int(-9223372036854775485)
    );
    let overflow = err("ERR increment or decrement would overflow");
    assert_eq!(r.cmd(&["HINCRBY", "h", "n", "-10000"]), overflow);
    r.cmd(&["HSET", "h", "m", "1"]);
    assert_eq!(
        r.cmd(&["HINCRBY", "h", "m", "9223372036854775807"]),
        overflow
    );
    // A failed increment on a missing key leaves no key behind.
    assert_eq!(r.cmd(&["HINCRBY", "nokey", "f", "x"]), err(NOT_INTEGER));
    assert_eq!(r.cmd(&["EXISTS", "nokey"]), Frame::Int(0));
}

#[test]
fn hincrbyfloat_formats_and_refuses_like_redis() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "f", "2.5"]),
        Frame::bulk("2.5")
    );
    assert_eq!(r.cmd(&["HINCRBYFLOAT", "h", "f", "3.5"]), Frame::bulk("6"));
    assert_eq!(r.cmd(&["HGET", "h", "f"]), Frame::bulk("6"));
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "x", "1.23"]),
        Frame::bulk("1.23")
    );
    assert_eq!(r.cmd(&["HINCRBYFLOAT", "h", "x", "0.77"]), Frame::bulk("2"));
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "x", "-0.1"]),
        Frame::bulk("1.9")
    );
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "f", "1e3"]),
        Frame::bulk("1006")
    );
    r.cmd(&["HSET", "h", "i", "17179869184"]);
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "i", "1"]),
        Frame::bulk("17179869185")
    );
    let not_float = err("ERR hash value is not a float");
    for bad in [" 11", "11 ", "abc", "1\u{0}2", ""] {
        r.cmd(&["HSET", "h", "s", bad]);
        assert_eq!(
            r.cmd(&["HINCRBYFLOAT", "h", "s", "1"]),
            not_float,
            "{bad:?}"
        );
    }
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "f", "abc"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "f", "nan"]),
        err("ERR value is not a valid float")
    );
    for inf in ["+inf", "-inf", "inf"] {
        assert_eq!(
            r.cmd(&["HINCRBYFLOAT", "hfoo", "f", inf]),
            err("ERR value is NaN or Infinity")
        );
    }
    assert_eq!(r.cmd(&["EXISTS", "hfoo"]), Frame::Int(0));
}

#[test]
fn hincrbyfloat_works_in_80_bit_extended_precision() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["HSET", "h", "n", "10"]);
    // A 64-bit double says 9223372036854776000.
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "n", "9223372036854775807"]),
        Frame::bulk("9223372036854775817")
    );
    assert_eq!(
        r.cmd(&["HGET", "h", "n"]),
        Frame::bulk("9223372036854775817")
    );
    for (start, incr, want) in [
        // A 64-bit double gives 0.30000000000000004 and 9007199254740992.
        ("0.1", "0.2", "0.3"),
        ("9007199254740993", "0", "9007199254740993"),
        ("0", "0x1.8p3", "12"),
        ("0X10", "1", "17"),
        ("0", "5.0e3", "5000"),
        ("1", "1e-17", "1.00000000000000001"),
        ("-0", "-0", "0"),
    ] {
        r.cmd(&["HSET", "h", "f", start]);
        assert_eq!(
            r.cmd(&["HINCRBYFLOAT", "h", "f", incr]),
            Frame::bulk(want),
            "{start} + {incr}"
        );
        assert_eq!(r.cmd(&["HGET", "h", "f"]), Frame::bulk(want));
    }
    for incr in ["inf", "-INFINITY"] {
        assert_eq!(
            r.cmd(&["HINCRBYFLOAT", "h", "f", incr]),
            err("ERR value is NaN or Infinity")
        );
    }
    for incr in ["1e-4951", "0x1.0000000000000001p-16446"] {
        assert_eq!(
            r.cmd(&["HINCRBYFLOAT", "h", "f", incr]),
            err("ERR value is not a valid float")
        );
    }
    r.cmd(&["HSET", "h", "max", "1.18973149535723176502e4932"]);
    assert_eq!(
        r.cmd(&["HINCRBYFLOAT", "h", "max", "1e4913"]),
        err("ERR increment would produce NaN or Infinity")
    );
}

#[test]
fn listpack_until_the_entry_limit_then_hashtable_for_good() {
    let s = TestServer::start_with(&["--hash-max-listpack-entries", "4"]);
    let mut r = s.raw();
    fill(&mut r, "h", 4);
    assert_eq!(encoding(&mut r, "h"), "listpack");
    // Updating an existing field adds no entry.
    r.cmd(&["HSET", "h", "f0", "new"]);
    assert_eq!(encoding(&mut r, "h"), "listpack");
    r.cmd(&["HSET", "h", "f4", "v4"]);
    assert_eq!(encoding(&mut r, "h"), "hashtable");
    r.cmd(&["HDEL", "h", "f1", "f2", "f3", "f4"]);
    assert_eq!(encoding(&mut r, "h"), "hashtable");
    assert_eq!(r.cmd(&["HGETALL", "h"]), bulks(&["f0", "new"]));
    // One HSET adding past the limit converts too.
    r.cmd(&[
        "HSET", "m", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5",
    ]);
    assert_eq!(encoding(&mut r, "m"), "hashtable");
    assert_eq!(r.cmd(&["HLEN", "m"]), Frame::Int(5));
    // So do HSETNX and HINCRBY adding the fifth field.
    fill(&mut r, "n", 4);
    r.cmd(&["HSETNX", "n", "x", "1"]);
    assert_eq!(encoding(&mut r, "n"), "hashtable");
    fill(&mut r, "i", 4);
    r.cmd(&["HINCRBY", "i", "x", "1"]);
    assert_eq!(encoding(&mut r, "i"), "hashtable");
    // The limit is read at each write.
    r.cmd(&["CONFIG", "SET", "hash-max-ziplist-entries", "0"]);
    r.cmd(&["HSET", "z", "a", "1"]);
    assert_eq!(encoding(&mut r, "z"), "hashtable");
}

#[test]
fn listpack_until_a_long_field_or_value() {
    let s = TestServer::start_with(&["--hash-max-listpack-value", "8"]);
    let mut r = s.raw();
    r.cmd(&["HSET", "h", "12345678", "abcdefgh"]);
    assert_eq!(encoding(&mut r, "h"), "listpack");
    r.cmd(&["HSET", "h", "k", "abcdefghi"]);
    assert_eq!(encoding(&mut r, "h"), "hashtable");
    assert_eq!(r.cmd(&["HGET", "h", "12345678"]), Frame::bulk("abcdefgh"));
    r.cmd(&["HSET", "f", "abcdefghi", "v"]);
    assert_eq!(encoding(&mut r, "f"), "hashtable");
    // Any long argument of one HSET converts, even for a field already there.
    r.cmd(&["HSET", "g", "a", "1"]);
    r.cmd(&["HSET", "g", "a", "2", "b", "123456789"]);
    assert_eq!(encoding(&mut r, "g"), "hashtable");
    r.cmd(&["HSETNX", "n", "a", "123456789"]);
    assert_eq!(encoding(&mut r, "n"), "hashtable");
    // HINCRBYFLOAT results count too: 0.000005 has 8 bytes, 0.0000005 nine.
    r.cmd(&["HSET", "small", "tmp", "0"]);
    r.cmd(&["HSET", "large", "tmp", "0"]);
    r.cmd(&["HINCRBYFLOAT", "small", "tmp", "0.000005"]);
    r.cmd(&["HINCRBYFLOAT", "large", "tmp", "0.0000005"]);
    assert_eq!(encoding(&mut r, "small"), "listpack");
    assert_eq!(encoding(&mut r, "large"), "hashtable");
    r.cmd(&["HINCRBYFLOAT", "fs", "abcdefgh", "1"]);
    r.cmd(&["HINCRBYFLOAT", "fl", "abcdefghi", "1"]);
    assert_eq!(encoding(&mut r, "fs"), "listpack");
    assert_eq!(encoding(&mut r, "fl"), "hashtable");
}

#[test]
fn old_ziplist_option_names_set_the_same_limits() {
    let s = TestServer::start_with(&[
        "--hash-max-ziplist-entries",
        "2",
        "--hash-max-ziplist-value",
        "3",
    ]);
    let mut r = s.raw();
    r.cmd(&["HSET", "a", "x", "1", "y", "2"]);
    assert_eq!(encoding(&mut r, "a"), "listpack");
    r.cmd(&["HSET", "a", "z", "3"]);
    assert_eq!(encoding(&mut r, "a"), "hashtable");
    r.cmd(&["HSET", "b", "x", "1234"]);
    assert_eq!(encoding(&mut r, "b"), "hashtable");
}

/// Runs a whole HSCAN iteration; returns every (field, value) pair seen and
/// the number of calls it took.
fn hscan_all(r: &mut Raw, key: &str, options: &[&str]) -> (Vec<(String, String)>, usize) {
    let (flat, calls) = scan_all(r, &["HSCAN", key], options);
    let seen = flat.chunks(2).map(|p| (p[0].clone(), p[1].clone()));
    (seen.collect(), calls)
}

#[test]
fn hscan_returns_a_listpack_whole_and_a_hashtable_completely() {
    let s = TestServer::start();
    let mut r = s.raw();
    fill(&mut r, "small", 20);
    let (seen, calls) = hscan_all(&mut r, "small", &["COUNT", "5"]);
    assert_eq!((seen.len(), calls), (20, 1));
    // A listpack ignores the cursor it is given.
    let reply = items(r.cmd(&["HSCAN", "small", "12345"]));
    assert_eq!(reply[0], Frame::bulk("0"));
    let (seen, _) = hscan_all(&mut r, "small", &["MATCH", "f1*"]);
    let mut fields: Vec<_> = seen.iter().map(|(f, _)| f.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["f1", "f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19"]
    );

    fill(&mut r, "big", 1000);
    assert_eq!(encoding(&mut r, "big"), "hashtable");
    let (seen, calls) = hscan_all(&mut r, "big", &["COUNT", "10"]);
    assert!(calls > 10, "{calls} calls");
    let unique: HashMap<String, String> = seen.into_iter().collect();
    assert_eq!(unique.len(), 1000);
    assert!(unique.iter().all(|(f, v)| f[1..] == v[1..]));
    let (seen, _) = hscan_all(&mut r, "big", &["MATCH", "f99*", "COUNT", "100"]);
    let unique: HashSet<String> = seen.into_iter().map(|(f, _)| f).collect();
    assert_eq!(unique.len(), 11);
}

#[test]
fn hscan_keeps_fields_present_throughout_despite_writes() {
    let s = TestServer::start();
    let mut r = s.raw();
    fill(&mut r, "h", 1000);
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut round = 0;
    loop {
        let mut parts = items(r.cmd(&["HSCAN", "h", &cursor, "COUNT", "25"])).into_iter();
        cursor = parts.next().map(|c| c.as_text()).unwrap_or_default();
        let flat = texts(parts.next().unwrap_or(Frame::Array(None)));
        seen.extend(flat.chunks(2).map(|p| p[0].clone()));
        // Delete fields f0, f5, f10 ... and add new ones while scanning.
        let (gone, added) = (format!("f{}", round * 5), format!("new{round}"));
        r.cmd(&["HDEL", "h", &gone]);
        r.cmd(&["HSET", "h", &added, "x"]);
        round += 1;
        if cursor == "0" {
            break;
        }
    }
    for i in 0..1000 {
        if i % 5 != 0 || i / 5 >= round {
            assert!(seen.contains(&format!("f{i}")), "f{i} missing");
        }
    }
}

#[test]
fn hscan_errors_and_missing_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["HSET", "h", "a", "1"]);
    let empty_scan = Frame::Array(Some(vec![Frame::bulk("0"), empty_array()]));
    assert_eq!(r.cmd(&["HSCAN", "nokey", "0"]), empty_scan);
    // Options are only read for an existing hash.
    assert_eq!(r.cmd(&["HSCAN", "nokey", "0", "COUNT", "0"]), empty_scan);
    assert_eq!(r.cmd(&["HSCAN", "h", "x"]), err("ERR invalid cursor"));
    assert_eq!(r.cmd(&["HSCAN", "nokey", "x"]), err("ERR invalid cursor"));
    assert_eq!(r.cmd(&["HSCAN", "h", "0", "COUNT", "0"]), err(SYNTAX));
    assert_eq!(r.cmd(&["HSCAN", "h", "0", "COUNT", "x"]), err(NOT_INTEGER));
    assert_eq!(r.cmd(&["HSCAN", "h", "0", "COUNT"]), err(SYNTAX));
    assert_eq!(r.cmd(&["HSCAN", "h", "0", "MATCH"]), err(SYNTAX));
    assert_eq!(r.cmd(&["HSCAN", "h", "0", "TYPE", "hash"]), err(SYNTAX));
    r.cmd(&["HELLO", "3"]);
    assert_eq!(
        r.cmd(&["HSCAN", "h", "0"]),
        Frame::Array(Some(vec![Frame::bulk("0"), bulks(&["a", "1"])]))
    );
}

#[test]
fn hrandfield_without_count() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["HRANDFIELD", "nokey"]), nil());
    for (key, n) in [("small", 3), ("big", 600)] {
        fill(&mut r, key, n);
        let mut seen = HashSet::new();
        for _ in 0..100 {
            let field = r.cmd(&["HRANDFIELD", key]).as_text();
            assert!(field.starts_with('f') && field[1..].parse::<usize>().unwrap() < n);
            seen.insert(field);
        }
        assert!(seen.len() > 1, "{key}: always the same field");
    }
}

#[test]
fn hrandfield_count_errors_and_empty_replies() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["HSET", "h", "a", "1"]);
    let range = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
    assert_eq!(
        r.cmd(&["HRANDFIELD", "h", "-9223372036854775808"]),
        err(range)
    );
    let out_of_range = err("ERR value is out of range");
    assert_eq!(
        r.cmd(&["HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"]),
        out_of_range
    );
    assert_eq!(
        r.cmd(&["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"]),
        out_of_range
    );
    assert_eq!(r.cmd(&["HRANDFIELD", "h", "x"]), err(NOT_INTEGER));
    assert_eq!(r.cmd(&["HRANDFIELD", "h", "1", "foo"]), err(SYNTAX));
    assert_eq!(
        r.cmd(&["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
        err(SYNTAX)
    );
    // The count is checked before the key is looked at.
    assert_eq!(r.cmd(&["HRANDFIELD", "nokey", "x"]), err(NOT_INTEGER));
    assert_eq!(r.cmd(&["HRANDFIELD", "h", "0"]), empty_array());
    assert_eq!(
        r.cmd(&["HRANDFIELD", "h", "0", "WITHVALUES"]),
        empty_array()
    );
    assert_eq!(r.cmd(&["HRANDFIELD", "nokey", "100"]), empty_array());
    assert_eq!(
        r.cmd(&["HRANDFIELD", "nokey", "-100", "withvalues"]),
        empty_array()
    );
    r.cmd(&["HELLO", "3"]);
    assert_eq!(r.cmd(&["HRANDFIELD", "nokey", "5"]), empty_array());
    assert_eq!(
        r.cmd(&["HRANDFIELD", "nokey"]),
        Frame::Line(b'_', String::new())
    );
}

/// Checks every HRANDFIELD count path on a hash of f0..f9 -> v0..v9.
fn check_hrandfield_counts(r: &mut Raw, key: &str) {
    let all: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
    // Negative counts: exactly that many, repeats allowed, every field comes up.
    let picks = texts(r.cmd(&["HRANDFIELD", key, "-1001"]));
    assert_eq!(picks.len(), 1001);
    let distinct: HashSet<&String> = picks.iter().collect();
    assert_eq!(distinct.len(), 10, "{key}: not every field drawn");
    assert!(picks.iter().all(|f| all.contains(f)));
    let flat = texts(r.cmd(&["HRANDFIELD", key, "-20", "WITHVALUES"]));
    assert_eq!(flat.len(), 40);
    for pair in flat.chunks(2) {
        assert_eq!(pair[0][1..], pair[1][1..], "{key}: value of another field");
    }
    // Counts at least the size: the whole hash.
    for size in ["10", "20"] {
        assert_eq!(sorted(r.cmd(&["HRANDFIELD", key, size])), all);
        let pairs = pairs_of(r.cmd(&["HRANDFIELD", key, size, "WITHVALUES"]));
        assert_eq!(pairs.len(), 10);
    }
    // Smaller positive counts: distinct fields, each reachable.
    for size in [8usize, 2] {
        let mut union = HashSet::new();
        for _ in 0..200 {
            let picks = texts(r.cmd(&["HRANDFIELD", key, &size.to_string()]));
            let distinct: HashSet<&String> = picks.iter().collect();
            assert_eq!((picks.len(), distinct.len()), (size, size), "{key}");
            union.extend(picks.iter().cloned());
        }
        assert_eq!(union.len(), 10, "{key}: count {size} misses fields");
        let pairs = pairs_of(r.cmd(&["HRANDFIELD", key, &size.to_string(), "WITHVALUES"]));
        assert_eq!(pairs.len(), size);
        assert!(pairs.iter().all(|(f, v)| f[1..] == v[1..]));
    }
}

#[test]
fn hrandfield_count_paths_on_both_encodings() {
    let s = TestServer::start();
    let mut r = s.raw();
    fill(&mut r, "lp", 10);
    assert_eq!(encoding(&mut r, "lp"), "listpack");
    check_hrandfield_counts(&mut r, "lp");
    fill(&mut r, "ht", 10);
    r.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "5"]);
    r.cmd(&["HSET", "ht", "f0", "v0"]);
    r.cmd(&["HSET", "ht", "extra", "x"]);
    r.cmd(&["HDEL", "ht", "extra"]);
    assert_eq!(encoding(&mut r, "ht"), "hashtable");
    check_hrandfield_counts(&mut r, "ht");
}

#[test]
fn hrandfield_withvalues_nests_pairs_in_resp3() {
    let s = TestServer::start();
    let mut r = s.raw();
    fill(&mut r, "h", 5);
    r.cmd(&["HELLO", "3"]);
    for (count, expected) in [("3", 3), ("-7", 7), ("1", 1), ("10", 5)] {
        let picks = items(r.cmd(&["HRANDFIELD", "h", count, "WITHVALUES"]));
        assert_eq!(picks.len(), expected, "count {count}");
        for pick in picks {
            let pair = texts(pick);
            assert_eq!(pair.len(), 2);
            assert_eq!(pair[0][1..], pair[1][1..]);
        }
    }
    let picks = items(r.cmd(&["HRANDFIELD", "h", "3"]));
    assert!(picks.iter().all(|p| matches!(p, Frame::Bulk(Some(_)))));
}

#[test]
fn digests_match_redis_whatever_the_encoding() {
    let s = TestServer::start();
    let mut r = s.raw();
    // DEBUG DIGEST-VALUE of this hash on redis-server 7.0.15.
    let expected = bulks_simple(&["661c6511ec414327e6d4fcbd4338ca65aa305906"]);
    r.cmd(&["HSET", "d", "a", "1", "b", "2", "s", "abc"]);
    assert_eq!(r.cmd(&["DEBUG", "DIGEST-VALUE", "d"]), expected);
    r.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "1"]);
    r.cmd(&["HSET", "t", "s", "abc", "b", "2", "a", "1"]);
    assert_eq!(encoding(&mut r, "t"), "hashtable");
    assert_eq!(r.cmd(&["DEBUG", "DIGEST-VALUE", "t"]), expected);
}

fn bulks_simple(items: &[&str]) -> Frame {
    Frame::Array(Some(
        items.iter().map(|s| Frame::Simple(s.to_string())).collect(),
    ))
}

#[test]
fn debug_object_serialized_length_matches_redis_without_compression() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["CONFIG", "SET", "rdbcompression", "no"]);
    let length = |r: &mut Raw, key: &str| {
        let line = r.cmd(&["DEBUG", "OBJECT", key]).as_text();
        let at = line.find("serializedlength:").expect("serializedlength") + 17;
        line[at..].split(' ').next().unwrap_or_default().to_string()
    };
    r.cmd(&["HSET", "lp", "a", "1", "b", "2", "s", "abc"]);
    assert_eq!(length(&mut r, "lp"), "26");
    let ys = "y".repeat(64);
    r.cmd(&[
        "HSET",
        "ints",
        "n1",
        "127",
        "n2",
        "-4096",
        "n3",
        "32767",
        "n4",
        "8388607",
        "n5",
        "2147483647",
        "n6",
        "9223372036854775807",
        "s1",
        &ys,
    ]);
    assert_eq!(length(&mut r, "ints"), "134");
    let xs = "x".repeat(70);
    r.cmd(&["HSET", "ht", "f1", "12345678901", "f2", "-4097", "f3", &xs]);
    assert_eq!(encoding(&mut r, "ht"), "hashtable");
    assert_eq!(length(&mut r, "ht"), "97");
}

#[test]
fn copies_are_independent_and_expired_hashes_are_gone() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(r.cmd(&["COPY", "h", "c"]), Frame::Int(1));
    r.cmd(&["HSET", "h", "a", "2"]);
    assert_eq!(r.cmd(&["HGET", "c", "a"]), Frame::bulk("1"));
    r.cmd(&["PEXPIRE", "h", "1"]);
    assert!(common::wait_for(std::time::Duration::from_secs(5), || {
        r.cmd(&["HLEN", "h"]) == Frame::Int(0)
    }));
    assert_eq!(r.cmd(&["HSET", "h", "b", "1"]), Frame::Int(1));
    assert_eq!(r.cmd(&["HGETALL", "h"]), bulks(&["b", "1"]));
    assert_eq!(r.cmd(&["TTL", "h"]), Frame::Int(-1));
}
