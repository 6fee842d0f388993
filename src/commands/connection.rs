//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO, and
//! CLIENT (identity and name, listing and killing connections, reply
//! modes, eviction protection, pausing; the client-side caching
//! subcommands are in `tracking.rs`).
//!
//! Authentication checks ACL users (`server::acl`): AUTH with a password
//! alone names the `default` user.

use super::{i32_arg, int_arg, is_opt, reply_help, tracking};
use crate::server::acl::{UserId, DEFAULT_USER};
use crate::server::blocking::Unblock;
use crate::server::client::{Client, ClientKind};
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::stats::Pause;
use crate::server::Server;
use crate::util::{now_ms, parse_i64};

const AUTH_WITHOUT_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
const BAD_CLIENT_NAME: &str =
    "ERR Client names cannot contain spaces, newlines or special characters.";

fn ping(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 2 {
        return Err(errors::wrong_arity("ping"));
    }
    let message = args.get(1);
    if c.kind == ClientKind::PubSub && !c.reply.resp3 {
        c.reply.array(2);
        c.reply.bulk(b"pong");
        c.reply.bulk(message.unwrap_or_default());
        return Ok(());
    }
    match message {
        Some(m) => c.reply.bulk(m),
        None => c.reply.simple("PONG"),
    }
    Ok(())
}

fn echo(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.reply.bulk(&args[1]);
    Ok(())
}

fn quit(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.ok();
    c.close_after_reply = true;
    Ok(())
}

fn reset(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if matches!(c.kind, ClientKind::Replica | ClientKind::Primary) {
        return Err("ERR can only reset normal client connections".into());
    }
    srv.reset_client_state(c);
    c.reply.simple("RESET");
    Ok(())
}

fn select(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let index = i32_arg(&args[1], None)?;
    match usize::try_from(index) {
        Ok(db) if db < srv.dbs.len() => {
            c.db = db;
            c.reply.ok();
            Ok(())
        }
        _ => Err(errors::DB_OUT_OF_RANGE.into()),
    }
}

fn auth(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::SYNTAX.into());
    }
    c.redact_arg(1);
    let (user, password) = if args.len() == 2 {
        if srv.acl.default_has_no_password() {
            return Err(AUTH_WITHOUT_PASSWORD.into());
        }
        (DEFAULT_USER, &args[1])
    } else {
        c.redact_arg(2);
        (&args[1], &args[2])
    };
    srv.authenticate(c, user, password, &args[0])?;
    c.reply.ok();
    Ok(())
}

/// `HELLO [protover [AUTH user pass] [SETNAME name]]`. Options take effect
/// in order, so a name may be set even when a later check fails.
fn hello(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut version = None;
    if args.len() >= 2 {
        let v =
            parse_i64(&args[1]).ok_or("ERR Protocol version is not an integer or out of range")?;
        if !(2..=3).contains(&v) {
            return Err("NOPROTO unsupported protocol version".into());
        }
        version = Some(v);
    }
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let option = &args[j];
        if is_opt(option, "auth") && more >= 2 {
            c.redact_arg(j + 1);
            c.redact_arg(j + 2);
            srv.authenticate(c, &args[j + 1], &args[j + 2], &args[0])?;
            j += 3;
        } else if is_opt(option, "setname") && more >= 1 {
            set_client_name(c, &args[j + 1])?;
            j += 2;
        } else {
            return Err(CmdError::concat(&[
                b"ERR Syntax error in HELLO option '",
                option,
                b"'",
            ]));
        }
    }
    if !c.authenticated {
        return Err(HELLO_NOAUTH.into());
    }
    if let Some(v) = version {
        c.reply.resp3 = v == 3;
    }
    c.reply.map(7);
    c.reply.bulk(b"server");
    c.reply.bulk(b"redis");
    c.reply.bulk(b"version");
    c.reply.bulk_str(crate::version::REDIS_VERSION);
    c.reply.bulk(b"proto");
    c.reply.int(if c.reply.resp3 { 3 } else { 2 });
    c.reply.bulk(b"id");
    c.reply.uint(c.id);
    c.reply.bulk(b"mode");
    c.reply.bulk(b"standalone");
    c.reply.bulk(b"role");
    c.reply.bulk(if srv.is_replica() {
        b"replica".as_slice()
    } else {
        b"master"
    });
    c.reply.bulk(b"modules");
    c.reply.empty_array();
    Ok(())
}

/// Names are printable ASCII without spaces; an empty name removes it.
fn set_client_name(c: &mut Client, name: &[u8]) -> CmdResult {
    if !name.iter().all(|b| (b'!'..=b'~').contains(b)) {
        return Err(BAD_CLIENT_NAME.into());
    }
    c.name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    Ok(())
}

