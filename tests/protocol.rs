//! The wire protocol, byte for byte, against the real binary over raw
//! sockets: pipelining, inline commands, requests split across reads, size
//! limits, and the exact `-ERR Protocol error: ...` replies (each followed by
//! the server closing that connection, and only that one). The expected texts
//! were checked against redis-server 7.0.15.

mod common;

use common::{encode, encode_bytes, ok, resident_kb, Frame, Raw, TestServer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const MB: usize = 1024 * 1024;

/// Bytes that change every position, so a shifted or truncated copy shows.
fn patterned(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Sends `bytes` from another thread (the server may answer or close while
/// we are still writing); write errors after a close are expected.
fn send_in_background(raw: &Raw, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let mut stream = raw.stream.get_ref().try_clone().expect("clone socket");
    std::thread::spawn(move || {
        let _ = stream.write_all(&bytes);
    })
}

/// Sends `input` on a fresh connection and checks Redis's protocol error
/// reply, then that the server closed the connection.
fn assert_protocol_error(srv: &TestServer, input: &[u8], reason: &str) {
    let mut raw = srv.raw();
    raw.send(input);
    assert_eq!(
        raw.read(),
        Frame::Error(format!("ERR Protocol error: {}", reason)),
        "input {:?}",
        String::from_utf8_lossy(&input[..input.len().min(40)])
    );
    assert!(raw.is_closed(), "connection left open after {:?}", reason);
}

/// Reads until the server closes; returns what arrived before.
fn read_until_closed(raw: &mut Raw) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match raw.stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("connection still open ({}), got {:?}", e, got),
        }
    }
}

/// Reads one reply per expected frame, in order.
fn assert_replies(raw: &mut Raw, expected: &[Frame]) {
    for want in expected {
        assert_eq!(&raw.read(), want);
    }
}

#[test]
fn thousands_of_pipelined_commands_in_one_write() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    let n = 5000;
    let mut batch = Vec::new();
    for i in 0..n {
        batch.extend(encode(&["SET", &format!("key:{}", i), &format!("v{}", i)]));
        batch.extend(encode(&["INCR", "counter"]));
        batch.extend(encode(&["GET", &format!("key:{}", i)]));
    }
    let writer = send_in_background(&raw, batch);
    for i in 0..n {
        assert_eq!(raw.read(), ok());
        assert_eq!(raw.read(), Frame::Int(i + 1));
        assert_eq!(raw.read(), Frame::bulk(&format!("v{}", i)));
    }
    writer.join().expect("writer");
}

#[test]
fn inline_commands_with_quoting_and_either_line_ending() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.send(b"SET k v\r\nGET k\nSET spaced \"hello world\"\r\nGET spaced\r\n");
    assert_replies(
        &mut raw,
        &[ok(), Frame::bulk("v"), ok(), Frame::bulk("hello world")],
    );

    raw.send(b"SET esc \"a\\x41\\n\\t\" \r\nGET esc\r\nSET single 'it\\'s'\r\nGET single\r\n");
    assert_replies(
        &mut raw,
        &[ok(), Frame::bulk("aA\n\t"), ok(), Frame::bulk("it's")],
    );
}

#[test]
fn empty_lines_and_empty_multibulks_are_ignored() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.send(b"\r\n\n   \r\n*0\r\n*-1\r\n*-5\r\n");
    raw.send_cmd(&["SET", "k", "after"]);
    raw.send(b"GET k\r\n");
    assert_replies(&mut raw, &[ok(), Frame::bulk("after")]);
}

#[test]
fn inline_and_multibulk_mixed_in_one_write() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    let mut bytes = b"SET a 1\r\n".to_vec();
    bytes.extend(encode(&["INCR", "a"]));
    bytes.extend_from_slice(b"GET a\r\n");
    raw.send(&bytes);
    assert_replies(&mut raw, &[ok(), Frame::Int(2), Frame::bulk("2")]);
}

#[test]
fn request_arriving_byte_by_byte() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.stream.get_ref().set_nodelay(true).expect("nodelay");
    for &b in encode_bytes(&[b"SET", b"slow", b"0123456789"]).iter() {
        raw.send(&[b]);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(raw.read(), ok());
    for &b in b"GET slow\r\n" {
        raw.send(&[b]);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(raw.read(), Frame::bulk("0123456789"));
}

#[test]
fn request_split_at_argument_boundaries() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.stream.get_ref().set_nodelay(true).expect("nodelay");
    for part in [
        &b"*3\r\n$3\r\nSET\r\n"[..],
        b"$1\r\nk\r\n$5\r\n",
        b"hello\r\n",
    ] {
        raw.send(part);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(raw.read(), ok());
    assert_eq!(raw.cmd(&["GET", "k"]), Frame::bulk("hello"));
}

#[test]
fn big_values_arrive_intact() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    for len in [40 * 1024, 3 * MB] {
        let value = patterned(len);
        let writer = send_in_background(&raw, encode_bytes(&[b"SET", b"big", &value]));
        assert_eq!(raw.read(), ok(), "SET of {} bytes", len);
        writer.join().expect("writer");
        assert_eq!(raw.cmd(&["STRLEN", "big"]), Frame::Int(len as i64));
        assert_eq!(raw.cmd(&["GET", "big"]), Frame::Bulk(Some(value)));
    }
}

