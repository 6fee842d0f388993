//! The ACL LOG: recent refusals (commands, keys, channels) and failed
//! authentications, newest first. An event like one of the last ten
//! (same reason, context, object and user, within a minute) bumps that
//! entry's count and moves it to the front instead of adding one, as in
//! Redis 7.0.

use std::collections::VecDeque;

/// How far back a similar event is looked for, and within how long.
const GROUPING_SCAN: usize = 10;
const GROUPING_MAX_DELTA_MS: i64 = 60_000;

/// What was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogReason {
    Command,
    Key,
    Channel,
    Auth,
}

impl LogReason {
    pub fn name(self) -> &'static str {
        match self {
            LogReason::Command => "command",
            LogReason::Key => "key",
            LogReason::Channel => "channel",
            LogReason::Auth => "auth",
        }
    }
}

/// Where the refused command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclContext {
    /// Sent by the client.
    Toplevel,
    /// Inside MULTI, when queued or when EXEC runs it.
    Multi,
    /// Called by a script (`redis.call`).
    Lua,
}

impl AclContext {
    pub fn name(self) -> &'static str {
        match self {
            AclContext::Toplevel => "toplevel",
            AclContext::Multi => "multi",
            AclContext::Lua => "lua",
        }
    }
}

/// One ACL LOG entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub count: u64,
    pub reason: LogReason,
    pub context: AclContext,
    /// The command's full name, the key, the channel, or for a failed
    /// authentication the command name as sent.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// When it last happened (unix milliseconds).
    pub time_ms: i64,
    /// CLIENT LIST line of the client it last happened to.
    pub client_info: String,
}

impl LogEntry {
    fn similar(&self, other: &LogEntry) -> bool {
        self.reason == other.reason
            && self.context == other.context
            && (self.time_ms - other.time_ms).abs() <= GROUPING_MAX_DELTA_MS
            && self.object == other.object
            && self.username == other.username
    }
}

/// The entries, newest first.
#[derive(Debug, Default)]
pub struct AclLog {
    entries: VecDeque<LogEntry>,
}

impl AclLog {
    /// Records an event, keeping at most `max_len` entries.
    pub fn add(&mut self, entry: LogEntry, max_len: usize) {
        let similar = self
            .entries
            .iter()
            .take(GROUPING_SCAN)
            .position(|e| e.similar(&entry));
        if let Some(existing) = similar.and_then(|i| self.entries.remove(i)) {
            self.entries.push_front(LogEntry {
                count: existing.count + 1,
                ..entry
            });
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    pub fn entries(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, time_ms: i64) -> LogEntry {
        LogEntry {
            count: 1,
            reason: LogReason::Command,
            context: AclContext::Toplevel,
            object: object.as_bytes().to_vec(),
            username: b"u".to_vec(),
            time_ms,
            client_info: format!("at {}", time_ms),
        }
    }

    #[test]
    fn similar_events_are_grouped_and_moved_to_the_front() {
        let mut log = AclLog::default();
        log.add(entry("get", 0), 128);
        log.add(entry("set", 10), 128);
        log.add(entry("get", 20), 128);
        let got: Vec<(String, u64, String)> = log
            .entries()
            .map(|e| {
                (
                    String::from_utf8_lossy(&e.object).into_owned(),
                    e.count,
                    e.client_info.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("get".to_string(), 2, "at 20".to_string()),
                ("set".to_string(), 1, "at 10".to_string())
            ]
        );
        // More than a minute apart: a new entry.
        log.add(entry("get", 80_000), 128);
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn the_log_is_trimmed() {
        let mut log = AclLog::default();
        for i in 0..10 {
            log.add(entry(&format!("k{}", i), i), 5);
        }
        assert_eq!(log.len(), 5);
        assert_eq!(
            log.entries().next().map(|e| e.object.clone()),
            Some(b"k9".to_vec())
        );
        log.add(entry("x", 0), 0);
        assert!(log.is_empty());
    }
}
