//! Client-side caching (CLIENT TRACKING), as Redis 7.0 does it.
//!
//! A tracking client is remembered, in a table keyed by key name, for each
//! key a read-only command of it read. When such a key changes (the write
//! path's `key_modified`, expiry, a key evicted from this table) every
//! client in its entry gets one invalidation and the entry goes: a client
//! must read the key again to hear of the next change. Clients in BCAST
//! mode register prefixes instead; the keys changed under a prefix during
//! a turn of the loop go to them as one list before the loop sleeps. A
//! flush invalidates everything with a null.
//!
//! An invalidation is a RESP3 push (`>2 invalidate [keys]`), or, for a
//! RESP2 client a tracker redirects to that is in pub/sub mode, a message
//! on `__redis__:invalidate`. A tracker whose redirect target is gone gets
//! `tracking-redir-broken` (RESP3) instead.
//!
//! Ordering. The client being served is out of the client table, so what
//! is meant for it while its command runs (keys it wrote itself, a flush
//! it ran) is deferred and sent after the command's reply, as Redis 7.0
//! sends its pending keys after the reply (after EXEC's for a
//! transaction). An invalidation bound for a client that a tracker
//! redirects to and that is itself being served is held by pub/sub (see
//! `Server::deliver`) and rendered for it when it is back. Work done
//! before a command that invalidates keys (the table's size limit here;
//! eviction, once there is one, would call `send_deferred_invalidations`
//! after it) reaches the client about to run before its reply, as in Redis.
//!
//! Clients are referenced by id and slot ([`ClientRef`]); a reference to a
//! client that is gone is recognised (its slot has another owner) and
//! skipped, as Redis skips the ids it cannot find.

use super::client::{Client, ClientKind};
use super::spec::{command_keys, flag, Args, Command};
use super::Server;
use crate::db::Key;
use crate::resp::command::command_bytes;
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet};

/// The channel RESP2 clients receive invalidations on, through a redirect.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// Start of an invalidation push to a RESP3 client.
const PUSH_HEADER: &[u8] = b">2\r\n$10\r\ninvalidate\r\n";
/// Start of an invalidation message to a RESP2 client in pub/sub mode.
const MESSAGE_HEADER: &[u8] = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";

/// A client as tracking remembers it: its id, and its slot to find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRef {
    pub id: u64,
    pub slot: usize,
}

impl ClientRef {
    pub fn of(c: &Client) -> ClientRef {
        ClientRef {
            id: c.id,
            slot: c.slot,
        }
    }
}

/// The modes CLIENT TRACKING ON sets.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Modes {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

/// A tracking client's state (boxed in the client only while tracking is
/// on, so other clients carry one pointer).
#[derive(Debug, Default)]
pub struct ClientTracking {
    /// Where its invalidations go instead of to itself.
    pub redirect: Option<ClientRef>,
    pub modes: Modes,
    /// CLIENT CACHING was given for the next command (or transaction).
    pub caching: bool,
    /// The client it redirects to is gone.
    pub broken_redirect: bool,
    /// Its BCAST prefixes, in byte order.
    pub prefixes: BTreeSet<Key>,
}

impl ClientTracking {
    /// The redirect as CLIENT GETREDIR, TRACKINGINFO and LIST show it
    /// (0: none).
    pub fn redirect_id(&self) -> u64 {
        self.redirect.map_or(0, |r| r.id)
    }

    /// Whether what the running command reads is remembered: OPTIN needs
    /// CLIENT CACHING YES, OPTOUT is turned off by CLIENT CACHING NO.
    fn remembers_reads(&self) -> bool {
        let m = self.modes;
        if m.bcast {
            false
        } else if m.optin {
            self.caching
        } else {
            !(m.optout && self.caching)
        }
    }

    /// Whether it wants to hear that a key it read changed: not in BCAST
    /// mode (the key was read before), nor, with NOLOOP, when it made the
    /// change itself.
    fn wants_key_invalidation(&self, by_itself: bool) -> bool {
        !(self.modes.bcast || (self.modes.noloop && by_itself))
    }
}

/// What an invalidation says.
#[derive(Debug, Clone)]
enum Payload {
    /// One key.
    Key(Key),
    /// Keys already encoded as a RESP array (a BCAST prefix's list).
    Keys(Vec<u8>),
    /// Every key (a flush): a null in the tracking client's protocol.
    All,
}