#[test]
fn arguments_up_to_proto_max_bulk_len() {
    let srv = TestServer::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut raw = srv.raw();
    let value = patterned(MB);
    let writer = send_in_background(&raw, encode_bytes(&[b"SET", b"max", &value]));
    assert_eq!(raw.read(), ok());
    writer.join().expect("writer");
    assert_eq!(raw.cmd(&["STRLEN", "max"]), Frame::Int(MB as i64));
    assert_eq!(raw.cmd(&["GET", "max"]), Frame::Bulk(Some(value)));

    assert_protocol_error(
        &srv,
        format!("*3\r\n$3\r\nSET\r\n$3\r\nmax\r\n${}\r\n", MB + 1).as_bytes(),
        "invalid bulk length",
    );
}

/// Malformed requests that fit in one read, by the reason Redis gives.
const MALFORMED: &[(&str, &[&[u8]])] = &[
    (
        "invalid multibulk length",
        &[
            b"*x\r\n",
            b"*\r\n",
            b"*+1\r\n",
            b"*2147483648\r\n",
            b"*99999999999999999999\r\n",
        ],
    ),
    (
        "invalid bulk length",
        &[
            b"*1\r\n$-1\r\n",
            b"*1\r\n$x\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$536870913\r\n",
            b"*1\r\n$99999999999999999999\r\n",
        ],
    ),
    ("expected '$', got 'f'", &[b"*1\r\nfoo\r\n"]),
    ("expected '$', got ':'", &[b"*2\r\n$3\r\nGET\r\n:1\r\n"]),
    (
        "unbalanced quotes in request",
        &[b"SET k \"v\r\n", b"SET k \"a\"b\r\n", b"SET k 'v\r\n"],
    ),
];

#[test]
fn protocol_errors_reply_then_close() {
    let srv = TestServer::start();
    for (reason, inputs) in MALFORMED {
        for input in inputs.iter() {
            assert_protocol_error(&srv, input, reason);
        }
    }
}

/// Redis refuses a line (inline request, or `*`/`$` count) that reaches
/// 64KB without a newline. The inputs are exactly one byte over, so the
/// server has read all of them when it answers (unread bytes would make the
/// close a reset that can discard the reply).
#[test]
fn lines_over_64kb_without_newline_are_refused() {
    const LIMIT: usize = 64 * 1024;
    let srv = TestServer::start();
    let digits = vec![b'1'; LIMIT];
    assert_protocol_error(&srv, &vec![b'a'; LIMIT + 1], "too big inline request");
    let mbulk_count = [&b"*"[..], &digits].concat();
    assert_protocol_error(&srv, &mbulk_count, "too big mbulk count string");
    let bulk_count = [&b"*1\r\n$"[..], &digits].concat();
    assert_protocol_error(&srv, &bulk_count, "too big bulk count string");
}

#[test]
fn commands_before_a_protocol_error_are_answered() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    let mut bytes = encode(&["SET", "k", "v"]);
    bytes.extend_from_slice(b"GET k\r\n*1\r\n$-1\r\nGET k\r\n");
    raw.send(&bytes);
    assert_eq!(raw.read(), ok());
    assert_eq!(raw.read(), Frame::bulk("v"));
    assert_eq!(
        raw.read(),
        Frame::Error("ERR Protocol error: invalid bulk length".into())
    );
    assert!(raw.is_closed());
}

#[test]
fn other_clients_are_served_after_a_protocol_error() {
    let srv = TestServer::start();
    let mut bystander = srv.raw();
    assert_eq!(bystander.cmd(&["SET", "k", "v"]), ok());
    let mut offender = srv.raw();
    offender.send(&encode(&["GET", "k"])[..10]);
    assert_protocol_error(&srv, b"*x\r\n", "invalid multibulk length");
    offender.send(b"\r\nfoo\r\n");
    assert!(matches!(offender.read(), Frame::Error(e) if e.starts_with("ERR Protocol error")));
    assert!(offender.is_closed());
    assert_eq!(bystander.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(srv.raw().cmd(&["GET", "k"]), Frame::bulk("v"));
}

#[test]
fn query_buffer_over_the_limit_closes_only_that_client() {
    let srv = TestServer::start_with(&["--client-query-buffer-limit", "1mb"]);
    let mut bystander = srv.raw();
    assert_eq!(bystander.cmd(&["SET", "k", "v"]), ok());

    let mut greedy = srv.raw();
    let writer = send_in_background(&greedy, encode_bytes(&[b"SET", b"k", &patterned(2 * MB)]));
    assert_eq!(
        read_until_closed(&mut greedy),
        b"",
        "no reply before the close"
    );
    writer.join().expect("writer");

    assert_eq!(bystander.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(srv.raw().cmd(&["STRLEN", "k"]), Frame::Int(1));
}

#[test]
fn pipelines_bigger_than_the_query_buffer_limit_are_fine() {
    let srv = TestServer::start_with(&["--client-query-buffer-limit", "1mb"]);
    let mut raw = srv.raw();
    let one = encode(&["SET", "some:key", "some value"]);
    let n = 2 * MB / one.len();
    let writer = send_in_background(&raw, one.repeat(n));
    for _ in 0..n {
        assert_eq!(raw.read(), ok());
    }
    writer.join().expect("writer");
}

#[test]
fn announced_huge_bulks_do_not_allocate_up_front() {
    let srv = TestServer::start();
    let waiting: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
            s.write_all(b"*2\r\n$3\r\nGET\r\n$536870912\r\n")
                .expect("write");
            s
        })
        .collect();
    assert_eq!(srv.raw().cmd(&["SET", "k", "v"]), ok());
    let rss = resident_kb(srv.child.id());
    assert!(rss < 64 * 1024, "resident set {} kB", rss);
    drop(waiting);
}
