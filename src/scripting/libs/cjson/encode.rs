//! `cjson.encode`: a Lua value to JSON text, as lua-cjson writes it.
//!
//! Tables become arrays when every key is a positive integer and the
//! array is not "excessively sparse" (`encode_sparse_array`), objects
//! otherwise (so `{}` is `{}`). Keys and values come in `next` order.
//! Strings are escaped byte by byte (`"`, `\`, `/`, control characters
//! and DEL), everything else is copied raw. Numbers use `%.14g` (the
//! configured precision); NaN and infinity follow
//! `encode_invalid_numbers`.
//!
//! The walk is iterative: each open table is a [`Frame`] (plain numbers),
//! the tables themselves wait in a [`Spill`], and the Lua stack slots the
//! C code would use are counted so that nesting fails where it does in
//! Redis (`encode_max_depth`, or the C stack limit).

use mlua::{Lua, Table, Value};

use super::number::format_g;
use super::Config;
use crate::scripting::libs::lauxlib::{self, c_double_to_i32};
use crate::scripting::libs::spill::Spill;

/// One table being written.
enum Frame {
    /// Elements `next..=len` are still to be written.
    Array { len: i64, next: i64, slots: i64 },
    /// The keys were listed in `keys` (a Lua sequence of `count` keys).
    Object { count: i64, next: i64, slots: i64 },
}

/// The tables of the innermost frame.
struct Open {
    table: Table,
    keys: Option<Table>,
}

struct Encoder<'a> {
    lua: &'a Lua,
    config: &'a Config,
    out: Vec<u8>,
    frames: Vec<Frame>,
    open: Option<Open>,
    spill: Spill,
}

/// Encodes `value`, or fails with the C library's error.
pub fn encode(lua: &Lua, config: &Config, value: Value) -> mlua::Result<Vec<u8>> {
    let mut encoder = Encoder {
        lua,
        config,
        out: Vec::new(),
        frames: Vec::new(),
        open: None,
        spill: Spill::new(),
    };
    // The argument itself occupies one stack slot.
    encoder.run(value, 1)?;
    Ok(encoder.out)
}

