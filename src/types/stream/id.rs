//! Stream entry IDs: a millisecond time and a sequence number, both
//! unsigned 64-bit, ordered as one 128-bit number, written `<ms>-<seq>`.
//!
//! Parsing follows Redis's rules exactly: `-` and `+` are the smallest and
//! largest IDs (refused where an exact ID is required), a missing sequence
//! takes a caller-chosen default, and each half is read like Redis's
//! `string2ull` (so `007` and ` 7` are accepted, as there).

use crate::util::parse_u64;

/// Longest argument Redis copies into its parse buffer.
const MAX_ID_ARG_LEN: usize = 127;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == Self::MIN
    }

    /// The next ID, or `None` past the largest one.
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID, or `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// The ID `XADD *` generates after `self` at time `now_ms`: the time if
    /// it moved forward, else the next sequence (`None` when exhausted).
    pub fn successor_at(self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.next()
        }
    }

    /// The 16-byte big-endian form: byte order equals ID order.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    /// An ID from its 16-byte big-endian form (as RDB files store the
    /// node keys and pending entries).
    pub fn from_be_bytes(b: [u8; 16]) -> StreamId {
        let v = u128::from_be_bytes(b);
        StreamId::new((v >> 64) as u64, v as u64)
    }

    /// `<ms>-<seq>` as text (no allocation).
    pub fn text(self) -> IdText {
        self.text_with(b'-')
    }

    /// `<ms><sep><seq>` (DEBUG DIGEST writes `<ms>.<seq>`).
    pub fn text_with(self, sep: u8) -> IdText {
        let mut out = IdText {
            buf: [0; 41],
            len: 0,
        };
        out.push_u64(self.ms);
        out.buf[out.len] = sep;
        out.len += 1;
        out.push_u64(self.seq);
        out
    }
}

/// An ID's text on the stack.
#[derive(Clone, Copy)]
pub struct IdText {
    buf: [u8; 41],
    len: usize,
}

impl IdText {
    /// Appends the decimal digits of `v` (at most 20: always fits).
    fn push_u64(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for &d in digits[..n].iter().rev() {
            self.buf[self.len] = d;
            self.len += 1;
        }
    }
}

impl AsRef<[u8]> for IdText {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// How an ID argument may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdForm {
    /// `-` and `+` allowed (range bounds).
    Bound,
    /// An exact ID: `-` and `+` refused.
    Strict,
    /// An exact ID, or `<ms>-*` asking for a generated sequence (XADD).
    StrictAutoSeq,
}

/// A parsed ID and whether its sequence was given (false for `<ms>-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedId {
    pub id: StreamId,
    pub seq_given: bool,
}

/// Parses an ID argument; a missing sequence becomes `missing_seq`.
/// `None` means `ERR Invalid stream ID specified as stream command argument`.
pub fn parse(arg: &[u8], missing_seq: u64, form: IdForm) -> Option<ParsedId> {
    if arg.len() > MAX_ID_ARG_LEN {
        return None;
    }
    // Redis reads the argument as a C string.
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    let given = |id| {
        Some(ParsedId {
            id,
            seq_given: true,
        })
    };
    match text {
        b"-" if form == IdForm::Bound => return given(StreamId::MIN),
        b"+" if form == IdForm::Bound => return given(StreamId::MAX),
        b"-" | b"+" => return None,
        _ => {}
    }
    let (ms_text, seq_text) = match text.iter().position(|&b| b == b'-') {
        Some(dash) => (&text[..dash], Some(&text[dash + 1..])),
        None => (text, None),
    };
    let ms = parse_u64(ms_text)?;
    match seq_text {
        None => given(StreamId::new(ms, missing_seq)),
        Some(b"*") if form == IdForm::StrictAutoSeq => Some(ParsedId {
            id: StreamId::new(ms, 0),
            seq_given: false,
        }),
        Some(seq) => given(StreamId::new(ms, parse_u64(seq)?)),
    }
}

/// Parses a bound that may be exclusive (`(` prefix, then a strict ID).
/// Returns the ID and whether it was exclusive.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    match arg.split_first() {
        Some((b'(', rest)) if !rest.is_empty() => {
            parse(rest, missing_seq, IdForm::Strict).map(|p| (p.id, true))
        }
        _ => parse(arg, missing_seq, IdForm::Bound).map(|p| (p.id, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(arg: &str, form: IdForm) -> Option<StreamId> {
        parse(arg.as_bytes(), 0, form).map(|p| p.id)
    }

    #[test]
    fn forms() {
        assert_eq!(id("5", IdForm::Strict), Some(StreamId::new(5, 0)));
        assert_eq!(id("5-7", IdForm::Strict), Some(StreamId::new(5, 7)));
        assert_eq!(id("-", IdForm::Bound), Some(StreamId::MIN));
        assert_eq!(id("+", IdForm::Bound), Some(StreamId::MAX));
        assert_eq!(id("-", IdForm::Strict), None);
        assert_eq!(id("5-*", IdForm::Strict), None);
        let auto = parse(b"5-*", 0, IdForm::StrictAutoSeq).unwrap();
        assert_eq!((auto.id, auto.seq_given), (StreamId::new(5, 0), false));
        assert_eq!(id("abc", IdForm::Bound), None);
        assert_eq!(id("1-2-3", IdForm::Bound), None);
        assert_eq!(id("", IdForm::Bound), None);
        assert_eq!(id("-1", IdForm::Bound), None);
        // string2ull falls back to strtoull.
        assert_eq!(id("007-+3", IdForm::Strict), Some(StreamId::new(7, 3)));
        assert_eq!(
            id("18446744073709551615-18446744073709551615", IdForm::Strict),
            Some(StreamId::MAX)
        );
        assert_eq!(id("18446744073709551616", IdForm::Strict), None);
        assert_eq!(
            parse(b"5", u64::MAX, IdForm::Bound).unwrap().id.seq,
            u64::MAX
        );
    }

    #[test]
    fn intervals_and_neighbours() {
        assert_eq!(
            parse_interval(b"(5-1", 0),
            Some((StreamId::new(5, 1), true))
        );
        assert_eq!(parse_interval(b"(-", 0), None);
        assert_eq!(parse_interval(b"(", 0), None);
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(StreamId::new(12, 3).text().as_ref(), b"12-3");
        assert_eq!(StreamId::new(12, 3).text_with(b'.').as_ref(), b"12.3");
        let id = StreamId::new(1, 2);
        assert_eq!(id.to_be_bytes()[7], 1);
        assert_eq!(StreamId::from_be_bytes(id.to_be_bytes()), id);
    }
}
