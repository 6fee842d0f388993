//! Running one command: lookup, the checks Redis makes before a command runs
//! (existence, arity, DEBUG and MODULE protection, authentication, MULTI
//! restrictions, ACL permissions, maxmemory, MISCONF, NOREPLICAS, LOADING,
//! BUSY, CLIENT PAUSE), queueing inside MULTI or the
//! call itself, and the bookkeeping after it (stats, slowlog, latency, MONITOR,
//! the keys a tracking client read).

use super::evict::EvictOutcome;
use super::Server;
use crate::server::client::{Client, ClientKind};
use crate::server::spec::{flag, Args, Lookup, OwnedArgs};
use crate::util::{now_us, truncated};

/// What became of a command handed to [`Server::process_command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// It ran, or was refused with an error reply.
    Done,
    /// CLIENT PAUSE holds it; it runs when the pause ends.
    Postponed,
}

impl Server {
    /// Checks and runs one parsed command for client `c`, then applies
    /// CLIENT REPLY to whatever it replied.
    pub fn process_command(&mut self, c: &mut Client, args: &Args) -> Dispatch {
        let reply_start = c.reply.buf.len();
        c.reply_mark = reply_start;
        c.redacted_args = 0;
        let had_role = c.kind.has_role();
        let outcome = self.check_and_call(c, args);
        if outcome == Dispatch::Done {
            c.settle_reply_mode();
            if c.tracking.is_some() {
                self.settle_caching(c);
            }
        }
        if had_role {
            if let Some(roles) = self.hooks.roles {
                (roles.command_done)(self, c, args, reply_start, outcome == Dispatch::Done);
            }
        }
        outcome
    }

    fn check_and_call(&mut self, c: &mut Client, args: &Args) -> Dispatch {
        let name = &args[0];
        if name.eq_ignore_ascii_case(b"host:") || name.eq_ignore_ascii_case(b"post") {
            log::warn!("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
            c.close_asap = true;
            return Dispatch::Done;
        }
        c.last_command = usize::MAX;
        let id = match self.registry.lookup(args) {
            Lookup::Found(id) => id,
            Lookup::Unknown => {
                let msg = unknown_command_message(args);
                self.reject(c, args, None, &msg);
                return Dispatch::Done;
            }
            Lookup::UnknownSub(parent) => {
                let parent_name = self.registry.entries[parent].cmd.name.to_ascii_uppercase();
                let msg = [
                    b"ERR unknown subcommand '",
                    truncated(&args[1], 128),
                    b"'. Try ",
                    parent_name.as_bytes(),
                    b" HELP.",
                ]
                .concat();
                self.reject(c, args, None, &msg);
                return Dispatch::Done;
            }
        };
        c.last_command = id;
        let cmd = self.registry.entries[id].cmd;
        if !cmd.arity_ok(args.len()) {
            let msg = format!(
                "ERR wrong number of arguments for '{}' command",
                self.registry.entries[id].fullname
            );
            self.reject(c, args, Some(id), &msg);
            return Dispatch::Done;
        }
        if cmd.has(flag::PROTECTED) {
            if let Some(refusal) = self.protected_refusal(c, id) {
                self.reject(c, args, Some(id), refusal);
                return Dispatch::Done;
            }
        }
        if self.auth_required(c) && !cmd.has(flag::NO_AUTH) {
            self.reject(c, args, Some(id), "NOAUTH Authentication required.");
            return Dispatch::Done;
        }
        if c.multi.is_open() && cmd.has(flag::NO_MULTI) {
            self.reject(c, args, Some(id), NOT_IN_MULTI);
            return Dispatch::Done;
        }
        if let Err(denial) = self.acl_check(c.user, id, args) {
            self.acl_log_denial(c, &denial, Server::acl_context(c), args);
            let msg = denial.error(&self.registry);
            self.reject(c, args, Some(id), msg);
            return Dispatch::Done;
        }
        let flags = self.effective_flags(c, id, args);
        if self.evict_clients(Some(c)) {
            return Dispatch::Done;
        }
        if self.refused_for_memory(c, id, flags) {
            self.reject(c, args, Some(id), crate::server::errors::OOM);
            return Dispatch::Done;
        }
        if self.tracking.clients > 0 {
            self.limit_tracking_table(Some(c));
        }
        if let Some(refusal) = self.feature_refusal(c, cmd, flags) {
            self.reject(c, args, Some(id), refusal);
            return Dispatch::Done;
        }
        if c.kind == ClientKind::PubSub && !c.reply.resp3 && !cmd.has(flag::SUBSCRIBED_OK) {
            let msg = format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                self.registry.entries[id].fullname
            );
            self.reject(c, args, Some(id), &msg);
            return Dispatch::Done;
        }
        let refused_while_loading = if self.persistence.async_loading {
            flags & flag::NO_ASYNC_LOADING != 0
        } else {
            self.persistence.loading.is_some() && flags & flag::LOADING == 0
        };
        if refused_while_loading {
            self.reject(c, args, Some(id), crate::server::errors::LOADING);
            return Dispatch::Done;
        }
        if self.busy() && flags & flag::ALLOW_BUSY == 0 {
            let busy = self.busy_error();
            self.reject(c, args, Some(id), busy);
            return Dispatch::Done;
        }
        if self.pause_holds(c, flags) {
            self.postpone(c);
            return Dispatch::Postponed;
        }
        if self.queues_command(c, id) {
            self.queue_command(c, id, args, flags);
        } else {
            self.call(c, id, args);
        }
        Dispatch::Done
    }

