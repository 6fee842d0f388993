//! Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, and DUMP / RESTORE, which
//! move one key's value in the RDB serialization (byte-compatible with
//! Redis 7.0: a DUMP from either server RESTOREs on the other).

use super::{int_arg, is_opt};
use crate::config::SanitizeDump;
use crate::persistence::reader::{parse_payload, verify_payload};
use crate::persistence::snapshot::write_options;
use crate::persistence::value::{load_form, save_form, Limits};
use crate::persistence::writer::dump_payload;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::{KeyEvent, DEL};
use crate::server::Server;
use crate::types::Object;

const SAVE_IN_PROGRESS: &str = "ERR Background save already in progress";

/// SAVE: writes the snapshot now, blocking the server.
fn save(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.has_rdb_child() {
        return Err(CmdError::Static(SAVE_IN_PROGRESS));
    }
    srv.persistence.saves += 1;
    if !srv.rdb_save() {
        return Err(CmdError::Static("ERR"));
    }
    c.reply.ok();
    Ok(())
}

/// BGSAVE [SCHEDULE]: forks a child that writes the snapshot.
fn bgsave(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 1 && !(args.len() == 2 && is_opt(&args[1], "schedule")) {
        return Err(errors::SYNTAX.into());
    }
    let schedule = args.len() == 2;
    if srv.has_rdb_child() {
        return Err(CmdError::Static(SAVE_IN_PROGRESS));
    }
    if srv.has_save_child() {
        if !schedule {
            return Err(CmdError::Static("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."));
        }
        srv.persistence.bgsave_scheduled = true;
        c.reply.simple("Background saving scheduled");
        return Ok(());
    }
    if !srv.rdb_bgsave() {
        return Err(CmdError::Static("ERR"));
    }
    c.reply.simple("Background saving started");
    Ok(())
}

