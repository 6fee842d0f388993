//! The RDB reader: parses files and DUMP payloads of every RDB version up
//! to 11 (Redis 7.2) into neutral values, validating as it goes.
//!
//! Nothing here trusts the input: lengths are checked against the bytes
//! actually present before anything is allocated for them, compact
//! encodings are fully decoded and checked, duplicates in sets, hashes and
//! sorted sets are refused. Any problem is an [`RdbError`], never a panic.

use super::codec::Corrupt;
use super::decode::parse_score;
use super::format::{self, enc, kind, op, RDB_VERSION_MAX_READ};
use super::lzf;
use super::value::RdbValue;
use crate::types::StrValue;
use std::fmt;
use std::io::{self, Read};

/// Why a file or payload could not be read.
#[derive(Debug)]
pub enum RdbError {
    /// The input ended early (a truncated file or payload).
    Eof,
    Io(io::Error),
    /// The file does not start with `REDIS`.
    Signature,
    /// The version number is newer than reddish understands.
    Version(u32),
    /// The content is invalid; the text says what Redis would say.
    Corrupt(String),
    /// The trailer does not match the content.
    Checksum {
        expected: u64,
        got: u64,
    },
    /// Module data reddish cannot load.
    Module(String),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Eof => write!(f, "Unexpected EOF reading RDB file"),
            RdbError::Io(e) => write!(f, "{}", e),
            RdbError::Signature => write!(f, "Wrong signature trying to load DB from file"),
            RdbError::Version(v) => write!(f, "Can't handle RDB format version {}", v),
            RdbError::Corrupt(m) => write!(f, "{}", m),
            RdbError::Checksum { expected, got } => write!(
                f,
                "Wrong RDB checksum expected: ({:x}) but got ({:x})",
                expected, got
            ),
            RdbError::Module(m) => write!(f, "{}", m),
        }
    }
}

impl From<io::Error> for RdbError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            RdbError::Eof
        } else {
            RdbError::Io(e)
        }
    }
}

pub(super) fn corrupt(msg: &str) -> RdbError {
    RdbError::Corrupt(msg.to_string())
}

/// Maps a codec failure to the message Redis logs for that encoding.
pub(super) fn check<T>(r: Result<T, Corrupt>, msg: &str) -> Result<T, RdbError> {
    r.map_err(|_| corrupt(msg))
}

/// One thing read from a file.
#[derive(Debug)]
pub enum Item {
    Aux(Vec<u8>, Vec<u8>),
    SelectDb(u64),
    ResizeDb(u64, u64),
    /// A function library's code (`FUNCTION2`, or the pre-GA form
    /// converted to it).
    Function(Vec<u8>),
    Key(Entry),
    /// A key whose collection was empty (Redis skips those with a warning).
    EmptyKey(Vec<u8>),
    Eof,
}

/// A key with what preceded it in the file.
#[derive(Debug)]
pub struct Entry {
    pub key: Vec<u8>,
    pub value: RdbValue,
    pub expire_ms: Option<i64>,
    pub idle_seconds: Option<u64>,
    pub freq: Option<u8>,
}

/// Where a read string goes: a reddish string, or plain bytes.
enum Collected {
    Int(i64),
    Bytes(Vec<u8>),
}

impl Collected {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Collected::Int(n) => crate::util::i64_to_bytes(n),
            Collected::Bytes(b) => b,
        }
    }
}

/// Largest ratio of decompressed to compressed size LZF can produce.
const LZF_MAX_RATIO: u64 = 100;

/// Read-ahead of a file reader.
const FILE_BUFFER: usize = 1 << 16;

/// Reads RDB data from any `io::Read` through its own buffer. The CRC64
/// is computed over consumed bytes in batches (when the buffer is
/// refilled), not per small read.
pub struct Reader<R: Read> {
    input: R,
    buf: Vec<u8>,
    /// Next byte to consume in `buf`; `end` is where valid bytes stop.
    pos: usize,
    end: usize,
    /// Bytes of `buf` before this one are already in `crc`.
    crc_from: usize,
    /// Bytes consumed before the current buffer.
    consumed_before: u64,
    crc: u64,
    /// Compute the checksum while reading.
    checksum: bool,
    version: u32,
    /// Redis's deep integrity validation (`sanitize-dump-payload`): the
    /// checks Redis makes only then (every other check is always made).
    pub(super) deep: bool,
    /// Expiry, idle time and access counter read for the next key: like
    /// Redis, they hold across other records (aux fields, SELECTDB,
    /// RESIZEDB, functions) until a key takes them.
    pending: KeyMeta,
    /// What the last record read was about, for the check report.
    progress: Progress,
}

