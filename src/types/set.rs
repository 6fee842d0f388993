//! The set type with Redis 7.0's two encodings.
//!
//! - `intset`: the members as a sorted array of integers, stored at the
//!   narrowest width (16, 32 or 64 bits) that holds every one of them, so a
//!   small set of small numbers costs two bytes a member. Used while every
//!   member is an integer (Redis's `string2ll` rules) and the set has at
//!   most `set-max-intset-entries` members.
//! - `hashtable`: an insertion-ordered hash set of byte strings, with O(1)
//!   membership and O(1) access by position (what SPOP, SRANDMEMBER and
//!   SSCAN need). Removal moves the last member into the hole, which keeps
//!   SSCAN's guarantee (see `db::scan_positions`).
//!
//! A set only ever converts from `intset` to `hashtable`, never back, as in
//! Redis.

use super::sip::SipBuild;
use super::SmallBytes;
use crate::util::{i64_text, parse_i64};
use indexmap::map::raw_entry_v1::RawEntryMut;
use indexmap::map::RawEntryApiV1;
use indexmap::IndexMap;
use std::hash::BuildHasher;

/// Bytes of an intset's header in Redis (encoding and length), for sizes.
const INTSET_HEADER_BYTES: usize = 8;

/// Largest intset Redis allows whatever `set-max-intset-entries` says.
pub const INTSET_MAX_ENTRIES: u64 = 1 << 30;

/// Sorted, distinct integers at the narrowest width (2, 4 or 8 bytes) that
/// fits them all, little-endian in one exact-size buffer whose first byte
/// is the width (an empty set has no buffer). One buffer and no capacity
/// keep a small set to one small allocation and the set value to 16 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntSet {
    buf: Box<[u8]>,
}

/// The width in bytes a member needs.
fn width_for(x: i64) -> usize {
    if i16::try_from(x).is_ok() {
        2
    } else if i32::try_from(x).is_ok() {
        4
    } else {
        8
    }
}

/// Reads a little-endian signed integer of `bytes.len()` (2, 4 or 8) bytes.
fn read_int(bytes: &[u8]) -> i64 {
    match bytes.len() {
        2 => i64::from(i16::from_le_bytes(bytes.try_into().unwrap_or_default())),
        4 => i64::from(i32::from_le_bytes(bytes.try_into().unwrap_or_default())),
        _ => i64::from_le_bytes(bytes.try_into().unwrap_or_default()),
    }
}

/// The low `width` bytes of `x`, little-endian (its value when it fits).
fn int_bytes(x: i64, width: usize) -> impl Iterator<Item = u8> {
    x.to_le_bytes().into_iter().take(width)
}

impl IntSet {
    /// Bytes per member: 2, 4 or 8.
    pub fn width(&self) -> usize {
        self.buf.first().map_or(2, |&w| usize::from(w))
    }

    fn members(&self) -> &[u8] {
        self.buf.get(1..).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.members().len() / self.width()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Size of Redis's intset blob holding these members.
    pub fn blob_len(&self) -> usize {
        INTSET_HEADER_BYTES + self.len() * self.width()
    }

    /// The member at a position in ascending order.
    pub fn get(&self, index: usize) -> Option<i64> {
        let w = self.width();
        let at = index.checked_mul(w)?;
        self.members().get(at..at + w).map(read_int)
    }

    /// Where `x` is (Ok) or would go (Err).
    fn search(&self, x: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).map(|m| m.cmp(&x)) {
                Some(std::cmp::Ordering::Less) => lo = mid + 1,
                Some(std::cmp::Ordering::Greater) | None => hi = mid,
                Some(std::cmp::Ordering::Equal) => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, x: i64) -> bool {
        width_for(x) <= self.width() && self.search(x).is_ok()
    }

    /// Adds `x`, widening every member first if `x` needs more bits.
    /// False if it was already there.
    pub fn insert(&mut self, x: i64) -> bool {
        let width = self.width();
        if width_for(x) > width {
            self.insert_widening(x);
            return true;
        }
        let Err(pos) = self.search(x) else {
            return false;
        };
        let (before, after) = self.members().split_at(pos * width);
        let mut buf = Vec::with_capacity(1 + before.len() + width + after.len());
        buf.push(width as u8);
        buf.extend_from_slice(before);
        buf.extend(int_bytes(x, width));
        buf.extend_from_slice(after);
        self.buf = buf.into_boxed_slice();
        true
    }

    /// Adds `x`, wider than every member: re-encodes them all at its width
    /// with `x` first (negative) or last.
    fn insert_widening(&mut self, x: i64) {
        let width = width_for(x);
        let mut buf = Vec::with_capacity(1 + (self.len() + 1) * width);
        buf.push(width as u8);
        if x < 0 {
            buf.extend(int_bytes(x, width));
        }
        for m in self.iter() {
            buf.extend(int_bytes(m, width));
        }
        if x >= 0 {
            buf.extend(int_bytes(x, width));
        }
        self.buf = buf.into_boxed_slice();
    }

    /// Removes `x` (the width never shrinks, as in Redis). False if absent.
    pub fn remove(&mut self, x: i64) -> bool {
        if !self.contains(x) {
            return false;
        }
        let Ok(pos) = self.search(x) else {
            return false;
        };
        let w = self.width();
        let at = 1 + pos * w;
        let mut buf = self.buf.to_vec();
        buf.drain(at..at + w);
        self.buf = if buf.len() > 1 {
            buf.into_boxed_slice()
        } else {
            Box::default()
        };
        true
    }

    /// Removes and returns the member at a position.
    pub fn remove_at(&mut self, index: usize) -> Option<i64> {
        let x = self.get(index)?;
        self.remove(x);
        Some(x)
    }

    /// The members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.members().chunks_exact(self.width()).map(read_int)
    }
}

