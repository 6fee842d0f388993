//! Publish/subscribe: which clients listen to which channels, patterns and
//! shard channels, and the delivery of a message to them.
//!
//! A message is encoded once per publish (RESP2's array and RESP3's push
//! frame differ only in their first byte) and appended to each subscriber's
//! output, which is written before the loop sleeps like any reply; a slow
//! subscriber is cut off by `client-output-buffer-limit pubsub`, so the
//! publisher never waits and memory stays bounded.
//!
//! A client being served is out of the client table: what it is sent
//! meanwhile (a message it published to itself, notifications of its own
//! writes, invalidations it receives for a tracking client) is held here
//! and put where Redis would have written it when the command returns:
//! ahead of the command's reply, or after what the command had replied
//! when it raised the notification, for a command that marks that point
//! with [`Server::pushes_after_reply`] (Redis writes a push as it is
//! raised, and many commands reply first).

use super::client::{Client, ClientKind};
use super::tracking::invalidation_for;
use super::Server;
use crate::db::glob::glob_match;
use indexmap::{IndexMap, IndexSet};

/// Global channels (with patterns) or shard channels (SSUBSCRIBE,
/// SPUBLISH: no patterns, a namespace of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Global,
    Shard,
}

impl ChannelKind {
    fn message_word(self) -> &'static [u8] {
        match self {
            ChannelKind::Global => b"message",
            ChannelKind::Shard => b"smessage",
        }
    }

    fn subscribe_word(self) -> &'static [u8] {
        match self {
            ChannelKind::Global => b"subscribe",
            ChannelKind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            ChannelKind::Global => b"unsubscribe",
            ChannelKind::Shard => b"sunsubscribe",
        }
    }
}

/// What a client subscribes to: a channel of a kind, or a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Channel(ChannelKind),
    Pattern,
}

impl Target {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Target::Channel(kind) => kind.subscribe_word(),
            Target::Pattern => b"psubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Target::Channel(kind) => kind.unsubscribe_word(),
            Target::Pattern => b"punsubscribe",
        }
    }

    const ALL: [Target; 3] = [
        Target::Channel(ChannelKind::Global),
        Target::Pattern,
        Target::Channel(ChannelKind::Shard),
    ];
}

/// Subscribers (client slots, in subscription order) of each name.
pub type Subscribers = IndexMap<Vec<u8>, Vec<usize>>;

/// The server's side: every channel and pattern with its subscribers.
#[derive(Debug, Default)]
pub struct PubSub {
    pub channels: Subscribers,
    pub patterns: Subscribers,
    pub shard_channels: Subscribers,
    /// Pushes for clients out of the table while they are served, by
    /// slot, in the order they were sent.
    held: Vec<(usize, Held)>,
}

/// A push held for a client out of the table.
#[derive(Debug)]
enum Held {
    /// A message in its RESP2 form.
    Message(Vec<u8>),
    /// A client-side caching invalidation carrying `value`, shaped for its
    /// receiver when it is back (see `tracking::invalidation_for`).
    Invalidation { value: Vec<u8>, redirected: bool },
}

impl PubSub {
    fn table_mut(&mut self, target: Target) -> &mut Subscribers {
        match target {
            Target::Channel(ChannelKind::Global) => &mut self.channels,
            Target::Channel(ChannelKind::Shard) => &mut self.shard_channels,
            Target::Pattern => &mut self.patterns,
        }
    }

    /// Every channel of `kind` with at least one subscriber.
    pub fn channels_of(&self, kind: ChannelKind) -> &Subscribers {
        match kind {
            ChannelKind::Global => &self.channels,
            ChannelKind::Shard => &self.shard_channels,
        }
    }

    /// How many clients subscribe to `channel` of `kind` (patterns aside).
    pub fn subscribers(&self, kind: ChannelKind, channel: &[u8]) -> usize {
        self.channels_of(kind).get(channel).map_or(0, Vec::len)
    }

    /// Whether anyone listens to anything (publishing can be skipped).
    pub fn is_idle(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty()
    }

    /// Takes the pushes held for `receiver`, concatenated in its protocol.
    fn take_held(&mut self, receiver: &Client) -> Option<Vec<u8>> {
        let slot = receiver.slot;
        if !self.held.iter().any(|(s, _)| *s == slot) {
            return None;
        }
        let mut bytes = Vec::new();
        self.held.retain_mut(|(s, held)| {
            if *s != slot {
                return true;
            }
            match held {
                Held::Message(frame) => {
                    bytes.extend_from_slice(Frame::in_protocol(frame, receiver.reply.resp3));
                }
                Held::Invalidation { value, redirected } => {
                    let push = invalidation_for(receiver, value, *redirected);
                    bytes.extend_from_slice(&push.unwrap_or_default());
                }
            }
            false
        });
        Some(bytes)
    }
}

