//! Number parsing and formatting with Redis's exact rules, clocks, and the
//! quoted-argument splitter shared by inline commands and config files.
//!
//! Redis is strict about what counts as an integer (`string2ll`: no `+`, no
//! leading zeros, no spaces) and prints doubles as `%.17g`; clients depend on
//! those exact texts, so they live here once.

use std::time::{SystemTime, UNIX_EPOCH};

/// Longest text `string2ll` accepts (sign plus 19 digits).
const MAX_I64_CHARS: usize = 20;

/// Parses a signed 64-bit integer the way Redis's `string2ll` does.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > MAX_I64_CHARS {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if value > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}

/// Parses an unsigned 64-bit integer as Redis's `string2ull`: a strict
/// `string2ll` integer that is not negative, else whatever C's `strtoull`
/// consumes entirely (leading blanks, a sign, leading zeros; a minus sign
/// negates modulo 2^64 as in C), refusing overflow.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let blanks = s.iter().take_while(|&&b| is_c_space(b)).count();
    let rest = s.get(blanks..).unwrap_or_default();
    let (negative, digits) = match rest.split_first() {
        Some((b'-', tail)) => (true, tail),
        Some((b'+', tail)) => (false, tail),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// Parses a double with the rules of Redis's `string2d` (strtod, no
/// surrounding spaces, no NaN, no overflow to infinity from finite text).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    parse_float_text(text)
}

/// The body of `parse_f64`: Rust's parser accepts what strtod accepts for
/// decimal input; the extra checks reject what Redis rejects.
fn parse_float_text(text: &str) -> Option<f64> {
    let first = *text.as_bytes().first()?;
    if first.is_ascii_whitespace() {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if value.is_nan() {
        return None;
    }
    let body = text.trim_start_matches(['+', '-']);
    let names_infinity = body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity");
    if value.is_infinite() && !names_infinity {
        return None; // ERANGE overflow
    }
    if value == 0.0 && mantissa_has_nonzero_digit(body) {
        return None; // ERANGE underflow
    }
    Some(value)
}

fn mantissa_has_nonzero_digit(body: &str) -> bool {
    body.bytes()
        .take_while(|b| *b != b'e' && *b != b'E')
        .any(|b| (b'1'..=b'9').contains(&b))
}

/// At most `max` bytes of `s` (like printf's `%.*s`).
pub fn truncated(s: &[u8], max: usize) -> &[u8] {
    s.get(..max).unwrap_or(s)
}

/// C's `atoi` on the leading digits (ports, counts).
pub fn atoi(s: &[u8]) -> i64 {
    s.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        })
}

/// Appends the decimal text of `v`.
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 21];
    out.extend_from_slice(i64_text(&mut buf, v));
}

/// Writes the decimal text of `v` into `buf`, returning the used part.
pub fn i64_text(buf: &mut [u8; 21], v: i64) -> &[u8] {
    let mut digits = [0u8; 20];
    let text = format_u64(&mut digits, v.unsigned_abs());
    let sign = usize::from(v < 0);
    buf[0] = b'-';
    buf[sign..sign + text.len()].copy_from_slice(text);
    &buf[..sign + text.len()]
}

/// Appends the decimal text of `v`.
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(format_u64(&mut buf, v));
}

fn format_u64(buf: &mut [u8; 20], mut v: u64) -> &[u8] {
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[pos..]
}

/// The decimal text of an integer, as an owned byte vector.
pub fn i64_to_bytes(v: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    push_i64(&mut out, v);
    out
}

/// The little-endian unsigned integer of `len` bytes (at most 8) at `at`
/// in `bytes`; `None` when they run past the end. The binary encodings
/// (listpack, ziplist, intset, zipmap) read their fields with it.
#[inline]
pub fn read_le(bytes: &[u8], at: usize, len: usize) -> Option<u64> {
    let field = bytes.get(at..at.checked_add(len)?)?;
    Some(
        field
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
    )
}

/// Sign-extends the low `bits` bits of `v` (1 to 64).
#[inline]
pub fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Formats a double like C's `%.17g`, which Redis 7.0 uses for double replies.
pub fn format_double_g17(v: f64) -> String {
    let mut buf = [0u8; G17_MAX];
    String::from_utf8_lossy(double_g17_text(&mut buf, v)).into_owned()
}

/// Room for any `%.17g` text: sign, 17 digits, point, `e-308`, or `-0.000`
/// and 17 digits.
pub const G17_MAX: usize = 32;

