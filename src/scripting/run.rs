//! Running one script: the checks before it starts (Redis's
//! `scriptPrepareForRun`), the host the script's `redis.*` functions and
//! the interrupt hook call while it runs (`redis.call` and `redis.pcall`
//! with the checks of `scriptCall`, `redis.acl_check_cmd`,
//! `redis.setresp`, `redis.set_repl`, serving other clients once the
//! script is past `busy-reply-threshold`), and its result or error
//! written to the caller.
//!
//! The host functions are made once per VM and reach the running script
//! through a [`HostLink`]: each run lends the server to it as a scoped
//! userdata (the one Lua object a run makes besides its arguments), so
//! calling a script costs no function creation and no table writes.

use super::api::{fill_argv, number_arg, outside_script, Raised};
use super::cache::script_flag;
use super::convert::{error_table, error_text, lua_to_reply, reply_to_lua, until_nul, ReplyTarget};
use super::debugger::CallLog;
use super::engine::Engine;
use crate::replication::hooks::{enough_good_replicas, NO_REPLICAS};
use crate::server::acl::log::AclContext;
use crate::server::acl::Reason;
use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult, MISCONF, OOM};
use crate::server::spec::{flag, Args, Command, Lookup, OwnedArgs};
use crate::server::state::scripting::ScriptRun;
use crate::server::Server;
use mlua::{AnyUserData, Lua, MultiValue, Table, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// Why a script may not run a command: a message (`ERR` is added) or an
/// error that starts with its own code.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Message(&'static str),
    Coded(&'static str),
}

/// A script or function to run and its arguments.
pub struct Invocation<'a> {
    /// Its name in errors, logs and FUNCTION STATS: the script's SHA1, or
    /// the function's name.
    pub name: &'a [u8],
    pub function: mlua::Function,
    /// Its declared flags (`script_flag`).
    pub flags: u32,
    pub keys: Args<'a>,
    pub argv: Args<'a>,
    /// Called through EVAL_RO, EVALSHA_RO or FCALL_RO.
    pub read_only_command: bool,
    /// EVAL's family (KEYS and ARGV are globals), or FCALL's (the
    /// function gets its keys and arguments as its two arguments).
    pub eval: bool,
}

impl Engine {
    /// Runs a script or function for `caller`, writing its result or
    /// error to the caller's reply; refusals before it starts are the
    /// `Err`.
    pub fn run(
        &mut self,
        srv: &mut Server,
        caller: &mut Client,
        call: Invocation,
        command: &Args,
    ) -> CmdResult {
        let script_flags = call.flags;
        let from_primary = caller.kind.is_primary_link();
        prepare(srv, script_flags, call.read_only_command, from_primary)?;
        let compat = script_flags & script_flag::EVAL_COMPAT_MODE != 0;
        let mut run = ScriptRun::new(caller.slot, from_primary, call.eval, lossy(call.name));
        let arguments = if call.eval {
            Arguments::Script(self.script_arguments(&call)?)
        } else {
            run.command = std::mem::take(&mut self.spare_command);
            run.command.buf.clear();
            run.command.spans.clear();
            for arg in command.iter() {
                run.command.push(arg);
            }
            let (keys, args) = self.argument_tables(&call)?;
            Arguments::Function(keys, args)
        };
        // When a session is on, the debugger's hook replaces the usual one.
        let debug = super::debugger::start_run(self, srv.config.busy_reply_threshold);
        let debugged = debug.is_some();
        let script_resp3 = {
            let mut link = self.host.borrow_mut();
            let state = &mut link.state;
            // Commands run with the caller's database and permissions.
            state.client.db = caller.db;
            state.client.user = caller.user;
            state.client.reply.resp3 = false;
            state.read_only =
                call.read_only_command || (!compat && script_flags & script_flag::NO_WRITES != 0);
            state.allow_oom = !compat && script_flags & script_flag::ALLOW_OOM != 0;
            state.oom_at_start = srv.out_of_memory();
            state.from_primary = from_primary;
            // A debugged script stops on its own when it runs too long.
            state.interruptible = srv.config.busy_reply_threshold > 0 && !debugged;
            state.calls_unchecked = 0;
            state.debug = debug;
            drop(link);
            srv.scripting.run = Some(run);
            let targets = srv.set_propagation_targets(crate::server::propagate::target::ALL);
            let outcome = self.call_lent(srv, call.function.clone(), arguments);
            let outcome = outcome.map(|(ok, value, reusable)| {
                self.reusable_arguments = reusable;
                (ok, value)
            });
            if debugged {
                self.host.borrow_mut().state.debug = None;
            }
            srv.set_propagation_targets(targets);
            // The script itself never goes to replicas: the commands it ran do.
            srv.suppress_propagation();
            let ended = srv.end_script_run();
            let killed = ended.as_ref().is_some_and(|run| run.kill_requested);
            if let Some(run) = ended {
                self.spare_command = run.command;
            }
            self.after_run(killed || debugged);
            (outcome, self.host.borrow().state.client.reply.resp3)
        };
        let (outcome, script_resp3) = script_resp3;
        let target = ReplyTarget {
            reply: &mut caller.reply,
            script_resp3,
        };
        match outcome {
            Ok((true, value)) => lua_to_reply(value, target),
            Ok((false, Value::Table(err))) => script_error(&err, call.name, target),
            Ok((false, other)) => {
                let text = format!("ERR Error running script {}, {:?}", lossy(call.name), other);
                target.reply.error(text);
                Ok(())
            }
            Err(e) => {
                let text = format!("ERR Error running script {}, {}", lossy(call.name), e);
                target.reply.error(text);
                Ok(())
            }
        }
        .map_err(|e| CmdError::from(format!("ERR {}", e)))
    }

