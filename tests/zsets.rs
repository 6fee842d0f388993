//! Sorted set commands: every command, option and error, RESP2 and RESP3
//! reply shapes, the listpack/skiplist conversion points, blocking pops,
//! and ranks and ranges checked against a simple model on random data.
//! Every expected reply was checked against redis-server 7.0.15. To check
//! them again, run against a real Redis:
//! `REDDISH_TEST_AGAINST=<port> cargo test --test zsets -- --test-threads=1`
//! (each test flushes that server and resets the zset config).

mod common;

use common::{
    array, blocked_clients, bulks, encoding, int_of, wait_blocked, words, Frame, Raw, TestServer,
};

const SYNTAX: &str = "ERR syntax error";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// The server under test and a raw connection to it.
struct Target {
    server: Option<TestServer>,
    port: u16,
    raw: Raw,
}

impl Target {
    fn start() -> Target {
        match std::env::var("REDDISH_TEST_AGAINST") {
            Ok(port) => {
                let port = port.parse().expect("REDDISH_TEST_AGAINST port");
                let mut raw = Raw::connect(port);
                raw.cmd(&["FLUSHALL"]);
                raw.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
                raw.cmd(&["CONFIG", "SET", "zset-max-listpack-value", "64"]);
                Target {
                    server: None,
                    port,
                    raw,
                }
            }
            Err(_) => {
                let server = TestServer::start();
                let raw = server.raw();
                Target {
                    port: server.port,
                    server: Some(server),
                    raw,
                }
            }
        }
    }

    /// Another connection to the same server.
    fn connect(&self) -> Raw {
        Raw::connect(self.port)
    }

    fn cmd(&mut self, args: &[&str]) -> Frame {
        self.raw.cmd(args)
    }

    fn int(&mut self, args: &[&str]) -> i64 {
        int_of(self.cmd(args))
    }

    fn err(&mut self, args: &[&str]) -> String {
        match self.cmd(args) {
            Frame::Error(e) => e,
            other => panic!("{args:?}: expected an error, got {other:?}"),
        }
    }

    /// A flat array reply as text.
    fn strings(&mut self, args: &[&str]) -> Vec<String> {
        flat(&self.cmd(args))
    }

    fn encoding(&mut self, key: &str) -> String {
        encoding(&mut self.raw, key)
    }

    fn hello3(&mut self) {
        assert!(matches!(self.cmd(&["HELLO", "3"]), Frame::Typed(b'%', _)));
    }

    fn set_listpack_limits(&mut self, entries: &str, value: &str) {
        self.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", entries]);
        self.cmd(&["CONFIG", "SET", "zset-max-listpack-value", value]);
    }

    /// Waits until `n` clients are blocked.
    fn wait_blocked(&mut self, n: i64) {
        wait_blocked(&mut self.raw, n);
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if self.server.is_none() {
            self.raw
                .cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
            self.raw
                .cmd(&["CONFIG", "SET", "zset-max-listpack-value", "64"]);
        }
    }
}

/// Every scalar of a (possibly nested) reply, in order, as text.
fn flat(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(Some(items)) | Frame::Typed(_, items) => items.iter().flat_map(flat).collect(),
        Frame::Array(None) => vec!["(nil array)".into()],
        Frame::Bulk(None) => vec!["(nil)".into()],
        other => vec![other.as_text()],
    }
}

fn double(text: &str) -> Frame {
    Frame::Line(b',', text.to_string())
}

fn null3() -> Frame {
    Frame::Line(b'_', String::new())
}

#[test]
fn zadd_options_and_replies() {
    let mut t = Target::start();
    assert_eq!(t.int(&["ZADD", "z", "1", "a", "2", "b"]), 2);
    assert_eq!(t.int(&["ZADD", "z", "1", "a", "3", "c"]), 1);
    assert_eq!(t.int(&["ZADD", "z", "CH", "5", "a", "3", "c", "4", "d"]), 2);
    assert_eq!(t.int(&["ZADD", "z", "XX", "10", "a", "1", "new"]), 0);
    assert_eq!(t.int(&["ZADD", "z", "XX", "CH", "11", "a", "1", "new"]), 1);
    assert_eq!(t.int(&["ZADD", "z", "NX", "0", "a", "9", "e"]), 1);
    assert_eq!(t.cmd(&["ZSCORE", "z", "a"]), Frame::bulk("11"));
    assert_eq!(t.int(&["ZADD", "z", "GT", "CH", "5", "a", "20", "b"]), 1);
    assert_eq!(t.int(&["ZADD", "z", "LT", "CH", "5", "a", "30", "b"]), 1);
    assert_eq!(
        t.strings(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        words("c 3 d 4 a 5 e 9 b 20")
    );
    // GT/LT only restrain updates: new members are still added.
    assert_eq!(t.int(&["ZADD", "z", "GT", "1", "f"]), 1);
    assert_eq!(t.int(&["ZADD", "z", "XX", "GT", "1", "g", "100", "f"]), 0);
    assert_eq!(t.cmd(&["ZSCORE", "z", "f"]), Frame::bulk("100"));
    assert_eq!(t.cmd(&["EXISTS", "nokey"]), Frame::Int(0));
    assert_eq!(t.int(&["ZADD", "nokey", "XX", "1", "a"]), 0);
    assert_eq!(t.int(&["EXISTS", "nokey"]), 0);
}

#[test]
fn zadd_incr_and_zincrby() {
    let mut t = Target::start();
    assert_eq!(t.cmd(&["ZINCRBY", "z", "2.5", "a"]), Frame::bulk("2.5"));
    assert_eq!(t.cmd(&["ZADD", "z", "INCR", "1", "a"]), Frame::bulk("3.5"));
    assert_eq!(
        t.cmd(&["ZADD", "z", "INCR", "GT", "-1", "a"]),
        Frame::Bulk(None)
    );
    assert_eq!(
        t.cmd(&["ZADD", "z", "INCR", "LT", "1", "a"]),
        Frame::Bulk(None)
    );
    assert_eq!(
        t.cmd(&["ZADD", "z", "INCR", "LT", "-1", "a"]),
        Frame::bulk("2.5")
    );
    assert_eq!(
        t.cmd(&["ZADD", "z", "INCR", "NX", "1", "a"]),
        Frame::Bulk(None)
    );
    assert_eq!(
        t.cmd(&["ZADD", "z", "INCR", "XX", "1", "b"]),
        Frame::Bulk(None)
    );
    assert_eq!(t.cmd(&["ZINCRBY", "z", "0", "a"]), Frame::bulk("2.5"));
    assert_eq!(t.cmd(&["ZINCRBY", "z", "-inf", "a"]), Frame::bulk("-inf"));
    assert_eq!(
        t.err(&["ZINCRBY", "z", "+inf", "a"]),
        "ERR resulting score is not a number (NaN)"
    );
    assert_eq!(t.err(&["ZINCRBY", "z", "nan", "a"]), NOT_FLOAT);
    assert_eq!(t.err(&["ZINCRBY", "z", "abc", "a"]), NOT_FLOAT);
    assert_eq!(t.cmd(&["ZSCORE", "z", "a"]), Frame::bulk("-inf"));
    t.hello3();
    assert_eq!(t.cmd(&["ZINCRBY", "z", "1", "b"]), double("1"));
    assert_eq!(t.cmd(&["ZADD", "z", "INCR", "NX", "1", "b"]), null3());
}

#[test]
fn zadd_errors() {
    let mut t = Target::start();
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZADD", "z", "1"],
            "ERR wrong number of arguments for 'zadd' command",
        ),
        (&["ZADD", "z", "NX", "1"], SYNTAX),
        (&["ZADD", "z", "1", "a", "2"], SYNTAX),
        (
            &["ZADD", "z", "NX", "XX", "1", "a"],
            "ERR XX and NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "NX", "GT", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "LT", "NX", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "GT", "LT", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "INCR", "1", "a", "2", "b"],
            "ERR INCR option supports a single increment-element pair",
        ),
        (&["ZADD", "z", "1", "a", "x", "b"], NOT_FLOAT),
        (&["ZADD", "z", "", "a"], NOT_FLOAT),
        (&["ZADD", "z", " 1", "a"], NOT_FLOAT),
        (&["ZADD", "z", "nan", "a"], NOT_FLOAT),
        (&["ZADD", "z", "1e400", "a"], NOT_FLOAT),
        (
            &["ZINCRBY", "z", "1", "a", "b"],
            "ERR wrong number of arguments for 'zincrby' command",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(t.err(args), *expected, "{args:?}");
    }
    // Nothing is added when a later score is bad.
    assert_eq!(t.int(&["EXISTS", "z"]), 0);
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["ZADD", "s", "1", "a"]), WRONGTYPE);
    // Scores: hexadecimal and infinite forms are accepted as strtod does.
    assert_eq!(
        t.int(&["ZADD", "z", "0x10", "hex", "-inf", "low", "+inf", "high"]),
        3
    );
    assert_eq!(
        t.strings(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        words("low -inf hex 16 high inf")
    );
}

