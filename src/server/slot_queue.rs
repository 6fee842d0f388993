//! A queue of client slots that holds each slot at most once.

/// Slots waiting for one kind of work (e.g. output to write before the loop
/// sleeps). Pushing a slot already queued does nothing, in O(1).
#[derive(Debug, Default)]
pub struct SlotQueue {
    slots: Vec<usize>,
    queued: Vec<bool>,
}

impl SlotQueue {
    /// Queues `slot` unless it is already queued.
    pub fn push(&mut self, slot: usize) {
        if self.queued.len() <= slot {
            self.queued.resize(slot + 1, false);
        }
        if let Some(flag) = self.queued.get_mut(slot) {
            if !*flag {
                *flag = true;
                self.slots.push(slot);
            }
        }
    }

    /// Empties the queue, returning the slots in the order they came.
    pub fn take(&mut self) -> Vec<usize> {
        for &slot in &self.slots {
            if let Some(flag) = self.queued.get_mut(slot) {
                *flag = false;
            }
        }
        std::mem::take(&mut self.slots)
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_slot_is_queued_once_until_taken() {
        let mut q = SlotQueue::default();
        q.push(3);
        q.push(1);
        q.push(3);
        assert_eq!(q.take(), vec![3, 1]);
        assert!(q.is_empty());
        q.push(3);
        assert_eq!(q.take(), vec![3]);
    }
}
