//! The append-only file: Redis 7.0's multi-part layout and manifest,
//! loading (legacy upgrade, torn tails), rewrites, CONFIG SET appendonly,
//! interchange with real Redis in both directions, and crash tests that
//! kill -9 the server while clients write (and while it rewrites) and
//! check what the promises of `appendfsync` say survives.
//!
//! Most tests also pass against real Redis (`REDDISH_TEST_SERVER`).

mod common;

use common::real_redis::RealRedis;
use common::start::{kill_and_restart, read_log, start_logged};
use common::{digest, info_field, int_of, ok, wait_for, Frame, Raw, TestServer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const AOF_ON: &[&str] = &["--appendonly", "yes", "--auto-aof-rewrite-percentage", "0"];

fn fresh(extra: &[&str]) -> TestServer {
    start_logged(tempfile::tempdir().expect("tempdir"), extra)
}

fn with_aof(more: &[&'static str]) -> Vec<&'static str> {
    let mut args = AOF_ON.to_vec();
    args.extend_from_slice(more);
    args
}

fn aof_dir(srv: &TestServer) -> PathBuf {
    srv.path("appendonlydir")
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap_or_default()
}

fn wait_no_rewrite(r: &mut Raw) {
    assert!(
        wait_for(Duration::from_secs(30), || {
            info_field(r, "persistence", "aof_rewrite_in_progress") == "0"
                && info_field(r, "persistence", "aof_rewrite_scheduled") == "0"
        }),
        "rewrite did not finish"
    );
}

/// One key of every type, TTLs, several databases.
fn fill(r: &mut Raw) {
    assert_eq!(r.cmd(&["SET", "s", "text"]), ok());
    assert_eq!(r.cmd(&["SET", "n", "12345"]), ok());
    assert_eq!(r.cmd(&["SET", "ttl", "v", "PX", "600000"]), ok());
    r.cmd(&["RPUSH", "l", "a", "b", "c"]);
    r.cmd(&["SADD", "set", "x", "y", "3"]);
    r.cmd(&["SADD", "ints", "1", "2", "3"]);
    r.cmd(&["ZADD", "z", "1.5", "a", "-2", "b", "inf", "c"]);
    r.cmd(&["HSET", "h", "f1", "v1", "f2", "v2"]);
    r.cmd(&["XADD", "st", "1-1", "f", "v"]);
    r.cmd(&["XADD", "st", "2-1", "g", "w"]);
    r.cmd(&["XGROUP", "CREATE", "st", "grp", "0"]);
    r.cmd(&[
        "XREADGROUP",
        "GROUP",
        "grp",
        "alice",
        "COUNT",
        "1",
        "STREAMS",
        "st",
        ">",
    ]);
    r.cmd(&["XGROUP", "CREATECONSUMER", "st", "grp", "bob"]);
    let big: Vec<String> = (0..200).map(|i| format!("m{}", i)).collect();
    let mut args = vec!["RPUSH", "biglist"];
    args.extend(big.iter().map(String::as_str));
    r.cmd(&args);
    assert_eq!(r.cmd(&["SELECT", "5"]), ok());
    assert_eq!(r.cmd(&["SET", "in5", "five"]), ok());
    r.cmd(&["MULTI"]);
    r.cmd(&["INCR", "counter"]);
    r.cmd(&["EXPIRE", "counter", "1000"]);
    r.cmd(&["EXEC"]);
    assert_eq!(r.cmd(&["SELECT", "0"]), ok());
}

#[test]
fn every_type_survives_kill_and_restart() {
    let srv = fresh(AOF_ON);
    let mut r = srv.raw();
    fill(&mut r);
    let before = digest(&mut r);
    let srv = kill_and_restart(srv, AOF_ON);
    assert_eq!(digest(&mut srv.raw()), before);
}

/// A replica's AOF stops for a full sync and starts again from a rewrite
/// of the primary's data: restarted from it, the replica holds the
/// primary's data, not what it had before the sync.
#[test]
fn a_full_sync_restarts_the_replicas_aof_from_the_new_data() {
    let primary = TestServer::start();
    let mut p = primary.raw();
    fill(&mut p);
    let replica = fresh(AOF_ON);
    let mut r = replica.raw();
    assert_eq!(r.cmd(&["SET", "old", "data"]), ok());
    let port = primary.port.to_string();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
    assert!(wait_for(Duration::from_secs(20), || common::link_up(
        &mut r
    )));
    wait_no_rewrite(&mut r);
    assert_eq!(info_field(&mut r, "persistence", "aof_enabled"), "1");
    assert_eq!(p.cmd(&["SET", "after", "sync"]), ok());
    assert_eq!(p.cmd(&["WAIT", "1", "5000"]), Frame::Int(1));
    let expected = digest(&mut p);
    assert_eq!(digest(&mut r), expected);
    let replica = kill_and_restart(replica, AOF_ON);
    assert_eq!(digest(&mut replica.raw()), expected);
}

#[test]
fn files_and_manifest_are_named_as_redis_names_them() {
    let srv = fresh(AOF_ON);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(
        manifest(srv.dir.path()),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let incr = std::fs::read(aof_dir(&srv).join("appendonly.aof.1.incr.aof")).expect("incr");
    assert_eq!(
        incr,
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
    );
    let base = std::fs::read(aof_dir(&srv).join("appendonly.aof.1.base.rdb")).expect("base");
    assert!(base.starts_with(b"REDIS0010"));
}

#[test]
fn bgrewriteaof_makes_a_new_base_and_deletes_the_history() {
    let srv = fresh(AOF_ON);
    let mut r = srv.raw();
    fill(&mut r);
    let before = digest(&mut r);
    assert_eq!(
        r.cmd(&["BGREWRITEAOF"]),
        Frame::Simple("Background append only file rewriting started".into())
    );
    wait_no_rewrite(&mut r);
    assert_eq!(r.cmd(&["SET", "after", "rewrite"]), ok());
    assert_eq!(
        manifest(srv.dir.path()),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let mut names: Vec<String> = std::fs::read_dir(aof_dir(&srv))
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    assert_eq!(info_field(&mut r, "persistence", "aof_rewrites"), "1");
    let after = digest(&mut r);
    assert_ne!(after, before);
    let srv = kill_and_restart(srv, AOF_ON);
    assert_eq!(digest(&mut srv.raw()), after);
}

#[test]
fn a_command_form_base_loads_back() {
    let args = with_aof(&["--aof-use-rdb-preamble", "no"]);
    let srv = fresh(&args);
    let mut r = srv.raw();
    fill(&mut r);
    r.cmd(&["BGREWRITEAOF"]);
    wait_no_rewrite(&mut r);
    let before = digest(&mut r);
    let base = std::fs::read(aof_dir(&srv).join("appendonly.aof.2.base.aof")).expect("base");
    assert!(base.starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
    let srv = kill_and_restart(srv, &args);
    assert_eq!(digest(&mut srv.raw()), before);
}

#[test]
fn a_legacy_appendonly_aof_is_moved_into_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let legacy = [
        common::encode(&["SELECT", "0"]),
        common::encode(&["SET", "old", "style"]),
        common::encode(&["RPUSH", "l", "1", "2"]),
    ]
    .concat();
    std::fs::write(dir.path().join("appendonly.aof"), legacy).expect("write");
    let srv = start_logged(dir, AOF_ON);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["GET", "old"]), Frame::bulk("style"));
    assert_eq!(int_of(r.cmd(&["LLEN", "l"])), 2);
    assert!(!srv.path("appendonly.aof").exists());
    assert!(aof_dir(&srv).join("appendonly.aof").exists());
    assert_eq!(
        manifest(srv.dir.path()),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(read_log(srv.dir.path()).contains(
        "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."
    ));
}

/// A directory holding only an incr file with `content`.
fn dir_with_incr(content: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let aof = dir.path().join("appendonlydir");
    std::fs::create_dir(&aof).expect("mkdir");
    std::fs::write(aof.join("appendonly.aof.1.incr.aof"), content).expect("incr");
    std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .expect("manifest");
    dir
}

fn torn_aof() -> Vec<u8> {
    let mut bytes = [
        common::encode(&["INCR", "foo"]),
        common::encode(&["INCR", "foo"]),
    ]
    .concat();
    let last = common::encode(&["INCR", "foo"]);
    bytes.extend_from_slice(&last[..last.len() - 1]);
    bytes
}

#[test]
fn a_torn_tail_is_cut_off_with_aof_load_truncated() {
    let srv = start_logged(dir_with_incr(&torn_aof()), AOF_ON);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["GET", "foo"]), Frame::bulk("2"));
    let good = 2 * common::encode(&["INCR", "foo"]).len();
    let log = read_log(srv.dir.path());
    assert!(log.contains(&format!(
        "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {} !!!",
        good
    )));
    let size = std::fs::metadata(aof_dir(&srv).join("appendonly.aof.1.incr.aof"))
        .expect("incr")
        .len();
    assert_eq!(size as usize, good);
}

#[test]
fn a_torn_tail_stops_the_server_without_aof_load_truncated() {
    let dir = dir_with_incr(&torn_aof());
    let log = dir.path().join("server.log");
    let port = common::free_port().to_string();
    let status = std::process::Command::new(common::server_binary())
        .args(["--port", &port, "--dir", &dir.path().display().to_string()])
        .args(["--logfile", &log.display().to_string()])
        .args(AOF_ON)
        .args(["--aof-load-truncated", "no"])
        .status()
        .expect("run");
    assert_eq!(status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.contains(
            "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof"
        ),
        "{last}"
    );
}

#[test]
fn config_set_appendonly_writes_a_first_base_then_stops() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    fill(&mut r);
    assert_eq!(r.cmd(&["CONFIG", "SET", "appendonly", "yes"]), ok());
    wait_no_rewrite(&mut r);
    assert_eq!(info_field(&mut r, "persistence", "aof_enabled"), "1");
    assert_eq!(r.cmd(&["SET", "later", "1"]), ok());
    assert_eq!(
        manifest(srv.dir.path()),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let before = digest(&mut r);
    let srv = kill_and_restart(srv, AOF_ON);
    let mut r = srv.raw();
    assert_eq!(digest(&mut r), before);
    assert_eq!(r.cmd(&["CONFIG", "SET", "appendonly", "no"]), ok());
    assert_eq!(info_field(&mut r, "persistence", "aof_enabled"), "0");
    let incr = aof_dir(&srv).join("appendonly.aof.1.incr.aof");
    let size = std::fs::metadata(&incr).expect("incr").len();
    assert_eq!(r.cmd(&["SET", "not", "logged"]), ok());
    assert_eq!(std::fs::metadata(&incr).expect("incr").len(), size);
}

#[test]
fn debug_loadaof_reloads_the_files() {
    let srv = fresh(AOF_ON);
    let mut r = srv.raw();
    fill(&mut r);
    let before = digest(&mut r);
    assert_eq!(r.cmd(&["DEBUG", "LOADAOF"]), ok());
    assert_eq!(digest(&mut r), before);
    // Neither the reload nor what it loaded is logged again.
    let incr = std::fs::read(aof_dir(&srv).join("appendonly.aof.1.incr.aof")).expect("incr");
    assert!(!String::from_utf8_lossy(&incr)
        .to_ascii_lowercase()
        .contains("loadaof"));
    let srv = kill_and_restart(srv, AOF_ON);
    assert_eq!(digest(&mut srv.raw()), before);
}

/// Files move between reddish and real Redis in both directions.
#[test]
fn real_redis_and_reddish_read_each_others_directories() {
    if common::against_real_redis() || !common::real_redis::available() {
        return;
    }
    for preamble in ["yes", "no"] {
        let args = vec![
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            preamble,
            "--auto-aof-rewrite-percentage",
            "0",
        ];
        let srv = fresh(&args);
        let mut r = srv.raw();
        fill(&mut r);
        r.cmd(&["BGREWRITEAOF"]);
        wait_no_rewrite(&mut r);
        assert_eq!(r.cmd(&["SET", "after", "rewrite"]), ok());
        let ours = digest(&mut r);
        let dir = srv.dir.path().to_path_buf();
        let check = std::process::Command::new("redis-check-aof")
            .arg(dir.join("appendonlydir/appendonly.aof.manifest"))
            .output()
            .expect("redis-check-aof");
        let report = String::from_utf8_lossy(&check.stdout);
        assert!(
            report.contains("All AOF files and manifest are valid"),
            "{report}"
        );
        drop(r);
        let mut srv = srv;
        let _ = srv.child.kill();
        let _ = srv.child.wait();
        let real = RealRedis::start(&dir, &args);
        let mut rr = real.raw();
        assert_eq!(
            digest(&mut rr),
            ours,
            "real Redis read our files ({preamble})"
        );
        assert_eq!(rr.cmd(&["SET", "from", "redis"]), ok());
        rr.cmd(&["BGREWRITEAOF"]);
        wait_no_rewrite(&mut rr);
        assert_eq!(rr.cmd(&["HSET", "h", "f3", "v3"]), int_of_frame(1));
        let theirs = digest(&mut rr);
        drop(rr);
        drop(real);
        let srv = kill_and_restart(srv, &args);
        assert_eq!(digest(&mut srv.raw()), theirs, "we read real Redis's files");
    }
}

fn int_of_frame(n: i64) -> Frame {
    Frame::Int(n)
}

/// Acknowledged appends of one writer: values 0..acked.len() pushed to
/// its own list, with when each reply arrived.
struct Writer {
    key: String,
    acked: Arc<Mutex<Vec<Instant>>>,
}

fn start_writers(
    port: u16,
    n: usize,
    stop: &Arc<AtomicBool>,
) -> (Vec<Writer>, Vec<std::thread::JoinHandle<()>>) {
    let mut writers = Vec::new();
    let mut handles = Vec::new();
    for w in 0..n {
        let key = format!("log:{}", w);
        let acked = Arc::new(Mutex::new(Vec::new()));
        writers.push(Writer {
            key: key.clone(),
            acked: Arc::clone(&acked),
        });
        let stop = Arc::clone(stop);
        handles.push(std::thread::spawn(move || {
            let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
                return;
            };
            let mut r = Raw::from_stream(stream);
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let value = i.to_string();
                r.send(&common::encode(&["RPUSH", &key, &value]));
                match common::read_frame(&mut r.stream) {
                    Some(Frame::Int(_)) => acked
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Instant::now()),
                    _ => return,
                }
                i += 1;
            }
        }));
    }
    (writers, handles)
}

