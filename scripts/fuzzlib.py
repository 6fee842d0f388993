"""Shared code of the reddish fuzzers (scripts/fuzz-*.py).

Python 3 standard library only. What is here:

- command-line options every fuzzer has (`common_args`) and the output
  folder for findings (`Findings`: counts what was tried, saves one
  reproducer folder per finding, prints the summary);
- `Server`: starts a server binary (reddish or real Redis) on a port in a
  scratch folder, waits for PING, stops it, reads its log and its
  stdout/stderr for panics;
- RESP: `encode` a command, `Parser` for RESP2/RESP3 replies, `Conn` a
  blocking connection with timeouts;
- `crc64` (Redis's CRC-64 Jones, reflected, as `crc64()` in Redis) and the
  DUMP payload trailer;
- RDB value layout: `walk_value` lists the fields of a serialized value
  (lengths, strings, blobs) so mutators can aim at them; LZF
  decompression; listpack and ziplist element tables and builders;
- `DATASET`: commands that build keys of every type and encoding, shared
  by the RESTORE and RDB fuzzers; `check_key` reads a key back with
  type-appropriate commands and reports inconsistencies.
"""

import argparse
import atexit
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import Counter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SERVER = os.path.join(REPO, "target", "release", "reddish-server")

# ---------------------------------------------------------------------------
# Options and findings


def run_main(doc, default_count, default_port, fuzzer, replay, extra=None):
    """Parses the options (the shared ones, --redis/--no-redis, and those
    `extra` adds) and runs `replay(args)` or `fuzzer(args).run()`."""
    p = common_args(doc, default_count, default_port)
    p.add_argument("--redis", default=None, help="real redis-server to use too (default: from PATH)")
    p.add_argument("--no-redis", action="store_true", help="do not start real Redis")
    if extra:
        extra(p)
    args = p.parse_args()
    sys.exit(replay(args) if args.replay else fuzzer(args).run())


def common_args(doc, default_count, default_port):
    """An argument parser with the options every fuzzer shares."""
    p = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0],
        epilog="See the module doc string (head of the script) for details.",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    p.add_argument("--count", type=int, default=default_count, help="inputs to try (default %(default)s)")
    p.add_argument("--server", default=DEFAULT_SERVER, help="server binary (default %(default)s)")
    p.add_argument("--port", type=int, default=default_port, help="TCP port of the server under test (default %(default)s)")
    p.add_argument("--out", default=None, help="folder for findings and scratch files (default /tmp/reddish-fuzz-NAME-SEED)")
    p.add_argument("--replay", default=None, metavar="FILE", help="replay one saved reproducer instead of fuzzing")
    p.add_argument("--max-saved", type=int, default=5, help="reproducers saved per kind of finding (default %(default)s)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every finding as it happens")
    return p


def setup(args, name):
    """Fills in the seed and the output folder; returns a seeded Random."""
    if args.seed is None:
        args.seed = int(time.time() * 1000) % 1000000007
    if args.out is None:
        args.out = "/tmp/reddish-fuzz-%s-%d" % (name, args.seed)
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(args.server):
        sys.exit("no server binary at %s (cargo build --release first, or --server PATH)" % args.server)
    print("%s: seed %d, count %d, server %s, port %d, out %s"
          % (name, args.seed, args.count, args.server, args.port, args.out), flush=True)
    return random.Random(args.seed)


