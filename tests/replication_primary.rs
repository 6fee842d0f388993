//! Replication, primary side: a real redis-server replicating from
//! reddish (full sync of every type, live stream, WAIT, INFO, partial
//! resync after the link is killed), and raw-socket PSYNC exchanges.

mod common;

use common::{
    digest, info_field, is_listening, link_up, spawn_in, wait_for, Frame, Raw, TestServer,
};
use std::io::{BufRead, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

const REAL_REDIS: &str = "/usr/bin/redis-server";
const PATIENCE: Duration = Duration::from_secs(20);

/// A real redis-server replicating from the reddish on `primary`.
fn start_real_replica(primary: u16) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let primary = primary.to_string();
    let args = ["--save", "", "--enable-debug-command", "yes"];
    let args = [&args[..], &["--replicaof", "127.0.0.1", &primary]].concat();
    spawn_in(REAL_REDIS, dir, &[], &args, "")
}

fn cmd(raw: &mut Raw, args: &[&str]) -> String {
    raw.cmd(args).as_text()
}

/// Both servers hold the same dataset (DEBUG DIGEST of reddish equals
/// Redis's for equal data).
fn same_data(primary: &mut Raw, replica: &mut Raw) -> bool {
    let theirs = digest(replica);
    theirs == digest(primary) && theirs != "0".repeat(40)
}

/// Every type, in several databases, with expiries, in small and large
/// encodings.
fn fill_dataset(raw: &mut Raw) {
    let many: Vec<String> = (0..300).map(|i| format!("m{}", i)).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    for cmdline in [
        vec!["SET", "str", "hello"],
        vec!["SET", "num", "12345"],
        vec!["SET", "ttl", "v", "PX", "100000000"],
        vec!["RPUSH", "list", "a", "b", "c"],
        vec!["HSET", "hash", "f1", "v1", "f2", "v2"],
        vec!["SADD", "set", "x", "y", "z"],
        vec!["SADD", "intset", "1", "2", "3"],
        vec!["ZADD", "zset", "1", "a", "2.5", "b"],
        vec!["XADD", "stream", "*", "field", "value"],
        vec!["XGROUP", "CREATE", "stream", "g", "0"],
    ] {
        let reply = raw.cmd(&cmdline);
        assert!(!matches!(reply, Frame::Error(_)), "{:?}", reply);
    }
    let mut big_list = vec!["RPUSH", "biglist"];
    big_list.extend(&many);
    raw.cmd(&big_list);
    let mut big_set = vec!["SADD", "bigset"];
    big_set.extend(&many);
    raw.cmd(&big_set);
    let mut big_hash = vec!["HSET", "bighash"];
    let mut big_zset = vec!["ZADD", "bigzset"];
    for (i, m) in many.iter().enumerate() {
        big_hash.extend([*m, *m]);
        big_zset.push(["1", "2", "3"][i % 3]);
        big_zset.push(m);
    }
    raw.cmd(&big_hash);
    raw.cmd(&big_zset);
    raw.cmd(&["SELECT", "3"]);
    raw.cmd(&["SET", "in3", "three", "EX", "100000"]);
    raw.cmd(&["SELECT", "9"]);
    raw.cmd(&["LPUSH", "in9", "nine"]);
    raw.cmd(&["SELECT", "0"]);
}

/// Writes of every kind after the sync, some rewritten for replicas.
fn live_writes(raw: &mut Raw) {
    for cmdline in [
        vec!["INCR", "num"],
        vec!["LPOP", "list"],
        vec!["HDEL", "hash", "f1"],
        vec!["SREM", "set", "x"],
        vec!["ZINCRBY", "zset", "5", "a"],
        vec!["XADD", "stream", "*", "g", "w"],
        vec!["EXPIRE", "str", "5000"],
        vec!["SETEX", "fresh", "100", "v"],
        vec!["SPOP", "bigset"],
        vec!["SELECT", "3"],
        vec!["DEL", "in3"],
        vec!["SELECT", "9"],
        vec!["RPUSH", "in9", "more"],
        vec!["MULTI"],
        vec!["INCR", "counter"],
        vec!["SET", "other", "x"],
        vec!["EXEC"],
        vec!["SELECT", "0"],
    ] {
        raw.cmd(&cmdline);
    }
}

const DISK_SYNC: &[&str] = &["--repl-diskless-sync", "no"];
const DISKLESS_SYNC: &[&str] = &[
    "--repl-diskless-sync",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
];

/// No PING in the stream during a test.
const QUIET_PING: &[&str] = &["--repl-ping-replica-period", "1000"];