    /// Calls the script or function under its runner, the server lent
    /// to the host functions for the call; with the result, a script's
    /// KEYS and ARGV when they may be refilled for the next script.
    fn call_lent(
        &self,
        srv: &mut Server,
        function: mlua::Function,
        arguments: Arguments,
    ) -> mlua::Result<(bool, Value, Option<ScriptArguments>)> {
        let host = &self.host;
        let sandbox = &self.sandbox;
        let outcome = self.lua.scope(|scope| {
            let server = scope.create_any_userdata_ref_mut(srv)?;
            host.borrow_mut().server = Some(server);
            let outcome = match &arguments {
                Arguments::Script(_) => sandbox.run_script.call::<(bool, Value)>(function),
                Arguments::Function(keys, args) => sandbox
                    .run_function
                    .call::<(bool, Value)>((function, keys, args)),
            };
            host.borrow_mut().server = None;
            outcome
        })?;
        let reusable = match arguments {
            Arguments::Script(a)
                if holds_just(&a.keys, a.nkeys) && holds_just(&a.argv, a.nargs) =>
            {
                Some(a)
            }
            _ => None,
        };
        Ok((outcome.0, outcome.1, reusable))
    }

    /// A Lua array of the arguments.
    fn strings_table(&self, args: &Args) -> mlua::Result<Table> {
        if args.iter().all(|a| std::str::from_utf8(a).is_ok()) {
            // Text goes straight onto the Lua stack, without a handle.
            let texts = args
                .iter()
                .map(|a| std::str::from_utf8(a).unwrap_or_default());
            return self.lua.create_sequence_from(texts);
        }
        let t = self.lua.create_table_with_capacity(args.len(), 0)?;
        for (i, a) in args.iter().enumerate() {
            t.raw_set(i + 1, self.lua.create_string(a)?)?;
        }
        Ok(t)
    }

    /// KEYS and ARGV for a script: the last script's tables refilled
    /// where it left them holding just its values and they are long
    /// enough, otherwise fresh tables (as Redis makes for every script).
    fn script_arguments(&mut self, call: &Invocation) -> Result<ScriptArguments, CmdError> {
        let last = self.reusable_arguments.take();
        let (keys, argv) = match &last {
            Some(a) => ((Some(&a.keys), a.nkeys), (Some(&a.argv), a.nargs)),
            None => ((None, 0), (None, 0)),
        };
        let globals = &self.sandbox.globals;
        let table = |(last, len): (Option<&Table>, usize), args: &Args, global: &str| match last {
            Some(t) if args.len() <= len => refill(t, len, args, &self.lua).map(|()| t.clone()),
            _ => {
                let t = self.strings_table(args)?;
                globals.raw_set(global, &t)?;
                Ok(t)
            }
        };
        let keys = table(keys, &call.keys, "KEYS");
        let argv = table(argv, &call.argv, "ARGV");
        keys.and_then(|keys| {
            Ok(ScriptArguments {
                keys,
                argv: argv?,
                nkeys: call.keys.len(),
                nargs: call.argv.len(),
            })
        })
        .map_err(|e| CmdError::from(format!("ERR {}", e)))
    }

