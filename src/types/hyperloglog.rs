//! HyperLogLog values in Redis's exact byte format. An HLL is a plain
//! string; the bytes are the format, so values move unchanged through
//! DUMP/RESTORE, RDB files and replication between reddish and Redis.
//!
//! The string is a 16-byte header, then the registers:
//!
//! - `HYLL` magic, one encoding byte (0 dense, 1 sparse), 3 unused bytes,
//!   and the cached cardinality as 8 bytes little endian whose last byte's
//!   top bit says the cache is stale;
//! - dense ([`dense`]): 16384 registers of 6 bits, 12288 bytes;
//! - sparse ([`sparse`]): a run-length code of the registers, converted to
//!   dense once a register passes 32 or the string would pass
//!   `hll-sparse-max-bytes`.
//!
//! An element hashes with Redis's MurmurHash64A (seed `0xadc83b19`): the
//! low 14 bits pick the register, the run of zero bits above them (plus
//! one) is the value it is raised to. The cardinality is Redis 7.0's
//! estimator (Ertl's improved raw estimate with the tau and sigma
//! corrections), computed in the same double arithmetic, so the numbers
//! are Redis's. Pure functions over bytes: the commands are in
//! `commands::hyperloglog`.

pub mod dense;
pub mod sparse;

use crate::util::Rng;
use sparse::SetOutcome;

/// Bytes before the registers.
pub const HEADER_LEN: usize = 16;
/// Bits of the hash that pick a register.
const P: u32 = 14;
/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Bits of the hash whose run of zeros is counted.
const Q: usize = 64 - P as usize;
/// Largest value a register holds.
const REGISTER_MAX: u8 = 63;
/// Length of a dense value.
pub const DENSE_LEN: usize = HEADER_LEN + dense::REGISTER_BYTES;
const MAGIC: &[u8; 4] = b"HYLL";
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Offset of the encoding byte.
const ENCODING_AT: usize = 4;
/// Offset of the cached cardinality.
const CARD_AT: usize = 8;
/// Offset of the cache's last byte, whose top bit marks it stale.
const CARD_LAST: usize = 15;
const STALE: u8 = 0x80;
const HASH_SEED: u64 = 0xadc8_3b19;
/// 0.5 / ln(2).
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// How the registers are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

impl Encoding {
    /// The name PFDEBUG ENCODING answers.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// The header is an HLL's but the registers are not (Redis's
/// `INVALIDOBJ`): sparse runs that do not add up to 16384 registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// The encoding of `bytes` if they pass Redis's checks of an HLL string
/// (length, magic, a known encoding, and the exact dense length); `None`
/// is Redis's "not a valid HyperLogLog string value".
pub fn encoding_of(bytes: &[u8]) -> Option<Encoding> {
    if bytes.len() < HEADER_LEN || !bytes.starts_with(MAGIC) {
        return None;
    }
    match bytes.get(ENCODING_AT).copied() {
        Some(DENSE) if bytes.len() == DENSE_LEN => Some(Encoding::Dense),
        Some(SPARSE) => Some(Encoding::Sparse),
        _ => None,
    }
}

fn header(encoding: u8) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    for (slot, &b) in h.iter_mut().zip(MAGIC.iter()) {
        *slot = b;
    }
    h[ENCODING_AT] = encoding;
    h
}

/// A new, empty HLL (sparse, cached cardinality 0), as PFADD creates it.
pub fn new_sparse() -> Vec<u8> {
    sparse::empty(header(SPARSE))
}

/// A new, empty dense HLL.
pub fn new_dense() -> Vec<u8> {
    let mut out = header(DENSE).to_vec();
    out.resize(DENSE_LEN, 0);
    out
}

/// MurmurHash2, 64-bit version (MurmurHash64A), reading 8-byte blocks
/// little endian as Redis does on every platform.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = <[u8; 8]>::try_from(block).map_or(0, u64::from_le_bytes);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls in and the value it brings: the length
/// of the `0...01` pattern above the register bits (1 to 51).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, HASH_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// The cached cardinality, if it is valid.
pub fn cached(hll: &[u8]) -> Option<u64> {
    let card = hll.get(CARD_AT..HEADER_LEN)?;
    let card = u64::from_le_bytes(<[u8; 8]>::try_from(card).ok()?);
    (card >> 63 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality.
pub fn store_cached(hll: &mut [u8], card: u64) {
    if let Some(slot) = hll.get_mut(CARD_AT..HEADER_LEN) {
        slot.copy_from_slice(&card.to_le_bytes());
    }
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(hll: &mut [u8]) {
    if let Some(b) = hll.get_mut(CARD_LAST) {
        *b |= STALE;
    }
}

fn encoding_byte(hll: &[u8]) -> Option<u8> {
    hll.get(ENCODING_AT).copied()
}

/// Raises register `index` to `count` if it is lower, in either encoding
/// (a sparse value may become dense); true if the register changed.
pub fn set_register(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max_len: usize,
) -> Result<bool, Corrupt> {
    match encoding_byte(hll) {
        Some(DENSE) => Ok(dense::raise(registers_mut(hll), index, count)),
        Some(SPARSE) => match sparse::set(hll, index, count, sparse_max_len)? {
            SetOutcome::Unchanged => Ok(false),
            SetOutcome::Raised => Ok(true),
            SetOutcome::Promote => {
                to_dense(hll)?;
                dense::raise(registers_mut(hll), index, count);
                Ok(true)
            }
        },
        _ => Err(Corrupt),
    }
}

/// Adds `element` (PFADD's unit of work); true if a register changed.
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max_len: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    set_register(hll, index, count, sparse_max_len)
}

fn registers_mut(hll: &mut [u8]) -> &mut [u8] {
    hll.get_mut(HEADER_LEN..).unwrap_or_default()
}

fn registers(hll: &[u8]) -> &[u8] {
    hll.get(HEADER_LEN..).unwrap_or_default()
}

/// Converts a sparse value to dense, keeping the header (and so the
/// cached cardinality); false if it was dense already.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if encoding_byte(hll) == Some(DENSE) {
        return Ok(false);
    }
    let mut out = vec![0u8; DENSE_LEN];
    for (slot, &b) in out.iter_mut().zip(hll.iter().take(HEADER_LEN)) {
        *slot = b;
    }
    out[ENCODING_AT] = DENSE;
    let regs = registers_mut(&mut out);
    sparse::for_each_run(hll, |first, len, value| {
        for i in first..first + len {
            dense::put(regs, i, value);
        }
    })?;
    *hll = out;
    Ok(true)
}

