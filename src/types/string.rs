//! The string type with Redis's three encodings: `int` (a number stored as a
//! machine integer), `embstr` (a short immutable string) and `raw` (a growable
//! buffer, what APPEND, SETRANGE and SETBIT produce).

use crate::util::{i64_text, parse_i64};

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrValue {
    Int(i64),
    Emb(Box<[u8]>),
    Raw(Vec<u8>),
}

impl StrValue {
    /// The value a SET-like command stores: integers become `int`, short
    /// strings `embstr`, longer ones `raw` (Redis's `tryObjectEncoding`).
    pub fn from_bytes(s: &[u8]) -> Self {
        if s.len() <= 20 {
            if let Some(n) = parse_i64(s) {
                return StrValue::Int(n);
            }
        }
        if s.len() <= EMBSTR_MAX {
            StrValue::Emb(s.into())
        } else {
            StrValue::Raw(s.to_vec())
        }
    }

    /// Like [`StrValue::from_bytes`] for a buffer the caller gives away
    /// (loading a file): a `raw` value keeps it without copying.
    pub fn from_vec(s: Vec<u8>) -> Self {
        if s.len() <= 20 {
            if let Some(n) = parse_i64(&s) {
                return StrValue::Int(n);
            }
        }
        if s.len() <= EMBSTR_MAX {
            StrValue::Emb(s.into_boxed_slice())
        } else {
            StrValue::Raw(s)
        }
    }

    /// A string stored as text even if it looks like a number (what
    /// INCRBYFLOAT stores): `embstr` when short, `raw` otherwise.
    pub fn from_text(s: &[u8]) -> Self {
        if s.len() <= EMBSTR_MAX {
            StrValue::Emb(s.into())
        } else {
            StrValue::Raw(s.to_vec())
        }
    }

    /// A value that will be modified in place: always `raw`.
    pub fn raw(s: Vec<u8>) -> Self {
        StrValue::Raw(s)
    }

    /// The bytes of the value; `tmp` holds the text of an integer.
    pub fn bytes<'a>(&'a self, tmp: &'a mut [u8; 21]) -> &'a [u8] {
        match self {
            StrValue::Int(n) => i64_text(tmp, *n),
            StrValue::Emb(b) => b,
            StrValue::Raw(v) => v,
        }
    }

    /// An owned copy of the bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut tmp = [0u8; 21];
        self.bytes(&mut tmp).to_vec()
    }

    pub fn len(&self) -> usize {
        let mut tmp = [0u8; 21];
        self.bytes(&mut tmp).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer value, if the text is a valid integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrValue::Int(n) => Some(*n),
            StrValue::Emb(b) => parse_i64(b),
            StrValue::Raw(v) => parse_i64(v),
        }
    }

    /// A mutable buffer, converting to `raw` first.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Raw(_)) {
            *self = StrValue::Raw(self.to_vec());
        }
        match self {
            StrValue::Raw(v) => v,
            _ => unreachable!("converted to raw above"),
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Emb(_) => "embstr",
            StrValue::Raw(_) => "raw",
        }
    }

    /// Heap bytes owned by the value (for MEMORY USAGE style estimates).
    pub fn heap_size(&self) -> usize {
        match self {
            StrValue::Int(_) => 0,
            StrValue::Emb(b) => b.len(),
            StrValue::Raw(v) => v.capacity(),
        }
    }
}
