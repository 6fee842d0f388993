//! The functions of Redis's script API that can fail: `redis.call`,
//! `redis.pcall`, `redis.acl_check_cmd`, `redis.setresp`,
//! `redis.set_repl`, `redis.sha1hex`, `redis.log`, `math.random` and
//! `math.randomseed`. They are Rust functions, so Lua sees C functions as
//! in Redis: a script's `return redis.call(...)` keeps its own frame, and
//! errors name the script line that called them.
//!
//! Errors are raised as [`Raised`] values, which the error handler and the
//! sandbox's `pcall` turn into what Redis's scripts see: `{err=...}`
//! tables or positioned messages.

use super::convert::{double_text, error_text};
use super::prng::Lrand48;
use crate::server::spec::OwnedArgs;
use crate::util::G17_MAX;
use mlua::{Lua, MultiValue, Table, Value};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// An error a script function raises, as Redis raises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raised {
    /// An error table `{err = text}` (luaPushError + lua_error); `counted`
    /// when the error was already counted in the error stats.
    Table { text: Vec<u8>, counted: bool },
    /// A message, already prefixed with the caller's position
    /// (luaL_error).
    Message(Vec<u8>),
}

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Raised::Table { text, .. } | Raised::Message(text)) = self;
        f.write_str(&String::from_utf8_lossy(text))
    }
}

impl std::error::Error for Raised {}

impl Raised {
    /// An `{err = "ERR <msg>"}` table error.
    pub fn table(msg: &str) -> Raised {
        Raised::Table {
            text: error_text(msg.as_bytes()),
            counted: false,
        }
    }

    pub fn into_lua(self) -> mlua::Error {
        mlua::Error::ExternalError(Arc::new(self))
    }
}

/// The [`Raised`] inside an error that crossed mlua, if it is one.
pub fn raised(e: &mlua::Error) -> Option<&Raised> {
    match e {
        mlua::Error::CallbackError { cause, .. } => raised(cause),
        mlua::Error::WithContext { cause, .. } => raised(cause),
        mlua::Error::ExternalError(inner) => inner.downcast_ref::<Raised>(),
        _ => None,
    }
}

/// The message of an error that crossed mlua, without its wrapping.
pub fn error_message(e: &mlua::Error) -> Vec<u8> {
    if let Some(text) = super::libs::script_error_message(e) {
        return text.to_vec();
    }
    match e {
        mlua::Error::CallbackError { cause, .. } => error_message(cause),
        mlua::Error::WithContext { cause, .. } => error_message(cause),
        mlua::Error::RuntimeError(msg) | mlua::Error::MemoryError(msg) => msg.clone().into_bytes(),
        other => match raised(other) {
            Some(r) => r.to_string().into_bytes(),
            None => other.to_string().into_bytes(),
        },
    }
}

/// `luaL_where(L, 1)`: the position of the Lua code that called the
/// running function, empty when a C function called it.
fn caller_position(lua: &Lua) -> Vec<u8> {
    lua.inspect_stack(1, |d| {
        let line = d.current_line()?;
        let src = d.source().short_src?.into_owned();
        Some(format!("{}:{}: ", src, line).into_bytes())
    })
    .flatten()
    .unwrap_or_default()
}

/// `luaL_error`: a message with the caller's position.
fn lua_error(lua: &Lua, msg: &str) -> mlua::Error {
    Raised::Message([caller_position(lua), msg.as_bytes().to_vec()].concat()).into_lua()
}

/// `luaL_argerror`: names the function as it was called.
fn arg_error(lua: &Lua, narg: usize, extra: &str) -> mlua::Error {
    let name = lua
        .inspect_stack(0, |d| d.names().name.map(|n| n.into_owned()))
        .flatten()
        .unwrap_or_else(|| "?".to_string());
    lua_error(
        lua,
        &format!("bad argument #{} to '{}' ({})", narg, name, extra),
    )
}

/// `luaL_typename`.
fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::LightUserData(_)) => "userdata",
        Some(v) => v.type_name(),
    }
}

/// `luaL_checkint`: a number or numeric string, as a C `int`.
fn check_int(lua: &Lua, args: &MultiValue, i: usize) -> mlua::Result<i32> {
    let arg = args.get(i);
    let number = match arg {
        Some(v) => lua.coerce_number(v.clone())?,
        None => None,
    };
    match number {
        Some(n) => Ok(c_int(n)),
        None => Err(arg_error(
            lua,
            i + 1,
            &format!("number expected, got {}", type_name(arg)),
        )),
    }
}

/// `(int)(ptrdiff_t)d` on x86-64: truncated, the low 32 bits kept.
pub fn c_int(d: f64) -> i32 {
    super::convert::double_to_i64(d) as i32
}

/// Registers the functions that need no server into the `redis` and
/// `math` tables the sandbox builds; `in_script` tells whether a script
/// is running (`math.random` refuses otherwise).
pub fn register(
    lua: &Lua,
    redis: &Table,
    math: &Table,
    rng: Rc<RefCell<Lrand48>>,
    in_script: InScript,
) -> mlua::Result<()> {
    redis.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
    redis.raw_set("log", lua.create_function(log)?)?;
    register_random(lua, math, rng, in_script)
}