/// A client's side: what it is subscribed to.
#[derive(Debug, Default)]
pub struct Subscriptions {
    pub channels: IndexSet<Vec<u8>>,
    pub patterns: IndexSet<Vec<u8>>,
    pub shard_channels: IndexSet<Vec<u8>>,
}

impl Subscriptions {
    fn set_mut(&mut self, target: Target) -> &mut IndexSet<Vec<u8>> {
        match target {
            Target::Channel(ChannelKind::Global) => &mut self.channels,
            Target::Channel(ChannelKind::Shard) => &mut self.shard_channels,
            Target::Pattern => &mut self.patterns,
        }
    }

    fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard_channels.len()
    }
}

impl Client {
    /// How many channels (`sub`), patterns (`psub`) and shard channels
    /// (`ssub`) the client listens to.
    pub fn subscription_counts(&self) -> (usize, usize, usize) {
        self.subscriptions.as_ref().map_or((0, 0, 0), |s| {
            (s.channels.len(), s.patterns.len(), s.shard_channels.len())
        })
    }

    /// The count a (un)subscription reply carries: channels and patterns
    /// together, or shard channels.
    fn subscription_count(&self, target: Target) -> usize {
        let (channels, patterns, shard) = self.subscription_counts();
        match target {
            Target::Channel(ChannelKind::Shard) => shard,
            _ => channels + patterns,
        }
    }

    /// After a change of subscriptions: the client is in pub/sub mode
    /// while it listens to anything.
    fn settle_pubsub_mode(&mut self) {
        let listening = self.subscriptions.as_ref().is_some_and(|s| s.total() > 0);
        match self.kind {
            ClientKind::Normal if listening => self.kind = ClientKind::PubSub,
            ClientKind::PubSub if !listening => self.kind = ClientKind::Normal,
            _ => {}
        }
        if !listening {
            self.subscriptions = None;
        }
    }

    /// The reply to a (un)subscription, `[word, name or nil, count]`: a
    /// push in RESP3, never silenced by CLIENT REPLY.
    fn reply_subscription(&mut self, word: &[u8], name: Option<&[u8]>, count: usize) {
        let start = self.reply.buf.len();
        self.reply.push(3);
        self.reply.bulk(word);
        match name {
            Some(name) => self.reply.bulk(name),
            None => self.reply.null(),
        }
        self.reply.int(count as i64);
        self.reply.mark_pushed(start);
    }
}

impl Server {
    /// (P|S)SUBSCRIBE of each name, replying for each.
    pub fn subscribe(&mut self, c: &mut Client, target: Target, names: &[&[u8]]) {
        for &name in names {
            let subscriptions = c.subscriptions.get_or_insert_with(Box::default);
            if subscriptions.set_mut(target).insert(name.to_vec()) {
                let table = self.pubsub.table_mut(target);
                table.entry(name.to_vec()).or_default().push(c.slot);
            }
            let count = c.subscription_count(target);
            c.reply_subscription(target.subscribe_word(), Some(name), count);
        }
        c.settle_pubsub_mode();
    }

    /// (P|S)UNSUBSCRIBE of the given names, or of every one when none is
    /// given, replying for each; a client subscribed to none of that kind
    /// still gets one reply, with a nil name.
    pub fn unsubscribe(&mut self, c: &mut Client, target: Target, names: &[&[u8]]) {
        let all: Vec<Vec<u8>>;
        let names: Vec<&[u8]> = if names.is_empty() {
            all = c
                .subscriptions
                .as_mut()
                .map(|s| s.set_mut(target).iter().cloned().collect())
                .unwrap_or_default();
            all.iter().map(Vec::as_slice).collect()
        } else {
            names.to_vec()
        };
        for &name in &names {
            self.forget_subscription(c, target, name);
            let count = c.subscription_count(target);
            c.reply_subscription(target.unsubscribe_word(), Some(name), count);
        }
        if names.is_empty() {
            let count = c.subscription_count(target);
            c.reply_subscription(target.unsubscribe_word(), None, count);
        }
        c.settle_pubsub_mode();
    }

    /// Drops every subscription of `c` without replies (a disconnect, RESET).
    pub fn drop_subscriptions(&mut self, c: &mut Client) {
        let Some(mut subscriptions) = c.subscriptions.take() else {
            return;
        };
        for target in Target::ALL {
            for name in std::mem::take(subscriptions.set_mut(target)) {
                forget_subscriber(self.pubsub.table_mut(target), &name, c.slot);
            }
        }
        c.settle_pubsub_mode();
    }

    fn forget_subscription(&mut self, c: &mut Client, target: Target, name: &[u8]) {
        let removed = c
            .subscriptions
            .as_mut()
            .is_some_and(|s| s.set_mut(target).shift_remove(name));
        if removed {
            forget_subscriber(self.pubsub.table_mut(target), name, c.slot);
        }
    }

