#!/usr/bin/env python3
"""fuzz-resp.py: random and mutated requests over many connections.

Usage:
  scripts/fuzz-resp.py [--seed N] [--count N] [--server PATH] [--port P]
                       [--batch N] [--out DIR] [-v]
  scripts/fuzz-resp.py --replay DIR/session.json [--server PATH] [--port P]

The server runs with `--enable-debug-command yes` (and `--maxmemory 2gb`
with random eviction, so that a huge value cannot take the machine).
Inputs come in batches (--batch, 200) over 2-12 worker connections opened
for the batch, plus throw-away connections:

- `valid`: a well-formed command of one family (strings, bits, keys,
  expiry, lists, hashes, sets, sorted sets, streams, blocking commands with
  short timeouts, CLIENT, CONFIG GET and safe CONFIG SETs, OBJECT, SORT,
  DUMP/RESTORE (with payloads DUMPed earlier, sometimes mutated with a
  recomputed CRC), SCAN, MEMORY, DEBUG without SLEEP/SEGFAULT/RELOAD/
  RESTART, server commands, FLUSHALL) over a small key space, so types
  collide;
- `mutated`: such a command with arguments dropped, added, swapped or
  replaced by huge, negative or garbage numbers, other keys or binary;
- `transaction`: MULTI/EXEC/DISCARD/WATCH sequences, pipelined;
- `pipeline`: up to 30 commands in one write;
- `inline`: a valid command as an inline line;
- `malformed`: bad multibulk and bulk lengths (negative, huge, not
  numbers), missing '$' or CRLF, unbalanced quotes, oversized inline
  lines, mutated framing, on a throw-away connection, in 1-3 pieces;
- `garbage`: random bytes on a throw-away connection;
- `abrupt`: a worker closed with RST, sometimes mid-request;
- `send-close`: a throw-away connection that sends a request (or three;
  sometimes ending with a blocking command without timeout) and closes at
  once (TCP_CORK then close, one send then close, or shutdown(SHUT_WR)).

A worker's request must be answered within 5 s; a blocking command that
is still blocked after 2 s is released with CLIENT UNBLOCK first. After
every batch a control connection must get PONG, the batch's connections
are closed and CLIENT LIST is polled until only the control client is
left. Findings: the server exiting (crash), panic lines in its log, no
reply (hang), no PONG (unresponsive), a worker connection closed by the
server without reason (unexpected-close), clients left behind (with their
CLIENT LIST lines). Each finding saves session.json, the batch's
connections and bytes in order, which `--replay` sends again.
"""

import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib as fl  # noqa: E402

KEYS = ["k%d" % i for i in range(6)] + ["{t}a", "{t}b", "s", "l", "h", "z", "x", "bit"]
BLOCKING = {"BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
            "XREAD", "XREADGROUP", "WAIT"}
# Commands whose numbers are never replaced by huge ones (memory or time
# would explode in Redis too) and commands never mutated.
EXPENSIVE = {"SETRANGE", "SETBIT", "BITFIELD", "BITFIELD_RO", "SRANDMEMBER", "HRANDFIELD",
             "ZRANDMEMBER", "LPOS"} | BLOCKING
NO_MUTATE = {"DEBUG", "CONFIG", "CLIENT"}
HUGE = ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551616",
        "4294967296", "2147483648", "-2147483649", "99999999999999999999999", "1e308", "-1e308",
        "1e400", "nan", "inf", "-inf", "+inf"]
GARBAGE = ["", " ", "-", "+", "0x10", " 1", "1 ", "1.5", "-0", "00", "1e3", "abc", "\x00", "\xff\xfe",
           "-1", "0", "1", "-2", "(1", "[a", "+", "-", "*", "$", ">", "~", "withscores", "LIMIT",
           "COUNT", "MATCH", "TYPE", "REV", "BYSCORE", "BYLEX"]
SMALL = ["-1", "0", "1", "2", "3", "-3", "7", "100", "-100", "1.5"]


class Gen:
    """Random commands over the key space."""

    def __init__(self, rng):
        self.rng = rng
        self.dumps = []
        self.worker_ids = []

    def k(self):
        return self.rng.choice(KEYS)

    def keys(self, lo=1, hi=4):
        return [self.k() for _ in range(self.rng.randint(lo, hi))]

    def v(self):
        r = self.rng.random()
        if r < 0.3:
            return str(self.rng.randint(-1000, 100000))
        if r < 0.6:
            return self.rng.choice(["a", "b", "c", "foo", "bar", "hello", "x" * 10])
        if r < 0.75:
            return "v" * self.rng.choice((45, 70, 200, 3000))
        if r < 0.85:
            return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 20)))
        return self.rng.choice(["", "1.5", "-0", "3.0e5", "inf", "9223372036854775807"])

    def n(self, lo=-5, hi=20):
        return str(self.rng.randint(lo, hi))

    def f(self):
        return self.rng.choice(["0", "1.5", "-2.25", "1e3", "inf", "-inf", str(self.rng.uniform(-100, 100))])

    def sid(self):
        r = self.rng.randint(0, 9)
        return ["*", "0", "0-0", "$", "-", "+", "1-1", "%d-%d" % (self.rng.randint(0, 5), self.rng.randint(0, 3)),
                "%d" % self.rng.randint(0, 10), "1-*"][r]

    def tmo(self):
        return self.rng.choice(["0.01", "0.02", "0.05", "0.1"])

    def one_of(self, *opts):
        return list(self.rng.choice(opts))

    def maybe(self, p, *args):
        return list(args) if self.rng.random() < p else []

    def zlex(self):
        return self.rng.choice(["-", "+", "[a", "(a", "[foo", "(z"])

    def zscore(self):
        return self.rng.choice(["-inf", "+inf", "0", "(1", "1.5", "(5", self.n()])