/// BGREWRITEAOF: starts an AOF rewrite in a child, or schedules it while
/// another child or a transaction runs.
fn bgrewriteaof(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.aof_rewrite_running() {
        return Err(CmdError::Static(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if srv.has_save_child() || srv.in_exec {
        srv.aof.rewrite_scheduled = true;
        // Asked for by hand: the back-off after failures does not apply.
        srv.aof.consecutive_failures = 0;
        c.reply
            .simple("Background append only file rewriting scheduled");
    } else if srv.rewrite_aof_background() {
        c.reply
            .simple("Background append only file rewriting started");
    } else {
        return Err(CmdError::Static("ERR Can't execute an AOF background rewriting. Please check the server logs for more information."));
    }
    Ok(())
}

/// LASTSAVE: unix time of the last successful save (start-up until one happens).
fn lastsave(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.last_save_ms / 1000);
    Ok(())
}

/// DUMP key: the value's serialization, RDB version and CRC64.
fn dump(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let opts = write_options(srv);
    match srv.lookup_read(c.db, &args[1]) {
        Some(obj) => {
            let payload = dump_payload(&save_form(&obj.value), opts);
            c.reply.bulk(&payload);
        }
        None => c.reply.null(),
    }
    Ok(())
}

/// Options of RESTORE after the payload.
#[derive(Debug, Default)]
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    idle: Option<u64>,
    freq: Option<u8>,
}

fn parse_restore_options(args: &Args) -> Result<RestoreOptions, CmdError> {
    let mut o = RestoreOptions::default();
    let mut j = 4;
    while j < args.len() {
        let arg = &args[j];
        let has_value = j + 1 < args.len();
        if is_opt(arg, "replace") {
            o.replace = true;
        } else if is_opt(arg, "absttl") {
            o.absttl = true;
        } else if is_opt(arg, "idletime") && has_value && o.freq.is_none() {
            let idle = int_arg(&args[j + 1])?;
            o.idle = Some(
                u64::try_from(idle)
                    .map_err(|_| CmdError::Static("ERR Invalid IDLETIME value, must be >= 0"))?,
            );
            j += 1;
        } else if is_opt(arg, "freq") && has_value && o.idle.is_none() {
            let freq = int_arg(&args[j + 1])?;
            o.freq = Some(u8::try_from(freq).map_err(|_| {
                CmdError::Static("ERR Invalid FREQ value, must be >= 0 and <= 255")
            })?);
            j += 1;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    Ok(o)
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]
///
/// Nothing changes unless the whole payload is valid. A relative TTL is
/// propagated as an absolute one (with ABSTTL); a key restored already
/// expired is not created (a replaced key is deleted, propagated as DEL).
fn restore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let opts = parse_restore_options(args)?;
    let key = &args[1];
    if !opts.replace && srv.write_key(c.db, key).exists() {
        return Err(CmdError::Static(errors::BUSYKEY));
    }
    let mut ttl = int_arg(&args[2])?;
    if ttl < 0 {
        return Err(CmdError::Static("ERR Invalid TTL value, must be >= 0"));
    }
    let body = verify_payload(&args[3], !srv.skip_checksum_validation).ok_or(CmdError::Static(
        "ERR DUMP payload version or checksum are wrong",
    ))?;
    let deep = match srv.config.sanitize_dump_payload {
        SanitizeDump::Yes => true,
        SanitizeDump::No => false,
        SanitizeDump::Clients => {
            !c.kind.is_primary_link() && !srv.acl.skips_payload_sanitizing(c.user)
        }
    };
    let limits = Limits::from_config(&srv.config);
    let value = parse_payload(body, deep)
        .and_then(|v| load_form(v, &limits).ok())
        .ok_or(CmdError::Static("ERR Bad data format"))?;
    let now = crate::util::now_ms();
    if ttl != 0 && !opts.absttl {
        ttl = ttl.saturating_add(now);
    }
    let already_expired = ttl != 0
        && ttl <= now
        && srv.persistence.loading.is_none()
        && srv.config.replicaof.is_none();
    let lru = srv.object_lru_for(opts.idle, opts.freq);
    // As Redis: a replaced key is deleted as stored, expired or not.
    let mut w = srv.write_key_as_stored(c.db, key);
    let deleted = opts.replace && w.delete();
    if already_expired {
        if deleted {
            w.changed(1, DEL);
            w.propagate_as(&[b"DEL".as_slice(), key]);
        }
        c.reply.ok();
        return Ok(());
    }
    let expire = (ttl != 0).then_some(ttl);
    w.put_object(Object::new(value, lru), expire);
    w.changed(1, KeyEvent::generic("restore"));
    if ttl != 0 && !opts.absttl {
        w.propagate_as(&absolute_ttl_form(args, ttl));
    }
    c.reply.ok();
    Ok(())
}

/// RESTORE goes to replicas with the absolute expiry and ABSTTL.
fn absolute_ttl_form(args: &Args, when_ms: i64) -> Vec<Vec<u8>> {
    let mut parts: Vec<Vec<u8>> = args.iter().map(<[u8]>::to_vec).collect();
    if let Some(ttl) = parts.get_mut(2) {
        *ttl = crate::util::i64_to_bytes(when_ms);
    }
    parts.push(b"ABSTTL".to_vec());
    parts
}

const RESTORE_COMPLEXITY: &str = "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).";

pub const COMMANDS: &[Command] = &[
    Command::new("save", 1, save)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Synchronously saves the database(s) to disk."),
    Command::new("bgsave", -1, bgsave)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Asynchronously saves the database(s) to disk."),
    Command::new("bgrewriteaof", 1, bgrewriteaof)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Asynchronously rewrite the append-only file"),
    Command::new("lastsave", 1, lastsave)
        .flags(flag::LOADING | flag::STALE | flag::FAST)
        .acl(acl::ADMIN | acl::FAST | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("server", "1.0.0", "O(1)", "Returns the unix time of the last successful save."),
    Command::new("dump", 2, dump)
        .flags(flag::READONLY)
        .acl(acl::KEYSPACE | acl::READ | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc("generic", "2.6.0", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "Returns a serialized representation of the value stored at a key."),
    Command::new("restore", -4, restore)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1)])
        .doc("generic", "2.6.0", RESTORE_COMPLEXITY, "Creates a key from the serialized representation of a value."),
    Command::new("restore-asking", -4, restore)
        .flags(flag::WRITE | flag::DENYOOM | flag::ASKING)
        .acl(acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1)])
        .doc("server", "3.0.0", RESTORE_COMPLEXITY, "RESTORE as a cluster node sends it to a slot being imported."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{run_words, server_keeping_stream, whole_stream};

    fn server() -> Server {
        server_keeping_stream().0
    }

    fn run(srv: &mut Server, c: &mut Client, args: &[&[u8]]) -> Vec<u8> {
        c.reply.buf.clear();
        run_words(srv, c, args);
        c.reply.buf.clone()
    }

    /// Everything the replication stream received so far.
    fn stream(srv: &Server) -> String {
        String::from_utf8_lossy(&whole_stream(srv)).into_owned()
    }

    #[test]
    fn restore_propagates_an_absolute_ttl_and_expired_replacements_as_del() {
        let mut srv = server();
        let mut c = Client::new(1, 0, None, 0);
        run(&mut srv, &mut c, &[b"SET", b"k", b"v"]);
        let payload = run(&mut srv, &mut c, &[b"DUMP", b"k"]);
        // The bulk reply: "$<len>\r\n<payload>\r\n".
        let start = payload
            .iter()
            .position(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let payload = payload[start..payload.len() - 2].to_vec();
        let before = srv.replication.master_offset;
        let reply = run(
            &mut srv,
            &mut c,
            &[b"RESTORE", b"r", b"5000", &payload, b"REPLACE"],
        );
        assert_eq!(reply, b"+OK\r\n");
        let when = srv.database(0).expire_of(b"r").expect("ttl set");
        let text = stream(&srv);
        let expected = format!(
            "*6\r\n$7\r\nRESTORE\r\n$1\r\nr\r\n${}\r\n{}\r\n",
            when.to_string().len(),
            when
        );
        assert!(text.contains(&expected), "{:?}", text);
        assert!(
            text.ends_with("$7\r\nREPLACE\r\n$6\r\nABSTTL\r\n"),
            "{:?}",
            text
        );
        assert!(srv.replication.master_offset > before);

        let reply = run(
            &mut srv,
            &mut c,
            &[b"RESTORE", b"r", b"1", &payload, b"REPLACE", b"ABSTTL"],
        );
        assert_eq!(reply, b"+OK\r\n");
        assert!(srv.database(0).get(b"r").is_none());
        assert!(stream(&srv).ends_with("*2\r\n$3\r\nDEL\r\n$1\r\nr\r\n"));

        // Nothing to delete and already expired: nothing propagated.
        let offset = srv.replication.master_offset;
        run(
            &mut srv,
            &mut c,
            &[b"RESTORE", b"r", b"1", &payload, b"ABSTTL"],
        );
        assert_eq!(srv.replication.master_offset, offset);
    }
}
