//! Functions over real sockets: libraries loaded with FUNCTION LOAD and
//! called with FCALL as applications write them (a lock library, a rate
//! limiter with named arguments and flags), the library-load sandbox and
//! Redis's error texts, FUNCTION LIST / DUMP / RESTORE / DELETE / FLUSH /
//! STATS, flags checked as a script's shebang flags are, what replicas
//! and the AOF receive, libraries in RDB files (both ways with the real
//! Redis), a busy function killed, ACL checks of the commands a function
//! runs, and INFO. Every test passes against redis-server 7.0.15 too
//! (`REDDISH_TEST_SERVER=$(command -v redis-server)`).

mod common;

use common::real_redis::{self, RealRedis};
use common::repl_stream::ReplStream;
use common::*;
use std::time::Duration;

const LOCKS: &str = "#!lua name=locks
local function acquire(keys, args)
    return redis.call('set', keys[1], args[1], 'NX', 'PX', args[2])
end
local function release(keys, args)
    if redis.call('get', keys[1]) == args[1] then
        return redis.call('del', keys[1])
    end
    return 0
end
redis.register_function('acquire', acquire)
redis.register_function('release', release)
";

const LIMITER: &str = "#!lua name=limiter
redis.register_function{
    function_name = 'hit',
    description = 'counts a hit in a fixed window',
    callback = function(keys, args)
        local count = redis.call('incr', keys[1])
        if count == 1 then redis.call('pexpire', keys[1], args[2]) end
        if count > tonumber(args[1]) then
            return redis.error_reply('LIMITED ' .. count)
        end
        return count
    end
}
redis.register_function{
    function_name = 'peek',
    callback = function(keys) return redis.call('get', keys[1]) end,
    flags = {'no-writes', 'allow-stale'}
}
";

fn load(r: &mut Raw, code: &str) -> Frame {
    r.cmd(&["FUNCTION", "LOAD", code])
}

fn fcall(r: &mut Raw, name: &str, keys: &[&str], args: &[&str]) -> Frame {
    let numkeys = keys.len().to_string();
    let mut line = vec!["FCALL", name, &numkeys];
    line.extend_from_slice(keys);
    line.extend_from_slice(args);
    r.cmd(&line)
}

#[test]
fn a_lock_library_acquires_and_releases_by_token() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(load(&mut r, LOCKS), Frame::bulk("locks"));
    assert_eq!(fcall(&mut r, "acquire", &["lock"], &["a", "30000"]), ok());
    assert_eq!(fcall(&mut r, "acquire", &["lock"], &["b", "30000"]), nil());
    assert_eq!(fcall(&mut r, "release", &["lock"], &["b"]), int(0));
    // Function names are case-insensitive.
    assert_eq!(fcall(&mut r, "RELEASE", &["lock"], &["a"]), int(1));
    assert_eq!(r.cmd(&["EXISTS", "lock"]), int(0));
    assert_eq!(
        load(&mut r, LOCKS),
        err("ERR Library 'locks' already exists")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "LOAD", "REPLACE", LOCKS]),
        Frame::bulk("locks")
    );
    assert_eq!(r.cmd(&["FUNCTION", "DELETE", "locks"]), ok());
    assert_eq!(
        fcall(&mut r, "acquire", &["lock"], &["a", "1"]),
        err("ERR Function not found")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "DELETE", "locks"]),
        err("ERR Library not found")
    );
}

