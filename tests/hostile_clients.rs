//! Clients that misbehave: closing in the same segment as their last
//! request, never reading their replies, connecting from where protected
//! mode forbids. Each test pins what Redis 7.0 does in that case.

mod common;

use common::{bulks, info, info_int, items, wait_for, Frame, Raw, TestServer};
use std::io::Write;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Connects and waits until the server has accepted the connection (so
/// the bytes cannot be read at accept time), then sends `bytes` and closes
/// so that the data and the FIN leave in one TCP segment (TCP_CORK holds
/// the data until the close flushes it): the server gets a single
/// readiness edge for both.
fn send_and_close_at_once(control: &mut Raw, port: u16, bytes: &[u8]) {
    let accepted_before = total_connections(control);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    assert!(wait_for(Duration::from_secs(5), || total_connections(
        control
    ) > accepted_before));
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a socket this function owns, passing a live
    // c_int and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CORK,
            &on as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "TCP_CORK");
    stream.write_all(bytes).expect("write");
}

fn connected_clients(raw: &mut Raw) -> i64 {
    info_int(&info(raw, &["clients"]), "connected_clients")
}

fn total_connections(raw: &mut Raw) -> i64 {
    info_int(&info(raw, &["stats"]), "total_connections_received")
}

#[test]
fn a_partial_request_closed_at_once_frees_the_client() {
    let srv = TestServer::start_with(&["--requirepass", "pw", "--maxclients", "150"]);
    let mut control = srv.raw();
    assert_eq!(control.cmd(&["AUTH", "pw"]), Frame::Simple("OK".into()));
    for _ in 0..200 {
        send_and_close_at_once(&mut control, srv.port, b"*2\r\n$4\r\nAUTH\r\n");
    }
    assert!(
        wait_for(Duration::from_secs(5), || connected_clients(&mut control)
            == 1),
        "half-closed clients stay connected"
    );
    let mut raw = srv.raw();
    assert_eq!(raw.cmd(&["AUTH", "pw"]), Frame::Simple("OK".into()));
}

#[test]
fn a_blocking_request_closed_at_once_does_not_swallow_a_push() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    send_and_close_at_once(
        &mut raw,
        srv.port,
        b"*3\r\n$5\r\nBLPOP\r\n$5\r\nqueue\r\n$1\r\n0\r\n",
    );
    // The request was fully received: like Redis, it may run and block
    // before the close is seen, but the close must then unblock it.
    assert!(
        wait_for(Duration::from_secs(5), || {
            let info = info(&mut raw, &["clients"]);
            info_int(&info, "connected_clients") == 1 && info_int(&info, "blocked_clients") == 0
        }),
        "the closed client stays blocked"
    );
    assert_eq!(raw.cmd(&["LPUSH", "queue", "job-1"]), Frame::Int(1));
    assert_eq!(raw.cmd(&["LLEN", "queue"]), Frame::Int(1));
}

#[test]
fn a_complete_request_closed_at_once_still_runs() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    send_and_close_at_once(
        &mut raw,
        srv.port,
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
    );
    assert!(wait_for(Duration::from_secs(5), || connected_clients(
        &mut raw
    ) == 1));
    assert_eq!(raw.cmd(&["GET", "k"]), Frame::bulk("v"));
}

#[test]
fn closes_are_noticed_while_paused_and_in_multi() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    send_and_close_at_once(&mut raw, srv.port, b"MULTI\r\nSET a 1\r\n");
    assert!(
        wait_for(Duration::from_secs(5), || connected_clients(&mut raw) == 1),
        "a client in MULTI stays after closing"
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        Frame::Simple("OK".into())
    );
    send_and_close_at_once(&mut raw, srv.port, b"SET a 1\r\n");
    assert!(
        wait_for(Duration::from_secs(5), || connected_clients(&mut raw) == 1),
        "a paused client's close is not noticed"
    );
    assert_eq!(raw.cmd(&["CLIENT", "UNPAUSE"]), Frame::Simple("OK".into()));
    assert_eq!(raw.cmd(&["EXISTS", "a"]), Frame::Int(0));
}

