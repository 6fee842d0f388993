//! Zipmap: how Redis 2.x stored small hashes. Only decoded.
//!
//! Layout: count (1 byte, 254 when unknown), then for each pair the field
//! length, the field, the value length, a byte of free space after the
//! value, the value and the free bytes; finally `0xFF`. A length is one
//! byte below 254, or 254 followed by a u32 LE.

use super::{read_le, Corrupt};

const BIG_LEN: u8 = 254;
const END: u8 = 0xFF;

/// Reads a length at `p`: (length, bytes it took).
fn read_len(zm: &[u8], p: usize) -> Result<(usize, usize), Corrupt> {
    match *zm.get(p).ok_or(Corrupt)? {
        b if b < BIG_LEN => Ok((usize::from(b), 1)),
        BIG_LEN => Ok((read_le(zm, p + 1, 4)? as usize, 5)),
        _ => Err(Corrupt),
    }
}

fn slice(zm: &[u8], start: usize, len: usize) -> Result<&[u8], Corrupt> {
    zm.get(start..start.checked_add(len).ok_or(Corrupt)?)
        .ok_or(Corrupt)
}

/// A field and its value, borrowed from the zipmap.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Decodes and validates a zipmap into its (field, value) pairs.
pub fn pairs(zm: &[u8]) -> Result<Vec<Pair<'_>>, Corrupt> {
    if zm.len() < 2 || zm.last() != Some(&END) {
        return Err(Corrupt);
    }
    let last = zm.len() - 1;
    let mut out = Vec::new();
    let mut p = 1;
    while p < last {
        let (flen, n) = read_len(zm, p)?;
        let field = slice(zm, p + n, flen)?;
        p += n + flen;
        let (vlen, n) = read_len(zm, p)?;
        let free = usize::from(*zm.get(p + n).ok_or(Corrupt)?);
        let value = slice(zm, p + n + 1, vlen)?;
        p += n + 1 + vlen + free;
        if p > last {
            return Err(Corrupt);
        }
        out.push((field, value));
    }
    let header = zm[0];
    if p != last || out.is_empty() || (header != BIG_LEN && usize::from(header) != out.len()) {
        return Err(Corrupt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs_with_free_space() {
        let zm = [
            2, 3, b'f', b'o', b'o', 3, 1, b'b', b'a', b'r', 0, 1, b'x', 0, 0, END,
        ];
        assert_eq!(
            pairs(&zm),
            Ok(vec![(&b"foo"[..], &b"bar"[..]), (&b"x"[..], &b""[..])])
        );
    }

    #[test]
    fn corruption_is_detected() {
        let zm = [1, 3, b'f', b'o', b'o', 3, 0, b'b', b'a', b'r', END];
        assert!(pairs(&zm).is_ok());
        for cut in 0..zm.len() {
            assert!(pairs(&zm[..cut]).is_err());
        }
        let mut bad = zm;
        bad[0] = 2;
        assert!(pairs(&bad).is_err());
        assert!(pairs(&[0, END]).is_err());
    }
}
