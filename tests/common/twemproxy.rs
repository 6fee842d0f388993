//! twemproxy (`nutcracker`, Debian's 0.5) started by a test in front of
//! Redis-protocol shards, killed when dropped. Tests that need it skip
//! when it is not installed.

use super::{encode, free_port, serving_when, Raw};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct Nutcracker {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: std::process::Child,
}

/// False, after saying so, when `nutcracker` cannot be run.
pub fn available() -> bool {
    super::program_available("nutcracker", "nutcracker")
}

/// True when a RESP PING on `port` gets `+PONG` (nutcracker closes the
/// connection on an inline command, and answers PING itself).
fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let mut reply = [0u8; 7];
    stream.write_all(&encode(&["PING"])).is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

impl Nutcracker {
    /// A proxy for the shards on `ports`, named `shard1`, `shard2`, ... so
    /// that keys go to the same shard whatever the ports are (ketama over
    /// the names, `{...}` hash tags).
    pub fn start(ports: &[u16]) -> Nutcracker {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let mut conf = format!(
                "pool:\n  listen: 127.0.0.1:{port}\n  hash: fnv1a_64\n  hash_tag: \"{{}}\"\n  distribution: ketama\n  redis: true\n  auto_eject_hosts: false\n  servers:\n"
            );
            for (i, shard) in ports.iter().enumerate() {
                conf.push_str(&format!("   - 127.0.0.1:{shard}:1 shard{}\n", i + 1));
            }
            let path = dir.path().join("nutcracker.yml");
            std::fs::write(&path, conf).expect("write nutcracker.yml");
            let stats_port = free_port().to_string();
            let child = Command::new("nutcracker")
                .arg("-c")
                .arg(&path)
                .args(["-s", &stats_port, "-a", "127.0.0.1"])
                .arg("-o")
                .arg(dir.path().join("nutcracker.log"))
                .arg("-p")
                .arg(dir.path().join("nutcracker.pid"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn nutcracker");
            if let Some(child) = serving_when(child, || answers_ping(port)) {
                return Nutcracker { port, dir, child };
            }
        }
        panic!("nutcracker did not start");
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }
}

impl Drop for Nutcracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
