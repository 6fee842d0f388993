//! The command line and start-up, as `redis-server` does them:
//! `reddish-server [/path/redis.conf] [--directive value ...] [-]`.
//!
//! A first argument not starting with `-` is the config file; each
//! `--name` starts a directive line whose following arguments are its
//! values (so `--replicaof host port` and `--save "900 1"` work); a `-`
//! first or last reads more config from stdin. The file comes first, then
//! stdin, then the options: the last value of a directive wins.
//!
//! clap reads the command line: `-v`/`--version` and `-h`/`--help` (with
//! Redis's texts), and the rest as one raw list that [`parse_invocation`]
//! turns into directive lines by Redis's rules.

use crate::config::{Config, ConfigError};
use crate::server::{Server, SHUTDOWN_PENDING, SHUTDOWN_SIGNAL};
use crate::util::repr_bytes;
use log::warn;
use std::ffi::CString;
use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use crate::version::REDIS_VERSION;

/// Where a daemon writes its pid when no `pidfile` is configured.
const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

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
pub enum Request {
    /// `-v` / `--version`: print the version line.
    Version,
    /// `-h` / `--help`: print the usage.
    Help,
    /// Start the server with this configuration.
    Run(Invocation),
}

/// Where the configuration of a start comes from.
#[derive(Debug, PartialEq, Eq)]
pub struct Invocation {
    pub config_file: Option<String>,
    pub read_stdin: bool,
    /// Directive lines built from `--name value` arguments.
    pub options: String,
}

