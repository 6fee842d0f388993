//! The process title (what `ps` and `/proc/PID/cmdline` show), set the
//! way Redis's `setproctitle` sets it: the title is written over the
//! memory that held the command line and, right after it, the environment
//! strings, whose variables are first copied out of the way. The memory is
//! written through `/proc/self/mem` at the addresses the kernel reports in
//! `/proc/self/stat`, so no raw pointer is involved. Knows nothing of
//! Redis: the server says what the title is.

use std::io;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

/// Longest title (Redis's `SPT_MAXTITLE`).
const MAX_TITLE: usize = 255;

/// The memory a title may take: the command line's strings, and the
/// environment's when they follow without a gap.
#[derive(Debug)]
struct Area {
    start: u64,
    len: usize,
    /// The program name the process was started with (`argv[0]`).
    program: String,
}

static AREA: OnceLock<Option<Area>> = OnceLock::new();

/// Makes titles possible: finds the command line's memory and moves the
/// environment out of it. Call once at start-up, before threads start;
/// `program` is `argv[0]`.
pub fn prepare(program: &str) {
    AREA.get_or_init(|| {
        let (start, len) = title_area().ok()?;
        // setenv stores a copy of each variable, so nothing reads the
        // old strings any more.
        for (name, value) in std::env::vars_os() {
            // set_var refuses (panics on) names it could not look up.
            let settable = !name.is_empty() && !name.as_encoded_bytes().contains(&b'=');
            if settable {
                std::env::set_var(name, value);
            }
        }
        Some(Area {
            start,
            len,
            program: program.to_string(),
        })
    });
}

/// `argv[0]` as the process was started (empty before [`prepare`]).
pub fn program() -> &'static str {
    AREA.get()
        .and_then(Option::as_ref)
        .map_or("", |a| a.program.as_str())
}

/// Shows `title` as the process's command line (cut to what fits); does
/// nothing unless [`prepare`] found the memory.
pub fn set(title: &[u8]) -> io::Result<()> {
    let Some(Some(area)) = AREA.get() else {
        return Ok(());
    };
    let mut memory = vec![0u8; area.len];
    let n = title.len().min(MAX_TITLE).min(area.len.saturating_sub(1));
    if let (Some(to), Some(from)) = (memory.get_mut(..n), title.get(..n)) {
        to.copy_from_slice(from);
    }
    let mem = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/mem")?;
    mem.write_all_at(&memory, area.start)
}

/// Start and length of the command line's strings, extended over the
/// environment's when they follow at once (fields 48 to 51 of
/// `/proc/self/stat`: arg_start, arg_end, env_start, env_end).
fn title_area() -> io::Result<(u64, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let invalid = || io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc/self/stat");
    // Fields after the command name, which ends with the last ')', start
    // at field 3.
    let after_name = stat.rsplit_once(')').ok_or_else(invalid)?.1;
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .skip(48 - 3)
        .take(4)
        .map(|f| f.parse().map_err(|_| invalid()))
        .collect::<io::Result<_>>()?;
    let [arg_start, arg_end, env_start, env_end] = fields[..] else {
        return Err(invalid());
    };
    let end = if env_start == arg_end {
        env_end
    } else {
        arg_end
    };
    let len = usize::try_from(end.saturating_sub(arg_start)).map_err(|_| invalid())?;
    if len == 0 {
        return Err(invalid());
    }
    Ok((arg_start, len))
}
