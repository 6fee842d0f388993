#!/usr/bin/env python3
"""fuzz-restore.py: feed mutated DUMP payloads to RESTORE.

Usage:
  scripts/fuzz-restore.py [--seed N] [--count N] [--server PATH] [--port P]
                          [--redis PATH | --no-redis] [--out DIR] [-v]
  scripts/fuzz-restore.py --replay DIR/case.json [--server PATH] [--port P]

Seeds: keys of every type and encoding (strings int/embstr/raw, lists
listpack/quicklist/compressed, hashes listpack/hashtable, sets
intset/hashtable, sorted sets listpack/skiplist, streams with consumer
groups, PELs, consumers, deleted and trimmed entries) are built on reddish
and, unless --no-redis, on real Redis (port P+1), each with rdbcompression
on and off, and DUMPed; encodings Redis no longer writes (ziplists, zipmap,
quicklist v1, 7.2's listpack set) are built by hand. Every seed must
RESTORE on reddish, and reddish's seeds on Redis.

Each input is a seed mutated 1-3 times (bit flips, byte changes,
truncation, extension, length and count edits, listpack and intset aware
edits, duplicated strings, dropped PEL IDs, splices of two seeds), with the
trailer recomputed (2-byte RDB version, CRC-64) so that the value parser is
reached; a few keep a stale CRC or get another version. It is RESTOREd
with `sanitize-dump-payload` yes or no (switched every 50 inputs). An
accepted key is read back and changed with type-appropriate commands
(counts, SCAN families, ordering, XINFO STREAM FULL, XPENDING, DUMP again
and RESTORE of that, DEBUG DIGEST-VALUE) and the server must stay alive.

Findings: the server dying or panicking, a RESTORE or a later command
without a reply in time, a key that answers inconsistently (kind
`misbehaves-sanitize-yes|no`), reddish refusing its own DUMP. With real
Redis, under sanitize yes each payload is also RESTOREd there, and
accept/reject disagreements are findings `divergence-*` (7.2-only types
and versions, which reddish reads on purpose, are counted apart).

Each finding gets a folder under --out with payload.bin and case.json;
`--replay case.json` runs that case again against a fresh server and prints
what happens.
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib as fl  # noqa: E402

BATCH = 50
KNOWN_ERRORS = ("ERR Bad data format", "ERR DUMP payload version or checksum are wrong")


def start(binary, port, folder, extra=()):
    return fl.Server(binary, port, folder, ["--enable-debug-command", "yes"] + list(extra)).start()


def build_seeds(conn, origin):
    """(name, payload) of each dataset key, with and without compression."""
    seeds = []
    for compression in ("yes", "no"):
        conn.call("FLUSHALL")
        conn.call("CONFIG", "SET", "rdbcompression", compression)
        for key in fl.build_dataset(conn):
            payload = conn.call("DUMP", key)
            seeds.append(("%s:%s:%s" % (origin, "lzf" if compression == "yes" else "plain", key), payload))
    conn.call("CONFIG", "SET", "rdbcompression", "yes")
    conn.call("FLUSHALL")
    return seeds


def redis_accepts(conn, payload):
    r = conn.call("RESTORE", "fz", "0", payload, "REPLACE")
    return r == b"OK", r


def reads_into_trailer(payload):
    """True when the value only parses if the trailer's bytes are taken as
    part of it: Redis reads the whole payload as its input and accepts
    such values, reddish stops at the trailer."""
    body = fl.split_payload(payload)[0]
    short = fl.Walker(body)
    try:
        short.value(short.take(1, "type")[0])
        return False
    except (fl.Truncated, IndexError, KeyError, fl.struct.error):
        pass
    whole = fl.Walker(payload)
    try:
        whole.value(whole.take(1, "type")[0])
        return True
    except (fl.Truncated, IndexError, KeyError, fl.struct.error):
        return False


def huge_count(payload):
    """True when a count or length (also one Redis would read from the
    trailer's bytes) is above 16M."""
    return any(fl.Walker(payload, off).length()[0] > 1 << 24
               for off, _, kind in fl.walk_payload(payload) if kind in ("count", "slen"))


def stream_lp_count_off(payload):
    """True for a stream whose node listpack's header element count is
    wrong: Redis checks only the byte size of a stream node's header and
    walks the entries; reddish checks the count too."""
    body = fl.uncompress_strings(fl.split_payload(payload)[0])
    if body[:1] not in (b"\x0f", b"\x13", b"\x15"):
        return False
    for off, size, kind in fl.walk_payload(body):
        if kind == "blob":
            lp = body[off:off + size]
            entries = fl.lp_entries(lp)
            if entries is not None and fl.struct.unpack("<H", lp[4:6])[0] not in (len(entries), 0xFFFF):
                return True
    return False


def zset_text_scores(payload):
    """True for a sorted set with a score that is not a number: Redis reads
    scores with strtod (or sscanf) and takes the garbage (as 0 or the
    number it starts with), reddish refuses."""
    body = fl.uncompress_strings(fl.split_payload(payload)[0])
    if body[:1] not in (b"\x03", b"\x0c", b"\x11"):
        return False
    fields = fl.walk_payload(body)
    scores = [body[o:o + n] for o, n, k in fields if k == "score"]
    for o, n, k in fields:
        if k == "blob":
            blob = body[o:o + n]
            values = (fl.lp_values if body[0] == 0x11 else fl.zl_values)(blob) or []
            scores += [v for v in values[1::2] if isinstance(v, bytes)]
    for text in scores:
        try:
            float(text)
        except ValueError:
            return True
    return False


def bad_length_in_stream(payload):
    """True for a stream where a length byte has an unknown encoding
    (10xxxxxx other than 0x80/0x81): Redis does not check rdbLoadLen's
    error for the stream's IDs and counters and goes on, reddish refuses."""
    body = fl.split_payload(payload)[0]
    if body[:1] not in (b"\x0f", b"\x13", b"\x15"):
        return False
    fields = fl.walk_payload(body)
    end = fields[-1][0] + fields[-1][1] if fields else 0
    return end < len(body) and body[end] >> 6 == 2 and body[end] not in (0x80, 0x81)


def encval_as_length(payload):
    """True when a count or number uses the string-encoding tag (11xxxxxx):
    Redis's rdbLoadLen ignores the tag where no string is expected and
    takes the low 6 bits, reddish refuses."""
    body = fl.split_payload(payload)[0]
    return any(body[off] >> 6 == 3 for off, _, kind in fl.walk_payload(body)
               if kind in ("count", "num", "container"))


def zipmap_trailing_bytes(payload):
    """True for a zipmap with bytes after its end marker, which Redis's
    validation does not look at."""
    body = fl.uncompress_strings(fl.split_payload(payload)[0])
    if body[:1] != b"\x09":
        return False
    blobs = [body[o:o + n] for o, n, k in fl.walk_payload(body) if k == "blob"]
    return bool(blobs) and 0xFF in blobs[0][:-1]


def lzf_to_nothing(payload):
    """True when the value holds an LZF string whose uncompressed length
    is 0: Redis takes whatever compressed bytes follow as an empty string
    (its lzf_decompress returns 0 = the expected length), reddish refuses."""
    body = fl.split_payload(payload)[0]
    fields = fl.walk_payload(body)
    for i, (off, _, kind) in enumerate(fields[:-2]):
        if kind == "slen" and body[off] == 0xC3 and fields[i + 2][2] == "slen":
            if fl.Walker(body, fields[i + 2][0]).length()[0] == 0:
                return True
    return False


# Payloads Redis takes and reddish refuses on purpose (all are values Redis
# never writes); each is counted under its name, not reported.
REDIS_LENIENCIES = [
    (reads_into_trailer, "redis-reads-value-into-trailer"),
    (stream_lp_count_off, "redis-ignores-stream-listpack-header-count"),
    (zset_text_scores, "redis-takes-non-numeric-zset-scores"),
    (bad_length_in_stream, "redis-ignores-bad-length-in-stream-metadata"),
    (encval_as_length, "redis-takes-encoded-length-byte-as-count"),
    (zipmap_trailing_bytes, "redis-ignores-bytes-after-zipmap-end"),
    (lzf_to_nothing, "redis-takes-lzf-string-of-length-0"),
]


def redis_reason(server):
    """Redis's last logged reason for refusing a payload."""
    lines = [line for line in server.output().splitlines() if "Internal error in RDB" in line]
    return lines[-1].split("->", 1)[-1].strip() if lines else "?"


def is_72_only(payload):
    body, version = fl.split_payload(payload)
    return version > 10 or (body[:1] and body[0] >= 20)


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = fl.setup(args, "restore")
        self.f = fl.Findings(args.out, args.max_saved, args.verbose)
        self.reddish = start(args.server, args.port, os.path.join(args.out, "reddish"))
        self.conn = fl.Conn(args.port, timeout=10)
        self.ctl = fl.Conn(args.port, timeout=10)
        self.redis = None
        self.rconn = None
        rb = None if args.no_redis else (args.redis or fl.redis_binary())
        if rb:
            self.redis = start(rb, args.port + 1, os.path.join(args.out, "redis"), ["--loglevel", "verbose"])
            self.rconn = fl.Conn(args.port + 1, timeout=3)
            self.rconn.call("CONFIG", "SET", "sanitize-dump-payload", "yes")
        self.mode = None
        self.redis_alike = set()

    def restart_reddish(self):
        self.reddish.kill()
        self.reddish = start(self.args.server, self.args.port, self.reddish.folder + "-%d" % time.time())
        self.conn = fl.Conn(self.args.port, timeout=10)
        self.ctl = fl.Conn(self.args.port, timeout=10)
        self.mode = None

    def restart_redis(self):
        self.redis.kill()
        self.redis = start(self.redis.binary, self.args.port + 1, self.redis.folder + "-%d" % time.time(),
                           ["--loglevel", "verbose"])
        self.rconn = fl.Conn(self.args.port + 1, timeout=3)
        self.rconn.call("CONFIG", "SET", "sanitize-dump-payload", "yes")

    def seeds(self):
        seeds = build_seeds(self.conn, "reddish")
        own = list(seeds)
        if self.rconn:
            seeds += build_seeds(self.rconn, "redis")
        seeds += fl.legacy_payloads()
        for name, payload in seeds:
            self.f.count("seed")
            ok = self.conn.call("RESTORE", "fz", "0", payload, "REPLACE")
            if ok != b"OK":
                self.f.add("seed-rejected", "reddish refuses seed %s: %s" % (name, ok),
                           {"payload.bin": payload, "case.json": {"seed": name, "mode": "yes"}})
            if self.rconn and (name, payload) in own:
                ok, r = redis_accepts(self.rconn, payload)
                if not ok:
                    self.f.add("seed-divergence", "Redis refuses reddish's DUMP of %s: %s" % (name, r),
                               {"payload.bin": payload, "case.json": {"seed": name, "mode": "yes"}})
        self.conn.call("DEL", "fz")
        return seeds

    def set_mode(self, mode):
        if mode != self.mode:
            self.conn.call("CONFIG", "SET", "sanitize-dump-payload", mode)
            self.mode = mode

    def record(self, kind, summary, case, payload, sent=None):
        files = {"payload.bin": payload, "case.json": dict(case, commands=sent or [])}
        log = self.reddish.tail(60)
        if log:
            files["server-log-tail.txt"] = log
        self.f.add(kind, summary, files)

    def alive_or_restart(self, case, payload, what, sent=None):
        """After a lost reply: a finding either way; restarts if needed."""
        time.sleep(0.2)
        panics = self.reddish.panic_lines()
        if not self.reddish.running():
            rc = self.reddish.proc.returncode
            self.record("crash", "%s: server %s; %s" % (what, fl.describe_exit(rc), "; ".join(panics[:3])),
                        case, payload, sent)
        elif not self.reddish.ping():
            self.record("unresponsive", "%s: server does not answer PING" % what, case, payload, sent)
        else:
            self.record("no-reply", "%s: no reply in time, server still answers PING" % what, case, payload, sent)
        self.restart_reddish()

    def one(self, seeds, bodies):
        rng = self.rng
        name, seed = rng.choice(seeds)
        body, version = fl.split_payload(seed)
        mutated, ops = fl.mutate_value(rng, body, bodies)
        trailer = rng.random()
        if trailer < 0.02:
            payload = mutated + seed[-10:]
            ops.append("stale-crc")
        elif trailer < 0.04:
            version = rng.choice((0, 1, 9, 10, 11, 12, 0xFFFF))
            payload = fl.dump_trailer(mutated, version)
            ops.append("version-%d" % version)
        else:
            payload = fl.dump_trailer(mutated, version)
        self.f.inputs += 1
        for op in ops:
            self.f.count("mutation:" + op)
        case = {"seed": name, "ops": ops, "mode": self.mode}
        try:
            r = self.conn.call("RESTORE", "fz", "0", payload, "REPLACE", timeout=10)
        except (fl.Closed, fl.Timeout) as e:
            self.alive_or_restart(case, payload, "RESTORE (%s)" % type(e).__name__)
            return
        accepted = r == b"OK"
        self.f.count("restore:%s:sanitize-%s" % ("accepted" if accepted else "rejected", self.mode))
        if not accepted and not (isinstance(r, fl.Err) and r in KNOWN_ERRORS):
            self.f.count("restore:other-reply")
            if not isinstance(r, fl.Err):
                self.record("odd-reply", "RESTORE replied %r" % (r,), case, payload)
        if self.rconn and self.mode == "yes":
            self.compare(case, payload, accepted, r)
        if accepted:
            self.exercise(case, payload)

    def compare(self, case, payload, accepted, reply):
        if huge_count(payload):
            # Redis may try to allocate for it and take seconds or die.
            self.f.count("compare-skipped:huge-count")
            return
        try:
            ok, rr = redis_accepts(self.rconn, payload)
        except (fl.Closed, fl.Timeout):
            self.f.count("redis-crashed-on-sanitized-payload")
            self.f.add("redis-side-crash", "real Redis died on a payload under sanitize yes (not a reddish finding)",
                       {"payload.bin": payload, "case.json": case, "redis-log-tail.txt": self.redis.tail(80)})
            self.restart_redis()
            return
        if ok == accepted:
            return
        if is_72_only(payload):
            self.f.count("divergence:7.2-format")
            return
        for known, name in [] if accepted else REDIS_LENIENCIES:
            if known(payload):
                self.f.count("divergence:" + name)
                return
        kind = "divergence-reddish-accepts" if accepted else "divergence-reddish-rejects"
        why = "" if ok else " (%s)" % redis_reason(self.redis)
        self.f.count("divergence:" + (why.strip(" ()").split(":")[0][:60] or kind))
        self.record(kind, "reddish %s, Redis %s%s (seed %s, ops %s)"
                    % (reply, rr, why, case["seed"], ",".join(case["ops"])), case, payload)

    def redis_verdict(self, payload, e):
        """How real Redis (sanitize yes, so that it is safe) deals with the
        payload: `alike` (takes it and shows the same inconsistency),
        `fine` (takes it and answers consistently), `other` (another
        inconsistency), `rejects`, or None without Redis."""
        if not self.rconn:
            return None
        try:
            if not redis_accepts(self.rconn, payload)[0]:
                return "rejects"
            fl.check_key(self.rconn, "fz", random.Random(0), write=False)
            fl.roundtrip_digest(self.rconn, "fz", "fz:copy")
            fl.check_key(self.rconn, "fz", random.Random(0), write=True)
        except fl.Misbehaviour as theirs:
            return "alike" if fl.normalize(str(theirs)) == fl.normalize(str(e)) else "other"
        except (fl.Closed, fl.Timeout):
            self.restart_redis()
            return None
        return "fine"

    def exercise(self, case, payload):
        sent = []
        try:
            sent = fl.check_key(self.conn, "fz", self.rng, write=False)
            fl.roundtrip_digest(self.conn, "fz", "fz:copy")
            sent += fl.check_key(self.conn, "fz", self.rng, write=True)
            self.f.count("exercised")
        except fl.Misbehaviour as e:
            verdict = self.redis_verdict(payload, e)
            what = fl.normalize(str(e))
            if verdict == "alike":
                self.redis_alike.add(what)
                self.f.count("misbehaves-as-redis-does:" + what)
                return
            if verdict != "fine" and is_72_only(payload) and what in self.redis_alike:
                # Redis 7.0 cannot load it; it shows this with 7.0 payloads.
                self.f.count("misbehaves-7.2-format-as-redis-does-with-7.0:" + what)
                return
            if verdict != "fine" and self.mode == "no":
                # Redis refuses it when sanitizing and promises nothing
                # for such keys otherwise.
                self.f.count("misbehaves-sanitize-no:" + what)
                return
            self.record("misbehaves-sanitize-%s" % self.mode, "%s (Redis: %s)" % (e, verdict), case, payload, sent)
        except (fl.Closed, fl.Timeout) as e:
            self.alive_or_restart(case, payload, "exercising the key (%s)" % type(e).__name__, sent)

    def run(self):
        seeds = self.seeds()
        bodies = [fl.split_payload(p)[0] for _, p in seeds]
        print("seeds: %d payloads" % len(seeds), flush=True)
        done = 0
        last = time.time()
        while done < self.args.count:
            self.set_mode(self.rng.choice(("yes", "no")))
            for _ in range(min(BATCH, self.args.count - done)):
                self.one(seeds, bodies)
                done += 1
            if not self.ctl.call("PING") == b"PONG":
                self.alive_or_restart({"mode": self.mode}, b"", "control PING after a batch")
            if time.time() - last > 30:
                last = time.time()
                print("  %d/%d inputs, %d findings" % (done, self.args.count, sum(self.f.found.values())), flush=True)
        extra = []
        panics = self.reddish.panic_lines()
        if panics:
            self.f.add("panic-in-log", panics[0], {"server-log-tail.txt": self.reddish.tail(100)})
        rc = self.reddish.stop()
        extra.append("reddish stopped: %s" % fl.describe_exit(rc))
        if self.redis:
            self.redis.stop()
        return self.f.report(extra)


def replay(args):
    case_path = args.replay
    import json
    with open(case_path) as fh:
        case = json.load(fh)
    with open(os.path.join(os.path.dirname(case_path), "payload.bin"), "rb") as fh:
        payload = fh.read()
    folder = "/tmp/reddish-fuzz-restore-replay-%d" % os.getpid()
    srv = start(args.server, args.port, folder)
    conn = fl.Conn(args.port, timeout=10)
    print("case:", case)
    rc = 0
    try:
        conn.call("CONFIG", "SET", "sanitize-dump-payload", case.get("mode") or "yes")
        r = conn.call("RESTORE", "fz", "0", payload, "REPLACE")
        print("RESTORE ->", r)
        for c in case.get("commands", []):
            print(" ".join(fl.text(a) for a in c), "->", repr(conn.call(*c))[:300])
        if r == b"OK":
            try:
                fl.check_key(conn, "fz", random.Random(0), write=False)
                fl.roundtrip_digest(conn, "fz", "fz:copy")
                fl.check_key(conn, "fz", random.Random(0), write=True)
                print("key checks passed")
            except fl.Misbehaviour as e:
                print("MISBEHAVES:", e)
                rc = 1
    except (fl.Closed, fl.Timeout) as e:
        print("connection lost:", type(e).__name__)
        rc = 1
    time.sleep(0.2)
    print("server:", fl.describe_exit(srv.proc.poll()), "panics:", srv.panic_lines())
    srv.stop()
    return rc


def main():
    fl.run_main(__doc__, 100000, 7420, Fuzzer, replay)


if __name__ == "__main__":
    main()
