//! Directive values: how each kind of directive is parsed from its words
//! (config file or CONFIG SET) and printed for CONFIG GET, with Redis's
//! exact rules and error texts.

use super::table::{Directive, Kind, NumFormat, Special};
use std::borrow::Cow;

/// Why a value was refused (the text after `CONFIG SET failed ... - `).
pub type ParseError = Cow<'static, str>;

/// One `save <seconds> <changes>` point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePoint {
    pub seconds: i64,
    pub changes: i32,
}

/// Output buffer limits of one client class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: i64,
}

impl ObufLimit {
    /// Whether `used` output bytes break these limits at `now_s`: at or over
    /// the hard limit, or over the soft limit continuously for more than its
    /// seconds. `soft_since_s` remembers since when the soft limit has been
    /// exceeded (cleared as soon as it is not).
    pub fn exceeded(&self, used: u64, soft_since_s: &mut Option<i64>, now_s: i64) -> bool {
        if self.hard > 0 && used >= self.hard {
            return true;
        }
        if self.soft == 0 || used < self.soft {
            *soft_since_s = None;
            return false;
        }
        let since = *soft_since_s.get_or_insert(now_s);
        now_s - since > self.soft_seconds
    }

    /// The least output that [`ObufLimit::exceeded`] would call too much
    /// at `now_s` (`u64::MAX` when none): the hard limit, or the soft
    /// limit if it has been exceeded since long enough.
    pub fn closing_threshold(&self, soft_since_s: Option<i64>, now_s: i64) -> u64 {
        let hard = if self.hard > 0 { self.hard } else { u64::MAX };
        let soft_expired =
            self.soft > 0 && soft_since_s.is_some_and(|since| now_s - since > self.soft_seconds);
        if soft_expired {
            hard.min(self.soft)
        } else {
            hard
        }
    }
}

/// Index of each class in `client_output_buffer_limits`.
pub mod obuf_class {
    pub const NORMAL: usize = 0;
    pub const REPLICA: usize = 1;
    pub const PUBSUB: usize = 2;
}

/// Client classes with output buffer limits, in Redis's order.
pub const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Redis's default output buffer limits (normal, replica, pubsub).
pub const OBUF_DEFAULTS: [ObufLimit; 3] = [
    ObufLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    ObufLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    ObufLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
];

/// Default `oom-score-adj-values` (primary, replica, background child).
pub const OOM_DEFAULTS: [i32; 3] = [0, 200, 800];
/// Default `save` points.
pub const SAVE_DEFAULTS: [SavePoint; 3] = [
    SavePoint {
        seconds: 3600,
        changes: 1,
    },
    SavePoint {
        seconds: 300,
        changes: 100,
    },
    SavePoint {
        seconds: 60,
        changes: 10000,
    },
];
/// Default `latency-tracking-info-percentiles`.
pub const PERCENTILE_DEFAULTS: [f64; 3] = [50.0, 99.0, 99.9];
/// Default `bind` addresses.
pub const BIND_DEFAULTS: [&str; 2] = ["*", "-::*"];
/// Most addresses `bind` takes.
const BIND_MAX: usize = 16;

/// Keyspace notification classes (`notify-keyspace-events` letters).
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const LOADED: u32 = 1 << 12;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
    /// What `A` stands for (not key-miss, not new).
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    /// Letters of the classes `A` does not cover, in Redis's print order.
    const CLASS_LETTERS: [(u32, u8); 11] = [
        (GENERIC, b'g'),
        (STRING, b'$'),
        (LIST, b'l'),
        (SET, b's'),
        (HASH, b'h'),
        (ZSET, b'z'),
        (EXPIRED, b'x'),
        (EVICTED, b'e'),
        (STREAM, b't'),
        (MODULE, b'd'),
        (NEW, b'n'),
    ];

    /// Parses class letters; `None` on an unknown letter.
    pub fn parse(classes: &[u8]) -> Option<u32> {
        classes.iter().try_fold(0u32, |flags, &c| {
            let bit = match c {
                b'A' => ALL,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b'm' => KEY_MISS,
                other => CLASS_LETTERS.iter().find(|(_, l)| *l == other)?.0,
            };
            Some(flags | bit)
        })
    }

    /// The letters of `flags`, as CONFIG GET prints them.
    pub fn format(flags: u32) -> String {
        let mut out = String::new();
        if flags & ALL == ALL {
            out.push('A');
        } else {
            for (bit, letter) in CLASS_LETTERS {
                if flags & bit != 0 {
                    out.push(letter as char);
                }
            }
        }
        for (bit, letter) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
            if flags & bit != 0 {
                out.push(letter);
            }
        }
        out
    }
}

