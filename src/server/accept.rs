//! Listening sockets and new connections: binding every `bind` address on
//! `port` and the `unixsocket`, accepting, refusing a connection over
//! `maxclients` or from where protected mode forbids (with Redis's
//! errors), and making an accepted socket a client.

use super::client::Client;
use super::{Server, CLIENT_TOKEN_BASE};
use crate::conn::Conn;
use crate::util::now_ms;
use log::{info, warn};
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::io;
use std::net::SocketAddr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Token of the Unix socket listener.
pub(super) const UNIX_LISTENER: usize = CLIENT_TOKEN_BASE - 1;
pub(super) const MAX_CLIENTS_ERROR: &str = "-ERR max number of clients reached\r\n";

pub(super) const PROTECTED_MODE_ERROR: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

pub(super) fn set_keepalive(stream: &TcpStream, interval: i64) {
    use std::os::fd::AsRawFd;
    let fd = stream.as_raw_fd();
    let on: libc::c_int = 1;
    let idle = interval.clamp(1, i32::MAX as i64) as libc::c_int;
    let intvl = (idle / 3).max(1);
    let probes: libc::c_int = 3;
    let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: setsockopt on an fd we own, each value a live c_int whose size we pass.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &on as *const _ as *const libc::c_void,
            size,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPIDLE,
            &idle as *const _ as *const libc::c_void,
            size,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            &intvl as *const _ as *const libc::c_void,
            size,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPCNT,
            &probes as *const _ as *const libc::c_void,
            size,
        );
    }
}

impl Server {
    /// Opens the `unixsocket` listener (replacing a stale socket file) with
    /// the `unixsocketperm` mode, if one is configured (after the TCP
    /// listeners, as Redis opens them).
    pub fn listen_unix(&mut self) -> io::Result<()> {
        let Some(path) = self.config.unixsocket.clone() else {
            return Ok(());
        };
        let path = std::path::PathBuf::from(std::ffi::OsString::from_vec(path));
        match crate::net::listen_unix(&path, self.config.unixsocketperm) {
            Ok(mut l) => {
                self.event_loop.registry().register(
                    &mut l,
                    Token(UNIX_LISTENER),
                    Interest::READABLE,
                )?;
                self.unix_listener = Some(l);
                Ok(())
            }
            Err(e) => {
                warn!("Failed opening Unix socket: {}", e);
                Err(e)
            }
        }
    }

