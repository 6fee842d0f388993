//! The Lua debugger (LDB), as Redis 7.0 has it: after `SCRIPT DEBUG YES`
//! or `SYNC`, a client's next EVAL runs step by step under its control
//! (`redis-cli --ldb`).
//!
//! - YES forks: the child runs the session on its copy of the dataset
//!   (whatever the script writes is thrown away with it) while the server
//!   goes on serving; the server forgets the client, the child closes it
//!   when the script ends. SYNC runs the session in the server itself,
//!   blocking it, and keeps the changes.
//! - Either way the session takes the client's socket into blocking mode
//!   and talks to it directly from the script's line hook ([`repl`]):
//!   stopped at a line, it sends what it has to say as an array of status
//!   replies (`* Stopped at 1, ...`, `<value> ...`, `<redis> ...`,
//!   `<reply> ...`) and reads the client's next command. The session ends
//!   with `<endsession>`, then the script's reply, and the connection is
//!   closed.
//! - Scripts see `redis.debug()` (log lines) and `redis.breakpoint()`;
//!   commands the script runs while stepping are logged with their
//!   replies ([`log_call`], called by the running script's host).
//!
//! Nothing here runs unless a session is on: a script that is not debugged
//! keeps its usual hook and pays one check of the session slot per run.

mod repl;
mod session;
mod show;

use super::engine::Engine;
use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult};
use crate::server::hooks::Feature;
use crate::server::spec::Args;
use crate::server::state::scripting::DebugMode;
use crate::server::{Server, ShutdownFlags};
use log::warn;
use mlua::{Function, Lua, MultiValue, Table, Value};
use session::Session;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// Where the running session is while a debugged script runs (empty
/// otherwise); shared by the engine, its hook and `redis.debug`.
pub type DebugSlot = Rc<RefCell<Option<Session>>>;

/// Registry names of the Lua helpers built with the `debug` library.
const LOCALS_HELPER: &str = "reddish.ldb.locals";
const PCALL_HELPER: &str = "reddish.ldb.pcall";

/// Helpers over `debug.getlocal` and `pcall`, taken when the VM is made:
/// `locals(level)` gives the names and values of the locals of the frame
/// `level` levels below its caller (0: the frame the hook stopped in);
/// `pcall(f)` runs `f` without mlua's traceback on errors.
const HELPERS: &str = r#"
local getlocal, pcall = ...
local function locals(level)
  local names, values, n = {}, {}, 0
  while true do
    local name, value = getlocal(level + 2, n + 1)
    if name == nil then return names, values, n end
    n = n + 1
    names[n], values[n] = name, value
  end
end
local function protected(f)
  local ok, value = pcall(f)
  return ok, value
end
return locals, protected
"#;

/// Keeps what the debugger needs of Lua's `debug` library (in the
/// registry) and lets go of the rest of it.
pub fn keep_debug_library(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    let debug: Table = globals.raw_get("debug")?;
    let getlocal: Function = debug.raw_get("getlocal")?;
    let pcall: Function = globals.raw_get("pcall")?;
    let (locals, protected) = lua
        .load(HELPERS)
        .set_name("=ldb")
        .call::<(Function, Function)>((getlocal, pcall))?;
    lua.set_named_registry_value(LOCALS_HELPER, locals)?;
    lua.set_named_registry_value(PCALL_HELPER, protected)?;
    // Gone from `package.loaded` too, so the garbage collector has no
    // more to walk through than without the library.
    let loaded: Table = lua.named_registry_value("_LOADED")?;
    loaded.raw_set("debug", Value::Nil)?;
    globals.raw_set("debug", Value::Nil)
}

/// `redis.debug()` and `redis.breakpoint()`, which do something only in
/// a session.
pub fn register(lua: &Lua, redis: &Table, slot: &DebugSlot) -> mlua::Result<()> {
    let for_breakpoint = slot.clone();
    let breakpoint = lua.create_function(move |_, _: MultiValue| {
        Ok(match for_breakpoint.borrow_mut().as_mut() {
            Some(s) => {
                s.lua_breakpoint = true;
                true
            }
            None => false,
        })
    })?;
    let for_debug = slot.clone();
    let debug = lua.create_function(move |_, args: MultiValue| {
        if let Some(s) = for_debug.borrow_mut().as_mut() {
            let mut entry = format!("<debug> line {}: ", s.current_line).into_bytes();
            for (j, v) in args.iter().enumerate() {
                if j != 0 {
                    entry.extend_from_slice(b", ");
                }
                show::value(&mut entry, v);
            }
            s.log(entry);
        }
        Ok(())
    })?;
    redis.raw_set("breakpoint", breakpoint)?;
    redis.raw_set("debug", debug)
}

/// A script run starts: when a session is on, the debugger's hook
/// replaces the usual one and the session slot is handed to the host.
pub(super) fn start_run(engine: &Engine, busy_reply_threshold: i64) -> Option<DebugSlot> {
    engine.debug.borrow().as_ref()?;
    let limit_ms = if busy_reply_threshold > 0 {
        busy_reply_threshold as u64
    } else {
        5000
    };
    let ctx = repl::HookContext {
        slot: engine.debug.clone(),
        redis: engine.sandbox.redis.clone(),
        globals: engine.sandbox.globals.clone(),
        env: engine.sandbox.env.clone(),
        time_limit: Duration::from_millis(limit_ms),
    };
    if let Err(e) = repl::install(&engine.lua, ctx) {
        warn!("Failed installing the Lua debugger hook: {}", e);
    }
    Some(engine.debug.clone())
}