/// The current value of a directive.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    /// Any integer (unsigned types hold their unsigned value; percentages
    /// are negative).
    Num(i128),
    /// `None` is "not set" for directives where "" means unset.
    Str(Option<Vec<u8>>),
    /// The enum's number (an OR of flags for multi-word enums).
    Enum(i32),
    /// The directory last changed to (CONFIG GET reads the real cwd).
    Dir(Vec<u8>),
    Save(Vec<SavePoint>),
    ObufLimits([ObufLimit; 3]),
    OomScores([i32; 3]),
    Notify(u32),
    Bind(Vec<String>),
    /// Primary host and port.
    ReplicaOf(Option<(String, i32)>),
    Percentiles(Vec<f64>),
}

impl Value {
    /// The value a directive has before any configuration.
    pub fn default_for(d: &Directive) -> Value {
        match d.kind {
            Kind::Bool { default, .. } => Value::Bool(default),
            Kind::Num { default, .. } => Value::Num(default),
            Kind::Str { default, .. } => Value::Str(default.map(|s| s.as_bytes().to_vec())),
            Kind::Enum { default, .. } => Value::Enum(default),
            Kind::Special(s) => match s {
                Special::Dir => Value::Dir(Vec::new()),
                Special::Save => Value::Save(SAVE_DEFAULTS.to_vec()),
                Special::ClientOutputBufferLimit => Value::ObufLimits(OBUF_DEFAULTS),
                Special::OomScoreAdjValues => Value::OomScores(OOM_DEFAULTS),
                Special::NotifyKeyspaceEvents => Value::Notify(0),
                Special::Bind => Value::Bind(BIND_DEFAULTS.iter().map(|s| s.to_string()).collect()),
                Special::ReplicaOf => Value::ReplicaOf(None),
                Special::LatencyTrackingInfoPercentiles => {
                    Value::Percentiles(PERCENTILE_DEFAULTS.to_vec())
                }
            },
        }
    }

