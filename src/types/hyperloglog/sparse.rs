//! The sparse encoding: after the header, a run-length code of the 16384
//! registers in three opcodes:
//!
//! - ZERO `00xxxxxx`: 1 to 64 registers at 0;
//! - XZERO `01xxxxxx yyyyyyyy`: 1 to 16384 registers at 0 (14-bit length);
//! - VAL `1vvvvvxx`: 1 to 4 registers at value 1 to 32.
//!
//! Everything here works on the whole string, header included, and reads
//! a value as Redis does, including values that do not add up to 16384
//! registers: a byte read past the end is 0 (Redis's string terminator),
//! and each reader stops or complains exactly where Redis's does.
//!
//! One known difference, on corrupt values only: when a value ends in an
//! XZERO cut by the end and PFADD splits it, Redis writes the last byte of
//! the replacement just past the string's end and reads it back later as
//! that byte; reddish keeps no byte past the end and reads 0.

use super::{invalidate_cache, Corrupt, HEADER_LEN, REGISTERS};

/// Highest value a VAL opcode holds.
pub const VAL_MAX_VALUE: u8 = 32;
/// Most registers one VAL opcode covers.
const VAL_MAX_LEN: usize = 4;
/// Most registers one ZERO opcode covers.
const ZERO_MAX_LEN: usize = 64;
/// Most registers one XZERO opcode covers.
const XZERO_MAX_LEN: usize = 16384;
/// Opcodes after the changed one that are looked at for merging VALs.
const MERGE_SCAN: usize = 5;

/// One opcode, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Zero(usize),
    XZero(usize),
    Val { value: u8, len: usize },
}

/// The byte at `i`, or 0 past the end.
fn byte(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}

fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

impl Op {
    /// The opcode starting at `p` (an XZERO cut by the end reads a 0).
    pub fn at(buf: &[u8], p: usize) -> Op {
        let b = byte(buf, p);
        if is_zero(b) {
            Op::Zero(usize::from(b & 0x3f) + 1)
        } else if is_xzero(b) {
            Op::XZero(((usize::from(b & 0x3f) << 8) | usize::from(byte(buf, p + 1))) + 1)
        } else {
            Op::Val {
                value: ((b >> 2) & 0x1f) + 1,
                len: usize::from(b & 0x3) + 1,
            }
        }
    }

    /// Bytes the opcode takes.
    pub fn size(self) -> usize {
        match self {
            Op::XZero(_) => 2,
            _ => 1,
        }
    }

    /// Registers the opcode covers.
    pub fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) => n,
            Op::Val { len, .. } => len,
        }
    }
}

/// The opcodes of a sparse value, in order.
pub fn ops(hll: &[u8]) -> impl Iterator<Item = Op> + '_ {
    let mut p = HEADER_LEN;
    std::iter::from_fn(move || {
        if p >= hll.len() {
            return None;
        }
        let op = Op::at(hll, p);
        p += op.size();
        Some(op)
    })
}

/// Up to 5 opcode bytes, built when one opcode is split.
#[derive(Default)]
struct Seq {
    bytes: [u8; 5],
    len: usize,
}

impl Seq {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn val(&mut self, value: u8, len: usize) {
        self.push(val_byte(value, len));
    }

    /// A run of `len` zero registers, as ZERO or XZERO.
    fn zeros(&mut self, len: usize) {
        let n = len - 1;
        if len > ZERO_MAX_LEN {
            self.push(0x40 | ((n >> 8) & 0x3f) as u8);
            self.push((n & 0xff) as u8);
        } else {
            self.push(n as u8);
        }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value.wrapping_sub(1) & 0x1f) << 2) | ((len.wrapping_sub(1) & 0x3) as u8)
}

/// The value of a new HLL: header, then XZERO opcodes for every register.
pub fn empty(header: [u8; HEADER_LEN]) -> Vec<u8> {
    let mut out = header.to_vec();
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        let mut seq = Seq::default();
        seq.zeros(run);
        out.extend_from_slice(seq.as_slice());
        left -= run;
    }
    out
}