/// Whether a script is running now.
pub type InScript = Rc<dyn Fn() -> bool>;

/// The table error Redis raises when `name` is called outside a script
/// (from a `__gc` handler).
pub fn outside_script(name: &str) -> mlua::Error {
    Raised::table(&format!(
        "{} can only be called inside a script invocation",
        name
    ))
    .into_lua()
}

/// `(int)lua_tonumber(L, 1)`: 0 for anything that is not a number.
pub fn number_arg(lua: &Lua, args: &MultiValue) -> i32 {
    let n = args
        .front()
        .and_then(|v| lua.coerce_number(v.clone()).ok().flatten())
        .unwrap_or(0.0);
    c_int(n)
}

/// `redis.sha1hex(s)`.
fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::LuaString> {
    if args.len() != 1 {
        return Err(Raised::table("wrong number of arguments").into_lua());
    }
    let text = match args.front() {
        Some(v @ (Value::String(_) | Value::Integer(_) | Value::Number(_))) => lua
            .coerce_string(v.clone())?
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    lua.create_string(super::cache::sha1_hex(&text))
}

/// `redis.log(level, message...)`: the string and number arguments
/// joined by spaces, at one of Redis's log levels.
fn log(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(Raised::table("redis.log() requires two arguments or more.").into_lua());
    }
    let level = match args.front().map(|v| lua.coerce_number(v.clone())) {
        Some(Ok(Some(n))) => c_int(n),
        _ => return Err(Raised::table("First argument must be a number (log level).").into_lua()),
    };
    let level = match level {
        0 => log::Level::Trace,
        1 => log::Level::Debug,
        2 => log::Level::Info,
        3 => log::Level::Warn,
        _ => return Err(Raised::table("Invalid debug level.").into_lua()),
    };
    if !log::log_enabled!(level) {
        return Ok(());
    }
    let mut message = Vec::new();
    for (j, arg) in args.iter().enumerate().skip(1) {
        if let Value::String(_) | Value::Integer(_) | Value::Number(_) = arg {
            if j != 1 {
                message.push(b' ');
            }
            if let Some(s) = lua.coerce_string(arg.clone())? {
                message.extend_from_slice(&s.as_bytes());
            }
        }
    }
    log::log!(level, "{}", String::from_utf8_lossy(&message));
    Ok(())
}

/// `math.random` and `math.randomseed` on Redis's generator.
fn register_random(
    lua: &Lua,
    math: &Table,
    rng: Rc<RefCell<Lrand48>>,
    in_script: InScript,
) -> mlua::Result<()> {
    let (in_script_for_random, draw) = (in_script.clone(), rng.clone());
    let random = lua.create_function(move |lua, args: MultiValue| {
        if !in_script_for_random() {
            return Err(lua_error(
                lua,
                "math.random can only be called inside a script invocation",
            ));
        }
        let r = draw.borrow_mut().next_fraction();
        let bounds = match args.len() {
            0 => return Ok(r),
            1 => (1, check_int(lua, &args, 0)?),
            2 => (check_int(lua, &args, 0)?, check_int(lua, &args, 1)?),
            _ => return Err(lua_error(lua, "wrong number of arguments")),
        };
        let (low, high) = bounds;
        if low > high {
            return Err(arg_error(lua, args.len(), "interval is empty"));
        }
        let span = f64::from(high) - f64::from(low) + 1.0;
        Ok((r * span).floor() + f64::from(low))
    })?;
    let seed = lua.create_function(move |lua, args: MultiValue| {
        if !in_script() {
            return Err(lua_error(
                lua,
                "math.randomseed can only be called inside a script invocation",
            ));
        }
        rng.borrow_mut().seed(check_int(lua, &args, 0)?);
        Ok(())
    })?;
    math.raw_set("random", random)?;
    math.raw_set("randomseed", seed)
}

/// What a script's `pcall` hands back for an error: an error table's
/// message (Redis's pcall unwraps them), a message as it is.
pub fn caught(lua: &Lua, err: Value) -> mlua::Result<Value> {
    let Value::Error(e) = &err else {
        return Ok(err);
    };
    Ok(match raised(e) {
        Some(Raised::Table { text, .. }) | Some(Raised::Message(text)) => {
            Value::String(lua.create_string(text)?)
        }
        None => Value::String(lua.create_string(error_message(e))?),
    })
}

/// The arguments of a `redis.call` as Redis converts them: strings as
/// they are, numbers as `%.17g` (Lua's own text would lose precision).
pub fn fill_argv(
    out: &mut OwnedArgs,
    args: impl Iterator<Item = Value>,
) -> Result<(), &'static str> {
    out.buf.clear();
    out.spans.clear();
    let mut args = args.peekable();
    if args.peek().is_none() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut buf = [0u8; G17_MAX];
    for value in args {
        match value {
            Value::String(s) => out.push(&s.as_bytes()),
            Value::Integer(i) => out.push(double_text(&mut buf, i as f64)),
            Value::Number(n) => out.push(double_text(&mut buf, n)),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(())
}
