//! The client table: every connected client in a slot (the slot is its
//! mio token, offset past the listeners), slots reused through a free
//! list. A client being served is taken out of its slot meanwhile; the
//! table still knows which client owns the slot, so references kept by id
//! and slot (client tracking's) tell a client being served from a gone one.

use super::client::Client;

/// The client table: slots reused through a free list.
#[derive(Default)]
pub struct ClientTable {
    slots: Vec<Option<Box<Client>>>,
    /// Id of the client owning each slot, in the table or taken out (0
    /// for a free slot).
    owners: Vec<u64>,
    free: Vec<usize>,
    pub count: usize,
}

impl ClientTable {
    pub(super) fn reserve_slot(&mut self) -> usize {
        match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.owners.push(0);
                self.slots.len() - 1
            }
        }
    }

    pub(super) fn put(&mut self, slot: usize, c: Box<Client>) {
        if let (Some(entry), Some(owner)) = (self.slots.get_mut(slot), self.owners.get_mut(slot)) {
            *owner = c.id;
            *entry = Some(c);
        }
    }

    /// Takes a client out (while it is being served).
    pub(super) fn take(&mut self, slot: usize) -> Option<Box<Client>> {
        self.slots.get_mut(slot)?.take()
    }

    pub(super) fn release(&mut self, slot: usize) {
        if let (Some(entry), Some(owner)) = (self.slots.get_mut(slot), self.owners.get_mut(slot)) {
            *entry = None;
            *owner = 0;
            self.free.push(slot);
        }
    }

    /// Slots in the table, used or free.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    pub fn get_mut(&mut self, slot: usize) -> Option<&mut Client> {
        self.slots.get_mut(slot)?.as_deref_mut()
    }

    /// Whether the client `id` still owns `slot` (in the table, or taken
    /// out while it is served).
    pub fn owns(&self, slot: usize, id: u64) -> bool {
        id != 0 && self.owners.get(slot) == Some(&id)
    }

    /// Slot and id of every client, in the table or taken out.
    pub fn owners(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.owners
            .iter()
            .enumerate()
            .filter(|(_, &id)| id != 0)
            .map(|(slot, &id)| (slot, id))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_owned_while_its_client_is_taken_out() {
        let mut table = ClientTable::default();
        let slot = table.reserve_slot();
        table.put(slot, Box::new(Client::new(7, slot, None, 0)));
        assert!(table.owns(slot, 7));
        let c = table.take(slot);
        assert!(table.get(slot).is_none());
        assert!(table.owns(slot, 7) && !table.owns(slot, 8));
        assert_eq!(table.owners().collect::<Vec<_>>(), [(slot, 7)]);
        if let Some(c) = c {
            table.put(slot, c);
        }
        table.release(slot);
        assert!(!table.owns(slot, 7));
        assert_eq!(table.owners().count(), 0);
    }
}
