//! Runs Lua scripts against reddish's bundled Lua libraries (`cjson`,
//! `cmsgpack`, `struct`, `bit`) and prints what each returns, for
//! `scripts/lualibs-diff.py`, which sends the same scripts to real Redis.
//!
//! Input (stdin) and output (stdout) are sequences of `<length>\n<bytes>`
//! records. Every script runs in one Lua state, named `@user_script` as
//! Redis names EVAL bodies, and should return a string; an error becomes
//! `ERROR <message>`. `pcall` is replaced by one that hands scripts the
//! libraries' error texts as strings, as Redis's Lua does.

use std::io::{self, Read, Write};

use mlua::{Lua, MultiValue, Value};
use reddish::scripting::libs::{register_all, script_error_message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lua = Lua::new();
    register_all(&lua)?;
    install_pcall(&lua)?;
    let mut input = Vec::new();
    io::stdin().read_to_end(&mut input)?;
    let mut stdout = io::stdout().lock();
    let mut rest = &input[..];
    while let Some((script, after)) = next_record(rest) {
        rest = after;
        let output = match lua.load(script).set_name("@user_script").eval::<Value>() {
            Ok(Value::String(s)) => s.as_bytes().to_vec(),
            Ok(other) => format!("NONSTRING {}", other.type_name()).into_bytes(),
            Err(err) => [b"ERROR ".as_slice(), &error_text(&err)].concat(),
        };
        writeln!(stdout, "{}", output.len())?;
        stdout.write_all(&output)?;
    }
    Ok(())
}

/// Splits `<length>\n<bytes>` off the front of `input`.
fn next_record(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let newline = input.iter().position(|&b| b == b'\n')?;
    let len: usize = std::str::from_utf8(&input[..newline])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let body = input.get(newline + 1..newline + 1 + len)?;
    Some((body, &input[newline + 1 + len..]))
}

/// The string a Lua `pcall` would have caught.
fn error_text(err: &mlua::Error) -> Vec<u8> {
    if let Some(message) = script_error_message(err) {
        return message.to_vec();
    }
    let mut current = err;
    loop {
        match current {
            mlua::Error::CallbackError { cause, .. } => current = cause,
            mlua::Error::RuntimeError(message) => {
                // mlua appends a traceback to errors it catches.
                let message = message
                    .split("\nstack traceback:")
                    .next()
                    .unwrap_or(message);
                return message.as_bytes().to_vec();
            }
            other => return other.to_string().into_bytes(),
        }
    }
}

/// `pcall(f, ...)` returning the libraries' errors as strings.
fn install_pcall(lua: &Lua) -> mlua::Result<()> {
    let pcall = lua.create_function(|lua, mut args: MultiValue| {
        let callee = args.pop_front().unwrap_or(Value::Nil);
        let result = match callee {
            Value::Function(function) => function.call::<MultiValue>(args),
            other => Err(mlua::Error::RuntimeError(format!(
                "attempt to call a {} value",
                other.type_name()
            ))),
        };
        match result {
            Ok(mut values) => {
                values.push_front(Value::Boolean(true));
                Ok(values)
            }
            Err(err) => {
                let message = lua.create_string(error_text(&err))?;
                Ok(MultiValue::from_iter([
                    Value::Boolean(false),
                    Value::String(message),
                ]))
            }
        }
    })?;
    lua.globals().raw_set("pcall", pcall)
}
