//! What the server remembers about replication: who it is in replication
//! history, the stream offset, the backlog, its replicas and their sync
//! state, and the primary it follows. The behaviour (serving SYNC/PSYNC,
//! following a primary, WAIT) is in the replication module; the core only
//! holds this state and hands the feature its events.

use super::repl_buffer::ReplBuffer;
use super::upstream_link::Link;
use crate::config::value::ObufLimit;
use log::info;
use std::collections::HashMap;
use std::fs::File;

/// Who this server is in replication history (PSYNC2): the ID of the
/// current history and, after a promotion, the ID of the previous one and
/// the offset up to which that previous history is shared.
#[derive(Debug)]
pub struct ReplicationId {
    /// INFO `master_replid`.
    pub replid: String,
    /// INFO `master_replid2`: forty zeros when there is no previous history.
    pub replid2: String,
    /// INFO `second_repl_offset`: one past the last offset shared with
    /// `replid2`'s history, or -1.
    pub second_replid_offset: i64,
}

impl Default for ReplicationId {
    fn default() -> Self {
        ReplicationId {
            replid: crate::util::random_hex(40),
            replid2: NO_REPLID.to_string(),
            second_replid_offset: -1,
        }
    }
}

/// The replication ID that names no history.
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

impl ReplicationId {
    /// Starts a new history: a fresh ID, the old one forgotten.
    pub fn change(&mut self) {
        self.replid = crate::util::random_hex(40);
    }

    /// Starts a new history that continues the current one (a replica
    /// promoted at stream offset `offset`): the current ID becomes the
    /// previous one, valid up to and including `offset`.
    pub fn shift(&mut self, offset: u64) {
        self.replid2 = std::mem::take(&mut self.replid);
        self.second_replid_offset = offset as i64 + 1;
        self.change();
    }

    /// Forgets the previous history.
    pub fn clear_previous(&mut self) {
        self.replid2 = NO_REPLID.to_string();
        self.second_replid_offset = -1;
    }
}

#[derive(Debug, Default)]
pub struct Replication {
    pub id: ReplicationId,
    /// Offset of the last byte written to the replication stream.
    pub master_offset: u64,
    /// The replication buffer: the backlog, and the stream our replicas
    /// have yet to be sent. Exists once a replica has attached (as in
    /// Redis).
    pub backlog: Option<ReplBuffer>,
    /// Our replicas in the order they attached, with their sync state.
    pub replicas: Vec<ReplicaLink>,
    /// The database the stream last SELECTed; `None` forces a SELECT.
    pub selected_db: Option<usize>,
    /// The primary we replicate from (`None` on a primary).
    pub upstream: Option<Upstream>,
    /// Keys a writable replica's own clients wrote with a TTL.
    pub local_expiry: LocalKeysWithExpire,
    /// Primary-side bookkeeping: sync counters, WAIT, the cron.
    pub primary: PrimaryState,
    /// How the full sync being received is loaded, once its payload began
    /// with `repl-diskless-load` in effect.
    pub diskless_load: Option<DisklessLoad>,
    /// A coordinated FAILOVER to one of our replicas.
    pub failover: Failover,
}

/// Where a coordinated failover is (INFO `master_failover_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailoverState {
    #[default]
    None,
    /// Writes are paused until the target replica acknowledged our offset.
    WaitForSync,
    /// We follow the target and wait for it to accept `PSYNC ... FAILOVER`.
    InProgress,
}

impl FailoverState {
    pub fn name(self) -> &'static str {
        match self {
            FailoverState::None => "no-failover",
            FailoverState::WaitForSync => "waiting-for-sync",
            FailoverState::InProgress => "failover-in-progress",
        }
    }
}

/// A FAILOVER in progress: its state, the replica it hands over to (once
/// known: FAILOVER without TO picks the first replica that caught up),
/// when it gives up (or, with FORCE, goes ahead anyway).
#[derive(Debug, Default)]
pub struct Failover {
    pub state: FailoverState,
    /// Host (as given, or the replica's address) and listening port.
    pub target: Option<(String, i64)>,
    pub deadline_ms: Option<i64>,
    pub force: bool,
}

