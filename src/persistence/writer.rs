//! The RDB writer: serializes neutral values, keys and the file framing
//! (header, aux fields, database selectors, EOF and checksum) exactly as
//! Redis 7.0 does, onto any `io::Write`.
//!
//! Strings get Redis's three forms: a small integer in 1-5 bytes, LZF
//! when `rdbcompression` is on and it saves at least four bytes, or raw.
//! Collections use the encoding their neutral value names (listpack,
//! intset) or the plain form; lists are written as quicklist nodes split
//! the way consecutive RPUSHes split them.

use super::codec::intset;
use super::format::{self, enc, kind, op, CONTAINER_PACKED, CONTAINER_PLAIN, RDB_VERSION};
use super::lzf::Compressor;
use super::value::{Limits, RdbValue, StreamValue, ValueRef};
use crate::types::listpack::Listpack;
use crate::types::StrValue;
use std::io::{self, Write};

/// How values are written.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// LZF-compress long strings (`rdbcompression`).
    pub compression: bool,
    /// Compute the CRC64 trailer (`rdbchecksum`); zero when off.
    pub checksum: bool,
    pub limits: Limits,
}

impl Default for WriteOptions {
    /// Redis's defaults: compression and checksum on, default thresholds.
    fn default() -> Self {
        WriteOptions {
            compression: true,
            checksum: true,
            limits: Limits::default(),
        }
    }
}

/// Access information saved before a key (`IDLE` under an LRU policy,
/// `FREQ` under an LFU one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    None,
    IdleSeconds(u64),
    Freq(u8),
}

/// Elements at least this long get a quicklist node of their own.
const PLAIN_NODE_THRESHOLD: usize = 1 << 30;
/// Node size limits for `list-max-listpack-size` -1 to -5.
const LIST_NODE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// A node never grows past this with a positive (count) fill.
const LIST_NODE_SAFETY_LIMIT: usize = 8192;
/// Per-element overhead Redis assumes when sizing nodes.
const LIST_SIZE_ESTIMATE_OVERHEAD: usize = 8;

