//! Transactions: the per-client MULTI queue and the server-wide WATCH map.
//!
//! Between MULTI and EXEC a client's commands are checked as usual, then
//! queued (with owned copies of their arguments, since commands otherwise
//! borrow the query buffer) instead of run. A command refused while queueing
//! marks the transaction aborted: EXEC answers EXECABORT and runs nothing.
//!
//! WATCH registers (database, key) pairs. Every write goes through
//! `key_modified`, which looks the key up here only when the database has
//! watched keys at all, so writes cost nothing extra while nobody watches.
//! A touched client is flagged and its keys unwatched; its EXEC answers the
//! null array. Expiry follows Redis 7.0: a key already expired when it was
//! watched does not fail EXEC when it is deleted, while a key that expires
//! after WATCH does, even before anything deletes it.
//!
//! The watch state lives in the server, keyed by client slot, because the
//! client whose write touches a key may be the one being served (taken out
//! of the client table).

use super::Server;
use crate::db::{Db, Key};
use crate::server::client::Client;
use crate::server::spec::{flag, Args, OwnedArgs, Registry};
use std::collections::HashMap;
use std::ops::Range;

/// A client's transaction state. Open between MULTI and the end of
/// EXEC/DISCARD; its buffers are kept for the next transaction, so queueing
/// does not allocate once a client's transactions have warmed them up.
#[derive(Debug, Default)]
pub struct Transaction {
    open: bool,
    /// Commands waiting for EXEC.
    queue: Queue,
    /// How many commands were queued; stays while EXEC runs them
    /// (CLIENT LIST `multi=`).
    count: usize,
    /// Union of the queued commands' flags: EXEC is held by CLIENT PAUSE
    /// WRITE when it would write.
    flags: u64,
    /// Union of the flags queued commands lack: EXEC is refused on a stale
    /// replica, or while loading, when some command it holds would be.
    missing_flags: u64,
    /// A command was refused while queueing: EXEC must not run any.
    aborted: bool,
    /// Argument bytes held, counted as Redis does (`multi-mem`): each
    /// argument's length plus a pointer per argument.
    memory: usize,
}

/// Queued commands: owned copies of their arguments, back to back in one
/// buffer, and for each command its registry id and argument spans.
#[derive(Debug, Default)]
pub struct Queue {
    args: OwnedArgs,
    commands: Vec<(usize, Range<usize>)>,
}

/// Buffers bigger than this are freed after a transaction, not kept.
const KEEP_QUEUE_BYTES: usize = 64 * 1024;

impl Queue {
    fn push(&mut self, id: usize, args: &Args) {
        let first = self.args.spans.len();
        for a in args.iter() {
            self.args.push(a);
        }
        self.commands.push((id, first..self.args.spans.len()));
    }

    /// Each queued command's id and arguments, in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Args<'_>)> {
        self.commands.iter().map(|(id, spans)| {
            let spans = self.args.spans.get(spans.clone()).unwrap_or_default();
            (*id, Args::new(&self.args.buf, spans))
        })
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Empties the queue, keeping its memory unless it grew large.
    fn clear(&mut self) {
        if self.args.buf.capacity() > KEEP_QUEUE_BYTES {
            *self = Queue::default();
            return;
        }
        self.args.buf.clear();
        self.args.spans.clear();
        self.commands.clear();
    }
}

impl Transaction {
    /// True between MULTI and the end of EXEC/DISCARD (`flags=x`).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// MULTI: opens an empty transaction.
    pub fn begin(&mut self) {
        self.open = true;
    }

    /// Closes the transaction and forgets what was queued.
    fn end(&mut self) {
        self.queue.clear();
        *self = Transaction {
            queue: std::mem::take(&mut self.queue),
            ..Transaction::default()
        };
    }

    /// CLIENT LIST's `multi=`: commands queued, -1 outside a transaction.
    pub fn reported_count(&self) -> i64 {
        if self.open {
            self.count as i64
        } else {
            -1
        }
    }

    /// CLIENT LIST's `multi-mem`.
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// True if a command was refused while queueing.
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// Hands the queued commands to EXEC; [`Transaction::restore_queue`]
    /// gives the buffers back for reuse.
    pub fn take_queue(&mut self) -> Queue {
        std::mem::take(&mut self.queue)
    }

