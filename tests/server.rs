//! Server and introspection commands: INFO, COMMAND, TIME, LASTSAVE,
//! SHUTDOWN, MONITOR, SLOWLOG, LATENCY, FUNCTION FLUSH, SCRIPT KILL and
//! FUNCTION KILL (no script running) and DEBUG, checked
//! against the replies Redis 7.0.15 gives.

mod common;

use common::{bulk_text, err, info, info_value, items, ok, texts, Frame, Raw, TestServer};
use std::time::Duration;

fn headers(text: &str) -> Vec<String> {
    text.split("\r\n")
        .filter(|l| l.starts_with("# "))
        .map(|l| l[2..].to_string())
        .collect()
}

// ---------------------------------------------------------------- INFO

#[test]
fn info_default_all_and_single_sections() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let text = info(&mut r, &[]);
    assert_eq!(
        headers(&text),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    assert!(text.ends_with("\r\n"));
    assert!(
        text.split("\r\n\r\n").count() == 11,
        "blank line between sections"
    );
    assert_eq!(
        info_value(&text, "redis_version").as_deref(),
        Some("7.0.15")
    );
    assert_eq!(info_value(&text, "tcp_port"), Some(srv.port.to_string()));
    assert_eq!(
        info_value(&text, "process_id"),
        Some(srv.child.id().to_string())
    );
    assert_eq!(info_value(&text, "run_id").map(|s| s.len()), Some(40));
    assert_eq!(info_value(&text, "mem_allocator").as_deref(), Some("libc"));
    assert_eq!(info_value(&text, "role").as_deref(), Some("master"));
    assert_eq!(info_value(&text, "connected_slaves").as_deref(), Some("0"));
    assert_eq!(info_value(&text, "cluster_enabled").as_deref(), Some("0"));
    assert!(!text.contains("rejected_calls"));
    assert_eq!(
        info(&mut r, &["default"]).lines().count(),
        text.lines().count()
    );

    let all = info(&mut r, &["all"]);
    assert!(headers(&all).contains(&"Commandstats".to_string()));
    assert!(headers(&all).contains(&"Latencystats".to_string()));
    assert!(all.contains("cmdstat_info:calls=2,"));
    assert_eq!(headers(&info(&mut r, &["everything"])), headers(&all));

    let cpu = info(&mut r, &["cpu"]);
    assert_eq!(headers(&cpu), ["CPU"]);
    for f in [
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_children",
        "used_cpu_user_children",
        "used_cpu_sys_main_thread",
        "used_cpu_user_main_thread",
    ] {
        let v = info_value(&cpu, f).unwrap_or_else(|| panic!("{} missing", f));
        let (secs, micros) = v.split_once('.').expect("sec.usec");
        assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{}", v);
    }
    assert_eq!(headers(&info(&mut r, &["commandSTATS"])), ["Commandstats"]);
    assert_eq!(info(&mut r, &["nosuchsection"]), "");
    let mixed = info(&mut r, &["cpu", "all"]);
    assert_eq!(mixed.matches("used_cpu_user_children").count(), 1);
    assert_eq!(
        headers(&info(&mut r, &["keyspace", "server"])),
        ["Server", "Keyspace"]
    );
}

#[test]
fn info_memory_and_persistence_fields() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let text = info(&mut r, &["memory"]);
    let used: u64 = info_value(&text, "used_memory").unwrap().parse().unwrap();
    let peak: u64 = info_value(&text, "used_memory_peak")
        .unwrap()
        .parse()
        .unwrap();
    assert!(used > 0 && peak >= used);
    let rss: u64 = info_value(&text, "used_memory_rss")
        .unwrap()
        .parse()
        .unwrap();
    assert!(rss > 0);
    let human = info_value(&text, "used_memory_human").unwrap();
    assert!(human.ends_with('K') || human.ends_with('M'), "{}", human);
    assert!(info_value(&text, "used_memory_peak_perc")
        .unwrap()
        .ends_with('%'));
    assert_eq!(
        info_value(&text, "maxmemory_policy").as_deref(),
        Some("noeviction")
    );
    assert_eq!(info_value(&text, "maxmemory_human").as_deref(), Some("0B"));

    assert_eq!(r.cmd(&["SET", "a", "1"]), ok());
    assert_eq!(r.cmd(&["SET", "b", "2"]), ok());
    let p = info(&mut r, &["persistence"]);
    assert_eq!(
        info_value(&p, "rdb_changes_since_last_save").as_deref(),
        Some("2")
    );
    assert_eq!(
        info_value(&p, "rdb_last_bgsave_status").as_deref(),
        Some("ok")
    );
    assert_eq!(info_value(&p, "aof_enabled").as_deref(), Some("0"));
    let Frame::Int(lastsave) = r.cmd(&["LASTSAVE"]) else {
        panic!("LASTSAVE is an integer")
    };
    assert_eq!(
        info_value(&p, "rdb_last_save_time"),
        Some(lastsave.to_string())
    );
}

#[test]
fn info_keyspace_and_stats_counters() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["CONFIG", "RESETSTAT"]), ok());
    assert_eq!(info(&mut r, &["keyspace"]), "# Keyspace\r\n");
    r.cmd(&["SET", "k1", "v"]);
    r.cmd(&["SET", "k2", "v", "EX", "1000"]);
    let ks = info(&mut r, &["keyspace"]);
    assert_eq!(
        info_value(&ks, "db0").as_deref(),
        Some("keys=2,expires=1,avg_ttl=0")
    );
    r.cmd(&["GET", "k1"]);
    r.cmd(&["GET", "missing"]);
    let stats = info(&mut r, &["stats"]);
    assert_eq!(info_value(&stats, "keyspace_hits").as_deref(), Some("1"));
    assert_eq!(info_value(&stats, "keyspace_misses").as_deref(), Some("1"));
    assert_eq!(
        info_value(&stats, "total_commands_processed").as_deref(),
        Some("7")
    );
    // CONFIG RESETSTAT zeroed it after this connection was made.
    assert_eq!(
        info_value(&stats, "total_connections_received").as_deref(),
        Some("0")
    );
    let clients = info(&mut r, &["clients"]);
    assert_eq!(
        info_value(&clients, "connected_clients").as_deref(),
        Some("1")
    );
    assert_eq!(info_value(&clients, "maxclients").as_deref(), Some("10000"));
}

