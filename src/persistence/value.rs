//! Neutral values: what the RDB writer and reader exchange with the rest
//! of reddish, and the two plug points that convert reddish's own values.
//!
//! The format layer never sees `Value`. Saving turns a `Value` into a
//! [`ValueRef`] ([`save_form`]); loading turns an [`RdbValue`] into a
//! `Value` ([`load_form`]). Adding a type to persistence is one arm in
//! each of these two functions:
//!
//! - lists: `RdbValue::List(elements head to tail)`;
//! - hashes: `RdbValue::Hash { pairs, listpack }`;
//! - sets: `RdbValue::Set { members, intset }`;
//! - sorted sets: `RdbValue::ZSet { members (ascending order), listpack }`;
//! - streams: `RdbValue::Stream(StreamValue)`.
//!
//! The `listpack`/`intset` flags say which encoding the value is saved
//! with; a type passes its own in-memory encoding so DUMP payloads equal
//! Redis's. [`Limits`] has Redis's thresholds, for types that want to pick
//! the encoding on load the way Redis does (a loaded hash with more than
//! `hash-max-listpack-entries` fields becomes a hash table, and so on).

use super::codec::Corrupt;
use crate::config::Config;
use crate::types::list::End;
use crate::types::listpack::Listpack;
use crate::types::stream::{self as stream_type, node, ConsumerGroup, Pending, NO_CONSUMER};
use crate::types::zset::{entry_cmp, ListpackLimits};
use crate::types::{HashValue, List, SetValue, StrValue, Stream, Value, ZSet};

/// A value as the RDB format sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbValue {
    /// Strings keep reddish's representation (built like Redis's
    /// `tryObjectEncoding`: int, embstr or raw).
    Str(StrValue),
    /// Elements from head to tail.
    List(Vec<Vec<u8>>),
    /// Members; `intset` when stored (or to be stored) as an intset.
    Set {
        members: Vec<Vec<u8>>,
        intset: bool,
    },
    /// Field-value pairs; `listpack` when stored as a listpack.
    Hash {
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
        listpack: bool,
    },
    /// Members with their scores in ascending order; `listpack` when
    /// stored as a listpack.
    ZSet {
        members: Vec<(Vec<u8>, f64)>,
        listpack: bool,
    },
    Stream(Box<StreamValue>),
}

impl RdbValue {
    /// Redis's TYPE name of the value.
    pub fn type_name(&self) -> &'static str {
        match self {
            RdbValue::Str(_) => "string",
            RdbValue::List(_) => "list",
            RdbValue::Set { .. } => "set",
            RdbValue::Hash { .. } => "hash",
            RdbValue::ZSet { .. } => "zset",
            RdbValue::Stream(_) => "stream",
        }
    }
}

/// A stream entry ID: the stream type's own.
pub use crate::types::stream::StreamId;

/// One stream entry: its ID and field-value pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEntry {
    pub id: StreamId,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A message delivered to a consumer group and not acknowledged yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEntry {
    pub id: StreamId,
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamConsumer {
    pub name: Vec<u8>,
    pub seen_time_ms: i64,
    /// Last successful read (Redis 7.2 files; the seen time before).
    pub active_time_ms: i64,
    /// IDs of the group's pending entries owned by this consumer.
    pub pending: Vec<StreamId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamGroup {
    pub name: Vec<u8>,
    pub last_id: StreamId,
    /// The group's read counter (-1 when unknown); `None` in files older
    /// than Redis 7.0, where the stream type must estimate it.
    pub entries_read: Option<i64>,
    pub pending: Vec<PendingEntry>,
    pub consumers: Vec<StreamConsumer>,
}

/// One node of a stream: the ID its entries are delta-encoded from and
/// its listpack, byte for byte as Redis stores it (deleted entries stay
/// in it, flagged, until the whole node goes).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamNode {
    pub master: StreamId,
    pub listpack: Vec<u8>,
}

/// A whole stream with its metadata and consumer groups. Nodes are kept
/// as they are so a stream loads back with the same layout; they are in
/// ID order, pending entries by ID and consumers by name (the order
/// Redis's radix trees give), so saved bytes equal Redis's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamValue {
    pub nodes: Vec<StreamNode>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    pub groups: Vec<StreamGroup>,
}

