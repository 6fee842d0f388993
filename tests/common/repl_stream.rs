//! Watching what a server sends its replicas: a raw connection that
//! attaches with SYNC, skips the snapshot, and reads the propagated
//! commands one by one (PINGs left out), as the Redis suite's
//! `attach_to_replication_stream` does.

use super::{Frame, Raw};
use std::io::BufRead;

pub struct ReplStream {
    raw: Raw,
}

impl ReplStream {
    /// Attaches to the server on `port` as a replica would (the server
    /// must sync from disk, or diskless without delay).
    pub fn attach(port: u16) -> ReplStream {
        let mut raw = Raw::connect(port);
        raw.send_cmd(&["SYNC"]);
        let header = loop {
            let mut line = Vec::new();
            raw.stream
                .read_until(b'\n', &mut line)
                .expect("sync header");
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            if !text.is_empty() {
                break text;
            }
        };
        if let Some(mark) = header.strip_prefix("$EOF:") {
            let mut seen: Vec<u8> = Vec::new();
            while !seen.ends_with(mark.as_bytes()) {
                seen.extend(raw.read_bytes(1));
            }
        } else {
            let size: usize = header
                .strip_prefix('$')
                .and_then(|n| n.parse().ok())
                .expect("snapshot size");
            raw.read_bytes(size);
        }
        ReplStream { raw }
    }

    /// The next command propagated, as words (PINGs skipped).
    pub fn next(&mut self) -> Vec<String> {
        loop {
            let Frame::Array(Some(items)) = self.raw.read() else {
                panic!("the replication stream holds commands");
            };
            let words: Vec<String> = items.iter().map(Frame::as_text).collect();
            if words != ["PING"] {
                return words;
            }
        }
    }

    /// The commands propagated up to and including one whose words are
    /// `last` (send such a marker command after the ones under test).
    pub fn until(&mut self, last: &[&str]) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        loop {
            let words = self.next();
            let done = words == last;
            out.push(words);
            if done {
                return out;
            }
        }
    }
}

/// Commands as word lists, for comparing with [`ReplStream::until`].
pub fn commands(lines: &[&str]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| l.split(' ').map(str::to_string).collect())
        .collect()
}
