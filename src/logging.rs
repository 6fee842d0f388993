//! Log lines in Redis's format, through `log` + `env_logger`:
//! `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`, where the level mark
//! is `.` debug, `-` verbose, `*` notice, `#` warning, and the role is `M`
//! (primary), `S` (replica) or `C` (forked child).

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// Redis's log levels, most verbose first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    Debug,
    Verbose,
    #[default]
    Notice,
    Warning,
    Nothing,
}

impl LogLevel {
    /// The level from its index in `loglevel`'s choices.
    pub fn from_code(code: i32) -> LogLevel {
        match code {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            3 => LogLevel::Warning,
            _ => LogLevel::Notice,
        }
    }
}

static ROLE: AtomicU8 = AtomicU8::new(b'M');

/// Sets the role letter printed in every line.
pub fn set_role(role: u8) {
    ROLE.store(role, Ordering::Relaxed);
}

/// The role letter of this process's log lines.
pub fn role() -> u8 {
    ROLE.load(Ordering::Relaxed)
}

/// The abbreviated name of month `index` (0 is January).
pub fn month_name(index: usize) -> &'static str {
    MONTHS.get(index).copied().unwrap_or("Jan")
}

/// The `log` level that shows exactly what Redis's `loglevel` shows.
pub fn level_filter(level: LogLevel) -> log::LevelFilter {
    match level {
        LogLevel::Debug => log::LevelFilter::Trace,
        LogLevel::Verbose => log::LevelFilter::Debug,
        LogLevel::Notice => log::LevelFilter::Info,
        LogLevel::Warning => log::LevelFilter::Warn,
        LogLevel::Nothing => log::LevelFilter::Off,
    }
}

fn level_mark(level: log::Level) -> char {
    match level {
        log::Level::Trace => '.',
        log::Level::Debug => '-',
        log::Level::Info => '*',
        log::Level::Warn | log::Level::Error => '#',
    }
}

/// Installs the logger: to `logfile` (appending) or stdout when empty.
pub fn init(level: LogLevel, logfile: &str) -> std::io::Result<()> {
    let mut builder = env_logger::Builder::new();
    // The builder lets everything through; `log::set_max_level` filters, so
    // CONFIG SET loglevel can make the log more verbose later.
    builder.filter_level(log::LevelFilter::Trace);
    builder.format(|buf, record| {
        writeln!(
            buf,
            "{}:{} {} {} {}",
            std::process::id(),
            ROLE.load(Ordering::Relaxed) as char,
            timestamp(),
            level_mark(record.level()),
            record.args()
        )
    });
    if logfile.is_empty() {
        builder.target(env_logger::Target::Stdout);
    } else {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)?;
        builder.target(env_logger::Target::Pipe(Box::new(file)));
    }
    // A second init (tests that start two servers in one process) keeps the first.
    let _ = builder.try_init();
    log::set_max_level(level_filter(level));
    Ok(())
}

/// Prints a warning line in the log format on stdout before the logger
/// exists (config file problems at start-up), as Redis does.
pub fn early_warning(msg: &str) {
    println!(
        "{}:{} {} # {}",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        timestamp(),
        msg
    );
}

/// Changes the level at run time (CONFIG SET loglevel).
pub fn set_level(level: LogLevel) {
    log::set_max_level(level_filter(level));
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Local time as `22 Nov 2026 02:30:00.123`.
fn timestamp() -> String {
    let now_us = crate::util::now_us();
    let secs = (now_us / 1_000_000) as libc::time_t;
    let millis = (now_us / 1000) % 1000;
    // SAFETY: `tm` is a plain C struct for which all-zero bytes are valid;
    // localtime_r only writes into the struct we pass and reads `secs`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        month_name(tm.tm_mon as usize),
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        millis
    )
}