#[test]
fn zrem_zcard_and_single_member_queries() {
    let mut t = Target::start();
    t.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(t.int(&["ZCARD", "z"]), 3);
    assert_eq!(t.int(&["ZCARD", "nokey"]), 0);
    assert_eq!(t.int(&["ZREM", "z", "a", "nope", "a"]), 1);
    assert_eq!(t.int(&["ZREM", "nokey", "a"]), 0);
    assert_eq!(t.cmd(&["ZSCORE", "z", "b"]), Frame::bulk("2"));
    assert_eq!(t.cmd(&["ZSCORE", "z", "nope"]), Frame::Bulk(None));
    assert_eq!(t.cmd(&["ZSCORE", "nokey", "a"]), Frame::Bulk(None));
    assert_eq!(
        t.cmd(&["ZMSCORE", "z", "b", "nope", "c"]),
        array(vec![Frame::bulk("2"), Frame::Bulk(None), Frame::bulk("3")])
    );
    assert_eq!(
        t.cmd(&["ZMSCORE", "nokey", "a"]),
        array(vec![Frame::Bulk(None)])
    );
    assert_eq!(t.int(&["ZRANK", "z", "c"]), 1);
    assert_eq!(t.int(&["ZREVRANK", "z", "c"]), 0);
    assert_eq!(t.cmd(&["ZRANK", "z", "nope"]), Frame::Bulk(None));
    assert_eq!(t.cmd(&["ZREVRANK", "nokey", "a"]), Frame::Bulk(None));
    assert_eq!(
        t.err(&["ZRANK", "z", "a", "WITHSCORE"]),
        "ERR wrong number of arguments for 'zrank' command"
    );
    assert_eq!(t.int(&["ZREM", "z", "b", "c"]), 2);
    assert_eq!(t.int(&["EXISTS", "z"]), 0, "an emptied set is deleted");
    t.cmd(&["SET", "s", "x"]);
    for args in [
        &["ZREM", "s", "a"][..],
        &["ZCARD", "s"],
        &["ZSCORE", "s", "a"],
        &["ZMSCORE", "s", "a"],
        &["ZRANK", "s", "a"],
        &["ZREVRANK", "s", "a"],
    ] {
        assert_eq!(t.err(args), WRONGTYPE, "{args:?}");
    }
    t.hello3();
    t.cmd(&["ZADD", "z", "1.5", "a"]);
    assert_eq!(t.cmd(&["ZSCORE", "z", "a"]), double("1.5"));
    assert_eq!(t.cmd(&["ZSCORE", "z", "x"]), null3());
    assert_eq!(t.cmd(&["ZRANK", "z", "x"]), null3());
    assert_eq!(
        t.cmd(&["ZMSCORE", "z", "a", "x"]),
        array(vec![double("1.5"), null3()])
    );
}