impl Payload {
    /// The value part of the push, for a tracker speaking RESP3 or not.
    fn value(&self, tracker_resp3: bool) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Payload::Key(key) => command_bytes([key]).into(),
            Payload::Keys(array) => array.as_slice().into(),
            Payload::All if tracker_resp3 => b"_\r\n".as_slice().into(),
            Payload::All => b"$-1\r\n".as_slice().into(),
        }
    }
}

/// An invalidation for a client that was out of the table.
#[derive(Debug)]
struct Deferred {
    target: ClientRef,
    payload: Payload,
    /// The change came from the target's own command (NOLOOP drops it).
    by_itself: bool,
}

/// Keys changed under a BCAST prefix, each with the id of the client that
/// changed it last (none for an expiry), for NOLOOP.
type ChangedKeys = BTreeMap<Key, Option<u64>>;

/// A BCAST prefix: the keys changed under it this turn and its clients.
#[derive(Debug, Default)]
struct Prefix {
    keys: ChangedKeys,
    clients: Vec<ClientRef>,
}

/// The server's side of client-side caching.
#[derive(Debug, Default)]
pub struct Tracking {
    /// Clients with tracking on (INFO `tracking_clients`).
    pub clients: usize,
    /// Key name -> the clients that may cache it, by id.
    table: IndexMap<Key, Vec<ClientRef>>,
    /// Client references in `table` (INFO `tracking_total_items`).
    items: usize,
    prefixes: BTreeMap<Key, Prefix>,
    /// Some prefix collected a key since the last broadcast.
    broadcast_due: bool,
    deferred: Vec<Deferred>,
    /// Id of the client whose command ran last (the one running while
    /// a command call is in progress).
    current: u64,
    /// A read-only command ran for another client on behalf of the one
    /// being served (a script's call): the command that ran it counts as
    /// a read of its own keys.
    read_on_behalf: bool,
    /// Cron runs in a row that found the table over its limit.
    rounds_over_limit: usize,
    /// Registry id of CLIENT: its subcommands keep CLIENT CACHING for the
    /// next command.
    client_command: Option<usize>,
    /// Registry ids of the read-only script runners (EVAL_RO, EVALSHA_RO,
    /// FCALL_RO, where they exist): only the reads of their script count.
    script_runners: Vec<usize>,
}

/// Commands flagged read-only whose own keys count as read only when the
/// script they run reads something, as in Redis.
const READ_ONLY_SCRIPT_RUNNERS: [&[u8]; 3] = [b"eval_ro", b"evalsha_ro", b"fcall_ro"];

impl Tracking {
    pub fn new(registry: &super::spec::Registry) -> Tracking {
        Tracking {
            client_command: registry.find(b"client"),
            script_runners: READ_ONLY_SCRIPT_RUNNERS
                .iter()
                .filter_map(|name| registry.find(name))
                .collect(),
            ..Tracking::default()
        }
    }

    /// Keys in the table (INFO `tracking_total_keys`).
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// Client references in the table (INFO `tracking_total_items`).
    pub fn total_items(&self) -> usize {
        self.items
    }

    /// BCAST prefixes registered (INFO `tracking_total_prefixes`).
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Nothing is tracked: a changed key concerns no one.
    #[inline]
    fn is_idle(&self) -> bool {
        self.table.is_empty() && self.prefixes.is_empty()
    }

    /// Remembers that `who` may cache `key`.
    fn remember(&mut self, key: &[u8], who: ClientRef) {
        let holders = match self.table.get_index_of(key) {
            Some(i) => self.table.get_index_mut(i).map(|(_, h)| h),
            None => {
                let (i, _) = self
                    .table
                    .insert_full(Key::from(key), Vec::with_capacity(1));
                self.table.get_index_mut(i).map(|(_, h)| h)
            }
        };
        if let Some(holders) = holders {
            if let Err(at) = holders.binary_search_by_key(&who.id, |r| r.id) {
                holders.insert(at, who);
                self.items += 1;
            }
        }
    }

    /// Collects `key` for the prefixes it falls under; `by` changed it.
    fn collect_for_broadcast(&mut self, key: &[u8], by: Option<u64>) {
        for (prefix, state) in self.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                state.keys.insert(Key::from(key), by);
                self.broadcast_due = true;
            }
        }
    }

    /// Whether `id` is the registry id of a CLIENT subcommand (or CLIENT).
    fn is_client_command(&self, registry: &super::spec::Registry, id: usize) -> bool {
        let Some(client) = self.client_command else {
            return false;
        };
        id == client || registry.get(id).is_some_and(|e| e.parent == Some(client))
    }
}