#[test]
fn real_replica_full_sync_on_disk() {
    full_sync_live_stream_wait_and_info(DISK_SYNC);
}

#[test]
fn real_replica_full_sync_diskless() {
    full_sync_live_stream_wait_and_info(DISKLESS_SYNC);
}

fn full_sync_live_stream_wait_and_info(config: &[&str]) {
    let primary = TestServer::start_with(config);
    let mut p = primary.raw();
    fill_dataset(&mut p);
    let replica = start_real_replica(primary.port);
    let mut r = replica.raw();
    assert!(
        wait_for(PATIENCE, || link_up(&mut r)),
        "replica never synced"
    );
    assert!(wait_for(PATIENCE, || same_data(&mut p, &mut r)));
    assert_eq!(cmd(&mut r, &["DBSIZE"]), cmd(&mut p, &["DBSIZE"]));

    live_writes(&mut p);
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), Frame::Int(1));
    assert!(same_data(&mut p, &mut r), "stream diverged");
    assert_eq!(cmd(&mut r, &["GET", "num"]), "12346");

    assert_eq!(info_field(&mut p, "replication", "role"), "master");
    assert_eq!(info_field(&mut p, "replication", "connected_slaves"), "1");
    assert_eq!(
        info_field(&mut p, "replication", "repl_backlog_active"),
        "1"
    );
    let mut offset = String::new();
    assert!(
        wait_for(PATIENCE, || {
            offset = info_field(&mut p, "replication", "master_repl_offset");
            let line = format!(
                "ip=127.0.0.1,port={},state=online,offset={},lag=",
                replica.port, offset
            );
            info_field(&mut p, "replication", "slave0").starts_with(&line)
        }),
        "slave0 line"
    );
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    assert_eq!(
        info_field(&mut r, "replication", "master_replid"),
        info_field(&mut p, "replication", "master_replid")
    );
    let role = p.cmd(&["ROLE"]);
    let Frame::Array(Some(role)) = role else {
        panic!("ROLE: {:?}", role);
    };
    assert_eq!(role[0], Frame::bulk("master"));
    assert_eq!(
        role[2],
        Frame::Array(Some(vec![Frame::Array(Some(vec![
            Frame::bulk("127.0.0.1"),
            Frame::bulk(&replica.port.to_string()),
            Frame::bulk(&offset),
        ]))]))
    );
    assert!(cmd(&mut p, &["CLIENT", "LIST", "TYPE", "replica"]).contains("flags=S"));
}

#[test]
fn wait_times_out_and_min_replicas_counts_good_ones() {
    let primary = TestServer::start_with(DISKLESS_SYNC);
    let mut p = primary.raw();
    p.cmd(&["SET", "k", "v"]);
    assert_eq!(p.cmd(&["WAIT", "1", "50"]), Frame::Int(0));
    assert_eq!(p.cmd(&["MULTI"]), Frame::Simple("OK".into()));
    p.cmd(&["WAIT", "5", "0"]);
    assert_eq!(p.cmd(&["EXEC"]), Frame::Array(Some(vec![Frame::Int(0)])));
    p.cmd(&["CONFIG", "SET", "min-replicas-to-write", "1"]);
    let refused = p.cmd(&["SET", "k", "w"]);
    assert_eq!(
        refused,
        Frame::Error("NOREPLICAS Not enough good replicas to write.".into())
    );

    let replica = start_real_replica(primary.port);
    let mut r = replica.raw();
    assert!(wait_for(PATIENCE, || link_up(&mut r)));
    assert!(wait_for(PATIENCE, || cmd(&mut p, &["SET", "k", "w"]) == "OK"));
    assert_eq!(
        info_field(&mut p, "replication", "min_slaves_good_slaves"),
        "1"
    );
    // The replica acknowledges within a second or so, even on a busy machine.
    assert_eq!(p.cmd(&["WAIT", "2", "3000"]), Frame::Int(1));
}

#[test]
fn killed_replica_link_continues_from_the_backlog() {
    let primary = TestServer::start_with(DISK_SYNC);
    let mut p = primary.raw();
    fill_dataset(&mut p);
    let replica = start_real_replica(primary.port);
    let mut r = replica.raw();
    assert!(wait_for(PATIENCE, || link_up(&mut r)));
    live_writes(&mut p);
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), Frame::Int(1));

    assert_eq!(p.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), Frame::Int(1));
    p.cmd(&["SET", "while-away", "1"]);
    assert!(wait_for(PATIENCE, || info_field(
        &mut p,
        "stats",
        "sync_partial_ok"
    ) == "1"));
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut p, "stats", "sync_partial_err"), "0");
    assert!(wait_for(PATIENCE, || link_up(&mut r)));
    p.cmd(&["LPUSH", "after", "x"]);
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), Frame::Int(1));
    assert!(same_data(&mut p, &mut r));
    assert_eq!(cmd(&mut r, &["GET", "while-away"]), "1");
}

