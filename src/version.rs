//! The Redis version reddish speaks for: INFO, HELLO, `-v` and the RDB
//! `redis-ver` field all report it.

/// The Redis release whose behaviour reddish reproduces.
pub const REDIS_VERSION: &str = "7.0.15";
