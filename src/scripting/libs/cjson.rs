//! `cjson`: JSON for scripts, behaving as lua-cjson 2.1.0 does in Redis
//! (same output bytes, same configuration functions, same error texts).
//!
//! Each module table (the global one, and every `cjson.new()`) owns one
//! [`Config`]; its functions share it through an `Rc<Cell<..>>`, copying it
//! out at the start of a call so nothing can observe a half-applied change.
//! Encoding is in `encode.rs`, decoding in `decode.rs`, and the number
//! formatting and parsing of the C library in `number.rs`.

mod decode;
mod encode;
pub mod number;

use std::cell::Cell;
use std::rc::Rc;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::lauxlib::{self, Args};

/// The settings a cjson module table carries (`json_config_t`), with the
/// C library's defaults.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub encode_sparse_convert: i32,
    pub encode_sparse_ratio: i32,
    pub encode_sparse_safe: i32,
    pub encode_max_depth: i32,
    /// 0: error, 1: write `inf`/`nan`, 2: write `null`.
    pub encode_invalid_numbers: i32,
    pub encode_number_precision: i32,
    pub encode_keep_buffer: i32,
    pub decode_invalid_numbers: i32,
    pub decode_max_depth: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            encode_sparse_convert: 0,
            encode_sparse_ratio: 2,
            encode_sparse_safe: 10,
            encode_max_depth: 1000,
            encode_invalid_numbers: 0,
            encode_number_precision: 14,
            encode_keep_buffer: 1,
            decode_invalid_numbers: 1,
            decode_max_depth: 1000,
        }
    }
}

type Shared = Rc<Cell<Config>>;

/// `cjson.null`: the NULL light userdata JSON `null` decodes to.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A new `cjson` module table with its own default configuration.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let config: Shared = Rc::new(Cell::new(Config::default()));
    let module = lua.create_table()?;
    // Registered in the C library's order, which `pairs` follows.
    let functions: [(&str, Handler); 3] = [
        ("encode", encode_fn),
        ("decode", decode_fn),
        ("encode_sparse_array", encode_sparse_array),
    ];
    for (name, handler) in functions {
        let config = Rc::clone(&config);
        let function = lua
            .create_function(move |lua, args: MultiValue| handler(lua, &config, Args::new(args)))?;
        module.raw_set(name, function)?;
    }
    for (name, kind, field) in SETTINGS {
        let config = Rc::clone(&config);
        let function = lua.create_function(move |lua, args: MultiValue| {
            let args = Args::new(args);
            check_option_count(lua, &args, 1)?;
            Ok(one(option(lua, &config, &args, 1, kind, field)?))
        })?;
        module.raw_set(name, function)?;
    }
    module.raw_set(
        "new",
        lua.create_function(|lua, _: MultiValue| create(lua))?,
    )?;
    module.raw_set("null", null())?;
    module.raw_set("_NAME", "cjson")?;
    module.raw_set("_VERSION", "2.1.0")?;
    Ok(module)
}

type Handler = fn(&Lua, &Shared, Args) -> mlua::Result<MultiValue>;

fn one(value: Value) -> MultiValue {
    MultiValue::from_iter([value])
}

fn encode_fn(lua: &Lua, config: &Shared, args: Args) -> mlua::Result<MultiValue> {
    lauxlib::arg_check(lua, args.count() == 1, 1, "expected 1 argument")?;
    let value = args.get(1).cloned().unwrap_or(Value::Nil);
    let json = encode::encode(lua, &config.get(), value)?;
    Ok(one(Value::String(lua.create_string(json)?)))
}

fn decode_fn(lua: &Lua, config: &Shared, args: Args) -> mlua::Result<MultiValue> {
    lauxlib::arg_check(lua, args.count() == 1, 1, "expected 1 argument")?;
    let text = lauxlib::check_lstring(lua, &args, 1)?;
    Ok(one(decode::decode(lua, &config.get(), &text.as_bytes())?))
}

/// `json_arg_init`: at most `max` arguments.
fn check_option_count(lua: &Lua, args: &Args, max: i64) -> mlua::Result<()> {
    lauxlib::arg_check(
        lua,
        args.count() <= max,
        max + 1,
        "found too many arguments",
    )
}

