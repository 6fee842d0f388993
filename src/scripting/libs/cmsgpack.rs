//! `cmsgpack`: MessagePack for scripts, as lua-cmsgpack 0.4.0 in Redis.
//!
//! `pack(v1, v2, ...)` concatenates the encodings of its arguments.
//! Numbers that are exactly an int64 use the smallest integer form (so
//! -0 packs as 0), others a float32 when that is exact, else a float64.
//! Strings use fixstr/str8/str16/str32. A table whose keys are exactly
//! 1..n is an array (the empty table too), anything else a map, in `next`
//! order. Tables nested 16 deep, and values of other types (functions,
//! `cjson.null`, ...), pack as nil.
//!
//! `unpack(s)` returns every value in `s`; `unpack_one(s [, offset])`
//! and `unpack_limit(s, limit [, offset])` return the offset to continue
//! from (-1 at the end) first. Integers come back as Lua numbers (an
//! uint64 above 2^63 wraps negative, as `lua_pushinteger` sees it).
//!
//! The Lua stack slots the C code holds are counted so that huge argument
//! lists or result counts fail where they do in Redis.

use mlua::{Lua, MultiValue, Table, Value};

use super::lauxlib::{self, c_double_to_i32, c_double_to_i64, Args};
use super::spill::Spill;

/// Tables nested deeper than this pack as nil.
const MAX_NESTING: usize = 16;

/// The `cmsgpack` module table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let module = lua.create_table()?;
    let functions: [(&str, Operation); 4] = [
        ("pack", pack),
        ("unpack", unpack),
        ("unpack_one", unpack_one),
        ("unpack_limit", unpack_limit),
    ];
    for (name, operation) in functions {
        let function =
            lua.create_function(move |lua, args: MultiValue| operation(lua, Args::new(args)))?;
        module.raw_set(name, function)?;
    }
    module.raw_set("_NAME", "cmsgpack")?;
    module.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    module.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    module.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(module)
}

type Operation = fn(&Lua, Args) -> mlua::Result<MultiValue>;

// ---------------------------------------------------------------- packing

fn pack(lua: &Lua, args: Args) -> mlua::Result<MultiValue> {
    let count = args.count();
    if count == 0 {
        return Err(lauxlib::arg_error(lua, 0, "MessagePack pack needs input."));
    }
    if !lauxlib::stack_fits(count, count) {
        return Err(lauxlib::arg_error(
            lua,
            0,
            "Too many arguments for MessagePack pack.",
        ));
    }
    let mut packer = Packer {
        lua,
        out: Vec::new(),
    };
    for n in 1..=count {
        // Arguments, then one packed string per argument done so far.
        let slots = count + n - 1;
        lauxlib::check_stack(lua, slots, 1, "in function mp_check")?;
        let value = args.get(n).cloned().unwrap_or(Value::Nil);
        packer.value(&value, 0, slots + 1)?;
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&packer.out)?,
    )]))
}

struct Packer<'a> {
    lua: &'a Lua,
    out: Vec<u8>,
}

