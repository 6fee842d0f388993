//! The compact sorted-set encoding, reported as Redis's `listpack` but laid
//! out in reddish's own way: every (member, score) pair back to back in one
//! byte buffer, kept in (score, member) order. Lookups and updates are linear scans, which is fast for the small
//! sets this encoding is used for and costs a few bytes per entry instead of
//! the nodes and hash entries of the skiplist encoding.
//!
//! Layout: a little-endian `u32` entry count, then per entry the member's
//! length as a [`varint`], the member bytes, and the score: one tag byte,
//! followed by the payload its tag names. Integral scores take 1 to 5 bytes
//! (small non-negative ones fit in the tag itself), other scores 9. The RDB
//! writer turns it into a real listpack.

use super::entry_cmp;
use crate::types::varint;
use std::cmp::Ordering;

/// Bytes of the entry-count header.
const HEADER: usize = 4;
/// Score tags: an IEEE double follows.
const TAG_F64: u8 = 0;
/// A signed 8-bit integer follows.
const TAG_I8: u8 = 1;
/// A signed 16-bit integer follows (little-endian).
const TAG_I16: u8 = 2;
/// A signed 24-bit integer follows (little-endian).
const TAG_I24: u8 = 3;
/// A signed 32-bit integer follows (little-endian).
const TAG_I32: u8 = 4;
/// Tags from this one up hold the integer `tag - TAG_SMALL` with no payload.
const TAG_SMALL: u8 = 5;
/// Range of a signed 24-bit integer.
const I24_MIN: i32 = -(1 << 23);
const I24_MAX: i32 = (1 << 23) - 1;
/// Longest encoded score: tag plus eight bytes.
const MAX_SCORE_BYTES: usize = 9;

/// A sorted set in one contiguous buffer, sized exactly (a boxed slice
/// keeps the value small: no capacity field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedZSet {
    buf: Box<[u8]>,
}

impl Default for PackedZSet {
    fn default() -> Self {
        PackedZSet {
            buf: vec![0; HEADER].into_boxed_slice(),
        }
    }
}

/// One decoded entry and where the next one starts.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub member: &'a [u8],
    pub score: f64,
    /// Byte offset of this entry.
    pub at: usize,
    /// Byte offset of the following entry.
    pub next: usize,
}

impl PackedZSet {
    pub fn len(&self) -> usize {
        let mut count = [0u8; HEADER];
        if let Some(h) = self.buf.get(..HEADER) {
            count.copy_from_slice(h);
        }
        u32::from_le_bytes(count) as usize
    }

    /// Bytes of the buffer (header included).
    pub fn byte_len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_len(&mut self, n: usize) {
        let n = u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        if let Some(h) = self.buf.get_mut(..HEADER) {
            h.copy_from_slice(&n);
        }
    }

