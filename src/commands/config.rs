//! The CONFIG command family: GET (glob patterns), SET (several
//! directives at once, all or nothing), RESETSTAT, REWRITE and HELP, with
//! Redis's replies and error texts.

use crate::config::{self, flag as cfg, Apply, Found, Value, DIRECTIVES};
use crate::server::client::Client;
use crate::server::errors::{self, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;

/// Only reached with a subcommand missing (arity rejects it first).
fn config_container(_srv: &mut Server, _c: &mut Client, _args: &Args) -> CmdResult {
    Err(errors::wrong_arity("config"))
}

/// True when `name` can only match itself (no glob characters).
fn is_plain_name(name: &[u8]) -> bool {
    !name.iter().any(|b| matches!(b, b'[' | b'*' | b'?'))
}

/// CONFIG GET pattern [pattern ...]: a map of every matching directive.
fn config_get(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut matches: Vec<(Vec<u8>, usize)> = Vec::new();
    let seen = |m: &Vec<(Vec<u8>, usize)>, name: &[u8]| {
        m.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for pattern in args.iter().skip(2) {
        if is_plain_name(pattern) {
            if let Some(found) = config::lookup(pattern).filter(|_| !seen(&matches, pattern)) {
                matches.push((pattern.to_vec(), found.id));
            }
            continue;
        }
        for (id, d) in DIRECTIVES.iter().enumerate() {
            if d.has(cfg::HIDDEN) {
                continue;
            }
            for name in std::iter::once(d.name).chain(d.alias) {
                let name = name.as_bytes();
                if !seen(&matches, name) && crate::db::glob::glob_match(pattern, name, true) {
                    matches.push((name.to_vec(), id));
                }
            }
        }
    }
    c.reply.map(matches.len());
    for (name, id) in matches {
        c.reply.bulk(&name);
        c.reply.bulk(&srv.config.get_text(id));
    }
    Ok(())
}

/// Why CONFIG SET refused its arguments before changing anything.
enum Refusal<'a> {
    Unknown(&'a [u8]),
    Named(&'a [u8], &'static str),
    /// A directive that cannot change while a dataset is loaded.
    Loading,
}

/// CONFIG SET name value [name value ...]: all set, or none.
fn config_set(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if !args.len().is_multiple_of(2) {
        return Err(errors::SYNTAX.into());
    }
    let pairs: Vec<(&[u8], &[u8])> = (2..args.len())
        .step_by(2)
        .map(|i| (&args[i], &args[i + 1]))
        .collect();
    // Passwords never reach SLOWLOG or MONITOR, even when the command fails.
    for (i, (name, _)) in pairs.iter().enumerate() {
        if config::lookup(name).is_some_and(|f| DIRECTIVES[f.id].has(cfg::SENSITIVE)) {
            c.redact_arg(3 + 2 * i);
        }
    }
    let targets = find_targets(srv, c, &pairs).map_err(|r| match r {
        Refusal::Unknown(name) => errors::CmdError::concat(&[
            b"ERR Unknown option or number of arguments for CONFIG SET - '",
            name,
            b"'",
        ]),
        Refusal::Named(name, why) => set_failed(&String::from_utf8_lossy(name), why).into(),
        Refusal::Loading => errors::LOADING.into(),
    })?;
    let backup: Vec<Value> = targets.iter().map(|f| srv.config.snapshot(f.id)).collect();
    let mut applies: Vec<(Apply, &'static str)> = Vec::new();
    for (i, (found, (_, value))) in targets.iter().zip(&pairs).enumerate() {
        match srv.config.set_from_command(found.id, value) {
            Ok(changed) => {
                let apply = DIRECTIVES[found.id].apply.filter(|_| changed);
                if let Some(apply) = apply.filter(|a| !applies.iter().any(|(b, _)| b == a)) {
                    applies.push((apply, found.name()));
                }
            }
            Err(why) => {
                restore(srv, &targets[..=i], &backup);
                return Err(set_failed(found.name(), &why).into());
            }
        }
    }
    for &(apply, name) in &applies {
        if let Err(why) = srv.apply_config(apply) {
            log::warn!("Failed applying new configuration. Possibly related to new {} setting. Restoring previous settings.", name);
            restore(srv, &targets, &backup);
            for &(again, _) in &applies {
                if let Err(e) = srv.apply_config(again) {
                    log::warn!("Failed applying restored failed CONFIG SET command: {}", e);
                }
            }
            return Err(set_failed(name, &why).into());
        }
    }
    c.reply.ok();
    Ok(())
}

fn set_failed(name: &str, why: &str) -> String {
    format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
        name, why
    )
}

/// Resolves every name; the first problem found is reported (unknown,
/// immutable, protected, refused while loading or repeated directive).
fn find_targets<'a>(
    srv: &Server,
    c: &Client,
    pairs: &[(&'a [u8], &'a [u8])],
) -> Result<Vec<Found>, Refusal<'a>> {
    let mut targets: Vec<Found> = Vec::with_capacity(pairs.len());
    for &(name, _) in pairs {
        let found = config::lookup(name).ok_or(Refusal::Unknown(name))?;
        let d = &DIRECTIVES[found.id];
        if d.has(cfg::IMMUTABLE) {
            return Err(Refusal::Named(name, "can't set immutable config"));
        }
        if d.has(cfg::PROTECTED) && !srv.config.enable_protected_configs.allows(c.is_local) {
            return Err(Refusal::Named(name, "can't set protected config"));
        }
        if d.has(cfg::DENY_LOADING) && srv.loading_any() {
            return Err(Refusal::Loading);
        }
        if targets.contains(&found) {
            return Err(Refusal::Named(name, "duplicate parameter"));
        }
        targets.push(found);
    }
    Ok(targets)
}

