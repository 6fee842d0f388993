//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO. They work on plain strings; the bit algorithms are in
//! `types::bitmap`, this module parses arguments and touches the keyspace
//! the way Redis does (including which errors win and when keys are created).

use super::strings::check_string_length;
use super::{int_arg, is_opt};
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeyRef, KeySpec};
use crate::server::write::{KeyEvent, KeyWrite, DEL};
use crate::server::Server;
use crate::types::bitmap::{self, BitOp, BitRange, FieldType, Overflow, RangeUnit};
use crate::types::{StrValue, Value};
use crate::util::{i64_to_bytes, parse_i64};
use std::borrow::Cow;

const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
const BITPOS_BIT: &str = "ERR The bit argument must be 1 or 0.";
const BITOP_NOT_ARITY: &str = "ERR BITOP NOT must be called with a single source key.";
const FIELD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const OVERFLOW_TYPE: &str = "ERR Invalid OVERFLOW type specified";
const BITFIELD_RO_WRITE: &str = "ERR BITFIELD_RO only supports the GET subcommand";

/// SETBIT and BITFIELD raise the same event.
const SETBIT: KeyEvent = KeyEvent::string("setbit");

/// An argument as C string functions see it: up to its first NUL byte.
/// Redis reads the keywords and field types of these commands with
/// `strcasecmp`/`strlen`, so `get\0junk` still means GET.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or_default()
}

fn keyword(arg: &[u8], name: &str) -> bool {
    is_opt(c_str(arg), name)
}

/// The value paired with the keyword `arg` names, if any.
fn choice<T: Copy>(arg: &[u8], table: &[(&str, T)]) -> Option<T> {
    table
        .iter()
        .find(|(name, _)| keyword(arg, name))
        .map(|&(_, value)| value)
}

