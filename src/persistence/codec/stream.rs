//! Stream nodes: the listpacks a stream's radix tree holds, as Redis lays
//! them out. Each node starts with a master entry (live count, deleted
//! count, the master field names, a zero), then one record per entry:
//! flags, ID as differences from the node's master ID, the fields (only
//! when they differ from the master fields) and values, and the number of
//! listpack elements the record took.

use super::listpack::{self, Builder};
use super::{Corrupt, Elem};
use crate::persistence::format::{STREAM_FLAG_DELETED, STREAM_FLAG_SAMEFIELDS};
use crate::persistence::value::{StreamEntry, StreamId};

/// Largest node Redis builds whatever `stream-node-max-bytes` says.
const NODE_MAX_SIZE: u64 = 1 << 30;

/// Walks the elements of a node listpack.
struct Cursor<'a> {
    elems: std::vec::IntoIter<Elem<'a>>,
}

impl<'a> Cursor<'a> {
    fn next(&mut self) -> Result<Elem<'a>, Corrupt> {
        self.elems.next().ok_or(Corrupt)
    }

    fn int(&mut self) -> Result<i64, Corrupt> {
        self.next()?.as_i64().ok_or(Corrupt)
    }

    fn count(&mut self) -> Result<usize, Corrupt> {
        usize::try_from(self.int()?).map_err(|_| Corrupt)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, Corrupt> {
        Ok(self.next()?.to_vec())
    }
}

/// Decodes the live entries of the node whose master ID is `master`.
pub fn decode_node(master: StreamId, lp: &[u8]) -> Result<Vec<StreamEntry>, Corrupt> {
    let elems = listpack::entries(lp)?;
    if elems.is_empty() {
        return Err(Corrupt);
    }
    let mut c = Cursor {
        elems: elems.into_iter(),
    };
    let live = c.count()?;
    let deleted = c.count()?;
    let master_count = c.count()?;
    let mut master_fields = Vec::with_capacity(master_count.min(1024));
    for _ in 0..master_count {
        master_fields.push(c.bytes()?);
    }
    if c.int()? != 0 {
        return Err(Corrupt);
    }
    let records = live.checked_add(deleted).ok_or(Corrupt)?;
    let mut out = Vec::with_capacity(live.min(4096));
    for _ in 0..records {
        let flags = c.int()?;
        let id = StreamId {
            ms: master.ms.wrapping_add(c.int()? as u64),
            seq: master.seq.wrapping_add(c.int()? as u64),
        };
        let same = flags & STREAM_FLAG_SAMEFIELDS != 0;
        let n = if same { master_count } else { c.count()? };
        let mut fields = Vec::with_capacity(n.min(1024));
        for i in 0..n {
            let field = if same {
                master_fields.get(i).cloned().ok_or(Corrupt)?
            } else {
                c.bytes()?
            };
            fields.push((field, c.bytes()?));
        }
        let expected = if same { n + 3 } else { 2 * n + 4 };
        if c.count()? != expected {
            return Err(Corrupt);
        }
        if flags & STREAM_FLAG_DELETED == 0 {
            out.push(StreamEntry { id, fields });
        }
    }
    if c.elems.next().is_some() {
        return Err(Corrupt);
    }
    Ok(out)
}

/// Bytes a listpack integer element takes (encoding plus back-length).
fn int_size(v: i64) -> u64 {
    let mut b = Builder::default();
    b.push_int(v);
    (b.size() - 7) as u64
}

/// A node being filled: the master entry and the records after it.
struct Node<'a> {
    master: StreamId,
    fields: Vec<&'a [u8]>,
    header_tail: u64,
    records: Builder,
    count: i64,
}

