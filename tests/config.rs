//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP: replies, Redis's exact
//! error texts, all-or-nothing SET, and changes that take effect at once.

mod common;

use common::start::{conf_dir, start_in};
use common::{bulks, config_get, err, free_port, ok, wait_for, Frame, Raw, TestServer};
use std::time::Duration;

/// The names in a CONFIG GET reply.
fn names(reply: Frame) -> Vec<String> {
    match reply {
        Frame::Array(Some(items)) => items.iter().step_by(2).map(Frame::as_text).collect(),
        other => panic!("{:?}", other),
    }
}

/// Sets each directive with its own CONFIG SET, which must succeed.
fn set_all(raw: &mut Raw, pairs: &[(&str, &str)]) {
    for (name, value) in pairs {
        assert_eq!(
            raw.cmd(&["CONFIG", "SET", name, value]),
            ok(),
            "{} {}",
            name,
            value
        );
    }
}

/// A server with one directive changed by CONFIG SET.
fn server_after_set(name: &str, value: &str) -> TestServer {
    let server = TestServer::start();
    set_all(&mut server.raw(), &[(name, value)]);
    server
}

fn set_failed(name: &str, why: &str) -> Frame {
    err(&format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
        name, why
    ))
}

#[test]
fn get_returns_name_value_pairs() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let port = server.port.to_string();
    assert_eq!(raw.cmd(&["CONFIG", "GET", "port"]), bulks(&["port", &port]));
    assert_eq!(raw.cmd(&["CONFIG", "GET", "PORT"]), bulks(&["PORT", &port]));
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "port", "PORT"]),
        bulks(&["port", &port])
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "nomatch"]),
        Frame::Array(Some(vec![]))
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "slaveof", "replicaof", "bind"]),
        bulks(&["slaveof", "", "replicaof", "", "bind", "127.0.0.1"])
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "maxmemory-policy"]),
        bulks(&["maxmemory-policy", "noeviction"])
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "unixsocketperm"]),
        bulks(&["unixsocketperm", "0"])
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        bulks(&[
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        ])
    );
}

#[test]
fn get_patterns_match_names_and_aliases() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut found = names(raw.cmd(&["CONFIG", "GET", "maxmemory*"]));
    found.sort();
    assert_eq!(
        found,
        [
            "maxmemory",
            "maxmemory-clients",
            "maxmemory-eviction-tenacity",
            "maxmemory-policy",
            "maxmemory-samples"
        ]
    );
    let mut found = names(raw.cmd(&["CONFIG", "GET", "*max*ziplist*", "HASH-MAX-ZIPLIST-ENTRIES"]));
    found.sort();
    assert_eq!(
        found,
        [
            "hash-max-ziplist-entries",
            "hash-max-ziplist-value",
            "list-max-ziplist-size",
            "zset-max-ziplist-entries",
            "zset-max-ziplist-value"
        ]
    );
    let all = names(raw.cmd(&["CONFIG", "GET", "*"]));
    assert_eq!(
        all.len(),
        192,
        "every directive and alias but the hidden ones"
    );
    assert!(!all.iter().any(|n| n == "rdb-key-save-delay"));
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "rdb-key-save-delay"]),
        bulks(&["rdb-key-save-delay", "0"])
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "rdb-key*"]),
        Frame::Array(Some(vec![]))
    );
}

