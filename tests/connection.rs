//! Connection commands and CLIENT: PING, ECHO, QUIT, RESET, SELECT, AUTH,
//! HELLO, and every CLIENT subcommand, through the redis crate and through
//! raw sockets (exact RESP2/RESP3 bytes).

mod common;

use common::{client_field, client_id, client_info, err, ok, Frame, Raw, TestServer};
use std::io::Read;
use std::time::Duration;

/// Sends a command and returns the exact reply bytes (the reply must be
/// complete within one read, which holds for the small replies tested).
fn raw_bytes(raw: &mut Raw, args: &[&str]) -> Vec<u8> {
    raw.send_cmd(args);
    let mut buf = vec![0u8; 64 * 1024];
    let n = raw.stream.get_mut().read(&mut buf).expect("read reply");
    buf.truncate(n);
    buf
}

/// True if no reply arrives within `ms` milliseconds.
fn silent_for(raw: &mut Raw, ms: u64) -> bool {
    let stream = raw.stream.get_ref();
    stream
        .set_read_timeout(Some(Duration::from_millis(ms)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    let silent = match stream.peek(&mut byte) {
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    silent
}

/// True once the server has closed `raw` (polled, never blocking long).
fn closed_soon(raw: &mut Raw) -> bool {
    raw.stream
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    common::wait_for(Duration::from_secs(5), || {
        let mut byte = [0u8; 1];
        matches!(raw.stream.get_ref().peek(&mut byte), Ok(0))
    })
}

#[test]
fn ping_and_echo() {
    let server = TestServer::start();
    let mut con = server.client();
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    let msg: Vec<u8> = redis::cmd("PING")
        .arg(&b"a\0b"[..])
        .query(&mut con)
        .unwrap();
    assert_eq!(msg, b"a\0b");
    let echoed: String = redis::cmd("ECHO").arg("hello").query(&mut con).unwrap();
    assert_eq!(echoed, "hello");

    let mut raw = server.raw();
    assert_eq!(raw_bytes(&mut raw, &["PING"]), b"+PONG\r\n");
    assert_eq!(raw_bytes(&mut raw, &["ping", "hi"]), b"$2\r\nhi\r\n");
    assert_eq!(raw_bytes(&mut raw, &["ECHO", ""]), b"$0\r\n\r\n");
    assert_eq!(
        raw.cmd(&["PING", "a", "b"]),
        err("ERR wrong number of arguments for 'ping' command")
    );
    assert_eq!(
        raw.cmd(&["ECHO"]),
        err("ERR wrong number of arguments for 'echo' command")
    );
    assert_eq!(
        raw.cmd(&["ECHO", "a", "b"]),
        err("ERR wrong number of arguments for 'echo' command")
    );
    raw.cmd(&["HELLO", "3"]);
    assert_eq!(raw_bytes(&mut raw, &["PING"]), b"+PONG\r\n");
    assert_eq!(raw_bytes(&mut raw, &["PING", "x"]), b"$1\r\nx\r\n");
}

#[test]
fn quit_replies_then_closes_and_ignores_the_rest() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut pipeline = common::encode(&["QUIT"]);
    pipeline.extend(common::encode(&["SET", "foo", "bar"]));
    pipeline.extend(common::encode(&["SET", "big", &"x".repeat(20_000)]));
    raw.send(&pipeline);
    assert_eq!(raw.read(), ok());
    assert!(closed_soon(&mut raw));

    let mut con = server.client();
    let foo: Option<String> = redis::cmd("GET").arg("foo").query(&mut con).unwrap();
    let big: Option<String> = redis::cmd("GET").arg("big").query(&mut con).unwrap();
    assert_eq!((foo, big), (None, None));

    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["QUIT", "extra", "args"]), ok());
    assert!(closed_soon(&mut raw));
}

