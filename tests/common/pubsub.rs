//! A pattern subscriber for tests of what a server publishes: it reads
//! `pmessage` frames and, to prove nothing else came, collects everything
//! up to a marker the test publishes itself (no sleeping for messages
//! that should not arrive).

use super::{items, Frame, Raw, TestServer};

/// The channel of the marker [`Subscriber::drain`] publishes (the pattern
/// of [`Subscriber::keyspace`] matches it).
const MARKER_CHANNEL: &str = "__keymarker__:end";

/// A connection subscribed to one pattern.
pub struct Subscriber {
    pub conn: Raw,
    pattern: String,
}

impl Subscriber {
    /// A RESP2 connection PSUBSCRIBEd to `pattern`.
    pub fn new(s: &TestServer, pattern: &str) -> Subscriber {
        let mut conn = s.raw();
        let reply = conn.cmd(&["PSUBSCRIBE", pattern]);
        assert_eq!(
            items(reply).last(),
            Some(&Frame::Int(1)),
            "psubscribe {pattern}"
        );
        Subscriber {
            conn,
            pattern: pattern.to_string(),
        }
    }

    /// Subscribed to every keyspace and keyevent channel (and the markers).
    pub fn keyspace(s: &TestServer) -> Subscriber {
        Subscriber::new(s, "__key*__:*")
    }

    /// The next message as `channel message`.
    pub fn next(&mut self) -> String {
        message_text(self.conn.read(), &self.pattern)
    }

    /// Every message up to a marker published through `publisher`, each as
    /// `channel message`: all that arrived before it, and nothing else.
    pub fn drain(&mut self, publisher: &mut Raw) -> Vec<String> {
        assert_eq!(
            publisher.cmd(&["PUBLISH", MARKER_CHANNEL, "x"]),
            Frame::Int(1),
            "marker not delivered (does the pattern match {MARKER_CHANNEL}?)"
        );
        let marker = format!("{MARKER_CHANNEL} x");
        let mut seen = Vec::new();
        loop {
            let message = self.next();
            if message == marker {
                return seen;
            }
            seen.push(message);
        }
    }
}

/// `channel message` of a `pmessage` frame for `pattern` (a RESP2 array
/// or a RESP3 push).
pub fn message_text(frame: Frame, pattern: &str) -> String {
    let parts = match frame {
        Frame::Typed(b'>', parts) | Frame::Array(Some(parts)) => parts,
        other => panic!("expected a pmessage, got {other:?}"),
    };
    let texts: Vec<String> = parts.iter().map(Frame::as_text).collect();
    match texts.as_slice() {
        [kind, p, channel, message] if kind == "pmessage" && p == pattern => {
            format!("{channel} {message}")
        }
        _ => panic!("expected a pmessage for {pattern}, got {texts:?}"),
    }
}
