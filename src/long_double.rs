//! C's `long double` on x86-64 (the x87 80-bit extended format: a sign, a
//! 15-bit exponent and a 64-bit significand), as Redis uses it for
//! INCRBYFLOAT, HINCRBYFLOAT and the seconds of blocking timeouts.
//!
//! Rust has no such type, and an `f64` gives other answers: Redis says that
//! `SET n 10` then `INCRBYFLOAT n 9223372036854775807` is
//! `9223372036854775817`, where a 64-bit double says `9223372036854776000`.
//! So this module keeps a value as sign, significand and binary exponent,
//! parses text the way glibc's `strtold` does (through exact big-integer
//! arithmetic, correctly rounded but for one glibc quirk with subnormals), adds and multiplies with round to nearest
//! even, and prints the exact decimal expansion as `printf("%.17Lf")` does.
//!
//! It is pure numbers: it knows nothing of the server.

use std::cmp::Ordering;

/// The exponent of the smallest unit: subnormals count multiples of 2^-16445.
const MIN_EXP: i64 = -16445;
/// The binary order of the smallest normal value, 2^-16382.
const MIN_NORMAL_EXP: i64 = -16382;
/// The exponent of the largest finite value, (2^64 - 1) * 2^16320.
const MAX_EXP: i64 = 16320;
/// Longest text Redis's `string2ld` takes (`MAX_LONG_DOUBLE_CHARS` less the
/// terminating NUL).
const MAX_TEXT: usize = 5 * 1024 - 1;
/// The explicit integer bit of a normal significand.
const TOP_BIT: u64 = 1 << 63;
/// Where an exponent's digits stop counting: far past any value that does
/// not overflow or underflow, and small enough to never overflow an `i64`.
const EXPONENT_CAP: i64 = 1_000_000_000;
/// `%.17Lf` prints 17 digits after the point.
const FRACTION_DIGITS: u32 = 17;
/// Decimal digits of a text (or of a printed number) taken at a time: both
/// 10^15 and 16^15 fit in a `u64`.
const CHUNK_DIGITS: usize = 15;

/// An x87 extended-precision number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `significand * 2^exponent`. Either the significand has its top bit
    /// set and `MIN_EXP <= exponent <= MAX_EXP` (normal), or the exponent is
    /// `MIN_EXP` and the significand is below 2^63 (subnormal, or zero when
    /// it is 0).
    Finite {
        significand: u64,
        exponent: i64,
    },
    Infinite,
    Nan,
}

impl LongDouble {
    /// Positive zero.
    pub const ZERO: LongDouble = LongDouble::zero(false);

    const fn zero(negative: bool) -> LongDouble {
        LongDouble {
            negative,
            kind: Kind::Finite {
                significand: 0,
                exponent: MIN_EXP,
            },
        }
    }

    const fn infinite(negative: bool) -> LongDouble {
        LongDouble {
            negative,
            kind: Kind::Infinite,
        }
    }

    const NAN: LongDouble = LongDouble {
        negative: false,
        kind: Kind::Nan,
    };