impl StreamValue {
    /// A stream of `entries` (in increasing ID order, after 0-0) in nodes
    /// laid out by consecutive XADDs under these node limits; the metadata
    /// is left to set.
    pub fn from_entries(entries: &[StreamEntry], max_bytes: u64, max_entries: i64) -> Self {
        let limits = stream_type::NodeLimits {
            max_bytes,
            max_entries,
        };
        let mut stream = stream_type::Entries::default();
        for e in entries {
            let pairs: Vec<&[u8]> = e
                .fields
                .iter()
                .flat_map(|(f, v)| [&f[..], &v[..]])
                .collect();
            // An entry XADD would refuse is left out.
            let _ = stream.add(stream_type::NewId::Exact(e.id), &pairs, limits, 0);
        }
        StreamValue {
            nodes: stream_nodes(&stream),
            ..StreamValue::default()
        }
    }

    /// The live entries of every node, in order.
    pub fn entries(&self) -> Result<Vec<StreamEntry>, Corrupt> {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for n in &self.nodes {
            node::validate(n.master, &n.listpack)?;
            nodes.push((n.master, Listpack::from_bytes(&n.listpack).ok_or(Corrupt)?));
        }
        let stream = stream_type::Entries::from_nodes(nodes, stream_type::Meta::default());
        let entries = stream.iter().map(|e| StreamEntry {
            id: e.id,
            fields: e.fields().map(|(f, v)| (f.to_vec(), v.to_vec())).collect(),
        });
        Ok(entries.collect())
    }
}

/// A value as the writer takes it: strings are borrowed, other types are
/// converted to their neutral form.
#[derive(Debug)]
pub enum ValueRef<'a> {
    Str(&'a StrValue),
    Neutral(RdbValue),
}

/// Plug point for saving: reddish value -> what the writer serializes.
pub fn save_form(value: &Value) -> ValueRef<'_> {
    match value {
        Value::Str(s) => ValueRef::Str(s),
        Value::List(l) => ValueRef::Neutral(RdbValue::List(l.iter().map(<[u8]>::to_vec).collect())),
        Value::Set(set) => {
            let mut tmp = [0u8; 21];
            let members = set.iter().map(|m| m.bytes(&mut tmp).to_vec()).collect();
            ValueRef::Neutral(RdbValue::Set {
                members,
                intset: matches!(set, SetValue::Ints(_)),
            })
        }
        Value::Hash(h) => ValueRef::Neutral(RdbValue::Hash {
            pairs: h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect(),
            listpack: h.encoding() == "listpack",
        }),
        Value::Stream(s) => ValueRef::Neutral(RdbValue::Stream(Box::new(stream_save_form(s)))),
        Value::ZSet(z) => ValueRef::Neutral(RdbValue::ZSet {
            members: z.iter().map(|(m, score)| (m.to_vec(), score)).collect(),
            listpack: matches!(z, ZSet::Listpack(_)),
        }),
    }
}

/// A stream's nodes in their byte form.
fn stream_nodes(e: &stream_type::Entries) -> Vec<StreamNode> {
    e.nodes()
        .map(|(master, lp)| StreamNode {
            master,
            listpack: lp.to_bytes(),
        })
        .collect()
}

/// A stream in neutral form: its nodes as they are, groups with their
/// pending entries (by ID) and consumers (by name).
fn stream_save_form(s: &Stream) -> StreamValue {
    let e = &s.entries;
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| StreamGroup {
            name: name.to_vec(),
            last_id: g.last_id,
            entries_read: Some(g.entries_read),
            pending: g
                .pel
                .iter()
                .map(|(id, p)| PendingEntry {
                    id: *id,
                    delivery_time_ms: p.delivery_time,
                    delivery_count: p.delivery_count,
                })
                .collect(),
            consumers: g
                .consumers()
                .map(|c| StreamConsumer {
                    name: c.name.to_vec(),
                    seen_time_ms: c.seen_time,
                    // Redis 7.0 keeps no separate active time.
                    active_time_ms: c.seen_time,
                    pending: c.pel.iter().copied().collect(),
                })
                .collect(),
        })
        .collect();
    StreamValue {
        nodes: stream_nodes(e),
        length: e.len(),
        last_id: e.last_id,
        first_id: e.first_id,
        max_deleted_id: e.max_deleted_id,
        entries_added: e.entries_added,
        groups,
    }
}

