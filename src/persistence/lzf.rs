//! LZF, the compression RDB files use for long strings, with the exact
//! output of the compressor Redis ships (16-bit hash table, "very fast"
//! mode, position 0 never used as a back reference) so DUMP payloads and
//! RDB files are byte-identical to Redis's.
//!
//! The format is a sequence of runs: `000LLLLL` followed by L+1 literal
//! bytes, `LLLooooo oooooooo` (a back reference of L+2 bytes, 1 <= L <= 6,
//! at distance o+1) or `111ooooo LLLLLLLL oooooooo` (a back reference of
//! L+9 bytes).

const HASH_LOG: u32 = 16;
const HASH_SIZE: usize = 1 << HASH_LOG;
/// Longest literal run.
const MAX_LIT: usize = 1 << 5;
/// Farthest back reference.
const MAX_OFF: usize = 1 << 13;
/// Longest back reference (minus the two bytes every reference has).
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// A compressor that keeps its hash table between calls.
///
/// Table entries are positions tagged with a per-call base, so a new call
/// ignores the entries of older ones without clearing 64K slots.
pub struct Compressor {
    table: Vec<u64>,
    base: u64,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor {
            table: vec![0; HASH_SIZE],
            base: 0,
        }
    }
}

fn first_hash(input: &[u8], ip: usize) -> u32 {
    let a = input.get(ip).copied().unwrap_or(0);
    let b = input.get(ip + 1).copied().unwrap_or(0);
    (u32::from(a) << 8) | u32::from(b)
}

fn next_hash(hval: u32, input: &[u8], ip: usize) -> u32 {
    (hval << 8) | u32::from(input.get(ip + 2).copied().unwrap_or(0))
}

fn slot(hval: u32) -> usize {
    ((hval >> (3 * 8 - HASH_LOG)).wrapping_sub(hval.wrapping_mul(5)) as usize) & (HASH_SIZE - 1)
}

/// Output buffer with checked writes: a write past the end means the data
/// did not compress into the room allowed.
struct Out {
    buf: Vec<u8>,
    pos: usize,
}

impl Out {
    fn put(&mut self, at: usize, byte: u8) -> Option<()> {
        *self.buf.get_mut(at)? = byte;
        Some(())
    }

    fn push(&mut self, byte: u8) -> Option<()> {
        self.put(self.pos, byte)?;
        self.pos += 1;
        Some(())
    }

    /// Adds one byte to the literal run of `lit` bytes, starting a new run
    /// when it is full.
    fn literal(&mut self, lit: &mut usize, byte: u8) -> Option<()> {
        *lit += 1;
        self.push(byte)?;
        if *lit == MAX_LIT {
            self.close_run(*lit)?;
            *lit = 0;
            self.pos += 1;
        }
        Some(())
    }

    /// Closes the literal run of `lit` bytes that ends at the cursor.
    fn close_run(&mut self, lit: usize) -> Option<()> {
        self.put(self.pos.checked_sub(lit + 1)?, (lit as u8).wrapping_sub(1))
    }
}

impl Compressor {
    /// Compresses `input` into at most `max_out` bytes; `None` when it does
    /// not fit (or either length is zero).
    pub fn compress(&mut self, input: &[u8], max_out: usize) -> Option<Vec<u8>> {
        if input.is_empty() || max_out == 0 {
            return None;
        }
        self.start_call(input.len());
        let mut out = Out {
            buf: vec![0; max_out],
            pos: 1,
        };
        let end = input.len();
        let mut ip = 0usize;
        let mut lit = 0usize;
        let mut hval = first_hash(input, ip);
        while ip + 2 < end {
            hval = next_hash(hval, input, ip);
            let reference = self.swap_slot(slot(hval), ip);
            match reference.filter(|&r| self.is_match(input, r, ip)) {
                Some(r) => {
                    let off = ip - r - 1;
                    if out.pos + 4 >= max_out && out.pos - usize::from(lit == 0) + 4 >= max_out {
                        return None;
                    }
                    out.close_run(lit)?;
                    out.pos -= usize::from(lit == 0);
                    let len = match_length(input, r, ip);
                    let len = len - 2;
                    ip += 1;
                    if len < 7 {
                        out.push(((off >> 8) + (len << 5)) as u8)?;
                    } else {
                        out.push(((off >> 8) + (7 << 5)) as u8)?;
                        out.push((len - 7) as u8)?;
                    }
                    out.push(off as u8)?;
                    lit = 0;
                    out.pos += 1;
                    ip += len + 1;
                    if ip + 2 >= end {
                        break;
                    }
                    // Hash the two positions before the new cursor as Redis's
                    // "very fast" mode does.
                    ip -= 2;
                    hval = first_hash(input, ip);
                    for _ in 0..2 {
                        hval = next_hash(hval, input, ip);
                        self.set_slot(slot(hval), ip);
                        ip += 1;
                    }
                }
                None => {
                    if out.pos >= max_out {
                        return None;
                    }
                    out.literal(&mut lit, input[ip])?;
                    ip += 1;
                }
            }
        }
        if out.pos + 3 > max_out {
            return None;
        }
        while ip < end {
            out.literal(&mut lit, input[ip])?;
            ip += 1;
        }
        out.close_run(lit)?;
        out.pos -= usize::from(lit == 0);
        out.buf.truncate(out.pos);
        Some(out.buf)
    }

