//! Replication, replica side: reddish follows a real Redis 7.0 primary
//! (full sync of every type in both payload forms, the live stream,
//! partial resync after the link drops, a primary restart), refuses
//! writes as a read-only replica, and is promoted by REPLICAOF NO ONE.
//! A scripted fake primary checks the handshake and that a corrupt
//! payload leaves the dataset untouched.
//!
//! The real server is Debian's redis-server; without it the tests that
//! need it say so and check nothing.

mod common;

use common::real_redis::RealRedis;
use common::{
    blocked_clients, digest, info, info_field, info_value, link_up, ok, run_all, wait_for, words,
    Frame, Raw, TestServer,
};
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

const SYNC_WAIT: Duration = Duration::from_secs(20);

/// Keys of every type and encoding, with TTLs, in several databases.
/// Streams come with the live writes: this build cannot load them from
/// an RDB payload yet.
fn fill_every_type(r: &mut Raw) {
    let mut c: Vec<Vec<String>> = [
        "SET s1 hello",
        "SET n 12345",
        "SETEX ttl 1000 v",
        "RPUSH list a b c 1 2 3",
        "HSET h f1 v1 f2 v2",
        "PEXPIRE h 5000000",
        "SADD iset 1 2 3",
        "SADD sset a b c",
        "ZADD z 1 a 2.5 b -3 c",
        "SELECT 1",
        "SET db1 x",
        "SELECT 5",
        "HSET h5 a b",
        "SELECT 0",
    ]
    .into_iter()
    .map(words)
    .collect();
    c.push(words(&format!("SET big {}", "x".repeat(300))));
    for i in 0..200 {
        c.push(words(&format!("RPUSH biglist {}{}", i, "v".repeat(100))));
        c.push(words(&format!("HSET bighash f{} v{}", i, i)));
        c.push(words(&format!("ZADD bigz {} m{}", i, i)));
    }
    for i in 0..600 {
        c.push(words(&format!("SADD bigset {}", i)));
    }
    run_all(r, &c);
}

/// Writes of every kind after the sync (including a stream with a
/// consumer group, a transaction and other databases).
fn live_writes(r: &mut Raw) {
    let c: Vec<Vec<String>> = [
        "INCR n",
        "LPUSH list z",
        "HDEL bighash f3",
        "SREM bigset 7",
        "ZINCRBY z 2 a",
        "XADD st 1-1 a 1",
        "XADD st 2-1 b 2",
        "XADD st 3-1 c 3",
        "XGROUP CREATE st g 0",
        "XREADGROUP GROUP g c1 COUNT 2 STREAMS st >",
        "XADD st 4-1 d 4",
        "XACK st g 1-1",
        "DEL s1",
        "EXPIRE list 10000",
        "MULTI",
        "SET m1 1",
        "INCRBY m1 5",
        "EXEC",
        "SELECT 2",
        "SET two 2",
        "SELECT 5",
        "FLUSHDB",
        "SELECT 0",
    ]
    .into_iter()
    .map(words)
    .collect();
    run_all(r, &c);
}

fn start_replica(primary_port: u16, extra: &[&str]) -> TestServer {
    let port = primary_port.to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    TestServer::start_with(&args)
}

/// Waits until the replica's dataset equals the primary's.
fn wait_same_data(replica: &mut Raw, primary: &mut Raw) -> bool {
    wait_for(SYNC_WAIT, || digest(replica) == digest(primary))
}

fn wait_link_up(replica: &mut Raw) -> bool {
    wait_for(SYNC_WAIT, || link_up(replica))
}

/// A real primary, prepared by `prepare` before the replica starts, and
/// a reddish replica of it whose link is up; `None` without redis-server.
struct Linked {
    _dir: tempfile::TempDir,
    real: RealRedis,
    p: Raw,
    replica: TestServer,
    r: Raw,
}

/// Options that make the real primary start a sync at once.
const FAST_SYNC: &[&str] = &["--repl-diskless-sync-delay", "0"];

