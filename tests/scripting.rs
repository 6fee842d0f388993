//! Lua scripting over real sockets: scripts as applications write them (a
//! lock released by its owner only, a rate limiter, a reliable queue
//! move), the error texts scripts and their callers see, replies converted
//! both ways in RESP2 and RESP3, the sandbox, what replicas receive
//! (effects, never EVAL; `redis.set_repl`), scripts inside MULTI and under
//! WATCH, read-only replicas, a busy script served around and killed,
//! INFO and COMMAND. Every test passes against redis-server 7.0.15 too
//! (`REDDISH_TEST_SERVER=$(command -v redis-server)`).

mod common;

use common::repl_stream::{commands, ReplStream};
use common::*;
use reddish::scripting::cache::sha1_hex;
use std::time::Duration;

/// EVAL `script` with `keys` and `args`.
fn eval(r: &mut Raw, script: &str, keys: &[&str], args: &[&str]) -> Frame {
    let numkeys = keys.len().to_string();
    let mut line = vec!["EVAL", script, &numkeys];
    line.extend_from_slice(keys);
    line.extend_from_slice(args);
    r.cmd(&line)
}

fn sha_of(script: &str) -> String {
    String::from_utf8_lossy(&sha1_hex(script.as_bytes())).into_owned()
}

/// The suffix Redis adds to a script's error: where it failed.
fn at_line(script: &str, line: u32) -> String {
    format!(" script: {}, on @user_script:{}.", sha_of(script), line)
}

const RELEASE_LOCK: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0";

#[test]
fn a_lock_is_released_by_its_owner_only() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(
        r.cmd(&["SET", "lock", "token-a", "NX", "PX", "30000"]),
        ok()
    );
    assert_eq!(
        r.cmd(&["SET", "lock", "token-b", "NX", "PX", "30000"]),
        nil()
    );
    assert_eq!(eval(&mut r, RELEASE_LOCK, &["lock"], &["token-b"]), int(0));
    assert_eq!(r.cmd(&["GET", "lock"]), Frame::bulk("token-a"));
    assert_eq!(eval(&mut r, RELEASE_LOCK, &["lock"], &["token-a"]), int(1));
    assert_eq!(r.cmd(&["EXISTS", "lock"]), int(0));
    // The same script by its SHA1, in any case.
    let sha = sha_of(RELEASE_LOCK);
    assert_eq!(r.cmd(&["SCRIPT", "EXISTS", &sha, "ffff"]), ints(&[1, 0]));
    r.cmd(&["SET", "lock", "token-c"]);
    let upper = sha.to_uppercase();
    assert_eq!(r.cmd(&["EVALSHA", &upper, "1", "lock", "token-c"]), int(1));
}

const RATE_LIMIT: &str = "local count = redis.call('incr', KEYS[1])
if count == 1 then redis.call('pexpire', KEYS[1], ARGV[2]) end
if count > tonumber(ARGV[1]) then
    return {err = 'LIMITED too many requests: ' .. count}
end
return {count, redis.call('pttl', KEYS[1]) > 0}";

#[test]
fn a_rate_limiter_counts_expires_and_refuses() {
    let server = TestServer::start();
    let mut r = server.raw();
    for n in 1..=3 {
        let reply = eval(&mut r, RATE_LIMIT, &["rate:user"], &["3", "60000"]);
        assert_eq!(reply, array(vec![int(n), int(1)]));
    }
    assert_eq!(
        eval(&mut r, RATE_LIMIT, &["rate:user"], &["3", "60000"]),
        err("LIMITED too many requests: 4")
    );
    let ttl = int_of(r.cmd(&["PTTL", "rate:user"]));
    assert!(ttl > 50_000 && ttl <= 60_000, "{ttl}");
    // The script's own error is counted under its code, once.
    assert!(info(&mut r, &["errorstats"]).contains("errorstat_LIMITED:count=1"));
}

const QUEUE_MOVE: &str = "local job = redis.call('rpop', KEYS[1])
if not job then return false end
redis.call('lpush', KEYS[2], job)
redis.call('zadd', KEYS[3], ARGV[1], job)
return job";

#[test]
fn a_queue_move_is_atomic_and_reaches_replicas_as_a_transaction() {
    let server = TestServer::start_with(&["--repl-diskless-sync", "no"]);
    let mut r = server.raw();
    r.cmd(&["RPUSH", "queue", "job1", "job2"]);
    let mut stream = ReplStream::attach(server.port);
    let keys = ["queue", "processing", "deadlines"];
    assert_eq!(
        eval(&mut r, QUEUE_MOVE, &keys, &["100"]),
        Frame::bulk("job2")
    );
    assert_eq!(
        eval(&mut r, QUEUE_MOVE, &keys, &["200"]),
        Frame::bulk("job1")
    );
    assert_eq!(eval(&mut r, QUEUE_MOVE, &keys, &["300"]), nil());
    assert_eq!(
        r.cmd(&["LRANGE", "processing", "0", "-1"]),
        bulks(&["job1", "job2"])
    );
    r.cmd(&["SET", "marker", "1"]);
    assert_eq!(
        stream.until(&["SET", "marker", "1"]),
        commands(&[
            "SELECT 0",
            "MULTI",
            "rpop queue",
            "lpush processing job2",
            "zadd deadlines 100 job2",
            "EXEC",
            "MULTI",
            "rpop queue",
            "lpush processing job1",
            "zadd deadlines 200 job1",
            "EXEC",
            "SET marker 1",
        ])
    );
}

