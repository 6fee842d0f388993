//! `cjson.decode`: JSON text to Lua values, as lua-cjson reads it.
//!
//! The C parser works on a NUL-terminated string, so a NUL byte ends the
//! input wherever it appears. Numbers go through `strtod`, so with
//! `decode_invalid_numbers` on (the default) `+1`, `0x1F`, `Infinity` and
//! `NaN` are numbers too. `null` is the `cjson.null` light userdata.
//! Errors name the expected and the found token and a 1-based position.
//!
//! The parser is iterative: open arrays and objects are a stack of
//! [`Frame`]s, their tables wait in a [`Spill`], and the Lua stack slots
//! the recursive C parser would hold are counted so that nesting fails
//! where it does in Redis (`decode_max_depth`, or the C stack limit).

use mlua::{Lua, Table, Value};

use super::number::strtod;
use super::{null, Config};
use crate::scripting::libs::lauxlib::{self, c_int_text};
use crate::scripting::libs::spill::Spill;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String(Vec<u8>),
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Kind {
    /// How an error message names the token.
    fn describe(&self) -> &'static str {
        match self {
            Kind::ObjBegin => "T_OBJ_BEGIN",
            Kind::ObjEnd => "T_OBJ_END",
            Kind::ArrBegin => "T_ARR_BEGIN",
            Kind::ArrEnd => "T_ARR_END",
            Kind::String(_) => "T_STRING",
            Kind::Number(_) => "T_NUMBER",
            Kind::Boolean(_) => "T_BOOLEAN",
            Kind::Null => "T_NULL",
            Kind::Colon => "T_COLON",
            Kind::Comma => "T_COMMA",
            Kind::End => "T_END",
            Kind::Error(reason) => reason,
        }
    }
}

struct Token {
    kind: Kind,
    /// 0-based offset where the token (or the error) is.
    index: usize,
}

/// One array or object being filled.
enum Frame {
    Array { next_index: i64 },
    Object,
}

/// The innermost container and, for an object, the key of the value
/// being parsed.
struct Open {
    table: Table,
    key: Option<Value>,
}

struct Parser<'a> {
    lua: &'a Lua,
    config: &'a Config,
    data: &'a [u8],
    pos: usize,
    depth: i64,
    /// The Lua stack slots the C parser would hold (the argument first).
    slots: i64,
    frames: Vec<Frame>,
    open: Option<Open>,
    spill: Spill,
}

/// Decodes `data`, or fails with the C library's error.
pub fn decode(lua: &Lua, config: &Config, data: &[u8]) -> mlua::Result<Value> {
    if matches!(data, [0, _, ..] | [_, 0, ..]) {
        return Err(lauxlib::error(
            lua,
            "JSON parser does not support UTF-16 or UTF-32",
        ));
    }
    let mut parser = Parser {
        lua,
        config,
        data,
        pos: 0,
        depth: 0,
        slots: 1,
        frames: Vec::new(),
        open: None,
        spill: Spill::new(),
    };
    parser.run()
}

/// Where the parser stands.
enum State {
    /// `token` must be a value (or open one).
    Value(Token),
    /// A value is complete and goes into its container.
    Complete(Value),
    /// The whole input was this value.
    Finished(Value),
}

