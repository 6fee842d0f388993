//! The function commands: FCALL, FCALL_RO and FUNCTION (LOAD, DELETE,
//! LIST, DUMP, RESTORE, FLUSH, STATS, KILL, HELP). The libraries and the
//! engine they run in are the `scripting` module's (`functions`, `fcall`).

use super::scripting::{EVAL_FLAGS, EVAL_KEYS, EVAL_RO_FLAGS, EVAL_RO_KEYS};
use super::{container, is_opt, reply_help};
use crate::scripting::cache::script_flag;
use crate::scripting::fcall::{self, RestorePolicy};
use crate::scripting::functions::{functions, Library};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;

fn fcall(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    fcall::fcall(srv, c, args, false)
}

fn fcall_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    fcall::fcall(srv, c, args, true)
}

/// FUNCTION LOAD [REPLACE] code
fn function_load(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut replace = false;
    let mut pos = 2;
    while pos < args.len() - 1 {
        let arg = &args[pos];
        if !is_opt(arg, "replace") {
            return Err(CmdError::from(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(arg)
            )));
        }
        replace = true;
        pos += 1;
    }
    let name = fcall::load(srv, c, &args[pos], replace)?;
    c.reply.bulk(&name);
    Ok(())
}

/// FUNCTION DELETE library-name
fn function_delete(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    fcall::delete(srv, &args[2])?;
    c.reply.ok();
    Ok(())
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn function_list(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let arg = &args[i];
        if !with_code && is_opt(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && is_opt(arg, "libraryname") {
            let Some(p) = args.get(i + 1) else {
                return Err("ERR library name argument was not given".into());
            };
            pattern = Some(p);
            i += 1;
        } else {
            return Err(CmdError::from(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            )));
        }
        i += 1;
    }
    let matching: Vec<&Library> = functions(srv)
        .map(|f| {
            f.libraries
                .libraries()
                .filter(|l| pattern.is_none_or(|p| crate::db::glob::glob_match(p, &l.name, true)))
                .collect()
        })
        .unwrap_or_default();
    c.reply.array(matching.len());
    for library in matching {
        reply_library(c, library, with_code);
    }
    Ok(())
}

fn reply_library(c: &mut Client, library: &Library, with_code: bool) {
    c.reply.map(if with_code { 4 } else { 3 });
    c.reply.bulk(b"library_name");
    c.reply.bulk(&library.name);
    c.reply.bulk(b"engine");
    c.reply.bulk(b"LUA");
    c.reply.bulk(b"functions");
    c.reply.array(library.functions.len());
    for f in &library.functions {
        c.reply.map(3);
        c.reply.bulk(b"name");
        c.reply.bulk(&f.name);
        c.reply.bulk(b"description");
        c.reply.bulk_opt(f.description.as_deref());
        c.reply.bulk(b"flags");
        let names: Vec<&str> = script_flag::NAMES
            .iter()
            .filter(|(_, bit)| f.flags & bit != 0)
            .map(|(name, _)| *name)
            .collect();
        c.reply.set(names.len());
        for name in names {
            c.reply.simple(name);
        }
    }
    if with_code {
        c.reply.bulk(b"library_code");
        c.reply.bulk(&library.code);
    }
}

/// FUNCTION DUMP
fn function_dump(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let payload = fcall::dump(srv);
    c.reply.bulk(&payload);
    Ok(())
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
fn function_restore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let policy =
        match args.get(3) {
            None => RestorePolicy::Append,
            Some(p) if is_opt(p, "append") => RestorePolicy::Append,
            Some(p) if is_opt(p, "replace") => RestorePolicy::Replace,
            Some(p) if is_opt(p, "flush") => RestorePolicy::Flush,
            Some(_) => return Err(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
                    .into(),
            ),
        };
    fcall::restore(srv, &args[2], policy)?;
    c.reply.ok();
    Ok(())
}

/// FUNCTION FLUSH [ASYNC|SYNC]: ASYNC (or `lazyfree-lazy-user-flush`)
/// frees the libraries on the lazyfree thread.
fn function_flush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let lazy = match args.get(2) {
        None => srv.config.lazyfree_lazy_user_flush,
        Some(m) if is_opt(m, "sync") => false,
        Some(m) if is_opt(m, "async") => true,
        Some(_) => return Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into()),
    };
    fcall::flush(srv, lazy)?;
    c.reply.ok();
    Ok(())
}

