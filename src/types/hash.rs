//! The hash type (field -> value) with Redis 7.0's two encodings:
//!
//! - `listpack`: a [`PackedPairs`], one heap buffer holding the fields and
//!   values one after the other, each prefixed by its length. Lookups are
//!   linear, but a small hash costs one allocation and a couple of bytes per
//!   entry. It is reddish's own layout, not Redis's listpack bytes (the RDB
//!   writer converts); only the encoding name it reports is Redis's.
//! - `hashtable`: an insertion-ordered set of [`Pair`]s looked up by field
//!   ([`FieldTable`]), so entries can also be reached by position (random
//!   picks, HSCAN's cursor). A pair keeps field and value in one allocation.
//!
//! A hash starts compact and becomes a table for good once it holds more
//! entries, or a longer field or value, than the [`Limits`] allow.

use super::listpack::MAX_SAFE_SIZE;
use super::sip::SipBuild;
use super::varint;
use super::SmallBytes;
use indexmap::IndexSet;
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Range;

/// The `hashtable` encoding: pairs found by their field.
pub type FieldTable = IndexSet<Pair, SipBuild>;

/// The thresholds of the compact encoding (`hash-max-listpack-entries` and
/// `hash-max-listpack-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

/// The compact encoding (reported as Redis's `listpack`, but reddish's own
/// layout): byte strings in one flat buffer, each its length as a
/// [`varint`] followed by its bytes, fields and values alternating. The
/// buffer is exactly as long as its contents, so an empty hash allocates
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedPairs {
    buf: Box<[u8]>,
}

/// Bytes an entry of `len` bytes takes.
fn entry_size(len: usize) -> usize {
    varint::size(len).saturating_add(len)
}

/// Decodes the entry starting at `pos`: its bytes and where the next starts.
#[inline]
fn entry_at(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let (len, at) = varint::decode(buf, pos)?;
    let end = at.checked_add(len)?;
    Some((buf.get(at..end)?, end))
}

/// Where a field was found: the byte ranges of its entry and of its value's.
struct PairAt {
    field: Range<usize>,
    value: Range<usize>,
}

impl PackedPairs {
    /// The entries in order.
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            buf: &self.buf,
            pos: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Size of the buffer in bytes.
    pub fn byte_len(&self) -> usize {
        self.buf.len()
    }

    /// Appends entries, growing the buffer once.
    pub fn push(&mut self, items: &[&[u8]]) {
        let extra: usize = items.iter().map(|i| entry_size(i.len())).sum();
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.reserve_exact(extra);
        for item in items {
            varint::push(&mut buf, item.len());
            buf.extend_from_slice(item);
        }
        self.buf = buf.into_boxed_slice();
    }

    /// Replaces the entry occupying `range` with one holding `item`.
    fn replace(&mut self, range: Range<usize>, item: &[u8]) {
        let (Some(head), Some(tail)) = (self.buf.get(..range.start), self.buf.get(range.end..))
        else {
            return;
        };
        if range.len() == entry_size(item.len()) {
            let at = range.end - item.len();
            if let Some(slot) = self.buf.get_mut(at..range.end) {
                slot.copy_from_slice(item);
            }
            return;
        }
        let mut buf = Vec::with_capacity(head.len() + entry_size(item.len()) + tail.len());
        buf.extend_from_slice(head);
        varint::push(&mut buf, item.len());
        buf.extend_from_slice(item);
        buf.extend_from_slice(tail);
        self.buf = buf.into_boxed_slice();
    }

    /// Removes the bytes in `range` (whole entries).
    fn cut(&mut self, range: Range<usize>) {
        if range.end > self.buf.len() || range.start > range.end {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.drain(range);
        self.buf = buf.into_boxed_slice();
    }

    /// Finds `field` among the even entries; when it is missing, the number
    /// of pairs instead.
    fn find_pair(&self, field: &[u8]) -> Result<PairAt, usize> {
        let mut pos = 0;
        let mut pairs = 0;
        while let Some((f, value_start)) = entry_at(&self.buf, pos) {
            let Some((_, end)) = entry_at(&self.buf, value_start) else {
                break;
            };
            if f == field {
                return Ok(PairAt {
                    field: pos..value_start,
                    value: value_start..end,
                });
            }
            pairs += 1;
            pos = end;
        }
        Err(pairs)
    }
}

/// Iterator over a [`PackedPairs`]' entries.
#[derive(Clone)]
pub struct Entries<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (item, next) = entry_at(self.buf, self.pos)?;
        self.pos = next;
        Some(item)
    }
}