/// Calls `f(first, len, value)` for each VAL run, as Redis walks a sparse
/// value to convert or merge it: the value is corrupt as soon as an opcode
/// would pass the last register, or if the opcodes end short of it (the
/// checks of Redis 7.0.15 as shipped, with the fix for CVE-2025-32023).
pub fn for_each_run(hll: &[u8], mut f: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    for op in ops(hll) {
        let next = idx.saturating_add(op.span());
        if next > REGISTERS {
            return Err(Corrupt);
        }
        if let Op::Val { value, len } = op {
            f(idx, len, value);
        }
        idx = next;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Adds the register values to `hist`; corrupt unless the opcodes cover
/// exactly 16384 registers (every opcode is counted).
pub fn histogram(hll: &[u8], hist: &mut [u64; 64]) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    for op in ops(hll) {
        let (value, n) = match op {
            Op::Zero(n) | Op::XZero(n) => (0, n),
            Op::Val { value, len } => (usize::from(value), len),
        };
        idx = idx.saturating_add(n);
        if let Some(h) = hist.get_mut(value) {
            *h = h.saturating_add(n as u64);
        }
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Where the opcode covering a register is.
struct Found {
    /// Its offset in the value.
    at: usize,
    /// The opcode before it, if any.
    prev: Option<usize>,
    /// The first register it covers.
    first: usize,
    op: Op,
}

/// The opcode covering register `index`; `None` when the opcodes end first.
fn find(hll: &[u8], index: usize) -> Option<Found> {
    let (mut p, mut first, mut prev) = (HEADER_LEN, 0usize, None);
    while p < hll.len() {
        let op = Op::at(hll, p);
        if index < first.saturating_add(op.span()) {
            return Some(Found {
                at: p,
                prev,
                first,
                op,
            });
        }
        prev = Some(p);
        p += op.size();
        first = first.saturating_add(op.span());
    }
    None
}

/// What setting a register of a sparse value came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// The register already held at least the value.
    Unchanged,
    /// The register was raised in place.
    Raised,
    /// The sparse encoding cannot hold the result: convert to dense first.
    Promote,
}

/// Raises register `index` to `count` in a sparse value whose length may
/// not pass `max_len` bytes (`hll-sparse-max-bytes`), splitting the opcode
/// that covers it and merging equal neighbouring VALs as Redis does.
pub fn set(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_len: usize,
) -> Result<SetOutcome, Corrupt> {
    if count > VAL_MAX_VALUE {
        return Ok(SetOutcome::Promote);
    }
    let found = find(hll, index).ok_or(Corrupt)?;
    match found.op {
        Op::Val { value, .. } if value >= count => return Ok(SetOutcome::Unchanged),
        Op::Val { len: 1, .. } | Op::Zero(1) => {
            if let Some(b) = hll.get_mut(found.at) {
                *b = val_byte(count, 1);
            }
        }
        _ => {
            let seq = split(&found, index, count);
            let grows = seq.len > found.op.size();
            if grows && hll.len() + seq.len - found.op.size() > max_len {
                return Ok(SetOutcome::Promote);
            }
            replace(hll, found.at, found.op.size(), seq.as_slice());
        }
    }
    merge_vals(hll, found.prev.unwrap_or(HEADER_LEN));
    invalidate_cache(hll);
    Ok(SetOutcome::Raised)
}

/// The opcodes replacing `found.op` once register `index` is `count`.
fn split(found: &Found, index: usize, count: u8) -> Seq {
    let mut seq = Seq::default();
    let last = (found.first + found.op.span()).saturating_sub(1);
    let before = index.saturating_sub(found.first);
    let after = last.saturating_sub(index);
    match found.op {
        Op::Val { value, .. } => {
            if before > 0 {
                seq.val(value, before);
            }
            seq.val(count, 1);
            if after > 0 {
                seq.val(value, after);
            }
        }
        Op::Zero(_) | Op::XZero(_) => {
            if before > 0 {
                seq.zeros(before);
            }
            seq.val(count, 1);
            if after > 0 {
                seq.zeros(after);
            }
        }
    }
    seq
}

/// Puts `seq` in place of the `old_size` opcode bytes at `at`. The length
/// changes by exactly the difference, as Redis's in-place move does: an
/// XZERO cut by the end loses the last byte of its replacement.
fn replace(hll: &mut Vec<u8>, at: usize, old_size: usize, seq: &[u8]) {
    let new_len = (hll.len() + seq.len()).saturating_sub(old_size);
    let cut_end = at.saturating_add(old_size).min(hll.len());
    if at <= cut_end {
        hll.splice(at..cut_end, seq.iter().copied());
    }
    hll.truncate(new_len);
}

/// Merges neighbouring VAL opcodes of equal value (up to 4 registers),
/// looking at up to 5 opcodes from `p`.
fn merge_vals(hll: &mut Vec<u8>, mut p: usize) {
    let mut scan = MERGE_SCAN;
    while p < hll.len() && scan > 0 {
        scan -= 1;
        let b = byte(hll, p);
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < hll.len() && is_val(byte(hll, p + 1)) {
            if let (Op::Val { value: v1, len: l1 }, Op::Val { value: v2, len: l2 }) =
                (Op::at(hll, p), Op::at(hll, p + 1))
            {
                if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                    if let Some(next) = hll.get_mut(p + 1) {
                        *next = val_byte(v1, l1 + l2);
                    }
                    hll.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
}

/// PFDEBUG DECODE's text: `z:len`, `Z:len`, `v:value,len` per opcode.
pub fn describe(hll: &[u8]) -> String {
    let words: Vec<String> = ops(hll)
        .map(|op| match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val { value, len } => format!("v:{value},{len}"),
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(b"HYLL");
        h[4] = 1;
        h
    }

    #[test]
    fn an_empty_value_is_one_xzero() {
        let hll = empty(header());
        assert_eq!(&hll[HEADER_LEN..], &[0x7f, 0xff]);
        assert_eq!(describe(&hll), "Z:16384");
    }

    #[test]
    fn setting_splits_and_merges_like_redis() {
        let mut hll = empty(header());
        assert_eq!(set(&mut hll, 100, 3, 3000), Ok(SetOutcome::Raised));
        assert_eq!(describe(&hll), "Z:100 v:3,1 Z:16283");
        assert_eq!(set(&mut hll, 101, 3, 3000), Ok(SetOutcome::Raised));
        assert_eq!(describe(&hll), "Z:100 v:3,2 Z:16282");
        assert_eq!(set(&mut hll, 0, 1, 3000), Ok(SetOutcome::Raised));
        assert_eq!(describe(&hll), "v:1,1 Z:99 v:3,2 Z:16282");
        assert_eq!(set(&mut hll, 101, 2, 3000), Ok(SetOutcome::Unchanged));
        assert_eq!(set(&mut hll, 102, 33, 3000), Ok(SetOutcome::Promote));
        assert_eq!(hll[15] & 0x80, 0x80);
    }

    #[test]
    fn a_split_past_the_limit_asks_for_promotion() {
        let mut hll = empty(header());
        assert_eq!(set(&mut hll, 100, 3, 20), Ok(SetOutcome::Promote));
        assert_eq!(describe(&hll), "Z:16384");
    }

    #[test]
    fn corrupt_runs_are_reported() {
        let mut hll = empty(header());
        hll.push(0x80);
        let mut hist = [0u64; 64];
        assert_eq!(histogram(&hll, &mut hist), Err(Corrupt));
        // Past the last register, conversion and merging refuse it too.
        assert_eq!(for_each_run(&hll, |_, _, _| {}), Err(Corrupt));
        hll.pop();
        assert_eq!(for_each_run(&hll, |_, _, _| {}), Ok(()));
        let mut short = header().to_vec();
        short.push(0x00);
        assert_eq!(for_each_run(&short, |_, _, _| {}), Err(Corrupt));
        assert!(set(&mut short, 5, 1, 3000).is_err());
    }

    #[test]
    fn an_xzero_cut_by_the_end_reads_a_zero_byte() {
        let mut hll = header().to_vec();
        hll.push(0x40);
        assert_eq!(Op::at(&hll, HEADER_LEN), Op::XZero(1));
        assert_eq!(set(&mut hll, 0, 2, 3000), Ok(SetOutcome::Raised));
        assert_eq!(hll.len(), HEADER_LEN);
    }
}