#[test]
fn select_switches_databases() {
    let server = TestServer::start();
    let mut con = server.client();
    redis::cmd("SELECT").arg(1).exec(&mut con).unwrap();
    redis::cmd("SET")
        .arg("k")
        .arg("in-db-1")
        .exec(&mut con)
        .unwrap();
    redis::cmd("SELECT").arg(0).exec(&mut con).unwrap();
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(v, None);
    redis::cmd("SELECT").arg(1).exec(&mut con).unwrap();
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(v.as_deref(), Some("in-db-1"));

    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SELECT", "15"]), ok());
    assert_eq!(client_field(&client_info(&mut raw), "db"), "15");
    for bad in ["16", "-1"] {
        assert_eq!(
            raw.cmd(&["SELECT", bad]),
            err("ERR DB index is out of range")
        );
    }
    for bad in ["x", "01", "1.5", " 1", "99999999999999999999"] {
        assert_eq!(
            raw.cmd(&["SELECT", bad]),
            err("ERR value is not an integer or out of range")
        );
    }
    assert_eq!(
        raw.cmd(&["SELECT", "99999999999"]),
        err("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(client_field(&client_info(&mut raw), "db"), "15");
}

#[test]
fn auth_without_a_password_configured() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["AUTH", "foo"]),
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
    assert_eq!(raw.cmd(&["AUTH", "a", "b", "c"]), err("ERR syntax error"));
    assert_eq!(
        raw.cmd(&["AUTH", "nobody", "pw"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    // The default user has no password: any password is accepted for it.
    assert_eq!(raw.cmd(&["AUTH", "default", "anything"]), ok());
    assert_eq!(
        raw.cmd(&["AUTH"]),
        err("ERR wrong number of arguments for 'auth' command")
    );
}

#[test]
fn auth_with_requirepass() {
    let server = TestServer::start_with(&["--requirepass", "foobar"]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["PING"]), err("NOAUTH Authentication required."));
    assert_eq!(
        raw.cmd(&["SET", "foo", "bar"]),
        err("NOAUTH Authentication required.")
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "ID"]),
        err("NOAUTH Authentication required.")
    );
    // Unknown commands and arity errors are reported before NOAUTH.
    assert_eq!(
        raw.cmd(&["NOSUCH"]),
        err("ERR unknown command 'NOSUCH', with args beginning with: ")
    );
    assert_eq!(
        raw.cmd(&["GET"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    let wrongpass = err("WRONGPASS invalid username-password pair or user is disabled.");
    assert_eq!(raw.cmd(&["AUTH", "wrong!"]), wrongpass);
    assert_eq!(raw.cmd(&["AUTH", "default", "wrong!"]), wrongpass);
    assert_eq!(raw.cmd(&["AUTH", "other", "foobar"]), wrongpass);
    assert_eq!(raw.cmd(&["AUTH", "foobar"]), ok());
    assert_eq!(raw.cmd(&["SET", "foo", "100"]), ok());
    assert_eq!(raw.cmd(&["GET", "foo"]), Frame::bulk("100"));
    // A failed AUTH does not log an authenticated client out.
    assert_eq!(raw.cmd(&["AUTH", "bad"]), wrongpass);
    assert_eq!(raw.cmd(&["PING"]), Frame::Simple("PONG".into()));
    // RESET logs out when a password is required.
    assert_eq!(raw.cmd(&["RESET"]), Frame::Simple("RESET".into()));
    assert_eq!(raw.cmd(&["PING"]), err("NOAUTH Authentication required."));
    assert_eq!(raw.cmd(&["AUTH", "default", "foobar"]), ok());
    assert_eq!(raw.cmd(&["PING"]), Frame::Simple("PONG".into()));

    // Unauthenticated clients get small request limits.
    let mut fresh = server.raw();
    fresh.send(b"*100\r\n");
    assert_eq!(
        fresh.read(),
        err("ERR Protocol error: unauthenticated multibulk length")
    );
    let mut fresh = server.raw();
    fresh.send(b"*1\r\n$100000000\r\n");
    assert_eq!(
        fresh.read(),
        err("ERR Protocol error: unauthenticated bulk length")
    );

    // QUIT needs no authentication.
    let mut fresh = server.raw();
    assert_eq!(fresh.cmd(&["QUIT"]), ok());

    // The redis crate authenticates from the URL.
    let url = format!("redis://:foobar@127.0.0.1:{}/", server.port);
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let v: String = redis::cmd("GET").arg("foo").query(&mut con).unwrap();
    assert_eq!(v, "100");
    let url = format!("redis://:wrong@127.0.0.1:{}/", server.port);
    assert!(redis::Client::open(url).unwrap().get_connection().is_err());
}

#[test]
fn auth_with_a_binary_password() {
    let server = TestServer::start_with(&["--requirepass", "abc\x01def"]);
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["AUTH", "abc"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(raw.cmd(&["AUTH", "abc\x01def"]), ok());
}

#[test]
fn hello_with_requirepass() {
    let server = TestServer::start_with(&["--requirepass", "foobar"]);
    let mut raw = server.raw();
    let noauth = err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    assert_eq!(raw.cmd(&["HELLO", "3"]), noauth);
    // SETNAME takes effect before the authentication check fails.
    assert_eq!(raw.cmd(&["HELLO", "3", "SETNAME", "early"]), noauth);
    assert_eq!(
        raw.cmd(&["HELLO", "3", "AUTH", "default", "wrong"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    let id = {
        raw.cmd(&["AUTH", "foobar"]);
        let id = client_id(&mut raw);
        raw.cmd(&["RESET"]);
        id
    };
    let expected = format!(
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:{}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n",
        id
    );
    assert_eq!(
        raw_bytes(
            &mut raw,
            &["HELLO", "3", "AUTH", "default", "foobar", "SETNAME", "named"]
        ),
        expected.as_bytes()
    );
    assert_eq!(
        raw_bytes(&mut raw, &["CLIENT", "GETNAME"]),
        b"$5\r\nnamed\r\n"
    );

    let mut other = server.raw();
    assert_eq!(other.cmd(&["HELLO", "3", "SETNAME", "early"]), noauth);
    assert_eq!(other.cmd(&["AUTH", "foobar"]), ok());
    assert_eq!(other.cmd(&["CLIENT", "GETNAME"]), Frame::bulk("early"));
}

#[test]
fn hello_switches_protocols() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let id = client_id(&mut raw);
    let hello_reply = |header: &str, proto: u8| {
        format!(
            "{}\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{}\r\n$2\r\nid\r\n:{}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n",
            header, proto, id
        )
    };
    let resp2 = hello_reply("*14", 2);
    let resp3 = hello_reply("%7", 3);
    assert_eq!(raw_bytes(&mut raw, &["HELLO"]), resp2.as_bytes());
    assert_eq!(raw_bytes(&mut raw, &["HELLO", "3"]), resp3.as_bytes());
    // Without a version HELLO keeps the protocol in use.
    assert_eq!(raw_bytes(&mut raw, &["HELLO"]), resp3.as_bytes());
    assert_eq!(raw_bytes(&mut raw, &["CLIENT", "GETNAME"]), b"_\r\n");
    assert_eq!(client_field(&client_info(&mut raw), "resp"), "3");
    assert_eq!(raw_bytes(&mut raw, &["HELLO", "2"]), resp2.as_bytes());
    assert_eq!(raw_bytes(&mut raw, &["CLIENT", "GETNAME"]), b"$-1\r\n");

    for (args, reply) in [
        (&["HELLO", "1"][..], "NOPROTO unsupported protocol version"),
        (&["HELLO", "4"], "NOPROTO unsupported protocol version"),
        (
            &["HELLO", "x"],
            "ERR Protocol version is not an integer or out of range",
        ),
        (
            &["HELLO", "3", "foo"],
            "ERR Syntax error in HELLO option 'foo'",
        ),
        (
            &["HELLO", "3", "AUTH", "default"],
            "ERR Syntax error in HELLO option 'AUTH'",
        ),
        (
            &["HELLO", "3", "setname"],
            "ERR Syntax error in HELLO option 'setname'",
        ),
        (
            &["HELLO", "3", "SETNAME", "a b"],
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ),
        (
            &["HELLO", "3", "AUTH", "nobody", "x"],
            "WRONGPASS invalid username-password pair or user is disabled.",
        ),
    ] {
        assert_eq!(raw.cmd(args), err(reply), "{:?}", args);
    }
    // Failed HELLOs leave the protocol alone.
    assert_eq!(client_field(&client_info(&mut raw), "resp"), "2");
    // AUTH works against the passwordless default user too.
    assert_eq!(
        raw_bytes(&mut raw, &["HELLO", "3", "AUTH", "default", "any"]),
        resp3.as_bytes()
    );

    // The redis crate's RESP3 mode sends HELLO 3 itself.
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port);
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let info: redis::Value = redis::cmd("CLIENT").arg("INFO").query(&mut con).unwrap();
    match info {
        redis::Value::VerbatimString { text, .. } => assert_eq!(client_field(&text, "resp"), "3"),
        other => panic!("CLIENT INFO in RESP3 gave {:?}", other),
    }
    let hello: redis::Value = redis::cmd("HELLO").query(&mut con).unwrap();
    assert!(matches!(hello, redis::Value::Map(ref pairs) if pairs.len() == 7));
}

#[test]
fn reset_restores_a_fresh_connection() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["HELLO", "3"]);
    raw.cmd(&["SELECT", "4"]);
    raw.cmd(&["CLIENT", "SETNAME", "someone"]);
    raw.cmd(&["CLIENT", "NO-EVICT", "on"]);
    assert_eq!(raw_bytes(&mut raw, &["RESET"]), b"+RESET\r\n");
    let line = client_info(&mut raw);
    assert_eq!(client_field(&line, "db"), "0");
    assert_eq!(client_field(&line, "name"), "");
    assert_eq!(client_field(&line, "resp"), "2");
    // NO-EVICT survives RESET, as in Redis.
    assert_eq!(client_field(&line, "flags"), "e");
    assert_eq!(
        raw.cmd(&["RESET", "x"]),
        err("ERR wrong number of arguments for 'reset' command")
    );

    // RESET turns replies back on (and replies itself).
    raw.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    raw.send_cmd(&["PING", "lost"]);
    assert_eq!(raw.cmd(&["RESET"]), Frame::Simple("RESET".into()));
    assert_eq!(raw.cmd(&["PING", "back"]), Frame::bulk("back"));
    // A pending SKIP still swallows RESET's own reply.
    raw.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    raw.send_cmd(&["RESET"]);
    assert_eq!(raw.cmd(&["PING", "next"]), Frame::bulk("next"));

    // With the redis crate.
    let mut con = server.client();
    redis::cmd("SELECT").arg(2).exec(&mut con).unwrap();
    let reply: String = redis::cmd("RESET").query(&mut con).unwrap();
    assert_eq!(reply, "RESET");
}

#[test]
fn client_id_name_and_info() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let id = client_id(&mut raw);
    let other_id = client_id(&mut server.raw());
    assert!(other_id > id);
    assert_eq!(raw_bytes(&mut raw, &["CLIENT", "GETNAME"]), b"$-1\r\n");
    assert_eq!(raw.cmd(&["CLIENT", "SETNAME", "myname"]), ok());
    assert_eq!(raw.cmd(&["CLIENT", "GETNAME"]), Frame::bulk("myname"));
    assert_eq!(raw.cmd(&["CLIENT", "SETNAME", "someothername"]), ok());
    assert_eq!(
        raw.cmd(&["CLIENT", "GETNAME"]),
        Frame::bulk("someothername")
    );
    for bad in ["foo bar", "a\nb", "caf\u{e9}", "\x01"] {
        assert_eq!(
            raw.cmd(&["CLIENT", "SETNAME", bad]),
            err("ERR Client names cannot contain spaces, newlines or special characters.")
        );
    }
    assert_eq!(
        raw.cmd(&["CLIENT", "GETNAME"]),
        Frame::bulk("someothername")
    );
    assert_eq!(raw.cmd(&["CLIENT", "SETNAME", ""]), ok());
    assert_eq!(raw.cmd(&["CLIENT", "GETNAME"]), Frame::Bulk(None));

    let line = client_info(&mut raw);
    assert!(line.ends_with('\n'));
    let names: Vec<&str> = line
        .trim_end()
        .split(' ')
        .map(|kv| kv.split('=').next().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    assert_eq!(client_field(&line, "id"), id.to_string());
    assert_eq!(
        client_field(&line, "laddr"),
        format!("127.0.0.1:{}", server.port)
    );
    assert!(client_field(&line, "addr").starts_with("127.0.0.1:"));
    assert_eq!(client_field(&line, "flags"), "N");
    // The query buffer holds the running command: *2 $6 client $4 info.
    assert_eq!(client_field(&line, "qbuf"), "26");
    assert_eq!(client_field(&line, "argv-mem"), "10");
    assert_eq!(client_field(&line, "cmd"), "client|info");
    assert_eq!(client_field(&line, "user"), "default");
    assert_eq!(client_field(&line, "redir"), "-1");
    assert_eq!(client_field(&line, "multi"), "-1");
    assert_eq!(client_field(&line, "events"), "r");

    // RESP3 sends it as verbatim text.
    raw.cmd(&["HELLO", "3"]);
    raw.send_cmd(&["CLIENT", "INFO"]);
    match raw.read() {
        Frame::Line(b'=', text) => {
            assert!(text.starts_with(&format!("txt:id={} ", id)));
            assert!(text.ends_with("resp=3\n"));
        }
        other => panic!("CLIENT INFO in RESP3 gave {:?}", other),
    }

    // Through the redis crate.
    let mut con = server.client();
    redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("crate")
        .exec(&mut con)
        .unwrap();
    let name: String = redis::cmd("CLIENT").arg("GETNAME").query(&mut con).unwrap();
    assert_eq!(name, "crate");
    let info: String = redis::cmd("CLIENT").arg("INFO").query(&mut con).unwrap();
    assert_eq!(client_field(&info, "name"), "crate");
}

#[test]
fn client_list_filters() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut second = server.raw();
    second.cmd(&["CLIENT", "SETNAME", "second"]);
    let my_id = client_id(&mut raw);
    let second_id = client_id(&mut second);

    let list = raw.cmd(&["CLIENT", "LIST"]).as_text();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2);
    // Oldest connection first.
    assert_eq!(client_field(lines[0], "id"), my_id.to_string());
    assert_eq!(client_field(lines[0], "cmd"), "client|list");
    assert_eq!(client_field(lines[0], "qbuf"), "26");
    assert_eq!(client_field(lines[1], "name"), "second");
    assert_eq!(client_field(lines[1], "cmd"), "client|id");
    assert_eq!(client_field(lines[1], "qbuf"), "0");
    assert_eq!(client_field(lines[1], "argv-mem"), "0");

    let by_id = raw
        .cmd(&[
            "CLIENT",
            "LIST",
            "ID",
            &second_id.to_string(),
            "999",
            &my_id.to_string(),
        ])
        .as_text();
    let ids: Vec<String> = by_id.lines().map(|l| client_field(l, "id")).collect();
    assert_eq!(ids, [second_id.to_string(), my_id.to_string()]);
    assert_eq!(raw.cmd(&["CLIENT", "LIST", "ID", "999"]), Frame::bulk(""));
    assert_eq!(
        raw.cmd(&["CLIENT", "LIST", "ID", "1", "x"]),
        err("ERR Invalid client ID")
    );

    let normal = raw.cmd(&["CLIENT", "LIST", "TYPE", "normal"]).as_text();
    assert_eq!(normal.lines().count(), 2);
    for kind in ["master", "replica", "slave", "pubsub", "PUBSUB"] {
        assert_eq!(raw.cmd(&["CLIENT", "LIST", "TYPE", kind]), Frame::bulk(""));
    }
    assert_eq!(
        raw.cmd(&["CLIENT", "LIST", "TYPE", "foo"]),
        err("ERR Unknown client type 'foo'")
    );
    for args in [
        &["CLIENT", "LIST", "foo"][..],
        &["CLIENT", "LIST", "ID"],
        &["CLIENT", "LIST", "TYPE", "normal", "extra"],
        &["CLIENT", "LIST", "TYPE"],
    ] {
        assert_eq!(raw.cmd(args), err("ERR syntax error"), "{:?}", args);
    }

    // A closed connection leaves the list.
    drop(second);
    assert!(common::wait_for(Duration::from_secs(5), || {
        !raw.cmd(&["CLIENT", "LIST"])
            .as_text()
            .contains("name=second")
    }));
}

#[test]
fn client_container_errors_and_help() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["CLIENT"]),
        err("ERR wrong number of arguments for 'client' command")
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "ID", "x"]),
        err("ERR wrong number of arguments for 'client|id' command")
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "foo"]),
        err("ERR unknown subcommand 'foo'. Try CLIENT HELP.")
    );
    assert_eq!(
        raw.cmd(&["client", "pause", "10", "write", "x"]),
        err("ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.")
    );
    match raw.cmd(&["client", "help"]) {
        Frame::Array(Some(lines)) => {
            assert_eq!(
                lines.first(),
                Some(&Frame::Simple(
                    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()
                ))
            );
            assert_eq!(
                lines.last(),
                Some(&Frame::Simple("    Prints this help.".into()))
            );
            assert!(lines.contains(&Frame::Simple("PAUSE <timeout> [WRITE|ALL]".into())));
        }
        other => panic!("CLIENT HELP gave {:?}", other),
    }
}

