//! Diskless full sync, the save child's side: the snapshot goes straight
//! into the replicas' sockets as `$EOF:<mark>\r\n<rdb><mark>` (the replica
//! finds the end by the random mark, as the length is not known in
//! advance). The sockets are the parent's non-blocking ones, shared with
//! the child: a full socket is waited on with `poll`, and a replica that
//! fails or stalls past the timeout is dropped while the others go on.

use crate::persistence::snapshot::write_filtered_snapshot;
use crate::server::state::childinfo::Reporter;
use crate::server::state::replication::SnapshotFilter;
use crate::server::Server;
use std::io::{self, BufWriter, Write};

/// Writes the snapshot of `srv` (without what `filter` leaves out) to
/// every socket in `fds` (in the save child, which dies with its parent).
/// Fails only when no replica is left.
pub fn stream_snapshot(
    srv: &Server,
    fds: &[i32],
    mark: &str,
    timeout_ms: i64,
    filter: SnapshotFilter,
    mut reporter: Option<&mut Reporter>,
) -> io::Result<()> {
    let fanout = Fanout {
        fds: fds.iter().map(|&fd| Some(fd)).collect(),
        timeout_ms: timeout_ms.clamp(1, i64::from(i32::MAX)) as i32,
    };
    let mut out = BufWriter::with_capacity(1 << 16, fanout);
    write!(out, "$EOF:{}\r\n", mark)?;
    out.flush()?;
    let mut keys = 0;
    let mut out = write_filtered_snapshot(srv, out, filter, &mut |n| {
        keys = n;
        if let Some(r) = reporter.as_deref_mut() {
            r.key_saved(n);
        }
    })?;
    out.write_all(mark.as_bytes())?;
    out.flush()?;
    if let Some(r) = reporter {
        r.finish(keys);
    }
    Ok(())
}

/// Every write goes to each replica socket still alive.
struct Fanout {
    fds: Vec<Option<i32>>,
    timeout_ms: i32,
}

impl Write for Fanout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for entry in self.fds.iter_mut() {
            if let Some(fd) = *entry {
                if write_all_waiting(fd, buf, self.timeout_ms).is_err() {
                    *entry = None;
                }
            }
        }
        if self.fds.iter().all(Option::is_none) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "no replica left to receive the snapshot",
            ));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes all of `buf` to the non-blocking socket `fd`, polling while it
/// is full for at most `timeout_ms` each time.
fn write_all_waiting(fd: i32, mut buf: &[u8], timeout_ms: i32) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a live slice of the given length; `fd` is a
        // socket this process holds open.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n > 0 {
            buf = buf.get(n as usize..).unwrap_or_default();
            continue;
        }
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => crate::net::wait_ready(fd, true, timeout_ms)?,
            _ => return Err(err),
        }
    }
    Ok(())
}
