//! Functions as Redis 7.0 has them: libraries of named functions loaded
//! with FUNCTION LOAD and called with FCALL. A library's code starts with
//! `#!lua name=<library>`; running it registers its functions through
//! `redis.register_function` (see `sandbox.lua`, which runs the code in
//! the library-load environment). Functions run in an engine of their
//! own (a second Lua VM, as in Redis), with the checks and host of any
//! script (`run`).
//!
//! [`Libraries`] is Redis's library context: libraries by name, and the
//! index of function names (case-insensitive across libraries). FUNCTION
//! RESTORE builds a second one and joins it to the current one.

use super::cache::script_flag;
use super::engine::Engine;
use crate::server::Server;
use mlua::{Function, Table, Value};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long a library's code may run at FUNCTION LOAD.
pub const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// One registered function.
#[derive(Clone)]
pub struct FunctionDef {
    pub name: Vec<u8>,
    pub description: Option<Vec<u8>>,
    /// Its flags (`script_flag`).
    pub flags: u32,
    pub callback: Function,
}

/// A loaded library.
pub struct Library {
    pub name: Vec<u8>,
    /// The code as loaded, with its shebang line.
    pub code: Vec<u8>,
    /// In registration order.
    pub functions: Vec<Rc<FunctionDef>>,
}

/// Libraries and the functions they registered.
#[derive(Default)]
pub struct Libraries {
    libraries: BTreeMap<Vec<u8>, Library>,
    /// Every library's functions by lowercase name.
    functions: HashMap<Vec<u8>, Rc<FunctionDef>>,
}

/// The functions feature's state: the libraries, and the engine they run
/// in (taken out while a function runs).
pub struct Functions {
    pub engine: Option<Box<Engine>>,
    pub libraries: Libraries,
}

/// What a library's shebang line says.
struct Metadata<'a> {
    name: Vec<u8>,
    /// The code after the shebang line, from its newline (so line numbers
    /// are the library's).
    body: &'a [u8],
}

/// Library and function names: letters, digits and underscores.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

const INVALID_LIBRARY_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// Reads `#!<engine> name=<library>` (Redis's
/// `functionExtractLibMetaData`, then the name and engine checks).
fn metadata(code: &[u8]) -> Result<Metadata<'_>, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let line = code.get(..end).unwrap_or_default();
    let parts = crate::util::split_args(line).unwrap_or_default();
    let Some((engine, options)) = parts.split_first() else {
        return Err("Invalid library metadata".into());
    };
    let mut name = None;
    for part in options {
        let value = part
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case(b"name="))
            .and(part.get(5..));
        let Some(value) = value else {
            return Err(format!(
                "Invalid metadata value given: {}",
                String::from_utf8_lossy(part)
            ));
        };
        if name.is_some() {
            return Err("Invalid metadata value, name argument was given multiple times".into());
        }
        name = Some(value.to_vec());
    }
    let name = name.ok_or("Library name was not given")?;
    if !valid_name(&name) {
        return Err(INVALID_LIBRARY_NAME.into());
    }
    let engine = engine.get(2..).unwrap_or_default();
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(engine)
        ));
    }
    Ok(Metadata {
        name,
        body: code.get(end..).unwrap_or_default(),
    })
}

impl Libraries {
    pub fn library_count(&self) -> usize {
        self.libraries.len()
    }

    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    pub fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    /// The function called `name` (case-insensitive).
    pub fn function(&self, name: &[u8]) -> Option<&Rc<FunctionDef>> {
        if name.iter().any(u8::is_ascii_uppercase) {
            self.functions.get(&name.to_ascii_lowercase())
        } else {
            self.functions.get(name)
        }
    }

