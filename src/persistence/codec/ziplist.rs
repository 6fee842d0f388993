//! Ziplist: the compact encoding Redis used before listpacks (RDB files
//! of Redis 3.2 to 6.2 hold ziplists). Only decoded.
//!
//! Layout: total bytes (u32 LE), offset of the last entry (u32 LE), entry
//! count (u16 LE, 65535 when it does not fit), entries, `0xFF`. Each
//! entry starts with the size of the previous one (1 byte, or `0xFE` and
//! a u32), then its encoding: strings with a 6, 14 (big endian) or 32-bit
//! (big endian) length, or integers of 8 to 64 bits, or 0..12 inside the
//! encoding byte itself.

use super::{read_le, Corrupt, Elem};
use crate::util::sign_extend;

const HEADER_SIZE: usize = 10;
const END: u8 = 0xFF;
const BIG_PREVLEN: u8 = 0xFE;

/// Decodes one entry at `p`: (element, previous-entry length it records,
/// total entry size).
fn decode_entry(zl: &[u8], p: usize) -> Result<(Elem<'_>, u64, usize), Corrupt> {
    let first = *zl.get(p).ok_or(Corrupt)?;
    let (prevlen, prevsize) = if first < BIG_PREVLEN {
        (u64::from(first), 1)
    } else if first == BIG_PREVLEN {
        (read_le(zl, p + 1, 4)?, 5)
    } else {
        return Err(Corrupt);
    };
    let e = p + prevsize;
    let enc = *zl.get(e).ok_or(Corrupt)?;
    let byte = |i: usize| zl.get(e + i).copied().map(usize::from).ok_or(Corrupt);
    let (header, data_len, int_bytes) = match enc >> 6 {
        0 => (1, usize::from(enc & 0x3F), None),
        1 => (2, (usize::from(enc & 0x3F) << 8) | byte(1)?, None),
        2 => {
            let len = (byte(1)? << 24) | (byte(2)? << 16) | (byte(3)? << 8) | byte(4)?;
            (5, len, None)
        }
        _ => match enc {
            0xC0 => (1, 2, Some(16)),
            0xD0 => (1, 4, Some(32)),
            0xE0 => (1, 8, Some(64)),
            0xF0 => (1, 3, Some(24)),
            0xFE => (1, 1, Some(8)),
            0xF1..=0xFD => (1, 0, Some(0)),
            _ => return Err(Corrupt),
        },
    };
    let data = e + header;
    let end = data.checked_add(data_len).ok_or(Corrupt)?;
    if end >= zl.len() {
        return Err(Corrupt);
    }
    let elem = match int_bytes {
        None => Elem::Str(&zl[data..end]),
        Some(0) => Elem::Int(i64::from(enc & 0x0F) - 1),
        Some(bits) => Elem::Int(sign_extend(read_le(zl, data, data_len)?, bits)),
    };
    Ok((elem, prevlen, end - p))
}

/// Decodes and validates a whole ziplist.
pub fn entries(zl: &[u8]) -> Result<Vec<Elem<'_>>, Corrupt> {
    if zl.len() < HEADER_SIZE + 1 || read_le(zl, 0, 4)? as usize != zl.len() {
        return Err(Corrupt);
    }
    if zl.last() != Some(&END) {
        return Err(Corrupt);
    }
    let tail = read_le(zl, 4, 4)? as usize;
    let header_count = read_le(zl, 8, 2)? as usize;
    let last = zl.len() - 1;
    if tail > last {
        return Err(Corrupt);
    }
    let mut out = Vec::with_capacity(header_count.min(1024));
    let mut p = HEADER_SIZE;
    let mut prev_size = 0u64;
    let mut prev_start = None;
    while p < last {
        let (elem, prevlen, size) = decode_entry(zl, p)?;
        if prevlen != prev_size {
            return Err(Corrupt);
        }
        out.push(elem);
        prev_size = size as u64;
        prev_start = Some(p);
        p += size;
    }
    if p != last || prev_start.is_some_and(|s| s != tail) {
        return Err(Corrupt);
    }
    if header_count != u16::MAX as usize && header_count != out.len() {
        return Err(Corrupt);
    }
    Ok(out)
}

/// Builds a ziplist (tests use it to make fixtures of the old format).
#[cfg(test)]
pub fn build(items: &[Elem]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = HEADER_SIZE;
    for item in items {
        let start = body.len();
        tail = HEADER_SIZE + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(BIG_PREVLEN);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match item {
            Elem::Int(n @ 0..=12) => body.push(0xF1 + *n as u8),
            Elem::Int(n) if i8::try_from(*n).is_ok() => body.extend_from_slice(&[0xFE, *n as u8]),
            Elem::Int(n) if i16::try_from(*n).is_ok() => {
                body.push(0xC0);
                body.extend_from_slice(&(*n as i16).to_le_bytes());
            }
            Elem::Int(n) if (-(1 << 23)..(1 << 23)).contains(n) => {
                body.push(0xF0);
                body.extend_from_slice(&(*n as i32).to_le_bytes()[..3]);
            }
            Elem::Int(n) if i32::try_from(*n).is_ok() => {
                body.push(0xD0);
                body.extend_from_slice(&(*n as i32).to_le_bytes());
            }
            Elem::Int(n) => {
                body.push(0xE0);
                body.extend_from_slice(&n.to_le_bytes());
            }
            Elem::Str(s) if s.len() < 64 => body.push(s.len() as u8),
            Elem::Str(s) if s.len() < 16384 => {
                body.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8]);
            }
            Elem::Str(s) => {
                body.push(0x80);
                body.extend_from_slice(&(s.len() as u32).to_be_bytes());
            }
        }
        if let Elem::Str(s) = item {
            body.extend_from_slice(s);
        }
        prev = body.len() - start;
    }
    let total = HEADER_SIZE + body.len() + 1;
    let mut zl = Vec::with_capacity(total);
    zl.extend_from_slice(&(total as u32).to_le_bytes());
    zl.extend_from_slice(&(tail as u32).to_le_bytes());
    zl.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(END);
    zl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_encoding() {
        let long = vec![b'z'; 300];
        let huge = vec![b'w'; 20000];
        let items = [
            Elem::Int(0),
            Elem::Int(12),
            Elem::Int(-5),
            Elem::Int(300),
            Elem::Int(-70000),
            Elem::Int(1 << 30),
            Elem::Int(i64::MIN),
            Elem::Str(b"hello"),
            Elem::Str(&long),
            Elem::Str(&huge),
            Elem::Str(b""),
        ];
        let zl = build(&items);
        assert_eq!(entries(&zl), Ok(items.to_vec()));
    }

    #[test]
    fn corruption_is_detected() {
        let zl = build(&[Elem::Str(b"abc"), Elem::Int(1000), Elem::Str(b"x")]);
        for cut in 0..zl.len() {
            assert!(entries(&zl[..cut]).is_err());
        }
        let mut bad = zl.clone();
        bad[8] = 2;
        assert!(entries(&bad).is_err());
        let mut bad = zl.clone();
        bad[4] = 11;
        assert!(entries(&bad).is_err());
        let mut bad = zl;
        bad[15] = 0xC5;
        assert!(entries(&bad).is_err());
    }
}