#[test]
fn set_errors_match_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let cases: Vec<(Vec<&str>, Frame)> = vec![
        (vec!["foo", "bar"], err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")),
        (vec!["port", "1", "hz"], err("ERR syntax error")),
        (vec!["daemonize", "no"], set_failed("daemonize", "can't set immutable config")),
        (vec!["DAEMONIZE", "no"], set_failed("DAEMONIZE", "can't set immutable config")),
        (vec!["slaveof", "h 1"], set_failed("slaveof", "can't set immutable config")),
        (vec!["PORT", "1", "port", "2"], set_failed("port", "duplicate parameter")),
        (vec!["foo", "1", "daemonize", "no"], err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")),
        (vec!["daemonize", "no", "foo", "1"], set_failed("daemonize", "can't set immutable config")),
        (vec!["maxmemory", "1x", "foo", "1"], err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")),
        (vec!["MAXMEMORY", "1x"], set_failed("maxmemory", "argument must be a memory value")),
        (vec!["hz", "abc"], set_failed("hz", "argument couldn't be parsed into an integer")),
        (vec!["timeout", "-1"], set_failed("timeout", "argument must be between 0 and 2147483647 inclusive")),
        (vec!["timeout", "+5"], set_failed("timeout", "argument couldn't be parsed into an integer")),
        (vec!["maxclients", "-1"], set_failed("maxclients", "argument must be between 1 and 4294967295 inclusive")),
        (vec!["proto-max-bulk-len", "18446744073709551615"], set_failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")),
        (vec!["maxmemory-clients", "101%"], set_failed("maxmemory-clients", "percentage argument must be less or equal to 100")),
        (vec!["maxmemory-clients", "-5"], set_failed("maxmemory-clients", "argument must be a memory or percent value")),
        (vec!["appendonly", "maybe"], set_failed("appendonly", "argument must be 'yes' or 'no'")),
        (vec!["loglevel", "loud"], set_failed("loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning")),
        (vec!["maxmemory-policy", "x"], set_failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")),
        (vec!["shutdown-on-sigint", "save nosave"], set_failed("shutdown-on-sigint", "shutdown options SAVE and NOSAVE can't be used simultaneously")),
        (vec!["save", "100 10 200"], set_failed("save", "Invalid save parameters")),
        (vec!["save", "0 1"], set_failed("save", "Invalid save parameters")),
        (vec!["notify-keyspace-events", "Q"], set_failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")),
        (vec!["client-output-buffer-limit", "master 1 1 1"], set_failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration.")),
        (vec!["client-output-buffer-limit", "normal 1 1 -1"], set_failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")),
        (vec!["oom-score-adj-values", "1 2 3000"], set_failed("oom-score-adj-values", "Invalid oom-score-adj-values, elements must be between -2000 and 2000.")),
        (vec!["latency-tracking-info-percentiles", "101"], set_failed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")),
        (vec!["latency-tracking-info-percentiles", "x"], set_failed("latency-tracking-info-percentiles", "Invalid latency-tracking-info-percentiles parameters")),
        (vec!["appendfilename", "x"], set_failed("appendfilename", "can't set immutable config")),
        (vec!["cluster-announce-hostname", "a_b"], set_failed("cluster-announce-hostname", "Hostnames may only contain alphanumeric characters, hyphens or dots")),
        (vec!["proc-title-template", "{nope}"], set_failed("proc-title-template", "template format is invalid or contains unknown variables")),
        (vec!["list-max-ziplist-size", "x"], set_failed("list-max-ziplist-size", "argument couldn't be parsed into an integer")),
        (
            vec!["activedefrag", "yes"],
            set_failed("activedefrag", "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"),
        ),
        (
            vec!["tls-port", "1234"],
            set_failed("tls-port", "Unable to update TLS configuration. Check server logs."),
        ),
    ];
    for (args, expected) in cases {
        let mut cmd = vec!["CONFIG", "SET"];
        cmd.extend(&args);
        assert_eq!(raw.cmd(&cmd), expected, "{:?}", args);
    }
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "port"]),
        err("ERR wrong number of arguments for 'config|set' command")
    );
    assert_eq!(
        raw.cmd(&["CONFIG"]),
        err("ERR wrong number of arguments for 'config' command")
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")
    );
}

#[test]
fn set_is_all_or_nothing() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&[
            "CONFIG",
            "SET",
            "hz",
            "20",
            "maxmemory",
            "1mb",
            "timeout",
            "x"
        ]),
        set_failed("timeout", "argument couldn't be parsed into an integer")
    );
    assert_eq!(config_get(&mut raw, "hz"), "10");
    assert_eq!(config_get(&mut raw, "maxmemory"), "0");
    assert_eq!(
        raw.cmd(&[
            "CONFIG",
            "SET",
            "hz",
            "20",
            "maxmemory",
            "1mb",
            "timeout",
            "3"
        ]),
        ok()
    );
    assert_eq!(config_get(&mut raw, "hz"), "20");
    assert_eq!(config_get(&mut raw, "maxmemory"), "1048576");
    assert_eq!(config_get(&mut raw, "timeout"), "3");
}

#[test]
fn aliases_share_the_value_but_are_distinct_names() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&[
            "CONFIG",
            "SET",
            "hash-max-ziplist-entries",
            "1",
            "hash-max-listpack-entries",
            "2"
        ]),
        ok()
    );
    assert_eq!(config_get(&mut raw, "hash-max-ziplist-entries"), "2");
    assert_eq!(raw.cmd(&["CONFIG", "SET", "lua-time-limit", "100"]), ok());
    assert_eq!(config_get(&mut raw, "busy-reply-threshold"), "100");
}

