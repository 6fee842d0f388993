//! Interoperability with the real Redis 7.0 (`redis-server`,
//! `redis-check-rdb`): files and DUMP payloads move both ways with equal
//! contents, and the compact encodings real Redis writes for every type
//! decode to the right neutral values (and re-encode to the same bytes).
//!
//! The fixtures are made at run time by the installed real server; when it
//! is not installed the tests say so and check nothing else.

mod common;

use common::real_redis::{self, RealRedis};
use common::{
    bulk_bytes, digest, items, ok, run_all, start, stream_data, wait_ready, Frame, Raw, TestServer,
};
use reddish::persistence::reader::{parse_payload, verify_payload, Item, Reader};
use reddish::persistence::value::{Limits, RdbValue, StreamValue, ValueRef};
use reddish::persistence::writer::{dump_payload, WriteOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Strings of every encoding and size class, plus TTLs and databases.
fn string_values() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"int8".to_vec(), b"-100".to_vec()),
        (b"int16".to_vec(), b"30000".to_vec()),
        (b"int32".to_vec(), b"-2000000000".to_vec()),
        (b"int64".to_vec(), b"-9223372036854775808".to_vec()),
        (b"leading-zero".to_vec(), b"0123".to_vec()),
        (b"text".to_vec(), b"hello".to_vec()),
        (b"empty".to_vec(), Vec::new()),
        (b"bin\x00\xff".to_vec(), b"\r\n\x00".to_vec()),
    ];
    let mut seed = 99u64;
    for len in [20usize, 21, 25, 44, 45, 64, 100, 1000, 20000] {
        out.push((format!("same:{}", len).into_bytes(), vec![b'q'; len]));
        let words: Vec<u8> = (0..len).map(|i| b"the quick brown fox "[i % 20]).collect();
        out.push((format!("words:{}", len).into_bytes(), words));
        let noise: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                (seed >> 56) as u8
            })
            .collect();
        out.push((format!("noise:{}", len).into_bytes(), noise));
    }
    out
}

fn fill(r: &mut Raw) {
    for (k, v) in string_values() {
        assert_eq!(r.cmd_bytes(&[b"SET", &k, &v]), ok());
    }
    assert_eq!(r.cmd(&["SET", "ttl-key", "v", "PX", "600000"]), ok());
    for db in ["3", "15"] {
        assert_eq!(r.cmd(&["SELECT", db]), ok());
        assert_eq!(r.cmd(&["SET", "in-db", db]), ok());
        assert_eq!(r.cmd(&["SET", "expiring", "x", "EX", "900"]), ok());
    }
    assert_eq!(r.cmd(&["SELECT", "0"]), ok());
}

/// (database, key).
type Place = (usize, Vec<u8>);
/// (type, value, has a TTL).
type Content = (String, Vec<u8>, bool);

/// Every key of every database.
fn snapshot(r: &mut Raw) -> BTreeMap<Place, Content> {
    let mut out = BTreeMap::new();
    for db in 0..16 {
        assert_eq!(r.cmd(&["SELECT", &db.to_string()]), ok());
        for key in items(r.cmd(&["KEYS", "*"])) {
            let key = bulk_bytes(key);
            let kind = r.cmd_bytes(&[b"TYPE", &key]).as_text();
            let value = bulk_bytes(r.cmd_bytes(&[b"GET", &key]));
            let ttl = match r.cmd_bytes(&[b"PTTL", &key]) {
                Frame::Int(n) => n,
                other => panic!("{:?}", other),
            };
            out.insert((db, key), (kind, value, ttl > 0));
        }
    }
    assert_eq!(r.cmd(&["SELECT", "0"]), ok());
    out
}

fn copy_dump(from: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let to = dir.path().join("dump.rdb");
    std::fs::copy(from, &to).expect("copy dump.rdb");
    (dir, to)
}