#[test]
fn a_close_in_the_middle_of_a_large_reply_frees_the_client() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    let big = "x".repeat(8 << 20);
    assert_eq!(raw.cmd(&["SET", "big", &big]), Frame::Simple("OK".into()));
    send_and_close_at_once(&mut raw, srv.port, b"GET big\r\nGET big\r\n");
    assert!(
        wait_for(Duration::from_secs(5), || connected_clients(&mut raw) == 1),
        "a client closed while its reply was pending stays"
    );
}

/// Connects to the server on 127.0.0.1 from the local address `source`
/// (any 127.x.x.x address is loopback on Linux).
fn connect_from(source: &str, port: u16) -> Raw {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let from: std::net::SocketAddr = format!("{}:0", source).parse().expect("source address");
    socket.bind(&from.into()).expect("bind source address");
    let to: std::net::SocketAddr = format!("127.0.0.1:{}", port).parse().expect("address");
    socket.connect(&to.into()).expect("connect");
    Raw::from_stream(socket.into())
}

const DENIED: &str = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";

#[test]
fn protected_mode_admits_only_127_0_0_1_whatever_bind_says() {
    for bind in ["127.0.0.1", "0.0.0.0"] {
        let srv = TestServer::start_with(&["--bind", bind, "--protected-mode", "yes"]);
        let mut denied = connect_from("127.0.0.2", srv.port);
        denied.send(b"PING\r\n");
        assert_eq!(denied.read(), Frame::Error(DENIED.into()), "bind {}", bind);
        let mut local = connect_from("127.0.0.1", srv.port);
        assert_eq!(local.cmd(&["PING"]), Frame::Simple("PONG".into()));
        let stats = info(&mut local, &["stats"]);
        assert_eq!(info_int(&stats, "rejected_connections"), 1);
        assert_eq!(
            local.cmd(&["CONFIG", "SET", "protected-mode", "no"]),
            Frame::Simple("OK".into())
        );
        let mut admitted = connect_from("127.0.0.2", srv.port);
        assert_eq!(admitted.cmd(&["PING"]), Frame::Simple("PONG".into()));
    }
}

#[test]
fn protected_mode_is_off_with_a_password() {
    let srv = TestServer::start_with(&["--protected-mode", "yes", "--requirepass", "pw"]);
    let mut other = connect_from("127.0.0.2", srv.port);
    assert_eq!(
        other.cmd(&["PING"]),
        Frame::Error("NOAUTH Authentication required.".into())
    );
}

#[test]
fn refused_connections_are_not_counted_as_received() {
    let srv = TestServer::start_with(&["--maxclients", "1"]);
    // The start-up probe's connection may not be freed yet.
    let mut first = None;
    assert!(wait_for(Duration::from_secs(5), || {
        let mut raw = srv.raw();
        let admitted = raw.cmd(&["PING"]) == Frame::Simple("PONG".into());
        first = admitted.then_some(raw);
        admitted
    }));
    let mut raw = first.expect("admitted connection");
    let before = total_connections(&mut raw);
    let mut refused = srv.raw();
    refused.send(b"PING\r\n");
    assert_eq!(
        refused.read(),
        Frame::Error("ERR max number of clients reached".into())
    );
    let stats = info(&mut raw, &["stats"]);
    assert_eq!(info_int(&stats, "total_connections_received"), before);
    assert_eq!(info_int(&stats, "rejected_connections"), 1);
}

/// A connection that sends `count` copies of `request` and never reads.
fn flood_without_reading(port: u16, request: &[u8], count: usize) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .write_all(&request.repeat(count))
        .expect("write requests");
    stream
}

fn log_of(srv: &TestServer) -> String {
    std::fs::read_to_string(srv.path("server.log")).unwrap_or_default()
}

/// INFO's count of clients closed for their output (a Redis 7.2 field,
/// absent from 7.0: not checked against the real server).
fn assert_limit_disconnections(raw: &mut Raw, expected: i64) {
    let stats = info(raw, &["stats"]);
    let count = info_int(&stats, "client_output_buffer_limit_disconnections");
    if !common::against_real_redis() {
        assert_eq!(count, expected);
    }
}

