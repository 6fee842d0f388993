//! State the server holds for the features above the core, as Redis's
//! `server.h` holds it: the core stores it and reads a few facts from it;
//! the behaviour that drives it lives in the feature modules
//! (the replication and persistence modules, MIGRATE in the commands, and
//! scripting).

pub mod aof;
pub mod childinfo;
pub mod migrate;
pub mod persistence;
pub mod repl_buffer;
pub mod replication;
pub mod scripting;
pub mod upstream_link;
