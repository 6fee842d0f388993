//! `struct`: Roberto Ierusalimschy's struct library (`pack`, `unpack`,
//! `size`) as Redis builds it for x86-64.
//!
//! A format is read as a C string (it ends at a NUL byte). Options:
//! `b/B` 1 byte, `h/H` 2, `l/L` and `T` 8, `i/I[n]` n bytes (default 4, at
//! most 32; lower case signed), `f` float, `d` double, `c[n]` n chars
//! (`c0`: the whole string when packing, the previous number as length
//! when unpacking), `s` zero-terminated string, `x` a zero byte, `<` `>`
//! endianness, `![n]` maximum alignment (default 8), space ignored.
//!
//! The C quirks scripts can observe are kept: numbers go to integers
//! through the casts x86-64 executes, integers wider than 8 bytes are
//! zero-filled, and a missing `pack` argument is "got nil" (the C code
//! finds the nil it pushed after its arguments).

use mlua::{Lua, MultiValue, Table, Value};

use super::lauxlib::{self, c_double_to_i64, c_double_to_u64, Args, MAX_C_STACK};

/// The `struct` module table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    // luaL_register presizes the table; `pairs` order depends on it.
    let module = lua.create_table_with_capacity(0, 3)?;
    module.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| pack(lua, Args::new(args)))?,
    )?;
    module.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| unpack(lua, Args::new(args)))?,
    )?;
    module.raw_set(
        "size",
        lua.create_function(|lua, args: MultiValue| size(lua, Args::new(args)))?,
    )?;
    Ok(module)
}

/// Largest integer option size.
const MAX_INT_SIZE: i64 = 32;
/// Default `!` alignment: the alignment of a double.
const MAX_ALIGN: i64 = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endian {
    Big,
    Little,
}

/// The state a format sets as it goes.
struct Header {
    endian: Endian,
    align: i64,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// A format string being read, one option at a time.
struct Format<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Format<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Format {
            bytes: &bytes[..end],
            pos: 0,
        }
    }

    fn next_option(&mut self) -> Option<u8> {
        let option = self.bytes.get(self.pos).copied()?;
        self.pos += 1;
        Some(option)
    }

    /// `getnum`: a decimal count after an option, or `default`.
    fn number(&mut self, lua: &Lua, default: i64) -> mlua::Result<i64> {
        if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut value: i64 = 0;
        while let Some(digit) = self.bytes.get(self.pos).filter(|b| b.is_ascii_digit()) {
            let digit = i64::from(digit - b'0');
            let max = i64::from(i32::MAX);
            if value > max / 10 || value * 10 > max - digit {
                return Err(lauxlib::error(lua, "integral size overflow"));
            }
            value = value * 10 + digit;
            self.pos += 1;
        }
        Ok(value)
    }

    /// `optsize`: the size an option takes (0 for the ones that take none
    /// or whose size depends on data).
    fn size_of(&mut self, lua: &Lua, option: u8) -> mlua::Result<i64> {
        Ok(match option {
            b'B' | b'b' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'x' => 1,
            b'c' => self.number(lua, 1)?,
            b'i' | b'I' => {
                let size = self.number(lua, 4)?;
                if size > MAX_INT_SIZE {
                    let message =
                        format!("integral size {size} is larger than limit of {MAX_INT_SIZE}");
                    return Err(lauxlib::error(lua, message));
                }
                size
            }
            _ => 0,
        })
    }

    /// `controloptions`: endianness, alignment, spaces; anything else is
    /// an invalid option.
    fn control(&mut self, lua: &Lua, option: u8, header: &mut Header) -> mlua::Result<()> {
        match option {
            b' ' => {}
            b'>' => header.endian = Endian::Big,
            b'<' => header.endian = Endian::Little,
            b'!' => {
                let align = self.number(lua, MAX_ALIGN)?;
                if !(align > 0 && align & (align - 1) == 0) {
                    return Err(lauxlib::error(
                        lua,
                        format!("alignment {align} is not a power of 2"),
                    ));
                }
                header.align = align;
            }
            _ => {
                let mut message = b"invalid format option '".to_vec();
                message.push(option);
                message.push(b'\'');
                return Err(lauxlib::arg_error(lua, 1, message));
            }
        }
        Ok(())
    }
}

/// `gettoalign`: padding before an item of `size` at offset `len`.
fn padding(len: u64, header: &Header, option: u8, size: i64) -> u64 {
    if size == 0 || option == b'c' {
        return 0;
    }
    let size = size.min(header.align) as u64;
    (size.wrapping_sub(len & size.wrapping_sub(1))) & size.wrapping_sub(1)
}

