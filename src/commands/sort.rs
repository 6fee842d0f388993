//! SORT and SORT_RO: sort the elements of a list, set or sorted set
//! numerically or as text, optionally by weights read from other keys
//! (`BY pattern`), returning elements or values read from other keys
//! (`GET pattern`), or storing the result as a list (`STORE`).
//!
//! Behaviour follows Redis 7.0.15's sort.c: the LIMIT clamping, the
//! constant-BY (`nosort`) shortcut that keeps a list's or sorted set's own
//! order, ties broken by the element itself, and which comparisons are binary
//! and which stop at a NUL byte as C string collation does.

use super::zsets::{c_string, strict_double};
use super::{int_arg, is_opt};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Begin, Command, Find, KeyRef, KeySpec};
use crate::server::write::{KeyEvent, DEL};
use crate::server::Server;
use crate::types::list::{Direction, End, List};
use crate::types::Value;
use std::cmp::Ordering;

const BAD_WEIGHT: &str = "ERR One or more scores can't be converted into double";

/// What a BY or GET pattern names for an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern<'a> {
    /// `#`: the element itself.
    Element,
    /// No `*`: names nothing (GET answers nil, BY keeps the native order).
    Constant,
    /// The string at `prefix<element>suffix`, or with `field` that field of
    /// the hash there.
    Key {
        prefix: &'a [u8],
        suffix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

impl<'a> Pattern<'a> {
    /// Reads a pattern as Redis does: the `#`, the first `*` and a `->`
    /// after it are searched in the text before any NUL byte; a `->` only
    /// names a field when something follows it.
    fn parse(pattern: &'a [u8]) -> Pattern<'a> {
        let text = c_string(pattern);
        if text == b"#" {
            return Pattern::Element;
        }
        let Some(star) = text.iter().position(|&b| b == b'*') else {
            return Pattern::Constant;
        };
        let after_star = star + 1;
        let arrow = text
            .get(after_star..)
            .and_then(|rest| rest.windows(2).position(|w| w == b"->"))
            .map(|at| after_star + at)
            .filter(|&at| at + 2 < text.len());
        let prefix = pattern.get(..star).unwrap_or_default();
        match arrow {
            Some(at) => Pattern::Key {
                prefix,
                suffix: pattern.get(after_star..at).unwrap_or_default(),
                field: pattern.get(at + 2..),
            },
            None => Pattern::Key {
                prefix,
                suffix: pattern.get(after_star..).unwrap_or_default(),
                field: None,
            },
        }
    }
}

/// Reusable buffers for pattern lookups.
#[derive(Default)]
struct LookupBuf {
    key: Vec<u8>,
    int_text: [u8; 21],
}

/// The value `pattern` names for `elem` (Redis's `lookupKeyByPattern`):
/// looking the key up counts as a read (expiry, hit/miss statistics).
fn lookup<'v>(
    srv: &'v mut Server,
    db: usize,
    pattern: &Pattern,
    elem: &'v [u8],
    buf: &'v mut LookupBuf,
) -> Option<&'v [u8]> {
    let (prefix, suffix, field) = match *pattern {
        Pattern::Element => return Some(elem),
        Pattern::Constant => return None,
        Pattern::Key {
            prefix,
            suffix,
            field,
        } => (prefix, suffix, field),
    };
    buf.key.clear();
    buf.key.extend_from_slice(prefix);
    buf.key.extend_from_slice(elem);
    buf.key.extend_from_slice(suffix);
    let obj = srv.lookup_read(db, &buf.key)?;
    match field {
        Some(field) => obj.value.as_hash()?.get(field),
        None => Some(obj.value.as_str()?.bytes(&mut buf.int_text)),
    }
}

/// The parsed options of one SORT call.
struct SortOptions<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    by: Option<Pattern<'a>>,
    /// A BY pattern without `*` was given: the elements keep their order.
    dont_sort: bool,
    store: Option<&'a [u8]>,
    gets: Vec<Pattern<'a>>,
}

