//! The layout of one stream node: a listpack holding a run of entries, as
//! Redis lays it out.
//!
//! The node starts with a "master entry": live count, deleted count, the
//! number of fields and the field names of the node's first entry, and a 0
//! terminator. Every entry follows as: flags, ms and seq as differences from
//! the node's key (the master ID), then either the values alone (flag
//! SAMEFIELDS: same field names as the master entry) or the field count and
//! field/value pairs, and finally the number of elements the entry took so
//! it can be walked backwards. Deleted entries stay in place with the
//! DELETED flag until the whole node goes.
//!
//! Reading a node built here trusts its layout; a node from outside (a
//! file, a RESTORE payload) is first checked by [`validate`].

use super::id::StreamId;
use crate::types::listpack::{self, Corrupt, Elem, Listpack};

pub const FLAG_DELETED: i64 = 1;
pub const FLAG_SAMEFIELDS: i64 = 2;

/// Fixed elements of an entry: flags, ms difference, seq difference.
const ENTRY_FIXED: i64 = 3;

/// The master entry of a node.
#[derive(Debug, Clone, Copy)]
pub struct Master {
    /// Live entries.
    pub count: i64,
    /// Entries flagged deleted.
    pub deleted: i64,
    pub num_fields: usize,
    /// Position of the first master field.
    pub fields_pos: Option<usize>,
    /// Position of the master entry's 0 terminator.
    pub terminator: Option<usize>,
}

/// Reads the master entry.
pub fn master(lp: &Listpack) -> Master {
    let count_pos = lp.first();
    let deleted_pos = count_pos.and_then(|p| lp.next(p));
    let fields_count_pos = deleted_pos.and_then(|p| lp.next(p));
    let num_fields = fields_count_pos.map_or(0, |p| lp.get_int(p)).max(0) as usize;
    let fields_pos = fields_count_pos.and_then(|p| lp.next(p));
    let terminator = skip(lp, fields_pos, num_fields);
    Master {
        count: count_pos.map_or(0, |p| lp.get_int(p)),
        deleted: deleted_pos.map_or(0, |p| lp.get_int(p)),
        num_fields,
        fields_pos,
        terminator,
    }
}

/// The position `n` elements after `pos`.
pub fn skip(lp: &Listpack, mut pos: Option<usize>, n: usize) -> Option<usize> {
    for _ in 0..n {
        pos = lp.next(pos?);
    }
    pos
}

/// The position `n` elements before `pos`.
fn skip_back(lp: &Listpack, mut pos: Option<usize>, n: i64) -> Option<usize> {
    for _ in 0..n {
        pos = lp.prev(pos?);
    }
    pos
}

/// Sets the live and deleted counts.
pub fn set_counts(lp: &mut Listpack, count: i64, deleted: i64) {
    lp.replace_int(0, count);
    if let Some(p) = lp.next(0) {
        lp.replace_int(p, deleted);
    }
}

/// Elements of an entry with `num_fields` fields, lp-count excluded.
fn entry_elements(num_fields: usize, same_fields: bool) -> i64 {
    let n = num_fields as i64;
    if same_fields {
        ENTRY_FIXED + n
    } else {
        ENTRY_FIXED + 1 + 2 * n
    }
}

/// A new node whose master entry takes the fields of its first entry
/// (`pairs` alternates fields and values), holding that entry.
pub fn new_node(id: StreamId, pairs: &[&[u8]], capacity: usize) -> Listpack {
    let mut lp = Listpack::with_capacity(capacity);
    let num_fields = pairs.len() / 2;
    lp.push_int(1);
    lp.push_int(0);
    lp.push_int(num_fields as i64);
    for field in pairs.iter().step_by(2) {
        lp.push(field);
    }
    lp.push_int(0);
    push_entry(&mut lp, id, id, pairs, true);
    lp
}

/// Appends an entry to a node whose master ID is `master_id`.
pub fn append(lp: &mut Listpack, master_id: StreamId, id: StreamId, pairs: &[&[u8]]) {
    let m = master(lp);
    set_counts(lp, m.count + 1, m.deleted);
    let m = master(lp);
    let same = m.num_fields == pairs.len() / 2 && {
        let mut pos = m.fields_pos;
        pairs.iter().step_by(2).all(|field| {
            let equal = pos.is_some_and(|p| lp.get(p).eq_bytes(field));
            pos = pos.and_then(|p| lp.next(p));
            equal
        })
    };
    push_entry(lp, master_id, id, pairs, same);
}

fn push_entry(lp: &mut Listpack, master_id: StreamId, id: StreamId, pairs: &[&[u8]], same: bool) {
    let num_fields = pairs.len() / 2;
    lp.push_int(if same { FLAG_SAMEFIELDS } else { 0 });
    lp.push_int(id.ms.wrapping_sub(master_id.ms) as i64);
    lp.push_int(id.seq.wrapping_sub(master_id.seq) as i64);
    if same {
        for value in pairs.iter().skip(1).step_by(2) {
            lp.push(value);
        }
    } else {
        lp.push_int(num_fields as i64);
        for item in pairs.iter().take(2 * num_fields) {
            lp.push(item);
        }
    }
    lp.push_int(entry_elements(num_fields, same));
}

