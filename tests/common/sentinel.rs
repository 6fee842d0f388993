//! A real `redis-sentinel` (Debian's, 7.0) started by a test: its config
//! file and log live in a scratch directory, and it is killed when
//! dropped. Tests that need it skip when it is not installed.

use super::{free_port, items, serving, texts, Frame, Raw};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};

pub struct Sentinel {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

/// False, after saying so, when `redis-sentinel` cannot be run.
pub fn available() -> bool {
    super::program_available("redis-sentinel", "redis-sentinel")
}

impl Sentinel {
    /// Starts a sentinel on a free port whose config file holds `lines`
    /// (`sentinel monitor ...` and the like) after its port, address,
    /// directory and log file.
    pub fn start(lines: &[String]) -> Sentinel {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let conf = dir.path().join("sentinel.conf");
            let mut text = format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nlogfile {}\n",
                dir.path().display(),
                dir.path().join("sentinel.log").display()
            );
            for line in lines {
                text.push_str(line);
                text.push('\n');
            }
            std::fs::write(&conf, text).expect("write sentinel.conf");
            let child = Command::new("redis-sentinel")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-sentinel");
            if let Some(child) = serving(child, port) {
                return Sentinel { port, dir, child };
            }
        }
        panic!("redis-sentinel did not start");
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sentinel.log")).unwrap_or_default()
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reply of SENTINEL REPLICAS / SENTINELS (a list of flat field-value
/// arrays) as one map per instance.
pub fn records(frame: Frame) -> Vec<HashMap<String, String>> {
    items(frame)
        .into_iter()
        .map(|record| {
            let fields = texts(record);
            fields
                .chunks(2)
                .filter_map(|pair| match pair {
                    [name, value] => Some((name.clone(), value.clone())),
                    _ => None,
                })
                .collect()
        })
        .collect()
}