/// The estimated cardinality of the registers (ignoring the cache).
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    let mut hist = [0u64; 64];
    match encoding_byte(hll) {
        Some(DENSE) => dense::histogram(registers(hll), &mut hist),
        Some(SPARSE) => sparse::histogram(hll, &mut hist)?,
        _ => return Err(Corrupt),
    }
    Ok(estimate(&hist))
}

/// Raises each of `max` to the matching register of `hll` (the union).
pub fn merge_into(max: &mut [u8; REGISTERS], hll: &[u8]) -> Result<(), Corrupt> {
    match encoding_byte(hll) {
        Some(DENSE) => {
            dense::merge_into(max, registers(hll));
            Ok(())
        }
        _ => sparse::for_each_run(hll, |first, len, value| {
            if let Some(run) = max.get_mut(first..first + len) {
                for m in run {
                    *m = (*m).max(value);
                }
            }
        }),
    }
}

/// The estimated cardinality of registers held one per byte (a union).
pub fn count_registers(max: &[u8; REGISTERS]) -> u64 {
    let mut lanes = dense::Lanes::default();
    for chunk in max.chunks_exact(4) {
        if let [a, b, c, d] = *chunk {
            lanes.add([a, b, c, d]);
        }
    }
    let mut hist = [0u64; 64];
    lanes.sum_into(&mut hist);
    estimate(&hist)
}

/// The register values of a dense value (PFDEBUG GETREG).
pub fn dense_values(hll: &[u8]) -> impl Iterator<Item = u8> + '_ {
    dense::values(registers(hll))
}

/// Ertl's sigma function.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

/// Ertl's tau function.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// The cardinality from the histogram of register values, as Redis 7.0's
/// `hllCount` computes it (register values above 51 are not counted).
fn estimate(hist: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let at = |j: usize| hist.get(j).copied().unwrap_or(0) as f64;
    let mut z = m * tau((m - at(Q + 1)) / m);
    for j in (1..=Q).rev() {
        z += at(j);
        z *= 0.5;
    }
    z += m * sigma(at(0) / m);
    c_cardinality(ALPHA_INF * m * m / z)
}

/// `(uint64_t)(double)llroundl(x)` as Redis's x86-64 build computes it:
/// out of range (an infinite estimate) gives `LLONG_MIN`.
fn c_cardinality(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let rounded = x.round();
    let ll = if rounded.is_finite() && (-TWO_63..TWO_63).contains(&rounded) {
        rounded as i64
    } else {
        i64::MIN
    };
    let e = ll as f64;
    if e < TWO_63 {
        e as i64 as u64
    } else {
        ((e - TWO_63) as i64 as u64) ^ (1 << 63)
    }
}

/// PFDEBUG DECODE's text of a sparse value.
pub fn describe_sparse(hll: &[u8]) -> String {
    sparse::describe(hll)
}

/// Elements the self test adds.
const SELF_TEST_ELEMENTS: u64 = 10_000_000;
/// Register round trips the self test makes.
const SELF_TEST_CYCLES: usize = 1000;

/// PFSELFTEST: register access, then the estimate of a dense and a sparse
/// value fed the same elements, checked at each power of ten. The error
/// text is Redis's.
pub fn self_test(rng: &mut Rng, sparse_max_len: usize) -> Result<(), String> {
    self_test_registers(rng)?;
    self_test_estimates(rng, sparse_max_len)
}

fn self_test_registers(rng: &mut Rng) -> Result<(), String> {
    let mut regs = vec![0u8; dense::REGISTER_BYTES];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..SELF_TEST_CYCLES {
        for (i, e) in expected.iter_mut().enumerate() {
            *e = (rng.next_u64() & u64::from(REGISTER_MAX)) as u8;
            dense::put(&mut regs, i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense::get(&regs, i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }
    Ok(())
}

fn self_test_estimates(rng: &mut Rng, sparse_max_len: usize) -> Result<(), String> {
    let mut dense_hll = new_dense();
    let mut sparse_hll = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rng.next_u64();
    let mut checkpoint = 1u64;
    for j in 1..=SELF_TEST_ELEMENTS {
        let element = (j ^ seed).to_le_bytes();
        let (index, value) = pattern(&element);
        dense::raise(registers_mut(&mut dense_hll), index, value);
        let _ = set_register(&mut sparse_hll, index, value, sparse_max_len);
        if j != checkpoint {
            continue;
        }
        if j < (sparse_max_len / 2) as u64 && encoding_byte(&sparse_hll) != Some(SPARSE) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimate = count(&dense_hll).unwrap_or(0);
        if count(&sparse_hll).unwrap_or(0) != estimate {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64)
            .wrapping_sub(estimate as i64)
            .unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
