//! Strings seen as arrays of bits, bit 0 being the most significant bit of
//! the first byte (the order SETBIT, BITPOS and BITFIELD share). Counting,
//! searching, combining, and reading or writing integers of any width at
//! any bit offset with BITFIELD's overflow rules. Pure functions: the
//! protocol side lives in `commands::bits`.

/// The unit of BITCOUNT and BITPOS ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeUnit {
    Byte,
    Bit,
}

/// A non-empty inclusive range of bit positions inside a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitRange {
    pub first: u64,
    pub last: u64,
}

impl BitRange {
    /// Resolves a `start end` pair (inclusive, negative counting from the
    /// end, clamped to the string) in `unit`s over a string of `len` bytes.
    /// `None` when nothing is left.
    pub fn resolve(len: usize, start: i64, end: i64, unit: RangeUnit) -> Option<BitRange> {
        let (units_per_byte, bits_per_unit) = match unit {
            RangeUnit::Byte => (1, 8),
            RangeUnit::Bit => (8, 1),
        };
        let total = (len as i64).saturating_mul(units_per_byte);
        let from_end = |i: i64| if i < 0 { i + total } else { i };
        let start = from_end(start).max(0);
        let end = from_end(end).max(0).min(total - 1);
        if start > end {
            return None;
        }
        let (start, end) = (start as u64, end as u64);
        Some(BitRange {
            first: start * bits_per_unit,
            last: end * bits_per_unit + (bits_per_unit - 1),
        })
    }

    fn first_byte(&self) -> usize {
        (self.first / 8) as usize
    }

    fn last_byte(&self) -> usize {
        (self.last / 8) as usize
    }

    /// The bits of the first byte that lie before the range.
    fn head_outside(&self) -> u8 {
        !(0xFF >> (self.first % 8))
    }

    /// The bits of the last byte that lie after the range.
    fn tail_outside(&self) -> u8 {
        0x7F >> (self.last % 8)
    }
}

/// The bit at `offset` (bits past the end are clear).
pub fn get_bit(bytes: &[u8], offset: u64) -> bool {
    let byte = bytes.get((offset / 8) as usize).copied().unwrap_or(0);
    byte & bit_mask(offset) != 0
}

/// Sets or clears the bit at `offset`; bits past the end of `buf` are ignored.
pub fn set_bit(buf: &mut [u8], offset: u64, on: bool) {
    if let Some(byte) = buf.get_mut((offset / 8) as usize) {
        if on {
            *byte |= bit_mask(offset);
        } else {
            *byte &= !bit_mask(offset);
        }
    }
}

/// The mask of bit `offset` within its byte.
fn bit_mask(offset: u64) -> u8 {
    0x80 >> (offset % 8)
}

/// Number of set bits in `bytes`, a machine word at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    words
        .map(|w| u64::from(u64::from_ne_bytes(w.try_into().unwrap_or_default()).count_ones()))
        .sum::<u64>()
        + tail
}

/// Number of set bits within `range`.
pub fn count_ones(bytes: &[u8], range: BitRange) -> u64 {
    let Some(span) = bytes.get(range.first_byte()..=range.last_byte()) else {
        return 0;
    };
    let head = span.first().map_or(0, |b| b & range.head_outside());
    let tail = span.last().map_or(0, |b| b & range.tail_outside());
    popcount(span) - u64::from(head.count_ones()) - u64::from(tail.count_ones())
}

/// Position of the first bit equal to `bit` within `range`, if any.
pub fn find_bit(bytes: &[u8], range: BitRange, bit: bool) -> Option<u64> {
    // Looking for a clear bit is looking for a set bit in the complement.
    let flip: u8 = if bit { 0 } else { 0xFF };
    let (first, last) = (range.first_byte(), range.last_byte());
    let at = |i: usize| bytes.get(i).map_or(0, |b| b ^ flip);
    let found_in =
        |i: usize, byte: u8| (byte != 0).then(|| i as u64 * 8 + u64::from(byte.leading_zeros()));

    let mut head = at(first) & !range.head_outside();
    if first == last {
        head &= !range.tail_outside();
        return found_in(first, head);
    }
    if let Some(pos) = found_in(first, head) {
        return Some(pos);
    }
    let middle = bytes.get(first + 1..last).unwrap_or_default();
    if let Some(pos) = first_set_bit(middle, flip) {
        return Some((first as u64 + 1) * 8 + pos);
    }
    found_in(last, at(last) & !range.tail_outside())
}