#[test]
fn files_reddish_writes_pass_redis_check_rdb_and_load_in_real_redis() {
    if !real_redis::available() {
        return;
    }
    for policy in ["noeviction", "allkeys-lru", "allkeys-lfu"] {
        for compression in ["yes", "no"] {
            let srv = TestServer::start_with(&[
                "--maxmemory-policy",
                policy,
                "--rdbcompression",
                compression,
            ]);
            let mut r = srv.raw();
            fill(&mut r);
            assert_eq!(r.cmd(&["SAVE"]), ok());
            let check = Command::new("redis-check-rdb")
                .arg(srv.path("dump.rdb"))
                .output()
                .expect("redis-check-rdb");
            let report = String::from_utf8_lossy(&check.stdout);
            assert!(check.status.success(), "{}", report);
            assert!(report.contains("RDB looks OK"), "{}", report);
            assert!(report.contains(&format!("{} keys read", string_values().len() + 5)));
            let (dir, _) = copy_dump(&srv.path("dump.rdb"));
            let Some(real) =
                RealRedis::start_if_available(dir.path(), &["--maxmemory-policy", policy])
            else {
                return;
            };
            let mut real_r = real.raw();
            assert_eq!(
                snapshot(&mut real_r),
                snapshot(&mut r),
                "{} {}",
                policy,
                compression
            );
            assert_eq!(digest(&mut real_r), digest(&mut r));
        }
    }
}

#[test]
fn files_real_redis_writes_load_in_reddish() {
    for checksum in ["yes", "no"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(real) = RealRedis::start_if_available(dir.path(), &["--rdbchecksum", checksum])
        else {
            return;
        };
        let mut real_r = real.raw();
        fill(&mut real_r);
        assert_eq!(real_r.cmd(&["SAVE"]), ok());
        let (copy, _) = copy_dump(&dir.path().join("dump.rdb"));
        let srv = start::start_in(copy, None, &["--save", "", "--enable-debug-command", "yes"]);
        let mut r = srv.raw();
        assert!(wait_ready(&mut r, Duration::from_secs(10)));
        assert_eq!(snapshot(&mut r), snapshot(&mut real_r));
        assert_eq!(digest(&mut r), digest(&mut real_r));
    }
}

#[test]
fn dump_payloads_are_identical_and_move_both_ways() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let srv = TestServer::start();
    let (mut mine, mut theirs) = (srv.raw(), real.raw());
    for (key, value) in string_values() {
        for r in [&mut mine, &mut theirs] {
            assert_eq!(r.cmd_bytes(&[b"SET", &key, &value]), ok());
        }
        let a = bulk_bytes(mine.cmd_bytes(&[b"DUMP", &key]));
        let b = bulk_bytes(theirs.cmd_bytes(&[b"DUMP", &key]));
        assert_eq!(a, b, "DUMP of {}", String::from_utf8_lossy(&key));
        let restored = [&b"RESTORE"[..], b"copy", b"0", &b, b"REPLACE"];
        assert_eq!(mine.cmd_bytes(&restored), ok());
        assert_eq!(bulk_bytes(mine.cmd(&["GET", "copy"])), value);
        let restored = [&b"RESTORE"[..], b"copy", b"0", &a, b"REPLACE"];
        assert_eq!(theirs.cmd_bytes(&restored), ok());
        assert_eq!(bulk_bytes(theirs.cmd(&["GET", "copy"])), value);
    }
}

fn opts() -> WriteOptions {
    WriteOptions {
        compression: true,
        checksum: true,
        limits: Limits::default(),
    }
}

/// Decodes a real DUMP payload into its neutral value.
fn decode(payload: &[u8]) -> RdbValue {
    let body = verify_payload(payload, true).expect("valid footer");
    parse_payload(body, true).expect("valid payload")
}

fn byte_items(f: Frame) -> Vec<Vec<u8>> {
    items(f).into_iter().map(bulk_bytes).collect()
}

fn pairs(f: Frame) -> Vec<(Vec<u8>, Vec<u8>)> {
    byte_items(f)
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect()
}

fn sorted_vec<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Runs commands on the real server and returns the DUMP of `key`.
fn build(r: &mut Raw, key: &str, commands: &[Vec<String>]) -> Vec<u8> {
    r.cmd(&["DEL", key]);
    run_all(r, commands);
    bulk_bytes(r.cmd(&["DUMP", key]))
}

