//! Values crossing between Lua and Redis, both ways, as Redis 7.0 converts
//! them.
//!
//! A command called from a script replies into the script's client like
//! into any other, in RESP2 or, after `redis.setresp(3)`, RESP3; the reply
//! bytes are read back here into Lua values ([`reply_to_lua`]): integers
//! become numbers, bulk strings strings, a null bulk or array `false`,
//! arrays tables, a status `{ok=...}`, an error `{err=...}`, and the RESP3
//! types `{map=...}`, `{set=...}`, `{double=...}`, `{big_number=...}`,
//! `{verbatim_string=...}`, booleans and nil.
//!
//! What a script returns is written to its caller ([`lua_to_reply`]):
//! strings as bulk strings, numbers truncated to integers, tables as
//! arrays up to the first nil, unless they hold an `err`, `ok`, `double`,
//! `big_number`, `verbatim_string`, `map` or `set` field. Nesting is bounded
//! as Lua's C stack bounds it in Redis (`-ERR reached lua stack limit`).

use crate::resp::reply::Reply;
use crate::util::{parse_i64, G17_MAX};
use mlua::{Lua, Table, Value};

/// Lua's `LUAI_MAXCSTACK`: the stack slots Redis's converter may use.
const LUA_STACK_LIMIT: usize = 8000;
/// Slots taken before the returned value is converted (the error handler
/// and the value itself).
const FIRST_SLOT: usize = 2;
/// The slots a conversion step makes sure it has (`lua_checkstack(lua, 4)`).
const SLOTS_PER_STEP: usize = 4;

/// The text of an error as a script sees it (`luaPushErrorBuff`): `-CODE
/// message` keeps its code, anything else gets `ERR`; the message is
/// trimmed of line breaks and ends at a NUL byte, as a C string would.
pub fn error_text(buf: &[u8]) -> Vec<u8> {
    let buf = until_nul(buf);
    let (code, msg): (&[u8], &[u8]) = match buf.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(at) => (
                rest.get(..at).unwrap_or_default(),
                rest.get(at + 1..).unwrap_or_default(),
            ),
            None => (b"ERR", rest),
        },
        None => (b"ERR", buf),
    };
    [code, b" ", trim_line_breaks(msg)].concat()
}

/// The bytes before the first NUL (what C string functions see).
pub fn until_nul(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(at) => s.get(..at).unwrap_or_default(),
        None => s,
    }
}

fn trim_line_breaks(mut s: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = s {
        s = rest;
    }
    s
}

/// `{err = text}`, the table a failed call gives a script; `counted` says
/// the error was already counted in INFO errorstats.
pub fn error_table(lua: &Lua, text: &[u8], counted: bool) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, 2)?;
    t.raw_set("err", lua.create_string(text)?)?;
    if counted {
        t.raw_set("ignore_error_stats_update", true)?;
    }
    Ok(t)
}

/// C's `%.17g` of a double, with glibc's `-nan` for a negative NaN.
pub fn double_text(buf: &mut [u8; G17_MAX], v: f64) -> &[u8] {
    if v.is_nan() && v.is_sign_negative() {
        return b"-nan";
    }
    crate::util::double_g17_text(buf, v)
}

/// C's `(long long)` of a double on x86: truncation, and the "integer
/// indefinite" value for NaN and anything out of range.
pub fn double_to_i64(v: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if v.is_nan() || !(-LIMIT..LIMIT).contains(&v) {
        i64::MIN
    } else {
        v as i64
    }
}

/// Reads a reply the script's client received into a Lua value.
pub fn reply_to_lua(lua: &Lua, reply: &[u8]) -> mlua::Result<Value> {
    let mut reader = ReplyReader { buf: reply, pos: 0 };
    reader.value(lua)
}