/// Writes `v` as C's `%.17g` into `buf` without allocating, returning the
/// used part. Integral values below 1e17 (the usual sorted set scores) are
/// printed as integers directly; others are rounded to 17 significant digits
/// once and laid out in fixed or exponent form as `%g` chooses.
pub fn double_g17_text(buf: &mut [u8; G17_MAX], v: f64) -> &[u8] {
    let mut out = ByteCursor { buf, len: 0 };
    if v.is_nan() {
        out.push(b"nan");
    } else if v.is_infinite() {
        out.push(if v > 0.0 { b"inf" } else { b"-inf" });
    } else if v == 0.0 {
        out.push(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if v.fract() == 0.0 && v.abs() < 1e17 {
        let mut tmp = [0u8; 21];
        out.push(i64_text(&mut tmp, v as i64));
    } else {
        push_g17_digits(&mut out, v);
    }
    let len = out.len;
    buf.get(..len).unwrap_or_default()
}

/// The general `%.17g` layout of a finite nonzero `v`.
fn push_g17_digits(out: &mut ByteCursor, v: f64) {
    // `{:.16e}` rounds to 17 significant digits: `-d.dddddddddddddddde-5`.
    let mut sci_buf = [0u8; G17_MAX];
    let mut sci = ByteCursor {
        buf: &mut sci_buf,
        len: 0,
    };
    let _ = std::fmt::Write::write_fmt(&mut sci, format_args!("{:.16e}", v.abs()));
    let sci = sci.as_bytes();
    let (mantissa, exp) = match sci.iter().position(|&b| b == b'e') {
        Some(at) => (
            sci.get(..at).unwrap_or_default(),
            sci.get(at + 1..).and_then(parse_i64).unwrap_or(0),
        ),
        None => (sci, 0),
    };
    let mut digits = [0u8; 17];
    let mut count = 0;
    for (slot, &d) in digits
        .iter_mut()
        .zip(mantissa.iter().filter(|b| b.is_ascii_digit()))
    {
        *slot = d;
        count += 1;
    }
    // Trailing zeros never show (`%g` without `#`).
    while count > 1 && digits.get(count - 1) == Some(&b'0') {
        count -= 1;
    }
    let digits = digits.get(..count).unwrap_or_default();
    if v < 0.0 {
        out.push(b"-");
    }
    match exp {
        0..=16 => {
            let int_len = (exp as usize + 1).min(digits.len());
            out.push(digits.get(..int_len).unwrap_or_default());
            for _ in digits.len()..exp as usize + 1 {
                out.push(b"0");
            }
            let fraction = digits.get(int_len..).unwrap_or_default();
            if !fraction.is_empty() {
                out.push(b".");
                out.push(fraction);
            }
        }
        -4..=-1 => {
            out.push(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b"0");
            }
            out.push(digits);
        }
        _ => {
            out.push(digits.get(..1).unwrap_or_default());
            if let Some(fraction) = digits.get(1..).filter(|f| !f.is_empty()) {
                out.push(b".");
                out.push(fraction);
            }
            out.push(if exp < 0 { b"e-" } else { b"e+" });
            if exp.abs() < 10 {
                out.push(b"0");
            }
            let mut tmp = [0u8; 21];
            out.push(i64_text(&mut tmp, exp.abs()));
        }
    }
}

/// Appends into a fixed buffer; what does not fit is dropped.
struct ByteCursor<'a> {
    buf: &'a mut [u8; G17_MAX],
    len: usize,
}

impl ByteCursor<'_> {
    fn push(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(G17_MAX);
        if let (Some(dst), Some(src)) =
            (self.buf.get_mut(self.len..end), bytes.get(..end - self.len))
        {
            dst.copy_from_slice(src);
        }
        self.len = end;
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl std::fmt::Write for ByteCursor<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// Wall clock in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    now_us() / 1000
}

