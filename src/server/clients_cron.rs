//! The clients cron (Redis's clientsCron): every `hz` tick it visits a
//! share of the clients, enough to see each about once a second and at
//! least five per tick, and resizes their buffers after their recent use:
//! query buffers are freed when the client is idle and trimmed when much
//! larger than their peak; reply buffers move between 1KB and 16KB after
//! theirs. It also records the largest input and output buffers of the
//! last seconds for INFO's `client_recent_max_*` fields.

use super::client::ReplyResize;
use super::Server;

/// Default time between reply buffer peak resets, in milliseconds
/// (Redis's REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME).
pub const REPLY_PEAK_RESET_MS: i64 = 5000;
/// Clients visited per tick at least (CLIENTS_CRON_MIN_ITERATIONS).
const MIN_VISITS: usize = 5;
/// Seconds of buffer peaks remembered (CLIENTS_PEAK_MEM_USAGE_SLOTS).
const PEAK_SLOTS: usize = 8;

/// Where the clients cron is in the client table, and the largest
/// buffers it saw in each of the last seconds.
#[derive(Debug, Default)]
pub struct ClientsCron {
    next_slot: usize,
    peak_input: [usize; PEAK_SLOTS],
    peak_output: [usize; PEAK_SLOTS],
}

impl ClientsCron {
    /// The largest (input, output) buffers seen in the last seconds.
    pub fn recent_max_buffers(&self) -> (usize, usize) {
        let input = self.peak_input.iter().copied().max().unwrap_or(0);
        let output = self.peak_output.iter().copied().max().unwrap_or(0);
        (input, output)
    }
}

impl Server {
    /// One tick of the clients cron.
    pub(super) fn clients_cron(&mut self, now_ms: i64) {
        let clients = self.clients.count;
        let hz = usize::try_from(self.config.hz.max(1)).unwrap_or(1);
        let visits = (clients / hz).max(clients.min(MIN_VISITS));
        let now_s = now_ms / 1000;
        let second = usize::try_from(now_s).unwrap_or(0) % PEAK_SLOTS;
        // The next second's record starts afresh when it comes round.
        let next = (second + 1) % PEAK_SLOTS;
        self.clients_cron.peak_input[next] = 0;
        self.clients_cron.peak_output[next] = 0;
        let slots = self.clients.slot_count();
        let mut visited = 0;
        for _ in 0..slots {
            if visited == visits {
                break;
            }
            let slot = self.clients_cron.next_slot % slots;
            self.clients_cron.next_slot = slot + 1;
            if self.clients.get(slot).is_some() {
                self.clients_cron_visit(slot, now_ms, second);
                visited += 1;
            }
        }
    }

    /// Resizes one client's buffers and records their sizes.
    fn clients_cron_visit(&mut self, slot: usize, now_ms: i64, second: usize) {
        let resizing = self.reply_buffer_resizing;
        let peak_reset_ms = self.reply_buffer_peak_reset_ms;
        let stream_memory = self.replication.stream_memory(slot);
        let Some(c) = self.clients.get_mut(slot) else {
            return;
        };
        let idle_s = now_ms / 1000 - c.last_interaction_ms / 1000;
        let bulk_need = c.pending_bulk_need();
        let query_resized = c.query.cron_resize(idle_s, bulk_need);
        if let Some(shifted) = query_resized {
            c.parser.shift(shifted);
        }
        let reply = if resizing {
            c.cron_resize_reply(now_ms, peak_reset_ms)
        } else {
            ReplyResize::Kept
        };
        let input = c.query.allocated() + c.argv_mem;
        let output = c.output_list_bytes() + stream_memory;
        match reply {
            ReplyResize::Shrunk(_) => self.stats.reply_buffer_shrinks += 1,
            ReplyResize::Grown(_) => self.stats.reply_buffer_expands += 1,
            ReplyResize::Kept => {}
        }
        let record = &mut self.clients_cron;
        record.peak_input[second] = record.peak_input[second].max(input);
        record.peak_output[second] = record.peak_output[second].max(output);
        if query_resized.is_some() || reply != ReplyResize::Kept {
            self.account_client_memory_of(slot);
        }
    }
}
