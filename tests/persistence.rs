//! Persistence: SAVE, BGSAVE, save points, MISCONF, loading at start,
//! SHUTDOWN and SIGTERM saves, FLUSHALL, DEBUG RELOAD, DUMP / RESTORE,
//! crash safety (kill -9 during a save) and bad files.

mod common;

use common::{
    digest, encoding, err, info_field, int_of, now_ms, ok, run_all, start, stream_data, wait_for,
    wait_ready, Frame, Raw, TestServer,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn log_path(dir: &Path) -> PathBuf {
    dir.join("server.log")
}

/// Starts reddish in `dir` (kept across restarts) with a log file and
/// `extra` options, and waits until it has loaded its data.
fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> TestServer {
    let log = log_path(dir.path()).display().to_string();
    let mut args = vec!["--enable-debug-command", "yes", "--logfile", &log];
    if !extra.contains(&"--save") {
        args.extend_from_slice(&["--save", ""]);
    }
    args.extend_from_slice(extra);
    let srv = start::start_in(dir, None, &args);
    wait_loaded(&srv);
    srv
}

fn wait_loaded(srv: &TestServer) {
    assert!(
        wait_ready(&mut srv.raw(), Duration::from_secs(20)),
        "server still loading"
    );
}

fn fresh(extra: &[&str]) -> TestServer {
    start_in(tempfile::tempdir().expect("tempdir"), extra)
}

/// Kills the server (SIGKILL) and starts a new one on the same directory.
fn restart(mut srv: TestServer, extra: &[&str]) -> TestServer {
    let dir = std::mem::replace(&mut srv.dir, tempfile::tempdir().expect("tempdir"));
    drop(srv);
    start_in(dir, extra)
}

/// Waits until the server process exits and returns its status code.
fn wait_exit(srv: &mut TestServer) -> Option<i32> {
    assert!(wait_for(Duration::from_secs(20), || !srv.alive()));
    srv.child.wait().ok().and_then(|s| s.code())
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(log_path(dir)).unwrap_or_default()
}

fn wait_bgsave_done(r: &mut Raw) {
    assert!(wait_for(Duration::from_secs(30), || info_field(
        r,
        "persistence",
        "rdb_bgsave_in_progress"
    ) == "0"));
}

/// A dataset of strings in every encoding, expiries and several databases.
fn fill_dataset(r: &mut Raw) {
    let long = vec![b'a'; 5000];
    let random: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let values: Vec<(&[u8], &[u8])> = vec![
        (b"small-int", b"12"),
        (b"negative", b"-300"),
        (b"int32", b"2000000000"),
        (b"int64", b"9223372036854775807"),
        (b"not-int", b"007"),
        (b"embstr", b"hello world"),
        (b"empty", b""),
        (b"binary\x00key", b"\x00\xff\r\n"),
        (b"compressible", &long),
        (b"incompressible", &random),
    ];
    for (k, v) in values {
        assert_eq!(r.cmd_bytes(&[b"SET", k, v]), ok());
    }
    assert_eq!(r.cmd(&["SET", "with-ttl", "v", "PX", "500000"]), ok());
    assert_eq!(r.cmd(&["SET", "raw", "grown"]), ok());
    assert_eq!(r.cmd(&["APPEND", "raw", " by append"]), Frame::Int(15));
    for db in ["5", "15"] {
        assert_eq!(r.cmd(&["SELECT", db]), ok());
        assert_eq!(r.cmd(&["SET", "k", db]), ok());
        assert_eq!(r.cmd(&["SET", "t", "x", "EX", "1000"]), ok());
    }
    assert_eq!(r.cmd(&["SELECT", "0"]), ok());
}

// ------------------------------------------------------------- SAVE & load

#[test]
fn save_and_restart_keep_every_key_ttl_and_database() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    fill_dataset(&mut r);
    let before = digest(&mut r);
    let encoding = encoding(&mut r, "raw");
    assert_eq!(r.cmd(&["SAVE"]), ok());
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert!(srv.path("dump.rdb").exists());
    let srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(digest(&mut r), before);
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(12));
    let ttl = match r.cmd(&["PTTL", "with-ttl"]) {
        Frame::Int(n) => n,
        other => panic!("{:?}", other),
    };
    assert!(ttl > 400_000 && ttl <= 500_000, "ttl {}", ttl);
    assert_eq!(
        r.cmd(&["GET", "int64"]),
        Frame::bulk(b"9223372036854775807")
    );
    assert_eq!(
        r.cmd(&["GET", "binary\x00key"]),
        Frame::bulk(b"\x00\xff\r\n")
    );
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING", "small-int"]),
        Frame::bulk(b"int")
    );
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING", "embstr"]),
        Frame::bulk(b"embstr")
    );
    // Loaded strings are encoded as Redis encodes them on load.
    assert_eq!(encoding, "raw");
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING", "raw"]),
        Frame::bulk(b"embstr")
    );
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING", "compressible"]),
        Frame::bulk(b"raw")
    );
    assert_eq!(r.cmd(&["SELECT", "15"]), ok());
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk(b"15"));
    assert_eq!(r.cmd(&["SELECT", "1"]), ok());
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    let log = read_log(srv.dir.path());
    assert!(log.contains("Done loading RDB, keys loaded: 16, keys expired: 0."));
    assert!(log.contains("DB loaded from disk: "));
    let loaded = log.find("DB loaded from disk").unwrap_or(usize::MAX);
    let ready = log.rfind("Ready to accept connections").unwrap_or(0);
    assert!(loaded < ready, "loading must finish before Ready");
}

#[test]
fn an_empty_dataset_saves_and_loads() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(0));
    assert_eq!(digest(&mut r), "0".repeat(40));
}

#[test]
fn compression_and_checksum_can_be_disabled() {
    let srv = fresh(&["--rdbcompression", "no", "--rdbchecksum", "no"]);
    let mut r = srv.raw();
    let long = "b".repeat(1000);
    assert_eq!(r.cmd(&["SET", "long", &long]), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let file = std::fs::read(srv.path("dump.rdb")).expect("dump.rdb");
    assert_eq!(
        &file[file.len() - 8..],
        &[0u8; 8],
        "no checksum: zero trailer"
    );
    assert!(
        file.windows(1000).any(|w| w == long.as_bytes()),
        "stored uncompressed"
    );
    let srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["GET", "long"]), Frame::bulk(long.as_bytes()));
    assert!(read_log(srv.dir.path())
        .contains("RDB file was saved with checksum disabled: no check performed."));
}

#[test]
fn keys_expired_in_the_file_are_not_loaded() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), ok());
    assert_eq!(r.cmd(&["SET", "short", "v", "PX", "100"]), ok());
    assert_eq!(r.cmd(&["SET", "kept", "v"]), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    std::thread::sleep(Duration::from_millis(150));
    let srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_load_keys_expired"),
        "1"
    );
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_load_keys_loaded"),
        "1"
    );
}

