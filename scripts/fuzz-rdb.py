#!/usr/bin/env python3
"""fuzz-rdb.py: start reddish on mutated dump.rdb files.

Usage:
  scripts/fuzz-rdb.py [--seed N] [--count N] [--server PATH] [--port P]
                      [--redis PATH | --no-redis] [--timeout S] [--out DIR] [-v]
  scripts/fuzz-rdb.py --replay FILE.rdb [--sanitize yes|no] [--server PATH] [--port P]

Seed files hold keys of every type and encoding (the same dataset as
fuzz-restore.py) in several databases, with expiries; they are SAVEd by
reddish (with rdbcompression on and off, rdbchecksum off, and LFU so that
FREQ records appear) and, unless --no-redis, by real Redis (which also
adds a function library and its own aux fields).

Each case mutates a seed 1-3 times: a key's value (the same value-aware
mutations as fuzz-restore.py), the numbers and strings of the file's
records (SELECTDB, RESIZEDB, expiries, aux fields), the header's version,
dropped, doubled or swapped records, splices of two files, truncation and
untargeted byte changes. The trailing CRC-64 is kept, recomputed or
zeroed (checksum off), a choice per case, and the case runs with
`sanitize-dump-payload` yes or no.

reddish is started on the file with a timeout (--timeout, 10 s). It must
either load it (then PING, DBSIZE, SCAN through every database reading
each key back with type-appropriate commands, DEBUG DIGEST, SAVE, and a
second start from the saved file, which must load with the same digest)
or exit with a non-zero code and an error in its log, without a panic or
a signal. Anything else is a finding (crash, panic, hang, silent exit,
reload-fails, reload-differs, unresponsive). Unless --no-redis, real Redis
(sanitize yes) is started on the same file too: when both load it, their
DEBUG DIGESTs must be equal (finding digest-differs-from-redis); files only
one of them loads are counted with the reason. Each finding is saved as
case.rdb with case.json, and `--replay` runs one again.
"""

import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib as fl  # noqa: E402

# Log lines that explain a refused file (reddish words them as Redis does).
LOAD_ERRORS = (
    "Internal error in RDB", "Short read", "Wrong RDB checksum", "Wrong signature",
    "Can't handle RDB format", "Fatal error loading", "duplicated key", "module",
    "Data file was created with a Redis server configured", "Terminating server after rdb",
    "a type this reddish build cannot load",
)


def seed_files(binary, port, folder, redis):
    """(name, bytes) of the seed files."""
    out = []
    variants = [("plain", []), ("lzf", []), ("nocrc", ["--rdbchecksum", "no"]),
                ("lfu", ["--maxmemory-policy", "allkeys-lfu"]), ("lru", ["--maxmemory-policy", "allkeys-lru"])]
    servers = [("reddish", binary)] + ([("redis", redis)] if redis else [])
    for origin, path in servers:
        for name, extra in variants:
            if origin == "redis" and name not in ("lzf", "lfu"):
                continue
            srv = fl.Server(path, port, os.path.join(folder, "seed-%s-%s" % (origin, name)),
                            ["--enable-debug-command", "yes"] + extra).start()
            c = fl.Conn(port)
            c.call("CONFIG", "SET", "rdbcompression", "no" if name == "plain" else "yes")
            fl.build_dataset(c)
            c.call("PEXPIRE", "str:int", "100000000")
            c.call("EXPIRE", "list:listpack", "500000")
            c.call("SELECT", "3")
            fl.build_dataset(c, keys=("str:embstr", "hash:listpack", "zset:skiplist", "stream:groups"))
            c.call("SET", "in-db-3", "x", "PXAT", "4102444800000")
            c.call("SELECT", "0")
            if origin == "redis":
                c.call("FUNCTION", "LOAD", "#!lua name=fuzzlib\nredis.register_function('f', function() return 1 end)")
            if name == "lfu":
                for _ in range(5):
                    c.call("GET", "str:embstr")
            r = c.call("SAVE")
            c.close()
            srv.stop()
            if r != b"OK":
                raise RuntimeError("SAVE on %s failed: %r" % (origin, r))
            with open(os.path.join(srv.folder, "dump.rdb"), "rb") as f:
                out.append(("%s-%s" % (origin, name), f.read()))
    return out


