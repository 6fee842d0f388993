//! The one write path. A command changes a key only through a
//! [`KeyWrite`], opened with [`Server::write_key`]:
//!
//! - opening it looks the key up for writing (lazy expiry first, and a
//!   writable replica deletes an expired key; the access time is
//!   refreshed), and the typed accessors answer WRONGTYPE in one place;
//! - the command says what it changed with [`KeyWrite::changed`] (the
//!   value: WATCH, blocked clients and client tracking must hear of it) or
//!   [`KeyWrite::meta_changed`] (state readers of the value do not see,
//!   such as a stream's consumer groups), with the keyspace event Redis
//!   raises for it;
//! - dropping it does the bookkeeping of every write: an aggregate left
//!   empty is deleted (with its `del` event), the key is marked modified,
//!   the events are raised and the change is counted, which is also what
//!   makes the command propagate. A command that must finish another key
//!   first (LMOVE pushes before its source is done, as in Redis) sets
//!   the write aside with [`KeyWrite::defer`] and finishes it later with
//!   [`Server::finish_write`].
//!
//! Writes that are not about one key (FLUSHALL, SWAPDB, ...) are server
//! methods in [`crate::server::keyspace`] that end in the same
//! [`Server::record_change`].

use super::client::Client;
use super::errors::{CmdError, WRONGTYPE};
use super::keyspace::{AccessTracking, LookupEffects};
use super::Server;
use crate::config::Config;
use crate::types::{Object, Value, ValueType};
use crate::util::Rng;

use super::notify::NEW;
pub use super::notify::{EventClass, KeyEvent, DEL};

/// One key opened for writing. See the module documentation.
pub struct KeyWrite<'s, 'k> {
    srv: &'s mut Server,
    key: &'k [u8],
    slot: Slot,
    outcome: Outcome,
}

/// Where the key stands in its database's map. A write that only replaces
/// the value (SET, MSET) never needs to look it up first.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Not looked up yet (lazy expiry is done); `touch`: refresh the access
    /// time when it is.
    Unresolved {
        touch: bool,
    },
    Absent,
    At(usize),
}

/// What a write did, to be finished when it is dropped (or deferred).
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    db: usize,
    /// Changes counted for save points and INFO (and propagation).
    dirty: u64,
    /// The value changed: WATCH, blocked clients and tracking hear of it.
    modified: bool,
    /// The value was created by this write (removed again if left empty).
    created: bool,
    /// An aggregate was handed out for changing: it may be left empty.
    may_empty: bool,
    /// The value was created for changing and its `new` event waits for
    /// the first change (a value left empty was never added, as in Redis).
    pending_new: bool,
    /// What debug builds check when the write is done (see [`Audit`]).
    audit: u8,
}

/// Debug builds check that a write that stored, deleted or changed the TTL
/// of its key raised an event or said it raises none, so that a command
/// cannot forget its event (release builds note nothing).
struct Audit;

impl Audit {
    /// The key was stored, deleted or its TTL changed directly.
    const STORED: u8 = 1;
    /// An event was raised for the write.
    const EVENTED: u8 = 2;
    /// The write declared it raises no event ([`KeyWrite::touched`],
    /// [`KeyWrite::counted`]).
    const SILENT: u8 = 4;
}

impl Outcome {
    #[inline(always)]
    fn note(&mut self, what: u8) {
        if cfg!(debug_assertions) {
            self.audit |= what;
        }
    }

    /// Whether a write that stored raised or declined its event.
    fn accounted_for(&self) -> bool {
        self.audit & Audit::STORED == 0 || self.audit & (Audit::EVENTED | Audit::SILENT) != 0
    }
}

/// A write set aside by [`KeyWrite::defer`], owning its key; the events
/// recorded on it are raised when it is finished.
#[derive(Debug)]
pub struct DeferredWrite {
    key: Vec<u8>,
    outcome: Outcome,
    events: Vec<KeyEvent>,
}

impl DeferredWrite {
    /// [`KeyWrite::changed`] for a write set aside: the event is raised
    /// when it is finished.
    pub fn changed(&mut self, n: u64, event: KeyEvent) {
        self.outcome.modified = true;
        self.outcome.dirty += n;
        self.outcome.note(Audit::EVENTED);
        self.events.push(event);
    }
}

