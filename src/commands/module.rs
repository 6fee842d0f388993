//! MODULE: reddish loads no modules, but the command answers as Redis
//! 7.0 does with none loaded. LOAD, LOADEX and UNLOAD are protected by
//! `enable-module-command` (checked before they run, as DEBUG is by
//! `enable-debug-command`); when allowed, loading fails with Redis's
//! reply and a log line saying why.

use super::{is_opt, reply_help};
use crate::server::client::Client;
use crate::server::errors::CmdResult;
use crate::server::spec::{flag, Args, Command};
use crate::server::Server;

const LOAD_FAILED: &str = "ERR Error loading the extension. Please check the server logs.";

fn module_command(_srv: &mut Server, _c: &mut Client, args: &Args) -> CmdResult {
    Err(crate::server::errors::subcommand_syntax(&args[0], &args[1]))
}

fn list(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.empty_array();
    Ok(())
}

fn load(_srv: &mut Server, _c: &mut Client, args: &Args) -> CmdResult {
    log_load_failure(&args[2]);
    Err(LOAD_FAILED.into())
}

/// `MODULE LOADEX path [CONFIG name value ...] [ARGS ...]`.
fn loadex(_srv: &mut Server, _c: &mut Client, args: &Args) -> CmdResult {
    let mut i = 3;
    while let Some(arg) = args.get(i) {
        if is_opt(arg, "config") {
            if i + 2 >= args.len() {
                log::warn!("CONFIG specified without name value pair");
                return Err(LOAD_FAILED.into());
            }
            i += 3;
        } else if is_opt(arg, "args") {
            break;
        } else {
            return Err(LOAD_FAILED.into());
        }
    }
    log_load_failure(&args[2]);
    Err(LOAD_FAILED.into())
}

/// The log line of a failed load, worded like the `dlopen` error Redis logs.
fn log_load_failure(path: &[u8]) {
    let path = String::from_utf8_lossy(path);
    let reason = if std::path::Path::new(path.as_ref()).exists() {
        "modules are not supported by reddish".to_string()
    } else {
        format!(
            "{}: cannot open shared object file: No such file or directory",
            path
        )
    };
    log::warn!("Module {} failed to load: {}", path, reason);
}

fn unload(_srv: &mut Server, _c: &mut Client, _args: &Args) -> CmdResult {
    Err("ERR Error unloading module: no such module with that name".into())
}

const HELP: &[&str] = &[
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
];

fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, &args[0], HELP);
    Ok(())
}

/// Loading and unloading are protected and refused while loading data.
const CHANGES: u64 = flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::PROTECTED;

const SUBCOMMANDS: &[Command] = &[
    Command::new("help", 2, help)
        .flags(flag::LOADING | flag::STALE)
        .doc("server", "5.0.0", "O(1)", "Shows what MODULE can do."),
    Command::new("list", 2, list)
        .flags(flag::ADMIN | flag::NOSCRIPT)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "4.0.0",
            "O(N) where N is the number of loaded modules.",
            "Lists the loaded modules (none).",
        ),
    Command::new("load", -3, load).flags(CHANGES).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Loads a module (reddish has no modules).",
    ),
    Command::new("loadex", -3, loadex).flags(CHANGES).doc(
        "server",
        "7.0.0",
        "O(1)",
        "Loads a module with configuration (reddish has no modules).",
    ),
    Command::new("unload", 3, unload).flags(CHANGES).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Unloads a module (none is loaded).",
    ),
];

pub const COMMANDS: &[Command] = &[Command::new("module", -2, module_command)
    .doc(
        "server",
        "4.0.0",
        "Depends on subcommand.",
        "Loads, unloads and lists modules.",
    )
    .subcommands(SUBCOMMANDS)];