/// Loads a..e with scores 1..5 into `z`.
fn five(t: &mut Target) {
    t.cmd(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
}

#[test]
fn zrange_by_rank() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(t.strings(&["ZRANGE", "z", "0", "-1"]), words("a b c d e"));
    assert_eq!(
        t.strings(&["ZRANGE", "z", "1", "2", "WITHSCORES"]),
        words("b 2 c 3")
    );
    assert_eq!(t.strings(&["ZRANGE", "z", "-2", "100"]), words("d e"));
    assert_eq!(t.strings(&["ZRANGE", "z", "-100", "0"]), words("a"));
    assert_eq!(t.strings(&["ZRANGE", "z", "3", "1"]), Vec::<String>::new());
    assert_eq!(t.strings(&["ZRANGE", "z", "5", "10"]), Vec::<String>::new());
    assert_eq!(t.strings(&["ZRANGE", "z", "0", "1", "REV"]), words("e d"));
    assert_eq!(
        t.strings(&["ZREVRANGE", "z", "0", "1", "WITHSCORES"]),
        words("e 5 d 4")
    );
    assert_eq!(t.strings(&["ZREVRANGE", "z", "-1", "-1"]), words("a"));
    assert_eq!(t.cmd(&["ZRANGE", "nokey", "0", "-1"]), array(vec![]));
    assert_eq!(t.err(&["ZRANGE", "z", "a", "1"]), NOT_INTEGER);
    assert_eq!(t.err(&["ZREVRANGE", "z", "0", "1", "REV"]), SYNTAX);
    assert_eq!(
        t.err(&["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(t.err(&["ZRANGE", "z", "0", "1", "LIMIT", "0"]), SYNTAX);
    assert_eq!(
        t.err(&["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"]),
        SYNTAX
    );
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["ZRANGE", "s", "0", "1"]), WRONGTYPE);
}

#[test]
fn zrange_by_score() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(t.strings(&["ZRANGEBYSCORE", "z", "(2", "4"]), words("c d"));
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "-inf", "(2", "WITHSCORES"]),
        words("a 1")
    );
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "2", "+inf", "LIMIT", "1", "2"]),
        words("c d")
    );
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "2", "+inf", "LIMIT", "1", "-1"]),
        words("c d e")
    );
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "2", "+inf", "LIMIT", "-1", "2"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "2", "+inf", "LIMIT", "10", "2"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "2", "+inf", "LIMIT", "0", "0"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "4", "2"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "(3", "(3"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.strings(&["ZREVRANGEBYSCORE", "z", "4", "(1", "WITHSCORES"]),
        words("d 4 c 3 b 2")
    );
    assert_eq!(
        t.strings(&["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"]),
        words("d c")
    );
    assert_eq!(
        t.strings(&["ZRANGE", "z", "(4", "2", "BYSCORE", "REV"]),
        words("c b")
    );
    assert_eq!(
        t.strings(&[
            "ZRANGE",
            "z",
            "1",
            "5",
            "BYSCORE",
            "LIMIT",
            "3",
            "5",
            "WITHSCORES"
        ]),
        words("d 4 e 5")
    );
    // strtod details: the empty string is 0, blanks lead, values saturate.
    assert_eq!(t.strings(&["ZRANGEBYSCORE", "z", "", " 2"]), words("a b"));
    assert_eq!(
        t.strings(&["ZRANGEBYSCORE", "z", "(", "1e999"]),
        words("a b c d e")
    );
    for (min, max) in [("a", "1"), ("1", "x"), ("nan", "1"), ("1", "(nan")] {
        assert_eq!(t.err(&["ZRANGEBYSCORE", "z", min, max]), NOT_FLOAT_RANGE);
    }
    assert_eq!(t.err(&["ZRANGEBYSCORE", "z", "1", "2", "REV"]), SYNTAX);
    assert_eq!(
        t.err(&["ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "a", "1"]),
        NOT_INTEGER
    );
}

#[test]
fn zrange_by_lex() {
    let mut t = Target::start();
    t.cmd(&[
        "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f",
    ]);
    assert_eq!(
        t.strings(&["ZRANGEBYLEX", "l", "-", "+"]),
        words("a b c d e f")
    );
    assert_eq!(t.strings(&["ZRANGEBYLEX", "l", "[b", "(e"]), words("b c d"));
    assert_eq!(
        t.strings(&["ZRANGEBYLEX", "l", "(b", "[e", "LIMIT", "1", "2"]),
        words("d e")
    );
    assert_eq!(
        t.strings(&["ZREVRANGEBYLEX", "l", "[e", "(b"]),
        words("e d c")
    );
    assert_eq!(
        t.strings(&["ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2"]),
        words("e d")
    );
    assert_eq!(
        t.strings(&["ZRANGE", "l", "[d", "-", "BYLEX", "REV"]),
        words("d c b a")
    );
    assert_eq!(
        t.strings(&["ZRANGEBYLEX", "l", "+", "-"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.strings(&["ZRANGEBYLEX", "l", "(c", "(c"]),
        Vec::<String>::new()
    );
    assert_eq!(t.strings(&["ZRANGEBYLEX", "l", "[aa", "[c"]), words("b c"));
    for (min, max) in [("a", "[b"), ("[a", "b"), ("+a", "+"), ("", "+")] {
        assert_eq!(t.err(&["ZRANGEBYLEX", "l", min, max]), NOT_LEX_RANGE);
    }
    assert_eq!(
        t.err(&["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"]),
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    assert_eq!(t.int(&["ZLEXCOUNT", "l", "-", "+"]), 6);
    assert_eq!(t.int(&["ZLEXCOUNT", "l", "[b", "(d"]), 2);
    assert_eq!(t.int(&["ZLEXCOUNT", "nokey", "-", "+"]), 0);
    assert_eq!(t.err(&["ZLEXCOUNT", "l", "b", "c"]), NOT_LEX_RANGE);
    assert_eq!(t.int(&["ZREMRANGEBYLEX", "l", "(a", "[c"]), 2);
    assert_eq!(t.strings(&["ZRANGE", "l", "0", "-1"]), words("a d e f"));
    assert_eq!(t.int(&["ZREMRANGEBYLEX", "l", "-", "+"]), 4);
    assert_eq!(t.int(&["EXISTS", "l"]), 0);
}

#[test]
fn zcount_and_range_removals() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(t.int(&["ZCOUNT", "z", "-inf", "+inf"]), 5);
    assert_eq!(t.int(&["ZCOUNT", "z", "(1", "3"]), 2);
    assert_eq!(t.int(&["ZCOUNT", "z", "3", "1"]), 0);
    assert_eq!(t.int(&["ZCOUNT", "nokey", "0", "1"]), 0);
    assert_eq!(t.err(&["ZCOUNT", "z", "x", "1"]), NOT_FLOAT_RANGE);
    assert_eq!(t.int(&["ZREMRANGEBYRANK", "z", "1", "2"]), 2);
    assert_eq!(t.strings(&["ZRANGE", "z", "0", "-1"]), words("a d e"));
    assert_eq!(t.int(&["ZREMRANGEBYRANK", "z", "5", "10"]), 0);
    assert_eq!(t.err(&["ZREMRANGEBYRANK", "z", "x", "1"]), NOT_INTEGER);
    assert_eq!(t.int(&["ZREMRANGEBYSCORE", "z", "(1", "4"]), 1);
    assert_eq!(t.err(&["ZREMRANGEBYSCORE", "z", "x", "1"]), NOT_FLOAT_RANGE);
    assert_eq!(t.int(&["ZREMRANGEBYSCORE", "nokey", "0", "1"]), 0);
    assert_eq!(t.int(&["ZREMRANGEBYRANK", "z", "0", "-1"]), 2);
    assert_eq!(t.int(&["EXISTS", "z"]), 0);
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["ZREMRANGEBYRANK", "s", "0", "1"]), WRONGTYPE);
    assert_eq!(t.err(&["ZCOUNT", "s", "0", "1"]), WRONGTYPE);
}

#[test]
fn zrangestore() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "1", "2"]), 2);
    assert_eq!(
        t.strings(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
        words("b 2 c 3")
    );
    assert_eq!(
        t.int(&[
            "ZRANGESTORE",
            "dst",
            "z",
            "5",
            "(1",
            "BYSCORE",
            "REV",
            "LIMIT",
            "0",
            "2"
        ]),
        2
    );
    assert_eq!(
        t.strings(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
        words("d 4 e 5")
    );
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "[c", "+", "BYLEX"]), 3);
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "0", "-1", "REV"]), 5);
    assert_eq!(t.strings(&["ZRANGE", "dst", "0", "-1"]), words("a b c d e"));
    assert_eq!(t.encoding("dst"), "listpack");
    // An empty result (or a missing source) deletes the destination.
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "10", "20"]), 0);
    assert_eq!(t.int(&["EXISTS", "dst"]), 0);
    t.cmd(&["SET", "dst", "x"]);
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "nokey", "0", "-1"]), 0);
    assert_eq!(t.int(&["EXISTS", "dst"]), 0);
    assert_eq!(
        t.err(&["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"]),
        SYNTAX
    );
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["ZRANGESTORE", "dst", "s", "0", "-1"]), WRONGTYPE);
    // The destination's encoding follows the result's size.
    t.set_listpack_limits("1", "64");
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "0", "1"]), 2);
    assert_eq!(t.encoding("dst"), "skiplist");
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "0", "0"]), 1);
    assert_eq!(t.encoding("dst"), "listpack");
    t.set_listpack_limits("0", "64");
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "0", "0", "BYSCORE"]), 0);
    assert_eq!(t.int(&["ZRANGESTORE", "dst", "z", "1", "1", "BYSCORE"]), 1);
    assert_eq!(t.encoding("dst"), "skiplist");
}

