//! ACL: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG,
//! DRYRUN, LOAD, SAVE and HELP, with Redis 7.0's replies. The users, rules
//! and checks are in `server::acl`.

use super::{is_opt, reply_help};
use crate::server::acl::{describe, rules::valid_user_name, DEFAULT_USER};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command, Lookup};
use crate::server::Server;

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// GENPASS's default and largest password, in bits.
const GENPASS_DEFAULT_BITS: i64 = 256;
const GENPASS_MAX_BITS: i64 = 4096;

/// The container: every valid call resolves to a subcommand first.
fn acl_command(_srv: &mut Server, _c: &mut Client, args: &Args) -> CmdResult {
    Err(errors::subcommand_syntax(&args[0], &args[1]))
}

/// `ACL SETUSER name rule ...`: every argument after the subcommand is
/// hidden from SLOWLOG and MONITOR.
fn setuser(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    for i in 2..args.len() {
        c.redact_arg(i);
    }
    let name = &args[2];
    if !valid_user_name(name) {
        return Err("ERR Usernames can't contain spaces or null characters".into());
    }
    let rules: Vec<&[u8]> = args.iter().skip(3).collect();
    srv.acl_set_user(c, name, &rules)
        .map_err(|e| CmdError::concat(&[b"ERR ", &e]))?;
    c.reply.ok();
    Ok(())
}

fn getuser(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(user) = srv.acl.find(&args[2]).and_then(|id| srv.acl.user(id)) else {
        c.reply.null();
        return Ok(());
    };
    c.reply.map(6);
    c.reply.bulk(b"flags");
    let flags = describe::flag_names(user);
    c.reply.set(flags.len());
    for f in flags {
        c.reply.bulk(f.as_bytes());
    }
    c.reply.bulk(b"passwords");
    c.reply.array(user.passwords.len());
    for hash in &user.passwords {
        c.reply.bulk(hash);
    }
    let (root, others) = user.selectors.split_first().unzip();
    if let Some(root) = root {
        reply_selector_fields(srv, c, root);
    }
    let others = others.unwrap_or_default();
    c.reply.bulk(b"selectors");
    c.reply.array(others.len());
    for selector in others {
        c.reply.map(3);
        reply_selector_fields(srv, c, selector);
    }
    Ok(())
}

/// `commands`, `keys` and `channels` of a selector.
fn reply_selector_fields(srv: &Server, c: &mut Client, selector: &crate::server::acl::Selector) {
    c.reply.bulk(b"commands");
    c.reply
        .bulk(&describe::command_rules(selector, &srv.registry));
    c.reply.bulk(b"keys");
    c.reply.bulk(&describe::keys_field(selector));
    c.reply.bulk(b"channels");
    c.reply.bulk(&describe::channels_field(selector));
}

/// `ACL DELUSER name ...`: how many existed; none is deleted if one of
/// them is `default`.
fn deluser(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.iter().skip(2).any(|name| name == DEFAULT_USER) {
        return Err("ERR The 'default' user cannot be removed".into());
    }
    let mut deleted = 0;
    for name in args.iter().skip(2) {
        if srv.acl_delete_user(c, name) {
            deleted += 1;
        }
    }
    c.reply.int(deleted);
    Ok(())
}

fn list(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let lines: Vec<Vec<u8>> = srv.acl.users().map(|u| srv.acl_user_line(u)).collect();
    c.reply.array(lines.len());
    for line in lines {
        c.reply.bulk(&line);
    }
    Ok(())
}

fn users(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let names: Vec<&[u8]> = srv.acl.users().map(|u| u.name.as_slice()).collect();
    c.reply.array(names.len());
    for name in names {
        c.reply.bulk(name);
    }
    Ok(())
}

fn whoami(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    match c.user {
        Some(_) => {
            let name = srv.client_user_name(c).to_vec();
            c.reply.bulk(&name);
        }
        None => c.reply.null(),
    }
    Ok(())
}

/// `ACL CAT`: the categories; `ACL CAT category`: its commands and
/// subcommands, in command-table order.
fn cat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match args.len() {
        2 => {
            c.reply.array(acl::NAMES.len());
            for (_, name) in acl::NAMES {
                c.reply.bulk(name.as_bytes());
            }
        }
        3 => {
            let bit = acl::by_name(&args[2]).ok_or_else(|| {
                CmdError::concat(&[
                    b"ERR Unknown category '",
                    crate::util::truncated(&args[2], 128),
                    b"'",
                ])
            })?;
            let names: Vec<&str> = srv
                .registry
                .entries
                .iter()
                .filter(|e| e.cmd.acl_categories() & bit != 0 && !e.cmd.has(flag::MODULE))
                .map(|e| e.fullname.as_str())
                .collect();
            c.reply.array(names.len());
            for name in names {
                c.reply.bulk(name.as_bytes());
            }
        }
        _ => return Err(errors::subcommand_syntax(&args[0], &args[1])),
    }
    Ok(())
}

/// `ACL GENPASS [bits]`: random hex digits from the system's random source.
fn genpass(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let bits = match args.get(2) {
        Some(arg) => super::int_arg(arg)?,
        None => GENPASS_DEFAULT_BITS,
    };
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return Err(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to {}",
            GENPASS_MAX_BITS
        )
        .into());
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut password = random_hex(chars.div_ceil(2));
    password.truncate(chars);
    c.reply.bulk(password.as_bytes());
    Ok(())
}

