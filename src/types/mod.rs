//! Data structures for the values stored in the keyspace. Nothing here knows
//! about the protocol; each type knows its Redis type and encoding names.
//!
//! Two byte encodings live here beside the types that use them:
//! `listpack` is Redis's own format, byte for byte (stream nodes are kept
//! in it, and persistence reads and writes RDB listpacks with it);
//! `varint` is the length prefix of the packed buffers that are reddish's
//! own (a small hash, list node or sorted set), which report Redis's
//! encoding names but are laid out differently.

pub mod bitmap;
pub mod geohash;
pub mod hash;
pub mod hyperloglog;
pub mod list;
pub mod listpack;
pub mod set;
pub mod sip;
pub mod small_bytes;
pub mod stream;
pub mod string;
pub mod varint;
pub mod zset;

pub use hash::HashValue;
pub use list::List;
pub use set::SetValue;
pub use small_bytes::SmallBytes;
pub use stream::Stream;
pub use string::StrValue;
pub use zset::ZSet;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(StrValue),
    List(Box<List>),
    Set(SetValue),
    Hash(HashValue),
    /// Boxed: a stream's header is much larger than a string's.
    Stream(Box<Stream>),
    ZSet(ZSet),
}

/// `as_x` / `as_x_mut`: the value inside if it is of that type, else `None`
/// (the caller answers WRONGTYPE).
macro_rules! accessors {
    ($($variant:ident: $ty:ty => $get:ident, $get_mut:ident;)*) => {
        impl Value {
            $(
                pub fn $get(&self) -> Option<&$ty> {
                    match self {
                        Value::$variant(v) => Some(v),
                        _ => None,
                    }
                }

                pub fn $get_mut(&mut self) -> Option<&mut $ty> {
                    match self {
                        Value::$variant(v) => Some(v),
                        _ => None,
                    }
                }
            )*
        }
    };
}

accessors! {
    Str: StrValue => as_str, as_str_mut;
    List: List => as_list, as_list_mut;
    Set: SetValue => as_set, as_set_mut;
    Hash: HashValue => as_hash, as_hash_mut;
    Stream: Stream => as_stream, as_stream_mut;
    ZSet: ZSet => as_zset, as_zset_mut;
}

impl Value {
    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Hash(_) => "hash",
            Value::Stream(_) => "stream",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(_) => "quicklist",
            Value::Set(s) => s.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Stream(_) => "stream",
            Value::ZSet(z) => z.encoding(),
        }
    }

    /// The element count and capacity of the hash table holding this
    /// value's members, when its encoding has one (DEBUG HTSTATS-KEY).
    pub fn hash_table_shape(&self) -> Option<TableShape> {
        let (elements, capacity) = match self {
            Value::Set(SetValue::Table(t)) => (t.len(), t.capacity()),
            Value::Hash(HashValue::Table(t)) => (t.len(), t.capacity()),
            Value::ZSet(ZSet::Skiplist(t)) => (t.len(), t.index_capacity()),
            _ => return None,
        };
        Some(TableShape { elements, capacity })
    }
}

/// How full a hash table is. reddish's tables use open addressing, so
/// every element has a slot of its own (no chains).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableShape {
    pub elements: usize,
    pub capacity: usize,
}

impl Value {
    /// A list, set, hash or sorted set with nothing left in it: Redis
    /// deletes such a key (an empty stream stays, as in Redis).
    pub fn is_empty_aggregate(&self) -> bool {
        match self {
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            Value::Str(_) | Value::Stream(_) => false,
        }
    }
}

/// The Rust type of each kind of value, for lookups by type.
pub trait ValueType: Sized {
    /// The value inside `value` if it is of this type.
    fn of(value: &Value) -> Option<&Self>;
    fn of_mut(value: &mut Value) -> Option<&mut Self>;
    /// This value as a [`Value`].
    fn into_value(self) -> Value;
}

macro_rules! value_types {
    ($($ty:ty => $get:ident, $get_mut:ident, $wrap:expr;)*) => {
        $(
            impl ValueType for $ty {
                fn of(value: &Value) -> Option<&Self> {
                    value.$get()
                }

                fn of_mut(value: &mut Value) -> Option<&mut Self> {
                    value.$get_mut()
                }

                fn into_value(self) -> Value {
                    $wrap(self)
                }
            }
        )*
    };
}

value_types! {
    StrValue => as_str, as_str_mut, Value::Str;
    List => as_list, as_list_mut, |l| Value::List(Box::new(l));
    SetValue => as_set, as_set_mut, Value::Set;
    HashValue => as_hash, as_hash_mut, Value::Hash;
    Stream => as_stream, as_stream_mut, |s| Value::Stream(Box::new(s));
    ZSet => as_zset, as_zset_mut, Value::ZSet;
}

/// A value plus the access metadata Redis keeps in every object header.
///
/// Held in the keyspace map, which keeps its hash chain in `link` (what
/// would otherwise be padding): change an object's `value` or `lru` in
/// place, never assign a whole object over one the map holds.
#[derive(Debug, Clone)]
pub struct Object {
    pub value: Value,
    /// LRU clock (seconds, 24 bits) at last access, or LFU data when an LFU
    /// maxmemory policy is active (16-bit minutes + 8-bit counter).
    pub lru: u32,
    /// The keyspace map's next entry in this object's hash chain.
    pub(crate) link: u32,
}

impl Object {
    pub fn new(value: Value, lru: u32) -> Self {
        Object {
            value,
            lru,
            link: u32::MAX,
        }
    }
}

/// Objects are equal when their values and access data are.
impl PartialEq for Object {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.lru == other.lru
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keyspace's bytes per key depend on these sizes.
    #[test]
    fn values_take_24_bytes_and_objects_32() {
        assert_eq!(std::mem::size_of::<StrValue>(), 24);
        assert_eq!(std::mem::size_of::<SetValue>(), 16);
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Object>(), 32);
    }
}
