//! Replication commands a primary serves: SYNC and PSYNC (a replica
//! attaches), REPLCONF (what it announces, its acks), WAIT (block until
//! replicas acknowledged the client's writes) and ROLE. The work is in
//! `crate::replication::primary`.

use super::{int_arg, is_opt};
use crate::replication::failover::FailoverRequest;
use crate::server::blocking::{deadline_from_millis, TimeoutReply};
use crate::server::client::{Client, ClientKind};
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::state::replication::{FailoverState, ReplicaState, SnapshotFilter};
use crate::server::Server;

/// Longest `REPLCONF ip-address` accepted (Redis's NET_HOST_STR_LEN).
const MAX_ANNOUNCED_IP: usize = 256;

fn sync(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.replica_sync(c, None)
}

/// PSYNC replid offset [FAILOVER]: with FAILOVER, our primary asks us to
/// take over from it first.
fn psync(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let failover = args.get(3).is_some_and(|a| is_opt(a, "failover"));
    if failover && c.kind != ClientKind::Replica {
        srv.accept_failover_request(c, &args[1])?;
    }
    srv.replica_sync(c, Some((&args[1], &args[2])))
}

/// REPLCONF <option> <value> ...: options apply in order; an error stops
/// at the option that caused it. ACK and GETACK never reply.
fn replconf(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(errors::SYNTAX.into());
    }
    let mut i = 1;
    while i + 1 < args.len() {
        let (option, value) = (&args[i], &args[i + 1]);
        i += 2;
        if is_opt(option, "listening-port") {
            c.repl.listening_port = int_arg(value)?;
        } else if is_opt(option, "ip-address") {
            if value.len() >= MAX_ANNOUNCED_IP {
                return Err(CmdError::from(format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    value.len()
                )));
            }
            c.repl.announced_ip = Some(String::from_utf8_lossy(value).into_owned());
        } else if is_opt(option, "capa") {
            if is_opt(value, "eof") {
                c.repl.capa_eof = true;
            } else if is_opt(value, "psync2") {
                c.repl.capa_psync2 = true;
            }
        } else if is_opt(option, "ack") {
            srv.replica_ack(c, value);
            return Ok(());
        } else if is_opt(option, "getack") {
            // Only a replica answers GETACK (with an ACK to its primary).
            return Ok(());
        } else if is_opt(option, "rdb-only") {
            c.repl.rdb_only = rdb_only_arg(value)?;
        } else if is_opt(option, "rdb-filter-only") {
            c.repl.rdb_filter = rdb_filter_arg(value)?;
        } else {
            return Err(CmdError::concat(&[
                b"ERR Unrecognized REPLCONF option: ",
                option,
            ]));
        }
    }
    srv.replica_conf_changed(c);
    c.reply.ok();
    Ok(())
}

/// `REPLCONF rdb-only 0|1`: the replica wants the snapshot, not the stream.
fn rdb_only_arg(value: &[u8]) -> Result<bool, CmdError> {
    match int_arg(value)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err("ERR value is out of range, value must between 0 and 1".into()),
    }
}

/// `REPLCONF rdb-filter-only <parts>`: the snapshot holds only the parts
/// named (none named: nothing but its header); only `functions` exists.
fn rdb_filter_arg(value: &[u8]) -> Result<SnapshotFilter, CmdError> {
    let mut filter = SnapshotFilter {
        exclude_data: true,
        exclude_functions: true,
    };
    for part in value.split(|b| b.is_ascii_whitespace()) {
        if is_opt(part, "functions") {
            filter.exclude_functions = false;
        } else if !part.is_empty() {
            return Err(CmdError::concat(&[
                b"ERR Unsupported rdb-filter-only option: ",
                part,
            ]));
        }
    }
    Ok(filter)
}

