//! Scripts by SHA1: the names EVALSHA, SCRIPT EXISTS and SCRIPT LOAD use,
//! each script's flags from its `#!lua flags=...` shebang, and what the
//! flags do to the command that runs the script (Redis's
//! `evalExtractShebangFlags` and `scriptFlagsToCmdFlags`).
//!
//! A cached script is compiled once: the cache keeps the Lua function, so
//! EVALSHA (and EVAL of a known body) never parses the source again.

use crate::server::spec::flag;
use sha1::{Digest as _, Sha1};
use std::collections::HashMap;

/// Flags a script declares in its shebang.
pub mod script_flag {
    /// No shebang: EVAL's behaviour before Redis 7.0 (the command's own
    /// flags apply, each called command is checked as it comes).
    pub const EVAL_COMPAT_MODE: u32 = 1 << 0;
    pub const NO_WRITES: u32 = 1 << 1;
    pub const ALLOW_OOM: u32 = 1 << 2;
    pub const ALLOW_STALE: u32 = 1 << 3;
    pub const NO_CLUSTER: u32 = 1 << 4;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 5;

    /// Flag names as the shebang spells them.
    pub const NAMES: &[(&str, u32)] = &[
        ("no-writes", NO_WRITES),
        ("allow-oom", ALLOW_OOM),
        ("allow-stale", ALLOW_STALE),
        ("no-cluster", NO_CLUSTER),
        ("allow-cross-slot-keys", ALLOW_CROSS_SLOT),
    ];
}

/// A script's name: the lowercase hex SHA1 of its body.
pub type Sha = [u8; 40];

/// The lowercase hex SHA1 of `bytes` (scripts' names, `redis.sha1hex`).
pub fn sha1_hex(bytes: &[u8]) -> Sha {
    let digest = Sha1::digest(bytes);
    let mut out = [0u8; 40];
    let hex = b"0123456789abcdef";
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest.iter()) {
        if let [hi, lo] = pair {
            *hi = hex[usize::from(byte >> 4)];
            *lo = hex[usize::from(byte & 0xf)];
        }
    }
    out
}

/// A SHA1 as a client typed it, lowercased; `None` unless it has 40
/// bytes (no script could have another name).
pub fn normalize_sha(name: &[u8]) -> Option<Sha> {
    let mut out: Sha = name.try_into().ok()?;
    out.make_ascii_lowercase();
    Some(out)
}

/// A script body's shebang: its flags and the length of the shebang line
/// (the source compiled starts after it, at its newline, so line numbers
/// stay those of the body). Errors are Redis's texts (without `ERR`).
pub fn parse_shebang(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((script_flag::EVAL_COMPAT_MODE, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let line = body.get(..end).unwrap_or_default();
    let parts = crate::util::split_args(line).unwrap_or_default();
    let Some((engine, options)) = parts.split_first() else {
        return Err("Invalid engine in script shebang".into());
    };
    if engine.as_slice() != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(engine)
        ));
    }
    let mut flags = 0;
    for option in options {
        let Some(list) = option.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(option)
            ));
        };
        // An empty list declares no flag (Redis's split yields nothing).
        let names = list.split(|&b| b == b',').filter(|_| !list.is_empty());
        for name in names {
            let known = script_flag::NAMES
                .iter()
                .find(|(n, _)| n.as_bytes() == name);
            match known {
                Some((_, f)) => flags |= f,
                None => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ))
                }
            }
        }
    }
    Ok((flags, end))
}

/// The flags the checks before EVAL look at when the script declared its
/// own: they replace EVAL's write, deny-oom and stale flags.
pub fn command_flags(cmd_flags: u64, script_flags: u32) -> u64 {
    if script_flags & script_flag::EVAL_COMPAT_MODE != 0 {
        return cmd_flags;
    }
    let mut flags = cmd_flags & !(flag::STALE | flag::DENYOOM | flag::WRITE | flag::MAY_REPLICATE);
    if script_flags & (script_flag::ALLOW_OOM | script_flag::NO_WRITES) == 0 {
        flags |= flag::DENYOOM;
    }
    if script_flags & script_flag::NO_WRITES == 0 {
        flags |= flag::WRITE;
    }
    if script_flags & script_flag::ALLOW_STALE != 0 {
        flags |= flag::STALE;
    }
    flags
}