#[test]
fn info_commandstats_and_errorstats() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.cmd(&["SET", "k1", "v1"]);
    r.cmd(&["SET", "k2", "v2"]);
    assert_eq!(
        r.cmd(&["SET", "k"]),
        err("ERR wrong number of arguments for 'set' command")
    );
    r.cmd(&["asdf"]);
    r.cmd(&["COMMAND", "COUNT"]);
    let text = info(&mut r, &["commandstats"]);
    let set = info_value(&text, "cmdstat_set").unwrap();
    assert!(set.starts_with("calls=2,usec="), "{}", set);
    assert!(set.contains(",usec_per_call="));
    assert!(set.ends_with(",rejected_calls=1,failed_calls=0"), "{}", set);
    assert!(info_value(&text, "cmdstat_command|count")
        .unwrap()
        .starts_with("calls=1,"));
    assert!(info_value(&text, "cmdstat_get").is_none());
    let errors = info(&mut r, &["errorstats"]);
    assert_eq!(errors, "# Errorstats\r\nerrorstat_ERR:count=2\r\n");
    let stats = info(&mut r, &["stats"]);
    assert_eq!(
        info_value(&stats, "total_error_replies").as_deref(),
        Some("2")
    );
}

#[test]
fn info_latencystats_percentiles() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.cmd(&["SET", "a", "b"]);
    let text = info(&mut r, &["latencystats"]);
    let line = info_value(&text, "latency_percentiles_usec_set").unwrap();
    let parts: Vec<&str> = line.split(',').collect();
    assert_eq!(parts.len(), 3, "{}", line);
    for (part, label) in parts.iter().zip(["p50=", "p99=", "p99.9="]) {
        let value = part.strip_prefix(label).expect(label);
        assert_eq!(value.split('.').nth(1).map(str::len), Some(3), "{}", value);
    }

    let srv = TestServer::start_with(&["--latency-tracking-info-percentiles", "0 50 100"]);
    let mut r = srv.raw();
    r.cmd(&["SET", "a", "b"]);
    let line = info_value(
        &info(&mut r, &["latencystats"]),
        "latency_percentiles_usec_set",
    )
    .unwrap();
    assert!(line.starts_with("p0=") && line.contains(",p50=") && line.contains(",p100="));

    let srv = TestServer::start_with(&["--latency-tracking", "no"]);
    let mut r = srv.raw();
    r.cmd(&["SET", "a", "b"]);
    assert_eq!(info(&mut r, &["latencystats"]), "# Latencystats\r\n");
}

// ---------------------------------------------------------------- COMMAND

/// The key specs whose flags need explaining carry the notes Redis 7.0.15
/// gives them: the first key spec of each command is an 8-entry map, notes
/// first.
#[test]
fn command_info_key_specs_carry_their_notes() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let cases = [
        ("set", "RW and ACCESS due to the optional `GET` argument"),
        ("getex", "RW and UPDATE because it changes the TTL"),
        (
            "bitfield",
            "This command allows both access and modification of the key",
        ),
        (
            "xadd",
            "UPDATE instead of INSERT because of the optional trimming feature",
        ),
    ];
    for (command, notes) in cases {
        let info = items(items(r.cmd(&["COMMAND", "INFO", command])).remove(0));
        let spec = items(items(info[8].clone()).remove(0));
        assert_eq!(spec.len(), 8, "{command}: {spec:?}");
        assert_eq!(spec[0], Frame::bulk("notes"), "{command}");
        assert_eq!(spec[1], Frame::bulk(notes), "{command}");
    }
}

#[test]
fn command_info_shape() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let get = items(r.cmd(&["COMMAND", "INFO", "get"]));
    let get = items(get.into_iter().next().unwrap());
    assert_eq!(get.len(), 10);
    assert_eq!(get[0], Frame::bulk("get"));
    assert_eq!(get[1], Frame::Int(2));
    assert_eq!(texts(get[2].clone()), ["readonly", "fast"]);
    assert_eq!(&get[3..6], &[Frame::Int(1), Frame::Int(1), Frame::Int(1)]);
    assert_eq!(texts(get[6].clone()), ["@read", "@string", "@fast"]);
    assert_eq!(get[7], Frame::Array(Some(vec![])));
    let spec = items(items(get[8].clone()).remove(0));
    assert_eq!(spec[0], Frame::bulk("flags"));
    assert_eq!(texts(spec[1].clone()), ["RO", "access"]);
    assert_eq!(spec[2], Frame::bulk("begin_search"));
    let begin = items(spec[3].clone());
    assert_eq!(
        &begin[..3],
        &[
            Frame::bulk("type"),
            Frame::bulk("index"),
            Frame::bulk("spec")
        ]
    );
    assert_eq!(
        items(begin[3].clone()),
        [Frame::bulk("index"), Frame::Int(1)]
    );
    assert_eq!(spec[4], Frame::bulk("find_keys"));
    let find = items(spec[5].clone());
    assert_eq!(find[1], Frame::bulk("range"));
    assert_eq!(
        items(find[3].clone()),
        [
            Frame::bulk("lastkey"),
            Frame::Int(0),
            Frame::bulk("keystep"),
            Frame::Int(1),
            Frame::bulk("limit"),
            Frame::Int(0)
        ]
    );
    assert_eq!(get[9], Frame::Array(Some(vec![])));

    assert_eq!(
        r.cmd(&["COMMAND", "INFO", "nosuch", "get|key", "config|get|key"]),
        Frame::Array(Some(vec![
            Frame::Bulk(None),
            Frame::Bulk(None),
            Frame::Bulk(None)
        ]))
    );
    let slowlog = items(items(r.cmd(&["COMMAND", "INFO", "slowlog"])).remove(0));
    let subs = items(slowlog[9].clone());
    let names: Vec<String> = subs.into_iter().map(|s| bulk_text(&items(s)[0])).collect();
    assert!(names.contains(&"slowlog|get".to_string()), "{:?}", names);
    let sub = items(items(r.cmd(&["COMMAND", "INFO", "SLOWLOG|GET"])).remove(0));
    assert_eq!(sub[0], Frame::bulk("slowlog|get"));
    assert_eq!(sub[1], Frame::Int(-2));
}