#[test]
fn lru_idle_time_and_lfu_counter_survive_a_restart() {
    let srv = fresh(&["--maxmemory-policy", "allkeys-lru"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "k", "v"]), ok());
    let payload = match r.cmd(&["DUMP", "k"]) {
        Frame::Bulk(Some(b)) => b,
        other => panic!("{:?}", other),
    };
    let restore = [
        &b"RESTORE"[..],
        b"k",
        b"0",
        &payload,
        b"REPLACE",
        b"IDLETIME",
        b"1000",
    ];
    assert_eq!(r.cmd_bytes(&restore), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let srv = restart(srv, &["--maxmemory-policy", "allkeys-lru"]);
    let mut r = srv.raw();
    match r.cmd(&["OBJECT", "IDLETIME", "k"]) {
        Frame::Int(n) => assert!((1000..1010).contains(&n), "idle {}", n),
        other => panic!("{:?}", other),
    }
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]),
        ok()
    );
    let restore = [
        &b"RESTORE"[..],
        b"k",
        b"0",
        &payload,
        b"REPLACE",
        b"FREQ",
        b"100",
    ];
    assert_eq!(r.cmd_bytes(&restore), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let srv = restart(srv, &["--maxmemory-policy", "allkeys-lfu"]);
    assert_eq!(srv.raw().cmd(&["OBJECT", "FREQ", "k"]), Frame::Int(100));
}

#[test]
fn lastsave_and_info_follow_saves() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "a", "1"]), ok());
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    let before = r.cmd(&["LASTSAVE"]);
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let after = r.cmd(&["LASTSAVE"]);
    match (before, after) {
        (Frame::Int(b), Frame::Int(a)) => assert!(a >= b),
        other => panic!("{:?}", other),
    }
    assert_eq!(info_field(&mut r, "persistence", "rdb_saves"), "1");
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    assert_eq!(
        r.cmd(&["SAVE", "x"]),
        err("ERR wrong number of arguments for 'save' command")
    );
    assert_eq!(r.cmd(&["BGSAVE", "x"]), err("ERR syntax error"));
}

// ------------------------------------------------------------------ BGSAVE

#[test]
fn bgsave_keeps_serving_and_saves_the_moment_of_the_fork() {
    let srv = fresh(&["--rdb-key-save-delay", "50"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "20000"]), ok());
    assert_eq!(r.cmd(&["SET", "marker", "before"]), ok());
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_bgsave_in_progress"),
        "1"
    );
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        err("ERR Background save already in progress")
    );
    assert_eq!(
        r.cmd(&["SAVE"]),
        err("ERR Background save already in progress")
    );
    // The parent keeps answering while the child writes; changes made now
    // are not in the file.
    let mut longest = Duration::ZERO;
    let mut i = 0;
    while info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "1" {
        let started = Instant::now();
        assert_eq!(r.cmd(&["SET", &format!("after:{}", i), "x"]), ok());
        assert_eq!(r.cmd(&["SET", "marker", "after"]), ok());
        longest = longest.max(started.elapsed());
        i += 1;
    }
    eprintln!(
        "longest stall during BGSAVE: {:?} over {} writes",
        longest, i
    );
    assert!(i > 10, "the save finished too fast to observe");
    assert!(longest < Duration::from_millis(500), "stall {:?}", longest);
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    let changes: u64 = info_field(&mut r, "persistence", "rdb_changes_since_last_save")
        .parse()
        .unwrap_or(0);
    assert!(changes >= 2 * i as u64, "writes after the fork still count");
    let log = read_log(srv.dir.path());
    assert!(log.contains("Background saving started by pid "));
    assert!(log.contains("Background saving terminated with success"));
    let srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["GET", "marker"]), Frame::bulk(b"before"));
    assert_eq!(r.cmd(&["EXISTS", "after:0"]), Frame::Int(0));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(20001));
}

#[test]
fn save_points_start_background_saves() {
    let srv = fresh(&["--save", "1 2", "--hz", "50"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "a", "1"]), ok());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    assert_eq!(r.cmd(&["SET", "b", "2"]), ok());
    assert!(wait_for(Duration::from_secs(10), || info_field(
        &mut r,
        "persistence",
        "rdb_changes_since_last_save"
    ) == "0"));
    assert!(read_log(srv.dir.path()).contains("2 changes in 1 seconds. Saving..."));
    let srv = restart(srv, &[]);
    assert_eq!(srv.raw().cmd(&["GET", "b"]), Frame::bulk(b"2"));
}

#[test]
fn a_failed_bgsave_refuses_writes_until_a_save_succeeds() {
    let srv = fresh(&["--save", "3600 1"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "x", "1"]), ok());
    // A directory in the way makes the final rename fail.
    std::fs::create_dir(srv.path("dump.rdb")).expect("mkdir");
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    wait_bgsave_done(&mut r);
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "err"
    );
    let misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    assert_eq!(r.cmd(&["SET", "x", "2"]), err(misconf));
    assert_eq!(r.cmd(&["PING"]), err(misconf));
    assert_eq!(r.cmd(&["GET", "x"]), Frame::bulk(b"1"));
    assert_eq!(r.cmd(&["SAVE"]), err("ERR"));
    assert!(read_log(srv.dir.path()).contains("Background saving error"));
    std::fs::remove_dir(srv.path("dump.rdb")).expect("rmdir");
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    wait_bgsave_done(&mut r);
    assert_eq!(r.cmd(&["SET", "x", "3"]), ok());
    // Without save points the error does not block writes.
    assert_eq!(r.cmd(&["CONFIG", "SET", "save", ""]), ok());
    std::fs::remove_file(srv.path("dump.rdb")).expect("rm");
    std::fs::create_dir(srv.path("dump.rdb")).expect("mkdir");
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    wait_bgsave_done(&mut r);
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "err"
    );
    assert_eq!(r.cmd(&["SET", "x", "4"]), ok());
}

#[test]
fn flushall_stops_the_child_and_saves_the_empty_dataset() {
    let srv = fresh(&["--save", "3600 1000000", "--rdb-key-save-delay", "1000"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "2000"]), ok());
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    assert_eq!(r.cmd(&["FLUSHALL"]), ok());
    assert!(wait_for(Duration::from_secs(5), || info_field(
        &mut r,
        "persistence",
        "rdb_bgsave_in_progress"
    ) == "0"));
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert!(wait_for(Duration::from_secs(5), || std::fs::read_dir(
        srv.dir.path()
    )
    .map(|d| d
        .filter_map(Result::ok)
        .all(|e| !e.file_name().to_string_lossy().starts_with("temp-")))
    .unwrap_or(false)));
    let srv = restart(srv, &[]);
    assert_eq!(srv.raw().cmd(&["DBSIZE"]), Frame::Int(0));
}