/// Reads the options; BY with a pattern and GET need the user to be
/// allowed to read every key (`full_key_access`), as in Redis.
fn parse_options<'a>(
    args: &Args<'a>,
    readonly: bool,
    full_key_access: bool,
) -> Result<SortOptions<'a>, CmdError> {
    let mut opts = SortOptions {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        by: None,
        dont_sort: false,
        store: None,
        gets: Vec::new(),
    };
    let mut j = 2;
    while let Some(arg) = args.get(j) {
        let left = args.len() - j - 1;
        let next = args.get(j + 1).unwrap_or_default();
        if is_opt(arg, "asc") {
            opts.desc = false;
        } else if is_opt(arg, "desc") {
            opts.desc = true;
        } else if is_opt(arg, "alpha") {
            opts.alpha = true;
        } else if is_opt(arg, "limit") && left >= 2 {
            opts.limit_start = int_arg(next)?;
            opts.limit_count = int_arg(&args[j + 2])?;
            j += 2;
        } else if !readonly && is_opt(arg, "store") && left >= 1 {
            opts.store = Some(next);
            j += 1;
        } else if is_opt(arg, "by") && left >= 1 {
            let by = Pattern::parse(next);
            let constant = !c_string(next).contains(&b'*');
            if !constant && !full_key_access {
                return Err(BY_DENIED.into());
            }
            // As in Redis, a constant BY anywhere disables sorting even if
            // a later BY has a pattern.
            opts.dont_sort |= constant;
            opts.by = Some(by);
            j += 1;
        } else if is_opt(arg, "get") && left >= 1 {
            if !full_key_access {
                return Err(GET_DENIED.into());
            }
            opts.gets.push(Pattern::parse(next));
            j += 1;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    Ok(opts)
}

/// The inclusive range of sorted positions LIMIT selects out of `len`,
/// clamped as sort.c does; empty when `end < start`.
fn limit_window(len: i64, limit_start: i64, limit_count: i64) -> (i64, i64) {
    let mut start = limit_start.clamp(0, len);
    let count = limit_count.max(-1).min(len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

/// One element to sort with its weight.
struct Item {
    elem: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorting with a pattern (None: no such key).
    text: Option<Vec<u8>>,
}

impl Item {
    fn new(elem: &[u8]) -> Item {
        Item {
            elem: elem.to_vec(),
            score: 0.0,
            text: None,
        }
    }
}

/// A value's elements to sort and the window of them to output. With
/// `ranged` (a list or sorted set kept in its own order) only the window is
/// loaded, in the requested direction, and the window is rebased to 0.
fn load_items(
    value: &Value,
    ranged: bool,
    desc: bool,
    window: (i64, i64),
) -> (Vec<Item>, (i64, i64)) {
    let (start, end) = window;
    let want = usize::try_from(end - start + 1).unwrap_or(0);
    let first = usize::try_from(start).unwrap_or(0);
    match value {
        Value::List(list) if ranged => {
            let from = if desc {
                list.len().saturating_sub(first + 1)
            } else {
                first
            };
            let dir = if desc {
                Direction::Backward
            } else {
                Direction::Forward
            };
            let items = list
                .iter_from(from, dir)
                .take(want)
                .map(Item::new)
                .collect();
            (items, (0, end - start))
        }
        Value::ZSet(zset) if ranged => {
            let items = zset
                .iter_from(first, desc)
                .take(want)
                .map(|(m, _)| Item::new(m))
                .collect();
            (items, (0, end - start))
        }
        Value::List(list) => (list.iter().map(Item::new).collect(), window),
        Value::ZSet(zset) => (zset.iter().map(|(m, _)| Item::new(m)).collect(), window),
        Value::Set(set) => {
            let mut tmp = [0u8; 21];
            let items = set.iter().map(|m| Item::new(m.bytes(&mut tmp))).collect();
            (items, window)
        }
        _ => (Vec::new(), window),
    }
}

/// A numeric weight as sort.c reads it with `strtod`: the text before any
/// NUL, leading blanks allowed, the empty text is 0; None for text that is
/// not wholly a number, NaN, or out of range.
fn parse_weight(text: &[u8]) -> Option<f64> {
    let text = c_string(text);
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|&b| !crate::util::is_c_space(b))?;
    strict_double(text.get(start..)?)
}

/// Fills each item's weight; false if a numeric weight was not a number.
fn load_weights(
    srv: &mut Server,
    db: usize,
    items: &mut [Item],
    by: Option<&Pattern>,
    alpha: bool,
) -> bool {
    let mut buf = LookupBuf::default();
    let mut all_numbers = true;
    for item in items.iter_mut() {
        let weight = match by {
            Some(pattern) => match lookup(srv, db, pattern, &item.elem, &mut buf) {
                Some(w) => w,
                None => continue,
            },
            None => &item.elem,
        };
        if alpha {
            if by.is_some() {
                let text = weight.to_vec();
                item.text = Some(text);
            }
        } else {
            match parse_weight(weight) {
                Some(score) => item.score = score,
                None => all_numbers = false,
            }
        }
    }
    all_numbers
}

/// How items compare: numbers (ties by element), BY texts (missing ones
/// first), or the elements themselves. Text comparisons stop at a NUL
/// byte (`strcoll`) unless the result is stored (binary comparison).
fn compare(a: &Item, b: &Item, alpha: bool, by_pattern: bool, binary: bool) -> Ordering {
    let text_cmp = |x: &[u8], y: &[u8]| {
        if binary {
            x.cmp(y)
        } else {
            c_string(x).cmp(c_string(y))
        }
    };
    if !alpha {
        return match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None => a.elem.cmp(&b.elem),
            Some(order) => order,
        };
    }
    if !by_pattern {
        return text_cmp(&a.elem, &b.elem);
    }
    match (&a.text, &b.text) {
        (Some(x), Some(y)) => text_cmp(x, y),
        (x, y) => x.is_some().cmp(&y.is_some()),
    }
}

fn sort(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sort_generic(srv, c, args, false)
}

fn sort_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sort_generic(srv, c, args, true)
}