/// Wall clock in microseconds since the epoch (read twice per command,
/// so straight from `clock_gettime` rather than through `SystemTime`).
pub fn now_us() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the live local `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    if rc != 0 {
        return SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
    }
    ts.tv_sec
        .saturating_mul(1_000_000)
        .saturating_add(ts.tv_nsec / 1000)
}

/// Expands `{name}` variables in `template` with `value_of` (Redis's
/// `sdstemplate`): `{{` is a literal `{`; `None` for an unknown name or
/// an unterminated variable.
pub fn expand_template(
    template: &[u8],
    value_of: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.iter().position(|&c| c == b'{') {
        out.extend_from_slice(rest.get(..open)?);
        let after = rest.get(open + 1..)?;
        if after.first()? == &b'{' {
            out.push(b'{');
            rest = after.get(1..)?;
            continue;
        }
        let close = after.iter().position(|&c| c == b'}')?;
        out.extend_from_slice(&value_of(after.get(..close)?)?);
        rest = after.get(close + 1..)?;
    }
    out.extend_from_slice(rest);
    Some(out)
}

/// Splits a line into arguments like Redis's `sdssplitargs`: blanks separate,
/// "double quotes" understand `\n \r \t \b \a \\ \"` and `\xHH`, 'single
/// quotes' only `\'`. Returns `None` for unbalanced quotes or a closing quote
/// followed by a non-blank.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut pos = 0;
    while let Some(start) = skip_blanks(line, pos) {
        let (arg, next) = split_one_arg(line, start)?;
        args.push(arg);
        pos = next;
    }
    Some(args)
}

fn at(line: &[u8], pos: usize) -> u8 {
    line.get(pos).copied().unwrap_or(0)
}

fn skip_blanks(line: &[u8], mut pos: usize) -> Option<usize> {
    while is_c_space(at(line, pos)) {
        pos += 1;
    }
    (at(line, pos) != 0).then_some(pos)
}

/// C's `isspace` in the "C" locale.
pub fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Reads one argument starting at `pos`; returns it and the position after it.
fn split_one_arg(line: &[u8], mut pos: usize) -> Option<(Vec<u8>, usize)> {
    let mut current = Vec::new();
    let mut in_double = false;
    let mut in_single = false;
    loop {
        let c = at(line, pos);
        if in_double {
            match c {
                0 => return None,
                b'\\' if at(line, pos + 1) == b'x' => {
                    match (hex_value(at(line, pos + 2)), hex_value(at(line, pos + 3))) {
                        (Some(hi), Some(lo)) => {
                            current.push(hi * 16 + lo);
                            pos += 3;
                        }
                        _ => {
                            current.push(b'x');
                            pos += 1;
                        }
                    }
                }
                b'\\' if at(line, pos + 1) != 0 => {
                    pos += 1;
                    current.push(match at(line, pos) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                }
                b'"' => {
                    if at(line, pos + 1) != 0 && !is_c_space(at(line, pos + 1)) {
                        return None;
                    }
                    return Some((current, pos + 1));
                }
                other => current.push(other),
            }
        } else if in_single {
            match c {
                0 => return None,
                b'\\' if at(line, pos + 1) == b'\'' => {
                    pos += 1;
                    current.push(b'\'');
                }
                b'\'' => {
                    if at(line, pos + 1) != 0 && !is_c_space(at(line, pos + 1)) {
                        return None;
                    }
                    return Some((current, pos + 1));
                }
                other => current.push(other),
            }
        } else {
            match c {
                b' ' | b'\n' | b'\r' | b'\t' | 0 => return Some((current, pos)),
                b'"' => in_double = true,
                b'\'' => in_single = true,
                other => current.push(other),
            }
        }
        pos += 1;
    }
}

/// Renders bytes the way Redis's `sdscatrepr` does: quoted, with escapes.
pub fn repr_bytes(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c as char),
            c => out.push_str(&format!("\\x{:02x}", c)),
        }
    }
    out.push('"');
    out
}

/// Parses a memory size like Redis's `memtoull`: `1gb`, `100mb`, `1k`, plain bytes.
pub fn parse_memory(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let units: [(&str, u64); 8] = [
        ("gb", 1024 * 1024 * 1024),
        ("mb", 1024 * 1024),
        ("kb", 1024),
        ("g", 1000 * 1000 * 1000),
        ("m", 1000 * 1000),
        ("k", 1000),
        ("b", 1),
        ("", 1),
    ];
    for (suffix, mul) in units {
        if let Some(num) = lower.strip_suffix(suffix) {
            if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
                if suffix.is_empty() {
                    return None;
                }
                continue;
            }
            return num.parse::<u64>().ok()?.checked_mul(mul);
        }
    }
    None
}

/// Lowercases an ASCII command name into a stack buffer; `None` if too long.
pub fn lowercase_into<'a>(name: &[u8], buf: &'a mut [u8; 64]) -> Option<&'a [u8]> {
    let dst = buf.get_mut(..name.len())?;
    for (d, s) in dst.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(dst)
}

