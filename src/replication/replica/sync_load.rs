//! A full sync loaded as it arrives, as Redis loads with
//! `repl-diskless-load` when it may block: once the payload starts, the
//! replica reads the socket in a blocking way (up to `repl-timeout` per
//! wait) straight into the RDB loader, serving clients with `-LOADING`
//! between chunks, as any load does. So a replica that loads slowly reads
//! slowly, and its primary sees it. The dataset is replaced only when the
//! whole payload loaded; a failure (a short read, a dropped link) puts
//! the old one back and the replica connects again.
//!
//! The async form (`swapdb` from the same history, where the old data
//! stays readable) is still received whole before it is loaded.

use crate::persistence::reader::Reader;
use crate::server::state::replication::DisklessLoad;
use crate::server::state::upstream_link::{Link, Step};
use crate::server::Server;
use log::{info, warn};
use mio::net::TcpStream;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;

/// How long one wait for the socket lasts before a pending shutdown
/// signal is looked at.
const WAIT_SLICE_MS: i64 = 100;

/// The payload as the loader reads it: the part already received (kept
/// in the temp file), then the socket; a payload of known size ends
/// there, so the stream after it stays in the socket.
struct PayloadSource<'a> {
    received: io::Chain<File, Cursor<Vec<u8>>>,
    socket: &'a TcpStream,
    /// Bytes of a sized payload still to come from the socket.
    left: Option<u64>,
    timeout_ms: i64,
}

impl PayloadSource<'_> {
    /// Reads the socket, waiting for data up to the timeout; a shutdown
    /// signal ends the wait with an error (the load then fails and the
    /// loop shuts down).
    fn read_socket(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut waited = 0;
        loop {
            match (&mut &*self.socket).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
            if crate::server::SHUTDOWN_SIGNAL.load(Ordering::SeqCst) != 0 {
                return Err(io::Error::other("shutdown requested"));
            }
            if waited >= self.timeout_ms {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let slice = WAIT_SLICE_MS.min(self.timeout_ms - waited);
            match crate::net::wait_ready(self.socket.as_raw_fd(), false, slice as i32) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => waited += slice,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Read for PayloadSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.received.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        let want = match self.left {
            Some(0) => return Ok(0),
            Some(left) => buf.len().min(usize::try_from(left).unwrap_or(usize::MAX)),
            None => buf.len(),
        };
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = self.read_socket(buf)?;
        if let Some(left) = self.left.as_mut() {
            *left -= n as u64;
        }
        Ok(n)
    }
}

impl Server {
    /// Whether the payload `link` started receiving is loaded as it
    /// arrives (a diskless load that may block).
    pub(super) fn loads_while_receiving(&self, link: &Link) -> bool {
        link.step == Step::Payload
            && link.transfer.is_some()
            && self.replication.diskless_load != Some(DisklessLoad::Async)
            && self.diskless_load_for(link) == Some(DisklessLoad::Blocking)
    }

    /// Loads the payload `link` is receiving until it is all read, then
    /// the link becomes our primary's client; on failure the dataset is
    /// left as it was and the replica will connect again.
    pub(super) fn load_sync_while_receiving(&mut self, mut link: Link) {
        let _ = self.event_loop.registry().deregister(&mut link.stream);
        let Some(transfer) = link.transfer.take() else {
            return;
        };
        let mark = transfer.mark().map(<[u8]>::to_vec);
        let received = File::open(&transfer.path).map(|f| f.chain(Cursor::new(link.take_input())));
        let _ = std::fs::remove_file(&transfer.path);
        let received = match received {
            Ok(received) => received,
            Err(e) => {
                warn!(
                    "Unable to read the received part of the MASTER synchronization payload: {}",
                    crate::util::error_text(&e)
                );
                return;
            }
        };
        // The load reports itself from here on.
        self.end_diskless_load();
        self.prepare_full_sync_load();
        info!("MASTER <-> REPLICA sync: Loading DB in memory");
        let source = PayloadSource {
            received,
            socket: &link.stream,
            left: transfer.size.map(|size| size.saturating_sub(transfer.read)),
            timeout_ms: self.config.repl_timeout.saturating_mul(1000).max(1),
        };
        let mut reader = self.rdb_reader(source);
        let total = transfer.size.unwrap_or(0);
        if !self.replace_dataset_from_reader(&mut reader, total) {
            warn!("Failed trying to load the MASTER synchronization DB from socket, check server logs.");
            return;
        }
        let Some(leftover) = payload_end(&mut reader, mark.as_deref()) else {
            warn!("Replication stream EOF marker is broken");
            return;
        };
        drop(reader);
        self.full_sync_loaded(link, &leftover, mark.is_some());
    }
}

/// After the RDB: checks the end mark of an EOF-marked payload and
/// returns what followed the payload (the first bytes of the stream).
fn payload_end(reader: &mut Reader<PayloadSource>, mark: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut rest = reader.unread().to_vec();
    let Some(mark) = mark else {
        return Some(rest);
    };
    while rest.len() < mark.len() {
        let mut chunk = [0u8; 64];
        let n = reader.input_mut().read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        rest.extend_from_slice(chunk.get(..n)?);
    }
    if rest.get(..mark.len())? != mark {
        return None;
    }
    Some(rest.split_off(mark.len()))
}