/// One entry located inside a node.
#[derive(Debug, Clone, Copy)]
pub struct EntryAt {
    pub id: StreamId,
    pub flags: i64,
    pub num_fields: usize,
    /// Position of the flags element.
    pub flags_pos: usize,
    /// Position of the first field (or first value with SAMEFIELDS).
    pub data_pos: Option<usize>,
}

impl EntryAt {
    pub fn deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }

    pub fn same_fields(&self) -> bool {
        self.flags & FLAG_SAMEFIELDS != 0
    }
}

/// Reads the entry whose flags element is at `pos`.
pub fn entry_at(lp: &Listpack, master_id: StreamId, m: &Master, pos: usize) -> EntryAt {
    let flags = lp.get_int(pos);
    let ms_pos = lp.next(pos);
    let seq_pos = ms_pos.and_then(|p| lp.next(p));
    let ms = ms_pos.map_or(0, |p| lp.get_int(p));
    let seq = seq_pos.map_or(0, |p| lp.get_int(p));
    let id = StreamId::new(
        master_id.ms.wrapping_add(ms as u64),
        master_id.seq.wrapping_add(seq as u64),
    );
    let after_id = seq_pos.and_then(|p| lp.next(p));
    let (num_fields, data_pos) = if flags & FLAG_SAMEFIELDS != 0 {
        (m.num_fields, after_id)
    } else {
        let n = after_id.map_or(0, |p| lp.get_int(p)).max(0) as usize;
        (n, after_id.and_then(|p| lp.next(p)))
    };
    EntryAt {
        id,
        flags,
        num_fields,
        flags_pos: pos,
        data_pos,
    }
}

/// Position of the lp-count element closing `e`.
fn entry_end(lp: &Listpack, e: &EntryAt) -> Option<usize> {
    let data = if e.same_fields() {
        e.num_fields
    } else {
        2 * e.num_fields
    };
    skip(lp, e.data_pos, data)
}

/// Position of the flags of the entry after `e`.
pub fn next_entry(lp: &Listpack, e: &EntryAt) -> Option<usize> {
    entry_end(lp, e).and_then(|p| lp.next(p))
}

/// Position of the flags of the first entry.
pub fn first_entry(lp: &Listpack, m: &Master) -> Option<usize> {
    m.terminator.and_then(|p| lp.next(p))
}

/// Position of the flags of the entry whose lp-count is at `count_pos`
/// (`None` when it is the master entry's terminator).
pub fn entry_ending_at(lp: &Listpack, count_pos: usize) -> Option<usize> {
    let n = lp.get_int(count_pos);
    if n <= 0 {
        return None;
    }
    skip_back(lp, Some(count_pos), n)
}

/// Position of the flags of the last entry.
pub fn last_entry(lp: &Listpack) -> Option<usize> {
    entry_ending_at(lp, lp.last()?)
}

/// Position of the flags of the entry before the one at `flags_pos`.
pub fn prev_entry(lp: &Listpack, flags_pos: usize) -> Option<usize> {
    entry_ending_at(lp, lp.prev(flags_pos)?)
}

/// Checks the byte form of a node that comes from outside, as Redis's deep
/// `streamValidateListpackIntegrity` does: a valid listpack holding a
/// master entry and then exactly as many entries (live plus deleted) as it
/// counts, each laid out as above with its element count right. Returns
/// the ID of the first live entry, if any.
pub fn validate(master_id: StreamId, bytes: &[u8]) -> Result<Option<StreamId>, Corrupt> {
    let mut c = Checked(listpack::entries(bytes)?.into_iter());
    let live = c.count()?;
    let deleted = c.count()?;
    let master_fields = c.count()?;
    for _ in 0..master_fields {
        c.elem()?;
    }
    if c.int()? != 0 {
        return Err(Corrupt);
    }
    let mut first_live = None;
    for _ in 0..live.checked_add(deleted).ok_or(Corrupt)? {
        let flags = c.int()?;
        let id = StreamId::new(
            master_id.ms.wrapping_add(c.int()? as u64),
            master_id.seq.wrapping_add(c.int()? as u64),
        );
        let same_fields = flags & FLAG_SAMEFIELDS != 0;
        let num_fields = if same_fields {
            master_fields
        } else {
            c.count()?
        };
        let data = if same_fields {
            num_fields
        } else {
            2 * num_fields
        };
        for _ in 0..data {
            c.elem()?;
        }
        if c.count()? as i64 != entry_elements(num_fields, same_fields) {
            return Err(Corrupt);
        }
        if flags & FLAG_DELETED == 0 && first_live.is_none() {
            first_live = Some(id);
        }
    }
    match c.0.next() {
        Some(_) => Err(Corrupt),
        None => Ok(first_live),
    }
}

