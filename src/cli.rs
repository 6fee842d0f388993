//! The command line, as `redis-server` reads it:
//! `reddish-server [/path/redis.conf] [--directive value ...] [-]`.
//!
//! clap handles `-v/--version` and `-h/--help`; everything else follows
//! Redis's rules: a first argument not starting with `-` is the config file,
//! each `--name` starts a directive line whose following arguments are its
//! values (so `--replicaof host port` and `--save "900 1"` work), and a `-`
//! first or last reads more config from stdin. File, then stdin, then the
//! options: the last value of a directive wins.

use crate::config::{Config, ConfigError};
use crate::server::{Server, SHUTDOWN_SIGNAL};
use crate::util::repr_bytes;
use log::{info, warn};
use std::io::Read;
use std::sync::atomic::Ordering;

/// The Redis version reddish is compatible with (clients check it).
pub const REDIS_VERSION: &str = "7.0.15";

const USAGE: &str = "Usage: ./reddish-server [/path/to/redis.conf] [options] [-]
       ./reddish-server - (read config from stdin)
       ./reddish-server -v or --version
       ./reddish-server -h or --help

Examples:
       ./reddish-server (run the server with default conf)
       echo 'maxmemory 128mb' | ./reddish-server -
       ./reddish-server /etc/redis/6379.conf
       ./reddish-server --port 7777
       ./reddish-server --port 7777 --replicaof 127.0.0.1 8888
       ./reddish-server /etc/myredis.conf --loglevel verbose -
       ./reddish-server /etc/myredis.conf --loglevel verbose
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Invocation {
    pub config_file: Option<String>,
    pub read_stdin: bool,
    /// Directive lines built from `--name value` arguments.
    pub options: String,
}

/// Entry point: returns the process exit status.
pub fn main(argv: Vec<String>) -> i32 {
    if let Some(code) = handle_info_flags(&argv) {
        return code;
    }
    let invocation = parse_invocation(&argv);
    let mut config = Config::default();
    if let Err(e) = load_config(&mut config, &invocation) {
        report_config_error(&e);
        return 1;
    }
    if let Err(e) = crate::logging::init(config.loglevel, &config.logfile) {
        eprintln!("Can't open the log file: {}", e);
        return 1;
    }
    if config.daemonize {
        daemonize();
    }
    start(
        config,
        argv.len() == 1,
        argv.first().map(String::as_str).unwrap_or("reddish-server"),
    )
}

/// `-v`, `--version`, `-h`, `--help` through clap; `None` when the server should start.
fn handle_info_flags(argv: &[String]) -> Option<i32> {
    let first = argv.get(1)?;
    if !matches!(first.as_str(), "-v" | "--version" | "-h" | "--help") {
        return None;
    }
    let cmd = clap::Command::new("reddish-server")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue),
        )
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::SetTrue),
        );
    let matches = cmd.try_get_matches_from(&argv[..2]).ok()?;
    if matches.get_flag("version") {
        println!(
            "Redis server v={} sha=00000000:0 malloc=libc bits=64 build=reddish-{}",
            REDIS_VERSION,
            env!("CARGO_PKG_VERSION")
        );
        return Some(0);
    }
    eprint!("{}", USAGE);
    Some(0)
}

/// Splits the arguments into config file, stdin flag and directive lines.
pub fn parse_invocation(argv: &[String]) -> Invocation {
    let mut inv = Invocation {
        config_file: None,
        read_stdin: false,
        options: String::new(),
    };
    let mut j = 1;
    if let Some(first) = argv.get(1) {
        if !first.starts_with('-') {
            inv.config_file = Some(first.clone());
            j = 2;
        }
    }
    let last = argv.len().saturating_sub(1);
    let mut name_pending_value = false;
    while j < argv.len() {
        let arg = &argv[j];
        if arg == "-" && (j == 1 || j == last) {
            inv.read_stdin = true;
        } else if !name_pending_value && arg.starts_with("--") {
            if !inv.options.is_empty() {
                inv.options.push('\n');
            }
            inv.options.push_str(&arg[2..]);
            inv.options.push(' ');
            let words = crate::util::split_args(arg.as_bytes())
                .map(|w| w.len())
                .unwrap_or(1);
            name_pending_value = words == 1;
            let next_is_option = argv.get(j + 1).is_some_and(|n| n.starts_with("--"));
            if name_pending_value
                && arg.eq_ignore_ascii_case("--save")
                && (next_is_option || j == last)
            {
                inv.options.push_str("\"\"");
                name_pending_value = !next_is_option;
            }
        } else {
            inv.options.push_str(&repr_bytes(arg.as_bytes()));
            inv.options.push(' ');
            name_pending_value = false;
        }
        j += 1;
    }
    inv
}