// ---------------------------------------------------------------- shutdown

#[test]
fn shutdown_saves_with_save_points_and_not_with_nosave() {
    let mut srv = fresh(&["--save", "3600 1"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "a", "1"]), ok());
    r.send_cmd(&["SHUTDOWN"]);
    assert_eq!(wait_exit(&mut srv), Some(0));
    let log = read_log(srv.dir.path());
    assert!(log.contains("Saving the final RDB snapshot before exiting."));
    let mut srv = restart(srv, &["--save", "3600 1"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["GET", "a"]), Frame::bulk(b"1"));
    assert_eq!(r.cmd(&["SET", "a", "2"]), ok());
    r.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert_eq!(wait_exit(&mut srv), Some(0));
    // Without save points only SHUTDOWN SAVE saves.
    let mut srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["GET", "a"]), Frame::bulk(b"1"));
    assert_eq!(r.cmd(&["SET", "a", "3"]), ok());
    r.send_cmd(&["SHUTDOWN", "SAVE"]);
    assert_eq!(wait_exit(&mut srv), Some(0));
    let srv = restart(srv, &[]);
    assert_eq!(srv.raw().cmd(&["GET", "a"]), Frame::bulk(b"3"));
}

#[test]
fn sigterm_saves_and_a_failed_save_refuses_shutdown() {
    let mut srv = fresh(&["--save", "3600 1"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "a", "1"]), ok());
    std::fs::create_dir(srv.path("dump.rdb")).expect("mkdir");
    // SAFETY: signalling the test's own child process.
    unsafe { libc::kill(srv.child.id() as i32, libc::SIGTERM) };
    assert!(wait_for(Duration::from_secs(5), || read_log(
        srv.dir.path()
    )
    .contains("Error trying to save the DB, can't exit.")));
    assert!(srv.alive());
    assert_eq!(
        r.cmd(&["SHUTDOWN"]),
        err("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    std::fs::remove_dir(srv.path("dump.rdb")).expect("rmdir");
    // SAFETY: as above.
    unsafe { libc::kill(srv.child.id() as i32, libc::SIGTERM) };
    assert_eq!(wait_exit(&mut srv), Some(0));
    let srv = restart(srv, &[]);
    assert_eq!(srv.raw().cmd(&["GET", "a"]), Frame::bulk(b"1"));
}

// ------------------------------------------------------------ crash safety

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("temp-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn kill_9_during_bgsave_or_save_keeps_the_old_file() {
    let srv = fresh(&["--rdb-key-save-delay", "200"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "generation", "old"]), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let old_file = std::fs::read(srv.path("dump.rdb")).expect("dump.rdb");
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "5000"]), ok());
    assert_eq!(r.cmd(&["SET", "generation", "new"]), ok());

    // The child dies half way through its temp file.
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    assert!(wait_for(Duration::from_secs(5), || !temp_files(
        srv.dir.path()
    )
    .is_empty()));
    let temp = temp_files(srv.dir.path()).remove(0);
    let pid: i32 = temp
        .trim_start_matches("temp-")
        .trim_end_matches(".rdb")
        .parse()
        .expect("pid in the temp file name");
    // SAFETY: killing the server's save child (named by its temp file).
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_bgsave_done(&mut r);
    assert_eq!(
        info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
        "err"
    );
    assert_eq!(
        std::fs::read(srv.path("dump.rdb")).expect("dump.rdb"),
        old_file
    );
    assert!(temp_files(srv.dir.path()).is_empty(), "temp file removed");

    // The server itself dies during a synchronous SAVE.
    let mut saver = srv.raw();
    saver.send_cmd(&["SAVE"]);
    assert!(wait_for(Duration::from_secs(5), || !temp_files(
        srv.dir.path()
    )
    .is_empty()));
    // SAFETY: killing the test's own child process.
    unsafe { libc::kill(srv.child.id() as i32, libc::SIGKILL) };
    assert!(saver.is_closed());
    assert_eq!(
        std::fs::read(srv.path("dump.rdb")).expect("dump.rdb"),
        old_file
    );
    let srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["GET", "generation"]), Frame::bulk(b"old"));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
}

/// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
fn process_ended(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid)) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn a_save_child_stops_when_its_parent_is_killed() {
    // 300 keys at 20ms each: the child would run for 6s, too few keys
    // for it to report progress (and meet the closed pipe) on the way.
    let srv = fresh(&["--rdb-key-save-delay", "20000"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "generation", "old"]), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let old_file = std::fs::read(srv.path("dump.rdb")).expect("dump.rdb");
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "300"]), ok());
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    assert!(wait_for(Duration::from_secs(5), || !temp_files(
        srv.dir.path()
    )
    .is_empty()));
    let child_pid: i32 = temp_files(srv.dir.path())[0]
        .trim_start_matches("temp-")
        .trim_end_matches(".rdb")
        .parse()
        .expect("pid in the temp file name");
    // SAFETY: killing the test's own child process.
    unsafe { libc::kill(srv.child.id() as i32, libc::SIGKILL) };
    let ended = wait_for(Duration::from_secs(3), || process_ended(child_pid));
    if !ended {
        // SAFETY: cleaning up the orphan this test left behind.
        unsafe { libc::kill(child_pid, libc::SIGKILL) };
    }
    assert!(ended, "the save child outlived its parent");
    assert_eq!(
        std::fs::read(srv.path("dump.rdb")).expect("dump.rdb"),
        old_file
    );
}

// --------------------------------------------------------------- bad files

/// Runs the server on a directory holding `file` as dump.rdb; returns its
/// exit code and log.
fn start_with_file(file: &[u8]) -> (Option<i32>, String) {
    start_with_file_and(file, &[])
}

/// [`start_with_file`] with `extra` options.
fn start_with_file_and(file: &[u8], extra: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dump.rdb"), file).expect("write dump.rdb");
    let log = log_path(dir.path()).display().to_string();
    let port = common::free_port().to_string();
    let dir_text = dir.path().display().to_string();
    let mut args = vec!["--port", &port, "--dir", &dir_text, "--logfile", &log];
    args.extend_from_slice(extra);
    let outcome = start::run(&args, "");
    if outcome.code.is_none() {
        panic!("server did not exit");
    }
    (outcome.code, read_log(dir.path()))
}