#[test]
fn values_print_like_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let cases: &[(&str, &str, &str)] = &[
        ("save", "100 10 200 20", "100 10 200 20"),
        ("save", "", ""),
        ("maxmemory", "1GB", "1073741824"),
        ("maxmemory", "", "0"),
        ("maxmemory", "99999999999999999999", "18446744073709551615"),
        ("maxmemory-clients", "10%", "10%"),
        ("maxmemory-clients", "0", "0"),
        ("notify-keyspace-events", "KEA", "AKE"),
        ("notify-keyspace-events", "Ex", "xE"),
        ("notify-keyspace-events", "", ""),
        ("shutdown-on-sigint", "now SAVE", "save now"),
        ("shutdown-on-sigint", "default", "default"),
        ("oom-score-adj", "relative", "yes"),
        (
            "client-output-buffer-limit",
            "pubsub 1mb 0 0",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 0 0",
        ),
        (
            "client-output-buffer-limit",
            "replica 1kb 1k 5",
            "normal 0 0 0 slave 1024 1000 5 pubsub 1048576 0 0",
        ),
        (
            "latency-tracking-info-percentiles",
            "50 99.99 100",
            "50 99.99 100",
        ),
        ("latency-tracking-info-percentiles", "", ""),
        ("oom-score-adj-values", "0 100 800", "0 100 800"),
        ("bind-source-addr", "", ""),
        ("list-max-listpack-size", "-5", "-5"),
        ("hz", "1000", "500"),
        ("hz", "0", "1"),
        ("requirepass", "", ""),
    ];
    for (name, value, shown) in cases {
        set_all(&mut raw, &[(name, value)]);
        assert_eq!(config_get(&mut raw, name), *shown, "{} {}", name, value);
    }
}

#[test]
fn protected_configs_need_enabling() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "dir", "/tmp"]),
        set_failed("dir", "can't set protected config")
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "dbfilename", "x.rdb"]),
        set_failed("dbfilename", "can't set protected config")
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "enable-protected-configs", "yes"]),
        set_failed("enable-protected-configs", "can't set immutable config")
    );
}

#[test]
fn dir_changes_the_working_directory() {
    let server = TestServer::start_with(&["--enable-protected-configs", "local"]);
    let mut raw = server.raw();
    let here = std::fs::canonicalize(server.dir.path()).expect("canonical dir");
    assert_eq!(config_get(&mut raw, "dir"), here.display().to_string());
    let sub = here.join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    let sub_text = sub.display().to_string();
    assert_eq!(raw.cmd(&["CONFIG", "SET", "dir", &sub_text]), ok());
    assert_eq!(config_get(&mut raw, "dir"), sub_text);
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "dir", "/nonexistent/x"]),
        set_failed("dir", "No such file or directory")
    );
    assert_eq!(
        raw.cmd(&[
            "CONFIG",
            "SET",
            "dir",
            &here.display().to_string(),
            "hz",
            "x"
        ]),
        set_failed("hz", "argument couldn't be parsed into an integer")
    );
    assert_eq!(
        config_get(&mut raw, "dir"),
        sub_text,
        "a failed SET changes back"
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "dbfilename", "a/b"]),
        set_failed("dbfilename", "dbfilename can't be a path, just a filename")
    );
    assert_eq!(raw.cmd(&["CONFIG", "SET", "dbfilename", "x.rdb"]), ok());
}

