//! The report of `redis-check-rdb`, which Redis prints on its standard
//! output when the RDB file it loads at start-up turns out corrupt: the
//! file read again record by record (aux fields, databases, keys counted),
//! then, where it fails, what was being read, and the counts.

use super::reader::{Item, RdbError, Reader};
use crate::util::now_ms;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Redis's names of the RDB value types, by type code.
const TYPE_NAMES: [&str; 20] = [
    "string",
    "list-linked",
    "set-hashtable",
    "zset-v1",
    "hash-hashtable",
    "zset-v2",
    "module-value",
    "",
    "",
    "hash-zipmap",
    "list-ziplist",
    "set-intset",
    "zset-ziplist",
    "hash-ziplist",
    "quicklist",
    "stream",
    "hash-listpack",
    "zset-listpack",
    "quicklist-v2",
    "stream-v2",
];

/// Keys seen so far.
#[derive(Default)]
struct Counts {
    keys: u64,
    expires: u64,
    already_expired: u64,
}

/// Prints the check of the RDB file at `path` to `out`; true when the
/// file is sound.
pub fn print_report(path: &Path, out: &mut impl Write) -> io::Result<bool> {
    writeln!(out, "[offset 0] Checking RDB file {}", path.display())?;
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            writeln!(out, "Cannot open file: {}", e)?;
            return Ok(false);
        }
    };
    let mut reader = Reader::new(file, true).deep_sanitization(true);
    let mut counts = Counts::default();
    match walk(&mut reader, &mut counts, out)? {
        Ok(()) => {
            writeln!(
                out,
                "[offset {}] \\o/ RDB looks OK! \\o/",
                reader.position()
            )?;
            print_counts(&counts, out)?;
            Ok(true)
        }
        Err(e) => {
            print_error(&reader, &e, &mut counts, out)?;
            Ok(false)
        }
    }
}

/// Reads the whole file, printing the records Redis's checker prints.
fn walk(
    reader: &mut Reader<File>,
    counts: &mut Counts,
    out: &mut impl Write,
) -> io::Result<Result<(), RdbError>> {
    if let Err(e) = reader.header() {
        return Ok(Err(e));
    }
    let now = now_ms();
    loop {
        let item = match reader.next_item() {
            Ok(item) => item,
            Err(e) => return Ok(Err(e)),
        };
        let at = reader.position();
        match item {
            Item::Aux(key, value) => writeln!(
                out,
                "[offset {}] AUX FIELD {} = '{}'",
                at,
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&value)
            )?,
            Item::SelectDb(db) => writeln!(out, "[offset {}] Selecting DB ID {}", at, db)?,
            Item::Key(entry) => {
                counts.keys += 1;
                if let Some(when) = entry.expire_ms {
                    counts.expires += 1;
                    counts.already_expired += u64::from(when < now);
                }
            }
            Item::EmptyKey(_) => counts.keys += 1,
            Item::ResizeDb(..) | Item::Function(_) => {}
            Item::Eof => return checksum(reader, out),
        }
    }
}

/// The trailer's verdict.
fn checksum(reader: &mut Reader<File>, out: &mut impl Write) -> io::Result<Result<(), RdbError>> {
    match reader.verify_checksum(true) {
        Ok(true) => writeln!(out, "[offset {}] Checksum OK", reader.position())?,
        Ok(false) => writeln!(
            out,
            "[offset {}] RDB file was saved with checksum disabled: no check performed.",
            reader.position()
        )?,
        Err(e) => return Ok(Err(e)),
    }
    Ok(Ok(()))
}

/// The error block: the error, what was being read, and the counts (the
/// key whose value failed counts as read, as in Redis).
fn print_error(
    reader: &Reader<File>,
    e: &RdbError,
    counts: &mut Counts,
    out: &mut impl Write,
) -> io::Result<()> {
    let at = reader.position();
    let progress = reader.progress();
    writeln!(out, "--- RDB ERROR DETECTED ---")?;
    writeln!(out, "[offset {}] {}", at, error_text(e, at))?;
    writeln!(
        out,
        "[additional info] While doing: {}",
        progress.doing.name()
    )?;
    if let Some(key) = &progress.key {
        counts.keys += 1;
        writeln!(
            out,
            "[additional info] Reading key '{}'",
            String::from_utf8_lossy(key)
        )?;
    }
    if let Some(code) = progress.key_type {
        let name = TYPE_NAMES.get(usize::from(code)).copied().unwrap_or("");
        writeln!(out, "[additional info] Reading type {} ({})", code, name)?;
    }
    print_counts(counts, out)
}

fn print_counts(counts: &Counts, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "[info] {} keys read", counts.keys)?;
    writeln!(out, "[info] {} expires", counts.expires)?;
    writeln!(out, "[info] {} already expired", counts.already_expired)
}

/// An error as the checker words it.
fn error_text(e: &RdbError, at: u64) -> String {
    match e {
        RdbError::Eof | RdbError::Io(_) => "Unexpected EOF reading RDB file".to_string(),
        RdbError::Checksum { .. } => "RDB CRC error".to_string(),
        RdbError::Signature | RdbError::Version(_) | RdbError::Module(_) => e.to_string(),
        RdbError::Corrupt(reason) => {
            format!("Internal error in RDB reading offset {} -> {}", at, reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_of(bytes: &[u8]) -> (bool, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dump.rdb");
        std::fs::write(&path, bytes).expect("write");
        let mut out = Vec::new();
        let ok = print_report(&path, &mut out).expect("report");
        (ok, String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn a_truncated_file_is_reported_with_what_was_read() {
        // Header, an aux field, SELECTDB 0, then a string key cut short.
        let mut file = b"REDIS0009".to_vec();
        file.extend_from_slice(b"\xfa\x09redis-ver\x067.0.15");
        file.extend_from_slice(b"\xfe\x00");
        file.extend_from_slice(b"\x00\x03key\x05val");
        let (ok, text) = report_of(&file);
        assert!(!ok);
        assert!(text.contains("AUX FIELD redis-ver = '7.0.15'"), "{}", text);
        assert!(text.contains("Selecting DB ID 0"), "{}", text);
        assert!(text.contains("--- RDB ERROR DETECTED ---"), "{}", text);
        assert!(
            text.contains("] Unexpected EOF reading RDB file"),
            "{}",
            text
        );
        assert!(text.contains("While doing: read-object-value"), "{}", text);
        assert!(text.contains("Reading key 'key'"), "{}", text);
        assert!(text.contains("Reading type 0 (string)"), "{}", text);
        assert!(text.contains("[info] 1 keys read"), "{}", text);
    }

    #[test]
    fn a_sound_file_looks_ok() {
        let mut file = b"REDIS0009".to_vec();
        file.extend_from_slice(b"\xfe\x00\x00\x03key\x03val\xff");
        file.extend_from_slice(&[0; 8]);
        let (ok, text) = report_of(&file);
        assert!(ok, "{}", text);
        assert!(text.contains("checksum disabled"), "{}", text);
        assert!(text.contains("\\o/ RDB looks OK! \\o/"), "{}", text);
        assert!(text.contains("[info] 1 keys read"), "{}", text);
    }
}