fn linked(
    primary_opts: &[&str],
    replica_opts: &[&str],
    prepare: impl FnOnce(&mut Raw),
) -> Option<Linked> {
    let dir = tempfile::tempdir().unwrap();
    let real = RealRedis::start_if_available(dir.path(), primary_opts)?;
    let mut p = real.raw();
    prepare(&mut p);
    let replica = start_replica(real.port, replica_opts);
    let mut r = replica.raw();
    assert!(wait_link_up(&mut r));
    Some(Linked {
        _dir: dir,
        real,
        p,
        replica,
        r,
    })
}

fn full_sync_then_stream(primary_opts: &[&str]) {
    let Some(mut t) = linked(primary_opts, &[], fill_every_type) else {
        return;
    };
    assert!(wait_same_data(&mut t.r, &mut t.p), "full sync differs");
    assert_eq!(t.r.cmd(&["TTL", "ttl"]), t.p.cmd(&["TTL", "ttl"]));
    assert_eq!(t.r.cmd(&["SELECT", "1"]), ok());
    assert_eq!(t.r.cmd(&["GET", "db1"]), Frame::bulk("x"));
    live_writes(&mut t.p);
    assert!(wait_same_data(&mut t.r, &mut t.p), "stream differs");
    let real_offset = info_field(&mut t.p, "replication", "master_repl_offset");
    assert!(wait_for(SYNC_WAIT, || {
        info_field(&mut t.r, "replication", "slave_repl_offset") == real_offset
    }));
    // The link never dropped (a stray byte sent back would have cut it).
    let stats = |p: &mut Raw, name: &str| info_field(p, "stats", name);
    assert_eq!(stats(&mut t.p, "sync_full"), "1");
    assert_eq!(stats(&mut t.p, "sync_partial_ok"), "0");
}

#[test]
fn full_sync_from_disk_payload_and_live_stream() {
    full_sync_then_stream(&["--repl-diskless-sync", "no"]);
}

#[test]
fn full_sync_from_diskless_payload_and_live_stream() {
    full_sync_then_stream(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
}

#[test]
fn replica_refuses_writes_until_promoted() {
    let Some(Linked {
        _dir,
        real,
        mut p,
        replica: _replica,
        mut r,
    }) = linked(FAST_SYNC, &[], |p| {
        assert_eq!(p.cmd(&["SET", "k", "v"]), ok());
    })
    else {
        return;
    };
    assert_eq!(
        r.cmd(&["SET", "k", "other"]),
        Frame::Error("READONLY You can't write against a read only replica.".into())
    );
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(
        r.cmd(&["REPLICAOF", "127.0.0.1", &real.port.to_string()]),
        Frame::Simple("OK Already connected to specified master".into())
    );
    assert_eq!(
        r.cmd(&["REPLICAOF", "127.0.0.1", "70000"]),
        Frame::Error("ERR Invalid master port".into())
    );
    let replid = info_field(&mut r, "replication", "master_replid");
    assert_eq!(replid, info_field(&mut p, "replication", "master_replid"));
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), ok());
    assert_eq!(info_field(&mut r, "replication", "role"), "master");
    assert_ne!(info_field(&mut r, "replication", "master_replid"), replid);
    assert_eq!(r.cmd(&["SET", "k", "mine"]), ok());
    assert_eq!(p.cmd(&["SET", "k", "primary"]), ok());
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("mine"));
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), ok());
}

#[test]
fn writable_replica_accepts_local_writes() {
    let Some(mut t) = linked(FAST_SYNC, &["--replica-read-only", "no"], |_| {}) else {
        return;
    };
    assert_eq!(t.r.cmd(&["SET", "local", "1"]), ok());
    assert_eq!(t.r.cmd(&["GET", "local"]), Frame::bulk("1"));
    assert_eq!(info_field(&mut t.r, "replication", "slave_read_only"), "0");
}