/// Parses a bit offset: a non-negative integer whose byte lies below
/// proto-max-bulk-len. With `field_bits`, `#N` means field number N of
/// that width (multiplied without overflow checks, as Redis does).
fn bit_offset(arg: &[u8], field_bits: Option<u32>, max_len: u64) -> Result<u64, CmdError> {
    let (digits, scale) = match (arg.split_first(), field_bits) {
        (Some((b'#', rest)), Some(bits)) => (rest, i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits)
        .map(|n| n.wrapping_mul(scale))
        .and_then(|n| u64::try_from(n).ok())
        .ok_or(BIT_OFFSET)?;
    check_string_length(offset >> 3, 1, max_len).map_err(|_| BIT_OFFSET)?;
    Ok(offset)
}

/// `BIT` or `BYTE`, the unit of BITCOUNT and BITPOS ranges.
fn range_unit(arg: &[u8]) -> Result<RangeUnit, CmdError> {
    choice(arg, &[("bit", RangeUnit::Bit), ("byte", RangeUnit::Byte)])
        .ok_or_else(|| errors::SYNTAX.into())
}

fn with_bitmap_for_write<R>(
    w: &mut KeyWrite,
    len: usize,
    f: impl FnOnce(&mut [u8], bool) -> R,
) -> Result<R, CmdError> {
    if let Some(s) = w.existing::<StrValue>()? {
        let buf = s.make_raw();
        let grown = buf.len() < len;
        if grown {
            buf.resize(len, 0);
        }
        return Ok(f(buf, grown));
    }
    let mut buf = vec![0u8; len];
    let result = f(&mut buf, true);
    w.set(Value::Str(StrValue::raw(buf)));
    Ok(result)
}

pub fn setbit(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let offset = bit_offset(&args[2], None, srv.config.proto_max_bulk_len)?;
    let on = match parse_i64(&args[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(BIT_VALUE.into()),
    };
    let len = (offset >> 3) as usize + 1;
    let mut w = srv.write_key(c.db, &args[1]);
    let (old, modified) = with_bitmap_for_write(&mut w, len, |buf, grown| {
        let old = bitmap::get_bit(buf, offset);
        let modified = grown || old != on;
        if modified {
            bitmap::set_bit(buf, offset, on);
        }
        (old, modified)
    })?;
    if modified {
        w.changed(1, SETBIT);
    }
    c.reply.int(i64::from(old));
    Ok(())
}

pub fn getbit(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let offset = bit_offset(&args[2], None, srv.config.proto_max_bulk_len)?;
    let mut tmp = [0u8; 21];
    let bit = match srv.lookup_read(c.db, &args[1]) {
        None => false,
        Some(obj) => {
            let s = obj.value.as_str().ok_or(errors::WRONGTYPE)?;
            bitmap::get_bit(s.bytes(&mut tmp), offset)
        }
    };
    c.reply.int(i64::from(bit));
    Ok(())
}

pub fn bitcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut tmp = [0u8; 21];
    let Some(obj) = srv.lookup_read(c.db, &args[1]) else {
        c.reply.int(0);
        return Ok(());
    };
    let bytes = obj.value.as_str().ok_or(errors::WRONGTYPE)?.bytes(&mut tmp);
    let range = match args.len() {
        2 => BitRange::resolve(bytes.len(), 0, -1, RangeUnit::Byte),
        4 | 5 => {
            let start = int_arg(&args[2])?;
            let end = int_arg(&args[3])?;
            // Redis answers this case before it even looks at the unit.
            if start < 0 && end < 0 && start > end {
                c.reply.int(0);
                return Ok(());
            }
            let unit = match args.get(4) {
                Some(arg) => range_unit(arg)?,
                None => RangeUnit::Byte,
            };
            BitRange::resolve(bytes.len(), start, end, unit)
        }
        _ => return Err(errors::SYNTAX.into()),
    };
    let count = range.map_or(0, |r| bitmap::count_ones(bytes, r));
    c.reply.int(count as i64);
    Ok(())
}

pub fn bitpos(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let bit = match int_arg(&args[2])? {
        0 => false,
        1 => true,
        _ => return Err(BITPOS_BIT.into()),
    };
    let mut tmp = [0u8; 21];
    let Some(obj) = srv.lookup_read(c.db, &args[1]) else {
        // A missing key is an endless run of clear bits.
        c.reply.int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let bytes = obj.value.as_str().ok_or(errors::WRONGTYPE)?.bytes(&mut tmp);
    let (range, end_given) = match args.len() {
        3 => (
            BitRange::resolve(bytes.len(), 0, -1, RangeUnit::Byte),
            false,
        ),
        4..=6 => {
            let start = int_arg(&args[3])?;
            let unit = match args.get(5) {
                Some(arg) => range_unit(arg)?,
                None => RangeUnit::Byte,
            };
            let end = args.get(4).map(int_arg).transpose()?;
            let range = BitRange::resolve(bytes.len(), start, end.unwrap_or(-1), unit);
            (range, end.is_some())
        }
        _ => return Err(errors::SYNTAX.into()),
    };
    let pos = match range {
        None => -1,
        Some(r) => match bitmap::find_bit(bytes, r, bit) {
            Some(pos) => pos as i64,
            // Without an explicit end the string counts as followed by
            // clear bits, so the first one past the range is the answer.
            None if !bit && !end_given => r.last as i64 + 1,
            None => -1,
        },
    };
    c.reply.int(pos);
    Ok(())
}

const BIT_OPS: &[(&str, BitOp)] = &[
    ("and", BitOp::And),
    ("or", BitOp::Or),
    ("xor", BitOp::Xor),
    ("not", BitOp::Not),
];

pub fn bitop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let op = choice(&args[1], BIT_OPS).ok_or(errors::SYNTAX)?;
    if op == BitOp::Not && args.len() != 4 {
        return Err(BITOP_NOT_ARITY.into());
    }
    let db = c.db;
    let sources = args.tail(3);
    // First every lookup, in order, for expiry, stats and the type check;
    // then the values themselves, borrowed all at once.
    for key in sources.iter() {
        if let Some(obj) = srv.lookup_read(db, key) {
            obj.value.as_str().ok_or(errors::WRONGTYPE)?;
        }
    }
    let result = {
        let keys = srv.dbs.get(db);
        let inputs: Vec<Cow<[u8]>> = sources
            .iter()
            .map(
                |key| match keys.and_then(|d| d.get(key)).and_then(|o| o.value.as_str()) {
                    Some(StrValue::Int(n)) => Cow::Owned(i64_to_bytes(*n)),
                    Some(s) => Cow::Borrowed(s.text().unwrap_or_default()),
                    None => Cow::Borrowed(&b""[..]),
                },
            )
            .collect();
        let inputs: Vec<&[u8]> = inputs.iter().map(|s| &s[..]).collect();
        bitmap::combine(op, &inputs)
    };
    let dest = &args[2];
    let len = result.len();
    // Redis stores or deletes the destination without an expiry check.
    let mut w = srv.write_key_as_stored(db, dest);
    if len > 0 {
        w.set(Value::Str(StrValue::raw(result)));
        w.changed(1, KeyEvent::string("set"));
    } else if w.delete() {
        w.changed(1, DEL);
    }
    c.reply.int(len as i64);
    Ok(())
}

/// The BITFIELD subcommands that name a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Get,
    Set,
    IncrBy,
}

