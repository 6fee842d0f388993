//! What the server does when CONFIG SET changes a directive that needs
//! more than a new value: re-open listening sockets, change the log level,
//! raise the open files limit for `maxclients`, give the default user the
//! `requirepass` password.

use super::Server;
use crate::config::Apply;
use log::{info, warn};
use std::io;

/// File descriptors kept for the server's own use besides clients.
const RESERVED_FDS: u64 = 32;

impl Server {
    /// Makes a changed directive take effect; the error text is what
    /// CONFIG SET reports.
    pub fn apply_config(&mut self, what: Apply) -> Result<(), String> {
        match what {
            Apply::Port => self
                .relisten()
                .map_err(|_| "Unable to listen on this port. Check server logs.".to_string()),
            Apply::Bind => self.relisten().map_err(|_| {
                warn!("Failed to bind");
                "Failed to bind to specified addresses.".to_string()
            }),
            Apply::LogLevel => {
                crate::logging::set_level(self.config.loglevel);
                Ok(())
            }
            Apply::Tls if self.config.tls_in_use() => {
                warn!("TLS is not supported by reddish");
                Err("Unable to update TLS configuration. Check server logs.".to_string())
            }
            Apply::Tls => Ok(()),
            Apply::AppendOnly | Apply::AofAutoGc => self.run_apply_config_hooks(what),
            Apply::Watchdog => {
                crate::crash::set_watchdog(self.config.watchdog_period);
                Ok(())
            }
            Apply::Maxmemory => {
                self.maxmemory_changed();
                self.recount_client_memory();
                Ok(())
            }
            Apply::ProcTitle => {
                self.update_proc_title();
                Ok(())
            }
            Apply::OomScore => self
                .apply_oom_score()
                .map_err(|_| "Failed to set current oom_score_adj. Check server logs.".to_string()),
            Apply::MaxmemoryClients => {
                self.recount_client_memory();
                Ok(())
            }
            Apply::RequirePass => {
                let password = self.config.requirepass.clone();
                self.set_default_password(password.as_deref());
                Ok(())
            }
            Apply::MaxClients => {
                let wanted = self.config.maxclients;
                match adjust_open_files_limit(wanted) {
                    Some(possible) if possible < wanted => Err(format!(
                        "The operating system is not able to handle the specified number of clients, try with {}",
                        possible
                    )),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Closes the listening sockets and opens them again from `port` and `bind`.
    fn relisten(&mut self) -> io::Result<()> {
        for mut listener in std::mem::take(&mut self.listeners) {
            let _ = self.event_loop.registry().deregister(&mut listener);
        }
        self.listen()
    }

    /// True when some listener (TCP or Unix) is open.
    pub fn is_listening(&self) -> bool {
        !self.listeners.is_empty() || self.unix_listener.is_some()
    }
}

/// Raises the open files limit to fit `maxclients` like Redis's
/// `adjustOpenFilesLimit`. Returns the number of clients the limit allows
/// when that is fewer than asked (`Some(0)` when not even the reserved
/// descriptors fit), `None` when the limit fits.
pub fn adjust_open_files_limit(maxclients: u64) -> Option<u64> {
    let wanted = maxclients.saturating_add(RESERVED_FDS);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own and pass by pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        warn!("Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.", io::Error::last_os_error());
        return Some(1024 - RESERVED_FDS);
    }
    let old = limit.rlim_cur;
    if old >= wanted {
        return None;
    }
    let mut best = wanted;
    let mut error = None;
    while best > old {
        let attempt = libc::rlimit {
            rlim_cur: best,
            rlim_max: best,
        };
        // SAFETY: setrlimit only reads the struct we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &attempt) } != -1 {
            break;
        }
        error = Some(io::Error::last_os_error());
        if best < 16 {
            best = old;
            break;
        }
        best -= 16;
    }
    best = best.max(old);
    if best >= wanted {
        info!(
            "Increased maximum number of open files to {} (it was originally set to {}).",
            wanted, old
        );
        return None;
    }
    if best <= RESERVED_FDS {
        warn!("Your current 'ulimit -n' of {} is not enough for the server to start. Please increase your open file limit to at least {}. Exiting.", old, wanted);
        return Some(0);
    }
    let possible = best - RESERVED_FDS;
    warn!(
        "You requested maxclients of {} requiring at least {} max file descriptors.",
        maxclients, wanted
    );
    warn!(
        "Server can't set maximum open files to {} because of OS error: {}.",
        wanted,
        error
            .map(|e| crate::config::value::strerror(&e))
            .unwrap_or_default()
    );
    warn!("Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.", best, possible);
    Some(possible)
}

impl Server {
    /// Shows `proc-title-template` expanded as the process title (when
    /// `set-proc-title` is on), as Redis's `redisSetProcTitle` does.
    pub fn update_proc_title(&self) {
        self.show_proc_title(crate::proc_title::program());
    }

    /// [`Server::update_proc_title`] with `title` as the template's
    /// `{title}` (a fork child names its job there).
    pub fn show_proc_title(&self, title: &str) {
        if !self.config.set_proc_title {
            return;
        }
        let title = crate::util::expand_template(&self.config.proc_title_template, |name| {
            self.proc_title_variable(name, title)
        });
        if let Some(title) = title {
            let trimmed = crate::config::trim(&title, b" ");
            if let Err(e) = crate::proc_title::set(trimmed) {
                warn!("Failed to set the process title: {}", e);
            }
        }
    }

    /// The value of one `proc-title-template` variable.
    fn proc_title_variable(&self, name: &[u8], title: &str) -> Option<Vec<u8>> {
        let c = &self.config;
        let text = match name {
            b"title" => title.to_string(),
            b"listen-addr" if c.port != 0 || c.tls_port != 0 => {
                let addr = c.bind.first().map_or("*", String::as_str);
                let port = if c.port != 0 { c.port } else { c.tls_port };
                format!("{}:{}", addr, port)
            }
            b"listen-addr" => {
                let mut text = b"unixsocket:".to_vec();
                text.extend_from_slice(c.unixsocket.as_deref().unwrap_or_default());
                return Some(text);
            }
            b"server-mode" if c.cluster_enabled => "[cluster]".to_string(),
            b"server-mode" => String::new(),
            b"config-file" => c.config_file.clone().unwrap_or_else(|| "-".to_string()),
            b"port" => c.port.to_string(),
            b"tls-port" => c.tls_port.to_string(),
            b"unixsocket" => return Some(c.unixsocket.clone().unwrap_or_default()),
            _ => return None,
        };
        Some(text.into_bytes())
    }
}