/// The client `r`: the one being served (`current`) or one in the table;
/// with whether it is in the table.
fn reach<'a>(
    clients: &'a mut super::ClientTable,
    current: &'a mut Option<&mut Client>,
    r: ClientRef,
) -> Option<(&'a mut Client, bool)> {
    if let Some(c) = current.as_deref_mut().filter(|c| c.id == r.id) {
        return Some((c, false));
    }
    clients
        .get_mut(r.slot)
        .filter(|c| c.id == r.id)
        .map(|c| (c, true))
}

/// The bytes of an invalidation carrying `value` for `receiver` (reached
/// through a redirect or not), or `None` when it cannot receive one: a
/// RESP2 client only gets invalidations as pub/sub messages, through a
/// redirect, while it is subscribed to something.
pub fn invalidation_for(receiver: &Client, value: &[u8], redirected: bool) -> Option<Vec<u8>> {
    let header = if receiver.reply.resp3 {
        PUSH_HEADER
    } else if redirected && receiver.kind == ClientKind::PubSub {
        MESSAGE_HEADER
    } else {
        return None;
    };
    Some([header, value].concat())
}

/// An array of the keys in `keys` not changed last by `excluded`; `None`
/// when that leaves none.
fn keys_array(keys: &ChangedKeys, excluded: Option<u64>) -> Option<Vec<u8>> {
    let kept: Vec<&Key> = keys
        .iter()
        .filter(|(_, by)| excluded.is_none() || **by != excluded)
        .map(|(key, _)| key)
        .collect();
    (!kept.is_empty()).then(|| command_bytes(kept))
}

impl Server {
    /// CLIENT TRACKING ON (options already checked): sets the modes and
    /// redirect, and registers the BCAST prefixes (the empty one when
    /// none is given). Prefixes add up over repeated calls.
    pub fn enable_tracking(
        &mut self,
        c: &mut Client,
        redirect: Option<ClientRef>,
        modes: Modes,
        prefixes: &[&[u8]],
    ) {
        let state = c.tracking.get_or_insert_with(|| {
            self.tracking.clients += 1;
            Box::default()
        });
        state.redirect = redirect;
        state.modes = modes;
        state.broken_redirect = false;
        if modes.bcast {
            let me = ClientRef::of(c);
            let all: &[&[u8]] = &[b""];
            for &prefix in if prefixes.is_empty() { all } else { prefixes } {
                self.register_prefix(c, me, prefix);
            }
        }
    }

    fn register_prefix(&mut self, c: &mut Client, me: ClientRef, prefix: &[u8]) {
        let state = self.tracking.prefixes.entry(Key::from(prefix)).or_default();
        if !state.clients.contains(&me) {
            state.clients.push(me);
            if let Some(t) = c.tracking.as_deref_mut() {
                t.prefixes.insert(Key::from(prefix));
            }
        }
    }

    /// CLIENT TRACKING OFF (also RESET and a client going away). Its
    /// entries in the table stay until their keys change, as in Redis.
    pub fn disable_tracking(&mut self, c: &mut Client) {
        let Some(state) = c.tracking.take() else {
            return;
        };
        for prefix in &state.prefixes {
            if let Some(p) = self.tracking.prefixes.get_mut(prefix.as_bytes()) {
                p.clients.retain(|r| r.id != c.id);
                if p.clients.is_empty() {
                    self.tracking.prefixes.remove(prefix.as_bytes());
                }
            }
        }
        self.tracking.clients = self.tracking.clients.saturating_sub(1);
    }

    /// After command `id` of `c`, while some client tracks: a tracking
    /// client's read-only command, or one whose script read keys, has
    /// its key arguments remembered (Redis's rule for scripts: a script
    /// that reads anything counts as reading the keys it declared). A
    /// read by a client without tracking inside another's command (a
    /// script's) is noted for that command.
    pub fn track_reads(&mut self, c: &Client, id: usize, cmd: &Command, args: &Args) {
        let read = cmd.has(flag::READONLY) && !self.tracking.script_runners.contains(&id);
        if c.tracking.is_none() {
            if read && c.id != self.tracking.current {
                self.tracking.read_on_behalf = true;
            }
            return;
        }
        let read_by_script = std::mem::take(&mut self.tracking.read_on_behalf);
        if read || read_by_script {
            self.remember_read_keys(c, cmd, args);
        }
    }

