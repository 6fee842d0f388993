//! One debugging session's state and its conversation with the client:
//! the log lines gathered between two stops and sent as one array of
//! status replies, the breakpoints, and the debugger's commands read
//! straight from the client's socket, which the session holds in blocking
//! mode (Redis's `ldb` state, `ldbSendLogs`, `ldbReplParseCommand`).

use crate::server::client::Client;
use crate::util::repr_bytes;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// At most this many breakpoints.
const MAX_BREAKPOINTS: usize = 64;
/// Values and replies shown are cut at this many bytes unless `maxlen`
/// says otherwise.
const DEFAULT_MAXLEN: usize = 256;
/// A client that sends this much without a complete command fails the
/// script.
const MAX_COMMAND_BUFFER: usize = 1 << 20;
/// How long writing to a stalled client may block.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Arguments (and their count) the command parser accepts.
const MAX_ARG: i64 = 1024;

/// The client's socket, duplicated and switched to blocking I/O.
enum Stream {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl Stream {
    /// A blocking handle on `c`'s socket (the same open socket: blocking
    /// mode holds for the client's own handle until [`Stream::release`]).
    fn of(c: &Client) -> io::Result<Stream> {
        let stream = match &c.stream {
            Some(crate::conn::Conn::Tcp(s)) => {
                let s = std::net::TcpStream::from(s.as_fd().try_clone_to_owned()?);
                s.set_nonblocking(false)?;
                s.set_write_timeout(Some(SEND_TIMEOUT))?;
                Stream::Tcp(s)
            }
            Some(crate::conn::Conn::Unix(s)) => {
                let s = std::os::unix::net::UnixStream::from(s.as_fd().try_clone_to_owned()?);
                s.set_nonblocking(false)?;
                s.set_write_timeout(Some(SEND_TIMEOUT))?;
                Stream::Unix(s)
            }
            None => return Err(io::ErrorKind::NotConnected.into()),
        };
        Ok(stream)
    }

    /// Gives the socket back to the event loop: non-blocking, no timeout.
    fn release(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.set_write_timeout(None).and(s.set_nonblocking(true)),
            Stream::Unix(s) => s.set_write_timeout(None).and(s.set_nonblocking(true)),
        };
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(buf),
            Stream::Unix(s) => s.write_all(buf),
        }
    }
}

/// Why the debugger fails the script while reading a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFailure {
    /// The client went away: the script goes on without stopping.
    Disconnected,
    /// Malformed input (the script fails with this message).
    Protocol(&'static str),
}

/// A debugging session.
pub struct Session {
    stream: Stream,
    /// Run in a forked child (YES) rather than the server (SYNC).
    pub forked: bool,
    logs: Vec<Vec<u8>>,
    breakpoints: Breakpoints,
    /// Stop at the next line whatever the breakpoints.
    pub step: bool,
    /// Stop at the next line: `redis.breakpoint()` was called.
    pub lua_breakpoint: bool,
    /// The script's source, by line.
    source: Vec<Vec<u8>>,
    pub current_line: i64,
    /// Bytes read from the client and not yet a command.
    input: Vec<u8>,
    /// Values and replies shown are cut at this length (0: never).
    maxlen: usize,
    maxlen_hint_sent: bool,
    /// Since the last stop: a script running this long without stopping
    /// is stopped ("timeout reached").
    pub since_stop: Instant,
}

impl Session {
    /// A session on `c`'s connection for the script `body`.
    pub fn open(c: &Client, body: &[u8], forked: bool) -> io::Result<Session> {
        let mut body = body;
        while let [rest @ .., b'\n' | b'\r'] = body {
            body = rest;
        }
        Ok(Session {
            stream: Stream::of(c)?,
            forked,
            logs: Vec::new(),
            breakpoints: Breakpoints::default(),
            step: true,
            lua_breakpoint: false,
            source: body.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect(),
            current_line: 0,
            input: Vec::new(),
            maxlen: DEFAULT_MAXLEN,
            maxlen_hint_sent: false,
            since_stop: Instant::now(),
        })
    }

    /// Hands the socket back to the event loop.
    pub fn release(&self) {
        self.stream.release();
    }

    pub fn log(&mut self, entry: impl Into<Vec<u8>>) {
        self.logs.push(entry.into());
    }

