//! HyperLogLog commands: PFCOUNT numbers and HLL bytes equal to what real
//! Redis 7.0.15 gives for the same input (the numbers below were taken
//! from it), PFMERGE and multi-key PFCOUNT, PFDEBUG, the cache, the error
//! texts, corrupt values, and HLLs moving between reddish and real Redis
//! through DUMP/RESTORE, RDB files and replication.
//!
//! Every test also passes against real Redis
//! (`REDDISH_TEST_SERVER=$(command -v redis-server)`).

mod common;

use common::real_redis::{self, RealRedis};
use common::{
    bulk_bytes, changes_since_save, encoding, err, int, int_of, items, link_up, nil_array, ok,
    server_binary, spawn_in, wait_for, wait_ready, Frame, Raw, TestServer,
};
use sha1::{Digest as _, Sha1};
use std::time::Duration;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALIDOBJ: &str = "INVALIDOBJ Corrupted HLL object detected";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const PATIENCE: Duration = Duration::from_secs(20);

/// Adds `prefix0` .. `prefix{n-1}` to `key` (a PFADD with no element
/// when `n` is 0), a thousand per command.
fn add(r: &mut Raw, key: &str, prefix: &str, n: usize) {
    let elements: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    if elements.is_empty() {
        assert_eq!(r.cmd(&["PFADD", key]), int(1));
    }
    for chunk in elements.chunks(1000) {
        let mut args = vec!["PFADD", key];
        args.extend(chunk.iter().map(String::as_str));
        assert!(matches!(r.cmd(&args), Frame::Int(_)));
    }
}

/// The first 16 hex digits of the SHA-1 of `key`'s bytes.
fn fingerprint(r: &mut Raw, key: &str) -> String {
    let bytes = bulk_bytes(r.cmd(&["GET", key]));
    hex::encode(Sha1::digest(&bytes))[..16].to_string()
}

fn set_bytes(r: &mut Raw, key: &str, value: &[u8]) {
    assert_eq!(r.cmd_bytes(&[b"SET", key.as_bytes(), value]), ok());
}

/// The bytes of an empty HLL as PFADD creates it.
fn empty_hll() -> Vec<u8> {
    let mut v = b"HYLL\x01".to_vec();
    v.extend_from_slice(&[0; 11]);
    v.extend_from_slice(&[0x7f, 0xff]);
    v
}

#[test]
fn counts_encodings_and_bytes_are_redis_ones() {
    // (hll-sparse-max-bytes, elements, PFCOUNT, encoding, STRLEN, bytes),
    // from real Redis 7.0.15 for `e:0` .. `e:{n-1}`.
    let expected = [
        ("3000", 0, 0, "sparse", 18, "6892f6e9ee148f17"),
        ("3000", 1, 1, "sparse", 21, "748dc5c88f23d227"),
        ("3000", 100, 100, "sparse", 279, "d497b965ba2a911c"),
        ("3000", 1000, 995, "sparse", 1880, "bc14f59b816ad03b"),
        ("3000", 100000, 100342, "dense", 12304, "f8ffa71d1533a91d"),
        ("12000", 8000, 8026, "sparse", 9534, "56729fe77b31a71b"),
        ("0", 1, 1, "dense", 12304, "dde742fd702da691"),
        ("0", 100, 100, "dense", 12304, "7135ecbf2490f484"),
        ("0", 1000, 995, "dense", 12304, "1e83b225d4fd724f"),
        ("0", 100000, 100342, "dense", 12304, "f8ffa71d1533a91d"),
    ];
    let srv = TestServer::start();
    let mut r = srv.raw();
    for (limit, n, count, enc, len, bytes) in expected {
        assert_eq!(
            r.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", limit]),
            ok()
        );
        r.cmd(&["DEL", "k"]);
        add(&mut r, "k", "e:", n);
        let what = format!("{n} elements, limit {limit}");
        assert_eq!(r.cmd(&["PFCOUNT", "k"]), int(count), "{what}");
        assert_eq!(
            r.cmd(&["PFDEBUG", "ENCODING", "k"]).as_text(),
            enc,
            "{what}"
        );
        assert_eq!(r.cmd(&["STRLEN", "k"]), int(len), "{what}");
        assert_eq!(fingerprint(&mut r, "k"), bytes, "{what}");
        assert_eq!(encoding(&mut r, "k"), "raw");
    }
}