/// Where a replica is in its synchronization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Needs a background save that has not started yet.
    WaitBgsaveStart,
    /// Its save is running; the stream is kept for after the file.
    WaitBgsaveEnd,
    /// The file is being sent.
    SendBulk,
    /// Synchronized: fed the stream.
    Online,
    /// Wanted the snapshot only and got it; about to be closed.
    RdbTransmitted,
}

impl ReplicaState {
    /// The name INFO shows.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
            ReplicaState::RdbTransmitted => "rdb_transmitted",
        }
    }
}

/// A snapshot file being sent to a replica.
#[derive(Debug)]
pub(crate) struct BulkTransfer {
    pub(crate) file: File,
    pub(crate) left: u64,
}

/// The parts of the dataset a replica's snapshot leaves out (Redis's
/// `slave_req`): none for a replica, everything but what `REPLCONF
/// rdb-filter-only` names for a tool that wants only some of it
/// (`redis-cli --functions-rdb`). A filtered snapshot always goes to the
/// sockets, never to the dump file, and replicas share a snapshot only
/// when they leave out the same parts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotFilter {
    pub exclude_data: bool,
    pub exclude_functions: bool,
}

impl SnapshotFilter {
    /// The whole dataset.
    pub const NONE: SnapshotFilter = SnapshotFilter {
        exclude_data: false,
        exclude_functions: false,
    };

    pub fn is_filtered(self) -> bool {
        self != Self::NONE
    }
}

/// One replica.
#[derive(Debug)]
pub struct ReplicaLink {
    pub slot: usize,
    pub client_id: u64,
    pub state: ReplicaState,
    /// The address INFO and ROLE show: the announced one or the peer's.
    pub ip: String,
    pub listening_port: i64,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// Attached with the old SYNC: no `+FULLRESYNC`, no acks expected.
    pub pre_psync: bool,
    /// Wants the snapshot only (`REPLCONF rdb-only 1`): no stream kept,
    /// closed after the transfer.
    pub rdb_only: bool,
    /// What its snapshot leaves out.
    pub filter: SnapshotFilter,
    /// Last offset the replica acknowledged.
    pub ack_offset: u64,
    /// Unix seconds of its last acknowledgement.
    pub ack_time_s: i64,
    /// The stream offset its snapshot corresponds to.
    pub initial_offset: u64,
    /// Unix seconds when it asked for a full sync (diskless sync delay).
    pub since_s: i64,
    /// Its snapshot goes straight into its socket from the save child.
    pub diskless: bool,
    /// Online after a diskless transfer: the stream starts with its first
    /// ack (so the end of the file is not glued to stream bytes).
    pub stream_on_ack: bool,
    /// Stream offset of the next byte it is to be sent from the
    /// replication buffer; `None` while it takes no stream (waiting for a
    /// save to start, or wanting the snapshot only).
    pub(crate) next_byte: Option<u64>,
    pub(crate) transfer: Option<BulkTransfer>,
    /// Since when its output is over the soft limit.
    pub(crate) soft_limit_since_s: Option<i64>,
    /// A diskless transfer's progress: the socket's send queue at the last
    /// look, and since when it has stayed full and unchanged.
    pub(crate) queued_seen: i64,
    pub(crate) stalled_since_s: Option<i64>,
}

impl ReplicaLink {
    /// Waiting for its file while the parent may write to its socket:
    /// it gets keep-alive newlines (not while a child streams to it).
    pub(crate) fn needs_keepalive(&self) -> bool {
        match self.state {
            ReplicaState::WaitBgsaveStart => true,
            ReplicaState::WaitBgsaveEnd => !self.diskless,
            ReplicaState::SendBulk | ReplicaState::Online | ReplicaState::RdbTransmitted => false,
        }
    }

    /// Waits for a save to start that leaves out what `filter` does.
    pub(crate) fn waits_for_save(&self, filter: SnapshotFilter) -> bool {
        self.state == ReplicaState::WaitBgsaveStart && self.filter == filter
    }

    /// Gets the stream as it is produced.
    pub(crate) fn streaming(&self) -> bool {
        self.state == ReplicaState::Online && !self.stream_on_ack
    }

    /// The name Redis logs a replica by: `ip:port`.
    pub fn name(&self) -> String {
        let host = if self.ip.contains(':') {
            format!("[{}]", self.ip)
        } else {
            self.ip.clone()
        };
        if self.listening_port != 0 {
            format!("{}:{}", host, self.listening_port)
        } else {
            format!("{}:<unknown-replica-port>", self.ip)
        }
    }