/// Hex of `n` bytes from /dev/urandom (passwords must be unpredictable).
fn random_hex(n: usize) -> String {
    use std::io::Read as _;
    let mut bytes = vec![0u8; n];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if filled.is_err() {
        return crate::util::random_hex(n * 2);
    }
    hex::encode(bytes)
}

/// `ACL LOG [count | RESET]`: the newest entries first.
fn log(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let mut count = 10;
    if let Some(arg) = args.get(2) {
        if is_opt(arg, "reset") {
            srv.acl.log.clear();
            c.reply.ok();
            return Ok(());
        }
        count = super::int_arg(arg)?.max(0);
    }
    let count = usize::try_from(count)
        .unwrap_or(usize::MAX)
        .min(srv.acl.log.len());
    let now = crate::util::now_ms();
    c.reply.array(count);
    for entry in srv.acl.log.entries().take(count) {
        c.reply.map(7);
        c.reply.bulk(b"count");
        c.reply.uint(entry.count);
        c.reply.bulk(b"reason");
        c.reply.bulk(entry.reason.name().as_bytes());
        c.reply.bulk(b"context");
        c.reply.bulk(entry.context.name().as_bytes());
        c.reply.bulk(b"object");
        c.reply.bulk(&entry.object);
        c.reply.bulk(b"username");
        c.reply.bulk(&entry.username);
        c.reply.bulk(b"age-seconds");
        c.reply.double((now - entry.time_ms) as f64 / 1000.0);
        c.reply.bulk(b"client-info");
        c.reply.bulk(entry.client_info.as_bytes());
    }
    Ok(())
}

/// `ACL DRYRUN user command [arg ...]`: OK, or why the user could not run it.
fn dryrun(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(user) = srv.acl.find(&args[2]) else {
        return Err(CmdError::concat(&[b"ERR User '", &args[2], b"' not found"]));
    };
    let line = args.tail(3);
    let Lookup::Found(id) = srv.registry.lookup(&line) else {
        return Err(CmdError::concat(&[
            b"ERR Command '",
            &args[3],
            b"' not found",
        ]));
    };
    let Some(entry) = srv.registry.get(id) else {
        return Err(CmdError::concat(&[
            b"ERR Command '",
            &args[3],
            b"' not found",
        ]));
    };
    if !entry.cmd.arity_ok(line.len()) {
        return Err(errors::wrong_arity(&entry.fullname));
    }
    match srv.acl_check(Some(user), id, &line) {
        Ok(()) => c.reply.ok(),
        Err(denial) => {
            let text = denial.dryrun_text(&srv.registry, &line);
            c.reply.bulk(&text);
        }
    }
    Ok(())
}

fn load(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.config.aclfile.is_empty() {
        return Err(NO_ACL_FILE.into());
    }
    srv.acl_load_file(c)
        .map_err(|e| CmdError::from(format!("ERR {}", e)))?;
    c.reply.ok();
    Ok(())
}

fn save(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.config.aclfile.is_empty() {
        return Err(NO_ACL_FILE.into());
    }
    if !srv.acl_save_file() {
        return Err("ERR There was an error trying to save the ACLs. Please check the server logs for more information".into());
    }
    c.reply.ok();
    Ok(())
}

const ACL_HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];

fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, &args[0], ACL_HELP);
    Ok(())
}

/// Flags of the administrative subcommands.
const ADMIN: u64 = flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE;
/// Flags of the others (CAT, GENPASS, WHOAMI).
const PLAIN: u64 = flag::NOSCRIPT | flag::LOADING | flag::STALE;

const SUBCOMMANDS: &[Command] = &[
    Command::new("cat", -2, cat).flags(PLAIN).doc(
        "server",
        "6.0.0",
        "O(1) since the categories and commands are a fixed set.",
        "Lists the ACL categories, or the commands of one.",
    ),
    Command::new("deluser", -3, deluser).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(1) amortized time considering the typical user.",
        "Deletes users and closes their connections.",
    ),
    Command::new("dryrun", -4, dryrun).flags(ADMIN).doc(
        "server",
        "7.0.0",
        "O(1).",
        "Tells whether a user could run a command, without running it.",
    ),
    Command::new("genpass", -2, genpass).flags(PLAIN).doc(
        "server",
        "6.0.0",
        "O(1)",
        "Makes a random password.",
    ),
    Command::new("getuser", 3, getuser).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of password, command and pattern rules that the user has.",
        "Describes a user's rules.",
    ),
    Command::new("help", 2, help)
        .flags(flag::LOADING | flag::STALE)
        .doc("server", "6.0.0", "O(1)", "Shows what ACL can do."),
    Command::new("list", 2, list).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
        "Lists the users as ACL file lines.",
    ),
    Command::new("load", 2, load).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
        "Replaces the users with those of the ACL file.",
    ),
    Command::new("log", -2, log).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(N) with N being the number of entries shown.",
        "Shows or clears the recent ACL refusals.",
    ),
    Command::new("save", 2, save).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
        "Writes the users to the ACL file.",
    ),
    Command::new("setuser", -3, setuser).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of rules provided.",
        "Creates a user or changes its rules.",
    ),
    Command::new("users", 2, users).flags(ADMIN).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
        "Lists the user names.",
    ),
    Command::new("whoami", 2, whoami).flags(PLAIN).doc(
        "server",
        "6.0.0",
        "O(1)",
        "Names the user of this connection.",
    ),
];

pub const COMMANDS: &[Command] = &[Command::new("acl", -2, acl_command)
    .doc(
        "server",
        "6.0.0",
        "Depends on subcommand.",
        "Manages ACL users and shows ACL information.",
    )
    .subcommands(SUBCOMMANDS)];