#[test]
fn command_count_list_and_all() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let Frame::Int(count) = r.cmd(&["COMMAND", "COUNT"]) else {
        panic!("count is an integer")
    };
    assert_eq!(items(r.cmd(&["COMMAND"])).len() as i64, count);
    assert_eq!(items(r.cmd(&["COMMAND", "INFO"])).len() as i64, count);
    let list = texts(r.cmd(&["COMMAND", "LIST"]));
    assert!(list.contains(&"set".into()) && list.contains(&"command|list".into()));
    assert!(list.len() as i64 > count);
    assert_eq!(
        texts(r.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "set"])),
        ["set"]
    );
    let slow = texts(r.cmd(&["COMMAND", "LIST", "FILTERBY", "pattern", "slowlog*"]));
    assert!(slow.contains(&"slowlog".into()) && slow.contains(&"slowlog|reset".into()));
    let help = texts(r.cmd(&["COMMAND", "LIST", "FILTERBY", "pattern", "*|help"]));
    assert!(help.contains(&"command|help".into()) && help.contains(&"latency|help".into()));
    let strings = texts(r.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"]));
    assert!(strings.contains(&"get".into()) && !strings.contains(&"info".into()));
    assert!(texts(r.cmd(&["COMMAND", "LIST", "FILTERBY", "aclcat", "nonexisting"])).is_empty());
    assert!(texts(r.cmd(&["COMMAND", "LIST", "FILTERBY", "module", "x"])).is_empty());
    for bad in [
        &["COMMAND", "LIST", "bad_arg"][..],
        &["COMMAND", "LIST", "FILTERBY", "bad_arg"],
        &["COMMAND", "LIST", "FILTERBY", "bad_arg", "x"],
    ] {
        assert_eq!(r.cmd(bad), err("ERR syntax error"));
    }
}

#[test]
fn command_docs_shape() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let docs = items(r.cmd(&["COMMAND", "DOCS", "get", "nosuch"]));
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0], Frame::bulk("get"));
    let fields = texts(docs[1].clone());
    assert_eq!(fields[0], "summary");
    assert_eq!(
        &fields[2..],
        ["since", "1.0.0", "group", "string", "complexity", "O(1)"]
    );
    let docs = items(r.cmd(&["COMMAND", "DOCS", "slowlog"]));
    let fields = items(docs[1].clone());
    assert_eq!(fields[8], Frame::bulk("subcommands"));
    let subs = items(fields[9].clone());
    assert!(subs.contains(&Frame::bulk("slowlog|get")));
    // MONITOR has no complexity: the field is left out.
    let monitor = texts(items(r.cmd(&["COMMAND", "DOCS", "monitor"]))[1].clone());
    assert!(!monitor.contains(&"complexity".to_string()));
    assert_eq!(items(r.cmd(&["COMMAND", "DOCS", "nosuch"])).len(), 0);
}

#[test]
fn command_getkeys_and_flags() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(texts(r.cmd(&["COMMAND", "GETKEYS", "get", "key"])), ["key"]);
    assert_eq!(
        texts(r.cmd(&["COMMAND", "GETKEYS", "lcs", "key1", "key2"])),
        ["key1", "key2"]
    );
    assert_eq!(
        texts(r.cmd(&["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"])),
        ["a", "b"]
    );
    let flags = |r: &mut Raw, args: &[&str]| -> Vec<(String, Vec<String>)> {
        let mut cmd = vec!["COMMAND", "GETKEYSANDFLAGS"];
        cmd.extend_from_slice(args);
        items(r.cmd(&cmd))
            .into_iter()
            .map(|pair| {
                let pair = items(pair);
                (bulk_text(&pair[0]), texts(pair[1].clone()))
            })
            .collect()
    };
    assert_eq!(
        flags(&mut r, &["set", "k1", "v1"]),
        [(
            "k1".to_string(),
            vec!["OW".to_string(), "update".to_string()]
        )]
    );
    assert_eq!(
        flags(&mut r, &["set", "k1", "v1", "GET"])[0].1,
        ["RW", "access", "update"]
    );
    assert_eq!(flags(&mut r, &["mset", "k1", "v1", "k2", "v2"]).len(), 2);
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "nosuch", "a"]),
        err("ERR Invalid command specified")
    );
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "slowlog", "nosuch"]),
        err("ERR Invalid command specified")
    );
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "time", "x"]),
        err("ERR The command has no key arguments")
    );
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "set", "a"]),
        err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "get"]),
        err("ERR wrong number of arguments for 'command|getkeys' command")
    );
}

#[test]
fn help_replies() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    for (cmd, lines) in [("COMMAND", 21), ("SLOWLOG", 12), ("LATENCY", 17)] {
        let help = texts(r.cmd(&[cmd, "HELP"]));
        assert_eq!(
            help[0],
            format!(
                "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                cmd
            )
        );
        assert_eq!(
            help.last().map(String::as_str),
            Some("    Prints this help.")
        );
        assert_eq!(help.len(), lines, "{}", cmd);
    }
    assert_eq!(
        r.cmd(&["latency", "help", "x"]),
        err("ERR wrong number of arguments for 'latency|help' command")
    );
    assert_eq!(
        r.cmd(&["latency", "nosuch"]),
        err("ERR unknown subcommand 'nosuch'. Try LATENCY HELP.")
    );
}

// ------------------------------------------------ TIME, LASTSAVE, SHUTDOWN

#[test]
fn time_and_lastsave() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t = items(r.cmd(&["TIME"]));
    let secs: i64 = bulk_text(&t[0]).parse().unwrap();
    let micros: i64 = bulk_text(&t[1]).parse().unwrap();
    assert!((secs - now).abs() <= 2);
    assert!((0..1_000_000).contains(&micros));
    let Frame::Int(last) = r.cmd(&["LASTSAVE"]) else {
        panic!("integer")
    };
    assert!((last - now).abs() <= 30);
    assert_eq!(
        r.cmd(&["TIME", "x"]),
        err("ERR wrong number of arguments for 'time' command")
    );
}