/// A loaded stream: its nodes adopted as they are, then its groups. A
/// group from a file older than Redis 7.0 gets its read counter estimated
/// as Redis estimates it.
fn stream_load_form(s: StreamValue) -> Result<Stream, Unsupported> {
    let mut nodes = Vec::with_capacity(s.nodes.len());
    for node in &s.nodes {
        let lp = Listpack::from_bytes(&node.listpack).ok_or(Unsupported("stream node"))?;
        nodes.push((node.master, lp));
    }
    let meta = stream_type::Meta {
        length: s.length,
        last_id: s.last_id,
        first_id: s.first_id,
        max_deleted_id: s.max_deleted_id,
        entries_added: s.entries_added,
    };
    let mut stream = Stream {
        entries: stream_type::Entries::from_nodes(nodes, meta),
        groups: Default::default(),
    };
    for g in s.groups {
        let entries_read = g.entries_read.unwrap_or_else(|| {
            stream
                .entries
                .counter_of(g.last_id)
                .unwrap_or(stream_type::ENTRIES_READ_INVALID)
        });
        let group = group_load_form(g.last_id, entries_read, g.pending, g.consumers);
        stream.groups.insert(g.name.into(), group);
    }
    Ok(stream)
}

/// A consumer group with its pending entries, each owned by the consumer
/// whose list names it (entries no consumer names stay ownerless, as Redis
/// leaves them).
fn group_load_form(
    last_id: StreamId,
    entries_read: i64,
    pending: Vec<PendingEntry>,
    consumers: Vec<StreamConsumer>,
) -> ConsumerGroup {
    let mut group = ConsumerGroup::new(last_id, entries_read);
    for p in pending {
        let entry = Pending {
            delivery_time: p.delivery_time_ms,
            delivery_count: p.delivery_count,
            consumer: NO_CONSUMER,
        };
        group.pel.insert(p.id, entry);
    }
    for c in consumers {
        let Some(owner) = group.create_consumer(&c.name, c.seen_time_ms) else {
            continue;
        };
        for id in c.pending {
            if let Some(p) = group.pel.get_mut(&id) {
                p.consumer = owner;
                if let Some(consumer) = group.consumer_mut(owner) {
                    consumer.pel.insert(id);
                }
            }
        }
    }
    group
}

/// Why a loaded value cannot become a reddish value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub &'static str);

/// Plug point for loading: neutral value -> reddish value, in the encoding
/// Redis would give it for the configured thresholds.
pub fn load_form(value: RdbValue, limits: &Limits) -> Result<Value, Unsupported> {
    match value {
        RdbValue::Str(s) => Ok(Value::Str(s)),
        RdbValue::List(elements) => {
            let mut list = List::new(limits.list_max_listpack_size);
            for e in &elements {
                list.push(End::Tail, e);
            }
            Ok(Value::List(Box::new(list)))
        }
        RdbValue::Set { members, .. } => {
            let mut set = match members.first() {
                Some(first) => SetValue::for_member(first),
                None => SetValue::empty_intset(),
            };
            let intset_limit = limits.set_max_intset_entries.min(1 << 30) as usize;
            for m in &members {
                set.add(m, intset_limit);
            }
            Ok(Value::Set(set))
        }
        RdbValue::Hash { pairs, .. } => {
            let hash_limits = crate::types::hash::Limits {
                max_entries: limits.hash_max_listpack_entries as usize,
                max_value: limits.hash_max_listpack_value as usize,
            };
            let mut hash = HashValue::default();
            hash.prepare_for(
                pairs.iter().flat_map(|(f, v)| [f.len(), v.len()]),
                hash_limits,
            );
            for (f, v) in &pairs {
                hash.insert(f, v, hash_limits);
            }
            Ok(Value::Hash(hash))
        }
        RdbValue::ZSet { members, .. } => zset_load_form(members, limits).map(Value::ZSet),
        RdbValue::Stream(s) => stream_load_form(*s).map(|s| Value::Stream(Box::new(s))),
    }
}

/// A loaded sorted set, in Redis's order and encoding for its size. A
/// member that appears twice makes the payload corrupt.
fn zset_load_form(mut members: Vec<(Vec<u8>, f64)>, limits: &Limits) -> Result<ZSet, Unsupported> {
    if members.iter().any(|(_, score)| score.is_nan()) {
        return Err(Unsupported("zset with a NaN score"));
    }
    members.sort_by(|(ma, sa), (mb, sb)| entry_cmp(*sa, ma, *sb, mb));
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    if !members.iter().all(|(m, _)| seen.insert(m.as_slice())) {
        return Err(Unsupported("zset with a duplicate member"));
    }
    let zset_limits = ListpackLimits {
        max_entries: limits.zset_max_listpack_entries,
        max_value: limits.zset_max_listpack_value,
    };
    Ok(ZSet::from_sorted(
        members.iter().map(|(m, score)| (m.as_slice(), *score)),
        zset_limits,
    ))
}