    /// Logs a value or reply, cut at `maxlen` (with a hint, the first
    /// time, on how to see all of it).
    pub fn log_trimmed(&mut self, mut entry: Vec<u8>) {
        let trimmed = self.maxlen != 0 && entry.len() > self.maxlen;
        if trimmed {
            entry.truncate(self.maxlen);
            entry.extend_from_slice(b" ...");
        }
        self.log(entry);
        if trimmed && !self.maxlen_hint_sent {
            self.maxlen_hint_sent = true;
            self.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
        }
    }

    /// Sends the gathered log lines as an array of status replies (line
    /// breaks become spaces). A failed write shows at the next read.
    pub fn send_logs(&mut self) {
        let mut out = format!("*{}\r\n", self.logs.len()).into_bytes();
        for entry in self.logs.drain(..) {
            out.push(b'+');
            out.extend(entry.iter().map(|&b| match b {
                b'\r' | b'\n' => b' ',
                b => b,
            }));
            out.extend_from_slice(b"\r\n");
        }
        let _ = self.stream.write_all(&out);
    }

    /// Writes bytes to the client as they are (the EVAL reply of a forked
    /// session).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// The next command from the client, waiting for it.
    pub fn read_command(&mut self) -> Result<Vec<Vec<u8>>, ReadFailure> {
        loop {
            match parse_command(&self.input) {
                Parsed::Command(argv) => {
                    self.input.clear();
                    return Ok(argv);
                }
                Parsed::Malformed => return Err(ReadFailure::Protocol("protocol error")),
                Parsed::Incomplete => {}
            }
            let mut buf = [0u8; 1024];
            match self.stream.read(&mut buf) {
                Ok(n) if n > 0 => self
                    .input
                    .extend_from_slice(buf.get(..n).unwrap_or_default()),
                _ => {
                    // Nobody to stop for any more: run to the end.
                    self.step = false;
                    self.breakpoints.count = 0;
                    return Err(ReadFailure::Disconnected);
                }
            }
            if self.input.len() > MAX_COMMAND_BUFFER {
                self.input = Vec::new();
                return Err(ReadFailure::Protocol("max client buffer reached"));
            }
        }
    }

    pub fn is_breakpoint(&self, line: i64) -> bool {
        self.breakpoints
            .lines()
            .iter()
            .any(|&l| i64::from(l) == line)
    }

    /// The source line `line` (1-based).
    fn source_line(&self, line: i64) -> &[u8] {
        usize::try_from(line - 1)
            .ok()
            .and_then(|i| self.source.get(i))
            .map_or(b"<out of range source code line>".as_slice(), Vec::as_slice)
    }

    /// Logs source line `line`, marked when it is the current one (`->`)
    /// or has a breakpoint (`#`).
    pub fn log_source_line(&mut self, line: i64) {
        let prefix = match (line == self.current_line, self.is_breakpoint(line)) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            (false, false) => "   ",
        };
        let mut entry = format!("{}{:<3} ", prefix, line).into_bytes();
        entry.extend_from_slice(self.source_line(line));
        self.log(entry);
    }

    /// Logs the lines within `context` of `around` (every line when
    /// `around` is 0).
    pub fn list(&mut self, around: i64, context: i64) {
        for line in 1..=self.source.len() as i64 {
            if around == 0 || (around - line).abs() <= context {
                self.log_source_line(line);
            }
        }
    }

    /// `break` without arguments: the breakpoints set.
    pub fn show_breakpoints(&mut self) {
        if self.breakpoints.count == 0 {
            self.log("No breakpoints set. Use 'b <line>' to add one.");
            return;
        }
        self.log(format!("{} breakpoints set:", self.breakpoints.count));
        for line in self.breakpoints.lines().to_vec() {
            self.log_source_line(i64::from(line));
        }
    }

    /// `break <line>`: adds (positive), removes (negative) or clears (0).
    pub fn change_breakpoint(&mut self, arg: &[u8]) {
        let Some(line) = crate::util::parse_i64(arg) else {
            let mut entry = b"Invalid argument:'".to_vec();
            entry.extend_from_slice(crate::scripting::convert::until_nul(arg));
            entry.push(b'\'');
            self.log(entry);
            return;
        };
        if line == 0 {
            self.breakpoints.count = 0;
            self.log("All breakpoints removed.");
        } else if line > 0 {
            // Lines are C ints.
            let line = i64::from(line as i32);
            if self.breakpoints.count == MAX_BREAKPOINTS {
                self.log("Too many breakpoints set.");
            } else if line > 0 && line <= self.source.len() as i64 && !self.is_breakpoint(line) {
                self.breakpoints.add(line as i32);
                self.list(line, 1);
            } else {
                self.log("Wrong line number.");
            }
        } else if self.breakpoints.remove(line.wrapping_neg() as i32) {
            self.log("Breakpoint removed.");
        } else {
            self.log("No breakpoint in the specified line.");
        }
    }

    /// `maxlen [len]`: shows or sets the length values are cut at.
    pub fn maxlen(&mut self, arg: Option<&[u8]>) {
        if let Some(arg) = arg {
            let len = c_atoi(arg);
            // The user knows about the command now.
            self.maxlen_hint_sent = true;
            self.maxlen = if len != 0 && len <= 60 {
                60
            } else {
                usize::try_from(len).unwrap_or(usize::MAX)
            };
        }
        if self.maxlen != 0 {
            self.log(format!(
                "<value> replies are truncated at {} bytes.",
                self.maxlen
            ));
        } else {
            self.log("<value> replies are unlimited.");
        }
    }

    /// `<redis> cmd args...` for a command the script runs (ten
    /// arguments at most shown).
    pub fn log_command(&mut self, argv: &crate::server::spec::Args) {
        let mut entry = b"<redis>".to_vec();
        for (j, arg) in argv.iter().enumerate() {
            if j == 10 {
                entry.extend_from_slice(format!(" ... ({} more)", argv.len() - j - 1).as_bytes());
                break;
            }
            entry.push(b' ');
            entry.extend_from_slice(arg);
        }
        self.log(entry);
    }

    /// `<error> text` for an error a script function raised.
    pub fn log_error(&mut self, text: &[u8]) {
        self.log([b"<error> ".as_slice(), text].concat());
    }
}