#[test]
fn replicas_get_effects_rewritten_and_selected_never_eval() {
    let server = TestServer::start_with(&["--repl-diskless-sync", "no"]);
    let mut r = server.raw();
    r.cmd(&["SADD", "set", "a"]);
    r.cmd(&["SET", "k", "v"]);
    let mut stream = ReplStream::attach(server.port);
    // One write: no transaction; a relative expiry becomes absolute.
    assert_eq!(
        eval(
            &mut r,
            "return redis.call('expire', KEYS[1], 100)",
            &["k"],
            &[]
        ),
        int(1)
    );
    // SPOP becomes SREM; reads are not propagated at all.
    assert_eq!(
        eval(&mut r, "return redis.call('spop', KEYS[1])", &["set"], &[]),
        Frame::bulk("a")
    );
    assert_eq!(
        eval(&mut r, "return redis.call('get', KEYS[1])", &["k"], &[]),
        Frame::bulk("v")
    );
    // SELECT inside a script moves the script's own client only.
    let select = "redis.call('set','a','1') redis.call('select','5') redis.call('set','b','2')";
    eval(&mut r, select, &[], &[]);
    assert_eq!(r.cmd(&["EXISTS", "b"]), int(0));
    // redis.set_repl: what replicas (and the AOF) receive.
    let selective = "redis.call('set','x','1')
        redis.set_repl(redis.REPL_NONE) redis.call('set','y','2')
        redis.set_repl(redis.REPL_AOF) redis.call('set','z','3')
        redis.set_repl(redis.REPL_ALL) redis.call('set','w','4')";
    eval(&mut r, selective, &[], &[]);
    let sha = bulk_text(&r.cmd(&["SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])"]));
    assert_eq!(r.cmd(&["EVALSHA", &sha, "1", "n"]), int(1));
    r.cmd(&["SET", "marker", "1"]);
    let got = stream.until(&["SET", "marker", "1"]);
    let pexpireat = got.get(1).cloned().unwrap_or_default();
    assert_eq!(pexpireat.first().map(String::as_str), Some("PEXPIREAT"));
    let mut expected = commands(&["SELECT 0"]);
    expected.push(pexpireat);
    expected.extend(commands(&[
        "SREM set a",
        "MULTI",
        "set a 1",
        "SELECT 5",
        "set b 2",
        "EXEC",
        "SELECT 0",
        "MULTI",
        "set x 1",
        "set w 4",
        "EXEC",
        "incr n",
        "SET marker 1",
    ]));
    assert_eq!(got, expected);
    assert_eq!(
        r.cmd(&["MGET", "x", "y", "z", "w"]),
        bulks(&["1", "2", "3", "4"])
    );
}