#[test]
fn killed_link_reconnects_with_a_partial_resync() {
    let Some(mut t) = linked(FAST_SYNC, &[], fill_every_type) else {
        return;
    };
    assert!(wait_same_data(&mut t.r, &mut t.p));
    assert_eq!(info_field(&mut t.p, "stats", "sync_partial_ok"), "0");
    assert_eq!(
        t.p.cmd(&["CLIENT", "KILL", "TYPE", "replica"]),
        Frame::Int(1)
    );
    live_writes(&mut t.p);
    assert!(wait_for(SYNC_WAIT, || {
        info_field(&mut t.p, "stats", "sync_partial_ok") == "1"
    }));
    assert!(wait_same_data(&mut t.r, &mut t.p));
    assert_eq!(info_field(&mut t.p, "stats", "sync_full"), "1");
}

#[test]
fn replica_follows_a_primary_restarted_from_its_dump() {
    let Some(mut t) = linked(FAST_SYNC, &[], fill_every_type) else {
        return;
    };
    assert!(wait_same_data(&mut t.r, &mut t.p));
    t.p.send_cmd(&["SHUTDOWN", "SAVE"]);
    t.real.wait_exit();
    assert!(wait_for(SYNC_WAIT, || {
        info_field(&mut t.r, "replication", "master_link_status") == "down"
    }));
    assert_eq!(t.r.cmd(&["GET", "n"]), Frame::bulk("12345"));
    t.real.restart();
    t.p = t.real.raw();
    live_writes(&mut t.p);
    assert!(wait_link_up(&mut t.r));
    assert!(wait_same_data(&mut t.r, &mut t.p));
}

#[test]
fn info_replication_describes_the_link() {
    let Some(mut t) = linked(FAST_SYNC, &["--replica-priority", "42"], |_| {}) else {
        return;
    };
    let field = |r: &mut Raw, name: &str| info_field(r, "replication", name);
    assert_eq!(field(&mut t.r, "role"), "slave");
    assert_eq!(field(&mut t.r, "master_host"), "127.0.0.1");
    assert_eq!(field(&mut t.r, "master_port"), t.real.port.to_string());
    assert_eq!(field(&mut t.r, "master_sync_in_progress"), "0");
    assert_eq!(field(&mut t.r, "slave_priority"), "42");
    assert_eq!(field(&mut t.r, "slave_read_only"), "1");
    assert_eq!(field(&mut t.r, "replica_announced"), "1");
    let replication = info(&mut t.r, &["replication"]);
    assert_eq!(
        info_value(&replication, "master_link_down_since_seconds"),
        None
    );
    let last_io: i64 = field(&mut t.r, "master_last_io_seconds_ago")
        .parse()
        .unwrap_or(-1);
    assert!((0..=60).contains(&last_io));
    let applied = field(&mut t.r, "slave_repl_offset");
    assert_eq!(field(&mut t.r, "slave_read_repl_offset"), applied);
    // The primary lists us with the port we announced.
    let slave0 = info_field(&mut t.p, "replication", "slave0");
    assert!(
        slave0.contains(&format!("port={}", t.replica.port)),
        "{}",
        slave0
    );
    let clients = t.r.cmd(&["CLIENT", "LIST", "TYPE", "master"]).as_text();
    assert!(clients.contains("flags=M"), "{}", clients);
}

#[test]
fn stale_data_is_refused_while_the_link_is_down() {
    let closed = common::free_port().to_string();
    let replica = TestServer::start_with(&[
        "--replicaof",
        "127.0.0.1",
        &closed,
        "--replica-serve-stale-data",
        "no",
    ]);
    let mut r = replica.raw();
    assert_eq!(
        r.cmd(&["GET", "k"]),
        Frame::Error(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
                .into()
        )
    );
    assert_eq!(
        info_field(&mut r, "replication", "master_link_status"),
        "down"
    );
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "replica-serve-stale-data", "yes"]),
        ok()
    );
    assert_eq!(r.cmd(&["GET", "k"]), Frame::Bulk(None));
}

