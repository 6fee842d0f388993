//! Header-free pages for mid-size blocks whose size is a multiple of 16.
//!
//! glibc's malloc puts an 8-byte header before each block and rounds the
//! total up to 16, so a block of exactly 1024 bytes takes 1040: a million
//! 1 KB values cost 16 MB more than their bytes. Rust's allocator is told
//! the size again when a block is freed, so blocks of one size can share a
//! page with no header at all, as jemalloc and memcached keep them. This
//! module serves blocks of 512 to 4096 bytes whose size is a multiple of 16
//! (the sizes where glibc's header costs a whole 16 bytes) from 1 MB pages,
//! one size per page; every other request goes to glibc.
//!
//! A page starts with its [`Page`] record; its slots follow. Slots never
//! used are handed out from the page's `bump` offset (so a page's memory is
//! touched only as it fills), freed ones are kept on the page's own free
//! list, linked through the slots themselves. Each size class lists the
//! pages with room, the page of the last block freed first, so the next
//! block of that size is the one just freed, still in cache. Pages are cut
//! from 64 MB arenas (one mapping each, so a large data set stays far from
//! the kernel's limit on mappings) and aligned to their size, so a block's
//! page is found by masking its address. A page that empties, unless it is
//! its class's only page with room, is retired: its memory goes back to
//! the system (`MADV_DONTNEED`, all but the first 4 KB, which keeps its
//! record) and it waits on a list of spare pages for any class to reuse.
//!
//! One spin lock guards all of it: the loop does nearly all allocation,
//! the lazyfree and fsync threads rarely, so it is almost never contended.
//! It is held across `fork` (see [`install_fork_handlers`]) so a child
//! never inherits it locked.

use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};

/// Bytes of a page, and its alignment.
const PAGE: usize = 1 << 20;
/// Bytes of an arena pages are cut from.
const ARENA: usize = 64 << 20;
/// Bytes at the start of a retired page kept resident (its record).
const KEPT_OF_RETIRED: usize = 4096;
/// Bytes at the start of a page kept for its [`Page`] record.
const HEADER: usize = 64;
/// Smallest and largest block served, and the step between sizes.
const MIN_BLOCK: usize = 512;
const MAX_BLOCK: usize = 4096;
const STEP: usize = 16;
const CLASSES: usize = (MAX_BLOCK - MIN_BLOCK) / STEP + 1;

/// Whether a request of `size` bytes at alignment `align` is served here.
#[inline]
pub const fn serves(size: usize, align: usize) -> bool {
    size.is_multiple_of(STEP) && size >= MIN_BLOCK && size <= MAX_BLOCK && align <= STEP
}

/// The record at the start of each page.
#[repr(C)]
struct Page {
    /// Neighbours in the class's list of pages with room.
    prev: *mut Page,
    next: *mut Page,
    /// Freed slots of this page, linked through their first word.
    free: *mut FreeSlot,
    /// Offset of the first slot never handed out.
    bump: usize,
    /// Slots handed out and not freed.
    used: usize,
    /// Whether the page is in its class's list (it has room).
    listed: bool,
}

const _: () = assert!(std::mem::size_of::<Page>() <= HEADER && HEADER.is_multiple_of(STEP));

struct FreeSlot {
    next: *mut FreeSlot,
}

/// Everything behind the lock: the classes' lists of pages with room,
/// the retired pages, and the arena pages are cut from.
struct State {
    with_room: [*mut Page; CLASSES],
    /// Retired pages, linked through their `next` field.
    spare: *mut Page,
    /// The part of the newest arena not cut into pages yet.
    arena_next: usize,
    arena_end: usize,
}

struct Slab {
    locked: AtomicBool,
    state: std::cell::UnsafeCell<State>,
}

// SAFETY: `state` and every page it reaches are only read or written by a
// thread holding `locked` (see `Slab::locked`), which orders the accesses
// of different threads (acquire on taking the lock, release on giving it
// back).
unsafe impl Sync for Slab {}