#[test]
fn error_texts_name_the_script_and_line() {
    let server = TestServer::start();
    let mut r = server.raw();
    let cases: &[(&str, &str)] = &[
        (
            "return a",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'a'",
        ),
        (
            "a = 10",
            "ERR user_script:1: Attempt to modify a readonly table",
        ),
        (
            "redis.call = nil",
            "ERR user_script:1: Attempt to modify a readonly table",
        ),
        (
            "rawset(_G, 'x', 1)",
            "ERR Attempt to modify a readonly table",
        ),
        (
            "setmetatable(_G, {})",
            "ERR Attempt to modify a readonly table",
        ),
        ("local x = 1\nerror('boom')", "ERR user_script:2: boom"),
        ("error({err='MYCODE custom'})", "MYCODE custom"),
        (
            "return redis.call('nosuch')",
            "ERR Unknown Redis command called from script",
        ),
        (
            "return redis.call('get', 'a', 'b')",
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            "return redis.call('ping', {})",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call()",
            "ERR Please specify at least one argument for this redis lib call",
        ),
        (
            "return redis.call('eval', 'return 1', '0')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('blpop', 'q', '0')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return math.random(0)",
            "ERR user_script:1: bad argument #1 to 'random' (interval is empty)",
        ),
        (
            "redis.set_repl(12345)",
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        ),
        ("redis.setresp(4)", "ERR RESP version must be 2 or 3."),
        ("return redis.sha1hex()", "ERR wrong number of arguments"),
        (
            "return loadfile('x')",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile'",
        ),
        (
            "return print('x')",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'print'",
        ),
    ];
    for (script, message) in cases {
        let line = if script.contains('\n') { 2 } else { 1 };
        let expected = format!("{}{}", message, at_line(script, line));
        assert_eq!(eval(&mut r, script, &[], &[]), err(&expected), "{script}");
    }
    r.cmd(&["SET", "str", "x"]);
    assert_eq!(
        eval(
            &mut r,
            "return redis.call('lpush', KEYS[1], 'v')",
            &["str"],
            &[]
        ),
        err(&format!(
            "WRONGTYPE Operation against a key holding the wrong kind of value{}",
            at_line("return redis.call('lpush', KEYS[1], 'v')", 1)
        ))
    );
    // Errors the script returns rather than raises come as they are.
    assert_eq!(
        eval(&mut r, "return redis.pcall('incr', KEYS[1])", &["str"], &[]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        eval(&mut r, "return redis.error_reply('MY_ERR x')", &[], &[]),
        err("MY_ERR x")
    );
    assert_eq!(
        eval(&mut r, "return redis.error_reply('NOSPACE')", &[], &[]),
        err("ERR NOSPACE")
    );
    assert_eq!(
        eval(&mut r, "return {err='a\\r\\nb\\r\\n'}", &[], &[]),
        err("a  b")
    );
    assert_eq!(
        eval(&mut r, "return redis.status_reply('fine')", &[], &[]),
        Frame::Simple("fine".into())
    );
    // What the caller gets wrong before the script runs.
    assert_eq!(
        r.cmd(&["EVAL", "return 1", "-1"]),
        err("ERR Number of keys can't be negative")
    );
    assert_eq!(
        r.cmd(&["EVAL", "return 1", "2", "a"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    assert_eq!(
        r.cmd(&["EVAL", "return 1", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        r.cmd(&["EVALSHA", "abc", "0"]),
        err("NOSCRIPT No matching script. Please use EVAL.")
    );
    assert_eq!(
        r.cmd(&["EVAL", "return 'x' +", "0"]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")
    );
    assert_eq!(
        r.cmd(&["EVAL", "#!lua flags=what\nreturn 1", "0"]),
        err("ERR Unexpected flag in script shebang: what")
    );
    assert_eq!(
        r.cmd(&["EVAL", "#!lua", "0"]),
        err("ERR Invalid script shebang")
    );
    assert_eq!(
        r.cmd(&["EVAL", "#!py\nreturn 1", "0"]),
        err("ERR Unexpected engine in script shebang: #!py")
    );
    assert_eq!(
        r.cmd(&["EVAL", "#!lua a=b\nreturn 1", "0"]),
        err("ERR Unknown lua shebang option: a=b")
    );
}

#[test]
fn pcall_hands_back_the_message() {
    let server = TestServer::start();
    let mut r = server.raw();
    let script = "local ok, e = pcall(function() redis.call('nosuch') end)
        local ok2, e2 = pcall(function() return foo end)
        local ok3, e3 = pcall(math.random, 0)
        return {tostring(ok), e, e2, e3}";
    assert_eq!(
        eval(&mut r, script, &[], &[]),
        array(vec![
            Frame::bulk("false"),
            Frame::bulk("ERR Unknown Redis command called from script"),
            Frame::bulk(
                "user_script:2: Script attempted to access nonexistent global variable 'foo'"
            ),
            Frame::bulk("bad argument #1 to '?' (interval is empty)"),
        ])
    );
    // redis.pcall returns error tables.
    let script = "local t = redis.pcall('select', 99) return {type(t), t['err']}";
    assert_eq!(
        eval(&mut r, script, &[], &[]),
        bulks(&["table", "ERR DB index is out of range"])
    );
}

#[test]
fn replies_convert_both_ways_in_resp2() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["RPUSH", "list", "a", "b", "c"]);
    r.cmd(&["SET", "n", "5"]);
    let cases: &[(&str, Frame)] = &[
        ("return 100.9", int(100)),
        ("return -3.99", int(-3)),
        ("return 0/0", int(i64::MIN)),
        ("return 'hello'", Frame::bulk("hello")),
        ("return true", int(1)),
        ("return false", nil()),
        ("return nil", nil()),
        ("return {1, 2, nil, 4}", ints(&[1, 2])),
        ("return {ok='fine'}", Frame::Simple("fine".into())),
        ("return {double=3.5}", Frame::bulk("3.5")),
        ("return {map={a=1}}", array(vec![Frame::bulk("a"), int(1)])),
        ("return {set={a=true}}", bulks(&["a"])),
        ("return {big_number='123'}", Frame::bulk("123")),
        ("return _G", empty_array()),
        (
            "local v = redis.call('lrange', KEYS[1], 0, -1) return {type(v), #v, v[3]}",
            array(vec![Frame::bulk("table"), int(3), Frame::bulk("c")]),
        ),
        (
            "local v = redis.call('get', 'missing') return {type(v), tostring(v)}",
            bulks(&["boolean", "false"]),
        ),
        (
            "local v = redis.call('incr', 'n') return {type(v), v}",
            array(vec![Frame::bulk("number"), int(6)]),
        ),
        (
            "return redis.call('set', 'k', 'v')['ok']",
            Frame::bulk("OK"),
        ),
        (
            "redis.call('set', 'f', 0.1) return redis.call('get', 'f')",
            Frame::bulk("0.10000000000000001"),
        ),
        (
            "redis.call('set', 'f', 2^60) return redis.call('get', 'f')",
            Frame::bulk("1.152921504606847e+18"),
        ),
        (
            "return redis.call('debug', 'protocol', 'double')",
            Frame::bulk("3.141"),
        ),
    ];
    r.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]);
    for (script, expected) in cases {
        assert_eq!(&eval(&mut r, script, &["list"], &[]), expected, "{script}");
    }
    r.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"]);
}

#[test]
fn resp3_types_reach_resp3_callers() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["HSET", "h", "f", "v"]);
    r.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]);
    let run = |r: &mut Raw, script: &str| render(&eval(r, script, &["h"], &[]));
    // A RESP2 caller sees RESP2 whatever the script speaks.
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('hgetall', KEYS[1])"
        ),
        "[f v]"
    );
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('debug', 'protocol', 'true')"
        ),
        ":1"
    );
    r.cmd(&["HELLO", "3"]);
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('hgetall', KEYS[1])"
        ),
        "%[f v]"
    );
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(2) return redis.call('hgetall', KEYS[1])"
        ),
        "[f v]"
    );
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('debug', 'protocol', 'true')"
        ),
        "#t"
    );
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('debug', 'protocol', 'double')"
        ),
        ",3.141"
    );
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('debug', 'protocol', 'bignum')"
        ),
        "(1234567999999999999999999999999999999"
    );
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('debug', 'protocol', 'null')"
        ),
        "_"
    );
    // A set's order is the server's hash order: compare the members only.
    let set = run(
        &mut r,
        "redis.setresp(3) return redis.call('debug', 'protocol', 'set')",
    );
    let mut members: Vec<&str> = set
        .trim_start_matches("~[")
        .trim_end_matches(']')
        .split(' ')
        .collect();
    members.sort_unstable();
    assert!(set.starts_with("~["), "{set}");
    assert_eq!(members, [":0", ":1", ":2"]);
    assert_eq!(
        run(
            &mut r,
            "redis.setresp(3) return redis.call('debug', 'protocol', 'attrib')"
        ),
        "Some real reply following the attribute"
    );
    assert_eq!(
        run(
            &mut r,
            "return {verbatim_string={format='txt', string='hi'}}"
        ),
        "=txt:hi"
    );
    assert_eq!(run(&mut r, "return {double=1.5}"), ",1.5");
    assert_eq!(run(&mut r, "return false"), "_");
    assert_eq!(run(&mut r, "redis.setresp(3) return false"), "#f");
    let types = "redis.setresp(3)
        local m = redis.call('debug', 'protocol', 'map')
        local s = redis.call('debug', 'protocol', 'set')
        local d = redis.call('debug', 'protocol', 'double')
        local b = redis.call('debug', 'protocol', 'bignum')
        local v = redis.call('debug', 'protocol', 'verbatim')
        return {type(m.map), m.map[1] == true, s.set[2] == true, d.double, b.big_number, v.verbatim_string.format}";
    assert_eq!(
        run(&mut r, types),
        "[table #t #t :3 1234567999999999999999999999999999999 txt]"
    );
    r.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"]);
}

