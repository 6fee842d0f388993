//! The command line and config loading at start-up: `-v`/`-h`, the config
//! file, `--directive` options, stdin, `include`, and Redis's exact
//! reports and exit status for configurations that cannot be used.

mod common;

use common::start::{conf_dir, fatal_report, launch, run, start_in};
use common::{config_get, free_port, wait_for, Frame};
use std::time::Duration;

#[test]
fn version_flag_prints_version_and_exits_0() {
    // Only the first argument counts, whatever follows it.
    for args in [
        &["-v"][..],
        &["--version"],
        &["-v", "--port", "1"],
        &["-v", "-h"],
    ] {
        let out = run(args, "");
        assert_eq!(out.code, Some(0));
        assert!(
            out.stdout
                .starts_with("Redis server v=7.0.15 sha=00000000:0 malloc="),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains(" bits=64 build="));
    }
}

#[test]
fn help_flag_prints_usage_and_exits_1() {
    for args in [&["-h"][..], &["--help"], &["-h", "-v"]] {
        let out = run(args, "");
        assert_eq!(out.code, Some(1));
        assert!(out
            .stderr
            .starts_with("Usage: ./reddish-server [/path/to/redis.conf] [options] [-]\n"));
        assert!(out.stderr.contains("\nExamples:\n"));
        assert!(out.stdout.is_empty());
    }
}

/// Runs with bad options and checks the exact report and status.
fn assert_fatal(args: &[&str], line: Option<(usize, &str)>, message: &str) {
    let out = run(args, "");
    assert_eq!(out.code, Some(1), "{:?}", args);
    assert_eq!(out.stderr, fatal_report(line, message), "{:?}", args);
}