const FIELD_KINDS: &[(&str, FieldKind)] = &[
    ("get", FieldKind::Get),
    ("set", FieldKind::Set),
    ("incrby", FieldKind::IncrBy),
];

/// What one BITFIELD operation does.
#[derive(Debug, Clone, Copy)]
enum FieldAction {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One parsed BITFIELD operation, with the OVERFLOW mode in force for it.
#[derive(Debug, Clone, Copy)]
struct FieldOp {
    action: FieldAction,
    ty: FieldType,
    offset: u64,
    overflow: Overflow,
}

impl FieldOp {
    /// One past the last bit a SET or INCRBY writes; `None` for GET.
    fn write_end(&self) -> Option<u64> {
        match self.action {
            FieldAction::Get => None,
            _ => Some(self.offset + u64::from(self.ty.bits)),
        }
    }
}

const OVERFLOW_MODES: &[(&str, Overflow)] = &[
    ("wrap", Overflow::Wrap),
    ("sat", Overflow::Sat),
    ("fail", Overflow::Fail),
];

/// Parses every BITFIELD operation before any runs: the first bad argument
/// fails the whole command.
fn parse_field_ops(args: &Args, max_len: u64) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::with_capacity((args.len() - 2) / 3);
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let sub = &args[j];
        let remaining = args.len() - j - 1;
        let kind = if let Some(kind) = choice(sub, FIELD_KINDS) {
            kind
        } else if keyword(sub, "overflow") && remaining >= 1 {
            overflow = choice(&args[j + 1], OVERFLOW_MODES).ok_or(OVERFLOW_TYPE)?;
            j += 2;
            continue;
        } else {
            return Err(errors::SYNTAX.into());
        };
        let needs = if kind == FieldKind::Get { 2 } else { 3 };
        if remaining < needs {
            return Err(errors::SYNTAX.into());
        }
        let ty = FieldType::parse(c_str(&args[j + 1])).ok_or(FIELD_TYPE)?;
        let offset = bit_offset(&args[j + 2], Some(ty.bits), max_len)?;
        let action = match kind {
            FieldKind::Get => FieldAction::Get,
            FieldKind::Set => FieldAction::Set(int_arg(&args[j + 3])?),
            FieldKind::IncrBy => FieldAction::IncrBy(int_arg(&args[j + 3])?),
        };
        ops.push(FieldOp {
            action,
            ty,
            offset,
            overflow,
        });
        j += 1 + needs;
    }
    Ok(ops)
}

/// Runs one operation on `buf`, replying with its result. True if it
/// counts as a change (it wrote a different value, or the string was
/// created or grown for this command).
fn apply_field_op(c: &mut Client, buf: &mut [u8], op: &FieldOp, grown: bool) -> bool {
    let old = op.ty.read(buf, op.offset);
    let (value, incr) = match op.action {
        FieldAction::Get => {
            c.reply.int(old);
            return false;
        }
        FieldAction::Set(v) => (v, 0),
        FieldAction::IncrBy(delta) => (old, delta),
    };
    let Some(new) = op.ty.fit(value, incr, op.overflow) else {
        c.reply.null();
        return false;
    };
    op.ty.write(buf, op.offset, new);
    c.reply.int(match op.action {
        FieldAction::Set(_) => old,
        _ => new,
    });
    grown || old != new
}

fn bitfield_generic(srv: &mut Server, c: &mut Client, args: &Args, read_only: bool) -> CmdResult {
    let ops = parse_field_ops(args, srv.config.proto_max_bulk_len)?;
    let db = c.db;
    let key = &args[1];
    let Some(write_end) = ops.iter().filter_map(FieldOp::write_end).max() else {
        return bitfield_get_only(srv, c, key, &ops);
    };
    if read_only {
        return Err(BITFIELD_RO_WRITE.into());
    }
    let len = ((write_end - 1) >> 3) as usize + 1;
    let mut w = srv.write_key(db, key);
    let changes = with_bitmap_for_write(&mut w, len, |buf, grown| {
        c.reply.array(ops.len());
        let mut changes = 0;
        for op in &ops {
            changes += u64::from(apply_field_op(c, buf, op, grown));
        }
        changes
    })?;
    w.pushes_after_reply(c);
    if changes > 0 {
        w.changed(changes, SETBIT);
    } else {
        // A key created for operations that all failed stays, eventless.
        w.raises_no_event();
    }
    Ok(())
}

