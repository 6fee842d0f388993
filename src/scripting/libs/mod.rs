//! The four C libraries Redis builds into its Lua 5.1, rewritten in Rust
//! with the same behaviour byte for byte: `cjson` (lua-cjson 2.1.0 as
//! Redis patches it), `cmsgpack` (lua-cmsgpack 0.4.0), `struct`
//! (Roberto Ierusalimschy's struct library) and `bit` (LuaBitOp).
//!
//! In Redis each library's opener leaves it in a global of its name.
//! Redis 7.0 then makes the whole global table read-only, recursively, so
//! these tables cannot be changed by scripts either ("Attempt to modify a
//! readonly table"); that protection belongs to the scripting engine,
//! which applies it after everything is registered.
//!
//! Errors raised here carry Redis's exact text in a [`ScriptError`]
//! (see [`lauxlib`]); the engine turns them back into the Lua string a
//! script's `pcall` receives and into the EVAL error reply.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod lauxlib;
mod spill;
pub mod structlib;

#[cfg(test)]
mod tests;

pub use lauxlib::{script_error_message, ScriptError};

/// The globals the libraries define, in the order Redis loads them.
pub const GLOBALS: [&str; 4] = ["cjson", "struct", "cmsgpack", "bit"];

/// Defines the globals `cjson`, `struct`, `cmsgpack` and `bit`.
pub fn register_all(lua: &mlua::Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.raw_set("cjson", cjson::create(lua)?)?;
    globals.raw_set("struct", structlib::create(lua)?)?;
    globals.raw_set("cmsgpack", cmsgpack::create(lua)?)?;
    globals.raw_set("bit", bit::create(lua)?)?;
    Ok(())
}