/// Position of the first set bit of `bytes ^ flip`, a machine word at a time.
fn first_set_bit(bytes: &[u8], flip: u8) -> Option<u64> {
    let word_flip = u64::from_ne_bytes([flip; 8]);
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    let mut pos = 0u64;
    for w in words {
        let word = u64::from_be_bytes(w.try_into().unwrap_or_default()) ^ word_flip;
        if word != 0 {
            return Some(pos + u64::from(word.leading_zeros()));
        }
        pos += 64;
    }
    for &b in tail {
        let byte = b ^ flip;
        if byte != 0 {
            return Some(pos + u64::from(byte.leading_zeros()));
        }
        pos += 8;
    }
    None
}

/// The operations of BITOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// Combines `inputs`, shorter ones padded with zero bytes to the longest.
/// NOT uses only the first input.
pub fn combine(op: BitOp, inputs: &[&[u8]]) -> Vec<u8> {
    let len = inputs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![0u8; len];
    let Some((first, rest)) = inputs.split_first() else {
        return out;
    };
    for (o, s) in out.iter_mut().zip(first.iter()) {
        *o = *s;
    }
    if op == BitOp::Not {
        out.iter_mut().for_each(|o| *o = !*o);
        return out;
    }
    for src in rest {
        let pairs = out.iter_mut().zip(src.iter());
        match op {
            BitOp::And => {
                pairs.for_each(|(o, s)| *o &= s);
                out.iter_mut().skip(src.len()).for_each(|o| *o = 0);
            }
            BitOp::Or => pairs.for_each(|(o, s)| *o |= s),
            BitOp::Xor => pairs.for_each(|(o, s)| *o ^= s),
            BitOp::Not => {}
        }
    }
    out
}

/// What BITFIELD SET and INCRBY do with results that do not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Keep the low bits (modular arithmetic).
    Wrap,
    /// Clamp to the type's minimum or maximum.
    Sat,
    /// Leave the field alone and report nothing.
    Fail,
}

/// A BITFIELD integer type: `i1`..`i64` or `u1`..`u63` (an unsigned 64-bit
/// value could not be returned as a RESP integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    pub signed: bool,
    pub bits: u32,
}

impl FieldType {
    /// Parses `i<bits>` or `u<bits>` (lowercase, digits as `string2ll` takes them).
    pub fn parse(text: &[u8]) -> Option<FieldType> {
        let (signed, max_bits) = match text.first()? {
            b'i' => (true, 64),
            b'u' => (false, 63),
            _ => return None,
        };
        let bits = crate::util::parse_i64(text.get(1..)?)?;
        if !(1..=max_bits).contains(&bits) {
            return None;
        }
        Some(FieldType {
            signed,
            bits: bits as u32,
        })
    }

    fn min(self) -> i128 {
        if self.signed {
            -(1i128 << (self.bits - 1))
        } else {
            0
        }
    }

    fn max(self) -> i128 {
        if self.signed {
            (1i128 << (self.bits - 1)) - 1
        } else {
            (1i128 << self.bits) - 1
        }
    }

    /// The field at bit `offset`; bits past the end of `bytes` read as 0.
    pub fn read(self, bytes: &[u8], offset: u64) -> i64 {
        let raw = read_bits(bytes, offset, self.bits);
        let unused = 64 - self.bits;
        if self.signed {
            ((raw << unused) as i64) >> unused
        } else {
            raw as i64
        }
    }

    /// Stores the low `bits` of `value` at bit `offset`.
    pub fn write(self, buf: &mut [u8], offset: u64, value: i64) {
        write_bits(buf, offset, self.bits, value as u64);
    }