fn command(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

#[test]
fn collection_payloads_of_real_redis_decode_and_reencode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let mut r = real.raw();
    let reencode = |v: &RdbValue| dump_payload(&ValueRef::Neutral(v.clone()), opts());

    // Lists: one listpack node, then many nodes (RPUSH fills them in order).
    for n in [3usize, 2000] {
        let mut push = command(&["RPUSH", "l"]);
        push.extend((0..n).map(|i| {
            if i % 3 == 0 {
                i.to_string()
            } else {
                format!("item-{}", i)
            }
        }));
        let payload = build(&mut r, "l", &[push]);
        let value = decode(&payload);
        assert_eq!(
            value,
            RdbValue::List(byte_items(r.cmd(&["LRANGE", "l", "0", "-1"])))
        );
        assert_eq!(reencode(&value), payload, "list of {}", n);
    }

    // Hashes: a listpack (byte-identical), a hash table (same pairs).
    let payload = build(
        &mut r,
        "h",
        &[command(&["HSET", "h", "a", "1", "b", "x", "c", "-70000"])],
    );
    let value = decode(&payload);
    assert!(matches!(value, RdbValue::Hash { listpack: true, .. }));
    assert_eq!(reencode(&value), payload);
    let mut big = command(&["HSET", "h"]);
    for i in 0..600 {
        big.push(format!("f{}", i));
        big.push(format!("v{}", i));
    }
    let payload = build(&mut r, "h", &[big]);
    match decode(&payload) {
        RdbValue::Hash {
            pairs: got,
            listpack: false,
        } => {
            assert_eq!(sorted_vec(got), sorted_vec(pairs(r.cmd(&["HGETALL", "h"]))));
        }
        other => panic!("{:?}", other),
    }

    // Sets: an intset (byte-identical), a hash table of strings.
    let payload = build(
        &mut r,
        "s",
        &[command(&["SADD", "s", "5", "-3", "100000", "7"])],
    );
    let value = decode(&payload);
    assert!(matches!(value, RdbValue::Set { intset: true, .. }));
    assert_eq!(reencode(&value), payload);
    let payload = build(&mut r, "s", &[command(&["SADD", "s", "a", "b", "3"])]);
    match decode(&payload) {
        RdbValue::Set {
            members,
            intset: false,
        } => {
            assert_eq!(
                sorted_vec(members),
                sorted_vec(byte_items(r.cmd(&["SMEMBERS", "s"])))
            );
        }
        other => panic!("{:?}", other),
    }

    // Sorted sets: a listpack and a skiplist, both byte-identical.
    let zadd = command(&["ZADD", "z", "1", "a", "1.5", "b", "-inf", "c", "3e30", "d"]);
    let payload = build(&mut r, "z", &[zadd]);
    let value = decode(&payload);
    assert!(matches!(value, RdbValue::ZSet { listpack: true, .. }));
    assert_eq!(reencode(&value), payload);
    let mut big = command(&["ZADD", "z"]);
    for i in 0..200 {
        big.push(format!("{}.25", i % 50));
        big.push(format!("member-{}", i));
    }
    let payload = build(&mut r, "z", &[big]);
    let value = decode(&payload);
    match &value {
        RdbValue::ZSet {
            members,
            listpack: false,
        } => {
            let names: Vec<Vec<u8>> = members.iter().map(|(m, _)| m.clone()).collect();
            assert_eq!(names, byte_items(r.cmd(&["ZRANGE", "z", "0", "-1"])));
        }
        other => panic!("{:?}", other),
    }
    assert_eq!(reencode(&value), payload);

    // A stream with a consumer group, a consumer and pending entries.
    let payload = build(
        &mut r,
        "x",
        &[
            command(&["XADD", "x", "1-1", "f", "v", "g", "1"]),
            command(&["XADD", "x", "1-2", "f", "w", "g", "2"]),
            command(&["XADD", "x", "5-0", "other", "field"]),
            command(&["XGROUP", "CREATE", "x", "grp", "0"]),
            command(&[
                "XREADGROUP",
                "GROUP",
                "grp",
                "alice",
                "COUNT",
                "2",
                "STREAMS",
                "x",
                ">",
            ]),
        ],
    );
    let value = decode(&payload);
    let RdbValue::Stream(s) = &value else {
        panic!("{:?}", value);
    };
    check_stream(s);
    assert_eq!(reencode(&value), payload);
}