    /// A function's two arguments: its keys and its other arguments.
    fn argument_tables(&self, call: &Invocation) -> Result<(Table, Table), CmdError> {
        self.strings_table(&call.keys)
            .and_then(|keys| Ok((keys, self.strings_table(&call.argv)?)))
            .map_err(|e| CmdError::from(format!("ERR {}", e)))
    }
}

/// What a runner is called with besides the function.
enum Arguments {
    Script(ScriptArguments),
    /// A function's keys and other arguments.
    Function(Table, Table),
}

/// The KEYS and ARGV tables of a script run, and how many values the run
/// put in each.
pub struct ScriptArguments {
    keys: Table,
    argv: Table,
    nkeys: usize,
    nargs: usize,
}

/// Puts `args` in `t` (which holds just the keys 1 to `len`, in that
/// order, `len` at least as many as `args`) in place of its values.
fn refill(t: &Table, len: usize, args: &Args, lua: &Lua) -> mlua::Result<()> {
    for (i, a) in args.iter().enumerate() {
        match std::str::from_utf8(a) {
            Ok(text) => t.raw_set(i + 1, text)?,
            Err(_) => t.raw_set(i + 1, lua.create_string(a)?)?,
        }
    }
    for i in args.len()..len {
        t.raw_set(i + 1, Value::Nil)?;
    }
    Ok(())
}

/// Whether `t` holds just the keys 1 to `n`, met in that order, and has
/// no metatable: then it may be refilled for the next script, which sees
/// exactly what a fresh table would show. (A script cannot keep a table
/// from one run to the next: everything it could store it in is
/// read-only.)
fn holds_just(t: &Table, n: usize) -> bool {
    if t.has_metatable() {
        return false;
    }
    if n == 0 {
        return t.is_empty();
    }
    let mut expected = 1;
    // The values are read as booleans: that costs nothing.
    for pair in t.pairs::<Value, bool>() {
        let key = match pair {
            Ok((Value::Integer(k), _)) => k as f64,
            Ok((Value::Number(k), _)) => k,
            _ => return false,
        };
        if key != expected as f64 {
            return false;
        }
        expected += 1;
    }
    expected == n + 1
}

/// A script's or function's name as text (both are ASCII in practice).
fn lossy(name: &[u8]) -> String {
    match std::str::from_utf8(name) {
        Ok(text) => text.to_string(),
        Err(_) => String::from_utf8_lossy(name).into_owned(),
    }
}

/// The link between a VM's host functions (`redis.call` and the rest,
/// made once with the VM) and the script running in it: the server is
/// lent to it for each run as a scoped userdata; the script's client and
/// the run's rules stay here between runs.
#[derive(Default)]
pub struct HostLink {
    /// The server, lent for the run; `None` between runs.
    server: Option<AnyUserData>,
    /// When a function library loading must stop (FUNCTION LOAD's limit).
    pub(super) load_deadline: Option<Instant>,
    pub(super) state: HostState,
}

/// Shared by the engine, its host functions and its interrupt hook.
pub type SharedHost = Rc<RefCell<HostLink>>;

impl HostLink {
    /// Whether a script is running (the server is lent).
    pub fn in_script(&self) -> bool {
        self.server.is_some()
    }
}

/// Runs `f` on the running script's host; outside a script, the error
/// Redis raises for `name`.
fn with_host<R>(
    link: &SharedHost,
    name: &str,
    f: impl FnOnce(&mut Host) -> mlua::Result<R>,
) -> mlua::Result<R> {
    let mut guard = link
        .try_borrow_mut()
        .map_err(|_| mlua::Error::RecursiveMutCallback)?;
    let HostLink { server, state, .. } = &mut *guard;
    let Some(server) = server.as_ref() else {
        return Err(outside_script(name));
    };
    server.borrow_mut_scoped(|srv: &mut Server| f(&mut Host { srv, state }))?
}

