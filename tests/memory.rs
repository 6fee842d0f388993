//! MEMORY against the real binary: USAGE estimates for every type grow
//! with the value and favour the compact encodings, its option errors,
//! the STATS map, DOCTOR's report, MALLOC-STATS, PURGE and HELP, with the
//! reply types Redis 7.0.15 uses; and freed memory going back to the
//! system.

mod common;

use common::{all_text, info_field, wait_for, Frame, Raw, TestServer};
use std::time::Duration;

fn usage(r: &mut Raw, key: &str) -> i64 {
    match r.cmd(&["MEMORY", "USAGE", key]) {
        Frame::Int(n) => n,
        other => panic!("MEMORY USAGE {key}: {other:?}"),
    }
}

/// Fills `key` with `n` elements through `cmd` (one element per call,
/// each element numbered and padded to `width` bytes).
fn fill(r: &mut Raw, cmd: &[&str], key: &str, n: usize, width: usize) {
    for i in 0..n {
        let elem = format!("{i:0width$}");
        let mut args: Vec<&str> = vec![cmd[0], key];
        args.extend_from_slice(&cmd[1..]);
        args.push(&elem);
        r.cmd(&args);
    }
}

#[test]
fn usage_grows_with_every_type() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "small", "x"]);
    r.cmd(&["SET", "big", &"x".repeat(10_000)]);
    assert!(usage(&mut r, "small") > 0);
    assert!(usage(&mut r, "big") > 10_000);
    let families: [&[&str]; 6] = [
        &["RPUSH"],
        &["SADD"],
        &["HSET", "f"],
        &["ZADD", "1"],
        &["XADD", "*", "f"],
        &["LPUSH"],
    ];
    for (i, cmd) in families.iter().enumerate() {
        let (few, many) = (format!("few{i}"), format!("many{i}"));
        // HSET with a fixed field overwrites: give each element its own field.
        if cmd[0] == "HSET" {
            for n in 0..3 {
                r.cmd(&["HSET", &few, &format!("f{n}"), "v"]);
            }
            for n in 0..500 {
                r.cmd(&["HSET", &many, &format!("f{n}"), &"v".repeat(20)]);
            }
        } else {
            fill(&mut r, cmd, &few, 3, 4);
            fill(&mut r, cmd, &many, 500, 24);
        }
        let (a, b) = (usage(&mut r, &few), usage(&mut r, &many));
        // 497 more elements of at least 20 bytes each.
        assert!(a > 0 && b - a > 497 * 20, "{cmd:?}: {a} vs {b}");
    }
}

#[test]
fn compact_encodings_are_smaller() {
    let s = TestServer::start();
    let mut r = s.raw();
    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "hash-max-listpack-entries",
            "h",
            &["HSET", "h", "a", "1", "b", "2", "c", "3"],
        ),
        (
            "set-max-intset-entries",
            "s",
            &["SADD", "s", "1", "2", "3", "4"],
        ),
        (
            "zset-max-listpack-entries",
            "z",
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        ),
    ];
    for (config, key, add) in cases {
        r.cmd(add);
        let compact = usage(&mut r, key);
        r.cmd(&["DEL", key]);
        r.cmd(&["CONFIG", "SET", config, "0"]);
        r.cmd(add);
        let table = usage(&mut r, key);
        assert!(compact < table, "{key}: {compact} vs {table}");
    }
}

#[test]
fn usage_options_and_missing_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(r.cmd(&["MEMORY", "USAGE", "nokey"]), Frame::Bulk(None));
    assert!(matches!(r.cmd(&["MEMORY", "USAGE", "k", "SAMPLES", "0"]), Frame::Int(n) if n > 0));
    let syntax = Frame::Error("ERR syntax error".into());
    assert_eq!(r.cmd(&["MEMORY", "USAGE", "k", "SAMPLES"]), syntax);
    assert_eq!(r.cmd(&["MEMORY", "USAGE", "k", "SAMPLES", "-1"]), syntax);
    assert_eq!(r.cmd(&["MEMORY", "USAGE", "k", "FOO", "1"]), syntax);
    assert_eq!(
        r.cmd(&["MEMORY", "USAGE", "k", "SAMPLES", "x"]),
        Frame::Error("ERR value is not an integer or out of range".into())
    );
    // Sampling every element of a table measures them all.
    for i in 0..200 {
        r.cmd(&["SADD", "set", &format!("{i}{}", "m".repeat(i))]);
    }
    let sampled = usage(&mut r, "set");
    let Frame::Int(all) = r.cmd(&["MEMORY", "USAGE", "set", "SAMPLES", "0"]) else {
        panic!("no integer");
    };
    assert!(all > sampled, "{all} vs {sampled}");
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "MEMORY", "USAGE", "k"]),
        Frame::Array(Some(vec![Frame::bulk("k")]))
    );
}

#[test]
fn stats_is_a_map_with_databases_that_have_keys() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["SELECT", "3"]);
    r.cmd(&["SET", "b", "1"]);
    let Frame::Array(Some(items)) = r.cmd(&["MEMORY", "STATS"]) else {
        panic!("not an array");
    };
    assert_eq!(items.len(), 2 * 29);
    let names: Vec<String> = items.iter().step_by(2).map(Frame::as_text).collect();
    assert_eq!(names[0], "peak.allocated");
    assert_eq!(names[10], "db.0");
    assert_eq!(names[11], "db.3");
    assert_eq!(names[13], "keys.count");
    assert_eq!(items[27], Frame::Int(2));
    assert_eq!(
        names.last().map(String::as_str),
        Some("fragmentation.bytes")
    );
    r.cmd(&["HELLO", "3"]);
    let Frame::Typed(b'%', items) = r.cmd(&["MEMORY", "STATS"]) else {
        panic!("not a map");
    };
    let perc = items
        .iter()
        .position(|f| f.as_text() == "dataset.percentage");
    let value = perc.and_then(|i| items.get(i + 1));
    assert!(matches!(value, Some(Frame::Line(b',', _))), "{value:?}");
}

