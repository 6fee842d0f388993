//! The line hook a debugged script runs under, and the debugger's
//! commands (Redis's `luaLdbLineHook` and `ldbRepl`): at each line of the
//! script the hook decides whether to stop (stepping, a breakpoint,
//! `redis.breakpoint()`, or a script running too long without a stop);
//! stopped, it reads and answers commands until one resumes the script.
//!
//! The session is borrowed only briefly: commands that run Lua (`eval`,
//! `redis`, `print`) may reach the session again through `redis.debug`
//! or the logging of `redis.call`.

use super::session::{is_command, ReadFailure, Session};
use super::{show, DebugSlot, LOCALS_HELPER, PCALL_HELPER};
use crate::scripting::api::{caught, Raised};
use mlua::debug::{Debug, DebugEvent};
use mlua::{Function, HookTriggers, Lua, MultiValue, Table, Value, VmState};
use std::time::{Duration, Instant};

/// Lua instructions between two checks of a script that runs too long
/// without stopping.
const INSTRUCTIONS_PER_CHECK: u32 = 100_000;

/// The chunk name scripts are compiled under, as the hook finds it in a
/// frame's short source.
const SCRIPT_SOURCE: &str = "user_script";

/// What the hook reaches while a debugged script runs.
pub struct HookContext {
    pub slot: DebugSlot,
    /// The `redis` table (its `call` reaches the running script's host
    /// through the engine's host link).
    pub redis: Table,
    /// Where KEYS and ARGV are.
    pub globals: Table,
    /// The environment `eval` compiles in.
    pub env: Table,
    /// A script running this long without stopping is stopped.
    pub time_limit: Duration,
}

/// Why the script is failed from a stop.
enum Stop {
    Read(ReadFailure),
    Abort,
}

/// Runs the script under the debugger's hook (every line, and every so
/// many instructions for the time check).
pub fn install(lua: &Lua, ctx: HookContext) -> mlua::Result<()> {
    let triggers = HookTriggers::new()
        .every_line()
        .every_nth_instruction(INSTRUCTIONS_PER_CHECK);
    lua.set_global_hook(triggers, move |lua, ar| on_line(lua, ar, &ctx))
}

fn raise(msg: &str) -> mlua::Error {
    Raised::table(msg).into_lua()
}

fn on_line(lua: &Lua, ar: &Debug, ctx: &HookContext) -> mlua::Result<VmState> {
    let in_script = ar
        .source()
        .short_src
        .is_some_and(|s| s.contains(SCRIPT_SOURCE));
    if !in_script {
        return Ok(VmState::Continue);
    }
    let line = ar.current_line().map_or(-1, |l| l as i64);
    let count_event = matches!(ar.event(), DebugEvent::Count);
    let timed_out = {
        let mut slot = ctx.slot.borrow_mut();
        let Some(s) = slot.as_mut() else {
            return Ok(VmState::Continue);
        };
        s.current_line = line;
        let at_breakpoint = s.is_breakpoint(line) || s.lua_breakpoint;
        let mut timed_out = false;
        if count_event && !s.step && !at_breakpoint {
            if s.since_stop.elapsed() < ctx.time_limit {
                return Ok(VmState::Continue);
            }
            timed_out = true;
            s.step = true;
        }
        if !s.step && !at_breakpoint {
            return Ok(VmState::Continue);
        }
        let reason = if at_breakpoint && s.lua_breakpoint {
            "redis.breakpoint() called"
        } else if at_breakpoint {
            "break point"
        } else if timed_out {
            "timeout reached, infinite loop?"
        } else {
            "step over"
        };
        s.step = false;
        s.lua_breakpoint = false;
        s.log(format!("* Stopped at {}, stop reason = {}", line, reason));
        s.log_source_line(line);
        s.send_logs();
        timed_out
    };
    match repl(lua, ctx) {
        Ok(()) => {}
        Err(Stop::Read(ReadFailure::Disconnected)) if timed_out => {
            // Nobody will ever stop it: fail it rather than loop forever.
            return Err(raise(
                "timeout during Lua debugging with client closing connection",
            ));
        }
        Err(Stop::Read(ReadFailure::Disconnected)) => {}
        Err(Stop::Read(ReadFailure::Protocol(msg))) => return Err(raise(msg)),
        Err(Stop::Abort) => return Err(raise("script aborted for user request")),
    }
    if let Some(s) = ctx.slot.borrow_mut().as_mut() {
        s.since_stop = Instant::now();
    }
    Ok(VmState::Continue)
}

