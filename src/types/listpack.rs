//! Listpack: Redis's compact sequence encoding (`listpack.c`), byte for
//! byte. Elements sit back to back, each an integer or a string in the
//! smallest encoding that fits, followed by its own length written
//! backwards (the "backlen"), so the buffer can be walked both ways.
//!
//! The byte form is: total bytes (u32 LE), element count (u16 LE, 65535
//! when it does not fit), the elements, `0xFF`. An element's first byte
//! says how it is encoded:
//!
//! | first byte | element                                         |
//! |------------|-------------------------------------------------|
//! | `0xxxxxxx` | 7-bit unsigned integer                          |
//! | `10xxxxxx` | string of up to 63 bytes                        |
//! | `110xxxxx` | 13-bit signed integer (one more byte)           |
//! | `1110xxxx` | string of up to 4095 bytes (one more length byte) |
//! | `0xF0`     | string with a 32-bit length                     |
//! | `0xF1`-`0xF4` | 16, 24, 32 or 64-bit signed integer          |
//!
//! The backlen is the element's size (encoding plus data) in 7-bit groups,
//! most significant first, every byte but the first flagged with 128.
//!
//! This is the only implementation of the format. Stream nodes are kept
//! as listpacks (a node's size in bytes decides when the next one starts,
//! so it must be Redis's), and the RDB writer and reader build and check
//! the listpacks of hashes, sorted sets, sets and list nodes with it. The
//! small hashes, lists and sorted sets reddish keeps in memory are not
//! listpacks but buffers of its own (`hash::PackedPairs`,
//! `list::PackedList`, `zset::PackedZSet`) that only report the name.
//!
//! A [`Listpack`] holds the element area; the header and end marker are
//! produced by [`Listpack::to_bytes`] and counted in
//! [`Listpack::total_bytes`]. Positions are byte offsets of elements in
//! that area. Bytes from outside (files, RESTORE payloads) are checked by
//! [`entries`], which trusts nothing; reading a [`Listpack`] never panics
//! either, a damaged one reads as zeros and empty strings.

use crate::util::{parse_i64, read_le, sign_extend};

/// Bytes of the header (total bytes and element count).
const HEADER_SIZE: usize = 6;
/// The end marker.
const EOF: u8 = 0xFF;
const EOF_SIZE: usize = 1;
/// Element count the header holds when the real one does not fit.
const COUNT_UNKNOWN: usize = u16::MAX as usize;
/// Largest listpack Redis builds (its `LISTPACK_MAX_SAFETY_SIZE`).
pub const MAX_SAFE_SIZE: usize = 1 << 30;

/// One element: an integer, or a string that is not the canonical text of
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Elem<'_> {
    /// The element as an integer, if it is one (strictly, as Redis's
    /// `string2ll`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Elem::Int(v) => Some(*v),
            Elem::Str(s) => parse_i64(s),
        }
    }

    /// The element as an integer (a string that is not one reads as 0).
    pub fn as_int(&self) -> i64 {
        self.as_i64().unwrap_or(0)
    }

    /// The element's bytes (an integer's decimal text is written to `tmp`).
    pub fn bytes<'b>(&'b self, tmp: &'b mut [u8; 21]) -> &'b [u8] {
        match self {
            Elem::Str(s) => s,
            Elem::Int(v) => crate::util::i64_text(tmp, *v),
        }
    }

    /// The element's bytes, owned.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut tmp = [0u8; 21];
        self.bytes(&mut tmp).to_vec()
    }

    /// True if the element holds exactly these bytes (integers compare by
    /// their decimal text).
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        let mut tmp = [0u8; 21];
        self.bytes(&mut tmp) == other
    }
}

/// Encoded bytes are not a valid listpack (or, for the codecs built on
/// this error, not a valid ziplist, intset, zipmap or stream node).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// A listpack being built or kept: its element area and element count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    count: usize,
}

impl Listpack {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty listpack with room for `capacity` total bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Listpack {
            buf: Vec::with_capacity(capacity.saturating_sub(HEADER_SIZE + EOF_SIZE)),
            count: 0,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Size in bytes as Redis counts it (`lpBytes`).
    pub fn total_bytes(&self) -> usize {
        HEADER_SIZE + self.buf.len() + EOF_SIZE
    }

    /// Heap bytes held.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// The listpack in Redis's byte form: header, elements, end marker.
    pub fn to_bytes(&self) -> Vec<u8> {
        let total = self.total_bytes();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(self.count.min(COUNT_UNKNOWN) as u16).to_le_bytes());
        out.extend_from_slice(&self.buf);
        out.push(EOF);
        out
    }