#[test]
fn shutdown_stops_the_server() {
    let mut srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(
        r.cmd(&["SHUTDOWN", "ABORT"]),
        err("ERR No shutdown in progress.")
    );
    assert_eq!(
        r.cmd(&["SHUTDOWN", "ABORT", "NOW"]),
        err("ERR syntax error")
    );
    assert_eq!(
        r.cmd(&["SHUTDOWN", "SAVE", "NOSAVE"]),
        err("ERR syntax error")
    );
    assert_eq!(r.cmd(&["SHUTDOWN", "bogus"]), err("ERR syntax error"));
    assert!(srv.alive());
    r.send_cmd(&["SHUTDOWN", "NOSAVE", "NOW", "FORCE"]);
    assert!(r.is_closed());
    assert!(common::wait_for(Duration::from_secs(5), || !srv.alive()));
    assert_eq!(srv.child.wait().unwrap().code(), Some(0));
}

// ---------------------------------------------------------------- MONITOR

#[test]
fn monitor_feeds_commands() {
    let srv = TestServer::start();
    let mut m = srv.raw();
    assert_eq!(m.cmd(&["MONITOR"]), ok());
    let mut r = srv.raw();
    r.cmd(&["SET", "x y", "a\"b\n"]);
    r.cmd(&["GET", "x y"]);
    r.cmd(&["COMMAND", "COUNT"]);
    r.cmd(&["SLOWLOG", "LEN"]);
    let Frame::Simple(line) = m.read() else {
        panic!("status line")
    };
    let (time, rest) = line.split_once(' ').unwrap();
    let (secs, micros) = time.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && micros.len() == 6);
    assert!(rest.starts_with("[0 127.0.0.1:"), "{}", rest);
    assert!(
        rest.ends_with("] \"SET\" \"x y\" \"a\\\"b\\n\""),
        "{}",
        rest
    );
    let Frame::Simple(line) = m.read() else {
        panic!("status line")
    };
    assert!(line.ends_with("\"GET\" \"x y\""), "{}", line);
    let Frame::Simple(line) = m.read() else {
        panic!("status line")
    };
    // Admin commands (SLOWLOG) are not shown.
    assert!(line.ends_with("\"COMMAND\" \"COUNT\""), "{}", line);
    // A second MONITOR from the same client is ignored without a reply.
    m.send_cmd(&["MONITOR"]);
    r.cmd(&["PING-NOT-A-COMMAND"]);
    r.cmd(&["TIME"]);
    let Frame::Simple(line) = m.read() else {
        panic!("status line")
    };
    assert!(line.ends_with("\"TIME\""), "{}", line);
}

// ---------------------------------------------------------------- SLOWLOG

#[test]
fn slowlog_records_entries() {
    let srv =
        TestServer::start_with(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "10"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["SLOWLOG", "RESET"]), ok());
    assert_eq!(r.cmd(&["SET", "foo", "bar"]), ok());
    let entries = items(r.cmd(&["SLOWLOG", "GET"]));
    assert_eq!(entries.len(), 2);
    let e = items(entries[0].clone());
    assert_eq!(e.len(), 6);
    let reset = items(entries[1].clone());
    let Frame::Int(reset_id) = reset[0] else {
        panic!("entry id")
    };
    assert_eq!(e[0], Frame::Int(reset_id + 1));
    let Frame::Int(time) = e[1] else {
        panic!("time")
    };
    assert!(time > 1_600_000_000);
    assert!(matches!(e[2], Frame::Int(d) if d >= 0));
    assert_eq!(texts(e[3].clone()), ["SET", "foo", "bar"]);
    assert!(bulk_text(&e[4]).starts_with("127.0.0.1:"));
    assert_eq!(e[5], Frame::bulk(""));
    assert_eq!(
        texts(items(entries[1].clone())[3].clone()),
        ["SLOWLOG", "RESET"]
    );

    for i in 0..20 {
        r.cmd(&["SET", "k", &i.to_string()]);
    }
    assert_eq!(r.cmd(&["SLOWLOG", "LEN"]), Frame::Int(10));
    assert_eq!(items(r.cmd(&["SLOWLOG", "GET", "5"])).len(), 5);
    assert_eq!(items(r.cmd(&["SLOWLOG", "GET", "-1"])).len(), 10);
    assert_eq!(items(r.cmd(&["SLOWLOG", "GET", "0"])).len(), 0);
    for bad in ["-2", "abc"] {
        assert_eq!(
            r.cmd(&["SLOWLOG", "GET", bad]),
            err("ERR count should be greater than or equal to -1")
        );
    }
    assert_eq!(
        r.cmd(&["SLOWLOG", "GET", "1", "2"]),
        err("ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.")
    );
}

