//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...),
//! parked inside the one event loop: no thread, no polling.
//!
//! A handler that finds nothing to serve calls [`Server::block_on_keys`]: the
//! client is parked with a copy of its command. Every write to a key goes
//! through `key_modified`, which marks the key ready if someone waits on it.
//! When the current command has finished, [`Server::serve_ready_keys`] runs
//! the parked command again for each waiting client in arrival order; the
//! handler either serves it (replying and propagating as usual, e.g. BLPOP as
//! LPOP) or finds the key still empty and blocks again, keeping its place.
//! Deadlines are loop timers with millisecond precision. Inside MULTI/EXEC
//! a blocking command does not block: it answers as if it timed out.

use super::Server;
use crate::db::Key;
use crate::server::client::Client;
use crate::server::spec::{Args, OwnedArgs};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// Timer id of the blocked-client deadline check.
pub const TIMER_BLOCKED: u64 = 2;

/// What a blocked command answers when its time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` (RESP2) / `_` (RESP3): every list, sorted set and stream
    /// block in Redis 7.0 (BLMOVE and BRPOPLPUSH included).
    NullArray,
    /// `$-1` / `_`.
    Null,
    /// WAIT: the number of replicas that acknowledged the client's last
    /// write (also what a WAIT that got enough acks answers).
    ReplicaAcks,
}

/// A parked client's state.
#[derive(Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Key>,
    /// Unix ms after which it times out; `None` waits forever.
    pub deadline_ms: Option<i64>,
    pub timeout_reply: TimeoutReply,
    /// The command to run again when a key becomes ready.
    pub command: OwnedArgs,
    pub command_id: usize,
    /// How long the call that blocked took (counted again when it ends).
    pub call_us: u64,
}

/// Server-wide blocking state.
#[derive(Debug, Default)]
pub struct Blocking {
    /// Slots of clients waiting on each (db, key), in arrival order.
    waiting: HashMap<(usize, Key), VecDeque<usize>>,
    /// Keys written since the last serve, in order, without repeats.
    ready: Vec<(usize, Key)>,
    ready_set: HashSet<(usize, Key)>,
    /// (deadline ms, client id, slot), earliest first.
    deadlines: BinaryHeap<Reverse<(i64, u64, usize)>>,
    /// Clients currently blocked (INFO `blocked_clients`).
    pub count: usize,
    /// True while a parked command is being run again: blocking again then
    /// keeps the client's place instead of parking it anew.
    rerunning: bool,
    /// Set when the rerun command asked to block again.
    reblocked: bool,
    /// The key whose write is being served while commands run again.
    serving: Option<Key>,
    /// How long the call that blocked the command running again took.
    rerun_call_us: u64,
}

impl Blocking {
    /// True while a parked command is being run again.
    pub fn rerunning(&self) -> bool {
        self.rerunning
    }

    /// While a parked command runs again and was served (did not block
    /// again): how long the call that blocked it took.
    pub fn served_call_us(&self) -> Option<u64> {
        (self.rerunning && !self.reblocked).then_some(self.rerun_call_us)
    }

    /// While a parked command is run again: the key whose write woke it
    /// (XREAD serves only that key, as Redis does).
    pub fn serving_key(&self) -> Option<&[u8]> {
        self.serving.as_deref().filter(|_| self.rerunning)
    }

    /// Blocked clients with a deadline (INFO `clients_in_timeout_table`);
    /// entries of clients already unblocked are not counted.
    pub fn timed_count(&self) -> usize {
        self.deadlines.len().min(self.count)
    }
}

impl Server {
    /// True if the running command may block (not inside MULTI/EXEC, nor
    /// from a script).
    pub fn may_block(&self, c: &Client) -> bool {
        !c.in_exec && !c.from_script
    }

    /// While a parked command runs again because a key it waits on was
    /// written: that key. Redis serves a blocked client from that key only,
    /// and a key of another type there leaves the client waiting instead of
    /// failing it.
    pub fn serving_key(&self) -> Option<&[u8]> {
        if self.blocking.rerunning {
            self.blocking.serving.as_deref()
        } else {
            None
        }
    }

