//! The stream type: an append-only log of entries (ID plus field/value
//! pairs) stored compactly in listpack nodes, and its consumer groups.
//!
//! - `id`: entry IDs and their textual forms.
//! - `node`: how one node, a listpack (`types::listpack`), lays out its
//!   entries (shared field names).
//! - `entries`: the ordered nodes, ranges, deletion and trimming.
//! - `group`: consumer groups, consumers and pending entries.
//!
//! `entries` and `groups` are separate fields so a command can read
//! entries while updating a group.

pub mod entries;
pub mod group;
pub mod id;
pub mod node;

pub use crate::types::listpack::Elem;
pub use entries::{AddError, Entries, Entry, Meta, NewId, NodeLimits, Trim, TrimBy};
pub use group::{ConsumerGroup, ConsumerId, Pending, ENTRIES_READ_INVALID, NO_CONSUMER};
pub use id::StreamId;

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    pub entries: Entries,
    /// Groups by name, in byte-wise name order.
    pub groups: BTreeMap<Box<[u8]>, ConsumerGroup>,
}

impl Stream {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn group(&self, name: &[u8]) -> Option<&ConsumerGroup> {
        self.groups.get(name)
    }

    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut ConsumerGroup> {
        self.groups.get_mut(name)
    }

    /// Creates a group; false if the name is taken.
    pub fn create_group(&mut self, name: &[u8], last_id: StreamId, entries_read: i64) -> bool {
        if self.groups.contains_key(name) {
            return false;
        }
        self.groups
            .insert(name.into(), ConsumerGroup::new(last_id, entries_read));
        true
    }

    /// How many entries the group has not read yet, when it can be known.
    pub fn lag(&self, group: &ConsumerGroup) -> Option<i64> {
        let e = &self.entries;
        let added = e.entries_added as i64;
        if e.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != ENTRIES_READ_INVALID
            && !e.range_has_tombstones(group.last_id, StreamId::MAX)
        {
            return Some(added - group.entries_read);
        }
        e.counter_of(group.last_id).map(|read| added - read)
    }

    /// Moves a group's last delivered ID forward to `id` (an entry just
    /// read), keeping its read counter as Redis does.
    pub fn advance_group(entries: &Entries, group: &mut ConsumerGroup, id: StreamId) {
        if id <= group.last_id {
            return;
        }
        if group.entries_read != ENTRIES_READ_INVALID
            && !entries.range_has_tombstones(id, StreamId::MAX)
        {
            group.entries_read += 1;
        } else if entries.entries_added != 0 {
            group.entries_read = entries.counter_of(id).unwrap_or(ENTRIES_READ_INVALID);
        }
        group.last_id = id;
    }

    /// Approximate heap bytes (MEMORY USAGE style estimates).
    pub fn heap_size(&self) -> usize {
        let groups: usize = self
            .groups
            .iter()
            .map(|(name, g)| name.len() + 64 + g.heap_size())
            .sum();
        self.entries.heap_size() + groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    fn stream_of(n: u64) -> Stream {
        let mut s = Stream::new();
        for i in 1..=n {
            s.entries
                .add(
                    NewId::Exact(StreamId::new(i, 0)),
                    &[b"data", b"x"],
                    LIMITS,
                    0,
                )
                .unwrap();
        }
        s
    }

    #[test]
    fn lag_and_read_counter() {
        let mut s = stream_of(5);
        assert!(s.create_group(b"g", StreamId::MIN, ENTRIES_READ_INVALID));
        assert!(!s.create_group(b"g", StreamId::MIN, 0));
        let g = s.group(b"g").unwrap();
        assert_eq!(s.lag(g), Some(5));
        let Stream { entries, groups } = &mut s;
        let g = groups.get_mut(&b"g"[..]).unwrap();
        Stream::advance_group(entries, g, StreamId::new(1, 0));
        assert_eq!(g.entries_read, 1);
        Stream::advance_group(entries, g, StreamId::new(2, 0));
        assert_eq!(g.entries_read, 2);
        let g = s.group(b"g").unwrap();
        assert_eq!(s.lag(g), Some(3));
    }

    #[test]
    fn lag_unknown_with_tombstones_ahead() {
        let mut s = stream_of(5);
        s.entries.delete_ids(&[StreamId::new(3, 0)]);
        s.create_group(b"g", StreamId::MIN, ENTRIES_READ_INVALID);
        let g = s.group(b"g").unwrap();
        assert_eq!(s.lag(g), None);
    }
}
