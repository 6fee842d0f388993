//! Clients' query and reply buffers as CLIENT LIST (`qbuf`, `qbuf-free`,
//! `rbs`, `rbp`) and INFO show them, sized and resized as Redis 7.0 does:
//! a 16KB query buffer from the first read, freed by the clients cron once
//! the client is idle and trimmed toward its recent peak; a reply buffer
//! kept between 1KB and 16KB after its recent peak, which DEBUG
//! REPLYBUFFER tunes. Every test also passes against real Redis
//! (`REDDISH_TEST_SERVER=$(command -v redis-server)`).

mod common;

use common::{client_field, client_line, info_field, ok, Frame, Raw, TestServer};
use std::time::Duration;

/// Long enough for the cron to act on an idle client (idle is counted in
/// whole seconds and the buffer goes after more than 2 of them).
const IDLE_WAIT: Duration = Duration::from_secs(8);
/// Long enough for a few passes of the clients cron.
const CRON_WAIT: Duration = Duration::from_secs(3);

/// `qbuf + qbuf-free` of the client named `name`: its query buffer's size.
fn query_buffer(observer: &mut Raw, name: &str) -> usize {
    let line = client_line(observer, name);
    let field = |f: &str| client_field(&line, f).parse::<usize>().expect("number");
    field("qbuf") + field("qbuf-free")
}

/// A field of the CLIENT LIST line of the client named `name`, as a number.
fn client_number(observer: &mut Raw, name: &str, field: &str) -> i64 {
    client_field(&client_line(observer, name), field)
        .parse()
        .expect("number")
}

/// A new connection that named itself `name`.
fn named_client(s: &TestServer, name: &str) -> Raw {
    let mut c = s.raw();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", name]), ok());
    c
}

/// Size of the value [`client_after_a_big_set`] sets.
const BIG: usize = 400_000;

/// A client named `name` that just SET a 400KB value, growing its query
/// buffer past it.
fn client_after_a_big_set(s: &TestServer, name: &str) -> Raw {
    let mut client = named_client(s, name);
    assert_eq!(client.cmd(&["SET", "big", &"A".repeat(BIG)]), ok());
    client
}

/// Polls until `cond` holds (panicking with `what` if it never does).
fn eventually(timeout: Duration, what: &str, cond: impl FnMut() -> bool) {
    assert!(common::wait_for(timeout, cond), "{what}");
}

#[test]
fn a_client_holds_a_16kb_query_buffer_until_it_is_idle() {
    let s = TestServer::start();
    let mut observer = s.raw();
    let _client = named_client(&s, "fresh");
    let size = query_buffer(&mut observer, "fresh");
    assert!((16384..32768).contains(&size), "fresh query buffer {size}");
    eventually(IDLE_WAIT, "an idle client's query buffer is freed", || {
        client_number(&mut observer, "fresh", "idle") >= 3
            && query_buffer(&mut observer, "fresh") == 0
    });
}

#[test]
fn a_large_query_buffer_shrinks_toward_the_recent_peak() {
    let s = TestServer::start();
    let mut observer = s.raw();
    let mut client = client_after_a_big_set(&s, "big");
    let grown = query_buffer(&mut observer, "big");
    assert!(grown > BIG, "query buffer after a 400KB SET: {grown}");
    // Small requests keep the client busy: only the peak rule shrinks it.
    eventually(CRON_WAIT, "the buffer shrinks", || {
        assert_eq!(client.cmd(&["SET", "x", "small"]), ok());
        query_buffer(&mut observer, "big") < grown
    });
    let after = query_buffer(&mut observer, "big");
    assert!(after > 0 && after < 32768, "shrunk query buffer {after}");
}