#[test]
fn expired_keys_read_as_missing_but_wait_for_the_primary_del() {
    let Some(Linked {
        _dir,
        real: _real,
        mut p,
        replica: _replica,
        mut r,
    }) = linked(FAST_SYNC, &[], |p| {
        assert_eq!(p.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), ok());
    })
    else {
        return;
    };
    assert_eq!(p.cmd(&["SET", "short", "v", "PX", "100"]), ok());
    assert!(wait_for(SYNC_WAIT, || r.cmd(&["DBSIZE"]) == Frame::Int(1)));
    assert!(wait_for(SYNC_WAIT, || r.cmd(&["GET", "short"]) == Frame::Bulk(None)));
    // Logically expired, still held until the primary says DEL.
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
    assert_eq!(p.cmd(&["GET", "short"]), Frame::Bulk(None));
    assert!(wait_for(SYNC_WAIT, || r.cmd(&["DBSIZE"]) == Frame::Int(0)));
}

#[test]
fn watched_keys_written_by_the_primary_fail_exec() {
    let Some(mut t) = linked(FAST_SYNC, &[], |_| {}) else {
        return;
    };
    assert_eq!(t.r.cmd(&["WATCH", "w"]), ok());
    assert_eq!(t.p.cmd(&["SET", "w", "1"]), ok());
    let mut probe = t.replica.raw();
    assert!(wait_for(SYNC_WAIT, || probe.cmd(&["GET", "w"]) == Frame::bulk("1")));
    assert_eq!(t.r.cmd(&["MULTI"]), ok());
    assert_eq!(t.r.cmd(&["GET", "w"]), Frame::Simple("QUEUED".into()));
    assert_eq!(t.r.cmd(&["EXEC"]), Frame::Array(None));
}

/// A scripted primary: accepts one replica and returns its reader and
/// writer once it has read the handshake commands up to PSYNC.
fn fake_primary_accept(listener: &TcpListener) -> (BufReader<TcpStream>, TcpStream, Vec<String>) {
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut seen = Vec::new();
    loop {
        let Some(Frame::Array(Some(parts))) = common::read_frame(&mut reader) else {
            panic!("replica sent no command");
        };
        let words: Vec<String> = parts.iter().map(Frame::as_text).collect();
        let line = words.join(" ");
        seen.push(line.clone());
        if words[0] == "PSYNC" {
            return (reader, writer, seen);
        }
        let reply: &[u8] = if words[0] == "PING" {
            b"+PONG\r\n"
        } else {
            b"+OK\r\n"
        };
        writer.write_all(reply).unwrap();
    }
}

#[test]
fn corrupt_payload_keeps_the_dataset_and_the_handshake_is_redis_s() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let fake_port = listener.local_addr().unwrap().port().to_string();
    let replica = TestServer::start_with(&["--masterauth", "secret"]);
    let mut r = replica.raw();
    assert_eq!(r.cmd(&["SET", "mine", "1"]), ok());
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &fake_port]), ok());
    let (mut reader, mut writer, seen) = fake_primary_accept(&listener);
    let replid = "a".repeat(40);
    assert_eq!(
        seen,
        vec![
            "PING".to_string(),
            "AUTH secret".to_string(),
            format!("REPLCONF listening-port {}", replica.port),
            "REPLCONF capa eof capa psync2".to_string(),
            format!(
                "PSYNC {} 1",
                info_field(&mut r, "replication", "master_replid")
            ),
        ]
    );
    let payload = b"REDIS0009\xfe\x00\x00\x03key\x05value\x00\x03bad\xff";
    writer
        .write_all(format!("+FULLRESYNC {} 100\r\n\n${}\r\n", replid, payload.len()).as_bytes())
        .unwrap();
    writer.write_all(payload).unwrap();
    // The replica drops the link and comes back.
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert_eq!(r.cmd(&["GET", "mine"]), Frame::bulk("1"));
    assert_eq!(r.cmd(&["EXISTS", "key"]), Frame::Int(0));
    // A good payload replaces everything and the stream follows it.
    let (mut reader, mut writer, seen) = fake_primary_accept(&listener);
    assert!(seen.last().is_some_and(|l| l.starts_with("PSYNC")));
    let rdb = rdb_with_one_key();
    writer
        .write_all(format!("+FULLRESYNC {} 100\r\n${}\r\n", replid, rdb.len()).as_bytes())
        .unwrap();
    writer.write_all(&rdb).unwrap();
    let set = common::encode(&["SET", "streamed", "yes"]);
    writer.write_all(&set).unwrap();
    assert!(wait_for(SYNC_WAIT, || r.cmd(&["GET", "streamed"])
        == Frame::bulk("yes")));
    assert_eq!(r.cmd(&["GET", "mine"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["GET", "key"]), Frame::bulk("value"));
    assert_eq!(
        info_field(&mut r, "replication", "master_replid"),
        replid.clone()
    );
    let expected = (100 + set.len()).to_string();
    assert_eq!(
        info_field(&mut r, "replication", "slave_repl_offset"),
        expected.clone()
    );
    // Drop the periodic ACKs sent so far, then ask: the answer carries the
    // offset before the GETACK itself.
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    while common::read_frame(&mut reader).is_some() {}
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    writer
        .write_all(&common::encode(&["REPLCONF", "GETACK", "*"]))
        .unwrap();
    assert_eq!(
        common::read_frame(&mut reader),
        Some(Frame::Array(Some(vec![
            Frame::bulk("REPLCONF"),
            Frame::bulk("ACK"),
            Frame::bulk(&expected),
        ])))
    );
}