#[test]
fn the_sandbox_keeps_scripts_apart() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(
        eval(
            &mut r,
            "local g = getmetatable(_G) g.__index = {}",
            &[],
            &[]
        ),
        err(&format!(
            "ERR user_script:1: Attempt to modify a readonly table{}",
            at_line("local g = getmetatable(_G) g.__index = {}", 1)
        ))
    );
    assert_eq!(
        eval(&mut r, "getmetatable('').__index = {}", &[], &[]),
        err(&format!(
            "ERR user_script:1: Attempt to modify a readonly table{}",
            at_line("getmetatable('').__index = {}", 1)
        ))
    );
    let checks = "return {
        tostring(rawget(_G, 'redis') ~= nil),
        tostring(getmetatable(string) == nil),
        #string,
        ('abc'):upper(),
        type(loadstring(string.dump(function() return 1 end))),
        loadstring('return 7')(),
        _VERSION,
        rawget(_G, 'getfenv') == nil and 'no getfenv' or 'getfenv',
        rawget(_G, 'newproxy') == nil and 'no newproxy' or 'newproxy',
        type(gcinfo),
        redis.REDIS_VERSION_NUM,
    }";
    assert_eq!(
        render(&eval(&mut r, checks, &[], &[])),
        "[true true :0 ABC nil :7 Lua 5.1 no getfenv no newproxy function :458767]"
    );
    // A global a script could leave behind is refused, so the next script
    // sees the clean environment.
    assert!(matches!(
        eval(&mut r, "leak = 1", &[], &[]),
        Frame::Error(_)
    ));
    assert!(matches!(
        eval(&mut r, "return leak", &[], &[]),
        Frame::Error(_)
    ));
}