/// A file that fails to load is checked again, and the check's report
/// (redis-check-rdb's) printed on the standard output before the server
/// exits, as Redis does: the aux fields and databases read, the error with
/// what was being read, and the keys counted.
#[test]
fn a_file_that_fails_to_load_gets_the_check_report_on_stdout() {
    let file = sample_file();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dump.rdb"), &file[..file.len() / 2]).expect("write dump.rdb");
    let port = common::free_port().to_string();
    let dir_text = dir.path().display().to_string();
    let outcome = start::run(&["--port", &port, "--dir", &dir_text], "");
    assert_eq!(outcome.code, Some(1));
    let out = &outcome.stdout;
    let report = out
        .find("[offset 0] Checking RDB file dump.rdb")
        .and_then(|at| out.get(at..))
        .unwrap_or_else(|| panic!("no check report in {out}"));
    assert!(report.contains("] AUX FIELD redis-ver = '"), "{}", report);
    assert!(report.contains("] Selecting DB ID 0\n"), "{}", report);
    common::assert_truncated_rdb_report(report);
    assert!(report.contains(" expires\n"), "{}", report);
    let terminating = out
        .find("Terminating server after rdb file reading failure.")
        .expect("the terminating line");
    assert!(
        out.find("--- RDB ERROR DETECTED ---") < Some(terminating),
        "{}",
        out
    );
}

/// A valid file with a few keys, made by reddish.
fn sample_file() -> Vec<u8> {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    fill_dataset(&mut r);
    assert_eq!(r.cmd(&["SAVE"]), ok());
    std::fs::read(srv.path("dump.rdb")).expect("dump.rdb")
}

#[test]
fn corrupt_or_truncated_files_stop_the_start_with_the_reason() {
    let file = sample_file();
    let mut bad_crc = file.clone();
    let n = bad_crc.len();
    bad_crc[n - 8..].copy_from_slice(b"foobar00");
    let (code, log) = start_with_file(&bad_crc);
    assert_eq!(code, Some(1));
    assert!(log.contains("Wrong RDB checksum expected"), "{}", log);
    assert!(log.contains("RDB CRC error"));
    assert!(log.contains("Terminating server after rdb file reading failure."));
    assert!(!log.contains("Ready to accept connections"));

    let (code, log) = start_with_file(&file[..file.len() / 2]);
    assert_eq!(code, Some(1));
    assert!(log.contains("Short read or OOM loading DB"), "{}", log);

    let (code, log) = start_with_file(b"NOTREDIS0010");
    assert_eq!(code, Some(1));
    assert!(log.contains("Wrong signature trying to load DB from file"));
    assert!(log.contains("Fatal error loading the DB: Invalid argument. Exiting."));

    let (code, log) = start_with_file(b"REDIS0099");
    assert_eq!(code, Some(1));
    assert!(log.contains("Can't handle RDB format version 99"));
}

#[test]
fn fuzzed_files_never_crash_the_loader() {
    let file = sample_file();
    let mut seed = 0x9E3779B97F4A7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..12 {
        let mut bad = file.clone();
        if round % 2 == 0 {
            let cut = (next() % bad.len() as u64) as usize;
            bad.truncate(cut);
        } else {
            let at = 9 + (next() % (bad.len() as u64 - 9)) as usize;
            bad[at] ^= 1 << (next() % 8);
        }
        let (code, log) = start_with_file(&bad);
        assert_eq!(code, Some(1), "round {}: {}", round, log);
        assert!(!log.contains("panicked"), "round {}: {}", round, log);
    }
}

#[test]
fn an_unreadable_file_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory named dump.rdb opens but cannot be read.
    std::fs::create_dir(dir.path().join("dump.rdb")).expect("mkdir");
    let log = log_path(dir.path()).display().to_string();
    let port = common::free_port().to_string();
    let dir_text = dir.path().display().to_string();
    let outcome = start::run(
        &["--port", &port, "--dir", &dir_text, "--logfile", &log],
        "",
    );
    assert_eq!(outcome.code, Some(1));
    assert!(read_log(dir.path()).contains("Short read or OOM loading DB"));
}

/// A server that saved `keys` keys of 1000 bytes, restarted with `save`
/// as its save points to load them slowly (a millisecond a key), returned
/// still loading. Both runs use the server under test (`REDDISH_TEST_SERVER` too).
fn restarted_loading_slowly(keys: &str, save: &str) -> TestServer {
    let srv = start::start_logged(tempfile::tempdir().expect("tempdir"), &[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", keys, "key", "1000"]), ok());
    assert_eq!(r.cmd(&["CONFIG", "SET", "rdbcompression", "no"]), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let mut srv = srv;
    let dir = std::mem::replace(&mut srv.dir, tempfile::tempdir().expect("tempdir"));
    drop(srv);
    let log = log_path(dir.path()).display().to_string();
    let loading = [
        "--save",
        save,
        "--logfile",
        &log,
        "--key-load-delay",
        "1000",
        "--loading-process-events-interval-bytes",
        "1024",
    ];
    common::spawn_in(&common::server_binary(), dir, &[], &loading, "")
}

#[test]
fn clients_get_loading_errors_while_a_file_loads() {
    let srv = restarted_loading_slowly("3000", "");
    let mut r = srv.raw();
    assert_eq!(
        r.cmd(&["GET", "key:1"]),
        err("LOADING Redis is loading the dataset in memory")
    );
    assert_eq!(info_field(&mut r, "persistence", "loading"), "1");
    let total: u64 = info_field(&mut r, "persistence", "loading_total_bytes")
        .parse()
        .unwrap_or(0);
    assert!(total > 3_000_000);
    assert!(wait_for(Duration::from_secs(30), || r.cmd(&["DBSIZE"])
        == Frame::Int(3000)));
    assert_eq!(info_field(&mut r, "persistence", "loading"), "0");
}

#[test]
fn configs_that_cannot_change_while_loading_are_refused() {
    let srv = restarted_loading_slowly("3000", "");
    let mut r = srv.raw();
    assert_eq!(info_field(&mut r, "persistence", "loading"), "1");
    assert_eq!(r.cmd(&["CONFIG", "SET", "loglevel", "debug"]), ok());
    let loading = err("LOADING Redis is loading the dataset in memory");
    assert_eq!(r.cmd(&["CONFIG", "SET", "appendonly", "yes"]), loading);
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "hz", "20", "repl-diskless-load", "swapdb"]),
        loading
    );
    // The refusal comes after the checks of the names before it.
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "daemonize", "no", "appendonly", "yes"]),
        err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config")
    );
    assert_eq!(common::config_get(&mut r, "hz"), "10");
    assert_eq!(info_field(&mut r, "persistence", "loading"), "1");
}

#[test]
fn shutdown_while_loading_exits_without_saving() {
    let mut srv = restarted_loading_slowly("2000", "3600 1");
    let saved = std::fs::read(srv.path("dump.rdb")).expect("dump.rdb");
    let mut r = srv.raw();
    assert_eq!(info_field(&mut r, "persistence", "loading"), "1");
    r.send_cmd(&["SHUTDOWN"]);
    assert_eq!(wait_exit(&mut srv), Some(0));
    assert_eq!(
        std::fs::read(srv.path("dump.rdb")).expect("dump.rdb"),
        saved
    );
    assert!(!read_log(srv.dir.path()).contains("Saving the final RDB snapshot"));
}

// ------------------------------------------------------------ DEBUG RELOAD

