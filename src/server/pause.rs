//! CLIENT PAUSE: while a pause holds, the commands it covers (all of them,
//! or those that may write) wait in their clients, which are released in
//! order when it ends.

use super::client::Client;
use super::stats::Pause;
use super::Server;
use crate::util::now_ms;

impl Server {
    /// True if CLIENT PAUSE holds back a command with these flags from `c`:
    /// every command under a full pause, only those that write or may
    /// replicate under `WRITE`. Replicas and MONITOR clients are never held.
    /// A shutdown waiting for replicas and a FAILOVER hold writes the same
    /// way.
    pub fn pause_holds(&self, c: &Client, cmd_flags: u64) -> bool {
        use crate::server::spec::flag;
        let write_only = match self.pause {
            Some(pause) => pause.write_only,
            None if self.writes_paused_for_replicas() => true,
            None => return false,
        };
        if c.kind == crate::server::client::ClientKind::Replica || c.monitor {
            return false;
        }
        !write_only || cmd_flags & (flag::WRITE | flag::MAY_REPLICATE) != 0
    }

    /// A shutdown waiting for replicas or a FAILOVER pauses writes (so the
    /// replicas can catch up with an offset that stands still).
    fn writes_paused_for_replicas(&self) -> bool {
        self.shutdown_pauses_writes() || self.failover_pauses_writes()
    }

    /// True while any pause holds: the dataset must stay still, so keys
    /// that expire are not deleted and nothing is added to the stream.
    pub fn clients_paused(&self) -> bool {
        self.pause.is_some() || self.writes_paused_for_replicas()
    }

    /// Holds `c`'s current command until the pause ends.
    pub(super) fn postpone(&mut self, c: &mut Client) {
        c.postponed = true;
        self.postponed.push(c.slot);
    }

    /// Ends CLIENT PAUSE; the clients it held run their commands before the
    /// loop sleeps again, in the order they were held.
    pub fn unpause_clients(&mut self) {
        self.pause = None;
        self.resume_paused_clients();
    }

    /// Lets every held client try its command again (one still held by
    /// another pause is held again, keeping its turn).
    pub fn resume_paused_clients(&mut self) {
        for slot in std::mem::take(&mut self.postponed) {
            if let Some(c) = self.clients.get_mut(slot) {
                c.postponed = false;
                self.unblocked.push(slot);
            }
        }
    }

    /// Starts CLIENT PAUSE or extends the running one: the later end and
    /// the stricter mode win. A pause already over ends at once.
    pub fn pause_clients(&mut self, pause: Pause) {
        let merged = match self.pause {
            Some(old) => Pause {
                until_ms: old.until_ms.max(pause.until_ms),
                write_only: old.write_only && pause.write_only,
            },
            None => pause,
        };
        if merged.until_ms < now_ms() {
            self.unpause_clients();
        } else {
            self.pause = Some(merged);
        }
    }

    /// Lifts CLIENT PAUSE when its time is up and resumes paused clients.
    pub fn end_pause_if_due(&mut self, now: i64) {
        if let Some(p) = self.pause {
            if now > p.until_ms {
                self.unpause_clients();
            }
        }
    }
}
