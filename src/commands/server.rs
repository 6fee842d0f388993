//! Server administration commands: TIME, SHUTDOWN, MONITOR and SLOWLOG.

use super::{container, is_opt, reply_help};
use crate::server::client::{Client, ClientKind};
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::{Server, ShutdownFlags, ShutdownStart};

/// TIME: unix seconds and microseconds, as two bulk strings.
fn time(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let now = crate::util::now_us();
    c.reply.array(2);
    c.reply.bulk_i64(now / 1_000_000);
    c.reply.bulk_i64(now % 1_000_000);
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
///
/// With no replicas behind (or NOW), the shutdown happens now: on success
/// the process exits without replying; a failed final save refuses it
/// (unless FORCE). Otherwise the client waits while replicas catch up (see
/// `server::shutdown`). ABORT cancels a shutdown that waits or that a
/// signal asked for.
fn shutdown(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut flags = ShutdownFlags::default();
    let mut abort = false;
    for arg in args.tail(1).iter() {
        if is_opt(arg, "nosave") {
            flags.nosave = true;
        } else if is_opt(arg, "save") {
            flags.save = true;
        } else if is_opt(arg, "now") {
            flags.now = true;
        } else if is_opt(arg, "force") {
            flags.force = true;
        } else if is_opt(arg, "abort") {
            abort = true;
        } else {
            return Err(errors::SYNTAX.into());
        }
    }
    if (abort && flags != ShutdownFlags::default()) || (flags.nosave && flags.save) {
        return Err(errors::SYNTAX.into());
    }
    // While a script runs long, only a shutdown that does not save (the
    // script may be half done).
    if !flags.nosave && !abort && srv.busy() {
        return Err(CmdError::Static(srv.busy_error()));
    }
    if abort {
        if srv.abort_shutdown() {
            c.reply.ok();
            return Ok(());
        }
        return Err(CmdError::Static("ERR No shutdown in progress."));
    }
    if !flags.now && c.in_exec {
        return Err(CmdError::Static(
            "ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client",
        ));
    }
    match srv.prepare_shutdown(flags) {
        ShutdownStart::Done => {
            srv.shutdown_asap = true;
            // Nothing more from this client runs; the process exits after this loop turn.
            c.close_asap = true;
        }
        ShutdownStart::Waiting => srv.wait_for_shutdown(c, args),
        ShutdownStart::Failed => {
            return Err(CmdError::Static(
                "ERR Errors trying to SHUTDOWN. Check logs.",
            ))
        }
    }
    Ok(())
}

/// MONITOR: from now on the client receives every command the server runs.
/// A client that already monitors (or is a replica) gets no reply.
fn monitor(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if c.in_exec {
        // It would leave EXEC's reply without one entry per command.
        return Err("ERR MONITOR isn't allowed for DENY BLOCKING client".into());
    }
    if c.monitor || c.kind == ClientKind::Replica {
        return Ok(());
    }
    c.monitor = true;
    srv.monitors.push(c.slot);
    c.reply.ok();
    Ok(())
}

/// SLOWLOG GET [count]: the newest `count` entries (default 10, -1 all).
fn slowlog_get(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let count = match args.get(2) {
        None => 10,
        Some(arg) => match crate::util::parse_i64(arg) {
            Some(-1) => srv.slowlog.entries.len(),
            Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return Err(CmdError::Static(
                    "ERR count should be greater than or equal to -1",
                ))
            }
        },
    };
    let entries: Vec<_> = srv.slowlog.entries.iter().take(count).collect();
    c.reply.array(entries.len());
    for e in entries {
        c.reply.array(6);
        c.reply.uint(e.id);
        c.reply.int(e.time_s);
        c.reply.uint(e.duration_us);
        c.reply.array(e.args.len());
        for arg in &e.args {
            c.reply.bulk(arg);
        }
        c.reply.bulk_str(&e.peer);
        c.reply.bulk_str(&e.name);
    }
    Ok(())
}

/// SLOWLOG LEN
fn slowlog_len(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.slowlog.entries.len() as i64);
    Ok(())
}

/// SLOWLOG RESET
fn slowlog_reset(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.slowlog.entries.clear();
    c.reply.ok();
    Ok(())
}

/// SLOWLOG HELP
fn slowlog_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        &args[0],
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// Flags and ACL categories of the SLOWLOG subcommands but HELP.
const SLOWLOG_FLAGS: u64 = flag::ADMIN | flag::LOADING | flag::STALE;
const SLOWLOG_ACL: u64 = acl::ADMIN | acl::SLOW | acl::DANGEROUS;

const SLOWLOG_SUBCOMMANDS: &[Command] = &[
    Command::new("get", -2, slowlog_get)
        .flags(SLOWLOG_FLAGS)
        .acl(SLOWLOG_ACL)
        .tips(&["request_policy:all_nodes", "nondeterministic_output"])
        .doc(
            "server",
            "2.2.12",
            "O(N) where N is the number of entries returned",
            "Returns the newest slow log entries.",
        ),
    Command::new("help", 2, slowlog_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc("server", "6.2.0", "O(1)", "Lists the SLOWLOG subcommands."),
    Command::new("len", 2, slowlog_len)
        .flags(SLOWLOG_FLAGS)
        .acl(SLOWLOG_ACL)
        .tips(&[
            "request_policy:all_nodes",
            "response_policy:agg_sum",
            "nondeterministic_output",
        ])
        .doc(
            "server",
            "2.2.12",
            "O(1)",
            "Returns how many entries the slow log holds.",
        ),
    Command::new("reset", 2, slowlog_reset)
        .flags(SLOWLOG_FLAGS)
        .acl(SLOWLOG_ACL)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc(
            "server",
            "2.2.12",
            "O(N) where N is the number of entries in the slowlog",
            "Empties the slow log.",
        ),
];

pub const COMMANDS: &[Command] = &[
    Command::new("time", 1, time)
        .flags(flag::LOADING | flag::STALE | flag::FAST)
        .acl(acl::FAST)
        .tips(&["nondeterministic_output"])
        .doc("server", "2.6.0", "O(1)", "Returns the server's clock."),
    Command::new("shutdown", -1, shutdown)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::NO_MULTI | flag::ALLOW_BUSY)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Stops the server, optionally saving first."),
    Command::new("monitor", 1, monitor)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0", "", "Streams every command the server runs to this connection."),
    Command::new("slowlog", -2, container)
        .acl(acl::SLOW)
        .doc("server", "2.2.12", "Depends on subcommand.", "Container of the slow log commands.")
        .subcommands(SLOWLOG_SUBCOMMANDS),
];