    /// Takes a listpack in Redis's byte form whose elements the caller
    /// has checked (with [`entries`]); `None` when the header size or end
    /// marker is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Option<Listpack> {
        let total = read_le(bytes, 0, 4)? as usize;
        if total != bytes.len() || total < HEADER_SIZE + EOF_SIZE || bytes.last() != Some(&EOF) {
            return None;
        }
        let mut lp = Listpack {
            buf: bytes.get(HEADER_SIZE..total - EOF_SIZE)?.to_vec(),
            count: read_le(bytes, 4, 2)? as usize,
        };
        if lp.count == COUNT_UNKNOWN {
            lp.count = std::iter::successors(lp.first(), |&p| lp.next(p)).count();
        }
        Some(lp)
    }

    /// Appends an integer.
    #[inline]
    pub fn push_int(&mut self, v: i64) {
        let mut enc = [0u8; 9];
        let n = encode_int(v, &mut enc);
        self.push_encoded(&enc[..n], &[]);
    }

    /// Appends a string, stored as an integer when it is the canonical
    /// text of one (`lpStringToInt64`), as Redis's `lpAppend` does.
    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        if let Some(v) = parse_i64(s) {
            return self.push_int(v);
        }
        let mut header = [0u8; 5];
        let n = encode_str_header(s.len(), &mut header);
        self.push_encoded(&header[..n], s);
    }

    #[inline]
    fn push_encoded(&mut self, header: &[u8], data: &[u8]) {
        let len = header.len() + data.len();
        let mut back = [0u8; 5];
        let n = encode_backlen(len, &mut back);
        self.buf.extend_from_slice(header);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(&back[..n]);
        self.count += 1;
    }

    /// Position of the first element.
    pub fn first(&self) -> Option<usize> {
        (!self.buf.is_empty()).then_some(0)
    }

    /// Position of the last element.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len())
    }

    /// Position of the element after the one at `pos`.
    pub fn next(&self, pos: usize) -> Option<usize> {
        let len = encoded_len(&self.buf, pos)?;
        let next = pos + len + backlen_size(len);
        (next < self.buf.len()).then_some(next)
    }

    /// Position of the element before the one at `pos` (`pos` may be the
    /// end of the element area).
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos == 0 || pos > self.buf.len() {
            return None;
        }
        // As Redis's lpPrev: back by the element's size and the size its
        // back-length should take, not the bytes the back-length was read
        // from (a file may hold it in more bytes than needed).
        let (len, _) = decode_backlen(&self.buf, pos - 1)?;
        pos.checked_sub(backlen_size(len) + len)
    }

    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> Elem<'_> {
        match self.buf.get(pos) {
            // A 7-bit integer: a stream entry's flags, ID deltas and counts.
            Some(&b) if b < 0x80 => Elem::Int(i64::from(b)),
            _ => decode_entry(&self.buf, pos).map_or(Elem::Int(0), |(elem, _)| elem),
        }
    }

    /// The element at `pos` as an integer (0 when it is not one).
    pub fn get_int(&self, pos: usize) -> i64 {
        self.get(pos).as_int()
    }

    /// Replaces the element at `pos` by an integer (the buffer shifts when
    /// the encoding size changes; positions after `pos` move accordingly).
    pub fn replace_int(&mut self, pos: usize, v: i64) {
        let old_len = encoded_len(&self.buf, pos).unwrap_or(1);
        let old_total = old_len + backlen_size(old_len);
        let mut enc = [0u8; 9];
        let n = encode_int(v, &mut enc);
        let mut back = [0u8; 5];
        let b = encode_backlen(n, &mut back);
        let end = (pos + old_total).min(self.buf.len());
        let replacement = enc[..n].iter().chain(&back[..b]).copied();
        self.buf.splice(pos.min(end)..end, replacement);
    }
}

/// Checks a listpack's byte form as Redis's deep integrity check does
/// (sizes, encodings, back-lengths, header count) and returns its
/// elements.
pub fn entries(bytes: &[u8]) -> Result<Vec<Elem<'_>>, Corrupt> {
    let total = read_le(bytes, 0, 4).ok_or(Corrupt)? as usize;
    if total != bytes.len() || total < HEADER_SIZE + EOF_SIZE || bytes.last() != Some(&EOF) {
        return Err(Corrupt);
    }
    let header_count = read_le(bytes, 4, 2).ok_or(Corrupt)? as usize;
    let last = bytes.len() - EOF_SIZE;
    let mut out = Vec::with_capacity(header_count.min(1024));
    let mut p = HEADER_SIZE;
    while p < last {
        let (elem, size) = decode_entry(bytes, p).ok_or(Corrupt)?;
        let next = p + size + backlen_size(size);
        if next > last || decode_backlen(bytes, next - 1).map(|(len, _)| len) != Some(size) {
            return Err(Corrupt);
        }
        out.push(elem);
        p = next;
    }
    if header_count != COUNT_UNKNOWN && header_count != out.len() {
        return Err(Corrupt);
    }
    Ok(out)
}