impl Server {
    /// Opens `key` in database `db` for writing: the one write path.
    #[inline]
    pub fn write_key<'s, 'k>(&'s mut self, db: usize, key: &'k [u8]) -> KeyWrite<'s, 'k> {
        self.open_key(db, key, Some(LookupEffects::WRITE))
    }

    /// [`Server::write_key`] without the lazy expiry: the key is taken as
    /// stored, expired or not (BITOP's destination, as Redis deletes it).
    pub fn write_key_as_stored<'s, 'k>(&'s mut self, db: usize, key: &'k [u8]) -> KeyWrite<'s, 'k> {
        self.open_key(db, key, None)
    }

    /// Opens `key` for a command that looks it up for reading (counting a
    /// hit or miss, `effects`) and may then change it, as Redis's
    /// XREADGROUP and XCLAIM do.
    pub fn update_key<'s, 'k>(
        &'s mut self,
        db: usize,
        key: &'k [u8],
        effects: LookupEffects,
    ) -> KeyWrite<'s, 'k> {
        self.open_key(db, key, Some(effects))
    }

    #[inline]
    fn open_key<'s, 'k>(
        &'s mut self,
        db: usize,
        key: &'k [u8],
        lookup: Option<LookupEffects>,
    ) -> KeyWrite<'s, 'k> {
        let db = db.min(self.dbs.len().saturating_sub(1));
        let slot = match lookup {
            // Hits and misses are counted now, so the key is looked up now.
            Some(effects) if effects.stats => match self.lookup_index(db, key, effects) {
                Some(i) => Slot::At(i),
                None => Slot::Absent,
            },
            Some(effects) if self.expire_if_needed_for(db, key, effects.write) => Slot::Absent,
            Some(effects) => Slot::Unresolved {
                touch: effects.touch,
            },
            None => Slot::Unresolved { touch: false },
        };
        KeyWrite {
            srv: self,
            key,
            slot,
            outcome: Outcome {
                db,
                ..Outcome::default()
            },
        }
    }

    /// Finishes a write set aside with [`KeyWrite::defer`].
    pub fn finish_write(&mut self, deferred: DeferredWrite) {
        let mut w = KeyWrite {
            srv: self,
            key: &deferred.key,
            slot: Slot::Unresolved { touch: false },
            outcome: deferred.outcome,
        };
        for event in &deferred.events {
            w.raise(*event);
        }
        // Dropping the write does its bookkeeping.
        drop(w);
    }

    /// Counts `n` changes to the dataset (save points, INFO): the running
    /// command wrote, so it propagates. Every write ends here.
    #[inline]
    pub fn record_change(&mut self, n: u64) {
        if n > 0 {
            self.dirty += n;
            self.propagation.wrote = true;
        }
    }

    /// The one place a keyspace event is raised (writes, expiry, missed
    /// lookups): published when `notify-keyspace-events` enables its class
    /// (see [`crate::server::notify`]); one bit test when it does not.
    #[inline]
    pub fn notify_keyspace_event(&mut self, db: usize, key: &[u8], event: KeyEvent) {
        if self.config.notify_keyspace_events & event.class.flag() != 0 {
            self.publish_keyspace_event(db, key, event);
        }
    }
}

impl<'s, 'k> KeyWrite<'s, 'k> {
    /// The key's position, looking it up on first need.
    fn position(&mut self) -> Option<usize> {
        if let Slot::Unresolved { touch } = self.slot {
            let tracking = touch.then(|| self.srv.access_tracking());
            let Server { dbs, rng, .. } = &mut *self.srv;
            let found = dbs
                .get_mut(self.outcome.db)
                .and_then(|d| d.keys.get_full_mut(self.key));
            self.slot = match found {
                Some((i, _, obj)) => {
                    if let Some(tracking) = tracking {
                        obj.lru = tracking.touched(obj.lru, rng);
                    }
                    Slot::At(i)
                }
                None => Slot::Absent,
            };
        }
        match self.slot {
            Slot::At(i) => Some(i),
            _ => None,
        }
    }

    /// The key's object, if it exists.
    pub fn object(&mut self) -> Option<&mut Object> {
        let i = self.position()?;
        let db = self.srv.dbs.get_mut(self.outcome.db)?;
        db.keys.get_index_mut(i).map(|(_, obj)| obj)
    }

    /// Whether the key exists.
    pub fn exists(&mut self) -> bool {
        self.position().is_some()
    }

