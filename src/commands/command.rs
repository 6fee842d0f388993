//! COMMAND and its subcommands: the command table as clients see it (INFO,
//! DOCS, LIST, COUNT) and key extraction (GETKEYS, GETKEYSANDFLAGS). Every
//! reply is derived from the declarations in the family tables (see
//! `spec.rs`), so a command declared once is described correctly here.

use crate::resp::reply::{Aggregate, Reply};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{
    acl, command_keys, flag, has_keys, ks, Args, Begin, Command, Find, KeySpec, Lookup, Registry,
};
use crate::server::Server;

/// A set of status replies naming the bits of `flags` that `names` lists,
/// in the order of `names` (prefixed with `prefix`, e.g. `@` for ACL categories).
fn reply_flag_set(reply: &mut Reply, flags: u64, names: &[(u64, &str)], prefix: &str) {
    let present: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    reply.set(present.len());
    for name in present {
        reply.simple(&format!("{}{}", prefix, name));
    }
}

/// Key-spec flags (`RO`, `access`, ...) as a set of status replies.
fn reply_key_flags(reply: &mut Reply, flags: u32) {
    let names: Vec<(u64, &str)> = ks::NAMES
        .iter()
        .map(|&(bit, name)| (u64::from(bit), name))
        .collect();
    reply_flag_set(reply, u64::from(flags), &names, "");
}

/// A `{type, spec}` map of a key spec part.
fn reply_spec_part(reply: &mut Reply, kind: &str, fields: &[(&str, SpecValue)]) {
    reply.map(2);
    reply.bulk_str("type");
    reply.bulk_str(kind);
    reply.bulk_str("spec");
    reply.map(fields.len());
    for (name, value) in fields {
        reply.bulk_str(name);
        match value {
            SpecValue::Int(n) => reply.int(i64::from(*n)),
            SpecValue::Text(s) => reply.bulk_str(s),
        }
    }
}

enum SpecValue {
    Int(i32),
    Text(&'static str),
}

fn reply_key_spec(reply: &mut Reply, spec: &KeySpec) {
    reply.map(if spec.notes.is_empty() { 3 } else { 4 });
    if !spec.notes.is_empty() {
        reply.bulk_str("notes");
        reply.bulk_str(spec.notes);
    }
    reply.bulk_str("flags");
    reply_key_flags(reply, spec.flags);
    reply.bulk_str("begin_search");
    match spec.begin {
        Begin::Index(i) => reply_spec_part(reply, "index", &[("index", SpecValue::Int(i))]),
        Begin::Keyword {
            keyword,
            start_from,
        } => reply_spec_part(
            reply,
            "keyword",
            &[
                ("keyword", SpecValue::Text(keyword)),
                ("startfrom", SpecValue::Int(start_from)),
            ],
        ),
        Begin::Unknown => reply_spec_part(reply, "unknown", &[]),
    }
    reply.bulk_str("find_keys");
    match spec.find {
        Find::Range { last, step, limit } => reply_spec_part(
            reply,
            "range",
            &[
                ("lastkey", SpecValue::Int(last)),
                ("keystep", SpecValue::Int(step)),
                ("limit", SpecValue::Int(limit)),
            ],
        ),
        Find::Keynum {
            num_idx,
            first,
            step,
        } => reply_spec_part(
            reply,
            "keynum",
            &[
                ("keynumidx", SpecValue::Int(num_idx)),
                ("firstkey", SpecValue::Int(first)),
                ("keystep", SpecValue::Int(step)),
            ],
        ),
        Find::Unknown => reply_spec_part(reply, "unknown", &[]),
    }
}

/// One command's COMMAND INFO entry (10 fields, subcommands nested).
fn reply_command_info(reg: &Registry, reply: &mut Reply, id: usize) {
    let Some(entry) = reg.get(id) else {
        reply.null();
        return;
    };
    let cmd = entry.cmd;
    let (first, last, step) = cmd.legacy_range();
    reply.array(10);
    reply.bulk_str(&entry.fullname);
    reply.int(i64::from(cmd.arity));
    reply_flag_set(reply, cmd.flags, flag::NAMES, "");
    reply.int(i64::from(first));
    reply.int(i64::from(last));
    reply.int(i64::from(step));
    reply_flag_set(reply, cmd.acl_categories(), acl::NAMES, "@");
    reply.set(cmd.tips.len());
    for tip in cmd.tips {
        reply.bulk_str(tip);
    }
    reply.set(cmd.key_specs.len());
    for spec in cmd.key_specs {
        reply_key_spec(reply, spec);
    }
    if cmd.subcommands.is_empty() {
        reply.set(0);
    } else {
        let subs: Vec<usize> = reg.subcommands_of(id).collect();
        reply.array(subs.len());
        for sub in subs {
            reply_command_info(reg, reply, sub);
        }
    }
}

/// One command's COMMAND DOCS map (subcommands nested by full name).
fn reply_command_docs(reg: &Registry, reply: &mut Reply, id: usize) {
    let Some(entry) = reg.get(id) else {
        reply.map(0);
        return;
    };
    let doc = entry.cmd.doc;
    let texts = [
        ("summary", doc.summary),
        ("since", doc.since),
        ("group", doc.group),
        ("complexity", doc.complexity),
    ];
    let shown: Vec<(&str, &str)> = texts
        .into_iter()
        .filter(|(name, text)| *name == "group" || !text.is_empty())
        .collect();
    let has_subs = !entry.cmd.subcommands.is_empty();
    reply.map(shown.len() + usize::from(has_subs));
    for (name, text) in shown {
        reply.bulk_str(name);
        reply.bulk_str(text);
    }
    if has_subs {
        let subs: Vec<usize> = reg.subcommands_of(id).collect();
        reply.bulk_str("subcommands");
        reply.map(subs.len());
        for sub in subs {
            reply.bulk_str(&reg.entries[sub].fullname);
            reply_command_docs(reg, reply, sub);
        }
    }
}

/// COMMAND (no subcommand): every top-level command's info.
fn command(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    reply_all_info(&srv.registry, &mut c.reply);
    Ok(())
}

fn reply_all_info(reg: &Registry, reply: &mut Reply) {
    let ids: Vec<usize> = reg.top_level().collect();
    reply.array(ids.len());
    for id in ids {
        reply_command_info(reg, reply, id);
    }
}

/// COMMAND COUNT
fn command_count(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.registry.top_level().count() as i64);
    Ok(())
}

