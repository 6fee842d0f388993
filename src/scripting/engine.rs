//! The scripting engine: one Lua VM for all scripts, the sandbox built in
//! it, the cache of compiled scripts, and the client scripts run their
//! commands through. The server holds it (`server.scripting.engine`);
//! running a script takes it out meanwhile, so the script's callbacks may
//! borrow the server.

use super::cache::{parse_shebang, sha1_hex, Script, ScriptCache, Sha};
use super::prng::Lrand48;
use super::run::{interrupt, register_host_api, Interrupt, ScriptArguments, SharedHost};
use super::sandbox::{self, Sandbox, FUNCTION_CHUNK, SCRIPT_CHUNK};
use crate::server::errors::CmdError;
use crate::server::spec::OwnedArgs;
use crate::server::Server;
use mlua::{HookTriggers, Lua, VmState};
use std::cell::RefCell;
use std::rc::Rc;

/// Lua instructions between two checks of a long-running script (Redis's
/// count hook).
const INSTRUCTIONS_PER_CHECK: u32 = 100_000;

/// Bytes the VM may grow by between two full collections (Redis steps
/// the collector every 50 runs instead; its VM holds a third of the live
/// objects ours does, so a cycle costs it less). The VM stays under
/// 100 KB however many scripts run, as Redis's tests expect.
const GC_ALLOWANCE: usize = 24 * 1024;

/// The error a killed script raises (the error handler prefixes `ERR`).
const KILLED: &str = "Script killed by user with SCRIPT KILL...";

/// The scripting engine.
pub struct Engine {
    pub(super) lua: Lua,
    pub(super) sandbox: Sandbox,
    pub(super) scripts: ScriptCache,
    /// What the host functions reach: the running script's server, its
    /// client (Redis's Lua client) and rules.
    pub(super) host: SharedHost,
    /// A function call's arguments kept for FUNCTION STATS, reused.
    pub(super) spare_command: OwnedArgs,
    /// KEYS and ARGV as the last script left them, when it left them
    /// holding just its values: the next script's are put in them.
    pub(super) reusable_arguments: Option<ScriptArguments>,
    /// Redis's `math.random` generator; it outlives a SCRIPT FLUSH.
    rng: Rc<RefCell<Lrand48>>,
    /// The VM's size past which a run ends with a full collection.
    collect_at: usize,
    /// The chunk name code is compiled under: EVAL's engine compiles
    /// scripts, the functions' engine libraries.
    chunk_name: &'static str,
    /// The Lua debugger's session while a debugged script runs.
    pub(super) debug: super::debugger::DebugSlot,
}

impl Engine {
    /// A fresh engine: a new Lua VM, an empty cache.
    pub fn new() -> mlua::Result<Engine> {
        Engine::with_rng(Rc::default(), SCRIPT_CHUNK)
    }

    /// The engine functions run in: a VM of its own, as in Redis (SCRIPT
    /// FLUSH leaves it alone), compiling function libraries.
    pub fn for_functions() -> mlua::Result<Engine> {
        Engine::with_rng(Rc::default(), FUNCTION_CHUNK)
    }

    fn with_rng(rng: Rc<RefCell<Lrand48>>, chunk_name: &'static str) -> mlua::Result<Engine> {
        let lua = sandbox::new_vm()?;
        let host = SharedHost::default();
        let link = host.clone();
        let in_script = std::rc::Rc::new(move || link.try_borrow().map_or(true, |l| l.in_script()));
        let sandbox = sandbox::build(&lua, rng.clone(), in_script)?;
        register_host_api(&lua, &host, &sandbox.redis)?;
        install_interrupt_hook(&lua, host.clone(), false)?;
        let debug = super::debugger::DebugSlot::default();
        super::debugger::register(&lua, &sandbox.redis, &debug)?;
        // What building the sandbox left behind goes now, as a fresh
        // Redis VM holds none of it.
        lua.gc_collect()?;
        let collect_at = lua.used_memory() + GC_ALLOWANCE;
        Ok(Engine {
            lua,
            sandbox,
            scripts: ScriptCache::default(),
            host,
            spare_command: OwnedArgs::default(),
            reusable_arguments: None,
            rng,
            collect_at,
            chunk_name,
            debug,
        })
    }

    /// The engine that replaces this one (SCRIPT FLUSH): no scripts, a
    /// new VM, and `math.random`'s generator where this one's was. It
    /// shares nothing with this engine, which may then be freed anywhere
    /// (see [`Detached`]).
    pub fn successor(&self) -> mlua::Result<Engine> {
        let rng = Rc::new(RefCell::new(*self.rng.borrow()));
        Engine::with_rng(rng, self.chunk_name)
    }

    /// Bytes the Lua VM uses (INFO `used_memory_lua`).
    pub fn vm_memory(&self) -> usize {
        self.lua.used_memory()
    }

    pub fn scripts(&self) -> &ScriptCache {
        &self.scripts
    }

