//! The scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT
//! (LOAD, EXISTS, FLUSH, KILL, DEBUG, HELP). The engine that runs them is
//! the `scripting` module.

use super::{container, is_opt, reply_help};
use crate::scripting::{self, EvalCall};
use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::state::scripting::DebugMode;
use crate::server::Server;

const EVAL: EvalCall = EvalCall {
    by_sha: false,
    read_only: false,
};
const EVAL_RO: EvalCall = EvalCall {
    by_sha: false,
    read_only: true,
};
const EVALSHA: EvalCall = EvalCall {
    by_sha: true,
    read_only: false,
};
const EVALSHA_RO: EvalCall = EvalCall {
    by_sha: true,
    read_only: true,
};

fn eval(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    scripting::eval(srv, c, args, EVAL)
}

fn eval_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    scripting::eval(srv, c, args, EVAL_RO)
}

fn evalsha(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    scripting::eval(srv, c, args, EVALSHA)
}

fn evalsha_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    scripting::eval(srv, c, args, EVALSHA_RO)
}

fn eval_flags(srv: &Server, args: &Args, flags: u64) -> u64 {
    scripting::eval_flags(srv, args, flags, false)
}

fn evalsha_flags(srv: &Server, args: &Args, flags: u64) -> u64 {
    scripting::eval_flags(srv, args, flags, true)
}

/// SCRIPT LOAD script
fn script_load(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let sha = scripting::load(srv, &args[2])?;
    c.reply.bulk(&sha);
    Ok(())
}

/// SCRIPT EXISTS sha1 [sha1 ...]
fn script_exists(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.reply.array(args.len() - 2);
    for sha in args.tail(2).iter() {
        c.reply.int(i64::from(scripting::exists(srv, sha)));
    }
    Ok(())
}

/// SCRIPT FLUSH [ASYNC|SYNC]: a new VM and an empty cache; ASYNC (or
/// `lazyfree-lazy-user-flush`) frees the old one on the lazyfree thread.
fn script_flush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let lazy = match args.len() {
        2 => srv.config.lazyfree_lazy_user_flush,
        3 if is_opt(&args[2], "sync") => false,
        3 if is_opt(&args[2], "async") => true,
        _ => return Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option".into()),
    };
    scripting::flush(srv, lazy)?;
    c.reply.ok();
    Ok(())
}

/// SCRIPT KILL: stops the script running past its time limit.
fn script_kill(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    scripting::kill(srv, true).map_err(CmdError::Static)?;
    c.reply.ok();
    Ok(())
}

/// SCRIPT DEBUG YES|SYNC|NO: the client's next EVAL runs under the Lua
/// debugger (`scripting::debugger`), forked or blocking the server.
fn script_debug(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if c.pending_output() > 0 {
        return Err("ERR SCRIPT DEBUG must be called outside a pipeline".into());
    }
    let mode = &args[2];
    c.lua_debug = if is_opt(mode, "no") {
        None
    } else if is_opt(mode, "yes") {
        Some(DebugMode::Fork)
    } else if is_opt(mode, "sync") {
        Some(DebugMode::Sync)
    } else {
        return Err("ERR Use SCRIPT DEBUG YES/SYNC/NO".into());
    };
    c.reply.ok();
    Ok(())
}

fn script_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        &args[0],
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

/// EVAL's keys: `numkeys` of them after the script.
pub const EVAL_KEYS: &[KeySpec] = &[
    KeySpec::keynum(ks::RW | ks::ACCESS | ks::UPDATE, 2, 0, 1, 1)
        .notes("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"),
];
const EVALSHA_KEYS: &[KeySpec] = &[KeySpec::keynum(
    ks::RW | ks::ACCESS | ks::UPDATE,
    2,
    0,
    1,
    1,
)];
pub const EVAL_RO_KEYS: &[KeySpec] = &[KeySpec::keynum(ks::RO | ks::ACCESS, 2, 0, 1, 1)
    .notes("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")];
const EVALSHA_RO_KEYS: &[KeySpec] = &[KeySpec::keynum(ks::RO | ks::ACCESS, 2, 0, 1, 1)];

pub const EVAL_FLAGS: u64 = flag::NOSCRIPT
    | flag::SKIP_MONITOR
    | flag::MAY_REPLICATE
    | flag::NO_MANDATORY_KEYS
    | flag::STALE
    | flag::MOVABLE_KEYS;
pub const EVAL_RO_FLAGS: u64 = flag::NOSCRIPT
    | flag::SKIP_MONITOR
    | flag::NO_MANDATORY_KEYS
    | flag::STALE
    | flag::READONLY
    | flag::MOVABLE_KEYS;

const SCRIPT_SUBCOMMANDS: &[Command] = &[
    Command::new("debug", 3, script_debug)
        .flags(flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .doc("scripting", "3.2.0", "O(1)", "Set the debug mode for executed scripts."),
    Command::new("exists", -3, script_exists)
        .flags(flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:agg_logical_and"])
        .doc(
            "scripting",
            "2.6.0",
            "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
            "Check existence of scripts in the script cache.",
        ),
    Command::new("flush", -2, script_flush)
        .flags(flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc(
            "scripting",
            "2.6.0",
            "O(N) with N being the number of scripts in cache",
            "Remove all the scripts from the script cache.",
        ),
    Command::new("help", 2, script_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::SCRIPTING)
        .doc(
            "scripting",
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    Command::new("kill", 2, script_kill)
        .flags(flag::NOSCRIPT | flag::ALLOW_BUSY)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
        .doc("scripting", "2.6.0", "O(1)", "Kill the script currently in execution."),
    Command::new("load", 3, script_load)
        .flags(flag::NOSCRIPT | flag::STALE)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc(
            "scripting",
            "2.6.0",
            "O(N) with N being the length in bytes of the script body.",
            "Load the specified Lua script into the script cache.",
        ),
];

pub const COMMANDS: &[Command] = &[
    Command::new("eval", -3, eval)
        .flags(EVAL_FLAGS)
        .flags_for(eval_flags)
        .acl(acl::SLOW | acl::SCRIPTING)
        .keys(EVAL_KEYS)
        .doc(
            "scripting",
            "2.6.0",
            "Depends on the script that is executed.",
            "Execute a Lua script server side",
        ),
    Command::new("evalsha", -3, evalsha)
        .flags(EVAL_FLAGS)
        .flags_for(evalsha_flags)
        .acl(acl::SLOW | acl::SCRIPTING)
        .keys(EVALSHA_KEYS)
        .doc(
            "scripting",
            "2.6.0",
            "Depends on the script that is executed.",
            "Execute a Lua script server side",
        ),
    Command::new("eval_ro", -3, eval_ro)
        .flags(EVAL_RO_FLAGS)
        .flags_for(eval_flags)
        .acl(acl::SLOW | acl::SCRIPTING)
        .keys(EVAL_RO_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the script that is executed.",
            "Execute a read-only Lua script server side",
        ),
    Command::new("evalsha_ro", -3, evalsha_ro)
        .flags(EVAL_RO_FLAGS)
        .flags_for(evalsha_flags)
        .acl(acl::SLOW | acl::SCRIPTING)
        .keys(EVALSHA_RO_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the script that is executed.",
            "Execute a read-only Lua script server side",
        ),
    Command::new("script", -2, container)
        .doc(
            "scripting",
            "2.6.0",
            "Depends on subcommand.",
            "A container for Lua scripts management commands",
        )
        .subcommands(SCRIPT_SUBCOMMANDS),
];
