//! Data structures for the values stored in the keyspace. Nothing here knows
//! about the protocol; each type knows its Redis type and encoding names.

pub mod bitmap;
pub mod stream;
pub mod string;

pub use stream::Stream;
pub use string::StrValue;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(StrValue),
    /// Boxed: a stream's header is much larger than a string's.
    Stream(Box<Stream>),
}

impl Value {
    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Stream(_) => "stream",
        }
    }

    /// The string inside, or `None` for other types.
    pub fn as_str(&self) -> Option<&StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str_mut(&mut self) -> Option<&mut StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The stream inside, or `None` for other types.
    pub fn as_stream(&self) -> Option<&Stream> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_stream_mut(&mut self) -> Option<&mut Stream> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Stream(_) => "stream",
        }
    }
}

/// A value plus the access metadata Redis keeps in every object header.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub value: Value,
    /// LRU clock (seconds, 24 bits) at last access, or LFU data when an LFU
    /// maxmemory policy is active (16-bit minutes + 8-bit counter).
    pub lru: u32,
}

impl Object {
    pub fn new(value: Value, lru: u32) -> Self {
        Object { value, lru }
    }
}
