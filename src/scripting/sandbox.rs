//! The Lua VM scripts run in: Lua 5.1 with the base, table, string and
//! math libraries (and the bundled cjson, cmsgpack, struct and bit),
//! locked down as Redis 7.0 locks it (the Lua side is `sandbox.lua`), with
//! the API functions of `api` and the error handler that says where a
//! script failed.

use super::api::{self, Raised};
use super::convert::{error_table, error_text};
use super::prng::Lrand48;
use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The chunk name of `sandbox.lua`: frames of its functions stand for
/// Redis's C functions when an error's position is reported.
const SANDBOX_CHUNK: &str = "=sandbox";

/// The chunk name scripts are compiled under (`user_script:1:` in
/// messages, `@user_script` in error positions).
pub const SCRIPT_CHUNK: &str = "@user_script";

/// The chunk name function libraries are compiled under.
pub const FUNCTION_CHUNK: &str = "@user_function";

/// Handles on what `sandbox.lua` built.
pub struct Sandbox {
    /// `run_script(f)`: calls a script function under the error handler;
    /// returns `true, result` or `false, error table`.
    pub run_script: Function,
    /// `run_function(f, keys, args)`: calls a function with its keys and
    /// arguments under the error handler; returns as `run_script` does.
    pub run_function: Function,
    /// The environment every script function gets.
    pub env: Table,
    /// What the environment shows (KEYS and ARGV are set here).
    pub globals: Table,
    /// The `redis` table itself (scripts see a read-only view): the
    /// engine adds the host functions (`redis.call` and the rest).
    pub redis: Table,
    /// `load_library(chunk)`: runs a function library's code in the
    /// library-load environment; returns `true, {registered functions}`
    /// or `false, raw error`.
    pub load_library: Function,
}

/// A new Lua VM with the libraries Redis loads. Like Redis, it loads
/// Lua's `debug` library only to keep what it needs privately (the
/// debugger's `debug.getlocal`) and then removes its global.
pub fn new_vm() -> mlua::Result<Lua> {
    // SAFETY: mlua calls the `debug` library unsafe because Lua code using
    // it could reach mlua's internals (upvalues, metatables of its
    // userdata). No Lua code ever sees it: `keep_debug_library` takes
    // `getlocal` into the registry and removes the global before any
    // other code runs, and only the debugger's own helper calls it.
    let lua = unsafe {
        Lua::unsafe_new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
            LuaOptions::default(),
        )
    };
    super::debugger::keep_debug_library(&lua)?;
    super::libs::register_all(&lua)?;
    prepare_callback_slot(&lua)?;
    Ok(lua)
}

/// Runs one Rust callback so mlua keeps a spare error slot for the next
/// ones: the first callback of a VM makes its slot on the Lua stack, which
/// fails when the callback's arguments fill the stack (a script's first
/// `redis.call` with `unpack` of 7999 values, which Redis accepts).
fn prepare_callback_slot(lua: &Lua) -> mlua::Result<()> {
    lua.create_function(|_, ()| Ok(()))?.call::<()>(())
}

/// Locks `lua` down and builds the script environment.
pub fn build(
    lua: &Lua,
    rng: Rc<RefCell<Lrand48>>,
    in_script: api::InScript,
) -> mlua::Result<Sandbox> {
    let prims = primitives(lua, rng, in_script)?;
    let redis: Table = prims.get("redis")?;
    let chunk = lua
        .load(include_str!("sandbox.lua"))
        .set_name(SANDBOX_CHUNK)
        .into_function()?;
    let (run_script, run_function, env, globals, load_library) =
        chunk.call::<(Function, Function, Table, Table, Function)>(prims)?;
    Ok(Sandbox {
        run_script,
        run_function,
        env,
        globals,
        redis,
        load_library,
    })
}