/// What a [`Reader`] was doing when it stopped, as redis-check-rdb reports
/// it: the step, and the type and key of the key record being read.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    pub doing: Doing,
    pub key_type: Option<u8>,
    /// Kept only when reading the key's value failed.
    pub key: Option<Vec<u8>>,
}

/// The steps of reading a file, named as redis-check-rdb names them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    #[default]
    Start,
    ReadType,
    ReadExpire,
    ReadKey,
    ReadObjectValue,
    CheckSum,
    ReadLen,
    ReadAux,
    ReadModuleAux,
    ReadFunctions,
}

impl Doing {
    pub fn name(self) -> &'static str {
        match self {
            Doing::Start => "start",
            Doing::ReadType => "read-type",
            Doing::ReadExpire => "read-expire",
            Doing::ReadKey => "read-key",
            Doing::ReadObjectValue => "read-object-value",
            Doing::CheckSum => "check-sum",
            Doing::ReadLen => "read-len",
            Doing::ReadAux => "read-aux",
            Doing::ReadModuleAux => "read-module-aux",
            Doing::ReadFunctions => "read-functions",
        }
    }
}

/// What the records before a key say about it.
#[derive(Debug, Default, Clone, Copy)]
struct KeyMeta {
    expire_ms: Option<i64>,
    idle_seconds: Option<u64>,
    freq: Option<u8>,
}

impl<R: Read> Reader<R> {
    pub fn new(input: R, checksum: bool) -> Self {
        Self::with_buffer(input, checksum, FILE_BUFFER)
    }

    /// A reader with a read-ahead buffer of `size` bytes.
    pub fn with_buffer(input: R, checksum: bool, size: usize) -> Self {
        Reader {
            input,
            buf: vec![0; size.max(16)],
            pos: 0,
            end: 0,
            crc_from: 0,
            consumed_before: 0,
            crc: 0,
            checksum,
            version: u32::from(RDB_VERSION_MAX_READ),
            deep: false,
            pending: KeyMeta::default(),
            progress: Progress::default(),
        }
    }

    /// Where reading stopped (or got to).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Turns Redis's deep integrity validation on or off.
    pub fn deep_sanitization(mut self, on: bool) -> Self {
        self.deep = on;
        self
    }