#[test]
fn timeout_closes_idle_clients() {
    let server = TestServer::start_with(&["--hz", "100"]);
    let mut admin = server.raw();
    let mut idle = server.raw();
    assert_eq!(idle.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(admin.cmd(&["CONFIG", "SET", "timeout", "1"]), ok());
    assert!(idle.is_closed(), "idle client closed after the timeout");
}

#[test]
fn maxclients_limits_new_connections() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxclients", "1"]), ok());
    let mut second = server.raw();
    assert_eq!(second.read(), err("ERR max number of clients reached"));
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxclients", "10"]), ok());
    let mut third = server.raw();
    assert_eq!(third.cmd(&["SET", "k", "v"]), ok());
}

#[test]
fn requirepass_applies_to_new_connections() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", "secret"]), ok());
    assert_eq!(config_get(&mut admin, "requirepass"), "secret");
    let mut other = server.raw();
    assert_eq!(
        other.cmd(&["GET", "k"]),
        err("NOAUTH Authentication required.")
    );
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", ""]), ok());
    assert_eq!(other.cmd(&["GET", "k"]), Frame::Bulk(None));
}

#[test]
fn proto_max_bulk_len_applies() {
    let server = server_after_set("proto-max-bulk-len", "1mb");
    let mut raw = server.raw();
    raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
    assert_eq!(raw.read(), err("ERR Protocol error: invalid bulk length"));
}

#[test]
fn client_query_buffer_limit_applies() {
    let server = server_after_set("client-query-buffer-limit", "1mb");
    let mut raw = server.raw();
    raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n");
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..2 {
        use std::io::Write;
        if raw.stream.get_mut().write_all(&chunk).is_err() {
            break;
        }
    }
    assert!(raw.is_closed());
}

#[test]
fn port_change_moves_the_listener() {
    let mut server = TestServer::start();
    let mut admin = server.raw();
    let old = server.port;
    let new = free_port();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "port", &new.to_string()]),
        ok()
    );
    server.port = new;
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v"]), ok());
    assert!(std::net::TcpStream::connect(("127.0.0.1", old)).is_err());
    assert_eq!(config_get(&mut admin, "port"), new.to_string());
}

#[test]
fn busy_port_is_refused_and_old_port_kept() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy_port = busy.local_addr().map(|a| a.port()).unwrap_or(0).to_string();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "port", &busy_port]),
        set_failed("port", "Unable to listen on this port. Check server logs.")
    );
    assert_eq!(config_get(&mut admin, "port"), server.port.to_string());
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v"]), ok());
}

#[test]
fn bind_change_and_failure() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -::1"]),
        ok()
    );
    assert_eq!(config_get(&mut admin, "bind"), "127.0.0.1 -::1");
    assert_eq!(server.raw().cmd(&["SET", "k", "v"]), ok());
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "bind", "192.0.2.1"]),
        set_failed("bind", "Failed to bind to specified addresses.")
    );
    assert_eq!(config_get(&mut admin, "bind"), "127.0.0.1 -::1");
    assert_eq!(server.raw().cmd(&["SET", "k", "v"]), ok());
}

#[test]
fn loglevel_takes_effect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log.txt");
    let log_arg = log.display().to_string();
    let server = start_in(
        dir,
        None,
        &["--hz", "100", "--timeout", "1", "--logfile", &log_arg],
    );
    let closed = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("Closing idle client")
            .count()
    };
    assert!(server.raw().is_closed(), "idle client closed");
    assert_eq!(closed(), 0, "verbose lines hidden at notice level");
    assert_eq!(
        server.raw().cmd(&["CONFIG", "SET", "loglevel", "verbose"]),
        ok()
    );
    assert!(server.raw().is_closed());
    assert!(wait_for(Duration::from_secs(5), || closed() >= 1));
}

