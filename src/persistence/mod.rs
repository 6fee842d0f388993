//! Persistence: RDB snapshots that real Redis 7.0 reads and writes.
//!
//! The format layer is pure and type-neutral: [`lzf`] and the [`codec`]
//! modules (listpack, ziplist, intset, zipmap, stream nodes) are byte
//! codecs, and the [`writer`] and [`reader`] (with [`decode`] for value
//! bodies) speak in terms of neutral values ([`value::RdbValue`]).
//! [`value`] is the one place where reddish's own `Value` type is
//! converted to and from those neutral values.
//!
//! The server side: [`snapshot`] writes the whole dataset (a file, a
//! forked child's file, or bytes for replication), [`save`] runs SAVE,
//! BGSAVE, save points and the MISCONF state, [`load`] reads a file at
//! start-up and for DEBUG RELOAD, [`childinfo`] carries a save child's
//! progress to the parent. [`aof`] is the append-only file.

pub mod aof;
pub mod check;
pub mod codec;
pub mod decode;
pub mod format;
pub mod hooks;
pub mod load;
pub mod lzf;
pub mod reader;
pub mod save;
pub mod snapshot;
pub mod value;
pub mod writer;

pub use snapshot::rdb_snapshot_bytes;