    pub fn restore_queue(&mut self, queue: Queue) {
        self.queue = queue;
    }

    fn push(&mut self, id: usize, args: &Args, flags: u64) {
        let bytes: usize = args.iter().map(<[u8]>::len).sum();
        self.memory += bytes + args.len() * std::mem::size_of::<usize>();
        self.flags |= flags;
        self.missing_flags |= !flags;
        self.count += 1;
        self.queue.push(id, args);
    }
}

/// Registry ids of the commands that run at once inside MULTI instead of
/// being queued.
#[derive(Debug, Clone, Copy)]
pub struct TransactionCommands {
    pub exec: usize,
    immediate: [usize; 6],
}

impl TransactionCommands {
    pub fn resolve(registry: &Registry) -> Self {
        let id = |name: &str| registry.find(name.as_bytes()).unwrap_or(usize::MAX);
        let exec = id("exec");
        TransactionCommands {
            exec,
            immediate: [
                exec,
                id("discard"),
                id("multi"),
                id("watch"),
                id("quit"),
                id("reset"),
            ],
        }
    }

    /// True if command `id` runs even while a transaction is open.
    pub fn runs_inside_multi(&self, id: usize) -> bool {
        self.immediate.contains(&id)
    }
}

/// One client watching one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Watcher {
    slot: usize,
    /// The key was already logically expired when it was watched.
    expired: bool,
}

/// What one client watches.
#[derive(Debug, Default)]
struct ClientWatches {
    keys: Vec<(usize, Key)>,
    /// A watched key was modified: EXEC must fail.
    touched: bool,
}

/// Every WATCH of every client.
#[derive(Debug, Default)]
pub struct Watches {
    /// Per database: the watchers of each watched key, in WATCH order.
    by_db: Vec<HashMap<Key, Vec<Watcher>>>,
    /// Per client slot.
    by_client: HashMap<usize, ClientWatches>,
}

impl Watches {
    /// True if some client watches a key of database `db`.
    pub fn watching_in(&self, db: usize) -> bool {
        self.by_db.get(db).is_some_and(|keys| !keys.is_empty())
    }

    /// Watches `key` of `db` for the client in `slot` (once per key).
    fn watch(&mut self, slot: usize, db: usize, key: &[u8], expired: bool) {
        let mine = self.by_client.entry(slot).or_default();
        if mine.keys.iter().any(|(d, k)| *d == db && **k == *key) {
            return;
        }
        mine.keys.push((db, Key::from(key)));
        if self.by_db.len() <= db {
            self.by_db.resize_with(db + 1, HashMap::new);
        }
        self.by_db[db]
            .entry(Key::from(key))
            .or_default()
            .push(Watcher { slot, expired });
    }

    /// Stops watching every key of `slot`; a touched flag stays.
    fn unwatch_all(&mut self, slot: usize) {
        let Some(mine) = self.by_client.get_mut(&slot) else {
            return;
        };
        let keys = std::mem::take(&mut mine.keys);
        if !mine.touched {
            self.by_client.remove(&slot);
        }
        for (db, key) in keys {
            let Some(map) = self.by_db.get_mut(db) else {
                continue;
            };
            if let Some(watchers) = map.get_mut(&key) {
                watchers.retain(|w| w.slot != slot);
                if watchers.is_empty() {
                    map.remove(&key);
                }
            }
        }
    }

    /// Forgets everything about `slot`: its keys and its touched flag.
    pub fn forget(&mut self, slot: usize) {
        self.unwatch_all(slot);
        self.by_client.remove(&slot);
    }

    /// True if a key `slot` watched was modified.
    pub fn is_touched(&self, slot: usize) -> bool {
        self.by_client.get(&slot).is_some_and(|w| w.touched)
    }

    fn set_touched(&mut self, slot: usize) {
        self.by_client.entry(slot).or_default().touched = true;
    }

    /// Number of keys `slot` watches.
    pub fn count(&self, slot: usize) -> usize {
        self.by_client.get(&slot).map_or(0, |w| w.keys.len())
    }