    /// Moves the base past every position of the previous call.
    fn start_call(&mut self, len: usize) {
        let next = self.base.checked_add(len as u64 + 1);
        match next {
            Some(b) if b < u64::MAX / 2 => self.base = b,
            _ => {
                self.table.iter_mut().for_each(|e| *e = 0);
                self.base = 0;
            }
        }
    }

    fn set_slot(&mut self, index: usize, pos: usize) {
        if let Some(e) = self.table.get_mut(index) {
            *e = self.base + pos as u64 + 1;
        }
    }

    /// Records `pos` in the slot and returns the position it held, if that
    /// entry belongs to this call.
    fn swap_slot(&mut self, index: usize, pos: usize) -> Option<usize> {
        let entry = self.table.get(index).copied().unwrap_or(0);
        self.set_slot(index, pos);
        (entry > self.base).then(|| (entry - self.base - 1) as usize)
    }

    /// Whether the three bytes at `r` can be referenced from `ip`.
    fn is_match(&self, input: &[u8], r: usize, ip: usize) -> bool {
        r < ip && ip - r - 1 < MAX_OFF && r > 0 && input.get(r..r + 3) == input.get(ip..ip + 3)
    }
}

/// Length of the match at `r` for `ip` (at least 3), computed as Redis's
/// unrolled loop does: the first sixteen bytes past the known three are
/// compared without the length cap when more than sixteen may match.
fn match_length(input: &[u8], r: usize, ip: usize) -> usize {
    let same =
        |len: usize| input.get(r + len).is_some() && input.get(r + len) == input.get(ip + len);
    let end = input.len();
    let maxlen = (end - ip - 2).min(MAX_REF);
    let mut len = 2;
    if maxlen > 16 {
        for _ in 0..16 {
            len += 1;
            if !same(len) {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if !(len < maxlen && same(len)) {
            return len;
        }
    }
}

/// Decompresses `input`, which must expand to exactly `expected` bytes.
pub fn decompress(input: &[u8], expected: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(expected);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < (1 << 5) {
            let run = ctrl + 1;
            let literal = input.get(ip..ip + run)?;
            if out.len() + run > expected {
                return None;
            }
            out.extend_from_slice(literal);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip)?);
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if out.len() + len > expected || back > out.len() {
                return None;
            }
            let from = out.len() - back;
            for i in 0..len {
                let byte = out[from + i];
                out.push(byte);
            }
        }
    }
    (out.len() == expected).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        let mut c = Compressor::default();
        if let Some(packed) = c.compress(data, data.len() + 64) {
            assert_eq!(decompress(&packed, data.len()).as_deref(), Some(data));
        }
    }

    #[test]
    fn compresses_repetition_like_redis() {
        // Redis 7.0.15: DUMP of SET k <100 x 'a'> holds this LZF body.
        let mut c = Compressor::default();
        let data = vec![b'a'; 100];
        let packed = c.compress(&data, 96).expect("compresses");
        assert_eq!(
            packed,
            [0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61]
        );
        assert_eq!(decompress(&packed, 100), Some(data));
    }

    #[test]
    fn roundtrips_varied_inputs() {
        let mut seed = 7u64;
        for len in [1usize, 2, 3, 4, 21, 100, 1000, 70_000] {
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if i % 7 < 4 {
                        b'x'
                    } else {
                        (seed >> 60) as u8
                    }
                })
                .collect();
            roundtrip(&data);
        }
    }

    #[test]
    fn incompressible_data_does_not_fit() {
        let data: Vec<u8> = (0..=255u8).collect();
        assert!(Compressor::default()
            .compress(&data, data.len() - 4)
            .is_none());
    }

    #[test]
    fn corrupt_input_is_rejected() {
        assert!(decompress(&[0x05, b'a'], 6).is_none());
        assert!(decompress(&[0x00, b'a', 0x20, 0x05], 4).is_none());
        assert!(decompress(&[0x00, b'a'], 2).is_none());
        assert!(decompress(&[0xe0], 10).is_none());
    }
}