/// `json_integer_option`: sets `field` from argument `n` when given,
/// within `min..=max` (errors name argument 1 whatever `n` is, as the C
/// library does), and returns the setting.
fn integer_option(
    lua: &Lua,
    config: &Shared,
    args: &Args,
    n: i64,
    (min, max): (i32, i32),
    field: Field,
) -> mlua::Result<Value> {
    let mut current = config.get();
    if !args.is_none_or_nil(n) {
        let value = lauxlib::c_long_to_int(lauxlib::check_integer(lua, args, n)?);
        let message = format!("expected integer between {min} and {max}");
        lauxlib::arg_check(lua, (min..=max).contains(&value), 1, &message)?;
        *field(&mut current) = value;
        config.set(current);
    }
    Ok(Value::Number(f64::from(*field(&mut current))))
}

/// `json_enum_option` over `names` ("off", "on", ...): booleans mean 0
/// and 1, strings pick by name; 0 and 1 read back as booleans, others as
/// their names.
fn enum_option(
    lua: &Lua,
    config: &Shared,
    args: &Args,
    n: i64,
    names: &[&str],
    field: Field,
) -> mlua::Result<Value> {
    let mut current = config.get();
    if !args.is_none_or_nil(n) {
        let setting = match args.get(n) {
            Some(Value::Boolean(on)) => i32::from(*on),
            _ => check_option(lua, args, n, names)?,
        };
        *field(&mut current) = setting;
        config.set(current);
    }
    let setting = *field(&mut current);
    if setting == 0 || setting == 1 {
        return Ok(Value::Boolean(setting == 1));
    }
    let name = usize::try_from(setting)
        .ok()
        .and_then(|i| names.get(i))
        .copied()
        .unwrap_or("");
    Ok(Value::String(lua.create_string(name)?))
}

/// `luaL_checkoption` with no default: the index of the name given (as a
/// C string, so cut at a NUL byte).
fn check_option(lua: &Lua, args: &Args, n: i64, names: &[&str]) -> mlua::Result<i32> {
    let given = lauxlib::check_lstring(lua, args, n)?;
    let bytes = given.as_bytes();
    let name = bytes.split(|&b| b == 0).next().unwrap_or_default();
    if let Some(index) = names
        .iter()
        .position(|candidate| candidate.as_bytes() == name)
    {
        return Ok(i32::try_from(index).unwrap_or(0));
    }
    let mut message = b"invalid option '".to_vec();
    message.extend_from_slice(name);
    message.push(b'\'');
    Err(lauxlib::arg_error(lua, n, message))
}

const ON_OFF: &[&str] = &["off", "on"];

/// How a setting is given: an integer within bounds, or one of names
/// (booleans standing for the first two).
#[derive(Clone, Copy)]
enum Kind {
    Integer(i32, i32),
    Choice(&'static [&'static str]),
}

type Field = fn(&mut Config) -> &mut i32;

/// The functions that read and set one setting each.
const SETTINGS: [(&str, Kind, Field); 6] = [
    ("encode_max_depth", Kind::Integer(1, i32::MAX), |c| {
        &mut c.encode_max_depth
    }),
    ("decode_max_depth", Kind::Integer(1, i32::MAX), |c| {
        &mut c.decode_max_depth
    }),
    ("encode_number_precision", Kind::Integer(1, 14), |c| {
        &mut c.encode_number_precision
    }),
    ("encode_keep_buffer", Kind::Choice(ON_OFF), |c| {
        &mut c.encode_keep_buffer
    }),
    (
        "encode_invalid_numbers",
        Kind::Choice(&["off", "on", "null"]),
        |c| &mut c.encode_invalid_numbers,
    ),
    ("decode_invalid_numbers", Kind::Choice(ON_OFF), |c| {
        &mut c.decode_invalid_numbers
    }),
];

/// Applies argument `n` to the setting `field` when given, and returns
/// the setting.
fn option(
    lua: &Lua,
    config: &Shared,
    args: &Args,
    n: i64,
    kind: Kind,
    field: Field,
) -> mlua::Result<Value> {
    match kind {
        Kind::Integer(min, max) => integer_option(lua, config, args, n, (min, max), field),
        Kind::Choice(names) => enum_option(lua, config, args, n, names, field),
    }
}

fn encode_sparse_array(lua: &Lua, config: &Shared, args: Args) -> mlua::Result<MultiValue> {
    check_option_count(lua, &args, 3)?;
    let ratio_or_safe = Kind::Integer(0, i32::MAX);
    let convert = option(lua, config, &args, 1, Kind::Choice(ON_OFF), |c| {
        &mut c.encode_sparse_convert
    })?;
    let ratio = option(lua, config, &args, 2, ratio_or_safe, |c| {
        &mut c.encode_sparse_ratio
    })?;
    let safe = option(lua, config, &args, 3, ratio_or_safe, |c| {
        &mut c.encode_sparse_safe
    })?;
    Ok(MultiValue::from_iter([convert, ratio, safe]))
}