    /// Binds every `bind` address on `port` (a `-` prefix marks an address
    /// that may be unavailable, such as IPv6 on a host without it).
    pub(super) fn listen(&mut self) -> io::Result<()> {
        if self.config.port == 0 {
            return Ok(());
        }
        let mut listeners = Vec::new();
        for (i, raw) in self.config.bind.iter().enumerate() {
            let optional = raw.starts_with('-');
            let host = raw.trim_start_matches('-');
            let host = match host {
                "*" => "0.0.0.0",
                "::*" => "::",
                h => h,
            };
            let addr: Option<SocketAddr> = format!("{}:{}", host, self.config.port)
                .parse()
                .ok()
                .or_else(|| format!("[{}]:{}", host, self.config.port).parse().ok());
            let result = match addr {
                Some(a) => crate::net::listen(a, self.config.tcp_backlog),
                None => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Invalid bind address",
                )),
            };
            match result {
                Ok(mut l) => {
                    self.event_loop
                        .registry()
                        .register(&mut l, Token(i), Interest::READABLE)?;
                    listeners.push(l);
                }
                Err(e) if optional || e.kind() == io::ErrorKind::Unsupported => {
                    warn!(
                        "Warning: Could not create server TCP listening socket {}:{}: {}",
                        host, self.config.port, e
                    );
                }
                Err(e) => {
                    warn!(
                        "Warning: Could not create server TCP listening socket {}:{}: {}",
                        host, self.config.port, e
                    );
                    return Err(e);
                }
            }
        }
        if listeners.is_empty() && !self.config.bind.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Failed listening on port",
            ));
        }
        self.listeners = listeners;
        Ok(())
    }

    /// Closes the listening sockets in a forked child (the parent keeps
    /// them open and registered).
    pub fn close_listening_sockets(&mut self) {
        self.listeners.clear();
        self.unix_listener = None;
    }

    pub(super) fn remove_unix_socket(&mut self) {
        let Some(path) = &self.config.unixsocket else {
            return;
        };
        self.unix_listener = None;
        info!("Removing the unix socket file.");
        if let Err(e) = std::fs::remove_file(std::ffi::OsStr::from_bytes(path)) {
            warn!("Error removing the unix socket file: {}", e);
        }
    }

    pub(super) fn accept_all(&mut self, listener: usize) {
        loop {
            let Some(l) = self.listeners.get(listener) else {
                return;
            };
            let accepted = l.accept().map(|(stream, _)| {
                if self.config.tcp_keepalive > 0 {
                    set_keepalive(&stream, self.config.tcp_keepalive);
                }
                Conn::Tcp(stream)
            });
            if !self.accepted(accepted) {
                return;
            }
        }
    }

    pub(super) fn accept_all_unix(&mut self) {
        loop {
            let Some(l) = self.unix_listener.as_ref() else {
                return;
            };
            let accepted = l.accept().map(|(stream, _)| Conn::Unix(stream));
            if !self.accepted(accepted) {
                return;
            }
        }
    }

    /// Takes one result of `accept`: a connection becomes a client. False
    /// when the listener has nothing more to give.
    pub(super) fn accepted(&mut self, result: io::Result<Conn>) -> bool {
        match result {
            Ok(stream) => {
                self.add_client(stream);
                true
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => true,
            Err(e) => {
                warn!("Accepting client connection: {}", e);
                false
            }
        }
    }

    /// A new connection. One refused (over `maxclients`, or by protected
    /// mode) gets its error, counts as rejected and is closed; as in Redis
    /// it does not count as received.
    pub(super) fn add_client(&mut self, mut stream: Conn) {
        let refusal = if self.clients.count as u64 >= self.config.maxclients {
            Some(MAX_CLIENTS_ERROR)
        } else if self.protected_mode_denies(&stream) {
            Some(PROTECTED_MODE_ERROR)
        } else {
            None
        };
        if let Some(error) = refusal {
            self.stats.rejected_connections += 1;
            let _ = io::Write::write_all(&mut stream, error.as_bytes());
            return;
        }
        self.stats.total_connections_received += 1;
        let Some(slot) = self.adopt_connection(stream) else {
            return;
        };
        let authenticated = self.acl.default_is_open();
        if let Some(c) = self.clients.get_mut(slot) {
            c.authenticated = authenticated;
        }
        // Bytes may already be waiting; edge-triggered readiness will not repeat them.
        self.serve_client(slot);
    }

    /// Makes a connected socket a client (an accepted one, or the link to
    /// our primary once the sync is done). Returns its slot.
    pub fn adopt_connection(&mut self, mut stream: Conn) -> Option<usize> {
        stream.set_nodelay();
        let slot = self.clients.reserve_slot();
        if let Err(e) = self.event_loop.registry().register(
            &mut stream,
            Token(slot + CLIENT_TOKEN_BASE),
            Interest::READABLE,
        ) {
            warn!("Error registering fd event for the new client: {}", e);
            self.clients.release(slot);
            return None;
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let client = Box::new(Client::new(id, slot, Some(stream), now_ms()));
        self.clients.put(slot, client);
        self.clients.count += 1;
        Some(slot)
    }

    /// Protected mode (on, and no password for the default user) lets in
    /// only Unix sockets and peers at exactly 127.0.0.1 or ::1, whatever
    /// `bind` says.
    pub(super) fn protected_mode_denies(&self, stream: &Conn) -> bool {
        self.config.protected_mode && self.acl.default_has_no_password() && !stream.is_local_peer()
    }
}