/// Redis's thresholds between compact and plain encodings, and the list
/// node size, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub list_max_listpack_size: i64,
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    pub stream_node_max_bytes: u64,
    pub stream_node_max_entries: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from_config(&Config::default())
    }
}

impl Limits {
    pub fn from_config(c: &Config) -> Limits {
        Limits {
            list_max_listpack_size: c.list_max_listpack_size,
            hash_max_listpack_entries: c.hash_max_listpack_entries,
            hash_max_listpack_value: c.hash_max_listpack_value,
            set_max_intset_entries: c.set_max_intset_entries,
            zset_max_listpack_entries: c.zset_max_listpack_entries,
            zset_max_listpack_value: c.zset_max_listpack_value,
            stream_node_max_bytes: c.stream_node_max_bytes,
            stream_node_max_entries: c.stream_node_max_entries,
        }
    }

    /// Whether a hash with these pairs is a listpack in Redis.
    pub fn hash_fits_listpack(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> bool {
        let max = self.hash_max_listpack_value as usize;
        pairs.len() as u64 <= self.hash_max_listpack_entries
            && pairs.iter().all(|(f, v)| f.len() <= max && v.len() <= max)
    }

    /// Whether a sorted set with these members is a listpack in Redis.
    pub fn zset_fits_listpack(&self, members: &[(Vec<u8>, f64)]) -> bool {
        let max = self.zset_max_listpack_value as usize;
        members.len() as u64 <= self.zset_max_listpack_entries
            && members.iter().all(|(m, _)| m.len() <= max)
    }

    /// Whether a set with these members is an intset in Redis.
    pub fn set_fits_intset(&self, members: &[Vec<u8>]) -> bool {
        members.len() as u64 <= self.set_max_intset_entries.min(1 << 30)
            && members.iter().all(|m| crate::util::parse_i64(m).is_some())
    }

    /// Builders of neutral values with the encoding Redis would pick.
    pub fn hash(&self, pairs: Vec<(Vec<u8>, Vec<u8>)>) -> RdbValue {
        let listpack = self.hash_fits_listpack(&pairs);
        RdbValue::Hash { pairs, listpack }
    }

    pub fn zset(&self, members: Vec<(Vec<u8>, f64)>) -> RdbValue {
        let listpack = self.zset_fits_listpack(&members);
        RdbValue::ZSet { members, listpack }
    }

    pub fn set(&self, members: Vec<Vec<u8>>) -> RdbValue {
        let intset = self.set_fits_intset(&members);
        RdbValue::Set { members, intset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_follow_the_config() {
        let limits = Limits::default();
        let small = vec![(b"f".to_vec(), b"v".to_vec())];
        assert!(matches!(
            limits.hash(small),
            RdbValue::Hash { listpack: true, .. }
        ));
        let wide = vec![(b"f".to_vec(), vec![b'v'; 65])];
        assert!(matches!(
            limits.hash(wide),
            RdbValue::Hash {
                listpack: false,
                ..
            }
        ));
        let many: Vec<Vec<u8>> = (0..513).map(|i| i.to_string().into_bytes()).collect();
        assert!(matches!(
            limits.set(many),
            RdbValue::Set { intset: false, .. }
        ));
        assert!(matches!(
            limits.set(vec![b"-3".to_vec()]),
            RdbValue::Set { intset: true, .. }
        ));
        assert!(matches!(
            limits.set(vec![b"03".to_vec()]),
            RdbValue::Set { intset: false, .. }
        ));
        let zs = vec![(b"m".to_vec(), 1.5)];
        assert!(matches!(
            limits.zset(zs),
            RdbValue::ZSet { listpack: true, .. }
        ));
    }

    #[test]
    fn stream_values_roundtrip_through_nodes() {
        let entry = |ms, seq, fields: &[(&str, &str)]| StreamEntry {
            id: StreamId::new(ms, seq),
            fields: fields
                .iter()
                .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        };
        let entries = vec![
            entry(1000, 0, &[("a", "1"), ("b", "x")]),
            entry(1000, 1, &[("a", "2"), ("b", "y")]),
            entry(1005, 0, &[("c", "z")]),
            entry(2000, 7, &[("a", "3"), ("b", "w")]),
        ];
        let one = StreamValue::from_entries(&entries, 4096, 100);
        assert_eq!(one.nodes.len(), 1);
        assert_eq!(one.nodes[0].master, StreamId::new(1000, 0));
        assert_eq!(one.entries(), Ok(entries.clone()));
        let two = StreamValue::from_entries(&entries, 4096, 2);
        assert_eq!(two.nodes.len(), 2);
        assert_eq!(two.entries(), Ok(entries));
    }
}
