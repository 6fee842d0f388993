#!/usr/bin/env python3
"""Compares every command's ACL categories (and flags) between reddish and
the real redis-server, from their COMMAND replies (subcommands included).

Starts both servers on free ports (`--server`, default
target/release/reddish-server; `--redis`, default redis-server from PATH),
prints one line per difference: a command only one server has, or one
whose categories or flags differ, then a summary. Exits 1 when a command
both servers have differs, 0 otherwise (commands reddish lacks are listed
but do not fail the run).

    scripts/acl-categories.py [--server PATH] [--redis PATH] [--port N]
"""

import argparse
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib  # noqa: E402


def text(b):
    return b.decode() if isinstance(b, bytes) else str(b)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command_table(port):
    """name -> (categories, flags) for every command and subcommand."""
    conn = fuzzlib.Conn(port)
    try:
        table = {}

        def walk(info):
            name = text(info[0])
            table[name] = (sorted(text(c) for c in info[6]), sorted(text(f) for f in info[2]))
            for sub in info[9] if len(info) > 9 else []:
                walk(sub)

        for info in conn.call("COMMAND"):
            walk(info)
        return table
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="target/release/reddish-server")
    parser.add_argument("--redis", default=fuzzlib.redis_binary())
    parser.add_argument("--port", type=int, default=0, help="first of two ports (default: free ones)")
    args = parser.parse_args()
    ports = [args.port, args.port + 1] if args.port else [free_port(), free_port()]
    with tempfile.TemporaryDirectory() as scratch:
        servers = [
            fuzzlib.Server(args.server, ports[0], os.path.join(scratch, "reddish")).start(),
            fuzzlib.Server(args.redis, ports[1], os.path.join(scratch, "redis")).start(),
        ]
        try:
            ours, theirs = (command_table(s.port) for s in servers)
        finally:
            for s in servers:
                s.stop()
    differing = 0
    for name in sorted(set(ours) | set(theirs)):
        if name not in ours:
            print("only in redis-server: %s %s" % (name, " ".join(theirs[name][0])))
        elif name not in theirs:
            print("only in reddish: %s" % name)
        else:
            for what, i in (("categories", 0), ("flags", 1)):
                if ours[name][i] != theirs[name][i]:
                    differing += 1
                    print("%s %s: reddish %s, redis-server %s" % (
                        name, what, " ".join(ours[name][i]), " ".join(theirs[name][i])))
    common = len(set(ours) & set(theirs))
    print("%d commands in both, %d with different categories or flags; %d only in redis-server, %d only in reddish"
          % (common, differing, len(set(theirs) - set(ours)), len(set(ours) - set(theirs))))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
