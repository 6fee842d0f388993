//! Real Redis Sentinels (Debian's `redis-sentinel` 7.0) watching reddish:
//! three sentinels told only of the primary find its two replicas (from
//! its INFO) and each other (through the `__sentinel__:hello` channel);
//! when the primary is killed they agree it is down, promote a replica
//! (REPLICAOF NO ONE, then CONFIG REWRITE and CLIENT KILL inside
//! MULTI/EXEC), re-point the other replica, which continues with a
//! partial resync, and turn the old primary into a replica when it comes
//! back. Writes acknowledged by WAIT before the failure survive it.
//!
//! Skipped (with a message) when `redis-sentinel` is not installed.

mod common;

use common::sentinel::{self, records, Sentinel};
use common::{info, info_field, info_value, link_up, ok, wait_for, Frame, Raw, TestServer};
use std::time::Duration;

const MASTER: &str = "mymaster";
/// Discovery takes a few hello periods (2s each); a failover needs the
/// down-after time, an election (retried after twice the failover
/// timeout when the votes split) and the promotion; the old primary is
/// converted 8s after it reports itself as a primary.
const DISCOVERY: Duration = Duration::from_secs(30);
const FAILOVER: Duration = Duration::from_secs(60);
const REJOIN: Duration = Duration::from_secs(60);

/// Three reddish servers (`a` starts as the primary) and three sentinels
/// with quorum 2 told only of `a`; every process logs into one directory.
struct Deployment {
    log_dir: tempfile::TempDir,
    servers: Vec<TestServer>,
    sentinels: Vec<Sentinel>,
}

impl Deployment {
    fn start() -> Deployment {
        let log_dir = tempfile::tempdir().expect("tempdir");
        let mut d = Deployment {
            log_dir,
            servers: Vec::new(),
            sentinels: Vec::new(),
        };
        for name in ["a", "b", "c"] {
            let args = d.server_args(name);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            d.servers.push(TestServer::start_with(&args));
        }
        for r in &d.servers[1..] {
            follow(r, &d.servers[0]);
        }
        for r in &d.servers[1..] {
            assert!(wait_for(DISCOVERY, || link_up(&mut r.raw())), "no sync");
        }
        let lines = [
            format!(
                "sentinel monitor {MASTER} 127.0.0.1 {} 2",
                d.servers[0].port
            ),
            format!("sentinel down-after-milliseconds {MASTER} 1000"),
            format!("sentinel failover-timeout {MASTER} 3000"),
        ];
        d.sentinels = (0..3).map(|_| Sentinel::start(&lines)).collect();
        d
    }

    fn server_args(&self, name: &str) -> Vec<String> {
        let log = self.log_dir.path().join(format!("server-{name}.log"));
        let log = log.display().to_string();
        ["--repl-diskless-sync-delay", "0", "--logfile", &log]
            .map(String::from)
            .to_vec()
    }