def families(g):
    """family -> list of generators (each returns a list of arguments)."""
    R = g.rng
    return {
        "strings": [
            lambda: ["SET", g.k(), g.v()] + g.one_of([], ["NX"], ["XX"], ["GET"], ["EX", g.n(1, 100)],
                                                      ["PX", g.n(1, 100000)], ["KEEPTTL"], ["EXAT", "4102444800"]),
            lambda: ["GET", g.k()], lambda: ["GETEX", g.k()] + g.one_of([], ["PERSIST"], ["EX", "100"]),
            lambda: ["GETDEL", g.k()], lambda: ["GETSET", g.k(), g.v()],
            lambda: ["MSET"] + sum([[g.k(), g.v()] for _ in range(R.randint(1, 3))], []),
            lambda: ["MSETNX"] + sum([[g.k(), g.v()] for _ in range(R.randint(1, 3))], []),
            lambda: ["MGET"] + g.keys(), lambda: ["APPEND", g.k(), g.v()], lambda: ["STRLEN", g.k()],
            lambda: ["INCR", g.k()], lambda: ["DECR", g.k()], lambda: ["INCRBY", g.k(), g.n(-1000, 1000)],
            lambda: ["DECRBY", g.k(), g.n()], lambda: ["INCRBYFLOAT", g.k(), g.f()],
            lambda: ["SETRANGE", g.k(), g.n(0, 300), g.v()], lambda: ["GETRANGE", g.k(), g.n(), g.n()],
            lambda: ["SUBSTR", g.k(), g.n(), g.n()], lambda: ["SETNX", g.k(), g.v()],
            lambda: ["SETEX", g.k(), g.n(1, 100), g.v()], lambda: ["PSETEX", g.k(), g.n(1, 1000), g.v()],
            lambda: ["LCS", g.k(), g.k()] + g.one_of([], ["LEN"], ["IDX", "MINMATCHLEN", "1", "WITHMATCHLEN"]),
        ],
        "bits": [
            lambda: ["SETBIT", g.k(), g.n(0, 2000), R.choice("01")], lambda: ["GETBIT", g.k(), g.n(0, 2000)],
            lambda: ["BITCOUNT", g.k()] + g.maybe(0.5, g.n(), g.n()) + g.maybe(0.3, R.choice(["BYTE", "BIT"])),
            lambda: ["BITPOS", g.k(), R.choice("01")] + g.maybe(0.5, g.n(), g.n()) + g.maybe(0.3, "BIT"),
            lambda: ["BITOP", R.choice(["AND", "OR", "XOR", "NOT"]), g.k()] + g.keys(1, 3),
            lambda: ["BITFIELD", g.k()] + g.one_of(["GET", "u8", "0"], ["SET", "i16", "#1", g.n()],
                                                   ["INCRBY", "u4", "100", g.n()],
                                                   ["OVERFLOW", R.choice(["WRAP", "SAT", "FAIL"]), "INCRBY", "i8", "0", "200"]),
            lambda: ["BITFIELD_RO", g.k(), "GET", R.choice(["u8", "i64", "u63"]), g.n(0, 100)],
        ],
        "keys": [
            lambda: ["DEL"] + g.keys(), lambda: ["UNLINK"] + g.keys(), lambda: ["EXISTS"] + g.keys(),
            lambda: ["TYPE", g.k()], lambda: ["RENAME", g.k(), g.k()], lambda: ["RENAMENX", g.k(), g.k()],
            lambda: ["COPY", g.k(), g.k()] + g.maybe(0.5, "REPLACE") + g.maybe(0.2, "DB", g.n(0, 3)),
            lambda: ["KEYS", R.choice(["*", "k*", "?", "[a-z]*", "\\*", "{t}*"])], lambda: ["RANDOMKEY"],
            lambda: ["TOUCH"] + g.keys(), lambda: ["DBSIZE"], lambda: ["MOVE", g.k(), g.n(0, 3)],
            lambda: ["SELECT", g.n(0, 3)], lambda: ["SWAPDB", g.n(0, 3), g.n(0, 3)],
            lambda: ["FLUSHDB"] + g.maybe(0.3, R.choice(["ASYNC", "SYNC"])),
        ],
        "expiry": [
            lambda: [R.choice(["EXPIRE", "PEXPIRE"]), g.k(), g.n(0, 1000)] + g.maybe(0.4, R.choice(["NX", "XX", "GT", "LT"])),
            lambda: [R.choice(["EXPIREAT", "PEXPIREAT"]), g.k(), R.choice(["1", "4102444800", g.n()])],
            lambda: [R.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"]), g.k()],
        ],
        "lists": [
            lambda: [R.choice(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), g.k()] + [g.v() for _ in range(R.randint(1, 5))],
            lambda: [R.choice(["LPOP", "RPOP"]), g.k()] + g.maybe(0.4, g.n(0, 5)),
            lambda: ["LRANGE", g.k(), g.n(), g.n()], lambda: ["LINDEX", g.k(), g.n()],
            lambda: ["LSET", g.k(), g.n(), g.v()], lambda: ["LINSERT", g.k(), R.choice(["BEFORE", "AFTER"]), g.v(), g.v()],
            lambda: ["LLEN", g.k()], lambda: ["LREM", g.k(), g.n(), g.v()], lambda: ["LTRIM", g.k(), g.n(), g.n()],
            lambda: ["LPOS", g.k(), g.v()] + g.maybe(0.3, "RANK", g.n()) + g.maybe(0.3, "COUNT", g.n(0, 5)) + g.maybe(0.3, "MAXLEN", g.n(0, 10)),
            lambda: ["LMOVE", g.k(), g.k(), R.choice(["LEFT", "RIGHT"]), R.choice(["LEFT", "RIGHT"])],
            lambda: ["RPOPLPUSH", g.k(), g.k()],
            lambda: ["LMPOP", "2", g.k(), g.k(), R.choice(["LEFT", "RIGHT"])] + g.maybe(0.5, "COUNT", g.n(1, 5)),
        ],
        "hashes": [
            lambda: [R.choice(["HSET", "HMSET"]), g.k()] + sum([[g.v(), g.v()] for _ in range(R.randint(1, 4))], []),
            lambda: ["HSETNX", g.k(), g.v(), g.v()], lambda: ["HGET", g.k(), g.v()],
            lambda: ["HMGET", g.k(), g.v(), g.v()], lambda: ["HDEL", g.k(), g.v(), g.v()],
            lambda: [R.choice(["HLEN", "HKEYS", "HVALS", "HGETALL"]), g.k()],
            lambda: ["HSTRLEN", g.k(), g.v()], lambda: ["HEXISTS", g.k(), g.v()],
            lambda: ["HINCRBY", g.k(), g.v(), g.n()], lambda: ["HINCRBYFLOAT", g.k(), g.v(), g.f()],
            lambda: ["HRANDFIELD", g.k()] + g.maybe(0.6, g.n(-10, 10)) + g.maybe(0.3, "WITHVALUES"),
        ],
        "sets": [
            lambda: ["SADD", g.k()] + [g.v() for _ in range(R.randint(1, 6))], lambda: ["SREM", g.k(), g.v()],
            lambda: [R.choice(["SMEMBERS", "SCARD"]), g.k()], lambda: ["SISMEMBER", g.k(), g.v()],
            lambda: ["SMISMEMBER", g.k(), g.v(), g.v()], lambda: ["SPOP", g.k()] + g.maybe(0.5, g.n(0, 5)),
            lambda: ["SRANDMEMBER", g.k()] + g.maybe(0.6, g.n(-10, 10)), lambda: ["SMOVE", g.k(), g.k(), g.v()],
            lambda: [R.choice(["SINTER", "SUNION", "SDIFF"])] + g.keys(),
            lambda: [R.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), g.k()] + g.keys(),
            lambda: ["SINTERCARD", "2", g.k(), g.k()] + g.maybe(0.5, "LIMIT", g.n(0, 5)),
        ],
        "zsets": [
            lambda: ["ZADD", g.k()] + g.maybe(0.2, R.choice(["NX", "XX"])) + g.maybe(0.2, R.choice(["GT", "LT"]))
            + g.maybe(0.2, "CH") + sum([[g.f(), g.v()] for _ in range(R.randint(1, 4))], []),
            lambda: ["ZADD", g.k(), "INCR", g.f(), g.v()], lambda: ["ZINCRBY", g.k(), g.f(), g.v()],
            lambda: ["ZREM", g.k(), g.v()], lambda: ["ZCARD", g.k()], lambda: ["ZCOUNT", g.k(), g.zscore(), g.zscore()],
            lambda: ["ZLEXCOUNT", g.k(), g.zlex(), g.zlex()], lambda: ["ZSCORE", g.k(), g.v()],
            lambda: ["ZMSCORE", g.k(), g.v(), g.v()], lambda: [R.choice(["ZRANK", "ZREVRANK"]), g.k(), g.v()],
            lambda: ["ZRANGE", g.k(), g.n(), g.n()] + g.maybe(0.3, "REV") + g.maybe(0.4, "WITHSCORES"),
            lambda: ["ZRANGE", g.k(), g.zscore(), g.zscore(), "BYSCORE"] + g.maybe(0.4, "LIMIT", g.n(), g.n()),
            lambda: ["ZRANGE", g.k(), g.zlex(), g.zlex(), "BYLEX"] + g.maybe(0.3, "REV"),
            lambda: ["ZRANGESTORE", g.k(), g.k(), g.n(), g.n()],
            lambda: [R.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), g.k(), g.zscore(), g.zscore()] + g.maybe(0.4, "WITHSCORES"),
            lambda: [R.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), g.k(), g.zlex(), g.zlex()],
            lambda: ["ZREMRANGEBYRANK", g.k(), g.n(), g.n()], lambda: ["ZREMRANGEBYSCORE", g.k(), g.zscore(), g.zscore()],
            lambda: ["ZREMRANGEBYLEX", g.k(), g.zlex(), g.zlex()],
            lambda: [R.choice(["ZPOPMIN", "ZPOPMAX"]), g.k()] + g.maybe(0.5, g.n(0, 5)),
            lambda: ["ZMPOP", "2", g.k(), g.k(), R.choice(["MIN", "MAX"])] + g.maybe(0.5, "COUNT", g.n(1, 5)),
            lambda: [R.choice(["ZUNION", "ZINTER", "ZDIFF"]), "2", g.k(), g.k()] + g.maybe(0.3, "WITHSCORES"),
            lambda: [R.choice(["ZUNIONSTORE", "ZINTERSTORE"]), g.k(), "2", g.k(), g.k()]
            + g.maybe(0.3, "WEIGHTS", g.f(), g.f()) + g.maybe(0.3, "AGGREGATE", R.choice(["SUM", "MIN", "MAX"])),
            lambda: ["ZDIFFSTORE", g.k(), "2", g.k(), g.k()], lambda: ["ZINTERCARD", "2", g.k(), g.k()],
            lambda: ["ZRANDMEMBER", g.k()] + g.maybe(0.6, g.n(-10, 10)) + g.maybe(0.3, "WITHSCORES"),
        ],
        "streams": [
            lambda: ["XADD", g.k()] + g.maybe(0.2, "NOMKSTREAM") + g.maybe(0.2, R.choice(["MAXLEN", "MINID"]), R.choice(["~", "="]), g.n(0, 10))
            + [R.choice(["*", "*", g.sid()])] + sum([[g.v(), g.v()] for _ in range(R.randint(1, 3))], []),
            lambda: ["XLEN", g.k()], lambda: [R.choice(["XRANGE", "XREVRANGE"]), g.k(), g.sid(), g.sid()] + g.maybe(0.4, "COUNT", g.n(0, 5)),
            lambda: ["XDEL", g.k(), g.sid()], lambda: ["XTRIM", g.k(), R.choice(["MAXLEN", "MINID"]), g.n(0, 10)],
            lambda: ["XGROUP", "CREATE", g.k(), R.choice(["g1", "g2"]), R.choice(["$", "0", g.sid()])] + g.maybe(0.5, "MKSTREAM")
            + g.maybe(0.2, "ENTRIESREAD", g.n()),
            lambda: ["XGROUP", "SETID", g.k(), R.choice(["g1", "g2"]), R.choice(["$", "0"])],
            lambda: ["XGROUP", R.choice(["DESTROY"]), g.k(), R.choice(["g1", "g2"])],
            lambda: ["XGROUP", R.choice(["CREATECONSUMER", "DELCONSUMER"]), g.k(), R.choice(["g1", "g2"]), R.choice(["c1", "c2"])],
            lambda: ["XREADGROUP", "GROUP", R.choice(["g1", "g2"]), R.choice(["c1", "c2"])] + g.maybe(0.5, "COUNT", g.n(1, 5))
            + g.maybe(0.3, "NOACK") + ["STREAMS", g.k(), R.choice([">", "0", g.sid()])],
            lambda: ["XACK", g.k(), R.choice(["g1", "g2"]), g.sid()],
            lambda: ["XPENDING", g.k(), R.choice(["g1", "g2"])] + g.maybe(0.6, "-", "+", g.n(0, 10)) ,
            lambda: ["XPENDING", g.k(), "g1", "IDLE", g.n(0, 10), "-", "+", "10", "c1"],
            lambda: ["XCLAIM", g.k(), "g1", "c2", g.n(0, 10), g.sid()] + g.maybe(0.3, "FORCE") + g.maybe(0.3, "JUSTID")
            + g.maybe(0.2, "RETRYCOUNT", g.n(0, 5)) + g.maybe(0.2, "LASTID", g.sid()),
            lambda: ["XAUTOCLAIM", g.k(), "g1", "c1", g.n(0, 10), g.sid()] + g.maybe(0.5, "COUNT", g.n(1, 10)) + g.maybe(0.3, "JUSTID"),
            lambda: ["XINFO", "STREAM", g.k()] + g.maybe(0.5, "FULL") + g.maybe(0.3, "COUNT", g.n(0, 5)),
            lambda: ["XINFO", R.choice(["GROUPS"]), g.k()], lambda: ["XINFO", "CONSUMERS", g.k(), "g1"],
            lambda: ["XSETID", g.k(), g.sid()] + g.maybe(0.3, "ENTRIESADDED", g.n(0, 100)) + g.maybe(0.3, "MAXDELETEDID", g.sid()),
        ],
        "blocking": [
            lambda: [R.choice(["BLPOP", "BRPOP"])] + g.keys(1, 3) + [g.tmo()],
            lambda: ["BLMOVE", g.k(), g.k(), "LEFT", "RIGHT", g.tmo()], lambda: ["BRPOPLPUSH", g.k(), g.k(), g.tmo()],
            lambda: ["BLMPOP", g.tmo(), "2", g.k(), g.k(), "LEFT"] + g.maybe(0.5, "COUNT", "2"),
            lambda: [R.choice(["BZPOPMIN", "BZPOPMAX"])] + g.keys(1, 3) + [g.tmo()],
            lambda: ["BZMPOP", g.tmo(), "1", g.k(), R.choice(["MIN", "MAX"])],
            lambda: ["XREAD", "BLOCK", g.n(1, 50), "STREAMS", g.k(), R.choice(["$", "0", g.sid()])],
            lambda: ["XREADGROUP", "GROUP", "g1", "c1", "BLOCK", g.n(1, 50), "STREAMS", g.k(), ">"],
            lambda: ["WAIT", "0", g.n(0, 20)],
        ],
        "client": [
            lambda: ["CLIENT", R.choice(["ID", "INFO", "GETNAME", "HELP"])],
            lambda: ["CLIENT", "LIST"] + g.maybe(0.4, "TYPE", R.choice(["normal", "pubsub", "replica", "master"])),
            lambda: ["CLIENT", "LIST", "ID"] + [str(i) for i in R.sample(g.worker_ids, min(2, len(g.worker_ids)))] + ["99999"],
            lambda: ["CLIENT", "SETNAME", R.choice(["w1", "fuzz", "a-b", "has space", ""])],
            lambda: ["CLIENT", "KILL", "ID", str(R.choice(g.worker_ids + [999999]))],
            lambda: ["CLIENT", "KILL", R.choice(["ADDR", "LADDR"]), R.choice(["1.2.3.4:5", "127.0.0.1:1", "x"])],
            lambda: ["CLIENT", "KILL", "1.2.3.4:5"], lambda: ["CLIENT", "KILL", "USER", "nobody"],
            lambda: ["CLIENT", "UNBLOCK", str(R.choice(g.worker_ids + [999999]))] + g.maybe(0.5, R.choice(["TIMEOUT", "ERROR"])),
            lambda: ["CLIENT", "NO-EVICT", R.choice(["on", "off", "maybe"])], lambda: ["CLIENT", "UNPAUSE"],
        ],
        "config": [
            lambda: ["CONFIG", "GET", R.choice(["*", "maxmemory*", "save", "*max*entries*", "port", "nosuch", "[a-c]*"])],
            lambda: ["CONFIG", "SET"] + R.choice([
                ["list-max-listpack-size", R.choice(["-2", "-1", "1", "2", "4"])],
                ["list-compress-depth", R.choice(["0", "1", "2"])],
                ["hash-max-listpack-entries", R.choice(["0", "1", "4", "128"])],
                ["hash-max-listpack-value", R.choice(["0", "8", "64"])],
                ["set-max-intset-entries", R.choice(["0", "2", "512"])],
                ["zset-max-listpack-entries", R.choice(["0", "2", "128"])],
                ["zset-max-listpack-value", R.choice(["0", "8", "64"])],
                ["stream-node-max-entries", R.choice(["1", "2", "100"])],
                ["stream-node-max-bytes", R.choice(["0", "100", "4096"])],
                ["lazyfree-lazy-user-del", R.choice(["yes", "no"])],
                ["maxmemory-policy", R.choice(["allkeys-lfu", "allkeys-random", "volatile-lru"])],
                ["nosuch-directive", "1"], ["hz", "abc"]]),
            lambda: ["CONFIG", "RESETSTAT"], lambda: ["CONFIG", "HELP"],
        ],
        "object": [lambda: ["OBJECT", R.choice(["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"]), g.k()],
                   lambda: ["OBJECT", "HELP"]],
        "sort": [
            lambda: [R.choice(["SORT", "SORT_RO"]), g.k()] + g.maybe(0.3, "BY", R.choice(["nosort", "w_*", "h->f"]))
            + g.maybe(0.3, "LIMIT", g.n(), g.n()) + g.maybe(0.3, "GET", R.choice(["#", "k*", "h->f"]))
            + g.maybe(0.3, R.choice(["ASC", "DESC"])) + g.maybe(0.4, "ALPHA"),
            lambda: ["SORT", g.k(), "ALPHA", "STORE", g.k()],
        ],
        "dump": [
            lambda: ["DUMP", g.k()],
            lambda: ["RESTORE", g.k(), R.choice(["0", "0", "1000", "-1"]), g.payload()]
            + g.maybe(0.5, "REPLACE") + g.maybe(0.2, "ABSTTL") + g.maybe(0.2, "IDLETIME", "10")
            + g.maybe(0.1, "FREQ", "5"),
        ],
        "scan": [
            lambda: ["SCAN", R.choice(["0", "0", "1", "17", "99999999999"])] + g.maybe(0.4, "MATCH", R.choice(["k*", "*", "?"]))
            + g.maybe(0.4, "COUNT", g.n(1, 100)) + g.maybe(0.3, "TYPE", R.choice(["string", "list", "hash", "stream", "nosuch"])),
            lambda: [R.choice(["HSCAN", "SSCAN", "ZSCAN"]), g.k(), R.choice(["0", "1", "12"])] + g.maybe(0.4, "MATCH", "*a*")
            + g.maybe(0.4, "COUNT", g.n(1, 100)),
        ],
        "memory": [lambda: ["MEMORY", "USAGE", g.k()] + g.maybe(0.3, "SAMPLES", g.n(0, 10)),
                   lambda: ["MEMORY", R.choice(["STATS", "DOCTOR", "MALLOC-STATS", "PURGE", "HELP"])]],
        "debug": [
            lambda: ["DEBUG", "DIGEST"], lambda: ["DEBUG", "DIGEST-VALUE"] + g.keys(),
            lambda: ["DEBUG", "OBJECT", g.k()], lambda: ["DEBUG", "SET-ACTIVE-EXPIRE", R.choice("01")],
            lambda: ["DEBUG", "PROTOCOL", R.choice(["string", "integer", "double", "bignum", "null", "array", "set",
                                                    "map", "attrib", "push", "verbatim", "true", "false", "nosuch"])],
            lambda: ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", R.choice(["0", "1", "100", "1k"])],
            lambda: ["DEBUG", "POPULATE", g.n(0, 300), R.choice(["key", "p"]), g.n(1, 50)],
            lambda: ["DEBUG", "LOG", "fuzz"], lambda: ["DEBUG", "ERROR", "oops"], lambda: ["DEBUG", "HELP"],
        ],
        "server": [
            lambda: ["PING"] + g.maybe(0.3, g.v()), lambda: ["ECHO", g.v()], lambda: ["TIME"], lambda: ["LASTSAVE"],
            lambda: ["INFO"] + g.maybe(0.5, R.choice(["server", "clients", "memory", "keyspace", "all", "everything", "stats"])),
            lambda: ["COMMAND", R.choice(["COUNT", "LIST", "HELP"])], lambda: ["COMMAND", "INFO", "get", "set", "nosuch"],
            lambda: ["COMMAND", "DOCS", "xadd"], lambda: ["COMMAND", "GETKEYS", "SET", "a", "b"],
            lambda: ["HELLO", R.choice(["2", "3"])] + g.maybe(0.2, "SETNAME", "h"), lambda: ["RESET"],
            lambda: ["SLOWLOG", R.choice(["GET", "LEN", "RESET"])], lambda: ["LATENCY", R.choice(["LATEST", "DOCTOR", "RESET", "HISTOGRAM"])],
            lambda: ["ROLE"], lambda: ["FLUSHALL"] + g.maybe(0.3, R.choice(["ASYNC", "SYNC"])),
            lambda: [R.choice(["NOSUCHCMD", "GET\x00", "", "set ", "\xff"])] + g.maybe(0.5, g.k()),
        ],
    }


