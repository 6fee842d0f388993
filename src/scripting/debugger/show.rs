//! How the debugger shows things: Lua values (`ldbCatStackValue`) and
//! the replies of commands a script runs (`ldbRedisProtocolToHuman`).

use super::session::repr;
use crate::scripting::libs::cjson::number::format_g;
use mlua::Value;

/// Nesting shown before giving up on a table (`LUA_MINSTACK / 2`).
const MAX_DEPTH: usize = 10;

/// Appends `v` as the debugger shows a Lua value: strings quoted, numbers
/// as `%g`, tables as `{1; 2}` when they are arrays and `{[k]=v; ...}`
/// otherwise, other objects as `"type@address"`.
pub fn value(out: &mut Vec<u8>, v: &Value) {
    value_at(out, v, 0);
}

fn value_at(out: &mut Vec<u8>, v: &Value, depth: usize) {
    if depth == MAX_DEPTH {
        out.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    match v {
        Value::String(s) => out.extend_from_slice(&repr(&s.as_bytes())),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => out.extend_from_slice(format_g(*i as f64, 6).as_bytes()),
        Value::Number(n) => out.extend_from_slice(format_g(*n, 6).as_bytes()),
        Value::Nil => out.extend_from_slice(b"nil"),
        Value::Table(t) => table(out, t, depth + 1),
        Value::Function(_) => object(out, "function", v),
        Value::Thread(_) => object(out, "thread", v),
        Value::LightUserData(_) => object(out, "light-userdata", v),
        Value::UserData(_) | Value::Error(_) => object(out, "userdata", v),
        _ => out.extend_from_slice(b"\"<unknown-lua-type>\""),
    }
}

fn object(out: &mut Vec<u8>, kind: &str, v: &Value) {
    out.extend_from_slice(format!("\"{}@{:p}\"", kind, v.to_pointer()).as_bytes());
}

/// A table, shown as an array while its keys are 1, 2, 3... in the order
/// Lua's `next` gives them, else with its keys.
fn table(out: &mut Vec<u8>, t: &mlua::Table, depth: usize) {
    let mut as_array = Vec::new();
    let mut with_keys = Vec::new();
    let mut is_array = true;
    let mut expected = 1.0;
    for (key, val) in t.pairs::<Value, Value>().flatten() {
        let index = match key {
            Value::Integer(i) => Some(i as f64),
            Value::Number(n) => Some(n),
            _ => None,
        };
        if is_array && index != Some(expected) {
            is_array = false;
        }
        value_at(&mut as_array, &val, depth);
        as_array.extend_from_slice(b"; ");
        with_keys.push(b'[');
        value_at(&mut with_keys, &key, depth);
        with_keys.extend_from_slice(b"]=");
        value_at(&mut with_keys, &val, depth);
        with_keys.extend_from_slice(b"; ");
        expected += 1.0;
    }
    let mut shown = if is_array { as_array } else { with_keys };
    shown.truncate(shown.len().saturating_sub(2));
    out.push(b'{');
    out.extend_from_slice(&shown);
    out.push(b'}');
}

/// A command's reply made readable: `"bulk"`, integers as they are,
/// `[a,b]` arrays, `~(...)` sets, `{k => v}` maps, `NULL`, `(null)`,
/// `#true`, `(double) 1.5`, statuses and errors quoted with their sign.
pub fn reply(out: &mut Vec<u8>, resp: &[u8]) {
    let _ = element(out, resp);
}

/// The line at the start of `resp` (after its type byte) and the rest
/// after its CRLF.
fn line(resp: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = resp.iter().position(|&b| b == b'\r')?;
    Some((resp.get(1..end)?, resp.get(end + 2..).unwrap_or_default()))
}

/// Shows one element; the bytes after it, or `None` on a type Redis's
/// debugger does not know (nothing more is shown then).
fn element<'a>(out: &mut Vec<u8>, resp: &'a [u8]) -> Option<&'a [u8]> {
    let (text, rest) = line(resp)?;
    match resp.first()? {
        b':' => {
            out.extend_from_slice(text);
            Some(rest)
        }
        b'$' => {
            let len = crate::util::parse_i64(text)?;
            let Ok(len) = usize::try_from(len) else {
                out.extend_from_slice(b"NULL");
                return Some(rest);
            };
            out.extend_from_slice(&repr(rest.get(..len)?));
            Some(rest.get(len + 2..).unwrap_or_default())
        }
        b'+' | b'-' => {
            out.extend_from_slice(&repr(resp.get(..text.len() + 1)?));
            Some(rest)
        }
        b'*' => {
            let Ok(n) = usize::try_from(crate::util::parse_i64(text)?) else {
                out.extend_from_slice(b"NULL");
                return Some(rest);
            };
            sequence(out, rest, n, b"[", b"]", 1)
        }
        b'~' => sequence(
            out,
            rest,
            usize::try_from(crate::util::parse_i64(text)?).ok()?,
            b"~(",
            b")",
            1,
        ),
        b'%' => sequence(
            out,
            rest,
            usize::try_from(crate::util::parse_i64(text)?).ok()?,
            b"{",
            b"}",
            2,
        ),
        b'_' => {
            out.extend_from_slice(b"(null)");
            Some(rest)
        }
        b'#' => {
            out.extend_from_slice(if text.first() == Some(&b't') {
                b"#true"
            } else {
                b"#false"
            });
            Some(rest)
        }
        b',' => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(text);
            Some(rest)
        }
        _ => None,
    }
}