    /// `key` of `db` was written; `exists` says whether it is in the
    /// database now. Watchers are flagged and unwatched, except those that
    /// watched an already expired key: its deletion changes nothing
    /// logically (they just forget it was expired). As in Redis 7.0, such a
    /// watcher finding the key still present ends the scan of this key.
    fn touch_key(&mut self, db: usize, key: &[u8], exists: bool) {
        let Some(watchers) = self.by_db.get_mut(db).and_then(|m| m.get_mut(key)) else {
            return;
        };
        let mut touched = Vec::new();
        for w in watchers.iter_mut() {
            if w.expired {
                if exists {
                    break;
                }
                w.expired = false;
                continue;
            }
            touched.push(w.slot);
        }
        for slot in touched {
            self.set_touched(slot);
            self.unwatch_all(slot);
        }
    }

    /// The keys of database `db` are being replaced: `emptied` is what it
    /// held, `replaced_with` what it holds next (`None` for a flush). A
    /// watcher is touched when its key existed before or exists after, unless
    /// the key is logically expired on both sides of the change (an expired
    /// key deleted, or a missing or expired key replaced by an expired one).
    fn touch_db(&mut self, db: usize, emptied: &Db, replaced_with: Option<&Db>, now_ms: i64) {
        let Some(map) = self.by_db.get_mut(db) else {
            return;
        };
        let mut touched = Vec::new();
        for (key, watchers) in map.iter_mut() {
            let existed = emptied.contains(key);
            let exists_after = replaced_with.is_some_and(|r| r.contains(key));
            if !existed && !exists_after {
                continue;
            }
            let expired_after = replaced_with.is_some_and(|r| r.is_expired(key, now_ms));
            for w in watchers.iter_mut() {
                if w.expired {
                    if !exists_after {
                        w.expired = false;
                        continue;
                    }
                    if expired_after {
                        continue;
                    }
                } else if !existed && expired_after {
                    w.expired = true;
                    continue;
                }
                touched.push(w.slot);
            }
        }
        for slot in touched {
            self.set_touched(slot);
        }
    }

    /// True if a key `slot` watches, not expired when watched, has expired
    /// since (whether or not it was deleted yet).
    fn any_expired_since_watch(&self, slot: usize, dbs: &[Db], now_ms: i64) -> bool {
        let Some(mine) = self.by_client.get(&slot) else {
            return false;
        };
        mine.keys.iter().any(|(db, key)| {
            let was_expired = self
                .by_db
                .get(*db)
                .and_then(|m| m.get(key))
                .and_then(|ws| ws.iter().find(|w| w.slot == slot))
                .is_some_and(|w| w.expired);
            !was_expired && dbs.get(*db).is_some_and(|d| d.is_expired(key, now_ms))
        })
    }
}

