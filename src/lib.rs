//! reddish: a Redis 7.0 compatible server in Rust.
//!
//! The binary (`reddish-server`) is a thin wrapper around [`cli::main`]; the
//! library exposes the pieces so unit tests can reach them.

pub mod alloc;
pub mod bio;
pub mod cli;
pub mod commands;
pub mod config;
pub mod conn;
pub mod crash;
pub mod db;
pub mod event_loop;
pub mod logging;
pub mod long_double;
pub mod net;
pub mod persistence;
pub mod proc_title;
pub mod replication;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod types;
pub mod util;
pub mod version;