    /// Compiles and adds a library (Redis's
    /// `functionsCreateWithLibraryCtx`); its name, or Redis's error text.
    /// `timeout`: how long the code may run (none for what our primary or
    /// a file sends).
    pub fn load(
        &mut self,
        engine: &mut Engine,
        code: &[u8],
        replace: bool,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, String> {
        let md = metadata(code)?;
        if self.libraries.contains_key(&md.name) && !replace {
            return Err(format!(
                "Library '{}' already exists",
                String::from_utf8_lossy(&md.name)
            ));
        }
        let functions = engine.load_library(md.body, timeout)?;
        if functions.is_empty() {
            return Err("No functions registered".into());
        }
        let old = self.unlink(&md.name);
        if let Some(taken) = functions
            .iter()
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()))
        {
            let err = format!(
                "Function {} already exists",
                String::from_utf8_lossy(&taken.name)
            );
            if let Some(old) = old {
                self.link(old);
            }
            return Err(err);
        }
        let name = md.name.clone();
        self.link(Library {
            name: md.name,
            code: code.to_vec(),
            functions,
        });
        Ok(name)
    }

    /// FUNCTION DELETE: false when there is no such library.
    pub fn delete(&mut self, name: &[u8]) -> bool {
        self.unlink(name).is_some()
    }

    fn link(&mut self, library: Library) {
        for f in &library.functions {
            self.functions
                .insert(f.name.to_ascii_lowercase(), Rc::clone(f));
        }
        self.libraries.insert(library.name.clone(), library);
    }

    fn unlink(&mut self, name: &[u8]) -> Option<Library> {
        let library = self.libraries.remove(name)?;
        for f in &library.functions {
            self.functions.remove(&f.name.to_ascii_lowercase());
        }
        Some(library)
    }

    /// Adds every library of `other` (FUNCTION RESTORE's APPEND and
    /// REPLACE, Redis's `libraryJoin`): nothing changes on an error.
    pub fn join(&mut self, other: Libraries, replace: bool) -> Result<(), String> {
        let mut replaced = Vec::new();
        for name in other.libraries.keys() {
            if !self.libraries.contains_key(name) {
                continue;
            }
            if !replace {
                self.relink(replaced);
                return Err(format!(
                    "Library {} already exists",
                    String::from_utf8_lossy(name)
                ));
            }
            replaced.extend(self.unlink(name));
        }
        let clash = other
            .libraries
            .values()
            .flat_map(|l| &l.functions)
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()));
        if let Some(f) = clash {
            let err = format!(
                "Function {} already exists",
                String::from_utf8_lossy(&f.name)
            );
            self.relink(replaced);
            return Err(err);
        }
        for (_, library) in other.libraries {
            self.link(library);
        }
        Ok(())
    }

    fn relink(&mut self, libraries: Vec<Library>) {
        for library in libraries {
            self.link(library);
        }
    }

    /// Bytes Redis would count for the libraries' bookkeeping
    /// (`used_memory_functions`, roughly: names, codes and dict entries).
    pub fn memory(&self) -> usize {
        const DICT_ENTRY: usize = 24;
        const FUNCTION_INFO: usize = 48;
        const LIBRARY_INFO: usize = 48;
        let functions: usize = self
            .libraries
            .values()
            .flat_map(|l| &l.functions)
            .map(|f| {
                2 * DICT_ENTRY
                    + FUNCTION_INFO
                    + f.name.len()
                    + f.description.as_ref().map_or(0, Vec::len)
            })
            .sum();
        let libraries: usize = self
            .libraries
            .values()
            .map(|l| DICT_ENTRY + LIBRARY_INFO + l.name.len() + l.code.len())
            .sum();
        functions + libraries
    }
}

impl Engine {
    /// Compiles a library's body and runs it in the library-load
    /// environment; the functions it registered, or Redis's error text.
    fn load_library(
        &mut self,
        body: &[u8],
        timeout: Option<Duration>,
    ) -> Result<Vec<Rc<FunctionDef>>, String> {
        let chunk = self.compile(body).map_err(|msg| {
            format!(
                "Error compiling function: {}",
                String::from_utf8_lossy(&msg)
            )
        })?;
        self.host.borrow_mut().load_deadline = timeout.map(|limit| Instant::now() + limit);
        let outcome = self.sandbox.load_library.call::<(bool, Value)>(chunk);
        self.host.borrow_mut().load_deadline = None;
        let (ok, value) = outcome.map_err(|e| format!("Error registering functions: {}", e))?;
        match (ok, value) {
            (true, Value::Table(registered)) => {
                registered_functions(&registered).map_err(|e| e.to_string())
            }
            (_, error) => Err(format!(
                "Error registering functions: {}",
                String::from_utf8_lossy(&load_error_text(&error))
            )),
        }
    }
}