#[test]
fn debug_reload_saves_flushes_and_loads() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    fill_dataset(&mut r);
    let before = digest(&mut r);
    assert_eq!(r.cmd(&["DEBUG", "RELOAD"]), ok());
    assert_eq!(digest(&mut r), before);
    // NOSAVE reloads the file as it is: later changes are dropped.
    assert_eq!(r.cmd(&["SET", "later", "x"]), ok());
    assert_eq!(r.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), ok());
    assert_eq!(r.cmd(&["EXISTS", "later"]), Frame::Int(0));
    // NOFLUSH MERGE keeps keys not in the file.
    assert_eq!(r.cmd(&["SET", "later", "x"]), ok());
    assert_eq!(
        r.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]),
        ok()
    );
    assert_eq!(r.cmd(&["EXISTS", "later"]), Frame::Int(1));
    assert_eq!(
        r.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"]),
        err("ERR Error trying to load the RDB dump")
    );
    assert_eq!(
        r.cmd(&["DEBUG", "RELOAD", "BOGUS"]),
        err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    );
    // A bad file leaves the dataset alone.
    let keys = r.cmd(&["DBSIZE"]);
    std::fs::write(srv.path("dump.rdb"), b"REDIS0010garbage").expect("write");
    assert_eq!(
        r.cmd(&["DEBUG", "RELOAD", "NOSAVE"]),
        err("ERR Error trying to load the RDB dump")
    );
    assert_eq!(r.cmd(&["DBSIZE"]), keys);
    assert!(srv.raw().cmd(&["PING"]) == Frame::Simple("PONG".into()));
}

// ----------------------------------------------------------- DUMP/RESTORE

fn dump(r: &mut Raw, key: &str) -> Vec<u8> {
    match r.cmd(&["DUMP", key]) {
        Frame::Bulk(Some(b)) => b,
        other => panic!("DUMP {}: {:?}", key, other),
    }
}

#[test]
fn dump_and_restore_roundtrip_every_string_encoding() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    fill_dataset(&mut r);
    let keys = [
        "small-int",
        "negative",
        "int32",
        "int64",
        "not-int",
        "embstr",
        "empty",
        "compressible",
        "incompressible",
        "raw",
    ];
    for key in keys {
        let value = r.cmd(&["GET", key]);
        let payload = dump(&mut r, key);
        assert_eq!(r.cmd(&["DEL", key]), Frame::Int(1));
        assert_eq!(
            r.cmd_bytes(&[b"RESTORE", key.as_bytes(), b"0", &payload]),
            ok()
        );
        assert_eq!(r.cmd(&["GET", key]), value, "{}", key);
        assert_eq!(r.cmd(&["TTL", key]), Frame::Int(-1));
    }
    assert_eq!(r.cmd(&["DUMP", "missing"]), Frame::Bulk(None));
}

#[test]
fn restore_options_and_errors() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SET", "k", "value"]), ok());
    let payload = dump(&mut r, "k");
    let restore = |r: &mut Raw, extra: &[&[u8]]| {
        let mut args: Vec<&[u8]> = vec![b"RESTORE", b"k"];
        args.extend_from_slice(extra);
        r.cmd_bytes(&args)
    };
    assert_eq!(
        restore(&mut r, &[b"0", &payload]),
        err("BUSYKEY Target key name already exists.")
    );
    assert_eq!(
        restore(&mut r, &[b"0", &payload, b"REPLACE", b"BOGUS"]),
        err("ERR syntax error")
    );
    assert_eq!(
        restore(&mut r, &[b"-1", &payload, b"REPLACE"]),
        err("ERR Invalid TTL value, must be >= 0")
    );
    assert_eq!(
        restore(&mut r, &[b"x", &payload, b"REPLACE"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        restore(&mut r, &[b"0", &payload, b"REPLACE", b"IDLETIME", b"-1"]),
        err("ERR Invalid IDLETIME value, must be >= 0")
    );
    assert_eq!(
        restore(&mut r, &[b"0", &payload, b"REPLACE", b"FREQ", b"256"]),
        err("ERR Invalid FREQ value, must be >= 0 and <= 255")
    );
    assert_eq!(
        restore(
            &mut r,
            &[b"0", &payload, b"REPLACE", b"FREQ", b"1", b"IDLETIME", b"1"]
        ),
        err("ERR syntax error")
    );
    let mut bad_crc = payload.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 0xFF;
    assert_eq!(
        restore(&mut r, &[b"0", &bad_crc, b"REPLACE"]),
        err("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(
        restore(&mut r, &[b"0", b"short", b"REPLACE"]),
        err("ERR DUMP payload version or checksum are wrong")
    );
    // A valid footer around garbage.
    let mut garbage = vec![0xEEu8, 1, 2, 3];
    garbage.extend_from_slice(&payload[payload.len() - 10..payload.len() - 8]);
    let crc = crc64::crc64(0, &garbage);
    garbage.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(
        restore(&mut r, &[b"0", &garbage, b"REPLACE"]),
        err("ERR Bad data format")
    );
    assert_eq!(
        r.cmd(&["GET", "k"]),
        Frame::bulk(b"value"),
        "untouched by failures"
    );

    assert_eq!(restore(&mut r, &[b"5000", &payload, b"REPLACE"]), ok());
    match r.cmd(&["PTTL", "k"]) {
        Frame::Int(n) => assert!(n > 4000 && n <= 5000),
        other => panic!("{:?}", other),
    }
    let past = (now_ms() - 1000).to_string();
    assert_eq!(
        restore(&mut r, &[past.as_bytes(), &payload, b"REPLACE", b"ABSTTL"]),
        ok()
    );
    assert_eq!(
        r.cmd(&["EXISTS", "k"]),
        Frame::Int(0),
        "restored already expired"
    );
    assert_eq!(
        restore(&mut r, &[b"0", &payload, b"IDLETIME", b"1000"]),
        ok()
    );
    match r.cmd(&["OBJECT", "IDLETIME", "k"]) {
        Frame::Int(n) => assert!((1000..1010).contains(&n)),
        other => panic!("{:?}", other),
    }
}

#[test]
fn fuzzed_payloads_are_refused_without_changing_anything() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let long = "xyz".repeat(300);
    assert_eq!(r.cmd(&["SET", "src", &long]), ok());
    let payload = dump(&mut r, "src");
    let body_len = payload.len() - 10;
    let mut seed = 12345u64;
    for i in 0..300 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut body = payload[..body_len].to_vec();
        if i % 3 == 0 {
            body.truncate((seed >> 33) as usize % body_len);
        } else {
            let at = (seed >> 33) as usize % body_len;
            body[at] ^= 1 << ((seed >> 20) % 8);
        }
        body.extend_from_slice(&payload[body_len..body_len + 2]);
        let crc = crc64::crc64(0, &body);
        body.extend_from_slice(&crc.to_le_bytes());
        let reply = r.cmd_bytes(&[b"RESTORE", b"dst", b"0", &body, b"REPLACE"]);
        match reply {
            Frame::Simple(_) => {
                assert_eq!(r.cmd(&["DEL", "dst"]), Frame::Int(1));
            }
            Frame::Error(e) => assert_eq!(e, "ERR Bad data format"),
            other => panic!("{:?}", other),
        }
    }
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));
}