#[test]
fn slowlog_trims_long_commands() {
    let srv = TestServer::start_with(&["--slowlog-log-slower-than", "0"]);
    let mut r = srv.raw();
    let mut args = vec!["MSET".to_string()];
    for i in 0..20 {
        args.push(format!("k{}", i));
        args.push("v".into());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    r.cmd(&refs);
    let long = "A".repeat(129);
    r.cmd(&["SET", "k", &long]);
    let entries = items(r.cmd(&["SLOWLOG", "GET", "2"]));
    let set_args = texts(items(entries[0].clone())[3].clone());
    assert_eq!(
        set_args[2],
        format!("{}... (1 more bytes)", "A".repeat(128))
    );
    let mset_args = texts(items(entries[1].clone())[3].clone());
    assert_eq!(mset_args.len(), 32);
    assert_eq!(mset_args[31], "... (10 more arguments)");
}

#[test]
fn slowlog_client_name_and_threshold() {
    let srv = TestServer::start_with(&["--slowlog-log-slower-than", "100000"]);
    let mut r = srv.raw();
    r.cmd(&["SET", "a", "b"]);
    assert_eq!(r.cmd(&["SLOWLOG", "LEN"]), Frame::Int(0));
    assert_eq!(r.cmd(&["DEBUG", "SLEEP", "0.15"]), ok());
    let entries = items(r.cmd(&["SLOWLOG", "GET"]));
    assert_eq!(entries.len(), 1);
    let e = items(entries[0].clone());
    assert!(matches!(e[2], Frame::Int(d) if d >= 150_000));
    assert_eq!(texts(e[3].clone()), ["DEBUG", "SLEEP", "0.15"]);

    let srv = TestServer::start_with(&["--slowlog-log-slower-than", "-1"]);
    let mut r = srv.raw();
    r.cmd(&["DEBUG", "SLEEP", "0.01"]);
    assert_eq!(r.cmd(&["SLOWLOG", "LEN"]), Frame::Int(0));
}

/// The commands of the slowlog, newest first.
fn slowlog_commands(r: &mut Raw) -> Vec<Vec<String>> {
    items(r.cmd(&["SLOWLOG", "GET"]))
        .into_iter()
        .map(|e| texts(items(e)[3].clone()))
        .collect()
}

#[test]
fn slowlog_logs_a_blocked_command_when_it_is_served() {
    let srv = TestServer::start_with(&["--slowlog-log-slower-than", "0"]);
    let mut r = srv.raw();
    let mut blocked = srv.raw();
    blocked.send_cmd(&["BLPOP", "l", "0"]);
    common::wait_blocked(&mut r, 1);
    assert!(
        !slowlog_commands(&mut r).iter().any(|c| c[0] == "BLPOP"),
        "not logged while it waits"
    );
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(
        r.cmd(&["LPUSH", "l", "foo"]),
        Frame::Simple("QUEUED".into())
    );
    assert_eq!(r.cmd(&["SLOWLOG", "RESET"]), Frame::Simple("QUEUED".into()));
    r.cmd(&["EXEC"]);
    assert_eq!(texts(blocked.read()), ["l", "foo"]);
    assert_eq!(
        slowlog_commands(&mut r),
        [vec!["BLPOP", "l", "0"], vec!["SLOWLOG", "RESET"]]
    );
}

#[test]
fn client_unblock_counts_the_blocked_call_as_failed() {
    let srv = TestServer::start_with(&["--slowlog-log-slower-than", "0"]);
    let mut r = srv.raw();
    for (reason, reply) in [
        ("TIMEOUT", Frame::Array(None)),
        (
            "ERROR",
            err("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
        ),
    ] {
        assert_eq!(r.cmd(&["CONFIG", "RESETSTAT"]), ok());
        let mut blocked = srv.raw();
        let id = common::client_id(&mut blocked).to_string();
        blocked.send_cmd(&["BLPOP", "l", "0"]);
        common::wait_blocked(&mut r, 1);
        assert_eq!(r.cmd(&["SLOWLOG", "RESET"]), ok());
        assert_eq!(r.cmd(&["CLIENT", "UNBLOCK", &id, reason]), Frame::Int(1));
        assert_eq!(blocked.read(), reply);
        // Before the CLIENT UNBLOCK, an entry of the blocked client (Redis
        // 7.0.15 logs it with its arguments already freed; reddish with
        // them).
        let entries = items(r.cmd(&["SLOWLOG", "GET"]));
        assert_eq!(entries.len(), 3, "{reason}");
        assert_eq!(
            texts(items(entries[0].clone())[3].clone()),
            ["CLIENT", "UNBLOCK", &id, reason]
        );
        let addr = common::client_field(&common::client_info(&mut blocked), "addr");
        assert_eq!(bulk_text(&items(entries[1].clone())[4]), addr, "{reason}");
        let stats = info(&mut r, &["commandstats"]);
        let blpop = info_value(&stats, "cmdstat_blpop").unwrap_or_default();
        assert!(
            blpop.starts_with("calls=1,") && blpop.ends_with(",rejected_calls=0,failed_calls=1"),
            "{reason}: {blpop}"
        );
    }
    let errors = info(&mut r, &["errorstats"]);
    assert_eq!(errors, "# Errorstats\r\nerrorstat_UNBLOCKED:count=1\r\n");
}

// ---------------------------------------------------------------- LATENCY

#[test]
fn latency_monitor_events() {
    let srv = TestServer::start_with(&["--latency-monitor-threshold", "5"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["LATENCY", "LATEST"]), Frame::Array(Some(vec![])));
    r.cmd(&["DEBUG", "SLEEP", "0.02"]);
    let latest = items(r.cmd(&["LATENCY", "LATEST"]));
    assert_eq!(latest.len(), 1);
    let event = items(latest[0].clone());
    assert_eq!(event[0], Frame::bulk("command"));
    assert!(matches!(event[2], Frame::Int(ms) if ms >= 20));
    assert_eq!(event[2], event[3]);
    let history = items(r.cmd(&["LATENCY", "HISTORY", "command"]));
    assert_eq!(history.len(), 1);
    assert_eq!(items(history[0].clone())[0], event[1]);
    assert_eq!(
        r.cmd(&["LATENCY", "HISTORY", "nosuch"]),
        Frame::Array(Some(vec![]))
    );

    let graph = r.cmd(&["LATENCY", "GRAPH", "command"]).as_text();
    assert!(graph.starts_with("command - high "), "{}", graph);
    assert!(graph.contains(&format!("\n{}\n", "-".repeat(80))));
    assert_eq!(
        r.cmd(&["LATENCY", "GRAPH", "nosuch"]),
        err("ERR No samples available for event 'nosuch'")
    );
    let doctor = r.cmd(&["LATENCY", "DOCTOR"]).as_text();
    assert!(
        doctor.starts_with("Dave, I have observed latency spikes"),
        "{}",
        doctor
    );
    assert!(
        doctor.contains("1. command: 1 latency spikes"),
        "{}",
        doctor
    );

    assert_eq!(r.cmd(&["LATENCY", "RESET", "nosuch"]), Frame::Int(0));
    assert_eq!(r.cmd(&["LATENCY", "RESET", "COMMAND"]), Frame::Int(1));
    assert_eq!(r.cmd(&["LATENCY", "LATEST"]), Frame::Array(Some(vec![])));
    assert_eq!(r.cmd(&["LATENCY", "RESET"]), Frame::Int(0));
}

#[test]
fn latency_doctor_when_disabled() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let doctor = r.cmd(&["LATENCY", "DOCTOR"]).as_text();
    assert!(
        doctor.starts_with("I'm sorry, Dave, I can't do that."),
        "{}",
        doctor
    );
}

#[test]
fn latency_histogram_per_command() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.cmd(&["SET", "a", "b"]);
    r.cmd(&["SET", "c", "d"]);
    r.cmd(&["SLOWLOG", "LEN"]);
    let histo = items(r.cmd(&["LATENCY", "HISTOGRAM", "set", "blabla"]));
    assert_eq!(histo.len(), 2);
    assert_eq!(histo[0], Frame::bulk("set"));
    let detail = items(histo[1].clone());
    assert_eq!(detail[0], Frame::bulk("calls"));
    assert_eq!(detail[1], Frame::Int(2));
    assert_eq!(detail[2], Frame::bulk("histogram_usec"));
    let buckets = items(detail[3].clone());
    assert!(!buckets.is_empty() && buckets.len().is_multiple_of(2));
    assert_eq!(buckets.last(), Some(&Frame::Int(2)));
    let histo = items(r.cmd(&["LATENCY", "HISTOGRAM", "slowlog"]));
    assert_eq!(histo[0], Frame::bulk("slowlog|len"));
    let all = items(r.cmd(&["LATENCY", "HISTOGRAM"]));
    assert!(all.contains(&Frame::bulk("set")) && all.contains(&Frame::bulk("slowlog|len")));
}

