//! MODULE: reddish loads no modules (Redis modules are C shared objects
//! written against Redis's own structures), so MODULE LIST is empty and
//! MODULE LOAD/LOADEX/UNLOAD answer as Redis does when a module cannot be
//! loaded or is not there. LOAD, LOADEX and UNLOAD are protected by
//! `enable-module-command`, checked before they run.

use super::reply_help;
use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;

const MODULE_HELP: &[&str] = &[
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
];

fn module_list(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.empty_array();
    Ok(())
}

/// MODULE LOAD and LOADEX: the load fails, with the reason in the log.
fn module_load(_srv: &mut Server, _c: &mut Client, args: &Args) -> CmdResult {
    log::warn!(
        "Module {} failed to load: reddish does not load modules",
        String::from_utf8_lossy(&args[2])
    );
    Err(CmdError::Static(
        "ERR Error loading the extension. Please check the server logs.",
    ))
}

fn module_unload(_srv: &mut Server, _c: &mut Client, _args: &Args) -> CmdResult {
    Err(CmdError::Static(
        "ERR Error unloading module: no such module with that name",
    ))
}

/// MODULE HELP (also the container's handler, which the dispatcher never
/// reaches: it resolves MODULE to one of its subcommands first).
fn module_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, &args[0], MODULE_HELP);
    Ok(())
}

/// Flags of the subcommands that change the loaded modules.
const CHANGES_MODULES: u64 =
    flag::NO_ASYNC_LOADING | flag::ADMIN | flag::NOSCRIPT | flag::PROTECTED;

const MODULE_SUBCOMMANDS: &[Command] = &[
    Command::new("help", 2, module_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc(
            "server",
            "5.0.0",
            "O(1)",
            "Describes the MODULE subcommands.",
        ),
    Command::new("list", 2, module_list)
        .flags(flag::ADMIN | flag::NOSCRIPT)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "4.0.0",
            "O(N) where N is the number of loaded modules.",
            "Lists the loaded modules.",
        ),
    Command::new("load", -3, module_load)
        .flags(CHANGES_MODULES)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "4.0.0", "O(1)", "Loads a module."),
    Command::new("loadex", -3, module_load)
        .flags(CHANGES_MODULES)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc(
            "server",
            "7.0.0",
            "O(1)",
            "Loads a module with configuration values and arguments.",
        ),
    Command::new("unload", 3, module_unload)
        .flags(CHANGES_MODULES)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "4.0.0", "O(1)", "Unloads a module."),
];

pub const COMMANDS: &[Command] = &[Command::new("module", -2, module_help)
    .acl(acl::SLOW)
    .doc(
        "server",
        "4.0.0",
        "Depends on subcommand.",
        "Manages modules.",
    )
    .subcommands(MODULE_SUBCOMMANDS)];
