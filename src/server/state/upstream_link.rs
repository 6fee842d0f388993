//! The link to the primary before it becomes the primary's client: a
//! non-blocking connect, the handshake (PING, AUTH, REPLCONF
//! listening-port / ip-address / capa, PSYNC) and, after `+FULLRESYNC`,
//! the RDB payload (`$<len>` or the diskless `$EOF:<mark>` form) streamed
//! into a temp file.
//!
//! [`Link`] only speaks the protocol; it reports what happened as a
//! [`Progress`] and the server side (`replica/mod.rs`) acts on it. Every
//! read consumes as much of the input as the current step allows, so a
//! reply and the bytes after it (the start of the payload, or of the
//! command stream after `+CONTINUE`) may arrive in one read.

use crate::resp::command::command_bytes;
use log::{info, warn};
use mio::net::TcpStream;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};

/// Length of a replication ID and of the diskless end mark.
pub const ID_LEN: usize = 40;
/// Longest reply line accepted during the handshake.
const MAX_LINE: usize = 64 * 1024;
/// Bytes asked for per read.
const READ_SIZE: usize = 64 * 1024;
/// Reads of [`READ_SIZE`] one readiness event does at most.
const READS_PER_EVENT: usize = 16;

/// Where the handshake is: the reply awaited next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Connecting,
    Pong,
    Auth,
    Port,
    AnnouncedIp,
    Capa,
    Psync,
    /// `+FULLRESYNC` came: waiting for the `$` line of the payload.
    BulkHeader,
    Payload,
}

/// What the replica sends in the handshake, fixed when it connects.
#[derive(Debug, Clone)]
pub struct Hello {
    /// AUTH arguments (`[user,] password`) when `masterauth` is set.
    pub auth: Option<Vec<Vec<u8>>>,
    pub listening_port: u16,
    pub announce_ip: Option<Vec<u8>>,
    /// PSYNC's replication ID and offset (`?` and `-1` for a full sync).
    pub psync_replid: String,
    pub psync_offset: i64,
    /// PSYNC asks the primary to take over from us (FAILOVER).
    pub failover: bool,
}

/// The RDB payload being received.
#[derive(Debug)]
pub struct Transfer {
    file: File,
    pub path: String,
    /// Announced size; `None` for the EOF-marked form.
    pub size: Option<u64>,
    mark: Option<Vec<u8>>,
    /// The last bytes received, to find a mark split across reads.
    tail: Vec<u8>,
    /// Payload bytes received so far (the mark included, once seen).
    pub read: u64,
}

/// What a readiness event led to.
#[derive(Debug)]
pub enum Progress {
    /// Keep waiting.
    More,
    /// The link failed (logged); the replica will connect again.
    Failed,
    /// `+CONTINUE`, with the primary's new replication ID if it sent one.
    Continue(Option<String>),
    /// The whole payload of a full resync is in the temp file.
    Synced,
}

#[derive(Debug)]
pub struct Link {
    pub stream: TcpStream,
    pub step: Step,
    input: Vec<u8>,
    output: Vec<u8>,
    hello: Hello,
    /// Time of the last byte received (or of the connect), for `repl-timeout`.
    pub last_io_ms: i64,
    /// `+FULLRESYNC`'s replication ID and offset.
    pub full_sync: Option<(String, i64)>,
    pub transfer: Option<Transfer>,
    /// Stop reading once the payload starts, so its owner may load it
    /// from the socket as it arrives (one-shot).
    pub pause_at_payload: bool,
    /// The last event stopped reading with input possibly left (a payload
    /// arriving faster than one turn takes): read again soon.
    pub more_to_read: bool,
}

/// The address to connect to (the name is resolved synchronously).
fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address for host"))
}