impl<'a> Node<'a> {
    fn new(first: &'a StreamEntry) -> Node<'a> {
        let fields: Vec<&[u8]> = first.fields.iter().map(|(f, _)| f.as_slice()).collect();
        let mut header = Builder::default();
        header.push_int(0);
        header.push_int(fields.len() as i64);
        for f in &fields {
            header.push(f);
        }
        header.push_int(0);
        Node {
            master: first.id,
            header_tail: (header.size() - 7) as u64,
            fields,
            records: Builder::default(),
            count: 0,
        }
    }

    /// Listpack bytes of the node as Redis would have it now.
    fn bytes(&self) -> u64 {
        7 + int_size(self.count) + self.header_tail + (self.records.size() - 7) as u64
    }

    fn push(&mut self, e: &StreamEntry) {
        let same = e.fields.len() == self.fields.len()
            && e.fields.iter().zip(&self.fields).all(|((f, _), m)| f == m);
        let r = &mut self.records;
        r.push_int(if same { STREAM_FLAG_SAMEFIELDS } else { 0 });
        r.push_int(e.id.ms.wrapping_sub(self.master.ms) as i64);
        r.push_int(e.id.seq.wrapping_sub(self.master.seq) as i64);
        if !same {
            r.push_int(e.fields.len() as i64);
        }
        for (f, v) in &e.fields {
            if !same {
                r.push(f);
            }
            r.push(v);
        }
        let n = e.fields.len() as i64;
        r.push_int(if same { n + 3 } else { 2 * n + 4 });
        self.count += 1;
    }

    fn finish(self) -> (StreamId, Vec<u8>) {
        let mut lp = Builder::default();
        lp.push_int(self.count);
        lp.push_int(0);
        lp.push_int(self.fields.len() as i64);
        for f in &self.fields {
            lp.push(f);
        }
        lp.push_int(0);
        let total_count = lp.count() + self.records.count();
        let mut bytes = lp.finish();
        splice(&mut bytes, &self.records.finish(), total_count);
        (self.master, bytes)
    }
}

/// Appends the entries of listpack `tail` to listpack `head`, fixing the
/// header (total bytes and element count).
fn splice(head: &mut Vec<u8>, tail: &[u8], count: usize) {
    head.pop();
    head.extend_from_slice(tail.get(6..).unwrap_or(&[0xFF]));
    let total = head.len() as u32;
    head[..4].copy_from_slice(&total.to_le_bytes());
    let count = count.min(u16::MAX as usize) as u16;
    head[4..6].copy_from_slice(&count.to_le_bytes());
}

/// Splits entries into node listpacks as consecutive XADDs would, under
/// `stream-node-max-bytes` and `stream-node-max-entries`.
pub fn encode_nodes(
    entries: &[StreamEntry],
    max_bytes: u64,
    max_entries: i64,
) -> Vec<(StreamId, Vec<u8>)> {
    let max_bytes = if max_bytes == 0 || max_bytes > NODE_MAX_SIZE {
        NODE_MAX_SIZE
    } else {
        max_bytes
    };
    let mut nodes = Vec::new();
    let mut current: Option<Node> = None;
    for e in entries {
        let size: u64 = e
            .fields
            .iter()
            .map(|(f, v)| (f.len() + v.len()) as u64)
            .sum();
        if let Some(node) = current.take() {
            let full =
                node.bytes() + size >= max_bytes || (max_entries > 0 && node.count >= max_entries);
            if full {
                nodes.push(node.finish());
            } else {
                current = Some(node);
            }
        }
        current.get_or_insert_with(|| Node::new(e)).push(e);
    }
    nodes.extend(current.map(Node::finish));
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ms: u64, seq: u64, fields: &[(&str, &str)]) -> StreamEntry {
        StreamEntry {
            id: StreamId { ms, seq },
            fields: fields
                .iter()
                .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn nodes_roundtrip_with_and_without_same_fields() {
        let entries = vec![
            entry(1000, 0, &[("a", "1"), ("b", "x")]),
            entry(1000, 1, &[("a", "2"), ("b", "y")]),
            entry(1005, 0, &[("c", "z")]),
            entry(2000, 7, &[("a", "3"), ("b", "w")]),
        ];
        let nodes = encode_nodes(&entries, 4096, 100);
        assert_eq!(nodes.len(), 1);
        let (master, lp) = &nodes[0];
        assert_eq!(*master, StreamId { ms: 1000, seq: 0 });
        assert_eq!(decode_node(*master, lp), Ok(entries.clone()));
        let small = encode_nodes(&entries, 4096, 2);
        assert_eq!(small.len(), 2);
        let mut all = Vec::new();
        for (m, lp) in &small {
            all.extend(decode_node(*m, lp).expect("valid node"));
        }
        assert_eq!(all, entries);
    }

    #[test]
    fn node_sizes_are_tracked_like_redis() {
        let entries: Vec<StreamEntry> = (0..300).map(|i| entry(1, i, &[("f", "v")])).collect();
        let nodes = encode_nodes(&entries, 0, 0);
        assert_eq!(nodes.len(), 1);
        let node = Node::new(&entries[0]);
        let mut n = node;
        for e in &entries {
            n.push(e);
        }
        let predicted = n.bytes();
        assert_eq!(predicted as usize, n.finish().1.len());
    }

    #[test]
    fn corrupt_nodes_are_rejected() {
        let entries = vec![entry(5, 0, &[("a", "1")])];
        let (master, lp) = encode_nodes(&entries, 4096, 100).remove(0);
        let mut bad = lp.clone();
        let n = bad.len();
        bad[n - 3] = 9;
        assert!(decode_node(master, &bad).is_err());
        assert!(decode_node(master, &lp[..lp.len() - 1]).is_err());
    }
}