/// A compiled script.
pub struct Script {
    pub function: mlua::Function,
    /// Its shebang flags (`script_flag`).
    pub flags: u32,
    /// Bytes of its body, for INFO's memory figures.
    pub body_len: usize,
}

/// Every script loaded, by SHA1.
#[derive(Default)]
pub struct ScriptCache {
    scripts: HashMap<Sha, Script>,
    /// Bytes Redis would count for the scripts' names and bodies.
    memory: usize,
}

/// What Redis's allocator would take for a string of `len` bytes held in
/// an sds with a one-byte header (`sdsZmallocSize`, rounded up to 8).
fn sds_size(len: usize) -> usize {
    (len + 4).div_ceil(8) * 8
}

impl ScriptCache {
    pub fn get(&self, sha: &Sha) -> Option<&Script> {
        self.scripts.get(sha)
    }

    pub fn contains(&self, sha: &Sha) -> bool {
        self.scripts.contains_key(sha)
    }

    pub fn insert(&mut self, sha: Sha, script: Script) {
        self.memory += sds_size(sha.len()) + sds_size(script.body_len);
        self.scripts.insert(sha, script);
    }

    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// INFO `used_memory_scripts_eval`: names and bodies, plus the cache's
    /// own entries and buckets as Redis's dict would count them.
    pub fn memory(&self) -> usize {
        const DICT_ENTRY: usize = 24;
        const SCRIPT_ENTRY: usize = 16;
        let buckets = if self.scripts.is_empty() {
            0
        } else {
            self.scripts.len().next_power_of_two().max(4)
        };
        self.memory + self.scripts.len() * (DICT_ENTRY + SCRIPT_ENTRY) + buckets * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_of_known_bodies() {
        assert_eq!(&sha1_hex(b""), b"da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            &sha1_hex(b"return redis.call('get',KEYS[1])"),
            b"fd758d1589d044dd850a6f05d52f2eefd27f033f"
        );
    }

    #[test]
    fn shebangs_as_redis_reads_them() {
        assert_eq!(
            parse_shebang(b"return 1"),
            Ok((script_flag::EVAL_COMPAT_MODE, 0))
        );
        assert_eq!(parse_shebang(b"#!lua\nreturn 1"), Ok((0, 5)));
        assert_eq!(
            parse_shebang(b"#!lua flags=no-writes,allow-stale\nreturn 1"),
            Ok((script_flag::NO_WRITES | script_flag::ALLOW_STALE, 33))
        );
        assert_eq!(parse_shebang(b"#!lua flags=\nx"), Ok((0, 12)));
        assert_eq!(
            parse_shebang(b"#!lua").unwrap_err(),
            "Invalid script shebang"
        );
        assert_eq!(
            parse_shebang(b"#!not-lua\nx").unwrap_err(),
            "Unexpected engine in script shebang: #!not-lua"
        );
        assert_eq!(
            parse_shebang(b"#!lua badger=data\nx").unwrap_err(),
            "Unknown lua shebang option: badger=data"
        );
        assert_eq!(
            parse_shebang(b"#!lua flags=allow-oom,what?\nx").unwrap_err(),
            "Unexpected flag in script shebang: what?"
        );
    }

    #[test]
    fn declared_flags_replace_evals() {
        let eval = flag::NOSCRIPT | flag::MAY_REPLICATE | flag::STALE;
        assert_eq!(command_flags(eval, script_flag::EVAL_COMPAT_MODE), eval);
        let writes = command_flags(eval, 0);
        assert_eq!(writes, flag::NOSCRIPT | flag::WRITE | flag::DENYOOM);
        let reads = command_flags(eval, script_flag::NO_WRITES | script_flag::ALLOW_STALE);
        assert_eq!(reads, flag::NOSCRIPT | flag::STALE);
    }
}