    /// Parks `c` on `keys` of its database until one is written or
    /// `deadline_ms` passes; inside a transaction it answers the timeout
    /// reply at once instead.
    pub fn block_on_keys(
        &mut self,
        c: &mut Client,
        keys: &[&[u8]],
        deadline_ms: Option<i64>,
        timeout_reply: TimeoutReply,
        args: &Args,
    ) {
        if !self.may_block(c) {
            reply_timeout(c, timeout_reply);
            return;
        }
        if self.blocking.rerunning {
            self.blocking.reblocked = true;
            return;
        }
        let keys: Vec<Key> = keys.iter().map(|k| Key::from(*k)).collect();
        for key in &keys {
            self.blocking
                .waiting
                .entry((c.db, key.clone()))
                .or_default()
                .push_back(c.slot);
        }
        if let Some(deadline) = deadline_ms {
            self.blocking
                .deadlines
                .push(Reverse((deadline, c.id, c.slot)));
            self.schedule_blocked_timer(deadline);
        }
        c.blocked = Some(Box::new(Blocked {
            db: c.db,
            keys,
            deadline_ms,
            timeout_reply,
            command: OwnedArgs::from_args(args),
            command_id: c.last_command,
            call_us: 0,
        }));
        self.blocking.count += 1;
    }

    fn schedule_blocked_timer(&mut self, deadline_ms: i64) {
        let wait = (deadline_ms - crate::util::now_ms()).max(0) as u64;
        self.event_loop
            .add_timer(Instant::now() + Duration::from_millis(wait), TIMER_BLOCKED);
    }

    /// Called for every written key: wakes clients waiting on it.
    #[inline]
    pub fn signal_key_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking.waiting.is_empty() {
            return;
        }
        let id = (db, Key::from(key));
        if self.blocking.waiting.contains_key(&id) && self.blocking.ready_set.insert(id.clone()) {
            self.blocking.ready.push(id);
        }
    }

    /// Marks every waited-on key of `db` ready (its contents were swapped in).
    pub fn signal_db_ready(&mut self, db: usize) {
        let keys: Vec<Key> = self
            .blocking
            .waiting
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect();
        for key in keys {
            self.signal_key_ready(db, &key);
        }
    }

    /// Runs the parked commands of clients whose keys were written, until
    /// no key is ready (serving one client may make another key ready).
    pub fn serve_ready_keys(&mut self) {
        // Not while a script runs long: it has not finished writing.
        if self.busy() {
            return;
        }
        while !self.blocking.ready.is_empty() {
            let ready = std::mem::take(&mut self.blocking.ready);
            self.blocking.ready_set.clear();
            for (db, key) in ready {
                let queue: Vec<usize> = self
                    .blocking
                    .waiting
                    .get(&(db, key.clone()))
                    .map(|q| q.iter().copied().collect())
                    .unwrap_or_default();
                self.blocking.serving = Some(key);
                for slot in queue {
                    self.rerun_blocked(slot);
                }
                self.blocking.serving = None;
            }
        }
    }

    /// Runs a parked client's command again; unparks it if it was served.
    fn rerun_blocked(&mut self, slot: usize) {
        let Some(mut c) = self.clients.take(slot) else {
            return;
        };
        let Some(blocked) = c.blocked.take() else {
            self.clients.put(slot, c);
            return;
        };
        self.blocking.rerunning = true;
        self.blocking.reblocked = false;
        self.blocking.rerun_call_us = blocked.call_us;
        let saved_db = c.db;
        c.db = blocked.db;
        self.call(&mut c, blocked.command_id, &blocked.command.args());
        // No CLIENT REPLY silencing follows a rerun: forget the pushes it
        // marked, whose positions would be stale by the next command.
        c.reply.settled();
        c.db = saved_db;
        self.blocking.rerunning = false;
        if self.blocking.reblocked {
            c.blocked = Some(blocked);
        } else {
            self.forget_blocked(&c, &blocked);
            self.unblocked.push(slot);
        }
        self.clients.put(slot, c);
        self.mark_pending_write(slot);
    }

    /// Removes a client from the wait queues of its keys.
    fn forget_blocked(&mut self, c: &Client, blocked: &Blocked) {
        for key in &blocked.keys {
            let id = (blocked.db, key.clone());
            if let Some(queue) = self.blocking.waiting.get_mut(&id) {
                queue.retain(|&s| s != c.slot);
                if queue.is_empty() {
                    self.blocking.waiting.remove(&id);
                }
            }
        }
        self.blocking.count = self.blocking.count.saturating_sub(1);
    }

    /// Ends the block of the client in `slot` with `how` (timeouts, CLIENT
    /// UNBLOCK). Returns false if it was not blocked.
    pub fn unblock_client(&mut self, slot: usize, how: Unblock) -> bool {
        let Some(mut c) = self.clients.take(slot) else {
            return false;
        };
        let Some(blocked) = c.blocked.take() else {
            self.clients.put(slot, c);
            return false;
        };
        match how {
            Unblock::Timeout | Unblock::Command { error: false }
                if blocked.timeout_reply == TimeoutReply::ReplicaAcks =>
            {
                let acked = self.acked_replicas(c.repl.woff);
                c.reply.int(acked as i64);
            }
            Unblock::Timeout | Unblock::Command { error: false } => {
                reply_timeout(&mut c, blocked.timeout_reply)
            }
            Unblock::Command { error: true } => c
                .reply
                .error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
            Unblock::RoleChange => c.reply.error("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"),
            Unblock::ShutdownFailed => c.reply.error("ERR Errors trying to SHUTDOWN. Check logs."),
        }
        self.account_errors(&mut c);
        if let Unblock::Command { .. } = how {
            // Redis counts the call as failed whichever the reply.
            let args = blocked.command.args();
            self.record_unblocked_call(&c, blocked.command_id, &args, blocked.call_us, 0, true);
        }
        self.forget_blocked(&c, &blocked);
        self.clients.put(slot, c);
        self.unblocked.push(slot);
        self.mark_pending_write(slot);
        true
    }

    /// Forgets a blocked client that is being freed.
    pub fn drop_blocked(&mut self, c: &mut Client) {
        if let Some(blocked) = c.blocked.take() {
            self.forget_blocked(c, &blocked);
        }
    }

    /// Times out every client whose deadline has passed.
    pub fn expire_blocked_clients(&mut self) {
        let now = crate::util::now_ms();
        while let Some(Reverse((deadline, id, slot))) = self.blocking.deadlines.peek().copied() {
            if deadline > now {
                self.schedule_blocked_timer(deadline);
                break;
            }
            self.blocking.deadlines.pop();
            let still_this_block = self.clients.get(slot).is_some_and(|c| {
                c.id == id
                    && c.blocked
                        .as_ref()
                        .is_some_and(|b| b.deadline_ms == Some(deadline))
            });
            if still_this_block {
                self.unblock_client(slot, Unblock::Timeout);
            }
        }
    }
}

