//! Numbers as lua-cjson reads and writes them through the C library:
//! `printf("%.<p>g")` for encoding and glibc's `strtod` for decoding
//! (decimal, hexadecimal floats, `inf`/`infinity`, `nan` with an optional
//! `(payload)`, longest valid prefix wins).

use crate::util::is_c_space;

/// `snprintf("%.<precision>g", x)` as glibc prints it.
pub fn format_g(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let precision = precision.max(1);
    // Rust's exact formatting rounds half to even on the true binary value,
    // as glibc does; `%g` then picks the style from the rounded exponent.
    let scientific = format!("{:.*e}", precision - 1, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let precision = i64::try_from(precision).unwrap_or(i64::MAX);
    let body = if exponent < -4 || exponent >= precision {
        exponential(&digits, exponent)
    } else {
        fixed(&digits, exponent)
    };
    format!("{sign}{body}")
}

/// `d.ddde±XX` with trailing fraction zeros removed.
fn exponential(digits: &str, exponent: i64) -> String {
    let (first, rest) = digits.split_at(digits.len().min(1));
    let rest = rest.trim_end_matches('0');
    let point = if rest.is_empty() { "" } else { "." };
    let exp_sign = if exponent < 0 { '-' } else { '+' };
    format!(
        "{first}{point}{rest}e{exp_sign}{:02}",
        exponent.unsigned_abs()
    )
}

/// The significant digits placed around the decimal point, trailing
/// fraction zeros removed.
fn fixed(digits: &str, exponent: i64) -> String {
    let (int_part, frac_part) = if exponent >= 0 {
        let split = usize::try_from(exponent + 1).unwrap_or(0).min(digits.len());
        (digits[..split].to_string(), digits[split..].to_string())
    } else {
        let zeros = usize::try_from(-exponent - 1).unwrap_or(0);
        ("0".to_string(), format!("{}{digits}", "0".repeat(zeros)))
    };
    let frac_part = frac_part.trim_end_matches('0');
    if frac_part.is_empty() {
        int_part
    } else {
        format!("{int_part}.{frac_part}")
    }
}

/// glibc `strtod` on the bytes: the value and how many bytes it used, or
/// `None` when no prefix is a number.
pub fn strtod(input: &[u8]) -> Option<(f64, usize)> {
    let blanks = input.iter().take_while(|&&b| is_c_space(b)).count();
    let (negative, sign_len) = sign(input.get(blanks..).unwrap_or_default());
    let pos = blanks + sign_len;
    let rest = input.get(pos..).unwrap_or_default();
    let (magnitude, used) = parse_special(rest)
        .or_else(|| parse_hex(rest))
        .or_else(|| parse_decimal(rest))?;
    let value = if negative { -magnitude } else { magnitude };
    Some((value, pos + used))
}

fn starts_with_ignore_case(input: &[u8], word: &[u8]) -> bool {
    input.len() >= word.len() && input[..word.len()].eq_ignore_ascii_case(word)
}

/// `inf`, `infinity`, `nan`, `nan(chars)`.
fn parse_special(input: &[u8]) -> Option<(f64, usize)> {
    if starts_with_ignore_case(input, b"infinity") {
        return Some((f64::INFINITY, 8));
    }
    if starts_with_ignore_case(input, b"inf") {
        return Some((f64::INFINITY, 3));
    }
    if !starts_with_ignore_case(input, b"nan") {
        return None;
    }
    let after = input.get(3..).unwrap_or_default();
    if after.first() != Some(&b'(') {
        return Some((f64::NAN, 3));
    }
    let chars = after[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    if after.get(1 + chars) != Some(&b')') {
        return Some((f64::NAN, 3));
    }
    let value = nan_with_payload(&after[1..1 + chars]);
    Some((value, 3 + 1 + chars + 1))
}

/// The NaN glibc builds for `nan(chars)`: when the characters are one whole
/// `strtoull(.., 0)` number, its low 51 bits become the payload of the
/// quiet NaN (unless they are all zero).
fn nan_with_payload(chars: &[u8]) -> f64 {
    let Some(mantissa) = parse_c_unsigned(chars) else {
        return f64::NAN;
    };
    let payload = mantissa & ((1u64 << 51) - 1);
    if payload == 0 {
        f64::NAN
    } else {
        f64::from_bits(f64::NAN.to_bits() | payload)
    }
}

/// `strtoull(s, &end, 0)` when it consumes all of `s` (overflow saturates).
fn parse_c_unsigned(s: &[u8]) -> Option<u64> {
    let (radix, digits) = if s.len() > 2 && (s.starts_with(b"0x") || s.starts_with(b"0X")) {
        (16, &s[2..])
    } else if s.len() > 1 && s[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        let digit = u64::from(char::from(b).to_digit(radix)?);
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(digit))
            .unwrap_or(u64::MAX);
    }
    Some(value)
}

/// An optional `-` or `+`: whether it is `-`, and its length.
fn sign(input: &[u8]) -> (bool, usize) {
    match input.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    }
}

