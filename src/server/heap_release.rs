//! Giving freed memory back to the system. glibc's heap keeps what is
//! freed for reuse (`alloc::keep_freed_heap`), so after a FLUSHALL or a
//! burst of connections the process would stay at its peak size. Redis's
//! jemalloc returns such pages from a background thread a few seconds
//! after they are freed; here, once a second, a quiet server whose heap
//! holds well beyond what is allocated has the lazyfree thread trim it.
//!
//! A trim holds the heap's lock while it runs, so it waits for a quiet
//! second: under load the freed blocks are reused soon anyway. What a trim
//! cannot return (free space between live blocks) becomes the floor the
//! next trim is measured from, so a fragmented heap is not trimmed again
//! and again for nothing.

use super::Server;

/// A second with fewer commands than this is quiet.
const QUIET_COMMANDS: u64 = 1000;
/// Freed memory kept below this is not worth a trim.
const MIN_RETAINED: u64 = 8 << 20;

/// What the last checks saw.
#[derive(Debug, Default)]
pub struct HeapRelease {
    last_check_ms: i64,
    last_commands: u64,
    /// Retained bytes the last trim left behind.
    floor: u64,
    /// A trim was asked for at the last check.
    trimmed: bool,
}

impl HeapRelease {
    /// Whether memory retained beyond `floor` is worth a trim for a heap
    /// with `used` bytes allocated: at least 8 MB and an eighth of it.
    fn worth_trimming(&self, retained: u64, used: u64) -> bool {
        retained.saturating_sub(self.floor) > MIN_RETAINED.max(used / 8)
    }
}

impl Server {
    /// Called from the cron: at most once a second, asks the lazyfree
    /// thread to trim the heap when the server was quiet for the last
    /// second and holds much more memory than it has allocated.
    pub(super) fn release_freed_heap(&mut self, now_ms: i64) {
        if now_ms.saturating_sub(self.heap_release.last_check_ms) < 1000 {
            return;
        }
        let used = self.used_memory() as u64;
        let state = &mut self.heap_release;
        state.last_check_ms = now_ms;
        let commands = self.stats.total_commands_processed;
        let quiet = commands.saturating_sub(state.last_commands) < QUIET_COMMANDS;
        state.last_commands = commands;
        let retained = crate::alloc::resident().anonymous.saturating_sub(used);
        if std::mem::take(&mut state.trimmed) {
            state.floor = retained;
            return;
        }
        state.floor = state.floor.min(retained);
        if quiet && self.lazyfree.pending() == 0 && state.worth_trimming(retained, used) {
            state.trimmed = true;
            self.lazyfree.release_free_heap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trim_needs_eight_megabytes_and_an_eighth_beyond_the_floor() {
        let mut state = HeapRelease::default();
        assert!(!state.worth_trimming(8 << 20, 0));
        assert!(state.worth_trimming((8 << 20) + 1, 0));
        assert!(!state.worth_trimming(100 << 20, 1 << 30));
        assert!(state.worth_trimming(200 << 20, 1 << 30));
        state.floor = 195 << 20;
        assert!(!state.worth_trimming(200 << 20, 1 << 30));
    }
}