/// Writers append to their lists; the server is killed after a random
/// moment; after the restart each list must be 0, 1, 2 ... (a prefix of
/// what was sent) holding every value acknowledged before `grace` ago.
fn crash_while_writing(fsync: &'static str, grace: Duration) {
    let args = with_aof(&["--appendfsync", fsync]);
    for round in 0..3u32 {
        let srv = fresh(&args);
        let stop = Arc::new(AtomicBool::new(false));
        let (writers, handles) = start_writers(srv.port, 4, &stop);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let run_for = Duration::from_millis(300 + u64::from((nanos + round * 7919) % 900));
        std::thread::sleep(run_for);
        let killed_at = Instant::now();
        let srv = kill_and_restart(srv, &args);
        stop.store(true, Ordering::SeqCst);
        for h in handles {
            let _ = h.join();
        }
        let mut r = srv.raw();
        let mut total = 0;
        for w in &writers {
            let list: Vec<String> = common::texts(r.cmd(&["LRANGE", &w.key, "0", "-1"]));
            let expected: Vec<String> = (0..list.len()).map(|i| i.to_string()).collect();
            assert_eq!(list, expected, "{}: not a prefix of what was sent", w.key);
            let acked = w.acked.lock().unwrap_or_else(|e| e.into_inner());
            let must_have = acked
                .iter()
                .filter(|t| killed_at.saturating_duration_since(**t) > grace)
                .count();
            assert!(
                list.len() >= must_have,
                "{}: {} acknowledged ({} before the grace period), {} survived",
                w.key,
                acked.len(),
                must_have,
                list.len()
            );
            total += acked.len();
        }
        assert!(total > 0, "no write was acknowledged");
    }
}