/// A field and its value in one buffer: the field's length prefix, the
/// field, then the value. A pair is identified by its field alone (equality
/// and hashing look at the field), so a table finds it from a `&[u8]`.
/// A short pair is kept in the table's entry itself.
#[derive(Debug, Clone)]
pub struct Pair(SmallBytes<PAIR_INLINE_MAX>);

/// Longest pair (length prefix, field and value) kept inline: 30 bytes make
/// the pair 32 and its table entry, with the stored hash, 40. A 20-byte
/// field with a short value (`element:000000012345` and a 3-byte value, what
/// redis-benchmark's HSET sends) stays inline, saving the heap block and the
/// cache miss of following a pointer on every lookup.
const PAIR_INLINE_MAX: usize = 30;

impl Pair {
    pub fn new(field: &[u8], value: &[u8]) -> Pair {
        let mut prefix = [0u8; varint::MAX_LEN];
        let n = varint::encode(&mut prefix, field.len());
        Pair(SmallBytes::concat(&[
            prefix.get(..n).unwrap_or_default(),
            field,
            value,
        ]))
    }

    /// Where the value starts.
    fn split(&self) -> usize {
        entry_at(&self.0, 0).map_or(self.0.len(), |(_, end)| end)
    }

    pub fn field(&self) -> &[u8] {
        entry_at(&self.0, 0).map_or(&[], |(field, _)| field)
    }

    pub fn value(&self) -> &[u8] {
        self.0.get(self.split()..).unwrap_or_default()
    }

    /// Bytes of its separate allocation, if it has one.
    pub fn heap_len(&self) -> Option<usize> {
        self.0.is_on_heap().then(|| self.0.len())
    }

    /// Both parts.
    pub fn parts(&self) -> (&[u8], &[u8]) {
        (self.field(), self.value())
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Pair) -> bool {
        self.field() == other.field()
    }
}

impl Eq for Pair {}

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.field().hash(state);
    }
}

impl Borrow<[u8]> for Pair {
    fn borrow(&self) -> &[u8] {
        self.field()
    }
}

/// A hash value in one of its two encodings.
#[derive(Debug, Clone)]
pub enum HashValue {
    /// Alternating field and value entries (named after the encoding it
    /// reports).
    Listpack(PackedPairs),
    Table(Box<FieldTable>),
}

/// Two hashes are equal when they map the same fields to the same values,
/// whatever their encodings and orders.
impl PartialEq for HashValue {
    fn eq(&self, other: &HashValue) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Listpack(PackedPairs::default())
    }
}

impl HashValue {
    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Listpack(_) => "listpack",
            HashValue::Table(_) => "hashtable",
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            HashValue::Listpack(lp) => lp.entries().count() / 2,
            HashValue::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            HashValue::Listpack(lp) => lp.is_empty(),
            HashValue::Table(t) => t.is_empty(),
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            HashValue::Listpack(lp) => {
                let at = lp.find_pair(field).ok()?;
                entry_at(&lp.buf, at.value.start).map(|(v, _)| v)
            }
            HashValue::Table(t) => t.get(field).map(Pair::value),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts to a table before a write that would add strings of the
    /// given lengths, if one of them is too long for the compact encoding
    /// (Redis's `hashTypeTryConversion`, run once per command).
    pub fn prepare_for(&mut self, lengths: impl IntoIterator<Item = usize>, limits: Limits) {
        let HashValue::Listpack(lp) = self else {
            return;
        };
        let mut total = lp.byte_len();
        for len in lengths {
            if len > limits.max_value {
                self.convert_to_table();
                return;
            }
            total = total.saturating_add(entry_size(len));
        }
        if total > MAX_SAFE_SIZE {
            self.convert_to_table();
        }
    }