#[test]
fn a_rate_limiter_with_named_arguments_and_flags() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(load(&mut r, LIMITER), Frame::bulk("limiter"));
    for n in 1..=2 {
        assert_eq!(fcall(&mut r, "hit", &["rate"], &["2", "60000"]), int(n));
    }
    assert_eq!(
        fcall(&mut r, "hit", &["rate"], &["2", "60000"]),
        err("LIMITED 3")
    );
    assert_eq!(r.cmd(&["FCALL_RO", "peek", "1", "rate"]), Frame::bulk("3"));
    assert_eq!(
        r.cmd(&["FCALL_RO", "hit", "1", "rate", "2", "1000"]),
        err("ERR Can not execute a script with write flag using *_ro command.")
    );
    let list = r.cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "lim*"]);
    let expected = array(vec![array(vec![
        Frame::bulk("library_name"),
        Frame::bulk("limiter"),
        Frame::bulk("engine"),
        Frame::bulk("LUA"),
        Frame::bulk("functions"),
        array(vec![
            array(vec![
                Frame::bulk("name"),
                Frame::bulk("hit"),
                Frame::bulk("description"),
                Frame::bulk("counts a hit in a fixed window"),
                Frame::bulk("flags"),
                array(vec![]),
            ]),
            array(vec![
                Frame::bulk("name"),
                Frame::bulk("peek"),
                Frame::bulk("description"),
                nil(),
                Frame::bulk("flags"),
                array(vec![
                    Frame::Simple("no-writes".into()),
                    Frame::Simple("allow-stale".into()),
                ]),
            ]),
        ]),
    ])]);
    // Redis lists a library's functions in its dict's order.
    let sorted = |f: Frame| match f {
        Frame::Array(Some(mut libs)) => {
            for lib in libs.iter_mut() {
                if let Frame::Array(Some(fields)) = lib {
                    if let Some(Frame::Array(Some(functions))) = fields.get_mut(5) {
                        functions.sort_by_key(|f| format!("{:?}", f));
                    }
                }
            }
            Frame::Array(Some(libs))
        }
        other => other,
    };
    assert_eq!(sorted(list), sorted(expected));
    assert_eq!(
        r.cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"]),
        array(vec![])
    );
    let with_code = r.cmd(&["FUNCTION", "LIST", "WITHCODE"]);
    let Frame::Array(Some(libraries)) = with_code else {
        panic!("FUNCTION LIST returns libraries");
    };
    let Some(Frame::Array(Some(fields))) = libraries.first() else {
        panic!("a library");
    };
    assert_eq!(fields.get(6), Some(&Frame::bulk("library_code")));
    assert_eq!(fields.get(7), Some(&Frame::bulk(LIMITER)));
    assert_eq!(
        r.cmd(&["FUNCTION", "LIST", "bad_argument"]),
        err("ERR Unknown argument bad_argument")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "LIST", "LIBRARYNAME"]),
        err("ERR library name argument was not given")
    );
}