#[test]
fn client_kill_other_connections() {
    let server = TestServer::start();
    let mut raw = server.raw();

    // By id.
    let mut victim = server.raw();
    let victim_id = client_id(&mut victim);
    assert_eq!(
        raw.cmd(&["CLIENT", "KILL", "ID", &victim_id.to_string()]),
        Frame::Int(1)
    );
    assert!(closed_soon(&mut victim));
    assert_eq!(
        raw.cmd(&["CLIENT", "KILL", "ID", &victim_id.to_string()]),
        Frame::Int(0)
    );

    // Old form, by address.
    let mut victim = server.raw();
    let addr = client_field(&client_info(&mut victim), "addr");
    assert_eq!(raw.cmd(&["CLIENT", "KILL", &addr]), ok());
    assert!(closed_soon(&mut victim));
    assert_eq!(
        raw.cmd(&["CLIENT", "KILL", &addr]),
        err("ERR No such client")
    );

    // New form by ADDR, combined with TYPE and USER.
    let mut victim = server.raw();
    let addr = client_field(&client_info(&mut victim), "addr");
    assert_eq!(
        raw.cmd(&["CLIENT", "KILL", "TYPE", "pubsub", "ADDR", &addr]),
        Frame::Int(0)
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "KILL", "USER", "default", "TYPE", "normal", "ADDR", &addr]),
        Frame::Int(1)
    );
    assert!(closed_soon(&mut victim));

    // LADDR matches every connection to this port; SKIPME keeps the caller.
    let mut a = server.raw();
    let mut b = server.raw();
    client_id(&mut a);
    client_id(&mut b);
    let laddr = format!("127.0.0.1:{}", server.port);
    assert_eq!(raw.cmd(&["CLIENT", "KILL", "LADDR", &laddr]), Frame::Int(2));
    assert!(closed_soon(&mut a));
    assert!(closed_soon(&mut b));
    assert_eq!(raw.cmd(&["PING"]), Frame::Simple("PONG".into()));

    // Through the redis crate.
    let mut con = server.client();
    let mut victim = server.raw();
    let victim_id = client_id(&mut victim);
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(victim_id)
        .query(&mut con)
        .unwrap();
    assert_eq!(killed, 1);
    assert!(closed_soon(&mut victim));
}

