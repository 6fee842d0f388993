//! In-process helpers for unit tests of commands and features: a server without
//! sockets whose replication stream is kept in a backlog, a way to run a
//! command line on it, and the stream read back as words.

use crate::config::Config;
use crate::server::client::Client;
use crate::server::spec::OwnedArgs;
use crate::server::state::repl_buffer::ReplBuffer;
use crate::server::Server;

/// A server without listeners that keeps its replication stream, and a
/// client to drive it.
pub fn server_keeping_stream() -> (Server, Client) {
    let mut config = Config::default();
    config.port = 0;
    let mut srv = Server::new(config, crate::commands::TABLES, crate::commands::FEATURES)
        .expect("server without listeners");
    srv.replication.backlog = Some(ReplBuffer::new(1));
    (srv, Client::new(1, 0, None, crate::util::now_ms()))
}

/// Runs a command given as words, as a client sending it would.
pub fn run_words<T: AsRef<[u8]>>(srv: &mut Server, c: &mut Client, words: &[T]) {
    srv.process_command(c, &OwnedArgs::from_slices(words).args());
}

/// Runs a command line whose words are separated by single spaces.
pub fn run_line(srv: &mut Server, c: &mut Client, line: &str) {
    let words: Vec<&str> = line.split(' ').collect();
    run_words(srv, c, &words);
}

/// The replication stream bytes from offset `from` on.
pub fn stream_since(srv: &Server, from: u64) -> Vec<u8> {
    srv.replication
        .backlog
        .as_ref()
        .and_then(|b| b.since(from))
        .unwrap_or_default()
}

/// The whole replication stream kept so far.
pub fn whole_stream(srv: &Server) -> Vec<u8> {
    stream_since(srv, 1)
}

/// Runs a command line (see [`run_line`]) and returns what it sent to
/// replicas, one command per entry, SELECT left out.
pub fn propagated_by(srv: &mut Server, c: &mut Client, line: &str) -> Vec<String> {
    let from = srv.replication.master_offset + 1;
    run_line(srv, c, line);
    decode_commands(&stream_since(srv, from))
        .into_iter()
        .filter(|cmd| !cmd.starts_with("SELECT"))
        .collect()
}

/// Reads RESP arrays of bulk strings back into space-joined lines.
pub fn decode_commands(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    let mut out = Vec::new();
    while let Some(header) = lines.next() {
        let Some(n) = header.strip_prefix('*').and_then(|n| n.parse().ok()) else {
            continue;
        };
        let words: Vec<&str> = (0..n).filter_map(|_| lines.nth(1)).collect();
        out.push(words.join(" "));
    }
    out
}