#[test]
fn doctor_malloc_stats_purge_and_help() {
    let s = TestServer::start();
    let mut r = s.raw();
    let report = r.cmd(&["MEMORY", "DOCTOR"]).as_text();
    assert!(
        report.starts_with("Hi Sam, this instance is empty"),
        "{report}"
    );
    assert_eq!(
        r.cmd(&["MEMORY", "MALLOC-STATS"]),
        Frame::bulk("Stats not supported for the current allocator")
    );
    assert_eq!(r.cmd(&["MEMORY", "PURGE"]), Frame::Simple("OK".into()));
    let Frame::Array(Some(help)) = r.cmd(&["MEMORY", "HELP"]) else {
        panic!("help is not an array");
    };
    assert_eq!(help.len(), 14);
    assert_eq!(
        help[0].as_text(),
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(
        r.cmd(&["MEMORY", "FOO"]),
        Frame::Error("ERR unknown subcommand 'FOO'. Try MEMORY HELP.".into())
    );
    r.cmd(&["HELLO", "3"]);
    let doctor = r.cmd(&["MEMORY", "DOCTOR"]);
    assert!(
        matches!(&doctor, Frame::Line(b'=', text) if text.starts_with("txt:Hi Sam")),
        "{doctor:?}"
    );
    // Subcommands are listed in Redis's order.
    let info = all_text(&r.cmd(&["COMMAND", "INFO", "MEMORY"]));
    let order: Vec<usize> = ["malloc-stats", "purge", "stats", "usage", "help", "doctor"]
        .iter()
        .map(|name| info.find(&format!("memory|{name}")).expect(name))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{info}");
}

#[test]
fn an_evicting_policy_makes_room_instead_of_refusing() {
    let srv = TestServer::start_with(&[
        "--maxmemory",
        "20mb",
        "--maxmemory-policy",
        "allkeys-lru",
        "--logfile",
        "server.log",
    ]);
    let mut r = srv.raw();
    let value = "x".repeat(1 << 20);
    for i in 0..40 {
        assert_eq!(r.cmd(&["SET", &format!("k{}", i), &value]), common::ok());
    }
    let kept = common::int_of(r.cmd(&["DBSIZE"]));
    assert!((5..25).contains(&kept), "{kept} keys kept");
    let evicted = common::info_int(&common::info(&mut r, &["stats"]), "evicted_keys");
    assert_eq!(evicted + kept, 40);
    assert_eq!(r.cmd(&["GET", "k39"]).as_text().len(), 1 << 20);
    let log = std::fs::read_to_string(srv.path("server.log")).unwrap_or_default();
    assert!(!log.contains("not implemented"), "{}", log);
}

fn rss(r: &mut Raw) -> u64 {
    let text = info_field(r, "memory", "used_memory_rss");
    text.parse()
        .unwrap_or_else(|_| panic!("used_memory_rss: {text:?}"))
}

/// What a FLUSHALL frees goes back to the system within seconds once the
/// server is quiet, as Redis's allocator gives it back: the process
/// shrinks to near its size before the load, with no MEMORY PURGE.
#[test]
fn freed_memory_goes_back_to_the_system_when_quiet() {
    let s = TestServer::start();
    let mut r = s.raw();
    let before = rss(&mut r);
    r.cmd(&["DEBUG", "POPULATE", "200000", "key", "200"]);
    let loaded = rss(&mut r);
    assert!(loaded > before + (40 << 20), "{before} -> {loaded}");
    assert_eq!(r.cmd(&["FLUSHALL"]), Frame::Simple("OK".into()));
    let limit = before + (16 << 20);
    assert!(
        wait_for(Duration::from_secs(10), || rss(&mut r) < limit),
        "RSS still {} after the flush (loaded {loaded}, limit {limit})",
        rss(&mut r)
    );
}

/// A burst of connections that each used a large query buffer leaves no
/// lasting growth once they are gone.
#[test]
fn memory_of_closed_connections_goes_back_to_the_system() {
    let s = TestServer::start();
    let mut r = s.raw();
    let before = rss(&mut r);
    let value = "x".repeat(60_000);
    let mut burst: Vec<Raw> = (0..400).map(|_| s.raw()).collect();
    for c in &mut burst {
        c.send_cmd(&["SET", "k", &value[..59_000]]);
        c.send(
            format!(
                "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$60000\r\n{}",
                &value[..30_000]
            )
            .as_bytes(),
        );
    }
    for c in &mut burst {
        assert_eq!(c.read(), Frame::Simple("OK".into()));
    }
    let peak = rss(&mut r);
    assert!(peak > before + (20 << 20), "{before} -> {peak}");
    drop(burst);
    let limit = before + (8 << 20);
    assert!(
        wait_for(Duration::from_secs(10), || rss(&mut r) < limit),
        "RSS still {} after the burst (peak {peak}, limit {limit})",
        rss(&mut r)
    );
}