/// Registers the host functions into the `redis` table: `redis.call`,
/// `redis.pcall`, `redis.acl_check_cmd`, `redis.setresp` and
/// `redis.set_repl`. They are Rust functions, called with the script's
/// arguments still on the Lua stack, so they never call back into Lua.
pub(super) fn register_host_api(lua: &Lua, link: &SharedHost, redis: &Table) -> mlua::Result<()> {
    let call = |raise: bool| {
        let link = link.clone();
        lua.create_function(move |lua, args: MultiValue| {
            with_host(&link, "redis.call/pcall", |host| {
                host.redis_call(lua, args.into_iter(), raise)
            })
        })
    };
    redis.raw_set("call", call(true)?)?;
    redis.raw_set("pcall", call(false)?)?;
    let acl_link = link.clone();
    let acl_check = lua.create_function(move |_, args: MultiValue| {
        with_host(&acl_link, "redis.acl_check_cmd", |host| {
            host.acl_check(args.into_iter())
        })
    })?;
    redis.raw_set("acl_check_cmd", acl_check)?;
    let setter = |name: &'static str,
                  arity: &'static str,
                  valid: fn(i32) -> bool,
                  invalid: &'static str,
                  apply: fn(&mut Host, i32)| {
        let link = link.clone();
        lua.create_function(move |lua, args: MultiValue| {
            with_host(&link, name, |host| {
                if args.len() != 1 {
                    return Err(Raised::table(arity).into_lua());
                }
                let value = number_arg(lua, &args);
                if !valid(value) {
                    return Err(Raised::table(invalid).into_lua());
                }
                apply(host, value);
                Ok(())
            })
        })
    };
    redis.raw_set(
        "setresp",
        setter(
            "redis.setresp",
            "redis.setresp() requires one argument.",
            |resp| resp == 2 || resp == 3,
            "RESP version must be 2 or 3.",
            |host, resp| host.state.client.reply.resp3 = resp == 3,
        )?,
    )?;
    redis.raw_set(
        "set_repl",
        setter(
            "redis.set_repl",
            "redis.set_repl() requires two arguments.",
            |flags| (0..=3).contains(&flags),
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
            |host, flags| {
                host.srv.set_propagation_targets(flags as u8);
            },
        )?,
    )
}