// ---------------------------------------------------------------- FUNCTION

#[test]
fn function_flush() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH"]), ok());
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH", "async"]), ok());
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH", "SYNC"]), ok());
    assert_eq!(
        r.cmd(&["FUNCTION", "FLUSH", "x"]),
        err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "FLUSH", "a", "b"]),
        err("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.")
    );
    let p = info(&mut r, &["persistence"]);
    assert_eq!(
        info_value(&p, "rdb_changes_since_last_save").as_deref(),
        Some("3")
    );
}

/// With no script running (reddish runs none), SCRIPT KILL and FUNCTION
/// KILL answer as Redis does then; Redis Sentinel sends SCRIPT KILL to an
/// instance that answers -BUSY.
#[test]
fn script_and_function_kill_without_a_running_script() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let notbusy = err("NOTBUSY No scripts in execution right now.");
    assert_eq!(r.cmd(&["SCRIPT", "KILL"]), notbusy);
    assert_eq!(r.cmd(&["script", "kill"]), notbusy);
    assert_eq!(r.cmd(&["FUNCTION", "KILL"]), notbusy);
    assert_eq!(
        r.cmd(&["SCRIPT", "KILL", "now"]),
        err("ERR wrong number of arguments for 'script|kill' command")
    );
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["SCRIPT", "KILL"]), Frame::Simple("QUEUED".into()));
    assert_eq!(r.cmd(&["EXEC"]), Frame::Array(Some(vec![notbusy])));
}

// ---------------------------------------------------------------- DEBUG

#[test]
fn debug_digest_matches_redis() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let zeros = Frame::Simple("0".repeat(40));
    assert_eq!(r.cmd(&["DEBUG", "DIGEST"]), zeros);
    r.cmd(&["SET", "a", "1"]);
    // The values real Redis 7.0.15 gives for the same data.
    assert_eq!(
        r.cmd(&["DEBUG", "DIGEST"]),
        Frame::Simple("943d800368fb9c0e951138f1bc0e313ac769d91f".into())
    );
    r.cmd(&["SET", "foo", "bar"]);
    r.cmd(&["SET", "long", &"x".repeat(100)]);
    assert_eq!(
        r.cmd(&["DEBUG", "DIGEST"]),
        Frame::Simple("e6ba17203de59a2e227627f2af0c51cc08b786fa".into())
    );
    r.cmd(&["SET", "foo", "bar", "EX", "1000"]);
    assert_eq!(
        r.cmd(&["DEBUG", "DIGEST"]),
        Frame::Simple("bf1d3222ecd48ae8b87c746a87b688607fe74a9b".into())
    );
    assert_eq!(
        texts(r.cmd(&["DEBUG", "DIGEST-VALUE", "foo", "a", "nokey", "long"])),
        [
            "8ec3828f7209dd3abdf6ee448de8b0c0bd53265f",
            "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da",
            &"0".repeat(40),
            "6942b9b71aaff9a398b7a2f898756f5e28dd3cd1"
        ]
    );
    assert_eq!(
        r.cmd(&["DEBUG", "DIGEST-VALUE"]),
        Frame::Array(Some(vec![]))
    );
}

#[test]
fn debug_object_and_populate() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "OBJECT", "nokey"]), err("ERR no such key"));
    r.cmd(&["SET", "s", "bar"]);
    r.cmd(&["SET", "n", "20000"]);
    r.cmd(&["SET", "shared", "100"]);
    let line = r.cmd(&["DEBUG", "OBJECT", "s"]).as_text();
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields[0], "Value");
    assert!(fields[1].starts_with("at:0x"), "{}", line);
    assert_eq!(
        &fields[2..5],
        ["refcount:1", "encoding:embstr", "serializedlength:4"]
    );
    assert!(fields[5].starts_with("lru:") && fields[6] == "lru_seconds_idle:0");
    let line = r.cmd(&["DEBUG", "OBJECT", "n"]).as_text();
    assert!(
        line.contains(" refcount:1 encoding:int serializedlength:3 "),
        "{}",
        line
    );
    let line = r.cmd(&["DEBUG", "OBJECT", "shared"]).as_text();
    assert!(
        line.contains(" refcount:2147483647 encoding:int "),
        "{}",
        line
    );

    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "10"]), ok());
    assert_eq!(r.cmd(&["GET", "key:3"]), Frame::bulk("value:3"));
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "3", "p", "12"]), ok());
    assert_eq!(
        r.cmd(&["GET", "p:2"]),
        Frame::Bulk(Some(b"value:2\0\0\0\0\0".to_vec()))
    );
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "3", "q", "3"]), ok());
    assert_eq!(r.cmd(&["GET", "q:0"]), Frame::bulk("val"));
    r.cmd(&["SET", "key:0", "mine"]);
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "2"]), ok());
    assert_eq!(r.cmd(&["GET", "key:0"]), Frame::bulk("mine"));
    let ks = info(&mut r, &["keyspace"]);
    assert_eq!(
        info_value(&ks, "db0").as_deref(),
        Some("keys=19,expires=0,avg_ttl=0")
    );
    for bad in ["-1", "abc"] {
        assert_eq!(
            r.cmd(&["DEBUG", "POPULATE", bad]),
            err("ERR value is out of range, must be positive")
        );
    }
}