class Findings:
    """What a fuzzer tried (per category) and what it found, with a
    reproducer folder saved for each finding (up to `max_saved` per kind)."""

    def __init__(self, out, max_saved=5, verbose=False):
        self.out = out
        self.max_saved = max_saved
        self.verbose = verbose
        self.tried = Counter()
        self.found = Counter()
        self.saved = []  # (kind, summary, folder)
        self.inputs = 0
        self.started = time.time()

    def count(self, category, n=1):
        self.tried[category] += n

    def add(self, kind, summary, files):
        """Records a finding; `files` maps file names to bytes or text (or
        a JSON-able object for names ending in .json)."""
        self.found[kind] += 1
        folder = None
        if self.found[kind] <= self.max_saved:
            folder = os.path.join(self.out, "finding-%03d-%s" % (len(self.saved) + 1, kind))
            os.makedirs(folder, exist_ok=True)
            for name, data in files.items():
                path = os.path.join(folder, name)
                if name.endswith(".json") and not isinstance(data, (bytes, str)):
                    data = json.dumps(data, indent=1)
                mode = "wb" if isinstance(data, bytes) else "w"
                with open(path, mode) as f:
                    f.write(data)
            with open(os.path.join(folder, "SUMMARY.txt"), "w") as f:
                f.write(kind + ": " + summary + "\n")
            self.saved.append((kind, summary, folder))
        if self.verbose or folder:
            print("  FINDING %s: %s%s" % (kind, summary.splitlines()[0] if summary else "",
                                          " -> " + folder if folder else ""), flush=True)

    def report(self, extra=None):
        """Prints the summary; returns the process exit code (1 when
        anything was found)."""
        elapsed = time.time() - self.started
        print("\n== tried: %d inputs in %.1f s (%.0f/s); per category:"
              % (self.inputs, elapsed, self.inputs / max(elapsed, 0.001)))
        for cat, n in sorted(self.tried.items()):
            print("   %-34s %d" % (cat, n))
        if extra:
            for line in extra:
                print("   " + line)
        print("== found: %d" % sum(self.found.values()))
        for kind, n in sorted(self.found.items()):
            print("   %-34s %d" % (kind, n))
        for kind, summary, folder in self.saved:
            print("   %s: %s\n      %s" % (kind, summary.splitlines()[0] if summary else "", folder))
        summary = {"inputs": self.inputs, "tried": dict(self.tried), "found": dict(self.found), "seconds": round(elapsed, 1),
                   "saved": [{"kind": k, "summary": s, "folder": f} for k, s, f in self.saved]}
        with open(os.path.join(self.out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
        sys.stdout.flush()
        return 1 if self.found else 0


# ---------------------------------------------------------------------------
# CRC-64 (Jones polynomial, reflected, no final xor: Redis's crc64)

def _crc_table():
    poly = 0x95AC9329AC4BC9B5  # reflected 0xad93d23594c935a9
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc64(data, crc=0):
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA


def dump_trailer(body, version=10):
    """A DUMP payload: the serialized value, the RDB version (2 bytes LE),
    and the CRC-64 of both (8 bytes LE)."""
    head = bytes(body) + struct.pack("<H", version)
    return head + struct.pack("<Q", crc64(head))


def split_payload(payload):
    """(body, version) of a DUMP payload (trailer not checked)."""
    return payload[:-10], struct.unpack("<H", payload[-10:-8])[0]


def rdb_with_crc(data, how):
    """An RDB file image whose last 8 bytes are the checksum: `keep` leaves
    them, `fix` recomputes them, `zero` writes zeros (checksum disabled)."""
    if how == "keep" or len(data) < 9:
        return data
    body = data[:-8]
    crc = crc64(body) if how == "fix" else 0
    return body + struct.pack("<Q", crc)


# ---------------------------------------------------------------------------
# RESP

def to_bytes(a):
    if isinstance(a, bytes):
        return a
    if isinstance(a, bytearray):
        return bytes(a)
    return str(a).encode()


def encode(args):
    """One command as a RESP multibulk."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = to_bytes(a)
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def encode_inline(args):
    """One command as an inline line, quoting arguments that need it."""
    parts = []
    for a in args:
        a = to_bytes(a)
        if a and all(33 <= c < 127 and c not in b"\"'\\" for c in a):
            parts.append(a)
        else:
            q = b"".join(b"\\x%02x" % c if not (32 <= c < 127) or c in b"\"\\" else bytes([c]) for c in a)
            parts.append(b'"' + q + b'"')
    return b" ".join(parts) + b"\r\n"


class Err(str):
    """An error reply."""


class Push(list):
    """A RESP3 push message (not a reply to a command)."""


class ProtocolViolation(Exception):
    """The server sent something that is not RESP."""


NEED_MORE = object()


class Parser:
    """Incremental RESP2/RESP3 reply parser."""

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data):
        if self.pos > 65536:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def _line(self, pos):
        end = self.buf.find(b"\r\n", pos)
        if end < 0:
            return None, pos
        return bytes(self.buf[pos:end]), end + 2

    def _parse(self, pos):
        if pos >= len(self.buf):
            return NEED_MORE, pos
        t = self.buf[pos:pos + 1]
        line, nxt = self._line(pos + 1)
        if line is None:
            return NEED_MORE, pos
        if t == b"+":
            return line, nxt
        if t == b"-":
            return Err(line.decode("latin-1")), nxt
        if t == b":":
            return int(line), nxt
        if t == b",":
            return float(line), nxt
        if t == b"(":
            return int(line), nxt
        if t == b"#":
            return line == b"t", nxt
        if t == b"_":
            return None, nxt
        if t in (b"$", b"=", b"!"):
            n = int(line)
            if n < 0:
                return None, nxt
            if len(self.buf) < nxt + n + 2:
                return NEED_MORE, pos
            data = bytes(self.buf[nxt:nxt + n])
            if self.buf[nxt + n:nxt + n + 2] != b"\r\n":
                raise ProtocolViolation("bulk not followed by CRLF")
            if t == b"!":
                return Err(data.decode("latin-1")), nxt + n + 2
            return data, nxt + n + 2
        if t in (b"*", b"~", b">", b"%", b"|"):
            n = int(line)
            if n < 0:
                return None, nxt
            if t in (b"%", b"|"):
                n *= 2
            items = []
            p = nxt
            for _ in range(n):
                item, p = self._parse(p)
                if item is NEED_MORE:
                    return NEED_MORE, pos
                items.append(item)
            if t == b"|":
                # An attribute precedes the real reply.
                return self._parse(p)
            if t == b">":
                return Push(items), p
            return items, p
        raise ProtocolViolation("unknown reply type %r at %r" % (t, bytes(self.buf[pos:pos + 40])))

    def pop(self):
        """The next complete frame, or NEED_MORE."""
        frame, nxt = self._parse(self.pos)
        if frame is not NEED_MORE:
            self.pos = nxt
        return frame


class Closed(Exception):
    """The server closed the connection."""


class Timeout(Exception):
    """No complete reply in time."""


class Conn:
    """A blocking client connection with a reply parser."""

    def __init__(self, port, timeout=10.0, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.parser = Parser()
        self.local_port = self.sock.getsockname()[1]
        self.closed = False

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.closed = True
            raise Closed(str(e))

    def read_reply(self, timeout=None, skip_push=True):
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while True:
            frame = self.parser.pop()
            if frame is not NEED_MORE:
                if skip_push and isinstance(frame, Push):
                    continue
                return frame
            left = deadline - time.time()
            if left <= 0:
                raise Timeout()
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                raise Timeout()
            except OSError as e:
                self.closed = True
                raise Closed(str(e))
            if not data:
                self.closed = True
                raise Closed("EOF")
            self.parser.feed(data)

    def call(self, *args, timeout=None):
        self.send(encode(args))
        return self.read_reply(timeout)

    def pipeline(self, commands, timeout=None):
        self.send(b"".join(encode(c) for c in commands))
        return [self.read_reply(timeout) for _ in commands]

    def close(self, abrupt=False):
        if self.closed:
            return
        self.closed = True
        try:
            if abrupt:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass


def text(reply):
    if isinstance(reply, bytes):
        return reply.decode("latin-1")
    return str(reply)


# ---------------------------------------------------------------------------
# Server processes

# Every server started, killed when the fuzzer exits however it exits.
_STARTED = []


@atexit.register
def _kill_started():
    for srv in _STARTED:
        srv.kill()


# SIGTERM ends the fuzzer through SystemExit, so the servers go too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


PANIC_MARKERS = ("panicked at", "stack backtrace", "RUST_BACKTRACE", "fatal runtime error",
                 "=== REDIS BUG REPORT", "Assertion failed", "crashed by signal",
                 "memory allocation of", "thread 'main' has overflowed")


class Server:
    """A server process in its own scratch folder, logging to `log` there
    (stdout and stderr go to `out`)."""

    def __init__(self, binary, port, folder, extra=(), dbfilename="dump.rdb"):
        self.binary = os.path.abspath(binary)
        self.port = port
        self.folder = folder
        self.extra = list(extra)
        self.dbfilename = dbfilename
        self.proc = None
        os.makedirs(folder, exist_ok=True)
        self.log_path = os.path.join(folder, "log")
        self.out_path = os.path.join(folder, "out")

    def argv(self):
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.folder, "--dbfilename", self.dbfilename,
                "--logfile", self.log_path, "--save", "", "--appendonly", "no",
                "--daemonize", "no"] + self.extra

    def launch(self):
        """Starts the process without waiting for it; refuses to when
        something already listens on the port (a leftover server would
        answer in its place)."""
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            busy = True
        except OSError:
            busy = False
        if busy:
            raise RuntimeError("port %d is already in use" % self.port)
        for path in (self.log_path, self.out_path):
            if os.path.exists(path):
                os.unlink(path)
        out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(self.argv(), cwd=self.folder, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        _STARTED.append(self)

    def wait_ready(self, timeout=10.0):
        """'ready' once PING answers +PONG, 'exited' if the process ended,
        'timeout' otherwise."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return "exited"
            try:
                c = Conn(self.port, timeout=1.0)
                try:
                    r = c.call("PING")
                finally:
                    c.close()
                if r == b"PONG" and self.proc.poll() is None:
                    return "ready"
            except (OSError, Closed, Timeout, ProtocolViolation):
                pass
            time.sleep(0.01)
        return "exited" if self.proc.poll() is not None else "timeout"

    def start(self, timeout=10.0):
        self.launch()
        state = self.wait_ready(timeout)
        if state != "ready":
            raise RuntimeError("server did not start (%s): %s" % (state, self.tail()))
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def ping(self, timeout=5.0):
        """True when a new connection gets +PONG in time."""
        try:
            c = Conn(self.port, timeout=timeout)
            try:
                return c.call("PING") == b"PONG"
            finally:
                c.close()
        except (OSError, Closed, Timeout, ProtocolViolation):
            return False

    def stop(self, timeout=10.0):
        """Stops the server (SHUTDOWN NOSAVE, then signals); returns the
        exit status (negative: killed by that signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                c = Conn(self.port, timeout=2.0)
                c.send(encode(["SHUTDOWN", "NOSAVE"]))
                try:
                    c.read_reply(2.0)
                except (Closed, Timeout, ProtocolViolation):
                    pass
                c.close()
            except (OSError, Closed):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()

    def output(self):
        """The log and the stdout/stderr text."""
        parts = []
        for path in (self.log_path, self.out_path):
            try:
                with open(path, "rb") as f:
                    parts.append(f.read().decode("latin-1"))
            except OSError:
                pass
        return "\n".join(parts)

    def panic_lines(self):
        return [line for line in self.output().splitlines() if any(m in line for m in PANIC_MARKERS)]

    def tail(self, n=20):
        return "\n".join(self.output().splitlines()[-n:])


def describe_exit(rc):
    if rc is None:
        return "running"
    if rc < 0:
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit code %d" % rc


def redis_binary():
    """Real redis-server, when installed."""
    return shutil.which("redis-server")


# ---------------------------------------------------------------------------
# RDB layout: lengths, strings, values

RDB_TYPE_NAMES = {
    0: "string", 1: "list", 2: "set", 3: "zset", 4: "hash", 5: "zset2", 6: "module", 7: "module2",
    9: "hash-zipmap", 10: "list-ziplist", 11: "set-intset", 12: "zset-ziplist", 13: "hash-ziplist",
    14: "list-quicklist", 15: "stream", 16: "hash-listpack", 17: "zset-listpack",
    18: "list-quicklist2", 19: "stream2", 20: "set-listpack", 21: "stream3",
}


class Truncated(Exception):
    pass


class Walker:
    """Walks serialized RDB values and records their fields as
    (offset, size, kind) with kind one of `len`, `str`, `blob`, `raw`."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos
        self.fields = []

    def take(self, n, kind="raw"):
        if self.pos + n > len(self.data):
            raise Truncated()
        start = self.pos
        self.pos += n
        self.fields.append((start, n, kind))
        return self.data[start:self.pos]

    def byte(self):
        return self.take(1)[0]

    def length(self, kind="num"):
        """(value, is_special_encoding); the field is recorded as `kind`
        (`count` for element counts, `num` for other numbers, `slen` for
        string lengths)."""
        start = self.pos
        if start >= len(self.data):
            raise Truncated()
        first = self.data[start]
        kind_bits = first >> 6
        if kind_bits == 0:
            n, v, enc = 1, first & 0x3F, False
        elif kind_bits == 1:
            if start + 2 > len(self.data):
                raise Truncated()
            n, v, enc = 2, ((first & 0x3F) << 8) | self.data[start + 1], False
        elif kind_bits == 3:
            n, v, enc = 1, first & 0x3F, True
        elif first == 0x80:
            if start + 5 > len(self.data):
                raise Truncated()
            n, v, enc = 5, struct.unpack(">I", self.data[start + 1:start + 5])[0], False
        elif first == 0x81:
            if start + 9 > len(self.data):
                raise Truncated()
            n, v, enc = 9, struct.unpack(">Q", self.data[start + 1:start + 9])[0], False
        else:
            raise Truncated()
        self.take(n, kind)
        return v, enc

    def count(self):
        return self.length("count")[0]

    def string(self):
        """The bytes of a string (LZF strings decompressed)."""
        v, enc = self.length("slen")
        if enc:
            if v in (0, 1, 2):
                raw = self.take(1 << v, "strint")
                return str(struct.unpack({0: "<b", 1: "<h", 2: "<i"}[v], raw)[0]).encode()
            if v == 3:
                clen, _ = self.length("slen")
                ulen, _ = self.length("slen")
                if clen > len(self.data):
                    raise Truncated()
                return lzf_decompress(self.take(clen, "lzf"), ulen)
            raise Truncated()
        if v > len(self.data):
            raise Truncated()
        return self.take(v, "str")

    def blob(self):
        """A string holding a compact encoding; its field is marked `blob`."""
        s = self.string()
        off, size, kind = self.fields[-1]
        if kind == "str":
            self.fields[-1] = (off, size, "blob")
        return s

    def value(self, t):
        """Walks a value of type `t`."""
        if t == 0:
            self.string()
        elif t in (1, 2):
            for _ in range(self.count()):
                self.string()
        elif t in (3, 5):
            for _ in range(self.count()):
                self.string()
                if t == 5:
                    self.take(8, "double")
                else:
                    k = self.byte()
                    if k < 253:
                        self.take(k, "score")
        elif t == 4:
            for _ in range(2 * self.count()):
                self.string()
        elif t in (9, 10, 11, 12, 13, 16, 17, 20):
            self.blob()
        elif t in (14, 18):
            for _ in range(self.count()):
                if t == 18:
                    self.length("container")
                self.blob()
        elif t in (15, 19, 21):
            for _ in range(self.count()):
                self.string()
                self.blob()
            for _ in range(3 if t == 15 else 8):
                self.length()
            for _ in range(self.count()):
                self.string()
                self.length()
                self.length()
                if t >= 19:
                    self.length()
                for _ in range(self.count()):
                    self.take(16, "id16")
                    self.take(8, "ms")
                    self.length()
                for _ in range(self.count()):
                    self.string()
                    self.take(8, "ms")
                    if t == 21:
                        self.take(8, "ms")
                    for _ in range(self.count()):
                        self.take(16, "id16")
        else:
            raise Truncated()


def walk_payload(body):
    """Fields of a DUMP body (type byte then value); partial on bad input."""
    w = Walker(body)
    try:
        w.value(w.take(1, "type")[0])
    except (Truncated, IndexError, KeyError, struct.error):
        pass
    return w.fields


RDB_OPCODES = {0xFF: "eof", 0xFE: "selectdb", 0xFD: "expire", 0xFC: "expire_ms", 0xFB: "resizedb",
               0xFA: "aux", 0xF9: "freq", 0xF8: "idle", 0xF7: "module_aux", 0xF5: "function2"}


def walk_rdb(data):
    """Fields of an RDB file image, plus the (start, end) of each item
    (aux field, key, opcode) for splicing; partial on bad input."""
    w = Walker(data, 9)
    items = []
    try:
        while w.pos < len(data):
            start = w.pos
            op = w.take(1, "type")[0]
            if op == 0xFF:
                items.append((start, w.pos, "eof"))
                break
            if op == 0xFE:
                w.length()
            elif op == 0xFD:
                w.take(4)
            elif op == 0xFC:
                w.take(8)
            elif op == 0xFB:
                w.length()
                w.length()
            elif op == 0xFA:
                w.string()
                w.string()
            elif op == 0xF9:
                w.take(1)
            elif op == 0xF8:
                w.length()
            elif op == 0xF5:
                w.string()
            else:
                w.string()
                w.value(op)
            items.append((start, w.pos, RDB_OPCODES.get(op, "key")))
    except (Truncated, IndexError, KeyError, struct.error):
        pass
    return w.fields, items


def encode_length(n, width=None):
    """An RDB length; `width` forces 1, 2, 5 or 9 bytes."""
    if width is None:
        width = 1 if n < 64 else 2 if n < 16384 else 5 if n < 1 << 32 else 9
    if width == 1 and n < 64:
        return bytes([n])
    if width == 2 and n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    if width == 5 and n < 1 << 32:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n & 0xFFFFFFFFFFFFFFFF)


def encode_string(s):
    return encode_length(len(s)) + s


def lzf_decompress(data, ulen):
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            run = ctrl + 1
            if i + run > n:
                raise Truncated()
            out += data[i:i + run]
            i += run
        else:
            length = ctrl >> 5
            if length == 7:
                if i >= n:
                    raise Truncated()
                length += data[i]
                i += 1
            if i >= n:
                raise Truncated()
            ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
            i += 1
            if ref < 0:
                raise Truncated()
            for k in range(length + 2):
                out.append(out[ref + k])
        if len(out) > ulen:
            raise Truncated()
    return bytes(out)


def uncompress_strings(body):
    """The DUMP body with every LZF string stored plainly (so that
    mutations reach the encodings inside)."""
    fields = walk_payload(body)
    out = bytearray()
    last = 0
    i = 0
    while i < len(fields):
        off, size, kind = fields[i]
        # An LZF string: len(0xC3) len(clen) len(ulen) lzf
        if kind == "slen" and body[off] == 0xC3 and i + 3 < len(fields) and fields[i + 3][2] == "lzf":
            loff, lsize, _ = fields[i + 3]
            ulen = Walker(body, fields[i + 2][0]).length()[0]
            try:
                plain = lzf_decompress(body[loff:loff + lsize], ulen)
            except (Truncated, IndexError):
                i += 1
                continue
            out += body[last:off] + encode_string(plain)
            last = loff + lsize
            i += 4
            continue
        i += 1
    out += body[last:]
    return bytes(out)


# ---------------------------------------------------------------------------
# Listpacks and ziplists

def lp_entries(lp):
    """(offset, size) of each element of a listpack, or None if it does not
    parse."""
    if len(lp) < 7 or struct.unpack("<I", lp[:4])[0] != len(lp):
        return None
    out = []
    p = 6
    while p < len(lp) and lp[p] != 0xFF:
        b = lp[p]
        if b < 0x80:
            n = 1
        elif b < 0xC0:
            n = 1 + (b & 0x3F)
        elif b < 0xE0:
            n = 2
        elif b < 0xF0:
            if p + 1 >= len(lp):
                return None
            n = 2 + (((b & 0x0F) << 8) | lp[p + 1])
        elif b == 0xF0:
            if p + 5 > len(lp):
                return None
            n = 5 + struct.unpack("<I", lp[p + 1:p + 5])[0]
        elif b in (0xF1, 0xF2, 0xF3, 0xF4):
            n = {0xF1: 3, 0xF2: 4, 0xF3: 5, 0xF4: 9}[b]
        else:
            return None
        back = 1 if n <= 127 else 2 if n < 16383 else 3 if n < 2097151 else 4 if n < 268435455 else 5
        out.append((p, n + back))
        p += n + back
    if p != len(lp) - 1:
        return None
    return out


def lp_values(lp):
    """The decoded elements of a listpack (bytes or int), or None."""
    entries = lp_entries(lp)
    if entries is None:
        return None
    out = []
    for o, _ in entries:
        b = lp[o]
        if b < 0x80:
            out.append(b)
        elif b < 0xC0:
            out.append(lp[o + 1:o + 1 + (b & 0x3F)])
        elif b < 0xE0:
            v = ((b & 0x1F) << 8) | lp[o + 1]
            out.append(v - (1 << 13) if v >= 1 << 12 else v)
        elif b < 0xF0:
            n = ((b & 0x0F) << 8) | lp[o + 1]
            out.append(lp[o + 2:o + 2 + n])
        elif b == 0xF0:
            n = struct.unpack("<I", lp[o + 1:o + 5])[0]
            out.append(lp[o + 5:o + 5 + n])
        else:
            size = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[b]
            out.append(int.from_bytes(lp[o + 1:o + 1 + size], "little", signed=True))
    return out


def zl_values(zl):
    """The decoded elements of a ziplist (bytes or int), or None."""
    try:
        if len(zl) < 11 or struct.unpack("<I", zl[:4])[0] != len(zl):
            return None
        p = 10
        out = []
        while zl[p] != 0xFF:
            p += 1 if zl[p] < 254 else 5
            e = zl[p]
            if e >> 6 == 0:
                n, p = e & 0x3F, p + 1
                out.append(zl[p:p + n])
            elif e >> 6 == 1:
                n, p = ((e & 0x3F) << 8) | zl[p + 1], p + 2
                out.append(zl[p:p + n])
            elif e >> 6 == 2:
                n, p = struct.unpack(">I", zl[p + 1:p + 5])[0], p + 5
                out.append(zl[p:p + n])
            else:
                fmt = {0xC0: "<h", 0xD0: "<i", 0xE0: "<q", 0xFE: "<b"}.get(e)
                if fmt:
                    n = struct.calcsize(fmt)
                    out.append(struct.unpack(fmt, zl[p + 1:p + 1 + n])[0])
                elif e == 0xF0:
                    n = 3
                    out.append(int.from_bytes(zl[p + 1:p + 4], "little", signed=True))
                else:
                    n = 0
                    out.append((e & 0x0F) - 1)
                p += 1
            p += n
        return out
    except (IndexError, struct.error):
        return None


def lp_encode_elem(v):
    """One listpack element (string or integer) with its back-length."""
    if isinstance(v, int):
        if 0 <= v < 128:
            enc = bytes([v])
        elif -4096 <= v < 4096:
            u = v & 0x1FFF
            enc = bytes([0xC0 | (u >> 8), u & 0xFF])
        elif -32768 <= v < 32768:
            enc = b"\xf1" + struct.pack("<h", v)
        elif -(1 << 23) <= v < 1 << 23:
            enc = b"\xf2" + struct.pack("<i", v)[:3]
        elif -(1 << 31) <= v < 1 << 31:
            enc = b"\xf3" + struct.pack("<i", v)
        else:
            enc = b"\xf4" + struct.pack("<q", v)
    else:
        s = to_bytes(v)
        if len(s) < 64:
            enc = bytes([0x80 | len(s)]) + s
        elif len(s) < 4096:
            enc = bytes([0xE0 | (len(s) >> 8), len(s) & 0xFF]) + s
        else:
            enc = b"\xf0" + struct.pack("<I", len(s)) + s
    n = len(enc)
    groups = []
    while True:
        groups.append(n & 0x7F)
        n >>= 7
        if not n:
            break
    groups.reverse()
    back = bytes([groups[0]] + [g | 0x80 for g in groups[1:]])
    return enc + back


def lp_build(raw_elems, count=None):
    """A listpack from already encoded elements."""
    body = b"".join(raw_elems)
    total = 6 + len(body) + 1
    n = len(raw_elems) if count is None else count
    return struct.pack("<IH", total, min(n, 0xFFFF)) + body + b"\xff"


def zl_build(values):
    """A ziplist (the pre-7.0 compact encoding) of strings and integers."""
    entries = []
    prev = 0
    for v in values:
        prevlen = bytes([prev]) if prev < 254 else b"\xfe" + struct.pack("<I", prev)
        if isinstance(v, int):
            if 0 <= v <= 12:
                enc = bytes([0xF1 + v])
            elif -128 <= v < 128:
                enc = b"\xfe" + struct.pack("<b", v)
            elif -32768 <= v < 32768:
                enc = b"\xc0" + struct.pack("<h", v)
            elif -(1 << 31) <= v < 1 << 31:
                enc = b"\xd0" + struct.pack("<i", v)
            else:
                enc = b"\xe0" + struct.pack("<q", v)
        else:
            s = to_bytes(v)
            if len(s) < 64:
                enc = bytes([len(s)]) + s
            elif len(s) < 16384:
                enc = bytes([0x40 | (len(s) >> 8), len(s) & 0xFF]) + s
            else:
                enc = b"\x80" + struct.pack(">I", len(s)) + s
        e = prevlen + enc
        entries.append(e)
        prev = len(e)
    body = b"".join(entries)
    tail = 10 + len(body) - (len(entries[-1]) if entries else 0)
    return struct.pack("<IIH", 10 + len(body) + 1, tail, min(len(values), 0xFFFF)) + body + b"\xff"


def legacy_payloads():
    """DUMP payloads in encodings Redis 7.0 reads but no longer writes
    (ziplists, zipmap, quicklist v1), for the decoders DUMP never reaches."""
    out = []
    zl = zl_build([b"a", 1, b"bb", -300, b"x" * 70, 1 << 40])
    out.append(("legacy-list-ziplist", dump_trailer(b"\x0a" + encode_string(zl), 9)))
    out.append(("legacy-quicklist-v1", dump_trailer(b"\x0e" + encode_length(2) + encode_string(zl)
                                                    + encode_string(zl_build([b"q", 7])), 9)))
    zh = zl_build([b"f1", b"v1", b"f2", 22, b"long", b"y" * 80])
    out.append(("legacy-hash-ziplist", dump_trailer(b"\x0d" + encode_string(zh), 9)))
    zz = zl_build([b"m1", b"1.5", b"m2", 2, b"m3", b"inf"])
    out.append(("legacy-zset-ziplist", dump_trailer(b"\x0c" + encode_string(zz), 9)))
    zipmap = b"\x02" + b"\x01k" + b"\x01\x00v" + b"\x02kk" + b"\x02\x00vv" + b"\xff"
    out.append(("legacy-hash-zipmap", dump_trailer(b"\x09" + encode_string(zipmap), 9)))
    lp = lp_build([lp_encode_elem(b"a"), lp_encode_elem(5), lp_encode_elem(b"zz")])
    out.append(("redis72-set-listpack", dump_trailer(b"\x14" + encode_string(lp), 11)))
    plain = b"\x01" + encode_length(3) + encode_string(b"x") + encode_string(b"y") + encode_string(b"12")
    out.append(("legacy-plain-list", dump_trailer(plain, 9)))
    zset1 = b"\x03" + encode_length(2) + encode_string(b"a") + b"\x031.5" + encode_string(b"b") + b"\xfe"
    out.append(("legacy-plain-zset-text-scores", dump_trailer(zset1, 9)))
    return out


# ---------------------------------------------------------------------------
# Datasets: keys of every type and encoding

# Each entry: (key, commands). Commands run in order on a fresh server;
# CONFIG SET lines choose the encoding, and the thresholds are put back
# by RESET_CONFIG afterwards.
RESET_CONFIG = [
    ["CONFIG", "SET", "list-max-listpack-size", "-2"],
    ["CONFIG", "SET", "list-compress-depth", "0"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
    ["CONFIG", "SET", "set-max-intset-entries", "512"],
    ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
    ["CONFIG", "SET", "stream-node-max-entries", "100"],
]


def _stream_commands(key, n, node_entries, groups, deletes, claim):
    cmds = [["CONFIG", "SET", "stream-node-max-entries", str(node_entries)]]
    for i in range(1, n + 1):
        fields = ["f", str(i), "name", "item%d" % i] if i % 3 else ["other", "x" * (i % 7), "n", str(-i * 1000)]
        cmds.append(["XADD", key, "%d-%d" % (1000 + i // 2, i % 2)] + fields)
    for d in deletes:
        cmds.append(["XDEL", key, "%d-%d" % (1000 + d // 2, d % 2)])
    for g in range(groups):
        name = "g%d" % g
        cmds.append(["XGROUP", "CREATE", key, name, "0"])
        cmds.append(["XREADGROUP", "GROUP", name, "alice", "COUNT", "3", "STREAMS", key, ">"])
        cmds.append(["XREADGROUP", "GROUP", name, "bob", "COUNT", "2", "STREAMS", key, ">"])
        cmds.append(["XGROUP", "CREATECONSUMER", key, name, "carol"])
        if claim:
            cmds.append(["XACK", key, name, "1000-1"])
            cmds.append(["XCLAIM", key, name, "carol", "0", "1001-0"])
    cmds.append(["CONFIG", "SET", "stream-node-max-entries", "100"])
    return cmds


def dataset():
    """(key, commands) building one key of each type and encoding."""
    big = "v" * 100
    ds = [
        ("str:int", [["SET", "str:int", "123456"]]),
        ("str:negint", [["SET", "str:negint", "-9223372036854775808"]]),
        ("str:embstr", [["SET", "str:embstr", "hello world"]]),
        ("str:raw", [["SET", "str:raw", "r" * 60 + "0123456789abcdef" * 4]]),
        ("str:compressible", [["SET", "str:compressible", "a" * 300]]),
        ("str:binary", [["SET", "str:binary", bytes(range(256))]]),
        ("str:empty", [["SET", "str:empty", ""]]),
        ("list:listpack", [["RPUSH", "list:listpack", "a", "1", "-2", "300000", "x" * 70, "", "9223372036854775807"]]),
        ("list:quicklist", [["CONFIG", "SET", "list-max-listpack-size", "4"],
                            ["RPUSH", "list:quicklist"] + ["e%d" % i for i in range(20)] + [str(i) for i in range(10)]]),
        ("list:compressed", [["CONFIG", "SET", "list-max-listpack-size", "8"],
                             ["CONFIG", "SET", "list-compress-depth", "1"],
                             ["RPUSH", "list:compressed"] + ["zzzzzzzzzzzzzzzzzzzzzzzz%d" % i for i in range(40)]]),
        ("list:big", [["RPUSH", "list:big"] + [big + str(i) for i in range(200)]]),
        ("hash:listpack", [["HSET", "hash:listpack", "f1", "v1", "f2", "22", "f3", "-7", "f4", "x" * 50]]),
        ("hash:hashtable", [["CONFIG", "SET", "hash-max-listpack-entries", "4"],
                            ["HSET", "hash:hashtable"] + sum([["field%d" % i, "val%d" % i] for i in range(12)], [])]),
        ("hash:bigvalue", [["HSET", "hash:bigvalue", "f", "y" * 100, "g", "1"]]),
        ("set:intset", [["SADD", "set:intset", "1", "2", "3", "-100", "70000", "5000000000"]]),
        ("set:hashtable", [["SADD", "set:hashtable", "a", "b", "c", "1", "zz" * 30]]),
        ("set:bigints", [["CONFIG", "SET", "set-max-intset-entries", "4"],
                         ["SADD", "set:bigints"] + [str(i * 7) for i in range(10)]]),
        ("zset:listpack", [["ZADD", "zset:listpack", "1", "a", "2.5", "b", "-3", "c", "inf", "d", "-inf", "e", "7", "x" * 30]]),
        ("zset:skiplist", [["CONFIG", "SET", "zset-max-listpack-entries", "4"],
                           ["ZADD", "zset:skiplist"] + sum([[str(i * 1.5), "m%d" % i] for i in range(15)], [])]),
        ("zset:bigmember", [["ZADD", "zset:bigmember", "1", "z" * 100, "2", "q"]]),
        ("stream:plain", _stream_commands("stream:plain", 6, 100, 0, [], False)),
        ("stream:groups", _stream_commands("stream:groups", 12, 4, 2, [3, 7], True)),
        ("stream:deleted", _stream_commands("stream:deleted", 9, 3, 1, [1, 2, 3, 4], False)),
        ("stream:empty", [["XADD", "stream:empty", "5-1", "a", "b"], ["XDEL", "stream:empty", "5-1"],
                          ["XGROUP", "CREATE", "stream:empty", "g", "$"],
                          ["XGROUP", "CREATECONSUMER", "stream:empty", "g", "c"]]),
        ("stream:trimmed", _stream_commands("stream:trimmed", 10, 2, 1, [], False)
         + [["XTRIM", "stream:trimmed", "MAXLEN", "4"], ["XSETID", "stream:trimmed", "9999-1",
                                                         "ENTRIESADDED", "50", "MAXDELETEDID", "1002-0"]]),
    ]
    return ds


def build_dataset(conn, keys=None):
    """Runs the dataset commands (or those of `keys`) on `conn`; returns the
    key names built."""
    built = []
    for key, cmds in dataset():
        if keys is not None and key not in keys:
            continue
        for c in cmds:
            r = conn.call(*c)
            if isinstance(r, Err) and not c[0] == "CONFIG":
                raise RuntimeError("building %s: %r -> %s" % (key, c, r))
        for c in RESET_CONFIG:
            conn.call(*c)
        built.append(key)
    return built


# ---------------------------------------------------------------------------
# Reading a key back

class Misbehaviour(Exception):
    """A key answers inconsistently."""


def normalize(message):
    """A message without its numbers and quoted values, to compare kinds."""
    import re
    return re.sub(r"\([^)]*\)|'[^']*'|b'[^']*'|\d+", "#", message)[:80]


def _pairs(flat):
    return list(zip(flat[0::2], flat[1::2]))


def scan_all(conn, cmd, key, limit=100000):
    """Everything an xSCAN iteration returns (None if a reply was bad)."""
    cursor = b"0"
    items = []
    for _ in range(limit):
        r = conn.call(cmd, key, cursor, "COUNT", "7")
        if not isinstance(r, list) or len(r) != 2 or not isinstance(r[1], list):
            raise Misbehaviour("%s %s returned %r" % (cmd, key, r))
        cursor = r[0]
        items.extend(r[1])
        if cursor == b"0":
            return items
    raise Misbehaviour("%s did not finish" % cmd)


def expect_no_error(cmd, reply):
    if isinstance(reply, Err):
        raise Misbehaviour("%s -> %s" % (" ".join(text(a) for a in cmd), reply))
    return reply


def check_key(conn, key, rng=None, write=True):
    """Reads `key` with type-appropriate commands, checks the answers agree
    with each other (counts, SCAN, ordering, no duplicates), then (with
    `write`) changes it a little. Raises Misbehaviour; returns the
    commands sent, for the record."""
    rng = rng or random.Random(0)
    sent = []

    def call(*c, ok=True):
        sent.append(list(c))
        r = conn.call(*c)
        return expect_no_error(c, r) if ok else r

    t = call("TYPE", key)
    call("OBJECT", "ENCODING", key)
    call("DEBUG", "DIGEST-VALUE", key)
    call("DEBUG", "OBJECT", key)
    call("MEMORY", "USAGE", key)
    if t == b"string":
        v = call("GET", key)
        if call("STRLEN", key) != len(v):
            raise Misbehaviour("STRLEN differs from GET length")
        call("GETRANGE", key, "1", "-2")
        call("BITCOUNT", key)
        if write:
            call("APPEND", key, "xyz")
            call("SETRANGE", key, "2", "ab")
            call("INCR", key, ok=False)
    elif t == b"list":
        items = call("LRANGE", key, "0", "-1")
        n = call("LLEN", key)
        if n != len(items):
            raise Misbehaviour("LLEN %d but LRANGE gives %d" % (n, len(items)))
        for i in (0, -1, n // 2):
            if n and call("LINDEX", key, str(i)) != items[i]:
                raise Misbehaviour("LINDEX %d differs from LRANGE" % i)
        if items:
            call("LPOS", key, items[-1])
        call("LRANGE", key, "-3", "2")
        if write:
            call("LPUSH", key, "new")
            call("RPUSH", key, "x" * rng.choice((1, 70, 300)))
            call("LINSERT", key, "BEFORE", items[0] if items else "a", "ins")
            call("LSET", key, "1", "set")
            call("LREM", key, "0", "new")
            call("RPOP", key)
            call("LTRIM", key, "0", "-2")
            call("LRANGE", key, "0", "-1")
    elif t == b"hash":
        flat = call("HGETALL", key)
        pairs = _pairs(flat)
        fields = [f for f, _ in pairs]
        if len(set(fields)) != len(fields):
            raise Misbehaviour("HGETALL has duplicate fields")
        if call("HLEN", key) != len(pairs):
            raise Misbehaviour("HLEN differs from HGETALL")
        scanned = _pairs(scan_all(conn, "HSCAN", key))
        if set(scanned) != set(pairs):
            raise Misbehaviour("HSCAN differs from HGETALL")
        for f, v in pairs[:3]:
            if call("HGET", key, f) != v:
                raise Misbehaviour("HGET differs from HGETALL")
            call("HSTRLEN", key, f)
        call("HRANDFIELD", key, "-5", "WITHVALUES")
        call("HKEYS", key)
        call("HVALS", key)
        if write:
            call("HSET", key, "newfield", "x" * rng.choice((1, 70)))
            call("HINCRBY", key, "counter", "5")
            if fields:
                call("HDEL", key, fields[0])
            call("HGETALL", key)
    elif t == b"set":
        members = call("SMEMBERS", key)
        if len(set(members)) != len(members):
            raise Misbehaviour("SMEMBERS has duplicates")
        if call("SCARD", key) != len(members):
            raise Misbehaviour("SCARD differs from SMEMBERS")
        if set(scan_all(conn, "SSCAN", key)) != set(members):
            raise Misbehaviour("SSCAN differs from SMEMBERS")
        for m in members[:3]:
            if call("SISMEMBER", key, m) != 1:
                raise Misbehaviour("SISMEMBER says a member is missing")
        call("SRANDMEMBER", key, "-5")
        call("SINTER", key, key)
        if write:
            call("SADD", key, "12345", "member")
            if members:
                call("SREM", key, members[0])
            call("SPOP", key)
            call("SMEMBERS", key)
    elif t == b"zset":
        flat = call("ZRANGE", key, "0", "-1", "WITHSCORES")
        pairs = _pairs(flat)
        members = [m for m, _ in pairs]
        if len(set(members)) != len(members):
            raise Misbehaviour("ZRANGE has duplicate members")
        scores = [float(s) for _, s in pairs]
        if any(b < a for a, b in zip(scores, scores[1:])):
            raise Misbehaviour("ZRANGE scores are out of order")
        if call("ZCARD", key) != len(pairs):
            raise Misbehaviour("ZCARD differs from ZRANGE")
        if set(m for m, _ in _pairs(scan_all(conn, "ZSCAN", key))) != set(members):
            raise Misbehaviour("ZSCAN differs from ZRANGE")
        for i, m in enumerate(members[:3]):
            if call("ZRANK", key, m) != i:
                raise Misbehaviour("ZRANK of %r is not %d" % (m, i))
            call("ZSCORE", key, m)
        call("ZRANGEBYSCORE", key, "-inf", "+inf", "LIMIT", "1", "3")
        call("ZRANGEBYLEX", key, "-", "+")
        call("ZREVRANGE", key, "0", "2")
        call("ZRANDMEMBER", key, "-4", "WITHSCORES")
        call("ZCOUNT", key, "0", "10")
        if write:
            call("ZADD", key, "3.25", "newmember")
            call("ZINCRBY", key, "1", members[0] if members else "a")
            call("ZPOPMIN", key)
            call("ZREMRANGEBYRANK", key, "0", "0")
            call("ZRANGE", key, "0", "-1", "WITHSCORES")
    elif t == b"stream":
        entries = call("XRANGE", key, "-", "+")
        ids = [e[0] for e in entries]

        def idkey(i):
            a, b = i.split(b"-")
            return int(a), int(b)
        if any(idkey(b) <= idkey(a) for a, b in zip(ids, ids[1:])):
            raise Misbehaviour("XRANGE IDs are not increasing")
        if call("XLEN", key) != len(entries):
            raise Misbehaviour("XLEN differs from XRANGE")
        rev = call("XREVRANGE", key, "+", "-")
        if [e[0] for e in rev] != ids[::-1]:
            raise Misbehaviour("XREVRANGE differs from XRANGE")
        call("XINFO", "STREAM", key)
        call("XINFO", "STREAM", key, "FULL")
        groups = call("XINFO", "GROUPS", key)
        for g in groups[:3]:
            info = dict(_pairs(g))
            name = info.get(b"name", b"")
            consumers = call("XINFO", "CONSUMERS", key, name)
            summary = call("XPENDING", key, name)
            detail = call("XPENDING", key, name, "-", "+", "100")
            if isinstance(summary, list) and summary and summary[0] != len(detail) and len(detail) < 100:
                raise Misbehaviour("XPENDING summary count %r but %d entries" % (summary[0], len(detail)))
            for c in consumers[:2]:
                cname = dict(_pairs(c)).get(b"name", b"")
                call("XPENDING", key, name, "IDLE", "0", "-", "+", "10", cname)
            if write:
                call("XREADGROUP", "GROUP", name, "fuzz", "COUNT", "2", "STREAMS", key, ">")
                call("XAUTOCLAIM", key, name, "fuzz", "0", "0-0", "COUNT", "5")
                if detail:
                    call("XCLAIM", key, name, "other", "0", detail[0][0])
                    call("XACK", key, name, detail[-1][0])
                call("XGROUP", "DELCONSUMER", key, name, "alice")
        if write:
            call("XADD", key, "*", "fuzz", "1", ok=False)
            if ids:
                call("XDEL", key, ids[0])
            call("XTRIM", key, "MAXLEN", "~", "1000")
            call("XINFO", "STREAM", key, "FULL", "COUNT", "3")
    call("DEBUG", "DIGEST-VALUE", key)
    return sent


def roundtrip_digest(conn, key, scratch, sanitize_conn=None):
    """DUMP `key`, RESTORE it as `scratch` and compare DEBUG DIGEST-VALUE;
    raises Misbehaviour when the server refuses its own payload or the
    copy differs."""
    payload = conn.call("DUMP", key)
    if not isinstance(payload, bytes):
        raise Misbehaviour("DUMP of an existing key returned %r" % (payload,))
    r = conn.call("RESTORE", scratch, "0", payload, "REPLACE")
    if r != b"OK":
        raise Misbehaviour("the server refuses its own DUMP payload: %s" % (r,))
    a = conn.call("DEBUG", "DIGEST-VALUE", key)
    b = conn.call("DEBUG", "DIGEST-VALUE", scratch)
    conn.call("DEL", scratch)
    if a != b:
        raise Misbehaviour("DUMP/RESTORE copy has another digest (%r vs %r)" % (a, b))
    return payload


# ---------------------------------------------------------------------------
# Mutating serialized values

INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x3F, 0x40, 0x7F, 0x80, 0x81, 0xC0, 0xC3, 0xE0, 0xF0, 0xF4, 0xFE, 0xFF)
INTERESTING_NUMBERS = (0, 1, 2, 3, 7, 63, 64, 127, 128, 255, 256, 4095, 4096, 16383, 16384, 65535, 65536,
                       (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 32, (1 << 63) - 1, 1 << 63, (1 << 64) - 1)
INTERESTING_INTS = (0, 1, -1, 2, 12, 13, 127, 128, -4096, 4095, 4096, -32768, 32767, 1 << 23, -(1 << 31),
                    (1 << 31) - 1, 1 << 40, -(1 << 63), (1 << 63) - 1)


def interesting_number(rng, old=None):
    if old is not None and rng.random() < 0.5:
        return max(0, old + rng.choice((-2, -1, 1, 2, 16, -16)))
    if rng.random() < 0.8:
        return rng.choice(INTERESTING_NUMBERS)
    return rng.getrandbits(rng.choice((6, 14, 32, 64)))


def _fields_of(fields, *kinds):
    return [i for i, f in enumerate(fields) if f[2] in kinds]


def _set_string(data, fields, i, content):
    """`data` with string field i (whose `slen` prefix precedes it)
    replaced by `content`, the prefix rewritten."""
    off, size, _ = fields[i]
    loff, lsize, lkind = fields[i - 1]
    if lkind != "slen" or loff + lsize != off:
        return data[:off] + content + data[off + size:]
    return data[:loff] + encode_length(len(content)) + content + data[off + size:]


def _random_elem(rng, others=()):
    r = rng.random()
    if others and r < 0.3:
        return rng.choice(others)
    if r < 0.65:
        return rng.choice(INTERESTING_INTS) if rng.random() < 0.7 else rng.randint(-(1 << 40), 1 << 40)
    return bytes(rng.getrandbits(8) for _ in range(rng.choice((0, 1, 3, 20, 70, 300))))


def mutate_listpack(rng, lp):
    """A listpack with one structural change; None if `lp` is not one."""
    entries = lp_entries(lp)
    if entries is None:
        return None, None
    elems = [lp[o:o + n] for o, n in entries]
    op = rng.choice(("lp-count", "lp-total", "lp-drop", "lp-dup", "lp-swap", "lp-replace", "lp-replace",
                     "lp-replace-int", "lp-backlen", "lp-encoding", "lp-terminator", "lp-append"))
    count = None
    if op == "lp-count":
        count = rng.choice((len(elems) + 1, max(0, len(elems) - 1), 0, 0xFFFF, 0xFFFE))
    elif op == "lp-total":
        out = bytearray(lp)
        struct.pack_into("<I", out, 0, max(0, len(lp) + rng.choice((-1, 1, -7, 100, -len(lp)))) & 0xFFFFFFFF)
        return bytes(out), op
    elif op == "lp-drop" and elems:
        del elems[rng.randrange(len(elems))]
    elif op == "lp-dup" and elems:
        i = rng.randrange(len(elems))
        elems.insert(rng.randrange(len(elems) + 1), elems[i])
    elif op == "lp-swap" and len(elems) > 1:
        i, j = rng.sample(range(len(elems)), 2)
        elems[i], elems[j] = elems[j], elems[i]
    elif op in ("lp-replace", "lp-replace-int") and elems:
        v = _random_elem(rng) if op == "lp-replace" else rng.choice(INTERESTING_INTS)
        elems[rng.randrange(len(elems))] = lp_encode_elem(v)
    elif op == "lp-backlen" and elems:
        i = rng.randrange(len(elems))
        e = bytearray(elems[i])
        e[-1] = rng.choice(INTERESTING_BYTES)
        elems[i] = bytes(e)
    elif op == "lp-encoding" and elems:
        i = rng.randrange(len(elems))
        e = bytearray(elems[i])
        e[0] = rng.choice(INTERESTING_BYTES + (0xF1, 0xF2, 0xF3, 0xF5, 0xE5))
        elems[i] = bytes(e)
    elif op == "lp-terminator":
        return (lp[:-1] if rng.random() < 0.5 else lp + b"\xff"), op
    elif op == "lp-append":
        elems.append(lp_encode_elem(_random_elem(rng)))
    return lp_build(elems, count), op


def mutate_intset(rng, blob):
    if len(blob) < 8:
        return None, None
    enc, n = struct.unpack("<II", blob[:8])
    if enc not in (2, 4, 8) or len(blob) != 8 + enc * n:
        return None, None
    fmt = {2: "<h", 4: "<i", 8: "<q"}[enc]
    vals = [struct.unpack(fmt, blob[8 + i * enc:8 + (i + 1) * enc])[0] for i in range(n)]
    op = rng.choice(("is-encoding", "is-length", "is-dup", "is-swap", "is-value"))
    if op == "is-encoding":
        return struct.pack("<II", rng.choice((0, 1, 2, 3, 4, 8, 16)), n) + blob[8:], op
    if op == "is-length":
        return struct.pack("<II", enc, interesting_number(rng, n) & 0xFFFFFFFF) + blob[8:], op
    if op == "is-dup" and vals:
        vals.insert(rng.randrange(len(vals) + 1), rng.choice(vals))
    elif op == "is-swap" and len(vals) > 1:
        i, j = rng.sample(range(len(vals)), 2)
        vals[i], vals[j] = vals[j], vals[i]
    elif op == "is-value" and vals:
        lim = 1 << (8 * enc - 1)
        vals[rng.randrange(len(vals))] = rng.choice((0, -1, lim - 1, -lim, 1))
    return struct.pack("<II", enc, len(vals)) + b"".join(struct.pack(fmt, v) for v in vals), op


def mutate_bytes(rng, data):
    """One untargeted change (flip, set, cut, grow, delete, insert)."""
    data = bytearray(data)
    op = rng.choice(("bitflip", "byte", "truncate", "extend", "delete", "insert", "repeat"))
    if not data:
        op = "extend"
    if op == "bitflip":
        for _ in range(rng.choice((1, 1, 2, 4))):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif op == "byte":
        data[rng.randrange(len(data))] = rng.choice(INTERESTING_BYTES) if rng.random() < 0.6 else rng.getrandbits(8)
    elif op == "truncate":
        del data[rng.randrange(len(data)):]
    elif op == "extend":
        data += bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 2, 8, 64))))
    elif op == "delete":
        i = rng.randrange(len(data))
        del data[i:i + rng.choice((1, 2, 4, 16))]
    elif op == "insert":
        i = rng.randrange(len(data) + 1)
        data[i:i] = bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 2, 4, 16))))
    elif op == "repeat":
        i = rng.randrange(len(data))
        j = min(len(data), i + rng.choice((1, 4, 16, 64)))
        data[j:j] = data[i:j]
    return bytes(data), op


def mutate_value(rng, body, others=(), rounds=None):
    """A mutated DUMP body (type byte and value); `others` are other
    bodies to splice from. Returns (body, [operation names])."""
    ops = []
    if rng.random() < 0.6:
        plain = uncompress_strings(body)
        if plain != body:
            body = plain
            ops.append("uncompress")
    for _ in range(rounds or rng.choice((1, 1, 1, 2, 3))):
        fields = walk_payload(body)
        choice = rng.random()
        if choice < 0.3 and _fields_of(fields, "blob"):
            i = rng.choice(_fields_of(fields, "blob"))
            off, size, _ = fields[i]
            blob = body[off:off + size]
            new, op = mutate_listpack(rng, blob) if rng.random() < 0.85 else (None, None)
            if new is None:
                new, op = mutate_intset(rng, blob)
            if new is None:
                new, op = mutate_bytes(rng, blob)
                op = "blob-" + op
            if rng.random() < 0.9:
                body = _set_string(body, fields, i, new)
            else:
                body = body[:off] + new + body[off + size:]
                op += "-stale-length"
            ops.append(op)
            continue
        targets = {
            "count": _fields_of(fields, "count"), "num": _fields_of(fields, "num", "container"),
            "slen": _fields_of(fields, "slen"), "str": _fields_of(fields, "str"),
            "id16": _fields_of(fields, "id16"), "ms": _fields_of(fields, "ms"),
            "double": _fields_of(fields, "double"), "type": _fields_of(fields, "type"),
        }
        weights = {"count": 3, "num": 2, "slen": 2, "str": 2, "id16": 2, "ms": 1, "double": 1, "type": 1}
        names = [k for k, v in targets.items() if v for _ in range(weights[k])]
        names += ["bytes"] * 3 + ["splice", "dup-str", "dup-str"]
        if targets["id16"]:
            names += ["drop-id"] * 3
        op = rng.choice(names)
        if op in ("count", "num", "slen"):
            off, size, _ = fields[rng.choice(targets[op])]
            old = Walker(body, off).length()[0]
            width = size if rng.random() < 0.7 else rng.choice((1, 2, 5, 9))
            body = body[:off] + encode_length(interesting_number(rng, old), width) + body[off + size:]
        elif op == "str":
            i = rng.choice(targets[op])
            off, size, _ = fields[i]
            new = body[off:off + size]
            new = mutate_bytes(rng, new)[0] if rng.random() < 0.6 else to_bytes(_random_elem(rng))
            body = _set_string(body, fields, i, new)
        elif op == "dup-str" and len(targets["str"]) > 1:
            a, b = rng.sample(targets["str"], 2)
            src = body[fields[a][0]:fields[a][0] + fields[a][1]]
            body = _set_string(body, fields, b, src)
        elif op in ("id16", "ms", "double"):
            off, size, _ = fields[rng.choice(targets[op])]
            if op == "double":
                new = struct.pack("<d", rng.choice((float("nan"), float("inf"), -float("inf"), -0.0, 1e308, 5e-324)))
            elif rng.random() < 0.5 and op == "id16":
                other = fields[rng.choice(targets[op])]
                new = body[other[0]:other[0] + 16]
            else:
                new = bytes(rng.choice((0, 0xFF)) if rng.random() < 0.3 else rng.getrandbits(8) for _ in range(size))
            body = body[:off] + new + body[off + size:]
        elif op == "type":
            off = fields[targets["type"][0]][0]
            body = body[:off] + bytes([rng.choice(list(RDB_TYPE_NAMES) + [8, 22, 200])]) + body[off + 1:]
        elif op == "drop-id" and targets["id16"]:
            # Remove one raw stream ID (a PEL entry of a group or of a
            # consumer) and lower the count before it.
            i = rng.choice(targets["id16"])
            off, size, _ = fields[i]
            counts = [j for j in targets["count"] if j < i]
            if counts:
                c = counts[-1]
                coff, csize, _ = fields[c]
                n = Walker(body, coff).length()[0]
                extra = 0
                if i + 2 < len(fields) and fields[i + 1][2] == "ms":
                    extra = fields[i + 1][1] + fields[i + 2][1]
                body = (body[:coff] + encode_length(max(0, n - 1), csize) + body[coff + csize:off]
                        + body[off + size + extra:])
        elif op == "splice" and others:
            other = rng.choice(others)
            ofields = walk_payload(other)
            cut_a = rng.choice([f[0] for f in fields] + [len(body)])
            cut_b = rng.choice([f[0] for f in ofields] + [len(other)])
            body = body[:cut_a] + other[cut_b:]
        else:
            body, op2 = mutate_bytes(rng, body)
            op = op2
        ops.append(op)
    return body, ops