/// BITFIELD with GETs only: a plain read that never creates the key.
fn bitfield_get_only(srv: &mut Server, c: &mut Client, key: &[u8], ops: &[FieldOp]) -> CmdResult {
    let mut tmp = [0u8; 21];
    let bytes: &[u8] = match srv.lookup_read(c.db, key) {
        None => b"",
        Some(obj) => obj.value.as_str().ok_or(errors::WRONGTYPE)?.bytes(&mut tmp),
    };
    c.reply.array(ops.len());
    for op in ops {
        c.reply.int(op.ty.read(bytes, op.offset));
    }
    Ok(())
}

pub fn bitfield(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    bitfield_generic(srv, c, args, false)
}

pub fn bitfield_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    bitfield_generic(srv, c, args, true)
}

/// The bitmap family's command table.
/// BITFIELD's key and its flags, as Redis's `bitfieldGetKeys`: only read
/// when every operation before the first write is a GET (or OVERFLOW);
/// anything it does not understand counts as a write.
fn bitfield_keys(args: &Args) -> Vec<KeyRef> {
    let mut readonly = true;
    let mut i = 2;
    while let Some(arg) = args.get(i) {
        let left = args.len() - i - 1;
        if is_opt(arg, "get") && left >= 2 {
            i += 3;
        } else if is_opt(arg, "overflow") && left >= 1 {
            i += 2;
        } else {
            readonly = false;
            break;
        }
    }
    let flags = if readonly {
        ks::RO | ks::ACCESS
    } else {
        ks::RW | ks::ACCESS | ks::UPDATE
    };
    vec![KeyRef { pos: 1, flags }]
}

