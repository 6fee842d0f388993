//! What stream commands propagate, checked in-process on the replication
//! backlog (the expected streams are what Redis 7.0.15 sends its replicas
//! for the same commands; delivery times are checked for being numbers).

use crate::commands::test_support::{
    run_line as run, server_keeping_stream as server, whole_stream,
};
use crate::server::Server;

/// The commands in the replication stream (after the initial SELECT),
/// with numbers after TIME shown as `<t>`.
fn propagated(srv: &Server) -> Vec<String> {
    let bytes = whole_stream(srv);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut commands = Vec::new();
    let mut lines = text.split("\r\n").peekable();
    while let Some(header) = lines.next() {
        let Some(n) = header
            .strip_prefix('*')
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let mut parts: Vec<String> = Vec::with_capacity(n);
        for _ in 0..n {
            lines.next();
            let part = lines.next().unwrap_or_default().to_string();
            let after_time = parts.last().is_some_and(|p| p == "TIME");
            parts.push(if after_time && part.parse::<i64>().is_ok() {
                "<t>".into()
            } else {
                part
            });
        }
        commands.push(parts.join(" "));
    }
    commands.retain(|c| c != "SELECT 0");
    commands
}

#[test]
fn log_and_group_commands_propagate_as_redis_does() {
    let (mut srv, mut c) = server();
    for line in [
        "xadd s 1-0 a 1",
        "xadd s 2-* a 2",
        "xadd s MAXLEN ~ 1 3-0 a 3",
        "xadd s MINID ~ 0 4-0 a 4",
        "xadd s MAXLEN 3 5-0 a 5",
        "xgroup create s g 0",
        "xreadgroup group g c1 count 1 streams s >",
        "xreadgroup group g c2 noack count 1 streams s >",
        "xreadgroup group g c1 streams s 0",
        "xclaim s g c3 0 2 9-9 retrycount 4",
        "xclaim s g c3 0 lastid 3-0",
        "xautoclaim s g c4 0 0 count 1",
        "xdel s 2-0",
        "xautoclaim s g c4 0 0 count 1",
        "xtrim s maxlen ~ 0",
        "xtrim s maxlen 1",
        "xdel s 5-0",
        "xack s g 1-0",
    ] {
        run(&mut srv, &mut c, line);
    }
    assert_eq!(
        propagated(&srv),
        [
            "xadd s 1-0 a 1",
            "xadd s 2-0 a 2",
            "xadd s MAXLEN = 3 3-0 a 3",
            "xadd s MINID = 1-0 4-0 a 4",
            "xadd s MAXLEN 3 5-0 a 5",
            "xgroup create s g 0",
            "XCLAIM s g c1 0 3-0 TIME <t> RETRYCOUNT 1 FORCE JUSTID LASTID 3-0",
            "MULTI",
            "XGROUP CREATECONSUMER s g c2",
            "XGROUP SETID s g 4-0 ENTRIESREAD 4",
            "EXEC",
            "XCLAIM s g c4 0 3-0 TIME <t> RETRYCOUNT 3 FORCE JUSTID LASTID 4-0",
            "XCLAIM s g c4 0 3-0 TIME <t> RETRYCOUNT 4 FORCE JUSTID LASTID 4-0",
            "xtrim s maxlen = 0",
        ]
    );
}

#[test]
fn claims_of_deleted_entries_propagate_the_drop() {
    let (mut srv, mut c) = server();
    for line in [
        "xadd x 1-0 f v",
        "xadd x 2-0 f v",
        "xadd x 3-0 f v",
        "xgroup create x grp 0",
        "xreadgroup group grp Alice streams x >",
        "xdel x 2-0",
        "xclaim x grp Bob 0 1 2 retrycount 9 lastid 7-0",
        "xclaim x grp Bob 0 3-0 lastid 8-0",
        "xclaim x grp Bob 0 9-0 lastid 9-0",
    ] {
        run(&mut srv, &mut c, line);
    }
    let out = propagated(&srv);
    assert_eq!(
        &out[4..],
        [
            "MULTI",
            "XCLAIM x grp Alice 0 1-0 TIME <t> RETRYCOUNT 1 FORCE JUSTID LASTID 1-0",
            "XCLAIM x grp Alice 0 2-0 TIME <t> RETRYCOUNT 1 FORCE JUSTID LASTID 2-0",
            "XCLAIM x grp Alice 0 3-0 TIME <t> RETRYCOUNT 1 FORCE JUSTID LASTID 3-0",
            "EXEC",
            "xdel x 2-0",
            "MULTI",
            "XCLAIM x grp Bob 0 1 TIME <t> RETRYCOUNT 9 FORCE JUSTID LASTID 7-0",
            "XCLAIM x grp Alice 0 2 TIME <t> RETRYCOUNT 1 FORCE JUSTID LASTID 7-0",
            "EXEC",
            "XCLAIM x grp Bob 0 3-0 TIME <t> RETRYCOUNT 2 FORCE JUSTID LASTID 8-0",
            "XGROUP SETID x grp 9-0 ENTRIESREAD 3",
        ]
    );
}