/// `{#KEYS, #ARGV, then each listed as k=v in pairs order}`, and what a
/// script could have left behind.
const SHOW_ARGUMENTS: &str = "local out = {tostring(#KEYS), tostring(#ARGV)}
for k, v in pairs(KEYS) do out[#out + 1] = 'K' .. tostring(k) .. '=' .. tostring(v) end
for k, v in pairs(ARGV) do out[#out + 1] = 'A' .. tostring(k) .. '=' .. tostring(v) end
out[#out + 1] = tostring(getmetatable(KEYS)) .. ' ' .. tostring(getmetatable(ARGV))
out[#out + 1] = tostring(ARGV[9])
return out";

#[test]
fn each_script_sees_just_its_own_keys_and_args() {
    let server = TestServer::start();
    let mut r = server.raw();
    let show =
        |r: &mut Raw, keys: &[&str], args: &[&str]| texts(eval(r, SHOW_ARGUMENTS, keys, args));
    assert_eq!(
        show(&mut r, &["k1"], &["a1", "a2"]),
        ["1", "2", "K1=k1", "A1=a1", "A2=a2", "nil nil", "nil"]
    );
    // Whatever a script does to its KEYS and ARGV, the next one gets
    // tables holding just its own.
    let meddle = "KEYS[2] = 'x' KEYS.extra = 1 ARGV[1] = nil
        setmetatable(ARGV, {__index = function() return 'm' end})
        return {#KEYS, ARGV[9]}";
    assert_eq!(
        eval(&mut r, meddle, &["k1"], &["a1"]),
        array(vec![int(2), Frame::bulk("m")])
    );
    assert_eq!(
        show(&mut r, &["k1"], &["b1", "b2"]),
        ["1", "2", "K1=k1", "A1=b1", "A2=b2", "nil nil", "nil"]
    );
    // Fewer arguments than the last script had, then more.
    assert_eq!(
        show(&mut r, &[], &["c1"]),
        ["0", "1", "A1=c1", "nil nil", "nil"]
    );
    assert_eq!(
        show(&mut r, &["k1", "k2", "k3"], &["d1", "d2", "d3", "d4"]),
        [
            "3", "4", "K1=k1", "K2=k2", "K3=k3", "A1=d1", "A2=d2", "A3=d3", "A4=d4", "nil nil",
            "nil"
        ]
    );
    // A script that reshapes its tables (every value gone, string keys
    // added and removed, values back) and one that fails half way.
    let reshape = "for i = 1, #ARGV do ARGV[i] = nil end
        for i = 1, 20 do ARGV['s' .. i] = i end
        for i = 1, 20 do ARGV['s' .. i] = nil end
        ARGV[4] = 'w' ARGV[2] = 'y' ARGV[3] = 'x' ARGV[1] = 'z'
        return #ARGV";
    assert_eq!(
        eval(&mut r, reshape, &[], &["e1", "e2", "e3", "e4"]),
        int(4)
    );
    assert_eq!(
        show(&mut r, &[], &["f1", "f2", "f3"]),
        ["0", "3", "A1=f1", "A2=f2", "A3=f3", "nil nil", "nil"]
    );
    // Bytes that are not UTF-8 reach the script as they are.
    let lengths = "return {#KEYS[1], #ARGV[1], #ARGV[2], string.byte(ARGV[2], 2)}";
    let line: [&[u8]; 6] = [
        b"EVAL",
        lengths.as_bytes(),
        b"1",
        b"k\xff",
        b"\xfe\x00",
        b"ok",
    ];
    assert_eq!(r.cmd_bytes(&line), ints(&[2, 2, 2, 107]));
    let fail = "KEYS.z = 1 table.insert(ARGV, 'more') error('boom')";
    assert!(matches!(
        eval(&mut r, fail, &["k1"], &["g1"]),
        Frame::Error(_)
    ));
    assert_eq!(
        show(&mut r, &["k1"], &["h1"]),
        ["1", "1", "K1=k1", "A1=h1", "nil nil", "nil"]
    );
}

#[test]
fn math_random_is_redis_generator() {
    let server = TestServer::start();
    let mut r = server.raw();
    let seeded = "math.randomseed(ARGV[1]) return {tostring(math.random()), math.random(10), math.random(5, 7)}";
    let first = eval(&mut r, seeded, &[], &["1"]);
    assert_eq!(render(&first), "[0.041630344484761 :5 :7]");
    assert_eq!(eval(&mut r, seeded, &[], &["1"]), first);
    assert_ne!(eval(&mut r, seeded, &[], &["2"]), first);
    // Not reseeded between scripts: two unseeded scripts differ.
    let draw = "return tostring(math.random())";
    assert_ne!(eval(&mut r, draw, &[], &[]), eval(&mut r, draw, &[], &[]));
}

#[test]
fn the_first_draws_of_a_fresh_server_are_redis_ones() {
    let server = TestServer::start();
    let mut r = server.raw();
    let draw = "return tostring(math.random())";
    assert_eq!(
        eval(&mut r, draw, &[], &[]),
        Frame::bulk("0.39646477363839")
    );
}

#[test]
fn scripts_inside_multi_and_under_watch() {
    let server = TestServer::start();
    let mut r = server.raw();
    let mut other = server.raw();
    r.cmd(&["SET", "balance", "10"]);
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(
        r.cmd(&[
            "EVAL",
            "return redis.call('incrby', KEYS[1], ARGV[1])",
            "1",
            "balance",
            "5"
        ]),
        Frame::Simple("QUEUED".into())
    );
    assert_eq!(r.cmd(&["EXEC"]), ints(&[15]));
    // A script's write touches a watched key like any write.
    assert_eq!(r.cmd(&["WATCH", "balance"]), ok());
    assert_eq!(
        eval(
            &mut other,
            "return redis.call('decr', KEYS[1])",
            &["balance"],
            &[]
        ),
        int(14)
    );
    r.cmd(&["MULTI"]);
    r.cmd(&["GET", "balance"]);
    assert_eq!(r.cmd(&["EXEC"]), nil_array());
    // A script that only reads does not.
    assert_eq!(r.cmd(&["WATCH", "balance"]), ok());
    assert_eq!(
        eval(
            &mut other,
            "return redis.call('get', KEYS[1])",
            &["balance"],
            &[]
        ),
        Frame::bulk("14")
    );
    r.cmd(&["MULTI"]);
    r.cmd(&["GET", "balance"]);
    assert_eq!(r.cmd(&["EXEC"]), bulks(&["14"]));
}

#[test]
fn read_only_scripts_and_flags() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["SET", "foo", "bar"]);
    assert_eq!(
        r.cmd(&["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "foo"]),
        Frame::bulk("bar")
    );
    let script = "redis.call('del', KEYS[1])";
    assert_eq!(
        r.cmd(&["EVAL_RO", script, "1", "foo"]),
        err(&format!(
            "ERR Write commands are not allowed from read-only scripts.{}",
            at_line(script, 1)
        ))
    );
    let no_writes = "#!lua flags=no-writes\nredis.call('set', KEYS[1], 'x')";
    assert_eq!(
        r.cmd(&["EVAL", no_writes, "1", "foo"]),
        err(&format!(
            "ERR Write commands are not allowed from read-only scripts.{}",
            at_line(no_writes, 2)
        ))
    );
    assert_eq!(
        r.cmd(&["EVAL_RO", "#!lua\nreturn 1", "0"]),
        err("ERR Can not execute a script with write flag using *_ro command.")
    );
    // maxmemory: scripts without flags may read, not write; allow-oom may.
    r.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    let write = "return redis.call('set', KEYS[1], 'y')";
    assert_eq!(
        eval(&mut r, write, &["foo"], &[]),
        err(&format!(
            "OOM command not allowed when used memory > 'maxmemory'.{}",
            at_line(write, 1)
        ))
    );
    assert_eq!(
        eval(&mut r, "return redis.call('get', KEYS[1])", &["foo"], &[]),
        Frame::bulk("bar")
    );
    assert_eq!(
        r.cmd(&["EVAL", "#!lua flags=\nreturn 1", "0"]),
        err("OOM command not allowed when used memory > 'maxmemory'.")
    );
    assert_eq!(
        r.cmd(&[
            "EVAL",
            "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], 'z')",
            "1",
            "foo"
        ]),
        ok()
    );
    assert_eq!(
        r.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 1", "0"]),
        int(1)
    );
    r.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
}

#[test]
fn a_read_only_replica_runs_read_only_scripts_only() {
    let primary = TestServer::start();
    let replica = TestServer::start_with(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut p = primary.raw();
    let mut r = replica.raw();
    p.cmd(&["SET", "x", "some value"]);
    assert!(wait_for(Duration::from_secs(10), || r.cmd(&["GET", "x"])
        == Frame::bulk("some value")));
    assert_eq!(
        r.cmd(&[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
            "1",
            "x"
        ]),
        Frame::bulk("some value")
    );
    assert_eq!(
        r.cmd(&["EVAL", "return redis.call('get', KEYS[1])", "1", "x"]),
        Frame::bulk("some value")
    );
    assert_eq!(
        r.cmd(&["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "x"]),
        Frame::bulk("some value")
    );
    assert_eq!(
        r.cmd(&["EVAL", "#!lua\nreturn redis.call('get', KEYS[1])", "1", "x"]),
        err("READONLY You can't write against a read only replica.")
    );
    let write = "return redis.call('set', KEYS[1], 'y')";
    assert_eq!(
        eval(&mut r, write, &["x"], &[]),
        err(&format!(
            "READONLY You can't write against a read only replica.{}",
            at_line(write, 1)
        ))
    );
}

#[test]
fn a_busy_script_is_served_around_and_killed() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["CONFIG", "SET", "busy-reply-threshold", "20"]);
    let mut runner = server.raw();
    runner.send_cmd(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"]);
    // A pipelined command behind the script runs once it is done.
    runner.send_cmd(&["PING"]);
    let busy = err(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
    );
    assert!(wait_for(Duration::from_secs(10), || r.cmd(&["PING"]) == busy));
    assert_eq!(r.cmd(&["GET", "x"]), busy);
    assert_eq!(r.cmd(&["SHUTDOWN"]), busy);
    // Transaction commands are allowed (they are flagged allow_busy).
    assert_eq!(r.cmd(&["MULTI"]), ok());
    assert_eq!(r.cmd(&["DISCARD"]), ok());
    assert_eq!(r.cmd(&["SCRIPT", "KILL"]), ok());
    let script = "local i = 0 while true do i = i + 1 end";
    let killed = runner.read();
    let text = match &killed {
        Frame::Error(text) => text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        text.starts_with("ERR Script killed by user with SCRIPT KILL... script: "),
        "{text}"
    );
    assert!(text.contains(&sha_of(script)), "{text}");
    assert_eq!(runner.read(), pong());
    assert_eq!(r.cmd(&["PING"]), pong());
    assert_eq!(
        r.cmd(&["SCRIPT", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );
}

#[test]
fn a_busy_script_in_a_pcall_loop_is_killed_too() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["CONFIG", "SET", "lua-time-limit", "10"]);
    let mut runner = server.raw();
    runner.send_cmd(&[
        "EVAL",
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
        "0",
    ]);
    assert!(wait_for(Duration::from_secs(10), || matches!(
        r.cmd(&["PING"]),
        Frame::Error(_)
    )));
    assert_eq!(r.cmd(&["SCRIPT", "KILL"]), ok());
    assert!(wait_for(Duration::from_secs(10), || r.cmd(&["PING"]) == pong()));
    assert!(runner.read().as_text().contains("killed by user"));
}

#[test]
fn a_busy_script_that_wrote_is_unkillable_but_shutdown_nosave_stops_it() {
    let mut server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["CONFIG", "SET", "lua-time-limit", "10"]);
    let mut runner = server.raw();
    runner.send_cmd(&[
        "EVAL",
        "redis.call('set', KEYS[1], 'y') while true do end",
        "1",
        "x",
    ]);
    assert!(wait_for(Duration::from_secs(10), || matches!(
        r.cmd(&["PING"]),
        Frame::Error(_)
    )));
    assert_eq!(
        r.cmd(&["SCRIPT", "KILL"]),
        err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
    );
    r.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    assert!(r.is_closed());
    assert!(wait_for(Duration::from_secs(10), || !server.alive()));
}

#[test]
fn blocked_clients_wait_for_a_busy_script_to_finish() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["CONFIG", "SET", "lua-time-limit", "10"]);
    let mut blocked = server.raw();
    blocked.send_cmd(&["BLPOP", "x", "0"]);
    wait_blocked(&mut r, 1);
    let mut runner = server.raw();
    r.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]);
    runner.send_cmd(&[
        "EVAL",
        "redis.call('lpush', KEYS[1], 'y')
        while true do
            local clients = redis.call('client', 'list')
            if string.find(clients, 'abortscript') ~= nil then break end
        end
        redis.call('lpush', KEYS[1], 'z')
        return 'done'",
        "1",
        "x",
    ]);
    assert!(wait_for(Duration::from_secs(10), || matches!(
        r.cmd(&["PING"]),
        Frame::Error(_)
    )));
    // HELLO is allowed while busy; it names this client for the script.
    let mut namer = server.raw();
    assert!(matches!(
        namer.cmd(&["HELLO", "2", "SETNAME", "abortscript"]),
        Frame::Array(_)
    ));
    assert_eq!(runner.read(), Frame::bulk("done"));
    // The blocked client was served after the script: it got the last push.
    assert_eq!(blocked.read(), bulks(&["x", "z"]));
    r.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"]);
}

#[test]
fn script_cache_commands_and_info() {
    let server = TestServer::start();
    let mut r = server.raw();
    let sha = bulk_text(&r.cmd(&["SCRIPT", "LOAD", "return 'loaded'"]));
    assert_eq!(sha, "b534286061d4b9e4026607613b95c06c06015ae8");
    assert_eq!(r.cmd(&["EVALSHA", &sha, "0"]), Frame::bulk("loaded"));
    for j in 0..10 {
        r.cmd(&["SCRIPT", "LOAD", &format!("return {j}")]);
    }
    let memory = info(&mut r, &["memory"]);
    assert_eq!(info_int(&memory, "number_of_cached_scripts"), 11);
    assert!(info_int(&memory, "used_memory_lua") > 10_000);
    assert!(info_int(&memory, "used_memory_scripts_eval") > 0);
    assert_eq!(r.cmd(&["SCRIPT", "FLUSH", "ASYNC"]), ok());
    assert_eq!(
        r.cmd(&["EVALSHA", &sha, "0"]),
        err("NOSCRIPT No matching script. Please use EVAL.")
    );
    assert_eq!(
        info_int(&info(&mut r, &["memory"]), "number_of_cached_scripts"),
        0
    );
    assert_eq!(
        r.cmd(&["SCRIPT", "FLUSH", "x"]),
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    );
    assert_eq!(
        r.cmd(&["SCRIPT", "DEBUG", "x"]),
        err("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    );
    assert_eq!(r.cmd(&["SCRIPT", "DEBUG", "NO"]), ok());
    assert_eq!(texts(r.cmd(&["SCRIPT", "HELP"])).len(), 17);
    // The Lua VM does not grow with the scripts run.
    let mut pipe = server.raw();
    for _ in 0..2000 {
        pipe.send_cmd(&["EVAL", "return redis.call('incr', KEYS[1])", "1", "counter"]);
    }
    for _ in 0..2000 {
        pipe.read();
    }
    assert_eq!(r.cmd(&["GET", "counter"]), Frame::bulk("2000"));
    assert!(info_int(&info(&mut r, &["memory"]), "used_memory_lua") < 100 * 1024);
}

#[test]
fn command_info_and_getkeys_know_eval() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"]),
        bulks(&["a", "b"])
    );
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "EVALSHA_RO", "x", "1", "k"]),
        bulks(&["k"])
    );
    let info = render(&r.cmd(&["COMMAND", "INFO", "eval", "script|kill"]));
    assert!(info.starts_with("[[eval :-3 [+noscript +stale +skip_monitor +no_mandatory_keys +movablekeys] :0 :0 :0 [+@slow +@scripting]"), "{info}");
    assert!(info.contains("allow_busy"), "{info}");
}