/// Runs `f` on the session (there is one while the hook is installed).
fn with<R: Default>(ctx: &HookContext, f: impl FnOnce(&mut Session) -> R) -> R {
    ctx.slot.borrow_mut().as_mut().map(f).unwrap_or_default()
}

/// Answers the client's commands until one resumes the script.
fn repl(lua: &Lua, ctx: &HookContext) -> Result<(), Stop> {
    loop {
        let argv = match ctx.slot.borrow_mut().as_mut() {
            Some(s) => s.read_command().map_err(Stop::Read)?,
            None => return Ok(()),
        };
        let Some(name) = argv.first() else {
            continue;
        };
        let arg = |i: usize| argv.get(i).map(Vec::as_slice);
        if is_command(name, "s", "step") || is_command(name, "n", "next") {
            with(ctx, |s| s.step = true);
            return Ok(());
        } else if is_command(name, "c", "continue") {
            return Ok(());
        } else if is_command(name, "a", "abort") {
            return Err(Stop::Abort);
        } else if is_command(name, "h", "help") {
            with(ctx, |s| HELP.iter().for_each(|l| s.log(*l)));
        } else if is_command(name, "t", "trace") {
            trace(lua, ctx);
        } else if is_command(name, "m", "maxlen") {
            with(ctx, |s| {
                s.maxlen(if argv.len() == 2 { arg(1) } else { None })
            });
        } else if is_command(name, "b", "break") {
            with(ctx, |s| match argv.get(1..) {
                Some(lines) if !lines.is_empty() => {
                    lines.iter().for_each(|l| s.change_breakpoint(l))
                }
                _ => s.show_breakpoints(),
            });
        } else if is_command(name, "e", "eval") {
            eval(lua, ctx, argv.get(1..).unwrap_or_default());
        } else if argv.len() > 1 && is_command(name, "r", "redis") {
            run_command(lua, ctx, argv.get(1..).unwrap_or_default());
        } else if is_command(name, "p", "print") {
            match arg(1).filter(|_| argv.len() == 2) {
                Some(var) => print_variable(lua, ctx, var),
                None => print_locals(lua, ctx),
            }
        } else if is_command(name, "l", "list") {
            with(ctx, |s| {
                let mut around = s.current_line;
                let number = arg(1).map_or(0, super::session::c_atoi);
                if number > 0 {
                    around = number;
                }
                let context = arg(2).map_or(5, super::session::c_atoi);
                s.list(around, context);
            });
        } else if is_command(name, "w", "whole") {
            with(ctx, |s| s.list(1, 1_000_000));
        } else {
            with(ctx, |s| {
                s.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.")
            });
        }
        with(ctx, Session::send_logs);
    }
}

const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

/// One frame of the running stack: whether it is the script's (not a C
/// function, not the sandbox's own Lua), its function's name, its line.
struct Frame {
    in_script: bool,
    name: Option<String>,
    line: i64,
}

fn frame(lua: &Lua, level: usize) -> Option<Frame> {
    lua.inspect_stack(level, |d| Frame {
        in_script: d
            .source()
            .short_src
            .is_some_and(|s| s.contains(SCRIPT_SOURCE)),
        name: d.names().name.map(|n| n.into_owned()),
        line: d.current_line().map_or(-1, |l| l as i64),
    })
}

/// `trace`: the script's frames from the current one out.
fn trace(lua: &Lua, ctx: &HookContext) {
    let mut level = 0;
    while let Some(f) = frame(lua, level) {
        if f.in_script {
            with(ctx, |s| {
                let place = if level == 0 { "In" } else { "From" };
                let name = f.name.as_deref().unwrap_or("top level");
                s.log(format!("{} {}:", place, name));
                s.log_source_line(f.line);
            });
        }
        level += 1;
    }
    if level == 0 {
        with(ctx, |s| s.log("<error> Can't retrieve Lua stack."));
    }
}

/// The local variables of the frame at `level` (0: the one stopped in),
/// by name, in order.
fn locals(lua: &Lua, level: usize) -> Vec<(Vec<u8>, Value)> {
    let Ok(helper) = lua.named_registry_value::<Function>(LOCALS_HELPER) else {
        return Vec::new();
    };
    let Ok((names, values, n)) = helper.call::<(Table, Table, usize)>(level) else {
        return Vec::new();
    };
    (1..=n)
        .map(|i| {
            let name = names
                .raw_get::<mlua::LuaString>(i)
                .map(|s| s.as_bytes().to_vec())
                .unwrap_or_default();
            (name, values.raw_get::<Value>(i).unwrap_or(Value::Nil))
        })
        .collect()
}