/// A non-blocking connect to `target` from a socket bound to `source`
/// (any port).
fn connect_from(source: &str, target: SocketAddr) -> io::Result<TcpStream> {
    let ip: std::net::IpAddr = source
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad bind-source-addr"))?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(target),
        socket2::Type::STREAM,
        None,
    )?;
    socket.bind(&SocketAddr::new(ip, 0).into())?;
    socket.set_nonblocking(true)?;
    match socket.connect(&target.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

impl Link {
    /// Starts a non-blocking connect to `host:port`, from the local
    /// address `source` when given (`bind-source-addr`).
    pub fn connect(
        host: &str,
        port: u16,
        source: Option<&str>,
        hello: Hello,
        now_ms: i64,
    ) -> io::Result<Link> {
        let target = resolve(host, port)?;
        let stream = match source {
            Some(source) => connect_from(source, target)?,
            None => TcpStream::connect(target)?,
        };
        Ok(Link {
            stream,
            step: Step::Connecting,
            input: Vec::new(),
            output: Vec::new(),
            hello,
            last_io_ms: now_ms,
            full_sync: None,
            transfer: None,
            pause_at_payload: false,
            more_to_read: false,
        })
    }

    /// Handles a readiness event on the socket.
    pub fn on_event(&mut self, readable: bool, writable: bool, now_ms: i64) -> Progress {
        self.more_to_read = false;
        if self.step == Step::Connecting {
            match self.check_connected() {
                Ok(true) => {
                    info!("Non blocking connect for SYNC fired the event.");
                    self.send(&command_bytes(&["PING"]));
                    self.step = Step::Pong;
                }
                Ok(false) => return Progress::More,
                Err(e) => {
                    warn!("Error condition on socket for SYNC: {}", e);
                    return Progress::Failed;
                }
            }
        }
        if writable && self.flush().is_err() {
            warn!("Sending command to master in replication handshake: write error");
            return Progress::Failed;
        }
        if readable {
            return self.read_and_advance(now_ms);
        }
        Progress::More
    }

    /// True once the connect completed; an error if it failed.
    fn check_connected(&mut self) -> io::Result<bool> {
        if let Some(e) = self.stream.take_error()? {
            return Err(e);
        }
        match self.stream.peer_addr() {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
        // A full socket keeps the rest for the next writable event.
        let _ = self.flush();
    }

    fn flush(&mut self) -> io::Result<()> {
        while !self.output.is_empty() {
            match self.stream.write(&self.output) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.output.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads until the socket is drained, acting on every complete reply;
    /// after [`READS_PER_EVENT`] reads it stops (with `more_to_read`), so
    /// a long transfer leaves the loop its turns.
    fn read_and_advance(&mut self, now_ms: i64) -> Progress {
        let mut chunk = vec![0u8; READ_SIZE];
        for _ in 0..READS_PER_EVENT {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    warn!("Master closed the connection during the replication handshake");
                    return Progress::Failed;
                }
                Ok(n) => {
                    self.last_io_ms = now_ms;
                    self.input
                        .extend_from_slice(chunk.get(..n).unwrap_or_default());
                    match self.advance() {
                        Progress::More
                            if self.step == Step::Payload
                                && std::mem::take(&mut self.pause_at_payload) =>
                        {
                            return Progress::More
                        }
                        Progress::More => {}
                        done => return done,
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::More,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!("I/O error reading from MASTER: {}", e);
                    return Progress::Failed;
                }
            }
        }
        self.more_to_read = true;
        Progress::More
    }

    /// Consumes buffered input step by step.
    fn advance(&mut self) -> Progress {
        loop {
            if self.step == Step::Payload {
                return self.consume_payload();
            }
            let Some(line) = self.take_line() else {
                if self.input.len() > MAX_LINE {
                    warn!("Bad protocol from MASTER: reply line too long");
                    return Progress::Failed;
                }
                return Progress::More;
            };
            match self.on_line(&line) {
                Progress::More => {}
                done => return done,
            }
        }
    }

    /// The next line of input without its `\r\n` (or `\n`).
    fn take_line(&mut self) -> Option<Vec<u8>> {
        let end = self.input.iter().position(|&b| b == b'\n')?;
        let mut line: Vec<u8> = self.input.drain(..=end).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(line)
    }

    fn on_line(&mut self, line: &[u8]) -> Progress {
        let text = String::from_utf8_lossy(line).into_owned();
        match self.step {
            Step::Pong => self.on_pong(&text),
            Step::Auth => {
                if text.starts_with('-') {
                    warn!("Unable to AUTH to MASTER: {}", text);
                    return Progress::Failed;
                }
                self.step = Step::Port;
                Progress::More
            }
            Step::Port => {
                non_critical(&text, "REPLCONF listening-port");
                self.step = if self.hello.announce_ip.is_some() {
                    Step::AnnouncedIp
                } else {
                    Step::Capa
                };
                Progress::More
            }
            Step::AnnouncedIp => {
                non_critical(&text, "REPLCONF ip-address");
                self.step = Step::Capa;
                Progress::More
            }
            Step::Capa => {
                non_critical(&text, "REPLCONF capa");
                self.send_psync();
                Progress::More
            }
            Step::Psync => self.on_psync_reply(&text),
            Step::BulkHeader => self.on_bulk_header(&text),
            Step::Connecting | Step::Payload => Progress::More,
        }
    }

    /// PONG (or an authentication error: AUTH follows) lets the handshake go on.
    fn on_pong(&mut self, reply: &str) -> Progress {
        let accepted = reply.starts_with('+')
            || reply.starts_with("-NOAUTH")
            || reply.starts_with("-NOPERM")
            || reply.starts_with("-ERR operation not permitted");
        if !accepted {
            warn!("Error reply to PING from master: '{}'", reply);
            return Progress::Failed;
        }
        info!("Master replied to PING, replication can continue...");
        let mut out = Vec::new();
        if let Some(auth) = &self.hello.auth {
            let mut parts: Vec<&[u8]> = vec![b"AUTH"];
            parts.extend(auth.iter().map(Vec::as_slice));
            out.extend(command_bytes(&parts));
        }
        let port = self.hello.listening_port.to_string();
        out.extend(command_bytes(&["REPLCONF", "listening-port", &port]));
        if let Some(ip) = &self.hello.announce_ip {
            out.extend(command_bytes(&[b"REPLCONF".as_slice(), b"ip-address", ip]));
        }
        out.extend(command_bytes(&[
            "REPLCONF", "capa", "eof", "capa", "psync2",
        ]));
        self.send(&out);
        self.step = if self.hello.auth.is_some() {
            Step::Auth
        } else {
            Step::Port
        };
        Progress::More
    }

    fn send_psync(&mut self) {
        let offset = self.hello.psync_offset.to_string();
        if self.hello.psync_replid == "?" {
            info!("Partial resynchronization not possible (no cached master)");
        } else {
            info!(
                "Trying a partial resynchronization (request {}:{}).",
                self.hello.psync_replid, offset
            );
        }
        let replid = self.hello.psync_replid.clone();
        let mut psync = vec!["PSYNC", &replid, &offset];
        if self.hello.failover {
            psync.push("FAILOVER");
        }
        self.send(&command_bytes(&psync));
        self.step = Step::Psync;
    }

    fn on_psync_reply(&mut self, reply: &str) -> Progress {
        if reply.is_empty() {
            // Newlines keep the link alive before the reply.
            return Progress::More;
        }
        if let Some(rest) = reply.strip_prefix("+FULLRESYNC") {
            let mut words = rest.split_whitespace();
            let replid = words.next().filter(|id| id.len() == ID_LEN);
            let offset = words.next().and_then(|o| o.parse::<i64>().ok());
            match (replid, offset) {
                (Some(id), Some(offset)) => {
                    info!("Full resync from master: {}:{}", id, offset);
                    self.full_sync = Some((id.to_string(), offset));
                }
                _ => {
                    warn!("Master replied with wrong +FULLRESYNC syntax.");
                    self.full_sync = Some((super::replication::NO_REPLID.to_string(), -1));
                }
            }
            self.step = Step::BulkHeader;
            return Progress::More;
        }
        if let Some(rest) = reply.strip_prefix("+CONTINUE") {
            info!("Successful partial resynchronization with master.");
            let id = rest.trim();
            let new_id = (id.len() == ID_LEN).then(|| id.to_string());
            return Progress::Continue(new_id);
        }
        if reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING") {
            info!(
                "Master is currently unable to PSYNC but should be in the future: {}",
                reply
            );
        } else if reply.starts_with("-ERR") {
            info!(
                "Master does not support PSYNC or is in error state (reply: {})",
                reply
            );
        } else {
            warn!("Unexpected reply to PSYNC from master: {}", reply);
        }
        Progress::Failed
    }

    fn on_bulk_header(&mut self, line: &str) -> Progress {
        if line.is_empty() {
            // A newline while the primary prepares the payload: a ping.
            return Progress::More;
        }
        if let Some(err) = line.strip_prefix('-') {
            warn!("MASTER aborted replication with an error: {}", err);
            return Progress::Failed;
        }
        let Some(header) = line.strip_prefix('$') else {
            warn!("Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?", line);
            return Progress::Failed;
        };
        let (size, mark) = match header.strip_prefix("EOF:") {
            Some(mark) if mark.len() >= ID_LEN => {
                info!(
                    "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
                );
                (None, mark.as_bytes().get(..ID_LEN).map(<[u8]>::to_vec))
            }
            _ => {
                let size = header.parse::<u64>().unwrap_or(0);
                info!(
                    "MASTER <-> REPLICA sync: receiving {} bytes from master to disk",
                    size
                );
                (Some(size), None)
            }
        };
        match open_temp_file() {
            Ok((file, path)) => {
                self.transfer = Some(Transfer {
                    file,
                    path,
                    size,
                    mark,
                    tail: Vec::new(),
                    read: 0,
                });
                self.step = Step::Payload;
                self.consume_payload()
            }
            Err(e) => {
                warn!(
                    "Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                    crate::util::error_text(&e)
                );
                Progress::Failed
            }
        }
    }

    /// Writes received payload bytes to the temp file; `Synced` once all
    /// of it is there (the input then holds what followed it).
    fn consume_payload(&mut self) -> Progress {
        let Some(t) = self.transfer.as_mut() else {
            return Progress::Failed;
        };
        let (take, done) = t.payload_in(&self.input);
        let written = self.input.get(..take).map(|bytes| t.file.write_all(bytes));
        if let Some(Err(e)) = written {
            warn!(
                "Write error saving the DB from MASTER -> REPLICA synchronization: {}",
                crate::util::error_text(&e)
            );
            return Progress::Failed;
        }
        t.read += take as u64;
        self.input.drain(..take);
        if done {
            Progress::Synced
        } else {
            Progress::More
        }
    }

    /// The file holding the payload and its final length, and the bytes
    /// received after the payload (the first commands of the stream).
    pub fn finish_transfer(&mut self) -> Option<(Transfer, Vec<u8>)> {
        let mut t = self.transfer.take()?;
        let payload_len = t.payload_len();
        if t.file.flush().is_err() || t.file.set_len(payload_len).is_err() {
            return None;
        }
        let _ = t.file.sync_all();
        Some((t, std::mem::take(&mut self.input)))
    }

    /// The bytes received after the `+CONTINUE` line.
    pub fn take_input(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.input)
    }

    /// The connection state ROLE and INFO report while this link exists.
    pub fn in_transfer(&self) -> bool {
        matches!(self.step, Step::BulkHeader | Step::Payload)
    }
}

impl Transfer {
    /// How many of `input`'s bytes belong to the payload, and whether
    /// they complete it.
    fn payload_in(&mut self, input: &[u8]) -> (usize, bool) {
        if let Some(size) = self.size {
            let left = size.saturating_sub(self.read);
            let take = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            return (take, self.read + take as u64 >= size);
        }
        let Some(mark) = self.mark.as_deref() else {
            return (input.len(), false);
        };
        let mut window = std::mem::take(&mut self.tail);
        let kept = window.len();
        window.extend_from_slice(input);
        if let Some(at) = find(&window, mark) {
            return (at + mark.len() - kept, true);
        }
        let keep_from = window.len().saturating_sub(mark.len());
        self.tail = window.split_off(keep_from);
        (input.len(), false)
    }

    /// Bytes of the RDB itself (the end mark is not part of it).
    fn payload_len(&self) -> u64 {
        match self.mark {
            Some(ref mark) => self.read.saturating_sub(mark.len() as u64),
            None => self.read,
        }
    }

    /// The mark that ends an EOF-marked payload.
    pub fn mark(&self) -> Option<&[u8]> {
        self.mark.as_deref()
    }

    /// INFO `master_sync_total_bytes`: 0 for the EOF-marked form (as Redis).
    pub fn total_bytes(&self) -> i64 {
        self.size.map(|s| s as i64).unwrap_or(0)
    }
}

/// First position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Logs an error reply to a REPLCONF the primary may not understand.
fn non_critical(reply: &str, what: &str) {
    if reply.starts_with('-') {
        info!(
            "(Non critical) Master does not understand {}: {}",
            what, reply
        );
    }
}

/// A new `temp-<unixtime>.<pid>.rdb` in the working directory.
fn open_temp_file() -> io::Result<(File, String)> {
    let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
    for attempt in 0..5 {
        let now = crate::util::unix_seconds();
        let path = match attempt {
            0 => format!("temp-{}.{}.rdb", now, std::process::id()),
            n => format!("temp-{}.{}.{}.rdb", now, std::process::id(), n),
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((f, path)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(mark: &[u8]) -> Transfer {
        let path = std::env::temp_dir().join(format!("reddish-link-test-{}", std::process::id()));
        Transfer {
            file: File::create(&path).unwrap(),
            path: path.display().to_string(),
            size: None,
            mark: Some(mark.to_vec()),
            tail: Vec::new(),
            read: 0,
        }
    }

    #[test]
    fn sized_payload_stops_at_its_length() {
        let mut t = marked(b"x");
        t.mark = None;
        t.size = Some(5);
        assert_eq!(t.payload_in(b"abc"), (3, false));
        t.read = 3;
        assert_eq!(t.payload_in(b"de*1\r\n"), (2, true));
    }

    #[test]
    fn end_mark_is_found_across_reads() {
        let mark = b"0123456789012345678901234567890123456789";
        let mut t = marked(mark);
        assert_eq!(t.payload_in(b"REDIS0009.....0123456789"), (24, false));
        t.read = 24;
        let rest = b"012345678901234567890123456789*1\r\n";
        assert_eq!(t.payload_in(rest), (30, true));
        t.read += 30;
        assert_eq!(t.payload_len(), 14);
    }

    #[test]
    fn commands_encode_as_resp_arrays() {
        assert_eq!(command_bytes(&["PING"]), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(
            command_bytes(&["PSYNC", "?", "-1"]),
            b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n"
        );
    }
}
