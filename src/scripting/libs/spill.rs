//! A stack kept in a Lua table, for the tables an iterative traversal has
//! open.
//!
//! Every Lua value a Rust function holds through mlua occupies a slot of
//! one auxiliary Lua stack, and in Lua 5.1 that stack stops at about 8000
//! slots (shared by the whole VM). The C libraries may nest thousands of
//! tables deep, so the encoders and decoders keep only the innermost
//! table in Rust and park the enclosing ones here: the number of
//! references they hold stays constant whatever the depth.

use mlua::{Lua, Table, Value};

pub struct Spill {
    table: Table,
    len: i64,
}

impl Spill {
    pub fn new(lua: &Lua) -> mlua::Result<Self> {
        Ok(Spill {
            table: lua.create_table()?,
            len: 0,
        })
    }

    pub fn push(&mut self, value: Value) -> mlua::Result<()> {
        self.len += 1;
        self.table.raw_set(self.len, value)
    }

    /// The last value pushed (`nil` when empty).
    pub fn pop(&mut self) -> mlua::Result<Value> {
        if self.len == 0 {
            return Ok(Value::Nil);
        }
        let value = self.table.raw_get(self.len)?;
        self.table.raw_set(self.len, Value::Nil)?;
        self.len -= 1;
        Ok(value)
    }
}
