//! Listening sockets as Redis makes them: SO_REUSEADDR, IPv6 sockets
//! restricted to IPv6 (so `bind * -::*` can hold both families on one
//! port), non-blocking, with the configured backlog.

use mio::net::TcpListener;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn set_int_option(
    fd: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is a live c_int and we pass its exact size; the fd is owned.
    let ret = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            &value as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    check(ret).map(|_| ())
}

/// Bytes written to socket `fd` that its peer has not acknowledged yet
/// (its send queue).
pub fn unacked_bytes(fd: i32) -> io::Result<i64> {
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ for sockets) stores one c_int through the
    // pointer, which points to a live local of that type.
    check(unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut queued as *mut libc::c_int) })?;
    Ok(i64::from(queued))
}

/// Waits until socket `fd` is readable (or, with `write`, writable), for
/// at most `timeout_ms`; a signal ends the wait early without an error.
pub fn wait_ready(fd: i32, write: bool, timeout_ms: i32) -> io::Result<()> {
    let mut pfd = libc::pollfd {
        fd,
        events: if write { libc::POLLOUT } else { libc::POLLIN },
        revents: 0,
    };
    // SAFETY: polling one pollfd that lives on the stack for the call.
    let ready = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    match ready {
        r if r > 0 => Ok(()),
        0 => Err(io::ErrorKind::TimedOut.into()),
        _ => {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}

/// Whether the peer of socket `fd` closed or reset the connection.
pub fn peer_closed(fd: i32) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: polling one pollfd that lives on the stack, without waiting.
    let ready = unsafe { libc::poll(&mut pfd, 1, 0) };
    ready > 0 && pfd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
}

/// Binds and listens on `addr`.
pub fn listen(addr: SocketAddr, backlog: i64) -> io::Result<TcpListener> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // SAFETY: socket() has no memory-safety preconditions; a valid result is
    // a fresh descriptor that OwnedFd takes sole ownership of.
    let fd = unsafe {
        let raw = check(libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        ))?;
        OwnedFd::from_raw_fd(raw)
    };
    set_int_option(&fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if addr.is_ipv6() {
        set_int_option(&fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
    }
    bind(&fd, addr)?;
    let backlog = backlog.clamp(1, i32::MAX as i64) as libc::c_int;
    // SAFETY: listen() on a descriptor we own.
    check(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    Ok(TcpListener::from_std(std::net::TcpListener::from(fd)))
}

fn bind(fd: &OwnedFd, addr: SocketAddr) -> io::Result<()> {
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: `sin` is a valid sockaddr_in and we pass its exact size.
            check(unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    &sin as *const libc::sockaddr_in as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            })?;
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: `sin6` is a valid sockaddr_in6 and we pass its exact size.
            check(unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    &sin6 as *const libc::sockaddr_in6 as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            })?;
        }
    }
    Ok(())
}

/// Listens on a Unix domain socket at `path`, replacing a stale socket file
/// left there, and gives it mode `perm` unless that is 0 (as Redis does).
pub fn listen_unix(path: &std::path::Path, perm: u32) -> io::Result<mio::net::UnixListener> {
    let _ = std::fs::remove_file(path);
    let listener =
        std::os::unix::net::UnixListener::bind(path).map_err(|e| step_failed("bind", e))?;
    if perm != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))
            .map_err(|e| step_failed("chmod", e))?;
    }
    listener.set_nonblocking(true)?;
    Ok(mio::net::UnixListener::from_std(listener))
}

/// An error named after the call that failed, as Redis's anet reports it
/// ("bind: No such file or directory").
fn step_failed(step: &str, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("{}: {}", step, crate::util::error_text(&e)),
    )
}
