//! twemproxy (nutcracker) in front of two reddish shards answers data
//! commands as it does in front of two real Redis servers: the same
//! commands, one by one and pipelined, through both proxies give the same
//! replies byte for byte (unordered replies compared sorted), and each
//! reddish shard ends with the same data as the Redis shard of its name.
//!
//! Skipped (with a message) when `nutcracker` or `redis-server` is not
//! installed.

mod common;

use common::real_redis::{self, RealRedis};
use common::twemproxy::{self, Nutcracker};
use common::{digest, encode, encode_bytes, read_frame, Frame, Raw, TestServer};

/// Data commands twemproxy passes to a shard, one per line (arguments
/// split at spaces). A leading `~` marks a reply whose order is not
/// defined (a set): it is compared sorted. `{..}` hash tags put the keys
/// of a multi-key command on one shard; MGET, MSET, DEL and EXISTS are
/// split across shards by the proxy.
const SCRIPT: &str = "
SET str:1 hello
GET str:1
GET missing
SETNX str:1 other
APPEND str:1 -world
STRLEN str:1
GETRANGE str:1 0 3
SETRANGE str:1 1 EL
GETSET str:1 again
SET str:2 v EX 1000
EXPIRE str:1 1000
PERSIST str:2
PERSIST str:1
TTL str:1
TTL missing
INCR counter
INCRBY counter 41
DECRBY counter 2
INCRBYFLOAT float 1.5
INCRBYFLOAT float 0.1
INCR str:1
SETEX str:3 100 x
PERSIST str:3
MSET m:1 a m:2 b m:3 c m:4 d m:5 e
MGET m:1 m:2 m:3 m:4 m:5 missing
EXISTS m:1 m:2 missing
DEL m:1 m:2 missing
TYPE str:1
TYPE m:3
SETBIT bits 7 1
SETBIT bits 100 1
GETBIT bits 7
BITCOUNT bits
BITPOS bits 1
RPUSH list a b c d
LPUSH list z
LRANGE list 0 -1
LINDEX list 2
LSET list 0 y
LINSERT list BEFORE b x
LREM list 1 x
LTRIM list 0 3
LLEN list
LPOP list
RPOP list
RPUSH {l}src 1 2 3
RPOPLPUSH {l}src {l}dst
LRANGE {l}dst 0 -1
SORT {l}src
SORT list ALPHA DESC
HSET hash f1 v1 f2 v2
HSETNX hash f1 v3
HGET hash f1
HMGET hash f1 nope f2
HINCRBY hash n 5
HINCRBYFLOAT hash fl 2.5
HGETALL hash
HKEYS hash
HVALS hash
HLEN hash
HEXISTS hash f2
HSTRLEN hash f2
HDEL hash f1 nope
SADD set a b c 1
~SMEMBERS set
SISMEMBER set a
SCARD set
SREM set a x
SADD {s}1 a b c
SADD {s}2 b c d
~SINTER {s}1 {s}2
~SUNION {s}1 {s}2
~SDIFF {s}1 {s}2
SINTERSTORE {s}3 {s}1 {s}2
SMOVE {s}1 {s}2 a
SADD ints 3 1 2
SMEMBERS ints
ZADD zset 1 a 2 b 3 c
ZRANGE zset 0 -1 WITHSCORES
ZREVRANGE zset 0 -1
ZRANGEBYSCORE zset 1 2 WITHSCORES
ZSCORE zset b
ZINCRBY zset 1.5 a
ZRANK zset a
ZREVRANK zset a
ZCARD zset
ZCOUNT zset 0 10
ZREM zset c
ZADD lex 0 a 0 b 0 c
ZRANGEBYLEX lex [a (c
ZLEXCOUNT lex - +
ZADD {z}1 1 a 2 b
ZADD {z}2 3 b 4 c
ZUNIONSTORE {z}u 2 {z}1 {z}2 WEIGHTS 1 2
ZRANGE {z}u 0 -1 WITHSCORES
ZINTERSTORE {z}i 2 {z}1 {z}2
PFADD hll a b c d
PFADD hll a
PFCOUNT hll
GEOADD geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEODIST geo Palermo Catania km
GEOPOS geo Palermo
GEORADIUS geo 15 37 200 km WITHDIST ASC
LPUSH str:1 x
GET hash
ZADD zset x a
HINCRBY hash f2 1
DEL str:1 str:2 str:3 bits hash
EXISTS str:1 hash
";

/// One command through a proxy; `None` when the proxy closed the
/// connection (then a new one is opened).
fn send(proxy: &Nutcracker, r: &mut Raw, args: &[&[u8]]) -> Option<Frame> {
    r.send(&encode_bytes(args));
    let reply = read_frame(&mut r.stream);
    if reply.is_none() {
        *r = proxy.raw();
    }
    reply
}

/// A reply whose element order is not defined, sorted.
fn sorted(frame: Option<Frame>) -> Option<Frame> {
    match frame {
        Some(Frame::Array(Some(mut items))) => {
            items.sort_by_key(Frame::as_text);
            Some(Frame::Array(Some(items)))
        }
        other => other,
    }
}

/// Two shards of reddish and two of Redis, each pair behind a proxy.
struct Pair {
    reddish: [TestServer; 2],
    redis: [RealRedis; 2],
    _dirs: [tempfile::TempDir; 2],
    reddish_proxy: Nutcracker,
    redis_proxy: Nutcracker,
}

impl Pair {
    fn start() -> Option<Pair> {
        if !twemproxy::available() || !real_redis::available() {
            return None;
        }
        let reddish = [TestServer::start(), TestServer::start()];
        let dirs = [tempfile::tempdir(), tempfile::tempdir()].map(|d| d.expect("tempdir"));
        let redis = [
            RealRedis::start(dirs[0].path(), &[]),
            RealRedis::start(dirs[1].path(), &[]),
        ];
        let reddish_proxy = Nutcracker::start(&[reddish[0].port, reddish[1].port]);
        let redis_proxy = Nutcracker::start(&[redis[0].port, redis[1].port]);
        Some(Pair {
            reddish,
            redis,
            _dirs: dirs,
            reddish_proxy,
            redis_proxy,
        })
    }

    /// Every shard holds the same data as the other kind's shard of its
    /// name, and both shards hold some.
    fn assert_same_shards(&self) {
        for (ours, theirs) in self.reddish.iter().zip(&self.redis) {
            let (mut a, mut b) = (ours.raw(), theirs.raw());
            assert_eq!(digest(&mut a), digest(&mut b), "shard data differs");
            assert_ne!(a.cmd(&["DBSIZE"]), Frame::Int(0), "an empty shard");
        }
    }
}

#[test]
fn data_commands_through_twemproxy_reply_as_on_redis() {
    let Some(pair) = Pair::start() else {
        return;
    };
    let (mut ours, mut theirs) = (pair.reddish_proxy.raw(), pair.redis_proxy.raw());
    for line in SCRIPT.lines().filter(|l| !l.trim().is_empty()) {
        let (unordered, line) = match line.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let mut a = send(&pair.reddish_proxy, &mut ours, &args);
        let mut b = send(&pair.redis_proxy, &mut theirs, &args);
        assert!(b.is_some(), "{line}: twemproxy closed the connection");
        if unordered {
            (a, b) = (sorted(a), sorted(b));
        }
        assert_eq!(a, b, "{line}");
    }
    pair.assert_same_shards();
}

/// Values of many sizes, a DUMP payload restored under another key, and a
/// pipeline of commands over keys of both shards in one write.
#[test]
fn large_values_dump_restore_and_pipelines_through_twemproxy() {
    let Some(pair) = Pair::start() else {
        return;
    };
    let (mut ours, mut theirs) = (pair.reddish_proxy.raw(), pair.redis_proxy.raw());
    for size in [0usize, 1, 100, 16 * 1024, 100_000, 1_000_000] {
        let value = vec![b'x'; size];
        let key = format!("big:{size}");
        for args in [
            vec![b"SET".as_slice(), key.as_bytes(), &value],
            vec![b"GET".as_slice(), key.as_bytes()],
            vec![b"DUMP".as_slice(), key.as_bytes()],
        ] {
            let a = send(&pair.reddish_proxy, &mut ours, &args);
            let b = send(&pair.redis_proxy, &mut theirs, &args);
            assert_eq!(a, b, "{} of {size} bytes", String::from_utf8_lossy(args[0]));
        }
    }
    let payload = match send(&pair.redis_proxy, &mut theirs, &[b"DUMP", b"big:100"]) {
        Some(Frame::Bulk(Some(p))) => p,
        other => panic!("DUMP: {other:?}"),
    };
    let restore: [&[u8]; 4] = [b"RESTORE", b"restored", b"0", &payload];
    let a = send(&pair.reddish_proxy, &mut ours, &restore);
    assert_eq!(a, send(&pair.redis_proxy, &mut theirs, &restore));

    let mut pipeline = Vec::new();
    for i in 0..500 {
        let key = format!("p:{}", i % 37);
        pipeline.extend(encode(&["INCR", &key]));
        pipeline.extend(encode(&[
            "RPUSH",
            &format!("pl:{}", i % 11),
            &i.to_string(),
        ]));
    }
    let keys: Vec<String> = (0..37).map(|i| format!("p:{i}")).collect();
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    pipeline.extend(encode(&mget));
    let replies = |r: &mut Raw| -> Vec<Frame> {
        r.send(&pipeline);
        (0..1001).map(|_| r.read()).collect()
    };
    assert_eq!(replies(&mut ours), replies(&mut theirs));
    pair.assert_same_shards();
}