/// An RDB (version 9, no checksum) holding `key` = `value`.
fn rdb_with_one_key() -> Vec<u8> {
    let mut rdb = b"REDIS0009".to_vec();
    rdb.extend_from_slice(b"\xfe\x00\x00\x03key\x05value\xff");
    rdb.extend_from_slice(&[0u8; 8]);
    rdb
}

#[test]
fn restarted_replica_resyncs_partially_from_its_own_dump() {
    let Some(mut t) = linked(FAST_SYNC, &[], fill_every_type) else {
        return;
    };
    let dump_dir = tempfile::tempdir().unwrap();
    let dir_arg = dump_dir.path().display().to_string();
    let mut first = start_replica(t.real.port, &["--dir", &dir_arg]);
    let mut r = first.raw();
    assert!(wait_link_up(&mut r));
    assert!(wait_same_data(&mut r, &mut t.p));
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let _ = first.child.kill();
    let _ = first.child.wait();
    let partial_before = info_field(&mut t.p, "stats", "sync_partial_ok");
    live_writes(&mut t.p);
    let second = start_replica(t.real.port, &["--dir", &dir_arg]);
    let mut r = second.raw();
    assert!(wait_link_up(&mut r));
    assert!(wait_same_data(&mut r, &mut t.p));
    let partial_after = info_field(&mut t.p, "stats", "sync_partial_ok");
    assert_eq!(partial_before, "0");
    assert_eq!(partial_after, "1");
}

#[test]
fn becoming_a_replica_unblocks_blocked_clients() {
    let server = TestServer::start();
    let mut blocked = server.raw();
    blocked.send_cmd(&["BLPOP", "list", "0"]);
    let mut admin = server.raw();
    assert!(wait_for(SYNC_WAIT, || { blocked_clients(&mut admin) == 1 }));
    let closed = common::free_port().to_string();
    assert_eq!(admin.cmd(&["REPLICAOF", "127.0.0.1", &closed]), ok());
    assert_eq!(
        blocked.read(),
        Frame::Error(
            "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"
                .into()
        )
    );
    assert!(blocked.is_closed());
    assert_eq!(admin.cmd(&["REPLICAOF", "NO", "ONE"]), ok());
}