    /// The value to store for `value + incr` (SET passes the new value and
    /// 0), or `None` when it overflows under [`Overflow::Fail`]. Unsigned
    /// types read `value` as its 64-bit two's complement, so SET u8 -1
    /// overflows upward.
    pub fn fit(self, value: i64, incr: i64, overflow: Overflow) -> Option<i64> {
        let value = if self.signed {
            i128::from(value)
        } else {
            i128::from(value as u64)
        };
        let sum = value + i128::from(incr);
        let (min, max) = (self.min(), self.max());
        // Redis checks signed fields against limits computed in wrapping
        // 64-bit arithmetic: for types narrower than 64 bits, a value at
        // least 2^63 below the maximum is taken for an upward overflow.
        let wrapped_up = self.signed && self.bits < 64 && value <= max - (1i128 << 63);
        let saturated = if sum > max || wrapped_up {
            max
        } else if sum < min {
            min
        } else {
            return Some(sum as i64);
        };
        match overflow {
            Overflow::Fail => None,
            Overflow::Sat => Some(saturated as i64),
            Overflow::Wrap => Some(((sum - min).rem_euclid(1i128 << self.bits) + min) as i64),
        }
    }
}

/// The bytes a field of `bits` at bit `offset` touches: (first byte, byte
/// count, how far the field's lowest bit sits from the last byte's lowest).
fn field_window(offset: u64, bits: u32) -> (usize, usize, u32) {
    let skip = (offset % 8) as u32;
    let len = (skip + bits).div_ceil(8);
    ((offset / 8) as usize, len as usize, len * 8 - skip - bits)
}

fn field_mask(bits: u32) -> u128 {
    (1u128 << bits) - 1
}

/// `len` (at most 16) bytes from `first` as a big-endian number, bytes
/// past the end reading as 0.
fn read_window(bytes: &[u8], first: usize, len: usize) -> u128 {
    (0..len).fold(0u128, |acc, i| {
        let byte = bytes.get(first.saturating_add(i)).copied().unwrap_or(0);
        (acc << 8) | u128::from(byte)
    })
}

/// The `bits` (at most 64) bits at `offset` as an unsigned number.
fn read_bits(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    let (first, len, shift) = field_window(offset, bits);
    ((read_window(bytes, first, len) >> shift) & field_mask(bits)) as u64
}