#[test]
fn bad_options_fail_with_redis_report() {
    let cases: &[(&[&str], usize, &str, &str)] = &[
        (
            &["--port", "7499", "--foo", "bar"],
            3,
            "foo \"bar\"",
            "Bad directive or wrong number of arguments",
        ),
        (
            &["--port", "abc"],
            2,
            "port \"abc\"",
            "argument couldn't be parsed into an integer",
        ),
        (
            &["--port", "70000"],
            2,
            "port \"70000\"",
            "argument must be between 0 and 65535 inclusive",
        ),
        (&["--port"], 2, "port", "wrong number of arguments"),
        (
            &["--port", "1", "2"],
            2,
            "port \"1\" \"2\"",
            "wrong number of arguments",
        ),
        (
            &["--loglevel", "nope"],
            2,
            "loglevel \"nope\"",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        (&["--save", "1"], 2, "save \"1\"", "Invalid save parameters"),
        (
            &["--save", "a b"],
            2,
            "save \"a b\"",
            "Invalid save parameters",
        ),
        (
            &["--maxmemory", "1x"],
            2,
            "maxmemory \"1x\"",
            "argument must be a memory value",
        ),
        (
            &["--daemonize", "maybe"],
            2,
            "daemonize \"maybe\"",
            "argument must be 'yes' or 'no'",
        ),
        (
            &["--replicaof", "localhost"],
            2,
            "replicaof \"localhost\"",
            "wrong number of arguments",
        ),
        (
            &["--replicaof", "h", "99999"],
            2,
            "replicaof \"h\" \"99999\"",
            "Invalid master port",
        ),
        (
            &["--notify-keyspace-events", "Q"],
            2,
            "notify-keyspace-events \"Q\"",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
        (
            &["--dbfilename", "a/b"],
            2,
            "dbfilename \"a/b\"",
            "dbfilename can't be a path, just a filename",
        ),
        (
            &["--client-output-buffer-limit", "normal 1 2"],
            2,
            "client-output-buffer-limit \"normal 1 2\"",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            &["--oom-score-adj-values", "1 2"],
            2,
            "oom-score-adj-values \"1 2\"",
            "wrong number of arguments",
        ),
        (
            &["--shutdown-on-sigint", "save nosave"],
            2,
            "shutdown-on-sigint \"save nosave\"",
            "shutdown options SAVE and NOSAVE can't be used simultaneously",
        ),
        (
            &["--port", "7499", "--foo.bar"],
            3,
            "foo.bar",
            "Module config specified without value",
        ),
        (
            &["--rename-command", "nosuch", "x"],
            2,
            "rename-command \"nosuch\" \"x\"",
            "No such command in rename-command",
        ),
        (
            &["--rename-command", "get", "set"],
            2,
            "rename-command \"get\" \"set\"",
            "Target command name already exists",
        ),
        (
            &["--list-max-ziplist-entries", "5", "--port", "7499", "--foo"],
            4,
            "foo",
            "Bad directive or wrong number of arguments",
        ),
        (
            &["--lua-replicate-commands", "--port", "0"],
            2,
            "lua-replicate-commands \"--port\" \"0\"",
            "Bad directive or wrong number of arguments",
        ),
        (
            &["--proto-max-bulk-len", "1000"],
            2,
            "proto-max-bulk-len \"1000\"",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            &["--maxclients", "-1"],
            2,
            "maxclients \"-1\"",
            "argument must be between 1 and 4294967295 inclusive",
        ),
        (
            &["--port", "-1"],
            2,
            "port \"-1\"",
            "argument must be between 0 and 65535 inclusive",
        ),
        // -h, -v and what a flag parser would take as its own syntax are
        // directive lines anywhere but as the whole first argument.
        (
            &["--port", "0", "-h"],
            2,
            "port \"0\" \"-h\"",
            "wrong number of arguments",
        ),
        (
            &["--port", "0", "--version"],
            3,
            "version",
            "Bad directive or wrong number of arguments",
        ),
        (
            &["-hv"],
            2,
            "\"-hv\"",
            "Bad directive or wrong number of arguments",
        ),
        (
            &["--help=x"],
            2,
            "help=x",
            "Bad directive or wrong number of arguments",
        ),
        (
            &["--", "--port", "0"],
            2,
            "\"--port\" \"0\"",
            "Bad directive or wrong number of arguments",
        ),
    ];
    for (args, number, line, message) in cases {
        assert_fatal(args, Some((*number, line)), message);
    }
}

#[test]
fn bad_config_file_lines_name_the_line() {
    let (dir, path) = conf_dir("port 7499\n\n# comment\n  foo \"bar  \n");
    let path = path.display().to_string();
    assert_fatal(
        &[&path],
        Some((4, "foo \"bar")),
        "Unbalanced quotes in configuration line",
    );
    std::fs::write(dir.path().join("redis.conf"), "hz 10\r\ntimeout 1 2\n").ok();
    assert_fatal(
        &[&path],
        Some((2, "timeout 1 2")),
        "wrong number of arguments",
    );
    std::fs::write(
        dir.path().join("redis.conf"),
        "sentinel\nsentinel monitor x\n",
    )
    .ok();
    assert_fatal(
        &[&path],
        Some((2, "sentinel monitor x")),
        "sentinel directive while not in sentinel mode",
    );
}

#[test]
fn unopenable_log_file_is_reported_without_a_line() {
    assert_fatal(
        &["--port", "0", "--logfile", "/nonexistent/dir/x.log"],
        None,
        "Can't open the log file: No such file or directory",
    );
}

#[test]
fn missing_config_file_is_fatal() {
    let out = run(&["/nonexistent/reddish.conf"], "");
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.contains(
            " # Fatal error, can't open config file '/nonexistent/reddish.conf': No such file or directory"
        ),
        "{}",
        out.stdout
    );
    let out = run(&["--include", "/nonexistent/inc.conf"], "");
    assert_eq!(out.code, Some(1));
    assert!(out
        .stdout
        .contains("Fatal error, can't open config file '/nonexistent/inc.conf'"));
}

#[test]
fn relative_config_file_is_reported_as_absolute() {
    let out = run(&["no-such-reddish.conf"], "");
    assert_eq!(out.code, Some(1));
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    assert!(
        out.stdout.contains(&format!(
            "can't open config file '{}/no-such-reddish.conf'",
            cwd
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn debian_stock_config_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("redis.pid").display().to_string();
    let server = start_in(
        dir,
        Some(std::path::Path::new("/etc/redis/redis.conf")),
        &["--daemonize", "no", "--logfile", "", "--pidfile", &pidfile],
    );
    let mut con = server.client();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut con)
        .expect("SET");
    let v: String = redis::cmd("GET").arg("k").query(&mut con).expect("GET");
    assert_eq!(v, "v");
    assert_eq!(config_get(&mut server.raw(), "bind"), "127.0.0.1");
    assert_eq!(config_get(&mut server.raw(), "databases"), "16");
    assert_eq!(
        config_get(&mut server.raw(), "auto-aof-rewrite-min-size"),
        "67108864"
    );
    assert_eq!(
        config_get(&mut server.raw(), "proc-title-template"),
        "{title} {listen-addr} {server-mode}"
    );
    assert_eq!(config_get(&mut server.raw(), "pidfile"), pidfile);
    assert!(wait_for(Duration::from_secs(5), || std::path::Path::new(
        &pidfile
    )
    .exists()));
}

#[test]
fn options_override_file_and_stdin() {
    let (dir, path) = conf_dir("hz 11\nmaxmemory-samples 7\n");
    let path = path.display().to_string();
    let server = start_in(dir, Some(std::path::Path::new(&path)), &["--hz", "12"]);
    assert_eq!(config_get(&mut server.raw(), "hz"), "12");
    assert_eq!(config_get(&mut server.raw(), "maxmemory-samples"), "7");
}

#[test]
fn config_can_come_from_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = launch(
        dir,
        &["-".to_string()],
        &["--hz", "7"],
        "hz 3\nmaxmemory-samples 9\n",
    );
    assert_eq!(config_get(&mut server.raw(), "maxmemory-samples"), "9");
    assert_eq!(config_get(&mut server.raw(), "hz"), "7");
}

#[test]
fn include_reads_files_and_globs() {
    let (dir, path) = conf_dir("");
    let inc = dir.path().join("inc.conf");
    std::fs::write(&inc, "maxmemory-samples 6\n").ok();
    let confd = dir.path().join("conf.d");
    std::fs::create_dir(&confd).ok();
    std::fs::write(confd.join("a.conf"), "lfu-log-factor 3\n").ok();
    std::fs::write(confd.join("b.conf"), "lfu-log-factor 4\n").ok();
    std::fs::write(
        &path,
        format!(
            "include {}\ninclude {}/*.conf\ninclude {}/none-*.conf\n",
            inc.display(),
            confd.display(),
            confd.display()
        ),
    )
    .ok();
    let server = start_in(dir, Some(&path), &[]);
    assert_eq!(config_get(&mut server.raw(), "maxmemory-samples"), "6");
    assert_eq!(config_get(&mut server.raw(), "lfu-log-factor"), "4");
}

#[test]
fn error_in_included_file_reports_its_own_line() {
    let (dir, path) = conf_dir("");
    let inc = dir.path().join("inc.conf");
    std::fs::write(&inc, "hz 5\nbogus 1\n").ok();
    std::fs::write(&path, format!("port 0\n\ninclude {}\n", inc.display())).ok();
    let path = path.display().to_string();
    assert_fatal(
        &[&path],
        Some((2, "bogus 1")),
        "Bad directive or wrong number of arguments",
    );
}

#[test]
fn save_option_without_value_disables_saving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_in(dir, None, &["--save", "--hz", "9"]);
    assert_eq!(config_get(&mut server.raw(), "save"), "");
    assert_eq!(config_get(&mut server.raw(), "hz"), "9");
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_in(dir, None, &["--save", "100 1", "--save", "200 2"]);
    assert_eq!(config_get(&mut server.raw(), "save"), "100 1 200 2");
    let (dir, path) = conf_dir("save 100 1\nsave 200 2\n");
    let server = start_in(dir, Some(&path), &[]);
    assert_eq!(config_get(&mut server.raw(), "save"), "100 1 200 2");
}

#[test]
fn hz_out_of_range_is_clamped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_in(dir, None, &["--hz", "1000"]);
    assert_eq!(config_get(&mut server.raw(), "hz"), "500");
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_in(dir, None, &["--hz", "0"]);
    assert_eq!(config_get(&mut server.raw(), "hz"), "1");
}