impl Server {
    /// Flags a write to `key` of `db` for the clients watching it.
    #[inline]
    pub fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        if !self.watches.watching_in(db) {
            return;
        }
        let exists = self.dbs.get(db).is_some_and(|d| d.contains(key));
        self.watches.touch_key(db, key, exists);
    }

    /// Flags the watchers of database `db` (or of all, `None`) that is about
    /// to be emptied.
    pub fn touch_watched_before_flush(&mut self, db: Option<usize>) {
        let now = self.cmd_time_ms;
        let range = match db {
            Some(i) => i..i + 1,
            None => 0..self.dbs.len(),
        };
        for i in range {
            if let Some(emptied) = self.dbs.get(i) {
                self.watches.touch_db(i, emptied, None, now);
            }
        }
    }

    /// Flags the watchers of databases `a` and `b`, whose contents were just
    /// exchanged (each now holds what the other held).
    pub fn touch_watched_after_swap(&mut self, a: usize, b: usize) {
        let now = self.cmd_time_ms;
        let (Some(now_a), Some(now_b)) = (self.dbs.get(a), self.dbs.get(b)) else {
            return;
        };
        self.watches.touch_db(a, now_b, Some(now_a), now);
        self.watches.touch_db(b, now_a, Some(now_b), now);
    }

    /// WATCH: `keys` of the client's database, noting which are already
    /// expired.
    pub fn watch_keys(&mut self, c: &Client, keys: Args) {
        let now = self.cmd_time_ms;
        for key in keys.iter() {
            let expired = self.dbs.get(c.db).is_some_and(|d| d.is_expired(key, now));
            self.watches.watch(c.slot, c.db, key, expired);
        }
    }

    /// UNWATCH: forgets the client's keys and whether one was touched.
    pub fn unwatch_keys(&mut self, c: &Client) {
        self.watches.forget(c.slot);
    }

    /// True if EXEC must fail for a watched key: one was modified, or one
    /// expired since it was watched.
    pub fn watch_failed(&mut self, c: &Client) -> bool {
        let expired = self
            .watches
            .any_expired_since_watch(c.slot, &self.dbs, self.cmd_time_ms);
        if expired {
            self.watches.set_touched(c.slot);
        }
        self.watches.is_touched(c.slot)
    }

    /// Ends the client's transaction, if any, and unwatches its keys.
    pub fn discard_transaction(&mut self, c: &mut Client) {
        c.multi.end();
        self.watches.forget(c.slot);
    }

    /// Marks the open transaction, if any, as doomed (a command was refused).
    pub fn flag_transaction(&self, c: &mut Client) {
        if c.multi.open {
            c.multi.aborted = true;
        }
    }

    /// True if `c` has a transaction open and command `id` is to be queued.
    pub fn queues_command(&self, c: &Client, id: usize) -> bool {
        c.multi.open && !self.tx_commands.runs_inside_multi(id)
    }

    /// Queues a command that passed the checks and answers QUEUED. An
    /// already doomed transaction keeps nothing more.
    pub fn queue_command(&mut self, c: &mut Client, id: usize, args: &Args, flags: u64) {
        if !c.multi.aborted && !self.watches.is_touched(c.slot) {
            c.multi.push(id, args, flags);
        }
        c.reply.simple("QUEUED");
    }

    /// The flags the checks before running command `id` look at (CLIENT
    /// PAUSE, min-replicas-to-write, stale replica, loading, maxmemory):
    /// those the command computes from its arguments when it declares so
    /// (a script's declared flags), otherwise its table flags. EXEC counts
    /// with the flags of what it would run, and is allowed on a stale
    /// replica or while loading only if every queued command is.
    pub fn effective_flags(&self, c: &Client, id: usize, args: &Args) -> u64 {
        let Some(cmd) = self.registry.entries.get(id).map(|e| e.cmd) else {
            return 0;
        };
        if c.multi.open && id == self.tx_commands.exec {
            let all_must_have = flag::STALE | flag::LOADING;
            (cmd.flags | c.multi.flags) & !(c.multi.missing_flags & all_must_have)
        } else if let Some(flags_for) = cmd.flags_for {
            flags_for(self, args, cmd.flags)
        } else {
            cmd.flags
        }
    }

    /// EXEC refused before it ran (e.g. arity): the transaction is dropped
    /// and the error says why.
    pub fn abort_exec(&mut self, c: &mut Client, reason: &[u8]) {
        self.discard_transaction(c);
        let reason = reason.strip_prefix(b"ERR ").unwrap_or(reason);
        c.reply.error(
            [
                b"EXECABORT Transaction discarded because of: ".as_slice(),
                reason,
            ]
            .concat(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Object, StrValue, Value};

    fn db_with(keys: &[(&str, Option<i64>)]) -> Db {
        let mut db = Db::default();
        for (k, expire) in keys {
            let obj = Object::new(Value::Str(StrValue::from_bytes(b"v")), 0);
            db.insert(k.as_bytes(), obj, *expire);
        }
        db
    }

    #[test]
    fn the_queue_keeps_commands_apart_and_is_reused() {
        let mut tx = Transaction::default();
        tx.begin();
        let set = OwnedArgs::from_slices(&["SET", "k", "v"]);
        let ping = OwnedArgs::from_slices(&["PING"]);
        tx.push(7, &set.args(), 1);
        tx.push(9, &ping.args(), 2);
        assert_eq!((tx.reported_count(), tx.memory()), (2, 5 + 4 + 4 * 8));
        let queue = tx.take_queue();
        let seen: Vec<(usize, Vec<Vec<u8>>)> =
            queue.iter().map(|(id, a)| (id, a.to_vecs())).collect();
        assert_eq!(
            seen,
            [(7, set.args().to_vecs()), (9, ping.args().to_vecs())]
        );
        // Still counted while EXEC runs them.
        assert_eq!(tx.reported_count(), 2);
        tx.restore_queue(queue);
        let capacity = tx.queue.args.buf.capacity();
        tx.end();
        assert_eq!(tx.reported_count(), -1);
        assert!(tx.queue.is_empty());
        assert_eq!(tx.queue.args.buf.capacity(), capacity);
        assert_eq!(tx.flags, 0);
    }

    #[test]
    fn touching_a_key_flags_and_unwatches_its_watchers() {
        let mut w = Watches::default();
        w.watch(1, 0, b"k", false);
        w.watch(1, 0, b"other", false);
        w.watch(2, 0, b"k", false);
        w.watch(3, 1, b"k", false);
        w.touch_key(0, b"k", true);
        assert!(w.is_touched(1) && w.is_touched(2) && !w.is_touched(3));
        assert_eq!((w.count(1), w.count(2), w.count(3)), (0, 0, 1));
        assert!(!w.watching_in(0));
        assert!(w.watching_in(1));
    }

    #[test]
    fn deleting_a_key_expired_at_watch_time_is_no_change() {
        let mut w = Watches::default();
        w.watch(1, 0, b"k", true);
        w.touch_key(0, b"k", false);
        assert!(!w.is_touched(1));
        // Now a plain missing key: creating it touches.
        w.touch_key(0, b"k", true);
        assert!(w.is_touched(1));
    }

    #[test]
    fn expired_watcher_seeing_the_key_present_stops_the_scan() {
        let mut w = Watches::default();
        w.watch(1, 0, b"k", true);
        w.watch(2, 0, b"k", false);
        w.touch_key(0, b"k", true);
        assert!(!w.is_touched(1) && !w.is_touched(2));
    }

    #[test]
    fn flush_touches_only_existing_keys() {
        let mut w = Watches::default();
        w.watch(1, 0, b"there", false);
        w.watch(2, 0, b"missing", false);
        w.watch(3, 0, b"stale", true);
        let db = db_with(&[("there", None), ("stale", Some(1))]);
        w.touch_db(0, &db, None, 100);
        assert!(w.is_touched(1));
        assert!(!w.is_touched(2));
        assert!(!w.is_touched(3));
        // Flush does not unwatch.
        assert_eq!(w.count(1), 1);
    }

    #[test]
    fn swap_rules_for_expired_keys() {
        let now = 100;
        let live = db_with(&[("k", None)]);
        let stale = db_with(&[("k", Some(1))]);
        let empty = Db::default();
        let touched = |watched_expired: bool, before: &Db, after: &Db| {
            let mut w = Watches::default();
            w.watch(1, 0, b"k", watched_expired);
            w.touch_db(0, before, Some(after), now);
            w.is_touched(1)
        };
        assert!(touched(false, &live, &empty));
        assert!(touched(false, &empty, &live));
        assert!(!touched(false, &empty, &stale));
        assert!(!touched(true, &stale, &empty));
        assert!(!touched(true, &stale, &stale));
        assert!(touched(true, &stale, &live));
        assert!(touched(false, &live, &stale));
    }

    #[test]
    fn watching_twice_and_forgetting() {
        let mut w = Watches::default();
        w.watch(1, 0, b"k", false);
        w.watch(1, 0, b"k", false);
        assert_eq!(w.count(1), 1);
        w.touch_key(0, b"k", true);
        w.watch(1, 0, b"k", false);
        w.forget(1);
        assert!(!w.is_touched(1));
        assert!(!w.watching_in(0));
    }

    #[test]
    fn expiry_after_watch_fails_exec() {
        let mut w = Watches::default();
        w.watch(1, 0, b"k", false);
        w.watch(2, 0, b"k", true);
        let dbs = vec![db_with(&[("k", Some(50))])];
        assert!(!w.any_expired_since_watch(1, &dbs, 40));
        assert!(w.any_expired_since_watch(1, &dbs, 60));
        assert!(!w.any_expired_since_watch(2, &dbs, 60));
    }
}
