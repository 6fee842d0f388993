//! The manifest of a multi-part AOF, in Redis 7.0's format: one line per
//! file, `file <name> seq <n> type <b|h|i>`, the base first, then the
//! history files, then the incremental files in order. Names are quoted
//! (Redis's `sdscatrepr`) only when they need it. It is written to a temp
//! file, fsynced and renamed, and the directory fsynced, so a crash leaves
//! the old manifest or the new one.
//!
//! File naming: `<appendfilename>.<seq>.base.rdb` (or `.base.aof`),
//! `<appendfilename>.<seq>.incr.aof`, `<appendfilename>.manifest`.

use crate::server::state::aof::{AofFile, AofFileType, Manifest};
use crate::util::error_text;
use log::warn;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub const MANIFEST_SUFFIX: &str = ".manifest";
pub const TEMP_PREFIX: &str = "temp-";
/// Longest manifest line Redis reads.
const MAX_LINE: usize = 1024;

/// Why a manifest could not be read, as Redis words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub reason: &'static str,
    /// (line number, trimmed line) when a line is at fault.
    pub line: Option<(usize, String)>,
}

fn error(reason: &'static str, line: Option<(usize, &str)>) -> ManifestError {
    ManifestError {
        reason,
        line: line.map(|(n, l)| (n, l.to_string())),
    }
}

/// `<appendfilename>.manifest`.
pub fn manifest_name(appendfilename: &str) -> String {
    format!("{}{}", appendfilename, MANIFEST_SUFFIX)
}

/// The temp file a new manifest is written to before the rename.
pub fn temp_manifest_name(appendfilename: &str) -> String {
    format!("{}{}{}", TEMP_PREFIX, appendfilename, MANIFEST_SUFFIX)
}

/// The temporary incr file used while AOF waits for its first rewrite.
pub fn temp_incr_name(appendfilename: &str) -> String {
    format!("{}{}.incr", TEMP_PREFIX, appendfilename)
}

/// The file a rewrite child writes the new base into.
pub fn rewrite_temp_name(pid: u32) -> String {
    format!("temp-rewriteaof-bg-{}.aof", pid)
}

/// The file a synchronous rewrite (in this process) writes first.
pub fn sync_rewrite_temp_name(pid: u32) -> String {
    format!("temp-rewriteaof-{}.aof", pid)
}

/// `dir/name`.
pub fn path_in(dir: &str, name: &str) -> PathBuf {
    Path::new(dir).join(name)
}

impl Manifest {
    /// Marks the current base (if any) as history and names a new base
    /// with the next sequence number.
    pub fn new_base(&mut self, appendfilename: &str, rdb_format: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = AofFileType::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let suffix = if rdb_format { ".rdb" } else { ".aof" };
        let name = format!("{}.{}.base{}", appendfilename, self.base_seq, suffix);
        self.base = Some(AofFile {
            name: name.clone(),
            seq: self.base_seq,
            kind: AofFileType::Base,
        });
        self.dirty = true;
        name
    }

    /// Adds a new incr file with the next sequence number.
    pub fn new_incr(&mut self, appendfilename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{}.{}.incr.aof", appendfilename, self.incr_seq);
        self.incrs.push(AofFile {
            name: name.clone(),
            seq: self.incr_seq,
            kind: AofFileType::Incr,
        });
        self.dirty = true;
        name
    }

    /// The last incr file, created when there is none.
    pub fn last_incr(&mut self, appendfilename: &str) -> String {
        match self.incrs.last() {
            Some(f) => f.name.clone(),
            None => self.new_incr(appendfilename),
        }
    }

    /// After a rewrite: every incr file but the one being written (the
    /// last, when `keep_last`) becomes history.
    pub fn incrs_to_history(&mut self, keep_last: bool) {
        let keep = usize::from(keep_last && !self.incrs.is_empty());
        let moved = self.incrs.len() - keep;
        for mut f in self.incrs.drain(..moved).rev() {
            f.kind = AofFileType::History;
            self.history.insert(0, f);
        }
        self.dirty = true;
    }

    /// The base and incr files, in loading order.
    pub fn live_files(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(self.incrs.iter())
    }

    /// The manifest's text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incrs.iter())
        {
            let name = if needs_repr(f.name.as_bytes()) {
                crate::util::repr_bytes(f.name.as_bytes())
            } else {
                f.name.clone()
            };
            out.push_str(&format!(
                "file {} seq {} type {}\n",
                name,
                f.seq,
                f.kind.letter()
            ));
        }
        out
    }

    /// Reads a manifest's text with Redis's checks.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut max_seq = 0;
        let mut lines = 0;
        for raw in split_lines(text) {
            lines += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            // A last line without its newline reads as cut off too.
            if raw.len() > MAX_LINE || !raw.ends_with(b"\n") {
                return Err(error("The AOF manifest file contains too long line", None));
            }
            let line = String::from_utf8_lossy(trim(raw)).into_owned();
            let here = Some((lines, line.as_str()));
            let file = parse_line(&line).map_err(|reason| error(reason, here))?;
            match file.kind {
                AofFileType::Base => {
                    if m.base.is_some() {
                        return Err(error("Found duplicate base file information", here));
                    }
                    m.base_seq = file.seq;
                    m.base = Some(file);
                }
                AofFileType::History => m.history.push(file),
                AofFileType::Incr => {
                    if file.seq <= max_seq {
                        return Err(error("Found a non-monotonic sequence number", here));
                    }
                    max_seq = file.seq;
                    m.incr_seq = file.seq;
                    m.incrs.push(file);
                }
            }
        }
        if lines == 0 {
            return Err(error("Found an empty AOF manifest", None));
        }
        Ok(m)
    }

    /// Writes the manifest into `dir` crash-safely when it changed.
    pub fn persist(&mut self, dir: &str, appendfilename: &str) -> bool {
        if !self.dirty {
            return true;
        }
        if write_manifest(dir, appendfilename, &self.to_text()) {
            self.dirty = false;
            true
        } else {
            false
        }
    }
}