const BY_DENIED: &str = "ERR BY option of SORT denied due to insufficient ACL permissions.";
const GET_DENIED: &str = "ERR GET option of SORT denied due to insufficient ACL permissions.";

fn sort_generic(srv: &mut Server, c: &mut Client, args: &Args, readonly: bool) -> CmdResult {
    let full_key_access = srv.acl.unrestricted(c.user) || {
        let name: &[u8] = if readonly { b"sort_ro" } else { b"sort" };
        srv.registry
            .find_original(name)
            .is_some_and(|id| srv.acl_full_key_access(c, id, args))
    };
    let mut opts = parse_options(args, readonly, full_key_access)?;
    let db = c.db;
    let (mut items, window) = match srv.lookup_read(db, &args[1]) {
        None => (Vec::new(), (-1, -2)),
        Some(obj) => {
            let value = &mut obj.value;
            let len = match value {
                Value::List(l) => l.len(),
                Value::Set(s) => s.len(),
                Value::ZSet(z) => z.len(),
                _ => return Err(errors::WRONGTYPE.into()),
            };
            let deterministic = opts.store.is_some() || c.from_script;
            if opts.dont_sort && deterministic && matches!(value, Value::Set(_)) {
                // A set has no order of its own: a stored result (or one
                // a script sees) is sorted so that it is the same
                // everywhere.
                opts.dont_sort = false;
                opts.alpha = true;
                opts.by = None;
            }
            // Redis converts a compact sorted set for SORT, for good.
            if let Value::ZSet(z) = value {
                z.convert_to_skiplist();
            }
            let len = i64::try_from(len).unwrap_or(i64::MAX);
            let window = limit_window(len, opts.limit_start, opts.limit_count);
            let ranged = opts.dont_sort && !matches!(value, Value::Set(_));
            load_items(value, ranged, opts.desc, window)
        }
    };
    if !opts.dont_sort {
        if !load_weights(srv, db, &mut items, opts.by.as_ref(), opts.alpha) {
            return Err(BAD_WEIGHT.into());
        }
        let by_pattern = opts.by.is_some();
        let binary = opts.store.is_some();
        items.sort_by(|a, b| {
            let order = compare(a, b, opts.alpha, by_pattern, binary);
            if opts.desc {
                order.reverse()
            } else {
                order
            }
        });
    }
    let (start, end) = window;
    let selected = match (usize::try_from(start), usize::try_from(end)) {
        (Ok(s), Ok(e)) if e >= s => items.get(s..=e).unwrap_or_default(),
        _ => &[],
    };
    match opts.store {
        None => reply_items(srv, c, selected, &opts.gets),
        Some(dest) => store_items(srv, c, dest, selected, &opts.gets),
    }
    Ok(())
}

fn reply_items(srv: &mut Server, c: &mut Client, items: &[Item], gets: &[Pattern]) {
    let db = c.db;
    let mut buf = LookupBuf::default();
    c.reply.array(items.len() * gets.len().max(1));
    for item in items {
        if gets.is_empty() {
            c.reply.bulk(&item.elem);
        }
        for pattern in gets {
            // A `keymiss` comes where Redis meets the key, amid the reply.
            srv.pushes_after_reply(c);
            let value = lookup(srv, db, pattern, &item.elem, &mut buf);
            c.reply.bulk_opt(value);
        }
    }
}

/// STORE: the result replaces `dest` as a list; an empty one deletes it.
fn store_items(srv: &mut Server, c: &mut Client, dest: &[u8], items: &[Item], gets: &[Pattern]) {
    let db = c.db;
    let mut buf = LookupBuf::default();
    let mut list = List::new(srv.config.list_max_listpack_size);
    for item in items {
        if gets.is_empty() {
            list.push(End::Tail, &item.elem);
        }
        for pattern in gets {
            let value = lookup(srv, db, pattern, &item.elem, &mut buf);
            list.push(End::Tail, value.unwrap_or_default());
        }
    }
    let stored = list.len();
    // As Redis: the destination is replaced or deleted as it is stored.
    let mut w = srv.write_key_as_stored(db, dest);
    if stored > 0 {
        w.set(Value::List(Box::new(list)));
        w.changed(stored as u64, KeyEvent::list("sortstore"));
    } else if w.delete() {
        w.changed(1, DEL);
    }
    drop(w);
    c.reply.int(stored as i64);
}

