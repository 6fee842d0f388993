//! Small questions to a server over a raw connection: INFO and CLIENT
//! fields, SCAN iterations, DEBUG DIGEST, CONFIG GET, blocked clients,
//! and running lists of commands.

use super::{bulk_text, items, pong, texts, wait_for, Frame, Raw};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The text of `INFO sections...` (`&[]` for the default sections).
pub fn info(r: &mut Raw, sections: &[&str]) -> String {
    let mut args = vec!["INFO"];
    args.extend_from_slice(sections);
    bulk_text(&r.cmd(&args))
}

/// The value of the `name:value` line of an INFO text, if there is one.
pub fn info_value(text: &str, name: &str) -> Option<String> {
    let prefix = format!("{name}:");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(str::to_string)
}

/// The number on the `name:number` line of an INFO text; -1 when the line
/// is missing or holds no number.
pub fn info_int(text: &str, name: &str) -> i64 {
    info_value(text, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

/// The value of `name` in `INFO <section>`; empty when the line is missing.
pub fn info_field(r: &mut Raw, section: &str, name: &str) -> String {
    info_value(&info(r, &[section]), name).unwrap_or_default()
}

/// INFO's count of writes since the last save
/// (`rdb_changes_since_last_save`).
pub fn changes_since_save(r: &mut Raw) -> i64 {
    info_field(r, "persistence", "rdb_changes_since_last_save")
        .parse()
        .expect("rdb_changes_since_last_save")
}

/// How many clients INFO reports blocked.
pub fn blocked_clients(r: &mut Raw) -> i64 {
    info_int(&info(r, &["clients"]), "blocked_clients")
}

/// Waits until INFO reports `n` blocked clients.
pub fn wait_blocked(r: &mut Raw, n: i64) {
    let reached = wait_for(Duration::from_secs(10), || blocked_clients(r) == n);
    assert!(reached, "never saw {n} blocked clients");
}

/// True when a replica's link to its primary is up.
pub fn link_up(replica: &mut Raw) -> bool {
    info_field(replica, "replication", "master_link_status") == "up"
}

/// This connection's CLIENT ID.
pub fn client_id(r: &mut Raw) -> i64 {
    match r.cmd(&["CLIENT", "ID"]) {
        Frame::Int(id) => id,
        other => panic!("CLIENT ID replied {other:?}"),
    }
}

/// This connection's CLIENT INFO line.
pub fn client_info(r: &mut Raw) -> String {
    r.cmd(&["CLIENT", "INFO"]).as_text()
}

/// The CLIENT LIST line (as `observer` sees it) of the client named `name`.
pub fn client_line(observer: &mut Raw, name: &str) -> String {
    let list = observer.cmd(&["CLIENT", "LIST"]).as_text();
    list.lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("no client {name} in {list}"))
        .to_string()
}

/// The value of `name=` in a CLIENT LIST / CLIENT INFO line.
pub fn client_field(line: &str, name: &str) -> String {
    let prefix = format!("{name}=");
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        .to_string()
}

/// The value of a config parameter (CONFIG GET of one name).
pub fn config_get(r: &mut Raw, name: &str) -> String {
    match r.cmd(&["CONFIG", "GET", name]) {
        Frame::Array(Some(items)) if items.len() == 2 => items[1].as_text(),
        other => panic!("CONFIG GET {name} -> {other:?}"),
    }
}

/// DEBUG DIGEST of the whole dataset.
pub fn digest(r: &mut Raw) -> String {
    r.cmd(&["DEBUG", "DIGEST"]).as_text()
}

/// OBJECT ENCODING of `key`.
pub fn encoding(r: &mut Raw, key: &str) -> String {
    r.cmd(&["OBJECT", "ENCODING", key]).as_text()
}

/// Runs commands (lists of arguments) that must not fail.
pub fn run_all(r: &mut Raw, commands: &[Vec<String>]) {
    for c in commands {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        let reply = r.cmd(&args);
        assert!(!matches!(reply, Frame::Error(_)), "{c:?}: {reply:?}");
    }
}

/// Polls PING until the server answers PONG (it may be loading).
pub fn wait_ready(r: &mut Raw, timeout: Duration) -> bool {
    wait_for(timeout, || r.cmd(&["PING"]) == pong())
}

/// One call of a SCAN-family command (`args` with its cursor): the next
/// cursor and the elements, in reply order.
pub fn scan_once(r: &mut Raw, args: &[&str]) -> (String, Vec<String>) {
    let parts = items(r.cmd(args));
    let [cursor @ Frame::Bulk(Some(_)), batch] = <[Frame; 2]>::try_from(parts)
        .unwrap_or_else(|parts| panic!("{args:?} reply shape: {parts:?}"))
    else {
        panic!("{args:?}: the cursor is not a bulk string");
    };
    (cursor.as_text(), texts(batch))
}

/// A whole iteration of `command` (`["SCAN"]`, `["HSCAN", key]`, ...)
/// with `options` after the cursor: every element seen, in reply order,
/// and the number of calls it took.
pub fn scan_all(r: &mut Raw, command: &[&str], options: &[&str]) -> (Vec<String>, usize) {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = command.to_vec();
        args.push(&cursor);
        args.extend_from_slice(options);
        let (next, batch) = scan_once(r, &args);
        seen.extend(batch);
        calls += 1;
        if next == "0" {
            return (seen, calls);
        }
        cursor = next;
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The resident set size of process `pid`, in kB (from /proc).
pub fn resident_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}
