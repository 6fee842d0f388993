//! Replies: constructors for the replies a test expects, and accessors
//! that take a reply apart, failing the test when it has another type.

use super::Frame;

/// `+OK`.
pub fn ok() -> Frame {
    Frame::Simple("OK".into())
}

/// `+PONG`.
pub fn pong() -> Frame {
    Frame::Simple("PONG".into())
}

/// An error reply (`text` is everything after the `-`).
pub fn err(text: &str) -> Frame {
    Frame::Error(text.into())
}

/// An integer reply.
pub fn int(n: i64) -> Frame {
    Frame::Int(n)
}

/// The null bulk string (`$-1`).
pub fn nil() -> Frame {
    Frame::Bulk(None)
}

/// The null array (`*-1`).
pub fn nil_array() -> Frame {
    Frame::Array(None)
}

/// An array reply of `items`.
pub fn array(items: Vec<Frame>) -> Frame {
    Frame::Array(Some(items))
}

/// The empty array (`*0`).
pub fn empty_array() -> Frame {
    array(vec![])
}

/// An array of bulk strings.
pub fn bulks(items: &[&str]) -> Frame {
    array(items.iter().map(Frame::bulk).collect())
}

/// An array of integers.
pub fn ints(items: &[i64]) -> Frame {
    array(items.iter().map(|&n| int(n)).collect())
}

/// The integer of an integer reply.
pub fn int_of(frame: Frame) -> i64 {
    match frame {
        Frame::Int(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// The bytes of a bulk string reply.
pub fn bulk_bytes(frame: Frame) -> Vec<u8> {
    match frame {
        Frame::Bulk(Some(b)) => b,
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// The text of a bulk string reply.
pub fn bulk_text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// The items of an array reply.
pub fn items(frame: Frame) -> Vec<Frame> {
    match frame {
        Frame::Array(Some(items)) => items,
        other => panic!("expected an array, got {other:?}"),
    }
}

/// The texts of an array reply, in reply order.
pub fn texts(frame: Frame) -> Vec<String> {
    items(frame).iter().map(Frame::as_text).collect()
}

/// The texts of an array (or RESP3 set) reply, sorted.
pub fn sorted(frame: Frame) -> Vec<String> {
    let items = match frame {
        Frame::Array(Some(items)) | Frame::Typed(b'~', items) => items,
        other => panic!("expected an array or a set, got {other:?}"),
    };
    let mut out: Vec<String> = items.iter().map(Frame::as_text).collect();
    out.sort();
    out
}

/// Every text in a (nested) reply, joined by newlines.
pub fn all_text(frame: &Frame) -> String {
    match frame {
        Frame::Array(Some(items)) | Frame::Typed(_, items) => {
            items.iter().map(all_text).collect::<Vec<_>>().join("\n")
        }
        other => other.as_text(),
    }
}

/// A reply as one line that keeps its shape, for comparing nested replies
/// with what another server gave: bulk strings as their text, `+simple`,
/// `-error`, `:integer`, `(nil)` and `(nil*)` for the null bulk string and
/// null array, `[a b]` for arrays, RESP3 aggregates with their type byte
/// before the brackets (`%[k v]`, `~[a]`), other RESP3 types as their line
/// (`,1.5`, `_`, `#t`, `=txt:...`).
pub fn render(frame: &Frame) -> String {
    let list = |items: &[Frame]| {
        let parts: Vec<String> = items.iter().map(render).collect();
        format!("[{}]", parts.join(" "))
    };
    match frame {
        Frame::Simple(s) => format!("+{s}"),
        Frame::Error(s) => format!("-{s}"),
        Frame::Int(n) => format!(":{n}"),
        Frame::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        Frame::Bulk(None) => "(nil)".into(),
        Frame::Array(Some(items)) => list(items),
        Frame::Array(None) => "(nil*)".into(),
        Frame::Typed(p, items) => format!("{}{}", *p as char, list(items)),
        Frame::Line(p, s) => format!("{}{s}", *p as char),
    }
}

/// The whitespace-separated words of a command line, as arguments.
pub fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}
