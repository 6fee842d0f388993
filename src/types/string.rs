//! The string type with Redis's three encodings: `int` (a number stored as a
//! machine integer), `embstr` (a short immutable string) and `raw` (a growable
//! buffer, what APPEND, SETRANGE and SETBIT produce).

use crate::util::{i64_text, parse_i64};

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

/// Longest string kept inside the value itself (no allocation): what fits
/// beside its length and the tag in the 24 bytes a value takes.
const INLINE_MAX: usize = 22;

/// A string value. Each encoding Redis reports has two forms here, chosen
/// for size: `embstr` up to 22 bytes is kept inline, longer in an exact
/// box; `raw` is an exact box as stored, and becomes a growable buffer
/// only once modified in place. That keeps the value to 24 bytes.
#[derive(Debug, Clone)]
pub enum StrValue {
    Int(i64),
    /// `embstr` of at most [`INLINE_MAX`] bytes.
    Inline {
        len: u8,
        bytes: [u8; INLINE_MAX],
    },
    /// `embstr` longer than that.
    Emb(Box<[u8]>),
    /// `raw`, as stored.
    Raw(Box<[u8]>),
    /// `raw`, being modified in place (APPEND, SETRANGE, SETBIT, ...).
    Buf(Box<Vec<u8>>),
}

/// Strings are equal when their encodings and bytes are (the two forms of
/// one encoding are the same string).
impl PartialEq for StrValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (StrValue::Int(a), StrValue::Int(b)) => a == b,
            (StrValue::Int(_), _) | (_, StrValue::Int(_)) => false,
            _ => self.encoding() == other.encoding() && self.text() == other.text(),
        }
    }
}

impl Eq for StrValue {}

impl StrValue {
    /// The value a SET-like command stores: integers become `int`, short
    /// strings `embstr`, longer ones `raw` (Redis's `tryObjectEncoding`).
    pub fn from_bytes(s: &[u8]) -> Self {
        if s.len() <= 20 {
            if let Some(n) = parse_i64(s) {
                return StrValue::Int(n);
            }
        }
        StrValue::from_text(s)
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
            StrValue::from_text(&s)
        } else {
            StrValue::Raw(s.into_boxed_slice())
        }
    }

    /// A string stored as text even if it looks like a number (what
    /// INCRBYFLOAT stores): `embstr` when short, `raw` otherwise.
    pub fn from_text(s: &[u8]) -> Self {
        let mut bytes = [0u8; INLINE_MAX];
        match (bytes.get_mut(..s.len()), u8::try_from(s.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(s);
                StrValue::Inline { len, bytes }
            }
            _ if s.len() <= EMBSTR_MAX => StrValue::Emb(s.into()),
            _ => StrValue::Raw(s.into()),
        }
    }

    /// A value that will be modified in place: always `raw`.
    pub fn raw(s: Vec<u8>) -> Self {
        StrValue::Buf(Box::new(s))
    }

    /// The bytes of a value not stored as an integer.
    pub fn text(&self) -> Option<&[u8]> {
        match self {
            StrValue::Int(_) => None,
            StrValue::Inline { len, bytes } => bytes.get(..usize::from(*len)),
            StrValue::Emb(b) | StrValue::Raw(b) => Some(b),
            StrValue::Buf(v) => Some(v),
        }
    }

    /// The bytes of the value; `tmp` holds the text of an integer.
    pub fn bytes<'a>(&'a self, tmp: &'a mut [u8; 21]) -> &'a [u8] {
        match self {
            StrValue::Int(n) => i64_text(tmp, *n),
            _ => self.text().unwrap_or_default(),
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
            _ => self.text().and_then(parse_i64),
        }
    }

    /// A mutable buffer, converting to `raw` first.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Buf(_)) {
            let bytes = match std::mem::replace(self, StrValue::Int(0)) {
                StrValue::Raw(b) => b.into_vec(),
                other => other.to_vec(),
            };
            *self = StrValue::raw(bytes);
        }
        match self {
            StrValue::Buf(v) => v,
            _ => unreachable!("converted to a buffer above"),
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Inline { .. } | StrValue::Emb(_) => "embstr",
            StrValue::Raw(_) | StrValue::Buf(_) => "raw",
        }
    }

    /// Heap bytes owned by the value (for MEMORY USAGE style estimates).
    pub fn heap_size(&self) -> usize {
        match self {
            StrValue::Int(_) | StrValue::Inline { .. } => 0,
            StrValue::Emb(b) | StrValue::Raw(b) => b.len(),
            StrValue::Buf(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }
}
