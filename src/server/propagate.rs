//! Command propagation: what the stream of writes receives for each
//! command, as Redis defines it, handed to every sink (see `hooks::Sink`:
//! the replication backlog and replicas; next, the AOF).
//!
//! A command that changed the dataset (the write path recorded a change,
//! see `server::write`) is propagated after it ran, as the client sent it unless the handler said
//! otherwise (`propagate_as`: relative expiries become absolute, BLPOP
//! becomes LPOP, SPOP becomes SREM...). Effects of a command beyond itself
//! (keys it expired lazily, for example) are added with `also_propagate`, in
//! order. When the outermost call ends, everything collected goes out; more
//! than one command is wrapped in MULTI/EXEC so replicas apply it atomically,
//! and a SELECT goes before a command whenever a sink's stream is in
//! another database. A command may be meant for some sinks only (a
//! script's `redis.set_repl`): each sink declares which [`target`] it is.

use super::hooks::Sink;
use super::Server;
use crate::resp::command::push_command;
use crate::server::spec::{flag, Args, OwnedArgs};

/// Kinds of consumer of the propagated stream, as a bit set.
pub mod target {
    /// The append-only file.
    pub const AOF: u8 = 1;
    /// The replication backlog and the replicas.
    pub const REPLICAS: u8 = 2;
    pub const ALL: u8 = AOF | REPLICAS;
}

/// A command collected for propagation.
#[derive(Debug)]
struct Pending {
    db: usize,
    command: OwnedArgs,
    /// The sinks it is meant for (`target::*`).
    targets: u8,
}

/// Commands collected during the current (outermost) call.
#[derive(Debug)]
pub struct Propagation {
    /// Commands in order.
    pending: Vec<Pending>,
    /// What the running command propagates instead of itself.
    rewritten: Option<OwnedArgs>,
    /// The running command must not be propagated at all.
    suppressed: bool,
    /// The running command is propagated even if it changed nothing.
    forced: bool,
    /// The running command (or one it ran, for EXEC) changed the dataset.
    pub wrote: bool,
    /// Nesting of `call` (EXEC runs commands inside its own call).
    depth: usize,
    /// The sinks commands called now are propagated to (`target::*`; a
    /// script narrows it with `redis.set_repl`).
    targets: u8,
    /// The outermost command may touch keys it was not given (SCAN,
    /// RANDOMKEY): what it collects (lazily expired keys) goes out
    /// without MULTI/EXEC, as active expiry's deletions do.
    unwrapped: bool,
}

impl Default for Propagation {
    fn default() -> Self {
        Propagation {
            pending: Vec::new(),
            rewritten: None,
            suppressed: false,
            forced: false,
            wrote: false,
            depth: 0,
            targets: target::ALL,
            unwrapped: false,
        }
    }
}

/// State saved around one (possibly nested) call.
pub struct CallFrame {
    wrote: bool,
    db: usize,
    rewritten: Option<OwnedArgs>,
    suppressed: bool,
    forced: bool,
}

impl Server {
    /// The running command propagates as `parts` instead of itself.
    pub fn propagate_as<T: AsRef<[u8]>>(&mut self, parts: &[T]) {
        if !self.propagation_wanted() {
            return;
        }
        self.propagation.rewritten = Some(OwnedArgs::from_slices(parts));
    }

    /// The running command is not propagated even though it wrote.
    pub fn suppress_propagation(&mut self) {
        self.propagation.suppressed = true;
    }

    /// The running command is propagated even though it may have changed
    /// nothing (FLUSHALL on an empty dataset still reaches replicas).
    pub fn force_propagation(&mut self) {
        self.propagation.forced = true;
    }

    /// Queues `parts` to be propagated in database `db`, before the running
    /// command itself.
    pub fn also_propagate<T: AsRef<[u8]>>(&mut self, db: usize, parts: &[T]) {
        if !self.propagation_wanted() {
            return;
        }
        self.propagation.pending.push(Pending {
            db,
            command: OwnedArgs::from_slices(parts),
            targets: target::ALL,
        });
        if self.propagation.depth == 0 {
            self.propagate_pending();
        }
    }

    /// Commands called from now on are propagated to the `targets` sinks
    /// only (`target::*`, none for 0); returns the previous targets.
    pub fn set_propagation_targets(&mut self, targets: u8) -> u8 {
        std::mem::replace(&mut self.propagation.targets, targets)
    }