def forever(g):
    """A blocking command without timeout."""
    k = g.k
    return g.rng.choice([
        ["BLPOP", k(), "0"], ["BRPOP", k(), k(), "0"], ["BLMOVE", k(), k(), "LEFT", "RIGHT", "0"],
        ["BRPOPLPUSH", k(), k(), "0"], ["BZPOPMIN", k(), "0"], ["BZPOPMAX", k(), "0"],
        ["BLMPOP", "0", "1", k(), "LEFT"], ["BZMPOP", "0", "1", k(), "MIN"],
        ["XREAD", "BLOCK", "0", "STREAMS", k(), "$"],
        ["XREADGROUP", "GROUP", "g1", "c1", "BLOCK", "0", "STREAMS", k(), ">"]])


def mutate_command(rng, args, g):
    """A copy of `args` with 1-2 random changes (not for NO_MUTATE)."""
    args = [fl.to_bytes(a) for a in args]
    name = args[0].upper().decode("latin-1") if args else ""
    if name in NO_MUTATE:
        return args, "unmutated"
    ops = []
    for _ in range(rng.choice((1, 1, 2))):
        op = rng.choice(("drop", "add", "swap", "number", "number", "garbage", "key", "binary", "dup", "case"))
        if op == "drop" and len(args) > 1:
            del args[rng.randrange(1, len(args))]
        elif op == "add":
            args.insert(rng.randrange(1, len(args) + 1), fl.to_bytes(rng.choice(GARBAGE + SMALL + [g.k()])))
        elif op == "swap" and len(args) > 2:
            i, j = rng.sample(range(1, len(args)), 2)
            args[i], args[j] = args[j], args[i]
        elif op == "number" and len(args) > 1:
            pool = SMALL + GARBAGE[:15] if name in EXPENSIVE else HUGE + SMALL
            args[rng.randrange(1, len(args))] = fl.to_bytes(rng.choice(pool))
        elif op == "garbage" and len(args) > 1:
            args[rng.randrange(1, len(args))] = fl.to_bytes(rng.choice(GARBAGE))
        elif op == "key" and len(args) > 1:
            args[rng.randrange(1, len(args))] = fl.to_bytes(g.k())
        elif op == "binary" and len(args) > 1:
            args[rng.randrange(1, len(args))] = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 12)))
        elif op == "dup" and len(args) > 1:
            i = rng.randrange(1, len(args))
            args.insert(i, args[i])
        elif op == "case":
            args[0] = args[0].lower() if rng.random() < 0.5 else args[0].swapcase()
        ops.append(op)
    if name in BLOCKING and args[-1:] == [b"0"]:
        args[-1] = b"0.01"  # keep a short timeout (CLIENT UNBLOCK handles the rest)
    return args, "+".join(ops) or "none"