fn check_stream(s: &StreamValue) {
    let entries = s.entries().expect("valid nodes");
    let ids: Vec<(u64, u64)> = entries.iter().map(|e| (e.id.ms, e.id.seq)).collect();
    assert_eq!(ids, [(1, 1), (1, 2), (5, 0)]);
    assert_eq!(
        entries[2].fields,
        vec![(b"other".to_vec(), b"field".to_vec())]
    );
    assert_eq!((s.length, s.entries_added), (3, 3));
    assert_eq!((s.last_id.ms, s.last_id.seq), (5, 0));
    let g = &s.groups[0];
    assert_eq!(g.name, b"grp");
    assert_eq!(g.entries_read, Some(2));
    assert_eq!(g.pending.len(), 2);
    assert_eq!(g.consumers[0].name, b"alice");
    assert_eq!(g.consumers[0].pending.len(), 2);
}

#[test]
fn a_real_redis_file_with_every_type_decodes_entirely() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let mut r = real.raw();
    for c in [
        command(&["SET", "str", "value"]),
        command(&["RPUSH", "list", "a", "b", "1"]),
        command(&["HSET", "hash", "f", "v"]),
        command(&["SADD", "set", "1", "2"]),
        command(&["SADD", "strset", "x", "y"]),
        command(&["ZADD", "zset", "2", "m"]),
        command(&["XADD", "stream", "1-1", "f", "v"]),
        command(&["SET", "ttl", "v", "EX", "1000"]),
    ] {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        assert!(!matches!(r.cmd(&args), Frame::Error(_)));
    }
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let file = std::fs::File::open(dir.path().join("dump.rdb")).expect("dump.rdb");
    let mut reader = Reader::new(std::io::BufReader::new(file), true);
    assert_eq!(reader.header().expect("header"), 10);
    let mut types = BTreeMap::new();
    loop {
        match reader.next_item().expect("valid item") {
            Item::Eof => break,
            Item::Key(e) => {
                let expires = e.expire_ms.is_some();
                types.insert(
                    String::from_utf8_lossy(&e.key).into_owned(),
                    (e.value.type_name(), expires),
                );
            }
            _ => {}
        }
    }
    assert!(reader.verify_checksum(true).expect("checksum"));
    let expected: BTreeMap<String, (&str, bool)> = [
        ("str", ("string", false)),
        ("list", ("list", false)),
        ("hash", ("hash", false)),
        ("set", ("set", false)),
        ("strset", ("set", false)),
        ("zset", ("zset", false)),
        ("stream", ("stream", false)),
        ("ttl", ("string", true)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(types, expected);
}

#[test]
fn migrate_moves_keys_to_real_redis_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let srv = TestServer::start();
    let (mut mine, mut theirs) = (srv.raw(), real.raw());
    for (k, v) in string_values() {
        assert_eq!(mine.cmd_bytes(&[b"SET", &k, &v]), ok());
    }
    let mut args: Vec<Vec<u8>> = [
        "MIGRATE",
        "127.0.0.1",
        &real.port.to_string(),
        "",
        "2",
        "5000",
        "KEYS",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    args.extend(string_values().into_iter().map(|(k, _)| k));
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    assert_eq!(mine.cmd_bytes(&refs), ok());
    assert_eq!(mine.cmd(&["DBSIZE"]), Frame::Int(0));
    assert_eq!(theirs.cmd(&["SELECT", "2"]), ok());
    for (k, v) in string_values() {
        assert_eq!(bulk_bytes(theirs.cmd_bytes(&[b"GET", &k])), v);
    }
    // And back with the real MIGRATE.
    let back = [
        "MIGRATE",
        "127.0.0.1",
        &srv.port.to_string(),
        "text",
        "0",
        "5000",
    ];
    assert_eq!(theirs.cmd(&back), ok());
    assert_eq!(
        mine.cmd(&["GET", "text"]),
        Frame::Bulk(Some(b"hello".to_vec()))
    );
}

#[test]
fn function_libraries_in_a_real_redis_file_are_loaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let mut r = real.raw();
    let code = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
    assert_eq!(
        r.cmd(&["FUNCTION", "LOAD", code]),
        Frame::Bulk(Some(b"mylib".to_vec()))
    );
    assert_eq!(r.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let (copy, _) = copy_dump(&dir.path().join("dump.rdb"));
    let srv = start::start_in(copy, None, &["--save", ""]);
    let mut mine = srv.raw();
    assert!(wait_ready(&mut mine, Duration::from_secs(10)));
    assert_eq!(mine.cmd(&["GET", "k"]), Frame::Bulk(Some(b"v".to_vec())));
    assert_eq!(mine.cmd(&["FCALL", "f", "0"]), Frame::Int(1));
}

/// What must be equal on both servers: XINFO STREAM FULL, encodings,
/// DUMP payloads and the digest.
fn stream_and_zset_state(r: &mut Raw) -> Vec<Frame> {
    let mut out = vec![
        r.cmd(&["XINFO", "STREAM", "s", "FULL"]),
        r.cmd(&["XINFO", "STREAM", "e", "FULL"]),
        r.cmd(&["DEBUG", "DIGEST"]),
    ];
    for key in ["s", "e", "zsmall", "zbig"] {
        out.push(r.cmd(&["OBJECT", "ENCODING", key]));
        out.push(r.cmd(&["DUMP", key]));
    }
    out
}

#[test]
fn streams_and_sorted_sets_move_between_reddish_and_real_redis() {
    if !real_redis::available() {
        return;
    }
    let srv = TestServer::start();
    let mut r = srv.raw();
    run_all(&mut r, &stream_data::commands());
    run_all(&mut r, &stream_data::group_commands());
    let mine = stream_and_zset_state(&mut r);
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let (dir, _) = copy_dump(&srv.path("dump.rdb"));
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let mut real_r = real.raw();
    assert_eq!(
        stream_and_zset_state(&mut real_r),
        mine,
        "reddish file in Redis"
    );
    // Changed by real Redis, then loaded back by reddish.
    run_all(
        &mut real_r,
        &[
            command(&["XACK", "s", "g", "11-1", "30-1"]),
            command(&["XADD", "s", "400-0", "f", "v"]),
            command(&["XDEL", "s", "250-1"]),
        ],
    );
    let theirs = stream_and_zset_state(&mut real_r);
    assert_eq!(real_r.cmd(&["SAVE"]), ok());
    let (copy, _) = copy_dump(&dir.path().join("dump.rdb"));
    let back = start::start_in(copy, None, &["--save", "", "--enable-debug-command", "yes"]);
    let mut back_r = back.raw();
    assert!(wait_ready(&mut back_r, Duration::from_secs(10)));
    assert_eq!(
        stream_and_zset_state(&mut back_r),
        theirs,
        "Redis file in reddish"
    );
    // Payloads cross with RESTORE as well.
    for key in ["s", "zbig"] {
        let payload = bulk_bytes(real_r.cmd(&["DUMP", key]));
        let restore = [&b"RESTORE"[..], b"copy", b"0", &payload];
        assert_eq!(back_r.cmd_bytes(&restore), ok());
        assert_eq!(bulk_bytes(back_r.cmd(&["DUMP", "copy"])), payload);
        assert_eq!(back_r.cmd(&["DEL", "copy"]), Frame::Int(1));
    }
}

#[test]
fn streams_and_sorted_sets_built_alike_dump_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let srv = TestServer::start();
    let (mut mine, mut theirs) = (srv.raw(), real.raw());
    run_all(&mut mine, &stream_data::commands());
    run_all(&mut theirs, &stream_data::commands());
    assert_eq!(
        stream_and_zset_state(&mut mine),
        stream_and_zset_state(&mut theirs)
    );
}