fn is_integer_option(option: u8) -> bool {
    matches!(
        option,
        b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I'
    )
}

/// Argument `n` of `pack` as the C code reads it: past the last argument
/// sits the nil it pushes before its output buffer (reading stops with an
/// error there, so nothing further is ever reached).
fn pack_arg(args: &Args, n: i64) -> Option<Value> {
    if n == args.count() + 1 {
        return Some(Value::Nil);
    }
    args.get(n).cloned()
}

fn pack(lua: &Lua, args: Args) -> mlua::Result<MultiValue> {
    let format = lauxlib::check_lstring(lua, &args, 1)?;
    let format_bytes = format.as_bytes();
    let mut format = Format::new(&format_bytes);
    let mut header = Header::default();
    let mut out: Vec<u8> = Vec::new();
    let mut arg = 2;
    let mut total: u64 = 0;
    while let Some(option) = format.next_option() {
        let mut size = format.size_of(lua, option)?;
        let pad = padding(total, &header, option, size);
        total = total.wrapping_add(pad);
        out.resize(out.len() + pad as usize, 0);
        match option {
            _ if is_integer_option(option) => {
                let number = pack_number(lua, &args, arg)?;
                arg += 1;
                out.extend_from_slice(&integer_bytes(number, header.endian, size));
            }
            b'x' => out.push(0),
            b'f' => {
                let number = pack_number(lua, &args, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&match header.endian {
                    Endian::Little => number.to_le_bytes(),
                    Endian::Big => number.to_be_bytes(),
                });
            }
            b'd' => {
                let number = pack_number(lua, &args, arg)?;
                arg += 1;
                out.extend_from_slice(&match header.endian {
                    Endian::Little => number.to_le_bytes(),
                    Endian::Big => number.to_be_bytes(),
                });
            }
            b'c' | b's' => {
                let value = pack_arg(&args, arg);
                let Some(text) = lauxlib::to_lstring(lua, value.as_ref())? else {
                    return Err(lauxlib::type_error(lua, arg, "string", value.as_ref()));
                };
                arg += 1;
                let text = text.as_bytes();
                let len = i64::try_from(text.len()).unwrap_or(i64::MAX);
                if size == 0 {
                    size = len;
                }
                // The C code checks after moving to the next argument.
                lauxlib::arg_check(lua, len >= size, arg, "string too short")?;
                let size_bytes = usize::try_from(size).unwrap_or(0);
                out.extend_from_slice(&text[..size_bytes.min(text.len())]);
                if option == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => format.control(lua, option, &mut header)?,
        }
        total = total.wrapping_add(size as u64);
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&out)?,
    )]))
}

/// `luaL_checknumber` on argument `n` of `pack`.
fn pack_number(lua: &Lua, args: &Args, n: i64) -> mlua::Result<f64> {
    let value = pack_arg(args, n);
    match lauxlib::to_number(lua, value.as_ref())? {
        Some(number) => Ok(number),
        None => Err(lauxlib::type_error(lua, n, "number", value.as_ref())),
    }
}

/// `putinteger`: the number as a `size`-byte integer; past 8 bytes the
/// extra bytes are zero, whatever the sign.
fn integer_bytes(number: f64, endian: Endian, size: i64) -> Vec<u8> {
    let mut value = if number < 0.0 {
        c_double_to_i64(number) as u64
    } else {
        c_double_to_u64(number)
    };
    let size = usize::try_from(size).unwrap_or(0);
    let mut bytes = vec![0u8; size];
    for byte in bytes.iter_mut() {
        *byte = (value & 0xFF) as u8;
        value >>= 8;
    }
    if endian == Endian::Big {
        bytes.reverse();
    }
    bytes
}

/// `getinteger`: `size` bytes as an unsigned or sign-extended integer.
/// Only the last 8 bytes read count; the sign mask is computed with the
/// shift count x86-64 applies (modulo 64).
fn integer_value(bytes: &[u8], endian: Endian, signed: bool) -> f64 {
    let mut value: u64 = 0;
    let mut add = |b: &u8| value = (value << 8) | u64::from(*b);
    match endian {
        Endian::Big => bytes.iter().for_each(&mut add),
        Endian::Little => bytes.iter().rev().for_each(&mut add),
    }
    if !signed {
        return value as f64;
    }
    let bits = (bytes.len() as u64).wrapping_mul(8).wrapping_sub(1) & 63;
    let mask = u64::MAX << bits;
    if value & mask != 0 {
        value |= mask;
    }
    value as i64 as f64
}

