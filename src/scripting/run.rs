//! Running one script: the checks before it starts (Redis's
//! `scriptPrepareForRun`), the host the script's `redis.*` functions and
//! the interrupt hook call while it runs (`redis.call` and `redis.pcall`
//! with the checks of `scriptCall`, `redis.acl_check_cmd`,
//! `redis.setresp`, `redis.set_repl`, serving other clients once the
//! script is past `busy-reply-threshold`), and its result or error
//! written to the caller.
//!
//! The host is a scoped Lua function: it borrows the server for the run
//! only. `sandbox.lua` finds it in its run table, and so does the
//! interrupt hook.

use super::api::{
    fill_argv, Raised, HOST_ACL_CHECK, HOST_CALL, HOST_INTERRUPT, HOST_PCALL, HOST_SETRESP,
    HOST_SET_REPL,
};
use super::cache::script_flag;
use super::convert::{error_table, error_text, lua_to_reply, reply_to_lua, until_nul, ReplyTarget};
use super::debugger::CallLog;
use super::engine::Engine;
use super::sandbox::Sandbox;
use crate::replication::hooks::{enough_good_replicas, NO_REPLICAS};
use crate::server::acl::log::AclContext;
use crate::server::acl::Reason;
use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult, MISCONF, OOM};
use crate::server::spec::{flag, Args, Command, Lookup, OwnedArgs};
use crate::server::state::scripting::ScriptRun;
use crate::server::Server;
use mlua::{Lua, MultiValue, Table, Value};
use std::cell::RefCell;

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
        let mut run = ScriptRun::new(
            caller.slot,
            from_primary,
            call.eval,
            String::from_utf8_lossy(call.name).into_owned(),
        );
        let arguments = if call.eval {
            self.set_arguments(&call)?;
            None
        } else {
            run.command = command.iter().map(<[u8]>::to_vec).collect();
            Some(self.argument_tables(&call)?)
        };
        self.client.db = caller.db;
        // Commands run with the caller's permissions.
        self.client.user = caller.user;
        self.client.reply.resp3 = false;
        let debug = super::debugger::start_run(self, srv.config.busy_reply_threshold);
        let mut host = Host {
            srv,
            client: &mut self.client,
            read_only: call.read_only_command
                || (!compat && script_flags & script_flag::NO_WRITES != 0),
            allow_oom: !compat && script_flags & script_flag::ALLOW_OOM != 0,
            oom_at_start: false,
            from_primary,
            interruptible: false,
            argv: OwnedArgs::default(),
            calls_unchecked: 0,
            debug,
        };
        host.oom_at_start = host.srv.out_of_memory();
        // A debugged script stops on its own when it runs too long.
        host.interruptible = host.srv.config.busy_reply_threshold > 0 && host.debug.is_none();
        host.srv.scripting.run = Some(run);
        let targets = host
            .srv
            .set_propagation_targets(crate::server::propagate::target::ALL);
        let host = RefCell::new(host);
        let function = call.function.clone();
        let outcome = self.lua.scope(|scope| {
            link(&self.sandbox, scope, &host)?;
            let outcome = match arguments {
                None => self.sandbox.runner.call::<(bool, Value)>(function),
                Some(tables) => self
                    .sandbox
                    .runner
                    .call::<(bool, Value)>((function, tables.0, tables.1)),
            };
            unlink(&self.sandbox)?;
            outcome
        });
        let host = host.into_inner();
        let debugged = host.debug.is_some();
        let srv = host.srv;
        srv.set_propagation_targets(targets);
        // The script itself never goes to replicas: the commands it ran do.
        srv.suppress_propagation();
        let killed = srv.end_script_run().is_some_and(|run| run.kill_requested);
        self.after_run(killed || debugged);
        let target = ReplyTarget {
            reply: &mut caller.reply,
            script_resp3: self.client.reply.resp3,
        };
        let name = String::from_utf8_lossy(call.name);
        match outcome {
            Ok((true, value)) => lua_to_reply(value, target),
            Ok((false, Value::Table(err))) => script_error(&err, call.name, target),
            Ok((false, other)) => {
                let text = format!("ERR Error running script {}, {:?}", name, other);
                target.reply.error(text);
                Ok(())
            }
            Err(e) => {
                let text = format!("ERR Error running script {}, {}", name, e);
                target.reply.error(text);
                Ok(())
            }
        }
        .map_err(|e| CmdError::from(format!("ERR {}", e)))
    }

    /// A Lua array of the arguments.
    fn strings_table(&self, args: &Args) -> mlua::Result<Table> {
        let t = self.lua.create_table_with_capacity(args.len(), 0)?;
        for (i, a) in args.iter().enumerate() {
            t.raw_set(i + 1, self.lua.create_string(a)?)?;
        }
        Ok(t)
    }

    /// KEYS and ARGV, fresh tables for each run of a script.
    fn set_arguments(&self, call: &Invocation) -> Result<(), CmdError> {
        let globals = &self.sandbox.globals;
        self.strings_table(&call.keys)
            .and_then(|t| globals.raw_set("KEYS", t))
            .and_then(|()| self.strings_table(&call.argv))
            .and_then(|t| globals.raw_set("ARGV", t))
            .map_err(|e| CmdError::from(format!("ERR {}", e)))
    }

    /// A function's two arguments: its keys and its other arguments.
    fn argument_tables(&self, call: &Invocation) -> Result<(Table, Table), CmdError> {
        self.strings_table(&call.keys)
            .and_then(|keys| Ok((keys, self.strings_table(&call.argv)?)))
            .map_err(|e| CmdError::from(format!("ERR {}", e)))
    }
}