/// Lines with their newline (the last one may lack it).
fn split_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split_inclusive(|&b| b == b'\n')
}

fn trim(line: &[u8]) -> &[u8] {
    let is_blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !is_blank(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !is_blank(b))
        .map_or(start, |e| e + 1);
    line.get(start..end).unwrap_or_default()
}

/// One `file <name> seq <n> type <t>` line (more pairs are allowed and
/// ignored, for forward compatibility).
fn parse_line(line: &str) -> Result<AofFile, &'static str> {
    const INVALID: &str = "Invalid AOF manifest file format";
    if line.is_empty() {
        return Err(INVALID);
    }
    let words = crate::util::split_args(line.as_bytes()).ok_or(INVALID)?;
    if words.len() < 6 || words.len() % 2 != 0 {
        return Err(INVALID);
    }
    let (mut name, mut seq, mut kind) = (None, 0i64, None);
    for pair in words.chunks_exact(2) {
        let (key, value) = (&pair[0], &pair[1]);
        if key.eq_ignore_ascii_case(b"file") {
            let text = String::from_utf8_lossy(value).into_owned();
            if text.contains('/') {
                return Err("File can't be a path, just a filename");
            }
            name = Some(text);
        } else if key.eq_ignore_ascii_case(b"seq") {
            seq = crate::util::atoi(value);
        } else if key.eq_ignore_ascii_case(b"type") {
            kind = value.first().copied();
        }
    }
    let (Some(name), Some(kind)) = (name, kind) else {
        return Err(INVALID);
    };
    if seq == 0 {
        return Err(INVALID);
    }
    let kind = match kind {
        b'b' => AofFileType::Base,
        b'h' => AofFileType::History,
        b'i' => AofFileType::Incr,
        _ => return Err("Unknown AOF file type"),
    };
    Ok(AofFile { name, seq, kind })
}

/// Redis's `sdsneedsrepr`: names with spaces, quotes or unprintable bytes
/// are written quoted.
fn needs_repr(s: &[u8]) -> bool {
    s.iter().any(|&c| {
        matches!(c, b'\\' | b'"' | b'\n' | b'\r' | b'\t' | 0x07 | 0x08)
            || !(0x20..0x7f).contains(&c)
            || c == b' '
    })
}

/// Writes `text` as the manifest of `dir` crash-safely, logging failures
/// as Redis does.
fn write_manifest(dir: &str, appendfilename: &str, text: &str) -> bool {
    let name = manifest_name(appendfilename);
    let temp = temp_manifest_name(appendfilename);
    let temp_path = path_in(dir, &temp);
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp_path)
        .map_err(|e| {
            warn!(
                "Can't open the AOF manifest file {}: {}",
                temp,
                error_text(&e)
            )
        })
        .and_then(|mut f| {
            f.write_all(text.as_bytes()).map_err(|e| {
                warn!(
                    "Error trying to write the temporary AOF manifest file {}: {}",
                    temp,
                    error_text(&e)
                )
            })?;
            f.sync_all().map_err(|e| {
                warn!(
                    "Fail to fsync the temp AOF file {}: {}.",
                    temp,
                    error_text(&e)
                )
            })
        });
    if written.is_err() {
        return false;
    }
    let final_path = path_in(dir, &name);
    if let Err(e) = std::fs::rename(&temp_path, &final_path) {
        warn!(
            "Error trying to rename the temporary AOF manifest file {} into {}: {}",
            temp,
            name,
            error_text(&e)
        );
        return false;
    }
    if let Err(e) = fsync_dir(dir) {
        warn!(
            "Fail to fsync AOF directory {}: {}.",
            final_path.display(),
            error_text(&e)
        );
        return false;
    }
    true
}

/// Makes renames and new files in `dir` durable.
pub fn fsync_dir(dir: &str) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_in_redis_order() {
        // The order real Redis 7.0.15 writes after the same steps.
        let mut m = Manifest::default();
        m.new_base("appendonly.aof", true);
        m.new_incr("appendonly.aof");
        m.new_incr("appendonly.aof");
        m.new_base("appendonly.aof", false);
        m.incrs_to_history(true);
        let text = m.to_text();
        assert_eq!(
            text,
            "file appendonly.aof.2.base.aof seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        let back = Manifest::parse(text.as_bytes()).expect("parse");
        assert_eq!(back.base, m.base);
        assert_eq!(back.incrs, m.incrs);
        assert_eq!(back.history, m.history);
        assert_eq!((back.base_seq, back.incr_seq), (2, 2));
    }

    #[test]
    fn names_that_need_it_are_quoted() {
        let mut m = Manifest::default();
        m.new_incr("my file");
        assert_eq!(m.to_text(), "file \"my file.1.incr.aof\" seq 1 type i\n");
        let back = Manifest::parse(m.to_text().as_bytes()).expect("parse");
        assert_eq!(back.incrs[0].name, "my file.1.incr.aof");
    }

    #[test]
    fn bad_manifests_are_refused_with_redis_reasons() {
        let reason = |t: &[u8]| Manifest::parse(t).map(|_| ()).unwrap_err().reason;
        assert_eq!(reason(b""), "Found an empty AOF manifest");
        assert_eq!(reason(b"file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            reason(b"file a seq 1\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            reason(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            reason(b"file a/b seq 1 type b\n"),
            "File can't be a path, just a filename"
        );
        assert!(Manifest::parse(b"# comment\nfile a seq 1 type b\n").is_ok());
    }
}
