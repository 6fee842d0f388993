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

/// The table is made on the first push: most values are flat.
pub struct Spill {
    table: Option<Table>,
    len: i64,
}

impl Spill {
    pub fn new() -> Self {
        Spill {
            table: None,
            len: 0,
        }
    }

    pub fn push(&mut self, lua: &Lua, value: Value) -> mlua::Result<()> {
        let table = match &self.table {
            Some(table) => table,
            None => self.table.insert(lua.create_table()?),
        };
        self.len += 1;
        table.raw_set(self.len, value)
    }

    /// The last value pushed (`nil` when empty).
    pub fn pop(&mut self) -> mlua::Result<Value> {
        let Some(table) = self.table.as_ref().filter(|_| self.len > 0) else {
            return Ok(Value::Nil);
        };
        let value = table.raw_get(self.len)?;
        table.raw_set(self.len, Value::Nil)?;
        self.len -= 1;
        Ok(value)
    }
}