/// Entry point: returns the process exit status.
pub fn main(argv: Vec<String>) -> i32 {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    if program.contains("redis-check-rdb") {
        return check_rdb_main(program, argv.get(1..).unwrap_or_default());
    }
    let invocation = match parse_command_line(&argv) {
        Request::Version => {
            println!(
                "Redis server v={} sha=00000000:0 malloc=libc bits=64 build=reddish-{}",
                REDIS_VERSION,
                env!("CARGO_PKG_VERSION")
            );
            return 0;
        }
        Request::Help => {
            eprint!("{}", USAGE);
            return 1;
        }
        Request::Run(invocation) => invocation,
    };
    // Until the server exists Redis marks its log lines as a child's.
    crate::logging::set_role(b'C');
    let mut config = Config::default();
    config.command_names = crate::commands::TABLES
        .iter()
        .flat_map(|t| t.iter())
        .map(|c| c.name.to_string())
        .collect();
    config.user_check = Some(check_user_line);
    if argv.len() >= 2 {
        if let Err(e) = load_config(&mut config, &invocation) {
            report_config_error(&e);
            return 1;
        }
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

/// The command line as clap sees it: the `-v`/`--version` and
/// `-h`/`--help` flags (clap's own help and version are off, the texts are
/// Redis's), then every other argument, leading hyphens and all, in one raw
/// list for [`parse_invocation`]. It never fails: what clap cannot read is
/// left to Redis's rules.
fn command() -> clap::Command {
    use clap::{Arg, ArgAction, Command};
    Command::new("reddish-server")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .ignore_errors(true)
        .args_override_self(true)
        .arg(
            Arg::new("version")
                .short('v')
                .long("version")
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("args")
                .num_args(0..)
                .allow_hyphen_values(true)
                .trailing_var_arg(true),
        )
}

/// Reads `argv` (program name first) with clap, keeping Redis's rules
/// where clap's differ. Redis honours `-v`/`-h` only as the first argument
/// spelled exactly, whereas clap also takes them later, after another
/// flag, and in clusters (`-hv`, which Redis reads as a directive line).
/// clap also swallows a leading `--` (its end of options); when its raw
/// list lacks any argument the arguments go to the builder as given.
pub fn parse_command_line(argv: &[String]) -> Request {
    let given = argv.get(1..).unwrap_or_default();
    let matches = command().try_get_matches_from(argv).ok();
    let first = given.first().map(String::as_str);
    if let Some(m) = &matches {
        if m.get_flag("version") && matches!(first, Some("-v" | "--version")) {
            return Request::Version;
        }
        if m.get_flag("help") && matches!(first, Some("-h" | "--help")) {
            return Request::Help;
        }
    }
    let raw: Vec<String> = matches
        .as_ref()
        .and_then(|m| m.get_many::<String>("args"))
        .map(|values| values.cloned().collect())
        .unwrap_or_default();
    let args = if raw.len() == given.len() {
        raw
    } else {
        given.to_vec()
    };
    Request::Run(parse_invocation(&args))
}

/// Run under a name holding `redis-check-rdb` (a link to the server, as
/// Redis's own binary is installed), the program checks the RDB file named
/// by its one argument and prints the report; exit status 0 when sound.
fn check_rdb_main(program: &str, args: &[String]) -> i32 {
    match args {
        [flag] if flag == "-v" || flag == "--version" => {
            println!("redis-check-rdb {}", REDIS_VERSION);
            0
        }
        [file] => {
            let mut out = std::io::stdout().lock();
            match crate::persistence::check::print_report(std::path::Path::new(file), &mut out) {
                Ok(true) => 0,
                _ => 1,
            }
        }
        _ => {
            eprintln!("Usage: {} <rdb-file-name>", program);
            1
        }
    }
}

/// Splits Redis's own arguments (those after the program name) into config
/// file, stdin flag and directive lines.
pub fn parse_invocation(args: &[String]) -> Invocation {
    let mut inv = Invocation {
        config_file: None,
        read_stdin: false,
        options: String::new(),
    };
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            inv.config_file = Some(absolute_path(first));
            j = 1;
        }
    }
    let last = args.len().saturating_sub(1);
    let mut name_pending_value = false;
    while j < args.len() {
        let arg = &args[j];
        if arg == "-" && (j == 0 || j == last) {
            inv.read_stdin = true;
        } else if !name_pending_value && arg.starts_with("--") {
            if !inv.options.is_empty() {
                inv.options.push('\n');
            }
            inv.options.push_str(&arg[2..]);
            inv.options.push(' ');
            let words = crate::util::split_args(arg.as_bytes())
                .map(|w| w.len())
                .unwrap_or(0);
            name_pending_value = words == 1;
            let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
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

/// A path made absolute against the working directory, as Redis's
/// `getAbsolutePath` does (leading `../` elements are resolved).
pub fn absolute_path(path: &str) -> String {
    let mut rel = path.trim_matches([' ', '\r', '\n', '\t']);
    if rel.starts_with('/') {
        return rel.to_string();
    }
    let mut base = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if !base.ends_with('/') {
        base.push('/');
    }
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if base.len() > 1 {
            let trimmed = &base[..base.len() - 1];
            let cut = trimmed.rfind('/').map_or(0, |i| i + 1);
            base.truncate(cut);
        }
    }
    base + rel
}

/// File, then stdin, then the options: one text, as Redis loads it.
fn load_config(config: &mut Config, inv: &Invocation) -> Result<(), ConfigError> {
    let mut text = Vec::new();
    if let Some(path) = &inv.config_file {
        text = crate::config::read_config_source(path)?;
        config.config_file = Some(path.clone());
    }
    if inv.read_stdin {
        crate::logging::early_warning("Reading config from stdin");
        let _ = std::io::stdin().read_to_end(&mut text);
    }
    text.push(b'\n');
    text.extend_from_slice(inv.options.as_bytes());
    config.load_text(&text)
}

/// Checks a `user` line of the configuration against the command table.
fn check_user_line(
    words: &[Vec<u8>],
    declared: &[Vec<Vec<u8>>],
    all_channels: bool,
) -> Result<(), (usize, &'static str)> {
    let registry = crate::server::spec::Registry::new(crate::commands::TABLES);
    crate::server::acl::rules::check_user_line(words, declared, &registry, all_channels)
}

/// Prints Redis's start-up report for an unusable configuration.
fn report_config_error(e: &ConfigError) {
    match e {
        ConfigError::CantOpen { path, reason } => crate::logging::early_warning(&format!(
            "Fatal error, can't open config file '{}': {}",
            path, reason
        )),
        ConfigError::Bad { line, message } => {
            eprintln!(
                "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***",
                REDIS_VERSION
            );
            if let Some((number, text)) = line {
                eprintln!("Reading the configuration file, at line {}", number);
                eprintln!(">>> '{}'", String::from_utf8_lossy(text));
            }
            eprintln!("{}", message);
        }
    }
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

/// The temp file a synchronous save of this process writes, removed when
/// a second SIGINT interrupts the final save.
static TEMP_RDB: OnceLock<CString> = OnceLock::new();

extern "C" fn on_shutdown_signal(sig: libc::c_int) {
    if sig == libc::SIGINT && SHUTDOWN_PENDING.load(Ordering::SeqCst) {
        // "You insist": leave now, without the save in progress.
        if let Some(path) = TEMP_RDB.get() {
            // SAFETY: unlink and _exit are async-signal-safe; the path is a
            // NUL-terminated string initialized before the handler was set.
            unsafe {
                libc::unlink(path.as_ptr());
            }
        }
        // SAFETY: as above.
        unsafe { libc::_exit(1) };
    }
    SHUTDOWN_PENDING.store(true, Ordering::SeqCst);
    SHUTDOWN_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Routes SIGTERM and SIGINT to a flag the cron checks.
fn install_signal_handlers() {
    let temp = crate::persistence::snapshot::temp_file_name(std::process::id());
    if let Ok(path) = CString::new(temp) {
        let _ = TEMP_RDB.set(path);
    }
    let handler = on_shutdown_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only performs an atomic store, which is
    // async-signal-safe; `signal` is given a valid function pointer.
    unsafe {
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Fits `maxclients` to the open files limit, as Redis does at start;
/// `false` when not even the server's own descriptors fit.
fn fit_maxclients(config: &mut Config) -> bool {
    match crate::server::config_apply::adjust_open_files_limit(config.maxclients) {
        Some(0) => false,
        Some(possible) => config
            .set_internal("maxclients", &possible.to_string())
            .is_ok(),
        None => true,
    }
}

/// The pid file a started server writes, if any (a daemon always has one).
fn choose_pidfile(config: &mut Config) -> Option<String> {
    if config.pidfile.is_empty() && config.daemonize {
        let _ = config.set_internal("pidfile", DEFAULT_PIDFILE);
    }
    (!config.pidfile.is_empty()).then(|| config.pidfile.clone())
}

/// The start-up banner: shown when `always-show-logo` is on or the log is
/// a terminal (it carries the ` PID: n` mark test harnesses wait for),
/// else the one-line summary Redis logs instead of its logo.
fn show_banner(config: &Config) {
    // SAFETY: isatty only inspects the descriptor.
    let tty = config.logfile.is_empty() && unsafe { libc::isatty(1) } == 1;
    if config.always_show_logo || tty {
        log::info!(
            "reddish {} (Redis {} compatible) 64 bit, standalone mode, Port: {} PID: {}",
            env!("CARGO_PKG_VERSION"),
            REDIS_VERSION,
            config.port,
            std::process::id()
        );
    } else {
        log::info!("Running mode=standalone, port={}.", config.port);
    }
}

/// Redis refuses to run what it was asked to load as modules or module
/// options; reddish has no modules, so any of them stops the start.
fn refuse_modules(config: &Config) -> bool {
    if let Some(module) = config.modules.first() {
        let path = module.first().map(String::as_str).unwrap_or("");
        warn!(
            "Module {} failed to load: modules are not supported by reddish",
            path
        );
        warn!("Can't load module from {}: server aborting", path);
        return true;
    }
    if !config.module_configs.is_empty() {
        warn!("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting");
        return true;
    }
    false
}

/// The start-up warning for a directive set away from its default whose
/// feature reddish does not have.
fn unbuilt_warning(name: &str) -> String {
    format!(
        "Directive '{}' is accepted but its feature is not implemented by reddish; it has no effect",
        name
    )
}

fn start(mut config: Config, no_args: bool, argv0: &str) -> i32 {
    crate::alloc::keep_freed_heap();
    crate::alloc::slab::install_fork_handlers();
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
    for name in config.unbuilt_in_use() {
        warn!("{}", unbuilt_warning(name));
    }
    crate::logging::set_role(b'M');
    if !fit_maxclients(&mut config) {
        return 1;
    }
    let port = config.port;
    let pidfile = choose_pidfile(&mut config);
    let renames = config.renamed_commands.clone();
    let refused = refuse_modules(&config);
    if config.tls_in_use() {
        warn!("TLS is not supported by reddish");
        warn!("Failed to configure TLS. Check logs for more info.");
        return 1;
    }
    if config.set_proc_title {
        crate::proc_title::prepare(argv0);
    }
    let mut server = match Server::new(config, crate::commands::TABLES, crate::commands::FEATURES) {
        Ok(s) => s,
        Err(_) => {
            warn!("Failed listening on port {} (TCP), aborting.", port);
            return 1;
        }
    };
    if server.listen_unix().is_err() {
        return 1;
    }
    if !server.is_listening() {
        warn!("Configured to not listen anywhere, exiting.");
        return 1;
    }
    // Failing to set the OOM score is logged; the server runs on.
    let _ = server.apply_oom_score();
    for (from, to) in &renames {
        server.registry.rename(from, to);
    }
    crate::scripting::install(&mut server);
    if let Some(path) = pidfile {
        if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
            warn!("Failed to write PID file: {}", e);
        }
    }
    install_signal_handlers();
    crate::crash::install(&server.config.logfile, server.config.crash_log_enabled);
    crate::crash::set_watchdog(server.config.watchdog_period);
    show_banner(&server.config);
    warn!("Server initialized");
    if refused || !server.load_users_at_startup() || !server.load_data_from_disk() {
        return 1;
    }
    server.update_proc_title();
    server.replica_start();
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

    fn request(args: &[&str]) -> Request {
        let mut v = vec!["reddish-server".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        parse_command_line(&v)
    }

    fn inv(args: &[&str]) -> Invocation {
        match request(args) {
            Request::Run(inv) => inv,
            other => panic!("{:?} for {:?}", other, args),
        }
    }

    #[test]
    fn version_and_help_only_as_the_first_argument() {
        for args in [
            &["-v"][..],
            &["--version"],
            &["-v", "--port", "1"],
            &["-v", "-h"],
        ] {
            assert_eq!(request(args), Request::Version, "{:?}", args);
        }
        for args in [
            &["-h"][..],
            &["--help"],
            &["-h", "-v"],
            &["--help", "--help=x"],
        ] {
            assert_eq!(request(args), Request::Help, "{:?}", args);
        }
        assert_eq!(inv(&["--port", "0", "-h"]).options, "port \"0\" \"-h\" ");
        assert_eq!(
            inv(&["--port", "0", "--help"]).options,
            "port \"0\" \nhelp "
        );
        assert_eq!(inv(&["/x.conf", "-v"]).options, "\"-v\" ");
    }

    #[test]
    fn clap_hands_the_arguments_over_untouched() {
        for args in [
            &["--port", "-1", "--save", "--replicaof", "h", "1"][..],
            &["/x.conf", "--port", "--", "--", "-"],
            &["-", "-x", "-h", "--help", "-1"],
            &["--port 1", "", "-=x", "--=x"],
        ] {
            let argv: Vec<String> = std::iter::once("reddish-server")
                .chain(args.iter().copied())
                .map(String::from)
                .collect();
            let matches = command().try_get_matches_from(&argv).expect("parses");
            let raw: Vec<String> = matches
                .get_many::<String>("args")
                .expect("args")
                .cloned()
                .collect();
            assert_eq!(raw, argv[1..]);
        }
    }

    #[test]
    fn what_clap_reads_its_own_way_is_redis_syntax() {
        // clap's end-of-options marker, flag clusters and flag values.
        assert_eq!(inv(&["--", "--port", "0"]).options, " \"--port\" \"0\" ");
        assert_eq!(inv(&["-hv"]).options, "\"-hv\" ");
        assert_eq!(
            inv(&["-vv", "--port", "1"]).options,
            "\"-vv\" \nport \"1\" "
        );
        assert_eq!(inv(&["--help=x"]).options, "help=x ");
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
    fn name_and_value_in_one_argument() {
        assert_eq!(
            inv(&["--port 7000", "--hz", "5"]).options,
            "port 7000 \nhz \"5\" "
        );
    }

    #[test]
    fn stdin_marker() {
        assert!(inv(&["-"]).read_stdin);
        assert!(inv(&["--port", "1", "-"]).read_stdin);
        assert!(!inv(&["--port", "-", "1"]).read_stdin);
    }

    #[test]
    fn relative_config_paths_become_absolute() {
        assert_eq!(absolute_path("/a/b.conf"), "/a/b.conf");
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        assert_eq!(absolute_path("x.conf"), format!("{}/x.conf", cwd));
        let parent = std::path::Path::new(&cwd)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        assert_eq!(absolute_path("../x.conf"), format!("{}/x.conf", parent));
    }
}
