//! Lazy freeing: values too costly to free on the loop (a set of millions
//! of members, a whole flushed database) are handed to one background
//! thread that does nothing but drop them, as Redis's lazyfree thread. It
//! also gives the heap's free pages back to the system when asked
//! (`heap_release`), so the loop never waits while they are.
//!
//! The thread owns nothing else and shares nothing but two counters: what
//! it was given is moved to it through a channel, so no value is ever
//! reachable from both threads. It starts on first use (a server that
//! never frees lazily runs one thread) and ends when the server drops the
//! sending side. Memory it frees leaves the allocator's count at once, so
//! `used_memory` (and eviction) see it go.

use super::Server;
use crate::db::Db;
use crate::types::{HashValue, Object, SetValue, Value, ZSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

/// Values whose freeing costs more allocations than this go to the thread
/// (Redis's `LAZYFREE_THRESHOLD`).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// What the thread is given to drop, with the number of objects it counts
/// for in INFO (`lazyfree_pending_objects`, `lazyfreed_objects`).
struct Job {
    garbage: Garbage,
    objects: usize,
}

enum Garbage {
    Object(Object),
    Databases(Vec<Db>),
    /// Something a feature let go of whole (a scripting engine).
    Detached(Box<dyn Send>),
    /// Not a value: the free pages the heap keeps, given back to the
    /// system here so the loop does not wait while they are.
    FreeHeapPages,
}

impl Garbage {
    fn free(self) {
        match self {
            Garbage::Object(obj) => drop(obj),
            Garbage::Databases(dbs) => drop(dbs),
            Garbage::Detached(whole) => drop(whole),
            Garbage::FreeHeapPages => crate::alloc::release_free_heap(),
        }
    }
}

/// Counters the loop and the thread share.
#[derive(Default)]
struct Counters {
    pending: AtomicUsize,
    freed: AtomicUsize,
}

/// The loop's handle on the lazyfree thread.
#[derive(Default)]
pub struct LazyFree {
    sender: Option<Sender<Job>>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for LazyFree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyFree")
            .field("pending", &self.pending())
            .field("freed", &self.freed())
            .finish()
    }
}

impl LazyFree {
    /// Objects handed to the thread and not freed yet.
    pub fn pending(&self) -> usize {
        self.counters.pending.load(Ordering::Relaxed)
    }

    /// Objects the thread freed since the start (or CONFIG RESETSTAT).
    pub fn freed(&self) -> usize {
        self.counters.freed.load(Ordering::Relaxed)
    }

    pub fn reset_stats(&self) {
        self.counters.freed.store(0, Ordering::Relaxed);
    }

    /// Has the thread give the heap's free pages back to the system.
    pub fn release_free_heap(&mut self) {
        self.submit(Job {
            garbage: Garbage::FreeHeapPages,
            objects: 0,
        });
    }

    /// Hands `job` to the thread, starting it if needed. If the thread
    /// cannot be started the job is freed here.
    fn submit(&mut self, job: Job) {
        let objects = job.objects;
        self.counters.pending.fetch_add(objects, Ordering::Relaxed);
        let job = match &self.sender {
            Some(sender) => match sender.send(job) {
                Ok(()) => return,
                Err(returned) => returned.0,
            },
            None => job,
        };
        match self.start() {
            Some(sender) => {
                let sent = sender.send(job);
                self.sender = Some(sender);
                if sent.is_ok() {
                    return;
                }
            }
            None => drop(job),
        }
        self.counters.pending.fetch_sub(objects, Ordering::Relaxed);
    }

    /// Starts the thread; `None` if the system refuses.
    fn start(&self) -> Option<Sender<Job>> {
        let (sender, jobs) = channel::<Job>();
        let counters = Arc::clone(&self.counters);
        std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                for job in jobs {
                    let objects = job.objects;
                    job.garbage.free();
                    counters.pending.fetch_sub(objects, Ordering::Relaxed);
                    counters.freed.fetch_add(objects, Ordering::Relaxed);
                }
            })
            .ok()?;
        Some(sender)
    }
}