/// The container: every valid call resolves to a subcommand first.
fn client(_srv: &mut Server, _c: &mut Client, args: &Args) -> CmdResult {
    Err(errors::subcommand_syntax(&args[0], &args[1]))
}

const CLIENT_HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

fn client_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, &args[0], CLIENT_HELP);
    Ok(())
}

fn client_id(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.uint(c.id);
    Ok(())
}

fn client_info(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let mut text = srv.client_info_string(c);
    text.push('\n');
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

/// `CLIENT LIST [TYPE type | ID id [id ...]]`: one line per client, in
/// connection order (or in the order the ids were given).
fn client_list(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut text = String::new();
    if args.len() == 4 && is_opt(&args[2], "type") {
        let kind = client_type_by_name(&args[3])?;
        for other in srv.clients_by_id(c) {
            if other.client_type() == kind {
                srv.write_client_info(&mut text, other);
                text.push('\n');
            }
        }
    } else if args.len() > 3 && is_opt(&args[2], "id") {
        let ids = args
            .iter()
            .skip(3)
            .map(|a| parse_i64(a).ok_or("ERR Invalid client ID"))
            .collect::<Result<Vec<i64>, _>>()?;
        for id in ids {
            let found = srv.clients_by_id(c).into_iter().find(|o| o.id as i64 == id);
            if let Some(other) = found {
                srv.write_client_info(&mut text, other);
                text.push('\n');
            }
        }
    } else if args.len() == 2 {
        for other in srv.clients_by_id(c) {
            srv.write_client_info(&mut text, other);
            text.push('\n');
        }
    } else {
        return Err(errors::SYNTAX.into());
    }
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

/// `normal`, `master`, `replica` (or `slave`), `pubsub`.
fn client_type_by_name(name: &[u8]) -> Result<ClientKind, CmdError> {
    let kind = if is_opt(name, "normal") {
        ClientKind::Normal
    } else if is_opt(name, "slave") || is_opt(name, "replica") {
        ClientKind::Replica
    } else if is_opt(name, "pubsub") {
        ClientKind::PubSub
    } else if is_opt(name, "master") {
        ClientKind::Primary
    } else {
        return Err(CmdError::concat(&[
            b"ERR Unknown client type '",
            name,
            b"'",
        ]));
    };
    Ok(kind)
}

fn client_setname(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_client_name(c, &args[2])?;
    c.reply.ok();
    Ok(())
}

fn client_getname(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.bulk_opt(c.name.as_deref());
    Ok(())
}

/// Which connections CLIENT KILL closes.
struct KillFilter<'a> {
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    kind: Option<ClientKind>,
    id: Option<u64>,
    user: Option<Option<UserId>>,
    skip_me: bool,
}

impl<'a> KillFilter<'a> {
    /// The old form, `CLIENT KILL ip:port`, which may kill the caller.
    fn by_address(addr: &'a [u8]) -> Self {
        KillFilter {
            addr: Some(addr),
            laddr: None,
            kind: None,
            id: None,
            user: None,
            skip_me: false,
        }
    }

    /// The new form: option/value pairs from argument 2 on.
    fn parse(srv: &Server, args: &Args<'a>) -> Result<Self, CmdError> {
        let mut filter = KillFilter {
            addr: None,
            laddr: None,
            kind: None,
            id: None,
            user: None,
            skip_me: true,
        };
        let mut i = 2;
        while i < args.len() {
            let (option, value) = match (args.get(i), args.get(i + 1)) {
                (Some(o), Some(v)) => (o, v),
                _ => return Err(errors::SYNTAX.into()),
            };
            if is_opt(option, "id") {
                let id = parse_i64(value)
                    .filter(|&id| id >= 1)
                    .ok_or("ERR client-id should be greater than 0")?;
                filter.id = Some(id as u64);
            } else if is_opt(option, "type") {
                filter.kind = Some(client_type_by_name(value)?);
            } else if is_opt(option, "addr") {
                filter.addr = Some(value);
            } else if is_opt(option, "laddr") {
                filter.laddr = Some(value);
            } else if is_opt(option, "user") {
                let Some(user) = srv.acl.find(value) else {
                    return Err(CmdError::concat(&[b"ERR No such user '", value, b"'"]));
                };
                filter.user = Some(Some(user));
            } else if is_opt(option, "skipme") {
                filter.skip_me = if is_opt(value, "yes") {
                    true
                } else if is_opt(value, "no") {
                    false
                } else {
                    return Err(errors::SYNTAX.into());
                };
            } else {
                return Err(errors::SYNTAX.into());
            }
            i += 2;
        }
        Ok(filter)
    }

    /// True if `c` is to be killed.
    fn matches(&self, c: &Client) -> bool {
        self.addr.is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.is_none_or(|a| a == c.local_addr.as_bytes())
            && self.kind.is_none_or(|k| k == c.client_type())
            && self.id.is_none_or(|id| id == c.id)
            && self.user.is_none_or(|u| u == c.user)
    }
}

/// `CLIENT KILL ip:port` replies OK or an error; the option form replies
/// how many connections it closed. The caller, if killed, is closed once
/// the reply is sent.
fn client_kill(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let old_form = args.len() == 3;
    let filter = if old_form {
        KillFilter::by_address(&args[2])
    } else {
        KillFilter::parse(srv, args)?
    };
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter(|other| filter.matches(other))
        .map(|other| other.slot)
        .collect();
    let kill_self = !filter.skip_me && filter.matches(c);
    let killed = victims.len() + usize::from(kill_self);
    for slot in victims {
        srv.free_client(slot);
    }
    if old_form {
        if killed == 0 {
            return Err("ERR No such client".into());
        }
        c.reply.ok();
    } else {
        c.reply.uint(killed as u64);
    }
    if kill_self {
        c.close_after_reply = true;
    }
    Ok(())
}

/// `CLIENT REPLY ON|OFF|SKIP`. Only ON replies: OFF and SKIP silence
/// their own reply too.
fn client_reply(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mode = &args[2];
    if is_opt(mode, "on") {
        c.reply_mode.off = false;
        c.reply_mode.skip = false;
        c.reply.ok();
    } else if is_opt(mode, "off") {
        c.reply_mode.off = true;
    } else if is_opt(mode, "skip") {
        if !c.reply_mode.off {
            c.reply_mode.skip_next = true;
        }
    } else {
        return Err(errors::SYNTAX.into());
    }
    Ok(())
}

fn client_no_evict(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.no_evict = on_off(&args[2])?;
    c.reply.ok();
    Ok(())
}

/// `on` or `off`, else a syntax error.
fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if is_opt(arg, "on") {
        Ok(true)
    } else if is_opt(arg, "off") {
        Ok(false)
    } else {
        Err(errors::SYNTAX.into())
    }
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`.
fn client_pause(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let write_only = match args.get(3) {
        None => false,
        Some(m) if is_opt(m, "write") => true,
        Some(m) if is_opt(m, "all") => false,
        Some(_) => return Err("ERR CLIENT PAUSE mode must be WRITE or ALL".into()),
    };
    let timeout = int_arg(&args[2]).map_err(|_| CmdError::Static(errors::TIMEOUT_NOT_INTEGER))?;
    if timeout < 0 {
        return Err(errors::TIMEOUT_NEGATIVE.into());
    }
    // Redis adds the clock without an overflow check; a huge timeout wraps
    // to the past and pauses nothing, and so it does here.
    let until_ms = if timeout > 0 {
        timeout.wrapping_add(now_ms())
    } else {
        0
    };
    srv.pause_clients(Pause {
        until_ms,
        write_only,
    });
    c.reply.ok();
    Ok(())
}

fn client_unpause(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.unpause_clients();
    c.reply.ok();
    Ok(())
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: 1 if a client blocked by a
/// blocking command was released, else 0.
fn client_unblock(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(errors::subcommand_syntax(&args[0], &args[1]));
    }
    let how = match args.get(3) {
        None => Unblock::Command { error: false },
        Some(a) if is_opt(a, "timeout") => Unblock::Command { error: false },
        Some(a) if is_opt(a, "error") => Unblock::Command { error: true },
        Some(_) => return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into()),
    };
    let id = int_arg(&args[2])?;
    let slot = srv
        .clients
        .iter()
        .find(|other| other.id as i64 == id)
        .map(|o| o.slot);
    let done = slot.is_some_and(|slot| srv.unblock_client(slot, how));
    c.reply.int(i64::from(done));
    Ok(())
}

impl Server {
    /// Puts a connection back in the state of a new one (RESET): database
    /// 0, RESP2, no name, replies on, not a MONITOR, the default user,
    /// authenticated only if it needs no password. Whatever per-connection
    /// state a feature adds (transactions, subscriptions, tracking) is
    /// cleared here too.
    pub fn reset_client_state(&mut self, c: &mut Client) {
        if c.monitor {
            c.monitor = false;
            self.monitors.retain(|&slot| slot != c.slot);
        }
        self.drop_subscriptions(c);
        self.disable_tracking(c);
        c.db = 0;
        c.reply.resp3 = false;
        self.set_default_auth(c);
        c.name = None;
        c.reply_mode.off = false;
        c.reply_mode.skip_next = false;
        self.discard_transaction(c);
    }

    /// Every client including `current` (the one being served is out of
    /// the table), oldest connection first.
    fn clients_by_id<'a>(&'a self, current: &'a Client) -> Vec<&'a Client> {
        let mut all: Vec<&Client> = self.clients.iter().collect();
        all.push(current);
        all.sort_unstable_by_key(|c| c.id);
        all
    }
}

const CLIENT_SUBCOMMANDS: &[Command] = &[
    tracking::TRACKING,
    tracking::CACHING,
    tracking::GETREDIR,
    tracking::TRACKINGINFO,
    Command::new("help", 2, client_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::CONNECTION)
        .doc("connection", "5.0.0", "O(1)", "Shows what CLIENT can do."),
    Command::new("info", 2, client_info)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::CONNECTION)
        .tips(&["nondeterministic_output"])
        .doc("connection", "6.2.0", "O(1)", "Describes this connection."),
    Command::new("no-evict", 3, client_no_evict)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION)
        .doc(
            "connection",
            "7.0.0",
            "O(1)",
            "Exempts this connection from client eviction, or not.",
        ),
    Command::new("getname", 2, client_getname)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::CONNECTION)
        .doc(
            "connection",
            "2.6.9",
            "O(1)",
            "Returns this connection's name.",
        ),
    Command::new("reply", 3, client_reply)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::CONNECTION)
        .doc(
            "connection",
            "3.2.0",
            "O(1)",
            "Turns the replies to this connection on or off, or skips one.",
        ),
    Command::new("pause", -3, client_pause)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION)
        .doc(
            "connection",
            "2.9.50",
            "O(1)",
            "Holds back the commands of clients for a while.",
        ),
    Command::new("list", -2, client_list)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION)
        .tips(&["nondeterministic_output"])
        .doc(
            "connection",
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Describes the open connections.",
        ),
    Command::new("unblock", -3, client_unblock)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION)
        .doc(
            "connection",
            "5.0.0",
            "O(log N) where N is the number of client connections",
            "Releases a client blocked by a blocking command.",
        ),
    Command::new("unpause", 2, client_unpause)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION)
        .doc(
            "connection",
            "6.2.0",
            "O(N) Where N is the number of paused clients",
            "Ends a CLIENT PAUSE.",
        ),
    Command::new("setname", 3, client_setname)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::CONNECTION)
        .doc("connection", "2.6.9", "O(1)", "Names this connection."),
    Command::new("id", 2, client_id)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::SLOW | acl::CONNECTION)
        .doc(
            "connection",
            "5.0.0",
            "O(1)",
            "Returns this connection's unique id.",
        ),
    Command::new("kill", -3, client_kill)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS | acl::CONNECTION)
        .doc(
            "connection",
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Closes the connections that match a filter.",
        ),
];

pub const COMMANDS: &[Command] = &[
    Command::new("ping", -1, ping)
        .flags(flag::FAST | flag::SUBSCRIBED_OK)
        .acl(acl::FAST | acl::CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("connection", "1.0.0", "O(1)", "Replies PONG, or the given message."),
    Command::new("echo", 2, echo)
        .flags(flag::LOADING | flag::STALE | flag::FAST)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0", "O(1)", "Replies the given message."),
    Command::new("quit", -1, quit)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY | flag::SUBSCRIBED_OK)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0", "O(1)", "Closes the connection after replying OK."),
    Command::new("reset", 1, reset)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY | flag::SUBSCRIBED_OK)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "6.2.0", "O(1)", "Puts the connection back in its initial state."),
    Command::new("select", 2, select)
        .flags(flag::LOADING | flag::STALE | flag::FAST)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0", "O(1)", "Changes the database this connection uses."),
    Command::new("auth", -2, auth)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "1.0.0", "O(N) where N is the number of passwords defined for the user", "Authenticates the connection."),
    Command::new("hello", -1, hello)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY)
        .acl(acl::FAST | acl::CONNECTION)
        .doc("connection", "6.0.0", "O(1)", "Picks the protocol version, optionally authenticating and naming the connection, and describes the server."),
    Command::new("client", -2, client)
        .acl(acl::SLOW)
        .doc("connection", "2.4.0", "Depends on subcommand.", "Inspects and controls client connections.")
        .subcommands(CLIENT_SUBCOMMANDS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names() {
        let mut c = Client::new(1, 0, None, 0);
        assert!(set_client_name(&mut c, b"my-name!").is_ok());
        assert_eq!(c.name.as_deref(), Some(&b"my-name!"[..]));
        assert!(set_client_name(&mut c, b"a b").is_err());
        assert!(set_client_name(&mut c, b"a\nb").is_err());
        assert!(set_client_name(&mut c, b"\x80").is_err());
        assert_eq!(c.name.as_deref(), Some(&b"my-name!"[..]));
        assert!(set_client_name(&mut c, b"").is_ok());
        assert_eq!(c.name, None);
    }
}
