#!/usr/bin/env bash
# Benchmarks reddish against the real redis-server in the same run: both are
# started here (free ports, scratch directories, no persistence), then for
# each pipeline depth and each test, redis-benchmark runs once against each
# server in turn; last come the MULTI/SET/INCR/EXEC transactions of
# scripts/txbench.sh on the same servers. Prints one table: per test,
# requests/s of each, the ratio reddish/redis, and each server's CPU seconds
# per million requests (utime + stime from /proc/<pid>/stat, read before and
# after the run; steadier than requests/s on a busy machine).
#
# Settings (environment):
#   BENCH_TESTS      comma-separated tests: a redis-benchmark -t name, or a
#                    command line run as redis-benchmark's custom command
#                    (default: strings, lists, sets, hashes, sorted sets,
#                    XADD, XRANGE, GEOADD, GEOSEARCH, PFADD, PFCOUNT, and
#                    PUBLISH to 0 and to 50 subscribers;
#                    see BENCH_DEFAULT_TESTS
#                    in scripts/lib.sh)
#   BENCH_REQUESTS   requests per test (-n)     (default: 100000)
#   BENCH_CLIENTS    parallel connections (-c)  (default: 50)
#   BENCH_PIPELINES  depths to run (-P)         (default: "1 16")
#   BENCH_ROUNDS     runs of each test per server, alternating; the table
#                    shows each server's best requests/s and its CPU over
#                    all rounds (default: 3; a shared machine is noisy)
#   BENCH_ARGS       extra redis-benchmark args (default: "-r 100000", random keys)
#   BENCH_PREFILL    entries put in stream bench:read first, for tests that
#                    read it                    (default: 10000)
#   BENCH_TX         1: also run scripts/txbench.sh's transactions (default: 1)
#   SERVER_PORTS     ports for reddish then redis (default: random free ports)
#   REDDISH_SERVER   reddish binary             (default: target/release, built if missing)
#   REDIS_SERVER     real Redis binary          (default: redis-server on PATH)
# A test redis-benchmark reports as several rows (lrange also runs the LPUSH
# that fills its list) shares the CPU of its run over all of them. A test a
# server fails (a command it does not have yet) shows "-" and the error on
# stderr; the other tests still run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TESTS="${BENCH_TESTS:-$BENCH_DEFAULT_TESTS}"
REQUESTS="${BENCH_REQUESTS:-100000}"
CLIENTS="${BENCH_CLIENTS:-50}"
PIPELINES="${BENCH_PIPELINES:-1 16}"
ROUNDS="${BENCH_ROUNDS:-3}"
EXTRA_ARGS="${BENCH_ARGS:--r 100000}"
PREFILL="${BENCH_PREFILL:-10000}"
RUN_TX="${BENCH_TX:-1}"
TICKS_PER_SEC="$(getconf CLK_TCK)"
IFS=, read -r -a TEST_LIST <<<"$TESTS"

require_tool redis-benchmark
require_tool redis-cli
start_both_servers

# run_one NAME PORT PID PIPELINE TEST: prints "test<TAB>rps<TAB>cpu-ticks"
# per result row of one redis-benchmark run; a failed run (e.g. a command the
# server does not have yet) prints one row with rps "-" and says why on stderr.
run_one() {
    local name="$1" port="$2" pid="$3" pipeline="$4" test="$5" before after rows
    before="$(cpu_ticks "$pid")"
    # shellcheck disable=SC2086 # EXTRA_ARGS is a word list on purpose
    if ! rows="$(run_benchmark "$name, $test, -P $pipeline" "$port" "$test" \
        -c "$CLIENTS" -n "$REQUESTS" -P "$pipeline" $EXTRA_ARGS)"; then
        printf '%s\t-\t0\n' "$test"
        return
    fi
    after="$(cpu_ticks "$pid")"
    echo "$rows" | awk -v ticks=$((after - before)) '{ print $0 "\t" ticks }'
}

# The rows a failed run stands for: one per row the other server produced.
failed_rows_like() {
    echo "$1" | awk -F'\t' '{ print $1 "\t-\t0" }'
}

# print_rows PIPELINE OURS THEIRS: one table line per result row, joining the
# rows of both servers; "-" where a server's run failed.
print_rows() {
    local pipeline="$1" ours="$2" theirs="$3" test rps cpu their_rps their_cpu
    [[ "$ours" == *$'\t-\t'* ]] && ours="$(failed_rows_like "$theirs")"
    [[ "$theirs" == *$'\t-\t'* ]] && theirs="$(failed_rows_like "$ours")"
    paste <(echo "$ours") <(echo "$theirs") | awk -F'\t' -v n="$((REQUESTS * ROUNDS))" -v hz="$TICKS_PER_SEC" '
        function rps(x) { return x == "-" ? "-" : sprintf("%.0f", x) }
        function cpu(ticks, rps_field) { return rps_field == "-" ? "-" : sprintf("%.2f", ticks * per_m) }
        { rows[NR] = $0 }
        END {
            per_m = 1000000 / (n * NR) / hz
            for (i = 1; i <= NR; i++) {
                split(rows[i], f, "\t")
                print f[1] "\t" rps(f[2]) "\t" rps(f[5]) "\t" cpu(f[3], f[2]) "\t" cpu(f[6], f[5])
            }
        }' | while IFS=$'\t' read -r test rps their_rps cpu their_cpu; do
        bench_table_row "$test" "$pipeline" "$rps" "$their_rps" "$cpu" "$their_cpu"
    done
}

# best_of_rounds: joins the rows of several rounds of one test (read on
# stdin) by row name, keeping the first-seen order: the best requests/s and
# the summed CPU ticks; "-" if any round failed.
best_of_rounds() {
    awk -F'\t' '
        NF == 0 { next }
        !($1 in rps) { order[++n] = $1; rps[$1] = $2; ticks[$1] = 0 }
        { ticks[$1] += $3
          if ($2 == "-" || rps[$1] == "-") rps[$1] = "-"
          else if ($2 + 0 > rps[$1] + 0) rps[$1] = $2 }
        END { for (i = 1; i <= n; i++) print order[i] "\t" rps[order[i]] "\t" ticks[order[i]] }'
}

prepare_for_tests "$REDDISH_PORT" "$TESTS"
prepare_for_tests "$REDIS_PORT" "$TESTS"
echo "reddish: $REDDISH_BIN (port $REDDISH_PORT)"
echo "redis:   $REDIS_BIN (port $REDIS_PORT), $("$REDIS_BIN" -v | awk '{ print $3 }')"
echo "$REQUESTS requests per test and round, best of $ROUNDS rounds, $CLIENTS clients, args: $EXTRA_ARGS; $(nproc) CPUs"
echo
bench_table_header
for pipeline in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
        ours=""
        theirs=""
        for ((round = 1; round <= ROUNDS; round++)); do
            ours+="$(run_one reddish "$REDDISH_PORT" "$REDDISH_PID" "$pipeline" "$test")"$'\n'
            theirs+="$(run_one redis "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$test")"$'\n'
        done
        print_rows "$pipeline" "$(best_of_rounds <<<"$ours")" "$(best_of_rounds <<<"$theirs")"
    done
    if [ "$RUN_TX" = 1 ]; then
        BENCH_SERVERS="$REDDISH_PORT $REDDISH_PID $REDIS_PORT $REDIS_PID" REDDISH_BIN="$REDDISH_BIN" \
            TX_PIPELINES="$pipeline" TX_ROWS_ONLY=1 "$(dirname "$0")/txbench.sh"
    fi
done
