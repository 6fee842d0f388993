//! What the FUNCTION commands and FCALL do to the server: loading,
//! deleting, flushing, dumping and restoring libraries (each a change of
//! the dataset, propagated as the command itself), calling a function,
//! and the hooks persistence saves and loads libraries through.

use super::cache::command_flags;
use super::functions::{functions, functions_mut, Libraries, LOAD_TIMEOUT};
use super::run::Invocation;
use crate::persistence::reader::{function_payload_codes, verify_payload};
use crate::persistence::writer::functions_payload;
use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult};
use crate::server::spec::Args;
use crate::server::state::scripting::LibraryHooks;
use crate::server::Server;

/// FUNCTION RESTORE's policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Every existing library goes first.
    Flush,
    /// Adds the libraries; one already there is an error.
    Append,
    /// Adds the libraries, replacing those of the same names.
    Replace,
}

/// A change of the libraries counts as a write and reaches replicas and
/// the AOF as the command that made it.
fn changed(srv: &mut Server) {
    srv.dirty += 1;
    srv.force_propagation();
}

fn error(text: String) -> CmdError {
    CmdError::from(format!("ERR {}", text))
}

/// FUNCTION LOAD [REPLACE] code: the library's name.
pub fn load(srv: &mut Server, c: &Client, code: &[u8], replace: bool) -> Result<Vec<u8>, CmdError> {
    // What our primary sends, or the AOF (a client without a connection)
    // holds, is loaded whatever time it takes (Redis's `mustObeyClient`).
    let obeyed = c.kind.is_primary_link() || c.stream.is_none();
    let timeout = (!obeyed).then_some(LOAD_TIMEOUT);
    let name = load_code(srv, code, replace, timeout).map_err(error)?;
    changed(srv);
    Ok(name)
}

fn load_code(
    srv: &mut Server,
    code: &[u8],
    replace: bool,
    timeout: Option<std::time::Duration>,
) -> Result<Vec<u8>, String> {
    let f = functions_mut(srv)?;
    let engine = f.engine.as_deref_mut().ok_or("a function is running")?;
    f.libraries.load(engine, code, replace, timeout)
}

/// FUNCTION DELETE library.
pub fn delete(srv: &mut Server, name: &[u8]) -> CmdResult {
    let deleted = functions_mut(srv).map_err(error)?.libraries.delete(name);
    if !deleted {
        return Err(CmdError::Static("ERR Library not found"));
    }
    changed(srv);
    Ok(())
}

/// FUNCTION FLUSH: every library goes, with the engine they were loaded
/// in (freed on the lazyfree thread when `lazy` and there were enough
/// functions); a fresh engine takes its place.
pub fn flush(srv: &mut Server, lazy: bool) -> CmdResult {
    let count = functions(srv).map_or(0, |f| f.libraries.function_count());
    let old = srv.scripting.functions.take();
    if let Err(e) = functions_mut(srv) {
        srv.scripting.functions = old;
        return Err(error(e));
    }
    if let Some(old) = old {
        srv.free_detached(Box::new(super::engine::Detached(old)), count, lazy);
    }
    changed(srv);
    Ok(())
}

fn clear(srv: &mut Server) {
    if let Ok(f) = functions_mut(srv) {
        f.libraries = Libraries::default();
    }
}

/// FUNCTION DUMP: every library's code in a DUMP-like payload.
pub fn dump(srv: &Server) -> Vec<u8> {
    let opts = crate::persistence::snapshot::write_options(srv);
    match functions(srv) {
        Some(f) => functions_payload(f.libraries.libraries().map(|l| l.code.as_slice()), opts),
        None => functions_payload(std::iter::empty(), opts),
    }
}

