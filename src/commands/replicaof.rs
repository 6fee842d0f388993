//! REPLICAOF (and its old name SLAVEOF): follow a primary, or stop
//! following one and become a primary (`NO ONE`). The replication itself
//! lives in `replication::replica`.

use crate::server::client::{Client, ClientKind};
use crate::server::errors::CmdResult;
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;
use log::info;

fn replicaof(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if srv.config.cluster_enabled {
        return Err("ERR REPLICAOF not allowed in cluster mode.".into());
    }
    if srv.failover_pauses_writes() {
        return Err("ERR REPLICAOF not allowed while failing over.".into());
    }
    let (host, port) = (&args[1], &args[2]);
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        if srv.is_replica() {
            srv.unset_primary();
            info!(
                "MASTER MODE enabled (user request from '{}')",
                srv.client_info_string(c)
            );
        }
        c.reply.ok();
        return Ok(());
    }
    if c.kind == ClientKind::Replica {
        return Err("ERR Command is not valid when client is a replica.".into());
    }
    let port = crate::util::parse_i64(port)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("ERR Invalid master port")?;
    let host = String::from_utf8_lossy(host).into_owned();
    let same = srv
        .replication
        .upstream
        .as_ref()
        .is_some_and(|u| u.host.eq_ignore_ascii_case(&host) && u.port == port);
    if same {
        info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
        c.reply.simple("OK Already connected to specified master");
        return Ok(());
    }
    srv.set_primary(host, port);
    info!(
        "REPLICAOF {}:{} enabled (user request from '{}')",
        String::from_utf8_lossy(&args[1]),
        port,
        srv.client_info_string(c)
    );
    c.reply.ok();
    Ok(())
}

pub const COMMANDS: &[Command] = &[
    Command::new("replicaof", 3, replicaof)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::NO_ASYNC_LOADING)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "5.0.0", "O(1)", "Makes the server a replica of another instance, or promotes it to a primary."),
    Command::new("slaveof", 3, replicaof)
        .flags(flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::NO_ASYNC_LOADING)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("server", "1.0.0", "O(1)", "Makes the server a replica of another instance, or promotes it to a primary (old name of REPLICAOF)."),
];
