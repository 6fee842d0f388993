//! Decoding values: the plain forms (lists, sets, hashes and sorted sets
//! element by element, streams with their groups) and the compact ones
//! stored as one blob (listpack, ziplist, intset, zipmap), into neutral
//! values. Every collection is checked for duplicates; an empty one is
//! reported as `None` (Redis skips such keys).

use super::codec::{intset, ziplist, zipmap, Elem};
use super::format::{self, kind, CONTAINER_PACKED, CONTAINER_PLAIN};
use super::reader::{check, corrupt, RdbError, Reader};
use super::value::{
    PendingEntry, RdbValue, StreamConsumer, StreamGroup, StreamId, StreamNode, StreamValue,
};
use crate::types::listpack;
use crate::types::stream::node;
use std::collections::HashSet;
use std::io::Read;

impl<R: Read> Reader<R> {
    /// A value of type `code`; `None` for an empty collection.
    pub fn object(&mut self, code: u8) -> Result<Option<RdbValue>, RdbError> {
        match code {
            kind::STRING => Ok(Some(RdbValue::Str(self.str_value()?))),
            kind::LIST => self.plain_list(),
            kind::SET => self.plain_set(),
            kind::ZSET | kind::ZSET_2 => self.plain_zset(code == kind::ZSET_2),
            kind::HASH => self.plain_hash(),
            kind::LIST_QUICKLIST | kind::LIST_QUICKLIST_2 => {
                self.quicklist(code == kind::LIST_QUICKLIST_2)
            }
            kind::HASH_ZIPMAP
            | kind::LIST_ZIPLIST
            | kind::SET_INTSET
            | kind::ZSET_ZIPLIST
            | kind::HASH_ZIPLIST
            | kind::HASH_LISTPACK
            | kind::ZSET_LISTPACK
            | kind::SET_LISTPACK => {
                let blob = self.string()?;
                compact_value(code, &blob)
            }
            kind::STREAM_LISTPACKS | kind::STREAM_LISTPACKS_2 | kind::STREAM_LISTPACKS_3 => {
                Ok(Some(RdbValue::Stream(Box::new(self.stream(code)?))))
            }
            kind::MODULE | kind::MODULE_2 => {
                let id = self.length()?;
                Err(RdbError::Module(format!(
                    "The RDB file contains module data I can't load: no matching module type '{}'",
                    format::module_type_name(id)
                )))
            }
            other => Err(RdbError::Corrupt(format!(
                "Unknown RDB encoding type {}",
                other
            ))),
        }
    }

