//! Incremental request parser: RESP multibulk (`*2\r\n$3\r\nGET\r\n...`) and
//! inline commands (`GET key\r\n`, as typed in telnet).
//!
//! Arguments are never copied: a parsed request is a list of spans into the
//! client's query buffer. Parsing can stop anywhere (half a header, half a
//! bulk) and resumes where it stopped when more bytes arrive. The error texts
//! are Redis's, since clients and tests match on them.

use crate::util::{parse_i64, split_args};

/// Longest inline request or count line accepted without a newline.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// A byte range `[start, end)` of the query buffer.
pub type Span = (usize, usize);

/// What one call to [`RequestParser::parse`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole request is in `args`.
    Command,
    /// Input was consumed but holds no command (an empty line, `*0`).
    Nothing,
    /// More bytes are needed.
    Incomplete,
}

/// A protocol violation; the client gets `-ERR Protocol error: <reply>` and is closed.
#[derive(Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub reply: String,
}

impl ProtocolError {
    fn new(reply: impl Into<String>) -> Self {
        ProtocolError {
            reply: reply.into(),
        }
    }
}

/// Per-connection facts that change what the parser accepts.
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    pub proto_max_bulk_len: u64,
    /// The client has not authenticated yet: Redis caps request sizes hard.
    pub auth_required: bool,
    /// The link from our primary: bulk sizes are not capped.
    pub from_primary: bool,
}

/// Parser state carried between reads of one connection.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments of the request being parsed (complete after `Parsed::Command`).
    pub args: Vec<Span>,
    /// Bulks still expected by the current multibulk request.
    remaining: usize,
    /// Length of the bulk whose `$len` header has been read.
    bulk_len: Option<usize>,
}

impl RequestParser {
    /// Starts a fresh request (after a command ran or an error).
    pub fn reset(&mut self) {
        self.args.clear();
        self.remaining = 0;
        self.bulk_len = None;
    }

    /// True while a request has been partly read.
    pub fn in_progress(&self) -> bool {
        self.remaining > 0
    }

    /// Bytes still missing for the bulk being read, if one is.
    pub fn pending_bulk(&self) -> Option<usize> {
        self.bulk_len
    }

    /// Where the arguments already parsed of a half-read request begin: the
    /// query buffer must keep the bytes from there on.
    pub fn first_arg_start(&self) -> Option<usize> {
        self.args.first().map(|span| span.0)
    }

    /// Shifts stored spans after the buffer dropped `n` consumed bytes.
    pub fn shift(&mut self, n: usize) {
        for span in &mut self.args {
            span.0 -= n;
            span.1 -= n;
        }
    }

    /// Parses from `buf[*pos..]`, advancing `pos` past what was consumed.
    pub fn parse(
        &mut self,
        buf: &mut [u8],
        pos: &mut usize,
        limits: &ParseLimits,
    ) -> Result<Parsed, ProtocolError> {
        if self.remaining == 0 {
            self.args.clear();
            match buf.get(*pos) {
                None => return Ok(Parsed::Incomplete),
                Some(b'*') => {
                    if !self.read_multibulk_count(buf, pos, limits)? {
                        return Ok(Parsed::Incomplete);
                    }
                    if self.remaining == 0 {
                        return Ok(Parsed::Nothing);
                    }
                }
                Some(_) => return parse_inline(buf, pos, &mut self.args, limits),
            }
        }
        self.read_bulks(buf, pos, limits)
    }

    /// Reads `*<count>\r\n`. Returns false when the line is not complete yet.
    fn read_multibulk_count(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: &ParseLimits,
    ) -> Result<bool, ProtocolError> {
        let Some(line_end) = find_header_end(buf, *pos, "too big mbulk count string")? else {
            return Ok(false);
        };
        let count = match buf.get(*pos + 1..line_end).and_then(parse_i64) {
            Some(n) if n <= i32::MAX as i64 => n,
            _ => return Err(ProtocolError::new("invalid multibulk length")),
        };
        if count > 10 && limits.auth_required {
            return Err(ProtocolError::new("unauthenticated multibulk length"));
        }
        *pos = line_end + 2;
        if count > 0 {
            self.remaining = count as usize;
            self.args.reserve(self.remaining.min(1024));
        }
        Ok(true)
    }

    fn read_bulks(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: &ParseLimits,
    ) -> Result<Parsed, ProtocolError> {
        while self.remaining > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => match read_bulk_header(buf, pos, limits)? {
                    Some(len) => {
                        self.bulk_len = Some(len);
                        len
                    }
                    None => return Ok(Parsed::Incomplete),
                },
            };
            // The two bytes after the payload are skipped unchecked, as Redis does.
            if buf.len() - *pos < len + 2 {
                return Ok(Parsed::Incomplete);
            }
            self.args.push((*pos, *pos + len));
            *pos += len + 2;
            self.bulk_len = None;
            self.remaining -= 1;
        }
        Ok(Parsed::Command)
    }
}

