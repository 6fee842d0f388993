//! Replication between reddish instances only: a chain (primary ->
//! replica -> sub-replica) ends with equal data and offsets, a promoted
//! replica takes its former sibling with a partial resync (also after its
//! cron ran: the backlog's time to live counts from the promotion), a replica
//! that learns a new replication ID on `+CONTINUE` makes its own replicas
//! resynchronise partially instead of passing them the new history under
//! the old ID, and the primary's stream is not cut by the query buffer limit.

mod common;

use common::{digest, info_field, link_up, ok, wait_for, Frame, Raw, TestServer};
use std::time::Duration;

const SYNC_WAIT: Duration = Duration::from_secs(20);

/// Starts reddish with a full sync that begins at once.
fn start() -> TestServer {
    TestServer::start_with(&["--repl-diskless-sync-delay", "0"])
}

/// Points `replica` at `primary` and waits for the link to be up.
fn follow(replica: &mut Raw, primary: &TestServer) {
    let port = primary.port.to_string();
    assert_eq!(replica.cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
    assert!(
        wait_for(SYNC_WAIT, || link_up(replica)),
        "link to {} never came up",
        port
    );
}

/// Waits until `replica` holds the same data and offset as `primary`.
fn caught_up(replica: &mut Raw, primary: &mut Raw) -> bool {
    wait_for(SYNC_WAIT, || {
        digest(replica) == digest(primary)
            && info_field(replica, "replication", "master_repl_offset")
                == info_field(primary, "replication", "master_repl_offset")
    })
}

fn write_some(r: &mut Raw, prefix: &str) {
    for i in 0..20 {
        let key = format!("{}:{}", prefix, i);
        assert_eq!(r.cmd(&["SET", &key, "v"]), ok());
    }
    assert!(matches!(r.cmd(&["RPUSH", "list", prefix]), Frame::Int(_)));
}

#[test]
fn a_chain_of_reddish_replicas_ends_equal() {
    let primary = start();
    let replica = start();
    let sub = start();
    let (mut p, mut r, mut s) = (primary.raw(), replica.raw(), sub.raw());
    write_some(&mut p, "before");
    follow(&mut r, &primary);
    follow(&mut s, &replica);
    write_some(&mut p, "after");
    assert!(caught_up(&mut s, &mut p), "sub-replica differs");
    assert!(caught_up(&mut r, &mut p), "replica differs");
    assert_eq!(
        info_field(&mut s, "replication", "master_replid"),
        info_field(&mut p, "replication", "master_replid")
    );
}

/// The stream offset a server is at (INFO `master_repl_offset`).
fn offset(r: &mut Raw) -> i64 {
    info_field(r, "replication", "master_repl_offset")
        .parse()
        .expect("master_repl_offset")
}

/// Two replicas of `primary` hold all of its stream, then it dies: they
/// are left at one offset that nothing moves any more (a PING from a
/// living primary after the promotion would take the sibling past the
/// promoted replica's history, and it would need a full resync).
fn primary_fails(primary: TestServer, ra: &mut Raw, rb: &mut Raw) {
    drop(primary);
    assert!(
        wait_for(SYNC_WAIT, || !link_up(ra)
            && !link_up(rb)
            && offset(ra) == offset(rb)),
        "the replicas did not end at one offset"
    );
}

/// Two replicas that held all of their primary's stream when it died,
/// the first (`a`) just promoted with REPLICAOF NO ONE; `old_replid` is
/// the dead primary's replication ID.
struct Siblings {
    a: TestServer,
    ra: Raw,
    rb: Raw,
    old_replid: String,
    _b: TestServer,
}

fn promote_one_of_two() -> Siblings {
    let primary = start();
    let (a, b) = (start(), start());
    let (mut p, mut ra, mut rb) = (primary.raw(), a.raw(), b.raw());
    follow(&mut ra, &primary);
    follow(&mut rb, &primary);
    write_some(&mut p, "old");
    assert!(caught_up(&mut ra, &mut p) && caught_up(&mut rb, &mut p));
    let old_replid = info_field(&mut p, "replication", "master_replid");
    primary_fails(primary, &mut ra, &mut rb);

    assert_eq!(ra.cmd(&["REPLICAOF", "NO", "ONE"]), ok());
    Siblings {
        a,
        ra,
        rb,
        old_replid,
        _b: b,
    }
}

#[test]
fn a_promoted_replica_takes_its_sibling_with_a_partial_resync() {
    let mut s = promote_one_of_two();
    assert_eq!(
        info_field(&mut s.ra, "replication", "master_replid2"),
        s.old_replid
    );
    follow(&mut s.rb, &s.a);
    write_some(&mut s.ra, "new");
    assert!(caught_up(&mut s.rb, &mut s.ra), "sibling differs");
    assert_eq!(info_field(&mut s.ra, "stats", "sync_full"), "0");
    assert_eq!(info_field(&mut s.ra, "stats", "sync_partial_ok"), "1");
}

/// The time a promoted replica keeps its backlog without replicas
/// (`repl-backlog-ttl`) counts from the promotion: after some of its
/// once-a-second crons have passed, a former sibling asking for the old
/// history still gets `+CONTINUE` with the new replication ID.
#[test]
fn a_promoted_replica_keeps_its_backlog_for_the_ttl_from_the_promotion() {
    let mut s = promote_one_of_two();
    let promoted_at = std::time::Instant::now();
    while promoted_at.elapsed() < Duration::from_millis(2500) {
        assert_eq!(
            info_field(&mut s.ra, "replication", "repl_backlog_active"),
            "1",
            "backlog freed {:?} after the promotion",
            promoted_at.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let new_replid = info_field(&mut s.ra, "replication", "master_replid");
    let from = (offset(&mut s.rb) + 1).to_string();
    let mut sibling = s.a.raw();
    assert_eq!(
        sibling.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
        ok()
    );
    sibling.send_cmd(&["PSYNC", &s.old_replid, &from]);
    assert_eq!(
        sibling.read(),
        Frame::Simple(format!("CONTINUE {}", new_replid))
    );
    assert_eq!(info_field(&mut s.ra, "stats", "sync_partial_ok"), "1");
}

/// `A` follows `P` and feeds `C`. `X`, another replica of `P`, is promoted
/// and written to; `A` re-points to `X` and gets `+CONTINUE <new id>` with
/// those writes. `C` must not see them under the old ID: it reconnects
/// and continues partially from `A`'s second ID.
#[test]
fn a_new_replication_id_reaches_sub_replicas_through_a_partial_resync() {
    let primary = start();
    let (a, x, c) = (start(), start(), start());
    let (mut p, mut ra, mut rx, mut rc) = (primary.raw(), a.raw(), x.raw(), c.raw());
    follow(&mut ra, &primary);
    follow(&mut rx, &primary);
    follow(&mut rc, &a);
    write_some(&mut p, "shared");
    assert!(caught_up(&mut rc, &mut p) && caught_up(&mut rx, &mut p));

    assert_eq!(rx.cmd(&["REPLICAOF", "NO", "ONE"]), ok());
    write_some(&mut rx, "promoted");
    follow(&mut ra, &x);
    assert!(caught_up(&mut ra, &mut rx), "replica differs");
    assert!(caught_up(&mut rc, &mut rx), "sub-replica differs");
    assert_eq!(info_field(&mut rx, "stats", "sync_full"), "0");
    // C was a full-synced replica of A once, and never again.
    assert_eq!(info_field(&mut ra, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut ra, "stats", "sync_partial_ok"), "1");
    assert_eq!(
        info_field(&mut rc, "replication", "master_replid"),
        info_field(&mut rx, "replication", "master_replid")
    );
}

/// The primary's stream is exempt from `client-query-buffer-limit`: a
/// value larger than the replica's limit arrives without the link being
/// cut (a cut would show as a partial resync on the primary).
#[test]
fn the_primary_stream_ignores_the_query_buffer_limit() {
    let primary = start();
    let replica = TestServer::start_with(&["--client-query-buffer-limit", "1mb"]);
    let (mut p, mut r) = (primary.raw(), replica.raw());
    follow(&mut r, &primary);
    let big = "x".repeat(3 * 1024 * 1024);
    assert_eq!(p.cmd(&["SET", "big", &big]), ok());
    assert!(caught_up(&mut r, &mut p), "replica differs");
    assert_eq!(r.cmd(&["STRLEN", "big"]), Frame::Int(3 * 1024 * 1024));
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut p, "stats", "sync_partial_ok"), "0");
}

/// `repl-diskless-load swapdb`: while the payload arrives the replica is
/// loading it (commands get -LOADING; clients are served every KB loaded);
/// a transfer cut short leaves its old data, a complete one replaces it,
/// and the dump file is not written.
#[test]
fn diskless_load_swapdb_keeps_the_old_data_until_the_new_is_complete() {
    let primary = start();
    let replica = TestServer::start_with(&[
        "--repl-diskless-load",
        "swapdb",
        "--loading-process-events-interval-bytes",
        "1024",
    ]);
    let (mut p, mut r) = (primary.raw(), replica.raw());
    assert_eq!(r.cmd(&["SET", "mykey", "myvalue"]), ok());
    assert_eq!(
        p.cmd(&["DEBUG", "POPULATE", "2000", "master", "1000"]),
        ok()
    );
    // A slow payload: 1ms per key (the save writes 64KB at a time).
    assert_eq!(
        p.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]),
        ok()
    );
    let port = primary.port.to_string();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
    assert!(wait_for(SYNC_WAIT, || info_field(
        &mut r,
        "persistence",
        "loading"
    ) == "1"));
    assert_eq!(info_field(&mut r, "persistence", "async_loading"), "0");
    assert_eq!(
        r.cmd(&["GET", "mykey"]),
        Frame::Error("LOADING Redis is loading the dataset in memory".into())
    );

    assert_eq!(
        p.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "5"]),
        ok()
    );
    assert!(matches!(
        p.cmd(&["CLIENT", "KILL", "TYPE", "replica"]),
        Frame::Int(1)
    ));
    assert!(wait_for(SYNC_WAIT, || info_field(
        &mut r,
        "persistence",
        "loading"
    ) == "0"));
    assert_eq!(r.cmd(&["GET", "mykey"]), Frame::bulk("myvalue"));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(1));

    assert_eq!(p.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]), ok());
    assert_eq!(
        p.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]),
        ok()
    );
    assert!(wait_for(SYNC_WAIT, || info_field(
        &mut r,
        "replication",
        "master_link_status"
    ) == "up"));
    assert_eq!(r.cmd(&["GET", "mykey"]), Frame::Bulk(None));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(2000));
    assert!(
        !replica.path("dump.rdb").exists(),
        "the payload was written as the dump file"
    );
}