/// The digits of a mantissa: integer digits, an optional point and
/// fraction digits (at least one digit in all). Returns both digit runs
/// and the length used.
fn mantissa(input: &[u8], is_digit: fn(&u8) -> bool) -> Option<(&[u8], &[u8], usize)> {
    let int_len = input.iter().take_while(|b| is_digit(b)).count();
    let (int_digits, rest) = input.split_at(int_len);
    let fraction = rest.strip_prefix(b".").map(|after| {
        let len = after.iter().take_while(|b| is_digit(b)).count();
        &after[..len]
    });
    match fraction {
        _ if int_len == 0 && fraction.is_none_or(<[u8]>::is_empty) => None,
        Some(frac_digits) => Some((int_digits, frac_digits, int_len + 1 + frac_digits.len())),
        None => Some((int_digits, &[][..], int_len)),
    }
}

/// Decimal: digits, optional fraction, optional exponent.
fn parse_decimal(input: &[u8]) -> Option<(f64, usize)> {
    let (int_digits, frac_digits, len) = mantissa(input, u8::is_ascii_digit)?;
    let (exponent, exp_len) = parse_exponent(input.get(len..).unwrap_or_default(), b'e');
    let value = decimal_value(int_digits, frac_digits, exponent);
    Some((value, len + exp_len))
}