/// The members of a `hashtable` set (the map's values are unused). Short
/// members are kept in the table's entries themselves.
pub type Table = IndexMap<SmallBytes, (), SipBuild>;

/// One member as a set stores it: an intset holds numbers, a hashtable
/// holds bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member's bytes; `tmp` holds the text of a number.
    pub fn bytes<'b>(&self, tmp: &'b mut [u8; 21]) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            Member::Int(n) => i64_text(tmp, n),
            Member::Bytes(b) => b,
        }
    }

    pub fn to_boxed(self) -> Box<[u8]> {
        let mut tmp = [0u8; 21];
        self.bytes(&mut tmp).into()
    }

    /// The member's bytes, owned.
    pub fn to_small(self) -> SmallBytes {
        let mut tmp = [0u8; 21];
        SmallBytes::from(self.bytes(&mut tmp))
    }
}

/// A set value in one of its two encodings.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Ints(IntSet),
    /// Boxed: a hash table header is much larger than the other values.
    Table(Box<Table>),
}

impl SetValue {
    /// An empty set able to hold `first` in the most compact encoding
    /// (Redis's `setTypeCreate`): an intset for an integer.
    pub fn for_member(first: &[u8]) -> Self {
        if parse_i64(first).is_some() {
            SetValue::Ints(IntSet::default())
        } else {
            SetValue::Table(Box::default())
        }
    }

    /// An empty intset, what set operations start their result from.
    pub fn empty_intset() -> Self {
        SetValue::Ints(IntSet::default())
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::Ints(s) => s.len(),
            SetValue::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Ints(_) => "intset",
            SetValue::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.contains_member(Member::Bytes(member))
    }

    pub fn contains_member(&self, member: Member) -> bool {
        match (self, member) {
            (SetValue::Ints(s), Member::Int(n)) => s.contains(n),
            (SetValue::Ints(s), Member::Bytes(b)) => parse_i64(b).is_some_and(|n| s.contains(n)),
            (SetValue::Table(t), m) => {
                let mut tmp = [0u8; 21];
                t.contains_key(m.bytes(&mut tmp))
            }
        }
    }

    /// Adds a member; false if it was already there. An intset becomes a
    /// hashtable when the member is not an integer or the set grows past
    /// `intset_limit` members.
    pub fn add(&mut self, member: &[u8], intset_limit: usize) -> bool {
        self.add_member(Member::Bytes(member), intset_limit)
    }

    pub fn add_member(&mut self, member: Member, intset_limit: usize) -> bool {
        let number = match member {
            Member::Int(n) => Some(n),
            Member::Bytes(b) => parse_i64(b),
        };
        if let (SetValue::Ints(s), Some(n)) = (&mut *self, number) {
            if !s.insert(n) {
                return false;
            }
            if s.len() > intset_limit {
                self.convert_to_table();
            }
            return true;
        }
        let table = self.table_mut();
        let mut tmp = [0u8; 21];
        let bytes = member.bytes(&mut tmp);
        // Hashed once: the vacant entry would hash the member again.
        let hash = SipBuild.hash_one(bytes);
        match table
            .raw_entry_mut_v1()
            .from_key_hashed_nocheck(hash, bytes)
        {
            RawEntryMut::Occupied(_) => false,
            RawEntryMut::Vacant(slot) => {
                slot.insert_hashed_nocheck(hash, bytes.into(), ());
                true
            }
        }
    }

