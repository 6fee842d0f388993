//! `unixsocket` and `unixsocketperm`: clients connect over a Unix domain
//! socket beside TCP (or instead of it with `port 0`), are named and
//! flagged as Redis names them, and the socket file is removed at
//! shutdown. A socket that cannot be opened stops the start.

mod common;

use common::{encode, read_frame, start, wait_for, Frame, TestServer};
use std::io::{BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// One command over a Unix socket connection.
fn unix_cmd(conn: &mut BufReader<UnixStream>, args: &[&str]) -> Frame {
    conn.get_mut().write_all(&encode(args)).expect("send");
    read_frame(conn).expect("reply")
}

fn connect(path: &Path) -> BufReader<UnixStream> {
    BufReader::new(UnixStream::connect(path).expect("connect to the unix socket"))
}

#[test]
fn clients_connect_over_the_socket_beside_tcp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("reddish.sock");
    let sock_arg = sock.display().to_string();
    let server = TestServer::start_with(&["--unixsocket", &sock_arg, "--unixsocketperm", "700"]);
    let mode = std::fs::metadata(&sock)
        .expect("socket file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);

    let mut conn = connect(&sock);
    assert_eq!(
        unix_cmd(&mut conn, &["SET", "k", "over-unix"]),
        Frame::Simple("OK".into())
    );
    let mut tcp = server.raw();
    assert_eq!(tcp.cmd(&["GET", "k"]), Frame::bulk("over-unix"));

    let info = unix_cmd(&mut conn, &["CLIENT", "INFO"]).as_text();
    let name = format!("addr={}:0 laddr={}:0 ", sock_arg, sock_arg);
    assert!(info.contains(&name), "{}", info);
    assert!(info.contains(" flags=U "), "{}", info);
    let tcp_info = tcp.cmd(&["CLIENT", "INFO"]).as_text();
    assert!(tcp_info.contains(" flags=N "), "{}", tcp_info);
    assert_eq!(
        tcp.cmd(&["CONFIG", "GET", "unixsocket*"]),
        Frame::Array(Some(vec![
            Frame::bulk("unixsocket"),
            Frame::bulk(&sock_arg),
            Frame::bulk("unixsocketperm"),
            Frame::bulk("700"),
        ]))
    );

    let client = redis::Client::open(format!("redis+unix://{}", sock_arg)).expect("url");
    let mut rs = client.get_connection().expect("redis crate over unix");
    let value: String = redis::cmd("GET").arg("k").query(&mut rs).expect("GET");
    assert_eq!(value, "over-unix");
}

#[test]
fn port_zero_serves_only_the_socket_and_shutdown_removes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("only.sock");
    let log = dir.path().join("log");
    let mut child = Command::new(common::server_binary())
        .args(["--port", "0", "--save", "", "--unixsocket"])
        .arg(&sock)
        .arg("--logfile")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    assert!(wait_for(Duration::from_secs(10), || UnixStream::connect(
        &sock
    )
    .is_ok()));
    let mut conn = connect(&sock);
    assert_eq!(unix_cmd(&mut conn, &["PING"]), Frame::Simple("PONG".into()));
    assert_eq!(
        unix_cmd(&mut conn, &["CONFIG", "GET", "port"]),
        Frame::Array(Some(vec![Frame::bulk("port"), Frame::bulk("0")]))
    );
    conn.get_mut()
        .write_all(&encode(&["SHUTDOWN", "NOSAVE"]))
        .expect("send");
    let status = child.wait().expect("exit");
    assert!(status.success());
    assert!(!sock.exists(), "the socket file is left behind");
    let text = std::fs::read_to_string(&log).expect("log");
    let ready = format!(
        "The server is now ready to accept connections at {}",
        sock.display()
    );
    assert!(text.contains(&ready), "{}", text);
    assert!(!text.contains("Ready to accept connections"), "{}", text);
    assert!(text.contains("Removing the unix socket file."), "{}", text);
}

#[test]
fn a_socket_that_cannot_be_opened_stops_the_start() {
    let out = start::run(
        &[
            "--port",
            "0",
            "--unixsocket",
            "/nonexistent-dir/reddish.sock",
        ],
        "",
    );
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout
            .contains("# Failed opening Unix socket: bind: No such file or directory"),
        "{}",
        out.stdout
    );
}
