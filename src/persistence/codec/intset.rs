//! Intset: a sorted array of unique integers, all stored with the
//! narrowest width (2, 4 or 8 bytes) that fits every member.
//!
//! Layout: width in bytes (u32 LE), count (u32 LE), members (LE).

use super::{read_le, Corrupt};
use crate::util::sign_extend;

const HEADER_SIZE: usize = 8;

/// Encodes members that are sorted ascending and unique.
pub fn encode(sorted: &[i64]) -> Vec<u8> {
    let width = sorted
        .iter()
        .map(|&v| {
            if i16::try_from(v).is_ok() {
                2
            } else if i32::try_from(v).is_ok() {
                4
            } else {
                8
            }
        })
        .max()
        .unwrap_or(2);
    let mut out = Vec::with_capacity(HEADER_SIZE + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Decodes and validates an intset (non-empty, strictly ascending).
pub fn decode(bytes: &[u8]) -> Result<Vec<i64>, Corrupt> {
    let width = read_le(bytes, 0, 4)? as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(Corrupt);
    }
    let count = read_le(bytes, 4, 4)? as usize;
    if count == 0
        || count
            .checked_mul(width)
            .and_then(|n| n.checked_add(HEADER_SIZE))
            != Some(bytes.len())
    {
        return Err(Corrupt);
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let v = sign_extend(
            read_le(bytes, HEADER_SIZE + i * width, width)?,
            width as u32 * 8,
        );
        if out.last().is_some_and(|&prev| prev >= v) {
            return Err(Corrupt);
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_narrowest_width() {
        assert_eq!(encode(&[1, 2]), [2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0]);
        assert_eq!(encode(&[-1, 100_000])[0], 4);
        assert_eq!(encode(&[5, 6_000_000_000])[0], 8);
        for set in [
            vec![-3, 0, 7],
            vec![i64::MIN, i64::MAX],
            vec![-40000, 40000],
        ] {
            assert_eq!(decode(&encode(&set)), Ok(set));
        }
    }

    #[test]
    fn rejects_bad_intsets() {
        assert!(decode(&encode(&[])).is_err());
        assert!(decode(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0]).is_err());
    }
}