    /// Removes a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.remove_member(Member::Bytes(member))
    }

    pub fn remove_member(&mut self, member: Member) -> bool {
        match (&mut *self, member) {
            (SetValue::Ints(s), Member::Int(n)) => s.remove(n),
            (SetValue::Ints(s), Member::Bytes(b)) => parse_i64(b).is_some_and(|n| s.remove(n)),
            (SetValue::Table(t), m) => {
                let mut tmp = [0u8; 21];
                let removed = t.swap_remove(m.bytes(&mut tmp)).is_some();
                shrink_if_sparse(t);
                removed
            }
        }
    }

    /// The member at a position (`0..len`): ascending order for an intset,
    /// storage order for a hashtable. Uniform random picks use this.
    pub fn member_at(&self, index: usize) -> Option<Member<'_>> {
        match self {
            SetValue::Ints(s) => s.get(index).map(Member::Int),
            SetValue::Table(t) => t.get_index(index).map(|(k, _)| Member::Bytes(k)),
        }
    }

    /// Removes and returns the member at a position.
    pub fn pop_at(&mut self, index: usize) -> Option<SmallBytes> {
        match self {
            SetValue::Ints(s) => s.remove_at(index).map(|n| Member::Int(n).to_small()),
            SetValue::Table(t) => {
                let popped = t.swap_remove_index(index).map(|(k, ())| k);
                shrink_if_sparse(t);
                popped
            }
        }
    }

    /// Every member, in position order.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> + '_ {
        (0..self.len()).map_while(|i| self.member_at(i))
    }

    /// The hashtable, converting an intset first.
    fn table_mut(&mut self) -> &mut Table {
        if let SetValue::Ints(_) = self {
            self.convert_to_table();
        }
        match self {
            SetValue::Table(t) => t,
            SetValue::Ints(_) => unreachable!("converted to a hashtable above"),
        }
    }

    fn convert_to_table(&mut self) {
        if let SetValue::Ints(s) = self {
            let mut table = Table::with_capacity_and_hasher(s.len() + 1, SipBuild);
            for n in s.iter() {
                table.insert(Member::Int(n).to_small(), ());
            }
            *self = SetValue::Table(Box::new(table));
        }
    }
}

/// Gives memory back once a table is mostly empty (as Redis resizes its
/// dict). Halving only when under an eighth full keeps this amortised O(1).
fn shrink_if_sparse(t: &mut Table) {
    const MIN_CAPACITY: usize = 64;
    if t.capacity() > MIN_CAPACITY && t.len() * 8 < t.capacity() {
        t.shrink_to((t.len() * 2).max(MIN_CAPACITY));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &SetValue) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = s.iter().map(|m| m.to_boxed().into_vec()).collect();
        out.sort();
        out
    }

    #[test]
    fn intset_widens_and_stays_sorted() {
        let mut s = IntSet::default();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert_eq!(s.width(), 2);
        assert!(s.insert(70_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 70_000]);
        assert!(s.contains(-3) && !s.contains(4));
        assert!(s.remove(70_000));
        assert_eq!((s.width(), s.len(), s.blob_len()), (8, 3, 8 + 24));
        assert_eq!(s.remove_at(0), Some(i64::MIN));
        assert_eq!(s.remove_at(5), None);
    }

    #[test]
    fn narrow_intset_rejects_wide_lookups() {
        let mut s = IntSet::default();
        s.insert(1);
        assert!(!s.contains(1 << 40));
        assert!(!s.remove(1 << 40));
    }

    #[test]
    fn intset_converts_on_text_or_size() {
        let mut s = SetValue::for_member(b"1");
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"1", 3));
        assert!(s.add(b"2", 3));
        assert!(!s.add(b"2", 3));
        assert!(s.add(b"3", 3));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"4", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"4") && s.contains_member(Member::Int(1)));

        let mut s = SetValue::for_member(b"1");
        s.add(b"1", 512);
        assert!(s.add(b"01", 512));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(members(&s), vec![b"01".to_vec(), b"1".to_vec()]);
    }

    #[test]
    fn zero_limit_converts_the_first_integer() {
        let mut s = SetValue::for_member(b"7");
        s.add(b"7", 0);
        assert_eq!((s.encoding(), s.len()), ("hashtable", 1));
    }

    #[test]
    fn text_members_never_match_an_intset() {
        let mut s = SetValue::empty_intset();
        s.add(b"10", 512);
        assert!(!s.contains(b"abc") && !s.contains(b"010") && !s.contains(b"+10"));
        assert!(!s.remove(b"x"));
        assert!(s.remove(b"10"));
        assert!(s.is_empty());
    }

    #[test]
    fn pops_by_position() {
        let mut s = SetValue::for_member(b"a");
        for m in [&b"a"[..], b"b", b"c"] {
            s.add(m, 512);
        }
        assert_eq!(s.pop_at(0).as_deref(), Some(&b"a"[..]));
        assert_eq!(s.member_at(0), Some(Member::Bytes(b"c")));
        assert_eq!(s.pop_at(9), None);
        let mut s = SetValue::empty_intset();
        s.add(b"-4", 512);
        assert_eq!(s.pop_at(0).as_deref(), Some(&b"-4"[..]));
    }

    #[test]
    fn table_shrinks_after_mass_removal() {
        let mut s = SetValue::for_member(b"x");
        for i in 0..10_000 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        for i in 0..9_990 {
            assert!(s.remove(format!("m{i}").as_bytes()));
        }
        let SetValue::Table(t) = &s else {
            panic!("expected a hashtable")
        };
        assert!(t.capacity() < 1000);
        assert_eq!(s.len(), 10);
        assert!(s.contains(b"m9995"));
    }
}
