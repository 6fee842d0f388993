//! One connection: its socket, query buffer and parser state, output buffer,
//! and the per-connection state commands read and change (selected database,
//! name, protocol version, authentication, flags).

use crate::resp::parser::{ParseLimits, RequestParser};
use crate::resp::reply::Reply;
use mio::net::TcpStream;
use std::io::{self, Read, Write};

/// How much one `read` asks for, as Redis's PROTO_IOBUF_LEN.
pub const READ_CHUNK: usize = 16 * 1024;

/// Bytes received but not yet executed. `data[start..end]` is live; the Vec is
/// kept fully initialised so reads go straight into its tail without zeroing.
#[derive(Debug, Default)]
pub struct QueryBuffer {
    pub data: Vec<u8>,
    pub start: usize,
    pub end: usize,
}

impl QueryBuffer {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Makes room for at least `want` more bytes at the tail, moving the
    /// bytes from `keep_from` on (the live bytes, and the arguments of a
    /// half-read request, which lie before `start`) to the front when that
    /// frees enough. Returns how far they moved back (parser spans must shift
    /// by the same amount).
    pub fn reserve_tail(&mut self, want: usize, keep_from: usize) -> usize {
        let keep_from = keep_from.min(self.start);
        let mut shifted = 0;
        if keep_from > 0 && self.data.len() - self.end < want {
            self.data.copy_within(keep_from..self.end, 0);
            shifted = keep_from;
            self.start -= keep_from;
            self.end -= keep_from;
        }
        if self.data.len() - self.end < want {
            self.data.resize(self.end + want, 0);
        }
        shifted
    }

    /// Reads once from `src` into the room [`QueryBuffer::reserve_tail`] made.
    pub fn read_from(&mut self, src: &mut impl Read) -> io::Result<usize> {
        let n = src.read(&mut self.data[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// Drops everything (after a protocol error, or when all was consumed).
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Gives back memory after a large request went through.
    pub fn shrink_if_idle(&mut self) {
        if self.is_empty() && self.data.len() > 64 * 1024 {
            self.data = Vec::new();
            self.clear();
        }
    }
}

/// What `CLIENT REPLY` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Skipping the reply of the command running now.
    Skip,
}

/// Kinds of client as `CLIENT LIST TYPE` and `CLIENT KILL TYPE` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Normal,
    Replica,
    Primary,
    PubSub,
}

#[derive(Debug)]
pub struct Client {
    pub id: u64,
    /// Index in the server's client table (also its mio token).
    pub slot: usize,
    pub stream: Option<TcpStream>,
    pub addr: String,
    pub local_addr: String,
    /// A Unix or loopback peer (for protected mode and `local` settings).
    pub is_local: bool,
    pub name: Option<Vec<u8>>,
    pub db: usize,
    pub reply: Reply,
    /// Bytes at the front of `reply.buf` already written to the socket.
    pub sent: usize,
    pub query: QueryBuffer,
    pub parser: RequestParser,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    pub kind: ClientKind,
    pub no_evict: bool,
    pub monitor: bool,
    /// Finish sending the output, then close (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close as soon as possible without sending more (CLIENT KILL, limits).
    pub close_asap: bool,
    /// The socket is registered for writable events (output did not fit).
    pub want_writable: bool,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Registry id of the last command run, for CLIENT LIST's `cmd=`.
    pub last_command: usize,
    /// Total bytes of replies produced, as `tot-net-out`.
    pub net_out: u64,
    pub net_in: u64,
    pub commands_processed: u64,
}

impl Client {
    pub fn new(id: u64, slot: usize, stream: Option<TcpStream>, now_ms: i64) -> Self {
        let (addr, local_addr, is_local) = match &stream {
            Some(s) => {
                let peer = s.peer_addr().ok();
                let local = s.local_addr().ok();
                (
                    peer.map(|a| a.to_string()).unwrap_or_default(),
                    local.map(|a| a.to_string()).unwrap_or_default(),
                    peer.map(|a| a.ip().is_loopback()).unwrap_or(true),
                )
            }
            None => (String::new(), String::new(), true),
        };
        Client {
            id,
            slot,
            stream,
            addr,
            local_addr,
            is_local,
            name: None,
            db: 0,
            reply: Reply::default(),
            sent: 0,
            query: QueryBuffer::default(),
            parser: RequestParser::default(),
            authenticated: false,
            reply_mode: ReplyMode::On,
            kind: ClientKind::Normal,
            no_evict: false,
            monitor: false,
            close_after_reply: false,
            close_asap: false,
            want_writable: false,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_command: usize::MAX,
            net_out: 0,
            net_in: 0,
            commands_processed: 0,
        }
    }

    /// Output not yet written to the socket.
    pub fn pending_output(&self) -> usize {
        self.reply.buf.len() - self.sent
    }

    /// Writes as much pending output as the socket takes. Returns Ok(true)
    /// when everything was written.
    pub fn flush(&mut self) -> io::Result<bool> {
        let Some(stream) = self.stream.as_mut() else {
            self.reply.buf.clear();
            self.sent = 0;
            return Ok(true);
        };
        while self.sent < self.reply.buf.len() {
            match stream.write(&self.reply.buf[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.sent += n;
                    self.net_out += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.reply.buf.clear();
        self.sent = 0;
        if self.reply.buf.capacity() > 1024 * 1024 {
            self.reply.buf = Vec::new();
        }
        Ok(true)
    }

    /// The parser limits that apply to this connection now.
    pub fn parse_limits(&self, proto_max_bulk_len: u64, auth_required: bool) -> ParseLimits {
        ParseLimits {
            proto_max_bulk_len,
            auth_required,
            from_primary: self.kind == ClientKind::Primary,
        }
    }

    /// The socket's file descriptor number (`fd=` in CLIENT LIST).
    pub fn fd(&self) -> i64 {
        use std::os::fd::AsRawFd;
        self.stream
            .as_ref()
            .map(|s| s.as_raw_fd() as i64)
            .unwrap_or(-1)
    }

    /// Flags string as `CLIENT LIST` prints it.
    pub fn flags_text(&self) -> String {
        let mut flags = String::new();
        match self.kind {
            ClientKind::Replica => flags.push('S'),
            ClientKind::Primary => flags.push('M'),
            ClientKind::PubSub => flags.push('P'),
            ClientKind::Normal => {}
        }
        if self.monitor {
            flags.push('O');
        }
        if self.close_after_reply {
            flags.push('c');
        }
        if self.close_asap {
            flags.push('A');
        }
        if self.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_keeps_bytes_of_a_half_read_request() {
        let mut q = QueryBuffer {
            data: b"*2\r\n$3\r\nGET\r\n$1\r\n".to_vec(),
            start: 17,
            end: 17,
        };
        let shifted = q.reserve_tail(64, 8);
        assert_eq!(shifted, 8);
        assert_eq!((q.start, q.end), (9, 9));
        assert_eq!(&q.data[..3], b"GET");
        assert!(q.data.len() - q.end >= 64);
    }
}