/// A cursor over RESP reply bytes written by this server (well formed,
/// so malformed input only has to stop safely, as nil).
struct ReplyReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ReplyReader<'a> {
    /// The rest of the current line after its type byte; moves past it.
    fn line(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(rest.len());
        self.pos += end + 2;
        rest.get(1..end).unwrap_or_default()
    }

    fn count(&mut self) -> i64 {
        parse_i64(self.line()).unwrap_or(0)
    }

    fn bulk(&mut self, len: usize) -> &'a [u8] {
        let bytes = self.buf.get(self.pos..self.pos + len).unwrap_or_default();
        self.pos += len + 2;
        bytes
    }

    fn value(&mut self, lua: &Lua) -> mlua::Result<Value> {
        let Some(&kind) = self.buf.get(self.pos) else {
            return Ok(Value::Nil);
        };
        Ok(match kind {
            b'+' => {
                let text = self.line();
                Value::Table(single_field(
                    lua,
                    "ok",
                    Value::String(lua.create_string(text)?),
                )?)
            }
            b'-' => {
                let text = [b"-", self.line()].concat();
                Value::Table(error_table(lua, &error_text(&text), true)?)
            }
            b':' => Value::Number(self.count() as f64),
            b'$' => match usize::try_from(self.count()) {
                Ok(len) => Value::String(lua.create_string(self.bulk(len))?),
                Err(_) => Value::Boolean(false),
            },
            b'*' | b'>' => match usize::try_from(self.count()) {
                Ok(n) => Value::Table(self.array(lua, n)?),
                Err(_) => Value::Boolean(false),
            },
            b'%' => {
                let n = usize::try_from(self.count()).unwrap_or(0);
                let map = lua.create_table_with_capacity(0, n)?;
                for _ in 0..n {
                    let key = self.value(lua)?;
                    let value = self.value(lua)?;
                    map.raw_set(key, value)?;
                }
                Value::Table(single_field(lua, "map", Value::Table(map))?)
            }
            b'~' => {
                let n = usize::try_from(self.count()).unwrap_or(0);
                let set = lua.create_table_with_capacity(0, n)?;
                for _ in 0..n {
                    let member = self.value(lua)?;
                    set.raw_set(member, true)?;
                }
                Value::Table(single_field(lua, "set", Value::Table(set))?)
            }
            b'_' => {
                self.line();
                Value::Nil
            }
            b'#' => Value::Boolean(self.line() == b"t"),
            b',' => {
                let text = String::from_utf8_lossy(self.line()).into_owned();
                let v = text.trim().parse::<f64>().unwrap_or(0.0);
                Value::Table(single_field(lua, "double", Value::Number(v))?)
            }
            b'(' => {
                let text = lua.create_string(self.line())?;
                Value::Table(single_field(lua, "big_number", Value::String(text))?)
            }
            b'=' => {
                let len = usize::try_from(self.count()).unwrap_or(0);
                let body = self.bulk(len);
                let (format, text) = (body.get(..3), body.get(4..));
                let verbatim = lua.create_table_with_capacity(0, 2)?;
                verbatim.raw_set("string", lua.create_string(text.unwrap_or_default())?)?;
                verbatim.raw_set("format", lua.create_string(format.unwrap_or_default())?)?;
                Value::Table(single_field(
                    lua,
                    "verbatim_string",
                    Value::Table(verbatim),
                )?)
            }
            b'|' => {
                // Attributes are not shown to scripts: skip to the reply.
                let n = usize::try_from(self.count()).unwrap_or(0);
                for _ in 0..2 * n {
                    self.value(lua)?;
                }
                self.value(lua)?
            }
            _ => {
                self.pos = self.buf.len();
                Value::Nil
            }
        })
    }

    fn array(&mut self, lua: &Lua, n: usize) -> mlua::Result<Table> {
        let t = lua.create_table_with_capacity(n, 0)?;
        for i in 1..=n {
            let v = self.value(lua)?;
            t.raw_set(i, v)?;
        }
        Ok(t)
    }
}

fn single_field(lua: &Lua, name: &str, value: Value) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set(name, value)?;
    Ok(t)
}

/// How a script's result reaches the caller: its protocol (`reply.resp3`)
/// and whether the script had switched to RESP3 (booleans then stay
/// booleans).
pub struct ReplyTarget<'r> {
    pub reply: &'r mut Reply,
    pub script_resp3: bool,
}

