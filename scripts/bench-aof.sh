#!/usr/bin/env bash
# Benchmarks the append-only file of reddish against the real redis-server
# in the same run:
#   - SET throughput (redis-benchmark, 50 clients, random keys, no
#     pipelining) with appendonly yes under appendfsync everysec and always;
#   - the time to load an AOF of BENCH_AOF_KEYS SET commands at start-up
#     (the "DB loaded from append only file: X seconds" log line);
#   - the wall time of a BGREWRITEAOF of that dataset (RDB preamble), and
#     the time to load the rewritten AOF.
# Prints each figure for both servers and the ratio reddish/redis (for
# requests per second higher is better for reddish, for times lower).
#
# Settings (environment):
#   BENCH_AOF_REQUESTS  SET requests per throughput run (default: 100000)
#   BENCH_AOF_KEYS      keys in the loaded AOF          (default: 1000000)
#   REDDISH_SERVER / REDIS_SERVER as for scripts/bench.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REQUESTS="${BENCH_AOF_REQUESTS:-100000}"
KEYS="${BENCH_AOF_KEYS:-1000000}"

require_tool redis-cli
require_tool redis-benchmark
REDIS_BIN="$(redis_binary)"
REDDISH_BIN="$(reddish_binary)"
AOF_ARGS=(--save "" --appendonly yes --auto-aof-rewrite-percentage 0)

now_ns() { date +%s%N; }

# set_rps NAME BINARY FSYNC: SET requests per second with that policy.
set_rps() {
    start_server "$1-$3" "$2" "${AOF_ARGS[@]}" --appendfsync "$3"
    redis-benchmark -p "$SERVER_PORT" -t set -n "$REQUESTS" -c 50 -r 100000 -q |
        tr '\r' '\n' | awk '/requests per second/ { v = $2 } END { print v }'
    stop_servers
}

# wait_log NAME PATTERN COUNT: waits until PATTERN appears COUNT times.
wait_log() {
    local log="$SCRATCH/$1/server.log" i
    for i in $(seq 1 3000); do
        [ "$(grep -c "$2" "$log" || true)" -ge "$3" ] && return 0
        sleep 0.1
    done
    die "$1: '$2' not logged"
}

# loaded_seconds NAME: the last "loaded from append only file" time.
loaded_seconds() {
    grep "DB loaded from append only file" "$SCRATCH/$1/server.log" | tail -n 1 |
        sed 's/.*append only file: \([0-9.]*\) seconds.*/\1/'
}

# bench_load NAME BINARY: writes KEYS SETs through the AOF, restarts and
# times the load; rewrites, restarts and times that load. Sets LOAD1,
# REWRITE, LOAD2.
bench_load() {
    local name="$1" bin="$2" start end
    start_server "$name" "$bin" "${AOF_ARGS[@]}"
    awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++)
        printf "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nvalue:%d\r\n",
            length("key:" i), i, length("value:" i), i }' |
        redis-cli -p "$SERVER_PORT" --pipe >/dev/null
    stop_servers
    start_server "$name" "$bin" "${AOF_ARGS[@]}"
    wait_log "$name" "DB loaded from append only file" 1
    LOAD1="$(loaded_seconds "$name")"
    [ "$(redis-cli -p "$SERVER_PORT" DBSIZE)" = "$KEYS" ] || die "$name lost keys"
    start="$(now_ns)"
    redis-cli -p "$SERVER_PORT" BGREWRITEAOF >/dev/null
    wait_log "$name" "Background AOF rewrite finished successfully" 1
    end="$(now_ns)"
    REWRITE="$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')"
    stop_servers
    start_server "$name" "$bin" "${AOF_ARGS[@]}"
    wait_log "$name" "DB loaded from append only file" 2
    LOAD2="$(loaded_seconds "$name")"
    stop_servers
}

row() { # LABEL A B UNIT
    awk -v l="$1" -v a="$2" -v b="$3" -v u="$4" \
        'BEGIN { printf "| %s | %s%s | %s%s | %.2f |\n", l, a, u, b, u, (b > 0 ? a / b : 0) }'
}

echo "| test | reddish | redis | ratio |"
echo "|---|---|---|---|"
for fsync in everysec always; do
    a="$(set_rps reddish "$REDDISH_BIN" "$fsync")"
    b="$(set_rps redis "$REDIS_BIN" "$fsync")"
    row "SET rps, appendfsync $fsync" "$a" "$b" ""
done
bench_load reddish "$REDDISH_BIN"
A1=$LOAD1 AR=$REWRITE A2=$LOAD2
bench_load redis "$REDIS_BIN"
row "load $KEYS-key AOF (SET commands)" "$A1" "$LOAD1" " s"
row "BGREWRITEAOF of $KEYS keys (wall)" "$AR" "$REWRITE" " s"
row "load rewritten AOF (RDB base)" "$A2" "$LOAD2" " s"
