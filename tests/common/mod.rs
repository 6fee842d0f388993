//! Test harness: starts the real `reddish-server` binary on a free port in
//! a scratch directory and hands out clients (the `redis` crate, or a raw
//! socket that speaks RESP byte for byte). Every integration test uses this
//! module and only this one; each test binary uses a part of it.
//!
//! - here: [`TestServer`], [`Raw`], [`Frame`], [`encode`], [`wait_for`];
//! - [`reply`]: expected replies (`ok()`, `err(..)`, `bulks(..)`, ...) and
//!   reading replies (`items`, `texts`, `bulk_text`, ...);
//! - [`query`]: small questions to a server (INFO and CLIENT fields, SCAN,
//!   DEBUG DIGEST, blocked clients, ...);
//! - [`start`]: starting with a config file, or running to completion;
//! - [`real_redis`]: a real redis-server started by a test;
//! - [`repl_stream`]: what a server sends its replicas, command by command;
//! - [`sentinel`]: a real redis-sentinel started by a test;
//! - [`twemproxy`]: nutcracker in front of shards, started by a test;
//! - [`pubsub`]: a pattern subscriber that collects what a server publishes;
//! - [`stream_data`]: a stream and sorted set dataset shared by two files.
#![allow(dead_code)]

pub mod pubsub;
pub mod query;
pub mod real_redis;
pub mod repl_stream;
pub mod reply;
pub mod sentinel;
pub mod start;
pub mod stream_data;
pub mod twemproxy;

pub use query::*;
pub use reply::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_reddish-server");

/// The server binary tests start: `REDDISH_TEST_SERVER` when set (e.g. the
/// real `redis-server`, to check that a test pins Redis's behaviour), else
/// the reddish-server cargo just built.
pub fn server_binary() -> String {
    std::env::var("REDDISH_TEST_SERVER").unwrap_or_else(|_| BINARY.to_string())
}

/// True when the tests run against another server binary (real Redis).
pub fn against_real_redis() -> bool {
    std::env::var_os("REDDISH_TEST_SERVER").is_some()
}

/// A running server, killed when dropped.
pub struct TestServer {
    pub port: u16,
    pub child: Child,
    pub dir: tempfile::TempDir,
}

/// A port nobody listens on right now, never handed out twice in this test
/// process (tests run in parallel threads and could otherwise race for one).
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free port");
        let mut taken = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if !taken.contains(&port) {
            taken.push(port);
            return port;
        }
    }
}

/// True when `program --version` runs; otherwise says so, naming the
/// Debian package that provides it, for a test that then skips.
pub fn program_available(program: &str, package: &str) -> bool {
    let installed = Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !installed {
        eprintln!("{program} is not installed (Debian package {package}): skipping");
    }
    installed
}

/// True when a server on `port` answers an inline PING (`+PONG`, or an
/// error such as `-NOAUTH` or `-LOADING`). A successful connect alone is not
/// proof: on a busy loopback a connect to a port nobody listens on yet can
/// succeed (a socket connected to itself, or a leftover of an earlier server
/// on that port), and the next connect is then refused.
pub fn is_listening(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let mut first = [0u8; 1];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut first).is_ok()
        && matches!(first[0], b'+' | b'-')
}

/// Polls `cond` every 10ms until it holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// Starts with extra command-line arguments (`["--hz", "100"]`).
    pub fn start_with(extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = vec!["--save", "", "--enable-debug-command", "yes"];
        args.extend_from_slice(extra);
        spawn_in(&server_binary(), dir, &[], &args, "")
    }

    pub fn addr(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A `redis` crate connection.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.addr())
            .and_then(|c| c.get_connection())
            .expect("connect")
    }

    /// A raw RESP connection.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the server again on the same port and directory (after it
    /// was killed), with the usual options and `extra`.
    pub fn restart_with(&mut self, extra: &[&str]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.port.to_string();
        let dir = self.dir.path().display().to_string();
        let mut args = vec!["--port", &port, "--bind", "127.0.0.1", "--dir", &dir];
        args.extend_from_slice(&["--save", "", "--enable-debug-command", "yes"]);
        args.extend_from_slice(extra);
        let child = Command::new(server_binary())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the server again");
        self.child = serving(child, self.port)
            .unwrap_or_else(|| panic!("the server did not start again on port {}", self.port));
    }

    /// True while the process is alive.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().map(|s| s.is_none()).unwrap_or(false)
    }
}

/// Starts `binary leading... --port P --bind 127.0.0.1 --dir <dir>
/// extra...` with `stdin` as its standard input, in `dir` (kept by the
/// returned server), and waits until it answers on its port. Tries up to
/// five ports (one may be taken by the time the server binds it).
pub fn spawn_in(
    binary: &str,
    dir: tempfile::TempDir,
    leading: &[String],
    extra: &[&str],
    stdin: &str,
) -> TestServer {
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new(binary)
            .args(leading)
            .arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {binary}: {e}"));
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_bytes());
        }
        if let Some(child) = serving(child, port) {
            return TestServer { port, child, dir };
        }
    }
    panic!("{binary} did not start");
}

/// Waits until the process just started answers on `port`: `None` (the
/// process killed) when it exited or did not answer within 10 seconds.
pub fn serving(child: Child, port: u16) -> Option<Child> {
    serving_when(child, || is_listening(port))
}