    /// The entry starting at byte offset `at`, if there is one.
    pub fn entry_at(&self, at: usize) -> Option<Entry<'_>> {
        decode(&self.buf, at)
    }

    /// Entries in order.
    pub fn iter(&self) -> Entries<'_> {
        Entries {
            buf: &self.buf,
            at: HEADER,
        }
    }

    /// Entries from the `rank`-th (0-based) on.
    pub fn iter_from(&self, rank: usize) -> Entries<'_> {
        let mut it = self.iter();
        if rank > 0 {
            it.nth(rank - 1);
        }
        it
    }

    /// Byte offsets of the first `n` entries (for walking backwards).
    pub fn offsets(&self, n: usize) -> Vec<u32> {
        self.iter().take(n).map(|e| e.at as u32).collect()
    }

    /// The entry of `member` and its rank.
    pub fn find(&self, member: &[u8]) -> Option<(usize, Entry<'_>)> {
        self.iter().enumerate().find(|(_, e)| e.member == member)
    }

    /// Inserts a member that is not present yet at its place in the order.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let at = self
            .iter()
            .find(|e| entry_cmp(e.score, e.member, score, member) == Ordering::Greater)
            .map_or(self.buf.len(), |e| e.at);
        let mut len_bytes = [0u8; varint::MAX_LEN];
        let n = varint::encode(&mut len_bytes, member.len());
        let len_bytes = &len_bytes[..n];
        let mut score_bytes = [0u8; MAX_SCORE_BYTES];
        let score_bytes = encode_score(&mut score_bytes, score);
        let size = len_bytes.len() + member.len() + score_bytes.len();
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        let old_len = buf.len();
        buf.reserve_exact(size);
        buf.resize(old_len + size, 0);
        buf.copy_within(at..old_len, at + size);
        let mut put = at;
        for part in [len_bytes, member, score_bytes] {
            if let Some(dst) = buf.get_mut(put..put + part.len()) {
                dst.copy_from_slice(part);
            }
            put += part.len();
        }
        self.buf = buf.into_boxed_slice();
        let n = self.len() + 1;
        self.set_len(n);
    }

    /// Removes `count` entries starting with the one at byte offset `at`.
    pub fn remove_run(&mut self, at: usize, count: usize) -> usize {
        let mut end = at;
        let mut removed = 0;
        while removed < count {
            match decode(&self.buf, end) {
                Some(e) => end = e.next,
                None => break,
            }
            removed += 1;
        }
        if end > at {
            let mut buf = std::mem::take(&mut self.buf).into_vec();
            buf.drain(at..end);
            self.buf = buf.into_boxed_slice();
        }
        let n = self.len() - removed;
        self.set_len(n);
        removed
    }

    /// Removes the entries of ranks `start..end`.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        if start >= end {
            return 0;
        }
        let at = match start {
            0 => HEADER,
            _ => match self.iter().nth(start - 1) {
                Some(e) => e.next,
                None => return 0,
            },
        };
        self.remove_run(at, end - start)
    }

    /// Builds the buffer from entries already in order.
    pub fn from_sorted<'a>(entries: impl Iterator<Item = (&'a [u8], f64)>) -> PackedZSet {
        let mut buf = vec![0; HEADER];
        let mut n = 0;
        for (member, score) in entries {
            varint::push(&mut buf, member.len());
            buf.extend_from_slice(member);
            let mut score_bytes = [0u8; MAX_SCORE_BYTES];
            buf.extend_from_slice(encode_score(&mut score_bytes, score));
            n += 1;
        }
        let mut lp = PackedZSet {
            buf: buf.into_boxed_slice(),
        };
        lp.set_len(n);
        lp
    }
}

/// Forward iterator over the entries.
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let e = decode(self.buf, self.at)?;
        self.at = e.next;
        Some(e)
    }
}

/// Decodes the entry at byte offset `at`.
#[inline]
fn decode(buf: &[u8], at: usize) -> Option<Entry<'_>> {
    let (len, after_len) = varint::decode(buf, at)?;
    let member_end = after_len.checked_add(len)?;
    let member = buf.get(after_len..member_end)?;
    let (score, next) = decode_score(buf, member_end)?;
    Some(Entry {
        member,
        score,
        at,
        next,
    })
}

/// The integer a score is, when it is one that fits 32 bits. Like Redis's
/// listpack, this stores -0 as the integer 0.
fn small_integer(score: f64) -> Option<i32> {
    let n = score as i32;
    (f64::from(n) == score).then_some(n)
}

fn encode_score(out: &mut [u8; MAX_SCORE_BYTES], score: f64) -> &[u8] {
    let Some(n) = small_integer(score) else {
        out[0] = TAG_F64;
        out[1..9].copy_from_slice(&score.to_le_bytes());
        return &out[..9];
    };
    if (0..=i32::from(u8::MAX - TAG_SMALL)).contains(&n) {
        out[0] = TAG_SMALL + n as u8;
        &out[..1]
    } else if let Ok(b) = i8::try_from(n) {
        out[0] = TAG_I8;
        out[1..2].copy_from_slice(&b.to_le_bytes());
        &out[..2]
    } else if let Ok(h) = i16::try_from(n) {
        out[0] = TAG_I16;
        out[1..3].copy_from_slice(&h.to_le_bytes());
        &out[..3]
    } else if (I24_MIN..=I24_MAX).contains(&n) {
        out[0] = TAG_I24;
        out[1..4].copy_from_slice(&n.to_le_bytes()[..3]);
        &out[..4]
    } else {
        out[0] = TAG_I32;
        out[1..5].copy_from_slice(&n.to_le_bytes());
        &out[..5]
    }
}