#[test]
fn range_replies_in_resp3() {
    let mut t = Target::start();
    t.hello3();
    t.cmd(&["ZADD", "z", "1", "a", "2.5", "b"]);
    let pairs = array(vec![
        array(vec![Frame::bulk("a"), double("1")]),
        array(vec![Frame::bulk("b"), double("2.5")]),
    ]);
    assert_eq!(t.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]), pairs);
    assert_eq!(
        t.cmd(&["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"]),
        pairs
    );
    assert_eq!(t.cmd(&["ZUNION", "1", "z", "WITHSCORES"]), pairs);
    assert_eq!(t.cmd(&["ZRANGE", "z", "0", "-1"]), bulks(&["a", "b"]));
    assert_eq!(t.cmd(&["ZRANGE", "nokey", "0", "-1"]), array(vec![]));
}

#[test]
fn encoding_conversions() {
    let mut t = Target::start();
    t.set_listpack_limits("4", "8");
    t.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(t.encoding("z"), "listpack");
    t.cmd(&["ZADD", "z", "5", "e"]);
    assert_eq!(t.encoding("z"), "skiplist");
    // Removing members does not convert back.
    t.cmd(&["ZREM", "z", "a", "b", "c"]);
    assert_eq!(t.encoding("z"), "skiplist");
    t.cmd(&["ZADD", "y", "1", "12345678"]);
    assert_eq!(t.encoding("y"), "listpack");
    t.cmd(&["ZADD", "y", "1", "123456789"]);
    assert_eq!(t.encoding("y"), "skiplist");
    // A new set whose first member is too long starts as a skiplist.
    t.cmd(&["ZADD", "x", "1", "123456789", "2", "a"]);
    assert_eq!(t.encoding("x"), "skiplist");
    t.set_listpack_limits("0", "64");
    t.cmd(&["ZADD", "w", "1", "a"]);
    assert_eq!(t.encoding("w"), "skiplist");
    // Stored results are listpacks again when small enough.
    t.set_listpack_limits("128", "64");
    assert_eq!(t.int(&["ZUNIONSTORE", "u", "1", "z"]), 2);
    assert_eq!(t.encoding("u"), "listpack");
    assert_eq!(
        t.strings(&["ZRANGE", "u", "0", "-1", "WITHSCORES"]),
        words("d 4 e 5")
    );
    // A largest double stays exact in a listpack.
    let max = "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368";
    t.cmd(&["ZADD", "big", max, "m"]);
    assert_eq!(t.encoding("big"), "listpack");
    assert_eq!(
        t.cmd(&["ZSCORE", "big", "m"]),
        Frame::bulk("1.7976931348623157e+308")
    );
}

#[test]
fn negative_zero_scores() {
    let mut t = Target::start();
    // A listpack stores -0 as 0; a skiplist keeps the sign.
    t.cmd(&["ZADD", "z", "-0", "a"]);
    assert_eq!(t.cmd(&["ZSCORE", "z", "a"]), Frame::bulk("0"));
    t.set_listpack_limits("0", "64");
    t.cmd(&["ZADD", "s", "-0", "a"]);
    assert_eq!(t.cmd(&["ZSCORE", "s", "a"]), Frame::bulk("-0"));
    // 0 and -0 are the same score: no update.
    assert_eq!(t.int(&["ZADD", "s", "CH", "0", "a"]), 0);
}

