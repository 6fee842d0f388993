//! Command implementations, one module per family. Each family module ends
//! with its table: the declarations (name, arity, flags, keys, docs) of its
//! commands. `TABLES` lists the families; the registry reads nothing else.

pub mod connection;
pub mod errors;
pub mod spec;
pub mod strings;

use crate::client::Client;
use errors::CmdError;
use spec::{Args, Command};

/// Every command family's table.
pub const TABLES: &[&[Command]] = &[strings::COMMANDS, connection::COMMANDS];

/// Parses an integer argument (`ERR value is not an integer or out of range`).
pub fn int_arg(arg: &[u8]) -> Result<i64, CmdError> {
    crate::util::parse_i64(arg).ok_or(CmdError::Static(errors::NOT_INTEGER))
}

/// Parses an integer argument that must fit a C `int`.
pub fn int32_arg(arg: &[u8]) -> Result<i32, CmdError> {
    i32::try_from(int_arg(arg)?).map_err(|_| CmdError::Static(errors::INT32_OUT_OF_RANGE))
}

/// Parses a float argument (`ERR value is not a valid float`).
pub fn float_arg(arg: &[u8]) -> Result<f64, CmdError> {
    crate::util::parse_f64(arg).ok_or(CmdError::Static(errors::NOT_FLOAT))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is_opt(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// The reply of a container's HELP subcommand: a usage line, the given
/// lines, then HELP's own entry, all as status replies.
pub fn reply_help(c: &mut Client, args: &Args, lines: &[&str]) {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
    c.reply.array(lines.len() + 3);
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