    /// The value if it is a `T`; `None` when the key is missing, WRONGTYPE
    /// when it holds another type.
    pub fn existing<T: ValueType>(&mut self) -> Result<Option<&mut T>, CmdError> {
        self.outcome.may_empty = true;
        match self.object() {
            None => Ok(None),
            Some(obj) => T::of_mut(&mut obj.value)
                .map(Some)
                .ok_or(CmdError::Static(WRONGTYPE)),
        }
    }

    /// Whether the key holds a `T` (`None` when it is missing).
    pub fn holds<T: ValueType>(&mut self) -> Option<bool> {
        self.object().map(|obj| T::of(&obj.value).is_some())
    }

    /// WRONGTYPE unless the key is missing or holds a `T`; true if it
    /// exists.
    pub fn check<T: ValueType>(&mut self) -> Result<bool, CmdError> {
        Ok(self.existing::<T>()?.is_some())
    }

    /// The value as a `T`, created with `make` when the key is missing;
    /// WRONGTYPE when it holds another type.
    pub fn or_create<T: ValueType>(
        &mut self,
        make: impl FnOnce() -> T,
    ) -> Result<&mut T, CmdError> {
        if !self.check::<T>()? {
            let obj = self.srv.new_object(make().into_value());
            self.put(obj, false);
            self.outcome.created = true;
            self.outcome.pending_new = true;
        }
        self.existing::<T>()?.ok_or(CmdError::Static(WRONGTYPE))
    }

    /// The value as a `T` (see [`KeyWrite::existing`]) together with the
    /// server's random generator (random picks while writing).
    pub fn existing_with_rng<T: ValueType>(
        &mut self,
    ) -> Result<Option<(&mut T, &mut Rng)>, CmdError> {
        let Some(i) = self.position() else {
            return Ok(None);
        };
        self.outcome.may_empty = true;
        let Server { dbs, rng, .. } = &mut *self.srv;
        let Some((_, obj)) = dbs
            .get_mut(self.outcome.db)
            .and_then(|d| d.keys.get_index_mut(i))
        else {
            return Ok(None);
        };
        let value = T::of_mut(&mut obj.value).ok_or(CmdError::Static(WRONGTYPE))?;
        Ok(Some((value, rng)))
    }

    /// Stores `value` (SET semantics: the TTL goes unless `keep_ttl`; under
    /// LFU an overwritten key keeps its access counter).
    pub fn set(&mut self, value: Value) {
        self.set_keeping_ttl(value, false);
    }

    /// [`KeyWrite::set`] choosing whether the TTL stays.
    #[inline]
    pub fn set_keeping_ttl(&mut self, value: Value, keep_ttl: bool) {
        let tracking = self.srv.access_tracking();
        // A key not looked up yet owes the old value its access.
        let owes_touch = matches!(self.slot, Slot::Unresolved { touch: true });
        let obj = Object::new(value, tracking.initial());
        self.outcome.note(Audit::STORED);
        let old_lru = self.put(obj, keep_ttl);
        if old_lru.is_none() {
            self.raise_new();
        }
        if let (Some(mut lru), AccessTracking::Lfu { .. }) = (old_lru, tracking) {
            if owes_touch {
                lru = tracking.touched(lru, &mut self.srv.rng);
            }
            if let Some(obj) = self.object() {
                obj.lru = lru;
            }
        }
    }

    /// Adds `obj` with exactly the expiry `expire` (RESTORE, RENAME, MOVE
    /// and COPY destinations): a value already there is deleted first, so
    /// the key is always new, as Redis's `dbAdd` after `dbDelete` makes it.
    pub fn put_object(&mut self, obj: Object, expire: Option<i64>) {
        self.take();
        self.outcome.note(Audit::STORED);
        self.put(obj, false);
        self.raise_new();
        if let Some(when) = expire {
            self.set_expire(when);
        }
    }

    /// Stores `obj`, returning the access data of the value it replaced.
    fn put(&mut self, obj: Object, keep_ttl: bool) -> Option<u32> {
        let db = self.srv.dbs.get_mut(self.outcome.db)?;
        let (i, old) = db.set_at(self.key, obj, keep_ttl);
        self.slot = Slot::At(i);
        old.map(|o| o.lru)
    }

    /// Deletes the key; true if it existed.
    pub fn delete(&mut self) -> bool {
        self.take().is_some()
    }