    /// Sets `field` to `value`; true if the field is new. The hash becomes a
    /// table when the field or value is too long for the compact encoding,
    /// or when the compact one ends up with too many entries.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if field.len() > limits.max_value || value.len() > limits.max_value {
            self.convert_to_table();
        }
        match self {
            HashValue::Listpack(lp) => {
                let added = match lp.find_pair(field) {
                    Ok(at) => {
                        lp.replace(at.value, value);
                        return false;
                    }
                    Err(pairs) => pairs + 1,
                };
                lp.push(&[field, value]);
                if added > limits.max_entries {
                    self.convert_to_table();
                }
                true
            }
            HashValue::Table(t) => t.replace_full(Pair::new(field, value)).1.is_none(),
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Listpack(lp) => match lp.find_pair(field) {
                Ok(at) => {
                    lp.cut(at.field.start..at.value.end);
                    true
                }
                Err(_) => false,
            },
            HashValue::Table(t) => {
                // swap_remove keeps HSCAN's guarantee (see the keyspace SCAN notes in `db`).
                let removed = t.swap_remove(field);
                if removed && t.capacity() > 64 && t.len() * 8 < t.capacity() {
                    t.shrink_to(t.len() * 2);
                }
                removed
            }
        }
    }

    /// The (field, value) pairs in storage order.
    pub fn iter(&self) -> Pairs<'_> {
        match self {
            HashValue::Listpack(lp) => Pairs::Listpack(lp.entries()),
            HashValue::Table(t) => Pairs::Table(t.iter()),
        }
    }

    /// The pair at a position of the storage order (linear for `listpack`).
    pub fn pair_at(&self, index: usize) -> Option<(&[u8], &[u8])> {
        match self {
            HashValue::Listpack(_) => self.iter().nth(index),
            HashValue::Table(t) => t.get_index(index).map(Pair::parts),
        }
    }

    /// Constant-time access to the pairs by position, for drawing many
    /// random pairs (indexes the compact encoding once).
    pub fn positional(&self) -> Positional<'_> {
        match self {
            HashValue::Listpack(_) => Positional::Listed(self.iter().collect()),
            HashValue::Table(t) => Positional::Table(t),
        }
    }

    /// Switches to the `hashtable` encoding (no-op if already there).
    pub fn convert_to_table(&mut self) {
        if let HashValue::Listpack(_) = self {
            let mut table = FieldTable::with_capacity_and_hasher(self.len(), SipBuild);
            table.extend(self.iter().map(|(f, v)| Pair::new(f, v)));
            *self = HashValue::Table(Box::new(table));
        }
    }
}

/// Iterator over a hash's (field, value) pairs.
pub enum Pairs<'a> {
    Listpack(Entries<'a>),
    Table(indexmap::set::Iter<'a, Pair>),
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Pairs::Listpack(entries) => Some((entries.next()?, entries.next()?)),
            Pairs::Table(it) => it.next().map(Pair::parts),
        }
    }
}

/// A hash's pairs addressable by position in O(1).
pub enum Positional<'a> {
    Listed(Vec<(&'a [u8], &'a [u8])>),
    Table(&'a FieldTable),
}