    pub fn as_bool(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub fn as_num(&self) -> i128 {
        match self {
            Value::Num(n) => *n,
            Value::Enum(n) => i128::from(*n),
            _ => 0,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => s.as_deref(),
            _ => None,
        }
    }

    /// The text of a string value ("" when unset).
    pub fn as_string(&self) -> String {
        String::from_utf8_lossy(self.as_bytes().unwrap_or_default()).into_owned()
    }
}

/// Parses the words of directive `d`. `current` is its value now (client
/// output buffer limits only change the classes given).
pub fn parse(d: &Directive, args: &[&[u8]], current: &Value) -> Result<Value, ParseError> {
    let first = args.first().copied().unwrap_or_default();
    match d.kind {
        Kind::Bool { check, .. } => {
            let on = parse_yes_no(first)?;
            if let Some(check) = check {
                check(on).map_err(Cow::Borrowed)?;
            }
            Ok(Value::Bool(on))
        }
        Kind::Num {
            min,
            max,
            unsigned,
            format,
            ..
        } => parse_num(first, min, max, unsigned, format).map(Value::Num),
        Kind::Str {
            empty_is_null,
            check,
            ..
        } => {
            if let Some(check) = check {
                check(first).map_err(Cow::Borrowed)?;
            }
            let unset = empty_is_null && first.is_empty();
            Ok(Value::Str((!unset).then(|| first.to_vec())))
        }
        Kind::Enum { names, check, .. } => {
            let value = parse_enum(names, args, d.has(super::table::flag::MULTI_ARG))?;
            if let Some(check) = check {
                check(value).map_err(Cow::Borrowed)?;
            }
            Ok(Value::Enum(value))
        }
        Kind::Special(s) => parse_special(s, args, current),
    }
}

fn parse_special(s: Special, args: &[&[u8]], current: &Value) -> Result<Value, ParseError> {
    match s {
        Special::Dir => match args {
            [path] => Ok(Value::Dir(path.to_vec())),
            _ => Err(WRONG_ARGS.into()),
        },
        Special::Save => parse_save(args).map(Value::Save),
        Special::ClientOutputBufferLimit => {
            let mut limits = match current {
                Value::ObufLimits(l) => *l,
                _ => OBUF_DEFAULTS,
            };
            parse_obuf_limits(args, &mut limits)?;
            Ok(Value::ObufLimits(limits))
        }
        Special::OomScoreAdjValues => parse_oom_scores(args).map(Value::OomScores),
        Special::NotifyKeyspaceEvents => match args {
            [classes] => notify::parse(classes)
                .map(Value::Notify)
                .ok_or(Cow::Borrowed(
                    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
                )),
            _ => Err(WRONG_ARGS.into()),
        },
        Special::Bind => parse_bind(args).map(Value::Bind),
        Special::ReplicaOf => parse_replicaof(args).map(Value::ReplicaOf),
        Special::LatencyTrackingInfoPercentiles => parse_percentiles(args).map(Value::Percentiles),
    }
}

/// The error for a directive given the wrong number of words.
pub const WRONG_ARGS: &str = "wrong number of arguments";

/// A single empty word (`save ""`, `bind ""`) stands for no words at all.
pub fn lone_empty_is_none<'a, 'b>(args: &'a [&'b [u8]]) -> &'a [&'b [u8]] {
    match args {
        [[]] => &[],
        _ => args,
    }
}