    /// Parses text as Redis's `string2ld`: glibc's `strtold` must take all
    /// of it (1 to 5119 bytes, no leading blank), decimal or hexadecimal
    /// (`0x1.8p3`), `inf` or `infinity` in any case. NaN, an overflow to
    /// infinity and a non-zero value that rounds to zero are refused;
    /// subnormal results are kept.
    pub fn parse(text: &[u8]) -> Option<LongDouble> {
        if text.is_empty() || text.len() > MAX_TEXT {
            return None;
        }
        let (negative, body) = split_sign(text);
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::infinite(negative));
        }
        match body {
            [b'0', b'x' | b'X', hex @ ..] => parse_hex(negative, hex),
            _ => parse_decimal(negative, body),
        }
    }

    /// A double's value, exactly (C's promotion of `double` to `long
    /// double`).
    pub fn from_f64(v: f64) -> LongDouble {
        let negative = v.is_sign_negative();
        if v.is_nan() {
            return LongDouble::NAN;
        }
        if v.is_infinite() {
            return LongDouble::infinite(negative);
        }
        if v == 0.0 {
            return LongDouble::zero(negative);
        }
        let bits = v.to_bits();
        let field = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (significand, exponent) = if field == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1u64 << 52, field - 1075)
        };
        round(negative, u128::from(significand), exponent, false)
    }

    /// True unless the value is an infinity or NaN.
    pub fn is_finite(self) -> bool {
        matches!(self.kind, Kind::Finite { .. })
    }

    /// The product with a small integer, rounded to nearest even (Redis
    /// multiplies timeout seconds by 1000 this way).
    pub fn mul_u64(self, factor: u64) -> LongDouble {
        match self.kind {
            Kind::Nan => LongDouble::NAN,
            Kind::Infinite if factor == 0 => LongDouble::NAN,
            Kind::Infinite => self,
            Kind::Finite {
                significand,
                exponent,
            } => {
                let product = u128::from(significand) * u128::from(factor);
                round(self.negative, product, exponent, false)
            }
        }
    }

    /// The smallest integer not below the value, when it is finite and fits
    /// in an `i64` (C's `(long long) ceill(x)` is defined only then).
    pub fn ceil_to_i64(self) -> Option<i64> {
        let Kind::Finite {
            significand,
            exponent,
        } = self.kind
        else {
            return None;
        };
        let magnitude: u128 = if exponent >= 64 {
            return None; // at least 2^64
        } else if exponent >= 0 {
            u128::from(significand) << exponent
        } else {
            let shift = u32::try_from(-exponent).ok()?;
            let whole = significand.checked_shr(shift).unwrap_or(0);
            let has_fraction = whole.checked_shl(shift).unwrap_or(0) != significand;
            // Rounding up moves a positive value away from zero and a
            // negative one towards it.
            u128::from(whole) + u128::from(has_fraction && !self.negative)
        };
        if magnitude >> 64 != 0 {
            return None;
        }
        if self.negative {
            0i64.checked_sub_unsigned(magnitude as u64)
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// The text Redis's `ld2string` makes in human mode, as INCRBYFLOAT
    /// replies: `%.17Lf`, then trailing zeros after the point removed, then
    /// a bare trailing point, and `-0` written `0`; infinities as `inf` and
    /// `-inf`.
    pub fn human_text(self) -> String {
        let sign = if self.negative { "-" } else { "" };
        let (significand, exponent) = match self.kind {
            Kind::Finite {
                significand,
                exponent,
            } => (significand, exponent),
            Kind::Infinite => return format!("{sign}inf"),
            Kind::Nan => return format!("{sign}nan"),
        };
        let fixed = format!("{sign}{}", fixed_17(significand, exponent));
        let trimmed = fixed.trim_end_matches('0');
        let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if trimmed == "-0" {
            "0".to_string()
        } else {
            trimmed.to_string()
        }
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// The sum rounded to nearest even, with IEEE rules for zeros,
    /// infinities and NaN (an exact zero sum is positive).
    fn add(self, other: LongDouble) -> LongDouble {
        let (a, b) = match (self.kind, other.kind) {
            (Kind::Nan, _) | (_, Kind::Nan) => return LongDouble::NAN,
            (Kind::Infinite, Kind::Infinite) if self.negative != other.negative => {
                return LongDouble::NAN
            }
            (Kind::Infinite, _) => return self,
            (_, Kind::Infinite) => return other,
            (
                Kind::Finite {
                    significand: sa,
                    exponent: ea,
                },
                Kind::Finite {
                    significand: sb,
                    exponent: eb,
                },
            ) => ((self.negative, sa, ea), (other.negative, sb, eb)),
        };
        match (a.1, b.1) {
            (0, 0) => return LongDouble::zero(a.0 && b.0),
            (0, _) => return other,
            (_, 0) => return self,
            _ => {}
        }
        let (big, small) = if a.2 >= b.2 { (a, b) } else { (b, a) };
        // Work 62 bits below the larger operand's significand: the smaller
        // one loses bits only when it lies more than 62 binary places lower,
        // and then its lost bits are folded into the lowest bit ("sticky"),
        // far below the rounding position, which gives the correctly rounded
        // result for sums and differences alike.
        let guard = 62;
        let big_sig = u128::from(big.1) << guard;
        let distance = u32::try_from(big.2 - small.2).unwrap_or(u32::MAX);
        let small_full = u128::from(small.1) << guard;
        let small_sig = match small_full.checked_shr(distance) {
            Some(kept) if kept << distance == small_full => kept,
            Some(kept) => kept | 1,
            None => 1,
        };
        let exponent = big.2 - guard;
        if big.0 == small.0 {
            return round(big.0, big_sig + small_sig, exponent, false);
        }
        match big_sig.cmp(&small_sig) {
            Ordering::Greater => round(big.0, big_sig - small_sig, exponent, false),
            Ordering::Less => round(small.0, small_sig - big_sig, exponent, false),
            Ordering::Equal => LongDouble::ZERO,
        }
    }
}

/// Rounds `sig * 2^exp` to the format, to nearest even; `sticky` says the
/// exact value is a little more than that (it may be set only where at least
/// one bit of `sig` is dropped, which every caller ensures).
fn round(negative: bool, sig: u128, exp: i64, sticky: bool) -> LongDouble {
    let bits = i64::from(128 - sig.leading_zeros());
    let shift = (bits - 64).max(MIN_EXP - exp);
    let (significand, exponent) = if shift <= 0 {
        debug_assert!(!sticky, "inexact value without dropped bits");
        let up = u32::try_from(-shift).unwrap_or(0);
        ((sig << up) as u64, exp + shift)
    } else {
        let kept = shift_round_even(sig, u32::try_from(shift).unwrap_or(u32::MAX), sticky);
        if kept >> 64 != 0 {
            (TOP_BIT, exp + shift + 1)
        } else {
            (kept as u64, exp + shift)
        }
    };
    if significand == 0 {
        LongDouble::zero(negative)
    } else if exponent > MAX_EXP {
        LongDouble::infinite(negative)
    } else {
        LongDouble {
            negative,
            kind: Kind::Finite {
                significand,
                exponent,
            },
        }
    }
}

/// `value / 2^shift` rounded to nearest, ties to even; `sticky` says the
/// exact value is a little more than `value`.
fn shift_round_even(value: u128, shift: u32, sticky: bool) -> u128 {
    let kept = value.checked_shr(shift).unwrap_or(0);
    let dropped = value ^ kept.checked_shl(shift).unwrap_or(0);
    let up = match 1u128.checked_shl(shift.saturating_sub(1)) {
        Some(half) if shift > 0 => dropped > half || (dropped == half && (sticky || kept & 1 == 1)),
        _ => false,
    };
    kept + u128::from(up)
}

/// The `%.17Lf` text of `significand * 2^exponent` without its sign.
fn fixed_17(significand: u64, exponent: i64) -> String {
    let scale = 10u128.pow(FRACTION_DIGITS);
    if exponent >= 0 {
        let whole = Big::from_u64(significand).shl(exponent.unsigned_abs());
        return format!("{}.{:017}", whole.into_decimal(), 0);
    }
    // At most 2^64 * 10^17 < 2^121: the value times 10^17 rounded to an
    // integer carries every digit printed.
    let scaled = u128::from(significand) * scale;
    let shift = u32::try_from(exponent.unsigned_abs()).unwrap_or(u32::MAX);
    let rounded = shift_round_even(scaled, shift, false);
    format!("{}.{:017}", rounded / scale, rounded % scale)
}

/// Splits off a leading sign.
fn split_sign(text: &[u8]) -> (bool, &[u8]) {
    match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    }
}

/// A number written in some radix: its significant digits (digit values,
/// most significant first, no leading or trailing zeros; none for zero),
/// how many places the point stands after the last of them (negative when
/// within them), and the exponent written after the marker.
struct Written {
    digits: Vec<u8>,
    point: i64,
    exponent: i64,
}

/// Reads all of `text` as digits with an optional point (at least one
/// digit), then optionally one of `markers`, a sign and decimal digits.
fn read_written(text: &[u8], is_digit: fn(&u8) -> bool, markers: &[u8; 2]) -> Option<Written> {
    let whole_len = text.iter().take_while(|b| is_digit(b)).count();
    let (whole, rest) = text.split_at(whole_len);
    let (fraction, rest) = match rest.split_first() {
        Some((b'.', after)) => after.split_at(after.iter().take_while(|b| is_digit(b)).count()),
        _ => rest.split_at(0),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let exponent = match rest.split_first() {
        None => 0,
        Some((marker, tail)) if markers.contains(marker) => {
            let (negative, digits) = split_sign(tail);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let magnitude = digits.iter().fold(0i64, |acc, d| {
                (acc * 10 + i64::from(d - b'0')).min(EXPONENT_CAP)
            });
            if negative {
                -magnitude
            } else {
                magnitude
            }
        }
        Some(_) => return None,
    };
    let mut digits: Vec<u8> = whole
        .iter()
        .chain(fraction)
        .skip_while(|&&b| b == b'0')
        .map(|&b| match b {
            b'0'..=b'9' => b - b'0',
            _ => (b | 0x20) - b'a' + 10,
        })
        .collect();
    let kept = digits
        .iter()
        .rposition(|&d| d != 0)
        .map_or(0, |last| last + 1);
    let point = (digits.len() - kept) as i64 - fraction.len() as i64;
    digits.truncate(kept);
    Some(Written {
        digits,
        point,
        exponent,
    })
}

fn parse_decimal(negative: bool, body: &[u8]) -> Option<LongDouble> {
    let written = read_written(body, u8::is_ascii_digit, b"eE")?;
    if written.digits.is_empty() {
        return Some(LongDouble::zero(negative));
    }
    // The value is digits * 10^scale, at least 10^(order - 1) and below
    // 10^order.
    let scale = written.exponent + written.point;
    let order = written.digits.len() as i64 + scale;
    // The largest value is about 1.19e4932; half the smallest subnormal
    // about 1.82e-4951.
    if order > 4933 || order <= -4951 {
        return None;
    }
    // 10^scale is 5^scale * 2^scale: the power of two goes to the exponent.
    let mantissa = Big::from_digits(&written.digits, 10);
    let fives = scale.unsigned_abs();
    let (num, den) = if scale >= 0 {
        (mantissa.mul_pow5(fives), Big::from_u64(1))
    } else {
        (mantissa, Big::from_u64(1).mul_pow5(fives))
    };
    reject_range_errors(round_ratio(negative, &num, &den, scale))
}

fn parse_hex(negative: bool, body: &[u8]) -> Option<LongDouble> {
    let written = read_written(body, u8::is_ascii_hexdigit, b"pP")?;
    if written.digits.is_empty() {
        return Some(LongDouble::zero(negative));
    }
    let mantissa = Big::from_digits(&written.digits, 16);
    // The value is mantissa * 2^scale, below 2^order.
    let scale = written.exponent + 4 * written.point;
    let order = mantissa.bit_len() as i64 + scale;
    if order > 16384 || order <= -16446 {
        return None;
    }
    reject_range_errors(round_ratio(negative, &mantissa, &Big::from_u64(1), scale))
}

/// `strtold`'s ERANGE cases that `string2ld` refuses: overflow to infinity
/// and a non-zero value rounded to zero.
fn reject_range_errors(value: LongDouble) -> Option<LongDouble> {
    match value.kind {
        Kind::Finite { significand: 0, .. } | Kind::Infinite | Kind::Nan => None,
        Kind::Finite { .. } => Some(value),
    }
}

/// Rounds `num / den * 2^scale` (both positive) to the format as glibc's
/// `strtold` does.
///
/// glibc rounds correctly, except below the smallest normal (2^-16382): there
/// it rounds the value truncated to 65 significant bits plus a sticky bit for
/// anything lower, and the 65th bit itself is left out of that sticky bit. So
/// `0x1.0000000000000001p-16446`, a little over half the smallest subnormal,
/// reads as an exact half and rounds to zero (which Redis then refuses).
fn round_ratio(negative: bool, num: &Big, den: &Big, scale: i64) -> LongDouble {
    // The ratio is within a factor of two of 2^(natural + 64): divide down
    // to a quotient of 66 or 67 bits.
    let natural = num.bit_len() as i64 - den.bit_len() as i64 + scale - 64;
    let exponent = natural - 2;
    let lift = scale - exponent;
    let (quotient, inexact) = if lift >= 0 {
        num.shl(lift.unsigned_abs()).small_quotient(den)
    } else {
        num.clone().small_quotient(&den.shl(lift.unsigned_abs()))
    };
    let bits = i64::from(128 - quotient.leading_zeros());
    // The leading bit is worth 2^(exponent + bits - 1).
    if exponent + bits > MIN_NORMAL_EXP {
        return round(negative, quotient, exponent, inexact);
    }
    let extra = u32::try_from(bits - 65).unwrap_or(0);
    let first_65 = quotient >> extra;
    let sticky = inexact || first_65 << extra != quotient;
    round(negative, first_65 & !1, exponent + i64::from(extra), sticky)
}

/// A non-negative integer of any size: little-endian 64-bit limbs without
/// zero limbs at the top.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big {
    limbs: Vec<u64>,
}

impl Big {
    fn from_u64(value: u64) -> Big {
        let mut big = Big { limbs: vec![value] };
        big.trim();
        big
    }

    /// The integer whose digits (values below `radix`) are given, most
    /// significant first.
    fn from_digits(digits: &[u8], radix: u64) -> Big {
        let mut big = Big::from_u64(0);
        for chunk in digits.chunks(CHUNK_DIGITS) {
            let value = chunk
                .iter()
                .fold(0u64, |acc, &d| acc * radix + u64::from(d));
            big.mul_add(radix.pow(chunk.len() as u32), value);
        }
        big
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn bit_len(&self) -> u64 {
        self.limbs.last().map_or(0, |top| {
            64 * (self.limbs.len() as u64 - 1) + u64::from(64 - top.leading_zeros())
        })
    }

    /// `self = self * factor + addend`.
    fn mul_add(&mut self, factor: u64, addend: u64) {
        let mut carry = u128::from(addend);
        for limb in &mut self.limbs {
            let wide = u128::from(*limb) * u128::from(factor) + carry;
            *limb = wide as u64;
            carry = wide >> 64;
        }
        if carry != 0 {
            self.limbs.push(carry as u64);
        }
        self.trim();
    }

    /// `self * 5^power`.
    fn mul_pow5(mut self, power: u64) -> Big {
        // 5^27 is the largest power of five below 2^63.
        let mut left = power;
        while left > 0 {
            let step = left.min(27);
            self.mul_add(5u64.pow(step as u32), 0);
            left -= step;
        }
        self
    }

    /// `self * 2^bits`.
    fn shl(&self, bits: u64) -> Big {
        let whole = (bits / 64) as usize;
        let part = (bits % 64) as u32;
        let mut limbs = vec![0u64; whole];
        let mut carry = 0u64;
        for &limb in &self.limbs {
            if part == 0 {
                limbs.push(limb);
            } else {
                limbs.push(limb << part | carry);
                carry = limb >> (64 - part);
            }
        }
        limbs.push(carry);
        let mut big = Big { limbs };
        big.trim();
        big
    }

    /// `self / 2`, rounded down.
    fn halve(&mut self) {
        let mut carry = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let next = *limb & 1;
            *limb = *limb >> 1 | carry << 63;
            carry = next;
        }
        self.trim();
    }

    fn compare(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// `self - other`, for `other <= self`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = false;
        let mut others = other.limbs.iter();
        for limb in &mut self.limbs {
            let subtrahend = others.next().copied().unwrap_or(0);
            let (partial, first) = limb.overflowing_sub(subtrahend);
            let (result, second) = partial.overflowing_sub(u64::from(borrow));
            *limb = result;
            borrow = first || second;
        }
        self.trim();
    }

    /// The quotient `self / den`, which must be below 2^67, and whether
    /// there is a remainder.
    fn small_quotient(mut self, den: &Big) -> (u128, bool) {
        const BITS: u64 = 67;
        let mut step = den.shl(BITS - 1);
        let mut quotient = 0u128;
        for bit in (0..BITS).rev() {
            if self.compare(&step) != Ordering::Less {
                self.sub_assign(&step);
                quotient |= 1 << bit;
            }
            step.halve();
        }
        (quotient, !self.is_zero())
    }

    /// `self / divisor`, returning the remainder.
    fn div_rem_small(&mut self, divisor: u64) -> u64 {
        let mut rem = 0u128;
        for limb in self.limbs.iter_mut().rev() {
            let wide = rem << 64 | u128::from(*limb);
            *limb = (wide / u128::from(divisor)) as u64;
            rem = wide % u128::from(divisor);
        }
        self.trim();
        rem as u64
    }

    fn into_decimal(mut self) -> String {
        let chunk = 10u64.pow(CHUNK_DIGITS as u32);
        let mut chunks = Vec::new();
        loop {
            chunks.push(self.div_rem_small(chunk));
            if self.is_zero() {
                break;
            }
        }
        let mut text = String::new();
        for (i, part) in chunks.iter().rev().enumerate() {
            if i == 0 {
                text.push_str(&part.to_string());
            } else {
                text.push_str(&format!("{part:015}"));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> LongDouble {
        LongDouble::parse(text.as_bytes()).unwrap_or_else(|| panic!("{text:?} refused"))
    }

    fn sum(a: &str, b: &str) -> String {
        (parse(a) + parse(b)).human_text()
    }

    /// `(stored value, increment, INCRBYFLOAT reply)` as Redis 7.0.15 on
    /// x86-64 gives them.
    const REDIS_SUMS: &[(&str, &str, &str)] = &[
        ("10", "9223372036854775807", "9223372036854775817"),
        ("0", "0x1.8p3", "12"),
        ("0", "0X10", "16"),
        ("0", "5.0e3", "5000"),
        ("0.1", "0.2", "0.3"),
        ("1.1", "2.2", "3.3"),
        ("10.5", "0.1", "10.6"),
        ("3.0e3", "1", "3001"),
        ("0", "1e-20", "0"),
        ("0", "-1e-20", "0"),
        ("5", "-5", "0"),
        ("-0", "-0", "0"),
        ("0", "18446744073709551615", "18446744073709551615"),
        ("18446744073709551616", "1", "18446744073709551616"),
        ("9007199254740993", "0", "9007199254740993"),
        ("0", "0.000003814697265625", "0.00000381469726562"),
        ("0", "0.000011444091796875", "0.00001144409179688"),
        ("1", "1e-17", "1.00000000000000001"),
        ("1", "5e-18", "1"),
        ("1", "2.5e-17", "1.00000000000000003"),
        ("1", "1.5e-17", "1.00000000000000001"),
        ("1", "0.123456789012345678", "1.12345678901234568"),
        ("1", "1e17", "100000000000000001"),
        ("1", "123456789.987654321987654321", "123456790.98765432198706549"),
        ("1", "-0.1", "0.9"),
        ("0", ".5", "0.5"),
        ("0", "1.", "1"),
        ("0", "+.5e-3", "0.0005"),
        ("1", "0e1000000", "1"),
        ("0", "3.6e-4951", "0"),
        ("0", "0x1p-16445", "0"),
        (
            "0",
            "1.7976931348623157e308",
            "179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384",
        ),
    ];

    #[test]
    fn sums_match_redis() {
        for (a, b, want) in REDIS_SUMS {
            assert_eq!(sum(a, b), *want, "{a} + {b}");
        }
    }

    #[test]
    fn doubles_promote_exactly() {
        // GEOPOS coordinates as Redis 7.0.15 prints them.
        for (v, want) in [
            (13.361389338970184, "13.36138933897018433"),
            (-85.05112751263943, "-85.05112751263942528"),
            (2.682209014892578e-6, "0.00000268220901489"),
            (-0.0, "0"),
            (180.0, "180"),
            (5e-324, "0"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(LongDouble::from_f64(v).human_text(), want, "{v}");
        }
    }

    #[test]
    fn huge_values_print_every_integer_digit() {
        for (text, len, head, tail) in [
            (
                "1e4932",
                4933,
                "1000000000000000000006018949387963891323",
                "0876379371163141086538418113791886622720",
            ),
            (
                "-1.5e4000",
                4002,
                "-150000000000000000002790469720549138200",
                "2832434800872633022083339964297684975616",
            ),
            (
                "0x1.fffffffffffffffep16383",
                4933,
                "1189731495357231765021263853030970205169",
                "8849149662444156604419552086811989770240",
            ),
        ] {
            let printed = parse(text).human_text();
            assert_eq!(printed.len(), len, "{text}");
            assert!(printed.starts_with(head), "{text}");
            assert!(printed.ends_with(tail), "{text}");
        }
        // The largest finite value, written in decimal, still parses.
        assert_eq!(
            parse("1.18973149535723176502e4932").human_text(),
            parse("0x1.fffffffffffffffep16383").human_text()
        );
    }

    #[test]
    fn refuses_what_string2ld_refuses() {
        let long = format!("1{}", "0".repeat(5119));
        for bad in [
            "",
            " 1",
            "1 ",
            "\t1",
            "1\0",
            "1e",
            "1e+",
            ".",
            "+",
            "-",
            "++1",
            "-+1",
            "1e1.5",
            "0x",
            "0x.",
            "0x1p",
            "0xg",
            "nan",
            "-nan",
            "NaN",
            "nan(1)",
            "infin",
            "in",
            "1,5",
            "1_0",
            // ERANGE: overflow, and non-zero values that round to zero.
            "1e1000000",
            "-1e99999999999999999999",
            "1.2e4932",
            "0x1p16384",
            "1e-4951",
            "0x1p-16446",
            // glibc reads this one, just over half the smallest subnormal,
            // as an exact half and rounds it to zero.
            "0x1.0000000000000001p-16446",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([long])
        {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn accepts_subnormals_infinities_and_long_texts() {
        for tiny in [
            "0x1p-16445",
            "3.6e-4951",
            "0x1.00000000000000001p-16446",
            "-2e-4951",
        ] {
            let value = parse(tiny);
            assert!(value.is_finite() && value != LongDouble::ZERO, "{tiny}");
        }
        for zero in ["0", "-0.0", "0e1000000", "0x0p99999999999", "0.000"] {
            assert_eq!(parse(zero).human_text(), "0", "{zero}");
        }
        for inf in ["inf", "-inf", "+INF", "Infinity", "-iNfInItY"] {
            assert!(!parse(inf).is_finite(), "{inf}");
        }
        let longest = format!("1.{}", "0".repeat(5117));
        assert_eq!(parse(&longest).human_text(), "1");
    }

    #[test]
    fn infinities_and_nan_from_addition() {
        assert!(!(parse("1.18973149535723176502e4932") + parse("1e4913")).is_finite());
        assert!(!(parse("inf") + parse("-inf")).is_finite());
        assert_eq!((parse("-inf") + parse("5")).human_text(), "-inf");
        assert_eq!((parse("inf") + parse("5")).human_text(), "inf");
    }

    #[test]
    fn timeout_milliseconds_like_ceill_of_seconds_times_1000() {
        let ms = |text: &str| parse(text).mul_u64(1000).ceil_to_i64();
        assert_eq!(ms("0.0011"), Some(2));
        assert_eq!(ms("1e-4000"), Some(1));
        assert_eq!(ms("-0.0001"), Some(0));
        assert_eq!(ms("0x10"), Some(16000));
        assert_eq!(ms("0.1"), Some(100));
        assert_eq!(ms("9223372036854775.807"), Some(i64::MAX));
        assert_eq!(ms("9223372036854775.808"), None);
        assert_eq!(ms("-9223372036854775.808"), Some(-i64::MAX));
        assert_eq!(ms("-9223372036854775.809"), None);
        assert_eq!(ms("-inf"), None);
    }
}