def mutate_file(rng, data, others):
    """A mutated file image and the names of what was done."""
    ops = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        fields, items = fl.walk_rdb(data)
        keys = [it for it in items if it[2] == "key"]
        r = rng.random()
        if r < 0.4 and keys:
            start, end, _ = rng.choice(keys)
            w = fl.Walker(data, start + 1)
            try:
                w.string()
            except fl.Truncated:
                continue
            key_end = w.pos
            body = data[start:start + 1] + data[key_end:end]
            new, vops = fl.mutate_value(rng, body, [body])
            data = data[:start] + new[:1] + data[start + 1:key_end] + new[1:] + data[end:]
            ops += ["value:" + o for o in vops]
        elif r < 0.55 and fields:
            nums = [f for f in fields if f[2] in ("count", "num", "slen")]
            if not nums:
                continue
            off, size, _ = rng.choice(nums)
            old = fl.Walker(data, off).length()[0]
            data = data[:off] + fl.encode_length(fl.interesting_number(rng, old), size) + data[off + size:]
            ops.append("record-number")
        elif r < 0.6:
            version = rng.choice((b"0001", b"0009", b"0010", b"0011", b"0012", b"0099", b"00a0", b"1000"))
            data = data[:5] + version + data[9:]
            ops.append("version-" + version.decode())
        elif r < 0.75 and items:
            a = rng.randrange(len(items))
            s, e, kind = items[a]
            what = rng.choice(("drop", "double", "swap"))
            if what == "drop":
                data = data[:s] + data[e:]
            elif what == "double":
                data = data[:e] + data[s:e] + data[e:]
            else:
                s2, e2, _ = items[rng.randrange(len(items))]
                if s2 > e:
                    data = data[:s] + data[s2:e2] + data[e:s2] + data[s:e] + data[e2:]
            ops.append("%s-%s" % (what, kind))
        elif r < 0.82 and others:
            other = rng.choice(others)
            _, oitems = fl.walk_rdb(other)
            cut = rng.choice([s for s, _, _ in items] or [9])
            ocut = rng.choice([s for s, _, _ in oitems] or [9])
            data = data[:cut] + other[ocut:]
            ops.append("splice")
        elif r < 0.88:
            cut = rng.choice([s for s, _, _ in items] + [rng.randrange(len(data))])
            data = data[:cut]
            ops.append("truncate")
        else:
            head, tail = data[:9], data[9:]
            tail, op = fl.mutate_bytes(rng, tail)
            data = head + tail
            ops.append(op)
    return data, ops


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = fl.setup(args, "rdb")
        self.f = fl.Findings(args.out, args.max_saved, args.verbose)
        self.folder = os.path.join(args.out, "case")
        os.makedirs(self.folder, exist_ok=True)

    def server(self, sanitize, dbfilename="case.rdb"):
        return fl.Server(self.args.server, self.args.port, self.folder,
                         ["--enable-debug-command", "yes", "--sanitize-dump-payload", sanitize],
                         dbfilename=dbfilename)

    def record(self, kind, summary, data, case, srv):
        files = {"case.rdb": data, "case.json": case, "server-log.txt": srv.output()[-20000:]}
        saved = os.path.join(self.folder, "case.rdb")
        if kind.startswith("reload") and os.path.exists(saved):
            with open(saved, "rb") as f:
                files["saved-by-reddish.rdb"] = f.read()
        self.f.add(kind, summary, files)

    def one(self, seeds):
        rng = self.rng
        name, seed = rng.choice(seeds)
        data, ops = mutate_file(rng, seed, [s for _, s in seeds])
        crc = rng.choice(("keep", "fix", "fix", "zero"))
        data = fl.rdb_with_crc(data, crc)
        sanitize = rng.choice(("yes", "no"))
        case = {"seed": name, "ops": ops, "crc": crc, "sanitize": sanitize}
        self.f.inputs += 1
        for op in ops:
            self.f.count("mutation:" + op.split(":")[0] + (":" + op.split(":")[1] if ":" in op else ""))
        path = os.path.join(self.folder, "case.rdb")
        with open(path, "wb") as f:
            f.write(data)
        srv = self.server(sanitize)
        srv.launch()
        state = srv.wait_ready(self.args.timeout)
        if state == "timeout":
            srv.kill()
            self.record("hang", "neither loaded nor exited in %.0f s" % self.args.timeout, data, case, srv)
            return
        if state == "exited":
            outcome = self.check_refusal(srv, data, case)
        else:
            self.f.count("outcome:loaded")
            outcome = self.check_loaded(srv, data, case, sanitize)
        if outcome and self.redis:
            self.compare(outcome, data, case)

    def compare(self, ours, data, case):
        """Loads the same file in real Redis (sanitize yes); a different
        DEBUG DIGEST when both load is a finding, a file only one of them
        loads is counted with the reason."""
        folder = os.path.join(self.args.out, "redis-case")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "case.rdb"), "wb") as f:
            f.write(data)
        srv = fl.Server(self.redis, self.args.port + 1, folder, ["--enable-debug-command", "yes",
                                                                 "--sanitize-dump-payload", "yes"],
                        dbfilename="case.rdb")
        srv.launch()
        state = srv.wait_ready(5.0)
        theirs = None
        if state == "ready":
            try:
                c = fl.Conn(self.args.port + 1, timeout=5)
                theirs = ("loaded", c.call("DEBUG", "DIGEST"))
                c.close()
            except (fl.Closed, fl.Timeout, OSError):
                pass
            srv.stop()
        elif state == "exited" and srv.proc.returncode > 0:
            lines = [line for line in srv.output().splitlines() if "Internal error" in line or "Short read" in line
                     or "Wrong RDB" in line or "Can't handle" in line or "duplicated key" in line]
            theirs = ("refused", fl.normalize(lines[0].split("->")[-1].split(" # ")[-1].strip())[:60] if lines else "?")
        srv.kill()
        if theirs is None:
            self.f.count("redis-not-compared:%s" % ("hung" if state == "timeout" else fl.describe_exit(srv.proc.returncode)))
            return
        if ours[0] == theirs[0] == "loaded":
            if ours[1] != theirs[1]:
                self.record("digest-differs-from-redis", "reddish %r, Redis %r" % (ours[1], theirs[1]), data, case, srv)
            else:
                self.f.count("redis:same-digest")
        elif ours[0] == theirs[0]:
            self.f.count("redis:refused-too")
        elif ours[0] == "loaded":
            self.f.count("redis:only-reddish-loads%s:%s" % (" (sanitize no)" if case["sanitize"] == "no" else "",
                                                            theirs[1]))
        else:
            self.f.count("redis:only-redis-loads:%s" % ours[1])

    def check_refusal(self, srv, data, case):
        rc = srv.proc.returncode
        log = srv.output()
        panics = srv.panic_lines()
        reason = next((line for line in log.splitlines() if any(e in line for e in LOAD_ERRORS)), None)
        if rc < 0 or panics:
            self.record("crash", "%s; %s" % (fl.describe_exit(rc), "; ".join(panics[:2])), data, case, srv)
        elif rc == 0:
            self.record("silent-exit", "exit code 0 without serving", data, case, srv)
        elif reason is None:
            self.record("exit-without-reason", "%s, no load error in the log" % fl.describe_exit(rc), data, case, srv)
        else:
            text = reason.split("->", 1)[-1] if "->" in reason else reason.split(" # ", 1)[-1]
            text = fl.normalize(text.strip())[:60]
            self.f.count("outcome:refused:" + text)
            return ("refused", text)
        return None

    def check_loaded(self, srv, data, case, sanitize):
        try:
            c = fl.Conn(self.args.port, timeout=10)
            if c.call("PING") != b"PONG":
                raise fl.Closed("no PONG")
            total = 0
            info = fl.text(c.call("INFO", "keyspace"))
            dbs = [int(line[2:line.index(":")]) for line in info.splitlines() if line.startswith("db")]
            for db in dbs:
                c.call("SELECT", str(db))
                total += c.call("DBSIZE")
                cursor = b"0"
                keys = []
                while True:
                    cursor, batch = c.call("SCAN", cursor, "COUNT", "50")
                    keys += batch
                    if cursor == b"0":
                        break
                for key in keys[:60]:
                    try:
                        fl.check_key(c, key, self.rng, write=False)
                    except fl.Misbehaviour as e:
                        self.f.count("loaded-key-misbehaves:" + fl.normalize(str(e)))
            digest = c.call("DEBUG", "DIGEST")
            saved = c.call("SAVE")
            c.close()
        except (fl.Closed, fl.Timeout, OSError, ValueError) as e:
            time.sleep(0.1)
            kind = "crash" if not srv.running() else "unresponsive"
            self.record(kind, "after loading: %s (%s)" % (type(e).__name__, fl.describe_exit(srv.proc.poll())),
                        data, case, srv)
            srv.kill()
            return None
        rc = srv.stop()
        if rc != 0 or srv.panic_lines():
            self.record("crash", "stopping after load: %s %s" % (fl.describe_exit(rc), srv.panic_lines()[:2]),
                        data, case, srv)
            return None
        if saved != b"OK":
            self.f.count("outcome:save-refused")
            return ("loaded", digest)
        again = self.server(sanitize)
        again.launch()
        state = again.wait_ready(self.args.timeout)
        if state != "ready":
            again.kill()
            self.record("reload-fails", "the file reddish saved does not load (%s): %s"
                        % (state, again.tail(3)), data, case, again)
            return None
        try:
            c = fl.Conn(self.args.port, timeout=10)
            digest2 = c.call("DEBUG", "DIGEST")
            c.close()
        except (fl.Closed, fl.Timeout, OSError) as e:
            digest2 = "lost: %s" % e
        again.stop()
        if digest2 != digest:
            self.record("reload-differs", "digest %r after the second load, %r before" % (digest2, digest),
                        data, case, again)
        else:
            self.f.count("outcome:reloaded-same" if total else "outcome:reloaded-same-empty")
        return ("loaded", digest)

    def run(self):
        redis = None if self.args.no_redis else (self.args.redis or fl.redis_binary())
        self.redis = redis
        seeds = seed_files(self.args.server, self.args.port, self.args.out, redis)
        print("seeds: %s" % ", ".join("%s (%d bytes)" % (n, len(d)) for n, d in seeds), flush=True)
        for name, data in seeds:
            self.f.count("seed")
            with open(os.path.join(self.folder, "case.rdb"), "wb") as f:
                f.write(data)
            srv = self.server("yes")
            srv.launch()
            if srv.wait_ready(self.args.timeout) != "ready":
                self.record("seed-refused", "reddish does not load seed %s" % name, data, {"seed": name}, srv)
                srv.kill()
                seeds = [s for s in seeds if s[0] != name]
            else:
                srv.stop()
        last = time.time()
        for i in range(self.args.count):
            self.one(seeds)
            if time.time() - last > 30:
                last = time.time()
                print("  %d/%d files, %d findings" % (i + 1, self.args.count, sum(self.f.found.values())), flush=True)
        return self.f.report()