#[test]
fn crash_with_appendfsync_always_loses_no_acknowledged_write() {
    crash_while_writing("always", Duration::ZERO);
}

#[test]
fn crash_with_appendfsync_everysec_loses_at_most_two_seconds() {
    crash_while_writing("everysec", Duration::from_secs(2));
}

#[test]
fn crash_during_a_rewrite_keeps_the_old_manifest_and_every_write() {
    let args = with_aof(&["--appendfsync", "always"]);
    let srv = fresh(&args);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "20000"]), ok());
    // DEBUG POPULATE is not propagated: a rewrite puts the keys in a base.
    r.cmd(&["BGREWRITEAOF"]);
    wait_no_rewrite(&mut r);
    assert_eq!(r.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "200"]), ok());
    r.cmd(&["BGREWRITEAOF"]);
    assert!(wait_for(Duration::from_secs(10), || info_field(
        &mut r,
        "persistence",
        "aof_rewrite_in_progress"
    ) == "1"));
    for i in 0..100 {
        assert_eq!(int_of(r.cmd(&["RPUSH", "during", &i.to_string()])), i + 1);
    }
    let old = manifest(srv.dir.path());
    let srv = kill_and_restart(srv, &args);
    let mut r = srv.raw();
    assert_eq!(manifest(srv.dir.path()), old);
    assert_eq!(int_of(r.cmd(&["DBSIZE"])), 20001);
    assert_eq!(int_of(r.cmd(&["LLEN", "during"])), 100);
}