/// Links the running script to its host: `redis.call` and
/// `redis.pcall` are the host's own functions for the run (called
/// with the script's arguments still on the Lua stack, they must not
/// call back into Lua), the other API functions and the interrupt
/// hook reach it through the run table.
fn link<'s>(
    sandbox: &Sandbox,
    scope: &'s mlua::Scope<'s, '_>,
    host: &'s RefCell<Host<'_>>,
) -> mlua::Result<()> {
    let call = |raise: bool| {
        scope.create_function(move |lua, args: MultiValue| {
            let mut host = host
                .try_borrow_mut()
                .map_err(|_| mlua::Error::RecursiveMutCallback)?;
            host.redis_call(lua, args.into_iter(), raise)
        })
    };
    sandbox.redis.raw_set("call", call(true)?)?;
    sandbox.redis.raw_set("pcall", call(false)?)?;
    let serve = scope.create_function(move |lua, args: MultiValue| {
        let mut host = host
            .try_borrow_mut()
            .map_err(|_| mlua::Error::RecursiveMutCallback)?;
        host.serve(lua, args)
    })?;
    sandbox.run.raw_set("host", serve)
}

/// Undoes [`link`] once the script returned.
fn unlink(sandbox: &Sandbox) -> mlua::Result<()> {
    let (call, pcall) = &sandbox.idle_call;
    sandbox.redis.raw_set("call", call)?;
    sandbox.redis.raw_set("pcall", pcall)?;
    sandbox.run.raw_set("host", Value::Nil)
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

/// What a running script's `redis.*` functions reach: the server, the
/// script's client, and the run's rules.
struct Host<'a> {
    srv: &'a mut Server,
    client: &'a mut Client,
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

/// A script calling commands in a loop runs few instructions per call:
/// the interrupt check also runs every so many calls, so the other
/// clients are served on time (a pending kill waits for the hook).
const CALLS_PER_CHECK: u32 = 100;

impl Host<'_> {
    /// One request from the script (see `sandbox.lua`) or its hook.
    fn serve(&mut self, lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
        let mut values = args.into_iter();
        let op = values.next().map_or(0, |v| number(&v) as i64);
        match op {
            HOST_CALL | HOST_PCALL => {
                let value = self.redis_call(lua, values, op == HOST_CALL)?;
                Ok(MultiValue::from_iter([value]))
            }
            HOST_ACL_CHECK => self.acl_check(values),
            HOST_SETRESP => {
                self.client.reply.resp3 = values.next().map(|v| number(&v)) == Some(3.0);
                Ok(MultiValue::new())
            }
            HOST_SET_REPL => {
                let flags = values.next().map_or(0, |v| number(&v) as u8);
                self.srv.set_propagation_targets(flags);
                Ok(MultiValue::new())
            }
            HOST_INTERRUPT => Ok(MultiValue::from_iter([Value::Boolean(self.interrupt())])),
            _ => Ok(MultiValue::new()),
        }
    }

    /// `redis.call` (raising errors) and `redis.pcall` (returning them
    /// as `{err=...}` tables).
    fn redis_call(
        &mut self,
        lua: &Lua,
        args: impl Iterator<Item = Value>,
        raise: bool,
    ) -> mlua::Result<Value> {
        self.calls_unchecked += 1;
        if self.calls_unchecked >= CALLS_PER_CHECK {
            self.calls_unchecked = 0;
            self.interrupt();
        }
        let outcome = match fill_argv(&mut self.argv, args) {
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
        let reply = std::mem::take(&mut self.client.reply.buf);
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
        self.client.reply.buf = reply;
        self.client.reply.buf.clear();
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
        if let Some(debug) = &self.debug {
            super::debugger::log_call(debug, &self.argv.args(), what);
        }
    }

    /// Checks a command the script calls and runs it (Redis's
    /// `scriptCall`); a refusal is counted as the command's rejection.
    fn call_command(&mut self) -> Result<(), Vec<u8>> {
        let args = self.argv.args();
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
        if let Err(denial) = self.srv.acl_check(self.client.user, id, &args) {
            self.srv
                .acl_log_denial(self.client, &denial, AclContext::Lua, &args);
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
        self.client.reply.buf.clear();
        self.srv.call(self.client, id, &args);
        self.client.reply.settled();
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
        if self.read_only && cmd.flags & (flag::WRITE | flag::MAY_REPLICATE) != 0 {
            return Some(Refusal::Message(
                "Write commands are not allowed from read-only scripts.",
            ));
        }
        let wrote = srv.scripting.run.as_ref().is_some_and(|r| r.wrote);
        // Once the script wrote, it is not stopped half way.
        if cmd.has(flag::WRITE) && !wrote {
            if srv.is_replica() && srv.config.replica_read_only && !self.from_primary {
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
        if may_grow && !self.allow_oom && !self.from_primary && !wrote && self.oom_at_start {
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
        fill_argv(&mut self.argv, args).map_err(|msg| Raised::table(msg).into_lua())?;
        let args = self.argv.args();
        match self.srv.registry.lookup(&args) {
            Lookup::Found(id) => {
                let allowed = self.srv.acl_check(self.client.user, id, &args).is_ok();
                Ok(MultiValue::from_iter([Value::Boolean(allowed)]))
            }
            _ => Err(Raised::table("Invalid command passed to redis.acl_check_cmd()").into_lua()),
        }
    }

    /// Called every so many instructions: past `busy-reply-threshold` the
    /// other clients are served; true when SCRIPT KILL asked to stop.
    fn interrupt(&mut self) -> bool {
        if !self.interruptible {
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

/// A Lua number argument (integers and floats alike).
fn number(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        _ => 0.0,
    }
}
