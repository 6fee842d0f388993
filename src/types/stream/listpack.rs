//! A listpack: Redis's compact sequence encoding. Elements sit back to back
//! in one byte buffer, each an integer or a string in the smallest of
//! several encodings, followed by its own encoded length written backwards
//! (the "backlen"), so the buffer can be walked in both directions.
//!
//! Stream nodes are listpacks laid out as Redis lays them out, so a node's
//! size in bytes is exactly Redis's: that size decides when a new node
//! starts (`stream-node-max-bytes`), which in turn decides what approximate
//! trimming removes. Only the element area is stored; the 6-byte header
//! and the end marker are counted in [`Listpack::total_bytes`].
//!
//! Positions are byte offsets of elements. The buffer is only ever built
//! by this module, but decoding still never indexes out of bounds: a
//! damaged buffer reads as zeros and empty strings rather than panicking.

/// Bytes of the listpack header (total size + element count).
const HEADER_SIZE: usize = 6;
/// Bytes of the end marker.
const EOF_SIZE: usize = 1;

/// One element's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Elem<'_> {
    /// The value as an integer (a string that is not one reads as 0).
    pub fn as_int(self) -> i64 {
        match self {
            Elem::Int(v) => v,
            Elem::Str(s) => crate::util::parse_i64(s).unwrap_or(0),
        }
    }

    /// The element's bytes (an integer's decimal text is written to `tmp`).
    pub fn bytes<'b>(&'b self, tmp: &'b mut [u8; 21]) -> &'b [u8] {
        match self {
            Elem::Str(s) => s,
            Elem::Int(v) => crate::util::i64_text(tmp, *v),
        }
    }

    /// True if the element holds exactly these bytes (integers compare by
    /// their decimal text).
    pub fn eq_bytes(self, other: &[u8]) -> bool {
        match self {
            Elem::Str(s) => s == other,
            Elem::Int(_) => {
                let mut tmp = [0u8; 21];
                self.bytes(&mut tmp) == other
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
}

impl Listpack {
    /// An empty listpack with room for `capacity` total bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Listpack {
            buf: Vec::with_capacity(capacity.saturating_sub(HEADER_SIZE + EOF_SIZE)),
        }
    }

    /// Size in bytes as Redis counts it (`lpBytes`).
    pub fn total_bytes(&self) -> usize {
        HEADER_SIZE + self.buf.len() + EOF_SIZE
    }

    /// Heap bytes held.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The listpack in Redis's byte form: the header (total bytes, element
    /// count, or 65535 when there are that many or more), the elements and
    /// the end marker.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut count = 0usize;
        let mut pos = self.first();
        while let Some(p) = pos {
            count += 1;
            pos = self.next(p);
        }
        let mut out = Vec::with_capacity(self.total_bytes());
        out.extend_from_slice(&(self.total_bytes() as u32).to_le_bytes());
        out.extend_from_slice(&(count.min(usize::from(u16::MAX)) as u16).to_le_bytes());
        out.extend_from_slice(&self.buf);
        out.push(0xFF);
        out
    }

    /// Takes a listpack in Redis's byte form, whose elements the caller
    /// has validated; `None` when the header size or end marker is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Option<Listpack> {
        let total = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        if total != bytes.len() || total < HEADER_SIZE + EOF_SIZE || bytes.last() != Some(&0xFF) {
            return None;
        }
        Some(Listpack {
            buf: bytes[HEADER_SIZE..total - EOF_SIZE].to_vec(),
        })
    }

    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    pub fn push_int(&mut self, v: i64) {
        let mut enc = [0u8; 9];
        let n = encode_int(v, &mut enc);
        self.push_encoded(&enc[..n], &[]);
    }

    /// Appends a string, stored as an integer when it is one.
    pub fn push(&mut self, s: &[u8]) {
        if let Some(v) = as_int(s) {
            return self.push_int(v);
        }
        let mut header = [0u8; 5];
        let n = encode_str_header(s.len(), &mut header);
        self.push_encoded(&header[..n], s);
    }

    fn push_encoded(&mut self, header: &[u8], data: &[u8]) {
        let len = header.len() + data.len();
        self.buf.extend_from_slice(header);
        self.buf.extend_from_slice(data);
        let mut back = [0u8; 5];
        let n = encode_backlen(len, &mut back);
        self.buf.extend_from_slice(&back[..n]);
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
        let len = self.encoded_len(pos);
        let next = pos + len + backlen_size(len);
        (next < self.buf.len()).then_some(next)
    }

    /// Position of the element before the one at `pos` (`pos` may be the
    /// end of the buffer).
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos == 0 || pos > self.buf.len() {
            return None;
        }
        let (len, backlen_bytes) = self.decode_backlen(pos - 1)?;
        pos.checked_sub(backlen_bytes + len)
    }

    /// Reads the backlen whose last byte is at `end`: (element length,
    /// bytes the backlen takes).
    fn decode_backlen(&self, end: usize) -> Option<(usize, usize)> {
        let mut value = 0usize;
        let mut shift = 0;
        let mut at = end;
        loop {
            let b = *self.buf.get(at)?;
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

    fn byte(&self, pos: usize) -> u8 {
        self.buf.get(pos).copied().unwrap_or(0xFF)
    }

    /// Little-endian unsigned integer of `n` bytes at `pos`.
    fn le(&self, pos: usize, n: usize) -> u64 {
        (0..n).fold(0u64, |v, i| v | u64::from(self.byte(pos + i)) << (8 * i))
    }

    /// Bytes of the element at `pos` (encoding and data, without backlen).
    fn encoded_len(&self, pos: usize) -> usize {
        let b = self.byte(pos);
        match b {
            _ if b & 0x80 == 0 => 1,
            _ if b & 0xC0 == 0x80 => 1 + usize::from(b & 0x3F),
            _ if b & 0xE0 == 0xC0 => 2,
            _ if b & 0xF0 == 0xE0 => {
                2 + ((usize::from(b & 0x0F) << 8) | usize::from(self.byte(pos + 1)))
            }
            0xF0 => 5 + self.le(pos + 1, 4) as usize,
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            0xF4 => 9,
            _ => 1,
        }
    }

    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> Elem<'_> {
        let b = self.byte(pos);
        let signed = |v: u64, bits: u32| -> i64 {
            let shift = 64 - bits;
            ((v << shift) as i64) >> shift
        };
        let string = |start: usize, len: usize| {
            Elem::Str(self.buf.get(start..start + len).unwrap_or_default())
        };
        match b {
            _ if b & 0x80 == 0 => Elem::Int(i64::from(b)),
            _ if b & 0xC0 == 0x80 => string(pos + 1, usize::from(b & 0x3F)),
            _ if b & 0xE0 == 0xC0 => {
                let v = (u64::from(b & 0x1F) << 8) | u64::from(self.byte(pos + 1));
                Elem::Int(signed(v, 13))
            }
            _ if b & 0xF0 == 0xE0 => {
                let len = (usize::from(b & 0x0F) << 8) | usize::from(self.byte(pos + 1));
                string(pos + 2, len)
            }
            0xF0 => string(pos + 5, self.le(pos + 1, 4) as usize),
            0xF1 => Elem::Int(signed(self.le(pos + 1, 2), 16)),
            0xF2 => Elem::Int(signed(self.le(pos + 1, 3), 24)),
            0xF3 => Elem::Int(signed(self.le(pos + 1, 4), 32)),
            0xF4 => Elem::Int(self.le(pos + 1, 8) as i64),
            _ => Elem::Int(0),
        }
    }

    pub fn get_int(&self, pos: usize) -> i64 {
        self.get(pos).as_int()
    }

    /// Replaces the element at `pos` by an integer (the buffer shifts when
    /// the encoding size changes; positions after `pos` move accordingly).
    pub fn replace_int(&mut self, pos: usize, v: i64) {
        let old_len = self.encoded_len(pos);
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

/// Integer value of a string listpack would store as an integer
/// (`lpStringToInt64`: the strict `string2ll` form).
fn as_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    crate::util::parse_i64(s)
}

/// Writes the smallest integer encoding of `v`; returns its length.
fn encode_int(v: i64, out: &mut [u8; 9]) -> usize {
    let le = |out: &mut [u8; 9], tag: u8, v: i64, n: usize| {
        out[0] = tag;
        for i in 0..n {
            out[1 + i] = (v >> (8 * i)) as u8;
        }
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
        -32768..=32767 => le(out, 0xF1, v, 2),
        -8_388_608..=8_388_607 => le(out, 0xF2, v, 3),
        -2_147_483_648..=2_147_483_647 => le(out, 0xF3, v, 4),
        _ => le(out, 0xF4, v, 8),
    }
}

/// Writes the encoding header of a string of `len` bytes; returns its length.
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
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Writes the backlen of an element of `len` bytes: most significant
/// 7-bit group first, every byte but the first flagged with 128.
fn encode_backlen(len: usize, out: &mut [u8; 5]) -> usize {
    let n = backlen_size(len);
    for (i, byte) in out[..n].iter_mut().enumerate() {
        let group = ((len >> (7 * (n - 1 - i))) & 127) as u8;
        *byte = if i == 0 { group } else { group | 128 };
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_byte_form_roundtrips() {
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
    fn round_trips_both_directions() {
        let big = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let mut lp = Listpack::default();
        let values: Vec<Elem> = vec![
            Elem::Int(0),
            Elem::Int(127),
            Elem::Int(128),
            Elem::Int(-4096),
            Elem::Int(4095),
            Elem::Int(-32768),
            Elem::Int(40000),
            Elem::Int(-8_388_608),
            Elem::Int(3_000_000_000),
            Elem::Int(i64::MIN),
            Elem::Str(b"hello"),
            Elem::Str(b""),
            Elem::Str(&mid),
            Elem::Str(&big),
        ];
        for v in &values {
            match v {
                Elem::Int(i) => lp.push_int(*i),
                Elem::Str(s) => lp.push(s),
            }
        }
        let mut pos = lp.first();
        let mut forward = Vec::new();
        while let Some(p) = pos {
            forward.push(lp.get(p));
            pos = lp.next(p);
        }
        assert_eq!(forward, values);
        let mut pos = lp.last();
        let mut backward = Vec::new();
        while let Some(p) = pos {
            backward.push(lp.get(p));
            pos = lp.prev(p);
        }
        backward.reverse();
        assert_eq!(backward, values);
    }

    #[test]
    fn sizes_match_redis() {
        // A fresh node's master entry as Redis writes it for `XADD s 1-1 f v`:
        // count, deleted, num-fields, "f", 0, then the entry.
        let mut lp = Listpack::default();
        for v in [1, 0, 1] {
            lp.push_int(v);
        }
        lp.push(b"f");
        lp.push_int(0);
        assert_eq!(lp.total_bytes(), 6 + 2 * 3 + 3 + 2 + 1);
        lp.push(b"123");
        assert_eq!(lp.get(lp.last().unwrap()), Elem::Int(123));
        // Integers keep their canonical text only.
        lp.push(b"0123");
        assert_eq!(lp.get(lp.last().unwrap()), Elem::Str(b"0123"));
    }

    #[test]
    fn replace_changes_size() {
        let mut lp = Listpack::default();
        lp.push_int(127);
        lp.push(b"tail");
        lp.replace_int(0, 128);
        assert_eq!(lp.get(0), Elem::Int(128));
        assert_eq!(lp.get(lp.next(0).unwrap()), Elem::Str(b"tail"));
        lp.replace_int(0, 5);
        assert_eq!(lp.get(lp.next(0).unwrap()), Elem::Str(b"tail"));
        assert_eq!(lp.total_bytes(), 6 + 2 + 6 + 1);
    }
}
