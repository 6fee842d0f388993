//! A dataset shared by the persistence and interop tests: streams over
//! several nodes with deleted and trimmed entries and consumer groups, an
//! empty stream that remembers a deleted entry, and sorted sets of both
//! encodings. Commands are lists of arguments.

use super::words;

/// Builds the keys `s`, `e`, `zsmall` and `zbig`; the same commands give
/// the same values on any server (no clock involved).
pub fn commands() -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = (1..=250)
        .map(|i| words(&format!("XADD s {}-1 f v n {}", i, i)))
        .collect();
    for line in [
        "XADD s 300-0 other field num -70000",
        "XDEL s 2-1 5-1 120-1",
        "XTRIM s MAXLEN 240",
        "XGROUP CREATE s g 0",
        "XGROUP CREATE s g2 $",
        "XGROUP CREATE s old 100-1 ENTRIESREAD 7",
        "XADD e 5-5 a b",
        "XDEL e 5-5",
        "ZADD zsmall 1.5 a -inf b 3 12345",
    ] {
        out.push(words(line));
    }
    for i in 0..200 {
        out.push(words(&format!("ZADD zbig {} m{}", i * 3, i)));
    }
    out
}

/// Reads and claims: pending entries for alice (11-1..13-1), bob (14-1,
/// 15-1) and carol (30-1), and dave without any. They record times, so
/// they differ between two servers.
pub fn group_commands() -> Vec<Vec<String>> {
    [
        "XREADGROUP GROUP g alice COUNT 3 STREAMS s >",
        "XREADGROUP GROUP g bob COUNT 2 STREAMS s >",
        "XCLAIM s g carol 0 30-1 FORCE",
        "XGROUP CREATECONSUMER s g2 dave",
    ]
    .into_iter()
    .map(words)
    .collect()
}
