#!/usr/bin/env bash
# Benchmarks stream commands on reddish and the real redis-server side by
# side: XADD onto one stream, and XRANGE / XREVRANGE / XREAD over a stream
# prefilled with BENCH_PREFILL entries. redis-benchmark runs each command
# line once per server and pipeline depth; prints requests/s of each server,
# the ratio reddish/redis, and each server's CPU seconds per million
# requests (utime + stime from /proc, steadier than requests/s on a busy
# machine).
#
# Settings (environment):
#   BENCH_REQUESTS   requests per test (-n)        (default: 200000)
#   BENCH_CLIENTS    parallel connections (-c)     (default: 50)
#   BENCH_PIPELINES  depths to run (-P)            (default: "1 16")
#   BENCH_PREFILL    entries in the read stream    (default: 10000)
#   BENCH_PORTS      "reddish-port redis-port" to use fixed ports
#                    (default: free ports)
#   REDDISH_SERVER   reddish binary                (default: target/release, built if missing)
#   REDIS_SERVER     real Redis binary             (default: redis-server on PATH)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REQUESTS="${BENCH_REQUESTS:-200000}"
CLIENTS="${BENCH_CLIENTS:-50}"
PIPELINES="${BENCH_PIPELINES:-1 16}"
PREFILL="${BENCH_PREFILL:-10000}"

require_tool redis-benchmark
require_tool redis-cli
REDIS_BIN="${REDIS_SERVER:-$(command -v redis-server || true)}"
[ -n "$REDIS_BIN" ] || die "redis-server not found; run 'make deps'"
REDDISH_BIN="$(reddish_binary)"

# start NAME BINARY PORT: starts a server on PORT (a free one if empty) and
# sets SERVER_PORT and SERVER_PID.
start() {
    local name="$1" bin="$2" port="$3" dir="$SCRATCH/$1" i
    if [ -z "$port" ]; then
        start_server "$name" "$bin" --save "" --appendonly no
        return
    fi
    mkdir -p "$dir"
    port_open "$port" && die "port $port is taken"
    "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
        >>"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    for i in $(seq 1 200); do
        port_open "$port" && break
        sleep 0.05
    done
    port_open "$port" || die "$name did not start on port $port"
    SERVER_PORT=$port
}

read -r FIXED_REDDISH FIXED_REDIS <<<"${BENCH_PORTS:-}"
start reddish "$REDDISH_BIN" "${FIXED_REDDISH:-}"
REDDISH_PORT=$SERVER_PORT REDDISH_PID=$SERVER_PID
start redis "$REDIS_BIN" "${FIXED_REDIS:-}"
REDIS_PORT=$SERVER_PORT REDIS_PID=$SERVER_PID
TICKS_PER_SEC="$(getconf CLK_TCK)"

# utime + stime of a process, in clock ticks.
cpu_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat")" || die "server process $1 is gone"
    echo "${stat##*) }" | awk '{ print $12 + $13 }'
}

# Fills bench:read with PREFILL entries of two fields on both servers.
prefill() {
    local port
    for port in "$REDDISH_PORT" "$REDIS_PORT"; do
        redis-benchmark -p "$port" -c 10 -n "$PREFILL" -P 50 -q \
            XADD bench:read '*' field value other 12345 >/dev/null
        [ "$(redis-cli -p "$port" XLEN bench:read)" = "$PREFILL" ] ||
            die "prefill of bench:read on port $port failed"
    done
}

# measure PORT PID PIPELINE ARGS...: prints "rps cpu-seconds-per-million"
# for one command line.
measure() {
    local port="$1" pid="$2" pipeline="$3" out before after
    shift 3
    before="$(cpu_ticks "$pid")"
    out="$(timeout 600 redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" \
        -P "$pipeline" --csv "$@" 2>/dev/null | grep '^"' | tail -n 1)" || true
    after="$(cpu_ticks "$pid")"
    echo "$out" | awk -F'","' -v t=$((after - before)) -v n="$REQUESTS" -v hz="$TICKS_PER_SEC" '
        { gsub(/"/, "", $2); printf "%.0f %.2f\n", $2, t * 1000000 / n / hz }'
}

TESTS=(
    "XADD bench:add * field value"
    "XRANGE bench:read - + COUNT 10"
    "XRANGE bench:read - + COUNT 100"
    "XREVRANGE bench:read + - COUNT 10"
    "XREAD COUNT 10 STREAMS bench:read 0-0"
    "XLEN bench:read"
)

prefill
echo "reddish: $REDDISH_BIN (port $REDDISH_PORT)"
echo "redis:   $REDIS_BIN (port $REDIS_PORT), $("$REDIS_BIN" -v | awk '{ print $3 }')"
echo "$REQUESTS requests per test, $CLIENTS clients, read stream of $PREFILL entries; $(nproc) CPUs"
echo
printf "%-38s %3s %11s %11s %6s %8s %8s\n" command P "reddish rps" "redis rps" ratio reddish redis
printf "%-38s %3s %11s %11s %6s %8s %8s\n" "" "" "" "" "" "CPU s/M" "CPU s/M"
for pipeline in $PIPELINES; do
    for test in "${TESTS[@]}"; do
        read -r -a words <<<"$test"
        read -r ours our_cpu < <(measure "$REDDISH_PORT" "$REDDISH_PID" "$pipeline" "${words[@]}")
        read -r theirs their_cpu < <(measure "$REDIS_PORT" "$REDIS_PID" "$pipeline" "${words[@]}")
        ratio="$(awk -v a="${ours:-0}" -v b="${theirs:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
        printf "%-38s %3s %11s %11s %6s %8s %8s\n" "$test" "$pipeline" "${ours:--}" "${theirs:--}" \
            "$ratio" "${our_cpu:--}" "${their_cpu:--}"
    done
done