#[test]
fn error_stats_count_each_error_once() {
    let server = TestServer::start();
    let mut r = server.raw();
    r.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    r.cmd(&["CONFIG", "RESETSTAT"]);
    assert!(matches!(
        eval(&mut r, "return redis.call('set', 'x', 'y')", &[], &[]),
        Frame::Error(_)
    ));
    let stats = info(&mut r, &["errorstats", "commandstats", "stats"]);
    assert!(stats.contains("errorstat_OOM:count=1"), "{stats}");
    assert_eq!(info_int(&stats, "total_error_replies"), 1);
    assert!(
        stats.contains(
            "cmdstat_set:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"
        ),
        "{stats}"
    );
    assert!(stats.contains("rejected_calls=0,failed_calls=1"), "{stats}");
    r.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    r.cmd(&["CONFIG", "RESETSTAT"]);
    let script = "local t = redis.pcall('select', 99) return t['err']";
    assert_eq!(
        eval(&mut r, script, &[], &[]),
        Frame::bulk("ERR DB index is out of range")
    );
    let stats = info(&mut r, &["errorstats", "stats"]);
    assert!(stats.contains("errorstat_ERR:count=1"), "{stats}");
    assert_eq!(info_int(&stats, "total_error_replies"), 1);
}

#[test]
fn monitor_shows_eval_then_the_commands_it_ran() {
    let server = TestServer::start();
    let mut r = server.raw();
    let mut monitor = server.raw();
    assert_eq!(monitor.cmd(&["MONITOR"]), ok());
    eval(
        &mut r,
        "return redis.call('set', KEYS[1], 'v')",
        &["k"],
        &[],
    );
    let first = monitor.read().as_text();
    let second = monitor.read().as_text();
    assert!(
        first.contains("\"EVAL\" \"return redis.call('set', KEYS[1], 'v')\" \"1\" \"k\""),
        "{first}"
    );
    assert!(second.ends_with("[0 lua] \"set\" \"k\" \"v\""), "{second}");
}