    fn plain_list(&mut self) -> Result<Option<RdbValue>, RdbError> {
        let n = self.count()?;
        let mut items = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            items.push(self.string()?);
        }
        Ok((!items.is_empty()).then_some(RdbValue::List(items)))
    }

    fn plain_set(&mut self) -> Result<Option<RdbValue>, RdbError> {
        let n = self.count()?;
        let mut seen = Unique::default();
        let mut members = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let m = self.string()?;
            seen.add(&m, "Duplicate set members detected")?;
            members.push(m);
        }
        Ok((!members.is_empty()).then_some(RdbValue::Set {
            members,
            intset: false,
        }))
    }

    fn plain_zset(&mut self, binary: bool) -> Result<Option<RdbValue>, RdbError> {
        let n = self.count()?;
        let mut seen = Unique::default();
        let mut members = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let m = self.string()?;
            let score = if binary {
                self.binary_double()?
            } else {
                self.text_double()?
            };
            if score.is_nan() {
                return Err(corrupt("Zset with NAN score detected"));
            }
            seen.add(&m, "Duplicate zset fields detected")?;
            members.push((m, score));
        }
        Ok(sorted_zset(members, false))
    }

    fn plain_hash(&mut self) -> Result<Option<RdbValue>, RdbError> {
        let n = self.count()?;
        let mut seen = Unique::default();
        let mut pairs = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let f = self.string()?;
            let v = self.string()?;
            seen.add(&f, "Duplicate hash fields detected")?;
            pairs.push((f, v));
        }
        Ok((!pairs.is_empty()).then_some(RdbValue::Hash {
            pairs,
            listpack: false,
        }))
    }

    /// Quicklist nodes: ziplists (version 1) or listpacks and plain
    /// elements (version 2).
    fn quicklist(&mut self, v2: bool) -> Result<Option<RdbValue>, RdbError> {
        let nodes = self.count()?;
        let mut items = Vec::new();
        for _ in 0..nodes {
            let container = if v2 { self.length()? } else { CONTAINER_PACKED };
            if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
                return Err(corrupt("Quicklist integrity check failed."));
            }
            let blob = self.string()?;
            if blob.is_empty() {
                return Err(corrupt("Quicklist node is empty"));
            }
            if container == CONTAINER_PLAIN {
                items.push(blob);
                continue;
            }
            let elems = if v2 {
                check(listpack::entries(&blob), "Listpack integrity check failed.")?
            } else {
                check(ziplist::entries(&blob), "Ziplist integrity check failed.")?
            };
            items.extend(elems.iter().map(Elem::to_vec));
        }
        Ok((!items.is_empty()).then_some(RdbValue::List(items)))
    }

    fn stream_id(&mut self) -> Result<StreamId, RdbError> {
        let ms = self.length()?;
        Ok(StreamId::new(ms, self.length()?))
    }

    fn raw_stream_id(&mut self) -> Result<StreamId, RdbError> {
        Ok(StreamId::from_be_bytes(self.array()?))
    }

    fn stream(&mut self, code: u8) -> Result<StreamValue, RdbError> {
        let mut s = StreamValue::default();
        let nodes = self.count()?;
        let mut masters = HashSet::new();
        let mut first_live = None;
        for _ in 0..nodes {
            let key = self.string()?;
            let key: [u8; 16] = key
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("Stream node key entry is not the size of a stream ID"))?;
            let lp = self.string()?;
            if !masters.insert(key) {
                return Err(corrupt("Listpack re-added with existing key"));
            }
            let master = StreamId::from_be_bytes(key);
            let live = check(
                node::validate(master, &lp),
                "Stream listpack integrity check failed.",
            )?;
            first_live = first_live.or(live);
            s.nodes.push(StreamNode {
                master,
                listpack: lp,
            });
        }
        s.length = self.length()?;
        s.last_id = self.stream_id()?;
        if code >= kind::STREAM_LISTPACKS_2 {
            s.first_id = self.stream_id()?;
            s.max_deleted_id = self.stream_id()?;
            s.entries_added = self.length()?;
        } else {
            s.entries_added = s.length;
            // Redis looks the first entry up; an empty stream gets the
            // largest ID.
            s.first_id = first_live.unwrap_or(StreamId::MAX);
        }
        if s.length > 0 && nodes == 0 {
            return Err(corrupt("Stream length inconsistent with rax entries"));
        }
        let groups = self.count()?;
        let mut names = Unique::default();
        for _ in 0..groups {
            let group = self.stream_group(code)?;
            names.add(&group.name, "Duplicated consumer group name")?;
            s.groups.push(group);
        }
        Ok(s)
    }

    fn stream_group(&mut self, code: u8) -> Result<StreamGroup, RdbError> {
        let name = self.string()?;
        let last_id = self.stream_id()?;
        let entries_read = if code >= kind::STREAM_LISTPACKS_2 {
            Some(self.length()? as i64)
        } else {
            None
        };
        let n = self.count()?;
        let mut pending = Vec::with_capacity(n.min(4096));
        let mut ids = HashSet::new();
        for _ in 0..n {
            let id = self.raw_stream_id()?;
            let delivery_time_ms = self.ms_time()?;
            let delivery_count = self.length()?;
            if !ids.insert(id) {
                return Err(corrupt(
                    "Duplicated global PEL entry loading stream consumer group",
                ));
            }
            pending.push(PendingEntry {
                id,
                delivery_time_ms,
                delivery_count,
            });
        }
        let n = self.count()?;
        let mut consumers = Vec::with_capacity(n.min(4096));
        let mut names = Unique::default();
        let mut owned = HashSet::new();
        for _ in 0..n {
            let name = self.string()?;
            names.add(&name, "Duplicate stream consumer detected.")?;
            let seen_time_ms = self.ms_time()?;
            let active_time_ms = if code >= kind::STREAM_LISTPACKS_3 {
                self.ms_time()?
            } else {
                seen_time_ms
            };
            let count = self.count()?;
            let mut mine = Vec::with_capacity(count.min(4096));
            for _ in 0..count {
                let id = self.raw_stream_id()?;
                if !ids.contains(&id) {
                    return Err(corrupt("Consumer entry not found in group global PEL"));
                }
                if !owned.insert(id) {
                    return Err(corrupt(
                        "Duplicated consumer PEL entry loading a stream consumer group",
                    ));
                }
                mine.push(id);
            }
            consumers.push(StreamConsumer {
                name,
                seen_time_ms,
                active_time_ms,
                pending: mine,
            });
        }
        // Without deep validation such entries are kept, owned by nobody.
        if self.deep && pending.iter().any(|p| !owned.contains(&p.id)) {
            return Err(corrupt("Stream CG PEL entry without consumer"));
        }
        Ok(StreamGroup {
            name,
            last_id,
            entries_read,
            pending,
            consumers,
        })
    }
}