#[test]
fn a_small_hll_is_byte_for_byte_redis_one() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    add(&mut r, "c", "c:", 3);
    let mut expected = b"HYLL\x01".to_vec();
    expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
    expected.extend_from_slice(b"J\x7f\x88V\xd8\x80O\x07\x80O\x9b");
    assert_eq!(bulk_bytes(r.cmd(&["GET", "c"])), expected);
    assert_eq!(
        r.cmd(&["PFDEBUG", "DECODE", "c"]),
        Frame::bulk("Z:2688 v:3,1 Z:5849 v:1,1 Z:3848 v:1,1 Z:3996")
    );
}

#[test]
fn the_cached_cardinality_is_kept_used_and_invalidated() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["PFADD", "h", "a", "b", "c"]), int(1));
    let card = |r: &mut Raw| bulk_bytes(r.cmd(&["GETRANGE", "h", "8", "15"]));
    assert_eq!(card(&mut r), [0, 0, 0, 0, 0, 0, 0, 0x80]);
    assert_eq!(r.cmd(&["PFCOUNT", "h"]), int(3));
    assert_eq!(card(&mut r), [3, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(r.cmd(&["PFADD", "h", "a", "b", "c"]), int(0));
    assert_eq!(card(&mut r), [3, 0, 0, 0, 0, 0, 0, 0]);
    // A valid cache is believed, whatever the registers say.
    assert_eq!(r.cmd(&["SETRANGE", "h", "8", "\x2a"]), int(27));
    assert_eq!(r.cmd(&["PFCOUNT", "h"]), int(42));
    assert_eq!(r.cmd(&["PFADD", "h", "d"]), int(1));
    assert_eq!(card(&mut r)[7], 0x80);
    assert_eq!(r.cmd(&["PFCOUNT", "h"]), int(4));
}

#[test]
fn only_a_computed_count_is_a_change() {
    let srv = TestServer::start();
    let (mut r, mut watcher) = (srv.raw(), srv.raw());
    assert_eq!(r.cmd(&["PFADD", "h", "a"]), int(1));
    let before = changes_since_save(&mut r);
    assert_eq!(watcher.cmd(&["WATCH", "h"]), ok());
    assert_eq!(r.cmd(&["PFCOUNT", "h"]), int(1));
    assert_eq!(changes_since_save(&mut r), before + 1);
    assert_eq!(watcher.cmd(&["MULTI"]), ok());
    assert_eq!(watcher.cmd(&["PING"]).as_text(), "QUEUED");
    assert_eq!(watcher.cmd(&["EXEC"]), nil_array());
    // From the cache: nothing changes, the transaction runs.
    assert_eq!(watcher.cmd(&["WATCH", "h"]), ok());
    assert_eq!(r.cmd(&["PFCOUNT", "h"]), int(1));
    assert_eq!(r.cmd(&["PFCOUNT", "h", "other"]), int(1));
    assert_eq!(changes_since_save(&mut r), before + 1);
    assert_eq!(watcher.cmd(&["MULTI"]), ok());
    assert_eq!(watcher.cmd(&["PING"]).as_text(), "QUEUED");
    assert_eq!(items(watcher.cmd(&["EXEC"])).len(), 1);
}

#[test]
fn a_checked_value_is_unshared_to_raw() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    set_bytes(&mut r, "h", &empty_hll());
    assert_eq!(encoding(&mut r, "h"), "embstr");
    assert_eq!(r.cmd(&["PFCOUNT", "h", "x"]), int(0));
    assert_eq!(encoding(&mut r, "h"), "embstr");
    assert_eq!(r.cmd(&["PFCOUNT", "h"]), int(0));
    assert_eq!(encoding(&mut r, "h"), "raw");
}