fn parse_yes_no(v: &[u8]) -> Result<bool, ParseError> {
    if v.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if v.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

/// Parses a number the way Redis's numeric configs do: memory units,
/// percentages or octal when the directive allows them, then bounds.
fn parse_num(
    text: &[u8],
    min: i128,
    max: i128,
    unsigned: bool,
    format: NumFormat,
) -> Result<i128, ParseError> {
    let ll = parse_num_text(text, format)?;
    let value = if unsigned {
        i128::from(ll as u64)
    } else {
        i128::from(ll)
    };
    if !unsigned && format == NumFormat::MemoryOrPercent && value < 0 {
        if value < min {
            return Err(format!("percentage argument must be less or equal to {}", -min).into());
        }
        return Ok(value);
    }
    if value < min || value > max {
        return Err(if format == NumFormat::Octal {
            format!("argument must be between {:o} and {:o} inclusive", min, max)
        } else {
            format!("argument must be between {} and {} inclusive", min, max)
        }
        .into());
    }
    Ok(value)
}

/// The number in `text` as Redis's `long long` (memory values wrap).
fn parse_num_text(text: &[u8], format: NumFormat) -> Result<i64, ParseError> {
    let memory = matches!(format, NumFormat::Memory | NumFormat::MemoryOrPercent);
    if memory {
        if let Some(v) = memtoull(text) {
            return Ok(v as i64);
        }
    }
    if format == NumFormat::MemoryOrPercent {
        if let Some(n) = text
            .strip_suffix(b"%")
            .filter(|n| !n.is_empty())
            .and_then(crate::util::parse_i64)
            .filter(|n| *n >= 0)
        {
            return Ok(-n);
        }
    }
    if format == NumFormat::Octal {
        let (v, end, overflow) = c_strtoll(text, 8);
        if !overflow && end == text.len() {
            return Ok(v);
        }
    }
    if format == NumFormat::Int {
        if let Some(v) = crate::util::parse_i64(text) {
            return Ok(v);
        }
    }
    Err(match format {
        NumFormat::MemoryOrPercent => "argument must be a memory or percent value",
        NumFormat::Memory => "argument must be a memory value",
        NumFormat::Octal => "argument couldn't be parsed as an octal number",
        NumFormat::Int => "argument couldn't be parsed into an integer",
    }
    .into())
}

/// Redis's `memtoull`: digits then an optional unit (`b k kb m mb g gb`,
/// any case). Like the C code, an empty number is 0 and overflow wraps.
pub fn memtoull(p: &[u8]) -> Option<u64> {
    if p.first() == Some(&b'-') {
        return None;
    }
    let digits = p.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = p[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let value = p[..digits].iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    Some(value.unwrap_or(u64::MAX).wrapping_mul(mul))
}

/// C's `strtoll`: leading blanks, a sign, digits in `radix`. Returns the
/// value (clamped on overflow), where parsing stopped (0 when no digit was
/// read) and whether it overflowed.
pub fn c_strtoll(s: &[u8], radix: u32) -> (i64, usize, bool) {
    let mut pos = s
        .iter()
        .take_while(|&&c| crate::util::is_c_space(c))
        .count();
    let negative = match s.get(pos) {
        Some(b'-') => {
            pos += 1;
            true
        }
        Some(b'+') => {
            pos += 1;
            false
        }
        _ => false,
    };
    let start = pos;
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(pos).and_then(|&c| (c as char).to_digit(radix)) {
        match magnitude
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(m) => magnitude = m,
            None => overflow = true,
        }
        pos += 1;
    }
    if pos == start {
        return (0, 0, false);
    }
    let limit = if negative {
        i64::MIN.unsigned_abs()
    } else {
        i64::MAX as u64
    };
    if overflow || magnitude > limit {
        return (if negative { i64::MIN } else { i64::MAX }, pos, true);
    }
    let value = if negative {
        (magnitude as i64).wrapping_neg()
    } else {
        magnitude as i64
    };
    (value, pos, false)
}

/// `strtoll` that must consume the whole argument.
fn whole_strtoll(s: &[u8]) -> Option<i64> {
    let (v, end, _) = c_strtoll(s, 10);
    (end == s.len()).then_some(v)
}

/// Redis's enum matching; multi-word enums OR their flags together.
fn parse_enum(names: &[(&str, i32)], args: &[&[u8]], bitflags: bool) -> Result<i32, ParseError> {
    let matched = if args.is_empty() || (!bitflags && args.len() != 1) {
        None
    } else {
        args.iter().try_fold(0i32, |acc, arg| {
            let hits: Vec<i32> = names
                .iter()
                .filter(|(n, _)| arg.eq_ignore_ascii_case(n.as_bytes()))
                .map(|&(_, v)| v)
                .collect();
            (!hits.is_empty()).then(|| hits.iter().fold(acc, |a, v| a | v))
        })
    };
    matched.ok_or_else(|| {
        let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        let mut msg = format!(
            "argument(s) must be one of the following: {}",
            list.join(", ")
        );
        // Redis builds this text in a 256-byte buffer.
        msg.truncate(255);
        msg.into()
    })
}

/// The name(s) of an enum value, as CONFIG GET prints them.
pub fn enum_name(names: &[(&str, i32)], value: i32, bitflags: bool) -> String {
    if let Some((n, _)) = names.iter().find(|(_, v)| *v == value) {
        return n.to_string();
    }
    if !bitflags {
        return "unknown".into();
    }
    let mut unmatched = value;
    let mut parts = Vec::new();
    for &(n, v) in names {
        if v != 0 && v == unmatched & v {
            parts.push(n);
            unmatched &= !v;
        }
    }
    if parts.is_empty() || unmatched != 0 {
        return "unknown".into();
    }
    parts.join(" ")
}

fn parse_save(args: &[&[u8]]) -> Result<Vec<SavePoint>, ParseError> {
    const INVALID: &str = "Invalid save parameters";
    let args = lone_empty_is_none(args);
    if !args.len().is_multiple_of(2) {
        return Err(INVALID.into());
    }
    args.chunks(2)
        .map(|pair| {
            let seconds = whole_strtoll(pair[0]).filter(|s| *s >= 1);
            let changes = whole_strtoll(pair[1]).filter(|c| *c >= 0);
            match (seconds, changes) {
                (Some(seconds), Some(changes)) => Ok(SavePoint {
                    seconds,
                    changes: changes as i32,
                }),
                _ => Err(INVALID.into()),
            }
        })
        .collect()
}

/// Updates the classes named in `<class> <hard> <soft> <seconds> ...`,
/// all or nothing.
fn parse_obuf_limits(args: &[&[u8]], limits: &mut [ObufLimit; 3]) -> Result<(), ParseError> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut updated = *limits;
    for group in args.chunks(4) {
        let class = obuf_class(group[0]).ok_or(Cow::Borrowed(
            "Invalid client class specified in buffer limit configuration.",
        ))?;
        let (seconds, end, _) = c_strtoll(group[3], 10);
        let seconds = seconds as i32;
        match (memtoull(group[1]), memtoull(group[2])) {
            (Some(hard), Some(soft)) if seconds >= 0 && end == group[3].len() => {
                updated[class] = ObufLimit {
                    hard,
                    soft,
                    soft_seconds: i64::from(seconds),
                };
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    *limits = updated;
    Ok(())
}

fn obuf_class(name: &[u8]) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    match lower.as_slice() {
        b"normal" => Some(0),
        b"slave" | b"replica" => Some(1),
        b"pubsub" => Some(2),
        _ => None,
    }
}

fn parse_oom_scores(args: &[&[u8]]) -> Result<[i32; 3], ParseError> {
    if args.len() != 3 {
        return Err(WRONG_ARGS.into());
    }
    let mut out = [0i32; 3];
    for (slot, arg) in out.iter_mut().zip(args) {
        *slot = whole_strtoll(arg)
            .filter(|v| (-2000..=2000).contains(v))
            .ok_or(Cow::Borrowed(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
            ))? as i32;
    }
    if out[1] < out[0] || out[2] < out[1] {
        log::warn!("The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.");
    }
    Ok(out)
}

fn parse_bind(args: &[&[u8]]) -> Result<Vec<String>, ParseError> {
    if args.len() > BIND_MAX {
        return Err("Too many bind addresses specified.".into());
    }
    let args = lone_empty_is_none(args);
    Ok(args
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect())
}

fn parse_replicaof(args: &[&[u8]]) -> Result<Option<(String, i32)>, ParseError> {
    let [host, port] = args else {
        return Err(WRONG_ARGS.into());
    };
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        return Ok(None);
    }
    let (p, end, _) = c_strtoll(port, 10);
    let p = p as i32;
    if !(0..=65535).contains(&p) || end != port.len() {
        return Err("Invalid master port".into());
    }
    Ok(Some((String::from_utf8_lossy(host).into_owned(), p)))
}

fn parse_percentiles(args: &[&[u8]]) -> Result<Vec<f64>, ParseError> {
    let args = lone_empty_is_none(args);
    args.iter()
        .map(|a| {
            let p = crate::util::parse_f64(a).ok_or(Cow::Borrowed(
                "Invalid latency-tracking-info-percentiles parameters",
            ))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(Cow::Borrowed(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
                ));
            }
            Ok(p)
        })
        .collect()
}