/// Detects repeated names.
#[derive(Default)]
struct Unique(HashSet<Vec<u8>>);

impl Unique {
    fn add(&mut self, name: &[u8], msg: &str) -> Result<(), RdbError> {
        if self.0.insert(name.to_vec()) {
            Ok(())
        } else {
            Err(corrupt(msg))
        }
    }
}
/// A score stored as text (strtod-like: also `inf`, `-inf`, `nan`).
pub(super) fn parse_score(text: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(text).ok()?.trim();
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

fn elem_score(e: &Elem) -> Option<f64> {
    match e {
        Elem::Int(n) => Some(*n as f64),
        Elem::Str(b) => parse_score(b),
    }
}

/// Sorts members by (score, member) as a sorted set orders them.
fn sorted_zset(mut members: Vec<(Vec<u8>, f64)>, listpack: bool) -> Option<RdbValue> {
    if members.is_empty() {
        return None;
    }
    members.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Some(RdbValue::ZSet { members, listpack })
}

/// Pairs of a flat element list (hash fields/values, zset members/scores).
fn pairs<'a>(elems: &[Elem<'a>], msg: &str) -> Result<Vec<(Elem<'a>, Elem<'a>)>, RdbError> {
    if !elems.len().is_multiple_of(2) {
        return Err(corrupt(msg));
    }
    Ok(elems.chunks_exact(2).map(|c| (c[0], c[1])).collect())
}

fn hash_from_pairs(
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    msg: &str,
) -> Result<Option<RdbValue>, RdbError> {
    let mut seen = Unique::default();
    for (f, _) in &pairs {
        seen.add(f, msg)?;
    }
    Ok((!pairs.is_empty()).then_some(RdbValue::Hash {
        pairs,
        listpack: true,
    }))
}

/// Logs `bytes` in hex after `what`, as Redis's `serverLogHexDump`: a
/// header line, then 32 bytes a line.
fn log_hex_dump(what: &str, bytes: &[u8]) {
    let mut text = String::with_capacity(bytes.len() * 2 + bytes.len() / 32 + 1);
    for line in bytes.chunks(32) {
        text.push('\n');
        for b in line {
            text.push_str(&format!("{:02x}", b));
        }
    }
    log::warn!("{} (hexdump of {} bytes):{}", what, bytes.len(), text);
}

fn zset_from_pairs(elems: &[Elem], msg: &str) -> Result<Option<RdbValue>, RdbError> {
    let mut seen = Unique::default();
    let mut members = Vec::with_capacity(elems.len() / 2);
    for (m, s) in pairs(elems, msg)? {
        let member = m.to_vec();
        let score = elem_score(&s)
            .filter(|s| !s.is_nan())
            .ok_or_else(|| corrupt(msg))?;
        seen.add(&member, msg)?;
        members.push((member, score));
    }
    Ok(sorted_zset(members, true))
}

