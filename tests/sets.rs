//! Set commands against the real binary: replies, reply types (RESP2 and
//! RESP3) and error texts as Redis 7.0 gives them, intset/hashtable
//! encodings and their conversions, random picks (SPOP, SRANDMEMBER) with
//! and without counts, set algebra with STORE forms, and SSCAN.

mod common;

use common::{
    changes_since_save, empty_array, encoding, err, int, scan_all, sorted, texts, Frame, Raw,
    TestServer,
};
use std::collections::HashSet;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn strs(items: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

/// Creates `key` holding exactly `members`.
fn create_set(r: &mut Raw, key: &str, members: &[&str]) {
    r.cmd(&["DEL", key]);
    let mut args = vec!["SADD", key];
    args.extend_from_slice(members);
    assert_eq!(r.cmd(&args), int(members.len() as i64));
}

fn members(r: &mut Raw, key: &str) -> Vec<String> {
    sorted(r.cmd(&["SMEMBERS", key]))
}

fn numbers(range: std::ops::Range<i64>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn membership_basics_in_both_encodings() {
    let server = TestServer::start();
    let mut r = server.raw();
    for (first, second, absent, enc) in [
        ("foo", "bar", "bla", "hashtable"),
        ("17", "16", "18", "intset"),
    ] {
        create_set(&mut r, "s", &[first]);
        assert_eq!(encoding(&mut r, "s"), enc);
        assert_eq!(r.cmd(&["SADD", "s", second]), int(1));
        assert_eq!(r.cmd(&["SADD", "s", second]), int(0));
        assert_eq!(r.cmd(&["SCARD", "s"]), int(2));
        assert_eq!(r.cmd(&["SISMEMBER", "s", first]), int(1));
        assert_eq!(r.cmd(&["SISMEMBER", "s", absent]), int(0));
        assert_eq!(
            r.cmd(&["SMISMEMBER", "s", absent, first, second]),
            Frame::Array(Some(vec![int(0), int(1), int(1)]))
        );
        assert_eq!(members(&mut r, "s"), strs(&[first, second]));
    }
    assert_eq!(r.cmd(&["SADD", "v", "a", "b", "c"]), int(3));
    assert_eq!(r.cmd(&["SADD", "v", "A", "a", "b", "c", "B"]), int(2));
    assert_eq!(r.cmd(&["SCARD", "nokey"]), int(0));
    assert_eq!(r.cmd(&["SISMEMBER", "nokey", "a"]), int(0));
    assert_eq!(
        r.cmd(&["SMISMEMBER", "nokey", "a", "b"]),
        Frame::Array(Some(vec![int(0), int(0)]))
    );
    assert_eq!(r.cmd(&["SMEMBERS", "nokey"]), empty_array());
    assert_eq!(
        r.cmd(&["SMISMEMBER", "v"]),
        err("ERR wrong number of arguments for 'smismember' command")
    );
    assert_eq!(r.cmd(&["TYPE", "v"]), Frame::Simple("set".into()));
}

#[test]
fn every_command_refuses_other_types() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["SET", "str", "x"]);
    r.cmd(&["SADD", "s", "a"]);
    let wrong = err(WRONGTYPE);
    for cmd in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "2"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "s", "str"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SINTERSTORE", "d", "s", "str"],
        &["SUNION", "s", "str"],
        &["SUNIONSTORE", "d", "nokey", "str"],
        &["SDIFF", "s", "str"],
        &["SDIFF", "nokey", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(r.cmd(cmd), wrong, "{cmd:?}");
    }
    // A missing source answers 0 before the destination's type is checked.
    assert_eq!(r.cmd(&["SMOVE", "nokey", "str", "a"]), int(0));
    assert_eq!(r.cmd(&["EXISTS", "d"]), int(0));
    assert_eq!(r.cmd(&["GET", "str"]), Frame::bulk("x"));
}