const LIMIT_LOG: &str = "scheduled to be closed ASAP for overcoming of output buffer limits.";

#[test]
fn a_client_over_the_hard_output_limit_is_closed() {
    let srv = TestServer::start_with(&[
        "--client-output-buffer-limit",
        "normal 8mb 0 0",
        "--logfile",
        "server.log",
    ]);
    let mut raw = srv.raw();
    let value = "v".repeat(512 * 1024);
    assert_eq!(raw.cmd(&["SET", "big", &value]), Frame::Simple("OK".into()));
    let _reader_that_never_reads = flood_without_reading(srv.port, b"GET big\r\n", 128);
    assert!(
        wait_for(Duration::from_secs(10), || connected_clients(&mut raw) == 1),
        "the hard limit is not enforced"
    );
    assert_limit_disconnections(&mut raw, 1);
    assert!(log_of(&srv).contains(LIMIT_LOG), "log: {}", log_of(&srv));
    let memory = info(&mut raw, &["memory"]);
    assert!(info_int(&memory, "used_memory") < 32 << 20, "{}", memory);
}

/// Peak resident size of a process, from /proc (VmHWM).
fn peak_resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A transaction whose replies pass the output limit still runs to the
/// end (its writes happen), but once the client is marked to close its
/// later replies are not kept: 400 GETs of 512 KB under a 1 MB limit never
/// hold 200 MB of replies, and nothing is sent.
#[test]
fn a_transaction_past_the_output_limit_runs_but_keeps_no_more_replies() {
    let srv = TestServer::start_with(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut raw = srv.raw();
    let value = "v".repeat(512 * 1024);
    assert_eq!(raw.cmd(&["SET", "big", &value]), Frame::Simple("OK".into()));
    let mut tx = vec!["MULTI".to_string()];
    tx.extend(std::iter::repeat_n("GET big".to_string(), 400));
    tx.extend(["SET done yes".to_string(), "EXEC".to_string()]);
    let script: String = tx.iter().map(|line| format!("{line}\r\n")).collect();
    let mut client = srv.raw();
    client.send(script.as_bytes());
    let mut got = Vec::new();
    let _ = std::io::Read::read_to_end(&mut client.stream, &mut got);
    // Even the QUEUED replies, still unsent, are dropped with the client.
    assert!(got.is_empty(), "{} bytes sent", got.len());
    assert_eq!(raw.cmd(&["GET", "done"]), Frame::bulk("yes"));
    assert_limit_disconnections(&mut raw, 1);
    let peak = peak_resident_bytes(srv.child.id());
    assert!(peak < 64 << 20, "peak resident size {peak}");
}

#[test]
fn a_client_over_the_soft_output_limit_for_too_long_is_closed() {
    let srv = TestServer::start_with(&["--client-output-buffer-limit", "normal 0 4mb 1"]);
    let mut raw = srv.raw();
    let value = "v".repeat(512 * 1024);
    assert_eq!(raw.cmd(&["SET", "big", &value]), Frame::Simple("OK".into()));
    let _reader_that_never_reads = flood_without_reading(srv.port, b"GET big\r\n", 40);
    // Over the soft limit it stays for a second: see it come, then go.
    assert!(wait_for(Duration::from_secs(5), || connected_clients(
        &mut raw
    ) == 2));
    assert!(
        wait_for(Duration::from_secs(10), || connected_clients(&mut raw) == 1),
        "the soft limit is not enforced"
    );
    assert_limit_disconnections(&mut raw, 1);
}

#[test]
fn a_monitor_that_never_reads_is_closed_at_the_limit() {
    let srv = TestServer::start_with(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut raw = srv.raw();
    let _monitor = flood_without_reading(srv.port, b"MONITOR\r\n", 1);
    assert!(wait_for(Duration::from_secs(5), || connected_clients(
        &mut raw
    ) == 2));
    let value = "m".repeat(64 * 1024);
    for _ in 0..200 {
        assert_eq!(raw.cmd(&["SET", "k", &value]), Frame::Simple("OK".into()));
    }
    assert!(
        wait_for(Duration::from_secs(5), || connected_clients(&mut raw) == 1),
        "the monitor was not closed"
    );
}

/// Sends `args` and expects the connection to be closed with nothing
/// sent back (a reply cut off by the output limit is never sent).
fn closed_without_reply(srv: &TestServer, args: &[&str]) {
    let mut raw = srv.raw();
    raw.send_cmd(args);
    let mut got = Vec::new();
    let outcome = std::io::Read::read_to_end(&mut raw.stream, &mut got);
    let reset = outcome
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset);
    assert!(outcome.is_ok() || reset, "{:?}: {:?}", args, outcome);
    assert!(got.is_empty(), "{:?} replied {} bytes", args, got.len());
}

/// `n` keys of 100-odd bytes, as unit/obuf-limits makes them.
fn long_keys(raw: &mut Raw, n: usize) {
    let prefix = format!("long-key-name-prefix-of-100-chars{}", "-".repeat(67));
    let keys: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let mut mset = vec!["MSET"];
    for key in &keys {
        mset.extend([key.as_str(), "AAA"]);
    }
    assert_eq!(raw.cmd(&mset), Frame::Simple("OK".into()));
}

/// A KEYS reply is all in Redis's reply list (its deferred length starts
/// it), counted in 20KB blocks: 700 keys take 4 (82016 bytes), within a
/// 100000-byte limit; 750 take a fifth, and the client is closed before
/// anything is sent, while the server and its other clients go on.
#[test]
fn keys_over_the_output_limit_closes_its_client_without_a_reply() {
    let srv = TestServer::start_with(&[
        "--client-output-buffer-limit",
        "normal 100000 0 0",
        "--logfile",
        "server.log",
    ]);
    let mut control = srv.raw();
    long_keys(&mut control, 700);
    let mut reader = srv.raw();
    assert_eq!(items(reader.cmd(&["KEYS", "*"])).len(), 700);
    long_keys(&mut control, 750);
    closed_without_reply(&srv, &["KEYS", "*"]);
    assert_eq!(reader.cmd(&["DBSIZE"]), Frame::Int(750));
    assert_eq!(items(reader.cmd(&["KEYS", "*9"])).len(), 75);
    assert_eq!(control.cmd(&["PING"]), Frame::Simple("PONG".into()));
    assert_eq!(connected_clients(&mut control), 2);
    assert_limit_disconnections(&mut control, 1);
    let log = log_of(&srv);
    assert!(
        log.contains(LIMIT_LOG) && log.contains("cmd=keys"),
        "log: {log}"
    );
}

/// The random-pick commands with a negative count (repeats allowed) reply
/// without bound but the count: they stop at the output limit instead of
/// building gigabytes, and the client is closed.
#[test]
fn random_picks_stop_at_the_output_limit() {
    let srv = TestServer::start_with(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut control = srv.raw();
    control.cmd(&["HSET", "h", "a", "b"]);
    control.cmd(&["SADD", "s", "a"]);
    control.cmd(&["ZADD", "z", "1", "a"]);
    for args in [
        ["HRANDFIELD", "h", "-999999999", "WITHVALUES"],
        ["HRANDFIELD", "h", "-999999999", ""],
        ["SRANDMEMBER", "s", "-999999999", ""],
        ["ZRANDMEMBER", "z", "-999999999", "WITHSCORES"],
    ] {
        let args: Vec<&str> = args.into_iter().filter(|a| !a.is_empty()).collect();
        closed_without_reply(&srv, &args);
    }
    assert_limit_disconnections(&mut control, 4);
    let memory = info(&mut control, &["memory"]);
    assert!(info_int(&memory, "used_memory_peak") < 64 << 20, "{memory}");
    assert_eq!(
        control.cmd(&["SRANDMEMBER", "s", "-3"]),
        bulks(&["a", "a", "a"])
    );
}

#[test]
fn clients_within_the_limits_keep_their_replies() {
    let srv = TestServer::start_with(&["--client-output-buffer-limit", "normal 8mb 0 0"]);
    let mut raw = srv.raw();
    let value = "v".repeat(512 * 1024);
    assert_eq!(raw.cmd(&["SET", "big", &value]), Frame::Simple("OK".into()));
    for _ in 0..64 {
        assert_eq!(raw.cmd(&["GET", "big"]), Frame::bulk(&value));
    }
}

#[test]
fn idle_connections_give_their_buffers_back() {
    let srv = TestServer::start();
    let mut control = srv.raw();
    assert_eq!(control.cmd(&["PING"]), Frame::Simple("PONG".into()));
    let used = |control: &mut Raw| info_int(&info(control, &["memory"]), "used_memory");
    let before = used(&mut control);
    let idle: Vec<Raw> = (0..500)
        .map(|_| {
            let mut raw = srv.raw();
            assert_eq!(raw.cmd(&["PING"]), Frame::Simple("PONG".into()));
            raw
        })
        .collect();
    // As in Redis 7.0, each holds a 16KB query buffer until it has been
    // idle for over 2 seconds, and a reply buffer the cron shrinks to 1KB.
    let settled = |control: &mut Raw| {
        let list = control.cmd(&["CLIENT", "LIST"]).as_text();
        list.lines()
            .filter(|l| !l.contains(" cmd=client|list "))
            .all(|l| l.contains(" qbuf-free=0 ") && l.contains(" rbs=1024 "))
    };
    assert!(
        wait_for(Duration::from_secs(10), || settled(&mut control)),
        "idle clients keep their buffers:\n{}",
        control.cmd(&["CLIENT", "LIST"]).as_text()
    );
    let per_connection = (used(&mut control) - before) / idle.len() as i64;
    assert!(
        per_connection < 4096,
        "{per_connection} bytes per idle connection"
    );
}

#[test]
fn an_idle_client_gives_its_reply_buffer_back() {
    let srv = TestServer::start();
    let mut control = srv.raw();
    assert_eq!(
        control.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]),
        Frame::Simple("OK".into())
    );
    let mut reader = srv.raw();
    assert_eq!(
        reader.cmd(&["CLIENT", "SETNAME", "reader"]),
        Frame::Simple("OK".into())
    );
    let value = "r".repeat(100_000);
    assert_eq!(
        reader.cmd(&["SET", "big", &value]),
        Frame::Simple("OK".into())
    );
    assert_eq!(reader.cmd(&["GET", "big"]), Frame::bulk(&value));
    let reader_field = |control: &mut Raw, field: &str| {
        let line = common::client_line(control, "reader");
        common::client_field(&line, field)
            .parse::<i64>()
            .unwrap_or(-1)
    };
    assert!(
        wait_for(Duration::from_secs(5), || reader_field(&mut control, "rbs")
            == 1024
            && reader_field(&mut control, "tot-mem") < 4096),
        "rbs={} tot-mem={}",
        reader_field(&mut control, "rbs"),
        reader_field(&mut control, "tot-mem")
    );
}

#[test]
fn errors_quote_the_clients_bytes_as_they_came() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.send(b"*2\r\n$3\r\nf\xffo\r\n$2\r\n\xfe!\r\n");
    let mut reply = Vec::new();
    std::io::BufRead::read_until(&mut raw.stream, b'\n', &mut reply).expect("reply");
    assert_eq!(
        reply,
        b"-ERR unknown command 'f\xffo', with args beginning with: '\xfe!' \r\n"
    );
    raw.send(b"*2\r\n$6\r\nCONFIG\r\n$2\r\n\xc3(\r\n");
    reply.clear();
    std::io::BufRead::read_until(&mut raw.stream, b'\n', &mut reply).expect("reply");
    assert_eq!(
        reply,
        b"-ERR unknown subcommand '\xc3('. Try CONFIG HELP.\r\n"
    );
    raw.send(b"*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$1\r\n1\r\n*4\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$1\r\n1\r\n$2\r\n\xff\xfe\r\n");
    assert_eq!(raw.read(), Frame::Int(0));
    reply.clear();
    std::io::BufRead::read_until(&mut raw.stream, b'\n', &mut reply).expect("reply");
    assert_eq!(reply, b"-ERR Unsupported option \xff\xfe\r\n");
}