/// A DUMP payload (type 19) of a stream whose only entry, 5-0, was read by
/// group `g` and then deleted: the group's PEL still holds 5-0, but its
/// only consumer `c` owns nothing.
fn stream_with_ownerless_pending_entry() -> Vec<u8> {
    // No nodes, length 0, last ID 5-0, first ID 0-0, max deleted 5-0,
    // one entry added.
    let mut p = vec![19u8, 0, 0, 5, 0, 0, 0, 5, 0, 1];
    // One group "g": last ID 5-0, one entry read, one PEL entry.
    p.extend_from_slice(&[1, 1, b'g', 5, 0, 1, 1]);
    p.extend_from_slice(&5u64.to_be_bytes());
    p.extend_from_slice(&0u64.to_be_bytes());
    p.extend_from_slice(&1000i64.to_le_bytes());
    p.push(1);
    // One consumer "c", seen at 1000, owning no entry.
    p.extend_from_slice(&[1, 1, b'c']);
    p.extend_from_slice(&1000i64.to_le_bytes());
    p.push(0);
    p.extend_from_slice(&[10, 0]);
    let crc = crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn ownerless_pending_summary() -> Frame {
    Frame::Array(Some(vec![
        Frame::Int(1),
        Frame::bulk(b"5-0"),
        Frame::bulk(b"5-0"),
        Frame::Array(Some(vec![])),
    ]))
}

#[test]
fn restore_refuses_pending_entries_without_consumer_when_sanitizing() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let payload = stream_with_ownerless_pending_entry();
    for mode in ["yes", "clients"] {
        assert_eq!(
            r.cmd(&["CONFIG", "SET", "sanitize-dump-payload", mode]),
            ok()
        );
        assert_eq!(
            r.cmd_bytes(&[b"RESTORE", b"s", b"0", &payload]),
            err("ERR Bad data format"),
            "sanitize-dump-payload {}",
            mode
        );
        assert_eq!(r.cmd(&["EXISTS", "s"]), Frame::Int(0));
    }
    // Without deep sanitization the entry is taken, owned by nobody.
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "sanitize-dump-payload", "no"]),
        ok()
    );
    assert_eq!(r.cmd_bytes(&[b"RESTORE", b"s", b"0", &payload]), ok());
    assert_eq!(r.cmd(&["XPENDING", "s", "g"]), ownerless_pending_summary());
    assert_eq!(r.cmd(&["XLEN", "s"]), Frame::Int(0));
}

/// A hash listpack that repeats a field is refused, with or without deep
/// sanitization, and the blob is logged in hex as Redis logs it
/// ("listpack with dup elements"). Payload from Redis's corrupt-dump suite.
#[test]
fn restore_of_a_hash_listpack_with_a_repeated_field_logs_its_hex_dump() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    let payload: &[u8] = b"\x10\x17\x17\x00\x00\x00\x04\x00\x82\x61\x00\x03\x82\x62\x00\x03\x82\x61\x00\x03\x82\x64\x00\x03\xff\x0a\x00\xc0\xcf\xa6\x87\xe5\xa7\xc5\xbe";
    assert_eq!(r.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]), ok());
    for sanitize in ["no", "yes"] {
        assert_eq!(
            r.cmd(&["CONFIG", "SET", "sanitize-dump-payload", sanitize]),
            ok()
        );
        assert_eq!(
            r.cmd_bytes(&[b"RESTORE", b"h", b"0", payload]),
            err("ERR Bad data format")
        );
    }
    assert_eq!(r.cmd(&["EXISTS", "h"]), Frame::Int(0));
    let dump = "listpack with dup elements (hexdump of 23 bytes):\n\
                17000000040082610003826200038261000382640003ff";
    assert!(wait_for(Duration::from_secs(5), || read_log(
        srv.dir.path()
    )
    .matches(dump)
    .count()
        == 2));
}

/// A payload whose checksum is wrong is refused until DEBUG
/// SET-SKIP-CHECKSUM-VALIDATION 1; a payload that fails an integrity
/// check is refused either way, with its reason in the verbose log.
#[test]
fn restore_checksum_skipping_and_integrity_log() {
    let srv = fresh(&["--loglevel", "verbose"]);
    let mut r = srv.raw();
    r.cmd(&["RPUSH", "list", "a", "b", "c"]);
    let Frame::Bulk(Some(mut payload)) = r.cmd(&["DUMP", "list"]) else {
        panic!("DUMP gave no payload");
    };
    let last = payload.len() - 1;
    payload[last] ^= 0xff;
    let wrong_checksum = err("ERR DUMP payload version or checksum are wrong");
    assert_eq!(
        r.cmd_bytes(&[b"RESTORE", b"copy", b"0", &payload]),
        wrong_checksum
    );
    assert_eq!(r.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]), ok());
    assert_eq!(r.cmd_bytes(&[b"RESTORE", b"copy", b"0", &payload]), ok());
    assert_eq!(
        r.cmd(&["LRANGE", "copy", "0", "-1"]),
        common::bulks(&["a", "b", "c"])
    );

    // An intset whose header claims more members than it holds.
    let bad_intset: &[u8] =
        b"\x0b\x0c\x02\x00\x00\x00\x09\x00\x00\x00\x01\x00\x02\x00\x0a\x00\0\0\0\0\0\0\0\0";
    assert_eq!(
        r.cmd_bytes(&[b"RESTORE", b"set", b"0", bad_intset]),
        err("ERR Bad data format")
    );
    assert_eq!(r.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"]), ok());
    assert_eq!(
        r.cmd_bytes(&[b"RESTORE", b"again", b"0", &payload]),
        wrong_checksum
    );
    assert!(wait_for(Duration::from_secs(5), || read_log(
        srv.dir.path()
    )
    .contains("Intset integrity check failed")));
}

#[test]
fn skip_sanitize_payload_users_restore_unchecked_under_clients() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let payload = stream_with_ownerless_pending_entry();
    let setup = [
        &["CONFIG", "SET", "sanitize-dump-payload", "clients"][..],
        &[
            "ACL",
            "SETUSER",
            "trusted",
            "on",
            "nopass",
            "+@all",
            "~*",
            "skip-sanitize-payload",
        ],
        &["AUTH", "trusted", "x"],
    ];
    for line in setup {
        assert_eq!(r.cmd(line), ok(), "{:?}", line);
    }
    assert_eq!(r.cmd_bytes(&[b"RESTORE", b"s", b"0", &payload]), ok());
    assert_eq!(r.cmd(&["XPENDING", "s", "g"]), ownerless_pending_summary());
}