/// FUNCTION KILL: stops the function running past its time limit.
fn function_kill(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    crate::scripting::kill(srv, false).map_err(CmdError::Static)?;
    c.reply.ok();
    Ok(())
}

/// FUNCTION STATS: the function running now, and the engine's counts.
fn function_stats(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.scripting.run.as_ref().is_some_and(|r| r.eval) {
        return Err(CmdError::Static(srv.busy_error()));
    }
    c.reply.map(2);
    c.reply.bulk(b"running_script");
    match &srv.scripting.run {
        None => c.reply.null(),
        Some(run) => {
            c.reply.map(3);
            c.reply.bulk(b"name");
            c.reply.bulk(run.name.as_bytes());
            c.reply.bulk(b"command");
            let command = run.command.args();
            c.reply.array(command.len());
            for arg in command.iter() {
                c.reply.bulk(arg);
            }
            c.reply.bulk(b"duration_ms");
            c.reply.int(run.started.elapsed().as_millis() as i64);
        }
    }
    let report = fcall::functions_report(srv);
    c.reply.bulk(b"engines");
    c.reply.map(1);
    c.reply.bulk(b"LUA");
    c.reply.map(2);
    c.reply.bulk(b"libraries_count");
    c.reply.int(report.libraries as i64);
    c.reply.bulk(b"functions_count");
    c.reply.int(report.functions as i64);
    Ok(())
}

fn function_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        &args[0],
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}

fn fcall_flags(srv: &Server, args: &Args, flags: u64) -> u64 {
    fcall::fcall_flags(srv, args, flags)
}

/// FCALL's keys and flags are EVAL's, but FCALL is not `may_replicate`.
const FCALL_FLAGS: u64 = EVAL_FLAGS & !flag::MAY_REPLICATE;

const ALL_SUCCEEDED: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

const FUNCTION_SUBCOMMANDS: &[Command] = &[
    Command::new("delete", 3, function_delete)
        .flags(flag::WRITE | flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(ALL_SUCCEEDED)
        .doc("scripting", "7.0.0", "O(1)", "Delete a function by name"),
    Command::new("dump", 2, function_dump)
        .flags(flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions",
            "Dump all functions into a serialized binary payload",
        ),
    Command::new("flush", -2, function_flush)
        .flags(flag::WRITE | flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(ALL_SUCCEEDED)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions deleted",
            "Deleting all functions",
        ),
    Command::new("help", 2, function_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::SCRIPTING)
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    Command::new("kill", 2, function_kill)
        .flags(flag::NOSCRIPT | flag::ALLOW_BUSY)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Kill the function currently in execution.",
        ),
    Command::new("list", -2, function_list)
        .flags(flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions",
            "List information about all the functions",
        ),
    Command::new("load", -3, function_load)
        .flags(flag::WRITE | flag::DENYOOM | flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(ALL_SUCCEEDED)
        .doc(
            "scripting",
            "7.0.0",
            "O(1) (considering compilation time is redundant)",
            "Create a function with the given arguments (name, code, description)",
        ),
    Command::new("restore", -3, function_restore)
        .flags(flag::WRITE | flag::DENYOOM | flag::NOSCRIPT)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(ALL_SUCCEEDED)
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions on the payload",
            "Restore all the functions on the given payload",
        ),
    Command::new("stats", 2, function_stats)
        .flags(flag::NOSCRIPT | flag::ALLOW_BUSY)
        .acl(acl::SLOW | acl::SCRIPTING)
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ])
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Return information about the function currently running (name, description, duration)",
        ),
];

pub const COMMANDS: &[Command] = &[
    Command::new("fcall", -3, fcall)
        .flags(FCALL_FLAGS)
        .flags_for(fcall_flags)
        .acl(acl::SLOW | acl::SCRIPTING)
        .keys(EVAL_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the function that is executed.",
            "Invoke a function",
        ),
    Command::new("fcall_ro", -3, fcall_ro)
        .flags(EVAL_RO_FLAGS)
        .flags_for(fcall_flags)
        .acl(acl::SLOW | acl::SCRIPTING)
        .keys(EVAL_RO_KEYS)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on the function that is executed.",
            "Invoke a read-only function",
        ),
    Command::new("function", -2, container)
        .doc(
            "scripting",
            "7.0.0",
            "Depends on subcommand.",
            "A container for function commands",
        )
        .subcommands(FUNCTION_SUBCOMMANDS),
];
