//! FAILOVER: a primary pauses writes until a replica acknowledged its whole
//! stream, then follows it with `PSYNC <replid> <offset> FAILOVER`, which
//! makes the replica a primary that continues the same history (the old
//! primary and the other replicas resynchronise partially). TIMEOUT aborts
//! the wait (FORCE goes ahead instead), ABORT cancels it, and a target that
//! refuses the PSYNC aborts it. Between reddish instances, and with a real
//! redis-server on either side.

mod common;

use common::real_redis::RealRedis;
use common::{
    digest, err, info, info_field, info_int, info_value, link_up, ok, server_binary, spawn_in,
    wait_blocked, wait_for, Frame, Raw, TestServer,
};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(20);

/// One server of a test, reddish (or `REDDISH_TEST_SERVER`) or a real
/// redis-server, logging to a file.
enum Node {
    Ours(TestServer),
    Real(RealRedis, tempfile::TempDir),
}

/// Options every node starts with: a full sync starts at once, and the
/// log is kept for the lines a failover writes.
fn node_args(log: &str) -> Vec<String> {
    ["--repl-diskless-sync-delay", "0", "--logfile", log]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

impl Node {
    fn start() -> Node {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("server.log").display().to_string();
        let args = node_args(&log);
        let mut all: Vec<&str> = vec!["--save", "", "--enable-debug-command", "yes"];
        all.extend(args.iter().map(String::as_str));
        Node::Ours(spawn_in(&server_binary(), dir, &[], &all, ""))
    }

    /// A real redis-server, when installed.
    fn real() -> Option<Node> {
        if !common::real_redis::available() {
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("server.log").display().to_string();
        let args = node_args(&log);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let real = RealRedis::start(dir.path(), &args);
        Some(Node::Real(real, dir))
    }

    fn port(&self) -> u16 {
        match self {
            Node::Ours(s) => s.port,
            Node::Real(r, _) => r.port,
        }
    }

    fn raw(&self) -> Raw {
        Raw::connect(self.port())
    }

    fn log(&self) -> String {
        let dir = match self {
            Node::Ours(s) => s.dir.path(),
            Node::Real(_, dir) => dir.path(),
        };
        std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
    }

    fn signal(&self, sig: i32) {
        let pid = match self {
            Node::Ours(s) => Some(s.child.id()),
            Node::Real(r, _) => r.pid(),
        };
        if let Some(pid) = pid {
            // SAFETY: kill() with a child's pid and a valid signal number.
            unsafe { libc::kill(pid as i32, sig) };
        }
    }

    fn stop(&self) {
        self.signal(libc::SIGSTOP);
    }

    fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn role(&self) -> String {
        info_field(&mut self.raw(), "replication", "role")
    }

    fn failover_state(&self) -> String {
        info_field(&mut self.raw(), "replication", "master_failover_state")
    }

    fn stat(&self, name: &str) -> i64 {
        info_int(&info(&mut self.raw(), &["stats"]), name)
    }

    fn offset(&self) -> String {
        info_field(&mut self.raw(), "replication", "master_repl_offset")
    }

    /// Follows `primary` and waits for the link to be up on both sides.
    fn follow(&self, primary: &Node) {
        let port = primary.port().to_string();
        let mut r = self.raw();
        assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
        assert!(wait_for(PATIENCE, || link_up(&mut r)), "link never came up");
        let online = format!("port={},state=online", self.port());
        let mut p = primary.raw();
        assert!(
            wait_for(PATIENCE, || info(&mut p, &["replication"])
                .contains(&online)),
            "the primary never saw the replica online"
        );
    }

    /// Waits until the replica `self` acknowledged everything `primary` wrote.
    fn caught_up_with(&self, primary: &Node) -> bool {
        wait_for(PATIENCE, || {
            let acked = info(&mut primary.raw(), &["replication"]);
            let offset = info_value(&acked, "master_repl_offset").unwrap_or_default();
            let port = format!("port={},", self.port());
            acked
                .lines()
                .any(|l| l.contains(&port) && l.contains(&format!("offset={},", offset)))
        })
    }

    fn wait_failover_state(&self, state: &str) {
        assert!(
            wait_for(PATIENCE, || self.failover_state() == state),
            "failover state never became {state}"
        );
    }

    fn to_args(&self) -> [String; 3] {
        ["TO".into(), "127.0.0.1".into(), self.port().to_string()]
    }
}

/// FAILOVER with `args`.
fn failover(on: &Node, args: &[&str]) -> Frame {
    let mut all = vec!["FAILOVER"];
    all.extend_from_slice(args);
    on.raw().cmd(&all)
}

/// FAILOVER TO `target` with `more` options.
fn failover_to(on: &Node, target: &Node, more: &[&str]) -> Frame {
    let to = target.to_args();
    let mut args: Vec<&str> = to.iter().map(String::as_str).collect();
    args.extend_from_slice(more);
    failover(on, &args)
}

/// A primary with `n` replicas that acknowledged a first write (a
/// replica fed the stream only after its first ack is then streaming).
fn primary_with_replicas(n: usize) -> (Node, Vec<Node>) {
    let primary = Node::start();
    let replicas: Vec<Node> = (0..n).map(|_| Node::start()).collect();
    for r in &replicas {
        r.follow(&primary);
    }
    assert_eq!(primary.raw().cmd(&["SET", "first", "1"]), ok());
    for r in &replicas {
        assert!(r.caught_up_with(&primary));
    }
    (primary, replicas)
}

/// Stops `replica` and writes what it will not acknowledge.
fn leave_behind(primary: &Node, replica: &Node) {
    replica.stop();
    assert_eq!(primary.raw().cmd(&["SET", "unacked", "1"]), ok());
}

fn assert_same_data(nodes: &[&Node]) {
    let first = digest(&mut nodes[0].raw());
    for n in &nodes[1..] {
        assert!(
            wait_for(PATIENCE, || digest(&mut n.raw()) == first),
            "datasets differ"
        );
    }
}

#[test]
fn errors_without_replicas() {
    let alone = Node::start();
    let cases: &[(&[&str], &str)] = &[
        (&["ABORT"], "ERR No failover in progress."),
        (&[], "ERR FAILOVER requires connected replicas."),
        (
            &["TO", "h", "1", "FORCE"],
            "ERR FAILOVER requires connected replicas.",
        ),
        (
            &["TIMEOUT", "0"],
            "ERR FAILOVER timeout must be greater than 0",
        ),
        (
            &["TIMEOUT", "-1"],
            "ERR FAILOVER timeout must be greater than 0",
        ),
        (
            &["TIMEOUT", "x"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["TO", "h", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["TO", "h"], "ERR syntax error"),
        (&["TO", "h", "1", "TO", "h", "2"], "ERR syntax error"),
        (&["TIMEOUT", "1", "TIMEOUT", "2"], "ERR syntax error"),
        (&["FORCE", "FORCE"], "ERR syntax error"),
        (&["ABORT", "TIMEOUT", "1"], "ERR syntax error"),
        (&["foo"], "ERR syntax error"),
    ];
    for (args, expected) in cases {
        assert_eq!(failover(&alone, args), err(expected), "FAILOVER {args:?}");
    }
    assert_eq!(alone.failover_state(), "no-failover");
}

#[test]
fn refuses_bad_targets_and_a_second_failover() {
    let (primary, replicas) = primary_with_replicas(1);
    let replica = &replicas[0];
    let port = replica.port().to_string();
    assert_eq!(
        failover(&primary, &["TO", "invalidhost", &port]),
        err("ERR FAILOVER target HOST and PORT is not a replica.")
    );
    assert_eq!(
        failover(&primary, &["TO", "127.0.0.1", "1"]),
        err("ERR FAILOVER target HOST and PORT is not a replica.")
    );
    let force_needs =
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP.";
    assert_eq!(
        failover(&primary, &["FORCE", "TIMEOUT", "100"]),
        err(force_needs)
    );
    assert_eq!(failover_to(&primary, replica, &["FORCE"]), err(force_needs));
    assert_eq!(
        failover_to(replica, replica, &[]),
        err("ERR FAILOVER is not valid when server is a replica.")
    );
    leave_behind(&primary, replica);
    assert_eq!(failover_to(&primary, replica, &["TIMEOUT", "60000"]), ok());
    assert_eq!(primary.failover_state(), "waiting-for-sync");
    assert_eq!(
        failover(&primary, &[]),
        err("ERR FAILOVER already in progress.")
    );
    assert_eq!(
        primary.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        err("ERR REPLICAOF not allowed while failing over.")
    );
    let mut sync = primary.raw();
    assert_eq!(
        sync.cmd(&["PSYNC", "?", "-1"]),
        err("NOMASTERLINK Can't SYNC while failing over")
    );
    assert_eq!(failover(&primary, &["ABORT"]), ok());
    replica.resume();
    assert_eq!(primary.failover_state(), "no-failover");
    assert_eq!(primary.role(), "master");
}

#[test]
fn a_replica_still_syncing_is_not_online() {
    let primary = Node::start();
    let mut p = primary.raw();
    assert_eq!(
        p.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "30"]),
        ok()
    );
    let replica = Node::start();
    let port = primary.port().to_string();
    assert_eq!(replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
    assert!(wait_for(PATIENCE, || info(&mut p, &["replication"])
        .contains("state=wait_bgsave")));
    assert_eq!(
        failover_to(&primary, &replica, &[]),
        err("ERR FAILOVER target replica is not online.")
    );
}

#[test]
fn psync_failover_needs_a_replica_of_the_same_history() {
    let (primary, replicas) = primary_with_replicas(1);
    let replid = info_field(&mut primary.raw(), "replication", "master_replid");
    assert_eq!(
        primary.raw().cmd(&["PSYNC", &replid, "1", "FAILOVER"]),
        err("ERR PSYNC FAILOVER can't be sent to a master.")
    );
    let other = "0123456789012345678901234567890123456789";
    assert_eq!(
        replicas[0].raw().cmd(&["PSYNC", other, "1", "FAILOVER"]),
        err("ERR PSYNC FAILOVER replid must match my replid.")
    );
    assert_eq!(replicas[0].role(), "slave");
    let log = replicas[0].log();
    assert!(
        log.contains(&format!("Failover request received for replid {other}.")),
        "{log}"
    );
}

/// Primary fails over to its (caught-up) replica: roles swap, the old
/// primary continues with a partial resync, writes held during the
/// failover are refused afterwards (the old primary is a replica then).
fn fail_over_to_named_replica(primary: &Node, replica: &Node) {
    let mut p = primary.raw();
    for i in 0..50 {
        assert_eq!(p.cmd(&["SET", &format!("k{i}"), "v"]), ok());
    }
    let partial_before = replica.stat("sync_partial_ok");
    let full_before = replica.stat("sync_full");
    assert_eq!(failover_to(primary, replica, &[]), ok());
    primary.wait_failover_state("no-failover");
    assert!(wait_for(PATIENCE, || replica.role() == "master"));
    assert_eq!(primary.role(), "slave");
    assert!(wait_for(PATIENCE, || link_up(&mut primary.raw())));
    assert_eq!(
        p.cmd(&["SET", "after", "1"]),
        err("READONLY You can't write against a read only replica.")
    );
    assert_eq!(replica.raw().cmd(&["SET", "after", "1"]), ok());
    assert!(primary.caught_up_with(replica));
    assert_same_data(&[primary, replica]);
    assert_eq!(replica.stat("sync_partial_ok") - partial_before, 1);
    assert_eq!(replica.stat("sync_full") - full_before, 0);
    let port = replica.port();
    let old = primary.log();
    assert!(
        old.contains(&format!("FAILOVER requested to 127.0.0.1:{port}.")),
        "{old}"
    );
    assert!(
        old.contains(&format!(
            "Failover target 127.0.0.1:{port} is synced, failing over."
        )),
        "{old}"
    );
    let new = replica.log();
    assert!(
        new.contains("MASTER MODE enabled (failover request from 'id="),
        "{new}"
    );
}

#[test]
fn fails_over_to_a_named_replica() {
    let (primary, replicas) = primary_with_replicas(2);
    let (target, sibling) = (&replicas[0], &replicas[1]);
    fail_over_to_named_replica(&primary, target);
    // The other replica moves to the new primary with a partial resync.
    let partial_before = target.stat("sync_partial_ok");
    sibling.follow(target);
    assert!(sibling.caught_up_with(target));
    assert_eq!(target.stat("sync_partial_ok") - partial_before, 1);
    assert_same_data(&[&primary, target, sibling]);
}

#[test]
fn without_a_target_picks_a_replica_that_caught_up() {
    let (primary, replicas) = primary_with_replicas(2);
    let (lagging, fresh) = (&replicas[0], &replicas[1]);
    assert!(lagging.caught_up_with(&primary));
    assert!(fresh.caught_up_with(&primary));
    lagging.stop();
    assert_eq!(primary.raw().cmd(&["SET", "case", "1"]), ok());
    assert_eq!(failover(&primary, &[]), ok());
    primary.wait_failover_state("no-failover");
    lagging.resume();
    assert_eq!(fresh.role(), "master");
    assert_eq!(primary.role(), "slave");
    let log = primary.log();
    assert!(log.contains("FAILOVER requested to any replica."), "{log}");
    let synced = format!("Failover target 127.0.0.1:{} is synced", fresh.port());
    assert!(log.contains(&synced), "{log}");
    assert_eq!(fresh.raw().cmd(&["GET", "case"]), Frame::bulk(b"1"));
}

#[test]
fn a_timeout_aborts_when_the_replica_never_catches_up() {
    let (primary, replicas) = primary_with_replicas(1);
    let replica = &replicas[0];
    replica.stop();
    assert_eq!(primary.raw().cmd(&["SET", "case", "1"]), ok());
    let offset = primary.offset();
    assert_eq!(failover_to(&primary, replica, &["TIMEOUT", "500"]), ok());
    assert_eq!(primary.failover_state(), "waiting-for-sync");
    primary.wait_failover_state("no-failover");
    // The wait kept the stream still: no PING was added.
    assert_eq!(primary.offset(), offset);
    replica.resume();
    assert_eq!(primary.role(), "master");
    assert_eq!(primary.raw().cmd(&["SET", "after", "1"]), ok());
    assert!(replica.caught_up_with(&primary));
    let log = primary.log();
    let aborted = format!(
        "FAILOVER to 127.0.0.1:{} aborted: Replica never caught up before timeout",
        replica.port()
    );
    assert!(log.contains(&aborted), "{log}");
}

#[test]
fn abort_resumes_the_writes_it_held() {
    let (primary, replicas) = primary_with_replicas(1);
    let replica = &replicas[0];
    leave_behind(&primary, replica);
    assert_eq!(failover_to(&primary, replica, &["TIMEOUT", "60000"]), ok());
    let mut p = primary.raw();
    // Reads go on, writes wait.
    assert_eq!(p.cmd(&["GET", "held"]), Frame::Bulk(None));
    let mut writer = primary.raw();
    writer.send_cmd(&["SET", "held", "1"]);
    wait_blocked(&mut p, 1);
    assert_eq!(p.cmd(&["GET", "held"]), Frame::Bulk(None));
    assert_eq!(failover(&primary, &["ABORT"]), ok());
    assert_eq!(writer.read(), ok());
    assert_eq!(primary.failover_state(), "no-failover");
    assert_eq!(p.cmd(&["GET", "held"]), Frame::bulk(b"1"));
    replica.resume();
    assert!(replica.caught_up_with(&primary));
    let log = primary.log();
    assert!(log.contains("aborted: Failover manually aborted"), "{log}");
}

#[test]
fn force_fails_over_after_the_timeout() {
    let (primary, replicas) = primary_with_replicas(2);
    let (target, other) = (&replicas[0], &replicas[1]);
    assert!(target.caught_up_with(&primary));
    target.stop();
    assert_eq!(primary.raw().cmd(&["SET", "case", "2"]), ok());
    assert_eq!(
        failover_to(&primary, target, &["TIMEOUT", "100", "FORCE"]),
        ok()
    );
    primary.wait_failover_state("failover-in-progress");
    // Never two primaries: the old one follows the target already.
    assert_eq!(primary.role(), "slave");
    assert_eq!(other.role(), "slave");
    target.resume();
    primary.wait_failover_state("no-failover");
    assert!(wait_for(PATIENCE, || target.role() == "master"));
    other.follow(target);
    assert!(other.caught_up_with(target));
    assert!(primary.caught_up_with(target));
    assert_same_data(&[&primary, target, other]);
    assert_eq!(target.raw().cmd(&["GET", "case"]), Frame::bulk(b"2"));
    let log = primary.log();
    let forced = format!(
        "FAILOVER to 127.0.0.1:{} time out exceeded, failing over.",
        target.port()
    );
    assert_eq!(log.matches(&forced).count(), 1, "{log}");
}

#[test]
fn a_target_refusing_psync_aborts_and_the_primary_stays() {
    let (primary, replicas) = primary_with_replicas(2);
    let target = &replicas[0];
    assert_eq!(
        target.raw().cmd(&["ACL", "SETUSER", "default", "-psync"]),
        ok()
    );
    let partial_before = primary.stat("sync_partial_ok");
    let full_before = primary.stat("sync_full");
    assert_eq!(failover_to(&primary, target, &[]), ok());
    primary.wait_failover_state("no-failover");
    assert_eq!(primary.role(), "master");
    assert_eq!(primary.raw().cmd(&["SET", "after", "1"]), ok());
    assert_eq!(
        target.raw().cmd(&["ACL", "SETUSER", "default", "+psync"]),
        ok()
    );
    for r in &replicas {
        assert!(r.caught_up_with(&primary));
    }
    // Both replicas were cycled by the role changes and continued.
    assert_eq!(primary.stat("sync_partial_ok") - partial_before, 2);
    assert_eq!(primary.stat("sync_full") - full_before, 0);
    let log = primary.log();
    assert_eq!(
        log.matches("Failover target rejected psync request")
            .count(),
        1,
        "{log}"
    );
}

#[test]
fn our_primary_fails_over_to_a_real_redis_replica() {
    let Some(real) = Node::real() else {
        return;
    };
    let primary = Node::start();
    real.follow(&primary);
    fail_over_to_named_replica(&primary, &real);
}

#[test]
fn a_real_redis_primary_fails_over_to_our_replica() {
    let Some(real) = Node::real() else {
        return;
    };
    let replica = Node::start();
    replica.follow(&real);
    fail_over_to_named_replica(&real, &replica);
}