/// WAIT numreplicas timeout: the number of replicas that acknowledged the
/// client's last write, once at least `numreplicas` did or the timeout
/// (milliseconds, 0 forever) passed; at once inside a transaction.
fn wait(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if srv.is_replica() {
        return Err(CmdError::Static(WAIT_ON_REPLICA));
    }
    let wanted = int_arg(&args[1])?;
    let deadline = deadline_from_millis(&args[2], crate::util::now_ms())?;
    let acked = srv.acked_replicas(c.repl.woff);
    if acked as i64 >= wanted || c.in_exec {
        c.reply.int(acked as i64);
        return Ok(());
    }
    srv.block_on_keys(c, &[], deadline, TimeoutReply::ReplicaAcks, args);
    srv.wait_for_acks(c, wanted);
    Ok(())
}

/// ROLE: `master`, the stream offset, and each online replica's address,
/// port and acknowledged offset.
fn role(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.reply_role_as_replica(c) {
        return Ok(());
    }
    c.reply.array(3);
    c.reply.bulk(b"master");
    c.reply.int(srv.replication.master_offset as i64);
    let online: Vec<_> = srv
        .replication
        .replicas
        .iter()
        .filter(|l| l.state == ReplicaState::Online)
        .collect();
    c.reply.array(online.len());
    for link in online {
        c.reply.array(3);
        c.reply.bulk(link.ip.as_bytes());
        c.reply.bulk_i64(link.listening_port);
        c.reply.bulk_i64(link.ack_offset as i64);
    }
    Ok(())
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: hands this
/// primary's role to a replica (see `crate::replication::failover`).
fn failover(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if srv.config.cluster_enabled {
        return Err(
            "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead."
                .into(),
        );
    }
    if args.len() == 2 && is_opt(&args[1], "abort") {
        if srv.replication.failover.state == FailoverState::None {
            return Err("ERR No failover in progress.".into());
        }
        srv.abort_failover("Failover manually aborted");
    } else {
        srv.start_failover(failover_request(args)?)?;
    }
    c.reply.ok();
    Ok(())
}

/// FAILOVER's options, each given at most once.
fn failover_request(args: &Args) -> Result<FailoverRequest, CmdError> {
    let mut req = FailoverRequest::default();
    let mut i = 1;
    while i < args.len() {
        let arg = &args[i];
        if is_opt(arg, "timeout") && i + 1 < args.len() && req.timeout_ms.is_none() {
            let ms = int_arg(&args[i + 1])?;
            if ms <= 0 {
                return Err("ERR FAILOVER timeout must be greater than 0".into());
            }
            req.timeout_ms = Some(ms);
            i += 2;
        } else if is_opt(arg, "to") && i + 2 < args.len() && req.target.is_none() {
            let port = int_arg(&args[i + 2])?;
            req.target = Some((String::from_utf8_lossy(&args[i + 1]).into_owned(), port));
            i += 3;
        } else if is_opt(arg, "force") && !req.force {
            req.force = true;
            i += 1;
        } else {
            return Err(errors::SYNTAX.into());
        }
    }
    Ok(req)
}

const WAIT_ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

pub const COMMANDS: &[Command] = &[
    Command::new("sync", 1, sync)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc(
            "server",
            "1.0.0",
            "",
            "Attach as a replica with a full snapshot (old protocol)",
        ),
    Command::new("psync", -3, psync)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc(
            "server",
            "2.8.0",
            "",
            "Attach as a replica, continuing from an offset when possible",
        ),
    Command::new("replconf", -1, replconf)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::ALLOW_BUSY)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc(
            "server",
            "3.0.0",
            "O(1)",
            "Replica settings and acknowledgements on the replication link",
        ),
    Command::new("failover", -1, failover)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc(
            "server",
            "6.2.0",
            "O(1)",
            "Start a coordinated failover between this server and one of its replicas.",
        ),
    Command::new("wait", 3, wait)
        .flags(flag::NOSCRIPT)
        .acl(acl::SLOW | acl::CONNECTION)
        .tips(&["request_policy:all_shards", "response_policy:agg_min"])
        .doc(
            "generic",
            "3.0.0",
            "O(1)",
            "Block until replicas acknowledged the writes of this connection",
        ),
    Command::new("role", 1, role)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST)
        .acl(acl::ADMIN | acl::FAST | acl::DANGEROUS)
        .doc(
            "server",
            "2.8.12",
            "O(1)",
            "This server's replication role, offset and peers",
        ),
];