fn unpack(lua: &Lua, args: Args) -> mlua::Result<MultiValue> {
    let format = lauxlib::check_lstring(lua, &args, 1)?;
    let data = lauxlib::check_lstring(lua, &args, 2)?;
    let data = data.as_bytes();
    let data_len = data.len() as u64;
    let start = lauxlib::opt_integer(lua, &args, 3, 1)? as u64;
    lauxlib::arg_check(lua, start > 0, 3, "offset must be 1 or greater")?;
    let mut pos = start - 1;
    let format_bytes = format.as_bytes();
    let mut format = Format::new(&format_bytes);
    let mut header = Header::default();
    let mut results: Vec<Value> = Vec::new();
    while let Some(option) = format.next_option() {
        let mut size = format.size_of(lua, option)? as u64;
        pos = pos.wrapping_add(padding(pos, &header, option, size as i64));
        let fits = |pos: u64, size: u64| size <= data_len && pos <= data_len - size;
        lauxlib::arg_check(lua, fits(pos, size), 2, "data string too short")?;
        let used = args.count() + i64::try_from(results.len()).unwrap_or(MAX_C_STACK);
        lauxlib::check_stack(lua, used, 2, "too many results")?;
        match option {
            _ if is_integer_option(option) => {
                let bytes = field(&data, pos, size);
                let signed = option.is_ascii_lowercase();
                results.push(Value::Number(integer_value(bytes, header.endian, signed)));
            }
            b'x' => {}
            b'f' => {
                let raw = <[u8; 4]>::try_from(field(&data, pos, 4)).unwrap_or_default();
                let number = match header.endian {
                    Endian::Little => f32::from_le_bytes(raw),
                    Endian::Big => f32::from_be_bytes(raw),
                };
                results.push(Value::Number(f64::from(number)));
            }
            b'd' => {
                let raw = <[u8; 8]>::try_from(field(&data, pos, 8)).unwrap_or_default();
                let number = match header.endian {
                    Endian::Little => f64::from_le_bytes(raw),
                    Endian::Big => f64::from_be_bytes(raw),
                };
                results.push(Value::Number(number));
            }
            b'c' => {
                if size == 0 {
                    size = previous_length(lua, &mut results)?;
                    lauxlib::arg_check(lua, fits(pos, size), 2, "data string too short")?;
                }
                results.push(Value::String(lua.create_string(field(&data, pos, size))?));
            }
            b's' => {
                let rest = field(&data, pos, data_len - pos);
                let Some(len) = rest.iter().position(|&b| b == 0) else {
                    return Err(lauxlib::error(lua, "unfinished string in data"));
                };
                results.push(Value::String(lua.create_string(&rest[..len])?));
                size = len as u64 + 1;
            }
            _ => format.control(lua, option, &mut header)?,
        }
        pos = pos.wrapping_add(size);
    }
    results.push(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(MultiValue::from_iter(results))
}

/// The `size` bytes of `data` at `pos` (a range already checked to fit).
fn field(data: &[u8], pos: u64, size: u64) -> &[u8] {
    let start = usize::try_from(pos).unwrap_or(usize::MAX);
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    data.get(start..)
        .and_then(|rest| rest.get(..len))
        .unwrap_or_default()
}

/// `c0` when unpacking: the previous result, which must be a number, is
/// the length (and is dropped).
fn previous_length(lua: &Lua, results: &mut Vec<Value>) -> mlua::Result<u64> {
    let number = match results.last() {
        Some(last) => lauxlib::to_number(lua, Some(last))?,
        None => None,
    };
    let Some(number) = number else {
        return Err(lauxlib::error(lua, "format 'c0' needs a previous size"));
    };
    results.pop();
    Ok(c_double_to_u64(number))
}

fn size(lua: &Lua, args: Args) -> mlua::Result<MultiValue> {
    let format = lauxlib::check_lstring(lua, &args, 1)?;
    let format_bytes = format.as_bytes();
    let mut format = Format::new(&format_bytes);
    let mut header = Header::default();
    let mut pos: u64 = 0;
    while let Some(option) = format.next_option() {
        let size = format.size_of(lua, option)?;
        pos = pos.wrapping_add(padding(pos, &header, option, size));
        if option == b's' {
            return Err(lauxlib::arg_error(lua, 1, "option 's' has no fixed size"));
        }
        if option == b'c' && size == 0 {
            return Err(lauxlib::arg_error(lua, 1, "option 'c0' has no fixed size"));
        }
        if !option.is_ascii_alphanumeric() {
            format.control(lua, option, &mut header)?;
        }
        pos = pos.wrapping_add(size as u64);
    }
    Ok(MultiValue::from_iter([Value::Number(pos as i64 as f64)]))
}
