//! Data structures for the values stored in the keyspace. Nothing here knows
//! about the protocol; each type knows its Redis type and encoding names.

pub mod bitmap;
pub mod string;
pub mod zset;

pub use string::StrValue;
pub use zset::ZSet;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(StrValue),
    ZSet(ZSet),
}

impl Value {
    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::ZSet(_) => "zset",
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

    /// The sorted set inside, or `None` for other types.
    pub fn as_zset(&self) -> Option<&ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    pub fn as_zset_mut(&mut self) -> Option<&mut ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
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