    /// Delivers `message` on `channel` to its subscribers (and, for global
    /// channels, to the patterns it matches); returns how many deliveries
    /// were made.
    pub fn publish(&mut self, kind: ChannelKind, channel: &[u8], message: &[u8]) -> usize {
        let mut receivers = 0;
        if let Some(slots) = self.pubsub.channels_of(kind).get(channel) {
            let slots = slots.clone();
            let mut frame = Frame::new(&[kind.message_word(), channel, message]);
            receivers += self.deliver_to_all(&slots, &mut frame);
        }
        if kind == ChannelKind::Global && !self.pubsub.patterns.is_empty() {
            let matching: Vec<(Vec<u8>, Vec<usize>)> = self
                .pubsub
                .patterns
                .iter()
                .filter(|(pattern, _)| glob_match(pattern, channel, false))
                .map(|(pattern, slots)| (pattern.clone(), slots.clone()))
                .collect();
            for (pattern, slots) in matching {
                let mut frame = Frame::new(&[b"pmessage", &pattern, channel, message]);
                receivers += self.deliver_to_all(&slots, &mut frame);
            }
        }
        receivers
    }

    fn deliver_to_all(&mut self, slots: &[usize], frame: &mut Frame) -> usize {
        for &slot in slots {
            self.deliver(slot, frame);
        }
        slots.len()
    }

    /// Appends a push to the output of the client in `slot`, or holds it
    /// while the client is out of the table being served.
    pub fn deliver(&mut self, slot: usize, frame: &mut Frame) {
        match self.clients.get_mut(slot) {
            Some(c) if c.close_asap => {}
            Some(c) => {
                c.reply.raw(frame.bytes(c.reply.resp3));
                self.mark_pending_write(slot);
            }
            None => self
                .pubsub
                .held
                .push((slot, Held::Message(frame.resp2.clone()))),
        }
    }

    /// Holds an invalidation for the client in `slot`, out of the table
    /// being served, until [`Server::deliver_held`].
    pub fn hold_invalidation(&mut self, slot: usize, value: &[u8], redirected: bool) {
        let held = Held::Invalidation {
            value: value.to_vec(),
            redirected,
        };
        self.pubsub.held.push((slot, held));
    }

    /// The running command has replied what `c`'s reply holds so far
    /// before raising what it raises next: the notifications it raised
    /// until now go where the last such point (or the command's reply)
    /// began, the next ones after this reply. Called where Redis adds a
    /// reply before notifying (RPUSH, HSET, ZADD, EXPIRE...).
    #[inline]
    pub fn pushes_after_reply(&mut self, c: &mut Client) {
        self.deliver_held(c, c.reply.push_anchor);
        c.reply.push_anchor = c.reply.buf.len();
    }

    /// Puts what `c` was sent while its command ran at `at` in its reply
    /// (ahead of what was written there since).
    #[inline]
    pub fn deliver_held(&mut self, c: &mut Client, at: usize) {
        if !self.pubsub.held.is_empty() {
            self.splice_held(c, at);
        }
    }

    fn splice_held(&mut self, c: &mut Client, at: usize) {
        if let Some(bytes) = self.pubsub.take_held(c) {
            c.reply.insert_pushed(at, &bytes);
        }
    }
}

/// Removes `slot` from the subscribers of `name`, dropping the entry when
/// none is left.
fn forget_subscriber(table: &mut Subscribers, name: &[u8], slot: usize) {
    if let Some(slots) = table.get_mut(name) {
        slots.retain(|&s| s != slot);
        if slots.is_empty() {
            table.shift_remove(name);
        }
    }
}

/// A push encoded once in the RESP2 form (an array) and, when a RESP3
/// client needs it, in the RESP3 one (the same with `>` for `*`).
#[derive(Debug)]
pub struct Frame {
    resp2: Vec<u8>,
    resp3: Option<Vec<u8>>,
}

impl Frame {
    /// A push of bulk strings.
    pub fn new(parts: &[&[u8]]) -> Frame {
        let mut resp2 = Vec::new();
        crate::resp::command::push_command(&mut resp2, parts.iter().copied());
        Frame::from_resp2(resp2)
    }

    /// A push already encoded as a RESP2 array.
    pub fn from_resp2(resp2: Vec<u8>) -> Frame {
        Frame { resp2, resp3: None }
    }

    fn bytes(&mut self, resp3: bool) -> &[u8] {
        if !resp3 {
            return &self.resp2;
        }
        let resp2 = &mut self.resp2;
        self.resp3.get_or_insert_with(|| {
            let mut bytes = resp2.clone();
            Frame::in_protocol(&mut bytes, true);
            bytes
        })
    }

    /// Turns a RESP2 frame into the given protocol's form, in place.
    fn in_protocol(frame: &mut [u8], resp3: bool) -> &[u8] {
        if resp3 {
            if let Some(first) = frame.first_mut() {
                *first = b'>';
            }
        }
        frame
    }
}