pub struct Writer<W: Write> {
    out: W,
    crc: u64,
    opts: WriteOptions,
    lzf: Compressor,
    written: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, opts: WriteOptions) -> Self {
        Writer {
            out,
            crc: 0,
            opts,
            lzf: Compressor::default(),
            written: 0,
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.opts.checksum {
            self.crc = format::crc64(self.crc, bytes);
        }
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    fn byte(&mut self, b: u8) -> io::Result<()> {
        self.raw(&[b])
    }

    /// A length in 1, 2, 5 or 9 bytes.
    pub fn len(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.byte(n as u8)
        } else if n < 1 << 14 {
            self.raw(&[0x40 | (n >> 8) as u8, n as u8])
        } else if let Ok(n32) = u32::try_from(n) {
            self.byte(0x80)?;
            self.raw(&n32.to_be_bytes())
        } else {
            self.byte(0x81)?;
            self.raw(&n.to_be_bytes())
        }
    }

    /// Writes `v` in the integer encodings if it fits 32 bits.
    fn encoded_int(&mut self, v: i64) -> io::Result<bool> {
        if let Ok(b) = i8::try_from(v) {
            self.raw(&[0xC0 | enc::INT8, b as u8])?;
        } else if let Ok(h) = i16::try_from(v) {
            let b = h.to_le_bytes();
            self.raw(&[0xC0 | enc::INT16, b[0], b[1]])?;
        } else if let Ok(w) = i32::try_from(v) {
            let b = w.to_le_bytes();
            self.raw(&[0xC0 | enc::INT32, b[0], b[1], b[2], b[3]])?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// A string: integer form, LZF, or length and bytes (`rdbSaveRawString`).
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(v) = crate::util::parse_i64(s) {
                if self.encoded_int(v)? {
                    return Ok(());
                }
            }
        }
        if self.opts.compression && s.len() > 20 && self.lzf_string(s)? {
            return Ok(());
        }
        self.len(s.len() as u64)?;
        self.raw(s)
    }

    /// Writes `s` LZF-compressed if that saves more than four bytes.
    fn lzf_string(&mut self, s: &[u8]) -> io::Result<bool> {
        let Some(packed) = self.lzf.compress(s, s.len() - 4) else {
            return Ok(false);
        };
        self.byte(0xC0 | enc::LZF)?;
        self.len(packed.len() as u64)?;
        self.len(s.len() as u64)?;
        self.raw(&packed)?;
        Ok(true)
    }

    /// An integer as a string object (`rdbSaveLongLongAsStringObject`).
    pub fn int_string(&mut self, v: i64) -> io::Result<()> {
        if self.encoded_int(v)? {
            return Ok(());
        }
        let mut buf = [0u8; 21];
        let text = crate::util::i64_text(&mut buf, v);
        self.len(text.len() as u64)?;
        self.raw(text)
    }

    fn str_value(&mut self, s: &StrValue) -> io::Result<()> {
        match s {
            StrValue::Int(n) => self.int_string(*n),
            _ => self.string(s.text().unwrap_or_default()),
        }
    }

    fn ms_time(&mut self, ms: i64) -> io::Result<()> {
        self.raw(&ms.to_le_bytes())
    }

    /// The file signature `REDIS0010`.
    pub fn header(&mut self) -> io::Result<()> {
        self.raw(format!("REDIS{:04}", RDB_VERSION).as_bytes())
    }

    pub fn aux(&mut self, key: &str, value: &[u8]) -> io::Result<()> {
        self.byte(op::AUX)?;
        self.string(key.as_bytes())?;
        self.string(value)
    }

    pub fn aux_int(&mut self, key: &str, value: i64) -> io::Result<()> {
        self.aux(key, &crate::util::i64_to_bytes(value))
    }

    pub fn select_db(&mut self, db: usize) -> io::Result<()> {
        self.byte(op::SELECTDB)?;
        self.len(db as u64)
    }

    pub fn resize_db(&mut self, keys: usize, expires: usize) -> io::Result<()> {
        self.byte(op::RESIZEDB)?;
        self.len(keys as u64)?;
        self.len(expires as u64)
    }

    /// A key with its expiry, access information, type and value.
    pub fn key(
        &mut self,
        key: &[u8],
        value: &ValueRef,
        expire_ms: Option<i64>,
        access: Access,
    ) -> io::Result<()> {
        if let Some(when) = expire_ms {
            self.byte(op::EXPIRETIME_MS)?;
            self.ms_time(when)?;
        }
        match access {
            Access::None => {}
            Access::IdleSeconds(s) => {
                self.byte(op::IDLE)?;
                self.len(s)?;
            }
            Access::Freq(f) => self.raw(&[op::FREQ, f])?,
        }
        self.byte(self.type_of(value))?;
        self.string(key)?;
        self.value(value)
    }

    /// A function library's record: its code (with its shebang line).
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.byte(op::FUNCTION2)?;
        self.string(code)
    }

    /// The EOF opcode and the checksum; hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.byte(op::EOF)?;
        let crc = self.crc;
        self.raw(&crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The type byte Redis writes for a value (`rdbSaveObjectType`).
    pub fn type_of(&self, value: &ValueRef) -> u8 {
        match value {
            ValueRef::Str(_) => kind::STRING,
            ValueRef::Neutral(v) => match v {
                RdbValue::Str(_) => kind::STRING,
                RdbValue::List(_) => kind::LIST_QUICKLIST_2,
                RdbValue::Set { members, intset } => match sorted_ints(members, *intset) {
                    Some(_) => kind::SET_INTSET,
                    None => kind::SET,
                },
                RdbValue::Hash { listpack: true, .. } => kind::HASH_LISTPACK,
                RdbValue::Hash { .. } => kind::HASH,
                RdbValue::ZSet { listpack: true, .. } => kind::ZSET_LISTPACK,
                RdbValue::ZSet { .. } => kind::ZSET_2,
                RdbValue::Stream(_) => kind::STREAM_LISTPACKS_2,
            },
        }
    }

    /// The value's serialization (`rdbSaveObject`), without the type.
    pub fn value(&mut self, value: &ValueRef) -> io::Result<()> {
        match value {
            ValueRef::Str(s) => self.str_value(s),
            ValueRef::Neutral(v) => self.neutral(v),
        }
    }

    fn neutral(&mut self, v: &RdbValue) -> io::Result<()> {
        match v {
            RdbValue::Str(s) => self.str_value(s),
            RdbValue::List(items) => self.list(items),
            RdbValue::Set { members, intset } => match sorted_ints(members, *intset) {
                Some(ints) => self.string(&intset::encode(&ints)),
                None => {
                    self.len(members.len() as u64)?;
                    members.iter().try_for_each(|m| self.string(m))
                }
            },
            RdbValue::Hash { pairs, listpack } => {
                if *listpack {
                    let mut lp = Listpack::new();
                    for (f, v) in pairs {
                        lp.push(f);
                        lp.push(v);
                    }
                    self.string(&lp.to_bytes())
                } else {
                    self.len(pairs.len() as u64)?;
                    pairs.iter().try_for_each(|(f, v)| {
                        self.string(f)?;
                        self.string(v)
                    })
                }
            }
            RdbValue::ZSet { members, listpack } => self.zset(members, *listpack),
            RdbValue::Stream(s) => self.stream(s),
        }
    }

    /// A quicklist: listpack nodes filled like consecutive RPUSHes.
    fn list(&mut self, items: &[Vec<u8>]) -> io::Result<()> {
        let fill = self
            .opts
            .limits
            .list_max_listpack_size
            .clamp(-5, (1 << 15) - 1);
        let mut nodes: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut node: Option<Listpack> = None;
        for item in items {
            if item.len() >= PLAIN_NODE_THRESHOLD {
                nodes.extend(node.take().map(|n| (CONTAINER_PACKED, n.to_bytes())));
                nodes.push((CONTAINER_PLAIN, item.clone()));
                continue;
            }
            if let Some(n) = node.take() {
                if node_allows(&n, fill, item.len()) {
                    node = Some(n);
                } else {
                    nodes.push((CONTAINER_PACKED, n.to_bytes()));
                }
            }
            node.get_or_insert_with(Listpack::new).push(item);
        }
        nodes.extend(node.map(|n| (CONTAINER_PACKED, n.to_bytes())));
        self.len(nodes.len() as u64)?;
        for (container, bytes) in &nodes {
            self.len(*container)?;
            self.string(bytes)?;
        }
        Ok(())
    }

    fn zset(&mut self, members: &[(Vec<u8>, f64)], as_listpack: bool) -> io::Result<()> {
        if as_listpack {
            let mut lp = Listpack::new();
            for (m, score) in members {
                lp.push(m);
                match double_as_i64(*score) {
                    Some(n) => lp.push_int(n),
                    None => lp.push(crate::util::format_double_g17(*score).as_bytes()),
                }
            }
            return self.string(&lp.to_bytes());
        }
        self.len(members.len() as u64)?;
        for (m, score) in members.iter().rev() {
            self.string(m)?;
            self.raw(&score.to_le_bytes())?;
        }
        Ok(())
    }

    /// A stream as `STREAM_LISTPACKS_2`: nodes, metadata, groups.
    fn stream(&mut self, s: &StreamValue) -> io::Result<()> {
        self.len(s.nodes.len() as u64)?;
        for node in &s.nodes {
            self.string(&node.master.to_be_bytes())?;
            self.string(&node.listpack)?;
        }
        for n in [
            s.length,
            s.last_id.ms,
            s.last_id.seq,
            s.first_id.ms,
            s.first_id.seq,
            s.max_deleted_id.ms,
            s.max_deleted_id.seq,
            s.entries_added,
        ] {
            self.len(n)?;
        }
        self.len(s.groups.len() as u64)?;
        for g in &s.groups {
            self.string(&g.name)?;
            self.len(g.last_id.ms)?;
            self.len(g.last_id.seq)?;
            self.len(g.entries_read.unwrap_or(-1) as u64)?;
            self.len(g.pending.len() as u64)?;
            for p in &g.pending {
                self.raw(&p.id.to_be_bytes())?;
                self.ms_time(p.delivery_time_ms)?;
                self.len(p.delivery_count)?;
            }
            self.len(g.consumers.len() as u64)?;
            for c in &g.consumers {
                self.string(&c.name)?;
                self.ms_time(c.seen_time_ms)?;
                self.len(c.pending.len() as u64)?;
                for id in &c.pending {
                    self.raw(&id.to_be_bytes())?;
                }
            }
        }
        Ok(())
    }
}