/// `print <var>`: the innermost local of that name, or KEYS or ARGV.
fn print_variable(lua: &Lua, ctx: &HookContext, var: &[u8]) {
    let var = crate::scripting::convert::until_nul(var);
    let mut level = 0;
    while let Some(f) = frame(lua, level) {
        if f.in_script {
            if let Some((_, value)) = locals(lua, level).into_iter().find(|(n, _)| n == var) {
                log_value(ctx, b"<value> ".to_vec(), &value);
                return;
            }
        }
        level += 1;
    }
    if var == b"ARGV" || var == b"KEYS" {
        let value = ctx.globals.raw_get::<Value>(lua.create_string(var).ok());
        log_value(ctx, b"<value> ".to_vec(), &value.unwrap_or(Value::Nil));
    } else {
        with(ctx, |s| s.log("No such variable."));
    }
}

/// `print`: the current frame's locals.
fn print_locals(lua: &Lua, ctx: &HookContext) {
    let vars: Vec<_> = locals(lua, 0)
        .into_iter()
        .filter(|(name, _)| !name.windows(12).any(|w| w == b"(*temporary)"))
        .collect();
    if vars.is_empty() {
        with(ctx, |s| s.log("No local variables in the current context."));
    }
    for (name, value) in vars {
        let prefix = [b"<value> ".as_slice(), &name, b" = "].concat();
        log_value(ctx, prefix, &value);
    }
}

/// Logs `prefix` and the value, cut at `maxlen`.
fn log_value(ctx: &HookContext, mut entry: Vec<u8>, value: &Value) {
    show::value(&mut entry, value);
    with(ctx, |s| s.log_trimmed(entry));
}

/// `eval <code>`: runs the code (as an expression if it is one) in a
/// frame of its own and shows what it returns.
fn eval(lua: &Lua, ctx: &HookContext, words: &[Vec<u8>]) {
    let code = words.join(b" ".as_slice());
    let compile = |source: &[u8]| {
        lua.load(source)
            .set_name("@ldb_eval")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(ctx.env.clone())
            .into_function()
    };
    let function =
        match compile(&[b"return ".as_slice(), &code].concat()).or_else(|_| compile(&code)) {
            Ok(f) => f,
            Err(mlua::Error::SyntaxError { message, .. }) => {
                with(ctx, |s| s.log_error(message.as_bytes()));
                return;
            }
            Err(e) => {
                let msg = crate::scripting::api::error_message(&e);
                with(ctx, |s| s.log_error(&msg));
                return;
            }
        };
    let outcome = lua
        .named_registry_value::<Function>(PCALL_HELPER)
        .and_then(|pcall| pcall.call::<(bool, Value)>(function));
    match outcome {
        Ok((true, value)) => log_value(ctx, b"<retval> ".to_vec(), &value),
        Ok((false, err)) => {
            let text = error_text(lua, err);
            with(ctx, |s| s.log_error(&text));
        }
        Err(e) => {
            let msg = crate::scripting::api::error_message(&e);
            with(ctx, |s| s.log_error(&msg));
        }
    }
}

/// What `lua_tostring` gives for a raised value (errors from Rust as
/// their message).
fn error_text(lua: &Lua, err: Value) -> Vec<u8> {
    match caught(lua, err) {
        Ok(Value::String(s)) => crate::scripting::convert::until_nul(&s.as_bytes()).to_vec(),
        Ok(v @ (Value::Integer(_) | Value::Number(_))) => lua
            .coerce_string(v)
            .ok()
            .flatten()
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default(),
        _ => b"(error object is not a string)".to_vec(),
    }
}

/// `redis <cmd> ...`: runs the command through `redis.call`, logging it
/// and its reply as if stepping.
fn run_command(lua: &Lua, ctx: &HookContext, words: &[Vec<u8>]) {
    let Ok(call) = ctx.redis.raw_get::<Function>("call") else {
        return;
    };
    let args: MultiValue = words
        .iter()
        .filter_map(|w| lua.create_string(w).ok().map(Value::String))
        .collect();
    with(ctx, |s| s.step = true);
    let _ = call.call::<Value>(args);
    with(ctx, |s| s.step = false);
}
