//! Data structures for the values stored in the keyspace. Nothing here knows
//! about the protocol; each type knows its Redis type and encoding names.

pub mod bitmap;
pub mod hash;
pub mod list;
pub mod set;
pub mod string;

pub use hash::HashValue;
pub use list::List;
pub use set::SetValue;
pub use string::StrValue;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(StrValue),
    Set(SetValue),
    List(Box<List>),
    Hash(HashValue),
}

impl Value {
    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Set(_) => "set",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
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

    /// The set inside, or `None` for other types.
    pub fn as_set(&self) -> Option<&SetValue> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The hash inside, or `None` for other types.
    pub fn as_hash(&self) -> Option<&HashValue> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The list inside, or `None` for other types.
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_set_mut(&mut self) -> Option<&mut SetValue> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list_mut(&mut self) -> Option<&mut List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_hash_mut(&mut self) -> Option<&mut HashValue> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Set(s) => s.encoding(),
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding(),
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