/// Whether a quicklist node may take one more element of `size` bytes
/// (Redis's `_quicklistNodeAllowInsert`).
fn node_allows(node: &Listpack, fill: i64, size: usize) -> bool {
    let new_size = node.total_bytes() + size + LIST_SIZE_ESTIMATE_OVERHEAD;
    if fill < 0 {
        let level = LIST_NODE_LEVELS[(-fill - 1) as usize];
        return new_size <= level;
    }
    new_size <= LIST_NODE_SAFETY_LIMIT && (node.len() as i64) < fill
}

/// The members as sorted integers when the set is to be an intset and
/// every member is an integer.
fn sorted_ints(members: &[Vec<u8>], intset: bool) -> Option<Vec<i64>> {
    if !intset || members.is_empty() {
        return None;
    }
    let mut ints = members
        .iter()
        .map(|m| crate::util::parse_i64(m))
        .collect::<Option<Vec<i64>>>()?;
    ints.sort_unstable();
    Some(ints)
}

/// The integer a double holds exactly, within the range Redis stores
/// scores as integers (`double2ll`).
pub fn double_as_i64(d: f64) -> Option<i64> {
    const HALF: f64 = (i64::MAX / 2) as f64;
    if !(-HALF..=HALF).contains(&d) {
        return None;
    }
    let n = d as i64;
    (n as f64 == d).then_some(n)
}