/// The Rust functions and facts `sandbox.lua` receives: the `redis`
/// table with the API functions that can fail (see `api`), Redis's
/// `math.random`, the error handler.
fn primitives(
    lua: &Lua,
    rng: Rc<RefCell<Lrand48>>,
    in_script: api::InScript,
) -> mlua::Result<Table> {
    let redis = lua.create_table()?;
    let math: Table = lua.globals().get("math")?;
    api::register(lua, &redis, &math, rng, in_script)?;
    let prims = lua.create_table()?;
    prims.set("redis", redis)?;
    prims.set(
        "errtext",
        lua.create_function(|lua, s: mlua::LuaString| {
            lua.create_string(error_text(&s.as_bytes()))
        })?,
    )?;
    prims.set("caught", lua.create_function(api::caught)?)?;
    prims.set("handler", lua.create_function(error_handler)?)?;
    prims.set("version", crate::version::REDIS_VERSION)?;
    prims.set("version_num", version_num(crate::version::REDIS_VERSION))?;
    let flag_names = lua.create_table()?;
    for (name, _) in super::cache::script_flag::NAMES {
        flag_names.set(*name, true)?;
    }
    prims.set("flag_names", flag_names)?;
    prims.set(
        "libraries",
        lua.create_sequence_from(super::libs::GLOBALS.iter().copied())?,
    )?;
    Ok(prims)
}

/// `REDIS_VERSION_NUM`: 0x00MMmmpp.
fn version_num(version: &str) -> i64 {
    version
        .split('.')
        .map(|part| part.parse::<i64>().unwrap_or(0))
        .fold(0, |num, part| (num << 8) | part)
}

/// The error handler scripts run under (`__redis__err__handler`): turns
/// any error into a table `{err=...}` and adds where it was raised.
fn error_handler(lua: &Lua, err: Value) -> mlua::Result<Table> {
    let table = match err {
        Value::Table(t) => t,
        Value::Error(e) => match api::raised(&e) {
            Some(Raised::Table { text, counted }) => error_table(lua, text, *counted)?,
            Some(Raised::Message(text)) => {
                error_table(lua, &[b"ERR ", text.as_slice()].concat(), false)?
            }
            None => error_table(
                lua,
                &[b"ERR ".as_slice(), &api::error_message(&e)].concat(),
                false,
            )?,
        },
        other => {
            let text = [b"ERR ".as_slice(), &lua_tostring(lua, &other)?].concat();
            error_table(lua, &text, false)?
        }
    };
    if let Some((source, line)) = error_location(lua) {
        table.raw_set("source", source)?;
        table.raw_set("line", line)?;
    }
    Ok(table)
}

/// What Lua's `tostring` makes of a raised value.
fn lua_tostring(lua: &Lua, v: &Value) -> mlua::Result<Vec<u8>> {
    Ok(match v {
        Value::Nil => b"nil".to_vec(),
        Value::Boolean(b) => b.to_string().into_bytes(),
        Value::String(_) | Value::Integer(_) | Value::Number(_) => lua
            .coerce_string(v.clone())?
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default(),
        other => format!("{}: {:p}", other.type_name(), other.to_pointer()).into_bytes(),
    })
}

/// One frame of the stack seen from the error handler.
struct Frame {
    is_c: bool,
    in_sandbox: bool,
    source: String,
    line: i64,
}

fn frame(lua: &Lua, level: usize) -> Option<Frame> {
    lua.inspect_stack(level, |d| {
        let s = d.source();
        let source = s.source.map(|s| s.into_owned()).unwrap_or_default();
        Frame {
            is_c: s.what == "C",
            in_sandbox: source == SANDBOX_CHUNK,
            source,
            line: d.current_line().map_or(-1, |l| l as i64),
        }
    })
}

/// Where an error was raised, as Redis's handler reports it: the frame
/// that raised it, or its caller when that was a C function. Frames of
/// `sandbox.lua` stand for Redis's C functions, so they are skipped with
/// the C function (such as `error`) they called.
fn error_location(lua: &Lua) -> Option<(String, i64)> {
    // Level 0 is this handler, level 1 what raised the error.
    let mut level = 1;
    if frame(lua, level)?.is_c {
        level += 1;
    }
    while frame(lua, level).is_some_and(|f| f.in_sandbox) {
        level += 1;
    }
    let f = frame(lua, level)?;
    Some((f.source, f.line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_number_as_redis_encodes_it() {
        assert_eq!(version_num("7.0.15"), 0x0007000f);
    }
}