#[test]
fn a_request_cut_short_survives_its_buffer_being_trimmed() {
    let s = TestServer::start();
    let mut observer = s.raw();
    let mut client = client_after_a_big_set(&s, "partial");
    // A whole request, then most of another: its arguments are parsed and
    // its last bulk is half received when the cron trims the buffer.
    let mut bytes = common::encode(&["SET", "x", "small"]);
    bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\ny\r\n$10\r\nabcd");
    client.send(&bytes);
    assert_eq!(client.read(), ok());
    eventually(CRON_WAIT, "the buffer is trimmed", || {
        query_buffer(&mut observer, "partial") < 32768
    });
    client.send(b"efghij\r\n");
    assert_eq!(client.read(), ok());
    assert_eq!(client.cmd(&["GET", "y"]), Frame::bulk("abcdefghij"));
    assert_eq!(client.cmd(&["STRLEN", "big"]), Frame::Int(BIG as i64));
}

#[test]
fn info_remembers_the_largest_recent_query_buffer() {
    let s = TestServer::start();
    let mut observer = s.raw();
    let _client = client_after_a_big_set(&s, "big");
    eventually(CRON_WAIT, "INFO counts the 400KB buffer", || {
        let max: usize = info_field(&mut observer, "clients", "client_recent_max_input_buffer")
            .parse()
            .expect("number");
        max > BIG
    });
}

#[test]
fn an_idle_reply_buffer_shrinks_to_1kb_and_a_filled_one_doubles_to_16kb() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]),
        ok()
    );
    let mut client = named_client(&s, "replies");
    eventually(CRON_WAIT, "an idle reply buffer shrinks to 1KB", || {
        client_number(&mut r, "replies", "rbs") == 1024
    });
    assert_eq!(client_number(&mut r, "replies", "rbp"), 0);
    let value = "x".repeat(32768);
    assert_eq!(r.cmd(&["SET", "bigval", &value]), ok());
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "NEVER"]),
        ok()
    );
    let mut sizes = vec![1024];
    eventually(CRON_WAIT, "a filled reply buffer grows to 16KB", || {
        assert_eq!(client.cmd(&["GET", "bigval"]), Frame::bulk(&value));
        let size = client_number(&mut r, "replies", "rbs");
        if sizes.last() != Some(&size) {
            sizes.push(size);
        }
        size == 16384
    });
    assert_eq!(sizes, [1024, 2048, 4096, 8192, 16384], "sizes seen");
    assert_eq!(client_number(&mut r, "replies", "rbp"), 16384);
    // The peak stays until it is reset again; then the buffer shrinks.
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "RESET"]),
        ok()
    );
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]),
        ok()
    );
    eventually(CRON_WAIT, "the idle buffer shrinks back", || {
        client_number(&mut r, "replies", "rbs") == 1024
    });
    let shrinks: i64 = info_field(&mut r, "stats", "reply_buffer_shrinks")
        .parse()
        .expect("number");
    let expands: i64 = info_field(&mut r, "stats", "reply_buffer_expands")
        .parse()
        .expect("number");
    assert!(
        shrinks >= 2 && expands >= 4,
        "shrinks {shrinks} expands {expands}"
    );
}

#[test]
fn reply_buffer_resizing_can_be_turned_off() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["DEBUG", "REPLYBUFFER", "RESIZING", "0"]), ok());
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]),
        ok()
    );
    let _frozen = named_client(&s, "frozen");
    let _other = named_client(&s, "other");
    // While resizing is off the query buffer still goes when idle; by then
    // the cron passed over the client many times.
    eventually(IDLE_WAIT, "the idle client's query buffer is freed", || {
        query_buffer(&mut r, "frozen") == 0
    });
    assert_eq!(client_number(&mut r, "frozen", "rbs"), 16384);
    assert_eq!(r.cmd(&["DEBUG", "REPLYBUFFER", "RESIZING", "1"]), ok());
    eventually(CRON_WAIT, "resizing on again shrinks it", || {
        client_number(&mut r, "frozen", "rbs") == 1024
    });
}

#[test]
fn debug_replybuffer_arguments() {
    let s = TestServer::start();
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "soon"]),
        common::err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "SIZE", "1"]),
        common::err(
            "ERR unknown subcommand or wrong number of arguments for 'REPLYBUFFER'. Try DEBUG HELP."
        )
    );
    assert_eq!(
        r.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "-1"]),
        ok()
    );
    assert_eq!(r.cmd(&["debug", "replybuffer", "resizing", "1"]), ok());
}