/// `%f` without trailing zeros (`99.9`, `50`).
pub fn format_percentile(p: f64) -> String {
    let text = format!("{:.6}", p);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The CONFIG GET text of a value.
pub fn get_text(d: &Directive, v: &Value) -> Vec<u8> {
    match (v, d.kind) {
        (Value::Str(s), _) => s.clone().unwrap_or_default(),
        (Value::Dir(_), _) => current_dir(),
        (Value::Enum(n), Kind::Enum { names, .. }) => {
            enum_name(names, *n, d.has(super::table::flag::MULTI_ARG)).into_bytes()
        }
        (Value::Num(n), Kind::Num { format, .. }) => format_num(*n, format).into_bytes(),
        _ => compound_text(v).into_bytes(),
    }
}

fn format_num(n: i128, format: NumFormat) -> String {
    match format {
        NumFormat::MemoryOrPercent if n < 0 => format!("{}%", -n),
        NumFormat::Octal => format!("{:o}", n),
        _ => n.to_string(),
    }
}

/// Text of yes/no and of the special directives' values.
fn compound_text(v: &Value) -> String {
    match v {
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Save(points) => points
            .iter()
            .map(|p| format!("{} {}", p.seconds, p.changes))
            .collect::<Vec<_>>()
            .join(" "),
        Value::ObufLimits(limits) => OBUF_CLASSES
            .iter()
            .zip(limits)
            .map(|(class, l)| format!("{} {} {} {}", class, l.hard, l.soft, l.soft_seconds))
            .collect::<Vec<_>>()
            .join(" "),
        Value::OomScores(s) => format!("{} {} {}", s[0], s[1], s[2]),
        Value::Notify(flags) => notify::format(*flags),
        Value::Bind(addrs) => addrs.join(" "),
        Value::ReplicaOf(Some((host, port))) => format!("{} {}", host, port),
        Value::Percentiles(p) => p
            .iter()
            .map(|p| format_percentile(*p))
            .collect::<Vec<_>>()
            .join(" "),
        Value::ReplicaOf(None) | Value::Num(_) | Value::Str(_) | Value::Enum(_) | Value::Dir(_) => {
            String::new()
        }
    }
}

/// The working directory ("" if it cannot be read).
pub fn current_dir() -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    std::env::current_dir()
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .unwrap_or_default()
}

