//! MIGRATE's connections to target servers, kept between calls for ten
//! seconds per `host:port` with the database last SELECTed on each.

use std::collections::HashMap;
use std::io::{self, BufReader};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Most cached connections; one is dropped at random past this.
const CACHE_ITEMS: usize = 64;
/// Seconds an unused cached connection is kept.
const CACHE_TTL_S: i64 = 10;
/// A connection to a target server.
#[derive(Debug)]
pub struct CachedSocket {
    pub stream: BufReader<TcpStream>,
    /// Database the connection has SELECTed, if known.
    pub last_db: Option<i64>,
    pub last_use_s: i64,
}

/// Connections kept between MIGRATE calls, by `host:port`.
#[derive(Debug, Default)]
pub struct MigrateCache {
    sockets: HashMap<Vec<u8>, CachedSocket>,
}

impl MigrateCache {
    /// INFO `migrate_cached_sockets`.
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Closes connections unused for more than ten seconds (from the cron).
    pub fn close_idle(&mut self, now_s: i64) {
        self.sockets
            .retain(|_, s| now_s - s.last_use_s <= CACHE_TTL_S);
    }

    /// The cached connection named `host:port`, if there is one.
    pub fn socket_mut(&mut self, name: &[u8]) -> Option<&mut CachedSocket> {
        self.sockets.get_mut(name)
    }

    pub fn close(&mut self, name: &[u8]) {
        self.sockets.remove(name);
    }

    /// The cached connection to `host:port`, connecting if needed.
    pub fn get(
        &mut self,
        name: &[u8],
        host: &[u8],
        port: &[u8],
        timeout: Duration,
    ) -> Option<&mut CachedSocket> {
        let now = crate::util::unix_seconds();
        if !self.sockets.contains_key(name) {
            if self.sockets.len() >= CACHE_ITEMS {
                let victim = self.sockets.keys().next().cloned();
                if let Some(v) = victim {
                    self.sockets.remove(&v);
                }
            }
            let stream = connect(host, port, timeout).ok()?;
            let cached = CachedSocket {
                stream: BufReader::new(stream),
                last_db: None,
                last_use_s: now,
            };
            self.sockets.insert(name.to_vec(), cached);
        }
        let s = self.sockets.get_mut(name)?;
        s.last_use_s = now;
        Some(s)
    }
}

fn connect(host: &[u8], port: &[u8], timeout: Duration) -> io::Result<TcpStream> {
    let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "bad address");
    let host = std::str::from_utf8(host).map_err(|_| invalid())?;
    let port = u16::try_from(crate::util::atoi(port)).map_err(|_| invalid())?;
    let addr = (host, port).to_socket_addrs()?.next().ok_or_else(invalid)?;
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}