    /// Redis's maxmemory handling before a command: keys are evicted as
    /// the policy allows (see [`crate::server::evict`]); if memory is still
    /// over the limit, commands that may grow it are refused, and so is
    /// queueing anything inside MULTI (EXEC only when it holds such a
    /// command). Not while a script runs past its time limit (the commands
    /// served meanwhile must not mix evictions into its propagation).
    fn refused_for_memory(&mut self, c: &mut Client, id: usize, flags: u64) -> bool {
        if self.config.maxmemory == 0 || self.busy() {
            self.eviction.out_of_memory = false;
            return false;
        }
        let out_of_memory = self.perform_evictions() == EvictOutcome::Fail;
        // A tracking client hears of keys evicted just now before its
        // command's reply (the keys may be read again by it).
        self.send_deferred_invalidations(c);
        self.eviction.out_of_memory = out_of_memory;
        out_of_memory && (flags & flag::DENYOOM != 0 || self.queues_command(c, id))
    }

    /// Memory was over `maxmemory`, with nothing the policy allows to
    /// evict, when the running command started (scripts refuse commands
    /// that may grow memory then, as Redis's `pre_command_oom_state`).
    pub fn out_of_memory(&self) -> bool {
        self.eviction.out_of_memory
    }

    /// DEBUG and MODULE's protected subcommands need
    /// `enable-debug-command` / `enable-module-command` to allow them.
    fn protected_refusal(&self, c: &Client, id: usize) -> Option<&'static str> {
        let top = self
            .registry
            .entries
            .get(id)
            .and_then(|e| e.parent)
            .unwrap_or(id);
        let is_module = self
            .registry
            .entries
            .get(top)
            .is_some_and(|e| e.cmd.name == "module");
        let (setting, refusal) = if is_module {
            (self.config.enable_module_command, MODULE_NOT_ALLOWED)
        } else {
            (self.config.enable_debug_command, DEBUG_NOT_ALLOWED)
        };
        (!setting.allows(c.is_local)).then_some(refusal)
    }

    /// Refuses a command before it runs (counted as rejected, not called).
    /// An open transaction is doomed by it; a refused EXEC drops it.
    fn reject(&mut self, c: &mut Client, args: &Args, id: Option<usize>, msg: impl AsRef<[u8]>) {
        let msg = msg.as_ref();
        if let Some(entry) = id.and_then(|i| self.registry.entries.get_mut(i)) {
            entry.stats.rejected_calls += 1;
        }
        self.flag_transaction(c);
        if id == Some(self.tx_commands.exec) {
            self.abort_exec(c, msg);
            if !self.monitors.is_empty() {
                self.feed_monitors(c, args);
            }
        } else {
            c.reply.error(msg);
        }
        self.account_errors(c);
    }

    /// The full name of the last command `c` ran, as logs name it
    /// (`<unknown>` for a command not found).
    pub fn last_command_name(&self, c: &Client) -> &str {
        self.registry
            .entries
            .get(c.last_command)
            .map_or("<unknown>", |e| e.fullname.as_str())
    }

    /// Moves the client's pending error codes into INFO errorstats; returns
    /// how many there were.
    pub fn account_errors(&mut self, c: &mut Client) -> usize {
        let n = c.reply.error_codes.len();
        for code in c.reply.error_codes.drain(..) {
            self.stats.count_error(&code);
        }
        n
    }

    /// Runs command `id` and does the bookkeeping around it.
    pub fn call(&mut self, c: &mut Client, id: usize, args: &Args) {
        let Some(entry) = self.registry.entries.get(id) else {
            return;
        };
        let cmd = entry.cmd;
        let started_us = now_us();
        let outermost = !self.inside_call();
        if outermost {
            // Commands EXEC runs all see the time EXEC started.
            self.cmd_time_ms = started_us / 1000;
            self.set_tracking_current(c.id);
        }
        let offset_before = self.replication.master_offset;
        let dirty_before = self.dirty;
        let frame = self.begin_propagation_frame(c.db, cmd.flags);
        let reply_start = c.reply.buf.len();
        let outer_anchor = std::mem::replace(&mut c.reply.push_anchor, reply_start);
        if let Err(e) = (cmd.handler)(self, c, args) {
            c.reply.error(e.bytes());
        }
        self.deliver_held(c, c.reply.push_anchor);
        c.reply.push_anchor = outer_anchor;
        self.end_propagation_frame(frame, args);
        if self.tracking.clients > 0 {
            self.track_reads(c, id, cmd, args);
        }
        if outermost {
            // Invalidations this command caused for its own client go
            // after its reply (after EXEC's, for a transaction).
            self.send_deferred_invalidations(c);
        }
        let dirtied = self.dirty != dirty_before;
        if dirtied {
            self.run_after_write_hooks(c, cmd, args);
        }
        if self.replication.master_offset != offset_before {
            c.repl.woff = self.replication.master_offset;
        }
        let duration_us = (now_us() - started_us).max(0) as u64;
        let failed = (self.account_errors(c) > 0) | std::mem::take(&mut c.reply.uncounted_error);
        if self.blocking.rerunning() {
            // A blocked command run again when its key was written was
            // counted (and shown to MONITOR) when the client sent it; being
            // served ends it.
            if let Some(call_us) = self.blocking.served_call_us() {
                self.record_unblocked_call(c, id, args, call_us, duration_us, failed);
            }
            return;
        }
        // A command that blocked is timed and logged to the slowlog when
        // it is served (or unblocked), as Redis does.
        let blocked = c
            .blocked
            .as_mut()
            .map(|b| b.call_us = duration_us)
            .is_some();
        let track_latency = self.config.latency_tracking && !blocked;
        let Some(entry) = self.registry.entries.get_mut(id) else {
            return;
        };
        entry.stats.calls += 1;
        entry.stats.usec += duration_us;
        if failed {
            entry.stats.failed_calls += 1;
        }
        if track_latency {
            entry.stats.record_latency(duration_us);
        }
        c.commands_processed += 1;
        self.stats.total_commands_processed += 1;
        self.after_call(c, cmd.flags, args, duration_us, !blocked);
    }

    /// The stats of a blocked command that ended (served, or by CLIENT
    /// UNBLOCK), as Redis's `updateStatsOnUnblock`: its time (the call
    /// that blocked plus the one that served it, `reply_us`), the failure,
    /// the latency histogram, the slowlog, and the `command-unblocking`
    /// latency event.
    pub fn record_unblocked_call(
        &mut self,
        c: &Client,
        id: usize,
        args: &Args,
        call_us: u64,
        reply_us: u64,
        failed: bool,
    ) {
        let total_us = call_us + reply_us;
        let track_latency = self.config.latency_tracking;
        let Some(entry) = self.registry.entries.get_mut(id) else {
            return;
        };
        entry.stats.usec += total_us;
        if failed {
            entry.stats.failed_calls += 1;
        }
        if track_latency {
            entry.stats.record_latency(total_us);
        }
        let flags = entry.cmd.flags;
        self.log_slow(c, flags, args, total_us);
        self.latency.add_if_needed(
            "command-unblocking",
            reply_us / 1000,
            self.config.latency_monitor_threshold,
        );
    }

    /// Latency monitor sample, slowlog entry (unless it blocked) and
    /// MONITOR feed of a command that just ran (reading the configuration
    /// as the command left it).
    fn after_call(&mut self, c: &Client, flags: u64, args: &Args, duration_us: u64, slowlog: bool) {
        let redacted;
        let shown = if c.redacted_args == 0 {
            *args
        } else {
            redacted = redact(args, c.redacted_args);
            redacted.args()
        };
        let args = &shown;
        let event = if flags & flag::FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        self.latency.add_if_needed(
            event,
            duration_us / 1000,
            self.config.latency_monitor_threshold,
        );
        if slowlog {
            self.log_slow(c, flags, args, duration_us);
        }
        if !self.monitors.is_empty() && flags & (flag::SKIP_MONITOR | flag::ADMIN) == 0 {
            self.feed_monitors(c, args);
        }
    }

    /// A slowlog entry for a command of `c` that took `duration_us`, if
    /// that is slow enough.
    fn log_slow(&mut self, c: &Client, flags: u64, args: &Args, duration_us: u64) {
        let threshold = self.config.slowlog_log_slower_than;
        if flags & flag::SKIP_SLOWLOG != 0 || threshold < 0 {
            return;
        }
        if duration_us >= threshold as u64 {
            let name = c
                .name
                .as_deref()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            self.slowlog.push(
                args,
                duration_us,
                &c.addr,
                &name,
                self.config.slowlog_max_len,
            );
        } else {
            self.slowlog.trim(self.config.slowlog_max_len);
        }
    }

    /// Sends a command line to every MONITOR client, as Redis formats it.
    pub fn feed_monitors(&mut self, c: &Client, args: &Args) {
        if self.monitors.is_empty() {
            return;
        }
        let now = crate::util::now_us();
        let mut line = format!(
            "+{}.{:06} [{} {}]",
            now / 1_000_000,
            now % 1_000_000,
            c.db,
            c.addr
        );
        for a in args.iter() {
            line.push(' ');
            line.push_str(&crate::util::repr_bytes(a));
        }
        line.push_str("\r\n");
        let monitors = self.monitors.clone();
        for slot in monitors {
            if let Some(m) = self.clients.get_mut(slot).filter(|m| !m.close_asap) {
                m.reply.raw(line.as_bytes());
                self.mark_pending_write(slot);
            }
        }
    }
}