static SLAB: Slab = Slab {
    locked: AtomicBool::new(false),
    state: std::cell::UnsafeCell::new(State {
        with_room: [null_mut(); CLASSES],
        spare: null_mut(),
        arena_next: 0,
        arena_end: 0,
    }),
};

impl Slab {
    fn lock(&self) {
        let mut spins = 0u32;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spins += 1;
            if spins.is_multiple_of(64) {
                // The holder may have been preempted: let it run.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }

    /// Runs `f` on the state with the lock held.
    fn locked<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.lock();
        // SAFETY: the lock is held, so no other reference to the state
        // exists until `unlock` below.
        let result = f(unsafe { &mut *self.state.get() });
        self.unlock();
        result
    }
}

fn class_of(size: usize) -> usize {
    (size - MIN_BLOCK) / STEP
}

/// A new arena of `ARENA` bytes aligned to `PAGE`, as (start, end); None
/// when the system has no memory.
fn map_arena() -> Option<(usize, usize)> {
    let span = ARENA + PAGE;
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing has no preconditions; it aliases nothing.
    let raw = unsafe {
        libc::mmap(
            null_mut(),
            span,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return None;
    }
    let start = raw as usize;
    let aligned = (start + PAGE - 1) & !(PAGE - 1);
    let head = aligned - start;
    let tail = span - head - ARENA;
    // SAFETY: both ranges lie inside the mapping just made and outside the
    // aligned arena kept; nothing refers to them.
    unsafe {
        if head > 0 {
            libc::munmap(raw, head);
        }
        if tail > 0 {
            libc::munmap((aligned + ARENA) as *mut libc::c_void, tail);
        }
    }
    Some((aligned, aligned + ARENA))
}

/// A page with no slot handed out, in no list: a retired one, or one cut
/// from the arena (a new arena when it is used up); null when the system
/// has no memory.
fn new_page(state: &mut State) -> *mut Page {
    let page = if state.spare.is_null() {
        if state.arena_next == state.arena_end {
            let Some((start, end)) = map_arena() else {
                return null_mut();
            };
            (state.arena_next, state.arena_end) = (start, end);
        }
        let page = state.arena_next as *mut Page;
        state.arena_next += PAGE;
        page
    } else {
        let page = state.spare;
        // SAFETY: the lock is held and `page` heads the spare list, whose
        // pages keep their record resident.
        state.spare = unsafe { (*page).next };
        page
    };
    // SAFETY: the page is mapped, writable, aligned, and no block of it is
    // handed out; only the lock holder reaches it.
    unsafe {
        page.write(Page {
            prev: null_mut(),
            next: null_mut(),
            free: null_mut(),
            bump: HEADER,
            used: 0,
            listed: false,
        });
    }
    page
}

/// Gives the memory of the pages chained through `next` from `first` back
/// to the system, all but their records, then puts them on the spare list.
/// Called without the lock: the `madvise` calls may take a while.
///
/// # Safety
/// No block of these pages is in use and nothing else refers to them.
unsafe fn retire(first: *mut Page) {
    let mut last = first;
    let mut page = first;
    while !page.is_null() {
        libc::madvise(
            page.cast::<u8>().add(KEPT_OF_RETIRED).cast(),
            PAGE - KEPT_OF_RETIRED,
            libc::MADV_DONTNEED,
        );
        last = page;
        page = (*page).next;
    }
    if first.is_null() {
        return;
    }
    SLAB.locked(|state| {
        // SAFETY: `last` ends the chain; the lock is held.
        unsafe { (*last).next = state.spare };
        state.spare = first;
    });
}

/// Puts `page` at the head of `list`.
///
/// # Safety
/// The lock is held, `page` is a live page of this class not in the list.
unsafe fn push_front(list: &mut *mut Page, page: *mut Page) {
    (*page).prev = null_mut();
    (*page).next = *list;
    if !(*list).is_null() {
        (**list).prev = page;
    }
    *list = page;
    (*page).listed = true;
}

/// Takes `page` out of `list`.
///
/// # Safety
/// The lock is held and `page` is in `list`.
unsafe fn unlink(list: &mut *mut Page, page: *mut Page) {
    let (prev, next) = ((*page).prev, (*page).next);
    if prev.is_null() {
        *list = next;
    } else {
        (*prev).next = next;
    }
    if !next.is_null() {
        (*next).prev = prev;
    }
    (*page).listed = false;
}

/// A block of `size` bytes (a size [`serves`] accepts), or null when the
/// system is out of memory.
pub fn alloc(size: usize) -> *mut u8 {
    SLAB.locked(|state| {
        let class = class_of(size);
        let page = page_with_room(state, class);
        match state.with_room.get_mut(class) {
            // SAFETY: the lock is held and `page` heads this class's list.
            Some(list) if !page.is_null() => unsafe { take_slot(list, page, size) },
            _ => null_mut(),
        }
    })
}

/// The first page of `class` with room, a new one put at the head of its
/// list when it has none; null when the system has no memory.
fn page_with_room(state: &mut State, class: usize) -> *mut Page {
    let Some(&head) = state.with_room.get(class) else {
        return null_mut();
    };
    if !head.is_null() {
        return head;
    }
    let page = new_page(state);
    if let (false, Some(list)) = (page.is_null(), state.with_room.get_mut(class)) {
        // SAFETY: a fresh page, in no list; the lock is held.
        unsafe { push_front(list, page) };
    }
    page
}

/// Hands out a slot of `page`: a freed one, else the next never used;
/// the page leaves `list` when it has no room left.
///
/// # Safety
/// The lock is held and `page` is a page of `list` (so it has room: a
/// freed slot, or at least `size` bytes past `bump` inside the page).
unsafe fn take_slot(list: &mut *mut Page, page: *mut Page, size: usize) -> *mut u8 {
    let slot = if (*page).free.is_null() {
        let slot = page.cast::<u8>().add((*page).bump);
        (*page).bump += size;
        slot
    } else {
        let slot = (*page).free;
        (*page).free = (*slot).next;
        slot.cast::<u8>()
    };
    (*page).used += 1;
    if (*page).free.is_null() && (*page).bump + size > PAGE {
        unlink(list, page);
    }
    slot
}

/// Gives back a block [`alloc`] returned for the same `size`.
///
/// # Safety
/// `ptr` came from [`alloc`] with this `size` and is not used again.
pub unsafe fn dealloc(ptr: *mut u8, size: usize) {
    let page = (ptr as usize & !(PAGE - 1)) as *mut Page;
    let emptied = SLAB.locked(|state| {
        let list = state.with_room.get_mut(class_of(size))?;
        let slot = ptr.cast::<FreeSlot>();
        // SAFETY: the lock is held; `page` is the live page `ptr` was
        // handed out from (pages are aligned to their size), and the slot
        // is free, so its first word may hold the link.
        unsafe {
            slot.write(FreeSlot { next: (*page).free });
            (*page).free = slot;
            (*page).used -= 1;
            // To the front, so the next block of this size reuses the one
            // just freed, still in cache (as glibc's per-thread cache does).
            if *list != page {
                if (*page).listed {
                    unlink(list, page);
                }
                push_front(list, page);
            }
            let only_page_with_room = (*page).next.is_null();
            if (*page).used == 0 && !only_page_with_room {
                unlink(list, page);
                (*page).next = null_mut();
                return Some(page);
            }
        }
        None
    });
    if let Some(page) = emptied {
        // SAFETY: the page has no block in use and is in no list.
        unsafe { retire(page) };
    }
}

/// Retires every page with no block in use (each class keeps one while in
/// use, so a size freed and allocated in turn does not retire and reuse a
/// page each time); called when the server gives freed memory back.
pub fn release_empty_pages() {
    let emptied = SLAB.locked(|state| {
        // The pages taken out are chained through their `next` field.
        let mut taken: *mut Page = null_mut();
        for list in state.with_room.iter_mut() {
            let mut page = *list;
            while !page.is_null() {
                // SAFETY: the lock is held and `page` is in `list`; its
                // successor is read before it is unlinked.
                unsafe {
                    let next = (*page).next;
                    if (*page).used == 0 {
                        unlink(list, page);
                        (*page).next = taken;
                        taken = page;
                    }
                    page = next;
                }
            }
        }
        taken
    });
    // SAFETY: the chained pages have no block in use and are in no list.
    unsafe { retire(emptied) };
}

/// Makes `fork` safe: the lock is taken before the fork and given back in
/// both processes after it, so a child never starts with the lock held by
/// a thread it does not have.
pub fn install_fork_handlers() {
    extern "C" fn prepare() {
        SLAB.lock();
    }
    extern "C" fn after() {
        SLAB.unlock();
    }
    // SAFETY: the handlers only take and release the slab's lock; they
    // neither allocate nor depend on other state.
    unsafe {
        libc::pthread_atfork(Some(prepare), Some(after), Some(after));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_multiples_of_sixteen_from_512_to_4096_are_served() {
        assert!(serves(512, 8) && serves(1024, 16) && serves(4096, 1));
        assert!(!serves(496, 8) && !serves(1032, 8) && !serves(4112, 8));
        assert!(!serves(1024, 32));
    }

    /// Blocks of several sizes, written, freed in a scrambled order and
    /// allocated again, never overlap and keep their bytes.
    #[test]
    fn blocks_keep_their_bytes_and_pages_are_reused() {
        let sizes = [512usize, 1024, 1040, 4096];
        let mut live: Vec<(*mut u8, usize, u8)> = Vec::new();
        for round in 0..3u8 {
            for i in 0..3000usize {
                let size = sizes[i % sizes.len()];
                let ptr = alloc(size);
                assert!(!ptr.is_null());
                assert_eq!(ptr as usize % STEP, 0);
                let fill = (i as u8).wrapping_add(round);
                // SAFETY: a fresh block of `size` bytes.
                unsafe { ptr.write_bytes(fill, size) };
                live.push((ptr, size, fill));
            }
            // Free every other block, scrambled by a stride.
            let n = live.len();
            let mut kept = Vec::new();
            for (k, entry) in live.drain(..).enumerate() {
                if ((k * 7919) % n).is_multiple_of(2) {
                    let (ptr, size, fill) = entry;
                    // SAFETY: the block is live and was filled above.
                    let bytes = unsafe { std::slice::from_raw_parts(ptr, size) };
                    assert!(bytes.iter().all(|&b| b == fill));
                    unsafe { dealloc(ptr, size) };
                } else {
                    kept.push(entry);
                }
            }
            live = kept;
        }
        for (ptr, size, fill) in live {
            // SAFETY: the block is live and was filled above.
            let bytes = unsafe { std::slice::from_raw_parts(ptr, size) };
            assert!(bytes.iter().all(|&b| b == fill));
            unsafe { dealloc(ptr, size) };
        }
        release_empty_pages();
        let again = alloc(2048);
        assert!(!again.is_null());
        // SAFETY: a fresh block of 2048 bytes, freed once.
        unsafe { dealloc(again, 2048) };
    }

    #[test]
    fn threads_allocate_and_free_at_once() {
        let workers: Vec<_> = (0..4u8)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..20_000usize {
                        let size = MIN_BLOCK + STEP * ((i + usize::from(t)) % 8);
                        let ptr = alloc(size);
                        assert!(!ptr.is_null());
                        // SAFETY: a fresh block of `size` bytes, freed once.
                        unsafe {
                            ptr.write_bytes(t, size);
                            assert_eq!(*ptr.add(size - 1), t);
                            dealloc(ptr, size);
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            assert!(w.join().is_ok());
        }
    }
}
