//! The client table: every connected client in a slot (the slot is its
//! mio token, offset past the listeners), slots reused through a free
//! list. A client being served is taken out of its slot meanwhile.

use super::client::Client;

/// The client table: slots reused through a free list.
#[derive(Default)]
pub struct ClientTable {
    slots: Vec<Option<Box<Client>>>,
    free: Vec<usize>,
    pub count: usize,
}

impl ClientTable {
    pub(super) fn reserve_slot(&mut self) -> usize {
        match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        }
    }

    pub(super) fn put(&mut self, slot: usize, c: Box<Client>) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = Some(c);
        }
    }

    /// Takes a client out (while it is being served).
    pub(super) fn take(&mut self, slot: usize) -> Option<Box<Client>> {
        self.slots.get_mut(slot)?.take()
    }

    pub(super) fn release(&mut self, slot: usize) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = None;
            self.free.push(slot);
        }
    }

    pub fn get_mut(&mut self, slot: usize) -> Option<&mut Client> {
        self.slots.get_mut(slot)?.as_deref_mut()
    }

    pub fn get(&self, slot: usize) -> Option<&Client> {
        self.slots.get(slot)?.as_deref()
    }

    /// Clients in the table (the one being served is not in it).
    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.slots.iter().filter_map(|s| s.as_deref())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.slots.iter_mut().filter_map(|s| s.as_deref_mut())
    }
}
