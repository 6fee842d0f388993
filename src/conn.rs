//! A client's socket: TCP, or a Unix domain socket (`unixsocket`). Reads,
//! writes and event registration go to whichever it is.

use mio::event::Source;
use mio::net::{TcpStream, UnixStream};
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};

#[derive(Debug)]
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// How CLIENT LIST and friends name a connection's two ends.
#[derive(Debug, Default)]
pub struct Ends {
    /// `addr`: the peer's `ip:port`, or `<socket path>:0` over Unix.
    pub peer: String,
    /// `laddr`: our `ip:port`, or `<socket path>:0` over Unix.
    pub local: String,
    /// A Unix or loopback peer (protected mode lets it in).
    pub is_local: bool,
}

/// Redis's test for a local peer: the address is exactly 127.0.0.1 or
/// ::1 (not the rest of 127.0.0.0/8, not an IPv4-mapped address).
fn is_loopback_address(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(a) => a == std::net::Ipv4Addr::LOCALHOST,
        std::net::IpAddr::V6(a) => a == std::net::Ipv6Addr::LOCALHOST,
    }
}

impl Conn {
    /// A Unix socket, or a TCP peer at exactly 127.0.0.1 or ::1.
    pub fn is_local_peer(&self) -> bool {
        match self {
            Conn::Tcp(s) => s.peer_addr().is_ok_and(|a| is_loopback_address(a.ip())),
            Conn::Unix(_) => true,
        }
    }

    pub fn ends(&self) -> Ends {
        match self {
            Conn::Tcp(s) => {
                let peer = s.peer_addr().ok();
                Ends {
                    peer: peer.map(|a| a.to_string()).unwrap_or_default(),
                    local: s.local_addr().map(|a| a.to_string()).unwrap_or_default(),
                    is_local: self.is_local_peer(),
                }
            }
            Conn::Unix(s) => {
                // An accepted socket's local name is the listening path.
                let path = s
                    .local_addr()
                    .ok()
                    .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
                    .unwrap_or_default();
                let name = format!("{}:0", path);
                Ends {
                    peer: name.clone(),
                    local: name,
                    is_local: true,
                }
            }
        }
    }

    /// The peer's IP without the port; Unix peers are `/unixsocket`, as
    /// Redis names them.
    pub fn peer_ip(&self) -> String {
        match self {
            Conn::Tcp(s) => s
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            Conn::Unix(_) => "/unixsocket".to_string(),
        }
    }

    /// Turns off Nagle's algorithm (TCP only).
    pub fn set_nodelay(&self) {
        if let Conn::Tcp(s) = self {
            let _ = s.set_nodelay(true);
        }
    }
}

/// Runs `$body` with `$s` bound to the socket inside, whichever kind.
macro_rules! on_socket {
    ($conn:expr, $s:ident => $body:expr) => {
        match $conn {
            Conn::Tcp($s) => $body,
            Conn::Unix($s) => $body,
        }
    };
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        on_socket!(self, s => s.read(buf))
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        on_socket!(self, s => s.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        on_socket!(self, s => s.flush())
    }
}

impl AsRawFd for Conn {
    fn as_raw_fd(&self) -> RawFd {
        on_socket!(self, s => s.as_raw_fd())
    }
}

impl Source for Conn {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        on_socket!(self, s => s.register(registry, token, interest))
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        on_socket!(self, s => s.reregister(registry, token, interest))
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        on_socket!(self, s => s.deregister(registry))
    }
}
