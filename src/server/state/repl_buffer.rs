//! The replication buffer: one list of blocks holding the replication
//! stream, shared by the backlog and every replica, as in Redis 7.0.
//!
//! Nothing is copied per replica: a replica only remembers the stream
//! offset of the next byte it must be sent, and its socket is written
//! straight from the blocks. The backlog is the whole list: it keeps at
//! least `repl-backlog-size` bytes, and its oldest block goes only when
//! no replica still needs a byte of it and what remains is still more
//! than that size. So the backlog grows past its size while a replica
//! lags (and a reconnecting replica may continue from anything held),
//! and shrinks again, a bounded number of blocks at a time, once they
//! caught up or went away.

use std::collections::VecDeque;

/// Smallest block: small writes share a block (Redis's
/// `PROTO_REPLY_CHUNK_BYTES`).
const MIN_BLOCK: usize = 16 * 1024;
/// Bookkeeping bytes counted per block besides its data, as Redis counts
/// its list node and block header.
pub const BLOCK_OVERHEAD: usize = std::mem::size_of::<Block>() + 24;

/// Slots of the block list's array that are never given back.
const MIN_LIST_SLOTS: usize = 8;

#[derive(Debug)]
struct Block {
    /// Stream offset of its first byte.
    start: u64,
    /// Its bytes; the capacity is fixed when it is created.
    data: Vec<u8>,
}

impl Block {
    /// Stream offset one past its last byte.
    fn end(&self) -> u64 {
        self.start + self.data.len() as u64
    }

    fn room(&self) -> usize {
        self.data.capacity() - self.data.len()
    }
}

#[derive(Debug)]
pub struct ReplBuffer {
    blocks: VecDeque<Block>,
    /// Stream offset of the next byte to be appended.
    next_offset: u64,
    /// Bytes held (INFO `repl_backlog_histlen`).
    histlen: u64,
    /// Memory of the blocks (INFO `mem_total_replication_buffers`).
    mem: usize,
}

impl ReplBuffer {
    /// An empty buffer whose next byte will be at stream offset `next_offset`.
    pub fn new(next_offset: u64) -> Self {
        ReplBuffer {
            blocks: VecDeque::new(),
            next_offset,
            histlen: 0,
            mem: 0,
        }
    }

    /// Appends stream bytes; new blocks hold at least 16KB and at most a
    /// sixteenth of `backlog_size` (so a block holding a little still
    /// needed data is never huge). True when a block was added.
    pub fn append(&mut self, mut data: &[u8], backlog_size: usize) -> bool {
        let limit = (backlog_size / 16).max(MIN_BLOCK);
        let mut added = false;
        while !data.is_empty() {
            let tail_room = self.blocks.back().map_or(0, Block::room);
            if tail_room == 0 {
                let capacity = data.len().clamp(MIN_BLOCK, limit);
                self.blocks.push_back(Block {
                    start: self.next_offset,
                    data: Vec::with_capacity(capacity),
                });
                self.mem += capacity + BLOCK_OVERHEAD;
                added = true;
            }
            let Some(tail) = self.blocks.back_mut() else {
                break;
            };
            let (now, rest) = data.split_at(data.len().min(tail.room()));
            tail.data.extend_from_slice(now);
            self.next_offset += now.len() as u64;
            self.histlen += now.len() as u64;
            data = rest;
        }
        added
    }

    /// Drops up to `max_blocks` of the oldest blocks while more than
    /// `backlog_size` bytes would remain and no replica still needs them
    /// (`oldest_needed`: the smallest offset a replica has yet to be sent).
    /// The last block always stays. The list's own array shrinks with it:
    /// only the blocks are counted as replication memory, so an array left
    /// sized for a lagging replica's thousand blocks would count against
    /// `maxmemory` once they are gone.
    pub fn trim(&mut self, backlog_size: usize, oldest_needed: u64, max_blocks: usize) {
        self.drop_oldest(backlog_size as u64, oldest_needed, max_blocks);
        let keep = self.blocks.len().max(MIN_LIST_SLOTS);
        if self.blocks.capacity() > 4 * keep {
            self.blocks.shrink_to(2 * keep);
        }
    }

    fn drop_oldest(&mut self, size: u64, oldest_needed: u64, max_blocks: usize) {
        for _ in 0..max_blocks {
            if self.histlen <= size || self.blocks.len() <= 1 {
                return;
            }
            let Some(first) = self.blocks.front() else {
                return;
            };
            let first_len = first.data.len() as u64;
            if first.end() > oldest_needed || self.histlen - first_len <= size {
                return;
            }
            self.histlen -= first_len;
            self.mem -= first.data.capacity() + BLOCK_OVERHEAD;
            self.blocks.pop_front();
        }
    }

    /// Bytes held (INFO `repl_backlog_histlen`).
    pub fn histlen(&self) -> u64 {
        self.histlen
    }

    /// Stream offset of the first byte held.
    pub fn first_offset(&self) -> u64 {
        self.next_offset - self.histlen
    }