/// The elements of a node being checked, read strictly.
struct Checked<'a>(std::vec::IntoIter<Elem<'a>>);

impl<'a> Checked<'a> {
    fn elem(&mut self) -> Result<Elem<'a>, Corrupt> {
        self.0.next().ok_or(Corrupt)
    }

    fn int(&mut self) -> Result<i64, Corrupt> {
        self.elem()?.as_i64().ok_or(Corrupt)
    }

    fn count(&mut self) -> Result<usize, Corrupt> {
        usize::try_from(self.int()?).map_err(|_| Corrupt)
    }
}

/// Walks the field/value pairs of an entry.
#[derive(Clone)]
pub struct Fields<'a> {
    lp: &'a Listpack,
    /// Next master field (SAMEFIELDS entries).
    master_field: Option<usize>,
    same_fields: bool,
    pos: Option<usize>,
    left: usize,
}

impl<'a> Fields<'a> {
    pub fn new(lp: &'a Listpack, m: &Master, e: &EntryAt) -> Self {
        Fields {
            lp,
            master_field: m.fields_pos,
            same_fields: e.same_fields(),
            pos: e.data_pos,
            left: e.num_fields,
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (Elem<'a>, Elem<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let lp = self.lp;
        let field = if self.same_fields {
            let p = self.master_field?;
            self.master_field = lp.next(p);
            lp.get(p)
        } else {
            let p = self.pos?;
            self.pos = lp.next(p);
            lp.get(p)
        };
        let p = self.pos?;
        self.pos = lp.next(p);
        Some((field, lp.get(p)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs<'a> = Vec<(Elem<'a>, Elem<'a>)>;

    fn entries(lp: &Listpack, master_id: StreamId) -> Vec<(StreamId, bool, Pairs<'_>)> {
        let m = master(lp);
        let mut out = Vec::new();
        let mut pos = first_entry(lp, &m);
        while let Some(p) = pos {
            let e = entry_at(lp, master_id, &m, p);
            out.push((e.id, e.deleted(), Fields::new(lp, &m, &e).collect()));
            pos = next_entry(lp, &e);
        }
        out
    }

    #[test]
    fn entries_compress_against_the_master_fields() {
        let base = StreamId::new(100, 0);
        let mut lp = new_node(base, &[b"a", b"1", b"b", b"x"], 64);
        append(
            &mut lp,
            base,
            StreamId::new(100, 1),
            &[b"a", b"2", b"b", b"y"],
        );
        append(&mut lp, base, StreamId::new(105, 0), &[b"c", b"3"]);
        let m = master(&lp);
        assert_eq!((m.count, m.deleted, m.num_fields), (3, 0, 2));
        let all = entries(&lp, base);
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].0, StreamId::new(100, 1));
        assert_eq!(
            all[1].2,
            vec![
                (Elem::Str(b"a"), Elem::Int(2)),
                (Elem::Str(b"b"), Elem::Str(b"y"))
            ]
        );
        assert_eq!(all[2].2, vec![(Elem::Str(b"c"), Elem::Int(3))]);
        // Walking backwards finds the same entries.
        let mut back = Vec::new();
        let mut pos = last_entry(&lp);
        while let Some(p) = pos {
            back.push(entry_at(&lp, base, &m, p).id);
            pos = prev_entry(&lp, p);
        }
        assert_eq!(
            back,
            vec![StreamId::new(105, 0), StreamId::new(100, 1), base]
        );
    }

    #[test]
    fn validate_checks_the_layout() {
        let base = StreamId::new(5, 0);
        let mut lp = new_node(base, &[b"a", b"1"], 64);
        append(
            &mut lp,
            base,
            StreamId::new(5, 1),
            &[b"b", b"x", b"c", b"y"],
        );
        append(&mut lp, base, StreamId::new(6, 0), &[b"a", b"3"]);
        let bytes = lp.to_bytes();
        assert_eq!(validate(base, &bytes), Ok(Some(base)));
        // Flag the first entry deleted: the next one is the first live.
        let m = master(&lp);
        let first = first_entry(&lp, &m).expect("an entry");
        lp.replace_int(first, FLAG_SAMEFIELDS | FLAG_DELETED);
        set_counts(&mut lp, 2, 1);
        assert_eq!(
            validate(base, &lp.to_bytes()),
            Ok(Some(StreamId::new(5, 1)))
        );
        // A wrong element count closing the last entry, a cut node, a
        // count of entries that does not match.
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - 3] = 9;
        assert_eq!(validate(base, &bad), Err(Corrupt));
        assert_eq!(validate(base, &bytes[..n - 1]), Err(Corrupt));
        let mut more = lp.clone();
        set_counts(&mut more, 3, 1);
        assert_eq!(validate(base, &more.to_bytes()), Err(Corrupt));
        let mut trailing = lp;
        trailing.push_int(0);
        assert_eq!(validate(base, &trailing.to_bytes()), Err(Corrupt));
    }
}
