//! Command implementations, one module per family. Each family module ends
//! with its table: the declarations (name, arity, flags, keys, docs) of its
//! commands. `TABLES` lists the families; the registry reads nothing else.

pub mod config;
pub mod errors;
pub mod spec;
pub mod strings;

use errors::CmdError;
use spec::Command;

/// Every command family's table.
pub const TABLES: &[&[Command]] = &[strings::COMMANDS, config::COMMANDS];

/// Parses an integer argument (`ERR value is not an integer or out of range`).
pub fn int_arg(arg: &[u8]) -> Result<i64, CmdError> {
    crate::util::parse_i64(arg).ok_or(CmdError::Static(errors::NOT_INTEGER))
}

/// Parses a float argument (`ERR value is not a valid float`).
pub fn float_arg(arg: &[u8]) -> Result<f64, CmdError> {
    crate::util::parse_f64(arg).ok_or(CmdError::Static(errors::NOT_FLOAT))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is_opt(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}