    /// Seconds since its last acknowledgement (0 until online).
    pub fn lag(&self, now_s: i64) -> i64 {
        if self.state == ReplicaState::Online {
            now_s - self.ack_time_s
        } else {
            0
        }
    }

    /// Whether `used` output bytes break the hard limit, or have been over
    /// the soft limit for longer than it allows.
    pub(crate) fn over_output_limit(&mut self, used: usize, limit: &ObufLimit) -> bool {
        limit.exceeded(
            used as u64,
            &mut self.soft_limit_since_s,
            crate::util::unix_seconds(),
        )
    }

    /// The snapshot was transferred: the replica is online (and its
    /// acknowledgement clock starts now). False for a replica that wanted
    /// the snapshot only: it is to be closed.
    pub(crate) fn transfer_done(&mut self) -> bool {
        if self.rdb_only {
            self.state = ReplicaState::RdbTransmitted;
            info!(
                "RDB transfer completed, rdb only replica ({}) should be disconnected asap",
                self.name()
            );
            return false;
        }
        self.state = ReplicaState::Online;
        self.ack_time_s = crate::util::unix_seconds();
        info!("Synchronization with replica {} succeeded", self.name());
        true
    }
}

/// Primary-side state besides the replicas themselves.
#[derive(Debug, Default)]
pub struct PrimaryState {
    /// INFO `sync_full`, `sync_partial_ok`, `sync_partial_err`.
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Unix seconds since when no replica is attached (backlog TTL).
    pub no_replicas_since_s: i64,
    /// A SYNC arrived: decide before sleeping how to serve it.
    pub(crate) sync_requested: bool,
    /// Clients blocked in WAIT.
    pub(crate) waiting: Vec<AckWaiter>,
    /// A client started waiting: ask replicas for an ack before sleeping.
    pub(crate) getack_wanted: bool,
    /// When the once-a-second cron last ran, and how many times it did.
    pub(crate) last_cron_ms: i64,
    pub(crate) cron_loops: u64,
}

/// A client blocked in WAIT.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckWaiter {
    pub(crate) slot: usize,
    pub(crate) client_id: u64,
    pub(crate) replicas: i64,
}

/// Where the link to the primary is (ROLE's state names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connect,
    Connecting,
    Handshake,
    Transfer,
    Connected,
}

impl LinkState {
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// How a full sync received with `repl-diskless-load` is exposed while it
/// arrives (Redis loads it straight from the socket; reddish receives it
/// in the loop and loads it at the end, so the dump file is not replaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisklessLoad {
    /// `loading:1`: commands without the `loading` flag get -LOADING.
    Blocking,
    /// `async_loading:1` (swapdb, same history as ours): the old data
    /// stays readable until the new one replaces it.
    Async,
}

/// The primary this server replicates from.
#[derive(Debug)]
pub struct Upstream {
    pub host: String,
    pub port: u16,
    /// The socket until the sync is done.
    pub(crate) link: Option<Link>,
    /// Client slot of the primary once the link is up.
    pub client_slot: Option<usize>,
    /// Our replication ID and offset may be offered for a partial resync.
    pub(crate) cached: bool,
    /// The database the primary's stream had selected when the link dropped.
    pub(crate) cached_db: usize,
    /// Our offset when the primary's client was created: its bytes read
    /// count from there (INFO `slave_read_repl_offset`).
    pub(crate) read_base: u64,
    /// Unix seconds the link went down; 0 if it never was up.
    pub(crate) down_since_s: i64,
    /// Bytes of a transaction from the primary, applied (and fed on) at EXEC.
    pub(crate) pending: Vec<u8>,
    pub(crate) last_cron_ms: i64,
}

impl Upstream {
    pub(crate) fn new(host: String, port: u16) -> Upstream {
        Upstream {
            host,
            port,
            link: None,
            client_slot: None,
            cached: false,
            cached_db: 0,
            read_base: 0,
            down_since_s: 0,
            pending: Vec::new(),
            last_cron_ms: 0,
        }
    }

