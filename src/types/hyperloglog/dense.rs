//! The dense encoding: 16384 registers of 6 bits packed into 12288 bytes,
//! register 0 in the low bits of the first byte and each register's bits
//! continuing into the next byte's low bits. The last register stops at the
//! end of the buffer (Redis reads a terminating zero byte past it).

use super::{REGISTERS, REGISTER_MAX};

/// Bytes of packed registers after the header.
pub const REGISTER_BYTES: usize = (REGISTERS * 6).div_ceil(8);

/// Where register `index` starts: its first byte and the bit inside it.
fn position(index: usize) -> (usize, u32) {
    let bit = index * 6;
    (bit / 8, (bit & 7) as u32)
}

/// The value of register `index` (0 past the end).
pub fn get(regs: &[u8], index: usize) -> u8 {
    let (byte, shift) = position(index);
    let low = u32::from(regs.get(byte).copied().unwrap_or(0));
    let high = u32::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((low >> shift) | (high << (8 - shift))) & u32::from(REGISTER_MAX)) as u8
}

/// Sets register `index` to `value` (at most 63).
pub fn put(regs: &mut [u8], index: usize, value: u8) {
    let (byte, shift) = position(index);
    let value = u32::from(value & REGISTER_MAX);
    let mask = u32::from(REGISTER_MAX);
    if let Some(b) = regs.get_mut(byte) {
        *b = (*b & !((mask << shift) as u8)) | ((value << shift) as u8);
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = (*b & !((mask >> (8 - shift)) as u8)) | ((value >> (8 - shift)) as u8);
    }
}

/// Raises register `index` to `count` if it is lower; true if it changed.
pub fn raise(regs: &mut [u8], index: usize, count: u8) -> bool {
    if count > get(regs, index) {
        put(regs, index, count);
        true
    } else {
        false
    }
}

/// The four registers packed in three bytes.
fn unpack(b: &[u8]) -> [u8; 4] {
    let (b0, b1, b2) = match *b {
        [b0, b1, b2] => (b0, b1, b2),
        _ => (0, 0, 0),
    };
    [
        b0 & REGISTER_MAX,
        ((b0 >> 6) | (b1 << 2)) & REGISTER_MAX,
        ((b1 >> 4) | (b2 << 4)) & REGISTER_MAX,
        b2 >> 2,
    ]
}

/// Every register value, in order.
pub fn values(regs: &[u8]) -> impl Iterator<Item = u8> + '_ {
    regs.chunks_exact(3).flat_map(unpack)
}

/// Adds each register's value to the histogram of values.
pub fn histogram(regs: &[u8], hist: &mut [u64; 64]) {
    let mut lanes = Lanes::default();
    for chunk in regs.chunks_exact(3) {
        lanes.add(unpack(chunk));
    }
    lanes.sum_into(hist);
}

/// Four histograms filled in turn: consecutive registers, often of equal
/// value, do not wait on each other's increment.
pub struct Lanes([[u32; 64]; 4]);

impl Default for Lanes {
    fn default() -> Self {
        Lanes([[0; 64]; 4])
    }
}

impl Lanes {
    /// Counts four register values (each below 64).
    pub fn add(&mut self, values: [u8; 4]) {
        for (lane, v) in self.0.iter_mut().zip(values) {
            if let Some(h) = lane.get_mut(usize::from(v & REGISTER_MAX)) {
                *h += 1;
            }
        }
    }

    /// Adds the counts to `hist`.
    pub fn sum_into(&self, hist: &mut [u64; 64]) {
        for lane in &self.0 {
            for (h, &n) in hist.iter_mut().zip(lane) {
                *h += u64::from(n);
            }
        }
    }
}

/// Raises each of `max` to the matching register.
pub fn merge_into(max: &mut [u8; REGISTERS], regs: &[u8]) {
    for (m, chunk) in max.chunks_exact_mut(4).zip(regs.chunks_exact(3)) {
        for (x, v) in m.iter_mut().zip(unpack(chunk)) {
            *x = (*x).max(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_keep_their_values_and_leave_neighbours_alone() {
        let mut regs = vec![0u8; REGISTER_BYTES];
        let mut expected = vec![0u8; REGISTERS];
        let mut state = 0x9e37_79b9_u32;
        for (i, e) in expected.iter_mut().enumerate() {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *e = ((state >> 16) & 63) as u8;
            put(&mut regs, i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            assert_eq!(get(&regs, i), e, "register {i}");
        }
        assert_eq!(values(&regs).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn register_one_spans_two_bytes() {
        let mut regs = vec![0u8; REGISTER_BYTES];
        put(&mut regs, 1, 0b111111);
        assert_eq!(&regs[..2], &[0b1100_0000, 0b0000_1111]);
        assert!(!raise(&mut regs, 1, 1));
        assert_eq!(get(&regs, REGISTERS - 1), 0);
        put(&mut regs, REGISTERS - 1, 63);
        assert_eq!(regs[REGISTER_BYTES - 1], 0b1111_1100);
    }
}
