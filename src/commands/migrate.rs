//! MIGRATE: moves keys to another server by sending it RESTORE commands
//! with DUMP payloads, then deletes them here (unless COPY).
//!
//! As in Redis the transfer is synchronous (the server waits for the
//! target, bounded by the timeout) and connections are cached per
//! `host:port` for ten seconds, remembering the database last SELECTed.
//! A failure on a cached connection that may just have gone stale is
//! retried once on a fresh one.

use super::is_opt;
use crate::persistence::snapshot::write_options;
use crate::persistence::value::save_form;
use crate::persistence::writer::dump_payload;
use crate::resp::command::push_command;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::hooks::Feature;
use crate::server::spec::{acl, flag, ks, Args, Begin, Command, Find, KeyRef, KeySpec};
use crate::server::state::migrate::CachedSocket;
use crate::server::write::DEL;
use crate::server::Server;
use std::io::{self, BufRead, Read, Write};
use std::time::Duration;

/// Bytes written per write call.
const WRITE_CHUNK: usize = 64 * 1024;
/// Longest reply line read back.
const MAX_LINE: u64 = 1024;

/// MIGRATE's hook: the cron closes connections idle for ten seconds.
pub const FEATURE: Feature = Feature {
    cron: Some(|srv| srv.migrate_sockets.close_idle(crate::util::unix_seconds())),
    before_sleep: None,
    admit: None,
    after_write: None,
    shutdown: None,
    socket: None,
    sink: None,
    roles: None,
    apply_config: None,
};

/// Deletes a key MIGRATE moved, as stored (as Redis); true if it was there.
fn delete_as_stored(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    let mut w = srv.write_key_as_stored(db, key);
    let deleted = w.delete();
    if deleted {
        w.changed(1, DEL);
    }
    deleted
}

/// Options after the timeout.
#[derive(Debug, Default)]
struct MigrateOptions<'a> {
    copy: bool,
    replace: bool,
    username: Option<&'a [u8]>,
    password: Option<&'a [u8]>,
    /// Index of the first key argument.
    first_key: usize,
}

fn parse_options<'a>(c: &mut Client, args: &Args<'a>) -> Result<MigrateOptions<'a>, CmdError> {
    let mut o = MigrateOptions {
        first_key: 3,
        ..Default::default()
    };
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let arg = args.get(j).unwrap_or_default();
        if is_opt(arg, "copy") {
            o.copy = true;
        } else if is_opt(arg, "replace") {
            o.replace = true;
        } else if is_opt(arg, "auth") && more >= 1 {
            j += 1;
            o.password = args.get(j);
            c.redact_arg(j);
        } else if is_opt(arg, "auth2") && more >= 2 {
            o.username = args.get(j + 1);
            o.password = args.get(j + 2);
            c.redact_arg(j + 1);
            c.redact_arg(j + 2);
            j += 2;
        } else if is_opt(arg, "keys") {
            if !args[3].is_empty() {
                return Err(CmdError::Static("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"));
            }
            o.first_key = j + 1;
            break;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    Ok(o)
}

/// Keys to move: (key, RESTORE command for it), skipping keys that
/// expired meanwhile.
fn restore_commands(
    srv: &mut Server,
    db: usize,
    keys: &[Vec<u8>],
    replace: bool,
) -> (Vec<Vec<u8>>, Vec<u8>) {
    let opts = write_options(srv);
    let now = crate::util::now_ms();
    let mut moved = Vec::with_capacity(keys.len());
    let mut out = Vec::new();
    for key in keys {
        let d = srv.database(db);
        let ttl = match d.expire_of(key) {
            Some(at) if at - now < 0 => continue,
            Some(at) => (at - now).max(1),
            None => 0,
        };
        let Some(obj) = d.get(key) else {
            continue;
        };
        let payload = dump_payload(&save_form(&obj.value), opts);
        let ttl = crate::util::i64_to_bytes(ttl);
        let mut parts: Vec<&[u8]> = vec![b"RESTORE", key, &ttl, &payload];
        if replace {
            parts.push(b"REPLACE");
        }
        push_command(&mut out, &parts);
        moved.push(key.clone());
    }
    (moved, out)
}