/// What a transaction's EXEC answers for each of `commands`.
fn in_transaction(r: &mut Raw, commands: &[&[&str]]) -> Vec<Frame> {
    assert_eq!(r.cmd(&["MULTI"]), ok());
    for command in commands {
        assert_eq!(r.cmd(command), Frame::Simple("QUEUED".into()));
    }
    common::items(r.cmd(&["EXEC"]))
}

#[test]
fn bgrewriteaof_in_a_transaction_is_scheduled_for_after_it() {
    let srv = fresh(AOF_ON);
    let mut r = srv.raw();
    let forks = common::info_int(&common::info(&mut r, &["stats"]), "total_forks");
    let replies = in_transaction(&mut r, &[&["SET", "k", "v"], &["BGREWRITEAOF"]]);
    assert_eq!(
        replies,
        [
            ok(),
            Frame::Simple("Background append only file rewriting scheduled".into())
        ]
    );
    wait_no_rewrite(&mut r);
    let after = common::info_int(&common::info(&mut r, &["stats"]), "total_forks");
    assert_eq!(after, forks + 1, "the scheduled rewrite ran once");
    assert_eq!(info_field(&mut r, "persistence", "aof_rewrites"), "1");
}

#[test]
fn appendonly_turned_on_in_a_transaction_schedules_the_first_rewrite() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    let replies = in_transaction(
        &mut r,
        &[&["SET", "k", "v"], &["CONFIG", "SET", "appendonly", "yes"]],
    );
    assert_eq!(replies, [ok(), ok()]);
    assert!(read_log(srv.dir.path()).contains(
        "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
    ));
    assert!(
        wait_for(Duration::from_secs(30), || manifest(srv.dir.path())
            .contains("type b\n")),
        "a base was written"
    );
    wait_no_rewrite(&mut r);
    assert_eq!(info_field(&mut r, "persistence", "aof_enabled"), "1");
}
