//! Command implementations, one module per family. Each family module ends
//! with its table: the declarations (name, arity, flags, keys, docs) of its
//! commands. `TABLES` lists the families; the registry reads nothing else.

pub mod acl;
pub mod bits;
pub mod cluster;
pub mod command;
pub mod config;
pub mod connection;
pub mod debug;
pub mod expire;
pub mod functions;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod info;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod lolwut;
pub mod memory;
pub mod migrate;
pub mod module;
pub mod persistence;
pub mod pubsub;
pub mod replicaof;
pub mod replication;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
#[cfg(test)]
pub mod test_support;
pub mod tracking;
pub mod transactions;
pub mod zsets;

use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::hooks::Feature;
use crate::server::spec::{self, Command};
use crate::server::Server;

/// The features plugged into the core, in the order their hooks run;
/// start-up hands them to the server with the tables.
pub const FEATURES: &[Feature] = &[
    crate::persistence::aof::FEATURE,
    crate::persistence::hooks::FEATURE,
    crate::replication::hooks::FEATURE,
    migrate::FEATURE,
    crate::scripting::debugger::FEATURE,
];

/// Every command family's table.
pub const TABLES: &[&[Command]] = &[
    strings::COMMANDS,
    bits::COMMANDS,
    hyperloglog::COMMANDS,
    sets::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    keys::COMMANDS,
    expire::COMMANDS,
    connection::COMMANDS,
    transactions::COMMANDS,
    info::COMMANDS,
    command::COMMANDS,
    server::COMMANDS,
    persistence::COMMANDS,
    migrate::COMMANDS,
    latency::COMMANDS,
    debug::COMMANDS,
    config::COMMANDS,
    streams::COMMANDS,
    zsets::COMMANDS,
    geo::COMMANDS,
    sort::COMMANDS,
    memory::COMMANDS,
    replicaof::COMMANDS,
    replication::COMMANDS,
    pubsub::COMMANDS,
    scripting::COMMANDS,
    functions::COMMANDS,
    acl::COMMANDS,
    cluster::COMMANDS,
    module::COMMANDS,
    lolwut::COMMANDS,
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

/// Parses a float argument (`ERR value is not a valid float`).
pub fn float_arg(arg: &[u8]) -> Result<f64, CmdError> {
    crate::util::parse_f64(arg).ok_or(CmdError::Static(errors::NOT_FLOAT))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is_opt(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// The reply of `<CMD> HELP`: a header naming the command as the client
/// typed it, the help lines, and the closing HELP entry (all status replies).
pub fn reply_help(c: &mut Client, command: &[u8], lines: &[&str]) {
    c.reply.array(lines.len() + 3);
    c.reply.simple(&format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        String::from_utf8_lossy(command).to_ascii_uppercase()
    ));
    for line in lines {
        c.reply.simple(line);
    }
    c.reply.simple("HELP");
    c.reply.simple("    Prints this help.");
}

/// Handler of a container command (SLOWLOG, LATENCY, ...) itself. The
/// dispatcher resolves the subcommand first, so this only runs for a
/// subcommand it could not resolve.
pub fn container(_srv: &mut Server, _c: &mut Client, args: &spec::Args) -> CmdResult {
    Err(errors::subcommand_syntax(&args[0], &args[1]))
}
