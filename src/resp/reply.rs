//! Reply writer: appends RESP2 or RESP3 replies to one client's output buffer.
//!
//! Commands describe replies by meaning (null, map, double, verbatim text) and
//! the writer picks the wire form for the connection's protocol version, as
//! Redis's `addReply*` family does. Error replies are also counted here so the
//! server can keep `INFO errorstats`.

use crate::util::{double_g17_text, i64_text, push_i64, push_u64, G17_MAX};

/// The output buffer of one client plus its protocol version.
#[derive(Debug)]
pub struct Reply {
    pub buf: Vec<u8>,
    /// True after `HELLO 3`.
    pub resp3: bool,
    /// Error codes (first word of each error reply) not yet added to the stats.
    pub error_codes: Vec<String>,
    /// An error reply was written that is not to be counted in the error
    /// stats (a script's error already counted when the command it called
    /// failed); the command still counts as failed.
    pub uncounted_error: bool,
    /// Ranges of `buf` written by the running command that CLIENT REPLY
    /// OFF or SKIP must not drop: pub/sub messages and subscription
    /// replies, which Redis always sends.
    pushed: Vec<(usize, usize)>,
    /// Where in `buf` pushes raised while the running command is served go
    /// (its reply's start, or past what it replied before raising them);
    /// moved along by a header filled in before it.
    pub push_anchor: usize,
    /// Where in `buf` the first aggregate of unknown length was started
    /// since the buffer was last emptied. Redis puts such a header's
    /// placeholder in its reply list, and everything after it goes to
    /// the list too: the output limits count it from there. `usize::MAX`
    /// while there is none.
    deferred_from: usize,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            buf: Vec::new(),
            resp3: false,
            error_codes: Vec::new(),
            uncounted_error: false,
            pushed: Vec::new(),
            push_anchor: 0,
            deferred_from: usize::MAX,
        }
    }
}

/// A placeholder for an aggregate length written once the count is known.
#[derive(Debug, Clone, Copy)]
pub struct Deferred {
    pos: usize,
}

/// Aggregate kinds, which differ between RESP2 and RESP3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Array,
    Map,
    Set,
    Push,
}

