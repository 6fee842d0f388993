//! Start-up helpers shared by the config and command-line tests: start the
//! server with a config file first on the command line, or run it to
//! completion and collect its exit status and output.

use super::{spawn_in, TestServer, BINARY};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a finished run ended.
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the server with `args` (and `stdin` as its standard input) until it
/// exits; panics if it is still running after 10 seconds.
pub fn run(args: &[&str], stdin: &str) -> Outcome {
    run_binary(BINARY, args, stdin)
}

/// [`run`] with the binary tests start (`REDDISH_TEST_SERVER` when set).
pub fn run_server(args: &[&str], stdin: &str) -> Outcome {
    run_binary(&super::server_binary(), args, stdin)
}

fn run_binary(binary: &str, args: &[&str], stdin: &str) -> Outcome {
    let mut child = Command::new(binary)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {binary}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{binary} {:?} did not exit", args);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("collect output");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Redis's report of a bad config line, as printed on stderr.
pub fn fatal_report(line: Option<(usize, &str)>, message: &str) -> String {
    let mut out = String::from("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n");
    if let Some((number, text)) = line {
        out.push_str(&format!(
            "Reading the configuration file, at line {}\n>>> '{}'\n",
            number, text
        ));
    }
    out.push_str(message);
    out.push('\n');
    out
}

/// Starts a server whose command line is `[conf] --port P --bind 127.0.0.1
/// --dir <dir> extra...`, in `dir` (kept by the returned server).
pub fn start_in(dir: tempfile::TempDir, conf: Option<&Path>, extra: &[&str]) -> TestServer {
    let leading: Vec<String> = conf.map(|c| c.display().to_string()).into_iter().collect();
    launch(dir, &leading, extra, "")
}

/// Starts a server whose command line is `leading... --port P --bind
/// 127.0.0.1 --dir <dir> extra...`, with `stdin` as its standard input.
pub fn launch(
    dir: tempfile::TempDir,
    leading: &[String],
    extra: &[&str],
    stdin: &str,
) -> TestServer {
    spawn_in(BINARY, dir, leading, extra, stdin)
}

/// A scratch directory holding a config file with `content`.
pub fn conf_dir(content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("redis.conf");
    std::fs::write(&path, content).expect("write config");
    (dir, path)
}

/// Starts the server under test ([`super::server_binary`]) in `dir`,
/// logging to `server.log` there, with debug commands on and no save
/// points (unless `extra` sets them), and waits until it has loaded.
pub fn start_logged(dir: tempfile::TempDir, extra: &[&str]) -> TestServer {
    start_logged_from(dir, None, extra)
}

/// [`start_logged`] with the config file `conf` first on the command line.
pub fn start_logged_from(
    dir: tempfile::TempDir,
    conf: Option<&Path>,
    extra: &[&str],
) -> TestServer {
    let leading: Vec<String> = conf.map(|c| c.display().to_string()).into_iter().collect();
    let log = dir.path().join("server.log").display().to_string();
    let mut args = vec!["--enable-debug-command", "yes", "--logfile", &log];
    if !extra.contains(&"--save") {
        args.extend_from_slice(&["--save", ""]);
    }
    args.extend_from_slice(extra);
    let srv = spawn_in(&super::server_binary(), dir, &leading, &args, "");
    assert!(
        super::wait_ready(&mut srv.raw(), Duration::from_secs(30)),
        "server still loading"
    );
    srv
}

/// Kills the server with SIGKILL and starts it again on the same
/// directory (see [`start_logged`]).
pub fn kill_and_restart(mut srv: TestServer, extra: &[&str]) -> TestServer {
    let dir = std::mem::replace(&mut srv.dir, tempfile::tempdir().expect("tempdir"));
    drop(srv);
    start_logged(dir, extra)
}

/// What the server started by [`start_logged`] in `dir` logged.
pub fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
}
