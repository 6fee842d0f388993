//! Byte codecs of the compact encodings only RDB files hold: intset (a
//! small integer set; in memory it is an array, see `types::set`), and
//! the encodings older Redis versions wrote, which are only read: ziplist
//! and zipmap. Listpacks (Redis 7's small hashes, sorted sets, sets, list
//! nodes and stream nodes) are read and written with `types::listpack`,
//! the one implementation of that format, and stream nodes are checked by
//! `types::stream::node`, which owns their layout.
//!
//! Decoders validate every byte (lengths, terminators, back-lengths,
//! header counts) and report a [`Corrupt`] error instead of trusting a
//! header: the input comes from files and RESTORE payloads.

pub mod intset;
pub mod ziplist;
pub mod zipmap;

pub use crate::types::listpack::{Corrupt, Elem};

/// Little-endian unsigned integer of `len` bytes at `at`.
fn read_le(bytes: &[u8], at: usize, len: usize) -> Result<u64, Corrupt> {
    crate::util::read_le(bytes, at, len).ok_or(Corrupt)
}