#[test]
fn cjson_and_cmsgpack_round_trip_what_scripts_store() {
    let server = TestServer::start();
    let mut r = server.raw();
    // A job stored as JSON, read back and updated by a script.
    let enqueue = "local job = {id = tonumber(ARGV[1]), tags = {'a', 'b'}, attempts = 0}
        redis.call('set', KEYS[1], cjson.encode(job))
        local back = cjson.decode(redis.call('get', KEYS[1]))
        back.attempts = back.attempts + 1
        return {back.id, back.tags[2], back.attempts, cjson.encode({})}";
    assert_eq!(
        render(&eval(&mut r, enqueue, &["job"], &["42"])),
        "[:42 b :1 {}]"
    );
    assert_eq!(
        eval(
            &mut r,
            "return cjson.encode({1, 2.5, 'x', true, cjson.null})",
            &[],
            &[]
        ),
        Frame::bulk("[1,2.5,\"x\",true,null]")
    );
    // MessagePack bytes survive a trip through a key.
    let packed = "redis.call('set', KEYS[1], cmsgpack.pack({1, 'two', {3}}, 300))
        local a, b = cmsgpack.unpack(redis.call('get', KEYS[1]))
        return {a[1], a[2], a[3][1], b, string.len(redis.call('get', KEYS[1]))}";
    assert_eq!(
        render(&eval(&mut r, packed, &["mp"], &[])),
        "[:1 two :3 :300 :11]"
    );
    assert_eq!(
        eval(
            &mut r,
            "return {struct.unpack('>I2', struct.pack('>I2', 258)), bit.bxor(5, 3)}",
            &[],
            &[]
        ),
        ints(&[258, 6])
    );
    // The libraries' errors reach the caller with Redis's texts.
    let broken = "return cjson.decode('{')";
    assert_eq!(
        eval(&mut r, broken, &[], &[]),
        err(&format!(
            "ERR user_script:1: Expected object key string but found T_END at character 2{}",
            at_line(broken, 1)
        ))
    );
    assert!(matches!(
        eval(&mut r, "cjson.encode = nil", &[], &[]),
        Frame::Error(_)
    ));
}