/// Reads one line (without CRLF), skipping the newlines a primary sends
/// to keep a waiting replica's link alive.
fn read_line(raw: &mut Raw) -> String {
    loop {
        let mut line = Vec::new();
        raw.stream.read_until(b'\n', &mut line).expect("line");
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        if !text.is_empty() {
            return text;
        }
    }
}

/// A raw replica's full sync: returns (replid, offset) and checks the RDB.
fn full_sync(raw: &mut Raw, replid: &str, offset: &str) -> (String, u64) {
    assert_eq!(
        cmd(raw, &["REPLCONF", "capa", "eof", "capa", "psync2"]),
        "OK"
    );
    raw.send_cmd(&["PSYNC", replid, offset]);
    let line = read_line(raw);
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts.len(), 3, "{}", line);
    assert_eq!(parts[0], "+FULLRESYNC");
    let size_line = read_line(raw);
    let size: usize = size_line
        .strip_prefix('$')
        .and_then(|s| s.parse().ok())
        .expect("bulk size");
    let rdb = raw.read_bytes(size);
    assert!(rdb.starts_with(b"REDIS0010"));
    (parts[1].to_string(), parts[2].parse().expect("offset"))
}

#[test]
fn psync_with_unknown_replid_gets_a_full_resync() {
    let primary = TestServer::start_with(&[DISK_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    p.cmd(&["SET", "k", "v"]);
    let mut replica = primary.raw();
    let (replid, offset) = full_sync(
        &mut replica,
        "0123456789012345678901234567890123456789",
        "1",
    );
    assert_eq!(replid, info_field(&mut p, "replication", "master_replid"));
    assert_eq!(offset, 0);
    assert_eq!(info_field(&mut p, "stats", "sync_partial_err"), "1");
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    p.cmd(&["SET", "k2", "v2"]);
    let mut expected = common::encode(&["SELECT", "0"]);
    expected.extend(common::encode(&["SET", "k2", "v2"]));
    assert_eq!(
        read_stream_skipping_ping(&mut replica, expected.len()),
        expected
    );
}

/// Reads `len` stream bytes, not counting a PING first (the cron's first
/// run may PING a replica that attached right after the start).
fn read_stream_skipping_ping(raw: &mut Raw, len: usize) -> Vec<u8> {
    let ping = common::encode(&["PING"]);
    let head = raw.read_bytes(ping.len());
    if head == ping {
        return raw.read_bytes(len);
    }
    let mut out = head;
    out.extend(raw.read_bytes(len - ping.len()));
    out
}

#[test]
fn psync_inside_the_backlog_continues_with_the_missing_bytes() {
    let primary = TestServer::start_with(&[DISK_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    let mut first = primary.raw();
    let (replid, start) = full_sync(&mut first, "?", "-1");
    p.cmd(&["SET", "k1", "v1"]);
    let resume_at: u64 = info_field(&mut p, "replication", "master_repl_offset")
        .parse()
        .expect("offset");
    p.cmd(&["SET", "k2", "v2"]);
    p.cmd(&["RPUSH", "l", "a", "b"]);
    let end: u64 = info_field(&mut p, "replication", "master_repl_offset")
        .parse()
        .expect("offset");
    let stream = first.read_bytes((end - start) as usize);
    let missing = &stream[(resume_at - start) as usize..];
    let mut expected = common::encode(&["SET", "k2", "v2"]);
    expected.extend(common::encode(&["RPUSH", "l", "a", "b"]));
    assert_eq!(missing, expected.as_slice());

    let mut second = primary.raw();
    assert_eq!(cmd(&mut second, &["REPLCONF", "capa", "psync2"]), "OK");
    let from = (resume_at + 1).to_string();
    second.send_cmd(&["PSYNC", &replid, &from]);
    assert_eq!(read_line(&mut second), format!("+CONTINUE {}", replid));
    assert_eq!(second.read_bytes(missing.len()), missing);
    assert_eq!(info_field(&mut p, "stats", "sync_partial_ok"), "1");

    // Without capa psync2 the answer carries no ID; the stream follows.
    let mut third = primary.raw();
    third.send_cmd(&["PSYNC", &replid, &from]);
    assert_eq!(read_line(&mut third), "+CONTINUE");
    assert_eq!(third.read_bytes(missing.len()), missing);
    p.cmd(&["DEL", "k1"]);
    let del = common::encode(&["DEL", "k1"]);
    assert_eq!(second.read_bytes(del.len()), del);
    assert_eq!(third.read_bytes(del.len()), del);
    assert_eq!(info_field(&mut p, "replication", "connected_slaves"), "3");

    // Past the end of the stream: full resync.
    let mut fourth = primary.raw();
    let past = (end + 100).to_string();
    full_sync(&mut fourth, &replid, &past);
    assert_eq!(info_field(&mut p, "stats", "sync_partial_err"), "1");
}

#[test]
fn diskless_transfer_ends_with_the_mark_and_the_stream_waits_for_an_ack() {
    let primary = TestServer::start_with(&[DISKLESS_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    p.cmd(&["SET", "k", "v"]);
    let mut replica = primary.raw();
    assert_eq!(
        cmd(&mut replica, &["REPLCONF", "capa", "eof", "capa", "psync2"]),
        "OK"
    );
    replica.send_cmd(&["PSYNC", "?", "-1"]);
    let fullresync = read_line(&mut replica);
    assert!(fullresync.starts_with("+FULLRESYNC "), "{}", fullresync);
    let preamble = read_line(&mut replica);
    let mark = preamble
        .strip_prefix("$EOF:")
        .expect("EOF preamble")
        .to_string();
    assert_eq!(mark.len(), 40);
    let mut payload = Vec::new();
    while !payload.ends_with(mark.as_bytes()) {
        payload.extend(replica.read_bytes(1));
    }
    assert!(payload.starts_with(b"REDIS0010"));
    assert!(wait_for(PATIENCE, || info_field(
        &mut p,
        "replication",
        "slave0"
    )
    .contains("state=online")));
    p.cmd(&["SET", "k2", "v2"]);
    let offset = info_field(&mut p, "replication", "master_repl_offset");
    // The write was served (INFO answered after it): a streaming replica
    // would have its bytes on the loopback socket by now.
    assert!(replica.stream.buffer().is_empty());
    let socket = replica.stream.get_mut();
    socket.set_nonblocking(true).expect("nonblocking");
    let early = socket.read(&mut [0u8; 1]);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "stream sent before the first ack: {:?}",
        early
    );
    socket.set_nonblocking(false).expect("blocking");
    replica.send_cmd(&["REPLCONF", "ACK", &offset]);
    let mut expected = common::encode(&["SELECT", "0"]);
    expected.extend(common::encode(&["SET", "k2", "v2"]));
    assert_eq!(
        read_stream_skipping_ping(&mut replica, expected.len()),
        expected
    );
    assert!(wait_for(PATIENCE, || info_field(
        &mut p,
        "replication",
        "slave0"
    )
    .contains(&format!("offset={},", offset))));
}

/// A replica's output is its share of the replication buffer; a hard
/// limit below `repl-backlog-size` counts as that size.
#[test]
fn replica_over_its_output_limit_is_disconnected() {
    let primary = TestServer::start_with(&[DISK_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    let limit = p.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "replica 1024 0 0",
    ]);
    assert_eq!(limit, Frame::Simple("OK".into()));
    let mut replica = primary.raw();
    full_sync(&mut replica, "?", "-1");
    assert!(wait_for(PATIENCE, || info_field(
        &mut p,
        "replication",
        "slave0"
    )
    .contains("state=online")));
    p.cmd(&["SET", "small", "v"]);
    p.cmd(&["SET", "over-1024", &"x".repeat(2000)]);
    assert_eq!(info_field(&mut p, "replication", "connected_slaves"), "1");
    // Over the default 1MB backlog.
    p.cmd(&["SET", "big", &"x".repeat(2_000_000)]);
    assert!(wait_for(PATIENCE, || info_field(
        &mut p,
        "replication",
        "connected_slaves"
    ) == "0"));
    let mut rest = Vec::new();
    assert!(
        replica.stream.read_to_end(&mut rest).is_ok(),
        "link not closed"
    );
}

#[test]
fn replicas_arriving_during_a_replication_save_share_it() {
    let primary = TestServer::start_with(&[DISK_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    for i in 0..20 {
        p.cmd(&["SET", &format!("key{}", i), "v"]);
    }
    // 20 keys at 100ms each: the save runs for two seconds.
    p.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]);
    let mut first = primary.raw();
    assert_eq!(cmd(&mut first, &["REPLCONF", "capa", "psync2"]), "OK");
    first.send_cmd(&["PSYNC", "?", "-1"]);
    let first_reply = read_line(&mut first);
    p.cmd(&["SET", "during", "save"]);
    let mut second = primary.raw();
    assert_eq!(cmd(&mut second, &["REPLCONF", "capa", "psync2"]), "OK");
    second.send_cmd(&["PSYNC", "?", "-1"]);
    assert_eq!(read_line(&mut second), first_reply);
    p.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    let size = read_line(&mut first);
    assert_eq!(read_line(&mut second), size);
    let size: usize = size[1..].parse().expect("size");
    assert_eq!(first.read_bytes(size), second.read_bytes(size));
    let mut expected = common::encode(&["SELECT", "0"]);
    expected.extend(common::encode(&["SET", "during", "save"]));
    assert_eq!(first.read_bytes(expected.len()), expected);
    assert_eq!(second.read_bytes(expected.len()), expected);
    assert_eq!(info_field(&mut p, "stats", "total_forks"), "1");
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "2");
}

#[test]
fn killing_the_only_diskless_replica_stops_the_transfer() {
    let primary = TestServer::start_with(&[DISKLESS_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    for i in 0..50 {
        p.cmd(&["SET", &format!("key{}", i), "v"]);
    }
    // 50 keys at 200ms each: the transfer would take ten seconds.
    p.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "200000"]);
    let mut replica = primary.raw();
    assert_eq!(cmd(&mut replica, &["REPLCONF", "capa", "eof"]), "OK");
    replica.send_cmd(&["PSYNC", "?", "-1"]);
    assert!(read_line(&mut replica).starts_with("+FULLRESYNC"));
    assert!(read_line(&mut replica).starts_with("$EOF:"));
    assert_eq!(
        info_field(&mut p, "persistence", "rdb_bgsave_in_progress"),
        "1"
    );
    assert_eq!(p.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), Frame::Int(1));
    let mut rest = Vec::new();
    assert!(
        replica.stream.read_to_end(&mut rest).is_ok(),
        "link not closed"
    );
    // Well before the ten seconds the transfer would take.
    assert!(wait_for(Duration::from_secs(5), || info_field(
        &mut p,
        "persistence",
        "rdb_bgsave_in_progress"
    ) == "0"));
    assert_eq!(info_field(&mut p, "replication", "connected_slaves"), "0");
}

/// The only replica's acknowledged offset is the primary's offset.
fn replica_acked_all(p: &mut Raw) -> bool {
    let offset = info_field(p, "replication", "master_repl_offset");
    let replica = info_field(p, "replication", "slave0");
    replica.contains(&format!(",offset={},", offset))
}

/// SHUTDOWN SAVE, then the server starts again from the file it saved,
/// on the same port and directory; returns a connection to it.
fn restart_from_its_save(server: &mut TestServer, mut conn: Raw, config: &[&str]) -> Raw {
    conn.send_cmd(&["SHUTDOWN", "SAVE"]);
    let _ = server.child.wait();
    server.child = Command::new(common::server_binary())
        .args(["--port", &server.port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--enable-debug-command", "yes"])
        .arg("--dir")
        .arg(server.dir.path())
        .args(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("restart the server");
    assert!(wait_for(PATIENCE, || is_listening(server.port)));
    server.raw()
}

fn info_int(r: &mut Raw, section: &str, name: &str) -> i64 {
    info_field(r, section, name).parse().unwrap_or(-1)
}

#[test]
fn keys_expired_when_the_primary_restarts_reach_its_replica_as_deletions() {
    let config = [DISK_SYNC, QUIET_PING].concat();
    let mut primary = TestServer::start_with(&config);
    let mut p = primary.raw();
    let replica = start_real_replica(primary.port);
    let mut r = replica.raw();
    assert!(wait_for(PATIENCE, || link_up(&mut r)));
    p.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    p.cmd(&["SET", "kept", "1"]);
    for i in 0..20 {
        p.cmd(&["SELECT", &(i % 3).to_string()]);
        p.cmd(&["SET", &format!("short{}", i), "v", "PX", "50"]);
    }
    p.cmd(&["SELECT", "0"]);
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), Frame::Int(1));
    assert!(wait_for(PATIENCE, || replica_acked_all(&mut p)));
    // The keys expired on the primary, but nothing deleted them yet.
    std::thread::sleep(Duration::from_millis(100));
    let offset = info_int(&mut p, "replication", "master_repl_offset");
    let mut p = restart_from_its_save(&mut primary, p, &config);

    assert_eq!(
        info_int(&mut p, "persistence", "rdb_last_load_keys_expired"),
        20
    );
    // The deletions are in the backlog, past the offset the file holds.
    let histlen = info_int(&mut p, "replication", "repl_backlog_histlen");
    assert!(histlen > 20 * 20, "histlen {}", histlen);
    assert_eq!(
        info_int(&mut p, "replication", "master_repl_offset"),
        offset + histlen
    );
    assert_eq!(
        info_int(&mut p, "replication", "repl_backlog_first_byte_offset"),
        offset + 1
    );
    assert!(wait_for(PATIENCE, || info_int(
        &mut p,
        "stats",
        "sync_partial_ok"
    ) == 1));
    let replica_size = |r: &mut Raw| {
        (0..3)
            .map(|db| {
                r.cmd(&["SELECT", &db.to_string()]);
                match r.cmd(&["DBSIZE"]) {
                    Frame::Int(n) => n,
                    other => panic!("DBSIZE: {:?}", other),
                }
            })
            .sum::<i64>()
    };
    assert!(wait_for(PATIENCE, || replica_size(&mut r) == 1));
    assert_eq!(info_int(&mut p, "stats", "sync_full"), 0);
}

/// The replication buffer is shared: a replica that stops reading holds
/// on to the stream it was not sent, so the backlog grows past
/// `repl-backlog-size` (and serves partial resyncs from all of it); once
/// the replica caught up, the backlog shrinks back to about its size.
#[test]
fn backlog_grows_past_its_size_while_a_replica_lags_and_shrinks_after() {
    let config = [
        DISK_SYNC,
        QUIET_PING,
        &["--repl-backlog-size", "16384"],
        &["--client-output-buffer-limit", "replica 0 0 0"],
    ]
    .concat();
    let primary = TestServer::start_with(&config);
    let mut p = primary.raw();
    let mut lagging = common::repl_stream::ReplStream::attach(primary.port);
    let value = "x".repeat(100_000);
    let writes = 320;
    for i in 0..writes {
        p.cmd(&["SET", &format!("k{}", i), &value]);
    }
    p.cmd(&["SET", "marker", "1"]);
    // More than the socket buffers between the two can hold.
    let histlen = info_int(&mut p, "replication", "repl_backlog_histlen");
    assert!(histlen > 16_000_000, "histlen {}", histlen);
    let total = info_int(&mut p, "memory", "mem_total_replication_buffers");
    assert!(total >= histlen, "buffers {} histlen {}", total, histlen);
    assert!(info_int(&mut p, "memory", "mem_clients_slaves") > 0);

    let seen = lagging.until(&["SET", "marker", "1"]);
    let sets = seen.iter().filter(|words| words[0] == "SET").count();
    assert_eq!(sets, writes + 1);
    assert!(
        wait_for(PATIENCE, || {
            p.cmd(&["PING"]);
            info_int(&mut p, "replication", "repl_backlog_histlen") < 100_000
        }),
        "the backlog did not shrink"
    );
    assert!(info_int(&mut p, "memory", "mem_total_replication_buffers") < 200_000);
}

#[test]
fn replica_continues_after_the_primary_restarts_from_its_save() {
    let config = [DISK_SYNC, QUIET_PING].concat();
    let mut primary = TestServer::start_with(&config);
    let mut p = primary.raw();
    p.cmd(&["SET", "before", "1"]);
    let replica = start_real_replica(primary.port);
    let mut r = replica.raw();
    assert!(wait_for(PATIENCE, || link_up(&mut r)));
    p.cmd(&["RPUSH", "list", "a", "b"]);
    p.cmd(&["SELECT", "4"]);
    p.cmd(&["SET", "in4", "x", "EX", "1000"]);
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), Frame::Int(1));
    // Once the replica acknowledged everything (WAIT's GETACK included),
    // SHUTDOWN has no replica to wait for and adds nothing to the stream.
    assert!(wait_for(PATIENCE, || replica_acked_all(&mut p)));
    let old_replid = info_field(&mut p, "replication", "master_replid");
    let offset: i64 = info_field(&mut p, "replication", "master_repl_offset")
        .parse()
        .expect("offset");
    let mut p = restart_from_its_save(&mut primary, p, &config);
    assert_eq!(
        info_field(&mut p, "replication", "master_replid2"),
        old_replid
    );
    let second = (offset + 1).to_string();
    assert_eq!(
        info_field(&mut p, "replication", "second_repl_offset"),
        second
    );
    assert!(wait_for(PATIENCE, || info_field(
        &mut p,
        "stats",
        "sync_partial_ok"
    ) == "1"));
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "0");
    p.cmd(&["SET", "after-restart", "1"]);
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), Frame::Int(1));
    assert!(same_data(&mut p, &mut r));
}