/// A command from the primary that fails on the replica (here a command
/// it does not know, sent with DEBUG REPLICATE) is logged as Redis logs
/// it and counted; the link stays up and the stream goes on.
#[test]
fn an_error_from_the_primary_stream_is_logged_and_the_stream_goes_on() {
    let primary = start();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("replica.log");
    let replica = TestServer::start_with(&["--logfile", &log.display().to_string()]);
    let (mut p, mut r) = (primary.raw(), replica.raw());
    follow(&mut r, &primary);
    assert_eq!(p.cmd(&["DEBUG", "REPLICATE", "fake-command-1"]), ok());
    assert_eq!(p.cmd(&["SET", "after", "1"]), ok());
    assert!(caught_up(&mut r, &mut p), "the stream stopped");
    assert_eq!(info_field(&mut r, "stats", "unexpected_error_replies"), "1");
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    let text = std::fs::read_to_string(&log).expect("log");
    let critical: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("== CRITICAL =="))
        .collect();
    assert_eq!(critical.len(), 1, "{}", text);
    assert!(
        critical[0].ends_with("This replica is sending an error to its master: 'unknown command 'fake-command-1', with args beginning with: ' after processing the command '<unknown>'"),
        "{}",
        critical[0]
    );
    assert_eq!(text.matches("fake-command-1").count(), 1, "{}", text);
}