/// How a block ends other than by being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    /// Its deadline passed.
    Timeout,
    /// CLIENT UNBLOCK: the timeout reply, or an `UNBLOCKED` error.
    Command { error: bool },
    /// The server became a replica (REPLICAOF host port).
    RoleChange,
    /// The shutdown a SHUTDOWN client waited for failed or was aborted.
    ShutdownFailed,
}

/// Sends the reply a blocking command gives when nothing arrived in time.
pub fn reply_timeout(c: &mut Client, kind: TimeoutReply) {
    match kind {
        TimeoutReply::NullArray => c.reply.null_array(),
        TimeoutReply::Null => c.reply.null(),
        // WAIT counts acks itself and never blocks inside a transaction.
        TimeoutReply::ReplicaAcks => c.reply.int(0),
    }
}

/// Converts a timeout argument in whole milliseconds (XREAD's BLOCK) to an
/// absolute deadline; 0 means forever.
pub fn deadline_from_millis(
    arg: &[u8],
    now_ms: i64,
) -> Result<Option<i64>, crate::server::errors::CmdError> {
    use crate::server::errors;
    let ms = crate::util::parse_i64(arg).ok_or(errors::TIMEOUT_NOT_INTEGER)?;
    if ms < 0 {
        return Err(errors::TIMEOUT_NEGATIVE.into());
    }
    Ok((ms > 0).then_some(now_ms.saturating_add(ms)))
}

/// Converts a blocking command's timeout argument (seconds, fractions
/// allowed) to an absolute deadline; 0 means forever.
pub fn deadline_from_seconds(
    arg: &[u8],
    now_ms: i64,
) -> Result<Option<i64>, crate::server::errors::CmdError> {
    use crate::server::errors;
    let secs = crate::long_double::LongDouble::parse(arg).ok_or(errors::TIMEOUT_NOT_FLOAT)?;
    // Redis computes `(long long) ceill(seconds * 1000.0)` in long double;
    // the conversion gives LLONG_MIN for a value out of range (x86-64), so
    // Redis calls a huge or infinite timeout negative.
    let ms = secs.mul_u64(1000).ceil_to_i64().unwrap_or(i64::MIN);
    if ms < 0 {
        return Err(errors::TIMEOUT_NEGATIVE.into());
    }
    Ok((ms > 0).then_some(now_ms.saturating_add(ms)))
}
