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
# A test redis-benchmark reports as several rows (lrange) shares the CPU of
# its run over all of them. A test a server fails (a command it does not have
# yet) shows "-" and the error on stderr; the other tests still run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TESTS="${BENCH_TESTS:-set,get,incr,mset}"
REQUESTS="${BENCH_REQUESTS:-200000}"
CLIENTS="${BENCH_CLIENTS:-50}"
PIPELINES="${BENCH_PIPELINES:-1 16}"
EXTRA_ARGS="${BENCH_ARGS:--r 100000}"
TICKS_PER_SEC="$(getconf CLK_TCK)"

require_tool redis-benchmark
REDIS_BIN="$(redis_binary)"
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

# run_one NAME PORT PID PIPELINE TEST: prints "test<TAB>rps<TAB>cpu-ticks"
# per result row of one redis-benchmark run; a failed run (e.g. a command the
# server does not have yet) prints one row with rps "-" and says why on stderr.
run_one() {
    local name="$1" port="$2" pid="$3" pipeline="$4" test="$5" before after csv
    before="$(cpu_ticks "$pid")"
    # shellcheck disable=SC2086 # EXTRA_ARGS is a word list on purpose
    if ! csv="$(timeout 600 redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" \
        -P "$pipeline" -t "$test" $EXTRA_ARGS --csv 2>&1)"; then
        echo "$name, $test, -P $pipeline: $(echo "$csv" | grep -v WARNING | head -n 1)" >&2
        printf '%s\t-\t0\n' "$test"
        return
    fi
    after="$(cpu_ticks "$pid")"
    echo "$csv" | grep '^"' | awk -F'","' -v ticks=$((after - before)) '
        NR > 1 { gsub(/"/, "", $1); sub(/ \(.*/, "", $1); gsub(/"/, "", $2); print $1 "\t" $2 "\t" ticks }'
}

# The rows a failed run stands for: one per row the other server produced.
failed_rows_like() {
    echo "$1" | awk -F'\t' '{ print $1 "\t-\t0" }'
}

# print_rows PIPELINE OURS THEIRS: one table line per result row, joining the
# rows of both servers; "-" where a server's run failed.
print_rows() {
    local pipeline="$1" ours="$2" theirs="$3"
    [[ "$ours" == *$'\t-\t'* ]] && ours="$(failed_rows_like "$theirs")"
    [[ "$theirs" == *$'\t-\t'* ]] && theirs="$(failed_rows_like "$ours")"
    paste <(echo "$ours") <(echo "$theirs") | awk -F'\t' \
        -v p="$pipeline" -v n="$REQUESTS" -v hz="$TICKS_PER_SEC" '
        function rps(x) { return x == "-" ? "-" : sprintf("%.0f", x) }
        function cpu(ticks, rps_field) { return rps_field == "-" ? "-" : sprintf("%.2f", ticks * per_m) }
        { rows[NR] = $0 }
        END {
            per_m = 1000000 / (n * NR) / hz
            for (i = 1; i <= NR; i++) {
                split(rows[i], f, "\t")
                ratio = (f[2] == "-" || f[5] == "-" || f[5] == 0) ? "-" : sprintf("%.2f", f[2] / f[5])
                printf "%-16s %3s %12s %12s %7s %10s %10s\n", f[1], p, rps(f[2]), rps(f[5]),
                    ratio, cpu(f[3], f[2]), cpu(f[6], f[5])
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
        ours="$(run_one reddish "$REDDISH_PORT" "$REDDISH_PID" "$pipeline" "$test")"
        theirs="$(run_one redis "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$test")"
        print_rows "$pipeline" "$ours" "$theirs"
    done
done