/// Reads one reply line.
fn read_line(s: &mut CachedSocket) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let n = (&mut s.stream)
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(line)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// How one attempt ended.
enum Attempt {
    /// Done: the reply is out and keys were deleted as due.
    Done,
    /// The connection failed while `writing` (or reading); `retry` when
    /// nothing was processed and it was not a timeout, so a fresh
    /// connection may succeed.
    Failed { writing: bool, retry: bool },
}

/// The end of an attempt whose connection failed with `e`.
fn failed(e: &io::Error, writing: bool, nothing_done: bool) -> Attempt {
    Attempt::Failed {
        writing,
        retry: nothing_done && !is_timeout(e),
    }
}

/// One transfer over the (possibly cached) connection.
fn attempt(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    o: &MigrateOptions,
    keys: &[Vec<u8>],
    target_db: i64,
    timeout: Duration,
) -> Result<Attempt, CmdError> {
    let name = [&args[1][..], b":", &args[2]].concat();
    let Some(socket) = srv.migrate_sockets.get(&name, &args[1], &args[2], timeout) else {
        return Err(CmdError::Static(
            "IOERR error or timeout connecting to the client",
        ));
    };
    let select = socket.last_db != Some(target_db);
    let mut cmd = Vec::new();
    if let Some(password) = o.password {
        match o.username {
            Some(user) => push_command(&mut cmd, &[b"AUTH", user, password]),
            None => push_command(&mut cmd, &[b"AUTH", password]),
        }
    }
    if select {
        push_command(
            &mut cmd,
            &[b"SELECT".as_slice(), &crate::util::i64_to_bytes(target_db)],
        );
    }
    let (moved, restores) = restore_commands(srv, c.db, keys, o.replace);
    cmd.extend_from_slice(&restores);
    let Some(socket) = srv.migrate_sockets.socket_mut(&name) else {
        return Ok(Attempt::Failed {
            writing: true,
            retry: false,
        });
    };
    let stream = socket.stream.get_mut();
    let _ = stream.set_write_timeout(Some(timeout));
    let _ = stream.set_read_timeout(Some(timeout));
    if let Err(e) = cmd
        .chunks(WRITE_CHUNK)
        .try_for_each(|chunk| stream.write_all(chunk))
    {
        srv.migrate_sockets.close(&name);
        return Ok(failed(&e, true, true));
    }
    // An error from AUTH or SELECT fails every RESTORE after it.
    let mut setup_error: Option<Vec<u8>> = None;
    let mut first_failure = None;
    for _ in 0..usize::from(o.password.is_some()) + usize::from(select) {
        match read_line(socket) {
            Ok(line) if line.first() == Some(&b'-') => {
                setup_error.get_or_insert(line);
            }
            Ok(_) => {}
            Err(e) => {
                first_failure = Some(e);
                break;
            }
        }
    }
    if let Some(e) = first_failure {
        srv.migrate_sockets.close(&name);
        return Ok(failed(&e, false, true));
    }
    let mut target_error: Option<Vec<u8>> = None;
    let mut deleted: Vec<Vec<u8>> = Vec::new();
    let mut socket_error = None;
    let mut answered = 0;
    for key in &moved {
        let Some(socket) = srv.migrate_sockets.socket_mut(&name) else {
            break;
        };
        let line = match read_line(socket) {
            Ok(line) => line,
            Err(e) => {
                socket_error = Some(e);
                break;
            }
        };
        answered += 1;
        let error = setup_error
            .clone()
            .or_else(|| (line.first() == Some(&b'-')).then_some(line));
        if let Some(e) = error {
            target_error.get_or_insert(e);
        } else if !o.copy && delete_as_stored(srv, c.db, key) {
            deleted.push(key.clone());
        }
    }
    if let Some(e) = &socket_error {
        srv.migrate_sockets.close(&name);
        if target_error.is_none() && answered == 0 && !is_timeout(e) {
            return Ok(failed(e, false, true));
        }
    }
    if !deleted.is_empty() {
        let mut parts: Vec<&[u8]> = vec![b"DEL"];
        parts.extend(deleted.iter().map(Vec::as_slice));
        srv.propagate_as(&parts);
    }
    if let Some(line) = target_error {
        if let Some(s) = srv.migrate_sockets.socket_mut(&name) {
            s.last_db = None;
        }
        let text = String::from_utf8_lossy(line.get(1..).unwrap_or_default()).into_owned();
        return Err(CmdError::from(format!(
            "ERR Target instance replied with error: {}",
            text
        )));
    }
    if socket_error.is_some() {
        return Ok(Attempt::Failed {
            writing: false,
            retry: false,
        });
    }
    if let Some(s) = srv.migrate_sockets.socket_mut(&name) {
        s.last_db = Some(target_db);
    }
    c.reply.ok();
    Ok(Attempt::Done)
}

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password |
/// AUTH2 username password] [KEYS key ...]
fn migrate(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = parse_options(c, args)?;
    let timeout = super::int_arg(&args[5])?;
    let target_db = super::int_arg(&args[4])?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let last = if o.first_key == 3 { 4 } else { args.len() };
    let mut keys = Vec::new();
    for i in o.first_key..last {
        let key = args.get(i).unwrap_or_default();
        if srv.lookup_read(c.db, key).is_some() {
            keys.push(key.to_vec());
        }
    }
    if keys.is_empty() {
        c.reply.simple("NOKEY");
        return Ok(());
    }
    let mut may_retry = true;
    loop {
        match attempt(srv, c, args, &o, &keys, target_db, timeout)? {
            Attempt::Done => return Ok(()),
            Attempt::Failed { retry: true, .. } if may_retry => may_retry = false,
            Attempt::Failed { writing, .. } => return Err(io_error(writing)),
        }
    }
}