#[test]
fn client_kill_self() {
    let server = TestServer::start();
    // SKIPME no kills everyone, the caller after its reply.
    let mut raw = server.raw();
    let mut other = server.raw();
    client_id(&mut other);
    // The start-up probe's connection may not be gone yet.
    assert!(common::wait_for(Duration::from_secs(5), || {
        common::info_int(
            &raw.cmd(&["INFO", "clients"]).as_text(),
            "connected_clients",
        ) == 2
    }));
    assert_eq!(raw.cmd(&["CLIENT", "KILL", "SKIPME", "no"]), Frame::Int(2));
    assert!(closed_soon(&mut raw));
    assert!(closed_soon(&mut other));

    // SKIPME yes (the default of the new form) spares the caller.
    let mut raw = server.raw();
    let id = client_id(&mut raw);
    assert_eq!(
        raw.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]),
        Frame::Int(0)
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "KILL", "ID", &id.to_string(), "SKIPME", "yes"]),
        Frame::Int(0)
    );
    // The old form may kill the caller.
    let addr = client_field(&client_info(&mut raw), "addr");
    assert_eq!(raw.cmd(&["CLIENT", "KILL", &addr]), ok());
    assert!(closed_soon(&mut raw));
}

#[test]
fn client_kill_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for (args, reply) in [
        (
            &["CLIENT", "KILL"][..],
            "ERR wrong number of arguments for 'client|kill' command",
        ),
        (
            &["CLIENT", "KILL", "ID", "10", "wrong_arg"],
            "ERR syntax error",
        ),
        (
            &["CLIENT", "KILL", "ID", "str"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "-1"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "0"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "TYPE", "wrong_type"],
            "ERR Unknown client type 'wrong_type'",
        ),
        (
            &["CLIENT", "KILL", "USER", "wrong_user"],
            "ERR No such user 'wrong_user'",
        ),
        (
            &["CLIENT", "KILL", "SKIPME", "yes_or_no"],
            "ERR syntax error",
        ),
        (&["CLIENT", "KILL", "MAXAGE", "10"], "ERR syntax error"),
        (&["CLIENT", "KILL", "foo", "bar"], "ERR syntax error"),
        (
            &["CLIENT", "KILL", "ADDR", "1.1.1.1:1", "SKIPME"],
            "ERR syntax error",
        ),
        (&["CLIENT", "KILL", "addr"], "ERR No such client"),
    ] {
        assert_eq!(raw.cmd(args), err(reply), "{:?}", args);
    }
    assert_eq!(raw.cmd(&["PING"]), Frame::Simple("PONG".into()));
}