/// Waits until the process just started is `answering`: `None` (the
/// process killed) when it exited or did not answer within 10 seconds.
pub fn serving_when(mut child: Child, mut answering: impl FnMut() -> bool) -> Option<Child> {
    let up = wait_for(Duration::from_secs(10), || {
        answering() || child.try_wait().map(|s| s.is_some()).unwrap_or(true)
    });
    if up && child.try_wait().map(|s| s.is_none()).unwrap_or(false) {
        return Some(child);
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed reply, as the raw connection sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Frame>>),
    /// RESP3 types keep their prefix byte: `%`, `~`, `>`, `,`, `#`, `_`, `=`, `(`.
    Typed(u8, Vec<Frame>),
    Line(u8, String),
}

impl Frame {
    /// A bulk string reply holding `bytes` (text or binary).
    pub fn bulk<B: AsRef<[u8]> + ?Sized>(bytes: &B) -> Frame {
        Frame::Bulk(Some(bytes.as_ref().to_vec()))
    }

    pub fn as_text(&self) -> String {
        match self {
            Frame::Simple(s) | Frame::Error(s) | Frame::Line(_, s) => s.clone(),
            Frame::Int(n) => n.to_string(),
            Frame::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{:?}", other),
        }
    }
}

/// A plain TCP connection speaking RESP.
pub struct Raw {
    pub stream: BufReader<TcpStream>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        Raw::from_stream(TcpStream::connect(("127.0.0.1", port)).expect("connect"))
    }

    /// Wraps a connected socket (with a 10s read timeout).
    pub fn from_stream(stream: TcpStream) -> Raw {
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        Raw {
            stream: BufReader::new(stream),
        }
    }

    /// Sends bytes as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).expect("write");
    }

    /// Sends bytes the server may stop reading midway by closing the
    /// connection (a client it evicts or drops); whether all were sent.
    pub fn send_may_be_cut(&mut self, bytes: &[u8]) -> bool {
        self.stream.get_mut().write_all(bytes).is_ok()
    }

    /// Sends a command as a RESP array of bulk strings.
    pub fn cmd(&mut self, args: &[&str]) -> Frame {
        self.send(&encode(args));
        self.read()
    }

    /// Sends a command whose arguments are bytes (binary-safe).
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Frame {
        self.send(&encode_bytes(args));
        self.read()
    }

    /// Sends a command without reading its reply (for clients that block,
    /// or replies read later).
    pub fn send_cmd(&mut self, args: &[&str]) {
        self.send(&encode(args));
    }

    /// Reads one reply.
    pub fn read(&mut self) -> Frame {
        read_frame(&mut self.stream).expect("read reply")
    }

    /// Reads exactly `n` raw bytes.
    pub fn read_bytes(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.stream.read_exact(&mut buf).expect("read bytes");
        buf
    }

    /// True once the server closes the connection within `timeout`
    /// (polled; bytes arriving before the close are skipped).
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let short = Some(Duration::from_millis(20));
        self.stream.get_ref().set_read_timeout(short).ok();
        let mut buf = [0u8; 4096];
        let closed = wait_for(timeout, || match self.stream.read(&mut buf) {
            Ok(n) => n == 0,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        });
        let normal = Some(Duration::from_secs(10));
        self.stream.get_ref().set_read_timeout(normal).ok();
        closed
    }

    /// True once the server has closed the connection; false when bytes
    /// arrive or the connection is still open when the read timeout expires.
    pub fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        match self.stream.read(&mut buf) {
            Ok(n) => n == 0,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }
}

/// Encodes a command as RESP.
pub fn encode(args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    encode_bytes(&args)
}

/// Encodes a command whose arguments are bytes as RESP.
pub fn encode_bytes(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_line(r: &mut impl BufRead) -> Option<String> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).ok()?;
    if line.is_empty() {
        return None;
    }
    while line.last() == Some(&b'\n') || line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

pub fn read_frame(r: &mut impl BufRead) -> Option<Frame> {
    let line = read_line(r)?;
    let (prefix, rest) = line.split_at(1);
    let count = || rest.parse::<i64>().ok();
    Some(match prefix.as_bytes()[0] {
        b'+' => Frame::Simple(rest.to_string()),
        b'-' => Frame::Error(rest.to_string()),
        b':' => Frame::Int(count()?),
        b'$' | b'=' => {
            let n = count()?;
            if n < 0 {
                Frame::Bulk(None)
            } else {
                let mut buf = vec![0u8; n as usize + 2];
                r.read_exact(&mut buf).ok()?;
                buf.truncate(n as usize);
                if prefix == "=" {
                    Frame::Line(b'=', String::from_utf8_lossy(&buf).into_owned())
                } else {
                    Frame::Bulk(Some(buf))
                }
            }
        }
        b'*' => {
            let n = count()?;
            if n < 0 {
                Frame::Array(None)
            } else {
                Frame::Array(Some((0..n).map(|_| read_frame(r)).collect::<Option<_>>()?))
            }
        }
        p @ (b'%' | b'|') => {
            let n = count()?;
            Frame::Typed(p, (0..2 * n).map(|_| read_frame(r)).collect::<Option<_>>()?)
        }
        p @ (b'~' | b'>') => {
            let n = count()?;
            Frame::Typed(p, (0..n).map(|_| read_frame(r)).collect::<Option<_>>()?)
        }
        p => Frame::Line(p, rest.to_string()),
    })
}

/// Asserts `report` (redis-check-rdb's) holds the error block of a file
/// cut short: the banner, the EOF error and what was being read.
#[allow(dead_code)]
pub fn assert_truncated_rdb_report(report: &str) {
    for line in [
        "--- RDB ERROR DETECTED ---\n",
        "] Unexpected EOF reading RDB file\n",
        "[additional info] While doing: ",
        " keys read\n",
    ] {
        assert!(report.contains(line), "no {line:?} in {report}");
    }
}
