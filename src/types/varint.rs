//! LEB128 varints: the length prefixes of reddish's own packed buffers
//! (a hash's [`PackedPairs`](super::hash::PackedPairs), a list's
//! [`PackedList`](super::list) nodes, a sorted set's
//! [`PackedZSet`](super::zset::PackedZSet)). Seven bits a byte, least
//! significant group first, the high bit set on every byte but the last:
//! a length below 128 takes one byte.
//!
//! This is not a Redis format (Redis's listpack has length encodings of
//! its own); nothing here reaches a file.

/// Most bytes the varint of a `usize` takes.
pub const MAX_LEN: usize = 10;

/// Bytes the varint of `n` takes.
#[inline]
pub fn size(n: usize) -> usize {
    let bits = usize::BITS - (n | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

/// Writes the varint of `n` at the start of `out` (at least
/// [`size`]`(n)` bytes long); returns its length.
#[inline]
pub fn encode(out: &mut [u8], mut n: usize) -> usize {
    let mut i = 0;
    while n >= 0x80 {
        out[i] = (n & 0x7F) as u8 | 0x80;
        n >>= 7;
        i += 1;
    }
    out[i] = n as u8;
    i + 1
}

/// Writes the varint of `n` backwards into `out`, which is exactly
/// [`size`]`(n)` bytes long: read from its end, it is the varint of `n`
/// (see [`decode_back`]).
#[inline]
pub fn encode_back(out: &mut [u8], n: usize) {
    let len = encode(out, n);
    out[..len].reverse();
}

/// Appends the varint of `n`.
#[inline]
pub fn push(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
        return;
    }
    let mut tmp = [0u8; MAX_LEN];
    let len = encode(&mut tmp, n);
    out.extend_from_slice(&tmp[..len]);
}

/// Reads the varint starting at `at`: its value and the position after
/// it; `None` when it runs past the end or overflows. Always inlined: the
/// packed buffers decode lengths in their innermost loops.
#[inline(always)]
pub fn decode(buf: &[u8], at: usize) -> Option<(usize, usize)> {
    let (value, len) = read(buf.get(at..)?.iter())?;
    Some((value, at + len))
}

/// Reads a varint written backwards that ends just before `end`: its
/// value and the position where it starts.
#[inline(always)]
pub fn decode_back(buf: &[u8], end: usize) -> Option<(usize, usize)> {
    let (value, len) = read(buf.get(..end)?.iter().rev())?;
    Some((value, end - len))
}

/// The value of the varint whose bytes `bytes` yields, least significant
/// group first, and how many bytes it took. A one-byte varint (a length
/// below 128) takes the first branch.
#[inline(always)]
fn read<'a>(mut bytes: impl Iterator<Item = &'a u8>) -> Option<(usize, usize)> {
    let first = *bytes.next()?;
    if first < 0x80 {
        return Some((usize::from(first), 1));
    }
    let mut value = usize::from(first & 0x7F);
    let mut len = 1;
    for &b in bytes {
        value |= usize::from(b & 0x7F).checked_shl(7 * len as u32)?;
        len += 1;
        if b & 0x80 == 0 {
            return Some((value, len));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_both_ways() {
        for n in [0usize, 1, 127, 128, 300, 16383, 16384, 70_000, usize::MAX] {
            let mut buf = Vec::new();
            push(&mut buf, n);
            assert_eq!(buf.len(), size(n), "{n}");
            assert_eq!(decode(&buf, 0), Some((n, buf.len())));
            let mut back = vec![0u8; size(n)];
            encode_back(&mut back, n);
            assert_eq!(decode_back(&back, back.len()), Some((n, 0)));
        }
        assert_eq!(size(0), 1);
        assert_eq!(size(127), 1);
        assert_eq!(size(128), 2);
        assert_eq!(size(usize::MAX), MAX_LEN);
    }

    #[test]
    fn damaged_varints_read_as_none() {
        assert_eq!(decode(&[0x80, 0x80], 0), None);
        assert_eq!(decode(&[], 0), None);
        assert_eq!(decode_back(&[0x80], 1), None);
        assert_eq!(decode_back(&[1], 0), None);
        assert_eq!(decode(&[0xFF; 11], 0), None);
    }
}