/// `n` elements (or key/value pairs when `per_item` is 2) between
/// `open` and `close`, separated by commas.
fn sequence<'a>(
    out: &mut Vec<u8>,
    mut rest: &'a [u8],
    n: usize,
    open: &[u8],
    close: &[u8],
    per_item: usize,
) -> Option<&'a [u8]> {
    out.extend_from_slice(open);
    for j in 0..n {
        rest = element(out, rest)?;
        if per_item == 2 {
            out.extend_from_slice(b" => ");
            rest = element(out, rest)?;
        }
        if j + 1 != n {
            out.push(b',');
        }
    }
    out.extend_from_slice(close);
    Some(rest)
}

/// The error lines in a reply, in order (each one the script's
/// conversion of the reply logs as `<error>`).
pub fn errors(resp: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut rest = resp;
    while !rest.is_empty() {
        let Some((text, after)) = line(rest) else {
            break;
        };
        match rest.first() {
            Some(b'-') => found.push(rest.get(..text.len() + 1).unwrap_or_default()),
            Some(b'$' | b'=') => {
                let len = crate::util::parse_i64(text).unwrap_or(-1);
                if let Ok(len) = usize::try_from(len) {
                    rest = after.get(len + 2..).unwrap_or_default();
                    continue;
                }
            }
            _ => {}
        }
        rest = after;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn human(resp: &[u8]) -> String {
        let mut out = Vec::new();
        reply(&mut out, resp);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn replies_as_redis_shows_them() {
        assert_eq!(human(b"+OK\r\n"), "\"+OK\"");
        assert_eq!(human(b"-ERR bad\r\n"), "\"-ERR bad\"");
        assert_eq!(human(b":12\r\n"), "12");
        assert_eq!(human(b"$-1\r\n"), "NULL");
        assert_eq!(human(b"$3\r\na\nb\r\n"), "\"a\\nb\"");
        assert_eq!(human(b"*2\r\n$1\r\na\r\n:1\r\n"), "[\"a\",1]");
        assert_eq!(human(b"*-1\r\n"), "NULL");
        assert_eq!(human(b"%1\r\n+k\r\n#t\r\n"), "{\"+k\" => #true}");
        assert_eq!(human(b"~1\r\n,1.5\r\n"), "~((double) 1.5)");
        assert_eq!(human(b"_\r\n"), "(null)");
    }

    #[test]
    fn finds_errors_in_order() {
        let resp = b"*3\r\n-ERR one\r\n$6\r\n-ERR x\r\n-WRONGTYPE two\r\n";
        assert_eq!(
            errors(resp),
            vec![b"-ERR one".as_slice(), b"-WRONGTYPE two"]
        );
    }

    #[test]
    fn values_as_redis_shows_them() {
        let lua = mlua::Lua::new();
        let show = |code: &str| {
            let v: Value = lua.load(code).eval().unwrap_or(Value::Nil);
            let mut out = Vec::new();
            value(&mut out, &v);
            String::from_utf8(out).unwrap_or_default()
        };
        assert_eq!(show("return {1,'a',{true}}"), "{1; \"a\"; {true}}");
        assert_eq!(show("return {x=1}"), "{[\"x\"]=1}");
        assert_eq!(show("return 0.1"), "0.1");
        assert_eq!(show("return 1e20"), "1e+20");
        assert_eq!(show("return {}"), "{}");
        let nested = format!(
            "{}<max recursion level reached! Nested table?>{}",
            "{".repeat(10),
            "}".repeat(10)
        );
        assert_eq!(show("local t = {} t[1] = t return t"), nested);
    }
}