/// The functions `sandbox.lua` collected while a library loaded.
fn registered_functions(list: &Table) -> mlua::Result<Vec<Rc<FunctionDef>>> {
    let mut out = Vec::new();
    for entry in list.sequence_values::<Table>() {
        let entry = entry?;
        let name: mlua::LuaString = entry.get("name")?;
        let description: Option<mlua::LuaString> = entry.get("description")?;
        let flag_set: Table = entry.get("flags")?;
        let mut flags = 0;
        for (flag_name, bit) in script_flag::NAMES {
            if flag_set
                .raw_get::<Option<bool>>(*flag_name)?
                .unwrap_or(false)
            {
                flags |= bit;
            }
        }
        out.push(Rc::new(FunctionDef {
            name: name.as_bytes().to_vec(),
            description: description.map(|d| d.as_bytes().to_vec()),
            flags,
            callback: entry.get("callback")?,
        }));
    }
    Ok(out)
}

/// A load error as Redis reports it (`luaExtractErrorInformation`): an
/// error table's `err`, any other message with `ERR` before it.
fn load_error_text(error: &Value) -> Vec<u8> {
    match error {
        Value::Table(t) => match t.raw_get::<Value>("err") {
            Ok(Value::String(s)) => s.as_bytes().to_vec(),
            _ => b"ERR unknown error".to_vec(),
        },
        Value::Error(e) => match super::api::raised(e) {
            Some(super::api::Raised::Table { text, .. }) => text.clone(),
            Some(super::api::Raised::Message(text)) => [b"ERR ", text.as_slice()].concat(),
            None => [b"ERR ".as_slice(), &super::api::error_message(e)].concat(),
        },
        Value::String(s) => [b"ERR ".as_slice(), &s.as_bytes()].concat(),
        Value::Integer(i) => format!("ERR {}", i).into_bytes(),
        Value::Number(n) => format!("ERR {}", n).into_bytes(),
        _ => b"ERR unknown error".to_vec(),
    }
}

/// The functions' state held by `srv`, if it was created.
pub fn functions(srv: &Server) -> Option<&Functions> {
    srv.scripting
        .functions
        .as_ref()?
        .downcast_ref::<Functions>()
}

/// The functions' state, created the first time it is needed.
pub fn functions_mut(srv: &mut Server) -> Result<&mut Functions, String> {
    let present = srv
        .scripting
        .functions
        .as_ref()
        .is_some_and(|f| f.is::<Functions>());
    if !present {
        let engine = Engine::for_functions()
            .map_err(|e| format!("Error creating the Lua functions engine: {}", e))?;
        srv.scripting.functions = Some(Box::new(Functions {
            engine: Some(Box::new(engine)),
            libraries: Libraries::default(),
        }));
    }
    srv.scripting
        .functions
        .as_mut()
        .and_then(|f| f.downcast_mut::<Functions>())
        .ok_or_else(|| "functions are unavailable".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_metadata_as_redis_reads_it() {
        let md = metadata(b"#!lua name=lib\nreturn 1").unwrap();
        assert_eq!(md.name, b"lib");
        assert_eq!(md.body, b"\nreturn 1");
        assert_eq!(metadata(b"#!LUA NAME=x\n").unwrap().name, b"x");
        let err = |code: &[u8]| metadata(code).err().unwrap();
        assert_eq!(err(b"return 1"), "Missing library metadata");
        assert_eq!(err(b"#!lua name=lib"), "Invalid library metadata");
        assert_eq!(err(b"#!lua\n"), "Library name was not given");
        assert_eq!(
            err(b"#!lua name=a x=y\n"),
            "Invalid metadata value given: x=y"
        );
        assert_eq!(
            err(b"#!lua name=a name=b\n"),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(err(b"#!lua name=a-b\n"), INVALID_LIBRARY_NAME);
        assert_eq!(
            err(b"#!bad_engine name=a\n"),
            "Engine 'bad_engine' not found"
        );
    }
}