fn decode_score(buf: &[u8], at: usize) -> Option<(f64, usize)> {
    let tag = *buf.get(at)?;
    let body = at + 1;
    let fixed = |n: usize| buf.get(body..body + n);
    Some(match tag {
        TAG_F64 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(fixed(8)?);
            (f64::from_le_bytes(b), body + 8)
        }
        TAG_I8 => (
            f64::from(i8::from_le_bytes([*fixed(1)?.first()?])),
            body + 1,
        ),
        TAG_I16 => {
            let mut b = [0u8; 2];
            b.copy_from_slice(fixed(2)?);
            (f64::from(i16::from_le_bytes(b)), body + 2)
        }
        TAG_I24 => {
            let mut b = [0u8; 4];
            b[..3].copy_from_slice(fixed(3)?);
            // Sign-extend from 24 bits.
            ((i32::from_le_bytes(b) << 8 >> 8).into(), body + 3)
        }
        TAG_I32 => {
            let mut b = [0u8; 4];
            b.copy_from_slice(fixed(4)?);
            (f64::from(i32::from_le_bytes(b)), body + 4)
        }
        small => (f64::from(small - TAG_SMALL), body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(lp: &PackedZSet) -> Vec<(Vec<u8>, f64)> {
        lp.iter().map(|e| (e.member.to_vec(), e.score)).collect()
    }

    #[test]
    fn scores_round_trip_in_every_width() {
        for score in [
            0.0,
            -0.0,
            1.0,
            251.0,
            252.0,
            -1.0,
            -128.0,
            300.0,
            -40000.0,
            70000.0,
            -70000.0,
            8388607.0,
            -8388608.0,
            8388608.0,
            -8388609.0,
            2147483647.0,
            -2147483648.0,
            4294967296.0,
            1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let mut lp = PackedZSet::default();
            lp.insert(b"m", score);
            let got = lp.iter().next().map(|e| e.score);
            let expected = score + 0.0; // -0 is stored as 0
            assert_eq!(got.map(f64::to_bits), Some(expected.to_bits()), "{score}");
        }
    }

    #[test]
    fn small_integer_scores_are_compact() {
        let mut lp = PackedZSet::default();
        lp.insert(b"member:1", 1.0);
        // header + varint + 8 member bytes + 1 score byte
        assert_eq!(lp.buf.len(), HEADER + 1 + 8 + 1);
    }

    #[test]
    fn insert_keeps_score_then_member_order() {
        let mut lp = PackedZSet::default();
        for (m, s) in [("b", 2.0), ("a", 2.0), ("z", -1.0), ("c", 1.5)] {
            lp.insert(m.as_bytes(), s);
        }
        let got: Vec<_> = members(&lp).into_iter().map(|(m, _)| m).collect();
        assert_eq!(
            got,
            [b"z".to_vec(), b"c".to_vec(), b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(lp.len(), 4);
        assert_eq!(lp.find(b"a").map(|(r, _)| r), Some(2));
        assert_eq!(lp.iter_from(3).next().map(|e| e.member), Some(&b"b"[..]));
        assert_eq!(lp.iter_from(4).next().map(|e| e.member), None);
    }

    #[test]
    fn removing_runs_and_ranks() {
        let mut lp = PackedZSet::default();
        for i in 0..10 {
            lp.insert(format!("m{i}").as_bytes(), f64::from(i));
        }
        assert_eq!(lp.remove_ranks(2, 5), 3);
        assert_eq!(lp.len(), 7);
        let got: Vec<f64> = lp.iter().map(|e| e.score).collect();
        assert_eq!(got, [0.0, 1.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!(lp.remove_ranks(5, 100), 2);
        assert_eq!(lp.remove_ranks(0, 5), 5);
        assert!(lp.is_empty());
        assert_eq!(lp.buf.len(), HEADER);
    }

    #[test]
    fn long_members_use_longer_varints() {
        let mut lp = PackedZSet::default();
        let long = vec![b'x'; 300];
        lp.insert(&long, 0.5);
        lp.insert(b"", 0.25);
        let got = members(&lp);
        assert_eq!(got, [(Vec::new(), 0.25), (long, 0.5)]);
    }
}
