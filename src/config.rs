//! Server configuration: the typed values the server reads, and one table of
//! directives (name, alias, default, mutability, how to parse and print) that
//! the config file, `--directive` arguments, CONFIG GET/SET and CONFIG
//! REWRITE all go through.

use crate::util::{parse_memory, split_args};
use std::collections::BTreeMap;

/// Redis's log levels, most verbose first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    Nothing,
}

/// `yes`, `no` or `local` for protected features (DEBUG, MODULE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    No,
    Yes,
    Local,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub tcp_backlog: i64,
    pub timeout: i64,
    pub tcp_keepalive: i64,
    pub daemonize: bool,
    pub pidfile: String,
    pub loglevel: LogLevel,
    pub logfile: String,
    pub databases: usize,
    pub dbfilename: String,
    pub save: Vec<(u64, u64)>,
    pub requirepass: Option<Vec<u8>>,
    pub maxclients: u64,
    pub hz: u32,
    pub enable_debug_command: Protection,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub latency_monitor_threshold: u64,
    /// Per-command latency histograms are kept (INFO latencystats).
    pub latency_tracking: bool,
    /// Percentiles INFO latencystats prints.
    pub latency_tracking_info_percentiles: Vec<f64>,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub active_expire_effort: u32,
    pub maxmemory: u64,
    /// Directives accepted for features not built yet, by canonical name.
    pub accepted: BTreeMap<String, String>,
    /// The config file given on the command line, for CONFIG REWRITE.
    pub config_file: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            protected_mode: true,
            tcp_backlog: 511,
            timeout: 0,
            tcp_keepalive: 300,
            daemonize: false,
            pidfile: String::new(),
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            databases: 16,
            dbfilename: "dump.rdb".into(),
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            requirepass: None,
            maxclients: 10000,
            hz: 10,
            enable_debug_command: Protection::No,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            active_expire_effort: 1,
            maxmemory: 0,
            accepted: BTreeMap::new(),
            config_file: None,
        }
    }
}

/// A config file or argument error, reported like Redis at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line_number: usize,
    pub line: String,
    pub message: String,
}

impl Config {
    /// Applies the text of a config file (or of the command-line directives).
    pub fn load_text(&mut self, text: &str) -> Result<(), ConfigError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |message: String| ConfigError {
                line_number: i + 1,
                line: line.to_string(),
                message,
            };
            let words = split_args(line.as_bytes())
                .ok_or_else(|| fail("Unbalanced quotes in configuration line".into()))?;
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            let Some((name, values)) = words.split_first() else {
                continue;
            };
            self.set_directive(&name.to_ascii_lowercase(), values)
                .map_err(fail)?;
        }
        Ok(())
    }

    /// Sets one directive from its argument words.
    pub fn set_directive(&mut self, name: &str, values: &[String]) -> Result<(), String> {
        let one = || -> Result<&str, String> {
            match values {
                [v] => Ok(v.as_str()),
                _ => Err("wrong number of arguments".into()),
            }
        };
        match name {
            "port" => self.port = parse_int(one()?, 0, 65535)? as u16,
            "bind" => self.bind = values.to_vec(),
            "protected-mode" => self.protected_mode = parse_bool(one()?)?,
            "daemonize" => self.daemonize = parse_bool(one()?)?,
            "pidfile" => self.pidfile = one()?.to_string(),
            "logfile" => self.logfile = one()?.to_string(),
            "loglevel" => {
                self.loglevel = match one()?.to_ascii_lowercase().as_str() {
                    "debug" => LogLevel::Debug,
                    "verbose" => LogLevel::Verbose,
                    "notice" => LogLevel::Notice,
                    "warning" => LogLevel::Warning,
                    "nothing" => LogLevel::Nothing,
                    _ => return Err("argument(s) must be one of the following: debug, verbose, notice, warning, nothing".into()),
                }
            }
            "databases" => self.databases = parse_int(one()?, 1, i32::MAX as i64)? as usize,
            "hz" => self.hz = parse_int(one()?, 0, i32::MAX as i64)?.clamp(1, 500) as u32,
            "requirepass" => {
                let v = one()?;
                self.requirepass = (!v.is_empty()).then(|| v.as_bytes().to_vec());
            }
            "enable-debug-command" => {
                self.enable_debug_command = match one()?.to_ascii_lowercase().as_str() {
                    "yes" => Protection::Yes,
                    "no" => Protection::No,
                    "local" => Protection::Local,
                    _ => return Err("argument(s) must be one of the following: no, yes, local".into()),
                }
            }
            "proto-max-bulk-len" => self.proto_max_bulk_len = parse_mem(one()?)?,
            "client-query-buffer-limit" => self.client_query_buffer_limit = parse_mem(one()?)?,
            "maxmemory" => self.maxmemory = parse_mem(one()?)?,
            "save" => self.save = parse_save(values)?,
            "slowlog-log-slower-than" => {
                self.slowlog_log_slower_than = parse_int(one()?, -1, i64::MAX)?
            }
            "slowlog-max-len" => self.slowlog_max_len = parse_int(one()?, 0, i64::MAX)? as u64,
            "latency-monitor-threshold" => {
                self.latency_monitor_threshold = parse_int(one()?, 0, i64::MAX)? as u64
            }
            "latency-tracking" => self.latency_tracking = parse_bool(one()?)?,
            "latency-tracking-info-percentiles" => {
                self.latency_tracking_info_percentiles = parse_percentiles(values)?
            }
            "dbfilename" => self.dbfilename = one()?.to_string(),
            "dir" => std::env::set_current_dir(one()?).map_err(|e| e.to_string())?,
            _ => {
                self.accepted.insert(name.to_string(), values.join(" "));
            }
        }
        Ok(())
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn parse_int(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let n: i64 = v
        .parse()
        .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            min, max
        ));
    }
    Ok(n)
}

fn parse_mem(v: &str) -> Result<u64, String> {
    parse_memory(v).ok_or_else(|| "argument must be a memory value".to_string())
}

/// Space-separated percentiles between 0 and 100 (a single "" means none).
fn parse_percentiles(values: &[String]) -> Result<Vec<f64>, String> {
    values
        .iter()
        .flat_map(|v| v.split_whitespace())
        .map(|w| {
            let p = crate::util::parse_f64(w.as_bytes()).ok_or_else(|| {
                "Invalid latency-tracking-info-percentiles parameters".to_string()
            })?;
            if !(0.0..=100.0).contains(&p) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .to_string(),
                );
            }
            Ok(p)
        })
        .collect()
}

fn parse_save(values: &[String]) -> Result<Vec<(u64, u64)>, String> {
    let words: Vec<&str> = values.iter().flat_map(|v| v.split_whitespace()).collect();
    if words.is_empty() || (words.len() == 1 && words[0].is_empty()) {
        return Ok(Vec::new());
    }
    if !words.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    words
        .chunks(2)
        .map(|pair| match (pair[0].parse(), pair[1].parse()) {
            (Ok(s), Ok(c)) => Ok((s, c)),
            _ => Err("Invalid save parameters".to_string()),
        })
        .collect()
}
