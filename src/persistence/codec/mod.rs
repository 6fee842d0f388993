//! Byte codecs of the compact encodings RDB files embed as strings:
//! listpack (Redis 7's small hashes, sorted sets, list nodes and stream
//! nodes), intset (small integer sets), and the encodings older Redis
//! versions wrote, which are only read: ziplist and zipmap.
//!
//! Decoders validate every byte (lengths, terminators, back-lengths,
//! header counts) and report a [`Corrupt`] error instead of trusting a
//! header: the input comes from files and RESTORE payloads.

pub mod intset;
pub mod listpack;
pub mod stream;
pub mod ziplist;
pub mod zipmap;

/// One element of a compact encoding: bytes, or an integer stored in
/// binary form (which stands for its decimal text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    /// The element as bytes (an integer as its decimal text).
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Elem::Bytes(b) => b.to_vec(),
            Elem::Int(n) => crate::util::i64_to_bytes(*n),
        }
    }

    /// The element as an integer, if it is one (strictly, as Redis's
    /// `string2ll`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Elem::Bytes(b) => crate::util::parse_i64(b),
            Elem::Int(n) => Some(*n),
        }
    }
}

/// The encoded data is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// Little-endian unsigned integer of `len` bytes at `at`.
fn read_le(bytes: &[u8], at: usize, len: usize) -> Result<u64, Corrupt> {
    let field = bytes
        .get(at..at.checked_add(len).ok_or(Corrupt)?)
        .ok_or(Corrupt)?;
    Ok(field
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}
