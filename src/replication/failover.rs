//! FAILOVER: a primary hands its role to one of its replicas without
//! losing a write, as Redis 7.0 coordinates it.
//!
//! 1. FAILOVER pauses writes (`waiting-for-sync`), so the stream offset
//!    stands still.
//! 2. Each cron tick looks for the target (or, without TO, the first
//!    replica) whose acknowledged offset reached ours. With TIMEOUT the
//!    wait ends then: aborted, or with FORCE the failover goes ahead.
//! 3. We follow the target (`failover-in-progress`) and our PSYNC carries
//!    a `FAILOVER` argument: the target, whose replication ID is ours,
//!    promotes itself and serves the PSYNC as a partial resync.
//! 4. The PSYNC accepted (`+CONTINUE`, or a full resync in odd cases) ends
//!    the failover; any other answer aborts it and we are a primary again.
//!
//! Writes stay paused until the failover ends either way; writes that
//! waited then run against the new role (a replica refuses them).

use crate::server::client::Client;
use crate::server::state::replication::{Failover, FailoverState};
use crate::server::Server;
use crate::util::now_ms;
use log::{info, warn};

/// What FAILOVER asked for, validated against the command's syntax.
#[derive(Debug, Default)]
pub struct FailoverRequest {
    pub target: Option<(String, i64)>,
    pub timeout_ms: Option<i64>,
    pub force: bool,
}

/// Why FAILOVER cannot start now.
pub const ALREADY: &str = "ERR FAILOVER already in progress.";
pub const ON_REPLICA: &str = "ERR FAILOVER is not valid when server is a replica.";
pub const NO_REPLICAS: &str = "ERR FAILOVER requires connected replicas.";
pub const FORCE_NEEDS: &str =
    "ERR FAILOVER with force option requires both a timeout and target HOST and IP.";
pub const NOT_A_REPLICA: &str = "ERR FAILOVER target HOST and PORT is not a replica.";
pub const NOT_ONLINE: &str = "ERR FAILOVER target replica is not online.";

impl Server {
    /// Starts the failover `req` describes, or says why it cannot start.
    pub fn start_failover(&mut self, req: FailoverRequest) -> Result<(), &'static str> {
        if self.failover_pauses_writes() {
            return Err(ALREADY);
        }
        if self.is_replica() {
            return Err(ON_REPLICA);
        }
        if self.replication.replicas.is_empty() {
            return Err(NO_REPLICAS);
        }
        if req.force && (req.timeout_ms.is_none() || req.target.is_none()) {
            return Err(FORCE_NEEDS);
        }
        match &req.target {
            Some((host, port)) => {
                let link = self.replica_at(host, *port).ok_or(NOT_A_REPLICA)?;
                if link.state != crate::server::state::replication::ReplicaState::Online {
                    return Err(NOT_ONLINE);
                }
                info!("FAILOVER requested to {}:{}.", host, port);
            }
            None => info!("FAILOVER requested to any replica."),
        }
        self.replication.failover = Failover {
            state: FailoverState::WaitForSync,
            target: req.target,
            deadline_ms: req.timeout_ms.map(|t| now_ms().saturating_add(t)),
            force: req.force,
        };
        Ok(())
    }

    /// The replica announced (or connected) from `host` listening on `port`.
    fn replica_at(
        &self,
        host: &str,
        port: i64,
    ) -> Option<&crate::server::state::replication::ReplicaLink> {
        self.replication
            .replicas
            .iter()
            .find(|l| l.ip.eq_ignore_ascii_case(host) && l.listening_port == port)
    }

    /// FAILOVER ABORT and every failure: logs why, becomes a primary again
    /// if we already followed the target, and lets writes run.
    pub fn abort_failover(&mut self, reason: &str) {
        let failover = &self.replication.failover;
        if failover.state == FailoverState::None {
            return;
        }
        match &failover.target {
            Some((host, port)) => info!("FAILOVER to {}:{} aborted: {}", host, port, reason),
            None => info!("FAILOVER to any replica aborted: {}", reason),
        }
        if failover.state == FailoverState::InProgress {
            self.unset_primary();
        }
        self.clear_failover();
    }

    /// The failover is over (done or aborted): writes resume.
    pub fn clear_failover(&mut self) {
        self.replication.failover = Failover::default();
        self.resume_paused_clients();
    }

    /// Cron: while waiting for the target to catch up, gives up (or with
    /// FORCE goes ahead) at the deadline, and hands over once a replica
    /// acknowledged our whole stream.
    pub fn update_failover_status(&mut self) {
        let failover = &self.replication.failover;
        if failover.state != FailoverState::WaitForSync {
            return;
        }
        if failover.deadline_ms.is_some_and(|d| d <= now_ms()) {
            if failover.force {
                if let Some((host, port)) = &failover.target {
                    info!(
                        "FAILOVER to {}:{} time out exceeded, failing over.",
                        host, port
                    );
                }
                self.fail_over_to_target();
            } else {
                self.abort_failover("Replica never caught up before timeout");
            }
            return;
        }
        let offset = self.replication.master_offset;
        let synced = match &failover.target {
            Some((host, port)) => self
                .replica_at(host, *port)
                .is_some_and(|l| l.ack_offset == offset),
            None => {
                let caught_up = self
                    .replication
                    .replicas
                    .iter()
                    .find(|l| l.ack_offset == offset)
                    .map(|l| (l.ip.clone(), l.listening_port));
                self.replication.failover.target = caught_up;
                self.replication.failover.target.is_some()
            }
        };
        if synced {
            if let Some((host, port)) = &self.replication.failover.target {
                info!("Failover target {}:{} is synced, failing over.", host, port);
            }
            self.fail_over_to_target();
        }
    }

    /// Follows the target; the handshake's PSYNC asks it to take over.
    fn fail_over_to_target(&mut self) {
        let Some((host, port)) = self.replication.failover.target.clone() else {
            return;
        };
        self.replication.failover.state = FailoverState::InProgress;
        self.set_primary(host, u16::try_from(port).unwrap_or(0));
    }

    /// True when our PSYNC should ask the primary to take over from us.
    pub fn failover_handing_over(&self) -> bool {
        self.replication.failover.state == FailoverState::InProgress
    }

    /// The target answered our `PSYNC ... FAILOVER`: accepted, the
    /// failover is done; refused, it is aborted.
    pub fn failover_psync_answered(&mut self, accepted: bool) {
        if !self.failover_handing_over() {
            return;
        }
        if accepted {
            self.clear_failover();
        } else {
            self.abort_failover("Failover target rejected psync request");
        }
    }

    /// Replica side of `PSYNC <replid> <offset> FAILOVER`: our primary
    /// hands over to us. With its replication ID ours, we become a primary
    /// (our history continuing its) and serve the PSYNC that follows.
    pub fn accept_failover_request(
        &mut self,
        c: &Client,
        replid: &[u8],
    ) -> Result<(), &'static str> {
        warn!(
            "Failover request received for replid {}.",
            String::from_utf8_lossy(replid)
        );
        if !self.is_replica() {
            return Err("ERR PSYNC FAILOVER can't be sent to a master.");
        }
        if !replid.eq_ignore_ascii_case(self.replication.id.replid.as_bytes()) {
            return Err("ERR PSYNC FAILOVER replid must match my replid.");
        }
        self.unset_primary();
        info!(
            "MASTER MODE enabled (failover request from '{}')",
            self.client_info_string(c)
        );
        Ok(())
    }
}