fn load_config(config: &mut Config, inv: &Invocation) -> Result<(), ConfigError> {
    let mut text = String::new();
    if let Some(path) = &inv.config_file {
        let absolute = std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.clone());
        match std::fs::read_to_string(path) {
            Ok(t) => text.push_str(&t),
            Err(e) => {
                eprintln!("Fatal error, can't open config file '{}': {}", absolute, e);
                std::process::exit(1);
            }
        }
        config.config_file = Some(absolute);
    }
    if inv.read_stdin {
        let mut stdin_text = String::new();
        let _ = std::io::stdin().read_to_string(&mut stdin_text);
        text.push('\n');
        text.push_str(&stdin_text);
    }
    text.push('\n');
    text.push_str(&inv.options);
    config.load_text(&text)
}

/// Prints Redis's start-up report for a bad config line.
fn report_config_error(e: &ConfigError) {
    eprintln!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***",
        REDIS_VERSION
    );
    eprintln!("Reading the configuration file, at line {}", e.line_number);
    eprintln!(">>> '{}'", e.line);
    eprintln!("{}", e.message);
}

/// Detaches from the terminal like Redis's `daemonize()`.
fn daemonize() {
    // SAFETY: fork/setsid/open/dup2 are called before any other thread
    // exists; the parent exits at once and the child only rewires its
    // standard descriptors to /dev/null.
    unsafe {
        if libc::fork() != 0 {
            libc::_exit(0);
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0);
        if fd != -1 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}

extern "C" fn on_shutdown_signal(sig: libc::c_int) {
    SHUTDOWN_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Routes SIGTERM and SIGINT to a flag the loop checks.
fn install_signal_handlers() {
    let handler = on_shutdown_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only performs an atomic store, which is
    // async-signal-safe; `signal` is given a valid function pointer.
    unsafe {
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

fn start(config: Config, no_args: bool, argv0: &str) -> i32 {
    warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    warn!(
        "Redis version={}, bits=64, commit=00000000, modified=0, pid={}, just started",
        REDIS_VERSION,
        std::process::id()
    );
    if no_args {
        warn!("Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf", argv0);
    } else {
        warn!("Configuration loaded");
    }
    for name in config.accepted.keys() {
        warn!("Directive '{}' is accepted but its feature is not implemented by reddish; it has no effect", name);
    }
    let pidfile = config.pidfile.clone();
    let daemonized = config.daemonize;
    let mut server = match Server::new(config) {
        Ok(s) => s,
        Err(e) => {
            warn!(
                "Failed listening on port {} (tcp), aborting: {}",
                "configured", e
            );
            return 1;
        }
    };
    if !pidfile.is_empty() || daemonized {
        let path = if pidfile.is_empty() {
            "/var/run/redis.pid".to_string()
        } else {
            pidfile
        };
        if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
            warn!("Failed to write PID file: {}", e);
        }
    }
    install_signal_handlers();
    info!("Server initialized");
    match server.run() {
        Ok(()) => 0,
        Err(e) => {
            warn!("Event loop failed: {}", e);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(args: &[&str]) -> Invocation {
        let mut v = vec!["reddish-server".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        parse_invocation(&v)
    }

    #[test]
    fn options_become_directive_lines() {
        let i = inv(&[
            "/etc/redis.conf",
            "--port",
            "6380",
            "--replicaof",
            "host",
            "6379",
        ]);
        assert_eq!(i.config_file.as_deref(), Some("/etc/redis.conf"));
        assert_eq!(i.options, "port \"6380\" \nreplicaof \"host\" \"6379\" ");
    }

    #[test]
    fn save_without_value_means_empty() {
        assert_eq!(
            inv(&["--save", "--port", "1"]).options,
            "save \"\"\nport \"1\" "
        );
        assert_eq!(inv(&["--save"]).options, "save \"\"");
        assert_eq!(
            inv(&["--save", "900 1 300 10"]).options,
            "save \"900 1 300 10\" "
        );
    }

    #[test]
    fn stdin_marker() {
        assert!(inv(&["-"]).read_stdin);
        assert!(inv(&["--port", "1", "-"]).read_stdin);
    }
}