def replay(args):
    folder = "/tmp/reddish-fuzz-rdb-replay-%d" % os.getpid()
    os.makedirs(folder, exist_ok=True)
    shutil.copy(args.replay, os.path.join(folder, "case.rdb"))
    srv = fl.Server(args.server, args.port, folder, ["--enable-debug-command", "yes",
                                                     "--sanitize-dump-payload", args.sanitize],
                    dbfilename="case.rdb")
    srv.launch()
    state = srv.wait_ready(args.timeout)
    print("state:", state, fl.describe_exit(srv.proc.poll()))
    print(srv.tail(15))
    if state == "ready":
        c = fl.Conn(args.port)
        print("DBSIZE", c.call("DBSIZE"), "DIGEST", c.call("DEBUG", "DIGEST"), "SAVE", c.call("SAVE"))
        srv.stop()
        again = fl.Server(args.server, args.port, folder, ["--sanitize-dump-payload", args.sanitize],
                          dbfilename="case.rdb")
        again.launch()
        print("second start:", again.wait_ready(args.timeout), again.tail(3))
        again.stop()
    else:
        srv.kill()
    return 0


def extra_options(p):
    p.add_argument("--timeout", type=float, default=10.0, help="seconds a start may take (default %(default)s)")
    p.add_argument("--sanitize", default="no", help="sanitize-dump-payload for --replay (default no)")


def main():
    fl.run_main(__doc__, 1000, 7440, Fuzzer, replay, extra_options)


if __name__ == "__main__":
    main()
