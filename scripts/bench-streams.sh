#!/usr/bin/env bash
# Benchmarks stream commands on reddish and the real redis-server side by
# side with scripts/bench.sh: XADD onto one stream, and XRANGE / XREVRANGE /
# XREAD / XLEN over stream bench:read, prefilled with BENCH_PREFILL entries.
#
# Settings (environment): those of scripts/bench.sh, plus
#   BENCH_PORTS      "reddish-port redis-port" to use fixed ports
#                    (default: SERVER_PORTS, else free ports)
set -euo pipefail

STREAM_TESTS="XADD bench:add * field value,XRANGE bench:read - + COUNT 10"
STREAM_TESTS+=",XRANGE bench:read - + COUNT 100,XREVRANGE bench:read + - COUNT 10"
STREAM_TESTS+=",XREAD COUNT 10 STREAMS bench:read 0-0,XLEN bench:read"
SERVER_PORTS="${BENCH_PORTS:-${SERVER_PORTS:-}}" BENCH_TESTS="${BENCH_TESTS:-$STREAM_TESTS}" \
    BENCH_TX=0 exec "$(dirname "$0")/bench.sh"
