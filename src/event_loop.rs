//! The reactor: one `mio::Poll` plus a queue of timers. It knows nothing about
//! Redis; the server asks it for the next batch of ready sockets and due timers.

use mio::{Events, Poll, Registry, Token};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::time::{Duration, Instant};

/// Something that became ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    Io {
        token: Token,
        readable: bool,
        writable: bool,
        /// The peer closed its side (possibly with data still to read):
        /// an edge-triggered poll will not report it again.
        read_closed: bool,
    },
    /// A timer registered with [`EventLoop::add_timer`] is due.
    Timer(u64),
}

pub struct EventLoop {
    poll: Poll,
    events: Events,
    /// Min-heap of (deadline, insertion sequence, timer id).
    timers: BinaryHeap<Reverse<(Instant, u64, u64)>>,
    sequence: u64,
}

impl EventLoop {
    pub fn new() -> io::Result<Self> {
        Ok(EventLoop {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            timers: BinaryHeap::new(),
            sequence: 0,
        })
    }

    pub fn registry(&self) -> &Registry {
        self.poll.registry()
    }

    /// Fires `id` once at `deadline`.
    pub fn add_timer(&mut self, deadline: Instant, id: u64) {
        self.sequence += 1;
        self.timers.push(Reverse((deadline, self.sequence, id)));
    }

    /// Fills `out` with the sockets ready now, without waiting and without
    /// looking at timers.
    pub fn poll_io(&mut self, out: &mut Vec<Ready>) -> io::Result<()> {
        out.clear();
        self.poll_sockets(out, Some(Duration::ZERO))
    }

    /// Polls for at most `timeout` and appends the ready sockets to `out`.
    fn poll_sockets(&mut self, out: &mut Vec<Ready>, timeout: Option<Duration>) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        for event in self.events.iter() {
            out.push(Ready::Io {
                token: event.token(),
                readable: event.is_readable() || event.is_read_closed() || event.is_error(),
                writable: event.is_writable(),
                read_closed: event.is_read_closed(),
            });
        }
        Ok(())
    }

    /// Waits for I/O until the next timer (or `max_wait`, if sooner) and
    /// fills `out` with ready sockets, then with every timer that is due.
    pub fn wait(&mut self, out: &mut Vec<Ready>, max_wait: Option<Duration>) -> io::Result<()> {
        out.clear();
        let now = Instant::now();
        let until_timer = self
            .timers
            .peek()
            .map(|Reverse((deadline, _, _))| deadline.saturating_duration_since(now));
        let timeout = match (until_timer, max_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.poll_sockets(out, timeout)?;
        let now = Instant::now();
        while let Some(Reverse((deadline, _, id))) = self.timers.peek().copied() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            out.push(Ready::Timer(id));
        }
        Ok(())
    }
}
