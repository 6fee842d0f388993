//! Crash reports: fatal signals, DEBUG SEGFAULT / PANIC / ASSERT and the
//! watchdog log Redis's bug report lines, and the process ends as Redis's
//! does (by the signal, or exit code 1 under `use-exit-on-panic`).

mod common;

use common::{ok, server_binary, spawn_in, wait_for, TestServer};
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

/// A server logging to `server.log` in its directory.
fn start_logging(extra: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("server.log").display().to_string();
    let mut args = vec![
        "--save",
        "",
        "--enable-debug-command",
        "yes",
        "--logfile",
        &log,
    ];
    args.extend_from_slice(extra);
    spawn_in(&server_binary(), dir, &[], &args, "")
}

fn log_text(srv: &TestServer) -> String {
    std::fs::read_to_string(srv.path("server.log")).unwrap_or_default()
}

/// Waits for the process to end and returns (exit code, signal).
fn wait_end(srv: &mut TestServer) -> (Option<i32>, Option<i32>) {
    assert!(wait_for(Duration::from_secs(10), || !srv.alive()));
    let status = srv.child.wait().expect("wait");
    (status.code(), status.signal())
}

#[test]
fn debug_segfault_logs_a_report_and_dies_of_sigsegv() {
    let mut srv = start_logging(&[]);
    let mut r = srv.raw();
    r.send_cmd(&["DEBUG", "SEGFAULT"]);
    assert_eq!(wait_end(&mut srv), (None, Some(libc_signal::SEGV)));
    let log = log_text(&srv);
    assert!(
        log.contains("=== REDIS BUG REPORT START: Cut & paste starting from here ==="),
        "{log}"
    );
    assert!(log.contains("crashed by signal: 11"), "{log}");
    assert!(log.contains("------ STACK TRACE ------"), "{log}");
    assert!(log.contains("=== REDIS BUG REPORT END."), "{log}");
}

#[test]
fn a_killing_signal_is_reported_with_its_sender() {
    let mut srv = start_logging(&[]);
    let pid = srv.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-ABRT", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert_eq!(wait_end(&mut srv), (None, Some(libc_signal::ABRT)));
    let log = log_text(&srv);
    assert!(log.contains("crashed by signal: 6, si_code: 0"), "{log}");
    assert!(log.contains("Killed by PID: "), "{log}");
    assert!(log.contains("------ STACK TRACE ------"), "{log}");
}

#[test]
fn debug_panic_and_assert_report_then_exit() {
    let mut srv = start_logging(&["--use-exit-on-panic", "yes"]);
    srv.raw().send_cmd(&["DEBUG", "PANIC"]);
    assert_eq!(wait_end(&mut srv), (Some(1), None));
    let log = log_text(&srv);
    assert!(
        log.contains("Guru Meditation: DEBUG PANIC called at Unix time "),
        "{log}"
    );
    assert!(log.contains("------ STACK TRACE ------"), "{log}");

    let mut srv = start_logging(&[]);
    srv.raw().send_cmd(&["DEBUG", "ASSERT"]);
    assert_eq!(wait_end(&mut srv), (None, Some(libc_signal::ABRT)));
    let log = log_text(&srv);
    assert!(log.contains("=== ASSERTION FAILED ==="), "{log}");
    assert!(log.contains("'1 == 2' is not true"), "{log}");
}

#[test]
fn crash_log_disabled_dies_without_a_report() {
    let mut srv = start_logging(&["--crash-log-enabled", "no"]);
    srv.raw().send_cmd(&["DEBUG", "SEGFAULT"]);
    assert_eq!(wait_end(&mut srv), (None, Some(libc_signal::SEGV)));
    assert!(!log_text(&srv).contains("BUG REPORT"));
}

#[test]
fn the_watchdog_logs_a_stuck_loop() {
    let srv = start_logging(&[]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["CONFIG", "SET", "watchdog-period", "200"]), ok());
    assert_eq!(r.cmd(&["DEBUG", "SLEEP", "1"]), ok());
    let log = log_text(&srv);
    assert!(log.contains("--- WATCHDOG TIMER EXPIRED ---"), "{log}");
    assert!(log.contains("------ STACK TRACE ------"), "{log}");
    // Off again: a long sleep logs nothing more.
    assert_eq!(r.cmd(&["CONFIG", "SET", "watchdog-period", "0"]), ok());
    let reports = log_text(&srv).matches("WATCHDOG TIMER EXPIRED").count();
    assert_eq!(r.cmd(&["DEBUG", "SLEEP", "0.5"]), ok());
    assert_eq!(
        log_text(&srv).matches("WATCHDOG TIMER EXPIRED").count(),
        reports
    );
}

/// Signal numbers on Linux.
mod libc_signal {
    pub const ABRT: i32 = 6;
    pub const SEGV: i32 = 11;
}