/// Writes what a script returned as its caller's reply.
pub fn lua_to_reply(value: Value, target: ReplyTarget) -> mlua::Result<()> {
    let ReplyTarget {
        reply,
        script_resp3,
    } = target;
    // Depth first, in order: each entry is a value and the Lua stack slot
    // it would sit in when Redis converts it.
    let mut work = vec![(value, FIRST_SLOT)];
    while let Some((value, slot)) = work.pop() {
        if slot + SLOTS_PER_STEP > LUA_STACK_LIMIT {
            reply.error("ERR reached lua stack limit");
            continue;
        }
        match value {
            Value::String(s) => reply.bulk(&s.as_bytes()),
            Value::Boolean(b) if script_resp3 => reply.boolean(b),
            Value::Boolean(true) => reply.int(1),
            Value::Boolean(false) => reply.null(),
            Value::Integer(i) => reply.int(i),
            Value::Number(n) => reply.int(double_to_i64(n)),
            Value::Table(t) => table_reply(t, slot, reply, &mut work)?,
            _ => reply.null(),
        }
    }
    Ok(())
}

/// A table returned by a script: one of the typed forms (error, status,
/// double, big number, verbatim string, map, set) or an array. Nested
/// values are queued on `work`.
fn table_reply(
    t: Table,
    slot: usize,
    reply: &mut Reply,
    work: &mut Vec<(Value, usize)>,
) -> mlua::Result<()> {
    if let Value::String(err) = t.raw_get("err")? {
        let counted = matches!(
            t.raw_get("ignore_error_stats_update")?,
            Value::Boolean(true)
        );
        let text = [b"-", trim_line_breaks(until_nul(&err.as_bytes()))].concat();
        if counted {
            reply.error_counted_elsewhere(&text);
        } else {
            reply.error(&text);
        }
        return Ok(());
    }
    if let Value::String(ok) = t.raw_get("ok")? {
        reply.status(until_nul(&ok.as_bytes()));
        return Ok(());
    }
    if let Some(v) = number_field(&t, "double")? {
        let mut buf = [0u8; G17_MAX];
        reply.double_text(double_text(&mut buf, v));
        return Ok(());
    }
    if let Value::String(n) = t.raw_get("big_number")? {
        let digits: Vec<u8> = n
            .as_bytes()
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        reply.big_number(&digits);
        return Ok(());
    }
    if let Value::Table(v) = t.raw_get("verbatim_string")? {
        if let (Value::String(format), Value::String(text)) =
            (v.raw_get("format")?, v.raw_get("string")?)
        {
            reply.verbatim_with_format(&text.as_bytes(), until_nul(&format.as_bytes()));
            return Ok(());
        }
    }
    if let Value::Table(map) = t.raw_get("map")? {
        let pairs = map
            .pairs::<Value, Value>()
            .collect::<mlua::Result<Vec<_>>>()?;
        reply.map(pairs.len());
        for (key, value) in pairs.into_iter().rev() {
            work.push((value, slot + 3));
            work.push((key, slot + 4));
        }
        return Ok(());
    }
    if let Value::Table(set) = t.raw_get("set")? {
        let members = set
            .pairs::<Value, Value>()
            .collect::<mlua::Result<Vec<_>>>()?;
        reply.set(members.len());
        for (member, _) in members.into_iter().rev() {
            work.push((member, slot + 3));
        }
        return Ok(());
    }
    let mut items = Vec::new();
    loop {
        match t.raw_get::<Value>(items.len() + 1)? {
            Value::Nil => break,
            v => items.push(v),
        }
    }
    reply.array(items.len());
    work.extend(items.into_iter().rev().map(|v| (v, slot + 1)));
    Ok(())
}

