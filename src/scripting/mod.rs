//! Lua scripting as Redis 7.0 runs it: EVAL, EVALSHA, EVAL_RO,
//! EVALSHA_RO and the SCRIPT commands (declared in `commands::scripting`)
//! run here, so a script written for Redis runs unchanged and gives the
//! same replies, errors and replication stream.
//!
//! The pieces:
//! - [`engine`]: one Lua 5.1 VM for every script (mlua, vendored Lua
//!   5.1.5), the cache of compiled scripts by SHA1 ([`cache`]), and the
//!   client scripts call commands through. The server holds the engine;
//!   a running script takes it out, and lends the server to the host
//!   functions for the run (one scoped userdata, see [`run`]).
//! - [`sandbox`] and `sandbox.lua`: the environment (Redis's allowed
//!   globals, every table read-only, undeclared globals an error, no
//!   binary chunks) and the `redis` table.
//! - [`run`]: running one script: Redis's checks before it starts, then
//!   `redis.call`/`redis.pcall` with the checks Redis makes for each
//!   command a script calls (unknown, arity, `noscript`, stale replica,
//!   writes from read-only scripts or on a read-only replica, MISCONF,
//!   min-replicas, maxmemory), `redis.set_repl`, `redis.setresp`, and the
//!   interrupt hook that serves other clients once a script runs past
//!   `busy-reply-threshold` (see `server::busy`).
//! - [`convert`]: replies into Lua values and results back into replies.
//! - [`prng`]: Redis's `math.random` generator.
//! - [`libs`]: `cjson`, `cmsgpack`, `struct` and `bit`, in Rust.
//!
//! A script's writes are propagated as the commands it ran (wrapped in
//! MULTI/EXEC when more than one), never as EVAL; `redis.set_repl` picks
//! the sinks each command goes to.
//!
//! Functions (FUNCTION LOAD, FCALL; [`functions`] and [`fcall`]) run in
//! a second engine of the same kind, through the same host and sandbox:
//! a function is called with its keys and arguments instead of KEYS and
//! ARGV.

pub mod api;
pub mod cache;
pub mod convert;
pub mod debugger;
pub mod engine;
pub mod fcall;
pub mod functions;
pub mod libs;
pub mod prng;
pub mod run;
pub mod sandbox;

pub use engine::{engine, install, put_engine, take_engine, Engine};

use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult, NOT_INTEGER};
use crate::server::spec::Args;
use crate::server::Server;
use cache::{command_flags, normalize_sha, parse_shebang, sha1_hex};
use run::{Invocation, NOSCRIPT};

/// How EVAL was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalCall {
    /// EVALSHA / EVALSHA_RO: the first argument names a cached script.
    pub by_sha: bool,
    /// EVAL_RO / EVALSHA_RO: the script may not write.
    pub read_only: bool,
}

/// EVAL and its family: `<script or sha> numkeys key... arg...`.
pub fn eval(srv: &mut Server, c: &mut Client, args: &Args, call: EvalCall) -> CmdResult {
    // EVAL is hidden from MONITOR's usual feed so that it shows before
    // the commands its script runs.
    srv.feed_monitors(c, args);
    if call.by_sha && args[1].len() != 40 {
        return Err(CmdError::Static(NOSCRIPT));
    }
    match c.lua_debug {
        None => run_eval(srv, c, args, call),
        Some(_) if call.by_sha => {
            Err("ERR Please use EVAL instead of EVALSHA for debugging".into())
        }
        Some(mode) => debugger::eval(srv, c, mode, &args[1], |srv, c| {
            run_eval(srv, c, args, call)
        }),
    }
}