#[test]
fn a_fresh_servers_first_call_takes_7999_unpacked_arguments() {
    let server = TestServer::start();
    let mut r = server.raw();
    let script = "local a = {} for i = 1, 7999 do a[i] = 1 end
        return redis.call('lpush', KEYS[1], unpack(a))";
    assert_eq!(eval(&mut r, script, &["l"], &[]), int(7999));
    assert_eq!(eval(&mut r, script, &["l"], &[]), int(15998));
}

#[test]
fn script_flush_async_frees_a_large_cache_on_the_lazyfree_thread() {
    let s = TestServer::start();
    let mut r = s.raw();
    let lazyfreed = |r: &mut Raw| info_int(&info(r, &["memory"]), "lazyfreed_objects");
    for j in 0..100 {
        r.cmd(&["SCRIPT", "LOAD", &format!("return {}", j)]);
    }
    assert_eq!(r.cmd(&["SCRIPT", "FLUSH", "ASYNC"]), ok());
    assert_eq!(
        info_int(&info(&mut r, &["memory"]), "number_of_cached_scripts"),
        0
    );
    assert!(wait_for(Duration::from_secs(5), || lazyfreed(&mut r) == 100));
    assert_eq!(eval(&mut r, "return 1", &[], &[]), int(1));
    // A small cache is freed at once, as is any cache without ASYNC.
    for j in 0..10 {
        r.cmd(&["SCRIPT", "LOAD", &format!("return {}", j)]);
    }
    assert_eq!(r.cmd(&["SCRIPT", "FLUSH", "ASYNC"]), ok());
    for j in 0..100 {
        r.cmd(&["SCRIPT", "LOAD", &format!("return {}", j)]);
    }
    assert_eq!(r.cmd(&["SCRIPT", "FLUSH", "SYNC"]), ok());
    assert_eq!(lazyfreed(&mut r), 100);
}
