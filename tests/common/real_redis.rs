//! A real redis-server (Debian's 7.0) started by a test, killed when
//! dropped; it can be restarted on the same port and directory.

use super::{free_port, is_listening, wait_for, wait_ready, Raw};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct RealRedis {
    pub port: u16,
    pub dir: PathBuf,
    extra: Vec<String>,
    child: Option<Child>,
}

/// True when `redis-server` can be run (tests skip otherwise).
pub fn installed() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// False, after saying so, when `redis-server` cannot be run: a test that
/// needs it then checks nothing.
pub fn available() -> bool {
    let installed = installed();
    if !installed {
        eprintln!("redis-server is not installed: skipping");
    }
    installed
}

impl RealRedis {
    /// Starts the real server on a free port, working in `dir`.
    pub fn start(dir: &Path, extra: &[&str]) -> RealRedis {
        for _ in 0..5 {
            let mut server = RealRedis {
                port: free_port(),
                dir: dir.to_path_buf(),
                extra: extra.iter().map(|s| s.to_string()).collect(),
                child: None,
            };
            if server.launch() {
                return server;
            }
        }
        panic!("redis-server did not start");
    }

    /// Starts the real server as [`RealRedis::start`] does, or `None`
    /// (after saying so) when it is not installed.
    pub fn start_if_available(dir: &Path, extra: &[&str]) -> Option<RealRedis> {
        available().then(|| RealRedis::start(dir, extra))
    }

    /// Starts the process again (same port, directory and options).
    pub fn restart(&mut self) {
        assert!(self.launch(), "redis-server did not restart");
    }

    fn launch(&mut self) -> bool {
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", &self.dir.display().to_string(), "--save", ""])
            .args(["--enable-debug-command", "yes"])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        if !wait_for(Duration::from_secs(10), || is_listening(self.port)) {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        self.child = Some(child);
        wait_ready(&mut self.raw(), Duration::from_secs(20))
    }

    /// Waits for the process to exit (after SHUTDOWN).
    pub fn wait_exit(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// The process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
