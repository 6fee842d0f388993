//! Crash reports and the watchdog, written to the log as Redis writes them.
//!
//! A fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) logs a bug
//! report (`crashed by signal`, the stack trace) and then dies of the same
//! signal; `crash-log-enabled no` leaves the default action alone. DEBUG
//! PANIC, DEBUG ASSERT and a Rust panic log a report from ordinary code.
//! `watchdog-period` arms SIGALRM from the cron, so a loop iteration that
//! runs longer than the period logs the stack it is stuck in.
//!
//! Signal handlers only do what is async-signal-safe: format into a buffer
//! on the stack, `open`/`write`/`close`, `clock_gettime`,
//! `backtrace_symbols_fd` (after a first `backtrace` call outside any
//! handler, which loads what it needs) and `raise`.

use std::ffi::CString;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;

/// The log file the handlers append to; empty for standard output.
static LOG_PATH: OnceLock<CString> = OnceLock::new();
/// The local time's offset from UTC at start-up, in seconds, so handlers
/// stamp lines without `localtime`.
static UTC_OFFSET_S: AtomicI64 = AtomicI64::new(0);

const FATAL_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGABRT,
];
const MAX_FRAMES: usize = 100;
const REPORT_START: &str = "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n";
const REPORT_END: &str =
    "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n       \
Please report the crash to the reddish developers with the log lines above.\n\n";

/// Remembers where the log goes and, when `crash_log_enabled`, installs
/// the fatal-signal handlers and the panic hook.
pub fn install(logfile: &str, crash_log_enabled: bool) {
    if let Ok(path) = CString::new(logfile) {
        let _ = LOG_PATH.set(path);
    }
    UTC_OFFSET_S.store(local_utc_offset(), Ordering::Relaxed);
    if !crash_log_enabled {
        return;
    }
    warm_up_backtrace();
    for sig in FATAL_SIGNALS {
        set_handler(sig, on_fatal_signal, libc::SA_NODEFER | libc::SA_RESETHAND);
    }
    std::panic::set_hook(Box::new(|panic| {
        let place = panic
            .location()
            .map(|l| format!(" #{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        report_failure(&[
            "------------------------------------------------",
            "!!! Software Failure. Press left mouse button to continue",
            &format!("Guru Meditation: {}{}", panic_text(panic), place),
        ]);
    }));
}

fn panic_text(panic: &std::panic::PanicHookInfo<'_>) -> String {
    if let Some(text) = panic.payload().downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.payload().downcast_ref::<String>() {
        text.clone()
    } else {
        "panic".to_string()
    }
}

/// DEBUG PANIC: a software failure report, then the process ends
/// (`_exit(1)` under `use-exit-on-panic`, otherwise SIGABRT).
pub fn panic(message: &str, use_exit: bool) -> ! {
    report_failure(&[
        "------------------------------------------------",
        "!!! Software Failure. Press left mouse button to continue",
        &format!("Guru Meditation: {}", message),
    ]);
    end_process(use_exit)
}

/// DEBUG ASSERT: a failed assertion report, then the process ends as
/// after DEBUG PANIC.
pub fn assertion_failed(expression: &str, file: &str, line: u32, use_exit: bool) -> ! {
    report_failure(&[
        "=== ASSERTION FAILED ===",
        &format!("==> {}:{} '{}' is not true", file, line, expression),
    ]);
    end_process(use_exit)
}

/// DEBUG SEGFAULT: dies of SIGSEGV, through the crash report when it is on.
pub fn segfault() -> ! {
    // SAFETY: raise is always safe to call. The crash handler ends the
    // process; without it Rust's stack-overflow handler may return, so the
    // signal is raised again under the default action.
    unsafe { libc::raise(libc::SIGSEGV) };
    restore_default(libc::SIGSEGV);
    // SAFETY: as above.
    unsafe { libc::raise(libc::SIGSEGV) };
    end_process(false)
}

fn end_process(use_exit: bool) -> ! {
    if use_exit {
        // SAFETY: _exit ends the process at once; nothing runs after it.
        unsafe { libc::_exit(1) }
    }
    restore_default(libc::SIGABRT);
    std::process::abort()
}