#[test]
fn a_writable_replica_expires_the_keys_its_own_clients_wrote() {
    let Some(mut t) = linked(FAST_SYNC, &["--replica-read-only", "no"], |_| {}) else {
        return;
    };
    t.r.cmd(&["SELECT", "5"]);
    assert_eq!(t.r.cmd(&["SET", "local1", "1", "PX", "100"]), ok());
    assert_eq!(t.r.cmd(&["SET", "local2", "2", "PX", "100"]), ok());
    assert_eq!(t.r.cmd(&["SET", "kept", "3"]), ok());
    assert_eq!(t.r.cmd(&["DBSIZE"]), Frame::Int(3));
    assert!(wait_for(Duration::from_secs(10), || t.r.cmd(&["DBSIZE"])
        == Frame::Int(1)));
    assert_eq!(t.r.cmd(&["EXISTS", "kept"]), Frame::Int(1));
}

#[test]
fn a_write_on_a_writable_replica_replaces_an_expired_key() {
    let Some(mut t) = linked(FAST_SYNC, &["--replica-read-only", "no"], |_| {}) else {
        return;
    };
    t.p.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    t.p.cmd(&["SET", "k1", "5", "PX", "10"]);
    t.p.cmd(&["SET", "k2", "5", "PX", "10"]);
    assert!(wait_for(Duration::from_secs(10), || {
        t.r.cmd(&["DBSIZE"]) == Frame::Int(2) && t.r.cmd(&["EXISTS", "k1", "k2"]) == Frame::Int(0)
    }));
    assert_eq!(t.r.cmd(&["INCR", "k1"]), Frame::Int(1));
    assert_eq!(t.r.cmd(&["TTL", "k1"]), Frame::Int(-1));
    assert_eq!(t.r.cmd(&["GET", "k2"]), Frame::Bulk(None));
    assert_eq!(t.r.cmd(&["DBSIZE"]), Frame::Int(2));
}

/// With `repl-diskless-load` a replica loads the payload from the socket
/// as it arrives: a slow load (`key-load-delay`) reads slowly, so the
/// primary's diskless save child goes on streaming for as long as the
/// replica loads, and the replica's clients get `-LOADING` meanwhile.
#[test]
fn diskless_load_reads_the_socket_as_it_loads() {
    let dir = tempfile::tempdir().unwrap();
    let primary_opts = [
        FAST_SYNC,
        &["--repl-diskless-sync", "yes", "--rdbcompression", "no"],
    ]
    .concat();
    let Some(real) = RealRedis::start_if_available(dir.path(), &primary_opts) else {
        return;
    };
    let mut p = real.raw();
    // 20MB, more than the socket buffers between the two hold.
    assert_eq!(p.cmd(&["DEBUG", "POPULATE", "2000", "k", "10000"]), ok());
    let replica = start_replica(
        real.port,
        &[
            "--repl-diskless-load",
            "on-empty-db",
            "--key-load-delay",
            "2000",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut r = replica.raw();
    assert!(wait_for(SYNC_WAIT, || info_field(
        &mut r,
        "persistence",
        "loading"
    ) == "1"));
    // Received whole first, 20MB would be through in well under a second;
    // loaded as it arrives (2ms a key), the child waits on the replica.
    let child_done = |p: &mut Raw| info_field(p, "persistence", "rdb_bgsave_in_progress") == "0";
    assert!(!wait_for(Duration::from_millis(1500), || child_done(
        &mut p
    )));
    match r.cmd(&["GET", "k:1"]) {
        Frame::Error(e) => assert!(e.starts_with("LOADING"), "{}", e),
        other => panic!("expected -LOADING, got {:?}", other),
    }
    assert!(wait_link_up(&mut r));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(2000));
    assert!(wait_same_data(&mut r, &mut p));
}

/// With `bind-source-addr` the replica connects to its primary from that
/// address, so the primary sees the replica at it.
#[test]
fn the_link_to_the_primary_binds_bind_source_addr() {
    let primary = TestServer::start_with(&["--protected-mode", "no"]);
    let port = primary.port.to_string();
    let _replica = TestServer::start_with(&[
        "--bind-source-addr",
        "127.0.0.2",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    let mut p = primary.raw();
    let seen = common::wait_for(Duration::from_secs(10), || {
        common::info(&mut p, &["replication"]).contains("ip=127.0.0.2,")
    });
    assert!(seen, "{}", common::info(&mut p, &["replication"]));
}