/// COMMAND INFO [name ...]: unknown names give a null.
fn command_info(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() == 2 {
        reply_all_info(&srv.registry, &mut c.reply);
        return Ok(());
    }
    c.reply.array(args.len() - 2);
    for name in args.tail(2).iter() {
        match srv.registry.find_fullname(name) {
            Some(id) => reply_command_info(&srv.registry, &mut c.reply, id),
            None => c.reply.null(),
        }
    }
    Ok(())
}

/// COMMAND DOCS [name ...]: unknown names are left out.
fn command_docs(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let reg = &srv.registry;
    let ids: Vec<usize> = if args.len() == 2 {
        reg.top_level().collect()
    } else {
        args.tail(2)
            .iter()
            .filter_map(|name| reg.find_fullname(name))
            .collect()
    };
    c.reply.map(ids.len());
    for id in ids {
        c.reply.bulk_str(&reg.entries[id].fullname);
        reply_command_docs(reg, &mut c.reply, id);
    }
    Ok(())
}

/// What COMMAND LIST FILTERBY keeps.
enum ListFilter<'a> {
    Module,
    AclCategory(&'a [u8]),
    Pattern(&'a [u8]),
}

impl ListFilter<'_> {
    fn keeps(&self, cmd: &Command, fullname: &str) -> bool {
        match self {
            // No module commands exist.
            ListFilter::Module => false,
            ListFilter::AclCategory(name) => acl::NAMES
                .iter()
                .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
                .is_some_and(|(bit, _)| cmd.acl_categories() & bit != 0),
            ListFilter::Pattern(p) => crate::db::glob::glob_match(p, fullname.as_bytes(), true),
        }
    }
}

/// COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]
fn command_list(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let filter = match args.len() {
        2 => None,
        5 if super::is_opt(&args[2], "filterby") => {
            let value = &args[4];
            if super::is_opt(&args[3], "module") {
                Some(ListFilter::Module)
            } else if super::is_opt(&args[3], "aclcat") {
                Some(ListFilter::AclCategory(value))
            } else if super::is_opt(&args[3], "pattern") {
                Some(ListFilter::Pattern(value))
            } else {
                return Err(errors::SYNTAX.into());
            }
        }
        _ => return Err(errors::SYNTAX.into()),
    };
    let reg = &srv.registry;
    let names: Vec<&str> = reg
        .entries
        .iter()
        .filter(|e| filter.as_ref().is_none_or(|f| f.keeps(e.cmd, &e.fullname)))
        .map(|e| e.fullname.as_str())
        .collect();
    let at = c.reply.defer();
    for name in &names {
        c.reply.bulk_str(name);
    }
    c.reply.fill(at, Aggregate::Array, names.len());
    Ok(())
}

/// COMMAND GETKEYS command [arg ...]
fn command_getkeys(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_keys(srv, c, args, false)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
fn command_getkeysandflags(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_keys(srv, c, args, true)
}

fn reply_keys(srv: &mut Server, c: &mut Client, args: &Args, with_flags: bool) -> CmdResult {
    let target = args.tail(2);
    let Lookup::Found(id) = srv.registry.lookup(&target) else {
        return Err(CmdError::Static("ERR Invalid command specified"));
    };
    let cmd = srv.registry.entries[id].cmd;
    if !has_keys(cmd) {
        return Err(CmdError::Static("ERR The command has no key arguments"));
    }
    if !cmd.arity_ok(target.len()) {
        return Err(CmdError::Static(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = command_keys(cmd, &target);
    if keys.is_empty() && !cmd.has(flag::NO_MANDATORY_KEYS) {
        return Err(CmdError::Static(
            "ERR Invalid arguments specified for command",
        ));
    }
    c.reply.array(keys.len());
    for key in keys {
        if with_flags {
            c.reply.array(2);
            c.reply.bulk(&target[key.pos]);
            reply_key_flags(&mut c.reply, key.flags);
        } else {
            c.reply.bulk(&target[key.pos]);
        }
    }
    Ok(())
}

/// COMMAND HELP
fn command_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    super::reply_help(
        c,
        &args[0],
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}

/// Flags and ACL categories of COMMAND and all its subcommands.
const FLAGS: u64 = flag::LOADING | flag::STALE;
const ACL: u64 = acl::SLOW | acl::CONNECTION;

const COMMAND_SUBCOMMANDS: &[Command] = &[
    Command::new("count", 2, command_count)
        .flags(FLAGS)
        .acl(ACL)
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Returns the number of commands.",
        ),
    Command::new("docs", -2, command_docs)
        .flags(FLAGS)
        .acl(ACL)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of commands to look up",
            "Returns documentation facts about commands.",
        ),
    Command::new("getkeys", -4, command_getkeys)
        .flags(FLAGS)
        .acl(ACL)
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of arguments to the command",
            "Extracts the key names from a full command line.",
        ),
    Command::new("getkeysandflags", -4, command_getkeysandflags)
        .flags(FLAGS)
        .acl(ACL)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of arguments to the command",
            "Extracts the key names and their access flags from a full command line.",
        ),
    Command::new("help", 2, command_help)
        .flags(FLAGS)
        .acl(ACL)
        .doc("server", "5.0.0", "O(1)", "Lists the COMMAND subcommands."),
    Command::new("info", -2, command_info)
        .flags(FLAGS)
        .acl(ACL)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of commands to look up",
            "Describes commands: arity, flags, keys, ACL categories.",
        ),
    Command::new("list", -2, command_list)
        .flags(FLAGS)
        .acl(ACL)
        .tips(&["nondeterministic_output_order"])
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the total number of Redis commands",
            "Lists command names, optionally filtered.",
        ),
];

pub const COMMANDS: &[Command] = &[Command::new("command", -1, command)
    .flags(flag::LOADING | flag::STALE)
    .acl(acl::SLOW | acl::CONNECTION)
    .tips(&["nondeterministic_output_order"])
    .doc(
        "server",
        "2.8.13",
        "O(N) where N is the total number of Redis commands",
        "Describes every command.",
    )
    .subcommands(COMMAND_SUBCOMMANDS)];