pub const COMMANDS: &[Command] = &[
    Command::new("setbit", 4, setbit)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS | ks::UPDATE, 1, 0, 1)])
        .doc(
            "bitmap",
            "2.2.0",
            "O(1)",
            "Sets or clears one bit of a string, growing it as needed; returns the old bit.",
        ),
    Command::new("getbit", 3, getbit)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::BITMAP | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc("bitmap", "2.2.0", "O(1)", "Returns one bit of a string."),
    Command::new("bitcount", -2, bitcount)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc(
            "bitmap",
            "2.6.0",
            "O(N)",
            "Counts the set bits of a string, optionally within a byte or bit range.",
        ),
    Command::new("bitpos", -3, bitpos)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc(
            "bitmap",
            "2.8.7",
            "O(N)",
            "Finds the first set or clear bit of a string, optionally within a range.",
        ),
    Command::new("bitop", -4, bitop)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::BITMAP | acl::SLOW)
        .keys(&[
            KeySpec::range(ks::OW | ks::UPDATE, 2, 0, 1),
            KeySpec::range(ks::RO | ks::ACCESS, 3, -1, 1),
        ])
        .doc(
            "bitmap",
            "2.6.0",
            "O(N)",
            "Stores the bitwise AND, OR, XOR or NOT of strings in a key.",
        ),
    Command::new("bitfield", -2, bitfield)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::BITMAP | acl::SLOW)
        .keys(&[KeySpec::range(
            ks::RW | ks::ACCESS | ks::UPDATE | ks::VARIABLE_FLAGS,
            1,
            0,
            1,
        )
        .notes("This command allows both access and modification of the key")])
        .key_finder(bitfield_keys)
        .doc(
            "bitmap",
            "3.2.0",
            "O(1) for each subcommand specified",
            "Reads, writes and increments integers of any width at any bit offset of a string.",
        ),
    Command::new("bitfield_ro", -2, bitfield_ro)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::READ | acl::BITMAP | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc(
            "bitmap",
            "6.0.0",
            "O(1) for each subcommand specified",
            "Reads integers of any width at any bit offset of a string.",
        ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::server::spec::{Handler, OwnedArgs};

    #[test]
    fn bitfield_key_is_read_only_for_gets() {
        let flags = |line: &str| {
            let words: Vec<&str> = line.split(' ').collect();
            bitfield_keys(&OwnedArgs::from_slices(&words).args())[0].flags
        };
        assert_eq!(flags("bitfield k get u4 0"), ks::RO | ks::ACCESS);
        assert_eq!(
            flags("bitfield k overflow sat get u4 0"),
            ks::RO | ks::ACCESS
        );
        assert_eq!(flags("bitfield k"), ks::RO | ks::ACCESS);
        let write = ks::RW | ks::ACCESS | ks::UPDATE;
        assert_eq!(flags("bitfield k get u4 0 set u4 0 1"), write);
        assert_eq!(flags("bitfield k incrby u4 0 1"), write);
        assert_eq!(flags("bitfield k get u4"), write);
    }

    fn server() -> (Server, Client) {
        let mut config = Config::default();
        config.set_internal("port", "0").expect("port 0");
        let srv = Server::new(config, crate::commands::TABLES, crate::commands::FEATURES)
            .expect("server");
        let c = Client::new(1, 0, None, crate::util::now_ms());
        (srv, c)
    }

    /// Runs `line` and returns how much it added to the dirty counter.
    fn dirt(srv: &mut Server, c: &mut Client, handler: Handler, line: &str) -> u64 {
        let words: Vec<&str> = line.split(' ').collect();
        let owned = OwnedArgs::from_slices(&words);
        let before = srv.dirty;
        handler(srv, c, &owned.args()).expect(line);
        srv.dirty - before
    }

    #[test]
    fn setbit_and_bitfield_dirty_only_on_change() {
        let (mut srv, mut c) = server();
        let (s, c) = (&mut srv, &mut c);
        // Creating a key always counts, even with a clear bit.
        assert_eq!(dirt(s, c, setbit, "setbit foo 0 0"), 1);
        assert_eq!(dirt(s, c, bitfield, "bitfield foo2 set i5 0 0"), 1);
        assert_eq!(dirt(s, c, setbit, "setbit foo 0 0"), 0);
        assert_eq!(dirt(s, c, bitfield, "bitfield foo2 set i5 0 0"), 0);
        for (line, want) in [
            ("setbit foo 0 1", 1),
            ("setbit foo 0 1", 0),
            ("setbit foo 0 0", 1),
        ] {
            assert_eq!(dirt(s, c, setbit, line), want, "{}", line);
        }
        for (line, want) in [("set i5 0 1", 1), ("set i5 0 1", 0), ("set i5 0 0", 1)] {
            assert_eq!(
                dirt(s, c, bitfield, &format!("bitfield foo2 {}", line)),
                want
            );
        }
        assert_eq!(dirt(s, c, bitfield, "bitfield foo3 incrby i5 0 1"), 1);
        assert_eq!(dirt(s, c, bitfield, "bitfield foo3 incrby i5 0 1"), 1);
        assert_eq!(dirt(s, c, bitfield, "bitfield foo3 incrby i5 0 0"), 0);
        // Growing the string counts even when the bits stay clear.
        assert_eq!(dirt(s, c, setbit, "setbit foo 90 0"), 1);
        assert_eq!(dirt(s, c, bitfield, "bitfield foo2 set i5 90 0"), 1);
        // One count per changed field; none for failed or read-only ones.
        let line = "bitfield foo2 set u8 0 1 set u8 8 1 get u8 0 overflow fail incrby u8 0 255";
        assert_eq!(dirt(s, c, bitfield, line), 2);
        assert_eq!(
            dirt(s, c, bitfield, "bitfield new overflow fail incrby u2 0 9"),
            0
        );
        assert_eq!(dirt(s, c, bitfield_ro, "bitfield_ro foo2 get u8 0"), 0);
    }

    #[test]
    fn bitop_dirties_its_destination() {
        let (mut srv, mut c) = server();
        let (s, c) = (&mut srv, &mut c);
        assert_eq!(dirt(s, c, setbit, "setbit a 0 1"), 1);
        assert_eq!(dirt(s, c, bitop, "bitop or d a"), 1);
        assert_eq!(dirt(s, c, bitop, "bitop or d a"), 1);
        assert_eq!(dirt(s, c, bitop, "bitop and d nokey"), 1);
        assert_eq!(dirt(s, c, bitop, "bitop and d nokey"), 0);
    }
}