/// Puts back the values saved before a failed CONFIG SET.
fn restore(srv: &mut Server, targets: &[Found], backup: &[Value]) {
    for (found, old) in targets.iter().zip(backup) {
        srv.config.restore(found.id, old.clone());
    }
}

/// CONFIG RESETSTAT: zeroes INFO's counters, command and error stats.
fn config_resetstat(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.stats.reset();
    srv.eviction.reset_stats();
    srv.lazyfree.reset_stats();
    let sync = &mut srv.replication.primary;
    (sync.sync_full, sync.sync_partial_ok, sync.sync_partial_err) = (0, 0, 0);
    srv.acl.denials = Default::default();
    for entry in &mut srv.registry.entries {
        entry.stats = Default::default();
    }
    c.reply.ok();
    Ok(())
}

/// Rewrites the config file from the running configuration (every
/// directive when `force_all`).
pub fn rewrite_config_file(srv: &Server, path: &str, force_all: bool) -> std::io::Result<()> {
    let users = srv.config.aclfile.is_empty().then(|| {
        srv.acl
            .users()
            .map(|u| srv.acl_user_line(u))
            .collect::<Vec<_>>()
    });
    config::rewrite::rewrite(&srv.config, path, users.as_deref(), force_all)
}

/// CONFIG REWRITE: writes the running configuration into the config file.
fn config_rewrite(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let Some(path) = srv.config.config_file.clone() else {
        return Err("ERR The server is running without a config file".into());
    };
    match rewrite_config_file(srv, &path, false) {
        Ok(()) => {
            log::warn!("CONFIG REWRITE executed with success.");
            c.reply.ok();
            Ok(())
        }
        Err(e) => {
            let reason = config::value::strerror(&e);
            log::warn!("CONFIG REWRITE failed: {}", reason);
            Err(format!("ERR Rewriting config file: {}", reason).into())
        }
    }
}

const HELP: &[&str] = &[
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
];

fn config_help(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.array(HELP.len() + 3);
    c.reply
        .simple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    for line in HELP {
        c.reply.simple(line);
    }
    c.reply.simple("HELP");
    c.reply.simple("    Prints this help.");
    Ok(())
}

const ADMIN_FLAGS: u64 = flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE;
const ADMIN_ACL: u64 = acl::ADMIN | acl::SLOW | acl::DANGEROUS;
const PER_PARAMETER: &str = "O(N) when N is the number of configuration parameters provided";

#[rustfmt::skip]
const SUBCOMMANDS: &[Command] = &[
    Command::new("set", -4, config_set)
        .flags(ADMIN_FLAGS)
        .acl(ADMIN_ACL)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc("server", "2.0.0", PER_PARAMETER, "Sets configuration directives at run time."),
    Command::new("resetstat", 2, config_resetstat)
        .flags(ADMIN_FLAGS)
        .acl(ADMIN_ACL)
        .doc("server", "2.0.0", "O(1)", "Resets the server's statistics."),
    Command::new("get", -3, config_get)
        .flags(ADMIN_FLAGS)
        .acl(ADMIN_ACL)
        .doc("server", "2.0.0", PER_PARAMETER, "Returns the values of configuration directives matching patterns."),
    Command::new("help", 2, config_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc("server", "5.0.0", "O(1)", "Returns helpful text about the different subcommands."),
    Command::new("rewrite", 2, config_rewrite)
        .flags(ADMIN_FLAGS)
        .acl(ADMIN_ACL)
        .doc("server", "2.8.0", "O(1)", "Persists the running configuration to the config file."),
];

#[rustfmt::skip]
pub const COMMANDS: &[Command] = &[
    Command::new("config", -2, config_container)
        .acl(acl::SLOW)
        .doc("server", "2.0.0", "Depends on subcommand.", "A container for server configuration commands.")
        .subcommands(SUBCOMMANDS),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::server::spec::OwnedArgs;

    fn server() -> Server {
        let mut config = Config::default();
        config.set_internal("port", "0").ok();
        Server::new(config, crate::commands::TABLES, crate::commands::FEATURES)
            .expect("server without listeners")
    }

    #[test]
    fn resetstat_zeroes_stats_but_keeps_slowlog() {
        let mut srv = server();
        let mut c = Client::new(1, 0, None, 0);
        srv.stats.total_commands_processed = 5;
        srv.replication.primary.sync_partial_ok = 2;
        srv.stats.count_error("ERR");
        if let Some(entry) = srv.registry.entries.first_mut() {
            entry.stats.calls = 3;
        }
        let args = OwnedArgs::from_slices(&["config", "resetstat"]);
        srv.slowlog.push(&args.args(), 10, "", "", 128);
        assert_eq!(config_resetstat(&mut srv, &mut c, &args.args()), Ok(()));
        assert_eq!(c.reply.buf, b"+OK\r\n");
        assert_eq!(srv.stats.total_commands_processed, 0);
        assert_eq!(srv.replication.primary.sync_partial_ok, 0);
        assert!(srv.stats.errors.is_empty());
        assert!(srv.registry.entries.iter().all(|e| e.stats.calls == 0));
        assert_eq!(srv.slowlog.entries.len(), 1);
    }

    #[test]
    fn get_reply_is_a_map_in_resp3() {
        let mut srv = server();
        let mut c = Client::new(1, 0, None, 0);
        c.reply.resp3 = true;
        let args = OwnedArgs::from_slices(&["config", "get", "hz"]);
        assert_eq!(config_get(&mut srv, &mut c, &args.args()), Ok(()));
        assert_eq!(c.reply.buf, b"%1\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    }
}
