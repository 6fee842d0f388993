//! Command implementations, one module per family. Each family module ends
//! with its table: the declarations (name, arity, flags, keys, docs) of its
//! commands. `TABLES` lists the families; the registry reads nothing else.

pub mod bits;
pub mod connection;
pub mod errors;
pub mod expire;
pub mod keys;
pub mod spec;
pub mod strings;

use errors::CmdError;
use spec::Command;

/// Every command family's table.
pub const TABLES: &[&[Command]] = &[
    strings::COMMANDS,
    bits::COMMANDS,
    keys::COMMANDS,
    expire::COMMANDS,
    connection::COMMANDS,
];

/// Parses an integer argument (`ERR value is not an integer or out of range`).
pub fn int_arg(arg: &[u8]) -> Result<i64, CmdError> {
    crate::util::parse_i64(arg).ok_or(CmdError::Static(errors::NOT_INTEGER))
}

/// Parses an argument that must fit a C `int` (Redis's
/// `getIntFromObjectOrReply`): `error` replaces both the not-an-integer and
/// the out-of-range texts when given.
pub fn i32_arg(arg: &[u8], error: Option<&'static str>) -> Result<i32, CmdError> {
    let n = crate::util::parse_i64(arg)
        .ok_or(CmdError::Static(error.unwrap_or(errors::NOT_INTEGER)))?;
    i32::try_from(n).map_err(|_| match error {
        Some(e) => CmdError::Static(e),
        None => CmdError::Static(errors::INT32_OUT_OF_RANGE),
    })
}

/// Replies to `<COMMAND> HELP`: a header naming the command, `lines`, and
/// the HELP entry itself, all as status replies (Redis's `addReplyHelp`).
pub fn reply_help(c: &mut crate::client::Client, command: &[u8], lines: &[&str]) {
    c.reply.array(lines.len() + 3);
    let name = String::from_utf8_lossy(command).to_ascii_uppercase();
    c.reply.simple(&format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        name
    ));
    for line in lines {
        c.reply.simple(line);
    }
    c.reply.simple("HELP");
    c.reply.simple("    Prints this help.");
}

/// Parses a float argument (`ERR value is not a valid float`).
pub fn float_arg(arg: &[u8]) -> Result<f64, CmdError> {
    crate::util::parse_f64(arg).ok_or(CmdError::Static(errors::NOT_FLOAT))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is_opt(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}
