//! Consumer groups: the last delivered ID, the read counter, the pending
//! entries list (PEL: delivered but not acknowledged entries, by ID) and
//! the consumers, each with its own PEL.
//!
//! A pending entry names its consumer by slot number; consumers live in a
//! slot vector and are found by name through an ordered map, so listing
//! them follows Redis's (byte-wise) name order.

use super::id::StreamId;
use std::collections::{BTreeMap, BTreeSet};

/// `entries_read` when the counter is unknown.
pub const ENTRIES_READ_INVALID: i64 = -1;

/// Index of a consumer in its group.
pub type ConsumerId = u32;

/// The owner of a pending entry XCLAIM FORCE just created.
pub const NO_CONSUMER: ConsumerId = ConsumerId::MAX;

/// A delivered, not yet acknowledged entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: ConsumerId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub name: Box<[u8]>,
    /// Unix ms of the consumer's last activity.
    pub seen_time: i64,
    /// IDs of the entries pending for this consumer.
    pub pel: BTreeSet<StreamId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroup {
    pub last_id: StreamId,
    /// Logical number of entries read, or [`ENTRIES_READ_INVALID`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Pending>,
    by_name: BTreeMap<Box<[u8]>, ConsumerId>,
    slots: Vec<Option<Consumer>>,
    free_slots: Vec<ConsumerId>,
}

impl ConsumerGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> Self {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            by_name: BTreeMap::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
        }
    }

    pub fn consumer_count(&self) -> usize {
        self.by_name.len()
    }

    pub fn find_consumer(&self, name: &[u8]) -> Option<ConsumerId> {
        self.by_name.get(name).copied()
    }

    pub fn consumer(&self, id: ConsumerId) -> Option<&Consumer> {
        self.slots.get(id as usize)?.as_ref()
    }

    pub fn consumer_mut(&mut self, id: ConsumerId) -> Option<&mut Consumer> {
        self.slots.get_mut(id as usize)?.as_mut()
    }

    /// The name of a consumer (empty if unknown).
    pub fn consumer_name(&self, id: ConsumerId) -> &[u8] {
        self.consumer(id).map_or(&[], |c| &c.name)
    }

    /// Consumers in name order.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> + '_ {
        self.by_name.values().filter_map(|&id| self.consumer(id))
    }

    /// Adds a consumer seen at `now`; `None` if the name exists.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> Option<ConsumerId> {
        if self.by_name.contains_key(name) {
            return None;
        }
        let consumer = Consumer {
            name: name.into(),
            seen_time: now,
            pel: BTreeSet::new(),
        };
        let id = match self.free_slots.pop() {
            Some(id) => {
                if let Some(slot) = self.slots.get_mut(id as usize) {
                    *slot = Some(consumer);
                }
                id
            }
            None => {
                self.slots.push(Some(consumer));
                (self.slots.len() - 1) as ConsumerId
            }
        };
        self.by_name.insert(name.into(), id);
        Some(id)
    }

    /// Finds a consumer, refreshing its seen time, or creates it. The flag
    /// says whether it was created.
    pub fn touch_or_create_consumer(&mut self, name: &[u8], now: i64) -> (ConsumerId, bool) {
        if let Some(id) = self.find_consumer(name) {
            if let Some(c) = self.consumer_mut(id) {
                c.seen_time = now;
            }
            return (id, false);
        }
        match self.create_consumer(name, now) {
            Some(id) => (id, true),
            None => (0, false),
        }
    }

    /// Deletes a consumer and its pending entries; returns how many it had.
    pub fn delete_consumer(&mut self, id: ConsumerId) -> usize {
        let Some(consumer) = self.slots.get_mut(id as usize).and_then(Option::take) else {
            return 0;
        };
        for entry in &consumer.pel {
            self.pel.remove(entry);
        }
        self.by_name.remove(&consumer.name);
        self.free_slots.push(id);
        consumer.pel.len()
    }

    /// Acknowledges an entry; true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumer_mut(p.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Records a delivery of `id` to `consumer` by a read: a new pending
    /// entry, or an existing one moved to this consumer with its delivery
    /// count reset to 1 (the group's last ID was moved back).
    pub fn deliver(&mut self, id: StreamId, consumer: ConsumerId, now: i64) -> Pending {
        let fresh = Pending {
            delivery_time: now,
            delivery_count: 1,
            consumer,
        };
        if let Some(old) = self.pel.insert(id, fresh) {
            if let Some(c) = self.consumer_mut(old.consumer) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumer_mut(consumer) {
            c.pel.insert(id);
        }
        fresh
    }

    /// Moves a pending entry to `consumer` (XCLAIM, XAUTOCLAIM) and updates
    /// its delivery data; returns the updated entry.
    pub fn claim(
        &mut self,
        id: StreamId,
        consumer: ConsumerId,
        update: impl FnOnce(&mut Pending),
    ) -> Option<Pending> {
        let p = self.pel.get_mut(&id)?;
        let old = p.consumer;
        p.consumer = consumer;
        update(p);
        let updated = *p;
        if old != consumer {
            if let Some(c) = self.consumer_mut(old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumer_mut(consumer) {
            c.pel.insert(id);
        }
        Some(updated)
    }

    /// Adds a pending entry owned by nobody yet (XCLAIM FORCE, which then
    /// claims it) if `id` is not pending; true if it was added.
    pub fn force_pending(&mut self, id: StreamId, now: i64) -> bool {
        if self.pel.contains_key(&id) {
            return false;
        }
        let orphan = Pending {
            delivery_time: now,
            delivery_count: 1,
            consumer: NO_CONSUMER,
        };
        self.pel.insert(id, orphan);
        true
    }

    /// Approximate heap bytes (MEMORY USAGE style estimates).
    pub fn heap_size(&self) -> usize {
        let per_pending = std::mem::size_of::<(StreamId, Pending)>() + 16;
        let consumers: usize = self
            .consumers()
            .map(|c| 2 * c.name.len() + std::mem::size_of::<Consumer>() + c.pel.len() * 24)
            .sum();
        self.pel.len() * per_pending + consumers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_entries_follow_their_consumer() {
        let mut g = ConsumerGroup::new(StreamId::MIN, 0);
        let alice = g.create_consumer(b"alice", 1).unwrap();
        let bob = g.create_consumer(b"bob", 1).unwrap();
        assert!(g.create_consumer(b"alice", 2).is_none());
        let id = StreamId::new(1, 0);
        g.deliver(id, alice, 10);
        g.deliver(StreamId::new(2, 0), alice, 10);
        assert_eq!(g.consumer(alice).unwrap().pel.len(), 2);
        let p = g.claim(id, bob, |p| p.delivery_count += 1).unwrap();
        assert_eq!((p.consumer, p.delivery_count), (bob, 2));
        assert_eq!(g.consumer(alice).unwrap().pel.len(), 1);
        assert!(g.ack(id));
        assert!(!g.ack(id));
        assert_eq!(g.delete_consumer(alice), 1);
        assert!(g.pel.is_empty());
        let names: Vec<&[u8]> = g.consumers().map(|c| &c.name[..]).collect();
        assert_eq!(names, vec![&b"bob"[..]]);
        // The freed slot is reused.
        assert_eq!(g.create_consumer(b"carol", 3), Some(alice));
    }
}