/// What the interrupt hook is to do.
pub(super) enum Interrupt {
    Continue,
    /// SCRIPT KILL or FUNCTION KILL asked to stop the script.
    Kill,
    /// Raise this error (a library load past its time).
    Raise(&'static str),
}

/// Asked every so many instructions: the running script's host serves
/// the other clients once the script is past `busy-reply-threshold`.
pub(super) fn interrupt(link: &SharedHost) -> mlua::Result<Interrupt> {
    let deadline = match link.try_borrow() {
        Ok(link) if link.in_script() => None,
        Ok(link) => link.load_deadline,
        Err(_) => return Ok(Interrupt::Continue),
    };
    if let Some(deadline) = deadline {
        if Instant::now() > deadline {
            return Ok(Interrupt::Raise("FUNCTION LOAD timeout"));
        }
        return Ok(Interrupt::Continue);
    }
    let killed = with_host(link, "", |host| Ok(host.interrupt())).unwrap_or(false);
    Ok(if killed {
        Interrupt::Kill
    } else {
        Interrupt::Continue
    })
}

/// `-NOSCRIPT`, for an EVALSHA of an unknown script.
pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// The checks before a script starts, on its declared flags (Redis's
/// `scriptPrepareForRun`). A script without a shebang is only refused on
/// a stale replica; its commands are checked as they come.
fn prepare(srv: &Server, script_flags: u32, ro_command: bool, from_primary: bool) -> CmdResult {
    let stale = srv.serving_stale_refused();
    if script_flags & script_flag::EVAL_COMPAT_MODE != 0 {
        if stale {
            return Err(crate::replication::replica::MASTERDOWN.into());
        }
        return Ok(());
    }
    if stale && script_flags & script_flag::ALLOW_STALE == 0 {
        return Err("MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.".into());
    }
    if script_flags & script_flag::NO_WRITES == 0 {
        if srv.is_replica() && srv.config.replica_read_only && !from_primary {
            return Err("READONLY Can not run script with write flag on readonly replica".into());
        }
        if srv.writes_refused_by_save_error() && !from_primary {
            return Err("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.".into());
        }
        if ro_command {
            return Err("ERR Can not execute a script with write flag using *_ro command.".into());
        }
        if !enough_good_replicas(srv) {
            return Err(NO_REPLICAS.into());
        }
    }
    let may_grow = script_flags & (script_flag::ALLOW_OOM | script_flag::NO_WRITES) == 0;
    if may_grow && srv.out_of_memory() {
        return Err("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'".into());
    }
    Ok(())
}

/// A script's error as its caller receives it: the message, then where
/// the script failed (`script: <sha>, on @user_script:<line>.`, or the
/// function's name and `@user_function`).
fn script_error(err: &Table, name: &[u8], target: ReplyTarget) -> mlua::Result<()> {
    let msg = string_field(err, "err")?.unwrap_or_default();
    let mut text = [b"-".as_slice(), &msg].concat();
    if let (Some(source), Some(line)) = (string_field(err, "source")?, string_field(err, "line")?) {
        text.extend_from_slice(b" script: ");
        text.extend_from_slice(name);
        text.extend_from_slice(b", on ");
        text.extend_from_slice(&source);
        text.push(b':');
        text.extend_from_slice(&line);
        text.push(b'.');
    }
    if matches!(
        err.raw_get("ignore_error_stats_update")?,
        Value::Boolean(true)
    ) {
        target.reply.error_counted_elsewhere(&text);
    } else {
        target.reply.error(&text);
    }
    Ok(())
}

/// A field as `lua_isstring` takes it: a string, or a number as text.
fn string_field(t: &Table, name: &str) -> mlua::Result<Option<Vec<u8>>> {
    Ok(match t.raw_get(name)? {
        Value::String(s) => Some(until_nul(&s.as_bytes()).to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(n.to_string().into_bytes()),
        _ => None,
    })
}

/// What a running script's host functions reach: the server, lent for
/// the run, and the rest of the link.
struct Host<'a> {
    srv: &'a mut Server,
    state: &'a mut HostState,
}

/// The script's client and the rules of the run.
pub struct HostState {
    /// The client scripts' commands run through (Redis's Lua client).
    pub(super) client: Client,
    /// Write commands are refused (EVAL_RO, or `no-writes`).
    read_only: bool,
    /// `allow-oom`: commands are not refused over `maxmemory`.
    allow_oom: bool,
    /// Memory was over `maxmemory` when the script started.
    oom_at_start: bool,
    from_primary: bool,
    /// `busy-reply-threshold` was set when the script started.
    interruptible: bool,
    /// The arguments of the command being called, reused between calls.
    argv: OwnedArgs,
    /// `redis.call`s since the last [`Host::interrupt`] check.
    calls_unchecked: u32,
    /// The Lua debugger's session, when the script is debugged.
    debug: Option<super::debugger::DebugSlot>,
}

impl Default for HostState {
    fn default() -> HostState {
        HostState {
            client: script_client(),
            read_only: false,
            allow_oom: false,
            oom_at_start: false,
            from_primary: false,
            interruptible: false,
            argv: OwnedArgs::default(),
            calls_unchecked: 0,
            debug: None,
        }
    }
}

/// The client scripts run their commands through: no connection, shown
/// as `lua` to MONITOR, never blocking, always authenticated.
fn script_client() -> Client {
    let mut c = Client::new(0, usize::MAX, None, crate::util::now_ms());
    c.addr = "lua".to_string();
    c.authenticated = true;
    c.from_script = true;
    c
}

/// A script calling commands in a loop runs few instructions per call:
/// the interrupt check also runs every so many calls, so the other
/// clients are served on time (a pending kill waits for the hook).
const CALLS_PER_CHECK: u32 = 100;

impl Host<'_> {
    /// `redis.call` (raising errors) and `redis.pcall` (returning them
    /// as `{err=...}` tables).
    fn redis_call(
        &mut self,
        lua: &Lua,
        args: impl Iterator<Item = Value>,
        raise: bool,
    ) -> mlua::Result<Value> {
        self.state.calls_unchecked += 1;
        if self.state.calls_unchecked >= CALLS_PER_CHECK {
            self.state.calls_unchecked = 0;
            self.interrupt();
        }
        let outcome = match fill_argv(&mut self.state.argv, args) {
            Err(msg) => {
                self.log_call(CallLog::BadArguments(msg));
                Err(Raised::table(msg))
            }
            Ok(()) => match self.call_command() {
                Err(refusal) => {
                    self.log_call(CallLog::Refused(&refusal));
                    Err(Raised::Table {
                        text: error_text(&refusal),
                        counted: true,
                    })
                }
                Ok(()) => Ok(()),
            },
        };
        let reply = std::mem::take(&mut self.state.client.reply.buf);
        if outcome.is_ok() {
            self.log_call(CallLog::Ran(&reply));
        }
        let result = match outcome {
            Ok(()) if raise && reply.first() == Some(&b'-') => {
                let line = reply.split(|&b| b == b'\r').next().unwrap_or_default();
                Err(Raised::Table {
                    text: error_text(line),
                    counted: true,
                })
            }
            Ok(()) => Ok(reply_to_lua(lua, &reply)),
            Err(raised) => Err(raised),
        };
        self.state.client.reply.buf = reply;
        self.state.client.reply.buf.clear();
        let value = match result {
            Ok(value) => value?,
            Err(raised) if raise => return Err(raised.into_lua()),
            Err(Raised::Table { text, counted }) => Value::Table(error_table(lua, &text, counted)?),
            Err(Raised::Message(text)) => Value::Table(error_table(lua, &text, false)?),
        };
        Ok(value)
    }