/// EVAL's work once the script is known to be run: its keys and
/// arguments checked, the script found or compiled, then run.
fn run_eval(srv: &mut Server, c: &mut Client, args: &Args, call: EvalCall) -> CmdResult {
    let numkeys = crate::util::parse_i64(&args[2]).ok_or(CmdError::Static(NOT_INTEGER))?;
    let passed = args.len() as i64 - 3;
    if numkeys > passed {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let numkeys = usize::try_from(numkeys)
        .map_err(|_| CmdError::Static("ERR Number of keys can't be negative"))?;
    let keys = Args::new(args.buf, args.spans.get(3..3 + numkeys).unwrap_or_default());
    let argv = args.tail(3 + numkeys);
    let mut engine = take_engine(srv)?;
    let result = find_or_load(&mut engine, &args[1], call.by_sha).and_then(|sha| {
        let script = engine
            .scripts()
            .get(&sha)
            .ok_or(CmdError::Static(NOSCRIPT))?;
        let invocation = Invocation {
            name: &sha,
            function: script.function.clone(),
            flags: script.flags,
            keys,
            argv,
            read_only_command: call.read_only,
            eval: true,
        };
        engine.run(srv, c, invocation, args)
    });
    put_engine(srv, engine);
    result
}

/// The cached script EVALSHA names, or EVAL's body, compiled the first
/// time it is seen.
fn find_or_load(engine: &mut Engine, script: &[u8], by_sha: bool) -> Result<cache::Sha, CmdError> {
    if by_sha {
        // The cache is looked up once, by the caller.
        return normalize_sha(script).ok_or(CmdError::Static(NOSCRIPT));
    }
    engine.load(script)
}

/// The flags the checks before EVAL look at: those the script declares
/// in its shebang replace EVAL's (Redis's `evalGetCommandFlags`).
pub fn eval_flags(srv: &Server, args: &Args, cmd_flags: u64, by_sha: bool) -> u64 {
    let script = &args[1];
    let known = |sha: &cache::Sha| {
        engine(srv)
            .and_then(|e| e.scripts().get(sha))
            .map(|s| s.flags)
    };
    let script_flags = if by_sha {
        match normalize_sha(script).as_ref().and_then(known) {
            Some(flags) => flags,
            None => return cmd_flags,
        }
    } else {
        match known(&sha1_hex(script)) {
            Some(flags) => flags,
            None => match parse_shebang(script) {
                Ok((flags, _)) => flags,
                Err(_) => return cmd_flags,
            },
        }
    };
    command_flags(cmd_flags, script_flags)
}

/// SCRIPT KILL (`eval`) or, later, FUNCTION KILL: stops the running
/// script at its next check, unless it already wrote or came from our
/// primary.
pub fn kill(srv: &mut Server, eval: bool) -> Result<(), &'static str> {
    let busy = srv.busy_error();
    let Some(run) = srv.scripting.run.as_mut() else {
        return Err("NOTBUSY No scripts in execution right now.");
    };
    if run.from_primary {
        return Err("UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.");
    }
    if run.wrote {
        return Err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
    }
    if eval != run.eval {
        return Err(busy);
    }
    run.kill_requested = true;
    Ok(())
}

/// SCRIPT FLUSH: a new VM and an empty cache; the old engine is freed on
/// the lazyfree thread when `lazy` (ASYNC) and it cached enough scripts.
pub fn flush(srv: &mut Server, lazy: bool) -> CmdResult {
    let engine = take_engine(srv)?;
    let fresh = match engine.successor() {
        Ok(fresh) => fresh,
        Err(e) => {
            put_engine(srv, engine);
            return Err(CmdError::from(format!("ERR {}", e)));
        }
    };
    put_engine(srv, Box::new(fresh));
    let scripts = engine.scripts().len();
    srv.free_detached(Box::new(engine::Detached(engine)), scripts, lazy);
    Ok(())
}

/// SCRIPT LOAD: compiles and caches a script; its SHA1.
pub fn load(srv: &mut Server, body: &[u8]) -> Result<cache::Sha, CmdError> {
    let mut engine = take_engine(srv)?;
    let loaded = engine.load(body);
    put_engine(srv, engine);
    loaded
}

/// SCRIPT EXISTS: whether a script of that SHA1 is cached.
pub fn exists(srv: &Server, sha: &[u8]) -> bool {
    normalize_sha(sha)
        .zip(engine(srv))
        .is_some_and(|(sha, e)| e.scripts().contains(&sha))
}

/// Scripting's figures for INFO memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryReport {
    /// The Lua VM's bytes (`used_memory_lua`, `used_memory_vm_eval`).
    pub vm: usize,
    /// The cache's bytes (`used_memory_scripts_eval`).
    pub scripts: usize,
    /// `number_of_cached_scripts`.
    pub cached_scripts: usize,
}

pub fn memory_report(srv: &Server) -> MemoryReport {
    engine(srv).map_or_else(MemoryReport::default, |e| MemoryReport {
        vm: e.vm_memory(),
        scripts: e.scripts().memory(),
        cached_scripts: e.scripts().len(),
    })
}
