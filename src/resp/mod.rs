//! The wire protocol: request parsing (RESP and inline) and reply writing
//! (RESP2 and RESP3).

pub mod command;
pub mod parser;
pub mod reply;