#[test]
fn pops() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(t.strings(&["ZPOPMIN", "z"]), words("a 1"));
    assert_eq!(t.strings(&["ZPOPMAX", "z", "2"]), words("e 5 d 4"));
    assert_eq!(t.cmd(&["ZPOPMIN", "z", "0"]), array(vec![]));
    assert_eq!(t.strings(&["ZPOPMIN", "z", "10"]), words("b 2 c 3"));
    assert_eq!(t.int(&["EXISTS", "z"]), 0);
    assert_eq!(t.cmd(&["ZPOPMIN", "nokey"]), array(vec![]));
    assert_eq!(t.cmd(&["ZPOPMAX", "nokey", "3"]), array(vec![]));
    for bad in ["-1", "abc"] {
        assert_eq!(
            t.err(&["ZPOPMIN", "z", bad]),
            "ERR value is out of range, must be positive"
        );
    }
    assert_eq!(t.err(&["ZPOPMIN", "z", "1", "2"]), SYNTAX);
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["ZPOPMIN", "s"]), WRONGTYPE);
    t.hello3();
    five(&mut t);
    assert_eq!(
        t.cmd(&["ZPOPMIN", "z"]),
        array(vec![Frame::bulk("a"), double("1")])
    );
    assert_eq!(
        t.cmd(&["ZPOPMAX", "z", "1"]),
        array(vec![array(vec![Frame::bulk("e"), double("5")])])
    );
}

#[test]
fn zmpop() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(
        t.strings(&["ZMPOP", "2", "nokey", "z", "MIN"]),
        words("z a 1")
    );
    assert_eq!(
        t.strings(&["ZMPOP", "1", "z", "max", "COUNT", "2"]),
        words("z e 5 d 4")
    );
    assert_eq!(
        t.strings(&["ZMPOP", "1", "z", "MIN", "COUNT", "10"]),
        words("z b 2 c 3")
    );
    assert_eq!(t.cmd(&["ZMPOP", "1", "z", "MIN"]), Frame::Array(None));
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZMPOP", "0", "z", "MIN"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["ZMPOP", "-1", "z", "MIN"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["ZMPOP", "x", "z", "MIN"],
            "ERR numkeys should be greater than 0",
        ),
        (&["ZMPOP", "2", "z", "MIN"], SYNTAX),
        (&["ZMPOP", "1", "z", "MIDDLE"], SYNTAX),
        (&["ZMPOP", "1", "z", "MIN", "COUNT"], SYNTAX),
        (
            &["ZMPOP", "1", "z", "MIN", "COUNT", "0"],
            "ERR count should be greater than 0",
        ),
        (
            &["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"],
            SYNTAX,
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(t.err(args), *expected, "{args:?}");
    }
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["ZMPOP", "2", "nokey", "s", "MIN"]), WRONGTYPE);
    t.hello3();
    five(&mut t);
    assert_eq!(
        t.cmd(&["ZMPOP", "1", "z", "MIN"]),
        array(vec![
            Frame::bulk("z"),
            array(vec![array(vec![Frame::bulk("a"), double("1")])])
        ])
    );
    assert_eq!(t.cmd(&["ZMPOP", "1", "nokey", "MIN"]), null3());
}

#[test]
fn blocking_pops_served_at_once_and_errors() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(t.strings(&["BZPOPMIN", "nokey", "z", "0"]), words("z a 1"));
    assert_eq!(t.strings(&["BZPOPMAX", "z", "0"]), words("z e 5"));
    assert_eq!(
        t.strings(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]),
        words("z d 4 c 3")
    );
    assert_eq!(t.cmd(&["BZPOPMIN", "nokey", "0.01"]), Frame::Array(None));
    assert_eq!(
        t.cmd(&["BZMPOP", "0.01", "1", "nokey", "MIN"]),
        Frame::Array(None)
    );
    assert_eq!(
        t.err(&["BZPOPMIN", "z", "x"]),
        "ERR timeout is not a float or out of range"
    );
    assert_eq!(t.err(&["BZPOPMIN", "z", "-1"]), "ERR timeout is negative");
    assert_eq!(
        t.err(&["BZMPOP", "0", "0", "z", "MIN"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(t.err(&["BZMPOP", "0", "1", "z", "FOO"]), SYNTAX);
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["BZPOPMIN", "nokey", "s", "0"]), WRONGTYPE);
    t.hello3();
    assert_eq!(t.cmd(&["BZPOPMIN", "nokey", "0.01"]), null3());
    assert_eq!(
        t.cmd(&["BZPOPMAX", "z", "0"]),
        array(vec![Frame::bulk("z"), Frame::bulk("b"), double("2")])
    );
}

