//! Redis's glob matcher (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE):
//! `*`, `?`, `[abc]`, `[^a-z]`, and `\` to escape, optionally ignoring case.
//!
//! A `*` that failed to match the rest of the pattern anywhere stops earlier
//! `*`s from trying longer matches, which keeps patterns like `a*a*a*a*b`
//! linear instead of exponential.

/// True if `string` matches `pattern`.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_from(pattern, string, nocase, &mut skip_longer)
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_from(mut pat: &[u8], mut s: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    while let (Some(&p0), Some(&c)) = (pat.first(), s.first()) {
        match p0 {
            b'*' => {
                while pat.get(1) == Some(&b'*') {
                    pat = &pat[1..];
                }
                if pat.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_from(&pat[1..], s, nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => pat = &pat[1..],
            b'[' => {
                let (matched, rest) = match_class(&pat[1..], c, nocase);
                if !matched {
                    return false;
                }
                pat = rest;
            }
            _ => {
                let (lit, rest) = match pat {
                    [b'\\', escaped, rest @ ..] => (*escaped, rest),
                    [first, rest @ ..] => (*first, rest),
                    [] => return false,
                };
                if fold(lit, nocase) != fold(c, nocase) {
                    return false;
                }
                pat = rest;
            }
        }
        s = &s[1..];
        if s.is_empty() {
            while pat.first() == Some(&b'*') {
                pat = &pat[1..];
            }
        }
    }
    pat.is_empty() && s.is_empty()
}

/// Matches one character against a `[...]` class whose body starts at
/// `pat`. Returns whether it matched and the pattern after the closing `]`
/// (an unterminated class runs to the end of the pattern).
fn match_class(mut pat: &[u8], c: u8, nocase: bool) -> (bool, &[u8]) {
    let negate = pat.first() == Some(&b'^');
    if negate {
        pat = &pat[1..];
    }
    let mut matched = false;
    loop {
        match pat {
            [b'\\', escaped, ..] => {
                pat = &pat[1..];
                if *escaped == c {
                    matched = true;
                }
            }
            [b']', rest @ ..] => return (matched != negate, rest),
            [] => return (matched != negate, pat),
            [start, b'-', end, ..] => {
                let (mut lo, mut hi) = (*start, *end);
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let ch = fold(c, nocase);
                if ch >= fold(lo, nocase) && ch <= fold(hi, nocase) {
                    matched = true;
                }
                pat = &pat[2..];
            }
            [other, ..] => {
                if fold(*other, nocase) == fold(c, nocase) {
                    matched = true;
                }
            }
        }
        pat = &pat[1..];
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn basics() {
        assert!(glob_match(b"*", b"anything", false));
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"h\\*llo", b"h*llo", false));
        assert!(!glob_match(b"h\\*llo", b"hello", false));
        assert!(glob_match(b"HELLO", b"hello", true));
        assert!(glob_match(b"foo*", b"foo", false));
        assert!(!glob_match(b"foo", b"foobar", false));
        assert!(glob_match(b"a*b*c", b"axxbyyc", false));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let s = vec![b'a'; 60];
        let p = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!glob_match(p, &s, false));
    }

    #[test]
    fn unterminated_class() {
        assert!(glob_match(b"[a", b"a", false));
        assert!(!glob_match(b"[", b"a", false));
    }
}
