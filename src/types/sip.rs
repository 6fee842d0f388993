//! The hash of the keyspace and of the sets', hashes' and sorted sets'
//! tables: SipHash-1-3 (what `std`'s `RandomState` computes), keyed at
//! random once per process as Redis keys its SipHash, but in one pass over
//! the bytes.
//!
//! `std`'s hasher is fed a byte string in two calls (its length, then the
//! bytes) and buffers both; hashing a short key that way costs about
//! twice the instructions of the one pass here. Keys hash as `[u8]`, so
//! the length comes first ([`Hasher::write_usize`]) and is folded into
//! the key of the one pass over the bytes that follows.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// The process's random SipHash key.
fn process_key() -> (u64, u64) {
    static KEY: OnceLock<(u64, u64)> = OnceLock::new();
    *KEY.get_or_init(|| {
        let seeded = RandomState::new();
        (seeded.hash_one(0x5eed_u64), seeded.hash_one(0xfeed_u64))
    })
}

/// Builds [`SipHasher`]s with the process's key. Zero-sized: a table
/// using it carries no hasher state.
#[derive(Debug, Clone, Copy, Default)]
pub struct SipBuild;

impl BuildHasher for SipBuild {
    type Hasher = SipHasher;

    fn build_hasher(&self) -> SipHasher {
        let (k0, k1) = process_key();
        SipHasher { k0, k1, state: 0 }
    }
}

/// One hash in progress: every `write` is one SipHash pass keyed by the
/// process key mixed with what was written before.
#[derive(Debug, Clone)]
pub struct SipHasher {
    k0: u64,
    k1: u64,
    state: u64,
}

impl Hasher for SipHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.state = sip::<1, 3>(self.k0 ^ self.state, self.k1, bytes);
    }

    fn write_usize(&mut self, n: usize) {
        self.state = self.state.rotate_left(29) ^ n as u64;
    }

    fn finish(&self) -> u64 {
        self.state
    }
}

/// SipHash-c-d of `data` under the key (`k0`, `k1`).
fn sip<const C: usize, const D: usize>(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let compress = |v: &mut [u64; 4], m: u64| {
        v[3] ^= m;
        for _ in 0..C {
            round(v);
        }
        v[0] ^= m;
    };
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        compress(
            &mut v,
            u64::from_le_bytes(word.try_into().unwrap_or_default()),
        );
    }
    let mut last = (data.len() as u64) << 56;
    for (i, &b) in words.remainder().iter().enumerate() {
        last |= u64::from(b) << (8 * i);
    }
    compress(&mut v, last);
    v[2] ^= 0xff;
    for _ in 0..D {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[inline(always)]
fn round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one pass computes SipHash: checked in its 2-4 form against
    /// `std`'s (deprecated but stable) SipHash-2-4.
    #[test]
    #[allow(deprecated)]
    fn matches_std_siphash_2_4() {
        let data: Vec<u8> = (0..40u8).collect();
        for len in 0..data.len() {
            let bytes = data.get(..len).unwrap_or_default();
            let mut std_hasher = std::hash::SipHasher::new_with_keys(7, 11);
            std_hasher.write(bytes);
            assert_eq!(
                sip::<2, 4>(7, 11, bytes),
                std_hasher.finish(),
                "length {len}"
            );
        }
    }

    #[test]
    fn byte_strings_hash_by_content_and_length() {
        let h = |b: &[u8]| SipBuild.hash_one(b);
        assert_eq!(h(b"key:1"), h(b"key:1"));
        assert_ne!(h(b"key:1"), h(b"key:2"));
        assert_ne!(h(b""), h(b"\0"));
    }
}