/// The breakpoints, kept as Redis keeps them: C ints in a fixed array.
#[derive(Debug)]
struct Breakpoints {
    lines: [i32; MAX_BREAKPOINTS],
    count: usize,
}

impl Default for Breakpoints {
    fn default() -> Self {
        Breakpoints {
            lines: [0; MAX_BREAKPOINTS],
            count: 0,
        }
    }
}

impl Breakpoints {
    fn lines(&self) -> &[i32] {
        self.lines.get(..self.count).unwrap_or_default()
    }

    fn add(&mut self, line: i32) {
        if let Some(slot) = self.lines.get_mut(self.count) {
            *slot = line;
            self.count += 1;
        }
    }

    /// Removes `line`'s breakpoint, moving the later ones down as Redis
    /// 7.0 does: its `memmove` counts bytes where it means entries, so
    /// only the first few bytes move (and a later breakpoint may be lost
    /// or doubled). Reproduced so the breakpoint list reads the same.
    fn remove(&mut self, line: i32) -> bool {
        let Some(at) = self.lines().iter().position(|&l| l == line) else {
            return false;
        };
        self.count -= 1;
        let mut bytes: Vec<u8> = self.lines.iter().flat_map(|l| l.to_le_bytes()).collect();
        let moved = self.count - at;
        let from = (at + 1) * 4;
        bytes.copy_within(from..from + moved, at * 4);
        for (slot, chunk) in self.lines.iter_mut().zip(bytes.chunks_exact(4)) {
            *slot = i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        true
    }
}

/// What the command parser made of the input so far.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    Command(Vec<Vec<u8>>),
    Incomplete,
    Malformed,
}

/// Where `pat` starts in `buf` from `from`, searching as C's `strstr`
/// does: not past the first NUL byte.
fn c_find(buf: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    let tail = buf.get(from..)?;
    let tail = crate::scripting::convert::until_nul(tail);
    tail.windows(pat.len())
        .position(|w| w == pat)
        .map(|at| at + from)
}

/// C's `atoi`: leading blanks, a sign, digits; anything else ends it.
pub fn c_atoi(s: &[u8]) -> i64 {
    let s = crate::scripting::convert::until_nul(s);
    let start = s.iter().position(|&b| !crate::util::is_c_space(b));
    let s = start.and_then(|at| s.get(at..)).unwrap_or_default();
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    // Past the range of a C `long`, strtol saturates and the `int` cast
    // keeps the low bits: -1 either way.
    if n == i64::MAX {
        return -1;
    }
    i64::from(if negative { -n } else { n } as i32)
}