    /// Removes the key, handing back its object and expiry.
    pub fn take(&mut self) -> Option<(Object, Option<i64>)> {
        self.position()?;
        self.slot = Slot::Absent;
        self.outcome.note(Audit::STORED);
        self.srv.dbs.get_mut(self.outcome.db)?.take(self.key)
    }

    /// The key's expiry time (unix milliseconds), if it has one.
    pub fn expire_at(&self) -> Option<i64> {
        self.srv.dbs.get(self.outcome.db)?.expire_of(self.key)
    }

    /// Gives the (existing) key an absolute expiry time.
    pub fn set_expire(&mut self, when_ms: i64) {
        self.outcome.note(Audit::STORED);
        if let Some(db) = self.srv.dbs.get_mut(self.outcome.db) {
            db.set_expire(self.key, when_ms);
        }
    }

    /// Removes the key's expiry; true if it had one.
    pub fn persist(&mut self) -> bool {
        let persisted = self
            .srv
            .dbs
            .get_mut(self.outcome.db)
            .is_some_and(|db| db.persist(self.key));
        if persisted {
            self.outcome.note(Audit::STORED);
        }
        persisted
    }

    /// The running command propagates as `parts` instead of itself.
    pub fn propagate_as<T: AsRef<[u8]>>(&mut self, parts: &[T]) {
        self.srv.propagate_as(parts);
    }

    /// Queues `parts` to be propagated in this key's database, before the
    /// running command.
    pub fn also_propagate<T: AsRef<[u8]>>(&mut self, parts: &[T]) {
        self.srv.also_propagate(self.outcome.db, parts);
    }

    /// The running command is not propagated (what it did was queued with
    /// [`KeyWrite::also_propagate`]).
    pub fn suppress_propagation(&mut self) {
        self.srv.suppress_propagation();
    }

    /// The command replied before raising what it raises next (see
    /// [`Server::pushes_after_reply`]). A value created for this write was
    /// added before the reply, as Redis adds it: its `new` event is raised
    /// now.
    #[inline]
    pub fn pushes_after_reply(&mut self, c: &mut Client) {
        if self.outcome.pending_new {
            self.raise_new();
        }
        self.srv.pushes_after_reply(c);
    }

    /// The configuration (encoding limits and the like).
    pub fn config(&self) -> &Config {
        &self.srv.config
    }

    /// The command changed the key's value: WATCH, blocked clients and
    /// tracking hear of it, `event` is raised and `n` changes are counted
    /// (a command that counts none is not propagated, as in Redis).
    pub fn changed(&mut self, n: u64, event: KeyEvent) {
        self.outcome.modified = true;
        self.meta_changed(n, event);
    }

    /// The command changed state of the key that readers of its value do
    /// not see (a stream's consumer groups): `event` is raised and `n`
    /// changes counted, but WATCH and blocked clients are not told.
    pub fn meta_changed(&mut self, n: u64, event: KeyEvent) {
        self.outcome.dirty += n;
        self.raise(event);
    }

    /// The key's value changed without an event or a counted change
    /// (DEBUG POPULATE): WATCH and blocked clients still hear of it.
    pub fn touched(&mut self) {
        self.outcome.modified = true;
        self.outcome.note(Audit::SILENT);
    }

    /// Counts `n` changes that raise no event and that readers of the
    /// value do not see (claims of pending stream entries).
    pub fn counted(&mut self, n: u64) {
        self.outcome.dirty += n;
        self.outcome.note(Audit::SILENT);
    }

    /// Declares that what the write stored raises no event of its own, as
    /// in Redis (BITFIELD creating a key whose operations all fail).
    pub fn raises_no_event(&mut self) {
        self.outcome.note(Audit::SILENT);
    }

    /// Raises `event` about this key, after the `new` event of a value
    /// created for this write, which Redis raises when it adds the key,
    /// before the command's own events.
    fn raise(&mut self, event: KeyEvent) {
        if self.outcome.pending_new {
            self.raise_new();
        }
        self.outcome.note(Audit::EVENTED);
        self.srv
            .notify_keyspace_event(self.outcome.db, self.key, event);
    }

    /// Raises `new`, which is not the event of the command's change.
    fn raise_new(&mut self) {
        self.outcome.pending_new = false;
        self.srv
            .notify_keyspace_event(self.outcome.db, self.key, NEW);
    }