/// A copy of `args` with the arguments in the `mask` positions replaced by
/// `(redacted)`, as MONITOR and SLOWLOG show them.
fn redact(args: &Args, mask: u64) -> OwnedArgs {
    let mut out = OwnedArgs::default();
    for (i, a) in args.iter().enumerate() {
        let hidden = i < 64 && mask & (1 << i) != 0;
        out.push(if hidden { b"(redacted)" } else { a });
    }
    out
}

const NOT_IN_MULTI: &str = "ERR Command not allowed inside a transaction";

const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
const MODULE_NOT_ALLOWED: &str = "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' `, quoting
/// the client's bytes as they came (at most 128 of them each).
fn unknown_command_message(args: &Args) -> Vec<u8> {
    let mut rest = Vec::new();
    for a in args.iter().skip(1) {
        if rest.len() >= 128 {
            break;
        }
        let room = 128 - rest.len();
        rest.push(b'\'');
        rest.extend_from_slice(truncated(a, room));
        rest.extend_from_slice(b"' ");
    }
    [
        b"ERR unknown command '",
        truncated(&args[0], 128),
        b"', with args beginning with: ",
        &rest,
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_marked_arguments() {
        let args = OwnedArgs::from_slices(&["hello", "3", "AUTH", "user", "secret"]);
        let shown = redact(&args.args(), (1 << 3) | (1 << 4));
        let shown: Vec<&[u8]> = shown.args().iter().collect();
        assert_eq!(
            shown,
            [&b"hello"[..], b"3", b"AUTH", b"(redacted)", b"(redacted)"]
        );
    }
}
