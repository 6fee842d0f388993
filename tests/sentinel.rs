//! Real Redis Sentinels (Debian's `redis-sentinel` 7.0) watching reddish:
//! three sentinels told only of the primary find its two replicas (from
//! its INFO) and each other (through the `__sentinel__:hello` channel);
//! when the primary is killed they agree it is down, promote a replica
//! (REPLICAOF NO ONE, then CONFIG REWRITE and CLIENT KILL inside
//! MULTI/EXEC), re-point the other replica, which continues with a
//! partial resync, and turn the old primary into a replica when it comes
//! back. Writes acknowledged by WAIT before the failure survive it.
//!
//! The failover test is skipped (with a message) when `redis-sentinel` is
//! not installed. The others replay by hand what Sentinel sends to the
//! servers it monitors and what it reads from their INFO, and also run
//! against real Redis (`REDDISH_TEST_SERVER`).

mod common;

use common::sentinel::{self, records, Sentinel};
use common::start::conf_dir;
use common::{
    encode, err, info, info_field, info_value, int, link_up, ok, pong, server_binary, spawn_in,
    wait_for, Frame, Raw, TestServer,
};
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

const NO_SYNC_DELAY: [&str; 2] = ["--repl-diskless-sync-delay", "0"];

/// Sends the transaction with which Sentinel promotes (`NO ONE`) or
/// re-points an instance, in one write as Sentinel does, and returns the
/// EXEC reply after checking that every command was queued.
fn reconfigure(sentinel: &mut Raw, replicaof: [&str; 2]) -> Frame {
    let [host, port] = replicaof;
    let mut pipeline = encode(&["MULTI"]);
    for command in [
        ["SLAVEOF", host, port].as_slice(),
        &["CONFIG", "REWRITE"],
        &["CLIENT", "KILL", "TYPE", "normal"],
        &["CLIENT", "KILL", "TYPE", "pubsub"],
    ] {
        pipeline.extend(encode(command));
    }
    pipeline.extend(encode(&["EXEC"]));
    sentinel.send(&pipeline);
    assert_eq!(sentinel.read(), ok(), "MULTI");
    for _ in 0..4 {
        assert_eq!(sentinel.read(), Frame::Simple("QUEUED".into()));
    }
    sentinel.read()
}

/// Waits until `r`'s server has `n` normal and pub/sub clients
/// (connections closed by earlier checks gone), so that CLIENT KILL
/// counts are exact.
fn wait_clients(r: &mut Raw, n: usize) {
    let mut count = || {
        ["normal", "pubsub"]
            .map(|kind| {
                r.cmd(&["CLIENT", "LIST", "TYPE", kind])
                    .as_text()
                    .lines()
                    .count()
            })
            .iter()
            .sum::<usize>()
    };
    assert!(wait_for(DISCOVERY, || count() == n), "not {n} clients");
}

/// The `replicaof` lines of a config file.
fn replicaof_lines(conf: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(conf).unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("replicaof"))
        .map(String::from)
        .collect()
}

