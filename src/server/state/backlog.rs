//! The replication backlog: the last `size` bytes of the replication
//! stream, addressed by stream offset, so a replica that lost its link can
//! ask for everything after the offset it had.

use std::collections::VecDeque;

#[derive(Debug)]
pub struct Backlog {
    bytes: VecDeque<u8>,
    size: usize,
    /// Stream offset of the first byte held (Redis counts from 1).
    first_offset: u64,
}

impl Backlog {
    /// An empty backlog whose next byte will be at stream offset `next_offset`.
    pub fn new(size: usize, next_offset: u64) -> Self {
        Backlog {
            bytes: VecDeque::new(),
            size: size.max(1),
            first_offset: next_offset,
        }
    }

    pub fn append(&mut self, data: &[u8]) {
        self.bytes.extend(data);
        let excess = self.bytes.len().saturating_sub(self.size);
        self.bytes.drain(..excess);
        self.first_offset += excess as u64;
    }

    /// Bytes held (INFO `repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.bytes.len()
    }

    pub fn first_offset(&self) -> u64 {
        self.first_offset
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Changes the capacity, dropping the oldest bytes if it shrinks.
    pub fn resize(&mut self, size: usize) {
        self.size = size.max(1);
        self.append(&[]);
    }

    /// Everything from stream offset `from` on, if the backlog still holds it.
    pub fn since(&self, from: u64) -> Option<Vec<u8>> {
        let skip = from.checked_sub(self.first_offset)?;
        let skip = usize::try_from(skip).ok()?;
        if skip > self.bytes.len() {
            return None;
        }
        Some(self.bytes.range(skip..).copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Backlog;

    #[test]
    fn keeps_the_last_bytes_by_offset() {
        let mut b = Backlog::new(4, 1);
        b.append(b"abcdef");
        assert_eq!(b.first_offset(), 3);
        assert_eq!(b.since(4), Some(b"def".to_vec()));
        assert_eq!(b.since(7), Some(Vec::new()));
        assert_eq!(b.since(2), None);
        assert_eq!(b.since(8), None);
    }
}
