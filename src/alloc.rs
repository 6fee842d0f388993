//! A global allocator that counts the bytes the process holds, so INFO
//! `used_memory` (and later maxmemory) reports real usage.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// Wraps the system allocator and keeps a running total of live bytes.
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged and only adds bookkeeping on an atomic counter.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_ptr = System.realloc(ptr, layout, new_size);
        if !new_ptr.is_null() {
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
            ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
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

/// Bytes currently allocated through the counting allocator (0 when the
/// binary did not install it, as in unit tests).
pub fn used_memory() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}