/// FUNCTION RESTORE payload [policy]: nothing changes on an error.
pub fn restore(srv: &mut Server, payload: &[u8], policy: RestorePolicy) -> CmdResult {
    let body = verify_payload(payload, !srv.skip_checksum_validation).ok_or(CmdError::Static(
        "ERR DUMP payload version or checksum are wrong",
    ))?;
    let codes = function_payload_codes(body).map_err(|e| error(e.to_string()))?;
    let f = functions_mut(srv).map_err(error)?;
    let engine = f
        .engine
        .as_deref_mut()
        .ok_or_else(|| error("a function is running".into()))?;
    let mut restored = Libraries::default();
    for code in &codes {
        restored.load(engine, code, false, None).map_err(error)?;
    }
    match policy {
        RestorePolicy::Flush => f.libraries = restored,
        _ => f
            .libraries
            .join(restored, policy == RestorePolicy::Replace)
            .map_err(error)?,
    }
    changed(srv);
    Ok(())
}

/// FCALL / FCALL_RO `function numkeys key... arg...`.
pub fn fcall(srv: &mut Server, c: &mut Client, args: &Args, read_only: bool) -> CmdResult {
    // FCALL is hidden from MONITOR's usual feed so that it shows before
    // the commands its function runs.
    srv.feed_monitors(c, args);
    let function = functions(srv)
        .and_then(|f| f.libraries.function(&args[1]))
        .cloned()
        .ok_or(CmdError::Static("ERR Function not found"))?;
    let numkeys = crate::util::parse_i64(&args[2])
        .ok_or(CmdError::Static("ERR Bad number of keys provided"))?;
    if numkeys > args.len() as i64 - 3 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let numkeys = usize::try_from(numkeys)
        .map_err(|_| CmdError::Static("ERR Number of keys can't be negative"))?;
    let keys = Args::new(args.buf, args.spans.get(3..3 + numkeys).unwrap_or_default());
    let argv = args.tail(3 + numkeys);
    let f = functions_mut(srv).map_err(error)?;
    let Some(mut engine) = f.engine.take() else {
        return Err(CmdError::Static(srv.busy_error()));
    };
    let invocation = Invocation {
        name: &function.name,
        function: function.callback.clone(),
        flags: function.flags,
        keys,
        argv,
        read_only_command: read_only,
        eval: false,
    };
    let result = engine.run(srv, c, invocation, args);
    if let Ok(f) = functions_mut(srv) {
        f.engine = Some(engine);
    }
    result
}

/// The flags the checks before FCALL look at: the function's replace
/// FCALL's (Redis's `fcallGetCommandFlags`).
pub fn fcall_flags(srv: &Server, args: &Args, cmd_flags: u64) -> u64 {
    let declared = args
        .get(1)
        .and_then(|name| functions(srv)?.libraries.function(name).map(|f| f.flags));
    match declared {
        Some(flags) => command_flags(cmd_flags, flags),
        None => cmd_flags,
    }
}

/// Functions' figures for INFO memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct FunctionsReport {
    /// The functions' Lua VM (`used_memory_vm_functions`).
    pub vm: usize,
    /// The libraries' bookkeeping (`used_memory_functions`).
    pub overhead: usize,
    pub functions: usize,
    pub libraries: usize,
}

pub fn functions_report(srv: &Server) -> FunctionsReport {
    functions(srv).map_or_else(FunctionsReport::default, |f| FunctionsReport {
        vm: f.engine.as_ref().map_or(0, |e| e.vm_memory()),
        overhead: f.libraries.memory(),
        functions: f.libraries.function_count(),
        libraries: f.libraries.library_count(),
    })
}

fn library_codes(srv: &Server) -> Vec<Vec<u8>> {
    functions(srv).map_or_else(Vec::new, |f| {
        f.libraries.libraries().map(|l| l.code.clone()).collect()
    })
}

fn load_saved_library(srv: &mut Server, code: &[u8], replace: bool) -> Result<(), String> {
    load_code(srv, code, replace, None).map(|_| ())
}

/// Creates the functions' engine at start-up (INFO reports its memory
/// from the start) and gives persistence its hooks.
pub fn install(srv: &mut Server) {
    if let Err(e) = functions_mut(srv) {
        log::warn!("{}", e);
    }
    srv.scripting.library_hooks = Some(LibraryHooks {
        codes: library_codes,
        load: load_saved_library,
        clear,
    });
}