    /// Starts the killed server `index` again, on its port.
    fn restart(&mut self, index: usize) {
        let args = self.server_args(["a", "b", "c"][index]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.servers[index].restart_with(&args);
    }

    fn server(&self, port: u16) -> Option<&TestServer> {
        self.servers.iter().find(|s| s.port == port)
    }

    /// The primary every sentinel names, when they agree.
    fn agreed_primary(&self) -> Option<u16> {
        let ports: Vec<Option<u16>> = self.sentinels.iter().map(primary_port).collect();
        let first = *ports.first()?;
        ports.iter().all(|p| *p == first).then_some(first).flatten()
    }

    /// Ports of the servers other than `port`, in order.
    fn others(&self, port: u16) -> Vec<u16> {
        let mut ports: Vec<u16> = self.servers.iter().map(|s| s.port).collect();
        ports.retain(|&p| p != port);
        ports.sort_unstable();
        ports
    }

    /// The failovers the sentinels have seen (their config epoch).
    fn config_epochs(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|s| {
                let reply = s.raw().cmd(&["SENTINEL", "MASTER", MASTER]);
                let record = records(Frame::Array(Some(vec![reply])));
                record
                    .first()
                    .and_then(|r| r.get("config-epoch").cloned())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Every log, for failure messages.
    fn logs(&self) -> String {
        let mut out: String = self
            .sentinels
            .iter()
            .map(|s| format!("--- sentinel {} ---\n{}", s.port, s.log()))
            .collect();
        for name in ["a", "b", "c"] {
            let path = self.log_dir.path().join(format!("server-{name}.log"));
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push_str(&format!("--- server {name} ---\n{text}"));
        }
        out
    }
}

/// The ports of the replicas a sentinel knows of and sees up.
fn replicas_seen(s: &Sentinel) -> Vec<u16> {
    let mut ports: Vec<u16> = records(s.raw().cmd(&["SENTINEL", "REPLICAS", MASTER]))
        .iter()
        .filter(|r| r.get("flags").map(String::as_str) == Some("slave"))
        .filter_map(|r| r.get("port")?.parse().ok())
        .collect();
    ports.sort_unstable();
    ports
}

/// How many other sentinels a sentinel knows of.
fn sentinels_seen(s: &Sentinel) -> usize {
    records(s.raw().cmd(&["SENTINEL", "SENTINELS", MASTER])).len()
}

/// The primary's port as a sentinel has it.
fn primary_port(s: &Sentinel) -> Option<u16> {
    match s
        .raw()
        .cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
    {
        Frame::Array(Some(addr)) => addr.get(1)?.as_text().parse().ok(),
        _ => None,
    }
}

/// Points `replica` at `primary`.
fn follow(replica: &TestServer, primary: &TestServer) {
    let port = primary.port.to_string();
    assert_eq!(replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
}

/// INFO replication's `field` of `server` (a new connection each time:
/// the sentinels kill the normal clients of an instance they reconfigure).
fn replication_info(server: &TestServer, field: &str) -> String {
    info_field(&mut server.raw(), "replication", field)
}

/// The port of the primary `server` replicates from with its link up.
fn replica_of(server: &TestServer) -> Option<u16> {
    let text = info(&mut server.raw(), &["replication"]);
    let linked = info_value(&text, "role").as_deref() == Some("slave")
        && info_value(&text, "master_link_status").as_deref() == Some("up");
    if !linked {
        return None;
    }
    info_value(&text, "master_port")?.parse().ok()
}

fn offset(server: &TestServer) -> i64 {
    replication_info(server, "master_repl_offset")
        .parse()
        .unwrap_or(-1)
}

const KEYS: usize = 50;

/// Writes the keys and waits until both replicas acknowledged them.
fn write_acknowledged(p: &mut Raw) {
    for i in 0..KEYS {
        assert_eq!(p.cmd(&["SET", &format!("acked:{i}"), "v"]), ok());
    }
    assert_eq!(p.cmd(&["WAIT", "2", "10000"]), Frame::Int(2));
}

fn holds_acknowledged_writes(server: &TestServer) -> bool {
    let mut r = server.raw();
    (0..KEYS).all(|i| r.cmd(&["GET", &format!("acked:{i}")]) == Frame::bulk("v"))
}

#[test]
fn sentinels_fail_over_a_reddish_primary_to_a_replica() {
    if !sentinel::available() {
        return;
    }
    let mut d = Deployment::start();
    let a = d.servers[0].port;
    let replica_ports = d.others(a);

    // Discovery: each sentinel finds both replicas and the two others.
    let discovered = wait_for(DISCOVERY, || {
        d.sentinels
            .iter()
            .all(|s| replicas_seen(s) == replica_ports && sentinels_seen(s) == 2)
    });
    assert!(discovered, "discovery incomplete\n{}", d.logs());
    write_acknowledged(&mut d.servers[0].raw());

    // The primary dies; the replicas keep what it sent them.
    let _ = d.servers[0].child.kill();
    let _ = d.servers[0].child.wait();
    let links_down = wait_for(FAILOVER, || {
        d.servers[1..]
            .iter()
            .all(|r| replication_info(r, "master_link_status") == "down")
    });
    assert!(links_down, "the replicas did not notice");
    let offsets_at_failure: Vec<i64> = d.servers[1..].iter().map(offset).collect();

    // Failover: the sentinels agree on a replica, which is now a primary,
    // and the other replica follows it. (Should a sentinel lose sight of
    // the new primary on a loaded machine, a second failover may follow:
    // the checks follow the sentinels' current choice.)
    let mut primary = 0;
    let failed_over = wait_for(FAILOVER, || {
        primary = d.agreed_primary().unwrap_or(a);
        let other = d.others(primary).into_iter().find(|&p| p != a);
        replica_ports.contains(&primary)
            && d.server(primary)
                .is_some_and(|s| replication_info(s, "role") == "master")
            && other.and_then(|p| d.server(p)).and_then(replica_of) == Some(primary)
    });
    assert!(failed_over, "no failover\n{}", d.logs());
    let (new_primary, other) = match d.server(primary) {
        Some(s) if s.port == d.servers[1].port => (&d.servers[1], &d.servers[2]),
        _ => (&d.servers[2], &d.servers[1]),
    };
    // After one failover the other replica continued with a partial
    // resync, unless it had more of the old stream than the promoted one.
    let one_failover = d.config_epochs().iter().all(|e| e == "1");
    let promoted = usize::from(new_primary.port == d.servers[2].port);
    if one_failover && offsets_at_failure[1 - promoted] <= offsets_at_failure[promoted] {
        let mut np = new_primary.raw();
        assert_eq!(info_field(&mut np, "stats", "sync_full"), "0");
        assert_eq!(info_field(&mut np, "stats", "sync_partial_ok"), "1");
    }
    assert!(holds_acknowledged_writes(new_primary));
    assert!(holds_acknowledged_writes(other));
    let mut p = new_primary.raw();
    assert_eq!(p.cmd(&["SET", "after-failover", "1"]), ok());
    assert_eq!(p.cmd(&["WAIT", "1", "10000"]), Frame::Int(1));

    // The old primary comes back empty, as a primary; the sentinels make
    // it a replica of the current primary and it gets everything.
    d.restart(0);
    let rejoined = wait_for(REJOIN, || {
        let old = &d.servers[0];
        d.agreed_primary()
            .is_some_and(|p| replica_of(old) == Some(p))
            && holds_acknowledged_writes(old)
            && old.raw().cmd(&["GET", "after-failover"]) == Frame::bulk("1")
    });
    assert!(rejoined, "old primary not converted\n{}", d.logs());
    let seen_by_all = wait_for(DISCOVERY, || {
        let expected = d.others(d.agreed_primary().unwrap_or(a));
        d.sentinels.iter().all(|s| replicas_seen(s) == expected)
    });
    assert!(seen_by_all, "replicas not seen\n{}", d.logs());
}