fn number_field(t: &Table, name: &str) -> mlua::Result<Option<f64>> {
    Ok(match t.raw_get(name)? {
        Value::Number(n) => Some(n),
        Value::Integer(i) => Some(i as f64),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_as_scripts_see_them() {
        assert_eq!(error_text(b"-WRONGTYPE Operation"), b"WRONGTYPE Operation");
        assert_eq!(error_text(b"-NOCODE"), b"ERR NOCODE");
        assert_eq!(error_text(b"plain message"), b"ERR plain message");
        assert_eq!(error_text(b"-"), b"ERR ");
        assert_eq!(error_text(b"-OOM msg.\r\n"), b"OOM msg.");
        assert_eq!(error_text(b"-X a\0b"), b"X a");
    }

    #[test]
    fn doubles_cast_like_c_on_x86() {
        assert_eq!(double_to_i64(3.99), 3);
        assert_eq!(double_to_i64(-3.99), -3);
        assert_eq!(double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(double_to_i64(1e300), i64::MIN);
        assert_eq!(double_to_i64(-9.223_372_036_854_776e18), i64::MIN);
    }

    fn to_reply(lua: &Lua, code: &str, resp3: bool) -> Vec<u8> {
        let value: Value = lua.load(code).eval().unwrap();
        let mut reply = Reply::default();
        reply.resp3 = resp3;
        lua_to_reply(
            value,
            ReplyTarget {
                reply: &mut reply,
                script_resp3: resp3,
            },
        )
        .unwrap();
        reply.buf
    }

    #[test]
    fn script_results_become_replies() {
        let lua = Lua::new();
        assert_eq!(
            to_reply(&lua, "return {1, 2, nil, 4}", false),
            b"*2\r\n:1\r\n:2\r\n"
        );
        assert_eq!(
            to_reply(&lua, "return {ok='a\\r\\nb'}", false),
            b"+a  b\r\n"
        );
        assert_eq!(
            to_reply(&lua, "return {err='E x\\r\\n'}", false),
            b"-E x\r\n"
        );
        assert_eq!(
            to_reply(&lua, "return {double=3.5}", false),
            b"$3\r\n3.5\r\n"
        );
        assert_eq!(to_reply(&lua, "return {double=3.5}", true), b",3.5\r\n");
        assert_eq!(to_reply(&lua, "return {big_number='12'}", true), b"(12\r\n");
        assert_eq!(
            to_reply(&lua, "return {map={a=1}}", false),
            b"*2\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(
            to_reply(&lua, "return {map={a=true}}", true),
            b"%1\r\n$1\r\na\r\n#t\r\n"
        );
        assert_eq!(
            to_reply(
                &lua,
                "return {verbatim_string={format='a', string='hi'}}",
                true
            ),
            b"=6\r\na  :hi\r\n"
        );
        assert_eq!(to_reply(&lua, "return false", false), b"$-1\r\n");
        assert_eq!(to_reply(&lua, "return false", true), b"#f\r\n");
        assert_eq!(
            to_reply(&lua, "return 0/0", false),
            b":-9223372036854775808\r\n"
        );
    }

    #[test]
    fn deep_nesting_stops_where_lua_would() {
        let lua = Lua::new();
        let out = to_reply(&lua, "local a = {} local b = {a} a[1] = b return a", false);
        let text = String::from_utf8_lossy(&out);
        assert_eq!(text.matches("*1\r\n").count(), 7995);
        assert!(text.ends_with("-ERR reached lua stack limit\r\n"));
    }

    #[test]
    fn replies_become_lua_values() {
        let lua = Lua::new();
        let value = reply_to_lua(&lua, b"*3\r\n$1\r\na\r\n:5\r\n$-1\r\n").unwrap();
        let t = value.as_table().unwrap();
        assert_eq!(t.raw_get::<String>(1).unwrap(), "a");
        assert_eq!(t.raw_get::<f64>(2).unwrap(), 5.0);
        assert!(!t.raw_get::<bool>(3).unwrap());
        let err = reply_to_lua(&lua, b"-WRONGTYPE bad\r\n").unwrap();
        let err = err.as_table().unwrap();
        assert_eq!(err.raw_get::<String>("err").unwrap(), "WRONGTYPE bad");
        assert!(err.raw_get::<bool>("ignore_error_stats_update").unwrap());
        let map = reply_to_lua(&lua, b"%1\r\n+k\r\n,1.5\r\n").unwrap();
        let inner: Table = map.as_table().unwrap().raw_get("map").unwrap();
        assert_eq!(inner.len().unwrap(), 0);
    }
}