impl Reply {
    fn line(&mut self, prefix: u8, body: &[u8]) {
        self.buf.push(prefix);
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        push_i64(&mut self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A status reply such as `+PONG`.
    pub fn simple(&mut self, s: &str) {
        self.line(b'+', s.as_bytes());
    }

    /// An error reply. `msg` starts with its code (`ERR ...`, `WRONGTYPE ...`);
    /// a leading `-` is optional. Bytes quoted from the client go out as they
    /// came, except newlines, replaced so the reply stays one line.
    pub fn error(&mut self, msg: impl AsRef<[u8]>) {
        let msg = msg.as_ref();
        let msg = msg.strip_prefix(b"-").unwrap_or(msg);
        let code = match msg.iter().take(32).position(|&b| b == b' ') {
            Some(i) => String::from_utf8_lossy(&msg[..i]).into_owned(),
            None => "ERR".to_string(),
        };
        self.error_codes.push(code);
        self.buf.push(b'-');
        self.buf.extend(
            msg.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply left out of the error stats (see `uncounted_error`).
    pub fn error_counted_elsewhere(&mut self, msg: impl AsRef<[u8]>) {
        self.error(msg);
        self.error_codes.pop();
        self.uncounted_error = true;
    }

    /// A status reply of arbitrary bytes, line breaks made spaces.
    pub fn status(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend(
            s.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A big number (`(digits` in RESP3), a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.line(b'(', digits);
        } else {
            self.bulk(digits);
        }
    }

    /// An `ERR`-coded error: `error_err("syntax error")` sends `-ERR syntax error`.
    pub fn error_err(&mut self, msg: &str) {
        self.error(format!("ERR {}", msg));
    }

    pub fn int(&mut self, v: i64) {
        self.header(b':', v);
    }

    pub fn uint(&mut self, v: u64) {
        self.buf.push(b':');
        push_u64(&mut self.buf, v);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len() as i64);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal text of `v`.
    pub fn bulk_i64(&mut self, v: i64) {
        let mut tmp = [0u8; 21];
        self.bulk(i64_text(&mut tmp, v));
    }

    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    /// A bulk string or the null reply.
    pub fn bulk_opt(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.bulk(s),
            None => self.null(),
        }
    }

    /// Null: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// Null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of `2n` in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        let prefix = if self.resp3 { b'~' } else { b'*' };
        self.header(prefix, n as i64);
    }

    /// An out-of-band push: `>n` in RESP3, an array in RESP2.
    pub fn push(&mut self, n: usize) {
        let prefix = if self.resp3 { b'>' } else { b'*' };
        self.header(prefix, n as i64);
    }

    pub fn empty_array(&mut self) {
        self.buf.extend_from_slice(b"*0\r\n");
    }

    /// A double: `,1.5` in RESP3, a bulk string with `%.17g` text in RESP2.
    pub fn double(&mut self, v: f64) {
        let mut buf = [0u8; G17_MAX];
        let text = double_g17_text(&mut buf, v);
        if self.resp3 {
            self.line(b',', text);
        } else {
            self.bulk(text);
        }
    }

    /// A double already written as text (Redis's human long double form,
    /// GEOPOS coordinates): `,text` in RESP3, a bulk string in RESP2.
    pub fn double_text(&mut self, text: &[u8]) {
        if self.resp3 {
            self.line(b',', text);
        } else {
            self.bulk(text);
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// Verbatim text (`=len\r\ntxt:...` in RESP3), a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        self.verbatim_with_format(text, b"txt");
    }

    /// Verbatim text of a given format: its first three bytes, padded
    /// with spaces.
    pub fn verbatim_with_format(&mut self, text: &[u8], format: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as i64 + 4);
            for i in 0..3 {
                self.buf.push(format.get(i).copied().unwrap_or(b' '));
            }
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Reserves room for an aggregate header whose length is not known yet.
    pub fn defer(&mut self) -> Deferred {
        let pos = self.buf.len();
        self.deferred_from = self.deferred_from.min(pos);
        Deferred { pos }
    }

    /// Where the output past Redis's static reply buffer starts: at
    /// `static_size` bytes, or earlier where an aggregate of unknown length
    /// was started.
    pub fn list_start(&self, static_size: usize) -> usize {
        self.deferred_from.min(static_size)
    }

    /// Empties the buffer once it was all sent (keeping its memory).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.deferred_from = usize::MAX;
    }

    /// Writes the header reserved by `defer` now that `n` is known.
    pub fn fill(&mut self, at: Deferred, kind: Aggregate, n: usize) {
        let mut header = Vec::with_capacity(16);
        let (prefix, count) = match kind {
            Aggregate::Array => (b'*', n),
            Aggregate::Map if self.resp3 => (b'%', n),
            Aggregate::Map => (b'*', 2 * n),
            Aggregate::Set if self.resp3 => (b'~', n),
            Aggregate::Push if self.resp3 => (b'>', n),
            Aggregate::Set | Aggregate::Push => (b'*', n),
        };
        header.push(prefix);
        push_u64(&mut header, count as u64);
        header.extend_from_slice(b"\r\n");
        let at = at.pos.min(self.buf.len());
        let len = header.len();
        self.buf.splice(at..at, header);
        // Pushes anchored where the header goes were raised before it.
        self.shift_marks(at, len, self.push_anchor > at);
    }

    /// Keeps the marks past `at` right after `len` bytes were put there
    /// (the push anchor if `anchor`). A header filled in where its
    /// aggregate was started stays past the start of the deferred output.
    fn shift_marks(&mut self, at: usize, len: usize, anchor: bool) {
        for range in self.pushed.iter_mut().filter(|r| r.0 >= at) {
            *range = (range.0 + len, range.1 + len);
        }
        if self.deferred_from > at && self.deferred_from != usize::MAX {
            self.deferred_from += len;
        }
        if anchor {
            self.push_anchor += len;
        }
    }

    /// Appends bytes that are already valid RESP.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Marks what was written from `start` on as a push, which CLIENT
    /// REPLY cannot silence.
    pub fn mark_pushed(&mut self, start: usize) {
        self.pushed
            .push((start.min(self.buf.len()), self.buf.len()));
    }

    /// Inserts pushes at `at`, ahead of what was written since (a command's
    /// own reply comes after the messages it caused, as in Redis).
    pub fn insert_pushed(&mut self, at: usize, bytes: &[u8]) {
        let at = at.min(self.buf.len());
        let len = bytes.len();
        self.shift_marks(at, len, self.push_anchor >= at);
        self.buf.splice(at..at, bytes.iter().copied());
        self.pushed.push((at, at + len));
    }

    /// Drops what was written from `mark` on except the pushes (CLIENT
    /// REPLY OFF or SKIP), then forgets the pushes.
    pub fn silence_from(&mut self, mark: usize) {
        let mut ranges = std::mem::take(&mut self.pushed);
        ranges.sort_unstable();
        let kept: Vec<u8> = ranges
            .iter()
            .filter(|r| r.0 >= mark)
            .filter_map(|&(from, to)| self.buf.get(from..to))
            .flatten()
            .copied()
            .collect();
        self.buf.truncate(mark);
        self.buf.extend_from_slice(&kept);
        // Redis adds nothing, not even a placeholder, while replies are off.
        if self.deferred_from >= mark {
            self.deferred_from = usize::MAX;
        }
    }

    /// Forgets the pushes of the command that just ended.
    pub fn settled(&mut self) {
        self.pushed.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_forms() {
        let mut r = Reply::default();
        r.null();
        r.map(1);
        r.double(1.5);
        assert_eq!(r.buf, b"$-1\r\n*2\r\n$3\r\n1.5\r\n");
        let mut r = Reply {
            resp3: true,
            ..Reply::default()
        };
        r.null();
        r.map(1);
        r.double(1.5);
        r.double_text(b"0.5");
        assert_eq!(r.buf, b"_\r\n%1\r\n,1.5\r\n,0.5\r\n");
    }

    #[test]
    fn errors_are_counted_and_one_line() {
        let mut r = Reply::default();
        r.error("WRONGTYPE bad\r\nthing");
        r.error_err("syntax error");
        assert_eq!(r.buf, b"-WRONGTYPE bad  thing\r\n-ERR syntax error\r\n");
        assert_eq!(r.error_codes, vec!["WRONGTYPE", "ERR"]);
    }

    #[test]
    fn output_after_a_deferred_header_starts_the_list() {
        let mut r = Reply::default();
        r.int(1);
        assert_eq!(r.list_start(16), 16);
        let d = r.defer();
        r.int(2);
        r.fill(d, Aggregate::Array, 1);
        assert_eq!(r.list_start(16), 4);
        assert_eq!(r.list_start(2), 2);
        r.silence_from(4);
        assert_eq!(r.list_start(16), 16);
        r.defer();
        r.clear();
        assert_eq!(r.list_start(16), 16);
    }

    #[test]
    fn deferred_length() {
        let mut r = Reply::default();
        let d = r.defer();
        r.int(1);
        r.int(2);
        r.fill(d, Aggregate::Array, 2);
        assert_eq!(r.buf, b"*2\r\n:1\r\n:2\r\n");
    }
}
