//! Listpack: a flat buffer of elements, each stored as the smallest
//! integer or string encoding that fits, followed by its own length in a
//! reverse varint so the buffer can be walked from both ends.
//!
//! Layout: total bytes (u32 LE), element count (u16 LE, 65535 when it
//! does not fit), entries, `0xFF`.

use super::{read_le, sign_extend, Corrupt, Elem};

const HEADER_SIZE: usize = 6;
const EOF: u8 = 0xFF;
/// Element count stored when the real one does not fit the header.
const COUNT_UNKNOWN: usize = u16::MAX as usize;
/// Largest listpack Redis builds (its `lpSafeToAdd` limit).
pub const MAX_SAFE_SIZE: usize = 1 << 30;

/// Builds a listpack by appending elements, as Redis's `lpAppend` does:
/// text that is a canonical 64-bit integer is stored as an integer.
#[derive(Debug, Clone)]
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Builder {
    fn default() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HEADER_SIZE]);
        Builder { buf, count: 0 }
    }
}

impl Builder {
    /// Bytes the finished listpack will take.
    pub fn size(&self) -> usize {
        self.buf.len() + 1
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends an element given as bytes.
    pub fn push(&mut self, s: &[u8]) {
        match lp_string_to_i64(s) {
            Some(n) => self.push_int(n),
            None => self.push_str(s),
        }
    }

    /// Appends an element given as an integer.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1FFF;
            b.extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
        } else if (-32768..=32767).contains(&v) {
            b.push(0xF1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            b.push(0xF2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            b.push(0xF3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xF4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf
                .extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    /// Writes the back-length of the entry that starts at `start`.
    fn finish_entry(&mut self, start: usize) {
        let mut tmp = [0u8; 5];
        let n = encode_backlen(&mut tmp, (self.buf.len() - start) as u64);
        self.buf.extend_from_slice(&tmp[..n]);
        self.count += 1;
    }

    /// The finished listpack bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let count = self.count.min(COUNT_UNKNOWN) as u16;
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// Redis's `lpStringToInt64`: the canonical decimal text of an i64.
pub fn lp_string_to_i64(s: &[u8]) -> Option<i64> {
    crate::util::parse_i64(s)
}

/// Encodes the length of an entry backwards; returns the bytes used.
fn encode_backlen(buf: &mut [u8; 5], l: u64) -> usize {
    let n = backlen_size(l);
    for (i, slot) in buf.iter_mut().take(n).enumerate() {
        let shift = 7 * (n - 1 - i);
        let bits = ((l >> shift) & 127) as u8;
        *slot = if i == 0 { bits } else { bits | 128 };
    }
    n
}

/// Bytes of the back-length of an entry of `l` bytes (Redis's bounds).
fn backlen_size(l: u64) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Reads a back-length whose last byte is at `end`.
fn decode_backlen(bytes: &[u8], end: usize) -> Result<u64, Corrupt> {
    let mut value = 0u64;
    let mut shift = 0u32;
    let mut at = end;
    loop {
        let b = *bytes.get(at).ok_or(Corrupt)?;
        value |= u64::from(b & 127) << shift;
        if b & 128 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 28 {
            return Err(Corrupt);
        }
        at = at.checked_sub(1).ok_or(Corrupt)?;
    }
}

/// Decodes the entry at `p`: the element and the size of its encoding
/// plus data (without the back-length).
fn decode_entry(lp: &[u8], p: usize) -> Result<(Elem<'_>, usize), Corrupt> {
    let first = *lp.get(p).ok_or(Corrupt)?;
    let int = |len: usize, bits: u32| -> Result<(Elem<'_>, usize), Corrupt> {
        let v = read_le(lp, p + 1, len)?;
        Ok((Elem::Int(sign_extend(v, bits)), 1 + len))
    };
    let string = |header: usize, len: usize| -> Result<(Elem<'_>, usize), Corrupt> {
        let start = p + header;
        let data = lp
            .get(start..start.checked_add(len).ok_or(Corrupt)?)
            .ok_or(Corrupt)?;
        Ok((Elem::Bytes(data), header + len))
    };
    match first {
        0x00..=0x7F => Ok((Elem::Int(i64::from(first)), 1)),
        0x80..=0xBF => string(1, usize::from(first & 0x3F)),
        0xC0..=0xDF => {
            let low = *lp.get(p + 1).ok_or(Corrupt)?;
            let v = (u64::from(first & 0x1F) << 8) | u64::from(low);
            Ok((Elem::Int(sign_extend(v, 13)), 2))
        }
        0xE0..=0xEF => {
            let low = *lp.get(p + 1).ok_or(Corrupt)?;
            string(2, (usize::from(first & 0x0F) << 8) | usize::from(low))
        }
        0xF0 => string(5, read_le(lp, p + 1, 4)? as usize),
        0xF1 => int(2, 16),
        0xF2 => int(3, 24),
        0xF3 => int(4, 32),
        0xF4 => int(8, 64),
        _ => Err(Corrupt),
    }
}

/// Decodes and validates a whole listpack.
pub fn entries(lp: &[u8]) -> Result<Vec<Elem<'_>>, Corrupt> {
    if lp.len() < HEADER_SIZE + 1 || read_le(lp, 0, 4)? as usize != lp.len() {
        return Err(Corrupt);
    }
    if lp.last() != Some(&EOF) {
        return Err(Corrupt);
    }
    let header_count = read_le(lp, 4, 2)? as usize;
    let last = lp.len() - 1;
    let mut out = Vec::with_capacity(header_count.min(1024));
    let mut p = HEADER_SIZE;
    while p < last {
        let (elem, size) = decode_entry(lp, p)?;
        let backlen = backlen_size(size as u64);
        let next = p + size + backlen;
        if next > last || decode_backlen(lp, next - 1)? != size as u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn build(items: &[&[u8]]) -> Vec<u8> {
        let mut b = Builder::default();
        for i in items {
            b.push(i);
        }
        b.finish()
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
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ];
        let mut b = Builder::default();
        for v in values {
            b.push_int(v);
        }
        let lp = b.finish();
        let got: Vec<i64> = entries(&lp)
            .expect("valid")
            .iter()
            .filter_map(Elem::as_i64)
            .collect();
        assert_eq!(got, values);
    }

    #[test]
    fn strings_of_every_length_class_roundtrip() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let items: Vec<&[u8]> = vec![b"", b"hello", b"007", b"-0", &mid, &long];
        let lp = build(&items);
        let got: Vec<Vec<u8>> = entries(&lp)
            .expect("valid")
            .iter()
            .map(Elem::to_vec)
            .collect();
        assert_eq!(got, items);
        assert_eq!(backlen_size(16382), 2);
        assert_eq!(backlen_size(16383), 3);
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
