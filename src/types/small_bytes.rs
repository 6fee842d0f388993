//! A binary-safe byte string stored inline when short: the keyspace's keys
//! (`db::Key`) and a hashtable set's members.
//!
//! Most keys and members are short, so storing them inside the map entry
//! saves the heap allocation and, on every lookup, the cache miss of
//! following a pointer to compare the bytes. Longer ones live on the heap.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest string a [`SmallBytes`] keeps inline by default: what fits beside
/// the length and the enum tag in the 24 bytes a heap string takes anyway.
pub const INLINE_MAX: usize = 22;

#[derive(Clone)]
enum Repr<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Box<[u8]>),
}

/// Hashes, compares and borrows as the `[u8]` it holds, so maps keyed by
/// `SmallBytes` are searched with plain byte slices. `N` is the longest
/// string kept inline; the value takes `N + 2` bytes rounded up to 8 (at
/// least 24).
#[derive(Clone)]
pub struct SmallBytes<const N: usize = INLINE_MAX>(Repr<N>);

impl<const N: usize> SmallBytes<N> {
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Repr::Heap(b) => b,
        }
    }

    /// The parts one after the other, with no intermediate buffer.
    pub fn concat(parts: &[&[u8]]) -> Self {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let mut bytes = [0u8; N];
        match (bytes.get_mut(..total), u8::try_from(total)) {
            (Some(_), Ok(len)) => {
                let mut at = 0;
                for part in parts {
                    if let Some(dst) = bytes.get_mut(at..at + part.len()) {
                        dst.copy_from_slice(part);
                    }
                    at += part.len();
                }
                SmallBytes(Repr::Inline { len, bytes })
            }
            _ => SmallBytes(Repr::Heap(parts.concat().into_boxed_slice())),
        }
    }

    /// Whether the bytes live in a separate allocation (for memory reports).
    pub fn is_on_heap(&self) -> bool {
        matches!(self.0, Repr::Heap(_))
    }
}

impl<const N: usize> From<&[u8]> for SmallBytes<N> {
    fn from(s: &[u8]) -> Self {
        let mut bytes = [0u8; N];
        match (bytes.get_mut(..s.len()), u8::try_from(s.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(s);
                SmallBytes(Repr::Inline { len, bytes })
            }
            _ => SmallBytes(Repr::Heap(s.into())),
        }
    }
}

impl<const N: usize> From<Vec<u8>> for SmallBytes<N> {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= N {
            SmallBytes::from(v.as_slice())
        } else {
            SmallBytes(Repr::Heap(v.into_boxed_slice()))
        }
    }
}

impl<const N: usize> From<Box<[u8]>> for SmallBytes<N> {
    fn from(b: Box<[u8]>) -> Self {
        if b.len() <= N {
            SmallBytes::from(&*b)
        } else {
            SmallBytes(Repr::Heap(b))
        }
    }
}

impl<const N: usize> From<SmallBytes<N>> for Vec<u8> {
    fn from(k: SmallBytes<N>) -> Self {
        match k.0 {
            Repr::Heap(b) => b.into_vec(),
            Repr::Inline { .. } => k.as_bytes().to_vec(),
        }
    }
}

impl<const N: usize> Deref for SmallBytes<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const N: usize> AsRef<[u8]> for SmallBytes<N> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const N: usize> Borrow<[u8]> for SmallBytes<N> {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Must hash exactly as `[u8]` does, for lookups by slice to find it.
impl<const N: usize> Hash for SmallBytes<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> PartialEq for SmallBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for SmallBytes<N> {}

impl<const N: usize> PartialOrd for SmallBytes<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for SmallBytes<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl<const N: usize> fmt::Debug for SmallBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The default inline size, named so constructors infer it.
    type Small = SmallBytes;

    #[test]
    fn short_keys_are_inline_and_long_ones_on_the_heap() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        let short = Small::from(&b"key:000000012345"[..]);
        assert!(!short.is_on_heap());
        assert_eq!(&*short, b"key:000000012345");
        let edge = Small::from(vec![b'x'; INLINE_MAX]);
        assert!(!edge.is_on_heap());
        let long = Small::from(vec![b'y'; INLINE_MAX + 1]);
        assert!(long.is_on_heap());
        assert_eq!(long.len(), INLINE_MAX + 1);
        assert_eq!(Vec::from(long), vec![b'y'; INLINE_MAX + 1]);
        assert!(Small::from(&b""[..]).is_empty());
    }

    #[test]
    fn maps_find_keys_by_slice() {
        let mut m: HashMap<Small, i32> = HashMap::new();
        m.insert(Small::from(&b"a"[..]), 1);
        m.insert(Small::from(vec![b'z'; 40]), 2);
        assert_eq!(m.get(&b"a"[..]), Some(&1));
        assert_eq!(m.get(&[b'z'; 40][..]), Some(&2));
        assert_eq!(m.get(&b"b"[..]), None);
    }
}