/// Parses one command the way Redis's debugger does: a multibulk only,
/// searched from the first `*`, each argument 1 to 1024 bytes, at most
/// 1024 of them.
fn parse_command(buf: &[u8]) -> Parsed {
    if buf.is_empty() {
        return Parsed::Incomplete;
    }
    let Some(star) = c_find(buf, 0, b"*") else {
        return Parsed::Malformed;
    };
    let Some(eol) = c_find(buf, star, b"\r\n") else {
        return Parsed::Incomplete;
    };
    let argc = c_atoi(buf.get(star + 1..eol).unwrap_or_default());
    if argc <= 0 || argc > MAX_ARG {
        return Parsed::Malformed;
    }
    let mut p = eol + 2;
    let mut argv = Vec::new();
    while (argv.len() as i64) < argc {
        match buf.get(p) {
            None | Some(0) => return Parsed::Incomplete,
            Some(b'$') => {}
            Some(_) => return Parsed::Malformed,
        }
        let Some(eol) = c_find(buf, p, b"\r\n") else {
            return Parsed::Incomplete;
        };
        let len = c_atoi(buf.get(p + 1..eol).unwrap_or_default());
        if len <= 0 || len > MAX_ARG {
            return Parsed::Malformed;
        }
        p = eol + 2;
        let end = p + len as usize;
        if end + 2 > buf.len() {
            return Parsed::Incomplete;
        }
        argv.push(buf.get(p..end).unwrap_or_default().to_vec());
        if buf.get(end..end + 2) != Some(b"\r\n".as_slice()) {
            return Parsed::Malformed;
        }
        p = end + 2;
    }
    Parsed::Command(argv)
}

/// A debugger command's name as C's `strcasecmp` compares it: up to the
/// first NUL, any case.
pub fn is_command(arg: &[u8], short: &str, long: &str) -> bool {
    let name = crate::scripting::convert::until_nul(arg);
    name.eq_ignore_ascii_case(short.as_bytes()) || name.eq_ignore_ascii_case(long.as_bytes())
}

/// `sdscatrepr`: quoted with escapes.
pub fn repr(s: &[u8]) -> Vec<u8> {
    repr_bytes(s).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&str]) -> Parsed {
        Parsed::Command(parts.iter().map(|p| p.as_bytes().to_vec()).collect())
    }

    #[test]
    fn parses_multibulk_commands() {
        assert_eq!(parse_command(b"*1\r\n$1\r\ns\r\n"), cmd(&["s"]));
        assert_eq!(
            parse_command(b"junk*2\r\n$1\r\np\r\n$3\r\nabc\r\n"),
            cmd(&["p", "abc"])
        );
        assert_eq!(parse_command(b"*2\r\n$1\r\np\r\n"), Parsed::Incomplete);
        assert_eq!(parse_command(b"*1\r\n$3\r\nab"), Parsed::Incomplete);
        assert_eq!(parse_command(b"*1"), Parsed::Incomplete);
    }

    #[test]
    fn refuses_what_redis_refuses() {
        assert_eq!(parse_command(b"s\r\n"), Parsed::Malformed);
        assert_eq!(parse_command(b"*0\r\n"), Parsed::Malformed);
        assert_eq!(parse_command(b"*1\r\n$0\r\n\r\n"), Parsed::Malformed);
        assert_eq!(parse_command(b"*1\r\n+s\r\n"), Parsed::Malformed);
        assert_eq!(parse_command(b"*1\r\n$1\r\nsxx"), Parsed::Malformed);
        assert_eq!(parse_command(b"*1025\r\n"), Parsed::Malformed);
    }

    #[test]
    fn arguments_may_hold_nul_bytes() {
        assert_eq!(
            parse_command(b"*1\r\n$3\r\na\0b\r\n"),
            Parsed::Command(vec![b"a\0b".to_vec()])
        );
        assert!(is_command(b"s\0x", "s", "step"));
        assert!(!is_command(b"\0s", "s", "step"));
    }

    #[test]
    fn removing_a_breakpoint_moves_bytes_as_redis_does() {
        let mut bp = Breakpoints::default();
        for line in [3, 5, 7] {
            bp.add(line);
        }
        assert!(bp.remove(3));
        assert_eq!(bp.lines(), &[5, 5]);
        assert!(bp.remove(5));
        assert_eq!(bp.lines(), &[5]);
        assert!(!bp.remove(9));
    }

    #[test]
    fn atoi_as_c() {
        assert_eq!(c_atoi(b" 42x"), 42);
        assert_eq!(c_atoi(b"-7"), -7);
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_atoi(b"99999999999999999999"), -1);
    }
}