/// Decodes a value stored as one blob in a compact encoding.
fn compact_value(code: u8, blob: &[u8]) -> Result<Option<RdbValue>, RdbError> {
    match code {
        kind::HASH_ZIPMAP => {
            let msg = "Zipmap integrity check failed.";
            let pairs = check(zipmap::pairs(blob), msg)?;
            let pairs = pairs
                .into_iter()
                .map(|(f, v)| (f.to_vec(), v.to_vec()))
                .collect();
            hash_from_pairs(pairs, "Hash zipmap with dup elements")
        }
        kind::LIST_ZIPLIST => {
            let elems = check(
                ziplist::entries(blob),
                "List ziplist integrity check failed.",
            )?;
            let items: Vec<Vec<u8>> = elems.iter().map(Elem::to_vec).collect();
            Ok((!items.is_empty()).then_some(RdbValue::List(items)))
        }
        kind::SET_INTSET => {
            let ints = check(intset::decode(blob), "Intset integrity check failed.")?;
            let members = ints.into_iter().map(crate::util::i64_to_bytes).collect();
            Ok(Some(RdbValue::Set {
                members,
                intset: true,
            }))
        }
        kind::SET_LISTPACK => {
            let msg = "Set listpack integrity check failed.";
            let elems = check(listpack::entries(blob), msg)?;
            let mut seen = Unique::default();
            let mut members = Vec::with_capacity(elems.len());
            for e in &elems {
                let m = e.to_vec();
                seen.add(&m, msg)?;
                members.push(m);
            }
            Ok((!members.is_empty()).then_some(RdbValue::Set {
                members,
                intset: false,
            }))
        }
        kind::ZSET_ZIPLIST => {
            let msg = "Zset ziplist integrity check failed.";
            zset_from_pairs(&check(ziplist::entries(blob), msg)?, msg)
        }
        kind::ZSET_LISTPACK => {
            let msg = "Zset listpack integrity check failed.";
            zset_from_pairs(&check(listpack::entries(blob), msg)?, msg)
        }
        kind::HASH_ZIPLIST | kind::HASH_LISTPACK => {
            let msg = if code == kind::HASH_ZIPLIST {
                "Hash ziplist integrity check failed."
            } else {
                "Hash listpack integrity check failed."
            };
            let elems = if code == kind::HASH_ZIPLIST {
                check(ziplist::entries(blob), msg)?
            } else {
                check(listpack::entries(blob), msg)?
            };
            let pairs = pairs(&elems, msg)?
                .into_iter()
                .map(|(f, v)| (f.to_vec(), v.to_vec()))
                .collect();
            // Only a repeated field fails here; Redis logs the blob so.
            hash_from_pairs(pairs, msg)
                .inspect_err(|_| log_hex_dump("listpack with dup elements", blob))
        }
        other => Err(RdbError::Corrupt(format!(
            "Unknown RDB encoding type {}",
            other
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::format::op;
    use crate::persistence::reader::{parse_payload, verify_payload};
    use crate::persistence::value::ValueRef;
    use crate::persistence::value::{load_form, Limits, StreamEntry};
    use crate::persistence::writer::{dump_payload, WriteOptions};

    fn opts(compression: bool) -> WriteOptions {
        WriteOptions {
            compression,
            ..WriteOptions::default()
        }
    }

    fn roundtrip(v: RdbValue) -> RdbValue {
        let payload = dump_payload(&ValueRef::Neutral(v), opts(true));
        let body = verify_payload(&payload, true).expect("valid footer");
        parse_payload(body, true).expect("valid value")
    }

    fn bytes(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn neutral_values_roundtrip() {
        let long = "x".repeat(5000);
        let list = RdbValue::List(bytes(&["a", "1", "-7", &long, ""]));
        assert_eq!(roundtrip(list.clone()), list);
        let set = RdbValue::Set {
            members: bytes(&["-1", "5", "100000"]),
            intset: true,
        };
        assert_eq!(roundtrip(set.clone()), set);
        let set = RdbValue::Set {
            members: bytes(&["a", "5"]),
            intset: false,
        };
        assert_eq!(roundtrip(set.clone()), set);
        for listpack in [true, false] {
            let pairs = vec![
                (b"f".to_vec(), b"1".to_vec()),
                (b"g".to_vec(), long.clone().into_bytes()),
            ];
            let hash = RdbValue::Hash { pairs, listpack };
            assert_eq!(roundtrip(hash.clone()), hash);
            let members = vec![
                (b"a".to_vec(), f64::NEG_INFINITY),
                (b"b".to_vec(), -2.5),
                (b"c".to_vec(), 3.0),
                (b"d".to_vec(), 1e300),
            ];
            let zset = RdbValue::ZSet { members, listpack };
            assert_eq!(roundtrip(zset.clone()), zset);
        }
    }

    #[test]
    fn streams_roundtrip() {
        let entry = |ms, f: &str| StreamEntry {
            id: StreamId::new(ms, 0),
            fields: vec![(f.as_bytes().to_vec(), b"v".to_vec())],
        };
        let id = StreamId::new(2, 0);
        let s = StreamValue {
            length: 2,
            last_id: id,
            first_id: StreamId::new(1, 0),
            max_deleted_id: StreamId::default(),
            entries_added: 2,
            groups: vec![StreamGroup {
                name: b"g".to_vec(),
                last_id: id,
                entries_read: Some(2),
                pending: vec![PendingEntry {
                    id,
                    delivery_time_ms: 77,
                    delivery_count: 1,
                }],
                consumers: vec![StreamConsumer {
                    name: b"c".to_vec(),
                    seen_time_ms: 77,
                    active_time_ms: 77,
                    pending: vec![id],
                }],
            }],
            ..StreamValue::from_entries(&[entry(1, "a"), entry(2, "b")], 4096, 100)
        };
        let v = RdbValue::Stream(Box::new(s));
        assert_eq!(roundtrip(v.clone()), v);
    }

    #[test]
    fn old_encodings_decode() {
        let zl = ziplist::build(&[Elem::Str(b"a"), Elem::Int(7), Elem::Str(b"b"), Elem::Int(8)]);
        let hash = compact_value(kind::HASH_ZIPLIST, &zl)
            .expect("valid")
            .expect("not empty");
        assert_eq!(
            hash,
            RdbValue::Hash {
                pairs: vec![
                    (b"a".to_vec(), b"7".to_vec()),
                    (b"b".to_vec(), b"8".to_vec())
                ],
                listpack: true
            }
        );
        let zset = compact_value(kind::ZSET_ZIPLIST, &zl)
            .expect("valid")
            .expect("not empty");
        assert!(matches!(zset, RdbValue::ZSet { ref members, .. } if members[1].1 == 8.0));
        let list = compact_value(kind::LIST_ZIPLIST, &zl)
            .expect("valid")
            .expect("not empty");
        assert_eq!(list, RdbValue::List(bytes(&["a", "7", "b", "8"])));
        let zm = [1, 1, b'k', 1, 0, b'v', 0xFF];
        let hash = compact_value(kind::HASH_ZIPMAP, &zm)
            .expect("valid")
            .expect("not empty");
        assert_eq!(
            hash,
            RdbValue::Hash {
                pairs: vec![(b"k".to_vec(), b"v".to_vec())],
                listpack: true
            }
        );
    }

    #[test]
    fn duplicates_are_refused() {
        let zl = ziplist::build(&[Elem::Str(b"a"), Elem::Int(1), Elem::Str(b"a"), Elem::Int(2)]);
        assert!(compact_value(kind::HASH_ZIPLIST, &zl).is_err());
        let set = RdbValue::Set {
            members: bytes(&["x", "x"]),
            intset: false,
        };
        let payload = dump_payload(&ValueRef::Neutral(set), opts(false));
        assert!(parse_payload(verify_payload(&payload, true).expect("footer"), true).is_none());
    }

    #[test]
    fn pre_7_streams_decode_and_load() {
        let entry = StreamEntry {
            id: StreamId::new(5, 0),
            fields: vec![(b"f".to_vec(), b"v".to_vec())],
        };
        let node = StreamValue::from_entries(&[entry], 4096, 100)
            .nodes
            .remove(0);
        // Type 15: nodes, length, last ID, then groups without read counters.
        let mut s = vec![kind::STREAM_LISTPACKS, 1, 16];
        s.extend_from_slice(&node.master.to_be_bytes());
        s.push(node.listpack.len() as u8);
        s.extend_from_slice(&node.listpack);
        s.extend_from_slice(&[1, 5, 0, 1, 1, b'g', 5, 0, 0, 0]);
        let Some(RdbValue::Stream(v)) = parse_payload(&s, true) else {
            panic!("not a stream");
        };
        assert_eq!((v.first_id, v.entries_added), (node.master, 1));
        assert_eq!(v.groups[0].entries_read, None);
        let loaded = load_form(RdbValue::Stream(v), &Limits::default()).expect("loads");
        let stream = loaded.as_stream().expect("a stream");
        assert_eq!(stream.group(b"g").map(|g| g.entries_read), Some(1));
        // An empty one remembers the largest ID as its first, as in Redis.
        let empty = [kind::STREAM_LISTPACKS, 0, 0, 0, 0, 0];
        let Some(RdbValue::Stream(v)) = parse_payload(&empty, true) else {
            panic!("not a stream");
        };
        assert_eq!(v.first_id.ms, u64::MAX);
    }

    #[test]
    fn redis_7_2_types_decode() {
        // A listpack set (type 20).
        let mut lp = listpack::Listpack::new();
        lp.push(b"a");
        lp.push(b"7");
        let lp = lp.to_bytes();
        let mut payload = vec![kind::SET_LISTPACK, lp.len() as u8];
        payload.extend_from_slice(&lp);
        assert_eq!(
            parse_payload(&payload, true),
            Some(RdbValue::Set {
                members: bytes(&["a", "7"]),
                intset: false
            })
        );
        // An empty stream (type 21) with a group whose consumer has an
        // active time besides its seen time.
        let mut s = vec![kind::STREAM_LISTPACKS_3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        s.extend_from_slice(&[1, 1, b'g', 0, 0, 0, 0, 1, 1, b'c']);
        s.extend_from_slice(&5i64.to_le_bytes());
        s.extend_from_slice(&9i64.to_le_bytes());
        s.push(0);
        let Some(RdbValue::Stream(v)) = parse_payload(&s, true) else {
            panic!("not a stream");
        };
        let consumer = &v.groups[0].consumers[0];
        assert_eq!((consumer.seen_time_ms, consumer.active_time_ms), (5, 9));
        let loaded = load_form(RdbValue::Stream(v), &Limits::default()).expect("loads");
        let group = loaded
            .as_stream()
            .and_then(|s| s.group(b"g"))
            .expect("group");
        let id = group.find_consumer(b"c").expect("consumer");
        assert_eq!(group.consumer(id).map(|c| c.seen_time), Some(5));
        let mut header = Reader::new(&b"REDIS0011"[..], true);
        assert_eq!(header.header().ok(), Some(11));
    }

    #[test]
    fn module_data_is_refused_with_its_name() {
        let id = (0..9).fold(0u64, |acc, _| (acc << 6) | 1) << 10; // "BBBBBBBBB"
        let mut payload = vec![kind::MODULE_2, 0x81];
        payload.extend_from_slice(&id.to_be_bytes());
        let mut r = Reader::new(payload.as_slice(), false);
        let code = r.byte().expect("type");
        match r.object(code) {
            Err(RdbError::Module(m)) => assert!(m.contains("'BBBBBBBBB'"), "{}", m),
            other => panic!("{:?}", other),
        }
        assert!(parse_payload(&payload, true).is_none());
        let mut aux = vec![op::MODULE_AUX, 0x81];
        aux.extend_from_slice(&id.to_be_bytes());
        let mut r = Reader::new(aux.as_slice(), false);
        assert!(matches!(r.next_item(), Err(RdbError::Module(_))));
    }
}