/// Size of the element at `p` (encoding and data, without the backlen),
/// read from its encoding bytes; `None` for an invalid encoding.
#[inline]
fn encoded_len(buf: &[u8], p: usize) -> Option<usize> {
    let first = *buf.get(p)?;
    Some(match first {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1 + usize::from(first & 0x3F),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 2 + ((usize::from(first & 0x0F) << 8) | usize::from(*buf.get(p + 1)?)),
        0xF0 => 5 + read_le(buf, p + 1, 4)? as usize,
        0xF1 => 3,
        0xF2 => 4,
        0xF3 => 5,
        0xF4 => 9,
        _ => return None,
    })
}

/// The element at `p` and its size (without the backlen); `None` when the
/// encoding is invalid or the element runs past the end of `buf`.
fn decode_entry(buf: &[u8], p: usize) -> Option<(Elem<'_>, usize)> {
    let size = encoded_len(buf, p)?;
    let (&first, rest) = buf.get(p..p.checked_add(size)?)?.split_first()?;
    let elem = match first {
        0x00..=0x7F => Elem::Int(i64::from(first)),
        0x80..=0xBF => Elem::Str(rest),
        0xC0..=0xDF => {
            let v = (u64::from(first & 0x1F) << 8) | u64::from(*rest.first()?);
            Elem::Int(sign_extend(v, 13))
        }
        0xE0..=0xEF => Elem::Str(rest.get(1..)?),
        0xF0 => Elem::Str(rest.get(4..)?),
        // 0xF1..=0xF4: the integer fills the rest (2, 3, 4 or 8 bytes).
        _ => Elem::Int(sign_extend(
            read_le(rest, 0, rest.len())?,
            8 * rest.len() as u32,
        )),
    };
    Some((elem, size))
}

/// Writes the smallest integer encoding of `v`; returns its length.
#[inline]
fn encode_int(v: i64, out: &mut [u8; 9]) -> usize {
    let le = |out: &mut [u8; 9], tag: u8, n: usize| {
        out[0] = tag;
        out[1..=n].copy_from_slice(&v.to_le_bytes()[..n]);
        1 + n
    };
    match v {
        0..=127 => {
            out[0] = v as u8;
            1
        }
        -4096..=4095 => {
            let u = (v as u64) & 0x1FFF;
            out[0] = 0xC0 | (u >> 8) as u8;
            out[1] = u as u8;
            2
        }
        -32768..=32767 => le(out, 0xF1, 2),
        -8_388_608..=8_388_607 => le(out, 0xF2, 3),
        -2_147_483_648..=2_147_483_647 => le(out, 0xF3, 4),
        _ => le(out, 0xF4, 8),
    }
}

/// Writes the encoding header of a string of `len` bytes; returns its
/// length.
#[inline]
fn encode_str_header(len: usize, out: &mut [u8; 5]) -> usize {
    if len < 64 {
        out[0] = 0x80 | len as u8;
        1
    } else if len < 4096 {
        out[0] = 0xE0 | (len >> 8) as u8;
        out[1] = len as u8;
        2
    } else {
        out[0] = 0xF0;
        out[1..5].copy_from_slice(&(len as u32).to_le_bytes());
        5
    }
}

/// Bytes the backlen of an element of `len` bytes takes (Redis's bounds).
#[inline]
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Writes the backlen of an element of `len` bytes; returns its length.
#[inline]
fn encode_backlen(len: usize, out: &mut [u8; 5]) -> usize {
    let n = backlen_size(len);
    for (i, byte) in out[..n].iter_mut().enumerate() {
        let group = ((len >> (7 * (n - 1 - i))) & 127) as u8;
        *byte = if i == 0 { group } else { group | 128 };
    }
    n
}