/// Sentinel's reconfiguration transaction (sentinelSendSlaveOf) promotes
/// a replica and points it back: SLAVEOF takes effect, CONFIG REWRITE
/// records it in the config file, and the two CLIENT KILLs disconnect
/// every normal and pub/sub client but the sentinel's own connection.
#[test]
fn the_reconfiguration_transaction_of_sentinel_behaves_as_on_redis() {
    let primary = TestServer::start_with(&NO_SYNC_DELAY);
    let port = primary.port.to_string();
    let (dir, conf) = conf_dir(&format!(
        "replicaof 127.0.0.1 {port}\nreplica-priority 50\n"
    ));
    let leading = [conf.display().to_string()];
    let replica = spawn_in(&server_binary(), dir, &leading, &["--save", ""], "");
    assert!(
        wait_for(DISCOVERY, || link_up(&mut replica.raw())),
        "no sync"
    );

    let mut normal = replica.raw();
    assert_eq!(normal.cmd(&["PING"]), pong());
    let mut subscriber = replica.raw();
    subscriber.cmd(&["SUBSCRIBE", "__sentinel__:hello"]);
    let mut sentinel = replica.raw();
    assert_eq!(
        sentinel.cmd(&["CLIENT", "SETNAME", "sentinel-0123abcd-cmd"]),
        ok()
    );
    wait_clients(&mut sentinel, 3);
    let promoted = reconfigure(&mut sentinel, ["NO", "ONE"]);
    assert_eq!(
        promoted,
        Frame::Array(Some(vec![ok(), ok(), int(1), int(1)]))
    );
    assert!(normal.is_closed(), "a normal client survived");
    assert!(subscriber.is_closed(), "a subscriber survived");
    assert_eq!(sentinel.cmd(&["PING"]), pong());
    assert_eq!(replication_info(&replica, "role"), "master");
    assert_eq!(replicaof_lines(&conf), Vec::<String>::new());
    let text = std::fs::read_to_string(&conf).unwrap_or_default();
    assert!(text.contains("replica-priority 50"), "{text}");

    wait_clients(&mut sentinel, 1);
    let repointed = reconfigure(&mut sentinel, ["127.0.0.1", &port]);
    assert_eq!(
        repointed,
        Frame::Array(Some(vec![ok(), ok(), int(0), int(0)]))
    );
    assert_eq!(
        replicaof_lines(&conf),
        [format!("replicaof 127.0.0.1 {port}")]
    );
    assert!(wait_for(DISCOVERY, || replica_of(&replica) == Some(primary.port)));

    // Without a config file the rewrite fails inside the transaction,
    // which still runs the rest.
    let mut p = primary.raw();
    wait_clients(&mut p, 1);
    let no_file = reconfigure(&mut p, ["NO", "ONE"]);
    let rewrite_error = err("ERR The server is running without a config file");
    assert_eq!(
        no_file,
        Frame::Array(Some(vec![ok(), rewrite_error, int(0), int(0)]))
    );
}

/// What Sentinel reads from INFO: the primary lists its replica under the
/// address it announces, the replica gives its primary, link state,
/// priority, offset and whether it is announced, and `run_id` identifies
/// the process. A replica whose link is down tells for how long, and with
/// `replica-serve-stale-data no` answers PING with -MASTERDOWN (which
/// Sentinel takes as a valid reply).
#[test]
fn info_gives_sentinel_the_fields_it_reads() {
    let mut primary = TestServer::start_with(&NO_SYNC_DELAY);
    let replica = TestServer::start_with(&[
        "--replica-announce-ip",
        "10.0.0.9",
        "--replica-announce-port",
        "7777",
        "--replica-priority",
        "42",
        "--replica-announced",
        "no",
    ]);
    follow(&replica, &primary);
    assert!(
        wait_for(DISCOVERY, || link_up(&mut replica.raw())),
        "no sync"
    );

    let listed = wait_for(DISCOVERY, || {
        let line = replication_info(&primary, "slave0");
        line.starts_with("ip=10.0.0.9,port=7777,state=online,offset=")
    });
    assert!(listed, "{}", replication_info(&primary, "slave0"));
    let run_id = info_field(&mut primary.raw(), "server", "run_id");
    assert!(run_id.len() == 40 && run_id.bytes().all(|b| b.is_ascii_hexdigit()));

    let text = info(&mut replica.raw(), &["replication"]);
    for (field, value) in [
        ("role", "slave".to_string()),
        ("master_host", "127.0.0.1".to_string()),
        ("master_port", primary.port.to_string()),
        ("master_link_status", "up".to_string()),
        ("slave_priority", "42".to_string()),
        ("replica_announced", "0".to_string()),
    ] {
        assert_eq!(info_value(&text, field), Some(value), "{field}");
    }
    assert!(info_value(&text, "slave_repl_offset").is_some_and(|o| o.parse::<u64>().is_ok()));
    assert_eq!(info_value(&text, "master_link_down_since_seconds"), None);

    let _ = primary.child.kill();
    let _ = primary.child.wait();
    let mut r = replica.raw();
    assert!(wait_for(DISCOVERY, || {
        info_field(&mut r, "replication", "master_link_status") == "down"
    }));
    let down_for = info_field(&mut r, "replication", "master_link_down_since_seconds");
    assert!(down_for.parse::<u64>().is_ok(), "{down_for}");
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "replica-serve-stale-data", "no"]),
        ok()
    );
    let masterdown =
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
    assert_eq!(r.cmd(&["PING"]), err(masterdown));
    assert!(r.cmd(&["INFO", "server"]).as_text().contains("run_id:"));
}