#[test]
fn rdb_only_sync_gets_the_snapshot_and_is_closed() {
    let primary = TestServer::start_with(DISK_SYNC);
    let mut p = primary.raw();
    p.cmd(&["SET", "k", "v"]);
    let mut replica = primary.raw();
    assert_eq!(cmd(&mut replica, &["REPLCONF", "rdb-only", "1"]), "OK");
    replica.send_cmd(&["SYNC"]);
    let size_line = read_line(&mut replica);
    let size: usize = size_line[1..].parse().expect("bulk size");
    p.cmd(&["SET", "after", "snapshot"]);
    assert!(replica.read_bytes(size).starts_with(b"REDIS0010"));
    let mut rest = Vec::new();
    assert!(replica.stream.read_to_end(&mut rest).is_ok(), "not closed");
    assert_eq!(rest, b"");
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    assert_eq!(
        p.cmd(&["REPLCONF", "rdb-only", "2"]),
        Frame::Error("ERR value is out of range, value must between 0 and 1".into())
    );
}

#[test]
fn replconf_checks_its_arguments() {
    let primary = TestServer::start();
    let mut p = primary.raw();
    assert_eq!(
        p.cmd(&["REPLCONF", "listening-port"]),
        Frame::Error("ERR syntax error".into())
    );
    assert_eq!(
        p.cmd(&["REPLCONF", "bogus", "1"]),
        Frame::Error("ERR Unrecognized REPLCONF option: bogus".into())
    );
    assert_eq!(
        p.cmd(&["REPLCONF", "listening-port", "x"]),
        Frame::Error("ERR value is not an integer or out of range".into())
    );
    assert_eq!(
        p.cmd(&["REPLCONF", "listening-port", "1234", "capa", "eof"]),
        Frame::Simple("OK".into())
    );
    // ACK from a client that is not a replica: no reply at all.
    p.send_cmd(&["REPLCONF", "ACK", "10"]);
    assert_eq!(p.cmd(&["PING"]), Frame::Simple("PONG".into()));
    assert_eq!(
        p.cmd(&["PSYNC", "?", "x"]),
        Frame::Error("ERR value is not an integer or out of range".into())
    );
    assert_eq!(
        p.cmd(&["ROLE"]),
        Frame::Array(Some(vec![
            Frame::bulk("master"),
            Frame::Int(0),
            Frame::Array(Some(vec![]))
        ]))
    );
}