impl<'a> Positional<'a> {
    pub fn len(&self) -> usize {
        match self {
            Positional::Listed(pairs) => pairs.len(),
            Positional::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, index: usize) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            Positional::Listed(pairs) => pairs.get(index).copied(),
            Positional::Table(t) => t.get_index(index).map(Pair::parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        max_entries: 4,
        max_value: 8,
    };

    #[test]
    fn a_benchmark_sized_pair_is_inline_in_a_40_byte_entry() {
        assert_eq!(std::mem::size_of::<Pair>(), 32);
        let pair = Pair::new(b"element:000000012345", b"xxx");
        assert_eq!(pair.heap_len(), None);
        assert_eq!(pair.parts(), (&b"element:000000012345"[..], &b"xxx"[..]));
        let long = Pair::new(b"element:000000012345", b"0123456789");
        assert_eq!(long.heap_len(), Some(31));
        assert_eq!(long.value(), b"0123456789");
    }

    fn pairs(h: &HashValue) -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn length_prefixes_round_trip() {
        let mut lp = PackedPairs::default();
        let long = vec![b'x'; 300];
        let huge = vec![b'y'; 70_000];
        lp.push(&[b"", b"a", &long, &huge]);
        let items: Vec<&[u8]> = lp.entries().collect();
        assert_eq!(items, vec![b"".as_slice(), b"a", &long, &huge]);
        assert_eq!(lp.byte_len(), 1 + 2 + 302 + 70_003);
    }

    #[test]
    fn compact_set_get_update_remove() {
        let mut h = HashValue::default();
        assert!(h.insert(b"a", b"1", SMALL));
        assert!(h.insert(b"b", b"2", SMALL));
        assert!(!h.insert(b"a", b"one", SMALL));
        assert!(!h.insert(b"b", b"3", SMALL));
        assert_eq!(h.get(b"a"), Some(b"one".as_slice()));
        assert_eq!(h.get(b"b"), Some(b"3".as_slice()));
        assert_eq!(h.get(b"c"), None);
        assert_eq!(h.len(), 2);
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(pairs(&h), vec![(b"b".to_vec(), b"3".to_vec())]);
        assert!(h.remove(b"b"));
        assert!(h.is_empty());
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn a_value_equal_to_a_field_is_not_a_field() {
        let mut h = HashValue::default();
        h.insert(b"f", b"g", SMALL);
        assert_eq!(h.get(b"g"), None);
        assert!(h.insert(b"g", b"f", SMALL));
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn converts_past_the_entry_limit() {
        let mut h = HashValue::default();
        for i in 0..4 {
            h.insert(format!("f{i}").as_bytes(), b"v", SMALL);
        }
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"f0", b"w", SMALL);
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"f4", b"v", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"f0"), Some(b"w".as_slice()));
        h.remove(b"f4");
        h.remove(b"f3");
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn converts_on_long_field_or_value() {
        let mut h = HashValue::default();
        h.insert(b"12345678", b"12345678", SMALL);
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"k", b"123456789", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::default();
        h.prepare_for([1, 9], SMALL);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn positional_access_matches_iteration() {
        let mut h = HashValue::default();
        for i in 0..3 {
            h.insert(
                format!("f{i}").as_bytes(),
                format!("v{i}").as_bytes(),
                SMALL,
            );
        }
        let p = h.positional();
        assert_eq!(p.len(), 3);
        assert_eq!(p.get(1), Some((b"f1".as_slice(), b"v1".as_slice())));
        assert_eq!(h.pair_at(2), Some((b"f2".as_slice(), b"v2".as_slice())));
        assert_eq!(h.pair_at(3), None);
        let compact = h.clone();
        h.convert_to_table();
        assert_eq!(h.positional().get(0), h.pair_at(0));
        assert_eq!(h, compact);
        h.insert(b"f0", b"other", SMALL);
        assert_ne!(h, compact);
    }

    #[test]
    fn pairs_keep_field_and_value_apart() {
        let long = vec![b'f'; 200];
        for (field, value) in [(b"".as_slice(), b"".as_slice()), (b"f", b"v"), (&long, b"")] {
            let pair = Pair::new(field, value);
            assert_eq!(pair.parts(), (field, value));
        }
        assert_eq!(Pair::new(b"f", b"1"), Pair::new(b"f", b"2"));
    }

    #[test]
    fn replacing_with_a_longer_value_keeps_neighbours() {
        let mut h = HashValue::default();
        let big = Limits {
            max_entries: 10,
            max_value: 1000,
        };
        h.insert(b"a", b"1", big);
        h.insert(b"b", b"2", big);
        h.insert(b"c", b"3", big);
        h.insert(b"b", &[b'z'; 200], big);
        assert_eq!(h.get(b"a"), Some(b"1".as_slice()));
        assert_eq!(h.get(b"b"), Some([b'z'; 200].as_slice()));
        assert_eq!(h.get(b"c"), Some(b"3".as_slice()));
        h.insert(b"b", b"x", big);
        assert_eq!(h.len(), 3);
        assert_eq!(h.get(b"c"), Some(b"3".as_slice()));
    }
}