    /// Remembers the keys `c` read (its command's key arguments), unless
    /// its modes say otherwise.
    fn remember_read_keys(&mut self, c: &Client, cmd: &Command, args: &Args) {
        let Some(state) = c.tracking.as_deref() else {
            return;
        };
        // Shard channels are keys to COMMAND, not data to cache.
        if !state.remembers_reads() || cmd.has(flag::PUBSUB) {
            return;
        }
        let me = ClientRef::of(c);
        for key in command_keys(cmd, args) {
            self.tracking.remember(&args[key.pos], me);
        }
    }

    /// After a command: a CLIENT CACHING given for it is used up, unless
    /// it opened or continues a transaction or was itself a CLIENT
    /// subcommand.
    pub fn settle_caching(&self, c: &mut Client) {
        let keep = c.multi.is_open()
            || self
                .tracking
                .is_client_command(&self.registry, c.last_command);
        if let Some(state) = c.tracking.as_deref_mut() {
            state.caching &= keep;
        }
    }

    /// The outermost command call of client `id` begins.
    #[inline]
    pub fn set_tracking_current(&mut self, id: u64) {
        self.tracking.current = id;
        self.tracking.read_on_behalf = false;
    }

    /// The client whose command is running, if one is.
    fn running_client(&self) -> Option<u64> {
        self.inside_call().then_some(self.tracking.current)
    }

    /// A key changed, by the running command (`by_client`) or not
    /// (expiry): its trackers are told, BCAST prefixes collect it.
    #[inline]
    pub fn invalidate_key(&mut self, key: &[u8], by_client: bool) {
        if self.tracking.is_idle() {
            return;
        }
        let by = if by_client {
            self.running_client()
        } else {
            None
        };
        self.invalidate_tracked(None, key, by, true);
    }

    /// Tells every client tracking `key` it changed and forgets them;
    /// with `bcast` the prefixes collect it too. `current` is the client
    /// being served when it is at hand (before its command runs).
    fn invalidate_tracked(
        &mut self,
        mut current: Option<&mut Client>,
        key: &[u8],
        by: Option<u64>,
        bcast: bool,
    ) {
        if bcast && !self.tracking.prefixes.is_empty() {
            self.tracking.collect_for_broadcast(key, by);
        }
        let Some(holders) = self.tracking.table.swap_remove(key) else {
            return;
        };
        self.tracking.items = self.tracking.items.saturating_sub(holders.len());
        let payload = Payload::Key(Key::from(key));
        for target in holders {
            self.invalidate_for(&mut current, target, &payload);
        }
    }

    /// Sends a key's invalidation to `target` if it still tracks keys one
    /// by one and (with NOLOOP) did not cause the change; defers it while
    /// `target` is out of the table.
    fn invalidate_for(
        &mut self,
        current: &mut Option<&mut Client>,
        target: ClientRef,
        payload: &Payload,
    ) {
        let by_itself = self.running_client() == Some(target.id)
            || current.as_ref().is_some_and(|c| c.id == target.id);
        let wanted = reach(&mut self.clients, current, target).map(|(c, _)| {
            c.tracking
                .as_deref()
                .is_some_and(|t| t.wants_key_invalidation(by_itself))
        });
        match wanted {
            Some(true) => self.send_tracking_message(current, target, payload),
            Some(false) => {}
            None if self.clients.owns(target.slot, target.id) => {
                self.tracking.deferred.push(Deferred {
                    target,
                    payload: payload.clone(),
                    by_itself,
                });
            }
            None => {}
        }
    }

    /// Redis's sendTrackingMessage: `payload` for the tracking client
    /// `tracker`, to itself or to the client it redirects to.
    fn send_tracking_message(
        &mut self,
        current: &mut Option<&mut Client>,
        tracker: ClientRef,
        payload: &Payload,
    ) {
        let Some((c, _)) = reach(&mut self.clients, current, tracker) else {
            return;
        };
        let Some(state) = c.tracking.as_deref() else {
            return;
        };
        let redirect = state.redirect;
        let value = payload.value(c.reply.resp3);
        let receiver = match redirect {
            Some(r) if !self.clients.owns(r.slot, r.id) => {
                self.report_broken_redirect(current, tracker, r.id);
                return;
            }
            Some(r) => r,
            None => tracker,
        };
        self.push_invalidation(current, receiver, &value, redirect.is_some());
    }