#[test]
fn help_lists_subcommands() {
    let server = TestServer::start();
    let lines: Vec<Frame> = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ]
    .iter()
    .map(|l| Frame::Simple(l.to_string()))
    .collect();
    assert_eq!(
        server.raw().cmd(&["CONFIG", "HELP"]),
        Frame::Array(Some(lines))
    );
}

#[test]
fn resetstat_replies_ok() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(raw.cmd(&["CONFIG", "RESETSTAT"]), ok());
    assert_eq!(
        raw.cmd(&["CONFIG", "RESETSTAT", "x"]),
        err("ERR wrong number of arguments for 'config|resetstat' command")
    );
}

#[test]
fn rewrite_needs_a_config_file() {
    let server = TestServer::start();
    assert_eq!(
        server.raw().cmd(&["CONFIG", "REWRITE"]),
        err("ERR The server is running without a config file")
    );
}

const ORIGINAL: &str = "# my config
save 100 1
save 200 2

hash-max-ziplist-entries 100
list-max-ziplist-entries 5
maxmemory 10mb
include INC
maxmemory 20mb
loglevel notice
";

#[test]
fn rewrite_keeps_the_file_shape_like_redis() {
    let (dir, path) = conf_dir("");
    let inc = dir.path().join("inc.conf");
    std::fs::write(&inc, "timeout 5\n").ok();
    let inc_text = inc.display().to_string();
    std::fs::write(&path, ORIGINAL.replace("INC", &inc_text)).ok();
    let dir_text = std::fs::canonicalize(dir.path())
        .expect("canonical")
        .display()
        .to_string();
    let server = start_in(dir, Some(&path), &[]);
    let mut raw = server.raw();
    set_all(
        &mut raw,
        &[
            ("save", ""),
            ("maxmemory", "0"),
            ("hash-max-listpack-entries", "512"),
            ("notify-keyspace-events", "KEA"),
            ("loglevel", "warning"),
            ("maxmemory-clients", "5%"),
            ("client-output-buffer-limit", "pubsub 1mb 0 0"),
        ],
    );
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE"]), ok());
    let expected = format!(
        "# my config
save \"\"

hash-max-listpack-entries 512
# ??? list-max-ziplist-entries 5
maxmemory 0
include {inc}

loglevel warning

# Generated by CONFIG REWRITE
port {port}
timeout 5
maxmemory-clients 5%
dir \"{dir}\"
client-output-buffer-limit pubsub 1mb 0 0
notify-keyspace-events \"AKE\"
bind 127.0.0.1
latency-tracking-info-percentiles 50 99 99.9
user default on nopass ~* &* +@all
",
        inc = inc_text,
        port = server.port,
        dir = dir_text
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), expected);

    assert_eq!(
        raw.cmd(&[
            "CONFIG",
            "SET",
            "requirepass",
            "a b\"c",
            "maxmemory-clients",
            "0"
        ]),
        ok()
    );
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE"]), ok());
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text.contains("\nmaxmemory-clients 0\n"),
        "existing lines are rewritten even at default"
    );
    assert!(text.contains("\nuser default on #0c13a69ba69e1b7cc515a470879bf69f0d5d2d14b6802a3c0ac678076353fd18 ~* &* +@all\n"));
    assert!(
        text.ends_with("\n\nrequirepass \"a b\\\"c\"\nclient-output-buffer-limit pubsub 1mb 0 0\n"),
        "{}",
        text
    );
    assert!(
        text.contains("\nclient-output-buffer-limit normal 0 0 0\n"),
        "classes reuse old lines in order"
    );
}

#[test]
fn rewritten_file_restarts_with_the_same_values() {
    let (dir, path) = conf_dir("maxmemory 10mb\n");
    let server = start_in(dir, Some(&path), &[]);
    let mut raw = server.raw();
    set_all(
        &mut raw,
        &[
            ("maxmemory", "3mb"),
            ("save", "10 1 20 2"),
            ("shutdown-on-sigterm", "force now"),
            ("bind", "127.0.0.1 -::1"),
            ("latency-tracking-info-percentiles", ""),
            ("maxmemory-policy", "allkeys-lfu"),
        ],
    );
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE"]), ok());
    let before = raw.cmd(&["CONFIG", "GET", "*"]);
    let again = start_in(
        tempfile::tempdir().expect("tempdir"),
        Some(&path),
        &["--bind", "127.0.0.1 -::1"],
    );
    let after = again.raw().cmd(&["CONFIG", "GET", "*"]);
    let pairs = |f: Frame| -> Vec<(String, String)> {
        match f {
            Frame::Array(Some(items)) => items
                .chunks(2)
                .map(|p| (p[0].as_text(), p[1].as_text()))
                .filter(|(n, _)| n != "port" && n != "dir")
                .collect(),
            _ => Vec::new(),
        }
    };
    assert_eq!(pairs(before), pairs(after));
}