    /// Compiles `body` into the cache unless it is there (SCRIPT LOAD,
    /// EVAL of a new body); returns its SHA1. Errors are Redis's.
    pub fn load(&mut self, body: &[u8]) -> Result<Sha, CmdError> {
        let sha = sha1_hex(body);
        if self.scripts.contains(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) =
            parse_shebang(body).map_err(|e| CmdError::from(format!("ERR {}", e)))?;
        let source = body.get(shebang_len..).unwrap_or_default();
        let function = self.compile(source).map_err(|msg| {
            CmdError::concat(&[b"ERR Error compiling script (new function): ", &msg])
        })?;
        self.scripts.insert(
            sha,
            Script {
                function,
                flags,
                body_len: body.len(),
            },
        );
        Ok(sha)
    }

    /// Compiles a script's source as Redis does: always as text (a binary
    /// chunk fails as the text it is), in the sandbox's environment.
    pub(super) fn compile(&self, source: &[u8]) -> Result<mlua::Function, Vec<u8>> {
        // The lexer stops at the first byte of a binary chunk.
        let source = if source.first() == Some(&0x1b) {
            &source[..1]
        } else {
            source
        };
        self.lua
            .load(source)
            .set_name(self.chunk_name)
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(self.sandbox.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message.into_bytes(),
                other => other.to_string().into_bytes(),
            })
    }

    /// A run ended: once the VM grew by [`GC_ALLOWANCE`] since the last
    /// collection, the garbage collector completes a cycle; and the hook
    /// goes back to checking every so many instructions if a kill made it
    /// check every line (or the debugger's hook replaced it: `killed` then
    /// too).
    pub(super) fn after_run(&mut self, killed: bool) {
        if self.lua.used_memory() > self.collect_at {
            // The collector's own steps up to the end of a cycle: one mark
            // and one sweep (a full collection sweeps twice).
            while let Ok(false) = self.lua.gc_step() {}
            self.collect_at = self.lua.used_memory() + GC_ALLOWANCE;
        }
        if killed {
            let _ = install_interrupt_hook(&self.lua, self.host.clone(), false);
        }
    }
}

/// A scripting engine, or the functions' state that holds one, let go
/// of whole so the lazyfree thread can free it (SCRIPT FLUSH ASYNC,
/// FUNCTION FLUSH ASYNC).
pub struct Detached(pub Box<dyn std::any::Any>);

// SAFETY: an engine is a Lua VM and handles into it (functions, tables,
// the `Rc`s its Rust callbacks capture, the host link with the script
// client); mlua's handles are not `Send` because they share the VM
// without locks. A detached engine is the last owner of its VM and of
// every handle on it: the server keeps none (scripts run only while the
// engine is in the server, the server is lent to the host link only for
// a run, and `Engine::successor` gives the replacing engine its own copy
// of the one value engines shared, the random generator). Dropping it on
// another thread therefore touches nothing the loop still uses.
unsafe impl Send for Detached {}

/// The hook that interrupts long scripts: every so many instructions it
/// asks the running script's host whether to stop (the host serves the
/// other clients once the script is past `busy-reply-threshold`). A
/// killed script is then checked on every line, so a `pcall` loop cannot
/// swallow the kill. A host may instead answer with the error to raise
/// (a library load past its time).
fn install_interrupt_hook(lua: &Lua, link: SharedHost, every_line: bool) -> mlua::Result<()> {
    let mut triggers = HookTriggers::new().every_nth_instruction(INSTRUCTIONS_PER_CHECK);
    if every_line {
        triggers = triggers.every_line();
    }
    lua.set_global_hook(triggers, move |lua, _| match interrupt(&link)? {
        Interrupt::Continue => Ok(VmState::Continue),
        Interrupt::Raise(msg) => Err(super::api::Raised::table(msg).into_lua()),
        Interrupt::Kill => {
            log::warn!("Lua script killed by user with SCRIPT KILL.");
            if !every_line {
                install_interrupt_hook(lua, link.clone(), true)?;
            }
            Err(mlua::Error::runtime(KILLED))
        }
    })
}

/// The engine held by `srv`, if it was created.
pub fn engine(srv: &Server) -> Option<&Engine> {
    srv.scripting.engine.as_ref()?.downcast_ref::<Engine>()
}

/// Takes the engine out of `srv` (creating it the first time) while a
/// script runs or the cache changes; [`put_engine`] gives it back.
pub fn take_engine(srv: &mut Server) -> Result<Box<Engine>, CmdError> {
    if let Some(engine) = srv.scripting.engine.take() {
        if let Ok(engine) = engine.downcast::<Engine>() {
            return Ok(engine);
        }
    }
    if srv.scripting.run.is_some() {
        // The running script has it (nothing should ask for it then).
        return Err(CmdError::Static(srv.busy_error()));
    }
    match Engine::new() {
        Ok(engine) => Ok(Box::new(engine)),
        Err(e) => Err(CmdError::from(format!(
            "ERR Error creating the Lua scripting engine: {}",
            e
        ))),
    }
}

/// Gives back what [`take_engine`] took.
pub fn put_engine(srv: &mut Server, engine: Box<Engine>) {
    srv.scripting.engine = Some(engine);
}

/// Creates the engines at start-up, as Redis creates its Lua VMs (INFO
/// reports their memory from the start).
pub fn install(srv: &mut Server) {
    match Engine::new() {
        Ok(engine) => put_engine(srv, Box::new(engine)),
        Err(e) => log::warn!("Failed creating the Lua scripting engine: {}", e),
    }
    super::fcall::install(srv);
}