/// C's `strerror` text of an I/O error (without Rust's "(os error N)").
pub fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_threshold_agrees_with_exceeded() {
        let limit = ObufLimit {
            hard: 1000,
            soft: 100,
            soft_seconds: 5,
        };
        for (since, now) in [(None, 50), (Some(48), 50), (Some(40), 50)] {
            let threshold = limit.closing_threshold(since, now);
            for used in [0, 99, 100, 500, 999, 1000, 5000] {
                let mut soft_since = since;
                let closes = limit.exceeded(used, &mut soft_since, now);
                assert_eq!(used >= threshold, closes, "used {used} since {since:?}");
            }
        }
        assert_eq!(
            ObufLimit::default().closing_threshold(Some(0), 50),
            u64::MAX
        );
    }

    #[test]
    fn memory_values_follow_memtoull() {
        assert_eq!(memtoull(b"1gb"), Some(1 << 30));
        assert_eq!(memtoull(b"1GB"), Some(1 << 30));
        assert_eq!(memtoull(b"10k"), Some(10_000));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"kb"), Some(0));
        assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull(b"17179869184gb"), Some(0));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b" 5"), None);
        assert_eq!(memtoull(b"1x"), None);
    }

    #[test]
    fn strtoll_like_c() {
        assert_eq!(c_strtoll(b" 12", 10), (12, 3, false));
        assert_eq!(c_strtoll(b"+7x", 10), (7, 2, false));
        assert_eq!(c_strtoll(b"", 10), (0, 0, false));
        assert_eq!(c_strtoll(b"-", 10), (0, 0, false));
        assert_eq!(c_strtoll(b"777", 8), (511, 3, false));
        assert!(c_strtoll(b"99999999999999999999", 10).2);
    }

    #[test]
    fn notify_flags_round_trip() {
        assert_eq!(
            notify::parse(b"KEA").map(notify::format),
            Some("AKE".into())
        );
        assert_eq!(notify::parse(b"Ex").map(notify::format), Some("xE".into()));
        assert_eq!(notify::parse(b"Q"), None);
        assert_eq!(notify::parse(b""), Some(0));
    }

    #[test]
    fn enum_names_and_flags() {
        let shutdown = super::super::table::SHUTDOWN_FLAGS;
        assert_eq!(enum_name(shutdown, 5, true), "save now");
        assert_eq!(enum_name(shutdown, 0, true), "default");
        assert_eq!(parse_enum(shutdown, &[b"now", b"SAVE"], true).ok(), Some(5));
        assert!(parse_enum(shutdown, &[b"now", b"x"], true).is_err());
        assert!(parse_enum(shutdown, &[b"now", b"save"], false).is_err());
    }

    #[test]
    fn percentiles_print_trimmed() {
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(0.0), "0");
    }
}