/// Logs the report's opening, `lines` as warnings, the stack trace and
/// the closing text.
fn report_failure(lines: &[&str]) {
    let Some(fd) = open_log() else { return };
    write_all(fd, REPORT_START.as_bytes());
    for line in lines {
        log_line(fd, format_args!("{}", line));
    }
    stack_trace(fd);
    write_all(fd, REPORT_END.as_bytes());
    close_log(fd);
}

/// Arms SIGALRM `period_ms` from now (0 disarms it and ignores the signal).
pub fn set_watchdog(period_ms: u64) {
    if period_ms == 0 {
        schedule_alarm(0);
        // SAFETY: SIG_IGN is a valid disposition for SIGALRM.
        unsafe { libc::signal(libc::SIGALRM, libc::SIG_IGN) };
        return;
    }
    set_handler(libc::SIGALRM, on_watchdog_alarm, 0);
    schedule_alarm(period_ms);
}

/// The cron's re-arm: the alarm fires only if the next cron is late.
pub fn rearm_watchdog(period_ms: u64) {
    if period_ms > 0 {
        schedule_alarm(period_ms);
    }
}

fn schedule_alarm(period_ms: u64) {
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: (period_ms / 1000) as libc::time_t,
            tv_usec: ((period_ms % 1000) * 1000) as libc::suseconds_t,
        },
    };
    // SAFETY: `timer` is a valid itimerval; the old value is not asked for.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) };
}

type SigInfoHandler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

fn set_handler(sig: libc::c_int, handler: SigInfoHandler, flags: libc::c_int) {
    // SAFETY: sigaction is a plain C struct for which zeroed bytes are
    // valid; the handler has the SA_SIGINFO signature and only calls
    // async-signal-safe functions (see the module comment).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_SIGINFO | flags;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(sig, &action, std::ptr::null_mut());
    }
}

fn restore_default(sig: libc::c_int) {
    // SAFETY: SIG_DFL is a valid disposition for any catchable signal.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
}

extern "C" fn on_fatal_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    if let Some(fd) = open_log() {
        write_all(fd, REPORT_START.as_bytes());
        log_line(
            fd,
            format_args!(
                "Redis {} crashed by signal: {}, si_code: {}",
                crate::version::REDIS_VERSION,
                sig,
                signal_code(info)
            ),
        );
        describe_sender(fd, sig, info);
        stack_trace(fd);
        write_all(fd, REPORT_END.as_bytes());
        close_log(fd);
    }
    // SA_RESETHAND restored the default action and SA_NODEFER lets the
    // signal through at once: the process dies of it.
    // SAFETY: raise is async-signal-safe.
    unsafe { libc::raise(sig) };
}

extern "C" fn on_watchdog_alarm(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    if let Some(fd) = open_log() {
        write_all(fd, b"\n");
        log_line(fd, format_args!("--- WATCHDOG TIMER EXPIRED ---"));
        stack_trace(fd);
        log_line(fd, format_args!("--------\n"));
        close_log(fd);
    }
}

fn signal_code(info: *const libc::siginfo_t) -> libc::c_int {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    unsafe { info.as_ref() }.map_or(0, |i| i.si_code)
}

/// The faulting address of SIGSEGV/SIGBUS and who sent a signal by kill().
fn describe_sender(fd: libc::c_int, sig: libc::c_int, info: *const libc::siginfo_t) {
    // SAFETY: as in signal_code.
    let Some(info) = (unsafe { info.as_ref() }) else {
        return;
    };
    // A fault the kernel raised (si_code > 0) has a faulting address.
    if (sig == libc::SIGSEGV || sig == libc::SIGBUS) && info.si_code > 0 {
        // SAFETY: si_addr is the field the kernel fills for these signals.
        let addr = unsafe { info.si_addr() };
        log_line(fd, format_args!("Accessing address: {:p}", addr));
    }
    if info.si_code == libc::SI_USER {
        // SAFETY: si_pid and si_uid are filled for signals sent by kill().
        let (pid, uid) = unsafe { (info.si_pid(), info.si_uid()) };
        log_line(fd, format_args!("Killed by PID: {}, UID: {}", pid, uid));
    }
}