/// What became of a command a script called, for the session's log.
pub enum CallLog<'a> {
    /// Its arguments were refused before it was looked up.
    BadArguments(&'a str),
    /// It was refused (unknown, arity, ACL, ...): the error's text.
    Refused(&'a [u8]),
    /// It ran and replied this.
    Ran(&'a [u8]),
}

/// Logs a command the script called and what came of it, when stepping:
/// `<redis> cmd ...`, `<error> ...` for each error, `<reply> ...`.
pub fn log_call(slot: &DebugSlot, argv: &Args, what: CallLog) {
    let mut slot = slot.borrow_mut();
    let Some(s) = slot.as_mut().filter(|s| s.step) else {
        return;
    };
    match what {
        CallLog::BadArguments(msg) => s.log_error(msg.as_bytes()),
        CallLog::Refused(text) => {
            s.log_command(argv);
            s.log_error(text);
        }
        CallLog::Ran(reply) => {
            s.log_command(argv);
            for error in show::errors(reply) {
                s.log_error(error);
            }
            let mut entry = b"<reply> ".to_vec();
            show::reply(&mut entry, reply);
            s.log_trimmed(entry);
        }
    }
}

/// EVAL under the debugger: starts the session (forking for YES), runs
/// the script with `run`, ends the session. The forked child never
/// returns from here; the server side of a fork returns at once, having
/// let go of the client.
pub fn eval(
    srv: &mut Server,
    c: &mut Client,
    mode: DebugMode,
    body: &[u8],
    run: impl FnOnce(&mut Server, &mut Client) -> CmdResult,
) -> CmdResult {
    let forked = mode == DebugMode::Fork;
    if forked {
        let parent_pid = std::process::id();
        match fork() {
            Err(e) => {
                c.lua_debug = None;
                return Err(CmdError::from(format!(
                    "ERR Fork() failed: can't run EVAL in debugging mode: {}",
                    crate::util::error_text(&e)
                )));
            }
            Ok(Some(pid)) => {
                srv.scripting.debug_children.push(pid);
                srv.persistence.total_forks += 1;
                c.lua_debug = None;
                c.close_asap = true;
                return Ok(());
            }
            Ok(None) => become_session_child(srv, parent_pid),
        }
    } else {
        warn!("Redis synchronous debugging eval session started");
    }
    let session = match Session::open(c, body, forked) {
        Ok(session) => session,
        Err(e) => {
            let text = format!("ERR Lua debugging session failed: {}", e);
            if forked {
                exit_child(c, &mut None, Err(CmdError::from(text)));
            }
            return Err(CmdError::from(text));
        }
    };
    // What the client is owed already (the reply header of an EXEC) goes
    // out after the session, with the script's reply, as in Redis.
    set_session(srv, Some(session));
    let result = run(srv, c);
    let mut session = set_session(srv, None);
    if let Some(s) = session.as_mut() {
        s.log("<endsession>");
        s.send_logs();
    }
    if forked {
        exit_child(c, &mut session, result);
    }
    warn!("Redis synchronous debugging eval session ended");
    if let Some(s) = &session {
        s.release();
    }
    c.close_after_reply = true;
    result
}

/// Puts `session` in the EVAL engine's slot; what was there.
fn set_session(srv: &mut Server, session: Option<Session>) -> Option<Session> {
    match super::take_engine(srv) {
        Ok(engine) => {
            let old = std::mem::replace(&mut *engine.debug.borrow_mut(), session);
            super::put_engine(srv, engine);
            old
        }
        Err(_) => None,
    }
}

/// Forks: `Some(child pid)` in the server, `None` in the child.
fn fork() -> std::io::Result<Option<i32>> {
    // SAFETY: fork has no memory-safety preconditions. The child runs the
    // session on its copy of the server and leaves with `_exit`, so no
    // destructor of the parent's state runs twice.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some(pid)),
    }
}

/// The child of a forked session: it dies with the server, and lets the
/// server alone own the listening sockets.
fn become_session_child(srv: &mut Server, parent_pid: u32) {
    crate::persistence::save::die_with_parent(parent_pid);
    crate::logging::set_role(b'C');
    srv.close_listening_sockets();
    warn!("Redis forked for debugging eval");
}

/// Ends a forked session: the script's reply goes to the client, then
/// the child exits (closing the connection).
fn exit_child(c: &mut Client, session: &mut Option<Session>, result: CmdResult) -> ! {
    if let Err(e) = result {
        c.reply.error(e.bytes());
    }
    if let Some(s) = session.as_mut() {
        s.send_raw(c.reply.buf.get(c.sent..).unwrap_or_default());
    }
    warn!("Lua debugging session child exiting");
    // SAFETY: `_exit` ends the child without running the parent's
    // destructors or flushing state that belongs to the parent.
    unsafe { libc::_exit(0) }
}

/// The forked sessions' hooks: the cron reaps the children that ended,
/// a shutdown kills those still running.
pub const FEATURE: Feature = Feature {
    cron: Some(reap_children),
    before_sleep: None,
    admit: None,
    after_write: None,
    shutdown: Some(kill_children),
    socket: None,
    sink: None,
    roles: None,
    apply_config: None,
};

fn reap_children(srv: &mut Server) {
    srv.scripting.debug_children.retain(|&pid| {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        done == 0
    });
}

fn kill_children(srv: &mut Server, _flags: ShutdownFlags) -> bool {
    for pid in srv.scripting.debug_children.drain(..) {
        warn!("Killing debugging session {}", pid);
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        Server::wait_child(pid);
    }
    true
}
