//! A small load generator for command sequences redis-benchmark cannot send:
//! its custom-command mode repeats one command (`-P 16 -- MULTI` is sixteen
//! MULTIs, not a transaction). Here a *unit* is a list of command lines sent
//! back to back, e.g. a whole MULTI/SET/INCR/EXEC transaction; each client
//! pipelines `--pipeline` units per round trip and waits for every reply.
//!
//! ```text
//! txbench --port 6379 --clients 50 --units 100000 --pipeline 16 --keyspace 100000 \
//!     -- "MULTI" "SET key:__rand_int__ xxx" "INCR counter:__rand_int__" "EXEC"
//! ```
//!
//! `__rand_int__` becomes a 12-digit number below `--keyspace` (as with
//! redis-benchmark's `-r`), drawn anew for each command. Prints one line:
//! `units/s commands/s seconds errors`, errors being error replies at the top
//! level (error replies inside an EXEC array are not counted).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

struct Options {
    port: u16,
    clients: usize,
    units: usize,
    pipeline: usize,
    keyspace: u64,
    unit: Vec<Vec<String>>,
}

fn usage() -> ! {
    eprintln!(
        "usage: txbench [--port N] [--clients N] [--units N] [--pipeline N] [--keyspace N] -- CMD..."
    );
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut o = Options {
        port: 6379,
        clients: 50,
        units: 100_000,
        pipeline: 1,
        keyspace: 100_000,
        unit: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            o.unit = args
                .map(|l| l.split(' ').map(str::to_string).collect())
                .collect();
            break;
        }
        let value = args.next().unwrap_or_else(|| usage());
        let number = value.parse::<u64>().unwrap_or_else(|_| usage());
        match arg.as_str() {
            "--port" => o.port = u16::try_from(number).unwrap_or_else(|_| usage()),
            "--clients" => o.clients = number as usize,
            "--units" => o.units = number as usize,
            "--pipeline" => o.pipeline = number as usize,
            "--keyspace" => o.keyspace = number,
            _ => usage(),
        }
    }
    if o.unit.is_empty() || o.clients == 0 || o.pipeline == 0 || o.keyspace == 0 {
        usage();
    }
    o
}

/// xorshift64*: enough randomness for key names.
struct Rng(u64);

impl Rng {
    /// A generator for client `i`, seeded through splitmix64 so clients
    /// draw different keys.
    fn for_client(i: usize) -> Rng {
        let mut z = (i as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Appends one command as a RESP array, expanding `__rand_int__`.
fn encode(out: &mut Vec<u8>, command: &[String], rng: &mut Rng, keyspace: u64) {
    out.extend_from_slice(format!("*{}\r\n", command.len()).as_bytes());
    for arg in command {
        let arg = if arg.contains("__rand_int__") {
            arg.replace("__rand_int__", &format!("{:012}", rng.below(keyspace)))
        } else {
            arg.clone()
        };
        out.extend_from_slice(format!("${}\r\n{}\r\n", arg.len(), arg).as_bytes());
    }
}

/// Counts complete top-level RESP replies in a byte stream fed in pieces.
#[derive(Default)]
struct ReplyCounter {
    pending: Vec<u8>,
    /// Elements still owed by the open aggregates, innermost last.
    open: Vec<u64>,
    replies: usize,
    errors: usize,
}

impl ReplyCounter {
    fn feed(&mut self, bytes: &[u8]) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(bytes);
        let mut pos = 0;
        while let Some(used) = self.one_item(&pending[pos..]) {
            pos += used;
        }
        pending.drain(..pos);
        self.pending = pending;
    }

    /// Consumes one item (a header or a simple reply) if it is complete.
    fn one_item(&mut self, buf: &[u8]) -> Option<usize> {
        let eol = buf.windows(2).position(|w| w == b"\r\n")?;
        let line = &buf[..eol];
        let number = || -> i64 {
            std::str::from_utf8(&line[1..])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        };
        let mut used = eol + 2;
        match line.first() {
            Some(b'$') if number() >= 0 => {
                used += number() as usize + 2;
                if buf.len() < used {
                    return None;
                }
                self.element_done(false);
            }
            Some(b'*') if number() > 0 => self.open.push(number() as u64),
            Some(b'-') => self.element_done(true),
            _ => self.element_done(false),
        }
        Some(used)
    }

    /// One element is complete: closes the aggregates it completes.
    fn element_done(&mut self, error: bool) {
        if self.open.is_empty() && error {
            self.errors += 1;
        }
        loop {
            match self.open.last_mut() {
                None => {
                    self.replies += 1;
                    return;
                }
                Some(left) => {
                    *left -= 1;
                    if *left > 0 {
                        return;
                    }
                    self.open.pop();
                }
            }
        }
    }
}

/// One client: `units` units, `pipeline` at a time. Returns the error count.
fn run_client(o: &Options, units: usize, client: usize) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(("127.0.0.1", o.port))?;
    stream.set_nodelay(true)?;
    let mut rng = Rng::for_client(client);
    let mut counter = ReplyCounter::default();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = 0;
    while done < units {
        let batch = o.pipeline.min(units - done);
        out.clear();
        for _ in 0..batch {
            for command in &o.unit {
                encode(&mut out, command, &mut rng, o.keyspace);
            }
        }
        stream.write_all(&out)?;
        let expected = counter.replies + batch * o.unit.len();
        while counter.replies < expected {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            counter.feed(&buf[..n]);
        }
        done += batch;
    }
    Ok(counter.errors)
}

fn main() {
    let o = parse_options();
    let start = Instant::now();
    let errors: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..o.clients)
            .map(|i| {
                let share = o.units / o.clients + usize::from(i < o.units % o.clients);
                let o = &o;
                s.spawn(move || run_client(o, share, i))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(Ok(errors)) => errors,
                Ok(Err(e)) => {
                    eprintln!("txbench: client failed: {e}");
                    std::process::exit(1);
                }
                Err(_) => std::process::exit(1),
            })
            .sum()
    });
    let seconds = start.elapsed().as_secs_f64();
    let units = o.units as f64;
    println!(
        "{:.0} {:.0} {:.3} {}",
        units / seconds,
        units * o.unit.len() as f64 / seconds,
        seconds,
        errors
    );
}