/// Finds the `\r` ending a header line at `start`; `None` until `\r\n` is in.
fn find_header_end(
    buf: &[u8],
    start: usize,
    too_big: &str,
) -> Result<Option<usize>, ProtocolError> {
    let rest = buf.get(start..).unwrap_or_default();
    match memchr(b'\r', rest) {
        None if rest.len() > INLINE_MAX_SIZE => Err(ProtocolError::new(too_big)),
        None => Ok(None),
        Some(i) if i + 2 > rest.len() => Ok(None),
        Some(i) => Ok(Some(start + i)),
    }
}

/// Reads `$<len>\r\n`, returning the bulk length once the line is complete.
fn read_bulk_header(
    buf: &[u8],
    pos: &mut usize,
    limits: &ParseLimits,
) -> Result<Option<usize>, ProtocolError> {
    let Some(line_end) = find_header_end(buf, *pos, "too big bulk count string")? else {
        return Ok(None);
    };
    let first = buf.get(*pos).copied().unwrap_or(b'\r');
    if first != b'$' {
        return Err(ProtocolError::new(format!(
            "expected '$', got '{}'",
            first as char
        )));
    }
    let len = match buf.get(*pos + 1..line_end).and_then(parse_i64) {
        Some(n) if n >= 0 && (limits.from_primary || n as u64 <= limits.proto_max_bulk_len) => n,
        _ => return Err(ProtocolError::new("invalid bulk length")),
    };
    if len > 16384 && limits.auth_required {
        return Err(ProtocolError::new("unauthenticated bulk length"));
    }
    *pos = line_end + 2;
    Ok(Some(len as usize))
}

/// Parses one inline line. Unescaped arguments are written back over the
/// line itself (never longer than their source) so spans still work.
fn parse_inline(
    buf: &mut [u8],
    pos: &mut usize,
    args: &mut Vec<Span>,
    limits: &ParseLimits,
) -> Result<Parsed, ProtocolError> {
    let start = *pos;
    let rest = buf.get(start..).unwrap_or_default();
    let Some(newline) = memchr(b'\n', rest) else {
        if rest.len() > INLINE_MAX_SIZE {
            return Err(ProtocolError::new("too big inline request"));
        }
        return Ok(Parsed::Incomplete);
    };
    let mut line_len = newline;
    if line_len > 0 && rest.get(line_len - 1) == Some(&b'\r') {
        line_len -= 1;
    }
    let line = rest.get(..line_len).unwrap_or_default();
    // C's sdssplitargs stops at a NUL byte.
    let line = line.split(|&b| b == 0).next().unwrap_or_default();
    let Some(words) = split_args(line) else {
        return Err(ProtocolError::new("unbalanced quotes in request"));
    };
    if line_len != 0 && limits.from_primary {
        return Err(ProtocolError::new(
            "Master using the inline protocol. Desync?",
        ));
    }
    *pos = start + newline + 1;
    if words.is_empty() {
        return Ok(Parsed::Nothing);
    }
    let mut write = start;
    for word in &words {
        let end = write + word.len();
        if let Some(dst) = buf.get_mut(write..end) {
            dst.copy_from_slice(word);
        }
        args.push((write, end));
        write = end;
    }
    Ok(Parsed::Command)
}

/// Position of the first `needle` byte in `hay`.
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ParseLimits = ParseLimits {
        proto_max_bulk_len: 512 * 1024 * 1024,
        auth_required: false,
        from_primary: false,
    };

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut buf = input.to_vec();
        let mut parser = RequestParser::default();
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            match parser.parse(&mut buf, &mut pos, &LIMITS)? {
                Parsed::Command => {
                    out.push(
                        parser
                            .args
                            .iter()
                            .map(|&(s, e)| buf[s..e].to_vec())
                            .collect(),
                    );
                    parser.reset();
                }
                Parsed::Nothing => {}
                Parsed::Incomplete => return Ok(out),
            }
        }
    }

    #[test]
    fn multibulk_and_inline() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\n").unwrap();
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0], vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(cmds[1], vec![b"PING".to_vec()]);
        assert_eq!(
            cmds[2],
            vec![b"set".to_vec(), b"a".to_vec(), b"b c".to_vec()]
        );
    }

    #[test]
    fn resumes_after_partial_input() {
        let full = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
        let mut parser = RequestParser::default();
        let mut pos = 0;
        for cut in 1..full.len() {
            let mut buf = full[..cut].to_vec();
            assert_eq!(
                parser.parse(&mut buf, &mut pos, &LIMITS),
                Ok(Parsed::Incomplete)
            );
        }
        let mut buf = full.to_vec();
        assert_eq!(
            parser.parse(&mut buf, &mut pos, &LIMITS),
            Ok(Parsed::Command)
        );
        assert_eq!(parser.args, vec![(8, 12), (18, 23)]);
    }

    #[test]
    fn errors_match_redis() {
        let err = |input: &[u8]| parse_all(input).unwrap_err().reply;
        assert_eq!(err(b"*x\r\n"), "invalid multibulk length");
        assert_eq!(err(b"*1\r\n$-1\r\n"), "invalid bulk length");
        assert_eq!(err(b"*1\r\nfoo\r\n"), "expected '$', got 'f'");
        assert_eq!(err(b"\"unbalanced\r\n"), "unbalanced quotes in request");
        assert_eq!(err(&vec![b'a'; 70000]), "too big inline request");
        assert_eq!(err(b"*1\r\n$600000000\r\n"), "invalid bulk length");
    }
}