#[test]
fn intset_encoding_and_its_conversions() {
    let server = TestServer::start();
    let mut r = server.raw();
    create_set(&mut r, "s", &["1", "2", "3"]);
    assert_eq!(encoding(&mut r, "s"), "intset");
    assert_eq!(r.cmd(&["SADD", "s", "a"]), int(1));
    assert_eq!(encoding(&mut r, "s"), "hashtable");
    // Removing the text member does not convert back.
    r.cmd(&["SREM", "s", "a"]);
    assert_eq!(encoding(&mut r, "s"), "hashtable");

    // Not integers by Redis's rules: too big, leading zero, sign, spaces.
    for text in ["213244124402402314402033402", "01", "+1", " 1", "-0", "1.0"] {
        create_set(&mut r, "t", &[text]);
        assert_eq!(encoding(&mut r, "t"), "hashtable", "{text}");
        assert_eq!(r.cmd(&["SISMEMBER", "t", text]), int(1));
    }
    create_set(&mut r, "t", &["01"]);
    assert_eq!(r.cmd(&["SISMEMBER", "t", "1"]), int(0));

    // Every width of integer stays an intset.
    let extremes = ["-9223372036854775808", "9223372036854775807", "70000", "-5"];
    create_set(&mut r, "w", &extremes);
    assert_eq!(encoding(&mut r, "w"), "intset");
    assert_eq!(members(&mut r, "w"), strs(&extremes));
    assert_eq!(r.cmd(&["SISMEMBER", "w", "9223372036854775808"]), int(0));

    // One past set-max-intset-entries converts.
    let nums = numbers(0..512);
    create_set(&mut r, "big", &as_strs(&nums));
    assert_eq!(encoding(&mut r, "big"), "intset");
    assert_eq!(r.cmd(&["SADD", "big", "512"]), int(1));
    assert_eq!(encoding(&mut r, "big"), "hashtable");

    r.cmd(&["CONFIG", "SET", "set-max-intset-entries", "0"]);
    create_set(&mut r, "zero", &["5"]);
    assert_eq!(encoding(&mut r, "zero"), "hashtable");
}

#[test]
fn srem_removes_and_deletes_empty_sets() {
    let server = TestServer::start();
    let mut r = server.raw();
    for contents in [&["foo", "bar", "ciao"][..], &["3", "4", "5"]] {
        create_set(&mut r, "s", contents);
        assert_eq!(r.cmd(&["SREM", "s", "qux"]), int(0));
        assert_eq!(r.cmd(&["SREM", "s", contents[0], contents[0]]), int(1));
        assert_eq!(members(&mut r, "s"), strs(&contents[1..]));
    }
    create_set(&mut r, "s", &["a", "b", "c"]);
    assert_eq!(r.cmd(&["SREM", "s", "k", "k", "b", "c", "d"]), int(2));
    assert_eq!(r.cmd(&["SREM", "s", "a", "b", "c", "a"]), int(1));
    assert_eq!(r.cmd(&["EXISTS", "s"]), int(0));
    assert_eq!(r.cmd(&["SREM", "nokey", "a"]), int(0));
}

#[test]
fn smove_between_sets() {
    let server = TestServer::start();
    let mut r = server.raw();
    let setup = |r: &mut Raw| {
        r.cmd(&["DEL", "s3", "s4"]);
        create_set(r, "s1", &["1", "a", "b"]);
        create_set(r, "s2", &["2", "3", "4"]);
    };
    // A text member converts the destination intset; a number does not.
    setup(&mut r);
    assert_eq!(r.cmd(&["SMOVE", "s1", "s2", "a"]), int(1));
    assert_eq!(members(&mut r, "s1"), strs(&["1", "b"]));
    assert_eq!(members(&mut r, "s2"), strs(&["2", "3", "4", "a"]));
    assert_eq!(encoding(&mut r, "s2"), "hashtable");
    setup(&mut r);
    assert_eq!(r.cmd(&["SMOVE", "s1", "s2", "1"]), int(1));
    assert_eq!(encoding(&mut r, "s2"), "intset");
    assert_eq!(members(&mut r, "s2"), strs(&["1", "2", "3", "4"]));

    setup(&mut r);
    assert_eq!(r.cmd(&["SMOVE", "s1", "s2", "foo"]), int(0));
    assert_eq!(r.cmd(&["SMOVE", "s1", "s1", "foo"]), int(0));
    assert_eq!(r.cmd(&["SMOVE", "s1", "s1", "a"]), int(1));
    assert_eq!(members(&mut r, "s1"), strs(&["1", "a", "b"]));
    assert_eq!(r.cmd(&["SMOVE", "noset", "s2", "foo"]), int(0));

    // A missing destination is created with the encoding the member allows.
    assert_eq!(r.cmd(&["SMOVE", "s1", "s3", "a"]), int(1));
    assert_eq!(encoding(&mut r, "s3"), "hashtable");
    assert_eq!(r.cmd(&["SMOVE", "s2", "s4", "2"]), int(1));
    assert_eq!(encoding(&mut r, "s4"), "intset");
    assert_eq!(members(&mut r, "s4"), strs(&["2"]));

    // Moving a member the destination has still removes it from the source.
    create_set(&mut r, "src", &["x"]);
    create_set(&mut r, "dst", &["x"]);
    assert_eq!(r.cmd(&["SMOVE", "src", "dst", "x"]), int(1));
    assert_eq!(r.cmd(&["EXISTS", "src"]), int(0));
    assert_eq!(members(&mut r, "dst"), strs(&["x"]));
}