#[test]
fn debug_protocol_resp2() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let cases = [
        ("string", "$11\r\nHello World\r\n"),
        ("integer", ":12345\r\n"),
        ("double", "$5\r\n3.141\r\n"),
        ("bignum", "$37\r\n1234567999999999999999999999999999999\r\n"),
        ("null", "$-1\r\n"),
        ("array", "*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("set", "*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"),
        (
            "attrib",
            "$39\r\nSome real reply following the attribute\r\n",
        ),
        ("push", "-ERR RESP2 is not supported by this command\r\n"),
        ("true", ":1\r\n"),
        ("false", ":0\r\n"),
        ("verbatim", "$25\r\nThis is a verbatim\nstring\r\n"),
    ];
    for (kind, wire) in cases {
        r.send_cmd(&["DEBUG", "PROTOCOL", kind]);
        assert_eq!(
            String::from_utf8_lossy(&r.read_bytes(wire.len())),
            wire,
            "{}",
            kind
        );
    }
    assert_eq!(
        r.cmd(&["DEBUG", "PROTOCOL", "xx"]),
        err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
    );
}

#[test]
fn debug_switches_sleep_and_errors() {
    let srv = TestServer::start_with(&["--hz", "100"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), ok());
    r.cmd(&["SET", "k", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(200));
    let ks = info(&mut r, &["keyspace"]);
    assert_eq!(
        info_value(&ks, "db0").as_deref(),
        Some("keys=1,expires=1,avg_ttl=0")
    );
    assert_eq!(r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), ok());
    assert!(common::wait_for(Duration::from_secs(5), || {
        info(&mut r, &["keyspace"]) == "# Keyspace\r\n"
    }));

    assert_eq!(r.cmd(&["DEBUG", "PAUSE-CRON", "1"]), ok());
    assert_eq!(r.cmd(&["DEBUG", "PAUSE-CRON", "0"]), ok());
    let started = std::time::Instant::now();
    assert_eq!(r.cmd(&["DEBUG", "SLEEP", "0.1"]), ok());
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(r.cmd(&["DEBUG", "SLEEP", "0"]), ok());
    assert_eq!(r.cmd(&["DEBUG", "LOG", "hello"]), ok());
    assert_eq!(
        r.cmd(&["DEBUG", "ERROR", "CUSTOM my\nerror"]),
        err("CUSTOM my error")
    );
    assert_eq!(
        r.cmd(&["DEBUG", "nosuch"]),
        err("ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.")
    );
    assert_eq!(
        r.cmd(&["debug", "sleep"]),
        err("ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.")
    );
    let help = texts(r.cmd(&["DEBUG", "HELP"]));
    assert_eq!(
        help[0],
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert!(help.contains(&"DIGEST-VALUE <key> [<key> ...]".to_string()));
}

/// The words of a process's command line as `ps` shows it.
fn command_line_words(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw)
        .replace('\0', " ")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn process_title_follows_the_template() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let pid = srv.child.id();
    let binary = common::server_binary();
    let listen = format!("127.0.0.1:{}", srv.port);
    assert_eq!(command_line_words(pid), [binary.as_str(), &listen]);
    let template = "TEST {title} {listen-addr} {port} {tls-port} {unixsocket} {config-file}";
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "proc-title-template", template]),
        ok()
    );
    let port = srv.port.to_string();
    assert_eq!(
        command_line_words(pid),
        ["TEST", binary.as_str(), &listen, &port, "0", "-"]
    );
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "proc-title-template", "{invalid-var}"]),
        err("ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables")
    );
}

#[test]
fn a_save_child_names_its_job_in_its_title() {
    let srv = TestServer::start_with(&["--rdb-key-save-delay", "1000000"]);
    let mut r = srv.raw();
    r.cmd(&["SET", "k", "v"]);
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    let pid = srv.child.id();
    let children = format!("/proc/{pid}/task/{pid}/children");
    let mut child_title = Vec::new();
    common::wait_for(Duration::from_secs(5), || {
        let listed = std::fs::read_to_string(&children).unwrap_or_default();
        child_title = listed
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .map(command_line_words)
            .next()
            .unwrap_or_default();
        child_title.first().is_some_and(|w| w == "redis-rdb-bgsave")
    });
    assert_eq!(
        child_title,
        ["redis-rdb-bgsave", &format!("127.0.0.1:{}", srv.port)]
    );
}

/// The size DEBUG HTSTATS gives the keyspace's hash table.
fn keyspace_table_size(r: &mut Raw) -> String {
    let stats = bulk_text(&r.cmd(&["DEBUG", "HTSTATS", "0"]));
    info_value(&stats.replace(": ", ":"), " table size").unwrap_or_default()
}

#[test]
fn keyspace_index_does_not_grow_while_a_child_saves() {
    let srv = TestServer::start_with(&["--rdb-key-save-delay", "100"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "4096"]), ok());
    assert_eq!(keyspace_table_size(&mut r), "4096");
    assert_eq!(
        r.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    assert_eq!(r.cmd(&["MSET", "k1", "v1", "k2", "v2"]), ok());
    assert_eq!(
        keyspace_table_size(&mut r),
        "4096",
        "the child shares the pages"
    );
    let stats = bulk_text(&r.cmd(&["DEBUG", "HTSTATS", "0"]));
    assert!(stats.contains("\n number of elements: 4098\n"), "{stats}");
    assert!(
        common::wait_for(Duration::from_secs(10), || {
            common::info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "0"
        }),
        "the save did not end"
    );
    // Once the cron has seen the child gone, the next new key grows it.
    let mut n = 3;
    let grew = common::wait_for(Duration::from_secs(5), || {
        r.cmd(&["SET", &format!("k{n}"), "v"]);
        n += 1;
        keyspace_table_size(&mut r) == "8192"
    });
    assert!(grew, "the index did not grow after the save");
}

