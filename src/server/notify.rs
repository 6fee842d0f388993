//! Keyspace notifications (`notify-keyspace-events`): the events writes,
//! expiry and lookups raise, and their publication as Redis 7.0 does it.
//!
//! An event has a class (the letter `notify-keyspace-events` selects it
//! by) and a name. When its class is enabled it is published, as a plain
//! pub/sub message that is never propagated, on
//! `__keyspace@<db>__:<key>` with the event name as the message (`K`), and
//! on `__keyevent@<db>__:<event>` with the key as the message (`E`).
//!
//! Every event is raised through [`Server::notify_keyspace_event`] (in
//! `write.rs`, next to the write path that raises most of them), whose
//! inline class test is all a server with notifications off pays; the
//! publication itself is here, out of line.

use super::pubsub::ChannelKind;
use super::Server;
use crate::config::notify;

/// The class of a keyspace event: what `notify-keyspace-events` selects
/// it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClass {
    /// `g`: commands that are not about one type (DEL, EXPIRE, RENAME...).
    Generic,
    /// `$`
    String,
    /// `l`
    List,
    /// `s`
    Set,
    /// `h`
    Hash,
    /// `z`
    SortedSet,
    /// `t`
    Stream,
    /// `x`: a key deleted because its time came.
    Expired,
    /// `e`: a key evicted under `maxmemory`.
    Evicted,
    /// `n`: a key added to a database (not part of `A`).
    New,
    /// `m`: a read that found no key (not part of `A`).
    KeyMiss,
}

impl EventClass {
    /// The `notify-keyspace-events` bit that enables the class.
    #[inline]
    pub const fn flag(self) -> u32 {
        match self {
            EventClass::Generic => notify::GENERIC,
            EventClass::String => notify::STRING,
            EventClass::List => notify::LIST,
            EventClass::Set => notify::SET,
            EventClass::Hash => notify::HASH,
            EventClass::SortedSet => notify::ZSET,
            EventClass::Stream => notify::STREAM,
            EventClass::Expired => notify::EXPIRED,
            EventClass::Evicted => notify::EVICTED,
            EventClass::New => notify::NEW,
            EventClass::KeyMiss => notify::KEY_MISS,
        }
    }
}

/// A keyspace event, as Redis's `notifyKeyspaceEvent` call for it names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvent {
    pub class: EventClass,
    pub name: &'static str,
}

impl KeyEvent {
    pub const fn new(class: EventClass, name: &'static str) -> KeyEvent {
        KeyEvent { class, name }
    }
}

macro_rules! event_constructors {
    ($($fn_name:ident => $class:ident),*) => {
        impl KeyEvent {
            $(
                pub const fn $fn_name(name: &'static str) -> KeyEvent {
                    KeyEvent::new(EventClass::$class, name)
                }
            )*
        }
    };
}

event_constructors! {
    generic => Generic,
    string => String,
    list => List,
    set => Set,
    hash => Hash,
    zset => SortedSet,
    stream => Stream
}

/// A deleted key (also raised when a write empties an aggregate and the
/// key goes).
pub const DEL: KeyEvent = KeyEvent::generic("del");
/// A key whose time came, deleted by lazy or active expiry.
pub const EXPIRED: KeyEvent = KeyEvent::new(EventClass::Expired, "expired");
/// A key added to a database (Redis raises it from `dbAdd`: a key
/// created, or a destination replaced by RENAME, MOVE, COPY, RESTORE).
pub const NEW: KeyEvent = KeyEvent::new(EventClass::New, "new");
/// A read that found no key.
pub const KEYMISS: KeyEvent = KeyEvent::new(EventClass::KeyMiss, "keymiss");
/// A key evicted under `maxmemory`: eviction raises it with
/// [`Server::notify_keyspace_event`] after deleting the key, before
/// propagating the deletion, as Redis does.
pub const EVICTED: KeyEvent = KeyEvent::new(EventClass::Evicted, "evicted");

impl Server {
    /// Publishes `event` about `key` in database `db` on the channels
    /// `notify-keyspace-events` selects (its class is enabled).
    #[cold]
    #[inline(never)]
    pub(super) fn publish_keyspace_event(&mut self, db: usize, key: &[u8], event: KeyEvent) {
        if self.pubsub.is_idle() {
            return;
        }
        let flags = self.config.notify_keyspace_events;
        let mut channel = Vec::with_capacity(24 + key.len().max(event.name.len()));
        if flags & notify::KEYSPACE != 0 {
            channel_prefix(&mut channel, b"__keyspace@", db);
            channel.extend_from_slice(key);
            self.publish(ChannelKind::Global, &channel, event.name.as_bytes());
        }
        if flags & notify::KEYEVENT != 0 {
            channel_prefix(&mut channel, b"__keyevent@", db);
            channel.extend_from_slice(event.name.as_bytes());
            self.publish(ChannelKind::Global, &channel, key);
        }
    }
}

/// Starts `channel` afresh as `<kind><db>__:`.
fn channel_prefix(channel: &mut Vec<u8>, kind: &[u8], db: usize) {
    channel.clear();
    channel.extend_from_slice(kind);
    channel.extend_from_slice(db.to_string().as_bytes());
    channel.extend_from_slice(b"__:");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_and_its_exceptions() {
        assert_eq!(EventClass::New.flag() & notify::ALL, 0);
        assert_eq!(EventClass::KeyMiss.flag() & notify::ALL, 0);
        for class in [
            EventClass::Generic,
            EventClass::String,
            EventClass::List,
            EventClass::Set,
            EventClass::Hash,
            EventClass::SortedSet,
            EventClass::Stream,
            EventClass::Expired,
            EventClass::Evicted,
        ] {
            assert_ne!(class.flag() & notify::ALL, 0, "{class:?}");
        }
    }

    #[test]
    fn channels_are_redis_names() {
        let mut channel = b"left over".to_vec();
        channel_prefix(&mut channel, b"__keyspace@", 12);
        assert_eq!(channel, b"__keyspace@12__:");
    }
}