#[test]
fn blocked_client_is_served_by_a_write() {
    let mut t = Target::start();
    let mut waiter = t.connect();
    waiter.send_cmd(&["BZPOPMIN", "k1", "k2", "0"]);
    t.wait_blocked(1);
    t.cmd(&["ZADD", "k2", "5", "x", "1", "y"]);
    assert_eq!(flat(&waiter.read()), words("k2 y 1"));
    assert_eq!(t.strings(&["ZRANGE", "k2", "0", "-1"]), words("x"));
    waiter.send_cmd(&["BZMPOP", "0", "2", "k1", "k2", "MAX", "COUNT", "5"]);
    waiter.send_cmd(&["PING"]);
    assert_eq!(flat(&waiter.read()), words("k2 x 5"));
    assert_eq!(waiter.read(), Frame::Simple("PONG".into()));
    assert_eq!(t.int(&["EXISTS", "k2"]), 0);
    // Waiters are served in arrival order, one member each.
    let mut second = t.connect();
    waiter.send_cmd(&["BZPOPMAX", "q", "0"]);
    t.wait_blocked(1);
    second.send_cmd(&["BZPOPMAX", "q", "0"]);
    t.wait_blocked(2);
    t.cmd(&["ZADD", "q", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(flat(&waiter.read()), words("q c 3"));
    assert_eq!(flat(&second.read()), words("q b 2"));
    assert_eq!(t.strings(&["ZRANGE", "q", "0", "-1"]), words("a"));
}

#[test]
fn blocked_client_ignores_keys_of_another_type() {
    let mut t = Target::start();
    let mut waiter = t.connect();
    waiter.send_cmd(&["BZPOPMIN", "k", "0"]);
    t.wait_blocked(1);
    t.cmd(&["SET", "k", "x"]);
    t.cmd(&["DEL", "k"]);
    assert_eq!(blocked_clients(&mut t.raw), 1);
    t.cmd(&["ZADD", "k", "1", "m"]);
    assert_eq!(flat(&waiter.read()), words("k m 1"));
}

#[test]
fn blocked_pops_time_out_or_are_unblocked() {
    let mut t = Target::start();
    let mut waiter = t.connect();
    let id = waiter.cmd(&["CLIENT", "ID"]).as_text();
    waiter.send_cmd(&["BZPOPMIN", "k", "0.2"]);
    assert_eq!(waiter.read(), Frame::Array(None));
    waiter.send_cmd(&["BZMPOP", "0", "1", "k", "MIN"]);
    t.wait_blocked(1);
    assert_eq!(t.int(&["CLIENT", "UNBLOCK", &id]), 1);
    assert_eq!(waiter.read(), Frame::Array(None));
    waiter.send_cmd(&["BZPOPMAX", "k", "0"]);
    t.wait_blocked(1);
    assert_eq!(t.int(&["CLIENT", "UNBLOCK", &id, "ERROR"]), 1);
    assert_eq!(
        waiter.read(),
        Frame::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK".into())
    );
    assert_eq!(blocked_clients(&mut t.raw), 0);
    assert!(matches!(waiter.cmd(&["HELLO", "3"]), Frame::Typed(b'%', _)));
    waiter.send_cmd(&["BZPOPMIN", "k", "0.05"]);
    assert_eq!(waiter.read(), null3());
}

#[test]
fn zrandmember() {
    let mut t = Target::start();
    five(&mut t);
    assert_eq!(t.cmd(&["ZRANDMEMBER", "nokey"]), Frame::Bulk(None));
    assert_eq!(t.cmd(&["ZRANDMEMBER", "nokey", "3"]), array(vec![]));
    assert_eq!(t.cmd(&["ZRANDMEMBER", "z", "0"]), array(vec![]));
    let one = t.cmd(&["ZRANDMEMBER", "z"]).as_text();
    assert!("abcde".contains(&one) && one.len() == 1);
    // The whole set when asking for at least its size, highest first.
    assert_eq!(
        t.strings(&["ZRANDMEMBER", "z", "10", "WITHSCORES"]),
        words("e 5 d 4 c 3 b 2 a 1")
    );
    let mut distinct = t.strings(&["ZRANDMEMBER", "z", "4"]);
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4);
    let picks = t.strings(&["ZRANDMEMBER", "z", "-20"]);
    assert_eq!(picks.len(), 20);
    assert!(picks.iter().all(|m| "abcde".contains(m.as_str())));
    let with = t.strings(&["ZRANDMEMBER", "z", "-3", "WITHSCORES"]);
    assert_eq!(with.len(), 6);
    for pair in with.chunks(2) {
        let expected = (pair[0].as_bytes()[0] - b'a' + 1).to_string();
        assert_eq!(pair[1], expected);
    }
    assert_eq!(t.err(&["ZRANDMEMBER", "z", "1", "x"]), SYNTAX);
    assert_eq!(t.err(&["ZRANDMEMBER", "z", "x"]), NOT_INTEGER);
    assert_eq!(
        t.err(&["ZRANDMEMBER", "z", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        t.err(&["ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"]),
        "ERR value is out of range"
    );
    t.hello3();
    let reply = t.cmd(&["ZRANDMEMBER", "z", "2", "WITHSCORES"]);
    let Frame::Array(Some(items)) = reply else {
        panic!("expected an array")
    };
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .all(|p| matches!(p, Frame::Array(Some(pair)) if matches!(pair[1], Frame::Line(b',', _)))));
    // A large set draws from the skiplist encoding the same way.
    t.set_listpack_limits("0", "64");
    t.cmd(&[
        "ZADD", "big", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f", "7", "g",
    ]);
    let mut some = t.strings(&["ZRANDMEMBER", "big", "2"]);
    some.sort();
    some.dedup();
    assert_eq!(some.len(), 2);
    let mut most = t.strings(&["ZRANDMEMBER", "big", "6"]);
    most.sort();
    most.dedup();
    assert_eq!(most.len(), 6);
}

#[test]
fn set_operations() {
    let mut t = Target::start();
    t.cmd(&["ZADD", "m", "1", "a", "2", "b", "3", "c"]);
    t.cmd(&["ZADD", "n", "1", "b", "3", "c", "4", "d"]);
    assert_eq!(
        t.strings(&["ZUNION", "2", "m", "n", "WITHSCORES"]),
        words("a 1 b 3 d 4 c 6")
    );
    assert_eq!(
        t.strings(&["ZUNION", "2", "m", "n", "WEIGHTS", "2", "3", "WITHSCORES"]),
        words("a 2 b 7 d 12 c 15")
    );
    assert_eq!(
        t.strings(&["ZUNION", "2", "m", "n", "AGGREGATE", "MIN", "WITHSCORES"]),
        words("a 1 b 1 c 3 d 4")
    );
    assert_eq!(
        t.strings(&["ZUNION", "2", "m", "n", "aggregate", "max", "WITHSCORES"]),
        words("a 1 b 2 c 3 d 4")
    );
    assert_eq!(
        t.strings(&["ZINTER", "2", "m", "n", "WITHSCORES"]),
        words("b 3 c 6")
    );
    assert_eq!(t.strings(&["ZINTER", "2", "m", "n"]), words("b c"));
    assert_eq!(
        t.strings(&[
            "ZINTER",
            "2",
            "m",
            "n",
            "WEIGHTS",
            "1",
            "-1",
            "AGGREGATE",
            "MAX",
            "WITHSCORES"
        ]),
        words("b 2 c 3")
    );
    assert_eq!(
        t.strings(&["ZDIFF", "2", "m", "n", "WITHSCORES"]),
        words("a 1")
    );
    assert_eq!(t.strings(&["ZDIFF", "2", "m", "m"]), Vec::<String>::new());
    assert_eq!(t.int(&["ZINTERCARD", "2", "m", "n"]), 2);
    assert_eq!(t.int(&["ZINTERCARD", "2", "m", "n", "LIMIT", "1"]), 1);
    assert_eq!(t.int(&["ZINTERCARD", "2", "m", "n", "LIMIT", "0"]), 2);
    assert_eq!(t.int(&["ZINTERCARD", "2", "m", "nokey"]), 0);
    assert_eq!(
        t.strings(&["ZUNION", "2", "nokey", "nokey2"]),
        Vec::<String>::new()
    );
    assert_eq!(t.int(&["ZUNIONSTORE", "dst", "2", "m", "n"]), 4);
    assert_eq!(
        t.strings(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
        words("a 1 b 3 d 4 c 6")
    );
    assert_eq!(
        t.int(&["ZINTERSTORE", "dst", "2", "m", "n", "WEIGHTS", "2", "1"]),
        2
    );
    assert_eq!(
        t.strings(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
        words("b 5 c 9")
    );
    assert_eq!(t.int(&["ZDIFFSTORE", "dst", "2", "n", "m"]), 1);
    assert_eq!(
        t.strings(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
        words("d 4")
    );
    assert_eq!(t.int(&["ZINTERSTORE", "dst", "2", "m", "nokey"]), 0);
    assert_eq!(t.int(&["EXISTS", "dst"]), 0);
    // +inf + -inf sums to 0; 0 * inf weights count as 0.
    t.cmd(&["ZADD", "i1", "+inf", "a", "-inf", "b"]);
    t.cmd(&["ZADD", "i2", "-inf", "a", "+inf", "b"]);
    assert_eq!(
        t.strings(&["ZUNION", "2", "i1", "i2", "WITHSCORES"]),
        words("a 0 b 0")
    );
    assert_eq!(
        t.strings(&["ZINTER", "2", "i1", "i2", "WEIGHTS", "0", "0", "WITHSCORES"]),
        words("a 0 b 0")
    );
}

#[test]
fn set_operation_errors() {
    let mut t = Target::start();
    t.cmd(&["ZADD", "m", "1", "a"]);
    t.cmd(&["SET", "s", "x"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZUNION", "0", "m"],
            "ERR at least 1 input key is needed for 'zunion' command",
        ),
        (
            &["ZUNIONSTORE", "d", "0", "m"],
            "ERR at least 1 input key is needed for 'zunionstore' command",
        ),
        (
            &["ZINTERCARD", "0", "m"],
            "ERR at least 1 input key is needed for 'zintercard' command",
        ),
        (
            &["ZDIFF", "-1", "m"],
            "ERR at least 1 input key is needed for 'zdiff' command",
        ),
        (&["ZUNION", "x", "m"], NOT_INTEGER),
        (&["ZUNION", "3", "m"], SYNTAX),
        (&["ZUNION", "1", "m", "WEIGHTS"], SYNTAX),
        (
            &["ZUNION", "1", "m", "WEIGHTS", "x"],
            "ERR weight value is not a float",
        ),
        (&["ZUNION", "1", "m", "AGGREGATE", "AVG"], SYNTAX),
        (&["ZUNION", "1", "m", "FOO"], SYNTAX),
        (&["ZDIFF", "1", "m", "WEIGHTS", "1"], SYNTAX),
        (&["ZUNIONSTORE", "d", "1", "m", "WITHSCORES"], SYNTAX),
        (&["ZINTERCARD", "1", "m", "WITHSCORES"], SYNTAX),
        (
            &["ZINTERCARD", "1", "m", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
        (
            &["ZINTERCARD", "1", "m", "LIMIT", "x"],
            "ERR LIMIT can't be negative",
        ),
        (&["ZUNION", "2", "m", "s"], WRONGTYPE),
        // A wrong type is found before the options are read.
        (&["ZINTER", "1", "s", "FOO"], WRONGTYPE),
    ];
    for (args, expected) in cases {
        assert_eq!(t.err(args), *expected, "{args:?}");
    }
}

#[test]
fn zscan() {
    let mut t = Target::start();
    t.cmd(&["ZADD", "z", "1", "a", "2.5", "b", "1e17", "c"]);
    // A listpack comes back whole, scores as Redis stores them.
    assert_eq!(
        t.strings(&["ZSCAN", "z", "0"]),
        words("0 a 1 b 2.5 c 100000000000000000")
    );
    assert_eq!(
        t.strings(&["ZSCAN", "z", "0", "MATCH", "[ab]", "COUNT", "1"]),
        words("0 a 1 b 2.5")
    );
    assert_eq!(t.strings(&["ZSCAN", "nokey", "0"]), words("0"));
    assert_eq!(t.err(&["ZSCAN", "z", "x"]), "ERR invalid cursor");
    assert_eq!(t.err(&["ZSCAN", "z", "0", "COUNT", "0"]), SYNTAX);
    assert_eq!(t.err(&["ZSCAN", "z", "0", "TYPE", "zset"]), SYNTAX);
    t.cmd(&["SET", "s", "x"]);
    assert_eq!(t.err(&["ZSCAN", "s", "0"]), WRONGTYPE);
    // A skiplist is walked with a cursor until it comes back to 0.
    t.set_listpack_limits("0", "64");
    for i in 0..200 {
        t.cmd(&["ZADD", "big", &i.to_string(), &format!("m{i}")]);
    }
    let mut seen = std::collections::BTreeMap::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let reply = t.cmd(&["ZSCAN", "big", &cursor, "COUNT", "20"]);
        let Frame::Array(Some(parts)) = reply else {
            panic!("bad ZSCAN reply")
        };
        cursor = parts[0].as_text();
        for pair in flat(&parts[1]).chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        calls += 1;
        if cursor == "0" {
            break;
        }
        assert!(calls < 1000);
    }
    assert!(calls > 1);
    assert_eq!(seen.len(), 200);
    assert_eq!(seen.get("m7").map(String::as_str), Some("7"));
}

#[test]
fn digests_match_redis() {
    let mut t = Target::start();
    t.cmd(&["ZADD", "z", "1", "a", "2.5", "b", "-0", "c", "1e100", "d"]);
    assert_eq!(
        flat(&t.cmd(&["DEBUG", "DIGEST-VALUE", "z"])),
        ["a174fcb72c00910c31e5ff0b16888442f93e4e44"]
    );
    assert_eq!(
        t.cmd(&["DEBUG", "DIGEST"]).as_text(),
        "c25ffc78df3dd8ca22b6b2126595d73c393259ac"
    );
    t.set_listpack_limits("0", "64");
    t.cmd(&[
        "ZADD", "s", "1", "a", "2.5", "b", "-0", "c", "1e100", "d", "inf", "e",
    ]);
    assert_eq!(
        flat(&t.cmd(&["DEBUG", "DIGEST-VALUE", "s"])),
        ["3f0c502fe935c3b4fb03f31573082034dc0d058d"]
    );
}

#[test]
fn type_copy_and_command_info() {
    let mut t = Target::start();
    t.cmd(&["ZADD", "z", "1", "a"]);
    assert_eq!(t.cmd(&["TYPE", "z"]), Frame::Simple("zset".into()));
    assert_eq!(t.int(&["COPY", "z", "c"]), 1);
    t.cmd(&["ZADD", "z", "2", "b"]);
    assert_eq!(t.strings(&["ZRANGE", "c", "0", "-1"]), words("a"));
    assert_eq!(
        flat(&t.cmd(&[
            "COMMAND",
            "GETKEYS",
            "ZUNIONSTORE",
            "d",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "1",
            "2"
        ])),
        words("d a b")
    );
    assert_eq!(
        flat(&t.cmd(&["COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN"])),
        words("a b")
    );
}

/// A deterministic xorshift generator for the model tests.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x % n
    }
}

/// The model: (score, member) pairs in Redis's order.
fn model_sorted(model: &std::collections::HashMap<String, i64>) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
    v.sort();
    v
}

fn check_against_model(
    t: &mut Target,
    model: &std::collections::HashMap<String, i64>,
    rng: &mut Rng,
) {
    let sorted = model_sorted(model);
    let members: Vec<String> = sorted.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(t.strings(&["ZRANGE", "z", "0", "-1"]), members);
    let mut reversed = members.clone();
    reversed.reverse();
    assert_eq!(t.strings(&["ZREVRANGE", "z", "0", "-1"]), reversed);
    assert_eq!(t.int(&["ZCARD", "z"]), sorted.len() as i64);
    for _ in 0..20 {
        let (a, b) = (rng.below(60) as i64 - 5, rng.below(60) as i64 - 5);
        let in_range: Vec<String> = sorted
            .iter()
            .filter(|(s, _)| *s > a && *s <= b)
            .map(|(_, m)| m.clone())
            .collect();
        let (min, max) = (format!("({a}"), b.to_string());
        assert_eq!(t.strings(&["ZRANGEBYSCORE", "z", &min, &max]), in_range);
        assert_eq!(t.int(&["ZCOUNT", "z", &min, &max]), in_range.len() as i64);
        let offset = rng.below(5) as usize;
        let expected: Vec<String> = in_range
            .iter()
            .rev()
            .skip(offset)
            .take(3)
            .cloned()
            .collect();
        assert_eq!(
            t.strings(&[
                "ZREVRANGEBYSCORE",
                "z",
                &max,
                &min,
                "LIMIT",
                &offset.to_string(),
                "3"
            ]),
            expected
        );
        if let Some(i) = (!sorted.is_empty()).then(|| rng.below(sorted.len() as u64) as usize) {
            assert_eq!(t.int(&["ZRANK", "z", &sorted[i].1]), i as i64);
            assert_eq!(
                t.int(&["ZREVRANK", "z", &sorted[i].1]),
                (sorted.len() - 1 - i) as i64
            );
            let (start, stop) = (i.saturating_sub(2), i + 2);
            let expected: Vec<String> = members[start..]
                .iter()
                .take(stop - start + 1)
                .cloned()
                .collect();
            assert_eq!(
                t.strings(&["ZRANGE", "z", &start.to_string(), &stop.to_string()]),
                expected
            );
        }
    }
}

/// Random adds, increments, removals and range removals, checked against a
/// model, in one encoding.
fn model_test(entries_limit: &str, members: u64, rounds: usize, seed: u64) {
    let mut t = Target::start();
    t.set_listpack_limits(entries_limit, "64");
    let mut rng = Rng(seed);
    let mut model = std::collections::HashMap::new();
    for round in 0..rounds {
        let member = format!("m{}", rng.below(members));
        match rng.below(10) {
            0..=5 => {
                let score = rng.below(50) as i64;
                t.cmd(&["ZADD", "z", &score.to_string(), &member]);
                model.insert(member, score);
            }
            6 => {
                let by = rng.below(7) as i64 - 3;
                t.cmd(&["ZINCRBY", "z", &by.to_string(), &member]);
                *model.entry(member).or_insert(0) += by;
            }
            7 | 8 => {
                let removed = t.int(&["ZREM", "z", &member]);
                assert_eq!(removed, i64::from(model.remove(&member).is_some()));
            }
            _ => {
                let sorted = model_sorted(&model);
                let start = rng.below(sorted.len() as u64 + 1) as usize;
                let stop = start + rng.below(4) as usize;
                let removed = t.int(&[
                    "ZREMRANGEBYRANK",
                    "z",
                    &start.to_string(),
                    &stop.to_string(),
                ]);
                let gone: Vec<_> = sorted.iter().skip(start).take(stop - start + 1).collect();
                assert_eq!(removed, gone.len() as i64);
                for (_, m) in gone {
                    model.remove(m);
                }
            }
        }
        if round % 50 == 49 {
            check_against_model(&mut t, &model, &mut rng);
        }
    }
    check_against_model(&mut t, &model, &mut rng);
}

#[test]
fn ranks_and_ranges_match_a_model_in_a_listpack() {
    model_test("1000", 80, 600, 0x9E37_79B9);
}

#[test]
fn ranks_and_ranges_match_a_model_in_a_skiplist() {
    model_test("0", 3000, 2500, 0x85EB_CA6B);
}

#[test]
fn set_operations_accept_plain_sets_scoring_one() {
    let mut t = Target::start();
    t.cmd(&["SADD", "seta", "a", "b", "c", "1", "2"]);
    t.cmd(&["SADD", "ints", "1", "3"]);
    t.cmd(&["ZADD", "zsetb", "1", "b", "2", "c", "3", "d", "5", "1"]);
    let args = [
        "ZUNIONSTORE",
        "zc",
        "2",
        "seta",
        "zsetb",
        "WEIGHTS",
        "2",
        "3",
    ];
    assert_eq!(t.int(&args), 6);
    assert_eq!(
        t.strings(&["ZRANGE", "zc", "0", "-1", "WITHSCORES"]),
        words("2 2 a 2 b 5 c 8 d 9 1 17")
    );
    assert_eq!(t.int(&["ZINTERSTORE", "zc", "2", "seta", "zsetb"]), 3);
    assert_eq!(
        t.strings(&["ZRANGE", "zc", "0", "-1", "WITHSCORES"]),
        words("b 2 c 3 1 6")
    );
    assert_eq!(t.strings(&["ZDIFF", "2", "seta", "zsetb"]), words("2 a"));
    assert_eq!(t.int(&["ZINTERCARD", "2", "ints", "seta"]), 1);
    assert_eq!(
        t.strings(&["ZUNION", "2", "ints", "seta", "WITHSCORES"]),
        words("2 1 3 1 a 1 b 1 c 1 1 2")
    );
    t.cmd(&["SET", "str", "x"]);
    assert_eq!(t.err(&["ZUNION", "2", "str", "seta"]), WRONGTYPE);
}
