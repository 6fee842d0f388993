//! `bit`: LuaBitOp's 32-bit operations on Lua numbers.
//!
//! An argument becomes 32 bits the way LuaBitOp does it: add 2^52+2^51
//! to the double and keep the low word of its representation, which
//! rounds half to even and wraps modulo 2^32 (NaN and infinities give 0).
//! Results are signed 32-bit values. Non-numbers (numeric strings are
//! numbers) fail with "number expected, got <type>"; the variadic
//! operations check their arguments from the last one down, as the C
//! loop does.

use mlua::{Lua, MultiValue, Table, Value};

use super::lauxlib::{self, Args};

/// The `bit` module table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    // luaL_register presizes the table; `pairs` order depends on it.
    let module = lua.create_table_with_capacity(0, 12)?;
    let functions: [(&str, Operation); 12] = [
        ("tobit", tobit),
        ("bnot", bnot),
        ("band", |lua, args| fold(lua, args, |a, b| a & b)),
        ("bor", |lua, args| fold(lua, args, |a, b| a | b)),
        ("bxor", |lua, args| fold(lua, args, |a, b| a ^ b)),
        ("lshift", |lua, args| shift(lua, args, |b, n| b << n)),
        ("rshift", |lua, args| shift(lua, args, |b, n| b >> n)),
        ("arshift", |lua, args| {
            shift(lua, args, |b, n| ((b as i32) >> n) as u32)
        }),
        ("rol", |lua, args| shift(lua, args, u32::rotate_left)),
        ("ror", |lua, args| shift(lua, args, u32::rotate_right)),
        ("bswap", bswap),
        ("tohex", tohex),
    ];
    for (name, operation) in functions {
        let function =
            lua.create_function(move |lua, args: MultiValue| operation(lua, &Args::new(args)))?;
        module.raw_set(name, function)?;
    }
    Ok(module)
}

type Operation = fn(&Lua, &Args) -> mlua::Result<Value>;

/// `barg`: argument `n` as 32 bits.
fn barg(lua: &Lua, args: &Args, n: i64) -> mlua::Result<u32> {
    let number = lauxlib::to_number(lua, args.get(n))?;
    let bits = to_bits(number.unwrap_or(0.0));
    if bits == 0 && number.is_none() {
        return Err(lauxlib::type_error(lua, n, "number", args.get(n)));
    }
    Ok(bits)
}

/// The low 32 bits of `x + 2^52 + 2^51`.
pub fn to_bits(x: f64) -> u32 {
    ((x + 6_755_399_441_055_744.0).to_bits() & 0xFFFF_FFFF) as u32
}

/// `BRET`: the bits as a signed 32-bit number.
fn result(bits: u32) -> Value {
    Value::Number(f64::from(bits as i32))
}

fn tobit(lua: &Lua, args: &Args) -> mlua::Result<Value> {
    Ok(result(barg(lua, args, 1)?))
}

fn bnot(lua: &Lua, args: &Args) -> mlua::Result<Value> {
    Ok(result(!barg(lua, args, 1)?))
}

/// `band`/`bor`/`bxor`: the first argument, then the others from the last.
fn fold(lua: &Lua, args: &Args, op: fn(u32, u32) -> u32) -> mlua::Result<Value> {
    let mut bits = barg(lua, args, 1)?;
    let mut n = args.count();
    while n > 1 {
        bits = op(bits, barg(lua, args, n)?);
        n -= 1;
    }
    Ok(result(bits))
}

/// The shifts and rotations: a count taken modulo 32.
fn shift(lua: &Lua, args: &Args, op: fn(u32, u32) -> u32) -> mlua::Result<Value> {
    let bits = barg(lua, args, 1)?;
    let count = barg(lua, args, 2)? & 31;
    Ok(result(op(bits, count)))
}

fn bswap(lua: &Lua, args: &Args) -> mlua::Result<Value> {
    Ok(result(barg(lua, args, 1)?.swap_bytes()))
}

/// `tohex(x [, n])`: the low |n| hex digits (8 by default, at most 8),
/// upper case when n is negative.
fn tohex(lua: &Lua, args: &Args) -> mlua::Result<Value> {
    let mut bits = barg(lua, args, 1)?;
    let mut count = if args.get(2).is_none() {
        8
    } else {
        barg(lua, args, 2)? as i32
    };
    let digits: &[u8; 16] = if count < 0 {
        count = count.wrapping_neg();
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    // -(-2^31) stays negative; the C code, as compiled, treats it as "more
    // than 8".
    let count = if !(0..=8).contains(&count) {
        8
    } else {
        count as usize
    };
    let mut text = vec![0u8; count];
    for slot in text.iter_mut().rev() {
        *slot = digits[(bits & 15) as usize];
        bits >>= 4;
    }
    Ok(Value::String(lua.create_string(text)?))
}