/// `[eE|pP][+-]digits` at the start of `input`: the exponent (saturated)
/// and its length, or `(0, 0)` when there is no complete exponent.
fn parse_exponent(input: &[u8], marker: u8) -> (i64, usize) {
    if input.first().map(u8::to_ascii_lowercase) != Some(marker) {
        return (0, 0);
    }
    let (negative, sign_len) = sign(&input[1..]);
    let pos = 1 + sign_len;
    let digits = input[pos..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return (0, 0);
    }
    let value = input[pos..pos + digits].iter().fold(0i64, |acc, &b| {
        acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    (if negative { -value } else { value }, pos + digits)
}

/// The correctly rounded value of `int.frac × 10^exponent`, through Rust's
/// parser on a normalised `0.digits e E` whose exponent stays small.
fn decimal_value(int_digits: &[u8], frac_digits: &[u8], exponent: i64) -> f64 {
    let mut digits: Vec<u8> = int_digits.iter().chain(frac_digits).copied().collect();
    let leading_zeros = digits.iter().take_while(|&&b| b == b'0').count();
    digits.drain(..leading_zeros);
    if digits.is_empty() {
        return 0.0;
    }
    let int_len = i64::try_from(int_digits.len()).unwrap_or(i64::MAX);
    let zeros = i64::try_from(leading_zeros).unwrap_or(i64::MAX);
    // Past ±100000 the result is 0 or infinity whatever the digits are.
    let scale = int_len
        .saturating_sub(zeros)
        .saturating_add(exponent)
        .clamp(-100_000, 100_000);
    let text = format!("0.{}e{scale}", String::from_utf8_lossy(&digits));
    text.parse().unwrap_or(0.0)
}

/// Hexadecimal: `0x` hex digits, optional fraction, optional `p` exponent.
fn parse_hex(input: &[u8]) -> Option<(f64, usize)> {
    if !(starts_with_ignore_case(input, b"0x")) {
        return None;
    }
    let body = &input[2..];
    let Some((int_digits, frac_digits, len)) = mantissa(body, u8::is_ascii_hexdigit) else {
        // Just the "0" before the x.
        return Some((0.0, 1));
    };
    let (exponent, exp_len) = parse_exponent(body.get(len..).unwrap_or_default(), b'p');
    let value = hex_value(int_digits, frac_digits, exponent);
    Some((value, 2 + len + exp_len))
}

/// The correctly rounded value of the hex digits `int.frac × 2^exponent`.
fn hex_value(int_digits: &[u8], frac_digits: &[u8], exponent: i64) -> f64 {
    // Collect up to 15 significant hex digits (60 bits) exactly; later
    // nonzero digits only matter as a sticky bit for rounding.
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let mut scale: i64 = 0; // power of two to apply to `mantissa`
    let mut significant = 0;
    for (index, &b) in int_digits.iter().chain(frac_digits).enumerate() {
        let digit = u64::from(char::from(b).to_digit(16).unwrap_or(0));
        let in_fraction = index >= int_digits.len();
        if significant == 0 && digit == 0 {
            if in_fraction {
                scale -= 4;
            }
            continue;
        }
        if significant < 15 {
            mantissa = (mantissa << 4) | digit;
            significant += 1;
            if in_fraction {
                scale -= 4;
            }
        } else {
            sticky |= digit != 0;
            if !in_fraction {
                scale += 4;
            }
        }
    }
    if mantissa == 0 {
        return 0.0;
    }
    compose_binary(mantissa, sticky, scale.saturating_add(exponent))
}

/// Rounds `mantissa × 2^scale` (plus a sticky fraction below it) to the
/// nearest double, ties to even, with subnormals and overflow.
fn compose_binary(mantissa: u64, sticky: bool, scale: i64) -> f64 {
    let bits = 64 - i64::from(mantissa.leading_zeros());
    // Value = 1.xxx × 2^(scale + bits - 1).
    let exponent = scale.saturating_add(bits - 1);
    if exponent > 1023 {
        return f64::INFINITY;
    }
    if exponent < -1076 {
        // Below half the smallest subnormal: rounds to zero.
        return 0.0;
    }
    // Bits of precision available: 53 for normals, fewer for subnormals.
    let precision = if exponent >= -1022 {
        53
    } else {
        53 - (-1022 - exponent)
    };
    let drop = bits - precision; // low bits of `mantissa` to round away
    let (kept, round_up) = if drop <= 0 {
        (mantissa << (-drop).min(63), false)
    } else if drop >= 64 {
        (0, false)
    } else {
        let kept = mantissa >> drop;
        let rest = mantissa & ((1u64 << drop) - 1);
        let half = 1u64 << (drop - 1);
        let above = rest > half || (rest == half && sticky);
        let tie = rest == half && !sticky;
        (kept, above || (tie && kept & 1 == 1))
    };
    let kept = kept + u64::from(round_up);
    // kept × 2^(exponent - precision + 1) is exact now.
    let shift = exponent - precision + 1;
    scale_by_power_of_two(kept as f64, shift)
}

/// `x × 2^shift` for an `x` that stays exact (a 54-bit integer at most).
fn scale_by_power_of_two(mut x: f64, mut shift: i64) -> f64 {
    while shift > 0 {
        let step = shift.min(1000);
        x *= 2f64.powi(step as i32);
        shift -= step;
    }
    while shift < 0 {
        let step = (-shift).min(1000);
        x /= 2f64.powi(step as i32);
        shift += step;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_matches_printf() {
        let cases: &[(f64, usize, &str)] = &[
            (0.0, 14, "0"),
            (-0.0, 14, "-0"),
            (100.0, 14, "100"),
            (0.1, 14, "0.1"),
            (1e15, 14, "1e+15"),
            (1e14, 14, "1e+14"),
            (123456789012345.0, 14, "1.2345678901234e+14"),
            (12345678901234.0, 14, "12345678901234"),
            (0.0001, 14, "0.0001"),
            (0.00001, 14, "1e-05"),
            (1.0 / 3.0, 14, "0.33333333333333"),
            (2.5, 1, "2"),
            (3.5, 1, "4"),
            (1e100, 14, "1e+100"),
            (5e-324, 14, "4.9406564584125e-324"),
            (9.99995, 5, "10"),
            (f64::INFINITY, 14, "inf"),
            (f64::NEG_INFINITY, 14, "-inf"),
        ];
        for &(x, p, want) in cases {
            assert_eq!(format_g(x, p), want, "{x} with precision {p}");
        }
    }

    #[test]
    fn strtod_takes_the_longest_number_prefix() {
        let cases: &[(&str, f64, usize)] = &[
            ("1", 1.0, 1),
            ("-1.5e3x", -1500.0, 6),
            ("1e", 1.0, 1),
            ("1e+", 1.0, 1),
            ("1.", 1.0, 2),
            ("-.5", -0.5, 3),
            ("0x10", 16.0, 4),
            ("0x", 0.0, 1),
            ("0x.8p1", 1.0, 6),
            ("0x1p-1074", 5e-324, 9),
            ("0x1p-1075", 0.0, 9),
            ("0x1.8p-1074", 1e-323, 11),
            ("0x1fffffffffffff8p-3", 36028797018963968.0 / 2.0, 20),
            ("infinity", f64::INFINITY, 8),
            ("-Inf", f64::NEG_INFINITY, 4),
            ("1e400", f64::INFINITY, 5),
            ("1e-400", 0.0, 6),
        ];
        for &(input, value, used) in cases {
            let got = strtod(input.as_bytes());
            assert_eq!(got, Some((value, used)), "{input}");
        }
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b"x"), None);
        let (nan, used) = strtod(b"nan(0x5)").unwrap_or((0.0, 0));
        assert_eq!((nan.to_bits(), used), (0x7ff8_0000_0000_0005, 8));
        let (nan, used) = strtod(b"-nan(").unwrap_or((0.0, 0));
        assert_eq!((nan.to_bits(), used), (0xfff8_0000_0000_0000, 4));
    }
}