impl Encoder<'_> {
    fn run(&mut self, root: Value, root_slots: i64) -> mlua::Result<()> {
        let mut pending = Some((root, root_slots));
        loop {
            if let Some((value, slots)) = pending.take() {
                self.value(value, slots)?;
            }
            pending = match self.frames.last_mut() {
                None => return Ok(()),
                Some(Frame::Array { len, next, slots }) if *next <= *len => {
                    let index = *next;
                    *next += 1;
                    let element_slots = *slots + 1;
                    if index > 1 {
                        self.out.push(b',');
                    }
                    let element = self.open_table()?.raw_get(index)?;
                    Some((element, element_slots))
                }
                Some(Frame::Object { count, next, slots }) if *next <= *count => {
                    let index = *next;
                    *next += 1;
                    // Key and value both sit on the C stack meanwhile.
                    let value_slots = *slots + 2;
                    if index > 1 {
                        self.out.push(b',');
                    }
                    Some((self.object_entry(index)?, value_slots))
                }
                Some(_) => {
                    self.close()?;
                    None
                }
            };
        }
    }

    fn open_table(&self) -> mlua::Result<&Table> {
        match &self.open {
            Some(open) => Ok(&open.table),
            None => Err(mlua::Error::runtime("cjson: no open table")),
        }
    }

    /// Writes the key of entry `index` of the open object and returns its
    /// value.
    fn object_entry(&mut self, index: i64) -> mlua::Result<Value> {
        let (key, value) = match &self.open {
            Some(Open {
                table,
                keys: Some(keys),
            }) => {
                let key: Value = keys.raw_get(index)?;
                let value: Value = table.raw_get(key.clone())?;
                (key, value)
            }
            _ => return Err(mlua::Error::runtime("cjson: no open object")),
        };
        match &key {
            Value::String(s) => {
                append_string(&mut self.out, &s.as_bytes());
                self.out.push(b':');
            }
            Value::Integer(_) | Value::Number(_) => {
                self.out.push(b'"');
                self.number(&key)?;
                self.out.extend_from_slice(b"\":");
            }
            other => {
                return Err(self.exception(Some(other), "table key must be a number or string"));
            }
        }
        Ok(value)
    }

    /// Writes a scalar, or opens a table (writing its bracket).
    fn value(&mut self, value: Value, slots: i64) -> mlua::Result<()> {
        match &value {
            Value::String(s) => append_string(&mut self.out, &s.as_bytes()),
            Value::Integer(_) | Value::Number(_) => self.number(&value)?,
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(pointer) if pointer.0.is_null() => {
                self.out.extend_from_slice(b"null")
            }
            Value::Table(table) => self.open(table.clone(), slots)?,
            other => return Err(self.exception(Some(other), "type not supported")),
        }
        Ok(())
    }

    /// Starts writing `table`, whose value occupies `slots` stack slots.
    fn open(&mut self, table: Table, slots: i64) -> mlua::Result<()> {
        let depth = i64::try_from(self.frames.len()).unwrap_or(i64::MAX) + 1;
        let within_depth = depth <= i64::from(self.config.encode_max_depth);
        if !(within_depth && lauxlib::stack_fits(slots, 3)) {
            let message = format!(
                "Cannot serialise, excessive nesting ({})",
                lauxlib::c_int_text(depth)
            );
            return Err(lauxlib::error(self.lua, message));
        }
        let len = self.array_length(&table)?;
        if let Some(parent) = self.open.take() {
            self.spill.push(self.lua, Value::Table(parent.table))?;
            let keys = parent.keys.map_or(Value::Nil, Value::Table);
            self.spill.push(self.lua, keys)?;
        }
        if len > 0 {
            self.out.push(b'[');
            self.frames.push(Frame::Array {
                len: i64::from(len),
                next: 1,
                slots,
            });
            self.open = Some(Open { table, keys: None });
        } else {
            self.out.push(b'{');
            let (keys, count) = list_keys(self.lua, &table)?;
            self.frames.push(Frame::Object {
                count,
                next: 1,
                slots,
            });
            self.open = Some(Open {
                table,
                keys: Some(keys),
            });
        }
        Ok(())
    }

    /// Ends the innermost table and reopens its parent.
    fn close(&mut self) -> mlua::Result<()> {
        let bracket = match self.frames.pop() {
            Some(Frame::Array { .. }) => b']',
            _ => b'}',
        };
        self.out.push(bracket);
        self.open = None;
        if !self.frames.is_empty() {
            let keys = self.spill.pop()?;
            let table = self.spill.pop()?;
            if let Value::Table(table) = table {
                let keys = match keys {
                    Value::Table(keys) => Some(keys),
                    _ => None,
                };
                self.open = Some(Open { table, keys });
            }
        }
        Ok(())
    }

    /// `lua_array_length`: the array size when every key is an integer of
    /// at least 1 (0 for an empty table), -1 for an object. An excessively
    /// sparse array is an object when conversion is on, an error if not.
    fn array_length(&self, table: &Table) -> mlua::Result<i32> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for pair in table.pairs::<Value, Value>() {
            let (key, _) = pair?;
            let key = lauxlib::number_value(&key).filter(|&k| k != 0.0);
            match key {
                Some(k) if k.floor() == k && k >= 1.0 => {
                    if k > f64::from(max) {
                        max = c_double_to_i32(k);
                    }
                    items = items.wrapping_add(1);
                }
                _ => return Ok(-1),
            }
        }
        let config = self.config;
        if config.encode_sparse_ratio > 0
            && max > items.wrapping_mul(config.encode_sparse_ratio)
            && max > config.encode_sparse_safe
        {
            if config.encode_sparse_convert == 0 {
                let value = Value::Table(table.clone());
                return Err(self.exception(Some(&value), "excessively sparse array"));
            }
            return Ok(-1);
        }
        Ok(max)
    }

    fn number(&mut self, value: &Value) -> mlua::Result<()> {
        let number = lauxlib::number_value(value).unwrap_or(0.0);
        let invalid = number.is_nan() || number.is_infinite();
        match self.config.encode_invalid_numbers {
            0 if invalid => return Err(self.exception(Some(value), "must not be NaN or Inf")),
            1 if number.is_nan() => {
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            0 | 1 => {}
            _ if invalid => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        let precision = usize::try_from(self.config.encode_number_precision).unwrap_or(14);
        self.out
            .extend_from_slice(format_g(number, precision).as_bytes());
        Ok(())
    }

    /// `json_encode_exception`: "Cannot serialise <type>: <reason>".
    fn exception(&self, value: Option<&Value>, reason: &str) -> mlua::Error {
        let type_name = lauxlib::type_name(value);
        lauxlib::error(self.lua, format!("Cannot serialise {type_name}: {reason}"))
    }
}

/// The keys of `table` in `next` order, as a Lua sequence, and their count.
fn list_keys(lua: &Lua, table: &Table) -> mlua::Result<(Table, i64)> {
    let keys = lua.create_table()?;
    let mut count = 0;
    for pair in table.pairs::<Value, Value>() {
        let (key, _) = pair?;
        count += 1;
        keys.raw_set(count, key)?;
    }
    Ok((keys, count))
}

/// A JSON string literal for the bytes.
fn append_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => {
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}