/// A DUMP payload: type, value, RDB version and CRC64 (all little endian).
pub fn dump_payload(value: &ValueRef, opts: WriteOptions) -> Vec<u8> {
    let opts = WriteOptions {
        checksum: false,
        ..opts
    };
    let mut w = Writer::new(Vec::new(), opts);
    let kind = w.type_of(value);
    // Writing to a Vec cannot fail.
    let _ = w.byte(kind).and_then(|_| w.value(value));
    let mut out = w.out;
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = format::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// FUNCTION DUMP's payload: a function record per library, then the RDB
/// version and CRC64 as in a DUMP payload.
pub fn functions_payload<'a>(codes: impl Iterator<Item = &'a [u8]>, opts: WriteOptions) -> Vec<u8> {
    let opts = WriteOptions {
        checksum: false,
        ..opts
    };
    let mut w = Writer::new(Vec::new(), opts);
    for code in codes {
        // Writing to a Vec cannot fail.
        let _ = w.function(code);
    }
    let mut out = w.out;
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = format::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Bytes the value takes in an RDB file (DEBUG OBJECT `serializedlength`).
pub fn serialized_len(value: &ValueRef, opts: WriteOptions) -> u64 {
    let mut w = Writer::new(io::sink(), opts);
    let _ = w.value(value);
    w.written()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> WriteOptions {
        WriteOptions::default()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{:02x}", x)).collect()
    }

    fn dump(v: RdbValue) -> String {
        hex(&dump_payload(&ValueRef::Neutral(v), opts()))
    }

    fn bytes(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn dump_payloads_equal_redis() {
        // Payloads DUMP returned on Redis 7.0.15 for the same values.
        let s = StrValue::from_bytes(&[b'a'; 100]);
        assert_eq!(
            hex(&dump_payload(&ValueRef::Str(&s), opts())),
            "00c3094064016161e057000161610a00e8a3b507b06df271"
        );
        let pairs = vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"2".to_vec()),
        ];
        assert_eq!(
            dump(RdbValue::Hash {
                pairs,
                listpack: true
            }),
            "101111000000040081610201018162020201ff0a003e40636c8f5d769a"
        );
        assert_eq!(
            dump(RdbValue::Set {
                members: bytes(&["2", "1"]),
                intset: true
            }),
            "0b0c0200000002000000010002000a006f7938b134eb202e"
        );
        let members = vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 1.5)];
        assert_eq!(
            dump(RdbValue::ZSet {
                members,
                listpack: true
            }),
            "1114140000000400816102010181620283312e3504ff0a00c27c6981dda22270"
        );
        assert_eq!(
            dump(RdbValue::List(bytes(&["a", "1"]))),
            "1201020c0c00000002008161020101ff0a0094962b23ac17aa85"
        );
    }

    #[test]
    fn lengths_use_every_width() {
        let mut w = Writer::new(Vec::new(), opts());
        for n in [5u64, 300, 70_000, 1 << 40] {
            w.len(n).expect("vec write");
        }
        assert_eq!(hex(&w.out), "05412c8000011170810000010000000000");
    }

    #[test]
    fn strings_take_integer_raw_and_lzf_forms() {
        let mut w = Writer::new(Vec::new(), opts());
        for s in [&b"-5"[..], b"300", b"100000", b"12345678901", b"007", b"ab"] {
            w.string(s).expect("vec write");
        }
        assert_eq!(
            hex(&w.out),
            "c0fbc12c01c2a08601000b3132333435363738393031033030370261 62".replace(' ', "")
        );
    }

    #[test]
    fn list_nodes_split_at_the_size_limit() {
        let items: Vec<Vec<u8>> = (0..2000)
            .map(|i| format!("element-{}", i).into_bytes())
            .collect();
        let mut w = Writer::new(Vec::new(), opts());
        w.list(&items).expect("vec write");
        // 8KB nodes hold about 500 such elements each.
        assert!(w.out[0] >= 3 && w.out[0] <= 6, "nodes: {}", w.out[0]);
    }

    #[test]
    fn scores_that_are_integers_are_stored_as_integers() {
        assert_eq!(double_as_i64(3.0), Some(3));
        assert_eq!(double_as_i64(-0.0), Some(0));
        assert_eq!(double_as_i64(1.5), None);
        assert_eq!(double_as_i64(f64::INFINITY), None);
        assert_eq!(double_as_i64(1e300), None);
    }
}
