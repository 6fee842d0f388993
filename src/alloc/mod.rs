//! A global allocator that counts the bytes the process holds, so INFO
//! `used_memory` (and maxmemory) reports real usage.
//!
//! What is counted is the block glibc's malloc really takes for each
//! request ([`block_size`]), not only the size asked for: a 12-byte string
//! takes a 32-byte block, and a million of them hold 20 MB more than their
//! lengths add up to. The size is computed, not asked of the allocator
//! (`malloc_usable_size` cost 4% of the time of a SET/GET benchmark).
//!
//! Blocks of 512 to 4096 bytes whose size is a multiple of 16 come from
//! header-free pages of one size each ([`slab`]) instead: glibc would give
//! a 1024-byte block 1040 bytes.

pub mod slab;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// Requests this large get a mapping of their own (glibc's default
/// threshold, kept fixed by [`keep_freed_heap`]).
const MMAP_THRESHOLD: usize = 128 * 1024;
const PAGE: usize = 4096;

/// Bytes a request of `n` bytes takes: from glibc's malloc, an 8-byte
/// header, rounded up to 16, at least 32, and a mapped block is whole
/// pages; from the slab, exactly `n`. Nothing is taken for 0 bytes.
pub const fn block_size(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    if slab::serves(n, 1) {
        return n;
    }
    let chunk = n.saturating_add(8 + 15) & !15;
    if chunk < 32 {
        32
    } else if chunk >= MMAP_THRESHOLD {
        chunk.saturating_add(8 + PAGE - 1) & !(PAGE - 1)
    } else {
        chunk
    }
}

/// Serves mid-size blocks from the slab and the rest from the system
/// allocator, and keeps a running total of live bytes.
pub struct CountingAllocator;

// SAFETY: a layout [`slab::serves`] is always allocated, reallocated and
// freed through the slab (the size and alignment given back on free and
// realloc are those of the allocation, as `GlobalAlloc` requires, so the
// same test picks the same side); every other call forwards to `System`
// with the caller's arguments unchanged. The rest is bookkeeping on an
// atomic counter.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = if slab::serves(layout.size(), layout.align()) {
            slab::alloc(layout.size())
        } else {
            System.alloc(layout)
        };
        if !ptr.is_null() {
            ALLOCATED.fetch_add(block_size(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if slab::serves(layout.size(), layout.align()) {
            slab::dealloc(ptr, layout.size());
        } else {
            System.dealloc(ptr, layout);
        }
        ALLOCATED.fetch_sub(block_size(layout.size()), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if slab::serves(layout.size(), layout.align()) {
            let ptr = self.alloc(layout);
            if !ptr.is_null() {
                ptr.write_bytes(0, layout.size());
            }
            return ptr;
        }
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            ALLOCATED.fetch_add(block_size(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        if slab::serves(layout.size(), align) || slab::serves(new_size, align) {
            return self.move_block(ptr, layout, new_size);
        }
        let new_ptr = System.realloc(ptr, layout, new_size);
        if !new_ptr.is_null() {
            ALLOCATED.fetch_sub(block_size(layout.size()), Ordering::Relaxed);
            ALLOCATED.fetch_add(block_size(new_size), Ordering::Relaxed);
        }
        new_ptr
    }
}

impl CountingAllocator {
    /// Realloc by copy, for blocks that change sides (slab or system).
    ///
    /// # Safety
    /// As for [`GlobalAlloc::realloc`].
    unsafe fn move_block(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        let new_ptr = self.alloc(new_layout);
        if !new_ptr.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new_ptr
    }
}

/// Stops glibc from giving the top of its heap back to the system from
/// inside `free`. That trim runs with the heap's lock held, and after a
/// large value is freed it unmaps the whole freed region at once: when
/// the lazyfree thread frees ten million members, the loop would wait on
/// that lock for tens of milliseconds. Freed memory is kept for reuse
/// instead (MEMORY PURGE gives it back on demand), and allocations of
/// 128 KB and more stay separate mappings, returned as soon as they are
/// freed.
pub fn keep_freed_heap() {
    // SAFETY: mallopt only changes a glibc malloc tunable; any value is
    // valid for M_TRIM_THRESHOLD.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
    }
}

/// Gives the free pages glibc's heap keeps (see [`keep_freed_heap`]) and
/// the slab's empty pages back to the system. glibc's `malloc_trim` holds
/// the heap's lock while it walks the free blocks (about 60 ms for a
/// gigabyte freed in 1 KB blocks).
pub fn release_free_heap() {
    // SAFETY: malloc_trim only returns free heap pages to the system; it
    // has no preconditions and touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
    slab::release_empty_pages();
}

/// Bytes of the process in memory: all of them (RSS), and those not
/// backed by a file (the heap, stacks and other private mappings).
#[derive(Debug, Clone, Copy, Default)]
pub struct Resident {
    pub total: u64,
    pub anonymous: u64,
}

/// The process's resident memory, from /proc/self/statm (zero when it
/// cannot be read).
pub fn resident() -> Resident {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let mut pages = statm
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse::<u64>().unwrap_or(0));
    let total = pages.next().unwrap_or(0) * page_size();
    let file_backed = pages.next().unwrap_or(0) * page_size();
    Resident {
        total,
        anonymous: total.saturating_sub(file_backed),
    }
}

/// Bytes of a memory page.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

/// The `maxmemory` limit growing key indexes keep to (0: none).
static GROWTH_LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Sets the limit [`fits_in_limit`] checks against (`maxmemory`; 0 for
/// none).
pub fn set_growth_limit(bytes: usize) {
    GROWTH_LIMIT.store(bytes, Ordering::Relaxed);
}

/// Whether allocating `bytes` more keeps the process within the limit set
/// by [`set_growth_limit`] (Redis lets a hash table grow only then, unless
/// it is overfull: the resize would otherwise trigger evictions itself).
pub fn fits_in_limit(bytes: usize) -> bool {
    let limit = GROWTH_LIMIT.load(Ordering::Relaxed);
    limit == 0 || used_memory().saturating_add(bytes) <= limit
}

/// Bytes currently allocated through the counting allocator (0 when the
/// binary did not install it, as in unit tests).
pub fn used_memory() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::block_size;

    #[test]
    fn blocks_are_what_glibc_takes() {
        assert_eq!(block_size(0), 0);
        assert_eq!(block_size(1), 32);
        assert_eq!(block_size(24), 32);
        assert_eq!(block_size(25), 48);
        assert_eq!(block_size(1000), 1008);
        assert_eq!(block_size(1024), 1024);
        assert_eq!(block_size(1032), 1040);
        assert_eq!(block_size(200_000), 200_704);
    }
}
