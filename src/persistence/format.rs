//! Constants of the RDB format (version 10, as Redis 7.0 writes it; the
//! reader also knows the types of version 11) and small helpers both the
//! writer and the reader use.

/// The version reddish writes, in the file header and in DUMP payloads.
pub const RDB_VERSION: u16 = 10;
/// Newest version the reader accepts (Redis 7.2's).
pub const RDB_VERSION_MAX_READ: u16 = 11;

/// Value types.
pub mod kind {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// Opcodes that are not value types.
pub mod op {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// Special string encodings (after a length byte `11xxxxxx`).
pub mod enc {
    pub const INT8: u8 = 0;
    pub const INT16: u8 = 1;
    pub const INT32: u8 = 2;
    pub const LZF: u8 = 3;
}

/// Quicklist node containers in `LIST_QUICKLIST_2`.
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;

/// The CRC-64 (Jones polynomial, reflected) Redis protects files and DUMP
/// payloads with.
pub fn crc64(crc: u64, bytes: &[u8]) -> u64 {
    crc64::crc64(crc, bytes)
}

/// The 9-character name of a module type from its 64-bit ID (the top 54
/// bits hold six bits per character), as Redis prints it in errors.
pub fn module_type_name(id: u64) -> String {
    const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..9)
        .rev()
        .map(|j| char::from(CHARSET[((id >> (10 + 6 * j)) & 63) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_redis_crc64_jones() {
        // The check value Redis's own crc64 test uses.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn module_names_decode() {
        let name = b"MyModule1";
        const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let id = name.iter().fold(0u64, |acc, c| {
            (acc << 6) | CHARSET.iter().position(|x| x == c).unwrap_or(0) as u64
        }) << 10;
        assert_eq!(module_type_name(id | 3), "MyModule1");
    }
}