    /// The client `tracker` redirects to is gone: it is flagged, and told
    /// so if it speaks RESP3.
    fn report_broken_redirect(
        &mut self,
        current: &mut Option<&mut Client>,
        tracker: ClientRef,
        redirect_id: u64,
    ) {
        let Some((c, in_table)) = reach(&mut self.clients, current, tracker) else {
            return;
        };
        if let Some(state) = c.tracking.as_deref_mut() {
            state.broken_redirect = true;
        }
        if !c.reply.resp3 || c.close_asap {
            return;
        }
        let start = c.reply.buf.len();
        c.reply.push(2);
        c.reply.bulk(b"tracking-redir-broken");
        c.reply.uint(redirect_id);
        if in_table {
            self.mark_pending_write(tracker.slot);
        } else {
            c.reply.mark_pushed(start);
        }
    }

    /// Writes an invalidation to `receiver`, or has pub/sub hold it while
    /// the receiver is out of the table.
    fn push_invalidation(
        &mut self,
        current: &mut Option<&mut Client>,
        receiver: ClientRef,
        value: &[u8],
        redirected: bool,
    ) {
        let Some((c, in_table)) = reach(&mut self.clients, current, receiver) else {
            if self.clients.owns(receiver.slot, receiver.id) {
                self.hold_invalidation(receiver.slot, value, redirected);
            }
            return;
        };
        if c.close_asap {
            return;
        }
        let Some(bytes) = invalidation_for(c, value, redirected) else {
            return;
        };
        let start = c.reply.buf.len();
        c.reply.raw(&bytes);
        if in_table {
            self.mark_pending_write(receiver.slot);
        } else {
            c.reply.mark_pushed(start);
        }
    }

    /// Sends `c` what was deferred for it while it was out of the table,
    /// after what it has been sent so far (its command's reply).
    #[inline]
    pub fn send_deferred_invalidations(&mut self, c: &mut Client) {
        if !self.tracking.deferred.is_empty() {
            self.send_deferred_to(c);
        }
    }

    fn send_deferred_to(&mut self, c: &mut Client) {
        let (mine, others): (Vec<Deferred>, Vec<Deferred>) =
            std::mem::take(&mut self.tracking.deferred)
                .into_iter()
                .partition(|d| d.target.id == c.id);
        self.tracking.deferred = others;
        let mut current = Some(c);
        for deferred in mine {
            self.send_deferred(&mut current, deferred);
        }
    }

    /// Sends a deferred invalidation if its target still wants it.
    fn send_deferred(&mut self, current: &mut Option<&mut Client>, deferred: Deferred) {
        let Some((c, _)) = reach(&mut self.clients, current, deferred.target) else {
            return;
        };
        let Some(state) = c.tracking.as_deref() else {
            return;
        };
        let wanted = match deferred.payload {
            Payload::Key(_) => state.wants_key_invalidation(deferred.by_itself),
            _ => true,
        };
        if wanted {
            self.send_tracking_message(current, deferred.target, &deferred.payload);
        }
    }

    /// A flush: every tracking client is told all its keys are invalid
    /// (the one being served after its reply), and the table is emptied.
    pub fn invalidate_tracked_on_flush(&mut self) {
        if self.tracking.clients > 0 {
            let mut owners: Vec<(usize, u64)> = self.clients.owners().collect();
            owners.sort_unstable_by_key(|&(_, id)| id);
            for (slot, id) in owners {
                let target = ClientRef { id, slot };
                match self.clients.get(slot) {
                    Some(c) if c.tracking.is_some() => {
                        self.send_tracking_message(&mut None, target, &Payload::All);
                    }
                    Some(_) => {}
                    None => self.tracking.deferred.push(Deferred {
                        target,
                        payload: Payload::All,
                        by_itself: false,
                    }),
                }
            }
        }
        self.tracking.table = IndexMap::new();
        self.tracking.items = 0;
    }

    /// Keeps the table within `tracking-table-max-keys` (Redis's
    /// trackingLimitUsedSlots): keys picked at random are invalidated as
    /// if they had changed, trying harder each time the last call could
    /// not get under the limit. Run before each command (`current` is its
    /// client) and by the cron.
    pub fn limit_tracking_table(&mut self, mut current: Option<&mut Client>) {
        let Ok(max) = usize::try_from(self.config.tracking_table_max_keys) else {
            return;
        };
        if max == 0 {
            return;
        }
        if self.tracking.table.len() <= max {
            self.tracking.rounds_over_limit = 0;
            return;
        }
        let effort = 100 * (self.tracking.rounds_over_limit + 1);
        for _ in 0..effort {
            let len = self.tracking.table.len();
            if len == 0 {
                break;
            }
            let pick = self.rng.below(len);
            let Some(key) = self.tracking.table.get_index(pick).map(|(k, _)| k.clone()) else {
                break;
            };
            self.invalidate_tracked(current.as_deref_mut(), &key, None, false);
            if self.tracking.table.len() <= max {
                self.tracking.rounds_over_limit = 0;
                return;
            }
        }
        self.tracking.rounds_over_limit += 1;
    }