#[test]
fn client_reply_modes() {
    let server = TestServer::start();
    // OFF silences everything until ON, which replies.
    let mut raw = server.raw();
    raw.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    raw.send_cmd(&["PING", "pong"]);
    raw.send_cmd(&["NOSUCH"]);
    raw.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    raw.send_cmd(&["PING", "pong2"]);
    assert!(silent_for(&mut raw, 200));
    assert_eq!(raw.cmd(&["CLIENT", "REPLY", "ON"]), ok());
    assert_eq!(raw.cmd(&["PING", "pong3"]), Frame::bulk("pong3"));

    // SKIP silences the next command only (errors included).
    raw.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    raw.send_cmd(&["PING", "skipped"]);
    assert_eq!(raw.cmd(&["PING", "shown"]), Frame::bulk("shown"));
    raw.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    raw.send_cmd(&["GET"]);
    assert_eq!(raw.cmd(&["PING", "shown2"]), Frame::bulk("shown2"));
    // A SKIP that is itself skipped still skips the command after it.
    raw.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    raw.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    raw.send_cmd(&["PING", "2"]);
    assert_eq!(raw.cmd(&["PING", "3"]), Frame::bulk("3"));

    // ON right after SKIP replies, and cancels the skip.
    raw.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    assert_eq!(raw.cmd(&["CLIENT", "REPLY", "ON"]), ok());
    assert_eq!(raw.cmd(&["PING"]), Frame::Simple("PONG".into()));

    assert_eq!(
        raw.cmd(&["CLIENT", "REPLY", "foo"]),
        err("ERR syntax error")
    );
    assert_eq!(
        raw.cmd(&["CLIENT", "REPLY", "on", "extra"]),
        err("ERR wrong number of arguments for 'client|reply' command")
    );

    // Commands still run while their replies are dropped.
    let mut con = server.client();
    raw.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    raw.send_cmd(&["SET", "silent", "yes"]);
    assert!(common::wait_for(Duration::from_secs(5), || {
        let v: Option<String> = redis::cmd("GET").arg("silent").query(&mut con).unwrap();
        v.as_deref() == Some("yes")
    }));
    assert!(silent_for(&mut raw, 100));
}