    /// Tells the debugger, when the script is debugged, about a command
    /// it called.
    fn log_call(&self, what: CallLog) {
        if let Some(debug) = &self.state.debug {
            super::debugger::log_call(debug, &self.state.argv.args(), what);
        }
    }

    /// Checks a command the script calls and runs it (Redis's
    /// `scriptCall`); a refusal is counted as the command's rejection.
    fn call_command(&mut self) -> Result<(), Vec<u8>> {
        let args = self.state.argv.args();
        let id = match self.srv.registry.lookup(&args) {
            Lookup::Found(id) => id,
            _ => return Err(self.refuse(None, Refusal::Message(UNKNOWN_COMMAND))),
        };
        let Some(cmd) = self.srv.registry.get(id).map(|e| e.cmd) else {
            return Err(self.refuse(None, Refusal::Message(UNKNOWN_COMMAND)));
        };
        if !cmd.arity_ok(args.len()) {
            let refusal =
                Refusal::Message("Wrong number of args calling Redis command from script");
            return Err(self.refuse(Some(id), refusal));
        }
        if let Err(denial) = self.srv.acl_check(self.state.client.user, id, &args) {
            self.srv
                .acl_log_denial(&self.state.client, &denial, AclContext::Lua, &args);
            return Err(self.refuse(Some(id), Refusal::Message(acl_refusal(denial.reason))));
        }
        if let Some(refusal) = self.refusal(cmd) {
            return Err(self.refuse(Some(id), refusal));
        }
        if cmd.has(flag::WRITE) {
            if let Some(run) = self.srv.scripting.run.as_mut() {
                run.wrote = true;
            }
        }
        self.state.client.reply.buf.clear();
        self.srv.call(&mut self.state.client, id, &args);
        self.state.client.reply.settled();
        Ok(())
    }