#[test]
fn loading_pending_entries_without_consumer_follows_sanitize_dump_payload() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    let payload = stream_with_ownerless_pending_entry();
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "sanitize-dump-payload", "no"]),
        ok()
    );
    assert_eq!(r.cmd_bytes(&[b"RESTORE", b"s", b"0", &payload]), ok());
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let file = std::fs::read(srv.path("dump.rdb")).expect("dump.rdb");
    drop(srv);

    let (code, log) = start_with_file_and(&file, &["--sanitize-dump-payload", "yes"]);
    assert_eq!(code, Some(1), "{}", log);
    assert!(
        log.contains("Stream CG PEL entry without consumer"),
        "{}",
        log
    );
    assert!(log.contains("Terminating server after rdb file reading failure."));

    // Loading a file is never deep-sanitized under `clients`.
    for mode in ["no", "clients"] {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("dump.rdb"), &file).expect("write dump.rdb");
        let srv = start_in(dir, &["--sanitize-dump-payload", mode]);
        let mut r = srv.raw();
        assert_eq!(r.cmd(&["XPENDING", "s", "g"]), ownerless_pending_summary());
    }
}

/// An RDB file whose expiry and access counter records are separated from
/// their keys by other records (aux field, SELECTDB, RESIZEDB), which Redis
/// carries over to the next key.
fn file_with_key_records_apart() -> Vec<u8> {
    let mut f = b"REDIS0010".to_vec();
    let string = |f: &mut Vec<u8>, s: &[u8]| {
        f.push(s.len() as u8);
        f.extend_from_slice(s);
    };
    // EXPIRETIME_MS, then an aux field and SELECTDB 0 before key "k".
    f.push(0xFC);
    f.extend_from_slice(&4_102_444_800_000i64.to_le_bytes());
    f.push(0xFA);
    string(&mut f, b"fuzz");
    string(&mut f, b"aux");
    f.extend_from_slice(&[0xFE, 0]);
    f.push(0);
    string(&mut f, b"k");
    string(&mut f, b"v");
    // A key with no records before it.
    f.push(0);
    string(&mut f, b"plain");
    string(&mut f, b"v");
    // FREQ 77, then RESIZEDB, then key "counted".
    f.extend_from_slice(&[0xF9, 77, 0xFB, 3, 1]);
    f.push(0);
    string(&mut f, b"counted");
    string(&mut f, b"v");
    f.push(0xFF);
    let crc = crc64::crc64(0, &f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

#[test]
fn expiry_and_frequency_records_hold_until_the_next_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dump.rdb"), file_with_key_records_apart()).expect("write");
    let srv = start_in(dir, &["--maxmemory-policy", "allkeys-lfu"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(3));
    assert_eq!(r.cmd(&["PEXPIRETIME", "k"]), Frame::Int(4_102_444_800_000));
    assert_eq!(r.cmd(&["PTTL", "plain"]), Frame::Int(-1));
    assert_eq!(r.cmd(&["PTTL", "counted"]), Frame::Int(-1));
    assert_eq!(r.cmd(&["OBJECT", "FREQ", "counted"]), Frame::Int(77));
}

// ----------------------------------------------------------------- MIGRATE

/// MIGRATE to 127.0.0.1:`port` with the arguments after the port.
fn migrate(r: &mut Raw, port: u16, rest: &[&str]) -> Frame {
    let port = port.to_string();
    let mut args = vec!["MIGRATE", "127.0.0.1", &port];
    args.extend_from_slice(rest);
    r.cmd(&args)
}

const BUSYKEY_FROM_TARGET: &str =
    "ERR Target instance replied with error: BUSYKEY Target key name already exists.";

#[test]
fn migrate_moves_copies_and_replaces_keys() {
    let source = TestServer::start();
    let target = TestServer::start();
    let (mut a, mut b) = (source.raw(), target.raw());
    let port = target.port;
    assert_eq!(a.cmd(&["SET", "k", "v", "EX", "100"]), ok());
    assert_eq!(migrate(&mut a, port, &["k", "3", "5000"]), ok());
    assert_eq!(a.cmd(&["EXISTS", "k"]), Frame::Int(0));
    assert_eq!(b.cmd(&["SELECT", "3"]), ok());
    assert_eq!(b.cmd(&["GET", "k"]), Frame::bulk(b"v"));
    let ttl = int_of(b.cmd(&["TTL", "k"]));
    assert!((95..=100).contains(&ttl), "ttl {}", ttl);
    assert_eq!(info_field(&mut a, "stats", "migrate_cached_sockets"), "1");

    assert_eq!(a.cmd(&["SET", "k", "new"]), ok());
    assert_eq!(
        migrate(&mut a, port, &["k", "3", "5000", "COPY"]),
        err(BUSYKEY_FROM_TARGET)
    );
    assert_eq!(
        migrate(&mut a, port, &["k", "3", "5000", "COPY", "REPLACE"]),
        ok()
    );
    assert_eq!(a.cmd(&["GET", "k"]), Frame::bulk(b"new"));
    assert_eq!(b.cmd(&["GET", "k"]), Frame::bulk(b"new"));
    assert_eq!(b.cmd(&["TTL", "k"]), Frame::Int(-1));
}

#[test]
fn migrate_keys_form_and_errors() {
    let source = TestServer::start();
    let target = TestServer::start();
    let (mut a, mut b) = (source.raw(), target.raw());
    let port = target.port;
    assert_eq!(a.cmd(&["MSET", "a", "1", "b", "2", "c", "3"]), ok());
    assert_eq!(b.cmd(&["SET", "c", "busy"]), ok());
    let nothing = ["", "0", "5000", "KEYS", "x", "y"];
    assert_eq!(
        migrate(&mut a, port, &nothing),
        Frame::Simple("NOKEY".into())
    );
    assert_eq!(
        migrate(&mut a, port, &["a", "0", "5000", "KEYS", "b"]),
        err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
    );
    assert_eq!(
        migrate(&mut a, port, &["a", "0", "5000", "BOGUS"]),
        err("ERR syntax error")
    );
    assert_eq!(
        migrate(&mut a, port, &["a", "x", "5000"]),
        err("ERR value is not an integer or out of range")
    );
    // Keys the target accepted are deleted here even when another failed.
    let some_busy = ["", "0", "5000", "KEYS", "a", "missing", "c", "b"];
    assert_eq!(migrate(&mut a, port, &some_busy), err(BUSYKEY_FROM_TARGET));
    assert_eq!(a.cmd(&["DBSIZE"]), Frame::Int(1));
    assert_eq!(a.cmd(&["GET", "c"]), Frame::bulk(b"3"));
    let values = vec![Frame::bulk(b"1"), Frame::bulk(b"2"), Frame::bulk(b"busy")];
    assert_eq!(b.cmd(&["MGET", "a", "b", "c"]), Frame::Array(Some(values)));
    assert_eq!(
        migrate(&mut a, common::free_port(), &["c", "0", "1000"]),
        err("IOERR error or timeout connecting to the client")
    );
}

#[test]
fn migrate_authenticates_with_the_target() {
    let source = TestServer::start();
    let target = TestServer::start_with(&["--requirepass", "secret"]);
    let mut a = source.raw();
    let port = target.port;
    assert_eq!(a.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(
        migrate(&mut a, port, &["k", "0", "5000", "COPY"]),
        err("ERR Target instance replied with error: NOAUTH Authentication required.")
    );
    assert_eq!(
        migrate(&mut a, port, &["k", "0", "5000", "AUTH", "wrong"]),
        err("ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(a.cmd(&["EXISTS", "k"]), Frame::Int(1));
    let auth2 = ["k", "0", "5000", "AUTH2", "default", "secret"];
    assert_eq!(migrate(&mut a, port, &auth2), ok());
    let mut b = target.raw();
    assert_eq!(b.cmd(&["AUTH", "secret"]), ok());
    assert_eq!(b.cmd(&["GET", "k"]), Frame::bulk(b"v"));
}

// ------------------------------------------------------ streams and zsets

fn fill_streams(r: &mut Raw) {
    run_all(r, &stream_data::commands());
    run_all(r, &stream_data::group_commands());
}

/// XINFO STREAM FULL of both streams and the digest.
fn stream_state(r: &mut Raw) -> (Frame, Frame, String) {
    (
        r.cmd(&["XINFO", "STREAM", "s", "FULL"]),
        r.cmd(&["XINFO", "STREAM", "e", "FULL"]),
        digest(r),
    )
}

#[test]
fn streams_survive_reload_restore_and_restart_unchanged() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    fill_streams(&mut r);
    let before = stream_state(&mut r);
    assert_eq!(r.cmd(&["DEBUG", "RELOAD"]), ok());
    assert_eq!(stream_state(&mut r), before, "after DEBUG RELOAD");
    for key in ["s", "e"] {
        let payload = dump(&mut r, key);
        assert_eq!(r.cmd(&["DEL", key]), Frame::Int(1));
        let restore = [b"RESTORE", key.as_bytes(), b"0", &payload];
        assert_eq!(r.cmd_bytes(&restore), ok());
        assert_eq!(dump(&mut r, key), payload, "DUMP after RESTORE");
    }
    assert_eq!(stream_state(&mut r), before, "after RESTORE");
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let srv = restart(srv, &[]);
    let mut r = srv.raw();
    assert_eq!(stream_state(&mut r), before, "after a restart");
}

#[test]
fn loaded_streams_keep_working() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    fill_streams(&mut r);
    assert_eq!(r.cmd(&["DEBUG", "RELOAD"]), ok());
    // Pending entries are shared by the group and their consumer.
    assert_eq!(r.cmd(&["XACK", "s", "g", "11-1", "30-1"]), Frame::Int(2));
    let consumers = r.cmd(&["XINFO", "CONSUMERS", "s", "g"]);
    let pending: Vec<i64> = match consumers {
        Frame::Array(Some(list)) => list
            .iter()
            .map(|c| match c {
                Frame::Array(Some(fields)) => match fields.get(3) {
                    Some(Frame::Int(n)) => *n,
                    other => panic!("{:?}", other),
                },
                other => panic!("{:?}", other),
            })
            .collect(),
        other => panic!("{:?}", other),
    };
    assert_eq!(pending, vec![2, 2, 0], "alice, bob, carol");
    match r.cmd(&["XPENDING", "s", "g"]) {
        Frame::Array(Some(v)) => assert_eq!(v.first(), Some(&Frame::Int(4))),
        other => panic!("{:?}", other),
    }
    // New entries go after the loaded last ID, into the loaded tail node.
    assert!(matches!(
        r.cmd(&["XADD", "s", "*", "k", "v"]),
        Frame::Bulk(Some(_))
    ));
    assert_eq!(r.cmd(&["XLEN", "s"]), Frame::Int(241));
    assert_eq!(
        r.cmd(&["XADD", "s", "300-0", "k", "v"]),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(
        r.cmd(&["XADD", "e", "5-5", "k", "v"]),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
}

#[test]
fn sorted_sets_reload_in_the_encoding_their_size_calls_for() {
    let srv = fresh(&[]);
    let mut r = srv.raw();
    let words = |line: String| line.split(' ').map(str::to_string).collect::<Vec<_>>();
    let mut commands: Vec<Vec<String>> = (0..10)
        .map(|i| words(format!("ZADD small {}.5 m{}", i, i)))
        .collect();
    commands.extend((0..200).map(|i| words(format!("ZADD big {} m{}", i, i))));
    commands.push(words(format!("ZADD wide 1 {} 2 x", "w".repeat(65))));
    commands.push(words("ZADD inf -inf a inf b 0 c".to_string()));
    run_all(&mut r, &commands);
    let expected = [
        ("small", "listpack"),
        ("big", "skiplist"),
        ("wide", "skiplist"),
        ("inf", "listpack"),
    ];
    let encodings = |r: &mut Raw| -> Vec<String> {
        expected
            .iter()
            .map(|(k, _)| r.cmd(&["OBJECT", "ENCODING", k]).as_text())
            .collect()
    };
    let want: Vec<String> = expected.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(encodings(&mut r), want);
    let before = digest(&mut r);
    let ranges: Vec<Frame> = expected
        .iter()
        .map(|(k, _)| r.cmd(&["ZRANGE", k, "0", "-1", "WITHSCORES"]))
        .collect();
    assert_eq!(r.cmd(&["DEBUG", "RELOAD"]), ok());
    assert_eq!(digest(&mut r), before);
    assert_eq!(encodings(&mut r), want);
    for (k, _) in expected {
        let payload = dump(&mut r, k);
        let restore = [b"RESTORE", k.as_bytes(), b"0", &payload, b"REPLACE"];
        assert_eq!(r.cmd_bytes(&restore), ok());
    }
    assert_eq!(encodings(&mut r), want);
    let after: Vec<Frame> = expected
        .iter()
        .map(|(k, _)| r.cmd(&["ZRANGE", k, "0", "-1", "WITHSCORES"]))
        .collect();
    assert_eq!(after, ranges);
    // A smaller threshold at load time converts the loaded set.
    assert_eq!(r.cmd(&["SAVE"]), ok());
    let srv = restart(srv, &["--zset-max-listpack-entries", "5"]);
    let mut r = srv.raw();
    assert_eq!(
        r.cmd(&["OBJECT", "ENCODING", "small"]).as_text(),
        "skiplist"
    );
    assert_eq!(digest(&mut r), before);
}