/// While the key index grows, DEBUG HTSTATS shows both of its tables as
/// Redis's dict does: the old one as the main table and the new one as the
/// rehashing target, their elements adding up to the keys.
#[test]
fn keyspace_stats_show_both_tables_while_the_index_grows() {
    let srv = TestServer::start_with(&["--activerehashing", "no"]);
    let mut r = srv.raw();
    assert_eq!(r.cmd(&["DEBUG", "POPULATE", "4096"]), ok());
    assert_eq!(r.cmd(&["SET", "one-more", "v"]), ok());
    let stats = bulk_text(&r.cmd(&["DEBUG", "HTSTATS", "0"]));
    let main = stats.find("Hash table 0 stats (main hash table):\n table size: 4096\n");
    let target = stats.find("Hash table 1 stats (rehashing target):\n table size: 8192\n");
    assert!(
        main.is_some() && target.is_some() && main < target,
        "{stats}"
    );
    let elements: i64 = stats
        .lines()
        .filter_map(|l| l.strip_prefix(" number of elements: "))
        .map(|n| n.parse::<i64>().unwrap_or(-1))
        .sum();
    assert_eq!(elements, 4097, "{stats}");
    // Writes move the resize along until one table is left.
    let done = common::wait_for(Duration::from_secs(5), || {
        r.cmd(&["SET", "one-more", "v"]);
        !bulk_text(&r.cmd(&["DEBUG", "HTSTATS", "0"])).contains("rehashing target")
    });
    assert!(done, "the resize did not end");
    assert_eq!(keyspace_table_size(&mut r), "8192");
}

/// DEBUG HTSTATS and HTSTATS-KEY answer in `dictGetStats`'s layout; the
/// counts of elements are what any implementation must agree on.
#[test]
fn debug_htstats_describe_hash_tables() {
    let srv = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut r = srv.raw();
    r.cmd(&["SADD", "table", "a", "b", "c"]);
    r.cmd(&["SADD", "ints", "1", "2"]);
    let stats = bulk_text(&r.cmd(&["DEBUG", "HTSTATS-KEY", "table"]));
    assert!(
        stats.starts_with("Hash table 0 stats (main hash table):\n table size: "),
        "{stats}"
    );
    assert!(stats.contains("\n number of elements: 3\n"), "{stats}");
    assert!(stats.contains(" Chain length distribution:\n"), "{stats}");
    assert_eq!(
        r.cmd(&["DEBUG", "HTSTATS-KEY", "ints"]),
        err("ERR The value stored at the specified key is not represented using an hash table")
    );
    assert_eq!(
        r.cmd(&["DEBUG", "HTSTATS-KEY", "missing"]),
        err("ERR no such key")
    );
    let db = bulk_text(&r.cmd(&["DEBUG", "HTSTATS", "0"]));
    assert!(
        db.starts_with("[Dictionary HT]\nHash table 0 stats"),
        "{db}"
    );
    assert!(
        db.ends_with("[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"),
        "{db}"
    );
    assert_eq!(
        r.cmd(&["DEBUG", "HTSTATS", "16"]),
        err("ERR Out of range database")
    );
    assert_eq!(
        r.cmd(&["DEBUG", "HTSTATS", "x"]),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn debug_is_protected() {
    let srv = TestServer::start_with(&["--enable-debug-command", "no"]);
    let mut r = srv.raw();
    let Frame::Error(e) = r.cmd(&["DEBUG", "HELP"]) else {
        panic!("DEBUG must be refused")
    };
    assert!(e.starts_with("ERR DEBUG command not allowed."), "{}", e);
    let flags = texts(items(items(r.cmd(&["COMMAND", "INFO", "debug"])).remove(0))[2].clone());
    assert_eq!(flags, ["admin", "noscript", "loading", "stale"]);
}

// ------------------------------------------------ cluster, MODULE, LOLWUT

#[test]
fn cluster_commands_say_cluster_support_is_disabled() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    let disabled = err("ERR This instance has cluster support disabled");
    for command in [
        &["CLUSTER", "INFO"][..],
        &["CLUSTER", "HELP"],
        &["CLUSTER", "KEYSLOT", "k"],
        &["READONLY"],
        &["READWRITE"],
        &["ASKING"],
    ] {
        assert_eq!(raw.cmd(command), disabled, "{:?}", command);
    }
    assert_eq!(
        raw.cmd(&["CLUSTER", "NOPE"]),
        err("ERR unknown subcommand 'NOPE'. Try CLUSTER HELP.")
    );
    assert_eq!(
        raw.cmd(&["CLUSTER", "INFO", "x"]),
        err("ERR wrong number of arguments for 'cluster|info' command")
    );
}

#[test]
fn module_lists_none_and_loads_none() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    assert_eq!(raw.cmd(&["MODULE", "LIST"]), Frame::Array(Some(vec![])));
    assert_eq!(
        raw.cmd(&["MODULE", "LOAD", "/nowhere.so"]),
        err("ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    );
    let allowed = TestServer::start_with(&["--enable-module-command", "yes"]);
    let mut raw = allowed.raw();
    assert_eq!(
        raw.cmd(&["MODULE", "LOAD", "/nowhere.so"]),
        err("ERR Error loading the extension. Please check the server logs.")
    );
    assert_eq!(
        raw.cmd(&["MODULE", "UNLOAD", "nothing"]),
        err("ERR Error unloading module: no such module with that name")
    );
    assert_eq!(items(raw.cmd(&["MODULE", "HELP"])).len(), 11);
}

#[test]
fn lolwut_ends_with_the_version_line() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    assert_eq!(bulk_text(&raw.cmd(&["LOLWUT"])), "Redis ver. 7.0.15\n");
    let art = bulk_text(&raw.cmd(&["LOLWUT", "VERSION", "5", "20", "3", "3"]));
    assert!(art.ends_with("Redis ver. 7.0.15\n"), "{}", art);
    assert!(art.lines().count() > 3);
    assert_eq!(
        raw.cmd(&["LOLWUT", "VERSION", "x"]),
        err("ERR value is not an integer or out of range")
    );
}