    /// True while a command runs (a call now would be nested, as EXEC's are).
    pub fn inside_call(&self) -> bool {
        self.propagation.depth > 0
    }

    /// True when a sink consumes the stream; otherwise collecting
    /// commands would only cost copies. Nothing propagates while a file
    /// is loaded (its commands are already in the stream's history).
    fn propagation_wanted(&self) -> bool {
        self.persistence.loading.is_none()
            && self.hooks.sinks.iter().any(|sink| (sink.active)(self))
    }

    /// Marks the start of a call of a command with `flags`.
    pub fn begin_propagation_frame(&mut self, db: usize, flags: u64) -> CallFrame {
        if self.propagation.depth == 0 {
            self.propagation.unwrapped = flags & flag::TOUCHES_ARBITRARY_KEYS != 0;
        }
        self.propagation.depth += 1;
        CallFrame {
            wrote: std::mem::take(&mut self.propagation.wrote),
            db,
            rewritten: self.propagation.rewritten.take(),
            suppressed: std::mem::take(&mut self.propagation.suppressed),
            forced: std::mem::take(&mut self.propagation.forced),
        }
    }

    /// Marks the end of a command call: queues the command if it wrote, and
    /// sends everything out when this was the outermost call.
    pub fn end_propagation_frame(&mut self, frame: CallFrame, args: &Args) {
        let rewritten = std::mem::replace(&mut self.propagation.rewritten, frame.rewritten);
        let suppressed = std::mem::replace(&mut self.propagation.suppressed, frame.suppressed);
        let forced = std::mem::replace(&mut self.propagation.forced, frame.forced);
        let wrote = self.propagation.wrote;
        // A transaction wrote if any command it ran did.
        self.propagation.wrote |= frame.wrote;
        let targets = self.propagation.targets;
        if (wrote || forced) && !suppressed && targets != 0 && self.propagation_wanted() {
            let command = rewritten.unwrap_or_else(|| OwnedArgs::from_args(args));
            self.propagation.pending.push(Pending {
                db: frame.db,
                command,
                targets,
            });
        }
        self.propagation.depth = self.propagation.depth.saturating_sub(1);
        if self.propagation.depth == 0 {
            self.propagate_pending();
            self.propagation.unwrapped = false;
        }
    }

    /// Sends what was collected to every active sink: one command as is,
    /// several inside MULTI/EXEC (unless the command touched arbitrary
    /// keys).
    fn propagate_pending(&mut self) {
        let pending = std::mem::take(&mut self.propagation.pending);
        if pending.is_empty() {
            return;
        }
        for i in 0..self.hooks.sinks.len() {
            let Some(sink) = self.hooks.sinks.get(i).copied() else {
                break;
            };
            if (sink.active)(self) {
                let frame = self.frame_for(sink, &pending);
                (sink.write)(self, &frame);
            }
        }
    }

    /// The bytes `sink` receives for `pending`: each command preceded by a
    /// SELECT when the sink's stream is in another database, the whole
    /// wrapped in MULTI/EXEC when more than one was collected (as in Redis,
    /// counting those meant for other sinks too).
    fn frame_for(&mut self, sink: Sink, pending: &[Pending]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        let (Some(first), Some(last)) = (pending.first(), pending.last()) else {
            return out;
        };
        let transaction = pending.len() > 1 && !self.propagation.unwrapped;
        if transaction {
            self.frame_command(sink, &mut out, first.db, &["MULTI"]);
        }
        for p in pending.iter().filter(|p| p.targets & sink.target != 0) {
            self.frame_command(sink, &mut out, p.db, p.command.args().iter());
        }
        if transaction {
            self.frame_command(sink, &mut out, last.db, &["EXEC"]);
        }
        out
    }

    /// Appends one command in database `db` to a sink's frame.
    fn frame_command<I>(&mut self, sink: Sink, out: &mut Vec<u8>, db: usize, parts: I)
    where
        I: IntoIterator,
        I::IntoIter: ExactSizeIterator,
        I::Item: AsRef<[u8]>,
    {
        let selected = (sink.selected_db)(self);
        if *selected != Some(db) {
            *selected = Some(db);
            let mut digits = [0u8; 21];
            let db_text = crate::util::i64_text(&mut digits, db as i64);
            push_command(out, [b"SELECT".as_slice(), db_text]);
        }
        push_command(out, parts);
    }
}
