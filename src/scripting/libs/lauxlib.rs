//! What the bundled C libraries get from Lua 5.1's auxiliary library,
//! rebuilt on mlua so the Rust versions fail exactly as Redis's do.
//!
//! - Errors: `luaL_error` prefixes the message with the caller's
//!   `chunk:line: ` (`luaL_where(L, 1)`), `luaL_argerror` names the function
//!   as the calling instruction saw it (`'encode'`, `'?'` through `pcall`,
//!   `calling 'x' on bad self` for methods). A Rust callback cannot raise a
//!   plain Lua string, so the finished text travels as a [`ScriptError`]
//!   inside the `mlua::Error`; [`script_error_message`] gets it back.
//! - Argument checks: `luaL_checknumber`, `luaL_checkinteger`,
//!   `luaL_checklstring`, `luaL_optinteger` with Lua's coercions (numeric
//!   strings are numbers, numbers are strings) done by the VM itself.
//! - The C stack budget: `lua_checkstack` refuses to grow a C function's
//!   frame past [`MAX_C_STACK`] slots; the libraries count the slots the C
//!   code would have used and fail at the same point with the same text.
//! - C's double-to-integer casts as x86-64 executes them (out of range and
//!   NaN give the "integer indefinite" value), since the libraries expose
//!   them to scripts.

use std::fmt;

use mlua::{Lua, MultiValue, Value};

/// `LUAI_MAXCSTACK`: the most stack slots a C function may hold.
pub const MAX_C_STACK: i64 = 8000;

/// An error raised by one of the libraries: the exact bytes Redis's Lua
/// would have raised as a string (position prefix included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    message: Vec<u8>,
}

impl ScriptError {
    /// The error text as a Lua string would hold it.
    pub fn message(&self) -> &[u8] {
        &self.message
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message))
    }
}

impl std::error::Error for ScriptError {}

/// The text of a [`ScriptError`] carried by `err` (also through mlua's
/// callback wrapping), for turning it back into the Lua string a script
/// catching it with `pcall` sees, or into the EVAL error reply.
pub fn script_error_message(err: &mlua::Error) -> Option<&[u8]> {
    err.downcast_ref::<ScriptError>().map(ScriptError::message)
}

/// Wraps finished error text (no position prefix added).
pub fn raw_error(message: Vec<u8>) -> mlua::Error {
    mlua::Error::external(ScriptError { message })
}

/// `luaL_where(L, 1)`: `short_src:line: ` of the function that called the
/// running C function, or nothing when that is not Lua code.
fn where_prefix(lua: &Lua) -> Vec<u8> {
    lua.inspect_stack(1, |frame| {
        let line = frame.current_line().filter(|&line| line > 0)?;
        let source = frame.source();
        let short_src = source.short_src.as_deref().unwrap_or("");
        Some(format!("{short_src}:{line}: ").into_bytes())
    })
    .flatten()
    .unwrap_or_default()
}

/// `luaL_error`: the message with the caller's position in front.
pub fn error(lua: &Lua, message: impl AsRef<[u8]>) -> mlua::Error {
    let mut text = where_prefix(lua);
    text.extend_from_slice(message.as_ref());
    raw_error(text)
}

/// `luaL_argerror(L, narg, extramsg)`.
pub fn arg_error(lua: &Lua, narg: i64, extra: impl AsRef<[u8]>) -> mlua::Error {
    let extra = extra.as_ref();
    let names = lua.inspect_stack(0, |frame| {
        let names = frame.names();
        (names.name.map(|name| name.into_owned()), names.name_what)
    });
    let Some((name, name_what)) = names else {
        let mut text = format!("bad argument #{narg} (").into_bytes();
        text.extend_from_slice(extra);
        text.push(b')');
        return error(lua, text);
    };
    let mut narg = narg;
    if name_what == Some("method") {
        narg -= 1;
        if narg == 0 {
            let name = name.as_deref().unwrap_or("?");
            let mut text = format!("calling '{name}' on bad self (").into_bytes();
            text.extend_from_slice(extra);
            text.push(b')');
            return error(lua, text);
        }
    }
    let name = name.as_deref().unwrap_or("?");
    let mut text = format!("bad argument #{narg} to '{name}' (").into_bytes();
    text.extend_from_slice(extra);
    text.push(b')');
    error(lua, text)
}

/// `luaL_argcheck`: `Ok` when `condition` holds, else the argument error.
pub fn arg_check(lua: &Lua, condition: bool, narg: i64, extra: &str) -> mlua::Result<()> {
    if condition {
        Ok(())
    } else {
        Err(arg_error(lua, narg, extra))
    }
}

/// `luaL_typerror`: "`expected` expected, got `type`".
pub fn type_error(lua: &Lua, narg: i64, expected: &str, got: Option<&Value>) -> mlua::Error {
    let got = type_name(got);
    arg_error(lua, narg, format!("{expected} expected, got {got}"))
}