#[test]
fn deprecated_directives_are_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_in(
        dir,
        None,
        &[
            "--list-max-ziplist-entries",
            "5",
            "--lua-replicate-commands",
            "yes",
        ],
    );
    assert_eq!(
        config_get(&mut server.raw(), "list-max-listpack-size"),
        "-2"
    );
}

#[test]
fn not_listening_anywhere_exits() {
    let out = run(&["--port", "0", "--save", ""], "");
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout
            .contains("# Configured to not listen anywhere, exiting."),
        "{}",
        out.stdout
    );
}

#[test]
fn busy_port_exits() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(0)
        .to_string();
    let out = run(&["--port", &port, "--bind", "127.0.0.1"], "");
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.contains(&format!(
            "# Failed listening on port {} (TCP), aborting.",
            port
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn modules_cannot_be_loaded() {
    let out = run(
        &[
            "--port",
            &free_port().to_string(),
            "--bind",
            "127.0.0.1",
            "--loadmodule",
            "/x/mod.so",
        ],
        "",
    );
    assert_eq!(out.code, Some(1));
    assert!(out
        .stdout
        .contains("Can't load module from /x/mod.so: server aborting"));
    let out = run(
        &[
            "--port",
            &free_port().to_string(),
            "--bind",
            "127.0.0.1",
            "--foo.bar",
            "1",
        ],
        "",
    );
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains(
        "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"
    ));
}

#[test]
fn rename_command_renames_or_removes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_in(
        dir,
        None,
        &[
            "--rename-command",
            "get",
            "fetch",
            "--rename-command",
            "getdel",
            "",
        ],
    );
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v"]), Frame::Simple("OK".into()));
    assert_eq!(raw.cmd(&["FETCH", "k"]), Frame::bulk("v"));
    assert_eq!(
        raw.cmd(&["GET", "k"]),
        Frame::Error("ERR unknown command 'GET', with args beginning with: 'k' ".into())
    );
    assert!(matches!(raw.cmd(&["GETDEL", "k"]), Frame::Error(_)));
}

