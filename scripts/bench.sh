#!/usr/bin/env bash
# Benchmarks reddish against the real redis-server in the same run: both are
# started here (free ports, scratch directories, no persistence), then for
# each pipeline depth and each test, redis-benchmark runs once against each
# server in turn. Prints per test: requests/s of each, the ratio
# reddish/redis, and each server's CPU seconds per million requests (utime +
# stime from /proc/<pid>/stat, read before and after the run).
#
# Settings (environment):
#   BENCH_TESTS      redis-benchmark -t list    (default: set,get,incr,mset)
#   BENCH_REQUESTS   requests per test (-n)     (default: 200000)
#   BENCH_CLIENTS    parallel connections (-c)  (default: 50)
#   BENCH_PIPELINES  depths to run (-P)         (default: "1 16")
#   BENCH_ARGS       extra redis-benchmark args (default: "-r 100000", random keys)
#   REDDISH_SERVER   reddish binary             (default: target/release, built if missing)
#   REDIS_SERVER     real Redis binary          (default: redis-server on PATH)
# A test redis-benchmark reports as several rows (lrange) shares the CPU of its run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TESTS="${BENCH_TESTS:-set,get,incr,mset}"
REQUESTS="${BENCH_REQUESTS:-200000}"
CLIENTS="${BENCH_CLIENTS:-50}"
PIPELINES="${BENCH_PIPELINES:-1 16}"
EXTRA_ARGS="${BENCH_ARGS:--r 100000}"
TICKS_PER_SEC="$(getconf CLK_TCK)"

require_tool redis-benchmark
REDIS_BIN="${REDIS_SERVER:-$(command -v redis-server || true)}"
[ -n "$REDIS_BIN" ] || die "redis-server not found; run 'make deps'"
REDDISH_BIN="$(reddish_binary)"

start_server reddish "$REDDISH_BIN" --save "" --appendonly no
REDDISH_PORT=$SERVER_PORT REDDISH_PID=$SERVER_PID
start_server redis "$REDIS_BIN" --save "" --appendonly no
REDIS_PORT=$SERVER_PORT REDIS_PID=$SERVER_PID

# utime + stime of a process, in clock ticks.
cpu_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat")" || die "server process $1 is gone"
    # Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
    echo "${stat##*) }" | awk '{ print $12 + $13 }'
}

# run_one PORT PID PIPELINE TEST: prints "name<TAB>rps<TAB>cpu-ticks" per
# result row of one redis-benchmark run.
run_one() {
    local port="$1" pid="$2" pipeline="$3" test="$4" before after csv
    before="$(cpu_ticks "$pid")"
    # shellcheck disable=SC2086 # EXTRA_ARGS is a word list on purpose
    csv="$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" -P "$pipeline" \
        -t "$test" $EXTRA_ARGS --csv 2>/dev/null)" ||
        die "redis-benchmark failed on port $port (test $test, -P $pipeline)"
    after="$(cpu_ticks "$pid")"
    echo "$csv" | awk -F'","' -v ticks=$((after - before)) '
        NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $2); print $1 "\t" $2 "\t" ticks }'
}

# Joins the rows of both servers into one table line per test.
print_rows() {
    local pipeline="$1" ours="$2" theirs="$3"
    paste <(echo "$ours") <(echo "$theirs") | awk -F'\t' \
        -v p="$pipeline" -v n="$REQUESTS" -v hz="$TICKS_PER_SEC" '
        { rows[NR] = $0 }
        END {
            for (i = 1; i <= NR; i++) {
                split(rows[i], f, "\t")
                per_m = 1000000 / (n * NR) / hz
                printf "%-16s %3s %12.0f %12.0f %7.2f %10.2f %10.2f\n", f[1], p, f[2], f[5],
                    (f[5] > 0 ? f[2] / f[5] : 0), f[3] * per_m, f[6] * per_m
            }
        }'
}

echo "reddish: $REDDISH_BIN (port $REDDISH_PORT)"
echo "redis:   $REDIS_BIN (port $REDIS_PORT), $("$REDIS_BIN" -v | awk '{ print $3 }')"
echo "$REQUESTS requests per test, $CLIENTS clients, args: $EXTRA_ARGS; $(nproc) CPUs"
echo
printf "%-16s %3s %12s %12s %7s %10s %10s\n" test P "reddish rps" "redis rps" ratio "reddish" "redis"
printf "%-16s %3s %12s %12s %7s %10s %10s\n" "" "" "" "" "" "CPU s/M" "CPU s/M"
for pipeline in $PIPELINES; do
    for test in ${TESTS//,/ }; do
        ours="$(run_one "$REDDISH_PORT" "$REDDISH_PID" "$pipeline" "$test")"
        theirs="$(run_one "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$test")"
        print_rows "$pipeline" "$ours" "$theirs"
    done
done