/// A byte count as Redis's `bytesToHuman` prints it: `512B`, `1.50K`,
/// `2.00M`, ... up to petabytes.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{}B", n);
    }
    let mut scale: u64 = 1024;
    for unit in UNITS {
        let next = scale * 1024; // at most 2^60
        if n < next {
            return format!("{:.2}{}", n as f64 / scale as f64, unit);
        }
        scale = next;
    }
    format!("{}B", n)
}

/// `strerror`-style text of an I/O error (without Rust's `(os error N)`).
pub fn error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Unix time in seconds.
pub fn unix_seconds() -> i64 {
    now_ms() / 1000
}

/// Random lowercase hex text (run ids, replication ids).
pub fn random_hex(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut state = seed();
    while out.len() < len {
        state = splitmix64(state);
        out.push_str(&format!("{:016x}", state));
    }
    out.truncate(len);
    out
}

fn seed() -> u64 {
    let mut buf = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut buf);
    }
    u64::from_le_bytes(buf) ^ (now_us() as u64) ^ u64::from(std::process::id())
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E3779B97F4A7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^ (z >> 31)
}

/// A small fast PRNG for sampling (RANDOMKEY, expiry sampling).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Default for Rng {
    fn default() -> Self {
        Rng(seed())
    }
}

impl Rng {
    /// A generator that gives the same sequence from the same seed.
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = splitmix64(self.0);
        self.0
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(916544), "895.06K");
        assert_eq!(bytes_to_human(6516736), "6.21M");
        assert_eq!(bytes_to_human(25276514304), "23.54G");
    }

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in [&b""[..], b"-0", b"+1", b"01", b" 1", b"1 ", b"1a", b"-"] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn doubles_print_as_libc_g17() {
        let mut state = 0x1234_5678_9abc_def0_u64;
        let mut values = vec![
            0.5,
            2.5e-5,
            1e-5,
            9.5e-6,
            1e16 + 2.0,
            1e17,
            123.456,
            1.0 / 3.0,
        ];
        for _ in 0..20000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = f64::from_bits(state);
            if v.is_finite() {
                values.push(v);
            }
            let scale = 10f64.powi((state >> 58) as i32 - 24);
            values.push((state >> 11) as f64 / (1u64 << 53) as f64 * scale);
            values.push(-(((state >> 40) % 100_000) as f64) / 16.0);
        }
        for v in values {
            let mut c = [0u8; 64];
            // SAFETY: snprintf writes at most c.len() bytes, NUL included, into
            // the buffer, and the format takes exactly one double.
            let n = unsafe { libc::snprintf(c.as_mut_ptr().cast(), c.len(), c"%.17g".as_ptr(), v) };
            let mut ours = [0u8; G17_MAX];
            assert_eq!(double_g17_text(&mut ours, v), &c[..n as usize], "{v:e}");
        }
    }

    #[test]
    fn doubles_print_as_g17() {
        assert_eq!(format_double_g17(1.5), "1.5");
        assert_eq!(format_double_g17(0.1), "0.10000000000000001");
        assert_eq!(format_double_g17(1e20), "1e+20");
        assert_eq!(format_double_g17(123456.0), "123456");
        assert_eq!(format_double_g17(1e-7), "9.9999999999999995e-08");
        assert_eq!(format_double_g17(f64::INFINITY), "inf");
    }

    #[test]
    fn doubles_parse_like_strtod() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1e400"), None);
    }

    #[test]
    fn templates_expand_like_sdstemplate() {
        let vars = |name: &[u8]| (name == b"v").then(|| b"X".to_vec());
        assert_eq!(
            expand_template(b"a {v} {{v}", vars),
            Some(b"a X {v}".to_vec())
        );
        assert_eq!(expand_template(b"{v", vars), None);
        assert_eq!(expand_template(b"x {", vars), None);
        assert_eq!(expand_template(b"{w}", vars), None);
    }

    #[test]
    fn split_args_handles_quotes() {
        let args = split_args(b"set \"a b\" 'c\\'d' \"\\x41\\n\"").unwrap_or_default();
        assert_eq!(
            args,
            vec![
                b"set".to_vec(),
                b"a b".to_vec(),
                b"c'd".to_vec(),
                b"A\n".to_vec()
            ]
        );
        assert_eq!(split_args(b"\"unbalanced"), None);
        assert_eq!(split_args(b"\"a\"b"), None);
        assert_eq!(split_args(b"   "), Some(vec![]));
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("10k"), Some(10_000));
        assert_eq!(parse_memory("512"), Some(512));
        assert_eq!(parse_memory("x"), None);
    }
}