impl Parser<'_> {
    fn byte(&self, at: usize) -> u8 {
        self.data.get(at).copied().unwrap_or(0)
    }

    fn run(&mut self) -> mlua::Result<Value> {
        let mut state = State::Value(self.next_token());
        loop {
            state = match state {
                State::Value(token) => self.process_value(token)?,
                State::Complete(value) => self.complete(value)?,
                State::Finished(value) => return Ok(value),
            };
        }
    }

    /// `json_process_value`: a scalar is complete at once; `[` and `{`
    /// open a container.
    fn process_value(&mut self, token: Token) -> mlua::Result<State> {
        let value = match token.kind {
            Kind::String(bytes) => Value::String(self.lua.create_string(bytes)?),
            Kind::Number(number) => Value::Number(number),
            Kind::Boolean(b) => Value::Boolean(b),
            Kind::Null => null(),
            Kind::ArrBegin => {
                self.open_container(Frame::Array { next_index: 1 }, 2)?;
                let first = self.next_token();
                if first.kind == Kind::ArrEnd {
                    return Ok(State::Complete(self.close()?));
                }
                return Ok(State::Value(first));
            }
            Kind::ObjBegin => {
                self.open_container(Frame::Object, 3)?;
                let first = self.next_token();
                if first.kind == Kind::ObjEnd {
                    return Ok(State::Complete(self.close()?));
                }
                return self.object_key(first);
            }
            _ => return Err(self.parse_error("value", &token)),
        };
        Ok(State::Complete(value))
    }

    /// Stores a complete value in the open container (or ends the parse)
    /// and reads what follows it.
    fn complete(&mut self, value: Value) -> mlua::Result<State> {
        match self.frames.last_mut() {
            None => {
                let token = self.next_token();
                if token.kind != Kind::End {
                    return Err(self.parse_error("the end", &token));
                }
                Ok(State::Finished(value))
            }
            Some(Frame::Array { next_index }) => {
                let index = *next_index;
                *next_index += 1;
                self.open_table()?.raw_set(index, value)?;
                let token = self.next_token();
                match token.kind {
                    Kind::ArrEnd => Ok(State::Complete(self.close()?)),
                    Kind::Comma => Ok(State::Value(self.next_token())),
                    _ => Err(self.parse_error("comma or array end", &token)),
                }
            }
            Some(Frame::Object) => {
                let key = self
                    .open
                    .as_mut()
                    .and_then(|open| open.key.take())
                    .unwrap_or(Value::Nil);
                self.open_table()?.raw_set(key, value)?;
                self.slots -= 1;
                let token = self.next_token();
                match token.kind {
                    Kind::ObjEnd => Ok(State::Complete(self.close()?)),
                    Kind::Comma => {
                        let key = self.next_token();
                        self.object_key(key)
                    }
                    _ => Err(self.parse_error("comma or object end", &token)),
                }
            }
        }
    }

    /// A key string and its colon; the value token comes next.
    fn object_key(&mut self, token: Token) -> mlua::Result<State> {
        let Kind::String(bytes) = token.kind else {
            return Err(self.parse_error("object key string", &token));
        };
        let key = Value::String(self.lua.create_string(bytes)?);
        if let Some(open) = self.open.as_mut() {
            open.key = Some(key);
        }
        self.slots += 1;
        let colon = self.next_token();
        if colon.kind != Kind::Colon {
            return Err(self.parse_error("colon", &colon));
        }
        Ok(State::Value(self.next_token()))
    }

    fn open_table(&self) -> mlua::Result<&Table> {
        match &self.open {
            Some(open) => Ok(&open.table),
            None => Err(mlua::Error::runtime("cjson: no open container")),
        }
    }

    /// `json_decode_descend` and the new table: fails past
    /// `decode_max_depth` or when `needed` more stack slots do not fit.
    fn open_container(&mut self, frame: Frame, needed: i64) -> mlua::Result<()> {
        self.depth += 1;
        let within_depth = self.depth <= i64::from(self.config.decode_max_depth);
        if !(within_depth && lauxlib::stack_fits(self.slots, needed)) {
            let at = i64::try_from(self.pos).unwrap_or(i64::MAX);
            let message = format!(
                "Found too many nested data structures ({}) at character {}",
                c_int_text(self.depth),
                c_int_text(at)
            );
            return Err(lauxlib::error(self.lua, message));
        }
        let table = self.lua.create_table()?;
        if let Some(parent) = self.open.take() {
            self.spill.push(self.lua, Value::Table(parent.table))?;
            self.spill
                .push(self.lua, parent.key.unwrap_or(Value::Nil))?;
        }
        self.open = Some(Open { table, key: None });
        self.frames.push(frame);
        self.slots += 1;
        Ok(())
    }

    /// Ends the innermost container, reopens its parent and returns the
    /// finished table.
    fn close(&mut self) -> mlua::Result<Value> {
        self.frames.pop();
        self.depth -= 1;
        self.slots -= 1;
        let table = self.open.take().map(|open| open.table);
        if !self.frames.is_empty() {
            let key = self.spill.pop()?;
            if let Value::Table(parent) = self.spill.pop()? {
                let key = (!key.is_nil()).then_some(key);
                self.open = Some(Open { table: parent, key });
            }
        }
        Ok(table.map_or(Value::Nil, Value::Table))
    }

    /// "Expected <what> but found <token> at character <n>".
    fn parse_error(&self, expected: &str, token: &Token) -> mlua::Error {
        let at = i64::try_from(token.index)
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        let message = format!(
            "Expected {expected} but found {} at character {}",
            token.kind.describe(),
            c_int_text(at)
        );
        lauxlib::error(self.lua, message)
    }

    /// `json_next_token`.
    fn next_token(&mut self) -> Token {
        while matches!(self.byte(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let single = match self.byte(index) {
            b'{' => Some(Kind::ObjBegin),
            b'}' => Some(Kind::ObjEnd),
            b'[' => Some(Kind::ArrBegin),
            b']' => Some(Kind::ArrEnd),
            b',' => Some(Kind::Comma),
            b':' => Some(Kind::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            self.pos += 1;
            return Token { kind, index };
        }
        match self.byte(index) {
            0 => Token {
                kind: Kind::End,
                index,
            },
            b'"' => self.string_token(),
            b'-' | b'0'..=b'9' => {
                if self.config.decode_invalid_numbers == 0 && self.is_invalid_number() {
                    return Token {
                        kind: Kind::Error("invalid number"),
                        index,
                    };
                }
                self.number_token()
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => self.word_token(),
            _ => Token {
                kind: Kind::Error("invalid token"),
                index,
            },
        }
    }

    /// `true`, `false`, `null`, or (invalid numbers allowed) `inf`, `nan`,
    /// `+1`.
    fn word_token(&mut self) -> Token {
        let index = self.pos;
        let rest = &self.data[index.min(self.data.len())..];
        let words: [(&[u8], Kind); 3] = [
            (b"true", Kind::Boolean(true)),
            (b"false", Kind::Boolean(false)),
            (b"null", Kind::Null),
        ];
        for (word, kind) in words {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Token { kind, index };
            }
        }
        if self.config.decode_invalid_numbers != 0 && self.is_invalid_number() {
            return self.number_token();
        }
        Token {
            kind: Kind::Error("invalid token"),
            index,
        }
    }

    /// `json_is_invalid_number`: forms `strtod` takes that JSON does not
    /// (leading `+`, leading zeros, hex, `inf`, `nan`).
    fn is_invalid_number(&self) -> bool {
        let mut at = self.pos;
        match self.byte(at) {
            b'+' => return true,
            b'-' => at += 1,
            _ => {}
        }
        let first = self.byte(at);
        if first == b'0' {
            let second = self.byte(at + 1);
            return second | 0x20 == b'x' || second.is_ascii_digit();
        }
        // The C code compares a signed char: bytes >= 0x80 are "<= '9'".
        if (first as i8) <= b'9' as i8 {
            return false;
        }
        let word = [first, self.byte(at + 1), self.byte(at + 2)];
        word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan")
    }

    fn number_token(&mut self) -> Token {
        let index = self.pos;
        match strtod(&self.data[index.min(self.data.len())..]) {
            Some((number, used)) => {
                self.pos += used;
                Token {
                    kind: Kind::Number(number),
                    index,
                }
            }
            None => Token {
                kind: Kind::Error("invalid number"),
                index,
            },
        }
    }

    /// `json_next_string_token`: the position is on the opening quote.
    fn string_token(&mut self) -> Token {
        let start = self.pos;
        self.pos += 1;
        let mut bytes = Vec::new();
        loop {
            let ch = self.byte(self.pos);
            match ch {
                b'"' => break,
                0 => return self.error_here("unexpected end of string"),
                b'\\' => {
                    let escaped = match self.byte(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => 0x0c,
                        b'r' => b'\r',
                        b'u' => {
                            if !self.unicode_escape(&mut bytes) {
                                return self.error_here("invalid unicode escape code");
                            }
                            continue;
                        }
                        _ => return self.error_here("invalid escape code"),
                    };
                    bytes.push(escaped);
                    self.pos += 2;
                }
                _ => {
                    bytes.push(ch);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Token {
            kind: Kind::String(bytes),
            index: start,
        }
    }

    fn error_here(&self, reason: &'static str) -> Token {
        Token {
            kind: Kind::Error(reason),
            index: self.pos,
        }
    }

    /// The four hex digits at `at` (any non-hex byte, NUL included, fails).
    fn hex4(&self, at: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, i| {
            let digit = char::from(self.byte(at + i)).to_digit(16)?;
            Some((acc << 4) | digit)
        })
    }

    /// `json_append_unicode_escape` at a `\u`: a UTF-16 unit (or a
    /// surrogate pair) as UTF-8; false when malformed.
    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(mut codepoint) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut length = 6;
        if codepoint & 0xF800 == 0xD800 {
            if codepoint & 0x400 != 0 {
                return false;
            }
            if self.byte(self.pos + 6) != b'\\' || self.byte(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            codepoint = (((codepoint & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            length = 12;
        }
        append_utf8(out, codepoint);
        self.pos += length;
        true
    }
}

/// A code point (at most 0x10FFFF here) as UTF-8, surrogates included.
fn append_utf8(out: &mut Vec<u8>, codepoint: u32) {
    // Masked to a byte before narrowing, so the casts are exact.
    let byte = |value: u32| (value & 0xFF) as u8;
    if codepoint <= 0x7F {
        out.push(byte(codepoint));
    } else if codepoint <= 0x7FF {
        out.extend_from_slice(&[
            byte((codepoint >> 6) | 0xC0),
            byte((codepoint & 0x3F) | 0x80),
        ]);
    } else if codepoint <= 0xFFFF {
        out.extend_from_slice(&[
            byte((codepoint >> 12) | 0xE0),
            byte(((codepoint >> 6) & 0x3F) | 0x80),
            byte((codepoint & 0x3F) | 0x80),
        ]);
    } else {
        out.extend_from_slice(&[
            byte((codepoint >> 18) | 0xF0),
            byte(((codepoint >> 12) & 0x3F) | 0x80),
            byte(((codepoint >> 6) & 0x3F) | 0x80),
            byte((codepoint & 0x3F) | 0x80),
        ]);
    }
}