#[test]
fn flushes_of_empty_databases_still_reach_replicas() {
    let primary = TestServer::start_with(&[DISK_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    let mut replica = primary.raw();
    full_sync(&mut replica, "?", "-1");
    assert_eq!(p.cmd(&["FLUSHALL"]), common::Frame::Simple("OK".into()));
    assert_eq!(p.cmd(&["FLUSHDB"]), common::Frame::Simple("OK".into()));
    let mut expected = common::encode(&["SELECT", "0"]);
    expected.extend(common::encode(&["FLUSHALL"]));
    expected.extend(common::encode(&["FLUSHDB"]));
    assert_eq!(
        read_stream_skipping_ping(&mut replica, expected.len()),
        expected
    );
}

#[test]
fn getset_and_set_get_reach_replicas_as_plain_set() {
    let primary = TestServer::start_with(&[DISK_SYNC, QUIET_PING].concat());
    let mut p = primary.raw();
    let mut replica = primary.raw();
    full_sync(&mut replica, "?", "-1");
    p.cmd(&["GETSET", "k", "a"]);
    p.cmd(&["SET", "k", "b", "GET"]);
    let mut expected = common::encode(&["SELECT", "0"]);
    expected.extend(common::encode(&["SET", "k", "a"]));
    expected.extend(common::encode(&["SET", "k", "b"]));
    assert_eq!(
        read_stream_skipping_ping(&mut replica, expected.len()),
        expected
    );
}

/// A replica may not run commands that touch keys: it is refused (an
/// error its primary logs as unexpected) and, having caused a reply on
/// its replication link, dropped.
#[test]
fn a_replica_touching_keys_is_refused_and_dropped() {
    let primary = TestServer::start_with(&[DISK_SYNC, QUIET_PING].concat());
    let mut replica = primary.raw();
    full_sync(&mut replica, "?", "-1");
    replica.send_cmd(&["GET", "foo"]);
    assert!(replica.closed_within(PATIENCE));
    let mut p = primary.raw();
    assert_eq!(info_field(&mut p, "stats", "unexpected_error_replies"), "1");
    assert_eq!(info_field(&mut p, "replication", "connected_slaves"), "0");
}

const LIBRARY: &str =
    "#!lua name=lib1\nredis.register_function('func1', function() return 123 end)";

/// `redis-cli --functions-rdb`: the snapshot it receives (streamed to the
/// socket even from a primary that syncs through its dump file, which it
/// leaves alone) loads as the functions and no keys.
#[test]
fn functions_rdb_dump_holds_the_functions_and_no_keys() {
    if !common::program_available("redis-cli", "redis-tools") {
        return;
    }
    let primary = TestServer::start_with(DISK_SYNC);
    let mut p = primary.raw();
    assert_eq!(
        cmd(&mut p, &["DEBUG", "POPULATE", "1000", "key", "10"]),
        "OK"
    );
    assert_eq!(cmd(&mut p, &["FUNCTION", "LOAD", LIBRARY]), "lib1");
    let target = tempfile::tempdir().expect("tempdir");
    let file = target.path().join("dump.rdb");
    let port = primary.port.to_string();
    let out = Command::new("redis-cli")
        .args(["-p", &port, "--functions-rdb"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .expect("run redis-cli");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("Transfer finished with success"), "{said}");
    assert!(
        !primary.path("dump.rdb").exists(),
        "the dump file was written"
    );
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");

    let loaded = common::start::start_logged(target, &[]);
    let mut l = loaded.raw();
    assert_eq!(l.cmd(&["DBSIZE"]), Frame::Int(0));
    assert_eq!(
        l.cmd(&["FCALL", "func1", "0"]),
        Frame::Int(123),
        "{:?}",
        l.cmd(&["FUNCTION", "LIST"])
    );
    assert_eq!(cmd(&mut p, &["DBSIZE"]), "1000");
}

/// Reads a diskless transfer (`$EOF:<mark>` then the file then the mark).
fn read_eof_transfer(raw: &mut Raw) -> Vec<u8> {
    let header = read_line(raw);
    let mark = header.strip_prefix("$EOF:").expect("a diskless transfer");
    let mut payload = Vec::new();
    while !payload.ends_with(mark.as_bytes()) {
        let mut byte = [0u8; 1];
        raw.stream.read_exact(&mut byte).expect("transfer byte");
        payload.push(byte[0]);
    }
    payload.truncate(payload.len() - mark.len());
    payload
}

#[test]
fn rdb_filter_only_leaves_out_what_it_does_not_name() {
    let primary = TestServer::start_with(DISK_SYNC);
    let mut p = primary.raw();
    p.cmd(&["SET", "some-key", "v"]);
    assert_eq!(cmd(&mut p, &["FUNCTION", "LOAD", LIBRARY]), "lib1");
    assert_eq!(
        p.cmd(&["REPLCONF", "rdb-filter-only", "functions keys"]),
        Frame::Error("ERR Unsupported rdb-filter-only option: keys".into())
    );
    // A filtered snapshot only goes straight to a socket.
    let mut no_eof = primary.raw();
    assert_eq!(
        cmd(&mut no_eof, &["REPLCONF", "rdb-filter-only", "functions"]),
        "OK"
    );
    assert_eq!(
        no_eof.cmd(&["SYNC"]),
        Frame::Error("ERR Filtered replica requires EOF capability".into())
    );
    // Naming nothing leaves the header and aux fields only.
    let mut tool = primary.raw();
    for (option, value) in [("capa", "eof"), ("rdb-only", "1"), ("rdb-filter-only", "")] {
        assert_eq!(cmd(&mut tool, &["REPLCONF", option, value]), "OK");
    }
    tool.send_cmd(&["SYNC"]);
    let rdb = read_eof_transfer(&mut tool);
    let holds = |what: &[u8]| rdb.windows(what.len()).any(|w| w == what);
    assert!(rdb.starts_with(b"REDIS0010") && holds(b"aof-base"));
    let text = String::from_utf8_lossy(&rdb);
    assert!(!holds(b"some-key") && !holds(b"func1"), "{text:?}");
    assert!(!primary.path("dump.rdb").exists());
}
