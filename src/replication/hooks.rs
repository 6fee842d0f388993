//! How replication plugs into the core: its cron and before-sleep work,
//! the refusals a replica (or `min-replicas-to-write`) gives commands, the
//! replica link's socket, the propagated stream it consumes (backlog and
//! replicas), and the events of the connections it gives a role: the
//! link to our primary once it is a client, and our replicas.

use crate::server::client::{Client, ClientKind};
use crate::server::hooks::{Feature, RoleHooks, Sink};
use crate::server::spec::{flag, Args, Command};
use crate::server::{Server, LINK_TOKEN};

pub const NO_REPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
/// What a replica gets for a command that reads or writes keys.
pub const REPLICA_KEYSPACE: &str = "ERR Replica can't interact with the keyspace";

/// Replication's hooks.
pub const FEATURE: Feature = Feature {
    cron: Some(cron),
    before_sleep: Some(before_sleep),
    admit: Some(admit),
    after_write: Some(after_write),
    shutdown: None,
    socket: Some((LINK_TOKEN, link_event)),
    sink: Some(Sink {
        active: stream_wanted,
        selected_db: |srv| &mut srv.replication.selected_db,
        write: |srv, bytes| srv.feed_replication_bytes(bytes),
        target: crate::server::propagate::target::REPLICAS,
    }),
    roles: Some(RoleHooks {
        consumed,
        command_done,
        drained: |srv, slot| srv.refill_replica_output(slot),
        freed,
    }),
    apply_config: None,
};

/// A FAILOVER's progress at every tick; once a second: the link to our
/// primary, our replicas, and (on a writable replica) the keys our own
/// clients wrote with a TTL.
fn cron(srv: &mut Server) {
    if srv.active_expire_enabled && srv.is_replica() {
        srv.expire_local_replica_keys();
    }
    srv.update_failover_status();
    srv.replica_cron();
    srv.replication_cron();
}

/// WAIT replies that became due, and acks asked from replicas.
fn before_sleep(srv: &mut Server) {
    srv.process_clients_waiting_acks();
    srv.replication_before_sleep();
}

/// NOREPLICAS for writes under `min-replicas-to-write`, a replica's
/// commands that touch keys (as Redis, so replicas cannot abuse their
/// exemption from CLIENT PAUSE), then what a replica refuses (READONLY,
/// MASTERDOWN).
fn admit(srv: &Server, c: &Client, _cmd: &Command, flags: u64) -> Option<&'static str> {
    if flags & flag::WRITE != 0 && !enough_good_replicas(srv) {
        return Some(NO_REPLICAS);
    }
    let keyspace = flag::WRITE | flag::READONLY | flag::MAY_REPLICATE;
    if c.kind == ClientKind::Replica && !c.monitor && flags & keyspace != 0 {
        return Some(REPLICA_KEYSPACE);
    }
    srv.replica_refusal(c, flags)
}

/// False when `min-replicas-to-write` asks for more online replicas with
/// a lag of at most `min-replicas-max-lag` than there are.
pub fn enough_good_replicas(srv: &Server) -> bool {
    let wanted = srv.config.min_replicas_to_write;
    srv.is_replica()
        || srv.config.min_replicas_max_lag == 0
        || wanted == 0
        || srv.good_replicas() as i64 >= wanted
}

/// A writable replica remembers the keys its own clients gave a TTL.
fn after_write(srv: &mut Server, c: &Client, cmd: &Command, args: &Args) {
    if srv.is_replica() && c.kind != ClientKind::Primary {
        srv.remember_local_keys_with_expire(c.db, cmd, args);
    }
}

fn link_event(srv: &mut Server, readable: bool, writable: bool) {
    srv.replica_link_event(readable, writable);
}

/// The stream is collected while a backlog or a replica exists; a replica
/// never produces one (it passes its primary's on as it is).
fn stream_wanted(srv: &Server) -> bool {
    let repl = &srv.replication;
    !srv.is_replica() && (repl.backlog.is_some() || !repl.replicas.is_empty())
}

fn consumed(srv: &mut Server, c: &Client, from: usize) {
    if c.kind == ClientKind::Primary {
        srv.primary_stream_consumed(c, from);
    }
}

fn command_done(srv: &mut Server, c: &mut Client, args: &Args, reply_start: usize, done: bool) {
    match c.kind {
        ClientKind::Primary if done => srv.primary_command_done(c, args, reply_start),
        ClientKind::Replica => srv.check_replica_reply(c, reply_start),
        _ => {}
    }
}

fn freed(srv: &mut Server, c: &Client) {
    match c.kind {
        ClientKind::Primary => srv.primary_client_freed(c),
        ClientKind::Replica => srv.replica_freed(c),
        _ => {}
    }
}
