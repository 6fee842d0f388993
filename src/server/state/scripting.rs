//! What the server holds for scripting: the engine (owned and driven by
//! the scripting feature; the core never looks inside it), and the facts
//! the core needs about the script running now: a script past
//! `busy-reply-threshold` makes the loop serve other clients in a
//! restricted mode (see `server::busy`).

use crate::server::spec::OwnedArgs;
use crate::server::Server;
use std::any::Any;
use std::time::Instant;

/// Scripting state.
#[derive(Default)]
pub struct Scripting {
    /// The scripting engine (a Lua VM and its caches). It is taken out
    /// while a script runs, so the script may borrow the server.
    pub engine: Option<Box<dyn Any>>,
    /// The script running now, if one is.
    pub run: Option<ScriptRun>,
    /// Commands flagged `noscript` are allowed from scripts (DEBUG
    /// SET-DISABLE-DENY-SCRIPTS, for tests).
    pub deny_scripts_disabled: bool,
    /// The function libraries (FUNCTION LOAD) and their own engine, owned
    /// and driven by the scripting feature like `engine`.
    pub functions: Option<Box<dyn Any>>,
    /// What persistence asks of the function libraries; set by the
    /// scripting feature at start-up.
    pub library_hooks: Option<LibraryHooks>,
    /// Forked Lua debugging sessions still running (their pids).
    pub debug_children: Vec<i32>,
}

/// How a client's EVALs are debugged (SCRIPT DEBUG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugMode {
    /// YES: in a forked child; the dataset changes are thrown away.
    Fork,
    /// SYNC: in the server's own process, blocking it; changes are kept.
    Sync,
}

/// How persistence saves and loads the function libraries without naming
/// the scripting feature.
#[derive(Clone, Copy)]
pub struct LibraryHooks {
    /// Every library's code (with its `#!lua name=` line), by name.
    pub codes: fn(&Server) -> Vec<Vec<u8>>,
    /// Creates a library from its code (an RDB's function record);
    /// `replace` replaces a library of the same name. Errors are Redis's
    /// texts.
    pub load: fn(&mut Server, &[u8], bool) -> Result<(), String>,
    /// Drops every library (a full reload of the dataset).
    pub clear: fn(&mut Server),
}

/// The script being run.
#[derive(Debug, Clone)]
pub struct ScriptRun {
    /// Slot of the client that called it.
    pub caller_slot: usize,
    /// The caller is the link to our primary: the script cannot be killed
    /// and replica checks do not apply (Redis's `mustObeyClient`).
    pub from_primary: bool,
    /// EVAL and its family (FCALL later): decides the BUSY text and which
    /// KILL stops it.
    pub eval: bool,
    /// The script's name in logs and errors (its SHA1 for EVAL).
    pub name: String,
    pub started: Instant,
    /// Past `busy-reply-threshold`: other clients get `-BUSY` for all but
    /// the commands flagged `allow_busy`.
    pub timed_out: bool,
    /// SCRIPT KILL asked to stop it.
    pub kill_requested: bool,
    /// It ran a write command: it can no longer be killed.
    pub wrote: bool,
    /// The caller's command, for FUNCTION STATS (functions only).
    pub command: OwnedArgs,
}

impl ScriptRun {
    /// A script starting now.
    pub fn new(caller_slot: usize, from_primary: bool, eval: bool, name: String) -> ScriptRun {
        ScriptRun {
            caller_slot,
            from_primary,
            eval,
            name,
            started: Instant::now(),
            timed_out: false,
            kill_requested: false,
            wrote: false,
            command: OwnedArgs::default(),
        }
    }
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripting")
            .field("engine", &self.engine.is_some())
            .field("run", &self.run)
            .field("functions", &self.functions.is_some())
            .finish()
    }
}

/// `-BUSY` while an EVAL script runs past the threshold.
pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// `-BUSY` while a function runs past the threshold.
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