#[test]
fn rewrite_failure_is_reported() {
    let (dir, path) = conf_dir("hz 10\n");
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).ok();
    let conf = sub.join("r.conf");
    std::fs::rename(&path, &conf).ok();
    let server = start_in(dir, Some(&conf), &[]);
    std::fs::remove_file(&conf).ok();
    std::fs::remove_dir(&sub).ok();
    assert_eq!(
        server.raw().cmd(&["CONFIG", "REWRITE"]),
        err("ERR Rewriting config file: No such file or directory")
    );
}

#[test]
fn debug_config_rewrite_force_all_writes_every_directive() {
    let (dir, path) = conf_dir("hz 15\n");
    let server = common::start::start_logged_from(dir, Some(&path), &[]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["DEBUG", "CONFIG-REWRITE-FORCE-ALL"]), ok());
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text.starts_with("hz 15\n\n# Generated by CONFIG REWRITE\n"),
        "{text}"
    );
    for default in [
        "\nactiverehashing yes\n",
        "\ntimeout 0\n",
        "\nmaxmemory 0\n",
        "\nappendonly no\n",
    ] {
        assert!(text.contains(default), "{default:?} missing from {text}");
    }
    let before = raw.cmd(&["CONFIG", "GET", "*"]);
    let again_dir = tempfile::tempdir().expect("tempdir");
    let again_conf = again_dir.path().join("redis.conf");
    std::fs::copy(&path, &again_conf).expect("copy config");
    let again = common::start::start_logged_from(again_dir, Some(&again_conf), &[]);
    let after = again.raw().cmd(&["CONFIG", "GET", "*"]);
    let pairs = |f: Frame| -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = match f {
            Frame::Array(Some(items)) => items
                .chunks(2)
                .map(|p| (p[0].as_text(), p[1].as_text()))
                .filter(|(n, _)| !["port", "dir", "logfile"].contains(&n.as_str()))
                .collect(),
            _ => Vec::new(),
        };
        pairs.sort();
        pairs
    };
    let before = pairs(before);
    assert!(before.len() > 150);
    assert_eq!(before, pairs(after));
}

/// `oom-score-adj` writes the process's OOM score by role, relative to
/// the score it started with (or absolute), and puts it back when off.
#[test]
fn oom_score_adj_follows_the_role_and_is_restored() {
    let s = TestServer::start();
    let mut r = s.raw();
    let pid = common::info_int(&common::info(&mut r, &["server"]), "process_id");
    let score = || -> i64 {
        std::fs::read_to_string(format!("/proc/{pid}/oom_score_adj"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(i64::MIN)
    };
    let base = score();
    let set = |r: &mut Raw, args: &[&str]| {
        let mut all = vec!["CONFIG", "SET"];
        all.extend_from_slice(args);
        assert_eq!(r.cmd(&all), ok());
    };
    set(&mut r, &["oom-score-adj-values", "10 20 30"]);
    assert_eq!(score(), base, "untouched while off");
    set(&mut r, &["oom-score-adj", "yes"]);
    assert_eq!(score(), base + 10);
    assert_eq!(r.cmd(&["REPLICAOF", "localhost", "1"]), ok());
    assert_eq!(score(), base + 20);
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), ok());
    assert_eq!(score(), base + 10);
    set(&mut r, &["oom-score-adj", "absolute"]);
    assert_eq!(score(), 10);
    set(&mut r, &["oom-score-adj", "no"]);
    assert_eq!(score(), base);
}