#[test]
fn spop_single_and_errors() {
    let server = TestServer::start();
    let mut r = server.raw();
    for contents in [&["a", "b", "c"][..], &["1", "2", "3"]] {
        create_set(&mut r, "s", contents);
        let mut popped: Vec<String> = (0..3).map(|_| r.cmd(&["SPOP", "s"]).as_text()).collect();
        popped.sort();
        assert_eq!(popped, strs(contents));
        assert_eq!(r.cmd(&["EXISTS", "s"]), int(0));
        assert_eq!(r.cmd(&["SPOP", "s"]), Frame::Bulk(None));
    }
    let positive = err("ERR value is out of range, must be positive");
    assert_eq!(r.cmd(&["SPOP", "nokey", "-1"]), positive);
    assert_eq!(r.cmd(&["SPOP", "nokey", "abc"]), positive);
    assert_eq!(r.cmd(&["SPOP", "nokey", "1", "2"]), err("ERR syntax error"));
    assert_eq!(r.cmd(&["SPOP", "nokey", "3"]), empty_array());
    create_set(&mut r, "s", &["a"]);
    assert_eq!(r.cmd(&["SPOP", "s", "0"]), empty_array());
    assert_eq!(r.cmd(&["SCARD", "s"]), int(1));
}

#[test]
fn spop_with_count_takes_distinct_members_on_every_path() {
    let server = TestServer::start();
    let mut r = server.raw();
    let letters: Vec<String> = ('a'..='z').map(|ch| ch.to_string()).collect();
    let nums = numbers(1..27);
    for contents in [&letters, &nums] {
        create_set(&mut r, "s", &as_strs(contents));
        let mut all = Vec::new();
        for count in ["11", "9", "0", "4", "1", "0", "1", "0"] {
            let got = sorted(r.cmd(&["SPOP", "s", count]));
            assert_eq!(got.len(), count.parse::<usize>().unwrap_or(0));
            all.extend(got);
        }
        all.sort();
        let mut want = contents.clone();
        want.sort();
        assert_eq!(all, want);
        assert_eq!(r.cmd(&["EXISTS", "s"]), int(0));
    }
    // Few popped (members picked one by one), most popped (the kept ones
    // picked instead), all popped.
    let content = numbers(1..21);
    for count in [2usize, 18, 30] {
        create_set(&mut r, "s", &as_strs(&content));
        let popped = sorted(r.cmd(&["SPOP", "s", &count.to_string()]));
        let unique: HashSet<&String> = popped.iter().collect();
        assert_eq!((popped.len(), unique.len()), (count.min(20), count.min(20)));
        let mut union = popped.clone();
        union.extend(if count < 20 {
            members(&mut r, "s")
        } else {
            vec![]
        });
        union.sort();
        let mut want = content.clone();
        want.sort();
        assert_eq!(union, want);
    }
    // Keeping few members rebuilds the set as compactly as they allow.
    r.cmd(&["CONFIG", "SET", "set-max-intset-entries", "4"]);
    let ten = numbers(1..11);
    create_set(&mut r, "s", &as_strs(&ten));
    assert_eq!(encoding(&mut r, "s"), "hashtable");
    assert_eq!(sorted(r.cmd(&["SPOP", "s", "9"])).len(), 9);
    assert_eq!(encoding(&mut r, "s"), "intset");
    assert_eq!(r.cmd(&["SCARD", "s"]), int(1));
}