#[test]
fn client_no_evict_flag() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["CLIENT", "NO-EVICT", "on"]), ok());
    assert_eq!(client_field(&client_info(&mut raw), "flags"), "e");
    assert_eq!(raw.cmd(&["CLIENT", "NO-EVICT", "OFF"]), ok());
    assert_eq!(client_field(&client_info(&mut raw), "flags"), "N");
    assert_eq!(
        raw.cmd(&["CLIENT", "NO-EVICT", "maybe"]),
        err("ERR syntax error")
    );
}

#[test]
fn client_pause_write_holds_writes_until_unpause() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let mut reader = server.raw();
    let mut writer = server.raw();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), ok());

    // Reads go through.
    assert_eq!(reader.cmd(&["GET", "foo"]), Frame::Bulk(None));
    assert_eq!(reader.cmd(&["PING"]), Frame::Simple("PONG".into()));
    // Commands refused before running still get their error at once.
    assert_eq!(
        reader.cmd(&["SET", "foo"]),
        err("ERR wrong number of arguments for 'set' command")
    );

    // A write is held, and so is what the same client sent after it.
    let mut pipeline = common::encode(&["SET", "foo", "bar"]);
    pipeline.extend(common::encode(&["GET", "foo"]));
    writer.send(&pipeline);
    assert!(silent_for(&mut writer, 300));
    assert_eq!(reader.cmd(&["GET", "foo"]), Frame::Bulk(None));
    let list = admin.cmd(&["CLIENT", "LIST"]).as_text();
    let held = list
        .lines()
        .find(|l| client_field(l, "flags") == "b")
        .expect("a held client");
    assert_eq!(client_field(held, "cmd"), "set");
    assert_eq!(client_field(held, "argv-mem"), "9");

    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), ok());
    assert_eq!(writer.read(), ok());
    assert_eq!(writer.read(), Frame::bulk("bar"));
    assert_eq!(client_field(&client_info(&mut writer), "flags"), "N");

    // Several held clients resume in the order they were held.
    admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]);
    let mut clients: Vec<Raw> = (0..3).map(|_| server.raw()).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.send_cmd(&["APPEND", "order", &i.to_string()]);
        assert!(silent_for(c, 100));
    }
    admin.cmd(&["CLIENT", "UNPAUSE"]);
    for (i, c) in clients.iter_mut().enumerate() {
        assert_eq!(c.read(), Frame::Int(i as i64 + 1));
    }
    assert_eq!(reader.cmd(&["GET", "order"]), Frame::bulk("012"));
}

