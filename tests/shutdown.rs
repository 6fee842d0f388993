//! SHUTDOWN and SIGTERM on a primary with replicas: without NOW the
//! primary pauses writes and waits (up to `shutdown-timeout`) for its
//! replicas to acknowledge the whole stream, logs those still behind, and
//! SHUTDOWN ABORT cancels the wait.

mod common;

use common::{
    bulk_text, err, info, info_field, info_value, link_up, ok, server_binary, spawn_in, wait_for,
    Frame, Raw, TestServer,
};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(20);

/// A primary logging to `server.log` and one replica linked to it.
fn primary_and_replica(primary_extra: &[&str]) -> (TestServer, TestServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("server.log").display().to_string();
    let mut args = vec!["--save", "", "--logfile", &log, "--hz", "100"];
    args.extend_from_slice(primary_extra);
    let primary = spawn_in(&server_binary(), dir, &[], &args, "");
    let port = primary.port.to_string();
    let replica = TestServer::start_with(&["--replicaof", "127.0.0.1", &port]);
    assert!(wait_for(PATIENCE, || link_up(&mut replica.raw())));
    (primary, replica)
}

fn signal(srv: &TestServer, sig: i32) {
    // SAFETY: kill() with a child's pid and a valid signal number.
    unsafe { libc::kill(srv.child.id() as i32, sig) };
}

/// Writes `k`, waits until the replica has it, stops the replica and
/// writes again, so the primary has a write the replica never acked.
fn leave_replica_behind(p: &mut Raw, replica: &TestServer) {
    assert_eq!(p.cmd(&["SET", "k", "1"]), ok());
    let mut r = replica.raw();
    assert!(wait_for(PATIENCE, || r.cmd(&["GET", "k"]) == Frame::bulk(b"1")));
    signal(replica, libc::SIGSTOP);
    assert_eq!(p.cmd(&["INCR", "k"]), Frame::Int(2));
}

fn shutdown_waiting(p: &mut Raw) -> bool {
    info_value(&info(p, &["server"]), "shutdown_in_milliseconds")
        .and_then(|ms| ms.parse::<i64>().ok())
        .is_some_and(|ms| ms > 0)
}

fn log_text(srv: &TestServer) -> String {
    std::fs::read_to_string(srv.path("server.log")).unwrap_or_default()
}

fn wait_exit(srv: &mut TestServer) {
    assert!(wait_for(PATIENCE, || !srv.alive()), "still running");
}

#[test]
fn shutdown_waits_for_a_lagging_replica_to_catch_up() {
    let (mut primary, replica) = primary_and_replica(&["--shutdown-timeout", "300"]);
    let mut p = primary.raw();
    leave_replica_behind(&mut p, &replica);
    let mut asking = primary.raw();
    asking.send_cmd(&["SHUTDOWN"]);
    assert!(wait_for(PATIENCE, || shutdown_waiting(&mut p)));
    // Reads go on while writes wait.
    assert_eq!(p.cmd(&["GET", "k"]), Frame::bulk(b"2"));
    let memory_field =
        |p: &mut Raw, name| -> u64 { info_field(p, "memory", name).parse().expect("number") };
    let backlog = memory_field(&mut p, "mem_replication_backlog");
    assert!(backlog > 0);
    assert!(memory_field(&mut p, "mem_total_replication_buffers") > 0);
    signal(&replica, libc::SIGCONT);
    wait_exit(&mut primary);
    assert_eq!(replica.raw().cmd(&["GET", "k"]), Frame::bulk(b"2"));
    let log = log_text(&primary);
    assert!(
        log.contains("Waiting for replicas before shutting down."),
        "{log}"
    );
    assert!(
        log.contains("1 of 1 replicas are in sync when shutting down."),
        "{log}"
    );
    assert!(!log.contains("Lagging replica"), "{log}");
}

#[test]
fn sigterm_goes_ahead_after_the_timeout_and_names_the_lagging_replica() {
    let (mut primary, replica) = primary_and_replica(&["--shutdown-timeout", "1"]);
    let mut p = primary.raw();
    leave_replica_behind(&mut p, &replica);
    signal(&primary, libc::SIGTERM);
    assert!(wait_for(PATIENCE, || shutdown_waiting(&mut p)));
    wait_exit(&mut primary);
    signal(&replica, libc::SIGCONT);
    let log = log_text(&primary);
    assert!(log.contains("Lagging replica 127.0.0.1:"), "{log}");
    assert!(log.contains("state=online."), "{log}");
    assert!(
        log.contains("0 of 1 replicas are in sync when shutting down."),
        "{log}"
    );
}

#[test]
fn shutdown_abort_cancels_the_wait_and_writes_resume() {
    let (primary, replica) = primary_and_replica(&["--shutdown-timeout", "300"]);
    let mut p = primary.raw();
    leave_replica_behind(&mut p, &replica);
    let mut asking = primary.raw();
    asking.send_cmd(&["SHUTDOWN"]);
    assert!(wait_for(PATIENCE, || shutdown_waiting(&mut p)));
    let mut writer = primary.raw();
    writer.send_cmd(&["SET", "held", "1"]);
    assert_eq!(p.cmd(&["SHUTDOWN", "ABORT"]), ok());
    assert_eq!(
        asking.read(),
        err("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    assert_eq!(writer.read(), ok());
    assert_eq!(info_field(&mut p, "server", "shutdown_in_milliseconds"), "");
    assert_eq!(
        p.cmd(&["SHUTDOWN", "ABORT"]),
        err("ERR No shutdown in progress.")
    );
    signal(&replica, libc::SIGCONT);
    assert!(bulk_text(&p.cmd(&["INFO", "server"])).contains("redis_version"));
}

#[test]
fn shutdown_now_does_not_wait() {
    let (mut primary, replica) = primary_and_replica(&["--shutdown-timeout", "300"]);
    let mut p = primary.raw();
    leave_replica_behind(&mut p, &replica);
    p.send_cmd(&["SHUTDOWN", "NOW"]);
    wait_exit(&mut primary);
    signal(&replica, libc::SIGCONT);
    assert!(log_text(&primary).contains("0 of 1 replicas are in sync when shutting down."));
}