def malformed(rng, g):
    """Bytes that are not a well-formed request, and their kind."""
    valid = fl.encode([fl.to_bytes(a) for a in rng.choice(g.fams[rng.choice(g.unowned)])()])
    cases = [
        ("null-multibulk", b"*-1\r\n" + valid), ("empty-multibulk", b"*0\r\n" + valid),
        ("negative-multibulk", b"*-5\r\n"), ("multibulk-not-number", b"*abc\r\n"),
        ("multibulk-trailing", b"*1x\r\n"), ("multibulk-too-big", b"*%d\r\n" % (1024 * 1024 + 1)),
        ("multibulk-2^31", b"*2147483648\r\n"), ("multibulk-overflow", b"*99999999999999999999\r\n"),
        ("multibulk-huge-few-args", b"*1000000\r\n$4\r\nPING\r\n"),
        ("bulk-negative", b"*1\r\n$-1\r\n"), ("bulk-not-number", b"*1\r\n$abc\r\n"),
        ("bulk-too-big", b"*1\r\n$%d\r\n" % (512 * 1024 * 1024 + 1)), ("bulk-2^31", b"*1\r\n$2147483648\r\n"),
        ("bulk-plus-sign", b"*1\r\n$+4\r\nPING\r\n"), ("leading-zeros", b"*01\r\n$04\r\nPING\r\n"),
        ("missing-dollar", b"*2\r\n$3\r\nfoo\r\nbar\r\n"), ("nested-array", b"*1\r\n*1\r\n$4\r\nPING\r\n"),
        ("bulk-longer-than-declared", b"*1\r\n$3\r\nfoobar\r\n"), ("bulk-without-crlf", b"*1\r\n$4\r\nPINGxx"),
        ("incomplete-bulk", b"*1\r\n$4\r\nPI"), ("incomplete-count", b"*2\r\n$4\r\nPING\r\n"),
        ("big-bulk-partial", b"*1\r\n$100000000\r\n" + b"x" * rng.choice((10, 40000, 100000))),
        ("unbalanced-quotes", b"SET k \"unbalanced\r\n"), ("unbalanced-single", b"SET k 'a\r\n"),
        ("quote-then-char", b"SET \"a\"b c\r\n"), ("empty-lines", b"\r\n\n\r\n" + valid),
        ("lf-only-inline", b"PING\nPING\n"), ("inline-nul", b"PI\x00NG\r\n"),
        ("inline-too-big", b"a" * rng.choice((65536, 70000, 200000))),
        ("inline-long-line", b"SET k " + b"v" * 70000 + b"\r\n"),
        ("resp3-type-first", b"%1\r\n+a\r\n+b\r\n"), ("cr-only", b"*1\r$4\rPING\r"),
        ("valid-then-garbage", valid + bytes(rng.getrandbits(8) for _ in range(20))),
    ]
    kind, data = rng.choice(cases)
    if rng.random() < 0.25:
        data, op = fl.mutate_bytes(rng, valid)
        kind = "mutated-framing-" + op
    return kind, data