#[test]
fn srandmember_without_and_with_counts() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(r.cmd(&["SRANDMEMBER", "nokey"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["SRANDMEMBER", "nokey", "5"]), empty_array());
    assert_eq!(r.cmd(&["SRANDMEMBER", "nokey", "-5"]), empty_array());
    let letters: Vec<String> = ('a'..='z').map(|ch| ch.to_string()).collect();
    let nums = numbers(0..50);
    for contents in [&letters, &nums] {
        create_set(&mut r, "s", &as_strs(contents));
        let all: HashSet<String> = contents.iter().cloned().collect();
        let size = contents.len();
        for _ in 0..20 {
            assert!(all.contains(&r.cmd(&["SRANDMEMBER", "s"]).as_text()));
        }
        assert_eq!(r.cmd(&["SRANDMEMBER", "s", "0"]), empty_array());
        // Negative: exactly |count| picks, repeats allowed.
        let picks = texts(r.cmd(&["SRANDMEMBER", "s", "-100"]));
        assert_eq!(picks.len(), 100);
        assert!(picks.iter().all(|m| all.contains(m)));
        // Positive: distinct members, never more than the set has.
        for count in [1, 2, 5, size / 2, size - 1, size, size + 10] {
            let got = texts(r.cmd(&["SRANDMEMBER", "s", &count.to_string()]));
            let unique: HashSet<&String> = got.iter().collect();
            assert_eq!(got.len(), count.min(size), "count {count}");
            assert_eq!(unique.len(), got.len(), "repeats for count {count}");
            assert!(got.iter().all(|m| all.contains(m)));
        }
        // Nothing was removed.
        assert_eq!(r.cmd(&["SCARD", "s"]), int(size as i64));
    }
    assert_eq!(
        r.cmd(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        r.cmd(&["SRANDMEMBER", "s", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        r.cmd(&["SRANDMEMBER", "s", "1", "2"]),
        err("ERR syntax error")
    );
}

#[test]
fn srandmember_covers_every_member() {
    let server = TestServer::start();
    let mut r = server.raw();
    create_set(&mut r, "s", &["a", "b", "c"]);
    let mut seen = HashSet::new();
    for _ in 0..300 {
        seen.insert(r.cmd(&["SRANDMEMBER", "s"]).as_text());
        if seen.len() == 3 {
            break;
        }
    }
    assert_eq!(seen.len(), 3);
}

/// Two sets that share 195..199 and a large integer (or a text member).
fn setup_algebra(r: &mut Raw, text: bool) {
    r.cmd(&["FLUSHALL"]);
    let large = if text { "foo" } else { "200" };
    let mut one = numbers(0..200);
    one.push(large.into());
    let mut two = numbers(195..200);
    two.push(large.into());
    let mut two_more: Vec<String> = numbers(0..195).iter().map(|n| format!("x{n}")).collect();
    two_more.extend(two.clone());
    let two = if text { two_more } else { two };
    create_set(r, "set1", &as_strs(&one));
    create_set(r, "set2", &as_strs(&two));
    create_set(r, "set3", &["195", "199", large, "1000"]);
    let mut four = numbers(5..200);
    four.push(large.into());
    create_set(r, "set4", &as_strs(&four));
    create_set(r, "set5", &["0"]);
}

#[test]
fn sinter_family() {
    let server = TestServer::start();
    let mut r = server.raw();
    for (text, enc) in [(false, "intset"), (true, "hashtable")] {
        setup_algebra(&mut r, text);
        let large = if text { "foo" } else { "200" };
        let common = strs(&["195", "196", "197", "198", "199", large]);
        assert_eq!(sorted(r.cmd(&["SINTER", "set1", "set2"])), common);
        assert_eq!(r.cmd(&["SINTERCARD", "2", "set1", "set2"]), int(6));
        assert_eq!(r.cmd(&["SINTERSTORE", "res", "set1", "set2"]), int(6));
        assert_eq!(members(&mut r, "res"), common);
        assert_eq!(encoding(&mut r, "res"), enc);
        let three = strs(&["195", "199", large]);
        assert_eq!(sorted(r.cmd(&["SINTER", "set1", "set2", "set3"])), three);
        assert_eq!(r.cmd(&["SINTERCARD", "3", "set1", "set2", "set3"]), int(3));
        assert_eq!(
            r.cmd(&["SINTERSTORE", "res", "set1", "set2", "set3"]),
            int(3)
        );
        assert_eq!(members(&mut r, "res"), three);
        assert_eq!(
            sorted(r.cmd(&["SINTER", "set1", "set1", "set1"])).len(),
            201
        );
    }
    // Integer members of a hashtable still match an intset's numbers.
    create_set(&mut r, "ints", &["1", "2", "3"]);
    create_set(&mut r, "mixed", &["1", "2", "3", "a"]);
    r.cmd(&["SREM", "mixed", "a"]);
    assert_eq!(
        sorted(r.cmd(&["SINTER", "ints", "mixed"])),
        strs(&["1", "2", "3"])
    );
    assert_eq!(r.cmd(&["SINTERSTORE", "res", "mixed", "ints"]), int(3));
    assert_eq!(encoding(&mut r, "res"), "intset");

    // A missing key makes the intersection empty (and deletes the target).
    assert_eq!(r.cmd(&["SINTER", "ints", "nokey"]), empty_array());
    assert_eq!(r.cmd(&["SINTERCARD", "2", "ints", "nokey"]), int(0));
    r.cmd(&["SET", "res", "xxx"]);
    assert_eq!(r.cmd(&["SINTERSTORE", "res", "ints", "nokey"]), int(0));
    assert_eq!(r.cmd(&["EXISTS", "res"]), int(0));
    create_set(&mut r, "res", &["q"]);
    create_set(&mut r, "other", &["z"]);
    assert_eq!(r.cmd(&["SINTERSTORE", "res", "ints", "other"]), int(0));
    assert_eq!(r.cmd(&["EXISTS", "res"]), int(0));
}

#[test]
fn sintercard_limit_and_argument_errors() {
    let server = TestServer::start();
    let mut r = server.raw();
    create_set(&mut r, "a", &["1", "2", "3", "4", "x"]);
    create_set(&mut r, "b", &["2", "3", "4", "x", "y"]);
    for (limit, want) in [("0", 4), ("2", 2), ("4", 4), ("10", 4)] {
        assert_eq!(
            r.cmd(&["SINTERCARD", "2", "a", "b", "LIMIT", limit]),
            int(want)
        );
    }
    assert_eq!(
        r.cmd(&["SINTERCARD", "2", "a", "b", "limit", "1", "LIMIT", "3"]),
        int(3)
    );
    assert_eq!(r.cmd(&["SINTERCARD", "1", "nokey"]), int(0));
    let numkeys = err("ERR numkeys should be greater than 0");
    for bad in ["0", "-1", "abc"] {
        assert_eq!(r.cmd(&["SINTERCARD", bad, "a"]), numkeys);
    }
    assert_eq!(
        r.cmd(&["SINTERCARD", "3", "a", "b"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    let syntax = err("ERR syntax error");
    assert_eq!(r.cmd(&["SINTERCARD", "1", "a", "LIMIT"]), syntax);
    assert_eq!(r.cmd(&["SINTERCARD", "1", "a", "b"]), syntax);
    let negative = err("ERR LIMIT can't be negative");
    assert_eq!(r.cmd(&["SINTERCARD", "1", "a", "LIMIT", "-1"]), negative);
    assert_eq!(r.cmd(&["SINTERCARD", "1", "a", "LIMIT", "x"]), negative);
    assert_eq!(
        r.cmd(&[
            "COMMAND",
            "GETKEYS",
            "SINTERCARD",
            "2",
            "a",
            "b",
            "LIMIT",
            "1"
        ]),
        Frame::Array(Some(vec![Frame::bulk("a"), Frame::bulk("b")]))
    );
}

#[test]
fn sunion_and_sdiff_families() {
    let server = TestServer::start();
    let mut r = server.raw();
    for (text, enc) in [(false, "intset"), (true, "hashtable")] {
        setup_algebra(&mut r, text);
        let mut both: Vec<String> = members(&mut r, "set1");
        both.extend(members(&mut r, "set2"));
        both.sort();
        both.dedup();
        assert_eq!(sorted(r.cmd(&["SUNION", "set1", "set2"])), both);
        assert_eq!(
            sorted(r.cmd(&["SUNION", "nokey1", "set1", "set2", "nokey2"])),
            both
        );
        assert_eq!(
            r.cmd(&["SUNIONSTORE", "res", "set1", "set2"]),
            int(both.len() as i64)
        );
        assert_eq!(members(&mut r, "res"), both);
        assert_eq!(encoding(&mut r, "res"), enc);
        assert_eq!(
            sorted(r.cmd(&["SDIFF", "set1", "set4"])),
            strs(&["0", "1", "2", "3", "4"])
        );
        assert_eq!(
            sorted(r.cmd(&["SDIFF", "set1", "set4", "set5"])),
            strs(&["1", "2", "3", "4"])
        );
        assert_eq!(
            r.cmd(&["SDIFFSTORE", "res", "set1", "set4", "set5"]),
            int(4)
        );
        assert_eq!(members(&mut r, "res"), strs(&["1", "2", "3", "4"]));
        assert_eq!(encoding(&mut r, "res"), "intset");
        assert_eq!(r.cmd(&["SDIFF", "set1", "set1"]), empty_array());
        assert_eq!(r.cmd(&["SDIFF", "set1", "set4", "set1"]), empty_array());
    }
    // The first set decides: missing is empty, others missing are ignored.
    create_set(&mut r, "a", &["1", "2"]);
    assert_eq!(r.cmd(&["SDIFF", "nokey", "a"]), empty_array());
    assert_eq!(sorted(r.cmd(&["SDIFF", "a", "nokey"])), strs(&["1", "2"]));
    // Many subtrahends (the remove-from-a-copy way) give the same answer.
    create_set(&mut r, "b", &["2"]);
    let mut args = vec!["SDIFF", "a"];
    args.extend(std::iter::repeat_n("b", 10));
    assert_eq!(sorted(r.cmd(&args)), strs(&["1"]));

    // Empty results delete the destination, whatever it held.
    for cmd in [
        &["SUNIONSTORE", "res", "nokey1", "nokey2"][..],
        &["SDIFFSTORE", "res", "a", "a"],
        &["SDIFFSTORE", "res", "nokey", "a"],
    ] {
        r.cmd(&["SET", "res", "xxx"]);
        assert_eq!(r.cmd(cmd), int(0), "{cmd:?}");
        assert_eq!(r.cmd(&["EXISTS", "res"]), int(0), "{cmd:?}");
    }
    // A stored result replaces any value and drops its TTL.
    r.cmd(&["SET", "res", "xxx", "EX", "100"]);
    assert_eq!(r.cmd(&["SUNIONSTORE", "res", "a"]), int(2));
    assert_eq!(r.cmd(&["TTL", "res"]), int(-1));
    assert_eq!(r.cmd(&["TYPE", "res"]), Frame::Simple("set".into()));
}

#[test]
fn stored_results_follow_the_intset_limit() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["CONFIG", "SET", "set-max-intset-entries", "3"]);
    create_set(&mut r, "a", &["1", "2"]);
    create_set(&mut r, "b", &["3", "4"]);
    assert_eq!(r.cmd(&["SUNIONSTORE", "u", "a", "b"]), int(4));
    assert_eq!(encoding(&mut r, "u"), "hashtable");
    assert_eq!(r.cmd(&["SDIFFSTORE", "d", "u", "a"]), int(2));
    assert_eq!(encoding(&mut r, "d"), "intset");
}

/// A whole SSCAN iteration: every member seen (sorted), and how many
/// calls it took.
fn sscan_all(r: &mut Raw, key: &str, options: &[&str]) -> (Vec<String>, usize) {
    let (mut seen, calls) = scan_all(r, &["SSCAN", key], options);
    seen.sort();
    (seen, calls)
}

#[test]
fn sscan_returns_every_member() {
    let server = TestServer::start();
    let mut r = server.raw();
    let nums = numbers(0..100);
    create_set(&mut r, "ints", &as_strs(&nums));
    let (seen, calls) = sscan_all(&mut r, "ints", &["COUNT", "5"]);
    let mut want = nums.clone();
    want.sort();
    assert_eq!((seen, calls), (want, 1));
    let (seen, _) = sscan_all(&mut r, "ints", &["MATCH", "*9"]);
    assert_eq!(seen.len(), 10);

    let words: Vec<String> = (0..1000).map(|i| format!("ele:{i}")).collect();
    create_set(&mut r, "words", &as_strs(&words));
    let (seen, calls) = sscan_all(&mut r, "words", &["COUNT", "10"]);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 1000);
    assert!(calls > 10, "a hashtable is scanned in pages, took {calls}");
    let (seen, _) = sscan_all(&mut r, "words", &["MATCH", "ele:99*", "COUNT", "100"]);
    assert_eq!(seen.len(), 11);

    // Members present throughout are returned despite removals between calls.
    let Frame::Array(Some(parts)) = r.cmd(&["SSCAN", "words", "0", "COUNT", "100"]) else {
        panic!("SSCAN reply");
    };
    let mut cursor = parts[0].as_text();
    let mut seen = texts(parts[1].clone());
    let mut args = vec!["SREM", "words"];
    args.extend(seen.iter().take(50).map(String::as_str));
    assert_eq!(r.cmd(&args), int(50));
    while cursor != "0" {
        let Frame::Array(Some(parts)) = r.cmd(&["SSCAN", "words", &cursor, "COUNT", "100"]) else {
            panic!("SSCAN reply");
        };
        cursor = parts[0].as_text();
        seen.extend(texts(parts[1].clone()));
    }
    let seen: HashSet<String> = seen.into_iter().collect();
    let missed: Vec<String> = members(&mut r, "words")
        .into_iter()
        .filter(|m| !seen.contains(m))
        .collect();
    assert!(missed.is_empty(), "missed {missed:?}");
}

#[test]
fn sscan_arguments() {
    let server = TestServer::start();
    let mut r = server.raw();
    let empty_scan = Frame::Array(Some(vec![Frame::bulk("0"), empty_array()]));
    assert_eq!(r.cmd(&["SSCAN", "nokey", "0"]), empty_scan);
    // Options are only read once the key is found.
    assert_eq!(r.cmd(&["SSCAN", "nokey", "0", "COUNT", "0"]), empty_scan);
    let invalid = err("ERR invalid cursor");
    assert_eq!(r.cmd(&["SSCAN", "nokey", "abc"]), invalid);
    create_set(&mut r, "s", &["1", "2", "3"]);
    assert_eq!(r.cmd(&["SSCAN", "s", "18446744073709551616"]), invalid);
    let syntax = err("ERR syntax error");
    for opts in [
        &["COUNT", "0"][..],
        &["COUNT", "-1"],
        &["MATCH"],
        &["TYPE", "string"],
        &["FOO", "bar"],
    ] {
        let mut args = vec!["SSCAN", "s", "0"];
        args.extend_from_slice(opts);
        assert_eq!(r.cmd(&args), syntax, "{opts:?}");
    }
    assert_eq!(
        r.cmd(&["SSCAN", "s", "0", "COUNT", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // An intset ignores the cursor and returns everything.
    assert_eq!(
        r.cmd(&["SSCAN", "s", "5", "MATCH", "[12]"]),
        Frame::Array(Some(vec![
            Frame::bulk("0"),
            Frame::Array(Some(vec![Frame::bulk("1"), Frame::bulk("2")]))
        ]))
    );
}

#[test]
fn resp3_reply_types() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["HELLO", "3"]);
    create_set(&mut r, "a", &["1", "2"]);
    create_set(&mut r, "b", &["2", "3"]);
    let set_of = |items: &[&str]| Frame::Typed(b'~', items.iter().map(Frame::bulk).collect());
    let null = Frame::Line(b'_', String::new());
    assert_eq!(r.cmd(&["SMEMBERS", "a"]), set_of(&["1", "2"]));
    assert_eq!(r.cmd(&["SMEMBERS", "nokey"]), set_of(&[]));
    assert_eq!(r.cmd(&["SINTER", "a", "b"]), set_of(&["2"]));
    assert_eq!(r.cmd(&["SINTER", "a", "nokey"]), set_of(&[]));
    assert_eq!(r.cmd(&["SUNION", "a", "b"]), set_of(&["1", "2", "3"]));
    assert_eq!(r.cmd(&["SDIFF", "a", "b"]), set_of(&["1"]));
    assert_eq!(r.cmd(&["SPOP", "nokey"]), null);
    assert_eq!(r.cmd(&["SRANDMEMBER", "nokey"]), null);
    assert_eq!(r.cmd(&["SPOP", "nokey", "2"]), set_of(&[]));
    assert_eq!(r.cmd(&["SPOP", "a", "0"]), set_of(&[]));
    // SRANDMEMBER with a count stays an array, even when empty.
    assert_eq!(r.cmd(&["SRANDMEMBER", "nokey", "2"]), empty_array());
    assert_eq!(
        r.cmd(&["SRANDMEMBER", "a", "5"]),
        Frame::Array(Some(vec![Frame::bulk("1"), Frame::bulk("2")]))
    );
    assert_eq!(
        r.cmd(&["SMISMEMBER", "a", "1", "9"]),
        Frame::Array(Some(vec![int(1), int(0)]))
    );
    assert_eq!(r.cmd(&["SPOP", "a", "5"]), set_of(&["1", "2"]));
    let Frame::Typed(b'~', popped) = r.cmd(&["SPOP", "b", "1"]) else {
        panic!("SPOP with a count is a set reply");
    };
    assert_eq!(popped.len(), 1);
}

#[test]
fn digests_match_redis() {
    let server = TestServer::start();
    let mut r = server.raw();
    create_set(&mut r, "a", &["1", "2", "3"]);
    create_set(&mut r, "b", &["x"]);
    // Values computed by Redis 7.0.15 for the same sets; order-independent.
    assert_eq!(
        texts(r.cmd(&["DEBUG", "DIGEST-VALUE", "a", "b"])),
        vec![
            "2a462a3f51a1db89738ebbeef0c47ce1bbc85246",
            "a34f6477bb8cac0aabc1e59ba2388f7bdf3ec994"
        ]
    );
    create_set(&mut r, "c", &["3", "a"]);
    r.cmd(&["SREM", "c", "a"]);
    r.cmd(&["SADD", "c", "2", "1"]);
    assert_eq!(encoding(&mut r, "c"), "hashtable");
    assert_eq!(
        texts(r.cmd(&["DEBUG", "DIGEST-VALUE", "c"])),
        vec!["2a462a3f51a1db89738ebbeef0c47ce1bbc85246"]
    );
}

#[test]
fn writes_count_as_changes() {
    let server = TestServer::start();
    let mut r = server.raw();
    let before = changes_since_save(&mut r);
    r.cmd(&["SADD", "s", "a", "b", "c", "a"]);
    assert_eq!(changes_since_save(&mut r) - before, 3);
    r.cmd(&["SADD", "s", "a"]);
    r.cmd(&["SREM", "s", "zz"]);
    assert_eq!(changes_since_save(&mut r) - before, 3);
    r.cmd(&["SPOP", "s", "2"]);
    assert_eq!(changes_since_save(&mut r) - before, 5);
    r.cmd(&["SMOVE", "s", "t", "zz"]);
    assert_eq!(changes_since_save(&mut r) - before, 5);
}

#[test]
fn copies_keep_the_encoding_and_are_independent() {
    let server = TestServer::start();
    let mut r = server.raw();
    create_set(&mut r, "ints", &["1", "2"]);
    create_set(&mut r, "words", &["a", "b"]);
    for (src, enc) in [("ints", "intset"), ("words", "hashtable")] {
        let dst = format!("{src}-copy");
        assert_eq!(r.cmd(&["COPY", src, &dst]), int(1));
        assert_eq!(encoding(&mut r, &dst), enc);
        assert_eq!(r.cmd(&["SADD", &dst, "3"]), int(1));
        assert_eq!(r.cmd(&["SCARD", src]), int(2));
        assert_eq!(r.cmd(&["SCARD", &dst]), int(3));
    }
}