    pub fn state(&self) -> LinkState {
        match (&self.link, self.client_slot) {
            (Some(l), _) if l.step == super::upstream_link::Step::Connecting => {
                LinkState::Connecting
            }
            (Some(l), _) if l.in_transfer() => LinkState::Transfer,
            (Some(_), _) => LinkState::Handshake,
            (None, Some(_)) => LinkState::Connected,
            (None, None) => LinkState::Connect,
        }
    }
}

/// Tracked keys, each with the bit set of the databases it was written in.
#[derive(Debug, Default)]
pub struct LocalKeysWithExpire {
    pub(crate) keys: HashMap<Vec<u8>, u64>,
}

impl LocalKeysWithExpire {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn clear(&mut self) {
        self.keys.clear();
    }
}

/// Facts about replication the core reads as well as the feature.
impl crate::server::Server {
    /// True while a FAILOVER runs: writes are held until it ends.
    pub fn failover_pauses_writes(&self) -> bool {
        self.replication.failover.state != FailoverState::None
    }

    /// This server follows a primary.
    pub fn is_replica(&self) -> bool {
        self.replication.upstream.is_some()
    }

    /// A replica whose link to its primary is down and that does not serve
    /// stale data (`replica-serve-stale-data no`): only commands flagged
    /// `stale` run.
    pub fn serving_stale_refused(&self) -> bool {
        self.replication
            .upstream
            .as_ref()
            .is_some_and(|up| up.state() != LinkState::Connected)
            && !self.config.replica_serve_stale_data
    }

    /// True while the command running is one the primary sent.
    pub fn serving_primary(&self) -> bool {
        let primary = self
            .replication
            .upstream
            .as_ref()
            .and_then(|u| u.client_slot);
        primary.is_some() && self.current_slot == primary
    }

    /// Online replicas whose acknowledged offset reached `offset`.
    pub fn acked_replicas(&self, offset: u64) -> usize {
        self.replication
            .replicas
            .iter()
            .filter(|l| l.state == ReplicaState::Online && l.ack_offset >= offset)
            .count()
    }

    /// Online replicas that acknowledged within `min-replicas-max-lag`.
    pub fn good_replicas(&self) -> usize {
        let now = crate::util::unix_seconds();
        let max_lag = self.config.min_replicas_max_lag;
        self.replication
            .replicas
            .iter()
            .filter(|l| l.state == ReplicaState::Online && now - l.ack_time_s <= max_lag)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(ip: &str, port: i64) -> ReplicaLink {
        ReplicaLink {
            slot: 0,
            client_id: 1,
            state: ReplicaState::Online,
            ip: ip.to_string(),
            listening_port: port,
            capa_eof: true,
            capa_psync2: true,
            pre_psync: false,
            rdb_only: false,
            filter: SnapshotFilter::NONE,
            ack_offset: 0,
            ack_time_s: 0,
            initial_offset: 0,
            since_s: 0,
            diskless: false,
            stream_on_ack: false,
            next_byte: None,
            transfer: None,
            soft_limit_since_s: None,
            queued_seen: 0,
            stalled_since_s: None,
        }
    }

    #[test]
    fn replicas_are_named_by_address_and_listening_port() {
        assert_eq!(link("10.1.2.3", 6380).name(), "10.1.2.3:6380");
        assert_eq!(link("::1", 6380).name(), "[::1]:6380");
        assert_eq!(
            link("10.1.2.3", 0).name(),
            "10.1.2.3:<unknown-replica-port>"
        );
    }

    #[test]
    fn output_limits_hard_at_once_soft_after_its_time() {
        let mut l = link("h", 1);
        let hard = ObufLimit {
            hard: 100,
            soft: 0,
            soft_seconds: 0,
        };
        assert!(!l.over_output_limit(99, &hard));
        assert!(l.over_output_limit(100, &hard));
        let soft = ObufLimit {
            hard: 0,
            soft: 10,
            soft_seconds: 60,
        };
        assert!(!l.over_output_limit(50, &soft));
        assert!(l.soft_limit_since_s.is_some());
        l.soft_limit_since_s = Some(crate::util::unix_seconds() - 61);
        assert!(l.over_output_limit(50, &soft));
        assert!(!l.over_output_limit(5, &soft));
        assert_eq!(l.soft_limit_since_s, None);
    }
}