/// How many allocations freeing `value` takes, roughly (Redis's
/// `lazyfreeGetFreeEffort`): flat encodings are one, tables one per
/// element, a list one per node, a stream one per node plus its groups'
/// pending entries.
pub fn free_effort(value: &Value) -> usize {
    match value {
        Value::Str(_) => 1,
        Value::List(list) => list.node_count(),
        Value::Set(SetValue::Table(t)) => t.len(),
        Value::Hash(HashValue::Table(t)) => t.len(),
        Value::ZSet(z @ ZSet::Skiplist(_)) => z.len(),
        Value::Set(_) | Value::Hash(_) | Value::ZSet(_) => 1,
        Value::Stream(s) => {
            let groups = s.groups.len();
            let pel = s.groups.values().next().map_or(0, |g| g.pel.len());
            s.entries.node_count() + groups * (1 + pel)
        }
    }
}

impl Server {
    /// Frees a value removed from the keyspace: on the lazyfree thread when
    /// `lazy` and it is costly to free, here otherwise.
    #[inline]
    pub fn free_object(&mut self, obj: Object, lazy: bool) {
        if lazy && free_effort(&obj.value) > LAZYFREE_THRESHOLD {
            self.lazyfree.submit(Job {
                garbage: Garbage::Object(obj),
                objects: 1,
            });
        }
    }

    /// Frees the former contents of flushed databases, on the lazyfree
    /// thread when `lazy` (FLUSHALL ASYNC, `replica-lazy-flush`).
    pub fn free_databases(&mut self, dbs: Vec<Db>, lazy: bool) {
        let objects: usize = dbs.iter().map(Db::len).sum();
        if lazy && objects > 0 {
            self.lazyfree.submit(Job {
                garbage: Garbage::Databases(dbs),
                objects,
            });
        }
    }

    /// Frees something a feature let go of (SCRIPT FLUSH's old engine),
    /// counted as `objects`: on the lazyfree thread when `lazy` and it
    /// holds more than a few objects, here otherwise.
    pub fn free_detached(&mut self, whole: Box<dyn Send>, objects: usize, lazy: bool) {
        if lazy && objects > LAZYFREE_THRESHOLD {
            self.lazyfree.submit(Job {
                garbage: Garbage::Detached(whole),
                objects,
            });
        }
    }

    /// Waits up to `limit` for the lazyfree thread to finish what it was
    /// given while `keep_waiting` holds (eviction with nothing left to
    /// evict gives freeing in progress a chance).
    pub fn wait_for_lazyfree(
        &mut self,
        limit: std::time::Duration,
        mut keep_waiting: impl FnMut(&Server) -> bool,
    ) -> bool {
        let start = std::time::Instant::now();
        while self.lazyfree.pending() > 0 && start.elapsed() < limit {
            if !keep_waiting(self) {
                return true;
            }
            std::thread::sleep(limit.min(std::time::Duration::from_millis(1)));
        }
        !keep_waiting(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::StrValue;

    #[test]
    fn the_thread_frees_what_it_is_given_and_counts_it() {
        let mut lazy = LazyFree::default();
        let mut db = Db::default();
        for i in 0..100 {
            let v = Value::Str(StrValue::from_bytes(b"v"));
            db.set(format!("k{i}").as_bytes(), Object::new(v, 0), false);
        }
        lazy.submit(Job {
            garbage: Garbage::Databases(vec![db]),
            objects: 100,
        });
        let start = std::time::Instant::now();
        while lazy.freed() < 100 && start.elapsed().as_secs() < 10 {
            std::thread::yield_now();
        }
        assert_eq!((lazy.freed(), lazy.pending()), (100, 0));
        lazy.reset_stats();
        assert_eq!(lazy.freed(), 0);
    }

    #[test]
    fn small_values_are_cheap_to_free() {
        let s = Value::Str(StrValue::from_bytes(b"x"));
        assert_eq!(free_effort(&s), 1);
        assert_eq!(free_effort(&Value::Set(SetValue::empty_intset())), 1);
    }
}