class Recorder:
    """The batch's connection events, for the reproducer."""

    def __init__(self):
        self.events = []

    def add(self, conn, op, data=b"", replies=0, how=None):
        e = {"conn": conn, "op": op}
        if data:
            e["data"] = data.hex()
        if replies:
            e["replies"] = replies
        if how:
            e["how"] = how
        self.events.append(e)


class Worker:
    def __init__(self, port, cid):
        self.conn = fl.Conn(port, timeout=5)
        self.cid = cid
        self.expect_close = False
        self.id = None


def how_it_ended(events):
    """How a connection's events end: its close, and what it sent last."""
    closes = [e for e in events if e["op"] in ("close", "send-close")]
    sends = [e for e in events if e["op"] in ("send", "send-close")]
    if not closes:
        return "not-closed"
    label = closes[-1]["op"].replace("close", "") + closes[-1].get("how", "?")
    if sends and sends[-1]["op"] == "send" and sends[-1].get("replies") is None:
        label += "-partial-request"
    return label


def close_socket(sock, how):
    try:
        if how == "rst":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, fl.struct.pack("ii", 1, 0))
        elif how == "shutwr":
            sock.shutdown(socket.SHUT_WR)
        sock.close()
    except OSError:
        pass


def send_and_close(port, data, how):
    """A connection that sends `data` and closes at once, without reading."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    local = s.getsockname()[1]
    try:
        if how == "cork":
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            s.sendall(data)
        elif how == "shutwr":
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        else:
            s.sendall(data)
    except OSError:
        pass
    close_socket(s, "rst" if how == "rst" else "fin")
    return local


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = fl.setup(args, "resp")
        self.f = fl.Findings(args.out, args.max_saved, args.verbose)
        self.g = Gen(self.rng)
        self.g.fams = families(self.g)
        # Families for connections whose replies are not read (no CLIENT
        # KILL there: a killed worker would look closed without reason).
        self.g.unowned = [f for f in self.g.fams if f != "client"]
        self.g.payload = self.payload
        self.start()

    def start(self):
        folder = os.path.join(self.args.out, "server-%d" % int(time.time() * 1000))
        self.srv = fl.Server(self.args.server, self.args.port, folder,
                             ["--enable-debug-command", "yes", "--maxmemory", "2gb",
                              "--maxmemory-policy", "allkeys-random"]).start()
        self.ctl = fl.Conn(self.args.port, timeout=5)
        self.ctl.call("CLIENT", "SETNAME", "fuzz-control")
        self.ctl_id = self.ctl.call("CLIENT", "ID")
        self.log_seen = 0
        self.kill_targets = set()

    def payload(self):
        if not self.g.dumps or self.rng.random() < 0.1:
            return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 30)))
        p = self.rng.choice(self.g.dumps)
        if self.rng.random() < 0.5:
            body, version = fl.split_payload(p)
            body, _ = fl.mutate_value(self.rng, body, [fl.split_payload(d)[0] for d in self.g.dumps[:5]])
            p = fl.dump_trailer(body, version)
        return p

    # -- one batch ---------------------------------------------------------

    def batch(self, n):
        rng = self.rng
        rec = Recorder()
        self.rec = rec
        self.next_cid = 0
        self.ports = {}  # local port -> conn id
        self.closed_ports = set()
        workers = [self.open_worker() for _ in range(rng.randint(2, 12))]
        self.g.worker_ids = [w.id for w in workers if w.id is not None]
        for _ in range(n):
            self.f.inputs += 1
            r = rng.random()
            try:
                if r < 0.45:
                    fam = rng.choice(list(self.g.fams))
                    self.f.count("valid:" + fam)
                    self.request(rng.choice(workers), [rng.choice(self.g.fams[fam])()])
                elif r < 0.65:
                    fam = rng.choice(list(self.g.fams))
                    args, how = mutate_command(rng, rng.choice(self.g.fams[fam])(), self.g)
                    self.f.count("mutated:" + fam)
                    self.request(rng.choice(workers), [args])
                elif r < 0.70:
                    self.f.count("transaction")
                    self.request(rng.choice(workers), self.transaction())
                elif r < 0.75:
                    self.f.count("pipeline")
                    cmds = []
                    for _ in range(rng.randint(2, 30)):
                        cmd = rng.choice(self.g.fams[rng.choice(list(self.g.fams))])()
                        cmds.append(mutate_command(rng, cmd, self.g)[0] if rng.random() < 0.3 else cmd)
                    self.request(rng.choice(workers), cmds)
                elif r < 0.80:
                    self.f.count("inline")
                    fam = rng.choice(list(self.g.fams))
                    self.request(rng.choice(workers), [rng.choice(self.g.fams[fam])()], inline=True)
                elif r < 0.88:
                    kind, data = malformed(rng, self.g)
                    self.f.count("malformed:" + kind.split("-")[0] if kind.startswith("mutated") else "malformed:" + kind)
                    self.throwaway(data)
                elif r < 0.91:
                    self.f.count("garbage")
                    self.throwaway(bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 10, 100, 3000)))))
                elif r < 0.95:
                    self.f.count("abrupt")
                    i = rng.randrange(len(workers))
                    w = workers[i]
                    if rng.random() < 0.5:
                        data = fl.encode([fl.to_bytes(a) for a in rng.choice(self.g.fams["strings"])()])
                        data = data[:rng.randrange(1, len(data))]
                        self.rec.add(w.cid, "send", data)
                        try:
                            w.conn.send(data)
                        except fl.Closed:
                            pass
                    self.rec.add(w.cid, "close", how="rst")
                    self.closed_ports.add(w.conn.local_port)
                    w.conn.close(abrupt=True)
                    workers[i] = self.open_worker()
                else:
                    how = rng.choice(("cork", "plain", "shutwr", "cork-multi"))
                    cmds = [rng.choice(self.g.fams[rng.choice(self.g.unowned)])() for _ in
                            range(3 if how == "cork-multi" else 1)]
                    if rng.random() < 0.3:
                        # Nobody reads the reply: the command may block for good.
                        cmds[-1] = forever(self.g)
                        how += "-block0"
                    self.f.count("send-close:" + how)
                    data = b"".join(fl.encode([fl.to_bytes(a) for a in c]) for c in cmds)
                    cid = self.new_cid()
                    how = how.split("-")[0]
                    self.rec.add(cid, "send-close", data, how=how)
                    port = send_and_close(self.args.port, data, how)
                    self.ports[port] = cid
                    self.closed_ports.add(port)
            except Dead as e:
                self.dead(str(e))
                return
            except (OSError, fl.ProtocolViolation) as e:
                self.f.count("client-side-error:" + type(e).__name__)
        self.end_batch(workers)

    def new_cid(self):
        self.next_cid += 1
        return self.next_cid

    def open_worker(self):
        cid = self.new_cid()
        try:
            w = Worker(self.args.port, cid)
            w.id = w.conn.call("CLIENT", "ID")
        except (OSError, fl.Closed, fl.Timeout) as e:
            raise Dead("cannot open a connection: %s" % e)
        self.rec.add(cid, "open")
        self.rec.add(cid, "send", fl.encode(["CLIENT", "ID"]), replies=1)
        self.ports[w.conn.local_port] = cid
        return w

    def transaction(self):
        rng = self.rng
        cmds = []
        if rng.random() < 0.4:
            cmds.append(["WATCH"] + self.g.keys())
        cmds.append(["MULTI"])
        for _ in range(rng.randint(0, 5)):
            fam = rng.choice(list(self.g.fams))
            cmd = rng.choice(self.g.fams[fam])()
            cmds.append(mutate_command(rng, cmd, self.g)[0] if rng.random() < 0.2 else cmd)
        cmds.append([rng.choice(["EXEC", "EXEC", "DISCARD", "MULTI", "UNWATCH"])])
        return cmds

    def request(self, w, cmds, inline=False):
        """Sends `cmds` in one write and reads one reply each."""
        if w.conn.closed:
            return
        data = b"".join((fl.encode_inline if inline else fl.encode)([fl.to_bytes(a) for a in c]) for c in cmds)
        if inline and self.rng.random() < 0.3:
            data = data.replace(b"\r\n", b"\n")
        self.rec.add(w.cid, "send", data, replies=len(cmds))
        for c in cmds:
            words = [fl.to_bytes(a).upper() for a in c[:4]]
            if words[:2] == [b"CLIENT", b"KILL"] and len(words) > 3 and words[2] == b"ID":
                self.kill_targets.add(words[3].decode("latin-1"))
            if words[:1] == [b"QUIT"]:
                w.expect_close = True
        try:
            w.conn.send(data)
            for c in cmds:
                name = fl.to_bytes(c[0]).upper() if c else b""
                reply = self.reply(w, name)
                if name == b"DUMP" and isinstance(reply, bytes) and len(reply) > 10 and len(self.g.dumps) < 200 \
                        and fl.dump_trailer(*fl.split_payload(reply)) == reply:
                    self.g.dumps.append(reply)
        except fl.Closed as e:
            if not w.expect_close and str(w.id) not in self.kill_targets:
                if not self.srv.running():
                    raise Dead("server gone (%s)" % e)
                self.finding("unexpected-close", "the server closed worker %d (%s) after %r"
                             % (w.cid, e, data[:120]))
            w.conn.closed = True

    def reply(self, w, name):
        blocking = name.decode("latin-1") in BLOCKING
        try:
            return w.conn.read_reply(2.0 if blocking else 5.0)
        except fl.Timeout:
            pass
        if blocking:
            self.f.count("unblocked-with-client-unblock")
            try:
                self.ctl.call("CLIENT", "UNBLOCK", str(w.id))
                return w.conn.read_reply(5.0)
            except fl.Timeout:
                pass
        if not self.srv.running():
            raise Dead("server exited while %s was pending" % name)
        if not self.srv.ping(3.0):
            raise Dead("server unresponsive while %s was pending" % name)
        self.finding("no-reply", "no reply to %s on worker %d within 5 s" % (name.decode("latin-1"), w.cid))
        w.conn.close()
        w.conn.closed = True
        raise fl.Closed("timed out")

    def throwaway(self, data):
        cid = self.new_cid()
        c = fl.Conn(self.args.port, timeout=5)
        self.ports[c.local_port] = cid
        pieces = self.rng.choice((1, 1, 2, 3))
        cuts = sorted(self.rng.sample(range(1, len(data)), min(pieces - 1, max(0, len(data) - 1)))) if len(data) > 1 else []
        parts = [data[i:j] for i, j in zip([0] + cuts, cuts + [len(data)])]
        self.rec.add(cid, "open")
        for p in parts:
            self.rec.add(cid, "send", p)
            try:
                c.send(p)
            except fl.Closed:
                break
        wait = self.rng.choice((0, 0.002, 0.02))
        if wait:
            try:
                c.sock.settimeout(wait)
                c.sock.recv(65536)
            except OSError:
                pass
        how = self.rng.choice(("fin", "rst"))
        self.rec.add(cid, "close", how=how)
        self.closed_ports.add(c.local_port)
        c.close(abrupt=how == "rst")

    def end_batch(self, workers):
        for w in workers:
            how = self.rng.choice(("fin", "rst", "quit"))
            if how == "quit" and not w.conn.closed:
                self.rec.add(w.cid, "send", fl.encode(["QUIT"]))
                try:
                    w.conn.send(fl.encode(["QUIT"]))
                except fl.Closed:
                    pass
            self.rec.add(w.cid, "close", how="rst" if how == "rst" else "fin")
            self.closed_ports.add(w.conn.local_port)
            w.conn.close(abrupt=how == "rst")
        self.kill_targets = set()
        try:
            if self.ctl.call("PING", timeout=5) != b"PONG":
                raise fl.Closed("no PONG")
        except (fl.Closed, fl.Timeout) as e:
            self.dead("control PING after the batch: %s" % type(e).__name__)
            return
        self.check_log()
        left = self.leftovers(0.5)
        if left:
            for line in left:
                port = int(line.split(" addr=")[1].split(" ")[0].rsplit(":", 1)[1])
                cid = self.ports.get(port)
                self.f.count("client-left-behind")
                events = [e for e in self.rec.events if e["conn"] == cid]
                ended = how_it_ended(events) + ("-while-blocked" if "flags=b" in line else "")
                self.f.count("left-behind-after:" + ended)
                self.finding("client-left-behind-after-" + ended, "conn %s: %s" % (cid, line), {"client-list.txt": line + "\n",
                                                                               "connection.json": events})
                self.ctl.call("CLIENT", "KILL", "ID", line.split("id=")[1].split(" ")[0])
        self.ctl.pipeline([["SELECT", "0"], ["FLUSHALL"], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
                           ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]]
                          + [c for c in fl.RESET_CONFIG]
                          + [["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
                             ["CONFIG", "SET", "stream-node-max-bytes", "4096"],
                             ["CONFIG", "SET", "hash-max-listpack-value", "64"],
                             ["CONFIG", "SET", "zset-max-listpack-value", "64"]])

    def leftovers(self, wait):
        """CLIENT LIST lines of clients other than the control one still
        there after `wait` seconds."""
        deadline = time.time() + wait
        while True:
            lines = [line for line in fl.text(self.ctl.call("CLIENT", "LIST")).splitlines()
                     if line and not line.startswith("id=%d " % self.ctl_id)]
            if not lines or time.time() > deadline:
                return lines
            time.sleep(0.02)

    def check_log(self):
        panics = self.srv.panic_lines()
        if len(panics) > self.log_seen:
            self.finding("panic-in-log", panics[self.log_seen])
            self.log_seen = len(panics)

    def finding(self, kind, summary, extra=None):
        files = {"session.json": {"events": self.rec.events}}
        files.update(extra or {})
        self.f.add(kind, summary, files)

    def dead(self, why):
        time.sleep(0.2)
        rc = self.srv.proc.poll()
        panics = self.srv.panic_lines()
        kind = "crash" if rc is not None else "unresponsive"
        self.finding(kind, "%s; server %s; %s" % (why, fl.describe_exit(rc), "; ".join(panics[:2])),
                     {"server-log-tail.txt": self.srv.tail(80)})
        self.srv.kill()
        self.start()

    def run(self):
        done = 0
        last = time.time()
        while done < self.args.count:
            n = min(self.args.batch, self.args.count - done)
            self.batch(n)
            done += n
            if time.time() - last > 30:
                last = time.time()
                print("  %d/%d inputs, %d findings" % (done, self.args.count, sum(self.f.found.values())), flush=True)
        left = self.leftovers(5.0)
        extra = ["clients left at the end: %d" % len(left)] + ["  " + line for line in left]
        self.check_log()
        rc = self.srv.stop()
        extra.append("server stopped: %s" % fl.describe_exit(rc))
        if rc not in (0, None):
            self.f.add("bad-exit", "server %s at shutdown" % fl.describe_exit(rc), {"server-log-tail.txt": self.srv.tail(80)})
        return self.f.report(extra)


class Dead(Exception):
    """The server died or stopped answering."""


def replay(args):
    import json
    with open(args.replay) as fh:
        events = json.load(fh)["events"]
    folder = "/tmp/reddish-fuzz-resp-replay-%d" % os.getpid()
    srv = fl.Server(args.server, args.port, folder, ["--enable-debug-command", "yes"]).start()
    ctl = fl.Conn(args.port, timeout=5)
    ctl_id = ctl.call("CLIENT", "ID")
    conns = {}
    for e in events:
        cid, op = e["conn"], e["op"]
        data = bytes.fromhex(e.get("data", ""))
        try:
            if op == "open":
                conns[cid] = fl.Conn(args.port, timeout=5)
            elif op == "send-close":
                send_and_close(args.port, data, e.get("how", "plain"))
            elif op == "send" and cid in conns and not conns[cid].closed:
                conns[cid].send(data)
                for _ in range(e.get("replies", 0)):
                    try:
                        print("conn %d <- %r" % (cid, conns[cid].read_reply(3.0))[:200])
                    except fl.Timeout:
                        ids = conns[cid].sock.getsockname()[1]
                        print("conn %d: no reply in 3 s (local port %d)" % (cid, ids))
                        break
            elif op == "close" and cid in conns:
                conns[cid].close(abrupt=e.get("how") == "rst")
        except fl.Closed as ex:
            print("conn %d closed by the server: %s" % (cid, ex))
    time.sleep(0.5)
    left = [line for line in fl.text(ctl.call("CLIENT", "LIST")).splitlines() if not line.startswith("id=%d " % ctl_id)]
    print("PING:", srv.ping(), "; clients left besides control:", len(left))
    for line in left:
        print("  " + line)
    print("server:", fl.describe_exit(srv.proc.poll()), srv.panic_lines()[:3])
    srv.stop()
    return 1 if left else 0


def extra_options(p):
    p.add_argument("--batch", type=int, default=200, help="inputs per batch (default %(default)s)")


def main():
    fl.run_main(__doc__, 100000, 7460, Fuzzer, replay, extra_options)


if __name__ == "__main__":
    main()