fn io_error(writing: bool) -> CmdError {
    CmdError::from(format!(
        "IOERR error or timeout {} to target instance",
        if writing { "writing" } else { "reading" }
    ))
}

/// The keys of a MIGRATE call (Redis's `migrateGetKeys`): the key argument,
/// or everything after KEYS when the key argument is empty.
fn migrate_keys(args: &Args) -> Vec<KeyRef> {
    let flags = ks::RW | ks::ACCESS | ks::DELETE;
    let mut first = 3;
    let mut num = 1;
    let mut i = 6;
    while i < args.len() {
        let arg = args.get(i).unwrap_or_default();
        if is_opt(arg, "keys") {
            if args[3].is_empty() {
                first = i + 1;
                num = args.len() - first;
            } else {
                num = 0;
            }
            break;
        }
        if is_opt(arg, "auth") {
            i += 1;
        } else if is_opt(arg, "auth2") {
            i += 2;
        }
        i += 1;
    }
    (first..first + num)
        .filter(|&pos| pos < args.len())
        .map(|pos| KeyRef { pos, flags })
        .collect()
}

pub const COMMANDS: &[Command] = &[Command::new("migrate", -6, migrate)
    .flags(flag::WRITE | flag::MOVABLE_KEYS)
    .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
    .keys(&[
        KeySpec::range(ks::RW | ks::ACCESS | ks::DELETE, 3, 0, 1),
        KeySpec::new(
            ks::RW | ks::ACCESS | ks::DELETE | ks::INCOMPLETE,
            Begin::Keyword {
                keyword: "KEYS",
                start_from: -2,
            },
            Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        ),
    ])
    .key_finder(migrate_keys)
    .tips(&["nondeterministic_output"])
    .doc("generic", "2.6.0", "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.", "Atomically transfers keys from one server to another.")];