#[test]
fn union_counts_and_merges() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    add(&mut r, "a", "a:", 1000);
    add(&mut r, "b", "b:", 1000);
    add(&mut r, "b", "a:", 500);
    // From real Redis: the union of a and b, and of 3 and 20000 elements.
    assert_eq!(r.cmd(&["PFCOUNT", "a", "b"]), int(2005));
    assert_eq!(r.cmd(&["PFCOUNT", "a", "b", "missing"]), int(2005));
    assert_eq!(r.cmd(&["PFMERGE", "m", "a", "b"]), ok());
    assert_eq!(r.cmd(&["PFCOUNT", "m"]), int(2005));
    assert_eq!(r.cmd(&["PFDEBUG", "ENCODING", "m"]).as_text(), "dense");
    add(&mut r, "c", "c:", 3);
    add(&mut r, "d", "d:", 20000);
    assert_eq!(r.cmd(&["PFMERGE", "m2", "c", "d"]), ok());
    assert_eq!(r.cmd(&["PFCOUNT", "m2"]), int(20040));
    assert_eq!(r.cmd(&["PFCOUNT", "c", "d"]), int(20040));
    // Sparse inputs give a sparse destination; the destination is an input.
    assert_eq!(r.cmd(&["PFMERGE", "s", "c"]), ok());
    assert_eq!(r.cmd(&["PFDEBUG", "ENCODING", "s"]).as_text(), "sparse");
    assert_eq!(r.cmd(&["PFMERGE", "s"]), ok());
    assert_eq!(r.cmd(&["PFCOUNT", "s"]), int(3));
    assert_eq!(r.cmd(&["PFMERGE", "new"]), ok());
    let mut stale_empty = empty_hll();
    stale_empty[15] = 0x80;
    assert_eq!(bulk_bytes(r.cmd(&["GET", "new"])), stale_empty);
    assert_eq!(r.cmd(&["PFCOUNT", "new"]), int(0));
}

#[test]
fn pfdebug_shows_and_converts() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["PFADD", "h", "a", "b", "c"]), int(1));
    assert_eq!(
        r.cmd(&["PFDEBUG", "encoding", "h"]),
        Frame::Simple("sparse".into())
    );
    assert_eq!(r.cmd(&["PFDEBUG", "TODENSE", "h"]), int(1));
    assert_eq!(r.cmd(&["PFDEBUG", "TODENSE", "h"]), int(0));
    assert_eq!(r.cmd(&["STRLEN", "h"]), int(12304));
    assert_eq!(
        r.cmd(&["PFDEBUG", "DECODE", "h"]),
        err("ERR HLL encoding is not sparse")
    );
    let regs = items(r.cmd(&["PFDEBUG", "GETREG", "h"]));
    assert_eq!(regs.len(), 16384);
    let nonzero: Vec<(usize, i64)> = regs
        .into_iter()
        .map(int_of)
        .enumerate()
        .filter(|&(_, v)| v != 0)
        .collect();
    // The registers of a, b and c, as real Redis sets them.
    assert_eq!(nonzero, [(8436, 1), (12711, 2), (15780, 1)]);
    assert_eq!(r.cmd(&["PFADD", "g", "x"]), int(1));
    assert_eq!(items(r.cmd(&["PFDEBUG", "GETREG", "g"])).len(), 16384);
    assert_eq!(r.cmd(&["PFDEBUG", "ENCODING", "g"]).as_text(), "dense");
    assert_eq!(
        r.cmd(&["PFDEBUG", "nope", "h"]),
        err("ERR Unknown PFDEBUG subcommand 'nope'")
    );
    assert_eq!(
        r.cmd(&["PFDEBUG", "nope", "missing"]),
        err("ERR The specified key does not exist")
    );
    assert_eq!(
        r.cmd(&["PFDEBUG", "GETREG"]),
        err("ERR wrong number of arguments for 'pfdebug' command")
    );
    assert_eq!(r.cmd(&["PFSELFTEST"]), ok());
}

#[test]
fn errors_are_redis_texts() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["LPUSH", "list", "x"]), int(1));
    assert_eq!(r.cmd(&["SET", "text", "hello"]), ok());
    assert_eq!(r.cmd(&["SET", "number", "12345"]), ok());
    for key in ["text", "number"] {
        assert_eq!(r.cmd(&["PFADD", key, "x"]), err(NOT_HLL));
        assert_eq!(r.cmd(&["PFCOUNT", key]), err(NOT_HLL));
        assert_eq!(r.cmd(&["PFCOUNT", "missing", key]), err(NOT_HLL));
        assert_eq!(r.cmd(&["PFMERGE", "dest", key]), err(NOT_HLL));
        assert_eq!(r.cmd(&["PFDEBUG", "ENCODING", key]), err(NOT_HLL));
    }
    assert_eq!(r.cmd(&["PFADD", "list", "x"]), err(WRONGTYPE));
    assert_eq!(r.cmd(&["PFCOUNT", "list"]), err(WRONGTYPE));
    assert_eq!(r.cmd(&["PFMERGE", "list"]), err(WRONGTYPE));
    assert_eq!(r.cmd(&["PFDEBUG", "GETREG", "list"]), err(WRONGTYPE));
    assert_eq!(r.cmd(&["EXISTS", "dest"]), int(0));
    for args in [
        &["PFADD"][..],
        &["PFCOUNT"],
        &["PFMERGE"],
        &["PFSELFTEST", "x"],
    ] {
        let name = args[0].to_lowercase();
        let expected = format!("ERR wrong number of arguments for '{name}' command");
        assert_eq!(r.cmd(args), err(&expected));
    }
}