/// `luaL_typename`: Lua's name for the type of a value; a missing
/// argument is "no value".
pub fn type_name(value: Option<&Value>) -> &'static str {
    match value {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// The arguments of a call, addressed from 1 as the C API does.
pub struct Args(Vec<Value>);

impl Args {
    pub fn new(args: MultiValue) -> Self {
        Args(args.into_iter().collect())
    }

    /// `lua_gettop`.
    pub fn count(&self) -> i64 {
        i64::try_from(self.0.len()).unwrap_or(i64::MAX)
    }

    /// Argument `n` (1-based), `None` past the last one.
    pub fn get(&self, n: i64) -> Option<&Value> {
        let index = usize::try_from(n.checked_sub(1)?).ok()?;
        self.0.get(index)
    }

    /// `lua_isnoneornil`.
    pub fn is_none_or_nil(&self, n: i64) -> bool {
        matches!(self.get(n), None | Some(Value::Nil))
    }
}

/// A Lua number as the C API reads it.
pub fn number_value(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        // mlua hands over integral doubles as integers; they came from a
        // double, so the conversion back is exact.
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// `lua_tonumber` + `lua_isnumber`: numbers, and strings the VM converts.
pub fn to_number(lua: &Lua, value: Option<&Value>) -> mlua::Result<Option<f64>> {
    match value {
        Some(Value::String(s)) => lua.coerce_number(Value::String(s.clone())),
        Some(value) => Ok(number_value(value)),
        None => Ok(None),
    }
}

/// `luaL_checknumber`.
pub fn check_number(lua: &Lua, args: &Args, n: i64) -> mlua::Result<f64> {
    match to_number(lua, args.get(n))? {
        Some(number) => Ok(number),
        None => Err(type_error(lua, n, "number", args.get(n))),
    }
}

/// `luaL_checkinteger`: a number truncated to `lua_Integer` as C casts it.
pub fn check_integer(lua: &Lua, args: &Args, n: i64) -> mlua::Result<i64> {
    check_number(lua, args, n).map(c_double_to_i64)
}

/// `luaL_optinteger`.
pub fn opt_integer(lua: &Lua, args: &Args, n: i64, default: i64) -> mlua::Result<i64> {
    if args.is_none_or_nil(n) {
        Ok(default)
    } else {
        check_integer(lua, args, n)
    }
}

/// `lua_tolstring` on a value: strings as they are, numbers formatted by
/// the VM, anything else `None`.
pub fn to_lstring(lua: &Lua, value: Option<&Value>) -> mlua::Result<Option<mlua::LuaString>> {
    match value {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(value @ (Value::Integer(_) | Value::Number(_))) => lua.coerce_string(value.clone()),
        _ => Ok(None),
    }
}

/// `luaL_checklstring`.
pub fn check_lstring(lua: &Lua, args: &Args, n: i64) -> mlua::Result<mlua::LuaString> {
    match to_lstring(lua, args.get(n))? {
        Some(s) => Ok(s),
        None => Err(type_error(lua, n, "string", args.get(n))),
    }
}

/// `luaL_checkstack(L, space, message)` for a frame holding `used` slots.
pub fn check_stack(lua: &Lua, used: i64, space: i64, message: &str) -> mlua::Result<()> {
    if stack_fits(used, space) {
        Ok(())
    } else {
        Err(error(lua, format!("stack overflow ({message})")))
    }
}

/// `lua_checkstack`: whether `space` more slots fit beside `used`.
pub fn stack_fits(used: i64, space: i64) -> bool {
    space <= MAX_C_STACK && used.saturating_add(space) <= MAX_C_STACK
}

/// `(int64_t)x` as x86-64 computes it (`cvttsd2si`): truncation, and
/// `i64::MIN` for NaN and anything out of range.
pub fn c_double_to_i64(x: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// `(int)x` on x86-64: truncation, `i32::MIN` for NaN and out of range.
pub fn c_double_to_i32(x: f64) -> i32 {
    if x.is_nan() || x >= 2_147_483_648.0 || x <= -2_147_483_649.0 {
        i32::MIN
    } else {
        x as i32
    }
}

/// `(uint64_t)x` as gcc compiles it for x86-64: below 2^63 (and NaN) the
/// signed conversion, above it the signed conversion of `x - 2^63` with
/// the top bit flipped.
pub fn c_double_to_u64(x: f64) -> u64 {
    const TOP: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if x >= TOP {
        (c_double_to_i64(x - TOP) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(x) as u64
    }
}

/// `lua_Integer` to C `int`: the low 32 bits.
pub fn c_long_to_int(x: i64) -> i32 {
    x as i32
}

/// The `lua_pushfstring("%d")` rendering of a `size_t` or `ptrdiff_t`
/// passed where an `int` is read: its low 32 bits, signed.
pub fn c_int_text(x: i64) -> String {
    c_long_to_int(x).to_string()
}