#[test]
fn unbuilt_directives_are_logged_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log.txt");
    let log_arg = log.display().to_string();
    let _server = start_in(
        dir,
        None,
        &[
            "--active-defrag-cycle-min",
            "5",
            "--appendonly",
            "no",
            "--logfile",
            &log_arg,
        ],
    );
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let warning =
        "Directive 'active-defrag-cycle-min' is accepted but its feature is not implemented by reddish";
    assert_eq!(text.matches(warning).count(), 1, "{}", text);
    assert!(
        !text.contains("Directive 'appendonly'"),
        "defaults are not reported"
    );
}

#[test]
fn daemonize_writes_the_pid_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let pidfile = dir.path().join("d.pid");
    let out = run(
        &[
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--pidfile",
            &pidfile.display().to_string(),
            "--dir",
            &dir.path().display().to_string(),
        ],
        "",
    );
    assert_eq!(out.code, Some(0));
    assert!(wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(&pidfile)
            .map(|t| t.ends_with('\n'))
            .unwrap_or(false)
    }));
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    assert!(pid > 0);
    assert!(wait_for(Duration::from_secs(10), || {
        common::is_listening(port)
    }));
    let mut raw = common::Raw::connect(port);
    let daemonized = raw.cmd(&["CONFIG", "GET", "daemonize"]);
    // SAFETY: kill() only sends a signal to the daemon this test started.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    assert_eq!(
        daemonized,
        Frame::Array(Some(vec![Frame::bulk("daemonize"), Frame::bulk("yes")]))
    );
}

/// Runs the server binary under the name `redis-check-rdb` (a link, as
/// Redis installs its checker) with `args`; returns exit code and stdout.
fn run_as_check_rdb(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let link = dir.join("redis-check-rdb");
    if !link.exists() {
        std::os::unix::fs::symlink(common::BINARY, &link).expect("symlink");
    }
    let out = std::process::Command::new(&link)
        .args(args)
        .output()
        .expect("run redis-check-rdb");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Under the name redis-check-rdb the binary checks a file as Redis's
/// checker does: the same report for a sound file (compared with Debian's
/// redis-check-rdb when installed), exit status 1 and the error block for
/// a truncated one.
#[test]
fn named_redis_check_rdb_it_checks_a_file() {
    let srv = start_in(tempfile::tempdir().expect("tempdir"), None, &[]);
    let mut r = srv.raw();
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["RPUSH", "l", "x", "y"]);
    r.cmd(&["SET", "t", "v", "EX", "1000"]);
    assert_eq!(r.cmd(&["SAVE"]), Frame::Simple("OK".into()));
    let file = std::fs::read(srv.dir.path().join("dump.rdb")).expect("dump.rdb");
    drop(srv);
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.rdb");
    std::fs::write(&good, &file).expect("write");
    let good_arg = good.display().to_string();

    let (code, report) = run_as_check_rdb(dir.path(), &[&good_arg]);
    assert_eq!(code, Some(0), "{}", report);
    assert!(report.starts_with(&format!("[offset 0] Checking RDB file {}\n", good_arg)));
    assert!(report.contains("] Checksum OK\n"), "{}", report);
    assert!(report.contains("] \\o/ RDB looks OK! \\o/\n"), "{}", report);
    assert!(
        report.ends_with("[info] 3 keys read\n[info] 1 expires\n[info] 0 already expired\n"),
        "{}",
        report
    );
    if let Ok(real) = std::process::Command::new("redis-check-rdb")
        .arg(&good)
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&real.stdout), report);
    }

    let truncated = dir.path().join("truncated.rdb");
    std::fs::write(&truncated, &file[..file.len() - 12]).expect("write");
    let (code, report) = run_as_check_rdb(dir.path(), &[&truncated.display().to_string()]);
    assert_eq!(code, Some(1), "{}", report);
    common::assert_truncated_rdb_report(&report);

    let (code, version) = run_as_check_rdb(dir.path(), &["-v"]);
    assert_eq!(
        (code, version.as_str()),
        (Some(0), "redis-check-rdb 7.0.15\n")
    );
    assert_eq!(run_as_check_rdb(dir.path(), &[]).0, Some(1));
}