    /// Sets the write aside, to be finished later with
    /// [`Server::finish_write`] (nothing is done when it is dropped).
    pub fn defer(mut self) -> DeferredWrite {
        let outcome = self.outcome;
        self.outcome = Outcome {
            db: outcome.db,
            ..Outcome::default()
        };
        DeferredWrite {
            key: self.key.to_vec(),
            outcome,
            events: Vec::new(),
        }
    }

    /// The bookkeeping of the write (see the module documentation).
    #[inline]
    fn finish(&mut self) {
        let Outcome {
            db,
            dirty,
            modified,
            created,
            ..
        } = self.outcome;
        debug_assert!(
            self.outcome.accounted_for(),
            "a write to {:?} stored or deleted the key without raising its event",
            String::from_utf8_lossy(self.key)
        );
        if !modified && !created && dirty == 0 {
            return;
        }
        if self.left_empty() {
            self.take();
            if modified {
                self.srv.notify_keyspace_event(db, self.key, DEL);
            }
        } else if self.outcome.pending_new {
            // Created and kept without an event of its own.
            self.raise_new();
        }
        if modified {
            self.srv.key_modified(db, self.key);
        }
        self.srv.record_change(dirty);
    }

    /// Whether the write left an empty aggregate behind (only a value
    /// handed out for changing can be).
    fn left_empty(&mut self) -> bool {
        self.outcome.may_empty
            && self
                .object()
                .is_some_and(|obj| obj.value.is_empty_aggregate())
    }
}

impl Drop for KeyWrite<'_, '_> {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{
        decode_commands, run_line, server_keeping_stream, whole_stream,
    };
    use crate::types::SetValue;

    #[test]
    fn a_value_created_and_left_empty_goes_away_uncounted() {
        let (mut srv, _c) = server_keeping_stream();
        let dirty = srv.dirty;
        let mut w = srv.write_key(0, b"k");
        assert!(w.or_create(SetValue::empty_intset).is_ok());
        drop(w);
        assert!(srv.database(0).get(b"k").is_none());
        assert_eq!(srv.dirty, dirty);
    }

    #[test]
    fn emptying_an_aggregate_deletes_the_key_and_propagates() {
        let (mut srv, mut c) = server_keeping_stream();
        run_line(&mut srv, &mut c, "SADD s a");
        run_line(&mut srv, &mut c, "SREM s nothing");
        run_line(&mut srv, &mut c, "SREM s a");
        assert!(srv.database(0).get(b"s").is_none());
        let stream = decode_commands(&whole_stream(&srv));
        assert_eq!(stream, ["SELECT 0", "SADD s a", "SREM s a"]);
    }

    #[test]
    fn a_deferred_write_is_finished_later() {
        let (mut srv, _c) = server_keeping_stream();
        let mut w = srv.write_key(0, b"k");
        w.set(Value::Str(crate::types::StrValue::from_bytes(b"v")));
        w.changed(2, KeyEvent::string("set"));
        let deferred = w.defer();
        assert_eq!(srv.dirty, 0);
        srv.finish_write(deferred);
        assert_eq!(srv.dirty, 2);
        assert!(srv.database(0).get(b"k").is_some());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "without raising its event")]
    fn a_write_that_forgets_its_event_fails_in_debug_builds() {
        let (mut srv, _c) = server_keeping_stream();
        let mut w = srv.write_key(0, b"k");
        w.set(Value::Str(crate::types::StrValue::from_bytes(b"v")));
    }

    #[test]
    fn a_write_that_declares_no_event_passes() {
        let (mut srv, _c) = server_keeping_stream();
        let mut w = srv.write_key(0, b"k");
        w.set(Value::Str(crate::types::StrValue::from_bytes(b"v")));
        w.touched();
        drop(w);
        assert!(srv.database(0).get(b"k").is_some());
    }

    #[test]
    fn the_wrong_type_is_refused_once() {
        let (mut srv, mut c) = server_keeping_stream();
        run_line(&mut srv, &mut c, "SET k v");
        let mut w = srv.write_key(0, b"k");
        assert_eq!(
            w.existing::<SetValue>().err(),
            Some(CmdError::Static(WRONGTYPE))
        );
        assert_eq!(w.holds::<SetValue>(), Some(false));
    }
}