    /// Bytes read ahead from the input but not consumed: what follows the
    /// RDB when it comes from a stream.
    pub fn unread(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// The input, for reading on after the RDB.
    pub fn input_mut(&mut self) -> &mut R {
        &mut self.input
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.consumed_before + self.pos as u64
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Adds the bytes consumed since the last call to the checksum.
    fn settle_crc(&mut self) {
        if self.checksum && self.crc_from < self.pos {
            self.crc = format::crc64(self.crc, &self.buf[self.crc_from..self.pos]);
        }
        self.crc_from = self.pos;
    }

    fn refill(&mut self) -> Result<(), RdbError> {
        self.settle_crc();
        self.consumed_before += self.pos as u64;
        self.pos = 0;
        self.end = 0;
        self.crc_from = 0;
        let n = loop {
            match self.input.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        };
        if n == 0 {
            return Err(RdbError::Eof);
        }
        self.end = n;
        Ok(())
    }

    fn fill(&mut self, out: &mut [u8]) -> Result<(), RdbError> {
        let mut done = 0;
        while done < out.len() {
            if self.pos == self.end {
                self.refill()?;
            }
            let n = (self.end - self.pos).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    pub(super) fn byte(&mut self) -> Result<u8, RdbError> {
        if self.pos == self.end {
            self.refill()?;
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Ok(b)
    }

    /// `n` bytes, grown as they arrive so a lying length cannot make the
    /// reader allocate more than the input holds.
    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        const CHUNK: u64 = 1 << 20;
        let buffered = self.end - self.pos;
        if n <= buffered as u64 {
            let start = self.pos;
            self.pos += n as usize;
            return Ok(self.buf[start..self.pos].to_vec());
        }
        let mut out = Vec::with_capacity(n.min(CHUNK) as usize);
        while (out.len() as u64) < n {
            if self.pos == self.end {
                self.refill()?;
            }
            let step = (self.end - self.pos).min((n - out.len() as u64).min(CHUNK) as usize);
            out.extend_from_slice(&self.buf[self.pos..self.pos + step]);
            self.pos += step;
        }
        Ok(out)
    }

    /// Reads the signature and version.
    pub fn header(&mut self) -> Result<u32, RdbError> {
        let magic: [u8; 9] = self.array()?;
        if &magic[..5] != b"REDIS" {
            return Err(RdbError::Signature);
        }
        let digits = std::str::from_utf8(&magic[5..]).unwrap_or("");
        let version = atoi(digits);
        if version < 1 || version > i64::from(RDB_VERSION_MAX_READ) {
            return Err(RdbError::Version(
                version.clamp(0, i64::from(u32::MAX)) as u32
            ));
        }
        self.version = version as u32;
        Ok(self.version)
    }

    /// A length, or the special string encoding it announces.
    fn len_or_encoding(&mut self) -> Result<(u64, bool), RdbError> {
        let first = self.byte()?;
        match first >> 6 {
            0 => Ok((u64::from(first & 0x3F), false)),
            1 => Ok((
                (u64::from(first & 0x3F) << 8) | u64::from(self.byte()?),
                false,
            )),
            3 => Ok((u64::from(first & 0x3F), true)),
            _ => match first {
                0x80 => Ok((u64::from(u32::from_be_bytes(self.array()?)), false)),
                0x81 => Ok((u64::from_be_bytes(self.array()?), false)),
                _ => Err(RdbError::Corrupt(format!(
                    "Unknown length encoding {} in rdbLoadLen()",
                    first >> 6
                ))),
            },
        }
    }

    pub fn length(&mut self) -> Result<u64, RdbError> {
        match self.len_or_encoding()? {
            (n, false) => Ok(n),
            (_, true) => Err(corrupt(
                "Unexpected string encoding where a length was expected",
            )),
        }
    }

    /// A length used as an element count or size in memory.
    pub(super) fn count(&mut self) -> Result<usize, RdbError> {
        usize::try_from(self.length()?).map_err(|_| corrupt("Length out of range"))
    }

    fn collected(&mut self) -> Result<Collected, RdbError> {
        let (n, encoded) = self.len_or_encoding()?;
        if !encoded {
            return Ok(Collected::Bytes(self.bytes(n)?));
        }
        match n as u8 {
            enc::INT8 => Ok(Collected::Int(i64::from(self.byte()? as i8))),
            enc::INT16 => Ok(Collected::Int(i64::from(i16::from_le_bytes(self.array()?)))),
            enc::INT32 => Ok(Collected::Int(i64::from(i32::from_le_bytes(self.array()?)))),
            enc::LZF => self.lzf_string().map(Collected::Bytes),
            other => Err(RdbError::Corrupt(format!(
                "Unknown RDB string encoding type {}",
                other
            ))),
        }
    }

    fn lzf_string(&mut self) -> Result<Vec<u8>, RdbError> {
        let clen = self.length()?;
        let len = self.length()?;
        let packed = self.bytes(clen)?;
        if len > clen.saturating_mul(LZF_MAX_RATIO) {
            return Err(corrupt("Invalid LZF compressed string"));
        }
        lzf::decompress(&packed, len as usize)
            .ok_or_else(|| corrupt("Invalid LZF compressed string"))
    }

    /// A string as bytes (integers become their decimal text).
    pub fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        Ok(self.collected()?.into_bytes())
    }

    /// A string value, built as Redis builds loaded strings.
    pub(super) fn str_value(&mut self) -> Result<StrValue, RdbError> {
        Ok(match self.collected()? {
            Collected::Int(n) => StrValue::Int(n),
            Collected::Bytes(b) => StrValue::from_vec(b),
        })
    }

    pub(super) fn ms_time(&mut self) -> Result<i64, RdbError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(super) fn binary_double(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A double in the old text form: a length byte (253 NaN, 254 +inf,
    /// 255 -inf) and the digits.
    pub(super) fn text_double(&mut self) -> Result<f64, RdbError> {
        match self.byte()? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            n => {
                let text = self.bytes(u64::from(n))?;
                parse_score(&text).ok_or_else(|| corrupt("Invalid double value"))
            }
        }
    }

    /// The trailer after EOF: checks the CRC64 unless it was saved as zero
    /// (checksums disabled) or `verify` is off. Returns whether a check
    /// was made.
    pub fn verify_checksum(&mut self, verify: bool) -> Result<bool, RdbError> {
        if self.version < 5 {
            return Ok(false);
        }
        self.progress.doing = Doing::CheckSum;
        self.settle_crc();
        let expected = self.crc;
        let got = u64::from_le_bytes(self.array()?);
        if !verify || got == 0 {
            return Ok(false);
        }
        if got != expected {
            return Err(RdbError::Checksum { expected, got });
        }
        Ok(true)
    }

    /// The next item of a file.
    pub fn next_item(&mut self) -> Result<Item, RdbError> {
        loop {
            self.progress.doing = Doing::ReadType;
            let code = self.byte()?;
            self.progress.doing = step_of(code);
            match code {
                op::EXPIRETIME => {
                    self.pending.expire_ms =
                        Some(i64::from(i32::from_le_bytes(self.array()?)) * 1000);
                }
                op::EXPIRETIME_MS => self.pending.expire_ms = Some(self.ms_time()?),
                op::FREQ => self.pending.freq = Some(self.byte()?),
                op::IDLE => self.pending.idle_seconds = Some(self.length()?),
                op::EOF => return Ok(Item::Eof),
                op::SELECTDB => return Ok(Item::SelectDb(self.length()?)),
                op::RESIZEDB => {
                    let keys = self.length()?;
                    return Ok(Item::ResizeDb(keys, self.length()?));
                }
                op::AUX => {
                    let key = self.string()?;
                    return Ok(Item::Aux(key, self.string()?));
                }
                op::MODULE_AUX => return Err(self.module_aux()),
                op::FUNCTION2 => return Ok(Item::Function(self.string()?)),
                op::FUNCTION_PRE_GA => return Ok(Item::Function(self.pre_ga_function()?)),
                _ => {
                    self.progress.key_type = Some(code);
                    let key = self.string()?;
                    self.progress.doing = Doing::ReadObjectValue;
                    let value = match self.object(code) {
                        Ok(value) => value,
                        Err(e) => {
                            self.progress.key = Some(key);
                            return Err(e);
                        }
                    };
                    self.progress.key_type = None;
                    let meta = std::mem::take(&mut self.pending);
                    return Ok(match value {
                        Some(value) => Item::Key(Entry {
                            key,
                            value,
                            expire_ms: meta.expire_ms,
                            idle_seconds: meta.idle_seconds,
                            freq: meta.freq,
                        }),
                        None => Item::EmptyKey(key),
                    });
                }
            }
        }
    }

    fn module_aux(&mut self) -> RdbError {
        match self.length() {
            Ok(id) => RdbError::Module(format!(
                "The RDB file contains AUX module data I can't load: no matching module '{}'",
                format::module_type_name(id)
            )),
            Err(e) => e,
        }
    }

    /// The 7.0 release-candidate function format, rewritten as the code
    /// payload `FUNCTION2` holds.
    fn pre_ga_function(&mut self) -> Result<Vec<u8>, RdbError> {
        let name = self.string()?;
        let engine = self.string()?;
        if self.length()? != 0 {
            self.string()?;
        }
        let body = self.string()?;
        let mut code = b"#!".to_vec();
        code.extend_from_slice(&engine);
        code.extend_from_slice(b" name=");
        code.extend_from_slice(&name);
        code.push(b'\n');
        code.extend_from_slice(&body);
        Ok(code)
    }
}

/// The step a record's opening byte starts.
fn step_of(code: u8) -> Doing {
    match code {
        op::EXPIRETIME | op::EXPIRETIME_MS | op::FREQ | op::IDLE => Doing::ReadExpire,
        op::SELECTDB | op::RESIZEDB => Doing::ReadLen,
        op::AUX => Doing::ReadAux,
        op::MODULE_AUX => Doing::ReadModuleAux,
        op::FUNCTION2 | op::FUNCTION_PRE_GA => Doing::ReadFunctions,
        op::EOF => Doing::ReadType,
        _ => Doing::ReadKey,
    }
}

/// C's `atoi` on the version digits.
fn atoi(s: &str) -> i64 {
    s.bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
}

/// Checks a DUMP payload's footer (version and CRC64) and returns the
/// serialized value in it.
pub fn verify_payload(payload: &[u8], verify_crc: bool) -> Option<&[u8]> {
    let body_len = payload.len().checked_sub(10)?;
    let version = u16::from_le_bytes([payload[body_len], payload[body_len + 1]]);
    if version > RDB_VERSION_MAX_READ {
        return None;
    }
    if verify_crc {
        let crc = format::crc64(0, &payload[..body_len + 2]);
        if crc.to_le_bytes() != payload[body_len + 2..] {
            return None;
        }
    }
    Some(&payload[..body_len])
}

/// The library codes in the body of a verified FUNCTION DUMP payload;
/// errors are FUNCTION RESTORE's texts.
pub fn function_payload_codes(body: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut r = Reader::with_buffer(body, false, body.len().clamp(1, FILE_BUFFER));
    let mut codes = Vec::new();
    while r.position() < body.len() as u64 {
        let code = match r.byte().map_err(|_| "can not read data type")? {
            op::FUNCTION2 => r.string(),
            op::FUNCTION_PRE_GA => r.pre_ga_function(),
            _ => return Err("given type is not a function"),
        };
        codes.push(code.map_err(|_| "failed loading the given functions payload")?);
    }
    Ok(codes)
}

/// Parses the serialized value of a verified DUMP payload; `None` when it
/// is not valid (Redis's `Bad data format`). `deep`: Redis's deep
/// integrity validation (`sanitize-dump-payload`).
pub fn parse_payload(body: &[u8], deep: bool) -> Option<RdbValue> {
    let mut r =
        Reader::with_buffer(body, false, body.len().min(FILE_BUFFER)).deep_sanitization(deep);
    let code = r.byte().ok()?;
    if !is_value_type(code) {
        return None;
    }
    match r.object(code) {
        Ok(value) => value,
        Err(RdbError::Corrupt(reason)) => {
            // Redis logs a refused RESTORE payload's reason at verbose level.
            log::debug!(
                "Internal error in RDB reading offset {} -> {}",
                r.position(),
                reason
            );
            None
        }
        Err(_) => None,
    }
}

/// Whether `code` names a value type (Redis's `rdbIsObjectType`).
fn is_value_type(code: u8) -> bool {
    code <= kind::MODULE_2 || (kind::HASH_ZIPMAP..=kind::STREAM_LISTPACKS_3).contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::value::ValueRef;
    use crate::persistence::writer::{dump_payload, WriteOptions};

    fn bytes(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn payload_footer_is_checked() {
        let v = RdbValue::List(bytes(&["a"]));
        let payload = dump_payload(&ValueRef::Neutral(v), WriteOptions::default());
        assert!(verify_payload(&payload, true).is_some());
        let mut bad = payload.clone();
        bad[2] ^= 1;
        assert!(verify_payload(&bad, true).is_none());
        assert!(verify_payload(&bad, false).is_some());
        let n = payload.len();
        let mut newer = payload.clone();
        newer[n - 10] = 12;
        assert!(verify_payload(&newer, false).is_none());
        assert!(verify_payload(&payload[..9], false).is_none());
    }

    #[test]
    fn truncated_and_flipped_payloads_never_panic() {
        let long = "abc".repeat(100);
        let values = [
            RdbValue::List(bytes(&["a", "1", &long])),
            RdbValue::Hash {
                pairs: vec![(b"f".to_vec(), long.clone().into_bytes())],
                listpack: true,
            },
            RdbValue::Set {
                members: bytes(&["1", "2", "300000"]),
                intset: true,
            },
            RdbValue::ZSet {
                members: vec![(b"m".to_vec(), 1.5)],
                listpack: false,
            },
        ];
        let mut seed = 0x2545F4914F6CDD1Du64;
        for v in values {
            let payload = dump_payload(&ValueRef::Neutral(v), WriteOptions::default());
            let body = &payload[..payload.len() - 10];
            for cut in 0..body.len() {
                let _ = parse_payload(&body[..cut], true);
            }
            for _ in 0..2000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut flipped = body.to_vec();
                let at = (seed % flipped.len() as u64) as usize;
                flipped[at] ^= 1 << (seed >> 61);
                let _ = parse_payload(&flipped, true);
            }
        }
    }

    #[test]
    fn huge_lengths_fail_without_allocating() {
        // A string claiming 2^40 bytes, and a set claiming 2^40 members.
        let mut s = vec![kind::STRING, 0x81];
        s.extend_from_slice(&(1u64 << 40).to_be_bytes());
        assert!(parse_payload(&s, true).is_none());
        let mut set = vec![kind::SET, 0x81];
        set.extend_from_slice(&(1u64 << 40).to_be_bytes());
        assert!(parse_payload(&set, true).is_none());
        let lzf = [kind::STRING, 0xC3, 0x01, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        assert!(parse_payload(&lzf, true).is_none());
    }
}