/// SORT's keys: the sorted key and the last STORE destination, found by
/// skipping the arguments of LIMIT, GET and BY as Redis's `sortGetKeys`.
fn sort_keys(args: &Args) -> Vec<KeyRef> {
    let mut keys = vec![KeyRef {
        pos: 1,
        flags: ks::RO | ks::ACCESS,
    }];
    let mut store = None;
    let mut i = 2;
    while let Some(arg) = args.get(i) {
        if is_opt(arg, "limit") {
            i += 2;
        } else if is_opt(arg, "get") || is_opt(arg, "by") {
            i += 1;
        } else if is_opt(arg, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push(KeyRef {
            pos,
            flags: ks::OW | ks::UPDATE,
        });
    }
    keys
}

/// SORT_RO's only key is the sorted one.
fn sort_ro_keys(_args: &Args) -> Vec<KeyRef> {
    vec![KeyRef {
        pos: 1,
        flags: ks::RO | ks::ACCESS,
    }]
}

/// Key spec notes COMMAND INFO shows, as Redis words them.
const BY_GET_NOTES: &str = "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";
const STORE_NOTES: &str = "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array";

pub const COMMANDS: &[Command] = &[
    Command::new("sort", -2, sort)
        .flags(flag::WRITE | flag::DENYOOM | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::SET | acl::SORTEDSET | acl::LIST | acl::SLOW | acl::DANGEROUS)
        .keys(&[
            KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1),
            KeySpec::new(ks::RO | ks::ACCESS, Begin::Unknown, Find::Unknown).notes(BY_GET_NOTES),
            KeySpec::new(ks::OW | ks::UPDATE, Begin::Unknown, Find::Unknown).notes(STORE_NOTES),
        ])
        .key_finder(sort_keys)
        .doc("generic", "1.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sorts the elements of a list, set or sorted set, optionally storing the result."),
    Command::new("sort_ro", -2, sort_ro)
        .flags(flag::READONLY | flag::MOVABLE_KEYS)
        .acl(acl::READ | acl::SET | acl::SORTEDSET | acl::LIST | acl::SLOW | acl::DANGEROUS)
        .keys(&[
            KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1),
            KeySpec::new(ks::RO | ks::ACCESS, Begin::Unknown, Find::Unknown).notes(BY_GET_NOTES),
        ])
        .key_finder(sort_ro_keys)
        .doc("generic", "7.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sorts the elements of a list, set or sorted set (read-only variant of SORT)."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_like_redis() {
        assert_eq!(Pattern::parse(b"#"), Pattern::Element);
        assert_eq!(Pattern::parse(b"nosort"), Pattern::Constant);
        assert_eq!(
            Pattern::parse(b"w_*->f"),
            Pattern::Key {
                prefix: b"w_",
                suffix: b"",
                field: Some(b"f"),
            }
        );
        // A trailing `->` names no field: it is part of the key.
        assert_eq!(
            Pattern::parse(b"x:*->"),
            Pattern::Key {
                prefix: b"x:",
                suffix: b"->",
                field: None,
            }
        );
        // Only the first `*` is replaced.
        assert_eq!(
            Pattern::parse(b"a*b*"),
            Pattern::Key {
                prefix: b"a",
                suffix: b"b*",
                field: None,
            }
        );
        // Text after a NUL is never searched.
        assert_eq!(Pattern::parse(b"#\0x"), Pattern::Element);
        assert_eq!(Pattern::parse(b"k\0*"), Pattern::Constant);
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(limit_window(5, 0, -1), (0, 4));
        assert_eq!(limit_window(5, 1, 2), (1, 2));
        assert_eq!(limit_window(5, -10, 100), (0, 4));
        assert_eq!(limit_window(5, 5, 10), (4, 3));
        assert_eq!(limit_window(5, 0, 0), (0, -1));
        assert_eq!(limit_window(0, 0, -1), (-1, -2));
        assert_eq!(limit_window(3, 2, i64::MAX), (2, 2));
    }

    #[test]
    fn weights_parse_like_strtod() {
        assert_eq!(parse_weight(b""), Some(0.0));
        assert_eq!(parse_weight(b" 1.5"), Some(1.5));
        assert_eq!(parse_weight(b"2\0junk"), Some(2.0));
        assert_eq!(parse_weight(b"0x10"), Some(16.0));
        assert_eq!(parse_weight(b"1 "), None);
        assert_eq!(parse_weight(b" "), None);
        assert_eq!(parse_weight(b"nan"), None);
        assert_eq!(parse_weight(b"1e400"), None);
        assert_eq!(parse_weight(b"abc"), None);
    }
}
