//! A script running past `busy-reply-threshold`: the loop goes on serving
//! the other clients from inside it (as Redis calls
//! `processEventsWhileBlocked` from its Lua hook), in a restricted mode.
//! Dispatch refuses with `-BUSY` every command not flagged `allow_busy`
//! (SCRIPT KILL, SHUTDOWN NOSAVE, the transaction commands, ...), clients
//! blocked on keys are not woken, the primary's stream waits, and the
//! script's caller, out of the client table while its command runs, is
//! left alone until the script ends.
//!
//! The scripting feature drives it: it records the run in
//! `scripting.run` (`state::scripting`), calls [`Server::serve_while_busy`]
//! from its interrupt hook, and [`Server::end_script_run`] when the script
//! returns.

use super::state::scripting::{ScriptRun, BUSY_EVAL, BUSY_FUNCTION};
use super::Server;

impl Server {
    /// True while a script runs past the threshold (Redis's
    /// `isInsideYieldingLongCommand`).
    pub fn busy(&self) -> bool {
        self.scripting.run.as_ref().is_some_and(|r| r.timed_out)
    }

    /// The `-BUSY` error for the script running now.
    pub fn busy_error(&self) -> &'static str {
        match &self.scripting.run {
            Some(run) if !run.eval => BUSY_FUNCTION,
            _ => BUSY_EVAL,
        }
    }

    /// Serves the other clients once, from inside the running script:
    /// their input is read and run (or refused), their replies written.
    pub fn serve_while_busy(&mut self) {
        let serving = self.current_slot;
        self.process_events_while_blocked();
        self.current_slot = serving;
    }

    /// The script returned: forgets the run and catches up with what its
    /// running put off. Input the caller sent meanwhile raised no new
    /// readiness, so the caller reads again once the loop gets to it; the
    /// commands of the primary that waited run before the loop sleeps.
    pub fn end_script_run(&mut self) -> Option<ScriptRun> {
        let run = self.scripting.run.take()?;
        if run.timed_out {
            self.pending_reads.push(run.caller_slot);
            let primary = self
                .replication
                .upstream
                .as_ref()
                .and_then(|u| u.client_slot);
            if let Some(slot) = primary.filter(|&s| s != run.caller_slot) {
                self.unblocked.push(slot);
            }
        }
        Some(run)
    }
}