    /// Why `cmd` may not run from this script now, if it may not.
    fn refusal(&self, cmd: &Command) -> Option<Refusal> {
        let srv = &*self.srv;
        if cmd.has(flag::NOSCRIPT) && !srv.scripting.deny_scripts_disabled {
            return Some(Refusal::Message(
                "This Redis command is not allowed from script",
            ));
        }
        if srv.serving_stale_refused() && !cmd.has(flag::STALE) {
            return Some(Refusal::Message(
                "Can not execute the command on a stale replica",
            ));
        }
        if self.state.read_only && cmd.flags & (flag::WRITE | flag::MAY_REPLICATE) != 0 {
            return Some(Refusal::Message(
                "Write commands are not allowed from read-only scripts.",
            ));
        }
        let wrote = srv.scripting.run.as_ref().is_some_and(|r| r.wrote);
        // Once the script wrote, it is not stopped half way.
        if cmd.has(flag::WRITE) && !wrote {
            if srv.is_replica() && srv.config.replica_read_only && !self.state.from_primary {
                return Some(Refusal::Coded(crate::replication::replica::READONLY));
            }
            if srv.writes_refused_by_save_error() {
                return Some(Refusal::Coded(MISCONF));
            }
            if !enough_good_replicas(srv) {
                return Some(Refusal::Coded(NO_REPLICAS));
            }
        }
        let may_grow = cmd.has(flag::DENYOOM);
        if may_grow
            && !self.state.allow_oom
            && !self.state.from_primary
            && !wrote
            && self.state.oom_at_start
        {
            return Some(Refusal::Coded(OOM));
        }
        None
    }

    /// Counts a refused command as Redis does (its error in the stats,
    /// the command's rejected calls) and returns the error's text.
    fn refuse(&mut self, id: Option<usize>, refusal: Refusal) -> Vec<u8> {
        let (code, text) = match refusal {
            Refusal::Message(msg) => ("ERR", msg.as_bytes().to_vec()),
            Refusal::Coded(text) => (
                text.split(' ').next().unwrap_or("ERR"),
                [b"-", text.as_bytes()].concat(),
            ),
        };
        self.srv.stats.count_error(code);
        if let Some(entry) = id.and_then(|i| self.srv.registry.entries.get_mut(i)) {
            entry.stats.rejected_calls += 1;
        }
        text
    }

    /// `redis.acl_check_cmd`: whether the caller may run the command. With
    /// no ACL users yet everyone may run everything that exists.
    fn acl_check(&mut self, args: impl Iterator<Item = Value>) -> mlua::Result<MultiValue> {
        fill_argv(&mut self.state.argv, args).map_err(|msg| Raised::table(msg).into_lua())?;
        let args = self.state.argv.args();
        match self.srv.registry.lookup(&args) {
            Lookup::Found(id) => {
                let allowed = self
                    .srv
                    .acl_check(self.state.client.user, id, &args)
                    .is_ok();
                Ok(MultiValue::from_iter([Value::Boolean(allowed)]))
            }
            _ => Err(Raised::table("Invalid command passed to redis.acl_check_cmd()").into_lua()),
        }
    }

    /// Called every so many instructions: past `busy-reply-threshold` the
    /// other clients are served; true when SCRIPT KILL asked to stop.
    fn interrupt(&mut self) -> bool {
        if !self.state.interruptible {
            return false;
        }
        let threshold = u128::try_from(self.srv.config.busy_reply_threshold).unwrap_or(0);
        let Some(run) = self.srv.scripting.run.as_mut() else {
            return false;
        };
        if !run.timed_out {
            let elapsed = run.started.elapsed().as_millis();
            if elapsed < threshold {
                return false;
            }
            log::warn!("Slow script detected: still in execution after {} milliseconds. You can try killing the script using the SCRIPT KILL command. Script name is: {}.", elapsed, run.name);
            run.timed_out = true;
        }
        self.srv.serve_while_busy();
        if self.srv.shutdown_asap {
            // SHUTDOWN NOSAVE was served: the shutdown is prepared.
            std::process::exit(0);
        }
        self.srv
            .scripting
            .run
            .as_ref()
            .is_some_and(|r| r.kill_requested)
    }
}

const UNKNOWN_COMMAND: &str = "Unknown Redis command called from script";

/// Why the script's user may not run a command, as Redis words it.
fn acl_refusal(reason: Reason) -> &'static str {
    match reason {
        Reason::Command => "The user executing the script can't run this command or subcommand",
        Reason::Key => "The user executing the script can't access at least one of the keys mentioned in the command arguments",
        Reason::Channel => "The user executing the script can't publish to the channel mentioned in the command",
    }
}
