//! Background I/O: one worker thread that fsyncs (and then closes) files
//! handed to it, so the loop never waits on a slow disk (Redis's `bio.c`
//! for its AOF fsync jobs). It knows nothing about Redis.
//!
//! This is the one thread besides the loop. It shares nothing with it but
//! the files it is given (the loop keeps writing through its own handle of
//! the same open file) and two atomic counters: jobs not finished yet, and
//! the errno of the last failed fsync (0 when the last one succeeded).

use std::fs::File;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

/// What the worker does: fdatasync a file, then drop its handle (which
/// closes the file when the loop has let go of it too).
struct Job(Arc<File>);

/// Shared between the loop and the worker.
#[derive(Default)]
struct Status {
    pending: AtomicUsize,
    last_errno: AtomicI32,
}

/// The loop's handle on the worker.
pub struct Bio {
    jobs: Option<Sender<Job>>,
    status: Arc<Status>,
}

impl std::fmt::Debug for Bio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bio")
            .field("pending", &self.pending())
            .finish()
    }
}

impl Default for Bio {
    fn default() -> Self {
        Bio {
            jobs: None,
            status: Arc::new(Status::default()),
        }
    }
}

impl Bio {
    /// Starts the worker if it is not running. If the thread cannot be
    /// made the jobs run on the caller's thread instead.
    fn worker(&mut self) -> Option<&Sender<Job>> {
        if self.jobs.is_none() {
            let (tx, rx) = channel::<Job>();
            let status = Arc::clone(&self.status);
            let spawned = std::thread::Builder::new()
                .name("bio_aof".into())
                .spawn(move || {
                    for job in rx {
                        run(job, &status);
                    }
                });
            self.jobs = spawned.is_ok().then_some(tx);
        }
        self.jobs.as_ref()
    }

    /// Queues an fsync of `file`; a caller that drops its own handle
    /// leaves the closing to the worker.
    pub fn fsync(&mut self, file: Arc<File>) {
        let job = Job(file);
        self.status.pending.fetch_add(1, Ordering::SeqCst);
        let unsent = match self.worker() {
            Some(tx) => tx.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        if let Some(job) = unsent {
            run(job, &self.status);
        }
    }

    /// Jobs queued or running.
    pub fn pending(&self) -> usize {
        self.status.pending.load(Ordering::SeqCst)
    }

    /// The errno of the last fsync when it failed (`None` when it succeeded).
    pub fn last_error(&self) -> Option<i32> {
        let errno = self.status.last_errno.load(Ordering::SeqCst);
        (errno != 0).then_some(errno)
    }

    /// Forgets a recorded fsync error.
    pub fn clear_error(&self) {
        self.status.last_errno.store(0, Ordering::SeqCst);
    }

    /// Waits until every queued job ran (shutdown, switching to `always`).
    pub fn drain(&self) {
        while self.pending() > 0 {
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }
}

fn run(job: Job, status: &Status) {
    match job.0.sync_data() {
        Ok(()) => status.last_errno.store(0, Ordering::SeqCst),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            log::warn!(
                "Fail to fsync the AOF file: {}",
                crate::util::error_text(&e)
            );
            status.last_errno.store(errno, Ordering::SeqCst);
        }
    }
    drop(job);
    status.pending.fetch_sub(1, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_and_are_counted() {
        let dir = std::env::temp_dir().join(format!("reddish-bio-{}", std::process::id()));
        let file = Arc::new(File::create(&dir).expect("temp file"));
        let mut bio = Bio::default();
        bio.fsync(Arc::clone(&file));
        bio.fsync(Arc::new(File::open(&dir).expect("reopen")));
        bio.drain();
        assert_eq!(bio.pending(), 0);
        assert_eq!(bio.last_error(), None);
        let _ = std::fs::remove_file(&dir);
    }
}