#[test]
fn corrupt_values_are_refused_and_never_crash() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["PFADD", "good", "a", "b", "c"]), int(1));
    let good = bulk_bytes(r.cmd(&["GET", "good"]));
    // Extra bytes after the registers, as Redis's own test corrupts them.
    let mut tail = good.clone();
    tail.extend_from_slice(b"hello");
    set_bytes(&mut r, "h", &tail);
    assert_eq!(r.cmd(&["PFCOUNT", "h"]), err(INVALIDOBJ));
    assert_eq!(r.cmd(&["PFCOUNT", "h", "good"]), err(INVALIDOBJ));
    assert_eq!(r.cmd(&["PFMERGE", "good", "h"]), err(INVALIDOBJ));
    assert_eq!(r.cmd(&["PFDEBUG", "TODENSE", "h"]), err(INVALIDOBJ));
    // Registers that end short of 16384: adding there is corrupt too.
    let mut short = good[..16].to_vec();
    short.extend_from_slice(&[0x40, 0x10]);
    set_bytes(&mut r, "h", &short);
    assert_eq!(r.cmd(&["PFADD", "h", "a", "b", "c"]), err(INVALIDOBJ));
    // Broken magic, unknown encoding, a dense value of the wrong length.
    for (at, byte) in [(0, b'0'), (4, b'x'), (4, 0)] {
        let mut v = good.clone();
        v[at] = byte;
        set_bytes(&mut r, "h", &v);
        assert_eq!(r.cmd(&["PFCOUNT", "h"]), err(NOT_HLL));
    }
    set_bytes(&mut r, "h", &good[..15]);
    assert_eq!(r.cmd(&["PFADD", "h", "x"]), err(NOT_HLL));
    // Every single-byte change of a small value gets an answer.
    for at in 16..good.len() {
        for byte in [0x00, 0x3f, 0x40, 0x7f, 0x80, 0xff] {
            let mut v = good.clone();
            v[at] = byte;
            set_bytes(&mut r, "h", &v);
            for args in [
                &["PFADD", "h", "x", "y"][..],
                &["PFCOUNT", "h"],
                &["PFCOUNT", "h", "good"],
                &["PFMERGE", "m", "h"],
                &["PFDEBUG", "GETREG", "h"],
            ] {
                assert!(matches!(
                    r.cmd(args),
                    Frame::Int(_) | Frame::Simple(_) | Frame::Array(_) | Frame::Error(_)
                ));
            }
        }
    }
    assert_eq!(r.cmd(&["PING"]), Frame::Simple("PONG".into()));
}

