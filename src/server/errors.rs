//! Error replies shared by many commands, worded exactly as Redis 7.0 words
//! them, and the error type handlers return.

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const DB_OUT_OF_RANGE: &str = "ERR DB index is out of range";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const INVALID_CURSOR: &str = "ERR invalid cursor";
pub const OUT_OF_RANGE_POSITIVE: &str = "ERR value is out of range, must be positive";
pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
pub const TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
pub const INT32_OUT_OF_RANGE: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
pub const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
pub const LOADING: &str = "LOADING Redis is loading the dataset in memory";
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Why a command failed; the dispatcher sends it as an error reply. Text
/// that quotes what the client sent keeps its bytes as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    Static(&'static str),
    Owned(Vec<u8>),
}

impl CmdError {
    pub fn bytes(&self) -> &[u8] {
        match self {
            CmdError::Static(s) => s.as_bytes(),
            CmdError::Owned(s) => s,
        }
    }

    /// An error made of `parts` (fixed text and quoted client bytes).
    pub fn concat(parts: &[&[u8]]) -> CmdError {
        CmdError::Owned(parts.concat())
    }
}

impl From<&'static str> for CmdError {
    fn from(s: &'static str) -> Self {
        CmdError::Static(s)
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError::Owned(s.into_bytes())
    }
}

/// What a handler returns: `Err` becomes the error reply.
pub type CmdResult = Result<(), CmdError>;

/// `ERR invalid expire time in '<cmd>' command`.
pub fn invalid_expire(command: &str) -> CmdError {
    CmdError::from(format!("ERR invalid expire time in '{}' command", command))
}

/// `ERR wrong number of arguments for '<cmd>' command`.
pub fn wrong_arity(command: &str) -> CmdError {
    CmdError::from(format!(
        "ERR wrong number of arguments for '{}' command",
        command
    ))
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`
/// (`command` is the name as the client typed it).
pub fn subcommand_syntax(command: &[u8], sub: &[u8]) -> CmdError {
    CmdError::concat(&[
        b"ERR unknown subcommand or wrong number of arguments for '",
        crate::util::truncated(sub, 128),
        b"'. Try ",
        &command.to_ascii_uppercase(),
        b" HELP.",
    ])
}