/// Stores the low `bits` (at most 64) bits of `value` at `offset`.
fn write_bits(buf: &mut [u8], offset: u64, bits: u32, value: u64) {
    let (first, len, shift) = field_window(offset, bits);
    let field = field_mask(bits) << shift;
    let old = read_window(buf, first, len);
    let mut window = (old & !field) | ((u128::from(value) << shift) & field);
    for i in (0..len).rev() {
        if let Some(byte) = buf.get_mut(first.saturating_add(i)) {
            *byte = window as u8;
        }
        window >>= 8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits_of(s: &[u8]) -> String {
        s.iter().map(|b| format!("{:08b}", b)).collect()
    }

    #[test]
    fn resolve_ranges() {
        let r = |s, e, u| BitRange::resolve(6, s, e, u).map(|r| (r.first, r.last));
        assert_eq!(r(0, -1, RangeUnit::Byte), Some((0, 47)));
        assert_eq!(r(1, -2, RangeUnit::Byte), Some((8, 39)));
        assert_eq!(r(-2, 1, RangeUnit::Byte), None);
        assert_eq!(r(0, 1000, RangeUnit::Byte), Some((0, 47)));
        assert_eq!(r(10, -34, RangeUnit::Bit), Some((10, 14)));
        assert_eq!(r(-100, -90, RangeUnit::Bit), Some((0, 0)));
        assert_eq!(BitRange::resolve(0, 0, -1, RangeUnit::Byte), None);
    }

    #[test]
    fn count_ones_matches_naive() {
        let data: Vec<u8> = (0..100u32).map(|i| (i * 37 + 11) as u8).collect();
        let bits = bits_of(&data);
        for (first, last) in [(0, 799), (3, 17), (5, 5), (8, 15), (9, 790), (64, 127)] {
            let naive = bits[first..=last].chars().filter(|&c| c == '1').count() as u64;
            let range = BitRange {
                first: first as u64,
                last: last as u64,
            };
            assert_eq!(count_ones(&data, range), naive, "{}..={}", first, last);
        }
    }

    #[test]
    fn find_bit_matches_naive() {
        let mut data = vec![0u8; 40];
        data[25] = 0x10;
        let all = |d: &[u8]| BitRange {
            first: 0,
            last: d.len() as u64 * 8 - 1,
        };
        assert_eq!(find_bit(&data, all(&data), true), Some(25 * 8 + 3));
        assert_eq!(find_bit(&data, all(&data), false), Some(0));
        let range = BitRange {
            first: 204,
            last: 319,
        };
        assert_eq!(find_bit(&data, range, true), None);
        let ones = vec![0xFFu8; 40];
        assert_eq!(find_bit(&ones, all(&ones), false), None);
        let mut one_gap = ones.clone();
        set_bit(&mut one_gap, 301, false);
        assert_eq!(find_bit(&one_gap, all(&one_gap), false), Some(301));
        let inside = BitRange {
            first: 299,
            last: 301,
        };
        assert_eq!(find_bit(&one_gap, inside, false), Some(301));
        let before = BitRange {
            first: 299,
            last: 300,
        };
        assert_eq!(find_bit(&one_gap, before, false), None);
    }

    #[test]
    fn bitops_pad_with_zeros() {
        let a: &[u8] = b"\x01\x02\xff\xff";
        let b: &[u8] = b"\x01\x02\xff";
        assert_eq!(combine(BitOp::And, &[a, b]), b"\x01\x02\xff\x00");
        assert_eq!(combine(BitOp::Or, &[a, b]), b"\x01\x02\xff\xff");
        assert_eq!(combine(BitOp::Xor, &[a, b]), b"\x00\x00\x00\xff");
        assert_eq!(combine(BitOp::Not, &[b]), b"\xfe\xfd\x00");
        assert_eq!(combine(BitOp::And, &[b"", b""]), b"");
    }

    #[test]
    fn fields_at_unaligned_offsets() {
        let u5 = FieldType {
            signed: false,
            bits: 5,
        };
        let mut buf = vec![0u8; 2];
        u5.write(&mut buf, 7, 23);
        assert_eq!(bits_of(&buf), "0000000101110000");
        assert_eq!(u5.read(&buf, 7), 23);
        let i64t = FieldType {
            signed: true,
            bits: 64,
        };
        let mut buf = vec![0u8; 9];
        i64t.write(&mut buf, 3, -2);
        assert_eq!(i64t.read(&buf, 3), -2);
        assert_eq!(bits_of(&buf[..1]), "00011111");
        assert_eq!(i64t.read(&buf, 200), 0);
    }

    #[test]
    fn overflow_rules() {
        let t = |s: &[u8]| FieldType::parse(s).unwrap();
        assert_eq!(t(b"u8").fit(100, 257, Overflow::Wrap), Some(101));
        assert_eq!(t(b"u8").fit(100, 257, Overflow::Sat), Some(255));
        assert_eq!(t(b"u8").fit(100, -255, Overflow::Sat), Some(0));
        assert_eq!(t(b"u8").fit(100, 257, Overflow::Fail), None);
        assert_eq!(t(b"u8").fit(-1, 0, Overflow::Sat), Some(255));
        assert_eq!(t(b"i8").fit(100, 257, Overflow::Wrap), Some(101));
        assert_eq!(t(b"i8").fit(100, -255, Overflow::Sat), Some(-128));
        assert_eq!(t(b"i8").fit(i64::MIN, 0, Overflow::Sat), Some(127));
        assert_eq!(t(b"i8").fit(i64::MIN + 128, 0, Overflow::Sat), Some(-128));
        assert_eq!(t(b"i8").fit(i64::MIN, 0, Overflow::Wrap), Some(0));
        assert_eq!(t(b"i64").fit(i64::MAX, 1, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(t(b"i64").fit(i64::MIN, 0, Overflow::Fail), Some(i64::MIN));
        assert_eq!(t(b"u63").fit(-1, 0, Overflow::Fail), None);
    }

    #[test]
    fn field_type_names() {
        assert!(FieldType::parse(b"u64").is_none());
        assert!(FieldType::parse(b"i65").is_none());
        assert!(FieldType::parse(b"i0").is_none());
        assert!(FieldType::parse(b"U8").is_none());
        assert!(FieldType::parse(b"u08").is_none());
        assert!(FieldType::parse(b"u").is_none());
        assert_eq!(
            FieldType::parse(b"i64"),
            Some(FieldType {
                signed: true,
                bits: 64
            })
        );
    }
}