impl Packer<'_> {
    /// `mp_encode_lua_type` for a value at `level`, the C stack holding
    /// `slots` slots (the value included).
    fn value(&mut self, value: &Value, level: usize, slots: i64) -> mlua::Result<()> {
        match value {
            Value::String(s) => self.bytes(&s.as_bytes()),
            Value::Boolean(b) => self.out.push(if *b { 0xc3 } else { 0xc2 }),
            Value::Integer(_) | Value::Number(_) => {
                self.number(lauxlib::number_value(value).unwrap_or(0.0))
            }
            Value::Table(table) if level < MAX_NESTING => self.table(table, level, slots)?,
            _ => self.out.push(0xc0),
        }
        Ok(())
    }

    fn number(&mut self, n: f64) {
        if !n.is_infinite() && c_double_to_i64(n) as f64 == n {
            self.integer(c_double_to_i64(n));
        } else {
            self.float(n);
        }
    }

    fn integer(&mut self, n: i64) {
        let out = &mut self.out;
        if n >= 0 {
            if n <= 127 {
                out.push(n as u8);
            } else if n <= 0xff {
                out.extend_from_slice(&[0xcc, n as u8]);
            } else if n <= 0xffff {
                out.push(0xcd);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else if n <= 0xffff_ffff {
                out.push(0xce);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            } else {
                out.push(0xcf);
                out.extend_from_slice(&n.to_be_bytes());
            }
        } else if n >= -32 {
            out.push(n as i8 as u8);
        } else if n >= -128 {
            out.extend_from_slice(&[0xd0, n as i8 as u8]);
        } else if n >= -32768 {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        } else if n >= -2_147_483_648 {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        } else {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }

    fn float(&mut self, n: f64) {
        let single = n as f32;
        if f64::from(single) == n {
            self.out.push(0xca);
            self.out.extend_from_slice(&single.to_be_bytes());
        } else {
            self.out.push(0xcb);
            self.out.extend_from_slice(&n.to_be_bytes());
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        if len < 32 {
            self.out.push(0xa0 | len as u8);
        } else if len <= 0xff {
            self.out.extend_from_slice(&[0xd9, len as u8]);
        } else if len <= 0xffff {
            self.out.push(0xda);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(0xdb);
            self.out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        self.out.extend_from_slice(bytes);
    }

    /// A header: the fix form below 16, else the 16- or 32-bit form.
    fn header(&mut self, fix: u8, wide: u8, n: u64) {
        if n <= 15 {
            self.out.push(fix | n as u8);
        } else if n <= 0xffff {
            self.out.push(wide);
            self.out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            self.out.push(wide + 1);
            self.out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }

    fn table(&mut self, table: &Table, level: usize, slots: i64) -> mlua::Result<()> {
        lauxlib::check_stack(self.lua, slots, 2, "in function table_is_an_array")?;
        if is_array(table)? {
            let len = table.raw_len();
            self.header(0x90, 0xdc, len as u64);
            lauxlib::check_stack(
                self.lua,
                slots,
                1,
                "in function mp_encode_lua_table_as_array",
            )?;
            for index in 1..=len {
                let element: Value = table.raw_get(index)?;
                self.value(&element, level + 1, slots + 1)?;
            }
        } else {
            lauxlib::check_stack(self.lua, slots, 3, "in function mp_encode_lua_table_as_map")?;
            let count = table.pairs::<Value, Value>().count();
            self.header(0x80, 0xde, count as u64);
            for pair in table.pairs::<Value, Value>() {
                let (key, value) = pair?;
                // Key, value and a copy of the key are on the stack.
                self.value(&key, level + 1, slots + 3)?;
                self.value(&value, level + 1, slots + 2)?;
            }
        }
        Ok(())
    }
}

/// `table_is_an_array`: every key a positive number that is an `int`,
/// and as many keys as the largest.
fn is_array(table: &Table) -> mlua::Result<bool> {
    let mut count: i32 = 0;
    let mut max: i32 = 0;
    for pair in table.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let key = match key {
            Value::Integer(_) | Value::Number(_) => lauxlib::number_value(&key).unwrap_or(0.0),
            _ => return Ok(false),
        };
        if key <= 0.0 || f64::from(c_double_to_i32(key)) != key {
            return Ok(false);
        }
        if key > f64::from(max) {
            max = c_double_to_i32(key);
        }
        count = count.wrapping_add(1);
    }
    Ok(max == count)
}

// -------------------------------------------------------------- unpacking

fn unpack(lua: &Lua, args: Args) -> mlua::Result<MultiValue> {
    unpack_full(lua, &args, 0, 0)
}

fn unpack_one(lua: &Lua, args: Args) -> mlua::Result<MultiValue> {
    let offset = lauxlib::opt_integer(lua, &args, 2, 0)?;
    unpack_full(lua, &first_only(args), 1, offset)
}

fn unpack_limit(lua: &Lua, args: Args) -> mlua::Result<MultiValue> {
    let limit = lauxlib::check_integer(lua, &args, 2)?;
    let offset = lauxlib::opt_integer(lua, &args, 3, 0)?;
    unpack_full(lua, &first_only(args), limit, offset)
}

/// The arguments after the first are popped before decoding.
fn first_only(args: Args) -> Args {
    let first: Vec<Value> = args.get(1).cloned().into_iter().collect();
    Args::new(MultiValue::from_iter(first))
}

fn unpack_full(lua: &Lua, args: &Args, limit: i64, offset: i64) -> mlua::Result<MultiValue> {
    let data = lauxlib::check_lstring(lua, args, 1)?;
    let data = data.as_bytes();
    let data: &[u8] = &data;
    let len = i64::try_from(data.len()).unwrap_or(i64::MAX);
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        let message = format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            lauxlib::c_int_text(offset),
            lauxlib::c_int_text(len)
        );
        return Err(lauxlib::error(lua, message));
    }
    if offset > len {
        let message = format!(
            "Start offset {} greater than input length {}.",
            lauxlib::c_int_text(offset),
            lauxlib::c_int_text(len)
        );
        return Err(lauxlib::error(lua, message));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let start = usize::try_from(offset).unwrap_or(0);
    let mut decoder = Decoder {
        lua,
        data,
        pos: start,
        slots: args.count(),
        spill: Spill::new(),
    };
    let mut results = Vec::new();
    while decoder.pos < data.len() && i64::try_from(results.len()).unwrap_or(i64::MAX) < limit {
        match decoder.object()? {
            Ok(value) => results.push(value),
            Err(Malformed::Eof) => return Err(lauxlib::error(lua, "Missing bytes in input.")),
            Err(Malformed::BadFormat) => {
                return Err(lauxlib::error(lua, "Bad data format in input."))
            }
        }
        decoder.slots += 1;
    }
    if !decode_all {
        lauxlib::check_stack(lua, decoder.slots, 1, "in function mp_unpack_full")?;
        let next = if decoder.pos == data.len() {
            -1
        } else {
            decoder.pos as i64
        };
        results.insert(0, Value::Number(next as f64));
    }
    Ok(MultiValue::from_iter(results))
}

/// Why the bytes are not MessagePack.
enum Malformed {
    Eof,
    BadFormat,
}

/// A container being filled.
enum Frame {
    Array {
        remaining: u64,
        next_index: f64,
    },
    /// `key` is the key read when `Some`, waiting for its value.
    Map {
        remaining: u64,
        has_key: bool,
    },
}

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    /// Lua stack slots the C decoder holds.
    slots: i64,
    spill: Spill,
}

/// What one header byte starts.
enum Item {
    Value(Value),
    Array(u64),
    Map(u64),
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Malformed> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len());
        let end = end.ok_or(Malformed::Eof)?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let mut bytes = [0u8; N];
        bytes.copy_from_slice(self.take(N)?);
        Ok(bytes)
    }

    /// One complete object (nested containers included), iteratively:
    /// open containers are frames, their tables wait in the spill, and
    /// the innermost table and pending map key are held here.
    fn object(&mut self) -> mlua::Result<Result<Value, Malformed>> {
        let mut frames: Vec<Frame> = Vec::new();
        let mut open: Option<Table> = None;
        let mut key: Value = Value::Nil;
        loop {
            // An item is read with the C stack holding `self.slots` slots.
            if self.pos >= self.data.len() {
                return Ok(Err(Malformed::Eof));
            }
            lauxlib::check_stack(
                self.lua,
                self.slots,
                1,
                "too many return values at once; use unpack_one or unpack_limit instead.",
            )?;
            let mut value = match self.item()? {
                Err(malformed) => return Ok(Err(malformed)),
                Ok(Item::Value(value)) => value,
                Ok(Item::Array(len)) => {
                    let table = self.lua.create_table()?;
                    lauxlib::check_stack(
                        self.lua,
                        self.slots + 1,
                        1,
                        "in function mp_decode_to_lua_array",
                    )?;
                    if len == 0 {
                        Value::Table(table)
                    } else {
                        self.descend(&mut open, &mut key, table)?;
                        frames.push(Frame::Array {
                            remaining: len,
                            next_index: 1.0,
                        });
                        // The table and the index pushed before the element.
                        self.slots += 2;
                        continue;
                    }
                }
                Ok(Item::Map(len)) => {
                    let table = self.lua.create_table()?;
                    if len == 0 {
                        Value::Table(table)
                    } else {
                        self.descend(&mut open, &mut key, table)?;
                        frames.push(Frame::Map {
                            remaining: len,
                            has_key: false,
                        });
                        self.slots += 1;
                        continue;
                    }
                }
            };
            // Store the value; close every container it completes.
            loop {
                let Some(frame) = frames.last_mut() else {
                    return Ok(Ok(value));
                };
                let Some(table) = open.as_ref() else {
                    return Err(mlua::Error::runtime("cmsgpack: no open container"));
                };
                let complete = match frame {
                    Frame::Array {
                        remaining,
                        next_index,
                    } => {
                        table.raw_set(*next_index, value)?;
                        *next_index += 1.0;
                        *remaining -= 1;
                        *remaining == 0
                    }
                    Frame::Map { remaining, has_key } => {
                        if *has_key {
                            store(table, std::mem::replace(&mut key, Value::Nil), value)?;
                            *has_key = false;
                            self.slots -= 1;
                            *remaining -= 1;
                            *remaining == 0
                        } else {
                            key = value;
                            *has_key = true;
                            self.slots += 1;
                            false
                        }
                    }
                };
                if !complete {
                    break;
                }
                let finished = frames.pop();
                self.slots -= match finished {
                    Some(Frame::Array { .. }) => 2,
                    _ => 1,
                };
                value = Value::Table(self.ascend(&mut open, &mut key, !frames.is_empty())?);
            }
        }
    }

    /// Parks the open container (and its pending key) and opens `table`.
    fn descend(
        &mut self,
        open: &mut Option<Table>,
        key: &mut Value,
        table: Table,
    ) -> mlua::Result<()> {
        if let Some(parent) = open.take() {
            self.spill.push(self.lua, Value::Table(parent))?;
            self.spill
                .push(self.lua, std::mem::replace(key, Value::Nil))?;
        }
        *open = Some(table);
        Ok(())
    }

    /// Returns the finished innermost table and reopens its parent.
    fn ascend(
        &mut self,
        open: &mut Option<Table>,
        key: &mut Value,
        has_parent: bool,
    ) -> mlua::Result<Table> {
        let finished = open.take();
        if has_parent {
            *key = self.spill.pop()?;
            if let Value::Table(parent) = self.spill.pop()? {
                *open = Some(parent);
            }
        }
        finished.ok_or_else(|| mlua::Error::runtime("cmsgpack: no open container"))
    }

    /// Reads one item: a scalar whole, a container's header.
    fn item(&mut self) -> mlua::Result<Result<Item, Malformed>> {
        Ok(match self.header() {
            Ok(Header::Item(item)) => Ok(item),
            Ok(Header::Bytes(start, end)) => {
                let string = self.lua.create_string(&self.data[start..end])?;
                Ok(Item::Value(Value::String(string)))
            }
            Err(malformed) => Err(malformed),
        })
    }

    fn header(&mut self) -> Result<Header, Malformed> {
        let tag = self.take_array::<1>()?[0];
        let item = match tag {
            0xc0 => Item::Value(Value::Nil),
            0xc3 => Item::Value(Value::Boolean(true)),
            0xc2 => Item::Value(Value::Boolean(false)),
            0xa0..=0xbf => return self.bytes(u32::from(tag & 0x1f)),
            0xd9 => {
                let len = self.take_array::<1>()?[0];
                return self.bytes(len.into());
            }
            0xda => {
                let len = u16::from_be_bytes(self.take_array()?);
                return self.bytes(len.into());
            }
            0xdb => {
                let len = u32::from_be_bytes(self.take_array()?);
                return self.bytes(len);
            }
            0x90..=0x9f => Item::Array(u64::from(tag & 0xf)),
            0xdc => Item::Array(u16::from_be_bytes(self.take_array()?).into()),
            0xdd => Item::Array(u32::from_be_bytes(self.take_array()?).into()),
            0x80..=0x8f => Item::Map(u64::from(tag & 0xf)),
            0xde => Item::Map(u16::from_be_bytes(self.take_array()?).into()),
            0xdf => Item::Map(u32::from_be_bytes(self.take_array()?).into()),
            _ => Item::Value(Value::Number(self.number(tag)?)),
        };
        Ok(Header::Item(item))
    }

    /// The number a tag starts (and its payload).
    fn number(&mut self, tag: u8) -> Result<f64, Malformed> {
        Ok(match tag {
            0x00..=0x7f => f64::from(tag),
            0xe0..=0xff => f64::from(tag as i8),
            0xcc => f64::from(self.take_array::<1>()?[0]),
            0xd0 => f64::from(self.take_array::<1>()?[0] as i8),
            0xcd => f64::from(u16::from_be_bytes(self.take_array()?)),
            0xd1 => f64::from(i16::from_be_bytes(self.take_array()?)),
            0xce => f64::from(u32::from_be_bytes(self.take_array()?)),
            0xd2 => f64::from(i32::from_be_bytes(self.take_array()?)),
            // lua_pushinteger sees the uint64 as a signed integer.
            0xcf => u64::from_be_bytes(self.take_array()?) as i64 as f64,
            0xd3 => i64::from_be_bytes(self.take_array()?) as f64,
            0xca => f64::from(f32::from_be_bytes(self.take_array()?)),
            0xcb => f64::from_be_bytes(self.take_array()?),
            _ => return Err(Malformed::BadFormat),
        })
    }

    /// The byte range of a string payload of `len` bytes.
    fn bytes(&mut self, len: u32) -> Result<Header, Malformed> {
        let start = self.pos;
        self.take(usize::try_from(len).unwrap_or(usize::MAX))?;
        Ok(Header::Bytes(start, self.pos))
    }
}

/// What a header byte (and what follows it) holds.
enum Header {
    Item(Item),
    /// A string's bytes, `data[start..end]`.
    Bytes(usize, usize),
}

/// `lua_settable` on a fresh table: a nil or NaN key is an error.
fn store(table: &Table, key: Value, value: Value) -> mlua::Result<()> {
    match key {
        Value::Nil => Err(lauxlib::raw_error(b"table index is nil".to_vec())),
        Value::Number(n) if n.is_nan() => Err(lauxlib::raw_error(b"table index is NaN".to_vec())),
        key => table.raw_set(key, value),
    }
}