#[test]
fn client_pause_all_ends_on_its_own() {
    let server = TestServer::start_with(&["--hz", "100"]);
    let mut admin = server.raw();
    let mut other = server.raw();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "500", "ALL"]), ok());
    let started = std::time::Instant::now();
    other.send_cmd(&["PING"]);
    // Even UNPAUSE waits under a full pause.
    admin.send_cmd(&["CLIENT", "UNPAUSE"]);
    assert!(silent_for(&mut other, 200));
    assert_eq!(other.read(), Frame::Simple("PONG".into()));
    assert_eq!(admin.read(), ok());
    assert!(started.elapsed() >= Duration::from_millis(450));

    // A stricter pause wins over a looser one, the later end over the earlier.
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "400", "WRITE"]), ok());
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "0", "ALL"]), ok());
    other.send_cmd(&["PING"]);
    assert!(silent_for(&mut other, 150));
    assert_eq!(other.read(), Frame::Simple("PONG".into()));

    // A zero timeout pauses nothing; so does one so large it wraps.
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "0"]), ok());
    assert_eq!(other.cmd(&["SET", "a", "1"]), ok());
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "9223372036854775807"]), ok());
    assert_eq!(other.cmd(&["SET", "a", "2"]), ok());
}

#[test]
fn client_pause_errors_and_killing_a_held_client() {
    let server = TestServer::start();
    let mut admin = server.raw();
    for (args, reply) in [
        (
            &["CLIENT", "PAUSE", "x"][..],
            "ERR timeout is not an integer or out of range",
        ),
        (&["CLIENT", "PAUSE", "-1"], "ERR timeout is negative"),
        (
            &["CLIENT", "PAUSE", "10", "foo"],
            "ERR CLIENT PAUSE mode must be WRITE or ALL",
        ),
        (
            &["CLIENT", "PAUSE", "x", "foo"],
            "ERR CLIENT PAUSE mode must be WRITE or ALL",
        ),
        (
            &["CLIENT", "PAUSE"],
            "ERR wrong number of arguments for 'client|pause' command",
        ),
        (
            &["CLIENT", "UNPAUSE", "x"],
            "ERR wrong number of arguments for 'client|unpause' command",
        ),
    ] {
        assert_eq!(admin.cmd(args), err(reply), "{:?}", args);
    }
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), ok());

    admin.cmd(&["CLIENT", "PAUSE", "100000", "write"]);
    let mut held = server.raw();
    let held_id = client_id(&mut held);
    held.send_cmd(&["SET", "x", "y"]);
    assert!(silent_for(&mut held, 200));
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "ID", &held_id.to_string()]),
        Frame::Int(1)
    );
    assert!(closed_soon(&mut held));
    admin.cmd(&["CLIENT", "UNPAUSE"]);
    assert_eq!(admin.cmd(&["GET", "x"]), Frame::Bulk(None));

    // The redis crate sees held commands complete after UNPAUSE.
    let mut con = server.client();
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(100_000)
        .arg("WRITE")
        .exec(&mut con)
        .unwrap();
    let port = server.port;
    let writer = std::thread::spawn(move || {
        let mut con = redis::Client::open(format!("redis://127.0.0.1:{}/", port))
            .unwrap()
            .get_connection()
            .unwrap();
        let reply: String = redis::cmd("SET")
            .arg("x")
            .arg("late")
            .query(&mut con)
            .unwrap();
        reply
    });
    assert!(common::wait_for(Duration::from_secs(5), || {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
        list.contains("flags=b")
    }));
    redis::cmd("CLIENT").arg("UNPAUSE").exec(&mut con).unwrap();
    assert_eq!(writer.join().unwrap(), "OK");
    let v: String = redis::cmd("GET").arg("x").query(&mut con).unwrap();
    assert_eq!(v, "late");
}

#[test]
fn requests_split_across_reads() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n");
    assert!(silent_for(&mut raw, 100));
    raw.send(b"$20\r\n01234567890123456789\r\n");
    assert_eq!(raw.read(), ok());
    raw.send(b"*2\r\n$3\r\nGET\r\n");
    assert!(silent_for(&mut raw, 100));
    raw.send(b"$5\r\nsplit\r\n");
    assert_eq!(raw.read(), Frame::bulk("01234567890123456789"));
}

#[test]
fn keys_expire_logically_during_a_pause() {
    let server = TestServer::start_with(&["--hz", "100"]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "soon", "gone", "PX", "50"]), ok());
    assert_eq!(raw.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), ok());
    assert!(common::wait_for(Duration::from_secs(5), || {
        raw.cmd(&["GET", "soon"]) == Frame::Bulk(None)
    }));
    assert_eq!(raw.cmd(&["GET", "soon"]), Frame::Bulk(None));
    assert_eq!(raw.cmd(&["CLIENT", "UNPAUSE"]), ok());
    assert_eq!(raw.cmd(&["GET", "soon"]), Frame::Bulk(None));
}