fn stack_trace(fd: libc::c_int) {
    write_all(fd, b"\n------ STACK TRACE ------\n\nBacktrace:\n");
    let mut frames = [std::ptr::null_mut::<libc::c_void>(); MAX_FRAMES];
    // SAFETY: `frames` holds MAX_FRAMES pointers, the count backtrace is
    // given; backtrace_symbols_fd reads only the `n` entries it filled.
    unsafe {
        let n = libc::backtrace(frames.as_mut_ptr(), MAX_FRAMES as libc::c_int);
        libc::backtrace_symbols_fd(frames.as_ptr(), n, fd);
    }
}

/// glibc loads the unwinder on the first backtrace() call, which may
/// allocate: done here so handlers never do it.
fn warm_up_backtrace() {
    let mut frames = [std::ptr::null_mut::<libc::c_void>(); 1];
    // SAFETY: one slot, one frame asked for.
    unsafe { libc::backtrace(frames.as_mut_ptr(), 1) };
}

fn open_log() -> Option<libc::c_int> {
    match LOG_PATH.get() {
        Some(path) if !path.as_bytes().is_empty() => {
            // SAFETY: `path` is NUL-terminated; open is async-signal-safe.
            let fd = unsafe {
                libc::open(
                    path.as_ptr(),
                    libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT,
                    0o644,
                )
            };
            (fd >= 0).then_some(fd)
        }
        _ => Some(libc::STDOUT_FILENO),
    }
}

fn close_log(fd: libc::c_int) {
    if fd != libc::STDOUT_FILENO {
        // SAFETY: `fd` was opened by open_log and is not used afterwards.
        unsafe { libc::close(fd) };
    }
}

fn write_all(fd: libc::c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe the live slice `bytes`.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        let Ok(written) = usize::try_from(n) else {
            return;
        };
        if written == 0 {
            return;
        }
        bytes = bytes.get(written..).unwrap_or_default();
    }
}

/// A log line in the warning format, built on the stack.
fn log_line(fd: libc::c_int, message: fmt::Arguments<'_>) {
    let mut line = StackLine::default();
    let _ = write!(
        line,
        "{}:{} ",
        std::process::id(),
        crate::logging::role() as char
    );
    write_timestamp(&mut line);
    let _ = write!(line, " # {}", message);
    line.finish();
    write_all(fd, line.as_bytes());
}

fn write_timestamp(line: &mut StackLine) {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into `now` and is async-signal-safe.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    let local = now.tv_sec + UTC_OFFSET_S.load(Ordering::Relaxed);
    let (year, month, day) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let _ = write!(
        line,
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        day,
        crate::logging::month_name(month),
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        now.tv_nsec / 1_000_000
    );
}

/// Year, month (0-11) and day of a count of days since 1970-01-01
/// (the proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 2 } else { mp - 10 };
    let year = yoe + era * 400 + i64::from(month <= 1);
    (year, month as usize, day)
}

fn local_utc_offset() -> i64 {
    let now = crate::util::now_ms() / 1000;
    let secs = now as libc::time_t;
    // SAFETY: all-zero bytes are a valid `tm`; localtime_r writes only
    // into it.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    tm.tm_gmtoff
}

/// One log line formatted without allocating; longer text is cut.
struct StackLine {
    buf: [u8; 1024],
    len: usize,
}

impl Default for StackLine {
    fn default() -> Self {
        StackLine {
            buf: [0; 1024],
            len: 0,
        }
    }
}

impl StackLine {
    fn finish(&mut self) {
        let last = self.buf.len() - 1;
        self.len = self.len.min(last);
        if let Some(b) = self.buf.get_mut(self.len) {
            *b = b'\n';
        }
        self.len += 1;
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl fmt::Write for StackLine {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - 1 - self.len.min(self.buf.len() - 1);
        let take = s.len().min(room);
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len + take),
            s.as_bytes().get(..take),
        ) {
            dst.copy_from_slice(src);
            self.len += take;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 0, 1));
        assert_eq!(civil_from_days(19_723), (2024, 0, 1));
        assert_eq!(civil_from_days(20_794), (2026, 11, 7));
        assert_eq!(civil_from_days(-1), (1969, 11, 31));
    }

    #[test]
    fn stack_lines_are_cut_not_overflowed() {
        let mut line = StackLine::default();
        let long = "x".repeat(5000);
        let _ = write!(line, "{}", long);
        line.finish();
        assert_eq!(line.as_bytes().len(), 1024);
        assert_eq!(line.as_bytes().last(), Some(&b'\n'));
    }
}