#[test]
fn the_sparse_limit_is_hll_sparse_max_bytes() {
    let srv = TestServer::start_with(&["--hll-sparse-max-bytes", "100"]);
    let mut r = srv.raw();
    add(&mut r, "h", "e:", 20);
    assert_eq!(r.cmd(&["PFDEBUG", "ENCODING", "h"]).as_text(), "sparse");
    add(&mut r, "h", "f:", 20);
    assert_eq!(r.cmd(&["PFDEBUG", "ENCODING", "h"]).as_text(), "dense");
    assert_eq!(r.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", "0"]), ok());
    assert_eq!(r.cmd(&["PFADD", "g", "x"]), int(1));
    assert_eq!(r.cmd(&["STRLEN", "g"]), int(12304));
}

#[test]
fn dump_payloads_move_both_ways_with_real_redis() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let srv = TestServer::start();
    let (mut mine, mut theirs) = (srv.raw(), real.raw());
    for (key, n) in [("small", 50), ("dense", 20000)] {
        add(&mut theirs, key, "x:", n);
        add(&mut mine, key, "x:", n);
        assert_eq!(theirs.cmd(&["PFCOUNT", key]), mine.cmd(&["PFCOUNT", key]));
        let from_redis = bulk_bytes(theirs.cmd(&["DUMP", key]));
        let from_mine = bulk_bytes(mine.cmd(&["DUMP", key]));
        assert_eq!(from_redis, from_mine, "{key}");
        let restore = |r: &mut Raw, payload: &[u8]| {
            r.cmd_bytes(&[b"RESTORE", b"copy", b"0", payload, b"REPLACE"])
        };
        assert_eq!(restore(&mut mine, &from_redis), ok());
        assert_eq!(restore(&mut theirs, &from_mine), ok());
        assert_eq!(
            mine.cmd(&["PFADD", "copy", "new"]),
            theirs.cmd(&["PFADD", "copy", "new"])
        );
        assert_eq!(
            mine.cmd(&["PFCOUNT", "copy"]),
            theirs.cmd(&["PFCOUNT", "copy"])
        );
        assert_eq!(
            fingerprint(&mut mine, "copy"),
            fingerprint(&mut theirs, "copy")
        );
    }
}

#[test]
fn rdb_files_carry_hlls_both_ways() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(real) = RealRedis::start_if_available(dir.path(), &[]) else {
        return;
    };
    let mut theirs = real.raw();
    add(&mut theirs, "sparse", "s:", 200);
    add(&mut theirs, "dense", "d:", 30000);
    assert_eq!(theirs.cmd(&["PFCOUNT", "dense"]), int(30157));
    assert_eq!(theirs.cmd(&["SAVE"]), ok());
    let copy = tempfile::tempdir().expect("tempdir");
    std::fs::copy(dir.path().join("dump.rdb"), copy.path().join("dump.rdb")).expect("copy");
    let args = ["--save", "", "--enable-debug-command", "yes"];
    let srv = spawn_in(&server_binary(), copy, &[], &args, "");
    let mut mine = srv.raw();
    assert!(wait_ready(&mut mine, PATIENCE));
    for key in ["sparse", "dense"] {
        assert_eq!(fingerprint(&mut mine, key), fingerprint(&mut theirs, key));
        assert_eq!(mine.cmd(&["PFCOUNT", key]), theirs.cmd(&["PFCOUNT", key]));
    }
    // And back: reddish's file loads in real Redis with the same bytes.
    assert_eq!(mine.cmd(&["PFADD", "sparse", "more"]), int(1));
    assert_eq!(mine.cmd(&["SAVE"]), ok());
    let back = tempfile::tempdir().expect("tempdir");
    std::fs::copy(srv.path("dump.rdb"), back.path().join("dump.rdb")).expect("copy");
    let real_again = RealRedis::start(back.path(), &[]);
    let mut again = real_again.raw();
    for key in ["sparse", "dense"] {
        assert_eq!(fingerprint(&mut again, key), fingerprint(&mut mine, key));
    }
}

#[test]
fn a_real_replica_follows_every_hll_write() {
    if !real_redis::available() {
        return;
    }
    let primary = TestServer::start();
    let mut p = primary.raw();
    let dir = tempfile::tempdir().expect("tempdir");
    let port = primary.port.to_string();
    let replica = RealRedis::start(dir.path(), &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.raw();
    assert!(
        wait_for(PATIENCE, || link_up(&mut r)),
        "replica never synced"
    );
    add(&mut p, "a", "a:", 300);
    add(&mut p, "b", "b:", 5000);
    assert!(int_of(p.cmd(&["PFCOUNT", "a"])) > 0);
    assert_eq!(p.cmd(&["PFMERGE", "m", "a"]), ok());
    assert_eq!(p.cmd(&["PFDEBUG", "TODENSE", "a"]), int(1));
    assert_eq!(p.cmd(&["PFMERGE", "m", "b"]), ok());
    assert_eq!(p.cmd(&["PFCOUNT", "m"]), p.cmd(&["PFCOUNT", "a", "b"]));
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), int(1));
    for key in ["a", "b", "m"] {
        // Same bytes, cached cardinalities and encodings included.
        assert_eq!(fingerprint(&mut r, key), fingerprint(&mut p, key), "{key}");
    }
}