    /// Before the loop sleeps: each prefix's collected keys go to its
    /// clients (without the ones a NOLOOP client changed itself), and
    /// anything still deferred is delivered.
    pub fn tracking_before_sleep(&mut self) {
        if self.tracking.broadcast_due {
            self.broadcast_invalidations();
        }
        if !self.tracking.deferred.is_empty() {
            let mut current = None;
            for deferred in std::mem::take(&mut self.tracking.deferred) {
                self.send_deferred(&mut current, deferred);
            }
        }
    }

    fn broadcast_invalidations(&mut self) {
        self.tracking.broadcast_due = false;
        let batches: Vec<(ChangedKeys, Vec<ClientRef>)> = self
            .tracking
            .prefixes
            .values_mut()
            .filter(|p| !p.keys.is_empty())
            .map(|p| (std::mem::take(&mut p.keys), p.clients.clone()))
            .collect();
        for (keys, clients) in batches {
            let Some(all) = keys_array(&keys, None) else {
                continue;
            };
            let all = Payload::Keys(all);
            for r in clients {
                let noloop = self
                    .clients
                    .get(r.slot)
                    .filter(|c| c.id == r.id)
                    .and_then(|c| c.tracking.as_deref())
                    .is_some_and(|t| t.modes.noloop);
                if !noloop {
                    self.send_tracking_message(&mut None, r, &all);
                } else if let Some(own) = keys_array(&keys, Some(r.id)) {
                    self.send_tracking_message(&mut None, r, &Payload::Keys(own));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(keys: &[(&str, Option<u64>)]) -> ChangedKeys {
        keys.iter()
            .map(|&(k, who)| (Key::from(k.as_bytes()), who))
            .collect()
    }

    #[test]
    fn broadcast_lists_leave_out_what_a_noloop_client_changed() {
        let keys = by(&[("b", Some(7)), ("a", None), ("c", Some(8))]);
        assert_eq!(
            keys_array(&keys, None).as_deref(),
            Some(&b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"[..])
        );
        assert_eq!(
            keys_array(&keys, Some(7)).as_deref(),
            Some(&b"*2\r\n$1\r\na\r\n$1\r\nc\r\n"[..])
        );
        assert_eq!(keys_array(&by(&[("x", Some(7))]), Some(7)), None);
    }

    #[test]
    fn reads_are_remembered_by_mode() {
        let mut t = ClientTracking::default();
        assert!(t.remembers_reads());
        t.modes.optin = true;
        assert!(!t.remembers_reads());
        t.caching = true;
        assert!(t.remembers_reads());
        t.modes = Modes {
            optout: true,
            ..Modes::default()
        };
        assert!(!t.remembers_reads());
        t.caching = false;
        assert!(t.remembers_reads());
        t.modes.bcast = true;
        assert!(!t.remembers_reads());
    }

    #[test]
    fn a_key_holds_each_client_once() {
        let mut t = Tracking::default();
        let a = ClientRef { id: 9, slot: 0 };
        let b = ClientRef { id: 3, slot: 1 };
        t.remember(b"k", a);
        t.remember(b"k", b);
        t.remember(b"k", a);
        t.remember(b"other", a);
        assert_eq!((t.total_keys(), t.total_items()), (2, 3));
        assert_eq!(t.table.get(&b"k"[..]).map(Vec::as_slice), Some(&[b, a][..]));
    }

    #[test]
    fn invalidations_by_receiver() {
        let mut c = Client::new(1, 0, None, 0);
        let value = b"*1\r\n$1\r\nk\r\n";
        assert_eq!(invalidation_for(&c, value, true), None);
        c.kind = ClientKind::PubSub;
        assert_eq!(invalidation_for(&c, value, false), None);
        assert_eq!(
            invalidation_for(&c, value, true).as_deref(),
            Some(&b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"[..])
        );
        c.reply.resp3 = true;
        assert_eq!(
            invalidation_for(&c, value, false).as_deref(),
            Some(&b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"[..])
        );
        assert_eq!(Payload::All.value(false).as_ref(), b"$-1\r\n");
        assert_eq!(Payload::All.value(true).as_ref(), b"_\r\n");
    }
}