#[test]
fn the_load_sandbox_and_its_error_texts() {
    let server = TestServer::start();
    let mut r = server.raw();
    let cases: &[(&str, &str)] = &[
        ("return 1", "ERR Missing library metadata"),
        ("#!lua name=x", "ERR Invalid library metadata"),
        ("#!lua\nreturn 1", "ERR Library name was not given"),
        ("#!lua name=x y=z\n", "ERR Invalid metadata value given: y=z"),
        ("#!lua name=a-b\n", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        ("#!bad_engine name=x\n", "ERR Engine 'bad_engine' not found"),
        ("#!lua name=x\nreturn 1", "ERR No functions registered"),
        ("#!lua name=x\nlocal a =", "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"),
        ("#!lua name=x\nredis.call('ping')", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
        ("#!lua name=x\nlocal m = math.floor", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'"),
        ("#!lua name=x\nredis.setresp(3)", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'setresp'"),
        ("#!lua name=x\na = 1", "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
        ("#!lua name=x\nredis.register_function('f')", "ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."),
        ("#!lua name=x\nredis.register_function('f', 1)", "ERR Error registering functions: ERR second argument to redis.register_function must be a function"),
        ("#!lua name=x\nredis.register_function('a-b', function() end)", "ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        ("#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)", "ERR Error registering functions: ERR Function already exists in the library"),
        ("#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}", "ERR Error registering functions: ERR unknown flag given"),
        ("#!lua name=x\nredis.register_function{function_name='f', callback=function() end, other=1}", "ERR Error registering functions: ERR unknown argument given to redis.register_function"),
        ("#!lua name=x\nredis.register_function{callback=function() end}", "ERR Error registering functions: ERR redis.register_function must get a function name argument"),
        ("#!lua name=x\nlocal a = 1 while 1 do a = a + 1 end", "ERR Error registering functions: ERR FUNCTION LOAD timeout"),
    ];
    for (code, expected) in cases {
        assert_eq!(load(&mut r, code), err(expected), "{code}");
    }
    assert_eq!(
        r.cmd(&["FUNCTION", "LOAD", "BADOPT", "#!lua name=x\n"]),
        err("ERR Unknown option given: BADOPT")
    );
    // What a library captured at load time fails when called later.
    let sneaky = "#!lua name=sneaky
local lib = redis
lib.register_function('again', function()
    lib.register_function('other', function() return 1 end)
end)
redis.register_function('nested', function()
    redis.register_function('other', function() return 1 end)
end)";
    assert_eq!(load(&mut r, sneaky), Frame::bulk("sneaky"));
    let again = fcall(&mut r, "again", &[], &[]).as_text();
    assert!(
        again.contains("can only be called on FUNCTION LOAD command"),
        "{again}"
    );
    let nested = fcall(&mut r, "nested", &[], &[]).as_text();
    assert!(
        nested.contains("attempt to call field 'register_function' (a nil value)"),
        "{nested}"
    );
    // Functions see the usual globals, but no KEYS or ARGV.
    let globals = "#!lua name=globals
redis.register_function('g', function(keys, args)
    return {math.floor(2.5), #keys, #args, tostring(KEYS)}
end)";
    assert_eq!(load(&mut r, globals), Frame::bulk("globals"));
    let reply = fcall(&mut r, "g", &["k"], &["a", "b"]).as_text();
    assert!(
        reply.contains("Script attempted to access nonexistent global variable 'KEYS' script: g, on @user_function:3."),
        "{reply}"
    );
}

#[test]
fn dump_and_restore_with_each_policy() {
    let server = TestServer::start();
    let mut r = server.raw();
    load(&mut r, LOCKS);
    load(&mut r, LIMITER);
    let Frame::Bulk(Some(payload)) = r.cmd(&["FUNCTION", "DUMP"]) else {
        panic!("FUNCTION DUMP returns a payload");
    };
    let restore = |r: &mut Raw, policy: &[&[u8]]| {
        let mut line: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", &payload];
        line.extend_from_slice(policy);
        r.cmd_bytes(&line)
    };
    // The library named is the payload's first (Redis's dict order).
    let clash = restore(&mut r, &[]).as_text();
    assert!(
        clash == "ERR Library limiter already exists"
            || clash == "ERR Library locks already exists",
        "{clash}"
    );
    assert_eq!(restore(&mut r, &[b"REPLACE"]), ok());
    assert_eq!(r.cmd(&["FUNCTION", "DELETE", "locks"]), ok());
    assert_eq!(
        restore(&mut r, &[b"APPEND"]),
        err("ERR Library limiter already exists")
    );
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH"]), ok());
    load(
        &mut r,
        "#!lua name=other\nredis.register_function('hit', function() return 0 end)",
    );
    assert_eq!(
        restore(&mut r, &[b"APPEND"]),
        err("ERR Function hit already exists")
    );
    assert_eq!(restore(&mut r, &[b"FLUSH"]), ok());
    assert_eq!(fcall(&mut r, "acquire", &["l"], &["t", "1000"]), ok());
    assert_eq!(fcall(&mut r, "hit", &["h"], &["5", "1000"]), int(1));
    assert_eq!(
        restore(&mut r, &[b"BAD"]),
        err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "RESTORE", "garbage-payload"]),
        err("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "FLUSH", "LAZY"]),
        err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    );
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH", "ASYNC"]), ok());
    assert_eq!(r.cmd(&["FUNCTION", "LIST"]), array(vec![]));
}

#[test]
fn replicas_and_the_aof_get_function_commands_and_effects() {
    let server = TestServer::start_with(&["--repl-diskless-sync", "no"]);
    let mut r = server.raw();
    let mut stream = ReplStream::attach(server.port);
    load(&mut r, LOCKS);
    fcall(&mut r, "acquire", &["lock"], &["tok", "5000"]);
    let mover = "#!lua name=mover
redis.register_function('move', function(keys)
    local v = redis.call('rpop', keys[1])
    redis.call('lpush', keys[2], v)
    return v
end)";
    r.cmd(&["RPUSH", "q", "job"]);
    load(&mut r, mover);
    assert_eq!(fcall(&mut r, "move", &["q", "p"], &[]), Frame::bulk("job"));
    assert_eq!(r.cmd(&["FUNCTION", "DELETE", "mover"]), ok());
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH"]), ok());
    r.cmd(&["SET", "marker", "1"]);
    let seen = stream.until(&["SET", "marker", "1"]);
    let words: Vec<String> = seen.iter().map(|c| c.join(" ")).collect();
    let expected_order = [
        format!("FUNCTION LOAD {}", LOCKS),
        "SET lock tok PXAT".to_string(),
        "MULTI".to_string(),
        "rpop q".to_string(),
        "lpush p job".to_string(),
        "EXEC".to_string(),
        "FUNCTION DELETE mover".to_string(),
        "FUNCTION FLUSH".to_string(),
        "SET marker 1".to_string(),
    ];
    let mut position = 0;
    for want in &expected_order {
        let found = words[position..]
            .iter()
            .position(|w| w == want || (want.ends_with("PXAT") && w.starts_with(want.as_str())))
            .unwrap_or_else(|| panic!("{want} in {words:?}"));
        position += found + 1;
    }
    assert!(!words.iter().any(|w| w.starts_with("FCALL")), "{words:?}");
}

#[test]
fn libraries_survive_reload_restart_and_the_aof() {
    let mut server = TestServer::start();
    let mut r = server.raw();
    load(&mut r, LOCKS);
    assert_eq!(r.cmd(&["DEBUG", "RELOAD"]), ok());
    assert_eq!(fcall(&mut r, "acquire", &["l"], &["t", "60000"]), ok());
    // FLUSHALL leaves libraries alone.
    assert_eq!(r.cmd(&["FLUSHALL"]), ok());
    assert!(render(&r.cmd(&["FUNCTION", "LIST"])).contains("library_name locks"));
    assert_eq!(r.cmd(&["SAVE"]), ok());
    server.restart_with(&[]);
    let mut r = server.raw();
    assert_eq!(fcall(&mut r, "release", &["l"], &["t"]), int(0));
    // An AOF rewritten without the RDB preamble loads its libraries first.
    server.restart_with(&["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let mut r = server.raw();
    wait_ready(&mut r, Duration::from_secs(10));
    load(&mut r, LIMITER);
    assert_eq!(
        r.cmd(&["BGREWRITEAOF"]),
        Frame::Simple("Background append only file rewriting started".into())
    );
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(&mut r, "persistence", "aof_rewrite_scheduled") == "0"
    }));
    server.restart_with(&["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let mut r = server.raw();
    wait_ready(&mut r, Duration::from_secs(10));
    assert_eq!(fcall(&mut r, "hit", &["h"], &["5", "1000"]), int(1));
    assert_eq!(r.cmd(&["FUNCTION", "DELETE", "limiter"]), ok());
    server.restart_with(&["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let mut r = server.raw();
    wait_ready(&mut r, Duration::from_secs(10));
    assert_eq!(
        fcall(&mut r, "hit", &["h"], &["5", "1000"]),
        err("ERR Function not found")
    );
}

#[test]
fn real_redis_and_reddish_load_each_others_libraries() {
    if !real_redis::available() || against_real_redis() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut real = RealRedis::start(dir.path(), &[]);
    let mut rr = real.raw();
    assert_eq!(load(&mut rr, LOCKS), Frame::bulk("locks"));
    assert_eq!(rr.cmd(&["SAVE"]), ok());
    drop(rr);
    let mut server = TestServer::start();
    std::fs::copy(dir.path().join("dump.rdb"), server.path("dump.rdb")).expect("copy dump");
    server.restart_with(&[]);
    let mut r = server.raw();
    assert_eq!(fcall(&mut r, "acquire", &["l"], &["t", "60000"]), ok());
    load(&mut r, LIMITER);
    assert_eq!(r.cmd(&["SAVE"]), ok());
    real.raw().send_cmd(&["SHUTDOWN", "NOSAVE"]);
    real.wait_exit();
    std::fs::copy(server.path("dump.rdb"), dir.path().join("dump.rdb")).expect("copy dump");
    real.restart();
    let mut rr = real.raw();
    assert_eq!(fcall(&mut rr, "hit", &["h"], &["5", "1000"]), int(1));
    assert_eq!(fcall(&mut rr, "release", &["l"], &["x"]), int(0));
    // FUNCTION DUMP payloads move both ways too.
    let Frame::Bulk(Some(payload)) = rr.cmd(&["FUNCTION", "DUMP"]) else {
        panic!("a payload");
    };
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH"]), ok());
    assert_eq!(r.cmd_bytes(&[b"FUNCTION", b"RESTORE", &payload]), ok());
    assert_eq!(fcall(&mut r, "hit", &["h"], &["5", "1000"]), int(1));
    let Frame::Bulk(Some(ours)) = r.cmd(&["FUNCTION", "DUMP"]) else {
        panic!("a payload");
    };
    assert_eq!(ours.len(), payload.len());
    assert_eq!(
        rr.cmd_bytes(&[b"FUNCTION", b"RESTORE", &ours, b"FLUSH"]),
        ok()
    );
    assert_eq!(fcall(&mut rr, "release", &["l"], &["x"]), int(0));
}

#[test]
fn a_busy_function_is_reported_and_killed() {
    let server = TestServer::start();
    let mut r = server.raw();
    load(
        &mut r,
        "#!lua name=busy\nredis.register_function{function_name='spin', callback=function() local i = 0 while true do i = i + 1 end end, flags={'no-writes'}}",
    );
    r.cmd(&["CONFIG", "SET", "busy-reply-threshold", "20"]);
    let mut runner = server.raw();
    runner.send_cmd(&["FCALL", "spin", "0"]);
    let busy = err(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
    );
    assert!(wait_for(Duration::from_secs(10), || r.cmd(&["PING"]) == busy));
    let stats = render(&r.cmd(&["FUNCTION", "STATS"]));
    assert!(
        stats.starts_with("[running_script [name spin command [FCALL spin 0] duration_ms :"),
        "{stats}"
    );
    assert_eq!(r.cmd(&["SCRIPT", "KILL"]), busy);
    assert_eq!(r.cmd(&["FUNCTION", "KILL"]), ok());
    let killed = runner.read().as_text();
    assert!(
        killed.starts_with(
            "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."
        ),
        "{killed}"
    );
    assert_eq!(r.cmd(&["PING"]), pong());
    assert_eq!(
        r.cmd(&["FUNCTION", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );
    let stats = r.cmd(&["FUNCTION", "STATS"]);
    assert_eq!(
        stats,
        array(vec![
            Frame::bulk("running_script"),
            nil(),
            Frame::bulk("engines"),
            array(vec![
                Frame::bulk("LUA"),
                array(vec![
                    Frame::bulk("libraries_count"),
                    int(1),
                    Frame::bulk("functions_count"),
                    int(1),
                ]),
            ]),
        ])
    );
}

#[test]
fn commands_a_function_runs_are_checked_against_the_callers_acl() {
    let server = TestServer::start();
    let mut r = server.raw();
    load(&mut r, LOCKS);
    let reader = "#!lua name=reader
redis.register_function('read', function(keys, args) return redis.call('get', args[1]) end)";
    load(&mut r, reader);
    assert_eq!(
        r.cmd(&["ACL", "SETUSER", "app", "on", "nopass", "+fcall", "+get", "~lock*"]),
        ok()
    );
    let mut app = server.raw();
    assert_eq!(app.cmd(&["AUTH", "app", "x"]), ok());
    let refused = fcall(&mut app, "acquire", &["lock"], &["t", "1000"]).as_text();
    assert_eq!(
        refused,
        "ERR The user executing the script can't run this command or subcommand script: acquire, on @user_function:3."
    );
    assert_eq!(fcall(&mut app, "release", &["lock"], &["t"]), int(0));
    assert_eq!(fcall(&mut app, "read", &[], &["lock"]), nil());
    let other_key = fcall(&mut app, "read", &[], &["other"]).as_text();
    assert_eq!(
        other_key,
        "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: read, on @user_function:2."
    );
    assert_eq!(
        app.cmd(&["FUNCTION", "LOAD", LIMITER]),
        err("NOPERM this user has no permissions to run the 'function|load' command")
    );
}

#[test]
fn info_counts_functions_and_their_memory() {
    let server = TestServer::start();
    let mut r = server.raw();
    let before = info(&mut r, &["memory"]);
    assert_eq!(info_int(&before, "number_of_functions"), 0);
    assert!(info_int(&before, "used_memory_vm_functions") > 0);
    load(&mut r, LOCKS);
    load(&mut r, LIMITER);
    let after = info(&mut r, &["memory"]);
    assert_eq!(info_int(&after, "number_of_functions"), 4);
    assert_eq!(info_int(&after, "number_of_libraries"), 2);
    assert!(info_int(&after, "used_memory_functions") > info_int(&before, "used_memory_functions"));
    assert_eq!(
        info_int(&after, "used_memory_vm_total"),
        info_int(&after, "used_memory_vm_eval") + info_int(&after, "used_memory_vm_functions")
    );
    // SCRIPT FLUSH leaves functions alone.
    assert_eq!(r.cmd(&["SCRIPT", "FLUSH"]), ok());
    assert_eq!(fcall(&mut r, "release", &["l"], &["t"]), int(0));
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "FCALL", "f", "2", "a", "b", "c"]),
        bulks(&["a", "b"])
    );
}

#[test]
fn function_flush_async_frees_many_functions_on_the_lazyfree_thread() {
    let server = TestServer::start();
    let mut r = server.raw();
    let mut code = "#!lua name=many\n".to_string();
    for j in 0..70 {
        code.push_str(&format!(
            "redis.register_function('f{}', function() return {} end)\n",
            j, j
        ));
    }
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", &code]), Frame::bulk("many"));
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH", "ASYNC"]), ok());
    assert_eq!(r.cmd(&["FUNCTION", "LIST"]), empty_array());
    let lazyfreed = |r: &mut Raw| info_int(&info(r, &["memory"]), "lazyfreed_objects");
    assert!(wait_for(Duration::from_secs(5), || lazyfreed(&mut r) == 70));
    let memory = info(&mut r, &["memory"]);
    assert_eq!(info_int(&memory, "number_of_functions"), 0);
    assert!(info_int(&memory, "used_memory_vm_functions") > 0);
    // The functions come back in the fresh engine.
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", &code]), Frame::bulk("many"));
    assert_eq!(r.cmd(&["FCALL", "f3", "0"]), int(3));
    assert_eq!(r.cmd(&["FUNCTION", "FLUSH"]), ok());
    assert_eq!(lazyfreed(&mut r), 70);
}