    /// Stream offset of the next byte to be appended.
    pub fn end_offset(&self) -> u64 {
        self.next_offset
    }

    /// Memory the blocks take.
    pub fn mem(&self) -> usize {
        self.mem
    }

    /// Whether a replica can be sent everything from offset `from` on.
    pub fn holds(&self, from: u64) -> bool {
        (self.first_offset()..=self.next_offset).contains(&from)
    }

    /// Index of the block holding offset `at` (the last block for the
    /// end offset).
    fn block_index(&self, at: u64) -> Option<usize> {
        if !self.holds(at) || self.blocks.is_empty() {
            return None;
        }
        Some(
            self.blocks
                .partition_point(|b| b.start <= at)
                .saturating_sub(1),
        )
    }

    /// The bytes from offset `at` to the end of the block holding it (empty
    /// at the end of the stream, `None` if `at` is not held).
    pub fn chunk_at(&self, at: u64) -> Option<&[u8]> {
        if at == self.next_offset {
            return Some(&[]);
        }
        let block = self.blocks.get(self.block_index(at)?)?;
        let skip = usize::try_from(at - block.start).ok()?;
        block.data.get(skip..)
    }

    /// Memory a replica whose next byte is `at` holds on to, as Redis
    /// counts a replica's output buffer: from the start of the block it
    /// is in to the end of the last block's room, with each block's
    /// bookkeeping.
    pub fn memory_from(&self, at: u64) -> usize {
        let (Some(i), Some(last)) = (self.block_index(at), self.blocks.back()) else {
            return 0;
        };
        let Some(first) = self.blocks.get(i) else {
            return 0;
        };
        let bytes = last.start + last.data.capacity() as u64 - first.start;
        usize::try_from(bytes).unwrap_or(usize::MAX) + (self.blocks.len() - i) * BLOCK_OVERHEAD
    }

    /// A copy of everything from offset `from` on, if it is held.
    pub fn since(&self, from: u64) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = from;
        loop {
            let chunk = self.chunk_at(at)?;
            if chunk.is_empty() {
                return Some(out);
            }
            out.extend_from_slice(chunk);
            at += chunk.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ReplBuffer, MIN_BLOCK, MIN_LIST_SLOTS};

    #[test]
    fn reads_by_offset_across_blocks() {
        let mut b = ReplBuffer::new(1);
        let data: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        assert!(b.append(&data, 1 << 20));
        assert_eq!(b.histlen(), 40_000);
        assert_eq!(b.since(1).as_deref(), Some(&data[..]));
        assert_eq!(b.since(30_001).as_deref(), Some(&data[30_000..]));
        assert_eq!(b.since(40_001), Some(Vec::new()));
        assert_eq!(b.since(40_002), None);
        assert_eq!(b.since(0), None);
    }

    #[test]
    fn small_writes_share_a_block() {
        let mut b = ReplBuffer::new(1);
        assert!(b.append(b"abc", 1 << 20));
        assert!(!b.append(b"def", 1 << 20));
        assert_eq!(b.chunk_at(2), Some(&b"bcdef"[..]));
    }

    #[test]
    fn trims_to_the_backlog_size_unless_a_replica_needs_the_data() {
        let mut b = ReplBuffer::new(1);
        for _ in 0..10 {
            b.append(&[b'x'; MIN_BLOCK], 16384);
        }
        assert_eq!(b.histlen(), 10 * MIN_BLOCK as u64);
        // A replica still needs offset 1: nothing goes.
        b.trim(16384, 1, 64);
        assert_eq!(b.first_offset(), 1);
        // It caught up: the backlog keeps just over its size.
        b.trim(16384, b.end_offset(), 64);
        assert_eq!(b.histlen(), 2 * MIN_BLOCK as u64);
        assert!(b.since(b.first_offset()).is_some());
        assert!(b.mem() >= 2 * MIN_BLOCK);
    }

    /// The list's array goes back to a few slots once a lagging replica's
    /// blocks are dropped (only blocks are counted as replication memory).
    #[test]
    fn the_block_list_shrinks_after_a_long_lag() {
        let mut b = ReplBuffer::new(1);
        for _ in 0..1000 {
            b.append(&[b'x'; MIN_BLOCK], 16384);
        }
        assert!(b.blocks.capacity() >= 1000);
        while b.blocks.len() > 2 {
            b.trim(16384, b.end_offset(), 100);
        }
        assert!(
            b.blocks.capacity() <= 4 * MIN_LIST_SLOTS,
            "{}",
            b.blocks.capacity()
        );
    }

    #[test]
    fn counts_a_replicas_share_from_its_block_on() {
        let mut b = ReplBuffer::new(1);
        b.append(&[b'x'; 3 * MIN_BLOCK], 16384);
        let all = b.memory_from(1);
        let tail = b.memory_from(b.end_offset());
        assert!(all >= 3 * MIN_BLOCK && tail < 2 * MIN_BLOCK);
        assert_eq!(b.memory_from(b.end_offset() + 1), 0);
    }
}