/// Reads the backlen whose last byte is at `end`: (element size, bytes
/// the backlen takes).
fn decode_backlen(buf: &[u8], end: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    let mut shift = 0;
    let mut at = end;
    loop {
        let b = *buf.get(at)?;
        value |= usize::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some((value, end - at + 1));
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
        at = at.checked_sub(1)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(items: &[&[u8]]) -> Vec<u8> {
        let mut lp = Listpack::new();
        for i in items {
            lp.push(i);
        }
        lp.to_bytes()
    }

    fn forward(lp: &Listpack) -> Vec<Elem<'_>> {
        std::iter::successors(lp.first(), |&p| lp.next(p))
            .map(|p| lp.get(p))
            .collect()
    }

    #[test]
    fn matches_redis_bytes() {
        // Redis 7.0.15: HSET h a 1 b 2 stores this listpack.
        let lp = build(&[b"a", b"1", b"b", b"2"]);
        assert_eq!(
            lp,
            [0x11, 0, 0, 0, 4, 0, 0x81, b'a', 2, 1, 1, 0x81, b'b', 2, 2, 1, 0xFF]
        );
    }

    #[test]
    fn byte_form_roundtrips() {
        let mut lp = Listpack::with_capacity(64);
        lp.push(b"field");
        lp.push_int(-70000);
        let bytes = lp.to_bytes();
        assert_eq!(bytes.len(), lp.total_bytes());
        assert_eq!(&bytes[4..6], &[2, 0]);
        assert_eq!(Listpack::from_bytes(&bytes), Some(lp));
        assert_eq!(Listpack::from_bytes(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Listpack::from_bytes(&[7, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn unknown_header_counts_are_counted() {
        let mut lp = Listpack::new();
        for i in 0..70_000 {
            lp.push_int(i);
        }
        let bytes = lp.to_bytes();
        assert_eq!(&bytes[4..6], &[0xFF, 0xFF]);
        assert_eq!(entries(&bytes).map(|e| e.len()), Ok(70_000));
        assert_eq!(
            Listpack::from_bytes(&bytes).map(|lp| lp.len()),
            Some(70_000)
        );
    }

    #[test]
    fn every_integer_width_roundtrips() {
        let values = [
            0i64,
            127,
            128,
            -1,
            4095,
            -4096,
            4096,
            32767,
            -32768,
            40000,
            -8_388_608,
            8_388_607,
            8_388_608,
            3_000_000_000,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ];
        let mut lp = Listpack::new();
        for v in values {
            lp.push_int(v);
        }
        let got: Vec<i64> = entries(&lp.to_bytes())
            .expect("valid")
            .iter()
            .filter_map(Elem::as_i64)
            .collect();
        assert_eq!(got, values);
        let got: Vec<i64> = forward(&lp).iter().map(Elem::as_int).collect();
        assert_eq!(got, values);
    }

    #[test]
    fn strings_of_every_length_class_roundtrip_both_ways() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let items: Vec<&[u8]> = vec![b"", b"hello", b"007", b"-0", &mid, &long, b"12"];
        let bytes = build(&items);
        let got: Vec<Vec<u8>> = entries(&bytes)
            .expect("valid")
            .iter()
            .map(Elem::to_vec)
            .collect();
        assert_eq!(got, items);
        let lp = Listpack::from_bytes(&bytes).expect("valid");
        let mut back: Vec<Elem> = std::iter::successors(lp.last(), |&p| lp.prev(p))
            .map(|p| lp.get(p))
            .collect();
        back.reverse();
        assert_eq!(back, forward(&lp));
        // Integers keep their canonical text only.
        assert_eq!(back[2], Elem::Str(b"007"));
        assert_eq!(back[6], Elem::Int(12));
        assert!(back[6].eq_bytes(b"12"));
        assert_eq!(backlen_size(16382), 2);
        assert_eq!(backlen_size(16383), 3);
    }

    #[test]
    fn sizes_match_redis() {
        // A fresh node's master entry as Redis writes it for `XADD s 1-1 f v`:
        // count, deleted, num-fields, "f", 0.
        let mut lp = Listpack::new();
        for v in [1, 0, 1] {
            lp.push_int(v);
        }
        lp.push(b"f");
        lp.push_int(0);
        assert_eq!(lp.total_bytes(), 6 + 2 * 3 + 3 + 2 + 1);
        assert_eq!(lp.len(), 5);
    }

    #[test]
    fn replace_changes_size() {
        let mut lp = Listpack::new();
        lp.push_int(127);
        lp.push(b"tail");
        lp.replace_int(0, 128);
        assert_eq!(lp.get(0), Elem::Int(128));
        assert_eq!(lp.get(lp.next(0).unwrap()), Elem::Str(b"tail"));
        lp.replace_int(0, 5);
        assert_eq!(lp.get(lp.next(0).unwrap()), Elem::Str(b"tail"));
        assert_eq!(lp.total_bytes(), 6 + 2 + 6 + 1);
        assert_eq!(lp.len(), 2);
    }

    #[test]
    fn corruption_is_detected() {
        let lp = build(&[b"a", b"hello"]);
        for cut in 0..lp.len() {
            assert!(entries(&lp[..cut]).is_err());
        }
        let mut bad = lp.clone();
        bad[4] = 3;
        assert!(entries(&bad).is_err());
        let mut bad = lp.clone();
        bad[8] = 9;
        assert!(entries(&bad).is_err());
        let mut bad = lp;
        bad[6] = 0xF7;
        assert!(entries(&bad).is_err());
    }
}
